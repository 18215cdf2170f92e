// SPDX-License-Identifier: MIT
/*
 * gic-conformance: GICv3 register behaviour seen from inside the guest.
 *
 * Expectations come from Arm IHI 0069.  Where the architecture leaves a
 * choice to the implementation (number of priority bits, whether SGIs can be
 * disabled, PPI configurability, ...) the value is read from the hardware and
 * only its consistency is checked.  Register tests run with IRQs masked and
 * ICC_PMR_EL1 = 0, on interrupts that are disabled, and leave them clean.
 */
#include "gic.h"
#include "irq.h"
#include "its.h"
#include "mmio.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "testdev.h"
#include "timer.h"
#include "uart.h"
#include "wait.h"

static u64 gicd;

static bool reg_is(u64 addr, u32 want, const char *what)
{
	u32 v = readl(addr);

	return check(v == want, "%s reads %x, expected %x", what, v, want);
}

static u32 popcount8(u8 v)
{
	u32 n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Implemented priority bits are the top ones of the byte (IHI 0069 4.8). */
static bool contiguous_high(u8 m)
{
	return (u8)(m | (m - 1)) == 0xff || m == 0;
}

static void check_priority_mask(u8 m, const char *what)
{
	check(contiguous_high(m) && m, "%s: implemented priority bits %02x are not the top bits",
	      what, m);
	check(popcount8(m) >= 4, "%s: only %u priority bits (at least 16 levels required)", what,
	      popcount8(m));
}

static void test_identification(void)
{
	test_section("identification: ID_AA64PFR0_EL1, ICC_SRE_EL1, PIDR2, IIDR, GICD_TYPER");
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);
	check(FIELD(pfr0, 27, 24) >= 1, "ID_AA64PFR0_EL1.GIC = %lu, no system-register interface",
	      FIELD(pfr0, 27, 24));

	u64 sre = read_sysreg(ICC_SRE_EL1);
	check(sre & ICC_SRE_SRE, "ICC_SRE_EL1.SRE = 0 (%lx)", sre);
	test_info("ICC_SRE_EL1 = %lx", sre);

	u32 pidr2 = readl(gicd + GIC_PIDR2);
	check(PIDR2_ARCHREV(pidr2) == 3 || PIDR2_ARCHREV(pidr2) == 4,
	      "GICD_PIDR2.ArchRev = %u, expected 3 (GICv3) or 4", PIDR2_ARCHREV(pidr2));
	u32 iidr = readl(gicd + GICD_IIDR);
	test_info("GICD_IIDR = %08x (implementer %03x product %02x variant %u revision %u)", iidr,
		  iidr & 0xfff, iidr >> 24, (iidr >> 16) & 0xf, (iidr >> 12) & 0xf);

	u32 typer = readl(gicd + GICD_TYPER);
	u32 lines = GICD_TYPER_ITLINES(typer), nr = MIN(32 * (lines + 1), 1020u);
	test_info("GICD_TYPER = %08x: ITLinesNumber %u (INTIDs < %u), IDbits %u, LPIS %u, MBIS %u, "
		  "No1N %u, A3V %u, RSS %u",
		  typer, lines, nr, GICD_TYPER_IDBITS(typer), !!(typer & GICD_TYPER_LPIS),
		  !!(typer & GICD_TYPER_MBIS), !!(typer & GICD_TYPER_NO1N),
		  !!(typer & GICD_TYPER_A3V), !!(typer & GICD_TYPER_RSS));
	check(machine.max_dt_spi < nr,
	      "ITLinesNumber %u covers INTIDs < %u, but the DT names SPI INTID %u", lines, nr,
	      machine.max_dt_spi);
	if (testdev_present())
		check(testdev_spi_base() + testdev_spi_count() <= nr,
		      "test device lines %u..%u exceed the %u INTIDs of GICD_TYPER",
		      testdev_spi_base(), testdev_spi_base() + testdev_spi_count() - 1, nr);
	if (machine.has_its) {
		check(typer & GICD_TYPER_LPIS, "DT has an ITS but GICD_TYPER.LPIS = 0");
		check(GICD_TYPER_IDBITS(typer) >= 14, "GICD_TYPER.IDbits = %u, LPIs need >= 14",
		      GICD_TYPER_IDBITS(typer));
	}
	bool aff3 = false;
	for (u32 i = 0; i < machine.ncpus; i++)
		aff3 |= MPIDR_AFF3(machine.mpidr[i]) != 0;
	if (aff3)
		check(typer & GICD_TYPER_A3V, "a CPU has Aff3 != 0 but GICD_TYPER.A3V = 0");
	writel(gicd + GICD_TYPER, ~typer);
	reg_is(gicd + GICD_TYPER, typer, "GICD_TYPER after a write (read-only)");
	writel(gicd + GICD_IIDR, ~iidr);
	reg_is(gicd + GICD_IIDR, iidr, "GICD_IIDR after a write (read-only)");
}

static void test_gicd_ctlr(void)
{
	test_section("GICD_CTLR: DS and ARE read as one, group enables, RWP");
	u32 ctlr = readl(gicd + GICD_CTLR);
	check(ctlr & GICD_CTLR_DS, "GICD_CTLR.DS = 0: expected a single security state (%x)", ctlr);
	check(ctlr & GICD_CTLR_ARE, "GICD_CTLR.ARE = 0 after setting it (%x)", ctlr);
	if (ctlr & GICD_CTLR_DS)
		check(!(gic.typer & GICD_TYPER_SECEXTN), "GICD_TYPER.SecurityExtn = 1 with DS = 1");

	/* ICC_SRE_EL1.SRE is RAO/WI, so there is no legacy operation: ARE must stay set. */
	writel(gicd + GICD_CTLR, 0);
	gic_dist_wait_rwp();
	u32 v = readl(gicd + GICD_CTLR);
	check(v & GICD_CTLR_ARE, "GICD_CTLR.ARE cleared by a write of 0 (%x); expected RAO/WI", v);
	check(v & GICD_CTLR_DS, "GICD_CTLR.DS cleared by a write of 0 (%x); expected RAO/WI", v);
	check(!(v & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1)), "group enables stay set (%x)", v);

	writel(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	check(gic_dist_wait_rwp(), "GICD_CTLR.RWP clears after enabling group 1");
	v = readl(gicd + GICD_CTLR);
	check(v & GICD_CTLR_ENABLE_G1, "GICD_CTLR.EnableGrp1 does not stick (%x)", v);
	if (v & GICD_CTLR_DS) {
		writel(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G0);
		gic_dist_wait_rwp();
		v = readl(gicd + GICD_CTLR);
		check(v & GICD_CTLR_ENABLE_G0, "GICD_CTLR.EnableGrp0 does not stick with DS=1 (%x)",
		      v);
	}
	writel(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	gic_dist_wait_rwp();
	reg_is(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 | (v & GICD_CTLR_DS),
	       "GICD_CTLR restored");
}

/* Set/clear register pair on one 32-INTID block: ISxxx sets, ICxxx clears, both read state. */
static void set_clear_pair(const char *name, u64 set, u64 clr)
{
	writel(clr, ~0u);
	gic_dist_wait_rwp();
	reg_is(set, 0, name);
	writel(set, 0xA5A5A5A5);
	char what[64];
	snprintf(what, sizeof(what), "%s set pattern (S-register)", name);
	reg_is(set, 0xA5A5A5A5, what);
	snprintf(what, sizeof(what), "%s set pattern (C-register)", name);
	reg_is(clr, 0xA5A5A5A5, what);
	writel(set, 0);
	snprintf(what, sizeof(what), "%s after writing zeros (no effect)", name);
	reg_is(set, 0xA5A5A5A5, what);
	writel(clr, 0x0000FFFF);
	gic_dist_wait_rwp();
	snprintf(what, sizeof(what), "%s after clearing the low half", name);
	reg_is(set, 0xA5A50000, what);
	writel(clr, ~0u);
	gic_dist_wait_rwp();
	snprintf(what, sizeof(what), "%s after clearing all", name);
	reg_is(set, 0, what);
}

static void test_priority_bytes(u64 base, u32 first, const char *name, u8 *mask_out)
{
	u64 b = base + first;

	writeb(b, 0xff);
	u8 m = readb(b);
	check_priority_mask(m, name);
	*mask_out = m;
	writel(b, 0x80402010);
	u32 want = 0x80402010 & (0x01010101u * m);
	char what[64];
	snprintf(what, sizeof(what), "%s word written as 80402010", name);
	reg_is(b, want, what);
	for (int i = 0; i < 4; i++)
		check(readb(b + i) == ((want >> (8 * i)) & 0xff),
		      "%s byte %d reads %02x, word %08x", name, i, readb(b + i), want);
	writeb(b + 1, 0xff);
	want = (want & ~0xff00u) | (u32)m << 8;
	snprintf(what, sizeof(what), "%s after a byte write to byte 1", name);
	reg_is(b, want, what);
	writel(b, 0x01010101u * GIC_DEFAULT_PRIO);
}

static void test_spi_registers(void)
{
	u32 base = gic.nr_irqs - 32; /* last block: no device of either machine drives it */
	u32 bank = base / 32;

	test_section("SPI registers on INTIDs %u..%u", base, base + 31);
	u64 g = gicd + GICD_IGROUPR + 4 * bank;
	writel(g, 0);
	reg_is(g, 0, "GICD_IGROUPR after writing 0");
	writel(g, 0x5a5a5a5a);
	reg_is(g, 0x5a5a5a5a, "GICD_IGROUPR pattern");
	writel(g, ~0u);
	reg_is(g, ~0u, "GICD_IGROUPR all group 1");

	/* Edge-triggered first, so that pending is the software latch only. */
	writel(gicd + GICD_ICFGR + 8 * bank, 0xAAAAAAAA);
	writel(gicd + GICD_ICFGR + 8 * bank + 4, 0xAAAAAAAA);
	set_clear_pair("GICD_I[SC]ENABLER", gicd + GICD_ISENABLER + 4 * bank,
		       gicd + GICD_ICENABLER + 4 * bank);
	set_clear_pair("GICD_I[SC]PENDR", gicd + GICD_ISPENDR + 4 * bank,
		       gicd + GICD_ICPENDR + 4 * bank);
	set_clear_pair("GICD_I[SC]ACTIVER", gicd + GICD_ISACTIVER + 4 * bank,
		       gicd + GICD_ICACTIVER + 4 * bank);

	/* A level-sensitive SPI with its line low still latches a software pend. */
	writel(gicd + GICD_ICFGR + 8 * bank, 0);
	writel(gicd + GICD_ISPENDR + 4 * bank, BIT(3));
	check(readl(gicd + GICD_ISPENDR + 4 * bank) & BIT(3),
	      "software pend of level SPI %u not visible in GICD_ISPENDR", base + 3);
	writel(gicd + GICD_ICPENDR + 4 * bank, BIT(3));
	check(!(readl(gicd + GICD_ISPENDR + 4 * bank) & BIT(3)),
	      "GICD_ICPENDR does not clear the software pend of level SPI %u", base + 3);

	u8 m;
	test_priority_bytes(gicd + GICD_IPRIORITYR, base, "GICD_IPRIORITYR", &m);
	test_info("distributor priority bits: %02x (%u bits)", m, popcount8(m));

	/* ICFGR: Int_config[1] of each field is the edge bit; Int_config[0] is RES0. */
	u64 cfg = gicd + GICD_ICFGR + 8 * bank;
	writel(cfg, 0xffffffff);
	check((readl(cfg) & 0xAAAAAAAA) == 0xAAAAAAAA, "GICD_ICFGR edge bits not all settable (%x)",
	      readl(cfg));
	writel(cfg, 0x88888888);
	check((readl(cfg) & 0xAAAAAAAA) == 0x88888888, "GICD_ICFGR pattern 88888888 reads %x",
	      readl(cfg));
	writel(cfg, 0);
	check((readl(cfg) & 0xAAAAAAAA) == 0, "GICD_ICFGR all level reads %x", readl(cfg));
	writel(cfg + 4, 0);

	/* IROUTER: 64-bit register, 32-bit halves accessible separately. */
	u64 r = gicd + GICD_IROUTER + 8 * (base + 5);
	u64 last = mpidr_to_irouter(machine.mpidr[machine.ncpus - 1]);
	u64 first = mpidr_to_irouter(machine.mpidr[0]);
	writeq(r, last);
	u64 rv = readq(r);
	check(rv == last, "GICD_IROUTER 64-bit write %lx reads %lx", last, rv);
	check(readl(r) == (u32)last && readl(r + 4) == (u32)(last >> 32),
	      "GICD_IROUTER 32-bit halves read %x:%x, expected %lx", readl(r + 4), readl(r), last);
	writel(r, (u32)first);
	rv = readq(r);
	check(rv == ((last & ~0xffffffffull) | (u32)first),
	      "GICD_IROUTER after a low-half write of %x reads %lx", (u32)first, rv);
	writel(r + 4, (u32)(first >> 32));
	rv = readq(r);
	check(rv == first, "GICD_IROUTER after a high-half write reads %lx, expected %lx", rv,
	      first);
	writeq(r, GICD_IROUTER_IRM | first);
	rv = readq(r);
	if (gic.no1n)
		test_info("GICD_TYPER.No1N = 1: IROUTER.IRM reads %lu", FIELD(rv, 31, 31));
	else
		check(rv == (GICD_IROUTER_IRM | first), "GICD_IROUTER.IRM write reads %lx", rv);
	writeq(r, first);

	test_section("reserved and non-secure-only registers with ARE = 1, DS = 1");
	writel(gicd + GICD_ITARGETSR + base, 0x01010101);
	reg_is(gicd + GICD_ITARGETSR + base, 0, "GICD_ITARGETSR (RES0 with ARE)");
	writel(gicd + GICD_IGRPMODR + 4 * bank, ~0u);
	reg_is(gicd + GICD_IGRPMODR + 4 * bank, 0, "GICD_IGRPMODR (RAZ/WI with DS)");
	writel(gicd + GICD_NSACR + 8 * bank, ~0u);
	reg_is(gicd + GICD_NSACR + 8 * bank, 0, "GICD_NSACR (RAZ/WI with DS)");
	for (u32 i = 0; i < 32; i += 8) {
		writeq(gicd + GICD_IROUTER + 8 * i, ~0ull);
		check(readq(gicd + GICD_IROUTER + 8 * i) == 0,
		      "GICD_IROUTER%u (reserved, INTID < 32) is not RAZ/WI", i);
	}
	if (gic.nr_irqs < 1020) {
		/*
		 * Registers past ITLinesNumber are reserved; QEMU keeps state there, so
		 * this is reported, not checked.
		 */
		u32 beyond = gic.nr_irqs;
		writel(gicd + GICD_ISENABLER + beyond / 8, ~0u);
		u32 v = readl(gicd + GICD_ISENABLER + beyond / 8);
		writel(gicd + GICD_ICENABLER + beyond / 8, ~0u);
		test_info("GICD_ISENABLER%u (past ITLinesNumber) %s", beyond / 32,
			  v ? "keeps written bits" : "is RAZ/WI");
	}
}

static void test_gicd_private_raz(void)
{
	u64 rd = gic.cpu_rd[0];

	test_section("GICD registers of SGIs and PPIs are RAZ/WI with ARE = 1");
	u32 en_before = readl(rd + GICR_ISENABLER0), pri_before = readl(rd + GICR_IPRIORITYR);
	static const struct {
		u32 off;
		const char *name;
	} regs[] = {
		{ GICD_IGROUPR, "GICD_IGROUPR0" },
		{ GICD_ISENABLER, "GICD_ISENABLER0" },
		{ GICD_ICENABLER, "GICD_ICENABLER0" },
		{ GICD_ISPENDR, "GICD_ISPENDR0" },
		{ GICD_ICPENDR, "GICD_ICPENDR0" },
		{ GICD_ISACTIVER, "GICD_ISACTIVER0" },
		{ GICD_ICACTIVER, "GICD_ICACTIVER0" },
		{ GICD_IPRIORITYR, "GICD_IPRIORITYR0" },
		{ GICD_IPRIORITYR + 28, "GICD_IPRIORITYR7" },
		{ GICD_ICFGR, "GICD_ICFGR0" },
		{ GICD_ICFGR + 4, "GICD_ICFGR1" },
		{ GICD_ITARGETSR, "GICD_ITARGETSR0" },
		{ GICD_IGRPMODR, "GICD_IGRPMODR0" },
	};
	for (u32 i = 0; i < ARRAY_SIZE(regs); i++) {
		writel(gicd + regs[i].off, ~0u);
		reg_is(gicd + regs[i].off, 0, regs[i].name);
	}
	/* TargetListFilter 0b10: "this CPU only", INTID 15: must be ignored with ARE = 1. */
	writel(gicd + GICD_SGIR, 2u << 24 | 15);
	settle();
	check(!(readl(rd + GICR_ISPENDR0) & 0xffff), "GICD_SGIR write made SGIs pending (%x)",
	      readl(rd + GICR_ISPENDR0));
	check(readl(rd + GICR_ISENABLER0) == en_before,
	      "GICD_ISENABLER0 write leaked into GICR_ISENABLER0 (%x -> %x)", en_before,
	      readl(rd + GICR_ISENABLER0));
	check(readl(rd + GICR_IPRIORITYR) == pri_before,
	      "GICD_IPRIORITYR0 write leaked into GICR_IPRIORITYR0");
	writel(rd + GICR_ICPENDR0, ~0u);
	writel(rd + GICR_ICENABLER0, ~0u);
	gic_redist_wait_rwp(rd);
}

static void test_redist_frames(void)
{
	test_section("redistributor frames: GICR_TYPER affinity, Last, Processor_Number");
	u32 typer = readl(gicd + GICD_TYPER);
	check(gic.nr_frames == machine.ncpus, "%u redistributor frames up to Last, %u CPUs",
	      gic.nr_frames, machine.ncpus);
	for (u32 i = 0; i < gic.nr_frames; i++) {
		u64 f = gic.frame[i], t = readq(f + GICR_TYPER);
		bool last = t & GICR_TYPER_LAST;
		test_info("frame %u at %lx: GICR_TYPER %lx (affinity %08x, processor %u%s)", i, f,
			  t, GICR_TYPER_AFF(t), GICR_TYPER_PROCNUM(t), last ? ", Last" : "");
		check(last == (i == gic.nr_frames - 1), "frame %u: GICR_TYPER.Last = %d", i, last);
		check(readl(f + GICR_TYPER) == (u32)t &&
			      readl(f + GICR_TYPER + 4) == (u32)(t >> 32),
		      "frame %u: GICR_TYPER 32-bit halves differ from the 64-bit read", i);
		check(!!(t & GICR_TYPER_PLPIS) == !!(typer & GICD_TYPER_LPIS),
		      "frame %u: GICR_TYPER.PLPIS %d but GICD_TYPER.LPIS %d", i,
		      !!(t & GICR_TYPER_PLPIS), !!(typer & GICD_TYPER_LPIS));
		u32 pidr2 = readl(f + GIC_PIDR2);
		check(PIDR2_ARCHREV(pidr2) == 3 || PIDR2_ARCHREV(pidr2) == 4,
		      "frame %u: GICR_PIDR2.ArchRev = %u", i, PIDR2_ARCHREV(pidr2));
		u32 owners = 0;
		for (u32 c = 0; c < machine.ncpus; c++)
			owners += mpidr_to_typer_aff(machine.mpidr[c]) == GICR_TYPER_AFF(t);
		check(owners == 1, "frame %u: affinity %08x matches %u CPUs of the DT", i,
		      GICR_TYPER_AFF(t), owners);
		for (u32 j = 0; j < i; j++)
			check(GICR_TYPER_PROCNUM(readq(gic.frame[j] + GICR_TYPER)) !=
				      GICR_TYPER_PROCNUM(t),
			      "frames %u and %u share Processor_Number %u", j, i,
			      GICR_TYPER_PROCNUM(t));
	}
	if (machine.gicr_size)
		check(gic.nr_frames * 0x20000ull <= machine.gicr_size,
		      "frames extend past the DT's redistributor region (%lx bytes)",
		      machine.gicr_size);
	for (u32 c = 0; c < machine.ncpus; c++)
		check(gic.cpu_rd[c] != 0, "cpu%u has no redistributor frame", c);
}

/* Timer PPIs named by the DT (INTIDs 26, 27, 29, 30): certainly implemented. */
#define TIMER_PPIS (BIT(26) | BIT(27) | BIT(29) | BIT(30))

static u32 ppi_pattern(void)
{
	return TIMER_PPIS & ~BIT(26);
}

static void set_clear_private(u64 rd, const char *name, u32 set_off, u32 clr_off)
{
	u32 pat = 0x5a5a | ppi_pattern();
	u64 s = rd + set_off, c = rd + clr_off;

	writel(c, ~0u);
	gic_redist_wait_rwp(rd);
	check(!(readl(s) & (0xffff | TIMER_PPIS)), "%s not clear after clearing all (%x)", name,
	      readl(s));
	writel(s, pat);
	check((readl(s) & (0xffff | TIMER_PPIS)) == pat, "%s set %x reads %x", name, pat, readl(s));
	check((readl(c) & (0xffff | TIMER_PPIS)) == pat, "%s clear register reads %x, expected %x",
	      name, readl(c), pat);
	writel(c, 0x00ff | BIT(27));
	gic_redist_wait_rwp(rd);
	u32 want = pat & ~(0x00ffu | BIT(27));
	check((readl(s) & (0xffff | TIMER_PPIS)) == want,
	      "%s after partial clear reads %x, want %x", name, readl(s), want);
	writel(c, ~0u);
	gic_redist_wait_rwp(rd);
}

static void per_cpu_redist(void *arg)
{
	int cpu = this_cpu();
	u64 rd = gic.cpu_rd[cpu];
	u64 flags = irq_save();
	u8 m;

	(void)arg;
	write_sysreg(ICC_PMR_EL1, 0);
	isb();

	u32 w = readl(rd + GICR_WAKER);
	check(!(w & (GICR_WAKER_PSLEEP | GICR_WAKER_CASLEEP)), "cpu%d: GICR_WAKER %x while awake",
	      cpu, w);
	writel(rd + GICR_WAKER, w | GICR_WAKER_PSLEEP);
	check(WAIT_UNTIL(readl(rd + GICR_WAKER) & GICR_WAKER_CASLEEP),
	      "cpu%d: GICR_WAKER.ChildrenAsleep not set after ProcessorSleep", cpu);
	check(gic_redist_wake(rd), "cpu%d: redistributor does not wake up", cpu);

	u32 ctlr = readl(rd + GICR_CTLR);
	check(!(ctlr & GICR_CTLR_ENABLE_LPIS), "cpu%d: GICR_CTLR.EnableLPIs set at reset (%x)", cpu,
	      ctlr);
	if (!(ctlr & GICR_CTLR_ENABLE_LPIS) && (readq(rd + GICR_TYPER) & GICR_TYPER_PLPIS)) {
		u64 prop = 0x40400000ull | GIC_CACHE_NC << 7 | 13, pend = 0x40410000ull;
		writeq(rd + GICR_PROPBASER, prop);
		writeq(rd + GICR_PENDBASER, pend);
		check((readq(rd + GICR_PROPBASER) & GENMASK64(51, 12)) == 0x40400000ull,
		      "cpu%d: GICR_PROPBASER address does not read back (%lx)", cpu,
		      readq(rd + GICR_PROPBASER));
		check((readq(rd + GICR_PENDBASER) & GENMASK64(51, 16)) == 0x40410000ull,
		      "cpu%d: GICR_PENDBASER address does not read back (%lx)", cpu,
		      readq(rd + GICR_PENDBASER));
	}

	writel(rd + GICR_IGROUPR0, 0);
	check(readl(rd + GICR_IGROUPR0) == 0, "cpu%d: GICR_IGROUPR0 = %x after writing 0", cpu,
	      readl(rd + GICR_IGROUPR0));
	writel(rd + GICR_IGROUPR0, ~0u);
	check(readl(rd + GICR_IGROUPR0) == ~0u, "cpu%d: GICR_IGROUPR0 = %x after writing ~0", cpu,
	      readl(rd + GICR_IGROUPR0));

	/* SGI enables may be RAO/WI (IMPLEMENTATION DEFINED); PPI enables are RW. */
	writel(rd + GICR_ICENABLER0, ~0u);
	gic_redist_wait_rwp(rd);
	u32 sgi_en = readl(rd + GICR_ISENABLER0) & 0xffff;
	check(sgi_en == 0 || sgi_en == 0xffff, "cpu%d: SGI enables partly cleared (%x)", cpu,
	      sgi_en);
	writel(rd + GICR_ISENABLER0, TIMER_PPIS);
	check((readl(rd + GICR_ISENABLER0) & TIMER_PPIS) == TIMER_PPIS,
	      "cpu%d: GICR_ISENABLER0 timer PPIs read %x", cpu, readl(rd + GICR_ISENABLER0));
	writel(rd + GICR_ICENABLER0, BIT(27));
	gic_redist_wait_rwp(rd);
	check((readl(rd + GICR_ICENABLER0) & TIMER_PPIS) == (TIMER_PPIS & ~BIT(27)),
	      "cpu%d: GICR_ICENABLER0 after clearing PPI 27 reads %x", cpu,
	      readl(rd + GICR_ICENABLER0));
	writel(rd + GICR_ICENABLER0, ~0u);
	gic_redist_wait_rwp(rd);
	if (cpu == 0)
		test_info("SGIs %s", sgi_en ? "are permanently enabled" : "can be disabled");

	set_clear_private(rd, "GICR_I[SC]PENDR0", GICR_ISPENDR0, GICR_ICPENDR0);
	set_clear_private(rd, "GICR_I[SC]ACTIVER0", GICR_ISACTIVER0, GICR_ICACTIVER0);

	char name[40];
	snprintf(name, sizeof(name), "cpu%d GICR_IPRIORITYR", cpu);
	test_priority_bytes(rd + GICR_IPRIORITYR, 8, name, &m);
	test_priority_bytes(rd + GICR_IPRIORITYR, 24, name, &m);

	check(readl(rd + GICR_ICFGR0) == 0xAAAAAAAA, "cpu%d: GICR_ICFGR0 = %x, SGIs must be edge",
	      cpu, readl(rd + GICR_ICFGR0));
	writel(rd + GICR_ICFGR0, 0);
	check(readl(rd + GICR_ICFGR0) == 0xAAAAAAAA, "cpu%d: GICR_ICFGR0 is writable (%x)", cpu,
	      readl(rd + GICR_ICFGR0));
	if (cpu == 0)
		test_info("GICR_ICFGR1 (PPIs, configurability IMPLEMENTATION DEFINED) = %08x",
			  readl(rd + GICR_ICFGR1));
	writel(rd + GICR_IGRPMODR0, ~0u);
	check(readl(rd + GICR_IGRPMODR0) == 0, "cpu%d: GICR_IGRPMODR0 not RAZ/WI with DS (%x)", cpu,
	      readl(rd + GICR_IGRPMODR0));

	writel(rd + GICR_ICPENDR0, ~0u);
	writel(rd + GICR_ICACTIVER0, ~0u);
	gic_redist_wait_rwp(rd);
	write_sysreg(ICC_PMR_EL1, 0xff);
	isb();
	irq_restore(flags);
}

static void per_cpu_cpuif(void *arg)
{
	int cpu = this_cpu();
	u64 rd = gic.cpu_rd[cpu];
	u64 flags = irq_save();

	(void)arg;
	write_sysreg(ICC_SRE_EL1, 0);
	isb();
	check(read_sysreg(ICC_SRE_EL1) & ICC_SRE_SRE, "cpu%d: ICC_SRE_EL1.SRE is not RAO/WI", cpu);

	write_sysreg(ICC_PMR_EL1, 0xff);
	isb();
	u8 m = (u8)read_sysreg(ICC_PMR_EL1);
	check_priority_mask(m, "ICC_PMR_EL1");
	u64 ctlr = read_sysreg(ICC_CTLR_EL1);
	check(ICC_CTLR_PRIBITS(ctlr) + 1 == popcount8(m),
	      "cpu%d: ICC_CTLR_EL1.PRIbits says %lu bits, ICC_PMR_EL1 keeps %u (%02x)", cpu,
	      ICC_CTLR_PRIBITS(ctlr) + 1, popcount8(m), m);
	check(ICC_CTLR_IDBITS(ctlr) <= 1, "cpu%d: ICC_CTLR_EL1.IDbits = %lu", cpu,
	      ICC_CTLR_IDBITS(ctlr));
	if (cpu == 0)
		test_info("ICC_CTLR_EL1 = %lx: PRIbits %lu, IDbits %s, SEIS %d, A3V %d, RSS %d; "
			  "PMR keeps %02x",
			  ctlr, ICC_CTLR_PRIBITS(ctlr) + 1, ICC_CTLR_IDBITS(ctlr) ? "24" : "16",
			  !!(ctlr & ICC_CTLR_SEIS), !!(ctlr & ICC_CTLR_A3V),
			  !!(ctlr & ICC_CTLR_RSS), m);
	write_sysreg(ICC_PMR_EL1, 0);
	isb();
	check(read_sysreg(ICC_PMR_EL1) == 0, "cpu%d: ICC_PMR_EL1 = %lx after writing 0", cpu,
	      read_sysreg(ICC_PMR_EL1));

	write_sysreg(ICC_CTLR_EL1, ctlr | ICC_CTLR_EOIMODE);
	isb();
	check(read_sysreg(ICC_CTLR_EL1) & ICC_CTLR_EOIMODE, "cpu%d: ICC_CTLR_EL1.EOImode not RW",
	      cpu);
	write_sysreg(ICC_CTLR_EL1, (ctlr & ~ICC_CTLR_EOIMODE) ^ (7u << 8));
	isb();
	u64 c2 = read_sysreg(ICC_CTLR_EL1);
	check(!(c2 & ICC_CTLR_EOIMODE), "cpu%d: ICC_CTLR_EL1.EOImode does not clear", cpu);
	check(ICC_CTLR_PRIBITS(c2) == ICC_CTLR_PRIBITS(ctlr),
	      "cpu%d: ICC_CTLR_EL1.PRIbits (read-only) changed by a write", cpu);

	write_sysreg(ICC_BPR1_EL1, 0);
	isb();
	u64 bmin = read_sysreg(ICC_BPR1_EL1);
	check(bmin <= 7, "cpu%d: ICC_BPR1_EL1 minimum %lu", cpu, bmin);
	write_sysreg(ICC_BPR1_EL1, 7);
	isb();
	check(read_sysreg(ICC_BPR1_EL1) == 7, "cpu%d: ICC_BPR1_EL1 = %lu after writing 7", cpu,
	      read_sysreg(ICC_BPR1_EL1));
	write_sysreg(ICC_BPR1_EL1, 4);
	isb();
	check(read_sysreg(ICC_BPR1_EL1) == MAX(4, bmin),
	      "cpu%d: ICC_BPR1_EL1 = %lu after writing 4", cpu, read_sysreg(ICC_BPR1_EL1));
	write_sysreg(ICC_BPR1_EL1, 0);
	if (cpu == 0)
		test_info("ICC_BPR1_EL1 minimum (write 0) = %lu", bmin);

	write_sysreg(ICC_IGRPEN1_EL1, 0);
	isb();
	check(read_sysreg(ICC_IGRPEN1_EL1) == 0, "cpu%d: ICC_IGRPEN1_EL1 does not clear", cpu);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
	check(read_sysreg(ICC_IGRPEN1_EL1) == 1, "cpu%d: ICC_IGRPEN1_EL1 does not set", cpu);

	/* Idle: nothing active, nothing pending. */
	check(read_sysreg(ICC_RPR_EL1) == 0xff, "cpu%d: idle ICC_RPR_EL1 = %lx, expected ff", cpu,
	      read_sysreg(ICC_RPR_EL1));
	check(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == INTID_SPURIOUS,
	      "cpu%d: idle ICC_HPPIR1_EL1 = %lx", cpu, read_sysreg(ICC_HPPIR1_EL1));
	check(read_sysreg(ICC_AP1R0_EL1) == 0, "cpu%d: idle ICC_AP1R0_EL1 = %lx", cpu,
	      read_sysreg(ICC_AP1R0_EL1));
	check(ICC_IAR_INTID(read_sysreg(ICC_IAR1_EL1)) == INTID_SPURIOUS,
	      "cpu%d: ICC_IAR1_EL1 with nothing pending is not 1023", cpu);

	/* One acknowledge cycle on SGI 5, pended through GICR_ISPENDR0. */
	u32 sgi = 5;
	u8 prio = 0x80;
	gic_irq_set_priority(sgi, prio);
	gic_irq_enable(sgi);
	writel(rd + GICR_ISPENDR0, BIT(sgi));
	check(WAIT_UNTIL(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == sgi),
	      "cpu%d: ICC_HPPIR1_EL1 = %lx with SGI %u pending (PMR 0)", cpu,
	      read_sysreg(ICC_HPPIR1_EL1), sgi);
	check(ICC_IAR_INTID(read_sysreg(ICC_IAR1_EL1)) == INTID_SPURIOUS,
	      "cpu%d: ICC_IAR1_EL1 acknowledged an interrupt masked by ICC_PMR_EL1 = 0", cpu);
	write_sysreg(ICC_PMR_EL1, 0xff);
	isb();
	u32 iar = (u32)read_sysreg(ICC_IAR1_EL1);
	check(ICC_IAR_INTID(iar) == sgi, "cpu%d: ICC_IAR1_EL1 = %x, expected SGI %u", cpu, iar,
	      sgi);
	if (ICC_IAR_INTID(iar) == sgi) {
		check(read_sysreg(ICC_RPR_EL1) == (prio & m),
		      "cpu%d: ICC_RPR_EL1 = %lx in SGI %u, priority %02x", cpu,
		      read_sysreg(ICC_RPR_EL1), sgi, prio & m);
		check(readl(rd + GICR_ISACTIVER0) & BIT(sgi), "cpu%d: SGI %u not active after IAR",
		      cpu, sgi);
		check(!(readl(rd + GICR_ISPENDR0) & BIT(sgi)),
		      "cpu%d: SGI %u still pending after IAR", cpu, sgi);
		check(read_sysreg(ICC_AP1R0_EL1) != 0, "cpu%d: ICC_AP1R0_EL1 = 0 while SGI active",
		      cpu);
		gic_eoi(iar);
		check(read_sysreg(ICC_RPR_EL1) == 0xff, "cpu%d: ICC_RPR_EL1 = %lx after EOI", cpu,
		      read_sysreg(ICC_RPR_EL1));
		check(!(readl(rd + GICR_ISACTIVER0) & BIT(sgi)), "cpu%d: SGI %u active after EOI",
		      cpu, sgi);
	}
	gic_irq_disable(sgi);
	gic_irq_set_priority(sgi, GIC_DEFAULT_PRIO);
	irq_restore(flags);
}

static void test_its(void)
{
	if (!machine.has_its) {
		test_skip("no ITS in the device tree");
		return;
	}
	u64 b = machine.its_base;
	test_section("ITS at %lx: GITS_PIDR2, CTLR, TYPER, BASER<n>, CBASER, CWRITER/CREADR", b);
	u32 pidr2 = readl(b + GIC_PIDR2);
	check(PIDR2_ARCHREV(pidr2) == 3 || PIDR2_ARCHREV(pidr2) == 4, "GITS_PIDR2.ArchRev = %u",
	      PIDR2_ARCHREV(pidr2));
	u32 ctlr = readl(b + GITS_CTLR);
	check(!(ctlr & GITS_CTLR_ENABLED), "GITS_CTLR.Enabled = 1 at reset (%x)", ctlr);
	check(ctlr & GITS_CTLR_QUIESCENT, "GITS_CTLR.Quiescent = 0 while disabled (%x)", ctlr);
	u64 t = readq(b + GITS_TYPER);
	test_info("GITS_TYPER = %lx: Physical %d, ITT entry %u bytes, EventID bits %u, DeviceID "
		  "bits %u, SEIS %d, PTA %d, HCC %u, CIL %d (CIDbits %u)",
		  t, !!(t & GITS_TYPER_PHYSICAL), GITS_TYPER_ITT_SIZE(t), GITS_TYPER_IDBITS(t),
		  GITS_TYPER_DEVBITS(t), !!(t & GITS_TYPER_SEIS), !!(t & GITS_TYPER_PTA),
		  GITS_TYPER_HCC(t), !!(t & GITS_TYPER_CIL), GITS_TYPER_CIDBITS(t));
	test_info("GITS_IIDR = %08x", readl(b + GITS_IIDR));
	check(t & GITS_TYPER_PHYSICAL, "GITS_TYPER.Physical = 0: no physical LPIs");
	check(GITS_TYPER_ITT_SIZE(t) >= 2, "GITS_TYPER.ITT_entry_size %u bytes is too small",
	      GITS_TYPER_ITT_SIZE(t));
	check(readl(b + GITS_TYPER) == (u32)t && readl(b + GITS_TYPER + 4) == (u32)(t >> 32),
	      "GITS_TYPER 32-bit halves differ from the 64-bit read");
	writeq(b + GITS_TYPER, ~t);
	check(readq(b + GITS_TYPER) == t, "GITS_TYPER changed by a write");

	u32 devices = 0, collections = 0;
	for (int n = 0; n < 8; n++) {
		u64 v = readq(b + GITS_BASER(n));
		u32 type = GITS_BASER_TYPE(v);
		if (!type)
			continue;
		test_info("GITS_BASER%d = %lx: type %u, entry %u bytes", n, v, type,
			  GITS_BASER_ESIZE(v));
		devices += type == GITS_BASER_TYPE_DEVICE;
		collections += type == GITS_BASER_TYPE_COLLECTION;
		check(!(v & GITS_BASER_VALID), "GITS_BASER%d valid at reset", n);
		writeq(b + GITS_BASER(n), v ^ (7ull << 56) ^ (0x1full << 48));
		u64 r = readq(b + GITS_BASER(n));
		check(GITS_BASER_TYPE(r) == type && GITS_BASER_ESIZE(r) == GITS_BASER_ESIZE(v),
		      "GITS_BASER%d Type/Entry_Size are not read-only (%lx -> %lx)", n, v, r);
		writeq(b + GITS_BASER(n), v);
	}
	check(devices == 1, "%u GITS_BASER<n> of type Devices, expected 1", devices);
	check(collections == 1 || GITS_TYPER_HCC(t) > 0,
	      "no Collections table and GITS_TYPER.HCC = 0");

	u64 q = 0x40500000ull;
	writeq(b + GITS_CBASER, GITS_CBASER_VALID | GIC_CACHE_NC << 59 | q | 0);
	u64 cb = readq(b + GITS_CBASER);
	check((cb & GENMASK64(51, 12)) == q && (cb & GITS_CBASER_VALID),
	      "GITS_CBASER reads %lx after writing queue %lx", cb, q);
	check((readq(b + GITS_CREADR) & GITS_OFFSET_MASK) == 0, "GITS_CREADR = %lx after CBASER",
	      readq(b + GITS_CREADR));
	writeq(b + GITS_CWRITER, 0x60);
	check(readq(b + GITS_CWRITER) == 0x60, "GITS_CWRITER = %lx after writing 60",
	      readq(b + GITS_CWRITER));
	check((readq(b + GITS_CREADR) & GITS_OFFSET_MASK) == 0,
	      "GITS_CREADR moved (%lx) with the ITS disabled", readq(b + GITS_CREADR));
	writeq(b + GITS_CBASER, 0);
	check((readq(b + GITS_CREADR) & GITS_OFFSET_MASK) == 0,
	      "GITS_CREADR not reset by a GITS_CBASER write");
	writeq(b + GITS_CWRITER, 0);
}

static enum irq_ret unexpected(u32 intid, u32 iar)
{
	(void)iar;
	check(false, "unexpected interrupt %u", intid);
	return IRQ_EOI;
}

void test_main(void)
{
	gicd = gicd_base();
	irq_set_handler(unexpected);
	smp_boot_secondaries();

	irq_disable();
	write_sysreg(ICC_PMR_EL1, 0);
	isb();
	test_identification();
	test_gicd_ctlr();
	test_spi_registers();
	test_gicd_private_raz();
	test_redist_frames();
	write_sysreg(ICC_PMR_EL1, 0xff);
	isb();
	irq_enable();

	test_section("per-CPU redistributor: WAKER, PROPBASER, SGI_base registers");
	smp_call_all(per_cpu_redist, NULL);
	test_section("per-CPU CPU interface: SRE, CTLR, PMR, BPR1, IGRPEN1, RPR, HPPIR1, IAR1");
	smp_call_all(per_cpu_cpuif, NULL);
	test_its();
}
