/* SPDX-License-Identifier: MIT */
/* GICv3 distributor and redistributor layout (Arm IHI 0069, chapter 12) and driver API. */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include "fdt.h"
#include "types.h"

/* Distributor. */
#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_TYPER2	0x000C
#define GICD_STATUSR	0x0010
#define GICD_SETSPI_NSR 0x0040
#define GICD_CLRSPI_NSR 0x0048
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_ISACTIVER	0x0300
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR	0x0800
#define GICD_ICFGR	0x0C00
#define GICD_IGRPMODR	0x0D00
#define GICD_NSACR	0x0E00
#define GICD_SGIR	0x0F00
#define GICD_IROUTER	0x6000
#define GIC_PIDR2	0xFFE8

#define GICD_CTLR_ENABLE_G0   BIT(0)
#define GICD_CTLR_ENABLE_G1   BIT(1)
#define GICD_CTLR_ARE	      BIT(4)
#define GICD_CTLR_DS	      BIT(6)
#define GICD_CTLR_RWP	      BIT(31)
#define GICD_TYPER_ITLINES(t) ((t)&0x1f)
#define GICD_TYPER_SECEXTN    BIT(10)
#define GICD_TYPER_MBIS	      BIT(16)
#define GICD_TYPER_LPIS	      BIT(17)
#define GICD_TYPER_IDBITS(t)  ((((t) >> 19) & 0x1f) + 1)
#define GICD_TYPER_A3V	      BIT(24)
#define GICD_TYPER_NO1N	      BIT(25)
#define GICD_TYPER_RSS	      BIT(26)
#define GICD_IROUTER_IRM      BIT64(31)
#define PIDR2_ARCHREV(v)      (((v) >> 4) & 0xf)

/* Redistributor: RD_base frame, then SGI_base 64 KiB above it. */
#define GICR_CTLR	0x0000
#define GICR_IIDR	0x0004
#define GICR_TYPER	0x0008
#define GICR_STATUSR	0x0010
#define GICR_WAKER	0x0014
#define GICR_PROPBASER	0x0070
#define GICR_PENDBASER	0x0078
#define GICR_SGI_BASE	0x10000
#define GICR_IGROUPR0	(GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI_BASE + 0x0180)
#define GICR_ISPENDR0	(GICR_SGI_BASE + 0x0200)
#define GICR_ICPENDR0	(GICR_SGI_BASE + 0x0280)
#define GICR_ISACTIVER0 (GICR_SGI_BASE + 0x0300)
#define GICR_ICACTIVER0 (GICR_SGI_BASE + 0x0380)
#define GICR_IPRIORITYR (GICR_SGI_BASE + 0x0400)
#define GICR_ICFGR0	(GICR_SGI_BASE + 0x0C00)
#define GICR_ICFGR1	(GICR_SGI_BASE + 0x0C04)
#define GICR_IGRPMODR0	(GICR_SGI_BASE + 0x0D00)

#define GICR_CTLR_ENABLE_LPIS BIT(0)
#define GICR_CTLR_RWP	      BIT(3)
#define GICR_CTLR_UWP	      BIT(31)
#define GICR_WAKER_PSLEEP     BIT(1)
#define GICR_WAKER_CASLEEP    BIT(2)
#define GICR_TYPER_PLPIS      BIT64(0)
#define GICR_TYPER_VLPIS      BIT64(1)
#define GICR_TYPER_LAST	      BIT64(4)
#define GICR_TYPER_PROCNUM(t) ((u32)(((t) >> 8) & 0xffff))
#define GICR_TYPER_AFF(t)     ((u32)((t) >> 32))

#define GIC_DEFAULT_PRIO 0xa0
#define GIC_MAX_FRAMES	 MAX_CPUS

struct gic_info {
	u32 typer;
	u32 nr_irqs; /* INTIDs 0 .. nr_irqs-1 are SGIs, PPIs and implemented SPIs */
	bool lpis;
	u32 id_bits;
	bool ds;
	bool mbis;
	bool no1n;
	u32 pri_bits;  /* CPU interface, from ICC_CTLR_EL1.PRIbits */
	u8 pri_mask;   /* implemented priority bits of the CPU interface */
	u32 nr_frames; /* redistributor frames found */
	u64 frame[GIC_MAX_FRAMES];
	u64 frame_typer[GIC_MAX_FRAMES];
	u64 cpu_rd[MAX_CPUS]; /* RD_base of each logical CPU's redistributor */
};

extern struct gic_info gic;

static inline u64 gicd_base(void)
{
	return machine.gicd_base;
}

/* Affinity of an MPIDR as GICR_TYPER and GICD_IROUTER encode it. */
u32 mpidr_to_typer_aff(u64 mpidr);
u64 mpidr_to_irouter(u64 mpidr);

void gic_dist_init(void);
/* Find, wake and configure this CPU's redistributor; false if no frame matches. */
bool gic_redist_init(int cpu);
void gic_cpuif_init(void);
bool gic_dist_wait_rwp(void);
bool gic_redist_wait_rwp(u64 rd);
bool gic_redist_wake(u64 rd);

/* Per-INTID helpers; SGIs and PPIs act on the calling CPU's redistributor. */
void gic_irq_enable(u32 intid);
void gic_irq_disable(u32 intid);
void gic_irq_set_priority(u32 intid, u8 prio);
void gic_irq_set_edge(u32 intid, bool edge);
void gic_irq_set_pending(u32 intid);
void gic_irq_clear_pending(u32 intid);
void gic_irq_clear_active(u32 intid);
bool gic_irq_is_pending(u32 intid);
bool gic_irq_is_active(u32 intid);
bool gic_irq_is_enabled(u32 intid);
/*
 * A distributor read: it returns only after every earlier GICD write took
 * effect, so a device interrupt raised next (through another path than the
 * vCPU's register writes) sees the new configuration.
 */
u32 gic_dist_sync(void);
/* Routing changes end with gic_dist_sync(). */
void gic_spi_route(u32 intid, u64 mpidr);
void gic_spi_route_any(u32 intid);

/* SGIs: ICC_SGI1R_EL1 value for one target CPU, and the raw write. */
u64 gic_sgi1r_for(u64 mpidr, u32 intid);
void gic_sgi1r_write(u64 val);
void gic_send_sgi(int cpu, u32 intid);

#endif
