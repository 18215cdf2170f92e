/* SPDX-License-Identifier: MIT */
/* Generic timer: the virtual counter and the EL1 virtual timer (PPI 27). */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

#include "barrier.h"
#include "sysreg.h"

#define VTIMER_PPI	 27u
#define CNTV_CTL_ENABLE	 BIT(0)
#define CNTV_CTL_IMASK	 BIT(1)
#define CNTV_CTL_ISTATUS BIT(2)

static inline u64 timer_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

/* The ISB keeps the counter read from being hoisted above earlier code. */
static inline u64 timer_now(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static inline u32 vtimer_ctl(void)
{
	return (u32)read_sysreg(cntv_ctl_el0);
}

static inline void vtimer_set_ctl(u32 ctl)
{
	write_sysreg(cntv_ctl_el0, ctl);
	isb();
}

static inline void vtimer_set_cval(u64 cval)
{
	write_sysreg(cntv_cval_el0, cval);
	isb();
}

static inline u64 vtimer_cval(void)
{
	return read_sysreg(cntv_cval_el0);
}

static inline void vtimer_set_tval(s32 tval)
{
	write_sysreg(cntv_tval_el0, (u64)(s64)tval);
	isb();
}

static inline s32 vtimer_tval(void)
{
	return (s32)read_sysreg(cntv_tval_el0);
}

static inline u64 us_to_ticks(u64 us)
{
	return us * timer_freq() / 1000000;
}

#endif
