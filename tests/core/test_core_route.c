// SPDX-License-Identifier: MIT
/*
 * 1-of-N routing (IROUTER.IRM = 1): the documented policy is round-robin,
 * starting after the vCPU chosen last, over the vCPUs whose latest
 * CpuState lets them take the SPI's group (docs/distributor.md "Routing").
 */
#include "core_test.h"

#define IRM (1ull << 31)

/* Pulses an edge SPI and returns the vCPU it went to; the owner then
 * deactivates it so the next pulse is a fresh choice. */
static unsigned fire(uint32_t intid)
{
	const Sg__Deliver *d;
	unsigned v;

	cx_pulse(intid);
	d = cx_deliver();
	ck_assert_uint_eq(d->intid, intid);
	ck_assert(d->set_latch);
	v = d->vcpu;
	cx_deact(v, intid, d->gen, false);
	cx_quiet();
	return v;
}

START_TEST(test_round_robin)
{
	cx_init();
	cx_setup(40, true, 0, 0);
	cx_route(40, IRM);
	for (unsigned i = 0; i < 2 * CX_VCPUS; i++)
		ck_assert_uint_eq(fire(40), i % CX_VCPUS);
}
END_TEST

/* The cursor is shared by all 1-of-N SPIs: consecutive deliveries of
 * different SPIs spread over the vCPUs too. */
START_TEST(test_cursor_shared)
{
	cx_init();
	for (uint32_t id = 40; id < 44; id++) {
		cx_setup(id, true, 0, 0);
		cx_route(id, IRM);
	}
	ck_assert_uint_eq(fire(40), 0);
	ck_assert_uint_eq(fire(41), 1);
	ck_assert_uint_eq(fire(42), 2);
	ck_assert_uint_eq(fire(40), 3);
	ck_assert_uint_eq(fire(43), 0);
}
END_TEST

/* CpuState masks vCPUs: one with the SPI's group disabled or asleep is
 * skipped; its other group still counts for SPIs of that group. */
START_TEST(test_cpu_state_masks)
{
	cx_init();
	cx_setup(40, true, 0, 0);
	cx_route(40, IRM);
	cx_setup(41, true, 0, 0);
	cx_group(41, false);
	cx_route(41, IRM);
	cx_cpu(1, true, false, false); /* vCPU 1: group 0 only */
	cx_cpu(2, true, true, true);   /* vCPU 2: asleep */
	cx_quiet();
	ck_assert_uint_eq(fire(40), 0);
	ck_assert_uint_eq(fire(40), 3);
	ck_assert_uint_eq(fire(40), 0);
	ck_assert_uint_eq(fire(41), 1); /* group 0: vCPU 1 takes it */
	cx_cpu(2, true, true, false);
	ck_assert_uint_eq(fire(40), 2);
}
END_TEST

/* Nobody eligible: the SPI stays pending in the distributor, and the
 * CpuState that makes a vCPU eligible delivers it there. */
START_TEST(test_none_eligible)
{
	cx_init();
	cx_setup(40, true, 0x33, 0);
	cx_route(40, IRM);
	for (unsigned v = 0; v < CX_VCPUS; v++)
		cx_cpu(v, true, false, false);
	cx_pulse(40);
	cx_quiet();
	ck_assert(cx_bitof(cx_r(0, cx_word(GICD_ISPENDR, 40)), 40));
	cx_cpu(3, false, true, true); /* asleep: still nobody */
	cx_quiet();
	cx_cpu(3, false, true, false);
	cx_expect_deliver(3, 40, 1, 0x33, true, false, F_LATCH);
	cx_quiet();
}
END_TEST

/* A vCPU holding a 1-of-N SPI that stops taking its group gives the
 * pending state back; it is then delivered to an eligible vCPU. */
START_TEST(test_owner_becomes_ineligible)
{
	cx_init();
	cx_setup(40, false, 0, 0);
	cx_route(40, IRM);
	cx_level(40, true);
	cx_expect_deliver(0, 40, 1, 0, true, true, F_LINE);
	cx_cpu(0, true, false, false);
	cx_expect_retract(0, 40, 2, F_LATCH | F_LINE | F_RETURN);
	cx_deact(0, 40, 2, false);
	cx_expect_deliver(1, 40, 3, 0, true, true, F_LINE);
	cx_quiet();
	/* Switching to IRM=0 naming the owner keeps it where it is. */
	cx_route(40, cx_aff(1));
	cx_quiet();
}
END_TEST

Suite *core_route_suite(void)
{
	Suite *s = suite_create("core-route");
	TCase *tc = tcase_create("route");

	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_cursor_shared);
	tcase_add_test(tc, test_cpu_state_masks);
	tcase_add_test(tc, test_none_eligible);
	tcase_add_test(tc, test_owner_becomes_ineligible);
	suite_add_tcase(s, tc);
	return s;
}
