// SPDX-License-Identifier: MIT
/*
 * The GITS_* register frame (Arm IHI 0069 "ITS register descriptions"):
 * control page at 0x0000, translation page at 0x10000.  64-bit registers
 * take 64-bit accesses and 32-bit accesses to either half; the others take
 * 32-bit accesses only (GITS_TRANSLATER: 16 or 32).  Anything else is
 * RAZ/WI and counted.  State changes go to its_cmd.c and its_table.c.
 */
#include "its_internal.h"
#include "log.h"

#define CBASER_WRITABLE                                                                            \
	((1ull << 63) | (7ull << 59) | (7ull << 53) | 0x000FFFFFFFFFF000ull | (3ull << 10) |       \
	 0xFFull)
#define BASER_WRITABLE                                                                             \
	((3ull << 62) | (7ull << 59) | (7ull << 53) | 0x0000FFFFFFFFF000ull | (3ull << 10) |       \
	 (3ull << 8) | 0xFFull)
#define BASER_PAGE_SIZE_MASK (3ull << 8)

/* GITS_BASER<n>'s read-only fields: Type and Entry_Size (RAZ for n >= 2). */
static uint64_t baser_ro(unsigned n)
{
	uint64_t es = (uint64_t)(ITS_ENTRY_BYTES - 1) << GITS_BASER_ENTRY_SIZE_SHIFT;

	switch (n) {
	case 0: return ((uint64_t)GITS_BASER_TYPE_DEVICE << GITS_BASER_TYPE_SHIFT) | es;
	case 1: return ((uint64_t)GITS_BASER_TYPE_COLLECTION << GITS_BASER_TYPE_SHIFT) | es;
	}
	return 0;
}

uint64_t its_baser_reset(unsigned n)
{
	return baser_ro(n);
}

static uint64_t typer(void)
{
	/* Physical LPIs only; HCC 0 (collections live in BASER1's table);
	 * CIL 0 (16-bit ICIDs); PTA 0 (RDbase is a vCPU number); SEIS 0. */
	return GITS_TYPER_PHYSICAL |
	       ((uint64_t)(ITS_ENTRY_BYTES - 1) << GITS_TYPER_ITT_ENTRY_SIZE_SHIFT) |
	       ((uint64_t)(ITS_EVENT_ID_BITS - 1) << GITS_TYPER_IDBITS_SHIFT) |
	       ((uint64_t)(ITS_DEVICE_ID_BITS - 1) << GITS_TYPER_DEVBITS_SHIFT);
}

static void baser_write(struct its *its, unsigned n, uint64_t v)
{
	v &= BASER_WRITABLE;
	/* Page_Size 0b11 is reserved and treated as 64KB: it reads back so. */
	if ((v & BASER_PAGE_SIZE_MASK) == BASER_PAGE_SIZE_MASK)
		v = (v & ~BASER_PAGE_SIZE_MASK) |
		    ((uint64_t)GITS_BASER_PAGE_SIZE_64K << GITS_BASER_PAGE_SIZE_SHIFT);
	/* 16KB pages: address bits [13:12] are below the page size. */
	if (((v & BASER_PAGE_SIZE_MASK) >> GITS_BASER_PAGE_SIZE_SHIFT) == GITS_BASER_PAGE_SIZE_16K)
		v &= ~(3ull << 12);
	v |= baser_ro(n);
	if (v == its->st.baser[n])
		return;
	its->st.baser[n] = v;
	its_cache_flush(its);
	its_table_remap(its, n == 0 ? ITS_TAB_DEVICE : ITS_TAB_COLLECTION);
}

static void ctlr_write(struct its *its, uint32_t val)
{
	uint32_t en = val & GITS_CTLR_ENABLED;

	if (en == (its->st.ctlr & GITS_CTLR_ENABLED))
		return;
	its->st.ctlr = en;
	its_cache_flush(its);
	if (en)
		its_process(its); /* commands queued while disabled run now */
}

/* The 64-bit registers, by their 8-byte aligned offset. */
static bool is_reg64(uint32_t base)
{
	return base == GITS_TYPER || base == GITS_CBASER || base == GITS_CWRITER ||
	       base == GITS_CREADR || (base >= GITS_BASER && base < GITS_BASER + 8 * 8);
}

static bool is_idreg(uint32_t off)
{
	return off >= GIC_IDREGS_START && off <= GIC_CIDR3 && off % 4 == 0;
}

static uint64_t reg64_read(const struct its *its, uint32_t base)
{
	switch (base) {
	case GITS_TYPER: return typer();
	case GITS_CBASER: return its->st.cbaser;
	case GITS_CWRITER: return its->st.cwriter;
	case GITS_CREADR:
		return its->st.creadr | (its->st.stall != ITS_STALL_NONE ? GITS_CREADR_STALLED : 0);
	}
	if ((base - GITS_BASER) / 8 < 2)
		return its->st.baser[(base - GITS_BASER) / 8];
	return 0; /* GITS_BASER2..7: Type None, RAZ/WI */
}

/* Sizes a register at off accepts: is the access well-formed? */
static bool access_ok(uint32_t off, unsigned size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	if (off % size)
		return false;
	if (off == GITS_TRANSLATER)
		return size == 2 || size == 4;
	if (is_reg64(off & ~7u))
		return size == 8 || size == 4;
	return size == 4;
}

/* Offsets inside a register (any width): a bad access there is a width error. */
static bool known(uint32_t off)
{
	uint32_t w = off & ~3u;

	return w == GITS_CTLR || w == GITS_IIDR || is_reg64(off & ~7u) || is_idreg(w) ||
	       w == GITS_TRANSLATER;
}

/*
 * A guest access the ITS ignores: counted, and logged from this one call
 * site, rate-limited (a guest can repeat it at will).
 */
static enum its_status ignored(const struct its *its, uint64_t *counter, unsigned vcpu, bool write,
			       uint32_t offset, unsigned size, const char *why)
{
	(*counter)++;
	sg_reject_log("vCPU %u: GITS%u %s of %u bytes at offset 0x%05x ignored: %s", vcpu,
		      its->index, write ? "write" : "read", size, offset, why);
	return ITS_IGNORED;
}

enum its_status its_mmio_read(struct its *its, unsigned vcpu, uint32_t offset, unsigned size,
			      uint64_t *val)
{
	uint32_t base = offset & ~7u;
	uint64_t v;

	*val = 0;
	if (offset >= GITS_FRAME_SIZE || !known(offset))
		return ignored(its, &its->stats.reserved, vcpu, false, offset, size,
			       "reserved offset");
	if (!access_ok(offset, size))
		return ignored(its, &its->stats.bad_width, vcpu, false, offset, size,
			       "access width the register does not allow");
	if (offset == GITS_TRANSLATER)
		return ignored(its, &its->stats.wo_read, vcpu, false, offset, size,
			       "write-only register");
	if (offset == GITS_CTLR) {
		*val = its->st.ctlr | (its_quiescent(its) ? GITS_CTLR_QUIESCENT : 0);
		return ITS_OK;
	}
	if (offset == GITS_IIDR) {
		*val = SG_IIDR;
		return ITS_OK;
	}
	if (is_idreg(offset)) {
		*val = gic_idreg(offset, SG_PART_GITS);
		return ITS_OK;
	}
	v = reg64_read(its, base);
	*val = size == 8 ? v : (uint32_t)(v >> ((offset & 4) * 8));
	return ITS_OK;
}

enum its_status its_mmio_write(struct its *its, unsigned vcpu, uint32_t offset, unsigned size,
			       uint64_t val)
{
	uint32_t base = offset & ~7u;
	bool enabled = its->st.ctlr & GITS_CTLR_ENABLED;
	uint64_t v;

	if (offset >= GITS_FRAME_SIZE || !known(offset))
		return ignored(its, &its->stats.reserved, vcpu, true, offset, size,
			       "reserved offset");
	if (!access_ok(offset, size))
		return ignored(its, &its->stats.bad_width, vcpu, true, offset, size,
			       "access width the register does not allow");
	if (offset == GITS_TRANSLATER) {
		/* A CPU write carries no requester ID: DeviceID 0 (docs/architecture.md). */
		its_msi(its, 0, (uint32_t)(size == 2 ? val & 0xFFFF : val & 0xFFFFFFFF));
		return ITS_OK;
	}
	if (offset == GITS_CTLR) {
		ctlr_write(its, (uint32_t)val);
		return ITS_OK;
	}
	if (offset == GITS_IIDR || is_idreg(offset) || base == GITS_TYPER || base == GITS_CREADR)
		return ignored(its, &its->stats.ro_write, vcpu, true, offset, size,
			       "read-only register");
	/* Merge a 32-bit half into the register as the guest reads it. */
	v = reg64_read(its, base);
	if (size == 4) {
		unsigned sh = (offset & 4) * 8;

		v = (v & ~(0xFFFFFFFFull << sh)) | ((val & 0xFFFFFFFFull) << sh);
	} else {
		v = val;
	}
	switch (base) {
	case GITS_CBASER:
		/* Writable only while the ITS is disabled (UNPREDICTABLE otherwise). */
		if (enabled)
			return ignored(its, &its->stats.locked_write, vcpu, true, offset, size,
				       "register written while the ITS is enabled");
		its_cmdq_set_cbaser(its, v & CBASER_WRITABLE);
		return ITS_OK;
	case GITS_CWRITER:
		/* Retry lives in the low half: a write of only the high half has none. */
		if (size == 4 && (offset & 4))
			v &= ~(uint64_t)GITS_CWRITER_RETRY;
		its_cmdq_set_cwriter(its, v);
		return ITS_OK;
	}
	if ((base - GITS_BASER) / 8 >= 2)
		return ITS_OK; /* GITS_BASER2..7: RAZ/WI */
	if (enabled)
		return ignored(its, &its->stats.locked_write, vcpu, true, offset, size,
			       "register written while the ITS is enabled");
	baser_write(its, (base - GITS_BASER) / 8, v);
	return ITS_OK;
}
