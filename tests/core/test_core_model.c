// SPDX-License-Identifier: MIT
/*
 * Randomized consistency: the core, simulated well-behaved agents and a
 * reference model of the architectural state are fed the same random
 * register writes, device lines, CpuStates and guest acknowledge/deactivate
 * steps, with messages left in flight in both directions for random times.
 * After each check, what the guest reads through ISPENDR/ISACTIVER (with
 * the Query round trips that takes) must equal the model, and once nothing
 * is in flight every deliverable SPI must be held by some vCPU.
 *
 * The model is plain GIC state (IHI 0069): a latch, the wired line, the
 * message level, active; pending = latch, or for level SPIs latch || line
 * || message level.  Acknowledge clears the latch and sets active,
 * deactivate clears active.  A simulated guest acknowledges or deactivates
 * only what its agent holds, and only once the agent has processed every
 * message about that SPI and no latch it handed back is still on its way:
 * the model applies writes when the daemon does, so it cannot tell which
 * order the architecture would pick for an ack racing them (see
 * docs/distributor.md on the one race that is visible).
 */
#include <string.h>

#include "core_test.h"

#define NS   CX_SPIS
#define NV   CX_VCPUS
#define QCAP 4096u
#define IRM  (1ull << 31)

struct model {
	bool enabled[NS], group1[NS], edge[NS];
	uint8_t prio[NS];
	uint64_t irouter[NS];
	uint32_t ctlr;
	bool latch[NS], line[NS], msg[NS], active[NS];
	bool g0[NV], g1[NV], asleep[NV];
};

/* What a simulated agent holds for one SPI it owns. */
struct entry {
	bool present, latch, line, active, ret;
	uint32_t gen;
};

struct agent {
	struct entry e[NS];
	bool consume_line; /* acknowledge consumes the level (resampled on Deactivated) */
	struct rec inbox[QCAP];
	unsigned in_head, in_tail;
};

enum bus_kind { B_LEVEL, B_PULSE, B_DEACT, B_QREPLY, B_CPU };

struct busmsg {
	enum bus_kind kind;
	uint32_t intid, gen;
	unsigned vcpu;
	bool a, b, c;
	uint64_t id;
};

static struct sim {
	struct model m;
	struct agent ag[NV];
	struct busmsg bus[QCAP];
	unsigned bus_head, bus_tail;
	uint32_t gen[NS]; /* last gen the daemon sent per SPI */
	bool have_reply[NV];
	Sg__MmioReply reply[NV];
	uint64_t rng;
	unsigned acks, eois, reads;
} sim;

static uint64_t rnd(void)
{
	sim.rng ^= sim.rng << 13;
	sim.rng ^= sim.rng >> 7;
	sim.rng ^= sim.rng << 17;
	return sim.rng;
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static unsigned idx(uint32_t intid)
{
	return intid - 32;
}

/* Half the events hit a few hot SPIs, so that events on one SPI follow
 * each other while earlier messages about it are still in flight. */
static unsigned pick_spi(void)
{
	return rn(2) ? rn(4) : rn(NS);
}

static bool m_pending(unsigned i)
{
	const struct model *m = &sim.m;

	return m->latch[i] || (!m->edge[i] && (m->line[i] || m->msg[i]));
}

/* ------------------------------------------------------------ queues */

static void bus_push(struct busmsg b)
{
	ck_assert_uint_lt(sim.bus_tail - sim.bus_head, QCAP);
	sim.bus[sim.bus_tail++ % QCAP] = b;
}

/* Takes what the core sent: bus messages to the agents' inboxes, replies
 * to the readers; checks every Deliver/Retract carries the next gen. */
static void route_outputs(void)
{
	while (cx.head < cx.nrec) {
		const struct rec *r = &cx.rec[cx.head++];
		struct agent *a;
		uint32_t intid, gen;
		unsigned v;

		switch (r->body) {
		case SG__ENVELOPE__BODY_MMIO_REPLY:
			ck_assert(!sim.have_reply[r->chan]);
			sim.have_reply[r->chan] = true;
			sim.reply[r->chan] = r->u.reply;
			continue;
		case SG__ENVELOPE__BODY_DELIVER:
			v = r->u.deliver.vcpu, intid = r->u.deliver.intid, gen = r->u.deliver.gen;
			ck_assert_uint_eq(gen, ++sim.gen[idx(intid)]);
			break;
		case SG__ENVELOPE__BODY_RETRACT:
			v = r->u.retract.vcpu, intid = r->u.retract.intid, gen = r->u.retract.gen;
			ck_assert_uint_eq(gen, ++sim.gen[idx(intid)]);
			break;
		case SG__ENVELOPE__BODY_QUERY:
			v = r->u.query.vcpu, intid = r->u.query.intid;
			ck_assert_uint_eq(r->u.query.gen, sim.gen[idx(intid)]);
			break;
		default: ck_abort_msg("unexpected output"); return;
		}
		ck_assert_uint_eq(r->chan, cx_bus());
		ck_assert_uint_lt(v, NV);
		a = &sim.ag[v];
		ck_assert_uint_lt(a->in_tail - a->in_head, QCAP);
		a->inbox[a->in_tail++ % QCAP] = *r;
	}
	cx.head = cx.nrec = 0;
}

/* ------------------------------------------------------------ agents */

static bool inbox_has(const struct agent *a, uint32_t intid)
{
	for (unsigned k = a->in_head; k != a->in_tail; k++) {
		const struct rec *r = &a->inbox[k % QCAP];
		uint32_t id = r->body == SG__ENVELOPE__BODY_DELIVER   ? r->u.deliver.intid
			      : r->body == SG__ENVELOPE__BODY_RETRACT ? r->u.retract.intid
								      : r->u.query.intid;

		if (id == intid)
			return true;
	}
	return false;
}

/* An entry holding nothing is given back: Deactivated with the last gen. */
static void agent_settle(unsigned v, uint32_t intid)
{
	struct entry *e = &sim.ag[v].e[idx(intid)];

	if (!e->present || e->latch || e->line || e->active)
		return;
	bus_push((struct busmsg){
		.kind = B_DEACT, .vcpu = v, .intid = intid, .gen = e->gen, .a = e->ret });
	*e = (struct entry){ 0 };
}

static void agent_take(unsigned v, uint32_t intid, uint32_t gen)
{
	struct entry *e = &sim.ag[v].e[idx(intid)];

	if (!e->present)
		for (unsigned o = 0; o < NV; o++)
			ck_assert_msg(o == v || !sim.ag[o].e[idx(intid)].present,
				      "SPI %u held by vCPUs %u and %u", intid, o, v);
	e->present = true;
	e->gen = gen;
}

static bool agent_step(unsigned v)
{
	struct agent *a = &sim.ag[v];
	const struct rec *r;
	struct entry *e;

	if (a->in_head == a->in_tail)
		return false;
	r = &a->inbox[a->in_head++ % QCAP];
	switch (r->body) {
	case SG__ENVELOPE__BODY_DELIVER: {
		const Sg__Deliver *d = &r->u.deliver;

		agent_take(v, d->intid, d->gen);
		e = &a->e[idx(d->intid)];
		/* Pending state sent here means the SPI may be signalled here
		 * again: a latch being handed back is pending here once more
		 * (and merges with a new one). */
		if (d->set_latch || d->set_line) {
			e->latch |= d->set_latch || e->ret;
			e->ret = false;
		}
		e->line |= d->set_line;
		e->active |= d->set_active;
		agent_settle(v, d->intid);
		break;
	}
	case SG__ENVELOPE__BODY_RETRACT: {
		const Sg__Retract *t = &r->u.retract;

		agent_take(v, t->intid, t->gen);
		e = &a->e[idx(t->intid)];
		if (t->return_latch) {
			/* The latch is handed back rather than dropped. */
			e->ret |= e->latch;
			e->latch = false;
		} else if (t->clear_latch) {
			/* ICPENDR: a latch waiting to be handed back goes too. */
			e->latch = e->ret = false;
		}
		if (t->clear_line)
			e->line = false;
		if (t->clear_active)
			e->active = false;
		agent_settle(v, t->intid);
		break;
	}
	case SG__ENVELOPE__BODY_QUERY: {
		const Sg__Query *q = &r->u.query;

		e = &a->e[idx(q->intid)];
		bus_push((struct busmsg){ .kind = B_QREPLY,
					  .vcpu = v,
					  .intid = q->intid,
					  .id = q->query_id,
					  .a = e->present && (e->latch || e->line || e->ret),
					  .b = e->present && e->active });
		break;
	}
	default: break;
	}
	return true;
}

/* A latch handed back for intid is on its way to the daemon. */
static bool bus_has_returned(uint32_t intid)
{
	for (unsigned k = sim.bus_head; k != sim.bus_tail; k++) {
		const struct busmsg *b = &sim.bus[k % QCAP];

		if (b->kind == B_DEACT && b->intid == intid && b->a)
			return true;
	}
	return false;
}

/* The guest acknowledges (ack) or deactivates one SPI its agent holds. */
static void guest_step(unsigned v, bool ack)
{
	struct agent *a = &sim.ag[v];
	unsigned start = rn(NS);

	for (unsigned k = 0; k < NS; k++) {
		unsigned i = (start + k) % NS;
		struct entry *e = &a->e[i];

		if (!e->present || inbox_has(a, 32 + i))
			continue;
		if (ack && (e->latch || e->line) && !e->active && !bus_has_returned(32 + i)) {
			e->active = true;
			e->latch = false;
			if (a->consume_line)
				e->line = false;
			sim.m.latch[i] = false;
			sim.m.active[i] = true;
			sim.acks++;
			return;
		}
		if (!ack && e->active) {
			e->active = false;
			sim.m.active[i] = false;
			sim.eois++;
			agent_settle(v, 32 + i);
			return;
		}
	}
}

/* ------------------------------------------------------------ the daemon side */

static bool bus_step(void)
{
	struct busmsg b;
	struct model *m = &sim.m;
	unsigned i;

	if (sim.bus_head == sim.bus_tail)
		return false;
	b = sim.bus[sim.bus_head++ % QCAP];
	i = idx(b.intid);
	switch (b.kind) {
	case B_LEVEL:
		if (m->edge[i] && b.a && !m->line[i])
			m->latch[i] = true;
		m->line[i] = b.a;
		cx_level(b.intid, b.a);
		break;
	case B_PULSE:
		if (m->edge[i] && !m->line[i])
			m->latch[i] = true;
		m->line[i] = false;
		cx_pulse(b.intid);
		break;
	case B_DEACT: cx_deact(b.vcpu, b.intid, b.gen, b.a); break;
	case B_QREPLY: cx_qreply(b.id, b.vcpu, b.intid, b.a, b.b); break;
	case B_CPU:
		m->g0[b.vcpu] = b.a;
		m->g1[b.vcpu] = b.b;
		m->asleep[b.vcpu] = b.c;
		cx_cpu(b.vcpu, b.a, b.b, b.c);
		break;
	}
	route_outputs();
	return true;
}

static void write_reg(unsigned w, uint32_t off, uint32_t val)
{
	cx_w(w, off, val);
	route_outputs();
}

/* One random guest write, applied to the model as the architecture says. */
static void random_write(void)
{
	struct model *m = &sim.m;
	unsigned w = rn(NV), i = pick_spi(), word = 1 + i / 32, kind = rn(13);
	uint32_t bits = 1u << (i % 32), v = 0;

	if (rn(4) == 0)
		bits |= 1u << rn(32); /* sometimes two SPIs at once */
	for (unsigned b = 0; b < 32; b++) {
		unsigned j = (word - 1) * 32 + b;

		if (!(bits & (1u << b)))
			continue;
		switch (kind) {
		case 0: m->enabled[j] = true; break;
		case 1: m->enabled[j] = false; break;
		case 2: m->latch[j] = true; break;
		case 3: m->latch[j] = false; break;
		case 4: m->active[j] = true; break;
		case 5: m->active[j] = false; break;
		default: break;
		}
	}
	switch (kind) {
	case 0: write_reg(w, GICD_ISENABLER + 4 * word, bits); break;
	case 1: write_reg(w, GICD_ICENABLER + 4 * word, bits); break;
	case 2: write_reg(w, GICD_ISPENDR + 4 * word, bits); break;
	case 3: write_reg(w, GICD_ICPENDR + 4 * word, bits); break;
	case 4: write_reg(w, GICD_ISACTIVER + 4 * word, bits); break;
	case 5: write_reg(w, GICD_ICACTIVER + 4 * word, bits); break;
	case 6: /* IPRIORITYR word of SPIs i&~3 .. i|3 */
		m->prio[i] = (uint8_t)rnd();
		for (unsigned b = 0; b < 4; b++)
			v |= (uint32_t)m->prio[(i & ~3u) + b] << (8 * b);
		write_reg(w, GICD_IPRIORITYR + 32 + (i & ~3u), v);
		break;
	case 7: /* IGROUPR: flip one SPI's group */
		m->group1[i] = !m->group1[i];
		for (unsigned b = 0; b < 32; b++)
			v |= (uint32_t)m->group1[(word - 1) * 32 + b] << b;
		write_reg(w, GICD_IGROUPR + 4 * word, v);
		break;
	case 8: /* ICFGR: flip one SPI's trigger */
		m->edge[i] = !m->edge[i];
		for (unsigned b = 0; b < 16; b++)
			v |= (uint32_t)m->edge[(i & ~15u) + b] << (2 * b + 1);
		write_reg(w, GICD_ICFGR + 8 + 4 * (i / 16), v);
		break;
	case 9: {
		unsigned r = rn(10);

		m->irouter[i] = r < 6 ? cx_aff(rn(NV)) : r < 8 ? IRM : CX_AFF_NONE;
		cx_w64(w, GICD_IROUTER + 8 * (32 + i), m->irouter[i]);
		route_outputs();
		break;
	}
	case 10:
		m->ctlr = rn(3) ? 3 : rn(4);
		write_reg(w, GICD_CTLR, m->ctlr);
		break;
	case 11:
		if (m->edge[i])
			m->latch[i] = true;
		else
			m->msg[i] = true;
		write_reg(w, GICD_SETSPI_NSR, 32 + i);
		break;
	case 12:
		if (m->edge[i])
			m->latch[i] = false;
		else
			m->msg[i] = false;
		write_reg(w, GICD_CLRSPI_NSR, 32 + i);
		break;
	}
}

/* ------------------------------------------------------------ checks */

static void drain_bus(void)
{
	while (bus_step())
		;
}

/* Runs agents and bus until nothing is in flight or cond holds. */
static void pump(bool (*cond)(void))
{
	for (unsigned round = 0; round < 100000; round++) {
		bool moved = false;

		if (cond && cond())
			return;
		for (unsigned v = 0; v < NV; v++)
			while (agent_step(v))
				moved = true;
		while (bus_step())
			moved = true;
		if (!moved)
			break;
	}
	ck_assert_msg(!cond || cond(), "a read was never answered");
}

static unsigned reader_a, reader_b;

static bool both_replied(void)
{
	return sim.have_reply[reader_a] && sim.have_reply[reader_b];
}

static uint32_t take_reply(unsigned v, uint64_t seq)
{
	ck_assert(sim.have_reply[v]);
	ck_assert_uint_eq(sim.reply[v].seq, seq);
	ck_assert_int_eq(sim.reply[v].status, SG__MMIO_REPLY__STATUS__OK);
	sim.have_reply[v] = false;
	return (uint32_t)sim.reply[v].data;
}

/* Every word of pending and active state, read by two vCPUs at once. */
static void check_reads(void)
{
	drain_bus(); /* the server drains every channel before a read */
	for (unsigned word = 1; word <= NS / 32; word++) {
		uint32_t pend = 0, act = 0, p, a;
		uint64_t sa, sb;

		reader_a = rn(NV);
		reader_b = (reader_a + 1 + rn(NV - 1)) % NV;
		sa = cx_r_start(reader_a, (rn(2) ? GICD_ISPENDR : GICD_ICPENDR) + 4 * word);
		route_outputs();
		sb = cx_r_start(reader_b, (rn(2) ? GICD_ISACTIVER : GICD_ICACTIVER) + 4 * word);
		route_outputs();
		pump(both_replied);
		p = take_reply(reader_a, sa);
		a = take_reply(reader_b, sb);
		for (unsigned b = 0; b < 32; b++) {
			pend |= (uint32_t)m_pending((word - 1) * 32 + b) << b;
			act |= (uint32_t)sim.m.active[(word - 1) * 32 + b] << b;
		}
		ck_assert_msg(p == pend, "pending word %u: read 0x%08x, model 0x%08x", word, p,
			      pend);
		ck_assert_msg(a == act, "active word %u: read 0x%08x, model 0x%08x", word, a, act);
		sim.reads++;
	}
}

/* The model says SPI i should be signalled to some vCPU. */
static bool m_deliverable(unsigned i)
{
	const struct model *m = &sim.m;
	bool grp = m->group1[i] ? (m->ctlr & 2) : (m->ctlr & 1);

	if (!m_pending(i) || !m->enabled[i] || !grp)
		return false;
	for (unsigned v = 0; v < NV; v++) {
		if (m->irouter[i] & IRM) {
			if (!m->asleep[v] && (m->group1[i] ? m->g1[v] : m->g0[v]))
				return true;
		} else if (m->irouter[i] == cx_aff(v)) {
			return true;
		}
	}
	return false;
}

/* Nothing in flight: the daemon's owners are the agents holding entries,
 * what they hold is pending or active in the model, and every deliverable
 * SPI has gone out. */
static void check_quiescent(void)
{
	pump(NULL);
	for (unsigned i = 0; i < NS; i++) {
		unsigned owner = NV, v;
		uint32_t gen, own_gen;
		bool owned = dist_spi_owner(&cx.core.dist, 32 + i, &v, &gen, &own_gen);

		for (unsigned o = 0; o < NV; o++)
			if (sim.ag[o].e[i].present)
				owner = o;
		ck_assert_int_eq(owned, owner < NV);
		if (owned)
			ck_assert_uint_eq(v, owner);
		if (owner < NV)
			ck_assert(m_pending(i) || sim.m.active[i]);
		ck_assert_msg(!m_deliverable(i) || owner < NV, "SPI %u deliverable but held back",
			      32 + i);
	}
}

static void run(uint64_t seed, unsigned steps)
{
	memset(&sim, 0, sizeof(sim));
	sim.rng = seed;
	cx_init();
	for (unsigned i = 0; i < NS; i++)
		sim.m.group1[i] = true;
	for (unsigned v = 0; v < NV; v++) {
		sim.m.g0[v] = sim.m.g1[v] = true;
		sim.ag[v].consume_line = (seed + v) & 1;
	}
	for (unsigned s = 0; s < steps; s++) {
		unsigned r = rn(100), v = rn(NV);

		if (r < 30) {
			random_write();
		} else if (r < 40) {
			unsigned k = rn(4);

			bus_push((struct busmsg){ .kind = k ? B_LEVEL : B_PULSE,
						  .intid = 32 + pick_spi(),
						  .a = rn(2) });
		} else if (r < 52) {
			for (unsigned k = rn(4) + 1; k && agent_step(v); k--)
				;
		} else if (r < 62) {
			guest_step(v, true);
		} else if (r < 70) {
			guest_step(v, false);
		} else if (r < 88) {
			for (unsigned k = rn(6) + 1; k && bus_step(); k--)
				;
		} else if (r < 90) {
			bus_push((struct busmsg){
				.kind = B_CPU, .vcpu = v, .a = rn(4), .b = rn(4), .c = !rn(6) });
		} else if (r < 98) {
			check_reads();
		} else {
			check_quiescent();
			check_reads();
		}
	}
	check_quiescent();
	check_reads();
	ck_assert_uint_eq(cx.core.dist.stats.deact_not_owner, 0);
	ck_assert_uint_eq(cx.core.stats.query_unmatched, 0);
	ck_assert_uint_eq(cx.core.stats.read_busy, 0);
}

START_TEST(test_random_consistency)
{
	unsigned acks = 0, reads = 0, stale = 0;

	for (uint64_t seed = 1; seed <= 40; seed++) {
		run(seed * 0x9e3779b97f4a7c15ull, 3000);
		acks += sim.acks;
		reads += sim.reads;
		stale += (unsigned)cx.core.dist.stats.deact_stale;
	}
	/* The runs did exercise what they are meant to. */
	ck_assert_uint_gt(acks, 1000);
	ck_assert_uint_gt(reads, 1000);
	ck_assert_uint_gt(stale, 10);
}
END_TEST

Suite *core_model_suite(void)
{
	Suite *s = suite_create("core-model");
	TCase *tc = tcase_create("model");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_random_consistency);
	suite_add_tcase(s, tc);
	return s;
}
