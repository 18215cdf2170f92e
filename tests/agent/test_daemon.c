// SPDX-License-Identifier: MIT
/*
 * GICD accesses forwarded by the agent reach the real gicd-server: posted
 * writes are applied and a waited read returns their value (DESIGN §4:
 * a read fences the posted writes before it), from the same and from
 * another vCPU's channel.
 */
#include <check.h>
#include <stdlib.h>

#include "agent_test.h"
#include "check_run.h"
#include "harness.h"

static uint64_t gicd(const struct sg_vm_shape *s, uint32_t off)
{
	return s->map.gicd_base + off;
}

START_TEST(posted_write_read_back)
{
	struct harness_daemon d;
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct sg_vm *vm;
	struct sg_vcpu *v0, *v1;
	uint64_t val;

	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 2, 64, 0);
	harness_attach(&d, &shape, &att);
	vm = test_vm_mpidr(shape.nr_vcpus, shape.mpidr, shape.lr_count, 0);
	v0 = sg_vm_vcpu(vm, 0);
	v1 = sg_vm_vcpu(vm, 1);
	sg_vcpu_set_mmio_channel(v0, att.mmio_fd[0]);
	sg_vcpu_set_mmio_channel(v1, att.mmio_fd[1]);

	/* GICD_TYPER.ITLinesNumber for 64 SPIs: (32 + 64) / 32 - 1. */
	ck_assert_int_eq(sg_vcpu_mmio(v0, gicd(&shape, GICD_TYPER), 4, false, &val), SG_MMIO_DONE);
	ck_assert_uint_eq(val & 0x1F, 2);

	/* SPI 40's priority byte lives in IPRIORITYR10. */
	val = 0xA0B0C0D0;
	ck_assert_int_eq(sg_vcpu_mmio(v0, gicd(&shape, GICD_IPRIORITYR + 40), 4, true, &val),
			 SG_MMIO_DONE);
	val = 0;
	ck_assert_int_eq(sg_vcpu_mmio(v0, gicd(&shape, GICD_IPRIORITYR + 40), 4, false, &val),
			 SG_MMIO_DONE);
	ck_assert_uint_eq(val, 0xA0B0C0D0);
	/* Another vCPU's channel sees it too; a byte write, then a word read. */
	val = 0x50;
	ck_assert_int_eq(sg_vcpu_mmio(v1, gicd(&shape, GICD_IPRIORITYR + 41), 1, true, &val),
			 SG_MMIO_DONE);
	ck_assert_int_eq(sg_vcpu_mmio(v0, gicd(&shape, GICD_IPRIORITYR + 40), 4, false, &val),
			 SG_MMIO_DONE);
	ck_assert_uint_eq(val, 0xA0B050D0);

	ck_assert_uint_eq(sg_vcpu_stat(v0, SG_STAT_MMIO_POSTED), 1);
	ck_assert_uint_eq(sg_vcpu_stat(v0, SG_STAT_MMIO_WAITED), 3);
	ck_assert_uint_eq(sg_vcpu_stat(v1, SG_STAT_MMIO_POSTED), 1);
	ck_assert_uint_eq(sg_vcpu_stat(v0, SG_STAT_MMIO_ERRORS), 0);

	sg_vm_destroy(vm);
	sg_attachment_close(&att);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("agent-daemon");
	TCase *tc = tcase_create("forwarding");

	tcase_add_test(tc, posted_write_read_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(daemon_suite());
}
