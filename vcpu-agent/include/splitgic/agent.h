/* SPDX-License-Identifier: MIT */
/*
 * libvcpu-agent: the per-vCPU half of splitgic, the part that belongs in the
 * hypervisor kernel.  It owns each vCPU's redistributor (SGIs, PPIs, LPIs),
 * the ap_list of pending/active interrupts, List register flush and sync,
 * and the client side of the channels to gicd-server.
 *
 * Threading: every sg_vcpu_* call marked "vCPU thread" must come from the
 * thread that runs that vCPU.  sg_vcpu_kick(), sg_vcpu_set_kick_fn(),
 * sg_vcpu_set_ppi_level(), sg_vcpu_set_device_irq_level(), sg_vcpu_map_hw(),
 * sg_vcpu_unmap_hw(), sg_vcpu_stat() and the sg_vm_* device calls may come
 * from any thread.
 *
 * Run loop (docs/agent.md): sg_vcpu_flush() right before entering the guest,
 * sg_vcpu_sync() right after leaving it and before handling the exit (a trap
 * handler may read state the guest changed in the List registers), then
 * handle the exit; block in sg_vcpu_wait() on WFI.
 */
#ifndef SPLITGIC_AGENT_H
#define SPLITGIC_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "splitgic/cpuif.h"
#include "vm_shape.h"

struct sg_vm;
struct sg_vcpu;
struct kvm_run;

/* A guest RAM range: the agent reads the LPI property and pending tables
 * through host (and writes the pending table back when LPIs are disabled);
 * gicd-server gets fd (a memfd or other mappable file) to map the ITS
 * tables. */
struct sg_vm_ram {
	uint64_t gpa;
	uint64_t size;
	void *host;
	int fd;
	uint64_t fd_offset;
};

struct sg_vm_config {
	unsigned nr_vcpus;
	const uint64_t *mpidr; /* nr_vcpus entries, affinity bits only */
	unsigned lr_count;     /* 1..16 */
	unsigned nr_spis;      /* 32..960 step 32, or 988 */
	struct sg_addr_map map;
	unsigned nr_ram;
	struct sg_vm_ram ram[SG_MAX_RAM_REGIONS];
	/* LPI entries per vCPU that can be queued for the List registers at
	 * once (0: SG_LPI_POOL_DEFAULT); more pending LPIs wait in the vCPU's
	 * pending bitmap until an entry frees (docs/agent.md, "LPIs"). */
	unsigned lpi_pool;
};

#define SG_LPI_POOL_DEFAULT 256u
#define SG_LPI_POOL_MAX	    4096u

/* Creates the VM's agent state.  Returns 0 or a negative errno. */
int sg_vm_create(const struct sg_vm_config *cfg, struct sg_vm **out);
void sg_vm_destroy(struct sg_vm *vm);
const struct sg_vm_shape *sg_vm_shape(const struct sg_vm *vm);
struct sg_vcpu *sg_vm_vcpu(struct sg_vm *vm, unsigned idx);
unsigned sg_vcpu_index(const struct sg_vcpu *v);

/* ------------------------------------------------ the link to gicd-server */

/*
 * Attaches the VM to the gicd-server listening on control_socket (Hello with
 * every channel and the RAM fds), hands each vCPU its MMIO channel and
 * starts the bus thread, which applies the daemon's messages to the
 * redistributors and sends theirs.  On failure returns a negative errno and
 * a one-line reason in err.
 */
int sg_vm_connect(struct sg_vm *vm, const char *control_socket, const char *vm_name, char *err,
		  size_t errlen);
/* Stops the bus thread and closes every channel (the daemon sees the VM go). */
void sg_vm_disconnect(struct sg_vm *vm);

/* ------------------------------------------------------- device models */

/*
 * A wired SPI's input line (the irqfd / KVM_IRQ_LINE equivalent): level
 * semantics for level-sensitive SPIs, a rising edge latches an
 * edge-triggered one.  Any thread; returns 0, -EINVAL for an INTID that is
 * not a configured SPI, or -ENOTCONN.
 */
int sg_vm_set_spi_level(struct sg_vm *vm, uint32_t intid, bool level);
/* A pulse: the line rises and falls (edge-triggered devices).  Any thread. */
int sg_vm_signal_spi_edge(struct sg_vm *vm, uint32_t intid);
/* KVM_SIGNAL_MSI: device_id writes event_id to GITS_TRANSLATER of ITS its. */
int sg_vm_signal_msi(struct sg_vm *vm, uint32_t its, uint32_t device_id, uint32_t event_id);
/*
 * n MSIs of one device at once, in order: sent as Batch datagrams of up to
 * SG_WIRE_MAX_BATCH messages, so a device model with many completions pays
 * one system call per batch instead of one per MSI.  Any thread.  Returns
 * 0, -EINVAL (bad its, events NULL with n > 0) or the send error; after an
 * error an unknown prefix of the events may have been sent.
 */
int sg_vm_signal_msis(struct sg_vm *vm, uint32_t its, uint32_t device_id, const uint32_t *events,
		      unsigned n);

enum sg_vm_stat {
	SG_VM_BUS_RX,	       /* datagrams received on the bus */
	SG_VM_BUS_TX,	       /* datagrams sent on the bus */
	SG_VM_BUS_REJECTED,    /* invalid messages from the daemon, dropped */
	SG_VM_SPI_DELIVERED,   /* Deliver of an SPI applied */
	SG_VM_SPI_RETRACTED,   /* Retract of an SPI applied */
	SG_VM_SPI_DEACTIVATED, /* Deactivated sent */
	SG_VM_QUERIES,	       /* Query answered */
	SG_VM_DEVICE_LINES,    /* SpiLevel sent for device models */
	SG_VM_DEVICE_MSIS,     /* Msi sent for device models */
	SG_VM_MSI_BATCHES,     /* datagrams carrying several of those MSIs */
	SG_VM_LPI_SYNCS,       /* Sync (ITS SYNC) answered with SyncDone */
	SG_VM_BUS_DUPLICATES,  /* daemon messages seen before (sent again after a restart) */
	SG_VM_RESUMES,	       /* daemon restarts seen (Resume) */
	SG_VM_REPLAYED,	       /* datagrams sent again after a restart */
	SG_VM_RECONNECTS,      /* re-attaches to a restarted daemon (no fd store) */
	SG_VM_LOG_FULL,	       /* senders that waited for room in the replay log */
	SG_VM_NR_STATS
};
uint64_t sg_vm_stat(const struct sg_vm *vm, enum sg_vm_stat s);

/*
 * Hands the agent the VMM end of vCPU idx's MMIO channel (a SOCK_SEQPACKET
 * socket); the agent does not take ownership of the fd.  Normally set up by
 * attaching to gicd-server (splitgic/attach.h).
 */
void sg_vcpu_set_mmio_channel(struct sg_vcpu *v, int fd);

/* ------------------------------------------------------ run loop hooks */

/* The vCPU's virtual CPU interface hardware (the LRs flush/sync program). */
struct sg_cpuif *sg_vcpu_cpuif(struct sg_vcpu *v);

/*
 * vCPU thread: before entering the guest, move the top of the ap_list into
 * the LRs and set the maintenance controls.  May wait briefly (bounded by one
 * register access) while another vCPU's thread edits state this vCPU held in
 * its LRs.
 */
void sg_vcpu_flush(struct sg_vcpu *v);
/* vCPU thread: after leaving the guest, fold the LRs back into the ap_list. */
void sg_vcpu_sync(struct sg_vcpu *v);

/*
 * True if an interrupt is pending that the vCPU could take (enabled, group
 * enabled, priority below PMR): what ends a WFI.  vCPU thread.
 */
bool sg_vcpu_pending_irq(struct sg_vcpu *v);

/*
 * vCPU thread: blocks until sg_vcpu_pending_irq() would be true, the vCPU is
 * kicked, or timeout_ns passes (< 0: no timeout).  Returns true if woken by an
 * interrupt or a kick.
 */
bool sg_vcpu_wait(struct sg_vcpu *v, int64_t timeout_ns);

/*
 * Makes the vCPU leave the guest (or its sg_vcpu_wait) soon, so a new
 * interrupt gets flushed.  The default wakes sg_vcpu_wait(); a VMM running
 * KVM installs a function that also interrupts KVM_RUN (e.g. a signal).
 * Any thread.
 */
void sg_vcpu_kick(struct sg_vcpu *v);
void sg_vcpu_set_kick_fn(struct sg_vcpu *v, void (*fn)(struct sg_vcpu *v, void *arg), void *arg);

/* ------------------------------------------------------------ traps */

enum sg_mmio_result {
	SG_MMIO_DONE = 0,    /* handled; *data holds the read value */
	SG_MMIO_NOT_GIC = 1, /* not a GIC frame: the VMM's other devices */
	SG_MMIO_ERROR = -1,  /* the daemon could not be reached (reported, logged) */
};

/*
 * vCPU thread: a guest access that trapped at addr.  Redistributor frames are
 * served here (any vCPU's: reading or changing the pending/active state of an
 * interrupt in another running vCPU's LRs kicks it and waits, bounded, for
 * its sync); GICD and ITS frames go to gicd-server on the vCPU's MMIO
 * channel, posted or waited as common/access_policy.c says; a write to
 * GITS_TRANSLATER becomes an Msi with DeviceID 0.  size is 1, 2, 4 or 8.
 */
enum sg_mmio_result sg_vcpu_mmio(struct sg_vcpu *v, uint64_t addr, unsigned size, bool write,
				 uint64_t *data);

/*
 * vCPU thread: KVM_EXIT_MMIO on a GIC frame; fills run->mmio.data for reads.
 * Returns SG_MMIO_NOT_GIC (and leaves run alone) for any other exit or
 * address.  Built when arm64 KVM headers are available (kvm_mmio.c).
 */
enum sg_mmio_result sg_vcpu_handle_kvm_mmio(struct sg_vcpu *v, struct kvm_run *run);

/*
 * vCPU thread: a trapped write to ICC_SGI1R_EL1, ICC_ASGI1R_EL1 or
 * ICC_SGI0R_EL1 (sysreg as SYS_ICC_* in gic_regs.h).  Returns false for any
 * other register.
 */
bool sg_vcpu_write_sgi(struct sg_vcpu *v, uint32_t sysreg, uint64_t val);

/* --------------------------------------------------------------- PPIs */

/* A PPI input line (16..31), level-sensitive as KVM's user irqchip lines. Any thread. */
void sg_vcpu_set_ppi_level(struct sg_vcpu *v, unsigned intid, bool level);

/*
 * KVM_CAP_ARM_USER_IRQ: run->s.regs.device_irq_level as KVM reports it
 * (KVM_ARM_DEV_EL1_VTIMER -> PPI 27, KVM_ARM_DEV_EL1_PTIMER -> PPI 30,
 * KVM_ARM_DEV_PMU -> PPI 23).  Any thread.
 */
void sg_vcpu_set_device_irq_level(struct sg_vcpu *v, uint64_t device_irq_level);
#define SG_DEV_EL1_VTIMER (1ull << 0)
#define SG_DEV_EL1_PTIMER (1ull << 1)
#define SG_DEV_PMU	  (1ull << 2)

/* The same from run->s.regs.device_irq_level after any exit (kvm_mmio.c). */
void sg_vcpu_handle_kvm_irq_level(struct sg_vcpu *v, const struct kvm_run *run);

/*
 * Maps private interrupt vintid to a physical interrupt pintid: flush then
 * writes the LR with HW=1, and the guest's deactivation reaches the
 * hardware (sg_cpuif.hw_deactivate) instead of a maintenance interrupt.
 */
int sg_vcpu_map_hw(struct sg_vcpu *v, unsigned vintid, unsigned pintid);
int sg_vcpu_unmap_hw(struct sg_vcpu *v, unsigned vintid);

/* ---------------------------------------------------------- counters */

enum sg_vcpu_stat {
	SG_STAT_MMIO_LOCAL,    /* GICR accesses served in the vCPU thread */
	SG_STAT_MMIO_POSTED,   /* GICD/ITS writes posted to gicd-server */
	SG_STAT_MMIO_WAITED,   /* GICD/ITS accesses that waited for a reply */
	SG_STAT_MMIO_MSI,      /* GITS_TRANSLATER writes sent as Msi */
	SG_STAT_MMIO_ERRORS,   /* no channel, or the channel failed */
	SG_STAT_MMIO_REJECTED, /* bad width/alignment or reserved offset: RAZ/WI */
	SG_STAT_FLUSHES,
	SG_STAT_SYNCS,
	SG_STAT_LR_OVERFLOWS,	   /* flushes that left queued entries without an LR */
	SG_STAT_EOICOUNT_DEACT,	   /* interrupts deactivated through ICH_HCR_EL2.EOIcount */
	SG_STAT_SGI_SENT,	   /* SGIs this vCPU generated (one per target) */
	SG_STAT_SGI_RECEIVED,	   /* SGIs made pending on this vCPU */
	SG_STAT_SGI_GROUP_DROPPED, /* SGI0R/ASGI1R writes that hit a Group 1 SGI */
	SG_STAT_KICKS,		   /* kicks received */
	SG_STAT_HOLD_WAITS,	   /* waits for another vCPU to leave the guest */
	SG_STAT_HOLD_TIMEOUTS,	   /* ... that gave up (state as of its last flush used) */
	SG_STAT_BAD_INPUT,	   /* invalid arguments from the VMM (INTID, register) */
	SG_STAT_LPI_PENDING,	   /* LPIs made pending here (MSI, MOVI, pending table) */
	SG_STAT_LPI_MERGED,	   /* ... that were pending already (one interrupt) */
	SG_STAT_LPI_DROPPED,	   /* EnableLPIs = 0 or beyond PROPBASER.IDbits: dropped */
	SG_STAT_LPI_POOL_WAITS,	   /* enabled LPIs that waited for a free entry */
	SG_STAT_LPI_MOVED,	   /* pending LPIs moved to another vCPU (MOVI, MOVALL) */
	SG_STAT_LPI_RAM_REJECTS,   /* LPI table accesses outside guest RAM */
	SG_VCPU_NR_STATS
};

/* A counter's current value; any thread. */
uint64_t sg_vcpu_stat(const struct sg_vcpu *v, enum sg_vcpu_stat s);
/* Short name of a counter ("mmio_local", ...), NULL if out of range. */
const char *sg_vcpu_stat_name(enum sg_vcpu_stat s);

#endif
