// SPDX-License-Identifier: MIT
/*
 * gicd-server's coalescing of bus output into Batch datagrams
 * (gicd-server/channel.c), on a socketpair: what arrives decodes with
 * sg_wire_decode() (the agent's decoder), carries every message in the
 * order sent, at most SG_WIRE_MAX_BATCH per datagram; a message that may
 * not travel in a Batch (docs/protocol.md) goes alone and keeps its place;
 * a lone message is not wrapped; nothing is coalesced outside
 * channel_batch_begin/end; a full socket queues batches in order.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "check_run.h"

static struct event_base *base;
static struct channel ch;
static int peer;
static unsigned char rx[SG_WIRE_MAX + 1];
static unsigned char arena_buf[SG_WIRE_ARENA_SIZE] __attribute__((aligned(64)));

static void on_readable(struct channel *c, void *arg)
{
	(void)c;
	(void)arg;
}

static void on_broken(struct channel *c, void *arg)
{
	(void)c;
	(void)arg;
}

static const struct channel_ops ops = { .readable = on_readable, .broken = on_broken };

static void setup(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(channel_init(&ch, base, 1, SG_CHAN_BUS, sv[0], &ops), 0);
	peer = sv[1];
}

static void teardown(void)
{
	channel_fini(&ch);
	event_base_free(base);
	close(peer);
}

static void send_deliver(uint32_t intid)
{
	Sg__Deliver d = SG__DELIVER__INIT;
	Sg__Envelope env;

	d.vcpu = 1;
	d.intid = intid;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DELIVER;
	env.deliver = &d;
	channel_send(&ch, &env);
}

static void send_durable(uint64_t seq)
{
	Sg__Durable m = SG__DURABLE__INIT;
	Sg__Envelope env;

	m.seq = seq;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DURABLE;
	env.durable = &m;
	channel_send(&ch, &env);
}

/* Next datagram on the peer, decoded; NULL when none is queued. */
static Sg__Envelope *next_datagram(void)
{
	static struct sg_arena arena;
	Sg__Envelope *env = NULL;
	ssize_t n = recv(peer, rx, sizeof(rx), MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		return NULL;
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, SG_WIRE_MAX);
	sg_arena_init(&arena, arena_buf, sizeof(arena_buf));
	ck_assert_int_eq(sg_wire_decode(rx, (size_t)n, &arena, &env), SG_WIRE_OK);
	return env;
}

/* Expects a Batch of Delivers first..first+n-1 (n > 1) or a lone Deliver. */
static void expect_delivers(uint32_t first, unsigned n)
{
	Sg__Envelope *env = next_datagram();

	ck_assert_ptr_nonnull(env);
	if (n == 1) {
		ck_assert_int_eq(env->body_case, SG__ENVELOPE__BODY_DELIVER);
		ck_assert_uint_eq(env->deliver->intid, first);
		return;
	}
	ck_assert_int_eq(env->body_case, SG__ENVELOPE__BODY_BATCH);
	ck_assert_uint_eq(env->seq, 0);
	ck_assert_uint_eq(env->batch->n_msgs, n);
	for (unsigned i = 0; i < n; i++) {
		const Sg__Envelope *m = env->batch->msgs[i];

		ck_assert_uint_eq(m->version, SG_PROTO_VERSION);
		ck_assert_int_eq(m->body_case, SG__ENVELOPE__BODY_DELIVER);
		ck_assert_uint_eq(m->deliver->vcpu, 1);
		ck_assert_uint_eq(m->deliver->intid, first + i);
	}
}

START_TEST(batches_keep_order_and_limits)
{
	channel_batch_begin(&ch);
	for (uint32_t i = 0; i < 300; i++)
		send_deliver(8192 + i);
	ck_assert_uint_eq(channel_batch_pending(&ch), 300 - SG_WIRE_MAX_BATCH);
	send_durable(7); /* not batchable: what came before leaves first */
	for (uint32_t i = 300; i < 305; i++)
		send_deliver(8192 + i);
	channel_batch_flush(&ch);
	send_deliver(8192 + 305);
	channel_batch_end(&ch);
	send_deliver(8192 + 306); /* batch closed: sent at once */
	send_deliver(8192 + 307);

	expect_delivers(8192, SG_WIRE_MAX_BATCH);
	expect_delivers(8192 + SG_WIRE_MAX_BATCH, 300 - SG_WIRE_MAX_BATCH);
	{
		Sg__Envelope *env = next_datagram();

		ck_assert_ptr_nonnull(env);
		ck_assert_int_eq(env->body_case, SG__ENVELOPE__BODY_DURABLE);
		ck_assert_uint_eq(env->durable->seq, 7);
	}
	expect_delivers(8192 + 300, 5);
	expect_delivers(8192 + 305, 1); /* alone in its batch: not wrapped */
	expect_delivers(8192 + 306, 1);
	expect_delivers(8192 + 307, 1);
	ck_assert_ptr_null(next_datagram());
	ck_assert_uint_eq(ch.stats.tx, 309);
	ck_assert_uint_eq(ch.stats.tx_batches, 3);
	ck_assert_uint_eq(ch.stats.tx_batched, 305);
}
END_TEST

START_TEST(mmio_channel_never_batches)
{
	struct channel m;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(channel_init(&m, base, 0, SG_CHAN_MMIO, sv[0], &ops), 0);
	channel_batch_begin(&m);
	ck_assert_uint_eq(channel_batch_pending(&m), 0);
	channel_batch_end(&m);
	channel_fini(&m);
	close(sv[1]);
}
END_TEST

START_TEST(full_socket_queues_batches_in_order)
{
	unsigned got = 0, datagrams = 0;
	uint32_t next = 8192;

	/* Far more than the (small) socket buffer takes: the rest waits in the
	 * queue and leaves as the peer reads and libevent reports writability. */
	int sndbuf = 4096;

	ck_assert_int_eq(setsockopt(ch.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	for (unsigned b = 0; b < 400; b++) {
		channel_batch_begin(&ch);
		for (unsigned i = 0; i < 100; i++)
			send_deliver(8192 + (b * 100 + i) % 50000);
		channel_batch_end(&ch);
	}
	ck_assert(!ch.broken);
	ck_assert_uint_gt(ch.txq_len, 0);
	ck_assert_uint_eq(ch.txq_msgs, ch.txq_len * 100);
	while (got < 40000) {
		Sg__Envelope *env = next_datagram();

		if (!env) {
			event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
			continue;
		}
		datagrams++;
		ck_assert_int_eq(env->body_case, SG__ENVELOPE__BODY_BATCH);
		for (size_t i = 0; i < env->batch->n_msgs; i++) {
			ck_assert_uint_eq(env->batch->msgs[i]->deliver->intid, next);
			next = 8192 + (next - 8192 + 1) % 50000;
			got++;
		}
	}
	ck_assert_uint_eq(datagrams, 400);
	ck_assert_uint_eq(ch.txq_len, 0);
	ck_assert_uint_eq(ch.txq_msgs, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bus-batch");
	TCase *tc = tcase_create("batch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, batches_keep_order_and_limits);
	tcase_add_test(tc, mmio_channel_never_batches);
	tcase_add_test(tc, full_socket_queues_batches_in_order);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
