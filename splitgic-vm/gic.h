/* SPDX-License-Identifier: MIT */
/*
 * Creating and connecting the VM's interrupt controller: the agent's VM
 * state (sg_vm_create) and its gicd-server, spawned as a child or reached
 * with --connect.  The one place that decides where the GIC lives, so an
 * embedded mode (the daemon's code linked in) slots in here; so do daemon
 * restarts (--restart-every, restarter.c).
 */
#ifndef SGVM_GIC_H
#define SGVM_GIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "options.h"
#include "ram.h"
#include "restarter.h"

struct sg_vm;
struct gicd_embedded;

/* The agent's restart counters (SG_VM_*), kept when the VM is freed. */
struct gic_agent_restarts {
	uint64_t reconnects, resumes, replayed, duplicates, log_full;
};

struct gic {
	struct sg_vm *vm;
	bool spawned;	/* daemon below is ours */
	bool connected; /* sg_vm_connect() succeeded */
	struct daemon daemon;
	const char *control_path;
	struct gicd_embedded *embedded; /* --embedded: the core in this process */
	struct restarter restarter;	/* --restart-every */
	bool restarting;
	unsigned restarts; /* daemon restarts during the run */
	int daemon_exit;   /* exit code of a spawned daemon, after gic_teardown() */
	struct gic_agent_restarts agent;
};

/* Returns 0, or -1 with a reason in err. */
int gic_setup(struct gic *g, const struct options *o, const uint64_t *mpidr,
	      const struct guest_ram *ram, char *err, size_t errlen);
/*
 * --restart-every: starts restarting the spawned daemon (restarter.h; with
 * a first delay of 0 the first daemon is already stopped on return).
 * fatal(ctx, why) is called from the restarter's thread if a restart fails
 * for good.  Returns 0, or -1 with a reason in err.
 */
int gic_start_restarts(struct gic *g, const struct options *o,
		       void (*fatal)(void *ctx, const char *why), void *ctx, char *err,
		       size_t errlen);
/*
 * Disconnects, reaps a spawned daemon (g->daemon_exit) and frees the VM.  A
 * restart in progress is finished first; g->restarts, g->restarter.st and
 * g->agent stay readable.
 */
void gic_teardown(struct gic *g);
/* Frees what the restart figures hold. */
void gic_fini(struct gic *g);

#endif
