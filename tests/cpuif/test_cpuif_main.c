// SPDX-License-Identifier: MIT
/*
 * Runs the cpuif suites (registers, acknowledge, priority, EOI and
 * deactivation, maintenance, system registers) in one executable, so the
 * single meson test `cpuif` covers the whole virtual CPU interface model.
 */
#include "cpuif_test.h"

int main(void)
{
	SRunner *sr = srunner_create(cpuif_regs_suite());
	int failed;

	srunner_add_suite(sr, cpuif_ack_suite());
	srunner_add_suite(sr, cpuif_prio_suite());
	srunner_add_suite(sr, cpuif_eoi_suite());
	srunner_add_suite(sr, cpuif_maint_suite());
	srunner_add_suite(sr, cpuif_sysreg_suite());
	/* Each test re-initialises the model in its fixture, so forking buys
	 * nothing, and fork() hangs under some qemu-user setups (the arm64
	 * cross run).  CK_FORK=yes still forces fork mode. */
	if (!getenv("CK_FORK"))
		srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
