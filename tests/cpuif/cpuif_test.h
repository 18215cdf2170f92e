// SPDX-License-Identifier: MIT
/*
 * Shared fixture for the cpuif tests: the virtual CPU interface model
 * against Arm IHI 0069 (ICH_*_EL2 and ICV_*_EL1 register descriptions).
 * Expected values are worked out from the architecture in the comments,
 * never read back from the model.  One interface, c, is re-initialised by
 * setup() before every test, with its HW = 1 deactivation callback
 * recording into hw_calls / hw_last.
 */
#ifndef CPUIF_TEST_H
#define CPUIF_TEST_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "gic_regs.h"
#include "splitgic/cpuif.h"

#define G0	 0u
#define G1	 1u
#define SPURIOUS 1023u

/* LR states (ICH_LR<n>_EL2.State). */
#define ST_INVALID	  0u
#define ST_PENDING	  1u
#define ST_ACTIVE	  2u
#define ST_ACTIVE_PENDING 3u

/* Defined in cpuif_test.c; reset by setup() in every test. */
extern struct sg_cpuif c;
extern unsigned hw_calls;
extern uint32_t hw_last;

uint64_t mklr(unsigned st, uint32_t vintid, unsigned prio, unsigned grp);
uint64_t pend(uint32_t vintid, unsigned prio, unsigned grp);
unsigned lr_st(unsigned n);
unsigned eoicount(void);

/* A running interface: 4 LRs, En, group 1 enabled, no priority masking. */
void setup(void);
void teardown(void);

Suite *cpuif_regs_suite(void);
Suite *cpuif_ack_suite(void);
Suite *cpuif_prio_suite(void);
Suite *cpuif_eoi_suite(void);
Suite *cpuif_maint_suite(void);
Suite *cpuif_sysreg_suite(void);

#endif
