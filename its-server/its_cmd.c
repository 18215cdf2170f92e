// SPDX-License-Identifier: MIT
/*
 * The ITS command queue (Arm IHI 0069 "The ITS command interface" and the
 * command descriptions): commands run from GITS_CREADR up to GITS_CWRITER
 * when CWRITER is written, each with the architecture's checks in the
 * order of its pseudocode.  Error policy (docs/its.md): a command that
 * fails a check on its fields or on the mappings is skipped and the error
 * recorded; a command that cannot reach guest memory (queue or tables
 * outside RAM, not writable) stalls the queue until CWRITER.Retry.
 */
#include <endian.h>
#include <string.h>

#include "histogram.h"
#include "its_internal.h"
#include "log.h"
#include "trace.h"

#define CBASER_VALID	(1ull << 63)
#define CBASER_PA	0x000FFFFFFFFFF000ull /* [51:12] */
#define CMD_RDBASE_MASK 0x7FFFFFFFFull	      /* RDbase is DW[50:16]: 35 bits */

enum cmd_res {
	CMD_DONE,
	CMD_SKIP,  /* failed a check: error recorded, queue continues */
	CMD_STALL, /* guest memory fault: error recorded, queue stalls here */
	CMD_WAIT,  /* SYNC sent: CREADR stays here until its SyncDone */
};

struct cmd {
	uint8_t op;
	uint64_t dw[4];
};

/* Field accessors (command layouts in IHI 0069 "ITS commands"). */
static uint32_t f_devid(const struct cmd *c)
{
	return (uint32_t)(c->dw[0] >> 32);
}
static uint32_t f_eventid(const struct cmd *c)
{
	return (uint32_t)c->dw[1];
}
static uint32_t f_pintid(const struct cmd *c)
{
	return (uint32_t)(c->dw[1] >> 32);
}
static uint8_t f_size(const struct cmd *c)
{
	return (uint8_t)(c->dw[1] & 0x1F);
}
static uint64_t f_itt(const struct cmd *c)
{
	return c->dw[2] & 0x000FFFFFFFFFFF00ull;
}
static bool f_valid(const struct cmd *c)
{
	return c->dw[2] >> 63;
}
static uint32_t f_icid(const struct cmd *c)
{
	return (uint32_t)(c->dw[2] & 0xFFFF);
}
static uint64_t f_rdbase(uint64_t dw)
{
	return (dw >> 16) & CMD_RDBASE_MASK;
}

/* What a command error means, for the log (docs/its.md lists the codes). */
static const char *err_text(unsigned code)
{
	switch (code) {
	case ITS_E_DEVICE_OOR:
		return "DEVICE_OOR: DeviceID beyond the device table (GITS_BASER0) or 16 bits";
	case ITS_E_ITTSIZE_OOR: return "ITTSIZE_OOR: MAPD Size above 15 (16 EventID bits)";
	case ITS_E_COLLECTION_OOR:
		return "COLLECTION_OOR: ICID beyond the collection table (GITS_BASER1)";
	case ITS_E_UNMAPPED_DEVICE: return "UNMAPPED_DEVICE";
	case ITS_E_ID_OOR: return "ID_OOR: EventID beyond the device's ITT";
	case ITS_E_PHYSICALID_OOR: return "PHYSICALID_OOR: pINTID not an LPI (8192..65535)";
	case ITS_E_UNMAPPED_INTERRUPT: return "UNMAPPED_INTERRUPT";
	case ITS_E_UNMAPPED_COLLECTION: return "UNMAPPED_COLLECTION";
	case ITS_E_TGT_OOR: return "TGT_OOR: RDbase names no vCPU";
	case ITS_E_TABLE_FAULT: return "table fault: a table or ITT entry not in guest RAM";
	case ITS_E_CMDQ_FAULT: return "queue fault: the command is not in guest RAM";
	case ITS_E_CWRITER_OOR: return "CWRITER beyond the command queue (GITS_CBASER.Size)";
	case ITS_E_UNKNOWN_CMD: return "unknown command";
	}
	return "?";
}

static enum cmd_res fail(struct its *its, uint8_t op, unsigned code)
{
	bool stalls = code == ITS_E_TABLE_FAULT || code == ITS_E_CMDQ_FAULT;

	its->st.last_error = ITS_ERR(op, code);
	its->st.nr_errors++;
	/* The guest's own doing; rate-limited like every input a peer controls. */
	sg_reject_log("its%u: command 0x%02x at CREADR 0x%llx failed (error 0x%06x) %s: %s",
		      its->index, op, (unsigned long long)its->st.creadr, its->st.last_error,
		      err_text(code), stalls ? "queue stalled" : "skipped");
	return stalls ? CMD_STALL : CMD_SKIP;
}

/* Whether id fits the table of that kind (its size, and the ID width). */
static bool id_in_range(const struct its *its, enum its_tab which, uint32_t id)
{
	struct its_table t;

	its_table_decode(its, which, &t);
	return id < t.nr_ids;
}

/* With GITS_TYPER.PTA == 0 RDbase is a processor number: ours are vCPU indices. */
static bool rdbase_ok(const struct its *its, uint64_t rd)
{
	return rd < its->shape->nr_vcpus;
}

/* The DTE a command names, or the error code. */
static unsigned cmd_dte(struct its *its, uint32_t dev, struct its_dte *dte)
{
	switch (its_read_dte(its, dev, dte)) {
	case ITS_R_OK: return dte->valid ? 0 : ITS_E_UNMAPPED_DEVICE;
	case ITS_R_OOR: return ITS_E_DEVICE_OOR;
	case ITS_R_L1_INVALID: return ITS_E_UNMAPPED_DEVICE;
	case ITS_R_FAULT: break;
	}
	return ITS_E_TABLE_FAULT;
}

/* A mapped collection, or the error code. */
static unsigned cmd_cte(struct its *its, uint32_t icid, struct its_cte *cte)
{
	switch (its_read_cte(its, icid, cte)) {
	case ITS_R_OK: return cte->valid ? 0 : ITS_E_UNMAPPED_COLLECTION;
	case ITS_R_OOR:
	case ITS_R_L1_INVALID: return ITS_E_UNMAPPED_COLLECTION;
	case ITS_R_FAULT: break;
	}
	return ITS_E_TABLE_FAULT;
}

/* ---------------------------------------------------------- commands */

static enum cmd_res cmd_mapd(struct its *its, const struct cmd *c)
{
	uint32_t dev = f_devid(c), itt_owner = its_owner(its, ITS_OWN_ITT);
	struct its_dte old, new = { .valid = f_valid(c), .size = f_size(c), .itt = f_itt(c) };
	struct its_slot slot;
	uint64_t raw;

	/* A DeviceID the table cannot hold, or whose level-1 entry is not
	 * valid (software provides level-2 pages), is out of range. */
	switch (its_table_slot(its, ITS_TAB_DEVICE, dev, &slot)) {
	case ITS_R_OK: break;
	case ITS_R_FAULT: return fail(its, c->op, ITS_E_TABLE_FAULT);
	default: return fail(its, c->op, ITS_E_DEVICE_OOR);
	}
	if (new.valid &&new.size >= ITS_EVENT_ID_BITS)
		return fail(its, c->op, ITS_E_ITTSIZE_OOR);
	if (!new.valid)
		new = (struct its_dte){ 0 };
	if (its_entry_read(its, slot.gpa, &raw) != ITS_R_OK)
		return fail(its, c->op, ITS_E_TABLE_FAULT);
	its_dte_decode(its, raw, &old);
	if (its_entry_write(its, its_owner(its, ITS_OWN_DEVICE), &slot, its_dte_encode(&new)) !=
	    ITS_R_OK)
		return fail(its, c->op, ITS_E_TABLE_FAULT);
	its_cache_invalidate_device(its, dev);
	if (old.valid && (old.itt != new.itt || old.size != new.size || !new.valid))
		guest_ram_unmap_rw(its->ram, old.itt, its_itt_bytes(old.size), itt_owner);
	/* An ITT outside RAM is not a MAPD error; writing its entries will be. */
	if (new.valid &&
	    guest_ram_map_rw(its->ram, new.itt, its_itt_bytes(new.size), itt_owner) < 0)
		its->stats.table_faults++;
	return CMD_DONE;
}

static enum cmd_res cmd_mapc(struct its *its, const struct cmd *c)
{
	uint32_t icid = f_icid(c);
	uint64_t rd = f_rdbase(c->dw[2]);
	struct its_cte cte = { .valid = f_valid(c), .rdbase = (uint16_t)rd };
	struct its_slot slot;

	switch (its_table_slot(its, ITS_TAB_COLLECTION, icid, &slot)) {
	case ITS_R_OK: break;
	case ITS_R_FAULT: return fail(its, c->op, ITS_E_TABLE_FAULT);
	default: return fail(its, c->op, ITS_E_COLLECTION_OOR);
	}
	if (cte.valid && !rdbase_ok(its, rd))
		return fail(its, c->op, ITS_E_TGT_OOR);
	if (its_entry_write(its, its_owner(its, ITS_OWN_COLLECTION), &slot, its_cte_encode(&cte)) !=
	    ITS_R_OK)
		return fail(its, c->op, ITS_E_TABLE_FAULT);
	/* Every cached translation through this collection changes target. */
	its_cache_flush(its);
	return CMD_DONE;
}

/* MAPTI, and MAPI (pINTID = EventID). */
static enum cmd_res cmd_mapti(struct its *its, const struct cmd *c)
{
	uint32_t dev = f_devid(c), ev = f_eventid(c), icid = f_icid(c);
	struct its_ite ite = { .valid = true, .icid = (uint16_t)icid };
	struct its_dte dte;
	struct its_slot slot;
	unsigned err;

	ite.intid = c->op == GITS_CMD_MAPI ? ev : f_pintid(c);
	if (!id_in_range(its, ITS_TAB_DEVICE, dev))
		return fail(its, c->op, ITS_E_DEVICE_OOR);
	if (!id_in_range(its, ITS_TAB_COLLECTION, icid))
		return fail(its, c->op, ITS_E_COLLECTION_OOR);
	err = cmd_dte(its, dev, &dte);
	if (err)
		return fail(its, c->op, err);
	if (ev >= (1u << (dte.size + 1)))
		return fail(its, c->op, ITS_E_ID_OOR);
	/* LPIs only, below 2^(GICD_TYPER.IDbits + 1). */
	if (!gic_intid_is_lpi(ite.intid))
		return fail(its, c->op, ITS_E_PHYSICALID_OOR);
	its_itt_slot(&dte, ev, &slot);
	if (its_entry_write(its, its_owner(its, ITS_OWN_ITT), &slot, its_ite_encode(&ite)) !=
	    ITS_R_OK)
		return fail(its, c->op, ITS_E_TABLE_FAULT);
	its_cache_invalidate(its, dev, ev);
	return CMD_DONE;
}

/* INT, CLEAR, INV, DISCARD: an event's translation, then one action. */
static enum cmd_res cmd_event(struct its *its, const struct cmd *c)
{
	uint32_t dev = f_devid(c), ev = f_eventid(c);
	const struct its_out *o = &its->out;
	struct its_xlate x;
	unsigned err = its_lookup(its, dev, ev, &x);
	const struct its_ite none = { 0 };

	if (err)
		return fail(its, c->op, err);
	switch (c->op) {
	case GITS_CMD_INT: o->deliver_lpi(o->ctx, x.cte.rdbase, x.ite.intid); break;
	case GITS_CMD_CLEAR: o->clear_lpi(o->ctx, x.cte.rdbase, x.ite.intid); break;
	case GITS_CMD_INV: o->inv(o->ctx, x.cte.rdbase, x.ite.intid); break;
	case GITS_CMD_DISCARD:
		/* Unmap first: if that faults the command stalls with nothing done. */
		if (its_entry_write(its, its_owner(its, ITS_OWN_ITT), &x.ite_slot,
				    its_ite_encode(&none)) != ITS_R_OK)
			return fail(its, c->op, ITS_E_TABLE_FAULT);
		its_cache_invalidate(its, dev, ev);
		o->clear_lpi(o->ctx, x.cte.rdbase, x.ite.intid);
		break;
	}
	return CMD_DONE;
}

static enum cmd_res cmd_movi(struct its *its, const struct cmd *c)
{
	uint32_t dev = f_devid(c), ev = f_eventid(c), icid = f_icid(c);
	struct its_xlate x;
	struct its_cte to;
	struct its_ite ite;
	unsigned err;

	if (!id_in_range(its, ITS_TAB_DEVICE, dev))
		return fail(its, c->op, ITS_E_DEVICE_OOR);
	if (!id_in_range(its, ITS_TAB_COLLECTION, icid))
		return fail(its, c->op, ITS_E_COLLECTION_OOR);
	err = its_lookup(its, dev, ev, &x); /* also: the old collection is mapped */
	if (!err)
		err = cmd_cte(its, icid, &to);
	if (err)
		return fail(its, c->op, err);
	ite = x.ite;
	ite.icid = (uint16_t)icid;
	if (its_entry_write(its, its_owner(its, ITS_OWN_ITT), &x.ite_slot, its_ite_encode(&ite)) !=
	    ITS_R_OK)
		return fail(its, c->op, ITS_E_TABLE_FAULT);
	its_cache_invalidate(its, dev, ev);
	/* A pending LPI follows its new target; the agent knows if it is pending. */
	if (x.cte.rdbase != to.rdbase)
		its->out.move(its->out.ctx, x.cte.rdbase, to.rdbase, x.ite.intid);
	return CMD_DONE;
}

static enum cmd_res cmd_invall(struct its *its, const struct cmd *c)
{
	uint32_t icid = f_icid(c);
	struct its_cte cte;
	unsigned err;

	if (!id_in_range(its, ITS_TAB_COLLECTION, icid))
		return fail(its, c->op, ITS_E_COLLECTION_OOR);
	err = cmd_cte(its, icid, &cte);
	if (err)
		return fail(its, c->op, err);
	its->out.invall(its->out.ctx, cte.rdbase);
	return CMD_DONE;
}

static enum cmd_res cmd_sync(struct its *its, const struct cmd *c)
{
	uint64_t rd = f_rdbase(c->dw[2]);

	if (!rdbase_ok(its, rd))
		return fail(its, c->op, ITS_E_TGT_OOR);
	/* The bus is one FIFO per VM: once the agent has processed this Sync,
	 * it has processed everything this ITS sent before it. */
	its->st.sync_seq++;
	its->st.sync_wait = true;
	its->st.sync_vcpu = (uint32_t)rd;
	its->stats.syncs++;
	its->out.sync(its->out.ctx, (unsigned)rd, its_sync_id(its->index, its->st.sync_seq));
	return CMD_WAIT;
}

static enum cmd_res cmd_movall(struct its *its, const struct cmd *c)
{
	uint64_t from = f_rdbase(c->dw[2]), to = f_rdbase(c->dw[3]);

	if (!rdbase_ok(its, from) || !rdbase_ok(its, to))
		return fail(its, c->op, ITS_E_TGT_OOR);
	if (from != to)
		its->out.movall(its->out.ctx, (unsigned)from, (unsigned)to);
	its_cache_flush(its);
	return CMD_DONE;
}

static enum cmd_res execute(struct its *its, const struct cmd *c)
{
	switch (c->op) {
	case GITS_CMD_MAPD: return cmd_mapd(its, c);
	case GITS_CMD_MAPC: return cmd_mapc(its, c);
	case GITS_CMD_MAPTI:
	case GITS_CMD_MAPI: return cmd_mapti(its, c);
	case GITS_CMD_INT:
	case GITS_CMD_CLEAR:
	case GITS_CMD_INV:
	case GITS_CMD_DISCARD: return cmd_event(its, c);
	case GITS_CMD_MOVI: return cmd_movi(its, c);
	case GITS_CMD_INVALL: return cmd_invall(its, c);
	case GITS_CMD_SYNC: return cmd_sync(its, c);
	case GITS_CMD_MOVALL: return cmd_movall(its, c);
	}
	its->stats.cmd_unknown++;
	return fail(its, c->op, ITS_E_UNKNOWN_CMD);
}

/* ------------------------------------------------------------- queue */

uint64_t its_cmdq_bytes(const struct its *its)
{
	return ((its->st.cbaser & GITS_CBASER_SIZE_MASK) + 1) * 4096;
}

static void stall(struct its *its, enum its_stall why, unsigned code)
{
	its->st.stall = why;
	its->st.last_error = ITS_ERR(0, code);
	its->st.nr_errors++;
	its->stats.cmd_stalls++;
	sg_reject_log("its%u: command queue stalled at CREADR 0x%llx (error 0x%06x): %s",
		      its->index, (unsigned long long)its->st.creadr, its->st.last_error,
		      err_text(code));
}

void its_process(struct its *its)
{
	struct its_state *st = &its->st;
	uint64_t qbytes = its_cmdq_bytes(its), base = st->cbaser & CBASER_PA;

	if (!(st->ctlr & GITS_CTLR_ENABLED) || !(st->cbaser & CBASER_VALID) || st->stall ||
	    st->sync_wait)
		return;
	/* CWRITER outside the queue: CONSTRAINED UNPREDICTABLE; we stall until
	 * software writes a valid offset. */
	if (st->cwriter >= qbytes) {
		stall(its, ITS_STALL_CWRITER, ITS_E_CWRITER_OOR);
		return;
	}
	if (st->creadr >= qbytes) { /* only a bad restored snapshot gets here */
		stall(its, ITS_STALL_CMD, ITS_E_CMDQ_FAULT);
		return;
	}
	/* Bounded: at most one pass over the whole queue. */
	for (uint64_t n = qbytes / GITS_CMD_SIZE; n && st->creadr != st->cwriter; n--) {
		uint64_t le[4];
		struct cmd c;
		enum cmd_res res;
		uint64_t t0;

		if (guest_ram_read(its->ram, base + st->creadr, le, sizeof(le)) < 0) {
			stall(its, ITS_STALL_CMD, ITS_E_CMDQ_FAULT);
			return;
		}
		for (unsigned i = 0; i < 4; i++)
			c.dw[i] = le64toh(le[i]);
		c.op = (uint8_t)c.dw[0];
		its->stats.commands++;
		t0 = its->cmd_hist ? histogram_now_ns() : 0;
		res = execute(its, &c);
		histogram_since(its->cmd_hist, t0);
		trace_its_cmd(its->index, st->creadr, c.dw,
			      res == CMD_SKIP || res == CMD_STALL ? st->last_error : 0);
		switch (res) {
		case CMD_DONE: break;
		case CMD_SKIP: its->stats.cmd_errors++; break;
		case CMD_STALL:
			/* CREADR keeps pointing at the command that failed. */
			st->stall = ITS_STALL_CMD;
			its->stats.cmd_stalls++;
			return;
		case CMD_WAIT: return;
		}
		st->creadr = (st->creadr + GITS_CMD_SIZE) % qbytes;
	}
}

bool its_sync_done(struct its *its, uint64_t sync_id)
{
	if (its_sync_id_index(sync_id) != (int)its->index)
		return false;
	if (!its->st.sync_wait || sync_id != its_sync_id(its->index, its->st.sync_seq)) {
		its->stats.sync_stray++;
		return false;
	}
	its->st.sync_wait = false;
	its->st.creadr = (its->st.creadr + GITS_CMD_SIZE) % its_cmdq_bytes(its);
	its_process(its);
	return true;
}

void its_cmdq_set_cbaser(struct its *its, uint64_t val)
{
	its->st.cbaser = val;
	/* GITS_CREADR is cleared by a CBASER write; CWRITER is UNKNOWN and we
	 * clear it too so the new queue starts empty.  A SYNC still waiting
	 * belongs to the old queue: its SyncDone will be stray. */
	its->st.creadr = 0;
	its->st.cwriter = 0;
	its->st.stall = ITS_STALL_NONE;
	its->st.sync_wait = false;
}

void its_cmdq_set_cwriter(struct its *its, uint64_t val)
{
	its->st.cwriter = val & GITS_CMDQ_OFFSET_MASK;
	/* A new offset re-evaluates a CWRITER stall; Retry restarts a command stall. */
	if (its->st.stall == ITS_STALL_CWRITER)
		its->st.stall = ITS_STALL_NONE;
	if ((val & GITS_CWRITER_RETRY) && its->st.stall == ITS_STALL_CMD) {
		its->st.stall = ITS_STALL_NONE;
		its->stats.retries++;
	}
	its_process(its);
}
