/* SPDX-License-Identifier: MIT */
/*
 * Embedded mode (docs/embedded.md): the distributor and ITS linked into the
 * VMM's process and called directly, with no sockets and no second process.
 * This is the contract between libvcpu-agent and such an in-process host
 * (gicd-server/embedded.c wraps gicd-server's core in it).  It lives here
 * because both halves see it and neither links the other.
 *
 * The messages are the wire protocol's (proto/wire.proto) passed as
 * structures, never packed, and carry no sequence numbers (there is no
 * daemon to restart, so nothing to replay).  Channel numbers are
 * gicd-server's: 0..nr_vcpus-1 the vCPUs' MMIO channels, nr_vcpus the bus.
 *
 * The host applies everything under one lock of its own, which it never
 * holds while calling the agent back; the agent calls it with no agent lock
 * held.  Messages for the redistributors are not applied by the host: it
 * queues them in order and the agent's bus thread takes them, so they are
 * applied by one thread in the order the core produced them, exactly as
 * with gicd-server.
 */
#ifndef SPLITGIC_EMBEDDED_OPS_H
#define SPLITGIC_EMBEDDED_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "wire.pb-c.h"

struct sg_embedded_ops {
	/*
	 * The agent attaching (notify set) or detaching (notify NULL, after its
	 * bus thread stopped).  While attached the host calls notify(arg),
	 * with its lock not held, whenever it queued messages for take().
	 */
	void (*bind)(void *host, void (*notify)(void *arg), void *arg);
	/*
	 * A message that would have gone to gicd-server on channel chan and
	 * needs no answer: a posted Mmio or an Msi from vCPU chan, or on the
	 * bus a SpiLevel, Msi, Deactivated, QueryReply, CpuState, SyncDone or a
	 * Batch of those.  Applied before it returns.  Any thread.
	 */
	void (*input)(void *host, unsigned chan, const Sg__Envelope *env);
	/*
	 * vCPU vcpu's read or waited write (m->posted false).  Returns 0 with
	 * *data once answered; a read of pending/active state that in-flight
	 * SPIs' owners hold waits for their QueryReply, which the agent's bus
	 * thread feeds to input().  Negative errno if no answer came in time.
	 * vCPU thread.
	 */
	int (*call)(void *host, unsigned vcpu, const Sg__Mmio *m, uint64_t *data);
	/*
	 * The agent's bus thread only: takes the oldest queued messages for
	 * the redistributors (Deliver, Retract, Query, Inv, InvAll, Sync, Move,
	 * MovAll), at most SG_EMBEDDED_TAKE_MAX, in order.  *msgs points into
	 * the host's storage, valid until the next take().  Returns how many.
	 */
	size_t (*take)(void *host, Sg__Envelope *const **msgs);
};

#define SG_EMBEDDED_TAKE_MAX 256u

#endif
