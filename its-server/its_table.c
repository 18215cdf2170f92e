// SPDX-License-Identifier: MIT
/*
 * The ITS tables in guest RAM: GITS_BASER<n> geometry (flat or two-level,
 * 4K/16K/64K pages), splitgic's versioned entry formats, and every read and
 * write of an entry.  Reads go anywhere in RAM through guest_ram_read();
 * writes only through the table's writable window, mapped again on demand
 * if guest_ram evicted it.  Hostile tables cost an error, never a crash.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "its_internal.h"
#include "log.h"

#define BASER_VALID    (1ull << 63)
#define BASER_INDIRECT (1ull << 62)
#define BASER_PA_4K    0x0000FFFFFFFFF000ull /* [47:12] */
#define BASER_PA_64K   0x0000FFFFFFFF0000ull /* [47:16]; [15:12] hold PA[51:48] */
#define L1_PA	       0x000FFFFFFFFFF000ull /* level-1 entry: level-2 page [51:12] */

/* DTE v1: [52:48] Size, [43:0] ITT address [51:8]; [55:53], [47:44] RES0. */
#define DTE_SIZE_SHIFT 48
#define DTE_SIZE_MASK  (0x1Full << DTE_SIZE_SHIFT)
#define DTE_ITT_MASK   0x00000FFFFFFFFFFFull
#define DTE_RES0       ((7ull << 53) | (0xFull << 44))
/* CTE v1: [15:0] RDbase (vCPU number); [55:16] RES0. */
#define CTE_RDBASE_MASK 0xFFFFull
#define CTE_RES0	(0x000000FFFFFF0000ull)
/* ITE v1: [47:32] ICID, [31:0] pINTID; [55:48] RES0. */
#define ITE_ICID_SHIFT 32
#define ITE_INTID_MASK 0xFFFFFFFFull
#define ITE_RES0       (0xFFull << 48)

void its_table_decode(const struct its *its, enum its_tab which, struct its_table *t)
{
	uint64_t v = its->st.baser[which];
	unsigned bits = which == ITS_TAB_DEVICE ? ITS_DEVICE_ID_BITS : ITS_ICID_BITS;
	uint64_t n;

	memset(t, 0, sizeof(*t));
	if (!(v & BASER_VALID))
		return;
	t->valid = true;
	t->indirect = v & BASER_INDIRECT;
	/* GITS_BASER.Page_Size: 0b11 is reserved and reads back as 0b10 (see its_regs.c). */
	switch ((v >> 8) & 3) {
	case 0: t->page = 4096; break;
	case 1: t->page = 16384; break;
	default: t->page = 65536; break;
	}
	if (t->page == 65536)
		t->base = (v & BASER_PA_64K) | (((v >> 12) & 0xF) << 48);
	else
		t->base = v & BASER_PA_4K & ~(t->page - 1);
	t->bytes = ((v & 0xFF) + 1) * t->page;
	n = t->bytes / ITS_ENTRY_BYTES;
	if (t->indirect)
		n *= t->page / ITS_ENTRY_BYTES; /* level-1 entries are 8 bytes too */
	t->nr_ids = n < (1ull << bits) ? (uint32_t)n : (uint32_t)(1ull << bits);
}

enum its_res its_entry_read(struct its *its, uint64_t gpa, uint64_t *raw)
{
	uint64_t le;

	if (guest_ram_read(its->ram, gpa, &le, sizeof(le)) < 0) {
		its->stats.table_faults++;
		return ITS_R_FAULT;
	}
	*raw = le64toh(le);
	return ITS_R_OK;
}

enum its_res its_table_slot(struct its *its, enum its_tab which, uint32_t id, struct its_slot *slot)
{
	struct its_table t;
	uint64_t per, l1, l2;

	its_table_decode(its, which, &t);
	if (!t.valid || id >= t.nr_ids)
		return ITS_R_OOR;
	if (!t.indirect) {
		*slot = (struct its_slot){ .gpa = t.base + (uint64_t)id * ITS_ENTRY_BYTES,
					   .win_gpa = t.base,
					   .win_len = t.bytes };
		return ITS_R_OK;
	}
	/* Two-level: the level-1 entry format is the architecture's (V, PA[51:N]). */
	per = t.page / ITS_ENTRY_BYTES;
	if (its_entry_read(its, t.base + (id / per) * 8, &l1) != ITS_R_OK)
		return ITS_R_FAULT;
	if (!(l1 & ITS_ENTRY_VALID))
		return ITS_R_L1_INVALID;
	l2 = l1 & L1_PA & ~(t.page - 1); /* bits below the page size are RES0 */
	*slot = (struct its_slot){ .gpa = l2 + (id % per) * ITS_ENTRY_BYTES,
				   .win_gpa = l2,
				   .win_len = t.page };
	return ITS_R_OK;
}

enum its_res its_entry_write(struct its *its, uint32_t owner, const struct its_slot *slot,
			     uint64_t raw)
{
	uint64_t le = htole64(raw);
	int rc = guest_ram_write(its->ram, slot->gpa, &le, sizeof(le));

	/* No window (never mapped, or evicted): the slot names the range the
	 * guest handed us for this entry, so map it and try once more. */
	if (rc == -EPERM && guest_ram_map_rw(its->ram, slot->win_gpa, slot->win_len, owner) == 0)
		rc = guest_ram_write(its->ram, slot->gpa, &le, sizeof(le));
	if (rc < 0) {
		its->stats.table_faults++;
		return ITS_R_FAULT;
	}
	return ITS_R_OK;
}

/* -------------------------------------------------------- entry formats */

/* An entry with V=1 that is not one we wrote: not valid, counted, logged
 * (rate-limited: the guest owns the memory and can repeat it at will). */
static void corrupt(struct its *its, const char *what, uint64_t raw)
{
	its->stats.corrupt_entries++;
	sg_reject_log("its%u: corrupt %s 0x%016llx in guest RAM: treated as not valid", its->index,
		      what, (unsigned long long)raw);
}

/* V=1 with our tag and no RES0 bits set; else counted as corrupt. */
static bool entry_ok(struct its *its, uint64_t raw, uint64_t res0, const char *what)
{
	if (!(raw & ITS_ENTRY_VALID))
		return false;
	if ((raw & (ITS_ENTRY_VALID | ITS_ENTRY_VERSION_MASK)) != ITS_ENTRY_TAG || (raw & res0)) {
		corrupt(its, what, raw);
		return false;
	}
	return true;
}

uint64_t its_dte_encode(const struct its_dte *e)
{
	if (!e->valid)
		return 0;
	return ITS_ENTRY_TAG | ((uint64_t)e->size << DTE_SIZE_SHIFT) |
	       ((e->itt >> 8) & DTE_ITT_MASK);
}

void its_dte_decode(struct its *its, uint64_t raw, struct its_dte *e)
{
	memset(e, 0, sizeof(*e));
	if (!entry_ok(its, raw, DTE_RES0, "device table entry"))
		return;
	e->size = (uint8_t)((raw & DTE_SIZE_MASK) >> DTE_SIZE_SHIFT);
	if (e->size >= ITS_EVENT_ID_BITS) {
		corrupt(its, "device table entry", raw);
		return;
	}
	e->itt = (raw & DTE_ITT_MASK) << 8;
	e->valid = true;
}

uint64_t its_cte_encode(const struct its_cte *e)
{
	if (!e->valid)
		return 0;
	return ITS_ENTRY_TAG | e->rdbase;
}

void its_cte_decode(struct its *its, uint64_t raw, struct its_cte *e)
{
	memset(e, 0, sizeof(*e));
	if (!entry_ok(its, raw, CTE_RES0, "collection table entry"))
		return;
	e->rdbase = (uint16_t)(raw & CTE_RDBASE_MASK);
	if (e->rdbase >= its->shape->nr_vcpus) {
		corrupt(its, "collection table entry", raw);
		return;
	}
	e->valid = true;
}

uint64_t its_ite_encode(const struct its_ite *e)
{
	if (!e->valid)
		return 0;
	return ITS_ENTRY_TAG | ((uint64_t)e->icid << ITE_ICID_SHIFT) | e->intid;
}

void its_ite_decode(struct its *its, uint64_t raw, struct its_ite *e)
{
	memset(e, 0, sizeof(*e));
	if (!entry_ok(its, raw, ITE_RES0, "interrupt translation entry"))
		return;
	e->icid = (uint16_t)(raw >> ITE_ICID_SHIFT);
	e->intid = (uint32_t)(raw & ITE_INTID_MASK);
	if (!gic_intid_is_lpi(e->intid)) {
		corrupt(its, "interrupt translation entry", raw);
		return;
	}
	e->valid = true;
}

/* ------------------------------------------------------------ lookups */

enum its_res its_read_dte(struct its *its, uint32_t device_id, struct its_dte *e)
{
	struct its_slot slot;
	enum its_res r = its_table_slot(its, ITS_TAB_DEVICE, device_id, &slot);
	uint64_t raw;

	memset(e, 0, sizeof(*e));
	if (r != ITS_R_OK)
		return r;
	r = its_entry_read(its, slot.gpa, &raw);
	if (r == ITS_R_OK)
		its_dte_decode(its, raw, e);
	return r;
}

enum its_res its_read_cte(struct its *its, uint32_t icid, struct its_cte *e)
{
	struct its_slot slot;
	enum its_res r = its_table_slot(its, ITS_TAB_COLLECTION, icid, &slot);
	uint64_t raw;

	memset(e, 0, sizeof(*e));
	if (r != ITS_R_OK)
		return r;
	r = its_entry_read(its, slot.gpa, &raw);
	if (r == ITS_R_OK)
		its_cte_decode(its, raw, e);
	return r;
}

uint64_t its_itt_bytes(uint8_t size)
{
	return (uint64_t)ITS_ENTRY_BYTES << (size + 1);
}

void its_itt_slot(const struct its_dte *dte, uint32_t event_id, struct its_slot *slot)
{
	*slot = (struct its_slot){ .gpa = dte->itt + (uint64_t)event_id * ITS_ENTRY_BYTES,
				   .win_gpa = dte->itt,
				   .win_len = its_itt_bytes(dte->size) };
}

void its_table_remap(struct its *its, enum its_tab which)
{
	struct its_table t;
	uint32_t owner =
		its_owner(its, which == ITS_TAB_DEVICE ? ITS_OWN_DEVICE : ITS_OWN_COLLECTION);

	guest_ram_unmap_owner(its->ram, owner);
	/* A new device table means new devices: their ITTs come back with use. */
	if (which == ITS_TAB_DEVICE)
		guest_ram_unmap_owner(its->ram, its_owner(its, ITS_OWN_ITT));
	its_table_decode(its, which, &t);
	/* Level-2 pages of a two-level table get their windows when first written;
	 * a table outside RAM gets none and its writes fault later. */
	if (t.valid && !t.indirect && guest_ram_map_rw(its->ram, t.base, t.bytes, owner) < 0) {
		its->stats.table_faults++;
		sg_reject_log("its%u: %s table at 0x%llx (%llu bytes) is not writable guest RAM: "
			      "commands that use it will fail",
			      its->index, which == ITS_TAB_DEVICE ? "device" : "collection",
			      (unsigned long long)t.base, (unsigned long long)t.bytes);
	}
}
