/* SPDX-License-Identifier: MIT */
/*
 * The virtual clock and each vCPU's EL1 virtual timer (CNTV_*).  The clock
 * is the host's monotonic clock plus an offset that only grows: when every
 * running vCPU waits in WFI the scheduler jumps it to the next timer
 * deadline.  The counter runs at 62.5 MHz, 16 ns per tick.  Pure logic: the
 * caller passes the host time, so tests can drive it.
 */
#ifndef SGVM_VTIMER_H
#define SGVM_VTIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "machine.h"

struct vclock {
	int64_t base_ns;   /* host time at start */
	int64_t offset_ns; /* sum of the jumps */
};

static inline void vclock_init(struct vclock *c, int64_t host_ns)
{
	c->base_ns = host_ns;
	c->offset_ns = 0;
}

static inline int64_t vclock_ns(const struct vclock *c, int64_t host_ns)
{
	return host_ns - c->base_ns + c->offset_ns;
}

static inline uint64_t vclock_ticks(const struct vclock *c, int64_t host_ns)
{
	return (uint64_t)vclock_ns(c, host_ns) / VM_NS_PER_TICK;
}

/* Moves virtual time forward so the counter reads at least ticks. */
void vclock_advance_to_ticks(struct vclock *c, int64_t host_ns, uint64_t ticks);

#define CNTV_CTL_ENABLE	 (1u << 0)
#define CNTV_CTL_IMASK	 (1u << 1)
#define CNTV_CTL_ISTATUS (1u << 2)

struct vtimer {
	uint32_t ctl; /* ENABLE and IMASK as written */
	uint64_t cval;
};

static inline bool vtimer_condition(const struct vtimer *t, uint64_t now)
{
	return (t->ctl & CNTV_CTL_ENABLE) && t->cval <= now;
}

/* The timer's interrupt output (PPI 27). */
static inline bool vtimer_line(const struct vtimer *t, uint64_t now)
{
	return vtimer_condition(t, now) && !(t->ctl & CNTV_CTL_IMASK);
}

uint64_t vtimer_read_ctl(const struct vtimer *t, uint64_t now);
void vtimer_write_ctl(struct vtimer *t, uint64_t val);
uint64_t vtimer_read_tval(const struct vtimer *t, uint64_t now);
void vtimer_write_tval(struct vtimer *t, uint64_t now, uint64_t val);

/* The count at which the output rises, if it can (enabled, unmasked). */
bool vtimer_deadline(const struct vtimer *t, uint64_t *ticks);

#endif
