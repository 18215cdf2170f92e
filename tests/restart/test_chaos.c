// SPDX-License-Identifier: MIT
/*
 * Chaos (issue 6, DESIGN §6): gicd-server killed with SIGKILL at random
 * points, and stopped with SIGTERM and replaced by another binary file (an
 * upgrade), under the chaos workload (chaos_workload.h: edge and level
 * SPIs, MSIs through the ITS, configuration writes from every vCPU).  No
 * interrupt lost, no edge or MSI handled twice, no configuration write
 * lost (read-backs and the final registers equal the reference model).
 *
 * Two ways back, one test case each (meson runs one per test with
 * CK_RUN_CASE):
 *   fd_store:   the harness plays systemd's fd store; the VMM's sockets never
 *               close, so it never re-attaches (SG_VM_RECONNECTS == 0);
 *   state_file: --state-file; the VMM sees the hang-up and re-attaches.
 *
 * Kill points: right after the previous instance became ready (while the
 * agents replay and resynchronise), after a random amount of workload
 * progress, or after a random delay.
 *
 * Also checked: no Resync disagrees with the distributor and the daemon
 * rejects nothing (docs/restart.md, "What the chaos tests found").
 *
 * CHAOS_SEED=n repeats a run's choices (thread interleaving is not
 * reproducible); CHAOS_KILLS / CHAOS_TERMS set the number of SIGKILLs and
 * SIGTERM upgrades of a case for soak runs (docs/restart.md).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chaos_workload.h"
#include "check_run.h"
#include "harness.h"

/* Per case: issue 6 asks for at least 50 kills and 20 upgrades per run. */
#define DEFAULT_KILLS 50u
#define DEFAULT_TERMS 20u

static unsigned seed;

static unsigned env_count(const char *name, unsigned dflt)
{
	const char *e = getenv(name);

	return e && e[0] ? (unsigned)strtoul(e, NULL, 0) : dflt;
}

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A copy of the daemon binary at path: an upgrade execs another file. */
static void copy_binary(const char *src, const char *path)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	struct stat st;

	ck_assert_msg(in >= 0, "%s: %s", src, strerror(errno));
	ck_assert_int_eq(fstat(in, &st), 0);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ck_assert_msg(out >= 0, "%s: %s", path, strerror(errno));
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));

		ck_assert_msg(n > 0, "copying %s: %s", src, strerror(errno));
	}
	close(in);
	ck_assert_int_eq(close(out), 0);
}

static void expect_exe(pid_t pid, const char *path)
{
	char link[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	ck_assert_msg(n > 0, "readlink %s: %s", link, strerror(errno));
	exe[n] = '\0';
	ck_assert_msg(strcmp(exe, path) == 0, "the daemon runs %s, expected %s (seed %u)", exe,
		      path, seed);
}

/* Waits for a random kill point (see the header comment). */
static void kill_point(struct chaos *c, unsigned *rs)
{
	char err[512];
	unsigned r = rnd(rs) % 10;

	if (r < 2)
		return;
	if (r < 8) {
		ck_assert_msg(chaos_wait_progress(c, 1 + rnd(rs) % 400, err, sizeof(err)) == 0,
			      "%s", err);
		return;
	}
	usleep(rnd(rs) % 20000);
}

static void run(bool managed)
{
	unsigned kills = env_count("CHAOS_KILLS", DEFAULT_KILLS);
	unsigned terms = env_count("CHAOS_TERMS", DEFAULT_TERMS);
	unsigned n = kills + terms, rs = seed, cur = 0;
	struct harness_daemon d;
	struct chaos_config cfg = { .seed = seed, .vm_name = "test" };
	struct chaos_report rep;
	struct chaos *c;
	char tmp[] = "/tmp/splitgic-chaos-XXXXXX", state[PATH_MAX] = "", bins[3][PATH_MAX],
	     err[512];
	const char *level = getenv("CHAOS_DAEMON_LOG");
	/* Quiet by default; CHAOS_DAEMON_LOG=debug for an investigation. */
	const char *args[5] = { "--log-level", level && level[0] ? level : "notice", NULL, NULL,
				NULL };
	int *plan = calloc(n ? n : 1, sizeof(*plan));
	uint64_t reconnects, resumes;

	ck_assert_ptr_nonnull(plan);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	ck_assert_ptr_nonnull(realpath(getenv("GICD_SERVER"), bins[0]));
	for (unsigned i = 1; i < 3; i++) {
		snprintf(bins[i], sizeof(bins[i]), "%s/gicd-server-%c", tmp, 'a' + i - 1);
		copy_binary(bins[0], bins[i]);
	}
	if (!managed) {
		snprintf(state, sizeof(state), "%s/state", tmp);
		args[2] = "--state-file";
		args[3] = state;
	}
	/* Which restarts are crashes and which upgrades, in a random order. */
	for (unsigned i = 0; i < n; i++)
		plan[i] = i < kills ? SIGKILL : SIGTERM;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = rnd(&rs) % i;
		int t = plan[i - 1];

		plan[i - 1] = plan[j];
		plan[j] = t;
	}
	printf("chaos %s: seed %u (CHAOS_SEED), %u SIGKILLs, %u SIGTERM upgrades\n",
	       managed ? "fd store" : "state file", seed, kills, terms);
	fflush(stdout);

	if (managed)
		harness_daemon_start_managed(&d, args);
	else
		harness_daemon_start(&d, args);
	cfg.control_path = d.control_path;
	/* A failing run leaves it behind for the reproduction. */
	printf("chaos: daemon log %s\n", d.log_path);
	fflush(stdout);
	ck_assert_msg(chaos_start(&cfg, &c, err, sizeof(err)) == 0, "%s", err);
	for (unsigned i = 0; i < n; i++) {
		int code;

		kill_point(c, &rs);
		if (plan[i] == SIGTERM) {
			/* The upgrade: another file than the one running. */
			cur = cur == 1 ? 2 : 1;
			harness_daemon_set_server(&d, bins[cur]);
		}
		code = harness_daemon_restart(&d, plan[i], args);
		ck_assert_msg(code == (plan[i] == SIGKILL ? 128 + SIGKILL : 0),
			      "restart %u: the old daemon exited %d after %s (seed %u)", i, code,
			      plan[i] == SIGKILL ? "SIGKILL" : "SIGTERM", seed);
		expect_exe(d.pid, bins[cur]);
	}
	/* And the last instance serves a while before the checks. */
	ck_assert_msg(chaos_wait_progress(c, 1000, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(chaos_finish(c, &rep, err, sizeof(err)) == 0, "%s", err);
	reconnects = rep.vm_stat[SG_VM_RECONNECTS];
	resumes = rep.vm_stat[SG_VM_RESUMES];
	printf("chaos %s: seed %u: %llu edges, %llu level assertions, %llu MSIs, %llu "
	       "configuration writes, %llu read-backs, %llu state reads, %llu ITS moves; "
	       "%llu resumes, %llu reconnects, %llu datagrams replayed, %llu bus duplicates, "
	       "%llu log-full waits\n",
	       managed ? "fd store" : "state file", seed, (unsigned long long)rep.edges,
	       (unsigned long long)rep.levels, (unsigned long long)rep.msis,
	       (unsigned long long)rep.config_writes, (unsigned long long)rep.readbacks,
	       (unsigned long long)rep.state_reads, (unsigned long long)rep.its_moves,
	       (unsigned long long)resumes, (unsigned long long)reconnects,
	       (unsigned long long)rep.vm_stat[SG_VM_REPLAYED],
	       (unsigned long long)rep.vm_stat[SG_VM_BUS_DUPLICATES],
	       (unsigned long long)rep.vm_stat[SG_VM_LOG_FULL]);
	if (n) {
		ck_assert_msg(resumes >= 1 && resumes <= n,
			      "%llu resumes for %u restarts (seed %u)", (unsigned long long)resumes,
			      n, seed);
		if (managed)
			/* The channels were in the fd store all along. */
			ck_assert_msg(reconnects == 0, "%llu reconnects with an fd store (seed %u)",
				      (unsigned long long)reconnects, seed);
		else
			ck_assert_msg(reconnects >= 1 && reconnects <= n,
				      "%llu reconnects for %u restarts (seed %u)",
				      (unsigned long long)reconnects, n, seed);
	}
	/* Exactly-once channels and Resync taken with the outbox leave nothing
	 * to repair; messages a sender sent before it saw Resume are dropped
	 * quietly (the replay brings them): nothing is rejected. */
	printf("chaos: %u Resync disagreements logged\n",
	       harness_log_count(&d, "Resync disagreed"));
	ck_assert_msg(harness_log_count(&d, "Resync disagreed") == 0,
		      "a Resync disagreed with the distributor (seed %u)", seed);
	ck_assert_msg(harness_log_count(&d, "rejected message") == 0,
		      "the daemon rejected messages (seed %u)", seed);
	ck_assert_msg(harness_log_count(&d, "VM state: c") == 0,
		      "the daemon could not record its state (seed %u)", seed);
	chaos_destroy(c);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	for (unsigned i = 1; i < 3; i++)
		unlink(bins[i]);
	if (state[0])
		unlink(state);
	rmdir(tmp);
	free(plan);
}

START_TEST(fd_store)
{
	run(true);
}
END_TEST

START_TEST(state_file)
{
	run(false);
}
END_TEST

int main(void)
{
	const struct {
		const char *name;
		const TTest *test;
	} cases[] = { { "fd_store", fd_store }, { "state_file", state_file } };
	const char *env = getenv("CHAOS_SEED");
	Suite *s;

	seed = env && env[0] ? (unsigned)strtoul(env, NULL, 0)
			     : (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	s = suite_create("chaos");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].test);
		/* The soak mode's length is the operator's choice. */
		tcase_set_timeout(tc, getenv("CHAOS_KILLS") || getenv("CHAOS_TERMS") ? 0 : 240);
		suite_add_tcase(s, tc);
	}
	return check_run_suite(s);
}
