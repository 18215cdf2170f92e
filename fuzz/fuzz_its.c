// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: ITS command processing over a hostile guest-RAM image.
 * The input (fuzz_input.h; at least one ITS whatever the header says)
 * writes guest RAM (command queue, device and collection tables, level-1
 * tables, ITTs) and drives ITS 0 through the real core (core.c, its-server/):
 *
 *   0x00-0x3F  a datagram to channel sel % channels, renumbered (as fuzz-core)
 *   0x80       GITS_CBASER write [u64]        0x81  GITS_BASER0 write [u64]
 *   0x82       GITS_BASER1 write [u64]        0x83  GITS_CTLR write [u32]
 *   0x84       GITS_CWRITER write [u64]
 *   0x85       GITS_TRANSLATER write from a vCPU [u32 EventID][u8 vCPU]
 *   0x86       Msi on the bus [u32 DeviceID][u32 EventID]
 *   0x87       a register read [u32 offset][u8 size]
 *   0x88       commands: the bytes go into the queue at GITS_CWRITER
 *              (wrapping), then CWRITER moves past them
 *   0x89       answer every outstanding Sync with SyncDone now
 *   0x8A       shrink the guest RAM memfd to [u32] bytes (SIGBUS on the lost pages)
 *   0xC0       guest RAM write [u32 offset][bytes]
 *
 * With FUZZ_F_ANS_SYNC (header) Syncs are answered as they come.
 * Properties: no crash, every message the core emits validates, CREADR
 * stays 32-byte aligned inside the queue, CREADR reads back as the state
 * says, the writable windows stay bounded.
 */
#include <stdlib.h>
#include <unistd.h>

#include "core.h"
#include "fuzz_input.h"
#include "fuzz_output.h"
#include "fuzz_ram.h"
#include "gic_regs.h"
#include "its_internal.h"
#include "log.h"
#include "wire.h"

static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];

#define MAX_ANSWERS 64u

struct fuzz_its {
	struct sg_vm_shape shape;
	uint8_t flags, answer_bits;
	struct gic_core *core;
	uint64_t seq[SG_MAX_VCPUS + 1];
	struct {
		uint64_t id;
		uint32_t vcpu, intid;
		bool sync;
	} ans[MAX_ANSWERS];
	unsigned nr_ans;
	/* An MmioReply the last read got. */
	bool replied;
	uint64_t reply_data;
	int reply_status;
};

static void check_output(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	struct fuzz_its *f = ctx;

	fuzz_check_output(&f->shape, chan, env);
	if (env->body_case == SG__ENVELOPE__BODY_MMIO_REPLY) {
		f->replied = true;
		f->reply_data = env->mmio_reply->data;
		f->reply_status = env->mmio_reply->status;
	}
	if (f->nr_ans == MAX_ANSWERS)
		return;
	if (env->body_case == SG__ENVELOPE__BODY_QUERY) {
		f->ans[f->nr_ans].id = env->query->query_id;
		f->ans[f->nr_ans].vcpu = env->query->vcpu;
		f->ans[f->nr_ans].intid = env->query->intid;
		f->ans[f->nr_ans++].sync = false;
	} else if (env->body_case == SG__ENVELOPE__BODY_SYNC) {
		f->ans[f->nr_ans].id = env->sync->sync_id;
		f->ans[f->nr_ans].vcpu = env->sync->vcpu;
		f->ans[f->nr_ans++].sync = true;
	}
}

static void check_its(const struct its *its)
{
	const struct its_state *st = &its->st;

	if (st->creadr % GITS_CMD_SIZE || st->cwriter % GITS_CMD_SIZE)
		abort();
	/* CREADR only moves through a queue that exists. */
	if (st->creadr && st->creadr >= its_cmdq_bytes(its))
		abort();
	if (its->ram->nr_windows > GUEST_RAM_MAX_WINDOWS)
		abort();
}

static void bus_handle(struct fuzz_its *f, Sg__Envelope *env)
{
	unsigned bus = f->shape.nr_vcpus;

	env->seq = ++f->seq[bus];
	core_handle(f->core, bus, env);
}

/* Answers Queries always, Syncs when asked to (all: also the ones waiting). */
static void answer(struct fuzz_its *f, bool syncs)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < f->nr_ans; i++) {
		Sg__QueryReply r = SG__QUERY_REPLY__INIT;
		Sg__SyncDone d = SG__SYNC_DONE__INIT;
		Sg__Envelope env;

		sg_envelope_init(&env);
		if (f->ans[i].sync) {
			if (!syncs) {
				f->ans[keep++] = f->ans[i];
				continue;
			}
			d.vcpu = f->ans[i].vcpu;
			d.sync_id = f->ans[i].id;
			env.body_case = SG__ENVELOPE__BODY_SYNC_DONE;
			env.sync_done = &d;
		} else {
			unsigned a = fuzz_answer(&f->answer_bits);

			r.query_id = f->ans[i].id;
			r.vcpu = f->ans[i].vcpu;
			r.intid = f->ans[i].intid;
			r.pending = a & 1;
			r.active = (a >> 1) & 1;
			env.body_case = SG__ENVELOPE__BODY_QUERY_REPLY;
			env.query_reply = &r;
		}
		bus_handle(f, &env);
	}
	f->nr_ans = keep;
}

/* A GITS_* access from vCPU 0 (or vcpu), as its MMIO channel would bring it. */
static void its_access(struct fuzz_its *f, unsigned vcpu, uint32_t off, unsigned size, bool write,
		       uint64_t val)
{
	struct sg_mmio_msg m;
	Sg__Envelope *env = sg_mmio_msg(&m, f->shape.map.its_base[0] + off, size, write,
					write && off != GITS_TRANSLATER, val);
	const char *why;

	vcpu %= f->shape.nr_vcpus;
	env->seq = f->seq[vcpu] + 1;
	if (sg_wire_validate(env, SG_CHAN_MMIO, SG_TO_DAEMON, &f->shape, &why) != SG_WIRE_OK)
		return;
	f->seq[vcpu]++;
	f->replied = false;
	core_handle(f->core, vcpu, env);
}

static uint64_t le(const uint8_t *d, size_t len, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, d, len < n ? len : n);
	return v;
}

/* 0x88: commands written where CWRITER points, then CWRITER past them. */
static void commands(struct fuzz_its *f, const uint8_t *d, size_t len)
{
	struct its *its = &f->core->its[0];
	uint64_t base = its->st.cbaser & GITS_CBASER_PA_MASK, q = its_cmdq_bytes(its);
	uint64_t w = its->st.cwriter;

	len -= len % GITS_CMD_SIZE;
	if (!len || base < FUZZ_RAM_GPA || base - FUZZ_RAM_GPA >= FUZZ_RAM_SIZE)
		return;
	for (size_t i = 0; i < len; i += GITS_CMD_SIZE) {
		uint64_t at = base - FUZZ_RAM_GPA + (w % q);

		if (at + GITS_CMD_SIZE <= fuzz_ram_size)
			memcpy(fuzz_ram_rw + at, d + i, GITS_CMD_SIZE);
		w = (w + GITS_CMD_SIZE) % q;
	}
	its_access(f, 0, GITS_CWRITER, 8, true, w);
}

/* A datagram as fuzz-core takes it: decoded, renumbered, validated. */
static void datagram(struct fuzz_its *f, unsigned chan, const uint8_t *d, size_t len)
{
	enum sg_chan_kind kind = chan < f->shape.nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
	struct sg_arena a;
	Sg__Envelope *env;
	const char *why;

	sg_arena_init(&a, arena_buf, sizeof(arena_buf));
	if (sg_wire_decode(d, len, &a, &env) != SG_WIRE_OK)
		return;
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		env->seq = 0;
		for (size_t i = 0; i < env->batch->n_msgs; i++)
			env->batch->msgs[i]->seq = f->seq[chan] + 1 + i;
	} else if (sg_wire_body_is_sequenced(env->body_case)) {
		env->seq = f->seq[chan] + 1;
	}
	if (sg_wire_validate(env, kind, SG_TO_DAEMON, &f->shape, &why) != SG_WIRE_OK)
		return;
	if (env->body_case == SG__ENVELOPE__BODY_BATCH)
		f->seq[chan] += env->batch->n_msgs;
	else if (env->seq)
		f->seq[chan] = env->seq;
	core_handle(f->core, chan, env);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Rejections are the point here: only errors, unless FUZZ_LOG is set. */
	sg_log_init("fuzz-its", getenv("FUZZ_LOG") ? SG_LOG_DEBUG : SG_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gic_core core;
	static struct guest_ram ram;
	static struct fuzz_its f;
	struct fuzz_cursor cur = { data, size };
	struct core_out out = { check_output, &f };
	struct fuzz_header h;
	const uint8_t *d;
	unsigned sel;
	size_t len;

	if (!fuzz_header(&cur, &h))
		return 0;
	memset(&f, 0, sizeof(f));
	f.shape = h.shape;
	if (!f.shape.map.nr_its)
		sg_addr_map_default(&f.shape.map, 1);
	f.flags = h.flags;
	f.answer_bits = h.answer_bits;
	f.core = &core;
	fuzz_ram_reset();
	if (fuzz_ram_map(&ram, &f.shape) != 0)
		abort();
	core_init(&core, &f.shape, &ram, &out);

	while (fuzz_next(&cur, &sel, &d, &len)) {
		struct its *its = &core.its[0];

		if (sel < 0x40) {
			datagram(&f, sel % (f.shape.nr_vcpus + 1), d, len);
		} else {
			switch (sel) {
			case 0x80: its_access(&f, 0, GITS_CBASER, 8, true, le(d, len, 8)); break;
			case 0x81: its_access(&f, 0, GITS_BASER, 8, true, le(d, len, 8)); break;
			case 0x82: its_access(&f, 0, GITS_BASER + 8, 8, true, le(d, len, 8)); break;
			case 0x83: its_access(&f, 0, GITS_CTLR, 4, true, le(d, len, 4)); break;
			case 0x84: its_access(&f, 0, GITS_CWRITER, 8, true, le(d, len, 8)); break;
			case 0x85:
				its_access(&f, len > 4 ? d[4] : 0, GITS_TRANSLATER, 4, true,
					   le(d, len, 4));
				break;
			case 0x86: {
				struct sg_msi_msg m;

				bus_handle(&f, sg_msi_msg(&m, 0, (uint32_t)le(d, len, 4),
							  len > 4 ? (uint32_t)le(d + 4, len - 4, 4)
								  : 0));
				break;
			}
			case 0x87: {
				uint32_t off = (uint32_t)le(d, len, 4) % GITS_FRAME_SIZE;
				unsigned width = len > 4 && (d[4] & 1) ? 8 : 4;

				its_access(&f, 0, off & ~(width - 1u), width, false, 0);
				break;
			}
			case 0x88: commands(&f, d, len); break;
			case 0x89: answer(&f, true); break;
			case 0x8A: fuzz_ram_shrink(d, len); break;
			case FUZZ_SEL_RAM: fuzz_ram_write(d, len); break;
			default: break;
			}
		}
		answer(&f, f.flags & FUZZ_F_ANS_SYNC);
		check_its(its);
	}
	/* CREADR as the guest reads it agrees with the state. */
	its_access(&f, 0, GITS_CREADR, 8, false, 0);
	if (f.replied && f.reply_status == SG__MMIO_REPLY__STATUS__OK &&
	    (f.reply_data & ~GITS_CREADR_STALLED) != core.its[0].st.creadr)
		abort();
	if (getenv("FUZZ_LOG"))
		sg_notice(
			"its0: commands %llu (errors %llu, stalls %llu), msi %llu (delivered %llu)",
			(unsigned long long)core.its[0].stats.commands,
			(unsigned long long)core.its[0].stats.cmd_errors,
			(unsigned long long)core.its[0].stats.cmd_stalls,
			(unsigned long long)core.its[0].stats.msi,
			(unsigned long long)core.its[0].stats.msi_delivered);
	guest_ram_unmap(&ram);
	return 0;
}
