// SPDX-License-Identifier: MIT
/*
 * splitgic-vm as a process: exit statuses (guest EXIT value, SYSTEM_OFF,
 * timeout, VMM errors, bad arguments), flat and ELF boot, UART input and
 * output, and vmm-checks (traps, IRQ entry, PSCI, time jumps from inside a
 * guest).  argv: the splitgic-vm binary, gicd-server, then the images.
 */
#include "check_run.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { IMG_CHECKS, IMG_SYSOFF, IMG_EXIT42, IMG_CPUOFF, IMG_ECHO, IMG_FETCH, IMG_WFI, NR_IMG };

static const char *vm_bin, *gicd;
static const char *img[NR_IMG];
static char out[8192];

/* Runs splitgic-vm with args (NULL-terminated), stdin from in_path (or
 * /dev/null); returns its exit status, stdout in out[]. */
static int run(const char *in_path, const char *const *args)
{
	const char *argv[32];
	int n = 0, pipefd[2], status;
	size_t got = 0;
	pid_t pid;

	argv[n++] = vm_bin;
	if (gicd) {
		argv[n++] = "--gicd-server";
		argv[n++] = gicd;
	}
	for (; *args && n < 30; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);

		if (in < 0 || dup2(in, 0) < 0 || dup2(pipefd[1], 1) < 0)
			_exit(99);
		close(pipefd[0]);
		execv(vm_bin, (char *const *)argv);
		_exit(98);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t r = read(pipefd[0], out + got, sizeof(out) - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	out[got] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "splitgic-vm died of signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

#define RUN(in, ...) run(in, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(vmm_checks)
{
	char in[] = "/tmp/splitgic-vm-in-XXXXXX";
	int fd = mkstemp(in), rc;

	/* The UART RX check reads this. */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	rc = RUN(in, "--cpus", "2", "--timeout", "120", img[IMG_CHECKS]);
	unlink(in);

	ck_assert_msg(rc == 0, "exit %d (the failed check's number); output:\n%s", rc, out);
	ck_assert_ptr_nonnull(strstr(out, "vmm-checks: PASS"));
}
END_TEST

START_TEST(exit_statuses)
{
	/* The guest's EXIT value, SYSTEM_OFF, every CPU off, executing nowhere. */
	ck_assert_int_eq(RUN(NULL, "--timeout", "60", img[IMG_EXIT42]), 42);
	ck_assert_int_eq(RUN(NULL, "--timeout", "60", "--cpus", "3", img[IMG_SYSOFF]), 0);
	ck_assert_int_eq(RUN(NULL, "--timeout", "60", img[IMG_CPUOFF]), 125);
	ck_assert_int_eq(RUN(NULL, "--timeout", "60", img[IMG_FETCH]), 125);
	/* Waits forever: only the timeout ends it. */
	ck_assert_int_eq(RUN(NULL, "--timeout", "0.5", img[IMG_WFI]), 124);
}
END_TEST

START_TEST(bad_arguments)
{
	static const char junk_elf[] = "\177ELF junk";
	char path[] = "/tmp/splitgic-vm-test-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk_elf, sizeof(junk_elf)), (ssize_t)sizeof(junk_elf));
	close(fd);
	ck_assert_int_eq(RUN(NULL, path), 126); /* malformed ELF */
	unlink(path);
	ck_assert_int_eq(RUN(NULL, "/nonexistent.elf"), 126);
	ck_assert_int_eq(RUN(NULL, "--cpus", "0", img[IMG_EXIT42]), 126);
	ck_assert_int_eq(RUN(NULL, "--spis", "32", img[IMG_EXIT42]), 126);
	ck_assert_int_eq(RUN(NULL, "--frobnicate", img[IMG_EXIT42]), 126);
	ck_assert_int_eq(RUN(NULL, "--uart-out", "/nonexistent/dir/out", img[IMG_EXIT42]), 126);
}
END_TEST

START_TEST(daemon_problems)
{
	const char *saved = gicd;

	/* No daemon at the path: a VMM error. */
	gicd = NULL;
	ck_assert_int_eq(RUN(NULL, "--connect", "/nonexistent/control.sock", img[IMG_EXIT42]), 125);
	/* A "daemon" that never becomes ready. */
	gicd = "/bin/false";
	ck_assert_int_eq(RUN(NULL, img[IMG_EXIT42]), 125);
	gicd = saved;
}
END_TEST

START_TEST(uart)
{
	char in[] = "/tmp/splitgic-vm-in-XXXXXX", outp[] = "/tmp/splitgic-vm-out-XXXXXX";
	int fd = mkstemp(in), ofd = mkstemp(outp);
	char buf[64] = "";
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(ofd, 0);
	ck_assert_int_eq(write(fd, "HAL9q", 5), 5);
	close(fd);
	/* From stdin to stdout. */
	ck_assert_int_eq(RUN(in, "--timeout", "60", img[IMG_ECHO]), 0);
	ck_assert_str_eq(out, "IBM:");
	/* From --uart-in to --uart-out. */
	ck_assert_int_eq(
		RUN(NULL, "--timeout", "60", "--uart-in", in, "--uart-out", outp, img[IMG_ECHO]),
		0);
	ck_assert_str_eq(out, "");
	n = read(ofd, buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 4);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "IBM:");
	close(ofd);
	unlink(in);
	unlink(outp);
}
END_TEST

static Suite *exec_suite(void)
{
	Suite *s = suite_create("vm-exec");
	TCase *tc = tcase_create("exec");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, vmm_checks);
	tcase_add_test(tc, exit_statuses);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, daemon_problems);
	tcase_add_test(tc, uart);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc != 3 + NR_IMG) {
		fprintf(stderr, "usage: %s SPLITGIC-VM GICD-SERVER IMAGES...\n", argv[0]);
		return 2;
	}
	vm_bin = argv[1];
	gicd = argv[2];
	for (unsigned i = 0; i < NR_IMG; i++)
		img[i] = argv[3 + i];
	return check_run_suite(exec_suite());
}
