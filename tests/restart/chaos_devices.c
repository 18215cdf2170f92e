// SPDX-License-Identifier: MIT
/*
 * The chaos workload's devices: a thread raising edge SPIs (a pulse) and
 * level SPIs (held until the guest handler drops them), and a thread
 * sending MSIs, single and batched, to the two ITS devices.
 */
#include "chaos_internal.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* ------------------------------------------------------------ devices */

static bool spi_work(struct chaos *c, void *arg)
{
	(void)arg;
	if (atomic_load(&c->stop_gen))
		return true;
	for (unsigned i = 0; i < T_N; i++)
		if (atomic_load(&c->spis[i].st) == ST_IDLE)
			return true;
	return false;
}

void *chaos_spi_device(void *arg)
{
	struct chaos *c = arg;
	unsigned rs = c->cfg.seed * 31u + 7;

	while (!atomic_load(&c->stop_gen)) {
		unsigned pick_i = T_N, idle = 0;
		struct spi_state *s;
		int rc;

		if (!chaos_wait_for(c, spi_work, NULL)) {
			chaos_fail(
				c,
				"SPI device: no SPI became idle for %u ms: an interrupt was lost",
				c->liveness_ms);
			break;
		}
		for (unsigned i = 0; i < T_N; i++)
			if (atomic_load(&c->spis[i].st) == ST_IDLE && rnd(&rs) % ++idle == 0)
				pick_i = i; /* uniform among the idle ones */
		if (pick_i == T_N)
			continue;
		s = &c->spis[pick_i];
		atomic_store(&s->st, ST_RAISED);
		atomic_fetch_add(&s->raised, 1);
		rc = s->edge ? sg_vm_signal_spi_edge(c->vm, s->intid)
			     : sg_vm_set_spi_level(c->vm, s->intid, true);
		if (rc != 0)
			chaos_fail(c, "SPI device: raising SPI %u failed (%d)", s->intid, rc);
	}
	return NULL;
}

static bool msi_work(struct chaos *c, void *arg)
{
	(void)arg;
	if (atomic_load(&c->stop_gen))
		return true;
	for (unsigned i = 0; i < NE; i++)
		if (!atomic_load(&c->evs[i].out))
			return true;
	return false;
}

void *chaos_msi_device(void *arg)
{
	struct chaos *c = arg;
	unsigned rs = c->cfg.seed * 131u + 3;

	while (!atomic_load(&c->stop_gen)) {
		unsigned d = rnd(&rs) % NDEV, n = 0;
		uint32_t events[NEV];

		if (!chaos_wait_for(c, msi_work, NULL)) {
			chaos_fail(
				c,
				"MSI device: no MSI was handled for %u ms: an interrupt was lost",
				c->liveness_ms);
			break;
		}
		for (unsigned e = 0; e < NEV; e++) {
			struct ev_state *s = &c->evs[d * NEV + e];

			if (atomic_load(&s->out) || rnd(&rs) % 2)
				continue;
			atomic_store(&s->out, true);
			atomic_fetch_add(&s->sent, 1);
			events[n++] = e;
		}
		if (!n)
			continue;
		if (rnd(&rs) % 2) {
			if (sg_vm_signal_msis(c->vm, 0, 1 + d, events, n) != 0)
				chaos_fail(c, "MSI device %u: sending %u MSIs failed", 1 + d, n);
		} else {
			for (unsigned k = 0; k < n; k++)
				if (sg_vm_signal_msi(c->vm, 0, 1 + d, events[k]) != 0)
					chaos_fail(c, "MSI device %u: sending event %u failed",
						   1 + d, events[k]);
		}
	}
	return NULL;
}
