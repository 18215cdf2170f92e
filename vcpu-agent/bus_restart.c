// SPDX-License-Identifier: MIT
/*
 * The agent's side of a daemon restart (docs/restart.md): Durable trims the
 * replay log; Resume replays what the new instance has not applied and
 * sends each vCPU's Resync; without an fd store, re-attaching to the
 * restarted daemon.  Runs on the bus thread.  Lock order: bus_send.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_internal.h"
#include "log.h"

void sg_bus_on_durable(struct sg_vm *vm, uint64_t seq)
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
	nrecs = sg_bus_take_recs_locked(v, recs, v->outbox.cap);
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
	rc = sg_bus_send_recs(vm, idx, recs, nrecs);
	if (rc < 0)
		sg_err("vcpu-agent: sending on the bus: %s", strerror(-rc));
	r.vcpu = idx;
	r.epoch = epoch;
	r.n_spis = n;
	r.spis = ptrs;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_RESYNC;
	env.resync = &r;
	if (sg_bus_send_one(vm, &env) < 0)
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
void sg_bus_on_resume(struct sg_vm *vm, const Sg__Resume *r)
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
bool sg_bus_reattach(struct sg_vm *vm)
{
	struct sg_attachment *old = vm->bus.att, next;
	struct sg_ram_desc ram[SG_MAX_RAM_REGIONS];
	unsigned waited_ms = 0, delay_ms = 1, next_report_ms = 1000;
	char err[256];

	sg_bus_ram_descs(vm, ram);
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
