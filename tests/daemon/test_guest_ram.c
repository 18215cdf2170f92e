// SPDX-License-Identifier: MIT
/*
 * gicd-server/guest_ram.c on its own: region checks, the bounds-checked
 * reader, and a memfd shrunk under the mapping.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gic_regs.h"
#include "guest_ram.h"
#include "harness.h"

#define PAGE 4096u
#define GPA  0x40000000ull

struct ram_setup {
	struct sg_vm_shape shape;
	Sg__RamRegion reg[4], *regs[4];
	unsigned n;
	int fds[2];
	unsigned nfds;
};

static void setup(struct ram_setup *s, size_t memfd_size)
{
	memset(s, 0, sizeof(*s));
	harness_shape(&s->shape, 2, 64, 1);
	s->fds[s->nfds++] = harness_memfd(memfd_size);
}

static void add(struct ram_setup *s, uint64_t gpa, uint64_t size, uint32_t index, uint64_t off)
{
	Sg__RamRegion *r = &s->reg[s->n];

	sg__ram_region__init(r);
	r->gpa = gpa;
	r->size = size;
	r->fd_index = index;
	r->fd_offset = off;
	s->regs[s->n++] = r;
}

/* guest_ram_map() takes the fds: duplicates keep ours usable in the test. */
static int map(struct ram_setup *s, struct guest_ram *r, const char **why)
{
	int fds[2];

	for (unsigned i = 0; i < s->nfds; i++)
		fds[i] = dup(s->fds[i]);
	return guest_ram_map(r, &s->shape, s->regs, s->n, fds, s->nfds, why);
}

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void cleanup(struct ram_setup *s)
{
	for (unsigned i = 0; i < s->nfds; i++)
		close(s->fds[i]);
}

START_TEST(test_read_inside_and_out)
{
	struct ram_setup s;
	struct guest_ram r;
	const char *why = "";
	unsigned char pattern[2 * PAGE], buf[2 * PAGE];

	setup(&s, 4 * PAGE);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i * 7 + 3);
	ck_assert_int_eq(pwrite(s.fds[0], pattern, sizeof(pattern), PAGE),
			 (ssize_t)sizeof(pattern));
	/* Two adjacent regions: [GPA, +2 pages) from offset 1 page, then one more. */
	add(&s, GPA, 2 * PAGE, 0, PAGE);
	add(&s, GPA + 2 * PAGE, PAGE, 0, 0);
	ck_assert_msg(map(&s, &r, &why) == 0, "%s", why);
	ck_assert_uint_eq(r.nr_regions, 2);

	ck_assert_int_eq(guest_ram_read(&r, GPA, buf, sizeof(pattern)), 0);
	ck_assert_mem_eq(buf, pattern, sizeof(pattern));
	ck_assert_int_eq(guest_ram_read(&r, GPA + 2 * PAGE - 4, buf, 4), 0);
	ck_assert_mem_eq(buf, pattern + 2 * PAGE - 4, 4);
	/* Straddling two regions, before, after, overflowing. */
	ck_assert_int_eq(guest_ram_read(&r, GPA + 2 * PAGE - 4, buf, 8), -EFAULT);
	ck_assert_int_eq(guest_ram_read(&r, GPA - 4, buf, 4), -EFAULT);
	ck_assert_int_eq(guest_ram_read(&r, GPA + 3 * PAGE, buf, 1), -EFAULT);
	ck_assert_int_eq(guest_ram_read(&r, UINT64_MAX - 2, buf, 8), -EFAULT);
	ck_assert_int_eq(guest_ram_read(&r, GPA + 8, buf, SIZE_MAX), -EFAULT);
	guest_ram_unmap(&r);
	ck_assert_uint_eq(r.nr_regions, 0);
	ck_assert_int_eq(guest_ram_read(&r, GPA, buf, 4), -EFAULT);
	cleanup(&s);
}
END_TEST

START_TEST(test_shrunk_memfd)
{
	struct ram_setup s;
	struct guest_ram r;
	const char *why = "";
	unsigned char buf[16];

	setup(&s, 4 * PAGE);
	add(&s, GPA, 4 * PAGE, 0, 0);
	ck_assert_msg(map(&s, &r, &why) == 0, "%s", why);
	ck_assert_int_eq(guest_ram_read(&r, GPA + 3 * PAGE, buf, sizeof(buf)), 0);
	/* A hostile VMM truncates its RAM: the daemon gets -EFAULT, not SIGBUS. */
	ck_assert_int_eq(ftruncate(s.fds[0], PAGE), 0);
	ck_assert_int_eq(guest_ram_read(&r, GPA + 3 * PAGE, buf, sizeof(buf)), -EFAULT);
	ck_assert_int_eq(guest_ram_read(&r, GPA, buf, sizeof(buf)), 0);
	/* And again: the guard is re-armed after a fault. */
	ck_assert_int_eq(guest_ram_read(&r, GPA + 2 * PAGE, buf, sizeof(buf)), -EFAULT);
	guest_ram_unmap(&r);
	cleanup(&s);
}
END_TEST

enum bad_case {
	BAD_OVERLAP,
	BAD_BEYOND,
	BAD_FD_INDEX,
	BAD_UNALIGNED_GPA,
	BAD_UNALIGNED_OFFSET,
	BAD_ZERO,
	BAD_ON_GICR,
	BAD_ON_ITS,
	BAD_PA_LIMIT,
	BAD_OFFSET_OVERFLOW,
	BAD_NOT_FILE,
	BAD_NR
};

START_TEST(test_bad_regions)
{
	struct ram_setup s;
	struct guest_ram r;
	const char *why = NULL;
	unsigned before;
	int p[2];

	setup(&s, 4 * PAGE);
	switch ((enum bad_case)_i) {
	case BAD_OVERLAP:
		add(&s, GPA, 2 * PAGE, 0, 0);
		add(&s, GPA + PAGE, 2 * PAGE, 0, 0);
		break;
	case BAD_BEYOND: add(&s, GPA, 4 * PAGE, 0, PAGE); break;
	case BAD_FD_INDEX: add(&s, GPA, PAGE, 1, 0); break;
	case BAD_UNALIGNED_GPA: add(&s, GPA + 8, PAGE, 0, 0); break;
	case BAD_UNALIGNED_OFFSET: add(&s, GPA, PAGE, 0, 8); break;
	case BAD_ZERO: add(&s, GPA, 0, 0, 0); break;
	case BAD_ON_GICR: add(&s, SG_DEFAULT_GICR_BASE + GICR_FRAME_SIZE, PAGE, 0, 0); break;
	case BAD_ON_ITS: add(&s, SG_DEFAULT_ITS_BASE, PAGE, 0, 0); break;
	case BAD_PA_LIMIT: add(&s, (1ull << 52) - PAGE, 2 * PAGE, 0, 0); break;
	case BAD_OFFSET_OVERFLOW: add(&s, GPA, PAGE, 0, UINT64_MAX - PAGE + 1); break;
	case BAD_NOT_FILE:
		ck_assert_int_eq(pipe(p), 0);
		close(p[1]);
		s.fds[s.nfds++] = p[0];
		add(&s, GPA, PAGE, 1, 0);
		break;
	case BAD_NR: break;
	}
	before = count_fds();
	ck_assert_int_eq(map(&s, &r, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_eq(r.nr_regions, 0);
	ck_assert_uint_eq(r.nr_fds, 0);
	/* The fds it was given are closed even on failure. */
	ck_assert_uint_eq(count_fds(), before);
	cleanup(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest-ram");
	TCase *tc = tcase_create("guest-ram");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_read_inside_and_out);
	tcase_add_test(tc, test_shrunk_memfd);
	tcase_add_loop_test(tc, test_bad_regions, 0, BAD_NR);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
