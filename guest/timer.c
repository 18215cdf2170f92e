// SPDX-License-Identifier: MIT
/*
 * timer: the EL1 virtual timer (PPI 27, level-sensitive) on every CPU at once.
 *
 * Per CPU: several periods programmed with CNTV_CVAL_EL0 and one with
 * CNTV_TVAL_EL0, each taken as an interrupt no earlier than its deadline;
 * the level semantics with IRQs masked (pending while the timer condition
 * holds and CNTV_CTL_EL0.IMASK is clear, not pending once masked, rearmed or
 * disabled); and IMASK masking an expired timer until it is cleared.
 * Waits for the timer use WFI, so splitgic-vm may let virtual time jump.
 */
#include "timer.h"
#include "atomic.h"
#include "gic.h"
#include "irq.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "uart.h"
#include "wait.h"

#define PERIODS 5

struct cpu_timer {
	u32 fired;
	u64 fired_at;
	u64 cval_at_fire;
	u32 ctl_at_fire;
} __aligned(64);

static struct cpu_timer ct[MAX_CPUS];
static u32 ppi;

static enum irq_ret on_irq(u32 intid, u32 iar)
{
	struct cpu_timer *t = &ct[this_cpu()];

	(void)iar;
	if (!check(intid == ppi, "unexpected interrupt %u", intid))
		return IRQ_EOI;
	t->fired_at = timer_now();
	t->cval_at_fire = vtimer_cval();
	t->ctl_at_fire = vtimer_ctl();
	/* Level-sensitive: silence the source before the EOI or it fires again. */
	vtimer_set_ctl(CNTV_CTL_ENABLE | CNTV_CTL_IMASK);
	atomic_add(&t->fired, 1);
	return IRQ_EOI;
}

/* Sleep in WFI until the handler has counted `target`; WFI wakes on a masked IRQ too. */
static bool wait_fired(struct cpu_timer *t, u32 target)
{
	for (u32 i = 0; i < 1000000; i++) {
		irq_disable();
		if (atomic_load(&t->fired) >= target) {
			irq_enable();
			return true;
		}
		wfi();
		irq_enable();
		isb();
	}
	return false;
}

static bool ppi_pending(void)
{
	return gic_irq_is_pending(ppi);
}

static void periods(struct cpu_timer *t, int cpu)
{
	u64 period = us_to_ticks(2000), start = timer_now(), prev = start;

	for (u32 k = 1; k <= PERIODS; k++) {
		u64 cval = start + k * period;
		vtimer_set_cval(cval);
		vtimer_set_ctl(CNTV_CTL_ENABLE);
		if (!check(wait_fired(t, k), "cpu%d: period %u: no timer interrupt", cpu, k))
			return;
		check(t->fired_at >= cval, "cpu%d: period %u fired at %lx, before its deadline %lx",
		      cpu, k, t->fired_at, cval);
		check(t->fired_at > prev, "cpu%d: period %u: counter went backwards", cpu, k);
		check(t->cval_at_fire == cval, "cpu%d: CNTV_CVAL_EL0 %lx in the handler, set %lx",
		      cpu, t->cval_at_fire, cval);
		check(t->ctl_at_fire & CNTV_CTL_ISTATUS,
		      "cpu%d: CNTV_CTL_EL0.ISTATUS clear in the handler (%x)", cpu, t->ctl_at_fire);
		prev = t->fired_at;
	}

	/* TVAL: a signed count down from now. */
	u64 before = timer_now();
	vtimer_set_tval((s32)period);
	u64 cval = vtimer_cval(), after = timer_now();
	check(cval >= before + period && cval <= after + period,
	      "cpu%d: TVAL %lu at %lx..%lx gave CVAL %lx", cpu, period, before, after, cval);
	vtimer_set_ctl(CNTV_CTL_ENABLE);
	if (check(wait_fired(t, PERIODS + 1), "cpu%d: TVAL: no timer interrupt", cpu)) {
		check(t->fired_at >= cval, "cpu%d: TVAL timer fired at %lx, before %lx", cpu,
		      t->fired_at, cval);
		check(vtimer_tval() <= 0, "cpu%d: CNTV_TVAL_EL0 = %d after expiry", cpu,
		      vtimer_tval());
	}
	check(atomic_load(&t->fired) == PERIODS + 1, "cpu%d: %u timer interrupts, expected %u", cpu,
	      atomic_load(&t->fired), PERIODS + 1);
}

/* With PSTATE.I set nothing is taken; GICR_ISPENDR0 shows the timer's output level. */
static void level(struct cpu_timer *t, int cpu)
{
	u32 base = atomic_load(&t->fired);

	irq_disable();
	vtimer_set_cval(timer_now());
	vtimer_set_ctl(CNTV_CTL_ENABLE);
	check(vtimer_ctl() & CNTV_CTL_ISTATUS, "cpu%d: ISTATUS clear with CVAL in the past", cpu);
	check(WAIT_UNTIL(ppi_pending()), "cpu%d: expired timer not pending in GICR_ISPENDR0", cpu);
	check(WAIT_UNTIL(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == ppi),
	      "cpu%d: ICC_HPPIR1_EL1 = %lx with the timer pending", cpu,
	      read_sysreg(ICC_HPPIR1_EL1));

	vtimer_set_ctl(CNTV_CTL_ENABLE | CNTV_CTL_IMASK);
	check(WAIT_UNTIL(!ppi_pending()), "cpu%d: timer still pending after IMASK", cpu);
	check(vtimer_ctl() & CNTV_CTL_ISTATUS, "cpu%d: IMASK cleared ISTATUS", cpu);

	vtimer_set_ctl(CNTV_CTL_ENABLE);
	check(WAIT_UNTIL(ppi_pending()), "cpu%d: timer not pending again after clearing IMASK",
	      cpu);

	vtimer_set_cval(timer_now() + 3600 * timer_freq());
	check(!(vtimer_ctl() & CNTV_CTL_ISTATUS), "cpu%d: ISTATUS set with CVAL an hour ahead",
	      cpu);
	check(WAIT_UNTIL(!ppi_pending()), "cpu%d: timer still pending after rearming", cpu);

	vtimer_set_cval(timer_now());
	check(WAIT_UNTIL(ppi_pending()), "cpu%d: timer not pending after re-expiring", cpu);
	vtimer_set_ctl(0);
	check(WAIT_UNTIL(!ppi_pending()), "cpu%d: timer still pending after disabling", cpu);

	irq_enable();
	isb();
	settle();
	check(atomic_load(&t->fired) == base,
	      "cpu%d: an interrupt was taken for a timer disabled before unmasking", cpu);

	/* IMASK with IRQs enabled: no interrupt until it is cleared, then exactly one. */
	vtimer_set_cval(timer_now());
	vtimer_set_ctl(CNTV_CTL_ENABLE | CNTV_CTL_IMASK);
	settle();
	check(atomic_load(&t->fired) == base, "cpu%d: interrupt taken while IMASK was set", cpu);
	vtimer_set_ctl(CNTV_CTL_ENABLE);
	check(wait_fired(t, base + 1), "cpu%d: no interrupt after clearing IMASK", cpu);
	settle();
	check(atomic_load(&t->fired) == base + 1, "cpu%d: %u interrupts after clearing IMASK", cpu,
	      atomic_load(&t->fired) - base);
	vtimer_set_ctl(0);
}

static void timer_job(void *arg)
{
	int cpu = this_cpu();
	struct cpu_timer *t = &ct[cpu];

	(void)arg;
	gic_irq_set_edge(ppi, false);
	gic_irq_enable(ppi);
	periods(t, cpu);
	level(t, cpu);
	gic_irq_disable(ppi);
}

void test_main(void)
{
	ppi = machine.vtimer_intid;
	irq_set_handler(on_irq);
	smp_boot_secondaries();

	u64 f = timer_freq();
	test_section("virtual timer, PPI %u, on %u CPUs at once", ppi, smp_online_count());
	check(f != 0, "CNTFRQ_EL0 = 0");
	test_info("CNTFRQ_EL0 = %lu Hz", f);
	check(ppi == 27, "DT /timer gives the virtual timer as INTID %u, expected 27", ppi);

	smp_call_all(timer_job, NULL);
	for (u32 c = 0; c < nr_cpus(); c++)
		test_info("cpu%u: %u timer interrupts", c, atomic_load(&ct[c].fired));
}
