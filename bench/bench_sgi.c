// SPDX-License-Identifier: MIT
/*
 * SGI round trip between two vCPU threads.  Each thread runs a tiny guest
 * loop on its vCPU interface model: flush, take the interrupt (IAR, EOIR),
 * sync, and answer with an SGI to the other vCPU (the trapped ICC_SGI1R
 * write); with nothing pending it blocks in sg_vcpu_wait().  One round trip
 * is vCPU 0 -> vCPU 1 -> vCPU 0.
 *
 * Baseline, measured in the same run: a ping-pong between two threads over a
 * mutex and condition variable (two wakeups per round trip, as here).
 *
 * Usage: bench-agent-sgi [samples [round-trips-per-sample]]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "gic_regs.h"
#include "splitgic/agent.h"

static unsigned samples = 51, rounds = 2000;

/* ------------------------------------------------------------ baseline */

static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static unsigned pp_turn; /* whose turn: 0 or 1 */
static bool pp_stop;

static void *pong(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pp_lock);
	for (;;) {
		while (pp_turn != 1 && !pp_stop)
			pthread_cond_wait(&pp_cond, &pp_lock);
		if (pp_stop)
			break;
		pp_turn = 0;
		pthread_cond_broadcast(&pp_cond);
	}
	pthread_mutex_unlock(&pp_lock);
	return NULL;
}

static double condvar_round_trip_ns(void)
{
	double *s = calloc(samples, sizeof(*s));
	pthread_t t;
	double med;

	pthread_create(&t, NULL, pong, NULL);
	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();

		pthread_mutex_lock(&pp_lock);
		for (unsigned r = 0; r < rounds; r++) {
			pp_turn = 1;
			pthread_cond_broadcast(&pp_cond);
			while (pp_turn != 0)
				pthread_cond_wait(&pp_cond, &pp_lock);
		}
		pthread_mutex_unlock(&pp_lock);
		s[i] = (double)(bench_now_ns() - t0) / rounds;
	}
	pthread_mutex_lock(&pp_lock);
	pp_stop = true;
	pthread_cond_broadcast(&pp_cond);
	pthread_mutex_unlock(&pp_lock);
	pthread_join(t, NULL);
	med = bench_median(s, samples);
	free(s);
	return med;
}

/* ------------------------------------------------------------ SGIs */

static struct sg_vm *vm;
static atomic_bool stop;
static atomic_uint arrivals; /* SGIs taken by vCPU 0 */

static uint64_t sgi_to(unsigned target)
{
	return (1ull << ICC_SGIR_INTID_SHIFT) | (1ull << target); /* SGI 1, Aff0 = target */
}

/* Takes at most one interrupt; returns true if it did. */
static bool guest_step(struct sg_vcpu *v)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(v);
	uint32_t id;

	sg_vcpu_flush(v);
	id = sg_cpuif_iar(c, 1);
	if (id != GIC_INTID_SPURIOUS)
		sg_cpuif_eoir(c, 1, id);
	sg_vcpu_sync(v);
	return id != GIC_INTID_SPURIOUS;
}

static void *vcpu1_loop(void *arg)
{
	struct sg_vcpu *v = sg_vm_vcpu(vm, 1);

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (guest_step(v))
			sg_vcpu_write_sgi(v, SYS_ICC_SGI1R_EL1, sgi_to(0));
		else
			sg_vcpu_wait(v, -1);
	}
	return NULL;
}

static void guest_enable(struct sg_vcpu *v)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(v);

	sg_cpuif_set_pmr(c, 0xFF);
	sg_cpuif_set_igrpen(c, 1, true);
}

static double sgi_round_trip_ns(void)
{
	uint64_t mpidr[2] = { 0, 1 };
	struct sg_vm_config cfg = { .nr_vcpus = 2, .mpidr = mpidr, .lr_count = 4, .nr_spis = 64 };
	struct sg_vcpu *v0;
	double *s = calloc(samples, sizeof(*s));
	pthread_t t;
	double med;

	sg_addr_map_default(&cfg.map, 0);
	if (sg_vm_create(&cfg, &vm) != 0)
		exit(1);
	v0 = sg_vm_vcpu(vm, 0);
	guest_enable(v0);
	guest_enable(sg_vm_vcpu(vm, 1));
	pthread_create(&t, NULL, vcpu1_loop, NULL);
	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();

		for (unsigned r = 0; r < rounds; r++) {
			sg_vcpu_write_sgi(v0, SYS_ICC_SGI1R_EL1, sgi_to(1));
			while (!guest_step(v0))
				sg_vcpu_wait(v0, -1);
			atomic_fetch_add(&arrivals, 1);
		}
		s[i] = (double)(bench_now_ns() - t0) / rounds;
	}
	atomic_store(&stop, true);
	sg_vcpu_kick(sg_vm_vcpu(vm, 1));
	pthread_join(t, NULL);
	if (atomic_load(&arrivals) != samples * rounds) {
		fprintf(stderr, "lost SGIs: %u of %u\n", atomic_load(&arrivals), samples * rounds);
		exit(1);
	}
	sg_vm_destroy(vm);
	med = bench_median(s, samples);
	free(s);
	return med;
}

int main(int argc, char **argv)
{
	double base, sgi;

	if (argc > 1)
		samples = (unsigned)strtoul(argv[1], NULL, 0) | 1;
	if (argc > 2)
		rounds = (unsigned)strtoul(argv[2], NULL, 0);
	if (!samples || !rounds)
		return 2;
	base = condvar_round_trip_ns();
	sgi = sgi_round_trip_ns();
	printf("round trips between two threads, median of %u samples x %u round trips\n", samples,
	       rounds);
	printf("baseline: mutex+condvar ping-pong %10.1f ns\n", base);
	printf("SGI vCPU0 -> vCPU1 -> vCPU0       %10.1f ns  (x%.2f baseline)\n", sgi, sgi / base);
	return 0;
}
