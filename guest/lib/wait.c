// SPDX-License-Identifier: MIT
#include "wait.h"
#include "timer.h"

void waiter_init(struct waiter *w)
{
	w->start = timer_now();
	w->polls = 0;
}

bool waiter_step(struct waiter *w)
{
	cpu_relax();
	if (++w->polls < WAIT_MIN_POLLS || (w->polls & 1023))
		return true;
	return timer_now() - w->start < WAIT_MIN_SECONDS * timer_freq();
}

void settle(void)
{
	for (int i = 0; i < 20000; i++)
		cpu_relax();
}
