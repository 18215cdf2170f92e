// SPDX-License-Identifier: MIT
/* The test device's register semantics and its stream generator, against
 * fake interrupt outputs that record every call. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "check_run.h"
#include "testdev.h"

#define BASE	  64u
#define MAX_CALLS 1024

enum call_kind { C_LINE, C_PULSE, C_MSI, C_EXIT };

struct call {
	enum call_kind kind;
	uint32_t a, b;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct call calls[MAX_CALLS];
	unsigned n;
	int64_t now;
} rec = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static struct testdev d;
static uint64_t latch;

static void record(enum call_kind k, uint32_t a, uint32_t b)
{
	pthread_mutex_lock(&rec.lock);
	if (rec.n < MAX_CALLS)
		rec.calls[rec.n++] = (struct call){ k, a, b };
	pthread_cond_broadcast(&rec.cond);
	pthread_mutex_unlock(&rec.lock);
}

static int f_line(void *ctx, uint32_t intid, bool level)
{
	(void)ctx;
	record(C_LINE, intid, level);
	return 0;
}

static int f_pulse(void *ctx, uint32_t intid)
{
	(void)ctx;
	record(C_PULSE, intid, 0);
	return 0;
}

static int f_msi(void *ctx, uint32_t dev, uint32_t ev)
{
	(void)ctx;
	record(C_MSI, dev, ev);
	return 0;
}

static void f_exit(void *ctx, uint32_t status)
{
	(void)ctx;
	record(C_EXIT, status, 0);
}

static int64_t f_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	if (rec.now)
		return rec.now;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const struct testdev_ops ops = { f_line, f_pulse, f_msi, f_exit, f_now, NULL };

static void setup(void)
{
	rec.n = 0;
	rec.now = 0;
	latch = 0;
	testdev_init(&d, &ops, BASE, 32);
}

static void teardown(void)
{
	testdev_fini(&d);
}

static uint32_t rd(uint32_t off)
{
	return (uint32_t)testdev_read(&d, off, 4, &latch);
}

static void wr(uint32_t off, uint32_t v)
{
	testdev_write(&d, off, 4, v);
}

static void expect(unsigned i, enum call_kind k, uint32_t a, uint32_t b)
{
	ck_assert_uint_gt(rec.n, i);
	ck_assert_int_eq(rec.calls[i].kind, k);
	ck_assert_uint_eq(rec.calls[i].a, a);
	ck_assert_uint_eq(rec.calls[i].b, b);
}

/* Waits for the stream thread to make n calls: no timing assumption, only
 * a generous ceiling so a broken generator fails instead of hanging. */
static void wait_calls(unsigned n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	pthread_mutex_lock(&rec.lock);
	while (rec.n < n)
		if (pthread_cond_timedwait(&rec.cond, &rec.lock, &ts))
			break;
	pthread_mutex_unlock(&rec.lock);
	ck_assert_uint_ge(rec.n, n);
}

/* The generator counts an interrupt just after raising it. */
static void wait_ack(uint32_t n)
{
	struct timespec pause = { 0, 1000000 };

	for (unsigned i = 0; i < 60000 && rd(TD_ACK_COUNT) < n; i++)
		nanosleep(&pause, NULL);
	ck_assert_uint_eq(rd(TD_ACK_COUNT), n);
}

START_TEST(identification)
{
	ck_assert_uint_eq(rd(TD_ID), 0x53475444);
	ck_assert_uint_eq(rd(TD_VERSION), 1);
	ck_assert_uint_eq(rd(TD_SPI_BASE), 64);
	ck_assert_uint_eq(rd(TD_SPI_COUNT), 32);
	/* Unlisted offsets read as zero; write-only ones too. */
	ck_assert_uint_eq(rd(0x0c), 0);
	ck_assert_uint_eq(rd(TD_EXIT), 0);
	ck_assert_uint_eq(rd(TD_MSI_SEND), 0);
	ck_assert_uint_eq(rd(0xffc), 0);
	/* Read-only registers ignore writes. */
	wr(TD_ID, 0);
	wr(TD_SPI_BASE, 5);
	ck_assert_uint_eq(rd(TD_ID), 0x53475444);
	ck_assert_uint_eq(rd(TD_SPI_BASE), 64);
	ck_assert_uint_eq(rec.n, 0);
}
END_TEST

START_TEST(lines)
{
	wr(TD_LINE_SET, 3);
	expect(0, C_LINE, BASE + 3, 1);
	ck_assert_uint_eq(rd(TD_LINE_STATE), 1u << 3);
	/* Already high: no second message. */
	wr(TD_LINE_SET, 3);
	ck_assert_uint_eq(rec.n, 1);
	wr(TD_LINE_SET, 31);
	expect(1, C_LINE, BASE + 31, 1);
	ck_assert_uint_eq(rd(TD_LINE_STATE), (1u << 3) | (1u << 31));
	wr(TD_LINE_CLEAR, 3);
	expect(2, C_LINE, BASE + 3, 0);
	ck_assert_uint_eq(rd(TD_LINE_STATE), 1u << 31);
	wr(TD_LINE_CLEAR, 3);
	ck_assert_uint_eq(rec.n, 3);
	/* A pulse leaves the state alone. */
	wr(TD_LINE_PULSE, 7);
	expect(3, C_PULSE, BASE + 7, 0);
	ck_assert_uint_eq(rd(TD_LINE_STATE), 1u << 31);
	/* Lines beyond 31 do not exist. */
	wr(TD_LINE_SET, 32);
	wr(TD_LINE_PULSE, 1000);
	wr(TD_LINE_CLEAR, 0xffffffff);
	ck_assert_uint_eq(rec.n, 4);
	ck_assert_uint_eq(d.rejected, 3);
}
END_TEST

START_TEST(msi_and_exit)
{
	ck_assert_uint_eq(rd(TD_MSI_DEVICE), 0x10); /* the DT's msi-parent DeviceID */
	wr(TD_MSI_DEVICE, 0x1234);
	ck_assert_uint_eq(rd(TD_MSI_DEVICE), 0x1234);
	wr(TD_MSI_SEND, 77);
	expect(0, C_MSI, 0x1234, 77);
	wr(TD_EXIT, 3);
	expect(1, C_EXIT, 3, 0);
}
END_TEST

START_TEST(widths_and_now)
{
	rec.now = 0x123456789abcdef0ll;
	/* A 64-bit read split in halves, low first, reads one value. */
	ck_assert_uint_eq(testdev_read(&d, TD_NOW_NS, 4, &latch), 0x9abcdef0u);
	rec.now = 0x7fffffffffffffffll;
	ck_assert_uint_eq(testdev_read(&d, TD_NOW_NS + 4, 4, &latch), 0x12345678u);
	ck_assert_uint_eq(testdev_read(&d, TD_NOW_NS, 8, &latch), 0x7fffffffffffffffull);
	/* Other widths and misaligned accesses: RAZ/WI, counted. */
	ck_assert_uint_eq(testdev_read(&d, TD_ID, 2, &latch), 0);
	ck_assert_uint_eq(testdev_read(&d, TD_ID + 1, 4, &latch), 0);
	testdev_write(&d, TD_LINE_SET, 1, 2);
	testdev_write(&d, TD_EXIT, 8, 2);
	ck_assert_uint_eq(rec.n, 0);
	ck_assert_uint_eq(d.rejected, 4);
}
END_TEST

START_TEST(stream_registers)
{
	wr(TD_STREAM_LINE, 31);
	wr(TD_STREAM_KIND, 1);
	wr(TD_STREAM_PERIOD_US, 50);
	ck_assert_uint_eq(rd(TD_STREAM_LINE), 31);
	ck_assert_uint_eq(rd(TD_STREAM_KIND), 1);
	ck_assert_uint_eq(rd(TD_STREAM_PERIOD_US), 50);
	wr(TD_STREAM_LINE, 32);
	wr(TD_STREAM_KIND, 2);
	ck_assert_uint_eq(rd(TD_STREAM_LINE), 31);
	ck_assert_uint_eq(rd(TD_STREAM_KIND), 1);
	/* No thread: the count stays where it was written. */
	wr(TD_STREAM_COUNT, 5);
	ck_assert_uint_eq(rd(TD_STREAM_COUNT), 5);
	ck_assert_uint_eq(rd(TD_ACK_COUNT), 0);
	ck_assert_uint_eq(rec.n, 0);
}
END_TEST

START_TEST(stream_msis)
{
	ck_assert_int_eq(testdev_start(&d), 0);
	wr(TD_MSI_DEVICE, 0x10);
	wr(TD_STREAM_KIND, TD_KIND_MSI);
	wr(TD_STREAM_COUNT, 300);
	wait_calls(300);
	/* EventIDs are the stream's running count modulo 256. */
	for (unsigned i = 0; i < 300; i++)
		expect(i, C_MSI, 0x10, i % 256);
	wait_ack(300);
	ck_assert_uint_eq(rd(TD_STREAM_COUNT), 0);
	/* A new stream counts from zero again; ACK_COUNT is cumulative. */
	wr(TD_STREAM_COUNT, 2);
	wait_calls(302);
	expect(300, C_MSI, 0x10, 0);
	expect(301, C_MSI, 0x10, 1);
	wait_ack(302);
	ck_assert_uint_eq(rec.n, 302);
}
END_TEST

START_TEST(stream_edges_paced)
{
	ck_assert_int_eq(testdev_start(&d), 0);
	wr(TD_STREAM_LINE, 31);
	wr(TD_STREAM_KIND, TD_KIND_EDGE);
	wr(TD_STREAM_PERIOD_US, 100);
	wr(TD_STREAM_COUNT, 20);
	wait_calls(20);
	for (unsigned i = 0; i < 20; i++)
		expect(i, C_PULSE, BASE + 31, 0);
	wait_ack(20);
	ck_assert_uint_eq(rd(TD_STREAM_COUNT), 0);
}
END_TEST

static Suite *testdev_suite(void)
{
	Suite *s = suite_create("vm-testdev");
	TCase *tc = tcase_create("testdev");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identification);
	tcase_add_test(tc, lines);
	tcase_add_test(tc, msi_and_exit);
	tcase_add_test(tc, widths_and_now);
	tcase_add_test(tc, stream_registers);
	tcase_add_test(tc, stream_msis);
	tcase_add_test(tc, stream_edges_paced);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(testdev_suite());
}
