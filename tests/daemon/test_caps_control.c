// SPDX-License-Identifier: MIT
/*
 * The resource caps of the control socket (DESIGN §7, docs/gicd-server.md
 * "Limits"): what one Hello may ask for (vCPUs, RAM regions, fds), the
 * connections waiting for their Hello, one VM per daemon, the peer uid.
 * Each drives the real daemon to its cap and checks the Welcome, the log
 * line naming the cap, the counter, and that the daemon still takes a VM.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps_util.h"
#include "check_run.h"
#include "control.h"
#include "daemon_util.h"

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
/* Not root, so no other uid to become: allow only another uid than ours,
 * and be the refused peer. */
static void peer_uid_self(void)
{
	const char *args[2] = { NULL, NULL };
	struct harness_daemon d;
	struct hello_build b;
	char allow[32], reason[256], want[128];

	snprintf(allow, sizeof(allow), "--allow-uid=%u", (unsigned)getuid() + 1);
	args[0] = allow;
	harness_daemon_start(&d, args);
	hb_init(&b);
	ck_assert_int_eq(
		hello_exchange(d.control_path, &b.env, b.fds, b.nfds, reason, sizeof(reason)),
		SG__WELCOME__STATUS__DENIED);
	ck_assert_ptr_nonnull(strstr(reason, "peer uid is not allowed"));
	snprintf(want, sizeof(want), "uid %u gid %u refused (DENIED): peer uid is not allowed",
		 (unsigned)getuid(), (unsigned)getgid());
	ck_assert_uint_eq(harness_log_count(&d, want), 1);
	hb_fini(&b);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}

START_TEST(test_cap_peer_uid)
{
	const struct passwd *pw = getpwnam("nobody");
	struct harness_daemon d;
	char want[128];
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		peer_uid_self();
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

int main(void)
{
	Suite *s = suite_create("daemon-caps-control");
	TCase *tc = tcase_create("caps");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_cap_vcpus_per_hello);
	tcase_add_test(tc, test_cap_pending_control_connections);
	tcase_add_test(tc, test_cap_one_vm_per_daemon);
	tcase_add_test(tc, test_cap_peer_uid);
	tcase_add_test(tc, test_cap_ram_regions);
	tcase_add_test(tc, test_cap_fds_per_datagram);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
