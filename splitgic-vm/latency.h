/* SPDX-License-Identifier: MIT */
/*
 * Delivery latency of device interrupts: the host time an interrupt was
 * raised (test device line, pulse or MSI, a CPU's GITS_TRANSLATER write)
 * to the ICC_IAR1_EL1 read that returned it.
 *
 * SPIs are matched by INTID exactly (one outstanding raise per INTID; a
 * raise before the previous one was acknowledged keeps the older time).
 * An MSI's LPI INTID is only known to the ITS, so LPIs are matched to the
 * oldest outstanding MSI raise; raises older than LAT_MSI_EXPIRY_NS (an MSI
 * the ITS dropped) are discarded.  The LPI figures are therefore an
 * approximation when MSIs are dropped or overtake each other.
 */
#ifndef SGVM_LATENCY_H
#define SGVM_LATENCY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LAT_NR_INTIDS	  1024u
#define LAT_MSI_FIFO	  4096u
#define LAT_MSI_EXPIRY_NS 100000000ll

struct lat_samples {
	uint32_t *ns; /* capped at UINT32_MAX */
	size_t n, cap;
	uint64_t dropped; /* samples beyond cap */
};

struct latency {
	_Atomic int64_t spi_raised[LAT_NR_INTIDS]; /* 0: none outstanding */
	pthread_mutex_t msi_lock;
	int64_t msi_raised[LAT_MSI_FIFO];
	unsigned msi_head, msi_count;
	uint64_t msi_expired, msi_overflow;
	struct lat_samples spi, lpi; /* appended by the vCPU thread only */
};

/* cap: samples kept per kind.  Returns 0 or -ENOMEM. */
int latency_init(struct latency *l, size_t cap);
void latency_fini(struct latency *l);

/* Any thread. */
void latency_raise_spi(struct latency *l, uint32_t intid, int64_t now_ns);
void latency_raise_msi(struct latency *l, int64_t now_ns);
/* The vCPU thread, at an ICC_IAR1_EL1 read that returned intid. */
void latency_ack(struct latency *l, uint32_t intid, int64_t now_ns);

/* Percentile p (0..100) of the samples in ns, sorting them in place; 0 if none. */
uint32_t lat_percentile(struct lat_samples *s, double p);

#endif
