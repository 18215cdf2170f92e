// SPDX-License-Identifier: MIT
#include "replay_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A record: header then data, 8-byte aligned; len == 0 marks a wrap. */
struct rec_hdr {
	uint64_t first, last;
	uint32_t len;
	uint32_t pad;
};

static size_t rec_size(size_t len)
{
	return (sizeof(struct rec_hdr) + len + 7u) & ~(size_t)7u;
}

int replay_log_init(struct replay_log *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->buf = malloc(cap);
	if (!l->buf)
		return -ENOMEM;
	l->cap = cap;
	return 0;
}

void replay_log_fini(struct replay_log *l)
{
	free(l->buf);
	l->buf = NULL;
}

int replay_log_append(struct replay_log *l, const void *dgram, size_t len, uint64_t first,
		      uint64_t last)
{
	size_t need = rec_size(len), wrap = 0;
	struct rec_hdr h = { first, last, (uint32_t)len, 0 };

	if (len == 0 || len > UINT32_MAX)
		return -EINVAL;
	/* A record never straddles the end: what is left there is skipped. */
	if (l->tail >= l->head && l->cap - l->tail < need)
		wrap = l->cap - l->tail;
	if (l->used + wrap + need > l->cap || (wrap && need > l->head))
		return -ENOSPC;
	if (wrap) {
		if (wrap >= sizeof(struct rec_hdr)) {
			struct rec_hdr marker = { 0, 0, 0, 0 };

			memcpy(l->buf + l->tail, &marker, sizeof(marker));
		}
		l->used += wrap;
		l->tail = 0;
	}
	memcpy(l->buf + l->tail, &h, sizeof(h));
	memcpy(l->buf + l->tail + sizeof(h), dgram, len);
	l->tail += need;
	if (l->tail == l->cap)
		l->tail = 0;
	l->used += need;
	l->nr++;
	return 0;
}

/* The header at *pos, skipping a wrap; returns NULL past the last record. */
static const struct rec_hdr *at(const struct replay_log *l, size_t *pos, size_t *skipped)
{
	const struct rec_hdr *h;

	*skipped = 0;
	if (l->cap - *pos < sizeof(struct rec_hdr) ||
	    ((const struct rec_hdr *)(l->buf + *pos))->len == 0) {
		*skipped = l->cap - *pos;
		*pos = 0;
	}
	h = (const struct rec_hdr *)(l->buf + *pos);
	return h;
}

void replay_log_trim(struct replay_log *l, uint64_t durable)
{
	while (l->nr) {
		size_t pos = l->head, skipped;
		const struct rec_hdr *h = at(l, &pos, &skipped);
		size_t sz = rec_size(h->len);

		if (h->last > durable)
			break;
		l->used -= skipped + sz;
		l->head = pos + sz == l->cap ? 0 : pos + sz;
		l->nr--;
	}
	if (l->nr == 0)
		l->head = l->tail = l->used = 0;
}

int replay_log_replay(const struct replay_log *l, uint64_t applied,
		      int (*send)(void *ctx, const void *dgram, size_t len), void *ctx)
{
	size_t pos = l->head;

	for (unsigned i = 0; i < l->nr; i++) {
		size_t skipped;
		const struct rec_hdr *h = at(l, &pos, &skipped);
		int rc;

		if (h->last > applied) {
			rc = send(ctx, (const unsigned char *)h + sizeof(*h), h->len);
			if (rc)
				return rc;
		}
		pos += rec_size(h->len);
		if (pos == l->cap)
			pos = 0;
	}
	return 0;
}
