// SPDX-License-Identifier: MIT
/*
 * msi-its: MSIs translated by the ITS into LPIs, set up with the command
 * sequence Linux uses.
 *
 * Tables in guest RAM through GITS_BASER<n>, the command queue through
 * GITS_CBASER/CWRITER; per CPU GICR_PROPBASER/PENDBASER and EnableLPIs;
 * MAPC + INVALL per CPU, MAPD, MAPTI, INV, SYNC.  Then MSIs from a CPU write
 * to GITS_TRANSLATER (DeviceID 0) and from the test device, each taken exactly
 * once as the mapped LPI on the CPU of its collection; the INT command; MOVI;
 * an LPI disabled in the property table (stays pending, taken after re-enable
 * + INV); DISCARD; an event whose collection is not mapped yet; MAPD V=0;
 * and commands with errors, whose handling (ignored or stalled) is reported.
 * After every batch GITS_CREADR must reach GITS_CWRITER without Stalled.
 */
#include "atomic.h"
#include "gic.h"
#include "irq.h"
#include "its.h"
#include "mmio.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "testdev.h"
#include "uart.h"
#include "wait.h"

#define DEV_CPU	     0u	   /* DeviceID of a CPU's own GITS_TRANSLATER write */
#define DEV_TD	     0x10u /* DeviceID the test device is told to use */
#define DEV_UNMAPPED 0x11u
#define EVENT_BITS   5u
#define NR_EVENTS    (1u << EVENT_BITS)
#define LPI_CPU(e)   (LPI_BASE + (e))
#define LPI_TD(e)    (LPI_BASE + 64 + (e))
#define LPI_SLOTS    128u
#define LPI_PRIO     0xa0

/* Events of DEV_CPU with a special role; the rest are plain. */
#define E_MOVE	  20u
#define E_DISABLE 21u
#define E_DISCARD 22u
#define E_NOCOLL  23u
#define E_BAD	  24u
#define E_AFTER	  25u
#define E_INT	  26u
#define E_UNBIND  27u
#define NR_PLAIN  16u

static u32 lpi_count[MAX_CPUS][LPI_SLOTS];
static u32 ncpu;
static void *itt_cpu, *itt_td, *itt_unbind;
#define DEV_UNBIND 0x12u

static enum irq_ret on_irq(u32 intid, u32 iar)
{
	(void)iar;
	if (check(intid >= LPI_BASE && intid < LPI_BASE + LPI_SLOTS,
		  "cpu%d: unexpected interrupt %u", this_cpu(), intid))
		atomic_add(&lpi_count[this_cpu()][intid - LPI_BASE], 1);
	return IRQ_EOI;
}

static u32 cnt(u32 cpu, u32 lpi)
{
	return atomic_load(&lpi_count[cpu][lpi - LPI_BASE]);
}

static u32 total(u32 lpi)
{
	u32 n = 0;

	for (u32 c = 0; c < ncpu; c++)
		n += cnt(c, lpi);
	return n;
}

static void msi_cpu(u32 event)
{
	its_translater_write(event);
}

static void msi_td(u32 event)
{
	testdev_write(TESTDEV_MSI_SEND, event);
}

/* Event e of DEV_CPU (plain ones) goes to collection e % ncpu = CPU e % ncpu. */
static u32 plain_cpu(u32 e)
{
	return e % ncpu;
}

/* A later MSI on the same path to `cpu` has been taken, so earlier ones have been handled. */
static void sentinel(u32 cpu)
{
	u32 e = cpu % NR_PLAIN, before = cnt(cpu, LPI_CPU(e));

	msi_cpu(e);
	check(WAIT_UNTIL(cnt(cpu, LPI_CPU(e)) > before),
	      "sentinel MSI (event %u) not taken by cpu%u", e, cpu);
}

static void sentinel_all(void)
{
	for (u32 c = 0; c < ncpu && c < NR_PLAIN; c++)
		sentinel(c);
}

static void lpi_init_job(void *arg)
{
	(void)arg;
	lpi_cpu_init();
}

static void setup(void)
{
	test_section("ITS setup: GITS_BASER, CBASER, PROPBASER/PENDBASER, EnableLPIs, MAPC, MAPD, "
		     "MAPTI, INV, SYNC");
	its_init();
	test_info("ITS at %lx, PTA %d, ITT entry %u bytes, %u device and %u collection entries",
		  its.base, its.pta, its.ite_size, its.dev_entries, its.coll_entries);
	check(its.coll_entries > ncpu + 8 || GITS_TYPER_HCC(its.typer) > ncpu + 8,
	      "too few collections for the test");
	smp_call_all(lpi_init_job, NULL);

	for (u32 c = 0; c < ncpu; c++) {
		its_mapc(c, (int)c, true);
		its_invall(c);
	}
	check(its_flush(), "MAPC + INVALL batch");

	itt_cpu = its_alloc_itt(EVENT_BITS);
	its_mapd(DEV_CPU, itt_cpu, EVENT_BITS, true);
	for (u32 e = 0; e < NR_PLAIN; e++) {
		lpi_set_config(LPI_CPU(e), LPI_PRIO, true);
		its_mapti(DEV_CPU, e, LPI_CPU(e), plain_cpu(e));
		its_inv(DEV_CPU, e);
	}
	static const u32 special[] = { E_MOVE, E_DISABLE, E_DISCARD, E_INT };
	for (u32 i = 0; i < ARRAY_SIZE(special); i++) {
		lpi_set_config(LPI_CPU(special[i]), LPI_PRIO, true);
		its_mapti(DEV_CPU, special[i], LPI_CPU(special[i]), 0);
		its_inv(DEV_CPU, special[i]);
	}
	for (u32 c = 0; c < ncpu; c++)
		its_sync((int)c);
	check(its_flush(), "MAPD + MAPTI + INV + SYNC batch");
}

static void test_translater(void)
{
	test_section("MSIs by CPU writes to GITS_TRANSLATER (DeviceID %u)", DEV_CPU);
	for (u32 e = 0; e < NR_PLAIN; e++) {
		u32 c = plain_cpu(e), before = cnt(c, LPI_CPU(e));
		msi_cpu(e);
		check(WAIT_UNTIL(cnt(c, LPI_CPU(e)) > before),
		      "event %u: LPI %u not taken by cpu%u", e, LPI_CPU(e), c);
	}
	sentinel_all();
	for (u32 e = 0; e < NR_PLAIN; e++)
		for (u32 c = 0; c < ncpu; c++) {
			u32 want = (c == plain_cpu(e)) + (e == c && c < NR_PLAIN);
			check(cnt(c, LPI_CPU(e)) == want,
			      "LPI %u taken %u times by cpu%u, expected %u", LPI_CPU(e),
			      cnt(c, LPI_CPU(e)), c, want);
		}

	test_section("the INT command");
	u32 before = cnt(0, LPI_CPU(E_INT));
	its_int(DEV_CPU, E_INT);
	check(its_flush(), "INT batch");
	check(WAIT_UNTIL(cnt(0, LPI_CPU(E_INT)) == before + 1), "INT: LPI %u not taken by cpu0",
	      LPI_CPU(E_INT));
	sentinel(0);
	check(total(LPI_CPU(E_INT)) == before + 1, "INT: LPI %u taken %u times", LPI_CPU(E_INT),
	      total(LPI_CPU(E_INT)) - before);
}

static void test_device(void)
{
	test_section("MSIs from the test device (MSI_DEVICE %u, MSI_SEND)", DEV_TD);
	if (!testdev_present()) {
		test_skip("no splitgic test device (QEMU?)");
		return;
	}
	itt_td = its_alloc_itt(EVENT_BITS);
	its_mapd(DEV_TD, itt_td, EVENT_BITS, true);
	for (u32 e = 0; e < NR_EVENTS; e++) {
		lpi_set_config(LPI_TD(e), LPI_PRIO, true);
		its_mapti(DEV_TD, e, LPI_TD(e), e % ncpu);
		its_inv(DEV_TD, e);
	}
	for (u32 c = 0; c < ncpu; c++)
		its_sync((int)c);
	check(its_flush(), "MAPD + MAPTI batch for the test device");

	testdev_write(TESTDEV_MSI_DEVICE, DEV_TD);
	check(testdev_read(TESTDEV_MSI_DEVICE) == DEV_TD, "test device MSI_DEVICE reads %u",
	      testdev_read(TESTDEV_MSI_DEVICE));
	for (u32 e = 0; e < NR_EVENTS; e++) {
		msi_td(e);
		check(WAIT_UNTIL(cnt(e % ncpu, LPI_TD(e)) == 1),
		      "device event %u: LPI %u not taken by cpu%u", e, LPI_TD(e), e % ncpu);
	}
	sentinel_all();
	for (u32 e = 0; e < NR_EVENTS; e++)
		check(total(LPI_TD(e)) == 1 && cnt(e % ncpu, LPI_TD(e)) == 1,
		      "device event %u: LPI %u taken %u times in all, %u by cpu%u", e, LPI_TD(e),
		      total(LPI_TD(e)), cnt(e % ncpu, LPI_TD(e)), e % ncpu);
}

static void test_movi(void)
{
	u32 lpi = LPI_CPU(E_MOVE), to = MIN(ncpu, NR_PLAIN) - 1;

	test_section("MOVI: event %u from collection 0 to collection %u", E_MOVE, to);
	u32 b0 = cnt(0, lpi), bt = cnt(to, lpi);
	msi_cpu(E_MOVE);
	check(WAIT_UNTIL(cnt(0, lpi) == b0 + 1), "LPI %u not taken by cpu0 before MOVI", lpi);
	its_movi(DEV_CPU, E_MOVE, to);
	its_sync(0);
	check(its_flush(), "MOVI + SYNC batch");
	msi_cpu(E_MOVE);
	check(WAIT_UNTIL(cnt(to, lpi) == bt + 1 + (to == 0)),
	      "LPI %u not taken by cpu%u after MOVI", lpi, to);
	sentinel(0);
	sentinel(to);
	if (to != 0)
		check(cnt(0, lpi) == b0 + 1, "LPI %u taken by cpu0 after MOVI away", lpi);
}

static void test_disable(void)
{
	u32 lpi = LPI_CPU(E_DISABLE);

	test_section("LPI %u disabled in the property table + INV, then re-enabled", lpi);
	lpi_set_config(lpi, LPI_PRIO, false);
	its_inv(DEV_CPU, E_DISABLE);
	its_sync(0);
	check(its_flush(), "INV + SYNC batch (disable)");
	u32 b = total(lpi);
	msi_cpu(E_DISABLE);
	sentinel(0);
	check(total(lpi) == b, "disabled LPI %u was taken", lpi);
	lpi_set_config(lpi, LPI_PRIO, true);
	its_inv(DEV_CPU, E_DISABLE);
	its_sync(0);
	check(its_flush(), "INV + SYNC batch (enable)");
	check(WAIT_UNTIL(cnt(0, lpi) == b + 1),
	      "LPI %u, pending while disabled, not taken after re-enable", lpi);
	sentinel(0);
	check(total(lpi) == b + 1, "LPI %u taken %u times after re-enable", lpi, total(lpi) - b);
}

static void test_discard(void)
{
	u32 lpi = LPI_CPU(E_DISCARD);

	test_section("DISCARD of event %u", E_DISCARD);
	u32 b = total(lpi);
	msi_cpu(E_DISCARD);
	check(WAIT_UNTIL(total(lpi) == b + 1), "LPI %u not taken before DISCARD", lpi);
	its_discard(DEV_CPU, E_DISCARD);
	its_sync(0);
	check(its_flush(), "DISCARD + SYNC batch");
	msi_cpu(E_DISCARD);
	sentinel_all();
	check(total(lpi) == b + 1, "LPI %u taken after its event was discarded", lpi);
}

static void test_unmapped_collection(void)
{
	u32 lpi = LPI_CPU(E_NOCOLL), icid = ncpu + 5, to = ncpu > 1 ? 1 : 0;

	test_section("event %u mapped to collection %u before that collection is mapped", E_NOCOLL,
		     icid);
	lpi_set_config(lpi, LPI_PRIO, true);
	its_mapti(DEV_CPU, E_NOCOLL, lpi, icid);
	its_sync(0);
	check(its_flush(), "MAPTI to an unmapped collection is not a command error");
	msi_cpu(E_NOCOLL);
	sentinel_all();
	check(total(lpi) == 0, "LPI %u of an unmapped collection was taken", lpi);
	its_mapc(icid, (int)to, true);
	its_invall(icid);
	its_sync((int)to);
	check(its_flush(), "MAPC of collection %u", icid);
	msi_cpu(E_NOCOLL);
	check(WAIT_UNTIL(cnt(to, lpi) == 1),
	      "LPI %u not taken by cpu%u once its collection was mapped", lpi, to);
	sentinel_all();
	check(total(lpi) == 1, "LPI %u taken %u times", lpi, total(lpi));
}

/*
 * IHI 0069 leaves it IMPLEMENTATION DEFINED whether a command error makes the
 * ITS ignore the command and go on, or stall with GITS_CREADR.Stalled set and
 * GITS_CREADR at the failing command.  Both are accepted; after a stall the
 * command is rewritten as a SYNC and GITS_CWRITER.Retry resumes the queue.
 */
static void test_command_errors(void)
{
	u32 after = LPI_CPU(E_AFTER), bad_icid = 0xffff;

	test_section("commands with errors: MAPTI to ICID %x (out of range) and to an unmapped "
		     "DeviceID, then a valid MAPTI",
		     bad_icid);
	if (its.coll_entries + GITS_TYPER_HCC(its.typer) > bad_icid) {
		test_skip("collection table too large to name an out-of-range ICID");
		return;
	}
	lpi_set_config(LPI_CPU(E_BAD), LPI_PRIO, true);
	lpi_set_config(after, LPI_PRIO, true);
	u64 first_bad = its_cmd_offset();
	its_mapti(DEV_CPU, E_BAD, LPI_CPU(E_BAD), bad_icid);
	its_mapti(DEV_UNMAPPED, 0, LPI_CPU(E_BAD), 0);
	its_mapti(DEV_CPU, E_AFTER, after, 0);
	its_sync(0);

	u64 base = its.base, creadr = 0;
	u32 stalls = 0;
	dsb(sy);
	writeq(base + GITS_CWRITER, its.cwriter);
	for (int round = 0; round < 3; round++) {
		bool done = WAIT_UNTIL(((creadr = readq(base + GITS_CREADR)) & GITS_OFFSET_MASK) ==
					       its.cwriter ||
				       (creadr & GITS_CREADR_STALLED));
		if (!check(done, "queue with bad commands: CREADR %lx never reached CWRITER %x",
			   creadr, its.cwriter))
			return;
		if (!(creadr & GITS_CREADR_STALLED))
			break;
		u64 at = creadr & GITS_OFFSET_MASK;
		stalls++;
		check(at == first_bad || at == (first_bad + 32) % its.cmdq_size,
		      "stalled at offset %lx, not at a bad command (%lx, %lx)", at, first_bad,
		      (first_bad + 32) % its.cmdq_size);
		u64 *cmd = (u64 *)(its.cmdq + at);
		cmd[0] = ITS_CMD_SYNC;
		cmd[1] = 0;
		cmd[2] = its_rdbase(0);
		cmd[3] = 0;
		dsb(sy);
		writeq(base + GITS_CWRITER, its.cwriter | GITS_CWRITER_RETRY);
	}
	check(!(readq(base + GITS_CREADR) & GITS_CREADR_STALLED), "ITS still stalled");
	check((readq(base + GITS_CREADR) & GITS_OFFSET_MASK) == its.cwriter,
	      "queue not drained after the bad commands");
	test_info("command errors: %s", stalls ? "the ITS stalled (recovered with SYNC + Retry)"
					       : "the ITS ignored the commands and went on");

	msi_cpu(E_AFTER);
	check(WAIT_UNTIL(cnt(0, after) == 1),
	      "the valid MAPTI after the bad ones did not take effect");
	msi_cpu(E_BAD);
	sentinel_all();
	check(total(LPI_CPU(E_BAD)) == 0, "MSI of a failed MAPTI was delivered as LPI %u",
	      LPI_CPU(E_BAD));
}

static void test_unbind(void)
{
	u32 lpi = LPI_CPU(E_UNBIND);

	test_section("MAPD V=0 unbinds a device");
	itt_unbind = its_alloc_itt(1);
	its_mapd(DEV_UNBIND, itt_unbind, 1, true);
	lpi_set_config(lpi, LPI_PRIO, true);
	its_mapti(DEV_UNBIND, 1, lpi, 0);
	its_sync(0);
	check(its_flush(), "MAPD + MAPTI batch");
	if (!testdev_present()) {
		/* Only the test device can send as another DeviceID: use INT instead. */
		its_int(DEV_UNBIND, 1);
		check(its_flush(), "INT batch");
		check(WAIT_UNTIL(cnt(0, lpi) == 1), "LPI %u of the bound device not taken", lpi);
		its_mapd(DEV_UNBIND, itt_unbind, 1, false);
		its_sync(0);
		check(its_flush(), "MAPD V=0 + SYNC batch");
		test_info(
			"MSI after unbind needs the test device; checked the unbind command only");
		return;
	}
	testdev_write(TESTDEV_MSI_DEVICE, DEV_UNBIND);
	msi_td(1);
	check(WAIT_UNTIL(cnt(0, lpi) == 1), "LPI %u of the bound device not taken", lpi);
	its_mapd(DEV_UNBIND, itt_unbind, 1, false);
	its_sync(0);
	check(its_flush(), "MAPD V=0 + SYNC batch");
	msi_td(1);
	sentinel_all();
	check(total(lpi) == 1, "LPI %u taken after its device was unbound", lpi);
	testdev_write(TESTDEV_MSI_DEVICE, DEV_TD);
}

void test_main(void)
{
	ncpu = nr_cpus();
	irq_set_handler(on_irq);
	smp_boot_secondaries();
	/* docs/splitgic-vm.md puts an ITS in every machine: its absence is a failure. */
	if (!check(machine.has_its, "no ITS in the device tree") ||
	    !check(gic.lpis, "GICD_TYPER.LPIS = 0: no LPIs"))
		return;
	setup();
	test_translater();
	test_device();
	test_movi();
	test_disable();
	test_discard();
	test_unmapped_collection();
	test_command_errors();
	test_unbind();
	check(!its.stalled_seen, "the ITS stalled on a valid command batch");
	test_section("LPIs taken per CPU");
	for (u32 c = 0; c < ncpu; c++) {
		u32 n = 0;
		for (u32 i = 0; i < LPI_SLOTS; i++)
			n += atomic_load(&lpi_count[c][i]);
		test_info("cpu%u: %u LPIs", c, n);
	}
}
