/* SPDX-License-Identifier: MIT */
/*
 * The device frames of every engine (uc_mmio_map): GICD, ITS and GICR to
 * the agent (sg_vcpu_mmio), the PL011 and the test device to their models.
 * Accesses to unbacked addresses read as zero and ignore writes: the
 * unmapped hook maps a RAZ/WI page there and logs each address once.
 */
#ifndef SGVM_MMIO_H
#define SGVM_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

#include "vmm.h"

int mmio_map_devices(struct vcpu *v);

bool mmio_unmapped_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
			void *ud);

/* Unbacked addresses seen (for the summary). */
uint64_t mmio_unbacked_count(void);

#endif
