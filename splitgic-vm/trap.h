/* SPDX-License-Identifier: MIT */
/*
 * UC_HOOK_INTR: the exceptions Unicorn reports instead of delivering.  HVC
 * and SMC are PSCI calls; SVC, UDF and BRK are delivered to the guest's EL1
 * vectors by emulated exception entry; anything else stops the VM with
 * status 125.
 */
#ifndef SGVM_TRAP_H
#define SGVM_TRAP_H

#include <stdint.h>
#include <unicorn/unicorn.h>

void trap_intr_hook(uc_engine *uc, uint32_t intno, void *ud);

#endif
