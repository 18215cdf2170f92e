/* SPDX-License-Identifier: MIT */
/*
 * The VMM's devices behind their models: the PL011's interrupt line and
 * the test device's lines and MSIs go to the agent's device-model API
 * (sg_vm_set_spi_level, sg_vm_signal_spi_edge, sg_vm_signal_msi), with the
 * raise time recorded for the latency figures.
 */
#ifndef SGVM_DEVICES_H
#define SGVM_DEVICES_H

#include <stddef.h>

#include "vmm.h"

/* Returns 0, or -1 with a reason in err. */
int devices_init(struct vmm *m, char *err, size_t errlen);
/* Starts the device threads (UART input, stream generator). */
int devices_start(struct vmm *m);
/* Stops the threads; call before the GIC goes away. */
void devices_fini(struct vmm *m);

#endif
