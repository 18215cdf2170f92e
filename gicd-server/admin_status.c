// SPDX-License-Identifier: MIT
/*
 * gicctl status: the daemon, the VM it serves (if any), its channels and
 * the daemon-wide counters (counters.h, all but the per-channel ones).  An
 * answer too large for one datagram continues in further replies carrying
 * only channels and counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin_handlers.h"
#include "counters.h"
#include "server_internal.h"

/* Packed size of a map entry (protobuf-c has no function for one). */
static size_t entry_size(const Sg__Status__CountersEntry *e)
{
	size_t klen = strlen(e->key);

	return 1 + admin_varint_size(klen) + klen + 1 +
	       admin_varint_size(e->value); /* value even if 0 */
}

/* Room left for repeated fields: the nested lengths may grow a little. */
#define STATUS_BUDGET (ADMIN_REPLY_BUDGET - 16u)

struct keyed {
	char key[200];
	uint64_t value;
};

struct collect {
	struct keyed *v;
	size_t n, cap;
	bool failed;
};

static void collect_counter(const struct counter *c, void *arg)
{
	struct collect *col = arg;
	struct keyed *v;

	if (c->per_channel || col->failed)
		return;
	v = counters_grow(col->v, &col->cap, col->n, sizeof(*v), 256);
	if (!v) {
		col->failed = true;
		return;
	}
	col->v = v;
	counter_key(c, col->v[col->n].key, sizeof(col->v[0].key));
	col->v[col->n].value = c->value;
	col->n++;
}

static uint64_t ns_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t->tv_sec) * 1000000000u + (uint64_t)now.tv_nsec -
	       (uint64_t)t->tv_nsec;
}

static void fill_vm(const struct server *srv, Sg__Status *st)
{
	const struct session *s = srv->session;

	st->attached = true;
	st->nr_vcpus = s->shape.nr_vcpus;
	st->nr_spis = s->shape.nr_spis;
	st->nr_its = s->shape.map.nr_its;
	st->nr_ram_regions = s->ram.nr_regions;
	st->vmm_pid = (uint32_t)srv->peer.pid;
	st->vmm_uid = srv->peer.uid;
	st->vmm_gid = srv->peer.gid;
	st->epoch = s->dur.epoch;
	st->resync_wait = s->resync_wait;
	if (s->last_snapshot_ns) {
		uint64_t now = histogram_now_ns();

		st->last_snapshot_age_ns =
			now > s->last_snapshot_ns ? now - s->last_snapshot_ns : 1;
		st->last_snapshot_bytes = s->last_snapshot_bytes;
	}
}

static void fill_channel(const struct channel *ch, Sg__ChannelStatus *cs)
{
	uint64_t rej = 0;

	for (int e = SG_WIRE_OK + 1; e < SG_WIRE_NR_ERRS; e++)
		rej += ch->stats.rejects[e];
	sg__channel_status__init(cs);
	cs->name = (char *)ch->name;
	cs->received = ch->stats.rx;
	cs->sent = ch->stats.tx;
	cs->rejected = rej;
	cs->last_applied = ch->last_applied;
	cs->queued = ch->txq_msgs;
}

void admin_status(struct admin_conn *c, const Sg__StatusRequest *req)
{
	struct server *srv = admin_conn_server(c);
	const struct session *s = srv->session;
	unsigned nr_chans = s ? s->nr_chans : 0;
	Sg__ChannelStatus *chans = NULL, **chan_ptr = NULL;
	Sg__Status__CountersEntry *ents = NULL, **ent_ptr = NULL;
	struct collect col = { 0 };
	char store[320];
	Sg__AdminReply r = SG__ADMIN_REPLY__INIT;
	Sg__Status st;
	size_t next_chan = 0, next_ent = 0;
	bool first = true;

	(void)req;
	counters_foreach(srv, collect_counter, &col);
	if (nr_chans) {
		chans = calloc(nr_chans, sizeof(*chans));
		chan_ptr = calloc(nr_chans, sizeof(*chan_ptr));
	}
	if (col.n) {
		ents = calloc(col.n, sizeof(*ents));
		ent_ptr = calloc(col.n, sizeof(*ent_ptr));
	}
	if (col.failed || (nr_chans && (!chans || !chan_ptr)) || (col.n && (!ents || !ent_ptr))) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < nr_chans; i++) {
		fill_channel(&s->chan[i], &chans[i]);
		chan_ptr[i] = &chans[i];
	}
	for (size_t i = 0; i < col.n; i++) {
		sg__status__counters_entry__init(&ents[i]);
		ents[i].key = col.v[i].key;
		ents[i].value = col.v[i].value;
		ent_ptr[i] = &ents[i];
	}
	if (srv->cfg->state_file)
		snprintf(store, sizeof(store), "state file %s", srv->cfg->state_file);
	else if (getenv("NOTIFY_SOCKET"))
		snprintf(store, sizeof(store), "memfd (fd store)");
	else /* no service manager to keep it: gone with this process */
		snprintf(store, sizeof(store), "memfd (no fd store: not kept across a restart)");

	r.rep_case = SG__ADMIN_REPLY__REP_STATUS;
	r.status = &st;
	do {
		size_t used;

		sg__status__init(&st);
		if (first) {
			st.vm_name = (char *)srv->cfg->vm_name;
			st.daemon_version = (char *)SG_VERSION;
			st.proto_version = SG_PROTO_VERSION;
			st.pid = (uint32_t)getpid();
			st.uptime_ns = ns_since(&srv->started);
			st.state_store = store;
			st.awaiting_reattach = !s && srv->resume_file;
			if (s)
				fill_vm(srv, &st);
		}
		used = admin_reply_size(&r);
		/* No VM: chan_ptr is NULL, and NULL + 0 is undefined (fuzz-server). */
		st.channels = chan_ptr ? chan_ptr + next_chan : NULL;
		while (next_chan < nr_chans) {
			size_t n = admin_field_size(
				sg__channel_status__get_packed_size(chan_ptr[next_chan]));

			if (used + n > STATUS_BUDGET)
				break;
			used += n;
			st.n_channels++;
			next_chan++;
		}
		st.counters = ent_ptr ? ent_ptr + next_ent : NULL; /* as channels */
		while (next_chan == nr_chans && next_ent < col.n) {
			size_t n = admin_field_size(entry_size(ent_ptr[next_ent]));

			if (used + n > STATUS_BUDGET)
				break;
			used += n;
			st.n_counters++;
			next_ent++;
		}
		r.more = next_chan < nr_chans || next_ent < col.n;
		if (!first && !st.n_channels && !st.n_counters)
			break; /* cannot happen: every entry is far below the budget */
		if (admin_send(c, &r) < 0)
			break; /* the connection is closing or the client does not read */
		first = false;
	} while (r.more);
out:
	free(chans);
	free(chan_ptr);
	free(ents);
	free(ent_ptr);
	free(col.v);
}
