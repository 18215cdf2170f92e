// SPDX-License-Identifier: MIT
#include "mmio.h"

#include "cpu.h"
#include "gic_regs.h"
#include "log.h"
#include "scheduler.h"
#include "splitgic/agent.h"

#define PAGE 0x1000ull

/* ------------------------------------------------------------ GIC frames */

static uint64_t gic_access(struct vcpu *v, uint64_t addr, unsigned size, bool write, uint64_t val)
{
	const struct sg_vm_shape *s = sg_vm_shape(v->vmm->gic.vm);
	enum sg_mmio_result r;

	if (write && s->map.nr_its && addr == s->map.its_base[0] + GITS_TRANSLATER)
		latency_raise_msi(&v->vmm->lat, host_now_ns());
	/* A trap: leave the guest (sync) so the agent sees what the guest did
	 * with its LRs, handle it, enter again (flush). */
	vcpu_timer_update(v);
	vcpu_exit_guest(v);
	r = sg_vcpu_mmio(v->gic, addr, size, write, &val);
	vcpu_resume(v);
	if (r == SG_MMIO_ERROR) {
		/* The agent logged why; the daemon is gone or stuck. */
		vmm_stop(v->vmm, VM_EXIT_VMM_ERROR,
			 "vCPU %u: GIC %s of 0x%llx failed: gicd-server unreachable", v->idx,
			 write ? "write" : "read", (unsigned long long)addr);
		return 0;
	}
	if (r == SG_MMIO_NOT_GIC)
		sg_reject_log("vCPU %u: 0x%llx is in no GIC frame", v->idx,
			      (unsigned long long)addr);
	return write ? 0 : val;
}

#define GIC_FRAME(name, field)                                                                     \
	static uint64_t name##_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)          \
	{                                                                                          \
		struct vcpu *v = ud;                                                               \
		(void)uc;                                                                          \
		return gic_access(v, sg_vm_shape(v->vmm->gic.vm)->map.field + off, size, false,    \
				  0);                                                              \
	}                                                                                          \
	static void name##_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val,         \
				 void *ud)                                                         \
	{                                                                                          \
		struct vcpu *v = ud;                                                               \
		(void)uc;                                                                          \
		gic_access(v, sg_vm_shape(v->vmm->gic.vm)->map.field + off, size, true, val);      \
	}

GIC_FRAME(gicd, gicd_base)
GIC_FRAME(gicr, gicr_base)
GIC_FRAME(its, its_base[0])

/* ---------------------------------------------------------------- devices */

static uint64_t uart_rd(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct vcpu *v = ud;

	(void)uc;
	return uart_read(&v->vmm->uart, off, size);
}

static void uart_wr(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud)
{
	struct vcpu *v = ud;

	(void)uc;
	uart_write(&v->vmm->uart, off, size, val);
}

static uint64_t testdev_rd(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct vcpu *v = ud;

	(void)uc;
	return testdev_read(&v->vmm->testdev, off, size, &v->now_latch);
}

static void testdev_wr(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud)
{
	struct vcpu *v = ud;

	(void)uc;
	testdev_write(&v->vmm->testdev, off, size, val);
}

int mmio_map_devices(struct vcpu *v)
{
	const struct sg_vm_shape *s = sg_vm_shape(v->vmm->gic.vm);
	uc_engine *uc = v->uc;

	if (uc_mmio_map(uc, s->map.gicd_base, GICD_FRAME_SIZE, gicd_read, v, gicd_write, v) ||
	    uc_mmio_map(uc, s->map.gicr_base, (uint64_t)GICR_FRAME_SIZE * s->nr_vcpus, gicr_read, v,
			gicr_write, v) ||
	    uc_mmio_map(uc, VM_UART_BASE, VM_UART_SIZE, uart_rd, v, uart_wr, v) ||
	    uc_mmio_map(uc, VM_TESTDEV_BASE, VM_TESTDEV_SIZE, testdev_rd, v, testdev_wr, v))
		return -1;
	if (s->map.nr_its &&
	    uc_mmio_map(uc, s->map.its_base[0], GITS_FRAME_SIZE, its_read, v, its_write, v))
		return -1;
	return 0;
}

/* ------------------------------------------------------- unbacked space */

/* Addresses already logged (open addressing; the scheduler thread only). */
#define LOGGED_SLOTS 4096u
static uint64_t logged[LOGGED_SLOTS];
static unsigned nr_logged;
static uint64_t nr_unbacked;

static void log_once(struct vcpu *v, uint64_t addr, bool write)
{
	unsigned h = (unsigned)((addr * 0x9E3779B97F4A7C15ull) >> 52) % LOGGED_SLOTS;

	nr_unbacked++;
	if (nr_logged >= LOGGED_SLOTS / 2)
		return; /* enough said */
	for (unsigned i = 0; i < LOGGED_SLOTS; i++, h = (h + 1) % LOGGED_SLOTS) {
		if (logged[h] == addr + 1)
			return;
		if (!logged[h])
			break;
	}
	logged[h] = addr + 1;
	if (++nr_logged == LOGGED_SLOTS / 2)
		sg_warn("further unbacked addresses are not logged");
	sg_warn("vCPU %u: %s of unbacked address 0x%llx (in the block at 0x%llx): %s", v->idx,
		write ? "write" : "read", (unsigned long long)addr, (unsigned long long)cpu_pc(v),
		write ? "ignored" : "reads as zero");
}

/* A RAZ/WI page mapped on demand: the callbacks get its base from here. */
struct raz_page {
	struct vcpu *v;
	uint64_t base;
};
#define MAX_RAZ_PAGES 4096u
static struct raz_page raz_pages[MAX_RAZ_PAGES];
static unsigned nr_raz_pages;

static uint64_t raz_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct raz_page *p = ud;

	(void)uc;
	(void)size;
	log_once(p->v, p->base + off, false);
	return 0;
}

static void wi_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud)
{
	struct raz_page *p = ud;

	(void)uc;
	(void)size;
	(void)val;
	log_once(p->v, p->base + off, true);
}

bool mmio_unmapped_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
			void *ud)
{
	struct vcpu *v = ud;
	struct raz_page *p;

	(void)size;
	(void)value;
	if (type == UC_MEM_FETCH_UNMAPPED) {
		/* Executing nowhere: uc_emu_start fails and the VM stops (125). */
		sg_err("vCPU %u: instruction fetch from unbacked address 0x%llx", v->idx,
		       (unsigned long long)addr);
		return false;
	}
	if (nr_raz_pages == MAX_RAZ_PAGES) {
		sg_err("vCPU %u: too many unbacked pages touched (0x%llx)", v->idx,
		       (unsigned long long)addr);
		return false;
	}
	p = &raz_pages[nr_raz_pages];
	p->v = v;
	p->base = addr & ~(PAGE - 1);
	/* Unicorn replays the access, which now lands in the callbacks. */
	if (uc_mmio_map(uc, p->base, PAGE, raz_read, p, wi_write, p) != UC_ERR_OK)
		return false;
	nr_raz_pages++;
	return true;
}

uint64_t mmio_unbacked_count(void)
{
	return nr_unbacked;
}
