// SPDX-License-Identifier: MIT
/*
 * The probe sites of gicd-server's trace points, their semaphores, the
 * live-trace sink and the one-line formatter (trace.h, docs/tracing.md).
 */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gic_regs.h"
#include "vm_shape.h"

/* Every probe has a semaphore: tracers raise it while attached. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#define TRACE_SEMAPHORE_DEF_(p)                                                                    \
	volatile unsigned short splitgic_##p##_semaphore __attribute__((section(".probes")));
TRACE_PROBES(TRACE_SEMAPHORE_DEF_)
#undef TRACE_SEMAPHORE_DEF_

bool trace_sink_active;
static void (*sink_emit)(void *arg, const struct trace_event *ev);
static void *sink_arg;

void trace_set_sink(void (*emit)(void *arg, const struct trace_event *ev), void *arg)
{
	sink_emit = emit;
	sink_arg = arg;
	trace_sink_active = emit != NULL;
}

uint64_t trace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void emit(struct trace_event *ev)
{
	if (!trace_sink_active)
		return;
	if (!ev->ts_ns)
		ev->ts_ns = trace_now_ns();
	sink_emit(sink_arg, ev);
}

/* ------------------------------------------------------------- names */

const char *trace_event_name(enum trace_kind kind)
{
	static const char *const names[TRACE_NR_KINDS] = {
		[TRACE_MMIO_RECV] = "mmio_recv",
		[TRACE_MMIO_REPLY] = "mmio_reply",
		[TRACE_DELIVER] = "deliver",
		[TRACE_RETRACT] = "retract",
		[TRACE_DEACTIVATE] = "deactivate",
		[TRACE_SPI_LEVEL] = "spi_level",
		[TRACE_MSI] = "msi",
		[TRACE_ITS_CMD] = "its_cmd",
		[TRACE_SNAPSHOT] = "snapshot",
		[TRACE_RESTORE] = "restore",
		[TRACE_ATTACH] = "attach",
		[TRACE_DETACH] = "detach",
	};

	return (unsigned)kind < TRACE_NR_KINDS && names[kind] ? names[kind] : "?";
}

const char *trace_its_cmd_name(uint32_t op)
{
	const char *name = gits_cmd_name(op);

	return name ? name : "UNKNOWN";
}

/* The codes of its-server/its_internal.h (the architecture's and ours). */
const char *trace_its_error_name(uint32_t error)
{
	if (!error)
		return "";
	switch (error & 0xFFu) {
	case 0x01: return "DEVICE_OOR";
	case 0x02: return "ITTSIZE_OOR";
	case 0x03: return "COLLECTION_OOR";
	case 0x04: return "UNMAPPED_DEVICE";
	case 0x05: return "ID_OOR";
	case 0x06: return "PHYSICALID_OOR";
	case 0x07: return "UNMAPPED_INTERRUPT";
	case 0x09: return "UNMAPPED_COLLECTION";
	case 0x20: return "TGT_OOR";
	case 0x80: return "TABLE_FAULT";
	case 0x81: return "CMDQ_FAULT";
	case 0x82: return "CWRITER_OOR";
	case 0xFF: return "UNKNOWN_CMD";
	default: return "ERROR";
	}
}

const char *trace_msi_result_name(uint32_t result)
{
	switch (result) {
	case TRACE_MSI_TRANSLATED: return "translated";
	case TRACE_MSI_CACHED: return "cached";
	case TRACE_MSI_DISABLED: return "disabled";
	case TRACE_MSI_UNMAPPED: return "unmapped";
	case TRACE_MSI_FAULT: return "fault";
	default: return "?";
	}
}

static const char *restore_source_name(uint32_t source)
{
	return source == TRACE_RESTORE_FDSTORE ? "fd store" : "state file";
}

static const char *mmio_status_name(uint32_t status)
{
	switch (status) {
	case TRACE_MMIO_OK: return "ok";
	case TRACE_MMIO_IGNORED: return "ignored";
	case TRACE_MMIO_UNMAPPED: return "unmapped";
	case TRACE_MMIO_MALFORMED: return "malformed";
	default: return "?";
	}
}

/* A register range of a frame: `count` registers of `stride` bytes. */
struct reg_range {
	uint32_t offset;
	uint32_t stride;
	uint32_t count; /* 1: a single register, no index shown */
	const char *name;
};

/* Per-interrupt ranges cover INTIDs 0..1019 (docs/distributor.md). */
#define PER_IRQ(off, bpi, name)                                                                    \
	{                                                                                          \
		off, 4, ((GIC_MAX_SPI_INTID + 1) * (bpi) + 31) / 32, name                          \
	}

static const struct reg_range gicd_regs[] = {
	{ GICD_CTLR, 4, 1, "CTLR" },
	{ GICD_TYPER, 4, 1, "TYPER" },
	{ GICD_IIDR, 4, 1, "IIDR" },
	{ GICD_TYPER2, 4, 1, "TYPER2" },
	{ GICD_STATUSR, 4, 1, "STATUSR" },
	{ GICD_SETSPI_NSR, 4, 1, "SETSPI_NSR" },
	{ GICD_CLRSPI_NSR, 4, 1, "CLRSPI_NSR" },
	{ GICD_SETSPI_SR, 4, 1, "SETSPI_SR" },
	{ GICD_CLRSPI_SR, 4, 1, "CLRSPI_SR" },
	PER_IRQ(GICD_IGROUPR, 1, "IGROUPR"),
	PER_IRQ(GICD_ISENABLER, 1, "ISENABLER"),
	PER_IRQ(GICD_ICENABLER, 1, "ICENABLER"),
	PER_IRQ(GICD_ISPENDR, 1, "ISPENDR"),
	PER_IRQ(GICD_ICPENDR, 1, "ICPENDR"),
	PER_IRQ(GICD_ISACTIVER, 1, "ISACTIVER"),
	PER_IRQ(GICD_ICACTIVER, 1, "ICACTIVER"),
	PER_IRQ(GICD_IPRIORITYR, 8, "IPRIORITYR"),
	PER_IRQ(GICD_ITARGETSR, 8, "ITARGETSR"),
	PER_IRQ(GICD_ICFGR, 2, "ICFGR"),
	PER_IRQ(GICD_IGRPMODR, 1, "IGRPMODR"),
	PER_IRQ(GICD_NSACR, 2, "NSACR"),
	{ GICD_SGIR, 4, 1, "SGIR" },
	{ GICD_CPENDSGIR, 4, 4, "CPENDSGIR" },
	{ GICD_SPENDSGIR, 4, 4, "SPENDSGIR" },
	PER_IRQ(GICD_INMIR, 1, "INMIR"),
	/* IROUTER<n>: n is the INTID (0..31 reserved, shown all the same). */
	{ GICD_IROUTER, 8, GIC_MAX_SPI_INTID + 1, "IROUTER" },
};

static const struct reg_range gits_regs[] = {
	{ GITS_CTLR, 4, 1, "CTLR" },	   { GITS_IIDR, 4, 1, "IIDR" },
	{ GITS_TYPER, 8, 1, "TYPER" },	   { GITS_CBASER, 8, 1, "CBASER" },
	{ GITS_CWRITER, 8, 1, "CWRITER" }, { GITS_CREADR, 8, 1, "CREADR" },
	{ GITS_BASER, 8, 8, "BASER" },	   { GITS_TRANSLATER, 4, 1, "TRANSLATER" },
};

static const char *const id_reg_names[] = { "PIDR4", "PIDR5", "PIDR6", "PIDR7", "PIDR0", "PIDR1",
					    "PIDR2", "PIDR3", "CIDR0", "CIDR1", "CIDR2", "CIDR3" };

static int range_name(const struct reg_range *map, size_t n, const char *prefix, uint64_t offset,
		      char *buf, size_t len)
{
	if (offset >= GIC_IDREGS_START && offset < GICD_FRAME_SIZE) {
		uint64_t i = (offset - GIC_IDREGS_START) / 4,
			 rest = (offset - GIC_IDREGS_START) % 4;

		return rest ? snprintf(buf, len, "%s_%s+%u", prefix, id_reg_names[i],
				       (unsigned)rest)
			    : snprintf(buf, len, "%s_%s", prefix, id_reg_names[i]);
	}
	for (size_t i = 0; i < n; i++) {
		const struct reg_range *r = &map[i];
		uint64_t idx, rest;

		if (offset < r->offset || offset - r->offset >= (uint64_t)r->stride * r->count)
			continue;
		idx = (offset - r->offset) / r->stride;
		rest = (offset - r->offset) % r->stride;
		if (r->count == 1)
			return rest ? snprintf(buf, len, "%s_%s+%u", prefix, r->name,
					       (unsigned)rest)
				    : snprintf(buf, len, "%s_%s", prefix, r->name);
		return rest ? snprintf(buf, len, "%s_%s(%u)+%u", prefix, r->name, (unsigned)idx,
				       (unsigned)rest)
			    : snprintf(buf, len, "%s_%s(%u)", prefix, r->name, (unsigned)idx);
	}
	return snprintf(buf, len, "%s+0x%llx", prefix, (unsigned long long)offset);
}

int trace_reg_name(uint32_t frame, uint32_t frame_index, uint64_t offset, char *buf, size_t len)
{
	char prefix[16];

	switch (frame) {
	case TRACE_FRAME_GICD:
		return range_name(gicd_regs, sizeof(gicd_regs) / sizeof(gicd_regs[0]), "GICD",
				  offset, buf, len);
	case TRACE_FRAME_ITS:
		if (frame_index)
			snprintf(prefix, sizeof(prefix), "GITS%u", frame_index);
		else
			snprintf(prefix, sizeof(prefix), "GITS");
		return range_name(gits_regs, sizeof(gits_regs) / sizeof(gits_regs[0]), prefix,
				  offset, buf, len);
	case TRACE_FRAME_GICR:
		return snprintf(buf, len, "GICR%u+0x%llx", frame_index, (unsigned long long)offset);
	default: return snprintf(buf, len, "0x%llx", (unsigned long long)offset);
	}
}

/* --------------------------------------------------------- formatting */

/* Appends to a line; keeps counting past the end as snprintf() does. */
struct line {
	char *buf;
	size_t len;
	size_t n;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->n < l->len ? l->buf + l->n : NULL, l->n < l->len ? l->len - l->n : 0, fmt,
		      ap);
	va_end(ap);
	if (n > 0)
		l->n += (size_t)n;
}

static void put_flags(struct line *l, uint32_t flags, const char *const *names, unsigned nr)
{
	bool any = false;

	for (unsigned i = 0; i < nr; i++)
		if (flags & (1u << i)) {
			put(l, "%s%s", any ? "|" : " ", names[i]);
			any = true;
		}
}

static void format_mmio(struct line *l, const struct trace_event *ev)
{
	const struct trace_mmio *m = &ev->mmio;
	char reg[48];
	bool reply = ev->kind == TRACE_MMIO_REPLY;

	put(l, "mmio%u %s seq %llu", m->chan, reply ? "reply" : "recv", (unsigned long long)m->seq);
	if (!reply || m->known) {
		if (m->frame == TRACE_FRAME_NONE)
			snprintf(reg, sizeof(reg), "0x%llx", (unsigned long long)m->addr);
		else
			trace_reg_name(m->frame, m->frame_index, m->offset, reg, sizeof(reg));
		put(l, " %s %s size %u", m->write ? "write" : "read", reg, m->size);
	}
	if (m->write || reply)
		put(l, " data 0x%llx", (unsigned long long)m->data);
	if (!reply) {
		if (m->posted)
			put(l, " posted");
		return;
	}
	put(l, " %s", mmio_status_name(m->status));
	if (m->latency_ns)
		put(l, " %llu ns", (unsigned long long)m->latency_ns);
}

static void format_its_cmd(struct line *l, const struct trace_its_cmd *c)
{
	put(l, "its%u cmd %s at 0x%llx", c->its, trace_its_cmd_name(c->op),
	    (unsigned long long)c->creadr);
	switch (c->op) {
	case GITS_CMD_MAPD:
		put(l, " device %u", c->device_id);
		if (c->valid)
			put(l, " itt 0x%llx size %u", (unsigned long long)c->itt, c->size);
		else
			put(l, " invalid");
		break;
	case GITS_CMD_MAPC:
		put(l, " icid %u", c->icid);
		if (c->valid)
			put(l, " rdbase %llu", (unsigned long long)c->rdbase);
		else
			put(l, " invalid");
		break;
	case GITS_CMD_MAPTI:
	case GITS_CMD_MAPI:
		put(l, " device %u event %u intid %u icid %u", c->device_id, c->event_id, c->intid,
		    c->icid);
		break;
	case GITS_CMD_MOVI:
		put(l, " device %u event %u icid %u", c->device_id, c->event_id, c->icid);
		break;
	case GITS_CMD_INT:
	case GITS_CMD_CLEAR:
	case GITS_CMD_INV:
	case GITS_CMD_DISCARD: put(l, " device %u event %u", c->device_id, c->event_id); break;
	case GITS_CMD_INVALL: put(l, " icid %u", c->icid); break;
	case GITS_CMD_SYNC: put(l, " rdbase %llu", (unsigned long long)c->rdbase); break;
	case GITS_CMD_MOVALL:
		put(l, " rdbase %llu to %llu", (unsigned long long)c->rdbase,
		    (unsigned long long)c->rdbase2);
		break;
	default: put(l, " opcode 0x%02x", c->op); break;
	}
	if (c->error)
		put(l, " error 0x%06x (%s)", c->error, trace_its_error_name(c->error));
}

int trace_event_format(const struct trace_event *ev, char *buf, size_t len)
{
	static const char *const deliver_flags[] = { "latch", "line", "active", "level" };
	static const char *const retract_flags[] = { "latch", "line", "active", "return-latch" };
	static const char *const deact_flags[] = { "returned-latch" };
	struct line l = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	switch (ev->kind) {
	case TRACE_MMIO_RECV:
	case TRACE_MMIO_REPLY: format_mmio(&l, ev); break;
	case TRACE_DELIVER:
		put(&l, "deliver vcpu %u intid %u gen %u", ev->irq.vcpu, ev->irq.intid,
		    ev->irq.gen);
		put_flags(&l, ev->irq.flags, deliver_flags, 4);
		put(&l, " prio 0x%02x group %u", ev->irq.priority, ev->irq.group);
		break;
	case TRACE_RETRACT:
		put(&l, "retract vcpu %u intid %u gen %u", ev->irq.vcpu, ev->irq.intid,
		    ev->irq.gen);
		put_flags(&l, ev->irq.flags, retract_flags, 4);
		break;
	case TRACE_DEACTIVATE:
		put(&l, "deactivate vcpu %u intid %u gen %u", ev->irq.vcpu, ev->irq.intid,
		    ev->irq.gen);
		put_flags(&l, ev->irq.flags, deact_flags, 1);
		break;
	case TRACE_SPI_LEVEL:
		if (ev->spi.pulse)
			put(&l, "spi intid %u pulse", ev->spi.intid);
		else
			put(&l, "spi intid %u level %u", ev->spi.intid, ev->spi.level ? 1 : 0);
		break;
	case TRACE_MSI:
		put(&l, "msi its%u device %u event %u", ev->msi.its, ev->msi.device_id,
		    ev->msi.event_id);
		if (ev->msi.result == TRACE_MSI_TRANSLATED || ev->msi.result == TRACE_MSI_CACHED)
			put(&l, " -> intid %u vcpu %u", ev->msi.intid, ev->msi.vcpu);
		put(&l, " (%s)", trace_msi_result_name(ev->msi.result));
		break;
	case TRACE_ITS_CMD: format_its_cmd(&l, &ev->its_cmd); break;
	case TRACE_SNAPSHOT:
		put(&l, "snapshot %s %llu bytes %llu ns", ev->snapshot.full ? "full" : "delta",
		    (unsigned long long)ev->snapshot.bytes,
		    (unsigned long long)ev->snapshot.duration_ns);
		if (ev->snapshot.rc)
			put(&l, " failed: %s", strerror(-ev->snapshot.rc));
		break;
	case TRACE_RESTORE:
		put(&l, "restore from %s: epoch %llu, %u channels, %u vcpus",
		    restore_source_name(ev->restore.source), (unsigned long long)ev->restore.epoch,
		    ev->restore.channels, ev->restore.vcpus);
		break;
	case TRACE_ATTACH:
		put(&l, "attach pid %d uid %u gid %u: %u vcpus, %u spis, %u its, %u ram regions%s",
		    ev->attach.pid, ev->attach.uid, ev->attach.gid, ev->attach.vcpus,
		    ev->attach.spis, ev->attach.its, ev->attach.ram_regions,
		    ev->attach.resumed ? " (resumed)" : "");
		break;
	case TRACE_DETACH: put(&l, "detach: channel %s", ev->detach.reason); break;
	default: put(&l, "? event kind %u", ev->kind); break;
	}
	return (int)l.n;
}

/* ------------------------------------------------------ probe sites */

/* The request each MMIO channel waits on: for the reply's event. */
static struct {
	bool valid;
	uint64_t t0;
	struct trace_mmio m;
} inflight[SG_MAX_VCPUS + 1];

void trace_mmio_recv_slow(const struct sg_vm_shape *shape, unsigned chan, uint64_t seq,
			  uint64_t addr, unsigned size, bool write, bool posted, uint64_t data)
{
	struct trace_event ev = { .kind = TRACE_MMIO_RECV };
	struct trace_mmio *m = &ev.mmio;
	struct sg_frame_hit hit = { 0 };
	char reg[48];

	ev.ts_ns = trace_now_ns();
	if (!sg_addr_decode(shape, addr, &hit))
		hit = (struct sg_frame_hit){ .frame = SG_FRAME_NONE, .offset = addr };
	*m = (struct trace_mmio){ .chan = chan,
				  .vcpu = chan,
				  .seq = seq,
				  .addr = addr,
				  .frame = (uint32_t)hit.frame,
				  .frame_index = hit.index,
				  .offset = hit.offset,
				  .size = size,
				  .write = write,
				  .posted = posted,
				  .data = write ? data : 0 };
	if (chan < sizeof(inflight) / sizeof(inflight[0]) && !(posted && write)) {
		inflight[chan].valid = true;
		inflight[chan].t0 = ev.ts_ns;
		inflight[chan].m = *m;
	}
	if (splitgic_mmio__recv_semaphore) {
		trace_reg_name(m->frame, m->frame_index, m->offset, reg, sizeof(reg));
		/* Most used first: older bpftrace (0.17) reads only arg0..arg5. */
		STAP_PROBE10(splitgic, mmio__recv, m->vcpu, m->seq, (const char *)reg, m->write,
			     m->size, m->data, m->offset, m->frame, m->addr, m->posted);
	}
	emit(&ev);
}

void trace_mmio_reply_slow(unsigned chan, uint64_t seq, uint64_t data, unsigned status)
{
	struct trace_event ev = { .kind = TRACE_MMIO_REPLY };
	struct trace_mmio *m = &ev.mmio;
	char reg[48] = "";

	ev.ts_ns = trace_now_ns();
	if (chan < sizeof(inflight) / sizeof(inflight[0]) && inflight[chan].valid &&
	    inflight[chan].m.seq == seq) {
		*m = inflight[chan].m;
		m->known = true;
		m->latency_ns = ev.ts_ns - inflight[chan].t0;
		inflight[chan].valid = false;
		trace_reg_name(m->frame, m->frame_index, m->offset, reg, sizeof(reg));
	} else {
		*m = (struct trace_mmio){ .chan = chan, .vcpu = chan, .seq = seq };
	}
	if (!m->write)
		m->data = data;
	m->status = status;
	STAP_PROBE11(splitgic, mmio__reply, m->vcpu, m->seq, (const char *)reg, m->write, m->status,
		     m->latency_ns, m->data, m->size, m->offset, m->frame, m->addr);
	emit(&ev);
}

void trace_irq_slow(enum trace_kind kind, unsigned vcpu, uint32_t intid, uint32_t gen,
		    uint32_t flags, uint32_t priority, uint32_t group)
{
	struct trace_event ev = { .kind = kind,
				  .irq = { .vcpu = vcpu,
					   .intid = intid,
					   .gen = gen,
					   .flags = flags,
					   .priority = priority,
					   .group = group } };

	switch (kind) {
	case TRACE_DELIVER:
		STAP_PROBE6(splitgic, deliver, vcpu, intid, gen, flags, priority, group);
		break;
	case TRACE_RETRACT: STAP_PROBE4(splitgic, retract, vcpu, intid, gen, flags); break;
	default:
		STAP_PROBE4(splitgic, deactivate, vcpu, intid, gen,
			    (flags & TRACE_DEACT_RETURNED_LATCH) ? 1 : 0);
		break;
	}
	emit(&ev);
}

void trace_spi_level_slow(uint32_t intid, bool level, bool pulse)
{
	struct trace_event ev = { .kind = TRACE_SPI_LEVEL,
				  .spi = { .intid = intid, .level = level, .pulse = pulse } };

	STAP_PROBE3(splitgic, spi__level, intid, level, pulse);
	emit(&ev);
}

void trace_msi_slow(unsigned its, uint32_t device_id, uint32_t event_id, uint32_t intid,
		    unsigned vcpu, enum trace_msi_result result)
{
	struct trace_event ev = { .kind = TRACE_MSI,
				  .msi = { .its = its,
					   .device_id = device_id,
					   .event_id = event_id,
					   .intid = intid,
					   .vcpu = vcpu,
					   .result = result } };
	char name[16];

	/* Strings go to the probe from the stack: a tracer reading them from
	 * a page of the binary not touched yet would read nothing. */
	snprintf(name, sizeof(name), "%s", trace_msi_result_name(result));
	STAP_PROBE7(splitgic, msi, its, device_id, event_id, intid, vcpu, (const char *)name,
		    ev.msi.result);
	emit(&ev);
}

/* Command fields (Arm IHI 0069, "ITS commands"). */
#define CMD_RDBASE(dw) (((dw) >> 16) & 0x7FFFFFFFFull)

void trace_its_cmd_slow(unsigned its, uint64_t creadr, const uint64_t dw[4], uint32_t error)
{
	struct trace_event ev = { .kind = TRACE_ITS_CMD };
	struct trace_its_cmd *c = &ev.its_cmd;
	uint32_t op = (uint8_t)dw[0];
	char name[16];
	uint64_t aux1 = 0, aux2 = 0;

	*c = (struct trace_its_cmd){ .its = its, .op = op, .creadr = creadr, .error = error };
	snprintf(name, sizeof(name), "%s", trace_its_cmd_name(op));
	switch (op) {
	case GITS_CMD_MAPD:
		c->device_id = (uint32_t)(dw[0] >> 32);
		c->size = (uint32_t)(dw[1] & 0x1F);
		c->itt = dw[2] & 0x000FFFFFFFFFFF00ull;
		c->valid = dw[2] >> 63;
		break;
	case GITS_CMD_MAPC:
		c->icid = (uint32_t)(dw[2] & 0xFFFF);
		c->rdbase = CMD_RDBASE(dw[2]);
		c->valid = dw[2] >> 63;
		break;
	case GITS_CMD_MAPTI:
	case GITS_CMD_MAPI:
		c->device_id = (uint32_t)(dw[0] >> 32);
		c->event_id = (uint32_t)dw[1];
		c->intid = op == GITS_CMD_MAPI ? c->event_id : (uint32_t)(dw[1] >> 32);
		c->icid = (uint32_t)(dw[2] & 0xFFFF);
		break;
	case GITS_CMD_MOVI:
		c->device_id = (uint32_t)(dw[0] >> 32);
		c->event_id = (uint32_t)dw[1];
		c->icid = (uint32_t)(dw[2] & 0xFFFF);
		break;
	case GITS_CMD_INT:
	case GITS_CMD_CLEAR:
	case GITS_CMD_INV:
	case GITS_CMD_DISCARD:
		c->device_id = (uint32_t)(dw[0] >> 32);
		c->event_id = (uint32_t)dw[1];
		break;
	case GITS_CMD_INVALL: c->icid = (uint32_t)(dw[2] & 0xFFFF); break;
	case GITS_CMD_SYNC: c->rdbase = CMD_RDBASE(dw[2]); break;
	case GITS_CMD_MOVALL:
		c->rdbase = CMD_RDBASE(dw[2]);
		c->rdbase2 = CMD_RDBASE(dw[3]);
		break;
	}
	/* aux1, aux2: MAPD ITT address, Size | V << 8; MAPC RDbase, V << 8;
	 * SYNC RDbase; MOVALL RDbase1, RDbase2. */
	switch (op) {
	case GITS_CMD_MAPD:
		aux1 = c->itt;
		aux2 = c->size | (c->valid ? 1u << 8 : 0);
		break;
	case GITS_CMD_MAPC:
		aux1 = c->rdbase;
		aux2 = c->valid ? 1u << 8 : 0;
		break;
	case GITS_CMD_SYNC: aux1 = c->rdbase; break;
	case GITS_CMD_MOVALL:
		aux1 = c->rdbase;
		aux2 = c->rdbase2;
		break;
	}
	STAP_PROBE11(splitgic, its__cmd, c->its, (const char *)name, c->error, c->device_id,
		     c->event_id, c->intid, c->op, c->icid, aux1, aux2, c->creadr);
	emit(&ev);
}

void trace_snapshot_slow(bool full, uint64_t bytes, uint64_t t0, int rc)
{
	struct trace_event ev = { .kind = TRACE_SNAPSHOT };

	ev.ts_ns = trace_now_ns();
	ev.snapshot = (struct trace_snapshot){
		.full = full, .bytes = bytes, .duration_ns = t0 ? ev.ts_ns - t0 : 0, .rc = rc
	};
	STAP_PROBE4(splitgic, snapshot, ev.snapshot.full, ev.snapshot.bytes,
		    ev.snapshot.duration_ns, ev.snapshot.rc);
	emit(&ev);
}

void trace_restore_slow(enum trace_restore_source source, uint64_t epoch, unsigned channels,
			unsigned vcpus)
{
	struct trace_event ev = { .kind = TRACE_RESTORE,
				  .restore = { .source = source,
					       .epoch = epoch,
					       .channels = channels,
					       .vcpus = vcpus } };
	char name[16];

	snprintf(name, sizeof(name), "%s", restore_source_name(source));
	STAP_PROBE5(splitgic, restore, ev.restore.source, (const char *)name, epoch, channels,
		    vcpus);
	emit(&ev);
}

void trace_attach_slow(int pid, unsigned uid, unsigned gid, unsigned vcpus, unsigned spis,
		       unsigned its, unsigned ram_regions, bool resumed)
{
	struct trace_event ev = { .kind = TRACE_ATTACH,
				  .attach = { .pid = pid,
					      .uid = uid,
					      .gid = gid,
					      .vcpus = vcpus,
					      .spis = spis,
					      .its = its,
					      .ram_regions = ram_regions,
					      .resumed = resumed } };

	STAP_PROBE8(splitgic, attach, pid, uid, vcpus, spis, its, resumed, gid, ram_regions);
	emit(&ev);
}

void trace_detach_slow(const char *reason)
{
	struct trace_event ev = { .kind = TRACE_DETACH };

	snprintf(ev.detach.reason, sizeof(ev.detach.reason), "%s", reason ? reason : "");
	STAP_PROBE1(splitgic, detach, (const char *)ev.detach.reason);
	emit(&ev);
}
