/* SPDX-License-Identifier: MIT */
/*
 * LPI test fixture: a VM with one ITS and 16 MiB of guest RAM (a memfd the
 * test maps as the guest's view and hands to the agent, and through it to
 * gicd-server), and what a guest's GICv3/ITS driver does with it, as Linux's
 * irq-gic-v3(-its).c does: GITS_CBASER/BASER0/BASER1, the command queue
 * (CWRITER, then reading CREADR until it caught up), GICR_PROPBASER/
 * PENDBASER/CTLR.EnableLPIs, the property table.  Command layouts follow Arm
 * IHI 0069 ("ITS commands"); expected results come from the architecture.
 *
 * Every access goes through sg_vcpu_mmio() of a vCPU: call the helpers from
 * that vCPU's thread, outside its guest (between sync and flush).
 */
#ifndef LPI_FIXTURE_H
#define LPI_FIXTURE_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "gic_regs.h"
#include "harness.h"
#include "splitgic/agent.h"

#define RAM_GPA	     0x40000000ull
#define RAM_SIZE     (16ull << 20)
#define CMDQ_GPA     (RAM_GPA + 0x10000)
#define CMDQ_PAGES   16u					 /* 64 KiB: 2048 commands */
#define DT_GPA	     (RAM_GPA + 0x100000)			 /* flat, 4K: 512 devices */
#define CT_GPA	     (RAM_GPA + 0x110000)			 /* flat, 4K: 512 collections */
#define ITT_GPA(d)   (RAM_GPA + 0x200000 + (uint64_t)(d)*0x1000) /* d < 256 */
#define PROP_GPA     (RAM_GPA + 0x400000)
#define PEND_GPA(v)  (RAM_GPA + 0x800000 + (uint64_t)(v)*0x10000) /* 64K aligned */
#define LPI(n)	     (GIC_LPI_BASE + (n))
#define PRIO_DEFAULT 0xA0u /* Linux's LPI priority */

struct gicd_embedded;

struct lpi_fx {
	struct harness_daemon d;
	bool daemon;
	struct gicd_embedded *emb; /* FX_EMBEDDED: the daemon's core in this process */
	struct sg_vm *vm;
	unsigned nr_vcpus;
	int memfd;
	uint8_t *ram; /* the guest's view of all of RAM */
	uint64_t q_wr;
};

extern struct lpi_fx fx;

/*
 * A VM with nr_vcpus vCPUs (MPIDR Aff0 = index), 4 LRs, 64 SPIs, one ITS,
 * lpi_pool entries (0: default) and the RAM above; with_daemon: started and
 * attached to a gicd-server (else the agent alone: GICR only), or with
 * FX_EMBEDDED=1 in the environment the same core in this process (embedded
 * mode, docs/embedded.md).  Every vCPU's interface is enabled for Group 1
 * with PMR 0xF8.
 */
void fx_setup(unsigned nr_vcpus, unsigned lpi_pool, bool with_daemon);
void fx_teardown(void);

static inline struct sg_vcpu *vc(unsigned i)
{
	return sg_vm_vcpu(fx.vm, i);
}

/* Guest RAM, as a guest CPU writes it (relaxed atomics: the agent reads the
 * same bytes concurrently). */
uint8_t *gpa_ptr(uint64_t gpa);
void prop_set(uint32_t intid, uint8_t prio, bool enable);
void pend_set(unsigned vcpu, uint32_t intid, bool pending);
bool pend_get(unsigned vcpu, uint32_t intid);

/* Register accesses by vCPU `by`. */
void gits_write(unsigned by, uint32_t off, unsigned size, uint64_t val);
uint64_t gits_read(unsigned by, uint32_t off, unsigned size);
void gicr_write(unsigned by, unsigned rd, uint32_t off, unsigned size, uint64_t val);
uint64_t gicr_read(unsigned by, unsigned rd, uint32_t off, unsigned size);

/* Linux's its_probe/its_alloc_tables + its_cpu_init_lpis, by vCPU `by`. */
void its_setup(unsigned by);
/* Redistributor rd: PROPBASER (IDbits 15), PENDBASER (PTZ: the table is
 * zeroed), WAKER awake, EnableLPIs. */
void rd_setup(unsigned by, unsigned rd);

/* Commands, queued in guest RAM; its_run() makes the ITS run them (CWRITER)
 * and reads CREADR until it caught up (each read fences, DESIGN §4). */
void c_mapd(uint32_t dev, unsigned size, uint64_t itt, bool valid);
void c_mapc(uint32_t icid, unsigned rd, bool valid);
void c_mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid);
void c_movi(uint32_t dev, uint32_t ev, uint32_t icid);
void c_int(uint32_t dev, uint32_t ev);
void c_clear(uint32_t dev, uint32_t ev);
void c_inv(uint32_t dev, uint32_t ev);
void c_discard(uint32_t dev, uint32_t ev);
void c_invall(uint32_t icid);
void c_sync(unsigned rd);
void c_movall(unsigned from, unsigned to);
void its_run(unsigned by);

/* The guest on vCPU v: flush, acknowledge at most one Group 1 interrupt,
 * EOI it, sync.  Returns its INTID or 1023; *prio gets its LR priority. */
uint32_t take_once(unsigned v, uint8_t *prio);
/* Like take_once() but waits (sg_vcpu_wait) for one, bounded by a safety
 * net: 1023 if none came. */
uint32_t take_wait(unsigned v);
/* Nothing deliverable on v: a flush fills no LR with a pending interrupt. */
void expect_idle(unsigned v);

/* The LR (if any) of v's interface holding INTID id, or -1. */
static inline int find_lr(struct sg_cpuif *c, uint32_t id)
{
	for (unsigned i = 0; i < c->nr_lrs; i++) {
		uint64_t lr = sg_cpuif_read_lr(c, i);

		if ((lr & ICH_LR_STATE_MASK) && (uint32_t)(lr & ICH_LR_VINTID_MASK) == id)
			return (int)i;
	}
	return -1;
}

/* A counter of vCPU v. */
static inline uint64_t vstat(unsigned v, enum sg_vcpu_stat s)
{
	return sg_vcpu_stat(vc(v), s);
}

#endif
