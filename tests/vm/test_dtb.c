// SPDX-License-Identifier: MIT
/* The device tree of docs/splitgic-vm.md, read back with libfdt. */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "dtb.h"
#include "machine.h"

static uint8_t blob[VM_DTB_MAX];
static uint64_t mpidr[VM_MAX_CPUS];

static int build(unsigned ncpus, bool iterations)
{
	struct dtb_config c = {
		.nr_cpus = ncpus,
		.mpidr = mpidr,
		.ram_base = VM_RAM_BASE,
		.ram_size = 256ull << 20,
		.gicd_base = 0x08000000,
		.gicr_base = 0x080A0000,
		.its_base = 0x08080000,
		.dtb_reserve = VM_DTB_MAX,
		.has_load_iterations = iterations,
		.load_iterations = 1234,
	};

	for (unsigned i = 0; i < VM_MAX_CPUS; i++)
		mpidr[i] = ((uint64_t)(i / 16) << 8) | (i % 16);
	memset(blob, 0xee, sizeof(blob));
	return dtb_build(blob, sizeof(blob), &c);
}

static int node(const char *path)
{
	int off = fdt_path_offset(blob, path);

	ck_assert_msg(off >= 0, "node %s missing: %s", path, fdt_strerror(off));
	return off;
}

static const void *prop(int off, const char *name, int *len)
{
	const void *p = fdt_getprop(blob, off, name, len);

	ck_assert_msg(p, "property %s missing", name);
	return p;
}

static uint32_t cell(const void *p, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static uint64_t cell64(const void *p, int i)
{
	return ((uint64_t)cell(p, i) << 32) | cell(p, i + 1);
}

START_TEST(valid_and_small)
{
	int size = build(4, false);

	ck_assert_int_gt(size, 0);
	ck_assert_int_le(size, VM_DTB_MAX);
	ck_assert_int_eq(fdt_check_header(blob), 0);
	ck_assert_uint_eq(fdt_totalsize(blob), (unsigned)size);
	size = build(VM_MAX_CPUS, true);
	ck_assert_int_gt(size, 0);
	ck_assert_int_le(size, VM_DTB_MAX);
}
END_TEST

START_TEST(memory_and_reservation)
{
	int len, off;
	const void *reg;
	uint64_t addr, size;

	ck_assert_int_gt(build(1, false), 0);
	off = node("/memory@40000000");
	ck_assert_str_eq(prop(off, "device_type", &len), "memory");
	reg = prop(off, "reg", &len);
	ck_assert_int_eq(len, 16);
	ck_assert_uint_eq(cell64(reg, 0), VM_RAM_BASE);
	ck_assert_uint_eq(cell64(reg, 2), 256ull << 20);
	ck_assert_int_eq(fdt_num_mem_rsv(blob), 1);
	ck_assert_int_eq(fdt_get_mem_rsv(blob, 0, &addr, &size), 0);
	ck_assert_uint_eq(addr, VM_RAM_BASE);
	ck_assert_uint_eq(size, VM_DTB_MAX);
}
END_TEST

START_TEST(cpus_and_psci)
{
	int len, off, n = 0;
	char path[64];

	ck_assert_int_gt(build(20, false), 0);
	off = node("/cpus");
	ck_assert_uint_eq(cell(prop(off, "#address-cells", &len), 0), 1);
	ck_assert_uint_eq(cell(prop(off, "#size-cells", &len), 0), 0);
	for (unsigned i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%llx", (unsigned long long)mpidr[i]);
		off = node(path);
		ck_assert_str_eq(prop(off, "device_type", &len), "cpu");
		ck_assert_str_eq(prop(off, "enable-method", &len), "psci");
		ck_assert_uint_eq(cell(prop(off, "reg", &len), 0), mpidr[i]);
		ck_assert_int_eq(len, 4);
	}
	fdt_for_each_subnode(off, blob, node("/cpus")) n++;
	ck_assert_int_eq(n, 20);
	/* vCPU 17: Aff1 1, Aff0 1. */
	ck_assert_int_ge(fdt_path_offset(blob, "/cpus/cpu@101"), 0);

	off = node("/psci");
	ck_assert_int_eq(fdt_node_check_compatible(blob, off, "arm,psci-1.0"), 0);
	ck_assert_str_eq(prop(off, "method", &len), "hvc");
}
END_TEST

START_TEST(gic_and_its)
{
	int len, off, its;
	const void *p;

	ck_assert_int_gt(build(3, false), 0);
	off = node("/intc@8000000");
	ck_assert_int_eq(fdt_node_check_compatible(blob, off, "arm,gic-v3"), 0);
	prop(off, "interrupt-controller", &len);
	ck_assert_int_eq(len, 0);
	ck_assert_uint_eq(cell(prop(off, "#interrupt-cells", &len), 0), 3);
	ck_assert_uint_eq(cell(prop(off, "#redistributor-regions", &len), 0), 1);
	p = prop(off, "reg", &len);
	ck_assert_int_eq(len, 32);
	ck_assert_uint_eq(cell64(p, 0), 0x08000000);
	ck_assert_uint_eq(cell64(p, 2), 0x10000);
	ck_assert_uint_eq(cell64(p, 4), 0x080A0000);
	ck_assert_uint_eq(cell64(p, 6), 3 * 0x20000);
	ck_assert_uint_eq(cell(prop(off, "phandle", &len), 0), DTB_PHANDLE_GIC);
	/* The root names the GIC as everyone's interrupt parent. */
	ck_assert_uint_eq(cell(prop(0, "interrupt-parent", &len), 0), DTB_PHANDLE_GIC);

	its = node("/intc@8000000/its@8080000");
	ck_assert_int_eq(fdt_node_check_compatible(blob, its, "arm,gic-v3-its"), 0);
	prop(its, "msi-controller", &len);
	p = prop(its, "reg", &len);
	ck_assert_int_eq(len, 16);
	ck_assert_uint_eq(cell64(p, 0), 0x08080000);
	ck_assert_uint_eq(cell64(p, 2), 0x20000);
	ck_assert_uint_eq(cell(prop(its, "phandle", &len), 0), DTB_PHANDLE_ITS);
}
END_TEST

START_TEST(timer_uart_testdev)
{
	static const uint32_t timer_ppis[4] = { 13, 14, 11, 10 };
	int len, off;
	const void *p;

	ck_assert_int_gt(build(1, false), 0);
	off = node("/timer");
	ck_assert_int_eq(fdt_node_check_compatible(blob, off, "arm,armv8-timer"), 0);
	p = prop(off, "interrupts", &len);
	ck_assert_int_eq(len, 4 * 12);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(cell(p, 3 * i), 1); /* PPI */
		ck_assert_uint_eq(cell(p, 3 * i + 1), timer_ppis[i]);
	}
	/* The third entry is the virtual timer, INTID 27. */
	ck_assert_uint_eq(cell(p, 7) + 16, VM_VTIMER_INTID);

	off = node("/pl011@9000000");
	ck_assert_int_eq(fdt_node_check_compatible(blob, off, "arm,pl011"), 0);
	p = prop(off, "interrupts", &len);
	ck_assert_uint_eq(cell(p, 0), 0);
	ck_assert_uint_eq(cell(p, 1), 1); /* SPI 1 = INTID 33 */
	p = prop(off, "reg", &len);
	ck_assert_uint_eq(cell64(p, 0), VM_UART_BASE);

	off = node("/splitgic-testdev@a000000");
	ck_assert_int_eq(fdt_node_check_compatible(blob, off, "splitgic,testdev"), 0);
	p = prop(off, "interrupts", &len);
	ck_assert_uint_eq(cell(p, 0), 0);
	ck_assert_uint_eq(cell(p, 1) + 32, VM_TESTDEV_SPI_BASE);
	p = prop(off, "msi-parent", &len);
	ck_assert_uint_eq(cell(p, 0), DTB_PHANDLE_ITS);
	p = prop(off, "reg", &len);
	ck_assert_uint_eq(cell64(p, 0), VM_TESTDEV_BASE);
}
END_TEST

START_TEST(chosen)
{
	int len, off;

	ck_assert_int_gt(build(1, false), 0);
	off = node("/chosen");
	ck_assert_str_eq(prop(off, "stdout-path", &len), "/pl011@9000000");
	ck_assert_ptr_null(fdt_getprop(blob, off, "splitgic,load-iterations", &len));
	ck_assert_int_gt(build(1, true), 0);
	off = node("/chosen");
	ck_assert_uint_eq(cell(prop(off, "splitgic,load-iterations", &len), 0), 1234);
	ck_assert_int_eq(len, 4);
}
END_TEST

START_TEST(too_small_buffer)
{
	struct dtb_config c = {
		.nr_cpus = 4, .mpidr = mpidr, .ram_base = VM_RAM_BASE, .ram_size = 1 << 20
	};
	uint8_t small[256];

	ck_assert_int_eq(dtb_build(small, sizeof(small), &c), -FDT_ERR_NOSPACE);
	c.nr_cpus = 0;
	ck_assert_int_lt(dtb_build(blob, sizeof(blob), &c), 0);
}
END_TEST

static Suite *dtb_suite(void)
{
	Suite *s = suite_create("vm-dtb");
	TCase *tc = tcase_create("dtb");

	tcase_add_test(tc, valid_and_small);
	tcase_add_test(tc, memory_and_reservation);
	tcase_add_test(tc, cpus_and_psci);
	tcase_add_test(tc, gic_and_its);
	tcase_add_test(tc, timer_uart_testdev);
	tcase_add_test(tc, chosen);
	tcase_add_test(tc, too_small_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(dtb_suite());
}
