/* SPDX-License-Identifier: MIT */
/* The Check runner every test program's main() ends with. */
#ifndef SG_CHECK_RUN_H
#define SG_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

/* Runs every test of s (CK_NORMAL output), frees the runner; returns
 * main()'s exit status: EXIT_SUCCESS when none failed. */
static inline int check_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
