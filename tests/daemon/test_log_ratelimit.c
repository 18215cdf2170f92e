// SPDX-License-Identifier: MIT
/*
 * A guest that hammers bad registers must not flood the journal: the real
 * gicd-server takes 20000 bad GICD accesses (a reserved offset, a width the
 * register does not allow) from one vCPU and 20000 failing ITS commands
 * (INT for a DeviceID no device table holds) from another, and
 *
 *  - writes at most (burst + 1) lines per rate window per call site while
 *    it does: the bound is computed from the time the hammering took, as
 *    measured around it, never a time limit;
 *  - reports what it held back ("N similar messages suppressed") once the
 *    next window opens, and those numbers plus the lines let through add up
 *    to every access made;
 *  - counts every one of them exactly (the SIGUSR1 counters).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "gic_regs.h"
#include "harness.h"
#include "mmio_chan.h"
#include "splitgic/attach.h"

#define NR_BAD	   20000u
#define RAM_GPA	   0x40000000ull
#define RAM_SIZE   (1ull << 20)
#define CMDQ_GPA   (RAM_GPA + 0x10000)
#define CMDQ_BYTES 4096u /* GITS_CBASER.Size 0: one 4 KiB page */
/* sg_reject_log(): common/log.h */
#define BURST	    10u
#define INTERVAL_MS 1000u
/* Call sites the hammering reaches: dist_regs.c ignored(), its_cmd.c fail(). */
#define NR_SITES 2u

/* What identifies each site's lines. */
#define GICD_NEEDLE "vCPU 0: GICD write of"
#define ITS_NEEDLE  "its0: command 0x03 at CREADR"
#define SUPPRESSED  "similar messages suppressed"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct rig {
	struct harness_daemon d;
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct mmio_chan ch[2];
	int memfd;
	uint8_t *ram;
	uint32_t cwriter; /* ITS commands made to run so far, as a queue offset */
};

static void post(struct rig *r, unsigned vcpu, uint64_t addr, unsigned size, uint64_t val)
{
	int rc = mmio_chan_post(&r->ch[vcpu], addr, size, val);

	ck_assert_msg(rc == 0, "posted write of 0x%" PRIx64 ": %s", addr, strerror(-rc));
}

static uint64_t call(struct rig *r, unsigned vcpu, uint64_t addr, unsigned size)
{
	uint64_t v = 0;
	int rc = mmio_chan_call(&r->ch[vcpu], addr, size, false, &v);

	ck_assert_msg(rc == 0, "read of 0x%" PRIx64 ": %s", addr, strerror(-rc));
	return v;
}

/* Every posted write sent before it is applied when a read returns
 * (DESIGN §4.2): one read per channel. */
static void fence(struct rig *r)
{
	ck_assert_uint_eq(call(r, 0, r->shape.map.gicd_base + GICD_IIDR, 4), SG_IIDR);
	ck_assert_uint_eq(call(r, 1, r->shape.map.its_base[0] + GITS_IIDR, 4), SG_IIDR);
}

static void rig_start(struct rig *r)
{
	struct sg_ram_desc ram;
	char err[256] = "";
	uint64_t *q;
	int rc;

	memset(r, 0, sizeof(*r));
	harness_daemon_start(&r->d, NULL);
	harness_shape(&r->shape, 2, 64, 1);
	r->memfd = harness_memfd(RAM_SIZE);
	r->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	ck_assert_ptr_ne(r->ram, MAP_FAILED);
	ram = (struct sg_ram_desc){ .gpa = RAM_GPA, .size = RAM_SIZE, .fd = r->memfd };
	rc = sg_attach(r->d.control_path, "test", &r->shape, &ram, 1, NULL, 0,
		       10000 * (int)harness_timeout_scale(), &r->att, err, sizeof(err));
	ck_assert_msg(rc == 0, "attach failed (%d): %s", rc, err);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(mmio_chan_init(&r->ch[i], i), 0);
		r->ch[i].fd = r->att.mmio_fd[i];
	}
	/* The queue full of INT DeviceID 7: no device table, so DEVICE_OOR. */
	q = (uint64_t *)(r->ram + (CMDQ_GPA - RAM_GPA));
	for (unsigned i = 0; i < CMDQ_BYTES / GITS_CMD_SIZE; i++) {
		q[4 * i] = GITS_CMD_INT | (7ull << 32);
		q[4 * i + 1] = q[4 * i + 2] = q[4 * i + 3] = 0;
	}
	post(r, 1, r->shape.map.its_base[0] + GITS_CBASER, 8, GITS_CBASER_VALID | CMDQ_GPA);
	post(r, 1, r->shape.map.its_base[0] + GITS_CTLR, 4, GITS_CTLR_ENABLED);
	fence(r);
}

/* One ITS command more: CWRITER moves one slot. */
static void run_one_command(struct rig *r)
{
	r->cwriter = (r->cwriter + GITS_CMD_SIZE) % CMDQ_BYTES;
	post(r, 1, r->shape.map.its_base[0] + GITS_CWRITER, 8, r->cwriter);
}

/* Bad GICD access i: a reserved offset, or a 2-byte write of GICD_CTLR. */
static void bad_gicd(struct rig *r, unsigned i)
{
	if (i % 2)
		post(r, 0, r->shape.map.gicd_base + GICD_CTLR, 2, 0);
	else
		post(r, 0, r->shape.map.gicd_base + 0x20, 4, 0);
}

/* The log as lines, from line `from` on. */
static char **log_lines(const struct harness_daemon *d, unsigned from, unsigned *n)
{
	FILE *f = fopen(d->log_path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0, len = 0, alloc = 0;
	unsigned k = 0;

	ck_assert_msg(f, "cannot open %s", d->log_path);
	while (getline(&line, &alloc, f) > 0) {
		if (k++ < from)
			continue;
		if (len == cap) {
			cap = cap ? 2 * cap : 256;
			v = realloc(v, cap * sizeof(*v));
			ck_assert_ptr_nonnull(v);
		}
		v[len++] = strdup(line);
	}
	free(line);
	fclose(f);
	*n = (unsigned)len;
	return v;
}

static void free_lines(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static unsigned log_total(const struct harness_daemon *d)
{
	unsigned n;
	char **v = log_lines(d, 0, &n);

	free_lines(v, n);
	return n;
}

/* The number after `key` in the last line containing `prefix`. */
static uint64_t counter(const struct harness_daemon *d, const char *prefix, const char *key)
{
	unsigned n;
	char **v = log_lines(d, 0, &n);
	uint64_t val = UINT64_MAX;

	for (unsigned i = 0; i < n; i++) {
		const char *p = strstr(v[i], prefix), *k;

		if (p && (k = strstr(p, key)))
			val = strtoull(k + strlen(key), NULL, 10);
	}
	free_lines(v, n);
	ck_assert_msg(val != UINT64_MAX, "no \"%s ... %s\" in the log", prefix, key);
	return val;
}

/* SIGUSR1, then the log's counters lines (the last one printed is its0's). */
static void dump_counters(struct rig *r)
{
	unsigned before = harness_log_count(&r->d, "counters its0:");

	ck_assert_int_eq(kill(r->d.pid, SIGUSR1), 0);
	/* A safety net against a hung daemon, not a time limit on it. */
	for (unsigned i = 0; i < 6000 * harness_timeout_scale(); i++) {
		if (harness_log_count(&r->d, "counters its0:") > before)
			return;
		usleep(10000);
	}
	ck_abort_msg("no counters after SIGUSR1");
}

struct site_lines {
	uint64_t printed;    /* the site's own lines */
	uint64_t suppressed; /* sum of the "N suppressed" reported before them */
	unsigned reports;    /* "suppressed" lines */
};

/* Attributes each "suppressed" line to the site whose line follows it (the
 * rate limiter writes the two back to back; the daemon has one thread). */
static void tally(char **v, unsigned n, struct site_lines *gicd, struct site_lines *its,
		  unsigned *others)
{
	memset(gicd, 0, sizeof(*gicd));
	memset(its, 0, sizeof(*its));
	*others = 0;
	for (unsigned i = 0; i < n; i++) {
		struct site_lines *s = strstr(v[i], GICD_NEEDLE)  ? gicd
				       : strstr(v[i], ITS_NEEDLE) ? its
								  : NULL;
		const char *p = strstr(v[i], SUPPRESSED), *num;

		if (s) {
			s->printed++;
			continue;
		}
		if (!p) {
			(*others)++;
			continue;
		}
		ck_assert_msg(i + 1 < n, "\"suppressed\" is the last line");
		s = strstr(v[i + 1], GICD_NEEDLE)  ? gicd
		    : strstr(v[i + 1], ITS_NEEDLE) ? its
						   : NULL;
		ck_assert_msg(s, "\"%s\" is followed by \"%s\"", v[i], v[i + 1]);
		/* "...: warning: N similar messages suppressed" */
		num = p;
		while (num > v[i] && num[-1] == ' ')
			num--;
		while (num > v[i] && num[-1] >= '0' && num[-1] <= '9')
			num--;
		s->suppressed += strtoull(num, NULL, 10);
		s->reports++;
	}
}

START_TEST(test_hammer_is_rate_limited)
{
	struct rig r;
	struct site_lines gicd, its;
	unsigned base, n, others;
	uint64_t t0, t1, windows, bound;
	char **v;

	rig_start(&r);
	base = log_total(&r.d);
	ck_assert_uint_eq(harness_log_count(&r.d, GICD_NEEDLE), 0);
	ck_assert_uint_eq(harness_log_count(&r.d, ITS_NEEDLE), 0);

	t0 = now_ns();
	for (unsigned i = 0; i < NR_BAD; i++) {
		bad_gicd(&r, i);
		run_one_command(&r);
	}
	fence(&r); /* every one of them was applied and logged (or not) */
	t1 = now_ns();

	/* The daemon's windows all lie inside [t0, t1]: each starts at least
	 * INTERVAL_MS after the one before (its clock is in whole ms: allow
	 * one less), so at most elapsed / (INTERVAL_MS - 1) + 1 of them. */
	windows = (t1 - t0) / ((INTERVAL_MS - 1) * 1000000ull) + 1;
	bound = (BURST + 1) * windows * NR_SITES;
	v = log_lines(&r.d, base, &n);
	tally(v, n, &gicd, &its, &others);
	ck_assert_msg(gicd.printed + its.printed + gicd.reports + its.reports <= bound,
		      "%" PRIu64 " + %" PRIu64 " lines (+ %u + %u suppressed reports) for %u bad "
		      "accesses and %u ITS errors in %" PRIu64 " ms: more than %" PRIu64,
		      gicd.printed, its.printed, gicd.reports, its.reports, NR_BAD, NR_BAD,
		      (t1 - t0) / 1000000u, bound);
	ck_assert_uint_ge(gicd.printed, 1);
	ck_assert_uint_ge(its.printed, 1);
	free_lines(v, n);

	/* Once a new window opens, the next line of each site first says how
	 * many were held back.  The last window started before t1. */
	usleep((INTERVAL_MS + 50) * 1000);
	bad_gicd(&r, 0);
	run_one_command(&r);
	fence(&r);
	v = log_lines(&r.d, base, &n);
	tally(v, n, &gicd, &its, &others);
	ck_assert_uint_ge(gicd.reports, 1);
	ck_assert_uint_ge(its.reports, 1);
	ck_assert_uint_eq(gicd.printed + gicd.suppressed, NR_BAD + 1);
	ck_assert_uint_eq(its.printed + its.suppressed, NR_BAD + 1);
	free_lines(v, n);

	/* The counters are never rate-limited. */
	dump_counters(&r);
	ck_assert_uint_eq(counter(&r.d, "counters dist:", "reserved "), NR_BAD / 2 + 1);
	ck_assert_uint_eq(counter(&r.d, "counters dist:", "bad width "), NR_BAD / 2);
	ck_assert_uint_eq(counter(&r.d, "counters its0:", "errors "), NR_BAD + 1);
	ck_assert_uint_eq(counter(&r.d, "counters its0:", "commands "), NR_BAD + 1);
	ck_assert_uint_eq(counter(&r.d, "counters core:", "ignored "), NR_BAD + 1);

	ck_assert_int_eq(harness_daemon_stop(&r.d), 0);
	for (unsigned i = 0; i < 2; i++)
		mmio_chan_fini(&r.ch[i]);
	sg_attachment_close(&r.att);
	munmap(r.ram, RAM_SIZE);
	close(r.memfd);
}
END_TEST

static Suite *ratelimit_suite(void)
{
	Suite *s = suite_create("log-ratelimit");
	TCase *tc = tcase_create("hammer");

	tcase_set_timeout(tc, 0); /* meson's timeout is the safety net */
	tcase_add_test(tc, test_hammer_is_rate_limited);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(ratelimit_suite());
}
