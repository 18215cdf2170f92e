// SPDX-License-Identifier: MIT
/*
 * The LPI side of the redistributor without a daemon: the pending table is
 * read when GICR_CTLR.EnableLPIs goes 0 -> 1 (unless PENDBASER.PTZ) and
 * written back when it goes 1 -> 0; properties come from the table, are
 * cached, and are re-read by INVLPIR/INVALLR; LPIs have no active state;
 * the entry pool, priority order against SGIs, hostile table addresses.
 * Expected behaviour from Arm IHI 0069 (LPIs, GICR_PROPBASER, GICR_PENDBASER,
 * GICR_CTLR, GICR_INVLPIR, GICR_INVALLR, GICR_SYNCR).
 */
#include <pthread.h>

#include "check_run.h"
#include "lpi_fixture.h"

static void setup2(void)
{
	fx_setup(2, 0, false);
}

static void setup_pool4(void)
{
	fx_setup(1, 4, false);
}

/* EnableLPIs on rd with PROPBASER.IDbits = idbits. */
static void enable(unsigned rd, unsigned idbits, bool ptz)
{
	gicr_write(rd, rd, GICR_PROPBASER, 8, PROP_GPA | idbits);
	gicr_write(rd, rd, GICR_PENDBASER, 8, PEND_GPA(rd) | (ptz ? GICR_PENDBASER_PTZ : 0));
	gicr_write(rd, rd, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
}

/* Priority flush gives intid on v (an LR pending), or -1 if it gets none. */
static int lr_prio(unsigned v, uint32_t intid)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(vc(v));
	int prio = -1;

	sg_vcpu_flush(vc(v));
	for (unsigned i = 0; i < c->nr_lrs; i++) {
		uint64_t lr = sg_cpuif_read_lr(c, i);

		if ((lr & ICH_LR_PENDING) && (uint32_t)(lr & ICH_LR_VINTID_MASK) == intid)
			prio = (int)((lr >> ICH_LR_PRIORITY_SHIFT) & 0xFF);
	}
	sg_vcpu_sync(vc(v));
	return prio;
}

START_TEST(enable_reads_pending_table)
{
	uint8_t prio = 0;

	prop_set(LPI(5), 0x40, true);
	prop_set(LPI(100), 0x40, false);
	prop_set(LPI(8000), 0x20, true);
	pend_set(0, LPI(5), true);
	pend_set(0, LPI(100), true);
	pend_set(0, LPI(8000), true);
	pend_set(0, 40, true); /* an SPI's bit: the first 1 KiB is not LPIs */
	expect_idle(0);
	enable(0, 15, false);
	/* Priority order: 0x20 before 0x40; the disabled one stays back. */
	ck_assert_uint_eq(take_once(0, &prio), LPI(8000));
	ck_assert_uint_eq(prio, 0x20);
	ck_assert_uint_eq(take_once(0, &prio), LPI(5));
	ck_assert_uint_eq(prio, 0x40);
	expect_idle(0);
	ck_assert_uint_eq(vstat(0, SG_STAT_LPI_PENDING), 3);
	/* Another redistributor's table was not touched. */
	expect_idle(1);
}
END_TEST

START_TEST(ptz_skips_pending_table)
{
	prop_set(LPI(5), 0x40, true);
	pend_set(0, LPI(5), true);
	enable(0, 15, true);
	expect_idle(0);
	ck_assert_uint_eq(vstat(0, SG_STAT_LPI_PENDING), 0);
}
END_TEST

START_TEST(invlpir_rereads_one_property)
{
	prop_set(LPI(100), 0x40, false);
	prop_set(LPI(101), 0x40, false);
	pend_set(0, LPI(100), true);
	pend_set(0, LPI(101), true);
	enable(0, 15, false);
	expect_idle(0);
	/* The redistributor may cache properties: a change without an
	 * invalidation is not seen. */
	prop_set(LPI(100), 0x40, true);
	prop_set(LPI(101), 0x40, true);
	expect_idle(0);
	gicr_write(1, 0, GICR_INVLPIR, 8, LPI(100)); /* from another vCPU */
	ck_assert_uint_eq(take_once(0, NULL), LPI(100));
	expect_idle(0);
	/* 32-bit write of the low half; then the SYNCR poll Linux does. */
	gicr_write(0, 0, GICR_INVLPIR, 4, LPI(101));
	ck_assert_uint_eq(gicr_read(0, 0, GICR_SYNCR, 4), 0);
	ck_assert_uint_eq(take_once(0, NULL), LPI(101));
	expect_idle(0);
	/* Write-only registers read 0. */
	ck_assert_uint_eq(gicr_read(0, 0, GICR_INVLPIR, 8), 0);
	ck_assert_uint_eq(gicr_read(0, 0, GICR_INVALLR, 8), 0);
}
END_TEST

START_TEST(invlpir_virtual_ignored)
{
	prop_set(LPI(7), 0x40, false);
	pend_set(0, LPI(7), true);
	enable(0, 15, false);
	prop_set(LPI(7), 0x40, true);
	/* V = 1 names a vLPI: none exist without GICv4. */
	gicr_write(0, 0, GICR_INVLPIR, 8, (1ull << 63) | LPI(7));
	expect_idle(0);
	gicr_write(0, 0, GICR_INVLPIR, 8, LPI(7));
	ck_assert_uint_eq(take_once(0, NULL), LPI(7));
}
END_TEST

START_TEST(invallr_rereads_all)
{
	prop_set(LPI(1), 0x80, true);
	prop_set(LPI(2), 0x40, true);
	prop_set(LPI(3), 0x40, false);
	pend_set(0, LPI(1), true);
	pend_set(0, LPI(2), true);
	pend_set(0, LPI(3), true);
	enable(0, 15, false);
	ck_assert_int_eq(lr_prio(0, LPI(1)), 0x80);
	ck_assert_int_eq(lr_prio(0, LPI(2)), 0x40);
	ck_assert_int_eq(lr_prio(0, LPI(3)), -1);
	prop_set(LPI(1), 0x10, true);
	prop_set(LPI(2), 0x90, false);
	prop_set(LPI(3), 0x60, true);
	ck_assert_int_eq(lr_prio(0, LPI(1)), 0x80); /* cached */
	gicr_write(0, 0, GICR_INVALLR, 8, 0);
	ck_assert_int_eq(lr_prio(0, LPI(1)), 0x10);
	ck_assert_int_eq(lr_prio(0, LPI(2)), -1);
	ck_assert_int_eq(lr_prio(0, LPI(3)), 0x60);
	ck_assert_uint_eq(take_once(0, NULL), LPI(1));
	ck_assert_uint_eq(take_once(0, NULL), LPI(3));
	expect_idle(0);
	/* LPI 2 is still pending: enabled again, it comes. */
	prop_set(LPI(2), 0x90, true);
	gicr_write(0, 0, GICR_INVALLR, 4, 0);
	ck_assert_uint_eq(take_once(0, NULL), LPI(2));
	expect_idle(0);
}
END_TEST

START_TEST(idbits_limit_the_range)
{
	/* IDbits 13: 14 bits of INTID, LPIs 8192..16383. */
	prop_set(LPI(800), 0x40, true);
	prop_set(20000, 0x40, true);
	pend_set(0, LPI(800), true);
	pend_set(0, 20000, true);
	enable(0, 13, false);
	ck_assert_uint_eq(take_once(0, NULL), LPI(800));
	expect_idle(0);
	/* Fewer than 14 bits: no LPI exists. */
	prop_set(LPI(3), 0x40, true);
	pend_set(1, LPI(3), true);
	enable(1, 12, false);
	expect_idle(1);
}
END_TEST

START_TEST(disable_writes_back_and_drops)
{
	prop_set(LPI(10), 0x40, true);
	prop_set(LPI(11), 0x40, false);
	prop_set(LPI(12), 0x40, true);
	pend_set(0, LPI(10), true);
	pend_set(0, LPI(11), true);
	pend_set(0, LPI(12), true);
	enable(0, 15, false);
	ck_assert_int_eq(lr_prio(0, LPI(12)), 0x40);
	/* The guest takes 10 (first in at the same priority); 12 stays. */
	ck_assert_uint_eq(take_once(0, NULL), LPI(10));
	gicr_write(0, 0, GICR_CTLR, 4, 0);
	ck_assert_uint_eq(gicr_read(0, 0, GICR_CTLR, 4) & GICR_CTLR_ENABLE_LPIS, 0);
	expect_idle(0);
	/* The table holds what was pending, and nothing else. */
	ck_assert(!pend_get(0, LPI(10)));
	ck_assert(pend_get(0, LPI(11)));
	ck_assert(pend_get(0, LPI(12)));
	/* Enabled again without PTZ: the table's state comes back. */
	gicr_write(0, 0, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	ck_assert_uint_eq(take_once(0, NULL), LPI(12));
	expect_idle(0);
	prop_set(LPI(11), 0x40, true);
	gicr_write(0, 0, GICR_INVLPIR, 8, LPI(11));
	ck_assert_uint_eq(take_once(0, NULL), LPI(11));
	expect_idle(0);
}
END_TEST

START_TEST(hostile_table_addresses)
{
	/* Property table running past the end of RAM: LPIs near its end read
	 * outside RAM, are rejected and count as disabled. */
	uint64_t prop_pa = RAM_GPA + RAM_SIZE - 0x1000;

	pend_set(0, LPI(0x10), true);	/* its property byte is in RAM */
	pend_set(0, LPI(0x2000), true); /* past the end */
	__atomic_store_n(gpa_ptr(prop_pa + 0x10), (uint8_t)(0x40 | LPI_PROP_ENABLE),
			 __ATOMIC_RELAXED);
	gicr_write(0, 0, GICR_PROPBASER, 8, prop_pa | 15);
	gicr_write(0, 0, GICR_PENDBASER, 8, PEND_GPA(0));
	gicr_write(0, 0, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	ck_assert_uint_eq(take_once(0, NULL), LPI(0x10));
	expect_idle(0);
	ck_assert_uint_eq(vstat(0, SG_STAT_LPI_RAM_REJECTS), 1);
	/* Pending table at the top of the physical address space: nothing is
	 * read (no wrap-around), the reject is counted; a write-back at
	 * disable is refused the same way. */
	gicr_write(1, 1, GICR_PROPBASER, 8, PROP_GPA | 15);
	gicr_write(1, 1, GICR_PENDBASER, 8, GICR_PENDBASER_PA_MASK);
	gicr_write(1, 1, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	expect_idle(1);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_RAM_REJECTS), 1);
	gicr_write(1, 1, GICR_CTLR, 4, 0);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_RAM_REJECTS), 2);
}
END_TEST

START_TEST(acknowledged_lpi_has_no_active_state)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(vc(0));
	uint32_t id;

	prop_set(LPI(1), 0x40, true);
	pend_set(0, LPI(1), true);
	enable(0, 15, false);
	sg_vcpu_flush(vc(0));
	id = sg_cpuif_iar(c, 1);
	ck_assert_uint_eq(id, LPI(1));
	/* The guest leaves before its EOI: the redistributor keeps nothing. */
	sg_vcpu_sync(vc(0));
	sg_vcpu_flush(vc(0));
	ck_assert_int_eq(find_lr(c, LPI(1)), -1);
	ck_assert(!sg_cpuif_virq(c));
	/* The EOI finds no LR: the running priority drops, EOIcount does not
	 * count it (LPIs are never deactivated). */
	sg_cpuif_eoir(c, 1, id);
	ck_assert_uint_eq(sg_cpuif_read_hcr(c) & ICH_HCR_EOICOUNT_MASK, 0);
	ck_assert_uint_eq(sg_cpuif_rpr(c), 0xFF);
	sg_vcpu_sync(vc(0));
	expect_idle(0);
}
END_TEST

START_TEST(priority_merge_with_ap_list)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(vc(0));

	for (unsigned i = 0; i < 5; i++) {
		prop_set(LPI(i), 0x40, true);
		pend_set(0, LPI(i), true);
	}
	enable(0, 15, false);
	/* SGI 1 at 0x80 loses to five LPIs at 0x40 for the four LRs. */
	gicr_write(0, 0, GICR_SGI_BASE + GICR_IPRIORITYR0 + 1, 1, 0x80);
	gicr_write(0, 0, GICR_SGI_BASE + GICR_ISPENDR0, 4, 1u << 1);
	sg_vcpu_flush(vc(0));
	ck_assert_int_eq(find_lr(c, 1), -1);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_ge(find_lr(c, LPI(i)), 0); /* FIFO within a priority */
	ck_assert_uint_eq(sg_cpuif_read_hcr(c) & ICH_HCR_UIE, ICH_HCR_UIE);
	sg_vcpu_sync(vc(0));
	/* SGI 2 at 0x20 goes first. */
	gicr_write(0, 0, GICR_SGI_BASE + GICR_IPRIORITYR0 + 2, 1, 0x20);
	gicr_write(0, 0, GICR_SGI_BASE + GICR_ISPENDR0, 4, 1u << 2);
	ck_assert_uint_eq(take_once(0, NULL), 2);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(take_once(0, NULL), LPI(i));
	ck_assert_uint_eq(take_once(0, NULL), 1);
	expect_idle(0);
}
END_TEST

START_TEST(pool_exhaustion_keeps_every_lpi)
{
	bool seen[20] = { false };

	for (unsigned i = 0; i < 20; i++) {
		prop_set(LPI(i), (uint8_t)(0x10 * (i % 8)), true);
		pend_set(0, LPI(i), true);
	}
	enable(0, 15, false);
	/* Four entries: the other sixteen wait in the pending bitmap. */
	ck_assert_uint_eq(vstat(0, SG_STAT_LPI_POOL_WAITS), 16);
	for (unsigned k = 0; k < 20; k++) {
		uint32_t id = take_once(0, NULL);

		ck_assert_msg(id >= LPI(0) && id < LPI(20), "got %u", id);
		ck_assert_msg(!seen[id - LPI(0)], "LPI %u taken twice", id);
		seen[id - LPI(0)] = true;
	}
	expect_idle(0);
}
END_TEST

/* ------------------------------------------ a running vCPU is held */

static pthread_mutex_t k_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t k_cond = PTHREAD_COND_INITIALIZER;
static bool k_in_guest, k_kicked;

static void on_kick(struct sg_vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	pthread_mutex_lock(&k_lock);
	k_kicked = true;
	pthread_cond_broadcast(&k_cond);
	pthread_mutex_unlock(&k_lock);
}

/* vCPU 1 enters the guest with what is queued and stays there until kicked. */
static void *guest1(void *arg)
{
	(void)arg;
	sg_vcpu_flush(vc(1));
	pthread_mutex_lock(&k_lock);
	k_in_guest = true;
	pthread_cond_broadcast(&k_cond);
	while (!k_kicked)
		pthread_cond_wait(&k_cond, &k_lock);
	pthread_mutex_unlock(&k_lock);
	sg_vcpu_sync(vc(1));
	return NULL;
}

START_TEST(invlpir_disable_takes_lpi_back_from_running_vcpu)
{
	pthread_t t;

	prop_set(LPI(9), 0x40, true);
	pend_set(1, LPI(9), true);
	enable(1, 15, false);
	sg_vcpu_set_kick_fn(vc(1), on_kick, NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, guest1, NULL), 0);
	pthread_mutex_lock(&k_lock);
	while (!k_in_guest)
		pthread_cond_wait(&k_cond, &k_lock);
	pthread_mutex_unlock(&k_lock);
	ck_assert_int_ge(find_lr(sg_vcpu_cpuif(vc(1)), LPI(9)), 0);
	/* vCPU 0 disables it: once INVLPIR returns, vCPU 1 cannot take it. */
	prop_set(LPI(9), 0x40, false);
	gicr_write(0, 1, GICR_INVLPIR, 8, LPI(9));
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_ge(vstat(0, SG_STAT_HOLD_WAITS), 1);
	ck_assert_uint_eq(vstat(0, SG_STAT_HOLD_TIMEOUTS), 0);
	expect_idle(1);
	/* Still pending: enabled again, it is taken once. */
	prop_set(LPI(9), 0x40, true);
	gicr_write(0, 1, GICR_INVLPIR, 8, LPI(9));
	ck_assert_uint_eq(take_once(1, NULL), LPI(9));
	expect_idle(1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lpi-redist");
	TCase *tc = tcase_create("redist");
	TCase *tp = tcase_create("pool");

	tcase_add_checked_fixture(tc, setup2, fx_teardown);
	tcase_add_test(tc, enable_reads_pending_table);
	tcase_add_test(tc, ptz_skips_pending_table);
	tcase_add_test(tc, invlpir_rereads_one_property);
	tcase_add_test(tc, invlpir_virtual_ignored);
	tcase_add_test(tc, invallr_rereads_all);
	tcase_add_test(tc, idbits_limit_the_range);
	tcase_add_test(tc, disable_writes_back_and_drops);
	tcase_add_test(tc, hostile_table_addresses);
	tcase_add_test(tc, acknowledged_lpi_has_no_active_state);
	tcase_add_test(tc, priority_merge_with_ap_list);
	tcase_add_test(tc, invlpir_disable_takes_lpi_back_from_running_vcpu);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, setup_pool4, fx_teardown);
	tcase_add_test(tp, pool_exhaustion_keeps_every_lpi);
	suite_add_tcase(s, tp);
	return check_run_suite(s);
}
