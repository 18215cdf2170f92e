/* SPDX-License-Identifier: MIT */
/*
 * The SPI state layer of the distributor.  Every change of an SPI's state
 * (struct dist_spi) and of GICD_CTLR goes through one of these functions,
 * each named for the architectural event that causes it, so delivery to
 * redistributors (and queries to the vCPU owning an in-flight SPI) can hook
 * in here and nowhere else.  The register layer (dist_regs.c) never touches
 * struct dist_spi fields itself.
 *
 * All functions taking an intid ignore INTIDs that are not configured SPIs
 * (32 <= intid < 32 + nr_spis): callers may pass any guest-derived value.
 */
#ifndef GICD_DIST_SPI_H
#define GICD_DIST_SPI_H

#include <stdbool.h>
#include <stdint.h>

#include "dist.h"

/* True if intid is an SPI this distributor implements. */
bool dist_spi_valid(const struct dist *d, uint32_t intid);

/* A level SPI's input (wired or message) is asserted. */
static inline bool spi_line_high(const struct dist_spi *s)
{
	return !s->edge && (s->line || s->msg_line);
}

/* Generation a is later than b (serial number arithmetic: gens wrap). */
static inline bool spi_gen_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Pending state held by the distributor: the latch, or an asserted level. */
static inline bool spi_held_pending(const struct dist_spi *s)
{
	return s->latch || spi_line_high(s);
}

/* GICD_CTLR write: keeps EnableGrp0/EnableGrp1, the only writable bits under DS=1. */
void dist_set_ctlr(struct dist *d, uint32_t val);

/* ISENABLER / ICENABLER */
void spi_enable(struct dist *d, uint32_t intid);
void spi_disable(struct dist *d, uint32_t intid);

/* ISPENDR / ICPENDR: the pending latch.  A level SPI whose line (wired or
 * message) is asserted stays pending after spi_clear_pending. */
void spi_set_pending(struct dist *d, uint32_t intid);
void spi_clear_pending(struct dist *d, uint32_t intid);

/* ISACTIVER / ICACTIVER */
void spi_set_active(struct dist *d, uint32_t intid);
void spi_clear_active(struct dist *d, uint32_t intid);

/* IPRIORITYR, IGROUPR, ICFGR Int_config[1], IROUTER (RES0 bits dropped). */
void spi_set_priority(struct dist *d, uint32_t intid, uint8_t prio);
void spi_set_group(struct dist *d, uint32_t intid, bool group1);
void spi_set_config(struct dist *d, uint32_t intid, bool edge);
void spi_set_route(struct dist *d, uint32_t intid, uint64_t irouter);

/* SETSPI_NSR / CLRSPI_NSR: edge SPIs set/clear the latch; level SPIs assert
 * or deassert the message level (msg_line). */
void spi_msg_set(struct dist *d, uint32_t intid);
void spi_msg_clear(struct dist *d, uint32_t intid);

/* The guest-visible views (false / 0 for INTIDs that are not configured SPIs).
 * Pending: the latch for edge SPIs; latch || line || msg_line for level SPIs.
 * For an in-flight SPI pending and active are what the distributor still
 * holds; the owner's state has to be added (spi_in_flight, DIST_DEFER). */
bool spi_read_pending(const struct dist *d, uint32_t intid);
bool spi_read_active(const struct dist *d, uint32_t intid);
bool spi_in_flight(const struct dist *d, uint32_t intid);
bool spi_read_enabled(const struct dist *d, uint32_t intid);
bool spi_read_group1(const struct dist *d, uint32_t intid);
bool spi_read_edge(const struct dist *d, uint32_t intid);
uint8_t spi_read_priority(const struct dist *d, uint32_t intid);
uint64_t spi_read_route(const struct dist *d, uint32_t intid);

/* GICD_IROUTER bits kept: Aff3 [39:32], IRM [31], Aff2..Aff0 [23:0]. */
#define DIST_IROUTER_MASK (GICD_IROUTER_AFF_MASK | GICD_IROUTER_IRM)

#endif
