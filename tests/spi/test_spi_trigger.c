// SPDX-License-Identifier: MIT
/*
 * Edge and level SPIs end to end with four vCPU threads running their guest
 * loops: an edge raised once is handled exactly once, by the vCPU IROUTER
 * names; a level SPI is handled again after each EOI for as long as its
 * line is high, and not after the line dropped before the EOI (IHI 0069:
 * a level interrupt is pending while asserted; an edge is a single event).
 */
#include <check.h>
#include <stdatomic.h>

#include "check_run.h"
#include "harness.h"
#include "spi_fixture.h"

#define NV	  4
#define FIRST_SPI 40u
#define NR_EDGE	  8u
#define LEVEL_SPI 50u
#define ROUNDS	  40u

static void setup(void)
{
	fx_setup(NV, 64);
}

static void teardown(void)
{
	fx_teardown();
}

static void check_edges(unsigned rounds)
{
	for (uint32_t id = FIRST_SPI; id < FIRST_SPI + NR_EDGE; id++)
		for (unsigned v = 0; v < NV; v++)
			ck_assert_msg(
				fx_handled(v, id) == (v == (id - FIRST_SPI) % NV ? rounds : 0),
				"INTID %u handled %u times on vCPU %u", id, fx_handled(v, id), v);
}

/* Each edge SPI raised once per round (all of them together), each handled
 * once per round on its own vCPU. */
static void edge_rounds(void)
{
	for (uint32_t id = FIRST_SPI; id < FIRST_SPI + NR_EDGE; id++) {
		fx_spi_config(0, id, true, (uint8_t)(0x80 + 8 * (id - FIRST_SPI)),
			      fx_route((id - FIRST_SPI) % NV));
		fx_enable(0, id);
	}
	fx_start_all();
	for (unsigned r = 1; r <= ROUNDS; r++) {
		for (uint32_t id = FIRST_SPI; id < FIRST_SPI + NR_EDGE; id++)
			ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), id), 0);
		for (uint32_t id = FIRST_SPI; id < FIRST_SPI + NR_EDGE; id++)
			fx_wait_handled(id, r);
	}
	fx_wait_all_done();
	fx_assert_idle(0, FIRST_SPI, NR_EDGE);
	fx_stop_all();
	check_edges(ROUNDS);
}

START_TEST(test_edge_once_on_routed_vcpu)
{
	edge_rounds();
}
END_TEST

START_TEST(test_edge_once_eoimode1)
{
	for (unsigned v = 0; v < NV; v++)
		fx_set_eoimode1(v, true);
	edge_rounds();
}
END_TEST

/* Level: the handler leaves the line high for `keep` invocations (the device
 * still wants service), then drops it before the EOI. */
static atomic_uint level_calls, keep_high;

static void level_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)vcpu;
	(void)arg;
	if (intid != LEVEL_SPI) {
		fx_fail("unexpected INTID %u", intid);
		return;
	}
	if (atomic_fetch_add(&level_calls, 1) + 1 >= atomic_load(&keep_high) &&
	    sg_vm_set_spi_level(fx_vm(), LEVEL_SPI, false) != 0)
		fx_fail("dropping the line failed");
}

static void level_until_drop(unsigned vcpu, unsigned keep)
{
	struct fx_hooks h = { .handler = level_handler };

	fx_set_hooks(&h);
	fx_spi_config(0, LEVEL_SPI, false, 0xA0, fx_route(vcpu));
	fx_enable(0, LEVEL_SPI);
	fx_start_all();
	for (unsigned r = 1; r <= ROUNDS / 4; r++) {
		atomic_store(&level_calls, 0);
		atomic_store(&keep_high, keep);
		ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LEVEL_SPI, true), 0);
		fx_wait_handled(LEVEL_SPI, r * keep);
		fx_wait_all_done();
		/* Low before the last EOI: pending nowhere, so never again. */
		fx_assert_idle(0, LEVEL_SPI, 1);
		ck_assert_uint_eq(atomic_load(&level_calls), keep);
	}
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(vcpu, LEVEL_SPI), ROUNDS / 4 * keep);
	ck_assert_uint_eq(fx_handled_total(LEVEL_SPI), ROUNDS / 4 * keep);
}

START_TEST(test_level_dropped_in_handler)
{
	level_until_drop(2, 1);
}
END_TEST

START_TEST(test_level_redelivered_while_high)
{
	level_until_drop(3, 4);
}
END_TEST

START_TEST(test_level_redelivered_eoimode1)
{
	fx_set_eoimode1(1, true);
	level_until_drop(1, 3);
}
END_TEST

/* vCPU 1 stays in its handler until released (kicks honoured). */
static void blocking_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)arg;
	(void)intid;
	fx_stay_in_handler(vcpu);
}

/*
 * The line is high while the guest handles the level SPI; the guest
 * disables and re-enables it, the device drops its line before the guest's
 * EOI.  After the EOI the SPI must not be presented again from a stale
 * copy of the line in the agent: the distributor resamples level SPIs on
 * Deactivated (DESIGN §3), and it never hands a high line to an owner that
 * holds the SPI active (dist_deliver.c), nor does the agent keep one across
 * the guest's deactivation (vcpu.c, fold_lr).
 *
 * To make the window certain rather than likely, the agent's bus thread is
 * held up meanwhile: vCPU 2 sits in the guest (flushed, never synced, no
 * thread) with edge SPI STALL in an LR, and an ICPENDR of STALL makes the
 * bus thread wait for vCPU 2 to leave the guest (sg_vcpu_hold, bounded by
 * 1 s), so the Retract{clear_line} behind it waits too.  The first guest
 * entry of vCPU 1 after its EOI then decides, on a frozen agent state.
 */
#define STALL                                                                                      \
	70u /* not in LEVEL_SPI's ISPENDR/ISACTIVER word: reading that must not ask vCPU 2         \
	     */

struct entry_wait {
	unsigned handled, idle;
};

static bool next_entry(void *arg)
{
	struct entry_wait *w = arg;

	return fx_handled(1, LEVEL_SPI) > w->handled || fx_idle_entries(1) > w->idle;
}

START_TEST(test_level_dropped_after_reenable_while_active)
{
	struct fx_hooks h = { .handler = blocking_handler };
	struct sg_vcpu *v2 = fx_vcpu(2);
	bool pending, active;

	fx_set_hooks(&h);
	fx_spi_config(0, LEVEL_SPI, false, 0xA0, fx_route(1));
	fx_enable(0, LEVEL_SPI);
	fx_spi_config(0, STALL, true, 0x80, fx_route(2));
	fx_enable(0, STALL);
	fx_start(1);
	for (unsigned r = 1; r <= ROUNDS / 4; r++) {
		struct entry_wait w;

		ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), STALL), 0);
		ck_assert(fx_pending(0, STALL));
		sg_vcpu_flush(v2); /* vCPU 2 enters the guest, STALL in an LR */
		ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LEVEL_SPI, true), 0);
		fx_wait_in_handler(1);
		fx_disable(0, LEVEL_SPI);
		fx_enable(0, LEVEL_SPI);
		/* Active, and pending: the line is still high. */
		ck_assert(fx_active(0, LEVEL_SPI));
		ck_assert(fx_pending(0, LEVEL_SPI));
		/* Hold up the bus thread (see above); the read fences the write. */
		fx_write(0, GICD_ICPENDR + 4 * (STALL / 32), 4, 1u << (STALL % 32));
		(void)fx_read(0, GICD_CTLR, 4);
		ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LEVEL_SPI, false), 0);
		w = (struct entry_wait){ fx_handled(1, LEVEL_SPI), fx_idle_entries(1) };
		fx_release_handler();
		fx_wait_done(1, r);
		fx_wait(next_entry, &w, "vCPU 1 entering the guest again");
		sg_vcpu_sync(v2); /* lets the bus thread go on */
		ck_assert_msg(fx_handled_total(LEVEL_SPI) == r,
			      "round %u: line dropped before the EOI, handled again (%u times)", r,
			      fx_handled_total(LEVEL_SPI));
		pending = fx_pending(0, LEVEL_SPI);
		active = fx_active(0, LEVEL_SPI);
		ck_assert_msg(!pending && !active, "round %u: pending %d, active %d", r, pending,
			      active);
		ck_assert(!fx_pending(0, STALL));
	}
	fx_stop_all();
	ck_assert_uint_eq(sg_vcpu_stat(v2, SG_STAT_HOLD_TIMEOUTS), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-trigger");
	TCase *tc = tcase_create("trigger");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_edge_once_on_routed_vcpu);
	tcase_add_test(tc, test_edge_once_eoimode1);
	tcase_add_test(tc, test_level_dropped_in_handler);
	tcase_add_test(tc, test_level_redelivered_while_high);
	tcase_add_test(tc, test_level_redelivered_eoimode1);
	tcase_add_test(tc, test_level_dropped_after_reenable_while_active);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
