// SPDX-License-Identifier: MIT
#include "irq.h"
#include "barrier.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"

struct irq_stats irq_stats[MAX_CPUS];
static irq_handler_t handler;

void irq_set_handler(irq_handler_t h)
{
	handler = h;
	dsb(ish);
}

u32 gic_ack(void)
{
	u32 iar = (u32)read_sysreg(ICC_IAR1_EL1);

	/* The acknowledge must complete before the handler's side effects. */
	dsb(sy);
	return iar;
}

void gic_eoi(u32 iar)
{
	write_sysreg(ICC_EOIR1_EL1, iar);
	isb();
}

void gic_dir(u32 iar)
{
	write_sysreg(ICC_DIR_EL1, iar);
	isb();
}

void irq_entry(void)
{
	struct irq_stats *st = &irq_stats[this_cpu()];

	if (++st->depth > st->max_depth)
		st->max_depth = st->depth;
	for (int n = 0; n < 16; n++) {
		u32 iar = gic_ack();
		u32 intid = ICC_IAR_INTID(iar);

		if (intid >= 1020 && intid <= 1023) {
			if (n == 0)
				st->spurious++;
			break;
		}
		st->taken++;
		enum irq_ret r = IRQ_EOI;
		if (handler)
			r = handler(intid, iar);
		else
			check(false, "interrupt %u with no handler installed", intid);
		if (r == IRQ_EOI) {
			gic_eoi(iar);
			if (read_sysreg(ICC_CTLR_EL1) & ICC_CTLR_EOIMODE)
				gic_dir(iar);
		}
	}
	st->depth--;
	/* Wake CPUs waiting in WFE for what the handler changed. */
	sev();
}
