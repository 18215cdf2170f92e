// SPDX-License-Identifier: MIT
/*
 * SPI state machine: reset, and every architectural event that changes an
 * SPI's state.  Delivery to redistributors hooks into these functions.
 */
#include "dist_spi.h"

#include <string.h>

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
}

void dist_set_ctlr(struct dist *d, uint32_t val)
{
	d->ctlr = val & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
}

void spi_enable(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->enabled = true;
}

void spi_disable(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->enabled = false;
}

void spi_set_pending(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->latch = true;
}

void spi_clear_pending(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	/* Only the latch: an asserted level keeps a level SPI pending. */
	if (s)
		s->latch = false;
}

void spi_set_active(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->active = true;
}

void spi_clear_active(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->active = false;
}

void spi_set_priority(struct dist *d, uint32_t intid, uint8_t prio)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->priority = prio;
}

void spi_set_group(struct dist *d, uint32_t intid, bool group1)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->group1 = group1;
}

void spi_set_config(struct dist *d, uint32_t intid, bool edge)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->edge = edge;
}

void spi_set_route(struct dist *d, uint32_t intid, uint64_t irouter)
{
	struct dist_spi *s = spi_get(d, intid);

	if (s)
		s->irouter = irouter & DIST_IROUTER_MASK;
}

void dist_spi_set_line(struct dist *d, uint32_t intid, bool level)
{
	struct dist_spi *s = spi_get(d, intid);

	/* The bus peer is untrusted too: never index spi[] with its INTID. */
	if (!s) {
		d->stats.bad_intid++;
		return;
	}
	/* Edge SPIs latch on the rising edge only, so a repeated "high" (e.g. a
	 * message replayed after a daemon restart) does not pend twice. */
	if (s->edge && level && !s->line)
		s->latch = true;
	s->line = level;
}

void spi_msg_set(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	if (!s)
		return;
	if (s->edge)
		s->latch = true;
	else
		s->msg_line = true;
}

void spi_msg_clear(struct dist *d, uint32_t intid)
{
	struct dist_spi *s = spi_get(d, intid);

	if (!s)
		return;
	if (s->edge)
		s->latch = false;
	else
		s->msg_line = false;
}

bool spi_read_pending(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	if (!s)
		return false;
	return s->edge ? s->latch : s->latch || s->line || s->msg_line;
}

bool spi_read_active(const struct dist *d, uint32_t intid)
{
	const struct dist_spi *s = spi_cget(d, intid);

	return s && s->active;
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
