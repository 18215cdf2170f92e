// SPDX-License-Identifier: MIT
/*
 * ipi: SGIs between all CPUs in every ICC_SGI1R_EL1 form.
 *
 * Each CPU in turn is the sender.  For every SGI INTID 0-15 it sends:
 * one SGI to each CPU (itself included) by target list; one to several CPUs
 * of a cluster by a multi-bit target list; one with IRM = 1 (all but self);
 * and SGIs naming affinities that no CPU has, which must reach nobody.
 * The RS field is used wherever a CPU has Aff0 >= 16.  Receivers count per
 * SGI; the sender waits until the intended receivers have counted before the
 * next SGI, so an SGI is never sent while the previous one may still be
 * pending, and the counts must equal the expectation exactly.
 */
#include "atomic.h"
#include "gic.h"
#include "irq.h"
#include "smp.h"
#include "sysreg.h"
#include "test.h"
#include "uart.h"
#include "wait.h"

static u32 received[MAX_CPUS][16];
static u32 expected[MAX_CPUS][16];
static u32 rounds[5];
static const char *const form_name[] = { "target list, one CPU", "target list, several CPUs",
					 "IRM=1 broadcast", "absent affinity", "RS != 0, absent" };

static enum irq_ret on_irq(u32 intid, u32 iar)
{
	(void)iar;
	if (intid < 16)
		atomic_add(&received[this_cpu()][intid], 1);
	else
		check(false, "unexpected interrupt %u", intid);
	return IRQ_EOI;
}

static bool reached(const bool *targets, u32 intid)
{
	for (u32 c = 0; c < nr_cpus(); c++)
		if (targets[c] && atomic_load(&received[c][intid]) < expected[c][intid])
			return false;
	return true;
}

/* Send one SGI1R value to `targets` and wait until each of them has taken it. */
static void send(int form, u64 val, const bool *targets, u32 intid)
{
	u32 n = 0;

	for (u32 c = 0; c < nr_cpus(); c++) {
		if (targets[c]) {
			expected[c][intid]++;
			n++;
		}
	}
	rounds[form]++;
	gic_sgi1r_write(val);
	if (!check(WAIT_UNTIL(reached(targets, intid)),
		   "cpu%d: %s, SGI %u, ICC_SGI1R_EL1 %lx: not received by every target", this_cpu(),
		   form_name[form], intid, val))
		for (u32 c = 0; c < nr_cpus(); c++)
			if (targets[c])
				printf("     cpu%u: received %u, expected %u\n", c,
				       atomic_load(&received[c][intid]), expected[c][intid]);
}

static bool same_cluster(u64 a, u64 b)
{
	return ((a ^ b) & MPIDR_AFF_MASK & ~0xffull) == 0 &&
	       MPIDR_AFF0(a) / 16 == MPIDR_AFF0(b) / 16;
}

static u64 cluster_bits(u64 mpidr)
{
	return ICC_SGI1R_AFF3(MPIDR_AFF3(mpidr)) | ICC_SGI1R_AFF2(MPIDR_AFF2(mpidr)) |
	       ICC_SGI1R_AFF1(MPIDR_AFF1(mpidr)) | ICC_SGI1R_RS(MPIDR_AFF0(mpidr) / 16);
}

static void sender(void *arg)
{
	int me = this_cpu();
	u32 n = nr_cpus();
	bool tgt[MAX_CPUS];
	u64 rss = read_sysreg(ICC_CTLR_EL1) & ICC_CTLR_RSS;

	(void)arg;
	for (u32 intid = 0; intid < 16; intid++) {
		/* One CPU at a time, every CPU including the sender. */
		for (u32 t = 0; t < n; t++) {
			for (u32 c = 0; c < n; c++)
				tgt[c] = c == t;
			send(0, gic_sgi1r_for(machine.mpidr[t], intid), tgt, intid);
		}

		/* Several bits: the whole cluster of the next CPU, then its even members. */
		u64 anchor = machine.mpidr[(me + 1 + intid) % n];
		for (int pass = 0; pass < 2; pass++) {
			u64 val = cluster_bits(anchor) | ICC_SGI1R_INTID(intid);
			u32 k = 0;
			for (u32 c = 0; c < n; c++) {
				tgt[c] = same_cluster(machine.mpidr[c], anchor) &&
					 (pass == 0 || MPIDR_AFF0(machine.mpidr[c]) % 2 == 0);
				if (tgt[c]) {
					val |= BIT(MPIDR_AFF0(machine.mpidr[c]) % 16);
					k++;
				}
			}
			if (k)
				send(1, val, tgt, intid);
		}

		for (u32 c = 0; c < n; c++)
			tgt[c] = (int)c != me;
		send(2, ICC_SGI1R_IRM | ICC_SGI1R_INTID(intid), tgt, intid);

		/* Target-list bits of the sender's cluster that no CPU answers to. */
		u64 mine = machine.mpidr[me];
		u64 absent = 0;
		for (u32 bit = 0; bit < 16; bit++) {
			bool used = false;
			for (u32 c = 0; c < n; c++)
				used |= same_cluster(machine.mpidr[c], mine) &&
					MPIDR_AFF0(machine.mpidr[c]) % 16 == bit;
			if (!used)
				absent |= BIT(bit);
		}
		for (u32 c = 0; c < n; c++)
			tgt[c] = false;
		if (absent)
			send(3, cluster_bits(mine) | ICC_SGI1R_INTID(intid) | absent, tgt, intid);
		/* An Aff1 value beyond every CPU's. */
		u32 max_aff1 = 0;
		for (u32 c = 0; c < n; c++)
			max_aff1 = MAX(max_aff1, MPIDR_AFF1(machine.mpidr[c]));
		if (max_aff1 < 255)
			send(3, ICC_SGI1R_AFF1(max_aff1 + 1) | ICC_SGI1R_INTID(intid) | 0xffff, tgt,
			     intid);
		/* RS = 15 names Aff0 240-255: nobody here, if the CPU interface supports RS. */
		if (rss)
			send(4, ICC_SGI1R_RS(15) | ICC_SGI1R_INTID(intid) | 0xffff, tgt, intid);
	}
}

static void enable_sgis(void *arg)
{
	(void)arg;
	for (u32 i = 0; i < 16; i++)
		gic_irq_enable(i);
}

void test_main(void)
{
	irq_set_handler(on_irq);
	smp_boot_secondaries();
	check(smp_online_count() == nr_cpus(), "only %u of %u CPUs online", smp_online_count(),
	      nr_cpus());
	smp_call_all(enable_sgis, NULL);

	u64 rss = read_sysreg(ICC_CTLR_EL1) & ICC_CTLR_RSS;
	bool high_aff0 = false;
	for (u32 c = 0; c < nr_cpus(); c++)
		high_aff0 |= MPIDR_AFF0(machine.mpidr[c]) >= 16;
	test_section("SGIs 0-15 from each of %u CPUs: target lists, IRM=1, absent targets",
		     nr_cpus());
	if (high_aff0)
		test_info("some CPUs have Aff0 >= 16: their SGIs use RS = Aff0 / 16");
	else
		test_info("every Aff0 < 16: RS = 0 for all targeted SGIs");
	if (!rss)
		test_skip("ICC_CTLR_EL1.RSS = 0: RS != 0 is not used (its value is RES0 then)");

	for (u32 s = 0; s < nr_cpus(); s++) {
		test_info("sender cpu%u", s);
		smp_call(s, sender, NULL);
		smp_wait(s);
	}

	/* Late or duplicate deliveries would land by now; then compare exactly. */
	settle();
	test_section("exactly-once check of every (receiver, SGI) count");
	for (u32 c = 0; c < nr_cpus(); c++) {
		u32 got = 0, want = 0;
		for (u32 i = 0; i < 16; i++) {
			u32 r = atomic_load(&received[c][i]);
			check(r == expected[c][i], "cpu%u SGI %u: received %u times, expected %u",
			      c, i, r, expected[c][i]);
			got += r;
			want += expected[c][i];
		}
		test_info("cpu%u: %u SGIs received, %u expected", c, got, want);
	}
	for (u32 f = 0; f < ARRAY_SIZE(rounds); f++)
		test_info("%-26s %u SGI1R writes", form_name[f], rounds[f]);
}
