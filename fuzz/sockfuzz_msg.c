// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: one random message for a data channel, packed: addresses,
 * sizes and sequence numbers picked around the interesting values, a body
 * mostly among those the channel's kind carries, now and then a Batch
 * (fuzz/sockfuzz.h).
 */
#include "sockfuzz.h"

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
size_t gen_message(const struct sg_vm_shape *s, enum sg_chan_kind kind, uint64_t *next,
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
