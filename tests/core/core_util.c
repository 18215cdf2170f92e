// SPDX-License-Identifier: MIT
/* The core test fixture: a recording core_out and message builders. */
#include <string.h>

#include "core_test.h"
#include "wire.h"

uint64_t cx_aff(unsigned vcpu)
{
	static const uint64_t aff[CX_VCPUS] = { 0x0000000001ull, 0x0000000100ull, 0x0000010000ull,
						0x0100000000ull };

	return aff[vcpu];
}

unsigned cx_bus(void)
{
	return CX_VCPUS;
}

static void record(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	struct rec *r;

	(void)ctx;
	ck_assert_msg(cx.nrec < CX_MAX_REC, "too many outputs");
	ck_assert_uint_eq(env->seq, 0); /* the server numbers daemon messages */
	r = &cx.rec[cx.nrec++];
	memset(r, 0, sizeof(*r));
	r->chan = chan;
	r->body = env->body_case;
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_DELIVER: r->u.deliver = *env->deliver; break;
	case SG__ENVELOPE__BODY_RETRACT: r->u.retract = *env->retract; break;
	case SG__ENVELOPE__BODY_QUERY: r->u.query = *env->query; break;
	case SG__ENVELOPE__BODY_MMIO_REPLY: r->u.reply = *env->mmio_reply; break;
	default: ck_abort_msg("unexpected output %d", env->body_case);
	}
}

void cx_init(void)
{
	struct core_out out = { .send = record };

	memset(&cx, 0, sizeof(cx));
	cx.shape.nr_vcpus = CX_VCPUS;
	for (unsigned i = 0; i < CX_VCPUS; i++)
		cx.shape.mpidr[i] = cx_aff(i);
	cx.shape.nr_spis = CX_SPIS;
	cx.shape.lr_count = 4;
	sg_addr_map_default(&cx.shape.map, 0);
	guest_ram_init(&cx.ram);
	core_init(&cx.core, &cx.shape, &cx.ram, &out);
}

static void mmio(unsigned vcpu, uint32_t off, unsigned size, uint64_t data, bool write)
{
	struct sg_mmio_msg m;
	Sg__Envelope *env = sg_mmio_msg(&m, cx.shape.map.gicd_base + off, size, write, write, data);

	env->seq = ++cx.mmio_seq[vcpu];
	core_handle(&cx.core, vcpu, env);
}

void cx_w(unsigned vcpu, uint32_t off, uint32_t val)
{
	mmio(vcpu, off, 4, val, true);
}
void cx_w64(unsigned vcpu, uint32_t off, uint64_t val)
{
	mmio(vcpu, off, 8, val, true);
}

uint64_t cx_r_start(unsigned vcpu, uint32_t off)
{
	mmio(vcpu, off, 4, 0, false);
	return cx.mmio_seq[vcpu];
}

uint32_t cx_r(unsigned vcpu, uint32_t off)
{
	uint64_t seq = cx_r_start(vcpu, off);
	const Sg__MmioReply *r = cx_reply(vcpu);

	ck_assert_uint_eq(r->seq, seq);
	ck_assert_int_eq(r->status, SG__MMIO_REPLY__STATUS__OK);
	return (uint32_t)r->data;
}

static void bus(Sg__Envelope *env)
{
	env->version = SG_PROTO_VERSION;
	env->seq = ++cx.bus_seq;
	core_handle(&cx.core, cx_bus(), env);
}

void cx_level(uint32_t intid, bool level)
{
	Sg__SpiLevel m = SG__SPI_LEVEL__INIT;
	Sg__Envelope env = SG__ENVELOPE__INIT;

	m.intid = intid;
	m.level = level;
	env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
	env.spi_level = &m;
	bus(&env);
}

void cx_pulse(uint32_t intid)
{
	Sg__SpiLevel m = SG__SPI_LEVEL__INIT;
	Sg__Envelope env = SG__ENVELOPE__INIT;

	m.intid = intid;
	m.pulse = true;
	env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
	env.spi_level = &m;
	bus(&env);
}

void cx_deact(unsigned vcpu, uint32_t intid, uint32_t gen, bool returned_latch)
{
	Sg__Deactivated m = SG__DEACTIVATED__INIT;
	Sg__Envelope env = SG__ENVELOPE__INIT;

	m.vcpu = vcpu;
	m.intid = intid;
	m.gen = gen;
	m.returned_latch = returned_latch;
	env.body_case = SG__ENVELOPE__BODY_DEACTIVATED;
	env.deactivated = &m;
	bus(&env);
}

void cx_qreply(uint64_t id, unsigned vcpu, uint32_t intid, bool pending, bool active)
{
	Sg__QueryReply m = SG__QUERY_REPLY__INIT;
	Sg__Envelope env = SG__ENVELOPE__INIT;

	m.query_id = id;
	m.vcpu = vcpu;
	m.intid = intid;
	m.pending = pending;
	m.active = active;
	env.body_case = SG__ENVELOPE__BODY_QUERY_REPLY;
	env.query_reply = &m;
	bus(&env);
}

void cx_cpu(unsigned vcpu, bool grp0, bool grp1, bool asleep)
{
	Sg__CpuState m = SG__CPU_STATE__INIT;
	Sg__Envelope env = SG__ENVELOPE__INIT;

	m.vcpu = vcpu;
	m.grp0_enabled = grp0;
	m.grp1_enabled = grp1;
	m.asleep = asleep;
	env.body_case = SG__ENVELOPE__BODY_CPU_STATE;
	env.cpu_state = &m;
	bus(&env);
}

void cx_bit(unsigned vcpu, uint32_t reg, uint32_t intid)
{
	cx_w(vcpu, cx_word(reg, intid), 1u << (intid % 32));
}

void cx_route(uint32_t intid, uint64_t irouter)
{
	cx_w64(0, GICD_IROUTER + 8 * intid, irouter);
}

/* Read-modify-write of one field; the read is of a register that never
 * defers, so it is answered at once. */
static void rmw(uint32_t reg, uint32_t intid, unsigned bpi, uint32_t field)
{
	uint32_t off = reg + (intid * bpi / 32) * 4, sh = (intid * bpi) % 32;
	uint32_t mask = (bpi == 32 ? ~0u : (1u << bpi) - 1) << sh;
	uint32_t v = cx_r(0, off);

	cx_w(0, off, (v & ~mask) | ((field << sh) & mask));
}

void cx_prio(uint32_t intid, uint8_t prio)
{
	rmw(GICD_IPRIORITYR, intid, 8, prio);
}
void cx_edge(uint32_t intid, bool edge)
{
	rmw(GICD_ICFGR, intid, 2, edge ? 2 : 0);
}
void cx_group(uint32_t intid, bool group1)
{
	rmw(GICD_IGROUPR, intid, 1, group1);
}

void cx_setup(uint32_t intid, bool edge, uint8_t prio, unsigned vcpu)
{
	cx_w(0, GICD_CTLR, GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
	cx_edge(intid, edge);
	cx_prio(intid, prio);
	cx_route(intid, cx_aff(vcpu));
	cx_bit(0, GICD_ISENABLER, intid);
}

unsigned cx_pending_out(void)
{
	return cx.nrec - cx.head;
}

const struct rec *cx_next(void)
{
	ck_assert_msg(cx.head < cx.nrec, "expected another output, none was sent");
	return &cx.rec[cx.head++];
}

static const struct rec *next_bus(Sg__Envelope__BodyCase body, const char *what)
{
	const struct rec *r = cx_next();

	ck_assert_msg(r->body == body, "expected %s, got body %d", what, r->body);
	ck_assert_uint_eq(r->chan, cx_bus());
	return r;
}

const Sg__Deliver *cx_deliver(void)
{
	return &next_bus(SG__ENVELOPE__BODY_DELIVER, "Deliver")->u.deliver;
}

const Sg__Retract *cx_retract(void)
{
	return &next_bus(SG__ENVELOPE__BODY_RETRACT, "Retract")->u.retract;
}

const Sg__Query *cx_query(void)
{
	return &next_bus(SG__ENVELOPE__BODY_QUERY, "Query")->u.query;
}

const Sg__MmioReply *cx_reply(unsigned vcpu)
{
	const struct rec *r = cx_next();

	ck_assert_msg(r->body == SG__ENVELOPE__BODY_MMIO_REPLY, "expected MmioReply, got %d",
		      r->body);
	ck_assert_uint_eq(r->chan, vcpu);
	return &r->u.reply;
}

void cx_quiet(void)
{
	ck_assert_msg(cx.head == cx.nrec, "unexpected output (body %d)",
		      cx.head < cx.nrec ? cx.rec[cx.head].body : 0);
}

void cx_expect_deliver(unsigned vcpu, uint32_t intid, uint32_t gen, unsigned prio, bool group1,
		       bool level, unsigned flags)
{
	const Sg__Deliver *d = cx_deliver();

	ck_assert_uint_eq(d->vcpu, vcpu);
	ck_assert_uint_eq(d->intid, intid);
	ck_assert_uint_eq(d->gen, gen);
	ck_assert_uint_eq(d->priority, prio);
	ck_assert_uint_eq(d->group, group1);
	ck_assert_int_eq(d->level, level);
	ck_assert_int_eq(d->set_latch, !!(flags & F_LATCH));
	ck_assert_int_eq(d->set_line, !!(flags & F_LINE));
	ck_assert_int_eq(d->set_active, !!(flags & F_ACTIVE));
}

void cx_expect_retract(unsigned vcpu, uint32_t intid, uint32_t gen, unsigned flags)
{
	const Sg__Retract *r = cx_retract();

	ck_assert_uint_eq(r->vcpu, vcpu);
	ck_assert_uint_eq(r->intid, intid);
	ck_assert_uint_eq(r->gen, gen);
	ck_assert_int_eq(r->clear_latch, !!(flags & F_LATCH));
	ck_assert_int_eq(r->clear_line, !!(flags & F_LINE));
	ck_assert_int_eq(r->clear_active, !!(flags & F_ACTIVE));
	ck_assert_int_eq(r->return_latch, !!(flags & F_RETURN));
}
