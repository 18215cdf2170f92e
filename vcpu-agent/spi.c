// SPDX-License-Identifier: MIT
/*
 * The redistributor side of SPI ownership (docs/protocol.md, DESIGN §3):
 * while an SPI is in flight its pending and active state live in the
 * owning vCPU's entry here; the daemon adds state with Deliver, takes it
 * back with Retract, asks for it with Query, and learns that the owner holds
 * nothing more from Deactivated.  Every answer echoes the generation of the
 * daemon's last message, so crossed messages resolve on the daemon side.
 *
 * Runs in the bus thread.  Lock order: one vCPU lock at a time (the target
 * of the message); sg_vcpu_hold() may drop and retake it to let the vCPU
 * leave the guest when the SPI sits in one of its List registers.
 */
#include "agent_internal.h"
#include "log.h"

static struct sg_irq *spi_entry(struct sg_vm *vm, unsigned vcpu, uint32_t intid,
				struct sg_vcpu **vp)
{
	/* Ranges were validated against the shape with the message. */
	*vp = &vm->vcpus[vcpu];
	return &(*vp)->spis[intid - GIC_SPI_BASE];
}

static void post_deactivated(struct sg_vcpu *v, struct sg_irq *irq, bool returned)
{
	struct bus_rec r = {
		.kind = BUS_REC_DEACTIVATED, .a = returned, .intid = irq->intid, .gen = irq->gen
	};

	sg_bus_post_locked(v, &r);
}

void sg_spi_released_locked(struct sg_vcpu *v, struct sg_irq *irq)
{
	post_deactivated(v, irq, irq->returned_latch);
	irq->returned_latch = false;
	irq->pending_latch = false;
	irq->line_level = false;
}

/* Drops the entry from the ap_list if it holds nothing: ownership ends. */
static void release_if_idle(struct sg_vcpu *v, struct sg_irq *irq, bool returned)
{
	if (sg_irq_queueable(irq))
		return;
	if (irq->on_ap_list) {
		sg_list_del(&irq->ap);
		irq->on_ap_list = false;
	}
	irq->returned_latch |= returned;
	sg_spi_released_locked(v, irq);
}

void sg_spi_deliver(struct sg_vm *vm, const Sg__Deliver *d)
{
	struct sg_vcpu *v;
	struct sg_irq *irq = spi_entry(vm, d->vcpu, d->intid, &v);
	bool kick = false;

	pthread_mutex_lock(&v->lock);
	irq->gen = d->gen;
	irq->priority = (uint8_t)(d->priority & ((0xFFu << (8 - SG_VPRI_BITS)) & 0xFFu));
	irq->group1 = d->group != 0;
	irq->edge = !d->level;
	/* The daemon delivers only what is enabled; disabling is a Retract. */
	irq->enabled = true;
	if (d->set_latch)
		irq->pending_latch = true;
	/* Forwardable again (re-enabled): a latch kept aside is pending again. */
	if ((d->set_latch || d->set_line) && irq->returned_latch) {
		irq->pending_latch = true;
		irq->returned_latch = false;
	}
	if (d->set_line)
		irq->line_level = true;
	if (d->set_active)
		irq->active = true;
	if (sg_vcpu_queue_locked(v, irq)) {
		sg_vcpu_wake_locked(v);
		kick = true;
	} else if (irq->lr >= 0) {
		/* Its pending state is in a running vCPU's LR (flush moved an
		 * edge's latch there): the vCPU's sync decides, the kick makes
		 * the LR pick up the new attributes. */
		sg_vcpu_wake_locked(v);
		kick = true;
	} else {
		/* An attribute update for an SPI this vCPU released meanwhile:
		 * say so, the daemon still counts it as ours. */
		release_if_idle(v, irq, false);
	}
	pthread_mutex_unlock(&v->lock);
	VM_STAT_INC(vm, SG_VM_SPI_DELIVERED);
	if (kick)
		sg_vcpu_kick_fn(v);
	sg_bus_wake(vm);
}

void sg_spi_retract(struct sg_vm *vm, const Sg__Retract *r)
{
	struct sg_vcpu *v;
	struct sg_irq *irq = spi_entry(vm, r->vcpu, r->intid, &v);
	bool held = false, returned = false;

	pthread_mutex_lock(&v->lock);
	irq->gen = r->gen;
	/* The state in a running vCPU's LR is the truth: get it back first. */
	if (irq->lr >= 0)
		sg_vcpu_hold(NULL, v, &held);
	if (r->return_latch && irq->pending_latch) {
		/* Pending but not yet taken goes back to the distributor; when the
		 * interrupt is also active it goes back once the guest is done. */
		if (irq->active)
			irq->returned_latch = true;
		else
			returned = true;
	}
	if (r->clear_latch || r->return_latch)
		irq->pending_latch = false;
	/* ICPENDR also removes a latch kept aside for the distributor. */
	if (r->clear_latch && !r->return_latch)
		irq->returned_latch = false;
	if (r->clear_line || r->return_latch)
		irq->line_level = false;
	if (r->clear_active)
		sg_irq_clear_active(irq);
	release_if_idle(v, irq, returned);
	sg_vcpu_release(v, held);
	pthread_mutex_unlock(&v->lock);
	VM_STAT_INC(vm, SG_VM_SPI_RETRACTED);
	sg_bus_wake(vm);
}

void sg_spi_query(struct sg_vm *vm, const Sg__Query *q)
{
	struct sg_vcpu *v;
	struct sg_irq *irq = spi_entry(vm, q->vcpu, q->intid, &v);
	struct bus_rec rec = { .kind = BUS_REC_QUERY_REPLY, .intid = q->intid, .id = q->query_id };
	bool held = false;

	pthread_mutex_lock(&v->lock);
	/* Answer from the last synced state, after making the vCPU sync if the
	 * SPI is in one of its List registers (DESIGN §3). */
	if (irq->lr >= 0)
		sg_vcpu_hold(NULL, v, &held);
	if (irq->on_ap_list) {
		rec.a = sg_irq_pending(irq) || irq->returned_latch;
		rec.b = irq->active;
	}
	sg_bus_post_locked(v, &rec);
	sg_vcpu_release(v, held);
	pthread_mutex_unlock(&v->lock);
	VM_STAT_INC(vm, SG_VM_QUERIES);
	sg_bus_wake(vm);
}
