// SPDX-License-Identifier: MIT
/*
 * Snapshots of the daemon's state: a full snapshot and the deltas after it
 * restore exactly the state they were taken from, through the state store
 * as a restarted daemon reads it.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_run.h"
#include "snapshot.h"
#include "snapshot.pb-c.h"
#include "state_store.h"

struct vmfx {
	struct sg_vm_shape shape;
	struct guest_ram ram;
	struct gic_core core;
	struct durable d;
	uint64_t seq[SG_MAX_VCPUS + 1];
};

static void drop(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	(void)ctx;
	(void)chan;
	(void)env;
}

static void make_shape(struct sg_vm_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->nr_vcpus = 3;
	for (unsigned i = 0; i < 3; i++)
		s->mpidr[i] = 0x100 + i;
	s->nr_spis = 96;
	s->lr_count = 4;
	sg_addr_map_default(&s->map, 1);
}

static void pack_hello(struct vmfx *f)
{
	Sg__Hello h = SG__HELLO__INIT;
	Sg__AddressMap am;

	sg_shape_to_hello(&f->shape, &h, &am);
	h.vm_name = (char *)"snapvm";
	h.proto_version = SG_PROTO_VERSION;
	f->d.hello_len = sg__hello__get_packed_size(&h);
	f->d.hello = malloc(f->d.hello_len);
	ck_assert_ptr_nonnull(f->d.hello);
	sg__hello__pack(&h, f->d.hello);
}

static struct vmfx *vm_new(const struct sg_vm_shape *shape)
{
	struct vmfx *f = calloc(1, sizeof(*f));
	struct core_out out = { drop, NULL };

	ck_assert_ptr_nonnull(f);
	f->shape = *shape;
	guest_ram_init(&f->ram);
	core_init(&f->core, &f->shape, &f->ram, &out);
	f->d.core = &f->core;
	return f;
}

static void vm_free(struct vmfx *f)
{
	durable_release(&f->d);
	free(f);
}

static void mmio(struct vmfx *f, unsigned vcpu, uint32_t off, unsigned size, uint64_t val)
{
	Sg__Mmio m = SG__MMIO__INIT;
	Sg__Envelope env;

	m.addr = f->shape.map.gicd_base + off;
	m.size = size;
	m.write = true;
	m.posted = true;
	m.data = val;
	sg_envelope_init(&env);
	env.seq = ++f->seq[vcpu];
	env.body_case = SG__ENVELOPE__BODY_MMIO;
	env.mmio = &m;
	core_handle(&f->core, vcpu, &env);
	f->d.last_applied[vcpu] = f->seq[vcpu];
}

static void line(struct vmfx *f, uint32_t intid, bool level)
{
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Envelope env;
	unsigned bus = f->shape.nr_vcpus;

	l.intid = intid;
	l.level = level;
	sg_envelope_init(&env);
	env.seq = ++f->seq[bus];
	env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
	env.spi_level = &l;
	core_handle(&f->core, bus, &env);
	f->d.last_applied[bus] = f->seq[bus];
}

/* Some configuration, some SPIs in flight, some idle and pending. */
static void busy_state(struct vmfx *f)
{
	mmio(f, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	mmio(f, 0, GICD_IPRIORITYR + 40, 1, 0xA8);
	mmio(f, 1, GICD_ICFGR + 8, 4, 0x2u << 18); /* INTID 41 edge */
	mmio(f, 1, GICD_IROUTER + 8 * 41, 8, 0x101);
	mmio(f, 2, GICD_IROUTER + 8 * 42, 8, GICD_IROUTER_IRM);
	mmio(f, 0, GICD_ISENABLER + 4, 4, 0x7u << 8); /* 40, 41, 42 */
	mmio(f, 0, GICD_IROUTER + 8 * 40, 8, 0x102);
	line(f, 40, true);			   /* level, delivered to vCPU 2 */
	mmio(f, 1, GICD_ISPENDR + 4, 4, 1u << 9);  /* 41 edge to vCPU 1 */
	mmio(f, 2, GICD_ISPENDR + 4, 4, 1u << 10); /* 42 1-of-N */
	mmio(f, 0, GICD_ISPENDR + 8, 4, 1u << 3);  /* 67: disabled, stays here */
	f->d.bus_out_seq = 17;
}

static void assert_same(const struct vmfx *a, const struct vmfx *b)
{
	const struct dist *x = &a->core.dist, *y = &b->core.dist;

	ck_assert_uint_eq(x->ctlr, y->ctlr);
	ck_assert_uint_eq(x->route.last, y->route.last);
	for (unsigned i = 0; i < x->nr_spis; i++) {
		const struct dist_spi *p = &x->spi[i], *q = &y->spi[i];

		ck_assert_msg(p->irouter == q->irouter && p->priority == q->priority &&
				      p->group1 == q->group1 && p->enabled == q->enabled &&
				      p->edge == q->edge && p->latch == q->latch &&
				      p->line == q->line && p->msg_line == q->msg_line &&
				      p->active == q->active && p->owned == q->owned &&
				      p->owner_line == q->owner_line &&
				      p->owner_latch == q->owner_latch && p->owner == q->owner &&
				      p->gen == q->gen && p->latch_gen == q->latch_gen &&
				      p->own_gen == q->own_gen,
			      "SPI %u differs", GIC_SPI_BASE + i);
	}
	for (unsigned i = 0; i < a->shape.nr_vcpus; i++) {
		ck_assert_int_eq(x->route.cpu[i].grp0, y->route.cpu[i].grp0);
		ck_assert_int_eq(x->route.cpu[i].grp1, y->route.cpu[i].grp1);
		ck_assert_int_eq(x->route.cpu[i].asleep, y->route.cpu[i].asleep);
	}
	ck_assert_uint_eq(a->core.its[0].st.cbaser, b->core.its[0].st.cbaser);
	ck_assert_uint_eq(a->core.its[0].st.nr_errors, b->core.its[0].st.nr_errors);
	for (unsigned i = 0; i <= a->shape.nr_vcpus; i++)
		ck_assert_uint_eq(a->d.last_applied[i], b->d.last_applied[i]);
	ck_assert_uint_eq(a->d.bus_out_seq, b->d.bus_out_seq);
	ck_assert_uint_eq(a->d.bus_acked, b->d.bus_acked);
	ck_assert_uint_eq(a->core.reads.next_id, b->core.reads.next_id);
	ck_assert_uint_eq(a->d.nr_retained, b->d.nr_retained);
	for (unsigned i = 0; i < a->d.nr_retained; i++) {
		ck_assert_uint_eq(a->d.retained[i].last_seq, b->d.retained[i].last_seq);
		ck_assert_uint_eq(a->d.retained[i].len, b->d.retained[i].len);
		ck_assert(memcmp(a->d.retained[i].data, b->d.retained[i].data,
				 a->d.retained[i].len) == 0);
	}
	ck_assert_uint_eq(a->d.epoch, b->d.epoch);
	ck_assert(memcmp(a->d.token, b->d.token, sizeof(a->d.token)) == 0);
}

/* A daemon coming back: the shape from the snapshot, then every record. */
static struct vmfx *restore(unsigned char **recs, const size_t *lens, unsigned n)
{
	struct sg_vm_shape shape;
	Sg__Hello *h;
	uint64_t epoch;
	const char *why;
	struct vmfx *f;

	unsigned char tok[32];

	ck_assert_int_eq(snapshot_identity(recs[0], lens[0], &h, &epoch, tok), 0);
	ck_assert_uint_eq(tok[0], 0x5A);
	ck_assert_str_eq(h->vm_name, "snapvm");
	ck_assert(sg_shape_from_hello(h, &shape, &why));
	sg__hello__free_unpacked(h, NULL);
	f = vm_new(&shape);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(snapshot_apply(&f->d, recs[i], lens[i]), 0);
	snapshot_finish(&f->d);
	return f;
}

START_TEST(test_full_then_deltas_restore_exactly)
{
	struct sg_vm_shape shape;
	struct snapshot_shadow *sh = calloc(1, sizeof(*sh));
	unsigned char *recs[4];
	size_t lens[4];
	ssize_t n;
	struct vmfx *f, *g;

	ck_assert_ptr_nonnull(sh);
	make_shape(&shape);
	f = vm_new(&shape);
	pack_hello(f);
	memset(f->d.token, 0x5A, sizeof(f->d.token));
	f->d.epoch = 3;
	busy_state(f);
	ck_assert_int_eq(durable_retain(&f->d, "dgram-1", 7, 15), 0);
	ck_assert_int_eq(durable_retain(&f->d, "dgram-2", 7, 17), 0);
	n = snapshot_encode(&f->d, sh, true, &recs[0]);
	ck_assert_int_gt(n, 0);
	lens[0] = (size_t)n;

	/* Nothing changed: an empty delta. */
	ck_assert_int_eq(snapshot_encode(&f->d, sh, false, &recs[1]), 0);

	/* Changes: a line drops while owned, a write, an ack, a new output. */
	line(f, 40, false);
	mmio(f, 1, GICD_IPRIORITYR + 41, 1, 0x10);
	durable_ack(&f->d, 15);
	ck_assert_int_eq(durable_retain(&f->d, "dgram-3", 7, 19), 0);
	f->d.bus_out_seq = 19;
	n = snapshot_encode(&f->d, sh, false, &recs[1]);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (ssize_t)lens[0]); /* only what changed */
	lens[1] = (size_t)n;

	mmio(f, 2, GICD_ICENABLER + 4, 4, 1u << 10);
	durable_ack(&f->d, 19);
	n = snapshot_encode(&f->d, sh, false, &recs[2]);
	ck_assert_int_gt(n, 0);
	lens[2] = (size_t)n;

	g = restore(recs, lens, 3);
	assert_same(f, g);
	ck_assert_uint_eq(g->d.nr_retained, 0);
	vm_free(g);

	/* Only the first two records: the state as of the first delta. */
	g = restore(recs, lens, 2);
	ck_assert_uint_eq(g->d.nr_retained, 2);
	ck_assert_uint_eq(g->d.retained[1].last_seq, 19);
	ck_assert_uint_eq(g->core.dist.spi[41 - 32].priority, 0x10);
	vm_free(g);

	for (int i = 0; i < 3; i++)
		free(recs[i]);
	vm_free(f);
	snapshot_shadow_fini(sh);
	free(sh);
}
END_TEST

static int on_snap(void *ctx, const void *data, size_t len)
{
	struct vmfx **fp = ctx;
	struct sg_vm_shape shape;
	Sg__Hello *h;
	uint64_t epoch;
	const char *why;

	unsigned char tok[32];

	if (snapshot_identity(data, len, &h, &epoch, tok) != 0)
		return -EPROTO;
	ck_assert(sg_shape_from_hello(h, &shape, &why));
	sg__hello__free_unpacked(h, NULL);
	*fp = vm_new(&shape);
	return snapshot_apply(&(*fp)->d, data, len);
}

static int on_rec(void *ctx, const void *data, size_t len)
{
	struct vmfx **fp = ctx;

	return snapshot_apply(&(*fp)->d, data, len);
}

START_TEST(test_through_the_state_store)
{
	struct sg_vm_shape shape;
	struct snapshot_shadow *sh = calloc(1, sizeof(*sh));
	struct state_store st;
	struct vmfx *f, *g = NULL;
	unsigned char *rec;
	ssize_t n;
	int fd = memfd_create("snapshot-test", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(sh);
	make_shape(&shape);
	f = vm_new(&shape);
	pack_hello(f);
	ck_assert_int_eq(state_store_open(&st, fd, true), 0);
	n = snapshot_encode(&f->d, sh, true, &rec);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(state_store_write_snapshot(&st, rec, (size_t)n), 0);
	free(rec);
	busy_state(f);
	n = snapshot_encode(&f->d, sh, false, &rec);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(state_store_append(&st, rec, (size_t)n), 0);
	free(rec);
	/* The writer dies here; a new one maps the same fd. */
	state_store_close(&st);
	ck_assert_int_eq(state_store_open(&st, fd, false), 0);
	ck_assert_int_eq(state_store_load(&st, on_snap, on_rec, &g), 0);
	ck_assert_ptr_nonnull(g);
	snapshot_finish(&g->d);
	assert_same(f, g);
	state_store_close(&st);
	close(fd);
	vm_free(g);
	vm_free(f);
	snapshot_shadow_fini(sh);
	free(sh);
}
END_TEST

START_TEST(test_refuses_what_it_cannot_read)
{
	struct sg_vm_shape shape;
	struct vmfx *f;
	Sg__GicState st = SG__GIC_STATE__INIT;
	unsigned char buf[64];
	Sg__Hello *h;
	uint64_t epoch;
	size_t len;

	make_shape(&shape);
	f = vm_new(&shape);
	ck_assert_int_eq(snapshot_apply(&f->d, "\xff\xff\xff", 3), -EPROTO);
	/* A schema newer than this daemon's. */
	st.schema_version = SG_SNAPSHOT_SCHEMA + 1;
	st.delta = true;
	len = sg__gic_state__pack(&st, buf);
	ck_assert_int_eq(snapshot_apply(&f->d, buf, len), -EPROTO);
	/* A full snapshot without the VM's identity. */
	st.schema_version = SG_SNAPSHOT_SCHEMA;
	st.delta = false;
	len = sg__gic_state__pack(&st, buf);
	ck_assert_int_eq(snapshot_apply(&f->d, buf, len), -EPROTO);
	ck_assert_int_eq(snapshot_identity(buf, len, &h, &epoch, (unsigned char[32]){ 0 }),
			 -EPROTO);
	vm_free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("snapshot");

	tcase_add_test(tc, test_full_then_deltas_restore_exactly);
	tcase_add_test(tc, test_through_the_state_store);
	tcase_add_test(tc, test_refuses_what_it_cannot_read);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
