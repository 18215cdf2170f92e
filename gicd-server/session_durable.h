/* SPDX-License-Identifier: MIT */
/* Inside the session: its durable state (session_durable.c). */
#ifndef GICD_SESSION_DURABLE_H
#define GICD_SESSION_DURABLE_H

#include "session.h"

int session_durable_open(struct session *s, struct event_base *base,
			 const struct session_init *init);
void session_durable_close(struct session *s);

/* Holds every channel's outputs; session_commit() records, then releases. */
void session_hold(struct session *s);
void session_commit(struct session *s);

void session_on_ack(struct session *s, uint64_t seq);
/* A Resync applied in sequence on channel chan (the bus). */
void session_take_resync(struct session *s, unsigned chan, const Sg__Envelope *env);
void session_retain(struct session *s, const unsigned char *dgram, size_t len, uint64_t last_seq);

#endif
