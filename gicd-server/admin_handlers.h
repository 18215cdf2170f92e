/* SPDX-License-Identifier: MIT */
/*
 * One handler per AdminRequest kind, each in its own file.  A handler
 * answers through admin_send()/admin_send_error() and takes the request's
 * fds (closes those it does not keep).
 */
#ifndef GICD_ADMIN_HANDLERS_H
#define GICD_ADMIN_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "admin.h"

/* Bytes of v as a protobuf varint. */
static inline size_t admin_varint_size(uint64_t v)
{
	size_t n = 1;

	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
}

/* Bytes of an embedded field numbered below 16 whose payload is n bytes:
 * tag, length, payload (how handlers split an answer across replies). */
static inline size_t admin_field_size(size_t n)
{
	return 1 + admin_varint_size(n) + n;
}

void admin_status(struct admin_conn *c, const Sg__StatusRequest *req);
void admin_dump(struct admin_conn *c, const Sg__DumpRequest *req);
void admin_stats(struct admin_conn *c, const Sg__StatsRequest *req);
void admin_trace(struct admin_conn *c, const Sg__TraceRequest *req);
void admin_snapshot(struct admin_conn *c, const Sg__SnapshotRequest *req, int *fds, unsigned nfds);

#endif
