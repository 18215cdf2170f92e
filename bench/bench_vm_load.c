// SPDX-License-Identifier: MIT
/*
 * What the process split costs a whole VM (issue 7): splitgic-vm running
 * the load guest (guest/load.c: SGIs, software-pended SPIs, edge and level
 * device lines, CPU and device MSIs, timers; a fixed number of rounds) on 4
 * vCPUs, split across processes (gicd-server spawned, channels) and
 * embedded (--embedded: the same distributor/ITS code called directly in
 * splitgic-vm's process, docs/embedded.md), alternately, N runs each.
 * Prints per run and as medians the wall time of the guest's run (from
 * splitgic-vm's --summary), of the whole process (start, daemon spawn and
 * attach included) and the CPU time used (children, daemon included), and
 * the ratios split / embedded.  A run that does not pass stops the bench.
 *
 * Usage: bench-vm-load [-n runs] [-i iterations] [-c cpus]
 *                      [-v splitgic-vm] [-d gicd-server] [-g load.elf]
 *   defaults: 5 runs per mode, 2000 rounds, 4 vCPUs, the binaries of
 *   this build tree.  Figures: docs/bench.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_RUNS 99
#define LOG_MAX	 (1u << 20)

enum mode { SPLIT, EMBEDDED, NR_MODES };
static const char *const mode_name[NR_MODES] = { "split", "embedded" };

struct run {
	double wall;  /* fork to exit, s */
	double guest; /* --summary "time: wall", s (0 if not found) */
	double cpu;   /* user + system of the children, s */
};

static const char *vm_path = SPLITGIC_VM_PATH, *server_path = GICD_SERVER_PATH,
		  *elf_path = LOAD_ELF_PATH;
static unsigned runs = 5, iterations = 2000, cpus = 4;

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* The guest's run time from splitgic-vm's summary, or 0. */
static double summary_wall(const char *log)
{
	const char *p = strstr(log, "time: wall ");

	return p ? strtod(p + strlen("time: wall "), NULL) : 0;
}

static int run_once(enum mode m, struct run *r)
{
	char iters[16], ncpu[8];
	const char *argv[16];
	unsigned n = 0;
	int logfd = memfd_create("vm-load-log", MFD_CLOEXEC), status;
	struct rusage ru;
	uint64_t t0;
	char *log;
	pid_t pid;
	ssize_t len;

	if (logfd < 0)
		return -errno;
	snprintf(iters, sizeof(iters), "%u", iterations);
	snprintf(ncpu, sizeof(ncpu), "%u", cpus);
	argv[n++] = vm_path;
	argv[n++] = "--cpus";
	argv[n++] = ncpu;
	argv[n++] = "--load-iterations";
	argv[n++] = iters;
	argv[n++] = "--uart-in";
	argv[n++] = "none";
	argv[n++] = "--summary";
	argv[n++] = "--timeout";
	argv[n++] = "600";
	if (m == EMBEDDED) {
		argv[n++] = "--embedded";
	} else {
		argv[n++] = "--gicd-server";
		argv[n++] = server_path;
	}
	argv[n++] = elf_path;
	argv[n] = NULL;
	t0 = bench_now_ns();
	pid = fork();
	if (pid < 0) {
		close(logfd);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(127);
		execv(vm_path, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		close(logfd);
		return -errno;
	}
	r->wall = (double)(bench_now_ns() - t0) / 1e9;
	/* What the children used since the last run: the daemon, reaped by
	 * splitgic-vm, counts there too. */
	r->cpu = 0;
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		static double seen;
		double all = tv_s(&ru.ru_utime) + tv_s(&ru.ru_stime);

		r->cpu = all - seen;
		seen = all;
	}
	log = calloc(1, LOG_MAX + 1);
	len = log ? pread(logfd, log, LOG_MAX, 0) : -1;
	close(logfd);
	r->guest = len > 0 ? summary_wall(log) : 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-vm-load: %s run failed (status 0x%x); its stderr:\n%s\n",
			mode_name[m], status, len > 0 ? log : "(none)");
		free(log);
		return -1;
	}
	free(log);
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n runs] [-i iterations] [-c cpus] [-v splitgic-vm] [-d gicd-server] "
		"[-g load.elf]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct run res[NR_MODES][MAX_RUNS];
	double med[NR_MODES][3];
	int c;

	while ((c = getopt(argc, argv, "n:i:c:v:d:g:")) != -1) {
		switch (c) {
		case 'n': runs = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'i': iterations = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'c': cpus = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'v': vm_path = optarg; break;
		case 'd': server_path = optarg; break;
		case 'g': elf_path = optarg; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || runs < 1 || runs > MAX_RUNS || cpus < 1)
		usage(argv[0]);
	printf("bench-vm-load: %s on %u vCPUs, %u rounds, %u runs per mode, alternating\n",
	       elf_path, cpus, iterations, runs);
	printf("  splitgic-vm %s\n  gicd-server %s (split mode)\n", vm_path, server_path);
	/* One untimed run of each first: page cache, the daemon binary, etc. */
	for (int m = 0; m < NR_MODES; m++) {
		struct run warm;

		if (run_once((enum mode)m, &warm) < 0)
			return 1;
	}
	printf("%4s  %-9s %9s %9s %9s\n", "run", "mode", "guest s", "wall s", "CPU s");
	for (unsigned i = 0; i < runs; i++)
		for (int k = 0; k < NR_MODES; k++) {
			/* ABBA order, so neither mode always goes first. */
			int m = i % 2 ? NR_MODES - 1 - k : k;
			struct run *r = &res[m][i];

			if (run_once((enum mode)m, r) < 0)
				return 1;
			printf("%4u  %-9s %9.3f %9.3f %9.3f\n", i + 1, mode_name[m], r->guest,
			       r->wall, r->cpu);
			fflush(stdout);
		}
	for (int m = 0; m < NR_MODES; m++) {
		double g[MAX_RUNS], w[MAX_RUNS], u[MAX_RUNS];

		for (unsigned i = 0; i < runs; i++) {
			g[i] = res[m][i].guest;
			w[i] = res[m][i].wall;
			u[i] = res[m][i].cpu;
		}
		med[m][0] = bench_median(g, runs);
		med[m][1] = bench_median(w, runs);
		med[m][2] = bench_median(u, runs);
		printf("median %-9s guest %.3f s, wall %.3f s, CPU %.3f s\n", mode_name[m],
		       med[m][0], med[m][1], med[m][2]);
	}
	printf("ratio split/embedded: guest %.2f, wall %.2f, CPU %.2f\n",
	       med[EMBEDDED][0] > 0 ? med[SPLIT][0] / med[EMBEDDED][0] : 0,
	       med[SPLIT][1] / med[EMBEDDED][1], med[SPLIT][2] / med[EMBEDDED][2]);
	return 0;
}
