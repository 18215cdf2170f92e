// SPDX-License-Identifier: MIT
/*
 * LPIs end to end: device MSI -> bus -> gicd-server's ITS -> bus -> agent
 * redistributor -> LR -> guest, configured the way Linux's
 * irq-gic-v3-its.c does it: per CPU MAPC + INVALL + SYNC, per device MAPD,
 * per vector MAPTI then property enable + INV + SYNC, MOVI + SYNC on an
 * affinity change, DISCARD + MAPD V=0 on unbind, CPU offline/online.  Each
 * vCPU's "thread" is the test's main thread (it runs one vCPU at a time,
 * outside the guest when it makes register accesses) except where a vCPU
 * has to be running in the guest.
 *
 * Ordering used to make results deterministic: an MSI is fenced with a
 * GITS read (the daemon drains the bus before serving it, DESIGN §4), then
 * a SYNC for the target redistributor (its SyncDone comes after the agent
 * applied everything sent before it).
 */
#include <errno.h>
#include <pthread.h>

#include "check_run.h"
#include "lpi_fixture.h"

#define NV  3u
#define DEV 1u
/* Device 1's event e is LPI(0x100 + e). */
#define EV_LPI(e) LPI(0x100 + (e))

static void setup(void)
{
	fx_setup(NV, 0, true);
}

/* Boot: the ITS, then on every CPU its redistributor and its collection. */
static void boot(void)
{
	its_setup(0);
	for (unsigned i = 0; i < NV; i++)
		rd_setup(i, i);
	for (unsigned i = 0; i < NV; i++) {
		c_mapc(i, i, true);
		c_invall(i);
		c_sync(i);
	}
	its_run(0);
}

/* Device probe and nr vectors activated and unmasked: event e -> collection coll[e]. */
static void map_device(uint32_t dev, unsigned size, unsigned nr, const unsigned *coll)
{
	c_mapd(dev, size, ITT_GPA(dev), true);
	for (unsigned e = 0; e < nr; e++) {
		c_mapti(dev, e, EV_LPI(e), coll[e]);
		c_sync(coll[e]);
	}
	its_run(0);
	for (unsigned e = 0; e < nr; e++) {
		prop_set(EV_LPI(e), PRIO_DEFAULT, true);
		c_inv(dev, e);
		c_sync(coll[e]);
	}
	its_run(0);
}

/* A device MSI, applied up to redistributor rd when this returns. */
static void msi_fenced(uint32_t dev, uint32_t ev, unsigned rd)
{
	ck_assert_int_eq(sg_vm_signal_msi(fx.vm, 0, dev, ev), 0);
	(void)gits_read(0, GITS_CTLR, 4);
	c_sync(rd);
	its_run(0);
}

static uint64_t total_pending(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < NV; i++)
		n += vstat(i, SG_STAT_LPI_PENDING);
	return n;
}

START_TEST(linux_driver_sequence)
{
	const unsigned coll[4] = { 0, 1, 2, 1 };
	uint8_t prio = 0;

	boot();
	map_device(DEV, 1, 4, coll); /* Size 1: 4 events */
	/* Every vector reaches the CPU its collection names, at the priority
	 * from the property table. */
	for (unsigned e = 0; e < 4; e++)
		msi_fenced(DEV, e, coll[e]);
	ck_assert_uint_eq(take_once(0, &prio), EV_LPI(0));
	ck_assert_uint_eq(prio, PRIO_DEFAULT);
	ck_assert_uint_eq(take_once(2, NULL), EV_LPI(2));
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(1));
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(3));
	for (unsigned i = 0; i < NV; i++)
		expect_idle(i);

	/* Affinity change of vector 1: MOVI to CPU 2's collection + SYNC. */
	c_movi(DEV, 1, 2);
	c_sync(2);
	its_run(0);
	msi_fenced(DEV, 1, 2);
	expect_idle(1);
	ck_assert_uint_eq(take_once(2, NULL), EV_LPI(1));

	/* Unbind: DISCARD every vector, MAPD V=0, SYNC. */
	msi_fenced(DEV, 3, 1); /* left pending: DISCARD removes it */
	for (unsigned e = 0; e < 4; e++) {
		c_discard(DEV, e);
		c_sync(e == 1 ? 2 : coll[e]);
	}
	c_mapd(DEV, 1, ITT_GPA(DEV), false);
	c_sync(0);
	its_run(0);
	for (unsigned i = 0; i < NV; i++)
		expect_idle(i);
	{
		uint64_t before = total_pending();

		for (unsigned e = 0; e < 4; e++)
			msi_fenced(DEV, e, coll[e]);
		ck_assert_uint_eq(total_pending(), before); /* dropped by the ITS */
	}
	for (unsigned i = 0; i < NV; i++)
		expect_idle(i);
	/* Nothing was dropped by a redistributor, nothing left pending. */
	for (unsigned i = 0; i < NV; i++)
		ck_assert_uint_eq(vstat(i, SG_STAT_LPI_DROPPED), 0);
}
END_TEST

START_TEST(inv_honours_the_property_cache)
{
	const unsigned coll[1] = { 1 };
	uint8_t prio = 0;

	boot();
	map_device(DEV, 0, 1, coll);
	msi_fenced(DEV, 0, 1);
	ck_assert_uint_eq(take_once(1, &prio), EV_LPI(0));
	ck_assert_uint_eq(prio, PRIO_DEFAULT);
	/* Changed without INV: the cached property still applies. */
	prop_set(EV_LPI(0), 0x60, true);
	msi_fenced(DEV, 0, 1);
	ck_assert_uint_eq(take_once(1, &prio), EV_LPI(0));
	ck_assert_uint_eq(prio, PRIO_DEFAULT);
	c_inv(DEV, 0);
	c_sync(1);
	its_run(0);
	msi_fenced(DEV, 0, 1);
	ck_assert_uint_eq(take_once(1, &prio), EV_LPI(0));
	ck_assert_uint_eq(prio, 0x60);
	/* Masked (Linux's mask_irq: enable bit clear + INV): it stays pending
	 * and arrives once unmasked. */
	prop_set(EV_LPI(0), 0x60, false);
	c_inv(DEV, 0);
	c_sync(1);
	its_run(0);
	msi_fenced(DEV, 0, 1);
	msi_fenced(DEV, 0, 1);
	expect_idle(1);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_MERGED), 1);
	prop_set(EV_LPI(0), 0x60, true);
	c_invall(1);
	c_sync(1);
	its_run(0);
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(0));
	expect_idle(1);
}
END_TEST

START_TEST(movi_moves_pending_state)
{
	const unsigned coll[2] = { 1, 1 };

	boot();
	map_device(DEV, 0, 2, coll);
	msi_fenced(DEV, 0, 1); /* pending at CPU 1, which does not run */
	c_movi(DEV, 0, 2);
	c_movi(DEV, 1, 2); /* not pending: nothing to move */
	c_sync(2);
	its_run(0);
	expect_idle(1);
	ck_assert_uint_eq(take_once(2, NULL), EV_LPI(0));
	expect_idle(2);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_MOVED), 1);
}
END_TEST

/* vCPU 1 runs the guest with what it has queued until it is kicked. */
static pthread_mutex_t k_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t k_cond = PTHREAD_COND_INITIALIZER;
static bool k_in_guest, k_kicked;
static int k_lr = -2; /* LR holding the LPI at entry (vCPU 1's thread reads its LRs) */

static void on_kick(struct sg_vcpu *v, void *arg)
{
	(void)v;
	(void)arg;
	pthread_mutex_lock(&k_lock);
	k_kicked = true;
	pthread_cond_broadcast(&k_cond);
	pthread_mutex_unlock(&k_lock);
}

static void *guest1(void *arg)
{
	(void)arg;
	sg_vcpu_flush(vc(1));
	k_lr = find_lr(sg_vcpu_cpuif(vc(1)), EV_LPI(0));
	pthread_mutex_lock(&k_lock);
	k_in_guest = true;
	pthread_cond_broadcast(&k_cond);
	while (!k_kicked)
		pthread_cond_wait(&k_cond, &k_lock);
	pthread_mutex_unlock(&k_lock);
	sg_vcpu_sync(vc(1));
	return NULL;
}

START_TEST(movi_takes_lpi_back_from_running_vcpu)
{
	const unsigned coll[1] = { 1 };
	pthread_t t;

	boot();
	map_device(DEV, 0, 1, coll);
	msi_fenced(DEV, 0, 1);
	sg_vcpu_set_kick_fn(vc(1), on_kick, NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, guest1, NULL), 0);
	pthread_mutex_lock(&k_lock);
	while (!k_in_guest)
		pthread_cond_wait(&k_cond, &k_lock);
	pthread_mutex_unlock(&k_lock);
	ck_assert_int_ge(k_lr, 0);
	/* The LPI sits pending in a running vCPU's LR: MOVI makes it leave the
	 * guest, and the pending state moves. */
	c_movi(DEV, 0, 2);
	c_sync(2);
	its_run(0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_ge(vstat(1, SG_STAT_HOLD_WAITS), 1);
	ck_assert_uint_eq(vstat(1, SG_STAT_HOLD_TIMEOUTS), 0);
	expect_idle(1);
	ck_assert_uint_eq(take_once(2, NULL), EV_LPI(0));
	expect_idle(2);
}
END_TEST

/* vCPU 1 acknowledges and EOIs what it has, then runs on until kicked. */
static void *guest1_ack(void *arg)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(vc(1));
	uint32_t *id = arg;

	sg_vcpu_flush(vc(1));
	*id = sg_cpuif_iar(c, 1);
	sg_cpuif_eoir(c, 1, *id);
	pthread_mutex_lock(&k_lock);
	k_in_guest = true;
	pthread_cond_broadcast(&k_cond);
	while (!k_kicked)
		pthread_cond_wait(&k_cond, &k_lock);
	pthread_mutex_unlock(&k_lock);
	sg_vcpu_sync(vc(1));
	return NULL;
}

START_TEST(msi_while_lr_copy_was_taken)
{
	const unsigned coll[1] = { 1 };
	uint32_t id = 0;
	pthread_t t;

	boot();
	map_device(DEV, 0, 1, coll);
	msi_fenced(DEV, 0, 1);
	sg_vcpu_set_kick_fn(vc(1), on_kick, NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, guest1_ack, &id), 0);
	pthread_mutex_lock(&k_lock);
	while (!k_in_guest)
		pthread_cond_wait(&k_cond, &k_lock);
	pthread_mutex_unlock(&k_lock);
	/* The guest handled the LPI from its LR; the agent does not know yet.
	 * A second MSI must not merge into the one already handled. */
	msi_fenced(DEV, 0, 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(id, EV_LPI(0));
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(0));
	expect_idle(1);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_PENDING), 2);
}
END_TEST

START_TEST(clear_discard_unmap)
{
	const unsigned coll[3] = { 1, 1, 1 };
	uint64_t before;

	boot();
	map_device(DEV, 1, 3, coll);
	msi_fenced(DEV, 0, 1);
	c_clear(DEV, 0);
	c_sync(1);
	its_run(0);
	expect_idle(1);
	msi_fenced(DEV, 1, 1);
	c_discard(DEV, 1);
	c_sync(1);
	its_run(0);
	expect_idle(1);
	before = vstat(1, SG_STAT_LPI_PENDING);
	msi_fenced(DEV, 1, 1); /* no mapping any more */
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_PENDING), before);
	/* Rebinding maps it again. */
	c_mapti(DEV, 1, EV_LPI(1), 1);
	c_sync(1);
	its_run(0);
	msi_fenced(DEV, 1, 1);
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(1));
	/* MAPD V=0: the whole device is gone. */
	c_mapd(DEV, 1, ITT_GPA(DEV), false);
	c_sync(1);
	its_run(0);
	before = vstat(1, SG_STAT_LPI_PENDING);
	msi_fenced(DEV, 2, 1);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_PENDING), before);
	expect_idle(1);
}
END_TEST

START_TEST(cpu_offline_online)
{
	const unsigned coll[3] = { 2, 2, 1 };

	boot();
	map_device(DEV, 1, 3, coll);
	msi_fenced(DEV, 0, 2); /* pending when CPU 2 goes down */
	/* CPU 2 offline: its interrupts migrate to CPU 1, it sleeps. */
	c_movi(DEV, 0, 1);
	c_movi(DEV, 1, 1);
	c_sync(1);
	its_run(0);
	gicr_write(2, 2, GICR_WAKER, 4, GICR_WAKER_PROCESSOR_SLEEP);
	sg_cpuif_set_igrpen(sg_vcpu_cpuif(vc(2)), 1, false);
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(0));
	msi_fenced(DEV, 1, 1);
	msi_fenced(DEV, 2, 1);
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(1));
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(2));
	expect_idle(1);
	ck_assert_uint_eq(vstat(2, SG_STAT_LPI_PENDING), 1); /* only the one before */
	/* CPU 2 online: awake, its collection mapped again + INVALL (LPIs
	 * stay enabled across hotplug), its vectors back. */
	gicr_write(2, 2, GICR_WAKER, 4, 0);
	sg_cpuif_set_igrpen(sg_vcpu_cpuif(vc(2)), 1, true);
	ck_assert_uint_eq(gicr_read(2, 2, GICR_CTLR, 4) & GICR_CTLR_ENABLE_LPIS,
			  GICR_CTLR_ENABLE_LPIS);
	c_mapc(2, 2, true);
	c_invall(2);
	c_sync(2);
	c_movi(DEV, 0, 2);
	c_movi(DEV, 1, 2);
	c_sync(2);
	its_run(0);
	msi_fenced(DEV, 0, 2);
	msi_fenced(DEV, 1, 2);
	ck_assert_uint_eq(take_once(2, NULL), EV_LPI(0));
	ck_assert_uint_eq(take_once(2, NULL), EV_LPI(1));
	expect_idle(2);
	expect_idle(1);
}
END_TEST

START_TEST(int_and_movall)
{
	const unsigned coll[3] = { 1, 1, 1 };
	bool seen[3] = { false };

	boot();
	map_device(DEV, 1, 3, coll);
	c_int(DEV, 0);
	c_int(DEV, 1);
	c_sync(1);
	its_run(0);
	msi_fenced(DEV, 2, 1);
	/* Collection 1 moves to CPU 2 with everything pending at CPU 1. */
	c_mapc(1, 2, true);
	c_movall(1, 2);
	c_sync(2);
	its_run(0);
	expect_idle(1);
	for (unsigned k = 0; k < 3; k++) {
		uint32_t id = take_once(2, NULL);

		ck_assert_msg(id >= EV_LPI(0) && id <= EV_LPI(2) && !seen[id - EV_LPI(0)],
			      "unexpected %u", id);
		seen[id - EV_LPI(0)] = true;
	}
	expect_idle(2);
	msi_fenced(DEV, 0, 2);
	ck_assert_uint_eq(take_once(2, NULL), EV_LPI(0));
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_MOVED), 3);
}
END_TEST

START_TEST(dropped_when_lpis_off_or_beyond_idbits)
{
	const unsigned coll[2] = { 2, 1 };

	/* CPU 2 never enables LPIs; CPU 1's table has 14 ID bits. */
	its_setup(0);
	rd_setup(0, 0);
	gicr_write(1, 1, GICR_PROPBASER, 8, PROP_GPA | 13);
	gicr_write(1, 1, GICR_PENDBASER, 8, PEND_GPA(1) | GICR_PENDBASER_PTZ);
	gicr_write(1, 1, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	for (unsigned i = 0; i < NV; i++)
		c_mapc(i, i, true);
	c_mapd(DEV, 1, ITT_GPA(DEV), true);
	c_mapti(DEV, 0, EV_LPI(0), coll[0]);
	c_mapti(DEV, 1, 20000, coll[1]); /* beyond 16383 */
	c_sync(1);
	its_run(0);
	prop_set(EV_LPI(0), PRIO_DEFAULT, true);
	prop_set(20000, PRIO_DEFAULT, true);
	msi_fenced(DEV, 0, 2);
	msi_fenced(DEV, 1, 1);
	ck_assert_uint_eq(vstat(2, SG_STAT_LPI_DROPPED), 1);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_DROPPED), 1);
	/* Dropped, not kept: enabling LPIs later finds nothing. */
	rd_setup(2, 2);
	expect_idle(2);
	expect_idle(1);
}
END_TEST

START_TEST(msi_batch_travels_in_few_datagrams)
{
	enum { N = 200 };
	unsigned coll[N];
	uint32_t ev[N];
	bool seen[N] = { false };
	uint64_t rx;

	for (unsigned e = 0; e < N; e++) {
		coll[e] = 1;
		ev[e] = e;
	}
	boot();
	map_device(DEV, 7, N, coll); /* Size 7: 256 events */
	rx = sg_vm_stat(fx.vm, SG_VM_BUS_RX);
	ck_assert_int_eq(sg_vm_signal_msis(fx.vm, 0, DEV, ev, N), 0);
	ck_assert_uint_eq(sg_vm_stat(fx.vm, SG_VM_MSI_BATCHES), 1);
	(void)gits_read(0, GITS_CTLR, 4);
	c_sync(1);
	its_run(0);
	/* 200 Delivers and a Sync came in a handful of Batch datagrams. */
	ck_assert_uint_le(sg_vm_stat(fx.vm, SG_VM_BUS_RX) - rx, 4);
	ck_assert_uint_eq(vstat(1, SG_STAT_LPI_PENDING), N);
	for (unsigned k = 0; k < N; k++) {
		uint32_t id = take_once(1, NULL);

		ck_assert_msg(id >= EV_LPI(0) && id < EV_LPI(N) && !seen[id - EV_LPI(0)],
			      "unexpected %u", id);
		seen[id - EV_LPI(0)] = true;
	}
	expect_idle(1);
	ck_assert_int_eq(sg_vm_signal_msis(fx.vm, 1, DEV, ev, 1), -EINVAL); /* no ITS 1 */
	ck_assert_int_eq(sg_vm_signal_msis(fx.vm, 0, DEV, NULL, 1), -EINVAL);
	ck_assert_int_eq(sg_vm_signal_msis(fx.vm, 0, DEV, NULL, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lpi-linux");
	TCase *tc = tcase_create("linux");

	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_add_test(tc, linux_driver_sequence);
	tcase_add_test(tc, inv_honours_the_property_cache);
	tcase_add_test(tc, movi_moves_pending_state);
	tcase_add_test(tc, movi_takes_lpi_back_from_running_vcpu);
	tcase_add_test(tc, msi_while_lr_copy_was_taken);
	tcase_add_test(tc, clear_discard_unmap);
	tcase_add_test(tc, cpu_offline_online);
	tcase_add_test(tc, int_and_movall);
	tcase_add_test(tc, dropped_when_lpis_off_or_beyond_idbits);
	tcase_add_test(tc, msi_batch_travels_in_few_datagrams);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
