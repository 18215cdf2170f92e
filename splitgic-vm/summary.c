// SPDX-License-Identifier: MIT
#include "summary.h"

#include "mmio.h"
#include "splitgic/agent.h"

static const char *const kind_name[IRQK_NR] = { "SGI", "PPI", "SPI", "LPI", "1023" };

static void lat_line(FILE *f, const char *what, struct lat_samples *s)
{
	if (!s->n) {
		fprintf(f, "  %s: no samples\n", what);
		return;
	}
	fprintf(f, "  %s: %zu samples, p50 %.1f us, p99 %.1f us, max %.1f us\n", what, s->n,
		lat_percentile(s, 50) / 1000.0, lat_percentile(s, 99) / 1000.0,
		lat_percentile(s, 100) / 1000.0);
}

void summary_print(FILE *f, struct vmm *m, int64_t wall_ns)
{
	uint64_t total[IRQK_NR] = { 0 };
	int64_t virt_ns = vclock_ns(&m->clock, host_now_ns());

	fprintf(f, "== splitgic-vm summary\n");
	fprintf(f, "exit status %d: %s\n", m->exit_status, m->stop_reason);
	fprintf(f, "time: wall %.3f s, virtual %.3f s (%llu clock jumps, %llu idle sleeps)\n",
		wall_ns / 1e9, virt_ns / 1e9, (unsigned long long)m->clock_jumps,
		(unsigned long long)m->idle_sleeps);
	fprintf(f, "vcpu %8s %8s %8s %8s %8s | %8s %8s %8s %8s %8s %9s | %9s %9s %9s %9s\n", "SGI",
		"PPI", "SPI", "LPI", "1023", "entries", "slices", "yields", "wfi", "resyncs", "icc",
		"mmio_local", "posted", "waited", "msi");
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpu[i];

		fprintf(f, "%4u", i);
		for (unsigned k = 0; k < IRQK_NR; k++) {
			fprintf(f, " %8llu", (unsigned long long)v->st.irqs[k]);
			total[k] += v->st.irqs[k];
		}
		fprintf(f, " | %8llu %8llu %8llu %8llu %8llu %9llu | %9llu %9llu %9llu %9llu\n",
			(unsigned long long)v->st.irq_entries, (unsigned long long)v->st.slices,
			(unsigned long long)v->st.yields, (unsigned long long)v->st.wfi,
			(unsigned long long)v->st.resyncs, (unsigned long long)v->st.icc_accesses,
			(unsigned long long)sg_vcpu_stat(v->gic, SG_STAT_MMIO_LOCAL),
			(unsigned long long)sg_vcpu_stat(v->gic, SG_STAT_MMIO_POSTED),
			(unsigned long long)sg_vcpu_stat(v->gic, SG_STAT_MMIO_WAITED),
			(unsigned long long)sg_vcpu_stat(v->gic, SG_STAT_MMIO_MSI));
	}
	fprintf(f, "interrupts taken (ICC_IAR1_EL1):");
	for (unsigned k = 0; k < IRQK_NR; k++)
		fprintf(f, " %s %llu", kind_name[k], (unsigned long long)total[k]);
	{
		uint64_t maint = 0, unknown = 0;

		for (unsigned i = 0; i < m->nr_vcpus; i++) {
			maint += m->vcpu[i].st.maintenance_exits;
			unknown += m->vcpu[i].st.sysreg_unknown;
		}
		fprintf(f, "\nmaintenance exits %llu, unimplemented ICC register accesses %llu\n",
			(unsigned long long)maint, (unsigned long long)unknown);
	}
	{
		uint64_t t[4] = { 0 };
		static const enum sg_vcpu_stat which[4] = { SG_STAT_MMIO_LOCAL, SG_STAT_MMIO_POSTED,
							    SG_STAT_MMIO_WAITED, SG_STAT_MMIO_MSI };

		for (unsigned i = 0; i < m->nr_vcpus; i++)
			for (unsigned k = 0; k < 4; k++)
				t[k] += sg_vcpu_stat(m->vcpu[i].gic, which[k]);
		fprintf(f,
			"GIC MMIO transactions: %llu redistributor accesses served by the agent, "
			"%llu posted to gicd-server (not waited for), %llu waited for, %llu MSIs\n",
			(unsigned long long)t[0], (unsigned long long)t[1],
			(unsigned long long)t[2], (unsigned long long)t[3]);
	}
	fprintf(f, "delivery latency, device raise -> ICC_IAR1_EL1 (host time):\n");
	lat_line(f, "SPI", &m->lat.spi);
	lat_line(f, "LPI (MSIs matched oldest first)", &m->lat.lpi);
	fprintf(f,
		"interrupt bus: rx %llu, tx %llu, rejected %llu; SPIs delivered %llu, retracted "
		"%llu, deactivated %llu; device lines %llu, device MSIs %llu\n",
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_BUS_RX),
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_BUS_TX),
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_BUS_REJECTED),
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_SPI_DELIVERED),
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_SPI_RETRACTED),
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_SPI_DEACTIVATED),
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_DEVICE_LINES),
		(unsigned long long)sg_vm_stat(m->gic.vm, SG_VM_DEVICE_MSIS));
	fprintf(f,
		"unbacked accesses: %llu; UART: %llu bytes out, %llu in; test device: %llu "
		"stream interrupts, %llu rejected accesses\n",
		(unsigned long long)mmio_unbacked_count(), (unsigned long long)m->uart.tx_bytes,
		(unsigned long long)m->uart.rx_bytes, (unsigned long long)m->testdev.ack_count,
		(unsigned long long)m->testdev.rejected);
}

/* Blackout percentiles in ms: p50 and max of kill -> READY and kill -> re-attach. */
static void blackouts(struct restart_stats *st, double out[4])
{
	out[0] = restart_percentile(st->to_ready_ns, st->n, 50) / 1e6;
	out[1] = restart_percentile(st->to_ready_ns, st->n, 100) / 1e6;
	out[2] = restart_percentile(st->to_attach_ns, st->n, 50) / 1e6;
	out[3] = restart_percentile(st->to_attach_ns, st->n, 100) / 1e6;
}

void summary_daemon(FILE *f, struct vmm *m)
{
	struct restart_stats *st = &m->gic.restarter.st;
	struct gic_agent_restarts *a = &m->gic.agent;

	if (m->opt.connect)
		fprintf(f, "gicd-server: %s (not ours); restarts %u\n", m->opt.connect,
			m->gic.restarts);
	else if (m->gic.daemon.exited || st->failures)
		fprintf(f,
			"gicd-server: spawned, exit code %d; restarts %u (%u SIGTERM, %u SIGKILL), "
			"%u failed\n",
			m->gic.daemon_exit, m->gic.restarts, st->sigterm, st->sigkill,
			st->failures);
	else
		fprintf(f, "gicd-server: none\n");
	if (st->n) {
		double b[4];

		blackouts(st, b);
		fprintf(f,
			"  blackout: kill -> new daemon READY p50 %.1f ms, max %.1f ms; kill -> "
			"agent re-attached p50 %.1f ms, max %.1f ms\n",
			b[0], b[1], b[2], b[3]);
	}
	if (st->failures)
		fprintf(f, "  first restart failure: %s\n", st->failure);
	fprintf(f,
		"  agent: reconnects %llu, resumes %llu, messages replayed %llu, duplicates "
		"dropped %llu, waits for replay-log room %llu\n",
		(unsigned long long)a->reconnects, (unsigned long long)a->resumes,
		(unsigned long long)a->replayed, (unsigned long long)a->duplicates,
		(unsigned long long)a->log_full);
}

void summary_result(FILE *f, struct vmm *m, int status)
{
	struct restart_stats *st = &m->gic.restarter.st;
	struct gic_agent_restarts *a = &m->gic.agent;
	double b[4] = { 0 };

	if (status == 0 && m->gic.restarts)
		fprintf(f,
			"verdict: PASS: every check of the guest passed across %u gicd-server "
			"restarts (%u SIGTERM, %u SIGKILL)\n",
			m->gic.restarts, st->sigterm, st->sigkill);
	else if (status == 0)
		fprintf(f, "verdict: PASS: every check of the guest passed\n");
	else if (status == m->exit_status)
		fprintf(f, "verdict: FAIL: exit status %d (%s)\n", status, m->stop_reason);
	else if (st->failures)
		fprintf(f,
			"verdict: FAIL: exit status %d: the run ended with %d (%s), but a "
			"gicd-server restart failed: %s\n",
			status, m->exit_status, m->stop_reason, st->failure);
	else
		fprintf(f,
			"verdict: FAIL: exit status %d: the run ended with %d (%s), but "
			"gicd-server exited with code %d\n",
			status, m->exit_status, m->stop_reason, m->gic.daemon_exit);
	blackouts(st, b);
	/* One line for scripts and tests: key=value, always the same keys. */
	fprintf(f,
		"result: status=%d restarts=%u sigterm=%u sigkill=%u restart_failures=%u "
		"reconnects=%llu resumes=%llu replayed=%llu duplicates=%llu log_full=%llu "
		"blackout_ready_p50_ms=%.1f blackout_ready_max_ms=%.1f blackout_attach_p50_ms=%.1f "
		"blackout_attach_max_ms=%.1f\n",
		status, m->gic.restarts, st->sigterm, st->sigkill, st->failures,
		(unsigned long long)a->reconnects, (unsigned long long)a->resumes,
		(unsigned long long)a->replayed, (unsigned long long)a->duplicates,
		(unsigned long long)a->log_full, b[0], b[1], b[2], b[3]);
}
