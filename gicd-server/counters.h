/* SPDX-License-Identifier: MIT */
/*
 * Every counter the daemon keeps, in one enumeration (gicctl status and
 * gicctl stats, docs/gicctl.md): the control socket, the admin connections,
 * each channel (with its rejects per reason), the drain, the durable state,
 * the core, the distributor, each ITS and guest RAM — as (metric name,
 * labels, value, help) tuples named the Prometheus way, e.g.
 * splitgic_channel_rx_total{channel="mmio0"}.
 *
 * Samples come family by family (all channels' rx, then all channels'
 * applied, ...), so a Prometheus exposition can print each family's HELP and
 * TYPE once.  The per-VM families are left out while no VM is attached.
 */
#ifndef GICD_COUNTERS_H
#define GICD_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

struct server;

enum counter_type {
	COUNTER_COUNTER, /* only grows (name ends in _total) */
	COUNTER_GAUGE,	 /* a current value */
};

#define COUNTER_MAX_LABELS 2u

struct counter_label {
	const char *name;
	char value[72]; /* a VM name has at most 64 characters */
};

struct counter {
	const char *name; /* e.g. splitgic_channel_rx_total */
	const char *help;
	enum counter_type type;
	bool per_channel; /* labelled by channel: gicctl status shows these in its channel table */
	unsigned nr_labels;
	struct counter_label label[COUNTER_MAX_LABELS];
	uint64_t value;
};

/* Calls fn for every counter, family by family. */
void counters_foreach(const struct server *srv, void (*fn)(const struct counter *c, void *arg),
		      void *arg);

/* "name{l1="v1",l2="v2"}" (or just the name) into buf; snprintf's result. */
int counter_key(const struct counter *c, char *buf, size_t len);

/*
 * For the collectors of counters_foreach(): array v holds n elements of
 * size bytes, room for *cap; v itself while n < *cap, else v grown (to twice
 * *cap, or first elements) and *cap updated; NULL when out of memory (v is
 * then untouched and still the caller's).
 */
void *counters_grow(void *v, size_t *cap, size_t n, size_t size, size_t first);

/* The latency histograms (zero while no VM is attached), in enum hist_id
 * order; h is valid until the loop returns to libevent. */
void histograms_foreach(const struct server *srv,
			void (*fn)(const struct histogram_info *info, const struct histogram *h,
				   void *arg),
			void *arg);

#endif
