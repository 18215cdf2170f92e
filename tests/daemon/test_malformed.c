// SPDX-License-Identifier: MIT
/*
 * Hostile input on the data channels (DESIGN §7): every kind of malformed
 * datagram is dropped and counted, in-sequence invalid messages consume
 * their sequence number, and the daemon keeps serving afterwards.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "daemon_util.h"
#include "gic_regs.h"

#define SPI(n)	    (GIC_SPI_BASE + (n))
#define PRIO(vm, n) gicd(vm, GICD_IPRIORITYR + SPI(n))

static void start(struct vm *vm)
{
	vm_start(vm, 2, 64, NULL);
}

/* Both channels still answer and the daemon is alive. */
static void assert_all_healthy(struct vm *vm)
{
	vm_assert_healthy(vm, 0);
	vm_assert_healthy(vm, 1);
}

static size_t pack_mmio(unsigned char *buf, size_t cap, uint64_t seq, uint64_t addr, unsigned size,
			bool write, bool posted, uint64_t data)
{
	Sg__Mmio m = SG__MMIO__INIT;
	Sg__Envelope env;
	ssize_t n;

	m.addr = addr;
	m.size = size;
	m.write = write;
	m.posted = posted;
	m.data = data;
	sg_envelope_init(&env);
	env.seq = seq;
	env.body_case = SG__ENVELOPE__BODY_MMIO;
	env.mmio = &m;
	n = sg_wire_pack(&env, buf, cap);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static void send_spi_level(struct vm *vm, uint64_t seq, uint32_t intid, bool level)
{
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Envelope env;

	l.intid = intid;
	l.level = level;
	sg_envelope_init(&env);
	env.seq = seq;
	env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
	env.spi_level = &l;
	send_env(vm->att.bus_fd, &env);
}

START_TEST(test_garbage)
{
	static const unsigned char junk[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct vm vm;

	start(&vm);
	send_raw(vm.ch[0].fd, junk, sizeof(junk), NULL, 0);
	send_raw(vm.att.bus_fd, "hello, world", 12, NULL, 0);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "mmio0: rejected message (seq 0): undecodable"),
			  1);
	ck_assert_uint_ge(harness_log_count(&vm.d, "bus: rejected message (seq 0): undecodable"),
			  1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_truncated)
{
	unsigned char buf[128];
	struct vm vm;
	size_t n;

	start(&vm);
	/* The channel's next seq, cut short: must not consume it. */
	n = pack_mmio(buf, sizeof(buf), vm.ch[0].next_seq, gicd(&vm, GICD_IIDR), 4, false, false,
		      0);
	send_raw(vm.ch[0].fd, buf, n - 1, NULL, 0);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "undecodable envelope"), 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_oversized)
{
	size_t len = SG_WIRE_MAX + 100;
	unsigned char *big = calloc(1, len);
	struct vm vm;

	ck_assert_ptr_nonnull(big);
	start(&vm);
	send_raw(vm.ch[1].fd, big, len, NULL, 0);
	free(big);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "mmio1: rejected message (seq 0): oversized"),
			  1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_empty)
{
	struct vm vm;

	start(&vm);
	send_raw(vm.ch[0].fd, "", 0, NULL, 0);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "empty datagram"), 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_wrong_version)
{
	struct vm vm;

	start(&vm);
	/* A read from "the future": dropped unanswered, its seq not consumed. */
	send_mmio(vm.ch[0].fd, SG_PROTO_VERSION + 1, vm.ch[0].next_seq, gicd(&vm, GICD_IIDR), 4,
		  false, false, 0);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "unsupported protocol version"), 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_unknown_body)
{
	/* version = 1, seq = 1, field 200 (length-delimited, empty): no known body. */
	static const unsigned char unknown[] = { 0x08, 0x01, 0x10, 0x01, 0xC2, 0x0C, 0x00 };
	struct vm vm;

	start(&vm);
	send_raw(vm.ch[0].fd, unknown, sizeof(unknown), NULL, 0);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "unknown or missing message type"), 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_wrong_channel)
{
	Sg__Deliver dl = SG__DELIVER__INIT;
	Sg__Hello hello = SG__HELLO__INIT;
	Sg__AddressMap am;
	Sg__Envelope env;
	struct vm vm;

	start(&vm);
	/* Deliver only travels daemon -> VMM. */
	dl.vcpu = 0;
	dl.intid = SPI(8);
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DELIVER;
	env.deliver = &dl;
	send_env(vm.att.bus_fd, &env);
	/* Hello belongs on the control socket. */
	sg_shape_to_hello(&vm.shape, &hello, &am);
	hello.proto_version = SG_PROTO_VERSION;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_HELLO;
	env.hello = &hello;
	send_env(vm.ch[1].fd, &env);
	/* An in-sequence Mmio on the bus consumes the bus's number. */
	send_mmio(vm.att.bus_fd, SG_PROTO_VERSION, vm.bus_seq++, gicd(&vm, GICD_IIDR), 4, false,
		  false, 0);
	send_spi_level(&vm, vm.bus_seq++, SPI(3), false);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "bus: rejected message (seq 0): message not "
						   "allowed on this channel"),
			  1);
	ck_assert_uint_ge(harness_log_count(&vm.d, "mmio1: rejected message (seq 0): message not "
						   "allowed on this channel"),
			  1);
	ck_assert_uint_ge(harness_log_count(&vm.d, "bus: rejected message (seq 1): message not "
						   "allowed on this channel"),
			  1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "bad sequence number"), 0);
	/* A reply to an Mmio never goes out on the bus. */
	ck_assert(!has_pending(vm.att.bus_fd));
	vm_stop(&vm);
}
END_TEST

START_TEST(test_out_of_range)
{
	uint64_t seq, data;
	Sg__MmioReply__Status st;
	struct vm vm;

	start(&vm);
	/* size 3: a waited read gets MALFORMED and consumes its number. */
	ck_assert_int_eq(vm_call_status(&vm, 0, gicd(&vm, GICD_IIDR), 3, false, 0, NULL),
			 SG__MMIO_REPLY__STATUS__MALFORMED);
	/* data wider than the access: posted, consumed, not applied. */
	send_mmio(vm.ch[0].fd, SG_PROTO_VERSION, vm.ch[0].next_seq++, PRIO(&vm, 8), 1, true, true,
		  0x1a5);
	ck_assert_uint_eq(vm_read(&vm, 0, PRIO(&vm, 8), 1), 0);
	/* A posted read: whoever sent it may wait, so it is answered MALFORMED. */
	seq = vm.ch[1].next_seq++;
	send_mmio(vm.ch[1].fd, SG_PROTO_VERSION, seq, gicd(&vm, GICD_IIDR), 4, false, true, 0);
	recv_reply(vm.ch[1].fd, &data, &data, &st);
	ck_assert_int_eq(st, SG__MMIO_REPLY__STATUS__MALFORMED);
	/* An SPI the VM does not have, on the bus: consumed. */
	send_spi_level(&vm, vm.bus_seq++, SPI(64), true);
	send_spi_level(&vm, vm.bus_seq++, SPI(63), false);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "field out of range"), 4);
	ck_assert_uint_ge(harness_log_count(&vm.d, "spi_level: not a configured SPI"), 1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "bad sequence number"), 0);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_seq_gap)
{
	struct vm vm;

	start(&vm);
	send_mmio(vm.ch[0].fd, SG_PROTO_VERSION, vm.ch[0].next_seq + 5, PRIO(&vm, 9), 1, true, true,
		  0x55);
	/* Not applied, and the expected number is unchanged. */
	ck_assert_uint_eq(vm_read(&vm, 0, PRIO(&vm, 9), 1), 0);
	send_spi_level(&vm, vm.bus_seq + 3, SPI(1), true);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "mmio0: rejected message (seq 6): bad sequence"),
			  1);
	ck_assert_uint_ge(harness_log_count(&vm.d, "bus: rejected message (seq 4): bad sequence"),
			  1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_seq_duplicate)
{
	uint64_t seq;
	struct vm vm;

	start(&vm);
	seq = vm.ch[0].next_seq;
	vm_post(&vm, 0, PRIO(&vm, 10), 1, 0x11);
	/* A replay of the same number with other data: dropped.  Then of a
	 * read: served again (a restarted daemon's vCPU asks again for a reply
	 * it lost), changing nothing. */
	send_mmio(vm.ch[0].fd, SG_PROTO_VERSION, seq, PRIO(&vm, 10), 1, true, true, 0x22);
	send_mmio(vm.ch[0].fd, SG_PROTO_VERSION, seq, gicd(&vm, GICD_IIDR), 4, false, false, 0);
	{
		uint64_t rseq, data;
		Sg__MmioReply__Status st;

		recv_reply(vm.ch[0].fd, &rseq, &data, &st);
		ck_assert_uint_eq(rseq, seq);
		ck_assert_uint_eq(data, SG_IIDR);
	}
	ck_assert_uint_eq(vm_read(&vm, 0, PRIO(&vm, 10), 1), 0x11);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "duplicate"), 2);
	ck_assert_uint_eq(harness_log_count(&vm.d, "bad sequence number"), 0);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_seq_missing)
{
	struct vm vm;

	start(&vm);
	/* An Mmio must carry a sequence number: seq 0 is dropped. */
	send_mmio(vm.ch[0].fd, SG_PROTO_VERSION, 0, PRIO(&vm, 11), 1, true, true, 0x33);
	ck_assert_uint_eq(vm_read(&vm, 0, PRIO(&vm, 11), 1), 0);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "without a sequence number"), 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_fd_on_data_channel)
{
	unsigned char buf[128];
	int p[2], rc;
	struct vm vm;
	size_t n;

	signal(SIGPIPE, SIG_IGN);
	start(&vm);
	ck_assert_int_eq(pipe(p), 0);
	n = pack_mmio(buf, sizeof(buf), vm.ch[0].next_seq, PRIO(&vm, 12), 1, true, true, 0x44);
	send_raw(vm.ch[0].fd, buf, n, &p[0], 1);
	close(p[0]);
	/* Dropped, its number not consumed, not applied. */
	ck_assert_uint_eq(vm_read(&vm, 0, PRIO(&vm, 12), 1), 0);
	assert_all_healthy(&vm);
	/* The daemon closed the fd it was sent: the pipe has no reader left. */
	rc = (int)write(p[1], "x", 1);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, EPIPE);
	close(p[1]);
	ck_assert_uint_ge(harness_log_count(&vm.d, "unexpected file descriptors"), 1);
	vm_stop(&vm);
}
END_TEST

static void send_batch(struct vm *vm, const uint32_t *intids, unsigned n)
{
	Sg__SpiLevel lv[8];
	Sg__Envelope inner[8], *ptrs[8], env;
	Sg__Batch b = SG__BATCH__INIT;

	ck_assert_uint_le(n, 8);
	for (unsigned i = 0; i < n; i++) {
		sg__spi_level__init(&lv[i]);
		lv[i].intid = intids[i];
		sg_envelope_init(&inner[i]);
		inner[i].seq = vm->bus_seq++;
		inner[i].body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
		inner[i].spi_level = &lv[i];
		ptrs[i] = &inner[i];
	}
	b.n_msgs = n;
	b.msgs = ptrs;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_BATCH;
	env.batch = &b;
	send_env(vm->att.bus_fd, &env);
}

START_TEST(test_batch)
{
	static const uint32_t good[] = { SPI(1), SPI(2), SPI(3) };
	static const uint32_t bad[] = { SPI(4), 5000 };
	struct vm vm;

	start(&vm);
	send_batch(&vm, good, 3);
	/* All or nothing: nothing of this one is applied, its numbers are used up. */
	send_batch(&vm, bad, 2);
	send_spi_level(&vm, vm.bus_seq++, SPI(5), false);
	assert_all_healthy(&vm);
	ck_assert_uint_ge(harness_log_count(&vm.d, "bus: rejected message (seq 0): field out of "
						   "range"),
			  1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "bad sequence number"), 0);
	vm_stop(&vm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-malformed");
	TCase *tc = tcase_create("malformed");

	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_wrong_version);
	tcase_add_test(tc, test_unknown_body);
	tcase_add_test(tc, test_wrong_channel);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_seq_gap);
	tcase_add_test(tc, test_seq_duplicate);
	tcase_add_test(tc, test_seq_missing);
	tcase_add_test(tc, test_fd_on_data_channel);
	tcase_add_test(tc, test_batch);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
