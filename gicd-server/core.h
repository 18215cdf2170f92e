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

#include "dist.h"
#include "vm_shape.h"
#include "wire.h"

/* Channel numbers: 0..nr_vcpus-1 are the MMIO channels, nr_vcpus the bus. */
static inline unsigned core_bus_chan(const struct sg_vm_shape *s) { return s->nr_vcpus; }

struct core_out {
	/* Queue env for the VMM on channel chan; must not fail (the server buffers). */
	void (*send)(void *ctx, unsigned chan, const Sg__Envelope *env);
	void *ctx;
};

struct core_stats {
	uint64_t mmio_reads;
	uint64_t mmio_writes;
	uint64_t mmio_posted;
	uint64_t mmio_unmapped;   /* address outside GICD/ITS */
	uint64_t mmio_ignored;    /* RAZ/WI accesses (see dist_stats for kinds) */
	uint64_t spi_level;
	uint64_t unhandled;       /* valid messages this version does not act on */
};

struct gic_core {
	struct sg_vm_shape shape;
	struct core_out out;
	struct dist dist;
	struct core_stats stats;
};

void core_init(struct gic_core *c, const struct sg_vm_shape *shape, const struct core_out *out);

/* Applies one validated message that arrived on channel chan. */
void core_handle(struct gic_core *c, unsigned chan, const Sg__Envelope *env);

/* True if env is a transaction the sender waits for (DESIGN §4.2 fences). */
bool core_is_fence(const Sg__Envelope *env);

#endif
