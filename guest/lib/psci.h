/* SPDX-License-Identifier: MIT */
/* PSCI 1.0 calls over HVC (or SMC when the DT says so). */
#ifndef GUEST_PSCI_H
#define GUEST_PSCI_H

#include "types.h"

#define PSCI_VERSION	    0x84000000u
#define PSCI_CPU_OFF	    0x84000002u
#define PSCI_CPU_ON	    0xC4000003u
#define PSCI_AFFINITY_INFO  0xC4000004u
#define PSCI_SYSTEM_OFF	    0x84000008u
#define PSCI_FEATURES	    0x8400000Au
#define PSCI_SUCCESS	    0
#define PSCI_NOT_SUPPORTED  -1
#define PSCI_INVALID_PARAMS -2
#define PSCI_ALREADY_ON	    -4

s64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3);
s64 psci_cpu_on(u64 mpidr, u64 entry, u64 context);
void psci_system_off(void) __noreturn;

#endif
