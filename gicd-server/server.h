/* SPDX-License-Identifier: MIT */
/*
 * The gicd-server process: one libevent loop serving the control socket
 * and at most one attached VM, signals, readiness and status for the
 * service manager, exit codes.
 */
#ifndef GICD_SERVER_H
#define GICD_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

/* Exit codes (docs/gicd-server.md). */
enum {
	GICD_EXIT_OK = 0,      /* clean stop: SIGTERM/SIGINT, or the VM detached */
	GICD_EXIT_FAILURE = 1, /* runtime failure */
	GICD_EXIT_USAGE = 2,   /* bad options or configuration */
	/* 3: GICD_EXIT_SANDBOX (sandbox.h), stopped by the system call filter */
};

#define GICD_MAX_ALLOW_UIDS 64u

struct server_config {
	const char *vm_name;
	const char *control_path; /* NULL: socket activation only */
	const char *state_file;	  /* NULL: a memfd (kept in systemd's fd store) */
	unsigned nr_allow_uids;	  /* 0: root and our own euid */
	uid_t allow_uid[GICD_MAX_ALLOW_UIDS];
	const char *user; /* --user: switch to it after setup (root only) */
	bool no_seccomp;  /* --no-seccomp: no system call filter (debugging) */
};

/* Runs the daemon until it stops; returns the exit code. */
int server_run(const struct server_config *cfg);

/*
 * In-process use (the libFuzzer targets in fuzz/): the daemon's control
 * intake and VM session on the caller's event_base and listening socket
 * (not taken), without signals, readiness, watchdog or sandbox.  A detach
 * breaks the caller's loop and makes server_inproc_stopped() true.
 */
struct server;
struct session;
struct event_base;
struct server *server_inproc_new(struct event_base *base, int listen_fd,
				 const struct server_config *cfg);
const struct session *server_inproc_session(const struct server *srv);
bool server_inproc_stopped(const struct server *srv);
void server_inproc_free(struct server *srv);

#endif
