/* SPDX-License-Identifier: MIT */
/*
 * The VMM's state: the vCPUs (one Unicorn engine each), guest RAM, the GIC,
 * the devices, the virtual clock and the scheduler.  docs/vmm.md describes
 * how the pieces fit.
 *
 * Threads: every vCPU runs on the scheduler thread (round-robin, scheduler.c),
 * so everything in struct vcpu except `attention` belongs to that thread.
 * Other threads (the agent's bus thread through the kick function, the
 * test device's stream thread, the UART reader) only set `attention`, call
 * vmm_stop() and write the scheduler's eventfd; a signal handler sets
 * `signal` and `attention` and writes the eventfd.
 */
#ifndef SGVM_VMM_H
#define SGVM_VMM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

#include "gic.h"
#include "latency.h"
#include "machine.h"
#include "options.h"
#include "ram.h"
#include "testdev.h"
#include "uart.h"
#include "vtimer.h"

struct sg_vcpu;
struct sg_cpuif;

/* vcpu.attention bits: why the block hook must look at the vCPU. */
#define ATT_KICK (1u << 0) /* the agent has news: sync + flush */
#define ATT_STOP (1u << 1) /* the VM stops */

enum vcpu_power { VCPU_OFF, VCPU_ON };

/* Why the engine returned to the scheduler. */
enum vcpu_exit {
	EXIT_NONE,   /* uc_emu_start returned by itself: WFI, or an error */
	EXIT_BUDGET, /* time slice used up */
	EXIT_YIELD,  /* WFE */
	EXIT_OFF,    /* PSCI CPU_OFF */
	EXIT_STOP,   /* the VM stops */
};

enum irq_kind { IRQK_SGI, IRQK_PPI, IRQK_SPI, IRQK_LPI, IRQK_SPURIOUS, IRQK_NR };

static inline enum irq_kind irq_kind_of(uint32_t intid)
{
	if (intid < 16)
		return IRQK_SGI;
	if (intid < 32)
		return IRQK_PPI;
	if (intid < 1020)
		return IRQK_SPI;
	if (intid >= 8192)
		return IRQK_LPI;
	return IRQK_SPURIOUS;
}

struct vcpu_stats {
	uint64_t irqs[IRQK_NR]; /* ICC_IAR1_EL1 reads by INTID kind */
	uint64_t irq_entries;	/* emulated IRQ exceptions */
	uint64_t slices, wfi, yields, resyncs, maintenance_exits;
	uint64_t icc_accesses, sysreg_unknown;
};

struct vmm;

struct vcpu {
	struct vmm *vmm;
	unsigned idx;
	uint64_t mpidr; /* affinity bits (the DT's reg) */
	uc_engine *uc;
	struct sg_vcpu *gic;
	struct sg_cpuif *cpuif;

	atomic_uint attention; /* ATT_* from any thread */

	enum vcpu_power power;
	bool start_pending; /* CPU_ON: registers set at the next slice */
	uint64_t start_pc, start_x0;
	bool in_wfi;
	bool flushed;	 /* between sg_vcpu_flush() and sg_vcpu_sync() */
	bool irq_signal; /* the CPU interface signals a virtual IRQ */
	bool yield_next; /* the block that started ends in WFE */
	int64_t budget;	 /* instructions left in the slice */
	enum vcpu_exit exit;

	struct vtimer timer;
	bool timer_line; /* level last given to the agent (PPI 27) */

	uint64_t sctlr_reset; /* SCTLR_EL1 at reset (MMU off), restored by CPU_ON */
	uint64_t id_pfr0;     /* ID_AA64PFR0_EL1 with GIC = 1 */
	uint64_t now_latch;   /* test device NOW_NS high half */
	struct vcpu_stats st;
};

struct vmm {
	struct options opt;
	struct guest_ram ram;
	struct gic gic;
	unsigned nr_vcpus;
	struct vcpu vcpu[VM_MAX_CPUS];
	uint64_t mpidr[VM_MAX_CPUS];

	struct vclock clock;
	struct uart uart;
	struct testdev testdev;
	struct latency lat;

	/* Scheduler (scheduler.c). */
	int wake_fd;	      /* eventfd: kicks while the scheduler sleeps */
	atomic_bool sleeping; /* the scheduler waits on wake_fd */
	int64_t start_ns, deadline_ns;
	uint64_t idle_sleeps, clock_jumps;

	/* Stopping: the first vmm_stop() wins. */
	atomic_int signal; /* SIGINT/SIGTERM/SIGHUP seen (the handler only sets this) */
	atomic_bool stopping;
	int exit_status;
	char stop_reason[160];
};

/* Host monotonic time in ns. */
int64_t host_now_ns(void);
/* The virtual counter now (CNTVCT_EL0). */
uint64_t vmm_ticks(struct vmm *m);

/*
 * Stops the VM with the given exit status (any thread): every vCPU's engine
 * stops at its next block.  Only the first call counts.
 */
void vmm_stop(struct vmm *m, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
