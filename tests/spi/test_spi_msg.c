// SPDX-License-Identifier: MIT
/*
 * Message-based SPIs end to end (GICD_TYPER.MBIS=1; IHI 0069 GICD_SETSPI_NSR,
 * GICD_CLRSPI_NSR): on an edge SPI SETSPI sets the pending latch (once per
 * write, merged while pending) and CLRSPI clears it; on a level SPI SETSPI
 * asserts a message level that keeps the interrupt pending, and delivered
 * again after each EOI, until CLRSPI deasserts it, independently of the
 * wired line.
 */
#include <check.h>

#include "check_run.h"
#include "harness.h"
#include "spi_fixture.h"

#define NV     2
#define EDGE   40u
#define LEVEL  41u
#define MARKER 60u

static void setup(void)
{
	fx_setup(NV, 64);
	fx_spi_config(0, MARKER, true, 0xF0, fx_route(1));
	fx_enable(0, MARKER);
}

static void teardown(void)
{
	fx_teardown();
}

static void setspi(unsigned via, uint32_t id)
{
	fx_write(via, GICD_SETSPI_NSR, 4, id);
}

static void clrspi(unsigned via, uint32_t id)
{
	fx_write(via, GICD_CLRSPI_NSR, 4, id);
}

START_TEST(test_setspi_edge_once_per_write)
{
	fx_spi_config(0, EDGE, true, 0x80, fx_route(1));
	fx_enable(0, EDGE);
	fx_start_all();
	for (unsigned r = 1; r <= 50; r++) {
		/* From either vCPU, 32- or 16-bit wide. */
		if (r % 2)
			setspi(r % NV, EDGE);
		else
			fx_write(r % NV, GICD_SETSPI_NSR, 2, EDGE);
		fx_wait_handled(EDGE, r);
	}
	fx_wait_all_done();
	fx_assert_idle(0, EDGE, 1);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, EDGE), 50);
	ck_assert_uint_eq(fx_handled_total(EDGE), 50);
}
END_TEST

START_TEST(test_setspi_edge_merges_and_clrspi_clears)
{
	fx_spi_config(0, EDGE, true, 0x80, fx_route(1));
	fx_enable(0, EDGE);
	/* vCPU 1's guest is not running: two writes, one pending interrupt. */
	setspi(0, EDGE);
	setspi(0, EDGE);
	ck_assert(fx_pending(0, EDGE));
	fx_start(1);
	fx_wait_handled(EDGE, 1);
	fx_wait_all_done();
	fx_assert_idle(0, EDGE, 1);
	fx_stop_all();
	/* CLRSPI before the guest takes it: never delivered. */
	setspi(0, EDGE);
	ck_assert(fx_pending(0, EDGE));
	ck_assert(fx_vcpu_pending(1));
	clrspi(0, EDGE);
	ck_assert(!fx_pending(0, EDGE));
	ck_assert(!fx_vcpu_pending(1));
	fx_start(1);
	ck_assert_int_eq(sg_vm_signal_spi_edge(fx_vm(), MARKER), 0);
	fx_wait_handled(MARKER, 1);
	fx_wait_all_done();
	fx_assert_idle(0, EDGE, 1);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled_total(EDGE), 1);
}
END_TEST

/* The message level is held: taken again after every EOI until CLRSPI. */
START_TEST(test_setspi_level_held_until_clrspi)
{
	unsigned n;

	fx_spi_config(0, LEVEL, false, 0x80, fx_route(1));
	fx_enable(0, LEVEL);
	fx_start_all();
	setspi(0, LEVEL);
	fx_wait_handled(LEVEL, 3);
	ck_assert(fx_pending(0, LEVEL));
	/* ICPENDR does not clear an asserted level. */
	fx_write(0, GICD_ICPENDR + 4 * (LEVEL / 32), 4, 1u << (LEVEL % 32));
	n = fx_handled_total(LEVEL);
	fx_wait_handled(LEVEL, n + 2);
	clrspi(0, LEVEL);
	ck_assert(!fx_pending(0, LEVEL));
	fx_wait_all_done();
	fx_assert_idle(0, LEVEL, 1);
	n = fx_handled_total(LEVEL);
	fx_stop_all();
	ck_assert_uint_eq(fx_handled(1, LEVEL), n);
	ck_assert_uint_ge(n, 5);
}
END_TEST

/* The message level and the wired line are independent inputs (OR). */
START_TEST(test_setspi_level_independent_of_line)
{
	fx_spi_config(0, LEVEL, false, 0x80, fx_route(1));
	fx_enable(0, LEVEL);
	ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LEVEL, true), 0);
	setspi(0, LEVEL);
	ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LEVEL, false), 0);
	ck_assert(fx_pending(0, LEVEL));
	clrspi(0, LEVEL);
	ck_assert(!fx_pending(0, LEVEL));
	ck_assert(!fx_vcpu_pending(1));
	setspi(0, LEVEL);
	ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LEVEL, true), 0);
	clrspi(0, LEVEL);
	ck_assert(fx_pending(0, LEVEL));
	ck_assert_uint_eq(fx_take(1), LEVEL);
	ck_assert_int_eq(sg_vm_set_spi_level(fx_vm(), LEVEL, false), 0);
	fx_eoi(1, LEVEL);
	ck_assert(!fx_pending(0, LEVEL));
	ck_assert(!fx_active(0, LEVEL));
	ck_assert(!fx_vcpu_pending(1));
	ck_assert_uint_eq(fx_handled_total(LEVEL), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-msg");
	TCase *tc = tcase_create("msg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_setspi_edge_once_per_write);
	tcase_add_test(tc, test_setspi_edge_merges_and_clrspi_clears);
	tcase_add_test(tc, test_setspi_level_held_until_clrspi);
	tcase_add_test(tc, test_setspi_level_independent_of_line);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
