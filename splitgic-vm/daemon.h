/* SPDX-License-Identifier: MIT */
/*
 * A gicd-server child for this VM: spawned with a control socket in a
 * private temporary directory, waited for through NOTIFY_SOCKET (READY=1),
 * reaped at the end.
 */
#ifndef SGVM_DAEMON_H
#define SGVM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct daemon {
	pid_t pid;
	int pidfd;
	char dir[128];
	char control_path[192];
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
 * Starts server --control-socket DIR/control.sock --vm vm_name --log-level
 * log_level and waits until it is ready.  Returns 0, or -1 with a reason in
 * err (the child, if any, is reaped).
 */
int daemon_spawn(struct daemon *d, const char *server, const char *vm_name, const char *log_level,
		 char *err, size_t errlen);

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
