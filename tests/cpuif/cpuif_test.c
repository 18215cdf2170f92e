// SPDX-License-Identifier: MIT
/*
 * The cpuif test fixture: the interface under test, the recording HW = 1
 * deactivation callback, List register builders and readers, and the
 * setup() every suite's test case runs before each test.
 */
#include "cpuif_test.h"

struct sg_cpuif c;

unsigned hw_calls;
uint32_t hw_last;

static void record_hw(void *opaque, uint32_t pintid)
{
	ck_assert_ptr_eq(opaque, &hw_calls);
	hw_calls++;
	hw_last = pintid;
}

uint64_t mklr(unsigned st, uint32_t vintid, unsigned prio, unsigned grp)
{
	return ((uint64_t)st << ICH_LR_STATE_SHIFT) | ((uint64_t)prio << ICH_LR_PRIORITY_SHIFT) |
	       (grp ? ICH_LR_GROUP : 0) | vintid;
}

uint64_t pend(uint32_t vintid, unsigned prio, unsigned grp)
{
	return mklr(ST_PENDING, vintid, prio, grp);
}

unsigned lr_st(unsigned n)
{
	return (unsigned)(sg_cpuif_read_lr(&c, n) >> ICH_LR_STATE_SHIFT);
}

unsigned eoicount(void)
{
	return (sg_cpuif_read_hcr(&c) & ICH_HCR_EOICOUNT_MASK) >> ICH_HCR_EOICOUNT_SHIFT;
}

/* A running interface: 4 LRs, En, group 1 enabled, no priority masking. */
void setup(void)
{
	sg_cpuif_init(&c, 4);
	c.hw_deactivate = record_hw;
	c.hw_opaque = &hw_calls;
	hw_calls = 0;
	hw_last = 0;
	sg_cpuif_write_hcr(&c, ICH_HCR_EN);
	sg_cpuif_set_pmr(&c, 0xFF);
	sg_cpuif_set_igrpen(&c, G1, true);
}

void teardown(void)
{
}
