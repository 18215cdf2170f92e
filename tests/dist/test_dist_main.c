// SPDX-License-Identifier: MIT
/* Runs the distributor register suites. */
#include <stdlib.h>

#include "dist_test.h"

struct dist_fixture fx;

int main(void)
{
	SRunner *sr = srunner_create(dist_reset_suite());
	int failed;

	srunner_add_suite(sr, dist_regs_suite());
	srunner_add_suite(sr, dist_access_suite());
	srunner_add_suite(sr, dist_spi_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
