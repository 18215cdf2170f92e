// SPDX-License-Identifier: MIT
/*
 * SPI state machine: reset, and every architectural event that changes an
 * SPI's state.  Each event changes the distributor's copy, then lets the
 * delivery layer (dist_deliver.c) act on the result.
 */
#include "dist_spi.h"

#include <string.h>

#include "dist_deliver.h"
#include "dist_route.h"

static struct dist_spi *spi_get(struct dist *d, uint32_t intid)
{
	return dist_spi_valid(d, intid) ? &d->spi[intid - GIC_SPI_BASE] : NULL;
}

static const struct dist_spi *spi_cget(const struct dist *d, uint32_t intid)
{
	return dist_spi_valid(d, intid) ? &d->spi[intid - GIC_SPI_BASE] : NULL;
}

bool dist_spi_valid(const struct dist *d, uint32_t intid)
{
	return intid >= GIC_SPI_BASE && intid - GIC_SPI_BASE < d->nr_spis;
}

/*
 * Reset state as KVM's GICv3 model presents it to a guest booted by QEMU:
 * group 1, priority 0, disabled, level-sensitive, IROUTER 0, nothing
 * pending or active; distributor disabled.
 */
void dist_init(struct dist *d, const struct sg_vm_shape *shape)
{
	memset(d, 0, sizeof(*d));
	d->shape = shape;
	/* The shape was checked by the caller; clamp anyway so spi[] is never overrun. */
	d->nr_spis = shape->nr_spis <= GIC_MAX_NR_SPIS ? shape->nr_spis : GIC_MAX_NR_SPIS;
	d->lpis = shape->map.nr_its > 0;
	for (unsigned i = 0; i < d->nr_spis; i++)
		d->spi[i].group1 = true;
	route_init(d);
}

void dist_set_bus(struct dist *d, const struct dist_bus *bus)
{
	d->bus = *bus;
}

/*
 * A change that may affect every SPI (group enables, 1-of-N eligibility):
 * remember who was forwardable before, then bring each SPI up to date in
 * INTID order (which also fixes the order of 1-of-N choices).
 */
static void snapshot_fwd(const struct dist *d, bool *was)
{
	for (unsigned i = 0; i < d->nr_spis; i++)
		was[i] = deliver_forwardable(d, &d->spi[i]);
}

static void sync_all(struct dist *d, const bool *was)
{
	for (unsigned i = 0; i < d->nr_spis; i++)
		deliver_sync(d, &d->spi[i], was[i], false);
}

void dist_set_ctlr(struct dist *d, uint32_t val)
{
	bool was[GIC_MAX_NR_SPIS];
	uint32_t ctlr = val & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);

	if (ctlr == d->ctlr)
		return;
	snapshot_fwd(d, was);
	d->ctlr = ctlr;
	sync_all(d, was);
}

void dist_cpu_state(struct dist *d, unsigned vcpu, bool grp0, bool grp1, bool asleep)
{
	bool was[GIC_MAX_NR_SPIS];

	if (vcpu >= d->shape->nr_vcpus) {
		d->stats.bad_vcpu++;
		return;
	}
	snapshot_fwd(d, was);
	route_cpu_state(d, vcpu, grp0, grp1, asleep);
	sync_all(d, was);
}

/*
 * Every event on one SPI: event_begin() finds it (NULL for an INTID that is
 * not a configured SPI) and notes whether it was forwardable; the caller
 * changes it; event_end() lets the delivery layer act on the change.
 */
static struct dist_spi *event_begin(struct dist *d, uint32_t intid, bool *was_fwd)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		*was_fwd = deliver_forwardable(d, s);
	return s;
}

static void event_end(struct dist *d, struct dist_spi *s, bool was_fwd, bool attrs)
{
	deliver_sync(d, s, was_fwd, attrs);
}

void spi_enable(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	s->enabled = true;
	event_end(d, s, was, false);
}

void spi_disable(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	s->enabled = false;
	event_end(d, s, was, false);
}

void spi_set_pending(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	s->latch = true;
	event_end(d, s, was, false);
}

void spi_clear_pending(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	/* Only the latch: an asserted level keeps a level SPI pending. */
	s->latch = false;
	deliver_clear_latch(d, s);
	event_end(d, s, was, false);
}

void spi_set_active(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	s->active = true;
	event_end(d, s, was, false);
}

void spi_clear_active(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	s->active = false;
	deliver_clear_active(d, s);
	event_end(d, s, was, false);
}

/* Attribute writes tell an owner only when the value really changes. */
void spi_set_priority(struct dist *d, uint32_t intid, uint8_t prio)
{
	bool was, changed;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	changed = s->priority != prio;
	s->priority = prio;
	event_end(d, s, was, changed);
}

void spi_set_group(struct dist *d, uint32_t intid, bool group1)
{
	bool was, changed;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	changed = s->group1 != group1;
	s->group1 = group1;
	event_end(d, s, was, changed);
}

void spi_set_config(struct dist *d, uint32_t intid, bool edge)
{
	bool was, changed;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	changed = s->edge != edge;
	s->edge = edge;
	event_end(d, s, was, changed);
}

void spi_set_route(struct dist *d, uint32_t intid, uint64_t irouter)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	s->irouter = irouter & DIST_IROUTER_MASK;
	event_end(d, s, was, false);
}

/* Edge SPIs latch on the rising edge only, so a repeated "high" (e.g. a
 * message replayed after a daemon restart) does not pend twice. */
static void line_change(struct dist_spi *s, bool level)
{
	if (s->edge && level && !s->line)
		s->latch = true;
	s->line = level;
}

void dist_spi_set_line(struct dist *d, uint32_t intid, bool level)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	/* The bus peer is untrusted too: never index spi[] with its INTID. */
	if (!s) {
		d->stats.bad_intid++;
		return;
	}
	line_change(s, level);
	event_end(d, s, was, false);
}

void dist_spi_pulse(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s) {
		d->stats.bad_intid++;
		return;
	}
	/* One event: an idle level SPI does not go out and come straight back. */
	line_change(s, true);
	line_change(s, false);
	event_end(d, s, was, false);
}

void spi_msg_set(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	if (s->edge)
		s->latch = true;
	else
		s->msg_line = true;
	event_end(d, s, was, false);
}

void spi_msg_clear(struct dist *d, uint32_t intid)
{
	bool was;
	struct dist_spi *s = event_begin(d, intid, &was);

	if (!s)
		return;
	if (s->edge) {
		s->latch = false;
		deliver_clear_latch(d, s);
	} else {
		s->msg_line = false;
	}
	event_end(d, s, was, false);
}

void dist_spi_deactivated(struct dist *d, unsigned vcpu, uint32_t intid, uint32_t gen,
			  bool returned_latch)
{
	struct dist_spi *s = spi_get(d, intid);

	if (!s) {
		d->stats.bad_intid++;
		return;
	}
	if (vcpu >= d->shape->nr_vcpus) {
		d->stats.bad_vcpu++;
		return;
	}
	deliver_deactivated(d, s, vcpu, gen, returned_latch);
}

bool dist_spi_owner(const struct dist *d, uint32_t intid, unsigned *vcpu, uint32_t *gen,
		    uint32_t *own_gen)
{
	const struct dist_spi *s = spi_cget(d, intid);

	if (!s || !s->owned)
		return false;
	*vcpu = s->owner;
	*gen = s->gen;
	*own_gen = s->own_gen;
	return true;
}

bool dist_spi_latch_sent_after(const struct dist *d, uint32_t intid, uint32_t gen)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && s->owned && s->owner_latch && spi_gen_after(s->latch_gen, gen);
}

bool spi_read_pending(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && spi_held_pending(s);
}

bool spi_read_active(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && s->active;
}

bool spi_in_flight(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && s->owned;
}

bool spi_read_enabled(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && s->enabled;
}

bool spi_read_group1(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && s->group1;
}

bool spi_read_edge(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && s->edge;
}

uint8_t spi_read_priority(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s ? s->priority : 0;
}

uint64_t spi_read_route(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s ? s->irouter : 0;
}

void dist_mark_restored(struct dist *d)
{
	for (unsigned i = 0; i < d->nr_spis; i++)
		d->spi[i].restored_gen = d->spi[i].gen;
}

unsigned dist_resync(struct dist *d, unsigned vcpu, Sg__OwnedSpi *const *spis, size_t n)
{
	bool claimed[GIC_MAX_NR_SPIS] = { false };
	const Sg__OwnedSpi *by_spi[GIC_MAX_NR_SPIS] = { NULL };
	unsigned repaired = 0;

	if (vcpu >= d->shape->nr_vcpus) {
		d->stats.bad_vcpu++;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!dist_spi_valid(d, spis[i]->intid)) {
			d->stats.bad_intid++;
			continue;
		}
		claimed[spis[i]->intid - GIC_SPI_BASE] = true;
		by_spi[spis[i]->intid - GIC_SPI_BASE] = spis[i];
	}
	for (unsigned i = 0; i < d->nr_spis; i++) {
		const Sg__OwnedSpi *o = by_spi[i];

		repaired += deliver_resync(d, &d->spi[i], vcpu, claimed[i], o ? o->gen : 0,
					   o && o->line, o && (o->latch || o->returned_latch));
	}
	return repaired;
}
