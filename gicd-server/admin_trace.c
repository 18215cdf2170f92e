// SPDX-License-Identifier: MIT
/*
 * gicctl trace: live subscribers to the trace points (trace.h).
 *
 * At most TRACE_MAX_SUBSCRIBERS connections subscribe at once, each with its
 * filters (kinds, vCPUs, an INTID range, an ITS), applied here so that only
 * what the client asked for is encoded and sent.  The trace sink is
 * registered only while someone subscribes: without a subscriber a trace
 * point costs what trace.h says.
 *
 * Events are batched per subscriber into TraceEvents replies of at most
 * ADMIN_REPLY_BUDGET bytes: a batch goes out when the next event would not
 * fit, when it holds TRACE_BATCH_MAX events, or TRACE_FLUSH_MS after its
 * first event, so the stream stays live.  The loop never waits for a
 * subscriber: a batch that admin_send() refuses (-ENOBUFS, the client does
 * not read and ADMIN_MAX_QUEUED bytes wait for it) is dropped and counted,
 * and the next batch that goes out says how many events were lost.
 *
 * The tracer's own traffic is not traced: nothing on an admin connection
 * hits a trace point, and the sink ignores any event that fires while it
 * is sending (in_send).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "admin_handlers.h"
#include "gic_regs.h"
#include "server_internal.h"
#include "trace.h"

#define TRACE_MAX_SUBSCRIBERS 4u
#define TRACE_BATCH_MAX	      256u
#define TRACE_FLUSH_MS	      20u
#define TRACE_LINE_MAX	      192u

_Static_assert((int)SG__TRACE_EVENT__KIND__MMIO_RECV == (int)TRACE_MMIO_RECV &&
		       (int)SG__TRACE_EVENT__KIND__ITS_CMD == (int)TRACE_ITS_CMD &&
		       (int)SG__TRACE_EVENT__KIND__DETACH == (int)TRACE_DETACH &&
		       (int)TRACE_NR_KINDS == 13,
	       "TraceEvent.Kind must number the kinds as enum trace_kind");

/* One event of a batch, with the strings it points to. */
struct entry {
	Sg__TraceEvent pb;
	char line[TRACE_LINE_MAX];
	char reg[48];
	char reason[sizeof(((struct trace_detach *)0)->reason)];
};

struct subscriber {
	struct admin_conn *c;
	/* filters */
	uint32_t kinds; /* bit per enum trace_kind */
	bool any_vcpu;
	unsigned char vcpus[(SG_MAX_VCPUS + 7) / 8];
	bool intid_filter, its_filter;
	uint32_t intid_min, intid_max, its;
	uint64_t max_events; /* 0: no limit */
	/* the stream */
	uint64_t taken; /* events put in batches */
	uint64_t sent;	/* events in batches admin_send() took */
	uint64_t lost;	/* dropped, not reported yet */
	uint64_t lost_total;
	bool done; /* max_events reached or the connection is going */
	unsigned n;
	size_t bytes; /* packed size of the batch's events */
	struct entry batch[TRACE_BATCH_MAX];
	Sg__TraceEvent *batch_p[TRACE_BATCH_MAX];
};

static struct {
	struct subscriber *sub[TRACE_MAX_SUBSCRIBERS];
	unsigned nr;
	struct event *flush_ev;
	bool in_send;
} tracer;

/* ------------------------------------------------------------ filters */

/* The INTIDs a GICD access covers: per-INTID registers, IROUTER<n>, and
 * the INTID written to SETSPI/CLRSPI.  False if none. */
static bool mmio_intids(const struct trace_mmio *m, uint32_t *lo, uint32_t *hi)
{
	static const struct {
		uint32_t base;
		uint32_t bits; /* per INTID */
	} ranges[] = {
		{ GICD_IGROUPR, 1 },   { GICD_ISENABLER, 1 },  { GICD_ICENABLER, 1 },
		{ GICD_ISPENDR, 1 },   { GICD_ICPENDR, 1 },    { GICD_ISACTIVER, 1 },
		{ GICD_ICACTIVER, 1 }, { GICD_IPRIORITYR, 8 }, { GICD_ITARGETSR, 8 },
		{ GICD_ICFGR, 2 },     { GICD_IGRPMODR, 1 },   { GICD_NSACR, 2 },
		{ GICD_INMIR, 1 },     { GICD_IROUTER, 64 },
	};
	uint64_t off = m->offset;

	if (m->frame != TRACE_FRAME_GICD || !m->size)
		return false;
	if (off == GICD_SETSPI_NSR || off == GICD_CLRSPI_NSR || off == GICD_SETSPI_SR ||
	    off == GICD_CLRSPI_SR) {
		if (!m->write)
			return false;
		*lo = *hi = (uint32_t)(m->data & 0x3FF);
		return true;
	}
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint64_t span = ((uint64_t)GIC_MAX_SPI_INTID + 1) * ranges[i].bits / 8;
		uint64_t rel;

		if (off < ranges[i].base || off - ranges[i].base >= span)
			continue;
		rel = off - ranges[i].base;
		*lo = (uint32_t)(rel * 8 / ranges[i].bits);
		*hi = (uint32_t)(((rel + m->size) * 8 + ranges[i].bits - 1) / ranges[i].bits - 1);
		return true;
	}
	return false;
}

/* The vCPU an event concerns; false if none. */
static bool event_vcpu(const struct trace_event *ev, uint32_t *vcpu)
{
	switch (ev->kind) {
	case TRACE_MMIO_RECV:
	case TRACE_MMIO_REPLY: *vcpu = ev->mmio.vcpu; return true;
	case TRACE_DELIVER:
	case TRACE_RETRACT:
	case TRACE_DEACTIVATE: *vcpu = ev->irq.vcpu; return true;
	case TRACE_MSI:
		*vcpu = ev->msi.vcpu;
		return ev->msi.result == TRACE_MSI_TRANSLATED || ev->msi.result == TRACE_MSI_CACHED;
	default: return false;
	}
}

/* The INTIDs an event concerns; false if none. */
static bool event_intids(const struct trace_event *ev, uint32_t *lo, uint32_t *hi)
{
	switch (ev->kind) {
	case TRACE_MMIO_RECV:
	case TRACE_MMIO_REPLY:
		return (ev->kind == TRACE_MMIO_RECV || ev->mmio.known) &&
		       mmio_intids(&ev->mmio, lo, hi);
	case TRACE_DELIVER:
	case TRACE_RETRACT:
	case TRACE_DEACTIVATE: *lo = *hi = ev->irq.intid; return true;
	case TRACE_SPI_LEVEL: *lo = *hi = ev->spi.intid; return true;
	case TRACE_MSI:
		*lo = *hi = ev->msi.intid;
		return ev->msi.result == TRACE_MSI_TRANSLATED || ev->msi.result == TRACE_MSI_CACHED;
	case TRACE_ITS_CMD:
		*lo = *hi = ev->its_cmd.intid;
		return ev->its_cmd.op == GITS_CMD_MAPTI || ev->its_cmd.op == GITS_CMD_MAPI;
	default: return false;
	}
}

/* The ITS an event concerns; false if none. */
static bool event_its(const struct trace_event *ev, uint32_t *its)
{
	switch (ev->kind) {
	case TRACE_MMIO_RECV:
	case TRACE_MMIO_REPLY:
		*its = ev->mmio.frame_index;
		return ev->mmio.frame == TRACE_FRAME_ITS;
	case TRACE_MSI: *its = ev->msi.its; return true;
	case TRACE_ITS_CMD: *its = ev->its_cmd.its; return true;
	default: return false;
	}
}

static bool wanted(const struct subscriber *s, const struct trace_event *ev)
{
	uint32_t a, b;

	if (ev->kind >= 32 || !(s->kinds & (1u << ev->kind)))
		return false;
	if (!s->any_vcpu &&
	    (!event_vcpu(ev, &a) || a >= SG_MAX_VCPUS || !(s->vcpus[a / 8] & (1u << (a % 8)))))
		return false;
	if (s->intid_filter && (!event_intids(ev, &a, &b) || b < s->intid_min || a > s->intid_max))
		return false;
	if (s->its_filter && (!event_its(ev, &a) || a != s->its))
		return false;
	return true;
}

/* ------------------------------------------------------------ batches */

static void fill(struct entry *e, const struct trace_event *ev)
{
	Sg__TraceEvent *p = &e->pb;

	sg__trace_event__init(p);
	p->kind = (Sg__TraceEvent__Kind)ev->kind;
	p->ts_ns = ev->ts_ns;
	trace_event_format(ev, e->line, sizeof(e->line));
	p->line = e->line;
	switch (ev->kind) {
	case TRACE_MMIO_RECV:
	case TRACE_MMIO_REPLY: {
		const struct trace_mmio *m = &ev->mmio;

		p->chan = m->chan;
		p->vcpu = m->vcpu;
		p->seq = m->seq;
		p->addr = m->addr;
		p->frame = m->frame;
		p->frame_index = m->frame_index;
		p->offset = m->offset;
		p->size = m->size;
		p->write = m->write;
		p->posted = m->posted;
		p->known = m->known;
		p->data = m->data;
		p->status = m->status;
		p->latency_ns = m->latency_ns;
		if (ev->kind == TRACE_MMIO_RECV || m->known) {
			trace_reg_name(m->frame, m->frame_index, m->offset, e->reg, sizeof(e->reg));
			p->reg = e->reg;
		}
		break;
	}
	case TRACE_DELIVER:
	case TRACE_RETRACT:
	case TRACE_DEACTIVATE:
		p->vcpu = ev->irq.vcpu;
		p->intid = ev->irq.intid;
		p->gen = ev->irq.gen;
		p->flags = ev->irq.flags;
		p->priority = ev->irq.priority;
		p->group = ev->irq.group;
		break;
	case TRACE_SPI_LEVEL:
		p->intid = ev->spi.intid;
		p->level = ev->spi.level;
		p->pulse = ev->spi.pulse;
		break;
	case TRACE_MSI:
		p->its = ev->msi.its;
		p->device_id = ev->msi.device_id;
		p->event_id = ev->msi.event_id;
		p->intid = ev->msi.intid;
		p->vcpu = ev->msi.vcpu;
		p->result = ev->msi.result;
		break;
	case TRACE_ITS_CMD: {
		const struct trace_its_cmd *c = &ev->its_cmd;

		p->its = c->its;
		p->op = c->op;
		p->op_name = (char *)trace_its_cmd_name(c->op);
		p->creadr = c->creadr;
		p->device_id = c->device_id;
		p->event_id = c->event_id;
		p->intid = c->intid;
		p->icid = c->icid;
		p->rdbase = c->rdbase;
		p->rdbase2 = c->rdbase2;
		p->itt = c->itt;
		p->itt_size = c->size;
		p->valid = c->valid;
		p->error = c->error;
		break;
	}
	case TRACE_SNAPSHOT:
		p->full = ev->snapshot.full;
		p->bytes = ev->snapshot.bytes;
		p->duration_ns = ev->snapshot.duration_ns;
		p->rc = ev->snapshot.rc;
		break;
	case TRACE_RESTORE:
		p->source = ev->restore.source;
		p->epoch = ev->restore.epoch;
		p->channels = ev->restore.channels;
		p->vcpus = ev->restore.vcpus;
		break;
	case TRACE_ATTACH:
		p->pid = ev->attach.pid;
		p->uid = ev->attach.uid;
		p->gid = ev->attach.gid;
		p->vcpus = ev->attach.vcpus;
		p->spis = ev->attach.spis;
		p->nr_its = ev->attach.its;
		p->ram_regions = ev->attach.ram_regions;
		p->resumed = ev->attach.resumed;
		break;
	case TRACE_DETACH:
		memcpy(e->reason, ev->detach.reason, sizeof(e->reason));
		e->reason[sizeof(e->reason) - 1] = '\0';
		p->reason = e->reason;
		break;
	default: break;
	}
}

/* Bytes an event adds to TraceEvents: tag, length, message. */
static size_t entry_size(const struct entry *e)
{
	size_t n = sg__trace_event__get_packed_size(&e->pb);

	return 1 + (n < 128 ? 1 : n < 16384 ? 2 : 3) + n;
}

/* Room for TraceEvents.lost and the nesting in AdminReply and Envelope
 * beyond what ADMIN_REPLY_BUDGET leaves. */
#define BATCH_BUDGET (ADMIN_REPLY_BUDGET - 32u)

/*
 * Sends the batch (and the count of events lost before it); last: the end
 * of the stream (more = false).  A refused batch is lost, counted.
 */
static void send_batch(struct subscriber *s, bool last)
{
	Sg__AdminReply r = SG__ADMIN_REPLY__INIT;
	Sg__TraceEvents te = SG__TRACE_EVENTS__INIT;
	int rc;

	if (!s->n && !s->lost && !last)
		return;
	te.n_events = s->n;
	te.events = s->batch_p;
	te.lost = s->lost;
	r.more = !last;
	r.rep_case = SG__ADMIN_REPLY__REP_TRACE;
	r.trace = &te;
	tracer.in_send = true;
	rc = admin_send(s->c, &r);
	tracer.in_send = false;
	if (rc == 0) {
		s->sent += s->n;
		s->lost = 0;
	} else {
		s->lost += s->n;
		s->lost_total += s->n;
		if (rc == -EPIPE) /* the connection is going */
			s->done = true;
	}
	s->n = 0;
	s->bytes = 0;
}

static void arm_flush(void)
{
	static const struct timeval tv = { 0, TRACE_FLUSH_MS * 1000 };

	if (tracer.flush_ev && !evtimer_pending(tracer.flush_ev, NULL))
		evtimer_add(tracer.flush_ev, &tv);
}

static void finish(struct subscriber *s)
{
	send_batch(s, true);
	s->done = true;
	admin_conn_finish(s->c);
}

static void add(struct subscriber *s, const struct trace_event *ev)
{
	struct entry *e;
	size_t size;

	if (s->n == TRACE_BATCH_MAX)
		send_batch(s, false);
	e = &s->batch[s->n];
	fill(e, ev);
	size = entry_size(e);
	if (s->n && s->bytes + size > BATCH_BUDGET) {
		send_batch(s, false);
		e = &s->batch[0];
		fill(e, ev);
	}
	s->batch_p[s->n++] = &e->pb;
	s->bytes += size;
	s->taken++;
	if (s->max_events && s->taken >= s->max_events)
		finish(s);
	else
		arm_flush();
}

/* The sink: every trace point while someone subscribes. */
static void on_event(void *arg, const struct trace_event *ev)
{
	(void)arg;
	if (tracer.in_send)
		return;
	for (unsigned i = 0; i < TRACE_MAX_SUBSCRIBERS; i++) {
		struct subscriber *s = tracer.sub[i];

		if (s && !s->done && wanted(s, ev))
			add(s, ev);
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	for (unsigned i = 0; i < TRACE_MAX_SUBSCRIBERS; i++) {
		struct subscriber *s = tracer.sub[i];

		if (s && !s->done)
			send_batch(s, false);
	}
}

/* ------------------------------------------------------- subscribers */

static void on_close(struct admin_conn *c, void *arg)
{
	struct subscriber *s = arg;

	for (unsigned i = 0; i < TRACE_MAX_SUBSCRIBERS; i++)
		if (tracer.sub[i] == s)
			tracer.sub[i] = NULL;
	sg_info("trace: pid %d unsubscribed: %llu events sent, %llu lost",
		(int)admin_conn_peer(c)->pid, (unsigned long long)s->sent,
		(unsigned long long)s->lost_total);
	free(s);
	if (--tracer.nr == 0) {
		trace_set_sink(NULL, NULL);
		if (tracer.flush_ev)
			event_free(tracer.flush_ev);
		tracer.flush_ev = NULL;
	}
}

/* Checks the request's filters into s; false with an AdminError sent. */
static bool take_filters(struct admin_conn *c, struct subscriber *s, const Sg__TraceRequest *req)
{
	for (size_t i = 0; i < req->n_kinds; i++) {
		unsigned k = (unsigned)req->kinds[i];

		if (k == 0 || k >= TRACE_NR_KINDS) {
			admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
					 "trace: unknown event kind %u", k);
			return false;
		}
		s->kinds |= 1u << k;
	}
	if (!req->n_kinds)
		s->kinds = ((1u << TRACE_NR_KINDS) - 1) & ~1u;
	s->any_vcpu = req->n_vcpus == 0;
	for (size_t i = 0; i < req->n_vcpus; i++) {
		if (req->vcpus[i] >= SG_MAX_VCPUS) {
			admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
					 "trace: vCPU %u out of range (at most %u vCPUs)",
					 req->vcpus[i], SG_MAX_VCPUS);
			return false;
		}
		s->vcpus[req->vcpus[i] / 8] |= (unsigned char)(1u << (req->vcpus[i] % 8));
	}
	if (req->intid_filter && req->intid_min > req->intid_max) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
				 "trace: INTID range %u-%u is empty", req->intid_min,
				 req->intid_max);
		return false;
	}
	if (req->its_filter && req->its >= SG_MAX_ITS) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
				 "trace: ITS %u out of range (at most %u)", req->its, SG_MAX_ITS);
		return false;
	}
	s->intid_filter = req->intid_filter;
	s->intid_min = req->intid_min;
	s->intid_max = req->intid_max;
	s->its_filter = req->its_filter;
	s->its = req->its;
	s->max_events = req->max_events;
	return true;
}

void admin_trace(struct admin_conn *c, const Sg__TraceRequest *req)
{
	struct server *srv = admin_conn_server(c);
	struct subscriber *s;
	unsigned slot = TRACE_MAX_SUBSCRIBERS;

	for (unsigned i = 0; i < TRACE_MAX_SUBSCRIBERS; i++)
		if (!tracer.sub[i]) {
			slot = i;
			break;
		}
	if (slot == TRACE_MAX_SUBSCRIBERS) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__TOO_MANY,
				 "trace: %u subscribers already (the most at once)",
				 TRACE_MAX_SUBSCRIBERS);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED, "trace: out of memory");
		return;
	}
	if (!take_filters(c, s, req)) {
		free(s);
		return;
	}
	if (!tracer.flush_ev) {
		tracer.flush_ev = evtimer_new(srv->base, on_flush, NULL);
		if (!tracer.flush_ev) {
			free(s);
			admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED,
					 "trace: cannot set up a timer");
			return;
		}
	}
	s->c = c;
	tracer.sub[slot] = s;
	tracer.nr++;
	admin_conn_keep(c, on_close, s);
	trace_set_sink(on_event, NULL);
	sg_info("trace: pid %d subscribed (%u of %u)%s%s%s%s", (int)admin_conn_peer(c)->pid,
		tracer.nr, TRACE_MAX_SUBSCRIBERS, req->n_kinds ? ", some kinds" : "",
		req->n_vcpus ? ", some vCPUs" : "", s->intid_filter ? ", INTID range" : "",
		s->its_filter ? ", one ITS" : "");
}
