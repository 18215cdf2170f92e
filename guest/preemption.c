// SPDX-License-Identifier: MIT
/*
 * preemption: priority handling of the CPU interface, with SGIs sent to self.
 *
 * Nested preemption three deep (handlers unmask IRQs), running priority in
 * ICC_RPR_EL1 at each level, no preemption by equal or lower priority,
 * ICC_BPR1_EL1 grouping (same group priority does not preempt), ICC_PMR_EL1
 * masking, ICC_HPPIR1_EL1 and ICC_IAR1_EL1 against the running priority, and
 * EOImode 1: EOIR only drops the priority, the SGI stays active (and a new
 * one stays pending) until ICC_DIR_EL1.  Runs on each CPU in turn.
 */
#include "atomic.h"
#include "gic.h"
#include "irq.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "uart.h"
#include "wait.h"

#define P_HIGHEST 0x40
#define P_HIGH	  0x80
#define P_LOW	  0xa0
#define P_LOWER	  0xc0

typedef void (*action_fn)(void);

static struct {
	u32 taken[16];
	u64 rpr_in[16];
	u64 ap1r_in[16];
	u32 depth_in[16];
	u32 log[64];
	u32 nlog;
	action_fn action[16];
	bool manual_eoi[16]; /* EOImode 1 test: handler drops priority itself, no DIR */
	u64 rpr_after_eoi;
	bool active_after_eoi;
	u32 hppir_seen;
	u32 seen_a, seen_b;
} st;

static int cpu;

static void reset_state(void)
{
	for (u32 i = 0; i < 16; i++) {
		st.taken[i] = 0;
		st.action[i] = NULL;
		st.manual_eoi[i] = false;
	}
	st.nlog = 0;
	st.hppir_seen = 0;
}

static void logev(u32 ev)
{
	if (st.nlog < ARRAY_SIZE(st.log))
		st.log[st.nlog++] = ev;
}

#define ENTER(i) (0x100 | (i))
#define EXIT(i)	 (0x200 | (i))

static enum irq_ret on_irq(u32 intid, u32 iar)
{
	if (!check(intid < 16, "unexpected interrupt %u", intid))
		return IRQ_EOI;
	st.rpr_in[intid] = read_sysreg(ICC_RPR_EL1);
	st.ap1r_in[intid] = read_sysreg(ICC_AP1R0_EL1);
	st.depth_in[intid] = irq_stats[this_cpu()].depth;
	st.taken[intid]++;
	logev(ENTER(intid));
	if (st.manual_eoi[intid]) {
		gic_eoi(iar);
		st.rpr_after_eoi = read_sysreg(ICC_RPR_EL1);
		st.active_after_eoi = gic_irq_is_active(intid);
	}
	if (st.action[intid])
		st.action[intid]();
	logev(EXIT(intid));
	return st.manual_eoi[intid] ? IRQ_DONE : IRQ_EOI;
}

static void self_sgi(u32 intid)
{
	gic_send_sgi(cpu, intid);
}

/* Inside a handler: let interrupts in until `intid` has been taken (or time runs out). */
static bool nest_until_taken(u32 intid)
{
	irq_enable();
	bool ok = WAIT_UNTIL(READ_ONCE(st.taken[intid]) > 0);
	irq_disable();
	return ok;
}

static void nest_settle(void)
{
	irq_enable();
	settle();
	irq_disable();
}

static void act_send_2(void)
{
	self_sgi(2);
	check(nest_until_taken(2), "cpu%d: SGI 2 (priority %02x) did not preempt SGI 1 (%02x)", cpu,
	      P_HIGH, P_LOW);
	check(read_sysreg(ICC_RPR_EL1) == P_LOW,
	      "cpu%d: ICC_RPR_EL1 = %lx back in SGI 1 after the nested SGI returned", cpu,
	      read_sysreg(ICC_RPR_EL1));
}

static void act_send_3(void)
{
	self_sgi(3);
	check(nest_until_taken(3), "cpu%d: SGI 3 (priority %02x) did not preempt SGI 2 (%02x)", cpu,
	      P_HIGHEST, P_HIGH);
}

static void wait_idle_taken(u32 intid, u32 n)
{
	check(WAIT_UNTIL(READ_ONCE(st.taken[intid]) >= n), "cpu%d: SGI %u taken %u times, want %u",
	      cpu, intid, READ_ONCE(st.taken[intid]), n);
}

static void test_nesting(void)
{
	reset_state();
	st.action[1] = act_send_2;
	st.action[2] = act_send_3;
	self_sgi(1);
	wait_idle_taken(1, 1);
	settle();

	static const u32 want[] = { ENTER(1), ENTER(2), ENTER(3), EXIT(3), EXIT(2), EXIT(1) };
	bool same = st.nlog == ARRAY_SIZE(want);
	for (u32 i = 0; same && i < ARRAY_SIZE(want); i++)
		same = st.log[i] == want[i];
	check(same, "cpu%d: nesting order wrong (%u events: %x %x %x %x %x %x)", cpu, st.nlog,
	      st.log[0], st.log[1], st.log[2], st.log[3], st.log[4], st.log[5]);
	check(st.rpr_in[1] == P_LOW && st.rpr_in[2] == P_HIGH && st.rpr_in[3] == P_HIGHEST,
	      "cpu%d: ICC_RPR_EL1 in nested handlers %lx %lx %lx, expected %x %x %x", cpu,
	      st.rpr_in[1], st.rpr_in[2], st.rpr_in[3], P_LOW, P_HIGH, P_HIGHEST);
	check(st.depth_in[1] == 1 && st.depth_in[2] == 2 && st.depth_in[3] == 3,
	      "cpu%d: nesting depths %u %u %u", cpu, st.depth_in[1], st.depth_in[2],
	      st.depth_in[3]);
	check(st.ap1r_in[1] && st.ap1r_in[3] != st.ap1r_in[2] && st.ap1r_in[2] != st.ap1r_in[1],
	      "cpu%d: ICC_AP1R0_EL1 does not track nesting (%lx %lx %lx)", cpu, st.ap1r_in[1],
	      st.ap1r_in[2], st.ap1r_in[3]);
	check(read_sysreg(ICC_RPR_EL1) == 0xff && read_sysreg(ICC_AP1R0_EL1) == 0,
	      "cpu%d: not idle after nesting (RPR %lx AP1R0 %lx)", cpu, read_sysreg(ICC_RPR_EL1),
	      read_sysreg(ICC_AP1R0_EL1));
}

/* In SGI 1 (P_LOW): an equal and a lower priority SGI must wait for its EOI. */
static void act_no_preempt(void)
{
	self_sgi(4);
	self_sgi(5);
	nest_settle();
	st.seen_a = READ_ONCE(st.taken[4]);
	st.seen_b = READ_ONCE(st.taken[5]);
	WAIT_UNTIL(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == 4);
	st.hppir_seen = ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1));
}

static void test_no_preemption(void)
{
	reset_state();
	gic_irq_set_priority(4, P_LOW);
	gic_irq_set_priority(5, P_LOWER);
	st.action[1] = act_no_preempt;
	self_sgi(1);
	wait_idle_taken(1, 1);
	wait_idle_taken(4, 1);
	wait_idle_taken(5, 1);
	check(st.seen_a == 0, "cpu%d: equal-priority SGI preempted the running handler", cpu);
	check(st.seen_b == 0, "cpu%d: lower-priority SGI preempted the running handler", cpu);
	check(st.hppir_seen == 4, "cpu%d: ICC_HPPIR1_EL1 = %u in the handler, expected SGI 4", cpu,
	      st.hppir_seen);
	static const u32 want[] = { ENTER(1), EXIT(1), ENTER(4), EXIT(4), ENTER(5), EXIT(5) };
	bool same = st.nlog == ARRAY_SIZE(want);
	for (u32 i = 0; same && i < ARRAY_SIZE(want); i++)
		same = st.log[i] == want[i];
	check(same, "cpu%d: after the EOI, SGI 4 (higher) must be taken before SGI 5", cpu);
}

/* SGI 6 running; SGI 7 has a higher priority in the same or another group. */
static void act_bpr(void)
{
	self_sgi(7);
	nest_settle();
	st.seen_a = READ_ONCE(st.taken[7]);
	st.hppir_seen = ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1));
}

static void test_bpr(void)
{
	/*
	 * 0x90 and 0x80 differ only in bit 4: for group 1 the group priority is
	 * bits [7:BPR1], so with BPR1 = 5 they are one group, with BPR1 <= 4 two.
	 * (Even read as bits [7:BPR1+1], as for group 0, the same holds.)
	 */
	u8 a = 0x90, b = 0x80;
	if ((a & gic.pri_mask) != a) {
		test_skip("priority %02x not implemented (mask %02x)", a, gic.pri_mask);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		u64 bpr = pass == 0 ? 5 : 0;
		write_sysreg(ICC_BPR1_EL1, bpr);
		isb();
		bpr = read_sysreg(ICC_BPR1_EL1);
		if (pass == 0 && bpr != 5) {
			test_skip("ICC_BPR1_EL1 does not take 5 (reads %lu)", bpr);
			continue;
		}
		if (pass == 1 && bpr > 3) {
			test_skip("ICC_BPR1_EL1 minimum %lu too coarse to split %02x/%02x", bpr, a,
				  b);
			continue;
		}
		reset_state();
		gic_irq_set_priority(6, a);
		gic_irq_set_priority(7, b);
		st.action[6] = act_bpr;
		self_sgi(6);
		wait_idle_taken(6, 1);
		wait_idle_taken(7, 1);
		if (pass == 0) {
			check(st.seen_a == 0,
			      "cpu%d: BPR1=5: %02x preempted %02x of the same group priority", cpu,
			      b, a);
			check(st.hppir_seen == 7, "cpu%d: BPR1=5: ICC_HPPIR1_EL1 = %u, expected 7",
			      cpu, st.hppir_seen);
		} else {
			check(st.seen_a == 1, "cpu%d: BPR1=%lu: %02x did not preempt %02x", cpu,
			      bpr, b, a);
		}
	}
	write_sysreg(ICC_BPR1_EL1, 0);
	isb();
}

static void test_pmr(void)
{
	reset_state();
	gic_irq_set_priority(8, P_HIGH);
	gic_irq_set_priority(9, P_LOW);
	write_sysreg(ICC_PMR_EL1, P_HIGH);
	isb();
	self_sgi(8);
	self_sgi(9);
	settle();
	check(st.taken[8] == 0, "cpu%d: SGI with priority %02x taken with PMR %02x", cpu, P_HIGH,
	      P_HIGH);
	check(st.taken[9] == 0, "cpu%d: SGI with priority %02x taken with PMR %02x", cpu, P_LOW,
	      P_HIGH);
	irq_disable();
	check(WAIT_UNTIL(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == 8),
	      "cpu%d: ICC_HPPIR1_EL1 = %lx with SGI 8 pending under PMR", cpu,
	      read_sysreg(ICC_HPPIR1_EL1));
	check(ICC_IAR_INTID(read_sysreg(ICC_IAR1_EL1)) == INTID_SPURIOUS,
	      "cpu%d: ICC_IAR1_EL1 acknowledged an SGI masked by ICC_PMR_EL1", cpu);
	irq_enable();

	write_sysreg(ICC_PMR_EL1, P_HIGH + 0x10);
	isb();
	check(read_sysreg(ICC_PMR_EL1) == ((P_HIGH + 0x10) & gic.pri_mask),
	      "cpu%d: ICC_PMR_EL1 = %lx after writing %x", cpu, read_sysreg(ICC_PMR_EL1),
	      P_HIGH + 0x10);
	wait_idle_taken(8, 1);
	settle();
	check(st.taken[9] == 0, "cpu%d: SGI with priority %02x taken with PMR %02x", cpu, P_LOW,
	      P_HIGH + 0x10);
	write_sysreg(ICC_PMR_EL1, 0xff);
	isb();
	wait_idle_taken(9, 1);
}

static void act_drop(void)
{
	/* Priority dropped but SGI 10 still active: a lower priority SGI gets in. */
	self_sgi(11);
	check(nest_until_taken(11),
	      "cpu%d: EOImode 1: after EOIR a lower-priority SGI was not taken", cpu);
}

static void test_eoimode1(void)
{
	u64 ctlr = read_sysreg(ICC_CTLR_EL1);

	reset_state();
	gic_irq_set_priority(10, P_HIGH);
	gic_irq_set_priority(11, P_LOW);
	write_sysreg(ICC_CTLR_EL1, ctlr | ICC_CTLR_EOIMODE);
	isb();
	st.manual_eoi[10] = true;
	st.action[10] = act_drop;
	self_sgi(10);
	wait_idle_taken(10, 1);
	wait_idle_taken(11, 1);
	check(st.rpr_after_eoi == 0xff, "cpu%d: EOImode 1: ICC_RPR_EL1 = %lx after EOIR", cpu,
	      st.rpr_after_eoi);
	check(st.active_after_eoi, "cpu%d: EOImode 1: SGI inactive right after EOIR", cpu);
	check(gic_irq_is_active(10), "cpu%d: EOImode 1: SGI 10 inactive before ICC_DIR_EL1", cpu);
	check(!gic_irq_is_active(11), "cpu%d: EOImode 1: SGI 11 still active after EOIR+DIR", cpu);

	/* Active and pending: not taken until deactivated. */
	st.action[10] = NULL;
	self_sgi(10);
	settle();
	check(st.taken[10] == 1, "cpu%d: EOImode 1: SGI 10 taken again while still active", cpu);
	check(gic_irq_is_pending(10), "cpu%d: EOImode 1: second SGI 10 not pending", cpu);
	gic_dir(10);
	wait_idle_taken(10, 2);
	check(gic_irq_is_active(10), "cpu%d: EOImode 1: SGI 10 inactive before its second DIR",
	      cpu);
	gic_dir(10);
	check(WAIT_UNTIL(!gic_irq_is_active(10)), "cpu%d: EOImode 1: SGI 10 active after DIR", cpu);
	write_sysreg(ICC_CTLR_EL1, ctlr & ~ICC_CTLR_EOIMODE);
	isb();
}

static void test_hppir(void)
{
	reset_state();
	gic_irq_set_priority(12, P_LOW);
	gic_irq_set_priority(13, P_HIGH);
	irq_disable();
	self_sgi(12);
	self_sgi(13);
	check(WAIT_UNTIL(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == 13),
	      "cpu%d: ICC_HPPIR1_EL1 = %lx, expected SGI 13 (the higher priority)", cpu,
	      read_sysreg(ICC_HPPIR1_EL1));
	u32 iar = gic_ack();
	check(ICC_IAR_INTID(iar) == 13, "cpu%d: ICC_IAR1_EL1 = %x, expected 13", cpu, iar);
	check(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == 12,
	      "cpu%d: ICC_HPPIR1_EL1 = %lx with 13 active, expected 12", cpu,
	      read_sysreg(ICC_HPPIR1_EL1));
	check(ICC_IAR_INTID(read_sysreg(ICC_IAR1_EL1)) == INTID_SPURIOUS,
	      "cpu%d: ICC_IAR1_EL1 acknowledged 12 below the running priority", cpu);
	check(read_sysreg(ICC_RPR_EL1) == P_HIGH, "cpu%d: ICC_RPR_EL1 = %lx with 13 active", cpu,
	      read_sysreg(ICC_RPR_EL1));
	gic_eoi(iar);
	iar = gic_ack();
	check(ICC_IAR_INTID(iar) == 12, "cpu%d: ICC_IAR1_EL1 = %x after EOI, expected 12", cpu,
	      iar);
	if (ICC_IAR_INTID(iar) == 12)
		gic_eoi(iar);
	check(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == INTID_SPURIOUS,
	      "cpu%d: ICC_HPPIR1_EL1 = %lx when idle", cpu, read_sysreg(ICC_HPPIR1_EL1));
	irq_enable();
}

static void run_all(void *arg)
{
	(void)arg;
	cpu = this_cpu();
	write_sysreg(ICC_BPR1_EL1, 0);
	isb();
	gic_irq_set_priority(1, P_LOW);
	gic_irq_set_priority(2, P_HIGH);
	gic_irq_set_priority(3, P_HIGHEST);
	for (u32 i = 0; i < 16; i++)
		gic_irq_enable(i);

	test_nesting();
	test_no_preemption();
	test_bpr();
	test_pmr();
	test_eoimode1();
	test_hppir();

	for (u32 i = 0; i < 16; i++) {
		gic_irq_disable(i);
		gic_irq_set_priority(i, GIC_DEFAULT_PRIO);
	}
}

void test_main(void)
{
	irq_set_handler(on_irq);
	smp_boot_secondaries();
	test_section(
		"priority preemption, RPR, BPR1, PMR, HPPIR1, EOImode 1 (CPU priority mask %02x)",
		gic.pri_mask);
	for (u32 c = 0; c < nr_cpus(); c++) {
		test_info("cpu%u", c);
		smp_call(c, run_all, NULL);
		smp_wait(c);
	}
}
