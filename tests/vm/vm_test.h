/* SPDX-License-Identifier: MIT */
/* Shared by the splitgic-vm unit tests: the Check runner. */
#ifndef SGVM_TEST_H
#define SGVM_TEST_H

#include <check.h>
#include <stdlib.h>

static inline int vm_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
