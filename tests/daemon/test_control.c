// SPDX-License-Identifier: MIT
/*
 * The control socket and the process: Hello checks (fds, shape, RAM,
 * version, credentials), BUSY, the Hello timeout, detach, socket
 * activation, stale sockets, options and exit codes.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "daemon_util.h"
#include "gic_regs.h"

extern char **environ;

#define RAM_SIZE (4u << 20)
#define RAM_GPA	 0x40000000ull
/* Safety net against a hung daemon: not a synchronisation. */
#define EXIT_TIMEOUT_MS 30000

/* ---------------------------------------------------------- bad Hellos */

enum hello_case {
	HC_FEWER_FDS,
	HC_MORE_FDS,
	HC_PIPES,
	HC_STREAM_SOCKET,
	HC_SAME_SOCKET_TWICE,
	HC_BAD_NR_SPIS,
	HC_DUP_MPIDR,
	HC_NO_VCPUS,
	HC_NO_ADDRESS_MAP,
	HC_RAM_OVERLAP,
	HC_RAM_BEYOND_MEMFD,
	HC_RAM_FD_INDEX,
	HC_RAM_ON_GICD,
	HC_RAM_UNALIGNED,
	HC_RAM_ZERO_SIZE,
	HC_RAM_NOT_A_FILE,
	HC_RAM_TOO_MANY_FDS,
	HC_VM_NAME,
	HC_PROTO_VERSION,
	HC_ENVELOPE_VERSION,
	HC_NOT_HELLO,
	HC_HELLO_WITH_SEQ,
	HC_GARBAGE,
	HC_EMPTY,
	HC_NR_CASES
};

static const struct {
	const char *name;
	int status;
	const char *reason; /* substring of the Welcome reason */
} hello_cases[HC_NR_CASES] = {
	[HC_FEWER_FDS] = { "fewer fds", SG__WELCOME__STATUS__REJECTED,
			   "number of file descriptors" },
	[HC_MORE_FDS] = { "more fds", SG__WELCOME__STATUS__REJECTED, "number of file descriptors" },
	[HC_PIPES] = { "pipes", SG__WELCOME__STATUS__REJECTED, "SOCK_SEQPACKET" },
	[HC_STREAM_SOCKET] = { "stream", SG__WELCOME__STATUS__REJECTED, "SOCK_SEQPACKET" },
	[HC_SAME_SOCKET_TWICE] = { "same socket", SG__WELCOME__STATUS__REJECTED, "same socket" },
	[HC_BAD_NR_SPIS] = { "nr_spis", SG__WELCOME__STATUS__REJECTED, "SPI count" },
	[HC_DUP_MPIDR] = { "mpidr", SG__WELCOME__STATUS__REJECTED, "share an MPIDR" },
	[HC_NO_VCPUS] = { "no vcpus", SG__WELCOME__STATUS__REJECTED, "vCPU count" },
	[HC_NO_ADDRESS_MAP] = { "no map", SG__WELCOME__STATUS__REJECTED, "address map" },
	[HC_RAM_OVERLAP] = { "ram overlap", SG__WELCOME__STATUS__REJECTED, "RAM regions overlap" },
	[HC_RAM_BEYOND_MEMFD] = { "ram beyond", SG__WELCOME__STATUS__REJECTED, "beyond the end" },
	[HC_RAM_FD_INDEX] = { "ram fd index", SG__WELCOME__STATUS__REJECTED, "not passed" },
	[HC_RAM_ON_GICD] = { "ram on gicd", SG__WELCOME__STATUS__REJECTED, "GIC frame" },
	[HC_RAM_UNALIGNED] = { "ram unaligned", SG__WELCOME__STATUS__REJECTED, "page aligned" },
	[HC_RAM_ZERO_SIZE] = { "ram size 0", SG__WELCOME__STATUS__REJECTED, "size 0" },
	[HC_RAM_NOT_A_FILE] = { "ram socket", SG__WELCOME__STATUS__REJECTED, "regular file" },
	[HC_RAM_TOO_MANY_FDS] = { "ram fds", SG__WELCOME__STATUS__REJECTED, "too many" },
	[HC_VM_NAME] = { "vm name", SG__WELCOME__STATUS__REJECTED, "different VM" },
	[HC_PROTO_VERSION] = { "proto version", SG__WELCOME__STATUS__VERSION, "version" },
	[HC_ENVELOPE_VERSION] = { "envelope version", SG__WELCOME__STATUS__VERSION, "version" },
	[HC_NOT_HELLO] = { "not hello", SG__WELCOME__STATUS__REJECTED, "not allowed" },
	[HC_HELLO_WITH_SEQ] = { "hello seq", SG__WELCOME__STATUS__REJECTED, "sequence number" },
	[HC_GARBAGE] = { "garbage", SG__WELCOME__STATUS__REJECTED, "undecodable" },
	[HC_EMPTY] = { "empty", SG__WELCOME__STATUS__REJECTED, "empty datagram" },
};

/* Everything a hand-built Hello needs, owned by the test. */
struct hello_build {
	struct sg_vm_shape shape;
	Sg__Hello hello;
	Sg__AddressMap am;
	Sg__RamRegion ram[SG_MAX_RAM_REGIONS], *ram_ptrs[SG_MAX_RAM_REGIONS];
	Sg__Envelope env;
	int fds[SG_MAX_VCPUS + 8]; /* what goes with the Hello */
	unsigned nfds;
	int owned[2 * SG_MAX_VCPUS + 8]; /* every fd we made, closed once at the end */
	unsigned nowned;
};

static int own(struct hello_build *b, int fd)
{
	ck_assert_int_ge(fd, 0);
	b->owned[b->nowned++] = fd;
	return fd;
}

static void hb_channels(struct hello_build *b, int type)
{
	for (unsigned i = 0; i <= b->shape.nr_vcpus; i++) {
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
		own(b, sv[0]);
		b->fds[b->nfds++] = own(b, sv[1]);
	}
}

static void hb_add_region(struct hello_build *b, uint64_t gpa, uint64_t size, uint32_t index,
			  uint64_t offset)
{
	Sg__RamRegion *r = &b->ram[b->hello.n_ram];

	sg__ram_region__init(r);
	r->gpa = gpa;
	r->size = size;
	r->fd_index = index;
	r->fd_offset = offset;
	b->ram_ptrs[b->hello.n_ram++] = r;
	b->hello.ram = b->ram_ptrs;
}

static void hb_add_ram_fd(struct hello_build *b, int fd)
{
	b->fds[b->nfds++] = own(b, fd);
	b->hello.nr_ram_fds++;
}

/* A good Hello for 2 vCPUs, 64 SPIs and one RAM region; then broken as c says. */
static void hb_init(struct hello_build *b, enum hello_case c)
{
	memset(b, 0, sizeof(*b));
	harness_shape(&b->shape, 2, 64, 0);
	if (c == HC_BAD_NR_SPIS)
		b->shape.nr_spis = 33;
	if (c == HC_DUP_MPIDR)
		b->shape.mpidr[1] = b->shape.mpidr[0];
	sg__hello__init(&b->hello);
	sg_shape_to_hello(&b->shape, &b->hello, &b->am);
	b->hello.proto_version = c == HC_PROTO_VERSION ? SG_PROTO_VERSION + 1 : SG_PROTO_VERSION;
	b->hello.vm_name = (char *)(c == HC_VM_NAME ? "someone-else" : "test");
	if (c == HC_NO_VCPUS)
		b->hello.n_vcpu_mpidr = 0;
	if (c == HC_NO_ADDRESS_MAP)
		b->hello.address_map = NULL;

	if (c == HC_PIPES) {
		for (unsigned i = 0; i <= b->shape.nr_vcpus; i++) {
			int p[2];

			ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
			own(b, p[1]);
			b->fds[b->nfds++] = own(b, p[0]);
		}
	} else if (c == HC_STREAM_SOCKET) {
		hb_channels(b, SOCK_STREAM);
	} else {
		hb_channels(b, SOCK_SEQPACKET);
	}
	if (c == HC_SAME_SOCKET_TWICE)
		b->fds[1] = b->fds[0];
	if (c == HC_FEWER_FDS)
		b->nfds--;

	if (c == HC_RAM_NOT_A_FILE) {
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		own(b, sv[1]);
		hb_add_ram_fd(b, sv[0]);
	} else {
		hb_add_ram_fd(b, harness_memfd(RAM_SIZE));
	}
	switch (c) {
	case HC_RAM_OVERLAP:
		hb_add_region(b, RAM_GPA, RAM_SIZE / 2, 0, 0);
		hb_add_region(b, RAM_GPA + RAM_SIZE / 4, RAM_SIZE / 2, 0, RAM_SIZE / 2);
		break;
	case HC_RAM_BEYOND_MEMFD: hb_add_region(b, RAM_GPA, RAM_SIZE, 0, 4096); break;
	case HC_RAM_FD_INDEX: hb_add_region(b, RAM_GPA, RAM_SIZE, 1, 0); break;
	case HC_RAM_ON_GICD: hb_add_region(b, SG_DEFAULT_GICD_BASE - 0x10000, 0x20000, 0, 0); break;
	case HC_RAM_UNALIGNED: hb_add_region(b, RAM_GPA + 0x800, 0x1000, 0, 0); break;
	case HC_RAM_ZERO_SIZE: hb_add_region(b, RAM_GPA, 0, 0, 0); break;
	case HC_RAM_TOO_MANY_FDS: b->hello.nr_ram_fds = SG_MAX_RAM_REGIONS + 1; break;
	default: hb_add_region(b, RAM_GPA, RAM_SIZE, 0, 0); break;
	}
	if (c == HC_MORE_FDS) {
		b->fds[b->nfds++] = own(b, harness_memfd(4096));
	}
	sg_envelope_init(&b->env);
	b->env.body_case = SG__ENVELOPE__BODY_HELLO;
	b->env.hello = &b->hello;
	if (c == HC_ENVELOPE_VERSION)
		b->env.version = SG_PROTO_VERSION + 1;
	if (c == HC_HELLO_WITH_SEQ)
		b->env.seq = 1;
}

static void hb_fini(struct hello_build *b)
{
	for (unsigned i = 0; i < b->nowned; i++)
		close(b->owned[i]);
}

static int hb_send(struct harness_daemon *d, struct hello_build *b, enum hello_case c, char *reason,
		   size_t len)
{
	Sg__Mmio m = SG__MMIO__INIT;
	static const unsigned char junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	switch (c) {
	case HC_GARBAGE:
		return hello_exchange_raw(d->control_path, junk, sizeof(junk), b->fds, b->nfds,
					  reason, len);
	case HC_EMPTY: return hello_exchange_raw(d->control_path, "", 0, NULL, 0, reason, len);
	case HC_NOT_HELLO:
		b->env.body_case = SG__ENVELOPE__BODY_MMIO;
		b->env.mmio = &m;
		break;
	default: break;
	}
	return hello_exchange(d->control_path, &b->env, b->fds, b->nfds, reason, len);
}

START_TEST(test_bad_hello)
{
	struct harness_daemon d;
	struct hello_build b;
	char reason[256];
	int st;

	harness_daemon_start(&d, NULL);
	hb_init(&b, (enum hello_case)_i);
	st = hb_send(&d, &b, (enum hello_case)_i, reason, sizeof(reason));
	hb_fini(&b);
	ck_assert_msg(st == hello_cases[_i].status, "%s: status %d, want %d (%s)",
		      hello_cases[_i].name, st, hello_cases[_i].status, reason);
	ck_assert_msg(strstr(reason, hello_cases[_i].reason), "%s: reason '%s' lacks '%s'",
		      hello_cases[_i].name, reason, hello_cases[_i].reason);
	ck_assert_uint_eq(harness_log_count(&d, "refused ("), 1);
	assert_takes_good_vm(&d);
	/* Closing the good VM's channels detached it: the daemon stopped by itself. */
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------- good attaches */

START_TEST(test_hello_with_ram)
{
	struct harness_daemon d;
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct sg_ram_desc ram[2];
	char err[256];
	int fd = harness_memfd(RAM_SIZE);

	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 4, 128, 1);
	/* Two regions of one memfd. */
	ram[0] = (struct sg_ram_desc){ .gpa = RAM_GPA, .size = RAM_SIZE / 2, .fd = fd };
	ram[1] = (struct sg_ram_desc){
		.gpa = RAM_GPA + RAM_SIZE, .size = RAM_SIZE / 2, .fd = fd, .fd_offset = RAM_SIZE / 2
	};
	ck_assert_msg(sg_attach(d.control_path, "test", &shape, ram, 2, NULL, 0, 10000, &att, err,
				sizeof(err)) == 0,
		      "%s", err);
	close(fd);
	ck_assert_uint_eq(att.epoch, 1);
	for (unsigned i = 0; i <= shape.nr_vcpus; i++)
		ck_assert_uint_eq(att.applied_seq[i], 0);
	ck_assert_str_eq(att.daemon_version, SG_VERSION);
	ck_assert_uint_eq(harness_log_count(&d, "VM test attached by pid"), 1);
	ck_assert_uint_eq(harness_log_count(&d, "4 vCPUs, 128 SPIs, 1 ITS, 2 RAM regions"), 1);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	sg_attachment_close(&att);
}
END_TEST

START_TEST(test_busy)
{
	struct hello_build b;
	char reason[256];
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	hb_init(&b, HC_NR_CASES);
	ck_assert_int_eq(
		hello_exchange(vm.d.control_path, &b.env, b.fds, b.nfds, reason, sizeof(reason)),
		SG__WELCOME__STATUS__BUSY);
	hb_fini(&b);
	/* The attached VM never noticed. */
	vm_assert_healthy(&vm, 0);
	vm_assert_healthy(&vm, 1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "refused (BUSY)"), 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_bad_hello_while_attached)
{
	struct hello_build b;
	char reason[256];
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	hb_init(&b, HC_GARBAGE);
	ck_assert_int_eq(hb_send(&vm.d, &b, HC_GARBAGE, reason, sizeof(reason)),
			 SG__WELCOME__STATUS__REJECTED);
	hb_fini(&b);
	hb_init(&b, HC_FEWER_FDS);
	ck_assert_int_eq(hb_send(&vm.d, &b, HC_FEWER_FDS, reason, sizeof(reason)),
			 SG__WELCOME__STATUS__REJECTED);
	hb_fini(&b);
	vm_assert_healthy(&vm, 0);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

/* ---------------------------------------------------------- credentials */

START_TEST(test_uid_denied)
{
	static const char *const args[] = { "--allow-uid", "54321", NULL };
	struct harness_daemon d;
	struct hello_build b;
	struct sg_attachment att;
	char reason[256], err[256];

	harness_daemon_start(&d, args);
	hb_init(&b, HC_NR_CASES);
	ck_assert_int_eq(
		hello_exchange(d.control_path, &b.env, b.fds, b.nfds, reason, sizeof(reason)),
		SG__WELCOME__STATUS__DENIED);
	ck_assert_int_eq(sg_attach(d.control_path, "test", &b.shape, NULL, 0, NULL, 0, 10000, &att,
				   err, sizeof(err)),
			 -EACCES);
	hb_fini(&b);
	ck_assert(harness_daemon_alive(&d));
	ck_assert_uint_eq(harness_log_count(&d, "refused (DENIED)"), 2);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_uid_allowed)
{
	char uid[32], other[] = "54321";
	const char *args[] = { "--allow-uid", other, "--allow-uid", uid, NULL };
	struct harness_daemon d;

	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	harness_daemon_start(&d, args);
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------- timeouts, exit */

START_TEST(test_hello_timeout)
{
	struct harness_daemon d;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	char c;
	int fd;

	harness_daemon_start(&d, NULL);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_uint_lt(strlen(d.control_path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, d.control_path, strlen(d.control_path) + 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* Say nothing: the daemon hangs up after its Hello timeout. */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, EXIT_TIMEOUT_MS), 1);
	ck_assert_int_eq(recv(fd, &c, 1, 0), 0);
	close(fd);
	ck_assert_uint_eq(harness_log_count(&d, "sent no Hello within 5 s"), 1);
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_detach)
{
	struct vm vm;

	vm_start(&vm, 3, 96, NULL);
	vm_assert_healthy(&vm, 2);
	if (_i == 0) {
		/* The VMM goes away: every channel closes. */
		sg_attachment_close(&vm.att);
	} else {
		/* Only the bus goes: the VM is just as gone. */
		close(vm.att.bus_fd);
		vm.att.bus_fd = -1;
	}
	wait_daemon_exit(&vm.d);
	ck_assert_uint_eq(harness_log_count(&vm.d, "VM test detached"), 1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "received SIGTERM"), 0);
	ck_assert_uint_eq(harness_log_count(&vm.d, "counters mmio2"), 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_sigusr1_counters)
{
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	vm_post(&vm, 0, gicd(&vm, GICD_IPRIORITYR + 40), 1, 0x80);
	vm_assert_healthy(&vm, 0);
	/* USR1 before TERM: the dump comes before the shutdown. */
	ck_assert_int_eq(kill(vm.d.pid, SIGUSR1), 0);
	ck_assert_int_eq(kill(vm.d.pid, SIGTERM), 0);
	wait_daemon_exit(&vm.d);
	ck_assert_uint_eq(harness_log_count(&vm.d, "SIGUSR1: counters follow"), 1);
	/* Once for SIGUSR1, once at exit. */
	ck_assert_uint_eq(harness_log_count(&vm.d, "counters mmio0: rx 2, applied 2"), 2);
	ck_assert_uint_eq(harness_log_count(&vm.d, "counters core: mmio reads 1, writes 1"), 2);
	vm_stop(&vm);
}
END_TEST

/* --------------------------------------------- sockets and activation */

static int bound_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

START_TEST(test_socket_activation)
{
	static const char *const names[] = { "control", NULL };
	char dir[] = "/tmp/splitgic-act-XXXXXX", path[128];
	struct harness_daemon d;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/activated.sock", dir);
	fd = bound_socket(path);
	ck_assert_int_eq(listen(fd, 4), 0);
	harness_daemon_start_activated(&d, fd, names[_i], NULL);
	close(fd);
	ck_assert_str_eq(d.control_path, path);
	ck_assert_uint_eq(harness_log_count(&d, "ignoring --control-socket"), 1);
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	/* Not ours to remove: the service manager owns it. */
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_stale_socket_replaced)
{
	char dir[] = "/tmp/splitgic-stale-XXXXXX", path[128];
	const char *args[] = { "--control-socket", path, NULL };
	struct harness_daemon d;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	close(bound_socket(path)); /* a socket file nobody listens on */
	harness_daemon_start(&d, args);
	snprintf(d.control_path, sizeof(d.control_path), "%s", path);
	ck_assert_uint_eq(harness_log_count(&d, "removed stale socket"), 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	/* Removed at exit. */
	ck_assert_int_eq(access(path, F_OK), -1);
	rmdir(dir);
}
END_TEST

/* Runs gicd-server with args; returns its exit code. */
static int run_daemon(const char *const *args)
{
	const char *server = getenv("GICD_SERVER");
	const char *argv[16];
	posix_spawn_file_actions_t fa;
	unsigned n = 0;
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(server);
	argv[n++] = server;
	for (unsigned i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("NOTIFY_SOCKET");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ck_assert_int_eq(posix_spawn(&pid, server, &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_live_socket_not_taken)
{
	const char *args[4] = { "--control-socket", NULL, NULL, NULL };
	struct harness_daemon d;

	harness_daemon_start(&d, NULL);
	args[1] = d.control_path;
	ck_assert_int_eq(run_daemon(args), 1);
	/* The first daemon keeps its socket. */
	assert_takes_good_vm(&d);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

static const struct {
	const char *args[6];
	int code;
} option_cases[] = {
	{ { "--bogus", NULL }, 2 },
	{ { NULL }, 2 }, /* no control socket, not socket-activated */
	{ { "--control-socket", "/tmp/x.sock", "--log-level", "loud", NULL }, 2 },
	{ { "--control-socket", "/tmp/x.sock", "--allow-uid", "root", NULL }, 2 },
	{ { "--control-socket", "/tmp/x.sock", "--vm", "two words", NULL }, 2 },
	{ { "--control-socket", "/tmp/x.sock", "stray", NULL }, 2 },
	{ { "--control-socket", "/etc/passwd", NULL }, 2 }, /* not a socket: never replaced */
	{ { "--control-socket", "/nonexistent-dir/control.sock", NULL }, 1 },
	{ { "--version", NULL }, 0 },
	{ { "--help", NULL }, 0 },
};

START_TEST(test_options)
{
	ck_assert_int_eq(run_daemon(option_cases[_i].args), option_cases[_i].code);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-control");
	TCase *hello = tcase_create("hello"), *proc = tcase_create("process");

	tcase_add_loop_test(hello, test_bad_hello, 0, HC_NR_CASES);
	tcase_add_test(hello, test_hello_with_ram);
	tcase_add_test(hello, test_busy);
	tcase_add_test(hello, test_bad_hello_while_attached);
	tcase_add_test(hello, test_uid_denied);
	tcase_add_test(hello, test_uid_allowed);
	tcase_add_test(hello, test_hello_timeout);
	suite_add_tcase(s, hello);
	tcase_add_loop_test(proc, test_detach, 0, 2);
	tcase_add_test(proc, test_sigusr1_counters);
	tcase_add_loop_test(proc, test_socket_activation, 0, 2);
	tcase_add_test(proc, test_stale_socket_replaced);
	tcase_add_test(proc, test_live_socket_not_taken);
	tcase_add_loop_test(proc, test_options, 0, sizeof(option_cases) / sizeof(option_cases[0]));
	suite_add_tcase(s, proc);
	return check_run_suite(s);
}
