// SPDX-License-Identifier: MIT
/*
 * The chaos workload's ITS: the command queue in guest RAM, its boot as
 * Linux's driver does it (tables, collections, device and event mappings),
 * and vCPU 0's MOVI + SYNC with CREADR polling.
 */
#include "chaos_internal.h"

#include <stdatomic.h>
#include <stdint.h>

/* ------------------------------------------------------- the ITS side */

static uint8_t *gpa(struct chaos *c, uint64_t a)
{
	return c->ram + (a - RAM_GPA);
}

static void cmd(struct chaos *c, uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
	uint64_t dw[4] = { dw0, dw1, dw2, dw3 };
	uint8_t *p = gpa(c, CMDQ_GPA + c->q_wr);

	/* Little-endian doublewords, written as a guest CPU would. */
	for (unsigned i = 0; i < GITS_CMD_SIZE; i++)
		__atomic_store_n(p + i, (uint8_t)(dw[i / 8] >> (8 * (i % 8))), __ATOMIC_RELAXED);
	c->q_wr = (c->q_wr + GITS_CMD_SIZE) % CMDQ_SIZE;
}

/* CWRITER, then CREADR until the ITS caught up, as Linux's driver polls. */
static int its_run(struct chaos *c, unsigned v)
{
	uint64_t creadr = ~0ull, since = now_ms();

	if (chaos_gits_w(c, v, GITS_CWRITER, 8, c->q_wr) < 0)
		return -1;
	while (creadr != c->q_wr) {
		if (chaos_gits_r(c, v, GITS_CREADR, 8, &creadr) < 0)
			return -1;
		if (creadr & GITS_CREADR_STALLED) {
			chaos_fail(c, "ITS stalled at CREADR 0x%llx", (unsigned long long)creadr);
			return -1;
		}
		/* Each read is a round trip that completes after a restart;
		 * only a queue that never moves gets here. */
		if (now_ms() - since > c->liveness_ms) {
			chaos_fail(c, "CREADR 0x%llx never reached CWRITER 0x%llx",
				   (unsigned long long)creadr, (unsigned long long)c->q_wr);
			return -1;
		}
	}
	return 0;
}

static uint64_t baser(struct chaos *c, unsigned n, uint64_t pa)
{
	uint64_t ro = 0;

	chaos_gits_r(c, 0, GITS_BASER + 8 * n, 8, &ro);
	ro &= GITS_BASER_TYPE_MASK | (0x1Full << GITS_BASER_ENTRY_SIZE_SHIFT);
	return GITS_BASER_VALID | ro |
	       (uint64_t)GITS_BASER_PAGE_SIZE_4K << GITS_BASER_PAGE_SIZE_SHIFT | pa;
}

static void prop_set(struct chaos *c, uint32_t intid)
{
	__atomic_store_n(gpa(c, PROP_GPA + intid - GIC_LPI_BASE),
			 (uint8_t)((LPI_PRIO & LPI_PROP_PRIORITY_MASK) | LPI_PROP_ENABLE),
			 __ATOMIC_RELAXED);
}

/* Linux's its_probe + its_cpu_init_lpis + a driver mapping its MSIs. */
int chaos_its_boot(struct chaos *c)
{
	uint64_t val;

	chaos_gits_w(c, 0, GITS_CTLR, 4, 0);
	chaos_gits_w(c, 0, GITS_CBASER, 8, GITS_CBASER_VALID | CMDQ_GPA | (CMDQ_SIZE / 4096 - 1));
	chaos_gits_w(c, 0, GITS_BASER, 8, baser(c, 0, DT_GPA));
	chaos_gits_w(c, 0, GITS_BASER + 8, 8, baser(c, 1, CT_GPA));
	chaos_gits_w(c, 0, GITS_CWRITER, 8, 0);
	chaos_gits_w(c, 0, GITS_CTLR, 4, GITS_CTLR_ENABLED);
	c->q_wr = 0;
	if (chaos_gits_r(c, 0, GITS_CBASER, 8, &c->m.cbaser) < 0 ||
	    chaos_gits_r(c, 0, GITS_BASER, 8, &c->m.baser0) < 0 ||
	    chaos_gits_r(c, 0, GITS_BASER + 8, 8, &c->m.baser1) < 0 ||
	    chaos_gits_r(c, 0, GITS_CTLR, 4, &val) < 0)
		return -1;
	if (!(val & GITS_CTLR_ENABLED)) {
		chaos_fail(c, "the ITS did not enable");
		return -1;
	}
	for (unsigned v = 0; v < NV; v++) {
		chaos_gicr_w(c, v, v, GICR_WAKER, 4, 0);
		chaos_gicr_w(c, v, v, GICR_PROPBASER, 8, PROP_GPA | 15);
		chaos_gicr_w(c, v, v, GICR_PENDBASER, 8, PEND_GPA(v) | GICR_PENDBASER_PTZ);
		chaos_gicr_w(c, v, v, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
		cmd(c, GITS_CMD_MAPC, 0, v | (uint64_t)v << 16 | 1ull << 63, 0);
	}
	for (unsigned d = 0; d < NDEV; d++)
		cmd(c, GITS_CMD_MAPD | (uint64_t)(1 + d) << 32, 4 /* 5 EventID bits */,
		    (ITT_GPA(1 + d) & 0x000FFFFFFFFFFF00ull) | 1ull << 63, 0);
	for (unsigned i = 0; i < NE; i++) {
		atomic_store(&c->evs[i].coll, i % NV);
		prop_set(c, EV_LPI(i));
		cmd(c, GITS_CMD_MAPTI | (uint64_t)EV_DEV(i) << 32,
		    EV_EVENT(i) | (uint64_t)EV_LPI(i) << 32, i % NV, 0);
	}
	for (unsigned v = 0; v < NV; v++) {
		cmd(c, GITS_CMD_INVALL, 0, v, 0);
		cmd(c, GITS_CMD_SYNC, 0, (uint64_t)v << 16, 0);
	}
	return its_run(c, 0);
}

/* vCPU 0, outside its guest: move one event to another collection. */
void chaos_its_move(struct chaos *c, unsigned *rs)
{
	unsigned i = rnd(rs) % NE,
		 to = (atomic_load(&c->evs[i].coll) + 1 + rnd(rs) % (NV - 1)) % NV;

	cmd(c, GITS_CMD_MOVI | (uint64_t)EV_DEV(i) << 32, EV_EVENT(i), to, 0);
	cmd(c, GITS_CMD_SYNC, 0, (uint64_t)to << 16, 0);
	if (its_run(c, 0) == 0) {
		atomic_store(&c->evs[i].coll, to);
		atomic_fetch_add(&c->its_moves, 1);
	}
}
