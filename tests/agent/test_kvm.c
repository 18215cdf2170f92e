// SPDX-License-Identifier: MIT
/*
 * The struct kvm_run glue: KVM_EXIT_MMIO exits on the GIC frames (data[] in
 * memory order, little-endian) and run->s.regs.device_irq_level
 * (KVM_CAP_ARM_USER_IRQ).  Built against the arm64 uapi headers.
 */
#include <check.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "agent_test.h"
#include "check_run.h"

static struct sg_vm *vm;
static struct sg_vcpu *v;
static struct kvm_run run;

static void setup(void)
{
	vm = test_vm(2, 4, 0);
	v = sg_vm_vcpu(vm, 0);
	memset(&run, 0, sizeof(run));
}

static void teardown(void)
{
	sg_vm_destroy(vm);
}

static void mmio_exit(uint64_t addr, unsigned len, bool write, uint64_t val)
{
	run.exit_reason = KVM_EXIT_MMIO;
	run.mmio.phys_addr = addr;
	run.mmio.len = len;
	run.mmio.is_write = write;
	memset(run.mmio.data, 0xEE, sizeof(run.mmio.data));
	if (write)
		for (unsigned i = 0; i < len; i++)
			run.mmio.data[i] = (uint8_t)(val >> (8 * i));
}

START_TEST(write_then_read)
{
	uint64_t prio = gicr_addr(vm, 1, GICR_SGI_BASE + GICR_IPRIORITYR0 + 4);

	mmio_exit(prio, 4, true, 0x10203040);
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_DONE);
	mmio_exit(prio, 4, false, 0);
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_DONE);
	ck_assert_uint_eq(run.mmio.data[0], 0x40);
	ck_assert_uint_eq(run.mmio.data[1], 0x30);
	ck_assert_uint_eq(run.mmio.data[2], 0x20);
	ck_assert_uint_eq(run.mmio.data[3], 0x10);
	ck_assert_uint_eq(run.mmio.data[4], 0xEE); /* beyond len: untouched */
	/* Byte access to the same register. */
	mmio_exit(prio + 2, 1, false, 0);
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_DONE);
	ck_assert_uint_eq(run.mmio.data[0], 0x20);
	/* 64-bit read of TYPER. */
	mmio_exit(gicr_addr(vm, 1, GICR_TYPER), 8, false, 0);
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_DONE);
	ck_assert_uint_eq(run.mmio.data[1], 1); /* Processor_Number 1 */
	ck_assert_uint_eq(run.mmio.data[0] & GICR_TYPER_LAST, GICR_TYPER_LAST);
	ck_assert_uint_eq(run.mmio.data[4], 1); /* Aff0 1 */
}
END_TEST

START_TEST(not_ours)
{
	mmio_exit(0x09000000, 4, false, 0);
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_NOT_GIC);
	ck_assert_uint_eq(run.mmio.data[0], 0xEE);
	/* Other exits, and lengths KVM never reports, are left alone. */
	mmio_exit(gicr_addr(vm, 0, GICR_IIDR), 4, false, 0);
	run.exit_reason = KVM_EXIT_HLT;
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_NOT_GIC);
	run.exit_reason = KVM_EXIT_MMIO;
	run.mmio.len = 16;
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_NOT_GIC);
	run.mmio.len = 3;
	ck_assert_int_eq(sg_vcpu_handle_kvm_mmio(v, &run), SG_MMIO_NOT_GIC);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_LOCAL), 0);
}
END_TEST

START_TEST(device_irq_level)
{
	run.s.regs.device_irq_level = KVM_ARM_DEV_EL1_VTIMER | KVM_ARM_DEV_PMU;
	sg_vcpu_handle_kvm_irq_level(v, &run);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), (1u << 27) | (1u << 23));
	run.s.regs.device_irq_level = KVM_ARM_DEV_EL1_PTIMER;
	sg_vcpu_handle_kvm_irq_level(v, &run);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 1u << 30);
	ck_assert_uint_eq(sgi_read(vm, 1, GICR_ISPENDR0), 0);
}
END_TEST

static Suite *kvm_suite(void)
{
	Suite *s = suite_create("agent-kvm");
	TCase *tc = tcase_create("kvm_run");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_then_read);
	tcase_add_test(tc, not_ours);
	tcase_add_test(tc, device_irq_level);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(kvm_suite());
}
