// SPDX-License-Identifier: MIT
/*
 * The agent's end of the interrupt bus (DESIGN §2): one thread per VM that
 * applies gicd-server's messages to the redistributors and sends what the
 * vCPUs left in their outboxes, plus the device-model calls and attaching.
 *
 * Lock order: vCPU locks (one at a time) are never held while taking
 * bus.tx_lock; tx_lock is held only around assigning sequence numbers and
 * sending (and building a batch of MSIs in the VM's preallocated messages),
 * so the numbers follow the socket order.  The vCPU threads never
 * take tx_lock on their entry/exit path: sync queues Deactivated and
 * CpuState in the vCPU's outbox (its own lock) and the bus thread sends.
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

#define BUS_ARENA_SIZE	  (256u * 1024u)
#define ATTACH_TIMEOUT_MS 5000
/* Datagrams the bus thread applies before it sends what the vCPUs queued
 * (SyncDone, Deactivated): keeps those prompt under a stream of MSIs. */
#define RX_BURST 64u

/* ------------------------------------------------------------ outboxes */

void sg_bus_post_locked(struct sg_vcpu *v, const struct bus_rec *rec)
{
	struct bus_outbox *o = &v->outbox;

	if (o->count == o->cap) {
		/* Sized for every SPI twice over; reaching it means the bus
		 * thread is stuck.  Keep the newest state-changing records. */
		sg_reject_log("vCPU %u: bus outbox full, oldest message dropped", v->idx);
		o->head = (o->head + 1) % o->cap;
		o->count--;
	}
	o->rec[(o->head + o->count) % o->cap] = *rec;
	o->count++;
}

void sg_bus_wake(struct sg_vm *vm)
{
	uint64_t one = 1;

	if (vm->bus.wake_fd < 0 || atomic_exchange(&vm->bus.wake_pending, true))
		return;
	if (write(vm->bus.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		sg_warn("vcpu-agent: waking the bus thread: %s", strerror(errno));
}

void sg_bus_cpu_state_locked(struct sg_vcpu *v)
{
	uint32_t vmcr = sg_cpuif_read_vmcr(&v->cpuif);
	uint8_t st = CPU_STATE_VALID;
	struct bus_rec r = { .kind = BUS_REC_CPU_STATE };

	if (vmcr & ICH_VMCR_ENG0)
		st |= CPU_STATE_GRP0;
	if (vmcr & ICH_VMCR_ENG1)
		st |= CPU_STATE_GRP1;
	if (v->rd.proc_sleep)
		st |= CPU_STATE_ASLEEP;
	if (st == v->cpu_state_sent)
		return;
	v->cpu_state_sent = st;
	r.a = st & CPU_STATE_GRP0;
	r.b = st & CPU_STATE_GRP1;
	r.c = st & CPU_STATE_ASLEEP;
	sg_bus_post_locked(v, &r);
}

/* ------------------------------------------------------------- sending */

/* Sends one envelope with the next sequence number.  tx_lock held. */
static int send_locked(struct sg_vm *vm, Sg__Envelope *env)
{
	unsigned char buf[SG_WIRE_MAX];
	ssize_t len;
	int rc;

	if (vm->bus.fd < 0)
		return -ENOTCONN;
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		for (size_t i = 0; i < env->batch->n_msgs; i++)
			env->batch->msgs[i]->seq = vm->bus.tx_seq + 1 + i;
	} else {
		env->seq = vm->bus.tx_seq + 1;
	}
	len = sg_wire_pack(env, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	rc = sg_wire_send_raw(vm->bus.fd, buf, (size_t)len, NULL, 0);
	if (rc < 0)
		return rc;
	vm->bus.tx_seq += env->body_case == SG__ENVELOPE__BODY_BATCH ? env->batch->n_msgs : 1;
	VM_STAT_INC(vm, SG_VM_BUS_TX);
	return 0;
}

static int send_one(struct sg_vm *vm, Sg__Envelope *env)
{
	int rc;

	pthread_mutex_lock(&vm->bus.tx_lock);
	rc = send_locked(vm, env);
	pthread_mutex_unlock(&vm->bus.tx_lock);
	return rc;
}

/* Storage for one outbox record turned into a bus message. */
struct rec_msg {
	Sg__Envelope env;
	union {
		Sg__Deactivated deactivated;
		Sg__QueryReply query_reply;
		Sg__CpuState cpu_state;
		Sg__SyncDone sync_done;
	} u;
};

static void rec_to_msg(unsigned vcpu, const struct bus_rec *r, struct rec_msg *m)
{
	sg_envelope_init(&m->env);
	switch (r->kind) {
	case BUS_REC_DEACTIVATED:
		sg__deactivated__init(&m->u.deactivated);
		m->u.deactivated.vcpu = vcpu;
		m->u.deactivated.intid = r->intid;
		m->u.deactivated.gen = r->gen;
		m->u.deactivated.returned_latch = r->a;
		m->env.body_case = SG__ENVELOPE__BODY_DEACTIVATED;
		m->env.deactivated = &m->u.deactivated;
		break;
	case BUS_REC_QUERY_REPLY:
		sg__query_reply__init(&m->u.query_reply);
		m->u.query_reply.vcpu = vcpu;
		m->u.query_reply.intid = r->intid;
		m->u.query_reply.query_id = r->id;
		m->u.query_reply.pending = r->a;
		m->u.query_reply.active = r->b;
		m->env.body_case = SG__ENVELOPE__BODY_QUERY_REPLY;
		m->env.query_reply = &m->u.query_reply;
		break;
	case BUS_REC_SYNC_DONE:
		sg__sync_done__init(&m->u.sync_done);
		m->u.sync_done.vcpu = vcpu;
		m->u.sync_done.sync_id = r->id;
		m->env.body_case = SG__ENVELOPE__BODY_SYNC_DONE;
		m->env.sync_done = &m->u.sync_done;
		break;
	default:
		sg__cpu_state__init(&m->u.cpu_state);
		m->u.cpu_state.vcpu = vcpu;
		m->u.cpu_state.grp0_enabled = r->a;
		m->u.cpu_state.grp1_enabled = r->b;
		m->u.cpu_state.asleep = r->c;
		m->env.body_case = SG__ENVELOPE__BODY_CPU_STATE;
		m->env.cpu_state = &m->u.cpu_state;
		break;
	}
}

/* The bus thread: sends every outbox's records, a batch per vCPU turn. */
static void drain_outboxes(struct sg_vm *vm)
{
	static __thread struct rec_msg msgs[SG_WIRE_MAX_BATCH];
	static __thread Sg__Envelope *ptrs[SG_WIRE_MAX_BATCH];
	struct bus_rec recs[SG_WIRE_MAX_BATCH];

	atomic_store(&vm->bus.wake_pending, false);
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
		struct sg_vcpu *v = &vm->vcpus[i];

		for (;;) {
			unsigned n = 0;
			Sg__Batch batch = SG__BATCH__INIT;
			Sg__Envelope env;
			int rc;

			pthread_mutex_lock(&v->lock);
			while (v->outbox.count && n < SG_WIRE_MAX_BATCH) {
				recs[n++] = v->outbox.rec[v->outbox.head];
				v->outbox.head = (v->outbox.head + 1) % v->outbox.cap;
				v->outbox.count--;
			}
			pthread_mutex_unlock(&v->lock);
			if (!n)
				break;
			for (unsigned k = 0; k < n; k++) {
				rec_to_msg(i, &recs[k], &msgs[k]);
				ptrs[k] = &msgs[k].env;
				if (recs[k].kind == BUS_REC_DEACTIVATED)
					VM_STAT_INC(vm, SG_VM_SPI_DEACTIVATED);
			}
			if (n == 1) {
				rc = send_one(vm, ptrs[0]);
			} else {
				batch.n_msgs = n;
				batch.msgs = ptrs;
				sg_envelope_init(&env);
				env.body_case = SG__ENVELOPE__BODY_BATCH;
				env.batch = &batch;
				rc = send_one(vm, &env);
			}
			if (rc < 0) {
				sg_err("vcpu-agent: sending on the bus: %s", strerror(-rc));
				return;
			}
		}
	}
}

/* ----------------------------------------------------------- receiving */

static bool is_lpi_deliver(const Sg__Envelope *env)
{
	return env->body_case == SG__ENVELOPE__BODY_DELIVER &&
	       gic_intid_is_lpi(env->deliver->intid);
}

static void dispatch(struct sg_vm *vm, Sg__Envelope *env);

/* A Batch in order; each run of LPI Delivers is applied with one lock and
 * one kick per target vCPU (lpi.c). */
static void dispatch_batch(struct sg_vm *vm, const Sg__Batch *b)
{
	size_t i = 0;

	while (i < b->n_msgs) {
		size_t j = i;

		while (j < b->n_msgs && is_lpi_deliver(b->msgs[j]))
			j++;
		if (j > i) {
			sg_lpi_deliver_many(vm, b->msgs + i, j - i);
			i = j;
		} else {
			dispatch(vm, b->msgs[i++]);
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
	case SG__ENVELOPE__BODY_BATCH: dispatch_batch(vm, env->batch); break;
	case SG__ENVELOPE__BODY_DURABLE:
	case SG__ENVELOPE__BODY_RESUME: break;
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
		if (n == 0) {
			sg_err("vcpu-agent: gicd-server hung up the interrupt bus");
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
		dispatch(vm, env);
	}
	return true;
}

static void *bus_thread(void *arg)
{
	struct sg_vm *vm = arg;

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
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !receive(vm))
			break;
		drain_outboxes(vm);
	}
	return NULL;
}

/* --------------------------------------------------------- lifecycle */

int sg_bus_init(struct sg_vm *vm)
{
	unsigned cap = 2 * vm->shape.nr_spis + 64;

	vm->bus.fd = -1;
	vm->bus.wake_fd = -1;
	pthread_mutex_init(&vm->bus.tx_lock, NULL);
	vm->bus.rx = malloc(SG_WIRE_MAX + 1 + BUS_ARENA_SIZE);
	if (!vm->bus.rx)
		return -ENOMEM;
	vm->bus.arena_buf = vm->bus.rx + SG_WIRE_MAX + 1;
	vm->bus.msi_env = calloc(SG_WIRE_MAX_BATCH, sizeof(*vm->bus.msi_env));
	vm->bus.msi = calloc(SG_WIRE_MAX_BATCH, sizeof(*vm->bus.msi));
	vm->bus.msi_ptr = calloc(SG_WIRE_MAX_BATCH, sizeof(*vm->bus.msi_ptr));
	if (!vm->bus.msi_env || !vm->bus.msi || !vm->bus.msi_ptr)
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
	free(vm->bus.msi_env);
	free(vm->bus.msi);
	free(vm->bus.msi_ptr);
	pthread_mutex_destroy(&vm->bus.tx_lock);
}

int sg_vm_connect(struct sg_vm *vm, const char *control_socket, const char *vm_name, char *err,
		  size_t errlen)
{
	struct sg_ram_desc ram[SG_MAX_RAM_REGIONS];
	struct sg_attachment *att;
	int rc;

	if (vm->bus.att)
		return -EISCONN;
	att = calloc(1, sizeof(*att));
	if (!att)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->nr_ram; i++)
		ram[i] = (struct sg_ram_desc){ vm->ram[i].gpa, vm->ram[i].size, vm->ram[i].fd,
					       vm->ram[i].fd_offset };
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
	vm->bus.tx_seq = att->applied_seq[vm->shape.nr_vcpus];
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
		struct sg_vcpu *v = &vm->vcpus[i];

		sg_vcpu_set_mmio_channel(v, att->mmio_fd[i]);
		/* Tell 1-of-N routing where every vCPU stands from the start. */
		pthread_mutex_lock(&v->lock);
		v->cpu_state_sent = 0;
		sg_bus_cpu_state_locked(v);
		pthread_mutex_unlock(&v->lock);
	}
	atomic_store(&vm->bus.stop, false);
	rc = pthread_create(&vm->bus.thread, NULL, bus_thread, vm);
	if (rc) {
		sg_vm_disconnect(vm);
		return -rc;
	}
	vm->bus.thread_running = true;
	sg_bus_wake(vm);
	return 0;
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
		for (unsigned i = 0; i < vm->shape.nr_vcpus; i++)
			sg_vcpu_set_mmio_channel(&vm->vcpus[i], -1);
		pthread_mutex_lock(&vm->bus.tx_lock);
		vm->bus.fd = -1;
		pthread_mutex_unlock(&vm->bus.tx_lock);
		sg_attachment_close(vm->bus.att);
		free(vm->bus.att);
		vm->bus.att = NULL;
	}
	if (vm->bus.wake_fd >= 0) {
		close(vm->bus.wake_fd);
		vm->bus.wake_fd = -1;
	}
}

/* ------------------------------------------------------- device models */

static bool spi_ok(const struct sg_vm *vm, uint32_t intid)
{
	return intid >= GIC_SPI_BASE && intid - GIC_SPI_BASE < vm->shape.nr_spis;
}

static int send_line(struct sg_vm *vm, uint32_t intid, bool level, bool pulse)
{
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Envelope env;
	int rc;

	if (!spi_ok(vm, intid))
		return -EINVAL;
	l.intid = intid;
	l.level = level;
	l.pulse = pulse;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
	env.spi_level = &l;
	rc = send_one(vm, &env);
	if (rc == 0)
		VM_STAT_INC(vm, SG_VM_DEVICE_LINES);
	return rc;
}

int sg_vm_set_spi_level(struct sg_vm *vm, uint32_t intid, bool level)
{
	return send_line(vm, intid, level, false);
}

int sg_vm_signal_spi_edge(struct sg_vm *vm, uint32_t intid)
{
	return send_line(vm, intid, false, true);
}

int sg_vm_signal_msi(struct sg_vm *vm, uint32_t its, uint32_t device_id, uint32_t event_id)
{
	Sg__Msi m = SG__MSI__INIT;
	Sg__Envelope env;
	int rc;

	if (its >= vm->shape.map.nr_its)
		return -EINVAL;
	m.its = its;
	m.device_id = device_id;
	m.event_id = event_id;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MSI;
	env.msi = &m;
	rc = send_one(vm, &env);
	if (rc == 0)
		VM_STAT_INC(vm, SG_VM_DEVICE_MSIS);
	return rc;
}

/*
 * One datagram of n (<= SG_WIRE_MAX_BATCH) MSIs.  An Msi envelope packs to
 * at most ~40 bytes (version, a 64-bit seq, three 32-bit fields and their
 * tags), so a full batch stays well below SG_WIRE_MAX.  tx_lock held.
 */
static int send_msi_batch_locked(struct sg_vm *vm, uint32_t its, uint32_t device_id,
				 const uint32_t *events, unsigned n)
{
	Sg__Batch batch = SG__BATCH__INIT;
	Sg__Envelope env;

	for (unsigned i = 0; i < n; i++) {
		Sg__Msi *m = &vm->bus.msi[i];

		sg__msi__init(m);
		m->its = its;
		m->device_id = device_id;
		m->event_id = events[i];
		sg_envelope_init(&vm->bus.msi_env[i]);
		vm->bus.msi_env[i].body_case = SG__ENVELOPE__BODY_MSI;
		vm->bus.msi_env[i].msi = m;
		vm->bus.msi_ptr[i] = &vm->bus.msi_env[i];
	}
	if (n == 1)
		return send_locked(vm, &vm->bus.msi_env[0]);
	batch.n_msgs = n;
	batch.msgs = vm->bus.msi_ptr;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_BATCH;
	env.batch = &batch;
	return send_locked(vm, &env);
}

int sg_vm_signal_msis(struct sg_vm *vm, uint32_t its, uint32_t device_id, const uint32_t *events,
		      unsigned n)
{
	int rc = 0;

	if (its >= vm->shape.map.nr_its || (n && !events))
		return -EINVAL;
	while (n && rc == 0) {
		unsigned k = n < SG_WIRE_MAX_BATCH ? n : SG_WIRE_MAX_BATCH;

		pthread_mutex_lock(&vm->bus.tx_lock);
		rc = send_msi_batch_locked(vm, its, device_id, events, k);
		pthread_mutex_unlock(&vm->bus.tx_lock);
		if (rc == 0) {
			atomic_fetch_add_explicit(&vm->bus.stats[SG_VM_DEVICE_MSIS], k,
						  memory_order_relaxed);
			if (k > 1)
				VM_STAT_INC(vm, SG_VM_MSI_BATCHES);
		}
		events += k;
		n -= k;
	}
	return rc;
}

uint64_t sg_vm_stat(const struct sg_vm *vm, enum sg_vm_stat s)
{
	if ((unsigned)s >= SG_VM_NR_STATS)
		return 0;
	return atomic_load_explicit(&vm->bus.stats[s], memory_order_relaxed);
}
