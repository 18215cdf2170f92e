/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the core tests: one gic_core driven through core_handle()
 * with hand-built envelopes (Mmio on channel i, bus messages on channel n),
 * and a core_out that records every envelope the core sends.  Expected
 * messages come from the protocol (docs/protocol.md "SPI ownership") and
 * the architecture, never from what the code returned before.
 */
#ifndef CORE_TEST_H
#define CORE_TEST_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"

#define CX_VCPUS   4u
#define CX_SPIS	   64u
#define CX_MAX_REC 8192u

/* One recorded output: its channel and a copy of its (pointer-free) body. */
struct rec {
	unsigned chan;
	Sg__Envelope__BodyCase body;
	union {
		Sg__Deliver deliver;
		Sg__Retract retract;
		Sg__Query query;
		Sg__MmioReply reply;
	} u;
};

struct core_fx {
	struct sg_vm_shape shape;
	struct gic_core core;
	struct guest_ram ram; /* no RAM: the tests have no ITS */
	struct rec rec[CX_MAX_REC];
	unsigned nrec, head; /* recorded, consumed */
	uint64_t mmio_seq[CX_VCPUS];
	uint64_t bus_seq;
};

/* Defined in test_core_main.c; reset by cx_init() in every test. */
extern struct core_fx cx;

/* MPIDR (and IROUTER value) of vCPU i: uses Aff0..Aff3, none is 0, so
 * IROUTER's reset value routes nowhere. */
uint64_t cx_aff(unsigned vcpu);
/* An IROUTER affinity no vCPU has. */
#define CX_AFF_NONE 0x0000070707ull

void cx_init(void);
unsigned cx_bus(void);

/* Guest accesses: posted 32/64-bit writes, reads answered at once, reads
 * that may be parked (returns the request's seq). */
void cx_w(unsigned vcpu, uint32_t off, uint32_t val);
void cx_w64(unsigned vcpu, uint32_t off, uint64_t val);
uint32_t cx_r(unsigned vcpu, uint32_t off);
uint64_t cx_r_start(unsigned vcpu, uint32_t off);

/* Bus messages to the daemon. */
void cx_level(uint32_t intid, bool level);
void cx_pulse(uint32_t intid);
void cx_deact(unsigned vcpu, uint32_t intid, uint32_t gen, bool returned_latch);
void cx_qreply(uint64_t id, unsigned vcpu, uint32_t intid, bool pending, bool active);
void cx_cpu(unsigned vcpu, bool grp0, bool grp1, bool asleep);

/* Register shorthands for one SPI. */
void cx_bit(unsigned vcpu, uint32_t reg, uint32_t intid); /* write 1 to intid's bit of reg */
void cx_route(uint32_t intid, uint64_t irouter);
void cx_prio(uint32_t intid, uint8_t prio);
void cx_edge(uint32_t intid, bool edge);
void cx_group(uint32_t intid, bool group1);
/* Edge or level, group 1, priority prio, routed to vcpu, enabled; both groups on. */
void cx_setup(uint32_t intid, bool edge, uint8_t prio, unsigned vcpu);

/* Recorded outputs, consumed in order. */
unsigned cx_pending_out(void);
const struct rec *cx_next(void);
const Sg__Deliver *cx_deliver(void);
const Sg__Retract *cx_retract(void);
const Sg__Query *cx_query(void);
const Sg__MmioReply *cx_reply(unsigned vcpu);
void cx_quiet(void); /* nothing more was sent */

/* Expected Deliver / Retract, field by field. */
#define F_LATCH	 1u /* set_latch / clear_latch */
#define F_LINE	 2u /* set_line / clear_line */
#define F_ACTIVE 4u /* set_active / clear_active */
#define F_RETURN 8u /* return_latch */
void cx_expect_deliver(unsigned vcpu, uint32_t intid, uint32_t gen, unsigned prio, bool group1,
		       bool level, unsigned flags);
void cx_expect_retract(unsigned vcpu, uint32_t intid, uint32_t gen, unsigned flags);

/* Bit of intid in a 1-bit-per-INTID register word. */
static inline bool cx_bitof(uint32_t word, uint32_t intid)
{
	return (word >> (intid % 32)) & 1;
}
static inline uint32_t cx_word(uint32_t reg, uint32_t intid)
{
	return reg + 4 * (intid / 32);
}

Suite *core_deliver_suite(void);
Suite *core_own_suite(void);
Suite *core_route_suite(void);
Suite *core_reads_suite(void);
Suite *core_model_suite(void);

#endif
