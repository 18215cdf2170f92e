/* SPDX-License-Identifier: MIT */
/* The --summary report: interrupts by kind and vCPU, delivery latency, the
 * agent's MMIO counters, the daemon. */
#ifndef SGVM_SUMMARY_H
#define SGVM_SUMMARY_H

#include <stdio.h>

#include "vmm.h"

/* Call after the run, before the GIC is torn down (it reads the agent's
 * counters); daemon figures are printed by summary_daemon(). */
void summary_print(FILE *f, struct vmm *m, int64_t wall_ns);
void summary_daemon(FILE *f, struct vmm *m);

#endif
