// SPDX-License-Identifier: MIT
/*
 * Access checking: widths each register allows, natural alignment, reserved
 * offsets, writes to read-only and reads of write-only registers.  Rejected
 * accesses are RAZ/WI, never fatal, and counted once each in d->stats.
 */
#include "dist_test.h"

#define S1 (1u << 1)
#define S2 (1u << 2)
#define S4 (1u << 4)
#define S8 (1u << 8)

enum { RW, RO, WO };

/* Offsets and widths as Arm IHI 0069 lists them (literal, so a wrong
 * constant in gic_regs.h would show up here too). */
static const struct width_case {
	const char *name;
	uint32_t off;
	unsigned allowed; /* S<size> bits */
	int kind;
} width_cases[] = {
	{ "CTLR", 0x0000, S4, RW },
	{ "TYPER", 0x0004, S4, RO },
	{ "IIDR", 0x0008, S4, RO },
	{ "TYPER2", 0x000c, S4, RO },
	{ "STATUSR", 0x0010, S4, RW },
	{ "SETSPI_NSR", 0x0040, S2 | S4, WO },
	{ "CLRSPI_NSR", 0x0048, S2 | S4, WO },
	{ "SETSPI_SR", 0x0050, S2 | S4, WO },
	{ "CLRSPI_SR", 0x0058, S2 | S4, WO },
	{ "IGROUPR1", 0x0084, S4, RW },
	{ "IGROUPR2", 0x0088, S4, RW },
	{ "ISENABLER1", 0x0104, S4, RW },
	{ "ICENABLER1", 0x0184, S4, RW },
	{ "ISPENDR1", 0x0204, S4, RW },
	{ "ICPENDR1", 0x0284, S4, RW },
	{ "ISACTIVER1", 0x0304, S4, RW },
	{ "ICACTIVER1", 0x0384, S4, RW },
	{ "IPRIORITYR8", 0x0420, S1 | S4, RW },
	{ "ITARGETSR8", 0x0820, S1 | S4, RW },
	{ "ICFGR2", 0x0c08, S4, RW },
	{ "IGRPMODR1", 0x0d04, S4, RW },
	{ "NSACR2", 0x0e08, S4, RW },
	{ "SGIR", 0x0f00, S4, RW },
	{ "CPENDSGIR0", 0x0f10, S1 | S4, RW },
	{ "SPENDSGIR0", 0x0f20, S1 | S4, RW },
	{ "INMIR1", 0x0f84, S4, RW },
	{ "IROUTER32", 0x6100, S4 | S8, RW },
	{ "IROUTER33", 0x6108, S4 | S8, RW },
	{ "PIDR2", 0xffe8, S4, RO },
	{ "CIDR0", 0xfff0, S4, RO },
};

static struct dist_stats stats_delta(const struct dist_stats *a, const struct dist_stats *b)
{
	return (struct dist_stats){
		.bad_width = b->bad_width - a->bad_width,
		.misaligned = b->misaligned - a->misaligned,
		.reserved = b->reserved - a->reserved,
		.ro_write = b->ro_write - a->ro_write,
		.wo_read = b->wo_read - a->wo_read,
		.bad_intid = b->bad_intid - a->bad_intid,
	};
}

/* Expected outcome of an access; which counter moves when it is rejected. */
static void check_access(const struct width_case *c, unsigned size, int write)
{
	struct dist *d = fx_init(64, 1);
	struct dist_stats before = d->stats, delta;
	enum dist_status st;
	uint64_t v = 0x5a5a5a5a5a5a5a5aull;

	if (write)
		st = dist_mmio_write(d, 1, c->off, size, 0);
	else
		st = dist_mmio_read(d, 1, c->off, size, &v);
	delta = stats_delta(&before, &d->stats);

	if (c->off % size) {
		ck_assert_msg(st == DIST_IGNORED && delta.misaligned == 1, "%s size %u", c->name,
			      size);
	} else if (!(c->allowed & (1u << size))) {
		ck_assert_msg(st == DIST_IGNORED && delta.bad_width == 1, "%s size %u", c->name,
			      size);
	} else if (write && c->kind == RO) {
		ck_assert_msg(st == DIST_IGNORED && delta.ro_write == 1, "%s", c->name);
	} else if (!write && c->kind == WO) {
		ck_assert_msg(st == DIST_IGNORED && delta.wo_read == 1, "%s", c->name);
	} else {
		ck_assert_msg(st == DIST_OK, "%s size %u %s", c->name, size,
			      write ? "write" : "read");
		ck_assert_uint_eq(stats_total(d) - d->stats.bad_intid, 0);
	}
	if (st == DIST_IGNORED) {
		ck_assert_uint_eq(stats_total(d), 1);
		if (!write)
			ck_assert_uint_eq(v, 0);
	}
}

START_TEST(test_widths)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	for (unsigned i = 0; i < sizeof(width_cases) / sizeof(width_cases[0]); i++)
		for (unsigned s = 0; s < 4; s++) {
			check_access(&width_cases[i], sizes[s], 0);
			check_access(&width_cases[i], sizes[s], 1);
		}
}
END_TEST

START_TEST(test_impossible_sizes)
{
	static const unsigned sizes[] = { 0, 3, 5, 6, 7, 16, 64, 0xffffffffu };
	struct dist *d = fx_init(64, 0);
	uint64_t v = 1;

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(dist_mmio_read(d, 0, GICD_CTLR, sizes[i], &v), DIST_IGNORED);
		ck_assert_uint_eq(v, 0);
		ck_assert_int_eq(dist_mmio_write(d, 0, GICD_ISENABLER + 4, sizes[i], ~0ull),
				 DIST_IGNORED);
	}
	ck_assert_uint_eq(d->stats.bad_width, 2 * (sizeof(sizes) / sizeof(sizes[0])));
	ck_assert_uint_eq(rd32(d, GICD_ISENABLER + 4), 0);
}
END_TEST

START_TEST(test_halfword_setspi_upper_half)
{
	struct dist *d = fx_init(64, 0);

	/* 16-bit access is allowed to bits [15:0] only. */
	wr32(d, GICD_ICFGR + 8, 0xaaaaaaaau); /* SPIs 32..47 edge */
	ck_assert_int_eq(dist_mmio_write(d, 0, GICD_SETSPI_NSR + 2, 2, 0), DIST_IGNORED);
	ck_assert_int_eq(dist_mmio_write(d, 0, GICD_CLRSPI_NSR + 2, 2, 0), DIST_IGNORED);
	ck_assert_uint_eq(d->stats.bad_width, 2);
	wr(d, GICD_SETSPI_NSR, 2, 33);
	ck_assert_uint_eq(rd32(d, GICD_ISPENDR + 4), 1u << 1);
	wr(d, GICD_CLRSPI_NSR, 2, 33);
	ck_assert_uint_eq(rd32(d, GICD_ISPENDR + 4), 0);
}
END_TEST

/* A rejected write leaves every piece of state as it was. */
START_TEST(test_rejected_writes_no_effect)
{
	static const struct {
		uint32_t off;
		unsigned size;
	} bad[] = {
		{ GICD_CTLR, 1 },
		{ GICD_CTLR, 2 },
		{ GICD_CTLR, 8 },
		{ GICD_CTLR + 2, 4 },
		{ GICD_ISENABLER + 4, 1 },
		{ GICD_ISENABLER + 4, 2 },
		{ GICD_ISENABLER + 8, 8 },
		{ GICD_ISPENDR + 5, 1 },
		{ GICD_ISACTIVER + 6, 2 },
		{ GICD_IGROUPR + 4, 2 },
		{ GICD_IPRIORITYR + 32, 2 },
		{ GICD_IPRIORITYR + 32, 8 },
		{ GICD_IPRIORITYR + 33, 4 },
		{ GICD_ICFGR + 8, 1 },
		{ GICD_ICFGR + 8, 8 },
		{ GICD_IROUTER + 8 * 40, 1 },
		{ GICD_IROUTER + 8 * 40, 2 },
		{ GICD_IROUTER + 8 * 40 + 4, 8 },
		{ GICD_IROUTER + 8 * 40 + 2, 4 },
		{ GICD_SETSPI_NSR, 1 },
		{ GICD_SETSPI_NSR, 8 },
		{ GICD_SETSPI_NSR + 2, 2 },
		{ GICD_SETSPI_NSR + 1, 2 },
		{ GICD_TYPER, 4 },
		{ GIC_PIDR2, 4 },
		{ 0x0014, 4 },
		{ 0x7ffc, 4 },
		{ 0x10000, 4 },
	};
	struct dist *d = fx_init(64, 0);
	struct dist snapshot;
	unsigned n = sizeof(bad) / sizeof(bad[0]);

	memcpy(&snapshot, d, sizeof(snapshot));
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(dist_mmio_write(d, 0, bad[i].off, bad[i].size, 40) == DIST_IGNORED,
			      "0x%x/%u", bad[i].off, bad[i].size);
	ck_assert_uint_eq(stats_total(d), n);
	snapshot.stats = d->stats;
	ck_assert_int_eq(memcmp(&snapshot, d, sizeof(snapshot)), 0);
}
END_TEST

START_TEST(test_reserved_offsets)
{
	static const uint32_t reserved[] = {
		0x0014, 0x0018, 0x001c, 0x0020, 0x003c, 0x0044, 0x004c, 0x0054, 0x005c, 0x0060,
		0x007c, 0x07fc, 0x0bfc, 0x0f04, 0x0f0c, 0x0f30, 0x0f7c, 0x1000, 0x1080, 0x2000,
		0x5ffc, 0x7fe0, 0x7fe8, 0x7ffc, 0x8000, 0xc000, 0xffc0, 0xffcc,
	};
	struct dist *d = fx_init(988, 1);
	unsigned n = sizeof(reserved) / sizeof(reserved[0]);
	uint64_t v;

	for (unsigned i = 0; i < n; i++) {
		v = 1;
		ck_assert_int_eq(dist_mmio_read(d, 0, reserved[i], 4, &v), DIST_IGNORED);
		ck_assert_uint_eq(v, 0);
		ck_assert_int_eq(dist_mmio_write(d, 0, reserved[i], 4, ~0ull), DIST_IGNORED);
	}
	ck_assert_uint_eq(d->stats.reserved, 2 * n);
	/* Beyond the 64 KiB frame (the caller should never pass it): same. */
	v = 1;
	ck_assert_int_eq(dist_mmio_read(d, 0, 0x10000, 4, &v), DIST_IGNORED);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(dist_mmio_write(d, 0, 0xfffffff8u, 8, ~0ull), DIST_IGNORED);
	ck_assert_uint_eq(d->stats.reserved, 2 * n + 2);
	ck_assert_uint_eq(stats_total(d), d->stats.reserved);
}
END_TEST

START_TEST(test_ro_writes)
{
	struct dist *d = fx_init(960, 1);
	uint32_t typer = rd32(d, GICD_TYPER), pidr2 = rd32(d, GIC_PIDR2);

	ck_assert_int_eq(dist_mmio_write(d, 0, GICD_TYPER, 4, 0), DIST_IGNORED);
	ck_assert_int_eq(dist_mmio_write(d, 0, GICD_IIDR, 4, 0), DIST_IGNORED);
	ck_assert_int_eq(dist_mmio_write(d, 0, GICD_TYPER2, 4, ~0ull), DIST_IGNORED);
	for (uint32_t off = GIC_PIDR4; off <= GIC_CIDR3; off += 4)
		ck_assert_int_eq(dist_mmio_write(d, 0, off, 4, 0), DIST_IGNORED);
	ck_assert_uint_eq(d->stats.ro_write, 3 + 12);
	ck_assert_uint_eq(stats_total(d), d->stats.ro_write);
	ck_assert_uint_eq(rd32(d, GICD_TYPER), typer);
	ck_assert_uint_eq(rd32(d, GICD_IIDR), SG_IIDR);
	ck_assert_uint_eq(rd32(d, GICD_TYPER2), 0);
	ck_assert_uint_eq(rd32(d, GIC_PIDR2), pidr2);
}
END_TEST

START_TEST(test_wo_reads)
{
	static const uint32_t wo[] = { GICD_SETSPI_NSR, GICD_CLRSPI_NSR, GICD_SETSPI_SR,
				       GICD_CLRSPI_SR };
	struct dist *d = fx_init(64, 0);

	/* Something pending, so a read that leaked state would be non-zero. */
	wr32(d, GICD_SETSPI_NSR, 32);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t v = 1;

		ck_assert_int_eq(dist_mmio_read(d, 0, wo[i], 4, &v), DIST_IGNORED);
		ck_assert_uint_eq(v, 0);
		v = 1;
		ck_assert_int_eq(dist_mmio_read(d, 0, wo[i], 2, &v), DIST_IGNORED);
		ck_assert_uint_eq(v, 0);
	}
	ck_assert_uint_eq(d->stats.wo_read, 8);
	ck_assert_uint_eq(stats_total(d), 8);
}
END_TEST

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random accesses: never fatal, reads of rejected accesses are 0, and every
 * DIST_IGNORED moves exactly one access counter (bad_intid is a write
 * that was performed, with no effect).  Random IROUTER, enable and pending
 * writes send SPIs to vCPUs; a read of their pending/active state then
 * waits for the owners (DIST_DEFER, no counter, value 0). */
START_TEST(test_fuzz_accounting)
{
	static const unsigned sizes[] = { 0, 1, 2, 3, 4, 8, 16 };
	struct dist *d = fx_init(64, 1);
	static const struct dist_spi zero;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (unsigned i = 0; i < 200000; i++) {
		uint64_t r = xorshift(&seed);
		uint32_t off = (r & 1) ? (uint32_t)(r >> 8) % 0x10010u
				       : (uint32_t)(r >> 8) % 0x1000u; /* dense low registers */
		unsigned size = sizes[(r >> 40) % 7];
		uint64_t before = stats_total(d) - d->stats.bad_intid, after;
		uint64_t v = xorshift(&seed);
		enum dist_status st;

		if ((r >> 4) & 1)
			st = dist_mmio_write(d, (unsigned)(r >> 50), off, size, v);
		else
			st = dist_mmio_read(d, (unsigned)(r >> 50), off, size, &v);
		after = stats_total(d) - d->stats.bad_intid;
		ck_assert(st == DIST_OK || st == DIST_IGNORED ||
			  (st == DIST_DEFER && !((r >> 4) & 1)));
		ck_assert_uint_eq(after - before, st == DIST_IGNORED ? 1 : 0);
		if (st != DIST_OK && !((r >> 4) & 1))
			ck_assert_uint_eq(v, 0);
		if (st == DIST_OK && !((r >> 4) & 1) && size < 8)
			ck_assert_uint_eq(v >> (8 * size), 0); /* zero-extended */
	}
	for (unsigned i = 64; i < GIC_MAX_NR_SPIS; i++)
		ck_assert_int_eq(memcmp(&d->spi[i], &zero, sizeof(zero)), 0);
}
END_TEST

Suite *dist_access_suite(void)
{
	Suite *s = suite_create("dist-access");
	TCase *tc = tcase_create("access");

	tcase_add_test(tc, test_widths);
	tcase_add_test(tc, test_impossible_sizes);
	tcase_add_test(tc, test_halfword_setspi_upper_half);
	tcase_add_test(tc, test_rejected_writes_no_effect);
	tcase_add_test(tc, test_reserved_offsets);
	tcase_add_test(tc, test_ro_writes);
	tcase_add_test(tc, test_wo_reads);
	tcase_add_test(tc, test_fuzz_accounting);
	suite_add_tcase(s, tc);
	return s;
}
