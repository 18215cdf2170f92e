// SPDX-License-Identifier: MIT
/*
 * The GICD register map (Arm IHI 0069, ARE=1, DS=1): one descriptor per
 * register or per-interrupt register range.  Decoding checks width and
 * alignment, then calls the descriptor's handlers; all state changes go
 * through the SPI layer (dist_spi.h).  Reads of pending/active state that
 * in-flight SPIs' owners hold return DIST_DEFER until the caller has their
 * answers.  See docs/distributor.md.
 */
#include <stddef.h>

#include "dist.h"
#include "dist_spi.h"
#include "log.h"

/* Access widths a register accepts, as a bit mask of the byte sizes. */
#define W1 (1u << 0)
#define W2 (1u << 1)
#define W4 (1u << 2)
#define W8 (1u << 3)

enum reg_flags {
	REG_RO = 1 << 0,    /* writes ignored and counted (ro_write) */
	REG_WO = 1 << 1,    /* reads return 0 and are counted (wo_read) */
	REG_LOW16 = 1 << 2, /* 16-bit accesses only to bits [15:0] (SETSPI/CLRSPI) */
	REG_PEND = 1 << 3,  /* reads pending state: owners of in-flight SPIs hold it */
	REG_ACT = 1 << 4,   /* reads active state: likewise */
};

/* INTIDs below 1024: GICD_TYPER.IDbits without LPIs. */
#define SPI_ID_BITS 10u

struct dist_access {
	unsigned vcpu; /* accessing vCPU */
	uint32_t off;  /* byte offset from the descriptor's start */
	unsigned size; /* 1, 2, 4 or 8 */
};

struct dist_reg {
	const char *name;
	uint32_t offset;
	uint32_t len;	/* bytes covered */
	uint8_t bpi;	/* bits per interrupt; 0 for a single register */
	uint8_t widths; /* W1 | W2 | W4 | W8 */
	uint8_t flags;	/* enum reg_flags */
	/* Single registers; NULL read is RAZ, NULL write is WI. */
	uint64_t (*read)(struct dist *d, const struct dist_access *a);
	void (*write)(struct dist *d, const struct dist_access *a, uint64_t val);
	/* Per-interrupt ranges: one bpi-bit field of a configured SPI; NULL is RAZ/WI. */
	uint64_t (*get)(const struct dist *d, uint32_t intid);
	void (*set)(struct dist *d, uint32_t intid, uint64_t field);
};

/*
 * A guest access the distributor ignores (the caller counts it in
 * dist_stats): logged from this one call site, rate-limited, since a guest
 * can repeat it at will.
 */
static enum dist_status ignored(unsigned vcpu, bool write, uint32_t offset, unsigned size,
				const char *why)
{
	sg_reject_log("vCPU %u: GICD %s of %u bytes at offset 0x%04x ignored: %s", vcpu,
		      write ? "write" : "read", size, offset, why);
	return DIST_IGNORED;
}

/* ------------------------------------------------------ single registers */

static uint64_t ctlr_read(struct dist *d, const struct dist_access *a)
{
	(void)a;
	/* ARE and DS are RAO/WI; RWP reads 0: writes complete before the next read. */
	return d->ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
}

static void ctlr_write(struct dist *d, const struct dist_access *a, uint64_t val)
{
	(void)a;
	dist_set_ctlr(d, (uint32_t)val);
}

static uint64_t typer_read(struct dist *d, const struct dist_access *a)
{
	uint32_t idbits = d->lpis ? GIC_LPI_ID_BITS - 1 : SPI_ID_BITS - 1;
	uint32_t v;

	(void)a;
	/* CPUNumber 0 (ARE=1), SecurityExtn 0 (DS=1), No1N 0 (IRM honoured). */
	v = GICD_TYPER_ITLINES(sg_itlines_number(d->nr_spis));
	v |= GICD_TYPER_MBIS | GICD_TYPER_A3V | GICD_TYPER_RSS;
	v |= idbits << GICD_TYPER_IDBITS_SHIFT;
	if (d->lpis)
		v |= GICD_TYPER_LPIS;
	return v;
}

static uint64_t iidr_read(struct dist *d, const struct dist_access *a)
{
	(void)d;
	(void)a;
	return SG_IIDR;
}

static uint64_t idreg_read(struct dist *d, const struct dist_access *a)
{
	(void)d;
	return gic_idreg(GIC_IDREGS_START + a->off, SG_PART_GICD);
}

static void setspi_write(struct dist *d, const struct dist_access *a, uint64_t val)
{
	uint32_t intid = (uint32_t)val & GICD_SETSPI_INTID_MASK;

	if (!dist_spi_valid(d, intid)) {
		d->stats.bad_intid++;
		ignored(a->vcpu, true, GICD_SETSPI_NSR, a->size,
			"SETSPI_NSR names no implemented SPI");
		return;
	}
	spi_msg_set(d, intid);
}

static void clrspi_write(struct dist *d, const struct dist_access *a, uint64_t val)
{
	uint32_t intid = (uint32_t)val & GICD_SETSPI_INTID_MASK;

	if (!dist_spi_valid(d, intid)) {
		d->stats.bad_intid++;
		ignored(a->vcpu, true, GICD_CLRSPI_NSR, a->size,
			"CLRSPI_NSR names no implemented SPI");
		return;
	}
	spi_msg_clear(d, intid);
}

/* ------------------------------------------ per-interrupt field handlers */

static uint64_t group_get(const struct dist *d, uint32_t intid)
{
	return spi_read_group1(d, intid);
}

static void group_set(struct dist *d, uint32_t intid, uint64_t f)
{
	spi_set_group(d, intid, f & 1);
}

static uint64_t enable_get(const struct dist *d, uint32_t intid)
{
	return spi_read_enabled(d, intid);
}

static void enable_set(struct dist *d, uint32_t intid, uint64_t f)
{
	if (f)
		spi_enable(d, intid);
}

static void enable_clear(struct dist *d, uint32_t intid, uint64_t f)
{
	if (f)
		spi_disable(d, intid);
}

static uint64_t pending_get(const struct dist *d, uint32_t intid)
{
	return spi_read_pending(d, intid);
}

static void pending_set(struct dist *d, uint32_t intid, uint64_t f)
{
	if (f)
		spi_set_pending(d, intid);
}

static void pending_clear(struct dist *d, uint32_t intid, uint64_t f)
{
	if (f)
		spi_clear_pending(d, intid);
}

static uint64_t active_get(const struct dist *d, uint32_t intid)
{
	return spi_read_active(d, intid);
}

static void active_set(struct dist *d, uint32_t intid, uint64_t f)
{
	if (f)
		spi_set_active(d, intid);
}

static void active_clear(struct dist *d, uint32_t intid, uint64_t f)
{
	if (f)
		spi_clear_active(d, intid);
}

static uint64_t priority_get(const struct dist *d, uint32_t intid)
{
	return spi_read_priority(d, intid);
}

static void priority_set(struct dist *d, uint32_t intid, uint64_t f)
{
	spi_set_priority(d, intid, (uint8_t)f);
}

/* Int_config[1] (odd bit) selects edge; Int_config[0] is RES0 for SPIs. */
static uint64_t config_get(const struct dist *d, uint32_t intid)
{
	return spi_read_edge(d, intid) ? 2 : 0;
}

static void config_set(struct dist *d, uint32_t intid, uint64_t f)
{
	spi_set_config(d, intid, f & 2);
}

static uint64_t route_get(const struct dist *d, uint32_t intid)
{
	return spi_read_route(d, intid);
}

static void route_set(struct dist *d, uint32_t intid, uint64_t f)
{
	spi_set_route(d, intid, f);
}

/* --------------------------------------------------------- the map */

/* A per-interrupt range covers INTIDs 0..1019 in whole 32-bit registers. */
#define PER_IRQ_LEN(bpi) ((((GIC_MAX_SPI_INTID + 1) * (bpi) + 31) / 32) * 4)

#define REG(off_, len_, w_, fl_, rd_, wr_, name_)                                                  \
	{                                                                                          \
		.name = name_, .offset = off_, .len = len_, .widths = w_, .flags = fl_,            \
		.read = rd_, .write = wr_                                                          \
	}
#define PER_IRQ(off_, bpi_, w_, get_, set_, name_) PER_IRQ_F(off_, bpi_, w_, 0, get_, set_, name_)
#define PER_IRQ_F(off_, bpi_, w_, fl_, get_, set_, name_)                                          \
	{                                                                                          \
		.name = name_, .offset = off_, .len = PER_IRQ_LEN(bpi_), .bpi = bpi_,              \
		.widths = w_, .flags = fl_, .get = get_, .set = set_                               \
	}

/* Sorted by offset; offsets not listed are reserved (RAZ/WI, counted). */
static const struct dist_reg dist_map[] = {
	REG(GICD_CTLR, 4, W4, 0, ctlr_read, ctlr_write, "CTLR"),
	REG(GICD_TYPER, 4, W4, REG_RO, typer_read, NULL, "TYPER"),
	REG(GICD_IIDR, 4, W4, REG_RO, iidr_read, NULL, "IIDR"),
	REG(GICD_TYPER2, 4, W4, REG_RO, NULL, NULL, "TYPER2"),
	REG(GICD_STATUSR, 4, W4, 0, NULL, NULL, "STATUSR"),
	REG(GICD_SETSPI_NSR, 4, W2 | W4, REG_WO | REG_LOW16, NULL, setspi_write, "SETSPI_NSR"),
	REG(GICD_CLRSPI_NSR, 4, W2 | W4, REG_WO | REG_LOW16, NULL, clrspi_write, "CLRSPI_NSR"),
	/* Secure-only; WI when DS=1. */
	REG(GICD_SETSPI_SR, 4, W2 | W4, REG_WO | REG_LOW16, NULL, NULL, "SETSPI_SR"),
	REG(GICD_CLRSPI_SR, 4, W2 | W4, REG_WO | REG_LOW16, NULL, NULL, "CLRSPI_SR"),
	PER_IRQ(GICD_IGROUPR, 1, W4, group_get, group_set, "IGROUPR"),
	PER_IRQ(GICD_ISENABLER, 1, W4, enable_get, enable_set, "ISENABLER"),
	PER_IRQ(GICD_ICENABLER, 1, W4, enable_get, enable_clear, "ICENABLER"),
	PER_IRQ_F(GICD_ISPENDR, 1, W4, REG_PEND, pending_get, pending_set, "ISPENDR"),
	PER_IRQ_F(GICD_ICPENDR, 1, W4, REG_PEND, pending_get, pending_clear, "ICPENDR"),
	PER_IRQ_F(GICD_ISACTIVER, 1, W4, REG_ACT, active_get, active_set, "ISACTIVER"),
	PER_IRQ_F(GICD_ICACTIVER, 1, W4, REG_ACT, active_get, active_clear, "ICACTIVER"),
	PER_IRQ(GICD_IPRIORITYR, 8, W1 | W4, priority_get, priority_set, "IPRIORITYR"),
	/* Legacy targets: RAZ/WI under affinity routing. */
	PER_IRQ(GICD_ITARGETSR, 8, W1 | W4, NULL, NULL, "ITARGETSR"),
	PER_IRQ(GICD_ICFGR, 2, W4, config_get, config_set, "ICFGR"),
	/* Security-related: RAZ/WI with DS=1. */
	PER_IRQ(GICD_IGRPMODR, 1, W4, NULL, NULL, "IGRPMODR"),
	PER_IRQ(GICD_NSACR, 2, W4, NULL, NULL, "NSACR"),
	/* Legacy SGI registers: RAZ/WI under affinity routing. */
	REG(GICD_SGIR, 4, W4, 0, NULL, NULL, "SGIR"),
	REG(GICD_CPENDSGIR, 16, W1 | W4, 0, NULL, NULL, "CPENDSGIR"),
	REG(GICD_SPENDSGIR, 16, W1 | W4, 0, NULL, NULL, "SPENDSGIR"),
	/* No NMI support (TYPER.NMI=0): RAZ/WI. */
	PER_IRQ(GICD_INMIR, 1, W4, NULL, NULL, "INMIR"),
	PER_IRQ(GICD_IROUTER, 64, W4 | W8, route_get, route_set, "IROUTER"),
	REG(GIC_IDREGS_START, GICD_FRAME_SIZE - GIC_IDREGS_START, W4, REG_RO, idreg_read, NULL,
	    "ID"),
};

static const struct dist_reg *find_reg(uint32_t offset)
{
	for (size_t i = 0; i < sizeof(dist_map) / sizeof(dist_map[0]); i++) {
		const struct dist_reg *r = &dist_map[i];

		if (offset >= r->offset && offset - r->offset < r->len)
			return r;
	}
	return NULL;
}

static unsigned width_bit(unsigned size)
{
	switch (size) {
	case 1: return W1;
	case 2: return W2;
	case 4: return W4;
	case 8: return W8;
	default: return 0;
	}
}

/* Field of a configured SPI, 0 (RAZ) for SGIs, PPIs and unconfigured INTIDs. */
static uint64_t field_get(const struct dist *d, const struct dist_reg *r, uint32_t intid)
{
	uint64_t mask = r->bpi == 64 ? ~0ull : (1ull << r->bpi) - 1;

	return dist_spi_valid(d, intid) ? r->get(d, intid) & mask : 0;
}

static uint64_t per_irq_read(struct dist *d, const struct dist_reg *r, const struct dist_access *a)
{
	uint32_t bit = a->off * 8;
	uint32_t intid = bit / r->bpi;
	unsigned nbits = a->size * 8;
	uint64_t val = 0;

	if (!r->get)
		return 0;
	if (nbits < r->bpi) /* part of one field: a 32-bit half of IROUTER */
		return (field_get(d, r, intid) >> (bit % r->bpi)) & ((1ull << nbits) - 1);
	for (unsigned i = 0; i < nbits / r->bpi; i++)
		val |= field_get(d, r, intid + i) << (i * r->bpi);
	return val;
}

static void per_irq_write(struct dist *d, const struct dist_reg *r, const struct dist_access *a,
			  uint64_t val)
{
	uint32_t bit = a->off * 8;
	uint32_t intid = bit / r->bpi;
	unsigned nbits = a->size * 8;
	uint64_t mask = r->bpi == 64 ? ~0ull : (1ull << r->bpi) - 1;

	if (!r->set)
		return;
	if (nbits < r->bpi) {
		/* Read-modify-write of one half; the other half keeps its value. */
		unsigned shift = bit % r->bpi;
		uint64_t part = ((1ull << nbits) - 1) << shift;

		if (dist_spi_valid(d, intid))
			r->set(d, intid, (r->get(d, intid) & ~part) | ((val << shift) & part));
		return;
	}
	for (unsigned i = 0; i < nbits / r->bpi; i++)
		if (dist_spi_valid(d, intid + i))
			r->set(d, intid + i, (val >> (i * r->bpi)) & mask);
}

/*
 * Finds the descriptor for an access and checks it; NULL (with the reject
 * counted and *why set) if the access is to be ignored.
 */
static const struct dist_reg *decode(struct dist *d, uint32_t offset, unsigned size,
				     const char **why)
{
	const struct dist_reg *r;

	if (!width_bit(size)) {
		d->stats.bad_width++;
		*why = "not a 1, 2, 4 or 8 byte access";
		return NULL;
	}
	if (offset % size) {
		d->stats.misaligned++;
		*why = "misaligned";
		return NULL;
	}
	r = offset < GICD_FRAME_SIZE ? find_reg(offset) : NULL;
	if (!r) {
		d->stats.reserved++;
		*why = "reserved offset";
		return NULL;
	}
	if (!(r->widths & width_bit(size)) || offset - r->offset + size > r->len ||
	    ((r->flags & REG_LOW16) && size < 4 && (offset - r->offset) % 4 != 0)) {
		d->stats.bad_width++;
		*why = "access width the register does not allow";
		return NULL;
	}
	return r;
}

/*
 * Adds the owners' state to a pending/active word (32 one-bit fields, the
 * only width these registers allow).  Returns false, with ov->need set, if
 * some in-flight SPI has no answer yet.  What the distributor still holds
 * for an owned SPI (an edge that arrived while it was disabled, the line
 * level) is part of the pending view too.
 */
static bool overlay_owned(const struct dist *d, const struct dist_reg *r,
			  const struct dist_access *a, uint64_t *val, struct dist_overlay *ov)
{
	uint32_t base = a->off * 8, owned = 0;

	for (unsigned i = 0; i < 32; i++)
		if (spi_in_flight(d, base + i))
			owned |= 1u << i;
	ov->base = base;
	ov->need = owned & ~ov->known;
	if (ov->need)
		return false;
	*val |= ((r->flags & REG_PEND) ? ov->pending : ov->active) & owned;
	return true;
}

enum dist_status dist_mmio_read_owned(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				      uint64_t *val, struct dist_overlay *ov)
{
	const char *why = NULL;
	const struct dist_reg *r = decode(d, offset, size, &why);
	struct dist_access a;

	*val = 0;
	if (!r)
		return ignored(vcpu, false, offset, size, why);
	if (r->flags & REG_WO) {
		d->stats.wo_read++;
		return ignored(vcpu, false, offset, size, "write-only register");
	}
	a = (struct dist_access){ .vcpu = vcpu, .off = offset - r->offset, .size = size };
	if (r->bpi)
		*val = per_irq_read(d, r, &a);
	else if (r->read)
		*val = r->read(d, &a);
	if ((r->flags & (REG_PEND | REG_ACT)) && !overlay_owned(d, r, &a, val, ov)) {
		*val = 0;
		return DIST_DEFER;
	}
	if (size < 8)
		*val &= (1ull << (size * 8)) - 1;
	return DIST_OK;
}

enum dist_status dist_mmio_read(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				uint64_t *val)
{
	struct dist_overlay none = { 0 };

	return dist_mmio_read_owned(d, vcpu, offset, size, val, &none);
}

enum dist_status dist_mmio_write(struct dist *d, unsigned vcpu, uint32_t offset, unsigned size,
				 uint64_t val)
{
	const char *why = NULL;
	const struct dist_reg *r = decode(d, offset, size, &why);
	struct dist_access a;

	if (!r)
		return ignored(vcpu, true, offset, size, why);
	if (r->flags & REG_RO) {
		d->stats.ro_write++;
		return ignored(vcpu, true, offset, size, "read-only register");
	}
	/* The channel carries 64 bits; bits above the access size are not the guest's. */
	if (size < 8)
		val &= (1ull << (size * 8)) - 1;
	a = (struct dist_access){ .vcpu = vcpu, .off = offset - r->offset, .size = size };
	if (r->bpi)
		per_irq_write(d, r, &a, val);
	else if (r->write)
		r->write(d, &a, val);
	return DIST_OK;
}
