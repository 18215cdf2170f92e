// SPDX-License-Identifier: MIT
#include "alloc.h"
#include "atomic.h"
#include "fdt.h"
#include "string.h"
#include "test.h"

extern char __heap_start[];
static u64 next;
static spinlock_t lock;

void *alloc_pages(u64 size, u64 align)
{
	spin_lock(&lock);
	if (!next)
		next = (u64)__heap_start;
	u64 p = ALIGN_UP(next, align);
	u64 end = machine.ram_base + machine.ram_size;
	if (p + size > end || p + size < p) {
		spin_unlock(&lock);
		test_fatal("out of memory: %lu bytes aligned %lu", size, align);
	}
	next = p + size;
	spin_unlock(&lock);
	memset((void *)p, 0, size);
	return (void *)p;
}
