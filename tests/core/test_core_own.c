// SPDX-License-Identifier: MIT
/*
 * Ownership: Deactivated and generations, what Retract takes back, and
 * re-delivery (docs/protocol.md "SPI ownership").
 */
#include "core_test.h"

#define SPI 50u

/* The SPI's pending bit, read when no owner has to be asked. */
static bool idle_pending(uint32_t intid)
{
	return cx_bitof(cx_r(0, cx_word(GICD_ISPENDR, intid)), intid);
}

/* Level SPI: the owner's Deactivated while the line is still high means the
 * interrupt is still pending: it is delivered again, with the next gen. */
START_TEST(test_level_redelivered)
{
	cx_init();
	cx_setup(SPI, false, 0x80, 1);
	cx_level(SPI, true);
	cx_expect_deliver(1, SPI, 1, 0x80, true, true, F_LINE);
	cx_deact(1, SPI, 1, false);
	cx_expect_deliver(1, SPI, 2, 0x80, true, true, F_LINE);
	cx_quiet();
	ck_assert_uint_eq(cx.core.dist.stats.deact_matched, 1);
}
END_TEST

/* The causal-order case: the device drops the line (the guest silenced it)
 * before the guest's EOI; both travel the bus FIFO in that order, so the
 * Deactivated finds the line low and nothing is delivered again. */
START_TEST(test_line_dropped_before_eoi)
{
	/* The owner had processed the Retract when it deactivated. */
	cx_init();
	cx_setup(SPI, false, 0x80, 1);
	cx_level(SPI, true);
	cx_expect_deliver(1, SPI, 1, 0x80, true, true, F_LINE);
	cx_level(SPI, false);
	cx_expect_retract(1, SPI, 2, F_LINE);
	cx_deact(1, SPI, 2, false);
	cx_quiet();
	ck_assert(!idle_pending(SPI));

	/* The EOI crossed the Retract: stale, then the owner answers the
	 * Retract with its own Deactivated. */
	cx_init();
	cx_setup(SPI, false, 0x80, 1);
	cx_level(SPI, true);
	cx_expect_deliver(1, SPI, 1, 0x80, true, true, F_LINE);
	cx_level(SPI, false);
	cx_expect_retract(1, SPI, 2, F_LINE);
	cx_deact(1, SPI, 1, false);
	cx_quiet();
	ck_assert_uint_eq(cx.core.dist.stats.deact_stale, 1);
	cx_deact(1, SPI, 2, false);
	cx_quiet();
	ck_assert(!idle_pending(SPI));
}
END_TEST

/* A Deactivated whose gen is older than the last message sent crossed that
 * message: ownership continues (a read still asks the owner, a new edge
 * goes to the owner as an addition) until the matching Deactivated. */
START_TEST(test_stale_gen_keeps_ownership)
{
	const Sg__Query *q;

	cx_init();
	cx_setup(SPI, true, 0x80, 2);
	cx_pulse(SPI);
	cx_expect_deliver(2, SPI, 1, 0x80, true, false, F_LATCH);
	cx_pulse(SPI);
	cx_expect_deliver(2, SPI, 2, 0x80, true, false, F_LATCH);
	cx_deact(2, SPI, 1, false);
	cx_quiet();
	cx_r_start(0, cx_word(GICD_ISPENDR, SPI));
	q = cx_query();
	ck_assert_uint_eq(q->vcpu, 2);
	ck_assert_uint_eq(q->gen, 2);
	cx_qreply(q->query_id, 2, SPI, true, false);
	ck_assert(cx_bitof((uint32_t)cx_reply(0)->data, SPI));
	cx_pulse(SPI);
	cx_expect_deliver(2, SPI, 3, 0x80, true, false, F_LATCH);
	cx_deact(2, SPI, 3, false);
	cx_quiet();
	ck_assert(!idle_pending(SPI));
	ck_assert_uint_eq(cx.core.dist.stats.deact_stale, 1);
	ck_assert_uint_eq(cx.core.dist.stats.deact_matched, 1);
}
END_TEST

/* Deactivated from a vCPU that does not own the SPI is counted and ignored. */
START_TEST(test_not_owner_ignored)
{
	cx_init();
	cx_setup(SPI, true, 0, 1);
	cx_deact(1, SPI, 0, true); /* idle: nobody owns it */
	cx_quiet();
	ck_assert(!idle_pending(SPI));
	cx_pulse(SPI);
	cx_expect_deliver(1, SPI, 1, 0, true, false, F_LATCH);
	cx_deact(3, SPI, 1, true);
	cx_quiet();
	ck_assert_uint_eq(cx.core.dist.stats.deact_not_owner, 2);
	/* Still owned by vCPU 1: the next edge goes there. */
	cx_pulse(SPI);
	cx_expect_deliver(1, SPI, 2, 0, true, false, F_LATCH);
	cx_quiet();
}
END_TEST

/* ICENABLER on an owned SPI asks for the pending latch back; the latch
 * returned in Deactivated is the distributor's again (pending without any
 * owner), and goes out again when the SPI is re-enabled. */
START_TEST(test_disable_returns_latch)
{
	cx_init();
	cx_setup(SPI, true, 0x90, 3);
	cx_bit(0, GICD_ISPENDR, SPI);
	cx_expect_deliver(3, SPI, 1, 0x90, true, false, F_LATCH);
	cx_bit(0, GICD_ICENABLER, SPI);
	cx_expect_retract(3, SPI, 2, F_LATCH | F_LINE | F_RETURN);
	cx_deact(3, SPI, 2, true);
	cx_quiet();
	ck_assert(idle_pending(SPI));
	ck_assert_uint_eq(cx.core.dist.stats.latch_returned, 1);
	cx_bit(0, GICD_ISENABLER, SPI);
	cx_expect_deliver(3, SPI, 3, 0x90, true, false, F_LATCH);
	cx_quiet();
}
END_TEST

/* returned_latch merge rule: a latch handed back with a gen older than a
 * later set_latch merges into that one (edges merge on a pending
 * interrupt); one handed back after it is taken. */
START_TEST(test_returned_latch_merge)
{
	cx_init();
	cx_setup(SPI, true, 0, 0);
	cx_pulse(SPI);
	cx_expect_deliver(0, SPI, 1, 0, true, false, F_LATCH);
	cx_bit(1, GICD_ICENABLER, SPI);
	cx_expect_retract(0, SPI, 2, F_LATCH | F_LINE | F_RETURN);
	cx_bit(1, GICD_ISENABLER, SPI); /* nothing held here: nothing to send */
	cx_quiet();
	cx_pulse(SPI);
	cx_expect_deliver(0, SPI, 3, 0, true, false, F_LATCH);
	/* The owner returned the first latch before seeing gen 3. */
	cx_deact(0, SPI, 2, true);
	cx_quiet();
	ck_assert_uint_eq(cx.core.dist.stats.latch_merged, 1);
	ck_assert_uint_eq(cx.core.dist.stats.latch_returned, 0);
	/* Ownership goes on (gen 3 outstanding); the distributor holds no
	 * latch, so the owner's final Deactivated leaves nothing pending. */
	cx_deact(0, SPI, 3, false);
	cx_quiet();
	ck_assert(!idle_pending(SPI));

	/* The same, but the return carries the latest gen: taken. */
	cx_init();
	cx_setup(SPI, true, 0, 0);
	cx_pulse(SPI);
	cx_expect_deliver(0, SPI, 1, 0, true, false, F_LATCH);
	cx_bit(1, GICD_ICENABLER, SPI);
	cx_expect_retract(0, SPI, 2, F_LATCH | F_LINE | F_RETURN);
	cx_deact(0, SPI, 2, true);
	ck_assert_uint_eq(cx.core.dist.stats.latch_returned, 1);
	ck_assert(idle_pending(SPI));
	cx_quiet();
}
END_TEST

/* ICPENDR while a return is under way: the latch coming back predates the
 * clear and must not make the SPI pending again. */
START_TEST(test_clear_beats_returned_latch)
{
	cx_init();
	cx_setup(SPI, true, 0, 0);
	cx_pulse(SPI);
	cx_expect_deliver(0, SPI, 1, 0, true, false, F_LATCH);
	cx_bit(1, GICD_ICENABLER, SPI);
	cx_expect_retract(0, SPI, 2, F_LATCH | F_LINE | F_RETURN);
	cx_bit(1, GICD_ICPENDR, SPI);
	cx_expect_retract(0, SPI, 3, F_LATCH);
	cx_deact(0, SPI, 2, true);
	cx_deact(0, SPI, 3, false);
	cx_quiet();
	ck_assert(!idle_pending(SPI));
}
END_TEST

/* Generations wrap: a latch handed back at gen 0 is later than one sent at
 * gen 0xffffffff, so it is taken (serial number comparison). */
START_TEST(test_gen_wraps)
{
	cx_init();
	cx_setup(SPI, true, 0, 0);
	cx.core.dist.spi[SPI - 32].gen = 0xfffffffeu; /* as after 2^32 - 2 messages */
	cx_pulse(SPI);
	cx_expect_deliver(0, SPI, 0xffffffffu, 0, true, false, F_LATCH);
	cx_bit(1, GICD_ICENABLER, SPI);
	cx_expect_retract(0, SPI, 0, F_LATCH | F_LINE | F_RETURN);
	cx_deact(0, SPI, 0, true);
	cx_quiet();
	ck_assert_uint_eq(cx.core.dist.stats.latch_returned, 1);
	ck_assert(idle_pending(SPI));
}
END_TEST

/* Re-routing an owned SPI takes its pending state back; after the old
 * owner's Deactivated it goes to the new target.  Re-writing the same
 * target retracts nothing. */
START_TEST(test_reroute)
{
	cx_init();
	cx_setup(SPI, true, 0x11, 0);
	cx_pulse(SPI);
	cx_expect_deliver(0, SPI, 1, 0x11, true, false, F_LATCH);
	cx_route(SPI, cx_aff(0));
	cx_quiet();
	cx_route(SPI, cx_aff(2));
	cx_expect_retract(0, SPI, 2, F_LATCH | F_LINE | F_RETURN);
	cx_pulse(SPI); /* for the new target, held until the old one is done */
	cx_quiet();
	cx_deact(0, SPI, 2, true);
	cx_expect_deliver(2, SPI, 3, 0x11, true, false, F_LATCH);
	cx_quiet();

	/* Level line: re-routed while high, then resampled for the new target. */
	cx_init();
	cx_setup(SPI, false, 0x11, 0);
	cx_level(SPI, true);
	cx_expect_deliver(0, SPI, 1, 0x11, true, true, F_LINE);
	cx_route(SPI, cx_aff(1));
	cx_expect_retract(0, SPI, 2, F_LATCH | F_LINE | F_RETURN);
	cx_deact(0, SPI, 2, false);
	cx_expect_deliver(1, SPI, 3, 0x11, true, true, F_LINE);
	cx_quiet();
}
END_TEST

/* ICPENDR, ISACTIVER and ICACTIVER on an owned SPI reach the owner; a
 * level SPI whose line is high stays pending (no clear_line). */
START_TEST(test_state_writes_reach_owner)
{
	cx_init();
	cx_setup(SPI, true, 0x22, 1);
	cx_bit(0, GICD_ISPENDR, SPI);
	cx_expect_deliver(1, SPI, 1, 0x22, true, false, F_LATCH);
	cx_bit(2, GICD_ICPENDR, SPI);
	cx_expect_retract(1, SPI, 2, F_LATCH);
	cx_bit(2, GICD_ISACTIVER, SPI);
	cx_expect_deliver(1, SPI, 3, 0x22, true, false, F_ACTIVE);
	cx_bit(3, GICD_ICACTIVER, SPI);
	cx_expect_retract(1, SPI, 4, F_ACTIVE);
	cx_quiet();

	cx_init();
	cx_setup(SPI, false, 0x22, 1);
	cx_level(SPI, true);
	cx_expect_deliver(1, SPI, 1, 0x22, true, true, F_LINE);
	cx_bit(2, GICD_ICPENDR, SPI);
	cx_expect_retract(1, SPI, 2, F_LATCH);
	cx_quiet();
}
END_TEST

/* Disabling a group in GICD_CTLR retracts the owned SPIs of that group,
 * not those of the other group; re-enabling hands held state back to the
 * owner. */
START_TEST(test_group_disable)
{
	cx_init();
	cx_setup(SPI, false, 0, 1);
	cx_setup(SPI + 1, true, 0, 2);
	cx_group(SPI + 1, false);
	cx_level(SPI, true);
	cx_expect_deliver(1, SPI, 1, 0, true, true, F_LINE);
	cx_pulse(SPI + 1);
	cx_expect_deliver(2, SPI + 1, 1, 0, false, false, F_LATCH);
	cx_w(0, GICD_CTLR, GICD_CTLR_ENABLE_G0);
	cx_expect_retract(1, SPI, 2, F_LATCH | F_LINE | F_RETURN);
	cx_quiet();
	cx_w(0, GICD_CTLR, GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
	/* Still owned (no Deactivated yet), line still high: it goes out when
	 * the owner's Deactivated ends the ownership, not to the owner now. */
	cx_quiet();
	cx_deact(1, SPI, 2, false);
	cx_expect_deliver(1, SPI, 3, 0, true, true, F_LINE);
	cx_w(0, GICD_CTLR, 0);
	cx_expect_retract(1, SPI, 4, F_LATCH | F_LINE | F_RETURN);
	cx_expect_retract(2, SPI + 1, 2, F_LATCH | F_LINE | F_RETURN);
	cx_quiet();
}
END_TEST

/* Only the SPIs' own state travels: an SPI that was never made pending
 * or active is never delivered, whatever the configuration does. */
START_TEST(test_idle_config_silent)
{
	cx_init();
	for (uint32_t id = 32; id < 32 + CX_SPIS; id++)
		cx_setup(id, id & 1, (uint8_t)id, id % CX_VCPUS);
	cx_w(0, GICD_CTLR, 0);
	cx_w(0, GICD_CTLR, 3);
	cx_cpu(1, false, false, true);
	cx_quiet();
}
END_TEST

Suite *core_own_suite(void)
{
	Suite *s = suite_create("core-own");
	TCase *tc = tcase_create("own");

	tcase_add_test(tc, test_level_redelivered);
	tcase_add_test(tc, test_line_dropped_before_eoi);
	tcase_add_test(tc, test_stale_gen_keeps_ownership);
	tcase_add_test(tc, test_not_owner_ignored);
	tcase_add_test(tc, test_disable_returns_latch);
	tcase_add_test(tc, test_returned_latch_merge);
	tcase_add_test(tc, test_clear_beats_returned_latch);
	tcase_add_test(tc, test_gen_wraps);
	tcase_add_test(tc, test_reroute);
	tcase_add_test(tc, test_state_writes_reach_owner);
	tcase_add_test(tc, test_group_disable);
	tcase_add_test(tc, test_idle_config_silent);
	suite_add_tcase(s, tc);
	return s;
}
