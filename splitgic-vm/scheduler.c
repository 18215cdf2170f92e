// SPDX-License-Identifier: MIT
#include "scheduler.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cpu.h"
#include "log.h"
#include "splitgic/agent.h"

void sched_wake(struct vmm *m)
{
	uint64_t one = 1;

	/* Paired with the store in idle(): either the scheduler sees the
	 * attention bit, or we see it sleeping (both sequentially consistent). */
	if (atomic_load(&m->sleeping) && write(m->wake_fd, &one, sizeof(one)) < 0)
		sg_warn("waking the scheduler: %s", strerror(errno));
}

/* The agent's kick: the vCPU must sync/flush soon.  Called from any thread
 * with no agent lock held; never touches the engine (pitfall 4: only the
 * block hook may stop it). */
static void kick_fn(struct sg_vcpu *gv, void *arg)
{
	struct vcpu *v = arg;

	(void)gv;
	atomic_fetch_or(&v->attention, ATT_KICK);
	sched_wake(v->vmm);
}

int sched_init(struct vmm *m)
{
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0)
		return -errno;
	atomic_init(&m->sleeping, false);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		sg_vcpu_set_kick_fn(m->vcpu[i].gic, kick_fn, &m->vcpu[i]);
	return 0;
}

void sched_fini(struct vmm *m)
{
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		if (m->vcpu[i].gic)
			sg_vcpu_set_kick_fn(m->vcpu[i].gic, NULL, NULL);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	m->wake_fd = -1;
}

static void flush(struct vcpu *v)
{
	/* Clear first: a kick after this point is either in the flush or
	 * sets the bit again. */
	atomic_fetch_and(&v->attention, ~ATT_KICK);
	sg_vcpu_flush(v->gic);
	v->flushed = true;
	v->irq_signal = sg_cpuif_virq(v->cpuif);
}

void vcpu_exit_guest(struct vcpu *v)
{
	if (v->flushed) {
		sg_vcpu_sync(v->gic);
		v->flushed = false;
	}
}

void vcpu_resume(struct vcpu *v)
{
	flush(v);
}

void vcpu_resync(struct vcpu *v)
{
	v->st.resyncs++;
	vcpu_exit_guest(v);
	flush(v);
}

bool vcpu_timer_update(struct vcpu *v)
{
	bool line = vtimer_line(&v->timer, vmm_ticks(v->vmm));

	if (line == v->timer_line)
		return false;
	v->timer_line = line;
	sg_vcpu_set_ppi_level(v->gic, VM_VTIMER_INTID, line);
	return true;
}

void sched_block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct vcpu *v = ud;
	unsigned att = atomic_load_explicit(&v->attention, memory_order_relaxed);

	if (att) {
		if (att & ATT_STOP) {
			v->exit = EXIT_STOP;
			uc_emu_stop(uc);
			return;
		}
		if (att & ATT_KICK)
			vcpu_resync(v);
	}
	if (v->yield_next || v->budget <= 0) {
		v->exit = v->yield_next ? EXIT_YIELD : EXIT_BUDGET;
		v->yield_next = false;
		uc_emu_stop(uc);
		return;
	}
	/* IRQ entry at a block boundary (pitfall 2); the block is not run. */
	if (v->irq_signal && cpu_irqs_unmasked(v)) {
		if (cpu_take_exception(v, EXC_IRQ, addr, 0)) {
			v->st.irq_entries++;
			return;
		}
		vmm_stop(v->vmm, VM_EXIT_VMM_ERROR,
			 "vCPU %u: cannot deliver an IRQ at 0x%llx (PSTATE 0x%llx: not EL1)",
			 v->idx, (unsigned long long)addr, (unsigned long long)cpu_pstate(v));
		v->exit = EXIT_STOP;
		uc_emu_stop(uc);
		return;
	}
	v->budget -= size / 4;
	/* WFE ends its block and Unicorn treats it as a no-op: yield after it. */
	if (size >= 4 && cpu_insn_at(v, addr + size - 4) == INSN_WFE)
		v->yield_next = true;
}

/* One time slice of v. */
static void run_slice(struct vmm *m, struct vcpu *v)
{
	uint64_t pc;
	uc_err e;

	if (v->start_pending)
		cpu_apply_start(v);
	v->budget = m->opt.slice_insns;
	v->exit = EXIT_NONE;
	v->yield_next = false;
	v->st.slices++;
	flush(v);
	if (sg_cpuif_maintenance(v->cpuif))
		vcpu_resync(v);
	pc = cpu_pc(v);
	e = uc_emu_start(v->uc, pc, 0, 0, 0);
	vcpu_exit_guest(v);
	if (e != UC_ERR_OK) {
		vmm_stop(m, VM_EXIT_VMM_ERROR, "vCPU %u: %s (pc 0x%llx)", v->idx, uc_strerror(e),
			 (unsigned long long)cpu_pc(v));
		return;
	}
	switch (v->exit) {
	case EXIT_NONE:
		pc = cpu_pc(v);
		if (cpu_insn_at(v, pc - 4) == INSN_WFI) {
			v->in_wfi = true;
			v->st.wfi++;
		}
		break;
	case EXIT_YIELD: v->st.yields++; break;
	default: break;
	}
}

/* Whether a vCPU waiting in WFI must run: a kick, or a deliverable interrupt. */
static bool wfi_wakes(struct vcpu *v)
{
	if (atomic_load(&v->attention) & ATT_KICK)
		return true;
	return sg_vcpu_pending_irq(v->gic);
}

/* Every running vCPU waits in WFI: jump to the next deadline or sleep. */
static void idle(struct vmm *m)
{
	uint64_t earliest = UINT64_MAX, t, now = vmm_ticks(m);
	bool any_on = false;
	struct pollfd p = { .fd = m->wake_fd, .events = POLLIN };
	int timeout_ms = -1;
	uint64_t drain;

	atomic_store(&m->sleeping, true);
	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpu[i];

		if (v->power != VCPU_ON)
			continue;
		any_on = true;
		if (wfi_wakes(v))
			goto out;
		/* A deadline already passed whose interrupt is not deliverable
		 * (masked, disabled) wakes no one: only future ones count. */
		if (vtimer_deadline(&v->timer, &t) && t > now && t < earliest)
			earliest = t;
	}
	if (!any_on) {
		vmm_stop(m, VM_EXIT_VMM_ERROR,
			 "every vCPU is off (PSCI CPU_OFF) and nothing can "
			 "start one again");
		goto out;
	}
	if (earliest != UINT64_MAX) {
		/* Virtual time may run faster than wall time while all wait. */
		vclock_advance_to_ticks(&m->clock, host_now_ns(), earliest);
		m->clock_jumps++;
		goto out;
	}
	if (m->deadline_ns) {
		int64_t left = m->deadline_ns - host_now_ns();

		timeout_ms = left <= 0 ? 0 : (int)(left / 1000000 + 1);
	}
	m->idle_sleeps++;
	if (poll(&p, 1, timeout_ms) > 0 && read(m->wake_fd, &drain, sizeof(drain)) < 0 &&
	    errno != EAGAIN)
		sg_warn("scheduler eventfd: %s", strerror(errno));
out:
	atomic_store(&m->sleeping, false);
}

void sched_run(struct vmm *m)
{
	while (!atomic_load(&m->stopping)) {
		bool ran = false;
		int sig = atomic_load(&m->signal);

		if (sig) {
			vmm_stop(m, 128 + sig, "signal %d", sig);
			break;
		}
		if (m->deadline_ns && host_now_ns() >= m->deadline_ns) {
			vmm_stop(m, VM_EXIT_TIMEOUT, "timeout after %g s", m->opt.timeout_s);
			break;
		}
		for (unsigned i = 0; i < m->nr_vcpus && !atomic_load(&m->stopping); i++) {
			struct vcpu *v = &m->vcpu[i];

			if (v->power != VCPU_ON)
				continue;
			vcpu_timer_update(v);
			if (v->in_wfi) {
				if (!wfi_wakes(v))
					continue;
				v->in_wfi = false;
			}
			run_slice(m, v);
			ran = true;
		}
		if (!ran && !atomic_load(&m->stopping))
			idle(m);
	}
}
