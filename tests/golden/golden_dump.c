// SPDX-License-Identifier: MIT
#include "golden_dump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "guest_ram.h"
#include "snapshot.h"
#include "state_store.h"

struct golden_state {
	struct sg_vm_shape shape;
	struct guest_ram ram;
	struct gic_core core;
	struct durable d;
	char name[80];
	bool have_core;
};

static void drop(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	(void)ctx;
	(void)chan;
	(void)env;
}

/* The full snapshot: identity first, then a core of that shape. */
static int on_snapshot(void *ctx, const void *data, size_t len)
{
	struct golden_state *g = ctx;
	struct core_out out = { drop, NULL };
	unsigned char token[32];
	Sg__Hello *h = NULL;
	uint64_t epoch;
	const char *why;
	int rc;

	if (!g->have_core) {
		rc = snapshot_identity(data, len, &h, &epoch, token);
		if (rc < 0)
			return rc;
		if (!sg_shape_from_hello(h, &g->shape, &why)) {
			sg__hello__free_unpacked(h, NULL);
			return -EPROTO;
		}
		snprintf(g->name, sizeof(g->name), "%s", h->vm_name ? h->vm_name : "");
		sg__hello__free_unpacked(h, NULL);
		guest_ram_init(&g->ram);
		core_init(&g->core, &g->shape, &g->ram, &out);
		g->d.core = &g->core;
		g->have_core = true;
	}
	return snapshot_apply(&g->d, data, len);
}

static int on_record(void *ctx, const void *data, size_t len)
{
	struct golden_state *g = ctx;

	return snapshot_apply(&g->d, data, len);
}

struct golden_state *golden_load(const char *path, char *err, size_t errlen)
{
	struct golden_state *g = calloc(1, sizeof(*g));
	struct state_store st;
	int fd = open(path, O_RDWR | O_CLOEXEC), rc;

	if (!g || fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(g ? errno : ENOMEM));
		free(g);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rc = state_store_open(&st, fd, false);
	if (rc == 0 && !state_store_has_snapshot(&st))
		rc = -ENOENT;
	if (rc == 0)
		rc = state_store_load(&st, on_snapshot, on_record, g);
	if (rc == 0 && g->have_core)
		snapshot_finish(&g->d);
	if (rc == 0)
		state_store_close(&st);
	close(fd);
	if (rc < 0 || !g->have_core) {
		snprintf(err, errlen, "%s: the state does not load: %s", path,
			 strerror(rc < 0 ? -rc : EPROTO));
		golden_free(g);
		return NULL;
	}
	return g;
}

void golden_free(struct golden_state *g)
{
	if (!g)
		return;
	durable_release(&g->d);
	free(g);
}

const unsigned char *golden_token(const struct golden_state *g)
{
	return g->d.token;
}

const char *golden_vm_name(const struct golden_state *g)
{
	return g->name;
}

void golden_describe(const struct golden_state *g, FILE *f)
{
	const struct sg_vm_shape *s = &g->shape;
	const struct dist *dist = &g->core.dist;

	fprintf(f, "vm.name %s\n", g->name);
	fprintf(f, "vm.epoch %llu\n", (unsigned long long)g->d.epoch);
	fprintf(f, "vm.token ");
	for (unsigned i = 0; i < sizeof(g->d.token); i++)
		fprintf(f, "%02x", g->d.token[i]);
	fprintf(f, "\n");
	fprintf(f, "shape.vcpus %u\n", s->nr_vcpus);
	for (unsigned i = 0; i < s->nr_vcpus; i++)
		fprintf(f, "shape.mpidr.%u 0x%llx\n", i, (unsigned long long)s->mpidr[i]);
	fprintf(f, "shape.spis %u\n", s->nr_spis);
	fprintf(f, "shape.its %u\n", s->map.nr_its);
	fprintf(f, "shape.gicd_base 0x%llx\n", (unsigned long long)s->map.gicd_base);
	fprintf(f, "shape.gicr_base 0x%llx\n", (unsigned long long)s->map.gicr_base);

	fprintf(f, "dist.ctlr 0x%x\n", dist->ctlr);
	fprintf(f, "dist.route_last %u\n", dist->route.last);
	for (unsigned i = 0; i < dist->nr_spis; i++) {
		const struct dist_spi *p = &dist->spi[i];
		unsigned id = GIC_SPI_BASE + i;

		fprintf(f, "spi.%u.irouter 0x%llx\n", id, (unsigned long long)p->irouter);
		fprintf(f, "spi.%u.priority 0x%02x\n", id, p->priority);
		fprintf(f, "spi.%u.group1 %d\n", id, p->group1);
		fprintf(f, "spi.%u.enabled %d\n", id, p->enabled);
		fprintf(f, "spi.%u.edge %d\n", id, p->edge);
		fprintf(f, "spi.%u.latch %d\n", id, p->latch);
		fprintf(f, "spi.%u.line %d\n", id, p->line);
		fprintf(f, "spi.%u.msg_line %d\n", id, p->msg_line);
		fprintf(f, "spi.%u.active %d\n", id, p->active);
		fprintf(f, "spi.%u.owned %d\n", id, p->owned);
		if (p->owned) {
			fprintf(f, "spi.%u.owner %u\n", id, p->owner);
			fprintf(f, "spi.%u.owner_line %d\n", id, p->owner_line);
			fprintf(f, "spi.%u.owner_latch %d\n", id, p->owner_latch);
			fprintf(f, "spi.%u.own_gen %u\n", id, p->own_gen);
		}
		fprintf(f, "spi.%u.gen %u\n", id, p->gen);
		fprintf(f, "spi.%u.latch_gen %u\n", id, p->latch_gen);
	}
	for (unsigned i = 0; i < s->nr_vcpus; i++) {
		const struct dist_cpu *c = &dist->route.cpu[i];

		fprintf(f, "cpu.%u.grp0 %d\n", i, c->grp0);
		fprintf(f, "cpu.%u.grp1 %d\n", i, c->grp1);
		fprintf(f, "cpu.%u.asleep %d\n", i, c->asleep);
	}
	for (unsigned i = 0; i < s->map.nr_its; i++) {
		const struct its_state *t = &g->core.its[i].st;

		fprintf(f, "its.%u.ctlr 0x%x\n", i, t->ctlr);
		fprintf(f, "its.%u.cbaser 0x%llx\n", i, (unsigned long long)t->cbaser);
		fprintf(f, "its.%u.cwriter 0x%llx\n", i, (unsigned long long)t->cwriter);
		fprintf(f, "its.%u.creadr 0x%llx\n", i, (unsigned long long)t->creadr);
		fprintf(f, "its.%u.baser0 0x%llx\n", i, (unsigned long long)t->baser[0]);
		fprintf(f, "its.%u.baser1 0x%llx\n", i, (unsigned long long)t->baser[1]);
		fprintf(f, "its.%u.stall %u\n", i, t->stall);
		fprintf(f, "its.%u.nr_errors %llu\n", i, (unsigned long long)t->nr_errors);
	}
	for (unsigned i = 0; i <= s->nr_vcpus; i++)
		fprintf(f, "chan.%u.last_applied %llu\n", i,
			(unsigned long long)g->d.last_applied[i]);
	fprintf(f, "bus.out_seq %llu\n", (unsigned long long)g->d.bus_out_seq);
	fprintf(f, "bus.acked %llu\n", (unsigned long long)g->d.bus_acked);
	fprintf(f, "bus.retained %u\n", g->d.nr_retained);
	for (unsigned i = 0; i < g->d.nr_retained; i++) {
		const struct retained *r = &g->d.retained[i];

		fprintf(f, "bus.retained.%u.last_seq %llu\n", i, (unsigned long long)r->last_seq);
		fprintf(f, "bus.retained.%u.bytes ", i);
		for (uint32_t k = 0; k < r->len; k++)
			fprintf(f, "%02x", r->data[k]);
		fprintf(f, "\n");
	}
	fprintf(f, "reads.next_id %llu\n", (unsigned long long)g->core.reads.next_id);
}
