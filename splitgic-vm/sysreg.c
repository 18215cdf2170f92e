// SPDX-License-Identifier: MIT
#include "sysreg.h"

#include "cpu.h"
#include "gic_regs.h"
#include "log.h"
#include "scheduler.h"
#include "splitgic/agent.h"

#define SYS_MPIDR_EL1	    SG_SYSREG(3, 0, 0, 0, 5)
#define SYS_ID_AA64PFR0_EL1 SG_SYSREG(3, 0, 0, 4, 0)
#define SYS_CNTFRQ_EL0	    SG_SYSREG(3, 3, 14, 0, 0)
#define SYS_CNTPCT_EL0	    SG_SYSREG(3, 3, 14, 0, 1)
#define SYS_CNTVCT_EL0	    SG_SYSREG(3, 3, 14, 0, 2)
#define SYS_CNTPCTSS_EL0    SG_SYSREG(3, 3, 14, 0, 5)
#define SYS_CNTVCTSS_EL0    SG_SYSREG(3, 3, 14, 0, 6)
#define SYS_CNTV_TVAL_EL0   SG_SYSREG(3, 3, 14, 3, 0)
#define SYS_CNTV_CTL_EL0    SG_SYSREG(3, 3, 14, 3, 1)
#define SYS_CNTV_CVAL_EL0   SG_SYSREG(3, 3, 14, 3, 2)

#define MPIDR_RES1 (1ull << 31)

static uint32_t encoding(const uc_arm64_cp_reg *cp)
{
	return SG_SYSREG(cp->op0, cp->op1, cp->crn, cp->crm, cp->op2);
}

/* The ICC space: op0 3, op1 0, CRn 12 with CRm >= 8 (CRm < 8 holds VBAR_EL1,
 * ISR_EL1 ...), and ICC_PMR_EL1 in CRn 4. */
static bool is_icc(const uc_arm64_cp_reg *cp)
{
	if (cp->op0 != 3 || cp->op1 != 0)
		return false;
	return (cp->crn == 12 && cp->crm >= 8) || encoding(cp) == SYS_ICC_PMR_EL1;
}

/* Registers Unicorn does not know: skipping by return value alone re-runs
 * the block forever (pitfall 1), so step over the instruction. */
static void skip_insn(struct vcpu *v)
{
	cpu_set_pc(v, cpu_pc(v) + 4);
}

static void unknown_reg(struct vcpu *v, uint32_t enc, bool write)
{
	v->st.sysreg_unknown++;
	sg_reject_log("vCPU %u: %s of ICC register S3_%u_C%u_C%u_%u: RAZ/WI", v->idx,
		      write ? "write" : "read", (enc >> 11) & 7, (enc >> 7) & 15, (enc >> 3) & 15,
		      enc & 7);
}

/* After an ICC access: a maintenance interrupt exits so that sync/flush
 * refill the LRs; the IRQ signal is re-evaluated for the next block. */
static void after_icc(struct vcpu *v)
{
	if (sg_cpuif_maintenance(v->cpuif)) {
		v->st.maintenance_exits++;
		vcpu_resync(v);
	}
	v->irq_signal = sg_cpuif_virq(v->cpuif);
}

static void before_icc(struct vcpu *v)
{
	v->st.icc_accesses++;
	/* The timer may have expired since the slice began, or a kick may wait
	 * for the next block: let HPPIR/IAR see the news now. */
	if (vcpu_timer_update(v) || (atomic_load(&v->attention) & ATT_KICK))
		vcpu_resync(v);
}

static uint64_t icc_read(struct vcpu *v, uint32_t enc)
{
	uint64_t val = 0;

	before_icc(v);
	if (!sg_cpuif_sysreg_read(v->cpuif, enc, &val)) {
		unknown_reg(v, enc, false);
		val = 0;
	}
	if (enc == SYS_ICC_IAR1_EL1 || enc == SYS_ICC_IAR0_EL1) {
		uint32_t intid = (uint32_t)val & 0xffffff;

		v->st.irqs[irq_kind_of(intid)]++;
		if (intid < 1020 || intid >= 8192)
			latency_ack(&v->vmm->lat, intid, host_now_ns());
	}
	after_icc(v);
	return val;
}

static void icc_write(struct vcpu *v, uint32_t enc, uint64_t val)
{
	before_icc(v);
	if (enc == SYS_ICC_SGI1R_EL1 || enc == SYS_ICC_ASGI1R_EL1 || enc == SYS_ICC_SGI0R_EL1) {
		/* A trap to the hypervisor: exit, generate, re-enter. */
		vcpu_exit_guest(v);
		sg_vcpu_write_sgi(v->gic, enc, val);
		vcpu_resume(v);
	} else if (!sg_cpuif_sysreg_write(v->cpuif, enc, val)) {
		unknown_reg(v, enc, true);
	}
	after_icc(v);
}

uint32_t sysreg_mrs_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
	struct vcpu *v = ud;
	uint32_t enc = encoding(cp);
	uint64_t val;

	if (is_icc(cp)) {
		val = icc_read(v, enc);
		uc_reg_write(uc, reg, &val);
		skip_insn(v);
		return 1;
	}
	switch (enc) {
	case SYS_CNTVCT_EL0:
	case SYS_CNTPCT_EL0:
	case SYS_CNTVCTSS_EL0:
	case SYS_CNTPCTSS_EL0: val = vmm_ticks(v->vmm); break; /* CNTVOFF = 0 */
	case SYS_CNTFRQ_EL0: val = VM_CNTFRQ; break;
	case SYS_CNTV_CTL_EL0:
		/* ISTATUS and the PPI line must agree when the guest looks. */
		vcpu_timer_update(v);
		val = vtimer_read_ctl(&v->timer, vmm_ticks(v->vmm));
		break;
	case SYS_CNTV_CVAL_EL0: val = v->timer.cval; break;
	case SYS_CNTV_TVAL_EL0: val = vtimer_read_tval(&v->timer, vmm_ticks(v->vmm)); break;
	case SYS_MPIDR_EL1: val = v->mpidr | MPIDR_RES1; break;
	case SYS_ID_AA64PFR0_EL1: val = v->id_pfr0; break;
	default: return 0; /* Unicorn's own register */
	}
	/* Known to Unicorn: returning 1 skips the instruction correctly. */
	uc_reg_write(uc, reg, &val);
	return 1;
}

uint32_t sysreg_msr_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
	struct vcpu *v = ud;
	uint32_t enc = encoding(cp);

	(void)uc;
	(void)reg;
	if (is_icc(cp)) {
		icc_write(v, enc, cp->val);
		skip_insn(v);
		return 1;
	}
	switch (enc) {
	case SYS_CNTV_CTL_EL0: vtimer_write_ctl(&v->timer, cp->val); break;
	case SYS_CNTV_CVAL_EL0: v->timer.cval = cp->val; break;
	case SYS_CNTV_TVAL_EL0: vtimer_write_tval(&v->timer, vmm_ticks(v->vmm), cp->val); break;
	default: return 0;
	}
	/* The line follows at once; the kick it causes resyncs at the next block. */
	vcpu_timer_update(v);
	return 1;
}
