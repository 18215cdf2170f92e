// SPDX-License-Identifier: MIT
/*
 * Every redistributor register in the RD_base and SGI_base frames: reset
 * values, writable and read-only fields, access widths (IHI 0069 chapter 12,
 * with GICD_CTLR.DS=1 and values as KVM presents them to a GICv3 guest).
 */
#include <check.h>
#include <stdlib.h>

#include "agent_test.h"
#include "check_run.h"

static struct sg_vm *vm;

static void teardown(void)
{
	sg_vm_destroy(vm);
	vm = NULL;
}

static uint64_t rejected(unsigned by)
{
	return sg_vcpu_stat(sg_vm_vcpu(vm, by), SG_STAT_MMIO_REJECTED);
}

/* ------------------------------------------------------------- RD_base */

START_TEST(ctlr_without_its)
{
	vm = test_vm(2, 4, 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_CTLR), GICR_CTLR_IR | GICR_CTLR_CES);
	gicr_write(vm, 0, GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	/* No LPIs without an ITS: EnableLPIs is RAZ/WI; RWP is never set. */
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_CTLR), GICR_CTLR_IR | GICR_CTLR_CES);
	ck_assert_uint_eq(rejected(0), 0);
	teardown();
}
END_TEST

START_TEST(ctlr_enable_lpis)
{
	vm = test_vm(2, 4, 1);
	gicr_write(vm, 1, GICR_CTLR, GICR_CTLR_ENABLE_LPIS | GICR_CTLR_RWP | GICR_CTLR_UWP);
	ck_assert_uint_eq(gicr_read(vm, 1, GICR_CTLR),
			  GICR_CTLR_ENABLE_LPIS | GICR_CTLR_IR | GICR_CTLR_CES);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_CTLR) & GICR_CTLR_ENABLE_LPIS, 0);
	/* CES: EnableLPIs can be cleared again. */
	gicr_write(vm, 1, GICR_CTLR, 0);
	ck_assert_uint_eq(gicr_read(vm, 1, GICR_CTLR) & GICR_CTLR_ENABLE_LPIS, 0);
	teardown();
}
END_TEST

START_TEST(iidr)
{
	vm = test_vm(1, 4, 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_IIDR), SG_IIDR);
	gicr_write(vm, 0, GICR_IIDR, 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_IIDR), SG_IIDR);
	teardown();
}
END_TEST

START_TEST(typer_fields)
{
	uint64_t mpidr[3] = { 0x000000ull, 0x000103ull, 0x0100020304ull };

	vm = test_vm_mpidr(3, mpidr, 4, 0);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t t = gicr_read_sz(vm, i, i, GICR_TYPER, 8);

		ck_assert_uint_eq(t >> 32, mpidr_to_aff32(mpidr[i]));
		ck_assert_uint_eq((t >> GICR_TYPER_PROCNUM_SHIFT) & 0xFFFF, i);
		ck_assert_int_eq((t & GICR_TYPER_LAST) != 0, i == 2);
		ck_assert_uint_eq(t & GICR_TYPER_PLPIS, 0);
		ck_assert_uint_eq(t & (GICR_TYPER_VLPIS | GICR_TYPER_DIRECTLPI | GICR_TYPER_DPGS),
				  0);
		/* 32-bit halves. */
		ck_assert_uint_eq(gicr_read_sz(vm, i, i, GICR_TYPER, 4), t & 0xFFFFFFFFu);
		ck_assert_uint_eq(gicr_read_sz(vm, i, i, GICR_TYPER + 4, 4), t >> 32);
	}
	/* Aff3 = 1, Aff2 = 2, Aff1 = 3, Aff0 = 4 */
	ck_assert_uint_eq(gicr_read_sz(vm, 2, 2, GICR_TYPER + 4, 4), 0x01020304u);
	gicr_write_sz(vm, 0, 0, GICR_TYPER, 8, 0);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 2, GICR_TYPER + 4, 4), 0x01020304u);
	ck_assert_uint_eq(rejected(0), 0);
	teardown();
}
END_TEST

START_TEST(typer_plpis_with_its)
{
	vm = test_vm(1, 4, 1);
	ck_assert(gicr_read_sz(vm, 0, 0, GICR_TYPER, 8) & GICR_TYPER_PLPIS);
	ck_assert(gicr_read_sz(vm, 0, 0, GICR_TYPER, 8) & GICR_TYPER_LAST);
	teardown();
}
END_TEST

START_TEST(statusr_raz_wi)
{
	vm = test_vm(1, 4, 0);
	gicr_write(vm, 0, GICR_STATUSR, 0xF);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_STATUSR), 0);
	ck_assert_uint_eq(rejected(0), 0);
	teardown();
}
END_TEST

START_TEST(waker_handshake)
{
	const uint32_t asleep = GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP;

	vm = test_vm(1, 4, 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_WAKER), asleep);
	/* Wake: clear ProcessorSleep, ChildrenAsleep follows. */
	gicr_write(vm, 0, GICR_WAKER, 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_WAKER), 0);
	/* ChildrenAsleep is read-only; other bits are ignored. */
	gicr_write(vm, 0, GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP | 0x80000001u);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_WAKER), 0);
	gicr_write(vm, 0, GICR_WAKER, GICR_WAKER_PROCESSOR_SLEEP);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_WAKER), asleep);
	teardown();
}
END_TEST

START_TEST(propbaser)
{
	/* IDbits 15, PA 0x80000000, InnerShareable, RaWaWb inner, SameAsInner outer */
	uint64_t val = 0x80000000ull | 15 | (1ull << GICR_BASER_SHAREABILITY_SHIFT) |
		       (7ull << GICR_BASER_INNERCACHE_SHIFT);

	vm = test_vm(1, 4, 1);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER, 8), 0);
	gicr_write_sz(vm, 0, 0, GICR_PROPBASER, 8, val | (1ull << 63) | (1ull << 60));
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER, 8), val); /* RES0 cleared */
	/* 32-bit halves. */
	gicr_write_sz(vm, 0, 0, GICR_PROPBASER + 4, 4, 0x1);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER, 8), val | (1ull << 32));
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER + 4, 4), 1);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER, 4), val & 0xFFFFFFFFu);
	/* Sanitised like KVM: Outer -> Inner Shareable, no inner non-cacheable,
	 * no outer cacheable. */
	gicr_write_sz(vm, 0, 0, GICR_PROPBASER, 8,
		      0x10000ull | (2ull << GICR_BASER_SHAREABILITY_SHIFT) |
			      (1ull << GICR_BASER_INNERCACHE_SHIFT) |
			      (5ull << GICR_BASER_OUTERCACHE_SHIFT));
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER, 8),
			  0x10000ull | (1ull << GICR_BASER_SHAREABILITY_SHIFT) |
				  (3ull << GICR_BASER_INNERCACHE_SHIFT));
	/* Ignored while LPIs are enabled. */
	gicr_write(vm, 0, GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	gicr_write_sz(vm, 0, 0, GICR_PROPBASER, 8, val);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER, 8) & GICR_PROPBASER_PA_MASK,
			  0x10000ull);
	ck_assert_uint_eq(rejected(0), 0);
	teardown();
}
END_TEST

START_TEST(pendbaser)
{
	uint64_t val = 0x40000000ull | (1ull << GICR_BASER_SHAREABILITY_SHIFT) |
		       (7ull << GICR_BASER_INNERCACHE_SHIFT);

	vm = test_vm(1, 4, 1);
	/* PTZ is write-only; bits [15:12] are RES0 (64 KiB aligned table). */
	gicr_write_sz(vm, 0, 0, GICR_PENDBASER, 8, val | GICR_PENDBASER_PTZ | 0xF000ull);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PENDBASER, 8), val);
	gicr_write_sz(vm, 0, 0, GICR_PENDBASER + 4, 4, 0x2);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PENDBASER, 8), val | (2ull << 32));
	gicr_write(vm, 0, GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	gicr_write_sz(vm, 0, 0, GICR_PENDBASER, 8, 0);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PENDBASER, 8), val | (2ull << 32));
	teardown();
}
END_TEST

START_TEST(inv_and_sync_registers)
{
	vm = test_vm(1, 4, 1);
	gicr_write(vm, 0, GICR_CTLR, GICR_CTLR_ENABLE_LPIS);
	gicr_write_sz(vm, 0, 0, GICR_INVLPIR, 8, GIC_LPI_BASE);
	gicr_write_sz(vm, 0, 0, GICR_INVLPIR, 4, GIC_LPI_BASE);
	gicr_write_sz(vm, 0, 0, GICR_INVLPIR + 4, 4, 0);
	gicr_write_sz(vm, 0, 0, GICR_INVALLR, 8, 0);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_INVLPIR, 8), 0);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_INVALLR, 8), 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_SYNCR), 0); /* not busy */
	ck_assert_uint_eq(rejected(0), 0);
	teardown();
}
END_TEST

START_TEST(id_registers)
{
	vm = test_vm(1, 4, 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_PIDR2), 0x3B); /* ArchRev 3 */
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_PIDR0), SG_PART_GICR & 0xFF);
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_PIDR1) & 0xF, (SG_PART_GICR >> 8) & 0xF);
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_CIDR0), 0x0D);
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_CIDR1), 0xF0);
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_CIDR2), 0x05);
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_CIDR3), 0xB1);
	for (uint32_t off = GIC_PIDR4; off <= GIC_CIDR3; off += 4)
		ck_assert_uint_eq(gicr_read(vm, 0, off), gic_idreg(off, SG_PART_GICR));
	gicr_write(vm, 0, GIC_PIDR2, 0);
	ck_assert_uint_eq(gicr_read(vm, 0, GIC_PIDR2), 0x3B);
	teardown();
}
END_TEST

/* ------------------------------------------------------------- SGI_base */

START_TEST(igroupr0)
{
	vm = test_vm(1, 4, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_IGROUPR0), 0xFFFFFFFFu);
	sgi_write(vm, 0, GICR_IGROUPR0, 0x0F0F0F0Fu);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_IGROUPR0), 0x0F0F0F0Fu);
	teardown();
}
END_TEST

START_TEST(isenabler_icenabler)
{
	vm = test_vm(1, 4, 0);
	/* SGIs enabled, PPIs disabled at reset (as KVM). */
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISENABLER0), 0x0000FFFFu);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICENABLER0), 0x0000FFFFu);
	sgi_write(vm, 0, GICR_ISENABLER0, 0x08010000u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISENABLER0), 0x0801FFFFu);
	sgi_write(vm, 0, GICR_ICENABLER0, 0x00000003u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICENABLER0), 0x0801FFFCu);
	sgi_write(vm, 0, GICR_ISENABLER0, 0); /* zeros have no effect */
	sgi_write(vm, 0, GICR_ICENABLER0, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISENABLER0), 0x0801FFFCu);
	teardown();
}
END_TEST

START_TEST(ispendr_icpendr)
{
	struct sg_vcpu *v;

	vm = test_vm(1, 4, 0);
	v = sg_vm_vcpu(vm, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	sgi_write(vm, 0, GICR_ISPENDR0, 0x00800021u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0x00800021u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICPENDR0), 0x00800021u);
	sgi_write(vm, 0, GICR_ICPENDR0, 0x00000001u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0x00800020u);
	/* A level PPI whose line is high stays pending through ICPENDR. */
	sg_vcpu_set_ppi_level(v, 24, true);
	sgi_write(vm, 0, GICR_ICPENDR0, 0x01800020u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0x01000000u);
	sg_vcpu_set_ppi_level(v, 24, false);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	teardown();
}
END_TEST

START_TEST(isactiver_icactiver)
{
	vm = test_vm(1, 4, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	sgi_write(vm, 0, GICR_ISACTIVER0, 0x80000002u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0x80000002u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICACTIVER0), 0x80000002u);
	sgi_write(vm, 0, GICR_ICACTIVER0, 0x80000000u);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0x00000002u);
	teardown();
}
END_TEST

START_TEST(ipriorityr)
{
	vm = test_vm(1, 4, 0);
	for (unsigned n = 0; n < 8; n++)
		ck_assert_uint_eq(sgi_read(vm, 0, GICR_IPRIORITYR0 + 4 * n), 0);
	/* Word access; 5 priority bits implemented, the low three RAZ/WI. */
	for (unsigned n = 0; n < 8; n++)
		sgi_write(vm, 0, GICR_IPRIORITYR0 + 4 * n, 0xFFA55A01u + n);
	for (unsigned n = 0; n < 8; n++)
		ck_assert_uint_eq(sgi_read(vm, 0, GICR_IPRIORITYR0 + 4 * n),
				  (0xFFA55A01u + n) & 0xF8F8F8F8u);
	/* Byte access. */
	gicr_write_sz(vm, 0, 0, GICR_SGI_BASE + GICR_IPRIORITYR0 + 13, 1, 0x47);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_SGI_BASE + GICR_IPRIORITYR0 + 13, 1), 0x40);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_IPRIORITYR0 + 12), 0xF8A04000u);
	ck_assert_uint_eq(rejected(0), 0);
	/* Halfword access is not allowed. */
	gicr_write_sz(vm, 0, 0, GICR_SGI_BASE + GICR_IPRIORITYR0, 2, 0);
	ck_assert_uint_eq(rejected(0), 1);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_IPRIORITYR0), 0xF8A05800u);
	teardown();
}
END_TEST

START_TEST(icfgr)
{
	vm = test_vm(1, 4, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICFGR0), 0xAAAAAAAAu);
	sgi_write(vm, 0, GICR_ICFGR0, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICFGR0), 0xAAAAAAAAu);
	/* PPIs level-sensitive and read-only, as KVM makes them. */
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICFGR1), 0);
	sgi_write(vm, 0, GICR_ICFGR1, 0xAAAAAAAAu);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ICFGR1), 0);
	ck_assert_uint_eq(rejected(0), 0);
	teardown();
}
END_TEST

START_TEST(igrpmodr_nsacr_raz_wi)
{
	vm = test_vm(1, 4, 0);
	sgi_write(vm, 0, GICR_IGRPMODR0, 0xFFFFFFFFu);
	sgi_write(vm, 0, GICR_NSACR, 0xFFFFFFFFu);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_IGRPMODR0), 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_NSACR), 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_IGROUPR0), 0xFFFFFFFFu); /* untouched */
	ck_assert_uint_eq(rejected(0), 0);
	teardown();
}
END_TEST

/* ---------------------------------------------- widths, reserved, others */

START_TEST(bad_accesses_raz_wi_counted)
{
	static const struct {
		uint32_t off;
		unsigned size;
	} bad[] = {
		{ GICR_CTLR, 2 }, /* 32-bit register, 16-bit access */
		{ GICR_CTLR, 8 },
		{ GICR_IIDR, 1 },
		{ GICR_TYPER + 2, 2 },
		{ GICR_TYPER + 4, 8 }, /* misaligned 64-bit */
		{ GICR_PROPBASER + 1, 1 },
		{ 0x0800, 4 }, /* reserved RD_base offsets */
		{ GICR_MPAMIDR, 4 },
		{ GICR_SETLPIR, 8 }, /* no DirectLPI */
		{ GICR_SGI_BASE + GICR_IGROUPR0, 8 },
		{ GICR_SGI_BASE + GICR_ISENABLER0, 1 },
		{ GICR_SGI_BASE + GICR_ISPENDR0 + 2, 2 },
		{ GICR_SGI_BASE + GICR_IPRIORITYR0 + 1, 4 }, /* misaligned word */
		{ GICR_SGI_BASE + 0x0004, 4 },		     /* reserved SGI_base offsets */
		{ GICR_SGI_BASE + GICR_ISENABLER0 + 4, 4 },  /* no extended PPIs */
		{ GICR_SGI_BASE + GICR_IPRIORITYR0 + 0x20, 4 },
		{ GICR_SGI_BASE + 0xFFE8, 4 }, /* ID registers live in RD_base */
	};
	unsigned n = sizeof(bad) / sizeof(bad[0]);
	uint32_t en;

	vm = test_vm(1, 4, 1);
	en = sgi_read(vm, 0, GICR_ISENABLER0);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, bad[i].off, bad[i].size), 0);
		gicr_write_sz(vm, 0, 0, bad[i].off, bad[i].size, ~0ull);
	}
	ck_assert_uint_eq(rejected(0), 2 * n);
	/* The writes changed nothing. */
	ck_assert_uint_eq(gicr_read(vm, 0, GICR_CTLR) & GICR_CTLR_ENABLE_LPIS, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISENABLER0), en);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_IGROUPR0), 0xFFFFFFFFu);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_PROPBASER, 8), 0);
	teardown();
}
END_TEST

/* A vCPU accessing another vCPU's frame (that vCPU outside the guest). */
START_TEST(other_vcpu_frame)
{
	vm = test_vm(2, 4, 0);
	guest_enable(sg_vcpu_cpuif(sg_vm_vcpu(vm, 0)));
	guest_enable(sg_vcpu_cpuif(sg_vm_vcpu(vm, 1)));
	gicr_write_sz(vm, 0, 1, GICR_SGI_BASE + GICR_ISPENDR0, 4, 1u << 4);
	ck_assert_uint_eq(gicr_read_sz(vm, 1, 1, GICR_SGI_BASE + GICR_ISPENDR0, 4), 1u << 4);
	ck_assert_uint_eq(gicr_read_sz(vm, 0, 0, GICR_SGI_BASE + GICR_ISPENDR0, 4), 0);
	ck_assert(sg_vcpu_pending_irq(sg_vm_vcpu(vm, 1)));
	ck_assert(!sg_vcpu_pending_irq(sg_vm_vcpu(vm, 0)));
	ck_assert_uint_eq(sg_vcpu_stat(sg_vm_vcpu(vm, 0), SG_STAT_MMIO_LOCAL), 2);
	ck_assert_uint_eq(sg_vcpu_stat(sg_vm_vcpu(vm, 0), SG_STAT_HOLD_WAITS), 0);
	teardown();
}
END_TEST

static Suite *redist_suite(void)
{
	Suite *s = suite_create("agent-redist");
	TCase *rd = tcase_create("rd_base");
	TCase *sgi = tcase_create("sgi_base");
	TCase *misc = tcase_create("access");

	tcase_add_test(rd, ctlr_without_its);
	tcase_add_test(rd, ctlr_enable_lpis);
	tcase_add_test(rd, iidr);
	tcase_add_test(rd, typer_fields);
	tcase_add_test(rd, typer_plpis_with_its);
	tcase_add_test(rd, statusr_raz_wi);
	tcase_add_test(rd, waker_handshake);
	tcase_add_test(rd, propbaser);
	tcase_add_test(rd, pendbaser);
	tcase_add_test(rd, inv_and_sync_registers);
	tcase_add_test(rd, id_registers);
	tcase_add_test(sgi, igroupr0);
	tcase_add_test(sgi, isenabler_icenabler);
	tcase_add_test(sgi, ispendr_icpendr);
	tcase_add_test(sgi, isactiver_icactiver);
	tcase_add_test(sgi, ipriorityr);
	tcase_add_test(sgi, icfgr);
	tcase_add_test(sgi, igrpmodr_nsacr_raz_wi);
	tcase_add_test(misc, bad_accesses_raz_wi_counted);
	tcase_add_test(misc, other_vcpu_frame);
	suite_add_tcase(s, rd);
	suite_add_tcase(s, sgi);
	suite_add_tcase(s, misc);
	return s;
}

int main(void)
{
	return check_run_suite(redist_suite());
}
