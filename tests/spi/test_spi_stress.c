// SPDX-License-Identifier: MIT
/*
 * Randomized stress: device threads raise thousands of SPIs while four vCPU
 * threads take them (two with EOImode 0, two with EOImode 1).
 *
 * Each device owns a set of SPIs, some edge, some level, routed to one vCPU
 * or 1-of-N.  An edge is raised again only once the guest counted the last
 * one (possibly while it is still active), so "handled exactly once" is
 * well defined.  A level SPI is raised and held until a guest handler asks
 * the device to drop it; the handler waits for the drop before its EOI, so
 * every assertion must be handled at least once and never again after the
 * drop (a handler invocation in any other state fails the run).
 *
 * A second run adds a configuration thread that, through the vCPUs' traps
 * (its own vCPU's and the running ones'), re-routes edge SPIs, disables and
 * re-enables them and reads the pending and active state of all of them
 * while everything is in flight.
 *
 * SPI_STRESS_SEED=<n> replays a run's random choices (thread interleaving
 * is not reproducible); the seed is printed and in every failure message.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check_run.h"
#include "harness.h"
#include "spi_fixture.h"

#define NV	  4  /* vCPUs running guests */
#define CFG_VCPU  NV /* one more whose "guest" is the configuration thread */
#define NDEV	  3
#define PER_DEV	  8
#define FIRST_SPI 40u
#define NSPI	  (NDEV * PER_DEV)
#define RAISES	  10000u /* per device */

enum st { ST_IDLE, ST_RAISED, ST_DROP_REQ, ST_DROPPED };
static const char *const st_name[] = { "idle", "raised", "drop requested", "dropped" };

struct spi {
	uint32_t intid;
	bool edge;
	atomic_int st;
	atomic_uint raised;  /* edge: raises; level: assertions */
	atomic_uint handled; /* handler invocations */
};

static struct spi spis[NSPI];
static unsigned seed;
static atomic_bool config_stop;
static bool churn_all; /* also level SPIs, and priority changes */
static atomic_uint config_ops;

static struct spi *spi_of(uint32_t intid)
{
	return intid >= FIRST_SPI && intid < FIRST_SPI + NSPI ? &spis[intid - FIRST_SPI] : NULL;
}

static void setup(void)
{
	const char *env = getenv("SPI_STRESS_SEED");

	seed = env && env[0] ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL);
	printf("spi-stress seed %u\n", seed);
	fflush(stdout);
	fx_setup(NV + 1, 64);
	/* Never a 1-of-N target, never named by IROUTER: it only traps. */
	fx_set_igrpen1(CFG_VCPU, false);
}

static void teardown(void)
{
	fx_teardown();
}

/* ------------------------------------------------------ guest handlers */

static bool dropped(void *arg)
{
	return atomic_load(&((struct spi *)arg)->st) == ST_DROPPED;
}

static void handler(unsigned vcpu, uint32_t intid, void *arg)
{
	struct spi *s = spi_of(intid);
	int st;

	(void)arg;
	if (!s) {
		fx_fail("vCPU %u: unexpected INTID %u (seed %u)", vcpu, intid, seed);
		return;
	}
	atomic_fetch_add(&s->handled, 1);
	st = atomic_load(&s->st);
	if (st != ST_RAISED) {
		fx_fail("vCPU %u: %s SPI %u handled while %s (handled %u, raised %u; seed %u)",
			vcpu, s->edge ? "edge" : "level", intid, st_name[st],
			atomic_load(&s->handled), atomic_load(&s->raised), seed);
		return;
	}
	if (s->edge) {
		atomic_store(&s->st, ST_IDLE);
		fx_notify();
		return;
	}
	/* The device's register write that makes it drop the line; the
	 * handler goes on once the device did. */
	atomic_store(&s->st, ST_DROP_REQ);
	fx_notify();
	fx_guest_block(vcpu, dropped, s);
}

static void after_sync(unsigned vcpu, uint32_t intid, void *arg)
{
	struct spi *s = spi_of(intid);

	(void)vcpu;
	(void)arg;
	/* EOI done and the guest left: the level assertion is over. */
	if (s && !s->edge && atomic_load(&s->st) == ST_DROPPED) {
		atomic_store(&s->st, ST_IDLE);
		fx_notify();
	}
}

/* ------------------------------------------------------------ devices */

struct dev {
	unsigned idx;
	unsigned seed;
	unsigned raises;
	pthread_t thread;
};

static bool dev_has_work(void *arg)
{
	struct dev *d = arg;
	bool quota = d->raises < RAISES, busy = false;

	for (unsigned i = 0; i < PER_DEV; i++) {
		int st = atomic_load(&spis[d->idx * PER_DEV + i].st);

		if (st == ST_DROP_REQ || (quota && st == ST_IDLE))
			return true;
		busy |= st != ST_IDLE;
	}
	return !quota && !busy; /* finished */
}

/* What a failing run needs to be understood: each unfinished SPI as the
 * device sees it (helper threads may not read the GIC: this only prints). */
static void dump_stuck(const struct dev *d)
{
	for (unsigned i = 0; i < PER_DEV; i++) {
		const struct spi *s = &spis[d->idx * PER_DEV + i];
		int st = atomic_load(&s->st);

		if (st != ST_IDLE)
			fprintf(stderr, "stuck: %s SPI %u %s, raised %u handled %u (seed %u)\n",
				s->edge ? "edge" : "level", s->intid, st_name[st],
				atomic_load(&s->raised), atomic_load(&s->handled), seed);
	}
}

static void *device_thread(void *arg)
{
	struct dev *d = arg;
	struct spi *mine = &spis[d->idx * PER_DEV];

	for (;;) {
		unsigned pick = PER_DEV, idle = 0;
		bool busy = false;

		if (!fx_wait_quiet(dev_has_work, d)) {
			if (!fx_failures()) {
				dump_stuck(d);
				fx_fail("device %u: its SPIs were not handled (seed %u)", d->idx,
					seed);
			}
			return NULL;
		}
		for (unsigned i = 0; i < PER_DEV; i++) {
			struct spi *s = &mine[i];
			int st = atomic_load(&s->st);

			if (st == ST_DROP_REQ) {
				if (sg_vm_set_spi_level(fx_vm(), s->intid, false) != 0)
					fx_fail("device %u: line drop failed", d->idx);
				atomic_store(&s->st, ST_DROPPED);
				fx_notify();
				st = ST_DROPPED;
			}
			if (st == ST_IDLE && rand_r(&d->seed) % ++idle == 0)
				pick = i; /* uniform among the idle ones */
			busy |= st != ST_IDLE;
		}
		if (d->raises >= RAISES) {
			if (!busy)
				return NULL;
			continue;
		}
		if (pick < PER_DEV) {
			struct spi *s = &mine[pick];
			int rc;

			atomic_store(&s->st, ST_RAISED);
			atomic_fetch_add(&s->raised, 1);
			d->raises++;
			rc = s->edge ? sg_vm_signal_spi_edge(fx_vm(), s->intid)
				     : sg_vm_set_spi_level(fx_vm(), s->intid, true);
			if (rc != 0)
				fx_fail("device %u: raising %u failed", d->idx, s->intid);
		}
	}
}

/* ---------------------------------------------- configuration churn */

static uint64_t random_route(unsigned *rs)
{
	unsigned r = rand_r(rs) % (NV + 1);

	return r == NV ? FX_ROUTE_1OFN : fx_route(r);
}

static void *config_thread(void *arg)
{
	unsigned rs = seed * 7919u + 1;

	(void)arg;
	while (!atomic_load(&config_stop) && !fx_failures()) {
		uint32_t id = FIRST_SPI + (uint32_t)(rand_r(&rs) % NSPI);
		bool reads_only = !churn_all && !spi_of(id)->edge;
		/* Half of them trap on the configuration vCPU (in this
		 * thread), the others on a running vCPU (in its thread). */
		unsigned via = (unsigned)(rand_r(&rs) % (2 * NV));
		uint32_t bit = 1u << (id % 32), word = 4 * (id / 32);
		uint64_t val;

		if (via >= NV)
			via = CFG_VCPU;

		switch (reads_only ? 2 : rand_r(&rs) % (churn_all ? 4 : 3)) {
		case 0:
			val = random_route(&rs);
			fx_mmio(via, GICD_IROUTER + 8 * id, 8, true, &val);
			break;
		case 1:
			/* Disabled only briefly: the next write, same channel. */
			val = bit;
			fx_mmio(via, GICD_ICENABLER + word, 4, true, &val);
			val = bit;
			fx_mmio(via, GICD_ISENABLER + word, 4, true, &val);
			break;
		case 2:
			val = 0;
			fx_mmio(via, (rand_r(&rs) % 2 ? GICD_ISPENDR : GICD_ISACTIVER) + word, 4,
				false, &val);
			break;
		default:
			val = 0x80 + 8 * (rand_r(&rs) % 12);
			fx_mmio(via, GICD_IPRIORITYR + id, 1, true, &val);
			break;
		}
		atomic_fetch_add(&config_ops, 1);
	}
	return NULL;
}

/* ------------------------------------------------------------- the run */

static void stress(bool churn, bool all)
{
	struct fx_hooks h = { .handler = handler, .after_sync = after_sync };
	struct dev devs[NDEV];
	unsigned cs = seed;
	pthread_t cfg;

	churn_all = all;
	fx_set_hooks(&h);
	fx_set_eoimode1(2, true);
	fx_set_eoimode1(3, true);
	for (unsigned i = 0; i < NSPI; i++) {
		struct spi *s = &spis[i];

		s->intid = FIRST_SPI + i;
		s->edge = rand_r(&cs) % 2;
		fx_spi_config(0, s->intid, s->edge, (uint8_t)(0x80 + 8 * (rand_r(&cs) % 12)),
			      random_route(&cs));
		fx_enable(0, s->intid);
	}
	for (unsigned v = 0; v < NV; v++)
		fx_start(v);
	if (churn)
		ck_assert_int_eq(pthread_create(&cfg, NULL, config_thread, NULL), 0);
	for (unsigned d = 0; d < NDEV; d++) {
		devs[d] = (struct dev){ .idx = d, .seed = seed * 31u + d };
		ck_assert_int_eq(pthread_create(&devs[d].thread, NULL, device_thread, &devs[d]), 0);
	}
	for (unsigned d = 0; d < NDEV; d++)
		pthread_join(devs[d].thread, NULL);
	/* Report before joining the configuration thread: it may be waiting
	 * for a read that a lost message will never answer. */
	fx_check_failures();
	if (churn) {
		atomic_store(&config_stop, true);
		pthread_join(cfg, NULL);
	}
	fx_check_failures();
	fx_wait_all_done();
	fx_assert_idle(0, FIRST_SPI, NSPI);
	fx_stop_all();
	fx_check_failures();
	for (unsigned i = 0; i < NSPI; i++) {
		struct spi *s = &spis[i];
		unsigned r = atomic_load(&s->raised), n = atomic_load(&s->handled);

		ck_assert_msg(n == fx_handled_total(s->intid), "SPI %u: counts differ (seed %u)",
			      s->intid, seed);
		if (s->edge)
			ck_assert_msg(n == r, "edge SPI %u: raised %u, handled %u (seed %u)",
				      s->intid, r, n, seed);
		else
			ck_assert_msg(n >= r, "level SPI %u: asserted %u, handled %u (seed %u)",
				      s->intid, r, n, seed);
		ck_assert_msg(r > 0, "SPI %u never raised (seed %u)", s->intid, seed);
	}
	for (unsigned v = 0; v < NV; v++)
		ck_assert_msg(sg_vcpu_stat(fx_vcpu(v), SG_STAT_HOLD_TIMEOUTS) == 0,
			      "vCPU %u: a hold timed out (seed %u)", v, seed);
	if (churn)
		ck_assert_msg(atomic_load(&config_ops) > 0, "no configuration churn (seed %u)",
			      seed);
	printf("spi-stress seed %u: %u raises, %u configuration accesses\n", seed, NDEV * RAISES,
	       atomic_load(&config_ops));
}

START_TEST(test_stress)
{
	stress(false, false);
}
END_TEST

/* Configuration changes on the edge SPIs; the level ones are only read. */
START_TEST(test_stress_with_config_churn)
{
	stress(true, false);
}
END_TEST

/*
 * Configuration churn on every SPI, level ones included, and priority
 * changes: what test_level_dropped_after_reenable_while_active
 * (test_spi_trigger.c), test_priority_change_while_in_lr
 * (test_spi_pending.c) and priority_change_while_active (tests/agent,
 * test_lr.c: the LR of an active interrupt keeps the priority it was
 * acknowledged at) show one at a time.
 */
START_TEST(test_stress_with_config_churn_all)
{
	stress(true, true);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spi-stress");
	TCase *tc = tcase_create("stress");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stress);
	tcase_add_test(tc, test_stress_with_config_churn);
	tcase_add_test(tc, test_stress_with_config_churn_all);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
