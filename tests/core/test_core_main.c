// SPDX-License-Identifier: MIT
/* Runs the core suites. */
#include <stdlib.h>

#include "core_test.h"

struct core_fx cx;

int main(void)
{
	SRunner *sr = srunner_create(core_deliver_suite());
	int failed;

	srunner_add_suite(sr, core_own_suite());
	srunner_add_suite(sr, core_route_suite());
	srunner_add_suite(sr, core_reads_suite());
	srunner_add_suite(sr, core_model_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
