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
 *                (enable, set pending, line level, route, ...).  Delivery to
 *                redistributors hooks in here, nowhere else.
 *
 * Pure state: no I/O, no allocation after dist_init(), deterministic.
 */
#ifndef GICD_DIST_H
#define GICD_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "gic_regs.h"
#include "vm_shape.h"

struct dist_spi {
	uint64_t irouter;  /* Aff3..Aff0 and IRM as written, RES0 bits cleared */
	uint8_t priority;  /* IPRIORITYR byte (all 8 bits kept) */
	bool group1;       /* IGROUPR */
	bool enabled;      /* ISENABLER/ICENABLER */
	bool edge;         /* ICFGR Int_config[1]: edge-triggered */
	bool latch;        /* pending latch: edge, ISPENDR, SETSPI on an edge SPI */
	bool line;         /* wired input line level (bus SpiLevel) */
	bool msg_line;     /* level asserted by SETSPI_NSR until CLRSPI_NSR */
	bool active;       /* ISACTIVER/ICACTIVER */
};

/* Rejected or ignored guest accesses, counted per kind. */
struct dist_stats {
	uint64_t bad_width;     /* width the register does not allow: RAZ/WI */
	uint64_t misaligned;    /* not naturally aligned: RAZ/WI */
	uint64_t reserved;      /* reserved offset: RAZ/WI */
	uint64_t ro_write;      /* write to a read-only register: ignored */
	uint64_t wo_read;       /* read of a write-only register: RAZ */
	uint64_t bad_intid;     /* SETSPI/CLRSPI or a device line naming no configured SPI */
};

struct dist {
	const struct sg_vm_shape *shape;
	unsigned nr_spis;
	uint32_t ctlr;        /* EnableGrp0 | EnableGrp1 (the only writable bits) */
	bool lpis;            /* GICD_TYPER.LPIS: an ITS exists */
	struct dist_spi spi[GIC_MAX_NR_SPIS]; /* index: INTID - 32 */
	struct dist_stats stats;
};

enum dist_status {
	DIST_OK,      /* access performed */
	DIST_IGNORED, /* bad width/alignment, reserved, RO write, WO read: RAZ/WI, counted */
};

/* Reset state; shape must outlive d. */
void dist_init(struct dist *d, const struct sg_vm_shape *shape);

/* A guest access of size bytes at offset within the GICD frame, by vCPU vcpu. */
enum dist_status dist_mmio_read(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				uint64_t *val);
enum dist_status dist_mmio_write(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				 uint64_t val);

/* A device's wired input line changed (bus SpiLevel); bad INTIDs are counted and ignored. */
void dist_spi_set_line(struct dist *d, uint32_t intid, bool level);

#endif
