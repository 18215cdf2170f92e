// SPDX-License-Identifier: MIT
/*
 * A vCPU's redistributor frames, RD_base and SGI_base, as KVM presents them
 * to a GICv3 guest with GICD_CTLR.DS=1.  Served in the accessing vCPU's
 * thread; the frame may belong to another vCPU.
 *
 * Lock order: takes only the target vCPU's lock (sg_vcpu.lock), never two
 * vCPU locks; no lock is held across a kick function.  State that sits in a
 * running target's List registers is read or changed only after
 * sg_vcpu_hold() has made the target sync (vcpu.c).  The LPI side of the
 * RD_base registers (EnableLPIs, INVLPIR, INVALLR) is lpi.c's, called with
 * the target's lock held; SYNCR has nothing to wait for: every LPI
 * register write has taken effect when the access returns.
 *
 * Accesses: 32-bit registers take 32-bit accesses, IPRIORITYR also bytes,
 * 64-bit registers 64-bit accesses or either 32-bit half.  Anything else,
 * and every reserved offset, is RAZ/WI and counted (SG_STAT_MMIO_REJECTED).
 */
#include "agent_internal.h"
#include "log.h"

/* Memory attribute fields of GICR_PROPBASER / GICR_PENDBASER. */
#define BASER_INNER_MASK (7ull << GICR_BASER_INNERCACHE_SHIFT)
#define BASER_SHARE_MASK (3ull << GICR_BASER_SHAREABILITY_SHIFT)
#define BASER_OUTER_MASK (7ull << GICR_BASER_OUTERCACHE_SHIFT)
#define CACHE_NCNB	 0ull
#define CACHE_NC	 1ull
#define CACHE_RAWB	 3ull
#define SHARE_INNER	 1ull
#define SHARE_OUTER	 2ull
/* Priority bits the virtual CPU interface implements (IPRIORITYR is RAZ/WI below). */
#define PRIORITY_MASK ((uint8_t)(0xFFu << (8 - SG_VPRI_BITS)))
/* ICFGR0: every SGI edge-triggered (0b10 per field). */
#define ICFGR0_VALUE 0xAAAAAAAAu

/*
 * Like KVM: no inner non-cacheable mapping, no outer cacheable one, Outer
 * Shareable downgraded to Inner Shareable; everything else as written.
 */
static uint64_t sanitise_baser(uint64_t val, uint64_t keep_mask)
{
	uint64_t inner = (val & BASER_INNER_MASK) >> GICR_BASER_INNERCACHE_SHIFT;
	uint64_t share = (val & BASER_SHARE_MASK) >> GICR_BASER_SHAREABILITY_SHIFT;
	uint64_t outer = (val & BASER_OUTER_MASK) >> GICR_BASER_OUTERCACHE_SHIFT;

	if (inner == CACHE_NCNB || inner == CACHE_NC)
		inner = CACHE_RAWB;
	if (share == SHARE_OUTER)
		share = SHARE_INNER;
	if (outer != 0 && outer != CACHE_NC)
		outer = 0; /* SameAsInner */
	val &= keep_mask & ~(BASER_INNER_MASK | BASER_SHARE_MASK | BASER_OUTER_MASK);
	return val | inner << GICR_BASER_INNERCACHE_SHIFT | share << GICR_BASER_SHAREABILITY_SHIFT |
	       outer << GICR_BASER_OUTERCACHE_SHIFT;
}

#define PROPBASER_KEEP                                                                             \
	(GICR_PROPBASER_IDBITS_MASK | GICR_PROPBASER_PA_MASK | BASER_INNER_MASK |                  \
	 BASER_SHARE_MASK | BASER_OUTER_MASK)
#define PENDBASER_KEEP                                                                             \
	(GICR_PENDBASER_PA_MASK | GICR_PENDBASER_PTZ | BASER_INNER_MASK | BASER_SHARE_MASK |       \
	 BASER_OUTER_MASK)

static uint64_t typer(const struct sg_vcpu *t)
{
	uint64_t val = (uint64_t)mpidr_to_aff32(t->mpidr) << GICR_TYPER_AFF_SHIFT;

	val |= (uint64_t)(t->idx & 0xFFFF) << GICR_TYPER_PROCNUM_SHIFT;
	if (t->vm->has_its)
		val |= GICR_TYPER_PLPIS;
	if (t->idx == t->vm->shape.nr_vcpus - 1)
		val |= GICR_TYPER_LAST;
	return val;
}

/* Merges a 32-bit half (size 4) or a whole (size 8) write into a 64-bit register. */
static uint64_t merge64(uint64_t old, uint32_t off, unsigned size, uint64_t val)
{
	unsigned shift;

	if (size == 8)
		return val;
	shift = (off & 4) * 8;
	return (old & ~(0xFFFFFFFFull << shift)) | ((val & 0xFFFFFFFFull) << shift);
}

static uint64_t extract64(uint64_t reg, uint32_t off, unsigned size)
{
	return size == 8 ? reg : (reg >> ((off & 4) * 8)) & 0xFFFFFFFFull;
}

/* ---------------------------------------------------------- RD_base */

static bool rd_reg64(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t off, unsigned size,
		     bool write, uint64_t *data, bool *kick)
{
	uint32_t base = off & ~7u;
	uint64_t *reg, keep;

	switch (base) {
	case GICR_TYPER:
		if (!write)
			*data = extract64(typer(t), off, size);
		return true;
	case GICR_PROPBASER:
		reg = &t->rd.propbaser;
		keep = PROPBASER_KEEP;
		break;
	case GICR_PENDBASER:
		reg = &t->rd.pendbaser;
		keep = PENDBASER_KEEP;
		break;
	case GICR_INVLPIR:
		/* Write-only (reads 0).  INTID in [31:0]; V (bit 63) names a
		 * virtual LPI, which does not exist without GICv4.  A 32-bit
		 * write to the upper half carries no INTID. */
		if (write && (size == 8 || !(off & 4)) && !(size == 8 && (*data >> 63)))
			*kick |= sg_lpi_inv_locked(acc, t, (uint32_t)*data);
		return true;
	case GICR_INVALLR:
		/* Write-only; any value (V = 0 is the only one without GICv4). */
		if (write && !(size == 8 && (*data >> 63)))
			*kick |= sg_lpi_invall_locked(acc, t);
		return true;
	default: return false;
	}
	if (!write) {
		uint64_t val = *reg;

		/* PTZ is write-only: it reads as zero. */
		if (base == GICR_PENDBASER)
			val &= ~GICR_PENDBASER_PTZ;
		*data = extract64(val, off, size);
	} else if (!t->rd.enable_lpis) {
		/* Writes are ignored once LPIs are enabled. */
		*reg = sanitise_baser(merge64(*reg, off, size, *data), keep);
	}
	return true;
}

static bool rd_reg32(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t off, bool write,
		     uint64_t *data, bool *kick)
{
	uint32_t val = (uint32_t)*data;

	switch (off) {
	case GICR_CTLR:
		if (!write) {
			/* RWP is never set: nothing here completes late.
			 * IR and CES as KVM reports them: INVLPIR/INVALLR/SYNCR
			 * exist and EnableLPIs can be cleared. */
			*data = (t->rd.enable_lpis ? GICR_CTLR_ENABLE_LPIS : 0) | GICR_CTLR_IR |
				GICR_CTLR_CES;
		} else if (t->vm->has_its) {
			bool en = (val & GICR_CTLR_ENABLE_LPIS) != 0;

			/* 0 -> 1 reads the pending table; 1 -> 0 writes it back
			 * and leaves nothing pending here (lpi.c). */
			if (en && !t->rd.enable_lpis) {
				t->rd.enable_lpis = true;
				*kick |= sg_lpi_enable_locked(t);
			} else if (!en && t->rd.enable_lpis) {
				t->rd.enable_lpis = false;
				sg_lpi_disable_locked(acc, t);
			}
		}
		return true;
	case GICR_IIDR:
		if (!write)
			*data = SG_IIDR;
		return true;
	case GICR_STATUSR: return true; /* RAZ/WI: no errors are recorded */
	case GICR_WAKER:
		/* ChildrenAsleep follows ProcessorSleep at once: there is no
		 * interface to quiesce.  Delivery is not gated on it. */
		if (write)
			t->rd.proc_sleep = (val & GICR_WAKER_PROCESSOR_SLEEP) != 0;
		else
			*data = t->rd.proc_sleep
					? GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
					: 0;
		return true;
	case GICR_SYNCR: return true; /* Busy reads 0: LPI writes complete at once */
	default:
		if (off >= GIC_IDREGS_START) {
			if (!write)
				*data = gic_idreg(off, SG_PART_GICR);
			return true;
		}
		return false;
	}
}

static bool rd_access(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t off, unsigned size,
		      bool write, uint64_t *data, bool *kick)
{
	switch (off & ~7u) {
	case GICR_TYPER:
	case GICR_PROPBASER:
	case GICR_PENDBASER:
	case GICR_INVLPIR:
	case GICR_INVALLR:
		if (size == 8 ? (off & 7) != 0 : size != 4)
			return false;
		return rd_reg64(acc, t, off, size, write, data, kick);
	default:
		if (size != 4)
			return false;
		return rd_reg32(acc, t, off, write, data, kick);
	}
}

/* ---------------------------------------------------------- SGI_base */

/* Bits of the private interrupts that sit in t's LRs right now. */
static uint32_t in_lr_mask(const struct sg_vcpu *t)
{
	uint32_t m = 0;

	if (!t->in_guest)
		return 0;
	for (unsigned i = 0; i < GIC_NR_PRIVATE; i++)
		if (t->priv[i].lr >= 0)
			m |= 1u << i;
	return m;
}

/* Pending as the guest would see it: the LR copy too if t could not be synced. */
static bool seen_pending(const struct sg_irq *irq)
{
	return sg_irq_pending(irq) ||
	       (irq->lr >= 0 && (irq->lr_state & (ICH_LR_PENDING >> ICH_LR_STATE_SHIFT)));
}

static bool seen_active(const struct sg_irq *irq)
{
	return irq->active ||
	       (irq->lr >= 0 && (irq->lr_state & (ICH_LR_ACTIVE >> ICH_LR_STATE_SHIFT)));
}

enum bit_op {
	OP_READ_PENDING,
	OP_READ_ACTIVE,
	OP_SET_PENDING,
	OP_CLEAR_PENDING,
	OP_SET_ACTIVE,
	OP_CLEAR_ACTIVE
};

/* Pending/active registers: their state may live in t's LRs. */
static bool state_access(struct sg_vcpu *acc, struct sg_vcpu *t, enum bit_op op, uint32_t bits,
			 uint64_t *data)
{
	bool held = false, kick = false;
	uint32_t touch = op <= OP_READ_ACTIVE ? 0xFFFFFFFFu : bits, val = 0;

	if (in_lr_mask(t) & touch)
		sg_vcpu_hold(acc, t, &held);
	for (unsigned i = 0; i < GIC_NR_PRIVATE; i++) {
		struct sg_irq *irq = &t->priv[i];

		switch (op) {
		case OP_READ_PENDING: val |= (uint32_t)seen_pending(irq) << i; continue;
		case OP_READ_ACTIVE: val |= (uint32_t)seen_active(irq) << i; continue;
		default: break;
		}
		if (!(bits & (1u << i)))
			continue;
		switch (op) {
		case OP_SET_PENDING: irq->pending_latch = true; break;
		case OP_CLEAR_PENDING: irq->pending_latch = false; break;
		case OP_SET_ACTIVE: irq->active = true; break;
		case OP_CLEAR_ACTIVE: sg_irq_clear_active(irq); break;
		default: break;
		}
		kick |= sg_vcpu_queue_locked(t, irq);
	}
	if (op <= OP_READ_ACTIVE)
		*data = val;
	if (kick)
		sg_vcpu_wake_locked(t);
	sg_vcpu_release(t, held);
	return kick;
}

static bool priority_access(struct sg_vcpu *t, uint32_t o, unsigned size, bool write,
			    uint64_t *data)
{
	unsigned first = o - GICR_IPRIORITYR0;
	uint64_t val = 0;

	if ((size != 1 && size != 4) || (o & (size - 1)))
		return false;
	for (unsigned i = 0; i < size; i++) {
		struct sg_irq *irq = &t->priv[first + i];

		if (write)
			irq->priority = (uint8_t)(*data >> (8 * i)) & PRIORITY_MASK;
		else
			val |= (uint64_t)irq->priority << (8 * i);
	}
	if (!write)
		*data = val;
	return true;
}

/* Returns false for a rejected access; *kick when t should be kicked. */
static bool sgi_access(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t o, unsigned size,
		       bool write, uint64_t *data, bool *kick)
{
	uint32_t val = (uint32_t)*data, r = 0;

	if (o >= GICR_IPRIORITYR0 && o < GICR_IPRIORITYR0 + GIC_NR_PRIVATE)
		return priority_access(t, o, size, write, data);
	if (size != 4)
		return false;
	switch (o) {
	case GICR_IGROUPR0:
		for (unsigned i = 0; i < GIC_NR_PRIVATE; i++) {
			if (write)
				t->priv[i].group1 = (val >> i) & 1;
			else
				r |= (uint32_t)t->priv[i].group1 << i;
		}
		break;
	case GICR_ISENABLER0:
	case GICR_ICENABLER0:
		for (unsigned i = 0; i < GIC_NR_PRIVATE; i++) {
			struct sg_irq *irq = &t->priv[i];

			r |= (uint32_t)irq->enabled << i;
			if (!write || !((val >> i) & 1))
				continue;
			/* A disabled active interrupt stays queued until the
			 * guest deactivates it (sg_irq_queueable). */
			irq->enabled = o == GICR_ISENABLER0;
			if (sg_vcpu_queue_locked(t, irq))
				*kick = true;
		}
		if (*kick)
			sg_vcpu_wake_locked(t);
		break;
	case GICR_ISPENDR0:
	case GICR_ICPENDR0:
		if (write)
			*kick = state_access(acc, t,
					     o == GICR_ISPENDR0 ? OP_SET_PENDING : OP_CLEAR_PENDING,
					     val, data);
		else
			state_access(acc, t, OP_READ_PENDING, 0, data);
		return true;
	case GICR_ISACTIVER0:
	case GICR_ICACTIVER0:
		if (write)
			*kick = state_access(acc, t,
					     o == GICR_ISACTIVER0 ? OP_SET_ACTIVE : OP_CLEAR_ACTIVE,
					     val, data);
		else
			state_access(acc, t, OP_READ_ACTIVE, 0, data);
		return true;
	case GICR_ICFGR0:
		r = ICFGR0_VALUE; /* SGIs are edge-triggered, read-only */
		break;
	case GICR_ICFGR1:
		/* Read-only as in KVM: PPIs are level (the timers rely on it). */
		for (unsigned i = 0; i < 16; i++)
			r |= (t->priv[16 + i].edge ? 2u : 0u) << (2 * i);
		break;
	case GICR_IGRPMODR0:
	case GICR_NSACR: break; /* RAZ/WI with DS=1 */
	default: return false;
	}
	if (!write)
		*data = r;
	return true;
}

void sg_redist_access(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t offset, unsigned size,
		      bool write, uint64_t *data)
{
	bool ok, kick = false;

	if (!write)
		*data = 0;
	if (offset >= GICR_FRAME_SIZE || (size != 1 && size != 2 && size != 4 && size != 8) ||
	    (offset & (size - 1))) {
		ok = false;
	} else {
		pthread_mutex_lock(&t->lock);
		if (offset < GICR_SGI_BASE)
			ok = size != 1 && rd_access(acc, t, offset, size, write, data, &kick);
		else
			ok = sgi_access(acc, t, offset - GICR_SGI_BASE, size, write, data, &kick);
		pthread_mutex_unlock(&t->lock);
	}
	if (!ok) {
		if (!write)
			*data = 0;
		STAT_INC(acc, SG_STAT_MMIO_REJECTED);
		sg_debug("vCPU %u: GICR%u access at 0x%x size %u rejected", acc->idx, t->idx,
			 offset, size);
	}
	if (kick)
		sg_vcpu_kick_fn(t);
}
