/* SPDX-License-Identifier: MIT */
/*
 * gicd-server's trace points (docs/tracing.md).  Each event
 *
 *  1. fires a USDT probe (<sys/sdt.h>, provider "splitgic") that bpftrace,
 *     perf or stap attach to, and
 *  2. when a live-trace subscriber is registered (trace_set_sink()), hands
 *     it a struct trace_event.
 *
 * The probes use semaphores: a tracer attached to a probe raises its
 * semaphore (the kernel does it for uprobes with a reference counter), so
 * without a tracer and without a sink a trace point costs two loads and one
 * predictable branch; arguments (register names, timestamps, decoded ITS
 * command fields) are only computed behind it.  The probe sites themselves
 * are in trace.c: one per probe name.
 *
 * Everything here runs on the daemon's one thread (the embedded core calls
 * it under its lock); the sink is called synchronously from the trace
 * point, so it must not call back into the core.
 */
#ifndef GICD_TRACE_H
#define GICD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sg_vm_shape;

/* ------------------------------------------------------------ events */

enum trace_kind {
	TRACE_MMIO_RECV = 1, /* probe mmio__recv */
	TRACE_MMIO_REPLY,    /* probe mmio__reply */
	TRACE_DELIVER,	     /* probe deliver */
	TRACE_RETRACT,	     /* probe retract */
	TRACE_DEACTIVATE,    /* probe deactivate */
	TRACE_SPI_LEVEL,     /* probe spi__level */
	TRACE_MSI,	     /* probe msi */
	TRACE_ITS_CMD,	     /* probe its__cmd */
	TRACE_SNAPSHOT,	     /* probe snapshot */
	TRACE_RESTORE,	     /* probe restore */
	TRACE_ATTACH,	     /* probe attach */
	TRACE_DETACH,	     /* probe detach */
	TRACE_NR_KINDS
};

/* Which frame an MMIO address hit: the values of enum sg_frame. */
enum trace_frame {
	TRACE_FRAME_NONE = 0,
	TRACE_FRAME_GICD = 1,
	TRACE_FRAME_GICR = 2,
	TRACE_FRAME_ITS = 3,
};

/* MmioReply status: the values of Sg__MmioReply__Status. */
enum trace_mmio_status {
	TRACE_MMIO_OK = 0,
	TRACE_MMIO_IGNORED = 1,
	TRACE_MMIO_UNMAPPED = 2,
	TRACE_MMIO_MALFORMED = 3,
};

/* struct trace_irq.flags of a Deliver (the message's booleans). */
#define TRACE_DELIVER_SET_LATCH	 (1u << 0)
#define TRACE_DELIVER_SET_LINE	 (1u << 1)
#define TRACE_DELIVER_SET_ACTIVE (1u << 2)
#define TRACE_DELIVER_LEVEL	 (1u << 3) /* level-sensitive */
/* ... of a Retract */
#define TRACE_RETRACT_CLEAR_LATCH  (1u << 0)
#define TRACE_RETRACT_CLEAR_LINE   (1u << 1)
#define TRACE_RETRACT_CLEAR_ACTIVE (1u << 2)
#define TRACE_RETRACT_RETURN_LATCH (1u << 3)
/* ... of a Deactivated */
#define TRACE_DEACT_RETURNED_LATCH (1u << 0)

/* What became of an MSI. */
enum trace_msi_result {
	TRACE_MSI_TRANSLATED = 0, /* translated through the tables, Deliver sent */
	TRACE_MSI_CACHED = 1,	  /* translated by the cache, Deliver sent */
	TRACE_MSI_DISABLED = 2,	  /* dropped: GITS_CTLR.Enabled is 0 */
	TRACE_MSI_UNMAPPED = 3,	  /* dropped: no valid translation */
	TRACE_MSI_FAULT = 4,	  /* dropped: a table is not in guest RAM */
};

/* Where a restored VM came from. */
enum trace_restore_source {
	TRACE_RESTORE_FDSTORE = 0,    /* the service manager's fd store (restart) */
	TRACE_RESTORE_STATE_FILE = 1, /* --state-file, the VMM re-attached */
};

/* MMIO_RECV, MMIO_REPLY.  chan == vcpu (MMIO channel i is vCPU i). */
struct trace_mmio {
	uint32_t chan;
	uint32_t vcpu;
	uint64_t seq;
	uint64_t addr;	      /* guest physical */
	uint32_t frame;	      /* enum trace_frame */
	uint32_t frame_index; /* ITS number (ITS), vCPU (GICR) */
	uint64_t offset;      /* within the frame */
	uint32_t size;	      /* 1, 2, 4 or 8 */
	bool write;
	bool posted;	     /* RECV: no reply follows */
	bool known;	     /* REPLY: addr..posted were recorded at receive */
	uint64_t data;	     /* written value (write), read value (read reply) */
	uint32_t status;     /* REPLY: enum trace_mmio_status */
	uint64_t latency_ns; /* REPLY: since the request was received; 0 unknown */
};

/* DELIVER, RETRACT, DEACTIVATE. */
struct trace_irq {
	uint32_t vcpu;
	uint32_t intid;
	uint32_t gen;
	uint32_t flags;	   /* TRACE_DELIVER_*, TRACE_RETRACT_*, TRACE_DEACT_* */
	uint32_t priority; /* DELIVER */
	uint32_t group;	   /* DELIVER */
};

/* SPI_LEVEL (a device model's SpiLevel). */
struct trace_spi {
	uint32_t intid;
	bool level;
	bool pulse; /* an edge: level is not meaningful */
};

/* MSI (a device model's Msi or a GITS_TRANSLATER write). */
struct trace_msi {
	uint32_t its;
	uint32_t device_id;
	uint32_t event_id;
	uint32_t intid;	 /* the LPI, when delivered */
	uint32_t vcpu;	 /* its target, when delivered */
	uint32_t result; /* enum trace_msi_result */
};

/* ITS_CMD: one command taken off the queue, decoded (fields the opcode does
 * not have are 0). */
struct trace_its_cmd {
	uint32_t its;
	uint32_t op; /* GITS_CMD_* */
	uint64_t creadr;
	uint32_t device_id; /* MAPD MAPTI MAPI INT CLEAR INV DISCARD MOVI */
	uint32_t event_id;  /* MAPTI MAPI INT CLEAR INV DISCARD MOVI */
	uint32_t intid;	    /* MAPTI (pINTID), MAPI (= EventID) */
	uint32_t icid;	    /* MAPC MAPTI MAPI MOVI INVALL */
	uint64_t rdbase;    /* MAPC SYNC MOVALL (RDbase1) */
	uint64_t rdbase2;   /* MOVALL */
	uint64_t itt;	    /* MAPD */
	uint32_t size;	    /* MAPD: EventID bits - 1 */
	bool valid;	    /* MAPD MAPC: V */
	uint32_t error;	    /* 0, or the GITS error code recorded (0x01OOCC) */
};

/* SNAPSHOT: a full snapshot or a delta (one commit record). */
struct trace_snapshot {
	bool full;
	uint64_t bytes;
	uint64_t duration_ns; /* encode and write */
	int32_t rc;	      /* 0 or a negative errno */
};

/* RESTORE: a VM restored after a daemon restart. */
struct trace_restore {
	uint32_t source; /* enum trace_restore_source */
	uint64_t epoch;	 /* the new epoch */
	uint32_t channels;
	uint32_t vcpus;
};

/* ATTACH: a VM attached (or re-attached with its resume token). */
struct trace_attach {
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
	uint32_t vcpus;
	uint32_t spis;
	uint32_t its;
	uint32_t ram_regions;
	bool resumed;
};

/* DETACH: the VM is gone. */
struct trace_detach {
	char reason[32]; /* the channel that closed or failed */
};

struct trace_event {
	uint32_t kind;	/* enum trace_kind: which member of the union */
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	union {
		struct trace_mmio mmio;		/* MMIO_RECV, MMIO_REPLY */
		struct trace_irq irq;		/* DELIVER, RETRACT, DEACTIVATE */
		struct trace_spi spi;		/* SPI_LEVEL */
		struct trace_msi msi;		/* MSI */
		struct trace_its_cmd its_cmd;	/* ITS_CMD */
		struct trace_snapshot snapshot; /* SNAPSHOT */
		struct trace_restore restore;	/* RESTORE */
		struct trace_attach attach;	/* ATTACH */
		struct trace_detach detach;	/* DETACH */
	};
};

/* ------------------------------------------------- live subscribers */

/*
 * Registers the one live-trace subscriber: emit(arg, ev) is called for every
 * event from then on (ev is valid during the call only).  NULL emit removes
 * it.
 */
void trace_set_sink(void (*emit)(void *arg, const struct trace_event *ev), void *arg);
/* Whether a sink is registered (checked at every trace point). */
extern bool trace_sink_active;

/* "mmio_recv", "deliver", ...: the probe name with "__" as "_"; "?" if unknown. */
const char *trace_event_name(enum trace_kind kind);

/*
 * One event as one line of text without a newline or a timestamp, e.g.
 * "mmio0 recv seq 12 read GICD_ISENABLER(1) size 4".  snprintf()
 * semantics: returns the length of the whole line, writes at most len
 * bytes including the terminating NUL.
 */
int trace_event_format(const struct trace_event *ev, char *buf, size_t len);

/* Name of a register at offset in a frame ("GICD_ISENABLER(1)",
 * "GITS_CWRITER", "GICD+0x20" when reserved); snprintf() semantics. */
int trace_reg_name(uint32_t frame, uint32_t frame_index, uint64_t offset, char *buf, size_t len);
/* "MAPD", ... or "UNKNOWN". */
const char *trace_its_cmd_name(uint32_t op);
/* Name of an ITS error code (its low byte: "DEVICE_OOR", ...), "" for 0. */
const char *trace_its_error_name(uint32_t error);
const char *trace_msi_result_name(uint32_t result);

/* CLOCK_MONOTONIC in ns. */
uint64_t trace_now_ns(void);

/* ------------------------------------------------------ trace points */

/* One X(probe) per USDT probe, with its semaphore. */
#define TRACE_PROBES(X)                                                                            \
	X(mmio__recv)                                                                              \
	X(mmio__reply)                                                                             \
	X(deliver)                                                                                 \
	X(retract)                                                                                 \
	X(deactivate)                                                                              \
	X(spi__level)                                                                              \
	X(msi)                                                                                     \
	X(its__cmd)                                                                                \
	X(snapshot)                                                                                \
	X(restore)                                                                                 \
	X(attach)                                                                                  \
	X(detach)

#define TRACE_SEMAPHORE_DECL_(p) extern volatile unsigned short splitgic_##p##_semaphore;
TRACE_PROBES(TRACE_SEMAPHORE_DECL_)
#undef TRACE_SEMAPHORE_DECL_

/* True when a sink is registered or a tracer is attached to probe p. */
#define TRACE_ON(p) __builtin_expect(((int)trace_sink_active | splitgic_##p##_semaphore) != 0, 0)

/* The out-of-line halves: call the inline wrappers below instead. */
void trace_mmio_recv_slow(const struct sg_vm_shape *shape, unsigned chan, uint64_t seq,
			  uint64_t addr, unsigned size, bool write, bool posted, uint64_t data);
void trace_mmio_reply_slow(unsigned chan, uint64_t seq, uint64_t data, unsigned status);
void trace_irq_slow(enum trace_kind kind, unsigned vcpu, uint32_t intid, uint32_t gen,
		    uint32_t flags, uint32_t priority, uint32_t group);
void trace_spi_level_slow(uint32_t intid, bool level, bool pulse);
void trace_msi_slow(unsigned its, uint32_t device_id, uint32_t event_id, uint32_t intid,
		    unsigned vcpu, enum trace_msi_result result);
void trace_its_cmd_slow(unsigned its, uint64_t creadr, const uint64_t dw[4], uint32_t error);
void trace_snapshot_slow(bool full, uint64_t bytes, uint64_t t0, int rc);
void trace_restore_slow(enum trace_restore_source source, uint64_t epoch, unsigned channels,
			unsigned vcpus);
void trace_attach_slow(int pid, unsigned uid, unsigned gid, unsigned vcpus, unsigned spis,
		       unsigned its, unsigned ram_regions, bool resumed);
void trace_detach_slow(const char *reason);

/* A guest access taken off MMIO channel chan (shape: the VM's, to name the
 * register).  A read or waited write's receive time is kept for the reply. */
static inline void trace_mmio_recv(const struct sg_vm_shape *shape, unsigned chan, uint64_t seq,
				   uint64_t addr, unsigned size, bool write, bool posted,
				   uint64_t data)
{
	if (__builtin_expect(((int)trace_sink_active | splitgic_mmio__recv_semaphore |
			      splitgic_mmio__reply_semaphore) != 0,
			     0))
		trace_mmio_recv_slow(shape, chan, seq, addr, size, write, posted, data);
}

/* The MmioReply for channel chan's request seq (status: enum trace_mmio_status). */
static inline void trace_mmio_reply(unsigned chan, uint64_t seq, uint64_t data, unsigned status)
{
	if (TRACE_ON(mmio__reply))
		trace_mmio_reply_slow(chan, seq, data, status);
}

/* A Deliver sent on the bus; flags: TRACE_DELIVER_*. */
static inline void trace_deliver(unsigned vcpu, uint32_t intid, uint32_t gen, uint32_t flags,
				 uint32_t priority, uint32_t group)
{
	if (TRACE_ON(deliver))
		trace_irq_slow(TRACE_DELIVER, vcpu, intid, gen, flags, priority, group);
}

/* A Retract sent on the bus; flags: TRACE_RETRACT_*. */
static inline void trace_retract(unsigned vcpu, uint32_t intid, uint32_t gen, uint32_t flags)
{
	if (TRACE_ON(retract))
		trace_irq_slow(TRACE_RETRACT, vcpu, intid, gen, flags, 0, 0);
}

/* A Deactivated received from the bus. */
static inline void trace_deactivate(unsigned vcpu, uint32_t intid, uint32_t gen,
				    bool returned_latch)
{
	if (TRACE_ON(deactivate))
		trace_irq_slow(TRACE_DEACTIVATE, vcpu, intid, gen,
			       returned_latch ? TRACE_DEACT_RETURNED_LATCH : 0, 0, 0);
}

/* A SpiLevel received from a device model. */
static inline void trace_spi_level(uint32_t intid, bool level, bool pulse)
{
	if (TRACE_ON(spi__level))
		trace_spi_level_slow(intid, level, pulse);
}

/* An MSI and what became of it (intid, vcpu: when delivered). */
static inline void trace_msi(unsigned its, uint32_t device_id, uint32_t event_id, uint32_t intid,
			     unsigned vcpu, enum trace_msi_result result)
{
	if (TRACE_ON(msi))
		trace_msi_slow(its, device_id, event_id, intid, vcpu, result);
}

/* An ITS command executed (dw: its four doublewords, host order); error: 0
 * or the error code it recorded. */
static inline void trace_its_cmd(unsigned its, uint64_t creadr, const uint64_t dw[4],
				 uint32_t error)
{
	if (TRACE_ON(its__cmd))
		trace_its_cmd_slow(its, creadr, dw, error);
}

/* Snapshots: t0 = trace_snapshot_start() before encoding, then
 * trace_snapshot() with the record's size and the store's result. */
static inline uint64_t trace_snapshot_start(void)
{
	return TRACE_ON(snapshot) ? trace_now_ns() : 0;
}
static inline void trace_snapshot(bool full, uint64_t bytes, uint64_t t0, int rc)
{
	if (TRACE_ON(snapshot))
		trace_snapshot_slow(full, bytes, t0, rc);
}

/* A VM restored after a restart: the new epoch, its channels re-attached. */
static inline void trace_restore(enum trace_restore_source source, uint64_t epoch,
				 unsigned channels, unsigned vcpus)
{
	if (TRACE_ON(restore))
		trace_restore_slow(source, epoch, channels, vcpus);
}

static inline void trace_attach(int pid, unsigned uid, unsigned gid, unsigned vcpus, unsigned spis,
				unsigned its, unsigned ram_regions, bool resumed)
{
	if (TRACE_ON(attach))
		trace_attach_slow(pid, uid, gid, vcpus, spis, its, ram_regions, resumed);
}

static inline void trace_detach(const char *reason)
{
	if (TRACE_ON(detach))
		trace_detach_slow(reason);
}

#endif
