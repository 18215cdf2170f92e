// SPDX-License-Identifier: MIT
/*
 * gicctl dump its against the real daemon: an ITS configured through its
 * command queue as a guest does, plus table entries written straight into
 * guest RAM as a hostile guest could (a corrupt ITE, an ITT not in RAM,
 * ITTs beyond the dump's read limit), as text and as --json; and a
 * two-level device table walked page by page.
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

START_TEST(test_dump_its)
{
	const char *args[] = { "dump", "its", NULL };
	const char *its0[] = { "dump", "its", "0", NULL };
	struct gicctl_run r;
	json_object *doc, *f, *x, *devs, *dev, *evs;
	char row[128];

	vm_setup(2, 64, 1, true);
	spis_setup();
	its_setup();

	r = run_ok(args);
	ck_assert_ptr_nonnull(strstr(r.out, "ITS 0 at 0x08080000\n"));
	ck_row(r.out, "GITS_CTLR 0x80000001 Enabled 1, Quiescent 1");
	ck_row(r.out, "GITS_CBASER 0x800000004001000f Valid 1, address 0x40010000, 16 pages "
		      "(65536 bytes, 2048 commands)");
	snprintf(row, sizeof(row), "GITS_CREADR 0x%016llx offset 0x%llx, Stalled 0",
		 (unsigned long long)q_wr, (unsigned long long)q_wr);
	ck_row(r.out, row);
	snprintf(row, sizeof(row), "GITS_CWRITER 0x%016llx offset 0x%llx", (unsigned long long)q_wr,
		 (unsigned long long)q_wr);
	ck_row(r.out, row);
	ck_row(r.out, "GITS_BASER0 0x8107000040100000 devices: Valid 1, flat, 4K pages x 1, "
		      "address 0x40100000, 512 IDs");
	ck_row(r.out, "GITS_BASER1 0x8407000040110000 collections: Valid 1, flat, 4K pages x 1, "
		      "address 0x40110000, 512 IDs");
	ck_row(r.out, "stall: none; SYNC outstanding: no; command errors: 1 (last 0x010a04 MAPTI: "
		      "UNMAPPED_DEVICE)");
	ck_row(r.out, "collections: 2");
	ck_row(r.out, "ICID VCPU");
	ck_row(r.out, "0 0");
	ck_row(r.out, "3 1");
	ck_row(r.out, "devices: 3");
	ck_row(r.out, "DEVICE ITT SIZE EVENTS MAPPED");
	ck_row(r.out, "5 0x0000000040200000 4 32 3");
	snprintf(row, sizeof(row), "6 0x0000000040210000 11 4096 %u", NR_DEV6);
	ck_row(r.out, row);
	ck_row(r.out, "7 0x0000001000000000 1 4 0");
	snprintf(row, sizeof(row), "translations: %u", NR_DEV6 + 3);
	ck_row(r.out, row);
	ck_row(r.out, "DEVICE EVENT LPI ICID VCPU");
	ck_row(r.out, "5 0 8192 3 1");
	ck_row(r.out, "5 1 8193 3 1");
	ck_row(r.out, "5 7 8200 0 0");
	ck_row(r.out, "6 0 8300 0 0");
	snprintf(row, sizeof(row), "6 %u %u 0 0", NR_DEV6 - 1, LPI(108 + NR_DEV6 - 1));
	ck_row(r.out, row);
	snprintf(row, sizeof(row),
		 "scan: %u ITT entries read; corrupt entries: 1; entries not in guest RAM: 4",
		 32 + 4096 + 4);
	ck_row(r.out, row);
	gicctl_run_free(&r);

	doc = run_json(its0, "dump-its");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "its")), 1);
	f = idx(gicctl_json_get(doc, "its"), 0);
	ck_assert_uint_eq(u(f, "index"), 0);
	ck_assert_uint_eq(u(f, "frame_address"), SG_DEFAULT_ITS_BASE);
	ck_assert(b(f, "enabled"));
	ck_assert(b(f, "quiescent"));
	ck_assert_uint_eq(u(f, "iidr"), SG_IIDR);
	ck_assert_uint_eq(u(f, "typer"), its_mmio(GITS_TYPER, 8, false, 0));
	ck_assert_uint_eq(u(f, "ctlr"), its_mmio(GITS_CTLR, 4, false, 0));
	x = gicctl_json_get(f, "cbaser");
	ck_assert(b(x, "valid"));
	ck_assert_uint_eq(u(x, "address"), CMDQ_GPA);
	ck_assert_uint_eq(u(x, "pages"), CMDQ_PAGES);
	ck_assert_uint_eq(u(x, "bytes"), CMDQ_PAGES * 4096);
	ck_assert_uint_eq(u(gicctl_json_get(f, "creadr"), "offset"), q_wr);
	ck_assert(!b(gicctl_json_get(f, "creadr"), "stalled"));
	ck_assert_uint_eq(u(gicctl_json_get(f, "cwriter"), "offset"), q_wr);
	x = idx(gicctl_json_get(f, "basers"), 0);
	ck_assert_str_eq(str(x, "type"), "devices");
	ck_assert(b(x, "valid"));
	ck_assert(!b(x, "indirect"));
	ck_assert_uint_eq(u(x, "address"), DT_GPA);
	ck_assert_uint_eq(u(x, "page_size"), 4096);
	ck_assert_uint_eq(u(x, "pages"), 1);
	ck_assert_uint_eq(u(x, "entry_size"), 8);
	ck_assert_uint_eq(u(x, "nr_ids"), 512);
	x = idx(gicctl_json_get(f, "basers"), 1);
	ck_assert_str_eq(str(x, "type"), "collections");
	ck_assert_uint_eq(u(x, "address"), CT_GPA);
	ck_assert_str_eq(str(f, "stall"), "none");
	ck_assert(!b(f, "sync_wait"));
	ck_assert(null(f, "sync_vcpu"));
	ck_assert_uint_eq(u(f, "last_error"), 0x010A04);
	ck_assert_str_eq(str(f, "last_error_name"), "MAPTI: UNMAPPED_DEVICE");
	ck_assert_uint_eq(u(f, "nr_errors"), 1);
	ck_assert_uint_eq(u(gicctl_json_get(f, "cache"), "capacity"), 1024);

	x = gicctl_json_get(f, "collections");
	ck_assert_uint_eq(len(x), 2);
	ck_assert_uint_eq(u(idx(x, 0), "icid"), 0);
	ck_assert_uint_eq(u(idx(x, 0), "vcpu"), 0);
	ck_assert_uint_eq(u(idx(x, 1), "icid"), 3);
	ck_assert_uint_eq(u(idx(x, 1), "vcpu"), 1);

	devs = gicctl_json_get(f, "devices");
	ck_assert_uint_eq(len(devs), 3);
	dev = idx(devs, 0);
	ck_assert_uint_eq(u(dev, "device_id"), 5);
	ck_assert_uint_eq(u(dev, "itt"), ITT5_GPA);
	ck_assert_uint_eq(u(dev, "size"), 4);
	ck_assert_uint_eq(u(dev, "nr_events"), 32);
	ck_assert(!b(dev, "truncated"));
	evs = gicctl_json_get(dev, "events");
	ck_assert_uint_eq(len(evs), 3); /* the corrupt event 9 is not one */
	ck_assert_uint_eq(u(idx(evs, 0), "event_id"), 0);
	ck_assert_uint_eq(u(idx(evs, 0), "intid"), LPI(0));
	ck_assert_uint_eq(u(idx(evs, 0), "icid"), 3);
	ck_assert_uint_eq(u(idx(evs, 0), "vcpu"), 1);
	ck_assert_uint_eq(u(idx(evs, 1), "event_id"), 1);
	ck_assert_uint_eq(u(idx(evs, 1), "intid"), LPI(1));
	ck_assert_uint_eq(u(idx(evs, 2), "event_id"), 7);
	ck_assert_uint_eq(u(idx(evs, 2), "intid"), LPI(8));
	ck_assert_uint_eq(u(idx(evs, 2), "icid"), 0);
	ck_assert_uint_eq(u(idx(evs, 2), "vcpu"), 0);
	/* Thousands of translations: several replies, merged in order. */
	dev = idx(devs, 1);
	ck_assert_uint_eq(u(dev, "device_id"), 6);
	ck_assert_uint_eq(u(dev, "nr_events"), 4096);
	evs = gicctl_json_get(dev, "events");
	ck_assert_uint_eq(len(evs), NR_DEV6);
	for (unsigned n = 0; n < NR_DEV6; n++) {
		ck_assert_uint_eq(u(idx(evs, n), "event_id"), n);
		ck_assert_uint_eq(u(idx(evs, n), "intid"), LPI(108 + n));
	}
	dev = idx(devs, 2);
	ck_assert_uint_eq(u(dev, "device_id"), 7);
	ck_assert_uint_eq(u(dev, "itt"), OUTSIDE_GPA);
	ck_assert_uint_eq(len(gicctl_json_get(dev, "events")), 0);
	x = gicctl_json_get(f, "scan");
	ck_assert_uint_eq(u(x, "itt_entries_read"), 32 + 4096 + 4);
	ck_assert_uint_eq(u(x, "corrupt"), 1);
	ck_assert_uint_eq(u(x, "faults"), 4);
	ck_assert(!b(x, "truncated"));
	ck_assert_uint_eq(u(x, "itt_read_limit"), ITT_READ_LIMIT);
	json_object_put(doc);

	/* "dump its" (every frame) is the same here: one frame. */
	doc = run_json(args, "dump-its");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "its")), 1);
	ck_assert_uint_eq(len(gicctl_json_get(idx(gicctl_json_get(doc, "its"), 0), "devices")), 3);
	json_object_put(doc);

	/*
	 * A guest that maps 9 devices of 65536 events each (here: straight
	 * into the device table, all sharing one zeroed ITT) asks for far
	 * more than one dump reads: the walk stops at the limit, says so,
	 * and the dump still arrives whole.
	 */
	for (unsigned dv = 10; dv < 19; dv++)
		ram_write64(DT_GPA + 8 * dv, dte(15, ITT_BIG_GPA));
	doc = run_json(its0, "dump-its");
	f = idx(gicctl_json_get(doc, "its"), 0);
	devs = gicctl_json_get(f, "devices");
	ck_assert_uint_eq(len(devs), 3 + 9);
	/* 4132 entries before them, then devices 10..12 whole, 13 in part. */
	for (unsigned dv = 10; dv < 19; dv++) {
		dev = find(devs, "device_id", dv);
		ck_assert_uint_eq(u(dev, "nr_events"), 65536);
		ck_assert_msg(b(dev, "truncated") == (dv >= 13), "device %u", dv);
	}
	ck_assert(!b(find(devs, "device_id", 6), "truncated"));
	x = gicctl_json_get(f, "scan");
	ck_assert(b(x, "truncated"));
	ck_assert_uint_eq(u(x, "itt_entries_read"), ITT_READ_LIMIT);
	ck_assert_uint_eq(len(gicctl_json_get(find(devs, "device_id", 6), "events")), NR_DEV6);
	json_object_put(doc);
	r = run_ok(its0);
	ck_assert_ptr_nonnull(strstr(r.out, "; TRUNCATED: the ITT read limit was reached\n"));
	ck_row(r.out, "13 0x0000000040300000 15 65536 0 (truncated)");
	ck_row(r.out, "12 0x0000000040300000 15 65536 0");
	gicctl_run_free(&r);
	vm_teardown();
}
END_TEST

/*
 * A two-level device table: level-1 entries 0 and 3 name level-2 pages,
 * entry 5 names a page outside RAM, the rest are not valid.  The walk
 * finds the devices in both pages, skips the absent pages whole, and
 * counts each entry of the page outside RAM as a fault.
 */
START_TEST(test_dump_its_two_level)
{
	const char *its0[] = { "dump", "its", "0", NULL };
	const uint64_t l2a = RAM_GPA + 0x120000, l2b = RAM_GPA + 0x121000;
	struct gicctl_run r;
	json_object *doc, *f, *x, *devs, *evs;

	vm_setup(2, 32, 1, true);
	ram_write64(DT_GPA + 8 * 0, 1ull << 63 | l2a);
	ram_write64(DT_GPA + 8 * 3, 1ull << 63 | l2b);
	ram_write64(DT_GPA + 8 * 5, 1ull << 63 | OUTSIDE_GPA);
	its_mmio(GITS_CTLR, 4, true, 0);
	its_mmio(GITS_CBASER, 8, true, GITS_CBASER_VALID | CMDQ_GPA | (CMDQ_PAGES - 1));
	its_mmio(GITS_BASER, 8, true, baser(0, DT_GPA) | GITS_BASER_INDIRECT);
	its_mmio(GITS_BASER + 8, 8, true, baser(1, CT_GPA));
	its_mmio(GITS_CWRITER, 8, true, 0);
	its_mmio(GITS_CTLR, 4, true, GITS_CTLR_ENABLED);
	q_wr = 0;
	c_mapc(1, 1);
	c_mapd(5, 1, ITT5_GPA);
	c_mapd(3 * 512 + 2, 1, ITT6_GPA);
	c_mapti(3 * 512 + 2, 1, LPI(9), 1);
	its_run();

	doc = run_json(its0, "dump-its");
	f = idx(gicctl_json_get(doc, "its"), 0);
	x = idx(gicctl_json_get(f, "basers"), 0);
	ck_assert(b(x, "valid"));
	ck_assert(b(x, "indirect"));
	ck_assert_uint_eq(u(x, "nr_ids"), 65536); /* 512 x 512, capped at 16 DeviceID bits */
	devs = gicctl_json_get(f, "devices");
	ck_assert_uint_eq(len(devs), 2);
	ck_assert_uint_eq(u(idx(devs, 0), "device_id"), 5);
	ck_assert_uint_eq(u(idx(devs, 0), "itt"), ITT5_GPA);
	ck_assert_uint_eq(len(gicctl_json_get(idx(devs, 0), "events")), 0);
	ck_assert_uint_eq(u(idx(devs, 1), "device_id"), 3 * 512 + 2);
	evs = gicctl_json_get(idx(devs, 1), "events");
	ck_assert_uint_eq(len(evs), 1);
	ck_assert_uint_eq(u(idx(evs, 0), "event_id"), 1);
	ck_assert_uint_eq(u(idx(evs, 0), "intid"), LPI(9));
	ck_assert_uint_eq(u(idx(evs, 0), "vcpu"), 1);
	x = gicctl_json_get(f, "scan");
	ck_assert_uint_eq(u(x, "itt_entries_read"), 4 + 4);
	ck_assert_uint_eq(u(x, "faults"), 512);
	ck_assert_uint_eq(u(x, "corrupt"), 0);
	json_object_put(doc);
	r = run_ok(its0);
	ck_row(r.out, "GITS_BASER0 0xc107000040100000 devices: Valid 1, two-level, 4K pages x 1, "
		      "address 0x40100000, 65536 IDs");
	ck_row(r.out, "1538 0x0000000040210000 1 4 1");
	ck_row(r.out, "1538 1 8201 1 1");
	gicctl_run_free(&r);
	vm_teardown();
}
END_TEST

static Suite *dump_suite(void)
{
	Suite *s = suite_create("gicctl-dump-its");
	TCase *tc = tcase_create("dump");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dump_its);
	tcase_add_test(tc, test_dump_its_two_level);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(dump_suite());
}
