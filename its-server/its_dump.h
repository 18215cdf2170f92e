/* SPDX-License-Identifier: MIT */
/*
 * Read-only views of an ITS for the admin dump (gicctl dump its|vcpu):
 * registers decoded, and walks of the device and collection tables and of
 * the ITTs in guest RAM.  The walks read through the ITS's own table code
 * (its_table.c: BASER geometry, bounds-checked slots, versioned entry
 * decoding), so a dump sees exactly what commands and MSIs see.  They
 * change nothing: no window is mapped, no counter moves (the ITS's stats
 * are put back after each step; a corrupt entry is still logged,
 * rate-limited, as any read of it is).
 *
 * Guest tables are hostile, so every walk is bounded by the architecture
 * and by one cap:
 *   - device and collection tables: at most 2^16 IDs each (the implemented
 *     DeviceID/ICID widths; its_table_decode() caps what BASER claims),
 *     one read per ID (two for a two-level table; a level-2 page whose
 *     level-1 entry is not valid is skipped whole);
 *   - ITTs: 2^(Size+1) <= 2^16 entries per device, and at most
 *     ITS_DUMP_MAX_ITT_SLOTS entries read per dump request, all ITS frames
 *     together; beyond it the walk stops and says so (truncated).
 * So one dump reads at most about SG_MAX_ITS x 2 x 2 x 2^16 + 2^18 entries
 * of 8 bytes, in memory the daemon has mapped, never blocking.
 */
#ifndef ITS_DUMP_H
#define ITS_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "its.h"

/* ITT entries one dump request may read (all ITS frames together). */
#define ITS_DUMP_MAX_ITT_SLOTS (1u << 18)

/* GITS_BASER<n> decoded. */
struct its_dump_baser {
	uint64_t raw;
	unsigned type; /* GITS_BASER.Type */
	bool valid, indirect;
	uint32_t page_size, pages, entry_size, nr_ids;
	uint64_t address;
};

/* The running totals of one dump request's walks. */
struct its_dump_scan {
	uint64_t corrupt;   /* V=1 entries that do not decode */
	uint64_t faults;    /* entries (or level-1 entries) not in guest RAM */
	uint64_t itt_slots; /* ITT entries read so far */
	bool truncated;	    /* ITS_DUMP_MAX_ITT_SLOTS reached */
};

struct its_dump_device {
	uint32_t device_id;
	uint8_t size; /* EventID bits - 1 */
	uint64_t itt;
	uint32_t nr_events;
};

struct its_dump_event {
	uint32_t event_id;
	uint32_t intid;
	uint16_t icid;
};

/* Registers as the guest reads them. */
uint32_t its_dump_ctlr(const struct its *its);
uint64_t its_dump_typer(const struct its *its);
uint64_t its_dump_creadr(const struct its *its);
void its_dump_baser(const struct its *its, unsigned n, struct its_dump_baser *b);
uint64_t its_dump_cmdq_bytes(const struct its *its);
/* "none", "command", "cwriter" (struct its_state.stall). */
const char *its_dump_stall_name(uint32_t stall);
/* "MAPTI: UNMAPPED_DEVICE" for an encoded command error; "" for 0. */
void its_dump_error_name(uint32_t code, char *buf, size_t len);
/* Valid entries in the translation cache. */
unsigned its_dump_cache_entries(const struct its *its);

/*
 * Walks: each finds the next valid entry at or after *cursor, fills *out,
 * sets *cursor past it and returns true; false once the table (or ITT, or
 * the request's ITT budget: s->truncated) is exhausted.
 */
bool its_dump_next_collection(struct its *its, uint32_t *cursor, uint32_t *icid, unsigned *vcpu,
			      struct its_dump_scan *s);
bool its_dump_next_device(struct its *its, uint32_t *cursor, struct its_dump_device *out,
			  struct its_dump_scan *s);
bool its_dump_next_event(struct its *its, const struct its_dump_device *dev, uint32_t *cursor,
			 struct its_dump_event *out, struct its_dump_scan *s);

#endif
