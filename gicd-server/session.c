// SPDX-License-Identifier: MIT
#include "session.h"

#include "session_durable.h"
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

/* Where a sequenced message stands against its channel's last applied seq. */
enum seq_verdict { SEQ_NEXT, SEQ_DUP, SEQ_GAP };

static enum seq_verdict seq_check(const struct channel *ch, uint64_t seq)
{
	if (seq <= ch->last_applied)
		return SEQ_DUP;
	return seq == ch->last_applied + 1 ? SEQ_NEXT : SEQ_GAP;
}

static struct channel *bus_chan(struct session *s)
{
	return &s->chan[s->nr_chans - 1];
}

static void mark_gone(struct session *s, const char *reason)
{
	if (s->gone)
		return;
	s->gone = true;
	for (unsigned i = 0; i < s->nr_chans; i++) {
		if (s->chan[i].rd_ev)
			event_del(s->chan[i].rd_ev);
		if (s->chan[i].wr_ev)
			event_del(s->chan[i].wr_ev);
	}
	s->ops->gone(s->ops->arg, reason);
}

/* A channel broke while we were sending or receiving: the VM is gone. */
static bool check_broken(struct session *s)
{
	for (unsigned i = 0; i < s->nr_chans; i++)
		if (s->chan[i].broken) {
			mark_gone(s, s->chan[i].name);
			return true;
		}
	return s->gone;
}

/* core_handle() with the latency histograms: posted writes, device inputs
 * that raised an interrupt (input_rx_ns is set by take()). */
static void timed_core_handle(struct session *s, struct channel *ch, const Sg__Envelope *env)
{
	enum hist_id input = HIST_NR;
	uint64_t t0 = 0;

	if (env->body_case == SG__ENVELOPE__BODY_MMIO && env->mmio->posted && env->mmio->write)
		t0 = histogram_now_ns();
	else if (env->body_case == SG__ENVELOPE__BODY_SPI_LEVEL)
		input = HIST_SPI_DELIVER;
	else if (env->body_case == SG__ENVELOPE__BODY_MSI)
		input = HIST_MSI_DELIVER;
	s->input_delivered = false;
	core_handle(&s->core, ch->index, env);
	if (t0)
		histogram_since(&s->hist[HIST_POSTED_WRITE], t0);
	else if (input != HIST_NR && s->input_delivered)
		histogram_since(&s->hist[input], s->input_rx_ns);
}

/*
 * The one place a message takes effect: sequence check, advance, core (its
 * effects reach the durable state at the drain's commit).  Returns the
 * verdict; only SEQ_NEXT was applied.
 */
static enum seq_verdict apply(struct session *s, struct channel *ch, const Sg__Envelope *env)
{
	enum seq_verdict v = seq_check(ch, env->seq);

	switch (v) {
	case SEQ_DUP:
		ch->stats.dups++;
		sg_debug("%s: duplicate %s seq %llu (applied up to %llu) dropped", ch->name,
			 sg_wire_body_name(env->body_case), (unsigned long long)env->seq,
			 (unsigned long long)ch->last_applied);
		return v;
	case SEQ_GAP:
		if (ch->awaiting_replay) {
			ch->stats.early++;
			sg_debug("%s: %s seq %llu ahead of the replay (applied up to %llu) dropped",
				 ch->name, sg_wire_body_name(env->body_case),
				 (unsigned long long)env->seq,
				 (unsigned long long)ch->last_applied);
			return v;
		}
		channel_reject(ch, SG_WIRE_SEQ, env->seq, "gap after the last applied message");
		return v;
	case SEQ_NEXT: break;
	}
	ch->awaiting_replay = false;
	ch->last_applied = env->seq;
	ch->stats.applied++;
	if (env->body_case == SG__ENVELOPE__BODY_RESYNC)
		session_take_resync(s, ch->index, env);
	else
		timed_core_handle(s, ch, env);
	return v;
}

static void reply_malformed(struct channel *ch, uint64_t seq)
{
	Sg__MmioReply r = SG__MMIO_REPLY__INIT;
	Sg__Envelope env;

	r.seq = seq;
	r.status = SG__MMIO_REPLY__STATUS__MALFORMED;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MMIO_REPLY;
	env.mmio_reply = &r;
	trace_mmio_reply(ch->index, seq, 0, TRACE_MMIO_MALFORMED);
	channel_send(ch, &env);
}

/*
 * A decoded message failed validation.  If it is the next in sequence it
 * still consumes its number, so the channel goes on; a read or waited write
 * gets MALFORMED so its vCPU is not left waiting.  A Batch is all or
 * nothing: none of it is applied, the numbers of its in-sequence messages
 * are consumed.
 */
static void take_invalid(struct session *s, struct channel *ch, const Sg__Envelope *env,
			 enum sg_wire_err err, const char *why)
{
	channel_reject(ch, err, env->seq, why);
	if (err == SG_WIRE_SEQ)
		return; /* the sequence numbers themselves are wrong */
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		for (size_t i = 0; i < env->batch->n_msgs; i++) {
			if (seq_check(ch, env->batch->msgs[i]->seq) != SEQ_NEXT)
				break;
			ch->last_applied++;
			ch->stats.malformed++;
		}
		return;
	}
	if (!sg_wire_body_is_sequenced(env->body_case) || seq_check(ch, env->seq) != SEQ_NEXT)
		return;
	ch->last_applied = env->seq;
	ch->stats.malformed++;
	if (ch->kind == SG_CHAN_MMIO && env->body_case == SG__ENVELOPE__BODY_MMIO &&
	    (!env->mmio->posted || !env->mmio->write)) {
		s->stats.malformed_replies++;
		channel_batch_flush(bus_chan(s)); /* replies never overtake the bus */
		reply_malformed(ch, env->seq);
	}
}

/* Holds a waited-for Mmio past the arena reset of the next decode. */
static void stash_fence(struct session *s, struct channel *ch, const Sg__Envelope *env, bool dup)
{
	struct session_fence *f = &s->fence[ch->index];

	f->valid = true;
	f->dup = dup;
	f->seq = env->seq;
	f->mmio = *env->mmio;
	f->t0_ns = histogram_now_ns();
	/* Unknown fields live in the arena; the core never looks at them. */
	f->mmio.base.n_unknown_fields = 0;
	f->mmio.base.unknown_fields = NULL;
}

/* One received, decoded message: validate, then apply or hold it. */
static void take(struct session *s, struct channel *ch, const Sg__Envelope *env)
{
	const char *why;
	enum sg_wire_err err = sg_wire_validate(env, ch->kind, SG_TO_DAEMON, &s->shape, &why);

	if (env->body_case == SG__ENVELOPE__BODY_MMIO)
		trace_mmio_recv(&s->shape, ch->index, env->seq, env->mmio->addr, env->mmio->size,
				env->mmio->write, env->mmio->posted, env->mmio->data);
	if (err != SG_WIRE_OK) {
		take_invalid(s, ch, env, err, why);
		return;
	}
	if (env->body_case == SG__ENVELOPE__BODY_SPI_LEVEL ||
	    env->body_case == SG__ENVELOPE__BODY_MSI || env->body_case == SG__ENVELOPE__BODY_BATCH)
		s->input_rx_ns = histogram_now_ns();
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		/* Bus messages only: nothing in a batch is waited for. */
		for (size_t i = 0; i < env->batch->n_msgs; i++)
			if (apply(s, ch, env->batch->msgs[i]) == SEQ_GAP)
				break; /* the rest would be gaps too */
		return;
	}
	if (env->body_case == SG__ENVELOPE__BODY_ACK) {
		session_on_ack(s, env->ack->seq);
		return;
	}
	if (core_is_fence(env)) {
		enum seq_verdict v = seq_check(ch, env->seq);

		/* A duplicate read is one whose reply a daemon restart lost: the
		 * vCPU still waits for it (docs/restart.md). */
		if (v == SEQ_NEXT || v == SEQ_DUP) {
			stash_fence(s, ch, env, v == SEQ_DUP);
			return;
		}
	}
	apply(s, ch, env);
}

/* A read asked again after a restart: served again, nothing applied. */
static void serve_dup(struct session *s, struct channel *ch, const Sg__Envelope *env)
{
	s->stats.dup_reads++;
	sg_debug("%s: duplicate %s seq %llu (applied up to %llu) served again", ch->name,
		 env->mmio->write ? "waited write" : "read", (unsigned long long)env->seq,
		 (unsigned long long)ch->last_applied);
	if (env->mmio->write) {
		/* A waited-for write already took effect: just answer it. */
		channel_batch_flush(bus_chan(s));
		core_mmio_reply(&s->core, ch->index, env->seq, 0, SG__MMIO_REPLY__STATUS__OK);
		return;
	}
	core_handle(&s->core, ch->index, env);
}

/*
 * Takes datagrams off ch until it is empty, yields a fence, breaks or uses
 * up *budget.  Returns how many datagrams it took.
 */
static unsigned read_channel(struct session *s, struct channel *ch, unsigned *budget)
{
	unsigned taken = 0;

	while (*budget && !s->fence[ch->index].valid && !ch->broken) {
		Sg__Envelope *env;
		enum channel_rx r = channel_recv(ch, s->rxbuf, &s->arena, &env);

		if (r == CHANNEL_RX_AGAIN || r == CHANNEL_RX_GONE)
			break;
		(*budget)--;
		taken++;
		if (r == CHANNEL_RX_MSG)
			take(s, ch, env);
	}
	return taken;
}

/* Serves every held fence, in channel order; returns whether there was any.
 * After a restart, none until every vCPU resynchronised: the agents replay
 * the posted writes the old daemon lost before they send Resync. */
static bool serve_fences(struct session *s)
{
	bool any = false;

	if (s->resync_wait) {
		/* A channel holding a fence is not read until it is served; with
		 * more queued behind it its level-triggered read event would fire
		 * again at once, a busy loop until the last Resync (fuzz-server
		 * found it).  Parked here, re-armed by session_take_resync(). */
		for (unsigned i = 0; i < s->nr_chans; i++)
			if (s->fence[i].valid && s->chan[i].rd_ev)
				event_del(s->chan[i].rd_ev);
		return false;
	}
	for (unsigned i = 0; i < s->nr_chans; i++) {
		struct session_fence *f = &s->fence[i];
		Sg__Envelope env;

		if (!f->valid)
			continue;
		f->valid = false;
		any = true;
		if (s->chan[i].broken)
			continue;
		sg_envelope_init(&env);
		env.seq = f->seq;
		env.body_case = SG__ENVELOPE__BODY_MMIO;
		env.mmio = &f->mmio;
		s->stats.fences++;
		if (f->dup)
			serve_dup(s, &s->chan[i], &env);
		else
			apply(s, &s->chan[i], &env);
	}
	return any;
}

/*
 * DESIGN §4.2: read every channel until nothing is queued, applying posted
 * messages at once and holding each channel's first waited-for transaction
 * (that channel is not read further: its vCPU waits for the answer).  Only
 * then serve the held transactions, and start over until a round finds
 * nothing.  So a read observes every posted write that was queued on any
 * channel when it was read.  A channel that gives SESSION_DRAIN_BUDGET
 * datagrams in one round is not read further in that round, the held
 * transactions are served anyway and the loop yields to libevent; the
 * channel stays readable, so the next callback carries on.
 */
static void drain_all(struct session *s)
{
	unsigned budget[SG_MAX_VCPUS + 1];

	s->stats.drains++;
	for (;;) {
		bool progress, bound_hit = false, fences;

		s->stats.rounds++;
		for (unsigned i = 0; i < s->nr_chans; i++)
			budget[i] = SESSION_DRAIN_BUDGET;
		do {
			progress = false;
			for (unsigned i = 0; i < s->nr_chans; i++) {
				struct channel *ch = &s->chan[i];

				if (s->fence[i].valid || budget[i] == 0)
					continue;
				if (read_channel(s, ch, &budget[i]))
					progress = true;
				if (check_broken(s))
					return;
				if (budget[i] == 0) {
					ch->stats.budget_hits++;
					bound_hit = true;
				}
			}
		} while (progress);
		if (bound_hit) {
			s->stats.bound_hits++;
			sg_reject_log("a channel sent %u messages in one drain round: serving "
				      "waiting reads before reading it further",
				      SESSION_DRAIN_BUDGET);
		}
		fences = serve_fences(s);
		if (check_broken(s) || bound_hit || !fences)
			return;
	}
}

/* The replies to waited-for transactions the commit just released. */
static void note_replies(struct session *s)
{
	uint64_t now;

	if (!s->replies_pending)
		return;
	now = histogram_now_ns();
	for (unsigned i = 0; i < s->nr_chans; i++) {
		struct session_fence *f = &s->fence[i];

		if (f->replied_ns) {
			histogram_add(&s->hist[HIST_MMIO_WAIT],
				      now > f->replied_ns ? now - f->replied_ns : 0);
			f->replied_ns = 0;
		}
	}
	s->replies_pending = 0;
}

/*
 * The bus messages one drain produces (a batch of MSIs gives as many
 * Delivers) leave in Batch datagrams rather than one datagram each: the
 * agent's bus thread then pays one receive per batch.  Only the bus is
 * coalesced; MMIO replies go out at once (core_send).
 */
static void on_readable(struct channel *ch, void *arg)
{
	struct session *s = arg;

	(void)ch;
	if (s->gone)
		return;
	/* Nothing the drain produces leaves before it is durable. */
	session_hold(s);
	channel_batch_begin(bus_chan(s));
	drain_all(s);
	channel_batch_end(bus_chan(s));
	session_commit(s);
	note_replies(s);
	check_broken(s);
}

static void on_broken(struct channel *ch, void *arg)
{
	struct session *s = arg;

	mark_gone(s, ch->name);
}

static void on_retain(struct channel *ch, const unsigned char *dgram, size_t len, uint64_t last_seq,
		      void *arg)
{
	(void)ch;
	session_retain(arg, dgram, len, last_seq);
}

static void core_send(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	struct session *s = ctx;

	if (chan >= s->nr_chans) {
		sg_err("core sent a %s to channel %u, which does not exist",
		       sg_wire_body_name(env->body_case), chan);
		return;
	}
	if (env->body_case == SG__ENVELOPE__BODY_DELIVER) {
		s->input_delivered = true;
	} else if (env->body_case == SG__ENVELOPE__BODY_MMIO_REPLY && s->fence[chan].t0_ns) {
		s->fence[chan].replied_ns = s->fence[chan].t0_ns;
		s->fence[chan].t0_ns = 0;
		s->replies_pending++;
	}
	/* A reply leaves after the bus messages produced before it, as it
	 * did without coalescing: no reordering across channels. */
	if (&s->chan[chan] != bus_chan(s))
		channel_batch_flush(bus_chan(s));
	channel_send(&s->chan[chan], env);
}

struct session *session_new(struct event_base *base, const struct session_init *init,
			    const struct session_ops *ops)
{
	const struct sg_vm_shape *shape = init->shape;
	struct session *s = calloc(1, sizeof(*s));
	struct core_out out = { .send = core_send };
	unsigned n = shape->nr_vcpus + 1;
	int rc;

	if (s) {
		s->rxbuf = malloc(CHANNEL_RX_ALLOC);
		s->nr_chans = n;
		s->state_fd = -1;
	}
	if (!s || !s->rxbuf) {
		for (unsigned i = 0; i < n; i++)
			close(init->chan_fds[i]);
		guest_ram_unmap(init->ram);
		close(init->state_fd);
		if (s)
			free(s);
		return NULL;
	}
	s->shape = *shape;
	s->ram = *init->ram;
	guest_ram_init(init->ram);
	s->ops = ops;
	sg_arena_init(&s->arena, s->rxbuf + CHANNEL_ARENA_OFFSET, SG_WIRE_ARENA_SIZE);
	s->chan_ops = (struct channel_ops){
		.readable = on_readable, .broken = on_broken, .retain = on_retain, .arg = s
	};
	for (unsigned i = 0; i < n; i++)
		s->chan[i].fd = -1;
	out.ctx = s;
	core_init(&s->core, &s->shape, &s->ram, &out);
	s->core.query_hist = &s->hist[HIST_QUERY_RTT];
	for (unsigned i = 0; i < shape->map.nr_its; i++)
		s->core.its[i].cmd_hist = &s->hist[HIST_ITS_CMD];
	for (unsigned i = 0; i < n; i++) {
		enum sg_chan_kind kind = i < shape->nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;

		if (channel_init(&s->chan[i], base, i, kind, init->chan_fds[i], &s->chan_ops) < 0) {
			for (unsigned j = i; j < n; j++)
				close(init->chan_fds[j]);
			close(init->state_fd);
			session_free(s);
			return NULL;
		}
	}
	rc = session_durable_open(s, base, init);
	if (rc < 0) {
		sg_err("VM state: cannot %s it: %s", init->restore ? "restore" : "set up",
		       strerror(-rc));
		session_free(s);
		return NULL;
	}
	return s;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nr_chans; i++)
		channel_fini(&s->chan[i]);
	session_durable_close(s);
	guest_ram_unmap(&s->ram);
	free(s->rxbuf);
	free(s);
}

void session_log_stats(const struct session *s, enum sg_log_level level)
{
	const struct core_stats *c = &s->core.stats;
	const struct dist_stats *d = &s->core.dist.stats;

	for (unsigned i = 0; i < s->nr_chans; i++)
		channel_log_stats(&s->chan[i], level);
	sg_log(level,
	       "counters drain: runs %llu, rounds %llu, fences served %llu, bound hits %llu, "
	       "malformed replies %llu",
	       (unsigned long long)s->stats.drains, (unsigned long long)s->stats.rounds,
	       (unsigned long long)s->stats.fences, (unsigned long long)s->stats.bound_hits,
	       (unsigned long long)s->stats.malformed_replies);
	sg_log(level,
	       "counters state: epoch %llu, commits %llu (%llu bytes), full snapshots %llu, store "
	       "errors %llu, retained bus datagrams %u (acked up to %llu, %llu acks), reads "
	       "served again %llu, resync repairs %llu (skipped %llu, stale %llu)",
	       (unsigned long long)s->dur.epoch, (unsigned long long)s->stats.commits,
	       (unsigned long long)s->stats.commit_bytes, (unsigned long long)s->stats.snapshots,
	       (unsigned long long)s->stats.store_errors, s->dur.nr_retained,
	       (unsigned long long)s->dur.bus_acked, (unsigned long long)s->stats.acks,
	       (unsigned long long)s->stats.dup_reads,
	       (unsigned long long)s->core.stats.resync_repairs,
	       (unsigned long long)s->core.dist.stats.resync_skipped,
	       (unsigned long long)s->stats.resync_stale);
	sg_log(level,
	       "counters core: mmio reads %llu, writes %llu (posted %llu), unmapped %llu, "
	       "ignored %llu, spi_level %llu, unhandled %llu",
	       (unsigned long long)c->mmio_reads, (unsigned long long)c->mmio_writes,
	       (unsigned long long)c->mmio_posted, (unsigned long long)c->mmio_unmapped,
	       (unsigned long long)c->mmio_ignored, (unsigned long long)c->spi_level,
	       (unsigned long long)c->unhandled);
	sg_log(level,
	       "counters dist: bad width %llu, misaligned %llu, reserved %llu, read-only writes "
	       "%llu, write-only reads %llu, bad intid %llu",
	       (unsigned long long)d->bad_width, (unsigned long long)d->misaligned,
	       (unsigned long long)d->reserved, (unsigned long long)d->ro_write,
	       (unsigned long long)d->wo_read, (unsigned long long)d->bad_intid);
	sg_log(level,
	       "counters delivery: deliver %llu, retract %llu, deactivated matched %llu, stale "
	       "%llu, "
	       "not owner %llu, latches returned %llu, merged %llu; reads deferred %llu, "
	       "completed %llu, queries %llu, replies %llu",
	       (unsigned long long)d->delivers, (unsigned long long)d->retracts,
	       (unsigned long long)d->deact_matched, (unsigned long long)d->deact_stale,
	       (unsigned long long)d->deact_not_owner, (unsigned long long)d->latch_returned,
	       (unsigned long long)d->latch_merged, (unsigned long long)c->reads_deferred,
	       (unsigned long long)c->reads_completed, (unsigned long long)c->queries,
	       (unsigned long long)c->query_replies);
	for (unsigned i = 0; i < s->shape.map.nr_its; i++) {
		const struct its_stats *t = &s->core.its[i].stats;

		sg_log(level,
		       "counters its%u: commands %llu (errors %llu, stalls %llu), msi %llu "
		       "(delivered %llu, unmapped %llu, disabled %llu, fault %llu), cache hits "
		       "%llu, "
		       "misses %llu, corrupt entries %llu, table faults %llu",
		       i, (unsigned long long)t->commands, (unsigned long long)t->cmd_errors,
		       (unsigned long long)t->cmd_stalls, (unsigned long long)t->msi,
		       (unsigned long long)t->msi_delivered, (unsigned long long)t->msi_unmapped,
		       (unsigned long long)t->msi_disabled, (unsigned long long)t->msi_fault,
		       (unsigned long long)t->cache_hits, (unsigned long long)t->cache_misses,
		       (unsigned long long)t->corrupt_entries, (unsigned long long)t->table_faults);
	}
	sg_log(level,
	       "counters guest ram: %u regions, writable windows %u of %u (maps %llu, reuses %llu, "
	       "evictions %llu, unmaps %llu, map failures %llu), writes denied %llu, faults %llu",
	       s->ram.nr_regions, s->ram.nr_windows, GUEST_RAM_MAX_WINDOWS,
	       (unsigned long long)s->ram.stats.rw_maps, (unsigned long long)s->ram.stats.rw_reuses,
	       (unsigned long long)s->ram.stats.rw_evictions,
	       (unsigned long long)s->ram.stats.rw_unmaps,
	       (unsigned long long)s->ram.stats.rw_map_fail,
	       (unsigned long long)s->ram.stats.write_denied,
	       (unsigned long long)s->ram.stats.write_fault);
}
