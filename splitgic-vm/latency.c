// SPDX-License-Identifier: MIT
#include "latency.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gic_regs.h"

int latency_init(struct latency *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < LAT_NR_INTIDS; i++)
		atomic_init(&l->spi_raised[i], 0);
	pthread_mutex_init(&l->msi_lock, NULL);
	l->spi.ns = calloc(cap ? cap : 1, sizeof(uint32_t));
	l->lpi.ns = calloc(cap ? cap : 1, sizeof(uint32_t));
	if (!l->spi.ns || !l->lpi.ns) {
		latency_fini(l);
		return -ENOMEM;
	}
	l->spi.cap = l->lpi.cap = cap;
	return 0;
}

void latency_fini(struct latency *l)
{
	free(l->spi.ns);
	free(l->lpi.ns);
	l->spi.ns = l->lpi.ns = NULL;
	pthread_mutex_destroy(&l->msi_lock);
}

void latency_raise_spi(struct latency *l, uint32_t intid, int64_t now_ns)
{
	int64_t none = 0;

	if (intid < GIC_SPI_BASE || intid >= LAT_NR_INTIDS || now_ns <= 0)
		return;
	atomic_compare_exchange_strong(&l->spi_raised[intid], &none, now_ns);
}

void latency_raise_msi(struct latency *l, int64_t now_ns)
{
	pthread_mutex_lock(&l->msi_lock);
	if (l->msi_count == LAT_MSI_FIFO) {
		l->msi_overflow++;
	} else {
		l->msi_raised[(l->msi_head + l->msi_count) % LAT_MSI_FIFO] = now_ns;
		l->msi_count++;
	}
	pthread_mutex_unlock(&l->msi_lock);
}

static void add(struct lat_samples *s, int64_t d)
{
	if (d < 0)
		d = 0;
	if (s->n == s->cap) {
		s->dropped++;
		return;
	}
	s->ns[s->n++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

void latency_ack(struct latency *l, uint32_t intid, int64_t now_ns)
{
	if (gic_intid_is_spi(intid) && intid < LAT_NR_INTIDS) {
		int64_t t = atomic_exchange(&l->spi_raised[intid], 0);

		if (t)
			add(&l->spi, now_ns - t);
		return;
	}
	if (!gic_intid_is_lpi(intid))
		return;
	pthread_mutex_lock(&l->msi_lock);
	while (l->msi_count) {
		int64_t t = l->msi_raised[l->msi_head];

		l->msi_head = (l->msi_head + 1) % LAT_MSI_FIFO;
		l->msi_count--;
		if (now_ns - t <= LAT_MSI_EXPIRY_NS) {
			add(&l->lpi, now_ns - t);
			break;
		}
		l->msi_expired++;
	}
	pthread_mutex_unlock(&l->msi_lock);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t lat_percentile(struct lat_samples *s, double p)
{
	size_t i;

	if (!s->n)
		return 0;
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_u32);
	/* Nearest rank. */
	i = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (i == 0)
		i = 1;
	if (i > s->n)
		i = s->n;
	return s->ns[i - 1];
}
