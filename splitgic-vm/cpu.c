// SPDX-License-Identifier: MIT
#include "cpu.h"

#include <stdio.h>
#include <string.h>

#include "mmio.h"
#include "scheduler.h"
#include "splitgic/agent.h"
#include "sysreg.h"
#include "trap.h"

#define PSTATE_EL1H_DAIF 0x3c5u /* M = EL1h, D A I F set */
#define PSTATE_NZCV	 0xf0000000u
#define PSTATE_MODE	 0xfu
#define MODE_EL0T	 0x0u
#define MODE_EL1T	 0x4u
#define MODE_EL1H	 0x5u

static int cp_read(uc_engine *uc, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
		   unsigned op2, uint64_t *val)
{
	uc_arm64_cp_reg cp = { .op0 = op0, .op1 = op1, .crn = crn, .crm = crm, .op2 = op2 };
	int rc = uc_reg_read(uc, UC_ARM64_REG_CP_REG, &cp);

	*val = cp.val;
	return rc;
}

static int cp_write(uc_engine *uc, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
		    unsigned op2, uint64_t val)
{
	uc_arm64_cp_reg cp = {
		.op0 = op0, .op1 = op1, .crn = crn, .crm = crm, .op2 = op2, .val = val
	};

	return uc_reg_write(uc, UC_ARM64_REG_CP_REG, &cp);
}

static int add_hooks(struct vcpu *v)
{
	uc_hook h;

	if (uc_hook_add(v->uc, &h, UC_HOOK_BLOCK, (void *)sched_block_hook, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, (void *)sysreg_mrs_hook, v, 1, 0,
			UC_ARM64_INS_MRS) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, (void *)sysreg_msr_hook, v, 1, 0,
			UC_ARM64_INS_MSR) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INTR, (void *)trap_intr_hook, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)mmio_unmapped_hook, v, 1, 0))
		return -1;
	return 0;
}

int cpu_create(struct vmm *m, struct vcpu *v, unsigned idx, char *err, size_t errlen)
{
	uint64_t hcr;
	uc_err e;

	v->vmm = m;
	v->idx = idx;
	v->mpidr = m->mpidr[idx];
	v->power = VCPU_OFF;
	v->gic = sg_vm_vcpu(m->gic.vm, idx);
	v->cpuif = sg_vcpu_cpuif(v->gic);
	atomic_init(&v->attention, 0);
	e = uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &v->uc);
	if (e != UC_ERR_OK) {
		snprintf(err, errlen, "vCPU %u: uc_open: %s", idx, uc_strerror(e));
		v->uc = NULL;
		return -1;
	}
	e = uc_ctl_set_cpu_model(v->uc, UC_CPU_ARM64_A72);
	if (e == UC_ERR_OK)
		e = uc_mem_map_ptr(v->uc, m->ram.gpa, m->ram.size, UC_PROT_ALL, m->ram.host);
	if (e != UC_ERR_OK) {
		snprintf(err, errlen, "vCPU %u: setting up the engine: %s", idx, uc_strerror(e));
		return -1;
	}
	if (mmio_map_devices(v) < 0 || add_hooks(v) < 0) {
		snprintf(err, errlen, "vCPU %u: mapping devices or adding hooks failed", idx);
		return -1;
	}
	/* Unicorn 2.0.1 reset quirk: without SCR_EL3 = NS|HCE|RW and
	 * HCR_EL2.RW, HVC is UNDEF and exceptions take AArch32 paths. */
	if (cp_write(v->uc, 3, 6, 1, 1, 0, 0x501) || cp_read(v->uc, 3, 4, 1, 1, 0, &hcr) ||
	    cp_write(v->uc, 3, 4, 1, 1, 0, hcr | (1ull << 31)) ||
	    cp_read(v->uc, 3, 0, 1, 0, 0, &v->sctlr_reset) ||
	    cp_read(v->uc, 3, 0, 0, 4, 0, &v->id_pfr0)) {
		snprintf(err, errlen, "vCPU %u: system register set-up failed", idx);
		return -1;
	}
	/* ID_AA64PFR0_EL1.GIC [27:24] = 1: the GICv3 system-register interface. */
	v->id_pfr0 = (v->id_pfr0 & ~(0xfull << 24)) | (1ull << 24);
	return 0;
}

void cpu_destroy(struct vcpu *v)
{
	if (v->uc)
		uc_close(v->uc);
	v->uc = NULL;
}

void cpu_schedule_start(struct vcpu *v, uint64_t pc, uint64_t x0)
{
	v->start_pc = pc;
	v->start_x0 = x0;
	v->start_pending = true;
	v->in_wfi = false;
	v->power = VCPU_ON;
}

void cpu_apply_start(struct vcpu *v)
{
	uint64_t zero = 0, ps = PSTATE_EL1H_DAIF;

	uc_reg_write(v->uc, UC_ARM64_REG_X0, &v->start_x0);
	uc_reg_write(v->uc, UC_ARM64_REG_X1, &zero);
	uc_reg_write(v->uc, UC_ARM64_REG_X2, &zero);
	uc_reg_write(v->uc, UC_ARM64_REG_X3, &zero);
	cp_write(v->uc, 3, 0, 1, 0, 0, v->sctlr_reset); /* MMU off */
	uc_reg_write(v->uc, UC_ARM64_REG_PSTATE, &ps);
	uc_reg_write(v->uc, UC_ARM64_REG_PC, &v->start_pc);
	v->start_pending = false;
}

uint64_t cpu_pc(struct vcpu *v)
{
	uint64_t pc = 0;

	uc_reg_read(v->uc, UC_ARM64_REG_PC, &pc);
	return pc;
}

void cpu_set_pc(struct vcpu *v, uint64_t pc)
{
	uc_reg_write(v->uc, UC_ARM64_REG_PC, &pc);
}

uint64_t cpu_pstate(struct vcpu *v)
{
	/* Unicorn 2.0.1 writes only 32 bits of PSTATE: start from zero. */
	uint64_t ps = 0;

	uc_reg_read(v->uc, UC_ARM64_REG_PSTATE, &ps);
	return ps & 0xffffffffu;
}

bool cpu_take_exception(struct vcpu *v, enum exc_type type, uint64_t elr, uint64_t esr)
{
	uint64_t ps = cpu_pstate(v), nps, vbar = 0, base, sp0 = 0, sp1 = 0;
	bool from_el1t = false;

	switch (ps & PSTATE_MODE) {
	case MODE_EL1H: base = 0x200; break; /* current EL with SP_ELx */
	case MODE_EL1T:
		base = 0x000; /* current EL with SP_EL0 */
		from_el1t = true;
		break;
	default:
		/* EL0 (0x400) would change exception level, which Unicorn 2.0.1
		 * cannot do through its API (cached hflags). */
		return false;
	}
	cp_read(v->uc, 3, 0, 12, 0, 0, &vbar);
	cp_write(v->uc, 3, 0, 4, 0, 0, ps);  /* SPSR_EL1 */
	cp_write(v->uc, 3, 0, 4, 0, 1, elr); /* ELR_EL1 */
	if (type == EXC_SYNC)
		cp_write(v->uc, 3, 0, 5, 2, 0, esr); /* ESR_EL1 */
	if (from_el1t) {
		/* Bank the stack pointers as the hardware would: the live SP is
		 * SP_EL0's; the handler runs on SP_EL1. */
		uc_reg_read(v->uc, UC_ARM64_REG_SP, &sp0);
		uc_reg_write(v->uc, UC_ARM64_REG_SP_EL0, &sp0);
		uc_reg_read(v->uc, UC_ARM64_REG_SP_EL1, &sp1);
	}
	nps = (ps & PSTATE_NZCV) | PSTATE_EL1H_DAIF;
	uc_reg_write(v->uc, UC_ARM64_REG_PSTATE, &nps);
	if (from_el1t)
		uc_reg_write(v->uc, UC_ARM64_REG_SP, &sp1);
	cpu_set_pc(v, vbar + base + (type == EXC_IRQ ? 0x80 : 0));
	return true;
}

uint32_t cpu_insn_at(struct vcpu *v, uint64_t pa)
{
	const uint8_t *p = guest_ram_ptr(&v->vmm->ram, pa, 4);
	uint32_t insn;

	if (!p)
		return 0;
	memcpy(&insn, p, 4);
	return insn;
}
