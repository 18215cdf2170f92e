/* SPDX-License-Identifier: MIT */
/*
 * Which vCPU an SPI goes to (docs/distributor.md "Routing").  IRM=0: the
 * vCPU whose MPIDR affinity equals IROUTER's Aff3.Aff2.Aff1.Aff0, or none.
 * IRM=1 (1-of-N): round-robin, starting after the vCPU chosen last, over
 * the vCPUs eligible for the SPI's group per their latest CpuState.
 */
#ifndef GICD_DIST_ROUTE_H
#define GICD_DIST_ROUTE_H

#include <stdbool.h>

#include "dist.h"

/* Every vCPU eligible for both groups (no CpuState seen yet). */
void route_init(struct dist *d);

/* True if vcpu can take a 1-of-N SPI of this group now. */
bool route_eligible(const struct dist *d, unsigned vcpu, bool group1);

/* The vCPU to deliver s to now, or -1 if none; a 1-of-N choice moves the cursor. */
int route_pick(struct dist *d, const struct dist_spi *s);

/* True if s, as routed now, may stay with vcpu (its owner). */
bool route_accepts(const struct dist *d, const struct dist_spi *s, unsigned vcpu);

/* Records a CpuState; false if vcpu is not a vCPU of this VM. */
bool route_cpu_state(struct dist *d, unsigned vcpu, bool grp0, bool grp1, bool asleep);

#endif
