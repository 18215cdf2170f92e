/* SPDX-License-Identifier: MIT */
/*
 * Timing helpers shared by the benchmarks: a monotonic clock in ns and the
 * median of a set of samples.
 */
#ifndef SPLITGIC_BENCH_UTIL_H
#define SPLITGIC_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts samples in place and returns the median. */
static inline double bench_median(double *samples, unsigned n)
{
	qsort(samples, n, sizeof(*samples), bench_cmp_double);
	return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

#endif
