// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the daemon's core state machine (distributor and ITS)
 * fed arbitrary datagrams on every channel, as the server would after
 * decoding and validation (the server's sequence numbering is emulated, so
 * fuzzed messages get applied), with 1 MiB of guest RAM that records with
 * channel selector 255 write to (ITS command queues and tables live there).
 * A tiny agent answers the daemon's queries so deferred reads complete.
 * Properties: nothing crashes, and every message the core emits passes the
 * same validation the agent applies (the daemon never sends garbage).
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"
#include "fuzz_input.h"
#include "gic_regs.h"
#include "vm_shape.h"
#include "wire.h"

#define RAM_GPA	      0x40000000ull
#define RAM_SIZE      (1u << 20)
#define SEL_RAM_WRITE 255u

static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];
static int ram_fd = -1;
static unsigned char *ram_rw; /* the fuzzer's own view, as the VMM's */
static unsigned char out_arena[64 * 1024];
static unsigned char packed[SG_WIRE_MAX];

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
	enum sg_chan_kind kind = chan < f->shape.nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
	struct sg_arena a;
	Sg__Envelope *back;
	const char *why;
	ssize_t n;

	if (chan > f->shape.nr_vcpus)
		abort();
	n = sg_wire_pack(env, packed, sizeof(packed));
	if (n < 0)
		abort();
	sg_arena_init(&a, out_arena, sizeof(out_arena));
	if (sg_wire_decode(packed, (size_t)n, &a, &back) != SG_WIRE_OK)
		abort();
	if (sg_wire_validate(back, kind, SG_TO_VMM, &f->shape, &why) != SG_WIRE_OK)
		abort();
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
		r.pending = f->answer_bits & 1;
		r.active = (f->answer_bits >> 1) & 1;
		f->answer_bits = (uint8_t)((f->answer_bits >> 2) | (f->answer_bits << 6));
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
	Sg__RamRegion region = SG__RAM_REGION__INIT, *regions[1] = { &region };
	const char *why;
	int fds[1];

	if (ram_fd < 0) {
		ram_fd = memfd_create("fuzz-ram", MFD_CLOEXEC);
		if (ram_fd < 0 || ftruncate(ram_fd, RAM_SIZE) < 0)
			abort();
		ram_rw = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
		if (ram_rw == MAP_FAILED)
			abort();
	}
	memset(ram_rw, 0, RAM_SIZE);
	region.gpa = RAM_GPA;
	region.size = RAM_SIZE;
	fds[0] = dup(ram_fd);
	guest_ram_init(ram);
	if (fds[0] < 0 || guest_ram_map(ram, shape, regions, 1, fds, 1, &why) != 0)
		abort();
}

static void ram_write(const uint8_t *p, size_t len)
{
	uint32_t off;

	if (len < 4)
		return;
	memcpy(&off, p, 4);
	off %= RAM_SIZE;
	len -= 4;
	if (len > RAM_SIZE - off)
		len = RAM_SIZE - off;
	memcpy(ram_rw + off, p + 4, len);
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

	if (size < 2)
		return 0;
	/* Header: VM shape. */
	memset(&f, 0, sizeof(f));
	f.shape.nr_vcpus = 1u + data[0] % 4;
	for (unsigned i = 0; i < f.shape.nr_vcpus; i++)
		f.shape.mpidr[i] = i;
	f.shape.nr_spis = (data[0] & 0x80) ? 988 : 64;
	f.shape.lr_count = 4;
	sg_addr_map_default(&f.shape.map, (data[0] >> 4) & 1);
	f.answer_bits = data[1];
	cur.p += 2;
	cur.left -= 2;
	nr_queries = 0;
	nr_chans = f.shape.nr_vcpus + 1;
	map_ram(&ram, &f.shape);
	core_init(&core, &f.shape, &ram, &out);

	while (fuzz_next(&cur, &sel, &dgram, &len)) {
		unsigned chan = sel % nr_chans;
		enum sg_chan_kind kind = chan < f.shape.nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
		struct sg_arena a;
		Sg__Envelope *env;

		if (sel == SEL_RAM_WRITE) {
			ram_write(dgram, len);
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
