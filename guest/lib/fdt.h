/* SPDX-License-Identifier: MIT */
/* What the guest learns from the flattened device tree, with the contract's defaults. */
#ifndef GUEST_FDT_H
#define GUEST_FDT_H

#include "types.h"

#define MAX_CPUS 64

/* Fixed addresses of docs/splitgic-vm.md, used when the DT lacks a node. */
#define DEFAULT_DTB	0x40000000ull
#define DEFAULT_GICD	0x08000000ull
#define DEFAULT_ITS	0x08080000ull
#define DEFAULT_GICR	0x080A0000ull
#define DEFAULT_TESTDEV 0x0A000000ull
#define DEFAULT_RAM	0x40000000ull
#define DEFAULT_RAMSIZE (256ull << 20)

struct machine {
	u64 dtb;
	bool dtb_valid;
	u32 ncpus;
	u64 mpidr[MAX_CPUS];
	u64 gicd_base;
	u64 gicr_base;
	u64 gicr_size;
	bool gic_in_dt;
	u64 its_base;
	bool has_its;
	u64 testdev_base;
	bool testdev_in_dt;
	u64 ram_base;
	u64 ram_size;
	bool psci_smc;
	u32 vtimer_intid;
	u32 max_dt_spi;	      /* highest SPI INTID named by an "interrupts" property */
	u32 dt_spi_map[32];   /* bitmap of the SPI INTIDs named by "interrupts" properties */
	const char *bootargs; /* /chosen "bootargs", QEMU's -append */
	u64 chosen_load_iterations;
	bool has_load_iterations;
};

extern struct machine machine;

/* Fill `machine` from the blob at dtb (or the defaults); false if no valid blob. */
bool fdt_scan(u64 dtb);

#endif
