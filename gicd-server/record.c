// SPDX-License-Identifier: MIT
#include "record.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gic_regs.h"
#include "log.h"
#include "vm_shape.h"
#include "wire.h"

/* What the fuzz targets assume (fuzz/fuzz_input.h). */
#define FUZZ_RAM_GPA	0x40000000ull
#define FUZZ_RAM_SIZE	(16u << 20)
#define FUZZ_MAX_VCPUS	8u
#define FUZZ_SEL_RAM	0xC0u
#define RECORD_MAX_CMDS (16384u / GITS_CMD_SIZE) /* one record's worth */

static struct {
	int fd; /* -1: not recording */
	struct sg_vm_shape shape;
	bool shape_ok;
	int ram_fd; /* dup of the RAM memfd at FUZZ_RAM_GPA, or -1 */
	uint64_t ram_fd_off;
	uint64_t ram_size;
	uint64_t cbaser[SG_MAX_ITS];
	uint64_t cwriter[SG_MAX_ITS];
	unsigned char *arena_buf;
} rec = { .fd = -1, .ram_fd = -1 };

void record_open_from_env(void)
{
	const char *dir = getenv("GICD_RECORD_DIR");
	char path[4096];

	if (!dir || !dir[0])
		return;
	snprintf(path, sizeof(path), "%s/gicd-%d.rec", dir, (int)getpid());
	rec.arena_buf = malloc(SG_WIRE_ARENA_SIZE);
	rec.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (rec.fd < 0 || !rec.arena_buf) {
		sg_err("GICD_RECORD_DIR: cannot record to %s: %m", path);
		if (rec.fd >= 0)
			close(rec.fd);
		rec.fd = -1;
		return;
	}
	sg_notice("recording received datagrams to %s", path);
}

static void put(unsigned sel, const void *a, size_t alen, const void *b, size_t blen)
{
	static unsigned char out[3 + 0xFFFF];
	uint16_t n = (uint16_t)(alen + blen);

	if (alen + blen > 0xFFFF)
		return;
	out[0] = (unsigned char)sel;
	memcpy(out + 1, &n, 2);
	if (alen)
		memcpy(out + 3, a, alen);
	if (blen)
		memcpy(out + 3 + alen, b, blen);
	/* One write: a record is never split by another one. */
	if (write(rec.fd, out, 3 + alen + blen) < 0)
		return;
}

/* The fuzz header of a Hello's shape, if the targets can express it. */
static void header_for(const Sg__Hello *h, const int *fds, unsigned nfds)
{
	unsigned char hdr[4];
	unsigned spi_idx;

	rec.shape_ok = sg_shape_from_hello(h, &rec.shape, &(const char *){ NULL });
	if (!rec.shape_ok || rec.shape.nr_vcpus > FUZZ_MAX_VCPUS || rec.shape.map.nr_its > 3)
		return;
	spi_idx = rec.shape.nr_spis == 988 ? 30 : rec.shape.nr_spis / 32 - 1;
	hdr[0] = (unsigned char)(rec.shape.nr_vcpus - 1);
	hdr[1] = (unsigned char)spi_idx;
	hdr[2] = (unsigned char)(rec.shape.map.nr_its & 3);
	hdr[3] = 0;
	put(RECORD_SEL_HEADER, hdr, sizeof(hdr), NULL, 0);
	/* The RAM region the targets give the VM, if this one has it. */
	if (rec.ram_fd >= 0)
		close(rec.ram_fd);
	rec.ram_fd = -1;
	for (size_t i = 0; i < h->n_ram; i++) {
		unsigned k = rec.shape.nr_vcpus + 1 + h->ram[i]->fd_index;

		if (h->ram[i]->gpa == FUZZ_RAM_GPA && k < nfds) {
			rec.ram_fd = dup(fds[k]);
			rec.ram_fd_off = h->ram[i]->fd_offset;
			rec.ram_size =
				h->ram[i]->size < FUZZ_RAM_SIZE ? h->ram[i]->size : FUZZ_RAM_SIZE;
		}
	}
	memset(rec.cbaser, 0, sizeof(rec.cbaser));
	memset(rec.cwriter, 0, sizeof(rec.cwriter));
}

void record_control(const void *buf, size_t len, const int *fds, unsigned nfds)
{
	struct sg_arena a;
	Sg__Envelope *env;

	if (rec.fd < 0)
		return;
	put(RECORD_SEL_HELLO, buf, len, NULL, 0);
	sg_arena_init(&a, rec.arena_buf, SG_WIRE_ARENA_SIZE);
	if (sg_wire_decode(buf, len, &a, &env) == SG_WIRE_OK &&
	    env->body_case == SG__ENVELOPE__BODY_HELLO)
		header_for(env->hello, fds, nfds);
}

/* The commands between the last CWRITER and the new one, as a RAM write. */
static void commands(unsigned its, uint64_t cwriter)
{
	static unsigned char cmds[RECORD_MAX_CMDS * GITS_CMD_SIZE];
	uint64_t base = rec.cbaser[its] & GITS_CBASER_PA_MASK;
	uint64_t qbytes = ((rec.cbaser[its] & GITS_CBASER_SIZE_MASK) + 1) * 4096;
	uint64_t from = rec.cwriter[its] % qbytes, to = cwriter % qbytes;

	rec.cwriter[its] = cwriter;
	if (rec.ram_fd < 0 || base < FUZZ_RAM_GPA || base - FUZZ_RAM_GPA + qbytes > rec.ram_size)
		return;
	/* Wrapped: two records. */
	while (from != to) {
		uint64_t end = to > from ? to : qbytes, n = end - from;
		uint32_t off = (uint32_t)(base - FUZZ_RAM_GPA + from);

		if (n > sizeof(cmds))
			n = sizeof(cmds);
		if (pread(rec.ram_fd, cmds, n, (off_t)(rec.ram_fd_off + off)) != (ssize_t)n)
			return;
		put(FUZZ_SEL_RAM, &off, 4, cmds, n);
		from = (from + n) % qbytes;
	}
}

/* Keeps track of the ITS command queue registers a datagram writes. */
static void watch_its(const void *buf, size_t len)
{
	struct sg_arena a;
	Sg__Envelope *env;
	struct sg_frame_hit hit;
	const Sg__Mmio *m;

	sg_arena_init(&a, rec.arena_buf, SG_WIRE_ARENA_SIZE);
	if (sg_wire_decode(buf, len, &a, &env) != SG_WIRE_OK ||
	    env->body_case != SG__ENVELOPE__BODY_MMIO)
		return;
	m = env->mmio;
	if (!m->write || !sg_addr_decode(&rec.shape, m->addr, &hit) || hit.frame != SG_FRAME_ITS ||
	    hit.index >= SG_MAX_ITS)
		return;
	if (hit.offset == GITS_CBASER && m->size == 8)
		rec.cbaser[hit.index] = m->data;
	else if (hit.offset == GITS_CBASER && m->size == 4)
		rec.cbaser[hit.index] =
			(rec.cbaser[hit.index] & ~0xFFFFFFFFull) | (uint32_t)m->data;
	else if (hit.offset == GITS_CBASER + 4 && m->size == 4)
		rec.cbaser[hit.index] = (rec.cbaser[hit.index] & 0xFFFFFFFFull) | (m->data << 32);
	else if (hit.offset == GITS_CWRITER && (m->size == 8 || m->size == 4))
		commands(hit.index, m->data & GITS_CMDQ_OFFSET_MASK);
}

void record_datagram(unsigned index, const void *buf, size_t len)
{
	if (rec.fd < 0)
		return;
	/* Before the datagram: the replay must find the commands in RAM. */
	if (rec.shape_ok && index < rec.shape.nr_vcpus)
		watch_its(buf, len);
	put(index, buf, len, NULL, 0);
}
