// SPDX-License-Identifier: MIT
/*
 * A single-pass reader of the flattened device tree (devicetree specification
 * v0.4, chapter 5).  It records only what the guest programs need.
 */
#include "fdt.h"
#include "string.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP	       4
#define FDT_END	       9
#define MAX_DEPTH      8

struct machine machine;

struct node {
	const char *name;
	u32 addr_cells; /* #address-cells / #size-cells this node sets for its children */
	u32 size_cells;
	const u8 *compat;
	u32 compat_len;
	const u8 *reg;
	u32 reg_len;
	const u8 *irqs;
	u32 irqs_len;
	bool is_cpu;
};

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u64 cells(const u8 *p, u32 n)
{
	u64 v = 0;

	for (u32 i = 0; i < n; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

static bool has_compat(const struct node *n, const char *want)
{
	u32 off = 0;

	while (off < n->compat_len) {
		const char *s = (const char *)n->compat + off;
		if (!strcmp(s, want))
			return true;
		off += strlen(s) + 1;
	}
	return false;
}

static bool name_is(const char *name, const char *base)
{
	size_t l = strlen(base);

	return !strncmp(name, base, l) && (name[l] == '\0' || name[l] == '@');
}

/* reg entry i of node n, whose parent p gives the cell counts. */
static bool reg_entry(const struct node *n, const struct node *p, u32 i, u64 *addr, u64 *size)
{
	u32 stride = 4 * (p->addr_cells + p->size_cells);

	if (!n->reg || stride == 0 || (i + 1) * stride > n->reg_len)
		return false;
	*addr = cells(n->reg + i * stride, p->addr_cells);
	if (size)
		*size = cells(n->reg + i * stride + 4 * p->addr_cells, p->size_cells);
	return true;
}

static void note_irqs(const struct node *n, bool is_timer)
{
	/* GIC binding: three cells <type number flags>; type 0 SPI, 1 PPI. */
	for (u32 off = 0; off + 12 <= n->irqs_len; off += 12) {
		u32 type = be32(n->irqs + off), num = be32(n->irqs + off + 4);
		if (type == 0 && num + 32 < 1024) {
			machine.max_dt_spi = MAX(machine.max_dt_spi, num + 32);
			machine.dt_spi_map[(num + 32) / 32] |= BIT((num + 32) % 32);
		}
		if (is_timer && type == 1 && off == 24)
			machine.vtimer_intid = num + 16;
	}
}

static void end_node(struct node *st, int depth)
{
	struct node *n = &st[depth], *p = &st[depth > 0 ? depth - 1 : 0];
	u64 a, s;

	if (depth == 0)
		return;
	if (n->irqs)
		note_irqs(n, has_compat(n, "arm,armv8-timer"));
	if (n->is_cpu && reg_entry(n, p, 0, &a, NULL) && machine.ncpus < MAX_CPUS)
		machine.mpidr[machine.ncpus++] = a;
	if (has_compat(n, "arm,gic-v3") && reg_entry(n, p, 0, &a, NULL)) {
		machine.gicd_base = a;
		machine.gic_in_dt = true;
		if (reg_entry(n, p, 1, &a, &s)) {
			machine.gicr_base = a;
			machine.gicr_size = s;
		}
	}
	if (has_compat(n, "arm,gic-v3-its") && reg_entry(n, p, 0, &a, NULL)) {
		machine.its_base = a;
		machine.has_its = true;
	}
	if (has_compat(n, "splitgic,testdev") && reg_entry(n, p, 0, &a, NULL)) {
		machine.testdev_base = a;
		machine.testdev_in_dt = true;
	}
	if (depth == 1 && name_is(n->name, "memory") && reg_entry(n, p, 0, &a, &s)) {
		machine.ram_base = a;
		machine.ram_size = s;
	}
}

static void prop(struct node *st, int depth, const char *pname, const u8 *val, u32 len)
{
	struct node *n = &st[depth];

	if (!strcmp(pname, "#address-cells") && len == 4)
		n->addr_cells = be32(val);
	else if (!strcmp(pname, "#size-cells") && len == 4)
		n->size_cells = be32(val);
	else if (!strcmp(pname, "compatible")) {
		n->compat = val;
		n->compat_len = len;
	} else if (!strcmp(pname, "reg")) {
		n->reg = val;
		n->reg_len = len;
	} else if (!strcmp(pname, "interrupts")) {
		n->irqs = val;
		n->irqs_len = len;
	} else if (!strcmp(pname, "device_type") && !strcmp((const char *)val, "cpu")) {
		n->is_cpu = depth == 2 && name_is(st[1].name, "cpus");
	} else if (depth == 1 && name_is(n->name, "psci") && !strcmp(pname, "method")) {
		machine.psci_smc = !strcmp((const char *)val, "smc");
	} else if (depth == 1 && name_is(n->name, "chosen") &&
		   !strcmp(pname, "splitgic,load-iterations") && (len == 4 || len == 8)) {
		machine.chosen_load_iterations = cells(val, len / 4);
		machine.has_load_iterations = true;
	} else if (depth == 1 && name_is(n->name, "chosen") && !strcmp(pname, "bootargs") && len) {
		machine.bootargs = (const char *)val;
	}
}

static void set_defaults(void)
{
	memset(&machine, 0, sizeof(machine));
	machine.gicd_base = DEFAULT_GICD;
	machine.gicr_base = DEFAULT_GICR;
	machine.its_base = DEFAULT_ITS;
	machine.testdev_base = DEFAULT_TESTDEV;
	machine.ram_base = DEFAULT_RAM;
	machine.ram_size = DEFAULT_RAMSIZE;
	machine.vtimer_intid = 27;
}

bool fdt_scan(u64 dtb)
{
	const u8 *h = (const u8 *)dtb;
	struct node st[MAX_DEPTH + 1];
	int depth = -1;

	set_defaults();
	machine.dtb = dtb;
	if (!dtb || be32(h) != FDT_MAGIC)
		return false;

	u32 totalsize = be32(h + 4), off_struct = be32(h + 8), off_strings = be32(h + 12);
	u32 size_struct = be32(h + 36);
	const u8 *p = h + off_struct, *end = p + size_struct;
	const char *strings = (const char *)h + off_strings;
	bool done = false;

	if (totalsize > (1u << 20) || off_struct >= totalsize)
		return false;
	while (!done && p + 4 <= end) {
		u32 tok = be32(p);
		p += 4;
		switch (tok) {
		case FDT_BEGIN_NODE: {
			const char *name = (const char *)p;
			p += ALIGN_UP(strlen(name) + 1, 4);
			if (++depth > MAX_DEPTH)
				return false;
			memset(&st[depth], 0, sizeof(st[depth]));
			st[depth].name = name;
			/* Defaults from the specification when a node omits the properties. */
			st[depth].addr_cells = 2;
			st[depth].size_cells = 1;
			break;
		}
		case FDT_END_NODE:
			if (depth < 0)
				return false;
			end_node(st, depth);
			depth--;
			break;
		case FDT_PROP: {
			u32 len = be32(p), nameoff = be32(p + 4);
			const u8 *val = p + 8;
			p = val + ALIGN_UP(len, 4);
			if (depth >= 0)
				prop(st, depth, strings + nameoff, val, len);
			break;
		}
		case FDT_NOP: break;
		default: done = true; break;
		}
	}
	machine.dtb_valid = true;
	return true;
}
