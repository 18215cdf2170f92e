// SPDX-License-Identifier: MIT
/* The LPI test fixture (lpi_fixture.h). */
#include "lpi_fixture.h"

#include "embedded.h"
#include "splitgic/embedded.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct lpi_fx fx;

void fx_setup(unsigned nr_vcpus, unsigned lpi_pool, bool with_daemon)
{
	struct sg_vm_shape s;
	struct sg_vm_config cfg;
	const char *emb = getenv("FX_EMBEDDED");
	char err[256] = "";
	void *p;

	memset(&fx, 0, sizeof(fx));
	fx.nr_vcpus = nr_vcpus;
	fx.daemon = with_daemon;
	fx.memfd = harness_memfd(RAM_SIZE);
	p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fx.memfd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	fx.ram = p;
	harness_shape(&s, nr_vcpus, 64, 1);
	harness_vm_config(&cfg, &s);
	cfg.nr_ram = 1;
	cfg.ram[0] = (struct sg_vm_ram){
		.gpa = RAM_GPA, .size = RAM_SIZE, .host = p, .fd = fx.memfd, .fd_offset = 0
	};
	cfg.lpi_pool = lpi_pool;
	ck_assert_int_eq(sg_vm_create(&cfg, &fx.vm), 0);
	if (with_daemon && emb && emb[0] && strcmp(emb, "0") != 0) {
		struct gicd_embedded_ram r = { .gpa = RAM_GPA, .size = RAM_SIZE, .fd = fx.memfd };

		fx.daemon = false;
		ck_assert_msg(gicd_embedded_create(&s, &r, 1, &fx.emb, err, sizeof(err)) == 0, "%s",
			      err);
		ck_assert_int_eq(sg_vm_attach_embedded(fx.vm, gicd_embedded_ops(), fx.emb), 0);
	} else if (with_daemon) {
		harness_daemon_start(&fx.d, NULL);
		harness_vm_connect(fx.vm, &fx.d, "test");
	}
	harness_vm_enable_grp1(fx.vm);
}

void fx_teardown(void)
{
	sg_vm_destroy(fx.vm);
	gicd_embedded_destroy(fx.emb);
	if (fx.daemon)
		ck_assert_int_eq(harness_daemon_stop(&fx.d), 0);
	munmap(fx.ram, RAM_SIZE);
	close(fx.memfd);
}

/* ----------------------------------------------------------- guest RAM */

uint8_t *gpa_ptr(uint64_t gpa)
{
	ck_assert_uint_ge(gpa, RAM_GPA);
	ck_assert_uint_lt(gpa, RAM_GPA + RAM_SIZE);
	return fx.ram + (gpa - RAM_GPA);
}

void prop_set(uint32_t intid, uint8_t prio, bool enable)
{
	/* Bit 1 is RES0; priority in [7:2], enable in [0]. */
	uint8_t v = (uint8_t)((prio & LPI_PROP_PRIORITY_MASK) | (enable ? LPI_PROP_ENABLE : 0));

	__atomic_store_n(gpa_ptr(PROP_GPA + intid - GIC_LPI_BASE), v, __ATOMIC_RELAXED);
}

void pend_set(unsigned vcpu, uint32_t intid, bool pending)
{
	uint8_t *b = gpa_ptr(PEND_GPA(vcpu) + intid / 8);
	uint8_t m = (uint8_t)(1u << (intid % 8));
	uint8_t v = __atomic_load_n(b, __ATOMIC_RELAXED);

	__atomic_store_n(b, pending ? (uint8_t)(v | m) : (uint8_t)(v & ~m), __ATOMIC_RELAXED);
}

bool pend_get(unsigned vcpu, uint32_t intid)
{
	return (__atomic_load_n(gpa_ptr(PEND_GPA(vcpu) + intid / 8), __ATOMIC_RELAXED) >>
		(intid % 8)) &
	       1;
}

/* ----------------------------------------------------------- registers */

static uint64_t mmio(unsigned by, uint64_t addr, unsigned size, bool write, uint64_t val)
{
	ck_assert_int_eq(sg_vcpu_mmio(vc(by), addr, size, write, &val), SG_MMIO_DONE);
	return val;
}

void gits_write(unsigned by, uint32_t off, unsigned size, uint64_t val)
{
	mmio(by, SG_DEFAULT_ITS_BASE + off, size, true, val);
}

uint64_t gits_read(unsigned by, uint32_t off, unsigned size)
{
	return mmio(by, SG_DEFAULT_ITS_BASE + off, size, false, 0);
}

void gicr_write(unsigned by, unsigned rd, uint32_t off, unsigned size, uint64_t val)
{
	mmio(by, SG_DEFAULT_GICR_BASE + (uint64_t)rd * GICR_FRAME_SIZE + off, size, true, val);
}

uint64_t gicr_read(unsigned by, unsigned rd, uint32_t off, unsigned size)
{
	return mmio(by, SG_DEFAULT_GICR_BASE + (uint64_t)rd * GICR_FRAME_SIZE + off, size, false,
		    0);
}

/* GITS_BASER<n> as Linux writes it: keep Type and Entry_Size as read. */
static uint64_t baser(unsigned by, unsigned n, uint64_t pa)
{
	uint64_t ro = gits_read(by, GITS_BASER + 8 * n, 8) &
		      (GITS_BASER_TYPE_MASK | (0x1Full << GITS_BASER_ENTRY_SIZE_SHIFT));

	return GITS_BASER_VALID | ro |
	       (uint64_t)GITS_BASER_PAGE_SIZE_4K << GITS_BASER_PAGE_SIZE_SHIFT | pa |
	       0 /* Size: one page */;
}

void its_setup(unsigned by)
{
	gits_write(by, GITS_CTLR, 4, 0);
	gits_write(by, GITS_CBASER, 8, GITS_CBASER_VALID | CMDQ_GPA | (CMDQ_PAGES - 1));
	gits_write(by, GITS_BASER, 8, baser(by, 0, DT_GPA));
	gits_write(by, GITS_BASER + 8, 8, baser(by, 1, CT_GPA));
	gits_write(by, GITS_CWRITER, 8, 0);
	gits_write(by, GITS_CTLR, 4, GITS_CTLR_ENABLED);
	ck_assert_uint_eq(gits_read(by, GITS_CTLR, 4) & GITS_CTLR_ENABLED, GITS_CTLR_ENABLED);
	fx.q_wr = 0;
}

void rd_setup(unsigned by, unsigned rd)
{
	gicr_write(by, rd, GICR_WAKER, 4, 0);
	gicr_write(by, rd, GICR_PROPBASER, 8, PROP_GPA | 15);
	gicr_write(by, rd, GICR_PENDBASER, 8, PEND_GPA(rd) | GICR_PENDBASER_PTZ);
	gicr_write(by, rd, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
	ck_assert_uint_eq(gicr_read(by, rd, GICR_CTLR, 4) & GICR_CTLR_ENABLE_LPIS,
			  GICR_CTLR_ENABLE_LPIS);
}

/* ------------------------------------------------------------ commands */

static void cmd(uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
	uint64_t dw[4] = { dw0, dw1, dw2, dw3 };
	uint8_t *p = gpa_ptr(CMDQ_GPA + fx.q_wr);

	/* Little-endian doublewords, as the queue holds them. */
	for (unsigned i = 0; i < 32; i++)
		__atomic_store_n(p + i, (uint8_t)(dw[i / 8] >> (8 * (i % 8))), __ATOMIC_RELAXED);
	fx.q_wr = (fx.q_wr + GITS_CMD_SIZE) % (CMDQ_PAGES * 4096ull);
}

void c_mapd(uint32_t dev, unsigned size, uint64_t itt, bool valid)
{
	cmd(GITS_CMD_MAPD | (uint64_t)dev << 32, size,
	    (itt & 0x000FFFFFFFFFFF00ull) | (uint64_t)valid << 63, 0);
}

void c_mapc(uint32_t icid, unsigned rd, bool valid)
{
	cmd(GITS_CMD_MAPC, 0, icid | (uint64_t)rd << 16 | (uint64_t)valid << 63, 0);
}

void c_mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
	cmd(GITS_CMD_MAPTI | (uint64_t)dev << 32, ev | (uint64_t)intid << 32, icid, 0);
}

void c_movi(uint32_t dev, uint32_t ev, uint32_t icid)
{
	cmd(GITS_CMD_MOVI | (uint64_t)dev << 32, ev, icid, 0);
}

void c_int(uint32_t dev, uint32_t ev)
{
	cmd(GITS_CMD_INT | (uint64_t)dev << 32, ev, 0, 0);
}

void c_clear(uint32_t dev, uint32_t ev)
{
	cmd(GITS_CMD_CLEAR | (uint64_t)dev << 32, ev, 0, 0);
}

void c_inv(uint32_t dev, uint32_t ev)
{
	cmd(GITS_CMD_INV | (uint64_t)dev << 32, ev, 0, 0);
}

void c_discard(uint32_t dev, uint32_t ev)
{
	cmd(GITS_CMD_DISCARD | (uint64_t)dev << 32, ev, 0, 0);
}

void c_invall(uint32_t icid)
{
	cmd(GITS_CMD_INVALL, 0, icid, 0);
}

void c_sync(unsigned rd)
{
	cmd(GITS_CMD_SYNC, 0, (uint64_t)rd << 16, 0);
}

void c_movall(unsigned from, unsigned to)
{
	cmd(GITS_CMD_MOVALL, 0, (uint64_t)from << 16, (uint64_t)to << 16);
}

void its_run(unsigned by)
{
	uint64_t creadr = ~0ull;

	gits_write(by, GITS_CWRITER, 8, fx.q_wr);
	/* Linux polls CREADR the same way; a SYNC keeps it back until the
	 * agents answered.  The bound only catches a hang. */
	for (unsigned i = 0; i < 1000000 && creadr != fx.q_wr; i++) {
		creadr = gits_read(by, GITS_CREADR, 8);
		ck_assert_msg(!(creadr & GITS_CREADR_STALLED), "ITS stalled at 0x%llx",
			      (unsigned long long)creadr);
		if (creadr != fx.q_wr)
			usleep(20);
	}
	ck_assert_msg(creadr == fx.q_wr, "CREADR 0x%llx never reached CWRITER 0x%llx",
		      (unsigned long long)creadr, (unsigned long long)fx.q_wr);
}

/* --------------------------------------------------------------- guest */

uint32_t take_once(unsigned v, uint8_t *prio)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(vc(v));
	uint32_t id = GIC_INTID_SPURIOUS;

	sg_vcpu_flush(vc(v));
	if (sg_cpuif_virq(c)) {
		for (unsigned i = 0; i < c->nr_lrs && prio; i++) {
			uint64_t lr = sg_cpuif_read_lr(c, i);

			if ((lr & ICH_LR_PENDING) &&
			    (uint32_t)(lr & ICH_LR_VINTID_MASK) == sg_cpuif_hppir(c, 1))
				*prio = (uint8_t)(lr >> ICH_LR_PRIORITY_SHIFT);
		}
		id = sg_cpuif_iar(c, 1);
		if (id != GIC_INTID_SPURIOUS)
			sg_cpuif_eoir(c, 1, id);
	}
	sg_vcpu_sync(vc(v));
	return id;
}

uint32_t take_wait(unsigned v)
{
	uint32_t id = GIC_INTID_SPURIOUS;

	for (int i = 0; i < 200 && id == GIC_INTID_SPURIOUS; i++) {
		sg_vcpu_wait(vc(v), 50000000ll);
		id = take_once(v, NULL);
	}
	return id;
}

void expect_idle(unsigned v)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(vc(v));

	ck_assert_msg(!sg_vcpu_pending_irq(vc(v)), "vCPU %u has an interrupt pending", v);
	sg_vcpu_flush(vc(v));
	for (unsigned i = 0; i < c->nr_lrs; i++)
		ck_assert_msg(!(sg_cpuif_read_lr(c, i) & ICH_LR_PENDING),
			      "vCPU %u: LR%u holds INTID %llu pending", v, i,
			      (unsigned long long)(sg_cpuif_read_lr(c, i) & ICH_LR_VINTID_MASK));
	sg_vcpu_sync(vc(v));
}
