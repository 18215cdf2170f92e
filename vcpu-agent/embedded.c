// SPDX-License-Identifier: MIT
/*
 * Embedded mode, the agent's side (docs/embedded.md): the transport that
 * calls an in-process distributor/ITS host (common/embedded_ops.h) instead
 * of gicd-server's channels, and the bus thread that applies what the host
 * queues for the redistributors.
 *
 * What stays as in the split mode: the bus thread is the only thread that
 * applies the distributor's messages (spi.c and lpi.c rely on one applier
 * in bus order), the vCPUs' reports still leave through their outboxes
 * (a vCPU never calls the host from flush or sync), and the wake-up is the
 * same eventfd.  What goes: sockets, packing, sequence numbers, the replay
 * log, Durable/Ack/Resume.
 *
 * Lock order: vCPU locks (one at a time) are never held while calling the
 * host; bus.tx_lock may be (device inputs and outbox records are sent under
 * it, as in the split mode), so the host's lock comes after tx_lock.  The
 * bus thread calls take() and applies the messages with no host lock held,
 * which is what lets spi.c/lpi.c wait for a vCPU to leave the guest
 * (sg_vcpu_hold) while other vCPUs wait for the host's lock.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent_internal.h"
#include "log.h"
#include "splitgic/embedded.h"

/* ------------------------------------------------------------ transport */

static int emb_mmio_call(struct sg_vcpu *v, uint64_t addr, unsigned size, bool write,
			 uint64_t *data)
{
	struct sg_bus *b = &v->vm->bus;
	struct sg_mmio_msg m;

	if (!b->emb_ops)
		return -ENOTCONN;
	sg_mmio_msg(&m, addr, size, write, false, write ? *data : 0);
	return b->emb_ops->call(b->emb_host, v->idx, &m.mmio, data);
}

/* A message from vCPU v that needs no answer, as on its MMIO channel. */
static int emb_vcpu_input(struct sg_vcpu *v, Sg__Envelope *env)
{
	struct sg_bus *b = &v->vm->bus;

	if (!b->emb_ops)
		return -ENOTCONN;
	b->emb_ops->input(b->emb_host, v->idx, env);
	return 0;
}

static int emb_mmio_post(struct sg_vcpu *v, uint64_t addr, unsigned size, uint64_t data)
{
	struct sg_mmio_msg m;

	return emb_vcpu_input(v, sg_mmio_msg(&m, addr, size, true, true, data));
}

static int emb_mmio_msi(struct sg_vcpu *v, uint32_t its, uint32_t device_id, uint32_t event_id)
{
	struct sg_msi_msg m;

	return emb_vcpu_input(v, sg_msi_msg(&m, its, device_id, event_id));
}

/* Device inputs and outbox records: applied by the host before it returns,
 * so there is nothing to number or keep.  tx_lock held. */
static int emb_bus_send_locked(struct sg_vm *vm, Sg__Envelope *env)
{
	if (!vm->bus.emb_ops)
		return -ENOTCONN;
	VM_STAT_INC(vm, SG_VM_BUS_TX);
	vm->bus.emb_ops->input(vm->bus.emb_host, vm->shape.nr_vcpus, env);
	return 0;
}

const struct sg_xport sg_xport_embedded = {
	.mmio_call = emb_mmio_call,
	.mmio_post = emb_mmio_post,
	.mmio_msi = emb_mmio_msi,
	.bus_send_locked = emb_bus_send_locked,
};

/* ----------------------------------------------------------- bus thread */

/* The host queued messages: the same wake-up as the vCPUs' outboxes. */
static void emb_notify(void *arg)
{
	sg_bus_wake(arg);
}

/*
 * Applies what the host queued, checked against the shape as the split
 * mode checks the daemon's datagrams (a core bug must not become an
 * out-of-range index here), then sends what that made the vCPUs answer.
 * Until the host has nothing more: an answer can produce new messages
 * (a Deactivated re-delivers a level SPI whose line is still high).
 */
static void emb_pump(struct sg_vm *vm)
{
	const struct sg_embedded_ops *ops = vm->bus.emb_ops;

	for (;;) {
		Sg__Envelope *const *msgs;
		Sg__Envelope *ok[SG_EMBEDDED_TAKE_MAX];
		size_t n, k = 0;

		/* Cleared before looking, so a notify after the look wakes us. */
		atomic_store(&vm->bus.wake_pending, false);
		n = ops->take(vm->bus.emb_host, &msgs);
		if (n > SG_EMBEDDED_TAKE_MAX)
			n = SG_EMBEDDED_TAKE_MAX;
		for (size_t i = 0; i < n; i++) {
			const char *why;

			if (sg_wire_validate(msgs[i], SG_CHAN_BUS, SG_TO_VMM, &vm->shape, &why) ==
			    SG_WIRE_OK) {
				ok[k++] = msgs[i];
				continue;
			}
			VM_STAT_INC(vm, SG_VM_BUS_REJECTED);
			sg_reject_log(
				"vcpu-agent: invalid %s from the embedded distributor dropped: %s",
				sg_wire_body_name(msgs[i]->body_case), why);
		}
		if (n)
			VM_STAT_INC(vm, SG_VM_BUS_RX);
		sg_bus_dispatch(vm, ok, k);
		sg_bus_drain_outboxes(vm);
		if (!n || atomic_load(&vm->bus.stop))
			return;
	}
}

static void *emb_bus_thread(void *arg)
{
	struct sg_vm *vm = arg;

	vm->bus.thread_id = pthread_self();
	while (!atomic_load(&vm->bus.stop)) {
		struct pollfd p = { .fd = vm->bus.wake_fd, .events = POLLIN };
		uint64_t cnt;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if ((p.revents & POLLIN) && read(vm->bus.wake_fd, &cnt, sizeof(cnt)) < 0 &&
		    errno != EAGAIN)
			break;
		if (atomic_load(&vm->bus.stop))
			break;
		emb_pump(vm);
	}
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

int sg_vm_attach_embedded(struct sg_vm *vm, const struct sg_embedded_ops *ops, void *host)
{
	if (!vm || !ops || !ops->bind || !ops->input || !ops->call || !ops->take)
		return -EINVAL;
	if (vm->bus.att || vm->bus.emb_ops)
		return -EISCONN;
	vm->bus.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->bus.wake_fd < 0)
		return -errno;
	vm->bus.emb_ops = ops;
	vm->bus.emb_host = host;
	vm->xport = &sg_xport_embedded;
	ops->bind(host, emb_notify, vm);
	return sg_bus_start(vm, emb_bus_thread);
}

void sg_embedded_detach(struct sg_vm *vm)
{
	vm->bus.emb_ops->bind(vm->bus.emb_host, NULL, NULL);
	vm->bus.emb_ops = NULL;
	vm->bus.emb_host = NULL;
	vm->xport = &sg_xport_channels;
}
