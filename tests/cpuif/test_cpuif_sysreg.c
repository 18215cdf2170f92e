// SPDX-License-Identifier: MIT
/*
 * The guest's system register accesses, sg_cpuif_sysreg_read/write(): each
 * ICC_*_EL1 encoding reaches the ICV_* behaviour tested in the other files,
 * while SGI generation, reads of write-only and writes of read-only
 * registers, AP<g>R1..3 and unknown encodings are refused without changing
 * any state.
 */
#include "cpuif_test.h"

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

Suite *cpuif_sysreg_suite(void)
{
	Suite *s = suite_create("cpuif-sysreg");
	TCase *tc = tcase_create("sysreg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sysreg_dispatch);
	tcase_add_test(tc, test_sysreg_undefined_and_traps);
	suite_add_tcase(s, tc);
	return s;
}
