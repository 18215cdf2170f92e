// SPDX-License-Identifier: MIT
/*
 * Sending on the interrupt bus: the vCPUs' outboxes (queued under their own
 * lock on the entry/exit path, sent by the bus thread), numbering and the
 * replay log every numbered message stays in until the daemon says it is
 * durable, and the device-model calls (SPI lines and edges, MSIs).
 *
 * Lock order: vCPU locks (one at a time) are never held while taking
 * bus.tx_lock; tx_lock is held only around assigning sequence numbers and
 * sending (and building a batch of MSIs in the VM's preallocated messages),
 * so the numbers follow the socket order.  The vCPU threads never
 * take tx_lock on their entry/exit path: sync queues Deactivated and
 * CpuState in the vCPU's outbox (its own lock) and the bus thread sends.
 * In embedded mode "sending" calls the in-process host, whose lock thus
 * comes after tx_lock (embedded.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_internal.h"
#include "log.h"

/* ------------------------------------------------------------ outboxes */

void sg_bus_post_locked(struct sg_vcpu *v, const struct bus_rec *rec)
{
	struct bus_outbox *o = &v->outbox;

	if (o->count == o->cap) {
		/* Sized for a whole Batch's replies and every SPI twice over,
		 * and the bus thread drains it after each datagram: reaching it
		 * is a bug.  Said loudly; nothing better to do under the lock. */
		sg_err("vCPU %u: bus outbox full, oldest message dropped", v->idx);
		STAT_INC_ATOMIC(v, SG_STAT_BAD_INPUT);
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

/* How long a sender waits for room in the replay log before it reports a
 * daemon that stopped making anything durable, and gives up. */
#define LOG_WAIT_REPORT_S 1
#define LOG_WAIT_LIMIT_S  30

/* Waits for room in the log (the daemon's Durable trims it).  tx_lock held.
 * The bus thread itself never waits: it is the one that reads Durable. */
static int wait_log_room(struct sg_vm *vm, const void *dgram, size_t len, uint64_t first,
			 uint64_t last)
{
	int waited = 0, rc;

	while ((rc = replay_log_append(&vm->bus.log, dgram, len, first, last)) == -ENOSPC) {
		struct timespec ts;

		if (pthread_equal(pthread_self(), vm->bus.thread_id) || waited >= LOG_WAIT_LIMIT_S)
			break;
		if (waited == 0)
			VM_STAT_INC(vm, SG_VM_LOG_FULL);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += LOG_WAIT_REPORT_S;
		if (pthread_cond_timedwait(&vm->bus.log_room, &vm->bus.tx_lock, &ts) == ETIMEDOUT) {
			waited += LOG_WAIT_REPORT_S;
			sg_warn("vcpu-agent: gicd-server has made nothing durable for %d s: a bus "
				"message waits for room in the replay log",
				waited);
		}
	}
	if (rc < 0)
		sg_err("vcpu-agent: bus replay log full: a message will not survive a daemon "
		       "restart");
	return rc;
}

/*
 * Sends one envelope with the next sequence number(s), keeping it in the
 * replay log until the daemon says it is durable.  A daemon that is gone
 * (hangup) does not fail the send: the message is kept and sent again
 * after the restart.  tx_lock held.
 */
static int chan_send_locked(struct sg_vm *vm, Sg__Envelope *env)
{
	unsigned char buf[SG_WIRE_MAX];
	uint64_t first = vm->bus.tx_seq + 1, n = 1;
	ssize_t len;
	int rc;

	if (!vm->bus.att)
		return -ENOTCONN;
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		n = env->batch->n_msgs;
		for (size_t i = 0; i < n; i++)
			env->batch->msgs[i]->seq = first + i;
	} else {
		env->seq = first;
	}
	len = sg_wire_pack(env, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	wait_log_room(vm, buf, (size_t)len, first, first + n - 1);
	vm->bus.tx_seq += n;
	VM_STAT_INC(vm, SG_VM_BUS_TX);
	if (vm->bus.await_resume)
		return 0; /* in the log: sg_bus_on_resume() sends it in order */
	rc = vm->bus.fd < 0 ? -ENOTCONN : sg_wire_send_raw(vm->bus.fd, buf, (size_t)len, NULL, 0);
	if (rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN)
		return 0; /* kept: the replay after the restart delivers it */
	return rc;
}

int sg_bus_send_one(struct sg_vm *vm, Sg__Envelope *env)
{
	int rc;

	pthread_mutex_lock(&vm->bus.tx_lock);
	rc = vm->xport->bus_send_locked(vm, env);
	pthread_mutex_unlock(&vm->bus.tx_lock);
	return rc;
}

/* The split transport: gicd-server's MMIO channels and bus. */
static int chan_mmio_call(struct sg_vcpu *v, uint64_t addr, unsigned size, bool write,
			  uint64_t *data)
{
	return mmio_chan_call(&v->chan, addr, size, write, data);
}

static int chan_mmio_post(struct sg_vcpu *v, uint64_t addr, unsigned size, uint64_t data)
{
	return mmio_chan_post(&v->chan, addr, size, data);
}

static int chan_mmio_msi(struct sg_vcpu *v, uint32_t its, uint32_t device_id, uint32_t event_id)
{
	return mmio_chan_msi(&v->chan, its, device_id, event_id);
}

const struct sg_xport sg_xport_channels = {
	.mmio_call = chan_mmio_call,
	.mmio_post = chan_mmio_post,
	.mmio_msi = chan_mmio_msi,
	.bus_send_locked = chan_send_locked,
};

/* Ack and the like: not numbered, not kept. */
void sg_bus_send_unnumbered(struct sg_vm *vm, Sg__Envelope *env)
{
	pthread_mutex_lock(&vm->bus.tx_lock);
	if (vm->bus.fd >= 0)
		sg_wire_send(vm->bus.fd, env, NULL, 0);
	pthread_mutex_unlock(&vm->bus.tx_lock);
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

/* Sends one vCPU's records in order, a batch per SG_WIRE_MAX_BATCH. */
int sg_bus_send_recs(struct sg_vm *vm, unsigned vcpu, const struct bus_rec *recs, unsigned n)
{
	static __thread struct rec_msg msgs[SG_WIRE_MAX_BATCH];
	static __thread Sg__Envelope *ptrs[SG_WIRE_MAX_BATCH];

	while (n) {
		unsigned k = n < SG_WIRE_MAX_BATCH ? n : SG_WIRE_MAX_BATCH;
		Sg__Batch batch = SG__BATCH__INIT;
		Sg__Envelope env;
		int rc;

		for (unsigned j = 0; j < k; j++) {
			rec_to_msg(vcpu, &recs[j], &msgs[j]);
			ptrs[j] = &msgs[j].env;
			if (recs[j].kind == BUS_REC_DEACTIVATED)
				VM_STAT_INC(vm, SG_VM_SPI_DEACTIVATED);
		}
		if (k == 1) {
			rc = sg_bus_send_one(vm, ptrs[0]);
		} else {
			batch.n_msgs = k;
			batch.msgs = ptrs;
			sg_envelope_init(&env);
			env.body_case = SG__ENVELOPE__BODY_BATCH;
			env.batch = &batch;
			rc = sg_bus_send_one(vm, &env);
		}
		if (rc < 0)
			return rc;
		recs += k;
		n -= k;
	}
	return 0;
}

/* Takes up to max of a vCPU's records, oldest first.  v->lock held. */
unsigned sg_bus_take_recs_locked(struct sg_vcpu *v, struct bus_rec *recs, unsigned max)
{
	unsigned n = 0;

	while (v->outbox.count && n < max) {
		recs[n++] = v->outbox.rec[v->outbox.head];
		v->outbox.head = (v->outbox.head + 1) % v->outbox.cap;
		v->outbox.count--;
	}
	return n;
}

/* The bus thread: sends every outbox's records, a batch per vCPU turn. */
void sg_bus_drain_outboxes(struct sg_vm *vm)
{
	struct bus_rec recs[SG_WIRE_MAX_BATCH];

	atomic_store(&vm->bus.wake_pending, false);
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++) {
		struct sg_vcpu *v = &vm->vcpus[i];

		for (;;) {
			unsigned n;
			int rc;

			pthread_mutex_lock(&v->lock);
			n = sg_bus_take_recs_locked(v, recs, SG_WIRE_MAX_BATCH);
			pthread_mutex_unlock(&v->lock);
			if (!n)
				break;
			rc = sg_bus_send_recs(vm, i, recs, n);
			if (rc < 0) {
				sg_err("vcpu-agent: sending on the bus: %s", strerror(-rc));
				return;
			}
		}
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
	rc = sg_bus_send_one(vm, &env);
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
	struct sg_msi_msg m;
	int rc;

	if (its >= vm->shape.map.nr_its)
		return -EINVAL;
	rc = sg_bus_send_one(vm, sg_msi_msg(&m, its, device_id, event_id));
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

	for (unsigned i = 0; i < n; i++)
		vm->bus.msi_ptr[i] = sg_msi_msg(&vm->bus.msi[i], its, device_id, events[i]);
	if (n == 1)
		return vm->xport->bus_send_locked(vm, vm->bus.msi_ptr[0]);
	batch.n_msgs = n;
	batch.msgs = vm->bus.msi_ptr;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_BATCH;
	env.batch = &batch;
	return vm->xport->bus_send_locked(vm, &env);
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
