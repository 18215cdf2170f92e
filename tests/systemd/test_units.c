// SPDX-License-Identifier: MIT
/*
 * The systemd units as installed: `systemd-analyze verify` is clean and
 * `systemd-analyze security` rates the service's exposure at most 2.0.
 */
#include "check_run.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char dir[] = "/tmp/splitgic-units-XXXXXX";

/* Copies the built unit src to dir/name. */
static void install_unit(const char *src, const char *name)
{
	char path[512], buf[8192];
	FILE *in = fopen(src, "r"), *out;
	size_t n;

	ck_assert_msg(in != NULL, "%s: %s", src, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = fopen(path, "w");
	ck_assert_ptr_nonnull(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

/* Runs argv in dir, output into *out; returns the exit status. */
static int run(char *const argv[], char *out, size_t cap)
{
	char log[512];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	FILE *f;
	size_t n;

	snprintf(log, sizeof(log), "%s/out.txt", dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	f = fopen(log, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = 0;
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	install_unit(getenv("GICD_SERVICE_UNIT"), "gicd-server@.service");
	install_unit(getenv("GICD_SOCKET_UNIT"), "gicd-server@.socket");
}

START_TEST(test_verify_is_clean)
{
	char *argv[] = { "systemd-analyze",	   "verify", "--man=no", "gicd-server@vm1.service",
			 "gicd-server@vm1.socket", NULL };
	static char out[16384];
	int rc = run(argv, out, sizeof(out));

	ck_assert_msg(rc == 0 && out[0] == 0, "systemd-analyze verify (%d):\n%s", rc, out);
}
END_TEST

START_TEST(test_exposure_at_most_2)
{
	char unit[512];
	char *argv[] = { "systemd-analyze", "security", "--offline=yes", "--no-pager", unit, NULL };
	static char out[65536];
	const char *p;
	double score;
	int rc;

	snprintf(unit, sizeof(unit), "%s/gicd-server@.service", dir);
	rc = run(argv, out, sizeof(out));
	p = strstr(out, "Overall exposure level");
	ck_assert_msg(rc == 0 && p, "systemd-analyze security (%d):\n%s", rc, out);
	p = strchr(p, ':');
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p + 1, "%lf", &score), 1);
	printf("gicd-server@.service exposure level: %.1f\n", score);
	ck_assert_msg(score <= 2.0, "exposure %.1f > 2.0:\n%s", score, out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("systemd-units");
	TCase *tc = tcase_create("units");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_verify_is_clean);
	tcase_add_test(tc, test_exposure_at_most_2);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
