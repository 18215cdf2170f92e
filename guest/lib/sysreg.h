/* SPDX-License-Identifier: MIT */
/*
 * System register access.  GIC CPU interface registers are named by their
 * op0_op1_CRn_CRm_op2 encoding so that any assembler accepts them.
 */
#ifndef GUEST_SYSREG_H
#define GUEST_SYSREG_H

#include "types.h"

#define __stringify_1(x) #x
#define __stringify(x)	 __stringify_1(x)

#define read_sysreg(r)                                                                             \
	({                                                                                         \
		u64 v_;                                                                            \
		asm volatile("mrs %0, " __stringify(r) : "=r"(v_)::"memory");                      \
		v_;                                                                                \
	})

#define write_sysreg(r, v)                                                                         \
	do {                                                                                       \
		u64 w_ = (u64)(v);                                                                 \
		asm volatile("msr " __stringify(r) ", %x0" ::"rZ"(w_) : "memory");                 \
	} while (0)

/* GICv3 CPU interface, group 1 (Arm IHI 0069, chapter 12). */
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_IAR0_EL1	S3_0_C12_C8_0
#define ICC_EOIR0_EL1	S3_0_C12_C8_1
#define ICC_HPPIR0_EL1	S3_0_C12_C8_2
#define ICC_BPR0_EL1	S3_0_C12_C8_3
#define ICC_AP1R0_EL1	S3_0_C12_C9_0
#define ICC_DIR_EL1	S3_0_C12_C11_1
#define ICC_RPR_EL1	S3_0_C12_C11_3
#define ICC_SGI1R_EL1	S3_0_C12_C11_5
#define ICC_ASGI1R_EL1	S3_0_C12_C11_6
#define ICC_SGI0R_EL1	S3_0_C12_C11_7
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_HPPIR1_EL1	S3_0_C12_C12_2
#define ICC_BPR1_EL1	S3_0_C12_C12_3
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IGRPEN0_EL1 S3_0_C12_C12_6
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7

#define ICC_SRE_SRE	    BIT(0)
#define ICC_CTLR_CBPR	    BIT(0)
#define ICC_CTLR_EOIMODE    BIT(1)
#define ICC_CTLR_PMHE	    BIT(6)
#define ICC_CTLR_PRIBITS(v) (((v) >> 8) & 7)
#define ICC_CTLR_IDBITS(v)  (((v) >> 11) & 7)
#define ICC_CTLR_SEIS	    BIT(14)
#define ICC_CTLR_A3V	    BIT(15)
#define ICC_CTLR_RSS	    BIT(18)
#define ICC_CTLR_EXTRANGE   BIT(19)
#define ICC_IAR_INTID(v)    ((u32)(v)&0xffffff)
#define ICC_SGI1R_IRM	    BIT64(40)
#define ICC_SGI1R_INTID(n)  ((u64)(n) << 24)
#define ICC_SGI1R_AFF1(n)   ((u64)(n) << 16)
#define ICC_SGI1R_AFF2(n)   ((u64)(n) << 32)
#define ICC_SGI1R_RS(n)	    ((u64)(n) << 44)
#define ICC_SGI1R_AFF3(n)   ((u64)(n) << 48)
#define INTID_SPURIOUS	    1023u

/* MPIDR_EL1 affinity fields. */
#define MPIDR_AFF_MASK 0xff00ffffffull
#define MPIDR_AFF0(m)  ((u32)((m)&0xff))
#define MPIDR_AFF1(m)  ((u32)(((m) >> 8) & 0xff))
#define MPIDR_AFF2(m)  ((u32)(((m) >> 16) & 0xff))
#define MPIDR_AFF3(m)  ((u32)(((m) >> 32) & 0xff))

static inline void irq_enable(void)
{
	asm volatile("msr daifclr, #2" ::: "memory");
}

static inline void irq_disable(void)
{
	asm volatile("msr daifset, #2" ::: "memory");
}

/* Mask IRQs and return the previous DAIF for irq_restore(). */
static inline u64 irq_save(void)
{
	u64 daif = read_sysreg(daif);
	irq_disable();
	return daif;
}

static inline void irq_restore(u64 daif)
{
	write_sysreg(daif, daif);
}

static inline bool irqs_enabled(void)
{
	return !(read_sysreg(daif) & BIT(7));
}

#endif
