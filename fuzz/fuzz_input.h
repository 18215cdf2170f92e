/* SPDX-License-Identifier: MIT */
/*
 * How the fuzz targets cut their input into datagrams: a 4-byte header that
 * shapes the VM (fuzz_header), then records [selector u8][length u16 LE]
 * [bytes].  seeds.c, the daemon's recorder (gicd-server/record.c) and
 * scripts/record-seeds write inputs in the same format; docs/fuzzing.md
 * lists the selectors of each target.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vm_shape.h"

struct fuzz_cursor {
	const uint8_t *p;
	size_t left;
};

/* Next datagram; returns 0 when the input is used up. */
static inline int fuzz_next(struct fuzz_cursor *c, unsigned *chan_sel, const uint8_t **data,
			    size_t *len)
{
	uint16_t n;

	if (c->left < 3)
		return 0;
	*chan_sel = c->p[0];
	memcpy(&n, c->p + 1, 2);
	c->p += 3;
	c->left -= 3;
	if (n > c->left)
		n = (uint16_t)c->left;
	*data = c->p;
	*len = n;
	c->p += n;
	c->left -= n;
	return 1;
}

/*
 * The header: [0] vCPUs - 1 (mod FUZZ_MAX_VCPUS), [1] SPI count index
 * (32 * (i + 1) for i < 30, else 988; mod 31), [2] flags, [3] answer bits
 * (what the fuzzers' stand-in agent says in QueryReply: two bits a reply,
 * rotated).
 */
#define FUZZ_HDR_LEN	 4u
#define FUZZ_MAX_VCPUS	 8u
#define FUZZ_F_ITS_MASK	 0x03u /* ITS frames: 0..3 */
#define FUZZ_F_ANS_QUERY 0x04u /* answer the daemon's Query with QueryReply */
#define FUZZ_F_ANS_SYNC	 0x08u /* answer Sync with SyncDone */
#define FUZZ_F_ACK	 0x10u /* acknowledge numbered bus messages (Ack) */
#define FUZZ_F_NO_ATTACH 0x20u /* fuzz-server: no automatic Hello; records attach */
#define FUZZ_F_DEFER	 0x40u /* fuzz-server: run the loop only when a record says so */

/* Guest RAM every target gives the VM: one memfd region. */
#define FUZZ_RAM_GPA  0x40000000ull
#define FUZZ_RAM_SIZE (16u << 20)

struct fuzz_header {
	struct sg_vm_shape shape;
	uint8_t flags;
	uint8_t answer_bits;
};

static inline unsigned fuzz_hdr_spis(uint8_t b)
{
	unsigned i = b % 31u;

	return i < 30 ? 32u * (i + 1) : 988u;
}

/* Parses the header; false if the input is too short for one. */
static inline bool fuzz_header(struct fuzz_cursor *c, struct fuzz_header *h)
{
	const uint8_t *p = c->p;

	if (c->left < FUZZ_HDR_LEN)
		return false;
	memset(h, 0, sizeof(*h));
	h->shape.nr_vcpus = 1u + p[0] % FUZZ_MAX_VCPUS;
	for (unsigned i = 0; i < h->shape.nr_vcpus; i++)
		h->shape.mpidr[i] = i;
	h->shape.nr_spis = fuzz_hdr_spis(p[1]);
	h->shape.lr_count = 4;
	sg_addr_map_default(&h->shape.map, p[2] & FUZZ_F_ITS_MASK);
	h->flags = p[2];
	h->answer_bits = p[3];
	c->p += FUZZ_HDR_LEN;
	c->left -= FUZZ_HDR_LEN;
	return true;
}

/* The next answer's pending (bit 0) and active (bit 1) bits. */
static inline unsigned fuzz_answer(uint8_t *bits)
{
	unsigned a = *bits & 3u;

	*bits = (uint8_t)((*bits >> 2) | (*bits << 6));
	return a;
}

/* Selectors every target that drives the core understands. */
#define FUZZ_SEL_RAM 0xC0u /* guest RAM write: [u32 LE offset into RAM][bytes] */

#endif
