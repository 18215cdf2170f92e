// SPDX-License-Identifier: MIT
/*
 * Embedded mode's host (embedded.h, docs/embedded.md): gicd-server's core
 * in the VMM's process.  Where the daemon's session numbers, logs, drains
 * and packs, this applies each message at once under one lock: a posted
 * write, a device input or a vCPU's report takes effect before the call
 * returns, so every read finds every earlier write applied (DESIGN §4.2)
 * without a drain.
 *
 * The core's outputs: an MmioReply completes the vCPU's call(); anything
 * for the redistributors is queued, in order, for the agent's bus thread
 * (take()), which applies it with no lock of ours held.  A read the core
 * parks (pending/active state of in-flight SPIs, core_reads.h) waits in
 * call() on a condition variable, with the lock released, until the bus
 * thread has asked the owners and fed their QueryReply back to input().
 *
 * Locking: e->lock is the only lock; the agent takes it with none of its
 * vCPU locks held (at most its bus.tx_lock, which therefore comes first).
 * Under it we call only the core and signal condition variables; the
 * agent's notify runs after it is released.
 */
#include "embedded.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "log.h"

#define QUEUE_INIT 1024u /* grows by doubling; the ITS can emit a burst */
/* A parked read: reported every second, given up after 30 s (as the
 * agent gives up on a daemon that does not answer). */
#define CALL_REPORT_MS 1000
#define CALL_LIMIT_MS  30000

/* One message for the redistributors, body included (no pointers out). */
struct emb_msg {
	Sg__Envelope env;
	union {
		Sg__Deliver deliver;
		Sg__Retract retract;
		Sg__Query query;
		Sg__Inv inv;
		Sg__InvAll inv_all;
		Sg__Sync sync;
		Sg__Move move;
		Sg__MovAll mov_all;
	} u;
};

/* The call() a vCPU is blocked in, if any. */
struct emb_call {
	pthread_cond_t cond;
	uint64_t seq; /* its Mmio's Envelope.seq, 0 when none waits */
	bool done;
	uint64_t data;
};

struct gicd_embedded {
	pthread_mutex_t lock; /* everything below but taken[] */
	struct sg_vm_shape shape;
	struct guest_ram ram;
	struct gic_core core;
	struct emb_msg *q; /* ring, q_cap a power of two */
	size_t q_cap, q_head, q_len;
	bool notify_due; /* queued since the agent was last told */
	void (*notify)(void *arg);
	void *notify_arg;
	uint64_t next_seq; /* tags call()s, so a late reply matches nobody */
	struct emb_call call[SG_MAX_VCPUS];
	struct gicd_embedded_stats st;
	/* The bus thread's, between two take()s. */
	struct emb_msg taken[SG_EMBEDDED_TAKE_MAX];
	Sg__Envelope *taken_ptr[SG_EMBEDDED_TAKE_MAX];
};

/* --------------------------------------------------------------- queue */

/* Copies env's body into m; false for what is not for the redistributors. */
static bool msg_store(struct emb_msg *m, const Sg__Envelope *env)
{
	m->env = *env;
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_DELIVER: m->u.deliver = *env->deliver; break;
	case SG__ENVELOPE__BODY_RETRACT: m->u.retract = *env->retract; break;
	case SG__ENVELOPE__BODY_QUERY: m->u.query = *env->query; break;
	case SG__ENVELOPE__BODY_INV: m->u.inv = *env->inv; break;
	case SG__ENVELOPE__BODY_INV_ALL: m->u.inv_all = *env->inv_all; break;
	case SG__ENVELOPE__BODY_SYNC: m->u.sync = *env->sync; break;
	case SG__ENVELOPE__BODY_MOVE: m->u.move = *env->move; break;
	case SG__ENVELOPE__BODY_MOV_ALL: m->u.mov_all = *env->mov_all; break;
	default: return false;
	}
	return true;
}

/* Points m's envelope at m's own body (after m was copied). */
static void msg_link(struct emb_msg *m)
{
	switch (m->env.body_case) {
	case SG__ENVELOPE__BODY_DELIVER: m->env.deliver = &m->u.deliver; break;
	case SG__ENVELOPE__BODY_RETRACT: m->env.retract = &m->u.retract; break;
	case SG__ENVELOPE__BODY_QUERY: m->env.query = &m->u.query; break;
	case SG__ENVELOPE__BODY_INV: m->env.inv = &m->u.inv; break;
	case SG__ENVELOPE__BODY_INV_ALL: m->env.inv_all = &m->u.inv_all; break;
	case SG__ENVELOPE__BODY_SYNC: m->env.sync = &m->u.sync; break;
	case SG__ENVELOPE__BODY_MOVE: m->env.move = &m->u.move; break;
	case SG__ENVELOPE__BODY_MOV_ALL: m->env.mov_all = &m->u.mov_all; break;
	default: break;
	}
}

/* Doubles the ring, keeping the order.  Lock held. */
static bool queue_grow(struct gicd_embedded *e)
{
	size_t cap = e->q_cap * 2;
	struct emb_msg *q = malloc(cap * sizeof(*q));

	if (!q)
		return false;
	for (size_t i = 0; i < e->q_len; i++)
		q[i] = e->q[(e->q_head + i) & (e->q_cap - 1)];
	free(e->q);
	e->q = q;
	e->q_cap = cap;
	e->q_head = 0;
	e->st.queue_grows++;
	return true;
}

/* Lock held. */
static void queue_push(struct gicd_embedded *e, const Sg__Envelope *env)
{
	struct emb_msg *m;

	if (e->q_len == e->q_cap && !queue_grow(e)) {
		/* The core's output must not fail (core.h); nothing better
		 * to do without memory than to say it loudly. */
		sg_err("embedded gicd: out of memory: a %s for the redistributors is lost",
		       sg_wire_body_name(env->body_case));
		return;
	}
	m = &e->q[(e->q_head + e->q_len) & (e->q_cap - 1)];
	if (!msg_store(m, env)) {
		sg_err("embedded gicd: the core sent a %s on the bus",
		       sg_wire_body_name(env->body_case));
		return;
	}
	e->q_len++;
	e->st.queued++;
	if (e->q_len > e->st.queue_peak)
		e->st.queue_peak = e->q_len;
	e->notify_due = true;
}

/* ------------------------------------------------------- core outputs */

static void core_send(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	struct gicd_embedded *e = ctx;
	struct emb_call *c;

	if (chan == core_bus_chan(&e->shape)) {
		queue_push(e, env);
		return;
	}
	if (chan >= e->shape.nr_vcpus || env->body_case != SG__ENVELOPE__BODY_MMIO_REPLY)
		return; /* nothing else goes to a vCPU without a daemon (no Durable) */
	c = &e->call[chan];
	if (!c->seq || env->mmio_reply->seq != c->seq) {
		e->st.stray_replies++;
		return;
	}
	c->data = env->mmio_reply->data;
	c->done = true;
	pthread_cond_signal(&c->cond);
}

/* Whether to tell the agent it has messages to take.  Lock held; the
 * notify itself runs once the lock is released (unlock_and_notify()). */
static bool take_notify_due(struct gicd_embedded *e, void (**fn)(void *), void **arg)
{
	bool due = e->notify_due && e->notify;

	e->notify_due = false;
	*fn = e->notify;
	*arg = e->notify_arg;
	return due;
}

static void unlock_and_notify(struct gicd_embedded *e)
{
	void (*fn)(void *);
	void *arg;
	bool due = take_notify_due(e, &fn, &arg);

	pthread_mutex_unlock(&e->lock);
	if (due)
		fn(arg);
}

/* ------------------------------------------------------------------ ops */

static void emb_bind(void *host, void (*notify)(void *arg), void *arg)
{
	struct gicd_embedded *e = host;

	pthread_mutex_lock(&e->lock);
	e->notify = notify;
	e->notify_arg = arg;
	pthread_mutex_unlock(&e->lock);
}

static void emb_input(void *host, unsigned chan, const Sg__Envelope *env)
{
	struct gicd_embedded *e = host;

	if (chan > e->shape.nr_vcpus) {
		sg_reject_log("embedded gicd: %s on channel %u, which does not exist",
			      sg_wire_body_name(env->body_case), chan);
		return;
	}
	pthread_mutex_lock(&e->lock);
	e->st.inputs++;
	core_handle(&e->core, chan, env);
	unlock_and_notify(e);
}

static void deadline_after_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000l;
	if (ts->tv_nsec >= 1000000000l) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000l;
	}
}

/* Waits for the parked read's reply, reporting a slow one.  Lock held. */
static int wait_reply(struct gicd_embedded *e, unsigned vcpu, const Sg__Mmio *m)
{
	struct emb_call *c = &e->call[vcpu];
	int waited_ms = 0;

	while (!c->done) {
		struct timespec dl;

		deadline_after_ms(&dl, CALL_REPORT_MS);
		if (pthread_cond_timedwait(&c->cond, &e->lock, &dl) != ETIMEDOUT || c->done)
			continue;
		waited_ms += CALL_REPORT_MS;
		sg_warn("vCPU %u: the read of 0x%llx waits for SPI owners since %d s", vcpu,
			(unsigned long long)m->addr, waited_ms / 1000);
		if (waited_ms >= CALL_LIMIT_MS) {
			e->st.call_timeouts++;
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static int emb_call(void *host, unsigned vcpu, const Sg__Mmio *m, uint64_t *data)
{
	struct gicd_embedded *e = host;
	struct emb_call *c;
	Sg__Mmio mm = *m;
	Sg__Envelope env;
	int rc = 0;

	if (vcpu >= e->shape.nr_vcpus)
		return -EINVAL;
	c = &e->call[vcpu];
	mm.posted = false;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MMIO;
	env.mmio = &mm;
	pthread_mutex_lock(&e->lock);
	e->st.calls++;
	env.seq = c->seq = ++e->next_seq;
	c->done = false;
	core_handle(&e->core, vcpu, &env);
	if (!c->done) {
		/* Parked: the Query messages must reach the bus thread before
		 * we sleep, and the lock must be free for its QueryReply. */
		e->st.calls_waited++;
		unlock_and_notify(e);
		pthread_mutex_lock(&e->lock);
		rc = wait_reply(e, vcpu, m);
	}
	*data = rc == 0 ? c->data : 0;
	c->seq = 0;
	unlock_and_notify(e);
	return rc;
}

static size_t emb_take(void *host, Sg__Envelope *const **msgs)
{
	struct gicd_embedded *e = host;
	size_t n;

	pthread_mutex_lock(&e->lock);
	n = e->q_len < SG_EMBEDDED_TAKE_MAX ? e->q_len : SG_EMBEDDED_TAKE_MAX;
	for (size_t i = 0; i < n; i++)
		e->taken[i] = e->q[(e->q_head + i) & (e->q_cap - 1)];
	e->q_head = (e->q_head + n) & (e->q_cap - 1);
	e->q_len -= n;
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < n; i++) {
		msg_link(&e->taken[i]);
		e->taken_ptr[i] = &e->taken[i].env;
	}
	*msgs = e->taken_ptr;
	return n;
}

static const struct sg_embedded_ops ops = {
	.bind = emb_bind,
	.input = emb_input,
	.call = emb_call,
	.take = emb_take,
};

const struct sg_embedded_ops *gicd_embedded_ops(void)
{
	return &ops;
}

/* ----------------------------------------------------------- lifecycle */

/* The RAM as guest_ram_map() takes it from Hello: one duplicated fd per
 * region (it takes ownership of them). */
static int map_ram(struct gicd_embedded *e, const struct gicd_embedded_ram *ram, unsigned nr_ram,
		   char *err, size_t errlen)
{
	Sg__RamRegion reg[SG_MAX_RAM_REGIONS], *ptr[SG_MAX_RAM_REGIONS];
	int fds[SG_MAX_RAM_REGIONS];
	const char *why = "";
	int rc;

	for (unsigned i = 0; i < nr_ram; i++) {
		fds[i] = fcntl(ram[i].fd, F_DUPFD_CLOEXEC, 0);
		if (fds[i] < 0) {
			rc = -errno;
			while (i--)
				close(fds[i]);
			return sg_fail(err, errlen, rc, "guest RAM fd: %s", strerror(-rc));
		}
		sg__ram_region__init(&reg[i]);
		reg[i].gpa = ram[i].gpa;
		reg[i].size = ram[i].size;
		reg[i].fd_offset = ram[i].fd_offset;
		reg[i].fd_index = i;
		ptr[i] = &reg[i];
	}
	rc = guest_ram_map(&e->ram, &e->shape, ptr, nr_ram, fds, nr_ram, &why);
	if (rc < 0)
		return sg_fail(err, errlen, rc, "guest RAM: %s", why);
	return 0;
}

int gicd_embedded_create(const struct sg_vm_shape *shape, const struct gicd_embedded_ram *ram,
			 unsigned nr_ram, struct gicd_embedded **out, char *err, size_t errlen)
{
	struct core_out core_out = { .send = core_send };
	struct gicd_embedded *e;
	pthread_condattr_t ca;
	const char *why;
	int rc;

	*out = NULL;
	if (!shape || !sg_shape_check(shape, &why))
		return sg_fail(err, errlen, -EINVAL, "bad VM shape: %s", shape ? why : "none");
	if (nr_ram > SG_MAX_RAM_REGIONS || (nr_ram && !ram))
		return sg_fail(err, errlen, -EINVAL, "at most %u RAM regions", SG_MAX_RAM_REGIONS);
	e = calloc(1, sizeof(*e));
	if (e)
		e->q = calloc(QUEUE_INIT, sizeof(*e->q));
	if (!e || !e->q) {
		free(e);
		return sg_fail(err, errlen, -ENOMEM, "out of memory");
	}
	e->q_cap = QUEUE_INIT;
	e->shape = *shape;
	guest_ram_init(&e->ram);
	rc = map_ram(e, ram, nr_ram, err, errlen);
	if (rc < 0) {
		free(e->q);
		free(e);
		return rc;
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (unsigned i = 0; i < shape->nr_vcpus; i++)
		pthread_cond_init(&e->call[i].cond, &ca);
	pthread_condattr_destroy(&ca);
	core_out.ctx = e;
	core_init(&e->core, &e->shape, &e->ram, &core_out);
	*out = e;
	return 0;
}

void gicd_embedded_destroy(struct gicd_embedded *e)
{
	if (!e)
		return;
	for (unsigned i = 0; i < e->shape.nr_vcpus; i++)
		pthread_cond_destroy(&e->call[i].cond);
	pthread_mutex_destroy(&e->lock);
	guest_ram_unmap(&e->ram);
	free(e->q);
	free(e);
}

void gicd_embedded_stats(struct gicd_embedded *e, struct gicd_embedded_stats *out)
{
	pthread_mutex_lock(&e->lock);
	*out = e->st;
	out->reads_deferred = e->core.stats.reads_deferred;
	out->queries = e->core.stats.queries;
	out->msi = e->core.stats.msi;
	pthread_mutex_unlock(&e->lock);
}
