// SPDX-License-Identifier: MIT
/*
 * GITS_* registers: reset values, read/write semantics of every field,
 * 32-bit halves of the 64-bit registers, access widths and reserved
 * offsets (RAZ/WI, counted), writes that the architecture makes
 * UNPREDICTABLE while the ITS is enabled (ignored, counted).
 */
#include "its_test.h"

#define GITS_MPIDR 0x0018u /* GICv4.1 only: reserved here */
#define GITS_UMSIR 0x0048u /* not implemented: reserved */

static uint64_t expected_typer(void)
{
	/* Physical=1, ITT_entry_size=8-1, ID_bits=16-1, Devbits=16-1, everything else 0
	 * (no virtual LPIs, SEIS 0, PTA 0, HCC 0, CIL 0). */
	return 1ull | (7ull << 4) | (15ull << 8) | (15ull << 13);
}

START_TEST(test_reset_values)
{
	fx_setup(4);
	/* Disabled and idle: Quiescent reads 1. */
	ck_assert_uint_eq(rd32(GITS_CTLR), 1u << 31);
	ck_assert_uint_eq(rd32(GITS_IIDR), SG_IIDR);
	ck_assert_uint_eq(rd64(GITS_TYPER), expected_typer());
	ck_assert_uint_eq(rd64(GITS_CBASER), 0);
	ck_assert_uint_eq(rd64(GITS_CWRITER), 0);
	ck_assert_uint_eq(rd64(GITS_CREADR), 0);
	/* BASER0: Type Device (1), BASER1: Type Collection (4); Entry_Size 8-1. */
	ck_assert_uint_eq(rd64(GITS_BASER), (1ull << 56) | (7ull << 48));
	ck_assert_uint_eq(rd64(GITS_BASER + 8), (4ull << 56) | (7ull << 48));
	for (unsigned n = 2; n < 8; n++)
		ck_assert_uint_eq(rd64(GITS_BASER + 8 * n), 0);
	/* GICv3 ITS identification: ArchRev 3, part number of the ITS. */
	ck_assert_uint_eq((rd32(GIC_PIDR2) >> 4) & 0xF, 3);
	ck_assert_uint_eq(rd32(GIC_PIDR0) | ((rd32(GIC_PIDR1) & 0xF) << 8), SG_PART_GITS);
	ck_assert_uint_eq(rd32(GIC_CIDR1), 0xF0);
	fx_teardown();
}
END_TEST

START_TEST(test_halves)
{
	uint64_t v;

	fx_setup(4);
	ck_assert_uint_eq(rd32(GITS_TYPER), (uint32_t)expected_typer());
	ck_assert_uint_eq(rd32(GITS_TYPER + 4), (uint32_t)(expected_typer() >> 32));
	/* CBASER written in halves reads back as one 64-bit value. */
	v = (1ull << 63) | (5ull << 59) | (3ull << 53) | 0x000123456789A000ull | (1ull << 10) | 7;
	wr32(GITS_CBASER, (uint32_t)v);
	wr32(GITS_CBASER + 4, (uint32_t)(v >> 32));
	ck_assert_uint_eq(rd64(GITS_CBASER), v);
	ck_assert_uint_eq(rd32(GITS_CBASER), (uint32_t)v);
	ck_assert_uint_eq(rd32(GITS_CBASER + 4), (uint32_t)(v >> 32));
	/* The high half of BASER carries the read-only Type and Entry_Size. */
	wr32(GITS_BASER + 4, 0xFFFFFFFFu);
	v = rd64(GITS_BASER);
	ck_assert_uint_eq((v >> 56) & 7, 1);
	ck_assert_uint_eq((v >> 48) & 0x1F, 7);
	ck_assert_uint_eq(v >> 62, 3); /* Valid, Indirect */
	ck_assert_uint_eq((uint32_t)v, 0);
	wr32(GITS_BASER, 0x00001000u | (0u << 8) | 3u);
	ck_assert_uint_eq(rd32(GITS_BASER), 0x00001003u);
	ck_assert_uint_eq(rd32(GITS_BASER + 4), (uint32_t)(v >> 32));
	/* CWRITER halves: the offset lives in the low half. */
	wr32(GITS_CWRITER, 0x40);
	wr32(GITS_CWRITER + 4, 0xFFFFFFFFu); /* RES0 */
	ck_assert_uint_eq(rd64(GITS_CWRITER), 0x40);
	ck_assert_uint_eq(rd32(GITS_CREADR + 4), 0);
	fx_teardown();
}
END_TEST

START_TEST(test_writable_fields)
{
	fx_setup(4);
	/* CBASER: Valid, InnerCache, OuterCache, PA[51:12], Shareability, Size. */
	wr64(GITS_CBASER, ~0ull);
	ck_assert_uint_eq(rd64(GITS_CBASER), (1ull << 63) | (7ull << 59) | (7ull << 53) |
						     0x000FFFFFFFFFF000ull | (3ull << 10) | 0xFF);
	/* CBASER write clears CREADR (and we clear CWRITER). */
	ck_assert_uint_eq(rd64(GITS_CREADR), 0);
	/* CWRITER: Offset [19:5] only; Retry is not kept. */
	wr64(GITS_CWRITER, ~0ull);
	ck_assert_uint_eq(rd64(GITS_CWRITER), 0xFFFE0);
	/* BASER: everything but Type and Entry_Size; Page_Size 0b11 reads as 64K. */
	wr64(GITS_BASER + 8, ~0ull);
	ck_assert_uint_eq(rd64(GITS_BASER + 8),
			  (3ull << 62) | (7ull << 59) | (4ull << 56) | (7ull << 53) | (7ull << 48) |
				  0x0000FFFFFFFFF000ull | (3ull << 10) | (2ull << 8) | 0xFF);
	/* 16K pages: address bits [13:12] are below the page and read as 0. */
	wr64(GITS_BASER, (1ull << 63) | 0x40003000ull | (1ull << 8));
	ck_assert_uint_eq(rd64(GITS_BASER),
			  (1ull << 63) | (1ull << 56) | (7ull << 48) | 0x40000000ull | (1ull << 8));
	/* 64K pages: [15:12] hold PA[51:48] and are kept. */
	wr64(GITS_BASER, baser(0x000F000040010000ull, 2, 1, false));
	ck_assert_uint_eq(rd64(GITS_BASER) & 0x0000FFFFFFFFF000ull, 0x40010000ull | 0xF000);
	/* BASER2..7: Type None, RAZ/WI (an implemented register: not counted). */
	for (unsigned n = 2; n < 8; n++) {
		wr64(GITS_BASER + 8 * n, ~0ull);
		ck_assert_uint_eq(rd64(GITS_BASER + 8 * n), 0);
	}
	/* CTLR: only Enabled is writable; Quiescent is read-only. */
	wr32(GITS_CTLR, 0);
	ck_assert_uint_eq(rd32(GITS_CTLR), 1u << 31);
	fx_teardown();
}
END_TEST

START_TEST(test_ctlr_enable)
{
	fx_setup(4);
	wr32(GITS_CTLR, 0xFFFFFFFFu);
	ck_assert_uint_eq(rd32(GITS_CTLR), (1u << 31) | 1u);
	wr32(GITS_CTLR, 0);
	ck_assert_uint_eq(rd32(GITS_CTLR), 1u << 31);
	fx_teardown();
}
END_TEST

START_TEST(test_read_only)
{
	uint64_t before;

	fx_setup(4);
	before = fx.its.stats.ro_write;
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_TYPER, 8, 0), ITS_IGNORED);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_TYPER + 4, 4, 0), ITS_IGNORED);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_CREADR, 8, 0x100), ITS_IGNORED);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_IIDR, 4, 0), ITS_IGNORED);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GIC_PIDR2, 4, 0), ITS_IGNORED);
	ck_assert_uint_eq(fx.its.stats.ro_write, before + 5);
	ck_assert_uint_eq(rd64(GITS_TYPER), expected_typer());
	ck_assert_uint_eq(rd64(GITS_CREADR), 0);
	fx_teardown();
}
END_TEST

START_TEST(test_locked_while_enabled)
{
	uint64_t cb, b0, b1;

	fx_std();
	cb = rd64(GITS_CBASER);
	b0 = rd64(GITS_BASER);
	b1 = rd64(GITS_BASER + 8);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_CBASER, 8, 0), ITS_IGNORED);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_BASER, 8, 0), ITS_IGNORED);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_BASER + 12, 4, 0), ITS_IGNORED);
	ck_assert_uint_eq(fx.its.stats.locked_write, 3);
	ck_assert_uint_eq(rd64(GITS_CBASER), cb);
	ck_assert_uint_eq(rd64(GITS_BASER), b0);
	ck_assert_uint_eq(rd64(GITS_BASER + 8), b1);
	/* Disabled again, they are writable. */
	wr32(GITS_CTLR, 0);
	wr64(GITS_BASER, 0);
	ck_assert_uint_eq(rd64(GITS_BASER), (1ull << 56) | (7ull << 48));
	fx_teardown();
}
END_TEST

/* Access sizes and offsets that do not fit a register: RAZ/WI and counted. */
START_TEST(test_bad_accesses)
{
	static const struct {
		uint32_t off;
		unsigned size;
	} bad[] = {
		{ GITS_CTLR, 1 },	{ GITS_CTLR, 2 },	{ GITS_CTLR, 8 },
		{ GITS_CTLR + 2, 2 },	{ GITS_IIDR, 8 },	{ GITS_TYPER, 2 },
		{ GITS_TYPER + 1, 1 },	{ GITS_CBASER + 4, 8 }, { GITS_CWRITER + 2, 4 },
		{ GITS_BASER + 3, 1 },	{ GITS_CREADR, 3 },	{ GITS_CREADR, 16 },
		{ GITS_TRANSLATER, 1 }, { GITS_TRANSLATER, 8 }, { GITS_TRANSLATER + 2, 2 },
		{ GIC_PIDR2, 8 },	{ GIC_PIDR2 + 1, 1 },
	};
	static const uint32_t reserved[] = {
		0x0010, GITS_MPIDR, 0x0020,  0x0040,  GITS_UMSIR, 0x0098,  0x0140,     0x0200,
		0xC000, 0xFFC0,	    0x10000, 0x10044, 0x1FFFC,	  0x20000, 0xFFFFFFFC,
	};
	uint64_t v;

	fx_setup(4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t w = fx.its.stats.bad_width;

		v = 0x5555;
		ck_assert_int_eq(its_mmio_read(&fx.its, 0, bad[i].off, bad[i].size, &v),
				 ITS_IGNORED);
		ck_assert_uint_eq(v, 0);
		ck_assert_int_eq(its_mmio_write(&fx.its, 0, bad[i].off, bad[i].size, ~0ull),
				 ITS_IGNORED);
		ck_assert_uint_eq(fx.its.stats.bad_width, w + 2);
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		uint64_t r = fx.its.stats.reserved;

		v = 0x5555;
		ck_assert_int_eq(its_mmio_read(&fx.its, 0, reserved[i], 4, &v), ITS_IGNORED);
		ck_assert_uint_eq(v, 0);
		ck_assert_int_eq(its_mmio_write(&fx.its, 0, reserved[i], 4, ~0ull), ITS_IGNORED);
		ck_assert_uint_eq(fx.its.stats.reserved, r + 2);
	}
	/* GITS_TRANSLATER is write-only. */
	ck_assert_int_eq(its_mmio_read(&fx.its, 0, GITS_TRANSLATER, 4, &v), ITS_IGNORED);
	ck_assert_uint_eq(fx.its.stats.wo_read, 1);
	/* Nothing above changed a register. */
	ck_assert_uint_eq(rd32(GITS_CTLR), 1u << 31);
	ck_assert_uint_eq(rd64(GITS_CBASER), 0);
	ck_assert_uint_eq(rd64(GITS_CWRITER), 0);
	ck_assert_uint_eq(rd64(GITS_BASER), (1ull << 56) | (7ull << 48));
	fx_teardown();
}
END_TEST

START_TEST(test_translater_disabled)
{
	fx_setup(4);
	/* 16- and 32-bit writes are accepted; with the ITS disabled they are dropped. */
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_TRANSLATER, 4, 1), ITS_OK);
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, GITS_TRANSLATER, 2, 1), ITS_OK);
	ck_assert_uint_eq(fx.its.stats.msi, 2);
	ck_assert_uint_eq(fx.its.stats.msi_disabled, 2);
	ev_none();
	fx_teardown();
}
END_TEST

Suite *its_regs_suite(void)
{
	Suite *s = suite_create("its-regs");
	TCase *tc = tcase_create("regs");

	tcase_add_test(tc, test_reset_values);
	tcase_add_test(tc, test_halves);
	tcase_add_test(tc, test_writable_fields);
	tcase_add_test(tc, test_ctlr_enable);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_locked_while_enabled);
	tcase_add_test(tc, test_bad_accesses);
	tcase_add_test(tc, test_translater_disabled);
	suite_add_tcase(s, tc);
	return s;
}
