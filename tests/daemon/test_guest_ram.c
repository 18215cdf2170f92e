// SPDX-License-Identifier: MIT
/*
 * gicd-server/guest_ram.c on its own: region checks, the bounds-checked
 * reader, a memfd shrunk under the mapping, and the writable windows the
 * ITS writes its tables through (exact ranges, LRU eviction, owners).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_run.h"
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

/* Lines in /proc/self/maps: every window is a mapping of its own. */
static unsigned count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned n = 0;
	int c;

	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

START_TEST(test_rw_windows)
{
	struct ram_setup s;
	struct guest_ram r;
	const char *why = "";
	unsigned char buf[64], back[64];
	uint32_t own = 7;

	setup(&s, 4 * PAGE);
	add(&s, GPA, 2 * PAGE, 0, 0);
	add(&s, GPA + 2 * PAGE, 2 * PAGE, 0, 2 * PAGE);
	ck_assert_msg(map(&s, &r, &why) == 0, "%s", why);
	memset(buf, 0x5A, sizeof(buf));
	/* Read-only until a window exists. */
	ck_assert_int_eq(guest_ram_write(&r, GPA + 100, buf, 8), -EPERM);
	ck_assert(!guest_ram_writable(&r, GPA + 100, 8));
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA + 100, 50, own), 0);
	ck_assert_uint_eq(r.nr_windows, 1);
	/* Inside: written to the shared memory, seen by reads and by the fd. */
	ck_assert_int_eq(guest_ram_write(&r, GPA + 100, buf, 50), 0);
	ck_assert_int_eq(guest_ram_read(&r, GPA + 100, back, 50), 0);
	ck_assert_mem_eq(back, buf, 50);
	ck_assert_int_eq(pread(s.fds[0], back, 50, 100), 50);
	ck_assert_mem_eq(back, buf, 50);
	/* The window is the exact range, not the page around it. */
	ck_assert_int_eq(guest_ram_write(&r, GPA + 99, buf, 1), -EPERM);
	ck_assert_int_eq(guest_ram_write(&r, GPA + 146, buf, 8), -EPERM);
	ck_assert_int_eq(guest_ram_write(&r, GPA + 150, buf, 1), -EPERM);
	ck_assert_int_eq(guest_ram_write(&r, GPA + 149, buf, 1), 0);
	ck_assert_int_eq(guest_ram_write(&r, GPA + 100, buf, 0), -EPERM);
	ck_assert_int_eq(guest_ram_write(&r, UINT64_MAX - 2, buf, 8), -EPERM);
	ck_assert_uint_eq(pread(s.fds[0], back, 1, 99), 1);
	ck_assert_uint_eq(back[0], 0);
	/* Ranges a window cannot have. */
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA, 0, own), -EINVAL);
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA - PAGE, 8, own), -EFAULT);
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA + 4 * PAGE, 8, own), -EFAULT);
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA + 2 * PAGE - 8, 16, own), -EFAULT);
	ck_assert_int_eq(guest_ram_map_rw(&r, UINT64_MAX - 8, 16, own), -EFAULT);
	ck_assert_uint_eq(r.nr_windows, 1);
	/* A window in the second region, with its file offset. */
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA + 3 * PAGE + 8, 8, own + 1), 0);
	ck_assert_int_eq(guest_ram_write(&r, GPA + 3 * PAGE + 8, buf, 8), 0);
	ck_assert_int_eq(pread(s.fds[0], back, 8, 3 * PAGE + 8), 8);
	ck_assert_mem_eq(back, buf, 8);
	/* Same owner, covered range: reused. */
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA + 110, 10, own), 0);
	ck_assert_uint_eq(r.nr_windows, 2);
	ck_assert_uint_eq(r.stats.rw_reuses, 1);
	/* Unmapping needs the owner and the exact range. */
	ck_assert_uint_eq(guest_ram_unmap_rw(&r, GPA + 100, 50, own + 1), 0);
	ck_assert_uint_eq(guest_ram_unmap_rw(&r, GPA + 100, 49, own), 0);
	ck_assert_uint_eq(guest_ram_unmap_rw(&r, GPA + 100, 50, own), 1);
	ck_assert_int_eq(guest_ram_write(&r, GPA + 100, buf, 8), -EPERM);
	ck_assert_uint_eq(guest_ram_unmap_owner(&r, own + 1), 1);
	ck_assert_uint_eq(r.nr_windows, 0);
	guest_ram_unmap(&r);
	cleanup(&s);
}
END_TEST

START_TEST(test_rw_lru_and_detach)
{
	struct ram_setup s;
	struct guest_ram r;
	const char *why = "";
	unsigned char b = 1;
	unsigned maps_before;

	setup(&s, 2 * PAGE);
	add(&s, GPA, 2 * PAGE, 0, 0);
	ck_assert_msg(map(&s, &r, &why) == 0, "%s", why);
	maps_before = count_maps();
	for (unsigned i = 0; i < GUEST_RAM_MAX_WINDOWS; i++)
		ck_assert_int_eq(guest_ram_map_rw(&r, GPA + i, 1, i), 0);
	ck_assert_uint_eq(r.nr_windows, GUEST_RAM_MAX_WINDOWS);
	ck_assert_uint_ge(count_maps(), maps_before + GUEST_RAM_MAX_WINDOWS / 2);
	/* Use window 0: window 1 is now the least recently used. */
	ck_assert_int_eq(guest_ram_write(&r, GPA, &b, 1), 0);
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA + PAGE, 1, 999), 0);
	ck_assert_uint_eq(r.stats.rw_evictions, 1);
	ck_assert_uint_eq(r.nr_windows, GUEST_RAM_MAX_WINDOWS);
	ck_assert(guest_ram_writable(&r, GPA, 1));
	ck_assert(!guest_ram_writable(&r, GPA + 1, 1));
	ck_assert(guest_ram_writable(&r, GPA + 2, 1));
	ck_assert(guest_ram_writable(&r, GPA + PAGE, 1));
	/* Detach unmaps every window. */
	guest_ram_unmap(&r);
	ck_assert_uint_eq(r.nr_windows, 0);
	ck_assert_uint_le(count_maps(), maps_before);
	ck_assert_int_eq(guest_ram_write(&r, GPA, &b, 1), -EPERM);
	cleanup(&s);
}
END_TEST

START_TEST(test_rw_shrunk_and_sealed)
{
	struct ram_setup s;
	struct guest_ram r;
	const char *why = "";
	unsigned char b = 1;

	setup(&s, 4 * PAGE);
	add(&s, GPA, 4 * PAGE, 0, 0);
	ck_assert_msg(map(&s, &r, &why) == 0, "%s", why);
	ck_assert_int_eq(guest_ram_map_rw(&r, GPA + 3 * PAGE, 16, 1), 0);
	ck_assert_int_eq(ftruncate(s.fds[0], PAGE), 0);
	/* Writing into the lost page: -EFAULT, not SIGBUS; and again. */
	ck_assert_int_eq(guest_ram_write(&r, GPA + 3 * PAGE, &b, 1), -EFAULT);
	ck_assert_int_eq(guest_ram_write(&r, GPA + 3 * PAGE + 8, &b, 1), -EFAULT);
	ck_assert_uint_eq(r.stats.write_fault, 2);
	guest_ram_unmap(&r);
	cleanup(&s);

	/* A VMM that sealed its memfd against writes: no window can be made. */
	memset(&s, 0, sizeof(s));
	harness_shape(&s.shape, 2, 64, 1);
	s.fds[0] = memfd_create("sealed-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(s.fds[0], 0);
	s.nfds = 1;
	ck_assert_int_eq(ftruncate(s.fds[0], PAGE), 0);
	ck_assert_int_eq(fcntl(s.fds[0], F_ADD_SEALS, F_SEAL_WRITE), 0);
	add(&s, GPA, PAGE, 0, 0);
	ck_assert_msg(map(&s, &r, &why) == 0, "%s", why);
	ck_assert_int_lt(guest_ram_map_rw(&r, GPA, 8, 1), 0);
	ck_assert_uint_eq(r.nr_windows, 0);
	ck_assert_int_eq(guest_ram_write(&r, GPA, &b, 1), -EPERM);
	guest_ram_unmap(&r);
	cleanup(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest-ram");
	TCase *tc = tcase_create("guest-ram");

	tcase_add_test(tc, test_read_inside_and_out);
	tcase_add_test(tc, test_shrunk_memfd);
	tcase_add_loop_test(tc, test_bad_regions, 0, BAD_NR);
	tcase_add_test(tc, test_rw_windows);
	tcase_add_test(tc, test_rw_lru_and_detach);
	tcase_add_test(tc, test_rw_shrunk_and_sealed);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
