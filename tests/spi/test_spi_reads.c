// SPDX-License-Identifier: MIT
/*
 * GICD_ISACTIVER / ISPENDR read by one vCPU while the SPI's owner runs
 * (DESIGN §3: the daemon asks the owner, which leaves the guest to answer):
 * a vCPU sitting in its handler shows the SPI active to every other vCPU,
 * an SPI waiting in its List registers shows pending, and both clear once
 * the guest is done with it.  A randomized run checks every read against
 * what the owner's guest and the device did around it.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check_run.h"
#include "harness.h"
#include "spi_fixture.h"

#define NV 3
#define X  40u
#define Y  41u

static void setup(void)
{
	fx_setup(NV, 64);
}

static void teardown(void)
{
	fx_teardown();
}

/* vCPU 1 stays in its handler for X until released (kicks honoured). */
static void hold_x_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)arg;
	if (intid != X)
		return;
	fx_stay_in_handler(vcpu);
	/* A level X: the device drops the line before the EOI. */
	if (sg_vm_set_spi_level(fx_vm(), X, false) != 0)
		fx_fail("dropping the line failed");
}

/* Reads by vCPU 0 (its thread running: the read is its trap) and by vCPU 2. */
static void expect_state(uint32_t id, bool pending, bool active)
{
	for (unsigned via = 0; via < NV; via += 2) {
		ck_assert_msg(fx_pending(via, id) == pending, "INTID %u pending read by vCPU %u",
			      id, via);
		ck_assert_msg(fx_active(via, id) == active, "INTID %u active read by vCPU %u", id,
			      via);
	}
}

static void active_while_in_handler(bool edge)
{
	struct fx_hooks h = { .handler = hold_x_handler };

	fx_set_hooks(&h);
	fx_spi_config(0, X, edge, 0x80, fx_route(1));
	fx_enable(0, X);
	fx_start_all();
	for (unsigned r = 1; r <= 10; r++) {
		if (edge)
			ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), X), 0);
		else
			ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), X, true), 0);
		fx_wait_in_handler(1);
		/* Active at vCPU 1; a level line still high is pending too. */
		expect_state(X, !edge, true);
		fx_release_handler();
		fx_wait_done(1, r);
		expect_state(X, false, false);
	}
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, X), 10);
	ck_assert_uint_eq(fx_handled_total(X), 10);
}

START_TEST(test_active_while_owner_in_handler_edge)
{
	active_while_in_handler(true);
}
END_TEST

START_TEST(test_active_while_owner_in_handler_level)
{
	active_while_in_handler(false);
}
END_TEST

START_TEST(test_pending_not_acked_while_owner_in_handler)
{
	struct fx_hooks h = { .handler = hold_x_handler };

	fx_set_hooks(&h);
	fx_spi_config(0, X, true, 0x40, fx_route(1));
	/* Lower priority than X: it waits in an LR while X's handler runs. */
	fx_spi_config(0, Y, true, 0x80, fx_route(1));
	fx_enable(0, X);
	fx_enable(0, Y);
	fx_start_all();
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), X), 0);
	fx_wait_in_handler(1);
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), Y), 0);
	expect_state(Y, true, false);
	expect_state(X, false, true);
	ck_assert_uint_eq(fx_handled_total(Y), 0);
	fx_release_handler();
	fx_wait_handled(Y, 1);
	fx_wait_all_done();
	expect_state(X, false, false);
	expect_state(Y, false, false);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, X), 1);
	ck_assert_uint_eq(fx_handled(1, Y), 1);
}
END_TEST

/*
 * Randomized: a device thread raises edge X (only once the guest took the
 * previous one, so raises never merge), vCPU 1's handler sometimes stays
 * until vCPU 0 has made a few reads, and vCPU 0 (the main thread) reads
 * ISPENDR then ISACTIVER in a loop.  Counters sampled before (0) and after
 * (1) each read pair bound what the reads may show:
 *   I1 active             => acks_begun1 > done0
 *   I2 handled0 > eois0 && eois1 == eois0 (in the handler throughout)
 *                         => active
 *   I3 pending            => raised1 > handled0
 *   I4 raised0 > handled1 (raised, not yet taken) => pending || active
 */
#define RAISES 300u

static atomic_uint raised, reads;
static atomic_bool stop_device;
static unsigned seed;

static bool device_may_raise(void *arg)
{
	(void)arg;
	return atomic_load(&stop_device) || fx_handled(1, X) == atomic_load(&raised);
}

static void *device_thread(void *arg)
{
	(void)arg;
	while (atomic_load(&raised) < RAISES) {
		if (!fx_wait_quiet(device_may_raise, NULL)) {
			fx_fail("the guest did not take X (raised %u)", atomic_load(&raised));
			break;
		}
		if (atomic_load(&stop_device))
			break;
		if (sg_vm_signal_spi_edge(fx_vm(), X) != 0)
			fx_fail("raising X failed");
		atomic_fetch_add(&raised, 1);
	}
	return NULL;
}

struct read_goal {
	unsigned until;
};

static bool reads_reached(void *arg)
{
	return atomic_load(&stop_device) || atomic_load(&reads) >= ((struct read_goal *)arg)->until;
}

static void random_hold_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	struct read_goal g;

	(void)arg;
	if (intid != X)
		return;
	g.until = atomic_load(&reads) + (unsigned)(rand_r(&seed) % 4);
	fx_guest_block(vcpu, reads_reached, &g);
}

START_TEST(test_reads_consistent_with_owner)
{
	struct fx_hooks h = { .handler = random_hold_handler };
	unsigned base = (unsigned)time(NULL), held_reads = 0, active_reads = 0, pending_reads = 0;
	pthread_t dev;

	seed = base;
	fx_set_hooks(&h);
	fx_spi_config(0, X, true, 0x80, fx_route(1));
	fx_enable(0, X);
	fx_start(1);
	ck_assert_int_eq(pthread_create(&dev, NULL, device_thread, NULL), 0);
	while (fx_handled(1, X) < RAISES && !fx_failures()) {
		unsigned r0 = atomic_load(&raised), h0 = fx_handled(1, X);
		unsigned e0 = fx_eois_begun(1), d0 = fx_done(1);
		bool pending = fx_pending(0, X), active = fx_active(0, X);
		unsigned e1 = fx_eois_begun(1);
		unsigned h1 = fx_handled(1, X), a1 = fx_acks_begun(1);
		unsigned r1 = atomic_load(&raised);

		atomic_fetch_add(&reads, 1);
		fx_notify();
		ck_assert_msg(!active || a1 > d0, "I1: active, acks<=%u done>=%u (seed %u)", a1, d0,
			      base);
		if (h0 > e0 && e1 == e0) {
			held_reads++;
			ck_assert_msg(active, "I2: inactive while in the handler (seed %u)", base);
		}
		ck_assert_msg(!pending || r1 > h0, "I3: pending, raised %u taken %u (seed %u)", r1,
			      h0, base);
		ck_assert_msg(r0 <= h1 || pending || active,
			      "I4: raised %u taken %u, neither pending nor active (seed %u)", r0,
			      h1, base);
		active_reads += active;
		pending_reads += pending;
	}
	atomic_store(&stop_device, true);
	fx_notify();
	pthread_join(dev, NULL);
	fx_check_failures();
	fx_wait_all_done();
	fx_assert_idle(0, X, 1);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, X), RAISES);
	ck_assert_uint_eq(atomic_load(&raised), RAISES);
	printf("seed %u: %u reads, %u in a handler, %u active, %u pending\n", base,
	       atomic_load(&reads), held_reads, active_reads, pending_reads);
	/* The run exercised every rule. */
	ck_assert_msg(held_reads > 0 && active_reads > 0 && pending_reads > 0,
		      "held %u active %u pending %u (seed %u)", held_reads, active_reads,
		      pending_reads, base);
}
END_TEST

/*
 * Many replies for one vCPU's outbox: ten vCPUs read ISPENDR of a word
 * whose 32 SPIs are all pending at vCPU 1 (320 Queries, 320 QueryReplies).
 * None may be dropped: the bus thread sends what each datagram produced
 * before it takes the next, and the outbox holds a whole Batch's replies
 * (vcpu-agent/bus.c).  To make the pile-up certain the bus thread is held
 * up meanwhile (vCPU 2 in the guest with STALL in an LR, then an ICPENDR
 * of STALL: sg_vcpu_hold, bounded by 1 s), as in
 * test_level_dropped_after_reenable_while_active (test_spi_trigger.c).
 */
#define BIG_NV	   12u
#define STALL	   70u
#define NR_READERS (BIG_NV - 2)

static const unsigned readers[NR_READERS] = { 0, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
static uint64_t read_val[NR_READERS];
static int read_rc[NR_READERS];

static void *reader(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	read_rc[i] = fx_mmio(readers[i], GICD_ISPENDR + 4, 4, false, &read_val[i]);
	return NULL;
}

static bool all_serving(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < NR_READERS; i++)
		if (!fx_serving(readers[i]))
			return false;
	return true;
}

START_TEST(test_many_reads_of_many_owned_spis)
{
	struct sg_vcpu *v2;
	pthread_t t[NR_READERS];

	fx_teardown(); /* this one needs more vCPUs than the others */
	fx_setup(BIG_NV, 64);
	v2 = fx_vcpu(2);
	for (uint32_t id = 32; id < 64; id++) {
		fx_spi_config(0, id, true, 0x80, fx_route(1));
		fx_enable(0, id);
		ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), id), 0);
	}
	ck_assert_uint_eq(fx_read(0, GICD_ISPENDR + 4, 4), 0xFFFFFFFFu);
	fx_spi_config(0, STALL, true, 0x80, fx_route(2));
	fx_enable(0, STALL);
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), STALL), 0);
	ck_assert(fx_pending(0, STALL));
	sg_vcpu_flush(v2); /* vCPU 2 enters the guest, STALL in an LR */
	fx_write(0, GICD_ICPENDR + 4 * (STALL / 32), 4, 1u << (STALL % 32));
	(void)fx_read(0, GICD_CTLR, 4); /* the bus thread now waits for vCPU 2 */
	for (unsigned i = 0; i < NR_READERS; i++)
		fx_start(readers[i]);
	for (unsigned i = 0; i < NR_READERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, (void *)(uintptr_t)i), 0);
	fx_wait(all_serving, NULL, "every reader's vCPU reading");
	/* A read of vCPU 2's own: served after the daemon parked the others. */
	ck_assert_int_eq(
		sg_vcpu_mmio(v2, SG_DEFAULT_GICD_BASE + GICD_CTLR, 4, false, &(uint64_t){ 0 }),
		SG_MMIO_DONE);
	sg_vcpu_sync(v2); /* the bus thread goes on, with the Queries queued */
	for (unsigned i = 0; i < NR_READERS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < NR_READERS; i++) {
		ck_assert_msg(read_rc[i] == 0, "vCPU %u: its read never completed", readers[i]);
		ck_assert_uint_eq(read_val[i], 0xFFFFFFFFu);
	}
	fx_stop_all();
	ck_assert_uint_eq(sg_vcpu_stat(v2, SG_STAT_HOLD_TIMEOUTS), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-reads");
	TCase *tc = tcase_create("reads");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_active_while_owner_in_handler_edge);
	tcase_add_test(tc, test_active_while_owner_in_handler_level);
	tcase_add_test(tc, test_pending_not_acked_while_owner_in_handler);
	tcase_add_test(tc, test_reads_consistent_with_owner);
	tcase_add_test(tc, test_many_reads_of_many_owned_spis);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
