// SPDX-License-Identifier: MIT
/*
 * Parked GICD reads and their Query/QueryReply round trips.  An answer
 * counts only for the ownership it was asked about (owner and the gen that
 * ownership started with): when the last reply is in, the read runs again
 * over the current state; an SPI that went idle meanwhile reads the
 * distributor's own state, one that changed hands is asked again.
 */
#include "core.h"

#include "histogram.h"
#include "log.h"

static void send_query(struct gic_core *c, struct core_read *r, unsigned bit)
{
	uint32_t intid = r->base + bit, gen, own_gen;
	struct core_query *q = &r->q[bit];
	Sg__Query m = SG__QUERY__INIT;
	Sg__Envelope env;
	unsigned vcpu;

	if (!dist_spi_owner(&c->dist, intid, &vcpu, &gen, &own_gen))
		return; /* cannot happen: need only names in-flight SPIs */
	q->id = c->reads.next_id++;
	q->vcpu = (uint16_t)vcpu;
	q->gen = gen;
	q->own_gen = own_gen;
	q->sent_ns = c->query_hist ? histogram_now_ns() : 0;
	r->waiting |= 1u << bit;
	r->answered &= ~(1u << bit);
	m.vcpu = vcpu;
	m.intid = intid;
	m.gen = gen; /* a Query does not advance gen: it changes nothing */
	m.query_id = q->id;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_QUERY;
	env.query = &m;
	c->stats.queries++;
	core_send_bus(c, &env);
}

static void ask(struct gic_core *c, struct core_read *r, uint32_t need)
{
	for (unsigned bit = 0; bit < 32; bit++)
		if (need & (1u << bit))
			send_query(c, r, bit);
}

void core_read_park(struct gic_core *c, unsigned vcpu, uint64_t seq, uint32_t offset, unsigned size,
		    const struct dist_overlay *ov)
{
	struct core_read *r = &c->reads.read[vcpu];

	*r = (struct core_read){
		.busy = true, .seq = seq, .offset = offset, .size = (uint8_t)size, .base = ov->base
	};
	c->stats.reads_deferred++;
	ask(c, r, ov->need);
}

/*
 * A vCPU waits for one reply at a time, so a later read means it no longer
 * waits for the parked one: after a restart with an fd store, the read it
 * sent again (its reply from the previous instance still unread when the
 * Resume came) was answered by that reply after all.  The parked read is
 * dropped; the answers to its Queries find nothing waiting and are ignored.
 */
bool core_read_busy(struct gic_core *c, unsigned vcpu, uint64_t seq)
{
	struct core_read *r;

	if (vcpu >= SG_MAX_VCPUS || !c->reads.read[vcpu].busy)
		return false;
	r = &c->reads.read[vcpu];
	if (seq <= r->seq)
		return true;
	{
		static struct sg_ratelimit rl = SG_RATELIMIT_INIT(1000, 10);

		sg_log_ratelimited(
			&rl, SG_LOG_NOTICE,
			"vCPU %u: read seq %llu replaces parked read seq %llu (one parked "
			"read per vCPU, at most %u Queries): its replies are dropped",
			vcpu, (unsigned long long)seq, (unsigned long long)r->seq,
			CORE_READ_MAX_QUERIES);
	}
	c->stats.reads_superseded++;
	r->busy = false;
	r->waiting = 0;
	return false;
}

/*
 * The answers that still describe their SPI's current ownership, as an
 * overlay.  A latch sent to the owner after its Query (the distributor
 * handing over a latch it held, e.g. one just given back) was pending all
 * along but shows neither in the answer nor in the distributor: add it.
 */
static void current_answers(const struct gic_core *c, const struct core_read *r,
			    struct dist_overlay *ov)
{
	uint32_t gen, own_gen;
	unsigned vcpu;

	*ov = (struct dist_overlay){ .pending = r->pending, .active = r->active };
	for (unsigned bit = 0; bit < 32; bit++) {
		const struct core_query *q = &r->q[bit];
		uint32_t intid = r->base + bit;

		if (!(r->answered & (1u << bit)))
			continue;
		if (!dist_spi_owner(&c->dist, intid, &vcpu, &gen, &own_gen) || vcpu != q->vcpu ||
		    own_gen != q->own_gen)
			continue;
		ov->known |= 1u << bit;
		if (dist_spi_latch_sent_after(&c->dist, intid, q->gen))
			ov->pending |= 1u << bit;
	}
}

static void try_complete(struct gic_core *c, unsigned chan, struct core_read *r)
{
	struct dist_overlay ov;
	enum dist_status st;
	uint64_t data;

	current_answers(c, r, &ov);
	st = dist_mmio_read_owned(&c->dist, chan, r->offset, r->size, &data, &ov);
	if (st == DIST_DEFER) {
		c->stats.reads_requeried++;
		ask(c, r, ov.need);
		return;
	}
	r->busy = false;
	c->stats.reads_completed++;
	core_mmio_reply(c, chan, r->seq, data,
			st == DIST_OK ? SG__MMIO_REPLY__STATUS__OK
				      : SG__MMIO_REPLY__STATUS__IGNORED);
}

/* The parked read and bit waiting for query id, or NULL. */
static struct core_read *find_query(struct gic_core *c, uint64_t id, unsigned *chan, unsigned *bit)
{
	for (unsigned i = 0; i < c->shape.nr_vcpus && i < SG_MAX_VCPUS; i++) {
		struct core_read *r = &c->reads.read[i];

		if (!r->busy)
			continue;
		for (unsigned b = 0; b < 32; b++)
			if ((r->waiting & (1u << b)) && r->q[b].id == id) {
				*chan = i;
				*bit = b;
				return r;
			}
	}
	return NULL;
}

void core_read_answer(struct gic_core *c, const Sg__QueryReply *m)
{
	unsigned chan, bit;
	struct core_read *r = find_query(c, m->query_id, &chan, &bit);
	uint32_t mask;

	if (!r || m->vcpu != r->q[bit].vcpu || m->intid != r->base + bit) {
		c->stats.query_unmatched++;
		sg_reject_log("QueryReply %llu from vCPU %u for INTID %u answers no Query",
			      (unsigned long long)m->query_id, m->vcpu, m->intid);
		return;
	}
	histogram_since(c->query_hist, r->q[bit].sent_ns);
	mask = 1u << bit;
	r->waiting &= ~mask;
	r->answered |= mask;
	r->pending = m->pending ? r->pending | mask : r->pending & ~mask;
	r->active = m->active ? r->active | mask : r->active & ~mask;
	if (!r->waiting)
		try_complete(c, chan, r);
}
