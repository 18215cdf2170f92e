/* SPDX-License-Identifier: MIT */
/* CPU bring-up over PSCI and a per-CPU job mailbox for running test code anywhere. */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "fdt.h"
#include "sysreg.h"
#include "types.h"

typedef void (*job_fn)(void *arg);

struct cpu_info {
	u32 online;
	u32 job_seq;
	u32 done_seq;
	job_fn fn;
	void *arg;
} __aligned(64);

extern struct cpu_info cpus[MAX_CPUS];

/* Logical CPU number: the index of this CPU in the DT's /cpus, boot CPU first. */
static inline int this_cpu(void)
{
	return (int)read_sysreg(tpidr_el1);
}

static inline u32 nr_cpus(void)
{
	return machine.ncpus;
}

/* GIC redistributor, CPU interface and timer setup every CPU does for itself. */
void cpu_local_init(int cpu);
/* PSCI CPU_ON every CPU of the DT and wait until each has initialised its GIC parts. */
void smp_boot_secondaries(void);
u32 smp_online_count(void);
/* Run fn(arg) on cpu (asynchronously for another CPU, inline for the caller). */
void smp_call(int cpu, job_fn fn, void *arg);
void smp_wait(int cpu);
/* Run fn(arg) on every online CPU, the caller included, and wait for all. */
void smp_call_all(job_fn fn, void *arg);
/* All online CPUs meet here (only inside smp_call_all jobs). */
void smp_barrier(void);

#endif
