// SPDX-License-Identifier: MIT
/* SPIs end to end: device line -> gicd-server -> bus -> agent -> LR -> guest. */
#include <check.h>
#include <stdlib.h>

#include "gic_regs.h"
#include "harness.h"
#include "splitgic/agent.h"

static struct harness_daemon d;
static struct sg_vm *vm;

static void gicd_write(unsigned vcpu, uint32_t off, unsigned size, uint64_t val)
{
	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, vcpu), SG_DEFAULT_GICD_BASE + off, size, true, &val),
		SG_MMIO_DONE);
}

static uint64_t gicd_read(unsigned vcpu, uint32_t off, unsigned size)
{
	uint64_t val = 0;

	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, vcpu), SG_DEFAULT_GICD_BASE + off, size, false, &val),
		SG_MMIO_DONE);
	return val;
}

static void setup(void)
{
	struct sg_vm_shape s;
	struct sg_vm_config cfg = { 0 };
	char err[256];

	harness_daemon_start(&d, NULL);
	harness_shape(&s, 2, 64, 0);
	cfg.nr_vcpus = s.nr_vcpus;
	cfg.mpidr = s.mpidr;
	cfg.lr_count = s.lr_count;
	cfg.nr_spis = s.nr_spis;
	cfg.map = s.map;
	ck_assert_int_eq(sg_vm_create(&cfg, &vm), 0);
	ck_assert_msg(sg_vm_connect(vm, d.control_path, "test", err, sizeof(err)) == 0, "%s", err);
	for (unsigned i = 0; i < 2; i++) {
		struct sg_cpuif *c = sg_vcpu_cpuif(sg_vm_vcpu(vm, i));

		sg_cpuif_set_igrpen(c, 1, true);
		sg_cpuif_set_pmr(c, 0xF8);
	}
}

static void teardown(void)
{
	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}

/* Runs vCPU v's "guest" until it takes an interrupt; returns its INTID. */
static uint32_t take_irq(unsigned v)
{
	struct sg_vcpu *vc = sg_vm_vcpu(vm, v);
	struct sg_cpuif *c = sg_vcpu_cpuif(vc);
	uint32_t id = GIC_INTID_SPURIOUS;

	for (int i = 0; i < 1000 && id == GIC_INTID_SPURIOUS; i++) {
		sg_vcpu_wait(vc, 1000000000ll);
		sg_vcpu_flush(vc);
		if (sg_cpuif_virq(c))
			id = sg_cpuif_iar(c, 1);
		sg_vcpu_sync(vc);
	}
	return id;
}

static void eoi(unsigned v, uint32_t id)
{
	struct sg_vcpu *vc = sg_vm_vcpu(vm, v);

	sg_vcpu_flush(vc);
	sg_cpuif_eoir(sg_vcpu_cpuif(vc), 1, id);
	sg_vcpu_sync(vc);
}

START_TEST(test_edge_spi_reaches_routed_vcpu)
{
	gicd_write(0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	gicd_write(0, GICD_ICFGR + 8, 4, 0x2);	    /* INTID 32: edge (Int_config[1]) */
	gicd_write(0, GICD_IROUTER + 8 * 40, 8, 1); /* INTID 40 -> vCPU 1 */
	gicd_write(0, GICD_ICFGR + 8, 4, 0x2u << 16);
	gicd_write(0, GICD_IPRIORITYR + 40, 1, 0x80);
	gicd_write(0, GICD_ISENABLER + 4, 4, 1u << 8);
	(void)gicd_read(0, GICD_CTLR, 4); /* fence the posted writes */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 40), 0);
	ck_assert_uint_eq(take_irq(1), 40);
	/* Active now: the distributor sees it through the owner. */
	ck_assert_uint_eq(gicd_read(0, GICD_ISACTIVER + 4, 4) & (1u << 8), 1u << 8);
	eoi(1, 40);
	ck_assert_uint_eq(gicd_read(0, GICD_ISACTIVER + 4, 4) & (1u << 8), 0);
	ck_assert_uint_eq(gicd_read(0, GICD_ISPENDR + 4, 4) & (1u << 8), 0);
}
END_TEST

START_TEST(test_level_spi_redelivered_while_high)
{
	gicd_write(0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	gicd_write(0, GICD_IROUTER + 8 * 41, 8, 0);
	gicd_write(0, GICD_ISENABLER + 4, 4, 1u << 9);
	(void)gicd_read(0, GICD_CTLR, 4);
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 41, true), 0);
	ck_assert_uint_eq(take_irq(0), 41);
	eoi(0, 41);
	/* Still high: delivered again after the EOI broadcast. */
	ck_assert_uint_eq(take_irq(0), 41);
	/* The device drops the line before the guest's EOI: no third one. */
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 41, false), 0);
	eoi(0, 41);
	ck_assert_uint_eq(gicd_read(1, GICD_ISPENDR + 4, 4) & (1u << 9), 0);
	ck_assert_uint_eq(gicd_read(1, GICD_ISACTIVER + 4, 4) & (1u << 9), 0);
	ck_assert(!sg_vcpu_pending_irq(sg_vm_vcpu(vm, 0)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-smoke");
	TCase *tc = tcase_create("spi");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_edge_spi_reaches_routed_vcpu);
	tcase_add_test(tc, test_level_spi_redelivered_while_high);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
