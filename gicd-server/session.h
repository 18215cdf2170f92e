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
#include "histogram.h"
#include "log.h"
#include "snapshot.h"
#include "state_store.h"
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

/* How often Durable{seq} may go to a channel, and the longest a commit
 * waits in the journal before a full snapshot while the VM is busy. */
#define SESSION_DURABLE_MS  5
#define SESSION_SNAPSHOT_MS 1000

/* A waited-for Mmio taken off its channel and held until the drain finished.
 * dup: a read already applied before a daemon restart, asked again because
 * its reply was lost: served again, changing nothing. */
struct session_fence {
	bool valid;
	bool dup;
	uint64_t seq;
	Sg__Mmio mmio;
	uint64_t t0_ns;	     /* taken off the channel (HIST_MMIO_WAIT); 0: answered */
	uint64_t replied_ns; /* its reply is out, not yet released: t0_ns it had */
};

struct session_stats {
	uint64_t drains;	    /* drain_all() runs */
	uint64_t rounds;	    /* read-everything-then-serve rounds */
	uint64_t fences;	    /* waited-for transactions served after a drain */
	uint64_t bound_hits;	    /* rounds cut short by SESSION_DRAIN_BUDGET */
	uint64_t malformed_replies; /* MmioReply MALFORMED sent */
	uint64_t commits;	    /* journal records written */
	uint64_t commit_bytes;	    /* their size */
	uint64_t snapshots;	    /* full snapshots written */
	uint64_t store_errors;	    /* records that could not be written */
	uint64_t dup_reads;	    /* reads asked again after a restart, served again */
	uint64_t acks;		    /* Ack from the agent */
	uint64_t resync_repairs;    /* Resync that disagreed with the distributor */
	uint64_t resync_stale;	    /* Resync for an earlier epoch (replayed): ignored */
};

struct session {
	struct sg_vm_shape shape;
	struct gic_core core;
	struct guest_ram ram;
	/* Durable state (docs/restart.md): what survives, where it goes. */
	struct durable dur;
	struct state_store store;
	int state_fd;
	struct snapshot_shadow *shadow;
	bool commits_since_snapshot;
	uint64_t durable_sent[SG_MAX_VCPUS + 1]; /* last Durable{seq} per channel */
	struct event *durable_ev, *snapshot_ev;
	/* After a restart: vCPUs whose Resync has not come; reads wait for it. */
	unsigned resync_wait;
	bool resync_pending[SG_MAX_VCPUS];
	unsigned nr_chans; /* nr_vcpus MMIO channels + the bus */
	struct channel chan[SG_MAX_VCPUS + 1];
	struct session_fence fence[SG_MAX_VCPUS + 1];
	unsigned char *rxbuf;  /* CHANNEL_RX_ALLOC: datagram, then the arena */
	struct sg_arena arena; /* SG_WIRE_ARENA_SIZE, allocated once */
	struct channel_ops chan_ops;
	const struct session_ops *ops;
	bool gone;
	struct session_stats stats;
	/* For gicctl (admin_status.c, admin_stats.c): latency histograms and
	 * the last full snapshot (CLOCK_MONOTONIC ns; 0: none yet). */
	struct histogram hist[HIST_NR];
	uint64_t last_snapshot_ns;
	uint64_t last_snapshot_bytes;
	uint64_t input_rx_ns;	  /* the device input being applied was received */
	bool input_delivered;	  /* ... and a Deliver went out for it */
	unsigned replies_pending; /* fences with replied_ns set */
};

struct session_init {
	const struct sg_vm_shape *shape;
	int *chan_fds;		    /* nr_vcpus MMIO channels, then the bus */
	struct guest_ram *ram;	    /* mapped */
	int state_fd;		    /* the state store: a memfd or the state file */
	bool restore;		    /* carry on from the state in state_fd */
	const unsigned char *hello; /* a first attach: its Hello, packed */
	size_t hello_len;
};

/*
 * Starts serving a VM.  Takes ownership of chan_fds[0..nr_vcpus], of *ram
 * (moved; *ram is left empty) and of state_fd in every case.  A first
 * attach starts a new state (resume token, epoch 1, a full snapshot); a
 * restore loads it, bumps the epoch, writes a full snapshot, sends Resume
 * on every channel and the bus messages the agent had not acknowledged, and
 * serves no read until every vCPU's Resync is in.  Returns NULL on failure.
 */
struct session *session_new(struct event_base *base, const struct session_init *init,
			    const struct session_ops *ops);
void session_free(struct session *s);

/* Writes a full snapshot now (SIGTERM: a restart or an upgrade follows);
 * 0 or a negative errno (logged). */
int session_checkpoint(struct session *s);

/* A full snapshot of the current state in a buffer from malloc() (gicctl
 * snapshot save: a copy elsewhere), as the next full snapshot would be; the
 * session's own store and delta base are untouched.  Returns its length or
 * a negative errno. */
ssize_t session_encode_full(struct session *s, unsigned char **out);

/* The Hello, epoch and resume token (32 bytes) of the VM whose state is in
 * state_fd, for a restore; the Hello is returned with malloc (free with
 * sg__hello__free_unpacked).  -ENOENT if it holds no VM. */
int session_peek_state(int state_fd, Sg__Hello **hello, uint64_t *epoch, unsigned char *token);

/* Logs every counter: per channel, the drain, core_stats and dist_stats. */
void session_log_stats(const struct session *s, enum sg_log_level level);

#endif
