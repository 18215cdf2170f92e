// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: restoring the daemon's durable state from arbitrary
 * bytes, as a restarted daemon does (session_durable.c): the state store
 * (state_store.c) in a memfd, session_peek_state() for the VM's identity,
 * then a core of that shape, state_store_load() with snapshot_apply() for
 * the snapshot and each journal record, snapshot_finish().  The input
 * (header ignored but for the answer bits) builds the store:
 *
 *   0x00       raw bytes at the store's header (offset 0)
 *   0x01/0x02  raw bytes at the start of snapshot slot A / B
 *   0x03       raw bytes at the start of the journal
 *   0x04       raw bytes anywhere: [u32 offset][bytes]
 *   0x05       a snapshot through state_store_write_snapshot() (valid framing)
 *   0x06       a journal record through state_store_append()
 *   0x07       the bytes as a snapshot message on their own: snapshot_identity()
 *              and snapshot_apply() without a store (later 0x06 records are
 *              applied to it as deltas)
 *   0x40-0x7F  after the restore: a datagram to channel sel % channels,
 *              numbered after the restored sequence numbers (as fuzz-core)
 *
 * Properties: no crash, no leak; a state that loads is usable: GICD and ITS
 * reads and the 0x40 records through core_handle() give valid messages,
 * and it encodes again into a snapshot whose identity reads back.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"
#include "fuzz_input.h"
#include "fuzz_output.h"
#include "fuzz_ram.h"
#include "gic_regs.h"
#include "log.h"
#include "session.h"
#include "snapshot.h"
#include "state_store.h"
#include "wire.h"

static int store_fd = -1;

struct fuzz_snap {
	struct sg_vm_shape shape;
	unsigned outputs;
};

static void check_output(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	struct fuzz_snap *f = ctx;

	fuzz_check_output(&f->shape, chan, env);
	f->outputs++;
}

static int load_record(void *ctx, const void *data, size_t len)
{
	return snapshot_apply(ctx, data, len);
}

/* A few reads on the restored state, from every vCPU. */
static void use(struct gic_core *core, struct fuzz_snap *f)
{
	static const struct {
		uint32_t off;
		unsigned size;
	} gicd[] = {
		{ GICD_CTLR, 4 },
		{ GICD_TYPER, 4 },
		{ GICD_ISENABLER + 4, 4 },
		{ GICD_ISPENDR + 4, 4 },
		{ GICD_ISACTIVER + 4, 4 },
		{ GICD_IPRIORITYR + 32, 4 },
		{ GICD_IROUTER + 8 * 32, 8 },
		{ GICD_IROUTER + 8 * 40, 8 },
	};
	uint64_t seq[SG_MAX_VCPUS] = { 0 };

	for (unsigned i = 0; i < sizeof(gicd) / sizeof(gicd[0]); i++) {
		unsigned vcpu = i % f->shape.nr_vcpus;
		struct sg_mmio_msg m;
		Sg__Envelope *env = sg_mmio_msg(&m, f->shape.map.gicd_base + gicd[i].off,
						gicd[i].size, false, false, 0);

		env->seq = ++seq[vcpu];
		core_handle(core, vcpu, env);
	}
	for (unsigned i = 0; i < f->shape.map.nr_its; i++) {
		struct sg_mmio_msg m;
		Sg__Envelope *env =
			sg_mmio_msg(&m, f->shape.map.its_base[i] + GITS_CREADR, 8, false, false, 0);

		env->seq = ++seq[0];
		core_handle(core, 0, env);
	}
}

/* static: the arena is large */
static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];

/*
 * Records 0x40-0x7F after the restore: datagrams to channel sel % channels,
 * numbered after what the state says each channel applied, as the agents'
 * replay would (fuzz-core's treatment otherwise).
 */
static void drive(struct durable *d, struct fuzz_snap *f, struct fuzz_cursor cur)
{
	const uint8_t *p;
	unsigned sel;
	size_t len;

	while (fuzz_next(&cur, &sel, &p, &len)) {
		unsigned chan = (sel & 0x3F) % (f->shape.nr_vcpus + 1);
		enum sg_chan_kind kind = chan < f->shape.nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
		uint64_t *seq = &d->last_applied[chan];
		struct sg_arena a;
		Sg__Envelope *env;
		const char *why;

		if (sel < 0x40 || sel > 0x7F)
			continue;
		sg_arena_init(&a, arena_buf, sizeof(arena_buf));
		if (sg_wire_decode(p, len, &a, &env) != SG_WIRE_OK)
			continue;
		if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
			env->seq = 0;
			for (size_t i = 0; i < env->batch->n_msgs; i++)
				env->batch->msgs[i]->seq = *seq + 1 + i;
		} else if (sg_wire_body_is_sequenced(env->body_case)) {
			env->seq = *seq + 1;
		}
		if (sg_wire_validate(env, kind, SG_TO_DAEMON, &f->shape, &why) != SG_WIRE_OK)
			continue;
		if (env->body_case == SG__ENVELOPE__BODY_BATCH)
			*seq += env->batch->n_msgs;
		else if (env->seq)
			*seq = env->seq;
		core_handle(d->core, chan, env);
	}
}

/* The state loaded: it must be usable and encode again. */
static void check_restored(struct durable *d, struct fuzz_snap *f, struct fuzz_cursor cur)
{
	struct snapshot_shadow *sh = calloc(1, sizeof(*sh));
	unsigned char *rec = NULL, token[32];
	Sg__Hello *h = NULL;
	uint64_t epoch;
	ssize_t n;

	if (!sh)
		abort();
	snapshot_finish(d);
	use(d->core, f);
	drive(d, f, cur);
	n = snapshot_encode(d, sh, true, &rec);
	if (n < 0 && n != -ENOMEM)
		abort();
	if (n > 0 && snapshot_identity(rec, (size_t)n, &h, &epoch, token) != 0)
		abort(); /* what we write we must read */
	if (h)
		sg__hello__free_unpacked(h, NULL);
	free(rec);
	snapshot_shadow_fini(sh);
	free(sh);
}

/* A core for the Hello the state names, over the fuzzer's RAM if it fits. */
static bool new_core(struct gic_core *core, struct guest_ram *ram, struct fuzz_snap *f,
		     const Sg__Hello *hello, struct core_out *out)
{
	const char *why;

	if (!sg_shape_from_hello(hello, &f->shape, &why))
		return false;
	/* A shape whose frames overlap our RAM gets none: the ITS then faults. */
	fuzz_ram_map(ram, &f->shape);
	core_init(core, &f->shape, ram, out);
	return true;
}

static void restore_store(struct fuzz_cursor cur)
{
	static struct gic_core core;
	static struct durable d;
	struct fuzz_snap f = { 0 };
	struct core_out out = { check_output, &f };
	struct guest_ram ram;
	struct state_store st;
	unsigned char token[32];
	Sg__Hello *hello = NULL;
	uint64_t epoch;

	/* As a restarted daemon: who is it, then everything. */
	if (session_peek_state(store_fd, &hello, &epoch, token) != 0)
		return;
	if (!new_core(&core, &ram, &f, hello, &out)) {
		sg__hello__free_unpacked(hello, NULL);
		return;
	}
	sg__hello__free_unpacked(hello, NULL);
	memset(&d, 0, sizeof(d));
	d.core = &core;
	if (state_store_open(&st, store_fd, false) == 0) {
		if (state_store_load(&st, load_record, load_record, &d) == 0)
			check_restored(&d, &f, cur);
		state_store_close(&st);
	}
	durable_release(&d);
	guest_ram_unmap(&ram);
}

/* 0x07: one snapshot message without a store, then the 0x06 records as deltas. */
static void restore_message(const uint8_t *msg, size_t len, struct fuzz_cursor cur)
{
	static struct gic_core core;
	static struct durable d;
	struct fuzz_snap f = { 0 };
	struct core_out out = { check_output, &f };
	struct guest_ram ram;
	unsigned char token[32];
	Sg__Hello *hello = NULL;
	uint64_t epoch;
	const uint8_t *p;
	unsigned sel;
	size_t n;
	int rc;

	if (snapshot_identity(msg, len, &hello, &epoch, token) != 0) {
		if (hello)
			abort(); /* no Hello may be left to the caller on failure */
		return;
	}
	if (!new_core(&core, &ram, &f, hello, &out)) {
		sg__hello__free_unpacked(hello, NULL);
		return;
	}
	sg__hello__free_unpacked(hello, NULL);
	memset(&d, 0, sizeof(d));
	d.core = &core;
	rc = snapshot_apply(&d, msg, len);
	while (rc == 0 && fuzz_next(&cur, &sel, &p, &n))
		if (sel == 0x06)
			rc = snapshot_apply(&d, p, n);
	if (rc == 0)
		check_restored(&d, &f, cur);
	durable_release(&d);
	guest_ram_unmap(&ram);
}

static void raw_write(uint64_t off, const uint8_t *p, size_t len)
{
	if (off >= STATE_STORE_SIZE)
		return;
	if (len > STATE_STORE_SIZE - off)
		len = STATE_STORE_SIZE - off;
	if (pwrite(store_fd, p, len, (off_t)off) != (ssize_t)len)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Rejections are the point here: only errors, unless FUZZ_LOG is set. */
	sg_log_init("fuzz-snapshot", getenv("FUZZ_LOG") ? SG_LOG_DEBUG : SG_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor cur = { data, size }, records;
	struct fuzz_header h;
	struct state_store st;
	const uint8_t *p;
	unsigned sel;
	size_t len;
	bool any = false;

	if (!fuzz_header(&cur, &h))
		return 0;
	fuzz_ram_reset();
	if (store_fd < 0) {
		store_fd = memfd_create("fuzz-store", MFD_CLOEXEC);
		if (store_fd < 0)
			abort();
	}
	/* Empty, then a fresh store the records write into. */
	if (ftruncate(store_fd, 0) < 0 || state_store_open(&st, store_fd, true) != 0)
		abort();
	records = cur;
	while (fuzz_next(&cur, &sel, &p, &len)) {
		uint32_t off;

		any = true;
		switch (sel) {
		case 0x00: raw_write(0, p, len); break;
		case 0x01: raw_write(4096, p, len); break;
		case 0x02: raw_write(4096 + STATE_STORE_SLOT_SIZE, p, len); break;
		case 0x03: raw_write(4096 + 2ull * STATE_STORE_SLOT_SIZE, p, len); break;
		case 0x04:
			if (len >= 4) {
				memcpy(&off, p, 4);
				raw_write(off % STATE_STORE_SIZE, p + 4, len - 4);
			}
			break;
		case 0x05: state_store_write_snapshot(&st, p, len); break;
		case 0x06: state_store_append(&st, p, len); break;
		case 0x07:
			state_store_close(&st);
			restore_message(p, len, cur);
			return 0;
		default: break;
		}
	}
	state_store_close(&st);
	if (any)
		restore_store(records);
	return 0;
}
