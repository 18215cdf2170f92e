/* SPDX-License-Identifier: MIT */
/*
 * The GICv3 distributor as gicd-server implements it: affinity routing only
 * (ARE=1), one security state (DS=1), as KVM exposes it to guests.
 *
 * Layers, each in its own file:
 *   dist_regs.c  the register map: one descriptor per register range (bits
 *                per interrupt, access widths, read and write handlers);
 *                decodes offsets and widths and calls the SPI layer.
 *   dist_spi.c   the SPI state machine: every change of an SPI's state goes
 *                through a function named for the architectural event
 *                (enable, set pending, line level, route, ...); each ends by
 *                handing the SPI to the delivery layer.
 *   dist_deliver.c  ownership of in-flight SPIs: when an SPI goes to a vCPU
 *                (Deliver), what is taken back (Retract), the EOI broadcast
 *                (Deactivated) and the per-SPI generation numbers.
 *   dist_route.c which vCPU an SPI goes to: IROUTER affinity, or 1-of-N
 *                round-robin over the vCPUs whose CpuState makes them eligible.
 *
 * Pure state: no I/O, no allocation after dist_init(), deterministic.
 */
#ifndef GICD_DIST_H
#define GICD_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "gic_regs.h"
#include "vm_shape.h"
#include "wire.pb-c.h"

/*
 * One SPI.  While idle the distributor holds latch and active; while in
 * flight (owned) the owner vCPU's agent holds them, and latch/active here are
 * only what could not be handed over yet (e.g. an edge while disabled).  The
 * line levels are inputs and always live here.  All-zero is the idle reset
 * state of an unconfigured INTID.
 */
struct dist_spi {
	uint64_t irouter; /* Aff3..Aff0 and IRM as written, RES0 bits cleared */
	uint8_t priority; /* IPRIORITYR byte (all 8 bits kept) */
	bool group1;	  /* IGROUPR */
	bool enabled;	  /* ISENABLER/ICENABLER */
	bool edge;	  /* ICFGR Int_config[1]: edge-triggered */
	bool latch;	  /* pending latch: edge, ISPENDR, SETSPI on an edge SPI */
	bool line;	  /* wired input line level (bus SpiLevel) */
	bool msg_line;	  /* level asserted by SETSPI_NSR until CLRSPI_NSR */
	bool active;	  /* ISACTIVER/ICACTIVER */
	/* Ownership (dist_deliver.c, docs/distributor.md "Delivery"). */
	bool owned;	    /* in flight at vCPU owner */
	bool owner_line;    /* the owner was last told the level line is high */
	bool owner_latch;   /* the last message about the owner's latch set it (not a clear) */
	uint16_t owner;	    /* vCPU holding the SPI while owned */
	uint32_t gen;	    /* gen of the last Deliver/Retract sent for this SPI */
	uint32_t latch_gen; /* gen of the last message that set or cleared the owner's latch */
	uint32_t own_gen;   /* gen of the Deliver that started the current ownership */
	/* gen when this state was restored after a restart (not saved): the
	 * agents' Resync describes that point, so an SPI messaged since is
	 * left alone (the message itself re-establishes the owner's view). */
	uint32_t restored_gen;
};

/* Rejected or ignored guest accesses per kind, then the delivery traffic. */
struct dist_stats {
	uint64_t bad_width;  /* width the register does not allow: RAZ/WI */
	uint64_t misaligned; /* not naturally aligned: RAZ/WI */
	uint64_t reserved;   /* reserved offset: RAZ/WI */
	uint64_t ro_write;   /* write to a read-only register: ignored */
	uint64_t wo_read;    /* read of a write-only register: RAZ */
	uint64_t bad_intid;  /* SETSPI/CLRSPI, SpiLevel or Deactivated naming no configured SPI */
	/* Delivery (bus traffic about SPIs). */
	uint64_t delivers;	  /* Deliver sent (starts, additions and attribute updates) */
	uint64_t retracts;	  /* Retract sent */
	uint64_t deact_matched;	  /* Deactivated that ended ownership */
	uint64_t deact_stale;	  /* Deactivated that crossed a later message: ownership kept */
	uint64_t deact_not_owner; /* Deactivated from a vCPU that does not own the SPI: ignored */
	uint64_t latch_returned;  /* returned_latch taken back into the distributor */
	uint64_t latch_merged;	  /* returned_latch older than a later set/clear_latch: dropped */
	uint64_t bad_vcpu;	  /* CpuState/Deactivated naming no vCPU: ignored */
	uint64_t resync_skipped;  /* Resync entries about an SPI messaged since the restore */
};

/* Where the distributor's bus messages (Deliver, Retract) go; set by the core. */
struct dist_bus {
	void (*send)(void *ctx, const Sg__Envelope *env);
	void *ctx;
};

/* What the latest CpuState said about a vCPU (1-of-N eligibility). */
struct dist_cpu {
	bool grp0;   /* the vCPU takes group 0 interrupts */
	bool grp1;   /* the vCPU takes group 1 interrupts */
	bool asleep; /* GICR_WAKER.ProcessorSleep */
};

/* 1-of-N routing state (dist_route.c). */
struct dist_route {
	unsigned last; /* vCPU the last 1-of-N delivery went to */
	struct dist_cpu cpu[SG_MAX_VCPUS];
};

struct dist {
	const struct sg_vm_shape *shape;
	unsigned nr_spis;
	uint32_t ctlr;			      /* EnableGrp0 | EnableGrp1 (the only writable bits) */
	bool lpis;			      /* GICD_TYPER.LPIS: an ITS exists */
	struct dist_spi spi[GIC_MAX_NR_SPIS]; /* index: INTID - 32 */
	struct dist_route route;
	struct dist_bus bus;
	struct dist_stats stats;
};

enum dist_status {
	DIST_OK,      /* access performed */
	DIST_IGNORED, /* bad width/alignment, reserved, RO write, WO read: RAZ/WI, counted */
	DIST_DEFER,   /* read of in-flight SPIs: their owners must be asked first */
};

/*
 * Owner answers for a read of ISPENDR/ICPENDR/ISACTIVER/ICACTIVER, whose
 * word holds the state of 32 SPIs; bit i is INTID base + i.  The reader
 * collects answers (Query/QueryReply) for the bits the read reported in
 * need, and only for the ownership they describe (the core checks that).
 */
struct dist_overlay {
	uint32_t known;	  /* in: bits with an answer from the SPI's current owner */
	uint32_t pending; /* in: the answers */
	uint32_t active;
	uint32_t base; /* out on DIST_DEFER: INTID of bit 0 */
	uint32_t need; /* out on DIST_DEFER: in-flight SPIs with no known answer */
};

/* Reset state; shape must outlive d. */
void dist_init(struct dist *d, const struct sg_vm_shape *shape);

/* Sends Deliver/Retract through bus from now on (the default drops them). */
void dist_set_bus(struct dist *d, const struct dist_bus *bus);

/*
 * A guest access of size bytes at offset within the GICD frame, by vCPU vcpu.
 * A read of pending or active state covering in-flight SPIs returns
 * DIST_DEFER (and *val 0) unless ov supplies their owners' answers; on
 * DIST_DEFER ov->base and ov->need say which SPIs to ask about.  Writes never
 * defer.  dist_mmio_read is the same with no answers.
 */
enum dist_status dist_mmio_read_owned(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				      uint64_t *val, struct dist_overlay *ov);
enum dist_status dist_mmio_read(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				uint64_t *val);
enum dist_status dist_mmio_write(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				 uint64_t val);

/* Bus inputs.  INTIDs and vCPUs naming nothing are counted and ignored. */

/* A device's wired input line changed (SpiLevel). */
void dist_spi_set_line(struct dist *d, uint32_t intid, bool level);
/* The line rose and fell again (SpiLevel.pulse). */
void dist_spi_pulse(struct dist *d, uint32_t intid);
/* The owner's EOI broadcast (Deactivated). */
void dist_spi_deactivated(struct dist *d, unsigned vcpu, uint32_t intid, uint32_t gen,
			  bool returned_latch);
/* CpuState: whether vcpu can take group 0/1 SPIs routed 1-of-N. */
void dist_cpu_state(struct dist *d, unsigned vcpu, bool grp0, bool grp1, bool asleep);

/* Restored after a restart: what the coming Resyncs are compared with. */
void dist_mark_restored(struct dist *d);
/* A vCPU's Resync after a daemon restart: the SPIs its agent owns.
 * Returns how many entries of the ownership table were repaired. */
unsigned dist_resync(struct dist *d, unsigned vcpu, Sg__OwnedSpi *const *spis, size_t n);

/* Who holds an SPI: false if idle (or no such SPI), else its owner, the gen of
 * the last message sent about it, and the gen its ownership started with. */
bool dist_spi_owner(const struct dist *d, uint32_t intid, unsigned *vcpu, uint32_t *gen,
		    uint32_t *own_gen);
/* The owner was sent a pending latch after gen, and nothing cleared it
 * since: an answer to a Query sent at gen does not show that latch. */
bool dist_spi_latch_sent_after(const struct dist *d, uint32_t intid, uint32_t gen);

#endif
