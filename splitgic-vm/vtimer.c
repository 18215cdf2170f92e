// SPDX-License-Identifier: MIT
#include "vtimer.h"

void vclock_advance_to_ticks(struct vclock *c, int64_t host_ns, uint64_t ticks)
{
	int64_t now = vclock_ns(c, host_ns);
	int64_t target;

	if (ticks > (uint64_t)INT64_MAX / VM_NS_PER_TICK)
		return; /* a deadline beyond the end of time never comes */
	target = (int64_t)(ticks * VM_NS_PER_TICK);
	if (target > now)
		c->offset_ns += target - now;
}

uint64_t vtimer_read_ctl(const struct vtimer *t, uint64_t now)
{
	/* ISTATUS reports the condition whatever IMASK says; UNKNOWN when
	 * disabled, reads 0 here. */
	return t->ctl | (vtimer_condition(t, now) ? CNTV_CTL_ISTATUS : 0);
}

void vtimer_write_ctl(struct vtimer *t, uint64_t val)
{
	t->ctl = (uint32_t)val & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK);
}

uint64_t vtimer_read_tval(const struct vtimer *t, uint64_t now)
{
	/* TimerValue is CVAL - count, bits [31:0]; [63:32] RES0. */
	return (uint32_t)(t->cval - now);
}

void vtimer_write_tval(struct vtimer *t, uint64_t now, uint64_t val)
{
	t->cval = now + (uint64_t)(int64_t)(int32_t)(uint32_t)val;
}

bool vtimer_deadline(const struct vtimer *t, uint64_t *ticks)
{
	if ((t->ctl & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK)) != CNTV_CTL_ENABLE)
		return false;
	*ticks = t->cval;
	return true;
}
