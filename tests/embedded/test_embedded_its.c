// SPDX-License-Identifier: MIT
/*
 * Embedded mode (docs/embedded.md): MSIs through gicd-server's ITS running
 * in the test's own process (the LPI fixture with FX_EMBEDDED=1, set by
 * meson).  The ITS reads and writes its tables in the same guest RAM memfd
 * the agent reads the LPI tables from; a device MSI, a vCPU's
 * GITS_TRANSLATER write and a batch of MSIs each reach the redistributor
 * of the collection they are mapped to, and SYNC completes (the Sync goes
 * to the bus thread, its SyncDone back to the ITS through the host).
 */

#include "check_run.h"
#include "embedded.h"
#include "lpi_fixture.h"

#define NV	  2u
#define DEV	  1u
#define EV_LPI(e) LPI(0x100 + (e))

static void setup(void)
{
	fx_setup(NV, 0, true);
	ck_assert_msg(fx.emb, "not in embedded mode: FX_EMBEDDED=1 must be set");
}

static void teardown(void)
{
	fx_teardown();
}

static struct gicd_embedded_stats host_stats(void)
{
	struct gicd_embedded_stats st;

	gicd_embedded_stats(fx.emb, &st);
	return st;
}

/* The ITS and both redistributors; device dev's events 0..nr-1 mapped to
 * collection (= vCPU) coll[e], enabled.  Device 0 is what a vCPU's
 * GITS_TRANSLATER write presents. */
static void boot_and_map(uint32_t dev, unsigned size, unsigned nr, const unsigned *coll)
{
	its_setup(0);
	for (unsigned i = 0; i < NV; i++)
		rd_setup(i, i);
	for (unsigned i = 0; i < NV; i++) {
		c_mapc(i, i, true);
		c_sync(i);
	}
	c_mapd(dev, size, ITT_GPA(dev), true);
	for (unsigned e = 0; e < nr; e++) {
		c_mapti(dev, e, EV_LPI(e), coll[e]);
		prop_set(EV_LPI(e), PRIO_DEFAULT, true);
		c_inv(dev, e);
		c_sync(coll[e]);
	}
	its_run(0);
}

/* What was sent so far has reached redistributor rd when this returns. */
static void fence_to(unsigned rd)
{
	c_sync(rd);
	its_run(0);
}

START_TEST(device_msi_reaches_its_collection)
{
	const unsigned coll[4] = { 0, 1, 1, 0 };
	struct gicd_embedded_stats before;

	boot_and_map(DEV, 2, 4, coll);
	before = host_stats();
	for (unsigned e = 0; e < 4; e++) {
		ck_assert_int_eq(sg_vm_signal_msi(fx.vm, 0, DEV, e), 0);
		fence_to(coll[e]);
	}
	ck_assert_uint_eq(host_stats().msi - before.msi, 4);
	ck_assert_uint_eq(take_once(0, NULL), EV_LPI(0));
	ck_assert_uint_eq(take_once(0, NULL), EV_LPI(3));
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(1));
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(2));
	expect_idle(0);
	expect_idle(1);
	/* An unmapped event is dropped by the ITS, not delivered anywhere. */
	ck_assert_int_eq(sg_vm_signal_msi(fx.vm, 0, DEV, 9), 0);
	fence_to(0);
	fence_to(1);
	expect_idle(0);
	expect_idle(1);
}
END_TEST

START_TEST(translater_write_from_a_vcpu)
{
	const unsigned coll[2] = { 1, 0 };

	boot_and_map(0, 1, 2, coll); /* DeviceID 0: a CPU's write */
	gits_write(0, GITS_TRANSLATER, 4, 0);
	gits_write(1, GITS_TRANSLATER, 4, 1);
	fence_to(0);
	fence_to(1);
	ck_assert_uint_eq(vstat(0, SG_STAT_MMIO_MSI), 1);
	ck_assert_uint_eq(vstat(1, SG_STAT_MMIO_MSI), 1);
	ck_assert_uint_eq(take_once(1, NULL), EV_LPI(0));
	ck_assert_uint_eq(take_once(0, NULL), EV_LPI(1));
	expect_idle(0);
	expect_idle(1);
}
END_TEST

START_TEST(msi_batch_each_delivered_once)
{
	enum { N = 300 }; /* more than one Batch */
	unsigned coll[N];
	uint32_t ev[N];
	bool seen[N] = { false };

	for (unsigned e = 0; e < N; e++) {
		coll[e] = e % NV;
		ev[e] = e;
	}
	boot_and_map(DEV, 8, N, coll); /* Size 8: 512 events, 4 KiB of ITT */
	ck_assert_int_eq(sg_vm_signal_msis(fx.vm, 0, DEV, ev, N), 0);
	fence_to(0);
	fence_to(1);
	ck_assert_uint_eq(vstat(0, SG_STAT_LPI_PENDING) + vstat(1, SG_STAT_LPI_PENDING), N);
	for (unsigned v = 0; v < NV; v++)
		for (unsigned k = 0; k < N / NV; k++) {
			uint32_t id = take_once(v, NULL);

			ck_assert_msg(id >= EV_LPI(0) && id < EV_LPI(N) && !seen[id - EV_LPI(0)] &&
					      coll[id - EV_LPI(0)] == v,
				      "vCPU %u took unexpected %u", v, id);
			seen[id - EV_LPI(0)] = true;
		}
	expect_idle(0);
	expect_idle(1);
	ck_assert_uint_eq(host_stats().call_timeouts, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("embedded-its");
	TCase *tc = tcase_create("its");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, device_msi_reaches_its_collection);
	tcase_add_test(tc, translater_write_from_a_vcpu);
	tcase_add_test(tc, msi_batch_each_delivered_once);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
