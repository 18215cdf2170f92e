/* SPDX-License-Identifier: MIT */
/*
 * An attached VM: its channels, its guest RAM and the core state machine
 * they feed.  Owns the ordering rules of DESIGN §4: per-channel sequence
 * numbers, and the drain that serves a waited-for transaction only after
 * everything already queued on every channel was applied.
 */
#ifndef GICD_SESSION_H
#define GICD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "channel.h"
#include "core.h"
#include "guest_ram.h"
#include "log.h"
#include "vm_shape.h"

struct event_base;

/* Most datagrams one drain round takes from one channel before it serves
 * the waiting transactions anyway and yields to the event loop. */
#define SESSION_DRAIN_BUDGET 4096u

struct session_ops {
	/* The VM is gone (a channel hung up or failed): tear the session down
	 * from a fresh callback, not from inside this one. */
	void (*gone)(void *arg, const char *reason);
	void *arg;
};

/* A waited-for Mmio taken off its channel and held until the drain finished. */
struct session_fence {
	bool valid;
	uint64_t seq;
	Sg__Mmio mmio;
};

struct session_stats {
	uint64_t drains;	    /* drain_all() runs */
	uint64_t rounds;	    /* read-everything-then-serve rounds */
	uint64_t fences;	    /* waited-for transactions served after a drain */
	uint64_t bound_hits;	    /* rounds cut short by SESSION_DRAIN_BUDGET */
	uint64_t malformed_replies; /* MmioReply MALFORMED sent */
};

struct session {
	struct sg_vm_shape shape;
	struct gic_core core;
	struct guest_ram ram;
	unsigned nr_chans; /* nr_vcpus MMIO channels + the bus */
	struct channel chan[SG_MAX_VCPUS + 1];
	struct session_fence fence[SG_MAX_VCPUS + 1];
	unsigned char *rxbuf;  /* CHANNEL_RX_ALLOC: datagram, then the arena */
	struct sg_arena arena; /* SG_WIRE_ARENA_SIZE, allocated once */
	struct channel_ops chan_ops;
	const struct session_ops *ops;
	bool gone;
	struct session_stats stats;
};

/*
 * Starts serving a VM.  Takes ownership of chan_fds[0..nr_vcpus] (MMIO
 * channels, then the bus) and of *ram (moved; *ram is left empty) in every
 * case.  Returns NULL on failure (out of memory, event setup).
 */
struct session *session_new(struct event_base *base, const struct sg_vm_shape *shape, int *chan_fds,
			    struct guest_ram *ram, const struct session_ops *ops);
void session_free(struct session *s);

/* Logs every counter: per channel, the drain, core_stats and dist_stats. */
void session_log_stats(const struct session *s, enum sg_log_level level);

#endif
