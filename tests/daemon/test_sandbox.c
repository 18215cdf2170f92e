// SPDX-License-Identifier: MIT
/*
 * The daemon's sandbox (DESIGN §7, gicd-server/sandbox.c): the real daemon
 * runs filtered, without capabilities and with no_new_privs, as --user when
 * started as root, and still serves a VM; the filter itself, installed in a
 * child process, stops a forbidden call with the documented exit status and
 * a log line naming it, and lets the calls the daemon needs through.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "daemon_util.h"
#include "gic_regs.h"
#include "sandbox.h"

extern char **environ;

/* The value of a "Key:\t..." line of /proc/<pid>/status. */
static void proc_status(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *v = line + klen + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			found = true;
			break;
		}
	}
	fclose(f);
	ck_assert_msg(found, "no %s in %s", key, path);
}

static void assert_status(pid_t pid, const char *key, const char *want)
{
	char v[128];

	proc_status(pid, key, v, sizeof(v));
	ck_assert_msg(strcmp(v, want) == 0, "%s: '%s', expected '%s'", key, v, want);
}

START_TEST(test_daemon_is_sandboxed)
{
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	assert_status(vm.d.pid, "Seccomp", "2");
	assert_status(vm.d.pid, "NoNewPrivs", "1");
	assert_status(vm.d.pid, "CapEff", "0000000000000000");
	assert_status(vm.d.pid, "CapPrm", "0000000000000000");
	assert_status(vm.d.pid, "CapBnd", "0000000000000000");
	/* Serving a VM works within the filter: reads, posted writes, SPIs. */
	vm_post(&vm, 1, gicd(&vm, GICD_ISENABLER + 4), 4, 0xF);
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_ISENABLER + 4), 4), 0xF);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_no_seccomp_keeps_the_rest)
{
	static const char *const extra[] = { "--no-seccomp", NULL };
	struct vm vm;

	vm_start(&vm, 1, 32, extra);
	assert_status(vm.d.pid, "Seccomp", "0");
	assert_status(vm.d.pid, "NoNewPrivs", "1");
	assert_status(vm.d.pid, "CapEff", "0000000000000000");
	vm_assert_healthy(&vm, 0);
	vm_stop(&vm);
}
END_TEST

/* Runs $GICD_SERVER with args; returns its exit status, its log in log. */
static int run_daemon(const char *const *args, char *log, size_t loglen)
{
	char path[] = "/tmp/splitgic-sandbox-log-XXXXXX";
	const char *argv[16] = { getenv("GICD_SERVER") };
	posix_spawn_file_actions_t fa;
	int fd = mkstemp(path), status;
	unsigned n = 1;
	ssize_t got;
	pid_t pid;

	ck_assert_ptr_nonnull(argv[0]);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, STDERR_FILENO);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	got = pread(fd, log, loglen - 1, 0);
	log[got > 0 ? got : 0] = '\0';
	close(fd);
	ck_assert_msg(WIFEXITED(status), "daemon killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

START_TEST(test_user_switch)
{
	const struct passwd *pw = getpwnam("nobody");
	char want[64], log[4096];

	ck_assert_ptr_nonnull(pw);
	if (geteuid() == 0) {
		static const char *const extra[] = { "--user", "nobody", NULL };
		struct vm vm;

		vm_start(&vm, 2, 32, extra);
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_uid,
			 (unsigned)pw->pw_uid, (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
		assert_status(vm.d.pid, "Uid", want);
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_gid,
			 (unsigned)pw->pw_gid, (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
		assert_status(vm.d.pid, "Gid", want);
		assert_status(vm.d.pid, "Groups", "");
		assert_status(vm.d.pid, "CapEff", "0000000000000000");
		vm_post(&vm, 0, gicd(&vm, GICD_ISENABLER + 4), 4, 0x3);
		ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, GICD_ISENABLER + 4), 4), 0x3);
		vm_stop(&vm);
	} else {
		/* Not root: --user is a configuration error, said so. */
		static const char *const args[] = { "--control-socket",
						    "/tmp/splitgic-sandbox-unused.sock", "--user",
						    "nobody", NULL };

		ck_assert_int_eq(run_daemon(args, log, sizeof(log)), 2);
		ck_assert_ptr_nonnull(strstr(log, "--user needs the daemon to start as root"));
	}
}
END_TEST

START_TEST(test_unknown_user_is_a_usage_error)
{
	static const char *const args[] = { "--control-socket", "/tmp/splitgic-sandbox-unused.sock",
					    "--user", "no-such-user-splitgic", NULL };
	char log[4096];
	int rc = run_daemon(args, log, sizeof(log));

	ck_assert_int_eq(rc, 2);
	ck_assert_ptr_nonnull(strstr(log, "sandbox:"));
	ck_assert_ptr_nonnull(strstr(log, geteuid() == 0 ? "unknown user 'no-such-user-splitgic'"
							 : "--user needs"));
}
END_TEST

/* ------------------------------------------- the filter, in a child */

enum attempt { TRY_ALLOWED, TRY_INET_SOCKET, TRY_EXEC_MAPPING, TRY_EXECVE, TRY_KILL_PARENT };

/* Child: sandbox, then one attempt; exits 0 when the attempt returned. */
static void child(enum attempt a, int err_fd)
{
	char why[160];
	void *p;
	int fd;

	dup2(err_fd, STDERR_FILENO);
	if (sandbox_drop_privileges(NULL, why, sizeof(why)) < 0 ||
	    sandbox_install_seccomp(why, sizeof(why)) < 0) {
		dprintf(STDERR_FILENO, "setup: %s\n", why);
		_exit(100);
	}
	switch (a) {
	case TRY_ALLOWED:
		/* What the daemon does after setup: state memfd, RW mapping,
		 * a unix socket (sd_notify), time. */
		fd = (int)syscall(SYS_memfd_create, "t", 0u);
		if (fd < 0 || ftruncate(fd, 4096) < 0)
			_exit(101);
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(102);
		((volatile char *)p)[0] = 1;
		if (socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) < 0)
			_exit(103);
		_exit(0);
	case TRY_INET_SOCKET: socket(AF_INET, SOCK_STREAM, 0); break;
	case TRY_EXEC_MAPPING:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case TRY_EXECVE: {
		char *const argv[] = { (char *)"/bin/true", NULL };

		execve("/bin/true", argv, environ);
		break;
	}
	case TRY_KILL_PARENT: kill(getppid(), 0); break;
	}
	_exit(0);
}

/* Runs the attempt in a child; returns its exit status, its stderr in out. */
static int attempt(enum attempt a, char *out, size_t len)
{
	int pipefd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pipefd[0]);
		child(a, pipefd[1]);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

START_TEST(test_filter_allows_what_serving_needs)
{
	char out[512];

	ck_assert_int_eq(attempt(TRY_ALLOWED, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

static void assert_blocked(enum attempt a, long nr)
{
	char out[512], want[96];

	ck_assert_int_eq(attempt(a, out, sizeof(out)), GICD_EXIT_SANDBOX);
	snprintf(want, sizeof(want), "sandbox: blocked system call %ld; stopping", nr);
	ck_assert_msg(strstr(out, want), "log '%s' lacks '%s'", out, want);
}

START_TEST(test_filter_blocks_inet_sockets)
{
	assert_blocked(TRY_INET_SOCKET, SYS_socket);
}
END_TEST

START_TEST(test_filter_blocks_executable_memory)
{
	assert_blocked(TRY_EXEC_MAPPING, SYS_mmap);
}
END_TEST

START_TEST(test_filter_blocks_execve)
{
	assert_blocked(TRY_EXECVE, SYS_execve);
}
END_TEST

START_TEST(test_filter_blocks_signalling_others)
{
	/* Sanitizer builds let kill through (their runtime needs it). */
	if (sandbox_sanitizer_build())
		ck_assert_int_eq(attempt(TRY_KILL_PARENT, (char[512]){ 0 }, 512), 0);
	else
		assert_blocked(TRY_KILL_PARENT, SYS_kill);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-sandbox");
	TCase *tc = tcase_create("sandbox");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_daemon_is_sandboxed);
	tcase_add_test(tc, test_no_seccomp_keeps_the_rest);
	tcase_add_test(tc, test_user_switch);
	tcase_add_test(tc, test_unknown_user_is_a_usage_error);
	tcase_add_test(tc, test_filter_allows_what_serving_needs);
	tcase_add_test(tc, test_filter_blocks_inet_sockets);
	tcase_add_test(tc, test_filter_blocks_executable_memory);
	tcase_add_test(tc, test_filter_blocks_execve);
	tcase_add_test(tc, test_filter_blocks_signalling_others);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
