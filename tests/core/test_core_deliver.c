// SPDX-License-Identifier: MIT
/*
 * Delivery: when an SPI leaves the distributor and what the Deliver says
 * (IHI 0069: an interrupt is forwarded when it is pending, enabled and its
 * group is enabled; IRM=0 names the target PE by affinity).
 */
#include "core_test.h"

#define SPI 40u

/* An edge SPI made pending by ISPENDR, SETSPI_NSR or a line pulse goes to
 * the vCPU IROUTER names, with its priority, group and trigger. */
START_TEST(test_edge_sources)
{
	for (unsigned src = 0; src < 3; src++) {
		cx_init();
		cx_setup(SPI, true, 0xa0, 2);
		cx_group(SPI, false);
		cx_quiet();
		if (src == 0)
			cx_bit(1, GICD_ISPENDR, SPI);
		else if (src == 1)
			cx_w(3, GICD_SETSPI_NSR, SPI);
		else
			cx_pulse(SPI);
		cx_expect_deliver(2, SPI, 1, 0xa0, false, false, F_LATCH);
		cx_quiet();
		ck_assert_uint_eq(cx.core.dist.stats.delivers, 1);
	}
}
END_TEST

/* Pending while disabled, while its group is disabled, or while IROUTER
 * names no vCPU: it stays in the distributor (reads show it pending, no
 * Query), and goes out once the missing condition holds. */
START_TEST(test_held_until_enabled)
{
	cx_init();
	cx_setup(SPI, true, 0x10, 1);
	cx_bit(0, GICD_ICENABLER, SPI);
	cx_bit(0, GICD_ISPENDR, SPI);
	cx_quiet();
	ck_assert(cx_bitof(cx_r(0, cx_word(GICD_ISPENDR, SPI)), SPI));
	cx_bit(0, GICD_ISENABLER, SPI);
	cx_expect_deliver(1, SPI, 1, 0x10, true, false, F_LATCH);
	cx_quiet();

	/* Group 1 disabled in GICD_CTLR. */
	cx_init();
	cx_setup(SPI + 1, true, 0x10, 1);
	cx_w(0, GICD_CTLR, GICD_CTLR_ENABLE_G0);
	cx_bit(0, GICD_ISPENDR, SPI + 1);
	cx_quiet();
	cx_w(0, GICD_CTLR, GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
	cx_expect_deliver(1, SPI + 1, 1, 0x10, true, false, F_LATCH);
	cx_quiet();

	/* Group 0 SPI: EnableGrp1 does not help, EnableGrp0 does. */
	cx_init();
	cx_setup(SPI, true, 0x10, 1);
	cx_group(SPI, false);
	cx_w(0, GICD_CTLR, GICD_CTLR_ENABLE_G1);
	cx_bit(0, GICD_ISPENDR, SPI);
	cx_quiet();
	cx_w(0, GICD_CTLR, GICD_CTLR_ENABLE_G0);
	cx_expect_deliver(1, SPI, 1, 0x10, false, false, F_LATCH);
	cx_quiet();

	/* IROUTER names no vCPU, then names vCPU 3. */
	cx_init();
	cx_setup(SPI, true, 0x10, 1);
	cx_route(SPI, CX_AFF_NONE);
	cx_pulse(SPI);
	cx_quiet();
	ck_assert(cx_bitof(cx_r(2, cx_word(GICD_ISPENDR, SPI)), SPI));
	cx_route(SPI, cx_aff(3));
	cx_expect_deliver(3, SPI, 1, 0x10, true, false, F_LATCH);
	cx_quiet();
}
END_TEST

/* Routing matches all four affinity levels: a value differing from a
 * vCPU's MPIDR only in Aff3 names nobody. */
START_TEST(test_route_affinity_levels)
{
	for (unsigned v = 0; v < CX_VCPUS; v++) {
		cx_init();
		cx_setup(SPI, true, 0, v);
		cx_route(SPI, cx_aff(v) ^ 0x0200000000ull);
		cx_bit(0, GICD_ISPENDR, SPI);
		cx_quiet();
		cx_route(SPI, cx_aff(v));
		cx_expect_deliver(v, SPI, 1, 0, true, false, F_LATCH);
		cx_quiet();
	}
}
END_TEST

/* Level SPI: a high line is delivered as set_line; the line dropping while
 * the owner holds it is retracted (clear_line); a second rise goes again. */
START_TEST(test_level_line)
{
	cx_init();
	cx_setup(SPI, false, 0x20, 0);
	cx_level(SPI, true);
	cx_expect_deliver(0, SPI, 1, 0x20, true, true, F_LINE);
	cx_level(SPI, true); /* still high: nothing new */
	cx_quiet();
	cx_level(SPI, false);
	cx_expect_retract(0, SPI, 2, F_LINE);
	/* Still owned: a high line is not handed to the owner, which ends with
	 * Deactivated; the line is resampled then. */
	cx_level(SPI, true);
	cx_quiet();
	cx_deact(0, SPI, 2, false);
	cx_expect_deliver(0, SPI, 3, 0x20, true, true, F_LINE);
	cx_quiet();
}
END_TEST

/* Message-based SPIs follow ICFGR: on a level SPI SETSPI asserts a level
 * (set_line) until CLRSPI deasserts it; on an edge SPI it sets the latch and
 * CLRSPI clears it at the owner. */
START_TEST(test_message_spis)
{
	cx_init();
	cx_setup(SPI, false, 0x30, 1);
	cx_w(2, GICD_SETSPI_NSR, SPI);
	cx_expect_deliver(1, SPI, 1, 0x30, true, true, F_LINE);
	cx_w(2, GICD_CLRSPI_NSR, SPI);
	cx_expect_retract(1, SPI, 2, F_LINE);
	cx_quiet();

	/* Wired line and message level are independent inputs of one level. */
	cx_init();
	cx_setup(SPI, false, 0x30, 1);
	cx_level(SPI, true);
	cx_expect_deliver(1, SPI, 1, 0x30, true, true, F_LINE);
	cx_w(2, GICD_SETSPI_NSR, SPI);
	cx_level(SPI, false); /* message level still asserted */
	cx_quiet();
	cx_w(2, GICD_CLRSPI_NSR, SPI);
	cx_expect_retract(1, SPI, 2, F_LINE);
	cx_quiet();

	cx_init();
	cx_setup(SPI, true, 0x30, 1);
	cx_w(2, GICD_SETSPI_NSR, SPI);
	cx_expect_deliver(1, SPI, 1, 0x30, true, false, F_LATCH);
	cx_w(2, GICD_CLRSPI_NSR, SPI);
	cx_expect_retract(1, SPI, 2, F_LATCH);
	cx_quiet();
}
END_TEST

/* Edge lines latch on rising edges only; while owned each new edge goes to
 * the owner as another set_latch. */
START_TEST(test_edge_while_owned)
{
	cx_init();
	cx_setup(SPI, true, 0x40, 3);
	cx_level(SPI, true);
	cx_expect_deliver(3, SPI, 1, 0x40, true, false, F_LATCH);
	cx_level(SPI, true); /* no edge */
	cx_level(SPI, false);
	cx_quiet();
	cx_level(SPI, true);
	cx_expect_deliver(3, SPI, 2, 0x40, true, false, F_LATCH);
	cx_bit(0, GICD_ISPENDR, SPI);
	cx_expect_deliver(3, SPI, 3, 0x40, true, false, F_LATCH);
	cx_quiet();
}
END_TEST

/* ISACTIVER on an idle SPI hands the active state to the target even
 * though the SPI is disabled; its pending latch stays in the distributor
 * until the SPI is enabled, and then goes to the owner. */
START_TEST(test_active_only)
{
	cx_init();
	cx_setup(SPI, true, 0x50, 2);
	cx_bit(0, GICD_ICENABLER, SPI);
	cx_bit(0, GICD_ISPENDR, SPI);
	cx_quiet();
	cx_bit(1, GICD_ISACTIVER, SPI);
	cx_expect_deliver(2, SPI, 1, 0x50, true, false, F_ACTIVE);
	cx_quiet();
	cx_bit(0, GICD_ISENABLER, SPI);
	cx_expect_deliver(2, SPI, 2, 0x50, true, false, F_LATCH);
	cx_quiet();
}
END_TEST

/* Attribute changes of an owned SPI reach the owner as a Deliver with no
 * state flags; rewriting the same value sends nothing. */
START_TEST(test_attribute_updates)
{
	cx_init();
	cx_setup(SPI, true, 0x60, 1);
	cx_bit(0, GICD_ISPENDR, SPI);
	cx_expect_deliver(1, SPI, 1, 0x60, true, false, F_LATCH);
	cx_prio(SPI, 0x60);
	cx_quiet();
	cx_prio(SPI, 0x70);
	cx_expect_deliver(1, SPI, 2, 0x70, true, false, 0);
	cx_edge(SPI, false);
	cx_expect_deliver(1, SPI, 3, 0x70, true, true, 0);
	/* Group 0 while EnableGrp0 is on: an update, nothing retracted. */
	cx_group(SPI, false);
	cx_expect_deliver(1, SPI, 4, 0x70, false, true, 0);
	cx_quiet();
	/* Neighbouring SPIs written by the same word stay silent. */
	ck_assert_uint_eq(cx.core.dist.stats.delivers, 4);
}
END_TEST

/* Both groups and SPI enables off: a pulse is only latched; every SPI's
 * pending state shows through reads. */
START_TEST(test_nothing_without_enables)
{
	cx_init();
	for (uint32_t id = 32; id < 32 + CX_SPIS; id++) {
		cx_route(id, cx_aff(id % CX_VCPUS));
		cx_edge(id, true);
		cx_pulse(id);
	}
	cx_quiet();
	ck_assert_uint_eq(cx_r(1, GICD_ISPENDR + 4), ~0u);
	ck_assert_uint_eq(cx_r(1, GICD_ISPENDR + 8), ~0u);
	ck_assert_uint_eq(cx.core.dist.stats.delivers, 0);
}
END_TEST

Suite *core_deliver_suite(void)
{
	Suite *s = suite_create("core-deliver");
	TCase *tc = tcase_create("deliver");

	tcase_add_test(tc, test_edge_sources);
	tcase_add_test(tc, test_held_until_enabled);
	tcase_add_test(tc, test_route_affinity_levels);
	tcase_add_test(tc, test_level_line);
	tcase_add_test(tc, test_message_spis);
	tcase_add_test(tc, test_edge_while_owned);
	tcase_add_test(tc, test_active_only);
	tcase_add_test(tc, test_attribute_updates);
	tcase_add_test(tc, test_nothing_without_enables);
	suite_add_tcase(s, tc);
	return s;
}
