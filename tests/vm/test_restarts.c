// SPDX-License-Identifier: MIT
/*
 * A guest program on splitgic-vm with gicd-server restarted under it
 * (--restart-every, alternately SIGTERM and SIGKILL; the first restart
 * before the guest's first instruction, so even the shortest program runs
 * into one).  Passes when the guest passed and the summary's result line
 * says restarts happened, none failed, and the agent re-attached and was
 * resumed once per restart.
 *
 * argv: splitgic-vm, gicd-server, the image, then extra splitgic-vm
 * options (--restart-every, --load-iterations ...).  Log lines go to a
 * --log-file, leaving the summary alone on stderr: that is checked too.
 */
#include "check_run.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *vm_bin, *gicd, *image;
static char **extra;
static int nr_extra;

/* Everything a stream said, NUL-terminated (the guest's output or the
 * summary). */
struct capture {
	char *buf;
	size_t len;
};

static void slurp(int fd, struct capture *c)
{
	size_t cap = 1 << 16;

	c->buf = malloc(cap);
	c->len = 0;
	ck_assert_ptr_nonnull(c->buf);
	for (;;) {
		ssize_t r;

		if (c->len + 1 == cap) {
			cap *= 2;
			c->buf = realloc(c->buf, cap);
			ck_assert_ptr_nonnull(c->buf);
		}
		r = read(fd, c->buf + c->len, cap - 1 - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		c->len += (size_t)r;
	}
	c->buf[c->len] = '\0';
}

/* Runs splitgic-vm with argv (NULL-terminated); stdout to a file, stderr
 * captured.  Returns the exit status. */
static int run(const char *const *argv, struct capture *out, struct capture *err)
{
	char out_path[] = "/tmp/splitgic-vm-out-XXXXXX";
	int ofd = mkstemp(out_path), efd[2], status;
	pid_t pid;

	ck_assert_int_ge(ofd, 0);
	unlink(out_path);
	ck_assert_int_eq(pipe(efd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);

		if (in < 0 || dup2(in, 0) < 0 || dup2(ofd, 1) < 0 || dup2(efd[1], 2) < 0)
			_exit(99);
		close(efd[0]);
		execv(vm_bin, (char *const *)argv);
		_exit(98);
	}
	close(efd[1]);
	slurp(efd[0], err);
	close(efd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	lseek(ofd, 0, SEEK_SET);
	slurp(ofd, out);
	close(ofd);
	/* meson keeps this in the test log. */
	fprintf(stderr, "---- guest output\n%s---- splitgic-vm stderr\n%s", out->buf, err->buf);
	ck_assert_msg(WIFEXITED(status), "splitgic-vm died of signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* The value of key=... on the summary's "result:" line. */
static long long result_value(const char *summary, const char *key)
{
	const char *line = strstr(summary, "\nresult: ");
	char pat[64];
	const char *p, *eol;

	ck_assert_msg(line != NULL, "no result line in the summary");
	eol = strchr(line + 1, '\n');
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	ck_assert_msg(p && (!eol || p < eol), "no %s on the result line", key);
	return strtoll(p + strlen(pat), NULL, 10);
}

/* The log file's contents (printed for the test log too). */
static void read_log(const char *path, struct capture *c)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	slurp(fd, c);
	close(fd);
	fprintf(stderr, "---- %s\n%s", path, c->buf);
}

START_TEST(guest_passes_across_restarts)
{
	char log_path[] = "/tmp/splitgic-vm-log-XXXXXX";
	const char *argv[64];
	struct capture out, err, log;
	long long restarts;
	int n = 0, rc, fd = mkstemp(log_path);

	argv[n++] = vm_bin;
	argv[n++] = "--gicd-server";
	argv[n++] = gicd;
	argv[n++] = "--cpus";
	argv[n++] = "4";
	argv[n++] = "--timeout";
	argv[n++] = "250";
	argv[n++] = "--summary";
	argv[n++] = "--first-restart";
	argv[n++] = "0";
	argv[n++] = "--log-file";
	argv[n++] = log_path;
	argv[n++] = "--log-level"; /* the agent's re-attach notices */
	argv[n++] = "notice";
	for (int i = 0; i < nr_extra && n < 62; i++)
		argv[n++] = extra[i];
	argv[n++] = image;
	argv[n] = NULL;
	ck_assert_int_ge(fd, 0);
	close(fd);
	rc = run(argv, &out, &err);
	read_log(log_path, &log);
	unlink(log_path);

	ck_assert_msg(rc == 0, "exit status %d", rc);
	ck_assert_msg(strstr(out.buf, "RESULT: PASS") != NULL, "the guest did not report PASS");
	ck_assert_int_eq(result_value(err.buf, "status"), 0);
	restarts = result_value(err.buf, "restarts");
	/* The first restart is a SIGTERM, before the guest's first instruction. */
	ck_assert_int_ge(restarts, 1);
	ck_assert_int_ge(result_value(err.buf, "sigterm"), 1);
	ck_assert_int_eq(result_value(err.buf, "sigterm") + result_value(err.buf, "sigkill"),
			 restarts);
	ck_assert_int_eq(result_value(err.buf, "restart_failures"), 0);
	/* Each restart: one re-attach, one Resume from the new daemon. */
	ck_assert_int_eq(result_value(err.buf, "reconnects"), restarts);
	ck_assert_int_eq(result_value(err.buf, "resumes"), restarts);
	/* --log-file: the log lines (each hang-up is one) left stderr to the
	 * summary. */
	ck_assert_msg(strstr(log.buf, "splitgic-vm["), "no splitgic-vm log line in the log file");
	ck_assert_msg(!strstr(err.buf, "splitgic-vm[") && !strstr(err.buf, "gicd-server["),
		      "log lines on stderr despite --log-file");
	free(out.buf);
	free(err.buf);
	free(log.buf);
}
END_TEST

/* Not our daemon, not ours to restart: a usage error that says so. */
START_TEST(restarts_need_our_daemon)
{
	const char *argv[] = {
		vm_bin, "--connect", "/nonexistent/control.sock", "--restart-every", "100",
		image,	NULL
	};
	struct capture out, err;

	ck_assert_int_eq(run(argv, &out, &err), 126);
	ck_assert_msg(strstr(err.buf, "--restart-every") &&
			      strstr(err.buf, "not with --connect: that gicd-server is not ours"),
		      "unclear message: %s", err.buf);
	free(out.buf);
	free(err.buf);
}
END_TEST

static Suite *restarts_suite(void)
{
	Suite *s = suite_create("vm-restarts");
	TCase *tc = tcase_create("restarts");

	tcase_set_timeout(tc, 280);
	tcase_add_test(tc, guest_passes_across_restarts);
	tcase_add_test(tc, restarts_need_our_daemon);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s SPLITGIC-VM GICD-SERVER IMAGE [OPTIONS...]\n", argv[0]);
		return 2;
	}
	vm_bin = argv[1];
	gicd = argv[2];
	image = argv[3];
	extra = argv + 4;
	nr_extra = argc - 4;
	return check_run_suite(restarts_suite());
}
