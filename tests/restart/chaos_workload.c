// SPDX-License-Identifier: MIT
/* The chaos workload (chaos_workload.h). */
#include "chaos_workload.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gic_regs.h"

#define NV CHAOS_NR_VCPUS
/* SPIs 32..127: 32..55 carry traffic, 56..63 are never touched, 64..127
 * are only configured (never raised). */
#define NR_SPIS	 96u
#define T_FIRST	 32u
#define T_N	 24u
#define C_FIRST	 64u
#define LAST_SPI (GIC_SPI_BASE + NR_SPIS - 1)
#define SPI(i)	 ((i)-GIC_SPI_BASE) /* model index */

/* MSIs: DeviceIDs 1..NDEV, NEV events each, LPIs from 8192; collection v
 * is vCPU v's redistributor. */
#define NDEV	    2u
#define NEV	    16u
#define NE	    (NDEV * NEV)
#define EV_LPI(i)   (GIC_LPI_BASE + (i))
#define EV_DEV(i)   (1u + (i) / NEV)
#define EV_EVENT(i) ((i) % NEV)

/* Guest RAM: the ITS's command queue and tables, the LPI tables. */
#define RAM_GPA	    0x40000000ull
#define RAM_SIZE    (16ull << 20)
#define CMDQ_GPA    (RAM_GPA + 0x10000)
#define CMDQ_SIZE   (16u * 4096u)
#define DT_GPA	    (RAM_GPA + 0x100000)
#define CT_GPA	    (RAM_GPA + 0x110000)
#define ITT_GPA(d)  (RAM_GPA + 0x200000 + (uint64_t)(d)*0x1000)
#define PROP_GPA    (RAM_GPA + 0x400000)
#define PEND_GPA(v) (RAM_GPA + 0x800000 + (uint64_t)(v)*0x10000)
#define LPI_PRIO    0xA0u

#define DEFAULT_LIVENESS_MS 60000u
/* An idle vCPU re-checks its flags this often (a kick ends it sooner). */
#define WAIT_SLICE_NS	   5000000ll
#define IROUTER_MASK	   0xFF80FFFFFFull /* Aff3, IRM, Aff2..Aff0 */
#define GICD_CTLR_EXPECTED (GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE | GICD_CTLR_DS)

enum { ST_IDLE, ST_RAISED, ST_DROPPED };

struct spi_state {
	uint32_t intid;
	bool edge;
	atomic_int st;
	atomic_uint raised; /* edge: pulses; level: assertions */
	atomic_uint handled;
};

struct ev_state {
	atomic_bool out; /* an MSI was sent and not handled yet */
	atomic_uint sent;
	atomic_uint handled;
	atomic_uint coll; /* written by vCPU 0 (the driver), read in reports */
};

/* What every register must read.  Each entry has one writer: the vCPU
 * thread that owns it (owner()), or the main thread before and after. */
struct model {
	uint8_t prio[NR_SPIS];
	uint64_t irouter[NR_SPIS];
	bool enabled[NR_SPIS];
	uint32_t icfgr[(GIC_SPI_BASE + NR_SPIS) / 16];
	uint32_t igroupr[(GIC_SPI_BASE + NR_SPIS) / 32];
	uint64_t cbaser, baser0, baser1;
};

struct chaos_vcpu {
	struct chaos *c;
	unsigned idx;
	struct sg_vcpu *v;
	pthread_t thread;
	unsigned rs;
};

struct chaos {
	struct chaos_config cfg;
	unsigned liveness_ms;
	struct sg_vm *vm;
	int memfd;
	uint8_t *ram;
	uint64_t q_wr; /* command queue write offset: vCPU 0 (main before) */
	struct spi_state spis[T_N];
	struct ev_state evs[NE];
	struct model m;
	struct chaos_vcpu vc[NV];
	pthread_t spi_dev, msi_dev;
	bool started;
	atomic_bool stop_gen; /* no new interrupts, no configuration */
	atomic_bool stop;     /* threads leave */
	atomic_uint_fast64_t progress;
	atomic_uint_fast64_t reads_done; /* GICD/ITS reads answered */
	atomic_uint_fast64_t config_writes, readbacks, state_reads, its_moves;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_uint failures;
	char failure[512];
};

/* ------------------------------------------------------------ helpers */

static void notify(struct chaos *c)
{
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void fail(struct chaos *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Any thread: the first failure is kept (with the seed), everything stops. */
static void fail(struct chaos *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&c->lock);
	if (atomic_fetch_add(&c->failures, 1) == 0) {
		int n;

		va_start(ap, fmt);
		n = vsnprintf(c->failure, sizeof(c->failure), fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < sizeof(c->failure))
			snprintf(c->failure + n, sizeof(c->failure) - (size_t)n, " (seed %u)",
				 c->cfg.seed);
	}
	atomic_store(&c->stop_gen, true);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static bool failed(struct chaos *c)
{
	return atomic_load(&c->failures) != 0;
}

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void progress(struct chaos *c, unsigned n)
{
	atomic_fetch_add(&c->progress, n);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Waits until pred(c, arg) or a failure.  The bound is on silence, not on
 * the total: it fails only when nothing at all progressed for liveness_ms.
 */
static bool wait_for(struct chaos *c, bool (*pred)(struct chaos *c, void *arg), void *arg)
{
	uint64_t last = atomic_load(&c->progress), since = now_ms();

	pthread_mutex_lock(&c->lock);
	while (!pred(c, arg) && !failed(c)) {
		struct timespec ts;
		uint64_t p;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100000000l;
		if (ts.tv_nsec >= 1000000000l) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000l;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		p = atomic_load(&c->progress);
		if (p != last) {
			last = p;
			since = now_ms();
		} else if (now_ms() - since >= c->liveness_ms) {
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return pred(c, arg);
}

/* -------------------------------------------------------------- MMIO */

static int mmio(struct chaos *c, unsigned v, uint64_t addr, unsigned size, bool write,
		uint64_t *val)
{
	if (sg_vcpu_mmio(c->vc[v].v, addr, size, write, val) != SG_MMIO_DONE) {
		fail(c, "vCPU %u: %s of %u bytes at 0x%llx failed", v, write ? "write" : "read",
		     size, (unsigned long long)addr);
		return -1;
	}
	progress(c, 1);
	return 0;
}

static int gicd_w(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t val)
{
	if (mmio(c, v, SG_DEFAULT_GICD_BASE + off, size, true, &val) < 0)
		return -1;
	atomic_fetch_add(&c->config_writes, 1);
	return 0;
}

static int gicd_r(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t *val)
{
	*val = 0;
	if (mmio(c, v, SG_DEFAULT_GICD_BASE + off, size, false, val) < 0)
		return -1;
	atomic_fetch_add(&c->reads_done, 1);
	notify(c);
	return 0;
}

static int gits_w(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t val)
{
	return mmio(c, v, SG_DEFAULT_ITS_BASE + off, size, true, &val);
}

static int gits_r(struct chaos *c, unsigned v, uint32_t off, unsigned size, uint64_t *val)
{
	*val = 0;
	if (mmio(c, v, SG_DEFAULT_ITS_BASE + off, size, false, val) < 0)
		return -1;
	atomic_fetch_add(&c->reads_done, 1);
	notify(c);
	return 0;
}

static int gicr_w(struct chaos *c, unsigned v, unsigned rd, uint32_t off, unsigned size,
		  uint64_t val)
{
	return mmio(c, v, SG_DEFAULT_GICR_BASE + (uint64_t)rd * GICR_FRAME_SIZE + off, size, true,
		    &val);
}

/* ------------------------------------------------------- the ITS side */

static uint8_t *gpa(struct chaos *c, uint64_t a)
{
	return c->ram + (a - RAM_GPA);
}

static void cmd(struct chaos *c, uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
	uint64_t dw[4] = { dw0, dw1, dw2, dw3 };
	uint8_t *p = gpa(c, CMDQ_GPA + c->q_wr);

	/* Little-endian doublewords, written as a guest CPU would. */
	for (unsigned i = 0; i < GITS_CMD_SIZE; i++)
		__atomic_store_n(p + i, (uint8_t)(dw[i / 8] >> (8 * (i % 8))), __ATOMIC_RELAXED);
	c->q_wr = (c->q_wr + GITS_CMD_SIZE) % CMDQ_SIZE;
}

/* CWRITER, then CREADR until the ITS caught up, as Linux's driver polls. */
static int its_run(struct chaos *c, unsigned v)
{
	uint64_t creadr = ~0ull, since = now_ms();

	if (gits_w(c, v, GITS_CWRITER, 8, c->q_wr) < 0)
		return -1;
	while (creadr != c->q_wr) {
		if (gits_r(c, v, GITS_CREADR, 8, &creadr) < 0)
			return -1;
		if (creadr & GITS_CREADR_STALLED) {
			fail(c, "ITS stalled at CREADR 0x%llx", (unsigned long long)creadr);
			return -1;
		}
		/* Each read is a round trip that completes after a restart;
		 * only a queue that never moves gets here. */
		if (now_ms() - since > c->liveness_ms) {
			fail(c, "CREADR 0x%llx never reached CWRITER 0x%llx",
			     (unsigned long long)creadr, (unsigned long long)c->q_wr);
			return -1;
		}
	}
	return 0;
}

static uint64_t baser(struct chaos *c, unsigned n, uint64_t pa)
{
	uint64_t ro = 0;

	gits_r(c, 0, GITS_BASER + 8 * n, 8, &ro);
	ro &= GITS_BASER_TYPE_MASK | (0x1Full << GITS_BASER_ENTRY_SIZE_SHIFT);
	return GITS_BASER_VALID | ro |
	       (uint64_t)GITS_BASER_PAGE_SIZE_4K << GITS_BASER_PAGE_SIZE_SHIFT | pa;
}

static void prop_set(struct chaos *c, uint32_t intid)
{
	__atomic_store_n(gpa(c, PROP_GPA + intid - GIC_LPI_BASE),
			 (uint8_t)((LPI_PRIO & LPI_PROP_PRIORITY_MASK) | LPI_PROP_ENABLE),
			 __ATOMIC_RELAXED);
}

/* Linux's its_probe + its_cpu_init_lpis + a driver mapping its MSIs. */
static int its_boot(struct chaos *c)
{
	uint64_t val;

	gits_w(c, 0, GITS_CTLR, 4, 0);
	gits_w(c, 0, GITS_CBASER, 8, GITS_CBASER_VALID | CMDQ_GPA | (CMDQ_SIZE / 4096 - 1));
	gits_w(c, 0, GITS_BASER, 8, baser(c, 0, DT_GPA));
	gits_w(c, 0, GITS_BASER + 8, 8, baser(c, 1, CT_GPA));
	gits_w(c, 0, GITS_CWRITER, 8, 0);
	gits_w(c, 0, GITS_CTLR, 4, GITS_CTLR_ENABLED);
	c->q_wr = 0;
	if (gits_r(c, 0, GITS_CBASER, 8, &c->m.cbaser) < 0 ||
	    gits_r(c, 0, GITS_BASER, 8, &c->m.baser0) < 0 ||
	    gits_r(c, 0, GITS_BASER + 8, 8, &c->m.baser1) < 0 ||
	    gits_r(c, 0, GITS_CTLR, 4, &val) < 0)
		return -1;
	if (!(val & GITS_CTLR_ENABLED)) {
		fail(c, "the ITS did not enable");
		return -1;
	}
	for (unsigned v = 0; v < NV; v++) {
		gicr_w(c, v, v, GICR_WAKER, 4, 0);
		gicr_w(c, v, v, GICR_PROPBASER, 8, PROP_GPA | 15);
		gicr_w(c, v, v, GICR_PENDBASER, 8, PEND_GPA(v) | GICR_PENDBASER_PTZ);
		gicr_w(c, v, v, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
		cmd(c, GITS_CMD_MAPC, 0, v | (uint64_t)v << 16 | 1ull << 63, 0);
	}
	for (unsigned d = 0; d < NDEV; d++)
		cmd(c, GITS_CMD_MAPD | (uint64_t)(1 + d) << 32, 4 /* 5 EventID bits */,
		    (ITT_GPA(1 + d) & 0x000FFFFFFFFFFF00ull) | 1ull << 63, 0);
	for (unsigned i = 0; i < NE; i++) {
		atomic_store(&c->evs[i].coll, i % NV);
		prop_set(c, EV_LPI(i));
		cmd(c, GITS_CMD_MAPTI | (uint64_t)EV_DEV(i) << 32,
		    EV_EVENT(i) | (uint64_t)EV_LPI(i) << 32, i % NV, 0);
	}
	for (unsigned v = 0; v < NV; v++) {
		cmd(c, GITS_CMD_INVALL, 0, v, 0);
		cmd(c, GITS_CMD_SYNC, 0, (uint64_t)v << 16, 0);
	}
	return its_run(c, 0);
}

/* vCPU 0, outside its guest: move one event to another collection. */
static void its_move(struct chaos *c, unsigned *rs)
{
	unsigned i = rnd(rs) % NE,
		 to = (atomic_load(&c->evs[i].coll) + 1 + rnd(rs) % (NV - 1)) % NV;

	cmd(c, GITS_CMD_MOVI | (uint64_t)EV_DEV(i) << 32, EV_EVENT(i), to, 0);
	cmd(c, GITS_CMD_SYNC, 0, (uint64_t)to << 16, 0);
	if (its_run(c, 0) == 0) {
		atomic_store(&c->evs[i].coll, to);
		atomic_fetch_add(&c->its_moves, 1);
	}
}

/* ------------------------------------------------ configuration model */

enum kind { K_PRIO, K_ROUTE, K_ENABLE, K_CFG, K_GROUP, K_NR_WRITES };

static bool is_traffic(uint32_t id)
{
	return id >= T_FIRST && id < T_FIRST + T_N;
}

/* The one vCPU that writes a register (of INTID id, or word w). */
static unsigned owner(enum kind k, uint32_t id)
{
	switch (k) {
	case K_CFG: return (id / 16) % NV;
	case K_GROUP: return (id / 32) % NV;
	default: return (id + (unsigned)k) % NV;
	}
}

/* A random INTID whose kind-k register vCPU v owns and may change; 0 if none. */
static uint32_t pick(unsigned v, enum kind k, unsigned *rs)
{
	for (unsigned tries = 0; tries < 64; tries++) {
		uint32_t id = rnd(rs) % (T_N + (LAST_SPI + 1 - C_FIRST));

		id = id < T_N ? T_FIRST + id : C_FIRST + (id - T_N);
		/* Only configuration SPIs change trigger mode and group. */
		if ((k == K_CFG || k == K_GROUP) && is_traffic(id))
			continue;
		if (owner(k, id) == v)
			return id;
	}
	return 0;
}

static uint64_t traffic_route(unsigned *rs)
{
	unsigned r = rnd(rs) % (NV + 1);

	/* harness_shape()'s affinities: Aff0 = index. */
	return r == NV ? GICD_IROUTER_IRM : r;
}

static uint8_t traffic_prio(unsigned *rs)
{
	return (uint8_t)(0x80 + 8 * (rnd(rs) % 12));
}

static uint32_t bit(uint32_t id)
{
	return 1u << (id % 32);
}

/* One configuration write by vCPU v (a trap between guest entries). */
static void config_write(struct chaos *c, unsigned v, unsigned *rs)
{
	enum kind k = (enum kind)(rnd(rs) % K_NR_WRITES);
	uint32_t id = pick(v, k, rs);
	struct model *m = &c->m;
	uint64_t val;

	if (!id)
		return;
	switch (k) {
	case K_PRIO:
		val = is_traffic(id) ? traffic_prio(rs) : rnd(rs) & 0xFF;
		if (gicd_w(c, v, GICD_IPRIORITYR + id, 1, val) == 0)
			m->prio[SPI(id)] = (uint8_t)val;
		break;
	case K_ROUTE:
		val = is_traffic(id)
			      ? traffic_route(rs)
			      : ((uint64_t)rnd(rs) << 32 | rnd(rs)) ^ (uint64_t)rnd(rs) << 20;
		m->irouter[SPI(id)] = val & IROUTER_MASK;
		if (rnd(rs) % 2) {
			gicd_w(c, v, GICD_IROUTER + 8 * id, 8, val);
		} else {
			/* Either half on its own: a read-modify-write inside. */
			gicd_w(c, v, GICD_IROUTER + 8 * id, 4, val & 0xFFFFFFFFu);
			gicd_w(c, v, GICD_IROUTER + 8 * id + 4, 4, val >> 32);
		}
		break;
	case K_ENABLE:
		if (is_traffic(id)) {
			/* Briefly off: an edge meanwhile stays pending. */
			gicd_w(c, v, GICD_ICENABLER + 4 * (id / 32), 4, bit(id));
			gicd_w(c, v, GICD_ISENABLER + 4 * (id / 32), 4, bit(id));
		} else {
			bool on = rnd(rs) % 2;

			m->enabled[SPI(id)] = on;
			gicd_w(c, v, (on ? GICD_ISENABLER : GICD_ICENABLER) + 4 * (id / 32), 4,
			       bit(id));
		}
		break;
	case K_CFG:
		/* Odd bits: Int_config[1]; the even ones are RES0. */
		val = rnd(rs) ^ (uint64_t)rnd(rs) << 16;
		m->icfgr[id / 16] = (uint32_t)val & 0xAAAAAAAAu;
		gicd_w(c, v, GICD_ICFGR + 4 * (id / 16), 4, val & 0xFFFFFFFFu);
		break;
	case K_GROUP:
		val = (rnd(rs) ^ (uint64_t)rnd(rs) << 16) & 0xFFFFFFFFu;
		m->igroupr[id / 32] = (uint32_t)val;
		gicd_w(c, v, GICD_IGROUPR + 4 * (id / 32), 4, val);
		break;
	default: break;
	}
}

/* Reads back a register vCPU v owns: its own posted writes came first. */
static void readback(struct chaos *c, unsigned v, unsigned *rs)
{
	enum kind k = (enum kind)(rnd(rs) % K_NR_WRITES);
	uint32_t id = pick(v, k, rs);
	const struct model *m = &c->m;
	uint64_t got, want;
	const char *what;

	if (!id)
		return;
	switch (k) {
	case K_PRIO:
		what = "IPRIORITYR";
		want = m->prio[SPI(id)];
		if (gicd_r(c, v, GICD_IPRIORITYR + id, 1, &got) < 0)
			return;
		break;
	case K_ROUTE:
		what = "IROUTER";
		want = m->irouter[SPI(id)];
		if (gicd_r(c, v, GICD_IROUTER + 8 * id, 8, &got) < 0)
			return;
		break;
	case K_ENABLE:
		what = "ISENABLER bit";
		want = m->enabled[SPI(id)];
		if (gicd_r(c, v, GICD_ISENABLER + 4 * (id / 32), 4, &got) < 0)
			return;
		got = (got & bit(id)) != 0;
		break;
	case K_CFG:
		what = "ICFGR";
		want = m->icfgr[id / 16];
		if (gicd_r(c, v, GICD_ICFGR + 4 * (id / 16), 4, &got) < 0)
			return;
		break;
	default:
		what = "IGROUPR";
		want = m->igroupr[id / 32];
		if (gicd_r(c, v, GICD_IGROUPR + 4 * (id / 32), 4, &got) < 0)
			return;
		break;
	}
	atomic_fetch_add(&c->readbacks, 1);
	if (got != want)
		fail(c,
		     "vCPU %u: %s of INTID %u reads 0x%llx after it wrote 0x%llx: a write was "
		     "lost",
		     v, what, id, (unsigned long long)got, (unsigned long long)want);
}

/* Between two guest entries, what vCPU v's guest driver does. */
static void guest_traps(struct chaos *c, struct chaos_vcpu *vc)
{
	unsigned r = rnd(&vc->rs) % 16;
	uint64_t val;

	if (r < 4) {
		config_write(c, vc->idx, &vc->rs);
	} else if (r < 6) {
		readback(c, vc->idx, &vc->rs);
	} else if (r == 6) {
		/* Pending/active of the traffic SPIs: Query round trips to
		 * their owners; the values race with delivery by design. */
		if (gicd_r(c, vc->idx, (rnd(&vc->rs) % 2 ? GICD_ISPENDR : GICD_ISACTIVER) + 4, 4,
			   &val) == 0)
			atomic_fetch_add(&c->state_reads, 1);
	} else if (r == 7 && vc->idx == 0 && rnd(&vc->rs) % 4 == 0) {
		its_move(c, &vc->rs);
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
			fail(c,
			     "vCPU %u: LPI %u (device %u event %u) handled with no MSI "
			     "outstanding (sent %u, handled %u): delivered twice",
			     v, id, EV_DEV(id - EV_LPI(0)), EV_EVENT(id - EV_LPI(0)),
			     atomic_load(&e->sent), atomic_load(&e->handled));
		atomic_fetch_add(&e->handled, 1);
		return 0;
	}
	if (!s) {
		fail(c, "vCPU %u: unexpected INTID %u", v, id);
		return 0;
	}
	atomic_fetch_add(&s->handled, 1);
	if (!atomic_compare_exchange_strong(&s->st, &st, s->edge ? ST_IDLE : ST_DROPPED)) {
		fail(c, "vCPU %u: %s SPI %u handled while %s (raised %u, handled %u)%s", v,
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
		fail(c, "vCPU %u: lowering SPI %u failed", v, id);
	return id;
}

static void *vcpu_thread(void *arg)
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
			notify(c);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ devices */

static bool spi_work(struct chaos *c, void *arg)
{
	(void)arg;
	if (atomic_load(&c->stop_gen))
		return true;
	for (unsigned i = 0; i < T_N; i++)
		if (atomic_load(&c->spis[i].st) == ST_IDLE)
			return true;
	return false;
}

static void *spi_device(void *arg)
{
	struct chaos *c = arg;
	unsigned rs = c->cfg.seed * 31u + 7;

	while (!atomic_load(&c->stop_gen)) {
		unsigned pick_i = T_N, idle = 0;
		struct spi_state *s;
		int rc;

		if (!wait_for(c, spi_work, NULL)) {
			fail(c, "SPI device: no SPI became idle for %u ms: an interrupt was lost",
			     c->liveness_ms);
			break;
		}
		for (unsigned i = 0; i < T_N; i++)
			if (atomic_load(&c->spis[i].st) == ST_IDLE && rnd(&rs) % ++idle == 0)
				pick_i = i; /* uniform among the idle ones */
		if (pick_i == T_N)
			continue;
		s = &c->spis[pick_i];
		atomic_store(&s->st, ST_RAISED);
		atomic_fetch_add(&s->raised, 1);
		rc = s->edge ? sg_vm_signal_spi_edge(c->vm, s->intid)
			     : sg_vm_set_spi_level(c->vm, s->intid, true);
		if (rc != 0)
			fail(c, "SPI device: raising SPI %u failed (%d)", s->intid, rc);
	}
	return NULL;
}

static bool msi_work(struct chaos *c, void *arg)
{
	(void)arg;
	if (atomic_load(&c->stop_gen))
		return true;
	for (unsigned i = 0; i < NE; i++)
		if (!atomic_load(&c->evs[i].out))
			return true;
	return false;
}

static void *msi_device(void *arg)
{
	struct chaos *c = arg;
	unsigned rs = c->cfg.seed * 131u + 3;

	while (!atomic_load(&c->stop_gen)) {
		unsigned d = rnd(&rs) % NDEV, n = 0;
		uint32_t events[NEV];

		if (!wait_for(c, msi_work, NULL)) {
			fail(c, "MSI device: no MSI was handled for %u ms: an interrupt was lost",
			     c->liveness_ms);
			break;
		}
		for (unsigned e = 0; e < NEV; e++) {
			struct ev_state *s = &c->evs[d * NEV + e];

			if (atomic_load(&s->out) || rnd(&rs) % 2)
				continue;
			atomic_store(&s->out, true);
			atomic_fetch_add(&s->sent, 1);
			events[n++] = e;
		}
		if (!n)
			continue;
		if (rnd(&rs) % 2) {
			if (sg_vm_signal_msis(c->vm, 0, 1 + d, events, n) != 0)
				fail(c, "MSI device %u: sending %u MSIs failed", 1 + d, n);
		} else {
			for (unsigned k = 0; k < n; k++)
				if (sg_vm_signal_msi(c->vm, 0, 1 + d, events[k]) != 0)
					fail(c, "MSI device %u: sending event %u failed", 1 + d,
					     events[k]);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------- lifecycle */

/* The guest's distributor setup, every value recorded in the model. */
static int configure(struct chaos *c)
{
	struct model *m = &c->m;
	unsigned rs = c->cfg.seed;
	uint64_t val;

	if (gicd_w(c, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1) < 0)
		return -1;
	/* Reset values of the SPIs nobody touches: group 1, the rest 0. */
	for (unsigned w = GIC_SPI_BASE / 32; w < (LAST_SPI + 1) / 32; w++)
		m->igroupr[w] = 0xFFFFFFFFu;
	for (unsigned i = 0; i < T_N; i++) {
		struct spi_state *s = &c->spis[i];

		s->intid = T_FIRST + i;
		s->edge = rnd(&rs) % 2;
		atomic_store(&s->st, ST_IDLE);
		if (s->edge)
			m->icfgr[s->intid / 16] |= 2u << (2 * (s->intid % 16));
		m->prio[SPI(s->intid)] = traffic_prio(&rs);
		m->irouter[SPI(s->intid)] = traffic_route(&rs);
		m->enabled[SPI(s->intid)] = true;
	}
	for (uint32_t id = C_FIRST; id <= LAST_SPI; id++) {
		m->prio[SPI(id)] = (uint8_t)rnd(&rs);
		m->irouter[SPI(id)] = ((uint64_t)rnd(&rs) << 32 | rnd(&rs)) & IROUTER_MASK;
		m->enabled[SPI(id)] = rnd(&rs) % 2;
		if (id % 16 == 0)
			m->icfgr[id / 16] = (rnd(&rs) ^ rnd(&rs) << 16) & 0xAAAAAAAAu;
		if (id % 32 == 0)
			m->igroupr[id / 32] = rnd(&rs) ^ rnd(&rs) << 16;
	}
	for (unsigned w = GIC_SPI_BASE / 16; w < (LAST_SPI + 1) / 16; w++)
		gicd_w(c, 0, GICD_ICFGR + 4 * w, 4, m->icfgr[w]);
	for (unsigned w = GIC_SPI_BASE / 32; w < (LAST_SPI + 1) / 32; w++)
		gicd_w(c, 0, GICD_IGROUPR + 4 * w, 4, m->igroupr[w]);
	for (uint32_t id = GIC_SPI_BASE; id <= LAST_SPI; id++) {
		if (id >= T_FIRST + T_N && id < C_FIRST)
			continue;
		gicd_w(c, 0, GICD_IPRIORITYR + id, 1, m->prio[SPI(id)]);
		gicd_w(c, 0, GICD_IROUTER + 8 * id, 8, m->irouter[SPI(id)]);
		if (m->enabled[SPI(id)])
			gicd_w(c, 0, GICD_ISENABLER + 4 * (id / 32), 4, bit(id));
	}
	if (gicd_r(c, 0, GICD_CTLR, 4, &val) < 0)
		return -1;
	if (val != GICD_CTLR_EXPECTED) {
		fail(c, "GICD_CTLR reads 0x%llx, expected 0x%x", (unsigned long long)val,
		     GICD_CTLR_EXPECTED);
		return -1;
	}
	return failed(c) ? -1 : 0;
}

static int setup_vm(struct chaos *c)
{
	struct sg_vm_config cfg = { 0 };
	uint64_t mpidr[NV];
	char err[256] = "";
	int rc;

	c->memfd = memfd_create("chaos-guest-ram", MFD_CLOEXEC);
	if (c->memfd < 0 || ftruncate(c->memfd, (off_t)RAM_SIZE) < 0) {
		fail(c, "guest RAM: %s", strerror(errno));
		return -1;
	}
	c->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
	if (c->ram == MAP_FAILED) {
		c->ram = NULL;
		fail(c, "guest RAM: %s", strerror(errno));
		return -1;
	}
	for (unsigned v = 0; v < NV; v++)
		mpidr[v] = v;
	cfg.nr_vcpus = NV;
	cfg.mpidr = mpidr;
	cfg.lr_count = 4;
	cfg.nr_spis = NR_SPIS;
	sg_addr_map_default(&cfg.map, 1);
	cfg.nr_ram = 1;
	cfg.ram[0] = (struct sg_vm_ram){
		.gpa = RAM_GPA, .size = RAM_SIZE, .host = c->ram, .fd = c->memfd
	};
	rc = sg_vm_create(&cfg, &c->vm);
	if (rc < 0) {
		fail(c, "sg_vm_create: %s", strerror(-rc));
		return -1;
	}
	rc = sg_vm_connect(c->vm, c->cfg.control_path, c->cfg.vm_name, err, sizeof(err));
	if (rc < 0) {
		fail(c, "attaching to %s: %s", c->cfg.control_path, err);
		return -1;
	}
	for (unsigned v = 0; v < NV; v++) {
		struct chaos_vcpu *vc = &c->vc[v];
		struct sg_cpuif *cif;

		vc->c = c;
		vc->idx = v;
		vc->v = sg_vm_vcpu(c->vm, v);
		vc->rs = c->cfg.seed * 7919u + v * 104729u + 1;
		cif = sg_vcpu_cpuif(vc->v);
		sg_cpuif_set_igrpen(cif, 1, true);
		sg_cpuif_set_pmr(cif, 0xF8);
	}
	return 0;
}

int chaos_start(const struct chaos_config *cfg, struct chaos **out, char *err, size_t errlen)
{
	struct chaos *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->cfg = *cfg;
	c->memfd = -1;
	c->liveness_ms = cfg->liveness_ms ? cfg->liveness_ms : DEFAULT_LIVENESS_MS;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (setup_vm(c) < 0 || configure(c) < 0 || its_boot(c) < 0)
		goto fail;
	/* Report the vCPUs' group enables and wakefulness before any 1-of-N
	 * routing decision. */
	for (unsigned v = 0; v < NV; v++) {
		sg_vcpu_flush(c->vc[v].v);
		sg_vcpu_sync(c->vc[v].v);
	}
	c->started = true;
	for (unsigned v = 0; v < NV; v++)
		if (pthread_create(&c->vc[v].thread, NULL, vcpu_thread, &c->vc[v]) != 0)
			abort(); /* a test machine out of threads: nothing to report */
	if (pthread_create(&c->spi_dev, NULL, spi_device, c) != 0 ||
	    pthread_create(&c->msi_dev, NULL, msi_device, c) != 0)
		abort();
	*out = c;
	return 0;
fail:
	snprintf(err, errlen, "%s", c->failure);
	chaos_destroy(c);
	return -1;
}

uint64_t chaos_progress(struct chaos *c)
{
	return atomic_load(&c->progress);
}

struct target {
	uint64_t at;
};

static bool reached(struct chaos *c, void *arg)
{
	return atomic_load(&c->progress) >= ((struct target *)arg)->at;
}

int chaos_wait_progress(struct chaos *c, uint64_t n, char *err, size_t errlen)
{
	struct target t = { atomic_load(&c->progress) + n };

	if (!wait_for(c, reached, &t) && !failed(c))
		fail(c, "no progress for %u ms: the workload is stuck", c->liveness_ms);
	if (failed(c)) {
		snprintf(err, errlen, "%s", c->failure);
		return -1;
	}
	return 0;
}

static bool quiescent(struct chaos *c, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < T_N; i++)
		if (atomic_load(&c->spis[i].st) != ST_IDLE)
			return false;
	for (unsigned i = 0; i < NE; i++)
		if (atomic_load(&c->evs[i].out))
			return false;
	return true;
}

static void dump_stuck(struct chaos *c)
{
	static const char *const names[] = { "idle", "raised", "dropped" };

	for (unsigned i = 0; i < T_N; i++) {
		struct spi_state *s = &c->spis[i];
		int st = atomic_load(&s->st);

		if (st != ST_IDLE)
			fprintf(stderr, "chaos: stuck %s SPI %u %s, raised %u handled %u\n",
				s->edge ? "edge" : "level", s->intid, names[st],
				atomic_load(&s->raised), atomic_load(&s->handled));
	}
	for (unsigned i = 0; i < NE; i++)
		if (atomic_load(&c->evs[i].out))
			fprintf(stderr,
				"chaos: stuck MSI device %u event %u (LPI %u, collection %u), "
				"sent %u handled %u\n",
				EV_DEV(i), EV_EVENT(i), EV_LPI(i), atomic_load(&c->evs[i].coll),
				atomic_load(&c->evs[i].sent), atomic_load(&c->evs[i].handled));
}

static void stop_threads(struct chaos *c)
{
	if (!c->started)
		return;
	atomic_store(&c->stop_gen, true);
	notify(c);
	pthread_join(c->spi_dev, NULL);
	pthread_join(c->msi_dev, NULL);
	atomic_store(&c->stop, true);
	for (unsigned v = 0; v < NV; v++) {
		sg_vcpu_kick(c->vc[v].v);
		pthread_join(c->vc[v].thread, NULL);
	}
	c->started = false;
}

/* The final register state against the model, read as vCPU 0. */
static void check_registers(struct chaos *c)
{
	const struct model *m = &c->m;
	uint64_t got, want;

	for (uint32_t id = GIC_SPI_BASE; id <= LAST_SPI && !failed(c); id++) {
		if (gicd_r(c, 0, GICD_IPRIORITYR + id, 1, &got) == 0 && got != m->prio[SPI(id)])
			fail(c, "final IPRIORITYR of INTID %u: 0x%llx, model 0x%x", id,
			     (unsigned long long)got, m->prio[SPI(id)]);
		if (gicd_r(c, 0, GICD_IROUTER + 8 * id, 8, &got) == 0 && got != m->irouter[SPI(id)])
			fail(c, "final IROUTER of INTID %u: 0x%llx, model 0x%llx", id,
			     (unsigned long long)got, (unsigned long long)m->irouter[SPI(id)]);
	}
	for (uint32_t w = GIC_SPI_BASE / 32; w <= LAST_SPI / 32 && !failed(c); w++) {
		want = 0;
		for (unsigned b = 0; b < 32; b++)
			want |= (uint64_t)m->enabled[SPI(w * 32 + b)] << b;
		if (gicd_r(c, 0, GICD_ISENABLER + 4 * w, 4, &got) == 0 && got != want)
			fail(c, "final ISENABLER%u: 0x%llx, model 0x%llx", w,
			     (unsigned long long)got, (unsigned long long)want);
		if (gicd_r(c, 0, GICD_IGROUPR + 4 * w, 4, &got) == 0 && got != m->igroupr[w])
			fail(c, "final IGROUPR%u: 0x%llx, model 0x%x", w, (unsigned long long)got,
			     m->igroupr[w]);
		/* Nothing raised is left: nothing pending or active anywhere
		 * (reads of in-flight SPIs ask their owner). */
		if (gicd_r(c, 0, GICD_ISPENDR + 4 * w, 4, &got) == 0 && got)
			fail(c, "final ISPENDR%u: 0x%llx pending", w, (unsigned long long)got);
		if (gicd_r(c, 0, GICD_ISACTIVER + 4 * w, 4, &got) == 0 && got)
			fail(c, "final ISACTIVER%u: 0x%llx active", w, (unsigned long long)got);
	}
	for (uint32_t w = GIC_SPI_BASE / 16; w <= LAST_SPI / 16 && !failed(c); w++)
		if (gicd_r(c, 0, GICD_ICFGR + 4 * w, 4, &got) == 0 && got != m->icfgr[w])
			fail(c, "final ICFGR%u: 0x%llx, model 0x%x", w, (unsigned long long)got,
			     m->icfgr[w]);
	if (!failed(c) && gicd_r(c, 0, GICD_CTLR, 4, &got) == 0 && got != GICD_CTLR_EXPECTED)
		fail(c, "final GICD_CTLR 0x%llx, expected 0x%x", (unsigned long long)got,
		     GICD_CTLR_EXPECTED);
	if (failed(c))
		return;
	if (gits_r(c, 0, GITS_CBASER, 8, &got) == 0 && got != m->cbaser)
		fail(c, "final GITS_CBASER 0x%llx, model 0x%llx", (unsigned long long)got,
		     (unsigned long long)m->cbaser);
	if (gits_r(c, 0, GITS_BASER, 8, &got) == 0 && got != m->baser0)
		fail(c, "final GITS_BASER0 0x%llx, model 0x%llx", (unsigned long long)got,
		     (unsigned long long)m->baser0);
	if (gits_r(c, 0, GITS_BASER + 8, 8, &got) == 0 && got != m->baser1)
		fail(c, "final GITS_BASER1 0x%llx, model 0x%llx", (unsigned long long)got,
		     (unsigned long long)m->baser1);
	if (gits_r(c, 0, GITS_CTLR, 4, &got) == 0 && !(got & GITS_CTLR_ENABLED))
		fail(c, "final GITS_CTLR 0x%llx: the ITS is disabled", (unsigned long long)got);
	if (gits_r(c, 0, GITS_CWRITER, 8, &got) == 0 && got != c->q_wr)
		fail(c, "final GITS_CWRITER 0x%llx, written 0x%llx", (unsigned long long)got,
		     (unsigned long long)c->q_wr);
	if (gits_r(c, 0, GITS_CREADR, 8, &got) == 0 && got != c->q_wr)
		fail(c, "final GITS_CREADR 0x%llx, CWRITER 0x%llx", (unsigned long long)got,
		     (unsigned long long)c->q_wr);
}

static void check_counts(struct chaos *c, struct chaos_report *rep)
{
	for (unsigned i = 0; i < T_N && !failed(c); i++) {
		struct spi_state *s = &c->spis[i];
		unsigned r = atomic_load(&s->raised), h = atomic_load(&s->handled);

		if (h != r)
			fail(c, "%s SPI %u: raised %u times, handled %u",
			     s->edge ? "edge" : "level", s->intid, r, h);
		if (s->edge)
			rep->edges += r;
		else
			rep->levels += r;
	}
	for (unsigned i = 0; i < NE && !failed(c); i++) {
		struct ev_state *e = &c->evs[i];
		unsigned sent = atomic_load(&e->sent), h = atomic_load(&e->handled);

		if (h != sent)
			fail(c, "MSI device %u event %u: sent %u, handled %u", EV_DEV(i),
			     EV_EVENT(i), sent, h);
		rep->msis += sent;
	}
	for (unsigned v = 0; v < NV && !failed(c); v++) {
		struct sg_vcpu *vv = c->vc[v].v;

		if (sg_vcpu_stat(vv, SG_STAT_MMIO_ERRORS))
			fail(c, "vCPU %u: %llu MMIO accesses failed", v,
			     (unsigned long long)sg_vcpu_stat(vv, SG_STAT_MMIO_ERRORS));
		if (sg_vcpu_stat(vv, SG_STAT_LPI_DROPPED))
			fail(c, "vCPU %u: %llu LPIs dropped", v,
			     (unsigned long long)sg_vcpu_stat(vv, SG_STAT_LPI_DROPPED));
		if (sg_vcpu_stat(vv, SG_STAT_HOLD_TIMEOUTS))
			fail(c, "vCPU %u: a hold timed out", v);
	}
	rep->config_writes = atomic_load(&c->config_writes);
	rep->readbacks = atomic_load(&c->readbacks);
	rep->state_reads = atomic_load(&c->state_reads);
	rep->its_moves = atomic_load(&c->its_moves);
	for (unsigned s = 0; s < SG_VM_NR_STATS; s++)
		rep->vm_stat[s] = sg_vm_stat(c->vm, (enum sg_vm_stat)s);
	if (!failed(c) && (!rep->edges || !rep->levels || !rep->msis || !rep->readbacks))
		fail(c,
		     "the workload did not exercise everything: %llu edges, %llu levels, "
		     "%llu MSIs, %llu read-backs",
		     (unsigned long long)rep->edges, (unsigned long long)rep->levels,
		     (unsigned long long)rep->msis, (unsigned long long)rep->readbacks);
}

int chaos_finish(struct chaos *c, struct chaos_report *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof(*rep));
	atomic_store(&c->stop_gen, true);
	notify(c);
	if (c->started) {
		pthread_join(c->spi_dev, NULL);
		pthread_join(c->msi_dev, NULL);
		/* The vCPUs go on handling until everything raised was. */
		if (!wait_for(c, quiescent, NULL) && !failed(c)) {
			dump_stuck(c);
			fail(c,
			     "interrupts raised were never handled (lost) within %u ms of "
			     "silence",
			     c->liveness_ms);
		}
		atomic_store(&c->stop, true);
		for (unsigned v = 0; v < NV; v++) {
			sg_vcpu_kick(c->vc[v].v);
			pthread_join(c->vc[v].thread, NULL);
		}
		c->started = false;
	}
	if (!failed(c))
		check_registers(c);
	if (!failed(c))
		check_counts(c, rep);
	if (failed(c)) {
		snprintf(err, errlen, "%s", c->failure);
		return -1;
	}
	return 0;
}

struct sg_vm *chaos_vm(struct chaos *c)
{
	return c->vm;
}

void chaos_destroy(struct chaos *c)
{
	if (!c)
		return;
	stop_threads(c);
	if (c->vm)
		sg_vm_destroy(c->vm);
	if (c->ram)
		munmap(c->ram, RAM_SIZE);
	if (c->memfd >= 0)
		close(c->memfd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
