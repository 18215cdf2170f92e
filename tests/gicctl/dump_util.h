/* SPDX-License-Identifier: MIT */
/*
 * Shared by the gicctl dump tests (test_dump_dist.c, test_dump_its.c,
 * test_dump_vcpu.c, test_dump_errors.c): one daemon and one VM at a time,
 * guest RAM where the guest puts its ITS tables, the setup of the main
 * test's SPIs and ITS, and readers of gicctl's text and --json output.
 */
#ifndef DUMP_UTIL_H
#define DUMP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "gic_regs.h"
#include "gicctl_test.h"
#include "harness.h"
#include "splitgic/agent.h"

/* Guest RAM and where the guest puts its ITS tables in it. */
#define RAM_GPA	    0x40000000ull
#define RAM_SIZE    (16ull << 20)
#define CMDQ_GPA    (RAM_GPA + 0x10000)
#define CMDQ_PAGES  16u			 /* 64 KiB: 2048 commands */
#define DT_GPA	    (RAM_GPA + 0x100000) /* flat, one 4K page: 512 devices */
#define CT_GPA	    (RAM_GPA + 0x110000) /* flat, one 4K page: 512 collections */
#define ITT5_GPA    (RAM_GPA + 0x200000) /* device 5: 32 events */
#define ITT6_GPA    (RAM_GPA + 0x210000) /* device 6: 4096 events */
#define ITT_BIG_GPA (RAM_GPA + 0x300000) /* 65536 events, all zero, shared */
#define OUTSIDE_GPA 0x1000000000ull	 /* no RAM there */
#define LPI(n)	    (GIC_LPI_BASE + (n))
#define NR_DEV6	    3000u
/* ITS_DUMP_MAX_ITT_SLOTS (its-server/its_dump.h): ITT entries one dump reads. */
#define ITT_READ_LIMIT 262144u

/* The daemon and the VM of the running test (vm_setup()). */
extern struct harness_daemon d;
extern struct sg_vm *vm;
/* Where the next ITS command goes in the queue. */
extern uint64_t q_wr;

void vm_setup(unsigned nr_vcpus, unsigned nr_spis, unsigned nr_its, bool with_ram);
void vm_teardown(void);
/* A 64-bit little-endian word of guest RAM, written as the guest would. */
void ram_write64(uint64_t gpa, uint64_t v);
uint64_t its_mmio(uint32_t off, unsigned size, bool write, uint64_t val);
uint64_t baser(unsigned n, uint64_t pa);
void c_mapd(uint32_t dev, unsigned size, uint64_t itt);
void c_mapc(uint32_t icid, unsigned rd);
void c_mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid);
/* CWRITER, then CREADR until it caught up (each read fences: no SYNC
 * queued, so the first one normally sees every command done). */
void its_run(void);
/* splitgic's DTE format v1 (docs/its.md), as a guest could write it itself. */
uint64_t dte(unsigned size, uint64_t itt);
void gicd_w(uint32_t off, unsigned size, uint64_t val);
/*
 * The SPIs of the main test:
 *   40: edge, priority 0xa0, routed to vCPU 1, enabled, set pending: in
 *       flight at vCPU 1;
 *   41: level, group 0, priority 0x80, routed to vCPU 0, disabled, set
 *       pending: the latch stays in the distributor;
 *   42: level, priority 0x90, 1-of-N, enabled, not pending.
 */
void spis_setup(void);
/*
 * The ITS of the main test: collections 0 -> vCPU 0 and 3 -> vCPU 1;
 * device 5 (32 events) with events 0, 1 -> LPIs 8192, 8193 in collection 3
 * and event 7 -> LPI 8200 in collection 0; device 6 (4096 events) with
 * NR_DEV6 events -> LPI 8300 + n in collection 0; one failed MAPTI (no
 * device 99).  Then, behind the ITS's back: a corrupt ITE (device 5 event
 * 9) and a device 7 whose 4-entry ITT is not in RAM.
 */
void its_setup(void);
/* gicctl args... (NULL-terminated): exit 0, no stderr. */
struct gicctl_run run_ok(const char *const *args);
/* gicctl --json args...: validated against schema, parsed. */
json_object *run_json(const char *const *args, const char *schema);
uint64_t u(json_object *o, const char *key);
bool b(json_object *o, const char *key);
const char *str(json_object *o, const char *key);
bool null(json_object *o, const char *key);
json_object *idx(json_object *a, size_t i);
size_t len(json_object *a);
/* The element of array a whose key equals v. */
json_object *find(json_object *a, const char *key, uint64_t v);
/* How many lines of text read row (blanks squeezed). */
unsigned rows(const char *text, const char *row);
/* Lines that are SPI table rows: they start with an INTID. */
unsigned spi_rows(const char *text, unsigned *first, unsigned *last);
/* One gicctl run expected to fail with exit code code and msg on stderr. */
void expect_fail(const char *const *args, int code, const char *msg);

#define ck_row(text, row)                                                                          \
	ck_assert_msg(rows(text, row) == 1, "no line \"%s\" (once) in:\n%.4000s", row, text)

#endif
