// SPDX-License-Identifier: MIT
/*
 * The chaos workload's private header: its layout (SPIs, MSIs, guest RAM),
 * the shared state (struct chaos, the SPI and MSI state machines, the
 * reference model of the registers), small helpers, and what each file of
 * the workload provides to the others.  The tests use chaos_workload.h.
 *
 *   chaos_workload.c  lifecycle: start, progress waits, finish, report
 *   chaos_vcpus.c     vCPU threads: MMIO traps, IAR / handler / EOIR
 *   chaos_devices.c   the SPI and MSI device threads
 *   chaos_config.c    configuration writes, the model, read-backs
 *   chaos_its.c       the ITS: command queue, boot, MOVI
 */
#ifndef SPLITGIC_CHAOS_INTERNAL_H
#define SPLITGIC_CHAOS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "chaos_workload.h"
#include "gic_regs.h"

#define NV CHAOS_NR_VCPUS
/* SPIs 32..127: 32..55 carry traffic, 56..63 are never touched, 64..127
 * are only configured (never raised). */
#define NR_SPIS	 96u
#define T_FIRST	 32u
#define T_N	 24u
#define C_FIRST	 64u
#define LAST_SPI (GIC_SPI_BASE + NR_SPIS - 1)
#define SPI(i)	 ((i)-GIC_SPI_BASE) /* model index */

/* MSIs: DeviceIDs 1..NDEV, NEV events each, LPIs from 8192; collection v
 * is vCPU v's redistributor. */
#define NDEV	    2u
#define NEV	    16u
#define NE	    (NDEV * NEV)
#define EV_LPI(i)   (GIC_LPI_BASE + (i))
#define EV_DEV(i)   (1u + (i) / NEV)
#define EV_EVENT(i) ((i) % NEV)

/* Guest RAM: the ITS's command queue and tables, the LPI tables. */
#define RAM_GPA	    0x40000000ull
#define RAM_SIZE    (16ull << 20)
#define CMDQ_GPA    (RAM_GPA + 0x10000)
#define CMDQ_SIZE   (16u * 4096u)
#define DT_GPA	    (RAM_GPA + 0x100000)
#define CT_GPA	    (RAM_GPA + 0x110000)
#define ITT_GPA(d)  (RAM_GPA + 0x200000 + (uint64_t)(d)*0x1000)
#define PROP_GPA    (RAM_GPA + 0x400000)
#define PEND_GPA(v) (RAM_GPA + 0x800000 + (uint64_t)(v)*0x10000)
#define LPI_PRIO    0xA0u

#define DEFAULT_LIVENESS_MS 60000u
/* An idle vCPU re-checks its flags this often (a kick ends it sooner). */
#define WAIT_SLICE_NS	   5000000ll
#define IROUTER_MASK	   0xFF80FFFFFFull /* Aff3, IRM, Aff2..Aff0 */
#define GICD_CTLR_EXPECTED (GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE | GICD_CTLR_DS)

enum { ST_IDLE, ST_RAISED, ST_DROPPED };

struct spi_state {
	uint32_t intid;
	bool edge;
	atomic_int st;
	atomic_uint raised; /* edge: pulses; level: assertions */
	atomic_uint handled;
};

struct ev_state {
	atomic_bool out; /* an MSI was sent and not handled yet */
	atomic_uint sent;
	atomic_uint handled;
	atomic_uint coll; /* written by vCPU 0 (the driver), read in reports */
};

/* What every register must read.  Each entry has one writer: the vCPU
 * thread that owns it (owner()), or the main thread before and after. */
struct model {
	uint8_t prio[NR_SPIS];
	uint64_t irouter[NR_SPIS];
	bool enabled[NR_SPIS];
	uint32_t icfgr[(GIC_SPI_BASE + NR_SPIS) / 16];
	uint32_t igroupr[(GIC_SPI_BASE + NR_SPIS) / 32];
	uint64_t cbaser, baser0, baser1;
};

struct chaos_vcpu {
	struct chaos *c;
	unsigned idx;
	struct sg_vcpu *v;
	pthread_t thread;
	unsigned rs;
};

struct chaos {
	struct chaos_config cfg;
	unsigned liveness_ms;
	struct sg_vm *vm;
	int memfd;
	uint8_t *ram;
	uint64_t q_wr; /* command queue write offset: vCPU 0 (main before) */
	struct spi_state spis[T_N];
	struct ev_state evs[NE];
	struct model m;
	struct chaos_vcpu vc[NV];
	pthread_t spi_dev, msi_dev;
	bool started;
	atomic_bool stop_gen; /* no new interrupts, no configuration */
	atomic_bool stop;     /* threads leave */
	atomic_uint_fast64_t progress;
	atomic_uint_fast64_t reads_done; /* GICD/ITS reads answered */
	atomic_uint_fast64_t config_writes, readbacks, state_reads, its_moves;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_uint failures;
	char failure[512];
};

/* ------------------------------------------------------------ helpers */

static inline bool failed(struct chaos *c)
{
	return atomic_load(&c->failures) != 0;
}

static inline unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline bool is_traffic(uint32_t id)
{
	return id >= T_FIRST && id < T_FIRST + T_N;
}

/* ------------------------------------------- chaos_workload.c: lifecycle */

void chaos_notify(struct chaos *c);
/* Any thread: the first failure is kept (with the seed), everything stops. */
void chaos_fail(struct chaos *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Waits until pred(c, arg) or a failure, or nothing progressed for
 * liveness_ms: returns pred(c, arg). */
bool chaos_wait_for(struct chaos *c, bool (*pred)(struct chaos *c, void *arg), void *arg);

/* ------------------------------------- chaos_vcpus.c: the guest side */

/* Trapped accesses of vCPU v to the GICD, the ITS and redistributor rd:
 * 0, or -1 with the failure recorded. */
int chaos_gicd_w(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t val);
int chaos_gicd_r(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t *val);
int chaos_gits_w(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t val);
int chaos_gits_r(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t *val);
int chaos_gicr_w(struct chaos *c, unsigned v, unsigned rd, uint32_t off, unsigned size,
		 uint64_t val);
/* A vCPU thread; arg is its struct chaos_vcpu. */
void *chaos_vcpu_thread(void *arg);

/* ---------------------------------------- chaos_devices.c: the devices */

/* Device threads; arg is the struct chaos. */
void *chaos_spi_device(void *arg);
void *chaos_msi_device(void *arg);

/* ------------------------------ chaos_config.c: configuration and model */

/* The guest's distributor setup, every value recorded in the model. */
int chaos_configure(struct chaos *c);
/* One configuration write by vCPU v (a trap between guest entries). */
void chaos_config_write(struct chaos *c, unsigned v, unsigned *rs);
/* Reads back a register vCPU v owns: its own posted writes came first. */
void chaos_readback(struct chaos *c, unsigned v, unsigned *rs);
/* The final register state against the model, read as vCPU 0. */
void chaos_check_registers(struct chaos *c);

/* ------------------------------------------------- chaos_its.c: the ITS */

/* Linux's its_probe + its_cpu_init_lpis + a driver mapping its MSIs. */
int chaos_its_boot(struct chaos *c);
/* vCPU 0, outside its guest: move one event to another collection. */
void chaos_its_move(struct chaos *c, unsigned *rs);

#endif
