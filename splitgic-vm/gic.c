// SPDX-License-Identifier: MIT
#include "gic.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "splitgic/agent.h"

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
	/* Embedded mode would create the distributor in-process here instead. */
	if (o->connect) {
		g->control_path = o->connect;
	} else {
		if (o->gicd_server)
			snprintf(server, sizeof(server), "%s", o->gicd_server);
		else
			daemon_default_path(server, sizeof(server));
		if (daemon_spawn(&g->daemon, server, o->vm_name, level_name(o->log_level), err,
				 errlen) < 0) {
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

void gic_teardown(struct gic *g)
{
	if (g->vm)
		sg_vm_disconnect(g->vm);
	if (g->spawned) {
		/* An attached daemon stops by itself once the VM detached. */
		g->daemon_exit = daemon_reap(&g->daemon, DAEMON_GRACE_MS, !g->connected);
		g->spawned = false;
	}
	sg_vm_destroy(g->vm);
	g->vm = NULL;
	g->connected = false;
}
