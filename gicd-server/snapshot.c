// SPDX-License-Identifier: MIT
#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "snapshot.pb-c.h"

/* ------------------------------------------------------------ retained */

/* bytes_cap: the live path; a restore takes what was saved. */
static int retain(struct durable *d, const void *data, size_t len, uint64_t last_seq,
		  bool bytes_cap)
{
	struct retained *r;

	if (d->nr_retained == DURABLE_MAX_RETAINED)
		return -ENOSPC;
	if (bytes_cap && d->retained_bytes + len > DURABLE_MAX_RETAINED_BYTES)
		return -ENOBUFS;
	r = &d->retained[d->nr_retained];
	r->data = malloc(len);
	if (!r->data)
		return -ENOMEM;
	memcpy(r->data, data, len);
	r->len = (uint32_t)len;
	r->last_seq = last_seq;
	d->nr_retained++;
	d->retained_bytes += len;
	return 0;
}

int durable_retain(struct durable *d, const void *data, size_t len, uint64_t last_seq)
{
	return retain(d, data, len, last_seq, true);
}

void durable_ack(struct durable *d, uint64_t acked)
{
	unsigned drop = 0;

	if (acked <= d->bus_acked)
		return;
	d->bus_acked = acked;
	while (drop < d->nr_retained && d->retained[drop].last_seq <= acked) {
		d->retained_bytes -= d->retained[drop].len;
		free(d->retained[drop++].data);
	}
	memmove(d->retained, d->retained + drop, (d->nr_retained - drop) * sizeof(d->retained[0]));
	d->nr_retained -= drop;
}

void durable_release(struct durable *d)
{
	for (unsigned i = 0; i < d->nr_retained; i++)
		free(d->retained[i].data);
	d->nr_retained = 0;
	d->retained_bytes = 0;
	free(d->hello);
	d->hello = NULL;
	d->hello_len = 0;
}

/* ------------------------------------------------------------ encoding */

static void spi_to_pb(const struct dist_spi *s, uint32_t intid, Sg__SpiState *p)
{
	sg__spi_state__init(p);
	p->intid = intid;
	p->irouter = s->irouter;
	p->priority = s->priority;
	p->group1 = s->group1;
	p->enabled = s->enabled;
	p->edge = s->edge;
	p->latch = s->latch;
	p->line = s->line;
	p->msg_line = s->msg_line;
	p->active = s->active;
	p->owned = s->owned;
	p->owner_line = s->owner_line;
	p->owner_latch = s->owner_latch;
	p->owner = s->owner;
	p->gen = s->gen;
	p->latch_gen = s->latch_gen;
	p->own_gen = s->own_gen;
}

static void its_to_pb(const struct its_state *s, unsigned index, Sg__ItsState *p)
{
	sg__its_state__init(p);
	p->index = index;
	p->ctlr = s->ctlr;
	p->cbaser = s->cbaser;
	p->cwriter = s->cwriter;
	p->creadr = s->creadr;
	p->baser0 = s->baser[0];
	p->baser1 = s->baser[1];
	p->stall = s->stall;
	p->sync_wait = s->sync_wait;
	p->sync_vcpu = s->sync_vcpu;
	p->sync_seq = s->sync_seq;
	p->last_error = s->last_error;
	p->nr_errors = s->nr_errors;
}

/* Field-by-field: the structs have padding, memcmp would see garbage. */
static bool spi_equal(const struct dist_spi *a, const struct dist_spi *b)
{
	return a->irouter == b->irouter && a->priority == b->priority && a->group1 == b->group1 &&
	       a->enabled == b->enabled && a->edge == b->edge && a->latch == b->latch &&
	       a->line == b->line && a->msg_line == b->msg_line && a->active == b->active &&
	       a->owned == b->owned && a->owner_line == b->owner_line &&
	       a->owner_latch == b->owner_latch && a->owner == b->owner && a->gen == b->gen &&
	       a->latch_gen == b->latch_gen && a->own_gen == b->own_gen;
}

static bool its_equal(const struct its_state *a, const struct its_state *b)
{
	return a->ctlr == b->ctlr && a->cbaser == b->cbaser && a->cwriter == b->cwriter &&
	       a->creadr == b->creadr && a->baser[0] == b->baser[0] && a->baser[1] == b->baser[1] &&
	       a->stall == b->stall && a->sync_wait == b->sync_wait &&
	       a->sync_vcpu == b->sync_vcpu && a->sync_seq == b->sync_seq &&
	       a->last_error == b->last_error && a->nr_errors == b->nr_errors;
}

/* Storage for one record under construction: only what a record uses is
 * initialised, so it is allocated once (it is large: every SPI). */
struct snapshot_record {
	Sg__GicState st;
	Sg__VmIdentity vm;
	Sg__DistGlobal dist;
	Sg__BusAck ack;
	Sg__SpiState spi[GIC_MAX_NR_SPIS];
	Sg__SpiState *spi_p[GIC_MAX_NR_SPIS];
	Sg__CpuRouting cpu[SG_MAX_VCPUS];
	Sg__CpuRouting *cpu_p[SG_MAX_VCPUS];
	Sg__ItsState its[SG_MAX_ITS];
	Sg__ItsState *its_p[SG_MAX_ITS];
	Sg__ChannelState chan[SG_MAX_VCPUS + 1];
	Sg__ChannelState *chan_p[SG_MAX_VCPUS + 1];
	Sg__RetainedOutput out[DURABLE_MAX_RETAINED];
	Sg__RetainedOutput *out_p[DURABLE_MAX_RETAINED];
	Sg__Hello *hello;
};

ssize_t snapshot_encode(const struct durable *d, struct snapshot_shadow *sh, bool full,
			unsigned char **out)
{
	const struct gic_core *c = d->core;
	const struct dist *dist = &c->dist;
	const struct sg_vm_shape *shape = &c->shape;
	unsigned nr_chans = shape->nr_vcpus + 1;
	struct snapshot_record *r = sh->rec;
	bool any = full;
	size_t len;

	*out = NULL;
	if (!r) {
		r = sh->rec = malloc(sizeof(*r));
		if (!r)
			return -ENOMEM;
	}
	r->hello = NULL;
	if (!sh->valid)
		full = any = true;
	sg__gic_state__init(&r->st);
	r->st.schema_version = SG_SNAPSHOT_SCHEMA;
	r->st.delta = !full;
	r->st.daemon_version = (char *)SG_VERSION;

	if (full) {
		sg__vm_identity__init(&r->vm);
		r->hello = sg__hello__unpack(NULL, d->hello_len, d->hello);
		if (!r->hello)
			return -EINVAL;
		r->vm.name = r->hello->vm_name;
		r->vm.hello = r->hello;
		r->vm.resume_token.data = (uint8_t *)d->token;
		r->vm.resume_token.len = sizeof(d->token);
		r->vm.epoch = d->epoch;
		r->st.vm = &r->vm;
	}
	if (full || dist->ctlr != sh->ctlr || dist->route.last != sh->route_last) {
		sg__dist_global__init(&r->dist);
		r->dist.ctlr = dist->ctlr;
		r->dist.route_last = dist->route.last;
		r->st.dist = &r->dist;
		sh->ctlr = dist->ctlr;
		sh->route_last = dist->route.last;
		any = true;
	}
	for (unsigned i = 0; i < dist->nr_spis; i++) {
		if (!full && spi_equal(&dist->spi[i], &sh->spi[i]))
			continue;
		spi_to_pb(&dist->spi[i], GIC_SPI_BASE + i, &r->spi[r->st.n_spis]);
		r->spi_p[r->st.n_spis] = &r->spi[r->st.n_spis];
		r->st.n_spis++;
		sh->spi[i] = dist->spi[i];
	}
	for (unsigned i = 0; i < shape->nr_vcpus; i++) {
		const struct dist_cpu *cpu = &dist->route.cpu[i];
		Sg__CpuRouting *p = &r->cpu[r->st.n_cpus];

		if (!full && cpu->grp0 == sh->cpu[i].grp0 && cpu->grp1 == sh->cpu[i].grp1 &&
		    cpu->asleep == sh->cpu[i].asleep)
			continue;
		sg__cpu_routing__init(p);
		p->vcpu = i;
		p->grp0 = cpu->grp0;
		p->grp1 = cpu->grp1;
		p->asleep = cpu->asleep;
		r->cpu_p[r->st.n_cpus++] = p;
		sh->cpu[i] = *cpu;
	}
	for (unsigned i = 0; i < shape->map.nr_its; i++) {
		if (!full && its_equal(&c->its[i].st, &sh->its[i]))
			continue;
		its_to_pb(&c->its[i].st, i, &r->its[r->st.n_its]);
		r->its_p[r->st.n_its] = &r->its[r->st.n_its];
		r->st.n_its++;
		sh->its[i] = c->its[i].st;
	}
	for (unsigned i = 0; i < nr_chans; i++) {
		Sg__ChannelState *p = &r->chan[r->st.n_channels];
		uint64_t out_seq = i == shape->nr_vcpus ? d->bus_out_seq : 0;

		if (!full && d->last_applied[i] == sh->last_applied[i] &&
		    (i != shape->nr_vcpus || out_seq == sh->bus_out_seq))
			continue;
		sg__channel_state__init(p);
		p->index = i;
		p->last_applied = d->last_applied[i];
		p->out_seq = out_seq;
		r->chan_p[r->st.n_channels++] = p;
		sh->last_applied[i] = d->last_applied[i];
		if (i == shape->nr_vcpus)
			sh->bus_out_seq = out_seq;
	}
	/* A full snapshot carries every retained output; a delta the new ones. */
	for (unsigned i = 0; i < d->nr_retained; i++) {
		if (!full && d->retained[i].last_seq <= sh->retained_seq)
			continue;
		Sg__RetainedOutput *o = &r->out[r->st.n_bus_outputs];

		sg__retained_output__init(o);
		o->last_seq = d->retained[i].last_seq;
		o->datagram.data = d->retained[i].data;
		o->datagram.len = d->retained[i].len;
		r->out_p[r->st.n_bus_outputs++] = o;
	}
	if (d->nr_retained)
		sh->retained_seq = d->retained[d->nr_retained - 1].last_seq;
	if (full || d->bus_acked != sh->bus_acked) {
		sg__bus_ack__init(&r->ack);
		r->ack.acked = d->bus_acked;
		r->st.bus_ack = &r->ack;
		sh->bus_acked = d->bus_acked;
		any = true;
	}
	if (full || c->reads.next_id != sh->next_query_id) {
		r->st.next_query_id = c->reads.next_id;
		sh->next_query_id = c->reads.next_id;
		any = true;
	}
	any = any || r->st.n_spis || r->st.n_cpus || r->st.n_its || r->st.n_channels ||
	      r->st.n_bus_outputs;
	sh->valid = true;
	if (!any)
		return 0;
	r->st.spis = r->spi_p;
	r->st.cpus = r->cpu_p;
	r->st.its = r->its_p;
	r->st.channels = r->chan_p;
	r->st.bus_outputs = r->out_p;
	len = sg__gic_state__get_packed_size(&r->st);
	*out = malloc(len ? len : 1);
	if (*out)
		sg__gic_state__pack(&r->st, *out);
	if (r->hello)
		sg__hello__free_unpacked(r->hello, NULL);
	return *out ? (ssize_t)len : -ENOMEM;
}

void snapshot_shadow_fini(struct snapshot_shadow *sh)
{
	free(sh->rec);
	sh->rec = NULL;
}

/* ------------------------------------------------------------ loading */

int snapshot_identity(const void *data, size_t len, Sg__Hello **hello, uint64_t *epoch,
		      unsigned char *token)
{
	Sg__GicState *st = sg__gic_state__unpack(NULL, len, data);
	size_t hlen;
	unsigned char *buf;

	*hello = NULL;
	if (!st)
		return -EPROTO;
	if (st->schema_version > SG_SNAPSHOT_SCHEMA || st->delta || !st->vm || !st->vm->hello) {
		sg__gic_state__free_unpacked(st, NULL);
		return -EPROTO;
	}
	/* Copy the Hello out of the state (it is freed with it). */
	hlen = sg__hello__get_packed_size(st->vm->hello);
	buf = malloc(hlen ? hlen : 1);
	if (buf) {
		sg__hello__pack(st->vm->hello, buf);
		*hello = sg__hello__unpack(NULL, hlen, buf);
		free(buf);
	}
	*epoch = st->vm->epoch;
	memset(token, 0, 32);
	/* An empty token unpacks with data NULL, which memcpy must never get
	 * (undefined even for 0 bytes; fuzz-snapshot found it). */
	if (st->vm->resume_token.len)
		memcpy(token, st->vm->resume_token.data,
		       st->vm->resume_token.len < 32 ? st->vm->resume_token.len : 32);
	sg__gic_state__free_unpacked(st, NULL);
	return *hello ? 0 : -ENOMEM;
}

static void spi_from_pb(struct dist_spi *s, const Sg__SpiState *p, unsigned nr_vcpus)
{
	s->irouter = p->irouter;
	s->priority = (uint8_t)p->priority;
	s->group1 = p->group1;
	s->enabled = p->enabled;
	s->edge = p->edge;
	s->latch = p->latch;
	s->line = p->line;
	s->msg_line = p->msg_line;
	s->active = p->active;
	/* A snapshot is our own output, but never trust an index. */
	s->owned = p->owned && p->owner < nr_vcpus;
	s->owner_line = p->owner_line;
	s->owner_latch = p->owner_latch;
	s->owner = (uint16_t)(p->owner < nr_vcpus ? p->owner : 0);
	s->gen = p->gen;
	s->latch_gen = p->latch_gen;
	s->own_gen = p->own_gen;
}

static void its_from_pb(struct its_state *s, const Sg__ItsState *p)
{
	s->ctlr = p->ctlr;
	s->cbaser = p->cbaser;
	s->cwriter = p->cwriter;
	s->creadr = p->creadr;
	s->baser[0] = p->baser0;
	s->baser[1] = p->baser1;
	s->stall = p->stall;
	s->sync_wait = p->sync_wait;
	s->sync_vcpu = p->sync_vcpu;
	s->sync_seq = p->sync_seq;
	s->last_error = p->last_error;
	s->nr_errors = p->nr_errors;
}

static int apply_identity(struct durable *d, const Sg__VmIdentity *vm)
{
	size_t len = sg__hello__get_packed_size(vm->hello);

	free(d->hello);
	d->hello = malloc(len ? len : 1);
	if (!d->hello)
		return -ENOMEM;
	sg__hello__pack(vm->hello, d->hello);
	d->hello_len = len;
	memset(d->token, 0, sizeof(d->token));
	if (vm->resume_token.len) /* data is NULL when empty, as above */
		memcpy(d->token, vm->resume_token.data,
		       vm->resume_token.len < sizeof(d->token) ? vm->resume_token.len
							       : sizeof(d->token));
	d->epoch = vm->epoch;
	return 0;
}

int snapshot_apply(struct durable *d, const void *data, size_t len)
{
	struct gic_core *c = d->core;
	Sg__GicState *st = sg__gic_state__unpack(NULL, len, data);
	unsigned nr_vcpus = c->shape.nr_vcpus;
	int rc = 0;

	if (!st)
		return -EPROTO;
	if (st->schema_version > SG_SNAPSHOT_SCHEMA || (!st->delta && !st->vm)) {
		rc = -EPROTO;
		goto out;
	}
	if (!st->delta) {
		rc = apply_identity(d, st->vm);
		if (rc)
			goto out;
		/* A full snapshot replaces the retained list. */
		for (unsigned i = 0; i < d->nr_retained; i++)
			free(d->retained[i].data);
		d->nr_retained = 0;
		d->retained_bytes = 0;
	}
	if (st->dist) {
		c->dist.ctlr = st->dist->ctlr & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
		c->dist.route.last = st->dist->route_last < nr_vcpus ? st->dist->route_last : 0;
	}
	for (size_t i = 0; i < st->n_spis; i++) {
		const Sg__SpiState *p = st->spis[i];

		if (p->intid < GIC_SPI_BASE || p->intid - GIC_SPI_BASE >= c->dist.nr_spis)
			continue;
		spi_from_pb(&c->dist.spi[p->intid - GIC_SPI_BASE], p, nr_vcpus);
	}
	for (size_t i = 0; i < st->n_cpus; i++) {
		const Sg__CpuRouting *p = st->cpus[i];

		if (p->vcpu >= nr_vcpus)
			continue;
		c->dist.route.cpu[p->vcpu] =
			(struct dist_cpu){ .grp0 = p->grp0, .grp1 = p->grp1, .asleep = p->asleep };
	}
	for (size_t i = 0; i < st->n_its; i++)
		if (st->its[i]->index < c->shape.map.nr_its)
			its_from_pb(&c->its[st->its[i]->index].st, st->its[i]);
	for (size_t i = 0; i < st->n_channels; i++) {
		const Sg__ChannelState *p = st->channels[i];

		if (p->index > nr_vcpus)
			continue;
		d->last_applied[p->index] = p->last_applied;
		if (p->index == nr_vcpus)
			d->bus_out_seq = p->out_seq;
	}
	if (st->bus_ack)
		durable_ack(d, st->bus_ack->acked);
	for (size_t i = 0; i < st->n_bus_outputs && rc == 0; i++) {
		const Sg__RetainedOutput *o = st->bus_outputs[i];

		if (o->last_seq <= d->bus_acked)
			continue;
		/* Only what we could have sent: an empty one would reach memcpy
		 * as NULL (fuzz-snapshot found it), an oversized one would go to
		 * the agent as it is after the restore. */
		if (o->datagram.len == 0 || o->datagram.len > SG_WIRE_MAX)
			continue;
		rc = retain(d, o->datagram.data, o->datagram.len, o->last_seq, false);
	}
	if (st->next_query_id)
		c->reads.next_id = st->next_query_id;
out:
	sg__gic_state__free_unpacked(st, NULL);
	return rc;
}

void snapshot_finish(struct durable *d)
{
	struct gic_core *c = d->core;

	/* The ITS re-maps its table windows for the restored registers. */
	for (unsigned i = 0; i < c->shape.map.nr_its; i++) {
		struct its_state st = c->its[i].st;

		its_restore(&c->its[i], &st);
	}
}
