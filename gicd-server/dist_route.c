// SPDX-License-Identifier: MIT
/*
 * SPI target selection.  Deterministic: the 1-of-N cursor is distributor
 * state, advanced only when a 1-of-N SPI is actually delivered.
 */
#include "dist_route.h"

void route_init(struct dist *d)
{
	/* Before its first CpuState a vCPU counts as eligible: a guest that
	 * routes 1-of-N before the agents report must not lose interrupts. */
	for (unsigned i = 0; i < SG_MAX_VCPUS; i++)
		d->route.cpu[i] = (struct dist_cpu){ .grp0 = true, .grp1 = true };
	/* So that the first 1-of-N choice starts at vCPU 0. */
	d->route.last = d->shape->nr_vcpus ? d->shape->nr_vcpus - 1 : 0;
}

bool route_eligible(const struct dist *d, unsigned vcpu, bool group1)
{
	const struct dist_cpu *c;

	if (vcpu >= d->shape->nr_vcpus)
		return false;
	c = &d->route.cpu[vcpu];
	return !c->asleep && (group1 ? c->grp1 : c->grp0);
}

static bool one_of_n(const struct dist_spi *s)
{
	return (s->irouter & GICD_IROUTER_IRM) != 0;
}

int route_pick(struct dist *d, const struct dist_spi *s)
{
	unsigned n = d->shape->nr_vcpus;

	if (!one_of_n(s))
		return sg_vcpu_by_affinity(d->shape, s->irouter & GICD_IROUTER_AFF_MASK);
	for (unsigned i = 1; i <= n; i++) {
		unsigned v = (d->route.last + i) % n;

		if (route_eligible(d, v, s->group1)) {
			d->route.last = v;
			return (int)v;
		}
	}
	return -1;
}

bool route_accepts(const struct dist *d, const struct dist_spi *s, unsigned vcpu)
{
	if (one_of_n(s))
		return route_eligible(d, vcpu, s->group1);
	return sg_vcpu_by_affinity(d->shape, s->irouter & GICD_IROUTER_AFF_MASK) == (int)vcpu;
}

bool route_cpu_state(struct dist *d, unsigned vcpu, bool grp0, bool grp1, bool asleep)
{
	if (vcpu >= d->shape->nr_vcpus)
		return false;
	d->route.cpu[vcpu] = (struct dist_cpu){ .grp0 = grp0, .grp1 = grp1, .asleep = asleep };
	return true;
}
