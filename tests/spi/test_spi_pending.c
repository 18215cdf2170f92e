// SPDX-License-Identifier: MIT
/*
 * Pending and active state of SPIs under guest control, end to end (IHI 0069
 * GICD_ICENABLER, ICPENDR, IPRIORITYR):
 *  - disabling keeps a pending SPI pending but undelivered; enabling
 *    delivers it once;
 *  - an active SPI that gets disabled can still be deactivated, and is not
 *    delivered twice;
 *  - ICPENDR removes the pending state of an edge SPI, wherever it is held,
 *    but not of a level SPI whose line is asserted;
 *  - a priority change of a queued SPI decides the acknowledge order.
 *
 * "Not delivered" is shown with a marker: a lower-priority SPI sent to the
 * same vCPU after the event; the agent applies the daemon's messages in
 * order, so once the marker was taken anything delivered before it would
 * have been taken first.
 */
#include <check.h>
#include <stdatomic.h>

#include "check_run.h"
#include "harness.h"
#include "spi_fixture.h"

#define NV	   2
#define MARKER	   60u
#define MARKER_PRI 0xF0

static void setup(void)
{
	fx_setup(NV, 64);
	fx_spi_config(0, MARKER, true, MARKER_PRI, fx_route(1));
	fx_enable(0, MARKER);
}

static void teardown(void)
{
	fx_teardown();
}

/* Raises the marker on vCPU 1 (running) and waits until it was taken. */
static void marker(void)
{
	unsigned n = fx_handled_total(MARKER);

	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), MARKER), 0);
	fx_wait_handled(MARKER, n + 1);
}

static void raise_spi(uint32_t id, bool edge)
{
	if (edge)
		ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), id), 0);
	else
		ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), id, true), 0);
}

/* Level SPIs: the guest's handler makes the device drop the line. */
static void drop_level_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)vcpu;
	(void)arg;
	if (intid < MARKER && sg_vm_set_spi_level(fx_vm(), intid, false) != 0)
		fx_fail("dropping the line of %u failed", intid);
}

static void finish(uint32_t id, unsigned expect)
{
	fx_wait_handled(id, expect);
	fx_wait_all_done();
	fx_assert_idle(0, id, 1);
	fx_assert_idle(0, MARKER, 1);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, id), expect);
	ck_assert_uint_eq(fx_handled_total(id), expect);
}

static void disable_while_pending(bool edge)
{
	const uint32_t id = 40;
	struct fx_hooks h = { .handler = drop_level_handler };

	fx_set_hooks(&h);
	fx_spi_config(0, id, edge, 0x80, fx_route(1));
	fx_enable(0, id);
	raise_spi(id, edge);
	/* vCPU 1's guest is not running yet: the SPI waits in its agent. */
	ck_assert(fx_pending(0, id));
	ck_assert(fx_vcpu_pending(1));
	fx_disable(0, id);
	/* Still pending (held back by the distributor), no longer at vCPU 1. */
	ck_assert(fx_pending(0, id));
	ck_assert(!fx_vcpu_pending(1));
	fx_start_all();
	marker();
	ck_assert_uint_eq(fx_handled_total(id), 0);
	ck_assert(fx_pending(0, id));
	fx_enable(0, id);
	finish(id, 1);
}

START_TEST(test_disable_while_pending_edge)
{
	disable_while_pending(true);
}
END_TEST

START_TEST(test_disable_while_pending_level)
{
	disable_while_pending(false);
}
END_TEST

static bool parked(void *arg)
{
	(void)arg;
	return fx_parked(1);
}

/* vCPU 1 stays in its handler for `hold_id` until released (kicks honoured),
 * the first time only. */
static atomic_bool held;
static uint32_t hold_id;

static void blocking_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)arg;
	if (intid != hold_id || atomic_exchange(&held, true))
		return;
	fx_stay_in_handler(vcpu);
}

static void disable_while_active(void)
{
	const uint32_t id = 42;
	struct fx_hooks h = { .handler = blocking_handler };

	hold_id = id;
	fx_set_hooks(&h);
	fx_spi_config(0, id, true, 0x80, fx_route(1));
	fx_enable(0, id);
	fx_start(1);
	raise_spi(id, true);
	fx_wait_in_handler(1);
	fx_disable(0, id);
	ck_assert(fx_active(0, id));
	/* A new edge while disabled and active: pending, held back. */
	raise_spi(id, true);
	ck_assert(fx_pending(0, id));
	fx_release_handler();
	fx_wait_done(1, 1);
	/* The guest deactivated it although it is disabled. */
	ck_assert(!fx_active(0, id));
	ck_assert(fx_pending(0, id));
	marker();
	ck_assert_uint_eq(fx_handled_total(id), 1);
	fx_enable(0, id);
	finish(id, 2);
}

START_TEST(test_disable_while_active)
{
	disable_while_active();
}
END_TEST

START_TEST(test_disable_while_active_eoimode1)
{
	fx_set_eoimode1(1, true);
	disable_while_active();
}
END_TEST

START_TEST(test_clear_pending_idle_edge)
{
	const uint32_t id = 44;

	fx_spi_config(0, id, true, 0x80, fx_route(1));
	fx_fence(0);
	/* Disabled: the latch stays in the distributor. */
	raise_spi(id, true);
	ck_assert(fx_pending(0, id));
	fx_write(0, GICD_ICPENDR + 4 * (id / 32), 4, 1u << (id % 32));
	ck_assert(!fx_pending(0, id));
	fx_enable(0, id);
	fx_start_all();
	marker();
	finish(id, 0);
}
END_TEST

START_TEST(test_clear_pending_in_flight_edge)
{
	const uint32_t id = 45;

	fx_spi_config(0, id, true, 0x80, fx_route(1));
	fx_enable(0, id);
	raise_spi(id, true);
	ck_assert(fx_pending(0, id));
	ck_assert(fx_vcpu_pending(1));
	fx_write(0, GICD_ICPENDR + 4 * (id / 32), 4, 1u << (id % 32));
	ck_assert(!fx_pending(0, id));
	ck_assert(!fx_vcpu_pending(1));
	fx_start_all();
	marker();
	finish(id, 0);
}
END_TEST

static void clear_pending_level(bool enabled)
{
	const uint32_t id = 46;
	struct fx_hooks h = { .handler = drop_level_handler };

	fx_set_hooks(&h);
	fx_spi_config(0, id, false, 0x80, fx_route(1));
	if (enabled)
		fx_enable(0, id);
	else
		fx_fence(0);
	raise_spi(id, false);
	ck_assert(fx_pending(0, id));
	fx_write(0, GICD_ICPENDR + 4 * (id / 32), 4, 1u << (id % 32));
	/* The line is asserted: clearing has no effect. */
	ck_assert(fx_pending(0, id));
	if (enabled)
		ck_assert(fx_vcpu_pending(1));
	else
		fx_enable(0, id);
	fx_start_all();
	finish(id, 1);
}

START_TEST(test_clear_pending_level_high_in_flight)
{
	clear_pending_level(true);
}
END_TEST

START_TEST(test_clear_pending_level_high_idle)
{
	clear_pending_level(false);
}
END_TEST

/*
 * Six SPIs queued on vCPU 1 (more than its 4 LRs); two priorities change
 * before the guest takes them; it must take them in the new priority order.
 * Either the guest is not running (all six wait in the agent's ap_list), or
 * it sits in a higher-priority handler with four of them in its LRs.
 */
#define Q_FIRST 48u
#define Q_COUNT 6u

static void priority_change_while_queued(bool busy)
{
	const uint32_t hold = 47;
	const uint32_t order[Q_COUNT] = { 53, 49, 50, 51, 52, 48 };
	struct fx_hooks h = { .handler = blocking_handler };
	uint32_t log[Q_COUNT + 2];
	unsigned n, skip = busy ? 1 : 0;

	hold_id = hold;
	fx_set_hooks(&h);
	fx_spi_config(0, hold, true, 0x20, fx_route(1));
	fx_enable(0, hold);
	for (uint32_t i = 0; i < Q_COUNT; i++) {
		fx_spi_config(0, Q_FIRST + i, true, (uint8_t)(0x80 + 8 * i), fx_route(1));
		fx_enable(0, Q_FIRST + i);
	}
	if (busy) {
		fx_start(1);
		raise_spi(hold, true);
		fx_wait_in_handler(1);
	}
	for (uint32_t i = 0; i < Q_COUNT; i++)
		raise_spi(Q_FIRST + i, true);
	for (uint32_t i = 0; i < Q_COUNT; i++)
		ck_assert(fx_pending(0, Q_FIRST + i));
	/* Those reads made a busy vCPU 1 leave the guest; wait until it is
	 * back in, 48 to 51 in its LRs. */
	if (busy)
		fx_wait(parked, NULL, "vCPU 1 back in the guest");
	/* 48 (the highest queued, in an LR when busy) becomes the lowest; 53
	 * (the lowest, left without an LR) the highest. */
	fx_write(0, GICD_IPRIORITYR + 48, 1, 0xC0);
	fx_write(0, GICD_IPRIORITYR + 53, 1, 0x40);
	ck_assert_uint_eq(fx_read(0, GICD_IPRIORITYR + 48, 4), 0x989088C0u);
	/* Reads of their pending state reach vCPU 1's agent after the
	 * updates (and make a running vCPU leave the guest and re-enter). */
	ck_assert(fx_pending(0, 53));
	ck_assert_msg(fx_pending(0, 48), "SPI 48 lost its pending state to a priority change");
	if (busy) {
		fx_release_handler();
	} else {
		fx_start(1);
	}
	for (uint32_t i = 0; i < Q_COUNT; i++)
		fx_wait_handled(Q_FIRST + i, 1);
	fx_wait_all_done();
	fx_assert_idle(0, Q_FIRST, Q_COUNT);
	fx_stop_all();
	n = fx_log(1, log, Q_COUNT + 2);
	ck_assert_uint_eq(n, Q_COUNT + skip);
	if (busy)
		ck_assert_uint_eq(log[0], hold);
	for (unsigned i = 0; i < Q_COUNT; i++)
		ck_assert_msg(log[skip + i] == order[i], "acknowledge %u: INTID %u, expected %u", i,
			      log[skip + i], order[i]);
}

START_TEST(test_priority_change_while_queued)
{
	priority_change_while_queued(false);
}
END_TEST

/*
 * An attribute-only Deliver (the IPRIORITYR write) for an SPI whose edge
 * sits pending in a running vCPU's List register: the agent's entry looks
 * empty (flush moved the latch into the LR) but must not be released; the
 * vCPU's sync decides (vcpu-agent/spi.c, sg_spi_deliver).
 */
START_TEST(test_priority_change_while_in_lr)
{
	priority_change_while_queued(true);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-pending");
	TCase *tc = tcase_create("pending");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_disable_while_pending_edge);
	tcase_add_test(tc, test_disable_while_pending_level);
	tcase_add_test(tc, test_disable_while_active);
	tcase_add_test(tc, test_disable_while_active_eoimode1);
	tcase_add_test(tc, test_clear_pending_idle_edge);
	tcase_add_test(tc, test_clear_pending_in_flight_edge);
	tcase_add_test(tc, test_clear_pending_level_high_in_flight);
	tcase_add_test(tc, test_clear_pending_level_high_idle);
	tcase_add_test(tc, test_priority_change_while_queued);
	tcase_add_test(tc, test_priority_change_while_in_lr);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
