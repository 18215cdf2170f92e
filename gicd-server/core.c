// SPDX-License-Identifier: MIT
#include "core.h"

#include <string.h>

#include "log.h"

void core_init(struct gic_core *c, const struct sg_vm_shape *shape, const struct core_out *out)
{
	memset(c, 0, sizeof(*c));
	c->shape = *shape;
	c->out = *out;
	dist_init(&c->dist, &c->shape);
}

bool core_is_fence(const Sg__Envelope *env)
{
	return env->body_case == SG__ENVELOPE__BODY_MMIO && !env->mmio->posted;
}

static void reply(struct gic_core *c, unsigned chan, uint64_t seq, uint64_t data,
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
	c->out.send(c->out.ctx, chan, &env);
}

static Sg__MmioReply__Status gicd_access(struct gic_core *c, unsigned vcpu, const Sg__Mmio *m,
					 uint32_t offset, uint64_t *data)
{
	enum dist_status st;

	if (m->write)
		st = dist_mmio_write(&c->dist, vcpu, offset, m->size, m->data);
	else
		st = dist_mmio_read(&c->dist, vcpu, offset, m->size, data);
	if (st == DIST_IGNORED) {
		c->stats.mmio_ignored++;
		return SG__MMIO_REPLY__STATUS__IGNORED;
	}
	return SG__MMIO_REPLY__STATUS__OK;
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
		status = gicd_access(c, vcpu, m, (uint32_t)hit.offset, &data);
		break;
	default:
		/* Redistributors are the agent's; ITS frames arrive with issue 5. */
		c->stats.mmio_unmapped++;
		sg_reject_log("vCPU %u: %s of 0x%llx is not a frame gicd-server serves", vcpu,
			      m->write ? "write" : "read", (unsigned long long)m->addr);
		status = SG__MMIO_REPLY__STATUS__UNMAPPED;
		break;
	}
	if (!m->posted)
		reply(c, vcpu, seq, data, status);
}

void core_handle(struct gic_core *c, unsigned chan, const Sg__Envelope *env)
{
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_MMIO:
		handle_mmio(c, chan, env->seq, env->mmio);
		break;
	case SG__ENVELOPE__BODY_SPI_LEVEL: {
		const Sg__SpiLevel *l = env->spi_level;

		c->stats.spi_level++;
		if (l->pulse) {
			dist_spi_set_line(&c->dist, l->intid, true);
			dist_spi_set_line(&c->dist, l->intid, false);
		} else {
			dist_spi_set_line(&c->dist, l->intid, l->level);
		}
		break;
	}
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
