// SPDX-License-Identifier: MIT
/*
 * A randomized command stream checked against a reference model of the
 * ITS's mappings written here from the architecture's command
 * descriptions: every command's outcome (error code or the message it
 * sends) and, every few commands, every MSI of every (DeviceID, EventID)
 * in play.  Now and then the ITS is "restarted" (fresh struct and RAM
 * mappings, saved state put back) in the middle of the stream.
 */
#include "its_test.h"

#define R_DEVS	  24u /* DeviceIDs in play (the table holds 512) */
#define R_EVS	  32u /* EventIDs in play (ITT sizes up to 2^5) */
#define R_COLLS	  8u  /* ICIDs in play (the table holds 512) */
#define R_VCPUS	  4u
#define TABLE_IDS 512u
#define STEPS	  3000u

struct model {
	struct {
		bool v;
		unsigned size;
	} dte[R_DEVS];
	/* ITT memory per device: it outlives MAPD V=0, as RAM does. */
	struct {
		bool v;
		unsigned icid;
		uint32_t intid;
	} itt[R_DEVS][R_EVS];
	struct {
		bool v;
		unsigned rd;
	} cte[R_COLLS];
};

static struct model m;
static uint32_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static uint32_t pick_dev(void)
{
	switch (rnd() % 16) {
	case 0: return TABLE_IDS + rnd() % 100; /* beyond the table */
	case 1: return (1u << 16) + rnd() % 5;	/* beyond Devbits */
	}
	return rnd() % R_DEVS;
}

static uint32_t pick_ev(void)
{
	return rnd() % 16 ? rnd() % R_EVS : 0x10000u + rnd() % 7;
}

static uint32_t pick_icid(void)
{
	return rnd() % 16 ? rnd() % R_COLLS : TABLE_IDS + rnd() % 9;
}

static uint64_t pick_rd(void)
{
	return rnd() % 12 ? rnd() % R_VCPUS : R_VCPUS + rnd() % 60;
}

static uint32_t pick_intid(void)
{
	switch (rnd() % 20) {
	case 0: return rnd() % 8192;	     /* SGI..SPI..reserved: not an LPI */
	case 1: return 0x10000u + rnd() % 9; /* beyond GICD_TYPER.IDbits */
	}
	return LPI(rnd() % 2000);
}

struct expect {
	unsigned err; /* error code (0 none); the command number is the opcode */
	bool has_ev;
	struct rec_event ev;
};

/* The architecture's translation checks, in order. */
static unsigned m_lookup(uint32_t d, uint32_t e)
{
	if (d >= TABLE_IDS)
		return DEVICE_OOR;
	if (!m.dte[d].v)
		return UNMAPPED_DEVICE;
	if (e >= (1u << (m.dte[d].size + 1)))
		return ID_OOR;
	if (!m.itt[d][e].v)
		return UNMAPPED_INTERRUPT;
	if (!m.cte[m.itt[d][e].icid].v)
		return UNMAPPED_COLLECTION;
	return 0;
}

static void set_ev(struct expect *x, enum ev_kind k, unsigned a, unsigned b, uint64_t c)
{
	x->has_ev = true;
	x->ev = (struct rec_event){ k, a, b, c };
}

/* Generates one command into the queue and returns what the model expects. */
static struct expect step(unsigned *op_out)
{
	struct expect x = { 0 };
	unsigned op;
	uint32_t d = pick_dev(), e = pick_ev(), c = pick_icid(), intid;
	uint64_t rd = pick_rd(), rd2;

	switch (rnd() % 13) {
	case 0: { /* MAPD */
		bool v = rnd() % 4;
		unsigned size = rnd() % 12 ? rnd() % 5 : 16 + rnd() % 16;

		op = 0x08;
		c_mapd(d, size, d < R_DEVS ? ITT_GPA(d) : ITT_GPA(0), v);
		if (d >= TABLE_IDS)
			x.err = DEVICE_OOR;
		else if (v && size >= 16)
			x.err = ITTSIZE_OOR;
		else
			m.dte[d].v = v, m.dte[d].size = size;
		break;
	}
	case 1: { /* MAPC */
		bool v = rnd() % 4;

		op = 0x09;
		c_mapc(c, rd, v);
		if (c >= TABLE_IDS)
			x.err = COLLECTION_OOR;
		else if (v && rd >= R_VCPUS)
			x.err = TGT_OOR;
		else
			m.cte[c].v = v, m.cte[c].rd = (unsigned)rd;
		break;
	}
	case 2:
	case 3: /* MAPTI */
		op = 0x0A;
		intid = pick_intid();
		c_mapti(d, e, intid, c);
		if (d >= TABLE_IDS)
			x.err = DEVICE_OOR;
		else if (c >= TABLE_IDS)
			x.err = COLLECTION_OOR;
		else if (!m.dte[d].v)
			x.err = UNMAPPED_DEVICE;
		else if (e >= (1u << (m.dte[d].size + 1)))
			x.err = ID_OOR;
		else if (intid < 8192 || intid >= 0x10000)
			x.err = PHYSICALID_OOR;
		else
			m.itt[d][e].v = true, m.itt[d][e].icid = c, m.itt[d][e].intid = intid;
		break;
	case 4: /* MOVI */
		op = 0x01;
		c_movi(d, e, c);
		if (d >= TABLE_IDS)
			x.err = DEVICE_OOR;
		else if (c >= TABLE_IDS)
			x.err = COLLECTION_OOR;
		else if ((x.err = m_lookup(d, e)) == 0 && !m.cte[c].v)
			x.err = UNMAPPED_COLLECTION;
		if (!x.err) {
			unsigned from = m.cte[m.itt[d][e].icid].rd, to = m.cte[c].rd;

			if (from != to)
				set_ev(&x, EV_MOVE, from, to, m.itt[d][e].intid);
			m.itt[d][e].icid = c;
		}
		break;
	case 5:
	case 6:
	case 7:
	case 8: { /* INT, CLEAR, INV, DISCARD */
		static const unsigned ops[] = { 0x03, 0x04, 0x0C, 0x0F };
		static const enum ev_kind kinds[] = { EV_DELIVER, EV_CLEAR, EV_INV, EV_CLEAR };
		unsigned k = rnd() % 4;

		op = ops[k];
		c_ev(op, d, e);
		x.err = m_lookup(d, e);
		if (!x.err) {
			set_ev(&x, kinds[k], m.cte[m.itt[d][e].icid].rd, 0, m.itt[d][e].intid);
			if (op == 0x0F)
				m.itt[d][e].v = false;
		}
		break;
	}
	case 9: /* INVALL */
		op = 0x0D;
		c_invall(c);
		if (c >= TABLE_IDS)
			x.err = COLLECTION_OOR;
		else if (!m.cte[c].v)
			x.err = UNMAPPED_COLLECTION;
		else
			set_ev(&x, EV_INVALL, m.cte[c].rd, 0, 0);
		break;
	case 10: /* SYNC */
		op = 0x05;
		c_sync(rd);
		if (rd >= R_VCPUS)
			x.err = TGT_OOR;
		else
			set_ev(&x, EV_SYNC, (unsigned)rd, 0, 0);
		break;
	case 11: /* MOVALL */
		op = 0x0E;
		rd2 = pick_rd();
		c_movall(rd, rd2);
		if (rd >= R_VCPUS || rd2 >= R_VCPUS)
			x.err = TGT_OOR;
		else if (rd != rd2)
			set_ev(&x, EV_MOVALL, (unsigned)rd, (unsigned)rd2, 0);
		break;
	default: /* not a command */
		op = 0x10 + rnd() % 0xF0;
		q_raw(op | (uint64_t)rnd() << 32, rnd(), rnd(), rnd());
		x.err = UNKNOWN_CMD;
		break;
	}
	*op_out = op;
	return x;
}

static void msi_sweep(void)
{
	for (uint32_t d = 0; d < R_DEVS; d++)
		for (uint32_t e = 0; e < R_EVS; e++) {
			its_msi(&fx.its, d, e);
			if (m_lookup(d, e) == 0)
				ev_expect(EV_DELIVER, m.cte[m.itt[d][e].icid].rd, 0,
					  m.itt[d][e].intid);
			ev_none();
			ev_clear();
		}
}

static void restart(void)
{
	struct its_state saved = fx.its.st;

	guest_ram_unmap(&fx.ram);
	fx_remap_ram(&fx.ram);
	its_init(&fx.its, 0, &fx.shape, &fx.ram, &fx.out);
	its_restore(&fx.its, &saved);
	ev_none();
}

START_TEST(test_random_stream)
{
	uint64_t errors = 0;

	memset(&m, 0, sizeof(m));
	rng = 0x9E3779B9u * (uint32_t)(_i + 1);
	fx_std();
	for (unsigned s = 0; s < STEPS; s++) {
		unsigned op;
		struct expect x = step(&op);

		q_kick();
		if (x.has_ev && x.ev.kind == EV_SYNC) {
			uint64_t id = ev_take_sync(x.ev.a);

			ck_assert(its_sync_done(&fx.its, id));
		} else if (x.has_ev) {
			ev_expect(x.ev.kind, x.ev.a, x.ev.b, x.ev.c);
		}
		ev_none();
		ev_clear();
		ck_assert_int_eq(stalled(), 0);
		ck_assert_uint_eq(creadr_off(), fx.q_wr);
		if (x.err) {
			errors++;
			ck_assert_msg(fx.its.st.last_error == E(op, x.err),
				      "step %u: error 0x%06x, model 0x%06x", s,
				      fx.its.st.last_error, E(op, x.err));
		}
		ck_assert_msg(fx.its.st.nr_errors == errors,
			      "step %u (op 0x%02x): %llu errors, model %llu", s, op,
			      (unsigned long long)fx.its.st.nr_errors, (unsigned long long)errors);
		if (s % 20 == 19)
			msi_sweep();
		if (s % 97 == 96)
			restart();
	}
	msi_sweep();
	fx_teardown();
}
END_TEST

Suite *its_random_suite(void)
{
	Suite *s = suite_create("its-random");
	TCase *tc = tcase_create("random");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_random_stream, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
