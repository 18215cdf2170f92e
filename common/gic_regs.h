/* SPDX-License-Identifier: MIT */
/*
 * GICv3/ITS register layout (Arm IHI 0069) as splitgic implements it.
 * Shared by gicd-server, its-server and vcpu-agent: the one place that names
 * offsets, fields and the identification values the guest sees.
 */
#ifndef SPLITGIC_GIC_REGS_H
#define SPLITGIC_GIC_REGS_H

#include <stdint.h>

/* ------------------------------------------------------------ INTID space */

#define GIC_NR_SGIS	   16u
#define GIC_NR_PRIVATE	   32u /* SGIs + PPIs */
#define GIC_SPI_BASE	   32u
#define GIC_MAX_SPI_INTID  1019u
#define GIC_MAX_NR_SPIS	   988u /* INTIDs 32..1019 */
#define GIC_INTID_SPURIOUS 1023u
#define GIC_LPI_BASE	   8192u
#define GIC_LPI_ID_BITS	   16u /* GICD_TYPER.IDbits + 1: LPIs 8192..65535 */
#define GIC_NR_LPIS	   ((1u << GIC_LPI_ID_BITS) - GIC_LPI_BASE)

static inline int gic_intid_is_sgi(uint32_t id)
{
	return id < GIC_NR_SGIS;
}
static inline int gic_intid_is_ppi(uint32_t id)
{
	return id >= GIC_NR_SGIS && id < GIC_NR_PRIVATE;
}
static inline int gic_intid_is_spi(uint32_t id)
{
	return id >= GIC_SPI_BASE && id <= GIC_MAX_SPI_INTID;
}
static inline int gic_intid_is_lpi(uint32_t id)
{
	return id >= GIC_LPI_BASE && id < (1u << GIC_LPI_ID_BITS);
}

/* Well-known PPIs (KVM_CAP_ARM_USER_IRQ device_irq_level bits map here). */
#define GIC_PPI_PMU    23u
#define GIC_PPI_VTIMER 27u
#define GIC_PPI_PTIMER 30u

/* ---------------------------------------------------------- frame sizes */

#define GICD_FRAME_SIZE	   0x10000u
#define GICR_RD_FRAME_SIZE 0x10000u
#define GICR_FRAME_SIZE	   0x20000u /* RD_base + SGI_base, per vCPU */
#define GICR_SGI_BASE	   0x10000u /* SGI_base within a redistributor */
#define GITS_FRAME_SIZE	   0x20000u /* control page + translation page */

/* Default guest address map, QEMU "virt" compatible (DESIGN §2). */
#define SG_DEFAULT_GICD_BASE 0x08000000ull
#define SG_DEFAULT_ITS_BASE  0x08080000ull
#define SG_DEFAULT_GICR_BASE 0x080A0000ull

/* ----------------------------------------------- identification values */

/* IIDR: Implementer = Arm's JEP106 code as virtual GICs use, ProductID 'S'. */
#define SG_IIDR_IMPLEMENTER 0x43Bu
#define SG_IIDR_PRODUCT	    0x53u
#define SG_IIDR_REVISION    1u
#define SG_IIDR		    ((SG_IIDR_PRODUCT << 24) | (SG_IIDR_REVISION << 12) | SG_IIDR_IMPLEMENTER)

/* Peripheral/component ID registers, common to GICD, GICR and GITS. */
#define GIC_PIDR4		0xFFD0u
#define GIC_PIDR5		0xFFD4u
#define GIC_PIDR6		0xFFD8u
#define GIC_PIDR7		0xFFDCu
#define GIC_PIDR0		0xFFE0u
#define GIC_PIDR1		0xFFE4u
#define GIC_PIDR2		0xFFE8u
#define GIC_PIDR3		0xFFECu
#define GIC_CIDR0		0xFFF0u
#define GIC_CIDR1		0xFFF4u
#define GIC_CIDR2		0xFFF8u
#define GIC_CIDR3		0xFFFCu
#define GIC_IDREGS_START	GIC_PIDR4
#define GIC_PIDR2_ARCHREV_GICV3 (3u << 4)
#define GIC_PIDR2_JEDEC		(1u << 3)

/* The value of an ID register at `offset` (GIC_PIDR4..GIC_CIDR3), 0 elsewhere.
 * part is the 12-bit part number of the block (see SG_PART_*). */
#define SG_PART_GICD 0x492u
#define SG_PART_GICR 0x493u
#define SG_PART_GITS 0x494u
static inline uint32_t gic_idreg(uint32_t offset, uint32_t part)
{
	switch (offset) {
	case GIC_PIDR0: return part & 0xFFu;
	case GIC_PIDR1: return ((part >> 8) & 0xFu) | 0xB0u; /* JEP106 id[3:0]=0xB */
	case GIC_PIDR2: return GIC_PIDR2_ARCHREV_GICV3 | GIC_PIDR2_JEDEC | 0x3u;
	case GIC_PIDR4: return 0x44u; /* 64 KiB frame, JEP106 continuation 4 */
	case GIC_CIDR0: return 0x0Du;
	case GIC_CIDR1: return 0xF0u;
	case GIC_CIDR2: return 0x05u;
	case GIC_CIDR3: return 0xB1u;
	default: return 0;
	}
}

/* ------------------------------------------------------------ GICD_* */

#define GICD_CTLR	0x0000u
#define GICD_TYPER	0x0004u
#define GICD_IIDR	0x0008u
#define GICD_TYPER2	0x000Cu
#define GICD_STATUSR	0x0010u
#define GICD_SETSPI_NSR 0x0040u
#define GICD_CLRSPI_NSR 0x0048u
#define GICD_SETSPI_SR	0x0050u
#define GICD_CLRSPI_SR	0x0058u
#define GICD_IGROUPR	0x0080u
#define GICD_ISENABLER	0x0100u
#define GICD_ICENABLER	0x0180u
#define GICD_ISPENDR	0x0200u
#define GICD_ICPENDR	0x0280u
#define GICD_ISACTIVER	0x0300u
#define GICD_ICACTIVER	0x0380u
#define GICD_IPRIORITYR 0x0400u
#define GICD_ITARGETSR	0x0800u
#define GICD_ICFGR	0x0C00u
#define GICD_IGRPMODR	0x0D00u
#define GICD_NSACR	0x0E00u
#define GICD_SGIR	0x0F00u
#define GICD_CPENDSGIR	0x0F10u
#define GICD_SPENDSGIR	0x0F20u
#define GICD_INMIR	0x0F80u
#define GICD_IROUTER	0x6000u /* IROUTER<n> at 0x6000 + 8n, n >= 32 */

/* GICD_CTLR with DS=1 (single security state), ARE fixed at 1. */
#define GICD_CTLR_ENABLE_G0 (1u << 0)
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE	    (1u << 4) /* ARE when DS=1 */
#define GICD_CTLR_DS	    (1u << 6)
#define GICD_CTLR_E1NWF	    (1u << 7)
#define GICD_CTLR_RWP	    (1u << 31)

#define GICD_TYPER_ITLINES(n)	   ((n)&0x1Fu)
#define GICD_TYPER_CPUNUMBER_SHIFT 5
#define GICD_TYPER_SECURITYEXTN	   (1u << 10)
#define GICD_TYPER_MBIS		   (1u << 16)
#define GICD_TYPER_LPIS		   (1u << 17)
#define GICD_TYPER_IDBITS_SHIFT	   19
#define GICD_TYPER_A3V		   (1u << 24)
#define GICD_TYPER_NO1N		   (1u << 25)
#define GICD_TYPER_RSS		   (1u << 26)

/* GICD_SETSPI_NSR / CLRSPI_NSR: the INTID field, bits [12:0]. */
#define GICD_SETSPI_INTID_MASK 0x1FFFu

#define GICD_IROUTER_IRM (1ull << 31)
/* IROUTER affinity fields: Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0] */
#define GICD_IROUTER_AFF_MASK 0xFF00FFFFFFull

/* ------------------------------------------------------------ GICR_* */

/* RD_base frame */
#define GICR_CTLR      0x0000u
#define GICR_IIDR      0x0004u
#define GICR_TYPER     0x0008u
#define GICR_STATUSR   0x0010u
#define GICR_WAKER     0x0014u
#define GICR_MPAMIDR   0x0018u
#define GICR_PARTIDR   0x001Cu
#define GICR_SETLPIR   0x0040u
#define GICR_CLRLPIR   0x0048u
#define GICR_PROPBASER 0x0070u
#define GICR_PENDBASER 0x0078u
#define GICR_INVLPIR   0x00A0u
#define GICR_INVALLR   0x00B0u
#define GICR_SYNCR     0x00C0u

#define GICR_CTLR_ENABLE_LPIS (1u << 0)
#define GICR_CTLR_CES	      (1u << 1)
#define GICR_CTLR_IR	      (1u << 2)
#define GICR_CTLR_RWP	      (1u << 3)
#define GICR_CTLR_DPG0	      (1u << 24)
#define GICR_CTLR_DPG1NS      (1u << 25)
#define GICR_CTLR_DPG1S	      (1u << 26)
#define GICR_CTLR_UWP	      (1u << 31)

#define GICR_TYPER_PLPIS	      (1ull << 0)
#define GICR_TYPER_VLPIS	      (1ull << 1)
#define GICR_TYPER_DIRTY	      (1ull << 2)
#define GICR_TYPER_DIRECTLPI	      (1ull << 3)
#define GICR_TYPER_LAST		      (1ull << 4)
#define GICR_TYPER_DPGS		      (1ull << 5)
#define GICR_TYPER_PROCNUM_SHIFT      8
#define GICR_TYPER_COMMONLPIAFF_SHIFT 24
#define GICR_TYPER_AFF_SHIFT	      32 /* Aff3.Aff2.Aff1.Aff0 in [63:32] */

#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

/* PROPBASER / PENDBASER */
#define GICR_PROPBASER_IDBITS_MASK    0x1Full
#define GICR_PROPBASER_PA_MASK	      0x000FFFFFFFFFF000ull /* [51:12] */
#define GICR_PENDBASER_PA_MASK	      0x000FFFFFFFFF0000ull /* [51:16] */
#define GICR_PENDBASER_PTZ	      (1ull << 62)
#define GICR_BASER_SHAREABILITY_SHIFT 10
#define GICR_BASER_INNERCACHE_SHIFT   7
#define GICR_BASER_OUTERCACHE_SHIFT   56

/* LPI property table entry (one byte per LPI) */
#define LPI_PROP_ENABLE	       0x01u
#define LPI_PROP_PRIORITY_MASK 0xFCu

/* SGI_base frame (offsets relative to SGI_base) */
#define GICR_IGROUPR0	 0x0080u
#define GICR_ISENABLER0	 0x0100u
#define GICR_ICENABLER0	 0x0180u
#define GICR_ISPENDR0	 0x0200u
#define GICR_ICPENDR0	 0x0280u
#define GICR_ISACTIVER0	 0x0300u
#define GICR_ICACTIVER0	 0x0380u
#define GICR_IPRIORITYR0 0x0400u /* ..0x041C */
#define GICR_ICFGR0	 0x0C00u
#define GICR_ICFGR1	 0x0C04u
#define GICR_IGRPMODR0	 0x0D00u
#define GICR_NSACR	 0x0E00u

/* ------------------------------------------------------------ GITS_* */

#define GITS_CTLR	0x0000u
#define GITS_IIDR	0x0004u
#define GITS_TYPER	0x0008u
#define GITS_CBASER	0x0080u
#define GITS_CWRITER	0x0088u
#define GITS_CREADR	0x0090u
#define GITS_BASER	0x0100u /* GITS_BASER<n> at 0x100 + 8n, n < 8 */
#define GITS_TRANSLATER 0x10040u

#define GITS_CTLR_ENABLED   (1u << 0)
#define GITS_CTLR_QUIESCENT (1u << 31)

#define GITS_TYPER_PHYSICAL		(1ull << 0)
#define GITS_TYPER_ITT_ENTRY_SIZE_SHIFT 4
#define GITS_TYPER_IDBITS_SHIFT		8
#define GITS_TYPER_DEVBITS_SHIFT	13
#define GITS_TYPER_PTA			(1ull << 19)
#define GITS_TYPER_HCC_SHIFT		24
#define GITS_TYPER_CIDBITS_SHIFT	32
#define GITS_TYPER_CIL			(1ull << 36)

#define GITS_CBASER_VALID     (1ull << 63)
#define GITS_CBASER_PA_MASK   0x000FFFFFFFFFF000ull
#define GITS_CBASER_SIZE_MASK 0xFFull /* 4 KiB pages minus one */

#define GITS_CWRITER_RETRY    (1ull << 0)
#define GITS_CREADR_STALLED   (1ull << 0)
#define GITS_CMDQ_OFFSET_MASK 0x00000000000FFFE0ull /* [19:5] */

#define GITS_BASER_VALID	    (1ull << 63)
#define GITS_BASER_INDIRECT	    (1ull << 62)
#define GITS_BASER_TYPE_SHIFT	    56
#define GITS_BASER_TYPE_MASK	    (7ull << GITS_BASER_TYPE_SHIFT)
#define GITS_BASER_TYPE_NONE	    0u
#define GITS_BASER_TYPE_DEVICE	    1u
#define GITS_BASER_TYPE_COLLECTION  4u
#define GITS_BASER_ENTRY_SIZE_SHIFT 48
#define GITS_BASER_PAGE_SIZE_SHIFT  8
#define GITS_BASER_PAGE_SIZE_MASK   (3ull << GITS_BASER_PAGE_SIZE_SHIFT)
#define GITS_BASER_PAGE_SIZE_4K	    0u
#define GITS_BASER_PAGE_SIZE_16K    1u
#define GITS_BASER_PAGE_SIZE_64K    2u
#define GITS_BASER_SIZE_MASK	    0xFFull

/* ITS command opcodes (byte 0 of a 32-byte command) */
#define GITS_CMD_MOVI	 0x01u
#define GITS_CMD_INT	 0x03u
#define GITS_CMD_CLEAR	 0x04u
#define GITS_CMD_SYNC	 0x05u
#define GITS_CMD_MAPD	 0x08u
#define GITS_CMD_MAPC	 0x09u
#define GITS_CMD_MAPTI	 0x0Au
#define GITS_CMD_MAPI	 0x0Bu
#define GITS_CMD_INV	 0x0Cu
#define GITS_CMD_INVALL	 0x0Du
#define GITS_CMD_MOVALL	 0x0Eu
#define GITS_CMD_DISCARD 0x0Fu
#define GITS_CMD_SIZE	 32u

/* An ITS command opcode's name ("MAPD", ...), or NULL for one not above. */
static inline const char *gits_cmd_name(uint32_t op)
{
	switch (op) {
	case GITS_CMD_MOVI: return "MOVI";
	case GITS_CMD_INT: return "INT";
	case GITS_CMD_CLEAR: return "CLEAR";
	case GITS_CMD_SYNC: return "SYNC";
	case GITS_CMD_MAPD: return "MAPD";
	case GITS_CMD_MAPC: return "MAPC";
	case GITS_CMD_MAPTI: return "MAPTI";
	case GITS_CMD_MAPI: return "MAPI";
	case GITS_CMD_INV: return "INV";
	case GITS_CMD_INVALL: return "INVALL";
	case GITS_CMD_MOVALL: return "MOVALL";
	case GITS_CMD_DISCARD: return "DISCARD";
	default: return (const char *)0;
	}
}

/* --------------------------------------------- ICH_LR<n>_EL2 (List register) */

#define ICH_LR_VINTID_MASK    0xFFFFFFFFull
#define ICH_LR_PINTID_SHIFT   32
#define ICH_LR_PINTID_MASK    (0x3FFull << ICH_LR_PINTID_SHIFT)
#define ICH_LR_EOI	      (1ull << 41) /* HW=0: maintenance interrupt on EOI */
#define ICH_LR_PRIORITY_SHIFT 48
#define ICH_LR_PRIORITY_MASK  (0xFFull << ICH_LR_PRIORITY_SHIFT)
#define ICH_LR_GROUP	      (1ull << 60)
#define ICH_LR_HW	      (1ull << 61)
#define ICH_LR_STATE_SHIFT    62
#define ICH_LR_STATE_MASK     (3ull << ICH_LR_STATE_SHIFT)
#define ICH_LR_PENDING	      (1ull << 62)
#define ICH_LR_ACTIVE	      (1ull << 63)

/* ICH_HCR_EL2 */
#define ICH_HCR_EN	       (1u << 0)
#define ICH_HCR_UIE	       (1u << 1)
#define ICH_HCR_LRENPIE	       (1u << 2)
#define ICH_HCR_NPIE	       (1u << 3)
#define ICH_HCR_VGRP0EIE       (1u << 4)
#define ICH_HCR_VGRP0DIE       (1u << 5)
#define ICH_HCR_VGRP1EIE       (1u << 6)
#define ICH_HCR_VGRP1DIE       (1u << 7)
#define ICH_HCR_TC	       (1u << 10)
#define ICH_HCR_TALL0	       (1u << 11)
#define ICH_HCR_TALL1	       (1u << 12)
#define ICH_HCR_TSEI	       (1u << 13)
#define ICH_HCR_TDIR	       (1u << 14)
#define ICH_HCR_EOICOUNT_SHIFT 27
#define ICH_HCR_EOICOUNT_MASK  (0x1Fu << ICH_HCR_EOICOUNT_SHIFT)

/* ICH_MISR_EL2 */
#define ICH_MISR_EOI	(1u << 0)
#define ICH_MISR_U	(1u << 1)
#define ICH_MISR_LRENP	(1u << 2)
#define ICH_MISR_NP	(1u << 3)
#define ICH_MISR_VGRP0E (1u << 4)
#define ICH_MISR_VGRP0D (1u << 5)
#define ICH_MISR_VGRP1E (1u << 6)
#define ICH_MISR_VGRP1D (1u << 7)

/* ICH_VMCR_EL2 */
#define ICH_VMCR_ENG0	    (1u << 0)
#define ICH_VMCR_ENG1	    (1u << 1)
#define ICH_VMCR_ACKCTL	    (1u << 2)
#define ICH_VMCR_FIQEN	    (1u << 3)
#define ICH_VMCR_CBPR	    (1u << 4)
#define ICH_VMCR_EOIM	    (1u << 9)
#define ICH_VMCR_BPR1_SHIFT 18
#define ICH_VMCR_BPR1_MASK  (7u << ICH_VMCR_BPR1_SHIFT)
#define ICH_VMCR_BPR0_SHIFT 21
#define ICH_VMCR_BPR0_MASK  (7u << ICH_VMCR_BPR0_SHIFT)
#define ICH_VMCR_PMR_SHIFT  24
#define ICH_VMCR_PMR_MASK   (0xFFu << ICH_VMCR_PMR_SHIFT)

/* ICH_VTR_EL2 fields */
#define ICH_VTR_LISTREGS_MASK 0x1Fu
#define ICH_VTR_TDS	      (1u << 19)
#define ICH_VTR_NV4	      (1u << 20)
#define ICH_VTR_A3V	      (1u << 21)
#define ICH_VTR_SEIS	      (1u << 22)
#define ICH_VTR_IDBITS_SHIFT  23
#define ICH_VTR_PREBITS_SHIFT 26
#define ICH_VTR_PRIBITS_SHIFT 29

/* The virtual CPU interface splitgic models: 5 bits of priority (32 levels),
 * 5 bits of preemption, 16-bit INTIDs. */
#define SG_VPRI_BITS 5u
#define SG_VPRE_BITS 5u
#define SG_MAX_LRS   16u

/* ---------------------------------------------- ICC_* system registers */

/* Encoding as (op0, op1, CRn, CRm, op2) packed into one value. */
#define SG_SYSREG(op0, op1, crn, crm, op2)                                                         \
	(((uint32_t)(op0) << 14) | ((uint32_t)(op1) << 11) | ((uint32_t)(crn) << 7) |              \
	 ((uint32_t)(crm) << 3) | (uint32_t)(op2))

#define SYS_ICC_PMR_EL1	    SG_SYSREG(3, 0, 4, 6, 0)
#define SYS_ICC_IAR0_EL1    SG_SYSREG(3, 0, 12, 8, 0)
#define SYS_ICC_EOIR0_EL1   SG_SYSREG(3, 0, 12, 8, 1)
#define SYS_ICC_HPPIR0_EL1  SG_SYSREG(3, 0, 12, 8, 2)
#define SYS_ICC_BPR0_EL1    SG_SYSREG(3, 0, 12, 8, 3)
#define SYS_ICC_AP0R0_EL1   SG_SYSREG(3, 0, 12, 8, 4) /* AP0R<n>: op2 = 4 + n */
#define SYS_ICC_AP1R0_EL1   SG_SYSREG(3, 0, 12, 9, 0) /* AP1R<n>: op2 = n */
#define SYS_ICC_DIR_EL1	    SG_SYSREG(3, 0, 12, 11, 1)
#define SYS_ICC_RPR_EL1	    SG_SYSREG(3, 0, 12, 11, 3)
#define SYS_ICC_SGI1R_EL1   SG_SYSREG(3, 0, 12, 11, 5)
#define SYS_ICC_ASGI1R_EL1  SG_SYSREG(3, 0, 12, 11, 6)
#define SYS_ICC_SGI0R_EL1   SG_SYSREG(3, 0, 12, 11, 7)
#define SYS_ICC_IAR1_EL1    SG_SYSREG(3, 0, 12, 12, 0)
#define SYS_ICC_EOIR1_EL1   SG_SYSREG(3, 0, 12, 12, 1)
#define SYS_ICC_HPPIR1_EL1  SG_SYSREG(3, 0, 12, 12, 2)
#define SYS_ICC_BPR1_EL1    SG_SYSREG(3, 0, 12, 12, 3)
#define SYS_ICC_CTLR_EL1    SG_SYSREG(3, 0, 12, 12, 4)
#define SYS_ICC_SRE_EL1	    SG_SYSREG(3, 0, 12, 12, 5)
#define SYS_ICC_IGRPEN0_EL1 SG_SYSREG(3, 0, 12, 12, 6)
#define SYS_ICC_IGRPEN1_EL1 SG_SYSREG(3, 0, 12, 12, 7)

/* ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 fields */
#define ICC_SGIR_TARGETLIST_MASK 0xFFFFull
#define ICC_SGIR_AFF1_SHIFT	 16
#define ICC_SGIR_INTID_SHIFT	 24
#define ICC_SGIR_INTID_MASK	 (0xFull << ICC_SGIR_INTID_SHIFT)
#define ICC_SGIR_AFF2_SHIFT	 32
#define ICC_SGIR_IRM		 (1ull << 40)
#define ICC_SGIR_RS_SHIFT	 44
#define ICC_SGIR_RS_MASK	 (0xFull << ICC_SGIR_RS_SHIFT)
#define ICC_SGIR_AFF3_SHIFT	 48

/* ICC_CTLR_EL1 (virtual view) */
#define ICC_CTLR_CBPR	       (1u << 0)
#define ICC_CTLR_EOIMODE       (1u << 1)
#define ICC_CTLR_PMHE	       (1u << 6)
#define ICC_CTLR_PRIBITS_SHIFT 8
#define ICC_CTLR_IDBITS_SHIFT  11
#define ICC_CTLR_SEIS	       (1u << 14)
#define ICC_CTLR_A3V	       (1u << 15)
#define ICC_CTLR_RSS	       (1u << 18)
#define ICC_CTLR_EXTRANGE      (1u << 19)

#define ICC_SRE_SRE (1u << 0)
#define ICC_SRE_DFB (1u << 1)
#define ICC_SRE_DIB (1u << 2)

/* ---------------------------------------------------------------- MPIDR */

#define MPIDR_AFF0(m)  ((uint32_t)((m)&0xFF))
#define MPIDR_AFF1(m)  ((uint32_t)(((m) >> 8) & 0xFF))
#define MPIDR_AFF2(m)  ((uint32_t)(((m) >> 16) & 0xFF))
#define MPIDR_AFF3(m)  ((uint32_t)(((m) >> 32) & 0xFF))
#define MPIDR_AFF_MASK 0xFF00FFFFFFull

/* Affinity as GICR_TYPER[63:32] and IROUTER order it: Aff3.Aff2.Aff1.Aff0. */
static inline uint32_t mpidr_to_aff32(uint64_t mpidr)
{
	return (MPIDR_AFF3(mpidr) << 24) | (MPIDR_AFF2(mpidr) << 16) | (MPIDR_AFF1(mpidr) << 8) |
	       MPIDR_AFF0(mpidr);
}

#endif
