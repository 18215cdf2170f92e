// SPDX-License-Identifier: MIT
#include "state_store.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define STORE_MAGIC  0x5347535441544531ull /* "SGSTATE1" */
#define STORE_LAYOUT 1u
#define RECORD_MAGIC 0x52454331u /* "REC1" */
#define HEADER_SIZE  4096u

struct slot_desc {
	uint64_t gen; /* written last: a slot is valid once its gen is set */
	uint64_t len;
	uint32_t crc;
	uint32_t pad;
};

struct store_header {
	uint64_t magic;
	uint32_t layout;
	uint32_t pad;
	uint64_t slot_size;
	uint64_t journal_size;
	struct slot_desc slot[2];
};

struct record_header {
	uint32_t magic;
	uint32_t len;
	uint64_t base_gen; /* snapshot generation this record follows */
	uint32_t seq;	   /* position after that snapshot, from 0 */
	uint32_t crc;	   /* over the header (crc = 0) and the data */
};

static struct store_header *header(const struct state_store *s)
{
	return (struct store_header *)s->map;
}

static unsigned char *slot_data(const struct state_store *s, unsigned slot)
{
	return s->map + HEADER_SIZE + (size_t)slot * STATE_STORE_SLOT_SIZE;
}

static unsigned char *journal(const struct state_store *s)
{
	return s->map + HEADER_SIZE + 2u * STATE_STORE_SLOT_SIZE;
}

static uint32_t crc(const void *data, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
}

static uint32_t record_crc(const struct record_header *h, const void *data)
{
	struct record_header tmp = *h;
	uLong c;

	tmp.crc = 0;
	c = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)&tmp, sizeof(tmp));
	return (uint32_t)crc32(c, data, h->len);
}

static bool slot_valid(const struct state_store *s, unsigned i)
{
	const struct slot_desc *d = &header(s)->slot[i];

	return d->gen != 0 && d->len <= STATE_STORE_SLOT_SIZE &&
	       crc(slot_data(s, i), d->len) == d->crc;
}

int state_store_open(struct state_store *s, int fd, bool init_if_empty)
{
	struct stat st;
	struct store_header *h;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < STATE_STORE_SIZE) {
		if (!init_if_empty && st.st_size != 0)
			return -EPROTO;
		if (ftruncate(fd, STATE_STORE_SIZE) < 0)
			return -errno;
	}
	s->size = STATE_STORE_SIZE;
	s->map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		return -errno;
	}
	h = header(s);
	if (h->magic != STORE_MAGIC) {
		if (h->magic != 0 && !init_if_empty) {
			state_store_close(s);
			return -EPROTO;
		}
		memset(h, 0, sizeof(*h));
		h->layout = STORE_LAYOUT;
		h->slot_size = STATE_STORE_SLOT_SIZE;
		h->journal_size = STATE_STORE_JOURNAL_SIZE;
		atomic_thread_fence(memory_order_release);
		h->magic = STORE_MAGIC;
	} else if (h->layout != STORE_LAYOUT || h->slot_size != STATE_STORE_SLOT_SIZE ||
		   h->journal_size != STATE_STORE_JOURNAL_SIZE) {
		state_store_close(s);
		return -EPROTO;
	}
	/* The current snapshot: the valid slot with the higher generation. */
	for (unsigned i = 0; i < 2; i++)
		if (slot_valid(s, i) && h->slot[i].gen > s->gen) {
			s->gen = h->slot[i].gen;
			s->slot = i;
		}
	return 0;
}

void state_store_close(struct state_store *s)
{
	if (s->map)
		munmap(s->map, s->size);
	s->map = NULL;
}

bool state_store_has_snapshot(const struct state_store *s)
{
	return s->gen != 0;
}

size_t state_store_journal_used(const struct state_store *s)
{
	return s->journal_off;
}

int state_store_load(struct state_store *s,
		     int (*snapshot)(void *ctx, const void *data, size_t len),
		     int (*record)(void *ctx, const void *data, size_t len), void *ctx)
{
	int rc;

	s->journal_off = 0;
	s->journal_seq = 0;
	if (s->gen == 0)
		return 0;
	rc = snapshot(ctx, slot_data(s, s->slot), header(s)->slot[s->slot].len);
	if (rc)
		return rc;
	for (;;) {
		struct record_header h;
		const unsigned char *p = journal(s) + s->journal_off;

		if (s->journal_off + sizeof(h) > STATE_STORE_JOURNAL_SIZE)
			break;
		memcpy(&h, p, sizeof(h));
		if (h.magic != RECORD_MAGIC || h.base_gen != s->gen || h.seq != s->journal_seq ||
		    h.len > STATE_STORE_JOURNAL_SIZE - s->journal_off - sizeof(h) ||
		    record_crc(&h, p + sizeof(h)) != h.crc)
			break; /* end of the journal, or a torn record */
		rc = record(ctx, p + sizeof(h), h.len);
		if (rc)
			return rc;
		s->journal_off += (sizeof(h) + h.len + 7u) & ~(size_t)7u;
		s->journal_seq++;
	}
	return 0;
}

int state_store_append(struct state_store *s, const void *data, size_t len)
{
	struct record_header h = { RECORD_MAGIC, (uint32_t)len, s->gen, s->journal_seq, 0 };
	size_t need = (sizeof(h) + len + 7u) & ~(size_t)7u;
	unsigned char *p = journal(s) + s->journal_off;

	if (s->gen == 0)
		return -ENOENT; /* records only follow a snapshot */
	if (len > UINT32_MAX || need > STATE_STORE_JOURNAL_SIZE - s->journal_off)
		return -ENOSPC;
	h.crc = record_crc(&h, data);
	memcpy(p + sizeof(h), data, len);
	/* Cut the chain after this record, so records left over from an earlier
	 * run that ended in a torn write can never follow it. */
	if (s->journal_off + need + sizeof(uint32_t) <= STATE_STORE_JOURNAL_SIZE)
		memset(p + need, 0, sizeof(uint32_t));
	atomic_thread_fence(memory_order_release);
	memcpy(p, &h, sizeof(h));
	s->journal_off += need;
	s->journal_seq++;
	return 0;
}

int state_store_write_snapshot(struct state_store *s, const void *data, size_t len)
{
	struct store_header *h = header(s);
	unsigned slot = s->gen == 0 ? 0 : 1 - s->slot;
	struct slot_desc *d = &h->slot[slot];

	if (len > STATE_STORE_SLOT_SIZE)
		return -EFBIG;
	d->gen = 0; /* invalid while being written */
	atomic_thread_fence(memory_order_release);
	memcpy(slot_data(s, slot), data, len);
	d->len = len;
	d->crc = crc(data, len);
	atomic_thread_fence(memory_order_release);
	d->gen = s->gen + 1; /* the switch */
	s->gen = d->gen;
	s->slot = slot;
	s->journal_off = 0;
	s->journal_seq = 0;
	return 0;
}
