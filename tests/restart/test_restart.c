// SPDX-License-Identifier: MIT
/*
 * gicd-server restarted under a running VM (DESIGN §6, docs/restart.md):
 * killed (SIGKILL) or stopped (SIGTERM) and replaced, with its state file
 * and a re-attaching VMM, or with its channels in a service manager's fd
 * store (the harness plays systemd).  Configuration written before and
 * during the outage survives, an SPI in flight is handled once.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gic_regs.h"
#include "harness.h"
#include "splitgic/agent.h"

static struct harness_daemon d;
static struct sg_vm *vm;
static char state_arg[400];
static const char *args[3];

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

static void start(bool managed)
{
	struct sg_vm_shape s;
	struct sg_vm_config cfg = { 0 };
	char err[256], dir[300];

	/* The state file goes in a directory of its own that outlives each
	 * instance: harness_daemon_restart keeps the harness directory. */
	if (managed) {
		args[0] = NULL;
		harness_daemon_start_managed(&d, args);
	} else {
		snprintf(dir, sizeof(dir), "/tmp/splitgic-state-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(dir));
		snprintf(state_arg, sizeof(state_arg), "%s/state", dir);
		args[0] = "--state-file";
		args[1] = state_arg;
		args[2] = NULL;
		harness_daemon_start(&d, args);
	}
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

static void stop(void)
{
	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	if (state_arg[0])
		unlink(state_arg);
}

static uint32_t take_irq(unsigned v)
{
	struct sg_vcpu *vc = sg_vm_vcpu(vm, v);
	struct sg_cpuif *c = sg_vcpu_cpuif(vc);
	uint32_t id = GIC_INTID_SPURIOUS;

	for (int i = 0; i < 2000 && id == GIC_INTID_SPURIOUS; i++) {
		sg_vcpu_wait(vc, 100000000ll);
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

/* The same scenario whatever the restart: state before, writes and an
 * edge during, and an SPI in flight across it. */
static void scenario(int sig)
{
	gicd_write(0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	gicd_write(0, GICD_IPRIORITYR + 40, 1, 0x48);
	gicd_write(0, GICD_IROUTER + 8 * 40, 8, 1);
	gicd_write(0, GICD_ICFGR + 8, 4, 0x2u << 16); /* 40 edge */
	gicd_write(1, GICD_ISENABLER + 4, 4, 1u << 8);
	ck_assert_uint_eq(gicd_read(1, GICD_CTLR, 4) & GICD_CTLR_ENABLE_G1, GICD_CTLR_ENABLE_G1);
	/* In flight at vCPU 1 (pending, not yet taken) when the daemon goes. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 40), 0);
	ck_assert_uint_eq(gicd_read(0, GICD_ISPENDR + 4, 4) & (1u << 8), 1u << 8);

	harness_daemon_restart(&d, sig, args);

	/* Posted while the new instance comes up, then read back. */
	gicd_write(0, GICD_IPRIORITYR + 41, 1, 0x90);
	ck_assert_uint_eq(gicd_read(1, GICD_IPRIORITYR + 40, 4), 0x00009048);
	ck_assert_uint_eq(gicd_read(0, GICD_IROUTER + 8 * 40, 8), 1);
	/* The edge is handled exactly once. */
	ck_assert_uint_eq(take_irq(1), 40);
	eoi(1, 40);
	ck_assert_uint_eq(gicd_read(0, GICD_ISPENDR + 4, 4) & (1u << 8), 0);
	ck_assert_uint_eq(gicd_read(0, GICD_ISACTIVER + 4, 4) & (1u << 8), 0);
	ck_assert(!sg_vcpu_pending_irq(sg_vm_vcpu(vm, 1)));
	/* And the distributor keeps working: a new edge after the restart. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 40), 0);
	ck_assert_uint_eq(take_irq(1), 40);
	eoi(1, 40);
	ck_assert_uint_ge(sg_vm_stat(vm, SG_VM_RESUMES), 1);
}

START_TEST(test_sigkill_state_file)
{
	start(false);
	scenario(SIGKILL);
	ck_assert_uint_eq(sg_vm_stat(vm, SG_VM_RECONNECTS), 1);
	stop();
}
END_TEST

START_TEST(test_sigterm_state_file)
{
	start(false);
	scenario(SIGTERM);
	ck_assert_uint_eq(sg_vm_stat(vm, SG_VM_RECONNECTS), 1);
	stop();
}
END_TEST

START_TEST(test_sigkill_fd_store)
{
	start(true);
	scenario(SIGKILL);
	/* The channels were in the fd store: the VMM never re-attached. */
	ck_assert_uint_eq(sg_vm_stat(vm, SG_VM_RECONNECTS), 0);
	stop();
}
END_TEST

START_TEST(test_sigterm_fd_store)
{
	start(true);
	scenario(SIGTERM);
	ck_assert_uint_eq(sg_vm_stat(vm, SG_VM_RECONNECTS), 0);
	stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("restart");
	TCase *tc = tcase_create("restart");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sigkill_state_file);
	tcase_add_test(tc, test_sigterm_state_file);
	tcase_add_test(tc, test_sigkill_fd_store);
	tcase_add_test(tc, test_sigterm_fd_store);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
