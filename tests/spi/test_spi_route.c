// SPDX-License-Identifier: MIT
/*
 * SPI routing end to end: re-routing (an IROUTER write) a pending SPI moves
 * it to the new target; re-routing an active one leaves it with its old
 * owner until the guest deactivates it, and a new edge then goes to the new
 * target; 1-of-N (IRM=1) hands every SPI to exactly one vCPU, spread over
 * the vCPUs, never to one whose guest has Group 1 disabled (IHI 0069:
 * 1-of-N selects among PEs that can take the interrupt).
 */
#include <check.h>

#include "check_run.h"
#include "harness.h"
#include "spi_fixture.h"

#define NV 4

static void setup(void)
{
	fx_setup(NV, 64);
}

static void teardown(void)
{
	fx_teardown();
}

/* Level SPIs: the guest's handler makes the device drop the line. */
static void drop_level_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)vcpu;
	(void)arg;
	if (sg_vm_set_spi_level(fx_vm(), intid, false) != 0)
		fx_fail("dropping the line of %u failed", intid);
}

static void reroute_pending(bool edge)
{
	const uint32_t id = 40;
	struct fx_hooks h = { .handler = edge ? NULL : drop_level_handler };

	fx_set_hooks(&h);
	fx_spi_config(0, id, edge, 0x80, fx_route(1));
	fx_enable(0, id);
	/* vCPU 1's guest is not running: the SPI waits in its agent. */
	if (edge)
		ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), id), 0);
	else
		ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), id, true), 0);
	ck_assert(fx_pending(0, id));
	ck_assert(fx_vcpu_pending(1));
	fx_write(0, GICD_IROUTER + 8 * id, 8, fx_route(2));
	/* The read is answered after vCPU 1's agent handed the SPI back
	 * (its Query follows the Retract on the bus). */
	ck_assert(fx_pending(0, id));
	ck_assert(!fx_vcpu_pending(1));
	fx_start_all();
	fx_wait_handled(id, 1);
	fx_wait_all_done();
	fx_assert_idle(0, id, 1);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(2, id), 1);
	ck_assert_uint_eq(fx_handled_total(id), 1);
}

START_TEST(test_reroute_pending_edge)
{
	reroute_pending(true);
}
END_TEST

START_TEST(test_reroute_pending_level)
{
	reroute_pending(false);
}
END_TEST

/* vCPU 1 stays in its handler until released (kicks honoured). */
static void blocking_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)arg;
	(void)intid;
	if (vcpu != 1)
		return;
	fx_stay_in_handler(vcpu);
}

START_TEST(test_reroute_active_edge)
{
	const uint32_t id = 41;
	struct fx_hooks h = { .handler = blocking_handler };

	fx_set_hooks(&h);
	fx_spi_config(0, id, true, 0x80, fx_route(1));
	fx_enable(0, id);
	fx_start(1);
	fx_start(2);
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), id), 0);
	fx_wait_in_handler(1);
	fx_write(0, GICD_IROUTER + 8 * id, 8, fx_route(2));
	/* Active at vCPU 1 whatever the routing says now. */
	ck_assert(fx_active(0, id));
	ck_assert(!fx_pending(0, id));
	/* A new edge while it is active: pending, and for the new target. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), id), 0);
	ck_assert(fx_pending(0, id));
	ck_assert_uint_eq(fx_handled_total(id), 1);
	fx_release_handler();
	fx_wait_handled(id, 2);
	fx_wait_all_done();
	fx_assert_idle(0, id, 1);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, id), 1);
	ck_assert_uint_eq(fx_handled(2, id), 1);
}
END_TEST

#define N1_FIRST  48u
#define N1_COUNT  16u
#define N1_ROUNDS 20u

static void one_of_n(unsigned skip_vcpu)
{
	unsigned busy = 0;

	for (uint32_t id = N1_FIRST; id < N1_FIRST + N1_COUNT; id++) {
		fx_spi_config(0, id, true, 0xA0, FX_ROUTE_1OFN);
		fx_enable(0, id);
	}
	fx_start_all();
	for (unsigned r = 1; r <= N1_ROUNDS; r++) {
		for (uint32_t id = N1_FIRST; id < N1_FIRST + N1_COUNT; id++)
			ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), id), 0);
		for (uint32_t id = N1_FIRST; id < N1_FIRST + N1_COUNT; id++)
			fx_wait_handled(id, r);
	}
	fx_wait_all_done();
	fx_assert_idle(0, N1_FIRST, N1_COUNT);
	fx_stop_all();
	for (unsigned v = 0; v < NV; v++) {
		unsigned n = 0;

		for (uint32_t id = N1_FIRST; id < N1_FIRST + N1_COUNT; id++)
			n += fx_handled(v, id);
		if (v == skip_vcpu)
			ck_assert_msg(n == 0, "vCPU %u (IGRPEN1=0) took %u 1-of-N SPIs", v, n);
		busy += n > 0;
	}
	for (uint32_t id = N1_FIRST; id < N1_FIRST + N1_COUNT; id++)
		ck_assert_uint_eq(fx_handled_total(id), N1_ROUNDS);
	ck_assert_msg(busy > 1, "1-of-N SPIs all went to one vCPU");
}

START_TEST(test_1ofn_exactly_once_spread)
{
	one_of_n(NV);
}
END_TEST

START_TEST(test_1ofn_skips_group_disabled_vcpu)
{
	fx_set_igrpen1(3, false);
	one_of_n(3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-route");
	TCase *tc = tcase_create("route");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reroute_pending_edge);
	tcase_add_test(tc, test_reroute_pending_level);
	tcase_add_test(tc, test_reroute_active_edge);
	tcase_add_test(tc, test_1ofn_exactly_once_spread);
	tcase_add_test(tc, test_1ofn_skips_group_disabled_vcpu);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
