/* SPDX-License-Identifier: MIT */
/*
 * The GICv3 ITS (Arm IHI 0069, chapter 5 "Locality-specific Peripheral
 * Interrupts and the ITS") as gicd-server hosts it: physical LPIs only, one
 * instance per ITS frame of the VM's address map.  See docs/its.md.
 *
 * Layers, each in its own file:
 *   its_regs.c    the GITS_* register frame: decode, widths, 32-bit halves.
 *   its_cmd.c     the command queue: CREADR/CWRITER, stall/Retry, SYNC, and
 *                 one function per command with the architecture's checks.
 *   its_xlate.c   translation of (DeviceID, EventID): DTE -> ITE -> CTE, the
 *                 MSI path and the translation cache in front of it.
 *   its_table.c   the tables in guest RAM: GITS_BASER geometry (flat or
 *                 two-level, 4K/16K/64K pages), the versioned entry formats,
 *                 reads and writes through guest_ram's writable windows.
 *   its_cache.c   the fixed-size translation cache.
 *
 * Deterministic (no clocks, no randomness), no allocation: everything lives
 * in struct its.  Guest RAM is the only thing touched outside it.  The
 * architectural state not in guest RAM is struct its_state: plain data, so
 * a restarted daemon can put it back with its_restore().
 */
#ifndef ITS_H
#define ITS_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_ram.h"
#include "vm_shape.h"

/* Implemented widths (GITS_TYPER): DeviceID, EventID and ICID bits. */
#define ITS_DEVICE_ID_BITS 16u
#define ITS_EVENT_ID_BITS  16u
#define ITS_ICID_BITS	   16u
/* Bytes of one device, collection or ITT entry (GITS_BASER.Entry_Size + 1,
 * GITS_TYPER.ITT_entry_size + 1). */
#define ITS_ENTRY_BYTES 8u
/* Translation cache: entries, and entries per set. */
#define ITS_CACHE_SIZE 1024u
#define ITS_CACHE_WAYS 4u

/* How the ITS reaches redistributors; the core maps these onto bus messages. */
struct its_out {
	void (*deliver_lpi)(void *ctx, unsigned vcpu, uint32_t intid); /* Deliver */
	void (*clear_lpi)(void *ctx, unsigned vcpu, uint32_t intid);   /* Retract{clear_latch} */
	void (*inv)(void *ctx, unsigned vcpu, uint32_t intid);	       /* Inv */
	void (*invall)(void *ctx, unsigned vcpu);		       /* InvAll */
	void (*sync)(void *ctx, unsigned vcpu, uint64_t sync_id);      /* Sync -> SyncDone */
	void (*move)(void *ctx, unsigned from, unsigned to, uint32_t intid); /* Move (MOVI) */
	void (*movall)(void *ctx, unsigned from, unsigned to);		     /* MovAll */
	void *ctx;
};

/* Why the command queue is stalled (GITS_CREADR.Stalled is "not NONE"). */
enum its_stall {
	ITS_STALL_NONE,
	ITS_STALL_CMD,	   /* a command failed on guest memory: cleared by CWRITER.Retry */
	ITS_STALL_CWRITER, /* CWRITER beyond the queue: cleared by a valid CWRITER */
};

/*
 * Everything architectural that is not in guest RAM.  Plain data: a
 * snapshot copies it, its_restore() puts it back.  Registers are kept as
 * the guest reads them (read-only fields included).
 */
struct its_state {
	uint32_t ctlr;	   /* GITS_CTLR.Enabled (Quiescent is computed) */
	uint64_t cbaser;   /* GITS_CBASER */
	uint64_t cwriter;  /* GITS_CWRITER.Offset (Retry is not kept) */
	uint64_t creadr;   /* GITS_CREADR.Offset (Stalled comes from stall) */
	uint64_t baser[2]; /* GITS_BASER0 (devices), GITS_BASER1 (collections) */
	uint32_t stall;	   /* enum its_stall */
	bool sync_wait;	   /* CREADR points at a SYNC whose SyncDone has not come */
	uint32_t sync_vcpu;
	uint64_t sync_seq;   /* sequence part of the last SYNC's id */
	uint32_t last_error; /* last command error, encoded as in docs/its.md; 0 none */
	uint64_t nr_errors;  /* command errors since reset */
};

/* Counters; none of them is state. */
struct its_stats {
	uint64_t bad_width;	/* access width/alignment the register does not allow */
	uint64_t reserved;	/* reserved offset: RAZ/WI */
	uint64_t ro_write;	/* write to a read-only register */
	uint64_t wo_read;	/* read of GITS_TRANSLATER */
	uint64_t locked_write;	/* CBASER/BASER written while Enabled: ignored */
	uint64_t commands;	/* commands executed (errors included) */
	uint64_t cmd_errors;	/* commands that failed their checks and were skipped */
	uint64_t cmd_stalls;	/* queue stalls */
	uint64_t cmd_unknown;	/* unknown opcodes (skipped) */
	uint64_t retries;	/* CWRITER.Retry that restarted a stalled queue */
	uint64_t syncs;		/* SYNCs sent */
	uint64_t sync_stray;	/* SyncDone that matched no outstanding SYNC */
	uint64_t msi;		/* MSIs and TRANSLATER writes */
	uint64_t msi_delivered; /* ... translated and sent */
	uint64_t msi_disabled;	/* ... dropped: ITS disabled */
	uint64_t msi_unmapped;	/* ... dropped: no valid translation */
	uint64_t msi_fault;	/* ... dropped: a table is not in guest RAM */
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t cache_flushes;	  /* whole-cache invalidations */
	uint64_t corrupt_entries; /* table entries with V=1 but a bad format: not valid */
	uint64_t table_faults;	  /* table or ITT access outside RAM or not writable */
};

struct its_cache_entry {
	uint32_t device_id;
	uint32_t event_id;
	uint32_t intid;
	uint16_t vcpu;
	uint16_t icid;
	uint32_t epoch; /* valid iff equal to its.cache_epoch */
};

struct histogram;

struct its {
	struct its_state st;
	unsigned index; /* which ITS frame of the address map */
	const struct sg_vm_shape *shape;
	struct guest_ram *ram;
	struct its_out out;
	struct its_stats stats;
	uint32_t cache_epoch;
	struct its_cache_entry cache[ITS_CACHE_SIZE];
	uint8_t cache_victim[ITS_CACHE_SIZE / ITS_CACHE_WAYS]; /* next way to replace, per set */
	/* Set by the daemon (gicctl stats): time per command; NULL: none. */
	struct histogram *cmd_hist;
};

enum its_status {
	ITS_OK,	     /* access performed */
	ITS_IGNORED, /* bad width/alignment, reserved, RO write, WO read, locked: RAZ/WI, counted */
};

/* Reset state.  shape, ram and out->ctx must outlive its. */
void its_init(struct its *its, unsigned index, const struct sg_vm_shape *shape,
	      struct guest_ram *ram, const struct its_out *out);

/*
 * Puts back a saved its_state after its_init() (a daemon restart): the
 * tables are re-read from guest RAM as needed, the cache starts empty, the
 * table windows are mapped again, and an outstanding SYNC is sent again
 * (a SyncDone for it that arrives twice is ignored the second time).
 */
void its_restore(struct its *its, const struct its_state *st);

/* A guest access of size bytes at offset within the 128 KiB ITS frame. */
enum its_status its_mmio_read(struct its *its, unsigned vcpu, uint32_t offset, unsigned size,
			      uint64_t *val);
enum its_status its_mmio_write(struct its *its, unsigned vcpu, uint32_t offset, unsigned size,
			       uint64_t val);

/* An MSI: a device model's Msi, or a vCPU's GITS_TRANSLATER write (DeviceID 0). */
void its_msi(struct its *its, uint32_t device_id, uint32_t event_id);

/*
 * A SyncDone arrived.  Returns true if it completed this ITS's outstanding
 * SYNC (the queue then continues), false if it was not for this ITS or
 * stray (counted).
 */
bool its_sync_done(struct its *its, uint64_t sync_id);

/* SYNC ids: top byte ITS_SYNC_TAG, next byte the ITS index, then a sequence. */
#define ITS_SYNC_TAG 0x17u
static inline uint64_t its_sync_id(unsigned index, uint64_t seq)
{
	return ((uint64_t)ITS_SYNC_TAG << 56) | ((uint64_t)(index & 0xFFu) << 48) |
	       (seq & 0xFFFFFFFFFFFFull);
}
/* The ITS index a SyncDone id belongs to, or -1 if no ITS made it. */
static inline int its_sync_id_index(uint64_t id)
{
	return (id >> 56) == ITS_SYNC_TAG ? (int)((id >> 48) & 0xFFu) : -1;
}

/* GITS_CTLR.Quiescent: no SYNC outstanding. */
bool its_quiescent(const struct its *its);

#endif
