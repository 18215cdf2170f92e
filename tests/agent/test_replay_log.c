// SPDX-License-Identifier: MIT
/* The senders' replay log: append, trim on Durable, replay after Resume. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "replay_log.h"

struct seen {
	unsigned n;
	uint64_t seq[4096];
};

/* Datagrams in these tests are the decimal text of their sequence number. */
static int collect(void *ctx, const void *dgram, size_t len)
{
	struct seen *s = ctx;
	char buf[64];

	ck_assert_uint_lt(len, sizeof(buf));
	memcpy(buf, dgram, len);
	buf[len] = 0;
	s->seq[s->n++] = strtoull(buf, NULL, 10);
	return 0;
}

static int append_seq(struct replay_log *l, uint64_t seq, size_t pad)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)seq);

	memset(buf + n, ' ', pad);
	return replay_log_append(l, buf, (size_t)n + pad, seq, seq);
}

START_TEST(test_replay_after_applied)
{
	struct replay_log l;
	struct seen s = { 0 };

	ck_assert_int_eq(replay_log_init(&l, 4096), 0);
	for (uint64_t i = 1; i <= 10; i++)
		ck_assert_int_eq(append_seq(&l, i, 0), 0);
	ck_assert_int_eq(replay_log_replay(&l, 6, collect, &s), 0);
	ck_assert_uint_eq(s.n, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(s.seq[i], 7 + i);
	replay_log_trim(&l, 8);
	ck_assert_uint_eq(l.nr, 2);
	s.n = 0;
	ck_assert_int_eq(replay_log_replay(&l, 0, collect, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_uint_eq(s.seq[0], 9);
	replay_log_fini(&l);
}
END_TEST

START_TEST(test_batches_and_full)
{
	struct replay_log l;
	struct seen s = { 0 };
	int rc = 0;
	unsigned n = 0;

	ck_assert_int_eq(replay_log_init(&l, 512), 0);
	/* A batch carrying 5..9 is replayed if any of it is above applied. */
	ck_assert_int_eq(replay_log_append(&l, "5", 1, 5, 9), 0);
	ck_assert_int_eq(replay_log_replay(&l, 7, collect, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	/* Full: refused, nothing overwritten. */
	while ((rc = append_seq(&l, 10 + n, 20)) == 0)
		n++;
	ck_assert_int_eq(rc, -ENOSPC);
	ck_assert_uint_gt(n, 5);
	s.n = 0;
	ck_assert_int_eq(replay_log_replay(&l, 0, collect, &s), 0);
	ck_assert_uint_eq(s.n, n + 1);
	ck_assert_int_eq(replay_log_append(&l, "", 0, 1, 1), -EINVAL);
	replay_log_fini(&l);
}
END_TEST

/* Random sizes through many wraps, against a simple model. */
START_TEST(test_wraparound_model)
{
	struct replay_log l;
	uint64_t next = 1, durable = 0, kept_lo = 1;
	unsigned seed = 12345;

	ck_assert_int_eq(replay_log_init(&l, 1000), 0);
	for (unsigned round = 0; round < 20000; round++) {
		if (rand_r(&seed) % 3) {
			if (append_seq(&l, next, (size_t)(rand_r(&seed) % 40)) == 0)
				next++;
			else
				ck_assert_uint_gt(l.nr, 0); /* full only when something is kept */
		} else if (next - 1 > durable) {
			durable += 1 + (uint64_t)rand_r(&seed) % (next - 1 - durable);
			replay_log_trim(&l, durable);
			kept_lo = durable + 1;
		}
		if (round % 97 == 0) {
			struct seen s = { 0 };
			uint64_t applied =
				kept_lo - 1 + (uint64_t)rand_r(&seed) % (next - kept_lo + 1);

			ck_assert_int_eq(replay_log_replay(&l, applied, collect, &s), 0);
			ck_assert_uint_eq(s.n, next - 1 - applied);
			for (unsigned i = 0; i < s.n; i++)
				ck_assert_uint_eq(s.seq[i], applied + 1 + i);
		}
	}
	replay_log_fini(&l);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("replay-log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_replay_after_applied);
	tcase_add_test(tc, test_batches_and_full);
	tcase_add_test(tc, test_wraparound_model);
	suite_add_tcase(su, tc);
	return check_run_suite(su);
}
