// SPDX-License-Identifier: MIT
/*
 * PPI input lines driven by the VMM (KVM's user-irqchip ABI: the timers and
 * the PMU are level-sensitive lines), and HW mapping of private interrupts.
 *
 * Lock order: takes only the target vCPU's lock; the kick function is called
 * after it is released.
 */
#include <errno.h>

#include "agent_internal.h"
#include "log.h"

void sg_vcpu_set_ppi_level(struct sg_vcpu *v, unsigned intid, bool level)
{
	struct sg_irq *irq;
	bool kick = false, rose;

	if (!gic_intid_is_ppi(intid)) {
		STAT_INC_ATOMIC(v, SG_STAT_BAD_INPUT);
		sg_reject_log("vCPU %u: PPI level for INTID %u ignored", v->idx, intid);
		return;
	}
	irq = &v->priv[intid];
	pthread_mutex_lock(&v->lock);
	rose = level && !irq->line_level;
	/* An edge-configured line latches on its rising edge. */
	if (irq->edge && rose)
		irq->pending_latch = true;
	irq->line_level = level;
	/* Only a rising line is news: VMMs report lines after every exit, and
	 * a falling one needs no kick (sync drops the entry once the guest's
	 * copy is gone; a level interrupt may be taken late). */
	if (rose && sg_vcpu_queue_locked(v, irq)) {
		sg_vcpu_wake_locked(v);
		kick = true;
	}
	pthread_mutex_unlock(&v->lock);
	if (kick)
		sg_vcpu_kick_fn(v);
}

void sg_vcpu_set_device_irq_level(struct sg_vcpu *v, uint64_t device_irq_level)
{
	sg_vcpu_set_ppi_level(v, GIC_PPI_VTIMER, device_irq_level & SG_DEV_EL1_VTIMER);
	sg_vcpu_set_ppi_level(v, GIC_PPI_PTIMER, device_irq_level & SG_DEV_EL1_PTIMER);
	sg_vcpu_set_ppi_level(v, GIC_PPI_PMU, device_irq_level & SG_DEV_PMU);
}

/* Physical INTIDs an LR can name with HW=1: PPIs and SPIs. */
static bool pintid_valid(unsigned pintid)
{
	return pintid >= GIC_NR_SGIS && pintid <= GIC_MAX_SPI_INTID;
}

int sg_vcpu_map_hw(struct sg_vcpu *v, unsigned vintid, unsigned pintid)
{
	/* SGIs cannot be HW-backed in a GICv3 LR. */
	if (!gic_intid_is_ppi(vintid) || !pintid_valid(pintid)) {
		STAT_INC_ATOMIC(v, SG_STAT_BAD_INPUT);
		return -EINVAL;
	}
	pthread_mutex_lock(&v->lock);
	v->priv[vintid].hw = true;
	v->priv[vintid].pintid = (uint16_t)pintid;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

int sg_vcpu_unmap_hw(struct sg_vcpu *v, unsigned vintid)
{
	if (!gic_intid_is_ppi(vintid)) {
		STAT_INC_ATOMIC(v, SG_STAT_BAD_INPUT);
		return -EINVAL;
	}
	pthread_mutex_lock(&v->lock);
	v->priv[vintid].hw = false;
	v->priv[vintid].pintid = 0;
	pthread_mutex_unlock(&v->lock);
	return 0;
}
