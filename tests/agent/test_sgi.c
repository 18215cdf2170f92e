// SPDX-License-Identifier: MIT
/*
 * SGI generation from ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1
 * (IHI 0069, ICC_SGI1R_EL1): TargetList [15:0], Aff1 [23:16], INTID
 * [27:24], Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48]; group rules
 * with GICD_CTLR.DS=1.
 */
#include <check.h>
#include <stdlib.h>

#include "agent_test.h"
#include "check_run.h"

/*
 * 40 vCPUs: 0..15 at Aff1 0 (Aff0 0..15), 16..31 at Aff1 1, then ones that
 * need the other fields: Aff0 17 and 255 (RS 1 and 15), Aff2, Aff3 ...
 */
#define NR 40
static uint64_t mpidr[NR];
static struct sg_vm *vm;

static void setup(void)
{
	for (unsigned i = 0; i < 32; i++)
		mpidr[i] = test_mpidr(i);
	mpidr[32] = 0x000011ull;     /* Aff0 17 */
	mpidr[33] = 0x0000FFull;     /* Aff0 255 */
	mpidr[34] = 0x050000ull;     /* Aff2 5 */
	mpidr[35] = 0x0300000000ull; /* Aff3 3 */
	mpidr[36] = (0x0Aull << 32) | (0x0Cull << 16) | (0x0Dull << 8) | 0x07;
	mpidr[37] = (0x0Aull << 32) | (0x0Cull << 16) | (0x0Dull << 8) | 0x1F; /* RS 1, bit 15 */
	mpidr[38] = 0x000210ull;					       /* Aff1 2, Aff0 16 */
	mpidr[39] = 0x000200ull;					       /* Aff1 2, Aff0 0 */
	vm = test_vm_mpidr(NR, mpidr, 4, 0);
}

static void teardown(void)
{
	sg_vm_destroy(vm);
	vm = NULL;
}

static uint64_t sgir(unsigned intid, unsigned aff3, unsigned aff2, unsigned aff1, unsigned rs,
		     unsigned list)
{
	return ((uint64_t)intid << ICC_SGIR_INTID_SHIFT) | ((uint64_t)aff3 << ICC_SGIR_AFF3_SHIFT) |
	       ((uint64_t)aff2 << ICC_SGIR_AFF2_SHIFT) | ((uint64_t)aff1 << ICC_SGIR_AFF1_SHIFT) |
	       ((uint64_t)rs << ICC_SGIR_RS_SHIFT) | list;
}

/* Bitmask of vCPUs (by index) with SGI intid pending; clears them. */
static uint64_t collect(unsigned intid)
{
	uint64_t hit = 0;

	for (unsigned i = 0; i < NR; i++) {
		if (sgi_read(vm, i, GICR_ISPENDR0) & (1u << intid)) {
			hit |= 1ull << i;
			sgi_write(vm, i, GICR_ICPENDR0, 1u << intid);
		}
		ck_assert_uint_eq(sgi_read(vm, i, GICR_ISPENDR0), 0);
	}
	return hit;
}

static void write_sgi(unsigned from, uint32_t reg, uint64_t val)
{
	ck_assert(sg_vcpu_write_sgi(sg_vm_vcpu(vm, from), reg, val));
}

START_TEST(single_target)
{
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(3, 0, 0, 0, 0, 1u << 5));
	ck_assert_uint_eq(collect(3), 1ull << 5);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(3, 0, 0, 1, 0, 1u << 5));
	ck_assert_uint_eq(collect(3), 1ull << 21);
	ck_assert_uint_eq(sg_vcpu_stat(sg_vm_vcpu(vm, 0), SG_STAT_SGI_SENT), 2);
	ck_assert_uint_eq(sg_vcpu_stat(sg_vm_vcpu(vm, 21), SG_STAT_SGI_RECEIVED), 1);
}
END_TEST

START_TEST(every_intid)
{
	for (unsigned id = 0; id < 16; id++) {
		write_sgi(1, SYS_ICC_SGI1R_EL1, sgir(id, 0, 0, 0, 0, 1u << 2));
		ck_assert_uint_eq(sgi_read(vm, 2, GICR_ISPENDR0), 1u << id);
		sgi_write(vm, 2, GICR_ICPENDR0, 0xFFFF);
	}
}
END_TEST

START_TEST(target_list_forms)
{
	/* Every single bit, the full list, a sparse list, the empty list. */
	for (unsigned b = 0; b < 16; b++) {
		write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(1, 0, 0, 1, 0, 1u << b));
		ck_assert_uint_eq(collect(1), 1ull << (16 + b));
	}
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(1, 0, 0, 0, 0, 0xFFFF));
	ck_assert_uint_eq(collect(1), 0xFFFFull);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(1, 0, 0, 1, 0, 0x8421));
	ck_assert_uint_eq(collect(1), (1ull << 16) | (1ull << 21) | (1ull << 26) | (1ull << 31));
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(1, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(collect(1), 0);
	/* The sender itself may be in the list. */
	write_sgi(4, SYS_ICC_SGI1R_EL1, sgir(2, 0, 0, 0, 0, (1u << 4) | (1u << 6)));
	ck_assert_uint_eq(collect(2), (1ull << 4) | (1ull << 6));
}
END_TEST

START_TEST(range_selector)
{
	/* RS 1: target Aff0 = 16 + bit. */
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(6, 0, 0, 0, 1, 1u << 1));
	ck_assert_uint_eq(collect(6), 1ull << 32);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(6, 0, 0, 0, 15, 1u << 15));
	ck_assert_uint_eq(collect(6), 1ull << 33);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(6, 0, 0, 2, 1, 0xFFFF));
	ck_assert_uint_eq(collect(6), 1ull << 38);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(6, 0, 0, 2, 0, 0xFFFF));
	ck_assert_uint_eq(collect(6), 1ull << 39);
	/* RS 0 does not reach Aff0 17. */
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(6, 0, 0, 0, 0, 0xFFFE));
	ck_assert_uint_eq(collect(6) & (1ull << 32), 0);
}
END_TEST

START_TEST(higher_affinity_levels)
{
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(7, 0, 5, 0, 0, 1u << 0));
	ck_assert_uint_eq(collect(7), 1ull << 34);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(7, 3, 0, 0, 0, 1u << 0));
	ck_assert_uint_eq(collect(7), 1ull << 35);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(7, 0x0A, 0x0C, 0x0D, 0, 1u << 7));
	ck_assert_uint_eq(collect(7), 1ull << 36);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(7, 0x0A, 0x0C, 0x0D, 1, 1u << 15));
	ck_assert_uint_eq(collect(7), 1ull << 37);
	/* Aff2 5 alone at Aff0 0 is vCPU 34; Aff0 0 with Aff2 0 is vCPU 0. */
	write_sgi(1, SYS_ICC_SGI1R_EL1, sgir(7, 0, 0, 0, 0, 1u << 0));
	ck_assert_uint_eq(collect(7), 1ull << 0);
}
END_TEST

START_TEST(unknown_affinity_ignored)
{
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(8, 0, 0, 9, 0, 0xFFFF));
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(8, 0xFF, 0xFF, 0xFF, 15, 0xFFFF));
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(8, 0, 0, 1, 3, 0xFFFF));
	ck_assert_uint_eq(collect(8), 0);
	ck_assert_uint_eq(sg_vcpu_stat(sg_vm_vcpu(vm, 0), SG_STAT_SGI_SENT), 0);
}
END_TEST

START_TEST(irm_broadcast_all_but_self)
{
	uint64_t all = (1ull << NR) - 1;

	/* With IRM set, the affinity fields and the list are ignored. */
	write_sgi(3, SYS_ICC_SGI1R_EL1, ICC_SGIR_IRM | sgir(9, 0, 0, 1, 2, 1u << 3));
	ck_assert_uint_eq(collect(9), all & ~(1ull << 3));
	write_sgi(NR - 1, SYS_ICC_SGI1R_EL1, ICC_SGIR_IRM | sgir(9, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(collect(9), all & ~(1ull << (NR - 1)));
	ck_assert_uint_eq(sg_vcpu_stat(sg_vm_vcpu(vm, 3), SG_STAT_SGI_SENT), NR - 1);
}
END_TEST

START_TEST(res0_bits_ignored)
{
	uint64_t res0 = (0x7ull << 41) | (0xFFull << 56);

	write_sgi(0, SYS_ICC_SGI1R_EL1, res0 | sgir(10, 0, 0, 0, 0, 1u << 9));
	ck_assert_uint_eq(collect(10), 1ull << 9);
}
END_TEST

START_TEST(group_rules)
{
	/* SGI 11 Group 0 on vCPU 1, SGI 12 Group 1 (reset value). */
	sgi_write(vm, 1, GICR_IGROUPR0, ~(1u << 11));
	/* SGI1R: either group. */
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(11, 0, 0, 0, 0, 1u << 1));
	ck_assert_uint_eq(collect(11), 1ull << 1);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(12, 0, 0, 0, 0, 1u << 1));
	ck_assert_uint_eq(collect(12), 1ull << 1);
	/* SGI0R and ASGI1R (no other Security state with DS=1): Group 0 only. */
	write_sgi(0, SYS_ICC_SGI0R_EL1, sgir(11, 0, 0, 0, 0, 1u << 1));
	ck_assert_uint_eq(collect(11), 1ull << 1);
	write_sgi(0, SYS_ICC_SGI0R_EL1, sgir(12, 0, 0, 0, 0, 1u << 1));
	ck_assert_uint_eq(collect(12), 0);
	write_sgi(0, SYS_ICC_ASGI1R_EL1, sgir(11, 0, 0, 0, 0, 1u << 1));
	ck_assert_uint_eq(collect(11), 1ull << 1);
	write_sgi(0, SYS_ICC_ASGI1R_EL1, sgir(12, 0, 0, 0, 0, 1u << 1));
	ck_assert_uint_eq(collect(12), 0);
	ck_assert_uint_eq(sg_vcpu_stat(sg_vm_vcpu(vm, 1), SG_STAT_SGI_GROUP_DROPPED), 2);
}
END_TEST

START_TEST(not_an_sgi_register)
{
	ck_assert(!sg_vcpu_write_sgi(sg_vm_vcpu(vm, 0), SYS_ICC_EOIR1_EL1, 1));
	ck_assert(!sg_vcpu_write_sgi(sg_vm_vcpu(vm, 0), 0, sgir(1, 0, 0, 0, 0, 0xFFFF)));
	ck_assert_uint_eq(collect(1), 0);
}
END_TEST

/* Disabled SGIs latch and are delivered once enabled. */
START_TEST(disabled_sgi_latched)
{
	struct sg_vcpu *t = sg_vm_vcpu(vm, 2);

	sgi_write(vm, 2, GICR_ICENABLER0, 1u << 13);
	write_sgi(0, SYS_ICC_SGI1R_EL1, sgir(13, 0, 0, 0, 0, 1u << 2));
	guest_enable(sg_vcpu_cpuif(t));
	ck_assert(!sg_vcpu_pending_irq(t));
	sgi_write(vm, 2, GICR_ISENABLER0, 1u << 13);
	ck_assert(sg_vcpu_pending_irq(t));
	ck_assert_uint_eq(collect(13), 1ull << 2);
}
END_TEST

static Suite *sgi_suite(void)
{
	Suite *s = suite_create("agent-sgi");
	TCase *tc = tcase_create("sgi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, single_target);
	tcase_add_test(tc, every_intid);
	tcase_add_test(tc, target_list_forms);
	tcase_add_test(tc, range_selector);
	tcase_add_test(tc, higher_affinity_levels);
	tcase_add_test(tc, unknown_affinity_ignored);
	tcase_add_test(tc, irm_broadcast_all_but_self);
	tcase_add_test(tc, res0_bits_ignored);
	tcase_add_test(tc, group_rules);
	tcase_add_test(tc, not_an_sgi_register);
	tcase_add_test(tc, disabled_sgi_latched);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(sgi_suite());
}
