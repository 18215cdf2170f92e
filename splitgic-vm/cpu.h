/* SPDX-License-Identifier: MIT */
/*
 * One Unicorn engine per vCPU: creation with guest RAM, the device frames
 * and the hooks; the reset-state quirks of Unicorn 2.0.1; starting a vCPU
 * (boot, PSCI CPU_ON); emulated exception entry at EL1 (Unicorn never
 * delivers exceptions to the guest's vectors).
 */
#ifndef SGVM_CPU_H
#define SGVM_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

/* Returns 0, or -1 with a reason in err. */
int cpu_create(struct vmm *m, struct vcpu *v, unsigned idx, char *err, size_t errlen);
void cpu_destroy(struct vcpu *v);

/* Arranges for v to start at pc with x0 at its next time slice (EL1h, DAIF
 * masked, MMU off, x1..x3 = 0). */
void cpu_schedule_start(struct vcpu *v, uint64_t pc, uint64_t x0);
/* Applies a scheduled start; scheduler thread, engine stopped. */
void cpu_apply_start(struct vcpu *v);

uint64_t cpu_pc(struct vcpu *v);
void cpu_set_pc(struct vcpu *v, uint64_t pc);
uint64_t cpu_pstate(struct vcpu *v);

/* PSTATE.I clear: an IRQ can be taken now. */
static inline bool cpu_irqs_unmasked(struct vcpu *v)
{
	return !(cpu_pstate(v) & (1u << 7));
}

enum exc_type { EXC_SYNC = 0, EXC_IRQ = 1 };

/*
 * Emulates taking an exception to EL1 with preferred return address elr:
 * ELR_EL1, SPSR_EL1 (and ESR_EL1 for EXC_SYNC), PSTATE = EL1h with DAIF
 * set, PC = VBAR_EL1 + the vector for the current mode.  Returns false
 * (nothing changed) from EL0 or a mode Unicorn cannot switch from.
 */
bool cpu_take_exception(struct vcpu *v, enum exc_type type, uint64_t elr, uint64_t esr);

/* The 32-bit instruction at guest physical address pa, or 0 outside RAM. */
uint32_t cpu_insn_at(struct vcpu *v, uint64_t pa);

#define INSN_WFI 0xd503207fu
#define INSN_WFE 0xd503205fu

#endif
