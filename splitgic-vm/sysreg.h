/* SPDX-License-Identifier: MIT */
/*
 * MRS/MSR hooks (UC_HOOK_INSN): the ICC_* registers go to the agent's
 * virtual CPU interface model (ICC_SGI*R writes to the agent's SGI path),
 * the virtual timer and counter to the VMM's clock, MPIDR_EL1 and
 * ID_AA64PFR0_EL1 to per-vCPU values.  Everything else is Unicorn's.
 */
#ifndef SGVM_SYSREG_H
#define SGVM_SYSREG_H

#include <stdint.h>
#include <unicorn/unicorn.h>

uint32_t sysreg_mrs_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud);
uint32_t sysreg_msr_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud);

#endif
