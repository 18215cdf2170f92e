// SPDX-License-Identifier: MIT
/*
 * GICv3 bring-up in the order the architecture asks for: distributor with
 * affinity routing, each CPU's redistributor woken through GICR_WAKER, then the
 * system-register CPU interface.  Everything is group 1.
 */
#include "gic.h"
#include "barrier.h"
#include "mmio.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "wait.h"

struct gic_info gic;

u32 mpidr_to_typer_aff(u64 mpidr)
{
	return MPIDR_AFF3(mpidr) << 24 | MPIDR_AFF2(mpidr) << 16 | MPIDR_AFF1(mpidr) << 8 |
	       MPIDR_AFF0(mpidr);
}

u64 mpidr_to_irouter(u64 mpidr)
{
	return mpidr & MPIDR_AFF_MASK;
}

bool gic_dist_wait_rwp(void)
{
	bool ok = WAIT_UNTIL(!(readl(gicd_base() + GICD_CTLR) & GICD_CTLR_RWP));

	return check(ok, "GICD_CTLR.RWP did not clear");
}

bool gic_redist_wait_rwp(u64 rd)
{
	bool ok = WAIT_UNTIL(!(readl(rd + GICR_CTLR) & GICR_CTLR_RWP));

	return check(ok, "GICR_CTLR.RWP of %lx did not clear", rd);
}

bool gic_redist_wake(u64 rd)
{
	writel(rd + GICR_WAKER, readl(rd + GICR_WAKER) & ~GICR_WAKER_PSLEEP);
	bool ok = WAIT_UNTIL(!(readl(rd + GICR_WAKER) & GICR_WAKER_CASLEEP));
	return check(ok, "GICR_WAKER.ChildrenAsleep of %lx stays set", rd);
}

/* Walk the redistributor region once: frames are 128 KiB, 256 KiB with VLPIS. */
static void find_frames(void)
{
	u64 base = machine.gicr_base, limit = machine.gicr_size;
	u64 off = 0;

	gic.nr_frames = 0;
	while (gic.nr_frames < GIC_MAX_FRAMES && (!limit || off < limit)) {
		u64 typer = readq(base + off + GICR_TYPER);
		gic.frame[gic.nr_frames] = base + off;
		gic.frame_typer[gic.nr_frames++] = typer;
		if (typer & GICR_TYPER_LAST)
			break;
		off += (typer & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000;
	}
}

void gic_dist_init(void)
{
	u64 d = gicd_base();
	u32 typer = readl(d + GICD_TYPER);

	gic.typer = typer;
	gic.nr_irqs = MIN(32 * (GICD_TYPER_ITLINES(typer) + 1), 1020u);
	gic.lpis = typer & GICD_TYPER_LPIS;
	gic.id_bits = GICD_TYPER_IDBITS(typer);
	gic.mbis = typer & GICD_TYPER_MBIS;
	gic.no1n = typer & GICD_TYPER_NO1N;

	writel(d + GICD_CTLR, 0);
	gic_dist_wait_rwp();
	gic.ds = readl(d + GICD_CTLR) & GICD_CTLR_DS;

	for (u32 i = 32; i < gic.nr_irqs; i += 32) {
		writel(d + GICD_IGROUPR + i / 8, ~0u);
		writel(d + GICD_ICENABLER + i / 8, ~0u);
		writel(d + GICD_ICACTIVER + i / 8, ~0u);
		writel(d + GICD_ICPENDR + i / 8, ~0u);
	}
	for (u32 i = 32; i < gic.nr_irqs; i += 4)
		writel(d + GICD_IPRIORITYR + i, 0x01010101u * GIC_DEFAULT_PRIO);
	for (u32 i = 32; i < gic.nr_irqs; i += 16)
		writel(d + GICD_ICFGR + i / 4, 0); /* level-sensitive */
	gic_dist_wait_rwp();

	/* With DS=1, bit 0 would enable group 0, which nothing here uses. */
	u32 ctlr = GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | (gic.ds ? 0 : GICD_CTLR_ENABLE_G0);
	writel(d + GICD_CTLR, ctlr);
	gic_dist_wait_rwp();

	for (u32 i = 32; i < gic.nr_irqs; i++)
		writeq(d + GICD_IROUTER + 8 * i, mpidr_to_irouter(machine.mpidr[0]));

	find_frames();
}

bool gic_redist_init(int cpu)
{
	u32 aff = mpidr_to_typer_aff(machine.mpidr[cpu]);
	u64 rd = 0;

	for (u32 i = 0; i < gic.nr_frames; i++)
		if (GICR_TYPER_AFF(gic.frame_typer[i]) == aff)
			rd = gic.frame[i];
	if (!check(rd != 0, "no redistributor frame for cpu %d (MPIDR %lx)", cpu,
		   machine.mpidr[cpu]))
		return false;
	gic.cpu_rd[cpu] = rd;

	gic_redist_wake(rd);
	writel(rd + GICR_IGROUPR0, ~0u);
	writel(rd + GICR_ICENABLER0, ~0u);
	writel(rd + GICR_ICACTIVER0, ~0u);
	writel(rd + GICR_ICPENDR0, ~0u);
	for (u32 i = 0; i < 32; i += 4)
		writel(rd + GICR_IPRIORITYR + i, 0x01010101u * GIC_DEFAULT_PRIO);
	gic_redist_wait_rwp(rd);
	return true;
}

void gic_cpuif_init(void)
{
	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | ICC_SRE_SRE);
	isb();
	check(read_sysreg(ICC_SRE_EL1) & ICC_SRE_SRE, "ICC_SRE_EL1.SRE does not stick");
	write_sysreg(ICC_PMR_EL1, 0xff);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_CTLR_EL1, read_sysreg(ICC_CTLR_EL1) & ~(ICC_CTLR_EOIMODE | ICC_CTLR_CBPR));
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
	if (this_cpu() == 0) {
		gic.pri_bits = ICC_CTLR_PRIBITS(read_sysreg(ICC_CTLR_EL1)) + 1;
		gic.pri_mask = (u8)(0xff << (8 - gic.pri_bits));
	}
}

/* Private interrupts live in the calling CPU's redistributor, SPIs in the distributor. */
static u64 bank_reg(u32 intid, u32 gicd_off, u32 gicr_off)
{
	if (intid < 32)
		return gic.cpu_rd[this_cpu()] + gicr_off;
	return gicd_base() + gicd_off + (intid / 32) * 4;
}

static void wait_rwp_for(u32 intid)
{
	if (intid < 32)
		gic_redist_wait_rwp(gic.cpu_rd[this_cpu()]);
	else
		gic_dist_wait_rwp();
}

void gic_irq_enable(u32 intid)
{
	writel(bank_reg(intid, GICD_ISENABLER, GICR_ISENABLER0), BIT(intid % 32));
}

void gic_irq_disable(u32 intid)
{
	writel(bank_reg(intid, GICD_ICENABLER, GICR_ICENABLER0), BIT(intid % 32));
	wait_rwp_for(intid);
}

void gic_irq_set_priority(u32 intid, u8 prio)
{
	u64 reg = intid < 32 ? gic.cpu_rd[this_cpu()] + GICR_IPRIORITYR + intid
			     : gicd_base() + GICD_IPRIORITYR + intid;
	writeb(reg, prio);
}

void gic_irq_set_edge(u32 intid, bool edge)
{
	u64 reg = intid < 32 ? gic.cpu_rd[this_cpu()] + GICR_ICFGR0 + (intid / 16) * 4
			     : gicd_base() + GICD_ICFGR + (intid / 16) * 4;
	u32 bit = BIT(2 * (intid % 16) + 1);
	u32 v = readl(reg);

	writel(reg, edge ? v | bit : v & ~bit);
}

void gic_irq_set_pending(u32 intid)
{
	writel(bank_reg(intid, GICD_ISPENDR, GICR_ISPENDR0), BIT(intid % 32));
}

void gic_irq_clear_pending(u32 intid)
{
	writel(bank_reg(intid, GICD_ICPENDR, GICR_ICPENDR0), BIT(intid % 32));
}

void gic_irq_clear_active(u32 intid)
{
	writel(bank_reg(intid, GICD_ICACTIVER, GICR_ICACTIVER0), BIT(intid % 32));
}

bool gic_irq_is_pending(u32 intid)
{
	return readl(bank_reg(intid, GICD_ISPENDR, GICR_ISPENDR0)) & BIT(intid % 32);
}

bool gic_irq_is_active(u32 intid)
{
	return readl(bank_reg(intid, GICD_ISACTIVER, GICR_ISACTIVER0)) & BIT(intid % 32);
}

bool gic_irq_is_enabled(u32 intid)
{
	return readl(bank_reg(intid, GICD_ISENABLER, GICR_ISENABLER0)) & BIT(intid % 32);
}

u32 gic_dist_sync(void)
{
	return readl(gicd_base() + GICD_CTLR);
}

void gic_spi_route(u32 intid, u64 mpidr)
{
	writeq(gicd_base() + GICD_IROUTER + 8 * intid, mpidr_to_irouter(mpidr));
	gic_dist_sync();
}

void gic_spi_route_any(u32 intid)
{
	writeq(gicd_base() + GICD_IROUTER + 8 * intid, GICD_IROUTER_IRM);
	gic_dist_sync();
}

u64 gic_sgi1r_for(u64 mpidr, u32 intid)
{
	u32 aff0 = MPIDR_AFF0(mpidr);

	return ICC_SGI1R_AFF3(MPIDR_AFF3(mpidr)) | ICC_SGI1R_AFF2(MPIDR_AFF2(mpidr)) |
	       ICC_SGI1R_AFF1(MPIDR_AFF1(mpidr)) | ICC_SGI1R_RS(aff0 / 16) |
	       ICC_SGI1R_INTID(intid) | BIT(aff0 % 16);
}

void gic_sgi1r_write(u64 val)
{
	/* Memory written before the SGI must be visible to its handler. */
	dsb(ish);
	write_sysreg(ICC_SGI1R_EL1, val);
	isb();
}

void gic_send_sgi(int cpu, u32 intid)
{
	gic_sgi1r_write(gic_sgi1r_for(machine.mpidr[cpu], intid));
}
