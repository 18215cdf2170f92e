// SPDX-License-Identifier: MIT
#include "dtb.h"

#include <libfdt.h>
#include <stdio.h>

#include "machine.h"

/* GIC binding: <type number flags>, type 0 SPI, 1 PPI; flags 4 level-high. */
#define IRQ_SPI	       0u
#define IRQ_PPI	       1u
#define IRQ_LEVEL_HIGH 4u

#define TRY(x)                                                                                     \
	do {                                                                                       \
		int rc_ = (x);                                                                     \
		if (rc_ < 0)                                                                       \
			return rc_;                                                                \
	} while (0)

/* reg = <addr size> with two cells each. */
static int prop_reg2(void *fdt, uint64_t a0, uint64_t s0, uint64_t a1, uint64_t s1, int n)
{
	fdt64_t v[4] = { cpu_to_fdt64(a0), cpu_to_fdt64(s0), cpu_to_fdt64(a1), cpu_to_fdt64(s1) };

	return fdt_property(fdt, "reg", v, (int)(n * 2 * sizeof(fdt64_t)));
}

static int prop_cells(void *fdt, const char *name, const uint32_t *cells, int n)
{
	fdt32_t v[16];

	for (int i = 0; i < n && i < 16; i++)
		v[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, v, n * (int)sizeof(fdt32_t));
}

static int node_cpus(void *fdt, const struct dtb_config *c)
{
	char name[32];

	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned i = 0; i < c->nr_cpus; i++) {
		snprintf(name, sizeof(name), "cpu@%llx", (unsigned long long)c->mpidr[i]);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_string(fdt, "compatible", "arm,cortex-a72"));
		TRY(fdt_property_u32(fdt, "reg", (uint32_t)c->mpidr[i]));
		TRY(fdt_property_string(fdt, "enable-method", "psci"));
		TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int node_gic(void *fdt, const struct dtb_config *c)
{
	char name[40];
	static const char its_compat[] = "arm,gic-v3-its";

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)c->gicd_base);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#redistributor-regions", 1));
	TRY(prop_reg2(fdt, c->gicd_base, 0x10000, c->gicr_base, 0x20000ull * c->nr_cpus, 2));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property(fdt, "ranges", NULL, 0));
	TRY(fdt_property_u32(fdt, "phandle", DTB_PHANDLE_GIC));

	snprintf(name, sizeof(name), "its@%llx", (unsigned long long)c->its_base);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property(fdt, "compatible", its_compat, sizeof(its_compat)));
	TRY(fdt_property(fdt, "msi-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#msi-cells", 1));
	TRY(prop_reg2(fdt, c->its_base, 0x20000, 0, 0, 1));
	TRY(fdt_property_u32(fdt, "phandle", DTB_PHANDLE_ITS));
	TRY(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

static int node_timer(void *fdt)
{
	/* Secure phys, non-secure phys, virtual, hypervisor: PPIs 13, 14, 11, 10. */
	static const uint32_t irqs[] = {
		IRQ_PPI, VM_SEC_PTIMER_INT - 16, IRQ_LEVEL_HIGH,
		IRQ_PPI, VM_PTIMER_INTID - 16,	 IRQ_LEVEL_HIGH,
		IRQ_PPI, VM_VTIMER_INTID - 16,	 IRQ_LEVEL_HIGH,
		IRQ_PPI, VM_HYP_TIMER_INT - 16,	 IRQ_LEVEL_HIGH,
	};

	TRY(fdt_begin_node(fdt, "timer"));
	TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	TRY(prop_cells(fdt, "interrupts", irqs, 12));
	TRY(fdt_property(fdt, "always-on", NULL, 0));
	return fdt_end_node(fdt);
}

static int node_uart(void *fdt)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	const uint32_t irq[] = { IRQ_SPI, VM_UART_SPI, IRQ_LEVEL_HIGH };
	const uint32_t clocks[] = { DTB_PHANDLE_CLK, DTB_PHANDLE_CLK };
	char name[32];

	/* Linux's pl011 driver wants its clocks. */
	TRY(fdt_begin_node(fdt, "apb-pclk"));
	TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
	TRY(fdt_property_u32(fdt, "#clock-cells", 0));
	TRY(fdt_property_u32(fdt, "clock-frequency", 24000000));
	TRY(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	TRY(fdt_property_u32(fdt, "phandle", DTB_PHANDLE_CLK));
	TRY(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "pl011@%llx", (unsigned long long)VM_UART_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
	TRY(prop_reg2(fdt, VM_UART_BASE, VM_UART_SIZE, 0, 0, 1));
	TRY(prop_cells(fdt, "interrupts", irq, 3));
	TRY(prop_cells(fdt, "clocks", clocks, 2));
	TRY(fdt_property(fdt, "clock-names", clock_names, sizeof(clock_names)));
	return fdt_end_node(fdt);
}

static int node_testdev(void *fdt)
{
	const uint32_t irq[] = { IRQ_SPI, VM_TESTDEV_SPI_BASE - 32, IRQ_LEVEL_HIGH };
	const uint32_t msi[] = { DTB_PHANDLE_ITS, DTB_TESTDEV_MSI_DEVICE };
	char name[40];

	snprintf(name, sizeof(name), "splitgic-testdev@%llx", (unsigned long long)VM_TESTDEV_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "splitgic,testdev"));
	TRY(prop_reg2(fdt, VM_TESTDEV_BASE, VM_TESTDEV_SIZE, 0, 0, 1));
	TRY(prop_cells(fdt, "interrupts", irq, 3));
	TRY(prop_cells(fdt, "msi-parent", msi, 2));
	return fdt_end_node(fdt);
}

static int node_chosen(void *fdt, const struct dtb_config *c)
{
	char path[40];

	snprintf(path, sizeof(path), "/pl011@%llx", (unsigned long long)VM_UART_BASE);
	TRY(fdt_begin_node(fdt, "chosen"));
	TRY(fdt_property_string(fdt, "stdout-path", path));
	if (c->has_load_iterations)
		TRY(fdt_property_u32(fdt, "splitgic,load-iterations", c->load_iterations));
	return fdt_end_node(fdt);
}

int dtb_build(void *buf, size_t bufsize, const struct dtb_config *c)
{
	static const char root_compat[] = "splitgic,vm\0linux,dummy-virt";
	char name[40];

	if (bufsize > INT32_MAX || c->nr_cpus == 0)
		return -FDT_ERR_BADVALUE;
	TRY(fdt_create(buf, (int)bufsize));
	if (c->dtb_reserve)
		TRY(fdt_add_reservemap_entry(buf, c->ram_base, c->dtb_reserve));
	TRY(fdt_finish_reservemap(buf));
	TRY(fdt_begin_node(buf, ""));
	TRY(fdt_property(buf, "compatible", root_compat, sizeof(root_compat)));
	TRY(fdt_property_string(buf, "model", "splitgic-vm"));
	TRY(fdt_property_u32(buf, "#address-cells", 2));
	TRY(fdt_property_u32(buf, "#size-cells", 2));
	TRY(fdt_property_u32(buf, "interrupt-parent", DTB_PHANDLE_GIC));

	TRY(node_chosen(buf, c));
	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)c->ram_base);
	TRY(fdt_begin_node(buf, name));
	TRY(fdt_property_string(buf, "device_type", "memory"));
	TRY(prop_reg2(buf, c->ram_base, c->ram_size, 0, 0, 1));
	TRY(fdt_end_node(buf));
	TRY(node_cpus(buf, c));
	TRY(fdt_begin_node(buf, "psci"));
	{
		static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";

		TRY(fdt_property(buf, "compatible", psci_compat, sizeof(psci_compat)));
	}
	TRY(fdt_property_string(buf, "method", "hvc"));
	TRY(fdt_end_node(buf));
	TRY(node_gic(buf, c));
	TRY(node_timer(buf));
	TRY(node_uart(buf));
	TRY(node_testdev(buf));
	TRY(fdt_end_node(buf));
	TRY(fdt_finish(buf));
	return (int)fdt_totalsize(buf);
}
