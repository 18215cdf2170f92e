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
 * In embedded mode "sending" calls the in-process host, whose lock thus
 * comes after tx_lock (embedded.c).
 */
#include <errno.h>
#include <fcntl.h>
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
#define BUS_LOG_SIZE	  (16u << 20)

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
		return 0; /* in the log: on_resume() sends it in order */
	rc = vm->bus.fd < 0 ? -ENOTCONN : sg_wire_send_raw(vm->bus.fd, buf, (size_t)len, NULL, 0);
	if (rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN)
		return 0; /* kept: the replay after the restart delivers it */
	return rc;
}

static int send_one(struct sg_vm *vm, Sg__Envelope *env)
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
static void send_unnumbered(struct sg_vm *vm, Sg__Envelope *env)
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
static int send_recs(struct sg_vm *vm, unsigned vcpu, const struct bus_rec *recs, unsigned n)
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
			rc = send_one(vm, ptrs[0]);
		} else {
			batch.n_msgs = k;
			batch.msgs = ptrs;
			sg_envelope_init(&env);
			env.body_case = SG__ENVELOPE__BODY_BATCH;
			env.batch = &batch;
			rc = send_one(vm, &env);
		}
		if (rc < 0)
			return rc;
		recs += k;
		n -= k;
	}
	return 0;
}

/* Takes up to max of a vCPU's records, oldest first.  v->lock held. */
static unsigned take_recs_locked(struct sg_vcpu *v, struct bus_rec *recs, unsigned max)
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
			n = take_recs_locked(v, recs, SG_WIRE_MAX_BATCH);
			pthread_mutex_unlock(&v->lock);
			if (!n)
				break;
			rc = send_recs(vm, i, recs, n);
			if (rc < 0) {
				sg_err("vcpu-agent: sending on the bus: %s", strerror(-rc));
				return;
			}
		}
	}
}

/* ----------------------------------------------------------- receiving */

/* ------------------------------------------------- restart (docs/restart.md) */

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
	send_unnumbered(vm, &env);
	vm->bus.rx_acked = vm->bus.rx_seq;
}

static void on_durable(struct sg_vm *vm, uint64_t seq)
{
	pthread_mutex_lock(&vm->bus.tx_lock);
	replay_log_trim(&vm->bus.log, seq);
	pthread_cond_broadcast(&vm->bus.log_room);
	pthread_mutex_unlock(&vm->bus.tx_lock);
}

static int replay_send(void *ctx, const void *dgram, size_t len)
{
	struct sg_vm *vm = ctx;
	int rc = sg_wire_send_raw(vm->bus.fd, dgram, len, NULL, 0);

	VM_STAT_INC(vm, SG_VM_REPLAYED);
	return rc == -EPIPE || rc == -ECONNRESET ? rc : 0;
}

/*
 * After a restart: every SPI a vCPU owns, for the daemon to check.  Taken
 * under the vCPU's lock together with what its outbox holds, which goes
 * first: the Resync then says exactly what the daemon has seen once it
 * applied those (a Deactivated still queued would otherwise make the daemon
 * "repair" an SPI whose hand-back is on its way, and lose its latch).
 */
static void send_resync(struct sg_vm *vm, unsigned idx, uint64_t epoch)
{
	struct sg_vcpu *v = &vm->vcpus[idx];
	Sg__OwnedSpi *own = calloc(vm->shape.nr_spis, sizeof(*own));
	Sg__OwnedSpi **ptrs = calloc(vm->shape.nr_spis, sizeof(*ptrs));
	struct bus_rec *recs = calloc(v->outbox.cap, sizeof(*recs));
	Sg__Resync r = SG__RESYNC__INIT;
	Sg__Envelope env;
	unsigned nrecs;
	size_t n = 0;
	int rc;

	if (!own || !ptrs || !recs) {
		sg_err("vcpu-agent: out of memory building vCPU %u's Resync", idx);
		goto out;
	}
	pthread_mutex_lock(&v->lock);
	nrecs = take_recs_locked(v, recs, v->outbox.cap);
	for (unsigned i = 0; i < vm->shape.nr_spis; i++) {
		const struct sg_irq *irq = &v->spis[i];

		if (!irq->on_ap_list)
			continue;
		sg__owned_spi__init(&own[n]);
		own[n].intid = irq->intid;
		own[n].gen = irq->gen;
		own[n].latch = irq->pending_latch;
		own[n].line = irq->line_level;
		own[n].active = irq->active;
		own[n].returned_latch = irq->returned_latch;
		ptrs[n] = &own[n];
		n++;
	}
	pthread_mutex_unlock(&v->lock);
	rc = send_recs(vm, idx, recs, nrecs);
	if (rc < 0)
		sg_err("vcpu-agent: sending on the bus: %s", strerror(-rc));
	r.vcpu = idx;
	r.epoch = epoch;
	r.n_spis = n;
	r.spis = ptrs;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_RESYNC;
	env.resync = &r;
	if (send_one(vm, &env) < 0)
		sg_err("vcpu-agent: cannot send vCPU %u's Resync", idx);
out:
	free(own);
	free(ptrs);
	free(recs);
}

/*
 * The daemon restarted and says how far it got on every channel: send again
 * what it has not applied (including what was logged while awaiting this),
 * then tell it what each vCPU owns (it serves no read before that, so the
 * replayed posted writes are in first).  The daemon sends its own
 * unacknowledged messages before Resume, so they are applied here already.
 */
static void on_resume(struct sg_vm *vm, const Sg__Resume *r)
{
	unsigned n = vm->shape.nr_vcpus;
	uint64_t applied = r->n_channel_applied == n + 1 ? r->channel_applied[n] : r->applied_seq;

	VM_STAT_INC(vm, SG_VM_RESUMES);
	sg_notice("vcpu-agent: gicd-server restarted (epoch %llu): sending again what it had not "
		  "applied",
		  (unsigned long long)r->epoch);
	if (r->n_channel_applied == n + 1)
		for (unsigned i = 0; i < n; i++)
			mmio_chan_resume(&vm->vcpus[i].chan, r->channel_applied[i]);
	pthread_mutex_lock(&vm->bus.tx_lock);
	replay_log_replay(&vm->bus.log, applied, replay_send, vm);
	vm->bus.await_resume = false;
	pthread_mutex_unlock(&vm->bus.tx_lock);
	for (unsigned i = 0; i < n; i++)
		send_resync(vm, i, r->epoch);
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
	case SG__ENVELOPE__BODY_DURABLE: on_durable(vm, env->durable->seq); break;
	case SG__ENVELOPE__BODY_RESUME: on_resume(vm, env->resume); break;
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

/* How long the bus thread keeps trying to re-attach to a restarted daemon,
 * and how often: from 1 ms, doubling up to 20 ms (a daemon restarted at
 * once listens within a few ms; one that takes longer is not hammered). */
#define REATTACH_LIMIT_S      60
#define REATTACH_RETRY_MAX_MS 20

/*
 * The daemon hung up and there is no fd store holding the channels: it is
 * being restarted with its --state-file.  Re-attach with the resume token;
 * the new sockets take the old fds' numbers, so the vCPU threads carry on
 * with the same fds.  The new daemon's Resume then drives the replay.
 */
static bool reattach(struct sg_vm *vm)
{
	struct sg_attachment *old = vm->bus.att, next;
	struct sg_ram_desc ram[SG_MAX_RAM_REGIONS];
	unsigned waited_ms = 0, delay_ms = 1, next_report_ms = 1000;
	char err[256];

	for (unsigned i = 0; i < vm->nr_ram; i++)
		ram[i] = (struct sg_ram_desc){ vm->ram[i].gpa, vm->ram[i].size, vm->ram[i].fd,
					       vm->ram[i].fd_offset };
	sg_notice("vcpu-agent: gicd-server hung up: re-attaching to %s", vm->bus.control_path);
	for (;;) {
		if (atomic_load(&vm->bus.stop))
			return false;
		if (sg_attach(vm->bus.control_path, vm->bus.vm_name, &vm->shape, ram, vm->nr_ram,
			      old->resume_token, old->resume_token_len, ATTACH_TIMEOUT_MS, &next,
			      err, sizeof(err)) == 0)
			break;
		if (waited_ms >= next_report_ms) {
			sg_warn("vcpu-agent: gicd-server still not back after %u s: %s",
				waited_ms / 1000, err);
			next_report_ms += 1000;
		}
		if (waited_ms >= REATTACH_LIMIT_S * 1000) {
			sg_err("vcpu-agent: gave up re-attaching to gicd-server: %s", err);
			return false;
		}
		usleep(delay_ms * 1000);
		waited_ms += delay_ms;
		delay_ms =
			delay_ms * 2 > REATTACH_RETRY_MAX_MS ? REATTACH_RETRY_MAX_MS : delay_ms * 2;
	}
	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++)
		mmio_chan_swap_fd(&vm->vcpus[i].chan, next.mmio_fd[i]);
	pthread_mutex_lock(&vm->bus.tx_lock);
	if (dup3(next.bus_fd, vm->bus.fd, O_CLOEXEC) < 0)
		sg_err("vcpu-agent: cannot take the new bus: %s", strerror(errno));
	vm->bus.await_resume = true;
	pthread_mutex_unlock(&vm->bus.tx_lock);
	old->epoch = next.epoch;
	sg_attachment_close(&next);
	VM_STAT_INC(vm, SG_VM_RECONNECTS);
	sg_notice("vcpu-agent: re-attached to gicd-server (epoch %llu)",
		  (unsigned long long)old->epoch);
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
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !receive(vm) && !reattach(vm))
			break;
		sg_bus_drain_outboxes(vm);
		send_ack(vm);
	}
	return NULL;
}

/* --------------------------------------------------------- lifecycle */

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
		return vm->xport->bus_send_locked(vm, &vm->bus.msi_env[0]);
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

uint64_t sg_vm_stat(const struct sg_vm *vm, enum sg_vm_stat s)
{
	if ((unsigned)s >= SG_VM_NR_STATS)
		return 0;
	return atomic_load_explicit(&vm->bus.stats[s], memory_order_relaxed);
}
