/* SPDX-License-Identifier: MIT */
/* The splitgic test device (docs/splitgic-vm.md); absent on QEMU. */
#ifndef GUEST_TESTDEV_H
#define GUEST_TESTDEV_H

#include "fdt.h"
#include "mmio.h"
#include "types.h"

#define TESTDEV_ID		 0x00
#define TESTDEV_VERSION		 0x04
#define TESTDEV_EXIT		 0x08
#define TESTDEV_SPI_BASE	 0x10
#define TESTDEV_SPI_COUNT	 0x14
#define TESTDEV_LINE_SET	 0x20
#define TESTDEV_LINE_CLEAR	 0x24
#define TESTDEV_LINE_PULSE	 0x28
#define TESTDEV_LINE_STATE	 0x2C
#define TESTDEV_MSI_DEVICE	 0x30
#define TESTDEV_MSI_SEND	 0x34
#define TESTDEV_STREAM_LINE	 0x40
#define TESTDEV_STREAM_COUNT	 0x44
#define TESTDEV_STREAM_KIND	 0x48
#define TESTDEV_STREAM_PERIOD_US 0x4C
#define TESTDEV_ACK_COUNT	 0x50
#define TESTDEV_NOW_NS		 0x58

#define TESTDEV_ID_VALUE 0x53475444u /* "SGTD" */
#define STREAM_KIND_EDGE 0
#define STREAM_KIND_MSI	 1

/* Probe once (after fdt_scan); true when the ID register matches. */
bool testdev_probe(void);
bool testdev_present(void);
u32 testdev_spi_base(void);
u32 testdev_spi_count(void);
void testdev_exit(u32 status);

static inline u32 testdev_read(u32 off)
{
	return readl(machine.testdev_base + off);
}

static inline void testdev_write(u32 off, u32 v)
{
	writel(machine.testdev_base + off, v);
}

#endif
