// SPDX-License-Identifier: MIT
/*
 * load: the demo workload.  Every CPU runs rounds; in each round it raises one
 * interrupt of every kind it takes part in, each aimed at a CPU that changes
 * from round to round, and waits until all of them have been handled:
 *
 *   ipi    SGI (INTID = sender) to another CPU
 *   spi    software-pended SPI (GICD_ISPENDR)
 *   edge   test device edge line (LINE_PULSE)
 *   level  test device level line (LINE_SET; the handler drops it before EOI)
 *   msi    CPU write to GITS_TRANSLATER (DeviceID 0)
 *   dmsi   test device MSI (MSI_SEND, event 256 + cpu)
 *   timer  the CPU's own virtual timer, 20 us ahead
 *
 * Meanwhile the test device's stream generator sends MSIs (first half) and
 * edge interrupts (second half).  Every interrupt raised must be handled
 * exactly once, stream edges at most once per generated edge.  The number of
 * rounds is /chosen "splitgic,load-iterations" (or "load-iterations=N" in
 * /chosen/bootargs), default DEFAULT_ROUNDS.
 */
#include "atomic.h"
#include "gic.h"
#include "irq.h"
#include "its.h"
#include "mmio.h"
#include "smp.h"
#include "string.h"
#include "sysreg.h"
#include "test.h"
#include "testdev.h"
#include "timer.h"
#include "uart.h"
#include "wait.h"

#define DEFAULT_ROUNDS 10000

enum kind { K_IPI, K_SPI, K_EDGE, K_LEVEL, K_MSI, K_DMSI, K_TIMER, NR_KINDS };
static const char *const kind_name[NR_KINDS] = { "ipi", "spi",	"edge", "level",
						 "msi", "dmsi", "timer" };

/*
 * The stream generator sends as MSI_DEVICE, like MSI_SEND: both use DEV_TD,
 * the stream with events 0..255 (its running count), dmsi with 256 + cpu.
 */
#define DEV_CPU	      0u
#define DEV_TD	      0x10u
#define TD_EVENT_BITS 9u
#define DMSI_EVENT(c) (256u + (c))
#define LPI_MSI(c)    (LPI_BASE + (c))
#define LPI_DMSI(c)   (LPI_BASE + 64 + (c))
#define LPI_STREAM(e) (LPI_BASE + 256 + (e))
#define STREAM_MSIS   200u
#define STREAM_EDGES  200u
#define NO_SOURCE     0xff

struct worker {
	u32 issued[NR_KINDS];
	u32 handled[NR_KINDS]; /* of what this CPU issued, wherever it was handled */
	u32 received[NR_KINDS];
	u32 stream_received;
	bool active[NR_KINDS];
	u32 spi;
	bool failed;
} __aligned(64);

static struct worker w[MAX_CPUS];
static u8 src_kind[1024], src_cpu[1024];
static u32 ncpu, rounds, dev_base, dev_lines, stream_line;
static bool have_its, have_td;
static u32 stream_lpis[256];
static u32 stream_edges_handled;

static void count(enum kind k, u32 issuer)
{
	atomic_add(&w[issuer].handled[k], 1);
	atomic_add(&w[this_cpu()].received[k], 1);
}

static enum irq_ret on_irq(u32 intid, u32 iar)
{
	int me = this_cpu();

	(void)iar;
	if (intid >= LPI_BASE) {
		u32 n = intid - LPI_BASE;
		if (n < 64 && n < ncpu)
			count(K_MSI, n);
		else if (n >= 64 && n - 64 < ncpu)
			count(K_DMSI, n - 64);
		else if (n >= 256 && n < 512) {
			atomic_add(&stream_lpis[n - 256], 1);
			atomic_add(&w[me].stream_received, 1);
		} else
			check(false, "cpu%d: unexpected LPI %u", me, intid);
		return IRQ_EOI;
	}
	if (intid == machine.vtimer_intid) {
		vtimer_set_ctl(CNTV_CTL_ENABLE | CNTV_CTL_IMASK);
		count(K_TIMER, me);
		return IRQ_EOI;
	}
	if (intid < 1024 && src_kind[intid] != NO_SOURCE) {
		if (src_kind[intid] == K_LEVEL)
			testdev_write(TESTDEV_LINE_CLEAR, intid - dev_base);
		count(src_kind[intid], src_cpu[intid]);
		return IRQ_EOI;
	}
	if (have_td && intid == dev_base + stream_line) {
		atomic_add(&stream_edges_handled, 1);
		atomic_add(&w[me].stream_received, 1);
		return IRQ_EOI;
	}
	check(false, "cpu%d: unexpected interrupt %u", me, intid);
	return IRQ_EOI;
}

static u64 parse_bootargs(const char *s)
{
	static const char key[] = "load-iterations=";

	for (; s && *s; s++) {
		if (strncmp(s, key, sizeof(key) - 1))
			continue;
		u64 v = 0;
		for (s += sizeof(key) - 1; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (u64)(*s - '0');
		return v;
	}
	return 0;
}

static void setup_spi(u32 intid, bool edge, enum kind k, u32 issuer)
{
	gic_irq_disable(intid);
	gic_irq_clear_pending(intid);
	gic_irq_set_edge(intid, edge);
	gic_spi_route(intid, machine.mpidr[issuer]);
	gic_irq_enable(intid);
	src_kind[intid] = (u8)k;
	src_cpu[intid] = (u8)issuer;
}

static void cpu_setup(void *arg)
{
	(void)arg;
	for (u32 i = 0; i < 16; i++)
		gic_irq_enable(i);
	gic_irq_enable(machine.vtimer_intid);
	if (have_its)
		lpi_cpu_init();
}

static void setup_its(void)
{
	its_init();
	smp_call_all(cpu_setup, NULL);
	for (u32 c = 0; c < ncpu; c++) {
		its_mapc(c, (int)c, true);
		its_invall(c);
	}
	void *itt = its_alloc_itt(6);
	its_mapd(DEV_CPU, itt, 6, true);
	for (u32 c = 0; c < ncpu && c < 64; c++) {
		lpi_set_config(LPI_MSI(c), 0xa0, true);
		its_mapti(DEV_CPU, c, LPI_MSI(c), (c + 1) % ncpu);
		w[c].active[K_MSI] = true;
	}
	if (have_td) {
		itt = its_alloc_itt(TD_EVENT_BITS);
		its_mapd(DEV_TD, itt, TD_EVENT_BITS, true);
		for (u32 c = 0; c < ncpu && c < 64; c++) {
			lpi_set_config(LPI_DMSI(c), 0xa0, true);
			its_mapti(DEV_TD, DMSI_EVENT(c), LPI_DMSI(c), (c + 2) % ncpu);
			w[c].active[K_DMSI] = true;
		}
		for (u32 e = 0; e < 256; e++) {
			lpi_set_config(LPI_STREAM(e), 0xa0, true);
			its_mapti(DEV_TD, e, LPI_STREAM(e), e % ncpu);
		}
	}
	for (u32 c = 0; c < ncpu; c++) {
		its_invall(c);
		its_sync((int)c);
	}
	check(its_flush(), "ITS setup batch");
}

static void setup(void)
{
	memset(src_kind, NO_SOURCE, sizeof(src_kind));
	for (u32 i = 0; i < 16; i++) {
		src_kind[i] = K_IPI;
		src_cpu[i] = (u8)i;
	}
	have_td = testdev_present();
	have_its = machine.has_its && gic.lpis;
	if (have_td) {
		dev_base = testdev_spi_base();
		dev_lines = testdev_spi_count();
		stream_line = dev_lines - 1;
	}

	if (have_its)
		setup_its();
	else
		smp_call_all(cpu_setup, NULL);

	/* Software SPIs: the highest ones no device uses, one per CPU. */
	u32 next = gic.nr_irqs - 1;
	for (u32 c = 0; c < ncpu; c++) {
		while (next >= 32 && ((machine.dt_spi_map[next / 32] & BIT(next % 32)) ||
				      (have_td && next >= dev_base && next < dev_base + dev_lines)))
			next--;
		if (next < 32)
			break;
		w[c].spi = next--;
		setup_spi(w[c].spi, true, K_SPI, c);
		w[c].active[K_SPI] = true;
	}
	for (u32 c = 0; c < ncpu; c++) {
		w[c].active[K_IPI] = c < 16 && ncpu > 1;
		w[c].active[K_TIMER] = true;
		/* Device lines: edge line c, level line 15 + c; line 31 is the stream's. */
		if (have_td && c < 15 && 15 + c < stream_line) {
			setup_spi(dev_base + c, true, K_EDGE, c);
			setup_spi(dev_base + 15 + c, false, K_LEVEL, c);
			w[c].active[K_EDGE] = w[c].active[K_LEVEL] = true;
		}
	}
	if (have_td) {
		u32 s = dev_base + stream_line;
		gic_irq_set_edge(s, true);
		if (gic.no1n)
			gic_spi_route(s, machine.mpidr[ncpu - 1]);
		else
			gic_spi_route_any(s);
		gic_irq_enable(s);
		testdev_write(TESTDEV_MSI_DEVICE, DEV_TD);
	}
	gic_dist_sync();
}

static bool round_done(struct worker *me)
{
	for (u32 k = 0; k < NR_KINDS; k++)
		if (me->active[k] && atomic_load(&me->handled[k]) != me->issued[k])
			return false;
	return true;
}

static void issue(struct worker *me, enum kind k)
{
	if (me->active[k])
		me->issued[k]++;
}

static void worker(void *arg)
{
	u32 c = (u32)this_cpu(), n = ncpu;
	struct worker *me = &w[c];
	u32 todo = *(u32 *)arg;

	for (u32 r = 0; r < todo && !me->failed; r++) {
		u32 t = (c + 1 + r) % n;
		if (t == c)
			t = (t + 1) % n;
		if (me->active[K_IPI]) {
			issue(me, K_IPI);
			gic_send_sgi((int)t, c);
		}
		if (me->active[K_SPI]) {
			issue(me, K_SPI);
			gic_spi_route(me->spi, machine.mpidr[(c + r) % n]);
			gic_irq_set_pending(me->spi);
		}
		if (me->active[K_EDGE]) {
			issue(me, K_EDGE);
			gic_spi_route(dev_base + c, machine.mpidr[(c + 2 + r) % n]);
			testdev_write(TESTDEV_LINE_PULSE, c);
		}
		if (me->active[K_LEVEL]) {
			issue(me, K_LEVEL);
			gic_spi_route(dev_base + 15 + c, machine.mpidr[(c + 3 + r) % n]);
			testdev_write(TESTDEV_LINE_SET, 15 + c);
		}
		if (me->active[K_MSI]) {
			issue(me, K_MSI);
			its_translater_write(c);
		}
		if (me->active[K_DMSI]) {
			issue(me, K_DMSI);
			testdev_write(TESTDEV_MSI_SEND, DMSI_EVENT(c));
		}
		issue(me, K_TIMER);
		vtimer_set_cval(timer_now() + us_to_ticks(20));
		vtimer_set_ctl(CNTV_CTL_ENABLE);

		if (!WAIT_UNTIL(round_done(me))) {
			me->failed = true;
			for (u32 k = 0; k < NR_KINDS; k++)
				if (me->active[k])
					check(atomic_load(&me->handled[k]) == me->issued[k],
					      "cpu%u round %u: %s: %u issued, %u handled", c, r,
					      kind_name[k], me->issued[k],
					      atomic_load(&me->handled[k]));
		}
	}
	vtimer_set_ctl(0);
}

static void start_stream(u32 kind, u32 n, u32 period_us)
{
	testdev_write(TESTDEV_STREAM_KIND, kind);
	testdev_write(TESTDEV_STREAM_LINE, stream_line);
	testdev_write(TESTDEV_STREAM_PERIOD_US, period_us);
	testdev_write(TESTDEV_STREAM_COUNT, n);
}

static void finish_stream(const char *what, u32 ack0, u32 n)
{
	bool ok = WAIT_UNTIL(testdev_read(TESTDEV_STREAM_COUNT) == 0 &&
			     testdev_read(TESTDEV_ACK_COUNT) - ack0 == n);
	check(ok, "%s stream: %u of %u generated, %u left", what,
	      testdev_read(TESTDEV_ACK_COUNT) - ack0, n, testdev_read(TESTDEV_STREAM_COUNT));
}

void test_main(void)
{
	ncpu = nr_cpus();
	irq_set_handler(on_irq);
	smp_boot_secondaries();

	rounds = DEFAULT_ROUNDS;
	if (machine.has_load_iterations)
		rounds = (u32)machine.chosen_load_iterations;
	else if (parse_bootargs(machine.bootargs))
		rounds = (u32)parse_bootargs(machine.bootargs);
	setup();
	test_section("interrupt load: %u rounds on %u CPUs%s%s", rounds, ncpu,
		     have_its ? ", ITS" : "", have_td ? ", test device with stream" : "");
	if (!have_td)
		test_skip("no test device: edge, level, dmsi and the stream are left out");

	u64 t0 = timer_now();
	u32 half = rounds / 2, rest = rounds - half, ack0 = 0;
	if (have_td && have_its) {
		ack0 = testdev_read(TESTDEV_ACK_COUNT);
		start_stream(STREAM_KIND_MSI, STREAM_MSIS, 50);
	}
	smp_call_all(worker, &half);
	if (have_td && have_its)
		finish_stream("MSI", ack0, STREAM_MSIS);
	if (have_td) {
		ack0 = testdev_read(TESTDEV_ACK_COUNT);
		start_stream(STREAM_KIND_EDGE, STREAM_EDGES, 100);
	}
	smp_call_all(worker, &rest);
	if (have_td)
		finish_stream("edge", ack0, STREAM_EDGES);
	u64 ticks = timer_now() - t0;

	if (have_td && have_its) {
		u32 total = 0, dup = 0;
		check(WAIT_UNTIL(({
			      total = 0;
			      for (u32 e = 0; e < 256; e++)
				      total += atomic_load(&stream_lpis[e]);
			      total >= STREAM_MSIS;
		      })),
		      "MSI stream: %u of %u LPIs handled", total, STREAM_MSIS);
		for (u32 e = 0; e < 256; e++)
			dup += atomic_load(&stream_lpis[e]) > 1;
		check(total == STREAM_MSIS && dup == 0,
		      "MSI stream: %u LPIs handled for %u MSIs, %u handled more than once", total,
		      STREAM_MSIS, dup);
	}
	if (have_td) {
		check(WAIT_UNTIL(atomic_load(&stream_edges_handled) >= 1),
		      "edge stream: no interrupt handled");
		settle();
		u32 h = atomic_load(&stream_edges_handled);
		check(h >= 1 && h <= STREAM_EDGES, "edge stream: %u handled for %u edges", h,
		      STREAM_EDGES);
		test_info("edge stream: %u edges, %u interrupts handled (edges may merge)",
			  STREAM_EDGES, h);
	}

	test_section("per CPU: issued/handled by the issuer, received here");
	char line[200];
	int o = snprintf(line, sizeof(line), "   cpu ");
	for (u32 k = 0; k < NR_KINDS; k++)
		o += snprintf(line + o, sizeof(line) - o, " %15s", kind_name[k]);
	printf("%s   stream\n", line);
	u32 all = 0;
	for (u32 c = 0; c < ncpu; c++) {
		o = snprintf(line, sizeof(line), "   %3u ", c);
		for (u32 k = 0; k < NR_KINDS; k++) {
			u32 is = w[c].issued[k], hd = atomic_load(&w[c].handled[k]);
			u32 rx = atomic_load(&w[c].received[k]);
			char cell[32];
			if (w[c].active[k])
				snprintf(cell, sizeof(cell), "%u/%u/%u", is, hd, rx);
			else
				snprintf(cell, sizeof(cell), "-/-/%u", rx);
			o += snprintf(line + o, sizeof(line) - o, " %15s", cell);
			if (w[c].active[k])
				check(hd == is, "cpu%u %s: issued %u, handled %u", c, kind_name[k],
				      is, hd);
			all += rx;
		}
		printf("%s %8u\n", line, atomic_load(&w[c].stream_received));
		all += atomic_load(&w[c].stream_received);
	}
	u64 us = ticks * 1000000 / timer_freq();
	test_info("%u interrupts handled in %lu us of virtual time", all, us);
}
