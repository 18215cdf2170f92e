/* SPDX-License-Identifier: MIT */
/*
 * Ownership of in-flight SPIs (DESIGN §3, docs/protocol.md "SPI ownership",
 * docs/distributor.md "Delivery").  The SPI layer calls these after every
 * change; they decide which Deliver/Retract messages go out and move the
 * pending latch and active state between the distributor and the owner.
 */
#ifndef GICD_DIST_DELIVER_H
#define GICD_DIST_DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "dist.h"

/* Pending state may be signalled: the SPI and its group are enabled and,
 * while owned, its routing still allows the owner. */
bool deliver_forwardable(const struct dist *d, const struct dist_spi *s);

/*
 * Brings s up to date after any change: an idle SPI that became deliverable
 * goes to its target; an owned one hands the owner what the distributor
 * holds for it, or takes back what it may no longer signal.  was_fwd is
 * deliver_forwardable() from before the change; attrs says priority, group
 * or trigger changed (the owner gets the new attributes).
 */
void deliver_sync(struct dist *d, struct dist_spi *s, bool was_fwd, bool attrs);

/* ICPENDR / CLRSPI on an edge SPI, ICACTIVER: tell the owner, if any. */
void deliver_clear_latch(struct dist *d, struct dist_spi *s);
void deliver_clear_active(struct dist *d, struct dist_spi *s);

/*
 * After a daemon restart, vCPU vcpu's agent reports whether it owns s
 * (claimed, with the generation and state it holds).  The distributor's
 * table should agree (docs/restart.md); where it does not, the agent's view
 * wins, since it holds the state.  Returns true if anything was repaired.
 */
bool deliver_resync(struct dist *d, struct dist_spi *s, unsigned vcpu, bool claimed, uint32_t gen,
		    bool line, bool latch);

/* The owner's Deactivated{vcpu, gen, returned_latch} for s. */
void deliver_deactivated(struct dist *d, struct dist_spi *s, unsigned vcpu, uint32_t gen,
			 bool returned_latch);

#endif
