// SPDX-License-Identifier: MIT
/* gicd-server: options, then the server loop (server.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record.h"
#include "server.h"

#define VM_NAME_MAX 64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gicd-server [OPTIONS]\n"
		"The GICv3 distributor of one VM, served over a control socket.\n\n"
		"  --vm NAME              VM name for logs and Hello checks (default \"default\")\n"
		"  --control-socket PATH  listen on PATH (unless socket-activated)\n"
		"  --state-file PATH      keep the VM's state in PATH (a tmpfs file in the\n"
		"                         runtime directory), so a restarted daemon resumes\n"
		"                         it without systemd's fd store; default: a memfd\n"
		"  --log-level LEVEL      err, warning, notice, info or debug (default info)\n"
		"  --allow-uid UID        only this peer uid may attach (repeatable;\n"
		"                         default: root and the daemon's own uid)\n"
		"  --user USER            started as root: run as USER once set up\n"
		"  --no-seccomp           no system call filter (for debugging tools)\n"
		"  --version              print the version and exit\n"
		"  --help                 print this help and exit\n\n"
		"Exit status: 0 clean stop, 1 runtime failure, 2 usage or configuration error,\n"
		"3 stopped by the system call filter.\n");
}

static bool vm_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > VM_NAME_MAX)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

static bool parse_uid(const char *s, uid_t *uid)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	v = strtoull(s, &end, 10);
	/* (uid_t)-1 means "no uid" to the kernel. */
	if (errno || *end || v >= (uid_t)-1)
		return false;
	*uid = (uid_t)v;
	return true;
}

/* Returns -1 to go on, or the exit code. */
static int parse_options(int argc, char **argv, struct server_config *cfg)
{
	enum {
		OPT_VM = 256,
		OPT_CONTROL,
		OPT_STATE_FILE,
		OPT_LOG_LEVEL,
		OPT_ALLOW_UID,
		OPT_USER,
		OPT_NO_SECCOMP,
		OPT_VERSION,
		OPT_HELP
	};
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, OPT_VM },
		{ "control-socket", required_argument, NULL, OPT_CONTROL },
		{ "state-file", required_argument, NULL, OPT_STATE_FILE },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "allow-uid", required_argument, NULL, OPT_ALLOW_UID },
		{ "user", required_argument, NULL, OPT_USER },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int opt, level;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_VM:
			if (!vm_name_ok(optarg)) {
				fprintf(stderr,
					"gicd-server: --vm: 1 to %d printable characters, "
					"no spaces\n",
					VM_NAME_MAX);
				return GICD_EXIT_USAGE;
			}
			cfg->vm_name = optarg;
			break;
		case OPT_CONTROL: cfg->control_path = optarg; break;
		case OPT_STATE_FILE: cfg->state_file = optarg; break;
		case OPT_LOG_LEVEL:
			level = sg_log_parse_level(optarg);
			if (level < 0) {
				fprintf(stderr, "gicd-server: unknown log level '%s'\n", optarg);
				return GICD_EXIT_USAGE;
			}
			sg_log_set_level((enum sg_log_level)level);
			break;
		case OPT_ALLOW_UID:
			if (cfg->nr_allow_uids >= GICD_MAX_ALLOW_UIDS ||
			    !parse_uid(optarg, &cfg->allow_uid[cfg->nr_allow_uids])) {
				fprintf(stderr, "gicd-server: bad or too many --allow-uid '%s'\n",
					optarg);
				return GICD_EXIT_USAGE;
			}
			cfg->nr_allow_uids++;
			break;
		case OPT_USER: cfg->user = optarg; break;
		case OPT_NO_SECCOMP: cfg->no_seccomp = true; break;
		case OPT_VERSION: printf("gicd-server %s\n", SG_VERSION); return GICD_EXIT_OK;
		case OPT_HELP: usage(stdout); return GICD_EXIT_OK;
		default: usage(stderr); return GICD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gicd-server: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return GICD_EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct server_config cfg = { .vm_name = "default" };
	int rc;

	sg_log_init("gicd-server", SG_LOG_INFO);
	rc = parse_options(argc, argv, &cfg);
	if (rc >= 0)
		return rc;
	record_open_from_env(); /* GICD_RECORD_DIR: fuzzing seeds (docs/fuzzing.md) */
	return server_run(&cfg);
}
