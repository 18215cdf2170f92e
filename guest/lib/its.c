// SPDX-License-Identifier: MIT
/*
 * ITS bring-up in the order Linux uses: size and fill GITS_BASER<n> from what
 * each register reports, the command queue through GITS_CBASER/CWRITER, then
 * GITS_CTLR.Enabled.  The tables are flat and non-cacheable; with the MMU off
 * the guest's own accesses are too, so no cache maintenance is needed.
 */
#include "its.h"
#include "alloc.h"
#include "atomic.h"
#include "barrier.h"
#include "gic.h"
#include "mmio.h"
#include "smp.h"
#include "string.h"
#include "test.h"
#include "wait.h"

#define CMDQ_SIZE	 (64 * 1024)
#define MAX_DEV_ENTRIES	 4096u
#define MAX_COLL_ENTRIES 1024u

struct its_info its;
static spinlock_t cmd_lock;

static u64 its_reg(u32 off)
{
	return its.base + off;
}

/* Program one GITS_BASER for `want` entries; page size 4 KiB unless the ITS insists. */
static bool setup_baser(int n, u32 want, u32 *got)
{
	u64 reg = its_reg(GITS_BASER(n)), val = readq(reg);
	u32 esize = GITS_BASER_ESIZE(val);
	static const u64 psz_bytes[] = { 4096, 16384, 65536, 65536 };

	for (u32 psz = 0; psz < 3; psz++) {
		u64 page = psz_bytes[psz];
		u64 pages = MIN(ALIGN_UP((u64)want * esize, page) / page, 256ull);
		void *table = alloc_pages(pages * page, MAX(page, 65536ull));
		u64 v = GITS_BASER_VALID | (val & (GENMASK64(58, 56) | GENMASK64(52, 48))) |
			GIC_CACHE_NC << 59 | (u64)table | psz << 8 | (pages - 1);

		writeq(reg, v);
		u64 rb = readq(reg);
		if (GITS_BASER_PSZ(rb) != psz)
			continue; /* page size not supported: the field did not take */
		its.baser[n] = rb;
		*got = (u32)(pages * page / esize);
		return check(rb & GITS_BASER_VALID, "GITS_BASER%d.Valid does not stick (%lx)", n,
			     rb) &&
		       check((rb & GENMASK64(47, 12)) == (u64)table,
			     "GITS_BASER%d address %lx reads back as %lx", n, (u64)table, rb);
	}
	return check(false, "GITS_BASER%d accepts no page size", n);
}

bool its_init(void)
{
	if (!machine.has_its)
		return false;
	its.base = machine.its_base;
	its.typer = readq(its_reg(GITS_TYPER));
	its.pta = its.typer & GITS_TYPER_PTA;
	its.ite_size = GITS_TYPER_ITT_SIZE(its.typer);
	its.dev_bits = GITS_TYPER_DEVBITS(its.typer);
	its.event_bits = GITS_TYPER_IDBITS(its.typer);

	writel(its_reg(GITS_CTLR), 0);
	check(WAIT_UNTIL(readl(its_reg(GITS_CTLR)) & GITS_CTLR_QUIESCENT),
	      "GITS_CTLR.Quiescent stays clear with the ITS disabled");

	for (int n = 0; n < 8; n++) {
		u64 val = readq(its_reg(GITS_BASER(n)));
		u32 type = GITS_BASER_TYPE(val);
		if (type == GITS_BASER_TYPE_DEVICE) {
			u32 want = its.dev_bits >= 12 ? MAX_DEV_ENTRIES : 1u << its.dev_bits;
			setup_baser(n, want, &its.dev_entries);
		} else if (type == GITS_BASER_TYPE_COLLECTION) {
			setup_baser(n, MAX_COLL_ENTRIES, &its.coll_entries);
		}
	}
	check(its.dev_entries > 0, "no GITS_BASER of type Devices");

	its.cmdq = (u64)alloc_pages(CMDQ_SIZE, 65536);
	its.cmdq_size = CMDQ_SIZE;
	writeq(its_reg(GITS_CBASER),
	       GITS_CBASER_VALID | GIC_CACHE_NC << 59 | its.cmdq | (CMDQ_SIZE / 4096 - 1));
	u64 cb = readq(its_reg(GITS_CBASER));
	check((cb & GENMASK64(51, 12)) == its.cmdq && (cb & GITS_CBASER_VALID),
	      "GITS_CBASER reads %lx after writing queue %lx", cb, its.cmdq);
	its.cwriter = 0;
	writeq(its_reg(GITS_CWRITER), 0);
	writel(its_reg(GITS_CTLR), GITS_CTLR_ENABLED);

	/* One LPI property table shared by every redistributor. */
	its.lpi_id_bits = MIN(gic.id_bits, LPI_ID_BITS);
	its.prop_table = alloc_pages((1u << its.lpi_id_bits) - LPI_BASE, 65536);
	return true;
}

bool lpi_cpu_init(void)
{
	u64 rd = gic.cpu_rd[this_cpu()];
	void *pend = alloc_pages((1u << its.lpi_id_bits) / 8, 65536);

	if (readl(rd + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS)
		return check(false, "GICR_CTLR.EnableLPIs already set before LPI setup");
	writeq(rd + GICR_PROPBASER,
	       (u64)its.prop_table | GIC_CACHE_NC << 7 | (its.lpi_id_bits - 1));
	/* PTZ: the pending table is known to be zero. */
	writeq(rd + GICR_PENDBASER, BIT64(62) | (u64)pend | GIC_CACHE_NC << 7);
	u64 prop = readq(rd + GICR_PROPBASER), pb = readq(rd + GICR_PENDBASER);
	check((prop & GENMASK64(51, 12)) == (u64)its.prop_table,
	      "GICR_PROPBASER reads %lx, table at %p", prop, its.prop_table);
	check((pb & GENMASK64(51, 16)) == (u64)pend, "GICR_PENDBASER reads %lx, table at %p", pb,
	      pend);
	dsb(sy);
	writel(rd + GICR_CTLR, readl(rd + GICR_CTLR) | GICR_CTLR_ENABLE_LPIS);
	return check(readl(rd + GICR_CTLR) & GICR_CTLR_ENABLE_LPIS,
		     "GICR_CTLR.EnableLPIs does not stick");
}

u64 its_rdbase(int cpu)
{
	u64 rd = gic.cpu_rd[cpu];

	if (its.pta)
		return rd & GENMASK64(51, 16);
	return (u64)GICR_TYPER_PROCNUM(readq(rd + GICR_TYPER)) << 16;
}

void *its_alloc_itt(u32 event_bits)
{
	return alloc_pages(ALIGN_UP((1ull << event_bits) * its.ite_size, 256), 256);
}

u64 its_cmd_offset(void)
{
	return its.cwriter;
}

void its_queue(const u64 cmd[4])
{
	spin_lock(&cmd_lock);
	u32 next = (its.cwriter + 32) % its.cmdq_size;
	/*
	 * Full queue: one slot stays empty so that CREADR == CWRITER means empty.
	 * The last CREADR seen is enough until the writer catches up with it.
	 */
	if (next == its.creadr_seen) {
		its.creadr_seen = readq(its_reg(GITS_CREADR)) & GITS_OFFSET_MASK;
		if (next == its.creadr_seen) {
			writeq(its_reg(GITS_CWRITER), its.cwriter);
			WAIT_UNTIL((its.creadr_seen = readq(its_reg(GITS_CREADR)) &
						      GITS_OFFSET_MASK) != next);
		}
	}
	u64 *slot = (u64 *)(its.cmdq + its.cwriter);
	for (int i = 0; i < 4; i++)
		slot[i] = cmd[i];
	its.cwriter = next;
	spin_unlock(&cmd_lock);
}

bool its_flush(void)
{
	u64 creadr;

	spin_lock(&cmd_lock);
	dsb(sy); /* commands and table updates visible before the ITS reads them */
	writeq(its_reg(GITS_CWRITER), its.cwriter);
	bool done = WAIT_UNTIL(((creadr = readq(its_reg(GITS_CREADR))) & GITS_OFFSET_MASK) ==
				       its.cwriter ||
			       (creadr & GITS_CREADR_STALLED));
	its.creadr_seen = creadr & GITS_OFFSET_MASK;
	spin_unlock(&cmd_lock);
	if (creadr & GITS_CREADR_STALLED)
		its.stalled_seen = true;
	return check(done, "ITS command queue: GITS_CREADR %lx never reached CWRITER %x", creadr,
		     its.cwriter) &&
	       check(!(creadr & GITS_CREADR_STALLED), "ITS command queue stalled at %lx", creadr);
}

static void cmd4(u64 a, u64 b, u64 c, u64 d)
{
	u64 cmd[4] = { a, b, c, d };

	its_queue(cmd);
}

void its_mapd(u32 dev, void *itt, u32 event_bits, bool valid)
{
	cmd4(ITS_CMD_MAPD | (u64)dev << 32, event_bits - 1,
	     ((u64)itt & GENMASK64(51, 8)) | (valid ? BIT64(63) : 0), 0);
}

void its_mapc(u32 icid, int cpu, bool valid)
{
	cmd4(ITS_CMD_MAPC, 0, icid | its_rdbase(cpu) | (valid ? BIT64(63) : 0), 0);
}

void its_mapti(u32 dev, u32 event, u32 lpi, u32 icid)
{
	cmd4(ITS_CMD_MAPTI | (u64)dev << 32, event | (u64)lpi << 32, icid, 0);
}

void its_movi(u32 dev, u32 event, u32 icid)
{
	cmd4(ITS_CMD_MOVI | (u64)dev << 32, event, icid, 0);
}

void its_discard(u32 dev, u32 event)
{
	cmd4(ITS_CMD_DISCARD | (u64)dev << 32, event, 0, 0);
}

void its_inv(u32 dev, u32 event)
{
	cmd4(ITS_CMD_INV | (u64)dev << 32, event, 0, 0);
}

void its_invall(u32 icid)
{
	cmd4(ITS_CMD_INVALL, 0, icid, 0);
}

void its_int(u32 dev, u32 event)
{
	cmd4(ITS_CMD_INT | (u64)dev << 32, event, 0, 0);
}

void its_sync(int cpu)
{
	cmd4(ITS_CMD_SYNC, 0, its_rdbase(cpu), 0);
}

void lpi_set_config(u32 lpi, u8 prio, bool enable)
{
	its.prop_table[lpi - LPI_BASE] = (prio & 0xfc) | LPI_PROP_RES1 | (enable ? LPI_PROP_EN : 0);
	dsb(sy);
}

void its_translater_write(u32 event)
{
	dsb(sy);
	writel(its_reg(GITS_TRANSLATER), event);
}
