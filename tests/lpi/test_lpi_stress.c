// SPDX-License-Identifier: MIT
/*
 * Exactly-once LPI stress, end to end through gicd-server: NDEV devices
 * (DeviceIDs 1..NDEV) with NEV events each, mapped by the ITS to LPIs in
 * NCOLL collections on NV vCPUs.  Device threads send MSIs (batched and
 * single), each event again only after its previous MSI was handled; vCPU
 * threads take and EOI them.  Meanwhile vCPU 0 also drives the ITS, as a
 * guest rebalancing interrupts: MOVI of single events and whole collections
 * moved with MAPC + MOVALL to the vCPU that has none, each followed by SYNC.
 *
 * Checked for every MSI: handled exactly once (never with no MSI
 * outstanding, never twice, never lost), and by a vCPU that its event's
 * collection targeted between the MSI and its handling (the target at send
 * time, or a move's destination while the MSI was in flight).  Counters:
 * every MSI made one LPI pending (plus one per pending move), none merged,
 * none dropped.
 *
 * Each event's state is one atomic word, OUTSTANDING | MOVING | allowed
 * vCPU mask | generation: a device claims an idle event (and fixes the mask
 * to the current target) with one CAS; a move first marks its events MOVING
 * and adds the destination to their masks, so no MSI can be claimed with a
 * mask that misses where the ITS sends it; every move step bumps the
 * generation, so a claim that raced with a whole move fails its CAS.
 *
 * vCPU 0's ITS commands assert (its_run) from its thread: a failure there
 * (a SYNC that never completes) ends the forked test with that message.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "lpi_fixture.h"

#define NV	 4u
#define NCOLL	 3u /* so one vCPU always has no collection: MOVALL's destination */
#define NDEV	 3u
#define NEV	 32u
#define NE	 (NDEV * NEV)
#define ROUNDS	 400u
#define MAX_OPS	 120u /* ITS rebalancing operations by vCPU 0 */
#define LIVENESS 60   /* seconds: only a lost interrupt or a hang reaches it */

#define ST_OUT	    1u
#define ST_MOV	    2u
#define ST_MASK(v)  (1u << (8 + (v)))
#define ST_GEN	    0xFFFF0000u
#define ST_GEN_INC  0x00010000u
#define EV_LPI(i)   LPI(i) /* event index i = dev * NEV + ev */
#define EV_DEV(i)   (1u + (i) / NEV)
#define EV_EVENT(i) ((i) % NEV)

struct ev_state {
	_Atomic uint32_t st;
	_Atomic unsigned cur; /* vCPU its collection targets */
	unsigned coll;	      /* vCPU 0's (the driver's) view */
	unsigned sent;	      /* device thread only */
	_Atomic unsigned handled;
};

static struct ev_state evs[NE];
static unsigned ctarget[NCOLL]; /* driver only */
static atomic_bool stop;
static atomic_uint ops_done;
static atomic_uint devices_done;
static unsigned seed;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;
static char failure[256];

static void stress_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Helper threads record the first failure; the test thread reports it. */
static void stress_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&lock);
	if (!failure[0]) {
		va_start(ap, fmt);
		vsnprintf(failure, sizeof(failure), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&lock);
	atomic_store(&stop, true);
}

static void notify(void)
{
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&progress);
	pthread_mutex_unlock(&lock);
}

static void wait_progress(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 5000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	pthread_cond_timedwait(&progress, &lock, &ts);
	pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------- devices */

static void *device(void *arg)
{
	unsigned d = (unsigned)(uintptr_t)arg, left = NEV * ROUNDS;
	unsigned r = seed ^ (d * 0x9E3779B9u);

	while (left && !atomic_load(&stop)) {
		uint32_t batch[NEV];
		unsigned n = 0;

		for (unsigned e = 0; e < NEV; e++) {
			struct ev_state *s = &evs[d * NEV + e];
			uint32_t st = atomic_load(&s->st);

			if (s->sent == ROUNDS || (st & (ST_OUT | ST_MOV)))
				continue;
			if (!atomic_compare_exchange_strong(&s->st, &st,
							    ST_OUT | ST_MASK(atomic_load(&s->cur)) |
								    (st & ST_GEN)))
				continue;
			s->sent++;
			left--;
			batch[n++] = e;
		}
		if (!n) {
			wait_progress();
			continue;
		}
		r = r * 1103515245u + 12345u;
		if ((r >> 16) & 1) {
			if (sg_vm_signal_msis(fx.vm, 0, 1 + d, batch, n) != 0)
				stress_fail("device %u: sending %u MSIs failed", 1 + d, n);
		} else {
			for (unsigned k = 0; k < n; k++)
				if (sg_vm_signal_msi(fx.vm, 0, 1 + d, batch[k]) != 0)
					stress_fail("device %u: sending event %u failed", 1 + d,
						    batch[k]);
		}
	}
	atomic_fetch_add(&devices_done, 1);
	return NULL;
}

/* --------------------------------------------------------------- vCPUs */

static void handle(unsigned v, uint32_t id)
{
	struct ev_state *s;
	uint32_t st;

	if (id < EV_LPI(0) || id >= EV_LPI(NE)) {
		stress_fail("vCPU %u: unexpected INTID %u", v, id);
		return;
	}
	s = &evs[id - EV_LPI(0)];
	st = atomic_load(&s->st);
	do {
		if (!(st & ST_OUT)) {
			stress_fail("vCPU %u: LPI %u handled with no MSI outstanding (handled %u "
				    "times)",
				    v, id, atomic_load(&s->handled));
			return;
		}
		if (!(st & ST_MASK(v))) {
			stress_fail("vCPU %u: LPI %u handled here, allowed mask 0x%x", v, id,
				    (st >> 8) & 0xFFu);
			return;
		}
	} while (!atomic_compare_exchange_weak(&s->st, &st, st & ~ST_OUT));
	atomic_fetch_add(&s->handled, 1);
}

/* The event indices whose collection is c (driver only). */
static unsigned events_of(unsigned c, unsigned *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NE; i++)
		if (evs[i].coll == c)
			out[n++] = i;
	return n;
}

static void mark_moving(unsigned i, unsigned to)
{
	uint32_t st = atomic_load(&evs[i].st);

	while (!atomic_compare_exchange_weak(&evs[i].st, &st,
					     (st | ST_MOV | ST_MASK(to)) + ST_GEN_INC))
		;
}

/* The move is complete (SYNC passed): new claims target `to`. */
static void moved(unsigned i, unsigned to)
{
	uint32_t st = atomic_load(&evs[i].st);

	atomic_store(&evs[i].cur, to);
	while (!atomic_compare_exchange_weak(&evs[i].st, &st, (st & ~ST_MOV) + ST_GEN_INC))
		;
}

/* One rebalancing operation by vCPU 0, outside its guest. */
static void drive(unsigned *r)
{
	unsigned idx[NE], n;

	*r = *r * 1103515245u + 12345u;
	if ((*r >> 16) % 4) {
		/* MOVI of one event to another collection. */
		unsigned i = (*r >> 4) % NE,
			 c = (evs[i].coll + 1 + (*r >> 20) % (NCOLL - 1)) % NCOLL;

		mark_moving(i, ctarget[c]);
		c_movi(EV_DEV(i), EV_EVENT(i), c);
		c_sync(ctarget[c]);
		its_run(0);
		evs[i].coll = c;
		moved(i, ctarget[c]);
	} else {
		/* Collection c moves to the vCPU without one, with MOVALL. */
		unsigned c = (*r >> 4) % NCOLL, from = ctarget[c], to = 0;
		bool used[NV] = { false };

		for (unsigned k = 0; k < NCOLL; k++)
			used[ctarget[k]] = true;
		while (used[to])
			to++;
		n = events_of(c, idx);
		for (unsigned k = 0; k < n; k++)
			mark_moving(idx[k], to);
		c_mapc(c, to, true);
		c_movall(from, to);
		c_sync(to);
		its_run(0);
		ctarget[c] = to;
		for (unsigned k = 0; k < n; k++)
			moved(idx[k], to);
	}
	atomic_fetch_add(&ops_done, 1);
}

static void *vcpu(void *arg)
{
	unsigned v = (unsigned)(uintptr_t)arg, iter = 0, r = seed;
	struct sg_vcpu *vv = vc(v);
	struct sg_cpuif *c = sg_vcpu_cpuif(vv);

	while (!atomic_load(&stop)) {
		unsigned handled = 0;

		if (v == 0 && ++iter % 8 == 0 && atomic_load(&ops_done) < MAX_OPS)
			drive(&r);
		sg_vcpu_wait(vv, 2000000);
		sg_vcpu_flush(vv);
		while (sg_cpuif_virq(c)) {
			uint32_t id = sg_cpuif_iar(c, 1);

			if (id == GIC_INTID_SPURIOUS)
				break;
			handle(v, id);
			sg_cpuif_eoir(c, 1, id);
			handled++;
		}
		/* Now and then the guest runs on after its EOIs until something
		 * kicks it out: the next MSI for an event it just handled then
		 * finds the LPI's entry still in an LR. */
		r = r * 1103515245u + 12345u;
		if (handled && (r >> 16) % 4 == 0)
			sg_vcpu_wait(vv, 200000);
		sg_vcpu_sync(vv);
		if (handled)
			notify();
	}
	return NULL;
}

/* ---------------------------------------------------------------- test */

static void setup(void)
{
	const char *s = getenv("LPI_STRESS_SEED");

	fx_setup(NV, 0, true);
	seed = s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	fprintf(stderr, "lpi-stress: seed %u (LPI_STRESS_SEED)\n", seed);
	memset(evs, 0, sizeof(evs));
	memset(failure, 0, sizeof(failure));
	atomic_store(&stop, false);
	atomic_store(&ops_done, 0);
	atomic_store(&devices_done, 0);
}

static bool quiescent(void)
{
	for (unsigned i = 0; i < NE; i++)
		if (atomic_load(&evs[i].st) & ST_OUT)
			return false;
	return true;
}

START_TEST(every_msi_handled_exactly_once)
{
	pthread_t dev[NDEV], cpu[NV];
	uint64_t pending = 0, moved_n = 0, merged = 0, dropped = 0;
	time_t deadline;

	/* Boot and map, as the guest's driver does. */
	its_setup(0);
	for (unsigned i = 0; i < NV; i++)
		rd_setup(i, i);
	for (unsigned c = 0; c < NCOLL; c++) {
		ctarget[c] = c;
		c_mapc(c, c, true);
		c_invall(c);
		c_sync(c);
	}
	its_run(0);
	for (unsigned d = 0; d < NDEV; d++) {
		c_mapd(1 + d, 4, ITT_GPA(1 + d), true); /* 32 events */
		for (unsigned e = 0; e < NEV; e++) {
			unsigned i = d * NEV + e, c = (d + e) % NCOLL;

			evs[i].coll = c;
			atomic_store(&evs[i].cur, ctarget[c]);
			prop_set(EV_LPI(i), PRIO_DEFAULT, true);
			c_mapti(1 + d, e, EV_LPI(i), c);
		}
	}
	for (unsigned c = 0; c < NCOLL; c++) {
		c_invall(c);
		c_sync(c);
	}
	its_run(0);

	for (unsigned v = 0; v < NV; v++)
		ck_assert_int_eq(pthread_create(&cpu[v], NULL, vcpu, (void *)(uintptr_t)v), 0);
	for (unsigned d = 0; d < NDEV; d++)
		ck_assert_int_eq(pthread_create(&dev[d], NULL, device, (void *)(uintptr_t)d), 0);
	/* Liveness: a lost LPI keeps its event outstanding forever. */
	deadline = time(NULL) + LIVENESS;
	while (!atomic_load(&stop) && (atomic_load(&devices_done) < NDEV || !quiescent()) &&
	       time(NULL) < deadline)
		wait_progress();
	atomic_store(&stop, true);
	for (unsigned d = 0; d < NDEV; d++)
		ck_assert_int_eq(pthread_join(dev[d], NULL), 0);
	for (unsigned v = 0; v < NV; v++)
		ck_assert_int_eq(pthread_join(cpu[v], NULL), 0);

	ck_assert_msg(!failure[0], "%s (seed %u)", failure, seed);
	for (unsigned i = 0; i < NE; i++)
		ck_assert_msg(atomic_load(&evs[i].handled) == ROUNDS,
			      "LPI %u: %u MSIs, handled %u times (seed %u)", EV_LPI(i), ROUNDS,
			      atomic_load(&evs[i].handled), seed);
	for (unsigned v = 0; v < NV; v++) {
		pending += vstat(v, SG_STAT_LPI_PENDING);
		moved_n += vstat(v, SG_STAT_LPI_MOVED);
		merged += vstat(v, SG_STAT_LPI_MERGED);
		dropped += vstat(v, SG_STAT_LPI_DROPPED);
		ck_assert_uint_eq(vstat(v, SG_STAT_HOLD_TIMEOUTS), 0);
	}
	ck_assert_uint_eq(pending, (uint64_t)NE * ROUNDS + moved_n);
	ck_assert_uint_eq(merged, 0);
	ck_assert_uint_eq(dropped, 0);
	ck_assert_uint_eq(sg_vm_stat(fx.vm, SG_VM_DEVICE_MSIS), (uint64_t)NE * ROUNDS);
	ck_assert_uint_gt(atomic_load(&ops_done), 0);
	fprintf(stderr, "lpi-stress: %u MSIs, %u ITS moves, %llu pending LPIs moved\n", NE * ROUNDS,
		atomic_load(&ops_done), (unsigned long long)moved_n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lpi-stress");
	TCase *tc = tcase_create("stress");

	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, every_msi_handled_exactly_once);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
