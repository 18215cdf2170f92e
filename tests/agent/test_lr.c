// SPDX-License-Identifier: MIT
/*
 * List register flush/sync against the vCPU interface model: the guest side
 * is driven as a guest would (IAR, EOIR, DIR, PMR, BPR) between
 * sg_vcpu_flush() and sg_vcpu_sync().  Expected values follow IHI 0069 (the
 * ICH_LR<n>_EL2 format, maintenance interrupt conditions, EOImode).
 */
#include <check.h>
#include <stdlib.h>

#include "agent_test.h"
#include "check_run.h"

#define SPURIOUS GIC_INTID_SPURIOUS

static struct sg_vm *vm;
static struct sg_vcpu *v;
static struct sg_cpuif *c;

static void setup_lrs(unsigned nr_vcpus, unsigned lrs)
{
	vm = test_vm(nr_vcpus, lrs, 0);
	v = sg_vm_vcpu(vm, 0);
	c = sg_vcpu_cpuif(v);
	guest_enable(c);
}

static void teardown(void)
{
	sg_vm_destroy(vm);
	vm = NULL;
}

static uint64_t lr_state(uint64_t lr)
{
	return lr & ICH_LR_STATE_MASK;
}

static uint8_t lr_prio(uint64_t lr)
{
	return (uint8_t)(lr >> ICH_LR_PRIORITY_SHIFT);
}

static uint32_t lr_intid(uint64_t lr)
{
	return (uint32_t)(lr & ICH_LR_VINTID_MASK);
}

/* The guest takes and completes (EOImode 0) everything it can. */
static unsigned guest_handle_all(unsigned *order, unsigned max)
{
	unsigned n = 0;
	uint32_t id;

	while ((id = sg_cpuif_iar(c, 1)) != SPURIOUS) {
		ck_assert_uint_lt(n, max);
		order[n++] = id;
		sg_cpuif_eoir(c, 1, id);
	}
	return n;
}

/* ------------------------------------------------------------- basics */

START_TEST(flush_empty)
{
	setup_lrs(1, 4);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_read_hcr(c), ICH_HCR_EN);
	ck_assert_uint_eq(valid_lrs(c), 0);
	ck_assert(!sg_cpuif_maintenance(c));
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sg_cpuif_read_hcr(c), 0);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_FLUSHES), 1);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_SYNCS), 1);
	teardown();
}
END_TEST

/* One SGI: the LR format, and the latch cleared once the LR carries it. */
START_TEST(edge_sgi_delivered_once)
{
	uint64_t lr;

	setup_lrs(1, 4);
	set_priority(vm, 0, 3, 0xA0);
	send_sgi(vm, 0, 0, 3);
	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert_uint_eq(lr_intid(lr), 3);
	ck_assert_uint_eq(lr_prio(lr), 0xA0);
	ck_assert_uint_eq(lr_state(lr), ICH_LR_PENDING);
	ck_assert(lr & ICH_LR_GROUP);
	ck_assert(!(lr & (ICH_LR_HW | ICH_LR_EOI)));
	ck_assert_uint_eq(sg_cpuif_read_hcr(c), ICH_HCR_EN);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 3);
	sg_cpuif_eoir(c, 1, 3);
	sg_vcpu_sync(v);
	/* Had flush left the latch set, the SGI would come back now. */
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	teardown();
}
END_TEST

/* A new edge while the first is active in an LR is a second interrupt. */
START_TEST(edge_retrigger_while_active)
{
	unsigned taken = 0;

	setup_lrs(2, 4);
	send_sgi(vm, 1, 0, 3);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 3);
	taken++;
	send_sgi(vm, 1, 0, 3);	       /* vCPU 0 is in the guest */
	ck_assert(sg_vcpu_wait(v, 0)); /* ... and was kicked */
	sg_cpuif_eoir(c, 1, 3);
	sg_vcpu_sync(v);
	sg_vcpu_flush(v);
	ck_assert_int_ge(find_lr(c, 3), 0);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 3);
	taken++;
	sg_cpuif_eoir(c, 1, 3);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), SPURIOUS);
	sg_vcpu_sync(v);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(taken, 2);
	teardown();
}
END_TEST

/* Two edges before the guest looked: one pending state (they coalesce). */
START_TEST(edge_coalesces_with_lr_copy)
{
	unsigned order[4];

	setup_lrs(2, 4);
	send_sgi(vm, 1, 0, 5);
	sg_vcpu_flush(v);
	send_sgi(vm, 1, 0, 5);
	sg_vcpu_sync(v); /* the guest did nothing */
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 1u << 5);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(guest_handle_all(order, 4), 1);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	teardown();
}
END_TEST

/* A VMM that flushes twice without a sync loses nothing the guest did. */
START_TEST(flush_twice_keeps_guest_state)
{
	setup_lrs(1, 4);
	send_sgi(vm, 0, 0, 6);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 6);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(lr_state(sg_cpuif_read_lr(c, (unsigned)find_lr(c, 6))), ICH_LR_ACTIVE);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 1u << 6);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	teardown();
}
END_TEST

/* ------------------------------------------------ ordering and overflow */

/* 8 SGIs, 4 LRs: the 4 highest first, underflow refill, global priority order. */
START_TEST(overflow_priority_order_and_refill)
{
	static const uint8_t prio[8] = { 0x80, 0x10, 0x60, 0x30, 0x70, 0x20, 0x50, 0x40 };
	static const unsigned expect[8] = { 1, 5, 3, 7, 6, 2, 4, 0 };
	unsigned order[8], n = 0, rounds = 0;

	setup_lrs(1, 4);
	for (unsigned i = 0; i < 8; i++) {
		set_priority(vm, 0, i, prio[i]);
		send_sgi(vm, 0, 0, i);
	}
	sg_vcpu_flush(v);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(lr_intid(sg_cpuif_read_lr(c, i)), expect[i]);
	ck_assert_uint_eq(sg_cpuif_read_hcr(c), ICH_HCR_EN | ICH_HCR_UIE);
	ck_assert(!sg_cpuif_maintenance(c));
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_LR_OVERFLOWS), 1);
	sg_vcpu_sync(v);

	while (n < 8) {
		uint32_t id;

		ck_assert_uint_lt(rounds++, 4);
		sg_vcpu_flush(v);
		ck_assert(!sg_cpuif_maintenance(c));
		bool left_over = (sg_cpuif_read_hcr(c) & ICH_HCR_UIE) != 0;

		while ((id = sg_cpuif_iar(c, 1)) != SPURIOUS) {
			order[n++] = id;
			sg_cpuif_eoir(c, 1, id);
			/* Underflow: exactly when at most one LR is still valid. */
			if (left_over)
				ck_assert_int_eq(sg_cpuif_maintenance(c), valid_lrs(c) <= 1);
		}
		sg_vcpu_sync(v);
	}
	ck_assert_uint_eq(rounds, 2);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(order[i], expect[i]);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* An active interrupt gets an LR before higher-priority pending ones. */
START_TEST(overflow_active_first)
{
	uint64_t lr;

	setup_lrs(1, 2);
	set_priority(vm, 0, 1, 0x80);
	set_priority(vm, 0, 2, 0x10);
	set_priority(vm, 0, 3, 0x20);
	send_sgi(vm, 0, 0, 1);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 1);
	sg_vcpu_sync(v); /* exit with SGI 1 active */
	send_sgi(vm, 0, 0, 2);
	send_sgi(vm, 0, 0, 3);
	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert_uint_eq(lr_intid(lr), 1);
	ck_assert_uint_eq(lr_state(lr), ICH_LR_ACTIVE);
	ck_assert_uint_eq(lr_intid(sg_cpuif_read_lr(c, 1)), 2);
	ck_assert_uint_eq(sg_cpuif_read_hcr(c), ICH_HCR_EN | ICH_HCR_UIE);
	/* SGI 2 preempts SGI 1. */
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 2);
	sg_cpuif_eoir(c, 1, 2);
	ck_assert(sg_cpuif_maintenance(c)); /* underflow: one LR left */
	sg_vcpu_sync(v);
	sg_vcpu_flush(v);
	ck_assert_int_ge(find_lr(c, 1), 0);
	ck_assert_int_ge(find_lr(c, 3), 0);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 3);
	sg_cpuif_eoir(c, 1, 3);
	sg_cpuif_eoir(c, 1, 1);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	teardown();
}
END_TEST

/* All LRs active and more queued: no NPIE (it would fire at once, forever). */
START_TEST(all_lrs_active_no_np_livelock)
{
	setup_lrs(1, 2);
	set_priority(vm, 0, 1, 0x40);
	set_priority(vm, 0, 2, 0x80);
	set_priority(vm, 0, 3, 0x20);
	send_sgi(vm, 0, 0, 2);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 2);
	sg_vcpu_sync(v);
	send_sgi(vm, 0, 0, 1);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 1); /* nested */
	sg_vcpu_sync(v);
	send_sgi(vm, 0, 0, 3);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(lr_state(sg_cpuif_read_lr(c, 0)), ICH_LR_ACTIVE);
	ck_assert_uint_eq(lr_state(sg_cpuif_read_lr(c, 1)), ICH_LR_ACTIVE);
	ck_assert_uint_eq(lr_intid(sg_cpuif_read_lr(c, 0)), 1); /* actives by priority */
	ck_assert(!(sg_cpuif_read_hcr(c) & (ICH_HCR_NPIE | ICH_HCR_LRENPIE)));
	ck_assert(sg_cpuif_read_hcr(c) & ICH_HCR_UIE);
	ck_assert(!sg_cpuif_maintenance(c));
	sg_cpuif_eoir(c, 1, 1);
	ck_assert(sg_cpuif_maintenance(c));
	ck_assert(sg_cpuif_read_misr(c) & ICH_MISR_U);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* One LR: NPIE only over a pending LR, the EOI bit over an active one. */
START_TEST(single_lr_progress)
{
	uint64_t lr;
	unsigned taken = 0, rounds = 0;

	setup_lrs(1, 1);
	set_priority(vm, 0, 2, 0x80);
	set_priority(vm, 0, 1, 0x40);
	set_priority(vm, 0, 3, 0x20);
	send_sgi(vm, 0, 0, 2);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 2);
	taken++;
	sg_vcpu_sync(v);
	send_sgi(vm, 0, 0, 1);
	send_sgi(vm, 0, 0, 3);
	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert_uint_eq(lr_intid(lr), 2);
	ck_assert_uint_eq(lr_state(lr), ICH_LR_ACTIVE);
	ck_assert(lr & ICH_LR_EOI);
	ck_assert_uint_eq(sg_cpuif_read_hcr(c), ICH_HCR_EN);
	ck_assert(!sg_cpuif_maintenance(c));
	sg_cpuif_eoir(c, 1, 2);
	ck_assert(sg_cpuif_read_misr(c) & ICH_MISR_EOI);
	sg_vcpu_sync(v);

	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert_uint_eq(lr_intid(lr), 3);
	ck_assert_uint_eq(sg_cpuif_read_hcr(c), ICH_HCR_EN | ICH_HCR_NPIE);
	ck_assert(!sg_cpuif_maintenance(c));
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 3);
	taken++;
	ck_assert(sg_cpuif_read_misr(c) & ICH_MISR_NP);
	sg_vcpu_sync(v);

	/* Drain the rest: never a maintenance interrupt right after entry. */
	while (sgi_read(vm, 0, GICR_ISPENDR0) || sgi_read(vm, 0, GICR_ISACTIVER0)) {
		uint32_t id;

		ck_assert_uint_lt(rounds++, 8);
		sg_vcpu_flush(v);
		ck_assert(!sg_cpuif_maintenance(c));
		while ((id = sg_cpuif_iar(c, 1)) != SPURIOUS)
			taken++;
		/* EOI what is active in the LR (running priority order). */
		lr = sg_cpuif_read_lr(c, 0);
		if (lr & ICH_LR_ACTIVE)
			sg_cpuif_eoir(c, 1, lr_intid(lr));
		sg_vcpu_sync(v);
	}
	ck_assert_uint_eq(taken, 3);
	teardown();
}
END_TEST

/* More active interrupts than LRs; EOImode 0 retires them via EOIcount. */
START_TEST(eoicount_deactivates_in_priority_order)
{
	setup_lrs(1, 1);
	set_priority(vm, 0, 5, 0x40);
	set_priority(vm, 0, 6, 0x80);
	set_priority(vm, 0, 7, 0xA0);
	/* A restored guest with three nested interrupts active. */
	sgi_write(vm, 0, GICR_ISACTIVER0, (1u << 5) | (1u << 6) | (1u << 7));
	sg_cpuif_write_apr(c, 1, 0,
			   (1u << (0x40 >> 3)) | (1u << (0x80 >> 3)) | (1u << (0xA0 >> 3)));
	sg_vcpu_flush(v);
	ck_assert_uint_eq(lr_intid(sg_cpuif_read_lr(c, 0)), 5);
	ck_assert(sg_cpuif_read_hcr(c) & ICH_HCR_LRENPIE);
	ck_assert(!(sg_cpuif_read_hcr(c) & ICH_HCR_NPIE));
	ck_assert(!sg_cpuif_maintenance(c));
	sg_cpuif_eoir(c, 1, 5); /* in the LR */
	sg_cpuif_eoir(c, 1, 6); /* not in an LR: EOIcount */
	ck_assert(sg_cpuif_read_misr(c) & ICH_MISR_LRENP);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_EOICOUNT_DEACT), 1);
	/* 5 via its LR, 6 as the highest-priority one without an LR. */
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 1u << 7);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(lr_intid(sg_cpuif_read_lr(c, 0)), 7);
	sg_cpuif_eoir(c, 1, 7);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	teardown();
}
END_TEST

/* The EOI of an LPI that is in no LR must not retire another interrupt. */
START_TEST(lpi_eoi_not_counted)
{
	setup_lrs(1, 1);
	set_priority(vm, 0, 5, 0x40);
	set_priority(vm, 0, 6, 0x80);
	sgi_write(vm, 0, GICR_ISACTIVER0, (1u << 5) | (1u << 6));
	sg_cpuif_write_apr(c, 1, 0,
			   (1u << (0x20 >> 3)) | (1u << (0x40 >> 3)) | (1u << (0x80 >> 3)));
	sg_vcpu_flush(v);
	ck_assert(sg_cpuif_read_hcr(c) & ICH_HCR_LRENPIE);
	sg_cpuif_eoir(c, 1, GIC_LPI_BASE + 7); /* an LPI taken at 0x20 */
	ck_assert(!sg_cpuif_maintenance(c));
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_EOICOUNT_DEACT), 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), (1u << 5) | (1u << 6));
	teardown();
}
END_TEST

/* ------------------------------------------------------------- EOImode */

START_TEST(eoimode0_eoi_deactivates)
{
	setup_lrs(1, 4);
	send_sgi(vm, 0, 0, 4);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 4);
	sg_cpuif_eoir(c, 1, 4);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	teardown();
}
END_TEST

START_TEST(eoimode1_dir_deactivates)
{
	setup_lrs(1, 4);
	sg_cpuif_set_ctlr(c, ICC_CTLR_EOIMODE);
	set_priority(vm, 0, 4, 0x40);
	send_sgi(vm, 0, 0, 4);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 4);
	ck_assert_uint_eq(sg_cpuif_rpr(c), 0x40);
	sg_cpuif_eoir(c, 1, 4); /* priority drop only */
	ck_assert_uint_eq(sg_cpuif_rpr(c), 0xFF);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 1u << 4);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(lr_state(sg_cpuif_read_lr(c, 0)), ICH_LR_ACTIVE);
	sg_cpuif_dir(c, 4);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* EOImode 1: a DIR of an active interrupt without an LR goes via EOIcount. */
START_TEST(eoimode1_dir_without_lr)
{
	setup_lrs(1, 1);
	sg_cpuif_set_ctlr(c, ICC_CTLR_EOIMODE);
	set_priority(vm, 0, 5, 0x40);
	set_priority(vm, 0, 6, 0x80);
	sgi_write(vm, 0, GICR_ISACTIVER0, (1u << 5) | (1u << 6));
	sg_vcpu_flush(v);
	ck_assert_uint_eq(lr_intid(sg_cpuif_read_lr(c, 0)), 5);
	sg_cpuif_dir(c, 6);
	ck_assert(sg_cpuif_read_misr(c) & ICH_MISR_LRENP);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 1u << 5);
	teardown();
}
END_TEST

/* --------------------------------------------------------- level / PPIs */

START_TEST(level_ppi_repends_while_line_high)
{
	uint64_t lr;

	setup_lrs(1, 4);
	sgi_write(vm, 0, GICR_ISENABLER0, 1u << GIC_PPI_VTIMER);
	set_priority(vm, 0, GIC_PPI_VTIMER, 0x50);
	sg_vcpu_set_ppi_level(v, GIC_PPI_VTIMER, true);
	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert_uint_eq(lr_intid(lr), GIC_PPI_VTIMER);
	ck_assert_uint_eq(lr_state(lr), ICH_LR_PENDING);
	ck_assert(lr & ICH_LR_EOI);
	ck_assert(!(lr & ICH_LR_HW));
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), GIC_PPI_VTIMER);
	sg_cpuif_eoir(c, 1, GIC_PPI_VTIMER);
	/* Deactivation of a level interrupt is reported for resampling. */
	ck_assert(sg_cpuif_maintenance(c));
	ck_assert_uint_eq(sg_cpuif_read_eisr(c), 1);
	sg_vcpu_sync(v);

	/* Line still high: pending again. */
	sg_vcpu_flush(v);
	ck_assert_uint_eq(lr_state(sg_cpuif_read_lr(c, 0)), ICH_LR_PENDING);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), GIC_PPI_VTIMER);
	sg_vcpu_set_ppi_level(v, GIC_PPI_VTIMER, false);
	sg_cpuif_eoir(c, 1, GIC_PPI_VTIMER);
	sg_vcpu_sync(v);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* Active level interrupt with the line high: flushed active, not P+A. */
START_TEST(level_active_not_pending_in_lr)
{
	uint64_t lr;

	setup_lrs(1, 4);
	sgi_write(vm, 0, GICR_ISENABLER0, 1u << 20);
	sg_vcpu_set_ppi_level(v, 20, true);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 20);
	sg_vcpu_sync(v);
	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert_uint_eq(lr_state(lr), ICH_LR_ACTIVE);
	ck_assert(lr & ICH_LR_EOI);
	sg_cpuif_eoir(c, 1, 20);
	sg_vcpu_sync(v);
	sg_vcpu_flush(v); /* resampled: line still high */
	ck_assert_uint_eq(lr_state(sg_cpuif_read_lr(c, 0)), ICH_LR_PENDING);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* A line that drops before the guest took it: the interrupt goes away. */
START_TEST(level_line_drop_retracts)
{
	setup_lrs(1, 4);
	sgi_write(vm, 0, GICR_ISENABLER0, 1u << 22);
	sg_vcpu_set_ppi_level(v, 22, true);
	sg_vcpu_flush(v);
	ck_assert_int_ge(find_lr(c, 22), 0);
	sg_vcpu_set_ppi_level(v, 22, false);
	sg_vcpu_sync(v);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	teardown();
}
END_TEST

/* ISPENDR on a level interrupt: pending until the guest acknowledges it. */
START_TEST(level_soft_pending_consumed_by_ack)
{
	setup_lrs(1, 4);
	sgi_write(vm, 0, GICR_ISENABLER0, 1u << 21);
	sgi_write(vm, 0, GICR_ISPENDR0, 1u << 21);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 1u << 21);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 21);
	sg_cpuif_eoir(c, 1, 21);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

START_TEST(device_irq_level_lines)
{
	setup_lrs(1, 4);
	sg_vcpu_set_device_irq_level(v, SG_DEV_EL1_VTIMER | SG_DEV_EL1_PTIMER | SG_DEV_PMU);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0),
			  (1u << GIC_PPI_VTIMER) | (1u << GIC_PPI_PTIMER) | (1u << GIC_PPI_PMU));
	sg_vcpu_set_device_irq_level(v, SG_DEV_EL1_PTIMER);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 1u << GIC_PPI_PTIMER);
	sg_vcpu_set_device_irq_level(v, 0);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	/* Bad INTIDs from the VMM are counted, not fatal. */
	sg_vcpu_set_ppi_level(v, 3, true);
	sg_vcpu_set_ppi_level(v, 32, true);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_BAD_INPUT), 2);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 0);
	teardown();
}
END_TEST

static uint32_t hw_deactivated[4];
static unsigned nr_hw_deactivated;

static void record_hw_deactivate(void *opaque, uint32_t pintid)
{
	(void)opaque;
	if (nr_hw_deactivated < 4)
		hw_deactivated[nr_hw_deactivated] = pintid;
	nr_hw_deactivated++;
}

START_TEST(hw_mapped_ppi)
{
	uint64_t lr;

	setup_lrs(1, 4);
	nr_hw_deactivated = 0;
	ck_assert_int_ne(sg_vcpu_map_hw(v, 5, 27), 0);	  /* SGIs cannot be mapped */
	ck_assert_int_ne(sg_vcpu_map_hw(v, 27, 1020), 0); /* nor to special INTIDs */
	ck_assert_int_eq(sg_vcpu_map_hw(v, GIC_PPI_VTIMER, 27), 0);
	c->hw_deactivate = record_hw_deactivate;
	sgi_write(vm, 0, GICR_ISENABLER0, 1u << GIC_PPI_VTIMER);
	sg_vcpu_set_ppi_level(v, GIC_PPI_VTIMER, true);
	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert(lr & ICH_LR_HW);
	ck_assert_uint_eq((lr & ICH_LR_PINTID_MASK) >> ICH_LR_PINTID_SHIFT, 27);
	ck_assert_uint_eq(lr_state(lr), ICH_LR_PENDING);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), GIC_PPI_VTIMER);
	sg_cpuif_eoir(c, 1, GIC_PPI_VTIMER);
	ck_assert_uint_eq(nr_hw_deactivated, 1);
	ck_assert_uint_eq(hw_deactivated[0], 27);
	ck_assert(!sg_cpuif_maintenance(c)); /* no EOI maintenance with HW=1 */
	sg_vcpu_sync(v);
	ck_assert_int_eq(sg_vcpu_unmap_hw(v, GIC_PPI_VTIMER), 0);
	sg_vcpu_flush(v);
	ck_assert(!(sg_cpuif_read_lr(c, 0) & ICH_LR_HW));
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* ------------------------------------------------------ enable/disable */

START_TEST(disable_active_not_orphaned)
{
	setup_lrs(1, 4);
	send_sgi(vm, 0, 0, 7);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 7);
	sg_vcpu_sync(v);
	sgi_write(vm, 0, GICR_ICENABLER0, 1u << 7);
	sg_vcpu_flush(v);
	/* Still given an LR so the guest can deactivate it. */
	ck_assert_int_ge(find_lr(c, 7), 0);
	ck_assert_uint_eq(lr_state(sg_cpuif_read_lr(c, (unsigned)find_lr(c, 7))), ICH_LR_ACTIVE);
	sg_cpuif_eoir(c, 1, 7);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/*
 * IPRIORITYR written while the interrupt is active: the guest's active
 * priorities hold the priority it acknowledged, and its EOI drops that one
 * and deactivates the LR only if the LR's priority matches.  The LR keeps
 * the acknowledged priority until the deactivation; the new one applies
 * from the next time the interrupt is pending.
 */
START_TEST(priority_change_while_active)
{
	int idx;

	setup_lrs(1, 4);
	set_priority(vm, 0, 7, 0xA0);
	send_sgi(vm, 0, 0, 7);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 7);
	sg_vcpu_sync(v);
	set_priority(vm, 0, 7, 0x40);
	sg_vcpu_flush(v);
	idx = find_lr(c, 7);
	ck_assert_int_ge(idx, 0);
	ck_assert_uint_eq(lr_prio(sg_cpuif_read_lr(c, (unsigned)idx)), 0xA0);
	sg_cpuif_eoir(c, 1, 7);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	/* Pending again: at the priority written meanwhile. */
	send_sgi(vm, 0, 0, 7);
	sg_vcpu_flush(v);
	idx = find_lr(c, 7);
	ck_assert_int_ge(idx, 0);
	ck_assert_uint_eq(lr_prio(sg_cpuif_read_lr(c, (unsigned)idx)), 0x40);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 7);
	sg_cpuif_eoir(c, 1, 7);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	teardown();
}
END_TEST

START_TEST(disabled_pending_not_flushed)
{
	setup_lrs(1, 4);
	sgi_write(vm, 0, GICR_ICENABLER0, 1u << 8);
	send_sgi(vm, 0, 0, 8);
	ck_assert(!sg_vcpu_pending_irq(v));
	sg_vcpu_flush(v);
	ck_assert_uint_eq(valid_lrs(c), 0);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISPENDR0), 1u << 8);
	sgi_write(vm, 0, GICR_ISENABLER0, 1u << 8);
	ck_assert(sg_vcpu_pending_irq(v));
	sg_vcpu_flush(v);
	ck_assert_int_ge(find_lr(c, 8), 0);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* ------------------------------------------- PMR / RPR / BPR preemption */

START_TEST(pmr_masks)
{
	setup_lrs(1, 4);
	sg_cpuif_set_pmr(c, 0x80);
	set_priority(vm, 0, 1, 0x80);
	send_sgi(vm, 0, 0, 1);
	ck_assert(!sg_vcpu_pending_irq(v)); /* priority not below PMR */
	sg_vcpu_flush(v);
	ck_assert(!sg_cpuif_virq(c));
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), SPURIOUS);
	sg_vcpu_sync(v);
	sg_cpuif_set_pmr(c, 0x88);
	ck_assert(sg_vcpu_pending_irq(v));
	sg_vcpu_flush(v);
	ck_assert(sg_cpuif_virq(c));
	ck_assert(sg_vcpu_pending_irq(v)); /* now from the LR */
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 1);
	ck_assert(!sg_vcpu_pending_irq(v));
	sg_cpuif_eoir(c, 1, 1);
	sg_vcpu_sync(v);
	/* A disabled group is not deliverable either. */
	send_sgi(vm, 0, 0, 1);
	sg_cpuif_set_igrpen(c, 1, false);
	ck_assert(!sg_vcpu_pending_irq(v));
	sg_cpuif_set_igrpen(c, 1, true);
	ck_assert(sg_vcpu_pending_irq(v));
	teardown();
}
END_TEST

START_TEST(running_priority_and_bpr_preemption)
{
	setup_lrs(1, 4);
	set_priority(vm, 0, 2, 0x40);
	set_priority(vm, 0, 3, 0x38);
	send_sgi(vm, 0, 0, 2);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 2);
	sg_vcpu_sync(v);
	send_sgi(vm, 0, 0, 3);
	sg_vcpu_flush(v);
	ck_assert_uint_eq(sg_cpuif_rpr(c), 0x40);
	/* BPR1 = 3: group priority 0x38 is higher than 0x40: preempts. */
	ck_assert_uint_eq(sg_cpuif_bpr(c, 1), 3);
	ck_assert(sg_cpuif_virq(c));
	/* BPR1 = 7: both are group priority 0x00: no preemption. */
	sg_cpuif_set_bpr(c, 1, 7);
	ck_assert(!sg_cpuif_virq(c));
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), SPURIOUS);
	ck_assert_uint_eq(sg_cpuif_hppir(c, 1), 3);
	sg_cpuif_set_bpr(c, 1, 3);
	ck_assert_uint_eq(sg_cpuif_iar(c, 1), 3);
	ck_assert_uint_eq(sg_cpuif_rpr(c), 0x38);
	sg_cpuif_eoir(c, 1, 3);
	ck_assert_uint_eq(sg_cpuif_rpr(c), 0x40);
	sg_cpuif_eoir(c, 1, 2);
	ck_assert_uint_eq(sg_cpuif_rpr(c), 0xFF);
	sg_vcpu_sync(v);
	ck_assert_uint_eq(sgi_read(vm, 0, GICR_ISACTIVER0), 0);
	teardown();
}
END_TEST

START_TEST(group0_sgi_is_fiq)
{
	uint64_t lr;

	setup_lrs(1, 4);
	sgi_write(vm, 0, GICR_IGROUPR0, ~(1u << 9));
	ck_assert(sg_vcpu_write_sgi(v, SYS_ICC_SGI0R_EL1,
				    (9ull << ICC_SGIR_INTID_SHIFT) | 1u /* Aff0 0 */));
	sg_vcpu_flush(v);
	lr = sg_cpuif_read_lr(c, 0);
	ck_assert(!(lr & ICH_LR_GROUP));
	ck_assert(sg_cpuif_vfiq(c));
	ck_assert(!sg_cpuif_virq(c));
	ck_assert_uint_eq(sg_cpuif_iar(c, 0), 9);
	sg_cpuif_eoir(c, 0, 9);
	sg_vcpu_sync(v);
	teardown();
}
END_TEST

/* ------------------------------------------------------ kick and wait */

static unsigned kick_calls;

static void count_kick(struct sg_vcpu *kicked, void *arg)
{
	(void)kicked;
	*(unsigned *)arg += 1;
}

START_TEST(kick_and_wait)
{
	setup_lrs(2, 4);
	kick_calls = 0;
	ck_assert(!sg_vcpu_wait(v, 0));
	ck_assert(!sg_vcpu_wait(v, 1000000)); /* times out: nothing pending */
	sg_vcpu_kick(v);
	ck_assert(sg_vcpu_wait(v, -1));
	ck_assert(!sg_vcpu_wait(v, 0)); /* the kick was consumed */
	sg_vcpu_set_kick_fn(v, count_kick, &kick_calls);
	send_sgi(vm, 1, 0, 2);
	ck_assert_uint_eq(kick_calls, 1);
	ck_assert(sg_vcpu_wait(v, -1)); /* pending interrupt */
	ck_assert(sg_vcpu_pending_irq(v));
	sg_vcpu_kick(v);
	ck_assert_uint_eq(kick_calls, 2);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_KICKS), 3); /* two kicks, one delivery */
	teardown();
}
END_TEST

static Suite *lr_suite(void)
{
	Suite *s = suite_create("agent-lr");
	TCase *tc = tcase_create("lr");

	tcase_add_test(tc, flush_empty);
	tcase_add_test(tc, edge_sgi_delivered_once);
	tcase_add_test(tc, edge_retrigger_while_active);
	tcase_add_test(tc, edge_coalesces_with_lr_copy);
	tcase_add_test(tc, flush_twice_keeps_guest_state);
	tcase_add_test(tc, overflow_priority_order_and_refill);
	tcase_add_test(tc, overflow_active_first);
	tcase_add_test(tc, all_lrs_active_no_np_livelock);
	tcase_add_test(tc, single_lr_progress);
	tcase_add_test(tc, eoicount_deactivates_in_priority_order);
	tcase_add_test(tc, lpi_eoi_not_counted);
	tcase_add_test(tc, eoimode0_eoi_deactivates);
	tcase_add_test(tc, eoimode1_dir_deactivates);
	tcase_add_test(tc, eoimode1_dir_without_lr);
	tcase_add_test(tc, level_ppi_repends_while_line_high);
	tcase_add_test(tc, level_active_not_pending_in_lr);
	tcase_add_test(tc, level_line_drop_retracts);
	tcase_add_test(tc, level_soft_pending_consumed_by_ack);
	tcase_add_test(tc, device_irq_level_lines);
	tcase_add_test(tc, hw_mapped_ppi);
	tcase_add_test(tc, disable_active_not_orphaned);
	tcase_add_test(tc, priority_change_while_active);
	tcase_add_test(tc, disabled_pending_not_flushed);
	tcase_add_test(tc, pmr_masks);
	tcase_add_test(tc, running_priority_and_bpr_preemption);
	tcase_add_test(tc, group0_sgi_is_fiq);
	tcase_add_test(tc, kick_and_wait);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(lr_suite());
}
