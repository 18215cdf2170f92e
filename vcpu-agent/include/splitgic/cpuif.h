/* SPDX-License-Identifier: MIT */
/*
 * A model of the GICv3 virtual CPU interface hardware (IHI 0069, chapter 6
 * and the ICH_ / ICV_ register descriptions): the List registers, ICH_HCR,
 * ICH_VMCR, the active-priority registers, the maintenance interrupt and the
 * guest-visible ICV_* registers that operate on them.
 *
 * On silicon this is hardware.  Here it stands in for it: the agent's
 * flush/sync program it through the hypervisor view exactly as they would
 * program ICH_*_EL2, and tests, the simulator and CPU emulators drive the
 * guest view in place of a PE executing ICC_* instructions.
 *
 * Implemented configuration (ICH_VTR_EL2): 1..16 List registers, 5 priority
 * bits (32 levels), 5 preemption bits, 16-bit INTIDs, no SEI, A3V=1.
 * Group 0 (vFIQ) and group 1 (vIRQ) are both modelled.
 *
 * Not thread-safe: one instance belongs to one vCPU and is touched only by
 * the thread running that vCPU.
 */
#ifndef SPLITGIC_CPUIF_H
#define SPLITGIC_CPUIF_H

#include <stdbool.h>
#include <stdint.h>

#define SG_CPUIF_MAX_LRS 16u

struct sg_cpuif {
	unsigned nr_lrs;
	uint64_t lr[SG_CPUIF_MAX_LRS]; /* ICH_LR<n>_EL2 */
	uint32_t hcr;		       /* ICH_HCR_EL2 */
	uint32_t vmcr;		       /* ICH_VMCR_EL2 */
	uint32_t ap0r[4];	       /* ICH_AP0R<n>_EL2 */
	uint32_t ap1r[4];	       /* ICH_AP1R<n>_EL2 */
	/* Called when the guest deactivates an LR with HW=1 (the physical
	 * interrupt pINTID is deactivated); may be NULL. */
	void (*hw_deactivate)(void *opaque, uint32_t pintid);
	void *hw_opaque;
};

/* Reset state: LRs invalid, HCR 0, VMCR with PMR 0, BPRs at their minimum,
 * no hw_deactivate callback (set it after init). */
void sg_cpuif_init(struct sg_cpuif *c, unsigned nr_lrs);

/* ------------------------------------------------ hypervisor (EL2) view */

uint64_t sg_cpuif_read_lr(const struct sg_cpuif *c, unsigned n);
void sg_cpuif_write_lr(struct sg_cpuif *c, unsigned n, uint64_t val);
uint32_t sg_cpuif_read_hcr(const struct sg_cpuif *c);
void sg_cpuif_write_hcr(struct sg_cpuif *c, uint32_t val);
uint32_t sg_cpuif_read_vmcr(const struct sg_cpuif *c);
void sg_cpuif_write_vmcr(struct sg_cpuif *c, uint32_t val);
uint32_t sg_cpuif_read_vtr(const struct sg_cpuif *c);
/* ICH_AP<grp>R<n>_EL2 */
uint32_t sg_cpuif_read_apr(const struct sg_cpuif *c, unsigned grp, unsigned n);
void sg_cpuif_write_apr(struct sg_cpuif *c, unsigned grp, unsigned n, uint32_t val);
/* Derived status registers. */
uint32_t sg_cpuif_read_misr(const struct sg_cpuif *c);	/* ICH_MISR_EL2 */
uint32_t sg_cpuif_read_eisr(const struct sg_cpuif *c);	/* ICH_EISR_EL2 */
uint32_t sg_cpuif_read_elrsr(const struct sg_cpuif *c); /* ICH_ELRSR_EL2 */

/* ------------------------------------------------------- output lines */

/* Virtual IRQ (group 1) / virtual FIQ (group 0) signalled to the vPE: the
 * interface's highest-priority pending interrupt (one for both groups) is of
 * that group, its group is enabled, it is below PMR and it preempts the
 * running priority.  Ignores PSTATE masking (the PE's job). */
bool sg_cpuif_virq(const struct sg_cpuif *c);
bool sg_cpuif_vfiq(const struct sg_cpuif *c);
/* Maintenance interrupt: ICH_HCR_EL2.En and a non-zero ICH_MISR_EL2. */
bool sg_cpuif_maintenance(const struct sg_cpuif *c);

/* ------------------------------------------------------ guest (EL1) view */

/* ICV_* accessors; grp is 0 or 1. */
uint32_t sg_cpuif_iar(struct sg_cpuif *c, unsigned grp);
void sg_cpuif_eoir(struct sg_cpuif *c, unsigned grp, uint32_t intid);
void sg_cpuif_dir(struct sg_cpuif *c, uint32_t intid);
uint32_t sg_cpuif_hppir(const struct sg_cpuif *c, unsigned grp);
uint32_t sg_cpuif_rpr(const struct sg_cpuif *c);
uint32_t sg_cpuif_pmr(const struct sg_cpuif *c);
void sg_cpuif_set_pmr(struct sg_cpuif *c, uint32_t val);
uint32_t sg_cpuif_bpr(const struct sg_cpuif *c, unsigned grp);
void sg_cpuif_set_bpr(struct sg_cpuif *c, unsigned grp, uint32_t val);
uint32_t sg_cpuif_ctlr(const struct sg_cpuif *c);
void sg_cpuif_set_ctlr(struct sg_cpuif *c, uint32_t val);
bool sg_cpuif_igrpen(const struct sg_cpuif *c, unsigned grp);
void sg_cpuif_set_igrpen(struct sg_cpuif *c, unsigned grp, bool on);

/*
 * ICC_* system register access by encoding (SYS_ICC_* in gic_regs.h), as a
 * CPU emulator sees them.  Returns false for encodings the CPU interface
 * does not implement in hardware, notably ICC_SGI0R/SGI1R/ASGI1R, which trap
 * to the hypervisor (sg_vcpu_write_sgi() in agent.h).
 */
bool sg_cpuif_sysreg_read(struct sg_cpuif *c, uint32_t sysreg, uint64_t *val);
bool sg_cpuif_sysreg_write(struct sg_cpuif *c, uint32_t sysreg, uint64_t val);

#endif
