// SPDX-License-Identifier: MIT
/*
 * splitgic-vm --embedded (docs/embedded.md): accepted alone, a usage error
 * with anything that needs a daemon (--connect, --gicd-server,
 * --restart-every).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_run.h"
#include "options.h"

static int parse(struct options *o, int argc, char **argv)
{
	FILE *err = fopen("/dev/null", "w");
	int rc;

	ck_assert_ptr_nonnull(err);
	rc = options_parse(o, argc, argv, err);
	fclose(err);
	return rc;
}

START_TEST(embedded_alone)
{
	char *argv[] = { "splitgic-vm", "--embedded", "--cpus", "4", "guest.elf", NULL };
	struct options o;

	ck_assert_int_eq(parse(&o, 5, argv), 0);
	ck_assert(o.embedded);
	ck_assert_uint_eq(o.cpus, 4);

	char *plain[] = { "splitgic-vm", "guest.elf", NULL };

	ck_assert_int_eq(parse(&o, 2, plain), 0);
	ck_assert(!o.embedded);
}
END_TEST

START_TEST(embedded_needs_no_daemon)
{
	char *connect[] = {
		"splitgic-vm", "--embedded", "--connect", "/run/x.sock", "g.elf", NULL
	};
	char *server[] = {
		"splitgic-vm", "--gicd-server", "/bin/true", "--embedded", "g.elf", NULL
	};
	char *restart[] = { "splitgic-vm", "--embedded", "--restart-every", "50", "g.elf", NULL };
	struct options o;

	ck_assert_int_eq(parse(&o, 5, connect), VM_EXIT_BAD_ARGS);
	ck_assert_int_eq(parse(&o, 5, server), VM_EXIT_BAD_ARGS);
	ck_assert_int_eq(parse(&o, 5, restart), VM_EXIT_BAD_ARGS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("embedded-options");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, embedded_alone);
	tcase_add_test(tc, embedded_needs_no_daemon);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
