// SPDX-License-Identifier: MIT
/*
 * Signalling and acknowledge: ICV_IAR<g>_EL1 takes the highest-priority
 * pending LR of its group (lowest LR on equal priority), reads spurious for
 * the wrong group, an out-of-range group or with ICH_HCR_EL2.En clear,
 * ICV_HPPIR<g>_EL1 reports without masking, and the vIRQ/vFIQ lines follow
 * the highest pending interrupt's group, gated by preemption, PMR and En.
 */
#include "cpuif_test.h"

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

Suite *cpuif_ack_suite(void)
{
	Suite *s = suite_create("cpuif-ack");
	TCase *tc = tcase_create("ack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ack_in_priority_order);
	tcase_add_test(tc, test_equal_priority_lowest_lr_first);
	tcase_add_test(tc, test_spurious_and_wrong_group);
	tcase_add_test(tc, test_interface_disabled);
	tcase_add_test(tc, test_virq_vfiq_lines);
	suite_add_tcase(s, tc);
	return s;
}
