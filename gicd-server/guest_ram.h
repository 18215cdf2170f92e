/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM as the daemon sees it: the regions a VMM passed with Hello,
 * checked and mapped read-only (DESIGN §7).  Every access goes through a
 * bounds-checked accessor that also survives the VMM shrinking a memfd
 * under the mapping.
 *
 * Writable windows: the only guest memory the daemon may write is what the
 * guest handed to the ITS (device and collection tables, ITTs).  Each such
 * range gets its own PROT_READ|PROT_WRITE mapping of the backing fd, kept
 * in a bounded table; guest_ram_write() succeeds only inside one of them.
 * When the table is full the least recently used window is dropped; its
 * owner maps it again when it next needs to write there.
 */
#ifndef GICD_GUEST_RAM_H
#define GICD_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm_shape.h"
#include "wire.pb-c.h"

/* Writable windows at once, per VM: each is an mmap the guest makes the
 * daemon create (a table, an ITT per MAPD), so a guest with many devices
 * must not grow the daemon's mappings without bound; 256 covers the ITTs a
 * VM with a few hundred devices keeps busy.  When full, the least recently
 * used window is dropped (logged, counted in rw_evictions), never an error. */
#define GUEST_RAM_MAX_WINDOWS 256u

struct guest_ram_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t fd_offset;
	unsigned fd_index;	   /* into guest_ram.fds */
	const unsigned char *host; /* PROT_READ, MAP_SHARED mapping of size bytes */
};

/* One writable window; len 0 marks a free slot. */
struct guest_ram_window {
	uint64_t gpa; /* writable range [gpa, gpa + len): exact, not page-rounded */
	uint64_t len;
	unsigned char *host; /* host address of gpa inside map */
	void *map;	     /* the page-aligned mapping that covers the range */
	size_t map_len;
	uint32_t owner;	   /* caller's tag, for guest_ram_unmap_owner() */
	uint64_t last_use; /* guest_ram.win_clock at the last map or write */
};

struct guest_ram_stats {
	uint64_t rw_maps;      /* windows created */
	uint64_t rw_reuses;    /* guest_ram_map_rw() found the range already writable */
	uint64_t rw_evictions; /* least recently used window dropped to make room */
	uint64_t rw_unmaps;    /* windows dropped by their owner */
	uint64_t rw_map_fail;  /* range not inside one region, or mmap failed */
	uint64_t write_denied; /* guest_ram_write() outside every window */
	uint64_t write_fault;  /* guest_ram_write() hit a shrunk memfd (SIGBUS) */
};

struct guest_ram {
	unsigned nr_regions;
	struct guest_ram_region region[SG_MAX_RAM_REGIONS];
	unsigned nr_fds;
	int fds[SG_MAX_RAM_REGIONS]; /* owned: closed by guest_ram_unmap() */
	uint64_t page;		     /* host page size: window mapping granule */
	unsigned nr_windows;
	uint64_t win_clock; /* LRU clock: counts uses, never time */
	struct guest_ram_window win[GUEST_RAM_MAX_WINDOWS];
	struct guest_ram_stats stats;
};

/* An empty guest_ram (no regions, no fds, no windows). */
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

/* Unmaps every region and window and closes the fds; r is empty afterwards. */
void guest_ram_unmap(struct guest_ram *r);

/*
 * Copies len bytes at guest physical address gpa into buf.  Returns 0, or
 * -EFAULT if [gpa, gpa + len) is not inside one region or the backing file
 * no longer covers it.
 */
int guest_ram_read(const struct guest_ram *r, uint64_t gpa, void *buf, size_t len);

/*
 * Makes [gpa, gpa + len) writable for owner: maps the pages that cover it
 * PROT_READ|PROT_WRITE, MAP_SHARED, as a window of its own.  Reuses a
 * window of the same owner that already covers the range.  When the table
 * is full the least recently used window is dropped first.  Returns 0,
 * -EINVAL (len 0), -EFAULT (not inside one region) or -errno from mmap.
 */
int guest_ram_map_rw(struct guest_ram *r, uint64_t gpa, uint64_t len, uint32_t owner);

/* Drops owner's windows that are exactly [gpa, gpa + len); returns how many. */
unsigned guest_ram_unmap_rw(struct guest_ram *r, uint64_t gpa, uint64_t len, uint32_t owner);

/* Drops every window of owner; returns how many. */
unsigned guest_ram_unmap_owner(struct guest_ram *r, uint32_t owner);

/* True if [gpa, gpa + len) lies inside one writable window. */
bool guest_ram_writable(const struct guest_ram *r, uint64_t gpa, size_t len);

/*
 * Copies len bytes from buf to guest physical address gpa.  Returns 0,
 * -EPERM if the range is not inside one writable window, or -EFAULT if the
 * backing file no longer covers it.
 */
int guest_ram_write(struct guest_ram *r, uint64_t gpa, const void *buf, size_t len);

#endif
