// SPDX-License-Identifier: MIT
/*
 * The LPI side of the redistributors (lpi.h, docs/agent.md "LPIs"; Arm IHI
 * 0069 "Locality-specific Peripheral Interrupts and the ITS").  Pending
 * state and the property cache per vCPU, entries from a fixed pool, the
 * ITS's messages (Deliver, Retract, Inv, InvAll, Sync, Move, MovAll) and the
 * GICR side (EnableLPIs, INVLPIR, INVALLR).
 *
 * Lock order: one vCPU lock at a time.  Moving LPIs takes the source's lock,
 * releases it, then takes the destination's (the bus thread applies
 * messages one by one, so nothing observes the LPI in between).
 * sg_vcpu_hold() may drop and retake the lock held to let a running vCPU
 * leave the guest: every lookup is redone after it.  No lock is held across
 * a VMM kick function.
 *
 * Guest RAM (the property and pending tables) is reached only through
 * sg_vm_ram_ptr(), which refuses anything outside the configured RAM
 * (counted in SG_STAT_LPI_RAM_REJECTS), with relaxed atomic byte accesses:
 * the guest may write the same memory concurrently.
 *
 * Bounded work: a delivery, an Inv, a Move and a refill are O(1) (a refill
 * at most SG_LPI_REFILL_MAX entries); InvAll, MovAll and EnableLPIs walk
 * the pool and the bitmaps once (configuration operations).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "log.h"

/* Bit 1 of a property byte is RES0 in the guest's table; in the cache it
 * marks an entry read from the table. */
#define LPI_PROP_CACHED 0x02u
/* The priority bits the virtual CPU interface implements: one queue each. */
#define PRIORITY_MASK ((uint8_t)(0xFFu << (8 - SG_VPRI_BITS)))
_Static_assert(SG_LPI_PRIO_LEVELS == 1u << SG_VPRI_BITS, "one LPI queue per priority");

static inline bool bit_test(const uint64_t *map, uint32_t n)
{
	return (map[n / 64] >> (n % 64)) & 1;
}

static inline void bit_set(uint64_t *map, uint32_t n)
{
	map[n / 64] |= 1ull << (n % 64);
}

static inline void bit_clear(uint64_t *map, uint32_t n)
{
	map[n / 64] &= ~(1ull << (n % 64));
}

static inline unsigned level_of(const struct sg_irq *irq)
{
	return irq->priority >> (8 - SG_VPRI_BITS);
}

/* ------------------------------------------------------- guest tables */

/* LPIs that exist for a PROPBASER value: IDbits + 1 bits of INTID, capped at
 * GICD_TYPER.IDbits (16 bits); fewer than 14 bits leave no LPI. */
static uint32_t lpi_range(uint64_t propbaser)
{
	unsigned bits = (unsigned)(propbaser & GICR_PROPBASER_IDBITS_MASK) + 1;

	if (bits < 14)
		return 0;
	if (bits > GIC_LPI_ID_BITS)
		bits = GIC_LPI_ID_BITS;
	return (1u << bits) - GIC_LPI_BASE;
}

static void ram_reject(struct sg_vcpu *v, const char *what, uint64_t gpa)
{
	STAT_INC(v, SG_STAT_LPI_RAM_REJECTS);
	sg_reject_log("vCPU %u: LPI %s at 0x%llx is outside guest RAM", v->idx, what,
		      (unsigned long long)gpa);
}

/* LPI n's property byte: the cached copy, or read now (first use). */
static uint8_t prop_get(struct sg_vcpu *v, uint32_t n)
{
	struct sg_lpi_rd *l = &v->lpi;
	uint64_t gpa = (v->rd.propbaser & GICR_PROPBASER_PA_MASK) + n;
	const uint8_t *g;
	uint8_t p = l->prop[n];

	if (p & LPI_PROP_CACHED)
		return p;
	g = sg_vm_ram_ptr(v->vm, gpa, 1);
	if (g) {
		p = __atomic_load_n(g, __ATOMIC_RELAXED) &
		    (LPI_PROP_PRIORITY_MASK | LPI_PROP_ENABLE);
	} else {
		/* UNPREDICTABLE for the architecture: treated as disabled. */
		ram_reject(v, "property entry", gpa);
		p = 0;
	}
	p |= LPI_PROP_CACHED;
	l->prop[n] = p;
	return p;
}

/* ------------------------------------------------ backlog (bitmaps) */

static void ready_clear(struct sg_lpi_rd *l, uint32_t n)
{
	if (!bit_test(l->ready, n))
		return;
	bit_clear(l->ready, n);
	if (!l->ready[n / 64])
		l->ready_sum[n / 4096] &= ~(1ull << ((n / 64) % 64));
	l->nr_ready--;
}

/* LPI n is pending here without an entry; enabled ones wait for one. */
static void backlog_add(struct sg_lpi_rd *l, uint32_t n, bool enabled)
{
	bit_set(l->pend, n);
	if (!enabled) {
		ready_clear(l, n);
	} else if (!bit_test(l->ready, n)) {
		bit_set(l->ready, n);
		l->ready_sum[n / 4096] |= 1ull << ((n / 64) % 64);
		l->nr_ready++;
	}
}

static void backlog_del(struct sg_lpi_rd *l, uint32_t n)
{
	bit_clear(l->pend, n);
	ready_clear(l, n);
}

/* ------------------------------------------------------------ entries */

static void q_add(struct sg_lpi_rd *l, struct sg_irq *irq)
{
	unsigned p = level_of(irq);

	sg_list_add_tail(&l->q[p], &irq->ap);
	l->q_mask |= 1u << p;
}

static void q_del(struct sg_lpi_rd *l, struct sg_irq *irq)
{
	unsigned p = level_of(irq);

	sg_list_del(&irq->ap);
	if (sg_list_empty(&l->q[p]))
		l->q_mask &= ~(1u << p);
}

static struct sg_irq *entry_of(const struct sg_lpi_rd *l, uint32_t n)
{
	uint16_t s = l->slot[n];

	return s ? &l->pool[s - 1] : NULL;
}

/* Gives LPI n a free entry, pending, queued at its priority. */
static void entry_add(struct sg_lpi_rd *l, uint32_t n, uint8_t prop)
{
	uint16_t idx = l->free[--l->nr_free];
	struct sg_irq *irq = &l->pool[idx];

	irq->intid = GIC_LPI_BASE + n;
	irq->priority = prop & PRIORITY_MASK;
	irq->pending_latch = true;
	irq->lr = -1;
	l->slot[n] = (uint16_t)(idx + 1);
	q_add(l, irq);
}

/* Not while the entry is in a List register (irq->lr >= 0). */
static void entry_free(struct sg_lpi_rd *l, struct sg_irq *irq)
{
	q_del(l, irq);
	l->slot[irq->intid - GIC_LPI_BASE] = 0;
	irq->intid = 0; /* marks a free entry */
	irq->pending_latch = false;
	l->free[l->nr_free++] = (uint16_t)(irq - l->pool);
}

struct sg_irq *sg_lpi_first_locked(struct sg_vcpu *v)
{
	struct sg_lpi_rd *l = &v->lpi;

	if (!l->q_mask)
		return NULL;
	return sg_container_of(l->q[__builtin_ctz(l->q_mask)].next, struct sg_irq, ap);
}

struct sg_irq *sg_lpi_next_locked(struct sg_vcpu *v, struct sg_irq *irq)
{
	struct sg_lpi_rd *l = &v->lpi;
	unsigned p = level_of(irq);
	uint32_t above = l->q_mask & ~((2u << p) - 1u); /* lower priorities (p = 31: none) */

	if (irq->ap.next != &l->q[p])
		return sg_container_of(irq->ap.next, struct sg_irq, ap);
	return above ? sg_container_of(l->q[__builtin_ctz(above)].next, struct sg_irq, ap) : NULL;
}

/* Is any LPI entry in one of v's List registers (v in the guest)? */
static bool lpi_in_lrs(const struct sg_vcpu *v)
{
	if (!v->in_guest)
		return false;
	for (unsigned i = 0; i < v->nr_lrs_used; i++)
		if (gic_intid_is_lpi(v->lr_irq[i]->intid))
			return true;
	return false;
}

/* ------------------------------------------------------ pending state */

/*
 * Makes LPI intid pending at v (an MSI, a MOVI, the pending table).
 * Returns true when v must be woken: an entry was queued, or one in a List
 * register got pending again (the guest may have taken the LR copy).
 */
static bool set_pending_locked(struct sg_vcpu *v, uint32_t intid)
{
	struct sg_lpi_rd *l = &v->lpi;
	uint32_t n = intid - GIC_LPI_BASE;
	struct sg_irq *irq;
	uint8_t prop;

	if (!v->rd.enable_lpis || n >= l->nr_ids) {
		STAT_INC(v, SG_STAT_LPI_DROPPED);
		return false;
	}
	irq = entry_of(l, n);
	if (irq) {
		STAT_INC(v, irq->pending_latch ? SG_STAT_LPI_MERGED : SG_STAT_LPI_PENDING);
		irq->pending_latch = true;
		return true;
	}
	if (bit_test(l->pend, n)) {
		STAT_INC(v, SG_STAT_LPI_MERGED);
		return false;
	}
	STAT_INC(v, SG_STAT_LPI_PENDING);
	prop = prop_get(v, n);
	if ((prop & LPI_PROP_ENABLE) && l->nr_free) {
		entry_add(l, n, prop);
		return true;
	}
	if (prop & LPI_PROP_ENABLE)
		STAT_INC(v, SG_STAT_LPI_POOL_WAITS);
	backlog_add(l, n, prop & LPI_PROP_ENABLE);
	return false;
}

/*
 * Removes LPI n's pending state at t, first taking it back from t's List
 * registers if t runs with it there.  Returns whether it was pending and is
 * no more.  If t did not leave the guest in time (counted by the hold), an
 * entry still in an LR is left alone: it stays where the guest sees it.
 */
static bool take_pending_locked(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t n)
{
	struct sg_lpi_rd *l = &t->lpi;
	struct sg_irq *irq = entry_of(l, n);
	bool held = false, was = false;

	if (irq && irq->lr >= 0) {
		sg_vcpu_hold(acc, t, &held);
		irq = entry_of(l, n); /* its sync may have retired the entry */
	}
	if (irq) {
		if (irq->lr < 0) {
			was = irq->pending_latch;
			entry_free(l, irq);
		}
	} else if (bit_test(l->pend, n)) {
		backlog_del(l, n);
		was = true;
	}
	sg_vcpu_release(t, held);
	return was;
}

bool sg_lpi_refill_locked(struct sg_vcpu *v)
{
	struct sg_lpi_rd *l = &v->lpi;
	unsigned k;

	for (k = 0; k < SG_LPI_REFILL_MAX && l->nr_ready && l->nr_free; k++) {
		unsigned s = 0, w;
		uint32_t n;

		while (!l->ready_sum[s])
			s++;
		w = s * 64 + (unsigned)__builtin_ctzll(l->ready_sum[s]);
		n = w * 64 + (uint32_t)__builtin_ctzll(l->ready[w]);
		backlog_del(l, n);
		entry_add(l, n, l->prop[n]);
	}
	return k != 0;
}

/* Refills, and wakes v if anything became deliverable.  Lock held. */
static bool refill_wake_locked(struct sg_vcpu *v, bool wake)
{
	if (sg_lpi_refill_locked(v))
		wake = true;
	if (wake)
		sg_vcpu_wake_locked(v);
	return wake;
}

void sg_lpi_synced_locked(struct sg_vcpu *v, struct sg_irq *irq)
{
	/* Acknowledged (the latch was not set again), or LPIs were disabled
	 * while the entry sat in an LR: the entry is free again. */
	if (!irq->pending_latch || !v->rd.enable_lpis)
		entry_free(&v->lpi, irq);
}

/* ------------------------------------------------------- properties */

/*
 * Applies LPI n's (cached) property to its pending state: a disabled LPI
 * keeps its pending state in the bitmap, an enabled one gets an entry, a
 * new priority requeues it.  Returns true when t must be woken.
 */
static bool apply_prop_locked(struct sg_vcpu *t, uint32_t n, uint8_t prop)
{
	struct sg_lpi_rd *l = &t->lpi;
	struct sg_irq *irq = entry_of(l, n);
	bool en = prop & LPI_PROP_ENABLE;

	if (irq) {
		if (!en) {
			/* Still in a running vCPU's LR (hold timed out): it
			 * stays where the guest sees it. */
			if (irq->lr >= 0)
				return false;
			entry_free(l, irq);
			backlog_add(l, n, false);
			return false;
		}
		if ((prop & PRIORITY_MASK) == irq->priority)
			return false;
		q_del(l, irq);
		irq->priority = prop & PRIORITY_MASK;
		q_add(l, irq);
		/* An LR copy has the old priority: let the vCPU flush again. */
		return true;
	}
	if (!bit_test(l->pend, n))
		return false;
	if (!en) {
		ready_clear(l, n);
		return false;
	}
	if (l->nr_free) {
		backlog_del(l, n);
		entry_add(l, n, prop);
		return true;
	}
	if (!bit_test(l->ready, n))
		STAT_INC(t, SG_STAT_LPI_POOL_WAITS);
	backlog_add(l, n, true);
	return false;
}

/* INV / INVLPIR: forget and re-read LPI n's property, apply it. */
static bool inv_one_locked(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t n)
{
	struct sg_lpi_rd *l = &t->lpi;
	struct sg_irq *irq = entry_of(l, n);
	bool held = false, wake;

	l->prop[n] = 0;
	/* Disabling an LPI that a running vCPU holds in an LR: take it back. */
	if (irq && irq->lr >= 0 && !(prop_get(t, n) & LPI_PROP_ENABLE))
		sg_vcpu_hold(acc, t, &held);
	wake = apply_prop_locked(t, n, prop_get(t, n));
	sg_vcpu_release(t, held);
	return wake;
}

bool sg_lpi_inv_locked(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t intid)
{
	uint32_t n = intid - GIC_LPI_BASE;

	if (!t->rd.enable_lpis || !gic_intid_is_lpi(intid) || n >= t->lpi.nr_ids)
		return false;
	return refill_wake_locked(t, inv_one_locked(acc, t, n));
}

bool sg_lpi_invall_locked(struct sg_vcpu *acc, struct sg_vcpu *t)
{
	struct sg_lpi_rd *l = &t->lpi;
	bool held = false, wake = false;

	if (!t->rd.enable_lpis)
		return false;
	if (lpi_in_lrs(t))
		sg_vcpu_hold(acc, t, &held);
	/* Everything is re-read: pending LPIs now (their deliverability may
	 * change), the others at first use. */
	memset(l->prop, 0, l->nr_ids);
	for (unsigned i = 0; i < l->pool_size; i++) {
		struct sg_irq *irq = &l->pool[i];

		if (irq->intid) {
			uint32_t n = irq->intid - GIC_LPI_BASE;

			wake |= apply_prop_locked(t, n, prop_get(t, n));
		}
	}
	for (unsigned w = 0; w < l->nr_ids / 64; w++) {
		uint64_t bits = l->pend[w];

		while (bits) {
			uint32_t n = w * 64 + (uint32_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			wake |= apply_prop_locked(t, n, prop_get(t, n));
		}
	}
	sg_vcpu_release(t, held);
	return refill_wake_locked(t, wake);
}

/* -------------------------------------------------------- EnableLPIs */

bool sg_lpi_enable_locked(struct sg_vcpu *t)
{
	struct sg_lpi_rd *l = &t->lpi;
	uint64_t gpa = (t->rd.pendbaser & GICR_PENDBASER_PA_MASK) + GIC_LPI_BASE / 8;
	const uint8_t *g;
	bool wake = false;

	l->nr_ids = lpi_range(t->rd.propbaser);
	/* Nothing read while LPIs were off is trusted. */
	memset(l->prop, 0, GIC_NR_LPIS);
	if (!l->nr_ids || (t->rd.pendbaser & GICR_PENDBASER_PTZ))
		return false;
	/* The table has a bit per INTID from 0; the LPIs' part starts at
	 * byte 1024 (the first 1 KiB is IMPLEMENTATION DEFINED). */
	g = sg_vm_ram_ptr(t->vm, gpa, l->nr_ids / 8);
	if (!g) {
		ram_reject(t, "pending table", gpa);
		return false;
	}
	for (uint32_t b = 0; b < l->nr_ids / 8; b++) {
		unsigned bits = __atomic_load_n(&g[b], __ATOMIC_RELAXED);

		while (bits) {
			unsigned k = (unsigned)__builtin_ctz(bits);

			bits &= bits - 1;
			wake |= set_pending_locked(t, GIC_LPI_BASE + b * 8 + k);
		}
	}
	return refill_wake_locked(t, wake);
}

void sg_lpi_disable_locked(struct sg_vcpu *acc, struct sg_vcpu *t)
{
	struct sg_lpi_rd *l = &t->lpi;
	uint64_t gpa = (t->rd.pendbaser & GICR_PENDBASER_PA_MASK) + GIC_LPI_BASE / 8;
	uint8_t *g;
	bool held = false;

	if (lpi_in_lrs(t))
		sg_vcpu_hold(acc, t, &held);
	/* Gather every pending LPI in the bitmap, free the entries (one still
	 * in an LR after a failed hold is freed by the next sync). */
	for (unsigned i = 0; i < l->pool_size; i++) {
		struct sg_irq *irq = &l->pool[i];
		uint32_t n = irq->intid - GIC_LPI_BASE;

		if (!irq->intid)
			continue;
		if (irq->pending_latch ||
		    (irq->lr >= 0 && (irq->lr_state & (ICH_LR_PENDING >> ICH_LR_STATE_SHIFT))))
			bit_set(l->pend, n);
		if (irq->lr < 0)
			entry_free(l, irq);
	}
	/* Written back like a GIC that caches pending state, so a later
	 * EnableLPIs with PTZ = 0 finds it; then the redistributor holds none. */
	g = l->nr_ids ? sg_vm_ram_ptr(t->vm, gpa, l->nr_ids / 8) : NULL;
	if (l->nr_ids && !g)
		ram_reject(t, "pending table", gpa);
	for (uint32_t b = 0; g && b < l->nr_ids / 8; b++)
		__atomic_store_n(&g[b], (uint8_t)(l->pend[b / 8] >> (8 * (b % 8))),
				 __ATOMIC_RELAXED);
	memset(l->pend, 0, SG_LPI_WORDS * sizeof(*l->pend));
	memset(l->ready, 0, SG_LPI_WORDS * sizeof(*l->ready));
	memset(l->ready_sum, 0, sizeof(l->ready_sum));
	l->nr_ready = 0;
	l->nr_ids = 0;
	/* The table is not known to be zero any more: a later enable reads
	 * it even if PTZ was written before (reading zeros is harmless). */
	t->rd.pendbaser &= ~GICR_PENDBASER_PTZ;
	sg_vcpu_release(t, held);
}

/* ------------------------------------------------------ bus messages */

void sg_lpi_deliver_many(struct sg_vm *vm, Sg__Envelope *const *msgs, size_t n)
{
	/* Grouped by target, each target's order kept: one lock and one kick
	 * per vCPU and batch (Delivers to different vCPUs commute). */
	int16_t head[SG_MAX_VCPUS], tail[SG_MAX_VCPUS], next[SG_WIRE_MAX_BATCH];
	uint8_t order[SG_MAX_VCPUS];
	unsigned nr = 0;

	if (n > SG_WIRE_MAX_BATCH)
		n = SG_WIRE_MAX_BATCH; /* the decoder's limit; never more */
	memset(head, 0xFF, sizeof(head));
	for (size_t i = 0; i < n; i++) {
		unsigned c = msgs[i]->deliver->vcpu;

		next[i] = -1;
		if (head[c] < 0) {
			head[c] = (int16_t)i;
			order[nr++] = (uint8_t)c;
		} else {
			next[tail[c]] = (int16_t)i;
		}
		tail[c] = (int16_t)i;
	}
	for (unsigned k = 0; k < nr; k++) {
		struct sg_vcpu *v = &vm->vcpus[order[k]];
		bool wake = false;

		pthread_mutex_lock(&v->lock);
		for (int i = head[order[k]]; i >= 0; i = next[i])
			wake |= set_pending_locked(v, msgs[i]->deliver->intid);
		if (wake)
			sg_vcpu_wake_locked(v);
		pthread_mutex_unlock(&v->lock);
		if (wake)
			sg_vcpu_kick_fn(v);
	}
}

void sg_lpi_retract(struct sg_vm *vm, const Sg__Retract *r)
{
	struct sg_vcpu *v = &vm->vcpus[r->vcpu];
	bool kick = false;

	/* CLEAR, DISCARD: LPIs have no line or active state to clear. */
	if (!r->clear_latch)
		return;
	pthread_mutex_lock(&v->lock);
	if (v->rd.enable_lpis && r->intid - GIC_LPI_BASE < v->lpi.nr_ids) {
		take_pending_locked(NULL, v, r->intid - GIC_LPI_BASE);
		kick = refill_wake_locked(v, false);
	}
	pthread_mutex_unlock(&v->lock);
	if (kick)
		sg_vcpu_kick_fn(v);
}

void sg_lpi_inv(struct sg_vm *vm, unsigned vcpu, uint32_t intid)
{
	struct sg_vcpu *v = &vm->vcpus[vcpu];
	bool kick;

	pthread_mutex_lock(&v->lock);
	kick = sg_lpi_inv_locked(NULL, v, intid);
	pthread_mutex_unlock(&v->lock);
	if (kick)
		sg_vcpu_kick_fn(v);
}

void sg_lpi_invall(struct sg_vm *vm, unsigned vcpu)
{
	struct sg_vcpu *v = &vm->vcpus[vcpu];
	bool kick;

	pthread_mutex_lock(&v->lock);
	kick = sg_lpi_invall_locked(NULL, v);
	pthread_mutex_unlock(&v->lock);
	if (kick)
		sg_vcpu_kick_fn(v);
}

void sg_lpi_sync(struct sg_vm *vm, unsigned vcpu, uint64_t sync_id)
{
	struct sg_vcpu *v = &vm->vcpus[vcpu];
	struct bus_rec r = { .kind = BUS_REC_SYNC_DONE, .id = sync_id };

	/* Every earlier bus message was applied before this one (the bus
	 * thread applies them in order, synchronously); the vCPU's outbox
	 * keeps SyncDone in order with what the vCPU reported before. */
	pthread_mutex_lock(&v->lock);
	sg_bus_post_locked(v, &r);
	pthread_mutex_unlock(&v->lock);
	VM_STAT_INC(vm, SG_VM_LPI_SYNCS);
}

void sg_lpi_move(struct sg_vm *vm, unsigned from, unsigned to, uint32_t intid)
{
	struct sg_vcpu *f = &vm->vcpus[from], *t = &vm->vcpus[to];
	uint32_t n = intid - GIC_LPI_BASE;
	bool moved = false, kick = false;

	if (from == to)
		return;
	pthread_mutex_lock(&f->lock);
	if (f->rd.enable_lpis && n < f->lpi.nr_ids) {
		moved = take_pending_locked(NULL, f, n);
		if (moved)
			STAT_INC(f, SG_STAT_LPI_MOVED);
		kick = refill_wake_locked(f, false);
	}
	pthread_mutex_unlock(&f->lock);
	if (kick)
		sg_vcpu_kick_fn(f);
	if (!moved)
		return;
	pthread_mutex_lock(&t->lock);
	kick = refill_wake_locked(t, set_pending_locked(t, intid));
	pthread_mutex_unlock(&t->lock);
	if (kick)
		sg_vcpu_kick_fn(t);
}

void sg_lpi_movall(struct sg_vm *vm, unsigned from, unsigned to)
{
	struct sg_vcpu *f = &vm->vcpus[from], *t = &vm->vcpus[to];
	uint64_t *x = vm->lpi_xfer; /* all zero between calls */
	struct sg_lpi_rd *l = &f->lpi;
	bool held = false, any = false, kick = false;

	if (from == to || !x)
		return;
	pthread_mutex_lock(&f->lock);
	if (f->rd.enable_lpis) {
		if (lpi_in_lrs(f))
			sg_vcpu_hold(NULL, f, &held);
		for (unsigned i = 0; i < l->pool_size; i++) {
			struct sg_irq *irq = &l->pool[i];

			if (!irq->intid || irq->lr >= 0)
				continue; /* free, or still in an LR: stays */
			if (irq->pending_latch)
				bit_set(x, irq->intid - GIC_LPI_BASE);
			entry_free(l, irq);
		}
		for (unsigned w = 0; w < SG_LPI_WORDS; w++) {
			x[w] |= l->pend[w];
			l->pend[w] = 0;
			l->ready[w] = 0;
			any |= x[w] != 0;
		}
		memset(l->ready_sum, 0, sizeof(l->ready_sum));
		l->nr_ready = 0;
		sg_vcpu_release(f, held);
	}
	pthread_mutex_unlock(&f->lock);
	if (!any)
		return;
	pthread_mutex_lock(&t->lock);
	for (unsigned w = 0; w < SG_LPI_WORDS; w++) {
		uint64_t bits = x[w];

		x[w] = 0;
		while (bits) {
			uint32_t n = w * 64 + (uint32_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			kick |= set_pending_locked(t, GIC_LPI_BASE + n);
			STAT_INC_ATOMIC(f, SG_STAT_LPI_MOVED);
		}
	}
	kick = refill_wake_locked(t, kick);
	pthread_mutex_unlock(&t->lock);
	if (kick)
		sg_vcpu_kick_fn(t);
}

/* ---------------------------------------------------------- lifecycle */

int sg_lpi_init(struct sg_vcpu *v, unsigned pool_size)
{
	struct sg_lpi_rd *l = &v->lpi;

	for (unsigned p = 0; p < SG_LPI_PRIO_LEVELS; p++)
		sg_list_init(&l->q[p]);
	if (!pool_size)
		return 0;
	l->pend = calloc(SG_LPI_WORDS, sizeof(*l->pend));
	l->ready = calloc(SG_LPI_WORDS, sizeof(*l->ready));
	l->prop = calloc(GIC_NR_LPIS, sizeof(*l->prop));
	l->slot = calloc(GIC_NR_LPIS, sizeof(*l->slot));
	l->pool = calloc(pool_size, sizeof(*l->pool));
	l->free = calloc(pool_size, sizeof(*l->free));
	if (!l->pend || !l->ready || !l->prop || !l->slot || !l->pool || !l->free)
		return -ENOMEM;
	for (unsigned i = 0; i < pool_size; i++) {
		struct sg_irq *irq = &l->pool[i];

		sg_list_init(&irq->ap);
		irq->lr = -1;
		irq->group1 = true; /* LPIs are always Group 1 */
		irq->enabled = true;
		irq->edge = true;
		/* Popped from the top: entry 0 first. */
		l->free[i] = (uint16_t)(pool_size - 1 - i);
	}
	l->pool_size = l->nr_free = pool_size;
	return 0;
}

void sg_lpi_fini(struct sg_vcpu *v)
{
	struct sg_lpi_rd *l = &v->lpi;

	free(l->pend);
	free(l->ready);
	free(l->prop);
	free(l->slot);
	free(l->pool);
	free(l->free);
	memset(l, 0, sizeof(*l));
}
