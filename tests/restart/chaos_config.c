// SPDX-License-Identifier: MIT
/*
 * The chaos workload's distributor configuration: the guest's initial
 * setup, the random configuration writes (each register has one writer
 * vCPU) recorded in the reference model, read-backs against the model,
 * and the final GICD and ITS register check.
 */
#include "chaos_internal.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* ------------------------------------------------ configuration model */

enum kind { K_PRIO, K_ROUTE, K_ENABLE, K_CFG, K_GROUP, K_NR_WRITES };

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
void chaos_config_write(struct chaos *c, unsigned v, unsigned *rs)
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
		if (chaos_gicd_w(c, v, GICD_IPRIORITYR + id, 1, val) == 0)
			m->prio[SPI(id)] = (uint8_t)val;
		break;
	case K_ROUTE:
		val = is_traffic(id)
			      ? traffic_route(rs)
			      : ((uint64_t)rnd(rs) << 32 | rnd(rs)) ^ (uint64_t)rnd(rs) << 20;
		m->irouter[SPI(id)] = val & IROUTER_MASK;
		if (rnd(rs) % 2) {
			chaos_gicd_w(c, v, GICD_IROUTER + 8 * id, 8, val);
		} else {
			/* Either half on its own: a read-modify-write inside. */
			chaos_gicd_w(c, v, GICD_IROUTER + 8 * id, 4, val & 0xFFFFFFFFu);
			chaos_gicd_w(c, v, GICD_IROUTER + 8 * id + 4, 4, val >> 32);
		}
		break;
	case K_ENABLE:
		if (is_traffic(id)) {
			/* Briefly off: an edge meanwhile stays pending. */
			chaos_gicd_w(c, v, GICD_ICENABLER + 4 * (id / 32), 4, bit(id));
			chaos_gicd_w(c, v, GICD_ISENABLER + 4 * (id / 32), 4, bit(id));
		} else {
			bool on = rnd(rs) % 2;

			m->enabled[SPI(id)] = on;
			chaos_gicd_w(c, v, (on ? GICD_ISENABLER : GICD_ICENABLER) + 4 * (id / 32),
				     4, bit(id));
		}
		break;
	case K_CFG:
		/* Odd bits: Int_config[1]; the even ones are RES0. */
		val = rnd(rs) ^ (uint64_t)rnd(rs) << 16;
		m->icfgr[id / 16] = (uint32_t)val & 0xAAAAAAAAu;
		chaos_gicd_w(c, v, GICD_ICFGR + 4 * (id / 16), 4, val & 0xFFFFFFFFu);
		break;
	case K_GROUP:
		val = (rnd(rs) ^ (uint64_t)rnd(rs) << 16) & 0xFFFFFFFFu;
		m->igroupr[id / 32] = (uint32_t)val;
		chaos_gicd_w(c, v, GICD_IGROUPR + 4 * (id / 32), 4, val);
		break;
	default: break;
	}
}

/* Reads back a register vCPU v owns: its own posted writes came first. */
void chaos_readback(struct chaos *c, unsigned v, unsigned *rs)
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
		if (chaos_gicd_r(c, v, GICD_IPRIORITYR + id, 1, &got) < 0)
			return;
		break;
	case K_ROUTE:
		what = "IROUTER";
		want = m->irouter[SPI(id)];
		if (chaos_gicd_r(c, v, GICD_IROUTER + 8 * id, 8, &got) < 0)
			return;
		break;
	case K_ENABLE:
		what = "ISENABLER bit";
		want = m->enabled[SPI(id)];
		if (chaos_gicd_r(c, v, GICD_ISENABLER + 4 * (id / 32), 4, &got) < 0)
			return;
		got = (got & bit(id)) != 0;
		break;
	case K_CFG:
		what = "ICFGR";
		want = m->icfgr[id / 16];
		if (chaos_gicd_r(c, v, GICD_ICFGR + 4 * (id / 16), 4, &got) < 0)
			return;
		break;
	default:
		what = "IGROUPR";
		want = m->igroupr[id / 32];
		if (chaos_gicd_r(c, v, GICD_IGROUPR + 4 * (id / 32), 4, &got) < 0)
			return;
		break;
	}
	atomic_fetch_add(&c->readbacks, 1);
	if (got != want)
		chaos_fail(
			c,
			"vCPU %u: %s of INTID %u reads 0x%llx after it wrote 0x%llx: a write was "
			"lost",
			v, what, id, (unsigned long long)got, (unsigned long long)want);
}

/* ---------------------------------------------- setup and final check */

/* The guest's distributor setup, every value recorded in the model. */
int chaos_configure(struct chaos *c)
{
	struct model *m = &c->m;
	unsigned rs = c->cfg.seed;
	uint64_t val;

	if (chaos_gicd_w(c, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1) < 0)
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
		chaos_gicd_w(c, 0, GICD_ICFGR + 4 * w, 4, m->icfgr[w]);
	for (unsigned w = GIC_SPI_BASE / 32; w < (LAST_SPI + 1) / 32; w++)
		chaos_gicd_w(c, 0, GICD_IGROUPR + 4 * w, 4, m->igroupr[w]);
	for (uint32_t id = GIC_SPI_BASE; id <= LAST_SPI; id++) {
		if (id >= T_FIRST + T_N && id < C_FIRST)
			continue;
		chaos_gicd_w(c, 0, GICD_IPRIORITYR + id, 1, m->prio[SPI(id)]);
		chaos_gicd_w(c, 0, GICD_IROUTER + 8 * id, 8, m->irouter[SPI(id)]);
		if (m->enabled[SPI(id)])
			chaos_gicd_w(c, 0, GICD_ISENABLER + 4 * (id / 32), 4, bit(id));
	}
	if (chaos_gicd_r(c, 0, GICD_CTLR, 4, &val) < 0)
		return -1;
	if (val != GICD_CTLR_EXPECTED) {
		chaos_fail(c, "GICD_CTLR reads 0x%llx, expected 0x%x", (unsigned long long)val,
			   GICD_CTLR_EXPECTED);
		return -1;
	}
	return failed(c) ? -1 : 0;
}

/* The final register state against the model, read as vCPU 0. */
void chaos_check_registers(struct chaos *c)
{
	const struct model *m = &c->m;
	uint64_t got, want;

	for (uint32_t id = GIC_SPI_BASE; id <= LAST_SPI && !failed(c); id++) {
		if (chaos_gicd_r(c, 0, GICD_IPRIORITYR + id, 1, &got) == 0 &&
		    got != m->prio[SPI(id)])
			chaos_fail(c, "final IPRIORITYR of INTID %u: 0x%llx, model 0x%x", id,
				   (unsigned long long)got, m->prio[SPI(id)]);
		if (chaos_gicd_r(c, 0, GICD_IROUTER + 8 * id, 8, &got) == 0 &&
		    got != m->irouter[SPI(id)])
			chaos_fail(c, "final IROUTER of INTID %u: 0x%llx, model 0x%llx", id,
				   (unsigned long long)got,
				   (unsigned long long)m->irouter[SPI(id)]);
	}
	for (uint32_t w = GIC_SPI_BASE / 32; w <= LAST_SPI / 32 && !failed(c); w++) {
		want = 0;
		for (unsigned b = 0; b < 32; b++)
			want |= (uint64_t)m->enabled[SPI(w * 32 + b)] << b;
		if (chaos_gicd_r(c, 0, GICD_ISENABLER + 4 * w, 4, &got) == 0 && got != want)
			chaos_fail(c, "final ISENABLER%u: 0x%llx, model 0x%llx", w,
				   (unsigned long long)got, (unsigned long long)want);
		if (chaos_gicd_r(c, 0, GICD_IGROUPR + 4 * w, 4, &got) == 0 && got != m->igroupr[w])
			chaos_fail(c, "final IGROUPR%u: 0x%llx, model 0x%x", w,
				   (unsigned long long)got, m->igroupr[w]);
		/* Nothing raised is left: nothing pending or active anywhere
		 * (reads of in-flight SPIs ask their owner). */
		if (chaos_gicd_r(c, 0, GICD_ISPENDR + 4 * w, 4, &got) == 0 && got)
			chaos_fail(c, "final ISPENDR%u: 0x%llx pending", w,
				   (unsigned long long)got);
		if (chaos_gicd_r(c, 0, GICD_ISACTIVER + 4 * w, 4, &got) == 0 && got)
			chaos_fail(c, "final ISACTIVER%u: 0x%llx active", w,
				   (unsigned long long)got);
	}
	for (uint32_t w = GIC_SPI_BASE / 16; w <= LAST_SPI / 16 && !failed(c); w++)
		if (chaos_gicd_r(c, 0, GICD_ICFGR + 4 * w, 4, &got) == 0 && got != m->icfgr[w])
			chaos_fail(c, "final ICFGR%u: 0x%llx, model 0x%x", w,
				   (unsigned long long)got, m->icfgr[w]);
	if (!failed(c) && chaos_gicd_r(c, 0, GICD_CTLR, 4, &got) == 0 && got != GICD_CTLR_EXPECTED)
		chaos_fail(c, "final GICD_CTLR 0x%llx, expected 0x%x", (unsigned long long)got,
			   GICD_CTLR_EXPECTED);
	if (failed(c))
		return;
	if (chaos_gits_r(c, 0, GITS_CBASER, 8, &got) == 0 && got != m->cbaser)
		chaos_fail(c, "final GITS_CBASER 0x%llx, model 0x%llx", (unsigned long long)got,
			   (unsigned long long)m->cbaser);
	if (chaos_gits_r(c, 0, GITS_BASER, 8, &got) == 0 && got != m->baser0)
		chaos_fail(c, "final GITS_BASER0 0x%llx, model 0x%llx", (unsigned long long)got,
			   (unsigned long long)m->baser0);
	if (chaos_gits_r(c, 0, GITS_BASER + 8, 8, &got) == 0 && got != m->baser1)
		chaos_fail(c, "final GITS_BASER1 0x%llx, model 0x%llx", (unsigned long long)got,
			   (unsigned long long)m->baser1);
	if (chaos_gits_r(c, 0, GITS_CTLR, 4, &got) == 0 && !(got & GITS_CTLR_ENABLED))
		chaos_fail(c, "final GITS_CTLR 0x%llx: the ITS is disabled",
			   (unsigned long long)got);
	if (chaos_gits_r(c, 0, GITS_CWRITER, 8, &got) == 0 && got != c->q_wr)
		chaos_fail(c, "final GITS_CWRITER 0x%llx, written 0x%llx", (unsigned long long)got,
			   (unsigned long long)c->q_wr);
	if (chaos_gits_r(c, 0, GITS_CREADR, 8, &got) == 0 && got != c->q_wr)
		chaos_fail(c, "final GITS_CREADR 0x%llx, CWRITER 0x%llx", (unsigned long long)got,
			   (unsigned long long)c->q_wr);
}
