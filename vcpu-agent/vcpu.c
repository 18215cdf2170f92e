// SPDX-License-Identifier: MIT
/*
 * The per-vCPU hot path: flush of the ap_list into the List registers before
 * guest entry, sync back after exit, kick and wait.
 *
 * Lock order: one vCPU lock at a time (sg_vcpu.lock); if two were ever
 * needed, lower vCPU index first.  There is no VM-wide lock.  No lock is
 * held across a VMM kick function.  Condition variables: wake_cond (kicks,
 * new interrupts -> sg_vcpu_wait) and state_cond (sync done, pause over),
 * both used only with the owning vCPU's lock.
 *
 * Entry/exit path: no allocation, no VM-wide lock; the work per call is
 * bounded by the ap_list length (private interrupts and owned SPIs) and the
 * LR count.  LPIs are not on the ap_list: they wait in per-priority queues
 * (lpi.c) that flush merges in order, so however many are queued, flush
 * and sync touch O(LR count) of them.
 */
#include <errno.h>
#include <time.h>

#include "agent_internal.h"
#include "log.h"

/* How long a cross-vCPU access waits for the target to leave the guest. */
#define HOLD_TIMEOUT_NS 1000000000ll

/* ------------------------------------------------------------ queueing */

bool sg_vcpu_queue_locked(struct sg_vcpu *v, struct sg_irq *irq)
{
	if (!sg_irq_queueable(irq))
		return false;
	if (!irq->on_ap_list) {
		sg_list_add_tail(&v->ap_list, &irq->ap);
		irq->on_ap_list = true;
	}
	/* Kick even when it was queued already: the guest may have retired
	 * the LR copy and would not see the new state until its next exit. */
	return true;
}

void sg_vcpu_wake_locked(struct sg_vcpu *v)
{
	v->kicked = true;
	STAT_INC(v, SG_STAT_KICKS);
	pthread_cond_broadcast(&v->wake_cond);
}

void sg_vcpu_kick_fn(struct sg_vcpu *v)
{
	void (*fn)(struct sg_vcpu *, void *);
	void *arg;

	pthread_mutex_lock(&v->lock);
	fn = v->kick_fn;
	arg = v->kick_arg;
	pthread_mutex_unlock(&v->lock);
	if (fn)
		fn(v, arg);
}

void sg_vcpu_kick(struct sg_vcpu *v)
{
	void (*fn)(struct sg_vcpu *, void *);
	void *arg;

	pthread_mutex_lock(&v->lock);
	sg_vcpu_wake_locked(v);
	fn = v->kick_fn;
	arg = v->kick_arg;
	pthread_mutex_unlock(&v->lock);
	if (fn)
		fn(v, arg);
}

void sg_vcpu_set_kick_fn(struct sg_vcpu *v, void (*fn)(struct sg_vcpu *v, void *arg), void *arg)
{
	pthread_mutex_lock(&v->lock);
	v->kick_fn = fn;
	v->kick_arg = arg;
	pthread_mutex_unlock(&v->lock);
}

/* --------------------------------------------------------------- flush */

static bool sync_locked(struct sg_vcpu *v);

/*
 * Flush order when more entries than LRs: active first (the guest must be
 * able to deactivate them), then pending-and-enabled, each by priority, then
 * INTID so the order is total.
 */
static int irq_cmp(const struct sg_list_node *na, const struct sg_list_node *nb)
{
	const struct sg_irq *a = sg_container_of(na, struct sg_irq, ap);
	const struct sg_irq *b = sg_container_of(nb, struct sg_irq, ap);
	bool pa = a->enabled && sg_irq_pending(a), pb = b->enabled && sg_irq_pending(b);

	if (a->active != b->active)
		return a->active ? -1 : 1;
	if (pa != pb)
		return pa ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return a->intid < b->intid ? -1 : a->intid > b->intid;
}

/* The ICH_LR<n>_EL2 value for irq; clears the latch of an edge it carries. */
static uint64_t irq_to_lr(struct sg_irq *irq)
{
	uint8_t prio = irq->active && irq->ack_prio_valid ? irq->ack_priority : irq->priority;
	uint64_t val = irq->intid | (uint64_t)prio << ICH_LR_PRIORITY_SHIFT;
	bool pend = irq->enabled && sg_irq_pending(irq);

	if (irq->group1)
		val |= ICH_LR_GROUP;
	if (irq->hw) {
		val |= ICH_LR_HW | ((uint64_t)irq->pintid << ICH_LR_PINTID_SHIFT);
		/* The pending state of an active HW interrupt stays with the
		 * physical interrupt until it is deactivated. */
		if (irq->active)
			pend = false;
	} else if (!irq->edge) {
		/* Resampling: the guest's deactivation must reach us. */
		val |= ICH_LR_EOI;
		/* No pending+active for level: the line is resampled at EOI. */
		if (irq->active)
			pend = false;
	}
	if (pend) {
		val |= ICH_LR_PENDING;
		/* The LR carries this edge now; a new edge re-latches and is
		 * folded back at sync. */
		if (irq->edge)
			irq->pending_latch = false;
	}
	if (irq->active)
		val |= ICH_LR_ACTIVE;
	irq->lr_state = (uint8_t)(val >> ICH_LR_STATE_SHIFT);
	return val;
}

/*
 * Maintenance interrupts asked for when entries are left over:
 *  - UIE (underflow: at most one LR valid) when two or more LRs are used: it
 *    cannot fire before the guest has retired all but one of them.
 *  - With a single LR, UIE would fire at once and forever.  Then NPIE if the
 *    LR holds a pending interrupt (fires once the guest acknowledged it),
 *    else the EOI bit on the LR (fires when the guest deactivates it).  NPIE
 *    is never set when no LR is pending: with all LRs active, "no pending"
 *    is true at once and would livelock.
 *  - LRENPIE when an active interrupt got no LR: the guest's EOI (EOImode 0)
 *    or DIR (EOImode 1) of it finds no LR and only bumps EOIcount; sync
 *    deactivates that many, highest priority first (EOImode 0 retires
 *    active interrupts in nesting order, which is descending priority).
 */
static uint32_t maintenance_controls(struct sg_vcpu *v, bool left_pending, bool left_active)
{
	uint32_t hcr = ICH_HCR_EN;

	if (left_pending || left_active) {
		if (v->nr_lrs_used >= 2) {
			hcr |= ICH_HCR_UIE;
		} else {
			struct sg_irq *irq = v->lr_irq[0];

			if (irq->lr_state & (ICH_LR_PENDING >> ICH_LR_STATE_SHIFT)) {
				hcr |= ICH_HCR_NPIE;
			} else if (!irq->hw) {
				uint64_t lr = sg_cpuif_read_lr(&v->cpuif, 0);

				sg_cpuif_write_lr(&v->cpuif, 0, lr | ICH_LR_EOI);
			}
		}
	}
	if (left_active)
		hcr |= ICH_HCR_LRENPIE;
	return hcr;
}

/* What one flush has filled in so far. */
struct flush_state {
	unsigned used;
	bool left_pending, left_active;
	struct sg_irq *lpi; /* next queued LPI to place, NULL once none matter */
};

/* Puts irq in the next LR, or records what is left over. */
static inline void flush_one(struct sg_vcpu *v, struct flush_state *f, struct sg_irq *irq)
{
	if (f->used < v->cpuif.nr_lrs) {
		sg_cpuif_write_lr(&v->cpuif, f->used, irq_to_lr(irq));
		irq->lr = (int8_t)f->used;
		v->lr_irq[f->used++] = irq;
	} else if (irq->active) {
		irq->eoi_candidate = true;
		f->left_active = true;
	} else {
		f->left_pending = true;
	}
}

/*
 * Places the queued LPIs (priority order, FIFO within a priority) that go
 * before an ap_list entry of priority `prio` (all of them: 0x100).  LPIs are
 * never active, and on a tie come after the smaller INTIDs, as irq_cmp
 * orders them.  Once the LRs are full, the LPIs left only need to be known
 * to exist.
 */
static inline void flush_lpis_before(struct sg_vcpu *v, struct flush_state *f, unsigned prio)
{
	while (f->lpi && f->lpi->priority < prio) {
		struct sg_irq *irq = f->lpi;

		if (f->used == v->cpuif.nr_lrs) {
			f->left_pending = true;
			f->lpi = NULL;
			return;
		}
		f->lpi = sg_lpi_next_locked(v, irq);
		if (sg_irq_queueable(irq))
			flush_one(v, f, irq);
	}
}

void sg_vcpu_flush(struct sg_vcpu *v)
{
	struct sg_list_node *n;
	struct flush_state f = { 0 };
	unsigned nr_lrs = v->cpuif.nr_lrs, cand = 0, nr_lpis;

	pthread_mutex_lock(&v->lock);
	/* Flushed twice without a sync (a VMM bug): take the LRs back first
	 * rather than lose what the guest did with them. */
	if (v->in_guest) {
		if (!v->warned_unsynced) {
			v->warned_unsynced = true;
			sg_warn("vCPU %u: flush without sync", v->idx);
		}
		sync_locked(v);
	}
	/* Another thread is editing state that was in our LRs: let it finish
	 * (it holds the lock only for one register access). */
	while (v->pause_req)
		pthread_cond_wait(&v->state_cond, &v->lock);
	v->kicked = false;

	for (n = v->ap_list.next; n != &v->ap_list && cand <= nr_lrs; n = n->next)
		cand += sg_irq_queueable(sg_container_of(n, struct sg_irq, ap));
	/* Usually still in order from the last flush: check before sorting.
	 * Queued LPIs compete for the LRs too: then the merge below needs the
	 * ap_list in order. */
	nr_lpis = sg_lpi_nr_queued(&v->lpi);
	if ((cand > nr_lrs || (cand > 1 && cand + nr_lpis > nr_lrs)) &&
	    !sg_list_sorted(&v->ap_list, irq_cmp))
		sg_list_sort(&v->ap_list, irq_cmp);

	/* The ap_list merged with the LPI queues. */
	f.lpi = v->lpi.q_mask ? sg_lpi_first_locked(v) : NULL;
	for (n = v->ap_list.next; n != &v->ap_list; n = n->next) {
		struct sg_irq *irq = sg_container_of(n, struct sg_irq, ap);

		if (!sg_irq_queueable(irq))
			continue;
		if (f.lpi && !irq->active)
			flush_lpis_before(v, &f, irq->priority);
		flush_one(v, &f, irq);
	}
	flush_lpis_before(v, &f, 0x100);
	v->nr_lrs_used = f.used;
	sg_cpuif_write_hcr(&v->cpuif, maintenance_controls(v, f.left_pending, f.left_active));
	if (f.left_pending || f.left_active)
		STAT_INC(v, SG_STAT_LR_OVERFLOWS);
	v->in_guest = true;
	STAT_INC(v, SG_STAT_FLUSHES);
	pthread_mutex_unlock(&v->lock);
}

/* ---------------------------------------------------------------- sync */

/* Folds what the guest did to an LR back into the interrupt. */
static void fold_lr(struct sg_irq *irq, uint64_t lr)
{
	/* A level SPI the guest deactivated: its line is the distributor's to
	 * resample (Deactivated), a copy held here would be stale. */
	if (gic_intid_is_spi(irq->intid) && !irq->edge && irq->active && !(lr & ICH_LR_ACTIVE))
		irq->line_level = false;
	/* LPIs have no active state: once the guest acknowledged one, only its
	 * running priority remains, in the cpuif, and its EOI without an LR
	 * just drops it (IHI 0069: no EOIcount for LPIs). */
	irq->active = (lr & ICH_LR_ACTIVE) != 0 && !gic_intid_is_lpi(irq->intid);
	/* Active in the LR: the guest's active priorities hold the LR's
	 * priority now; a priority write must not change it under the EOI. */
	irq->ack_prio_valid = irq->active;
	irq->ack_priority = (uint8_t)(lr >> ICH_LR_PRIORITY_SHIFT);
	if (irq->edge) {
		if (lr & ICH_LR_PENDING)
			irq->pending_latch = true;
	} else if ((irq->lr_state & (ICH_LR_PENDING >> ICH_LR_STATE_SHIFT)) &&
		   !(lr & ICH_LR_PENDING)) {
		/* The guest acknowledged it: a software-set pending state is
		 * consumed; the line alone decides from now on.  (Not when the
		 * LR never carried the pending state: an active level
		 * interrupt is flushed without it.) */
		irq->pending_latch = false;
		/* An SPI's line is the distributor's: it resamples it when the
		 * guest deactivates (Deactivated), so the level is consumed. */
		if (gic_intid_is_spi(irq->intid))
			irq->line_level = false;
	}
	irq->lr = -1;
}

/* Deactivates `count` of the active interrupts that had no LR. */
static void eoicount_deactivate(struct sg_vcpu *v, unsigned count)
{
	while (count--) {
		struct sg_irq *best = NULL;

		for (struct sg_list_node *n = v->ap_list.next; n != &v->ap_list; n = n->next) {
			struct sg_irq *irq = sg_container_of(n, struct sg_irq, ap);

			/* LPIs have no active state to retire: their EOIs
			 * never count (IHI 0069, ICH_HCR_EL2.EOIcount). */
			if (!irq->eoi_candidate || !irq->active || gic_intid_is_lpi(irq->intid))
				continue;
			if (!best || irq->priority < best->priority ||
			    (irq->priority == best->priority && irq->intid < best->intid))
				best = irq;
		}
		if (!best)
			return;
		sg_irq_clear_active(best);
		best->eoi_candidate = false;
		if (best->hw && v->cpuif.hw_deactivate)
			v->cpuif.hw_deactivate(v->cpuif.hw_opaque, best->pintid);
		STAT_INC(v, SG_STAT_EOICOUNT_DEACT);
	}
}

/* Folds the LRs back, retires EOIcount, prunes the ap_list.  Lock held.
 * Returns whether messages for the bus thread were queued. */
static bool sync_locked(struct sg_vcpu *v)
{
	unsigned posted = v->outbox.count;
	struct sg_list_node *n, *next;
	uint32_t hcr = sg_cpuif_read_hcr(&v->cpuif);

	for (unsigned i = 0; i < v->nr_lrs_used; i++) {
		struct sg_irq *irq = v->lr_irq[i];

		fold_lr(irq, sg_cpuif_read_lr(&v->cpuif, i));
		sg_cpuif_write_lr(&v->cpuif, i, 0);
		v->lr_irq[i] = NULL;
		if (gic_intid_is_lpi(irq->intid))
			sg_lpi_synced_locked(v, irq);
	}
	v->nr_lrs_used = 0;
	eoicount_deactivate(v, (hcr & ICH_HCR_EOICOUNT_MASK) >> ICH_HCR_EOICOUNT_SHIFT);
	sg_cpuif_write_hcr(&v->cpuif, 0);

	/* Drop what is neither pending (and enabled) nor active. */
	for (n = v->ap_list.next; n != &v->ap_list; n = next) {
		struct sg_irq *irq = sg_container_of(n, struct sg_irq, ap);

		next = n->next;
		irq->eoi_candidate = false;
		if (!sg_irq_queueable(irq)) {
			sg_list_del(&irq->ap);
			irq->on_ap_list = false;
			/* The EOI broadcast: an SPI goes back to the distributor. */
			if (gic_intid_is_spi(irq->intid))
				sg_spi_released_locked(v, irq);
		}
	}
	/* Entries freed: LPIs waiting for one get them (bounded). */
	if (v->lpi.nr_ready && v->lpi.nr_free)
		sg_lpi_refill_locked(v);
	sg_bus_cpu_state_locked(v);
	v->in_guest = false;
	STAT_INC(v, SG_STAT_SYNCS);
	pthread_cond_broadcast(&v->state_cond);
	return v->outbox.count != posted;
}

void sg_vcpu_sync(struct sg_vcpu *v)
{
	bool posted;

	pthread_mutex_lock(&v->lock);
	posted = sync_locked(v);
	pthread_mutex_unlock(&v->lock);
	if (posted)
		sg_bus_wake(v->vm);
}

/* ------------------------------------------------------------ pending */

static bool deliverable(uint32_t vmcr, bool group1, uint8_t priority)
{
	uint32_t pmr = (vmcr & ICH_VMCR_PMR_MASK) >> ICH_VMCR_PMR_SHIFT;

	if (!(vmcr & (group1 ? ICH_VMCR_ENG1 : ICH_VMCR_ENG0)))
		return false;
	return priority < pmr;
}

static bool pending_irq_locked(struct sg_vcpu *v)
{
	uint32_t vmcr = sg_cpuif_read_vmcr(&v->cpuif);

	/* After a flush the LRs are the truth for what they hold. */
	for (unsigned i = 0; i < v->nr_lrs_used; i++) {
		uint64_t lr = sg_cpuif_read_lr(&v->cpuif, i);

		if ((lr & ICH_LR_PENDING) && deliverable(vmcr, (lr & ICH_LR_GROUP) != 0,
							 (uint8_t)(lr >> ICH_LR_PRIORITY_SHIFT)))
			return true;
	}
	for (struct sg_list_node *n = v->ap_list.next; n != &v->ap_list; n = n->next) {
		struct sg_irq *irq = sg_container_of(n, struct sg_irq, ap);

		if (irq->lr >= 0)
			continue;
		if (irq->enabled && sg_irq_pending(irq) &&
		    deliverable(vmcr, irq->group1, irq->priority))
			return true;
	}
	/* Queued LPIs in priority order: the first one not in an LR decides
	 * (at most the LR count of them are skipped). */
	for (struct sg_irq *irq = sg_lpi_first_locked(v); irq; irq = sg_lpi_next_locked(v, irq))
		if (irq->lr < 0 && sg_irq_pending(irq))
			return deliverable(vmcr, irq->group1, irq->priority);
	return false;
}

bool sg_vcpu_pending_irq(struct sg_vcpu *v)
{
	bool ret;

	pthread_mutex_lock(&v->lock);
	ret = pending_irq_locked(v);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static void deadline_after(struct timespec *ts, int64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ns / 1000000000ll);
	ts->tv_nsec += (long)(ns % 1000000000ll);
	if (ts->tv_nsec >= 1000000000l) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000l;
	}
}

bool sg_vcpu_wait(struct sg_vcpu *v, int64_t timeout_ns)
{
	struct timespec deadline;
	bool ret = false;

	if (timeout_ns > 0)
		deadline_after(&deadline, timeout_ns);
	pthread_mutex_lock(&v->lock);
	for (;;) {
		if (v->kicked) {
			v->kicked = false;
			ret = true;
			break;
		}
		if (pending_irq_locked(v)) {
			ret = true;
			break;
		}
		if (timeout_ns == 0)
			break;
		if (timeout_ns < 0) {
			pthread_cond_wait(&v->wake_cond, &v->lock);
		} else if (pthread_cond_timedwait(&v->wake_cond, &v->lock, &deadline) ==
			   ETIMEDOUT) {
			ret = v->kicked || pending_irq_locked(v);
			v->kicked = false;
			break;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* ------------------------------------------------- cross-vCPU holding */

bool sg_vcpu_hold(struct sg_vcpu *acc, struct sg_vcpu *t, bool *held)
{
	struct timespec deadline;
	bool ok;

	*held = false;
	if (!t->in_guest)
		return true;
	if (acc == t) {
		/* The VMM handles a trap without having synced: nobody else
		 * can sync this vCPU, so go on with the state as flushed. */
		if (!acc->warned_unsynced) {
			acc->warned_unsynced = true;
			sg_warn("vCPU %u: trap handled before sg_vcpu_sync()", acc->idx);
		}
		return false;
	}
	t->pause_req++;
	*held = true;
	/* acc is NULL for the bus thread; count on the target then. */
	if (!acc)
		acc = t;
	STAT_INC_ATOMIC(acc, SG_STAT_HOLD_WAITS);
	sg_vcpu_wake_locked(t);
	pthread_mutex_unlock(&t->lock);
	sg_vcpu_kick_fn(t);
	pthread_mutex_lock(&t->lock);
	deadline_after(&deadline, HOLD_TIMEOUT_NS);
	while (t->in_guest)
		if (pthread_cond_timedwait(&t->state_cond, &t->lock, &deadline) == ETIMEDOUT)
			break;
	ok = !t->in_guest;
	if (!ok) {
		STAT_INC_ATOMIC(acc, SG_STAT_HOLD_TIMEOUTS);
		sg_reject_log("vCPU %u: vCPU %u did not leave the guest in time", acc->idx, t->idx);
	}
	return ok;
}

void sg_vcpu_release(struct sg_vcpu *t, bool held)
{
	if (held && --t->pause_req == 0)
		pthread_cond_broadcast(&t->state_cond);
}
