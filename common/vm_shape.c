// SPDX-License-Identifier: MIT
#include "vm_shape.h"

#include <string.h>

#include "gic_regs.h"

void sg_addr_map_default(struct sg_addr_map *map, unsigned nr_its)
{
	memset(map, 0, sizeof(*map));
	map->gicd_base = SG_DEFAULT_GICD_BASE;
	map->gicr_base = SG_DEFAULT_GICR_BASE;
	if (nr_its > SG_MAX_ITS)
		nr_its = SG_MAX_ITS;
	map->nr_its = nr_its;
	/* Only one ITS fits below the redistributors in the virt layout; further
	 * ones go above the GICD/ITS/GICR window (0x08000000 + 16 MiB). */
	for (unsigned i = 0; i < nr_its; i++)
		map->its_base[i] = i == 0 ? SG_DEFAULT_ITS_BASE
					  : 0x09000000ull + (uint64_t)(i - 1) * GITS_FRAME_SIZE;
}

bool sg_nr_spis_valid(unsigned n)
{
	return (n >= 32 && n <= 960 && n % 32 == 0) || n == GIC_MAX_NR_SPIS;
}

unsigned sg_itlines_number(unsigned nr_spis)
{
	return (nr_spis + GIC_SPI_BASE + 31) / 32 - 1;
}

struct range {
	uint64_t base, size;
	const char *what;
};

static bool ranges_overlap(const struct range *a, const struct range *b)
{
	return a->base < b->base + b->size && b->base < a->base + a->size;
}

bool sg_shape_check(const struct sg_vm_shape *s, const char **why)
{
	struct range r[2 + SG_MAX_ITS];
	unsigned nr = 0;

	if (s->nr_vcpus < 1 || s->nr_vcpus > SG_MAX_VCPUS) {
		*why = "vCPU count out of range (1..128)";
		return false;
	}
	if (!sg_nr_spis_valid(s->nr_spis)) {
		*why = "SPI count must be 32..960 in steps of 32, or 988";
		return false;
	}
	if (s->lr_count < 1 || s->lr_count > SG_MAX_LRS) {
		*why = "LR count out of range (1..16)";
		return false;
	}
	for (unsigned i = 0; i < s->nr_vcpus; i++) {
		if (s->mpidr[i] & ~MPIDR_AFF_MASK) {
			*why = "MPIDR has bits outside Aff3..Aff0";
			return false;
		}
		for (unsigned j = 0; j < i; j++)
			if (s->mpidr[j] == s->mpidr[i]) {
				*why = "two vCPUs share an MPIDR";
				return false;
			}
	}
	if (s->map.nr_its > SG_MAX_ITS) {
		*why = "too many ITS frames (max 4)";
		return false;
	}
	r[nr++] = (struct range){ s->map.gicd_base, GICD_FRAME_SIZE, "GICD" };
	r[nr++] =
		(struct range){ s->map.gicr_base, (uint64_t)s->nr_vcpus * GICR_FRAME_SIZE, "GICR" };
	for (unsigned i = 0; i < s->map.nr_its; i++)
		r[nr++] = (struct range){ s->map.its_base[i], GITS_FRAME_SIZE, "ITS" };
	for (unsigned i = 0; i < nr; i++) {
		if (r[i].base % 0x10000 != 0) {
			*why = "GIC frame not 64 KiB aligned";
			return false;
		}
		if (r[i].base + r[i].size < r[i].base || r[i].base + r[i].size > (1ull << 52)) {
			*why = "GIC frame beyond the 52-bit physical address space";
			return false;
		}
		for (unsigned j = 0; j < i; j++)
			if (ranges_overlap(&r[i], &r[j])) {
				*why = "GIC frames overlap";
				return false;
			}
	}
	return true;
}

bool sg_shape_from_hello(const Sg__Hello *h, struct sg_vm_shape *s, const char **why)
{
	const Sg__AddressMap *am = h->address_map;

	memset(s, 0, sizeof(*s));
	if (h->n_vcpu_mpidr < 1 || h->n_vcpu_mpidr > SG_MAX_VCPUS) {
		*why = "vCPU count out of range (1..128)";
		return false;
	}
	if (!am) {
		*why = "Hello has no address map";
		return false;
	}
	if (am->n_its_base > SG_MAX_ITS) {
		*why = "too many ITS frames (max 4)";
		return false;
	}
	s->nr_vcpus = (unsigned)h->n_vcpu_mpidr;
	memcpy(s->mpidr, h->vcpu_mpidr, s->nr_vcpus * sizeof(s->mpidr[0]));
	s->nr_spis = h->nr_spis;
	s->lr_count = h->lr_count;
	s->map.gicd_base = am->gicd_base;
	s->map.gicr_base = am->gicr_base;
	s->map.nr_its = (unsigned)am->n_its_base;
	if (s->map.nr_its)
		memcpy(s->map.its_base, am->its_base, s->map.nr_its * sizeof(s->map.its_base[0]));
	return sg_shape_check(s, why);
}

void sg_shape_to_hello(const struct sg_vm_shape *s, Sg__Hello *hello, Sg__AddressMap *am)
{
	sg__address_map__init(am);
	am->gicd_base = s->map.gicd_base;
	am->gicr_base = s->map.gicr_base;
	am->n_its_base = s->map.nr_its;
	am->its_base = (uint64_t *)s->map.its_base;
	hello->n_vcpu_mpidr = s->nr_vcpus;
	hello->vcpu_mpidr = (uint64_t *)s->mpidr;
	hello->nr_spis = s->nr_spis;
	hello->lr_count = s->lr_count;
	hello->address_map = am;
}

static bool in_frame(uint64_t addr, uint64_t base, uint64_t size)
{
	return addr >= base && addr - base < size;
}

bool sg_addr_decode(const struct sg_vm_shape *s, uint64_t addr, struct sg_frame_hit *hit)
{
	const struct sg_addr_map *m = &s->map;

	if (in_frame(addr, m->gicd_base, GICD_FRAME_SIZE)) {
		*hit = (struct sg_frame_hit){ SG_FRAME_GICD, 0, addr - m->gicd_base };
		return true;
	}
	if (in_frame(addr, m->gicr_base, (uint64_t)s->nr_vcpus * GICR_FRAME_SIZE)) {
		uint64_t off = addr - m->gicr_base;

		*hit = (struct sg_frame_hit){ SG_FRAME_GICR, (unsigned)(off / GICR_FRAME_SIZE),
					      off % GICR_FRAME_SIZE };
		return true;
	}
	for (unsigned i = 0; i < m->nr_its; i++)
		if (in_frame(addr, m->its_base[i], GITS_FRAME_SIZE)) {
			*hit = (struct sg_frame_hit){ SG_FRAME_ITS, i, addr - m->its_base[i] };
			return true;
		}
	*hit = (struct sg_frame_hit){ SG_FRAME_NONE, 0, 0 };
	return false;
}

int sg_vcpu_by_affinity(const struct sg_vm_shape *s, uint64_t aff)
{
	aff &= MPIDR_AFF_MASK;
	for (unsigned i = 0; i < s->nr_vcpus; i++)
		if (s->mpidr[i] == aff)
			return (int)i;
	return -1;
}
