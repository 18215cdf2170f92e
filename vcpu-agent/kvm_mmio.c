// SPDX-License-Identifier: MIT
/*
 * struct kvm_run glue for a VMM that runs the vCPUs with KVM and a user
 * irqchip: KVM_EXIT_MMIO exits on the GIC frames, and the timer/PMU lines
 * KVM reports in run->s.regs.device_irq_level (KVM_CAP_ARM_USER_IRQ).
 *
 * Compiled against the arm64 uapi headers only (see vcpu-agent/meson.build),
 * so it builds and is tested on other hosts too.  Takes no lock itself.
 */
#include <linux/kvm.h>

#include "splitgic/agent.h"

_Static_assert(KVM_ARM_DEV_EL1_VTIMER == SG_DEV_EL1_VTIMER, "vtimer bit");
_Static_assert(KVM_ARM_DEV_EL1_PTIMER == SG_DEV_EL1_PTIMER, "ptimer bit");
_Static_assert(KVM_ARM_DEV_PMU == SG_DEV_PMU, "PMU bit");

enum sg_mmio_result sg_vcpu_handle_kvm_mmio(struct sg_vcpu *v, struct kvm_run *run)
{
	unsigned len = run->mmio.len;
	uint64_t val = 0;
	enum sg_mmio_result r;

	if (run->exit_reason != KVM_EXIT_MMIO)
		return SG_MMIO_NOT_GIC;
	/* run is shared with the kernel and the guest chose len: check it. */
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return SG_MMIO_NOT_GIC;
	/* data[] holds the access in memory order: little-endian on arm64. */
	if (run->mmio.is_write)
		for (unsigned i = 0; i < len; i++)
			val |= (uint64_t)run->mmio.data[i] << (8 * i);
	r = sg_vcpu_mmio(v, run->mmio.phys_addr, len, run->mmio.is_write, &val);
	if (r == SG_MMIO_NOT_GIC || run->mmio.is_write)
		return r;
	for (unsigned i = 0; i < len; i++)
		run->mmio.data[i] = (uint8_t)(val >> (8 * i));
	return r;
}

void sg_vcpu_handle_kvm_irq_level(struct sg_vcpu *v, const struct kvm_run *run)
{
	sg_vcpu_set_device_irq_level(v, run->s.regs.device_irq_level);
}
