/* SPDX-License-Identifier: MIT */
/*
 * libvcpu-agent internals: the interrupt, vCPU and VM objects shared by
 * vm.c, vcpu.c (flush/sync/kick/wait), redist.c, sgi.c, ppi.c and mmio.c.
 *
 * Locking (the whole library; each file that takes locks repeats the rule):
 *   - One mutex per vCPU, sg_vcpu.lock.  It protects that vCPU's ap_list,
 *     every struct sg_irq the vCPU holds (its 32 private interrupts, the
 *     SPIs it owns, its LPI entries), its LPI state (struct sg_lpi_rd),
 *     its redistributor registers and its in_guest / pause / kick state.
 *   - No VM-wide lock exists.  Code holds at most one vCPU lock at a time;
 *     should two ever be needed, the lower vCPU index is taken first.
 *     (Moving an LPI between vCPUs takes the source's lock, then, after
 *     releasing it, the destination's.)
 *   - No vCPU lock is held while calling a VMM kick function, sending on a
 *     channel or waiting for the daemon.
 *   - Embedded mode (embedded.c): the host's lock comes after bus.tx_lock
 *     and is never taken with a vCPU lock held; the host holds it while it
 *     calls nothing of the agent's.
 *   - The cpuif model and the MMIO channel belong to the vCPU's thread and
 *     take no lock.
 */
#ifndef SPLITGIC_AGENT_INTERNAL_H
#define SPLITGIC_AGENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ap_list.h"
#include "embedded_ops.h"
#include "gic_regs.h"
#include "lpi.h"
#include "mmio_chan.h"
#include "replay_log.h"
#include "splitgic/agent.h"
#include "splitgic/attach.h"
#include "splitgic/cpuif.h"
#include "vm_shape.h"

/*
 * One interrupt as a redistributor sees it (KVM's model): pending is the
 * latch, or for a level interrupt also the input line.
 */
struct sg_irq {
	struct sg_list_node ap; /* on the owner's ap_list when on_ap_list */
	uint32_t intid;
	uint16_t pintid;  /* physical INTID when hw */
	uint8_t priority; /* top SG_VPRI_BITS bits kept */
	int8_t lr;	  /* LR index while flushed into the guest, else -1 */
	uint8_t lr_state; /* ICH_LR state bits written at flush (>> 62) */
	bool group1;
	bool enabled;
	bool edge;	    /* ICFGR: edge-triggered (else level) */
	bool pending_latch; /* edge: the pending state; level: set by ISPENDR */
	bool line_level;    /* level: the input line */
	bool active;
	bool hw; /* deactivation reaches pintid (ICH_LR.HW) */
	bool on_ap_list;
	bool eoi_candidate; /* active but left without an LR at the last flush */
	/* The priority the guest acknowledged it at, while active: its LR keeps
	 * it until the guest deactivates (the EOI's priority drop must match
	 * the LR, whatever IPRIORITYR says meanwhile). */
	bool ack_prio_valid;
	uint8_t ack_priority;
	/* SPIs owned for gicd-server (spi.c): the generation of the last bus
	 * message about it, and a pending latch handed back by a Retract while
	 * the interrupt was still active (returned in its Deactivated). */
	bool returned_latch;
	uint32_t gen;
};

static inline bool sg_irq_pending(const struct sg_irq *irq)
{
	return irq->pending_latch || (!irq->edge && irq->line_level);
}

/* Active no more (ICACTIVER, Retract, EOIcount): no acknowledged priority. */
static inline void sg_irq_clear_active(struct sg_irq *irq)
{
	irq->active = false;
	irq->ack_prio_valid = false;
}

/* What earns a place on the ap_list, and in an LR (KVM's target oracle). */
static inline bool sg_irq_queueable(const struct sg_irq *irq)
{
	return irq->active || (irq->enabled && sg_irq_pending(irq));
}

/* Counters: each has one writer at a time (the owning thread or the lock
 * holder), so a relaxed load+store is enough; the VMM reads them racily. */
struct sg_vcpu_counters {
	_Atomic uint64_t v[SG_VCPU_NR_STATS];
};

#define STAT_ADD(vcpu, idx, n)                                                                     \
	atomic_store_explicit(&(vcpu)->stats.v[idx],                                               \
			      atomic_load_explicit(&(vcpu)->stats.v[idx], memory_order_relaxed) +  \
				      (n),                                                         \
			      memory_order_relaxed)
#define STAT_INC(vcpu, idx) STAT_ADD(vcpu, idx, 1)
/* For counters any thread may bump without a lock (rare paths). */
#define STAT_INC_ATOMIC(vcpu, idx)                                                                 \
	atomic_fetch_add_explicit(&(vcpu)->stats.v[idx], 1, memory_order_relaxed)

/*
 * A message for gicd-server produced under a vCPU's lock (by its sync, or by
 * the bus thread handling a daemon message), sent later by the bus thread:
 * the vCPU thread never takes the bus lock on its exit path.
 */
enum bus_rec_kind {
	BUS_REC_DEACTIVATED,
	BUS_REC_QUERY_REPLY,
	BUS_REC_CPU_STATE,
	BUS_REC_SYNC_DONE,
};

struct bus_rec {
	uint8_t kind; /* enum bus_rec_kind */
	bool a, b, c; /* returned_latch | pending, active | grp0, grp1, asleep */
	uint32_t intid;
	uint32_t gen;
	uint64_t id; /* query id, sync id */
};

struct bus_outbox {
	struct bus_rec *rec;
	unsigned cap, head, count; /* ring, under the vCPU lock */
};

struct sg_redist {
	bool enable_lpis; /* GICR_CTLR.EnableLPIs */
	bool proc_sleep;  /* GICR_WAKER.ProcessorSleep */
	uint64_t propbaser;
	uint64_t pendbaser;
};

struct sg_vcpu {
	pthread_mutex_t lock;
	/* Kicks and new interrupts wake sg_vcpu_wait() here. */
	pthread_cond_t wake_cond;
	/* Sync (left the guest) and the end of a pause are signalled here. */
	pthread_cond_t state_cond;

	struct sg_vm *vm;
	unsigned idx;
	uint64_t mpidr;

	/* --- under lock */
	struct sg_list_node ap_list;
	struct sg_irq priv[GIC_NR_PRIVATE];
	struct sg_redist rd;
	bool in_guest;	      /* between flush and sync */
	bool kicked;	      /* a kick not yet consumed by flush or wait */
	unsigned pause_req;   /* other threads waiting to edit LR-held state */
	unsigned nr_lrs_used; /* LRs the last flush wrote */
	struct sg_irq *lr_irq[SG_CPUIF_MAX_LRS];
	void (*kick_fn)(struct sg_vcpu *v, void *arg);
	void *kick_arg;
	struct sg_irq *spis;	  /* nr_spis entries, INTID 32 + i: owned SPIs */
	struct bus_outbox outbox; /* messages for the bus thread to send */
	uint8_t cpu_state_sent;	  /* last CpuState reported (CPU_STATE_* bits) */

	/* --- vCPU thread only */
	struct sg_cpuif cpuif;
	struct mmio_chan chan;
	bool warned_unsynced;

	struct sg_vcpu_counters stats;

	/* --- under lock; last, away from the flush/sync fields above */
	struct sg_lpi_rd lpi; /* LPI pending state, property cache, entries */
} __attribute__((aligned(64)));

struct sg_aff_entry {
	uint64_t aff;
	unsigned idx;
};

/*
 * How the agent reaches the distributor and ITS, chosen when attaching:
 * gicd-server's channels (bus_send.c, the default) or an in-process host
 * (embedded.c, docs/embedded.md).  Set before any vCPU runs, then only
 * read, without a lock.
 */
struct sg_xport {
	/* vCPU thread: a read or waited write, a posted write, a vCPU's
	 * GITS_TRANSLATER write.  0 or a negative errno. */
	int (*mmio_call)(struct sg_vcpu *v, uint64_t addr, unsigned size, bool write,
			 uint64_t *data);
	int (*mmio_post)(struct sg_vcpu *v, uint64_t addr, unsigned size, uint64_t data);
	int (*mmio_msi)(struct sg_vcpu *v, uint32_t its, uint32_t device_id, uint32_t event_id);
	/* One message (or a Batch) for the distributor on the bus; tx_lock held. */
	int (*bus_send_locked)(struct sg_vm *vm, Sg__Envelope *env);
};

extern const struct sg_xport sg_xport_channels;
extern const struct sg_xport sg_xport_embedded;

/* The interrupt bus to gicd-server (bus.c, bus_send.c, bus_restart.c). */
struct sg_bus {
	int fd;	     /* VMM end of the bus socketpair, -1 when detached */
	int wake_fd; /* eventfd: outboxes have records, or stop */
	pthread_t thread;
	bool thread_running;
	atomic_bool stop;
	atomic_bool wake_pending; /* wake_fd already signalled, not yet read */
	pthread_mutex_t tx_lock;  /* sending: sequence numbers follow socket order */
	uint64_t tx_seq;	  /* Envelope.seq of the last message sent */
	/* Restart (docs/restart.md), under tx_lock: what the daemon has not
	 * made durable yet, and senders waiting for room in it. */
	struct replay_log log;
	pthread_cond_t log_room;
	/* Re-attached, the daemon's Resume not seen yet: numbered messages go
	 * to the log only (the replay sends them after what the daemon lacks,
	 * so it never sees a gap). */
	bool await_resume;
	/* Bus thread only: numbered daemon messages received / acknowledged. */
	uint64_t rx_seq;
	uint64_t rx_acked;
	pthread_t thread_id;
	unsigned char *rx; /* SG_WIRE_MAX + 1 */
	unsigned char *arena_buf;
	struct sg_attachment *att; /* when attached by sg_vm_connect() */
	char *control_path;	   /* to re-attach to a restarted daemon */
	char *vm_name;
	/* sg_vm_signal_msis(): one batch's messages, under tx_lock. */
	struct sg_msi_msg *msi;
	Sg__Envelope **msi_ptr;
	/* Embedded mode (embedded.c): the in-process host, else NULL. */
	const struct sg_embedded_ops *emb_ops;
	void *emb_host;
	_Atomic uint64_t stats[SG_VM_NR_STATS];
};

struct sg_vm {
	const struct sg_xport *xport;
	struct sg_vm_shape shape;
	bool has_its;
	unsigned nr_ram;
	struct sg_vm_ram ram[SG_MAX_RAM_REGIONS];
	struct sg_bus bus;
	struct sg_vcpu *vcpus;	     /* nr_vcpus, 64-byte aligned */
	struct sg_aff_entry *by_aff; /* nr_vcpus, sorted by affinity */
	unsigned lpi_pool;	     /* LPI entries per vCPU */
	uint64_t *lpi_xfer;	     /* SG_LPI_WORDS: the bus thread's MOVALL scratch */
};

/* vm.c */
/* vCPU index with this affinity (Aff3..Aff0 bits), or -1. */
int sg_vm_find_affinity(const struct sg_vm *vm, uint64_t aff);
/*
 * The host address of guest range [gpa, gpa + len) if it lies inside one
 * RAM region, else NULL (the guest hands LPI table addresses: never trust
 * them).  Guest RAM is shared with the running guest: access it with
 * relaxed atomics only (lpi.c).
 */
void *sg_vm_ram_ptr(const struct sg_vm *vm, uint64_t gpa, uint64_t len);
void sg_irq_reset_private(struct sg_irq *irq, uint32_t intid);

/* vcpu.c */
/*
 * Puts irq on v's ap_list if it now needs to be there.  Returns true when
 * the vCPU should be kicked: the interrupt is deliverable (it may already be
 * on the ap_list, or in an LR whose copy went stale).  Lock held.
 */
bool sg_vcpu_queue_locked(struct sg_vcpu *v, struct sg_irq *irq);
/* Sets the kick flag and wakes sg_vcpu_wait().  Lock held. */
void sg_vcpu_wake_locked(struct sg_vcpu *v);
/* Calls the VMM's kick function, if any.  Lock not held. */
void sg_vcpu_kick_fn(struct sg_vcpu *v);

/*
 * Cross-vCPU access to state that may sit in t's List registers: with t's
 * lock held, makes sure t is outside the guest (kicks it and waits, bounded,
 * for its sync) and keeps it from re-entering until sg_vcpu_release().
 * Returns false if t did not leave the guest in time (the caller goes on
 * with the state as of t's last flush, which is logged and counted).
 * acc is the vCPU on whose behalf the access is made.
 */
bool sg_vcpu_hold(struct sg_vcpu *acc, struct sg_vcpu *t, bool *held);
void sg_vcpu_release(struct sg_vcpu *t, bool held);

/* spi.c: the redistributor side of SPI ownership (docs/protocol.md). */
void sg_spi_deliver(struct sg_vm *vm, const Sg__Deliver *d);
void sg_spi_retract(struct sg_vm *vm, const Sg__Retract *r);
void sg_spi_query(struct sg_vm *vm, const Sg__Query *q);
/* An owned SPI went idle (sync pruned it): report Deactivated.  Lock held. */
void sg_spi_released_locked(struct sg_vcpu *v, struct sg_irq *irq);

/* bus.c */
#define CPU_STATE_GRP0	 1u
#define CPU_STATE_GRP1	 2u
#define CPU_STATE_ASLEEP 4u
#define CPU_STATE_VALID	 8u
/* Queues rec for the bus thread; wakes it after the lock is dropped
 * (sg_bus_wake()).  Lock held. */
void sg_bus_post_locked(struct sg_vcpu *v, const struct bus_rec *rec);
void sg_bus_wake(struct sg_vm *vm);
/* Reports the vCPU's group enables / sleep to 1-of-N routing if they
 * changed.  Lock held. */
void sg_bus_cpu_state_locked(struct sg_vcpu *v);
int sg_bus_init(struct sg_vm *vm);
void sg_bus_fini(struct sg_vm *vm);
/* Bus thread: applies the distributor's messages msgs[0..n-1] in order
 * (validated); sends what the vCPUs queued in their outboxes. */
void sg_bus_dispatch(struct sg_vm *vm, Sg__Envelope *const *msgs, size_t n);
void sg_bus_drain_outboxes(struct sg_vm *vm);

/* bus_send.c.  The replay log's size; how long an attach may take. */
#define BUS_LOG_SIZE	  (16u << 20)
#define ATTACH_TIMEOUT_MS 5000
/* One numbered message (a Batch: several), kept until durable; takes
 * tx_lock.  A daemon that is gone does not fail it (the replay sends it). */
int sg_bus_send_one(struct sg_vm *vm, Sg__Envelope *env);
/* Ack and the like: not numbered, not kept.  Takes tx_lock. */
void sg_bus_send_unnumbered(struct sg_vm *vm, Sg__Envelope *env);
/* A vCPU's outbox records, in order, batched; v->lock not held. */
int sg_bus_send_recs(struct sg_vm *vm, unsigned vcpu, const struct bus_rec *recs, unsigned n);
/* Takes up to max of a vCPU's outbox records, oldest first.  v->lock held. */
unsigned sg_bus_take_recs_locked(struct sg_vcpu *v, struct bus_rec *recs, unsigned max);

/* bus_restart.c, on the bus thread. */
void sg_bus_on_durable(struct sg_vm *vm, uint64_t seq);
void sg_bus_on_resume(struct sg_vm *vm, const Sg__Resume *r);
/* The daemon hung up: re-attach to its restarted instance (bounded);
 * false if stopped or given up. */
bool sg_bus_reattach(struct sg_vm *vm);
/* The VM's guest RAM as attach descriptors (ram[SG_MAX_RAM_REGIONS]). */
void sg_bus_ram_descs(const struct sg_vm *vm, struct sg_ram_desc *ram);
/* Attached (either transport): reports every vCPU's state to 1-of-N
 * routing and starts the bus thread. */
int sg_bus_start(struct sg_vm *vm, void *(*thread)(void *));

/* embedded.c: after the bus thread stopped, unbinds the host. */
void sg_embedded_detach(struct sg_vm *vm);
#define VM_STAT_INC(vm, idx)                                                                       \
	atomic_fetch_add_explicit(&(vm)->bus.stats[idx], 1, memory_order_relaxed)

/* redist.c: an access to vCPU t's 128 KiB GICR frame on behalf of acc. */
void sg_redist_access(struct sg_vcpu *acc, struct sg_vcpu *t, uint32_t offset, unsigned size,
		      bool write, uint64_t *data);

#endif
