// SPDX-License-Identifier: MIT
/*
 * SPI pending semantics: SETSPI_NSR/CLRSPI_NSR (message-based SPIs), wired
 * lines (dist_spi_set_line) on edge and level SPIs, ISPENDR/ICPENDR
 * against an asserted level, and rejected INTIDs.
 */
#include "dist_test.h"

static int pending(struct dist *d, uint32_t intid)
{
	return (rd32(d, GICD_ISPENDR + 4 * (intid / 32)) >> (intid % 32)) & 1;
}

static void set_edge(struct dist *d, uint32_t intid, int edge)
{
	uint32_t off = GICD_ICFGR + 4 * (intid / 16), sh = 2 * (intid % 16);
	uint32_t v = rd32(d, off);

	wr32(d, off, edge ? v | (2u << sh) : v & ~(2u << sh));
}

static void ispendr(struct dist *d, uint32_t intid)
{
	wr32(d, GICD_ISPENDR + 4 * (intid / 32), 1u << (intid % 32));
}

static void icpendr(struct dist *d, uint32_t intid)
{
	wr32(d, GICD_ICPENDR + 4 * (intid / 32), 1u << (intid % 32));
}

/* Edge SPI: SETSPI adds the pending state, CLRSPI removes it, for every SPI
 * and both access widths; no other SPI is affected. */
START_TEST(test_setspi_edge)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (unsigned w = 0; w < 64; w++)
			wr32(d, GICD_ICFGR + 4 * w, 0xaaaaaaaau);
		for (uint32_t id = 32; id < 32 + n; id++) {
			unsigned size = (id & 1) ? 2 : 4;

			wr(d, GICD_SETSPI_NSR, size, id);
			ck_assert(pending(d, id));
			ck_assert(!pending(d, id == 32 ? 33 : id - 1));
			wr(d, GICD_SETSPI_NSR, size, id); /* already pending: no effect */
			ck_assert(pending(d, id));
			wr(d, GICD_CLRSPI_NSR, size, id);
			ck_assert(!pending(d, id));
		}
		/* ICPENDR also removes a SETSPI on an edge SPI. */
		wr32(d, GICD_SETSPI_NSR, 32 + n - 1);
		icpendr(d, 32 + n - 1);
		ck_assert(!pending(d, 32 + n - 1));
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

/* Level SPI: SETSPI asserts a level that ICPENDR cannot remove; CLRSPI
 * deasserts it. */
START_TEST(test_setspi_level)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (uint32_t id = 32; id < 32 + n; id++) {
			wr32(d, GICD_SETSPI_NSR, id);
			ck_assert(pending(d, id));
			icpendr(d, id);
			ck_assert(pending(d, id));
			wr32(d, GICD_CLRSPI_NSR, id);
			ck_assert(!pending(d, id));
		}
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

/* The message level and the wired line are separate inputs of a level SPI. */
START_TEST(test_setspi_level_with_line)
{
	struct dist *d = fx_init(64, 0);

	dist_spi_set_line(d, 50, true);
	wr32(d, GICD_SETSPI_NSR, 50);
	wr32(d, GICD_CLRSPI_NSR, 50);
	ck_assert(pending(d, 50)); /* the wired line still asserts it */
	dist_spi_set_line(d, 50, false);
	ck_assert(!pending(d, 50));
	wr32(d, GICD_SETSPI_NSR, 50);
	dist_spi_set_line(d, 50, true);
	dist_spi_set_line(d, 50, false);
	ck_assert(pending(d, 50)); /* the message level still asserts it */
	wr32(d, GICD_CLRSPI_NSR, 50);
	ck_assert(!pending(d, 50));
}
END_TEST

START_TEST(test_setspi_bad_intid)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);
		/* SGIs, PPIs, beyond the configured SPIs, special INTIDs 1020..1023,
		 * the extended SPI range (4096+), and the top of the 13-bit field. */
		const uint32_t bad[] = {
			0, 15, 16, 31, 32 + n, 1020, 1023, 4096, 4096 + 40, 0x1fff
		};
		unsigned nbad = sizeof(bad) / sizeof(bad[0]);
		struct dist snapshot;

		memcpy(&snapshot, d, sizeof(snapshot));
		for (unsigned i = 0; i < nbad; i++) {
			wr32(d, GICD_SETSPI_NSR, bad[i]);
			wr32(d, GICD_CLRSPI_NSR, bad[i]);
		}
		ck_assert_uint_eq(d->stats.bad_intid, 2 * nbad);
		snapshot.stats = d->stats;
		ck_assert_int_eq(memcmp(&snapshot, d, sizeof(snapshot)), 0);
	}
}
END_TEST

/* Bits [31:13] are RES0: they neither select another INTID nor block the write. */
START_TEST(test_setspi_res0_bits)
{
	struct dist *d = fx_init(64, 0);

	wr32(d, GICD_SETSPI_NSR, 0xffffe000u | 40);
	ck_assert(pending(d, 40));
	wr32(d, GICD_CLRSPI_NSR, 0x80000000u | 40);
	ck_assert(!pending(d, 40));
	/* A 4-byte write's value above bit 31 is not the guest's. */
	wr(d, GICD_SETSPI_NSR, 4, (1ull << 40) | 41);
	ck_assert(pending(d, 41));
	ck_assert_uint_eq(stats_total(d), 0);
}
END_TEST

/* Level SPI: pending follows the wired line. */
START_TEST(test_line_level)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (uint32_t id = 32; id < 32 + n; id++) {
			dist_spi_set_line(d, id, true);
			ck_assert(pending(d, id));
			dist_spi_set_line(d, id, true);
			ck_assert(pending(d, id));
			dist_spi_set_line(d, id, false);
			ck_assert(!pending(d, id));
		}
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

/* Level SPI: ICPENDR cannot remove the pending state of an asserted line;
 * ISPENDR latches pending state that outlives the line. */
START_TEST(test_level_pending_latch)
{
	struct dist *d = fx_init(64, 0);

	dist_spi_set_line(d, 70, true);
	icpendr(d, 70);
	ck_assert(pending(d, 70));
	dist_spi_set_line(d, 70, false);
	ck_assert(!pending(d, 70));

	ispendr(d, 70);
	ck_assert(pending(d, 70));
	dist_spi_set_line(d, 70, true);
	dist_spi_set_line(d, 70, false);
	ck_assert(pending(d, 70)); /* the latch remains */
	icpendr(d, 70);
	ck_assert(!pending(d, 70));
}
END_TEST

/* Edge SPI: a rising edge latches pending; the line falling does not clear
 * it; a line held high does not pend again. */
START_TEST(test_line_edge)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (unsigned w = 0; w < 64; w++)
			wr32(d, GICD_ICFGR + 4 * w, 0xaaaaaaaau);
		for (uint32_t id = 32; id < 32 + n; id++) {
			dist_spi_set_line(d, id, true);
			ck_assert(pending(d, id));
			dist_spi_set_line(d, id, false);
			ck_assert(pending(d, id));
			icpendr(d, id);
			ck_assert(!pending(d, id));
			/* No edge while the line stays high. */
			dist_spi_set_line(d, id, true);
			icpendr(d, id);
			dist_spi_set_line(d, id, true);
			ck_assert(!pending(d, id));
			/* Falling then rising is a new edge. */
			dist_spi_set_line(d, id, false);
			ck_assert(!pending(d, id));
			dist_spi_set_line(d, id, true);
			ck_assert(pending(d, id));
		}
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

/* The configuration decides how the inputs make the SPI pending. */
START_TEST(test_line_config_switch)
{
	struct dist *d = fx_init(64, 0);

	set_edge(d, 60, 1);
	ck_assert_uint_eq((rd32(d, GICD_ICFGR + 4 * (60 / 16)) >> (2 * (60 % 16))) & 3, 2);
	dist_spi_set_line(d, 60, true);
	icpendr(d, 60);
	ck_assert(!pending(d, 60)); /* edge: the high line is not pending state */
	set_edge(d, 60, 0);
	ck_assert(pending(d, 60)); /* level: the high line is */
}
END_TEST

START_TEST(test_line_bad_intid)
{
	struct dist *d = fx_init(64, 0);
	const uint32_t bad[] = { 0, 16, 31, 96, 1019, 1020, 1023, 8192, 0xffffffffu };
	unsigned nbad = sizeof(bad) / sizeof(bad[0]);
	struct dist snapshot;

	memcpy(&snapshot, d, sizeof(snapshot));
	for (unsigned i = 0; i < nbad; i++) {
		dist_spi_set_line(d, bad[i], true);
		dist_spi_set_line(d, bad[i], false);
	}
	ck_assert_uint_eq(d->stats.bad_intid, 2 * nbad);
	snapshot.stats = d->stats;
	ck_assert_int_eq(memcmp(&snapshot, d, sizeof(snapshot)), 0);
}
END_TEST

/* Pending and active are independent; SETSPI on an active SPI makes it
 * active and pending. */
START_TEST(test_setspi_active)
{
	struct dist *d = fx_init(64, 0);

	wr32(d, GICD_ISACTIVER + 4, 1u << 8); /* SPI 40 */
	wr32(d, GICD_SETSPI_NSR, 40);
	ck_assert(pending(d, 40));
	ck_assert_uint_eq(rd32(d, GICD_ISACTIVER + 4), 1u << 8);
	wr32(d, GICD_CLRSPI_NSR, 40);
	ck_assert(!pending(d, 40));
	ck_assert_uint_eq(rd32(d, GICD_ICACTIVER + 4), 1u << 8);
}
END_TEST

Suite *dist_spi_suite(void)
{
	Suite *s = suite_create("dist-spi");
	TCase *tc = tcase_create("spi");

	tcase_add_test(tc, test_setspi_edge);
	tcase_add_test(tc, test_setspi_level);
	tcase_add_test(tc, test_setspi_level_with_line);
	tcase_add_test(tc, test_setspi_bad_intid);
	tcase_add_test(tc, test_setspi_res0_bits);
	tcase_add_test(tc, test_line_level);
	tcase_add_test(tc, test_level_pending_latch);
	tcase_add_test(tc, test_line_edge);
	tcase_add_test(tc, test_line_config_switch);
	tcase_add_test(tc, test_line_bad_intid);
	tcase_add_test(tc, test_setspi_active);
	suite_add_tcase(s, tc);
	return s;
}
