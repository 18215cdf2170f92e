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

#include "check_run.h"
#include "gic_regs.h"
#include "harness.h"
#include "splitgic/agent.h"
#include "splitgic/attach.h"

static struct harness_daemon d;
static struct sg_vm *vm;
static char state_arg[400];
static const char *args[3];

static void start(bool managed)
{
	struct sg_vm_shape s;
	char dir[300];

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
	vm = harness_vm_create(&s);
	harness_vm_connect(vm, &d, "test");
	harness_vm_enable_grp1(vm);
}

static void stop(void)
{
	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	if (state_arg[0])
		unlink(state_arg);
}

/* The same scenario whatever the restart: state before, writes and an
 * edge during, and an SPI in flight across it. */
static void scenario(int sig)
{
	harness_gicd_write(vm, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	harness_gicd_write(vm, 0, GICD_IPRIORITYR + 40, 1, 0x48);
	harness_gicd_write(vm, 0, GICD_IROUTER + 8 * 40, 8, 1);
	harness_gicd_write(vm, 0, GICD_ICFGR + 8, 4, 0x2u << 16); /* 40 edge */
	harness_gicd_write(vm, 1, GICD_ISENABLER + 4, 4, 1u << 8);
	ck_assert_uint_eq(harness_gicd_read(vm, 1, GICD_CTLR, 4) & GICD_CTLR_ENABLE_G1,
			  GICD_CTLR_ENABLE_G1);
	/* In flight at vCPU 1 (pending, not yet taken) when the daemon goes. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 40), 0);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISPENDR + 4, 4) & (1u << 8), 1u << 8);

	harness_daemon_restart(&d, sig, args);

	/* Posted while the new instance comes up, then read back. */
	harness_gicd_write(vm, 0, GICD_IPRIORITYR + 41, 1, 0x90);
	ck_assert_uint_eq(harness_gicd_read(vm, 1, GICD_IPRIORITYR + 40, 4), 0x00009048);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_IROUTER + 8 * 40, 8), 1);
	/* The edge is handled exactly once. */
	ck_assert_uint_eq(harness_take_irq(vm, 1), 40);
	harness_eoi(vm, 1, 40);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISPENDR + 4, 4) & (1u << 8), 0);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISACTIVER + 4, 4) & (1u << 8), 0);
	ck_assert(!sg_vcpu_pending_irq(sg_vm_vcpu(vm, 1)));
	/* And the distributor keeps working: a new edge after the restart. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 40), 0);
	ck_assert_uint_eq(harness_take_irq(vm, 1), 40);
	harness_eoi(vm, 1, 40);
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

/*
 * The VMM went away while the daemon was down: the restored instance finds
 * its channels' peers closed when it sends Resume.  A send that fails is
 * the VM gone, like a hang-up: the daemon detaches and exits 0 rather than
 * holding a dead VM (it stops reading a channel whose send failed, so it
 * would never see the hang-up).
 */
START_TEST(test_vmm_gone_during_restart)
{
	struct sg_attachment att;
	struct sg_vm_shape s;
	unsigned waited_ms = 0;

	args[0] = NULL;
	harness_daemon_start_managed(&d, args);
	harness_shape(&s, 2, 64, 0);
	harness_attach(&d, &s, &att);
	/* Frozen, so it cannot notice the VMM leave: the next instance must. */
	ck_assert_int_eq(kill(d.pid, SIGSTOP), 0);
	for (unsigned i = 0; i < att.nr_vcpus; i++)
		close(att.mmio_fd[i]);
	close(att.bus_fd);
	harness_daemon_restart(&d, SIGKILL, args);
	/* A safety net, not a timing check: the line comes at once. */
	while (harness_log_count(&d, "detached (channel") == 0 && waited_ms < 60000) {
		usleep(10000);
		waited_ms += 10;
	}
	ck_assert_uint_eq(harness_log_count(&d, "VM state restored"), 1);
	ck_assert_uint_ge(harness_log_count(&d, "detached (channel"), 1);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("restart");
	TCase *tc = tcase_create("restart");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sigkill_state_file);
	tcase_add_test(tc, test_sigterm_state_file);
	tcase_add_test(tc, test_sigkill_fd_store);
	tcase_add_test(tc, test_sigterm_fd_store);
	tcase_add_test(tc, test_vmm_gone_during_restart);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
