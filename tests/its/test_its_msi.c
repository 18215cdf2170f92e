// SPDX-License-Identifier: MIT
/*
 * MSIs: translation to (vCPU, LPI), the cache in front of it and its
 * invalidation by every command that changes a mapping (each step first
 * warms the cache, so a stale entry would show), GITS_TRANSLATER writes,
 * hostile IDs, and two ITS instances side by side in one VM.
 */
#include "its_test.h"

#define OP_INT	   0x03u
#define OP_DISCARD 0x0Fu

static void run(void)
{
	q_kick();
	ck_assert_uint_eq(creadr_off(), fx.q_wr);
	ck_assert_int_eq(stalled(), 0);
	ck_assert_uint_eq(fx.its.st.nr_errors, 0);
}

static void map_basic(void)
{
	fx_std();
	c_mapc(0, 1, true);
	c_mapc(1, 2, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapti(5, 2, LPI(10), 0);
	c_mapti(5, 3, LPI(11), 1);
	run();
	ev_none();
}

START_TEST(test_translate_and_cache)
{
	map_basic();
	msi_expect(5, 2, 1, LPI(10));
	ck_assert_uint_eq(fx.its.stats.cache_misses, 1);
	ck_assert_uint_eq(fx.its.stats.cache_hits, 0);
	msi_expect(5, 2, 1, LPI(10));
	ck_assert_uint_eq(fx.its.stats.cache_hits, 1);
	msi_expect(5, 3, 2, LPI(11));
	for (unsigned i = 0; i < 1000; i++)
		msi_expect(5, 3, 2, LPI(11));
	ck_assert_uint_eq(fx.its.stats.cache_hits, 1001);
	ck_assert_uint_eq(fx.its.stats.msi_delivered, 1003);
	/* Events never mapped are dropped and never cached. */
	msi_dropped(5, 4);
	msi_dropped(5, 4);
	ck_assert_uint_eq(fx.its.stats.msi_unmapped, 2);
	fx_teardown();
}
END_TEST

START_TEST(test_cache_invalidation)
{
	map_basic();
	msi_expect(5, 2, 1, LPI(10));
	/* MOVI */
	c_movi(5, 2, 1);
	run();
	ev_expect(EV_MOVE, 1, 2, LPI(10));
	msi_expect(5, 2, 2, LPI(10));
	/* MAPC re-targets a collection */
	c_mapc(1, 3, true);
	run();
	msi_expect(5, 2, 3, LPI(10));
	msi_expect(5, 3, 3, LPI(11));
	/* MAPTI over an existing mapping */
	c_mapti(5, 2, LPI(20), 0);
	run();
	msi_expect(5, 2, 1, LPI(20));
	/* DISCARD */
	c_ev(OP_DISCARD, 5, 2);
	run();
	ev_expect(EV_CLEAR, 1, 0, LPI(20));
	msi_dropped(5, 2);
	/* MAPD V=0, then V=1 on the same ITT: the ITT in RAM still holds event 3. */
	msi_expect(5, 3, 3, LPI(11));
	c_mapd(5, 3, ITT_GPA(5), false);
	run();
	msi_dropped(5, 3);
	c_mapd(5, 3, ITT_GPA(5), true);
	run();
	msi_expect(5, 3, 3, LPI(11));
	/* MAPD V=1 onto another (empty) ITT */
	c_mapd(5, 3, ITT_GPA(6), true);
	run();
	msi_dropped(5, 3);
	c_mapd(5, 3, ITT_GPA(5), true);
	run();
	msi_expect(5, 3, 3, LPI(11));
	/* MAPC V=0 */
	c_mapc(1, 0, false);
	run();
	msi_dropped(5, 3);
	c_mapc(1, 0, true);
	run();
	msi_expect(5, 3, 0, LPI(11));
	/* MOVALL does not change translations. */
	c_movall(0, 2);
	run();
	ev_expect(EV_MOVALL, 0, 2, 0);
	msi_expect(5, 3, 0, LPI(11));
	/* Disabled: translation requests are ignored; enabled again they work. */
	wr32(GITS_CTLR, 0);
	msi_dropped(5, 3);
	ck_assert_uint_eq(fx.its.stats.msi_disabled, 1);
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	msi_expect(5, 3, 0, LPI(11));
	fx_teardown();
}
END_TEST

START_TEST(test_translater)
{
	map_basic();
	c_mapd(0, 4, ITT_GPA(0), true);
	c_mapti(0, 7, LPI(30), 1);
	run();
	/* A vCPU's write to GITS_TRANSLATER is DeviceID 0, EventID = the data. */
	ck_assert_int_eq(its_mmio_write(&fx.its, 2, GITS_TRANSLATER, 4, 7), ITS_OK);
	ev_expect(EV_DELIVER, 2, 0, LPI(30));
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_TRANSLATER, 2, 0xFFFF0007ull), ITS_OK);
	ev_expect(EV_DELIVER, 2, 0, LPI(30));
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_TRANSLATER, 4, 0x10007), ITS_OK);
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_hostile_ids)
{
	map_basic();
	msi_dropped(1u << 16, 2);
	msi_dropped(0xFFFFFFFFu, 2);
	msi_dropped(5, 0xFFFFFFFFu);
	msi_dropped(5, 16);
	msi_dropped(4, 0);
	ck_assert_uint_eq(fx.its.stats.msi_unmapped, 5);
	/* A device whose low bits hash like a mapped one is not confused with it. */
	msi_dropped(5 + ITS_CACHE_SIZE, 2);
	msi_expect(5, 2, 1, LPI(10));
	msi_dropped(5 | (1u << 20), 2);
	fx_teardown();
}
END_TEST

/* A second ITS, index 1, with its own queue and tables in the same RAM. */
static struct its its_b;
static uint64_t qb_wr;
#define QB_GPA	 (RAM_GPA + 0xA00000)
#define DTB_GPA	 (RAM_GPA + 0xA10000)
#define CTB_GPA	 (RAM_GPA + 0xA20000)
#define ITTB_GPA (RAM_GPA + 0xA30000)

static void b_wr(uint32_t off, uint64_t v)
{
	ck_assert_int_eq(its_mmio_write(&its_b, 0, off, 8, v), ITS_OK);
}

static void b_cmd(uint64_t dw0, uint64_t dw1, uint64_t dw2)
{
	set64(QB_GPA + qb_wr, dw0);
	set64(QB_GPA + qb_wr + 8, dw1);
	set64(QB_GPA + qb_wr + 16, dw2);
	set64(QB_GPA + qb_wr + 24, 0);
	qb_wr += 32;
}

START_TEST(test_two_its)
{
	uint64_t id;

	map_basic();
	its_init(&its_b, 1, &fx.shape, &fx.ram, &fx.out);
	qb_wr = 0;
	b_wr(GITS_CBASER, (1ull << 63) | QB_GPA);
	b_wr(GITS_BASER, baser(DTB_GPA, 0, 1, false));
	b_wr(GITS_BASER + 8, baser(CTB_GPA, 0, 1, false));
	ck_assert_int_eq(its_mmio_write(&its_b, 0, GITS_CTLR, 4, 1), ITS_OK);
	b_cmd(0x09, 0, 4 | (3ull << 16) | (1ull << 63));	       /* MAPC 4 -> vCPU 3 */
	b_cmd(0x08 | (5ull << 32), 3, ITTB_GPA | (1ull << 63));	       /* MAPD 5 */
	b_cmd(0x0A | (5ull << 32), 2 | ((uint64_t)LPI(500) << 32), 4); /* MAPTI 5/2 */
	b_cmd(0x05, 0, 3ull << 16);				       /* SYNC 3 */
	b_wr(GITS_CWRITER, qb_wr);
	id = ev_take_sync(3);
	ev_none();
	/* The SyncDone names its ITS: the other one ignores it. */
	ck_assert_int_eq(its_sync_id_index(id), 1);
	ck_assert(!its_sync_done(&fx.its, id));
	ck_assert_uint_eq(fx.its.stats.sync_stray, 0);
	ck_assert(its_sync_done(&its_b, id));
	ck_assert_uint_eq(its_b.st.nr_errors, 0);
	/* Same (DeviceID, EventID), different ITS, different LPI. */
	its_msi(&its_b, 5, 2);
	ev_expect(EV_DELIVER, 3, 0, LPI(500));
	msi_expect(5, 2, 1, LPI(10));
	ck_assert_uint_eq(g64(DTB_GPA + 5 * 8), DTE(3, ITTB_GPA));
	ck_assert_uint_eq(g64(DT_GPA + 5 * 8), DTE(3, ITT_GPA(5)));
	/* Re-pointing one ITS's device table leaves the other's windows alone. */
	ck_assert_int_eq(its_mmio_write(&its_b, 0, GITS_CTLR, 4, 0), ITS_OK);
	b_wr(GITS_BASER, 0);
	ck_assert(!guest_ram_writable(&fx.ram, DTB_GPA, 8));
	ck_assert(!guest_ram_writable(&fx.ram, ITTB_GPA, 8));
	ck_assert(guest_ram_writable(&fx.ram, DT_GPA, 4096));
	ck_assert(guest_ram_writable(&fx.ram, ITT_GPA(5), 128));
	fx_teardown();
}
END_TEST

Suite *its_msi_suite(void)
{
	Suite *s = suite_create("its-msi");
	TCase *tc = tcase_create("msi");

	tcase_add_test(tc, test_translate_and_cache);
	tcase_add_test(tc, test_cache_invalidation);
	tcase_add_test(tc, test_translater);
	tcase_add_test(tc, test_hostile_ids);
	tcase_add_test(tc, test_two_its);
	suite_add_tcase(s, tc);
	return s;
}
