// SPDX-License-Identifier: MIT
/*
 * gicctl dump dist [--all] | its [N] | vcpu N: the configuration and state
 * of every interrupt as the daemon holds it, and the ITS tables decoded
 * from guest RAM.  The replies (proto/admin_dump.proto; a big dump comes in
 * several parts) are merged into one JSON document, which --json prints
 * whole (gicctl/schema/dump-{dist,its,vcpu}.schema.json) and the text
 * output renders as tables.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gicctl.h"
#include "output.h"

enum kind { K_DIST, K_ITS, K_VCPU };

static void usage(FILE *f)
{
	fprintf(f, "usage: gicctl [--json] dump dist [--all]\n"
		   "       gicctl [--json] dump its [N]\n"
		   "       gicctl [--json] dump vcpu N [--all]\n\n"
		   "dist:   the distributor's registers and its SPIs; the table lists the\n"
		   "        SPIs that are configured or hold state (--all: every SPI);\n"
		   "        --json always has every SPI\n"
		   "its:    ITS frame N (default: every frame): registers, collections,\n"
		   "        devices and their interrupt translations, read from guest RAM\n"
		   "vcpu:   vCPU N: affinity, CpuState, its MMIO channel, a parked read,\n"
		   "        the SPIs routed to or held by it (the table: those configured\n"
		   "        or holding state; --all: every one), the collections and LPIs\n"
		   "        that target it\n");
}

/* ------------------------------------------------------------ JSON build */

/* -1 (none) as null. */
static void add_opt(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, v < 0 ? NULL : json_object_new_int64(v));
}

/* Aff3.Aff2.Aff1.Aff0 of an MPIDR or IROUTER value (same layout). */
static void affinity(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(v >> 32) & 0xFF, (unsigned)(v >> 16) & 0xFF,
		 (unsigned)(v >> 8) & 0xFF, (unsigned)v & 0xFF);
}

#define IROUTER_IRM (1ull << 31)

static json_object *spi_json(const Sg__SpiDump *s)
{
	json_object *o = json_object_new_object();
	char aff[32];

	affinity(s->irouter, aff, sizeof(aff));
	gicctl_add_i64(o, "intid", s->intid);
	gicctl_add_bool(o, "enabled", s->enabled);
	gicctl_add_i64(o, "group", s->group1 ? 1 : 0);
	gicctl_add_i64(o, "priority", s->priority);
	gicctl_add_str(o, "trigger", s->edge ? "edge" : "level");
	gicctl_add_bool(o, "pending", s->pending);
	gicctl_add_bool(o, "latch", s->latch);
	gicctl_add_bool(o, "line", s->line);
	gicctl_add_bool(o, "msg_line", s->msg_line);
	gicctl_add_bool(o, "active", s->active);
	gicctl_add_u64(o, "irouter", s->irouter);
	gicctl_add_bool(o, "irm", s->irouter & IROUTER_IRM);
	gicctl_add_str(o, "affinity", aff);
	add_opt(o, "target", s->target);
	gicctl_add_str(o, "state", s->owned ? "in_flight" : "idle");
	add_opt(o, "owner", s->owned ? (int64_t)s->owner : -1);
	gicctl_add_u64(o, "gen", s->gen);
	gicctl_add_u64(o, "own_gen", s->own_gen);
	gicctl_add_u64(o, "latch_gen", s->latch_gen);
	gicctl_add_bool(o, "owner_line", s->owner_line);
	gicctl_add_bool(o, "owner_latch", s->owner_latch);
	return o;
}

static json_object *scan_json(const Sg__ItsScan *s)
{
	json_object *o = json_object_new_object();

	gicctl_add_u64(o, "itt_entries_read", s->itt_slots);
	gicctl_add_u64(o, "corrupt", s->corrupt);
	gicctl_add_u64(o, "faults", s->faults);
	gicctl_add_bool(o, "truncated", s->truncated);
	gicctl_add_u64(o, "itt_read_limit", s->scan_limit);
	return o;
}

static json_object *query_json(const Sg__VcpuQuery *q)
{
	json_object *o = json_object_new_object();

	gicctl_add_u64(o, "id", q->id);
	gicctl_add_i64(o, "reader", q->reader);
	gicctl_add_i64(o, "owner", q->vcpu);
	gicctl_add_i64(o, "intid", q->intid);
	gicctl_add_u64(o, "gen", q->gen);
	gicctl_add_u64(o, "own_gen", q->own_gen);
	return o;
}

/* --- dist */

static void dist_regs(json_object *doc, const Sg__DistRegs *r)
{
	gicctl_add_u64(doc, "ctlr", r->ctlr);
	gicctl_add_bool(doc, "enable_grp0", r->ctlr & 1);
	gicctl_add_bool(doc, "enable_grp1", r->ctlr & 2);
	gicctl_add_u64(doc, "typer", r->typer);
	gicctl_add_u64(doc, "iidr", r->iidr);
	gicctl_add_i64(doc, "nr_spis", r->nr_spis);
	gicctl_add_i64(doc, "nr_vcpus", r->nr_vcpus);
	gicctl_add_i64(doc, "rr_last", r->rr_last);
}

static int dist_merge(json_object *doc, const Sg__DistDump *d, bool *seen)
{
	json_object *spis;

	if (d->regs) {
		if (*seen)
			return -1;
		*seen = true;
		dist_regs(doc, d->regs);
		json_object_object_add(doc, "spis", json_object_new_array());
	} else if (!*seen) {
		return -1;
	}
	json_object_object_get_ex(doc, "spis", &spis);
	for (size_t i = 0; i < d->n_spis; i++)
		json_object_array_add(spis, spi_json(d->spis[i]));
	return 0;
}

/* --- ITS */

static const char *baser_type(unsigned t)
{
	switch (t) {
	case 1: return "devices";
	case 4: return "collections";
	case 0: return "none";
	}
	return "other";
}

static json_object *its_regs_json(unsigned index, const Sg__ItsRegs *r)
{
	json_object *o = json_object_new_object(), *b, *arr = json_object_new_array();

	gicctl_add_i64(o, "index", index);
	gicctl_add_u64(o, "frame_address", r->frame_address);
	gicctl_add_u64(o, "ctlr", r->ctlr);
	gicctl_add_bool(o, "enabled", r->ctlr & 1);
	gicctl_add_bool(o, "quiescent", r->ctlr & (1u << 31));
	gicctl_add_u64(o, "iidr", r->iidr);
	gicctl_add_u64(o, "typer", r->typer);

	b = json_object_new_object();
	gicctl_add_u64(b, "raw", r->cbaser);
	gicctl_add_bool(b, "valid", r->cbaser >> 63);
	gicctl_add_u64(b, "address", r->cbaser & 0x000FFFFFFFFFF000ull);
	gicctl_add_u64(b, "pages", (r->cbaser & 0xFF) + 1);
	gicctl_add_u64(b, "bytes", r->cmdq_bytes);
	json_object_object_add(o, "cbaser", b);

	b = json_object_new_object();
	gicctl_add_u64(b, "raw", r->creadr);
	gicctl_add_u64(b, "offset", r->creadr & 0xFFFE0ull);
	gicctl_add_bool(b, "stalled", r->creadr & 1);
	json_object_object_add(o, "creadr", b);

	b = json_object_new_object();
	gicctl_add_u64(b, "raw", r->cwriter);
	gicctl_add_u64(b, "offset", r->cwriter & 0xFFFE0ull);
	json_object_object_add(o, "cwriter", b);

	for (size_t i = 0; i < r->n_baser; i++) {
		const Sg__ItsBaser *s = r->baser[i];

		b = json_object_new_object();
		gicctl_add_i64(b, "n", s->n);
		gicctl_add_u64(b, "raw", s->raw);
		gicctl_add_str(b, "type", baser_type(s->type));
		gicctl_add_bool(b, "valid", s->valid);
		gicctl_add_bool(b, "indirect", s->indirect);
		gicctl_add_u64(b, "page_size", s->page_size);
		gicctl_add_u64(b, "pages", s->pages);
		gicctl_add_u64(b, "address", s->address);
		gicctl_add_u64(b, "entry_size", s->entry_size);
		gicctl_add_u64(b, "nr_ids", s->nr_ids);
		json_object_array_add(arr, b);
	}
	json_object_object_add(o, "basers", arr);
	gicctl_add_str(o, "stall", r->stall);
	gicctl_add_bool(o, "sync_wait", r->sync_wait);
	add_opt(o, "sync_vcpu", r->sync_wait ? (int64_t)r->sync_vcpu : -1);
	gicctl_add_u64(o, "last_error", r->last_error);
	gicctl_add_str(o, "last_error_name", r->last_error_name);
	gicctl_add_u64(o, "nr_errors", r->nr_errors);
	b = json_object_new_object();
	gicctl_add_u64(b, "entries", r->cache_entries);
	gicctl_add_u64(b, "capacity", r->cache_capacity);
	json_object_object_add(o, "cache", b);
	json_object_object_add(o, "collections", json_object_new_array());
	json_object_object_add(o, "devices", json_object_new_array());
	return o;
}

/* Merging state of an ITS dump: the frame being received, and its events
 * by DeviceID until the device entry (sent after them) arrives. */
struct its_merge {
	json_object *frame;  /* NULL between frames */
	json_object *events; /* object: "DeviceID" -> array */
	unsigned index;
};

static json_object *events_of(struct its_merge *m, uint32_t device_id)
{
	json_object *a;
	char key[16];

	snprintf(key, sizeof(key), "%u", device_id);
	if (!json_object_object_get_ex(m->events, key, &a)) {
		a = json_object_new_array();
		json_object_object_add(m->events, key, a);
	}
	return a;
}

static int its_merge(json_object *doc, struct its_merge *m, const Sg__ItsDump *d)
{
	json_object *arr, *a;

	if (d->regs) {
		if (m->frame)
			return -1;
		m->frame = its_regs_json(d->index, d->regs);
		m->events = json_object_new_object();
		m->index = d->index;
		json_object_object_get_ex(doc, "its", &arr);
		json_object_array_add(arr, m->frame);
	} else if (!m->frame) {
		/* A VM without an ITS: one empty part and nothing else. */
		return d->n_collections || d->n_devices || d->n_events || d->scan ? -1 : 0;
	}
	if (d->index != m->index)
		return -1;
	json_object_object_get_ex(m->frame, "collections", &arr);
	for (size_t i = 0; i < d->n_collections; i++) {
		a = json_object_new_object();
		gicctl_add_i64(a, "icid", d->collections[i]->icid);
		gicctl_add_i64(a, "vcpu", d->collections[i]->vcpu);
		json_object_array_add(arr, a);
	}
	for (size_t i = 0; i < d->n_events; i++) {
		const Sg__ItsEvent *e = d->events[i];

		a = json_object_new_object();
		gicctl_add_i64(a, "event_id", e->event_id);
		gicctl_add_i64(a, "intid", e->intid);
		gicctl_add_i64(a, "icid", e->icid);
		add_opt(a, "vcpu", e->vcpu);
		json_object_array_add(events_of(m, e->device_id), a);
	}
	json_object_object_get_ex(m->frame, "devices", &arr);
	for (size_t i = 0; i < d->n_devices; i++) {
		const Sg__ItsDevice *dev = d->devices[i];

		a = json_object_new_object();
		gicctl_add_i64(a, "device_id", dev->device_id);
		gicctl_add_u64(a, "itt", dev->itt);
		gicctl_add_i64(a, "size", dev->size);
		gicctl_add_i64(a, "nr_events", dev->nr_events);
		gicctl_add_bool(a, "truncated", dev->truncated);
		json_object_object_add(a, "events", json_object_get(events_of(m, dev->device_id)));
		json_object_array_add(arr, a);
	}
	if (d->scan) {
		json_object_object_add(m->frame, "scan", scan_json(d->scan));
		json_object_put(m->events);
		m->events = NULL;
		m->frame = NULL;
	}
	return 0;
}

/* --- vCPU */

static void vcpu_info(json_object *doc, const Sg__VcpuInfo *in)
{
	json_object *o;
	char aff[32];

	affinity(in->mpidr, aff, sizeof(aff));
	gicctl_add_i64(doc, "vcpu", in->vcpu);
	gicctl_add_i64(doc, "nr_vcpus", in->nr_vcpus);
	gicctl_add_u64(doc, "mpidr", in->mpidr);
	gicctl_add_str(doc, "affinity", aff);
	o = json_object_new_object();
	gicctl_add_bool(o, "grp0", in->grp0);
	gicctl_add_bool(o, "grp1", in->grp1);
	gicctl_add_bool(o, "asleep", in->asleep);
	json_object_object_add(doc, "cpu_state", o);
	o = json_object_new_object();
	if (in->channel) {
		const Sg__VcpuChannel *c = in->channel;

		gicctl_add_str(o, "name", c->name);
		gicctl_add_u64(o, "received", c->received);
		gicctl_add_u64(o, "applied", c->applied);
		gicctl_add_u64(o, "duplicates", c->duplicates);
		gicctl_add_u64(o, "malformed", c->malformed);
		gicctl_add_u64(o, "rejected", c->rejected);
		gicctl_add_u64(o, "sent", c->sent);
		gicctl_add_u64(o, "queued", c->queued);
		gicctl_add_u64(o, "last_applied", c->last_applied);
		add_opt(o, "fence_seq", c->fence ? (int64_t)c->fence_seq : -1);
	}
	json_object_object_add(doc, "channel", o);
	o = NULL;
	if (in->deferred_read) {
		const Sg__VcpuRead *r = in->deferred_read;
		json_object *q = json_object_new_array();

		o = json_object_new_object();
		gicctl_add_u64(o, "seq", r->seq);
		gicctl_add_u64(o, "offset", r->offset);
		gicctl_add_i64(o, "size", r->size);
		gicctl_add_i64(o, "base_intid", r->base_intid);
		gicctl_add_u64(o, "waiting", r->waiting);
		gicctl_add_u64(o, "answered", r->answered);
		for (size_t i = 0; i < r->n_queries; i++)
			json_object_array_add(q, query_json(r->queries[i]));
		json_object_object_add(o, "queries", q);
	}
	json_object_object_add(doc, "deferred_read", o);
}

static int vcpu_merge(json_object *doc, const Sg__VcpuDump *d, bool *seen, bool *done)
{
	json_object *arr, *a;

	if (*done)
		return -1;
	if (d->info) {
		if (*seen)
			return -1;
		*seen = true;
		vcpu_info(doc, d->info);
		json_object_object_add(doc, "spis", json_object_new_array());
		json_object_object_add(doc, "queries", json_object_new_array());
		json_object_object_add(doc, "collections", json_object_new_array());
		json_object_object_add(doc, "lpis", json_object_new_array());
	} else if (!*seen) {
		return -1;
	}
	json_object_object_get_ex(doc, "spis", &arr);
	for (size_t i = 0; i < d->n_spis; i++)
		json_object_array_add(arr, spi_json(d->spis[i]));
	json_object_object_get_ex(doc, "queries", &arr);
	for (size_t i = 0; i < d->n_queries; i++)
		json_object_array_add(arr, query_json(d->queries[i]));
	json_object_object_get_ex(doc, "collections", &arr);
	for (size_t i = 0; i < d->n_collections; i++) {
		a = json_object_new_object();
		gicctl_add_i64(a, "its", d->collections[i]->its);
		gicctl_add_i64(a, "icid", d->collections[i]->icid);
		json_object_array_add(arr, a);
	}
	json_object_object_get_ex(doc, "lpis", &arr);
	for (size_t i = 0; i < d->n_lpis; i++) {
		const Sg__VcpuLpi *l = d->lpis[i];

		a = json_object_new_object();
		gicctl_add_i64(a, "its", l->its);
		gicctl_add_i64(a, "device_id", l->device_id);
		gicctl_add_i64(a, "event_id", l->event_id);
		gicctl_add_i64(a, "intid", l->intid);
		gicctl_add_i64(a, "icid", l->icid);
		json_object_array_add(arr, a);
	}
	if (d->scan) {
		json_object_object_add(doc, "scan", scan_json(d->scan));
		*done = true;
	}
	return 0;
}

/* ------------------------------------------------------------ text output */

static int64_t geti(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static uint64_t getu(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_uint64(v) : 0;
}

static bool getb(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static const char *gets(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

static bool isnull(json_object *o, const char *k)
{
	json_object *v;

	return !json_object_object_get_ex(o, k, &v) || !v;
}

static json_object *geta(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static size_t alen(json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

/* Not at its reset state: configured, or holding state. */
static bool spi_interesting(json_object *s)
{
	return getb(s, "enabled") || geti(s, "group") != 1 || geti(s, "priority") ||
	       strcmp(gets(s, "trigger"), "edge") == 0 || getb(s, "latch") || getb(s, "line") ||
	       getb(s, "msg_line") || getb(s, "active") || getu(s, "irouter") ||
	       strcmp(gets(s, "state"), "idle") != 0;
}

static void spi_header(void)
{
	printf("INTID  EN  GRP  PRIO  CFG    PEND  LINE  ACT  ROUTE            TARGET  STATE\n");
}

static void spi_row(json_object *s)
{
	char route[32], target[16], state[48], line[4] = "0";

	if (getb(s, "irm"))
		snprintf(route, sizeof(route), "1-of-N");
	else
		snprintf(route, sizeof(route), "%s", gets(s, "affinity"));
	if (isnull(s, "target"))
		snprintf(target, sizeof(target), "-");
	else
		snprintf(target, sizeof(target), "%" PRId64, geti(s, "target"));
	if (strcmp(gets(s, "state"), "idle") == 0)
		snprintf(state, sizeof(state), "idle");
	else
		snprintf(state, sizeof(state), "vcpu%" PRId64 " gen %" PRIu64, geti(s, "owner"),
			 getu(s, "gen"));
	if (getb(s, "line") && getb(s, "msg_line"))
		snprintf(line, sizeof(line), "1m");
	else if (getb(s, "msg_line"))
		snprintf(line, sizeof(line), "m");
	else if (getb(s, "line"))
		snprintf(line, sizeof(line), "1");
	printf("%5" PRId64 "  %2d  %3" PRId64 "  0x%02" PRIx64
	       "  %-5s  %4d  %4s  %3d  %-15s  %6s  %s\n",
	       geti(s, "intid"), getb(s, "enabled"), geti(s, "group"), geti(s, "priority"),
	       gets(s, "trigger"), getb(s, "pending"), line, getb(s, "active"), route, target,
	       state);
}

static void print_dist(json_object *doc, bool all)
{
	json_object *spis = geta(doc, "spis");
	uint64_t ctlr = getu(doc, "ctlr"), typer = getu(doc, "typer");
	int64_t n = geti(doc, "nr_spis");
	size_t shown = 0;

	printf("GICD_CTLR   0x%08" PRIx64 "  EnableGrp0 %d, EnableGrp1 %d, ARE %d, DS %d\n", ctlr,
	       (int)(ctlr & 1), (int)(ctlr >> 1 & 1), (int)(ctlr >> 4 & 1), (int)(ctlr >> 6 & 1));
	printf("GICD_TYPER  0x%08" PRIx64 "  ITLinesNumber %d, MBIS %d, LPIS %d, IDbits %d, "
	       "A3V %d, No1N %d, RSS %d\n",
	       typer, (int)(typer & 0x1F), (int)(typer >> 16 & 1), (int)(typer >> 17 & 1),
	       (int)(typer >> 19 & 0x1F), (int)(typer >> 24 & 1), (int)(typer >> 25 & 1),
	       (int)(typer >> 26 & 1));
	printf("GICD_IIDR   0x%08" PRIx64 "\n", getu(doc, "iidr"));
	for (size_t i = 0; i < alen(spis); i++)
		shown += all || spi_interesting(json_object_array_get_idx(spis, i));
	if (all)
		printf("SPIs: %" PRId64 " (INTIDs 32..%" PRId64 "), vCPUs: %" PRId64 "\n", n,
		       31 + n, geti(doc, "nr_vcpus"));
	else
		printf("SPIs: %" PRId64 " (INTIDs 32..%" PRId64 "), vCPUs: %" PRId64
		       "; %zu configured or holding state (--all: every SPI)\n",
		       n, 31 + n, geti(doc, "nr_vcpus"), shown);
	if (!shown)
		return;
	printf("\n");
	spi_header();
	for (size_t i = 0; i < alen(spis); i++) {
		json_object *s = json_object_array_get_idx(spis, i);

		if (all || spi_interesting(s))
			spi_row(s);
	}
}

static void print_scan(json_object *scan, const char *indent)
{
	if (!scan)
		return;
	printf("%sscan: %" PRIu64 " ITT entries read; corrupt entries: %" PRIu64
	       "; entries not in guest RAM: %" PRIu64 "%s\n",
	       indent, getu(scan, "itt_entries_read"), getu(scan, "corrupt"), getu(scan, "faults"),
	       getb(scan, "truncated") ? "; TRUNCATED: the ITT read limit was reached" : "");
}

static const char *page_name(uint64_t p)
{
	return p == 4096 ? "4K" : p == 16384 ? "16K" : p == 65536 ? "64K" : "?";
}

static void print_its_frame(json_object *f)
{
	json_object *cb = geta(f, "cbaser"), *cr = geta(f, "creadr"), *cw = geta(f, "cwriter");
	json_object *basers = geta(f, "basers"), *colls = geta(f, "collections");
	json_object *devs = geta(f, "devices"), *cache = geta(f, "cache");
	uint64_t typer = getu(f, "typer");
	size_t nev = 0;

	printf("ITS %" PRId64 " at 0x%08" PRIx64 "\n", geti(f, "index"), getu(f, "frame_address"));
	printf("  GITS_CTLR    0x%08" PRIx64 "          Enabled %d, Quiescent %d\n",
	       getu(f, "ctlr"), getb(f, "enabled"), getb(f, "quiescent"));
	printf("  GITS_IIDR    0x%08" PRIx64 "\n", getu(f, "iidr"));
	printf("  GITS_TYPER   0x%016" PRIx64 "  Physical %d, ITT_entry_size %d, IDbits %d, "
	       "Devbits %d\n",
	       typer, (int)(typer & 1), (int)(typer >> 4 & 0xF) + 1, (int)(typer >> 8 & 0x1F) + 1,
	       (int)(typer >> 13 & 0x1F) + 1);
	printf("  GITS_CBASER  0x%016" PRIx64 "  Valid %d, address 0x%" PRIx64 ", %" PRIu64
	       " pages (%" PRIu64 " bytes, %" PRIu64 " commands)\n",
	       getu(cb, "raw"), getb(cb, "valid"), getu(cb, "address"), getu(cb, "pages"),
	       getu(cb, "bytes"), getu(cb, "bytes") / 32);
	printf("  GITS_CREADR  0x%016" PRIx64 "  offset 0x%" PRIx64 ", Stalled %d\n",
	       getu(cr, "raw"), getu(cr, "offset"), getb(cr, "stalled"));
	printf("  GITS_CWRITER 0x%016" PRIx64 "  offset 0x%" PRIx64 "\n", getu(cw, "raw"),
	       getu(cw, "offset"));
	for (size_t i = 0; i < alen(basers); i++) {
		json_object *b = json_object_array_get_idx(basers, i);

		printf("  GITS_BASER%-2" PRId64 " 0x%016" PRIx64 "  %s: Valid %d", geti(b, "n"),
		       getu(b, "raw"), gets(b, "type"), getb(b, "valid"));
		if (getb(b, "valid"))
			printf(", %s, %s pages x %" PRIu64 ", address 0x%" PRIx64 ", %" PRIu64
			       " IDs",
			       getb(b, "indirect") ? "two-level" : "flat",
			       page_name(getu(b, "page_size")), getu(b, "pages"),
			       getu(b, "address"), getu(b, "nr_ids"));
		printf("\n");
	}
	printf("  stall: %s; SYNC outstanding: ", gets(f, "stall"));
	if (getb(f, "sync_wait"))
		printf("yes (vCPU %" PRId64 ")", geti(f, "sync_vcpu"));
	else
		printf("no");
	printf("; command errors: %" PRIu64, getu(f, "nr_errors"));
	if (getu(f, "last_error"))
		printf(" (last 0x%06" PRIx64 " %s)", getu(f, "last_error"),
		       gets(f, "last_error_name"));
	printf("\n");
	printf("  translation cache: %" PRIu64 " of %" PRIu64 " entries\n", getu(cache, "entries"),
	       getu(cache, "capacity"));

	printf("  collections: %zu\n", alen(colls));
	if (alen(colls))
		printf("     ICID  VCPU\n");
	for (size_t i = 0; i < alen(colls); i++) {
		json_object *c = json_object_array_get_idx(colls, i);

		printf("    %5" PRId64 "  %4" PRId64 "\n", geti(c, "icid"), geti(c, "vcpu"));
	}
	printf("  devices: %zu\n", alen(devs));
	if (alen(devs))
		printf("    DEVICE  ITT                 SIZE  EVENTS  MAPPED\n");
	for (size_t i = 0; i < alen(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		size_t n = alen(geta(d, "events"));

		nev += n;
		printf("    %6" PRId64 "  0x%016" PRIx64 "  %4" PRId64 "  %6" PRId64 "  %6zu%s\n",
		       geti(d, "device_id"), getu(d, "itt"), geti(d, "size"), geti(d, "nr_events"),
		       n, getb(d, "truncated") ? " (truncated)" : "");
	}
	printf("  translations: %zu\n", nev);
	if (nev)
		printf("    DEVICE  EVENT    LPI   ICID  VCPU\n");
	for (size_t i = 0; i < alen(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i), *evs = geta(d, "events");

		for (size_t k = 0; k < alen(evs); k++) {
			json_object *e = json_object_array_get_idx(evs, k);
			char v[16] = "-";

			if (!isnull(e, "vcpu"))
				snprintf(v, sizeof(v), "%" PRId64, geti(e, "vcpu"));
			printf("    %6" PRId64 "  %5" PRId64 "  %5" PRId64 "  %5" PRId64 "  %4s\n",
			       geti(d, "device_id"), geti(e, "event_id"), geti(e, "intid"),
			       geti(e, "icid"), v);
		}
	}
	print_scan(geta(f, "scan"), "  ");
}

static void print_its(json_object *doc)
{
	json_object *frames = geta(doc, "its");

	if (!alen(frames))
		printf("the VM has no ITS\n");
	for (size_t i = 0; i < alen(frames); i++) {
		if (i)
			printf("\n");
		print_its_frame(json_object_array_get_idx(frames, i));
	}
}

static void print_query(json_object *q, const char *indent)
{
	printf("%squery %" PRIu64 ": INTID %" PRId64 " asked of vCPU %" PRId64 " for vCPU %" PRId64
	       "'s read (gen %" PRIu64 ", ownership gen %" PRIu64 ")\n",
	       indent, getu(q, "id"), geti(q, "intid"), geti(q, "owner"), geti(q, "reader"),
	       getu(q, "gen"), getu(q, "own_gen"));
}

static void print_vcpu(json_object *doc, bool all)
{
	json_object *cs = geta(doc, "cpu_state"), *ch = geta(doc, "channel");
	json_object *rd = geta(doc, "deferred_read"), *qs = geta(doc, "queries");
	json_object *spis = geta(doc, "spis"), *colls = geta(doc, "collections");
	json_object *lpis = geta(doc, "lpis");
	int64_t v = geti(doc, "vcpu");
	size_t shown = 0;

	printf("vCPU %" PRId64 " of %" PRId64 ": MPIDR 0x%016" PRIx64 " (affinity %s)\n", v,
	       geti(doc, "nr_vcpus"), getu(doc, "mpidr"), gets(doc, "affinity"));
	printf("  CpuState: %s, Group 0 %s, Group 1 %s\n", getb(cs, "asleep") ? "asleep" : "awake",
	       getb(cs, "grp0") ? "enabled" : "disabled",
	       getb(cs, "grp1") ? "enabled" : "disabled");
	printf("  channel %s: received %" PRIu64 ", applied %" PRIu64 ", duplicates %" PRIu64
	       ", malformed %" PRIu64 ", rejected %" PRIu64 ", sent %" PRIu64 ", queued %" PRIu64
	       ", last applied seq %" PRIu64,
	       gets(ch, "name"), getu(ch, "received"), getu(ch, "applied"), getu(ch, "duplicates"),
	       getu(ch, "malformed"), getu(ch, "rejected"), getu(ch, "sent"), getu(ch, "queued"),
	       getu(ch, "last_applied"));
	if (!isnull(ch, "fence_seq"))
		printf(", access seq %" PRIu64 " held for the drain", getu(ch, "fence_seq"));
	printf("\n");
	if (!rd) {
		printf("  deferred read: none\n");
	} else {
		json_object *q = geta(rd, "queries");

		printf("  deferred read: GICD offset 0x%04" PRIx64 " (%" PRId64
		       " bytes), seq %" PRIu64 ", INTIDs %" PRId64 "..%" PRId64
		       ", waiting for %zu answers\n",
		       getu(rd, "offset"), geti(rd, "size"), getu(rd, "seq"),
		       geti(rd, "base_intid"), geti(rd, "base_intid") + 31, alen(q));
		for (size_t i = 0; i < alen(q); i++)
			print_query(json_object_array_get_idx(q, i), "    ");
	}
	printf("  queries waiting for vCPU %" PRId64 ": %zu\n", v, alen(qs));
	for (size_t i = 0; i < alen(qs); i++)
		print_query(json_object_array_get_idx(qs, i), "    ");

	for (size_t i = 0; i < alen(spis); i++)
		shown += all || spi_interesting(json_object_array_get_idx(spis, i));
	printf("SPIs routed to or held by vCPU %" PRId64 ": %zu", v, alen(spis));
	if (!all)
		printf("; %zu configured or holding state (--all: every one)", shown);
	printf("\n");
	if (shown)
		spi_header();
	for (size_t i = 0; i < alen(spis); i++) {
		json_object *s = json_object_array_get_idx(spis, i);

		if (all || spi_interesting(s))
			spi_row(s);
	}
	printf("collections targeting vCPU %" PRId64 ": %zu\n", v, alen(colls));
	if (alen(colls))
		printf("  ITS   ICID\n");
	for (size_t i = 0; i < alen(colls); i++) {
		json_object *c = json_object_array_get_idx(colls, i);

		printf("  %3" PRId64 "  %5" PRId64 "\n", geti(c, "its"), geti(c, "icid"));
	}
	printf("LPIs mapped to vCPU %" PRId64 ": %zu\n", v, alen(lpis));
	if (alen(lpis))
		printf("  ITS  DEVICE  EVENT    LPI   ICID\n");
	for (size_t i = 0; i < alen(lpis); i++) {
		json_object *l = json_object_array_get_idx(lpis, i);

		printf("  %3" PRId64 "  %6" PRId64 "  %5" PRId64 "  %5" PRId64 "  %5" PRId64 "\n",
		       geti(l, "its"), geti(l, "device_id"), geti(l, "event_id"), geti(l, "intid"),
		       geti(l, "icid"));
	}
	print_scan(geta(doc, "scan"), "");
}

/* ------------------------------------------------------------ command */

static int parse_uint(const char *s, const char *what, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return gicctl_fail(GICCTL_EXIT_USAGE, "dump: %s must be a number", what);
	v = strtoul(s, &end, 0);
	if (*end || v > UINT32_MAX)
		return gicctl_fail(GICCTL_EXIT_USAGE, "dump: bad %s '%s'", what, s);
	*out = (uint32_t)v;
	return 0;
}

static json_object *new_doc(enum kind k)
{
	json_object *doc = json_object_new_object();

	/* DistDump.regs and VcpuDump.info (the first part) add the rest. */
	if (k == K_ITS)
		json_object_object_add(doc, "its", json_object_new_array());
	return doc;
}

/* Reads every part and merges it into doc; 0 or an exit code. */
static int receive(struct gicctl *g, enum kind k, json_object *doc)
{
	static const Sg__AdminReply__RepCase want[] = { SG__ADMIN_REPLY__REP_DIST,
							SG__ADMIN_REPLY__REP_ITS,
							SG__ADMIN_REPLY__REP_VCPU };
	struct its_merge im = { 0 };
	bool seen = false, done = false, any = false;
	const Sg__AdminReply *r;
	int rc = 0, bad = 0;

	while ((r = gicctl_next_reply(g, &rc))) {
		any = true;
		if (r->rep_case != want[k]) {
			bad = -1;
			break;
		}
		switch (k) {
		case K_DIST: bad = dist_merge(doc, r->dist, &seen); break;
		case K_ITS: bad = its_merge(doc, &im, r->its); break;
		case K_VCPU: bad = vcpu_merge(doc, r->vcpu, &seen, &done); break;
		}
		if (bad)
			break;
		if (!r->more) {
			/* Every part arrived: the dump must be complete. */
			if ((k == K_DIST && !seen) || (k == K_ITS && im.frame) ||
			    (k == K_VCPU && !done))
				bad = -1;
			break;
		}
	}
	if (im.events)
		json_object_put(im.events);
	if (rc)
		return rc;
	if (bad || !any)
		return gicctl_fail(GICCTL_EXIT_ERROR, "the daemon sent an inconsistent dump");
	return 0;
}

int cmd_dump(struct gicctl *g, int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "json", no_argument, NULL, OPT_JSON },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	Sg__AdminRequest req = SG__ADMIN_REQUEST__INIT;
	Sg__DumpRequest dr = SG__DUMP_REQUEST__INIT;
	const char *what;
	json_object *doc;
	bool all = false;
	enum kind k;
	int c, rc;

	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case OPT_JSON: g->json = true; break;
		case 'h': usage(stdout); return GICCTL_EXIT_OK;
		default: usage(stderr); return GICCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return GICCTL_EXIT_USAGE;
	}
	what = argv[optind++];
	if (strcmp(what, "dist") == 0) {
		k = K_DIST;
		dr.what = SG__DUMP_REQUEST__WHAT__DIST;
	} else if (strcmp(what, "its") == 0) {
		k = K_ITS;
		dr.what = SG__DUMP_REQUEST__WHAT__ITS;
		dr.all_its = optind >= argc;
		if (optind < argc && (rc = parse_uint(argv[optind++], "ITS number", &dr.its)))
			return rc;
	} else if (strcmp(what, "vcpu") == 0) {
		k = K_VCPU;
		dr.what = SG__DUMP_REQUEST__WHAT__VCPU;
		if (optind >= argc)
			return gicctl_fail(GICCTL_EXIT_USAGE,
					   "dump vcpu: which vCPU? (dump vcpu N)");
		if ((rc = parse_uint(argv[optind++], "vCPU number", &dr.vcpu)))
			return rc;
	} else {
		return gicctl_fail(GICCTL_EXIT_USAGE, "dump: unknown kind '%s' (dist, its or vcpu)",
				   what);
	}
	if (optind < argc)
		return gicctl_fail(GICCTL_EXIT_USAGE, "dump %s: unexpected argument '%s'", what,
				   argv[optind]);
	if (all && k == K_ITS)
		return gicctl_fail(GICCTL_EXIT_USAGE,
				   "dump its: --all is for dump dist and dump vcpu");

	req.req_case = SG__ADMIN_REQUEST__REQ_DUMP;
	req.dump = &dr;
	rc = gicctl_request(g, &req, NULL, 0);
	if (rc)
		return rc;
	doc = new_doc(k);
	rc = receive(g, k, doc);
	if (rc) {
		json_object_put(doc);
		return rc;
	}
	if (g->json) {
		gicctl_print_json(doc);
		return GICCTL_EXIT_OK;
	}
	switch (k) {
	case K_DIST: print_dist(doc, all); break;
	case K_ITS: print_its(doc); break;
	case K_VCPU: print_vcpu(doc, all); break;
	}
	json_object_put(doc);
	return GICCTL_EXIT_OK;
}
