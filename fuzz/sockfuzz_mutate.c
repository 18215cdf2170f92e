// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: the random source (one splitmix64 stream, reseeded per case)
 * with its edge values, and the byte-level mutations of a packed datagram:
 * bit flips, truncation, splicing, odd fields (fuzz/sockfuzz.h).
 */
#include "sockfuzz.h"

/* ------------------------------------------------------------------ rng */

static uint64_t rng_state;

void rng_seed(uint64_t s)
{
	rng_state = s;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint64_t rnd(void)
{
	return splitmix(&rng_state);
}

/* Uniform in [0, n). */
uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

bool chance(unsigned percent)
{
	return below(100) < percent;
}

uint64_t edge64(void)
{
	/* clang-format off */
	static const uint64_t e[] = { 0,	  1,	       2,	   31,	       32,
				      33,	  63,	       64,	   95,	       96,
				      127,	  128,	       255,	   256,	       1019,
				      1020,	  1023,	       1024,	   8191,       8192,
				      65535,	  65536,       0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
				      0x100000000ull, INT64_MAX, UINT64_MAX, UINT64_MAX - 1 };
	/* clang-format on */

	return chance(70) ? e[below(sizeof(e) / sizeof(e[0]))] : rnd();
}

uint32_t edge32(void)
{
	return (uint32_t)edge64();
}

/* Byte-level mutations of a packed message; returns the new length. */
size_t mutate(unsigned char *buf, size_t len, size_t cap, const unsigned char *other, size_t olen)
{
	unsigned rounds = 1 + (unsigned)below(4);

	for (unsigned r = 0; r < rounds; r++) {
		switch (below(9)) {
		case 0: /* bit flips */
			for (unsigned i = 0, k = 1 + (unsigned)below(8); len && i < k; i++)
				buf[below(len)] ^= (unsigned char)(1u << below(8));
			break;
		case 1: /* an interesting byte */
			if (len) {
				/* clang-format off */
				static const unsigned char ib[] = { 0x00, 0x01, 0x7F, 0x80,
								    0xFF, 0x08, 0x10, 0x0A };
				/* clang-format on */
				buf[below(len)] = ib[below(sizeof(ib))];
			}
			break;
		case 2: /* truncation */
			if (len)
				len = below(len);
			break;
		case 3: /* extension with random bytes */
			for (unsigned i = 0, k = 1 + (unsigned)below(16); i < k && len < cap; i++)
				buf[len++] = (unsigned char)rnd();
			break;
		case 4: /* splice: our head, the other's tail */
			if (olen) {
				size_t at = below(len + 1), from = below(olen);
				size_t k = olen - from;

				if (at + k > cap)
					k = cap - at;
				memcpy(buf + at, other + from, k);
				len = at + k;
			}
			break;
		case 5: /* an unknown field appended (kept by protobuf-c) */
			if (len + 4 <= cap) {
				buf[len++] = 0xC0 | (unsigned char)below(8);
				buf[len++] = 0x0C;
				buf[len++] = (unsigned char)below(3);
				buf[len++] = 0x00;
			}
			break;
		case 6: /* a huge varint length */
			if (len + 11 <= cap) {
				buf[len++] = 0x82;
				buf[len++] = 0x07;
				for (unsigned i = 0; i < 8; i++)
					buf[len++] = 0xFF;
				buf[len++] = 0x01;
			}
			break;
		case 7: /* repeat a chunk */
			if (len) {
				size_t from = below(len), k = 1 + below(len - from);

				if (len + k <= cap) {
					memcpy(buf + len, buf + from, k);
					len += k;
				}
			}
			break;
		default: /* swap two bytes */
			if (len > 1) {
				size_t i = below(len), j = below(len);
				unsigned char t = buf[i];

				buf[i] = buf[j];
				buf[j] = t;
			}
			break;
		}
	}
	return len;
}
