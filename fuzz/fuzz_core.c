// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the daemon's core state machine (distributor and ITS)
 * fed arbitrary datagrams on every channel, as the server would after
 * decoding and validation (the server's sequence numbering is emulated, so
 * fuzzed messages get applied), with 16 MiB of guest RAM that records with
 * selector FUZZ_SEL_RAM write to (ITS command queues and tables live there).
 * Input: fuzz_input.h (header, then records; channel = selector % channels).
 * A tiny agent answers the daemon's queries so deferred reads complete.
 * Properties: nothing crashes, and every message the core emits passes the
 * same validation the agent applies (the daemon never sends garbage).
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"
#include "fuzz_input.h"
#include "fuzz_output.h"
#include "fuzz_ram.h"
#include "gic_regs.h"
#include "log.h"
#include "vm_shape.h"
#include "wire.h"

static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];

/* Queries the core asked, answered after the current input message. */
#define MAX_QUERIES 64
static struct {
	uint64_t id;
	uint32_t vcpu, intid;
} queries[MAX_QUERIES];
static unsigned nr_queries;

struct fuzz_ctx {
	struct sg_vm_shape shape;
	uint8_t answer_bits;
};

static void check_output(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	struct fuzz_ctx *f = ctx;

	fuzz_check_output(&f->shape, chan, env);
	if (env->body_case == SG__ENVELOPE__BODY_QUERY && nr_queries < MAX_QUERIES) {
		queries[nr_queries].id = env->query->query_id;
		queries[nr_queries].vcpu = env->query->vcpu;
		queries[nr_queries].intid = env->query->intid;
		nr_queries++;
	}
}

static void answer_queries(struct gic_core *core, struct fuzz_ctx *f, uint64_t *bus_seq)
{
	while (nr_queries) {
		Sg__QueryReply r = SG__QUERY_REPLY__INIT;
		Sg__Envelope env;

		nr_queries--;
		r.query_id = queries[nr_queries].id;
		r.vcpu = queries[nr_queries].vcpu;
		r.intid = queries[nr_queries].intid;
		unsigned a = fuzz_answer(&f->answer_bits);

		r.pending = a & 1;
		r.active = (a >> 1) & 1;
		sg_envelope_init(&env);
		env.seq = ++*bus_seq;
		env.body_case = SG__ENVELOPE__BODY_QUERY_REPLY;
		env.query_reply = &r;
		core_handle(core, core_bus_chan(&f->shape), &env);
	}
}

/* Guest RAM as the daemon maps it after a Hello: a fresh mapping per input. */
static void map_ram(struct guest_ram *ram, const struct sg_vm_shape *shape)
{
	fuzz_ram_reset();
	if (fuzz_ram_map(ram, shape) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Rejections are the point here: only errors, unless FUZZ_LOG is set. */
	sg_log_init("fuzz-core", getenv("FUZZ_LOG") ? SG_LOG_DEBUG : SG_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gic_core core;
	static struct guest_ram ram;
	struct fuzz_cursor cur = { data, size };
	struct fuzz_ctx f;
	struct core_out out = { check_output, &f };
	uint64_t seq[SG_MAX_VCPUS + 1] = { 0 };
	const uint8_t *dgram;
	unsigned sel, nr_chans;
	size_t len;
	const char *why;
	struct fuzz_header hdr;

	memset(&f, 0, sizeof(f));
	if (!fuzz_header(&cur, &hdr))
		return 0;
	f.shape = hdr.shape;
	f.answer_bits = hdr.answer_bits;
	nr_queries = 0;
	nr_chans = f.shape.nr_vcpus + 1;
	map_ram(&ram, &f.shape);
	core_init(&core, &f.shape, &ram, &out);

	while (fuzz_next(&cur, &sel, &dgram, &len)) {
		unsigned chan = sel % nr_chans;
		enum sg_chan_kind kind = chan < f.shape.nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
		struct sg_arena a;
		Sg__Envelope *env;

		if (sel == FUZZ_SEL_RAM) {
			fuzz_ram_write(dgram, len);
			continue;
		}
		sg_arena_init(&a, arena_buf, sizeof(arena_buf));
		if (sg_wire_decode(dgram, len, &a, &env) != SG_WIRE_OK)
			continue;
		/* Number it as the sender would have, so it is applied. */
		if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
			env->seq = 0;
			for (size_t i = 0; i < env->batch->n_msgs; i++)
				env->batch->msgs[i]->seq = seq[chan] + 1 + i;
		} else if (sg_wire_body_is_sequenced(env->body_case)) {
			env->seq = seq[chan] + 1;
		}
		if (sg_wire_validate(env, kind, SG_TO_DAEMON, &f.shape, &why) != SG_WIRE_OK)
			continue;
		if (env->body_case == SG__ENVELOPE__BODY_BATCH)
			seq[chan] += env->batch->n_msgs;
		else if (env->seq)
			seq[chan] = env->seq;
		core_handle(&core, chan, env);
		answer_queries(&core, &f, &seq[f.shape.nr_vcpus]);
	}
	guest_ram_unmap(&ram);
	return 0;
}
