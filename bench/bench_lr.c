// SPDX-License-Identifier: MIT
/*
 * Cost of one sg_vcpu_flush() + sg_vcpu_sync() pair with 0, 1, 4 and 16
 * interrupts queued, for 4 and 16 List registers.  The guest does nothing
 * between the two, so the queued (edge, pending) SGIs stay queued and every
 * iteration does the same work; with more interrupts than LRs flush sorts.
 *
 * Baseline, measured in the same run: one uncontended pthread mutex
 * lock/unlock pair, the least any flush or sync costs.
 *
 * Usage: bench-agent-lr [samples [iterations-per-sample]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "gic_regs.h"
#include "splitgic/agent.h"

static unsigned samples = 201, iters = 2000;

static double baseline_ns(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	double *s = calloc(samples, sizeof(*s));
	double med;

	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();

		for (unsigned k = 0; k < iters; k++) {
			pthread_mutex_lock(&m);
			__asm__ volatile("" ::: "memory");
			pthread_mutex_unlock(&m);
		}
		s[i] = (double)(bench_now_ns() - t0) / iters;
	}
	med = bench_median(s, samples);
	free(s);
	return med;
}

static struct sg_vm *make_vm(unsigned lrs)
{
	uint64_t mpidr = 0;
	struct sg_vm_config cfg = {
		.nr_vcpus = 1, .mpidr = &mpidr, .lr_count = lrs, .nr_spis = 64
	};
	struct sg_vm *vm;

	sg_addr_map_default(&cfg.map, 0);
	if (sg_vm_create(&cfg, &vm) != 0) {
		fprintf(stderr, "sg_vm_create failed\n");
		exit(1);
	}
	return vm;
}

static double flush_sync_ns(unsigned lrs, unsigned queued)
{
	struct sg_vm *vm = make_vm(lrs);
	struct sg_vcpu *v = sg_vm_vcpu(vm, 0);
	double *s = calloc(samples, sizeof(*s));
	double med;

	/* SGIs 0..queued-1 pending on vCPU 0 (Aff0 0), distinct priorities. */
	for (unsigned i = 0; i < queued; i++) {
		uint64_t prio = (uint64_t)(0xF0 - 8 * i), addr;

		addr = sg_vm_shape(vm)->map.gicr_base + GICR_SGI_BASE + GICR_IPRIORITYR0 + i;
		sg_vcpu_mmio(v, addr, 1, true, &prio);
		sg_vcpu_write_sgi(v, SYS_ICC_SGI1R_EL1, ((uint64_t)i << ICC_SGIR_INTID_SHIFT) | 1);
	}
	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();

		for (unsigned k = 0; k < iters; k++) {
			sg_vcpu_flush(v);
			sg_vcpu_sync(v);
		}
		s[i] = (double)(bench_now_ns() - t0) / iters;
	}
	med = bench_median(s, samples);
	free(s);
	sg_vm_destroy(vm);
	return med;
}

int main(int argc, char **argv)
{
	static const unsigned lr_counts[] = { 4, 16 };
	static const unsigned queued[] = { 0, 1, 4, 16 };
	double base;

	if (argc > 1)
		samples = (unsigned)strtoul(argv[1], NULL, 0) | 1;
	if (argc > 2)
		iters = (unsigned)strtoul(argv[2], NULL, 0);
	if (!samples || !iters)
		return 2;
	base = baseline_ns();
	printf("flush+sync, median of %u samples x %u iterations\n", samples, iters);
	printf("baseline: mutex lock+unlock %.1f ns\n", base);
	printf("%4s %7s %12s %10s\n", "LRs", "queued", "ns", "x baseline");
	for (unsigned l = 0; l < 2; l++)
		for (unsigned q = 0; q < 4; q++) {
			double ns = flush_sync_ns(lr_counts[l], queued[q]);

			printf("%4u %7u %12.1f %10.1f\n", lr_counts[l], queued[q], ns, ns / base);
		}
	return 0;
}
