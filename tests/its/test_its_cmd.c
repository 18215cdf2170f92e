// SPDX-License-Identifier: MIT
/*
 * ITS commands: every command's success path (table entries written where
 * the architecture's table geometry puts them, messages to redistributors)
 * and every error path (the check that fails, the error recorded, the queue
 * going on or stalling as docs/its.md says), SYNC, stall and Retry, and
 * hostile queues (garbage, wrap-around, CWRITER beyond the queue, the
 * queue or tables outside RAM).
 */
#include <stdlib.h>

#include "its_test.h"

#define OP_MOVI	   0x01u
#define OP_INT	   0x03u
#define OP_CLEAR   0x04u
#define OP_SYNC	   0x05u
#define OP_MAPD	   0x08u
#define OP_MAPC	   0x09u
#define OP_MAPTI   0x0Au
#define OP_MAPI	   0x0Bu
#define OP_INV	   0x0Cu
#define OP_INVALL  0x0Du
#define OP_MOVALL  0x0Eu
#define OP_DISCARD 0x0Fu

/* The standard device table holds one 4K page of 8-byte entries. */
#define NR_DEVS	 (4096u / 8)
#define NR_COLLS (4096u / 8)

static uint64_t errors_seen;

static void run(void)
{
	q_kick();
	ck_assert_uint_eq(creadr_off(), fx.q_wr);
	ck_assert_int_eq(stalled(), 0);
}

static void no_error(void)
{
	ck_assert_msg(fx.its.st.nr_errors == errors_seen, "unexpected error 0x%06x",
		      fx.its.st.last_error);
}

/* Exactly one more command error, this one; the queue went on. */
static void error_is(uint32_t e)
{
	ck_assert_uint_eq(fx.its.st.nr_errors, errors_seen + 1);
	ck_assert_msg(fx.its.st.last_error == e, "error 0x%06x, expected 0x%06x",
		      fx.its.st.last_error, e);
	errors_seen = fx.its.st.nr_errors;
}

static void setup(void)
{
	fx_std();
	errors_seen = 0;
}

/* Collections 0 -> vCPU 1, 1 -> vCPU 2; device 5 with 16 events; event 2 -> LPI 10 in 0. */
static void map_basic(void)
{
	c_mapc(0, 1, true);
	c_mapc(1, 2, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapti(5, 2, LPI(10), 0);
	run();
	no_error();
	ev_none();
}

START_TEST(test_mapd_mapc_mapti_entries)
{
	setup();
	map_basic();
	/* Flat tables: entry n at base + n * (Entry_Size + 1). */
	ck_assert_uint_eq(g64(DT_GPA + 5 * 8), DTE(3, ITT_GPA(5)));
	ck_assert_uint_eq(g64(CT_GPA + 0 * 8), CTE(1));
	ck_assert_uint_eq(g64(CT_GPA + 1 * 8), CTE(2));
	/* ITT entry e at ITT + e * (ITT_entry_size + 1). */
	ck_assert_uint_eq(g64(ITT_GPA(5) + 2 * 8), ITE(0, LPI(10)));
	ck_assert(guest_ram_writable(&fx.ram, ITT_GPA(5), 16 * 8));
	/* MAPI: pINTID = EventID. */
	c_mapd(6, 15, RAM_GPA + 0x800000, true); /* 65536 events */
	c_mapi(6, LPI(77), 1);
	run();
	no_error();
	ck_assert_uint_eq(g64(RAM_GPA + 0x800000 + LPI(77) * 8), ITE(1, LPI(77)));
	/* MAPC V=0 and MAPD V=0 clear the entries. */
	c_mapc(1, 0, false);
	c_mapd(6, 0, 0, false);
	run();
	no_error();
	ck_assert_uint_eq(g64(CT_GPA + 8), 0);
	ck_assert_uint_eq(g64(DT_GPA + 6 * 8), 0);
	ck_assert(!guest_ram_writable(&fx.ram, RAM_GPA + 0x800000, 8));
	fx_teardown();
}
END_TEST

START_TEST(test_int_clear_inv_invall)
{
	setup();
	map_basic();
	c_ev(OP_INT, 5, 2);
	c_ev(OP_CLEAR, 5, 2);
	c_ev(OP_INV, 5, 2);
	c_invall(0);
	c_invall(1);
	run();
	no_error();
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	ev_expect(EV_CLEAR, 1, 0, LPI(10));
	ev_expect(EV_INV, 1, 0, LPI(10));
	ev_expect(EV_INVALL, 1, 0, 0);
	ev_expect(EV_INVALL, 2, 0, 0);
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_discard)
{
	setup();
	map_basic();
	c_ev(OP_DISCARD, 5, 2);
	run();
	no_error();
	/* Pending state cleared at the target, the mapping gone. */
	ev_expect(EV_CLEAR, 1, 0, LPI(10));
	ev_none();
	ck_assert_uint_eq(g64(ITT_GPA(5) + 2 * 8), 0);
	c_ev(OP_INT, 5, 2);
	run();
	error_is(E(OP_INT, UNMAPPED_INTERRUPT));
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_movi)
{
	setup();
	map_basic();
	c_movi(5, 2, 1);
	run();
	no_error();
	ev_expect(EV_MOVE, 1, 2, LPI(10));
	ev_none();
	ck_assert_uint_eq(g64(ITT_GPA(5) + 2 * 8), ITE(1, LPI(10)));
	c_ev(OP_INT, 5, 2);
	run();
	ev_expect(EV_DELIVER, 2, 0, LPI(10));
	/* To a collection on the same vCPU: the ITE changes, nothing moves. */
	c_mapc(2, 2, true);
	c_movi(5, 2, 2);
	run();
	no_error();
	ev_none();
	ck_assert_uint_eq(g64(ITT_GPA(5) + 2 * 8), ITE(2, LPI(10)));
	fx_teardown();
}
END_TEST

START_TEST(test_movall)
{
	setup();
	map_basic();
	c_movall(1, 3);
	c_movall(2, 2);
	run();
	no_error();
	ev_expect(EV_MOVALL, 1, 3, 0);
	ev_none();
	/* MOVALL moves pending state only: the translation is unchanged. */
	c_ev(OP_INT, 5, 2);
	run();
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	fx_teardown();
}
END_TEST

START_TEST(test_sync)
{
	uint64_t at, id;

	setup();
	map_basic();
	at = fx.q_wr;
	c_ev(OP_INT, 5, 2);
	c_sync(1);
	c_ev(OP_INT, 5, 2);
	q_kick();
	/* The SYNC went out after the INT; CREADR waits at the SYNC. */
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	id = ev_take_sync(1);
	ev_none();
	ck_assert_int_eq(its_sync_id_index(id), 0);
	ck_assert_uint_eq(creadr_off(), at + 32);
	ck_assert_int_eq(stalled(), 0);
	ck_assert_uint_eq(rd32(GITS_CTLR), GITS_CTLR_ENABLED); /* not Quiescent */
	/* A SyncDone that is not this one changes nothing. */
	ck_assert(!its_sync_done(&fx.its, id + 1));
	ck_assert(!its_sync_done(&fx.its, its_sync_id(1, 1)));
	ck_assert_uint_eq(creadr_off(), at + 32);
	/* A new CWRITER while waiting does not run past the SYNC. */
	c_ev(OP_INV, 5, 2);
	q_kick();
	ev_none();
	ck_assert(its_sync_done(&fx.its, id));
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	ev_expect(EV_INV, 1, 0, LPI(10));
	ev_none();
	ck_assert_uint_eq(creadr_off(), fx.q_wr);
	ck_assert_uint_eq(rd32(GITS_CTLR), GITS_CTLR_ENABLED | GITS_CTLR_QUIESCENT);
	/* Twice: stray, ignored. */
	ck_assert(!its_sync_done(&fx.its, id));
	ck_assert_uint_eq(fx.its.stats.sync_stray, 2);
	/* The next SYNC has a new id. */
	c_sync(3);
	q_kick();
	ck_assert_uint_ne(ev_take_sync(3), id);
	no_error();
	fx_teardown();
}
END_TEST

START_TEST(test_mapd_errors)
{
	setup();
	c_mapd(NR_DEVS, 3, ITT_GPA(0), true); /* beyond the device table */
	run();
	error_is(E(OP_MAPD, DEVICE_OOR));
	c_mapd(1u << 16, 3, ITT_GPA(0), true); /* beyond Devbits */
	run();
	error_is(E(OP_MAPD, DEVICE_OOR));
	c_mapd(0xFFFFFFFFu, 3, ITT_GPA(0), false);
	run();
	error_is(E(OP_MAPD, DEVICE_OOR));
	c_mapd(3, 16, ITT_GPA(3), true); /* Size > GITS_TYPER.ID_bits */
	run();
	error_is(E(OP_MAPD, ITTSIZE_OOR));
	ck_assert_uint_eq(g64(DT_GPA + 3 * 8), 0);
	c_mapd(3, 31, 0, false); /* V=0 ignores Size */
	run();
	no_error();
	fx_teardown();
}
END_TEST

START_TEST(test_mapc_errors)
{
	setup();
	c_mapc(NR_COLLS, 0, true);
	run();
	error_is(E(OP_MAPC, COLLECTION_OOR));
	c_mapc(0, 4, true); /* 4 vCPUs */
	run();
	error_is(E(OP_MAPC, TGT_OOR));
	c_mapc(0, 1ull << 34, true);
	run();
	error_is(E(OP_MAPC, TGT_OOR));
	ck_assert_uint_eq(g64(CT_GPA), 0);
	c_mapc(0, 99, false); /* unmapping needs no target */
	run();
	no_error();
	fx_teardown();
}
END_TEST

START_TEST(test_mapti_errors)
{
	setup();
	map_basic();
	c_mapti(NR_DEVS, 0, LPI(0), 0);
	run();
	error_is(E(OP_MAPTI, DEVICE_OOR));
	c_mapti(5, 0, LPI(0), NR_COLLS);
	run();
	error_is(E(OP_MAPTI, COLLECTION_OOR));
	c_mapti(6, 0, LPI(0), 0);
	run();
	error_is(E(OP_MAPTI, UNMAPPED_DEVICE));
	c_mapti(5, 16, LPI(0), 0); /* 2^(3+1) events */
	run();
	error_is(E(OP_MAPTI, ID_OOR));
	c_mapti(5, 0, 8191, 0);
	run();
	error_is(E(OP_MAPTI, PHYSICALID_OOR));
	c_mapti(5, 0, 1u << 16, 0); /* GICD_TYPER.IDbits + 1 = 16 */
	run();
	error_is(E(OP_MAPTI, PHYSICALID_OOR));
	c_mapti(5, 0, 1023, 0);
	run();
	error_is(E(OP_MAPTI, PHYSICALID_OOR));
	c_mapi(5, 3, 0); /* MAPI: pINTID = EventID = 3 */
	run();
	error_is(E(OP_MAPI, PHYSICALID_OOR));
	c_mapi(5, 99, 0);
	run();
	error_is(E(OP_MAPI, ID_OOR));
	/* None of them wrote an entry. */
	for (unsigned e = 0; e < 16; e++)
		ck_assert_uint_eq(g64(ITT_GPA(5) + e * 8), e == 2 ? ITE(0, LPI(10)) : 0);
	/* An unmapped collection is fine for MAPTI (checked on use). */
	c_mapti(5, 0, LPI(0), 7);
	run();
	no_error();
	ev_none();
	fx_teardown();
}
END_TEST

/* INT, CLEAR, INV, DISCARD share the translation checks. */
START_TEST(test_event_errors)
{
	static const unsigned ops[] = { OP_INT, OP_CLEAR, OP_INV, OP_DISCARD };
	unsigned op = ops[_i];

	setup();
	map_basic();
	c_mapti(5, 3, LPI(11), 9); /* collection 9 is not mapped */
	run();
	no_error();
	c_ev(op, NR_DEVS, 0);
	run();
	error_is(E(op, DEVICE_OOR));
	c_ev(op, 4, 0);
	run();
	error_is(E(op, UNMAPPED_DEVICE));
	c_ev(op, 5, 16);
	run();
	error_is(E(op, ID_OOR));
	c_ev(op, 5, 0);
	run();
	error_is(E(op, UNMAPPED_INTERRUPT));
	c_ev(op, 5, 3);
	run();
	error_is(E(op, UNMAPPED_COLLECTION));
	ev_none();
	ck_assert_uint_eq(g64(ITT_GPA(5) + 3 * 8), ITE(9, LPI(11)));
	fx_teardown();
}
END_TEST

START_TEST(test_movi_errors)
{
	setup();
	map_basic();
	c_mapti(5, 3, LPI(11), 9); /* collection 9 is not mapped */
	run();
	c_movi(NR_DEVS, 2, 1);
	run();
	error_is(E(OP_MOVI, DEVICE_OOR));
	c_movi(5, 2, NR_COLLS);
	run();
	error_is(E(OP_MOVI, COLLECTION_OOR));
	c_movi(4, 2, 1);
	run();
	error_is(E(OP_MOVI, UNMAPPED_DEVICE));
	c_movi(5, 16, 1);
	run();
	error_is(E(OP_MOVI, ID_OOR));
	c_movi(5, 0, 1);
	run();
	error_is(E(OP_MOVI, UNMAPPED_INTERRUPT));
	c_movi(5, 2, 8); /* new collection not mapped */
	run();
	error_is(E(OP_MOVI, UNMAPPED_COLLECTION));
	c_movi(5, 3, 1); /* old collection not mapped */
	run();
	error_is(E(OP_MOVI, UNMAPPED_COLLECTION));
	ev_none();
	ck_assert_uint_eq(g64(ITT_GPA(5) + 2 * 8), ITE(0, LPI(10)));
	ck_assert_uint_eq(g64(ITT_GPA(5) + 3 * 8), ITE(9, LPI(11)));
	fx_teardown();
}
END_TEST

START_TEST(test_collection_target_errors)
{
	setup();
	map_basic();
	c_invall(NR_COLLS);
	run();
	error_is(E(OP_INVALL, COLLECTION_OOR));
	c_invall(3);
	run();
	error_is(E(OP_INVALL, UNMAPPED_COLLECTION));
	c_sync(4);
	run(); /* no Sync sent: the queue does not wait */
	error_is(E(OP_SYNC, TGT_OOR));
	c_movall(4, 0);
	run();
	error_is(E(OP_MOVALL, TGT_OOR));
	c_movall(0, 1ull << 20);
	run();
	error_is(E(OP_MOVALL, TGT_OOR));
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_unknown_commands)
{
	static const uint8_t ops[] = { 0x00, 0x02, 0x06, 0x07, 0x10, 0x20, 0x2A, 0xFF };

	setup();
	map_basic();
	for (size_t i = 0; i < sizeof(ops); i++) {
		q_raw(ops[i] | (5ull << 32), 2, 0, 0);
		run();
		error_is(E(ops[i], UNKNOWN_CMD));
	}
	ev_none();
	/* The queue is alive. */
	c_ev(OP_INT, 5, 2);
	run();
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	fx_teardown();
}
END_TEST

/* ------------------------------------------------------- stall, Retry */

START_TEST(test_table_outside_ram_stalls)
{
	uint64_t at;

	setup();
	wr32(GITS_CTLR, 0);
	wr64(GITS_BASER, baser(RAM_END, 0, 1, false)); /* right after RAM */
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	at = fx.q_wr;
	c_mapd(1, 0, ITT_GPA(1), true);
	c_mapc(0, 0, true);
	q_kick();
	/* Stalled at the MAPD; the MAPC after it did not run. */
	ck_assert_int_eq(stalled(), 1);
	ck_assert_uint_eq(creadr_off(), at);
	error_is(E(OP_MAPD, TABLE_FAULT));
	ck_assert_uint_eq(g64(CT_GPA), 0);
	ck_assert_uint_eq(rd32(GITS_CTLR), GITS_CTLR_ENABLED | GITS_CTLR_QUIESCENT);
	/* A CWRITER write without Retry does not restart it. */
	q_kick();
	ck_assert_int_eq(stalled(), 1);
	/* Retry with nothing fixed: the same command fails again. */
	wr64(GITS_CWRITER, fx.q_wr | GITS_CWRITER_RETRY);
	ck_assert_int_eq(stalled(), 1);
	ck_assert_uint_eq(creadr_off(), at);
	error_is(E(OP_MAPD, TABLE_FAULT));
	/* Disabling and re-enabling does not clear the stall either. */
	wr32(GITS_CTLR, 0);
	wr64(GITS_BASER, baser(DT_GPA, 0, 1, false));
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	ck_assert_int_eq(stalled(), 1);
	/* Retry after the fix: the MAPD and everything after it run. */
	wr64(GITS_CWRITER, fx.q_wr | GITS_CWRITER_RETRY);
	ck_assert_int_eq(stalled(), 0);
	ck_assert_uint_eq(creadr_off(), fx.q_wr);
	no_error();
	ck_assert_uint_eq(g64(DT_GPA + 8), DTE(0, ITT_GPA(1)));
	ck_assert_uint_eq(g64(CT_GPA), CTE(0));
	ck_assert_uint_eq(fx.its.stats.retries, 2);
	fx_teardown();
}
END_TEST

START_TEST(test_retry_after_rewriting_the_command)
{
	uint64_t at;

	setup();
	map_basic();
	/* An ITT that runs off the end of RAM (64 events of 8 bytes in the last
	 * 256): MAPD is fine, writing an ITE is not, even one inside RAM. */
	c_mapd(7, 5, RAM_END - 0x100, true);
	run();
	no_error();
	at = fx.q_wr;
	c_mapti(7, 0, LPI(1), 0);
	c_ev(OP_INT, 5, 2);
	q_kick();
	ck_assert_int_eq(stalled(), 1);
	ck_assert_uint_eq(creadr_off(), at);
	error_is(E(OP_MAPTI, TABLE_FAULT));
	ev_none();
	/* Software replaces the failing command (here with an INV) and retries. */
	set64(fx.q_base + at, OP_INV | (5ull << 32));
	set64(fx.q_base + at + 8, 2);
	wr64(GITS_CWRITER, fx.q_wr | GITS_CWRITER_RETRY);
	ck_assert_int_eq(stalled(), 0);
	ev_expect(EV_INV, 1, 0, LPI(10));
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_queue_outside_ram)
{
	setup();
	wr32(GITS_CTLR, 0);
	/* 4K queue whose only page is beyond RAM. */
	wr64(GITS_CBASER, (1ull << 63) | RAM_END);
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	wr64(GITS_CWRITER, 0x40);
	ck_assert_int_eq(stalled(), 1);
	ck_assert_uint_eq(creadr_off(), 0);
	error_is(E(0, CMDQ_FAULT));
	/* Straddling the end of RAM: the commands inside run, the first outside stalls. */
	wr32(GITS_CTLR, 0);
	wr64(GITS_CBASER, (1ull << 63) | (RAM_END - 0x1000) | 1); /* 2 pages */
	fx.q_base = RAM_END - 0x1000;
	fx.q_bytes = 0x2000;
	fx.q_wr = 0;
	c_mapc(0, 1, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapti(5, 2, LPI(10), 0);
	c_ev(OP_INT, 5, 2);
	while (fx.q_wr < 0x1000)
		c_ev(OP_INV, 5, 2);
	wr64(GITS_CWRITER, 0x1000 + 0x40);
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	ck_assert_int_eq(stalled(), 1);
	ck_assert_uint_eq(creadr_off(), 0x1000);
	error_is(E(0, CMDQ_FAULT));
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	for (unsigned i = 4; i < 0x1000 / 32; i++)
		ev_expect(EV_INV, 1, 0, LPI(10));
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_cwriter_beyond_queue)
{
	setup();
	wr32(GITS_CTLR, 0);
	q_init(Q_GPA, 1); /* 4 KiB: offsets 0..0xFE0 */
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	map_basic();
	wr64(GITS_CWRITER, 0x1000);
	ck_assert_int_eq(stalled(), 1);
	ck_assert_uint_eq(creadr_off(), fx.q_wr);
	error_is(E(0, CWRITER_OOR));
	wr64(GITS_CWRITER, 0xFFFE0);
	ck_assert_int_eq(stalled(), 1);
	error_is(E(0, CWRITER_OOR));
	/* A valid CWRITER clears it and the queue runs on. */
	c_ev(OP_INT, 5, 2);
	run();
	no_error();
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	fx_teardown();
}
END_TEST

START_TEST(test_wrap_around)
{
	unsigned n = 0;

	setup();
	wr32(GITS_CTLR, 0);
	q_init(Q_GPA, 1); /* 128 commands */
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	map_basic();
	/* Three laps of the ring in uneven steps, wrapping mid-batch. */
	for (unsigned lap = 0; lap < 9; lap++) {
		for (unsigned i = 0; i < 45; i++, n++)
			c_ev(OP_INT, 5, 2);
		run();
	}
	no_error();
	for (unsigned i = 0; i < n; i++)
		ev_expect(EV_DELIVER, 1, 0, LPI(10));
	ev_none();
	ck_assert_uint_eq(creadr_off(), (4 + n) * 32 % 4096);
	/* A full ring is never written by software (CWRITER == CREADR means empty). */
	wr64(GITS_CWRITER, creadr_off());
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_disabled_queue_waits)
{
	setup();
	wr32(GITS_CTLR, 0);
	c_mapc(0, 1, true);
	c_mapd(5, 3, ITT_GPA(5), true);
	c_mapti(5, 2, LPI(10), 0);
	c_ev(OP_INT, 5, 2);
	q_kick();
	/* Enabled == 0: no command is processed. */
	ck_assert_uint_eq(creadr_off(), 0);
	ev_none();
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	ck_assert_uint_eq(creadr_off(), fx.q_wr);
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	no_error();
	fx_teardown();
}
END_TEST

START_TEST(test_cbaser_resets_queue)
{
	uint64_t id;

	setup();
	map_basic();
	ck_assert_uint_ne(creadr_off(), 0);
	wr64(GITS_CWRITER, Q_PAGES * 4096); /* beyond the queue: stalls */
	ck_assert_int_eq(stalled(), 1);
	/* A new queue: CREADR (architecture) and CWRITER (ours) back to 0, no stall. */
	wr32(GITS_CTLR, 0);
	q_init(Q_GPA + 0x8000, 2);
	ck_assert_uint_eq(rd64(GITS_CREADR), 0);
	ck_assert_uint_eq(rd64(GITS_CWRITER), 0);
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	/* A SYNC outstanding when the queue is replaced is forgotten. */
	c_sync(2);
	q_kick();
	id = ev_take_sync(2);
	ck_assert_uint_eq(rd32(GITS_CTLR), GITS_CTLR_ENABLED);
	wr32(GITS_CTLR, 0);
	q_init(Q_GPA, 1);
	ck_assert_uint_eq(rd32(GITS_CTLR), GITS_CTLR_QUIESCENT);
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
	ck_assert(!its_sync_done(&fx.its, id));
	ck_assert_uint_eq(rd64(GITS_CREADR), 0);
	c_ev(OP_INT, 5, 2);
	run();
	ev_expect(EV_DELIVER, 1, 0, LPI(10));
	ev_none();
	fx_teardown();
}
END_TEST

START_TEST(test_garbage_queue)
{
	uint32_t x = 0x12345678u + (uint32_t)_i;

	setup();
	map_basic();
	/* Hostile bytes everywhere in the queue; CWRITER at the last slot. */
	for (uint64_t off = 0; off < fx.q_bytes; off += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		/* Keep some opcodes real so the commands' checks see garbage too. */
		if (off % 32 == 0 && (x & 3))
			x = (x & ~0xFFu) | (x >> 8) % 16;
		memcpy(gptr(fx.q_base + off), &x, 4);
	}
	wr64(GITS_CWRITER, fx.q_bytes - 32);
	/* Whatever happened, the ITS is consistent: done, stalled, or waiting. */
	ck_assert(creadr_off() == fx.q_bytes - 32 || stalled() || fx.its.st.sync_wait);
	ck_assert_uint_le(fx.ram.nr_windows, GUEST_RAM_MAX_WINDOWS);
	fx_teardown();
}
END_TEST

Suite *its_cmd_suite(void)
{
	Suite *s = suite_create("its-cmd");
	TCase *ok = tcase_create("success");
	TCase *err = tcase_create("errors");
	TCase *q = tcase_create("queue");

	tcase_add_test(ok, test_mapd_mapc_mapti_entries);
	tcase_add_test(ok, test_int_clear_inv_invall);
	tcase_add_test(ok, test_discard);
	tcase_add_test(ok, test_movi);
	tcase_add_test(ok, test_movall);
	tcase_add_test(ok, test_sync);
	tcase_add_test(err, test_mapd_errors);
	tcase_add_test(err, test_mapc_errors);
	tcase_add_test(err, test_mapti_errors);
	tcase_add_loop_test(err, test_event_errors, 0, 4);
	tcase_add_test(err, test_movi_errors);
	tcase_add_test(err, test_collection_target_errors);
	tcase_add_test(err, test_unknown_commands);
	tcase_add_test(q, test_table_outside_ram_stalls);
	tcase_add_test(q, test_retry_after_rewriting_the_command);
	tcase_add_test(q, test_queue_outside_ram);
	tcase_add_test(q, test_cwriter_beyond_queue);
	tcase_add_test(q, test_wrap_around);
	tcase_add_test(q, test_disabled_queue_waits);
	tcase_add_test(q, test_cbaser_resets_queue);
	tcase_add_loop_test(q, test_garbage_queue, 0, 16);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, err);
	suite_add_tcase(s, q);
	return s;
}
