/* SPDX-License-Identifier: MIT */
/*
 * The shape of a VM as both halves see it: vCPUs and their MPIDRs, SPI
 * count, LR count and the guest address map of the GIC frames; decoding a
 * guest physical address into the frame it hits.
 */
#ifndef SPLITGIC_VM_SHAPE_H
#define SPLITGIC_VM_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.pb-c.h"

/* One MMIO socketpair per vCPU travels with Hello, so SCM_MAX_FD bounds this. */
#define SG_MAX_VCPUS 128u
#define SG_MAX_ITS   4u
/* RAM regions (and memfds) one Hello may pass.  Why: each is a mapping and
 * an fd the daemon keeps, and every guest RAM access searches them. */
#define SG_MAX_RAM_REGIONS 16u

struct sg_addr_map {
	uint64_t gicd_base;
	uint64_t gicr_base;
	unsigned nr_its;
	uint64_t its_base[SG_MAX_ITS];
};

struct sg_vm_shape {
	unsigned nr_vcpus;
	uint64_t mpidr[SG_MAX_VCPUS]; /* affinity bits only */
	unsigned nr_spis;
	unsigned lr_count;
	struct sg_addr_map map;
};

enum sg_frame { SG_FRAME_NONE, SG_FRAME_GICD, SG_FRAME_GICR, SG_FRAME_ITS };

struct sg_frame_hit {
	enum sg_frame frame;
	unsigned index;	 /* vCPU for GICR, ITS number for ITS */
	uint64_t offset; /* within the frame (GICR: within the vCPU's 128 KiB) */
};

/* QEMU virt addresses; nr_its ITS frames placed 128 KiB apart from 0x08080000. */
void sg_addr_map_default(struct sg_addr_map *map, unsigned nr_its);

/* True if n SPIs is a size the distributor implements (32..960 step 32, or 988). */
bool sg_nr_spis_valid(unsigned n);
/* GICD_TYPER.ITLinesNumber for n SPIs. */
unsigned sg_itlines_number(unsigned nr_spis);

/* Checks ranges, MPIDR uniqueness, frame alignment and overlaps. */
bool sg_shape_check(const struct sg_vm_shape *s, const char **why);

/* Copies the VM shape out of a Hello and checks it. */
bool sg_shape_from_hello(const Sg__Hello *h, struct sg_vm_shape *s, const char **why);

/*
 * Fills the shape fields of hello (and *am, which hello then points to) from
 * s; repeated fields point into s, which must outlive hello.
 */
void sg_shape_to_hello(const struct sg_vm_shape *s, Sg__Hello *hello, Sg__AddressMap *am);

/* Which GIC frame a guest physical address falls in. */
bool sg_addr_decode(const struct sg_vm_shape *s, uint64_t addr, struct sg_frame_hit *hit);

/* vCPU whose affinity (MPIDR Aff3.Aff2.Aff1.Aff0 bits) is aff, or -1. */
int sg_vcpu_by_affinity(const struct sg_vm_shape *s, uint64_t aff);

#endif
