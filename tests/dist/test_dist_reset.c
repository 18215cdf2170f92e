// SPDX-License-Identifier: MIT
/* Reset values and identification registers, for several VM shapes. */
#include "dist_test.h"

/* Smallest ITLinesNumber N whose range (max INTID 32(N+1)-1) covers the SPIs. */
static uint32_t expected_itlines(unsigned nr_spis)
{
	uint32_t n = 0;

	while (32 * (n + 1) - 1 < 31 + nr_spis)
		n++;
	return n;
}

START_TEST(test_reset_ctlr)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		struct dist *d = fx_init(test_nr_spis[s], 0);

		/* Both groups disabled, ARE (bit 4) and DS (bit 6) read as one, RWP 0. */
		ck_assert_uint_eq(rd32(d, GICD_CTLR), (1u << 4) | (1u << 6));
	}
}
END_TEST

START_TEST(test_reset_typer)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		for (unsigned its = 0; its <= 1; its++) {
			unsigned n = test_nr_spis[s];
			struct dist *d = fx_init(n, its);
			uint32_t t = rd32(d, GICD_TYPER);
			uint32_t idbits = its ? 15 : 9; /* 16-bit INTIDs with LPIs, else < 1024 */

			ck_assert_uint_eq(t & 0x1f, expected_itlines(n));
			ck_assert_uint_eq((t >> 5) & 7, 0);	/* CPUNumber: ARE=1 */
			ck_assert_uint_eq((t >> 8) & 1, 0);	/* ESPI */
			ck_assert_uint_eq((t >> 9) & 1, 0);	/* NMI */
			ck_assert_uint_eq((t >> 10) & 1, 0);	/* SecurityExtn: DS=1 */
			ck_assert_uint_eq((t >> 11) & 0x1f, 0); /* num_LPIs: use IDbits */
			ck_assert_uint_eq((t >> 16) & 1, 1);	/* MBIS */
			ck_assert_uint_eq((t >> 17) & 1, its);	/* LPIS */
			ck_assert_uint_eq((t >> 18) & 1, 0);	/* DVIS */
			ck_assert_uint_eq((t >> 19) & 0x1f, idbits);
			ck_assert_uint_eq((t >> 24) & 1, 1); /* A3V */
			ck_assert_uint_eq((t >> 25) & 1, 0); /* No1N: 1-of-N supported */
			ck_assert_uint_eq((t >> 26) & 1, 1); /* RSS */
			ck_assert_uint_eq(t >> 27, 0);	     /* ESPI_range */
		}
	}
}
END_TEST

START_TEST(test_reset_iidr_typer2_statusr)
{
	struct dist *d = fx_init(64, 1);

	ck_assert_uint_eq(rd32(d, GICD_IIDR), SG_IIDR);
	/* Implementer [11:0] is a JEP106 code; ProductID [31:24]. */
	ck_assert_uint_eq(rd32(d, GICD_IIDR) & 0xfff, SG_IIDR_IMPLEMENTER);
	ck_assert_uint_eq(rd32(d, GICD_IIDR) >> 24, SG_IIDR_PRODUCT);
	ck_assert_uint_eq(rd32(d, GICD_TYPER2), 0);
	ck_assert_uint_eq(rd32(d, GICD_STATUSR), 0);
	ck_assert_uint_eq(stats_total(d), 0);
}
END_TEST

START_TEST(test_reset_per_irq)
{
	for (unsigned s = 0; s < N_TEST_SHAPES; s++) {
		unsigned n = test_nr_spis[s];
		struct dist *d = fx_init(n, 0);

		for (unsigned w = 0; w < 32; w++) {
			/* SPIs reset to group 1 (KVM's GICv3 model); SGI/PPI bits RAZ. */
			ck_assert_uint_eq(rd32(d, GICD_IGROUPR + 4 * w), spi_bits(n, w));
			ck_assert_uint_eq(rd32(d, GICD_ISENABLER + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_ICENABLER + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_ISPENDR + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_ICPENDR + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_ISACTIVER + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_ICACTIVER + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_IGRPMODR + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_INMIR + 4 * w), 0);
		}
		for (unsigned w = 0; w < 64; w++) {
			ck_assert_uint_eq(rd32(d, GICD_ICFGR + 4 * w), 0); /* level-sensitive */
			ck_assert_uint_eq(rd32(d, GICD_NSACR + 4 * w), 0);
		}
		for (unsigned w = 0; w < 255; w++) {
			ck_assert_uint_eq(rd32(d, GICD_IPRIORITYR + 4 * w), 0);
			ck_assert_uint_eq(rd32(d, GICD_ITARGETSR + 4 * w), 0);
		}
		for (unsigned id = 0; id <= 1019; id++)
			ck_assert_uint_eq(rd(d, GICD_IROUTER + 8 * id, 8), 0);
		ck_assert_uint_eq(stats_total(d), 0);
	}
}
END_TEST

START_TEST(test_idregs)
{
	struct dist *d = fx_init(64, 0);
	uint32_t pidr0 = rd32(d, GIC_PIDR0), pidr1 = rd32(d, GIC_PIDR1);
	uint32_t pidr2 = rd32(d, GIC_PIDR2);

	ck_assert_uint_eq((pidr2 >> 4) & 0xf, 3); /* ArchRev: GICv3 */
	ck_assert_uint_eq((pidr2 >> 3) & 1, 1);	  /* JEDEC-assigned identity */
	/* Part number [11:0] split across PIDR0 [7:0] and PIDR1 [3:0]. */
	ck_assert_uint_eq(((pidr1 & 0xf) << 8) | (pidr0 & 0xff), SG_PART_GICD);
	/* CoreSight component preamble. */
	ck_assert_uint_eq(rd32(d, GIC_CIDR0), 0x0d);
	ck_assert_uint_eq(rd32(d, GIC_CIDR1), 0xf0);
	ck_assert_uint_eq(rd32(d, GIC_CIDR2), 0x05);
	ck_assert_uint_eq(rd32(d, GIC_CIDR3), 0xb1);
	for (uint32_t off = GIC_PIDR4; off <= GIC_CIDR3; off += 4) {
		ck_assert_uint_eq(rd32(d, off), gic_idreg(off, SG_PART_GICD));
		ck_assert_uint_eq(rd32(d, off) >> 8, 0); /* 8-bit fields, upper bits RES0 */
	}
	ck_assert_uint_eq(stats_total(d), 0);
}
END_TEST

Suite *dist_reset_suite(void)
{
	Suite *s = suite_create("dist-reset");
	TCase *tc = tcase_create("reset");

	tcase_add_test(tc, test_reset_ctlr);
	tcase_add_test(tc, test_reset_typer);
	tcase_add_test(tc, test_reset_iidr_typer2_statusr);
	tcase_add_test(tc, test_reset_per_irq);
	tcase_add_test(tc, test_idregs);
	suite_add_tcase(s, tc);
	return s;
}
