// SPDX-License-Identifier: MIT
/*
 * gicctl stats against the real daemon: counters and latency histograms
 * after known traffic (the MMIO histogram counts exactly the reads done),
 * --json against schema/stats.schema.json, --prometheus parsed line by line
 * (every line a comment or a sample, TYPE before samples, buckets
 * cumulative, +Inf = _count), a large VM whose answer spans several
 * replies, no VM, bad options.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check_run.h"
#include "gic_regs.h"
#include "gicctl_test.h"
#include "splitgic/agent.h"
#include "wire.h"

static struct harness_daemon d;

static json_object *stats_json(void)
{
	const char *args[] = { "stats", NULL };

	return gicctl_json(&d, args, "stats");
}

/* Whether entry o of counters/histograms is name with label (or none). */
static bool is(json_object *o, const char *name, const char *label, const char *value)
{
	json_object *labels = gicctl_json_get(o, "labels"), *v;

	if (strcmp(json_object_get_string(gicctl_json_get(o, "name")), name) != 0)
		return false;
	if (!label)
		return json_object_object_length(labels) == 0;
	return json_object_object_get_ex(labels, label, &v) &&
	       strcmp(json_object_get_string(v), value) == 0;
}

static json_object *find(json_object *doc, const char *list, const char *name, const char *label,
			 const char *value)
{
	json_object *a = gicctl_json_get(doc, list);

	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (is(json_object_array_get_idx(a, i), name, label, value))
			return json_object_array_get_idx(a, i);
	ck_abort_msg("no %s %s{%s=%s}", list, name, label ? label : "", value ? value : "");
	return NULL;
}

static uint64_t ctr(json_object *doc, const char *name, const char *label, const char *value)
{
	return json_object_get_uint64(
		gicctl_json_get(find(doc, "counters", name, label, value), "value"));
}

static uint64_t hist_count(json_object *doc, const char *name, const char *label, const char *value)
{
	json_object *h = find(doc, "histograms", name, label, value),
		    *b = gicctl_json_get(h, "buckets");
	uint64_t count = json_object_get_uint64(gicctl_json_get(h, "count")), prev = 0;

	/* Cumulative, never above count. */
	for (size_t i = 0; i < json_object_array_length(b); i++) {
		uint64_t c = json_object_get_uint64(
			gicctl_json_get(json_object_array_get_idx(b, i), "count"));

		ck_assert_uint_ge(c, prev);
		prev = c;
	}
	ck_assert_uint_le(prev, count);
	if (count == 0)
		ck_assert_uint_eq(json_object_get_uint64(gicctl_json_get(h, "sum_ns")), 0);
	return count;
}

static unsigned nr_samples(json_object *doc, const char *name)
{
	json_object *a = gicctl_json_get(doc, "counters");
	unsigned n = 0;

	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(
				   gicctl_json_get(json_object_array_get_idx(a, i), "name")),
			   name) == 0)
			n++;
	return n;
}

/* ------------------------------------------ the Prometheus text format */

#define MAX_FAMILIES 256
#define MAX_HISTS    64

struct prom {
	unsigned nf;
	char family[MAX_FAMILIES][96];
	char type[MAX_FAMILIES][16];
	bool sampled[MAX_FAMILIES];
	unsigned nh;
	struct {
		char key[320];
		double last_le;
		uint64_t last, inf, count;
		bool inf_seen, count_seen;
		unsigned buckets;
	} h[MAX_HISTS];
	unsigned samples;
};

static int family_index(struct prom *p, const char *name)
{
	for (unsigned i = 0; i < p->nf; i++)
		if (strcmp(p->family[i], name) == 0)
			return (int)i;
	return -1;
}

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* Parses a metric or label name at *s; returns its length (0: none). */
static size_t parse_name(const char *s, char *out, size_t len)
{
	size_t n = 0;

	while (name_char(s[n], n == 0))
		n++;
	ck_assert_uint_lt(n, len);
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

static void prom_comment(struct prom *p, const char *line)
{
	char name[96];
	const char *s;
	int i;

	if (strncmp(line, "# HELP ", 7) == 0) {
		s = line + 7;
		ck_assert_msg(parse_name(s, name, sizeof(name)) > 0, "bad HELP: %s", line);
		return;
	}
	ck_assert_msg(strncmp(line, "# TYPE ", 7) == 0, "unknown comment: %s", line);
	s = line + 7 + parse_name(line + 7, name, sizeof(name));
	ck_assert_msg(name[0] && *s == ' ', "bad TYPE: %s", line);
	s++;
	ck_assert_msg(!strcmp(s, "counter") || !strcmp(s, "gauge") || !strcmp(s, "histogram"),
		      "bad TYPE: %s", line);
	ck_assert_msg(family_index(p, name) < 0, "TYPE twice for %s", name);
	ck_assert_uint_lt(p->nf, MAX_FAMILIES);
	i = (int)p->nf++;
	snprintf(p->family[i], sizeof(p->family[i]), "%s", name);
	snprintf(p->type[i], sizeof(p->type[i]), "%s", s);
	if (!strcmp(s, "counter"))
		ck_assert_msg(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"),
			      "counter %s does not end in _total", name);
}

static bool strip_suffix(char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	if (n <= m || strcmp(name + n - m, suffix) != 0)
		return false;
	name[n - m] = '\0';
	return true;
}

static void prom_sample(struct prom *p, const char *line)
{
	char name[96], base[96], lname[64], labels[200] = "", key[320], le[128] = "";
	const char *s = line;
	size_t off, loff = 0;
	int fam;
	double value;
	char *end;

	off = parse_name(s, name, sizeof(name));
	ck_assert_msg(off > 0, "not a sample: %s", line);
	s += off;
	if (*s == '{') {
		s++;
		while (*s != '}') {
			char val[128];
			size_t n = 0;

			off = parse_name(s, lname, sizeof(lname));
			ck_assert_msg(off > 0 && s[off] == '=' && s[off + 1] == '"',
				      "bad label: %s", line);
			s += off + 2;
			while (*s && *s != '"') {
				if (*s == '\\') {
					s++;
					ck_assert_msg(*s == '\\' || *s == '"' || *s == 'n',
						      "bad escape: %s", line);
				}
				ck_assert_uint_lt(n, sizeof(val) - 1);
				val[n++] = *s++;
			}
			val[n] = '\0';
			ck_assert_msg(*s == '"', "unterminated label value: %s", line);
			s++;
			if (!strcmp(lname, "le"))
				snprintf(le, sizeof(le), "%s", val);
			else
				loff += (size_t)snprintf(labels + loff, sizeof(labels) - loff,
							 "%s=%s,", lname, val);
			ck_assert_msg(*s == ',' || *s == '}', "bad label list: %s", line);
			if (*s == ',')
				s++;
		}
		s++;
	}
	ck_assert_msg(*s == ' ', "no value: %s", line);
	value = strtod(s + 1, &end);
	ck_assert_msg(end != s + 1 && *end == '\0', "bad value: %s", line);
	ck_assert_msg(value >= 0, "negative value: %s", line);
	p->samples++;

	snprintf(base, sizeof(base), "%s", name);
	fam = family_index(p, name);
	if (fam < 0 && (strip_suffix(base, "_bucket") || strip_suffix(base, "_sum") ||
			strip_suffix(base, "_count"))) {
		fam = family_index(p, base);
		ck_assert_msg(fam >= 0 && !strcmp(p->type[fam], "histogram"),
			      "%s: no histogram TYPE for it", line);
	}
	ck_assert_msg(fam >= 0, "%s: sample before its TYPE", line);
	p->sampled[fam] = true;
	if (strcmp(p->type[fam], "histogram") != 0) {
		ck_assert_msg(!le[0], "le on a %s: %s", p->type[fam], line);
		return;
	}
	/* One histogram: base name and its labels but le, "name{a=x,}". */
	ck_assert_uint_lt(loff, sizeof(labels));
	snprintf(key, sizeof(key), "%s{%s}", base, labels);
	{
		unsigned i;

		for (i = 0; i < p->nh; i++)
			if (!strcmp(p->h[i].key, key))
				break;
		if (i == p->nh) {
			ck_assert_uint_lt(p->nh, MAX_HISTS);
			memset(&p->h[i], 0, sizeof(p->h[i]));
			snprintf(p->h[i].key, sizeof(p->h[i].key), "%s", key);
			p->h[i].last_le = -1;
			p->nh++;
		}
		if (strip_suffix(name, "_bucket")) {
			ck_assert_msg(le[0], "bucket without le: %s", line);
			ck_assert_msg(!p->h[i].inf_seen, "bucket after +Inf: %s", line);
			ck_assert_msg((uint64_t)value >= p->h[i].last,
				      "buckets not cumulative at %s", line);
			p->h[i].last = (uint64_t)value;
			p->h[i].buckets++;
			if (!strcmp(le, "+Inf")) {
				p->h[i].inf_seen = true;
				p->h[i].inf = (uint64_t)value;
			} else {
				double b = strtod(le, &end);

				ck_assert_msg(*end == '\0' && b > p->h[i].last_le,
					      "le not increasing at %s", line);
				p->h[i].last_le = b;
			}
		} else if (strip_suffix(name, "_count")) {
			p->h[i].count_seen = true;
			p->h[i].count = (uint64_t)value;
		}
	}
}

/* Checks the whole exposition; returns the _count of hist_key (e.g.
 * "splitgic_mmio_wait_seconds{}", "splitgic_state_write_seconds{kind=journal,}"),
 * or UINT64_MAX if it is not there. */
static uint64_t check_prometheus(const char *text, const char *hist_key, struct prom *p)
{
	char *copy = strdup(text), *line, *save = NULL;
	uint64_t found = UINT64_MAX;

	ck_assert_ptr_nonnull(copy);
	memset(p, 0, sizeof(*p));
	ck_assert_msg(text[0] && text[strlen(text) - 1] == '\n', "not newline-terminated");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			prom_comment(p, line);
		else
			prom_sample(p, line);
	}
	free(copy);
	for (unsigned i = 0; i < p->nh; i++) {
		ck_assert_msg(p->h[i].inf_seen && p->h[i].count_seen, "%s: no +Inf or _count",
			      p->h[i].key);
		ck_assert_msg(p->h[i].inf == p->h[i].count, "%s: +Inf %llu != _count %llu",
			      p->h[i].key, (unsigned long long)p->h[i].inf,
			      (unsigned long long)p->h[i].count);
		ck_assert_uint_ge(p->h[i].buckets, 2);
		if (!strcmp(p->h[i].key, hist_key))
			found = p->h[i].count;
	}
	for (unsigned i = 0; i < p->nf; i++)
		ck_assert_msg(p->sampled[i], "TYPE %s without samples", p->family[i]);
	return found;
}

static uint64_t prometheus_count(const char *hist_key, struct prom *p)
{
	const char *args[] = { "stats", "--prometheus", NULL };
	struct gicctl_run r = gicctl_run(&d, args);
	uint64_t n;

	ck_assert_msg(r.exit_code == 0, "gicctl stats --prometheus: exit %d: %s", r.exit_code,
		      r.err);
	n = check_prometheus(r.out, hist_key, p);
	ck_assert_msg(n != UINT64_MAX, "no histogram %s in:\n%.3000s", hist_key, r.out);
	gicctl_run_free(&r);
	return n;
}

/* ------------------------------------------------------------- tests */

START_TEST(test_stats_mmio)
{
	enum { W = 6, K = 17 };
	const char *args[] = { "stats", NULL };
	struct sg_vm_shape shape;
	struct sg_vm *vm;
	struct gicctl_run r;
	struct prom *p = calloc(1, sizeof(*p));
	json_object *doc;

	ck_assert_ptr_nonnull(p);
	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 2, 64, 0);
	vm = harness_vm_create(&shape);
	harness_vm_connect(vm, &d, "test");

	doc = stats_json();
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_wait_seconds", NULL, NULL), 0);
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_posted_apply_seconds", NULL, NULL), 0);
	/* The first attach wrote a full snapshot. */
	ck_assert_uint_ge(hist_count(doc, "splitgic_state_write_seconds", "kind", "snapshot"), 1);
	json_object_put(doc);

	for (unsigned i = 0; i < W; i++)
		harness_gicd_write(vm, 0, GICD_IPRIORITYR + 32 + i, 1, 0x80);
	for (unsigned i = 0; i < K; i++)
		(void)harness_gicd_read(vm, i % 2, GICD_CTLR, 4);

	doc = stats_json();
	/* Exactly the reads this test did, and the posted writes before them. */
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_wait_seconds", NULL, NULL), K);
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_posted_apply_seconds", NULL, NULL), W);
	ck_assert_uint_eq(ctr(doc, "splitgic_core_mmio_reads_total", NULL, NULL), K);
	ck_assert_uint_eq(ctr(doc, "splitgic_core_mmio_posted_total", NULL, NULL), W);
	ck_assert_uint_ge(ctr(doc, "splitgic_channel_rx_total", "channel", "mmio0"),
			  W + (K + 1) / 2);
	ck_assert_uint_ge(ctr(doc, "splitgic_channel_rx_total", "channel", "mmio1"), K / 2);
	ck_assert_uint_eq(ctr(doc, "splitgic_channel_last_applied", "channel", "mmio1"), K / 2);
	ck_assert_uint_eq(ctr(doc, "splitgic_channel_rejects_total", "channel", "mmio0"), 0);
	ck_assert_uint_ge(hist_count(doc, "splitgic_state_write_seconds", "kind", "journal"), 1);
	ck_assert_uint_eq(hist_count(doc, "splitgic_its_command_seconds", NULL, NULL), 0);
	ck_assert_uint_eq(ctr(doc, "splitgic_vm_attached", NULL, NULL), 1);
	ck_assert_uint_eq(nr_samples(doc, "splitgic_channel_rx_total"), 3);
	/* Every reject reason of every channel. */
	ck_assert_uint_eq(nr_samples(doc, "splitgic_channel_rejects_total"), 3 * 9);
	ck_assert_uint_eq(ctr(doc, "splitgic_channel_rejects_total", "channel", "bus"), 0);
	json_object_put(doc);

	ck_assert_uint_eq(prometheus_count("splitgic_mmio_wait_seconds{}", p), K);
	ck_assert_uint_eq(prometheus_count("splitgic_mmio_posted_apply_seconds{}", p), W);
	ck_assert_uint_ge(prometheus_count("splitgic_state_write_seconds{kind=journal,}", p), 1);

	r = gicctl_run(&d, args);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "COUNTER"));
	ck_assert_ptr_nonnull(strstr(r.out, "\nsplitgic_channel_rx_total "));
	ck_assert_ptr_nonnull(strstr(r.out, "channel=mmio0"));
	ck_assert_ptr_nonnull(strstr(r.out, "\nHISTOGRAM "));
	ck_assert_ptr_nonnull(strstr(r.out, "\nsplitgic_mmio_wait_seconds "));
	ck_assert_ptr_nonnull(strstr(r.out, "kind=snapshot"));
	gicctl_run_free(&r);

	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	free(p);
}
END_TEST

/* A level SPI: its Deliver, and a read of its active state through Query. */
START_TEST(test_stats_spi_query)
{
	struct sg_vm_shape shape;
	struct sg_vm *vm;
	struct prom *p = calloc(1, sizeof(*p));
	json_object *doc;
	uint64_t replies;

	ck_assert_ptr_nonnull(p);
	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 2, 64, 0);
	vm = harness_vm_create(&shape);
	harness_vm_connect(vm, &d, "test");
	harness_vm_enable_grp1(vm);
	harness_gicd_write(vm, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	harness_gicd_write(vm, 0, GICD_IROUTER + 8 * 41, 8, 1);
	harness_gicd_write(vm, 0, GICD_ISENABLER + 4, 4, 1u << 9);
	(void)harness_gicd_read(vm, 0, GICD_CTLR, 4);
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 41, true), 0);
	ck_assert_uint_eq(harness_take_irq(vm, 1), 41);
	/* Active at vCPU 1: the distributor asks it. */
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISACTIVER + 4, 4) & (1u << 9), 1u << 9);
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 41, false), 0);
	harness_eoi(vm, 1, 41);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISACTIVER + 4, 4) & (1u << 9), 0);

	doc = stats_json();
	ck_assert_uint_ge(hist_count(doc, "splitgic_input_deliver_seconds", "input", "spi"), 1);
	ck_assert_uint_le(hist_count(doc, "splitgic_input_deliver_seconds", "input", "spi"),
			  ctr(doc, "splitgic_core_spi_level_total", NULL, NULL));
	ck_assert_uint_eq(hist_count(doc, "splitgic_input_deliver_seconds", "input", "msi"), 0);
	ck_assert_uint_ge(ctr(doc, "splitgic_dist_delivers_total", NULL, NULL), 1);
	ck_assert_uint_ge(ctr(doc, "splitgic_core_queries_total", NULL, NULL), 1);
	/* Every answered Query is one round trip. */
	replies = ctr(doc, "splitgic_core_query_replies_total", NULL, NULL) -
		  ctr(doc, "splitgic_core_query_unmatched_total", NULL, NULL);
	ck_assert_uint_ge(replies, 1);
	ck_assert_uint_eq(hist_count(doc, "splitgic_query_roundtrip_seconds", NULL, NULL), replies);
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_wait_seconds", NULL, NULL), 3);
	json_object_put(doc);
	ck_assert_uint_ge(prometheus_count("splitgic_input_deliver_seconds{input=spi,}", p), 1);

	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	free(p);
}
END_TEST

/* 100 vCPUs and an ITS: more counters than one datagram holds. */
START_TEST(test_stats_large_vm)
{
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct prom *p = calloc(1, sizeof(*p));
	json_object *doc;

	ck_assert_ptr_nonnull(p);
	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 100, 960, 1);
	harness_attach(&d, &shape, &att);
	doc = stats_json();
	ck_assert_uint_eq(nr_samples(doc, "splitgic_channel_rx_total"), 101);
	ck_assert_uint_eq(nr_samples(doc, "splitgic_channel_rejects_total"), 101 * 9);
	ck_assert_uint_eq(ctr(doc, "splitgic_channel_rx_total", "channel", "mmio99"), 0);
	ck_assert_uint_eq(ctr(doc, "splitgic_channel_rx_total", "channel", "bus"), 0);
	ck_assert_uint_eq(ctr(doc, "splitgic_its_commands_total", "its", "0"), 0);
	ck_assert_uint_eq(json_object_array_length(gicctl_json_get(doc, "histograms")), 8);
	json_object_put(doc);
	ck_assert_uint_eq(prometheus_count("splitgic_mmio_wait_seconds{}", p), 0);
	ck_assert_uint_eq(p->nh, 8);
	sg_attachment_close(&att);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	free(p);
}
END_TEST

/* Raw MMIO on channel fd of a bare attachment (no agent). */
static uint64_t raw_seq;

static void raw_mmio(int fd, uint64_t addr, unsigned size, bool write, uint64_t data)
{
	Sg__Mmio m = SG__MMIO__INIT;
	Sg__Envelope env;

	m.addr = addr;
	m.size = size;
	m.write = write;
	m.posted = write;
	m.data = data;
	sg_envelope_init(&env);
	env.seq = ++raw_seq;
	env.body_case = SG__ENVELOPE__BODY_MMIO;
	env.mmio = &m;
	ck_assert_int_eq(sg_wire_send(fd, &env, NULL, 0), 0);
}

/* A waited read; skips what else the daemon sends (Durable). */
static uint64_t raw_read(int fd, uint64_t addr, unsigned size)
{
	static unsigned char buf[SG_WIRE_MAX + 1], arena_buf[SG_WIRE_ARENA_SIZE];
	struct sg_arena arena;

	raw_mmio(fd, addr, size, false, 0);
	for (;;) {
		Sg__Envelope *env;
		unsigned nfds;
		ssize_t n = sg_wire_recv(fd, buf, sizeof(buf), NULL, 0, &nfds);

		ck_assert_int_gt(n, 0);
		sg_arena_init(&arena, arena_buf, sizeof(arena_buf));
		ck_assert_int_eq(sg_wire_decode(buf, (size_t)n, &arena, &env), SG_WIRE_OK);
		if (env->body_case == SG__ENVELOPE__BODY_MMIO_REPLY &&
		    env->mmio_reply->seq == raw_seq) {
			ck_assert_int_eq(env->mmio_reply->status, SG__MMIO_REPLY__STATUS__OK);
			return env->mmio_reply->data;
		}
	}
}

/* N ITS commands (unknown opcodes: each skipped with a command error). */
START_TEST(test_stats_its_commands)
{
	enum { N = 12 };
	const uint64_t gpa = 0x40000000, size = 2u << 20;
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct sg_ram_desc ram;
	char err[256] = "";
	uint64_t *q, its;
	json_object *doc;
	int memfd;

	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 1, 32, 1);
	its = shape.map.its_base[0];
	memfd = harness_memfd(size);
	q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ck_assert_ptr_ne(q, MAP_FAILED);
	for (unsigned i = 0; i < N; i++)
		q[4 * i] = 0xff; /* DW0: the opcode */
	ram = (struct sg_ram_desc){ .gpa = gpa, .size = size, .fd = memfd };
	ck_assert_msg(sg_attach(d.control_path, "test", &shape, &ram, 1, NULL, 0, 10000, &att, err,
				sizeof(err)) == 0,
		      "attach: %s", err);
	raw_seq = 0;
	raw_mmio(att.mmio_fd[0], its + GITS_CBASER, 8, true, GITS_CBASER_VALID | gpa);
	raw_mmio(att.mmio_fd[0], its + GITS_CTLR, 4, true, GITS_CTLR_ENABLED);
	raw_mmio(att.mmio_fd[0], its + GITS_CWRITER, 8, true, N * 32);
	/* Reading CREADR fences the posted writes: every command is done. */
	ck_assert_uint_eq(raw_read(att.mmio_fd[0], its + GITS_CREADR, 8), N * 32);

	doc = stats_json();
	ck_assert_uint_eq(ctr(doc, "splitgic_its_commands_total", "its", "0"), N);
	ck_assert_uint_eq(ctr(doc, "splitgic_its_cmd_errors_total", "its", "0"), N);
	ck_assert_uint_eq(hist_count(doc, "splitgic_its_command_seconds", NULL, NULL), N);
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_wait_seconds", NULL, NULL), 1);
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_posted_apply_seconds", NULL, NULL), 3);
	json_object_put(doc);

	sg_attachment_close(&att);
	munmap(q, size);
	close(memfd);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_stats_no_vm)
{
	struct prom *p = calloc(1, sizeof(*p));
	json_object *doc;

	ck_assert_ptr_nonnull(p);
	harness_daemon_start(&d, NULL);
	doc = stats_json();
	ck_assert_uint_eq(ctr(doc, "splitgic_vm_attached", NULL, NULL), 0);
	ck_assert_uint_eq(ctr(doc, "splitgic_info", "version", SG_VERSION), 1);
	ck_assert_uint_eq(nr_samples(doc, "splitgic_channel_rx_total"), 0);
	ck_assert_uint_eq(hist_count(doc, "splitgic_mmio_wait_seconds", NULL, NULL), 0);
	ck_assert_uint_ge(ctr(doc, "splitgic_admin_requests_total", NULL, NULL), 1);
	json_object_put(doc);
	ck_assert_uint_eq(prometheus_count("splitgic_mmio_wait_seconds{}", p), 0);
	ck_assert_int_eq(family_index(p, "splitgic_channel_rx_total"), -1);
	ck_assert_int_ge(family_index(p, "splitgic_admin_requests_total"), 0);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	free(p);
}
END_TEST

START_TEST(test_stats_usage)
{
	const char *both[] = { "--json", "stats", "--prometheus", NULL };
	const char *extra[] = { "stats", "now", NULL };
	const char *bad[] = { "stats", "--nonsense", NULL };
	struct gicctl_run r;

	harness_daemon_start(&d, NULL);
	r = gicctl_run(&d, both);
	ck_assert_int_eq(r.exit_code, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "exclude each other"));
	gicctl_run_free(&r);
	r = gicctl_run(&d, extra);
	ck_assert_int_eq(r.exit_code, 2);
	gicctl_run_free(&r);
	r = gicctl_run(&d, bad);
	ck_assert_int_eq(r.exit_code, 2);
	gicctl_run_free(&r);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gicctl-stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, test_stats_mmio);
	tcase_add_test(tc, test_stats_spi_query);
	tcase_add_test(tc, test_stats_large_vm);
	tcase_add_test(tc, test_stats_its_commands);
	tcase_add_test(tc, test_stats_no_vm);
	tcase_add_test(tc, test_stats_usage);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
