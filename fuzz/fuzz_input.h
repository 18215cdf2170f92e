/* SPDX-License-Identifier: MIT */
/*
 * How the fuzz targets cut their input into datagrams: a header byte that
 * shapes the VM, then records [channel selector u8][length u16 LE][bytes].
 * seeds.c writes inputs in the same format.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

#endif
