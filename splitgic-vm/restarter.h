/* SPDX-License-Identifier: MIT */
/*
 * --restart-every: a thread that stops the VM's gicd-server and starts a
 * new one with the same arguments and state file, again and again while
 * the guest runs (docs/restart.md, "Coming back", without systemd).  The
 * stops alternate: SIGTERM (a clean stop, as an upgrade does) first, then
 * SIGKILL (a crash).  Each restart is timed from the kill to the new
 * daemon's READY=1 and to the agent's re-attach (SG_VM_RECONNECTS).
 */
#ifndef SGVM_RESTARTER_H
#define SGVM_RESTARTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

struct sg_vm;

struct restart_stats {
	unsigned sigterm, sigkill; /* restarts done, by the signal that stopped the daemon */
	unsigned failures;	   /* a stop with an unexpected exit code, a failed start */
	char failure[256];	   /* the first failure */
	unsigned n;		   /* restarts with blackout figures */
	int64_t *to_ready_ns;	   /* kill -> READY=1 of the new daemon */
	int64_t *to_attach_ns;	   /* kill -> the agent re-attached */
	unsigned cap;
};

struct restarter {
	struct daemon *d;
	struct sg_vm *vm;
	unsigned every_ms, first_ms;
	/* Called (from the restarter thread) when a restart fails for good. */
	void (*fatal)(void *ctx, const char *why);
	void *ctx;

	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool quiesce;	/* no more restarts */
	bool parked;	/* the thread saw quiesce and is between restarts */
	bool leave;	/* the daemon is reaped: the thread may end */
	unsigned kills; /* daemons stopped so far */
	struct restart_stats st;
	char last_failure[256];
};

/*
 * Starts the thread.  The first restart comes first_ms after this call;
 * with first_ms = 0 it returns only once the first daemon is stopped, so
 * the guest, started afterwards, runs into that restart.  Returns 0 or a
 * positive errno.
 */
int restarter_start(struct restarter *r, struct daemon *d, struct sg_vm *vm, unsigned every_ms,
		    unsigned first_ms, void (*fatal)(void *ctx, const char *why), void *ctx);

/* Waits for a restart in progress to finish (the agent re-attached) and
 * stops further ones.  The thread stays, as the daemon's parent. */
void restarter_quiesce(struct restarter *r);

/* After the daemon is reaped: ends the thread.  r->st stays readable. */
void restarter_join(struct restarter *r);
void restarter_free(struct restarter *r);

/* Percentile p (0..100) of n durations (sorted in place); 0 if n is 0. */
int64_t restart_percentile(int64_t *ns, unsigned n, double p);

#endif
