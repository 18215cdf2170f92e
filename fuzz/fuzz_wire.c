// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary datagrams through decode and validation for
 * every channel kind and direction.  Properties: nothing crashes, a message
 * that decodes and validates packs again and decodes to a message that
 * validates the same way.
 */
#include <stdlib.h>

#include "fuzz_input.h"
#include "gic_regs.h"
#include "log.h"
#include "vm_shape.h"
#include "wire.h"

static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];
static unsigned char arena_buf2[SG_WIRE_ARENA_SIZE];
static unsigned char packed[SG_WIRE_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Rejections are the point here: only errors, unless FUZZ_LOG is set. */
	sg_log_init("fuzz-wire", getenv("FUZZ_LOG") ? SG_LOG_DEBUG : SG_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sg_chan_kind kinds[] = { SG_CHAN_CONTROL, SG_CHAN_MMIO, SG_CHAN_BUS };
	struct fuzz_cursor cur = { data, size };
	struct sg_vm_shape shape;
	const uint8_t *dgram;
	unsigned sel;
	size_t len;

	memset(&shape, 0, sizeof(shape));
	shape.nr_vcpus = 4;
	for (unsigned i = 0; i < 4; i++)
		shape.mpidr[i] = i;
	shape.nr_spis = 64;
	shape.lr_count = 4;
	sg_addr_map_default(&shape.map, 1);

	while (fuzz_next(&cur, &sel, &dgram, &len)) {
		struct sg_arena a, a2;
		Sg__Envelope *env, *again;
		enum sg_chan_kind kind = kinds[sel % 3];
		enum sg_dir dir = (sel / 3) % 2 ? SG_TO_VMM : SG_TO_DAEMON;
		const char *why;
		enum sg_wire_err err;
		ssize_t n;

		sg_arena_init(&a, arena_buf, sizeof(arena_buf));
		if (sg_wire_decode(dgram, len, &a, &env) != SG_WIRE_OK)
			continue;
		err = sg_wire_validate(env, kind, dir, &shape, &why);
		if (err != SG_WIRE_OK)
			continue;
		n = sg_wire_pack(env, packed, sizeof(packed));
		if (n < 0)
			continue; /* unknown fields can make it larger than the cap */
		sg_arena_init(&a2, arena_buf2, sizeof(arena_buf2));
		if (sg_wire_decode(packed, (size_t)n, &a2, &again) != SG_WIRE_OK)
			abort();
		if (sg_wire_validate(again, kind, dir, &shape, &why) != SG_WIRE_OK)
			abort();
		if (again->body_case != env->body_case || again->seq != env->seq)
			abort();
	}
	return 0;
}
