// SPDX-License-Identifier: MIT
/*
 * Register behaviour: read/write, set/clear pairs, field masking, RAZ/WI for
 * SGIs, PPIs and INTIDs beyond the configured SPIs, RAZ/WI registers.
 */
#include "dist_test.h"

/* A different, dense bit pattern for each 32-bit word of a bitmap register. */
static uint32_t pattern(unsigned w)
{
	return 0xa5c3e10fu ^ (w * 0x01010101u) ^ (w << 13);
}

START_TEST(test_ctlr_rw)
{
	struct dist *d = fx_init(64, 0);
	const uint32_t are_ds = (1u << 4) | (1u << 6);

	wr32(d, GICD_CTLR, 1u << 0);
	ck_assert_uint_eq(rd32(d, GICD_CTLR), are_ds | 1u);
	wr32(d, GICD_CTLR, 1u << 1);
	ck_assert_uint_eq(rd32(d, GICD_CTLR), are_ds | 2u);
	wr32(d, GICD_CTLR, 3u);
	ck_assert_uint_eq(rd32(d, GICD_CTLR), are_ds | 3u);
	/* E1NWF (7), nASSGIreq (8), RWP (31), all other bits: RAZ/WI; ARE, DS: RAO/WI. */
	wr32(d, GICD_CTLR, 0xffffffffu);
	ck_assert_uint_eq(rd32(d, GICD_CTLR), are_ds | 3u);
	wr32(d, GICD_CTLR, 0);
	ck_assert_uint_eq(rd32(d, GICD_CTLR), are_ds);
	ck_assert_uint_eq(stats_total(d), 0);
}
END_TEST

START_TEST(test_igroupr_rw)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (unsigned w = 0; w < 32; w++)
			wr32(d, GICD_IGROUPR + 4 * w, pattern(w));
		for (unsigned w = 0; w < 32; w++)
			ck_assert_uint_eq(rd32(d, GICD_IGROUPR + 4 * w),
					  pattern(w) & spi_bits(n, w));
		for (unsigned w = 0; w < 32; w++)
			wr32(d, GICD_IGROUPR + 4 * w, 0);
		for (unsigned w = 0; w < 32; w++)
			ck_assert_uint_eq(rd32(d, GICD_IGROUPR + 4 * w), 0);
		for (unsigned w = 0; w < 32; w++)
			wr32(d, GICD_IGROUPR + 4 * w, 0xffffffffu);
		for (unsigned w = 0; w < 32; w++)
			ck_assert_uint_eq(rd32(d, GICD_IGROUPR + 4 * w), spi_bits(n, w));
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

/*
 * A write-1-to-set / write-1-to-clear register pair: both read the same
 * state; zeros written have no effect; SGI/PPI and unconfigured bits RAZ/WI.
 */
static void check_set_clear_pair(uint32_t set_off, uint32_t clr_off, int edge)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		if (edge)
			for (unsigned w = 0; w < 64; w++)
				wr32(d, GICD_ICFGR + 4 * w, 0xaaaaaaaau);
		for (unsigned w = 0; w < 32; w++)
			wr32(d, set_off + 4 * w, pattern(w));
		for (unsigned w = 0; w < 32; w++) {
			uint32_t exp = pattern(w) & spi_bits(n, w);

			ck_assert_uint_eq(rd32(d, set_off + 4 * w), exp);
			ck_assert_uint_eq(rd32(d, clr_off + 4 * w), exp);
		}
		/* Writing zeros changes nothing, through either register. */
		for (unsigned w = 0; w < 32; w++) {
			wr32(d, set_off + 4 * w, 0);
			wr32(d, clr_off + 4 * w, 0);
		}
		for (unsigned w = 0; w < 32; w++)
			ck_assert_uint_eq(rd32(d, set_off + 4 * w), pattern(w) & spi_bits(n, w));
		/* Clear a different subset. */
		for (unsigned w = 0; w < 32; w++)
			wr32(d, clr_off + 4 * w, pattern(w + 7));
		for (unsigned w = 0; w < 32; w++) {
			uint32_t exp = pattern(w) & ~pattern(w + 7) & spi_bits(n, w);

			ck_assert_uint_eq(rd32(d, set_off + 4 * w), exp);
			ck_assert_uint_eq(rd32(d, clr_off + 4 * w), exp);
		}
		for (unsigned w = 0; w < 32; w++)
			wr32(d, set_off + 4 * w, 0xffffffffu);
		for (unsigned w = 0; w < 32; w++)
			ck_assert_uint_eq(rd32(d, clr_off + 4 * w), spi_bits(n, w));
		for (unsigned w = 0; w < 32; w++)
			wr32(d, clr_off + 4 * w, 0xffffffffu);
		for (unsigned w = 0; w < 32; w++)
			ck_assert_uint_eq(rd32(d, set_off + 4 * w), 0);
		ck_assert_uint_eq(stats_total(d), 0);
	}
}

START_TEST(test_enable_set_clear)
{
	check_set_clear_pair(GICD_ISENABLER, GICD_ICENABLER, 0);
}
END_TEST

START_TEST(test_pending_set_clear_level)
{
	check_set_clear_pair(GICD_ISPENDR, GICD_ICPENDR, 0);
}
END_TEST

START_TEST(test_pending_set_clear_edge)
{
	check_set_clear_pair(GICD_ISPENDR, GICD_ICPENDR, 1);
}
END_TEST

START_TEST(test_active_set_clear)
{
	check_set_clear_pair(GICD_ISACTIVER, GICD_ICACTIVER, 0);
}
END_TEST

/* Pending, active and enable are independent states. */
START_TEST(test_states_independent)
{
	struct dist *d = fx_init(64, 0);

	wr32(d, GICD_ISPENDR + 4, 1u << 3);
	ck_assert_uint_eq(rd32(d, GICD_ISACTIVER + 4), 0);
	ck_assert_uint_eq(rd32(d, GICD_ISENABLER + 4), 0);
	wr32(d, GICD_ISACTIVER + 4, 1u << 3);
	ck_assert_uint_eq(rd32(d, GICD_ISPENDR + 4), 1u << 3);
	wr32(d, GICD_ICPENDR + 4, 1u << 3);
	ck_assert_uint_eq(rd32(d, GICD_ISACTIVER + 4), 1u << 3);
	ck_assert_uint_eq(rd32(d, GICD_ISPENDR + 4), 0);
}
END_TEST

static uint8_t prio_value(uint32_t intid)
{
	return (uint8_t)(intid * 37u + 11u);
}

START_TEST(test_priority_bytes)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (uint32_t id = 0; id <= 1019; id++)
			wr(d, GICD_IPRIORITYR + id, 1, prio_value(id));
		for (uint32_t id = 0; id <= 1019; id++) {
			uint8_t exp = is_cfg_spi(n, id) ? prio_value(id) : 0;

			ck_assert_uint_eq(rd(d, GICD_IPRIORITYR + id, 1), exp);
		}
		/* Word reads: byte k of word w is INTID 4w + k (little-endian). */
		for (uint32_t w = 0; w < 255; w++) {
			uint32_t exp = 0;

			for (unsigned k = 0; k < 4; k++)
				if (is_cfg_spi(n, 4 * w + k))
					exp |= (uint32_t)prio_value(4 * w + k) << (8 * k);
			ck_assert_uint_eq(rd32(d, GICD_IPRIORITYR + 4 * w), exp);
		}
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

START_TEST(test_priority_words)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (uint32_t w = 0; w < 255; w++)
			wr32(d, GICD_IPRIORITYR + 4 * w, 0xff807f01u ^ w);
		for (uint32_t id = 0; id <= 1019; id++) {
			uint32_t word = 0xff807f01u ^ (id / 4);
			uint8_t exp = is_cfg_spi(n, id) ? (uint8_t)(word >> (8 * (id % 4))) : 0;

			ck_assert_uint_eq(rd(d, GICD_IPRIORITYR + id, 1), exp);
		}
		/* All eight priority bits are kept. */
		wr(d, GICD_IPRIORITYR + 32, 1, 0xff);
		ck_assert_uint_eq(rd(d, GICD_IPRIORITYR + 32, 1), 0xff);
		wr(d, GICD_IPRIORITYR + 33, 1, 0x01);
		ck_assert_uint_eq(rd(d, GICD_IPRIORITYR + 33, 1), 0x01);
		/* A byte write changes only its own INTID. */
		wr32(d, GICD_IPRIORITYR + 40, 0x44332211u);
		wr(d, GICD_IPRIORITYR + 42, 1, 0xab);
		ck_assert_uint_eq(rd32(d, GICD_IPRIORITYR + 40), 0x44ab2211u);
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

START_TEST(test_icfgr)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (unsigned w = 0; w < 64; w++)
			wr32(d, GICD_ICFGR + 4 * w, 0xffffffffu);
		for (unsigned w = 0; w < 64; w++) {
			uint32_t exp = 0;

			/* Int_config[1] of each configured SPI; Int_config[0] RES0. */
			for (unsigned k = 0; k < 16; k++)
				if (is_cfg_spi(n, 16 * w + k))
					exp |= 2u << (2 * k);
			ck_assert_uint_eq(rd32(d, GICD_ICFGR + 4 * w), exp);
		}
		/* Even bits alone select nothing: everything back to level. */
		for (unsigned w = 0; w < 64; w++)
			wr32(d, GICD_ICFGR + 4 * w, 0x55555555u);
		for (unsigned w = 0; w < 64; w++)
			ck_assert_uint_eq(rd32(d, GICD_ICFGR + 4 * w), 0);
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

#define AFF3_MASK   (0xffull << 32)
#define IRM_BIT	    (1ull << 31)
#define AFF210_MASK 0xffffffull

START_TEST(test_irouter_64)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (uint32_t id = 0; id <= 1019; id++)
			wr(d, GICD_IROUTER + 8 * id, 8, ~0ull);
		for (uint32_t id = 0; id <= 1019; id++) {
			uint64_t exp = is_cfg_spi(n, id) ? AFF3_MASK | IRM_BIT | AFF210_MASK : 0;

			ck_assert_uint_eq(rd(d, GICD_IROUTER + 8 * id, 8), exp);
		}
		/* Distinct affinities per SPI read back unchanged. */
		for (uint32_t id = 32; id < 32 + n; id++) {
			uint64_t aff = ((uint64_t)(id & 0xff) << 32) | ((id * 3u) & 0xff) << 16 |
				       ((id * 5u) & 0xff) << 8 | (id & 0xff);

			wr(d, GICD_IROUTER + 8 * id, 8, aff);
			ck_assert_uint_eq(rd(d, GICD_IROUTER + 8 * id, 8), aff);
		}
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

START_TEST(test_irouter_halves)
{
	struct dist *d = fx_init(64, 0);
	const uint32_t off = GICD_IROUTER + 8 * 40;

	wr(d, off, 8, 0x7full << 32);
	/* Low half: Aff2..Aff0 and IRM; bits [30:24] RES0; high half untouched. */
	wr32(d, off, 0xff123456u);
	ck_assert_uint_eq(rd(d, off, 8), (0x7full << 32) | IRM_BIT | 0x123456u);
	ck_assert_uint_eq(rd32(d, off), 0x80123456u);
	ck_assert_uint_eq(rd32(d, off + 4), 0x7fu);
	/* High half: only Aff3 [39:32] kept; low half untouched. */
	wr32(d, off + 4, 0xffffff12u);
	ck_assert_uint_eq(rd(d, off, 8), (0x12ull << 32) | IRM_BIT | 0x123456u);
	ck_assert_uint_eq(rd32(d, off + 4), 0x12u);
	wr32(d, off, 0x00000001u);
	ck_assert_uint_eq(rd(d, off, 8), (0x12ull << 32) | 0x1u);
	/* 64-bit RES0 bits [63:40] and [30:24] dropped. */
	wr(d, off, 8, 0xffffff007f000000ull);
	ck_assert_uint_eq(rd(d, off, 8), 0);
	/* Another SPI's route is untouched by all of this. */
	ck_assert_uint_eq(rd(d, off + 8, 8), 0);
	/* Halves of IROUTER<n> for n < 32 and beyond the SPIs are RAZ/WI. */
	wr32(d, GICD_IROUTER + 8 * 31, 0xffffffffu);
	wr32(d, GICD_IROUTER + 8 * 31 + 4, 0xffffffffu);
	ck_assert_uint_eq(rd(d, GICD_IROUTER + 8 * 31, 8), 0);
	wr32(d, GICD_IROUTER + 8 * 96, 0xffffffffu);
	wr32(d, GICD_IROUTER + 8 * 96 + 4, 0xffffffffu);
	ck_assert_uint_eq(rd(d, GICD_IROUTER + 8 * 96, 8), 0);
	ck_assert_uint_eq(stats_total(d), 0);
}
END_TEST

/* Registers that are RAZ/WI by definition (ARE=1, DS=1, no NMI): accesses are
 * performed (not counted as rejects) and change nothing. */
START_TEST(test_raz_wi_registers)
{
	static const struct {
		uint32_t off;
		unsigned size;
	} acc[] = {
		{ GICD_STATUSR, 4 },	     { GICD_SGIR, 4 },
		{ GICD_IGRPMODR + 4, 4 },    { GICD_IGRPMODR, 4 },
		{ GICD_NSACR + 8, 4 },	     { GICD_NSACR + 0xfc, 4 },
		{ GICD_ITARGETSR + 32, 4 },  { GICD_ITARGETSR + 33, 1 },
		{ GICD_ITARGETSR, 4 },	     { GICD_CPENDSGIR, 4 },
		{ GICD_CPENDSGIR + 0xd, 1 }, { GICD_SPENDSGIR + 4, 4 },
		{ GICD_SPENDSGIR + 0xf, 1 }, { GICD_INMIR + 4, 4 },
		{ GICD_INMIR + 0x7c, 4 },
	};
	struct dist *d = fx_init(988, 1);
	struct dist snapshot;

	memcpy(&snapshot, d, sizeof(snapshot));
	for (unsigned i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		wr(d, acc[i].off, acc[i].size, 0xffffffffu);
		ck_assert_uint_eq(rd(d, acc[i].off, acc[i].size), 0);
	}
	/* SETSPI_SR / CLRSPI_SR are WI with DS=1, even for a valid SPI. */
	wr32(d, GICD_SETSPI_SR, 40);
	wr32(d, GICD_CLRSPI_SR, 40);
	ck_assert_int_eq(memcmp(&snapshot, d, sizeof(snapshot)), 0);
}
END_TEST

/* Writes of all ones everywhere leave state of unconfigured INTIDs untouched. */
START_TEST(test_beyond_spis_untouched)
{
	struct dist *d = fx_init(64, 0);
	static const struct dist_spi zero;

	for (uint32_t off = GICD_IGROUPR; off < GICD_ICACTIVER + 0x80; off += 4)
		wr32(d, off, 0xffffffffu);
	for (uint32_t off = GICD_IPRIORITYR; off < GICD_IPRIORITYR + 0x3fc; off += 4)
		wr32(d, off, 0xffffffffu);
	for (uint32_t off = GICD_ICFGR; off < GICD_ICFGR + 0x100; off += 4)
		wr32(d, off, 0xffffffffu);
	for (uint32_t id = 0; id <= 1019; id++)
		wr(d, GICD_IROUTER + 8 * id, 8, ~0ull);
	for (uint32_t id = 0; id <= 1019; id++) {
		wr32(d, GICD_SETSPI_NSR, id);
		dist_spi_set_line(d, id, true);
	}
	for (unsigned i = 64; i < GIC_MAX_NR_SPIS; i++)
		ck_assert_int_eq(memcmp(&d->spi[i], &zero, sizeof(zero)), 0);
	/* The configured ones did change (the writes were not all dropped). */
	ck_assert_uint_eq(rd(d, GICD_IPRIORITYR + 32, 1), 0xff);
	ck_assert_uint_eq(rd(d, GICD_IPRIORITYR + 95, 1), 0xff);
	ck_assert_uint_eq(rd(d, GICD_IROUTER + 8 * 95, 8), 0xff80ffffffull);
}
END_TEST

Suite *dist_regs_suite(void)
{
	Suite *s = suite_create("dist-regs");
	TCase *tc = tcase_create("regs");

	tcase_add_test(tc, test_ctlr_rw);
	tcase_add_test(tc, test_igroupr_rw);
	tcase_add_test(tc, test_enable_set_clear);
	tcase_add_test(tc, test_pending_set_clear_level);
	tcase_add_test(tc, test_pending_set_clear_edge);
	tcase_add_test(tc, test_active_set_clear);
	tcase_add_test(tc, test_states_independent);
	tcase_add_test(tc, test_priority_bytes);
	tcase_add_test(tc, test_priority_words);
	tcase_add_test(tc, test_icfgr);
	tcase_add_test(tc, test_irouter_64);
	tcase_add_test(tc, test_irouter_halves);
	tcase_add_test(tc, test_raz_wi_registers);
	tcase_add_test(tc, test_beyond_spis_untouched);
	suite_add_tcase(s, tc);
	return s;
}
