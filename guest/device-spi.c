// SPDX-License-Identifier: MIT
/*
 * device-spi: shared peripheral interrupts, level and edge.
 *
 * Part 1 pends SPIs by software (GICD_ISPENDR, GICD_SETSPI_NSR) and so also
 * runs on QEMU: routing to each CPU through GICD_IROUTER, 1-of-N routing,
 * disable while pending, GICD_ICPENDR, a level SPI's software pend, and the
 * message-based SPI registers when GICD_TYPER.MBIS says they exist.
 * Part 2 drives the splitgic test device's lines: level SPIs cleared by the
 * handler before EOI (no re-fire) or left high (re-fire, counted), edge
 * pulses spaced (one interrupt each) and bunched (merged: 1..n), routing of
 * device lines, disable while pending, GICD_ICPENDR and a level line that
 * drops before it is taken.
 *
 * "Not delivered" is judged after a sentinel interrupt sent later on the
 * same path to the same CPU has arrived.
 */
#include "atomic.h"
#include "gic.h"
#include "irq.h"
#include "mmio.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "testdev.h"
#include "uart.h"
#include "wait.h"

#define MAX_INTID 1024

static u32 count[MAX_CPUS][MAX_INTID];
/* Level sources: on the n-th delivery the handler drops the line (0: never). */
static u32 clear_at[MAX_INTID];
static bool via_clrspi[MAX_INTID];

static u32 sw_spi, sw_sentinel, sw_spare; /* software-pended SPIs, no device behind them */
static u32 dev_base, dev_count;

static enum irq_ret on_irq(u32 intid, u32 iar)
{
	int cpu = this_cpu();

	(void)iar;
	if (!check(intid >= 32 && intid < MAX_INTID, "cpu%d: unexpected interrupt %u", cpu, intid))
		return IRQ_EOI;
	u32 n = atomic_add(&count[cpu][intid], 1);
	if (clear_at[intid] && n >= clear_at[intid]) {
		/* Drop the level source before the EOI, as a driver would. */
		if (via_clrspi[intid])
			writel(gicd_base() + GICD_CLRSPI_NSR, intid);
		else
			testdev_write(TESTDEV_LINE_CLEAR, intid - dev_base);
	}
	return IRQ_EOI;
}

static u32 cnt(int cpu, u32 intid)
{
	return atomic_load(&count[cpu][intid]);
}

static u32 total(u32 intid)
{
	u32 n = 0;

	for (u32 c = 0; c < nr_cpus(); c++)
		n += cnt(c, intid);
	return n;
}

static void setup_spi(u32 intid, bool edge, int cpu)
{
	gic_irq_disable(intid);
	gic_irq_clear_pending(intid);
	gic_irq_set_edge(intid, edge);
	gic_spi_route(intid, machine.mpidr[cpu]);
	gic_irq_enable(intid);
	gic_dist_sync();
}

static bool wait_count(int cpu, u32 intid, u32 n)
{
	return WAIT_UNTIL(cnt(cpu, intid) >= n);
}

/* An interrupt on the same path, sent after the one under test, has arrived at cpu. */
static void sw_sentinel_to(int cpu)
{
	u32 before = cnt(cpu, sw_sentinel);

	gic_spi_route(sw_sentinel, machine.mpidr[cpu]);
	gic_irq_set_pending(sw_sentinel);
	check(wait_count(cpu, sw_sentinel, before + 1), "cpu%d: sentinel SPI %u not delivered", cpu,
	      sw_sentinel);
}

static void dev_sentinel_to(int cpu)
{
	u32 line = dev_count - 1, intid = dev_base + line, before = cnt(cpu, intid);

	gic_spi_route(intid, machine.mpidr[cpu]);
	testdev_write(TESTDEV_LINE_PULSE, line);
	check(wait_count(cpu, intid, before + 1), "cpu%d: sentinel line %u (SPI %u) not delivered",
	      cpu, line, intid);
}

/* Pick the three highest SPIs that no device of the DT (or the test device) uses. */
static void pick_sw_spis(void)
{
	u32 picked[3], n = 0;

	for (u32 i = gic.nr_irqs - 1; i >= 32 && n < 3; i--) {
		if (testdev_present() && i >= dev_base && i < dev_base + dev_count)
			continue;
		if (machine.dt_spi_map[i / 32] & BIT(i % 32))
			continue;
		picked[n++] = i;
	}
	if (n < 3)
		test_fatal("fewer than three SPIs free of devices");
	sw_spi = picked[0];
	sw_sentinel = picked[1];
	sw_spare = picked[2];
}

static void part1_routing(void)
{
	test_section("software-pended SPI %u: routing through GICD_IROUTER to each CPU", sw_spi);
	setup_spi(sw_sentinel, true, 0);
	setup_spi(sw_spi, true, 0);
	for (u32 c = 0; c < nr_cpus(); c++) {
		u32 before[MAX_CPUS];
		for (u32 o = 0; o < nr_cpus(); o++)
			before[o] = cnt(o, sw_spi);
		gic_spi_route(sw_spi, machine.mpidr[c]);
		gic_irq_set_pending(sw_spi);
		check(wait_count(c, sw_spi, before[c] + 1), "SPI %u routed to cpu%u not delivered",
		      sw_spi, c);
		sw_sentinel_to(c);
		for (u32 o = 0; o < nr_cpus(); o++)
			check(cnt(o, sw_spi) == before[o] + (o == c),
			      "SPI %u routed to cpu%u: cpu%u took it %u times", sw_spi, c, o,
			      cnt(o, sw_spi) - before[o]);
	}

	test_section("1-of-N routing (GICD_IROUTER.IRM = 1)");
	if (gic.no1n) {
		test_skip("GICD_TYPER.No1N = 1: 1-of-N routing not supported");
	} else {
		u32 t0 = total(sw_spi);
		gic_spi_route_any(sw_spi);
		gic_irq_set_pending(sw_spi);
		check(WAIT_UNTIL(total(sw_spi) == t0 + 1), "1-of-N SPI %u reached no CPU", sw_spi);
		settle();
		check(total(sw_spi) == t0 + 1, "1-of-N SPI %u delivered %u times", sw_spi,
		      total(sw_spi) - t0);
		gic_spi_route(sw_spi, machine.mpidr[0]);
	}
}

static void part1_pending(void)
{
	int tgt = nr_cpus() > 1 ? 1 : 0;

	test_section("disable while pending, GICD_ICPENDR, level SPI software pend (cpu%d)", tgt);
	setup_spi(sw_sentinel, true, tgt);
	setup_spi(sw_spi, true, tgt);
	u32 c0 = cnt(tgt, sw_spi);

	gic_irq_disable(sw_spi);
	gic_irq_set_pending(sw_spi);
	check(gic_irq_is_pending(sw_spi), "disabled SPI %u not pending after GICD_ISPENDR", sw_spi);
	sw_sentinel_to(tgt);
	check(cnt(tgt, sw_spi) == c0, "disabled SPI %u was delivered", sw_spi);
	gic_irq_enable(sw_spi);
	check(wait_count(tgt, sw_spi, c0 + 1),
	      "SPI %u pending while disabled not delivered on enable", sw_spi);
	sw_sentinel_to(tgt);
	check(cnt(tgt, sw_spi) == c0 + 1, "SPI %u delivered %u times after enable", sw_spi,
	      cnt(tgt, sw_spi) - c0);

	gic_irq_disable(sw_spi);
	gic_irq_set_pending(sw_spi);
	gic_irq_clear_pending(sw_spi);
	check(!gic_irq_is_pending(sw_spi), "GICD_ICPENDR did not clear pending SPI %u", sw_spi);
	gic_irq_enable(sw_spi);
	sw_sentinel_to(tgt);
	check(cnt(tgt, sw_spi) == c0 + 1, "SPI %u delivered after GICD_ICPENDR", sw_spi);

	/* Level-sensitive with no line: the software pend is one interrupt. */
	setup_spi(sw_spare, false, tgt);
	u32 l0 = cnt(tgt, sw_spare);
	gic_irq_set_pending(sw_spare);
	check(wait_count(tgt, sw_spare, l0 + 1), "level SPI %u: software pend not delivered",
	      sw_spare);
	sw_sentinel_to(tgt);
	check(cnt(tgt, sw_spare) == l0 + 1, "level SPI %u: software pend delivered %u times",
	      sw_spare, cnt(tgt, sw_spare) - l0);
	gic_irq_disable(sw_spare);
}

static void part1_mbis(void)
{
	u64 d = gicd_base();
	int tgt = nr_cpus() > 2 ? 2 : 0;

	test_section("message-based SPIs: GICD_SETSPI_NSR / GICD_CLRSPI_NSR");
	if (!gic.mbis) {
		test_skip("GICD_TYPER.MBIS = 0");
		return;
	}
	setup_spi(sw_sentinel, true, tgt);
	setup_spi(sw_spi, true, tgt);
	u32 e0 = cnt(tgt, sw_spi);
	writel(d + GICD_SETSPI_NSR, sw_spi);
	check(wait_count(tgt, sw_spi, e0 + 1), "edge SPI %u: SETSPI_NSR not delivered", sw_spi);
	sw_sentinel_to(tgt);
	check(cnt(tgt, sw_spi) == e0 + 1, "edge SPI %u: SETSPI_NSR delivered %u times", sw_spi,
	      cnt(tgt, sw_spi) - e0);

	/* Level: SETSPI asserts until CLRSPI; the handler clears on the first or third take. */
	for (u32 at = 1; at <= 3; at += 2) {
		setup_spi(sw_spare, false, tgt);
		via_clrspi[sw_spare] = true;
		clear_at[sw_spare] = cnt(tgt, sw_spare) + at;
		u32 l0 = cnt(tgt, sw_spare);
		writel(d + GICD_SETSPI_NSR, sw_spare);
		check(wait_count(tgt, sw_spare, l0 + at),
		      "level SPI %u: SETSPI_NSR taken %u times, expected %u", sw_spare,
		      cnt(tgt, sw_spare) - l0, at);
		sw_sentinel_to(tgt);
		check(cnt(tgt, sw_spare) == l0 + at,
		      "level SPI %u asserted by SETSPI_NSR: taken %u times, expected %u", sw_spare,
		      cnt(tgt, sw_spare) - l0, at);
		check(!gic_irq_is_pending(sw_spare), "level SPI %u pending after CLRSPI_NSR",
		      sw_spare);
		clear_at[sw_spare] = 0;
	}
	gic_irq_disable(sw_spare);
}

static void part2_level(void)
{
	u32 line = 0, intid = dev_base + line;
	int tgt = 0;

	test_section("test device level line %u (SPI %u)", line, intid);
	setup_spi(dev_base + dev_count - 1, true, tgt);
	for (u32 at = 1; at <= 3; at += 2) {
		setup_spi(intid, false, tgt);
		u32 c0 = cnt(tgt, intid);
		clear_at[intid] = c0 + at;
		testdev_write(TESTDEV_LINE_SET, line);
		check(wait_count(tgt, intid, c0 + at), "level line %u: %u interrupts, expected %u",
		      line, cnt(tgt, intid) - c0, at);
		dev_sentinel_to(tgt);
		check(cnt(tgt, intid) == c0 + at,
		      "level line %u cleared on take %u: %u interrupts (re-fired after clear?)",
		      line, at, cnt(tgt, intid) - c0);
		check(!(testdev_read(TESTDEV_LINE_STATE) & BIT(line)), "line %u still high", line);
		clear_at[intid] = 0;
	}

	/* Raised while disabled: pending follows the line; dropped again: not pending. */
	gic_irq_disable(intid);
	u32 c0 = cnt(tgt, intid);
	testdev_write(TESTDEV_LINE_SET, line);
	check(WAIT_UNTIL(gic_irq_is_pending(intid)),
	      "disabled level SPI %u: raised line not pending", intid);
	testdev_write(TESTDEV_LINE_CLEAR, line);
	check(WAIT_UNTIL(!gic_irq_is_pending(intid)),
	      "level SPI %u still pending after the line dropped", intid);
	gic_irq_enable(intid);
	gic_dist_sync();
	dev_sentinel_to(tgt);
	check(cnt(tgt, intid) == c0, "level SPI %u delivered after its line dropped", intid);

	/* Raised while disabled again, then enabled: one interrupt, cleared by the handler. */
	gic_irq_disable(intid);
	clear_at[intid] = c0 + 1;
	testdev_write(TESTDEV_LINE_SET, line);
	check(WAIT_UNTIL(gic_irq_is_pending(intid)), "level SPI %u not pending", intid);
	gic_irq_enable(intid);
	check(wait_count(tgt, intid, c0 + 1),
	      "level SPI %u, pending while disabled, not delivered on enable", intid);
	dev_sentinel_to(tgt);
	check(cnt(tgt, intid) == c0 + 1, "level SPI %u: %u interrupts after enable", intid,
	      cnt(tgt, intid) - c0);
	clear_at[intid] = 0;
	gic_irq_disable(intid);
}

static void part2_edge(void)
{
	u32 line = 1, intid = dev_base + line;
	int tgt = nr_cpus() > 1 ? 1 : 0;
	const u32 pulses = 5;

	test_section("test device edge line %u (SPI %u): spaced and bunched pulses", line, intid);
	setup_spi(dev_base + dev_count - 1, true, tgt);
	setup_spi(intid, true, tgt);
	u32 c0 = cnt(tgt, intid);
	for (u32 p = 1; p <= pulses; p++) {
		testdev_write(TESTDEV_LINE_PULSE, line);
		check(wait_count(tgt, intid, c0 + p), "edge line %u: pulse %u not delivered", line,
		      p);
	}
	dev_sentinel_to(tgt);
	check(cnt(tgt, intid) == c0 + pulses, "edge line %u: %u interrupts for %u spaced pulses",
	      line, cnt(tgt, intid) - c0, pulses);

	/* Bunched on the boot CPU with IRQs masked: pulses may merge into one pending state. */
	setup_spi(intid, true, 0);
	c0 = cnt(0, intid);
	irq_disable();
	for (u32 p = 0; p < pulses; p++)
		testdev_write(TESTDEV_LINE_PULSE, line);
	check(WAIT_UNTIL(ICC_IAR_INTID(read_sysreg(ICC_HPPIR1_EL1)) == intid),
	      "bunched pulses: SPI %u never signalled", intid);
	irq_enable();
	check(wait_count(0, intid, c0 + 1), "bunched pulses: SPI %u not delivered", intid);
	dev_sentinel_to(0);
	u32 got = cnt(0, intid) - c0;
	check(got >= 1 && got <= pulses, "bunched pulses: %u interrupts for %u pulses", got,
	      pulses);
	test_info("%u bunched pulses gave %u interrupts", pulses, got);
}

static void part2_routing(void)
{
	u32 line = 2, intid = dev_base + line;

	test_section("test device line %u (SPI %u) routed to each CPU, then 1-of-N", line, intid);
	setup_spi(dev_base + dev_count - 1, true, 0);
	setup_spi(intid, true, 0);
	for (u32 c = 0; c < nr_cpus(); c++) {
		u32 before[MAX_CPUS];
		for (u32 o = 0; o < nr_cpus(); o++)
			before[o] = cnt(o, intid);
		gic_spi_route(intid, machine.mpidr[c]);
		testdev_write(TESTDEV_LINE_PULSE, line);
		check(wait_count(c, intid, before[c] + 1), "line %u routed to cpu%u not delivered",
		      line, c);
		dev_sentinel_to(c);
		for (u32 o = 0; o < nr_cpus(); o++)
			check(cnt(o, intid) == before[o] + (o == c),
			      "line %u routed to cpu%u: cpu%u took it %u times", line, c, o,
			      cnt(o, intid) - before[o]);
	}
	if (gic.no1n) {
		test_skip("GICD_TYPER.No1N = 1: no 1-of-N routing");
		return;
	}
	u32 t0 = total(intid);
	gic_spi_route_any(intid);
	for (u32 k = 1; k <= 4; k++) {
		testdev_write(TESTDEV_LINE_PULSE, line);
		check(WAIT_UNTIL(total(intid) == t0 + k), "1-of-N line %u: pulse %u reached no CPU",
		      line, k);
	}
	for (u32 c = 0; c < nr_cpus(); c++)
		dev_sentinel_to(c);
	check(total(intid) == t0 + 4, "1-of-N line %u: %u interrupts for 4 pulses", line,
	      total(intid) - t0);
}

static void part2_pending(void)
{
	u32 line = 3, intid = dev_base + line;
	int tgt = nr_cpus() > 2 ? 2 : 0;

	test_section("test device edge line %u (SPI %u): disable while pending, GICD_ICPENDR", line,
		     intid);
	setup_spi(dev_base + dev_count - 1, true, tgt);
	setup_spi(intid, true, tgt);
	u32 c0 = cnt(tgt, intid);
	gic_irq_disable(intid);
	testdev_write(TESTDEV_LINE_PULSE, line);
	check(WAIT_UNTIL(gic_irq_is_pending(intid)), "pulse on disabled SPI %u not pending", intid);
	dev_sentinel_to(tgt);
	check(cnt(tgt, intid) == c0, "disabled SPI %u delivered", intid);
	gic_irq_enable(intid);
	check(wait_count(tgt, intid, c0 + 1),
	      "SPI %u pending while disabled not delivered on enable", intid);

	gic_irq_disable(intid);
	testdev_write(TESTDEV_LINE_PULSE, line);
	check(WAIT_UNTIL(gic_irq_is_pending(intid)), "pulse on disabled SPI %u not pending", intid);
	gic_irq_clear_pending(intid);
	check(!gic_irq_is_pending(intid), "GICD_ICPENDR did not clear SPI %u", intid);
	gic_irq_enable(intid);
	dev_sentinel_to(tgt);
	check(cnt(tgt, intid) == c0 + 1, "SPI %u: %u interrupts, expected 1 (ICPENDR ignored?)",
	      intid, cnt(tgt, intid) - c0);
	gic_irq_disable(intid);
}

void test_main(void)
{
	irq_set_handler(on_irq);
	smp_boot_secondaries();
	if (testdev_present()) {
		dev_base = testdev_spi_base();
		dev_count = testdev_spi_count();
	}
	pick_sw_spis();

	part1_routing();
	part1_pending();
	part1_mbis();

	if (!testdev_present()) {
		test_section("test device lines");
		test_skip("no splitgic test device (QEMU?): level/edge device lines not tested");
		return;
	}
	check(dev_count >= 8, "test device has only %u lines", dev_count);
	check(dev_base >= 32 && dev_base + dev_count <= gic.nr_irqs,
	      "test device lines %u..%u outside the implemented SPIs", dev_base,
	      dev_base + dev_count - 1);
	if (dev_count < 8)
		return;
	part2_level();
	part2_edge();
	part2_routing();
	part2_pending();
}
