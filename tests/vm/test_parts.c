// SPDX-License-Identifier: MIT
/* Smaller parts of splitgic-vm: the virtual clock and timer, option
 * parsing, the latency records. */
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "latency.h"
#include "log.h"
#include "options.h"
#include "vtimer.h"

/* ----------------------------------------------------------- the clock */

START_TEST(clock_and_jumps)
{
	struct vclock c;

	vclock_init(&c, 1000000);
	ck_assert_int_eq(vclock_ns(&c, 1000000), 0);
	ck_assert_uint_eq(vclock_ticks(&c, 1000000 + 160), 10); /* 16 ns per tick */
	/* Jumps only go forward. */
	vclock_advance_to_ticks(&c, 1000000 + 160, 1000);
	ck_assert_uint_eq(vclock_ticks(&c, 1000000 + 160), 1000);
	vclock_advance_to_ticks(&c, 1000000 + 160, 500);
	ck_assert_uint_eq(vclock_ticks(&c, 1000000 + 160), 1000);
	/* After a jump, the clock keeps running with the host. */
	ck_assert_uint_eq(vclock_ticks(&c, 1000000 + 160 + 1600), 1100);
	/* A deadline beyond the representable end of time is never reached. */
	vclock_advance_to_ticks(&c, 1000000, UINT64_MAX);
	ck_assert_uint_eq(vclock_ticks(&c, 1000000 + 160), 1000);
}
END_TEST

START_TEST(timer_registers)
{
	struct vtimer t = { 0 };
	uint64_t dl;

	/* Disabled: no condition, no deadline, no line. */
	t.cval = 100;
	ck_assert(!vtimer_line(&t, 200));
	ck_assert_uint_eq(vtimer_read_ctl(&t, 200), 0);
	ck_assert(!vtimer_deadline(&t, &dl));
	vtimer_write_ctl(&t, CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS | 0xf0);
	ck_assert_uint_eq(t.ctl, CNTV_CTL_ENABLE); /* ISTATUS is read-only */
	ck_assert(!vtimer_line(&t, 99));
	ck_assert(vtimer_line(&t, 100));
	ck_assert_uint_eq(vtimer_read_ctl(&t, 99), CNTV_CTL_ENABLE);
	ck_assert_uint_eq(vtimer_read_ctl(&t, 100), CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS);
	ck_assert(vtimer_deadline(&t, &dl));
	ck_assert_uint_eq(dl, 100);
	/* IMASK: ISTATUS stays, the line drops, no deadline to wait for. */
	vtimer_write_ctl(&t, CNTV_CTL_ENABLE | CNTV_CTL_IMASK);
	ck_assert(!vtimer_line(&t, 200));
	ck_assert_uint_eq(vtimer_read_ctl(&t, 200),
			  CNTV_CTL_ENABLE | CNTV_CTL_IMASK | CNTV_CTL_ISTATUS);
	ck_assert(!vtimer_deadline(&t, &dl));
	/* TVAL: signed 32-bit view of CVAL - count. */
	vtimer_write_tval(&t, 1000, 500);
	ck_assert_uint_eq(t.cval, 1500);
	ck_assert_uint_eq(vtimer_read_tval(&t, 1000), 500);
	ck_assert_int_eq((int32_t)vtimer_read_tval(&t, 1600), -100);
	ck_assert_uint_eq(vtimer_read_tval(&t, 1600) >> 32, 0);
	vtimer_write_tval(&t, 1000, 0xffffff9cull); /* -100 */
	ck_assert_uint_eq(t.cval, 900);
}
END_TEST

/* ----------------------------------------------------------- options */

static int parse(struct options *o, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	FILE *devnull = fopen("/dev/null", "w");
	int rc;

	argv[argc++] = (char *)"splitgic-vm";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	rc = options_parse(o, argc, argv, devnull);
	fclose(devnull);
	return rc;
}

START_TEST(options_defaults)
{
	struct options o;
	const char *a[] = { "x.elf", NULL };

	ck_assert_int_eq(parse(&o, a), 0);
	ck_assert_str_eq(o.image, "x.elf");
	ck_assert_uint_eq(o.cpus, 1);
	ck_assert_uint_eq(o.mem_mib, 256);
	ck_assert_uint_eq(o.lrs, 4);
	ck_assert_uint_ge(o.spis, 64);
	ck_assert_ptr_null(o.connect);
	ck_assert_str_eq(o.vm_name, "splitgic-vm");
	ck_assert(!o.has_load_iterations);
	ck_assert(!o.summary);
	ck_assert_int_eq(o.log_level, SG_LOG_WARNING);
}
END_TEST

START_TEST(options_values)
{
	struct options o;
	const char *a[] = { "--cpus",
			    "64",
			    "--mem",
			    "512",
			    "--lrs",
			    "16",
			    "--spis",
			    "960",
			    "--connect",
			    "/run/x.sock",
			    "--timeout",
			    "2.5",
			    "--load-iterations",
			    "77",
			    "--summary",
			    "--log-level",
			    "debug",
			    "y.bin",
			    NULL };

	ck_assert_int_eq(parse(&o, a), 0);
	ck_assert_uint_eq(o.cpus, 64);
	ck_assert_uint_eq(o.mem_mib, 512);
	ck_assert_uint_eq(o.lrs, 16);
	ck_assert_uint_eq(o.spis, 960);
	ck_assert_str_eq(o.connect, "/run/x.sock");
	ck_assert_str_eq(o.vm_name, ""); /* a systemd instance names itself */
	ck_assert(o.timeout_s == 2.5);
	ck_assert(o.has_load_iterations);
	ck_assert_uint_eq(o.load_iterations, 77);
	ck_assert(o.summary);
	ck_assert_uint_eq(o.restart_every_ms, 0);
	ck_assert_int_eq(o.log_level, SG_LOG_DEBUG);
	ck_assert_str_eq(o.image, "y.bin");
}
END_TEST

/* --restart-every and --first-restart (0 allowed: before the guest runs). */
START_TEST(options_restarts)
{
	struct options o;
	const char *every[] = { "--restart-every", "250", "y.bin", NULL };
	const char *first[] = { "--first-restart", "0", "--restart-every", "40", "y.bin", NULL };

	ck_assert_int_eq(parse(&o, every), 0);
	ck_assert_uint_eq(o.restart_every_ms, 250);
	ck_assert(!o.has_first_restart);
	ck_assert_int_eq(parse(&o, first), 0);
	ck_assert_uint_eq(o.restart_every_ms, 40);
	ck_assert(o.has_first_restart);
	ck_assert_uint_eq(o.first_restart_ms, 0);
}
END_TEST

START_TEST(options_errors)
{
	static const char *const bad[][4] = {
		{ NULL },
		{ "a", "b", NULL },
		{ "--cpus", "0", "a", NULL },
		{ "--cpus", "65", "a", NULL },
		{ "--cpus", "-1", "a", NULL },
		{ "--cpus", "4x", "a", NULL },
		{ "--mem", "0", "a", NULL },
		{ "--lrs", "17", "a", NULL },
		{ "--spis", "33", "a", NULL },
		{ "--spis", "32", "a", NULL }, /* the test device's lines need 64 */
		{ "--timeout", "0", "a", NULL },
		{ "--timeout", "soon", "a", NULL },
		{ "--load-iterations", "4294967296", "a", NULL },
		{ "--log-level", "loud", "a", NULL },
		{ "--bogus", "a", NULL },
		{ "--cpus", NULL },
		{ "--restart-every", "0", "a", NULL },
		{ "--restart-every", "3600001", "a", NULL },
		{ "--first-restart", "-1", "a", NULL },
		{ "--first-restart", "5", "a", NULL }, /* without --restart-every */
		{ "--connect", "/x", "--restart-every", "100" },
		{ "--connect", "/x", "--gicd-server", "/y" },
	};
	struct options o;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *a[6] = { 0 };

		memcpy(a, bad[i], sizeof(bad[i]));
		if (a[3])
			a[4] = "img"; /* the cases with two options */
		ck_assert_msg(parse(&o, a) == VM_EXIT_BAD_ARGS, "case %u accepted", i);
	}
}
END_TEST

/* ----------------------------------------------------------- latency */

START_TEST(latency_matching)
{
	struct latency l;

	ck_assert_int_eq(latency_init(&l, 8), 0);
	/* SPIs by INTID; a second raise before the ack keeps the first time. */
	latency_raise_spi(&l, 64, 1000);
	latency_raise_spi(&l, 64, 1500);
	latency_raise_spi(&l, 65, 2000);
	latency_ack(&l, 64, 3000);
	latency_ack(&l, 64, 3100); /* nothing outstanding: no sample */
	latency_ack(&l, 65, 2500);
	latency_ack(&l, 27, 2500); /* a PPI: not a device interrupt */
	ck_assert_uint_eq(l.spi.n, 2);
	ck_assert_uint_eq(l.spi.ns[0], 2000);
	ck_assert_uint_eq(l.spi.ns[1], 500);
	/* LPIs take the oldest MSI; raises past the expiry are dropped. */
	latency_raise_msi(&l, 1000);
	latency_raise_msi(&l, LAT_MSI_EXPIRY_NS + 5000);
	latency_ack(&l, 8192, LAT_MSI_EXPIRY_NS + 6000);
	ck_assert_uint_eq(l.lpi.n, 1);
	ck_assert_uint_eq(l.lpi.ns[0], 1000);
	ck_assert_uint_eq(l.msi_expired, 1);
	latency_ack(&l, 8193, LAT_MSI_EXPIRY_NS + 7000); /* none left */
	ck_assert_uint_eq(l.lpi.n, 1);
	/* The sample store is bounded. */
	for (unsigned i = 0; i < 20; i++) {
		latency_raise_spi(&l, 40, 10);
		latency_ack(&l, 40, 20);
	}
	ck_assert_uint_eq(l.spi.n, 8);
	ck_assert_uint_eq(l.spi.dropped, 14);
	latency_fini(&l);
}
END_TEST

START_TEST(percentiles)
{
	uint32_t v[100];
	struct lat_samples s = { v, 0, 100, 0 };

	ck_assert_uint_eq(lat_percentile(&s, 50), 0);
	for (unsigned i = 0; i < 100; i++)
		v[i] = 100 - i; /* 100 .. 1, unsorted */
	s.n = 100;
	ck_assert_uint_eq(lat_percentile(&s, 50), 50);
	ck_assert_uint_eq(lat_percentile(&s, 99), 99);
	ck_assert_uint_eq(lat_percentile(&s, 100), 100);
	ck_assert_uint_eq(lat_percentile(&s, 0), 1);
	s.n = 1;
	v[0] = 7;
	ck_assert_uint_eq(lat_percentile(&s, 99), 7);
}
END_TEST

static Suite *parts_suite(void)
{
	Suite *s = suite_create("vm-parts");
	TCase *tc = tcase_create("parts");

	tcase_add_test(tc, clock_and_jumps);
	tcase_add_test(tc, timer_registers);
	tcase_add_test(tc, options_defaults);
	tcase_add_test(tc, options_values);
	tcase_add_test(tc, options_restarts);
	tcase_add_test(tc, options_errors);
	tcase_add_test(tc, latency_matching);
	tcase_add_test(tc, percentiles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(parts_suite());
}
