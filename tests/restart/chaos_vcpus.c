// SPDX-License-Identifier: MIT
/*
 * The chaos workload's guest side: vCPU v's trapped MMIO accesses to the
 * GICD, ITS and redistributor frames, what its guest driver does between
 * entries, and the vCPU threads taking interrupts (IAR, the handler
 * checking each SPI's and MSI's state, EOIR).
 */
#include "chaos_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* ------------------------------------------------------------ helpers */

static void progress(struct chaos *c, unsigned n)
{
	atomic_fetch_add(&c->progress, n);
}

/* -------------------------------------------------------------- MMIO */

static int mmio(struct chaos *c, unsigned v, uint64_t addr, unsigned size, bool write,
		uint64_t *val)
{
	if (sg_vcpu_mmio(c->vc[v].v, addr, size, write, val) != SG_MMIO_DONE) {
		chaos_fail(c, "vCPU %u: %s of %u bytes at 0x%llx failed", v,
			   write ? "write" : "read", size, (unsigned long long)addr);
		return -1;
	}
	progress(c, 1);
	return 0;
}

int chaos_gicd_w(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t val)
{
	if (mmio(c, v, SG_DEFAULT_GICD_BASE + off, size, true, &val) < 0)
		return -1;
	atomic_fetch_add(&c->config_writes, 1);
	return 0;
}

int chaos_gicd_r(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t *val)
{
	*val = 0;
	if (mmio(c, v, SG_DEFAULT_GICD_BASE + off, size, false, val) < 0)
		return -1;
	atomic_fetch_add(&c->reads_done, 1);
	chaos_notify(c);
	return 0;
}

int chaos_gits_w(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t val)
{
	return mmio(c, v, SG_DEFAULT_ITS_BASE + off, size, true, &val);
}

int chaos_gits_r(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t *val)
{
	*val = 0;
	if (mmio(c, v, SG_DEFAULT_ITS_BASE + off, size, false, val) < 0)
		return -1;
	atomic_fetch_add(&c->reads_done, 1);
	chaos_notify(c);
	return 0;
}

int chaos_gicr_w(struct chaos *c, unsigned v, unsigned rd, uint32_t off, unsigned size,
		 uint64_t val)
{
	return mmio(c, v, SG_DEFAULT_GICR_BASE + (uint64_t)rd * GICR_FRAME_SIZE + off, size, true,
		    &val);
}

/* ------------------------------------------------------ guest driver */

/* Between two guest entries, what vCPU v's guest driver does. */
static void guest_traps(struct chaos *c, struct chaos_vcpu *vc)
{
	unsigned r = rnd(&vc->rs) % 16;
	uint64_t val;

	if (r < 4) {
		chaos_config_write(c, vc->idx, &vc->rs);
	} else if (r < 6) {
		chaos_readback(c, vc->idx, &vc->rs);
	} else if (r == 6) {
		/* Pending/active of the traffic SPIs: Query round trips to
		 * their owners; the values race with delivery by design. */
		if (chaos_gicd_r(c, vc->idx, (rnd(&vc->rs) % 2 ? GICD_ISPENDR : GICD_ISACTIVER) + 4,
				 4, &val) == 0)
			atomic_fetch_add(&c->state_reads, 1);
	} else if (r == 7 && vc->idx == 0 && rnd(&vc->rs) % 4 == 0) {
		chaos_its_move(c, &vc->rs);
	}
}

/* ------------------------------------------------------------ guests */

static struct spi_state *spi_of(struct chaos *c, uint32_t id)
{
	return is_traffic(id) ? &c->spis[id - T_FIRST] : NULL;
}

/* In the guest, between IAR and EOIR.  Returns a level SPI to complete
 * after the sync, else 0. */
static uint32_t handle(struct chaos *c, unsigned v, uint32_t id)
{
	struct spi_state *s = spi_of(c, id);
	int st = ST_RAISED;

	if (id >= EV_LPI(0) && id < EV_LPI(NE)) {
		struct ev_state *e = &c->evs[id - EV_LPI(0)];

		if (!atomic_exchange(&e->out, false))
			chaos_fail(c,
				   "vCPU %u: LPI %u (device %u event %u) handled with no MSI "
				   "outstanding (sent %u, handled %u): delivered twice",
				   v, id, EV_DEV(id - EV_LPI(0)), EV_EVENT(id - EV_LPI(0)),
				   atomic_load(&e->sent), atomic_load(&e->handled));
		atomic_fetch_add(&e->handled, 1);
		return 0;
	}
	if (!s) {
		chaos_fail(c, "vCPU %u: unexpected INTID %u", v, id);
		return 0;
	}
	atomic_fetch_add(&s->handled, 1);
	if (!atomic_compare_exchange_strong(&s->st, &st, s->edge ? ST_IDLE : ST_DROPPED)) {
		chaos_fail(c, "vCPU %u: %s SPI %u handled while %s (raised %u, handled %u)%s", v,
			   s->edge ? "edge" : "level", id, st == ST_IDLE ? "idle" : "dropped",
			   atomic_load(&s->raised), atomic_load(&s->handled),
			   s->edge ? ": delivered twice" : ": handled after its line dropped");
		return 0;
	}
	if (s->edge)
		return 0;
	/* The handler's write to the device's status register: the device
	 * lowers its line before the EOI. */
	if (sg_vm_set_spi_level(c->vm, id, false) != 0)
		chaos_fail(c, "vCPU %u: lowering SPI %u failed", v, id);
	return id;
}

void *chaos_vcpu_thread(void *arg)
{
	struct chaos_vcpu *vc = arg;
	struct chaos *c = vc->c;
	struct sg_cpuif *cif = sg_vcpu_cpuif(vc->v);

	while (!atomic_load(&c->stop)) {
		uint32_t levels[SG_CPUIF_MAX_LRS * 4];
		unsigned n = 0, nl = 0;

		if (!atomic_load(&c->stop_gen))
			guest_traps(c, vc);
		sg_vcpu_wait(vc->v, WAIT_SLICE_NS);
		if (atomic_load(&c->stop))
			break;
		sg_vcpu_flush(vc->v);
		while (sg_cpuif_virq(cif)) {
			uint32_t id = sg_cpuif_iar(cif, 1), lvl;

			if (id >= GIC_INTID_SPURIOUS - 3 && id <= GIC_INTID_SPURIOUS)
				break; /* special INTIDs (LPIs are above them) */
			lvl = handle(c, vc->idx, id);
			if (lvl && nl < sizeof(levels) / sizeof(levels[0]))
				levels[nl++] = lvl;
			sg_cpuif_eoir(cif, 1, id);
			n++;
		}
		sg_vcpu_sync(vc->v);
		/* EOI done and the guest left: that assertion is over. */
		for (unsigned i = 0; i < nl; i++)
			atomic_store(&spi_of(c, levels[i])->st, ST_IDLE);
		if (n) {
			progress(c, n);
			chaos_notify(c);
		}
	}
	return NULL;
}
