// SPDX-License-Identifier: MIT
/*
 * The sandbox's resource caps (DESIGN §7, docs/gicd-server.md "Limits"):
 * for every resource a peer or a guest can make the daemon grow, drive the
 * real daemon to its cap over the real sockets (and the guest RAM memfd for
 * the ITS) and check the clear error: what the peer sees (Welcome status
 * and reason, an ITS stall, a dropped datagram, a detach), the log line
 * naming the cap, the counter, and that the daemon still serves the VM
 * afterwards unless the documented consequence is a detach.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "check_run.h"
#include "control.h"
#include "core_reads.h"
#include "daemon_util.h"
#include "gic_regs.h"
#include "guest_ram.h"
#include "session.h"
#include "snapshot.h"

#define SPI(n) (GIC_SPI_BASE + (n))

/* Safety net against a hung daemon: not a synchronisation. */
#define SAFETY_NET_MS 60000

/* ------------------------------------------------------------- helpers */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits until the daemon's log has at least n lines containing needle. */
static void wait_log(const struct harness_daemon *d, const char *needle, unsigned n)
{
	uint64_t end = now_ms() + SAFETY_NET_MS;

	while (harness_log_count(d, needle) < n) {
		ck_assert_msg(now_ms() < end, "the log never got %u lines with '%s'", n, needle);
		usleep(2000);
	}
}

/* SIGUSR1, then waits for the last counters line (sentinel) to be logged. */
static void log_counters(const struct harness_daemon *d, const char *sentinel)
{
	unsigned before = harness_log_count(d, sentinel);

	ck_assert_int_eq(kill(d->pid, SIGUSR1), 0);
	wait_log(d, sentinel, before + 1);
}

#define SENTINEL_SESSION "counters guest ram:"
#define SENTINEL_CONTROL "counters control:"

/* A posted write sent by hand (no agent replay log in the way). */
static void post_raw(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size, uint64_t val)
{
	send_mmio(vm->ch[vcpu].fd, SG_PROTO_VERSION, vm->ch[vcpu].next_seq++, addr, size, true,
		  true, val);
}

static uint64_t read_raw(struct vm *vm, unsigned vcpu, uint64_t addr)
{
	uint64_t v = 0;

	ck_assert_int_eq(vm_call_status(vm, vcpu, addr, 4, false, 0, &v),
			 SG__MMIO_REPLY__STATUS__OK);
	return v;
}

/* The daemon detached the VM by itself and exited 0. */
static void assert_detached(struct vm *vm)
{
	wait_daemon_exit(&vm->d);
	wait_log(&vm->d, "detached", 1);
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++)
		mmio_chan_fini(&vm->ch[i]);
	sg_attachment_close(&vm->att);
	ck_assert_int_eq(harness_daemon_stop(&vm->d), 0);
}

/* SPIs 32..63 enabled, Group 1, Group 1 enabled: pending state goes out. */
static void spis_deliverable(struct vm *vm)
{
	post_raw(vm, 0, gicd(vm, GICD_CTLR), 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	post_raw(vm, 0, gicd(vm, GICD_IGROUPR + 4), 4, 0xFFFFFFFF);
	post_raw(vm, 0, gicd(vm, GICD_ISENABLER + 4), 4, 0xFFFFFFFF);
	read_raw(vm, 0, gicd(vm, GICD_IIDR));
}

/* ---------------------------------------------------- the bus, by hand */

static unsigned char bus_rx[SG_WIRE_MAX + 1];
static _Alignas(16) unsigned char bus_arena[SG_WIRE_ARENA_SIZE];

struct bus_seen {
	unsigned datagrams;
	unsigned queries;
	uint64_t query_id[256];
	uint32_t query_intid[256];
	unsigned query_vcpu[256];
	unsigned delivers;
	uint32_t last_deliver_intid;
};

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
static void bus_drain(struct vm *vm, struct bus_seen *b)
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
static void bus_wait(struct vm *vm, struct bus_seen *b, unsigned delivers, unsigned queries)
{
	while (b->delivers < delivers || b->queries < queries) {
		struct pollfd p = { .fd = vm->att.bus_fd, .events = POLLIN };

		ck_assert_msg(poll(&p, 1, SAFETY_NET_MS) == 1,
			      "the bus brought %u Delivers and %u Queries, want %u and %u",
			      b->delivers, b->queries, delivers, queries);
		bus_drain(vm, b);
	}
}

static void send_query_reply(struct vm *vm, uint64_t id, unsigned vcpu, uint32_t intid,
			     bool pending)
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

#define RAM_GPA	 0x40000000ull
#define RAM_SIZE (16u << 20)

struct hello_build {
	struct sg_vm_shape shape;
	Sg__Hello hello;
	Sg__AddressMap am;
	Sg__RamRegion ram[SG_MAX_RAM_REGIONS + 1], *ram_ptrs[SG_MAX_RAM_REGIONS + 1];
	Sg__Envelope env;
	int fds[SG_WIRE_MAX_FDS];
	unsigned nfds;
	int owned[2 * SG_WIRE_MAX_FDS];
	unsigned nowned;
};

static int own(struct hello_build *b, int fd)
{
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(b->nowned, 2 * SG_WIRE_MAX_FDS);
	b->owned[b->nowned++] = fd;
	return fd;
}

/* A good Hello for 2 vCPUs and 64 SPIs with its channels; no RAM. */
static void hb_init(struct hello_build *b)
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

static void hb_fini(struct hello_build *b)
{
	for (unsigned i = 0; i < b->nowned; i++)
		close(b->owned[i]);
}

/* Sends b and checks the Welcome's status and reason, and the log line. */
static void hello_expect(struct harness_daemon *d, struct hello_build *b, int status,
			 const char *reason)
{
	char got[256];
	int st = hello_exchange(d->control_path, &b->env, b->fds, b->nfds, got, sizeof(got));

	ck_assert_msg(st == status, "Welcome status %d, want %d (%s)", st, status, got);
	ck_assert_msg(strstr(got, reason), "Welcome reason '%s' lacks '%s'", got, reason);
	ck_assert_uint_ge(harness_log_count(d, reason), 1);
}

/* ------------------------------------------------- channels per Hello */

START_TEST(test_cap_vcpus_per_hello)
{
	uint64_t mpidr[SG_MAX_VCPUS + 1];
	struct harness_daemon d;
	struct hello_build b;

	harness_daemon_start(&d, NULL);
	hb_init(&b);
	for (unsigned i = 0; i <= SG_MAX_VCPUS; i++)
		mpidr[i] = ((uint64_t)(i / 16) << 8) | (i % 16);
	b.hello.n_vcpu_mpidr = SG_MAX_VCPUS + 1;
	b.hello.vcpu_mpidr = mpidr;
	hello_expect(&d, &b, SG__WELCOME__STATUS__REJECTED, "vCPU count out of range (1..128)");
	ck_assert_uint_eq(harness_log_count(&d, "refused (REJECTED): vCPU count"), 1);
	hb_fini(&b);
	log_counters(&d, SENTINEL_CONTROL);
	ck_assert_uint_ge(harness_log_count(&d, "REJECTED 1,"), 1);
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------ control connections and the VM */

static int connect_control(const struct harness_daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(d->control_path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, d->control_path, strlen(d->control_path) + 1);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
		      strerror(errno));
	return fd;
}

START_TEST(test_cap_pending_control_connections)
{
	int fd[CONTROL_MAX_PENDING + 1], dummy[1];
	struct pollfd p;
	struct harness_daemon d;
	struct hello_build b;
	unsigned char buf[SG_WIRE_MAX + 1];
	struct sg_arena arena;
	Sg__Envelope *env;
	unsigned nfds;
	char want[128];
	ssize_t n;

	harness_daemon_start(&d, NULL);
	/* CONTROL_MAX_PENDING connections that send nothing hold every slot
	 * (each for CONTROL_HELLO_TIMEOUT_S); the next one is closed at accept. */
	for (unsigned i = 0; i <= CONTROL_MAX_PENDING; i++)
		fd[i] = connect_control(&d);
	p = (struct pollfd){ .fd = fd[CONTROL_MAX_PENDING], .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, SAFETY_NET_MS), 1);
	ck_assert_int_eq(sg_wire_recv(fd[CONTROL_MAX_PENDING], buf, sizeof(buf), dummy, 0, &nfds),
			 0);
	snprintf(want, sizeof(want), "control: %u connections already wait for their Hello",
		 CONTROL_MAX_PENDING);
	wait_log(&d, want, 1);
	log_counters(&d, SENTINEL_CONTROL);
	ck_assert_uint_ge(harness_log_count(&d, "(refused 1,"), 1);
	/* A waiting connection still attaches a VM. */
	hb_init(&b);
	ck_assert_int_eq(sg_wire_send(fd[0], &b.env, b.fds, b.nfds), 0);
	p = (struct pollfd){ .fd = fd[0], .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, SAFETY_NET_MS), 1);
	n = sg_wire_recv(fd[0], buf, sizeof(buf), dummy, 0, &nfds);
	ck_assert_int_gt(n, 0);
	sg_arena_init(&arena, bus_arena, sizeof(bus_arena));
	ck_assert_int_eq(sg_wire_decode(buf, (size_t)n, &arena, &env), SG_WIRE_OK);
	ck_assert_int_eq(env->body_case, SG__ENVELOPE__BODY_WELCOME);
	ck_assert_int_eq(env->welcome->status, SG__WELCOME__STATUS__OK);
	ck_assert_uint_eq(harness_log_count(&d, "VM test attached by pid"), 1);
	for (unsigned i = 0; i <= CONTROL_MAX_PENDING; i++)
		close(fd[i]);
	hb_fini(&b);
	/* Its channels closed with hb_fini: the VM detached, the daemon stopped. */
	wait_daemon_exit(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_cap_one_vm_per_daemon)
{
	struct hello_build b;
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	hb_init(&b);
	hello_expect(&vm.d, &b, SG__WELCOME__STATUS__BUSY, "a VM is already attached");
	ck_assert_uint_eq(harness_log_count(&vm.d, "refused (BUSY)"), 1);
	hb_fini(&b);
	log_counters(&vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&vm.d, "BUSY 1,"), 1);
	vm_assert_healthy(&vm, 0);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

/* A uid that is not allowed (fork, drop to nobody, connect): DENIED. */
START_TEST(test_cap_peer_uid)
{
	const struct passwd *pw = getpwnam("nobody");
	struct harness_daemon d;
	char want[128];
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		/* test_control's test_uid_denied covers this with --allow-uid. */
		return;
	}
	ck_assert_ptr_nonnull(pw);
	harness_daemon_start(&d, NULL);
	/* Let nobody reach the socket: the check under test is SO_PEERCRED. */
	ck_assert_int_eq(chmod(d.dir, 0711), 0);
	ck_assert_int_eq(chmod(d.control_path, 0666), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct hello_build b;
		char reason[256];
		int st;

		if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			_exit(100);
		hb_init(&b);
		st = hello_exchange(d.control_path, &b.env, b.fds, b.nfds, reason, sizeof(reason));
		_exit(st == SG__WELCOME__STATUS__DENIED && strstr(reason, "peer uid is not allowed")
			      ? 0
			      : 101);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the child as nobody did not get DENIED (status 0x%x)", status);
	snprintf(want, sizeof(want), "uid %u gid %u refused (DENIED): peer uid is not allowed",
		 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	ck_assert_uint_eq(harness_log_count(&d, want), 1);
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

/* --------------------------------------------- RAM regions, fds, size */

START_TEST(test_cap_ram_regions)
{
	struct harness_daemon d;
	struct hello_build b;

	harness_daemon_start(&d, NULL);
	hb_init(&b);
	b.fds[b.nfds++] = own(&b, harness_memfd((SG_MAX_RAM_REGIONS + 1) * 4096));
	b.hello.nr_ram_fds = 1;
	for (unsigned i = 0; i <= SG_MAX_RAM_REGIONS; i++) {
		sg__ram_region__init(&b.ram[i]);
		b.ram[i].gpa = RAM_GPA + 2ull * i * 4096;
		b.ram[i].size = 4096;
		b.ram[i].fd_offset = (uint64_t)i * 4096;
		b.ram_ptrs[i] = &b.ram[i];
	}
	b.hello.ram = b.ram_ptrs;
	b.hello.n_ram = SG_MAX_RAM_REGIONS + 1;
	hello_expect(&d, &b, SG__WELCOME__STATUS__REJECTED,
		     "too many RAM regions or memfds (at most 16: SG_MAX_RAM_REGIONS)");
	hb_fini(&b);
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_cap_fds_per_datagram)
{
	int wr[SG_WIRE_MAX_FDS];
	unsigned npipes = 0;
	struct harness_daemon d;
	struct hello_build b;

	signal(SIGPIPE, SIG_IGN);
	harness_daemon_start(&d, NULL);
	hb_init(&b);
	/* As many fds as one datagram can carry (the kernel's SCM_MAX_FD):
	 * the channels, then read ends of pipes. */
	while (b.nfds < SG_WIRE_MAX_FDS) {
		int p[2];

		ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
		wr[npipes++] = p[1];
		b.fds[b.nfds++] = own(&b, p[0]);
	}
	hello_expect(&d, &b, SG__WELCOME__STATUS__REJECTED, "wrong number of file descriptors");
	hb_fini(&b);
	/* Every fd it was sent is closed: no pipe has a reader left. */
	for (unsigned i = 0; i < npipes; i++) {
		ck_assert_int_eq(write(wr[i], "x", 1), -1);
		ck_assert_int_eq(errno, EPIPE);
		close(wr[i]);
	}
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

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

	if (geteuid() != 0)
		return; /* SO_SNDBUFFORCE: the datagrams must all fit in the socket */
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

/* ------------------------------------------------------- the ITS, guest */

#define CMDQ_GPA   (RAM_GPA + 0x10000)
#define CMDQ_PAGES 16u			/* 64 KiB: 2048 commands */
#define DT_GPA	   (RAM_GPA + 0x100000) /* flat, 4K: 512 devices */
#define CT_GPA	   (RAM_GPA + 0x110000) /* flat, 4K: 512 collections */
#define ITT_GPA(d) (RAM_GPA + 0x200000 + (uint64_t)(d)*0x1000)
#define DT_IDS	   (4096u / 8u)

struct itsvm {
	struct vm vm;
	int memfd;
	uint8_t *ram;
	uint64_t q_wr;
};

static uint64_t gits(const struct itsvm *t, uint32_t off)
{
	return t->vm.shape.map.its_base[0] + off;
}

static void gits_post(struct itsvm *t, uint32_t off, uint64_t val)
{
	post_raw(&t->vm, 0, gits(t, off), 8, val);
}

static uint64_t gits_read64(struct itsvm *t, uint32_t off)
{
	uint64_t v = 0;

	ck_assert_int_eq(vm_call_status(&t->vm, 0, gits(t, off), 8, false, 0, &v),
			 SG__MMIO_REPLY__STATUS__OK);
	return v;
}

static uint64_t baser(uint64_t pa)
{
	return GITS_BASER_VALID | pa | ((uint64_t)GITS_BASER_PAGE_SIZE_4K << 8);
}

/* A VM of 2 vCPUs with one ITS and 16 MiB of RAM the test also maps; the
 * ITS set up as a guest does: queue, device and collection tables, enabled. */
static void its_start(struct itsvm *t, unsigned cmdq_pages)
{
	struct sg_ram_desc ram;
	char err[256];

	memset(t, 0, sizeof(*t));
	harness_daemon_start(&t->vm.d, NULL);
	harness_shape(&t->vm.shape, 2, 64, 1);
	t->memfd = harness_memfd(RAM_SIZE);
	t->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, t->memfd, 0);
	ck_assert_ptr_ne(t->ram, MAP_FAILED);
	ram = (struct sg_ram_desc){ .gpa = RAM_GPA, .size = RAM_SIZE, .fd = t->memfd };
	ck_assert_msg(sg_attach(t->vm.d.control_path, "test", &t->vm.shape, &ram, 1, NULL, 0, 10000,
				&t->vm.att, err, sizeof(err)) == 0,
		      "%s", err);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(mmio_chan_init(&t->vm.ch[i], i), 0);
		t->vm.ch[i].fd = t->vm.att.mmio_fd[i];
	}
	t->vm.bus_seq = 1;
	gits_post(t, GITS_CBASER, GITS_CBASER_VALID | CMDQ_GPA | (cmdq_pages - 1));
	gits_post(t, GITS_BASER + 0, baser(DT_GPA));
	gits_post(t, GITS_BASER + 8, baser(CT_GPA));
	post_raw(&t->vm, 0, gits(t, GITS_CTLR), 4, GITS_CTLR_ENABLED);
	ck_assert_uint_eq(read_raw(&t->vm, 0, gits(t, GITS_CTLR)) & GITS_CTLR_ENABLED,
			  GITS_CTLR_ENABLED);
}

static void its_stop(struct itsvm *t)
{
	vm_stop(&t->vm);
	munmap(t->ram, RAM_SIZE);
	close(t->memfd);
}

static void q_cmd(struct itsvm *t, uint64_t dw0, uint64_t dw1, uint64_t dw2)
{
	uint64_t *c = (uint64_t *)(t->ram + (CMDQ_GPA - RAM_GPA) + t->q_wr);

	c[0] = htole64(dw0);
	c[1] = htole64(dw1);
	c[2] = htole64(dw2);
	c[3] = 0;
	t->q_wr = (t->q_wr + GITS_CMD_SIZE) % (CMDQ_PAGES * 4096);
}

static void c_mapd(struct itsvm *t, uint32_t dev, unsigned size, uint64_t itt)
{
	q_cmd(t, GITS_CMD_MAPD | ((uint64_t)dev << 32), size, (1ull << 63) | itt);
}

static void c_mapc(struct itsvm *t, uint32_t icid, unsigned vcpu)
{
	q_cmd(t, GITS_CMD_MAPC, 0, (1ull << 63) | ((uint64_t)vcpu << 16) | icid);
}

static void c_mapti(struct itsvm *t, uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
	q_cmd(t, GITS_CMD_MAPTI | ((uint64_t)dev << 32), ((uint64_t)intid << 32) | ev, icid);
}

static void c_int(struct itsvm *t, uint32_t dev, uint32_t ev)
{
	q_cmd(t, GITS_CMD_INT | ((uint64_t)dev << 32), ev, 0);
}

/* CWRITER = what we wrote, then CREADR (a read: it fences). */
static uint64_t q_kick(struct itsvm *t)
{
	gits_post(t, GITS_CWRITER, t->q_wr);
	return gits_read64(t, GITS_CREADR);
}

START_TEST(test_cap_its_device_ids)
{
	struct itsvm t;

	its_start(&t, CMDQ_PAGES);
	/* The device table holds DT_IDS DeviceIDs; Devbits allows 16 bits. */
	c_mapd(&t, DT_IDS, 0, ITT_GPA(0));
	c_mapd(&t, 1u << ITS_DEVICE_ID_BITS, 0, ITT_GPA(0));
	c_mapd(&t, DT_IDS - 1, 0, ITT_GPA(0));
	/* Skipped, recorded, the queue goes on: CREADR reached CWRITER, not stalled. */
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "DEVICE_OOR: DeviceID beyond the device "
						     "table (GITS_BASER0) or 16 bits: skipped"),
			  2);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "its0: command 0x08 at CREADR 0x0 failed "
						     "(error 0x010801)"),
			  1);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "commands 3 (errors 2, stalls 0)"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_its_itt_size)
{
	struct itsvm t;

	its_start(&t, CMDQ_PAGES);
	c_mapd(&t, 1, ITS_EVENT_ID_BITS, ITT_GPA(1)); /* Size is EventID bits - 1 */
	c_mapd(&t, 2, ITS_EVENT_ID_BITS - 1, ITT_GPA(2));
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "(error 0x010802) ITTSIZE_OOR: MAPD Size "
						     "above 15 (16 EventID bits): skipped"),
			  1);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "commands 2 (errors 1, stalls 0)"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_its_itt_beyond_ram)
{
	uint64_t creadr, mapti_at;
	struct itsvm t;

	its_start(&t, CMDQ_PAGES);
	/* An ITT outside guest RAM: MAPD is fine (the architecture does not
	 * check it), the first ITE write faults and stalls the queue there. */
	c_mapd(&t, 3, 0, RAM_GPA + RAM_SIZE + 0x100000);
	c_mapc(&t, 0, 0);
	mapti_at = t.q_wr;
	c_mapti(&t, 3, 0, GIC_LPI_BASE, 0);
	creadr = q_kick(&t);
	ck_assert_uint_eq(creadr & GITS_CREADR_STALLED, GITS_CREADR_STALLED);
	ck_assert_uint_eq(creadr & GITS_CMDQ_OFFSET_MASK, mapti_at);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "table fault: a table or ITT entry not in "
						     "guest RAM: queue stalled"),
			  1);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "commands 3 (errors 0, stalls 1)"), 1);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "table faults 2"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_its_command_queue)
{
	uint64_t creadr;
	struct itsvm t;

	/* The smallest queue (CBASER.Size 0: 4 KiB); CWRITER at its end. */
	its_start(&t, 1);
	gits_post(&t, GITS_CWRITER, 4096);
	creadr = gits_read64(&t, GITS_CREADR);
	ck_assert_uint_eq(creadr, GITS_CREADR_STALLED);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "its0: command queue stalled at CREADR 0x0 "
						     "(error 0x010082): CWRITER beyond the "
						     "command queue (GITS_CBASER.Size)"),
			  1);
	/* A CWRITER inside the queue clears that stall by itself. */
	gits_post(&t, GITS_CWRITER, 0);
	ck_assert_uint_eq(gits_read64(&t, GITS_CREADR), 0);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_writable_windows)
{
	const unsigned ndev = GUEST_RAM_MAX_WINDOWS + 44;
	struct bus_seen seen = { 0 };
	struct itsvm t;
	char want[128];

	its_start(&t, CMDQ_PAGES);
	/* One ITT window per mapped device, more than the table holds. */
	for (unsigned d = 0; d < ndev; d++)
		c_mapd(&t, d, 0, ITT_GPA(d));
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	snprintf(want, sizeof(want),
		 "guest RAM: all %u writable windows in use (GUEST_RAM_MAX_WINDOWS): unmapping the "
		 "least recently used one",
		 GUEST_RAM_MAX_WINDOWS);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, want), 1);
	/* Never an error: device 0's window was evicted, its ITE write maps it
	 * again and the translation works. */
	c_mapc(&t, 0, 1);
	c_mapti(&t, 0, 0, GIC_LPI_BASE + 5, 0);
	c_int(&t, 0, 0);
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	bus_wait(&t.vm, &seen, 1, 0);
	ck_assert_uint_eq(seen.delivers, 1);
	ck_assert_uint_eq(seen.last_deliver_intid, GIC_LPI_BASE + 5);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	snprintf(want, sizeof(want), "writable windows %u of %u", GUEST_RAM_MAX_WINDOWS,
		 GUEST_RAM_MAX_WINDOWS);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, want), 1);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "(errors 0, stalls 0)"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-caps");
	TCase *tc = tcase_create("caps");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_cap_vcpus_per_hello);
	tcase_add_test(tc, test_cap_pending_control_connections);
	tcase_add_test(tc, test_cap_one_vm_per_daemon);
	tcase_add_test(tc, test_cap_peer_uid);
	tcase_add_test(tc, test_cap_ram_regions);
	tcase_add_test(tc, test_cap_fds_per_datagram);
	tcase_add_test(tc, test_cap_message_size);
	tcase_add_test(tc, test_cap_batch_length);
	tcase_add_test(tc, test_cap_decode_arena);
	tcase_add_test(tc, test_cap_output_queue);
	tcase_add_test(tc, test_cap_retained_datagrams);
	tcase_add_test(tc, test_cap_retained_bytes);
	tcase_add_test(tc, test_cap_drain_round);
	tcase_add_test(tc, test_cap_pending_queries);
	tcase_add_test(tc, test_cap_its_device_ids);
	tcase_add_test(tc, test_cap_its_itt_size);
	tcase_add_test(tc, test_cap_its_itt_beyond_ram);
	tcase_add_test(tc, test_cap_its_command_queue);
	tcase_add_test(tc, test_cap_writable_windows);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
