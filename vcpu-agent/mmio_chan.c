// SPDX-License-Identifier: MIT
#include "mmio_chan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define ARENA_SIZE 8192u
/* Bound on the spin before blocking; an environment typo must not turn a
 * vCPU into a busy loop. */
#define SPIN_MAX_NS 1000000u
/* How often a vCPU waiting on the daemon reports it, and when it gives up. */
#define STUCK_REPORT_MS 1000
#define STUCK_LIMIT_MS	30000

/* SPLITGIC_MMIO_SPIN_NS overrides the default spin (docs/bench.md). */
static uint32_t spin_ns_from_env(void)
{
	const char *e = getenv("SPLITGIC_MMIO_SPIN_NS");
	unsigned long v;
	char *end;

	if (!e || !e[0])
		return MMIO_CHAN_SPIN_NS_DEFAULT;
	v = strtoul(e, &end, 10);
	if (*end)
		return MMIO_CHAN_SPIN_NS_DEFAULT;
	return v > SPIN_MAX_NS ? SPIN_MAX_NS : (uint32_t)v;
}

int mmio_chan_init(struct mmio_chan *ch, unsigned vcpu)
{
	memset(ch, 0, sizeof(*ch));
	ch->fd = -1;
	ch->vcpu = vcpu;
	ch->next_seq = 1;
	ch->spin_ns = spin_ns_from_env();
	ch->rx = malloc(SG_WIRE_MAX + 1 + ARENA_SIZE);
	if (!ch->rx || replay_log_init(&ch->log, MMIO_CHAN_LOG_SIZE) < 0) {
		free(ch->rx);
		ch->rx = NULL;
		return -ENOMEM;
	}
	ch->arena_buf = ch->rx + SG_WIRE_MAX + 1;
	pthread_mutex_init(&ch->lock, NULL);
	pthread_cond_init(&ch->changed, NULL);
	return 0;
}

void mmio_chan_fini(struct mmio_chan *ch)
{
	if (!ch->rx)
		return;
	replay_log_fini(&ch->log);
	pthread_cond_destroy(&ch->changed);
	pthread_mutex_destroy(&ch->lock);
	free(ch->rx);
	ch->rx = NULL;
}

static int take_message(struct mmio_chan *ch, uint64_t seq, uint64_t *val, int flags);

/* The vCPU thread reads its channel only while it waits for a reply: a vCPU
 * that only posts picks up Durable here once its log is half full. */
static void take_durables(struct mmio_chan *ch)
{
	uint64_t v;

	for (int i = 0; i < 64 && take_message(ch, 0, &v, MSG_DONTWAIT) == 0 && ch->fd >= 0; i++)
		if (ch->log.used < ch->log.cap / 2)
			break;
}

/* Room in the log, waiting (bounded, reported) for Durable if need be. */
static int log_append(struct mmio_chan *ch, const unsigned char *buf, size_t len, uint64_t seq)
{
	int waited_ms = 0, rc;

	for (;;) {
		pthread_mutex_lock(&ch->lock);
		rc = replay_log_append(&ch->log, buf, len, seq, seq);
		pthread_mutex_unlock(&ch->lock);
		if (rc != -ENOSPC || waited_ms >= STUCK_LIMIT_MS)
			break;
		struct pollfd p = { .fd = ch->fd, .events = POLLIN };

		if (poll(&p, 1, STUCK_REPORT_MS) == 0) {
			waited_ms += STUCK_REPORT_MS;
			sg_warn("vCPU %u: gicd-server has made none of this vCPU's writes durable "
				"for %d s",
				ch->vcpu, waited_ms / 1000);
		}
		take_durables(ch);
	}
	return rc;
}

/*
 * Sends env with the next sequence number and keeps it until the daemon
 * says it is durable.  A daemon that is gone does not fail it: it is sent
 * again after the restart.  wait: the vCPU will wait for the reply.
 */
static int send_env(struct mmio_chan *ch, Sg__Envelope *env, bool wait)
{
	unsigned char buf[128];
	ssize_t len;
	int rc;

	if (ch->fd < 0)
		return -ENOTCONN;
	if (ch->log.used > ch->log.cap / 2)
		take_durables(ch);
	env->seq = ch->next_seq;
	len = sg_wire_pack(env, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	rc = log_append(ch, buf, (size_t)len, env->seq);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ch->lock);
	ch->next_seq++;
	if (wait) {
		ch->waiting_seq = env->seq;
		memcpy(ch->wait_dgram, buf, (size_t)len);
		ch->wait_len = (size_t)len;
	}
	rc = ch->await_resume ? 0 : sg_wire_send_raw(ch->fd, buf, (size_t)len, NULL, 0);
	pthread_mutex_unlock(&ch->lock);
	if ((rc == -EPIPE || rc == -ECONNRESET) && ch->reattached)
		rc = 0; /* kept: the replay after the restart delivers it */
	return rc;
}

static int replay_one(void *ctx, const void *dgram, size_t len)
{
	struct mmio_chan *ch = ctx;

	sg_wire_send_raw(ch->fd, dgram, len, NULL, 0);
	return 0;
}

void mmio_chan_resume(struct mmio_chan *ch, uint64_t applied)
{
	pthread_mutex_lock(&ch->lock);
	if (ch->fd >= 0) {
		replay_log_replay(&ch->log, applied, replay_one, ch);
		/* Applied before the restart, but its reply may be lost. */
		if (ch->waiting_seq && ch->waiting_seq <= applied)
			sg_wire_send_raw(ch->fd, ch->wait_dgram, ch->wait_len, NULL, 0);
	}
	ch->await_resume = false;
	pthread_mutex_unlock(&ch->lock);
}

int mmio_chan_swap_fd(struct mmio_chan *ch, int fd)
{
	int rc = 0;

	pthread_mutex_lock(&ch->lock);
	/* Same fd number, new socket behind it: a vCPU thread inside poll()
	 * or recv() on it never sees a closed or reused number. */
	if (dup3(fd, ch->fd, O_CLOEXEC) < 0)
		rc = -errno;
	ch->await_resume = true;
	ch->generation++;
	pthread_cond_broadcast(&ch->changed);
	pthread_mutex_unlock(&ch->lock);
	return rc;
}

/* The daemon hung up: wait (bounded, reported) for the bus thread to
 * re-attach and hand over a new fd.  Returns 0 once it did. */
static int wait_new_fd(struct mmio_chan *ch, unsigned gen, int *waited_ms)
{
	int rc = 0;

	pthread_mutex_lock(&ch->lock);
	while (ch->generation == gen && rc == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += STUCK_REPORT_MS / 1000;
		if (pthread_cond_timedwait(&ch->changed, &ch->lock, &ts) == ETIMEDOUT) {
			*waited_ms += STUCK_REPORT_MS;
			sg_warn("vCPU %u: waiting %d s for gicd-server to come back", ch->vcpu,
				*waited_ms / 1000);
			if (*waited_ms >= STUCK_LIMIT_MS)
				rc = -ETIMEDOUT;
		}
	}
	pthread_mutex_unlock(&ch->lock);
	return rc;
}

static int send_mmio(struct mmio_chan *ch, uint64_t addr, unsigned size, bool write, bool posted,
		     uint64_t val)
{
	struct sg_mmio_msg m;

	return send_env(ch, sg_mmio_msg(&m, addr, size, write, posted, write ? val : 0), !posted);
}

int mmio_chan_post(struct mmio_chan *ch, uint64_t addr, unsigned size, uint64_t val)
{
	int rc = send_mmio(ch, addr, size, true, true, val);

	if (rc == 0)
		ch->nr_posted++;
	return rc;
}

int mmio_chan_msi(struct mmio_chan *ch, uint32_t its, uint32_t device_id, uint32_t event_id)
{
	struct sg_msi_msg m;
	int rc;

	rc = send_env(ch, sg_msi_msg(&m, its, device_id, event_id), false);
	if (rc == 0)
		ch->nr_msi++;
	return rc;
}

/* Takes one message off the channel; returns 1 if it was the reply to seq,
 * 0 if it was something else or nothing was there (MSG_DONTWAIT). */
static int take_message(struct mmio_chan *ch, uint64_t seq, uint64_t *val, int flags)
{
	struct sg_arena arena;
	Sg__Envelope *env;
	int fds[1];
	unsigned nfds;
	ssize_t n = sg_wire_recv_flags(ch->fd, ch->rx, SG_WIRE_MAX + 1, fds, 0, &nfds, flags);

	sg_wire_close_fds(fds, nfds);
	if (n == -EAGAIN)
		return 0;
	if (n == 0)
		return -ECONNRESET;
	if (n < 0) {
		ch->nr_rejected++;
		return n == -EMSGSIZE || n == -ETOOMANYREFS || n == -EBADMSG ? 0 : (int)n;
	}
	sg_arena_init(&arena, ch->arena_buf, ARENA_SIZE);
	if (sg_wire_decode(ch->rx, (size_t)n, &arena, &env) != SG_WIRE_OK) {
		ch->nr_rejected++;
		sg_reject_log("vCPU %u: undecodable message from gicd-server", ch->vcpu);
		return 0;
	}
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_MMIO_REPLY:
		if (env->mmio_reply->seq != seq)
			return 0; /* a reply to a request we stopped waiting for */
		*val = env->mmio_reply->data;
		return 1;
	case SG__ENVELOPE__BODY_DURABLE:
		if (env->durable->seq > ch->durable_seq)
			ch->durable_seq = env->durable->seq;
		pthread_mutex_lock(&ch->lock);
		replay_log_trim(&ch->log, ch->durable_seq);
		pthread_mutex_unlock(&ch->lock);
		return 0;
	case SG__ENVELOPE__BODY_RESUME:
		/* The bus thread replays for every channel (its Resume lists them). */
		return 0;
	default:
		ch->nr_rejected++;
		sg_reject_log("vCPU %u: unexpected %s on the MMIO channel", ch->vcpu,
			      sg_wire_body_name(env->body_case));
		return 0;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Adaptive polling: a reply that comes within spin_ns is taken without the
 * vCPU thread going to sleep, which saves the wake-up of a blocked thread
 * (the larger part of a round trip when the daemon runs on another core).
 * Each turn yields the CPU, so a daemon that shares this core still runs.
 * Bounded; after it the thread blocks in poll() as before.
 */
static int spin_for_reply(struct mmio_chan *ch, uint64_t seq, uint64_t *val)
{
	uint64_t start = now_ns();

	do {
		int rc = take_message(ch, seq, val, MSG_DONTWAIT);

		if (rc != 0) {
			if (rc == 1)
				ch->nr_spin_hits++;
			return rc;
		}
		sched_yield();
	} while (now_ns() - start < ch->spin_ns);
	ch->nr_spin_misses++;
	return 0;
}

static int wait_reply(struct mmio_chan *ch, uint64_t seq, bool write, uint64_t addr, uint64_t *val)
{
	int waited_ms = 0, rc;

	if (ch->spin_ns) {
		rc = spin_for_reply(ch, seq, val);
		if (rc == 1)
			return 0;
		/* A hangup is handled below, with the wait for a re-attach. */
		if (rc < 0 && rc != -ECONNRESET)
			return rc;
	}
	for (;;) {
		unsigned gen;
		int fd, pr;

		pthread_mutex_lock(&ch->lock);
		fd = ch->fd;
		gen = ch->generation;
		pthread_mutex_unlock(&ch->lock);
		struct pollfd p = { .fd = fd, .events = POLLIN };

		pr = poll(&p, 1, STUCK_REPORT_MS);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr == 0) {
			waited_ms += STUCK_REPORT_MS;
			sg_warn("vCPU %u: gicd-server has not answered the %s of 0x%llx for %d s",
				ch->vcpu, write ? "write" : "read", (unsigned long long)addr,
				waited_ms / 1000);
			if (waited_ms >= STUCK_LIMIT_MS)
				return -ETIMEDOUT;
			continue;
		}
		if (pr < 0)
			continue;
		rc = take_message(ch, seq, val, MSG_DONTWAIT);
		if (rc == 1)
			return 0;
		if (rc == -ECONNRESET && ch->reattached) {
			/* Gone without a fd store: the bus thread re-attaches and
			 * sends this request again on the new channel. */
			rc = wait_new_fd(ch, gen, &waited_ms);
		}
		if (rc < 0)
			return rc;
	}
}

int mmio_chan_call(struct mmio_chan *ch, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	uint64_t seq = ch->next_seq;
	int rc = send_mmio(ch, addr, size, write, false, write ? *val : 0);

	if (rc < 0)
		return rc;
	ch->nr_waited++;
	rc = wait_reply(ch, seq, write, addr, val);
	pthread_mutex_lock(&ch->lock);
	ch->waiting_seq = 0;
	pthread_mutex_unlock(&ch->lock);
	return rc;
}
