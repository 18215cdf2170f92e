/* SPDX-License-Identifier: MIT */
/* The --summary report: interrupts by kind and vCPU, delivery latency, the
 * agent's MMIO counters, the daemon and its restarts, the verdict. */
#ifndef SGVM_SUMMARY_H
#define SGVM_SUMMARY_H

#include <stdio.h>

#include "vmm.h"

/* Call after the run, before the GIC is torn down (it reads the agent's
 * counters); daemon figures are printed by summary_daemon(). */
void summary_print(FILE *f, struct vmm *m, int64_t wall_ns);
/* After gic_teardown(): the daemon, its restarts and their blackouts, the
 * agent's restart counters. */
void summary_daemon(FILE *f, struct vmm *m);
/* The last lines: the verdict for the final exit status, then the same
 * figures as one key=value line (docs/splitgic-vm.md, "--summary"). */
void summary_result(FILE *f, struct vmm *m, int status);

#endif
