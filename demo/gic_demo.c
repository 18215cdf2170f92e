// SPDX-License-Identifier: MIT
/*
 * gic-demo: starts gicd-server, attaches a 2-vCPU VM to it and plays the
 * distributor initialisation a Linux guest performs, over the real MMIO
 * channel, then reads the result back and stops the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access_policy.h"
#include "gic_regs.h"
#include "mmio_chan.h"
#include "splitgic/attach.h"
#include "vm_shape.h"

#define NR_VCPUS	 2u
#define NR_SPIS		 64u
#define SPI_PRIORITY	 0xa0u
#define READY_TIMEOUT_MS 10000
#define RWP_POLL_LIMIT	 1000u
#define LOG_TAIL_LINES	 8u

struct demo {
	const char *server;
	char dir[64];
	char control[100];
	char notify[100];
	char log[192];
	pid_t pid;
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct mmio_chan ch[NR_VCPUS];
	unsigned step;
	unsigned mismatches;
};

static void say(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	printf("step %2u: ", ++d->step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("gic-demo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ----------------------------------------------------- the daemon */

static void spawn_daemon(struct demo *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	int nfd, pidfd;

	snprintf(d->dir, sizeof(d->dir), "/tmp/gic-demo-XXXXXX");
	if (!mkdtemp(d->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(d->control, sizeof(d->control), "%s/control.sock", d->dir);
	snprintf(d->notify, sizeof(d->notify), "%s/notify.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/gicd-server.log", d->dir);

	/* The readiness protocol of sd_notify(3), as systemd would run it. */
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->notify);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("notify socket: %s", strerror(errno));

	d->pid = fork();
	if (d->pid < 0)
		die("fork: %s", strerror(errno));
	if (d->pid == 0) {
		int log = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (log < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		setenv("NOTIFY_SOCKET", d->notify, 1);
		execl(d->server, d->server, "--vm", "demo", "--control-socket", d->control,
		      "--log-level", "info", (char *)NULL);
		_exit(127);
	}
	pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
	for (;;) {
		struct pollfd p[2] = { { .fd = nfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, pidfd >= 0 ? 2 : 1, READY_TIMEOUT_MS) <= 0)
			die("gicd-server did not become ready within %d ms", READY_TIMEOUT_MS);
		if (pidfd >= 0 && (p[1].revents & POLLIN))
			die("gicd-server exited before it was ready; see %s", d->log);
		n = recv(nfd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, "READY=1"))
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	close(nfd);
	printf("gic-demo: gicd-server (pid %d) is ready, control socket %s\n", (int)d->pid,
	       d->control);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* SIGTERM, wait, report; returns the daemon's exit code (128+sig if killed). */
static int stop_daemon(struct demo *d)
{
	char lines[LOG_TAIL_LINES][512], line[512];
	unsigned n = 0;
	int status, code;
	FILE *f;

	kill(d->pid, SIGTERM);
	while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
		;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("gic-demo: sent SIGTERM; gicd-server exited with status %d%s\n", code,
	       code == 0 ? " (clean stop)" : "");
	f = fopen(d->log, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			snprintf(lines[n++ % LOG_TAIL_LINES], sizeof(lines[0]), "%s", line);
		fclose(f);
		printf("gic-demo: last lines of the gicd-server log:\n");
		for (unsigned i = n > LOG_TAIL_LINES ? n - LOG_TAIL_LINES : 0; i < n; i++)
			printf("  | %s", lines[i % LOG_TAIL_LINES]);
	}
	nftw(d->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return code;
}

/* ------------------------------------------------------ guest accesses */

static uint64_t gicd(const struct demo *d, uint32_t offset)
{
	return d->shape.map.gicd_base + offset;
}

/* A write as the vCPU would trap it: posted or waited, per the access policy. */
static void mmio_write(struct demo *d, unsigned vcpu, uint32_t offset, unsigned size, uint64_t val)
{
	struct sg_frame_hit hit;
	int rc;

	sg_addr_decode(&d->shape, gicd(d, offset), &hit);
	if (sg_access_policy(&hit, true) == SG_ACCESS_POSTED)
		rc = mmio_chan_post(&d->ch[vcpu], gicd(d, offset), size, val);
	else
		rc = mmio_chan_call(&d->ch[vcpu], gicd(d, offset), size, true, &val);
	if (rc < 0)
		die("write of GICD+0x%x failed: %s", offset, strerror(-rc));
}

static uint64_t mmio_read(struct demo *d, unsigned vcpu, uint32_t offset, unsigned size)
{
	uint64_t v = 0;
	int rc = mmio_chan_call(&d->ch[vcpu], gicd(d, offset), size, false, &v);

	if (rc < 0)
		die("read of GICD+0x%x failed: %s", offset, strerror(-rc));
	return v;
}

/* GICD_CTLR.RWP: a read that also fences every write before it. */
static void wait_rwp(struct demo *d, const char *after)
{
	for (unsigned i = 1; i <= RWP_POLL_LIMIT; i++)
		if (!(mmio_read(d, 0, GICD_CTLR, 4) & GICD_CTLR_RWP)) {
			say(d, "GICD_CTLR.RWP reads 0 after %s (%u read%s)", after, i,
			    i == 1 ? "" : "s");
			return;
		}
	die("GICD_CTLR.RWP still set after %u reads", RWP_POLL_LIMIT);
}

static void check(struct demo *d, unsigned vcpu, const char *name, uint32_t offset, unsigned size,
		  uint64_t mask, uint64_t want)
{
	uint64_t got = mmio_read(d, vcpu, offset, size) & mask;
	bool ok = got == want;

	if (!ok)
		d->mismatches++;
	say(d, "vCPU %u reads back %-21s = 0x%0*" PRIx64 " %s (want 0x%0*" PRIx64 ")", vcpu, name,
	    (int)size * 2, got, ok ? "ok      " : "MISMATCH", (int)size * 2, want);
}

/* -------------------------------------------------------- the guest */

static unsigned identify(struct demo *d)
{
	uint64_t typer = mmio_read(d, 0, GICD_TYPER, 4);
	uint64_t iidr = mmio_read(d, 0, GICD_IIDR, 4);
	uint64_t pidr2 = mmio_read(d, 0, GIC_PIDR2, 4);
	unsigned itlines = GICD_TYPER_ITLINES(typer);
	unsigned lines = 32 * (itlines + 1);

	if (lines > GIC_MAX_SPI_INTID + 1)
		lines = GIC_MAX_SPI_INTID + 1;
	say(d,
	    "GICD_TYPER = 0x%08" PRIx64 ": ITLinesNumber %u -> %u SPIs, CPUNumber %u, IDbits %u, "
	    "LPIS %u, MBIS %u",
	    typer, itlines, lines - GIC_SPI_BASE,
	    (unsigned)((typer >> GICD_TYPER_CPUNUMBER_SHIFT) & 7),
	    (unsigned)((typer >> GICD_TYPER_IDBITS_SHIFT) & 0x1f) + 1, !!(typer & GICD_TYPER_LPIS),
	    !!(typer & GICD_TYPER_MBIS));
	say(d,
	    "GICD_IIDR  = 0x%08" PRIx64 ": implementer 0x%03x, product 0x%02x ('%c'), revision %u",
	    iidr, (unsigned)(iidr & 0xfff), (unsigned)(iidr >> 24),
	    (int)(iidr >> 24) >= 0x20 && (int)(iidr >> 24) < 0x7f ? (int)(iidr >> 24) : '?',
	    (unsigned)((iidr >> 12) & 0xf));
	say(d, "GICD_PIDR2 = 0x%08" PRIx64 ": architecture revision GICv%u", pidr2,
	    (unsigned)((pidr2 >> 4) & 0xf));
	return lines;
}

/* What Linux's gic_dist_init() does, for SPIs 32..lines-1. */
static void init_distributor(struct demo *d, unsigned lines)
{
	mmio_write(d, 0, GICD_CTLR, 4, 0);
	say(d, "GICD_CTLR <- 0 (distributor disabled)");
	wait_rwp(d, "disabling");
	for (unsigned i = GIC_SPI_BASE; i < lines; i += 32)
		mmio_write(d, 0, GICD_IGROUPR + i / 8, 4, 0xffffffffu);
	say(d, "GICD_IGROUPR <- 0xffffffff for SPIs 32..%u (group 1), %u writes", lines - 1,
	    (lines - GIC_SPI_BASE) / 32);
	for (unsigned i = GIC_SPI_BASE; i < lines; i += 16)
		mmio_write(d, 0, GICD_ICFGR + i / 4, 4, 0);
	say(d, "GICD_ICFGR <- 0 for SPIs 32..%u (level-sensitive), %u writes", lines - 1,
	    (lines - GIC_SPI_BASE) / 16);
	for (unsigned i = GIC_SPI_BASE; i < lines; i += 4)
		mmio_write(d, 0, GICD_IPRIORITYR + i, 4, SPI_PRIORITY * 0x01010101u);
	say(d, "GICD_IPRIORITYR <- 0x%02x for SPIs 32..%u, %u writes", SPI_PRIORITY, lines - 1,
	    (lines - GIC_SPI_BASE) / 4);
	for (unsigned i = GIC_SPI_BASE; i < lines; i += 32) {
		mmio_write(d, 0, GICD_ICACTIVER + i / 8, 4, 0xffffffffu);
		mmio_write(d, 0, GICD_ICENABLER + i / 8, 4, 0xffffffffu);
	}
	say(d, "GICD_ICACTIVER, GICD_ICENABLER <- 0xffffffff for SPIs 32..%u (all off)", lines - 1);
	wait_rwp(d, "the configuration writes");
	for (unsigned i = GIC_SPI_BASE; i < lines; i++)
		mmio_write(d, 0, GICD_IROUTER + 8 * i, 8,
			   d->shape.mpidr[0] & GICD_IROUTER_AFF_MASK);
	say(d, "GICD_IROUTER <- 0x%" PRIx64 " (vCPU 0's affinity) for SPIs 32..%u, %u writes",
	    d->shape.mpidr[0], lines - 1, lines - GIC_SPI_BASE);
	mmio_write(d, 0, GICD_CTLR, 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	say(d, "GICD_CTLR <- ARE | EnableGrp1 (0x%x)", GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	wait_rwp(d, "enabling");
}

static void read_back(struct demo *d, unsigned lines)
{
	uint32_t last = lines - 1;

	check(d, 1, "GICD_CTLR", GICD_CTLR, 4, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | GICD_CTLR_RWP,
	      GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	check(d, 1, "GICD_IGROUPR1", GICD_IGROUPR + 4, 4, ~0ull, 0xffffffffu);
	check(d, 1, "GICD_ICFGR2", GICD_ICFGR + 8, 4, ~0ull, 0);
	check(d, 1, "GICD_IPRIORITYR8", GICD_IPRIORITYR + 32, 4, ~0ull, SPI_PRIORITY * 0x01010101u);
	check(d, 0, "GICD_IPRIORITYR(last)", GICD_IPRIORITYR + (last & ~3u), 4, ~0ull,
	      SPI_PRIORITY * 0x01010101u);
	check(d, 0, "GICD_ISENABLER1", GICD_ISENABLER + 4, 4, ~0ull, 0);
	check(d, 1, "GICD_IROUTER32", GICD_IROUTER + 8 * GIC_SPI_BASE, 8, ~0ull,
	      d->shape.mpidr[0] & GICD_IROUTER_AFF_MASK);
	check(d, 1, "GICD_IROUTER(last)", GICD_IROUTER + 8 * last, 8, ~0ull,
	      d->shape.mpidr[0] & GICD_IROUTER_AFF_MASK);
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gic-demo --gicd-server PATH\n"
		"Starts gicd-server, attaches a %u-vCPU, %u-SPI VM and initialises its\n"
		"distributor the way Linux does, over the real MMIO channel.\n",
		NR_VCPUS, NR_SPIS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gicd-server", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { 0 };
	uint64_t posted = 0, waited = 0;
	char err[256];
	unsigned lines;
	int opt, code;

	while ((opt = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		if (opt == 's') {
			d.server = optarg;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!d.server || optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	spawn_daemon(&d);

	/* QEMU virt layout; vCPU i has MPIDR Aff0 = i. */
	d.shape.nr_vcpus = NR_VCPUS;
	for (unsigned i = 0; i < NR_VCPUS; i++)
		d.shape.mpidr[i] = i;
	d.shape.nr_spis = NR_SPIS;
	d.shape.lr_count = 4;
	sg_addr_map_default(&d.shape.map, 0);
	if (sg_attach(d.control, "demo", &d.shape, NULL, 0, NULL, 0, 5000, &d.att, err,
		      sizeof(err)) < 0) {
		stop_daemon(&d);
		die("attach: %s", err);
	}
	printf("gic-demo: attached VM \"demo\": %u vCPUs, %u SPIs, GICD at 0x%" PRIx64
	       " (gicd-server %s, epoch %" PRIu64 ")\n",
	       NR_VCPUS, NR_SPIS, d.shape.map.gicd_base, d.att.daemon_version, d.att.epoch);
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		if (mmio_chan_init(&d.ch[i], i) < 0)
			die("out of memory");
		d.ch[i].fd = d.att.mmio_fd[i];
	}

	lines = identify(&d);
	if (lines > GIC_SPI_BASE + NR_SPIS)
		lines = GIC_SPI_BASE + NR_SPIS;
	init_distributor(&d, lines);
	read_back(&d, lines);

	for (unsigned i = 0; i < NR_VCPUS; i++) {
		posted += d.ch[i].nr_posted;
		waited += d.ch[i].nr_waited;
	}
	printf("gic-demo: %" PRIu64 " MMIO transactions: %" PRIu64
	       " posted writes (no reply), %" PRIu64 " waited reads and writes\n",
	       posted + waited, posted, waited);
	printf("gic-demo: read-back: %u mismatch%s\n", d.mismatches, d.mismatches == 1 ? "" : "es");
	code = stop_daemon(&d);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		mmio_chan_fini(&d.ch[i]);
	sg_attachment_close(&d.att);
	if (d.mismatches || code != 0) {
		printf("gic-demo: FAILED\n");
		return 1;
	}
	printf("gic-demo: OK\n");
	return 0;
}
