// SPDX-License-Identifier: MIT
#include "gic.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "embedded.h"
#include "log.h"
#include "splitgic/agent.h"
#include "splitgic/embedded.h"

/* How long a spawned daemon gets to stop by itself once the VM detached. */
#define DAEMON_GRACE_MS 5000

static const char *level_name(int level)
{
	switch (level) {
	case SG_LOG_ERR: return "err";
	case SG_LOG_WARNING: return "warning";
	case SG_LOG_NOTICE: return "notice";
	case SG_LOG_INFO: return "info";
	default: return "debug";
	}
}

/* --embedded: gicd-server's core linked into this process and called
 * directly (docs/embedded.md): no daemon to spawn, reap or restart. */
static int setup_embedded(struct gic *g, const struct guest_ram *ram, char *err, size_t errlen)
{
	struct gicd_embedded_ram r = { .gpa = ram->gpa, .size = ram->size, .fd = ram->fd };
	int rc = gicd_embedded_create(sg_vm_shape(g->vm), &r, 1, &g->embedded, err, errlen);

	if (rc == 0) {
		rc = sg_vm_attach_embedded(g->vm, gicd_embedded_ops(), g->embedded);
		if (rc < 0)
			snprintf(err, errlen, "sg_vm_attach_embedded: %s", strerror(-rc));
	}
	if (rc < 0) {
		gic_teardown(g);
		return -1;
	}
	g->connected = true;
	return 0;
}

int gic_setup(struct gic *g, const struct options *o, const uint64_t *mpidr,
	      const struct guest_ram *ram, char *err, size_t errlen)
{
	struct sg_vm_config cfg = {
		.nr_vcpus = o->cpus,
		.mpidr = mpidr,
		.lr_count = o->lrs,
		.nr_spis = o->spis,
		.nr_ram = 1,
	};
	char server[PATH_MAX];
	int rc;

	memset(g, 0, sizeof(*g));
	sg_addr_map_default(&cfg.map, 1);
	cfg.ram[0] = (struct sg_vm_ram){
		.gpa = ram->gpa, .size = ram->size, .host = ram->host, .fd = ram->fd, .fd_offset = 0
	};
	rc = sg_vm_create(&cfg, &g->vm);
	if (rc < 0) {
		snprintf(err, errlen, "sg_vm_create: %s", strerror(-rc));
		return -1;
	}
	if (o->embedded)
		return setup_embedded(g, ram, err, errlen);
	if (o->connect) {
		g->control_path = o->connect;
	} else {
		if (o->gicd_server)
			snprintf(server, sizeof(server), "%s", o->gicd_server);
		else
			daemon_default_path(server, sizeof(server));
		/* A state file lets a restarted daemon resume the VM. */
		if (daemon_spawn(&g->daemon, server, o->vm_name, level_name(o->log_level),
				 o->restart_every_ms != 0, err, errlen) < 0) {
			sg_vm_destroy(g->vm);
			g->vm = NULL;
			return -1;
		}
		g->spawned = true;
		g->control_path = g->daemon.control_path;
		sg_info("gicd-server %s started (pid %d)", server, (int)g->daemon.pid);
	}
	rc = sg_vm_connect(g->vm, g->control_path, o->vm_name, err, errlen);
	if (rc < 0) {
		gic_teardown(g);
		return -1;
	}
	g->connected = true;
	return 0;
}

int gic_start_restarts(struct gic *g, const struct options *o,
		       void (*fatal)(void *ctx, const char *why), void *ctx, char *err,
		       size_t errlen)
{
	unsigned first = o->has_first_restart ? o->first_restart_ms : o->restart_every_ms;
	int rc;

	if (!o->restart_every_ms)
		return 0;
	if (!g->spawned || !g->connected) {
		snprintf(err, errlen, "--restart-every needs a gicd-server of our own");
		return -1;
	}
	rc = restarter_start(&g->restarter, &g->daemon, g->vm, o->restart_every_ms, first, fatal,
			     ctx);
	if (rc) {
		snprintf(err, errlen, "restarter thread: %s", strerror(rc));
		return -1;
	}
	g->restarting = true;
	return 0;
}

static void keep_agent_counters(struct gic *g)
{
	g->agent = (struct gic_agent_restarts){
		.reconnects = sg_vm_stat(g->vm, SG_VM_RECONNECTS),
		.resumes = sg_vm_stat(g->vm, SG_VM_RESUMES),
		.replayed = sg_vm_stat(g->vm, SG_VM_REPLAYED),
		.duplicates = sg_vm_stat(g->vm, SG_VM_BUS_DUPLICATES),
		.log_full = sg_vm_stat(g->vm, SG_VM_LOG_FULL),
	};
}

void gic_teardown(struct gic *g)
{
	/* Not in the middle of a restart: the agent is attached to the
	 * daemon reaped below. */
	if (g->restarting)
		restarter_quiesce(&g->restarter);
	if (g->vm) {
		sg_vm_disconnect(g->vm);
		keep_agent_counters(g);
	}
	gicd_embedded_destroy(g->embedded); /* the VM detached from it above */
	g->embedded = NULL;
	if (g->spawned) {
		/* An attached daemon stops by itself once the VM detached. */
		g->daemon_exit = daemon_reap(&g->daemon, DAEMON_GRACE_MS, !g->connected);
		g->spawned = false;
	}
	if (g->restarting) {
		restarter_join(&g->restarter);
		g->restarting = false;
		g->restarts = g->restarter.st.sigterm + g->restarter.st.sigkill;
	}
	sg_vm_destroy(g->vm);
	g->vm = NULL;
	g->connected = false;
}

void gic_fini(struct gic *g)
{
	restarter_free(&g->restarter);
}
