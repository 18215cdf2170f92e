/* SPDX-License-Identifier: MIT */
/*
 * The daemon's durable state as protobuf GicState (proto/snapshot.proto):
 * full snapshots, and deltas that carry only what changed since the last
 * record written (found by comparing with a shadow copy of what that record
 * described, so no code that changes state has to remember to mark it).
 * Loading applies a snapshot and then each delta, in order, to a struct
 * durable.  docs/restart.md describes the scheme.
 */
#ifndef GICD_SNAPSHOT_H
#define GICD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core.h"

#define SG_SNAPSHOT_SCHEMA 1u
/*
 * Bus datagrams retained until the agent acknowledges them (Ack), and their
 * bytes.  Why: an agent that never acknowledges would otherwise grow the
 * daemon's memory and every full snapshot without bound.  The bytes cap
 * keeps a full snapshot inside one state store slot (STATE_STORE_SLOT_SIZE,
 * 4 MiB, checked in session_durable.c) with room for the rest of the state;
 * both are far above what an agent that acknowledges after each burst
 * leaves unacknowledged.  Reaching either detaches the VM (logged at error
 * level): durable_retain() says -ENOSPC (datagrams) or -ENOBUFS (bytes).
 */
#define DURABLE_MAX_RETAINED	   8192u
#define DURABLE_MAX_RETAINED_BYTES (3u << 20)

/* One bus datagram the agent has not acknowledged yet. */
struct retained {
	uint64_t last_seq; /* highest message seq it carries */
	uint32_t len;
	unsigned char *data;
};

/*
 * Everything that survives a restart: the core, the VM's identity, and per
 * channel the sequence numbers and the bus outputs in flight.  The session
 * owns one; snapshot_* read and write it.
 */
struct durable {
	struct gic_core *core;
	/* identity (set at attach) */
	unsigned char *hello; /* the attach's Hello, packed */
	size_t hello_len;
	unsigned char token[32]; /* resume token */
	uint64_t epoch;
	/* channels: MMIO 0..n-1, bus n */
	uint64_t last_applied[SG_MAX_VCPUS + 1];
	uint64_t bus_out_seq; /* last seq the daemon gave a bus message */
	uint64_t bus_acked;   /* the agent has everything up to here */
	unsigned nr_retained;
	size_t retained_bytes;				/* their datagrams' length */
	struct retained retained[DURABLE_MAX_RETAINED]; /* oldest first */
};

/* What the last record written described: deltas are taken against it. */
struct snapshot_shadow {
	bool valid;
	uint32_t ctlr;
	unsigned route_last;
	struct dist_spi spi[GIC_MAX_NR_SPIS];
	struct dist_cpu cpu[SG_MAX_VCPUS];
	struct its_state its[SG_MAX_ITS];
	uint64_t last_applied[SG_MAX_VCPUS + 1];
	uint64_t bus_out_seq;
	uint64_t bus_acked;
	uint64_t next_query_id;
	uint64_t retained_seq;	     /* retained outputs up to this seq are journaled */
	struct snapshot_record *rec; /* encoding scratch, kept: a commit per drain */
};

/* Frees what snapshot_encode() keeps in sh (not sh itself). */
void snapshot_shadow_fini(struct snapshot_shadow *sh);

/*
 * Encodes everything (full) or what changed since the shadow (delta) into a
 * buffer from malloc(); updates the shadow to what the record describes.
 * Returns the length (0 for a delta with nothing to say) or a negative errno.
 */
ssize_t snapshot_encode(const struct durable *d, struct snapshot_shadow *sh, bool full,
			unsigned char **out);

/*
 * Applies one record (a full snapshot first, then deltas) to d, whose core
 * must have been core_init()ed with the shape of the snapshot's Hello.  A
 * full snapshot needs d->core == NULL the first time: snapshot_identity()
 * gives the shape to create the core with.  Returns 0 or a negative errno
 * (-EPROTO: not a snapshot this version can read).
 */
int snapshot_apply(struct durable *d, const void *data, size_t len);

/* After the last record: puts the restored ITS registers into effect. */
void snapshot_finish(struct durable *d);

/* The Hello (shape and RAM) a full snapshot was taken for, unpacked with
 * malloc (free with sg__hello__free_unpacked(h, NULL)), its epoch and its
 * resume token (32 bytes). */
int snapshot_identity(const void *data, size_t len, Sg__Hello **hello, uint64_t *epoch,
		      unsigned char *token);

/* Frees what d owns (the Hello copy and retained outputs), not the core. */
void durable_release(struct durable *d);

/* Appends a bus datagram to the retained outputs; -ENOSPC when
 * DURABLE_MAX_RETAINED datagrams, -ENOBUFS when DURABLE_MAX_RETAINED_BYTES
 * bytes are retained already. */
int durable_retain(struct durable *d, const void *data, size_t len, uint64_t last_seq);
/* Drops the retained outputs the agent acknowledged (seq <= acked). */
void durable_ack(struct durable *d, uint64_t acked);

#endif
