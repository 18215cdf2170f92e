/* SPDX-License-Identifier: MIT */
/*
 * Deferred GICD reads (DESIGN §3): a read of pending/active state covering
 * in-flight SPIs is parked while Query messages ask the owners; the daemon's
 * loop goes on, and the MmioReply goes out when the last QueryReply is in.
 * One parked read per vCPU at most (a vCPU waits for its read), so the
 * table is bounded by the number of vCPUs and never allocates.
 */
#ifndef GICD_CORE_READS_H
#define GICD_CORE_READS_H

#include <stdbool.h>
#include <stdint.h>

#include "dist.h"
#include "vm_shape.h"

/*
 * Outstanding Queries: at most CORE_READ_MAX_QUERIES per parked read (one
 * per SPI of the 32-bit register word read) and one parked read per vCPU,
 * so at most 32 x nr_vcpus in all.  Why: an agent that never answers must
 * not grow anything; its vCPU's next read replaces the parked one (logged,
 * reads_superseded) and an answer to a replaced Query is counted
 * (query_unmatched) and dropped.
 */
#define CORE_READ_MAX_QUERIES 32u

/* A Query sent about one SPI of a parked read, or the answer it got. */
struct core_query {
	uint64_t id;	  /* Query.query_id */
	uint16_t vcpu;	  /* the owner asked */
	uint32_t gen;	  /* the SPI's gen when asked */
	uint32_t own_gen; /* the ownership asked about (dist_spi_owner) */
	uint64_t sent_ns; /* when sent, if core.query_hist is set (not state) */
};

struct core_read {
	bool busy;
	uint64_t seq;	 /* the Mmio's Envelope.seq, echoed in MmioReply */
	uint32_t offset; /* in the GICD frame */
	uint8_t size;
	uint32_t base;	   /* INTID of bit 0 of the word */
	uint32_t waiting;  /* bits whose Query is not answered yet */
	uint32_t answered; /* bits with an answer in pending/active */
	uint32_t pending;
	uint32_t active;
	struct core_query q[CORE_READ_MAX_QUERIES];
};

struct core_reads {
	uint64_t next_id;		     /* query_id of the next Query, from 1 */
	struct core_read read[SG_MAX_VCPUS]; /* index: the reader's MMIO channel */
};

struct gic_core;

/* dist_mmio_read_owned() said DIST_DEFER for vCPU vcpu's read seq: ask the
 * owners ov names and park the read. */
void core_read_park(struct gic_core *c, unsigned vcpu, uint64_t seq, uint32_t offset, unsigned size,
		    const struct dist_overlay *ov);

/* A vCPU that already has a parked read older than seq sent another one. */
bool core_read_busy(struct gic_core *c, unsigned vcpu, uint64_t seq);

/* A QueryReply from the bus; completes the read it finishes. */
void core_read_answer(struct gic_core *c, const Sg__QueryReply *r);

#endif
