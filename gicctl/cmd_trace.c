// SPDX-License-Identifier: MIT
/*
 * gicctl trace: the daemon's trace points as a live stream, one decoded
 * line per event (or one JSON object per line with --json), filtered in
 * the daemon; until --count events, --duration seconds, SIGINT/SIGTERM, or
 * the end of the stream.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gicctl.h"
#include "output.h"

#define MAX_VCPUS 128u

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gicctl [--json] trace [--type KINDS] [--vcpu N[,N...]] [--intid A[-B]]\n"
		"                     [--its N] [--count N] [--duration SEC]\n\n"
		"Prints what the daemon does, as it does it: one line per event.\n\n"
		"  --type KINDS     comma-separated: mmio (mmio_recv, mmio_reply), irq\n"
		"                   (deliver, retract, deactivate), spi (spi_level), msi,\n"
		"                   its (its_cmd), snapshot, restore, attach, detach, all\n"
		"  --vcpu N,...     only events of these vCPUs (MMIO on their channels,\n"
		"                   their Deliver/Retract/Deactivated, MSIs to them)\n"
		"  --intid A[-B]    only events about these INTIDs (and GICD registers of them)\n"
		"  --its N          only ITS N's commands, MSIs and registers\n"
		"  --count N        stop after N events\n"
		"  --duration SEC   stop after SEC seconds\n");
}

/* ------------------------------------------------------------ kinds */

/* "mmio_recv" for TraceEvent.Kind MMIO_RECV: the enum's own names. */
static const char *kind_name(unsigned kind, char *buf, size_t len)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&sg__trace_event__kind__descriptor, (int)kind);
	size_t i;

	if (!v || kind == 0)
		return "unknown";
	for (i = 0; v->name[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)v->name[i]);
	buf[i] = '\0';
	return buf;
}

/* Adds the kinds name stands for to *mask; false if it means none. */
static bool kinds_of(const char *name, uint32_t *mask)
{
	static const struct {
		const char *alias;
		uint32_t kinds;
	} aliases[] = {
		{ "all", ~1u },
		{ "mmio", 1u << SG__TRACE_EVENT__KIND__MMIO_RECV |
				  1u << SG__TRACE_EVENT__KIND__MMIO_REPLY },
		{ "irq", 1u << SG__TRACE_EVENT__KIND__DELIVER |
				 1u << SG__TRACE_EVENT__KIND__RETRACT |
				 1u << SG__TRACE_EVENT__KIND__DEACTIVATE },
		{ "spi", 1u << SG__TRACE_EVENT__KIND__SPI_LEVEL },
		{ "its", 1u << SG__TRACE_EVENT__KIND__ITS_CMD },
		{ "deactivated", 1u << SG__TRACE_EVENT__KIND__DEACTIVATE },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(name, aliases[i].alias) == 0) {
			*mask |= aliases[i].kinds;
			return true;
		}
	for (unsigned k = 1; k < sg__trace_event__kind__descriptor.n_values; k++)
		if (strcmp(name, kind_name(k, buf, sizeof(buf))) == 0) {
			*mask |= 1u << k;
			return true;
		}
	return false;
}

/* ----------------------------------------------------------- options */

struct trace_opts {
	uint32_t kinds;
	uint32_t vcpus[MAX_VCPUS];
	size_t nr_vcpus;
	bool intid_filter, its_filter;
	uint32_t intid_min, intid_max, its;
	uint64_t count;
	double duration;
};

static bool parse_u32(const char *s, uint32_t *v, char **end)
{
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	x = strtoull(s, end, 0);
	if (errno || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static int parse(int argc, char **argv, struct trace_opts *o)
{
	enum { OPT_TYPE = 256, OPT_VCPU, OPT_INTID, OPT_ITS, OPT_COUNT, OPT_DURATION };
	static const struct option opts[] = {
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "vcpu", required_argument, NULL, OPT_VCPU },
		{ "intid", required_argument, NULL, OPT_INTID },
		{ "its", required_argument, NULL, OPT_ITS },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end, *save, *tok;
	int c;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TYPE:
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (!kinds_of(tok, &o->kinds))
					return gicctl_fail(GICCTL_EXIT_USAGE,
							   "trace: unknown event type '%s'", tok);
			break;
		case OPT_VCPU:
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				uint32_t v;

				if (!parse_u32(tok, &v, &end) || *end || v >= MAX_VCPUS ||
				    o->nr_vcpus == MAX_VCPUS)
					return gicctl_fail(GICCTL_EXIT_USAGE,
							   "trace: bad vCPU '%s'", tok);
				o->vcpus[o->nr_vcpus++] = v;
			}
			break;
		case OPT_INTID:
			if (!parse_u32(optarg, &o->intid_min, &end))
				return gicctl_fail(GICCTL_EXIT_USAGE, "trace: bad INTID '%s'",
						   optarg);
			o->intid_max = o->intid_min;
			if (*end == '-' && !parse_u32(end + 1, &o->intid_max, &end))
				return gicctl_fail(GICCTL_EXIT_USAGE, "trace: bad INTID range '%s'",
						   optarg);
			if (*end || o->intid_max < o->intid_min)
				return gicctl_fail(GICCTL_EXIT_USAGE, "trace: bad INTID range '%s'",
						   optarg);
			o->intid_filter = true;
			break;
		case OPT_ITS:
			if (!parse_u32(optarg, &o->its, &end) || *end)
				return gicctl_fail(GICCTL_EXIT_USAGE, "trace: bad ITS '%s'",
						   optarg);
			o->its_filter = true;
			break;
		case OPT_COUNT:
			errno = 0;
			o->count = strtoull(optarg, &end, 10);
			if (errno || *end || !isdigit((unsigned char)optarg[0]) || !o->count)
				return gicctl_fail(GICCTL_EXIT_USAGE, "trace: bad --count '%s'",
						   optarg);
			break;
		case OPT_DURATION:
			o->duration = strtod(optarg, &end);
			if (*end || !(o->duration > 0) || o->duration > 1e9)
				return gicctl_fail(GICCTL_EXIT_USAGE, "trace: bad --duration '%s'",
						   optarg);
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return GICCTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return GICCTL_EXIT_USAGE;
	}
	return 0;
}

/* ------------------------------------------------------------ output */

static const char *frame_name(uint32_t frame)
{
	switch (frame) {
	case 1: return "gicd";
	case 2: return "gicr";
	case 3: return "its";
	default: return "none";
	}
}

static const char *mmio_status_name(uint32_t status)
{
	switch (status) {
	case 0: return "ok";
	case 1: return "ignored";
	case 2: return "unmapped";
	case 3: return "malformed";
	default: return "unknown";
	}
}

static const char *msi_result_name(uint32_t result)
{
	switch (result) {
	case 0: return "translated";
	case 1: return "cached";
	case 2: return "disabled";
	case 3: return "unmapped";
	case 4: return "fault";
	default: return "unknown";
	}
}

/* The Deliver/Retract/Deactivated flags, by name. */
static void add_flags(json_object *o, const Sg__TraceEvent *e)
{
	static const char *const deliver[] = { "latch", "line", "active", "level" };
	static const char *const retract[] = { "latch", "line", "active", "return-latch" };
	static const char *const deact[] = { "returned-latch" };
	const char *const *names = e->kind == SG__TRACE_EVENT__KIND__DELIVER   ? deliver
				   : e->kind == SG__TRACE_EVENT__KIND__RETRACT ? retract
									       : deact;
	unsigned nr = e->kind == SG__TRACE_EVENT__KIND__DEACTIVATE ? 1 : 4;
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < nr; i++)
		if (e->flags & (1u << i))
			json_object_array_add(a, json_object_new_string(names[i]));
	json_object_object_add(o, "flags", a);
}

static json_object *event_json(const Sg__TraceEvent *e)
{
	json_object *o = json_object_new_object();
	char kind[32];

	gicctl_add_u64(o, "ts_ns", e->ts_ns);
	gicctl_add_str(o, "kind", kind_name(e->kind, kind, sizeof(kind)));
	gicctl_add_str(o, "line", e->line);
	switch (e->kind) {
	case SG__TRACE_EVENT__KIND__MMIO_RECV:
	case SG__TRACE_EVENT__KIND__MMIO_REPLY:
		gicctl_add_i64(o, "chan", e->chan);
		gicctl_add_i64(o, "vcpu", e->vcpu);
		gicctl_add_u64(o, "seq", e->seq);
		if (e->kind == SG__TRACE_EVENT__KIND__MMIO_REPLY)
			gicctl_add_bool(o, "known", e->known);
		if (e->kind == SG__TRACE_EVENT__KIND__MMIO_RECV || e->known) {
			gicctl_add_u64(o, "addr", e->addr);
			gicctl_add_str(o, "frame", frame_name(e->frame));
			gicctl_add_i64(o, "frame_index", e->frame_index);
			gicctl_add_u64(o, "offset", e->offset);
			gicctl_add_str(o, "reg", e->reg);
			gicctl_add_i64(o, "size", e->size);
			gicctl_add_bool(o, "write", e->write);
			gicctl_add_bool(o, "posted", e->posted);
		}
		if (e->kind == SG__TRACE_EVENT__KIND__MMIO_REPLY || e->write)
			gicctl_add_u64(o, "data", e->data);
		if (e->kind == SG__TRACE_EVENT__KIND__MMIO_REPLY) {
			gicctl_add_str(o, "status", mmio_status_name(e->status));
			gicctl_add_u64(o, "latency_ns", e->latency_ns);
		}
		break;
	case SG__TRACE_EVENT__KIND__DELIVER:
	case SG__TRACE_EVENT__KIND__RETRACT:
	case SG__TRACE_EVENT__KIND__DEACTIVATE:
		gicctl_add_i64(o, "vcpu", e->vcpu);
		gicctl_add_i64(o, "intid", e->intid);
		gicctl_add_i64(o, "gen", e->gen);
		add_flags(o, e);
		if (e->kind == SG__TRACE_EVENT__KIND__DELIVER) {
			gicctl_add_i64(o, "priority", e->priority);
			gicctl_add_i64(o, "group", e->group);
		}
		break;
	case SG__TRACE_EVENT__KIND__SPI_LEVEL:
		gicctl_add_i64(o, "intid", e->intid);
		gicctl_add_bool(o, "pulse", e->pulse);
		gicctl_add_bool(o, "level", e->level);
		break;
	case SG__TRACE_EVENT__KIND__MSI:
		gicctl_add_i64(o, "its", e->its);
		gicctl_add_i64(o, "device_id", e->device_id);
		gicctl_add_i64(o, "event_id", e->event_id);
		gicctl_add_str(o, "result", msi_result_name(e->result));
		if (e->result <= 1) {
			gicctl_add_i64(o, "intid", e->intid);
			gicctl_add_i64(o, "vcpu", e->vcpu);
		}
		break;
	case SG__TRACE_EVENT__KIND__ITS_CMD:
		gicctl_add_i64(o, "its", e->its);
		gicctl_add_str(o, "command", e->op_name);
		gicctl_add_i64(o, "op", e->op);
		gicctl_add_u64(o, "creadr", e->creadr);
		gicctl_add_i64(o, "device_id", e->device_id);
		gicctl_add_i64(o, "event_id", e->event_id);
		gicctl_add_i64(o, "intid", e->intid);
		gicctl_add_i64(o, "icid", e->icid);
		gicctl_add_u64(o, "rdbase", e->rdbase);
		gicctl_add_u64(o, "rdbase2", e->rdbase2);
		gicctl_add_u64(o, "itt", e->itt);
		gicctl_add_i64(o, "itt_size", e->itt_size);
		gicctl_add_bool(o, "valid", e->valid);
		gicctl_add_i64(o, "error", e->error);
		break;
	case SG__TRACE_EVENT__KIND__SNAPSHOT:
		gicctl_add_bool(o, "full", e->full);
		gicctl_add_u64(o, "bytes", e->bytes);
		gicctl_add_u64(o, "duration_ns", e->duration_ns);
		gicctl_add_i64(o, "rc", e->rc);
		break;
	case SG__TRACE_EVENT__KIND__RESTORE:
		gicctl_add_str(o, "source", e->source == 0 ? "fd_store" : "state_file");
		gicctl_add_u64(o, "epoch", e->epoch);
		gicctl_add_i64(o, "channels", e->channels);
		gicctl_add_i64(o, "vcpus", e->vcpus);
		break;
	case SG__TRACE_EVENT__KIND__ATTACH:
		gicctl_add_i64(o, "pid", e->pid);
		gicctl_add_i64(o, "uid", e->uid);
		gicctl_add_i64(o, "gid", e->gid);
		gicctl_add_i64(o, "vcpus", e->vcpus);
		gicctl_add_i64(o, "spis", e->spis);
		gicctl_add_i64(o, "its_count", e->nr_its);
		gicctl_add_i64(o, "ram_regions", e->ram_regions);
		gicctl_add_bool(o, "resumed", e->resumed);
		break;
	case SG__TRACE_EVENT__KIND__DETACH: gicctl_add_str(o, "reason", e->reason); break;
	default: break;
	}
	return o;
}

static void print_json_line(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_lost(bool json, uint64_t lost)
{
	json_object *o;

	if (!json) {
		printf("-- %" PRIu64 " events lost (gicctl did not read them in time)\n", lost);
		return;
	}
	o = json_object_new_object();
	gicctl_add_str(o, "kind", "lost");
	gicctl_add_u64(o, "lost", lost);
	print_json_line(o);
}

static void print_event(bool json, const Sg__TraceEvent *e)
{
	if (json)
		print_json_line(event_json(e));
	else
		printf("%" PRIu64 ".%06" PRIu64 " %s\n", e->ts_ns / 1000000000u,
		       e->ts_ns % 1000000000u / 1000u, e->line ? e->line : "");
}

/* ------------------------------------------------------------- main */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_trace(struct gicctl *g, int argc, char **argv)
{
	struct trace_opts o = { 0 };
	Sg__AdminRequest req = SG__ADMIN_REQUEST__INIT;
	Sg__TraceRequest tr = SG__TRACE_REQUEST__INIT;
	Sg__TraceEvent__Kind kinds[32];
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, old;
	uint64_t printed = 0;
	double deadline;
	int rc;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? GICCTL_EXIT_OK : rc;
	for (unsigned k = 1; k < 32; k++)
		if (o.kinds & (1u << k) && k < sg__trace_event__kind__descriptor.n_values)
			kinds[tr.n_kinds++] = (Sg__TraceEvent__Kind)k;
	tr.kinds = kinds;
	tr.n_vcpus = o.nr_vcpus;
	tr.vcpus = o.vcpus;
	tr.intid_filter = o.intid_filter;
	tr.intid_min = o.intid_min;
	tr.intid_max = o.intid_max;
	tr.its_filter = o.its_filter;
	tr.its = o.its;
	tr.max_events = o.count;
	req.req_case = SG__ADMIN_REQUEST__REQ_TRACE;
	req.trace = &tr;

	/* SIGINT/SIGTERM only interrupt the wait: a clean stop, exit 0. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = gicctl_request(g, &req, NULL, 0);
	if (rc)
		return rc;
	deadline = o.duration > 0 ? now_s() + o.duration : 0;
	while (!stop_signal && (!o.count || printed < o.count)) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN };
		const Sg__AdminReply *r;
		struct timespec ts, *tsp = NULL;
		int n;

		if (deadline > 0) {
			double left = deadline - now_s();

			if (left <= 0)
				break;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
			tsp = &ts;
		}
		n = ppoll(&p, 1, tsp, &old);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gicctl_fail(GICCTL_EXIT_ERROR, "poll: %s", strerror(errno));
			break;
		}
		if (n == 0)
			continue; /* the deadline, checked above */
		r = gicctl_next_reply(g, &rc);
		if (!r)
			break; /* the end of the stream (rc 0) or an error (printed) */
		if (r->rep_case != SG__ADMIN_REPLY__REP_TRACE)
			continue;
		if (r->trace->lost)
			print_lost(g->json, r->trace->lost);
		for (size_t i = 0; i < r->trace->n_events && (!o.count || printed < o.count); i++) {
			print_event(g->json, r->trace->events[i]);
			printed++;
		}
		fflush(stdout);
	}
	fflush(stdout);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
