// SPDX-License-Identifier: MIT
/*
 * Turns a recording of gicd-server's received datagrams (GICD_RECORD_DIR,
 * gicd-server/record.h) into seed inputs for the fuzz targets:
 *
 *   rec2seed OUTDIR NAME FILE.rec
 *
 * For each VM the recording holds (a header record, then its datagrams and
 * RAM writes) it writes OUTDIR/<target>/NAME-<vm>: the same records for
 * fuzz-server (replayed as they came: the sequence numbers are the real
 * ones), fuzz-core and, when the VM used an ITS, fuzz-its; the datagrams
 * alone for fuzz-wire; and for
 * fuzz-snapshot the state those records leave in a core, as a store (a full
 * snapshot halfway, deltas after) and as a lone snapshot message.  Each seed
 * stays below SEED_MAX bytes: a long recording is cut at a record boundary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "fuzz_input.h"
#include "fuzz_ram.h"
#include "gic_regs.h"
#include "log.h"
#include "snapshot.h"
#include "wire.h"

#define SEED_MAX	  (60u * 1024u)
#define RECORD_SEL_HELLO  0xF0u
#define RECORD_SEL_HEADER 0xFEu

static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];
static unsigned char seed[SEED_MAX + 3 + 0xFFFF];
static size_t seed_len;

static void discard(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	(void)ctx;
	(void)chan;
	(void)env;
}

static void save(const char *out, const char *target, const char *name, unsigned vm)
{
	char path[4096];
	FILE *f;

	mkdir(out, 0755);
	snprintf(path, sizeof(path), "%s/%s", out, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s-%u", out, target, name, vm);
	f = fopen(path, "wb");
	if (!f || fwrite(seed, 1, seed_len, f) != seed_len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void put(unsigned sel, const void *p, size_t n)
{
	uint16_t len = (uint16_t)n;

	if (n > 0xFFFF)
		return;
	seed[seed_len] = (unsigned char)sel;
	memcpy(seed + seed_len + 1, &len, 2);
	memcpy(seed + seed_len + 3, p, n);
	seed_len += 3 + n;
}

/* One VM of the recording: [hdr][records], records already cut to SEED_MAX. */
struct vm_rec {
	unsigned char hdr[FUZZ_HDR_LEN];
	const unsigned char *hello; /* packed Envelope with the Hello, or NULL */
	size_t hello_len;
	const unsigned char *recs;
	size_t len;
	bool its; /* RAM writes or ITS frame accesses: worth a fuzz-its seed */
};

/* The Hello fuzz-server attaches with for shape (fuzz_server.c build_hello()). */
static size_t fuzz_hello(const struct sg_vm_shape *shape, unsigned char *buf, size_t cap)
{
	Sg__Hello h = SG__HELLO__INIT;
	Sg__AddressMap am = SG__ADDRESS_MAP__INIT;
	Sg__RamRegion r = SG__RAM_REGION__INIT, *rs[1] = { &r };

	sg_shape_to_hello(shape, &h, &am);
	h.proto_version = SG_PROTO_VERSION;
	h.vm_name = (char *)"fuzz";
	r.gpa = FUZZ_RAM_GPA;
	r.size = FUZZ_RAM_SIZE;
	h.n_ram = 1;
	h.ram = rs;
	h.nr_ram_fds = 1;
	if (sg__hello__get_packed_size(&h) > cap)
		return 0;
	return sg__hello__pack(&h, buf);
}

/*
 * fuzz-server, restoring: gicctl snapshot load of the final state (as
 * fuzz-server's own VM), the Hello with its resume token, every vCPU's
 * Resync, a few reads.
 */
static void restore_seed(const char *out, const char *name, unsigned vm, struct durable *d,
			 const struct fuzz_header *h, const unsigned char *hdr)
{
	struct snapshot_shadow *sh = calloc(1, sizeof(*sh));
	unsigned char hello[4096], *rec = NULL, b[64];
	size_t n = fuzz_hello(&h->shape, hello, sizeof(hello));
	ssize_t r;

	if (!sh || !n)
		goto out;
	free(d->hello);
	d->hello = malloc(n);
	if (!d->hello)
		goto out;
	memcpy(d->hello, hello, n);
	d->hello_len = n;
	r = snapshot_encode(d, sh, true, &rec);
	if (r <= 0 || (size_t)r + 512 > SEED_MAX)
		goto out;
	memcpy(seed, hdr, FUZZ_HDR_LEN);
	seed[2] = (unsigned char)((hdr[2] & FUZZ_F_ITS_MASK) | FUZZ_F_NO_ATTACH | FUZZ_F_ANS_QUERY |
				  FUZZ_F_ANS_SYNC | FUZZ_F_ACK);
	seed_len = FUZZ_HDR_LEN;
	put(0x8B, rec, (size_t)r);
	b[0] = 0x01 | 0x08 | 0x10; /* proper fds, our Hello, the resume token */
	memcpy(b + 1, d->token, sizeof(d->token));
	put(0x81, b, 1 + sizeof(d->token));
	for (unsigned i = 0; i < h->shape.nr_vcpus; i++) {
		Sg__Resync rs = SG__RESYNC__INIT;
		Sg__Envelope env;
		ssize_t m;

		rs.vcpu = i;
		sg_envelope_init(&env);
		env.seq = 1;
		env.body_case = SG__ENVELOPE__BODY_RESYNC;
		env.resync = &rs;
		m = sg_wire_pack(&env, hello, sizeof(hello));
		if (m > 0)
			put(0x40 | h->shape.nr_vcpus, hello, (size_t)m);
	}
	for (unsigned i = 0; i < 3; i++) {
		static const uint32_t off[] = { GICD_CTLR, GICD_ISPENDR + 4, GICD_ISACTIVER + 4 };
		struct sg_mmio_msg m;
		Sg__Envelope *env =
			sg_mmio_msg(&m, h->shape.map.gicd_base + off[i], 4, false, false, 0);
		ssize_t k;

		env->seq = 1;
		k = sg_wire_pack(env, hello, sizeof(hello));
		if (k > 0)
			put(0x40, hello, (size_t)k);
	}
	save(out, "fuzz-server", name, vm + 2000);
out:
	free(rec);
	if (sh)
		snapshot_shadow_fini(sh);
	free(sh);
}

/* Runs the VM's records through a core and writes fuzz-snapshot seeds. */
static void snapshot_seeds(const char *out, const char *name, unsigned vm, const struct vm_rec *v)
{
	static struct gic_core core;
	static struct durable d;
	struct fuzz_cursor cur = { v->hdr, FUZZ_HDR_LEN };
	struct core_out o = { discard, NULL };
	Sg__RamRegion region = SG__RAM_REGION__INIT, *regions[1] = { &region };
	struct snapshot_shadow *sh = calloc(1, sizeof(*sh));
	uint64_t seq[SG_MAX_VCPUS + 1] = { 0 };
	struct fuzz_header h;
	struct guest_ram ram;
	struct sg_arena a;
	Sg__Envelope *env;
	unsigned char *rec;
	const uint8_t *p;
	const char *why;
	unsigned sel, n = 0, half;
	size_t len;
	ssize_t r;
	int fds[1];

	if (!sh || !v->hello || !fuzz_header(&cur, &h))
		goto out;
	sg_arena_init(&a, arena_buf, sizeof(arena_buf));
	if (sg_wire_decode(v->hello, v->hello_len, &a, &env) != SG_WIRE_OK ||
	    env->body_case != SG__ENVELOPE__BODY_HELLO)
		goto out;
	memset(&d, 0, sizeof(d));
	d.hello_len = sg__hello__get_packed_size(env->hello);
	d.hello = malloc(d.hello_len + 1);
	if (!d.hello)
		goto out;
	sg__hello__pack(env->hello, d.hello);
	d.epoch = 1;
	memset(d.token, 0x5A, sizeof(d.token));
	fuzz_ram_reset();
	region.gpa = FUZZ_RAM_GPA;
	region.size = FUZZ_RAM_SIZE;
	fds[0] = dup(fuzz_ram_fd);
	if (guest_ram_map(&ram, &h.shape, regions, 1, fds, 1, &why) != 0)
		guest_ram_init(&ram);
	core_init(&core, &h.shape, &ram, &o);
	d.core = &core;

	/* Count, then replay: a full snapshot halfway, deltas after it. */
	cur = (struct fuzz_cursor){ v->recs, v->len };
	while (fuzz_next(&cur, &sel, &p, &len))
		n++;
	half = n / 2;
	seed_len = 0;
	memcpy(seed, v->hdr, FUZZ_HDR_LEN);
	seed_len = FUZZ_HDR_LEN;
	cur = (struct fuzz_cursor){ v->recs, v->len };
	for (unsigned i = 0; fuzz_next(&cur, &sel, &p, &len); i++) {
		unsigned chan = sel % (h.shape.nr_vcpus + 1);
		enum sg_chan_kind kind = chan < h.shape.nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;

		if (sel == FUZZ_SEL_RAM) {
			fuzz_ram_write(p, len);
		} else if (sel < 0x20) {
			sg_arena_init(&a, arena_buf, sizeof(arena_buf));
			if (sg_wire_decode(p, len, &a, &env) == SG_WIRE_OK &&
			    sg_wire_validate(env, kind, SG_TO_DAEMON, &h.shape, &why) ==
				    SG_WIRE_OK &&
			    env->body_case != SG__ENVELOPE__BODY_ACK) {
				if (env->seq)
					seq[chan] = env->seq;
				d.last_applied[chan] = seq[chan];
				core_handle(&core, chan, env);
			}
		}
		if (i == half || (i > half && (i - half) % 16 == 0)) {
			r = snapshot_encode(&d, sh, i == half, &rec);
			if (r > 0 && seed_len + 3 + (size_t)r <= SEED_MAX)
				put(i == half ? 0x05 : 0x06, rec, (size_t)r);
			if (r >= 0)
				free(rec);
		}
	}
	if (seed_len > FUZZ_HDR_LEN)
		save(out, "fuzz-snapshot", name, vm);
	/* The final state as one snapshot message. */
	r = snapshot_encode(&d, sh, true, &rec);
	if (r > 0 && (size_t)r + 3 + FUZZ_HDR_LEN <= SEED_MAX) {
		seed_len = FUZZ_HDR_LEN;
		put(0x07, rec, (size_t)r);
		save(out, "fuzz-snapshot", name, vm + 1000);
	}
	if (r >= 0)
		free(rec);
	restore_seed(out, name, vm, &d, &h, v->hdr);
	guest_ram_unmap(&ram);
	durable_release(&d);
	snapshot_shadow_fini(sh);
out:
	free(sh);
}

/* fuzz-wire: no header; selector 0 control, 1 MMIO, 2 bus (to the daemon). */
static void wire_seed(const char *out, const char *name, unsigned vm, const struct vm_rec *v)
{
	struct fuzz_cursor cur = { v->hdr, FUZZ_HDR_LEN };
	struct fuzz_header h;
	const uint8_t *p;
	unsigned sel;
	size_t len;

	if (!fuzz_header(&cur, &h))
		return;
	seed_len = 0;
	if (v->hello)
		put(0, v->hello, v->hello_len);
	cur = (struct fuzz_cursor){ v->recs, v->len };
	while (fuzz_next(&cur, &sel, &p, &len))
		if (sel < 0x20)
			put(sel < h.shape.nr_vcpus ? 1 : 2, p, len);
	save(out, "fuzz-wire", name, vm);
}

static void write_vm(const char *out, const char *name, unsigned vm, const struct vm_rec *v)
{
	if (!v->len)
		return;
	wire_seed(out, name, vm, v);
	memcpy(seed, v->hdr, FUZZ_HDR_LEN);
	memcpy(seed + FUZZ_HDR_LEN, v->recs, v->len);
	seed_len = FUZZ_HDR_LEN + v->len;
	save(out, "fuzz-server", name, vm);
	save(out, "fuzz-core", name, vm);
	if (v->its)
		save(out, "fuzz-its", name, vm);
	snapshot_seeds(out, name, vm, v);
}

static bool touches_its(const struct fuzz_header *h, const uint8_t *p, size_t len)
{
	struct sg_frame_hit hit;
	struct sg_arena a;
	Sg__Envelope *env;

	sg_arena_init(&a, arena_buf, sizeof(arena_buf));
	if (sg_wire_decode(p, len, &a, &env) != SG_WIRE_OK)
		return false;
	if (env->body_case == SG__ENVELOPE__BODY_MSI)
		return true;
	return env->body_case == SG__ENVELOPE__BODY_MMIO &&
	       sg_addr_decode(&h->shape, env->mmio->addr, &hit) && hit.frame == SG_FRAME_ITS;
}

int main(int argc, char **argv)
{
	struct vm_rec v = { 0 };
	struct fuzz_cursor cur;
	struct fuzz_header h;
	unsigned char *data;
	const uint8_t *p, *last_hello = NULL;
	size_t size, len, last_hello_len = 0;
	unsigned sel, vm = 0;
	bool have = false;
	struct stat st;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: %s OUTDIR NAME FILE.rec\n", argv[0]);
		return 2;
	}
	sg_log_init("rec2seed", SG_LOG_ERR);
	f = fopen(argv[3], "rb");
	if (!f || fstat(fileno(f), &st) < 0) {
		perror(argv[3]);
		return 1;
	}
	size = (size_t)st.st_size;
	data = malloc(size + 1);
	if (!data || fread(data, 1, size, f) != size) {
		perror(argv[3]);
		return 1;
	}
	fclose(f);
	cur = (struct fuzz_cursor){ data, size };
	while (fuzz_next(&cur, &sel, &p, &len)) {
		if (sel == RECORD_SEL_HELLO) {
			last_hello = p;
			last_hello_len = len;
			continue;
		}
		if (sel == RECORD_SEL_HEADER && len == FUZZ_HDR_LEN) {
			struct fuzz_cursor hc = { p, len };

			if (have)
				write_vm(argv[1], argv[2], vm++, &v);
			memset(&v, 0, sizeof(v));
			memcpy(v.hdr, p, FUZZ_HDR_LEN);
			v.hello = last_hello;
			v.hello_len = last_hello_len;
			have = fuzz_header(&hc, &h);
			continue;
		}
		if (!have || (sel >= 0x20 && sel != FUZZ_SEL_RAM))
			continue;
		if (!v.len)
			v.recs = p - 3;
		/* Records of one VM are contiguous in the file unless a Hello
		 * (a rejected one, say) came between: stop there. */
		if (v.recs + v.len != p - 3 || FUZZ_HDR_LEN + v.len + 3 + len > SEED_MAX) {
			write_vm(argv[1], argv[2], vm++, &v);
			have = false;
			continue;
		}
		v.len += 3 + len;
		if (sel == FUZZ_SEL_RAM || touches_its(&h, p, len))
			v.its = true;
	}
	if (have)
		write_vm(argv[1], argv[2], vm, &v);
	free(data);
	return 0;
}
