// SPDX-License-Identifier: MIT
/*
 * SPI ownership: Deliver, Retract and Deactivated.  Every Deliver or Retract
 * about an SPI carries the next value of its gen; the owner echoes the last
 * one it processed in Deactivated, which is how a Deactivated that crossed a
 * later message is told apart from the one that really ends ownership.
 */
#include "dist_deliver.h"

#include "dist_route.h"
#include "dist_spi.h"
#include "wire.h"

static uint32_t intid_of(const struct dist *d, const struct dist_spi *s)
{
	return GIC_SPI_BASE + (uint32_t)(s - d->spi);
}

/* Enabled, and its group enabled in GICD_CTLR. */
static bool signallable(const struct dist *d, const struct dist_spi *s)
{
	uint32_t grp = s->group1 ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0;

	return s->enabled && (d->ctlr & grp);
}

bool deliver_forwardable(const struct dist *d, const struct dist_spi *s)
{
	return signallable(d, s) && (!s->owned || route_accepts(d, s, s->owner));
}

static void bus_send(struct dist *d, Sg__Envelope *env)
{
	if (d->bus.send)
		d->bus.send(d->bus.ctx, env);
}

/* Deliver with the SPI's current attributes; gen advances first. */
static void send_deliver(struct dist *d, struct dist_spi *s, bool latch, bool line, bool active)
{
	Sg__Deliver m = SG__DELIVER__INIT;
	Sg__Envelope env;

	m.vcpu = s->owner;
	m.intid = intid_of(d, s);
	m.gen = ++s->gen;
	m.priority = s->priority;
	m.group = s->group1;
	m.level = !s->edge;
	m.set_latch = latch;
	m.set_line = line;
	m.set_active = active;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DELIVER;
	env.deliver = &m;
	d->stats.delivers++;
	bus_send(d, &env);
}

static void send_retract(struct dist *d, struct dist_spi *s, bool latch, bool line, bool active,
			 bool return_latch)
{
	Sg__Retract m = SG__RETRACT__INIT;
	Sg__Envelope env;

	m.vcpu = s->owner;
	m.intid = intid_of(d, s);
	m.gen = ++s->gen;
	m.clear_latch = latch;
	m.clear_line = line;
	m.clear_active = active;
	m.return_latch = return_latch;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_RETRACT;
	env.retract = &m;
	d->stats.retracts++;
	bus_send(d, &env);
}

/*
 * An idle SPI goes in flight when it is active, or pending and signallable,
 * and its routing names a vCPU.  Pending state only travels if signallable:
 * the owner has no enable bit and signals whatever it holds.
 */
static void sync_idle(struct dist *d, struct dist_spi *s)
{
	bool sig = signallable(d, s);
	bool latch = sig && s->latch, line = sig && spi_line_high(s);
	int target;

	if (!s->active && !latch && !line)
		return;
	target = route_pick(d, s);
	if (target < 0)
		return; /* stays pending here until routing or eligibility changes */
	s->owned = true;
	s->owner = (uint16_t)target;
	send_deliver(d, s, latch, line, s->active);
	s->own_gen = s->gen;
	s->owner_latch = latch;
	if (latch) {
		s->latch = false;
		s->latch_gen = s->gen;
	}
	s->owner_line = line;
	s->active = false;
}

/*
 * Owned: hand over what the distributor holds (a latch while forwardable,
 * active always), update attributes, and take back the pending state the
 * owner may no longer signal.  A high line is not handed to an owner: the
 * owner always ends with Deactivated (at once if it holds nothing, else at
 * the guest's EOI) and the line is resampled then — what the architecture
 * gives a level interrupt asserted while active.  Sending it could cross
 * the guest's EOI and the device's line drop and be taken once too often.
 */
static void sync_owned(struct dist *d, struct dist_spi *s, bool was_fwd, bool attrs)
{
	bool fwd = deliver_forwardable(d, s);
	bool latch = fwd && s->latch;
	bool active = s->active;

	if (attrs || latch || active) {
		send_deliver(d, s, latch, false, active);
		if (latch) {
			s->latch = false;
			s->latch_gen = s->gen;
			s->owner_latch = true;
		}
		s->active = false;
	}
	if (was_fwd && !fwd) {
		/* Disabled, group disabled or re-routed: the latch comes back in
		 * Deactivated.returned_latch, an active interrupt stays until
		 * the guest deactivates it. */
		send_retract(d, s, true, true, false, true);
		s->owner_line = false;
	} else if (s->owner_line && !spi_line_high(s)) {
		send_retract(d, s, false, true, false, false);
		s->owner_line = false;
	}
}

void deliver_sync(struct dist *d, struct dist_spi *s, bool was_fwd, bool attrs)
{
	if (s->owned)
		sync_owned(d, s, was_fwd, attrs);
	else
		sync_idle(d, s);
}

void deliver_clear_latch(struct dist *d, struct dist_spi *s)
{
	if (!s->owned)
		return;
	send_retract(d, s, true, false, false, false);
	/* A latch the owner hands back from before this point was cleared. */
	s->latch_gen = s->gen;
	s->owner_latch = false;
}

void deliver_clear_active(struct dist *d, struct dist_spi *s)
{
	if (s->owned)
		send_retract(d, s, false, false, true, false);
}

void deliver_deactivated(struct dist *d, struct dist_spi *s, unsigned vcpu, uint32_t gen,
			 bool returned_latch)
{
	bool was_fwd;

	if (!s->owned || s->owner != vcpu) {
		d->stats.deact_not_owner++;
		return;
	}
	was_fwd = deliver_forwardable(d, s);
	if (returned_latch) {
		/* Older than a later set_latch (pending at the owner already:
		 * edges merge) or clear_latch (the guest cleared it): dropped. */
		if (!spi_gen_after(s->latch_gen, gen)) {
			s->latch = true;
			d->stats.latch_returned++;
		} else {
			d->stats.latch_merged++;
		}
	}
	if (gen != s->gen) {
		/* Crossed a later Deliver/Retract, which re-establishes the
		 * owner's entry; its own Deactivated will follow. */
		d->stats.deact_stale++;
		deliver_sync(d, s, was_fwd, false);
		return;
	}
	d->stats.deact_matched++;
	s->owned = false;
	s->owner_line = false;
	s->owner_latch = false;
	/* Resample: a level line still high, or a latch, goes out again. */
	deliver_sync(d, s, false, false);
}

bool deliver_resync(struct dist *d, struct dist_spi *s, unsigned vcpu, bool claimed, uint32_t gen,
		    bool line, bool latch)
{
	bool ours = s->owned && s->owner == vcpu;

	/* Messaged since the restore: the agent built its Resync before it
	 * saw that message, which brings its view up to date by itself. */
	if (s->gen != s->restored_gen) {
		d->stats.resync_skipped++;
		return false;
	}
	if (claimed && ours) {
		if (gen == s->gen)
			return false;
		/* The agent saw a later message than the table says was sent. */
		if (spi_gen_after(gen, s->gen))
			s->gen = gen;
		return true;
	}
	if (claimed) {
		/* The agent holds it: the table missed the Deliver.  What the
		 * distributor still holds (a latch, the active state) is handed
		 * to it, or taken back if it may not have it (routing, enables). */
		s->owned = true;
		s->owner = (uint16_t)vcpu;
		if (spi_gen_after(gen, s->gen))
			s->gen = gen;
		s->own_gen = gen;
		s->latch_gen = gen;
		s->owner_line = line;
		s->owner_latch = latch;
		deliver_sync(d, s, true, false);
		return true;
	}
	if (!ours)
		return false;
	/* The table says it is there and the agent says it is not (its
	 * Deactivateds were sent before the Resync): whatever was handed over
	 * is gone; start from the distributor's own inputs. */
	s->owned = false;
	s->owner_line = false;
	s->owner_latch = false;
	deliver_sync(d, s, false, false);
	return true;
}
