/* SPDX-License-Identifier: MIT */
/*
 * gicd-server's distributor and ITS (the core, core.h) hosted inside the
 * VMM's process for embedded mode (docs/embedded.md): the same code the
 * daemon runs, called directly under one per-VM lock instead of through
 * the session and channels.  It implements struct sg_embedded_ops for
 * libvcpu-agent's sg_vm_attach_embedded().
 *
 * Opaque on purpose: a VMM includes this without the daemon's internal
 * headers (splitgic-vm has a struct guest_ram of its own).
 */
#ifndef GICD_EMBEDDED_H
#define GICD_EMBEDDED_H

#include <stddef.h>
#include <stdint.h>

#include "embedded_ops.h"
#include "vm_shape.h"

struct gicd_embedded;

/* A guest RAM region as the VMM maps it (the ITS reads and writes its
 * tables there, as the daemon does through the fds of Hello). */
struct gicd_embedded_ram {
	uint64_t gpa;
	uint64_t size;
	int fd; /* duplicated: the caller keeps its own */
	uint64_t fd_offset;
};

struct gicd_embedded_stats {
	uint64_t inputs;	/* input(): posted writes, MSIs, bus messages */
	uint64_t calls;		/* call(): reads and waited writes */
	uint64_t calls_waited;	/* ... answered after their owners' QueryReply */
	uint64_t call_timeouts; /* ... given up */
	uint64_t queued;	/* messages queued for the redistributors */
	uint64_t queue_peak;	/* most waiting at once */
	uint64_t queue_grows;	/* the queue had to grow */
	uint64_t stray_replies; /* replies for a call nobody waits for */
	/* From the core: */
	uint64_t reads_deferred; /* reads parked waiting for SPI owners */
	uint64_t queries;	 /* Query sent */
	uint64_t msi;		 /* Msi received */
};

/*
 * Creates the core for a VM of this shape: distributor, ITS frames, guest
 * RAM mapped as the daemon maps it (checked against the GIC frames).
 * Returns 0, or a negative errno with a one-line reason in err.
 */
int gicd_embedded_create(const struct sg_vm_shape *shape, const struct gicd_embedded_ram *ram,
			 unsigned nr_ram, struct gicd_embedded **out, char *err, size_t errlen);
/* After sg_vm_disconnect(): nothing may call the ops any more. */
void gicd_embedded_destroy(struct gicd_embedded *e);

const struct sg_embedded_ops *gicd_embedded_ops(void);

/* A consistent copy of the counters; any thread. */
void gicd_embedded_stats(struct gicd_embedded *e, struct gicd_embedded_stats *out);

#endif
