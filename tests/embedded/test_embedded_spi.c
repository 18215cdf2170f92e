// SPDX-License-Identifier: MIT
/*
 * Embedded mode (docs/embedded.md): gicd-server's core in the test's own
 * process, reached by direct calls (the SPI fixture with FX_EMBEDDED=1, set
 * by meson).  Edge and level SPIs from a device; deferred GICD reads of an
 * in-flight SPI's state, with its owner outside the guest and with its
 * owner in its handler in the guest (the reading vCPU waits while the bus
 * thread asks the owner); and the attach rules.  The spi-* and lpi-*
 * suites run in this mode too (embedded-spi-*, embedded-lpi-*).
 */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "check_run.h"
#include "embedded.h"
#include "harness.h"
#include "spi_fixture.h"
#include "splitgic/embedded.h"

#define NV   3
#define EDGE 40u
#define LVL  41u

static void setup(void)
{
	fx_setup(NV, 64);
}

static void teardown(void)
{
	fx_teardown();
}

static struct gicd_embedded_stats host_stats(void)
{
	struct gicd_embedded_stats st;

	ck_assert_msg(fx_embedded(), "not in embedded mode: FX_EMBEDDED=1 must be set");
	gicd_embedded_stats(fx_embedded(), &st);
	return st;
}

/* ------------------------------------------------------------ delivery */

START_TEST(edge_spi_delivered_once_per_edge)
{
	struct gicd_embedded_stats before = host_stats(), after;

	fx_spi_config(0, EDGE, true, 0x80, fx_route(1));
	fx_enable(0, EDGE);
	fx_start_all();
	for (unsigned r = 1; r <= 20; r++) {
		ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), EDGE), 0);
		fx_wait_handled(EDGE, r);
	}
	fx_wait_all_done();
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, EDGE), 20);
	ck_assert_uint_eq(fx_handled_total(EDGE), 20);
	fx_assert_idle(0, EDGE, 1);
	after = host_stats();
	/* Every edge went through the host, every Deliver through its queue. */
	ck_assert_uint_ge(after.inputs - before.inputs, 20);
	ck_assert_uint_ge(after.queued - before.queued, 20);
	ck_assert_uint_eq(sg_vm_stat(fx_vm(), SG_VM_SPI_DELIVERED), after.queued - before.queued);
}
END_TEST

/* The level handler keeps the line high the first time (so the SPI is
 * resampled and delivered again at its deactivation) and drops it, as a
 * device acknowledging its interrupt, the second time. */
static atomic_uint level_seen;

static void level_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)vcpu;
	(void)arg;
	if (intid == LVL && atomic_fetch_add(&level_seen, 1) + 1 == 2 &&
	    sg_vm_set_spi_level(fx_vm(), LVL, false) != 0)
		fx_fail("dropping the line failed");
}

START_TEST(level_spi_resampled_until_the_line_drops)
{
	struct fx_hooks h = { .handler = level_handler };

	atomic_store(&level_seen, 0);
	fx_set_hooks(&h);
	fx_spi_config(0, LVL, false, 0x80, fx_route(2));
	fx_enable(0, LVL);
	fx_start_all();
	for (unsigned round = 1; round <= 3; round++) {
		atomic_store(&level_seen, 0);
		ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LVL, true), 0);
		fx_wait_handled(LVL, 2 * round);
		fx_wait_all_done();
		/* The line is low and the guest is done: nothing anywhere. */
		fx_assert_idle(0, LVL, 1);
		ck_assert_uint_eq(fx_handled_total(LVL), 2 * round);
	}
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(2, LVL), 6);
}
END_TEST

/* ------------------------------------------------------- deferred reads */

/* vCPU 1's thread is not running: the SPI waits, in flight, in its agent. */
START_TEST(ispendr_read_of_in_flight_spi_waits_for_owner)
{
	struct gicd_embedded_stats before, after;

	fx_spi_config(0, EDGE, true, 0x80, fx_route(1));
	fx_enable(0, EDGE);
	/* Applied before the call returns: the distributor has sent Deliver,
	 * the SPI is in flight (whether or not the agent applied it yet). */
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), EDGE), 0);
	before = host_stats();
	ck_assert(fx_pending(0, EDGE));
	ck_assert(!fx_active(2, EDGE));
	after = host_stats();
	ck_assert_uint_ge(after.calls_waited - before.calls_waited, 1);
	ck_assert_uint_ge(after.reads_deferred - before.reads_deferred, 1);
	ck_assert_uint_ge(after.queries - before.queries, 1);
	ck_assert_uint_eq(after.call_timeouts, 0);
	/* The owner's guest takes it: active, no longer pending. */
	ck_assert_uint_eq(fx_take(1), EDGE);
	ck_assert(!fx_pending(0, EDGE));
	ck_assert(fx_active(2, EDGE));
	fx_eoi(1, EDGE);
	fx_assert_idle(0, EDGE, 1);
	/* A read of the reader's own in-flight SPI: nobody to wait for but
	 * itself, outside its guest. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), EDGE), 0);
	ck_assert(fx_pending(1, EDGE));
	ck_assert_uint_eq(fx_take(1), EDGE);
	fx_eoi(1, EDGE);
	fx_assert_idle(1, EDGE, 1);
}
END_TEST

/* vCPU 1 stays in its handler for EDGE until released (kicks honoured). */
static void hold_handler(unsigned vcpu, uint32_t intid, void *arg)
{
	(void)arg;
	if (intid != EDGE)
		return;
	fx_stay_in_handler(vcpu);
}

/* The owner sits in its handler, in the guest: the bus thread kicks it
 * out to answer while the reading vCPU waits in the host. */
START_TEST(isactiver_read_while_owner_in_guest)
{
	struct fx_hooks h = { .handler = hold_handler };
	uint64_t holds;

	fx_set_hooks(&h);
	fx_spi_config(0, EDGE, true, 0x80, fx_route(1));
	fx_enable(0, EDGE);
	fx_start_all();
	for (unsigned r = 1; r <= 5; r++) {
		ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), EDGE), 0);
		fx_wait_in_handler(1);
		holds = sg_vcpu_stat(fx_vcpu(1), SG_STAT_HOLD_WAITS);
		ck_assert(fx_active(0, EDGE));
		ck_assert(!fx_pending(2, EDGE));
		/* It was asked while in the guest: made to leave it. */
		ck_assert_uint_gt(sg_vcpu_stat(fx_vcpu(1), SG_STAT_HOLD_WAITS), holds);
		fx_release_handler();
		fx_wait_done(1, r);
		ck_assert(!fx_active(0, EDGE));
	}
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, EDGE), 5);
	ck_assert_uint_eq(sg_vcpu_stat(fx_vcpu(1), SG_STAT_HOLD_TIMEOUTS), 0);
	ck_assert_uint_eq(host_stats().call_timeouts, 0);
}
END_TEST

/* --------------------------------------------------------- attach rules */

static void never_called(void *host, void (*notify)(void *arg), void *arg)
{
	(void)host;
	(void)notify;
	(void)arg;
}

START_TEST(attach_rules)
{
	struct sg_vm_shape s;
	struct gicd_embedded *host = NULL;
	struct sg_embedded_ops partial = { .bind = never_called };
	struct gicd_embedded_ram bad_ram = { .gpa = SG_DEFAULT_GICD_BASE,
					     .size = 1 << 20,
					     .fd = -1 };
	struct sg_vm *vm;
	uint64_t val = 0;
	char err[256];

	harness_shape(&s, 2, 64, 1);
	vm = harness_vm_create(&s);
	ck_assert_int_eq(sg_vm_attach_embedded(vm, &partial, NULL), -EINVAL);
	/* RAM over the GICD frame is refused as the daemon refuses it. */
	bad_ram.fd = harness_memfd(1 << 20);
	ck_assert_int_lt(gicd_embedded_create(&s, &bad_ram, 1, &host, err, sizeof(err)), 0);
	ck_assert_ptr_null(host);
	ck_assert_int_eq(gicd_embedded_create(&s, NULL, 0, &host, err, sizeof(err)), 0);
	ck_assert_int_eq(sg_vm_attach_embedded(vm, gicd_embedded_ops(), host), 0);
	ck_assert_int_eq(sg_vm_attach_embedded(vm, gicd_embedded_ops(), host), -EISCONN);
	ck_assert_int_eq(sg_vm_connect(vm, "/nonexistent", "test", err, sizeof(err)), -EISCONN);
	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, 0), SG_DEFAULT_GICD_BASE + GICD_TYPER, 4, false, &val),
		SG_MMIO_DONE);
	ck_assert_uint_eq((val & 0x1f) + 1, 64 / 32 + 1); /* ITLinesNumber: 64 SPIs */
	sg_vm_disconnect(vm);
	/* Detached: no distributor any more, and the host is not called. */
	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, 0), SG_DEFAULT_GICD_BASE + GICD_TYPER, 4, false, &val),
		SG_MMIO_ERROR);
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 40, true), -ENOTCONN);
	sg_vm_destroy(vm);
	gicd_embedded_destroy(host);
	close(bad_ram.fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("embedded-spi");
	TCase *tc = tcase_create("spi");
	TCase *api = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, edge_spi_delivered_once_per_edge);
	tcase_add_test(tc, level_spi_resampled_until_the_line_drops);
	tcase_add_test(tc, ispendr_read_of_in_flight_spi_waits_for_owner);
	tcase_add_test(tc, isactiver_read_while_owner_in_guest);
	suite_add_tcase(s, tc);
	tcase_add_test(api, attach_rules);
	suite_add_tcase(s, api);
	return check_run_suite(s);
}
