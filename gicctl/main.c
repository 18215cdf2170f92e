// SPDX-License-Identifier: MIT
/* gicctl: global options, the control socket's path, the subcommands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gicctl.h"

static const struct subcommand {
	const char *name;
	int (*run)(struct gicctl *g, int argc, char **argv);
	const char *usage;
} subcommands[] = {
	{ "status", cmd_status, "status" },
	{ "dump", cmd_dump, "dump dist|its [N]|vcpu N" },
	{ "stats", cmd_stats, "stats [--prometheus]" },
	{ "trace", cmd_trace, "trace [FILTER...]" },
	{ "snapshot", cmd_snapshot, "snapshot save|load FILE" },
};
#define NR_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: gicctl [--vm NAME | -s SOCKET] [--json] COMMAND [ARGS]\n\n"
		   "Talks to a running gicd-server over its control socket.\n\n"
		   "options:\n"
		   "  --vm NAME        the daemon of VM NAME (its systemd socket:\n"
		   "                   /run/splitgic/NAME.control, or under $XDG_RUNTIME_DIR\n"
		   "                   for a user manager)\n"
		   "  -s, --socket P   the control socket at path P ($GICCTL_SOCKET)\n"
		   "  --json           machine-readable output (schemas: gicctl/schema/)\n"
		   "  -h, --help       this text\n"
		   "  --version        gicctl's version\n\n"
		   "commands:\n");
	for (unsigned i = 0; i < NR_SUBCOMMANDS; i++)
		fprintf(f, "  %s\n", subcommands[i].usage);
	fprintf(f, "\nSee gicctl(1).\n");
}

/* The path systemd's gicd-server@NAME.socket listens on (%t/splitgic/NAME.control). */
static char *socket_for_vm(const char *vm)
{
	const char *rt = getuid() == 0 ? "/run" : getenv("XDG_RUNTIME_DIR");
	char *path;

	if (!rt || !rt[0])
		rt = "/run";
	if (asprintf(&path, "%s/splitgic/%s.control", rt, vm) < 0)
		return NULL;
	return path;
}

int main(int argc, char **argv)
{
	enum { OPT_VM = 256, OPT_JSON, OPT_VERSION };
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, OPT_VM },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct gicctl g = { .fd = -1, .socket_path = getenv("GICCTL_SOCKET") };
	char *vm_path = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_VM:
			free(vm_path);
			vm_path = socket_for_vm(optarg);
			g.socket_path = vm_path;
			break;
		case 's': g.socket_path = optarg; break;
		case OPT_JSON: g.json = true; break;
		case 'h': usage(stdout); return GICCTL_EXIT_OK;
		case OPT_VERSION: printf("gicctl %s\n", SG_VERSION); return GICCTL_EXIT_OK;
		default: usage(stderr); return GICCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return GICCTL_EXIT_USAGE;
	}
	if (!g.socket_path || !g.socket_path[0]) {
		free(vm_path);
		return gicctl_fail(GICCTL_EXIT_USAGE, "which daemon? give --vm NAME or -s SOCKET");
	}
	for (unsigned i = 0; i < NR_SUBCOMMANDS; i++) {
		int sub = optind;

		if (strcmp(argv[sub], subcommands[i].name) != 0)
			continue;
		/* Subcommands run getopt_long() on their own argv (optind 0
		 * makes glibc start afresh). */
		optind = 0;
		rc = subcommands[i].run(&g, argc - sub, argv + sub);
		goto out;
	}
	rc = gicctl_fail(GICCTL_EXIT_USAGE, "unknown command '%s' (see gicctl --help)",
			 argv[optind]);
out:
	if (g.fd >= 0)
		close(g.fd);
	free(g.rxbuf);
	free(vm_path);
	return rc;
}
