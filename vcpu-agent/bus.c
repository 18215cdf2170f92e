// SPDX-License-Identifier: MIT
/*
 * The agent's end of the interrupt bus (DESIGN §2): one thread per VM that
 * applies gicd-server's messages to the redistributors and kicks their
 * vCPUs, and attaching to the daemon.  Sending (the vCPUs' outboxes, the
 * device-model calls) is bus_send.c; coming back after a daemon restart is
 * bus_restart.c.  Lock order: bus_send.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_internal.h"
#include "log.h"

#define BUS_ARENA_SIZE (256u * 1024u)
/* Datagrams the bus thread applies before it sends what the vCPUs queued
 * (SyncDone, Deactivated): keeps those prompt under a stream of MSIs. */
#define RX_BURST 64u

/* ----------------------------------------------------------- receiving */

/* Numbered daemon messages apply once: after a restart the daemon sends
 * again what this side had not acknowledged. */
static bool seen_before(struct sg_vm *vm, uint64_t seq)
{
	if (seq == 0)
		return false;
	if (seq <= vm->bus.rx_seq) {
		VM_STAT_INC(vm, SG_VM_BUS_DUPLICATES);
		return true;
	}
	vm->bus.rx_seq = seq;
	return false;
}

/* Drops the messages of a batch seen before; false if none is left. */
static bool filter_batch(struct sg_vm *vm, Sg__Batch *b)
{
	size_t k = 0;

	for (size_t i = 0; i < b->n_msgs; i++)
		if (!seen_before(vm, b->msgs[i]->seq))
			b->msgs[k++] = b->msgs[i];
	b->n_msgs = k;
	return k > 0;
}

static void send_ack(struct sg_vm *vm)
{
	Sg__Ack a = SG__ACK__INIT;
	Sg__Envelope env;

	if (vm->bus.rx_seq == vm->bus.rx_acked)
		return;
	a.seq = vm->bus.rx_seq;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_ACK;
	env.ack = &a;
	sg_bus_send_unnumbered(vm, &env);
	vm->bus.rx_acked = vm->bus.rx_seq;
}

static bool is_lpi_deliver(const Sg__Envelope *env)
{
	return env->body_case == SG__ENVELOPE__BODY_DELIVER &&
	       gic_intid_is_lpi(env->deliver->intid);
}

static void dispatch(struct sg_vm *vm, Sg__Envelope *env);

/* Messages in order; each run of LPI Delivers is applied with one lock and
 * one kick per target vCPU (lpi.c). */
void sg_bus_dispatch(struct sg_vm *vm, Sg__Envelope *const *msgs, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && is_lpi_deliver(msgs[j]))
			j++;
		if (j > i) {
			sg_lpi_deliver_many(vm, msgs + i, j - i);
			i = j;
		} else {
			dispatch(vm, msgs[i++]);
		}
	}
}

static void dispatch(struct sg_vm *vm, Sg__Envelope *env)
{
	/* Ranges (vCPUs, INTIDs: an SPI of the shape or an LPI) were checked
	 * by sg_wire_validate(). */
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_DELIVER:
		if (gic_intid_is_spi(env->deliver->intid))
			sg_spi_deliver(vm, env->deliver);
		else
			sg_lpi_deliver_many(vm, &env, 1);
		break;
	case SG__ENVELOPE__BODY_RETRACT:
		if (gic_intid_is_spi(env->retract->intid))
			sg_spi_retract(vm, env->retract);
		else
			sg_lpi_retract(vm, env->retract);
		break;
	case SG__ENVELOPE__BODY_QUERY: sg_spi_query(vm, env->query); break;
	case SG__ENVELOPE__BODY_INV: sg_lpi_inv(vm, env->inv->vcpu, env->inv->intid); break;
	case SG__ENVELOPE__BODY_INV_ALL: sg_lpi_invall(vm, env->inv_all->vcpu); break;
	case SG__ENVELOPE__BODY_SYNC: sg_lpi_sync(vm, env->sync->vcpu, env->sync->sync_id); break;
	case SG__ENVELOPE__BODY_MOVE:
		sg_lpi_move(vm, env->move->vcpu, env->move->to_vcpu, env->move->intid);
		break;
	case SG__ENVELOPE__BODY_MOV_ALL:
		sg_lpi_movall(vm, env->mov_all->vcpu, env->mov_all->to_vcpu);
		break;
	case SG__ENVELOPE__BODY_BATCH:
		sg_bus_dispatch(vm, env->batch->msgs, env->batch->n_msgs);
		break;
	case SG__ENVELOPE__BODY_DURABLE: sg_bus_on_durable(vm, env->durable->seq); break;
	case SG__ENVELOPE__BODY_RESUME: sg_bus_on_resume(vm, env->resume); break;
	default:
		VM_STAT_INC(vm, SG_VM_BUS_REJECTED);
		sg_reject_log("vcpu-agent: %s on the bus not handled",
			      sg_wire_body_name(env->body_case));
		break;
	}
}

/* Takes up to RX_BURST datagrams queued on the bus; returns false on hangup. */
static bool receive(struct sg_vm *vm)
{
	for (unsigned k = 0; k < RX_BURST; k++) {
		struct sg_arena arena;
		Sg__Envelope *env;
		const char *why;
		int fds[1];
		unsigned nfds;
		ssize_t n = sg_wire_recv_flags(vm->bus.fd, vm->bus.rx, SG_WIRE_MAX + 1, fds, 0,
					       &nfds, MSG_DONTWAIT);

		if (n == -EAGAIN)
			return true;
		if (n == 0 || n == -ECONNRESET) {
			sg_notice("vcpu-agent: gicd-server hung up the interrupt bus");
			return false;
		}
		if (n < 0) {
			if (n == -EMSGSIZE || n == -ETOOMANYREFS || n == -EBADMSG) {
				VM_STAT_INC(vm, SG_VM_BUS_REJECTED);
				continue;
			}
			sg_err("vcpu-agent: receiving on the bus: %s", strerror((int)-n));
			return false;
		}
		VM_STAT_INC(vm, SG_VM_BUS_RX);
		sg_arena_init(&arena, vm->bus.arena_buf, BUS_ARENA_SIZE);
		if (sg_wire_decode(vm->bus.rx, (size_t)n, &arena, &env) != SG_WIRE_OK ||
		    sg_wire_validate(env, SG_CHAN_BUS, SG_TO_VMM, &vm->shape, &why) != SG_WIRE_OK) {
			VM_STAT_INC(vm, SG_VM_BUS_REJECTED);
			sg_reject_log("vcpu-agent: invalid message on the bus dropped");
			continue;
		}
		if (env->body_case == SG__ENVELOPE__BODY_BATCH ? !filter_batch(vm, env->batch)
							       : seen_before(vm, env->seq))
			continue;
		dispatch(vm, env);
		/* What the datagram made the vCPUs answer leaves before the next
		 * one can fill their outboxes. */
		sg_bus_drain_outboxes(vm);
	}
	return true;
}

static void *bus_thread(void *arg)
{
	struct sg_vm *vm = arg;

	vm->bus.thread_id = pthread_self();
	while (!atomic_load(&vm->bus.stop)) {
		struct pollfd p[2] = { { .fd = vm->bus.fd, .events = POLLIN },
				       { .fd = vm->bus.wake_fd, .events = POLLIN } };
		uint64_t cnt;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			if (read(vm->bus.wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
				break;
		}
		if (atomic_load(&vm->bus.stop))
			break;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !receive(vm) &&
		    !sg_bus_reattach(vm))
			break;
		sg_bus_drain_outboxes(vm);
		send_ack(vm);
	}
	return NULL;
}

/* --------------------------------------------------------- lifecycle */

void sg_bus_ram_descs(const struct sg_vm *vm, struct sg_ram_desc *ram)
{
	for (unsigned i = 0; i < vm->nr_ram; i++)
		ram[i] = (struct sg_ram_desc){ vm->ram[i].gpa, vm->ram[i].size, vm->ram[i].fd,
					       vm->ram[i].fd_offset };
}

int sg_bus_init(struct sg_vm *vm)
{
	/* A Batch can ask every vCPU for as many replies as it has messages. */
	unsigned cap = 2 * vm->shape.nr_spis + SG_WIRE_MAX_BATCH + 64;

	vm->xport = &sg_xport_channels;
	vm->bus.fd = -1;
	vm->bus.wake_fd = -1;
	pthread_mutex_init(&vm->bus.tx_lock, NULL);
	pthread_cond_init(&vm->bus.log_room, NULL);
	if (replay_log_init(&vm->bus.log, BUS_LOG_SIZE) < 0)
		return -ENOMEM;
	vm->bus.rx = malloc(SG_WIRE_MAX + 1 + BUS_ARENA_SIZE);
	if (!vm->bus.rx)
		return -ENOMEM;
	vm->bus.arena_buf = vm->bus.rx + SG_WIRE_MAX + 1;
	vm->bus.msi = calloc(SG_WIRE_MAX_BATCH, sizeof(*vm->bus.msi));
	vm->bus.msi_ptr = calloc(SG_WIRE_MAX_BATCH, sizeof(*vm->bus.msi_ptr));
	if (!vm->bus.msi || !vm->bus.msi_ptr)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
		struct sg_vcpu *v = &vm->vcpus[i];

		v->spis = calloc(vm->shape.nr_spis, sizeof(*v->spis));
		v->outbox.rec = calloc(cap, sizeof(*v->outbox.rec));
		if (!v->spis || !v->outbox.rec)
			return -ENOMEM;
		v->outbox.cap = cap;
		for (unsigned s = 0; s < vm->shape.nr_spis; s++) {
			struct sg_irq *irq = &v->spis[s];

			sg_list_init(&irq->ap);
			irq->intid = GIC_SPI_BASE + s;
			irq->lr = -1;
			irq->group1 = true;
		}
	}
	return 0;
}

void sg_bus_fini(struct sg_vm *vm)
{
	sg_vm_disconnect(vm);
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
		free(vm->vcpus[i].spis);
		free(vm->vcpus[i].outbox.rec);
	}
	free(vm->bus.rx);
	free(vm->bus.msi);
	free(vm->bus.msi_ptr);
	replay_log_fini(&vm->bus.log);
	free(vm->bus.control_path);
	free(vm->bus.vm_name);
	pthread_cond_destroy(&vm->bus.log_room);
	pthread_mutex_destroy(&vm->bus.tx_lock);
}

int sg_bus_start(struct sg_vm *vm, void *(*thread)(void *))
{
	int rc;

	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
		struct sg_vcpu *v = &vm->vcpus[i];

		/* Tell 1-of-N routing where every vCPU stands from the start. */
		pthread_mutex_lock(&v->lock);
		v->cpu_state_sent = 0;
		sg_bus_cpu_state_locked(v);
		pthread_mutex_unlock(&v->lock);
	}
	atomic_store(&vm->bus.stop, false);
	rc = pthread_create(&vm->bus.thread, NULL, thread, vm);
	if (rc) {
		sg_vm_disconnect(vm);
		return -rc;
	}
	vm->bus.thread_running = true;
	sg_bus_wake(vm);
	return 0;
}

int sg_vm_connect(struct sg_vm *vm, const char *control_socket, const char *vm_name, char *err,
		  size_t errlen)
{
	struct sg_ram_desc ram[SG_MAX_RAM_REGIONS];
	struct sg_attachment *att;
	int rc;

	if (vm->bus.att || vm->bus.emb_ops)
		return -EISCONN;
	att = calloc(1, sizeof(*att));
	if (!att)
		return -ENOMEM;
	sg_bus_ram_descs(vm, ram);
	rc = sg_attach(control_socket, vm_name, &vm->shape, ram, vm->nr_ram, NULL, 0,
		       ATTACH_TIMEOUT_MS, att, err, errlen);
	if (rc < 0) {
		free(att);
		return rc;
	}
	vm->bus.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->bus.wake_fd < 0) {
		rc = -errno;
		sg_attachment_close(att);
		free(att);
		return rc;
	}
	vm->bus.att = att;
	vm->bus.fd = att->bus_fd;
	free(vm->bus.control_path);
	free(vm->bus.vm_name);
	vm->bus.control_path = strdup(control_socket);
	vm->bus.vm_name = strdup(vm_name ? vm_name : "");
	vm->bus.rx_seq = vm->bus.rx_acked = 0;
	vm->bus.tx_seq = att->applied_seq[vm->shape.nr_vcpus];
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
		struct sg_vcpu *v = &vm->vcpus[i];

		sg_vcpu_set_mmio_channel(v, att->mmio_fd[i]);
		v->chan.reattached = true;
	}
	return sg_bus_start(vm, bus_thread);
}

void sg_vm_disconnect(struct sg_vm *vm)
{
	if (vm->bus.thread_running) {
		uint64_t one = 1;

		atomic_store(&vm->bus.stop, true);
		if (write(vm->bus.wake_fd, &one, sizeof(one)) < 0)
			sg_warn("vcpu-agent: stopping the bus thread: %s", strerror(errno));
		pthread_join(vm->bus.thread, NULL);
		vm->bus.thread_running = false;
	}
	if (vm->bus.att) {
		for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
			vm->vcpus[i].chan.reattached = false;
			sg_vcpu_set_mmio_channel(&vm->vcpus[i], -1);
		}
		pthread_mutex_lock(&vm->bus.tx_lock);
		vm->bus.fd = -1;
		pthread_mutex_unlock(&vm->bus.tx_lock);
		sg_attachment_close(vm->bus.att);
		free(vm->bus.att);
		vm->bus.att = NULL;
	}
	if (vm->bus.emb_ops)
		sg_embedded_detach(vm);
	if (vm->bus.wake_fd >= 0) {
		close(vm->bus.wake_fd);
		vm->bus.wake_fd = -1;
	}
}

uint64_t sg_vm_stat(const struct sg_vm *vm, enum sg_vm_stat s)
{
	if ((unsigned)s >= SG_VM_NR_STATS)
		return 0;
	return atomic_load_explicit(&vm->bus.stats[s], memory_order_relaxed);
}
