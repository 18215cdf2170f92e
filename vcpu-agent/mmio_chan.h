/* SPDX-License-Identifier: MIT */
/*
 * Client side of one vCPU's MMIO channel: GICD/ITS accesses become Mmio
 * messages, posted or waited for (DESIGN §2, §4).  Used only by the vCPU's
 * own thread, so it takes no lock; it allocates nothing after init.
 */
#ifndef SPLITGIC_MMIO_CHAN_H
#define SPLITGIC_MMIO_CHAN_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

struct mmio_chan {
	int fd;              /* VMM end of the socketpair; -1 when detached */
	unsigned vcpu;
	uint64_t next_seq;   /* Envelope.seq of the next request */
	uint64_t durable_seq;
	/* counters, read by the VMM for its statistics */
	uint64_t nr_posted;
	uint64_t nr_waited;
	uint64_t nr_msi;
	uint64_t nr_rejected; /* undecodable or unexpected messages from the daemon */
	unsigned char *rx;   /* SG_WIRE_MAX + 1 bytes */
	unsigned char *arena_buf;
};

int mmio_chan_init(struct mmio_chan *ch, unsigned vcpu);
void mmio_chan_fini(struct mmio_chan *ch);

/* A posted write: returns once the message is queued on the socket. */
int mmio_chan_post(struct mmio_chan *ch, uint64_t addr, unsigned size, uint64_t val);

/* A read, or a write that waits: returns once the daemon answered. */
int mmio_chan_call(struct mmio_chan *ch, uint64_t addr, unsigned size, bool write, uint64_t *val);

/* A vCPU's write to GITS_TRANSLATER: an Msi on this channel (posted). */
int mmio_chan_msi(struct mmio_chan *ch, uint32_t its, uint32_t device_id, uint32_t event_id);

#endif
