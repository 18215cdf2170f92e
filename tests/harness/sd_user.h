/* SPDX-License-Identifier: MIT */
/*
 * A private systemd user manager for tests and benchmarks: `systemd --user`
 * with its own XDG_RUNTIME_DIR and XDG_CONFIG_HOME in a temporary
 * directory, so units installed there, their sockets (%t) and their fd
 * stores belong to this manager alone.  systemctl talks to it through its
 * private socket ($XDG_RUNTIME_DIR/systemd/private).
 *
 * No Check dependency: every call reports failure by its return value and a
 * one-line reason, so bench programs can use it too.
 */
#ifndef SPLITGIC_SD_USER_H
#define SPLITGIC_SD_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sd_user {
	pid_t pid; /* the manager */
	char dir[128];
	char runtime_dir[160]; /* XDG_RUNTIME_DIR, %t in units */
	char unit_dir[200];    /* $XDG_CONFIG_HOME/systemd/user */
	char log_path[160];    /* the manager's own log */
};

/*
 * Starts the manager and waits for its READY=1.  Returns 0, or -1 with the
 * reason in why: no systemd here, not a systemd host (/run/systemd/system
 * missing), or the manager did not come up (its log is printed).  Callers
 * treat -1 as "cannot run here" and skip.
 */
int sd_user_start(struct sd_user *m, char *why, size_t whylen);

/* Copies the file src to unit_dir/name (name may contain a drop-in
 * directory, created as needed).  0 or -errno. */
int sd_user_install(struct sd_user *m, const char *src, const char *name);
/* Writes text to unit_dir/name (same rules).  0 or -errno. */
int sd_user_write(struct sd_user *m, const char *name, const char *text);

/*
 * Runs `systemctl --user ARGS...` (NULL-terminated) against this manager;
 * stdout and stderr go to out (may be NULL).  Returns the exit status
 * (128 + signal if killed, -errno if it could not run).
 */
int sd_user_ctl(struct sd_user *m, char *out, size_t cap, ...) __attribute__((sentinel));

/* One property of a unit (`systemctl --user show -P PROP UNIT`), trailing
 * newline removed.  0 or a negative value. */
int sd_user_prop(struct sd_user *m, const char *unit, const char *prop, char *out, size_t cap);
/* The same as an unsigned number; returns false if it is not one. */
bool sd_user_prop_u64(struct sd_user *m, const char *unit, const char *prop,
		      unsigned long long *val);

/* Asks the manager to exit (SIGTERM starts exit.target), waits for it
 * (bounded; then SIGKILL) and removes the directory. */
void sd_user_stop(struct sd_user *m);

/* Prints the manager's log to stderr. */
void sd_user_dump_log(const struct sd_user *m);

#endif
