// SPDX-License-Identifier: MIT
#include "smp.h"
#include "atomic.h"
#include "gic.h"
#include "psci.h"
#include "test.h"
#include "timer.h"
#include "wait.h"

struct cpu_info cpus[MAX_CPUS];

extern char secondary_entry[];

static struct {
	u32 count;
	u32 generation;
} barrier_state;

/* Per-CPU state every CPU sets up for itself, the boot CPU included. */
void cpu_local_init(int cpu)
{
	vtimer_set_ctl(0); /* its reset value is UNKNOWN */
	if (gic_redist_init(cpu))
		gic_cpuif_init();
}

void secondary_main(int cpu) __noreturn;
void secondary_main(int cpu)
{
	struct cpu_info *me = &cpus[cpu];
	u32 seen = 0;

	cpu_local_init(cpu);
	atomic_store(&me->online, 1);
	sev();
	irq_enable();
	for (;;) {
		while (atomic_load(&me->job_seq) == seen)
			cpu_relax();
		seen = atomic_load(&me->job_seq);
		me->fn(me->arg);
		atomic_store(&me->done_seq, seen);
		sev();
	}
}

void smp_boot_secondaries(void)
{
	for (u32 i = 1; i < machine.ncpus; i++) {
		s64 r = psci_cpu_on(machine.mpidr[i], (u64)secondary_entry, i);
		if (!check(r == PSCI_SUCCESS, "PSCI CPU_ON cpu%u (MPIDR %lx) returned %ld", i,
			   machine.mpidr[i], r))
			continue;
		if (!check(WAIT_UNTIL(atomic_load(&cpus[i].online)), "cpu%u did not come online",
			   i))
			test_fatal("cannot continue without all CPUs");
	}
}

u32 smp_online_count(void)
{
	u32 n = 0;

	for (u32 i = 0; i < machine.ncpus; i++)
		n += atomic_load(&cpus[i].online);
	return n;
}

void smp_call(int cpu, job_fn fn, void *arg)
{
	if (cpu == this_cpu()) {
		fn(arg);
		return;
	}
	smp_wait(cpu);
	cpus[cpu].fn = fn;
	cpus[cpu].arg = arg;
	atomic_add(&cpus[cpu].job_seq, 1);
	sev();
}

/* Unbounded: a job may legitimately run long; a hung one ends in the VM timeout. */
void smp_wait(int cpu)
{
	if (cpu == this_cpu())
		return;
	while (atomic_load(&cpus[cpu].done_seq) != atomic_load(&cpus[cpu].job_seq))
		cpu_relax();
}

void smp_call_all(job_fn fn, void *arg)
{
	int me = this_cpu();

	for (u32 i = 0; i < machine.ncpus; i++)
		if ((int)i != me && atomic_load(&cpus[i].online))
			smp_call(i, fn, arg);
	fn(arg);
	for (u32 i = 0; i < machine.ncpus; i++)
		if ((int)i != me && atomic_load(&cpus[i].online))
			smp_wait(i);
}

void smp_barrier(void)
{
	u32 gen = atomic_load(&barrier_state.generation);

	if (atomic_add(&barrier_state.count, 1) == smp_online_count()) {
		atomic_store(&barrier_state.count, 0);
		atomic_add(&barrier_state.generation, 1);
		sev();
		return;
	}
	while (atomic_load(&barrier_state.generation) == gen)
		cpu_relax();
}
