// SPDX-License-Identifier: MIT
/* SPIs end to end: device line -> gicd-server -> bus -> agent -> LR -> guest. */
#include <check.h>

#include "check_run.h"
#include "gic_regs.h"
#include "harness.h"
#include "splitgic/agent.h"

static struct harness_daemon d;
static struct sg_vm *vm;

static void setup(void)
{
	struct sg_vm_shape s;

	harness_daemon_start(&d, NULL);
	harness_shape(&s, 2, 64, 0);
	vm = harness_vm_create(&s);
	harness_vm_connect(vm, &d, "test");
	harness_vm_enable_grp1(vm);
}

static void teardown(void)
{
	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}

START_TEST(test_edge_spi_reaches_routed_vcpu)
{
	harness_gicd_write(vm, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	harness_gicd_write(vm, 0, GICD_ICFGR + 8, 4, 0x2);	/* INTID 32: edge (Int_config[1]) */
	harness_gicd_write(vm, 0, GICD_IROUTER + 8 * 40, 8, 1); /* INTID 40 -> vCPU 1 */
	harness_gicd_write(vm, 0, GICD_ICFGR + 8, 4, 0x2u << 16);
	harness_gicd_write(vm, 0, GICD_IPRIORITYR + 40, 1, 0x80);
	harness_gicd_write(vm, 0, GICD_ISENABLER + 4, 4, 1u << 8);
	(void)harness_gicd_read(vm, 0, GICD_CTLR, 4); /* fence the posted writes */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 40), 0);
	ck_assert_uint_eq(harness_take_irq(vm, 1), 40);
	/* Active now: the distributor sees it through the owner. */
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISACTIVER + 4, 4) & (1u << 8), 1u << 8);
	harness_eoi(vm, 1, 40);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISACTIVER + 4, 4) & (1u << 8), 0);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISPENDR + 4, 4) & (1u << 8), 0);
}
END_TEST

START_TEST(test_level_spi_redelivered_while_high)
{
	harness_gicd_write(vm, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	harness_gicd_write(vm, 0, GICD_IROUTER + 8 * 41, 8, 0);
	harness_gicd_write(vm, 0, GICD_ISENABLER + 4, 4, 1u << 9);
	(void)harness_gicd_read(vm, 0, GICD_CTLR, 4);
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 41, true), 0);
	ck_assert_uint_eq(harness_take_irq(vm, 0), 41);
	harness_eoi(vm, 0, 41);
	/* Still high: delivered again after the EOI broadcast. */
	ck_assert_uint_eq(harness_take_irq(vm, 0), 41);
	/* The device drops the line before the guest's EOI: no third one. */
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 41, false), 0);
	harness_eoi(vm, 0, 41);
	ck_assert_uint_eq(harness_gicd_read(vm, 1, GICD_ISPENDR + 4, 4) & (1u << 9), 0);
	ck_assert_uint_eq(harness_gicd_read(vm, 1, GICD_ISACTIVER + 4, 4) & (1u << 9), 0);
	ck_assert(!sg_vcpu_pending_irq(sg_vm_vcpu(vm, 0)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-smoke");
	TCase *tc = tcase_create("spi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_edge_spi_reaches_routed_vcpu);
	tcase_add_test(tc, test_level_spi_redelivered_while_high);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
