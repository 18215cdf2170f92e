// SPDX-License-Identifier: MIT
/*
 * gicctl dump dist|its|vcpu N: the live core's interrupts and the ITS
 * tables, as DistDump / ItsDump / VcpuDump (proto/admin_dump.proto).
 *
 * A dump is built and queued in one go on the event loop (it reflects one
 * instant of the VM).  What does not fit one datagram is split: items are
 * added to the current part until the next would take it over
 * ADMIN_REPLY_BUDGET (or PART_MAX_ITEMS), then the part goes out with
 * more = true and the next one starts.  The ITS tables are read from guest
 * RAM only through its_dump.h, which bounds every walk (its_dump.h says
 * how); the cost of a dump is therefore bounded whatever the guest wrote.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin_handlers.h"
#include "dist_route.h"
#include "dist_spi.h"
#include "its_dump.h"
#include "server_internal.h"

/*
 * Weight of the items one part carries at most (all repeated fields
 * together).  Why: the client decodes each datagram into an
 * SG_WIRE_ARENA_SIZE (256 KiB) arena, where a small item costs a struct, a
 * pointer and protobuf-c's bookkeeping (about 100-140 bytes, measured)
 * although it takes only a few bytes on the wire.  An SpiDump weighs
 * SPI_WEIGHT: with more than 16 fields set, protobuf-c's unpacker also
 * takes a 1 KiB scratch slab from the allocator for it, and the arena never
 * frees.  So a part needs at most about 140 KiB there.
 */
#define PART_MAX_ITEMS 1024u
#define SPI_WEIGHT     8u
/* Bytes the enclosing messages' length prefixes may grow by as a part
 * fills up (three levels of nesting, at most two bytes each). */
#define PART_SLACK 16u
/* ICIDs: the implemented width (GITS_TYPER.CIDbits + 1). */
#define NR_ICIDS (1u << ITS_ICID_BITS)
#define NO_VCPU	 0xFFu

/* ------------------------------------------------------------- parts */

/* One reply being filled, and where its items live until it is sent. */
struct part {
	struct admin_conn *c;
	Sg__AdminReply r;
	size_t base;  /* packed size of r as it was when the part started */
	size_t bytes; /* what the items added since */
	unsigned n;   /* weight of the items in the part */
	int err;      /* admin_send() failed: the dump is abandoned */
	void (*reset)(struct part *p);
};

/* What a sub-message adds as a field numbered below 16: tag, length, body. */
static size_t field_bytes(const void *m)
{
	return admin_field_size(protobuf_c_message_get_packed_size(m));
}

static void part_start(struct part *p)
{
	p->base = admin_reply_size(&p->r);
	p->bytes = 0;
	p->n = 0;
}

/* Sends the part (more: another follows) and starts the next one empty. */
static void part_send(struct part *p, bool more)
{
	int rc;

	if (p->err)
		return;
	p->r.more = more;
	rc = admin_send(p->c, &p->r);
	if (rc < 0) {
		p->err = rc;
		sg_notice("admin: pid %d: dump abandoned: %s", (int)admin_conn_peer(p->c)->pid,
			  rc == -ENOBUFS ? "the client does not read its replies" : strerror(-rc));
		return;
	}
	p->reset(p);
	part_start(p);
}

/*
 * Makes room for a sub-message of add bytes; false if the dump is
 * abandoned.  The caller then adds it and calls part_added().
 */
static bool part_room_w(struct part *p, size_t add, unsigned weight)
{
	if (p->err)
		return false;
	if (p->n + weight > PART_MAX_ITEMS ||
	    p->base + p->bytes + add + PART_SLACK > ADMIN_REPLY_BUDGET)
		part_send(p, true);
	return !p->err;
}

static bool part_room(struct part *p, size_t add)
{
	return part_room_w(p, add, 1);
}

static void part_added_w(struct part *p, size_t add, unsigned weight)
{
	p->bytes += add;
	p->n += weight;
}

static void part_added(struct part *p, size_t add)
{
	part_added_w(p, add, 1);
}

/* Item storage for one part: PART_MAX_ITEMS structs and their pointers. */
#define ITEMS(type, name)                                                                          \
	type name##_buf[PART_MAX_ITEMS];                                                           \
	type *name##_ptr[PART_MAX_ITEMS]

/* ------------------------------------------------------------- SPIs */

/* The vCPU routing names for s now; for 1-of-N the next round-robin
 * choice (route_pick() without moving the cursor); -1 none. */
static int spi_target(const struct dist *d, const struct dist_spi *s)
{
	unsigned n = d->shape->nr_vcpus;

	if (!(s->irouter & GICD_IROUTER_IRM))
		return sg_vcpu_by_affinity(d->shape, s->irouter & GICD_IROUTER_AFF_MASK);
	for (unsigned i = 1; i <= n; i++) {
		unsigned v = (d->route.last + i) % n;

		if (route_eligible(d, v, s->group1))
			return (int)v;
	}
	return -1;
}

static void spi_fill(const struct dist *d, unsigned i, Sg__SpiDump *o)
{
	const struct dist_spi *s = &d->spi[i];

	sg__spi_dump__init(o);
	o->intid = GIC_SPI_BASE + i;
	o->enabled = s->enabled;
	o->group1 = s->group1;
	o->priority = s->priority;
	o->edge = s->edge;
	o->latch = s->latch;
	o->line = s->line;
	o->msg_line = s->msg_line;
	o->pending = spi_held_pending(s);
	o->active = s->active;
	o->irouter = s->irouter;
	o->target = spi_target(d, s);
	o->owned = s->owned;
	o->owner = s->owner;
	o->gen = s->gen;
	o->own_gen = s->own_gen;
	o->latch_gen = s->latch_gen;
	o->owner_line = s->owner_line;
	o->owner_latch = s->owner_latch;
}

/* ------------------------------------------------------------- dist */

struct dist_part {
	struct part p;
	Sg__DistDump dd;
	ITEMS(Sg__SpiDump, spi);
};

static void dist_reset(struct part *p)
{
	struct dist_part *dp = (struct dist_part *)p;

	dp->dd.regs = NULL;
	dp->dd.n_spis = 0;
}

static void dump_dist(struct admin_conn *c, struct gic_core *core)
{
	struct dist_part *dp = calloc(1, sizeof(*dp));
	struct dist *d = &core->dist;
	Sg__DistRegs regs = SG__DIST_REGS__INIT;
	uint64_t v;

	if (!dp) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED, "out of memory");
		return;
	}
	dist_mmio_read(d, 0, GICD_CTLR, 4, &v);
	regs.ctlr = (uint32_t)v;
	dist_mmio_read(d, 0, GICD_TYPER, 4, &v);
	regs.typer = (uint32_t)v;
	dist_mmio_read(d, 0, GICD_IIDR, 4, &v);
	regs.iidr = (uint32_t)v;
	regs.nr_spis = d->nr_spis;
	regs.nr_vcpus = core->shape.nr_vcpus;
	regs.rr_last = d->route.last;

	sg__dist_dump__init(&dp->dd);
	dp->dd.regs = &regs;
	dp->dd.spis = dp->spi_ptr;
	dp->p = (struct part){ .c = c, .reset = dist_reset };
	sg__admin_reply__init(&dp->p.r);
	dp->p.r.rep_case = SG__ADMIN_REPLY__REP_DIST;
	dp->p.r.dist = &dp->dd;
	part_start(&dp->p);
	for (unsigned i = 0; i < d->nr_spis; i++) {
		Sg__SpiDump s;
		size_t add;

		spi_fill(d, i, &s);
		add = field_bytes(&s);
		if (!part_room_w(&dp->p, add, SPI_WEIGHT))
			break;
		dp->spi_buf[dp->dd.n_spis] = s;
		dp->spi_ptr[dp->dd.n_spis] = &dp->spi_buf[dp->dd.n_spis];
		dp->dd.n_spis++;
		part_added_w(&dp->p, add, SPI_WEIGHT);
	}
	part_send(&dp->p, false);
	free(dp);
}

/* ------------------------------------------------------------- ITS */

static void baser_fill(const struct its *its, unsigned n, Sg__ItsBaser *o)
{
	struct its_dump_baser b;

	its_dump_baser(its, n, &b);
	sg__its_baser__init(o);
	o->n = n;
	o->raw = b.raw;
	o->type = b.type;
	o->valid = b.valid;
	o->indirect = b.indirect;
	o->page_size = b.page_size;
	o->pages = b.pages;
	o->address = b.address;
	o->entry_size = b.entry_size;
	o->nr_ids = b.nr_ids;
}

/* The header of one ITS frame; the strings and BASERs live in *store. */
struct its_regs_store {
	Sg__ItsRegs regs;
	Sg__ItsBaser baser[2];
	Sg__ItsBaser *baser_ptr[2];
	char err[64];
};

static void regs_fill(const struct gic_core *core, unsigned i, struct its_regs_store *rs)
{
	const struct its *its = &core->its[i];
	Sg__ItsRegs *o = &rs->regs;

	sg__its_regs__init(o);
	o->frame_address = core->shape.map.its_base[i];
	o->ctlr = its_dump_ctlr(its);
	o->iidr = SG_IIDR;
	o->typer = its_dump_typer(its);
	o->cbaser = its->st.cbaser;
	o->cwriter = its->st.cwriter;
	o->creadr = its_dump_creadr(its);
	for (unsigned n = 0; n < 2; n++) {
		baser_fill(its, n, &rs->baser[n]);
		rs->baser_ptr[n] = &rs->baser[n];
	}
	o->n_baser = 2;
	o->baser = rs->baser_ptr;
	o->stall = (char *)its_dump_stall_name(its->st.stall);
	o->sync_wait = its->st.sync_wait;
	o->sync_vcpu = its->st.sync_vcpu;
	o->last_error = its->st.last_error;
	its_dump_error_name(its->st.last_error, rs->err, sizeof(rs->err));
	o->last_error_name = rs->err;
	o->nr_errors = its->st.nr_errors;
	o->cache_entries = its_dump_cache_entries(its);
	o->cache_capacity = ITS_CACHE_SIZE;
	o->cmdq_bytes = its_dump_cmdq_bytes(its);
}

static void scan_fill(const struct its_dump_scan *s, Sg__ItsScan *o)
{
	sg__its_scan__init(o);
	o->corrupt = s->corrupt;
	o->faults = s->faults;
	o->itt_slots = s->itt_slots;
	o->truncated = s->truncated;
	o->scan_limit = ITS_DUMP_MAX_ITT_SLOTS;
}

/* The collections of its, as an ICID -> vCPU map (NO_VCPU: not mapped). */
static void collection_map(struct its *its, uint8_t *map, struct its_dump_scan *s,
			   void (*each)(void *arg, uint32_t icid, unsigned vcpu), void *arg)
{
	uint32_t cursor = 0, icid;
	unsigned vcpu;

	memset(map, NO_VCPU, NR_ICIDS);
	while (its_dump_next_collection(its, &cursor, &icid, &vcpu, s)) {
		if (icid < NR_ICIDS && vcpu < NO_VCPU)
			map[icid] = (uint8_t)vcpu;
		if (each)
			each(arg, icid, vcpu);
	}
}

struct its_part {
	struct part p;
	Sg__ItsDump id;
	uint8_t cmap[NR_ICIDS];
	ITEMS(Sg__ItsCollection, coll);
	ITEMS(Sg__ItsDevice, dev);
	ITEMS(Sg__ItsEvent, ev);
	Sg__ItsScan scan; /* the last part's, pointed to by id.scan */
};

static void its_reset(struct part *p)
{
	struct its_part *ip = (struct its_part *)p;

	ip->id.regs = NULL;
	ip->id.scan = NULL;
	ip->id.n_collections = 0;
	ip->id.n_devices = 0;
	ip->id.n_events = 0;
}

static void its_add_collection(void *arg, uint32_t icid, unsigned vcpu)
{
	struct its_part *ip = arg;
	Sg__ItsCollection o = SG__ITS_COLLECTION__INIT;
	size_t add, k;

	o.icid = icid;
	o.vcpu = vcpu;
	add = field_bytes(&o);
	if (!part_room(&ip->p, add))
		return;
	k = ip->id.n_collections++;
	ip->coll_buf[k] = o;
	ip->coll_ptr[k] = &ip->coll_buf[k];
	part_added(&ip->p, add);
}

/* One frame: its header, collections, devices and their translations. */
static void dump_its_frame(struct its_part *ip, struct gic_core *core, unsigned i,
			   struct its_dump_scan *total, bool more)
{
	struct its *its = &core->its[i];
	struct its_dump_scan s = { .itt_slots = total->itt_slots };
	struct its_regs_store rs;
	struct its_dump_device dev;
	uint32_t dcur = 0;
	size_t add;

	regs_fill(core, i, &rs);
	ip->id.index = i;
	ip->id.regs = &rs.regs;
	part_start(&ip->p);
	collection_map(its, ip->cmap, &s, its_add_collection, ip);
	while (!ip->p.err && its_dump_next_device(its, &dcur, &dev, &s)) {
		struct its_dump_event ev;
		uint32_t ecur = 0;
		Sg__ItsDevice o = SG__ITS_DEVICE__INIT;
		size_t k;

		while (!ip->p.err && its_dump_next_event(its, &dev, &ecur, &ev, &s)) {
			Sg__ItsEvent e = SG__ITS_EVENT__INIT;

			e.device_id = dev.device_id;
			e.event_id = ev.event_id;
			e.intid = ev.intid;
			e.icid = ev.icid;
			e.vcpu = ip->cmap[ev.icid] == NO_VCPU ? -1 : ip->cmap[ev.icid];
			add = field_bytes(&e);
			if (!part_room(&ip->p, add))
				break;
			k = ip->id.n_events++;
			ip->ev_buf[k] = e;
			ip->ev_ptr[k] = &ip->ev_buf[k];
			part_added(&ip->p, add);
		}
		o.device_id = dev.device_id;
		o.itt = dev.itt;
		o.size = dev.size;
		o.nr_events = dev.nr_events;
		/* Its ITT was not read to the end: the limit was reached. */
		o.truncated = s.truncated;
		add = field_bytes(&o);
		if (!part_room(&ip->p, add))
			break;
		k = ip->id.n_devices++;
		ip->dev_buf[k] = o;
		ip->dev_ptr[k] = &ip->dev_buf[k];
		part_added(&ip->p, add);
	}
	total->corrupt += s.corrupt;
	total->faults += s.faults;
	total->truncated |= s.truncated;
	/* The limit is the request's; the frame reports its own reads. */
	s.itt_slots -= total->itt_slots;
	total->itt_slots += s.itt_slots;
	scan_fill(&s, &ip->scan);
	if (part_room(&ip->p, field_bytes(&ip->scan))) {
		ip->id.scan = &ip->scan;
		part_send(&ip->p, more);
	}
}

static void dump_its(struct admin_conn *c, struct gic_core *core, unsigned first, unsigned last)
{
	struct its_part *ip = calloc(1, sizeof(*ip));
	struct its_dump_scan total = { 0 };

	if (!ip) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED, "out of memory");
		return;
	}
	sg__its_dump__init(&ip->id);
	ip->id.collections = ip->coll_ptr;
	ip->id.devices = ip->dev_ptr;
	ip->id.events = ip->ev_ptr;
	ip->p = (struct part){ .c = c, .reset = its_reset };
	sg__admin_reply__init(&ip->p.r);
	ip->p.r.rep_case = SG__ADMIN_REPLY__REP_ITS;
	ip->p.r.its = &ip->id;
	if (first == last) {
		/* A VM with no ITS: an empty dump (one part, no frame). */
		part_start(&ip->p);
		part_send(&ip->p, false);
	}
	for (unsigned i = first; i < last && !ip->p.err; i++)
		dump_its_frame(ip, core, i, &total, i + 1 < last);
	free(ip);
}

/* ------------------------------------------------------------- vCPU */

struct vcpu_part {
	struct part p;
	Sg__VcpuDump vd;
	unsigned vcpu;
	unsigned its; /* the frame being walked */
	uint8_t cmap[NR_ICIDS];
	ITEMS(Sg__SpiDump, spi);
	ITEMS(Sg__VcpuCollection, coll);
	ITEMS(Sg__VcpuLpi, lpi);
	ITEMS(Sg__VcpuQuery, q);
	Sg__ItsScan scan; /* the last part's, pointed to by vd.scan */
};

static void vcpu_reset(struct part *p)
{
	struct vcpu_part *vp = (struct vcpu_part *)p;

	vp->vd.info = NULL;
	vp->vd.scan = NULL;
	vp->vd.n_spis = 0;
	vp->vd.n_collections = 0;
	vp->vd.n_lpis = 0;
	vp->vd.n_queries = 0;
}

static void query_fill(const struct core_read *r, unsigned reader, unsigned bit, Sg__VcpuQuery *o)
{
	const struct core_query *q = &r->q[bit];

	sg__vcpu_query__init(o);
	o->id = q->id;
	o->reader = reader;
	o->vcpu = q->vcpu;
	o->intid = r->base + bit;
	o->gen = q->gen;
	o->own_gen = q->own_gen;
}

static void channel_fill(const struct session *s, unsigned v, Sg__VcpuChannel *o)
{
	const struct channel *ch = &s->chan[v];
	uint64_t rejected = 0;

	for (unsigned k = 0; k < SG_WIRE_NR_ERRS; k++)
		rejected += ch->stats.rejects[k];
	sg__vcpu_channel__init(o);
	o->name = (char *)ch->name;
	o->received = ch->stats.rx;
	o->applied = ch->stats.applied;
	o->duplicates = ch->stats.dups;
	o->malformed = ch->stats.malformed;
	o->rejected = rejected;
	o->sent = ch->stats.tx;
	o->queued = ch->txq_len;
	o->last_applied = ch->last_applied;
	o->fence = s->fence[v].valid;
	o->fence_seq = s->fence[v].valid ? s->fence[v].seq : 0;
}

static void vcpu_add_collection(void *arg, uint32_t icid, unsigned vcpu)
{
	struct vcpu_part *vp = arg;
	Sg__VcpuCollection o = SG__VCPU_COLLECTION__INIT;
	size_t add, k;

	if (vcpu != vp->vcpu)
		return;
	o.its = vp->its;
	o.icid = icid;
	add = field_bytes(&o);
	if (!part_room(&vp->p, add))
		return;
	k = vp->vd.n_collections++;
	vp->coll_buf[k] = o;
	vp->coll_ptr[k] = &vp->coll_buf[k];
	part_added(&vp->p, add);
}

/* The translations of one ITS frame whose collection targets the vCPU. */
static void vcpu_its(struct vcpu_part *vp, struct gic_core *core, unsigned i,
		     struct its_dump_scan *s)
{
	struct its *its = &core->its[i];
	struct its_dump_device dev;
	uint32_t dcur = 0;

	vp->its = i;
	collection_map(its, vp->cmap, s, vcpu_add_collection, vp);
	while (!vp->p.err && its_dump_next_device(its, &dcur, &dev, s)) {
		struct its_dump_event ev;
		uint32_t ecur = 0;

		while (!vp->p.err && its_dump_next_event(its, &dev, &ecur, &ev, s)) {
			Sg__VcpuLpi o = SG__VCPU_LPI__INIT;
			size_t add, k;

			if (vp->cmap[ev.icid] != vp->vcpu)
				continue;
			o.its = i;
			o.device_id = dev.device_id;
			o.event_id = ev.event_id;
			o.intid = ev.intid;
			o.icid = ev.icid;
			add = field_bytes(&o);
			if (!part_room(&vp->p, add))
				break;
			k = vp->vd.n_lpis++;
			vp->lpi_buf[k] = o;
			vp->lpi_ptr[k] = &vp->lpi_buf[k];
			part_added(&vp->p, add);
		}
	}
}

static void dump_vcpu(struct admin_conn *c, struct session *sess, unsigned v)
{
	struct vcpu_part *vp = calloc(1, sizeof(*vp));
	struct gic_core *core = &sess->core;
	const struct dist *d = &core->dist;
	const struct core_read *rd = &core->reads.read[v];
	Sg__VcpuInfo info = SG__VCPU_INFO__INIT;
	Sg__VcpuChannel ch;
	Sg__VcpuRead read = SG__VCPU_READ__INIT;
	Sg__VcpuQuery rq[CORE_READ_MAX_QUERIES], *rq_ptr[CORE_READ_MAX_QUERIES];
	struct its_dump_scan s = { 0 };

	if (!vp) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED, "out of memory");
		return;
	}
	info.vcpu = v;
	info.nr_vcpus = core->shape.nr_vcpus;
	info.mpidr = core->shape.mpidr[v];
	info.grp0 = d->route.cpu[v].grp0;
	info.grp1 = d->route.cpu[v].grp1;
	info.asleep = d->route.cpu[v].asleep;
	channel_fill(sess, v, &ch);
	info.channel = &ch;
	if (rd->busy) {
		read.seq = rd->seq;
		read.offset = rd->offset;
		read.size = rd->size;
		read.base_intid = rd->base;
		read.waiting = rd->waiting;
		read.answered = rd->answered;
		read.queries = rq_ptr;
		for (unsigned bit = 0; bit < CORE_READ_MAX_QUERIES; bit++) {
			if (!(rd->waiting & (1u << bit)))
				continue;
			query_fill(rd, v, bit, &rq[read.n_queries]);
			rq_ptr[read.n_queries] = &rq[read.n_queries];
			read.n_queries++;
		}
		info.deferred_read = &read;
	}

	sg__vcpu_dump__init(&vp->vd);
	vp->vd.info = &info;
	vp->vd.spis = vp->spi_ptr;
	vp->vd.collections = vp->coll_ptr;
	vp->vd.lpis = vp->lpi_ptr;
	vp->vd.queries = vp->q_ptr;
	vp->vcpu = v;
	vp->p = (struct part){ .c = c, .reset = vcpu_reset };
	sg__admin_reply__init(&vp->p.r);
	vp->p.r.rep_case = SG__ADMIN_REPLY__REP_VCPU;
	vp->p.r.vcpu = &vp->vd;
	part_start(&vp->p);

	/* SPIs routed here (IRM=0) or in flight here. */
	for (unsigned i = 0; i < d->nr_spis && !vp->p.err; i++) {
		const struct dist_spi *sp = &d->spi[i];
		bool routed = !(sp->irouter & GICD_IROUTER_IRM) && spi_target(d, sp) == (int)v;
		Sg__SpiDump o;
		size_t add, k;

		if (!routed && !(sp->owned && sp->owner == v))
			continue;
		spi_fill(d, i, &o);
		add = field_bytes(&o);
		if (!part_room_w(&vp->p, add, SPI_WEIGHT))
			break;
		k = vp->vd.n_spis++;
		vp->spi_buf[k] = o;
		vp->spi_ptr[k] = &vp->spi_buf[k];
		part_added_w(&vp->p, add, SPI_WEIGHT);
	}
	/* Queries of parked reads (any reader's) waiting for this vCPU. */
	for (unsigned r = 0; r < core->shape.nr_vcpus && !vp->p.err; r++) {
		const struct core_read *pr = &core->reads.read[r];

		for (unsigned bit = 0; pr->busy && bit < CORE_READ_MAX_QUERIES; bit++) {
			Sg__VcpuQuery o;
			size_t add, k;

			if (!(pr->waiting & (1u << bit)) || pr->q[bit].vcpu != v)
				continue;
			query_fill(pr, r, bit, &o);
			add = field_bytes(&o);
			if (!part_room(&vp->p, add))
				break;
			k = vp->vd.n_queries++;
			vp->q_buf[k] = o;
			vp->q_ptr[k] = &vp->q_buf[k];
			part_added(&vp->p, add);
		}
	}
	for (unsigned i = 0; i < core->shape.map.nr_its && !vp->p.err; i++)
		vcpu_its(vp, core, i, &s);
	scan_fill(&s, &vp->scan);
	if (part_room(&vp->p, field_bytes(&vp->scan))) {
		vp->vd.scan = &vp->scan;
		part_send(&vp->p, false);
	}
	free(vp);
}

/* ---------------------------------------------------------- request */

void admin_dump(struct admin_conn *c, const Sg__DumpRequest *req)
{
	struct server *srv = admin_conn_server(c);
	struct session *sess = srv->session;
	struct gic_core *core;
	unsigned nr_its, nr_vcpus;

	if (!sess) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__NO_VM, "no VM is attached");
		return;
	}
	core = &sess->core;
	nr_its = core->shape.map.nr_its;
	nr_vcpus = core->shape.nr_vcpus;
	switch (req->what) {
	case SG__DUMP_REQUEST__WHAT__DIST: dump_dist(c, core); return;
	case SG__DUMP_REQUEST__WHAT__ITS:
		if (req->all_its) {
			dump_its(c, core, 0, nr_its);
			return;
		}
		if (req->its >= nr_its) {
			if (nr_its)
				admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
						 "ITS %u out of range: the VM has %u ITS (0..%u)",
						 req->its, nr_its, nr_its - 1);
			else
				admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
						 "ITS %u out of range: the VM has no ITS",
						 req->its);
			return;
		}
		dump_its(c, core, req->its, req->its + 1);
		return;
	case SG__DUMP_REQUEST__WHAT__VCPU:
		if (req->vcpu >= nr_vcpus) {
			admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
					 "vCPU %u out of range: the VM has %u vCPUs (0..%u)",
					 req->vcpu, nr_vcpus, nr_vcpus - 1);
			return;
		}
		dump_vcpu(c, sess, req->vcpu);
		return;
	default: break;
	}
	admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID, "unknown dump kind %d", (int)req->what);
}
