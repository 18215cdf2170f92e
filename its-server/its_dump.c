// SPDX-License-Identifier: MIT
/*
 * Read-only views of an ITS for the admin dump (its_dump.h): decoded
 * registers, and walks of the tables in guest RAM through its_table.c.
 */
#include "its_dump.h"

#include <stdio.h>

#include "its_internal.h"

/*
 * The table code counts what it meets (corrupt entries, faults); a dump
 * is not guest activity, so each step puts the counters back.  It also
 * counts what it found itself, in the request's its_dump_scan.
 */
struct quiet {
	struct its *its;
	struct its_stats saved;
};

static void quiet_begin(struct quiet *q, struct its *its)
{
	q->its = its;
	q->saved = its->stats;
}

static void quiet_end(struct quiet *q)
{
	q->its->stats = q->saved;
}

uint32_t its_dump_ctlr(const struct its *its)
{
	return its->st.ctlr | (its_quiescent(its) ? GITS_CTLR_QUIESCENT : 0);
}

uint64_t its_dump_typer(const struct its *its)
{
	uint64_t v = 0;

	/* GITS_TYPER is constant; the register code is the one place it is built. */
	its_mmio_read((struct its *)its, 0, GITS_TYPER, 8, &v);
	return v;
}

uint64_t its_dump_creadr(const struct its *its)
{
	return its->st.creadr | (its->st.stall != ITS_STALL_NONE ? GITS_CREADR_STALLED : 0);
}

void its_dump_baser(const struct its *its, unsigned n, struct its_dump_baser *b)
{
	struct its_table t;

	*b = (struct its_dump_baser){ 0 };
	if (n > 1)
		return;
	its_table_decode(its, n == 0 ? ITS_TAB_DEVICE : ITS_TAB_COLLECTION, &t);
	b->raw = its->st.baser[n];
	b->type = (unsigned)((b->raw & GITS_BASER_TYPE_MASK) >> GITS_BASER_TYPE_SHIFT);
	b->entry_size = (uint32_t)((b->raw >> GITS_BASER_ENTRY_SIZE_SHIFT) & 0x1F) + 1;
	b->valid = t.valid;
	b->indirect = t.indirect;
	b->page_size = (uint32_t)t.page;
	b->pages = t.page ? (uint32_t)(t.bytes / t.page) : (uint32_t)(b->raw & 0xFF) + 1;
	b->address = t.base;
	b->nr_ids = t.nr_ids;
}

uint64_t its_dump_cmdq_bytes(const struct its *its)
{
	return its_cmdq_bytes(its);
}

const char *its_dump_stall_name(uint32_t stall)
{
	switch (stall) {
	case ITS_STALL_NONE: return "none";
	case ITS_STALL_CMD: return "command";
	case ITS_STALL_CWRITER: return "cwriter";
	}
	return "unknown";
}

static const char *cmd_name(unsigned op)
{
	const char *name;

	if (op == 0)
		return NULL; /* errors that belong to no command */
	name = gits_cmd_name(op);
	return name ? name : "";
}

static const char *err_name(unsigned code)
{
	switch (code) {
	case ITS_E_DEVICE_OOR: return "DEVICE_OOR";
	case ITS_E_ITTSIZE_OOR: return "ITTSIZE_OOR";
	case ITS_E_COLLECTION_OOR: return "COLLECTION_OOR";
	case ITS_E_UNMAPPED_DEVICE: return "UNMAPPED_DEVICE";
	case ITS_E_ID_OOR: return "ID_OOR";
	case ITS_E_PHYSICALID_OOR: return "PHYSICALID_OOR";
	case ITS_E_UNMAPPED_INTERRUPT: return "UNMAPPED_INTERRUPT";
	case ITS_E_UNMAPPED_COLLECTION: return "UNMAPPED_COLLECTION";
	case ITS_E_TGT_OOR: return "TGT_OOR";
	case ITS_E_TABLE_FAULT: return "table fault";
	case ITS_E_CMDQ_FAULT: return "queue fault";
	case ITS_E_CWRITER_OOR: return "CWRITER out of range";
	case ITS_E_UNKNOWN_CMD: return "unknown command";
	}
	return NULL;
}

void its_dump_error_name(uint32_t code, char *buf, size_t len)
{
	unsigned op = (code >> 8) & 0xFF, e = code & 0xFF;
	const char *c = cmd_name(op), *n = err_name(e);
	char opbuf[8], ebuf[8];

	if (!len)
		return;
	buf[0] = '\0';
	if (!code)
		return;
	if (c && !c[0]) {
		snprintf(opbuf, sizeof(opbuf), "0x%02x", op); /* unknown opcode */
		c = opbuf;
	}
	if (!n) {
		snprintf(ebuf, sizeof(ebuf), "0x%02x", e);
		n = ebuf;
	}
	if (c)
		snprintf(buf, len, "%s: %s", c, n);
	else
		snprintf(buf, len, "%s", n);
}

unsigned its_dump_cache_entries(const struct its *its)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ITS_CACHE_SIZE; i++)
		n += its->cache[i].epoch == its->cache_epoch;
	return n;
}

/* ---------------------------------------------------------------- walks */

/*
 * The raw entry of id in a device or collection table, through the
 * table's own slot code.  Returns ITS_R_OK with *raw, or ITS_R_OOR at the
 * end of the table; a level-2 page that is not there (level-1 entry not
 * valid, or not in RAM) moves *next to the following page.
 */
static enum its_res table_entry(struct its *its, enum its_tab which, uint32_t id, uint64_t *raw,
				uint32_t *next, struct its_dump_scan *s)
{
	struct its_slot slot = { 0 };
	struct its_table t;
	enum its_res r;

	*next = id + 1;
	its_table_decode(its, which, &t);
	if (!t.valid || id >= t.nr_ids)
		return ITS_R_OOR;
	r = its_table_slot(its, which, id, &slot);
	if (r == ITS_R_OK) {
		r = its_entry_read(its, slot.gpa, raw);
		if (r == ITS_R_FAULT)
			s->faults++;
		return r;
	}
	if (r == ITS_R_FAULT)
		s->faults++;
	if (t.indirect) {
		/* The level-1 entry is not valid or not in RAM: the whole
		 * level-2 page is absent. */
		uint64_t per = t.page / ITS_ENTRY_BYTES;
		uint64_t n = ((uint64_t)id / per + 1) * per;

		*next = n < t.nr_ids ? (uint32_t)n : t.nr_ids;
	}
	return r == ITS_R_OOR ? ITS_R_L1_INVALID : r;
}

/*
 * The next entry from *cursor on in a device or collection table whose raw
 * entry is readable and has its Valid bit: its ID and raw entry, *cursor
 * moved past it.  False at the end of the table (*cursor left there).
 */
static bool next_raw(struct its *its, enum its_tab which, uint32_t *cursor, uint32_t *id,
		     uint64_t *raw, struct its_dump_scan *s)
{
	for (uint32_t i = *cursor, next;; i = next) {
		enum its_res r = table_entry(its, which, i, raw, &next, s);

		if (r == ITS_R_OOR) {
			*cursor = i;
			return false;
		}
		if (r != ITS_R_OK || !(*raw & ITS_ENTRY_VALID))
			continue;
		*id = i;
		*cursor = next;
		return true;
	}
}

bool its_dump_next_collection(struct its *its, uint32_t *cursor, uint32_t *icid, unsigned *vcpu,
			      struct its_dump_scan *s)
{
	struct quiet q;
	bool found = false;
	uint32_t id;
	uint64_t raw;

	quiet_begin(&q, its);
	while (!found && next_raw(its, ITS_TAB_COLLECTION, cursor, &id, &raw, s)) {
		struct its_cte e;

		its_cte_decode(its, raw, &e);
		if (!e.valid) {
			s->corrupt++;
			continue;
		}
		*icid = id;
		*vcpu = e.rdbase;
		found = true;
	}
	quiet_end(&q);
	return found;
}

bool its_dump_next_device(struct its *its, uint32_t *cursor, struct its_dump_device *out,
			  struct its_dump_scan *s)
{
	struct quiet q;
	bool found = false;
	uint32_t id;
	uint64_t raw;

	quiet_begin(&q, its);
	while (!found && next_raw(its, ITS_TAB_DEVICE, cursor, &id, &raw, s)) {
		struct its_dte e;

		its_dte_decode(its, raw, &e);
		if (!e.valid) {
			s->corrupt++;
			continue;
		}
		/* Size <= 15 is what decoding accepts: at most 2^16 events. */
		*out = (struct its_dump_device){ .device_id = id,
						 .size = e.size,
						 .itt = e.itt,
						 .nr_events = 1u << (e.size + 1) };
		found = true;
	}
	quiet_end(&q);
	return found;
}

bool its_dump_next_event(struct its *its, const struct its_dump_device *dev, uint32_t *cursor,
			 struct its_dump_event *out, struct its_dump_scan *s)
{
	struct its_dte dte = { .valid = true, .size = dev->size, .itt = dev->itt };
	uint32_t n = dev->size < ITS_EVENT_ID_BITS ? 1u << (dev->size + 1) : 0;
	struct quiet q;
	bool found = false;

	quiet_begin(&q, its);
	for (uint32_t ev = *cursor; ev < n && !found; ev++) {
		struct its_slot slot;
		struct its_ite e;
		uint64_t raw;

		if (s->itt_slots >= ITS_DUMP_MAX_ITT_SLOTS) {
			s->truncated = true;
			*cursor = ev;
			break;
		}
		s->itt_slots++;
		*cursor = ev + 1;
		its_itt_slot(&dte, ev, &slot);
		if (its_entry_read(its, slot.gpa, &raw) != ITS_R_OK) {
			s->faults++;
			continue;
		}
		if (!(raw & ITS_ENTRY_VALID))
			continue;
		its_ite_decode(its, raw, &e);
		if (!e.valid) {
			s->corrupt++;
			continue;
		}
		*out = (struct its_dump_event){ .event_id = ev, .intid = e.intid, .icid = e.icid };
		found = true;
	}
	quiet_end(&q);
	return found;
}
