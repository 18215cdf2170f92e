// SPDX-License-Identifier: MIT
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "record.h"

/*
 * A Batch datagram is built around messages packed one by one
 * (proto/wire.proto): Envelope.version (field 1, varint), Envelope.batch
 * (field 112, length-delimited) holding Batch.msgs (field 1,
 * length-delimited) once per message.  Its header takes at most 7 bytes:
 * the version, the batch tag and a length below SG_WIRE_MAX (3 bytes).
 */
#define KEY_VERSION    0x08u
#define KEY_BATCH_0    0x82u /* (112 << 3) | 2 as a varint */
#define KEY_BATCH_1    0x07u
#define KEY_BATCH_MSGS 0x0Au /* (1 << 3) | 2 */
#define BATCH_HDR_MAX  7u
#define BATCH_BODY_MAX (SG_WIRE_MAX - BATCH_HDR_MAX)
_Static_assert(SG_PROTO_VERSION < 0x80, "the version is written as a one-byte varint");

struct channel_batch {
	bool open;
	unsigned nr;		     /* messages in the body */
	size_t len;		     /* body bytes, from buf + BATCH_HDR_MAX */
	size_t first_off, first_len; /* the first message, sent alone if it stays alone */
	uint64_t last_seq;	     /* highest message number in the batch */
	unsigned char buf[BATCH_HDR_MAX + BATCH_BODY_MAX];
};

/* What the daemon may put in a Batch (docs/protocol.md, "Who may send what"). */
static bool batchable(Sg__Envelope__BodyCase body)
{
	switch (body) {
	case SG__ENVELOPE__BODY_DELIVER:
	case SG__ENVELOPE__BODY_RETRACT:
	case SG__ENVELOPE__BODY_QUERY:
	case SG__ENVELOPE__BODY_INV:
	case SG__ENVELOPE__BODY_INV_ALL:
	case SG__ENVELOPE__BODY_SYNC:
	case SG__ENVELOPE__BODY_MOVE:
	case SG__ENVELOPE__BODY_MOV_ALL: return true;
	default: return false;
	}
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;

	(void)fd;
	(void)what;
	ch->ops->readable(ch, ch->ops->arg);
}

static void mark_broken(struct channel *ch)
{
	ch->broken = true;
	event_del(ch->rd_ev);
	event_del(ch->wr_ev);
}

/*
 * A send that failed: the VMM is gone (or not reading).  The channel is no
 * longer read, so its hang-up would never be seen: the owner is told now,
 * whoever sent (a drain, a timer, a restore).
 */
static void send_failed(struct channel *ch)
{
	mark_broken(ch);
	ch->ops->broken(ch, ch->ops->arg);
}

/* Sends queued datagrams in order until the queue is empty or the socket full. */
static int flush_queue(struct channel *ch)
{
	while (ch->txq_len) {
		uint16_t hdr[2]; /* length, messages */
		unsigned char *msg;
		int rc;

		evbuffer_copyout(ch->txq, hdr, sizeof(hdr));
		msg = evbuffer_pullup(ch->txq, (ev_ssize_t)(sizeof(hdr) + hdr[0]));
		rc = sg_wire_send_raw(ch->fd, msg + sizeof(hdr), hdr[0], NULL, 0);
		if (rc == -EAGAIN)
			return 0;
		if (rc < 0)
			return rc;
		evbuffer_drain(ch->txq, sizeof(hdr) + hdr[0]);
		ch->txq_len--;
		ch->txq_msgs -= hdr[1];
	}
	return 0;
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	int rc;

	(void)fd;
	(void)what;
	/* Held: what waits may not be durable yet; release flushes it. */
	if (ch->held) {
		event_del(ch->wr_ev);
		return;
	}
	rc = flush_queue(ch);
	if (rc < 0) {
		sg_err("%s: sending to the VMM failed: %s", ch->name, strerror(-rc));
		send_failed(ch);
		return;
	}
	if (ch->txq_len == 0)
		event_del(ch->wr_ev);
}

int channel_init(struct channel *ch, struct event_base *base, unsigned index,
		 enum sg_chan_kind kind, int fd, const struct channel_ops *ops)
{
	int flags = fcntl(fd, F_GETFL);

	memset(ch, 0, sizeof(*ch));
	ch->index = index;
	ch->kind = kind;
	ch->fd = fd;
	ch->ops = ops;
	if (kind == SG_CHAN_BUS)
		snprintf(ch->name, sizeof(ch->name), "bus");
	else
		snprintf(ch->name, sizeof(ch->name), "mmio%u", index);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	ch->rd_ev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, ch);
	ch->wr_ev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_writable, ch);
	ch->txq = evbuffer_new();
	if (kind == SG_CHAN_BUS)
		ch->batch = calloc(1, sizeof(*ch->batch));
	if (!ch->rd_ev || !ch->wr_ev || !ch->txq || (kind == SG_CHAN_BUS && !ch->batch) ||
	    event_add(ch->rd_ev, NULL) < 0) {
		ch->fd = -1; /* the caller still owns it */
		channel_fini(ch);
		return -ENOMEM;
	}
	return 0;
}

void channel_fini(struct channel *ch)
{
	if (ch->rd_ev)
		event_free(ch->rd_ev);
	if (ch->wr_ev)
		event_free(ch->wr_ev);
	if (ch->txq)
		evbuffer_free(ch->txq);
	free(ch->batch);
	if (ch->fd >= 0)
		close(ch->fd);
	ch->rd_ev = ch->wr_ev = NULL;
	ch->txq = NULL;
	ch->batch = NULL;
	ch->fd = -1;
}

void channel_reject(struct channel *ch, enum sg_wire_err err, uint64_t seq, const char *why)
{
	if (err > SG_WIRE_OK && err < SG_WIRE_NR_ERRS)
		ch->stats.rejects[err]++;
	sg_reject_log("%s: rejected message (seq %llu): %s%s%s", ch->name, (unsigned long long)seq,
		      sg_wire_strerror(err), why && why[0] ? ": " : "", why ? why : "");
}

/* Which cap of sg_wire_decode() a datagram hit, for the log. */
static const char *decode_why(enum sg_wire_err err, const struct sg_arena *arena)
{
	if (arena->exhausted)
		return "needs more than the decoding arena (SG_WIRE_ARENA_SIZE, 256 KiB)";
	if (err == SG_WIRE_RANGE)
		return "Batch of 0 or more than SG_WIRE_MAX_BATCH (256) messages";
	if (err == SG_WIRE_OVERSIZE)
		return "larger than SG_WIRE_MAX (16384 bytes)";
	return NULL;
}

enum channel_rx channel_recv(struct channel *ch, unsigned char *rxbuf, struct sg_arena *arena,
			     Sg__Envelope **env)
{
	enum sg_wire_err err;
	int fds[1];
	unsigned nfds;
	/* max_fds 0: data channels carry no fds; sg_wire_recv closes any that came. */
	ssize_t n = sg_wire_recv(ch->fd, rxbuf, CHANNEL_RX_SIZE, fds, 0, &nfds);

	*env = NULL;
	switch (n) {
	case -EAGAIN: return CHANNEL_RX_AGAIN;
	case 0:
	case -ECONNRESET: /* the VMM closed with data unread: as gone */
		sg_info("%s: the VMM closed the channel", ch->name);
		mark_broken(ch);
		return CHANNEL_RX_GONE;
	case -EMSGSIZE:
		ch->stats.rx++;
		channel_reject(ch, SG_WIRE_OVERSIZE, 0, "larger than SG_WIRE_MAX (16384 bytes)");
		return CHANNEL_RX_REJECT;
	case -EBADMSG:
		ch->stats.rx++;
		channel_reject(ch, SG_WIRE_EMPTY, 0, NULL);
		return CHANNEL_RX_REJECT;
	case -ETOOMANYREFS:
		ch->stats.rx++;
		channel_reject(ch, SG_WIRE_FDS, 0, "data channels carry no file descriptors");
		return CHANNEL_RX_REJECT;
	default: break;
	}
	if (n < 0) {
		sg_err("%s: receive failed: %s", ch->name, strerror((int)-n));
		mark_broken(ch);
		return CHANNEL_RX_GONE;
	}
	ch->stats.rx++;
	record_datagram(ch->index, rxbuf, (size_t)n); /* GICD_RECORD_DIR: fuzzing seeds */
	err = sg_wire_decode(rxbuf, (size_t)n, arena, env);
	if (err != SG_WIRE_OK) {
		channel_reject(ch, err, 0, decode_why(err, arena));
		return CHANNEL_RX_REJECT;
	}
	return CHANNEL_RX_MSG;
}

/* Queues a datagram of nmsgs messages; the limit counts messages, so
 * batching does not change how much may wait for a VMM that does not read. */
static void enqueue(struct channel *ch, const unsigned char *msg, uint16_t len, unsigned nmsgs)
{
	uint16_t hdr[2] = { len, (uint16_t)nmsgs };

	if (ch->txq_msgs + nmsgs > CHANNEL_TXQ_MAX) {
		sg_err("%s: %u messages wait for the VMM, which is not reading: detaching the VM",
		       ch->name, CHANNEL_TXQ_MAX);
		send_failed(ch);
		return;
	}
	if (evbuffer_add(ch->txq, hdr, sizeof(hdr)) < 0 || evbuffer_add(ch->txq, msg, len) < 0) {
		sg_err("%s: out of memory queueing a message: detaching the VM", ch->name);
		send_failed(ch);
		return;
	}
	if (ch->txq_len++ == 0 && !ch->held)
		event_add(ch->wr_ev, NULL);
	ch->txq_msgs += nmsgs;
	/* Held messages count as queued only if the release cannot send them. */
	if (ch->held)
		ch->held_msgs += nmsgs;
	else
		ch->stats.tx_queued += nmsgs;
	if (ch->txq_msgs > ch->stats.txq_peak)
		ch->stats.txq_peak = ch->txq_msgs;
}

/*
 * Sends one packed datagram (nmsgs messages), or queues it behind others or
 * while held.  last_seq != 0: it carries numbered bus messages up to there,
 * which the session retains first.
 */
static void send_datagram(struct channel *ch, const unsigned char *buf, size_t len, unsigned nmsgs,
			  uint64_t last_seq)
{
	int rc;

	if (ch->broken)
		return;
	if (last_seq && ch->ops->retain)
		ch->ops->retain(ch, buf, len, last_seq, ch->ops->arg);
	/* Keep the order: once something waits, everything after it waits too. */
	if (ch->txq_len || ch->held) {
		enqueue(ch, buf, (uint16_t)len, nmsgs);
		return;
	}
	rc = sg_wire_send_raw(ch->fd, buf, len, NULL, 0);
	if (rc == -EAGAIN || rc == -ENOBUFS) {
		enqueue(ch, buf, (uint16_t)len, nmsgs);
	} else if (rc < 0) {
		sg_err("%s: sending to the VMM failed: %s", ch->name, strerror(-rc));
		send_failed(ch);
	}
}

/* Appends a packed message to the open batch, sending the batch first if
 * the message would not fit in it. */
static void batch_add(struct channel *ch, const unsigned char *msg, size_t len, uint64_t seq)
{
	struct channel_batch *b = ch->batch;
	size_t key_len = 1 + varint_len(len);
	unsigned char *p;

	if (b->nr == SG_WIRE_MAX_BATCH || b->len + key_len + len > BATCH_BODY_MAX)
		channel_batch_flush(ch);
	if (key_len + len > BATCH_BODY_MAX) {
		send_datagram(ch, msg, len, 1, seq); /* too big to wrap: alone, in order */
		return;
	}
	b->last_seq = seq;
	p = b->buf + BATCH_HDR_MAX + b->len;
	p[0] = KEY_BATCH_MSGS;
	put_varint(p + 1, len);
	if (b->nr == 0) {
		b->first_off = BATCH_HDR_MAX + b->len + key_len;
		b->first_len = len;
	}
	memcpy(p + key_len, msg, len);
	b->len += key_len + len;
	b->nr++;
}

void channel_send(struct channel *ch, const Sg__Envelope *env)
{
	unsigned char buf[SG_WIRE_MAX];
	Sg__Envelope numbered;
	uint64_t seq = 0;
	ssize_t len;

	if (ch->broken)
		return;
	/* Messages for the redistributors are numbered, for dedup and replay. */
	if (ch->kind == SG_CHAN_BUS && batchable(env->body_case)) {
		numbered = *env;
		numbered.seq = seq = ++ch->out_seq;
		env = &numbered;
	}
	len = sg_wire_pack(env, buf, sizeof(buf));
	if (len < 0) {
		sg_err("%s: cannot encode a %s: detaching the VM", ch->name,
		       sg_wire_body_name(env->body_case));
		send_failed(ch);
		return;
	}
	ch->stats.tx++;
	if (ch->batch && ch->batch->open) {
		if (batchable(env->body_case)) {
			batch_add(ch, buf, (size_t)len, seq);
			return;
		}
		channel_batch_flush(ch);
	}
	send_datagram(ch, buf, (size_t)len, 1, seq);
}

void channel_send_raw(struct channel *ch, const unsigned char *dgram, size_t len, unsigned nmsgs)
{
	if (ch->batch)
		channel_batch_flush(ch);
	send_datagram(ch, dgram, len, nmsgs, 0);
}

void channel_hold(struct channel *ch)
{
	ch->held = true;
}

void channel_release(struct channel *ch)
{
	int rc;

	ch->held = false;
	if (ch->broken || !ch->txq_len) {
		ch->held_msgs = 0;
		return;
	}
	rc = flush_queue(ch);
	if (rc < 0) {
		sg_err("%s: sending to the VMM failed: %s", ch->name, strerror(-rc));
		send_failed(ch);
		return;
	}
	/* The held ones are at the tail of the queue. */
	ch->stats.tx_queued += ch->held_msgs < ch->txq_msgs ? ch->held_msgs : ch->txq_msgs;
	ch->held_msgs = 0;
	if (ch->txq_len)
		event_add(ch->wr_ev, NULL);
}

void channel_batch_begin(struct channel *ch)
{
	if (ch->batch)
		ch->batch->open = true;
}

void channel_batch_flush(struct channel *ch)
{
	struct channel_batch *b = ch->batch;

	if (!b || !b->nr)
		return;
	if (b->nr == 1) {
		send_datagram(ch, b->buf + b->first_off, b->first_len, 1, b->last_seq);
	} else {
		unsigned char hdr[BATCH_HDR_MAX];
		size_t h = 0;

		hdr[h++] = KEY_VERSION;
		hdr[h++] = SG_PROTO_VERSION;
		hdr[h++] = KEY_BATCH_0;
		hdr[h++] = KEY_BATCH_1;
		h += put_varint(hdr + h, b->len);
		/* The header goes right in front of the body: no copy of it. */
		memcpy(b->buf + BATCH_HDR_MAX - h, hdr, h);
		ch->stats.tx_batches++;
		ch->stats.tx_batched += b->nr;
		send_datagram(ch, b->buf + BATCH_HDR_MAX - h, h + b->len, b->nr, b->last_seq);
	}
	b->nr = 0;
	b->len = 0;
}

void channel_batch_end(struct channel *ch)
{
	if (!ch->batch)
		return;
	channel_batch_flush(ch);
	ch->batch->open = false;
}

unsigned channel_batch_pending(const struct channel *ch)
{
	return ch->batch ? ch->batch->nr : 0;
}

void channel_log_stats(const struct channel *ch, enum sg_log_level level)
{
	const struct channel_stats *s = &ch->stats;
	char rej[512];
	size_t off = 0;

	rej[0] = '\0';
	for (int e = SG_WIRE_OK + 1; e < SG_WIRE_NR_ERRS && off < sizeof(rej); e++) {
		int n;

		if (!s->rejects[e])
			continue;
		n = snprintf(rej + off, sizeof(rej) - off, ", %s %llu",
			     sg_wire_strerror((enum sg_wire_err)e),
			     (unsigned long long)s->rejects[e]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	sg_log(level,
	       "counters %s: rx %llu, applied %llu, duplicates %llu, early %llu, malformed %llu, "
	       "tx %llu "
	       "(queued %llu, peak queue %llu, %llu in %llu batches), drain bound hits %llu, "
	       "last seq %llu%s",
	       ch->name, (unsigned long long)s->rx, (unsigned long long)s->applied,
	       (unsigned long long)s->dups, (unsigned long long)s->early,
	       (unsigned long long)s->malformed, (unsigned long long)s->tx,
	       (unsigned long long)s->tx_queued, (unsigned long long)s->txq_peak,
	       (unsigned long long)s->tx_batched, (unsigned long long)s->tx_batches,
	       (unsigned long long)s->budget_hits, (unsigned long long)ch->last_applied, rej);
}
