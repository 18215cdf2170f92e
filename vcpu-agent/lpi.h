/* SPDX-License-Identifier: MIT */
/*
 * The LPI side of a vCPU's redistributor (docs/agent.md, "LPIs"): pending
 * state, the property cache, the entries LPIs use on their way to the List
 * registers, and what the ITS (over the bus) and the GICR registers do to
 * them.
 *
 * Per vCPU, under its lock:
 *   - pend: LPIs pending here that hold no entry (a bit per LPI 8192..65535);
 *     ready: those of them that are enabled, i.e. waiting for an entry.
 *   - prop: the property bytes as last read from the guest's table, read at
 *     first use and on INV/INVALL/INVLPIR/INVALLR, never on delivery.
 *   - a fixed pool of struct sg_irq entries (allocated at sg_vm_create) for
 *     pending, enabled LPIs; an entry sits in one of 32 priority queues
 *     (FIFO within a priority), which flush merges with the ap_list, so
 *     flush and sync cost O(List registers) however many LPIs are queued.
 * An LPI is pending here iff its pend bit is set or it holds an entry whose
 * latch is set (or whose List register copy is pending while in the guest);
 * never both.  LPIs have no active state: sync drops what the List register
 * says about it (the guest's EOI of an LPI without an LR only drops the
 * running priority).
 */
#ifndef SPLITGIC_LPI_H
#define SPLITGIC_LPI_H

#include <stdbool.h>
#include <stdint.h>

#include "ap_list.h"
#include "gic_regs.h"
#include "wire.h"

struct sg_vm;
struct sg_vcpu;
struct sg_irq;

#define SG_LPI_WORDS	   (GIC_NR_LPIS / 64u) /* 64-bit words of a bitmap of all LPIs */
#define SG_LPI_SUM_WORDS   ((SG_LPI_WORDS + 63u) / 64u)
#define SG_LPI_PRIO_LEVELS 32u /* the 5 priority bits the cpuif keeps */
/* Most entries one call refills from the ready bitmap: bounds sync's work. */
#define SG_LPI_REFILL_MAX 32u

struct sg_lpi_rd {
	uint32_t nr_ids; /* LPIs 8192 .. 8192 + nr_ids - 1 exist; 0 while EnableLPIs = 0 */
	uint64_t *pend;	 /* SG_LPI_WORDS: pending, no entry */
	uint64_t *ready; /* SG_LPI_WORDS: of pend, enabled */
	uint64_t ready_sum[SG_LPI_SUM_WORDS]; /* bit w: ready[w] != 0 */
	unsigned nr_ready;
	uint8_t *prop;	/* GIC_NR_LPIS cached property bytes, LPI_PROP_CACHED when valid */
	uint16_t *slot; /* GIC_NR_LPIS: index + 1 of the LPI's entry, 0 if none */
	struct sg_irq *pool;
	uint16_t *free; /* free entry indices, a stack */
	unsigned pool_size, nr_free;
	struct sg_list_node q[SG_LPI_PRIO_LEVELS]; /* entries in use, by priority */
	uint32_t q_mask;			   /* bit p: q[p] not empty */
};

/* vm.c: allocation at sg_vm_create (only with an ITS: PLPIS) and release. */
int sg_lpi_init(struct sg_vcpu *v, unsigned pool_size);
void sg_lpi_fini(struct sg_vcpu *v);

/* Entries in use (pending, enabled), for flush. Lock held. */
static inline unsigned sg_lpi_nr_queued(const struct sg_lpi_rd *l)
{
	return l->pool_size - l->nr_free;
}

/* Queued entries in priority order, FIFO within a priority (flush, wait).  Lock held. */
struct sg_irq *sg_lpi_first_locked(struct sg_vcpu *v);
struct sg_irq *sg_lpi_next_locked(struct sg_vcpu *v, struct sg_irq *irq);

/* vcpu.c sync: irq (an LPI entry) was folded back from its List register. */
void sg_lpi_synced_locked(struct sg_vcpu *v, struct sg_irq *irq);
/* Queues up to SG_LPI_REFILL_MAX ready LPIs into free entries; true if any. */
bool sg_lpi_refill_locked(struct sg_vcpu *v);

/*
 * redist.c, target t's lock held, on behalf of vCPU acc (hold rules of
 * sg_vcpu_hold()).  Return true when t must be woken and kicked.
 *   enable: EnableLPIs 0 -> 1 (the flag already set): the pending table is
 *     read unless PENDBASER.PTZ.
 *   disable: EnableLPIs 1 -> 0 (the flag already clear): the pending state
 *     is written back to the pending table and dropped.
 */
bool sg_lpi_enable_locked(struct sg_vcpu *t);
void sg_lpi_disable_locked(struct sg_vcpu *acc, struct sg_vcpu *t);
bool sg_lpi_inv_locked(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t intid);
bool sg_lpi_invall_locked(struct sg_vcpu *acc, struct sg_vcpu *t);

/* bus.c: the ITS's messages (docs/protocol.md, "LPIs, ITS maintenance"). */
void sg_lpi_deliver_many(struct sg_vm *vm, Sg__Envelope *const *msgs, size_t n);
void sg_lpi_retract(struct sg_vm *vm, const Sg__Retract *r);
void sg_lpi_inv(struct sg_vm *vm, unsigned vcpu, uint32_t intid);
void sg_lpi_invall(struct sg_vm *vm, unsigned vcpu);
void sg_lpi_sync(struct sg_vm *vm, unsigned vcpu, uint64_t sync_id);
void sg_lpi_move(struct sg_vm *vm, unsigned from, unsigned to, uint32_t intid);
void sg_lpi_movall(struct sg_vm *vm, unsigned from, unsigned to);

#endif
