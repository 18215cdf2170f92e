// SPDX-License-Identifier: MIT
/*
 * gicctl dump's error paths against the real daemon: no VM attached, a
 * vCPU or ITS out of range, command lines gicctl refuses itself; each
 * exits non-zero with the reason, and the daemon still answers afterwards.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check_run.h"
#include "dump_util.h"
#include "gic_regs.h"
#include "gicctl_test.h"

START_TEST(test_dump_errors)
{
	const char *dist[] = { "dump", "dist", NULL };
	const char *vcpu2[] = { "dump", "vcpu", "2", NULL };
	const char *its1[] = { "dump", "its", "1", NULL };
	const char *its_all[] = { "--json", "dump", "its", "1", NULL };
	const char *none[] = { "dump", NULL };
	const char *novcpu[] = { "dump", "vcpu", NULL };
	const char *bad[] = { "dump", "lpi", NULL };
	const char *badn[] = { "dump", "vcpu", "x1", NULL };
	const char *extra[] = { "dump", "dist", "3", NULL };
	const char *itsall[] = { "dump", "its", "--all", NULL };

	/* No VM attached. */
	harness_daemon_start(&d, NULL);
	expect_fail(dist, 1, "gicctl: no VM attached: no VM is attached");
	expect_fail(vcpu2, 1, "no VM attached");
	ck_assert_int_eq(harness_daemon_stop(&d), 0);

	vm_setup(2, 64, 1, true);
	expect_fail(vcpu2, 1,
		    "gicctl: invalid request: vCPU 2 out of range: the VM has 2 vCPUs "
		    "(0..1)\n");
	expect_fail(its1, 1,
		    "gicctl: invalid request: ITS 1 out of range: the VM has 1 ITS "
		    "(0..0)\n");
	expect_fail(its_all, 1, "ITS 1 out of range");
	/* Command lines gicctl refuses itself. */
	expect_fail(none, 2, "usage: gicctl");
	expect_fail(novcpu, 2, "dump vcpu: which vCPU?");
	expect_fail(bad, 2, "dump: unknown kind 'lpi'");
	expect_fail(badn, 2, "dump: bad vCPU number 'x1'");
	expect_fail(extra, 2, "dump dist: unexpected argument '3'");
	expect_fail(itsall, 2, "--all is for dump dist and dump vcpu");
	/* The daemon is still fine. */
	{
		struct gicctl_run r = run_ok(dist);

		gicctl_run_free(&r);
	}
	vm_teardown();
}
END_TEST

static Suite *dump_suite(void)
{
	Suite *s = suite_create("gicctl-dump-errors");
	TCase *tc = tcase_create("dump");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dump_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(dump_suite());
}
