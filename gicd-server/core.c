// SPDX-License-Identifier: MIT
#include "core.h"

#include <string.h>

#include "log.h"
#include "trace.h"

/* The Deliver or Retract about to go on the bus, for the trace points. */
static void trace_bus(const Sg__Envelope *env)
{
	if (env->body_case == SG__ENVELOPE__BODY_DELIVER && TRACE_ON(deliver)) {
		const Sg__Deliver *d = env->deliver;

		trace_irq_slow(TRACE_DELIVER, d->vcpu, d->intid, d->gen,
			       (d->set_latch ? TRACE_DELIVER_SET_LATCH : 0) |
				       (d->set_line ? TRACE_DELIVER_SET_LINE : 0) |
				       (d->set_active ? TRACE_DELIVER_SET_ACTIVE : 0) |
				       (d->level ? TRACE_DELIVER_LEVEL : 0),
			       d->priority, d->group);
	} else if (env->body_case == SG__ENVELOPE__BODY_RETRACT && TRACE_ON(retract)) {
		const Sg__Retract *r = env->retract;

		trace_irq_slow(TRACE_RETRACT, r->vcpu, r->intid, r->gen,
			       (r->clear_latch ? TRACE_RETRACT_CLEAR_LATCH : 0) |
				       (r->clear_line ? TRACE_RETRACT_CLEAR_LINE : 0) |
				       (r->clear_active ? TRACE_RETRACT_CLEAR_ACTIVE : 0) |
				       (r->return_latch ? TRACE_RETRACT_RETURN_LATCH : 0),
			       0, 0);
	}
}

void core_send_bus(struct gic_core *c, const Sg__Envelope *env)
{
	trace_bus(env);
	c->out.send(c->out.ctx, core_bus_chan(&c->shape), env);
}

/* The distributor's Deliver/Retract go on the bus. */
static void dist_bus_send(void *ctx, const Sg__Envelope *env)
{
	core_send_bus(ctx, env);
}

/* ------------------------------------------- the ITS's bus messages */

static void its_send(struct gic_core *c, Sg__Envelope *env)
{
	core_send_bus(c, env);
}

static void its_deliver(void *ctx, unsigned vcpu, uint32_t intid)
{
	Sg__Deliver d = SG__DELIVER__INIT;
	Sg__Envelope env;

	d.vcpu = vcpu;
	d.intid = intid;
	d.set_latch = true;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DELIVER;
	env.deliver = &d;
	its_send(ctx, &env);
}

static void its_clear(void *ctx, unsigned vcpu, uint32_t intid)
{
	Sg__Retract r = SG__RETRACT__INIT;
	Sg__Envelope env;

	r.vcpu = vcpu;
	r.intid = intid;
	r.clear_latch = true;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_RETRACT;
	env.retract = &r;
	its_send(ctx, &env);
}

static void its_inv(void *ctx, unsigned vcpu, uint32_t intid)
{
	Sg__Inv m = SG__INV__INIT;
	Sg__Envelope env;

	m.vcpu = vcpu;
	m.intid = intid;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_INV;
	env.inv = &m;
	its_send(ctx, &env);
}

static void its_invall(void *ctx, unsigned vcpu)
{
	Sg__InvAll m = SG__INV_ALL__INIT;
	Sg__Envelope env;

	m.vcpu = vcpu;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_INV_ALL;
	env.inv_all = &m;
	its_send(ctx, &env);
}

static void its_sync(void *ctx, unsigned vcpu, uint64_t sync_id)
{
	Sg__Sync m = SG__SYNC__INIT;
	Sg__Envelope env;

	m.vcpu = vcpu;
	m.sync_id = sync_id;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_SYNC;
	env.sync = &m;
	its_send(ctx, &env);
}

static void its_move(void *ctx, unsigned from, unsigned to, uint32_t intid)
{
	Sg__Move m = SG__MOVE__INIT;
	Sg__Envelope env;

	m.vcpu = from;
	m.to_vcpu = to;
	m.intid = intid;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MOVE;
	env.move = &m;
	its_send(ctx, &env);
}

static void its_movall(void *ctx, unsigned from, unsigned to)
{
	Sg__MovAll m = SG__MOV_ALL__INIT;
	Sg__Envelope env;

	m.vcpu = from;
	m.to_vcpu = to;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MOV_ALL;
	env.mov_all = &m;
	its_send(ctx, &env);
}

void core_init(struct gic_core *c, const struct sg_vm_shape *shape, struct guest_ram *ram,
	       const struct core_out *out)
{
	struct dist_bus bus = { .send = dist_bus_send, .ctx = c };
	struct its_out its_out = {
		.deliver_lpi = its_deliver,
		.clear_lpi = its_clear,
		.inv = its_inv,
		.invall = its_invall,
		.sync = its_sync,
		.move = its_move,
		.movall = its_movall,
		.ctx = c,
	};

	memset(c, 0, sizeof(*c));
	c->shape = *shape;
	c->out = *out;
	c->reads.next_id = 1;
	dist_init(&c->dist, &c->shape);
	dist_set_bus(&c->dist, &bus);
	for (unsigned i = 0; i < c->shape.map.nr_its; i++)
		its_init(&c->its[i], i, &c->shape, ram, &its_out);
}

bool core_is_fence(const Sg__Envelope *env)
{
	return env->body_case == SG__ENVELOPE__BODY_MMIO && !env->mmio->posted;
}

void core_mmio_reply(struct gic_core *c, unsigned chan, uint64_t seq, uint64_t data,
		     Sg__MmioReply__Status status)
{
	Sg__MmioReply r = SG__MMIO_REPLY__INIT;
	Sg__Envelope env;

	r.seq = seq;
	r.data = data;
	r.status = status;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MMIO_REPLY;
	env.mmio_reply = &r;
	trace_mmio_reply(chan, seq, data, (unsigned)status);
	c->out.send(c->out.ctx, chan, &env);
}

/* A GICD access; false if it was parked (a read waiting for SPI owners). */
static bool gicd_access(struct gic_core *c, unsigned vcpu, uint64_t seq, const Sg__Mmio *m,
			uint32_t offset, uint64_t *data, Sg__MmioReply__Status *status)
{
	struct dist_overlay ov = { 0 };
	enum dist_status st;

	if (m->write) {
		st = dist_mmio_write(&c->dist, vcpu, offset, m->size, m->data);
	} else if (core_read_busy(c, vcpu, seq)) {
		/* The vCPU waits for its parked read: the same one again breaks
		 * the protocol.  Answer it without state rather than lose either. */
		c->stats.read_busy++;
		sg_reject_log("vCPU %u: read while an earlier read is still parked", vcpu);
		*status = SG__MMIO_REPLY__STATUS__IGNORED;
		return true;
	} else {
		st = dist_mmio_read_owned(&c->dist, vcpu, offset, m->size, data, &ov);
	}
	if (st == DIST_DEFER) {
		core_read_park(c, vcpu, seq, offset, m->size, &ov);
		return false;
	}
	if (st == DIST_IGNORED) {
		c->stats.mmio_ignored++;
		*status = SG__MMIO_REPLY__STATUS__IGNORED;
	} else {
		*status = SG__MMIO_REPLY__STATUS__OK;
	}
	return true;
}

static void handle_mmio(struct gic_core *c, unsigned vcpu, uint64_t seq, const Sg__Mmio *m)
{
	Sg__MmioReply__Status status;
	struct sg_frame_hit hit;
	uint64_t data = 0;

	if (m->write)
		c->stats.mmio_writes++;
	else
		c->stats.mmio_reads++;
	if (m->posted)
		c->stats.mmio_posted++;

	sg_addr_decode(&c->shape, m->addr, &hit);
	switch (hit.frame) {
	case SG_FRAME_GICD:
		if (!gicd_access(c, vcpu, seq, m, (uint32_t)hit.offset, &data, &status))
			return; /* answered when the owners have replied */
		break;
	case SG_FRAME_ITS: {
		struct its *its = &c->its[hit.index];
		enum its_status st =
			m->write ? its_mmio_write(its, vcpu, (uint32_t)hit.offset, m->size, m->data)
				 : its_mmio_read(its, vcpu, (uint32_t)hit.offset, m->size, &data);

		if (st == ITS_IGNORED)
			c->stats.mmio_ignored++;
		status = st == ITS_IGNORED ? SG__MMIO_REPLY__STATUS__IGNORED
					   : SG__MMIO_REPLY__STATUS__OK;
		break;
	}
	default:
		/* Redistributors are the agent's. */
		c->stats.mmio_unmapped++;
		sg_reject_log("vCPU %u: %s of 0x%llx is not a frame gicd-server serves", vcpu,
			      m->write ? "write" : "read", (unsigned long long)m->addr);
		status = SG__MMIO_REPLY__STATUS__UNMAPPED;
		break;
	}
	if (!m->posted)
		core_mmio_reply(c, vcpu, seq, data, status);
}

void core_handle(struct gic_core *c, unsigned chan, const Sg__Envelope *env)
{
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_MMIO: handle_mmio(c, chan, env->seq, env->mmio); break;
	case SG__ENVELOPE__BODY_SPI_LEVEL: {
		const Sg__SpiLevel *l = env->spi_level;

		c->stats.spi_level++;
		trace_spi_level(l->intid, l->level, l->pulse);
		if (l->pulse)
			dist_spi_pulse(&c->dist, l->intid);
		else
			dist_spi_set_line(&c->dist, l->intid, l->level);
		break;
	}
	case SG__ENVELOPE__BODY_DEACTIVATED: {
		const Sg__Deactivated *m = env->deactivated;

		c->stats.deactivated++;
		trace_deactivate(m->vcpu, m->intid, m->gen, m->returned_latch);
		dist_spi_deactivated(&c->dist, m->vcpu, m->intid, m->gen, m->returned_latch);
		break;
	}
	case SG__ENVELOPE__BODY_CPU_STATE: {
		const Sg__CpuState *m = env->cpu_state;

		c->stats.cpu_state++;
		dist_cpu_state(&c->dist, m->vcpu, m->grp0_enabled, m->grp1_enabled, m->asleep);
		break;
	}
	case SG__ENVELOPE__BODY_MSI: {
		const Sg__Msi *m = env->msi;

		/* From a device model on the bus, or a vCPU's GITS_TRANSLATER
		 * write on its MMIO channel; the ITS index was validated. */
		c->stats.msi++;
		its_msi(&c->its[m->its], m->device_id, m->event_id);
		break;
	}
	case SG__ENVELOPE__BODY_SYNC_DONE: {
		int idx = its_sync_id_index(env->sync_done->sync_id);

		c->stats.sync_done++;
		if (idx >= 0 && (unsigned)idx < c->shape.map.nr_its)
			its_sync_done(&c->its[idx], env->sync_done->sync_id);
		break;
	}
	case SG__ENVELOPE__BODY_RESYNC: {
		const Sg__Resync *r = env->resync;
		unsigned n = dist_resync(&c->dist, r->vcpu, r->spis, r->n_spis);

		c->stats.resync++;
		c->stats.resync_repairs += n;
		if (n) /* the VMM sends Resync: rate-limited */
			sg_reject_log("vCPU %u's Resync disagreed with the distributor on %u SPIs: "
				      "repaired from the agent's view",
				      r->vcpu, n);
		break;
	}
	case SG__ENVELOPE__BODY_QUERY_REPLY:
		c->stats.query_replies++;
		core_read_answer(c, env->query_reply);
		break;
	case SG__ENVELOPE__BODY_BATCH:
		for (size_t i = 0; i < env->batch->n_msgs; i++)
			core_handle(c, chan, env->batch->msgs[i]);
		break;
	default:
		c->stats.unhandled++;
		sg_debug("channel %u: %s not handled yet", chan, sg_wire_body_name(env->body_case));
		break;
	}
}
