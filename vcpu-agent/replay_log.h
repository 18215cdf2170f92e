/* SPDX-License-Identifier: MIT */
/*
 * What a sender (a vCPU's MMIO channel, the bus) sent to gicd-server and
 * must keep until the daemon says it is durable (Durable{seq}), to send it
 * again after a daemon restart (Resume / Welcome: docs/restart.md).  A
 * preallocated byte ring of whole datagrams with the sequence numbers they
 * carry: appending allocates nothing.  Not locked: its owner's lock covers it.
 */
#ifndef SPLITGIC_REPLAY_LOG_H
#define SPLITGIC_REPLAY_LOG_H

#include <stddef.h>
#include <stdint.h>

struct replay_log {
	unsigned char *buf;
	size_t cap;
	size_t head; /* oldest record */
	size_t tail; /* where the next one goes */
	size_t used; /* bytes between head and tail, wrap markers included */
	unsigned nr; /* records */
};

int replay_log_init(struct replay_log *l, size_t cap);
void replay_log_fini(struct replay_log *l);

/* Keeps a datagram carrying sequence numbers first..last; -ENOSPC if full. */
int replay_log_append(struct replay_log *l, const void *dgram, size_t len, uint64_t first,
		      uint64_t last);

/* Forgets every datagram whose messages are all at or below durable. */
void replay_log_trim(struct replay_log *l, uint64_t durable);

/* Calls send() for each kept datagram with a message above applied, oldest
 * first; stops at and returns the first non-zero send() result. */
int replay_log_replay(const struct replay_log *l, uint64_t applied,
		      int (*send)(void *ctx, const void *dgram, size_t len), void *ctx);

#endif
