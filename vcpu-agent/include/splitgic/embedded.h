/* SPDX-License-Identifier: MIT */
/*
 * Embedded mode (docs/embedded.md): instead of attaching to gicd-server
 * (sg_vm_connect), the VM's GICD and ITS accesses, device inputs and bus
 * messages go straight to an in-process host implementing
 * struct sg_embedded_ops, e.g. gicd-server's core wrapped by
 * gicd-server/embedded.h:
 *
 *     gicd_embedded_create(sg_vm_shape(vm), ram, nr_ram, &host, err, errlen);
 *     sg_vm_attach_embedded(vm, gicd_embedded_ops(), host);
 *     ... run the VM ...
 *     sg_vm_disconnect(vm);
 *     gicd_embedded_destroy(host);
 *
 * Everything else (the run loop, device calls, counters) is unchanged.  A
 * comparison mode for benchmarks: nothing survives a crash of the host.
 */
#ifndef SPLITGIC_EMBEDDED_H
#define SPLITGIC_EMBEDDED_H

#include "embedded_ops.h"
#include "splitgic/agent.h"

/*
 * Routes the VM to host through ops and starts the bus thread, which
 * applies what the host queues for the redistributors and hands it what
 * the vCPUs report.  Before any vCPU runs; host must outlive the
 * attachment.  Returns 0, -EINVAL (incomplete ops), -EISCONN (already
 * attached or connected) or another negative errno.  sg_vm_disconnect()
 * detaches.
 */
int sg_vm_attach_embedded(struct sg_vm *vm, const struct sg_embedded_ops *ops, void *host);

#endif
