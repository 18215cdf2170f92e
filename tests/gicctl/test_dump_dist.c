// SPDX-License-Identifier: MIT
/*
 * gicctl dump dist against the real daemon: the main test's SPIs (set up
 * by GICD writes as a guest does) shown exactly, as text, with --all and as
 * --json (validated against gicctl/schema/); and a VM with 988 SPIs, whose
 * dump is split over several datagrams and arrives whole and in order.
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
#include "wire.h"

START_TEST(test_dump_dist)
{
	const char *args[] = { "dump", "dist", NULL };
	const char *all[] = { "dump", "dist", "--all", NULL };
	struct gicctl_run r;
	json_object *doc, *spis, *s;
	unsigned first = 0, last = 0;

	vm_setup(2, 64, 1, true);
	spis_setup();

	r = run_ok(args);
	ck_assert_ptr_nonnull(strstr(r.out, "GICD_CTLR   0x00000052  EnableGrp0 0, EnableGrp1 1, "
					    "ARE 1, DS 1\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "GICD_TYPER  0x"));
	ck_assert_ptr_nonnull(strstr(r.out, "ITLinesNumber 2, MBIS 1, LPIS 1, IDbits 15"));
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 64 (INTIDs 32..95), vCPUs: 2; 3 configured or "
					    "holding state (--all: every SPI)\n"));
	ck_row(r.out, "INTID EN GRP PRIO CFG PEND LINE ACT ROUTE TARGET STATE");
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 3);
	ck_row(r.out, "40 1 1 0xa0 edge 0 0 0 0.0.0.1 1 vcpu1 gen 1");
	ck_row(r.out, "41 0 0 0x80 level 1 0 0 0.0.0.0 0 idle");
	ck_assert_uint_eq(rows(r.out, "42 1 1 0x90 level 0 0 0 1-of-N 0 idle") +
				  rows(r.out, "42 1 1 0x90 level 0 0 0 1-of-N 1 idle") +
				  rows(r.out, "42 1 1 0x90 level 0 0 0 1-of-N - idle"),
			  1);
	gicctl_run_free(&r);

	r = run_ok(all);
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 64);
	ck_assert_uint_eq(first, 32);
	ck_assert_uint_eq(last, 95);
	ck_row(r.out, "50 0 1 0x00 level 0 0 0 0.0.0.0 0 idle");
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 64 (INTIDs 32..95), vCPUs: 2\n"));
	gicctl_run_free(&r);

	doc = run_json(args, "dump-dist");
	ck_assert_uint_eq(u(doc, "ctlr"), 0x52);
	ck_assert(!b(doc, "enable_grp0"));
	ck_assert(b(doc, "enable_grp1"));
	ck_assert(u(doc, "typer") & GICD_TYPER_LPIS);
	ck_assert_uint_eq(u(doc, "typer") & 0x1F, 2);
	ck_assert_uint_eq(u(doc, "iidr"), SG_IIDR);
	ck_assert_uint_eq(u(doc, "typer"), harness_gicd_read(vm, 0, GICD_TYPER, 4));
	ck_assert_uint_eq(u(doc, "nr_spis"), 64);
	ck_assert_uint_eq(u(doc, "nr_vcpus"), 2);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 64);
	for (unsigned i = 0; i < 64; i++)
		ck_assert_uint_eq(u(idx(spis, i), "intid"), 32 + i);

	s = idx(spis, 40 - 32);
	ck_assert(b(s, "enabled"));
	ck_assert_uint_eq(u(s, "group"), 1);
	ck_assert_uint_eq(u(s, "priority"), 0xa0);
	ck_assert_str_eq(str(s, "trigger"), "edge");
	ck_assert(!b(s, "pending")); /* the latch went to the owner */
	ck_assert(!b(s, "latch"));
	ck_assert(!b(s, "active"));
	ck_assert_uint_eq(u(s, "irouter"), 1);
	ck_assert(!b(s, "irm"));
	ck_assert_str_eq(str(s, "affinity"), "0.0.0.1");
	ck_assert_uint_eq(u(s, "target"), 1);
	ck_assert_str_eq(str(s, "state"), "in_flight");
	ck_assert_uint_eq(u(s, "owner"), 1);
	ck_assert_uint_eq(u(s, "gen"), 1);
	ck_assert_uint_eq(u(s, "own_gen"), 1);
	ck_assert(b(s, "owner_latch"));

	s = idx(spis, 41 - 32);
	ck_assert(!b(s, "enabled"));
	ck_assert_uint_eq(u(s, "group"), 0);
	ck_assert_uint_eq(u(s, "priority"), 0x80);
	ck_assert_str_eq(str(s, "trigger"), "level");
	ck_assert(b(s, "pending"));
	ck_assert(b(s, "latch"));
	ck_assert(!b(s, "line"));
	ck_assert_uint_eq(u(s, "target"), 0);
	ck_assert_str_eq(str(s, "state"), "idle");
	ck_assert(null(s, "owner"));

	s = idx(spis, 42 - 32);
	ck_assert(b(s, "enabled"));
	ck_assert(b(s, "irm"));
	ck_assert_uint_eq(u(s, "irouter"), GICD_IROUTER_IRM);
	ck_assert(!b(s, "pending"));
	ck_assert_str_eq(str(s, "state"), "idle");

	s = idx(spis, 50 - 32); /* untouched: the reset state */
	ck_assert(!b(s, "enabled"));
	ck_assert_uint_eq(u(s, "group"), 1);
	ck_assert_uint_eq(u(s, "priority"), 0);
	ck_assert_str_eq(str(s, "trigger"), "level");
	ck_assert(!b(s, "pending"));
	ck_assert_uint_eq(u(s, "irouter"), 0);
	ck_assert_uint_eq(u(s, "target"), 0);
	ck_assert_str_eq(str(s, "state"), "idle");
	ck_assert_uint_eq(u(s, "gen"), 0);
	json_object_put(doc);

	/* --all changes only the table: JSON always has every SPI. */
	doc = run_json(all, "dump-dist");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "spis")), 64);
	json_object_put(doc);
	vm_teardown();
}
END_TEST

/*
 * The encoded size of the SPIs of a JSON dist dump as one DistDump: more
 * than a datagram holds (SG_WIRE_MAX) proves the daemon had to split it.
 */
static size_t dist_packed_size(json_object *spis)
{
	size_t n = len(spis), size;
	Sg__SpiDump *s = calloc(n, sizeof(*s));
	Sg__SpiDump **p = calloc(n, sizeof(*p));
	Sg__DistDump dd = SG__DIST_DUMP__INIT;

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++) {
		json_object *o = idx(spis, i);

		sg__spi_dump__init(&s[i]);
		s[i].intid = (uint32_t)u(o, "intid");
		s[i].enabled = b(o, "enabled");
		s[i].group1 = u(o, "group") == 1;
		s[i].priority = (uint32_t)u(o, "priority");
		s[i].edge = strcmp(str(o, "trigger"), "edge") == 0;
		s[i].irouter = u(o, "irouter");
		s[i].target = null(o, "target") ? -1 : (int32_t)u(o, "target");
		p[i] = &s[i];
	}
	dd.n_spis = n;
	dd.spis = p;
	size = sg__dist_dump__get_packed_size(&dd);
	free(p);
	free(s);
	return size;
}

/* 988 SPIs (the architecture's maximum), no ITS: a dist dump spans
 * several replies; every SPI arrives once, in order.  SPIs 32..1017 are
 * edge, priority 0xf8, enabled and routed to an affinity no vCPU has;
 * 1018 is untouched; 1019 is level, priority 0x40, enabled, on vCPU 1. */
START_TEST(test_dump_dist_988)
{
	const char *all[] = { "dump", "dist", "--all", NULL };
	const char *dist[] = { "dump", "dist", NULL };
	const char *its[] = { "dump", "its", NULL };
	const char *its0[] = { "dump", "its", "0", NULL };
	const char *v1[] = { "dump", "vcpu", "1", NULL };
	struct gicctl_run r;
	json_object *doc, *spis;
	unsigned first = 0, last = 0;

	vm_setup(2, 988, 0, false);
	for (uint32_t off = 32; off < 1020; off += 4)
		gicd_w(GICD_IPRIORITYR + off, 4, 0xf8f8f8f8u);
	for (uint32_t w = 2; w < 63; w++)
		gicd_w(GICD_ICFGR + 4 * w, 4, 0xaaaaaaaau);
	gicd_w(GICD_ICFGR + 4 * 63, 4, 0xaaaaaaaau & ((1u << 20) - 1)); /* 1008..1017 */
	for (uint32_t id = 32; id < 1018; id++)
		gicd_w(GICD_IROUTER + 8 * id, 8, 0xFF00FFFFFFull);
	for (uint32_t w = 1; w < 32; w++)
		gicd_w(GICD_ISENABLER + 4 * w, 4, w == 31 ? ~(1u << (1018 % 32)) : ~0u);
	gicd_w(GICD_IPRIORITYR + 1018, 1, 0);
	gicd_w(GICD_IPRIORITYR + 1019, 1, 0x40);
	gicd_w(GICD_IROUTER + 8 * 1019, 8, 1);
	(void)harness_gicd_read(vm, 0, GICD_CTLR, 4);

	r = run_ok(all);
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 988);
	ck_assert_uint_eq(first, 32);
	ck_assert_uint_eq(last, 1019);
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 988 (INTIDs 32..1019), vCPUs: 2\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "ITLinesNumber 31, MBIS 1, LPIS 0, IDbits 9"));
	ck_row(r.out, "32 1 1 0xf8 edge 0 0 0 255.255.255.255 - idle");
	ck_row(r.out, "1017 1 1 0xf8 edge 0 0 0 255.255.255.255 - idle");
	ck_row(r.out, "1018 0 1 0x00 level 0 0 0 0.0.0.0 0 idle");
	ck_row(r.out, "1019 1 1 0x40 level 0 0 0 0.0.0.1 1 idle");
	gicctl_run_free(&r);

	r = run_ok(dist);
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 988 (INTIDs 32..1019), vCPUs: 2; 987 configured "
					    "or holding state (--all: every SPI)\n"));
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 987);
	ck_assert_uint_eq(rows(r.out, "1018 0 1 0x00 level 0 0 0 0.0.0.0 0 idle"), 0);
	ck_row(r.out, "1019 1 1 0x40 level 0 0 0 0.0.0.1 1 idle");
	gicctl_run_free(&r);

	doc = run_json(all, "dump-dist");
	ck_assert_uint_eq(u(doc, "nr_spis"), 988);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 988);
	for (unsigned i = 0; i < 988; i++) {
		json_object *s = idx(spis, i);

		ck_assert_uint_eq(u(s, "intid"), 32 + i);
		ck_assert(b(s, "enabled") == (i != 1018 - 32));
		if (i < 1018 - 32) {
			ck_assert_uint_eq(u(s, "priority"), 0xf8);
			ck_assert_str_eq(str(s, "trigger"), "edge");
			ck_assert_uint_eq(u(s, "irouter"), 0xFF00FFFFFFull);
			ck_assert_str_eq(str(s, "affinity"), "255.255.255.255");
			ck_assert(null(s, "target"));
		}
	}
	ck_assert_uint_eq(u(idx(spis, 987), "target"), 1);
	/* Too big for one datagram: it came in several. */
	ck_assert_uint_gt(dist_packed_size(spis), SG_WIRE_MAX);
	json_object_put(doc);

	/* Empty dumps are dumps: no ITS, nothing routed to vCPU 1 but 1019. */
	r = run_ok(its);
	ck_assert_str_eq(r.out, "the VM has no ITS\n");
	gicctl_run_free(&r);
	doc = run_json(its, "dump-its");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "its")), 0);
	json_object_put(doc);
	expect_fail(its0, 1, "ITS 0 out of range: the VM has no ITS");
	doc = run_json(v1, "dump-vcpu");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "spis")), 1);
	ck_assert_uint_eq(len(gicctl_json_get(doc, "lpis")), 0);
	ck_assert_uint_eq(u(gicctl_json_get(doc, "scan"), "itt_entries_read"), 0);
	json_object_put(doc);
	vm_teardown();
}
END_TEST

static Suite *dump_suite(void)
{
	Suite *s = suite_create("gicctl-dump-dist");
	TCase *tc = tcase_create("dump");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dump_dist);
	tcase_add_test(tc, test_dump_dist_988);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(dump_suite());
}
