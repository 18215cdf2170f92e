// SPDX-License-Identifier: MIT
#include "admin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "admin_handlers.h"

/* One packed reply waiting for the peer. */
struct out_buf {
	struct out_buf *next;
	size_t len;
	unsigned char data[];
};

struct admin_conn {
	struct admin *a;
	int fd; /* -1: slot free */
	struct ucred peer;
	struct event *rd_ev, *wr_ev, *close_ev;
	struct out_buf *head, *tail;
	size_t queued;
	bool keep;	/* a stream: stays open after its handler returned */
	bool finishing; /* close once the queue is written */
	bool closing;	/* close_ev is scheduled: nothing more is sent */
	void (*on_close)(struct admin_conn *c, void *arg);
	void *on_close_arg;
};

struct admin {
	struct event_base *base;
	struct server *srv;
	struct admin_conn conn[ADMIN_MAX_CONNS];
	struct admin_stats stats;
	unsigned char pack[SG_WIRE_MAX];
};

static const char *request_name(Sg__AdminRequest__ReqCase rc)
{
	switch (rc) {
	case SG__ADMIN_REQUEST__REQ_STATUS: return "status";
	case SG__ADMIN_REQUEST__REQ_DUMP: return "dump";
	case SG__ADMIN_REQUEST__REQ_STATS: return "stats";
	case SG__ADMIN_REQUEST__REQ_TRACE: return "trace";
	case SG__ADMIN_REQUEST__REQ_SNAPSHOT: return "snapshot";
	default: return "unknown";
	}
}

static void conn_close_now(struct admin_conn *c)
{
	struct out_buf *b = c->head;

	if (c->keep && c->on_close)
		c->on_close(c, c->on_close_arg);
	while (b) {
		struct out_buf *next = b->next;

		free(b);
		b = next;
	}
	if (c->rd_ev)
		event_free(c->rd_ev);
	if (c->wr_ev)
		event_free(c->wr_ev);
	if (c->close_ev)
		event_free(c->close_ev);
	close(c->fd);
	*c = (struct admin_conn){ .fd = -1 };
}

/* Closing runs from its own callback: never under a handler or a trace
 * sink that is still using the connection. */
static void conn_schedule_close(struct admin_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	event_active(c->close_ev, 0, 0);
}

static void on_close_ev(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_close_now(arg);
}

static void flush(struct admin_conn *c)
{
	while (c->head && !c->closing) {
		struct out_buf *b = c->head;
		ssize_t n = send(c->fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			event_add(c->wr_ev, NULL);
			return;
		}
		if (n < 0) {
			sg_debug("admin: pid %d: send: %m: closing", (int)c->peer.pid);
			conn_schedule_close(c);
			return;
		}
		c->head = b->next;
		if (!c->head)
			c->tail = NULL;
		c->queued -= b->len;
		free(b);
	}
	if (!c->head && c->finishing)
		conn_schedule_close(c);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

/* One request per connection: anything after it, or a hang-up, ends it. */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct admin_conn *c = arg;
	unsigned char byte;
	ssize_t n;

	(void)what;
	n = recv(fd, &byte, sizeof(byte), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		sg_reject_log("admin: pid %d sent more than one request: closing",
			      (int)c->peer.pid);
	conn_schedule_close(c);
}

size_t admin_reply_size(const Sg__AdminReply *r)
{
	Sg__Envelope env;

	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_ADMIN_REPLY;
	env.admin_reply = (Sg__AdminReply *)r;
	return sg__envelope__get_packed_size(&env);
}

int admin_send(struct admin_conn *c, const Sg__AdminReply *r)
{
	struct admin *a = c->a;
	struct out_buf *b;
	Sg__Envelope env;
	ssize_t n;

	if (c->closing)
		return -EPIPE;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_ADMIN_REPLY;
	env.admin_reply = (Sg__AdminReply *)r;
	n = sg_wire_pack(&env, a->pack, sizeof(a->pack));
	if (n < 0)
		return (int)n;
	if (c->queued + (size_t)n > ADMIN_MAX_QUEUED) {
		a->stats.overflows++;
		return -ENOBUFS;
	}
	b = malloc(sizeof(*b) + (size_t)n);
	if (!b)
		return -ENOBUFS;
	b->next = NULL;
	b->len = (size_t)n;
	memcpy(b->data, a->pack, (size_t)n);
	if (c->tail)
		c->tail->next = b;
	else
		c->head = b;
	c->tail = b;
	c->queued += (size_t)n;
	if (c->head == b)
		flush(c);
	return 0;
}

void admin_send_error(struct admin_conn *c, Sg__AdminError__Code code, const char *fmt, ...)
{
	Sg__AdminReply r = SG__ADMIN_REPLY__INIT;
	Sg__AdminError e = SG__ADMIN_ERROR__INIT;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e.code = code;
	e.message = msg;
	r.rep_case = SG__ADMIN_REPLY__REP_ERROR;
	r.error = &e;
	c->a->stats.errors++;
	sg_info("admin: pid %d uid %u: %s", (int)c->peer.pid, (unsigned)c->peer.uid, msg);
	admin_send(c, &r);
}

struct server *admin_conn_server(const struct admin_conn *c)
{
	return c->a->srv;
}

const struct ucred *admin_conn_peer(const struct admin_conn *c)
{
	return &c->peer;
}

void admin_conn_keep(struct admin_conn *c, void (*on_close)(struct admin_conn *c, void *arg),
		     void *arg)
{
	c->keep = true;
	c->on_close = on_close;
	c->on_close_arg = arg;
}

void admin_conn_finish(struct admin_conn *c)
{
	c->finishing = true;
	flush(c);
}

static void dispatch(struct admin_conn *c, const Sg__AdminRequest *req, int *fds, unsigned nfds)
{
	/* Only a snapshot request carries an fd (the file). */
	if (req->req_case != SG__ADMIN_REQUEST__REQ_SNAPSHOT && nfds) {
		sg_wire_close_fds(fds, nfds);
		admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
				 "file descriptors with a %s request", request_name(req->req_case));
		return;
	}
	switch (req->req_case) {
	case SG__ADMIN_REQUEST__REQ_STATUS: admin_status(c, req->status); break;
	case SG__ADMIN_REQUEST__REQ_DUMP: admin_dump(c, req->dump); break;
	case SG__ADMIN_REQUEST__REQ_STATS: admin_stats(c, req->stats); break;
	case SG__ADMIN_REQUEST__REQ_TRACE: admin_trace(c, req->trace); break;
	case SG__ADMIN_REQUEST__REQ_SNAPSHOT: admin_snapshot(c, req->snapshot, fds, nfds); break;
	default:
		admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
				 "an admin request without a known body");
		break;
	}
}

/* No connection slot: one best-effort error, never queued. */
static void refuse(int fd, unsigned max)
{
	Sg__AdminReply r = SG__ADMIN_REPLY__INIT;
	Sg__AdminError e = SG__ADMIN_ERROR__INIT;
	Sg__Envelope env;
	char msg[96];

	snprintf(msg, sizeof(msg), "too many admin connections (%u open)", max);
	e.code = SG__ADMIN_ERROR__CODE__TOO_MANY;
	e.message = msg;
	r.rep_case = SG__ADMIN_REPLY__REP_ERROR;
	r.error = &e;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_ADMIN_REPLY;
	env.admin_reply = &r;
	sg_wire_send(fd, &env, NULL, 0);
}

void admin_take(struct admin *a, int fd, const struct ucred *peer, const Sg__AdminRequest *req,
		int *fds, unsigned nfds)
{
	struct admin_conn *c = NULL;

	a->stats.requests++;
	for (unsigned i = 0; i < ADMIN_MAX_CONNS && !c; i++)
		if (a->conn[i].fd < 0)
			c = &a->conn[i];
	if (!c) {
		a->stats.refused++;
		sg_reject_log("admin: %u admin connections open: refusing pid %d", ADMIN_MAX_CONNS,
			      (int)peer->pid);
		refuse(fd, ADMIN_MAX_CONNS);
		sg_wire_close_fds(fds, nfds);
		close(fd);
		return;
	}
	*c = (struct admin_conn){ .a = a, .fd = fd, .peer = *peer };
	c->rd_ev = event_new(a->base, fd, EV_READ | EV_PERSIST, on_readable, c);
	c->wr_ev = event_new(a->base, fd, EV_WRITE, on_writable, c);
	c->close_ev = event_new(a->base, -1, 0, on_close_ev, c);
	if (!c->rd_ev || !c->wr_ev || !c->close_ev || event_add(c->rd_ev, NULL) < 0) {
		sg_err("admin: cannot set up events for a connection");
		sg_wire_close_fds(fds, nfds);
		conn_close_now(c);
		return;
	}
	sg_debug("admin: pid %d uid %u: %s", (int)peer->pid, (unsigned)peer->uid,
		 request_name(req->req_case));
	dispatch(c, req, fds, nfds);
	if (!c->keep)
		admin_conn_finish(c);
}

struct admin *admin_new(struct event_base *base, struct server *srv)
{
	struct admin *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->base = base;
	a->srv = srv;
	for (unsigned i = 0; i < ADMIN_MAX_CONNS; i++)
		a->conn[i].fd = -1;
	return a;
}

void admin_free(struct admin *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < ADMIN_MAX_CONNS; i++)
		if (a->conn[i].fd >= 0)
			conn_close_now(&a->conn[i]);
	free(a);
}

const struct admin_stats *admin_get_stats(const struct admin *a)
{
	return &a->stats;
}

void admin_log_stats(const struct admin *a, enum sg_log_level level)
{
	const struct admin_stats *s = &a->stats;

	sg_log(level, "counters admin: requests %llu, errors %llu, refused %llu, overflows %llu",
	       (unsigned long long)s->requests, (unsigned long long)s->errors,
	       (unsigned long long)s->refused, (unsigned long long)s->overflows);
}
