// SPDX-License-Identifier: MIT
/* The crash-consistent state store: snapshots, journal, torn writes, reopen. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_run.h"
#include "state_store.h"

struct loaded {
	char snap[64];
	size_t snap_len;
	char rec[16][32];
	unsigned nr_rec;
};

static int on_snapshot(void *ctx, const void *data, size_t len)
{
	struct loaded *l = ctx;

	ck_assert_uint_lt(len, sizeof(l->snap));
	memcpy(l->snap, data, len);
	l->snap[len] = 0;
	l->snap_len = len;
	return 0;
}

static int on_record(void *ctx, const void *data, size_t len)
{
	struct loaded *l = ctx;

	ck_assert_uint_lt(l->nr_rec, 16);
	ck_assert_uint_lt(len, sizeof(l->rec[0]));
	memcpy(l->rec[l->nr_rec], data, len);
	l->rec[l->nr_rec][len] = 0;
	l->nr_rec++;
	return 0;
}

static int new_fd(void)
{
	int fd = memfd_create("state-test", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/* What a restarted daemon sees: a fresh mapping of the same fd. */
static struct loaded reopen_and_load(int fd)
{
	struct state_store s;
	struct loaded l;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(state_store_open(&s, fd, false), 0);
	ck_assert_int_eq(state_store_load(&s, on_snapshot, on_record, &l), 0);
	state_store_close(&s);
	return l;
}

START_TEST(test_empty_store)
{
	int fd = new_fd();
	struct state_store s;
	struct loaded l;

	ck_assert_int_eq(state_store_open(&s, fd, true), 0);
	ck_assert(!state_store_has_snapshot(&s));
	ck_assert_int_eq(state_store_append(&s, "x", 1), -ENOENT);
	state_store_close(&s);
	l = reopen_and_load(fd);
	ck_assert_uint_eq(l.snap_len, 0);
	ck_assert_uint_eq(l.nr_rec, 0);
	close(fd);
}
END_TEST

START_TEST(test_snapshot_and_journal_survive_reopen)
{
	int fd = new_fd();
	struct state_store s;
	struct loaded l;

	ck_assert_int_eq(state_store_open(&s, fd, true), 0);
	ck_assert_int_eq(state_store_write_snapshot(&s, "base-1", 6), 0);
	ck_assert_int_eq(state_store_append(&s, "delta-a", 7), 0);
	ck_assert_int_eq(state_store_append(&s, "delta-bb", 8), 0);
	/* No close: the process "dies" with the mapping still in place. */
	l = reopen_and_load(fd);
	ck_assert_str_eq(l.snap, "base-1");
	ck_assert_uint_eq(l.nr_rec, 2);
	ck_assert_str_eq(l.rec[0], "delta-a");
	ck_assert_str_eq(l.rec[1], "delta-bb");

	/* A new snapshot supersedes the old journal. */
	ck_assert_int_eq(state_store_write_snapshot(&s, "base-2", 6), 0);
	ck_assert_int_eq(state_store_append(&s, "c", 1), 0);
	l = reopen_and_load(fd);
	ck_assert_str_eq(l.snap, "base-2");
	ck_assert_uint_eq(l.nr_rec, 1);
	ck_assert_str_eq(l.rec[0], "c");
	state_store_close(&s);
	close(fd);
}
END_TEST

START_TEST(test_torn_record_is_the_end)
{
	int fd = new_fd();
	struct state_store s;
	struct loaded l;
	unsigned char *map;

	ck_assert_int_eq(state_store_open(&s, fd, true), 0);
	ck_assert_int_eq(state_store_write_snapshot(&s, "base", 4), 0);
	ck_assert_int_eq(state_store_append(&s, "one", 3), 0);
	size_t second = state_store_journal_used(&s);
	ck_assert_int_eq(state_store_append(&s, "two", 3), 0);
	ck_assert_int_eq(state_store_append(&s, "three", 5), 0);
	/* Corrupt one byte of the second record's data, as a torn write would. */
	map = s.map + 4096 + 2 * STATE_STORE_SLOT_SIZE + second;
	map[24] ^= 0xFF;
	l = reopen_and_load(fd);
	ck_assert_uint_eq(l.nr_rec, 1);
	ck_assert_str_eq(l.rec[0], "one");

	/* A restarted writer continues after the last intact record. */
	struct state_store s2;
	struct loaded l2;
	memset(&l2, 0, sizeof(l2));
	ck_assert_int_eq(state_store_open(&s2, fd, false), 0);
	ck_assert_int_eq(state_store_load(&s2, on_snapshot, on_record, &l2), 0);
	ck_assert_int_eq(state_store_append(&s2, "four", 4), 0);
	state_store_close(&s2);
	l = reopen_and_load(fd);
	ck_assert_uint_eq(l.nr_rec, 2);
	ck_assert_str_eq(l.rec[1], "four");
	state_store_close(&s);
	close(fd);
}
END_TEST

START_TEST(test_interrupted_snapshot_keeps_the_old_one)
{
	int fd = new_fd();
	struct state_store s;
	struct loaded l;
	unsigned char *map;

	ck_assert_int_eq(state_store_open(&s, fd, true), 0);
	ck_assert_int_eq(state_store_write_snapshot(&s, "old", 3), 0);
	ck_assert_int_eq(state_store_append(&s, "r1", 2), 0);
	ck_assert_int_eq(state_store_write_snapshot(&s, "new!", 4), 0);
	/* Make the new slot's data disagree with its CRC: a crash mid-copy. */
	map = s.map + 4096 + (size_t)s.slot * STATE_STORE_SLOT_SIZE;
	map[0] = 'X';
	l = reopen_and_load(fd);
	ck_assert_str_eq(l.snap, "old");
	/* The old journal was overwritten by nothing yet: still applies. */
	ck_assert_uint_eq(l.nr_rec, 1);
	ck_assert_str_eq(l.rec[0], "r1");
	state_store_close(&s);
	close(fd);
}
END_TEST

START_TEST(test_limits_and_foreign_data)
{
	int fd = new_fd();
	struct state_store s;
	char *big = calloc(1, STATE_STORE_SLOT_SIZE + 1);
	size_t n = 0;

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(state_store_open(&s, fd, true), 0);
	ck_assert_int_eq(state_store_write_snapshot(&s, big, STATE_STORE_SLOT_SIZE + 1), -EFBIG);
	ck_assert_int_eq(state_store_write_snapshot(&s, "b", 1), 0);
	while (state_store_append(&s, big, 1u << 20) == 0)
		n++;
	ck_assert_uint_ge(n, 7);
	ck_assert_int_eq(state_store_append(&s, big, 1u << 20), -ENOSPC);
	state_store_close(&s);
	free(big);
	close(fd);

	/* An fd with something else in it is refused, not reinterpreted. */
	fd = new_fd();
	ck_assert_int_eq(ftruncate(fd, STATE_STORE_SIZE), 0);
	ck_assert_int_eq(pwrite(fd, "not a state file", 16, 0), 16);
	ck_assert_int_eq(state_store_open(&s, fd, false), -EPROTO);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("state-store");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, test_empty_store);
	tcase_add_test(tc, test_snapshot_and_journal_survive_reopen);
	tcase_add_test(tc, test_torn_record_is_the_end);
	tcase_add_test(tc, test_interrupted_snapshot_keeps_the_old_one);
	tcase_add_test(tc, test_limits_and_foreign_data);
	suite_add_tcase(su, tc);
	return check_run_suite(su);
}
