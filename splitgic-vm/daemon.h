/* SPDX-License-Identifier: MIT */
/*
 * A gicd-server child for this VM: spawned with a control socket (and,
 * for restarts, a state file) in a private temporary directory, waited for
 * through NOTIFY_SOCKET (READY=1), stopped and started again by the
 * restarter, reaped at the end.
 */
#ifndef SGVM_DAEMON_H
#define SGVM_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct daemon {
	pid_t pid;
	int pidfd;
	char dir[128];
	char control_path[192];
	char state_path[192]; /* --state-file, or "" */
	/* Kept so that daemon_start() can run the same command again. */
	char server[PATH_MAX];
	char vm_name[72];
	char log_level[16];
	bool exited;
	int exit_code; /* exit status, or 128 + signal */
};

/*
 * The gicd-server binary to run when none is given: next to this
 * executable, then ../gicd-server/gicd-server (the build tree), then
 * "gicd-server" from PATH.
 */
void daemon_default_path(char *buf, size_t len);

/*
 * Creates the private directory and starts server --control-socket
 * DIR/control.sock --vm vm_name --log-level log_level (plus --state-file
 * DIR/state with state_file), then waits until it is ready.  Returns 0, or
 * -1 with a reason in err (the child, if any, is reaped, the directory
 * removed).
 */
int daemon_spawn(struct daemon *d, const char *server, const char *vm_name, const char *log_level,
		 bool state_file, char *err, size_t errlen);

/*
 * Starts the same command again in the same directory (after
 * daemon_stop()) and waits for READY=1.  Returns 0, or -1 with a reason in
 * err.  The daemon's parent-death signal follows the calling thread: that
 * thread must outlive the daemon.
 */
int daemon_start(struct daemon *d, char *err, size_t errlen);

/*
 * Sends sig and reaps the daemon, keeping its directory (and state file)
 * for the next daemon_start().  A daemon still there after grace_ms gets
 * SIGKILL (*forced set).  Returns its exit code (128 + signal if killed).
 */
int daemon_stop(struct daemon *d, int sig, int grace_ms, bool *forced);

/* Whether the daemon has exited (without reaping it). */
bool daemon_alive(struct daemon *d);

/*
 * Stops and reaps the daemon and removes its directory.  Without terminate
 * it gets grace_ms to exit by itself (it stops when its VM detaches), then
 * SIGTERM and as long again; with terminate SIGTERM comes first.  SIGKILL
 * ends a daemon that still does not exit.  Returns its exit code (128 +
 * signal if killed).
 */
int daemon_reap(struct daemon *d, int grace_ms, bool terminate);

#endif
