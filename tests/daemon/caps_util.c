// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the resource-cap tests (test_caps_*.c): waiting on the
 * daemon's log and counters, raw posted writes and reads, the bus read by
 * hand (never acknowledged), and Hellos built by hand.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "caps_util.h"
#include "gic_regs.h"

/* ------------------------------------------------------------- helpers */

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits until the daemon's log has at least n lines containing needle. */
void wait_log(const struct harness_daemon *d, const char *needle, unsigned n)
{
	uint64_t end = now_ms() + SAFETY_NET_MS;

	while (harness_log_count(d, needle) < n) {
		ck_assert_msg(now_ms() < end, "the log never got %u lines with '%s'", n, needle);
		usleep(2000);
	}
}

/* SIGUSR1, then waits for the last counters line (sentinel) to be logged. */
void log_counters(const struct harness_daemon *d, const char *sentinel)
{
	unsigned before = harness_log_count(d, sentinel);

	ck_assert_int_eq(kill(d->pid, SIGUSR1), 0);
	wait_log(d, sentinel, before + 1);
}

/* A posted write sent by hand (no agent replay log in the way). */
void post_raw(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size, uint64_t val)
{
	send_mmio(vm->ch[vcpu].fd, SG_PROTO_VERSION, vm->ch[vcpu].next_seq++, addr, size, true,
		  true, val);
}

uint64_t read_raw(struct vm *vm, unsigned vcpu, uint64_t addr)
{
	uint64_t v = 0;

	ck_assert_int_eq(vm_call_status(vm, vcpu, addr, 4, false, 0, &v),
			 SG__MMIO_REPLY__STATUS__OK);
	return v;
}

/* The daemon detached the VM by itself and exited 0. */
void assert_detached(struct vm *vm)
{
	wait_daemon_exit(&vm->d);
	wait_log(&vm->d, "detached", 1);
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++)
		mmio_chan_fini(&vm->ch[i]);
	sg_attachment_close(&vm->att);
	ck_assert_int_eq(harness_daemon_stop(&vm->d), 0);
}

/* SPIs 32..63 enabled, Group 1, Group 1 enabled: pending state goes out. */
void spis_deliverable(struct vm *vm)
{
	post_raw(vm, 0, gicd(vm, GICD_CTLR), 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	post_raw(vm, 0, gicd(vm, GICD_IGROUPR + 4), 4, 0xFFFFFFFF);
	post_raw(vm, 0, gicd(vm, GICD_ISENABLER + 4), 4, 0xFFFFFFFF);
	read_raw(vm, 0, gicd(vm, GICD_IIDR));
}

/* ---------------------------------------------------- the bus, by hand */

static unsigned char bus_rx[SG_WIRE_MAX + 1];
_Alignas(16) unsigned char bus_arena[SG_WIRE_ARENA_SIZE];

static void bus_note(struct bus_seen *b, const Sg__Envelope *m)
{
	if (m->body_case == SG__ENVELOPE__BODY_QUERY && b->queries < 256) {
		b->query_id[b->queries] = m->query->query_id;
		b->query_intid[b->queries] = m->query->intid;
		b->query_vcpu[b->queries] = m->query->vcpu;
		b->queries++;
	} else if (m->body_case == SG__ENVELOPE__BODY_DELIVER) {
		b->delivers++;
		b->last_deliver_intid = m->deliver->intid;
	}
}

/* Takes every datagram queued on the bus now (never acknowledging). */
void bus_drain(struct vm *vm, struct bus_seen *b)
{
	for (;;) {
		struct sg_arena arena;
		Sg__Envelope *env;
		unsigned nfds;
		int fds[1];
		ssize_t n = sg_wire_recv_flags(vm->att.bus_fd, bus_rx, sizeof(bus_rx), fds, 0,
					       &nfds, MSG_DONTWAIT);

		if (n == -EAGAIN || n == 0)
			return; /* nothing more now, or the daemon detached */
		ck_assert_msg(n > 0, "bus receive: %zd", n);
		sg_arena_init(&arena, bus_arena, sizeof(bus_arena));
		ck_assert_int_eq(sg_wire_decode(bus_rx, (size_t)n, &arena, &env), SG_WIRE_OK);
		b->datagrams++;
		if (env->body_case == SG__ENVELOPE__BODY_BATCH)
			for (size_t i = 0; i < env->batch->n_msgs; i++)
				bus_note(b, env->batch->msgs[i]);
		else
			bus_note(b, env);
	}
}

/* Replies on an MMIO channel are released before the bus's messages of the
 * same drain: wait for what the bus must bring. */
void bus_wait(struct vm *vm, struct bus_seen *b, unsigned delivers, unsigned queries)
{
	while (b->delivers < delivers || b->queries < queries) {
		struct pollfd p = { .fd = vm->att.bus_fd, .events = POLLIN };

		ck_assert_msg(poll(&p, 1, SAFETY_NET_MS) == 1,
			      "the bus brought %u Delivers and %u Queries, want %u and %u",
			      b->delivers, b->queries, delivers, queries);
		bus_drain(vm, b);
	}
}

void send_query_reply(struct vm *vm, uint64_t id, unsigned vcpu, uint32_t intid, bool pending)
{
	Sg__QueryReply r = SG__QUERY_REPLY__INIT;
	Sg__Envelope env;

	r.query_id = id;
	r.vcpu = vcpu;
	r.intid = intid;
	r.pending = pending;
	sg_envelope_init(&env);
	env.seq = vm->bus_seq++;
	env.body_case = SG__ENVELOPE__BODY_QUERY_REPLY;
	env.query_reply = &r;
	send_env(vm->att.bus_fd, &env);
}

/* ----------------------------------------------- Hellos built by hand */

int own(struct hello_build *b, int fd)
{
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(b->nowned, 2 * SG_WIRE_MAX_FDS);
	b->owned[b->nowned++] = fd;
	return fd;
}

/* A good Hello for 2 vCPUs and 64 SPIs with its channels; no RAM. */
void hb_init(struct hello_build *b)
{
	memset(b, 0, sizeof(*b));
	harness_shape(&b->shape, 2, 64, 0);
	sg__hello__init(&b->hello);
	sg_shape_to_hello(&b->shape, &b->hello, &b->am);
	b->hello.proto_version = SG_PROTO_VERSION;
	b->hello.vm_name = (char *)"test";
	for (unsigned i = 0; i <= b->shape.nr_vcpus; i++) {
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		own(b, sv[0]);
		b->fds[b->nfds++] = own(b, sv[1]);
	}
	sg_envelope_init(&b->env);
	b->env.body_case = SG__ENVELOPE__BODY_HELLO;
	b->env.hello = &b->hello;
}

void hb_fini(struct hello_build *b)
{
	for (unsigned i = 0; i < b->nowned; i++)
		close(b->owned[i]);
}

/* Sends b and checks the Welcome's status and reason, and the log line. */
void hello_expect(struct harness_daemon *d, struct hello_build *b, int status, const char *reason)
{
	char got[256];
	int st = hello_exchange(d->control_path, &b->env, b->fds, b->nfds, got, sizeof(got));

	ck_assert_msg(st == status, "Welcome status %d, want %d (%s)", st, status, got);
	ck_assert_msg(strstr(got, reason), "Welcome reason '%s' lacks '%s'", got, reason);
	ck_assert_uint_ge(harness_log_count(d, reason), 1);
}
