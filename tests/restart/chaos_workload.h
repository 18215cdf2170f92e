/* SPDX-License-Identifier: MIT */
/*
 * A mixed guest workload for restart chaos tests (DESIGN §6): one VM with
 * CHAOS_NR_VCPUS vCPUs, 96 SPIs and an ITS, attached to a gicd-server
 * through its control socket (the harness's, or one a service manager
 * listens on), driven only through the agent API:
 *
 * - vCPU threads run guest loops on the virtual CPU interface model
 *   (wait, flush, IAR / handler / EOIR, sync) and, between guest entries,
 *   trap on the GICD and ITS frames like a guest driver: configuration
 *   writes (priorities, IROUTER, enables, ICFGR, IGROUPR), reads of the
 *   pending and active state (served with Query round trips), read-backs of
 *   their own writes, and on vCPU 0 ITS MOVI + SYNC with CREADR polling;
 * - a device thread raises edge SPIs (a pulse) and level SPIs (held until
 *   the guest handler tells the device to drop the line, before its EOI);
 * - a device thread sends MSIs (single and batched) to two ITS devices.
 *
 * Every configuration register has exactly one writer (a vCPU), so its
 * final value is known: a reference model holds what each must read.
 *
 * Invariants checked: every edge SPI raised is handled exactly once (a
 * handling with nothing raised is a duplicate), every level assertion is
 * handled while asserted and exactly once, every MSI is handled exactly
 * once, read-backs mid-run and the final registers (GICD and ITS) equal
 * the model, nothing is pending or active at the end, no MMIO access
 * failed.  A lost interrupt shows as work that never completes: waits
 * fail when nothing progressed for the liveness bound.
 *
 * Not tied to Check: failures are returned with a message that names the
 * seed, so any test (or a soak program) can drive it.
 */
#ifndef SPLITGIC_CHAOS_WORKLOAD_H
#define SPLITGIC_CHAOS_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "splitgic/agent.h"

#define CHAOS_NR_VCPUS 3u

struct chaos_config {
	unsigned seed;
	const char *control_path;
	const char *vm_name; /* the daemon's --vm, or "" */
	/* A wait fails when no interrupt was handled and no access completed
	 * for this long (0: 60000).  Only a lost interrupt or a hang gets
	 * there; restarts take a fraction of it. */
	unsigned liveness_ms;
};

struct chaos_report {
	uint64_t edges, levels, msis; /* raised / asserted / sent, all handled */
	uint64_t config_writes, readbacks, state_reads, its_moves;
	uint64_t vm_stat[SG_VM_NR_STATS];
};

struct chaos;

/* Creates the VM, attaches it, configures the GIC and the ITS as a guest
 * would, and starts every thread.  0, or -1 with the reason in err (and
 * *out NULL: nothing to destroy). */
int chaos_start(const struct chaos_config *cfg, struct chaos **out, char *err, size_t errlen);

/* Interrupts handled plus register accesses completed so far. */
uint64_t chaos_progress(struct chaos *c);

/* Waits until n more units of progress were made.  0, or -1 (a recorded
 * failure, or nothing progressed for the liveness bound) with err set. */
int chaos_wait_progress(struct chaos *c, uint64_t n, char *err, size_t errlen);

/*
 * Stops raising interrupts and writing configuration, waits until every
 * interrupt raised was handled, stops the vCPU threads and checks every
 * invariant and the final register state.  0, or -1 with err set.
 */
int chaos_finish(struct chaos *c, struct chaos_report *rep, char *err, size_t errlen);

/* Stops whatever still runs, detaches and frees the VM.  NULL is fine. */
void chaos_destroy(struct chaos *c);

struct sg_vm *chaos_vm(struct chaos *c);

#endif
