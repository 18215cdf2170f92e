// SPDX-License-Identifier: MIT
/*
 * gicctl stats: every counter (counters.h) and the latency histograms
 * (histogram.h), split over as many replies as ADMIN_REPLY_BUDGET needs:
 * counters first, then histograms, in enumeration order.  HELP text goes
 * with the first sample of each metric name only.
 */
#include <stdlib.h>
#include <string.h>

#include "admin_handlers.h"
#include "counters.h"
#include "server_internal.h"

/* Room left for repeated fields: the nested lengths may grow a little. */
#define STATS_BUDGET (ADMIN_REPLY_BUDGET - 16u)

/* One counter as sent: its labels live next to it. */
struct sample {
	struct counter c;
	Sg__Counter pb;
	Sg__MetricLabel label[COUNTER_MAX_LABELS];
	Sg__MetricLabel *label_ptr[COUNTER_MAX_LABELS];
};

struct hist_sample {
	Sg__Histogram pb;
	Sg__MetricLabel label;
	Sg__MetricLabel *label_ptr;
	uint64_t le[HIST_NR_FINITE];
	uint64_t buckets[HIST_NR_BUCKETS];
};

struct collect {
	struct sample *v;
	size_t n, cap;
	const char *last_name; /* HELP only on a name's first sample */
	bool failed;
};

static void collect_counter(const struct counter *c, void *arg)
{
	struct collect *col = arg;
	struct sample *v;

	if (col->failed)
		return;
	v = counters_grow(col->v, &col->cap, col->n, sizeof(*v), 512);
	if (!v) {
		col->failed = true;
		return;
	}
	col->v = v;
	col->v[col->n].c = *c;
	if (col->last_name && strcmp(col->last_name, c->name) == 0)
		col->v[col->n].c.help = NULL;
	col->last_name = c->name;
	col->n++;
}

/* The protobuf view of s (after the array stopped moving). */
static void fill_counter(struct sample *s)
{
	Sg__Counter *pb = &s->pb;

	sg__counter__init(pb);
	pb->name = (char *)s->c.name;
	pb->help = (char *)(s->c.help ? s->c.help : "");
	pb->value = s->c.value;
	pb->type =
		s->c.type == COUNTER_GAUGE ? SG__COUNTER__TYPE__GAUGE : SG__COUNTER__TYPE__COUNTER;
	for (unsigned i = 0; i < s->c.nr_labels; i++) {
		sg__metric_label__init(&s->label[i]);
		s->label[i].name = (char *)s->c.label[i].name;
		s->label[i].value = s->c.label[i].value;
		s->label_ptr[i] = &s->label[i];
	}
	pb->n_labels = s->c.nr_labels;
	pb->labels = s->label_ptr;
}

struct hist_collect {
	struct hist_sample h[HIST_NR];
	Sg__Histogram *ptr[HIST_NR];
	unsigned n;
	const char *last_name;
};

static void collect_hist(const struct histogram_info *info, const struct histogram *h, void *arg)
{
	struct hist_collect *col = arg;
	struct hist_sample *s;

	if (col->n >= HIST_NR)
		return;
	s = &col->h[col->n];
	sg__histogram__init(&s->pb);
	s->pb.name = (char *)info->name;
	s->pb.help =
		(char *)(col->last_name && strcmp(col->last_name, info->name) == 0 ? ""
										   : info->help);
	col->last_name = info->name;
	if (info->label) {
		sg__metric_label__init(&s->label);
		s->label.name = (char *)info->label;
		s->label.value = (char *)info->label_value;
		s->label_ptr = &s->label;
		s->pb.labels = &s->label_ptr;
		s->pb.n_labels = 1;
	}
	s->pb.count = h->count;
	s->pb.sum_ns = h->sum_ns;
	for (unsigned i = 0; i < HIST_NR_FINITE; i++)
		s->le[i] = histogram_bound_ns(i);
	memcpy(s->buckets, h->bucket, sizeof(s->buckets));
	s->pb.le_ns = s->le;
	s->pb.n_le_ns = HIST_NR_FINITE;
	s->pb.buckets = s->buckets;
	s->pb.n_buckets = HIST_NR_BUCKETS;
	col->ptr[col->n++] = &s->pb;
}

void admin_stats(struct admin_conn *c, const Sg__StatsRequest *req)
{
	struct server *srv = admin_conn_server(c);
	struct collect col = { 0 };
	struct hist_collect *hc = calloc(1, sizeof(*hc));
	Sg__Counter **cptr = NULL;
	Sg__AdminReply r = SG__ADMIN_REPLY__INIT;
	Sg__Stats st;
	size_t next_c = 0, next_h = 0;
	bool first = true;

	(void)req;
	counters_foreach(srv, collect_counter, &col);
	if (hc)
		histograms_foreach(srv, collect_hist, hc);
	if (col.n)
		cptr = calloc(col.n, sizeof(*cptr));
	if (!hc || col.failed || (col.n && !cptr)) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < col.n; i++) {
		fill_counter(&col.v[i]);
		cptr[i] = &col.v[i].pb;
	}
	r.rep_case = SG__ADMIN_REPLY__REP_STATS;
	r.stats = &st;
	do {
		size_t used;

		sg__stats__init(&st);
		used = admin_reply_size(&r);
		st.counters = cptr + next_c;
		while (next_c < col.n) {
			size_t n = admin_field_size(sg__counter__get_packed_size(cptr[next_c]));

			if (used + n > STATS_BUDGET)
				break;
			used += n;
			st.n_counters++;
			next_c++;
		}
		st.histograms = hc->ptr + next_h;
		while (next_c == col.n && next_h < hc->n) {
			size_t n =
				admin_field_size(sg__histogram__get_packed_size(hc->ptr[next_h]));

			if (used + n > STATS_BUDGET)
				break;
			used += n;
			st.n_histograms++;
			next_h++;
		}
		r.more = next_c < col.n || next_h < hc->n;
		if (!first && !st.n_counters && !st.n_histograms)
			break; /* cannot happen: every entry is far below the budget */
		if (admin_send(c, &r) < 0)
			break; /* the connection is closing or the client does not read */
		first = false;
	} while (r.more);
out:
	free(cptr);
	free(col.v);
	free(hc);
}
