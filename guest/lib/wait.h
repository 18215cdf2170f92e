/* SPDX-License-Identifier: MIT */
/*
 * Bounded waits.  A wait gives up only after at least WAIT_MIN_POLLS polls
 * *and* WAIT_MIN_SECONDS of virtual counter time, so neither a slow emulator
 * nor a fast one with a stalled GIC daemon (a restart takes tens of ms) makes
 * a correct run fail.  Nothing here measures how fast interrupts arrive.
 */
#ifndef GUEST_WAIT_H
#define GUEST_WAIT_H

#include "barrier.h"
#include "types.h"

#define WAIT_MIN_POLLS	 1000000ull
#define WAIT_MIN_SECONDS 5

struct waiter {
	u64 start;
	u64 polls;
};

void waiter_init(struct waiter *w);
/* One poll; false once both bounds have passed. */
bool waiter_step(struct waiter *w);

#define WAIT_UNTIL(cond)                                                                           \
	({                                                                                         \
		struct waiter w_;                                                                  \
		bool ok_;                                                                          \
		waiter_init(&w_);                                                                  \
		while (!(ok_ = !!(cond)) && waiter_step(&w_))                                      \
			;                                                                          \
		ok_;                                                                               \
	})

/* A short pause before checking that something did *not* happen. */
void settle(void);

#endif
