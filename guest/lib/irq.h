/* SPDX-License-Identifier: MIT */
/* IRQ dispatch: the vector calls irq_entry(), which acknowledges and calls the program's handler.
 */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H

#include "fdt.h"
#include "types.h"

/* What a handler returns: whether the runtime still has to end the interrupt. */
enum irq_ret {
	IRQ_EOI,  /* runtime writes ICC_EOIR1_EL1 (and ICC_DIR_EL1 if EOImode is 1) */
	IRQ_DONE, /* handler already did whatever ending it wanted */
};

typedef enum irq_ret (*irq_handler_t)(u32 intid, u32 iar);

struct irq_stats {
	u32 taken;    /* interrupts acknowledged */
	u32 spurious; /* IRQ exceptions whose first IAR read was 1023 */
	u32 depth;    /* current nesting */
	u32 max_depth;
} __aligned(64);

extern struct irq_stats irq_stats[MAX_CPUS];

void irq_set_handler(irq_handler_t h);
/* Called by the exception vector with IRQs masked. */
void irq_entry(void);
void gic_eoi(u32 iar);
void gic_dir(u32 iar);
u32 gic_ack(void);

#endif
