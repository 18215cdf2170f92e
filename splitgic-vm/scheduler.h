/* SPDX-License-Identifier: MIT */
/*
 * The round-robin scheduler: every vCPU's engine runs on one host thread,
 * one time slice at a time, so LDXR/STXR between vCPUs stay exact (Unicorn
 * engines know nothing of each other's exclusive monitors).  Around every
 * slice the agent's run-loop hooks: sg_vcpu_flush() before, sg_vcpu_sync()
 * after.  vCPUs in WFI are skipped until an interrupt is pending or they are
 * kicked; when all of them wait, the scheduler jumps virtual time to the
 * next timer deadline, or sleeps until a kick.
 */
#ifndef SGVM_SCHEDULER_H
#define SGVM_SCHEDULER_H

#include <stdint.h>
#include <unicorn/unicorn.h>

#include "vmm.h"

/* Creates the wake eventfd and installs the agent kick functions. */
int sched_init(struct vmm *m);
void sched_fini(struct vmm *m);

/* Runs until vmm_stop(). */
void sched_run(struct vmm *m);

/* UC_HOOK_BLOCK: kicks, slice end, WFE yield, IRQ entry. */
void sched_block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud);

/*
 * An exit and re-entry while the engine runs (at an instruction boundary):
 * sync the LRs back, flush again, re-evaluate the IRQ signal.  Used for
 * kicks, maintenance interrupts and traps that touch the GIC.
 */
void vcpu_resync(struct vcpu *v);
/* The first half of a trap: LRs synced (call vcpu_resume() after). */
void vcpu_exit_guest(struct vcpu *v);
void vcpu_resume(struct vcpu *v);

/* Drives PPI 27 from the virtual timer; returns whether the line changed. */
bool vcpu_timer_update(struct vcpu *v);

/* Wakes the scheduler if it sleeps (any thread). */
void sched_wake(struct vmm *m);

#endif
