// SPDX-License-Identifier: MIT
/*
 * Restart blackout (issue 6, item 7): how long a vCPU cannot get a GICD
 * read served while gicd-server restarts.  A vCPU thread issues GICD_TYPER
 * reads back to back; the blackout of one restart is the time from the
 * signal (or the systemctl call) to the completion of the first read served
 * by the new instance.  A read completes after the new instance's Resume
 * reached the agent only if that instance served it (the old one is gone by
 * then, and a reply it sent before the signal is taken within microseconds),
 * so "first read completed with SG_VM_RESUMES past its value at the signal"
 * is that read.
 *
 * Rows: SIGTERM restart and SIGKILL crash, each
 *   (a) without systemd: --state-file, the VMM re-attaches;
 *   (b) the test harness's fd store emulation (what systemd does, in-process);
 *   (c) a real systemd user manager: `systemctl --user restart` and a
 *       SIGKILL to the MainPID (Restart=on-failure, RestartSec=50ms).
 * Baseline in the same run: the GICD read round trip with no restart.
 * Per row: p50, p90 and max of the blackouts, p50 over the baseline's p50
 * and over the state-file row's p50 for the same signal.
 *
 * Usage: bench-restart [-n restarts per row] [-d gicd-server]
 *   (c) puts its user manager in SPLITGIC_SD_DIR, by default this build's
 *   bench directory or else the current directory (sd_dir_default()).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "gic_regs.h"
#include "gicd_units.h"
#include "harness.h"
#include "sd_user.h"
#include "splitgic/agent.h"

#define NV	       2u
#define BASELINE_READS 4000u
#define SD_VM	       "bench"
#define SD_SERVICE     "gicd-server@" SD_VM ".service"

struct reader {
	struct sg_vm *vm;
	pthread_t thread;
	atomic_bool stop;
	atomic_uint_fast64_t armed_resumes; /* resumes at the signal; ~0: not armed */
	atomic_uint_fast64_t first_ns;	    /* completion of the first read after it */
	atomic_uint_fast64_t reads;
	atomic_bool failed;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	struct sg_vcpu *v = sg_vm_vcpu(r->vm, 0);

	while (!atomic_load(&r->stop)) {
		uint64_t val = 0, armed;

		if (sg_vcpu_mmio(v, SG_DEFAULT_GICD_BASE + GICD_TYPER, 4, false, &val) !=
		    SG_MMIO_DONE) {
			atomic_store(&r->failed, true);
			return NULL;
		}
		atomic_fetch_add(&r->reads, 1);
		armed = atomic_load(&r->armed_resumes);
		if (armed != UINT64_MAX && sg_vm_stat(r->vm, SG_VM_RESUMES) > armed) {
			uint64_t zero = 0;

			atomic_compare_exchange_strong(&r->first_ns, &zero, bench_now_ns());
		}
	}
	return NULL;
}

static struct sg_vm *new_vm(const char *control, const char *name)
{
	struct sg_vm_config cfg = { 0 };
	uint64_t mpidr[NV];
	struct sg_vm *vm;
	char err[256];

	for (unsigned i = 0; i < NV; i++)
		mpidr[i] = i;
	cfg.nr_vcpus = NV;
	cfg.mpidr = mpidr;
	cfg.lr_count = 4;
	cfg.nr_spis = 64;
	sg_addr_map_default(&cfg.map, 0);
	if (sg_vm_create(&cfg, &vm) < 0 || sg_vm_connect(vm, control, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench-restart: attaching to %s failed: %s\n", control, err);
		exit(1);
	}
	return vm;
}

static void start_reader(struct reader *r, struct sg_vm *vm)
{
	memset(r, 0, sizeof(*r));
	r->vm = vm;
	atomic_store(&r->armed_resumes, UINT64_MAX);
	if (pthread_create(&r->thread, NULL, reader_thread, r) != 0)
		exit(1);
}

static void stop_reader(struct reader *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
}

/* Before the signal: the next read completed after a Resume counts. */
static uint64_t arm(struct reader *r)
{
	atomic_store(&r->first_ns, 0);
	atomic_store(&r->armed_resumes, sg_vm_stat(r->vm, SG_VM_RESUMES));
	return bench_now_ns();
}

/* Waits for that read; returns the blackout in ns (0 if the reader failed). */
static uint64_t blackout(struct reader *r, uint64_t t0)
{
	uint64_t t1;

	while (!(t1 = atomic_load(&r->first_ns)) && !atomic_load(&r->failed))
		usleep(100);
	atomic_store(&r->armed_resumes, UINT64_MAX);
	/* Some reads between restarts: the next one starts from steady state. */
	for (uint64_t n = atomic_load(&r->reads) + 200;
	     atomic_load(&r->reads) < n && !atomic_load(&r->failed);)
		usleep(100);
	return t1 ? t1 - t0 : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank. */
static double pct(uint64_t *s, unsigned n, double p)
{
	unsigned k = (unsigned)(p / 100.0 * n + 0.999999);

	qsort(s, n, sizeof(*s), cmp_u64);
	return (double)s[k ? k - 1 : 0];
}

static double base_p50;
static double state_file_p50[2]; /* SIGTERM, SIGKILL */

/* sig: 0 SIGTERM, 1 SIGKILL. */
static void row(const char *what, unsigned sig, uint64_t *s, unsigned n)
{
	double p50 = pct(s, n, 50), p90 = pct(s, n, 90), max = pct(s, n, 100);

	if (!state_file_p50[sig])
		state_file_p50[sig] = p50;
	printf("%-36s %4u %8.2f %8.2f %8.2f %9.0f %7.2f\n", what, n, p50 / 1e6, p90 / 1e6,
	       max / 1e6, p50 / base_p50, p50 / state_file_p50[sig]);
	fflush(stdout);
}

static void baseline(void)
{
	struct harness_daemon d;
	const char *args[] = { "--log-level", "warning", NULL };
	uint64_t *s = calloc(BASELINE_READS, sizeof(*s));
	struct sg_vm *vm;

	harness_daemon_start(&d, args);
	vm = new_vm(d.control_path, "test");
	for (unsigned i = 0; i < BASELINE_READS; i++) {
		uint64_t val, t0 = bench_now_ns();

		if (sg_vcpu_mmio(sg_vm_vcpu(vm, 0), SG_DEFAULT_GICD_BASE + GICD_TYPER, 4, false,
				 &val) != SG_MMIO_DONE)
			exit(1);
		s[i] = bench_now_ns() - t0;
	}
	base_p50 = pct(s, BASELINE_READS, 50);
	printf("baseline: GICD read round trip, no restart: p50 %.1f us, p99 %.1f us (%u "
	       "reads)\n\n",
	       base_p50 / 1e3, pct(s, BASELINE_READS, 99) / 1e3, BASELINE_READS);
	printf("%-36s %4s %8s %8s %8s %9s %7s\n", "blackout (kill -> first read served)", "n",
	       "p50 ms", "p90 ms", "max ms", "x base", "x state");
	sg_vm_destroy(vm);
	harness_daemon_stop(&d);
	free(s);
}

/* (a) and (b): the harness restarts the daemon as a service manager would. */
static void harness_rows(bool managed, unsigned n)
{
	static const int sigs[2] = { SIGTERM, SIGKILL };
	char dir[] = "/tmp/splitgic-bench-XXXXXX", state[64];
	const char *args[5] = { "--log-level", "warning", NULL, NULL, NULL };
	uint64_t *s = calloc(n, sizeof(*s));

	if (!mkdtemp(dir))
		exit(1);
	snprintf(state, sizeof(state), "%s/state", dir);
	if (!managed) {
		args[2] = "--state-file";
		args[3] = state;
	}
	for (unsigned k = 0; k < 2; k++) {
		struct harness_daemon d;
		struct reader r;
		char what[64];

		if (managed)
			harness_daemon_start_managed(&d, args);
		else
			harness_daemon_start(&d, args);
		start_reader(&r, new_vm(d.control_path, "test"));
		for (unsigned i = 0; i < n; i++) {
			uint64_t t0 = arm(&r);

			harness_daemon_restart(&d, sigs[k], args);
			s[i] = blackout(&r, t0);
			if (!s[i]) {
				fprintf(stderr, "bench-restart: a read failed\n");
				exit(1);
			}
		}
		stop_reader(&r);
		sg_vm_destroy(r.vm);
		harness_daemon_stop(&d);
		snprintf(what, sizeof(what), "%s %s", managed ? "fd store (harness)" : "state file",
			 k ? "SIGKILL" : "SIGTERM");
		row(what, k, s, n);
	}
	unlink(state);
	rmdir(dir);
	free(s);
}

/* Says why, shows the logs, stops the manager (and its directory) and exits. */
static void sd_fail(struct sd_user *m, const char *why)
{
	fprintf(stderr, "bench-restart: %s\n", why);
	sd_user_dump_log(m);
	gicd_units_dump_log(m, SD_VM);
	sd_user_stop(m);
	exit(1);
}

/*
 * Untimed, after each restart: the new MainPID, then a reset of the unit's
 * start rate limit.  The unit allows 20 starts in 10 s (StartLimitBurst=),
 * fewer than a row of restarts here; reset-failed keeps the bench from
 * running into it without changing the units.
 */
static pid_t main_pid(struct sd_user *m, pid_t old)
{
	char out[1024];

	for (unsigned i = 0; i < 10000; i++) {
		unsigned long long pid = 0;
		char st[32];

		if (sd_user_prop_u64(m, SD_SERVICE, "MainPID", &pid) && pid && (pid_t)pid != old &&
		    sd_user_prop(m, SD_SERVICE, "ActiveState", st, sizeof(st)) == 0 &&
		    strcmp(st, "active") == 0) {
			if (sd_user_ctl(m, out, sizeof(out), "reset-failed", SD_SERVICE,
					(char *)NULL) != 0)
				sd_fail(m, "systemctl reset-failed failed");
			return (pid_t)pid;
		}
		usleep(1000);
	}
	sd_fail(m, SD_SERVICE " did not come back");
	return 0;
}

/* (c): a real user manager running this build's units. */
static void systemd_rows(const char *service_unit, const char *socket_unit, unsigned n)
{
	struct sd_user m;
	struct reader r;
	char why[512], control[256], out[1024];
	uint64_t *s = calloc(n, sizeof(*s));
	pid_t pid;

	if (sd_user_start(&m, why, sizeof(why)) < 0) {
		printf("systemd: not available (%s)\n", why);
		free(s);
		return;
	}
	if (gicd_units_install(&m, service_unit, socket_unit, SD_VM, why, sizeof(why)) < 0) {
		printf("systemd: not available (%s)\n", why);
		sd_user_stop(&m);
		free(s);
		return;
	}
	gicd_units_control_path(&m, SD_VM, control, sizeof(control));
	start_reader(&r, new_vm(control, SD_VM));
	pid = main_pid(&m, 0);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t0 = arm(&r);

		if (sd_user_ctl(&m, out, sizeof(out), "restart", SD_SERVICE, (char *)NULL) != 0) {
			fprintf(stderr, "bench-restart: systemctl restart: %s\n", out);
			sd_fail(&m, "systemctl restart failed");
		}
		s[i] = blackout(&r, t0);
		pid = main_pid(&m, pid);
	}
	row("systemd SIGTERM (systemctl restart)", 0, s, n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t0 = arm(&r);

		kill(pid, SIGKILL);
		s[i] = blackout(&r, t0);
		pid = main_pid(&m, pid);
	}
	row("systemd SIGKILL (Restart=)", 1, s, n);
	if (sg_vm_stat(r.vm, SG_VM_RECONNECTS))
		printf("systemd: the VMM re-attached %llu times (expected none)\n",
		       (unsigned long long)sg_vm_stat(r.vm, SG_VM_RECONNECTS));
	stop_reader(&r);
	sg_vm_destroy(r.vm);
	sd_user_stop(&m);
	free(s);
}

/*
 * Where (c)'s user manager may live (tests/harness/sd_user.c,
 * runtime_base()): short, writable, and not in what the units' sandbox
 * hides or replaces.
 */
static bool sd_dir_usable(const char *d)
{
	static const char *const hidden[] = { "/tmp", "/run", "/home", "/root", "/dev/shm" };
	struct stat st;

	if (!d || d[0] != '/' || strlen(d) >= 60 || stat(d, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    access(d, W_OK) < 0)
		return false;
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		size_t len = strlen(hidden[i]);

		if (strncmp(d, hidden[i], len) == 0 && (d[len] == '/' || d[len] == '\0'))
			return false;
	}
	return true;
}

/* SPLITGIC_SD_DIR if set; else this build's bench directory or the current one. */
static void sd_dir_default(void)
{
	static char cwd[4096];

	if (getenv("SPLITGIC_SD_DIR"))
		return;
	if (sd_dir_usable(SD_DIR_DEFAULT))
		setenv("SPLITGIC_SD_DIR", SD_DIR_DEFAULT, 1);
	else if (getcwd(cwd, sizeof(cwd)) && sd_dir_usable(cwd))
		setenv("SPLITGIC_SD_DIR", cwd, 1);
	else
		printf("systemd: neither %s nor the current directory can hold the user manager "
		       "(< 60 bytes, writable, not under /tmp, /run, /home, /root, /dev/shm): "
		       "set SPLITGIC_SD_DIR\n",
		       SD_DIR_DEFAULT);
}

int main(int argc, char **argv)
{
	unsigned n = 20;
	int opt;

	while ((opt = getopt(argc, argv, "n:d:")) != -1) {
		switch (opt) {
		case 'n': n = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'd': setenv("GICD_SERVER", optarg, 1); break;
		default:
			fprintf(stderr, "usage: %s [-n restarts per row] [-d gicd-server]\n",
				argv[0]);
			return 2;
		}
	}
	if (!n)
		n = 1;
	if (!getenv("GICD_SERVER"))
		setenv("GICD_SERVER", GICD_SERVER_PATH, 1);
	printf("bench-restart: %s, %u restarts per row, one vCPU thread reading GICD_TYPER\n",
	       getenv("GICD_SERVER"), n);
	sd_dir_default();
	baseline();
	harness_rows(false, n);
	harness_rows(true, n);
	systemd_rows(GICD_SERVICE_UNIT_PATH, GICD_SOCKET_UNIT_PATH, n);
	return 0;
}
