// SPDX-License-Identifier: MIT
/*
 * splitgic-vm: runs an arm64 program on Unicorn (one engine per vCPU) with
 * splitgic as its interrupt controller.  This file builds the machine in
 * order (RAM, image, device tree, GIC, devices, vCPUs), runs the scheduler
 * and tears everything down; docs/vmm.md has the design.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu.h"
#include "devices.h"
#include "dtb.h"
#include "loader.h"
#include "log.h"
#include "options.h"
#include "scheduler.h"
#include "summary.h"
#include "vm_shape.h"
#include "vmm.h"

/* Samples kept per latency kind (4 MiB each). */
#define LATENCY_SAMPLES (1u << 20)
/* After --timeout, how long the scheduler may stay stuck (in a GIC access
 * to a daemon that does not answer) before the watchdog ends the process. */
#define WATCHDOG_GRACE_S 35

static struct vmm vmm;

static void on_signal(int sig)
{
	/* Async-signal-safe: atomics and write() only. */
	atomic_store(&vmm.signal, sig);
	for (unsigned i = 0; i < vmm.nr_vcpus; i++)
		atomic_fetch_or(&vmm.vcpu[i].attention, ATT_STOP);
	sched_wake(&vmm);
}

static void *watchdog(void *arg)
{
	struct vmm *m = arg;
	struct timespec ts;
	int64_t at = m->deadline_ns + (int64_t)WATCHDOG_GRACE_S * 1000000000;

	ts.tv_sec = (time_t)(at / 1000000000);
	ts.tv_nsec = (long)(at % 1000000000);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	uart_flush(&m->uart);
	fprintf(stderr, "splitgic-vm: still stuck %d s after the timeout: exiting\n",
		WATCHDOG_GRACE_S);
	_exit(VM_EXIT_TIMEOUT);
	return NULL;
}

/* The restarter could not bring gicd-server back: the guest cannot go on. */
static void restart_failed(void *ctx, const char *why)
{
	vmm_stop(ctx, VM_EXIT_VMM_ERROR, "gicd-server restart failed: %s", why);
}

static int fatal(const char *what, const char *err)
{
	fprintf(stderr, "splitgic-vm: %s: %s\n", what, err);
	return VM_EXIT_VMM_ERROR;
}

/* RAM, the program and the device tree. */
static int build_memory(struct vmm *m, uint64_t *entry)
{
	struct dtb_config dc = {
		.nr_cpus = m->nr_vcpus,
		.mpidr = m->mpidr,
		.ram_base = VM_RAM_BASE,
		.ram_size = (uint64_t)m->opt.mem_mib << 20,
		.dtb_reserve = VM_DTB_MAX,
		.has_load_iterations = m->opt.has_load_iterations,
		.load_iterations = m->opt.load_iterations,
	};
	struct sg_addr_map map;
	struct load_result lr;
	char err[256];
	int rc, size;

	rc = guest_ram_create(&m->ram, VM_RAM_BASE, dc.ram_size);
	if (rc < 0)
		return fatal("guest RAM", strerror(-rc));
	if (load_image_file(m->opt.image, &m->ram, VM_RAM_BASE + VM_DTB_MAX, &lr, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "splitgic-vm: %s\n", err);
		return VM_EXIT_BAD_ARGS;
	}
	sg_addr_map_default(&map, 1);
	dc.gicd_base = map.gicd_base;
	dc.gicr_base = map.gicr_base;
	dc.its_base = map.its_base[0];
	size = dtb_build(guest_ram_ptr(&m->ram, VM_DTB_ADDR, VM_DTB_MAX), VM_DTB_MAX, &dc);
	if (size < 0)
		return fatal("device tree", "does not fit in 64 KiB");
	sg_info("%s image %s: 0x%llx..0x%llx, entry 0x%llx; DTB %d bytes", lr.elf ? "ELF" : "flat",
		m->opt.image, (unsigned long long)lr.lo, (unsigned long long)lr.hi,
		(unsigned long long)lr.entry, size);
	*entry = lr.entry;
	return 0;
}

/*
 * --log-file: fd 2 becomes the file, so the agent's and the spawned
 * daemon's lines (and sanitizer reports) land there too; the summary keeps
 * the original stderr.  Returns the summary's stream, or NULL.
 */
static FILE *log_to_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), keep;
	FILE *f;

	if (fd < 0) {
		fprintf(stderr, "splitgic-vm: bad --log-file '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	keep = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	f = keep < 0 ? NULL : fdopen(keep, "w");
	if (!f || dup2(fd, STDERR_FILENO) < 0) {
		fprintf(stderr, "splitgic-vm: --log-file '%s': %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		else if (keep >= 0)
			close(keep);
		close(fd);
		return NULL;
	}
	close(fd);
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct vmm *m = &vmm;
	FILE *report = stderr; /* the summary's stream */
	bool devices_up = false, gic_up = false;
	uint64_t entry = 0;
	int64_t t0;
	char err[512];
	int status, rc;

	rc = options_parse(&m->opt, argc, argv, stderr);
	if (rc)
		return rc;
	if (m->opt.help) {
		options_usage(stdout, argv[0]);
		return 0;
	}
	if (m->opt.version) {
		printf("splitgic-vm %s (Unicorn %u.%u)\n", SG_VERSION, UC_API_MAJOR, UC_API_MINOR);
		return 0;
	}
	if (m->opt.log_file) {
		report = log_to_file(m->opt.log_file);
		if (!report)
			return VM_EXIT_BAD_ARGS;
	}
	/* After the redirection: it looks at what stderr is. */
	sg_log_init("splitgic-vm", (enum sg_log_level)m->opt.log_level);
	m->wake_fd = -1;
	m->ram.fd = -1;
	m->nr_vcpus = m->opt.cpus;
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		m->mpidr[i] = ((uint64_t)(i / 16) << 8) | (i % 16);

	status = build_memory(m, &entry);
	if (status)
		goto out;
	status = VM_EXIT_VMM_ERROR;
	/* Before any thread exists: this may fork gicd-server. */
	if (gic_setup(&m->gic, &m->opt, m->mpidr, &m->ram, err, sizeof(err)) < 0) {
		fatal("gicd-server", err);
		goto out;
	}
	gic_up = true;
	if (latency_init(&m->lat, LATENCY_SAMPLES) < 0) {
		fatal("latency records", strerror(ENOMEM));
		goto out;
	}
	if (devices_init(m, err, sizeof(err)) < 0) {
		fprintf(stderr, "splitgic-vm: %s\n", err);
		status = VM_EXIT_BAD_ARGS;
		goto out;
	}
	devices_up = true;
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		if (cpu_create(m, &m->vcpu[i], i, err, sizeof(err)) < 0) {
			fatal("Unicorn", err);
			goto out;
		}
	if (sched_init(m) < 0) {
		fatal("scheduler", strerror(errno));
		goto out;
	}
	install_signals();
	if (devices_start(m) < 0) {
		fatal("device threads", strerror(errno));
		goto out;
	}
	t0 = host_now_ns();
	m->start_ns = t0;
	vclock_init(&m->clock, t0);
	if (m->opt.timeout_s > 0) {
		pthread_t wd;

		m->deadline_ns = t0 + (int64_t)(m->opt.timeout_s * 1e9);
		if (pthread_create(&wd, NULL, watchdog, m) == 0)
			pthread_detach(wd);
	}
	if (gic_start_restarts(&m->gic, &m->opt, restart_failed, m, err, sizeof(err)) < 0) {
		fatal("gicd-server restarts", err);
		goto out;
	}
	cpu_schedule_start(&m->vcpu[0], entry, VM_DTB_ADDR);
	sched_run(m);
	status = m->exit_status;
	devices_fini(m);
	devices_up = false;
	uart_flush(&m->uart);
	if (m->opt.summary)
		summary_print(report, m, host_now_ns() - t0);
out:
	if (devices_up)
		devices_fini(m);
	sched_fini(m);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		cpu_destroy(&m->vcpu[i]);
	if (gic_up) {
		gic_teardown(&m->gic);
		if (m->opt.summary)
			summary_daemon(report, m);
		if (m->gic.daemon.exited && m->gic.daemon_exit != 0) {
			sg_err("gicd-server exited with code %d", m->gic.daemon_exit);
			if (status == 0)
				status = VM_EXIT_VMM_ERROR;
		}
		/* A restarted daemon that crashed or leaked fails the run too. */
		if (m->gic.restarter.st.failures) {
			sg_err("%u gicd-server restart failures, the first: %s",
			       m->gic.restarter.st.failures, m->gic.restarter.st.failure);
			if (status == 0)
				status = VM_EXIT_VMM_ERROR;
		}
		if (m->opt.summary)
			summary_result(report, m, status);
	}
	gic_fini(&m->gic);
	latency_fini(&m->lat);
	guest_ram_destroy(&m->ram);
	if (report != stderr)
		fclose(report);
	return status;
}
