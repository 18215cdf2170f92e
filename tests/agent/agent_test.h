/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libvcpu-agent tests: VM creation with a known
 * shape, redistributor and SGI shorthands, and a guest-side view of the
 * vCPU interface model.
 */
#ifndef SPLITGIC_AGENT_TEST_H
#define SPLITGIC_AGENT_TEST_H

#include <check.h>
#include <stdint.h>

#include "gic_regs.h"
#include "splitgic/agent.h"

/* vCPU i gets Aff1 = i / 16, Aff0 = i % 16 (as QEMU virt lays them out). */
static inline uint64_t test_mpidr(unsigned i)
{
	return ((uint64_t)(i / 16) << 8) | (i % 16);
}

static inline struct sg_vm *test_vm_mpidr(unsigned nr_vcpus, const uint64_t *mpidr,
					  unsigned lr_count, unsigned nr_its)
{
	struct sg_vm_config cfg = { 0 };
	struct sg_vm *vm = NULL;

	cfg.nr_vcpus = nr_vcpus;
	cfg.mpidr = mpidr;
	cfg.lr_count = lr_count;
	cfg.nr_spis = 64;
	sg_addr_map_default(&cfg.map, nr_its);
	ck_assert_int_eq(sg_vm_create(&cfg, &vm), 0);
	ck_assert_ptr_nonnull(vm);
	return vm;
}

static inline struct sg_vm *test_vm(unsigned nr_vcpus, unsigned lr_count, unsigned nr_its)
{
	uint64_t mpidr[SG_MAX_VCPUS];

	for (unsigned i = 0; i < nr_vcpus; i++)
		mpidr[i] = test_mpidr(i);
	return test_vm_mpidr(nr_vcpus, mpidr, lr_count, nr_its);
}

/* Guest physical address of register `off` in vCPU idx's redistributor. */
static inline uint64_t gicr_addr(struct sg_vm *vm, unsigned idx, uint32_t off)
{
	return sg_vm_shape(vm)->map.gicr_base + (uint64_t)idx * GICR_FRAME_SIZE + off;
}

/* Accesses by vCPU `by` to vCPU idx's frame. */
static inline uint64_t gicr_read_sz(struct sg_vm *vm, unsigned by, unsigned idx, uint32_t off,
				    unsigned size)
{
	uint64_t val = 0xDEADBEEFDEADBEEFull;

	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, by), gicr_addr(vm, idx, off), size, false, &val),
		SG_MMIO_DONE);
	return val;
}

static inline void gicr_write_sz(struct sg_vm *vm, unsigned by, unsigned idx, uint32_t off,
				 unsigned size, uint64_t val)
{
	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, by), gicr_addr(vm, idx, off), size, true, &val),
		SG_MMIO_DONE);
}

static inline uint32_t gicr_read(struct sg_vm *vm, unsigned idx, uint32_t off)
{
	return (uint32_t)gicr_read_sz(vm, idx, idx, off, 4);
}

static inline void gicr_write(struct sg_vm *vm, unsigned idx, uint32_t off, uint32_t val)
{
	gicr_write_sz(vm, idx, idx, off, 4, val);
}

/* SGI_base registers. */
static inline uint32_t sgi_read(struct sg_vm *vm, unsigned idx, uint32_t off)
{
	return gicr_read(vm, idx, GICR_SGI_BASE + off);
}

static inline void sgi_write(struct sg_vm *vm, unsigned idx, uint32_t off, uint32_t val)
{
	gicr_write(vm, idx, GICR_SGI_BASE + off, val);
}

static inline void set_priority(struct sg_vm *vm, unsigned idx, unsigned intid, uint8_t prio)
{
	gicr_write_sz(vm, idx, idx, GICR_SGI_BASE + GICR_IPRIORITYR0 + intid, 1, prio);
}

/* ICC_SGI1R_EL1 value naming one target vCPU by its test_mpidr(). */
static inline uint64_t sgi1r_to(unsigned target, unsigned intid)
{
	uint64_t m = test_mpidr(target);

	return ((uint64_t)intid << ICC_SGIR_INTID_SHIFT) |
	       ((uint64_t)MPIDR_AFF1(m) << ICC_SGIR_AFF1_SHIFT) | (1ull << MPIDR_AFF0(m));
}

static inline void send_sgi(struct sg_vm *vm, unsigned from, unsigned to, unsigned intid)
{
	ck_assert(sg_vcpu_write_sgi(sg_vm_vcpu(vm, from), SYS_ICC_SGI1R_EL1, sgi1r_to(to, intid)));
}

/* What a guest's GIC driver does first: unmask everything, enable both groups. */
static inline void guest_enable(struct sg_cpuif *c)
{
	sg_cpuif_set_pmr(c, 0xFF);
	sg_cpuif_set_igrpen(c, 0, true);
	sg_cpuif_set_igrpen(c, 1, true);
}

/* The LR (if any) flush gave INTID id, or -1. */
static inline int find_lr(struct sg_cpuif *c, uint32_t id)
{
	for (unsigned i = 0; i < c->nr_lrs; i++) {
		uint64_t lr = sg_cpuif_read_lr(c, i);

		if ((lr & ICH_LR_STATE_MASK) && (uint32_t)(lr & ICH_LR_VINTID_MASK) == id)
			return (int)i;
	}
	return -1;
}

static inline unsigned valid_lrs(struct sg_cpuif *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nr_lrs; i++)
		n += (sg_cpuif_read_lr(c, i) & ICH_LR_STATE_MASK) != 0;
	return n;
}

#endif
