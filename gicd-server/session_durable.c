// SPDX-License-Identifier: MIT
/*
 * The session's durable state (docs/restart.md): every drain ends with a
 * commit — the delta of what changed goes to the state store's journal —
 * and only then are the outputs the drain produced released; full
 * snapshots when the journal fills, every SESSION_SNAPSHOT_MS while busy
 * and on SIGTERM; Durable{seq} to the senders; restore after a restart
 * (Resume, the unacknowledged bus messages again, the Resync barrier).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <event2/event.h>

#include "session.h"
#include "session_durable.h"
#include "trace.h"

/* A full snapshot carries every retained datagram: they must leave room in
 * a state store slot for the rest of the state (SPIs, ITS, the Hello). */
_Static_assert(DURABLE_MAX_RETAINED_BYTES + (512u << 10) <= STATE_STORE_SLOT_SIZE,
	       "retained bus datagrams must fit a snapshot slot");

static struct channel *bus(struct session *s)
{
	return &s->chan[s->nr_chans - 1];
}

/* The durable view of what the channels hold. */
static void gather(struct session *s)
{
	for (unsigned i = 0; i < s->nr_chans; i++)
		s->dur.last_applied[i] = s->chan[i].last_applied;
	s->dur.bus_out_seq = bus(s)->out_seq;
}

static int write_snapshot(struct session *s)
{
	uint64_t t0 = trace_snapshot_start();
	uint64_t h0 = histogram_now_ns();
	unsigned char *rec;
	ssize_t n;
	int rc;

	gather(s);
	n = snapshot_encode(&s->dur, s->shadow, true, &rec);
	if (n < 0) {
		trace_snapshot(true, 0, t0, (int)n);
		return (int)n;
	}
	rc = state_store_write_snapshot(&s->store, rec, (size_t)n);
	free(rec);
	trace_snapshot(true, (uint64_t)n, t0, rc);
	if (rc == 0) {
		histogram_since(&s->hist[HIST_SNAPSHOT_WRITE], h0);
		s->last_snapshot_ns = histogram_now_ns();
		s->last_snapshot_bytes = (uint64_t)n;
		s->stats.snapshots++;
		s->commits_since_snapshot = false;
	}
	return rc;
}

int session_checkpoint(struct session *s)
{
	int rc = write_snapshot(s);

	if (rc < 0) {
		s->stats.store_errors++;
		sg_err("VM state: full snapshot failed: %s", strerror(-rc));
	}
	return rc;
}

ssize_t session_encode_full(struct session *s, unsigned char **out)
{
	struct snapshot_shadow *sh = calloc(1, sizeof(*sh));
	ssize_t n;

	*out = NULL;
	if (!sh)
		return -ENOMEM;
	gather(s);
	n = snapshot_encode(&s->dur, sh, true, out);
	snapshot_shadow_fini(sh);
	free(sh);
	return n;
}

void session_hold(struct session *s)
{
	for (unsigned i = 0; i < s->nr_chans; i++)
		channel_hold(&s->chan[i]);
}

static void release(struct session *s)
{
	for (unsigned i = 0; i < s->nr_chans; i++)
		channel_release(&s->chan[i]);
}

/* Whether some channel has applied more than its last Durable said. */
static bool durable_due(const struct session *s)
{
	for (unsigned i = 0; i < s->nr_chans; i++)
		if (s->shadow->last_applied[i] > s->durable_sent[i])
			return true;
	return false;
}

static void arm_timers(struct session *s)
{
	static const struct timeval durable = { 0, SESSION_DURABLE_MS * 1000 };
	static const struct timeval snapshot = { SESSION_SNAPSHOT_MS / 1000,
						 (SESSION_SNAPSHOT_MS % 1000) * 1000 };

	if (durable_due(s) && !evtimer_pending(s->durable_ev, NULL))
		evtimer_add(s->durable_ev, &durable);
	if (s->commits_since_snapshot && !evtimer_pending(s->snapshot_ev, NULL))
		evtimer_add(s->snapshot_ev, &snapshot);
}

void session_commit(struct session *s)
{
	uint64_t t0 = trace_snapshot_start();
	uint64_t h0 = histogram_now_ns();
	unsigned char *rec;
	ssize_t n;
	int rc;

	gather(s);
	n = snapshot_encode(&s->dur, s->shadow, false, &rec);
	if (n > 0) {
		rc = state_store_append(&s->store, rec, (size_t)n);
		free(rec);
		trace_snapshot(false, (uint64_t)n, t0, rc);
		if (rc == 0)
			histogram_since(&s->hist[HIST_JOURNAL_WRITE], h0);
		if (rc == -ENOSPC ||
		    state_store_journal_used(&s->store) > STATE_STORE_JOURNAL_SIZE / 2)
			rc = write_snapshot(s); /* the delta is part of it */
		if (rc < 0) {
			/* Nothing better to do than go on: losing durability
			 * beats stopping the VM's interrupts.  Said loudly. */
			s->stats.store_errors++;
			sg_reject_log("VM state: cannot record a commit: %s", strerror(-rc));
		} else {
			s->stats.commits++;
			s->stats.commit_bytes += (uint64_t)n;
			s->commits_since_snapshot = true;
		}
	} else if (n < 0) {
		s->stats.store_errors++;
		sg_reject_log("VM state: cannot encode a commit: %s", strerror((int)-n));
	}
	release(s);
	arm_timers(s);
}

static void send_durable(struct channel *ch, uint64_t seq)
{
	Sg__Durable d = SG__DURABLE__INIT;
	Sg__Envelope env;

	d.seq = seq;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DURABLE;
	env.durable = &d;
	channel_send(ch, &env);
}

/* Tells each sender what is durable now, at most every SESSION_DURABLE_MS. */
static void on_durable(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	for (unsigned i = 0; i < s->nr_chans; i++) {
		uint64_t seq = s->shadow->last_applied[i];

		if (seq > s->durable_sent[i] && !s->chan[i].broken) {
			send_durable(&s->chan[i], seq);
			s->durable_sent[i] = seq;
		}
	}
}

static void on_snapshot(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (s->commits_since_snapshot)
		session_checkpoint(s);
}

void session_on_ack(struct session *s, uint64_t seq)
{
	s->stats.acks++;
	durable_ack(&s->dur, seq);
}

/*
 * A vCPU's Resync: reconciled by the core, and one fewer to wait for before
 * reads are served again.  One answering an earlier instance's Resume
 * (replayed to this one) describes the agent before that restore: ignored,
 * the current one follows.  Epoch 0: an agent older than the field.
 */
void session_take_resync(struct session *s, unsigned chan, const Sg__Envelope *env)
{
	const Sg__Resync *r = env->resync;

	if (r->epoch && r->epoch != s->dur.epoch) {
		/* The VMM can send any number of these: rate-limited. */
		static struct sg_ratelimit rl = SG_RATELIMIT_INIT(1000, 10);

		s->stats.resync_stale++;
		sg_log_ratelimited(&rl, SG_LOG_INFO,
				   "vCPU %u's Resync for epoch %llu ignored (epoch %llu now)",
				   r->vcpu, (unsigned long long)r->epoch,
				   (unsigned long long)s->dur.epoch);
		return;
	}
	core_handle(&s->core, chan, env);
	if (r->vcpu >= s->shape.nr_vcpus || !s->resync_pending[r->vcpu])
		return;
	s->resync_pending[r->vcpu] = false;
	if (--s->resync_wait)
		return;
	sg_notice("VM state: every vCPU resynchronised, serving reads again");
	/* Channels parked behind a fence (serve_fences()) are read again; the
	 * drain running now serves the fences and reads what follows them. */
	for (unsigned i = 0; i < s->nr_chans; i++)
		if (!s->gone && !s->chan[i].broken && s->chan[i].rd_ev)
			event_add(s->chan[i].rd_ev, NULL);
}

/* The channel's retain hook: bus datagrams stay until acknowledged. */
void session_retain(struct session *s, const unsigned char *dgram, size_t len, uint64_t last_seq)
{
	int rc = durable_retain(&s->dur, dgram, len, last_seq);

	if (rc == -ENOSPC || rc == -ENOBUFS) {
		/* The agent acknowledges nothing: it is not reading the bus. */
		if (rc == -ENOSPC)
			sg_err("bus: %u datagrams unacknowledged by the VMM "
			       "(DURABLE_MAX_RETAINED): "
			       "detaching the VM",
			       DURABLE_MAX_RETAINED);
		else
			sg_err("bus: %zu bytes of datagrams unacknowledged by the VMM "
			       "(DURABLE_MAX_RETAINED_BYTES %u): detaching the VM",
			       s->dur.retained_bytes, DURABLE_MAX_RETAINED_BYTES);
		bus(s)->broken = true;
	} else if (rc < 0) {
		sg_err("bus: cannot retain a datagram: %s: detaching the VM", strerror(-rc));
		bus(s)->broken = true;
	}
}

/* ------------------------------------------------------ open / restore */

static int load_snapshot(void *ctx, const void *data, size_t len)
{
	return snapshot_apply(ctx, data, len);
}

struct peek {
	Sg__Hello **hello;
	uint64_t *epoch;
	unsigned char *token;
};

/* Only the snapshot's identity is wanted: stop there (a positive value). */
static int peek_identity(void *ctx, const void *data, size_t len)
{
	struct peek *p = ctx;
	int rc = snapshot_identity(data, len, p->hello, p->epoch, p->token);

	return rc < 0 ? rc : 1;
}

int session_peek_state(int state_fd, Sg__Hello **hello, uint64_t *epoch, unsigned char *token)
{
	struct peek p = { hello, epoch, token };
	struct state_store st;
	int rc;

	*hello = NULL;
	rc = state_store_open(&st, state_fd, false);
	if (rc < 0)
		return rc;
	if (!state_store_has_snapshot(&st)) {
		state_store_close(&st);
		return -ENOENT;
	}
	rc = state_store_load(&st, peek_identity, peek_identity, &p);
	state_store_close(&st);
	return rc == 1 ? 0 : rc < 0 ? rc : -EPROTO;
}

static void send_resume(struct session *s)
{
	Sg__Resume r = SG__RESUME__INIT;
	Sg__Envelope env;

	r.epoch = s->dur.epoch;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_RESUME;
	env.resume = &r;
	for (unsigned i = 0; i < s->nr_chans; i++) {
		r.applied_seq = s->chan[i].last_applied;
		if (i == s->nr_chans - 1) {
			r.n_channel_applied = s->nr_chans;
			r.channel_applied = s->dur.last_applied;
		}
		channel_send(&s->chan[i], &env);
	}
}

static int restore(struct session *s)
{
	int rc = state_store_open(&s->store, s->state_fd, false);

	if (rc == 0)
		rc = state_store_load(&s->store, load_snapshot, load_snapshot, &s->dur);
	if (rc < 0)
		return rc;
	snapshot_finish(&s->dur);
	for (unsigned i = 0; i < s->nr_chans; i++) {
		s->chan[i].last_applied = s->dur.last_applied[i];
		s->chan[i].awaiting_replay = true;
		s->durable_sent[i] = s->dur.last_applied[i];
	}
	bus(s)->out_seq = s->dur.bus_out_seq;
	s->dur.epoch++;
	rc = write_snapshot(s);
	if (rc < 0)
		return rc;
	/* First what the agent had not acknowledged, so that it has applied
	 * all of it when Resume makes it build its Resync; then Resume. */
	for (unsigned i = 0; i < s->dur.nr_retained; i++)
		channel_send_raw(bus(s), s->dur.retained[i].data, s->dur.retained[i].len, 1);
	dist_mark_restored(&s->core.dist);
	send_resume(s);
	s->resync_wait = s->shape.nr_vcpus;
	for (unsigned i = 0; i < s->shape.nr_vcpus; i++)
		s->resync_pending[i] = true;
	sg_notice("VM state restored: epoch %llu, %u bus messages sent again, waiting for %u "
		  "vCPUs to resynchronise",
		  (unsigned long long)s->dur.epoch, s->dur.nr_retained, s->resync_wait);
	return 0;
}

static int fresh(struct session *s, const struct session_init *init)
{
	int rc = state_store_open(&s->store, s->state_fd, true);

	if (rc < 0)
		return rc;
	s->dur.hello = malloc(init->hello_len ? init->hello_len : 1);
	if (!s->dur.hello)
		return -ENOMEM;
	memcpy(s->dur.hello, init->hello, init->hello_len);
	s->dur.hello_len = init->hello_len;
	if (getrandom(s->dur.token, sizeof(s->dur.token), 0) != (ssize_t)sizeof(s->dur.token))
		return -EIO;
	s->dur.epoch = 1;
	return write_snapshot(s);
}

int session_durable_open(struct session *s, struct event_base *base,
			 const struct session_init *init)
{
	int rc;

	s->state_fd = init->state_fd;
	s->dur.core = &s->core;
	s->shadow = calloc(1, sizeof(*s->shadow));
	s->durable_ev = evtimer_new(base, on_durable, s);
	s->snapshot_ev = evtimer_new(base, on_snapshot, s);
	if (!s->shadow || !s->durable_ev || !s->snapshot_ev)
		return -ENOMEM;
	session_hold(s);
	rc = init->restore ? restore(s) : fresh(s, init);
	/* Whatever the restore produced (an outstanding ITS SYNC) is in the
	 * snapshot just written: it may go now. */
	release(s);
	return rc;
}

void session_durable_close(struct session *s)
{
	if (s->durable_ev)
		event_free(s->durable_ev);
	if (s->snapshot_ev)
		event_free(s->snapshot_ev);
	state_store_close(&s->store);
	if (s->state_fd >= 0)
		close(s->state_fd);
	durable_release(&s->dur);
	if (s->shadow)
		snapshot_shadow_fini(s->shadow);
	free(s->shadow);
}
