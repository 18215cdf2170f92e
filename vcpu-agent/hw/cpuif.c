// SPDX-License-Identifier: MIT
/*
 * The GICv3 virtual CPU interface (Arm IHI 0069, the virtual CPU interface
 * chapter and the ICH_*_EL2 / ICV_*_EL1 register descriptions), modelled as
 * silicon implements it.  The only state is what the hardware holds: the List
 * registers, ICH_HCR_EL2, ICH_VMCR_EL2 and the active-priority registers.
 * Everything else (MISR, EISR, ELRSR, the vIRQ/vFIQ and maintenance lines,
 * RPR, HPPIR) is derived from that state on every read, as the hardware's
 * combinational logic would.  Decisions where the architecture leaves a
 * choice are listed in docs/cpuif.md.
 */
#include "splitgic/cpuif.h"

#include <string.h>

#include "gic_regs.h"

/* The single-AP-register layout below relies on 5 preemption bits. */
_Static_assert(SG_VPRE_BITS == 5, "only ICH_AP<g>R0 is modelled");
_Static_assert(SG_VPRI_BITS >= SG_VPRE_BITS, "PRIbits must cover PREbits");
_Static_assert(SG_CPUIF_MAX_LRS == SG_MAX_LRS, "LR limits disagree");

/* Implemented bits of an 8-bit priority: 0xF8 with 5 bits. */
#define PRIO_MASK ((0xFFu << (8 - SG_VPRI_BITS)) & 0xFFu)
/* Active-priority bit n stands for group priority n << PRE_SHIFT. */
#define PRE_SHIFT (8 - SG_VPRE_BITS)
/* BPR0 cannot split below the preemption bits; BPR1 sits one bit lower. */
#define MIN_BPR0  (7 - SG_VPRE_BITS)
#define MIN_BPR1  (MIN_BPR0 + 1)
#define IDLE_PRIO 0xFFu

/* 16 virtual INTID bits (ICH_VTR_EL2.IDbits = 0). */
#define VID_BITS	    16u
#define VID_MASK	    ((1u << VID_BITS) - 1)
#define INTID_SPECIAL_FIRST 1020u

#define ICV_BPR_MASK	  0x7u
#define ICC_IGRPEN_ENABLE 0x1u

/* TDS = 0 and SEIS = 0 make TDIR and TSEI RES0; bits 8, 9, 15..26 are
 * GICv4.1 or reserved. */
#define HCR_WRITABLE                                                                               \
	(ICH_HCR_EN | ICH_HCR_UIE | ICH_HCR_LRENPIE | ICH_HCR_NPIE | ICH_HCR_VGRP0EIE |            \
	 ICH_HCR_VGRP0DIE | ICH_HCR_VGRP1EIE | ICH_HCR_VGRP1DIE | ICH_HCR_TC | ICH_HCR_TALL0 |     \
	 ICH_HCR_TALL1 | ICH_HCR_EOICOUNT_MASK)

/* VAckCtl is RES0 and VFIQEn RES1 without legacy (memory-mapped) operation. */
#define VMCR_WRITABLE                                                                              \
	(ICH_VMCR_ENG0 | ICH_VMCR_ENG1 | ICH_VMCR_CBPR | ICH_VMCR_EOIM | ICH_VMCR_BPR1_MASK |      \
	 ICH_VMCR_BPR0_MASK | ICH_VMCR_PMR_MASK)

#define LR_STATE_PENDING 1u
#define NO_LR		 (-1)

/* ------------------------------------------------------------ field access */

static unsigned nr_lrs(const struct sg_cpuif *c)
{
	/* The struct is public: never index past the array whatever nr_lrs holds. */
	return c->nr_lrs < SG_CPUIF_MAX_LRS ? c->nr_lrs : SG_CPUIF_MAX_LRS;
}

static unsigned lr_state(uint64_t lr)
{
	return (unsigned)((lr & ICH_LR_STATE_MASK) >> ICH_LR_STATE_SHIFT);
}

static unsigned lr_prio(uint64_t lr)
{
	/* Unimplemented priority bits are RES0: the logic never sees them. */
	return (unsigned)((lr & ICH_LR_PRIORITY_MASK) >> ICH_LR_PRIORITY_SHIFT) & PRIO_MASK;
}

static unsigned lr_group(uint64_t lr)
{
	return (lr & ICH_LR_GROUP) ? 1u : 0u;
}

static uint32_t lr_vintid(uint64_t lr)
{
	return (uint32_t)(lr & ICH_LR_VINTID_MASK) & VID_MASK;
}

static uint32_t lr_pintid(uint64_t lr)
{
	return (uint32_t)((lr & ICH_LR_PINTID_MASK) >> ICH_LR_PINTID_SHIFT);
}

static unsigned vmcr_field(uint32_t vmcr, uint32_t mask, unsigned shift)
{
	return (vmcr & mask) >> shift;
}

static uint32_t vmcr_with(uint32_t vmcr, uint32_t mask, unsigned shift, unsigned val)
{
	return (vmcr & ~mask) | ((val << shift) & mask);
}

static bool group_enabled(const struct sg_cpuif *c, unsigned grp)
{
	return c->vmcr & (grp ? ICH_VMCR_ENG1 : ICH_VMCR_ENG0);
}

static uint32_t *apr0(struct sg_cpuif *c, unsigned grp)
{
	return grp ? &c->ap1r[0] : &c->ap0r[0];
}

static bool intid_is_special(uint32_t id)
{
	return id >= INTID_SPECIAL_FIRST && id <= GIC_INTID_SPURIOUS;
}

/* VirtualIdentifierValid: an SGI/PPI/SPI, or an LPI where LPIs are allowed.
 * 1020..8191 are special or reserved with no extended ranges implemented. */
static bool intid_valid(uint32_t id, bool lpi_ok)
{
	return id < INTID_SPECIAL_FIRST || (lpi_ok && id >= GIC_LPI_BASE && id <= VID_MASK);
}

/* ---------------------------------------------------------- priority logic */

/* Mask that keeps the group priority of a group's interrupts (VGroupBits):
 * BPR0 = n keeps bits [7:n+1]; BPR1 = n keeps bits [7:n]; CBPR puts group 1
 * on BPR0's rule. */
static unsigned group_prio_mask(const struct sg_cpuif *c, unsigned grp)
{
	unsigned split;

	if (grp && !(c->vmcr & ICH_VMCR_CBPR))
		split = vmcr_field(c->vmcr, ICH_VMCR_BPR1_MASK, ICH_VMCR_BPR1_SHIFT);
	else
		split = vmcr_field(c->vmcr, ICH_VMCR_BPR0_MASK, ICH_VMCR_BPR0_SHIFT) + 1;
	return (0xFFu << split) & 0xFFu;
}

/* Running priority: the highest (lowest-numbered) active group priority
 * across both groups, or idle. */
static unsigned running_prio(const struct sg_cpuif *c)
{
	uint32_t active = c->ap0r[0] | c->ap1r[0];

	if (!active)
		return IDLE_PRIO;
	return (unsigned)__builtin_ctz(active) << PRE_SHIFT;
}

/* HighestPriorityVirtualInterrupt: the highest-priority LR in the Pending
 * state (not Active+Pending) of an enabled group.  Ties go to the lowest LR
 * index, an IMPLEMENTATION DEFINED choice. */
static int hppi_lr(const struct sg_cpuif *c)
{
	unsigned best = IDLE_PRIO;
	int idx = NO_LR;

	for (unsigned i = 0; i < nr_lrs(c); i++) {
		uint64_t lr = c->lr[i];

		if (lr_state(lr) != LR_STATE_PENDING || !group_enabled(c, lr_group(lr)))
			continue;
		if (lr_prio(lr) < best) {
			best = lr_prio(lr);
			idx = (int)i;
		}
	}
	return idx;
}

/* Whether the pending interrupt in `lr` may be signalled and acknowledged:
 * the interface is enabled, it passes the priority mask and its group
 * priority is higher than the running priority.  Both sides of the last
 * comparison go through the pending group's binary point, so only group
 * priority bits count even if the BPR changed while interrupts were active
 * (BPR0 = 7 then means no preemption at all). */
static bool can_signal(const struct sg_cpuif *c, uint64_t lr)
{
	unsigned prio = lr_prio(lr);
	unsigned pmr = vmcr_field(c->vmcr, ICH_VMCR_PMR_MASK, ICH_VMCR_PMR_SHIFT);
	unsigned rpr = running_prio(c);
	unsigned mask = group_prio_mask(c, lr_group(lr));

	if (!(c->hcr & ICH_HCR_EN) || prio >= pmr)
		return false;
	return rpr == IDLE_PRIO || (prio & mask) < (rpr & mask);
}

static bool line(const struct sg_cpuif *c, unsigned grp)
{
	int idx = hppi_lr(c);

	return idx != NO_LR && lr_group(c->lr[idx]) == grp && can_signal(c, c->lr[idx]);
}

/* ------------------------------------------------- activation / completion */

static int find_active_lr(const struct sg_cpuif *c, uint32_t id)
{
	for (unsigned i = 0; i < nr_lrs(c); i++) {
		if ((c->lr[i] & ICH_LR_ACTIVE) && lr_vintid(c->lr[i]) == id)
			return (int)i;
	}
	return NO_LR;
}

static void deactivate_lr(struct sg_cpuif *c, unsigned idx)
{
	uint64_t lr = c->lr[idx];

	/* Active -> Invalid, Active+Pending -> Pending. */
	c->lr[idx] = lr & ~ICH_LR_ACTIVE;
	/* A special pINTID names no physical interrupt to deactivate. */
	if ((lr & ICH_LR_HW) && lr_pintid(lr) < INTID_SPECIAL_FIRST && c->hw_deactivate)
		c->hw_deactivate(c->hw_opaque, lr_pintid(lr));
}

static void bump_eoicount(struct sg_cpuif *c)
{
	uint32_t n = (c->hcr & ICH_HCR_EOICOUNT_MASK) >> ICH_HCR_EOICOUNT_SHIFT;

	/* 5 bits; the architecture lets it wrap from 31 to 0. */
	n = (n + 1) & (ICH_HCR_EOICOUNT_MASK >> ICH_HCR_EOICOUNT_SHIFT);
	c->hcr = (c->hcr & ~ICH_HCR_EOICOUNT_MASK) | (n << ICH_HCR_EOICOUNT_SHIFT);
}

/* Clear the group's highest active priority; returns that group priority,
 * or IDLE_PRIO when the group had none. */
static unsigned drop_prio(struct sg_cpuif *c, unsigned grp)
{
	uint32_t *apr = apr0(c, grp);
	unsigned bit;

	if (!*apr)
		return IDLE_PRIO;
	bit = (unsigned)__builtin_ctz(*apr);
	*apr &= *apr - 1;
	return bit << PRE_SHIFT;
}

/* -------------------------------------------------------------- reset */

void sg_cpuif_init(struct sg_cpuif *c, unsigned n)
{
	memset(c, 0, sizeof(*c));
	if (n < 1)
		n = 1;
	if (n > SG_CPUIF_MAX_LRS)
		n = SG_CPUIF_MAX_LRS;
	c->nr_lrs = n;
	c->vmcr = ICH_VMCR_FIQEN | ((uint32_t)MIN_BPR0 << ICH_VMCR_BPR0_SHIFT) |
		  ((uint32_t)MIN_BPR1 << ICH_VMCR_BPR1_SHIFT);
}

/* ----------------------------------------------------- hypervisor (EL2) view */

uint64_t sg_cpuif_read_lr(const struct sg_cpuif *c, unsigned n)
{
	return n < nr_lrs(c) ? c->lr[n] : 0;
}

void sg_cpuif_write_lr(struct sg_cpuif *c, unsigned n, uint64_t val)
{
	/* Taken as written: the agent is trusted for the LR format. */
	if (n < nr_lrs(c))
		c->lr[n] = val;
}

uint32_t sg_cpuif_read_hcr(const struct sg_cpuif *c)
{
	return c->hcr;
}

void sg_cpuif_write_hcr(struct sg_cpuif *c, uint32_t val)
{
	c->hcr = val & HCR_WRITABLE;
}

uint32_t sg_cpuif_read_vmcr(const struct sg_cpuif *c)
{
	return c->vmcr;
}

void sg_cpuif_write_vmcr(struct sg_cpuif *c, uint32_t val)
{
	uint32_t v = (val & VMCR_WRITABLE) | ICH_VMCR_FIQEN;
	unsigned bpr0 = vmcr_field(v, ICH_VMCR_BPR0_MASK, ICH_VMCR_BPR0_SHIFT);
	unsigned bpr1 = vmcr_field(v, ICH_VMCR_BPR1_MASK, ICH_VMCR_BPR1_SHIFT);

	/* The fields alias ICV_PMR/BPR0/BPR1: same RAZ bits and minimums. */
	v &= ~((~PRIO_MASK & 0xFFu) << ICH_VMCR_PMR_SHIFT);
	if (bpr0 < MIN_BPR0)
		v = vmcr_with(v, ICH_VMCR_BPR0_MASK, ICH_VMCR_BPR0_SHIFT, MIN_BPR0);
	if (bpr1 < MIN_BPR1)
		v = vmcr_with(v, ICH_VMCR_BPR1_MASK, ICH_VMCR_BPR1_SHIFT, MIN_BPR1);
	c->vmcr = v;
}

uint32_t sg_cpuif_read_vtr(const struct sg_cpuif *c)
{
	/* IDbits = 0 (16 bits), TDS = 0, SEIS = 0. */
	return ((nr_lrs(c) - 1) & ICH_VTR_LISTREGS_MASK) | ICH_VTR_NV4 | ICH_VTR_A3V |
	       ((SG_VPRE_BITS - 1) << ICH_VTR_PREBITS_SHIFT) |
	       ((SG_VPRI_BITS - 1) << ICH_VTR_PRIBITS_SHIFT);
}

uint32_t sg_cpuif_read_apr(const struct sg_cpuif *c, unsigned grp, unsigned n)
{
	/* Only AP<g>R0 exists with 5 preemption bits. */
	if (grp > 1 || n != 0)
		return 0;
	return grp ? c->ap1r[0] : c->ap0r[0];
}

void sg_cpuif_write_apr(struct sg_cpuif *c, unsigned grp, unsigned n, uint32_t val)
{
	if (grp > 1 || n != 0)
		return;
	*apr0(c, grp) = val;
}

uint32_t sg_cpuif_read_eisr(const struct sg_cpuif *c)
{
	uint32_t v = 0;

	/* Deactivated, software-only, and the hypervisor asked to hear of it. */
	for (unsigned i = 0; i < nr_lrs(c); i++) {
		uint64_t lr = c->lr[i];

		if (lr_state(lr) == 0 && !(lr & ICH_LR_HW) && (lr & ICH_LR_EOI))
			v |= 1u << i;
	}
	return v;
}

uint32_t sg_cpuif_read_elrsr(const struct sg_cpuif *c)
{
	uint32_t v = 0;

	/* Empty unless it holds an interrupt or an unhandled EOI maintenance. */
	for (unsigned i = 0; i < nr_lrs(c); i++) {
		uint64_t lr = c->lr[i];

		if (lr_state(lr) == 0 && ((lr & ICH_LR_HW) || !(lr & ICH_LR_EOI)))
			v |= 1u << i;
	}
	return v;
}

uint32_t sg_cpuif_read_misr(const struct sg_cpuif *c)
{
	uint32_t hcr = c->hcr;
	unsigned valid = 0;
	bool pending = false;
	uint32_t v = 0;

	for (unsigned i = 0; i < nr_lrs(c); i++) {
		if (lr_state(c->lr[i]) != 0)
			valid++;
		/* Active+Pending cannot be acknowledged: not "pending" here. */
		if (lr_state(c->lr[i]) == LR_STATE_PENDING)
			pending = true;
	}
	if (sg_cpuif_read_eisr(c))
		v |= ICH_MISR_EOI;
	if ((hcr & ICH_HCR_UIE) && valid <= 1)
		v |= ICH_MISR_U;
	if ((hcr & ICH_HCR_LRENPIE) && (hcr & ICH_HCR_EOICOUNT_MASK))
		v |= ICH_MISR_LRENP;
	if ((hcr & ICH_HCR_NPIE) && !pending)
		v |= ICH_MISR_NP;
	if ((hcr & ICH_HCR_VGRP0EIE) && group_enabled(c, 0))
		v |= ICH_MISR_VGRP0E;
	if ((hcr & ICH_HCR_VGRP0DIE) && !group_enabled(c, 0))
		v |= ICH_MISR_VGRP0D;
	if ((hcr & ICH_HCR_VGRP1EIE) && group_enabled(c, 1))
		v |= ICH_MISR_VGRP1E;
	if ((hcr & ICH_HCR_VGRP1DIE) && !group_enabled(c, 1))
		v |= ICH_MISR_VGRP1D;
	return v;
}

/* ------------------------------------------------------------ output lines */

bool sg_cpuif_virq(const struct sg_cpuif *c)
{
	return line(c, 1);
}

bool sg_cpuif_vfiq(const struct sg_cpuif *c)
{
	/* VFIQEn is RES1: group 0 is always signalled as vFIQ. */
	return line(c, 0);
}

bool sg_cpuif_maintenance(const struct sg_cpuif *c)
{
	return (c->hcr & ICH_HCR_EN) && sg_cpuif_read_misr(c) != 0;
}

/* --------------------------------------------------------- guest (EL1) view */

uint32_t sg_cpuif_iar(struct sg_cpuif *c, unsigned grp)
{
	int idx = hppi_lr(c);
	uint64_t lr;
	uint32_t id;

	/* Only the interface's single highest-priority pending interrupt can be
	 * acknowledged, and only through its own group's IAR. */
	if (grp > 1 || idx == NO_LR)
		return GIC_INTID_SPURIOUS;
	lr = c->lr[idx];
	if (lr_group(lr) != grp || !can_signal(c, lr))
		return GIC_INTID_SPURIOUS;

	id = lr_vintid(lr);
	if (intid_is_special(id)) {
		/* The pseudocode invalidates the entry and returns the ID. */
		c->lr[idx] = lr & ~ICH_LR_PENDING;
		return id;
	}
	c->lr[idx] = (lr & ~ICH_LR_PENDING) | ICH_LR_ACTIVE;
	*apr0(c, grp) |= 1u << ((lr_prio(lr) & group_prio_mask(c, grp)) >> PRE_SHIFT);
	return id;
}

void sg_cpuif_eoir(struct sg_cpuif *c, unsigned grp, uint32_t intid)
{
	/* Bits above the 16 implemented INTID bits are RES0. */
	uint32_t id = intid & VID_MASK;
	bool eoimode = c->vmcr & ICH_VMCR_EOIM;
	bool lpi = gic_intid_is_lpi(id);
	unsigned dropped;
	uint64_t lr;
	int idx;

	if (grp > 1 || !intid_valid(id, true))
		return;
	/* CONSTRAINED UNPREDICTABLE without an active priority to drop: the
	 * model then leaves LRs and EOIcount alone. */
	dropped = drop_prio(c, grp);
	if (dropped == IDLE_PRIO)
		return;

	idx = find_active_lr(c, id);
	if (idx == NO_LR) {
		/* An LPI has no active state, so nothing was left to deactivate;
		 * with EOImode = 1 the later DIR is what counts. */
		if (!eoimode && !lpi)
			bump_eoicount(c);
		return;
	}
	lr = c->lr[idx];
	/* A mismatched EOI (wrong group or not the running priority) breaks the
	 * nesting rule: UNPREDICTABLE, the model only drops the priority. */
	if (lr_group(lr) != grp || (lr_prio(lr) & group_prio_mask(c, grp)) != dropped)
		return;
	if (!eoimode || lpi)
		deactivate_lr(c, (unsigned)idx);
}

void sg_cpuif_dir(struct sg_cpuif *c, uint32_t intid)
{
	uint32_t id = intid & VID_MASK;
	int idx;

	/* LPIs have no active state to deactivate; DIR only acts with EOImode 1. */
	if (!intid_valid(id, false) || !(c->vmcr & ICH_VMCR_EOIM))
		return;
	idx = find_active_lr(c, id);
	if (idx == NO_LR)
		bump_eoicount(c);
	else
		deactivate_lr(c, (unsigned)idx);
}

uint32_t sg_cpuif_hppir(const struct sg_cpuif *c, unsigned grp)
{
	int idx = hppi_lr(c);

	/* Neither PMR nor the running priority apply to HPPIR. */
	if (grp > 1 || idx == NO_LR || lr_group(c->lr[idx]) != grp)
		return GIC_INTID_SPURIOUS;
	return lr_vintid(c->lr[idx]);
}

uint32_t sg_cpuif_rpr(const struct sg_cpuif *c)
{
	return running_prio(c);
}

uint32_t sg_cpuif_pmr(const struct sg_cpuif *c)
{
	return vmcr_field(c->vmcr, ICH_VMCR_PMR_MASK, ICH_VMCR_PMR_SHIFT);
}

void sg_cpuif_set_pmr(struct sg_cpuif *c, uint32_t val)
{
	c->vmcr = vmcr_with(c->vmcr, ICH_VMCR_PMR_MASK, ICH_VMCR_PMR_SHIFT, val & PRIO_MASK);
}

uint32_t sg_cpuif_bpr(const struct sg_cpuif *c, unsigned grp)
{
	unsigned bpr0 = vmcr_field(c->vmcr, ICH_VMCR_BPR0_MASK, ICH_VMCR_BPR0_SHIFT);

	if (grp == 0)
		return bpr0;
	/* With CBPR, BPR1 reads as BPR0 + 1 saturated to 7. */
	if (c->vmcr & ICH_VMCR_CBPR)
		return bpr0 < 7 ? bpr0 + 1 : 7;
	return vmcr_field(c->vmcr, ICH_VMCR_BPR1_MASK, ICH_VMCR_BPR1_SHIFT);
}

void sg_cpuif_set_bpr(struct sg_cpuif *c, unsigned grp, uint32_t val)
{
	unsigned v = val & ICV_BPR_MASK;

	if (grp == 0) {
		v = v < MIN_BPR0 ? MIN_BPR0 : v;
		c->vmcr = vmcr_with(c->vmcr, ICH_VMCR_BPR0_MASK, ICH_VMCR_BPR0_SHIFT, v);
	} else if (!(c->vmcr & ICH_VMCR_CBPR)) {
		/* With CBPR, writes to BPR1 are ignored. */
		v = v < MIN_BPR1 ? MIN_BPR1 : v;
		c->vmcr = vmcr_with(c->vmcr, ICH_VMCR_BPR1_MASK, ICH_VMCR_BPR1_SHIFT, v);
	}
}

uint32_t sg_cpuif_ctlr(const struct sg_cpuif *c)
{
	/* IDbits = 0, SEIS = 0, ExtRange = 0; RSS: the agent accepts RS != 0. */
	uint32_t v = ((SG_VPRI_BITS - 1) << ICC_CTLR_PRIBITS_SHIFT) | ICC_CTLR_A3V | ICC_CTLR_RSS;

	if (c->vmcr & ICH_VMCR_CBPR)
		v |= ICC_CTLR_CBPR;
	if (c->vmcr & ICH_VMCR_EOIM)
		v |= ICC_CTLR_EOIMODE;
	return v;
}

void sg_cpuif_set_ctlr(struct sg_cpuif *c, uint32_t val)
{
	uint32_t v = c->vmcr & ~(ICH_VMCR_CBPR | ICH_VMCR_EOIM);

	if (val & ICC_CTLR_CBPR)
		v |= ICH_VMCR_CBPR;
	if (val & ICC_CTLR_EOIMODE)
		v |= ICH_VMCR_EOIM;
	c->vmcr = v;
}

bool sg_cpuif_igrpen(const struct sg_cpuif *c, unsigned grp)
{
	return grp <= 1 && group_enabled(c, grp);
}

void sg_cpuif_set_igrpen(struct sg_cpuif *c, unsigned grp, bool on)
{
	uint32_t bit = grp ? ICH_VMCR_ENG1 : ICH_VMCR_ENG0;

	if (grp > 1)
		return;
	c->vmcr = on ? (c->vmcr | bit) : (c->vmcr & ~bit);
}

/* ------------------------------------------------- system register access */

/*
 * A false return means the PE must not complete the access here: either the
 * encoding traps to the hypervisor (the SGI registers) or it is UNDEFINED
 * (unknown encodings, AP<g>R1..3 with 5 preemption bits, and MRS of a
 * write-only or MSR of a read-only register).  The CPU emulator tells the two
 * apart by encoding.
 */
bool sg_cpuif_sysreg_read(struct sg_cpuif *c, uint32_t sysreg, uint64_t *val)
{
	switch (sysreg) {
	case SYS_ICC_IAR0_EL1: *val = sg_cpuif_iar(c, 0); return true;
	case SYS_ICC_IAR1_EL1: *val = sg_cpuif_iar(c, 1); return true;
	case SYS_ICC_HPPIR0_EL1: *val = sg_cpuif_hppir(c, 0); return true;
	case SYS_ICC_HPPIR1_EL1: *val = sg_cpuif_hppir(c, 1); return true;
	case SYS_ICC_BPR0_EL1: *val = sg_cpuif_bpr(c, 0); return true;
	case SYS_ICC_BPR1_EL1: *val = sg_cpuif_bpr(c, 1); return true;
	case SYS_ICC_AP0R0_EL1: *val = c->ap0r[0]; return true;
	case SYS_ICC_AP1R0_EL1: *val = c->ap1r[0]; return true;
	case SYS_ICC_RPR_EL1: *val = sg_cpuif_rpr(c); return true;
	case SYS_ICC_CTLR_EL1: *val = sg_cpuif_ctlr(c); return true;
	case SYS_ICC_SRE_EL1: *val = ICC_SRE_SRE | ICC_SRE_DFB | ICC_SRE_DIB; return true;
	case SYS_ICC_IGRPEN0_EL1: *val = sg_cpuif_igrpen(c, 0); return true;
	case SYS_ICC_IGRPEN1_EL1: *val = sg_cpuif_igrpen(c, 1); return true;
	case SYS_ICC_PMR_EL1: *val = sg_cpuif_pmr(c); return true;
	default: return false;
	}
}

bool sg_cpuif_sysreg_write(struct sg_cpuif *c, uint32_t sysreg, uint64_t val)
{
	uint32_t v = (uint32_t)val; /* bits [63:32] of every ICV register are RES0 */

	switch (sysreg) {
	case SYS_ICC_EOIR0_EL1: sg_cpuif_eoir(c, 0, v); return true;
	case SYS_ICC_EOIR1_EL1: sg_cpuif_eoir(c, 1, v); return true;
	case SYS_ICC_DIR_EL1: sg_cpuif_dir(c, v); return true;
	case SYS_ICC_BPR0_EL1: sg_cpuif_set_bpr(c, 0, v); return true;
	case SYS_ICC_BPR1_EL1: sg_cpuif_set_bpr(c, 1, v); return true;
	case SYS_ICC_AP0R0_EL1: c->ap0r[0] = v; return true;
	case SYS_ICC_AP1R0_EL1: c->ap1r[0] = v; return true;
	case SYS_ICC_CTLR_EL1: sg_cpuif_set_ctlr(c, v); return true;
	case SYS_ICC_SRE_EL1: return true; /* SRE, DFB, DIB are RAO/WI */
	case SYS_ICC_IGRPEN0_EL1: sg_cpuif_set_igrpen(c, 0, v & ICC_IGRPEN_ENABLE); return true;
	case SYS_ICC_IGRPEN1_EL1: sg_cpuif_set_igrpen(c, 1, v & ICC_IGRPEN_ENABLE); return true;
	case SYS_ICC_PMR_EL1: sg_cpuif_set_pmr(c, v); return true;
	default: return false;
	}
}
