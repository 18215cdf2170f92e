/* SPDX-License-Identifier: MIT */
/*
 * The machine splitgic-vm presents to the guest (docs/splitgic-vm.md): the
 * memory map, the boot layout and the interrupt numbers.  The GIC frames are
 * the QEMU virt addresses of common/gic_regs.h (sg_addr_map_default()).
 */
#ifndef SGVM_MACHINE_H
#define SGVM_MACHINE_H

#include <stdint.h>

#define VM_MAX_CPUS 64u

#define VM_RAM_BASE	   0x40000000ull
#define VM_RAM_DEFAULT_MIB 256u
#define VM_RAM_MAX_MIB	   (64u * 1024u)
#define VM_DTB_ADDR	   VM_RAM_BASE
#define VM_DTB_MAX	   0x10000u /* the program must not be linked below RAM + 64 KiB */
#define VM_FLAT_LOAD_ADDR  0x40080000ull

#define VM_UART_BASE 0x09000000ull
#define VM_UART_SIZE 0x1000u
#define VM_UART_SPI  1u /* DT SPI number: INTID 33 */

#define VM_TESTDEV_BASE	     0x0A000000ull
#define VM_TESTDEV_SIZE	     0x1000u
#define VM_TESTDEV_SPI_BASE  64u /* first INTID of the device's lines */
#define VM_TESTDEV_SPI_COUNT 32u

/* Generic timer: 62.5 MHz, i.e. exactly 16 ns per tick. */
#define VM_CNTFRQ	  62500000u
#define VM_NS_PER_TICK	  16u
#define VM_VTIMER_INTID	  27u
#define VM_PTIMER_INTID	  30u
#define VM_SEC_PTIMER_INT 29u
#define VM_HYP_TIMER_INT  26u

/* Default number of SPIs: room for the UART, the test device's lines 64..95
 * and 32 free ones above them for software-pended tests. */
#define VM_DEFAULT_SPIS 96u

#endif
