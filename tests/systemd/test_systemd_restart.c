// SPDX-License-Identifier: MIT
/*
 * The units under a real systemd (issue 6b): a private user manager
 * (`systemd --user`, tests/harness/sd_user.h) runs gicd-server@chaos from
 * the units this build generated, socket-activated by the chaos workload's
 * VMM connecting to %t/splitgic/chaos.control.  While the workload runs,
 * the service is restarted (`systemctl --user restart`: SIGTERM, a new
 * process) and killed (`systemctl --user kill -s KILL`: Restart=on-failure
 * brings it back) several times.  Checked: the workload's invariants
 * (chaos_workload.h), that the fd store held the VM's channels the whole
 * time (NFileDescriptorStore, and the VMM never re-attached), that every
 * restart was a new process, and that the daemon exits 0 when the VM goes.
 *
 * Where a user manager cannot run (no systemd, not a systemd host) the test
 * says why and exits 77: meson's skip.  CHAOS_SEED=n repeats its choices.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chaos_workload.h"
#include "gicd_units.h"
#include "sd_user.h"

#define VM	"chaos"
#define SERVICE "gicd-server@" VM ".service"
#define EVENTS	6u /* half restarts, half kills */

static struct sd_user mgr;
static unsigned seed;
static char out[4096];

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* On a failure: the daemon's log and the manager's (how each stop and
 * start went: timeouts, results). */
static void dump_daemon_log(void)
{
	gicd_units_dump_log(&mgr, VM);
	sd_user_dump_log(&mgr);
}

/* Workload progress, or the logs and the failure. */
static void wait_progress(struct chaos *c, unsigned n)
{
	char err[512];

	if (chaos_wait_progress(c, n, err, sizeof(err)) != 0) {
		dump_daemon_log();
		ck_abort_msg("%s", err);
	}
}

static unsigned long long prop_u64(const char *unit, const char *prop)
{
	unsigned long long v = 0;

	ck_assert_msg(sd_user_prop_u64(&mgr, unit, prop, &v), "%s %s is not a number", unit, prop);
	return v;
}

static void prop(const char *unit, const char *name, char *buf, size_t cap)
{
	ck_assert_msg(sd_user_prop(&mgr, unit, name, buf, cap) == 0, "systemctl show %s %s", unit,
		      name);
}

/*
 * Waits until the service runs again as a process other than old_pid and
 * is active (Type=notify: READY=1 was sent).  Polls systemctl: the user
 * manager tells nobody else; the bound only catches a service that never
 * comes back.
 */
static pid_t wait_back(pid_t old_pid)
{
	char state[64];

	for (unsigned i = 0; i < 3000; i++) {
		pid_t pid = (pid_t)prop_u64(SERVICE, "MainPID");

		prop(SERVICE, "ActiveState", state, sizeof(state));
		if (pid > 0 && pid != old_pid && strcmp(state, "active") == 0)
			return pid;
		usleep(10000);
	}
	dump_daemon_log();
	ck_abort_msg("%s did not come back (state %s, seed %u)", SERVICE, state, seed);
	return 0;
}

static void install(void)
{
	const char *svc = getenv("GICD_SERVICE_UNIT"), *sock = getenv("GICD_SOCKET_UNIT");
	char why[512];

	ck_assert_msg(svc && sock, "GICD_SERVICE_UNIT/GICD_SOCKET_UNIT not set (run with meson)");
	ck_assert_msg(gicd_units_install(&mgr, svc, sock, VM, why, sizeof(why)) == 0, "%s", why);
}

START_TEST(restart_and_kill_under_load)
{
	struct chaos_config cfg = { .seed = seed, .vm_name = VM };
	struct chaos_report rep;
	struct chaos *c;
	char path[256], err[512], res[64];
	bool kill_[EVENTS];
	unsigned rs = seed, restarts = 0, kills = 0;
	unsigned long long nrestarts, stored;
	pid_t pid;

	install();
	gicd_units_control_path(&mgr, VM, path, sizeof(path));
	cfg.control_path = path;
	/* The VMM's connection starts the service (socket activation). */
	if (chaos_start(&cfg, &c, err, sizeof(err)) != 0) {
		dump_daemon_log();
		ck_abort_msg("%s", err);
	}
	pid = wait_back(0);
	for (unsigned i = 0; i < EVENTS; i++)
		kill_[i] = i % 2;
	for (unsigned i = EVENTS; i > 1; i--) {
		unsigned j = rnd(&rs) % i;
		bool t = kill_[i - 1];

		kill_[i - 1] = kill_[j];
		kill_[j] = t;
	}
	for (unsigned i = 0; i < EVENTS; i++) {
		wait_progress(c, 1 + rnd(&rs) % 2000);
		/* The VM's state, its channels (3 MMIO + bus) and its RAM. */
		stored = prop_u64(SERVICE, "NFileDescriptorStore");
		ck_assert_msg(stored == CHAOS_NR_VCPUS + 3, "%llu fds in the store, expected %u",
			      stored, CHAOS_NR_VCPUS + 3);
		nrestarts = prop_u64(SERVICE, "NRestarts");
		if (kill_[i]) {
			ck_assert_msg(sd_user_ctl(&mgr, out, sizeof(out), "kill", "-s", "KILL",
						  SERVICE, (char *)NULL) == 0,
				      "kill: %s", out);
			pid = wait_back(pid);
			/* Brought back by Restart=on-failure, not by anyone else. */
			ck_assert_uint_eq(prop_u64(SERVICE, "NRestarts"), nrestarts + 1);
			kills++;
		} else {
			ck_assert_msg(sd_user_ctl(&mgr, out, sizeof(out), "restart", SERVICE,
						  (char *)NULL) == 0,
				      "restart: %s", out);
			pid = wait_back(pid);
			restarts++;
		}
	}
	wait_progress(c, 1000);
	if (chaos_finish(c, &rep, err, sizeof(err)) != 0) {
		dump_daemon_log();
		ck_abort_msg("%s", err);
	}
	printf("systemd: seed %u: %u restarts, %u SIGKILLs; %llu edges, %llu MSIs, %llu "
	       "configuration writes, %llu read-backs; %llu resumes, %llu reconnects, %llu "
	       "datagrams replayed\n",
	       seed, restarts, kills, (unsigned long long)rep.edges, (unsigned long long)rep.msis,
	       (unsigned long long)rep.config_writes, (unsigned long long)rep.readbacks,
	       (unsigned long long)rep.vm_stat[SG_VM_RESUMES],
	       (unsigned long long)rep.vm_stat[SG_VM_RECONNECTS],
	       (unsigned long long)rep.vm_stat[SG_VM_REPLAYED]);
	/* The fd store held the channels: the VMM never had to re-attach. */
	ck_assert_uint_eq(rep.vm_stat[SG_VM_RECONNECTS], 0);
	ck_assert_uint_ge(rep.vm_stat[SG_VM_RESUMES], 1);
	ck_assert_uint_le(rep.vm_stat[SG_VM_RESUMES], EVENTS);
	/* The VM goes: the daemon detaches, forgets its fds and exits 0. */
	chaos_destroy(c);
	for (unsigned i = 0; i < 3000; i++) {
		prop(SERVICE, "ActiveState", res, sizeof(res));
		if (strcmp(res, "active") != 0 && strcmp(res, "deactivating") != 0)
			break;
		usleep(10000);
	}
	prop(SERVICE, "Result", res, sizeof(res));
	if (strcmp(res, "success") != 0)
		dump_daemon_log();
	ck_assert_msg(strcmp(res, "success") == 0, "%s ended with result %s", SERVICE, res);
	ck_assert_uint_eq(prop_u64(SERVICE, "ExecMainStatus"), 0);
	ck_assert_uint_eq(prop_u64(SERVICE, "NFileDescriptorStore"), 0);
}
END_TEST

int main(void)
{
	const char *env = getenv("CHAOS_SEED"), *unit = getenv("GICD_SERVICE_UNIT");
	char why[256];
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	/* The unit's PrivateTmp= hides /tmp and /var/tmp from the service: a
	 * daemon built there cannot be exec'd by it (203/EXEC). */
	if (unit && (strncmp(unit, "/tmp/", 5) == 0 || strncmp(unit, "/var/tmp/", 9) == 0)) {
		printf("SKIP: the build directory (%s) is under /tmp or /var/tmp, which the "
		       "unit's PrivateTmp= hides from the service\n",
		       unit);
		return 77;
	}
	if (sd_user_start(&mgr, why, sizeof(why)) != 0) {
		printf("SKIP: a systemd user manager cannot run here: %s\n", why);
		return 77;
	}
	seed = env && env[0] ? (unsigned)strtoul(env, NULL, 0)
			     : (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	printf("systemd-restart: seed %u (CHAOS_SEED), user manager in %s\n", seed, mgr.dir);
	fflush(stdout);
	s = suite_create("systemd-restart");
	tc = tcase_create("systemd");
	tcase_add_test(tc, restart_and_kill_under_load);
	tcase_set_timeout(tc, 240);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* In this process: the manager it started is the test's. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sd_user_stop(&mgr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
