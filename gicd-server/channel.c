// SPDX-License-Identifier: MIT
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

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

/* Sends queued messages in order until the queue is empty or the socket full. */
static int flush_queue(struct channel *ch)
{
	while (ch->txq_len) {
		uint16_t len;
		unsigned char *msg;
		int rc;

		evbuffer_copyout(ch->txq, &len, sizeof(len));
		msg = evbuffer_pullup(ch->txq, (ev_ssize_t)(sizeof(len) + len));
		rc = sg_wire_send_raw(ch->fd, msg + sizeof(len), len, NULL, 0);
		if (rc == -EAGAIN)
			return 0;
		if (rc < 0)
			return rc;
		evbuffer_drain(ch->txq, sizeof(len) + len);
		ch->txq_len--;
	}
	return 0;
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	int rc = flush_queue(ch);

	(void)fd;
	(void)what;
	if (rc < 0) {
		sg_err("%s: sending to the VMM failed: %s", ch->name, strerror(-rc));
		mark_broken(ch);
		ch->ops->broken(ch, ch->ops->arg);
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
	if (!ch->rd_ev || !ch->wr_ev || !ch->txq || event_add(ch->rd_ev, NULL) < 0) {
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
	if (ch->fd >= 0)
		close(ch->fd);
	ch->rd_ev = ch->wr_ev = NULL;
	ch->txq = NULL;
	ch->fd = -1;
}

void channel_reject(struct channel *ch, enum sg_wire_err err, uint64_t seq, const char *why)
{
	if (err > SG_WIRE_OK && err < SG_WIRE_NR_ERRS)
		ch->stats.rejects[err]++;
	sg_reject_log("%s: rejected message (seq %llu): %s%s%s", ch->name, (unsigned long long)seq,
		      sg_wire_strerror(err), why && why[0] ? ": " : "", why ? why : "");
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
		sg_info("%s: the VMM closed the channel", ch->name);
		mark_broken(ch);
		return CHANNEL_RX_GONE;
	case -EMSGSIZE:
		ch->stats.rx++;
		channel_reject(ch, SG_WIRE_OVERSIZE, 0, NULL);
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
	err = sg_wire_decode(rxbuf, (size_t)n, arena, env);
	if (err != SG_WIRE_OK) {
		channel_reject(ch, err, 0, arena->exhausted ? "decoding arena exhausted" : NULL);
		return CHANNEL_RX_REJECT;
	}
	return CHANNEL_RX_MSG;
}

static void enqueue(struct channel *ch, const unsigned char *msg, uint16_t len)
{
	if (ch->txq_len >= CHANNEL_TXQ_MAX) {
		sg_err("%s: %u messages wait for the VMM, which is not reading: detaching the VM",
		       ch->name, CHANNEL_TXQ_MAX);
		mark_broken(ch);
		return;
	}
	if (evbuffer_add(ch->txq, &len, sizeof(len)) < 0 || evbuffer_add(ch->txq, msg, len) < 0) {
		sg_err("%s: out of memory queueing a message: detaching the VM", ch->name);
		mark_broken(ch);
		return;
	}
	if (ch->txq_len++ == 0)
		event_add(ch->wr_ev, NULL);
	ch->stats.tx_queued++;
	if (ch->txq_len > ch->stats.txq_peak)
		ch->stats.txq_peak = ch->txq_len;
}

void channel_send(struct channel *ch, const Sg__Envelope *env)
{
	unsigned char buf[SG_WIRE_MAX];
	ssize_t len;
	int rc;

	if (ch->broken)
		return;
	len = sg_wire_pack(env, buf, sizeof(buf));
	if (len < 0) {
		sg_err("%s: cannot encode a %s: detaching the VM", ch->name,
		       sg_wire_body_name(env->body_case));
		mark_broken(ch);
		return;
	}
	ch->stats.tx++;
	/* Keep the order: once something waits, everything after it waits too. */
	if (ch->txq_len) {
		enqueue(ch, buf, (uint16_t)len);
		return;
	}
	rc = sg_wire_send_raw(ch->fd, buf, (size_t)len, NULL, 0);
	if (rc == -EAGAIN || rc == -ENOBUFS) {
		enqueue(ch, buf, (uint16_t)len);
	} else if (rc < 0) {
		sg_err("%s: sending to the VMM failed: %s", ch->name, strerror(-rc));
		mark_broken(ch);
	}
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
	       "counters %s: rx %llu, applied %llu, duplicates %llu, malformed %llu, tx %llu "
	       "(queued %llu, peak queue %llu), drain bound hits %llu, last seq %llu%s",
	       ch->name, (unsigned long long)s->rx, (unsigned long long)s->applied,
	       (unsigned long long)s->dups, (unsigned long long)s->malformed,
	       (unsigned long long)s->tx, (unsigned long long)s->tx_queued,
	       (unsigned long long)s->txq_peak, (unsigned long long)s->budget_hits,
	       (unsigned long long)ch->last_applied, rej);
}
