// SPDX-License-Identifier: MIT
#include "trap.h"

#include "cpu.h"
#include "log.h"
#include "psci.h"

/* QEMU exception numbers as Unicorn 2.0.1 reports them. */
#define EXCP_UDEF	    1
#define EXCP_SWI	    2
#define EXCP_PREFETCH_ABORT 3
#define EXCP_DATA_ABORT	    4
#define EXCP_BKPT	    7
#define EXCP_HVC	    11
#define EXCP_SMC	    13

/* ESR_EL1 exception classes, IL = 1 (32-bit instruction). */
#define ESR_IL	       (1ull << 25)
#define ESR_EC_UNKNOWN 0x00ull
#define ESR_EC_SVC64   0x15ull
#define ESR_EC_BRK64   0x3cull
#define ESR(ec, iss)   (((ec) << 26) | ESR_IL | (iss))

/* ------------------------------------------------------------ PSCI glue */

static int by_affinity(void *ctx, uint64_t aff)
{
	struct vmm *m = ctx;

	for (unsigned i = 0; i < m->nr_vcpus; i++)
		if (m->vcpu[i].mpidr == aff)
			return (int)i;
	return -1;
}

static enum psci_cpu_state cpu_state(void *ctx, unsigned idx)
{
	struct vmm *m = ctx;

	return m->vcpu[idx].power == VCPU_ON ? PSCI_CPU_ON : PSCI_CPU_OFF;
}

static bool entry_valid(void *ctx, uint64_t addr)
{
	struct vmm *m = ctx;

	return guest_ram_ptr(&m->ram, addr, 4) != NULL;
}

static void cpu_on(void *ctx, unsigned idx, uint64_t entry, uint64_t context_id)
{
	struct vmm *m = ctx;

	/* Applied by the scheduler before the target's first slice: never
	 * touch another engine from inside a hook. */
	cpu_schedule_start(&m->vcpu[idx], entry, context_id);
}

static void cpu_off(void *ctx, unsigned self)
{
	struct vmm *m = ctx;
	struct vcpu *v = &m->vcpu[self];

	v->power = VCPU_OFF;
	v->exit = EXIT_OFF;
	uc_emu_stop(v->uc);
}

static void system_off(void *ctx)
{
	vmm_stop(ctx, 0, "PSCI SYSTEM_OFF");
}

static const struct psci_ops psci_ops = {
	.cpu_by_affinity = by_affinity,
	.cpu_state = cpu_state,
	.entry_valid = entry_valid,
	.cpu_on = cpu_on,
	.cpu_off = cpu_off,
	.system_off = system_off,
};

static void psci(struct vcpu *v)
{
	uint64_t x[4] = { 0 };
	int64_t ret;

	uc_reg_read(v->uc, UC_ARM64_REG_X0, &x[0]);
	uc_reg_read(v->uc, UC_ARM64_REG_X1, &x[1]);
	uc_reg_read(v->uc, UC_ARM64_REG_X2, &x[2]);
	uc_reg_read(v->uc, UC_ARM64_REG_X3, &x[3]);
	ret = psci_call(&psci_ops, v->vmm, v->idx, x[0], x[1], x[2], x[3]);
	sg_debug("vCPU %u: PSCI 0x%llx(0x%llx, 0x%llx, 0x%llx) = %lld", v->idx,
		 (unsigned long long)x[0], (unsigned long long)x[1], (unsigned long long)x[2],
		 (unsigned long long)x[3], (long long)ret);
	uc_reg_write(v->uc, UC_ARM64_REG_X0, &ret);
}

/* ------------------------------------------------------------- the hook */

static void deliver_sync(struct vcpu *v, uint64_t elr, uint64_t esr, const char *what)
{
	if (cpu_take_exception(v, EXC_SYNC, elr, esr))
		return;
	vmm_stop(v->vmm, VM_EXIT_VMM_ERROR, "vCPU %u: %s at 0x%llx cannot be delivered (not EL1)",
		 v->idx, what, (unsigned long long)elr);
	v->exit = EXIT_STOP;
	uc_emu_stop(v->uc);
}

void trap_intr_hook(uc_engine *uc, uint32_t intno, void *ud)
{
	struct vcpu *v = ud;
	uint64_t pc = cpu_pc(v);

	(void)uc;
	switch (intno) {
	case EXCP_HVC:
	case EXCP_SMC: psci(v); return; /* PC is past the instruction already */
	case EXCP_SWI:
		/* PC is past the SVC, which is its preferred return address. */
		deliver_sync(v, pc, ESR(ESR_EC_SVC64, cpu_insn_at(v, pc - 4) >> 5 & 0xffff), "SVC");
		return;
	case EXCP_UDEF:
		deliver_sync(v, pc, ESR(ESR_EC_UNKNOWN, 0), "undefined instruction");
		return;
	case EXCP_BKPT:
		deliver_sync(v, pc, ESR(ESR_EC_BRK64, cpu_insn_at(v, pc) >> 5 & 0xffff), "BRK");
		return;
	default:
		/* Aborts and the rest: Unicorn gives no syndrome or fault address. */
		vmm_stop(v->vmm, VM_EXIT_VMM_ERROR,
			 "vCPU %u: guest exception %u (%s) at pc 0x%llx cannot be delivered",
			 v->idx, intno,
			 intno == EXCP_DATA_ABORT	? "data abort"
			 : intno == EXCP_PREFETCH_ABORT ? "prefetch abort"
							: "other",
			 (unsigned long long)pc);
		v->exit = EXIT_STOP;
		uc_emu_stop(uc);
		return;
	}
}
