/* SPDX-License-Identifier: MIT */
/*
 * End-to-end SPI test fixture: the real gicd-server (tests/harness), one VM
 * attached through sg_vm_connect(), and "vCPU threads" that run a small
 * guest loop on the virtual CPU interface model:
 *
 *   sg_vcpu_wait (bounded) -> flush -> while virq: IAR, record, handler
 *   hook, EOIR (+ DIR with EOImode 1) -> sync -> "done" counters.
 *
 * A guest access to the GICD frame is a trap, served in the vCPU's own
 * thread outside the guest: fx_read()/fx_write() run it there when the
 * vCPU's thread is running (the agent's MMIO channel belongs to that
 * thread), or directly in the caller while it is not.
 *
 * Waiting is event driven (condition variable broadcast on every handled
 * interrupt, completion and kick) with a generous liveness bound that fails
 * the test; nothing here sleeps to synchronise.  Helper threads never call
 * ck_assert: they record the first failure, which the main thread reports.
 *
 * One fixture per test process (Check forks each test).
 */
#ifndef SPLITGIC_SPI_FIXTURE_H
#define SPLITGIC_SPI_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "gic_regs.h"
#include "splitgic/agent.h"

struct gicd_embedded;

#define FX_MAX_VCPUS 16u
#define FX_MAX_INTID 1024u
/* Liveness bound for every wait: far above any legitimate latency, only
 * ever reached when an interrupt got lost or a thread hangs. */
#define FX_LIVENESS_MS 15000

/* Routing to one vCPU (IRM=0, harness_shape affinities) or 1-of-N. */
#define FX_ROUTE_1OFN GICD_IROUTER_IRM
uint64_t fx_route(unsigned vcpu);

/* Daemon + VM with nr_vcpus vCPUs (4 LRs) and nr_spis SPIs, connected;
 * every vCPU has IGRPEN1=1, PMR 0xF8, EOImode 0 and GICR_WAKER.ProcessorSleep
 * clear (as a booted guest); GICD_CTLR.EnableGrp1 set.  With FX_EMBEDDED=1
 * in the environment the distributor runs in this process instead
 * (embedded mode, docs/embedded.md). */
void fx_setup(unsigned nr_vcpus, unsigned nr_spis);
/* Stops the vCPU threads, reports thread failures, destroys the VM and
 * checks the daemon exits 0. */
void fx_teardown(void);

struct sg_vm *fx_vm(void);
/* The in-process host in embedded mode (gicd-server/embedded.h), else NULL. */
struct gicd_embedded *fx_embedded(void);
struct sg_vcpu *fx_vcpu(unsigned vcpu);

/* Before fx_start(vcpu). */
void fx_set_eoimode1(unsigned vcpu, bool on);
void fx_set_igrpen1(unsigned vcpu, bool on);

void fx_start(unsigned vcpu);
void fx_start_all(void);
void fx_stop_all(void);

/*
 * The handler hook runs in the vCPU thread between IAR and EOIR (in the
 * guest); after_sync runs after the sync that followed the EOI.  Set before
 * the threads start.
 */
struct fx_hooks {
	void (*handler)(unsigned vcpu, uint32_t intid, void *arg);
	void (*after_sync)(unsigned vcpu, uint32_t intid, void *arg);
	void *arg;
};
void fx_set_hooks(const struct fx_hooks *h);

/*
 * From a handler hook: stay in the guest until pred(arg) is true, leaving
 * and re-entering it (sync, flush) whenever the vCPU is kicked, as a guest
 * under KVM is forced out by a kick.  false on the liveness bound.
 */
bool fx_guest_block(unsigned vcpu, bool (*pred)(void *arg), void *arg);
/* vcpu's thread is in fx_guest_block(), in the guest (flushed, not kicked
 * out): what its LRs held at that flush is still there. */
bool fx_parked(unsigned vcpu);

/*
 * A guest that stays in its handler until the test lets it go, for tests
 * that look at or change an SPI while its owner handles it.  From a handler
 * hook, fx_stay_in_handler() blocks in the guest (fx_guest_block()) until
 * the main thread calls fx_release_handler(); fx_wait_in_handler() waits
 * until vcpu is there (fails the test at the liveness bound).  One vCPU at a
 * time; each fx_release_handler() lets one stay end.
 */
void fx_stay_in_handler(unsigned vcpu);
void fx_wait_in_handler(unsigned vcpu);
void fx_release_handler(void);

/* GICD accesses as vCPU `via` (ck_assert on failure; main thread). */
uint64_t fx_read(unsigned via, uint32_t off, unsigned size);
void fx_write(unsigned via, uint32_t off, unsigned size, uint64_t val);
/* The same from any thread; returns 0 or -1 (recorded as a failure). */
int fx_mmio(unsigned via, uint32_t off, unsigned size, bool write, uint64_t *val);
/* vcpu's thread is performing an access another thread asked for. */
bool fx_serving(unsigned vcpu);

/*
 * SPI configuration as a guest would write it (posted writes).  Device
 * inputs travel the bus, not the vCPU's channel: a test that raises an SPI
 * after configuring it fences first, as a guest reads GICD_CTLR.RWP.
 * fx_enable() ends with that fence.
 */
void fx_spi_config(unsigned via, uint32_t intid, bool edge, uint8_t prio, uint64_t irouter);
void fx_enable(unsigned via, uint32_t intid);
/* A read of GICD_CTLR: the daemon applied every posted write before it. */
void fx_fence(unsigned via);
void fx_disable(unsigned via, uint32_t intid);
/* ISPENDR / ISACTIVER bit of intid, read as vCPU via (a fence, DESIGN §4). */
bool fx_pending(unsigned via, uint32_t intid);
bool fx_active(unsigned via, uint32_t intid);

/* Acknowledges taken on vcpu of intid (IAR), and in total. */
unsigned fx_handled(unsigned vcpu, uint32_t intid);
unsigned fx_handled_total(uint32_t intid);
/* Interrupts vcpu completed (EOI done and synced). */
unsigned fx_done(unsigned vcpu);
/*
 * Bounds for observers racing with a vCPU thread: acks_begun counts IARs
 * about to be issued (>= real acknowledges >= fx_handled), eois_begun EOIRs
 * about to be issued (>= real EOIs >= fx_done).
 */
unsigned fx_acks_begun(unsigned vcpu);
unsigned fx_eois_begun(unsigned vcpu);
/* Guest entries of vcpu's thread that found no interrupt to take. */
unsigned fx_idle_entries(unsigned vcpu);
/* The INTIDs vcpu acknowledged, in order (at most FX_LOG_MAX kept). */
#define FX_LOG_MAX 4096u
unsigned fx_log(unsigned vcpu, uint32_t *out, unsigned max);

/* Waits until pred(arg) (re-evaluated after every handled interrupt,
 * completion or failure, under the fixture lock: it must not block or do
 * MMIO); fails the test at the liveness bound. */
void fx_wait(bool (*pred)(void *arg), void *arg, const char *what);
/* The same for helper threads: false at the bound or after a failure. */
bool fx_wait_quiet(bool (*pred)(void *arg), void *arg);
/* Until intid was acknowledged n times in total / vcpu completed n. */
void fx_wait_handled(uint32_t intid, unsigned n);
void fx_wait_done(unsigned vcpu, unsigned n);

/* Until every vCPU completed every interrupt it acknowledged. */
void fx_wait_all_done(void);
/*
 * ck_asserts that INTIDs first..first+count-1 are neither pending nor active,
 * read as vCPU via.  Reads of in-flight SPIs ask their owner (Query), so
 * this is exact: nothing is pending anywhere, so nothing more can be
 * delivered until something raises them again.
 */
void fx_assert_idle(unsigned via, uint32_t first, unsigned count);

/* Records a failure from any thread (the first message is kept). */
void fx_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned fx_failures(void);
/* ck_assert that no thread recorded a failure. */
void fx_check_failures(void);

/* Wakes waiters in fx_wait()/fx_guest_block() to re-check their predicate. */
void fx_notify(void);

/*
 * Manual driving of a vCPU whose thread is not running (from the main
 * thread): run the guest until it acknowledges an interrupt and return its
 * INTID (GIC_INTID_SPURIOUS at the liveness bound); EOI it; and whether the
 * agent holds an interrupt the vCPU could take now.  The agent applies the
 * daemon's messages in bus order, so "not delivered" is shown with a marker:
 * an interrupt sent after the event, taken first if nothing else is there.
 */
uint32_t fx_take(unsigned vcpu);
void fx_eoi(unsigned vcpu, uint32_t intid);
bool fx_vcpu_pending(unsigned vcpu);

#endif
