/* SPDX-License-Identifier: MIT */
/*
 * Creating and connecting the VM's interrupt controller: the agent's VM
 * state (sg_vm_create) and its gicd-server, spawned as a child or reached
 * with --connect.  The one place that decides where the GIC lives, so an
 * embedded mode (the daemon's code linked in) and daemon restarts
 * (--restart-every) slot in here.
 */
#ifndef SGVM_GIC_H
#define SGVM_GIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "options.h"
#include "ram.h"

struct sg_vm;

struct gic {
	struct sg_vm *vm;
	bool spawned;	/* daemon below is ours */
	bool connected; /* sg_vm_connect() succeeded */
	struct daemon daemon;
	const char *control_path;
	unsigned restarts; /* daemon restarts during the run (--restart-every: later) */
	int daemon_exit;   /* exit code of a spawned daemon, after gic_teardown() */
};

/* Returns 0, or -1 with a reason in err. */
int gic_setup(struct gic *g, const struct options *o, const uint64_t *mpidr,
	      const struct guest_ram *ram, char *err, size_t errlen);
/* Disconnects, reaps a spawned daemon (g->daemon_exit) and frees the VM. */
void gic_teardown(struct gic *g);

#endif
