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

#include <pthread.h>

#include "replay_log.h"
#include "wire.h"

/*
 * How long a vCPU waiting for a reply polls the socket before it blocks
 * (SPLITGIC_MMIO_SPIN_NS overrides; 0 turns it off).  Chosen from the
 * measurements in docs/bench.md.
 */
#define MMIO_CHAN_SPIN_NS_DEFAULT 50000u

/* What a vCPU keeps of its sent messages until they are durable. */
#define MMIO_CHAN_LOG_SIZE (256u << 10)

struct mmio_chan {
	/* Taken by the vCPU thread around each send and by the bus thread to
	 * replay or swap the fd after a daemon restart; never held while
	 * waiting for the daemon. */
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a new fd after a re-attach */
	unsigned generation;	/* counts fd swaps */
	bool reattached;	/* a bus thread re-attaches after a hangup */
	/* New socket, the daemon's Resume not seen yet: sends go to the log
	 * only, and the replay sends them in order after what it lacks. */
	bool await_resume;
	struct replay_log log;	       /* sent, not yet durable */
	uint64_t waiting_seq;	       /* the request the vCPU waits for, 0 if none */
	unsigned char wait_dgram[128]; /* ... as sent, to send again */
	size_t wait_len;
	int fd; /* VMM end of the socketpair; -1 when detached */
	unsigned vcpu;
	uint32_t spin_ns;  /* adaptive polling bound, see above */
	uint64_t next_seq; /* Envelope.seq of the next request */
	uint64_t durable_seq;
	/* counters, read by the VMM for its statistics */
	uint64_t nr_posted;
	uint64_t nr_waited;
	uint64_t nr_msi;
	uint64_t nr_rejected;	 /* undecodable or unexpected messages from the daemon */
	uint64_t nr_spin_hits;	 /* replies taken while spinning */
	uint64_t nr_spin_misses; /* spins that ended in poll() */
	unsigned char *rx;	 /* SG_WIRE_MAX + 1 bytes */
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

/*
 * Bus thread, after a daemon restart (docs/restart.md): sends again what
 * the daemon has not applied (seq > applied) and the request the vCPU is
 * waiting for, whose reply the restart may have lost.
 */
void mmio_chan_resume(struct mmio_chan *ch, uint64_t applied);

/* Bus thread, after re-attaching: the new socket fd takes the place of the
 * channel's fd (same number); the caller closes fd.  A vCPU waiting on the
 * old socket moves over. */
int mmio_chan_swap_fd(struct mmio_chan *ch, int fd);

#endif
