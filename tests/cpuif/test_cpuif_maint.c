// SPDX-License-Identifier: MIT
/*
 * Maintenance interrupt outputs: ICH_EISR_EL2 and MISR.EOI for completed
 * EOI = 1 entries, ICH_ELRSR_EL2 for every LR state, and the underflow,
 * no-pending and group enable/disable causes in ICH_MISR_EL2, with the
 * maintenance line gated by ICH_HCR_EL2.En.
 */
#include "cpuif_test.h"

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

Suite *cpuif_maint_suite(void)
{
	Suite *s = suite_create("cpuif-maint");
	TCase *tc = tcase_create("maint");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_eoi_maintenance);
	tcase_add_test(tc, test_elrsr_states);
	tcase_add_test(tc, test_underflow);
	tcase_add_test(tc, test_no_pending);
	tcase_add_test(tc, test_group_enable_maintenance);
	suite_add_tcase(s, tc);
	return s;
}
