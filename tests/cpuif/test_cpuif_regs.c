// SPDX-License-Identifier: MIT
/*
 * The hypervisor's view of the interface: the reset state, ICH_VTR_EL2 for
 * 1..16 List registers, List register access (RAZ/WI beyond the implemented
 * ones), the writable ICH_HCR_EL2 fields and how ICH_VMCR_EL2 normalises
 * its RES0/RES1 bits and minimum binary points.
 */
#include "cpuif_test.h"

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

Suite *cpuif_regs_suite(void)
{
	Suite *s = suite_create("cpuif-regs");
	TCase *tc = tcase_create("regs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_vtr);
	tcase_add_test(tc, test_lr_access);
	tcase_add_test(tc, test_hcr_fields);
	tcase_add_test(tc, test_vmcr_normalised);
	suite_add_tcase(s, tc);
	return s;
}
