// SPDX-License-Identifier: MIT
/* Exceptions the programs never expect: report where and why, then stop with a failure. */
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "uart.h"

struct frame {
	u64 x[31];
	u64 elr;
	u64 spsr;
	u64 pad;
};

void sync_entry(struct frame *f) __noreturn;
void bad_entry(struct frame *f, u64 kind) __noreturn;

void sync_entry(struct frame *f)
{
	u64 esr = read_sysreg(esr_el1), far = read_sysreg(far_el1);

	printf("EXCEPTION on cpu%d: synchronous, ESR_EL1 %lx (EC 0x%lx), ELR_EL1 %lx, FAR_EL1 %lx, "
	       "SPSR %lx, lr %lx, sp %lx\n",
	       this_cpu(), esr, esr >> 26, f->elr, far, f->spsr, f->x[30], (u64)f + sizeof(*f));
	test_fatal("unexpected synchronous exception");
}

void bad_entry(struct frame *f, u64 kind)
{
	static const char *const names[] = { "synchronous", "IRQ", "FIQ", "SError" };

	printf("EXCEPTION on cpu%d: unexpected %s from vector slot %lu, ESR_EL1 %lx, ELR_EL1 %lx\n",
	       this_cpu(), names[kind & 3], kind, read_sysreg(esr_el1), f->elr);
	test_fatal("unexpected exception");
}
