// SPDX-License-Identifier: MIT
/*
 * The virtual CPU interface model against Arm IHI 0069 (ICH_*_EL2 and
 * ICV_*_EL1 register descriptions).  Expected values are worked out from the
 * architecture in the comments, never read back from the model.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "gic_regs.h"
#include "splitgic/cpuif.h"

#define G0	 0u
#define G1	 1u
#define SPURIOUS 1023u

/* LR states (ICH_LR<n>_EL2.State). */
#define ST_INVALID	  0u
#define ST_PENDING	  1u
#define ST_ACTIVE	  2u
#define ST_ACTIVE_PENDING 3u

static struct sg_cpuif c;

static unsigned hw_calls;
static uint32_t hw_last;

static void record_hw(void *opaque, uint32_t pintid)
{
	ck_assert_ptr_eq(opaque, &hw_calls);
	hw_calls++;
	hw_last = pintid;
}

static uint64_t mklr(unsigned st, uint32_t vintid, unsigned prio, unsigned grp)
{
	return ((uint64_t)st << ICH_LR_STATE_SHIFT) | ((uint64_t)prio << ICH_LR_PRIORITY_SHIFT) |
	       (grp ? ICH_LR_GROUP : 0) | vintid;
}

static uint64_t pend(uint32_t vintid, unsigned prio, unsigned grp)
{
	return mklr(ST_PENDING, vintid, prio, grp);
}

static unsigned lr_st(unsigned n)
{
	return (unsigned)(sg_cpuif_read_lr(&c, n) >> ICH_LR_STATE_SHIFT);
}

static unsigned eoicount(void)
{
	return (sg_cpuif_read_hcr(&c) & ICH_HCR_EOICOUNT_MASK) >> ICH_HCR_EOICOUNT_SHIFT;
}

/* A running interface: 4 LRs, En, group 1 enabled, no priority masking. */
static void setup(void)
{
	sg_cpuif_init(&c, 4);
	c.hw_deactivate = record_hw;
	c.hw_opaque = &hw_calls;
	hw_calls = 0;
	hw_last = 0;
	sg_cpuif_write_hcr(&c, ICH_HCR_EN);
	sg_cpuif_set_pmr(&c, 0xFF);
	sg_cpuif_set_igrpen(&c, G1, true);
}

static void teardown(void)
{
}

/* ------------------------------------------------------------- reset, VTR */

START_TEST(test_reset_state)
{
	struct sg_cpuif r;

	sg_cpuif_init(&r, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(sg_cpuif_read_lr(&r, i), 0);
	ck_assert_uint_eq(sg_cpuif_read_hcr(&r), 0);
	/* VFIQEn RES1 (no legacy operation), BPR0 = 7 - 5 = 2, BPR1 = 3, PMR 0. */
	ck_assert_uint_eq(sg_cpuif_read_vmcr(&r), ICH_VMCR_FIQEN | (2u << ICH_VMCR_BPR0_SHIFT) |
							  (3u << ICH_VMCR_BPR1_SHIFT));
	ck_assert_uint_eq(sg_cpuif_bpr(&r, G0), 2);
	ck_assert_uint_eq(sg_cpuif_bpr(&r, G1), 3);
	ck_assert_uint_eq(sg_cpuif_pmr(&r), 0);
	ck_assert(!sg_cpuif_igrpen(&r, G0));
	ck_assert(!sg_cpuif_igrpen(&r, G1));
	ck_assert_uint_eq(sg_cpuif_rpr(&r), 0xFF);
	for (unsigned g = 0; g < 2; g++)
		for (unsigned n = 0; n < 4; n++)
			ck_assert_uint_eq(sg_cpuif_read_apr(&r, g, n), 0);
	/* Every implemented LR is empty; nothing to report or signal. */
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&r), 0xF);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&r), 0);
	ck_assert_uint_eq(sg_cpuif_read_misr(&r), 0);
	ck_assert(!sg_cpuif_maintenance(&r));
	ck_assert(!sg_cpuif_virq(&r));
	ck_assert(!sg_cpuif_vfiq(&r));
	ck_assert_uint_eq(sg_cpuif_iar(&r, G1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(&r, G1), SPURIOUS);
	/* ICV_CTLR: PRIbits [10:8] = 4, IDbits 0, SEIS 0, A3V [15], RSS [18]. */
	ck_assert_uint_eq(sg_cpuif_ctlr(&r), (4u << 8) | (1u << 15) | (1u << 18));
}
END_TEST

START_TEST(test_vtr)
{
	struct sg_cpuif r;

	/* PRIbits [31:29] = 4, PREbits [28:26] = 4, IDbits [25:23] = 0,
	 * SEIS [22] = 0, A3V [21] = 1, nV4 [20] = 1, TDS [19] = 0. */
	const uint32_t fixed = (4u << 29) | (4u << 26) | (1u << 21) | (1u << 20);

	for (unsigned n = 1; n <= 16; n++) {
		sg_cpuif_init(&r, n);
		ck_assert_uint_eq(sg_cpuif_read_vtr(&r), fixed | (n - 1));
		ck_assert_uint_eq(sg_cpuif_read_elrsr(&r), (1u << n) - 1);
	}
	ck_assert_uint_eq(fixed, 0x90300000u);
	/* Out-of-range requests clamp to 1..16 List registers. */
	sg_cpuif_init(&r, 0);
	ck_assert_uint_eq(sg_cpuif_read_vtr(&r) & 0x1F, 0);
	sg_cpuif_init(&r, 40);
	ck_assert_uint_eq(sg_cpuif_read_vtr(&r) & 0x1F, 15);
}
END_TEST

START_TEST(test_lr_access)
{
	const uint64_t v = pend(40, 0x47, G1) | ICH_LR_EOI;

	/* Taken as written, including the RES0 low priority bits. */
	sg_cpuif_write_lr(&c, 3, v);
	ck_assert_uint_eq(sg_cpuif_read_lr(&c, 3), v);
	/* LR4..15 are not implemented with 4 LRs: RAZ/WI. */
	sg_cpuif_write_lr(&c, 4, v);
	ck_assert_uint_eq(sg_cpuif_read_lr(&c, 4), 0);
	ck_assert_uint_eq(sg_cpuif_read_lr(&c, 15), 0);
}
END_TEST

START_TEST(test_hcr_fields)
{
	/* Writable: En..VGrp1DIE [7:0], TC [10], TALL0 [11], TALL1 [12],
	 * EOIcount [31:27].  TDIR needs TDS, TSEI needs SEIS; bits 8, 9 and
	 * 15..26 are GICv4.1 or reserved: all RES0 here. */
	sg_cpuif_write_hcr(&c, 0xFFFFFFFFu);
	ck_assert_uint_eq(sg_cpuif_read_hcr(&c), 0xF8001CFFu);
	sg_cpuif_write_hcr(&c, 0);
	ck_assert_uint_eq(sg_cpuif_read_hcr(&c), 0);
}
END_TEST

START_TEST(test_vmcr_normalised)
{
	/* PMR keeps its 5 implemented bits, VAckCtl is RES0, VFIQEn RES1,
	 * bits 5..8 and 10..17 are RES0. */
	sg_cpuif_write_vmcr(&c, 0xFFFFFFFFu);
	ck_assert_uint_eq(sg_cpuif_read_vmcr(&c),
			  0xF8000000u | (7u << 21) | (7u << 18) | ICH_VMCR_EOIM | ICH_VMCR_CBPR |
				  ICH_VMCR_FIQEN | ICH_VMCR_ENG1 | ICH_VMCR_ENG0);
	/* BPRs below their minimum read as the minimum. */
	sg_cpuif_write_vmcr(&c, 0);
	ck_assert_uint_eq(sg_cpuif_read_vmcr(&c), ICH_VMCR_FIQEN | (2u << ICH_VMCR_BPR0_SHIFT) |
							  (3u << ICH_VMCR_BPR1_SHIFT));
	sg_cpuif_write_vmcr(&c, (1u << ICH_VMCR_BPR0_SHIFT) | (2u << ICH_VMCR_BPR1_SHIFT));
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G0), 2);
	sg_cpuif_write_vmcr(&c, (5u << ICH_VMCR_BPR1_SHIFT) | (0x87u << ICH_VMCR_PMR_SHIFT));
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G1), 5);
	ck_assert_uint_eq(sg_cpuif_pmr(&c), 0x80);
}
END_TEST

/* ------------------------------------------------------- acknowledge order */

START_TEST(test_ack_in_priority_order)
{
	sg_cpuif_write_lr(&c, 0, pend(40, 0x80, G1));
	sg_cpuif_write_lr(&c, 1, pend(41, 0x20, G1));
	sg_cpuif_write_lr(&c, 2, pend(42, 0x60, G1));
	sg_cpuif_write_lr(&c, 3, pend(43, 0xA0, G1));

	const uint32_t order[] = { 41, 42, 40, 43 };
	const unsigned lrs[] = { 1, 2, 0, 3 };
	for (unsigned k = 0; k < 4; k++) {
		ck_assert(sg_cpuif_virq(&c));
		ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), order[k]);
		ck_assert_uint_eq(sg_cpuif_iar(&c, G1), order[k]);
		ck_assert_uint_eq(lr_st(lrs[k]), ST_ACTIVE);
		/* Nothing else preempts the highest-priority active one. */
		ck_assert(!sg_cpuif_virq(&c));
		ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
		sg_cpuif_eoir(&c, G1, order[k]);
		ck_assert_uint_eq(lr_st(lrs[k]), ST_INVALID);
	}
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), SPURIOUS);
}
END_TEST

START_TEST(test_equal_priority_lowest_lr_first)
{
	/* Equal priority: IMPLEMENTATION DEFINED, the model takes the lowest LR. */
	sg_cpuif_write_lr(&c, 2, pend(50, 0x40, G1));
	sg_cpuif_write_lr(&c, 1, pend(51, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 51);
	/* The low 3 priority bits are not implemented: 0x47 equals 0x40. */
	sg_cpuif_init(&c, 4);
	setup();
	sg_cpuif_write_lr(&c, 0, pend(60, 0x47, G1));
	sg_cpuif_write_lr(&c, 1, pend(61, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 60);
}
END_TEST

START_TEST(test_spurious_and_wrong_group)
{
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), SPURIOUS);
	/* A group 1 interrupt is not acknowledged through IAR0. */
	sg_cpuif_set_igrpen(&c, G0, true);
	sg_cpuif_write_lr(&c, 0, pend(33, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G0), SPURIOUS);
	ck_assert_uint_eq(lr_st(0), ST_PENDING);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0) | sg_cpuif_read_apr(&c, G1, 0), 0);
	/* Out-of-range group numbers. */
	ck_assert_uint_eq(sg_cpuif_iar(&c, 2), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, 2), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 33);
}
END_TEST

START_TEST(test_interface_disabled)
{
	sg_cpuif_write_lr(&c, 0, pend(33, 0x40, G1));
	/* ICH_HCR_EL2.En = 0: no virtual interrupt is signalled and IAR reads
	 * spurious; HPPIR is not gated by En. */
	sg_cpuif_write_hcr(&c, 0);
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	ck_assert_uint_eq(lr_st(0), ST_PENDING);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), 33);
	sg_cpuif_write_hcr(&c, ICH_HCR_EN);
	ck_assert(sg_cpuif_virq(&c));
}
END_TEST

/* --------------------------------------------------------- priority mask */

START_TEST(test_pmr_masking)
{
	sg_cpuif_write_lr(&c, 0, pend(33, 0x80, G1));
	/* Signalled only if priority < PMR: 0x80 is masked by PMR 0x80. */
	sg_cpuif_set_pmr(&c, 0x80);
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	/* HPPIR ignores the priority mask. */
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), 33);
	/* Low 3 PMR bits are RAZ/WI: 0x87 reads 0x80 and still masks 0x80. */
	sg_cpuif_set_pmr(&c, 0x87);
	ck_assert_uint_eq(sg_cpuif_pmr(&c), 0x80);
	ck_assert(!sg_cpuif_virq(&c));
	sg_cpuif_set_pmr(&c, 0x88);
	ck_assert_uint_eq(sg_cpuif_pmr(&c), 0x88);
	ck_assert(sg_cpuif_virq(&c));
	/* PMR 0 masks everything, even priority 0. */
	sg_cpuif_write_lr(&c, 1, pend(34, 0x00, G1));
	sg_cpuif_set_pmr(&c, 0);
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	/* The largest PMR (0xF8) masks the lowest priority (0xF8). */
	sg_cpuif_init(&c, 4);
	setup();
	sg_cpuif_write_lr(&c, 0, pend(35, 0xF8, G1));
	ck_assert_uint_eq(sg_cpuif_pmr(&c), 0xF8);
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), 35);
	/* The PMR lives in ICH_VMCR_EL2.VPMR. */
	sg_cpuif_set_pmr(&c, 0x50);
	ck_assert_uint_eq(sg_cpuif_read_vmcr(&c) >> ICH_VMCR_PMR_SHIFT, 0x50);
}
END_TEST

/* ------------------------------------------------------------ group enables */

START_TEST(test_group_enable_masking)
{
	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	sg_cpuif_set_igrpen(&c, G1, false);
	ck_assert(!(sg_cpuif_read_vmcr(&c) & ICH_VMCR_ENG1));
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), SPURIOUS);
	sg_cpuif_set_igrpen(&c, G1, true);
	ck_assert(sg_cpuif_read_vmcr(&c) & ICH_VMCR_ENG1);
	ck_assert(sg_cpuif_virq(&c));

	/* A higher-priority group 0 interrupt of a disabled group is not the
	 * highest pending one: group 1 is signalled and acknowledged. */
	sg_cpuif_write_lr(&c, 1, pend(20, 0x10, G0));
	ck_assert(sg_cpuif_virq(&c));
	ck_assert(!sg_cpuif_vfiq(&c));
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G0), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), 40);

	/* Enabling group 0 makes it the highest pending: vFIQ, not vIRQ, and
	 * IAR1 reads spurious while it is pending. */
	sg_cpuif_set_igrpen(&c, G0, true);
	ck_assert(sg_cpuif_read_vmcr(&c) & ICH_VMCR_ENG0);
	ck_assert(sg_cpuif_vfiq(&c));
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G0), 20);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), 20);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0), 1u << (0x10 >> 3));
	/* Group 1 at 0x40 cannot preempt running priority 0x10. */
	ck_assert(!sg_cpuif_virq(&c));
	sg_cpuif_eoir(&c, G0, 20);
	ck_assert(sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
}
END_TEST

/* -------------------------------------------------------------- preemption */

START_TEST(test_preemption_bpr0)
{
	sg_cpuif_set_igrpen(&c, G0, true);
	/* BPR0 = 4: group priority is bits [7:5] (mask 0xE0). */
	sg_cpuif_set_bpr(&c, G0, 4);
	sg_cpuif_write_lr(&c, 0, pend(20, 0x50, G0));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), 20);
	/* Group priority 0x40 -> AP0R0 bit 0x40 >> 3 = 8; RPR 0x40. */
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0), 1u << 8);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x40);
	/* 0x48 is numerically higher than 0x50 but its group priority is
	 * also 0x40: no preemption. */
	sg_cpuif_write_lr(&c, 1, pend(21, 0x48, G0));
	ck_assert(!sg_cpuif_vfiq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G0), 21);
	/* 0x38: group priority 0x20 < 0x40 preempts. */
	sg_cpuif_write_lr(&c, 2, pend(22, 0x38, G0));
	ck_assert(sg_cpuif_vfiq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), 22);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0), (1u << 8) | (1u << 4));
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x20);
}
END_TEST

START_TEST(test_preemption_bpr1)
{
	/* BPR1 = 4: group 1 splits one bit lower, group priority bits [7:4]. */
	sg_cpuif_set_bpr(&c, G1, 4);
	sg_cpuif_set_bpr(&c, G0, 4);
	sg_cpuif_write_lr(&c, 0, pend(40, 0x50, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	/* Group priority 0x50 -> AP1R0 bit 10; RPR 0x50. */
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << 10);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x50);
	/* 0x58: group priority 0x50, not higher: no preemption. */
	sg_cpuif_write_lr(&c, 1, pend(41, 0x58, G1));
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	/* 0x48: group priority 0x40 < 0x50 preempts (with BPR0 = 4's rule it
	 * would be 0x40 against 0x40 and would not). */
	sg_cpuif_write_lr(&c, 1, pend(42, 0x48, G1));
	ck_assert(sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 42);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), (1u << 10) | (1u << 8));
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x40);
}
END_TEST

START_TEST(test_preemption_cbpr)
{
	/* CBPR: group 1 uses BPR0 and BPR0's rule.  BPR0 = 4 -> mask 0xE0. */
	sg_cpuif_set_bpr(&c, G0, 4);
	sg_cpuif_set_bpr(&c, G1, 3);
	sg_cpuif_set_ctlr(&c, ICC_CTLR_CBPR);
	ck_assert(sg_cpuif_read_vmcr(&c) & ICH_VMCR_CBPR);
	ck_assert_uint_eq(sg_cpuif_ctlr(&c) & ICC_CTLR_CBPR, ICC_CTLR_CBPR);
	/* BPR1 reads BPR0 + 1; writes to BPR1 are ignored. */
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G1), 5);
	sg_cpuif_set_bpr(&c, G1, 6);
	ck_assert_uint_eq((sg_cpuif_read_vmcr(&c) & ICH_VMCR_BPR1_MASK) >> ICH_VMCR_BPR1_SHIFT, 3);
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G1), 5);

	sg_cpuif_write_lr(&c, 0, pend(40, 0x50, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	/* Group priority 0x50 & 0xE0 = 0x40 -> bit 8. */
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << 8);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x40);
	sg_cpuif_write_lr(&c, 1, pend(41, 0x48, G1));
	ck_assert(!sg_cpuif_virq(&c));
	sg_cpuif_write_lr(&c, 1, pend(41, 0x38, G1));
	ck_assert(sg_cpuif_virq(&c));

	/* BPR0 + 1 saturates at 7. */
	sg_cpuif_set_bpr(&c, G0, 7);
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G1), 7);
	/* BPR0 = 7 leaves no group priority bits: nothing preempts. */
	ck_assert(!sg_cpuif_virq(&c));
}
END_TEST

START_TEST(test_bpr_minimum)
{
	/* Writes below the minimum set the minimum (BPR0 2, BPR1 3). */
	sg_cpuif_set_bpr(&c, G0, 0);
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G0), 2);
	sg_cpuif_set_bpr(&c, G1, 0);
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G1), 3);
	sg_cpuif_set_bpr(&c, G1, 2);
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G1), 3);
	sg_cpuif_set_bpr(&c, G0, 5);
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G0), 5);
	ck_assert_uint_eq((sg_cpuif_read_vmcr(&c) & ICH_VMCR_BPR0_MASK) >> ICH_VMCR_BPR0_SHIFT, 5);
	/* BinaryPoint is bits [2:0]. */
	sg_cpuif_set_bpr(&c, G1, 0xF);
	ck_assert_uint_eq(sg_cpuif_bpr(&c, G1), 7);
	/* At the minimum both groups have 5 group priority bits (32 levels). */
	sg_cpuif_set_bpr(&c, G0, 2);
	sg_cpuif_set_bpr(&c, G1, 3);
	sg_cpuif_write_lr(&c, 0, pend(40, 0x48, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << 9);
	sg_cpuif_write_lr(&c, 1, pend(41, 0x40, G1));
	ck_assert(sg_cpuif_virq(&c));
}
END_TEST

/* --------------------------------------------------------- running priority */

START_TEST(test_rpr_nested)
{
	sg_cpuif_set_igrpen(&c, G0, true);
	sg_cpuif_write_lr(&c, 0, pend(40, 0x80, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x80);
	sg_cpuif_write_lr(&c, 1, pend(41, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 41);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x40);
	sg_cpuif_write_lr(&c, 2, pend(20, 0x10, G0));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), 20);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x10);
	/* Bits: 0x10 >> 3 = 2 in AP0R0; 0x40 >> 3 = 8 and 0x80 >> 3 = 16 in AP1R0. */
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0), 1u << 2);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), (1u << 8) | (1u << 16));
	/* The same values through ICV_AP<g>R0_EL1. */
	uint64_t v;
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_AP0R0_EL1, &v));
	ck_assert_uint_eq(v, 1u << 2);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_AP1R0_EL1, &v));
	ck_assert_uint_eq(v, (1u << 8) | (1u << 16));

	sg_cpuif_eoir(&c, G0, 20);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x40);
	sg_cpuif_eoir(&c, G1, 41);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0x80);
	sg_cpuif_eoir(&c, G1, 40);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0xFF);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(lr_st(i), ST_INVALID);
}
END_TEST

START_TEST(test_apr_hypervisor_view)
{
	/* The hypervisor restores active priorities; RPR follows them. */
	sg_cpuif_write_apr(&c, G1, 0, 1u << 12);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 12u << 3);
	sg_cpuif_write_apr(&c, G0, 0, 1u << 31);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 12u << 3);
	sg_cpuif_write_apr(&c, G1, 0, 0);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0xF8);
	/* AP<g>R1..3 do not exist with 5 preemption bits: RAZ/WI. */
	for (unsigned n = 1; n < 4; n++) {
		sg_cpuif_write_apr(&c, G0, n, 0xFFFFFFFFu);
		sg_cpuif_write_apr(&c, G1, n, 0xFFFFFFFFu);
		ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, n), 0);
		ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, n), 0);
	}
	sg_cpuif_write_apr(&c, 2, 0, 5);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, 2, 0), 0);
	/* A running priority restored at 0x60 blocks a pending 0x60. */
	sg_cpuif_write_apr(&c, G0, 0, 0);
	sg_cpuif_write_apr(&c, G1, 0, 1u << (0x60 >> 3));
	sg_cpuif_write_lr(&c, 0, pend(40, 0x60, G1));
	ck_assert(!sg_cpuif_virq(&c));
	sg_cpuif_write_lr(&c, 0, pend(40, 0x58, G1));
	ck_assert(sg_cpuif_virq(&c));
}
END_TEST

/* ------------------------------------------------------------------ EOImode */

START_TEST(test_eoimode0)
{
	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	/* DIR is ignored with EOImode 0. */
	sg_cpuif_dir(&c, 40);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE);
	ck_assert_uint_eq(eoicount(), 0);
	/* EOIR drops the priority and deactivates. */
	sg_cpuif_eoir(&c, G1, 40);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0xFF);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 0);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	ck_assert_uint_eq(eoicount(), 0);
}
END_TEST

START_TEST(test_eoimode1)
{
	sg_cpuif_set_ctlr(&c, ICC_CTLR_EOIMODE);
	ck_assert(sg_cpuif_read_vmcr(&c) & ICH_VMCR_EOIM);
	ck_assert_uint_eq(sg_cpuif_ctlr(&c) & ICC_CTLR_EOIMODE, ICC_CTLR_EOIMODE);
	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	sg_cpuif_write_lr(&c, 1, pend(41, 0x80, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	/* EOIR only drops the priority: 41 may now be taken while 40 is
	 * still active. */
	sg_cpuif_eoir(&c, G1, 40);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0xFF);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE);
	ck_assert(sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 41);
	/* DIR deactivates, in any order. */
	sg_cpuif_dir(&c, 40);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	ck_assert_uint_eq(lr_st(1), ST_ACTIVE);
	sg_cpuif_eoir(&c, G1, 41);
	sg_cpuif_dir(&c, 41);
	ck_assert_uint_eq(lr_st(1), ST_INVALID);
	ck_assert_uint_eq(eoicount(), 0);
	/* The CTLR write touches only CBPR and EOImode. */
	uint32_t vmcr = sg_cpuif_read_vmcr(&c);
	sg_cpuif_set_ctlr(&c, 0xFFFFFFFFu);
	ck_assert_uint_eq(sg_cpuif_read_vmcr(&c), vmcr | ICH_VMCR_CBPR);
	ck_assert_uint_eq(sg_cpuif_ctlr(&c),
			  ICC_CTLR_CBPR | ICC_CTLR_EOIMODE | (4u << 8) | (1u << 15) | (1u << 18));
	sg_cpuif_set_ctlr(&c, 0);
	ck_assert(!(sg_cpuif_read_vmcr(&c) & (ICH_VMCR_CBPR | ICH_VMCR_EOIM)));
}
END_TEST

START_TEST(test_eoi_out_of_order)
{
	/* EOIs must nest; out of order is UNPREDICTABLE.  The model drops the
	 * group's highest active priority and deactivates only an LR whose
	 * group priority is the one dropped. */
	sg_cpuif_write_lr(&c, 0, pend(40, 0x80, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	sg_cpuif_write_lr(&c, 1, pend(41, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 41);
	sg_cpuif_eoir(&c, G1, 40);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << 16);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE);
	ck_assert_uint_eq(lr_st(1), ST_ACTIVE);
	ck_assert_uint_eq(eoicount(), 0);
	/* An EOIR0 for a group 1 interrupt finds no group 0 priority. */
	sg_cpuif_eoir(&c, G0, 40);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << 16);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE);
}
END_TEST

START_TEST(test_intid_width)
{
	/* 16 INTID bits: EOIR/DIR bits [23:16] are RES0 and ignored. */
	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	sg_cpuif_eoir(&c, G1, 0x10000u | 40);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	/* 1024..8191 are reserved (no extended SPI/PPI ranges): not a valid
	 * identifier, so the write is ignored. */
	sg_cpuif_write_apr(&c, G1, 0, 1u << 8);
	sg_cpuif_eoir(&c, G1, 1024);
	sg_cpuif_eoir(&c, G1, 8191);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << 8);
	ck_assert_uint_eq(eoicount(), 0);
	sg_cpuif_set_ctlr(&c, ICC_CTLR_EOIMODE);
	sg_cpuif_dir(&c, 4096);
	ck_assert_uint_eq(eoicount(), 0);
	sg_cpuif_dir(&c, 1019);
	ck_assert_uint_eq(eoicount(), 1);
}
END_TEST

/* --------------------------------------------------------------- EOIcount */

START_TEST(test_eoicount)
{
	/* An active interrupt the hypervisor moved out of the LRs: its
	 * priority is still active. */
	sg_cpuif_write_apr(&c, G1, 0, 1u << 8);
	sg_cpuif_eoir(&c, G1, 33);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 0);
	ck_assert_uint_eq(eoicount(), 1);
	/* No LRENP without LRENPIE; with it, the maintenance interrupt. */
	ck_assert(!(sg_cpuif_read_misr(&c) & ICH_MISR_LRENP));
	sg_cpuif_write_hcr(&c, sg_cpuif_read_hcr(&c) | ICH_HCR_LRENPIE);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_LRENP);
	ck_assert(sg_cpuif_maintenance(&c));
	/* The hypervisor consumes the count. */
	sg_cpuif_write_hcr(&c, ICH_HCR_EN | ICH_HCR_LRENPIE);
	ck_assert(!sg_cpuif_maintenance(&c));

	/* An LPI not in an LR: priority drop, no EOIcount. */
	sg_cpuif_write_apr(&c, G1, 0, 1u << 8);
	sg_cpuif_eoir(&c, G1, GIC_LPI_BASE + 8);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 0);
	ck_assert_uint_eq(eoicount(), 0);

	/* Spurious/special INTIDs are ignored entirely. */
	sg_cpuif_write_apr(&c, G1, 0, 1u << 8);
	for (uint32_t id = 1020; id <= 1023; id++)
		sg_cpuif_eoir(&c, G1, id);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << 8);
	ck_assert_uint_eq(eoicount(), 0);
	/* EOIR1 does not drop a group 0 priority, and without an active
	 * priority in its group the model changes nothing. */
	sg_cpuif_write_apr(&c, G1, 0, 0);
	sg_cpuif_write_apr(&c, G0, 0, 1u << 4);
	sg_cpuif_eoir(&c, G1, 33);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0), 1u << 4);
	ck_assert_uint_eq(eoicount(), 0);
	sg_cpuif_eoir(&c, G0, 33);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0), 0);
	ck_assert_uint_eq(eoicount(), 1);
}
END_TEST

START_TEST(test_eoicount_eoimode1)
{
	sg_cpuif_set_ctlr(&c, ICC_CTLR_EOIMODE);
	/* With EOImode 1 an EOIR never deactivates: no count for it... */
	sg_cpuif_write_apr(&c, G1, 0, 1u << 8);
	sg_cpuif_eoir(&c, G1, 33);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 0);
	ck_assert_uint_eq(eoicount(), 0);
	/* ...the DIR that finds no LR counts. */
	sg_cpuif_dir(&c, 33);
	ck_assert_uint_eq(eoicount(), 1);
	/* DIR of an LPI or a special INTID is not valid: no count. */
	sg_cpuif_dir(&c, GIC_LPI_BASE + 1);
	sg_cpuif_dir(&c, 1023);
	sg_cpuif_dir(&c, 1020);
	ck_assert_uint_eq(eoicount(), 1);
	/* DIR does not depend on an active priority. */
	sg_cpuif_dir(&c, 0);
	ck_assert_uint_eq(eoicount(), 2);
}
END_TEST

START_TEST(test_eoicount_wraps)
{
	/* 5-bit field: 31 + 1 wraps to 0. */
	sg_cpuif_write_hcr(&c, ICH_HCR_EN | (31u << ICH_HCR_EOICOUNT_SHIFT));
	sg_cpuif_write_apr(&c, G1, 0, 1u << 3);
	sg_cpuif_eoir(&c, G1, 100);
	ck_assert_uint_eq(eoicount(), 0);
	ck_assert_uint_eq(sg_cpuif_read_hcr(&c), ICH_HCR_EN);
}
END_TEST

/* ------------------------------------------------------ HW=1 deactivation */

START_TEST(test_hw_deactivate)
{
	/* vINTID 27 backed by physical PPI 27, and vINTID 48 by SPI 600
	 * (pINTID bit 41 set, which is not EOI when HW = 1). */
	sg_cpuif_write_lr(&c, 0, pend(27, 0x40, G1) | ICH_LR_HW | (27ull << ICH_LR_PINTID_SHIFT));
	sg_cpuif_write_lr(&c, 1, pend(48, 0x80, G1) | ICH_LR_HW | (600ull << ICH_LR_PINTID_SHIFT));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 27);
	ck_assert_uint_eq(hw_calls, 0);
	sg_cpuif_eoir(&c, G1, 27);
	ck_assert_uint_eq(hw_calls, 1);
	ck_assert_uint_eq(hw_last, 27);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	/* HW entries never raise EOI maintenance and are free once inactive. */
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 0);
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c) & 0x3, 0x1);

	/* EOImode 1: EOIR leaves the physical interrupt active, DIR ends it. */
	sg_cpuif_set_ctlr(&c, ICC_CTLR_EOIMODE);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 48);
	sg_cpuif_eoir(&c, G1, 48);
	ck_assert_uint_eq(hw_calls, 1);
	sg_cpuif_dir(&c, 48);
	ck_assert_uint_eq(hw_calls, 2);
	ck_assert_uint_eq(hw_last, 600);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 0);
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0xF);
}
END_TEST

START_TEST(test_hw_deactivate_null_and_special)
{
	/* A special pINTID names no physical interrupt. */
	sg_cpuif_write_lr(&c, 0, pend(30, 0x40, G1) | ICH_LR_HW | (1023ull << ICH_LR_PINTID_SHIFT));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 30);
	sg_cpuif_eoir(&c, G1, 30);
	ck_assert_uint_eq(hw_calls, 0);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	/* No callback wired: deactivation still happens. */
	c.hw_deactivate = NULL;
	sg_cpuif_write_lr(&c, 0, pend(30, 0x40, G1) | ICH_LR_HW | (30ull << ICH_LR_PINTID_SHIFT));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 30);
	sg_cpuif_eoir(&c, G1, 30);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	ck_assert_uint_eq(hw_calls, 0);
}
END_TEST

/* ---------------------------------------------------- EOI maintenance, ELRSR */

START_TEST(test_eoi_maintenance)
{
	sg_cpuif_write_lr(&c, 2, pend(40, 0x40, G1) | ICH_LR_EOI);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 0);
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0xB);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 0);
	ck_assert(!sg_cpuif_maintenance(&c));
	sg_cpuif_eoir(&c, G1, 40);
	/* Invalid, HW = 0, EOI = 1: EISR bit 2, LR not empty, MISR.EOI. */
	ck_assert_uint_eq(lr_st(2), ST_INVALID);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 1u << 2);
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0xB);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_EOI);
	ck_assert(sg_cpuif_maintenance(&c));
	/* The maintenance line needs En; MISR does not. */
	sg_cpuif_write_hcr(&c, 0);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_EOI);
	ck_assert(!sg_cpuif_maintenance(&c));
	/* The hypervisor handles it by rewriting the LR. */
	sg_cpuif_write_hcr(&c, ICH_HCR_EN);
	sg_cpuif_write_lr(&c, 2, 0);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 0);
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0xF);
	ck_assert(!sg_cpuif_maintenance(&c));
}
END_TEST

START_TEST(test_elrsr_states)
{
	sg_cpuif_write_lr(&c, 0, mklr(ST_INVALID, 40, 0x40, G1));
	sg_cpuif_write_lr(&c, 1, mklr(ST_PENDING, 41, 0x40, G1));
	sg_cpuif_write_lr(&c, 2, mklr(ST_ACTIVE, 42, 0x40, G1));
	sg_cpuif_write_lr(&c, 3, mklr(ST_ACTIVE_PENDING, 43, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0x1);
	/* Invalid with EOI (HW = 0): not empty, EOI pending. */
	sg_cpuif_write_lr(&c, 1, mklr(ST_INVALID, 41, 0x40, G1) | ICH_LR_EOI);
	/* Invalid HW = 1 whose pINTID has bit 41 set: empty. */
	sg_cpuif_write_lr(&c, 2,
			  mklr(ST_INVALID, 42, 0x40, G1) | ICH_LR_HW |
				  (512ull << ICH_LR_PINTID_SHIFT));
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0x5);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 0x2);
	/* Only implemented LRs report: 16 LRs give 16 bits. */
	sg_cpuif_init(&c, 16);
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0xFFFF);
	sg_cpuif_write_lr(&c, 15, mklr(ST_INVALID, 42, 0x40, G1) | ICH_LR_EOI);
	ck_assert_uint_eq(sg_cpuif_read_elrsr(&c), 0x7FFF);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 0x8000);
}
END_TEST

/* ------------------------------------------------ other maintenance causes */

START_TEST(test_underflow)
{
	/* U: UIE and at most one valid LR. */
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), 0);
	sg_cpuif_write_hcr(&c, ICH_HCR_EN | ICH_HCR_UIE);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_U);
	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_U);
	sg_cpuif_write_lr(&c, 3, mklr(ST_ACTIVE, 41, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), 0);
	ck_assert(!sg_cpuif_maintenance(&c));
	/* Taking and completing one leaves one valid LR: underflow. */
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), 0);
	sg_cpuif_eoir(&c, G1, 40);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_U);
	ck_assert(sg_cpuif_maintenance(&c));
	/* An invalid LR with a pending EOI is not a valid interrupt. */
	sg_cpuif_write_lr(&c, 1, mklr(ST_INVALID, 42, 0x40, G1) | ICH_LR_EOI);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_U | ICH_MISR_EOI);
}
END_TEST

START_TEST(test_no_pending)
{
	sg_cpuif_write_hcr(&c, ICH_HCR_EN | ICH_HCR_NPIE);
	/* No LR pending at all. */
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_NP);
	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), 0);
	/* Every LR active: NP asserts (the hypervisor must not arm NPIE then;
	 * the model just reports). */
	for (unsigned i = 0; i < 4; i++)
		sg_cpuif_write_lr(&c, i, mklr(ST_ACTIVE, 40 + i, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_NP);
	ck_assert(sg_cpuif_maintenance(&c));
	/* Active+Pending cannot be acknowledged: still no pending LR. */
	sg_cpuif_write_lr(&c, 2, mklr(ST_ACTIVE_PENDING, 42, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_NP);
	/* A pending LR of a disabled group is still pending. */
	sg_cpuif_set_igrpen(&c, G1, false);
	sg_cpuif_write_lr(&c, 3, pend(43, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), 0);
	/* Without NPIE nothing. */
	sg_cpuif_write_lr(&c, 3, 0);
	sg_cpuif_write_hcr(&c, ICH_HCR_EN);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), 0);
}
END_TEST

START_TEST(test_group_enable_maintenance)
{
	const uint32_t all = ICH_HCR_EN | ICH_HCR_VGRP0EIE | ICH_HCR_VGRP0DIE | ICH_HCR_VGRP1EIE |
			     ICH_HCR_VGRP1DIE;

	sg_cpuif_write_hcr(&c, all);
	/* VENG0 = 0, VENG1 = 1. */
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_VGRP0D | ICH_MISR_VGRP1E);
	/* VENG0 = 1, VENG1 = 1. */
	sg_cpuif_set_igrpen(&c, G0, true);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_VGRP0E | ICH_MISR_VGRP1E);
	/* VENG0 = 1, VENG1 = 0. */
	sg_cpuif_set_igrpen(&c, G1, false);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_VGRP0E | ICH_MISR_VGRP1D);
	/* VENG0 = 0, VENG1 = 0. */
	sg_cpuif_set_igrpen(&c, G0, false);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_VGRP0D | ICH_MISR_VGRP1D);
	/* Each bit needs its own enable: VGrp0D follows VENG0 alone. */
	sg_cpuif_write_hcr(&c, ICH_HCR_EN | ICH_HCR_VGRP0DIE);
	sg_cpuif_set_igrpen(&c, G1, true);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_VGRP0D);
	sg_cpuif_set_igrpen(&c, G0, true);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), 0);
	sg_cpuif_write_hcr(&c, ICH_HCR_EN | ICH_HCR_VGRP1DIE);
	sg_cpuif_set_igrpen(&c, G1, false);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_VGRP1D);
	ck_assert(sg_cpuif_maintenance(&c));
	/* Through VMCR too. */
	sg_cpuif_write_hcr(&c, ICH_HCR_EN | ICH_HCR_VGRP1EIE);
	sg_cpuif_write_vmcr(&c, ICH_VMCR_ENG1);
	ck_assert_uint_eq(sg_cpuif_read_misr(&c), ICH_MISR_VGRP1E);
}
END_TEST

/* ---------------------------------------------------------- vIRQ / vFIQ */

START_TEST(test_virq_vfiq_lines)
{
	sg_cpuif_set_igrpen(&c, G0, true);
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert(!sg_cpuif_vfiq(&c));
	sg_cpuif_write_lr(&c, 0, pend(40, 0x80, G1));
	ck_assert(sg_cpuif_virq(&c));
	ck_assert(!sg_cpuif_vfiq(&c));
	sg_cpuif_write_lr(&c, 1, pend(20, 0x40, G0));
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert(sg_cpuif_vfiq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G0), 20);
	/* 0x80 cannot preempt 0x40: both lines low. */
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert(!sg_cpuif_vfiq(&c));
	sg_cpuif_eoir(&c, G0, 20);
	ck_assert(sg_cpuif_virq(&c));
	/* PMR and En gate the lines. */
	sg_cpuif_set_pmr(&c, 0x80);
	ck_assert(!sg_cpuif_virq(&c));
	sg_cpuif_set_pmr(&c, 0xF8);
	sg_cpuif_write_hcr(&c, 0);
	ck_assert(!sg_cpuif_virq(&c));
}
END_TEST

/* ------------------------------------------------------- Active + Pending */

START_TEST(test_active_pending)
{
	/* Pending again while active (an edge re-triggered): not taken until
	 * the active instance is deactivated. */
	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	sg_cpuif_write_lr(&c, 0, sg_cpuif_read_lr(&c, 0) | ICH_LR_PENDING);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE_PENDING);
	sg_cpuif_write_apr(&c, G1, 0, 0); /* even with nothing running */
	ck_assert(!sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), SPURIOUS);
	sg_cpuif_write_apr(&c, G1, 0, 1u << 8);
	/* EOI: Active+Pending -> Pending, which is then taken again. */
	sg_cpuif_eoir(&c, G1, 40);
	ck_assert_uint_eq(lr_st(0), ST_PENDING);
	ck_assert(sg_cpuif_virq(&c));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 40);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE);
	/* With EOImode 1 the DIR does the Active+Pending -> Pending step. */
	sg_cpuif_set_ctlr(&c, ICC_CTLR_EOIMODE);
	sg_cpuif_write_lr(&c, 0, sg_cpuif_read_lr(&c, 0) | ICH_LR_PENDING);
	sg_cpuif_eoir(&c, G1, 40);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE_PENDING);
	sg_cpuif_dir(&c, 40);
	ck_assert_uint_eq(lr_st(0), ST_PENDING);
}
END_TEST

/* ----------------------------------------------------------------- LPIs */

START_TEST(test_lpi_in_lr)
{
	const uint32_t lpi = GIC_LPI_BASE + 5;

	sg_cpuif_write_lr(&c, 1, pend(lpi, 0xA0, G1) | ICH_LR_EOI);
	ck_assert_uint_eq(sg_cpuif_hppir(&c, G1), lpi);
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), lpi);
	ck_assert_uint_eq(lr_st(1), ST_ACTIVE);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 1u << (0xA0 >> 3));
	sg_cpuif_eoir(&c, G1, lpi);
	ck_assert_uint_eq(lr_st(1), ST_INVALID);
	ck_assert_uint_eq(sg_cpuif_read_eisr(&c), 1u << 1);
	ck_assert_uint_eq(eoicount(), 0);

	/* An LPI has no active state: with EOImode 1 the EOIR still ends it,
	 * and a DIR for it is ignored. */
	sg_cpuif_init(&c, 4);
	setup();
	sg_cpuif_set_ctlr(&c, ICC_CTLR_EOIMODE);
	sg_cpuif_write_lr(&c, 0, pend(lpi, 0x60, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), lpi);
	sg_cpuif_dir(&c, lpi);
	ck_assert_uint_eq(lr_st(0), ST_ACTIVE);
	sg_cpuif_eoir(&c, G1, lpi);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0xFF);
	ck_assert_uint_eq(eoicount(), 0);
	/* The highest 16-bit INTID. */
	sg_cpuif_write_lr(&c, 0, pend(0xFFFF, 0x60, G1));
	ck_assert_uint_eq(sg_cpuif_iar(&c, G1), 0xFFFF);
	sg_cpuif_eoir(&c, G1, 0xFFFF);
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
}
END_TEST

/* ----------------------------------------------------- system registers */

START_TEST(test_sysreg_dispatch)
{
	uint64_t v = 0;

	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	sg_cpuif_write_lr(&c, 1, pend(20, 0x80, G0));

	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_IGRPEN0_EL1, 1));
	ck_assert(sg_cpuif_igrpen(&c, G0));
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_IGRPEN0_EL1, &v));
	ck_assert_uint_eq(v, 1);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_IGRPEN1_EL1, 0));
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_IGRPEN1_EL1, &v));
	ck_assert_uint_eq(v, 0);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_IGRPEN1_EL1, 1));
	ck_assert(sg_cpuif_igrpen(&c, G1));

	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_PMR_EL1, 0xC7));
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_PMR_EL1, &v));
	ck_assert_uint_eq(v, 0xC0);

	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_BPR0_EL1, 0));
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_BPR0_EL1, &v));
	ck_assert_uint_eq(v, 2);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_BPR1_EL1, 4));
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_BPR1_EL1, &v));
	ck_assert_uint_eq(v, 4);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_BPR1_EL1, 3));

	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_HPPIR1_EL1, &v));
	ck_assert_uint_eq(v, 40);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_HPPIR0_EL1, &v));
	ck_assert_uint_eq(v, SPURIOUS);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_IAR1_EL1, &v));
	ck_assert_uint_eq(v, 40);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_RPR_EL1, &v));
	ck_assert_uint_eq(v, 0x40);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_AP1R0_EL1, &v));
	ck_assert_uint_eq(v, 1u << 8);
	/* Group 0 at 0x80 cannot preempt 0x40. */
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_IAR0_EL1, &v));
	ck_assert_uint_eq(v, SPURIOUS);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_EOIR1_EL1, 40));
	ck_assert_uint_eq(lr_st(0), ST_INVALID);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_HPPIR0_EL1, &v));
	ck_assert_uint_eq(v, 20);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_IAR0_EL1, &v));
	ck_assert_uint_eq(v, 20);
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_AP0R0_EL1, &v));
	ck_assert_uint_eq(v, 1u << 16);

	/* EOImode 1 through ICC_CTLR_EL1, then EOIR0 and DIR. */
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_CTLR_EL1, ICC_CTLR_EOIMODE));
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_CTLR_EL1, &v));
	ck_assert_uint_eq(v, ICC_CTLR_EOIMODE | (4u << 8) | (1u << 15) | (1u << 18));
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_EOIR0_EL1, 20));
	ck_assert_uint_eq(lr_st(1), ST_ACTIVE);
	ck_assert_uint_eq(sg_cpuif_rpr(&c), 0xFF);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_DIR_EL1, 20));
	ck_assert_uint_eq(lr_st(1), ST_INVALID);

	/* AP<g>R0 writes land in ICH_AP<g>R0_EL2 (bits [63:32] RES0). */
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_AP0R0_EL1, 0x100000010ull));
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0), 0x10);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_AP1R0_EL1, 0x20));
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G1, 0), 0x20);

	/* SRE: SRE, DFB, DIB read as one, writes ignored. */
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_SRE_EL1, &v));
	ck_assert_uint_eq(v, 0x7);
	ck_assert(sg_cpuif_sysreg_write(&c, SYS_ICC_SRE_EL1, 0));
	ck_assert(sg_cpuif_sysreg_read(&c, SYS_ICC_SRE_EL1, &v));
	ck_assert_uint_eq(v, 0x7);
}
END_TEST

START_TEST(test_sysreg_undefined_and_traps)
{
	uint64_t v = 0xABCD;
	const uint32_t vmcr = sg_cpuif_read_vmcr(&c);

	sg_cpuif_write_lr(&c, 0, pend(40, 0x40, G1));
	/* SGI generation traps to the hypervisor: not handled here. */
	const uint32_t sgi[] = { SYS_ICC_SGI0R_EL1, SYS_ICC_SGI1R_EL1, SYS_ICC_ASGI1R_EL1 };
	for (unsigned i = 0; i < 3; i++) {
		ck_assert(!sg_cpuif_sysreg_write(&c, sgi[i], 1));
		ck_assert(!sg_cpuif_sysreg_read(&c, sgi[i], &v));
	}
	/* Write-only registers cannot be read (UNDEFINED on a PE). */
	ck_assert(!sg_cpuif_sysreg_read(&c, SYS_ICC_EOIR0_EL1, &v));
	ck_assert(!sg_cpuif_sysreg_read(&c, SYS_ICC_EOIR1_EL1, &v));
	ck_assert(!sg_cpuif_sysreg_read(&c, SYS_ICC_DIR_EL1, &v));
	/* Read-only registers cannot be written, and a write has no effect. */
	ck_assert(!sg_cpuif_sysreg_write(&c, SYS_ICC_IAR1_EL1, 0));
	ck_assert(!sg_cpuif_sysreg_write(&c, SYS_ICC_IAR0_EL1, 0));
	ck_assert(!sg_cpuif_sysreg_write(&c, SYS_ICC_HPPIR0_EL1, 0));
	ck_assert(!sg_cpuif_sysreg_write(&c, SYS_ICC_HPPIR1_EL1, 0));
	ck_assert(!sg_cpuif_sysreg_write(&c, SYS_ICC_RPR_EL1, 0));
	ck_assert_uint_eq(lr_st(0), ST_PENDING);
	/* AP<g>R1..3 are not implemented with 5 preemption bits: UNDEFINED. */
	for (unsigned n = 1; n < 4; n++) {
		ck_assert(!sg_cpuif_sysreg_read(&c, SYS_ICC_AP0R0_EL1 + n, &v));
		ck_assert(!sg_cpuif_sysreg_write(&c, SYS_ICC_AP0R0_EL1 + n, 1));
		ck_assert(!sg_cpuif_sysreg_read(&c, SYS_ICC_AP1R0_EL1 + n, &v));
		ck_assert(!sg_cpuif_sysreg_write(&c, SYS_ICC_AP1R0_EL1 + n, 1));
	}
	/* Other encodings: ICC_NMIAR1_EL1 (no FEAT_GICv3_NMI), SCTLR_EL1. */
	ck_assert(!sg_cpuif_sysreg_read(&c, SG_SYSREG(3, 0, 12, 9, 5), &v));
	ck_assert(!sg_cpuif_sysreg_read(&c, SG_SYSREG(3, 0, 1, 0, 0), &v));
	ck_assert(!sg_cpuif_sysreg_write(&c, SG_SYSREG(3, 0, 1, 0, 0), 0));
	/* None of that changed any state; v untouched by failed reads. */
	ck_assert_uint_eq(v, 0xABCD);
	ck_assert_uint_eq(sg_cpuif_read_vmcr(&c), vmcr);
	ck_assert_uint_eq(sg_cpuif_read_apr(&c, G0, 0) | sg_cpuif_read_apr(&c, G1, 0), 0);
	ck_assert_uint_eq(lr_st(0), ST_PENDING);
}
END_TEST

static Suite *cpuif_suite(void)
{
	Suite *s = suite_create("cpuif");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_vtr);
	tcase_add_test(tc, test_lr_access);
	tcase_add_test(tc, test_hcr_fields);
	tcase_add_test(tc, test_vmcr_normalised);
	tcase_add_test(tc, test_ack_in_priority_order);
	tcase_add_test(tc, test_equal_priority_lowest_lr_first);
	tcase_add_test(tc, test_spurious_and_wrong_group);
	tcase_add_test(tc, test_interface_disabled);
	tcase_add_test(tc, test_pmr_masking);
	tcase_add_test(tc, test_group_enable_masking);
	tcase_add_test(tc, test_preemption_bpr0);
	tcase_add_test(tc, test_preemption_bpr1);
	tcase_add_test(tc, test_preemption_cbpr);
	tcase_add_test(tc, test_bpr_minimum);
	tcase_add_test(tc, test_rpr_nested);
	tcase_add_test(tc, test_apr_hypervisor_view);
	tcase_add_test(tc, test_eoimode0);
	tcase_add_test(tc, test_eoimode1);
	tcase_add_test(tc, test_eoi_out_of_order);
	tcase_add_test(tc, test_intid_width);
	tcase_add_test(tc, test_eoicount);
	tcase_add_test(tc, test_eoicount_eoimode1);
	tcase_add_test(tc, test_eoicount_wraps);
	tcase_add_test(tc, test_hw_deactivate);
	tcase_add_test(tc, test_hw_deactivate_null_and_special);
	tcase_add_test(tc, test_eoi_maintenance);
	tcase_add_test(tc, test_elrsr_states);
	tcase_add_test(tc, test_underflow);
	tcase_add_test(tc, test_no_pending);
	tcase_add_test(tc, test_group_enable_maintenance);
	tcase_add_test(tc, test_virq_vfiq_lines);
	tcase_add_test(tc, test_active_pending);
	tcase_add_test(tc, test_lpi_in_lr);
	tcase_add_test(tc, test_sysreg_dispatch);
	tcase_add_test(tc, test_sysreg_undefined_and_traps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cpuif_suite());
	int failed;

	/* Each test re-initialises the model in its fixture, so forking buys
	 * nothing, and fork() hangs under some qemu-user setups (the arm64
	 * cross run).  CK_FORK=yes still forces fork mode. */
	if (!getenv("CK_FORK"))
		srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
