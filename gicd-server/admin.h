/* SPDX-License-Identifier: MIT */
/*
 * Admin connections (gicctl) on the control socket.  control.c hands over a
 * connection whose first datagram is an AdminRequest from an allowed peer;
 * the request goes to its handler (admin_handlers.h), whose replies are
 * queued here and written as the peer reads them, so a slow or stuck gicctl
 * never blocks the event loop serving the VM.  A connection is closed once
 * its replies are out, unless the handler keeps it (a trace stream), then
 * when the peer hangs up.
 */
#ifndef GICD_ADMIN_H
#define GICD_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "log.h"
#include "wire.h"

struct event_base;
struct server;
struct admin;
struct admin_conn;

/* Admin connections open at once; more get AdminError TOO_MANY. */
#define ADMIN_MAX_CONNS 16u
/* Bytes of replies waiting for one peer; beyond, a reply is refused
 * (admin_send() returns -ENOBUFS) so a client that does not read cannot
 * grow the daemon's memory. */
#define ADMIN_MAX_QUEUED (16u << 20)
/* Room for a reply's payload in one datagram (the rest: envelope, more). */
#define ADMIN_REPLY_BUDGET (SG_WIRE_MAX - 64u)

struct admin_stats {
	uint64_t requests;
	uint64_t errors;    /* requests answered with AdminError */
	uint64_t refused;   /* too many connections */
	uint64_t overflows; /* replies refused: the peer's queue was full */
};

struct admin *admin_new(struct event_base *base, struct server *srv);
void admin_free(struct admin *a);
const struct admin_stats *admin_get_stats(const struct admin *a);
void admin_log_stats(const struct admin *a, enum sg_log_level level);

/* Takes fd and fds (the request's) in every case; req lives in the caller's
 * arena only for the duration of the call. */
void admin_take(struct admin *a, int fd, const struct ucred *peer, const Sg__AdminRequest *req,
		int *fds, unsigned nfds);

/* ---- for handlers ---- */

struct server *admin_conn_server(const struct admin_conn *c);
const struct ucred *admin_conn_peer(const struct admin_conn *c);

/*
 * Queues one reply (ADMIN_REPLY_BUDGET at most when packed: see
 * admin_reply_size()); r->more is the handler's to set.  0, -EMSGSIZE (too
 * big: split it), -ENOBUFS (the peer's queue is full) or -EPIPE (the
 * connection is closing).
 */
int admin_send(struct admin_conn *c, const Sg__AdminReply *r);
/* Packed size of r in its envelope. */
size_t admin_reply_size(const Sg__AdminReply *r);
/* Sends a final AdminError and counts it. */
void admin_send_error(struct admin_conn *c, Sg__AdminError__Code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Keeps the connection open after the handler returns (a stream): on_close
 * runs once when it closes (peer hang-up, queue overflow, daemon exit).
 */
void admin_conn_keep(struct admin_conn *c, void (*on_close)(struct admin_conn *c, void *arg),
		     void *arg);
/* Closes a kept connection once what is queued is written. */
void admin_conn_finish(struct admin_conn *c);

#endif
