// SPDX-License-Identifier: MIT
/*
 * Priority: masking by ICV_PMR_EL1 and by the group enables, preemption by
 * group priority under BPR0, BPR1 and CBPR (and the BPR minimums), the
 * running priority of nested interrupts, and the active priority registers
 * ICH_AP<g>R<n>_EL2 as the hypervisor saves and restores them.
 */
#include "cpuif_test.h"

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

Suite *cpuif_prio_suite(void)
{
	Suite *s = suite_create("cpuif-prio");
	TCase *tc = tcase_create("prio");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pmr_masking);
	tcase_add_test(tc, test_group_enable_masking);
	tcase_add_test(tc, test_preemption_bpr0);
	tcase_add_test(tc, test_preemption_bpr1);
	tcase_add_test(tc, test_preemption_cbpr);
	tcase_add_test(tc, test_bpr_minimum);
	tcase_add_test(tc, test_rpr_nested);
	tcase_add_test(tc, test_apr_hypervisor_view);
	suite_add_tcase(s, tc);
	return s;
}
