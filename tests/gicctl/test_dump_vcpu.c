// SPDX-License-Identifier: MIT
/*
 * gicctl dump vcpu N against the real daemon: the SPIs and LPIs routed to
 * one vCPU of the main test's VM (SPIs and ITS as a guest sets them up),
 * as text and as --json (validated against gicctl/schema/).
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

START_TEST(test_dump_vcpu)
{
	const char *v1[] = { "dump", "vcpu", "1", NULL };
	const char *v0[] = { "dump", "vcpu", "0", NULL };
	const char *v0all[] = { "dump", "vcpu", "0", "--all", NULL };
	struct gicctl_run r;
	json_object *doc, *x, *spis, *lpis;
	unsigned first = 0, last = 0;
	char row[128];

	vm_setup(2, 64, 1, true);
	spis_setup();
	its_setup();

	r = run_ok(v1);
	ck_assert_ptr_nonnull(
		strstr(r.out, "vCPU 1 of 2: MPIDR 0x0000000000000001 (affinity 0.0.0.1)\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "  channel mmio1: received "));
	ck_assert_ptr_nonnull(strstr(r.out, "  deferred read: none\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "  queries waiting for vCPU 1: 0\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs routed to or held by vCPU 1: 1; 1 configured or "
					    "holding state (--all: every one)\n"));
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 1);
	ck_row(r.out, "40 1 1 0xa0 edge 0 0 0 0.0.0.1 1 vcpu1 gen 1");
	ck_row(r.out, "collections targeting vCPU 1: 1");
	ck_row(r.out, "ITS ICID");
	ck_row(r.out, "0 3");
	ck_row(r.out, "LPIs mapped to vCPU 1: 2");
	ck_row(r.out, "ITS DEVICE EVENT LPI ICID");
	ck_row(r.out, "0 5 0 8192 3");
	ck_row(r.out, "0 5 1 8193 3");
	gicctl_run_free(&r);

	doc = run_json(v1, "dump-vcpu");
	ck_assert_uint_eq(u(doc, "vcpu"), 1);
	ck_assert_uint_eq(u(doc, "nr_vcpus"), 2);
	ck_assert_uint_eq(u(doc, "mpidr"), 1);
	ck_assert_str_eq(str(doc, "affinity"), "0.0.0.1");
	/* cpu_state: whatever the agent last reported (checked by the schema). */
	x = gicctl_json_get(doc, "channel");
	ck_assert_str_eq(str(x, "name"), "mmio1");
	ck_assert_uint_eq(u(x, "rejected"), 0);
	ck_assert(null(x, "fence_seq"));
	ck_assert(null(doc, "deferred_read"));
	ck_assert_uint_eq(len(gicctl_json_get(doc, "queries")), 0);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 1);
	ck_assert_uint_eq(u(idx(spis, 0), "intid"), 40);
	ck_assert_uint_eq(u(idx(spis, 0), "owner"), 1);
	x = gicctl_json_get(doc, "collections");
	ck_assert_uint_eq(len(x), 1);
	ck_assert_uint_eq(u(idx(x, 0), "its"), 0);
	ck_assert_uint_eq(u(idx(x, 0), "icid"), 3);
	lpis = gicctl_json_get(doc, "lpis");
	ck_assert_uint_eq(len(lpis), 2);
	ck_assert_uint_eq(u(idx(lpis, 0), "device_id"), 5);
	ck_assert_uint_eq(u(idx(lpis, 0), "event_id"), 0);
	ck_assert_uint_eq(u(idx(lpis, 0), "intid"), LPI(0));
	ck_assert_uint_eq(u(idx(lpis, 1), "intid"), LPI(1));
	ck_assert_uint_eq(u(gicctl_json_get(doc, "scan"), "corrupt"), 1);
	json_object_put(doc);

	/* vCPU 0: IROUTER 0 (the reset value) names it, so every SPI but 40
	 * (vCPU 1) and 42 (1-of-N); thousands of LPIs (several replies). */
	doc = run_json(v0, "dump-vcpu");
	ck_assert_uint_eq(u(doc, "mpidr"), 0);
	ck_assert_str_eq(str(gicctl_json_get(doc, "channel"), "name"), "mmio0");
	ck_assert_uint_ge(u(gicctl_json_get(doc, "channel"), "last_applied"), 1);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 62);
	for (size_t i = 0; i < len(spis); i++) {
		ck_assert_uint_ne(u(idx(spis, i), "intid"), 40);
		ck_assert_uint_ne(u(idx(spis, i), "intid"), 42);
	}
	x = gicctl_json_get(doc, "collections");
	ck_assert_uint_eq(len(x), 1);
	ck_assert_uint_eq(u(idx(x, 0), "icid"), 0);
	lpis = gicctl_json_get(doc, "lpis");
	ck_assert_uint_eq(len(lpis), 1 + NR_DEV6);
	ck_assert_uint_eq(u(idx(lpis, 0), "device_id"), 5);
	ck_assert_uint_eq(u(idx(lpis, 0), "event_id"), 7);
	for (unsigned n = 0; n < NR_DEV6; n++) {
		ck_assert_uint_eq(u(idx(lpis, 1 + n), "device_id"), 6);
		ck_assert_uint_eq(u(idx(lpis, 1 + n), "event_id"), n);
		ck_assert_uint_eq(u(idx(lpis, 1 + n), "intid"), LPI(108 + n));
	}
	json_object_put(doc);

	r = run_ok(v0);
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs routed to or held by vCPU 0: 62; 1 configured or "
					    "holding state (--all: every one)\n"));
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 1);
	ck_row(r.out, "41 0 0 0x80 level 1 0 0 0.0.0.0 0 idle");
	snprintf(row, sizeof(row), "LPIs mapped to vCPU 0: %u", 1 + NR_DEV6);
	ck_row(r.out, row);
	gicctl_run_free(&r);
	r = run_ok(v0all);
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 62);
	gicctl_run_free(&r);
	vm_teardown();
}
END_TEST

static Suite *dump_suite(void)
{
	Suite *s = suite_create("gicctl-dump-vcpu");
	TCase *tc = tcase_create("dump");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dump_vcpu);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(dump_suite());
}
