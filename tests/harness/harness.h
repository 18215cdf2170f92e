/* SPDX-License-Identifier: MIT */
/*
 * Test harness: start the real gicd-server binary ($GICD_SERVER) in a
 * private directory, wait for its readiness notification, attach a VM to
 * it, read its log, stop it and get its exit code; the VMM and guest side
 * the tests share (create and connect an sg_vm, GICD accesses, take and EOI
 * an interrupt).  The Check runner of their main() is tests/check_run.h.
 */
#ifndef SPLITGIC_TEST_HARNESS_H
#define SPLITGIC_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "splitgic/attach.h"
#include "vm_shape.h"

#define HARNESS_MAX_STORED 300

struct sg_vm;
struct sg_vm_config;

struct harness_daemon {
	pid_t pid;
	char dir[256];
	char control_path[320];
	char log_path[320];
	/* Managed mode: the harness plays systemd's fd store (FDSTORE=1). */
	bool managed;
	int notify_fd;
	unsigned nr_stored;
	int stored_fd[HARNESS_MAX_STORED];
	char stored_name[HARNESS_MAX_STORED][16];
	unsigned starts; /* instances started in this directory */
	/* The binary the next (re)start runs; empty: $GICD_SERVER. */
	char server[256];
};

/*
 * Starts $GICD_SERVER (env var set by meson) in a fresh temp dir with
 * --control-socket <dir>/control.sock --vm test --log-level debug plus
 * extra_args (NULL-terminated, may be NULL); stderr goes to log_path;
 * returns once the daemon sent READY=1 on a NOTIFY_SOCKET the harness
 * created (no polling sleeps).  ck_assert()s on failure.
 */
void harness_daemon_start(struct harness_daemon *d, const char *const *extra_args);

/*
 * Like harness_daemon_start(), but socket-activated: listen_fd (a listening
 * AF_UNIX SOCK_SEQPACKET socket bound to a path) becomes the daemon's fd 3
 * with LISTEN_FDS=1 and LISTEN_FDNAMES=fdname (none if NULL).
 * control_path is set to the path listen_fd is bound to.
 */
void harness_daemon_start_activated(struct harness_daemon *d, int listen_fd, const char *fdname,
				    const char *const *extra_args);

/*
 * Like harness_daemon_start(), but the harness acts as the service manager's
 * fd store: it keeps what the daemon sends with FDSTORE=1 (and forgets on
 * FDSTOREREMOVE=1), and harness_daemon_restart() hands it to the next
 * instance with LISTEN_FDS / LISTEN_FDNAMES, as systemd does on a restart.
 */
void harness_daemon_start_managed(struct harness_daemon *d, const char *const *extra_args);

/*
 * Stops the running instance with sig (SIGKILL: a crash; SIGTERM: a clean
 * restart or an upgrade), then starts a new one in the same directory with
 * the same control socket, log (appended) and extra_args, as a service
 * manager restarting it would; returns the old instance's exit code (or
 * 128+signal).  In managed mode the new instance gets the stored fds.
 */
int harness_daemon_restart(struct harness_daemon *d, int sig, const char *const *extra_args);

/*
 * The binary later harness_daemon_restart() calls execute instead of
 * $GICD_SERVER (an upgrade: another file, same arguments).  Call after a
 * start, which resets it.
 */
void harness_daemon_set_server(struct harness_daemon *d, const char *path);

/* Sends SIGTERM and waits; returns the exit code, or 128+signal if killed.
 * Removes the temp dir.  Under GICD_SERVER_WRAPPER (below), an exit code
 * equal to the wrapper's --error-exitcode fails the test here (also in
 * harness_daemon_restart()). */
int harness_daemon_stop(struct harness_daemon *d);

bool harness_daemon_alive(struct harness_daemon *d);

/*
 * GICD_SERVER_WRAPPER="valgrind --error-exitcode=97 ...": every daemon runs
 * under that command (split on blanks, found in PATH) and with --no-seccomp;
 * true if one is set.  HARNESS_TIMEOUT_MULTIPLIER=N scales the harness's
 * safety-net timeouts for such a slow daemon.
 */
bool harness_daemon_wrapped(void);
unsigned harness_timeout_scale(void);

/* Number of lines of the daemon's log containing needle. */
unsigned harness_log_count(const struct harness_daemon *d, const char *needle);

/* nr_vcpus vCPUs with MPIDR Aff0 = index (Aff1 = index / 16 once above 16),
 * nr_spis SPIs, lr_count 4, default address map with nr_its ITS frames. */
void harness_shape(struct sg_vm_shape *s, unsigned nr_vcpus, unsigned nr_spis, unsigned nr_its);

/* sg_attach() to the daemon (no RAM); ck_assert on failure. */
void harness_attach(struct harness_daemon *d, const struct sg_vm_shape *s,
		    struct sg_attachment *att);

/* A memfd of size bytes for guest RAM tests. */
int harness_memfd(size_t size);

/* ------------------------------------------- a VM through libvcpu-agent */

/* cfg for sg_vm_create() of a VM of shape s: its vCPUs, LRs, SPIs and
 * address map, no RAM.  cfg->mpidr points into s. */
void harness_vm_config(struct sg_vm_config *cfg, const struct sg_vm_shape *s);

/* sg_vm_create() of shape s (no RAM, not attached); ck_assert on failure. */
struct sg_vm *harness_vm_create(const struct sg_vm_shape *s);

/* sg_vm_connect() of vm to daemon d as VM name; ck_assert on failure (with
 * the daemon's log). */
void harness_vm_connect(struct sg_vm *vm, struct harness_daemon *d, const char *name);

/* Every vCPU's interface as a booted guest sets it: Group 1 enabled
 * (ICC_IGRPEN1_EL1), priority mask 0xF8. */
void harness_vm_enable_grp1(struct sg_vm *vm);

/*
 * A GICD register access trapped on vCPU vcpu of vm, made from the thread
 * that owns that vCPU (outside its guest); ck_assert that it completed.  A
 * read returns once the distributor applied every write posted before it.
 */
uint64_t harness_gicd_read(struct sg_vm *vm, unsigned vcpu, uint32_t off, unsigned size);
void harness_gicd_write(struct sg_vm *vm, unsigned vcpu, uint32_t off, unsigned size, uint64_t val);

/*
 * vCPU vcpu's guest, run by the caller (the vCPU has no thread of its own):
 * waits for a Group 1 interrupt and acknowledges it (IAR1); returns its
 * INTID, or GIC_INTID_SPURIOUS if none came within a safety net of 200 s.
 */
uint32_t harness_take_irq(struct sg_vm *vm, unsigned vcpu);
/* The guest's EOI of intid on vCPU vcpu (EOImode 0: drop and deactivate). */
void harness_eoi(struct sg_vm *vm, unsigned vcpu, uint32_t intid);

#endif
