// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: the case generators: a case's kind drawn by weight, then its
 * actions: datagrams per data channel (plain, mutated, oversized, with fds),
 * SPI and ITS flows, Hellos, connection floods, hang-ups, fresh daemons
 * (fuzz/sockfuzz.h).
 */
#include "sockfuzz.h"

void case_free(struct fcase *c)
{
	for (unsigned i = 0; i < c->nr; i++)
		free(c->act[i].data);
	c->nr = 0;
}

struct action *case_add(struct fcase *c, enum act_op op, const void *data, size_t len)
{
	struct action *a;

	if (c->nr == MAX_ACTIONS)
		return NULL;
	a = &c->act[c->nr++];
	memset(a, 0, sizeof(*a));
	a->op = (uint8_t)op;
	a->len = (uint32_t)len;
	a->data = malloc(len ? len : 1);
	if (!a->data) {
		perror("malloc");
		exit(2);
	}
	if (len)
		memcpy(a->data, data, len);
	return a;
}

enum case_kind {
	K_MMIO,
	K_BUS,
	K_MIXED,
	K_OVERSIZE,
	K_CHAN_FDS,
	K_HELLO,
	K_CONNS,
	K_FRESH,
	K_HANGUP,
	K_SPI,
	K_ITS,
	K_SHUTRD,
	K_NR
};
/* clang-format off */
static const char *const kind_names[K_NR] = { "mmio",	     "bus",	"mixed",     "oversize",
					       "chan-fds",   "hello",	"conns",     "hello-fresh",
					       "hangup",     "spi-flow", "its-flow", "half-close" };
/* clang-format on */
static const unsigned kind_weight[K_NR] = { 22, 22, 10, 3, 7, 10, 4, 3, 1, 10, 8, 1 };

/* A well-formed message as an ACT_SEND renumbered when it runs. */
static void add_env(struct fcase *c, unsigned chan, Sg__Envelope *e)
{
	unsigned char buf[SG_WIRE_MAX];
	ssize_t n;
	struct action *a;

	e->seq = sg_wire_body_is_sequenced(e->body_case) ? 1 : 0;
	n = sg_wire_pack(e, buf, sizeof(buf));
	if (n < 0)
		return;
	a = case_add(c, ACT_SEND, buf, (size_t)n);
	if (a) {
		a->chan = (uint8_t)chan;
		a->flags |= AF_RESEQ;
	}
}

static void add_mmio(struct fcase *c, unsigned chan, uint64_t addr, unsigned size, bool write,
		     uint64_t data)
{
	struct sg_mmio_msg m;

	add_env(c, chan, sg_mmio_msg(&m, addr, size, write, write, write ? data : 0));
}

/*
 * SPIs going round: the distributor set up to forward them (groups enabled,
 * SPIs enabled in Group 1, routed to a vCPU or 1-of-N, edge or level), then
 * line changes, pending/active writes and reads that park on owners' answers,
 * CpuState changes; the fuzzer's agent answers now and then.
 */
static void gen_spi_flow(struct fcase *c, const struct sg_vm_shape *s)
{
	uint64_t d = s->map.gicd_base;
	unsigned bus = s->nr_vcpus, n = 4 + (unsigned)below(20);

	if (chance(60)) {
		add_mmio(c, 0, d + GICD_CTLR, 4, true,
			 GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1 |
				 (chance(50) ? GICD_CTLR_ENABLE_G0 : 0));
		for (unsigned w = 1; w <= s->nr_spis / 32; w++) {
			add_mmio(c, (unsigned)below(bus), d + GICD_IGROUPR + 4 * w, 4, true,
				 chance(80) ? 0xFFFFFFFFu : rnd() & 0xFFFFFFFFu);
			add_mmio(c, (unsigned)below(bus), d + GICD_ISENABLER + 4 * w, 4, true,
				 chance(80) ? 0xFFFFFFFFu : rnd() & 0xFFFFFFFFu);
			if (chance(50))
				add_mmio(c, 0, d + GICD_ICFGR + 8 * w + 4 * below(2), 4, true,
					 rnd() & 0xAAAAAAAAu);
		}
		for (unsigned i = 0, k = (unsigned)below(6); i < k; i++)
			add_mmio(c, 0, d + GICD_IROUTER + 8 * (GIC_SPI_BASE + below(s->nr_spis)), 8,
				 true, chance(30) ? GICD_IROUTER_IRM : below(s->nr_vcpus + 1));
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t intid = (uint32_t)(GIC_SPI_BASE + below(s->nr_spis));
		uint32_t reg = 4 * (intid / 32), bit = 1u << (intid % 32);
		unsigned vc = (unsigned)below(s->nr_vcpus);
		Sg__Envelope e;
		Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
		Sg__CpuState cs = SG__CPU_STATE__INIT;
		Sg__Deactivated dd = SG__DEACTIVATED__INIT;

		sg_envelope_init(&e);
		switch (below(10)) {
		case 0:
		case 1:
		case 2:
			l.intid = intid;
			l.level = chance(50);
			l.pulse = chance(30);
			e.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
			e.spi_level = &l;
			add_env(c, bus, &e);
			break;
		case 3:
			add_mmio(c, vc, d + (chance(50) ? GICD_ISPENDR : GICD_ISPENDR + 0x80) + reg,
				 4, true, bit);
			break;
		case 4:
			add_mmio(c, vc,
				 d + (chance(50) ? GICD_ISACTIVER : GICD_ISACTIVER + 0x80) + reg, 4,
				 true, bit);
			break;
		case 5: /* reads that ask the owners */
			add_mmio(c, vc, d + (chance(50) ? GICD_ISPENDR : GICD_ISACTIVER) + reg, 4,
				 false, 0);
			break;
		case 6:
			cs.vcpu = vc;
			cs.grp1_enabled = chance(80);
			cs.grp0_enabled = chance(30);
			cs.asleep = chance(15);
			e.body_case = SG__ENVELOPE__BODY_CPU_STATE;
			e.cpu_state = &cs;
			add_env(c, bus, &e);
			break;
		case 7:
			dd.vcpu = vc;
			dd.intid = intid;
			dd.gen = (uint32_t)below(6);
			dd.returned_latch = chance(30);
			e.body_case = SG__ENVELOPE__BODY_DEACTIVATED;
			e.deactivated = &dd;
			add_env(c, bus, &e);
			break;
		case 8: add_mmio(c, vc, d + GICD_SETSPI_NSR, 4, true, intid); break;
		default:
			add_mmio(c, vc, d + GICD_IROUTER + 8 * intid, 8, true,
				 chance(30) ? GICD_IROUTER_IRM : below(s->nr_vcpus));
			break;
		}
	}
}

/* ITS commands as a guest writes them (docs/its.md): mostly plausible. */
static void gen_its_flow(struct fcase *c, const struct sg_vm_shape *s)
{
	/* clang-format off */
	static const uint8_t cmds[] = { GITS_CMD_MAPD,	GITS_CMD_MAPC, GITS_CMD_MAPTI, GITS_CMD_MAPI,
					GITS_CMD_INT,	GITS_CMD_CLEAR, GITS_CMD_SYNC, GITS_CMD_INV,
					GITS_CMD_INVALL, GITS_CMD_MOVI, GITS_CMD_MOVALL,
					GITS_CMD_DISCARD, GITS_CMD_MAPD, GITS_CMD_MAPTI };
	/* clang-format on */
	unsigned n = 1 + (unsigned)below(24), bus = s->nr_vcpus;
	uint64_t q[24][4];
	struct action *a;

	if (chance(10)) {
		/* The guest scribbles over the ITS's tables or queue. */
		unsigned char sc[8 + 256];
		uint64_t off = 0x10000u * below(4) + below(0x1000);
		size_t len = 1 + below(256);

		memcpy(sc, &off, 8);
		for (size_t i = 0; i < len; i++)
			sc[8 + i] = (unsigned char)rnd();
		a = case_add(c, ACT_ITS, sc, 8 + len);
		if (a)
			a->flags = 1;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t dev = chance(90) ? below(16) : edge32();
		uint64_t ev = chance(90) ? below(64) : edge32();
		uint8_t cmd = chance(95) ? cmds[below(sizeof(cmds))] : (uint8_t)rnd();

		q[i][0] = cmd | (dev << 32);
		q[i][1] = cmd == GITS_CMD_MAPD ? below(8) : ev | ((8192 + below(128)) << 32);
		if (chance(5))
			q[i][1] = rnd();
		q[i][2] = (uint64_t)(chance(90) ? below(4) : edge32() & 0xFFFF);
		if (cmd == GITS_CMD_MAPD)
			q[i][2] = (chance(90) ? 1ull << 63 : 0) |
				  (chance(90) ? RAM_GPA + 0x30000 + dev % 16 * 0x1000
					      : edge64() & ~0xFFull);
		if (cmd == GITS_CMD_MAPC)
			q[i][2] |= (chance(90) ? 1ull << 63 : 0) | (below(s->nr_vcpus + 1) << 16);
		if (cmd == GITS_CMD_MOVALL)
			q[i][3] = below(s->nr_vcpus + 1) << 16;
		else
			q[i][3] = chance(5) ? rnd() : 0;
	}
	if (chance(50)) {
		/* A coherent mapping: MAPD, MAPC, MAPTI, INT, SYNC, so MSIs translate. */
		uint64_t dev = below(4), ev = below(8), icid = below(2);

		n = 5;
		memset(q, 0, sizeof(q));
		q[0][0] = GITS_CMD_MAPD | dev << 32;
		q[0][1] = 2 + below(3);
		q[0][2] = 1ull << 63 | (RAM_GPA + 0x30000 + dev * 0x1000);
		q[1][0] = GITS_CMD_MAPC;
		q[1][2] = 1ull << 63 | below(s->nr_vcpus) << 16 | icid;
		q[2][0] = GITS_CMD_MAPTI | dev << 32;
		q[2][1] = ev | (8192 + below(64)) << 32;
		q[2][2] = icid;
		q[3][0] = GITS_CMD_INT | dev << 32;
		q[3][1] = ev;
		q[4][0] = GITS_CMD_SYNC;
		q[4][2] = below(s->nr_vcpus) << 16;
	}
	case_add(c, ACT_ITS, q, n * sizeof(q[0]));
	for (unsigned i = 0, k = (unsigned)below(12); i < k; i++) {
		Sg__Envelope e;
		Sg__Msi m = SG__MSI__INIT;

		sg_envelope_init(&e);
		m.device_id = chance(95) ? (uint32_t)below(4) : edge32();
		m.event_id = chance(95) ? (uint32_t)below(8) : edge32();
		e.body_case = SG__ENVELOPE__BODY_MSI;
		e.msi = &m;
		add_env(c, chance(70) ? bus : (unsigned)below(bus), &e);
	}
}

/* A datagram for data channel chan, maybe mutated, as an ACT_SEND. */
static struct action *gen_send(struct fcase *c, const struct sg_vm_shape *s, unsigned chan,
			       uint64_t *next, unsigned mutate_pct)
{
	static unsigned char buf[SG_WIRE_MAX * 2 + 64], other[SG_WIRE_MAX + 64];
	enum sg_chan_kind kind = chan < s->nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
	uint64_t scratch = *next;
	bool in_seq;
	size_t len = gen_message(s, kind, next, buf, sizeof(buf) / 2, &in_seq);
	struct action *a;
	bool mutated = chance(mutate_pct);

	if (mutated) {
		size_t olen = gen_message(s, chance(50) ? SG_CHAN_BUS : SG_CHAN_MMIO, &scratch,
					  other, sizeof(other), NULL);

		len = mutate(buf, len, sizeof(buf) / 2, other, olen);
	}
	a = case_add(c, ACT_SEND, buf, len);
	if (a) {
		a->chan = (uint8_t)chan;
		if (!mutated && in_seq)
			a->flags |= AF_RESEQ;
	}
	return a;
}

void gen_case(struct fcase *c, const struct fvm *v, uint64_t seed, uint64_t index)
{
	unsigned total = 0, w, k = 0;
	uint64_t next[SG_MAX_VCPUS + 1];
	unsigned nch = v->shape.nr_vcpus + 1;

	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->index = index;
	rng_seed(seed ^ (index * 0xD1B54A32D192ED03ull));
	rnd();
	for (unsigned i = 0; i < K_NR; i++)
		total += kind_weight[i];
	w = (unsigned)below(total);
	while (w >= kind_weight[k])
		w -= kind_weight[k++];
	c->kind = kind_names[k];
	for (unsigned i = 0; i < nch; i++)
		next[i] = v->last[i] + 1;
	switch ((enum case_kind)k) {
	case K_MMIO:
	case K_BUS:
	case K_MIXED: {
		unsigned n = 1 + (unsigned)below(k == K_MIXED ? 16 : 6);

		for (unsigned i = 0; i < n; i++) {
			unsigned ch = k == K_MMIO  ? (unsigned)below(v->shape.nr_vcpus)
				      : k == K_BUS ? v->shape.nr_vcpus
						   : (unsigned)below(nch);

			gen_send(c, &v->shape, ch, &next[ch], 40);
		}
		break;
	}
	case K_OVERSIZE: {
		unsigned ch = (unsigned)below(nch);
		size_t len = SG_WIRE_MAX + 1 + below(chance(50) ? 16 : 60000);
		unsigned char *big = malloc(len);
		struct action *a;

		if (!big)
			die("malloc");
		for (size_t i = 0; i < len; i++)
			big[i] = (unsigned char)(chance(50) ? 0 : rnd());
		/* Sometimes a real message at its head: still rejected unread. */
		if (chance(50))
			gen_message(&v->shape, chan_kind(v, ch), &next[ch], big, SG_WIRE_MAX, NULL);
		a = case_add(c, ACT_SEND, big, len);
		if (a)
			a->chan = (uint8_t)ch;
		free(big);
		break;
	}
	case K_CHAN_FDS: {
		unsigned ch = (unsigned)below(nch);
		struct action *a = gen_send(c, &v->shape, ch, &next[ch], 10);

		if (a)
			add_fds(a, chance(10) ? SG_WIRE_MAX_FDS : 1 + (unsigned)below(4),
				chance(30));
		if (a && chance(20))
			a->flags |= HF_CREDS;
		/* and a clean message after it, which must be applied */
		gen_send(c, &v->shape, ch, &next[ch], 0);
		break;
	}
	case K_HELLO:
		for (unsigned i = 0, n = 1 + (unsigned)below(3); i < n; i++)
			gen_hello(c, false);
		break;
	case K_CONNS: {
		unsigned n = chance(50) ? 40 : 1 + (unsigned)below(8);
		unsigned char beh[64];
		struct action *a;

		for (unsigned i = 0; i < n; i++)
			beh[i] = (unsigned char)below(CB_NR);
		a = case_add(c, ACT_CONNS, beh, n);
		/* Leave the idle ones open for a few cases, or now and then for
		 * long enough that the daemon's Hello timeout (5 s) closes them. */
		if (a && chance(30))
			a->flags = chance(3) ? 3 : 1;
		if (chance(50))
			gen_hello(c, false);
		break;
	}
	case K_FRESH:
		case_add(c, ACT_FRESH, NULL, 0);
		for (unsigned i = 0, n = 1 + (unsigned)below(3); i < n; i++)
			gen_hello(c, true);
		break;
	case K_SPI: gen_spi_flow(c, &v->shape); break;
	case K_SHUTRD: {
		struct action *a = case_add(c, ACT_SHUTRD, NULL, 0);

		if (a)
			a->chan = (uint8_t)below(nch);
		break;
	}
	case K_ITS: gen_its_flow(c, &v->shape); break;
	case K_HANGUP: {
		struct action *a = case_add(c, ACT_HANGUP, NULL, 0);

		if (a)
			a->chan = (uint8_t)below(nch);
		break;
	}
	case K_NR: break;
	}
}
