/* SPDX-License-Identifier: MIT */
/*
 * The fuzz targets' check of every message the core sends the VMM: it must
 * pack, decode again and pass the validation the agent runs (SG_TO_VMM) for
 * its channel (an MMIO channel below shape->nr_vcpus, the bus at it).  Any
 * failure aborts: a finding.
 */
#ifndef FUZZ_OUTPUT_H
#define FUZZ_OUTPUT_H

#include <stdlib.h>

#include "vm_shape.h"
#include "wire.h"

static unsigned char fuzz_out_arena[64 * 1024];
static unsigned char fuzz_out_packed[SG_WIRE_MAX];

static inline void fuzz_check_output(const struct sg_vm_shape *shape, unsigned chan,
				     const Sg__Envelope *env)
{
	enum sg_chan_kind kind = chan < shape->nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
	struct sg_arena a;
	Sg__Envelope *back;
	const char *why;
	ssize_t n;

	if (chan > shape->nr_vcpus)
		abort();
	n = sg_wire_pack(env, fuzz_out_packed, sizeof(fuzz_out_packed));
	if (n < 0)
		abort();
	sg_arena_init(&a, fuzz_out_arena, sizeof(fuzz_out_arena));
	if (sg_wire_decode(fuzz_out_packed, (size_t)n, &a, &back) != SG_WIRE_OK)
		abort();
	if (sg_wire_validate(back, kind, SG_TO_VMM, shape, &why) != SG_WIRE_OK)
		abort();
}

#endif
