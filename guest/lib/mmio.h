/* SPDX-License-Identifier: MIT */
/* Device register accessors: single-copy-atomic loads and stores. */
#ifndef GUEST_MMIO_H
#define GUEST_MMIO_H

#include "types.h"

static inline u8 readb(u64 addr)
{
	u8 v;
	asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u32 readl(u64 addr)
{
	u32 v;
	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u64 readq(u64 addr)
{
	u64 v;
	asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void writeb(u64 addr, u8 v)
{
	asm volatile("strb %w0, [%1]" ::"rZ"(v), "r"(addr) : "memory");
}

static inline void writel(u64 addr, u32 v)
{
	asm volatile("str %w0, [%1]" ::"rZ"(v), "r"(addr) : "memory");
}

static inline void writeq(u64 addr, u64 v)
{
	asm volatile("str %x0, [%1]" ::"rZ"(v), "r"(addr) : "memory");
}

#endif
