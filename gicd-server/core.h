/* SPDX-License-Identifier: MIT */
/*
 * The daemon's per-VM state machine: distributor (and, later, ITS) plus
 * everything that decides which messages go out.  It applies one validated
 * message at a time, in the order the server hands them over, and emits its
 * messages through core_out.  No I/O, no clocks, no randomness: the same
 * inputs in the same order give the same state and the same outputs, which
 * is what snapshot/replay relies on.
 */
#ifndef GICD_CORE_H
#define GICD_CORE_H

#include <stdint.h>

#include "core_reads.h"
#include "dist.h"
#include "guest_ram.h"
#include "its.h"
#include "vm_shape.h"
#include "wire.h"

/* Channel numbers: 0..nr_vcpus-1 are the MMIO channels, nr_vcpus the bus. */
static inline unsigned core_bus_chan(const struct sg_vm_shape *s)
{
	return s->nr_vcpus;
}

struct core_out {
	/* Queue env for the VMM on channel chan; must not fail (the server buffers). */
	void (*send)(void *ctx, unsigned chan, const Sg__Envelope *env);
	void *ctx;
};

struct core_stats {
	uint64_t mmio_reads;
	uint64_t mmio_writes;
	uint64_t mmio_posted;
	uint64_t mmio_unmapped; /* address outside GICD/ITS */
	uint64_t msi;		/* Msi received (device models and TRANSLATER writes) */
	uint64_t sync_done;	/* SyncDone received */
	uint64_t mmio_ignored;	/* RAZ/WI accesses (see dist_stats for kinds) */
	uint64_t spi_level;
	uint64_t deactivated; /* Deactivated received (see dist_stats for outcomes) */
	uint64_t cpu_state;
	uint64_t resync;	 /* Resync received (after a daemon restart) */
	uint64_t resync_repairs; /* ownership entries they repaired */
	uint64_t unhandled;	 /* valid messages this version does not act on */
	/* Deferred reads (core_reads.c). */
	uint64_t reads_deferred;   /* reads parked waiting for owners */
	uint64_t reads_completed;  /* parked reads answered */
	uint64_t reads_requeried;  /* rounds that asked again: an SPI changed owner meanwhile */
	uint64_t read_busy;	   /* read while the vCPU already had one parked: IGNORED */
	uint64_t reads_superseded; /* parked read dropped for a later one (after a restart) */
	uint64_t queries;	   /* Query sent */
	uint64_t query_replies;	   /* QueryReply received */
	uint64_t
		query_unmatched; /* QueryReply for no outstanding Query, or from another vCPU/SPI */
};

struct histogram;

struct gic_core {
	struct sg_vm_shape shape;
	struct core_out out;
	struct dist dist;
	struct its its[SG_MAX_ITS];
	struct core_reads reads;
	struct core_stats stats;
	/* Set by the daemon (gicctl stats): Query round trips; NULL: none. */
	struct histogram *query_hist;
};

/* ram (the VM's guest RAM, for the ITS tables) must outlive c. */
void core_init(struct gic_core *c, const struct sg_vm_shape *shape, struct guest_ram *ram,
	       const struct core_out *out);

/*
 * Applies one validated message that arrived on channel chan.  A read or
 * non-posted write is answered from within this call, except a GICD read of
 * pending/active state that in-flight SPIs' owners hold: its MmioReply goes
 * out later, from the core_handle() call that takes its last QueryReply off
 * the bus (core_reads.h).  The loop never waits for it.
 */
void core_handle(struct gic_core *c, unsigned chan, const Sg__Envelope *env);

/* True if env is a transaction the sender waits for (DESIGN §4.2 fences). */
bool core_is_fence(const Sg__Envelope *env);

/* Inside the core: outputs.  seq stays 0, the server numbers them. */
void core_send_bus(struct gic_core *c, const Sg__Envelope *env);
void core_mmio_reply(struct gic_core *c, unsigned chan, uint64_t seq, uint64_t data,
		     Sg__MmioReply__Status status);

#endif
