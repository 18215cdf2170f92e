// SPDX-License-Identifier: MIT
/*
 * vCPU threads running a small guest loop (flush, take interrupts on the
 * vCPU interface model, sync, handle the "trap") send each other SGIs while
 * others flush and sync, and read each other's redistributors (which makes
 * the reader wait for the target to leave the guest).  Every SGI must be
 * handled exactly once.  Run under ThreadSanitizer in CI.
 *
 * No SGI is coalesced by construction: a sender has at most one SGI in
 * flight per target (INTID = sender index) and sends the next only once the
 * target's guest acknowledged the last one, so the architecture's pending
 * bit never has to hold two.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent_test.h"
#include "check_run.h"

#define NV	 4
#define PER_PAIR 400u

enum send_mode { SEND_SYSREG, SEND_GICR_ISPENDR };

static struct sg_vm *vm;
static enum send_mode mode;
static atomic_uint outstanding[NV][NV]; /* [sender][target] */
static atomic_uint sent[NV][NV], handled[NV][NV];
static atomic_uint total_handled, duplicates, strays;
static atomic_bool done;

/* Check may run unforked (cross builds): no ck_assert off the main thread. */
static atomic_uint thread_errors;

static void send(struct sg_vcpu *v, unsigned me, unsigned to)
{
	if (mode == SEND_SYSREG) {
		if (!sg_vcpu_write_sgi(v, SYS_ICC_SGI1R_EL1, sgi1r_to(to, me)))
			atomic_fetch_add(&thread_errors, 1);
	} else {
		uint64_t bit = 1u << me;

		if (sg_vcpu_mmio(v, gicr_addr(vm, to, GICR_SGI_BASE + GICR_ISPENDR0), 4, true,
				 &bit) != SG_MMIO_DONE)
			atomic_fetch_add(&thread_errors, 1);
	}
}

static void finish(void)
{
	atomic_store(&done, true);
	for (unsigned i = 0; i < NV; i++)
		sg_vcpu_kick(sg_vm_vcpu(vm, i));
}

static void *vcpu_thread(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg, loops = 0;
	struct sg_vcpu *v = sg_vm_vcpu(vm, me);
	struct sg_cpuif *c = sg_vcpu_cpuif(v);

	guest_enable(c);
	while (!atomic_load(&done)) {
		bool progress = false;
		uint32_t id;

		sg_vcpu_flush(v);
		/* The guest: take everything, EOI it. */
		while ((id = sg_cpuif_iar(c, 1)) != GIC_INTID_SPURIOUS) {
			if (id >= NV || id == me) {
				atomic_fetch_add(&strays, 1);
			} else {
				if (!atomic_exchange(&outstanding[id][me], 0))
					atomic_fetch_add(&duplicates, 1);
				atomic_fetch_add(&handled[id][me], 1);
				/* Tell the sender it may send again. */
				sg_vcpu_kick(sg_vm_vcpu(vm, id));
				if (atomic_fetch_add(&total_handled, 1) + 1 ==
				    NV * (NV - 1) * PER_PAIR)
					finish();
			}
			sg_cpuif_eoir(c, 1, id);
		}
		sg_vcpu_sync(v);

		/* The exit: the guest wrote ICC_SGI1R (or a GICR) for each target
		 * it may send to. */
		for (unsigned t = 0; t < NV; t++) {
			if (t == me || atomic_load(&sent[me][t]) == PER_PAIR ||
			    atomic_load(&outstanding[me][t]))
				continue;
			atomic_store(&outstanding[me][t], 1);
			atomic_fetch_add(&sent[me][t], 1);
			send(v, me, t);
			progress = true;
		}
		/* Now and then, look at a neighbour's redistributor. */
		if (++loops % 8 == 0) {
			uint64_t val;
			unsigned t = (me + 1 + loops / 8 % (NV - 1)) % NV;
			uint32_t reg = loops & 8 ? GICR_ISPENDR0 : GICR_ISACTIVER0;

			if (sg_vcpu_mmio(v, gicr_addr(vm, t, GICR_SGI_BASE + reg), 4, false,
					 &val) != SG_MMIO_DONE ||
			    (val & ~((1u << NV) - 1)))
				atomic_fetch_add(&thread_errors, 1);
		}
		if (!progress && !atomic_load(&done))
			sg_vcpu_wait(v, -1);
	}
	return NULL;
}

static void run(enum send_mode m)
{
	pthread_t th[NV];
	uint64_t received = 0, sgi_sent = 0;

	mode = m;
	vm = test_vm(NV, 2, 0);
	for (unsigned i = 0; i < NV; i++)
		for (unsigned j = 0; j < NV; j++) {
			atomic_store(&outstanding[i][j], 0);
			atomic_store(&sent[i][j], 0);
			atomic_store(&handled[i][j], 0);
		}
	atomic_store(&total_handled, 0);
	atomic_store(&duplicates, 0);
	atomic_store(&strays, 0);
	atomic_store(&thread_errors, 0);
	atomic_store(&done, false);

	for (unsigned i = 0; i < NV; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, vcpu_thread, (void *)(uintptr_t)i),
				 0);
	for (unsigned i = 0; i < NV; i++)
		pthread_join(th[i], NULL);

	unsigned dup = atomic_load(&duplicates), stray = atomic_load(&strays);
	unsigned errors = atomic_load(&thread_errors);

	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(dup, 0);
	ck_assert_uint_eq(stray, 0);
	for (unsigned i = 0; i < NV; i++)
		for (unsigned j = 0; j < NV; j++) {
			unsigned want = i == j ? 0 : PER_PAIR;
			unsigned s = atomic_load(&sent[i][j]), h = atomic_load(&handled[i][j]);

			ck_assert_uint_eq(s, want);
			ck_assert_uint_eq(h, want);
		}
	for (unsigned i = 0; i < NV; i++) {
		struct sg_vcpu *v = sg_vm_vcpu(vm, i);

		received += sg_vcpu_stat(v, SG_STAT_SGI_RECEIVED);
		sgi_sent += sg_vcpu_stat(v, SG_STAT_SGI_SENT);
		/* Nothing left behind. */
		ck_assert_uint_eq(sgi_read(vm, i, GICR_ISPENDR0), 0);
		ck_assert_uint_eq(sgi_read(vm, i, GICR_ISACTIVER0), 0);
	}
	/* How much the wait-for-sync path was exercised (not asserted: timing). */
	for (unsigned i = 0; i < NV; i++) {
		struct sg_vcpu *v = sg_vm_vcpu(vm, i);

		printf("vCPU %u: %llu flushes, %llu holds, %llu hold timeouts\n", i,
		       (unsigned long long)sg_vcpu_stat(v, SG_STAT_FLUSHES),
		       (unsigned long long)sg_vcpu_stat(v, SG_STAT_HOLD_WAITS),
		       (unsigned long long)sg_vcpu_stat(v, SG_STAT_HOLD_TIMEOUTS));
	}
	if (m == SEND_SYSREG) {
		ck_assert_uint_eq(received, NV * (NV - 1) * PER_PAIR);
		ck_assert_uint_eq(sgi_sent, NV * (NV - 1) * PER_PAIR);
	}
	sg_vm_destroy(vm);
}

START_TEST(sgi_exactly_once_sysreg)
{
	run(SEND_SYSREG);
}
END_TEST

START_TEST(sgi_exactly_once_gicr)
{
	run(SEND_GICR_ISPENDR);
}
END_TEST

static Suite *threads_suite(void)
{
	Suite *s = suite_create("agent-threads");
	TCase *tc = tcase_create("threads");

	tcase_add_test(tc, sgi_exactly_once_sysreg);
	tcase_add_test(tc, sgi_exactly_once_gicr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(threads_suite());
}
