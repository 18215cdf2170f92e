// SPDX-License-Identifier: MIT
#include "psci.h"

/* MPIDR affinity fields Aff3 [39:32] and Aff2..Aff0 [23:0]; PSCI requires
 * the other bits of target_cpu to be zero. */
#define MPIDR_AFF_BITS 0xFF00FFFFFFull

static bool supported(uint32_t fn)
{
	switch (fn) {
	case PSCI_0_2_FN_VERSION:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN64_AFFINITY:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_1_0_FN_PSCI_FEATURES: return true;
	default: return false;
	}
}

static int64_t cpu_on(const struct psci_ops *ops, void *ctx, uint64_t target, uint64_t entry,
		      uint64_t context_id)
{
	int idx;

	if (target & ~MPIDR_AFF_BITS)
		return PSCI_RET_INVALID_PARAMS;
	idx = ops->cpu_by_affinity(ctx, target);
	if (idx < 0)
		return PSCI_RET_INVALID_PARAMS;
	switch (ops->cpu_state(ctx, (unsigned)idx)) {
	case PSCI_CPU_ON: return PSCI_RET_ALREADY_ON;
	case PSCI_CPU_ON_PENDING: return PSCI_RET_ON_PENDING;
	case PSCI_CPU_OFF: break;
	}
	if ((entry & 3) || !ops->entry_valid(ctx, entry))
		return PSCI_RET_INVALID_ADDRESS;
	ops->cpu_on(ctx, (unsigned)idx, entry, context_id);
	return PSCI_RET_SUCCESS;
}

static int64_t affinity_info(const struct psci_ops *ops, void *ctx, uint64_t target, uint64_t level)
{
	int idx;

	/* Only level 0 (one PE) is meaningful without a power topology. */
	if (level != 0 || (target & ~MPIDR_AFF_BITS))
		return PSCI_RET_INVALID_PARAMS;
	idx = ops->cpu_by_affinity(ctx, target);
	if (idx < 0)
		return PSCI_RET_INVALID_PARAMS;
	switch (ops->cpu_state(ctx, (unsigned)idx)) {
	case PSCI_CPU_ON: return PSCI_AFFINITY_ON;
	case PSCI_CPU_ON_PENDING: return PSCI_AFFINITY_ON_PENDING;
	case PSCI_CPU_OFF: break;
	}
	return PSCI_AFFINITY_OFF;
}

int64_t psci_call(const struct psci_ops *ops, void *ctx, unsigned self, uint64_t x0, uint64_t x1,
		  uint64_t x2, uint64_t x3)
{
	/* The function ID is w0 (SMCCC); bits [63:32] of x0 are ignored. */
	switch ((uint32_t)x0) {
	case PSCI_0_2_FN_VERSION: return PSCI_VERSION_1_0;
	case PSCI_0_2_FN_CPU_OFF: ops->cpu_off(ctx, self); return PSCI_RET_SUCCESS;
	case PSCI_0_2_FN64_CPU_ON: return cpu_on(ops, ctx, x1, x2, x3);
	case PSCI_0_2_FN64_AFFINITY: return affinity_info(ops, ctx, x1, x2);
	case PSCI_0_2_FN_SYSTEM_OFF: ops->system_off(ctx); return PSCI_RET_SUCCESS;
	case PSCI_1_0_FN_PSCI_FEATURES:
		/* A 32-bit argument (SMC32 call). */
		return supported((uint32_t)x1) ? PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED;
	default: return PSCI_RET_NOT_SUPPORTED;
	}
}
