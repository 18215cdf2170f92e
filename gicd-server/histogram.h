/* SPDX-License-Identifier: MIT */
/*
 * Latency histograms for gicctl stats (docs/gicctl.md): fixed log2 buckets
 * in nanoseconds, a count and a sum.  Recording is a clock read and a few
 * increments: no allocation, no locks, nothing that can fail, so it may sit
 * on the daemon's hot paths.  The core and the ITS record only through a
 * pointer the daemon sets (NULL elsewhere: embedded mode, unit tests,
 * fuzzers), so their outputs never depend on a clock.
 *
 * Bucket i (0 <= i < HIST_NR_FINITE) counts values <= histogram_bound_ns(i)
 * = 2^(HIST_MIN_SHIFT + i) ns and above the previous bound; the last bucket
 * (HIST_NR_FINITE) counts everything above 2^HIST_MAX_SHIFT ns.  The
 * buckets are not cumulative here; gicctl --prometheus makes them so.
 */
#ifndef GICD_HISTOGRAM_H
#define GICD_HISTOGRAM_H

#include <stdint.h>
#include <time.h>

#define HIST_MIN_SHIFT	8u  /* first bound: 256 ns */
#define HIST_MAX_SHIFT	30u /* last finite bound: 2^30 ns, about 1.07 s */
#define HIST_NR_FINITE	(HIST_MAX_SHIFT - HIST_MIN_SHIFT + 1u)
#define HIST_NR_BUCKETS (HIST_NR_FINITE + 1u) /* + the one above every bound */

struct histogram {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t bucket[HIST_NR_BUCKETS];
};

/* What the daemon measures (one struct histogram each in struct session). */
enum hist_id {
	HIST_MMIO_WAIT,	     /* waited Mmio: taken off its channel -> reply released */
	HIST_POSTED_WRITE,   /* posted Mmio write: applied to the core */
	HIST_SPI_DELIVER,    /* SpiLevel received -> its Deliver queued */
	HIST_MSI_DELIVER,    /* Msi received -> its Deliver queued */
	HIST_ITS_CMD,	     /* one ITS command executed */
	HIST_QUERY_RTT,	     /* Query sent -> its QueryReply applied */
	HIST_JOURNAL_WRITE,  /* a commit: delta encoded and appended */
	HIST_SNAPSHOT_WRITE, /* a full snapshot encoded and written */
	HIST_NR
};

/* CLOCK_MONOTONIC in ns (never 0 in practice: 0 means "not taken"). */
static inline uint64_t histogram_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The bucket a value falls in. */
static inline unsigned histogram_bucket(uint64_t ns)
{
	unsigned up; /* ceil(log2(ns)) */

	if (ns <= (1ull << HIST_MIN_SHIFT))
		return 0;
	up = 64u - (unsigned)__builtin_clzll(ns - 1);
	return up > HIST_MAX_SHIFT ? HIST_NR_FINITE : up - HIST_MIN_SHIFT;
}

static inline void histogram_add(struct histogram *h, uint64_t ns)
{
	h->count++;
	h->sum_ns += ns;
	h->bucket[histogram_bucket(ns)]++;
}

/* Records the time since t0 (from histogram_now_ns()); h may be NULL. */
static inline void histogram_since(struct histogram *h, uint64_t t0)
{
	if (h && t0) {
		uint64_t now = histogram_now_ns();

		histogram_add(h, now > t0 ? now - t0 : 0);
	}
}

/* Upper bound of finite bucket i, in ns. */
static inline uint64_t histogram_bound_ns(unsigned i)
{
	return 1ull << (HIST_MIN_SHIFT + i);
}

/* How the daemon names a histogram (gicctl stats, Prometheus). */
struct histogram_info {
	const char *name;	 /* metric name, e.g. splitgic_mmio_wait_seconds */
	const char *label;	 /* label name, or NULL */
	const char *label_value; /* its value */
	const char *help;
};

extern const struct histogram_info histogram_info[HIST_NR];

#endif
