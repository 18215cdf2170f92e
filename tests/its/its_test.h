/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture for the ITS tests: 16 MiB of real guest RAM (a memfd at
 * 0x40000000 mapped through guest_ram_map(), plus the test's own writable
 * view of it, standing in for the guest), one ITS instance, an its_out that
 * records every call, and encoders for the architecture's command layouts
 * (Arm IHI 0069 "ITS commands").  Expected values in the tests come from
 * the architecture and docs/its.md, never from what the code returns.
 */
#ifndef ITS_TEST_H
#define ITS_TEST_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "gic_regs.h"
#include "guest_ram.h"
#include "its.h"

#define RAM_GPA	 0x40000000ull
#define RAM_SIZE (16ull << 20)
#define RAM_END	 (RAM_GPA + RAM_SIZE)

/* Default layout of the standard setup (fx_std). */
#define Q_GPA	   (RAM_GPA + 0x10000)
#define Q_PAGES	   4u
#define DT_GPA	   (RAM_GPA + 0x100000)
#define CT_GPA	   (RAM_GPA + 0x200000)
#define ITT_GPA(d) (RAM_GPA + 0x300000 + (uint64_t)(d)*0x1000)
#define LPI(n)	   (8192u + (n))

/* Error codes (docs/its.md): 0x01 | command | error. */
#define E(cmd, code)	    (0x010000u | ((cmd) << 8) | (code))
#define DEVICE_OOR	    0x01u
#define ITTSIZE_OOR	    0x02u
#define COLLECTION_OOR	    0x03u
#define UNMAPPED_DEVICE	    0x04u
#define ID_OOR		    0x05u
#define PHYSICALID_OOR	    0x06u
#define UNMAPPED_INTERRUPT  0x07u
#define UNMAPPED_COLLECTION 0x09u
#define TGT_OOR		    0x20u
#define TABLE_FAULT	    0x80u
#define CMDQ_FAULT	    0x81u
#define CWRITER_OOR	    0x82u
#define UNKNOWN_CMD	    0xFFu

/* docs/its.md entry formats, version 1: V, version 1, fields. */
#define ENTRY_TAG	 ((1ull << 63) | (1ull << 56))
#define DTE(size, itt)	 (ENTRY_TAG | ((uint64_t)(size) << 48) | ((itt) >> 8))
#define CTE(rd)		 (ENTRY_TAG | (uint64_t)(rd))
#define ITE(icid, intid) (ENTRY_TAG | ((uint64_t)(icid) << 32) | (uint64_t)(intid))

enum ev_kind { EV_DELIVER, EV_CLEAR, EV_INV, EV_INVALL, EV_SYNC, EV_MOVE, EV_MOVALL };

struct rec_event {
	enum ev_kind kind;
	unsigned a, b; /* vCPU (from), or to */
	uint64_t c;    /* INTID or sync id */
};

#define MAX_EVENTS 65536u

struct its_fx {
	struct sg_vm_shape shape;
	struct guest_ram ram;
	int memfd;
	unsigned char *guest; /* the guest's (writable) view of all RAM */
	struct its its;
	struct its_out out;
	unsigned nev, rd;
	struct rec_event ev[MAX_EVENTS];
	uint64_t q_base, q_bytes, q_wr;
};

extern struct its_fx fx;

/* Set up RAM and one ITS (index 0) on a VM with nr_vcpus vCPUs. */
void fx_setup(unsigned nr_vcpus);
void fx_teardown(void);
/* fx_setup(4) plus: queue, flat 4K device table (1 page: 512 devices),
 * flat 4K collection table (1 page: 512 collections), ITS enabled. */
void fx_std(void);
/* Maps a second guest_ram from the same memfd, as a restarted daemon would. */
void fx_remap_ram(struct guest_ram *r);

/* Guest view. */
static inline unsigned char *gptr(uint64_t gpa)
{
	ck_assert_uint_ge(gpa, RAM_GPA);
	ck_assert_uint_le(gpa, RAM_END);
	return fx.guest + (gpa - RAM_GPA);
}
static inline uint64_t g64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, gptr(gpa), 8);
	return v; /* little-endian host assumed, as the tables are */
}
static inline void set64(uint64_t gpa, uint64_t v)
{
	memcpy(gptr(gpa), &v, 8);
}

/* Register accesses that must be performed. */
uint64_t rd64(uint32_t off);
uint32_t rd32(uint32_t off);
void wr64(uint32_t off, uint64_t v);
void wr32(uint32_t off, uint32_t v);

/* GITS_BASER<n> values. */
uint64_t baser(uint64_t pa, unsigned page_code, unsigned pages, bool indirect);

/* Command queue. */
void q_init(uint64_t base, unsigned pages); /* writes CBASER (ITS must be disabled) */
void q_raw(uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3);
void q_kick(void); /* CWRITER = our write offset */
void c_mapd(uint32_t dev, unsigned size, uint64_t itt, bool v);
void c_mapc(uint32_t icid, uint64_t rd, bool v);
void c_mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid);
void c_mapi(uint32_t dev, uint32_t ev, uint32_t icid);
void c_movi(uint32_t dev, uint32_t ev, uint32_t icid);
void c_ev(unsigned op, uint32_t dev, uint32_t ev); /* INT, CLEAR, INV, DISCARD */
void c_invall(uint32_t icid);
void c_sync(uint64_t rd);
void c_movall(uint64_t from, uint64_t to);

/* Recorded its_out calls. */
void ev_expect(enum ev_kind kind, unsigned a, unsigned b, uint64_t c);
void ev_none(void);
void ev_clear(void);
/* The id of the last Sync sent (asserts there is one pending in the log). */
uint64_t ev_take_sync(unsigned vcpu);

/* GITS_CREADR's offset and Stalled. */
static inline uint64_t creadr_off(void)
{
	return rd64(GITS_CREADR) & GITS_CMDQ_OFFSET_MASK;
}
static inline int stalled(void)
{
	return (int)(rd64(GITS_CREADR) & 1);
}

/* One MSI; asserts it was delivered to (vcpu, intid) or dropped. */
void msi_expect(uint32_t dev, uint32_t ev, unsigned vcpu, uint32_t intid);
void msi_dropped(uint32_t dev, uint32_t ev);

Suite *its_regs_suite(void);
Suite *its_cmd_suite(void);
Suite *its_table_suite(void);
Suite *its_msi_suite(void);
Suite *its_random_suite(void);

#endif
