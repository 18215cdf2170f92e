/* SPDX-License-Identifier: MIT */
/*
 * PSCI 1.0 over HVC (SMC calling convention): function ID in x0, arguments
 * in x1..x3, result in x0.  This file decides; the VMM's callbacks act on
 * the vCPUs.
 */
#ifndef SGVM_PSCI_H
#define SGVM_PSCI_H

#include <stdbool.h>
#include <stdint.h>

#define PSCI_0_2_FN_VERSION	  0x84000000u
#define PSCI_0_2_FN_CPU_OFF	  0x84000002u
#define PSCI_0_2_FN64_CPU_ON	  0xC4000003u
#define PSCI_0_2_FN64_AFFINITY	  0xC4000004u
#define PSCI_0_2_FN_SYSTEM_OFF	  0x84000008u
#define PSCI_1_0_FN_PSCI_FEATURES 0x8400000Au

#define PSCI_VERSION_1_0 0x00010000

#define PSCI_RET_SUCCESS	  0
#define PSCI_RET_NOT_SUPPORTED	  (-1)
#define PSCI_RET_INVALID_PARAMS	  (-2)
#define PSCI_RET_DENIED		  (-3)
#define PSCI_RET_ALREADY_ON	  (-4)
#define PSCI_RET_ON_PENDING	  (-5)
#define PSCI_RET_INTERNAL_FAILURE (-6)
#define PSCI_RET_NOT_PRESENT	  (-7)
#define PSCI_RET_DISABLED	  (-8)
#define PSCI_RET_INVALID_ADDRESS  (-9)

#define PSCI_AFFINITY_ON	 0
#define PSCI_AFFINITY_OFF	 1
#define PSCI_AFFINITY_ON_PENDING 2

enum psci_cpu_state { PSCI_CPU_OFF, PSCI_CPU_ON, PSCI_CPU_ON_PENDING };

struct psci_ops {
	/* vCPU index whose MPIDR affinity is aff, or -1. */
	int (*cpu_by_affinity)(void *ctx, uint64_t aff);
	enum psci_cpu_state (*cpu_state)(void *ctx, unsigned idx);
	/* Whether the guest may start a CPU at addr. */
	bool (*entry_valid)(void *ctx, uint64_t addr);
	void (*cpu_on)(void *ctx, unsigned idx, uint64_t entry, uint64_t context_id);
	void (*cpu_off)(void *ctx, unsigned self);
	void (*system_off)(void *ctx);
};

/* Handles one call from vCPU self; returns the value for x0. */
int64_t psci_call(const struct psci_ops *ops, void *ctx, unsigned self, uint64_t x0, uint64_t x1,
		  uint64_t x2, uint64_t x3);

#endif
