/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM as the daemon sees it: the regions a VMM passed with Hello,
 * checked and mapped read-only (DESIGN §7).  Every access goes through a
 * bounds-checked accessor that also survives the VMM shrinking a memfd
 * under the mapping.  Later (the ITS) will add writable windows: a region
 * keeps its fd and offset so a part of it can be mapped again.
 */
#ifndef GICD_GUEST_RAM_H
#define GICD_GUEST_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "vm_shape.h"
#include "wire.pb-c.h"

struct guest_ram_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t fd_offset;
	unsigned fd_index;	   /* into guest_ram.fds */
	const unsigned char *host; /* PROT_READ, MAP_SHARED mapping of size bytes */
};

struct guest_ram {
	unsigned nr_regions;
	struct guest_ram_region region[SG_MAX_RAM_REGIONS];
	unsigned nr_fds;
	int fds[SG_MAX_RAM_REGIONS]; /* owned: closed by guest_ram_unmap() */
};

/* An empty guest_ram (no regions, no fds). */
void guest_ram_init(struct guest_ram *r);

/*
 * Checks the Hello's RAM regions against the passed fds and the GIC frames
 * of shape, then maps them.  Takes ownership of fds[0..nr_fds-1] in every
 * case (closed on failure).  Returns 0, or -EINVAL (bad region, *why says
 * which) or another negative errno (mmap failed).
 */
int guest_ram_map(struct guest_ram *r, const struct sg_vm_shape *shape,
		  Sg__RamRegion *const *regions, size_t nr_regions, int *fds, unsigned nr_fds,
		  const char **why);

/* Unmaps every region and closes the fds; r is empty afterwards. */
void guest_ram_unmap(struct guest_ram *r);

/*
 * Copies len bytes at guest physical address gpa into buf.  Returns 0, or
 * -EFAULT if [gpa, gpa + len) is not inside one region or the backing file
 * no longer covers it.
 */
int guest_ram_read(const struct guest_ram *r, uint64_t gpa, void *buf, size_t len);

#endif
