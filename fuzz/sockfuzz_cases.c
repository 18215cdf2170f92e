// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: the random source and the case generators: messages,
 * their mutations, SPI and ITS flows, Hellos (fuzz/sockfuzz.h).
 */
#include "sockfuzz.h"

/* ------------------------------------------------------------------ rng */

static uint64_t rng_state;

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	return splitmix(&rng_state);
}

/* Uniform in [0, n). */
static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

static uint64_t edge64(void)
{
	/* clang-format off */
	static const uint64_t e[] = { 0,	  1,	       2,	   31,	       32,
				      33,	  63,	       64,	   95,	       96,
				      127,	  128,	       255,	   256,	       1019,
				      1020,	  1023,	       1024,	   8191,       8192,
				      65535,	  65536,       0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
				      0x100000000ull, INT64_MAX, UINT64_MAX, UINT64_MAX - 1 };
	/* clang-format on */

	return chance(70) ? e[below(sizeof(e) / sizeof(e[0]))] : rnd();
}

static uint32_t edge32(void)
{
	return (uint32_t)edge64();
}

void case_free(struct fcase *c)
{
	for (unsigned i = 0; i < c->nr; i++)
		free(c->act[i].data);
	c->nr = 0;
}

static struct action *case_add(struct fcase *c, enum act_op op, const void *data, size_t len)
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

/* ------------------------------------------------------------ generation */

static uint64_t pick_seq(uint64_t next)
{
	if (chance(75))
		return next;
	switch (below(6)) {
	case 0: return 0;
	case 1: return next > 1 ? next - 1 : 0;
	case 2: return next + 1;
	case 3: return next + 1 + below(1000);
	case 4: return UINT64_MAX;
	default: return edge64();
	}
}

static uint64_t pick_addr(const struct sg_vm_shape *s)
{
	/* clang-format off */
	static const uint32_t regs[] = {
		0x0000, 0x0004, 0x0008, 0x000C, 0x0010, 0x0040, 0x0048, 0x0050, 0x0058,
		0x0080, 0x0084, 0x0100, 0x0104, 0x0180, 0x0184, 0x0200, 0x0204, 0x0280,
		0x0300, 0x0380, 0x0400, 0x0420, 0x043F, 0x0800, 0x0C00, 0x0C04, 0x0D00,
		0x0E00, 0x0F00, 0x0F10, 0x0F20, 0x6100, 0x6108, 0x61F8, 0x7FF8, 0xFFD0,
		0xFFE0, 0xFFE8, 0xFFFC, 0xFFFF, 0x10000,
	};
	/* clang-format on */
	/* clang-format off */
	static const uint32_t its_regs[] = { 0x0000, 0x0004, 0x0008, 0x0010, 0x0080, 0x0084,
					     0x0088, 0x008C, 0x0100, 0x0108, 0x0110, 0x0138,
					     0x0140, 0xFFE8, 0x10040, 0x1FFFF };
	/* clang-format on */

	switch (below(8)) {
	case 0:
	case 1:
	case 2:
	case 3: return s->map.gicd_base + regs[below(sizeof(regs) / sizeof(regs[0]))] + below(4);
	case 4: return s->map.gicd_base + below(0x10000);
	case 5: return s->map.its_base[0] + its_regs[below(sizeof(its_regs) / sizeof(its_regs[0]))];
	case 6: return s->map.gicr_base + below(0x40000);
	default: return chance(50) ? edge64() : s->map.gicd_base - 8 + below(16);
	}
}

static unsigned pick_size(void)
{
	/* clang-format off */
	static const unsigned sz[] = { 1, 2, 4, 8, 4, 4, 1, 0, 3, 16, 0xFFFFFFFFu };
	/* clang-format on */

	return chance(90) ? sz[below(7)] : sz[below(sizeof(sz) / sizeof(sz[0]))];
}

/*
 * One random message to the daemon for channel kind `kind`, body chosen
 * mostly among what belongs there, packed into buf.  next: the channel's next
 * sequence number.  *nested: room for a Batch's inner messages.
 */
struct gen_bufs {
	Sg__Mmio mmio;
	Sg__Msi msi;
	Sg__SpiLevel lvl;
	Sg__Deactivated deact;
	Sg__QueryReply qr;
	Sg__SyncDone sd;
	Sg__CpuState cs;
	Sg__Resync rs;
	Sg__OwnedSpi owned[8];
	Sg__OwnedSpi *owned_p[8];
	Sg__Ack ack;
	Sg__Deliver dl;
	Sg__MmioReply mr;
	Sg__Durable du;
	Sg__Hello hello;
	Sg__AddressMap am;
};

static uint32_t pick_intid(const struct sg_vm_shape *s)
{
	return chance(80) ? (uint32_t)(GIC_SPI_BASE + below(s->nr_spis)) : edge32();
}

static void gen_body(const struct sg_vm_shape *s, Sg__Envelope *e, struct gen_bufs *b,
		     Sg__Envelope__BodyCase body)
{
	e->body_case = body;
	switch (body) {
	case SG__ENVELOPE__BODY_MMIO:
		sg__mmio__init(&b->mmio);
		b->mmio.addr = pick_addr(s);
		b->mmio.size = pick_size();
		b->mmio.write = chance(60);
		b->mmio.posted = b->mmio.write ? chance(85) : chance(3);
		b->mmio.data = rnd();
		if (b->mmio.size < 8 && chance(95))
			b->mmio.data &= (1ull << (8 * (b->mmio.size & 7))) - 1;
		e->mmio = &b->mmio;
		break;
	case SG__ENVELOPE__BODY_MSI:
		sg__msi__init(&b->msi);
		b->msi.its = chance(90) ? 0 : edge32();
		b->msi.device_id = chance(60) ? (uint32_t)below(16) : edge32();
		b->msi.event_id = chance(60) ? (uint32_t)below(64) : edge32();
		e->msi = &b->msi;
		break;
	case SG__ENVELOPE__BODY_SPI_LEVEL:
		sg__spi_level__init(&b->lvl);
		b->lvl.intid = pick_intid(s);
		b->lvl.level = chance(50);
		b->lvl.pulse = chance(20);
		e->spi_level = &b->lvl;
		break;
	case SG__ENVELOPE__BODY_DEACTIVATED:
		sg__deactivated__init(&b->deact);
		b->deact.vcpu = chance(90) ? (uint32_t)below(s->nr_vcpus) : edge32();
		b->deact.intid = pick_intid(s);
		b->deact.gen = chance(50) ? (uint32_t)below(8) : edge32();
		b->deact.returned_latch = chance(30);
		e->deactivated = &b->deact;
		break;
	case SG__ENVELOPE__BODY_QUERY_REPLY:
		sg__query_reply__init(&b->qr);
		b->qr.query_id = chance(50) ? below(8) : edge64();
		b->qr.vcpu = chance(90) ? (uint32_t)below(s->nr_vcpus) : edge32();
		b->qr.intid = pick_intid(s);
		b->qr.pending = chance(50);
		b->qr.active = chance(50);
		e->query_reply = &b->qr;
		break;
	case SG__ENVELOPE__BODY_SYNC_DONE:
		sg__sync_done__init(&b->sd);
		b->sd.vcpu = chance(90) ? (uint32_t)below(s->nr_vcpus) : edge32();
		b->sd.sync_id = edge64();
		e->sync_done = &b->sd;
		break;
	case SG__ENVELOPE__BODY_CPU_STATE:
		sg__cpu_state__init(&b->cs);
		b->cs.vcpu = chance(90) ? (uint32_t)below(s->nr_vcpus) : edge32();
		b->cs.grp0_enabled = chance(50);
		b->cs.grp1_enabled = chance(70);
		b->cs.asleep = chance(20);
		e->cpu_state = &b->cs;
		break;
	case SG__ENVELOPE__BODY_RESYNC:
		sg__resync__init(&b->rs);
		b->rs.vcpu = chance(90) ? (uint32_t)below(s->nr_vcpus) : edge32();
		b->rs.n_spis = below(9);
		for (unsigned i = 0; i < b->rs.n_spis; i++) {
			sg__owned_spi__init(&b->owned[i]);
			b->owned[i].intid = pick_intid(s);
			b->owned[i].gen = (uint32_t)below(4);
			b->owned[i].latch = chance(50);
			b->owned[i].line = chance(50);
			b->owned[i].active = chance(50);
			b->owned[i].returned_latch = chance(20);
			b->owned_p[i] = &b->owned[i];
		}
		b->rs.spis = b->owned_p;
		b->rs.epoch = chance(50) ? 1 : edge64();
		e->resync = &b->rs;
		break;
	case SG__ENVELOPE__BODY_ACK:
		sg__ack__init(&b->ack);
		b->ack.seq = edge64();
		e->ack = &b->ack;
		break;
	case SG__ENVELOPE__BODY_DELIVER:
		sg__deliver__init(&b->dl);
		b->dl.intid = pick_intid(s);
		b->dl.priority = edge32();
		e->deliver = &b->dl;
		break;
	case SG__ENVELOPE__BODY_MMIO_REPLY:
		sg__mmio_reply__init(&b->mr);
		b->mr.seq = edge64();
		b->mr.status = (Sg__MmioReply__Status)below(5);
		e->mmio_reply = &b->mr;
		break;
	case SG__ENVELOPE__BODY_DURABLE:
		sg__durable__init(&b->du);
		b->du.seq = edge64();
		e->durable = &b->du;
		break;
	default:
		sg__hello__init(&b->hello);
		sg_shape_to_hello(s, &b->hello, &b->am);
		b->hello.proto_version = SG_PROTO_VERSION;
		e->body_case = SG__ENVELOPE__BODY_HELLO;
		e->hello = &b->hello;
		break;
	}
}

/* clang-format off */
static const Sg__Envelope__BodyCase bus_bodies[] = {
	SG__ENVELOPE__BODY_SPI_LEVEL,	SG__ENVELOPE__BODY_SPI_LEVEL, SG__ENVELOPE__BODY_MSI,
	SG__ENVELOPE__BODY_DEACTIVATED, SG__ENVELOPE__BODY_QUERY_REPLY,
	SG__ENVELOPE__BODY_SYNC_DONE,	SG__ENVELOPE__BODY_CPU_STATE, SG__ENVELOPE__BODY_RESYNC,
	SG__ENVELOPE__BODY_ACK,
};
/* clang-format on */
/* clang-format off */
static const Sg__Envelope__BodyCase other_bodies[] = {
	SG__ENVELOPE__BODY_DELIVER, SG__ENVELOPE__BODY_MMIO_REPLY, SG__ENVELOPE__BODY_DURABLE,
	SG__ENVELOPE__BODY_HELLO,   SG__ENVELOPE__BODY_MMIO,
};
/* clang-format on */

static Sg__Envelope__BodyCase pick_body(enum sg_chan_kind kind)
{
	if (chance(8))
		return other_bodies[below(sizeof(other_bodies) / sizeof(other_bodies[0]))];
	if (kind == SG_CHAN_MMIO)
		return chance(85) ? SG__ENVELOPE__BODY_MMIO : SG__ENVELOPE__BODY_MSI;
	return bus_bodies[below(sizeof(bus_bodies) / sizeof(bus_bodies[0]))];
}

static bool body_sequenced(Sg__Envelope__BodyCase b)
{
	return sg_wire_body_is_sequenced(b);
}

/* A well-formed-ish message for a channel, packed; its length. */
static size_t gen_message(const struct sg_vm_shape *s, enum sg_chan_kind kind, uint64_t *next,
			  unsigned char *buf, size_t cap, bool *in_seq)
{
	bool dummy;
	struct gen_bufs b, inner_b[8];
	Sg__Envelope e, inner[SG_WIRE_MAX_BATCH + 8], *inner_p[SG_WIRE_MAX_BATCH + 8];
	Sg__Batch batch = SG__BATCH__INIT;
	ssize_t n;

	if (!in_seq)
		in_seq = &dummy;
	*in_seq = true;
	sg_envelope_init(&e);
	if (chance(3))
		e.version = edge32();
	if (kind == SG_CHAN_BUS && chance(20)) {
		/* A Batch: runs of in-sequence messages, now and then a broken one. */
		unsigned nm = chance(90) ? 1 + (unsigned)below(12)
					 : (unsigned)(chance(50) ? 256 + below(3) : below(2));

		for (unsigned i = 0; i < nm; i++) {
			struct gen_bufs *ib = &inner_b[i % 8];

			sg_envelope_init(&inner[i]);
			gen_body(s, &inner[i], ib,
				 chance(95) ? bus_bodies[below(7)] : pick_body(kind));
			/* Share the body structs of 8 slots: packing copies them. */
			if (body_sequenced(inner[i].body_case)) {
				if (chance(95)) {
					inner[i].seq = (*next)++;
				} else {
					inner[i].seq = pick_seq(*next);
					*in_seq = false;
				}
			}
			if (chance(2))
				inner[i].version = edge32();
			inner_p[i] = &inner[i];
		}
		batch.n_msgs = nm;
		batch.msgs = inner_p;
		e.body_case = SG__ENVELOPE__BODY_BATCH;
		e.batch = &batch;
		e.seq = chance(95) ? 0 : edge64();
		if (e.seq)
			*in_seq = false;
	} else {
		gen_body(s, &e, &b, pick_body(kind));
		if (body_sequenced(e.body_case))
			e.seq = pick_seq(*next);
		else if (chance(5))
			e.seq = edge64();
		*in_seq = body_sequenced(e.body_case) ? e.seq == *next : e.seq == 0;
		if (e.seq == *next)
			(*next)++;
	}
	n = sg_wire_pack(&e, buf, cap);
	if (n < 0) {
		/* Too big for SG_WIRE_MAX (a huge batch): pack without the cap. */
		size_t len = sg__envelope__get_packed_size(&e);

		if (len > cap)
			return 0;
		return sg__envelope__pack(&e, buf);
	}
	return (size_t)n;
}

/* Byte-level mutations of a packed message; returns the new length. */
static size_t mutate(unsigned char *buf, size_t len, size_t cap, const unsigned char *other,
		     size_t olen)
{
	unsigned rounds = 1 + (unsigned)below(4);

	for (unsigned r = 0; r < rounds; r++) {
		switch (below(9)) {
		case 0: /* bit flips */
			for (unsigned i = 0, k = 1 + (unsigned)below(8); len && i < k; i++)
				buf[below(len)] ^= (unsigned char)(1u << below(8));
			break;
		case 1: /* an interesting byte */
			if (len) {
				/* clang-format off */
				static const unsigned char ib[] = { 0x00, 0x01, 0x7F, 0x80,
								    0xFF, 0x08, 0x10, 0x0A };
				/* clang-format on */
				buf[below(len)] = ib[below(sizeof(ib))];
			}
			break;
		case 2: /* truncation */
			if (len)
				len = below(len);
			break;
		case 3: /* extension with random bytes */
			for (unsigned i = 0, k = 1 + (unsigned)below(16); i < k && len < cap; i++)
				buf[len++] = (unsigned char)rnd();
			break;
		case 4: /* splice: our head, the other's tail */
			if (olen) {
				size_t at = below(len + 1), from = below(olen);
				size_t k = olen - from;

				if (at + k > cap)
					k = cap - at;
				memcpy(buf + at, other + from, k);
				len = at + k;
			}
			break;
		case 5: /* an unknown field appended (kept by protobuf-c) */
			if (len + 4 <= cap) {
				buf[len++] = 0xC0 | (unsigned char)below(8);
				buf[len++] = 0x0C;
				buf[len++] = (unsigned char)below(3);
				buf[len++] = 0x00;
			}
			break;
		case 6: /* a huge varint length */
			if (len + 11 <= cap) {
				buf[len++] = 0x82;
				buf[len++] = 0x07;
				for (unsigned i = 0; i < 8; i++)
					buf[len++] = 0xFF;
				buf[len++] = 0x01;
			}
			break;
		case 7: /* repeat a chunk */
			if (len) {
				size_t from = below(len), k = 1 + below(len - from);

				if (len + k <= cap) {
					memcpy(buf + len, buf + from, k);
					len += k;
				}
			}
			break;
		default: /* swap two bytes */
			if (len > 1) {
				size_t i = below(len), j = below(len);
				unsigned char t = buf[i];

				buf[i] = buf[j];
				buf[j] = t;
			}
			break;
		}
	}
	return len;
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

static void add_fds(struct action *a, unsigned n, bool good)
{
	a->nfds = (uint16_t)(n > MAX_FDSPEC ? MAX_FDSPEC : n);
	for (unsigned i = 0; i < a->nfds; i++)
		a->fds[i] = good ? FD_SEQ : (uint8_t)below(FD_NR_KINDS);
}

/* A Hello for the control socket: a shape, RAM regions, fds of some kinds. */
static void gen_hello(struct fcase *c, bool fresh)
{
	struct sg_vm_shape s;
	Sg__Hello h = SG__HELLO__INIT;
	Sg__AddressMap am;
	Sg__RamRegion rr[4], *rrp[4];
	Sg__Envelope e;
	unsigned char buf[SG_WIRE_MAX * 2], other[SG_WIRE_MAX];
	unsigned nram = (unsigned)below(3), nram_fds = nram;
	ssize_t n;
	size_t len;
	struct action *a;

	fvm_shape(&s);
	s.nr_vcpus = chance(80) ? 1 + (unsigned)below(4) : (unsigned)below(200);
	for (unsigned i = 0; i < s.nr_vcpus && i < SG_MAX_VCPUS; i++)
		s.mpidr[i] = chance(97) ? i : edge64();
	if (s.nr_vcpus > SG_MAX_VCPUS)
		s.nr_vcpus = SG_MAX_VCPUS;
	if (chance(15))
		s.nr_spis = edge32();
	if (chance(10))
		s.lr_count = edge32();
	if (chance(10))
		s.map.gicd_base = chance(50) ? edge64() : RAM_GPA;
	sg_shape_to_hello(&s, &h, &am);
	h.proto_version = chance(95) ? SG_PROTO_VERSION : edge32();
	h.vm_name = (char *)(chance(80) ? "fuzz" : chance(50) ? "" : "other");
	for (unsigned i = 0; i < nram; i++) {
		sg__ram_region__init(&rr[i]);
		rr[i].gpa = chance(85) ? RAM_GPA + i * RAM_SIZE : edge64();
		rr[i].size = chance(85) ? RAM_SIZE : edge64();
		rr[i].fd_index = chance(90) ? i : edge32();
		rr[i].fd_offset = chance(90) ? 0 : edge64();
		rrp[i] = &rr[i];
	}
	h.n_ram = nram;
	h.ram = rrp;
	if (chance(10))
		nram_fds = (unsigned)below(20);
	h.nr_ram_fds = nram_fds;
	if (chance(10)) {
		h.resume_token.data = (uint8_t *)"0123456789abcdef0123456789abcdef";
		h.resume_token.len = chance(50) ? 32 : below(33);
	}
	sg_envelope_init(&e);
	e.body_case = SG__ENVELOPE__BODY_HELLO;
	e.hello = &h;
	if (chance(5))
		e.seq = edge64();
	if (chance(3))
		e.version = edge32();
	n = sg_wire_pack(&e, buf, SG_WIRE_MAX);
	len = n > 0 ? (size_t)n : 0;
	if (chance(fresh ? 15 : 30)) {
		struct sg_vm_shape o;
		uint64_t nx = 1;
		size_t olen;

		fvm_shape(&o);
		olen = gen_message(&o, SG_CHAN_BUS, &nx, other, sizeof(other), NULL);
		len = mutate(buf, len, SG_WIRE_MAX, other, olen);
	}
	if (chance(3)) /* oversized */
		len = SG_WIRE_MAX + 1 + below(SG_WIRE_MAX / 2);
	a = case_add(c, ACT_HELLO, buf, len);
	if (!a)
		return;
	/* The fds: mostly the right count of channel sockets then memfds,
	 * with now and then a wrong kind, count or duplicate. */
	{
		unsigned nch = s.nr_vcpus + 1, want = nch + nram_fds;

		if (chance(8))
			want = (unsigned)below(MAX_FDSPEC);
		if (chance(2))
			want = SG_WIRE_MAX_FDS;
		a->nfds = (uint16_t)(want > MAX_FDSPEC ? MAX_FDSPEC : want);
		for (unsigned i = 0; i < a->nfds; i++)
			a->fds[i] = i < nch ? FD_SEQ : chance(70) ? FD_MEMFD_OK : FD_MEMFD_SMALL;
		for (unsigned i = 0, k = (unsigned)below(3); a->nfds && i < k; i++)
			a->fds[below(a->nfds)] = (uint8_t)below(FD_NR_KINDS);
	}
	if (chance(10))
		a->flags |= HF_CREDS;
	if (chance(5))
		a->flags |= HF_NO_WAIT;
	if (chance(3))
		a->flags |= HF_SHUT_WR;
	if (chance(3))
		a->flags |= HF_NOTHING;
}

void gen_case(struct fcase *c, const struct fvm *v, uint64_t seed, uint64_t index)
{
	unsigned total = 0, w, k = 0;
	uint64_t next[SG_MAX_VCPUS + 1];
	unsigned nch = v->shape.nr_vcpus + 1;

	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->index = index;
	rng_state = seed ^ (index * 0xD1B54A32D192ED03ull);
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
