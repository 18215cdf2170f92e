// SPDX-License-Identifier: MIT
/*
 * Priority drop and deactivation: EOImode 0 (EOIR does both) and EOImode 1
 * (EOIR drops, DIR deactivates), out-of-order EOIs, the 16-bit INTID width,
 * ICH_HCR_EL2.EOIcount for deactivations that find no LR, HW = 1 entries
 * deactivating their physical interrupt, Active+Pending LRs going back to
 * Pending, and LPIs (no active state) in List registers.
 */
#include "cpuif_test.h"

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

Suite *cpuif_eoi_suite(void)
{
	Suite *s = suite_create("cpuif-eoi");
	TCase *tc = tcase_create("eoi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_eoimode0);
	tcase_add_test(tc, test_eoimode1);
	tcase_add_test(tc, test_eoi_out_of_order);
	tcase_add_test(tc, test_intid_width);
	tcase_add_test(tc, test_eoicount);
	tcase_add_test(tc, test_eoicount_eoimode1);
	tcase_add_test(tc, test_eoicount_wraps);
	tcase_add_test(tc, test_hw_deactivate);
	tcase_add_test(tc, test_hw_deactivate_null_and_special);
	tcase_add_test(tc, test_active_pending);
	tcase_add_test(tc, test_lpi_in_lr);
	suite_add_tcase(s, tc);
	return s;
}
