// SPDX-License-Identifier: MIT
/* Every counter the daemon keeps, as metrics (counters.h). */
#include "counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "server_internal.h"

struct emit {
	void (*fn)(const struct counter *c, void *arg);
	void *arg;
};

/* One sample; l1/v1 and l2/v2 are optional labels (NULL name: none). */
static void emit(struct emit *e, const char *name, const char *help, enum counter_type type,
		 uint64_t value, const char *l1, const char *v1, const char *l2, const char *v2)
{
	struct counter c = { .name = name, .help = help, .type = type, .value = value };

	if (l1) {
		c.label[c.nr_labels].name = l1;
		snprintf(c.label[c.nr_labels].value, sizeof(c.label[0].value), "%s", v1);
		c.nr_labels++;
		c.per_channel = strcmp(l1, "channel") == 0;
	}
	if (l2) {
		c.label[c.nr_labels].name = l2;
		snprintf(c.label[c.nr_labels].value, sizeof(c.label[0].value), "%s", v2);
		c.nr_labels++;
	}
	e->fn(&c, e->arg);
}

static void emit_plain(struct emit *e, const char *name, const char *help, enum counter_type type,
		       uint64_t value)
{
	emit(e, name, help, type, value, NULL, NULL, NULL, NULL);
}

/* A family of counters read from a stats struct at an offset. */
struct def {
	const char *name;
	const char *help;
	size_t off;
};

static uint64_t field(const void *stats, size_t off)
{
	uint64_t v;

	memcpy(&v, (const unsigned char *)stats + off, sizeof(v));
	return v;
}

static void emit_defs(struct emit *e, const struct def *defs, size_t n, const void *stats)
{
	for (size_t i = 0; i < n; i++)
		emit_plain(e, defs[i].name, defs[i].help, COUNTER_COUNTER,
			   field(stats, defs[i].off));
}

#define NDEFS(a) (sizeof(a) / sizeof((a)[0]))
#define DEF(prefix, type, f, help)                                                                 \
	{                                                                                          \
		"splitgic_" prefix "_" #f "_total", help, offsetof(type, f)                        \
	}

/* ---------------------------------------------------------- the daemon */

static const struct def control_defs[] = {
	{ "splitgic_control_connections_total", "Connections accepted on the control socket.",
	  offsetof(struct control_stats, accepted) },
	{ "splitgic_control_refused_total",
	  "Connections closed at accept: too many were waiting for their Hello.",
	  offsetof(struct control_stats, refused) },
	{ "splitgic_control_hello_timeouts_total", "Connections that sent no Hello in time.",
	  offsetof(struct control_stats, timeouts) },
	{ "splitgic_control_hangups_total", "Connections closed before sending their Hello.",
	  offsetof(struct control_stats, hangups) },
	{ "splitgic_control_admin_total", "Connections handed to the admin handlers (gicctl).",
	  offsetof(struct control_stats, admin) },
};

static void emit_control(struct emit *e, const struct control_stats *s)
{
	static const char help[] = "Hellos answered, per Welcome status.";
	static const struct {
		const char *result;
		size_t off;
	} hello[] = {
		{ "ok", offsetof(struct control_stats, ok) },
		{ "rejected", offsetof(struct control_stats, rejected) },
		{ "busy", offsetof(struct control_stats, busy) },
		{ "version", offsetof(struct control_stats, version) },
		{ "denied", offsetof(struct control_stats, denied) },
	};

	emit_defs(e, control_defs, NDEFS(control_defs), s);
	for (size_t i = 0; i < NDEFS(hello); i++)
		emit(e, "splitgic_control_hello_total", help, COUNTER_COUNTER,
		     field(s, hello[i].off), "result", hello[i].result, NULL, NULL);
}

static const struct def admin_defs[] = {
	{ "splitgic_admin_requests_total", "Admin requests received (gicctl).",
	  offsetof(struct admin_stats, requests) },
	{ "splitgic_admin_errors_total", "Admin requests answered with an error.",
	  offsetof(struct admin_stats, errors) },
	{ "splitgic_admin_refused_total", "Admin connections refused: too many open.",
	  offsetof(struct admin_stats, refused) },
	{ "splitgic_admin_overflows_total",
	  "Admin replies refused because the client was not reading.",
	  offsetof(struct admin_stats, overflows) },
};

/* ---------------------------------------------------------- channels */

static const struct def chan_defs[] = {
	{ "splitgic_channel_rx_total", "Datagrams received on the channel.",
	  offsetof(struct channel_stats, rx) },
	{ "splitgic_channel_applied_total", "Messages applied to the core.",
	  offsetof(struct channel_stats, applied) },
	{ "splitgic_channel_duplicates_total",
	  "Sequenced messages at or below the last applied one: dropped.",
	  offsetof(struct channel_stats, dups) },
	{ "splitgic_channel_early_total",
	  "After a restore, messages ahead of the sender's replay: dropped.",
	  offsetof(struct channel_stats, early) },
	{ "splitgic_channel_malformed_total",
	  "In sequence but invalid: sequence number consumed, not applied.",
	  offsetof(struct channel_stats, malformed) },
	{ "splitgic_channel_tx_total", "Messages sent (or queued) to the VMM.",
	  offsetof(struct channel_stats, tx) },
	{ "splitgic_channel_tx_queued_total", "Messages that had to wait in the output queue.",
	  offsetof(struct channel_stats, tx_queued) },
	{ "splitgic_channel_tx_batches_total", "Batch datagrams sent (or queued).",
	  offsetof(struct channel_stats, tx_batches) },
	{ "splitgic_channel_tx_batched_total", "Messages that travelled in Batch datagrams.",
	  offsetof(struct channel_stats, tx_batched) },
	{ "splitgic_channel_drain_bound_hits_total",
	  "Drain rounds cut short by the per-channel bound.",
	  offsetof(struct channel_stats, budget_hits) },
};

/* Label values of enum sg_wire_err (counters per reject reason). */
static const char *const reject_reason[SG_WIRE_NR_ERRS] = {
	[SG_WIRE_OK] = "ok",
	[SG_WIRE_EMPTY] = "empty",
	[SG_WIRE_OVERSIZE] = "oversize",
	[SG_WIRE_DECODE] = "decode",
	[SG_WIRE_VERSION] = "version",
	[SG_WIRE_NO_BODY] = "no_body",
	[SG_WIRE_WRONG_CHANNEL] = "wrong_channel",
	[SG_WIRE_RANGE] = "range",
	[SG_WIRE_SEQ] = "seq",
	[SG_WIRE_FDS] = "fds",
};
_Static_assert(SG_WIRE_NR_ERRS == 10, "name the new reject reason in reject_reason[]");

static void emit_channels(struct emit *e, const struct session *s)
{
	for (size_t d = 0; d < NDEFS(chan_defs); d++)
		for (unsigned i = 0; i < s->nr_chans; i++)
			emit(e, chan_defs[d].name, chan_defs[d].help, COUNTER_COUNTER,
			     field(&s->chan[i].stats, chan_defs[d].off), "channel", s->chan[i].name,
			     NULL, NULL);
	for (unsigned i = 0; i < s->nr_chans; i++)
		for (int r = SG_WIRE_OK + 1; r < SG_WIRE_NR_ERRS; r++)
			emit(e, "splitgic_channel_rejects_total",
			     "Datagrams rejected, per reason (docs/protocol.md, Rejections).",
			     COUNTER_COUNTER, s->chan[i].stats.rejects[r], "channel",
			     s->chan[i].name, "reason", reject_reason[r]);
	for (unsigned i = 0; i < s->nr_chans; i++)
		emit(e, "splitgic_channel_last_applied", "Highest sequence number applied.",
		     COUNTER_GAUGE, s->chan[i].last_applied, "channel", s->chan[i].name, NULL,
		     NULL);
	for (unsigned i = 0; i < s->nr_chans; i++)
		emit(e, "splitgic_channel_queued", "Messages waiting in the output queue now.",
		     COUNTER_GAUGE, s->chan[i].txq_msgs, "channel", s->chan[i].name, NULL, NULL);
	for (unsigned i = 0; i < s->nr_chans; i++)
		emit(e, "splitgic_channel_queued_peak", "Most messages queued at once.",
		     COUNTER_GAUGE, s->chan[i].stats.txq_peak, "channel", s->chan[i].name, NULL,
		     NULL);
}

/* ---------------------------------------------------- drain and state */

static const struct def drain_defs[] = {
	{ "splitgic_drain_runs_total", "Drains (everything readable taken, then reads served).",
	  offsetof(struct session_stats, drains) },
	{ "splitgic_drain_rounds_total", "Read-everything-then-serve rounds.",
	  offsetof(struct session_stats, rounds) },
	{ "splitgic_drain_fences_total", "Waited-for transactions served after a drain.",
	  offsetof(struct session_stats, fences) },
	{ "splitgic_drain_bound_hits_total", "Rounds cut short by the per-channel bound.",
	  offsetof(struct session_stats, bound_hits) },
	{ "splitgic_drain_malformed_replies_total", "MmioReply MALFORMED sent.",
	  offsetof(struct session_stats, malformed_replies) },
};

static const struct def state_defs[] = {
	{ "splitgic_state_commits_total", "Journal records written.",
	  offsetof(struct session_stats, commits) },
	{ "splitgic_state_commit_bytes_total", "Bytes of journal records written.",
	  offsetof(struct session_stats, commit_bytes) },
	{ "splitgic_state_snapshots_total", "Full snapshots written.",
	  offsetof(struct session_stats, snapshots) },
	{ "splitgic_state_store_errors_total", "State records that could not be written.",
	  offsetof(struct session_stats, store_errors) },
	{ "splitgic_state_reads_served_again_total",
	  "Reads asked again after a restart and served again.",
	  offsetof(struct session_stats, dup_reads) },
	{ "splitgic_state_acks_total", "Ack messages from the agent.",
	  offsetof(struct session_stats, acks) },
	{ "splitgic_state_resync_stale_total", "Resync for an earlier epoch: ignored.",
	  offsetof(struct session_stats, resync_stale) },
};

static void emit_state(struct emit *e, const struct session *s)
{
	emit_plain(e, "splitgic_state_epoch", "Daemon starts for this VM.", COUNTER_GAUGE,
		   s->dur.epoch);
	emit_defs(e, state_defs, NDEFS(state_defs), &s->stats);
	emit_plain(e, "splitgic_state_retained_datagrams",
		   "Bus datagrams kept until the agent acknowledges them.", COUNTER_GAUGE,
		   s->dur.nr_retained);
	emit_plain(e, "splitgic_state_bus_acked", "Bus sequence number the agent acknowledged.",
		   COUNTER_GAUGE, s->dur.bus_acked);
	emit_plain(e, "splitgic_state_last_snapshot_bytes", "Size of the last full snapshot.",
		   COUNTER_GAUGE, s->last_snapshot_bytes);
}

/* ------------------------------------------------ core, distributor */

#define CORE(f, help) DEF("core", struct core_stats, f, help)
static const struct def core_defs[] = {
	CORE(mmio_reads, "MMIO reads."),
	CORE(mmio_writes, "MMIO writes."),
	CORE(mmio_posted, "MMIO writes that were posted."),
	CORE(mmio_unmapped, "MMIO accesses outside the GICD and ITS frames."),
	CORE(mmio_ignored, "MMIO accesses performed as RAZ/WI."),
	CORE(msi, "Msi received (device models and GITS_TRANSLATER writes)."),
	CORE(sync_done, "SyncDone received."),
	CORE(spi_level, "SpiLevel received."),
	CORE(deactivated, "Deactivated received."),
	CORE(cpu_state, "CpuState received."),
	CORE(resync, "Resync received."),
	CORE(resync_repairs, "Ownership entries a Resync repaired."),
	CORE(unhandled, "Valid messages this version does not act on."),
	CORE(reads_deferred, "Reads parked waiting for owners."),
	CORE(reads_completed, "Parked reads answered."),
	CORE(reads_requeried, "Parked read rounds that asked again."),
	CORE(read_busy, "Reads while the vCPU already had one parked."),
	CORE(reads_superseded, "Parked reads dropped for a later one."),
	CORE(queries, "Query sent."),
	CORE(query_replies, "QueryReply received."),
	CORE(query_unmatched, "QueryReply for no outstanding Query."),
};

#define DIST(f, help) DEF("dist", struct dist_stats, f, help)
static const struct def dist_defs[] = {
	DIST(bad_width, "Accesses of a width the register does not allow: RAZ/WI."),
	DIST(misaligned, "Accesses not naturally aligned: RAZ/WI."),
	DIST(reserved, "Accesses to reserved offsets: RAZ/WI."),
	DIST(ro_write, "Writes to read-only registers: ignored."),
	DIST(wo_read, "Reads of write-only registers: RAZ."),
	DIST(bad_intid, "SETSPI/CLRSPI, SpiLevel or Deactivated naming no configured SPI."),
	DIST(delivers, "Deliver sent."),
	DIST(retracts, "Retract sent."),
	DIST(deact_matched, "Deactivated that ended ownership."),
	DIST(deact_stale, "Deactivated that crossed a later message."),
	DIST(deact_not_owner, "Deactivated from a vCPU that does not own the SPI."),
	DIST(latch_returned, "Returned latches taken back into the distributor."),
	DIST(latch_merged, "Returned latches dropped (merged into a later edge)."),
	DIST(bad_vcpu, "CpuState or Deactivated naming no vCPU."),
	DIST(resync_skipped, "Resync entries about an SPI messaged since the restore."),
};

#define ITS(f, help) DEF("its", struct its_stats, f, help)
static const struct def its_defs[] = {
	ITS(bad_width, "ITS register accesses of a bad width or alignment."),
	ITS(reserved, "ITS reserved offsets accessed."),
	ITS(ro_write, "ITS read-only register writes."),
	ITS(wo_read, "Reads of GITS_TRANSLATER."),
	ITS(locked_write, "CBASER/BASER writes while enabled: ignored."),
	ITS(commands, "ITS commands executed (errors included)."),
	ITS(cmd_errors, "ITS commands that failed their checks and were skipped."),
	ITS(cmd_stalls, "ITS command queue stalls."),
	ITS(cmd_unknown, "Unknown ITS command opcodes."),
	ITS(retries, "CWRITER.Retry that restarted a stalled queue."),
	ITS(syncs, "ITS SYNCs sent."),
	ITS(sync_stray, "SyncDone that matched no outstanding SYNC."),
	ITS(msi, "MSIs and TRANSLATER writes."),
	ITS(msi_delivered, "MSIs translated and sent."),
	ITS(msi_disabled, "MSIs dropped: ITS disabled."),
	ITS(msi_unmapped, "MSIs dropped: no valid translation."),
	ITS(msi_fault, "MSIs dropped: a table is not in guest RAM."),
	ITS(cache_hits, "Translation cache hits."),
	ITS(cache_misses, "Translation cache misses."),
	ITS(cache_flushes, "Whole translation cache invalidations."),
	ITS(corrupt_entries, "Table entries valid but badly formatted."),
	ITS(table_faults, "Table or ITT accesses outside RAM or not writable."),
};

static void emit_its(struct emit *e, const struct session *s)
{
	for (size_t d = 0; d < NDEFS(its_defs); d++)
		for (unsigned i = 0; i < s->shape.map.nr_its; i++) {
			char idx[12];

			snprintf(idx, sizeof(idx), "%u", i);
			emit(e, its_defs[d].name, its_defs[d].help, COUNTER_COUNTER,
			     field(&s->core.its[i].stats, its_defs[d].off), "its", idx, NULL, NULL);
		}
}

#define RAM(f, help) DEF("guest_ram", struct guest_ram_stats, f, help)
static const struct def ram_defs[] = {
	RAM(rw_maps, "Writable guest RAM windows created."),
	RAM(rw_reuses, "Writable window requests that found the range mapped."),
	RAM(rw_evictions, "Writable windows dropped to make room."),
	RAM(rw_unmaps, "Writable windows dropped by their owner."),
	RAM(rw_map_fail, "Writable window requests that failed."),
	RAM(write_denied, "Guest RAM writes outside every writable window."),
	RAM(write_fault, "Guest RAM writes that hit a shrunk memfd."),
};

/* ------------------------------------------------------------- all */

void counters_foreach(const struct server *srv, void (*fn)(const struct counter *c, void *arg),
		      void *arg)
{
	struct emit e = { fn, arg };
	const struct session *s = srv->session;

	emit(&e, "splitgic_info", "Always 1: the daemon's version and its VM.", COUNTER_GAUGE, 1,
	     "version", SG_VERSION, "vm", srv->cfg->vm_name);
	emit_plain(&e, "splitgic_vm_attached", "1 while a VM is attached.", COUNTER_GAUGE,
		   s != NULL);
	if (srv->control)
		emit_control(&e, control_get_stats(srv->control));
	if (srv->admin)
		emit_defs(&e, admin_defs, NDEFS(admin_defs), admin_get_stats(srv->admin));
	if (!s)
		return;
	emit_channels(&e, s);
	emit_defs(&e, drain_defs, NDEFS(drain_defs), &s->stats);
	emit_state(&e, s);
	emit_defs(&e, core_defs, NDEFS(core_defs), &s->core.stats);
	emit_defs(&e, dist_defs, NDEFS(dist_defs), &s->core.dist.stats);
	emit_its(&e, s);
	emit_defs(&e, ram_defs, NDEFS(ram_defs), &s->ram.stats);
	emit_plain(&e, "splitgic_guest_ram_regions", "Guest RAM regions mapped.", COUNTER_GAUGE,
		   s->ram.nr_regions);
	emit_plain(&e, "splitgic_guest_ram_windows", "Writable guest RAM windows open now.",
		   COUNTER_GAUGE, s->ram.nr_windows);
}

int counter_key(const struct counter *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", c->name), m;

	for (unsigned i = 0; i < c->nr_labels && n >= 0; i++) {
		m = snprintf(buf + ((size_t)n < len ? (size_t)n : len),
			     (size_t)n < len ? len - (size_t)n : 0, "%s%s=\"%s\"", i ? "," : "{",
			     c->label[i].name, c->label[i].value);
		n = m < 0 ? m : n + m;
	}
	if (c->nr_labels && n >= 0) {
		m = snprintf(buf + ((size_t)n < len ? (size_t)n : len),
			     (size_t)n < len ? len - (size_t)n : 0, "}");
		n = m < 0 ? m : n + m;
	}
	return n;
}

void histograms_foreach(const struct server *srv,
			void (*fn)(const struct histogram_info *info, const struct histogram *h,
				   void *arg),
			void *arg)
{
	static const struct histogram zero;

	for (unsigned i = 0; i < HIST_NR; i++)
		fn(&histogram_info[i], srv->session ? &srv->session->hist[i] : &zero, arg);
}

void *counters_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t new_cap;

	if (n < *cap)
		return v;
	new_cap = *cap ? *cap * 2 : first;
	v = realloc(v, new_cap * size);
	if (v)
		*cap = new_cap;
	return v;
}
