// SPDX-License-Identifier: MIT
/*
 * gicd-server's trace points (docs/tracing.md): every documented USDT probe
 * is in the gicd-server binary's .note.stapsdt notes with its argument
 * count and a semaphore, and nothing undocumented is; the live-trace sink
 * and the one-line formatter of trace.c, driven directly.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "gic_regs.h"
#include "harness.h"
#include "trace.h"

/* The probes docs/tracing.md lists, with their argument counts. */
static const struct {
	const char *name;
	unsigned nargs;
} documented[] = {
	{ "mmio__recv", 10 }, { "mmio__reply", 11 }, { "deliver", 6 }, { "retract", 4 },
	{ "deactivate", 4 },  { "spi__level", 3 },   { "msi", 7 },     { "its__cmd", 11 },
	{ "snapshot", 4 },    { "restore", 5 },	     { "attach", 8 },  { "detach", 1 },
};
#define NR_DOCUMENTED (sizeof(documented) / sizeof(documented[0]))

/* ------------------------------------------------------ ELF notes */

struct probe_seen {
	unsigned sites;
	unsigned nargs;
	bool nargs_differ;
	bool no_semaphore;
};

/* Arguments in a probe's format string: "-4@%eax 8@%rdx ...". */
static unsigned count_args(const char *fmt)
{
	unsigned n = 0;
	bool in = false;

	for (; *fmt; fmt++) {
		if (*fmt == ' ') {
			in = false;
		} else if (!in) {
			in = true;
			n++;
		}
	}
	return n;
}

/* Walks the notes of one SHT_NOTE section. */
static void scan_notes(const unsigned char *p, size_t len, struct probe_seen *seen,
		       unsigned *foreign)
{
	size_t off = 0;

	while (off + sizeof(Elf64_Nhdr) <= len) {
		const Elf64_Nhdr *nh = (const void *)(p + off);
		size_t name_off = off + sizeof(*nh);
		size_t desc_off = name_off + ((nh->n_namesz + 3u) & ~3u);
		size_t next = desc_off + ((nh->n_descsz + 3u) & ~3u);
		const char *desc = (const char *)(p + desc_off), *provider, *name, *args, *end;
		uint64_t sem;

		ck_assert_msg(next <= len && next > off, "truncated note at %zu", off);
		off = next;
		if (nh->n_type != 3 || nh->n_namesz != 8 || memcmp(p + name_off, "stapsdt", 8) != 0)
			continue;
		/* pc, link-time base, semaphore; then provider, name, args. */
		ck_assert_uint_gt(nh->n_descsz, 3 * 8 + 3);
		memcpy(&sem, desc + 16, sizeof(sem));
		end = desc + nh->n_descsz;
		provider = desc + 24;
		name = provider + strnlen(provider, (size_t)(end - provider)) + 1;
		ck_assert_msg(name <= end, "note without a probe name");
		args = name + strnlen(name, (size_t)(end - name)) + 1;
		ck_assert_msg(args < end && memchr(args, '\0', (size_t)(end - args)),
			      "note without an argument string");
		if (strcmp(provider, "splitgic") != 0) {
			(*foreign)++;
			continue;
		}
		for (unsigned i = 0; i < NR_DOCUMENTED; i++) {
			if (strcmp(name, documented[i].name) != 0)
				continue;
			if (seen[i].sites && seen[i].nargs != count_args(args))
				seen[i].nargs_differ = true;
			seen[i].nargs = count_args(args);
			seen[i].no_semaphore |= sem == 0;
			seen[i].sites++;
			goto next;
		}
		ck_abort_msg("probe splitgic:%s is not documented (docs/tracing.md)", name);
	next:;
	}
}

START_TEST(test_probe_notes)
{
	const char *path = getenv("GICD_SERVER");
	struct probe_seen seen[NR_DOCUMENTED] = { { 0 } };
	unsigned foreign = 0, note_sections = 0;
	const unsigned char *img;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *shstr;
	struct stat st;
	int fd;

	ck_assert_msg(path, "GICD_SERVER is not set (run through meson test)");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(img, MAP_FAILED);
	close(fd);

	eh = (const void *)img;
	ck_assert_msg(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0, "%s is not ELF", path);
	ck_assert_int_eq(eh->e_ident[EI_CLASS], ELFCLASS64);
	ck_assert_uint_le(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr),
			  (uint64_t)st.st_size);
	sh = (const void *)(img + eh->e_shoff);
	ck_assert_uint_lt(eh->e_shstrndx, eh->e_shnum);
	shstr = (const char *)(img + sh[eh->e_shstrndx].sh_offset);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_NOTE || strcmp(shstr + sh[i].sh_name, ".note.stapsdt"))
			continue;
		ck_assert_uint_le(sh[i].sh_offset + sh[i].sh_size, (uint64_t)st.st_size);
		scan_notes(img + sh[i].sh_offset, sh[i].sh_size, seen, &foreign);
		note_sections++;
	}
	ck_assert_msg(note_sections == 1, "%u .note.stapsdt sections in %s", note_sections, path);
	for (unsigned i = 0; i < NR_DOCUMENTED; i++) {
		ck_assert_msg(seen[i].sites > 0, "probe splitgic:%s missing from %s",
			      documented[i].name, path);
		ck_assert_msg(!seen[i].nargs_differ, "probe %s: sites disagree on arguments",
			      documented[i].name);
		ck_assert_msg(seen[i].nargs == documented[i].nargs,
			      "probe %s has %u arguments, documented %u", documented[i].name,
			      seen[i].nargs, documented[i].nargs);
		ck_assert_msg(!seen[i].no_semaphore, "probe %s has no semaphore",
			      documented[i].name);
	}
	munmap((void *)img, (size_t)st.st_size);
}
END_TEST

/* ------------------------------------------- sink and formatter */

#define MAX_LINES 64

static struct {
	unsigned n;
	struct trace_event ev[MAX_LINES];
	char line[MAX_LINES][256];
} got;

static void capture(void *arg, const struct trace_event *ev)
{
	ck_assert_ptr_eq(arg, &got);
	ck_assert_uint_lt(got.n, MAX_LINES);
	got.ev[got.n] = *ev;
	trace_event_format(ev, got.line[got.n], sizeof(got.line[0]));
	got.n++;
}

static void reset(void)
{
	memset(&got, 0, sizeof(got));
}

static const char *last(void)
{
	ck_assert_uint_gt(got.n, 0);
	return got.line[got.n - 1];
}

#define EXPECT(str) ck_assert_str_eq(last(), str)

START_TEST(test_sink_mmio)
{
	struct sg_vm_shape s;
	uint64_t gicd = SG_DEFAULT_GICD_BASE, its = SG_DEFAULT_ITS_BASE;
	const struct trace_event *ev;

	harness_shape(&s, 2, 64, 1);
	reset();
	trace_set_sink(capture, &got);

	trace_mmio_recv(&s, 0, 12, gicd + GICD_ISENABLER + 4, 4, false, false, 0);
	EXPECT("mmio0 recv seq 12 read GICD_ISENABLER(1) size 4");
	ev = &got.ev[0];
	ck_assert_uint_eq(ev->kind, TRACE_MMIO_RECV);
	ck_assert_uint_eq(ev->mmio.frame, TRACE_FRAME_GICD);
	ck_assert_uint_eq(ev->mmio.offset, GICD_ISENABLER + 4);
	ck_assert_uint_gt(ev->ts_ns, 0);

	trace_mmio_reply(0, 12, 0xff, TRACE_MMIO_OK);
	ev = &got.ev[1];
	ck_assert_uint_eq(ev->kind, TRACE_MMIO_REPLY);
	ck_assert(ev->mmio.known);
	ck_assert_uint_eq(ev->mmio.addr, gicd + GICD_ISENABLER + 4);
	ck_assert_uint_eq(ev->mmio.data, 0xff);
	ck_assert_uint_ge(ev->ts_ns, got.ev[0].ts_ns);
	ck_assert_uint_eq(ev->mmio.latency_ns, ev->ts_ns - got.ev[0].ts_ns);
	/* "... ok N ns": the latency is whatever it was. */
	ck_assert_msg(
		strncmp(last(), "mmio0 reply seq 12 read GICD_ISENABLER(1) size 4 data 0xff ok",
			strlen("mmio0 reply seq 12 read GICD_ISENABLER(1) size 4 data 0xff ok")) ==
			0,
		"got \"%s\"", last());

	/* A reply nobody saw the request of: what the reply itself says. */
	trace_mmio_reply(1, 99, 0, TRACE_MMIO_UNMAPPED);
	EXPECT("mmio1 reply seq 99 data 0x0 unmapped");

	trace_mmio_recv(&s, 1, 13, gicd + GICD_IPRIORITYR + 41, 1, true, true, 0xa0);
	EXPECT("mmio1 recv seq 13 write GICD_IPRIORITYR(10)+1 size 1 data 0xa0 posted");
	trace_mmio_recv(&s, 0, 14, gicd + GICD_IROUTER + 8 * 40 + 4, 4, true, false, 2);
	EXPECT("mmio0 recv seq 14 write GICD_IROUTER(40)+4 size 4 data 0x2");
	trace_mmio_reply(0, 14, 0, TRACE_MMIO_OK);
	ck_assert_msg(strncmp(last(),
			      "mmio0 reply seq 14 write GICD_IROUTER(40)+4 size 4 data 0x2 ok",
			      strlen("mmio0 reply seq 14 write GICD_IROUTER(40)+4 size 4 data 0x2 "
				     "ok")) == 0,
		      "got \"%s\"", last());
	trace_mmio_recv(&s, 0, 15, gicd + 0x20, 4, false, false, 0);
	EXPECT("mmio0 recv seq 15 read GICD+0x20 size 4");
	trace_mmio_recv(&s, 0, 16, gicd + GIC_PIDR2, 4, false, false, 0);
	EXPECT("mmio0 recv seq 16 read GICD_PIDR2 size 4");
	trace_mmio_recv(&s, 1, 17, its + GITS_CWRITER, 8, true, true, 0x40);
	EXPECT("mmio1 recv seq 17 write GITS_CWRITER size 8 data 0x40 posted");
	trace_mmio_recv(&s, 1, 18, its + GITS_BASER + 8, 8, false, false, 0);
	EXPECT("mmio1 recv seq 18 read GITS_BASER(1) size 8");
	trace_mmio_recv(&s, 1, 19, its + GITS_CBASER + 4, 4, false, false, 0);
	EXPECT("mmio1 recv seq 19 read GITS_CBASER+4 size 4");
	trace_mmio_recv(&s, 1, 20, its + GITS_TRANSLATER, 4, true, true, 5);
	EXPECT("mmio1 recv seq 20 write GITS_TRANSLATER size 4 data 0x5 posted");
	trace_mmio_recv(&s, 0, 21, 0x1000, 4, false, false, 0);
	EXPECT("mmio0 recv seq 21 read 0x1000 size 4");
	trace_mmio_reply(0, 21, 0, TRACE_MMIO_UNMAPPED);
	ck_assert_msg(strstr(last(), "read 0x1000 size 4 data 0x0 unmapped"), "got \"%s\"", last());

	trace_set_sink(NULL, NULL);
	ck_assert(!trace_sink_active);
	trace_mmio_recv(&s, 0, 22, gicd, 4, false, false, 0);
	ck_assert_uint_eq(got.n, 14);
}
END_TEST

START_TEST(test_sink_events)
{
	uint64_t mapti[4] = { GITS_CMD_MAPTI | (5ull << 32), 2 | (8200ull << 32), 1, 0 };
	uint64_t intcmd[4] = { GITS_CMD_INT | (7ull << 32), 0, 0, 0 };
	uint64_t mapd[4] = { GITS_CMD_MAPD | (3ull << 32), 4, (1ull << 63) | 0x40200000ull, 0 };
	uint64_t mapc[4] = { GITS_CMD_MAPC, 0, (1ull << 63) | (1ull << 16) | 9, 0 };
	uint64_t movall[4] = { GITS_CMD_MOVALL, 0, 1ull << 16, 2ull << 16 };
	uint64_t sync[4] = { GITS_CMD_SYNC, 0, 1ull << 16, 0 };
	uint64_t bogus[4] = { 0x42, 0, 0, 0 };

	reset();
	trace_set_sink(capture, &got);

	trace_deliver(1, 40, 3, TRACE_DELIVER_SET_LATCH | TRACE_DELIVER_LEVEL, 0xa0, 1);
	EXPECT("deliver vcpu 1 intid 40 gen 3 latch|level prio 0xa0 group 1");
	ck_assert_uint_eq(got.ev[0].kind, TRACE_DELIVER);
	ck_assert_uint_eq(got.ev[0].irq.intid, 40);
	trace_retract(1, 40, 3, TRACE_RETRACT_CLEAR_LATCH | TRACE_RETRACT_RETURN_LATCH);
	EXPECT("retract vcpu 1 intid 40 gen 3 latch|return-latch");
	trace_deactivate(1, 40, 3, true);
	EXPECT("deactivate vcpu 1 intid 40 gen 3 returned-latch");
	trace_deactivate(0, 41, 1, false);
	EXPECT("deactivate vcpu 0 intid 41 gen 1");
	trace_spi_level(40, true, false);
	EXPECT("spi intid 40 level 1");
	trace_spi_level(41, false, true);
	EXPECT("spi intid 41 pulse");
	trace_msi(0, 5, 2, 8200, 1, TRACE_MSI_TRANSLATED);
	EXPECT("msi its0 device 5 event 2 -> intid 8200 vcpu 1 (translated)");
	trace_msi(0, 6, 0, 0, 0, TRACE_MSI_UNMAPPED);
	EXPECT("msi its0 device 6 event 0 (unmapped)");

	trace_its_cmd(0, 0x40, mapti, 0);
	EXPECT("its0 cmd MAPTI at 0x40 device 5 event 2 intid 8200 icid 1");
	ck_assert_uint_eq(got.ev[got.n - 1].its_cmd.intid, 8200);
	trace_its_cmd(0, 0x60, intcmd, 0x010301);
	EXPECT("its0 cmd INT at 0x60 device 7 event 0 error 0x010301 (DEVICE_OOR)");
	trace_its_cmd(0, 0, mapd, 0);
	EXPECT("its0 cmd MAPD at 0x0 device 3 itt 0x40200000 size 4");
	trace_its_cmd(1, 0x20, mapc, 0);
	EXPECT("its1 cmd MAPC at 0x20 icid 9 rdbase 1");
	trace_its_cmd(0, 0x80, movall, 0);
	EXPECT("its0 cmd MOVALL at 0x80 rdbase 1 to 2");
	trace_its_cmd(0, 0xa0, sync, 0);
	EXPECT("its0 cmd SYNC at 0xa0 rdbase 1");
	trace_its_cmd(0, 0xc0, bogus, 0x0142ff);
	EXPECT("its0 cmd UNKNOWN at 0xc0 opcode 0x42 error 0x0142ff (UNKNOWN_CMD)");

	trace_snapshot(true, 1234, 0, 0);
	EXPECT("snapshot full 1234 bytes 0 ns");
	trace_snapshot(false, 10, 0, -ENOSPC);
	ck_assert_msg(strncmp(last(), "snapshot delta 10 bytes 0 ns failed: ", 37) == 0,
		      "got \"%s\"", last());
	trace_restore(TRACE_RESTORE_FDSTORE, 3, 3, 2);
	EXPECT("restore from fd store: epoch 3, 3 channels, 2 vcpus");
	trace_restore(TRACE_RESTORE_STATE_FILE, 4, 5, 4);
	EXPECT("restore from state file: epoch 4, 5 channels, 4 vcpus");
	trace_attach(42, 1000, 1001, 2, 64, 1, 1, true);
	EXPECT("attach pid 42 uid 1000 gid 1001: 2 vcpus, 64 spis, 1 its, 1 ram regions (resumed)");
	trace_detach("mmio0");
	EXPECT("detach: channel mmio0");
	ck_assert_str_eq(got.ev[got.n - 1].detach.reason, "mmio0");

	for (unsigned i = 1; i < got.n; i++)
		ck_assert_uint_ge(got.ev[i].ts_ns, got.ev[i - 1].ts_ns);
	trace_set_sink(NULL, NULL);
}
END_TEST

START_TEST(test_names_and_truncation)
{
	static const char *const names[] = { "?",	"mmio_recv",  "mmio_reply", "deliver",
					     "retract", "deactivate", "spi_level",  "msi",
					     "its_cmd", "snapshot",   "restore",    "attach",
					     "detach" };
	struct trace_event ev = { .kind = TRACE_DETACH };
	char small[8];
	int n;

	for (unsigned k = 0; k < TRACE_NR_KINDS; k++)
		ck_assert_str_eq(trace_event_name((enum trace_kind)k), names[k]);
	ck_assert_str_eq(trace_event_name(TRACE_NR_KINDS), "?");
	snprintf(ev.detach.reason, sizeof(ev.detach.reason), "bus");
	n = trace_event_format(&ev, small, sizeof(small));
	ck_assert_int_eq(n, (int)strlen("detach: channel bus"));
	ck_assert_str_eq(small, "detach:");
	ck_assert_int_eq(trace_event_format(&ev, NULL, 0), n);
	ck_assert_str_eq(trace_its_cmd_name(GITS_CMD_DISCARD), "DISCARD");
	ck_assert_str_eq(trace_its_error_name(0), "");
	ck_assert_str_eq(trace_its_error_name(0x010a07), "UNMAPPED_INTERRUPT");
}
END_TEST

static Suite *probes_suite(void)
{
	Suite *s = suite_create("probes");
	TCase *tc = tcase_create("probes");

	tcase_add_test(tc, test_probe_notes);
	tcase_add_test(tc, test_sink_mmio);
	tcase_add_test(tc, test_sink_events);
	tcase_add_test(tc, test_names_and_truncation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(probes_suite());
}
