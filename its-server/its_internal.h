/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared by the ITS's own files (its.h is the interface for
 * everybody else): command error codes, table access, translation lookup,
 * the cache and the command queue entry points.
 */
#ifndef ITS_INTERNAL_H
#define ITS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gic_regs.h"
#include "its.h"

/* ------------------------------------------------------ command errors */

/*
 * A command error as Arm's "ITS command error encodings" lay it out:
 * 0x01 in bits [23:16], the command in [15:8], the error in [7:0].  We put
 * the opcode in [15:8] (docs/its.md lists every code).
 */
#define ITS_ERR(cmd, code) (0x010000u | ((uint32_t)(cmd) << 8) | (uint32_t)(code))

enum its_err_code {
	ITS_E_DEVICE_OOR = 0x01,
	ITS_E_ITTSIZE_OOR = 0x02,
	ITS_E_COLLECTION_OOR = 0x03,
	ITS_E_UNMAPPED_DEVICE = 0x04,
	ITS_E_ID_OOR = 0x05,
	ITS_E_PHYSICALID_OOR = 0x06,
	ITS_E_UNMAPPED_INTERRUPT = 0x07,
	ITS_E_UNMAPPED_COLLECTION = 0x09,
	ITS_E_TGT_OOR = 0x20,	  /* RDbase names no vCPU (GIC-600's TGT_OOR) */
	ITS_E_TABLE_FAULT = 0x80, /* IMPLEMENTATION DEFINED: table/ITT not in RAM or not writable */
	ITS_E_CMDQ_FAULT = 0x81,  /* IMPLEMENTATION DEFINED: the command itself is not in RAM */
	ITS_E_CWRITER_OOR = 0x82, /* IMPLEMENTATION DEFINED: CWRITER beyond the queue */
	ITS_E_UNKNOWN_CMD = 0xFF, /* IMPLEMENTATION DEFINED: opcode not implemented */
};

/* ------------------------------------------------------------- tables */

/* Entry format (docs/its.md): V, a 7-bit format version, then fields. */
#define ITS_ENTRY_VALID		(1ull << 63)
#define ITS_ENTRY_VERSION_SHIFT 56
#define ITS_ENTRY_VERSION_MASK	(0x7Full << ITS_ENTRY_VERSION_SHIFT)
#define ITS_ENTRY_FORMAT	1u
#define ITS_ENTRY_TAG		(ITS_ENTRY_VALID | ((uint64_t)ITS_ENTRY_FORMAT << ITS_ENTRY_VERSION_SHIFT))

/* A GITS_BASER value decoded; computed when needed, never stored. */
struct its_table {
	bool valid;
	bool indirect;
	uint64_t base;	 /* physical address of the (level-1) table */
	uint64_t page;	 /* page size in bytes */
	uint64_t bytes;	 /* (Size + 1) pages */
	uint32_t nr_ids; /* IDs the table holds, capped at the ID width */
};

enum its_tab { ITS_TAB_DEVICE, ITS_TAB_COLLECTION };

/* Where an ID's entry lives, and the window a write to it needs. */
struct its_slot {
	uint64_t gpa;
	uint64_t win_gpa, win_len; /* the flat table, the level-2 page, or the ITT */
};

enum its_res {
	ITS_R_OK,
	ITS_R_OOR,	  /* ID beyond the table (or no table) */
	ITS_R_L1_INVALID, /* two-level table, level-1 entry not valid */
	ITS_R_FAULT,	  /* guest memory access failed */
};

struct its_dte {
	bool valid;
	uint8_t size; /* EventID bits - 1 */
	uint64_t itt; /* ITT physical address */
};

struct its_cte {
	bool valid;
	uint16_t rdbase; /* vCPU number */
};

struct its_ite {
	bool valid;
	uint16_t icid;
	uint32_t intid;
};

void its_table_decode(const struct its *its, enum its_tab which, struct its_table *t);
enum its_res its_table_slot(struct its *its, enum its_tab which, uint32_t id,
			    struct its_slot *slot);

/* Entry encode/decode (a V=1 entry that does not decode is counted, not valid). */
uint64_t its_dte_encode(const struct its_dte *e);
uint64_t its_cte_encode(const struct its_cte *e);
uint64_t its_ite_encode(const struct its_ite *e);
void its_dte_decode(struct its *its, uint64_t raw, struct its_dte *e);
void its_cte_decode(struct its *its, uint64_t raw, struct its_cte *e);
void its_ite_decode(struct its *its, uint64_t raw, struct its_ite *e);

/* Little-endian 64-bit entry access; write maps the slot's window if needed. */
enum its_res its_entry_read(struct its *its, uint64_t gpa, uint64_t *raw);
enum its_res its_entry_write(struct its *its, uint32_t owner, const struct its_slot *slot,
			     uint64_t raw);

/* Table lookups: ITS_R_OK with *e filled (maybe not valid), or why not. */
enum its_res its_read_dte(struct its *its, uint32_t device_id, struct its_dte *e);
enum its_res its_read_cte(struct its *its, uint32_t icid, struct its_cte *e);
/* The ITT slot of event_id in dte (EventID already checked against the size). */
void its_itt_slot(const struct its_dte *dte, uint32_t event_id, struct its_slot *slot);
uint64_t its_itt_bytes(uint8_t size);

/* Window owners: one tag per ITS and table kind. */
enum its_owner_kind { ITS_OWN_DEVICE = 1, ITS_OWN_COLLECTION = 2, ITS_OWN_ITT = 3 };
static inline uint32_t its_owner(const struct its *its, enum its_owner_kind k)
{
	return 0x17000000u | (its->index << 8) | (uint32_t)k;
}

/* Drops the table's windows and maps a flat table's anew (BASER changed). */
void its_table_remap(struct its *its, enum its_tab which);

/* GITS_BASER<n> at reset: its read-only Type and Entry_Size. */
uint64_t its_baser_reset(unsigned n);

/* ------------------------------------------------------- translation */

/* A full (DeviceID, EventID) lookup, as INT/CLEAR/INV/DISCARD/MOVI do it. */
struct its_xlate {
	struct its_dte dte;
	struct its_ite ite;
	struct its_slot ite_slot;
	struct its_cte cte;
};

/* Returns 0 or the error code (enum its_err_code) naming the first failed check. */
unsigned its_lookup(struct its *its, uint32_t device_id, uint32_t event_id, struct its_xlate *x);

/* ------------------------------------------------------------- cache */

void its_cache_flush(struct its *its);
void its_cache_invalidate(struct its *its, uint32_t device_id, uint32_t event_id);
void its_cache_invalidate_device(struct its *its, uint32_t device_id);
const struct its_cache_entry *its_cache_find(struct its *its, uint32_t device_id,
					     uint32_t event_id);
void its_cache_insert(struct its *its, uint32_t device_id, uint32_t event_id, unsigned vcpu,
		      uint16_t icid, uint32_t intid);

/* ----------------------------------------------------- command queue */

/* Runs commands from CREADR towards CWRITER while the queue may run. */
void its_process(struct its *its);
/* Command queue size in bytes from GITS_CBASER.Size. */
uint64_t its_cmdq_bytes(const struct its *its);
/* GITS_CBASER (while disabled) and GITS_CWRITER writes, already merged and masked. */
void its_cmdq_set_cbaser(struct its *its, uint64_t val);
void its_cmdq_set_cwriter(struct its *its, uint64_t val);

#endif
