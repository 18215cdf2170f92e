/* SPDX-License-Identifier: MIT */
/*
 * The flattened device tree the guest finds in x0 (docs/splitgic-vm.md,
 * "Device tree"): memory, CPUs, PSCI, the GICv3 with its ITS, the timer, the
 * PL011 and the test device.
 */
#ifndef SGVM_DTB_H
#define SGVM_DTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtb_config {
	unsigned nr_cpus;
	const uint64_t *mpidr; /* affinity bits, one per vCPU */
	uint64_t ram_base, ram_size;
	uint64_t gicd_base, gicr_base, its_base;
	uint64_t dtb_reserve; /* bytes at ram_base reserved for the blob (/memreserve/) */
	bool has_load_iterations;
	uint32_t load_iterations;
};

/* Phandles the tree uses. */
#define DTB_PHANDLE_GIC	       1u
#define DTB_PHANDLE_ITS	       2u
#define DTB_PHANDLE_CLK	       3u
#define DTB_TESTDEV_MSI_DEVICE 0x10u

/* Builds the blob into buf.  Returns its size, or a negative libfdt error
 * (-FDT_ERR_NOSPACE when bufsize is too small). */
int dtb_build(void *buf, size_t bufsize, const struct dtb_config *c);

#endif
