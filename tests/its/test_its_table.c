// SPDX-License-Identifier: MIT
/*
 * ITS tables in guest RAM: flat and two-level tables with 4K/16K/64K pages
 * (entry addresses from the architecture's geometry: GITS_BASER.Size,
 * Page_Size, Entry_Size), invalid level-1 entries, tables outside RAM,
 * corrupted entries, the write-protection of everything that is not a
 * table, window eviction, a memfd shrunk under the daemon, and the state
 * surviving a restart (registers from the saved struct, tables from RAM).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "its_test.h"

#define OP_INT	   0x03u
#define OP_MAPD	   0x08u
#define OP_MAPC	   0x09u
#define OP_MAPTI   0x0Au
#define OP_DISCARD 0x0Fu

#define TBL_GPA (RAM_GPA + 0x400000) /* 64K aligned */
#define L2A_GPA (RAM_GPA + 0x600000)
#define L2B_GPA (RAM_GPA + 0x700000)

static const uint64_t page_bytes[] = { 4096, 16384, 65536 };

static uint64_t errors_seen;

static void error_is(uint32_t e)
{
	ck_assert_uint_eq(fx.its.st.nr_errors, errors_seen + 1);
	ck_assert_msg(fx.its.st.last_error == e, "error 0x%06x, expected 0x%06x",
		      fx.its.st.last_error, e);
	errors_seen = fx.its.st.nr_errors;
}

static void no_error(void)
{
	ck_assert_msg(fx.its.st.nr_errors == errors_seen, "unexpected error 0x%06x",
		      fx.its.st.last_error);
}

static void run(void)
{
	q_kick();
	ck_assert_uint_eq(creadr_off(), fx.q_wr);
	ck_assert_int_eq(stalled(), 0);
}

/* fx_setup + queue, with BASER0/1 as given, enabled. */
static void setup_tables(uint64_t b0, uint64_t b1)
{
	fx_setup(4);
	errors_seen = 0;
	q_init(Q_GPA, Q_PAGES);
	wr64(GITS_BASER, b0);
	wr64(GITS_BASER + 8, b1);
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
}

/* Entry bytes from GITS_BASER<n>.Entry_Size, as software computes them. */
static uint64_t entry_bytes(unsigned n)
{
	return ((rd64(GITS_BASER + 8 * n) >> 48) & 0x1F) + 1;
}

START_TEST(test_flat_page_sizes)
{
	uint64_t page = page_bytes[_i], es, ndev, ncoll;

	setup_tables(baser(TBL_GPA, _i, 2, false), baser(L2A_GPA, _i, 1, false));
	es = entry_bytes(0);
	ndev = 2 * page / es;
	ncoll = page / entry_bytes(1);
	c_mapc((uint32_t)ncoll - 1, 3, true);
	c_mapd((uint32_t)ndev - 1, 1, ITT_GPA(0), true);
	c_mapti((uint32_t)ndev - 1, 3, LPI(3), (uint32_t)ncoll - 1);
	run();
	no_error();
	ck_assert_uint_eq(g64(TBL_GPA + (ndev - 1) * es), DTE(1, ITT_GPA(0)));
	ck_assert_uint_eq(g64(L2A_GPA + (ncoll - 1) * entry_bytes(1)), CTE(3));
	msi_expect((uint32_t)ndev - 1, 3, 3, LPI(3));
	/* One past the end of each table. */
	c_mapd((uint32_t)ndev, 1, ITT_GPA(1), true);
	run();
	error_is(E(OP_MAPD, DEVICE_OOR));
	c_mapc((uint32_t)ncoll, 0, true);
	run();
	error_is(E(OP_MAPC, COLLECTION_OOR));
	ck_assert_uint_eq(g64(TBL_GPA + ndev * es), 0);
	fx_teardown();
}
END_TEST

START_TEST(test_indirect_page_sizes)
{
	uint64_t page = page_bytes[_i], per = page / 8, d0 = 3, d1 = 2 * per + 7, d2 = per + 1;
	unsigned char *l1_before = malloc(page);

	setup_tables(baser(TBL_GPA, _i, 1, true), baser(CT_GPA, 0, 1, false));
	per = page / entry_bytes(0); /* level-2 entries per page */
	/* Level-1 entries (the architecture's format): 0 and 2 valid, 1 not. */
	set64(TBL_GPA + 0 * 8, (1ull << 63) | L2A_GPA);
	set64(TBL_GPA + 1 * 8, 0);
	set64(TBL_GPA + 2 * 8, (1ull << 63) | L2B_GPA | (page - 1)); /* RES0 low bits */
	memcpy(l1_before, gptr(TBL_GPA), page);
	c_mapc(0, 2, true);
	c_mapd((uint32_t)d0, 2, ITT_GPA(0), true);
	c_mapd((uint32_t)d1, 2, ITT_GPA(1), true);
	c_mapti((uint32_t)d0, 1, LPI(100), 0);
	c_mapti((uint32_t)d1, 1, LPI(101), 0);
	run();
	no_error();
	ck_assert_uint_eq(g64(L2A_GPA + d0 * 8), DTE(2, ITT_GPA(0)));
	ck_assert_uint_eq(g64(L2B_GPA + (d1 % per) * 8), DTE(2, ITT_GPA(1)));
	/* The ITS never writes level-1 entries: software owns them. */
	ck_assert_mem_eq(gptr(TBL_GPA), l1_before, page);
	msi_expect((uint32_t)d0, 1, 2, LPI(100));
	msi_expect((uint32_t)d1, 1, 2, LPI(101));
	/* Level-1 entry not valid: MAPD cannot store the device; lookups find none. */
	c_mapd((uint32_t)d2, 2, ITT_GPA(2), true);
	run();
	error_is(E(OP_MAPD, DEVICE_OOR));
	c_ev(OP_INT, (uint32_t)d2, 1);
	run();
	error_is(E(OP_INT, UNMAPPED_DEVICE));
	msi_dropped((uint32_t)d2, 1);
	/* Beyond Devbits, whatever the table could hold. */
	c_mapd(1u << 16, 2, ITT_GPA(2), true);
	run();
	error_is(E(OP_MAPD, DEVICE_OOR));
	ck_assert_uint_eq(g64(L2A_GPA + (d2 % per) * 8), 0);
	free(l1_before);
	fx_teardown();
}
END_TEST

START_TEST(test_indirect_collections)
{
	uint64_t page = page_bytes[_i], per = page / 8;

	setup_tables(baser(DT_GPA, 0, 1, false), baser(TBL_GPA, _i, 1, true));
	set64(TBL_GPA + 8, (1ull << 63) | L2A_GPA);
	c_mapc((uint32_t)per + 5, 3, true);
	c_mapd(1, 0, ITT_GPA(1), true);
	c_mapti(1, 0, LPI(5), (uint32_t)per + 5);
	run();
	no_error();
	ck_assert_uint_eq(g64(L2A_GPA + 5 * 8), CTE(3));
	msi_expect(1, 0, 3, LPI(5));
	/* ICID whose level-1 entry is not valid. */
	c_mapc(5, 0, true);
	run();
	error_is(E(OP_MAPC, COLLECTION_OOR));
	c_mapti(1, 1, LPI(6), 5); /* in range, just not mapped: fine */
	c_ev(OP_INT, 1, 1);
	run();
	error_is(E(OP_INT, UNMAPPED_COLLECTION));
	fx_teardown();
}
END_TEST

START_TEST(test_level2_outside_ram)
{
	setup_tables(baser(TBL_GPA, 0, 1, true), baser(CT_GPA, 0, 1, false));
	set64(TBL_GPA, (1ull << 63) | RAM_END); /* level-2 page beyond RAM */
	c_mapd(1, 0, ITT_GPA(1), true);
	q_kick();
	ck_assert_int_eq(stalled(), 1);
	error_is(E(OP_MAPD, TABLE_FAULT));
	msi_dropped(1, 0);
	ck_assert_uint_eq(fx.its.stats.msi_fault, 1);
	fx_teardown();
}
END_TEST

START_TEST(test_level1_outside_ram)
{
	/* The level-1 table itself is beyond RAM (64K pages, PA[51:48] set). */
	setup_tables(baser(0x000F000000000000ull, 2, 1, true), baser(CT_GPA, 0, 1, false));
	c_mapd(1, 0, ITT_GPA(1), true);
	q_kick();
	ck_assert_int_eq(stalled(), 1);
	error_is(E(OP_MAPD, TABLE_FAULT));
	msi_dropped(1, 0);
	fx_teardown();
}
END_TEST

START_TEST(test_collection_table_outside_ram)
{
	setup_tables(baser(DT_GPA, 0, 1, false), baser(RAM_END - 0x1000, 0, 2, false));
	c_mapc(0, 0, true); /* entry 0 is inside RAM, but the table is not */
	q_kick();
	ck_assert_int_eq(stalled(), 1);
	error_is(E(OP_MAPC, TABLE_FAULT));
	ck_assert_uint_eq(g64(RAM_END - 0x1000), 0);
	fx_teardown();
}
END_TEST

START_TEST(test_no_tables)
{
	/* BASER Valid = 0: no device can be mapped, no collection exists (HCC = 0). */
	fx_setup(4);
	errors_seen = 0;
	q_init(Q_GPA, Q_PAGES);
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	c_mapd(0, 0, ITT_GPA(0), true);
	run();
	error_is(E(OP_MAPD, DEVICE_OOR));
	c_mapc(0, 0, true);
	run();
	error_is(E(OP_MAPC, COLLECTION_OOR));
	msi_dropped(0, 0);
	fx_teardown();
}
END_TEST

START_TEST(test_corrupt_entries)
{
	fx_std();
	errors_seen = 0;
	c_mapc(0, 1, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapd(6, 3, ITT_GPA(6), true);
	c_mapd(7, 3, ITT_GPA(7), true);
	c_mapti(5, 0, LPI(1), 0);
	c_mapti(6, 0, LPI(2), 0);
	c_mapti(7, 0, LPI(3), 0);
	run();
	no_error();
	/* The guest scribbles over entries the ITS owns. */
	set64(DT_GPA + 5 * 8, (1ull << 63) | (2ull << 56) | (3ull << 48) | (ITT_GPA(5) >> 8));
	set64(ITT_GPA(6), ITE(0, LPI(2)) | (1ull << 50)); /* RES0 bit */
	set64(ITT_GPA(7), ITE(0, 77));			  /* not an LPI */
	set64(CT_GPA + 8 * 8, CTE(200));		  /* no such vCPU */
	set64(DT_GPA + 9 * 8, DTE(20, ITT_GPA(9)));	  /* Size beyond ID_bits */
	c_ev(OP_INT, 5, 0);
	run();
	error_is(E(OP_INT, UNMAPPED_DEVICE));
	c_ev(OP_INT, 6, 0);
	run();
	error_is(E(OP_INT, UNMAPPED_INTERRUPT));
	c_ev(OP_INT, 7, 0);
	run();
	error_is(E(OP_INT, UNMAPPED_INTERRUPT));
	c_invall(8);
	run();
	error_is(E(0x0D, UNMAPPED_COLLECTION));
	c_ev(OP_INT, 9, 0);
	run();
	error_is(E(OP_INT, UNMAPPED_DEVICE));
	ck_assert_uint_eq(fx.its.stats.corrupt_entries, 5);
	msi_dropped(5, 0);
	msi_dropped(6, 0);
	ev_none();
	/* Remapping over a corrupt entry repairs it. */
	c_mapd(5, 3, ITT_GPA(5), true);
	run();
	no_error();
	msi_expect(5, 0, 1, LPI(1));
	fx_teardown();
}
END_TEST

/* Only the entries the commands name change; everything else in RAM stays. */
START_TEST(test_write_protect)
{
	static const uint64_t changed[] = {
		CT_GPA + 0 * 8,	    CT_GPA + 1 * 8,	DT_GPA + 5 * 8,
		ITT_GPA(5) + 2 * 8, ITT_GPA(5) + 3 * 8,
	};
	unsigned char *before = malloc(RAM_SIZE);
	uint64_t v = 0x1122334455667788ull;

	fx_std();
	errors_seen = 0;
	/* Non-zero background so a stray zero write shows too. */
	for (uint64_t off = 0x300000; off < RAM_SIZE; off += 8) {
		uint64_t bg = 0xA5A5A5A5A5A5A5A5ull ^ off;

		memcpy(fx.guest + off, &bg, 8);
	}
	memset(gptr(ITT_GPA(5)), 0, 0x1000);
	memset(gptr(ITT_GPA(6)), 0, 0x1000);
	c_mapc(0, 1, true);
	c_mapc(1, 2, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapd(6, 3, ITT_GPA(6), true);
	c_mapti(5, 2, LPI(10), 0);
	c_mapti(5, 3, LPI(11), 0);
	c_mapti(6, 1, LPI(12), 0);
	c_movi(5, 2, 1);
	c_ev(OP_DISCARD, 5, 3);
	c_ev(OP_INT, 5, 2);
	c_mapd(6, 3, ITT_GPA(6), false);
	c_sync(0);
	memcpy(before, fx.guest, RAM_SIZE);
	q_kick();
	ev_expect(EV_MOVE, 1, 2, LPI(10));
	ev_expect(EV_CLEAR, 1, 0, LPI(11));
	ev_expect(EV_DELIVER, 2, 0, LPI(10));
	ck_assert(its_sync_done(&fx.its, ev_take_sync(0)));
	ev_none();
	no_error();
	ck_assert_uint_eq(g64(ITT_GPA(5) + 2 * 8), ITE(1, LPI(10)));
	ck_assert_uint_eq(g64(ITT_GPA(5) + 3 * 8), 0);
	ck_assert_uint_eq(g64(ITT_GPA(6) + 1 * 8), ITE(0, LPI(12))); /* the ITT stays */
	for (uint64_t off = 0; off < RAM_SIZE; off += 8) {
		bool expect = false;

		for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++)
			expect |= RAM_GPA + off == changed[i];
		if (RAM_GPA + off == ITT_GPA(6) + 8)
			expect = true;
		if (!expect && memcmp(before + off, fx.guest + off, 8) != 0)
			ck_abort_msg("guest RAM changed at 0x%llx",
				     (unsigned long long)(RAM_GPA + off));
	}
	/* Writable windows: the tables and mapped ITTs only, exact ranges. */
	ck_assert(guest_ram_writable(&fx.ram, DT_GPA, 4096));
	ck_assert(!guest_ram_writable(&fx.ram, DT_GPA + 4096, 8));
	ck_assert(!guest_ram_writable(&fx.ram, DT_GPA - 8, 8));
	ck_assert(guest_ram_writable(&fx.ram, CT_GPA, 4096));
	ck_assert(guest_ram_writable(&fx.ram, ITT_GPA(5), 16 * 8));
	ck_assert(!guest_ram_writable(&fx.ram, ITT_GPA(5) + 16 * 8, 8)); /* same page, not ITT */
	ck_assert(!guest_ram_writable(&fx.ram, ITT_GPA(6), 8));		 /* MAPD V=0 dropped it */
	ck_assert(!guest_ram_writable(&fx.ram, Q_GPA, 8));
	ck_assert_int_eq(guest_ram_write(&fx.ram, Q_GPA, &v, 8), -EPERM);
	ck_assert_int_eq(guest_ram_write(&fx.ram, RAM_GPA, &v, 8), -EPERM);
	ck_assert_int_eq(guest_ram_write(&fx.ram, ITT_GPA(5) + 16 * 8, &v, 8), -EPERM);
	ck_assert_int_eq(guest_ram_write(&fx.ram, RAM_END - 4, &v, 8), -EPERM);
	ck_assert_uint_eq(g64(Q_GPA), ((uint64_t *)before)[(Q_GPA - RAM_GPA) / 8]);
	free(before);
	fx_teardown();
}
END_TEST

START_TEST(test_window_eviction)
{
	unsigned n = GUEST_RAM_MAX_WINDOWS + 44;

	fx_std();
	errors_seen = 0;
	c_mapc(0, 0, true);
	run();
	for (unsigned d = 0; d < n; d++) {
		c_mapd(d, 1, RAM_GPA + 0x400000 + (uint64_t)d * 0x100, true);
		if (d % 64 == 63)
			run();
	}
	run();
	no_error();
	ck_assert_uint_le(fx.ram.nr_windows, GUEST_RAM_MAX_WINDOWS);
	ck_assert_uint_gt(fx.ram.stats.rw_evictions, 0);
	/* Device 0's ITT window was evicted long ago: MAPTI maps it again. */
	ck_assert(!guest_ram_writable(&fx.ram, RAM_GPA + 0x400000, 32));
	c_mapti(0, 3, LPI(9), 0);
	c_mapti(n - 1, 3, LPI(8), 0);
	run();
	no_error();
	ck_assert_uint_eq(g64(RAM_GPA + 0x400000 + 3 * 8), ITE(0, LPI(9)));
	msi_expect(0, 3, 0, LPI(9));
	msi_expect(n - 1, 3, 0, LPI(8));
	fx_teardown();
}
END_TEST

START_TEST(test_shrunk_memfd)
{
	uint64_t at;

	fx_std();
	errors_seen = 0;
	c_mapc(0, 1, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapti(5, 2, LPI(10), 0);
	run();
	no_error();
	/* A hostile VMM cuts its RAM below the ITTs under the daemon's mappings. */
	ck_assert_int_eq(ftruncate(fx.memfd, 0x300000), 0);
	msi_dropped(5, 2); /* ITE read faults: dropped, no SIGBUS */
	at = fx.q_wr;
	c_mapti(5, 3, LPI(11), 0);
	q_kick();
	ck_assert_int_eq(stalled(), 1);
	ck_assert_uint_eq(creadr_off(), at);
	error_is(E(OP_MAPTI, TABLE_FAULT));
	/* Memory back (zeroed): Retry completes the command. */
	ck_assert_int_eq(ftruncate(fx.memfd, (off_t)RAM_SIZE), 0);
	wr64(GITS_CWRITER, fx.q_wr | GITS_CWRITER_RETRY);
	ck_assert_int_eq(stalled(), 0);
	no_error();
	msi_expect(5, 3, 1, LPI(11));
	fx_teardown();
}
END_TEST

/* A restarted daemon: new guest_ram mappings, a fresh struct its, the saved state. */
START_TEST(test_restart)
{
	static struct its its2;
	struct guest_ram ram2;
	struct its_state saved;
	uint64_t id;
	static const uint32_t regs[] = { GITS_CBASER, GITS_CWRITER, GITS_CREADR, GITS_BASER,
					 GITS_BASER + 8 };

	fx_std();
	errors_seen = 0;
	c_mapc(0, 1, true);
	c_mapc(1, 3, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapti(5, 2, LPI(10), 0);
	c_mapti(5, 4, LPI(14), 1);
	c_sync(3);
	c_ev(OP_INT, 5, 4);
	q_kick();
	id = ev_take_sync(3);
	ev_none();
	saved = fx.its.st;

	guest_ram_init(&ram2);
	fx_remap_ram(&ram2);
	its_init(&its2, 0, &fx.shape, &ram2, &fx.out);
	its_restore(&its2, &saved);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		uint64_t a, b;

		ck_assert_int_eq(its_mmio_read(&fx.its, 0, regs[i], 8, &a), ITS_OK);
		ck_assert_int_eq(its_mmio_read(&its2, 0, regs[i], 8, &b), ITS_OK);
		ck_assert_uint_eq(a, b);
	}
	/* Still waiting for the SYNC: asked again with the same id. */
	ev_expect(EV_SYNC, 3, 0, id);
	ev_none();
	ck_assert(its_sync_done(&its2, id));
	ev_expect(EV_DELIVER, 3, 0, LPI(14));
	ck_assert(!its_sync_done(&its2, id)); /* the first Sync's answer, late */
	/* Translations come from the tables in RAM. */
	its_msi(&its2, 5, 2);
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	ck_assert_uint_eq(its2.stats.cache_misses, 1);
	/* And the restarted ITS writes through its own windows. */
	c_mapti(5, 7, LPI(17), 1);
	ck_assert_int_eq(its_mmio_write(&its2, 0, GITS_CWRITER, 8, fx.q_wr), ITS_OK);
	ck_assert_uint_eq(g64(ITT_GPA(5) + 7 * 8), ITE(1, LPI(17)));
	its_msi(&its2, 5, 7);
	ev_expect(EV_DELIVER, 3, 0, LPI(17));
	ev_none();
	ck_assert(guest_ram_writable(&ram2, DT_GPA, 4096));
	guest_ram_unmap(&ram2);
	fx_teardown();
}
END_TEST

START_TEST(test_restart_stalled)
{
	static struct its its2;
	struct guest_ram ram2;

	setup_tables(baser(TBL_GPA, 0, 1, true), baser(CT_GPA, 0, 1, false));
	set64(TBL_GPA, (1ull << 63) | RAM_END); /* level-2 page beyond RAM */
	c_mapd(1, 0, ITT_GPA(1), true);
	q_kick();
	ck_assert_int_eq(stalled(), 1);
	guest_ram_init(&ram2);
	fx_remap_ram(&ram2);
	its_init(&its2, 0, &fx.shape, &ram2, &fx.out);
	its_restore(&its2, &fx.its.st);
	ck_assert_uint_eq(its2.st.stall, ITS_STALL_CMD);
	/* Software supplies the level-2 page and retries, on the new daemon. */
	set64(TBL_GPA, (1ull << 63) | L2A_GPA);
	ck_assert_int_eq(its_mmio_write(&its2, 0, GITS_CWRITER, 8, fx.q_wr | GITS_CWRITER_RETRY),
			 ITS_OK);
	ck_assert_uint_eq(its2.st.stall, ITS_STALL_NONE);
	ck_assert_uint_eq(g64(L2A_GPA + 8), DTE(0, ITT_GPA(1)));
	guest_ram_unmap(&ram2);
	fx_teardown();
}
END_TEST

Suite *its_table_suite(void)
{
	Suite *s = suite_create("its-table");
	TCase *geo = tcase_create("geometry");
	TCase *bad = tcase_create("hostile");
	TCase *ram = tcase_create("ram");

	tcase_add_loop_test(geo, test_flat_page_sizes, 0, 3);
	tcase_add_loop_test(geo, test_indirect_page_sizes, 0, 3);
	tcase_add_loop_test(geo, test_indirect_collections, 0, 3);
	tcase_add_test(bad, test_level2_outside_ram);
	tcase_add_test(bad, test_level1_outside_ram);
	tcase_add_test(bad, test_collection_table_outside_ram);
	tcase_add_test(bad, test_no_tables);
	tcase_add_test(bad, test_corrupt_entries);
	tcase_add_test(ram, test_write_protect);
	tcase_add_test(ram, test_window_eviction);
	tcase_add_test(ram, test_shrunk_memfd);
	tcase_add_test(ram, test_restart);
	tcase_add_test(ram, test_restart_stalled);
	suite_add_tcase(s, geo);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, ram);
	return s;
}
