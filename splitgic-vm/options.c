// SPDX-License-Identifier: MIT
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "machine.h"
#include "vm_shape.h"

enum {
	OPT_CPUS = 256,
	OPT_MEM,
	OPT_LRS,
	OPT_SPIS,
	OPT_CONNECT,
	OPT_GICD_SERVER,
	OPT_EMBEDDED,
	OPT_VM_NAME,
	OPT_UART_IN,
	OPT_UART_OUT,
	OPT_TIMEOUT,
	OPT_LOAD_ITERATIONS,
	OPT_SUMMARY,
	OPT_RESTART_EVERY,
	OPT_FIRST_RESTART,
	OPT_LOG_LEVEL,
	OPT_LOG_FILE,
	OPT_SLICE,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "lrs", required_argument, NULL, OPT_LRS },
	{ "spis", required_argument, NULL, OPT_SPIS },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "gicd-server", required_argument, NULL, OPT_GICD_SERVER },
	{ "embedded", no_argument, NULL, OPT_EMBEDDED },
	{ "vm-name", required_argument, NULL, OPT_VM_NAME },
	{ "uart-in", required_argument, NULL, OPT_UART_IN },
	{ "uart-out", required_argument, NULL, OPT_UART_OUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "load-iterations", required_argument, NULL, OPT_LOAD_ITERATIONS },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "restart-every", required_argument, NULL, OPT_RESTART_EVERY },
	{ "first-restart", required_argument, NULL, OPT_FIRST_RESTART },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "log-file", required_argument, NULL, OPT_LOG_FILE },
	{ "slice", required_argument, NULL, OPT_SLICE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void options_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [options] IMAGE\n"
		"Runs an arm64 ELF file or flat image on Unicorn with splitgic as its GICv3.\n"
		"  --cpus N             vCPUs (1..%u, default 1)\n"
		"  --mem MIB            guest RAM in MiB (default %u)\n"
		"  --lrs N              List registers per vCPU (1..16, default 4)\n"
		"  --spis N             SPIs (32..960 step 32, or 988; default %u)\n"
		"  --connect PATH       use the gicd-server listening on PATH\n"
		"  --gicd-server PATH   gicd-server binary to spawn (default: next to this one)\n"
		"  --embedded           gicd-server's code in this process, no daemon "
		"(benchmarks)\n"
		"  --vm-name NAME       VM name (default: splitgic-vm; empty with --connect)\n"
		"  --uart-in FILE       UART input (default stdin; 'none' for no input)\n"
		"  --uart-out FILE      UART output (default stdout)\n"
		"  --timeout SECONDS    stop with status 124 after this wall-clock time\n"
		"  --load-iterations N  /chosen splitgic,load-iterations for the load program\n"
		"  --summary            print statistics at exit (stderr)\n"
		"  --restart-every MS   restart the spawned gicd-server after every MS ms of\n"
		"                       service, alternately with SIGTERM and SIGKILL\n"
		"  --first-restart MS   the first restart MS ms after the start (default: the\n"
		"                       --restart-every interval; 0: before the guest runs)\n"
		"  --slice N            scheduler time slice in guest instructions (default "
		"50000)\n"
		"  --log-level LEVEL    err, warning, notice, info or debug (default warning)\n"
		"  --log-file FILE      log lines (also gicd-server's) to FILE; the summary\n"
		"                       stays on stderr\n"
		"  --help, --version\n"
		"Exit status: the guest's EXIT value, 0 after SYSTEM_OFF, 124 timeout,\n"
		"125 VMM error, 126 bad arguments.\n",
		prog, VM_MAX_CPUS, VM_RAM_DEFAULT_MIB, VM_DEFAULT_SPIS);
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static int bad(FILE *err, const char *opt, const char *val, const char *why)
{
	fprintf(err, "splitgic-vm: bad %s '%s': %s\n", opt, val ? val : "", why);
	return VM_EXIT_BAD_ARGS;
}

int options_parse(struct options *o, int argc, char **argv, FILE *err)
{
	char num[16];
	unsigned long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->cpus = 1;
	o->mem_mib = VM_RAM_DEFAULT_MIB;
	o->lrs = 4;
	o->spis = VM_DEFAULT_SPIS;
	o->log_level = SG_LOG_WARNING;
	o->slice_insns = 50000;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CPUS:
			if (!parse_uint(optarg, VM_MAX_CPUS, &v) || v < 1)
				return bad(err, "--cpus", optarg, "1..64");
			o->cpus = (unsigned)v;
			break;
		case OPT_MEM:
			if (!parse_uint(optarg, VM_RAM_MAX_MIB, &v) || v < 1)
				return bad(err, "--mem", optarg, "1..65536 MiB");
			o->mem_mib = (unsigned)v;
			break;
		case OPT_LRS:
			if (!parse_uint(optarg, 16, &v) || v < 1)
				return bad(err, "--lrs", optarg, "1..16");
			o->lrs = (unsigned)v;
			break;
		case OPT_SPIS:
			if (!parse_uint(optarg, 988, &v) || !sg_nr_spis_valid((unsigned)v))
				return bad(err, "--spis", optarg, "32..960 step 32, or 988");
			if (v < VM_TESTDEV_SPI_BASE + VM_TESTDEV_SPI_COUNT - 32)
				return bad(err, "--spis", optarg,
					   "at least 64 (the test device's lines are 64..95)");
			o->spis = (unsigned)v;
			break;
		case OPT_CONNECT:
			if (!*optarg)
				return bad(err, "--connect", optarg, "empty path");
			o->connect = optarg;
			break;
		case OPT_GICD_SERVER:
			if (!*optarg)
				return bad(err, "--gicd-server", optarg, "empty path");
			o->gicd_server = optarg;
			break;
		case OPT_EMBEDDED: o->embedded = true; break;
		case OPT_VM_NAME:
			if (strlen(optarg) > 64 || strpbrk(optarg, " \t\n"))
				return bad(err, "--vm-name", optarg,
					   "at most 64 characters, no spaces");
			o->vm_name = optarg;
			break;
		case OPT_UART_IN: o->uart_in = optarg; break;
		case OPT_UART_OUT: o->uart_out = optarg; break;
		case OPT_TIMEOUT: {
			char *end;
			double t;

			errno = 0;
			t = strtod(optarg, &end);
			if (errno || *end || !*optarg || !isfinite(t) || t <= 0 || t > 1e6)
				return bad(err, "--timeout", optarg, "seconds, > 0");
			o->timeout_s = t;
			break;
		}
		case OPT_LOAD_ITERATIONS:
			if (!parse_uint(optarg, UINT32_MAX, &v))
				return bad(err, "--load-iterations", optarg, "a 32-bit count");
			o->has_load_iterations = true;
			o->load_iterations = (uint32_t)v;
			break;
		case OPT_SUMMARY: o->summary = true; break;
		case OPT_RESTART_EVERY:
			if (!parse_uint(optarg, 3600000, &v) || v < 1)
				return bad(err, "--restart-every", optarg, "1..3600000 ms");
			o->restart_every_ms = (unsigned)v;
			break;
		case OPT_FIRST_RESTART:
			if (!parse_uint(optarg, 3600000, &v))
				return bad(err, "--first-restart", optarg, "0..3600000 ms");
			o->has_first_restart = true;
			o->first_restart_ms = (unsigned)v;
			break;
		case OPT_LOG_LEVEL: {
			int l = sg_log_parse_level(optarg);

			if (l < 0)
				return bad(err, "--log-level", optarg,
					   "err, warning, notice, info or debug");
			o->log_level = l;
			break;
		}
		case OPT_LOG_FILE:
			if (!*optarg)
				return bad(err, "--log-file", optarg, "empty path");
			o->log_file = optarg;
			break;
		case OPT_SLICE:
			if (!parse_uint(optarg, 100000000, &v) || v < 100)
				return bad(err, "--slice", optarg, "100..100000000 instructions");
			o->slice_insns = (unsigned)v;
			break;
		case OPT_HELP: o->help = true; return 0;
		case OPT_VERSION: o->version = true; return 0;
		default:
			fprintf(err, "splitgic-vm: unknown option or missing argument: %s\n",
				argv[optind - 1]);
			return VM_EXIT_BAD_ARGS;
		}
	}
	if (optind != argc - 1) {
		fprintf(err, "splitgic-vm: %s\n",
			optind >= argc ? "no image given" : "more than one image given");
		return VM_EXIT_BAD_ARGS;
	}
	o->image = argv[optind];
	if (o->connect && o->gicd_server)
		return bad(err, "--gicd-server", o->gicd_server, "not with --connect");
	if (o->embedded && (o->connect || o->gicd_server || o->restart_every_ms)) {
		fprintf(err, "splitgic-vm: --embedded runs no daemon: not with --connect, "
			     "--gicd-server or --restart-every\n");
		return VM_EXIT_BAD_ARGS;
	}
	/* Restarts need a daemon of our own, spawned with a state file. */
	snprintf(num, sizeof(num), "%u", o->restart_every_ms);
	if (o->connect && o->restart_every_ms)
		return bad(err, "--restart-every", num,
			   "not with --connect: that gicd-server is not ours to restart");
	snprintf(num, sizeof(num), "%u", o->first_restart_ms);
	if (o->has_first_restart && !o->restart_every_ms)
		return bad(err, "--first-restart", num, "needs --restart-every");
	if (!o->vm_name)
		o->vm_name = o->connect ? "" : "splitgic-vm";
	else if (!o->connect && !*o->vm_name)
		return bad(err, "--vm-name", o->vm_name, "a spawned daemon needs a name");
	return 0;
}
