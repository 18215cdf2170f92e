// SPDX-License-Identifier: MIT
/*
 * gicctl stats [--prometheus]: every counter and latency histogram of the
 * daemon, as aligned text, as one JSON document (--json,
 * schema/stats.schema.json) or in the Prometheus text exposition format
 * 0.0.4 (--prometheus: latencies in seconds, histogram buckets cumulative).
 * The daemon splits a large answer over several replies; HELP text comes
 * with the first sample of each metric name.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gicctl.h"
#include "output.h"

struct label {
	char *name, *value;
};

struct sample {
	char *name;
	struct label *label;
	size_t nr_labels;
	bool gauge;
	uint64_t value;
	/* histograms */
	uint64_t count, sum_ns;
	uint64_t *le_ns;  /* nr_le finite bounds */
	uint64_t *bucket; /* nr_le + 1, not cumulative */
	size_t nr_le;
};

struct family {
	char *name;
	char *help;
	bool histogram, gauge;
	size_t *idx; /* its samples, in arrival order */
	size_t n;
};

struct list {
	struct sample *s;
	size_t n;
	struct family *f;
	size_t nf;
};

struct stats {
	struct list ctr, hist;
};

/* The family named name (created at the end if new); samples of one name
 * are grouped even if the daemon did not send them together. */
static struct family *family(struct list *l, const char *name)
{
	for (size_t i = 0; i < l->nf; i++)
		if (strcmp(l->f[i].name, name) == 0)
			return &l->f[i];
	l->f = gicctl_xrealloc(l->f, l->nf + 1, sizeof(*l->f));
	l->f[l->nf] = (struct family){ .name = gicctl_xstrdup(name) };
	return &l->f[l->nf++];
}

static struct sample *add_sample(struct list *l, const char *name, const char *help,
				 Sg__MetricLabel *const *labels, size_t nr_labels)
{
	struct family *f = family(l, name);
	struct sample *s;

	if (help && help[0] && !f->help)
		f->help = gicctl_xstrdup(help);
	f->idx = gicctl_xrealloc(f->idx, f->n + 1, sizeof(*f->idx));
	f->idx[f->n++] = l->n;
	l->s = gicctl_xrealloc(l->s, l->n + 1, sizeof(*l->s));
	s = &l->s[l->n++];
	*s = (struct sample){ .name = f->name, .nr_labels = nr_labels };
	s->label = gicctl_xrealloc(NULL, nr_labels, sizeof(*s->label));
	for (size_t i = 0; i < nr_labels; i++)
		s->label[i] = (struct label){ gicctl_xstrdup(labels[i]->name),
					      gicctl_xstrdup(labels[i]->value) };
	return s;
}

static void take(struct stats *st, const Sg__Stats *m)
{
	for (size_t i = 0; i < m->n_counters; i++) {
		const Sg__Counter *c = m->counters[i];
		struct sample *s = add_sample(&st->ctr, c->name, c->help, c->labels, c->n_labels);

		s->value = c->value;
		s->gauge = c->type == SG__COUNTER__TYPE__GAUGE;
		family(&st->ctr, c->name)->gauge = s->gauge;
	}
	for (size_t i = 0; i < m->n_histograms; i++) {
		const Sg__Histogram *h = m->histograms[i];
		struct sample *s = add_sample(&st->hist, h->name, h->help, h->labels, h->n_labels);
		size_t nb = h->n_buckets;

		family(&st->hist, h->name)->histogram = true;
		s->count = h->count;
		s->sum_ns = h->sum_ns;
		/* Well formed: one bucket per bound plus the one above them. */
		s->nr_le = nb == h->n_le_ns + 1 ? h->n_le_ns : 0;
		s->le_ns = gicctl_xrealloc(NULL, s->nr_le, sizeof(*s->le_ns));
		s->bucket = gicctl_xrealloc(NULL, s->nr_le + 1, sizeof(*s->bucket));
		memcpy(s->le_ns, h->le_ns, s->nr_le * sizeof(*s->le_ns));
		if (s->nr_le)
			memcpy(s->bucket, h->buckets, (s->nr_le + 1) * sizeof(*s->bucket));
		else
			s->bucket[0] = h->count;
	}
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->s[i].nr_labels; j++) {
			free(l->s[i].label[j].name);
			free(l->s[i].label[j].value);
		}
		free(l->s[i].label);
		free(l->s[i].le_ns);
		free(l->s[i].bucket);
	}
	for (size_t i = 0; i < l->nf; i++) {
		free(l->f[i].name);
		free(l->f[i].help);
		free(l->f[i].idx);
	}
	free(l->s);
	free(l->f);
}

/* ------------------------------------------------------- Prometheus */

/* A label value or HELP text, escaped as the exposition format wants
 * (backslash, newline, and in label values the double quote). */
static void put_escaped(const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", stdout);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else if (quote && *s == '"')
			fputs("\\\"", stdout);
		else
			putchar(*s);
	}
}

/* "{a="x",b="y"" without the closing brace; nothing if no labels and
 * no le follows. */
static void put_labels(const struct sample *s, const char *le)
{
	bool any = false;

	for (size_t i = 0; i < s->nr_labels; i++) {
		printf("%s%s=\"", any ? "," : "{", s->label[i].name);
		put_escaped(s->label[i].value, true);
		putchar('"');
		any = true;
	}
	if (le) {
		printf("%sle=\"%s\"", any ? "," : "{", le);
		any = true;
	}
	if (any)
		putchar('}');
}

/* ns as seconds, exactly: 256 -> 0.000000256, 1073741824 -> 1.073741824. */
static void seconds(uint64_t ns, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u,
				    ns % 1000000000u);

	while (n > 2 && n < len && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
}

static void put_header(const struct family *f, const char *type)
{
	printf("# HELP %s ", f->name);
	put_escaped(f->help ? f->help : "", false);
	printf("\n# TYPE %s %s\n", f->name, type);
}

static void print_prometheus(const struct stats *st)
{
	char secs[48];

	for (size_t i = 0; i < st->ctr.nf; i++) {
		const struct family *f = &st->ctr.f[i];

		put_header(f, f->gauge ? "gauge" : "counter");
		for (size_t j = 0; j < f->n; j++) {
			const struct sample *s = &st->ctr.s[f->idx[j]];

			fputs(s->name, stdout);
			put_labels(s, NULL);
			printf(" %" PRIu64 "\n", s->value);
		}
	}
	for (size_t i = 0; i < st->hist.nf; i++) {
		const struct family *f = &st->hist.f[i];

		put_header(f, "histogram");
		for (size_t j = 0; j < f->n; j++) {
			const struct sample *s = &st->hist.s[f->idx[j]];
			uint64_t cum = 0;

			for (size_t b = 0; b < s->nr_le; b++) {
				cum += s->bucket[b];
				seconds(s->le_ns[b], secs, sizeof(secs));
				printf("%s_bucket", s->name);
				put_labels(s, secs);
				printf(" %" PRIu64 "\n", cum);
			}
			printf("%s_bucket", s->name);
			put_labels(s, "+Inf");
			printf(" %" PRIu64 "\n", s->count);
			seconds(s->sum_ns, secs, sizeof(secs));
			printf("%s_sum", s->name);
			put_labels(s, NULL);
			printf(" %s\n", secs);
			printf("%s_count", s->name);
			put_labels(s, NULL);
			printf(" %" PRIu64 "\n", s->count);
		}
	}
}

/* ------------------------------------------------------------- JSON */

static json_object *labels_json(const struct sample *s)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < s->nr_labels; i++)
		json_object_object_add(o, s->label[i].name,
				       json_object_new_string(s->label[i].value));
	return o;
}

static json_object *to_json(const struct stats *st)
{
	json_object *doc = json_object_new_object(), *ctrs = json_object_new_array(),
		    *hists = json_object_new_array();

	for (size_t i = 0; i < st->ctr.nf; i++) {
		const struct family *f = &st->ctr.f[i];

		for (size_t j = 0; j < f->n; j++) {
			const struct sample *s = &st->ctr.s[f->idx[j]];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(s->name));
			json_object_object_add(o, "labels", labels_json(s));
			json_object_object_add(
				o, "type", json_object_new_string(s->gauge ? "gauge" : "counter"));
			json_object_object_add(o, "value", json_object_new_uint64(s->value));
			json_object_array_add(ctrs, o);
		}
	}
	for (size_t i = 0; i < st->hist.nf; i++) {
		const struct family *f = &st->hist.f[i];

		for (size_t j = 0; j < f->n; j++) {
			const struct sample *s = &st->hist.s[f->idx[j]];
			json_object *o = json_object_new_object(), *b = json_object_new_array();
			uint64_t cum = 0;

			json_object_object_add(o, "name", json_object_new_string(s->name));
			json_object_object_add(o, "labels", labels_json(s));
			json_object_object_add(o, "count", json_object_new_uint64(s->count));
			json_object_object_add(o, "sum_ns", json_object_new_uint64(s->sum_ns));
			for (size_t k = 0; k < s->nr_le; k++) {
				json_object *e = json_object_new_object();

				cum += s->bucket[k];
				json_object_object_add(e, "le_ns",
						       json_object_new_uint64(s->le_ns[k]));
				json_object_object_add(e, "count", json_object_new_uint64(cum));
				json_object_array_add(b, e);
			}
			json_object_object_add(o, "buckets", b);
			json_object_array_add(hists, o);
		}
	}
	json_object_object_add(doc, "counters", ctrs);
	json_object_object_add(doc, "histograms", hists);
	return doc;
}

/* ------------------------------------------------------------- text */

/* Labels as "a=x b=y" ("-" for none). */
static void label_text(const struct sample *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->nr_labels && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s=%s", i ? " " : "", s->label[i].name,
				 s->label[i].value);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!s->nr_labels)
		snprintf(buf, len, "-");
}

/* A latency for people: "850ns", "12.3us", "4.56ms", "1.23s". */
static void latency(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

/* The bound of the bucket holding quantile q: "<=64.0us", ">1.07s", "-". */
static void quantile(const struct sample *s, double q, char *buf, size_t len)
{
	uint64_t want, cum = 0;
	char v[24];

	if (!s->count) {
		snprintf(buf, len, "-");
		return;
	}
	want = (uint64_t)(q * (double)s->count + 0.999999);
	if (want < 1)
		want = 1;
	for (size_t b = 0; b < s->nr_le; b++) {
		cum += s->bucket[b];
		if (cum >= want) {
			latency((double)s->le_ns[b], v, sizeof(v));
			snprintf(buf, len, "<=%s", v);
			return;
		}
	}
	latency(s->nr_le ? (double)s->le_ns[s->nr_le - 1] : 0, v, sizeof(v));
	snprintf(buf, len, ">%s", v);
}

static void print_text(const struct stats *st)
{
	enum { NCOL = 7 };
	static const char *const hh[NCOL] = { "HISTOGRAM", "LABELS", "COUNT", "MEAN",
					      "P50",	   "P90",    "P99" };
	char lab[256], cell[NCOL][64];
	int wn = (int)strlen("COUNTER"), wl = (int)strlen("LABELS"), wv = (int)strlen("VALUE");
	int w[NCOL];

	for (size_t i = 0; i < st->ctr.n; i++) {
		const struct sample *s = &st->ctr.s[i];

		label_text(s, lab, sizeof(lab));
		wn = gicctl_max_int(wn, (int)strlen(s->name));
		wl = gicctl_max_int(wl, (int)strlen(lab));
		wv = gicctl_max_int(wv, snprintf(cell[0], sizeof(cell[0]), "%" PRIu64, s->value));
	}
	printf("%-*s  %-*s  %*s\n", wn, "COUNTER", wl, "LABELS", wv, "VALUE");
	for (size_t i = 0; i < st->ctr.nf; i++)
		for (size_t j = 0; j < st->ctr.f[i].n; j++) {
			const struct sample *s = &st->ctr.s[st->ctr.f[i].idx[j]];

			label_text(s, lab, sizeof(lab));
			printf("%-*s  %-*s  %*" PRIu64 "\n", wn, s->name, wl, lab, wv, s->value);
		}
	if (!st->hist.n)
		return;
	/* Two passes over the histograms: widths, then rows. */
	for (unsigned c = 0; c < NCOL; c++)
		w[c] = (int)strlen(hh[c]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			printf("\n%-*s  %-*s  %*s  %*s  %*s  %*s  %*s\n", w[0], hh[0], w[1], hh[1],
			       w[2], hh[2], w[3], hh[3], w[4], hh[4], w[5], hh[5], w[6], hh[6]);
		for (size_t i = 0; i < st->hist.nf; i++)
			for (size_t j = 0; j < st->hist.f[i].n; j++) {
				const struct sample *s = &st->hist.s[st->hist.f[i].idx[j]];

				snprintf(cell[0], sizeof(cell[0]), "%s", s->name);
				label_text(s, cell[1], sizeof(cell[1]));
				snprintf(cell[2], sizeof(cell[2]), "%" PRIu64, s->count);
				if (s->count)
					latency((double)s->sum_ns / (double)s->count, cell[3],
						sizeof(cell[3]));
				else
					snprintf(cell[3], sizeof(cell[3]), "-");
				quantile(s, 0.50, cell[4], sizeof(cell[4]));
				quantile(s, 0.90, cell[5], sizeof(cell[5]));
				quantile(s, 0.99, cell[6], sizeof(cell[6]));
				if (!pass) {
					for (unsigned c = 0; c < NCOL; c++)
						w[c] = gicctl_max_int(w[c], (int)strlen(cell[c]));
					continue;
				}
				printf("%-*s  %-*s  %*s  %*s  %*s  %*s  %*s\n", w[0], cell[0], w[1],
				       cell[1], w[2], cell[2], w[3], cell[3], w[4], cell[4], w[5],
				       cell[5], w[6], cell[6]);
			}
	}
}

int cmd_stats(struct gicctl *g, int argc, char **argv)
{
	static const char usage[] = "usage: gicctl [--json] stats [--prometheus]";
	static const struct option opts[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Sg__AdminRequest req = SG__ADMIN_REQUEST__INIT;
	Sg__StatsRequest sreq = SG__STATS_REQUEST__INIT;
	struct stats st = { 0 };
	const Sg__AdminReply *r;
	bool prometheus = false, any = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': prometheus = true; break;
		case 'h': puts(usage); return GICCTL_EXIT_OK;
		default: return gicctl_fail(GICCTL_EXIT_USAGE, "%s", usage);
		}
	}
	if (optind < argc)
		return gicctl_fail(GICCTL_EXIT_USAGE, "%s", usage);
	if (prometheus && g->json)
		return gicctl_fail(GICCTL_EXIT_USAGE, "--json and --prometheus exclude each other");
	req.req_case = SG__ADMIN_REQUEST__REQ_STATS;
	req.stats = &sreq;
	rc = gicctl_request(g, &req, NULL, 0);
	if (rc)
		return rc;
	while ((r = gicctl_next_reply(g, &rc))) {
		if (r->rep_case != SG__ADMIN_REPLY__REP_STATS) {
			rc = gicctl_fail(GICCTL_EXIT_ERROR,
					 "the daemon answered stats with something else");
			break;
		}
		take(&st, r->stats);
		any = true;
	}
	if (rc == GICCTL_EXIT_OK && !any)
		rc = gicctl_fail(GICCTL_EXIT_ERROR, "the daemon sent no stats");
	if (rc == GICCTL_EXIT_OK) {
		if (g->json)
			gicctl_print_json(to_json(&st));
		else if (prometheus)
			print_prometheus(&st);
		else
			print_text(&st);
	}
	list_free(&st.ctr);
	list_free(&st.hist);
	return rc;
}
