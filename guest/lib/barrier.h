/* SPDX-License-Identifier: MIT */
/* Barriers and the event/wait hints the guest programs use. */
#ifndef GUEST_BARRIER_H
#define GUEST_BARRIER_H

#define dsb(opt) asm volatile("dsb " #opt ::: "memory")
#define dmb(opt) asm volatile("dmb " #opt ::: "memory")
#define isb()	 asm volatile("isb" ::: "memory")

static inline void wfi(void)
{
	asm volatile("wfi" ::: "memory");
}

static inline void sev(void)
{
	asm volatile("sev" ::: "memory");
}

/*
 * One polling step of a wait loop.  SEVL makes the WFE return at once on
 * hardware (it never sleeps), while emulators treat WFE as a yield, which
 * lets the vCPU we wait for run.
 */
static inline void cpu_relax(void)
{
	asm volatile("sevl\n\twfe" ::: "memory");
}

#endif
