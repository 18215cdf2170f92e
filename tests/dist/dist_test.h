/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the distributor register tests: VM shapes, one
 * distributor instance per test, and checked register accessors.  Expected
 * values in the tests come from the architecture (Arm IHI 0069), computed
 * from the shape, never from what the code under test returns.
 */
#ifndef DIST_TEST_H
#define DIST_TEST_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "dist.h"
#include "dist_spi.h"

/* SPI counts exercised by the shape loops: the smallest, a small one, the
 * largest multiple of 32, and the architectural maximum (INTIDs 32..1019). */
static const unsigned test_nr_spis[] = { 32, 64, 960, 988 };
#define N_TEST_SHAPES (sizeof(test_nr_spis) / sizeof(test_nr_spis[0]))

struct dist_fixture {
	struct sg_vm_shape shape;
	struct dist d;
};

/* Defined in test_dist_main.c; reset by fx_init() in every test. */
extern struct dist_fixture fx;

static inline struct dist *fx_init(unsigned nr_spis, unsigned nr_its)
{
	memset(&fx, 0, sizeof(fx));
	fx.shape.nr_vcpus = 4;
	/* No vCPU has affinity 0, so IROUTER's reset value routes nowhere and
	 * pending/active state stays in the distributor: these suites test the
	 * register model; delivery to vCPUs is tests/core. */
	for (unsigned i = 0; i < fx.shape.nr_vcpus; i++)
		fx.shape.mpidr[i] = i + 1;
	fx.shape.nr_spis = nr_spis;
	fx.shape.lr_count = 4;
	sg_addr_map_default(&fx.shape.map, nr_its);
	dist_init(&fx.d, &fx.shape);
	return &fx.d;
}

/* An access that must be performed (DIST_OK). */
static inline uint64_t rd(struct dist *d, uint32_t off, unsigned size)
{
	uint64_t v = 0xdeadbeefdeadbeefull;

	ck_assert_int_eq(dist_mmio_read(d, 0, off, size, &v), DIST_OK);
	return v;
}

static inline uint32_t rd32(struct dist *d, uint32_t off)
{
	return (uint32_t)rd(d, off, 4);
}

static inline void wr(struct dist *d, uint32_t off, unsigned size, uint64_t val)
{
	ck_assert_int_eq(dist_mmio_write(d, 0, off, size, val), DIST_OK);
}

static inline void wr32(struct dist *d, uint32_t off, uint32_t val)
{
	wr(d, off, 4, val);
}

/* Sum of all reject counters: every DIST_IGNORED counts exactly once. */
static inline uint64_t stats_total(const struct dist *d)
{
	const struct dist_stats *s = &d->stats;

	return s->bad_width + s->misaligned + s->reserved + s->ro_write + s->wo_read + s->bad_intid;
}

/* True if intid is an SPI of a distributor with nr_spis SPIs (architecture:
 * SPIs are INTIDs 32..1019; the shape configures the first nr_spis of them). */
static inline int is_cfg_spi(unsigned nr_spis, uint32_t intid)
{
	return intid >= 32 && intid < 32 + nr_spis && intid <= 1019;
}

/* Mask of the bits of a 1-bit-per-interrupt register word n that belong to
 * configured SPIs. */
static inline uint32_t spi_bits(unsigned nr_spis, unsigned n)
{
	uint32_t m = 0;

	for (unsigned b = 0; b < 32; b++)
		if (is_cfg_spi(nr_spis, n * 32 + b))
			m |= 1u << b;
	return m;
}

Suite *dist_reset_suite(void);
Suite *dist_regs_suite(void);
Suite *dist_access_suite(void);
Suite *dist_spi_suite(void);

#endif
