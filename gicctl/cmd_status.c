// SPDX-License-Identifier: MIT
/*
 * gicctl status: the daemon, its VM, the VM's channels and the daemon-wide
 * counters, as aligned text or (--json) one document matching
 * schema/status.schema.json.  The daemon may split a large answer over
 * several replies: the first carries every scalar, the rest only further
 * channels and counters.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gicctl.h"
#include "output.h"

struct chan {
	char *name;
	uint64_t received, sent, rejected, last_applied, queued;
};

struct kv {
	char *key;
	uint64_t value;
};

struct status {
	char *vm_name, *version, *store;
	uint32_t proto, pid;
	uint64_t uptime_ns;
	bool attached, awaiting_reattach;
	uint32_t vcpus, spis, its, ram_regions, vmm_pid, vmm_uid, vmm_gid, resync_wait;
	uint64_t epoch, snap_age_ns, snap_bytes;
	struct chan *chan;
	size_t nr_chans;
	struct kv *ctr;
	size_t nr_ctrs;
};

static void take_first(struct status *s, const Sg__Status *m)
{
	s->vm_name = gicctl_xstrdup(m->vm_name);
	s->version = gicctl_xstrdup(m->daemon_version);
	s->store = gicctl_xstrdup(m->state_store);
	s->proto = m->proto_version;
	s->pid = m->pid;
	s->uptime_ns = m->uptime_ns;
	s->attached = m->attached;
	s->awaiting_reattach = m->awaiting_reattach;
	s->vcpus = m->nr_vcpus;
	s->spis = m->nr_spis;
	s->its = m->nr_its;
	s->ram_regions = m->nr_ram_regions;
	s->vmm_pid = m->vmm_pid;
	s->vmm_uid = m->vmm_uid;
	s->vmm_gid = m->vmm_gid;
	s->resync_wait = m->resync_wait;
	s->epoch = m->epoch;
	s->snap_age_ns = m->last_snapshot_age_ns;
	s->snap_bytes = m->last_snapshot_bytes;
}

static void take_lists(struct status *s, const Sg__Status *m)
{
	if (m->n_channels) {
		s->chan = gicctl_xrealloc(s->chan, s->nr_chans + m->n_channels, sizeof(*s->chan));
		for (size_t i = 0; i < m->n_channels; i++) {
			const Sg__ChannelStatus *c = m->channels[i];

			s->chan[s->nr_chans++] = (struct chan){
				.name = gicctl_xstrdup(c->name),
				.received = c->received,
				.sent = c->sent,
				.rejected = c->rejected,
				.last_applied = c->last_applied,
				.queued = c->queued,
			};
		}
	}
	if (m->n_counters) {
		s->ctr = gicctl_xrealloc(s->ctr, s->nr_ctrs + m->n_counters, sizeof(*s->ctr));
		for (size_t i = 0; i < m->n_counters; i++)
			s->ctr[s->nr_ctrs++] = (struct kv){ gicctl_xstrdup(m->counters[i]->key),
							    m->counters[i]->value };
	}
}

static void status_free(struct status *s)
{
	for (size_t i = 0; i < s->nr_chans; i++)
		free(s->chan[i].name);
	for (size_t i = 0; i < s->nr_ctrs; i++)
		free(s->ctr[i].key);
	free(s->chan);
	free(s->ctr);
	free(s->vm_name);
	free(s->version);
	free(s->store);
}

/* ------------------------------------------------------------- JSON */

static json_object *to_json(const struct status *s)
{
	json_object *doc = json_object_new_object(), *vm, *ctr = json_object_new_object();

	json_object_object_add(doc, "vm_name", json_object_new_string(s->vm_name));
	json_object_object_add(doc, "daemon_version", json_object_new_string(s->version));
	json_object_object_add(doc, "protocol_version", json_object_new_uint64(s->proto));
	json_object_object_add(doc, "pid", json_object_new_uint64(s->pid));
	json_object_object_add(doc, "uptime_ns", json_object_new_uint64(s->uptime_ns));
	json_object_object_add(doc, "attached", json_object_new_boolean(s->attached));
	json_object_object_add(doc, "awaiting_reattach",
			       json_object_new_boolean(s->awaiting_reattach));
	json_object_object_add(doc, "state_store", json_object_new_string(s->store));
	if (s->attached) {
		json_object *vmm = json_object_new_object(), *chans = json_object_new_array();
		json_object *snap = NULL;

		vm = json_object_new_object();
		json_object_object_add(vm, "vcpus", json_object_new_uint64(s->vcpus));
		json_object_object_add(vm, "spis", json_object_new_uint64(s->spis));
		json_object_object_add(vm, "its", json_object_new_uint64(s->its));
		json_object_object_add(vm, "ram_regions", json_object_new_uint64(s->ram_regions));
		json_object_object_add(vmm, "pid", json_object_new_uint64(s->vmm_pid));
		json_object_object_add(vmm, "uid", json_object_new_uint64(s->vmm_uid));
		json_object_object_add(vmm, "gid", json_object_new_uint64(s->vmm_gid));
		json_object_object_add(vm, "vmm", vmm);
		json_object_object_add(vm, "epoch", json_object_new_uint64(s->epoch));
		json_object_object_add(vm, "resync_wait", json_object_new_uint64(s->resync_wait));
		if (s->snap_age_ns) {
			snap = json_object_new_object();
			json_object_object_add(snap, "age_ns",
					       json_object_new_uint64(s->snap_age_ns));
			json_object_object_add(snap, "bytes",
					       json_object_new_uint64(s->snap_bytes));
		}
		json_object_object_add(vm, "last_snapshot", snap);
		for (size_t i = 0; i < s->nr_chans; i++) {
			const struct chan *c = &s->chan[i];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(c->name));
			json_object_object_add(o, "received", json_object_new_uint64(c->received));
			json_object_object_add(o, "sent", json_object_new_uint64(c->sent));
			json_object_object_add(o, "rejected", json_object_new_uint64(c->rejected));
			json_object_object_add(o, "last_applied",
					       json_object_new_uint64(c->last_applied));
			json_object_object_add(o, "queued", json_object_new_uint64(c->queued));
			json_object_array_add(chans, o);
		}
		json_object_object_add(vm, "channels", chans);
	} else {
		vm = NULL;
	}
	json_object_object_add(doc, "vm", vm);
	for (size_t i = 0; i < s->nr_ctrs; i++)
		json_object_object_add(ctr, s->ctr[i].key, json_object_new_uint64(s->ctr[i].value));
	json_object_object_add(doc, "counters", ctr);
	return doc;
}

/* ------------------------------------------------------------- text */

/* "850 ns", "12.3 us", "4.56 ms", "1.23 s", "2m 03s", "1h 02m 03s", "2d 03h 04m". */
static void duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000u;

	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else if (s < 60)
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m %02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h %02" PRIu64 "m %02" PRIu64 "s", s / 3600,
			 s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 "h %02" PRIu64 "m", s / 86400,
			 s / 3600 % 24, s / 60 % 60);
}

#define FIELD(name, ...)                                                                           \
	do {                                                                                       \
		printf("%-15s ", name);                                                            \
		printf(__VA_ARGS__);                                                               \
		putchar('\n');                                                                     \
	} while (0)

static int width_u64(uint64_t v)
{
	char b[24];

	return snprintf(b, sizeof(b), "%" PRIu64, v);
}

static void print_channels(const struct status *s)
{
	static const char *const head[] = { "CHANNEL",	"RECEIVED",	"SENT",
					    "REJECTED", "LAST APPLIED", "QUEUED" };
	int w[6];

	for (unsigned i = 0; i < 6; i++)
		w[i] = (int)strlen(head[i]);
	for (size_t i = 0; i < s->nr_chans; i++) {
		const struct chan *c = &s->chan[i];

		w[0] = gicctl_max_int(w[0], (int)strlen(c->name));
		w[1] = gicctl_max_int(w[1], width_u64(c->received));
		w[2] = gicctl_max_int(w[2], width_u64(c->sent));
		w[3] = gicctl_max_int(w[3], width_u64(c->rejected));
		w[4] = gicctl_max_int(w[4], width_u64(c->last_applied));
		w[5] = gicctl_max_int(w[5], width_u64(c->queued));
	}
	printf("\n%-*s  %*s  %*s  %*s  %*s  %*s\n", w[0], head[0], w[1], head[1], w[2], head[2],
	       w[3], head[3], w[4], head[4], w[5], head[5]);
	for (size_t i = 0; i < s->nr_chans; i++) {
		const struct chan *c = &s->chan[i];

		printf("%-*s  %*" PRIu64 "  %*" PRIu64 "  %*" PRIu64 "  %*" PRIu64 "  %*" PRIu64
		       "\n",
		       w[0], c->name, w[1], c->received, w[2], c->sent, w[3], c->rejected, w[4],
		       c->last_applied, w[5], c->queued);
	}
}

static void print_counters(const struct status *s)
{
	int wk = (int)strlen("COUNTER"), wv = (int)strlen("VALUE");

	if (!s->nr_ctrs)
		return;
	for (size_t i = 0; i < s->nr_ctrs; i++) {
		wk = gicctl_max_int(wk, (int)strlen(s->ctr[i].key));
		wv = gicctl_max_int(wv, width_u64(s->ctr[i].value));
	}
	printf("\n%-*s  %*s\n", wk, "COUNTER", wv, "VALUE");
	for (size_t i = 0; i < s->nr_ctrs; i++)
		printf("%-*s  %*" PRIu64 "\n", wk, s->ctr[i].key, wv, s->ctr[i].value);
}

static void print_text(const struct status *s)
{
	char up[48], age[48];

	duration(s->uptime_ns, up, sizeof(up));
	FIELD("VM", "%s", s->vm_name);
	FIELD("daemon", "gicd-server %s, protocol %u, pid %u, up %s", s->version, s->proto, s->pid,
	      up);
	if (s->attached)
		FIELD("state", "attached by VMM pid %u (uid %u, gid %u)", s->vmm_pid, s->vmm_uid,
		      s->vmm_gid);
	else if (s->awaiting_reattach)
		FIELD("state", "no VM attached: a saved VM waits for its VMM to re-attach");
	else
		FIELD("state", "no VM attached");
	FIELD("state store", "%s", s->store);
	if (s->attached) {
		FIELD("vCPUs", "%u", s->vcpus);
		FIELD("SPIs", "%u", s->spis);
		FIELD("ITS frames", "%u", s->its);
		FIELD("RAM regions", "%u", s->ram_regions);
		FIELD("epoch", "%" PRIu64, s->epoch);
		if (s->resync_wait)
			FIELD("resync", "waiting for %u vCPUs (reads wait)", s->resync_wait);
		if (s->snap_age_ns) {
			duration(s->snap_age_ns, age, sizeof(age));
			FIELD("last snapshot", "%s ago, %" PRIu64 " bytes", age, s->snap_bytes);
		} else {
			FIELD("last snapshot", "none yet");
		}
		print_channels(s);
	}
	print_counters(s);
}

int cmd_status(struct gicctl *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Sg__AdminRequest req = SG__ADMIN_REQUEST__INIT;
	Sg__StatusRequest sreq = SG__STATUS_REQUEST__INIT;
	struct status s = { 0 };
	const Sg__AdminReply *r;
	bool first = true;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: gicctl [--json] status\n");
			return GICCTL_EXIT_OK;
		}
		return gicctl_fail(GICCTL_EXIT_USAGE, "usage: gicctl [--json] status");
	}
	if (optind < argc)
		return gicctl_fail(GICCTL_EXIT_USAGE, "status takes no arguments");
	req.req_case = SG__ADMIN_REQUEST__REQ_STATUS;
	req.status = &sreq;
	rc = gicctl_request(g, &req, NULL, 0);
	if (rc)
		return rc;
	while ((r = gicctl_next_reply(g, &rc))) {
		if (r->rep_case != SG__ADMIN_REPLY__REP_STATUS) {
			status_free(&s);
			return gicctl_fail(GICCTL_EXIT_ERROR, "the daemon answered status with "
							      "something else");
		}
		if (first)
			take_first(&s, r->status);
		first = false;
		take_lists(&s, r->status);
	}
	if (rc == GICCTL_EXIT_OK && first)
		rc = gicctl_fail(GICCTL_EXIT_ERROR, "the daemon sent no status");
	if (rc == GICCTL_EXIT_OK) {
		if (g->json)
			gicctl_print_json(to_json(&s));
		else
			print_text(&s);
	}
	status_free(&s);
	return rc;
}
