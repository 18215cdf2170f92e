// SPDX-License-Identifier: MIT
/*
 * Deferred reads (DESIGN §3): ISPENDR/ICPENDR/ISACTIVER/ICACTIVER reads
 * covering in-flight SPIs ask the owners and are answered when every
 * reply is in; the daemon goes on meanwhile.
 */
#include "core_test.h"

/* Word 1 holds INTIDs 32..63. */
#define W1 (GICD_ISPENDR + 4)

/* Makes SPI intid (edge) owned by vcpu with its latch. */
static void own(uint32_t intid, unsigned vcpu)
{
	cx_setup(intid, true, 0, vcpu);
	cx_pulse(intid);
	cx_expect_deliver(vcpu, intid, 1, 0, true, false, F_LATCH);
}

static void expect_query(const Sg__Query *q, unsigned vcpu, uint32_t intid, uint32_t gen)
{
	ck_assert_uint_eq(q->vcpu, vcpu);
	ck_assert_uint_eq(q->intid, intid);
	ck_assert_uint_eq(q->gen, gen);
}

/* One Query per owned SPI of the word, none for idle ones, no reply until
 * the last answer; the value combines the answers with the idle SPIs'
 * state held by the distributor. */
START_TEST(test_pending_read_combines)
{
	const Sg__Query *q1, *q2;
	const Sg__MmioReply *r;
	uint64_t seq;

	cx_init();
	own(33, 1);
	own(40, 2);
	/* Idle and pending: disabled with a latch. */
	cx_edge(45, true);
	cx_pulse(45);
	cx_quiet();
	seq = cx_r_start(3, W1);
	q1 = cx_query();
	q2 = cx_query();
	cx_quiet();
	expect_query(q1, 1, 33, 1);
	expect_query(q2, 2, 40, 1);
	ck_assert_uint_ne(q1->query_id, q2->query_id);
	ck_assert_uint_eq(cx.core.stats.reads_deferred, 1);
	/* The loop is not blocked: other channels keep working meanwhile. */
	ck_assert_uint_eq(cx_r(0, GICD_CTLR),
			  GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE | GICD_CTLR_DS);
	cx_qreply(q2->query_id, 2, 40, false, true);
	cx_quiet();
	cx_qreply(q1->query_id, 1, 33, true, false);
	r = cx_reply(3);
	ck_assert_uint_eq(r->seq, seq);
	ck_assert_int_eq(r->status, SG__MMIO_REPLY__STATUS__OK);
	ck_assert_uint_eq(r->data, (1u << 1) | (1u << 13));
	cx_quiet();
	ck_assert_uint_eq(cx.core.stats.reads_completed, 1);
}
END_TEST

/* ISACTIVER takes the owners' active answers; ICACTIVER and ICPENDR read
 * the same views as ISACTIVER and ISPENDR. */
START_TEST(test_active_read)
{
	static const uint32_t regs[] = { GICD_ISACTIVER, GICD_ICACTIVER, GICD_ICPENDR };

	for (unsigned i = 0; i < 3; i++) {
		const Sg__Query *q;
		const Sg__MmioReply *r;
		bool act = regs[i] != GICD_ICPENDR;

		cx_init();
		own(60, 0);
		cx_bit(1, GICD_ISACTIVER, 62); /* idle and active: stays (disabled, no route) */
		cx_quiet();
		cx_r_start(1, regs[i] + 4);
		q = cx_query();
		expect_query(q, 0, 60, 1);
		cx_qreply(q->query_id, 0, 60, !act, act);
		r = cx_reply(1);
		ck_assert_uint_eq(r->data, act ? (1u << 28) | (1u << 30) : 1u << 28);
		cx_quiet();
	}
}
END_TEST

/* Ownership returned mid-query: the owner deactivated (handing back its
 * latch) before it answered; the SPI is idle when the read completes and
 * reads the distributor's state. */
START_TEST(test_owner_returned_mid_query)
{
	const Sg__Query *q;

	cx_init();
	own(35, 1);
	cx_bit(0, GICD_ICENABLER, 35);
	cx_expect_retract(1, 35, 2, F_LATCH | F_LINE | F_RETURN);
	cx_r_start(2, W1);
	q = cx_query();
	expect_query(q, 1, 35, 2);
	cx_deact(1, 35, 2, true);
	cx_quiet();
	cx_qreply(q->query_id, 1, 35, false, false);
	ck_assert_uint_eq(cx_reply(2)->data, 1u << 3);
	cx_quiet();

	/* Returned without a latch: not pending any more. */
	cx_init();
	own(35, 1);
	cx_r_start(2, W1);
	q = cx_query();
	cx_deact(1, 35, 1, false); /* the guest took and finished it */
	cx_qreply(q->query_id, 1, 35, false, false);
	ck_assert_uint_eq(cx_reply(2)->data, 0);
	cx_quiet();
}
END_TEST

/* A latch that was pending all along but moved to the owner after the
 * Query (handed back, then handed over again) is neither in the owner's
 * answer nor in the distributor: the read still shows it pending. */
START_TEST(test_latch_handed_over_mid_query)
{
	const Sg__Query *q;

	cx_init();
	own(35, 1);
	cx_bit(0, GICD_ICENABLER, 35);
	cx_expect_retract(1, 35, 2, F_LATCH | F_LINE | F_RETURN);
	cx_bit(0, GICD_ISENABLER, 35); /* nothing held here yet: nothing sent */
	cx_prio(35, 0x10);
	cx_expect_deliver(1, 35, 3, 0x10, true, false, 0);
	cx_r_start(2, W1);
	q = cx_query();
	expect_query(q, 1, 35, 3);
	/* The owner hands the latch back (crossing gen 3), the distributor
	 * hands it over again, and the owner answers before seeing that. */
	cx_deact(1, 35, 2, true);
	cx_expect_deliver(1, 35, 4, 0x10, true, false, F_LATCH);
	cx_qreply(q->query_id, 1, 35, false, false);
	ck_assert_uint_eq(cx_reply(2)->data, 1u << 3);
	cx_quiet();
}
END_TEST

/* An SPI that changed hands while the read waited is asked again, of its
 * new owner; the old owner's answer does not count. */
START_TEST(test_new_owner_asked_again)
{
	const Sg__Query *q;
	const Sg__Deliver *d;

	cx_init();
	cx_setup(36, false, 0, 1);
	cx_level(36, true);
	cx_expect_deliver(1, 36, 1, 0, true, true, F_LINE);
	cx_r_start(0, W1);
	q = cx_query();
	expect_query(q, 1, 36, 1);
	cx_route(36, cx_aff(3));
	cx_expect_retract(1, 36, 2, F_LATCH | F_LINE | F_RETURN);
	cx_deact(1, 36, 2, false);
	d = cx_deliver();
	ck_assert_uint_eq(d->vcpu, 3);
	cx_qreply(q->query_id, 1, 36, false, false);
	q = cx_query();
	expect_query(q, 3, 36, 3);
	cx_quiet();
	ck_assert_uint_eq(cx.core.stats.reads_requeried, 1);
	cx_qreply(q->query_id, 3, 36, false, true);
	/* Line still high: pending whatever the owner says. */
	ck_assert_uint_eq(cx_reply(0)->data, 1u << 4);
	cx_quiet();

	/* Same vCPU, but a new ownership (deactivated, delivered again). */
	cx_init();
	cx_setup(36, false, 0, 1);
	cx_level(36, true);
	cx_expect_deliver(1, 36, 1, 0, true, true, F_LINE);
	cx_r_start(0, GICD_ISACTIVER + 4);
	q = cx_query();
	cx_deact(1, 36, 1, false);
	cx_expect_deliver(1, 36, 2, 0, true, true, F_LINE);
	cx_qreply(q->query_id, 1, 36, false, false);
	q = cx_query();
	expect_query(q, 1, 36, 2);
	cx_qreply(q->query_id, 1, 36, true, true);
	ck_assert_uint_eq(cx_reply(0)->data, 1u << 4);
	cx_quiet();
}
END_TEST

/* Two vCPUs read concurrently; each gets its own answer, in the order
 * their replies complete. */
START_TEST(test_two_readers)
{
	const Sg__Query *qa, *qb;

	cx_init();
	own(34, 2);
	own(70, 3); /* word 2 */
	cx_r_start(0, W1);
	qa = cx_query();
	cx_r_start(1, GICD_ISPENDR + 8);
	qb = cx_query();
	expect_query(qa, 2, 34, 1);
	expect_query(qb, 3, 70, 1);
	cx_qreply(qb->query_id, 3, 70, true, false);
	ck_assert_uint_eq(cx_reply(1)->data, 1u << 6);
	cx_qreply(qa->query_id, 2, 34, false, false);
	ck_assert_uint_eq(cx_reply(0)->data, 0);
	cx_quiet();
}
END_TEST

/* Reads of other registers never defer, even for in-flight SPIs; nor do
 * pending reads of words with no owned SPI. */
START_TEST(test_never_deferred)
{
	cx_init();
	own(40, 1);
	ck_assert(cx_bitof(cx_r(0, cx_word(GICD_ISENABLER, 40)), 40));
	ck_assert(cx_bitof(cx_r(0, cx_word(GICD_ICENABLER, 40)), 40));
	ck_assert_uint_eq(cx_r(0, GICD_IPRIORITYR + 40), 0);
	ck_assert_uint_eq(cx_r(0, GICD_IROUTER + 8 * 40), (uint32_t)cx_aff(1));
	ck_assert_uint_eq(cx_r(0, GICD_ISPENDR + 8), 0);
	ck_assert_uint_eq(cx_r(0, GICD_ISPENDR), 0);
	cx_quiet();
	ck_assert_uint_eq(cx.core.stats.reads_deferred, 0);
}
END_TEST

/* Replies nobody asked for, or from the wrong vCPU, change nothing. */
START_TEST(test_unmatched_replies)
{
	const Sg__Query *q;

	cx_init();
	own(40, 1);
	cx_qreply(99, 1, 40, true, true);
	cx_quiet();
	cx_r_start(0, W1);
	q = cx_query();
	cx_qreply(q->query_id, 2, 40, true, true);
	cx_qreply(q->query_id, 1, 41, true, true);
	cx_quiet();
	ck_assert_uint_eq(cx.core.stats.query_unmatched, 3);
	cx_qreply(q->query_id, 1, 40, true, false);
	ck_assert_uint_eq(cx_reply(0)->data, 1u << 8);
	cx_qreply(q->query_id, 1, 40, true, false); /* answered already */
	cx_quiet();
	ck_assert_uint_eq(cx.core.stats.query_unmatched, 4);
}
END_TEST

/* A later read from a vCPU whose read is parked: the vCPU waits for one
 * reply at a time, so it no longer waits for the parked one (after a
 * restart it took that reply from the previous instance).  The new read is
 * served; the parked one is dropped and its Query's answer ignored. */
START_TEST(test_later_read_supersedes_parked)
{
	const Sg__Query *q;
	const Sg__MmioReply *r;
	uint64_t s1, s2;

	cx_init();
	own(40, 1);
	s1 = cx_r_start(0, W1);
	q = cx_query();
	s2 = cx_r_start(0, GICD_CTLR);
	ck_assert_uint_gt(s2, s1);
	r = cx_reply(0);
	ck_assert_uint_eq(r->seq, s2);
	ck_assert_int_eq(r->status, SG__MMIO_REPLY__STATUS__OK);
	ck_assert_uint_ne(r->data & GICD_CTLR_ENABLE_G1, 0);
	cx_qreply(q->query_id, 1, 40, true, false);
	cx_quiet();
	ck_assert_uint_eq(cx.core.stats.reads_superseded, 1);
	ck_assert_uint_eq(cx.core.stats.read_busy, 0);
	ck_assert_uint_eq(cx.core.stats.query_unmatched, 1);
}
END_TEST

Suite *core_reads_suite(void)
{
	Suite *s = suite_create("core-reads");
	TCase *tc = tcase_create("reads");

	tcase_add_test(tc, test_pending_read_combines);
	tcase_add_test(tc, test_active_read);
	tcase_add_test(tc, test_owner_returned_mid_query);
	tcase_add_test(tc, test_latch_handed_over_mid_query);
	tcase_add_test(tc, test_new_owner_asked_again);
	tcase_add_test(tc, test_two_readers);
	tcase_add_test(tc, test_never_deferred);
	tcase_add_test(tc, test_unmatched_replies);
	tcase_add_test(tc, test_later_read_supersedes_parked);
	suite_add_tcase(s, tc);
	return s;
}
