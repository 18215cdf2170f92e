// SPDX-License-Identifier: MIT
/*
 * The resource caps of the data channels (DESIGN §7, docs/gicd-server.md
 * "Limits"): datagram size, the decoding arena, Batch length, the output
 * queue of a VMM that does not read, bus datagrams never acknowledged, the
 * drain round's budget, and GICD reads waiting for QueryReplies.  Each
 * drives the real daemon to its cap and checks what the peer sees, the log
 * line, the counter, and that the VM is still served unless it is detached.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caps_util.h"
#include "channel.h"
#include "check_run.h"
#include "core_reads.h"
#include "daemon_util.h"
#include "gic_regs.h"
#include "session.h"
#include "snapshot.h"

START_TEST(test_cap_message_size)
{
	size_t len = SG_WIRE_MAX + 1;
	unsigned char *big = calloc(1, len);
	struct hello_build b;
	char reason[256];
	struct vm vm;

	ck_assert_ptr_nonnull(big);
	vm_start(&vm, 2, 64, NULL);
	/* On a data channel: dropped, counted, no sequence number consumed. */
	send_raw(vm.ch[0].fd, big, len, NULL, 0);
	vm_assert_healthy(&vm, 0);
	ck_assert_uint_eq(harness_log_count(&vm.d,
					    "mmio0: rejected message (seq 0): oversized datagram: "
					    "larger than SG_WIRE_MAX (16384 bytes)"),
			  1);
	/* On the control socket: Welcome REJECTED. */
	hb_init(&b);
	ck_assert_int_eq(hello_exchange_raw(vm.d.control_path, big, len, b.fds, b.nfds, reason,
					    sizeof(reason)),
			 SG__WELCOME__STATUS__REJECTED);
	ck_assert_str_eq(reason, "oversized datagram");
	hb_fini(&b);
	free(big);
	log_counters(&vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&vm.d, "counters mmio0: rx 2, applied 1,"), 1);
	ck_assert_uint_ge(harness_log_count(&vm.d, "oversized datagram 1"), 1);
	vm_assert_healthy(&vm, 0);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

/* ------------------------------------------------- batches, the arena */

static void send_spi_batch(struct vm *vm, unsigned n, uint64_t first_seq)
{
	static Sg__SpiLevel lv[SG_WIRE_MAX_BATCH + 1];
	static Sg__Envelope inner[SG_WIRE_MAX_BATCH + 1], *ptrs[SG_WIRE_MAX_BATCH + 1];
	Sg__Batch batch = SG__BATCH__INIT;
	Sg__Envelope env;

	ck_assert_uint_le(n, SG_WIRE_MAX_BATCH + 1);
	for (unsigned i = 0; i < n; i++) {
		sg__spi_level__init(&lv[i]);
		lv[i].intid = SPI(i % 64);
		sg_envelope_init(&inner[i]);
		inner[i].seq = first_seq + i;
		inner[i].body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
		inner[i].spi_level = &lv[i];
		ptrs[i] = &inner[i];
	}
	batch.n_msgs = n;
	batch.msgs = ptrs;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_BATCH;
	env.batch = &batch;
	send_env(vm->att.bus_fd, &env);
}

START_TEST(test_cap_batch_length)
{
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	/* One message too many: rejected whole, none of its numbers consumed. */
	send_spi_batch(&vm, SG_WIRE_MAX_BATCH + 1, vm.bus_seq);
	/* The cap itself is fine, from the same first number. */
	send_spi_batch(&vm, SG_WIRE_MAX_BATCH, vm.bus_seq);
	vm.bus_seq += SG_WIRE_MAX_BATCH;
	vm_assert_healthy(&vm, 0);
	ck_assert_uint_eq(harness_log_count(&vm.d, "bus: rejected message (seq 0): field out of "
						   "range: Batch of 0 or more than "
						   "SG_WIRE_MAX_BATCH (256) messages"),
			  1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "bad sequence number"), 0);
	log_counters(&vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&vm.d, "counters bus: rx 2, applied 256,"), 1);
	ck_assert_uint_ge(harness_log_count(&vm.d, "field out of range 1"), 1);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_cap_decode_arena)
{
	/* Empty repeated entries cost 2 bytes on the wire and a struct each
	 * when decoded: a datagram under SG_WIRE_MAX that needs more than
	 * SG_WIRE_ARENA_SIZE to decode. */
	size_t n = (SG_WIRE_MAX - 64) / 2, len;
	Sg__OwnedSpi empty = SG__OWNED_SPI__INIT, **spis = calloc(n, sizeof(*spis));
	Sg__Resync r = SG__RESYNC__INIT;
	Sg__Envelope env;
	unsigned char *buf;
	struct vm vm;

	ck_assert_ptr_nonnull(spis);
	for (size_t i = 0; i < n; i++)
		spis[i] = &empty;
	r.n_spis = n;
	r.spis = spis;
	vm_start(&vm, 2, 64, NULL);
	sg_envelope_init(&env);
	env.seq = vm.bus_seq;
	env.body_case = SG__ENVELOPE__BODY_RESYNC;
	env.resync = &r;
	len = sg__envelope__get_packed_size(&env);
	ck_assert_uint_le(len, SG_WIRE_MAX);
	ck_assert_uint_gt(n * sizeof(Sg__OwnedSpi), SG_WIRE_ARENA_SIZE);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(sg__envelope__pack(&env, buf), len);
	send_raw(vm.att.bus_fd, buf, len, NULL, 0);
	free(buf);
	free(spis);
	vm_assert_healthy(&vm, 0);
	ck_assert_uint_eq(harness_log_count(&vm.d, "bus: rejected message (seq 0): undecodable "
						   "envelope: needs more than the decoding arena "
						   "(SG_WIRE_ARENA_SIZE, 256 KiB)"),
			  1);
	log_counters(&vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&vm.d, "undecodable envelope 1"), 1);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

/* ----------------------------------------------------- queued messages */

START_TEST(test_cap_output_queue)
{
	char want[128];
	struct vm vm;
	unsigned sent = 0;

	signal(SIGPIPE, SIG_IGN);
	vm_start(&vm, 2, 64, NULL);
	/* A VMM that sends reads and never takes a reply: the replies fill the
	 * socket, then the output queue, up to CHANNEL_TXQ_MAX messages. */
	while (sent < 4 * CHANNEL_TXQ_MAX) {
		struct sg_mmio_msg m;
		Sg__Envelope *env = sg_mmio_msg(&m, gicd(&vm, GICD_IIDR), 4, false, false, 0);

		env->seq = vm.ch[0].next_seq++;
		if (sg_wire_send(vm.ch[0].fd, env, NULL, 0) < 0)
			break; /* the daemon detached the VM */
		sent++;
	}
	ck_assert_uint_gt(sent, CHANNEL_TXQ_MAX);
	snprintf(want, sizeof(want),
		 "mmio0: %u messages wait for the VMM, which is not reading: detaching the VM",
		 CHANNEL_TXQ_MAX);
	wait_log(&vm.d, want, 1);
	assert_detached(&vm);
}
END_TEST

/* Posts n writes that each make one bus message for SPI 40 (set and clear
 * its pending latch in turn), then a read: one drain, one bus datagram.
 * False once the daemon detached the VM. */
static bool bus_burst(struct vm *vm, unsigned n, unsigned *toggle)
{
	for (unsigned i = 0; i < n; i++, (*toggle)++) {
		struct sg_mmio_msg m;
		Sg__Envelope *env =
			sg_mmio_msg(&m, gicd(vm, (*toggle & 1 ? GICD_ICPENDR : GICD_ISPENDR) + 4),
				    4, true, true, 1u << 8);

		env->seq = vm->ch[0].next_seq++;
		if (sg_wire_send(vm->ch[0].fd, env, NULL, 0) < 0)
			return false;
	}
	return true;
}

static bool burst_and_read(struct vm *vm, unsigned n, unsigned *toggle)
{
	struct sg_mmio_msg m;
	Sg__Envelope *env = sg_mmio_msg(&m, gicd(vm, GICD_IIDR), 4, false, false, 0);

	if (!bus_burst(vm, n, toggle))
		return false;
	env->seq = vm->ch[0].next_seq++;
	if (sg_wire_send(vm->ch[0].fd, env, NULL, 0) < 0)
		return false;
	/* After a detach the reply never comes: the reply, or the hangup. */
	for (;;) {
		struct pollfd p = { .fd = vm->ch[0].fd, .events = POLLIN };
		_Alignas(16) unsigned char arena_buf[4096];
		unsigned char b[SG_WIRE_MAX + 1];
		struct sg_arena arena;
		Sg__Envelope *r;
		unsigned nfds;
		int fds[1];
		ssize_t got;

		ck_assert_int_eq(poll(&p, 1, SAFETY_NET_MS), 1);
		got = sg_wire_recv(vm->ch[0].fd, b, sizeof(b), fds, 0, &nfds);
		if (got == 0 || got == -ECONNRESET)
			return false;
		ck_assert_int_gt(got, 0);
		sg_arena_init(&arena, arena_buf, sizeof(arena_buf));
		ck_assert_int_eq(sg_wire_decode(b, (size_t)got, &arena, &r), SG_WIRE_OK);
		if (r->body_case == SG__ENVELOPE__BODY_DURABLE)
			continue;
		ck_assert_int_eq(r->body_case, SG__ENVELOPE__BODY_MMIO_REPLY);
		ck_assert_uint_eq(r->mmio_reply->seq, env->seq);
		break;
	}
	return true;
}

START_TEST(test_cap_retained_datagrams)
{
	unsigned toggle = 0, rounds = 0;
	char want[128];
	struct vm vm;

	signal(SIGPIPE, SIG_IGN);
	vm_start(&vm, 2, 64, NULL);
	spis_deliverable(&vm);
	/* An agent that never sends Ack: every bus datagram stays retained
	 * (one per drain here), up to DURABLE_MAX_RETAINED. */
	while (rounds < 2 * DURABLE_MAX_RETAINED && burst_and_read(&vm, 1, &toggle))
		rounds++;
	ck_assert_uint_ge(rounds, DURABLE_MAX_RETAINED - 1);
	ck_assert_uint_lt(rounds, 2 * DURABLE_MAX_RETAINED);
	snprintf(want, sizeof(want),
		 "bus: %u datagrams unacknowledged by the VMM (DURABLE_MAX_RETAINED): detaching "
		 "the VM",
		 DURABLE_MAX_RETAINED);
	wait_log(&vm.d, want, 1);
	assert_detached(&vm);
}
END_TEST

START_TEST(test_cap_retained_bytes)
{
	unsigned toggle = 0, rounds = 0;
	struct bus_seen seen = { 0 };
	char want[128];
	struct vm vm;

	signal(SIGPIPE, SIG_IGN);
	vm_start(&vm, 2, 64, NULL);
	spis_deliverable(&vm);
	/* Full batches, taken off the bus (so the output queue stays empty)
	 * but never acknowledged: the bytes cap comes long before the count. */
	while (rounds < DURABLE_MAX_RETAINED / 2 &&
	       burst_and_read(&vm, SG_WIRE_MAX_BATCH, &toggle)) {
		bus_drain(&vm, &seen);
		rounds++;
	}
	ck_assert_uint_lt(rounds, DURABLE_MAX_RETAINED / 2);
	snprintf(want, sizeof(want),
		 "bytes of datagrams unacknowledged by the VMM (DURABLE_MAX_RETAINED_BYTES %u): "
		 "detaching the VM",
		 DURABLE_MAX_RETAINED_BYTES);
	wait_log(&vm.d, want, 1);
	assert_detached(&vm);
}
END_TEST

START_TEST(test_cap_drain_round)
{
	int big = 64 << 20, flags;
	unsigned n = SESSION_DRAIN_BUDGET + 100;
	char want[128];
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	ck_assert_int_eq(setsockopt(vm.ch[0].fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)), 0);
	/* With the daemon stopped, more posted writes than one drain round
	 * takes from a channel, and a read on another channel behind them. */
	ck_assert_int_eq(kill(vm.d.pid, SIGSTOP), 0);
	flags = fcntl(vm.ch[0].fd, F_GETFL);
	ck_assert_int_eq(fcntl(vm.ch[0].fd, F_SETFL, flags | O_NONBLOCK), 0);
	for (unsigned i = 0; i < n; i++) {
		struct sg_mmio_msg m;
		Sg__Envelope *env = sg_mmio_msg(&m, gicd(&vm, GICD_IPRIORITYR + SPI(i % 64)), 1,
						true, true, i & 0xF8);
		int rc;

		env->seq = vm.ch[0].next_seq++;
		rc = sg_wire_send(vm.ch[0].fd, env, NULL, 0);
		if (rc < 0)
			kill(vm.d.pid, SIGCONT);
		ck_assert_msg(rc == 0, "queueing write %u: %s", i, strerror(-rc));
	}
	ck_assert_int_eq(fcntl(vm.ch[0].fd, F_SETFL, flags), 0);
	send_mmio(vm.ch[1].fd, SG_PROTO_VERSION, vm.ch[1].next_seq++, gicd(&vm, GICD_IIDR), 4,
		  false, false, 0);
	ck_assert_int_eq(kill(vm.d.pid, SIGCONT), 0);
	{
		Sg__MmioReply__Status st;
		uint64_t seq, data;

		recv_reply(vm.ch[1].fd, &seq, &data, &st);
		ck_assert_int_eq(st, SG__MMIO_REPLY__STATUS__OK);
		ck_assert_uint_eq(data, SG_IIDR);
	}
	snprintf(want, sizeof(want), "a channel sent %u messages in one drain round",
		 SESSION_DRAIN_BUDGET);
	wait_log(&vm.d, want, 1);
	/* Nothing was lost: the last write is in place. */
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_IPRIORITYR + SPI((n - 1) % 64)), 1) & 0xF8,
			  (n - 1) & 0xF8);
	log_counters(&vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&vm.d, "drain bound hits 1,"), 1);
	vm_assert_healthy(&vm, 0);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

/* ----------------------------------------------------- pending queries */

START_TEST(test_cap_pending_queries)
{
	struct bus_seen first = { 0 };
	Sg__MmioReply__Status st;
	uint64_t seq1, seq2, rseq, data;
	char want[160];
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	spis_deliverable(&vm);
	/* All 32 SPIs of one ISPENDR word in flight at vCPU 0. */
	post_raw(&vm, 0, gicd(&vm, GICD_ISPENDR + 4), 4, 0xFFFFFFFF);
	read_raw(&vm, 0, gicd(&vm, GICD_IIDR));
	bus_wait(&vm, &first, 32, 0);
	ck_assert_uint_eq(first.delivers, 32);
	first = (struct bus_seen){ 0 };
	/* vCPU 1 reads the word: parked, one Query per SPI, the most a read asks. */
	seq1 = vm.ch[1].next_seq++;
	send_mmio(vm.ch[1].fd, SG_PROTO_VERSION, seq1, gicd(&vm, GICD_ISPENDR + 4), 4, false, false,
		  0);
	/* The agent never answers; the vCPU (against the protocol) reads again. */
	seq2 = vm.ch[1].next_seq++;
	send_mmio(vm.ch[1].fd, SG_PROTO_VERSION, seq2, gicd(&vm, GICD_ISPENDR + 4), 4, false, false,
		  0);
	snprintf(
		want, sizeof(want),
		"vCPU 1: read seq %llu replaces parked read seq %llu (one parked read per vCPU, at "
		"most %u Queries)",
		(unsigned long long)seq2, (unsigned long long)seq1, CORE_READ_MAX_QUERIES);
	wait_log(&vm.d, want, 1);
	/* The daemon serves everybody else meanwhile. */
	vm_assert_healthy(&vm, 0);
	bus_wait(&vm, &first, 0, 2 * CORE_READ_MAX_QUERIES);
	ck_assert_uint_eq(first.queries, 2 * CORE_READ_MAX_QUERIES);
	/* Answers to the replaced read's Queries find nothing: dropped. */
	for (unsigned i = 0; i < CORE_READ_MAX_QUERIES; i++)
		send_query_reply(&vm, first.query_id[i], first.query_vcpu[i], first.query_intid[i],
				 true);
	ck_assert(!has_pending(vm.ch[1].fd));
	for (unsigned i = CORE_READ_MAX_QUERIES; i < 2 * CORE_READ_MAX_QUERIES; i++)
		send_query_reply(&vm, first.query_id[i], first.query_vcpu[i], first.query_intid[i],
				 true);
	/* Only the later read is answered, from the answers to its own Queries. */
	recv_reply(vm.ch[1].fd, &rseq, &data, &st);
	ck_assert_uint_eq(rseq, seq2);
	ck_assert_int_eq(st, SG__MMIO_REPLY__STATUS__OK);
	ck_assert_uint_eq(data, 0xFFFFFFFF);
	ck_assert_uint_ge(harness_log_count(&vm.d, "answers no Query"), 1);
	log_counters(&vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&vm.d, "queries 64, replies 64"), 1);
	vm_assert_healthy(&vm, 0);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-caps-channel");
	TCase *tc = tcase_create("caps");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_cap_message_size);
	tcase_add_test(tc, test_cap_batch_length);
	tcase_add_test(tc, test_cap_decode_arena);
	tcase_add_test(tc, test_cap_output_queue);
	tcase_add_test(tc, test_cap_retained_datagrams);
	tcase_add_test(tc, test_cap_retained_bytes);
	/* More datagrams than a drain round takes must fit in the socket at
	 * once: SO_SNDBUFFORCE needs root (CAP_NET_ADMIN), so it is not run
	 * otherwise, and says so. */
	if (geteuid() == 0)
		tcase_add_test(tc, test_cap_drain_round);
	else
		fprintf(stderr, "test_cap_drain_round not run: needs root for SO_SNDBUFFORCE\n");
	tcase_add_test(tc, test_cap_pending_queries);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
