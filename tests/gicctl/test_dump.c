// SPDX-License-Identifier: MIT
/*
 * gicctl dump dist|its|vcpu N against the real daemon.  A VM with two
 * vCPUs, 64 SPIs, one ITS and guest RAM is configured the way a guest
 * does it (GICD writes; GITS_CBASER/BASER and MAPD/MAPC/MAPTI through the
 * command queue), plus a few table entries written straight into guest RAM
 * as a hostile guest could (a corrupt ITE, a device whose ITT is not RAM,
 * ITTs far beyond the dump's read limit).  Each dump must show exactly
 * that, as text and as --json (validated against gicctl/schema/).  A VM
 * with 988 SPIs exercises replies split over several datagrams; error
 * paths (no VM, vCPU/ITS out of range, bad command lines) exit non-zero
 * with the reason.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check_run.h"
#include "gic_regs.h"
#include "gicctl_test.h"
#include "splitgic/agent.h"
#include "wire.h"

/* Guest RAM and where the guest puts its ITS tables in it. */
#define RAM_GPA	    0x40000000ull
#define RAM_SIZE    (16ull << 20)
#define CMDQ_GPA    (RAM_GPA + 0x10000)
#define CMDQ_PAGES  16u			 /* 64 KiB: 2048 commands */
#define DT_GPA	    (RAM_GPA + 0x100000) /* flat, one 4K page: 512 devices */
#define CT_GPA	    (RAM_GPA + 0x110000) /* flat, one 4K page: 512 collections */
#define ITT5_GPA    (RAM_GPA + 0x200000) /* device 5: 32 events */
#define ITT6_GPA    (RAM_GPA + 0x210000) /* device 6: 4096 events */
#define ITT_BIG_GPA (RAM_GPA + 0x300000) /* 65536 events, all zero, shared */
#define OUTSIDE_GPA 0x1000000000ull	 /* no RAM there */
#define LPI(n)	    (GIC_LPI_BASE + (n))
#define NR_DEV6	    3000u
/* ITS_DUMP_MAX_ITT_SLOTS (its-server/its_dump.h): ITT entries one dump reads. */
#define ITT_READ_LIMIT 262144u

static struct harness_daemon d;
static struct sg_vm *vm;
static int memfd = -1;
static uint8_t *ram;
static uint64_t q_wr;

/* ------------------------------------------------------------ the VM */

static void vm_setup(unsigned nr_vcpus, unsigned nr_spis, unsigned nr_its, bool with_ram)
{
	struct sg_vm_shape s;
	struct sg_vm_config cfg;

	harness_daemon_start(&d, NULL);
	harness_shape(&s, nr_vcpus, nr_spis, nr_its);
	harness_vm_config(&cfg, &s);
	if (with_ram) {
		memfd = harness_memfd(RAM_SIZE);
		ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
		ck_assert_ptr_ne(ram, MAP_FAILED);
		cfg.nr_ram = 1;
		cfg.ram[0] = (struct sg_vm_ram){
			.gpa = RAM_GPA, .size = RAM_SIZE, .host = ram, .fd = memfd, .fd_offset = 0
		};
	}
	ck_assert_int_eq(sg_vm_create(&cfg, &vm), 0);
	harness_vm_connect(vm, &d, "test");
	harness_vm_enable_grp1(vm);
}

static void vm_teardown(void)
{
	sg_vm_destroy(vm);
	vm = NULL;
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	if (ram) {
		munmap(ram, RAM_SIZE);
		close(memfd);
		ram = NULL;
		memfd = -1;
	}
}

/* A 64-bit little-endian word of guest RAM, written as the guest would. */
static void ram_write64(uint64_t gpa, uint64_t v)
{
	ck_assert_uint_ge(gpa, RAM_GPA);
	ck_assert_uint_le(gpa + 8, RAM_GPA + RAM_SIZE);
	for (unsigned i = 0; i < 8; i++)
		__atomic_store_n(ram + (gpa - RAM_GPA) + i, (uint8_t)(v >> (8 * i)),
				 __ATOMIC_RELAXED);
}

static uint64_t its_mmio(uint32_t off, unsigned size, bool write, uint64_t val)
{
	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, 0), SG_DEFAULT_ITS_BASE + off, size, write, &val),
		SG_MMIO_DONE);
	return val;
}

static uint64_t baser(unsigned n, uint64_t pa)
{
	uint64_t ro = its_mmio(GITS_BASER + 8 * n, 8, false, 0) &
		      (GITS_BASER_TYPE_MASK | (0x1Full << GITS_BASER_ENTRY_SIZE_SHIFT));

	return GITS_BASER_VALID | ro |
	       (uint64_t)GITS_BASER_PAGE_SIZE_4K << GITS_BASER_PAGE_SIZE_SHIFT | pa;
}

static void its_enable(void)
{
	its_mmio(GITS_CTLR, 4, true, 0);
	its_mmio(GITS_CBASER, 8, true, GITS_CBASER_VALID | CMDQ_GPA | (CMDQ_PAGES - 1));
	its_mmio(GITS_BASER, 8, true, baser(0, DT_GPA));
	its_mmio(GITS_BASER + 8, 8, true, baser(1, CT_GPA));
	its_mmio(GITS_CWRITER, 8, true, 0);
	its_mmio(GITS_CTLR, 4, true, GITS_CTLR_ENABLED);
	q_wr = 0;
}

/* Commands (Arm IHI 0069 "ITS commands"), queued in guest RAM. */
static void cmd(uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
	ram_write64(CMDQ_GPA + q_wr, dw0);
	ram_write64(CMDQ_GPA + q_wr + 8, dw1);
	ram_write64(CMDQ_GPA + q_wr + 16, dw2);
	ram_write64(CMDQ_GPA + q_wr + 24, dw3);
	q_wr = (q_wr + GITS_CMD_SIZE) % (CMDQ_PAGES * 4096ull);
}

static void c_mapd(uint32_t dev, unsigned size, uint64_t itt)
{
	cmd(GITS_CMD_MAPD | (uint64_t)dev << 32, size, (itt & 0x000FFFFFFFFFFF00ull) | 1ull << 63,
	    0);
}

static void c_mapc(uint32_t icid, unsigned rd)
{
	cmd(GITS_CMD_MAPC, 0, icid | (uint64_t)rd << 16 | 1ull << 63, 0);
}

static void c_mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
	cmd(GITS_CMD_MAPTI | (uint64_t)dev << 32, ev | (uint64_t)intid << 32, icid, 0);
}

/* CWRITER, then CREADR until it caught up (each read fences: no SYNC
 * queued, so the first one normally sees every command done). */
static void its_run(void)
{
	uint64_t creadr = ~0ull;

	its_mmio(GITS_CWRITER, 8, true, q_wr);
	for (unsigned i = 0; i < 100000 && creadr != q_wr; i++) {
		creadr = its_mmio(GITS_CREADR, 8, false, 0);
		ck_assert_msg(!(creadr & GITS_CREADR_STALLED), "ITS stalled at 0x%llx",
			      (unsigned long long)creadr);
	}
	ck_assert_uint_eq(creadr, q_wr);
}

/* splitgic's DTE format v1 (docs/its.md), as a guest could write it itself. */
static uint64_t dte(unsigned size, uint64_t itt)
{
	return 1ull << 63 | 1ull << 56 | (uint64_t)size << 48 | (itt >> 8);
}

static void gicd_w(uint32_t off, unsigned size, uint64_t val)
{
	harness_gicd_write(vm, 0, off, size, val);
}

/*
 * The SPIs of the main test:
 *   40: edge, priority 0xa0, routed to vCPU 1, enabled, set pending: in
 *       flight at vCPU 1;
 *   41: level, group 0, priority 0x80, routed to vCPU 0, disabled, set
 *       pending: the latch stays in the distributor;
 *   42: level, priority 0x90, 1-of-N, enabled, not pending.
 */
static void spis_setup(void)
{
	gicd_w(GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	gicd_w(GICD_IPRIORITYR + 40, 1, 0xa0);
	gicd_w(GICD_ICFGR + 40 / 16 * 4, 4, 1u << ((40 % 16) * 2 + 1));
	gicd_w(GICD_IROUTER + 8 * 40, 8, 1); /* Aff0 1: vCPU 1 */
	gicd_w(GICD_ISENABLER + 4, 4, 1u << (40 - 32));
	gicd_w(GICD_ISPENDR + 4, 4, 1u << (40 - 32));

	gicd_w(GICD_IGROUPR + 4, 4, ~(1u << (41 - 32)));
	gicd_w(GICD_IPRIORITYR + 41, 1, 0x80);
	gicd_w(GICD_ISPENDR + 4, 4, 1u << (41 - 32));

	gicd_w(GICD_IPRIORITYR + 42, 1, 0x90);
	gicd_w(GICD_IROUTER + 8 * 42, 8, GICD_IROUTER_IRM);
	gicd_w(GICD_ISENABLER + 4, 4, 1u << (42 - 32));
	/* A read: the daemon has applied every write above. */
	(void)harness_gicd_read(vm, 0, GICD_CTLR, 4);
}

/*
 * The ITS of the main test: collections 0 -> vCPU 0 and 3 -> vCPU 1;
 * device 5 (32 events) with events 0, 1 -> LPIs 8192, 8193 in collection 3
 * and event 7 -> LPI 8200 in collection 0; device 6 (4096 events) with
 * NR_DEV6 events -> LPI 8300 + n in collection 0; one failed MAPTI (no
 * device 99).  Then, behind the ITS's back: a corrupt ITE (device 5 event
 * 9) and a device 7 whose 4-entry ITT is not in RAM.
 */
static void its_setup(void)
{
	its_enable();
	c_mapc(0, 0);
	c_mapc(3, 1);
	c_mapd(5, 4, ITT5_GPA);
	c_mapd(6, 11, ITT6_GPA);
	c_mapti(5, 0, LPI(0), 3);
	c_mapti(5, 1, LPI(1), 3);
	c_mapti(5, 7, LPI(8), 0);
	c_mapti(99, 0, LPI(2), 0); /* UNMAPPED_DEVICE */
	its_run();
	for (unsigned n = 0; n < NR_DEV6; n++) {
		c_mapti(6, n, LPI(108 + n), 0);
		if (n % 1000 == 999)
			its_run();
	}
	its_run();
	/* Version 2 (unknown) with V=1: corrupt, not valid. */
	ram_write64(ITT5_GPA + 8 * 9, 1ull << 63 | 2ull << 56 | LPI(5));
	ram_write64(DT_GPA + 8 * 7, dte(1, OUTSIDE_GPA));
}

/* ------------------------------------------------------------ output */

/* gicctl args... (NULL-terminated): exit 0, no stderr. */
static struct gicctl_run run_ok(const char *const *args)
{
	struct timespec t0, t1;
	struct gicctl_run r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = gicctl_run(&d, args);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	ck_assert_msg(r.exit_code == 0, "gicctl %s %s: exit %d: %s", args[0],
		      args[1] ? args[1] : "", r.exit_code, r.err);
	ck_assert_str_eq(r.err, "");
	/* DUMP_TEST_SHOW=1: print what gicctl printed (the first 8 KiB). */
	if (getenv("DUMP_TEST_SHOW"))
		fprintf(stderr, "$ gicctl %s %s %s (%.1f ms)\n%.8192s\n", args[0],
			args[1] ? args[1] : "", args[1] && args[2] ? args[2] : "",
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
			r.out);
	return r;
}

/* gicctl --json args...: validated against schema, parsed. */
static json_object *run_json(const char *const *args, const char *schema)
{
	const char *argv[16] = { "--json" };
	struct gicctl_run r;
	json_object *doc;
	unsigned n = 1;

	for (unsigned i = 0; args[i]; i++)
		argv[n++] = args[i];
	r = run_ok(argv);
	gicctl_check_schema(r.out, schema);
	doc = json_tokener_parse(r.out);
	ck_assert_msg(doc, "not JSON: %.500s", r.out);
	gicctl_run_free(&r);
	return doc;
}

static uint64_t u(json_object *o, const char *key)
{
	json_object *v = gicctl_json_get(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_int), "\"%s\" is not an integer", key);
	return json_object_get_uint64(v);
}

static bool b(json_object *o, const char *key)
{
	json_object *v = gicctl_json_get(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_boolean), "\"%s\" is not a boolean", key);
	return json_object_get_boolean(v);
}

static const char *str(json_object *o, const char *key)
{
	return json_object_get_string(gicctl_json_get(o, key));
}

static bool null(json_object *o, const char *key)
{
	return gicctl_json_get(o, key) == NULL;
}

static json_object *idx(json_object *a, size_t i)
{
	ck_assert_uint_lt(i, json_object_array_length(a));
	return json_object_array_get_idx(a, i);
}

static size_t len(json_object *a)
{
	return json_object_array_length(a);
}

/* The element of array a whose key equals v. */
static json_object *find(json_object *a, const char *key, uint64_t v)
{
	for (size_t i = 0; i < len(a); i++)
		if (u(idx(a, i), key) == v)
			return idx(a, i);
	ck_abort_msg("no element with %s = %llu", key, (unsigned long long)v);
	return NULL;
}

/* Line i of text with runs of blanks squeezed to one and trimmed. */
static bool line_squeezed(const char *text, size_t i, char *out, size_t cap)
{
	const char *p = text;
	size_t n = 0;
	bool blank = false;

	for (; i && p; i--) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return false;
	while (*p == ' ')
		p++;
	for (; *p && *p != '\n' && n + 1 < cap; p++) {
		if (*p == ' ') {
			blank = true;
			continue;
		}
		if (blank && n)
			out[n++] = ' ';
		blank = false;
		out[n++] = *p;
	}
	out[n] = '\0';
	return true;
}

/* How many lines of text read row (blanks squeezed). */
static unsigned rows(const char *text, const char *row)
{
	char l[512];
	unsigned n = 0;

	for (size_t i = 0; line_squeezed(text, i, l, sizeof(l)); i++)
		n += strcmp(l, row) == 0;
	return n;
}

#define ck_row(text, row)                                                                          \
	ck_assert_msg(rows(text, row) == 1, "no line \"%s\" (once) in:\n%.4000s", row, text)

/* Lines that are SPI table rows: they start with an INTID. */
static unsigned spi_rows(const char *text, unsigned *first, unsigned *last)
{
	char l[512];
	unsigned n = 0, v;

	for (size_t i = 0; line_squeezed(text, i, l, sizeof(l)); i++) {
		char *end;

		v = (unsigned)strtoul(l, &end, 10);
		if (end == l || *end != ' ' || v < 32 || v > 1019)
			continue;
		if (!n)
			*first = v;
		*last = v;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------ tests */

START_TEST(test_dump_dist)
{
	const char *args[] = { "dump", "dist", NULL };
	const char *all[] = { "dump", "dist", "--all", NULL };
	struct gicctl_run r;
	json_object *doc, *spis, *s;
	unsigned first = 0, last = 0;

	vm_setup(2, 64, 1, true);
	spis_setup();

	r = run_ok(args);
	ck_assert_ptr_nonnull(strstr(r.out, "GICD_CTLR   0x00000052  EnableGrp0 0, EnableGrp1 1, "
					    "ARE 1, DS 1\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "GICD_TYPER  0x"));
	ck_assert_ptr_nonnull(strstr(r.out, "ITLinesNumber 2, MBIS 1, LPIS 1, IDbits 15"));
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 64 (INTIDs 32..95), vCPUs: 2; 3 configured or "
					    "holding state (--all: every SPI)\n"));
	ck_row(r.out, "INTID EN GRP PRIO CFG PEND LINE ACT ROUTE TARGET STATE");
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 3);
	ck_row(r.out, "40 1 1 0xa0 edge 0 0 0 0.0.0.1 1 vcpu1 gen 1");
	ck_row(r.out, "41 0 0 0x80 level 1 0 0 0.0.0.0 0 idle");
	ck_assert_uint_eq(rows(r.out, "42 1 1 0x90 level 0 0 0 1-of-N 0 idle") +
				  rows(r.out, "42 1 1 0x90 level 0 0 0 1-of-N 1 idle") +
				  rows(r.out, "42 1 1 0x90 level 0 0 0 1-of-N - idle"),
			  1);
	gicctl_run_free(&r);

	r = run_ok(all);
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 64);
	ck_assert_uint_eq(first, 32);
	ck_assert_uint_eq(last, 95);
	ck_row(r.out, "50 0 1 0x00 level 0 0 0 0.0.0.0 0 idle");
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 64 (INTIDs 32..95), vCPUs: 2\n"));
	gicctl_run_free(&r);

	doc = run_json(args, "dump-dist");
	ck_assert_uint_eq(u(doc, "ctlr"), 0x52);
	ck_assert(!b(doc, "enable_grp0"));
	ck_assert(b(doc, "enable_grp1"));
	ck_assert(u(doc, "typer") & GICD_TYPER_LPIS);
	ck_assert_uint_eq(u(doc, "typer") & 0x1F, 2);
	ck_assert_uint_eq(u(doc, "iidr"), SG_IIDR);
	ck_assert_uint_eq(u(doc, "typer"), harness_gicd_read(vm, 0, GICD_TYPER, 4));
	ck_assert_uint_eq(u(doc, "nr_spis"), 64);
	ck_assert_uint_eq(u(doc, "nr_vcpus"), 2);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 64);
	for (unsigned i = 0; i < 64; i++)
		ck_assert_uint_eq(u(idx(spis, i), "intid"), 32 + i);

	s = idx(spis, 40 - 32);
	ck_assert(b(s, "enabled"));
	ck_assert_uint_eq(u(s, "group"), 1);
	ck_assert_uint_eq(u(s, "priority"), 0xa0);
	ck_assert_str_eq(str(s, "trigger"), "edge");
	ck_assert(!b(s, "pending")); /* the latch went to the owner */
	ck_assert(!b(s, "latch"));
	ck_assert(!b(s, "active"));
	ck_assert_uint_eq(u(s, "irouter"), 1);
	ck_assert(!b(s, "irm"));
	ck_assert_str_eq(str(s, "affinity"), "0.0.0.1");
	ck_assert_uint_eq(u(s, "target"), 1);
	ck_assert_str_eq(str(s, "state"), "in_flight");
	ck_assert_uint_eq(u(s, "owner"), 1);
	ck_assert_uint_eq(u(s, "gen"), 1);
	ck_assert_uint_eq(u(s, "own_gen"), 1);
	ck_assert(b(s, "owner_latch"));

	s = idx(spis, 41 - 32);
	ck_assert(!b(s, "enabled"));
	ck_assert_uint_eq(u(s, "group"), 0);
	ck_assert_uint_eq(u(s, "priority"), 0x80);
	ck_assert_str_eq(str(s, "trigger"), "level");
	ck_assert(b(s, "pending"));
	ck_assert(b(s, "latch"));
	ck_assert(!b(s, "line"));
	ck_assert_uint_eq(u(s, "target"), 0);
	ck_assert_str_eq(str(s, "state"), "idle");
	ck_assert(null(s, "owner"));

	s = idx(spis, 42 - 32);
	ck_assert(b(s, "enabled"));
	ck_assert(b(s, "irm"));
	ck_assert_uint_eq(u(s, "irouter"), GICD_IROUTER_IRM);
	ck_assert(!b(s, "pending"));
	ck_assert_str_eq(str(s, "state"), "idle");

	s = idx(spis, 50 - 32); /* untouched: the reset state */
	ck_assert(!b(s, "enabled"));
	ck_assert_uint_eq(u(s, "group"), 1);
	ck_assert_uint_eq(u(s, "priority"), 0);
	ck_assert_str_eq(str(s, "trigger"), "level");
	ck_assert(!b(s, "pending"));
	ck_assert_uint_eq(u(s, "irouter"), 0);
	ck_assert_uint_eq(u(s, "target"), 0);
	ck_assert_str_eq(str(s, "state"), "idle");
	ck_assert_uint_eq(u(s, "gen"), 0);
	json_object_put(doc);

	/* --all changes only the table: JSON always has every SPI. */
	doc = run_json(all, "dump-dist");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "spis")), 64);
	json_object_put(doc);
	vm_teardown();
}
END_TEST

START_TEST(test_dump_its)
{
	const char *args[] = { "dump", "its", NULL };
	const char *its0[] = { "dump", "its", "0", NULL };
	struct gicctl_run r;
	json_object *doc, *f, *x, *devs, *dev, *evs;
	char row[128];

	vm_setup(2, 64, 1, true);
	spis_setup();
	its_setup();

	r = run_ok(args);
	ck_assert_ptr_nonnull(strstr(r.out, "ITS 0 at 0x08080000\n"));
	ck_row(r.out, "GITS_CTLR 0x80000001 Enabled 1, Quiescent 1");
	ck_row(r.out, "GITS_CBASER 0x800000004001000f Valid 1, address 0x40010000, 16 pages "
		      "(65536 bytes, 2048 commands)");
	snprintf(row, sizeof(row), "GITS_CREADR 0x%016llx offset 0x%llx, Stalled 0",
		 (unsigned long long)q_wr, (unsigned long long)q_wr);
	ck_row(r.out, row);
	snprintf(row, sizeof(row), "GITS_CWRITER 0x%016llx offset 0x%llx", (unsigned long long)q_wr,
		 (unsigned long long)q_wr);
	ck_row(r.out, row);
	ck_row(r.out, "GITS_BASER0 0x8107000040100000 devices: Valid 1, flat, 4K pages x 1, "
		      "address 0x40100000, 512 IDs");
	ck_row(r.out, "GITS_BASER1 0x8407000040110000 collections: Valid 1, flat, 4K pages x 1, "
		      "address 0x40110000, 512 IDs");
	ck_row(r.out, "stall: none; SYNC outstanding: no; command errors: 1 (last 0x010a04 MAPTI: "
		      "UNMAPPED_DEVICE)");
	ck_row(r.out, "collections: 2");
	ck_row(r.out, "ICID VCPU");
	ck_row(r.out, "0 0");
	ck_row(r.out, "3 1");
	ck_row(r.out, "devices: 3");
	ck_row(r.out, "DEVICE ITT SIZE EVENTS MAPPED");
	ck_row(r.out, "5 0x0000000040200000 4 32 3");
	snprintf(row, sizeof(row), "6 0x0000000040210000 11 4096 %u", NR_DEV6);
	ck_row(r.out, row);
	ck_row(r.out, "7 0x0000001000000000 1 4 0");
	snprintf(row, sizeof(row), "translations: %u", NR_DEV6 + 3);
	ck_row(r.out, row);
	ck_row(r.out, "DEVICE EVENT LPI ICID VCPU");
	ck_row(r.out, "5 0 8192 3 1");
	ck_row(r.out, "5 1 8193 3 1");
	ck_row(r.out, "5 7 8200 0 0");
	ck_row(r.out, "6 0 8300 0 0");
	snprintf(row, sizeof(row), "6 %u %u 0 0", NR_DEV6 - 1, LPI(108 + NR_DEV6 - 1));
	ck_row(r.out, row);
	snprintf(row, sizeof(row),
		 "scan: %u ITT entries read; corrupt entries: 1; entries not in guest RAM: 4",
		 32 + 4096 + 4);
	ck_row(r.out, row);
	gicctl_run_free(&r);

	doc = run_json(its0, "dump-its");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "its")), 1);
	f = idx(gicctl_json_get(doc, "its"), 0);
	ck_assert_uint_eq(u(f, "index"), 0);
	ck_assert_uint_eq(u(f, "frame_address"), SG_DEFAULT_ITS_BASE);
	ck_assert(b(f, "enabled"));
	ck_assert(b(f, "quiescent"));
	ck_assert_uint_eq(u(f, "iidr"), SG_IIDR);
	ck_assert_uint_eq(u(f, "typer"), its_mmio(GITS_TYPER, 8, false, 0));
	ck_assert_uint_eq(u(f, "ctlr"), its_mmio(GITS_CTLR, 4, false, 0));
	x = gicctl_json_get(f, "cbaser");
	ck_assert(b(x, "valid"));
	ck_assert_uint_eq(u(x, "address"), CMDQ_GPA);
	ck_assert_uint_eq(u(x, "pages"), CMDQ_PAGES);
	ck_assert_uint_eq(u(x, "bytes"), CMDQ_PAGES * 4096);
	ck_assert_uint_eq(u(gicctl_json_get(f, "creadr"), "offset"), q_wr);
	ck_assert(!b(gicctl_json_get(f, "creadr"), "stalled"));
	ck_assert_uint_eq(u(gicctl_json_get(f, "cwriter"), "offset"), q_wr);
	x = idx(gicctl_json_get(f, "basers"), 0);
	ck_assert_str_eq(str(x, "type"), "devices");
	ck_assert(b(x, "valid"));
	ck_assert(!b(x, "indirect"));
	ck_assert_uint_eq(u(x, "address"), DT_GPA);
	ck_assert_uint_eq(u(x, "page_size"), 4096);
	ck_assert_uint_eq(u(x, "pages"), 1);
	ck_assert_uint_eq(u(x, "entry_size"), 8);
	ck_assert_uint_eq(u(x, "nr_ids"), 512);
	x = idx(gicctl_json_get(f, "basers"), 1);
	ck_assert_str_eq(str(x, "type"), "collections");
	ck_assert_uint_eq(u(x, "address"), CT_GPA);
	ck_assert_str_eq(str(f, "stall"), "none");
	ck_assert(!b(f, "sync_wait"));
	ck_assert(null(f, "sync_vcpu"));
	ck_assert_uint_eq(u(f, "last_error"), 0x010A04);
	ck_assert_str_eq(str(f, "last_error_name"), "MAPTI: UNMAPPED_DEVICE");
	ck_assert_uint_eq(u(f, "nr_errors"), 1);
	ck_assert_uint_eq(u(gicctl_json_get(f, "cache"), "capacity"), 1024);

	x = gicctl_json_get(f, "collections");
	ck_assert_uint_eq(len(x), 2);
	ck_assert_uint_eq(u(idx(x, 0), "icid"), 0);
	ck_assert_uint_eq(u(idx(x, 0), "vcpu"), 0);
	ck_assert_uint_eq(u(idx(x, 1), "icid"), 3);
	ck_assert_uint_eq(u(idx(x, 1), "vcpu"), 1);

	devs = gicctl_json_get(f, "devices");
	ck_assert_uint_eq(len(devs), 3);
	dev = idx(devs, 0);
	ck_assert_uint_eq(u(dev, "device_id"), 5);
	ck_assert_uint_eq(u(dev, "itt"), ITT5_GPA);
	ck_assert_uint_eq(u(dev, "size"), 4);
	ck_assert_uint_eq(u(dev, "nr_events"), 32);
	ck_assert(!b(dev, "truncated"));
	evs = gicctl_json_get(dev, "events");
	ck_assert_uint_eq(len(evs), 3); /* the corrupt event 9 is not one */
	ck_assert_uint_eq(u(idx(evs, 0), "event_id"), 0);
	ck_assert_uint_eq(u(idx(evs, 0), "intid"), LPI(0));
	ck_assert_uint_eq(u(idx(evs, 0), "icid"), 3);
	ck_assert_uint_eq(u(idx(evs, 0), "vcpu"), 1);
	ck_assert_uint_eq(u(idx(evs, 1), "event_id"), 1);
	ck_assert_uint_eq(u(idx(evs, 1), "intid"), LPI(1));
	ck_assert_uint_eq(u(idx(evs, 2), "event_id"), 7);
	ck_assert_uint_eq(u(idx(evs, 2), "intid"), LPI(8));
	ck_assert_uint_eq(u(idx(evs, 2), "icid"), 0);
	ck_assert_uint_eq(u(idx(evs, 2), "vcpu"), 0);
	/* Thousands of translations: several replies, merged in order. */
	dev = idx(devs, 1);
	ck_assert_uint_eq(u(dev, "device_id"), 6);
	ck_assert_uint_eq(u(dev, "nr_events"), 4096);
	evs = gicctl_json_get(dev, "events");
	ck_assert_uint_eq(len(evs), NR_DEV6);
	for (unsigned n = 0; n < NR_DEV6; n++) {
		ck_assert_uint_eq(u(idx(evs, n), "event_id"), n);
		ck_assert_uint_eq(u(idx(evs, n), "intid"), LPI(108 + n));
	}
	dev = idx(devs, 2);
	ck_assert_uint_eq(u(dev, "device_id"), 7);
	ck_assert_uint_eq(u(dev, "itt"), OUTSIDE_GPA);
	ck_assert_uint_eq(len(gicctl_json_get(dev, "events")), 0);
	x = gicctl_json_get(f, "scan");
	ck_assert_uint_eq(u(x, "itt_entries_read"), 32 + 4096 + 4);
	ck_assert_uint_eq(u(x, "corrupt"), 1);
	ck_assert_uint_eq(u(x, "faults"), 4);
	ck_assert(!b(x, "truncated"));
	ck_assert_uint_eq(u(x, "itt_read_limit"), ITT_READ_LIMIT);
	json_object_put(doc);

	/* "dump its" (every frame) is the same here: one frame. */
	doc = run_json(args, "dump-its");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "its")), 1);
	ck_assert_uint_eq(len(gicctl_json_get(idx(gicctl_json_get(doc, "its"), 0), "devices")), 3);
	json_object_put(doc);

	/*
	 * A guest that maps 9 devices of 65536 events each (here: straight
	 * into the device table, all sharing one zeroed ITT) asks for far
	 * more than one dump reads: the walk stops at the limit, says so,
	 * and the dump still arrives whole.
	 */
	for (unsigned dv = 10; dv < 19; dv++)
		ram_write64(DT_GPA + 8 * dv, dte(15, ITT_BIG_GPA));
	doc = run_json(its0, "dump-its");
	f = idx(gicctl_json_get(doc, "its"), 0);
	devs = gicctl_json_get(f, "devices");
	ck_assert_uint_eq(len(devs), 3 + 9);
	/* 4132 entries before them, then devices 10..12 whole, 13 in part. */
	for (unsigned dv = 10; dv < 19; dv++) {
		dev = find(devs, "device_id", dv);
		ck_assert_uint_eq(u(dev, "nr_events"), 65536);
		ck_assert_msg(b(dev, "truncated") == (dv >= 13), "device %u", dv);
	}
	ck_assert(!b(find(devs, "device_id", 6), "truncated"));
	x = gicctl_json_get(f, "scan");
	ck_assert(b(x, "truncated"));
	ck_assert_uint_eq(u(x, "itt_entries_read"), ITT_READ_LIMIT);
	ck_assert_uint_eq(len(gicctl_json_get(find(devs, "device_id", 6), "events")), NR_DEV6);
	json_object_put(doc);
	r = run_ok(its0);
	ck_assert_ptr_nonnull(strstr(r.out, "; TRUNCATED: the ITT read limit was reached\n"));
	ck_row(r.out, "13 0x0000000040300000 15 65536 0 (truncated)");
	ck_row(r.out, "12 0x0000000040300000 15 65536 0");
	gicctl_run_free(&r);
	vm_teardown();
}
END_TEST

START_TEST(test_dump_vcpu)
{
	const char *v1[] = { "dump", "vcpu", "1", NULL };
	const char *v0[] = { "dump", "vcpu", "0", NULL };
	const char *v0all[] = { "dump", "vcpu", "0", "--all", NULL };
	struct gicctl_run r;
	json_object *doc, *x, *spis, *lpis;
	unsigned first = 0, last = 0;
	char row[128];

	vm_setup(2, 64, 1, true);
	spis_setup();
	its_setup();

	r = run_ok(v1);
	ck_assert_ptr_nonnull(
		strstr(r.out, "vCPU 1 of 2: MPIDR 0x0000000000000001 (affinity 0.0.0.1)\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "  channel mmio1: received "));
	ck_assert_ptr_nonnull(strstr(r.out, "  deferred read: none\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "  queries waiting for vCPU 1: 0\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs routed to or held by vCPU 1: 1; 1 configured or "
					    "holding state (--all: every one)\n"));
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 1);
	ck_row(r.out, "40 1 1 0xa0 edge 0 0 0 0.0.0.1 1 vcpu1 gen 1");
	ck_row(r.out, "collections targeting vCPU 1: 1");
	ck_row(r.out, "ITS ICID");
	ck_row(r.out, "0 3");
	ck_row(r.out, "LPIs mapped to vCPU 1: 2");
	ck_row(r.out, "ITS DEVICE EVENT LPI ICID");
	ck_row(r.out, "0 5 0 8192 3");
	ck_row(r.out, "0 5 1 8193 3");
	gicctl_run_free(&r);

	doc = run_json(v1, "dump-vcpu");
	ck_assert_uint_eq(u(doc, "vcpu"), 1);
	ck_assert_uint_eq(u(doc, "nr_vcpus"), 2);
	ck_assert_uint_eq(u(doc, "mpidr"), 1);
	ck_assert_str_eq(str(doc, "affinity"), "0.0.0.1");
	/* cpu_state: whatever the agent last reported (checked by the schema). */
	x = gicctl_json_get(doc, "channel");
	ck_assert_str_eq(str(x, "name"), "mmio1");
	ck_assert_uint_eq(u(x, "rejected"), 0);
	ck_assert(null(x, "fence_seq"));
	ck_assert(null(doc, "deferred_read"));
	ck_assert_uint_eq(len(gicctl_json_get(doc, "queries")), 0);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 1);
	ck_assert_uint_eq(u(idx(spis, 0), "intid"), 40);
	ck_assert_uint_eq(u(idx(spis, 0), "owner"), 1);
	x = gicctl_json_get(doc, "collections");
	ck_assert_uint_eq(len(x), 1);
	ck_assert_uint_eq(u(idx(x, 0), "its"), 0);
	ck_assert_uint_eq(u(idx(x, 0), "icid"), 3);
	lpis = gicctl_json_get(doc, "lpis");
	ck_assert_uint_eq(len(lpis), 2);
	ck_assert_uint_eq(u(idx(lpis, 0), "device_id"), 5);
	ck_assert_uint_eq(u(idx(lpis, 0), "event_id"), 0);
	ck_assert_uint_eq(u(idx(lpis, 0), "intid"), LPI(0));
	ck_assert_uint_eq(u(idx(lpis, 1), "intid"), LPI(1));
	ck_assert_uint_eq(u(gicctl_json_get(doc, "scan"), "corrupt"), 1);
	json_object_put(doc);

	/* vCPU 0: IROUTER 0 (the reset value) names it, so every SPI but 40
	 * (vCPU 1) and 42 (1-of-N); thousands of LPIs (several replies). */
	doc = run_json(v0, "dump-vcpu");
	ck_assert_uint_eq(u(doc, "mpidr"), 0);
	ck_assert_str_eq(str(gicctl_json_get(doc, "channel"), "name"), "mmio0");
	ck_assert_uint_ge(u(gicctl_json_get(doc, "channel"), "last_applied"), 1);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 62);
	for (size_t i = 0; i < len(spis); i++) {
		ck_assert_uint_ne(u(idx(spis, i), "intid"), 40);
		ck_assert_uint_ne(u(idx(spis, i), "intid"), 42);
	}
	x = gicctl_json_get(doc, "collections");
	ck_assert_uint_eq(len(x), 1);
	ck_assert_uint_eq(u(idx(x, 0), "icid"), 0);
	lpis = gicctl_json_get(doc, "lpis");
	ck_assert_uint_eq(len(lpis), 1 + NR_DEV6);
	ck_assert_uint_eq(u(idx(lpis, 0), "device_id"), 5);
	ck_assert_uint_eq(u(idx(lpis, 0), "event_id"), 7);
	for (unsigned n = 0; n < NR_DEV6; n++) {
		ck_assert_uint_eq(u(idx(lpis, 1 + n), "device_id"), 6);
		ck_assert_uint_eq(u(idx(lpis, 1 + n), "event_id"), n);
		ck_assert_uint_eq(u(idx(lpis, 1 + n), "intid"), LPI(108 + n));
	}
	json_object_put(doc);

	r = run_ok(v0);
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs routed to or held by vCPU 0: 62; 1 configured or "
					    "holding state (--all: every one)\n"));
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 1);
	ck_row(r.out, "41 0 0 0x80 level 1 0 0 0.0.0.0 0 idle");
	snprintf(row, sizeof(row), "LPIs mapped to vCPU 0: %u", 1 + NR_DEV6);
	ck_row(r.out, row);
	gicctl_run_free(&r);
	r = run_ok(v0all);
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 62);
	gicctl_run_free(&r);
	vm_teardown();
}
END_TEST

/*
 * A two-level device table: level-1 entries 0 and 3 name level-2 pages,
 * entry 5 names a page outside RAM, the rest are not valid.  The walk
 * finds the devices in both pages, skips the absent pages whole, and
 * counts each entry of the page outside RAM as a fault.
 */
START_TEST(test_dump_its_two_level)
{
	const char *its0[] = { "dump", "its", "0", NULL };
	const uint64_t l2a = RAM_GPA + 0x120000, l2b = RAM_GPA + 0x121000;
	struct gicctl_run r;
	json_object *doc, *f, *x, *devs, *evs;

	vm_setup(2, 32, 1, true);
	ram_write64(DT_GPA + 8 * 0, 1ull << 63 | l2a);
	ram_write64(DT_GPA + 8 * 3, 1ull << 63 | l2b);
	ram_write64(DT_GPA + 8 * 5, 1ull << 63 | OUTSIDE_GPA);
	its_mmio(GITS_CTLR, 4, true, 0);
	its_mmio(GITS_CBASER, 8, true, GITS_CBASER_VALID | CMDQ_GPA | (CMDQ_PAGES - 1));
	its_mmio(GITS_BASER, 8, true, baser(0, DT_GPA) | GITS_BASER_INDIRECT);
	its_mmio(GITS_BASER + 8, 8, true, baser(1, CT_GPA));
	its_mmio(GITS_CWRITER, 8, true, 0);
	its_mmio(GITS_CTLR, 4, true, GITS_CTLR_ENABLED);
	q_wr = 0;
	c_mapc(1, 1);
	c_mapd(5, 1, ITT5_GPA);
	c_mapd(3 * 512 + 2, 1, ITT6_GPA);
	c_mapti(3 * 512 + 2, 1, LPI(9), 1);
	its_run();

	doc = run_json(its0, "dump-its");
	f = idx(gicctl_json_get(doc, "its"), 0);
	x = idx(gicctl_json_get(f, "basers"), 0);
	ck_assert(b(x, "valid"));
	ck_assert(b(x, "indirect"));
	ck_assert_uint_eq(u(x, "nr_ids"), 65536); /* 512 x 512, capped at 16 DeviceID bits */
	devs = gicctl_json_get(f, "devices");
	ck_assert_uint_eq(len(devs), 2);
	ck_assert_uint_eq(u(idx(devs, 0), "device_id"), 5);
	ck_assert_uint_eq(u(idx(devs, 0), "itt"), ITT5_GPA);
	ck_assert_uint_eq(len(gicctl_json_get(idx(devs, 0), "events")), 0);
	ck_assert_uint_eq(u(idx(devs, 1), "device_id"), 3 * 512 + 2);
	evs = gicctl_json_get(idx(devs, 1), "events");
	ck_assert_uint_eq(len(evs), 1);
	ck_assert_uint_eq(u(idx(evs, 0), "event_id"), 1);
	ck_assert_uint_eq(u(idx(evs, 0), "intid"), LPI(9));
	ck_assert_uint_eq(u(idx(evs, 0), "vcpu"), 1);
	x = gicctl_json_get(f, "scan");
	ck_assert_uint_eq(u(x, "itt_entries_read"), 4 + 4);
	ck_assert_uint_eq(u(x, "faults"), 512);
	ck_assert_uint_eq(u(x, "corrupt"), 0);
	json_object_put(doc);
	r = run_ok(its0);
	ck_row(r.out, "GITS_BASER0 0xc107000040100000 devices: Valid 1, two-level, 4K pages x 1, "
		      "address 0x40100000, 65536 IDs");
	ck_row(r.out, "1538 0x0000000040210000 1 4 1");
	ck_row(r.out, "1538 1 8201 1 1");
	gicctl_run_free(&r);
	vm_teardown();
}
END_TEST

/* One gicctl run expected to fail with exit code code and msg on stderr. */
static void expect_fail(const char *const *args, int code, const char *msg)
{
	struct gicctl_run r = gicctl_run(&d, args);

	ck_assert_msg(r.exit_code == code, "gicctl %s %s: exit %d, expected %d: %s", args[0],
		      args[1] ? args[1] : "", r.exit_code, code, r.err);
	ck_assert_msg(strstr(r.err, msg), "stderr \"%s\" lacks \"%s\"", r.err, msg);
	ck_assert_str_eq(r.out, "");
	gicctl_run_free(&r);
}

START_TEST(test_dump_errors)
{
	const char *dist[] = { "dump", "dist", NULL };
	const char *vcpu2[] = { "dump", "vcpu", "2", NULL };
	const char *its1[] = { "dump", "its", "1", NULL };
	const char *its_all[] = { "--json", "dump", "its", "1", NULL };
	const char *none[] = { "dump", NULL };
	const char *novcpu[] = { "dump", "vcpu", NULL };
	const char *bad[] = { "dump", "lpi", NULL };
	const char *badn[] = { "dump", "vcpu", "x1", NULL };
	const char *extra[] = { "dump", "dist", "3", NULL };
	const char *itsall[] = { "dump", "its", "--all", NULL };

	/* No VM attached. */
	harness_daemon_start(&d, NULL);
	expect_fail(dist, 1, "gicctl: no VM attached: no VM is attached");
	expect_fail(vcpu2, 1, "no VM attached");
	ck_assert_int_eq(harness_daemon_stop(&d), 0);

	vm_setup(2, 64, 1, true);
	expect_fail(vcpu2, 1,
		    "gicctl: invalid request: vCPU 2 out of range: the VM has 2 vCPUs "
		    "(0..1)\n");
	expect_fail(its1, 1,
		    "gicctl: invalid request: ITS 1 out of range: the VM has 1 ITS "
		    "(0..0)\n");
	expect_fail(its_all, 1, "ITS 1 out of range");
	/* Command lines gicctl refuses itself. */
	expect_fail(none, 2, "usage: gicctl");
	expect_fail(novcpu, 2, "dump vcpu: which vCPU?");
	expect_fail(bad, 2, "dump: unknown kind 'lpi'");
	expect_fail(badn, 2, "dump: bad vCPU number 'x1'");
	expect_fail(extra, 2, "dump dist: unexpected argument '3'");
	expect_fail(itsall, 2, "--all is for dump dist and dump vcpu");
	/* The daemon is still fine. */
	{
		struct gicctl_run r = run_ok(dist);

		gicctl_run_free(&r);
	}
	vm_teardown();
}
END_TEST

/*
 * The encoded size of the SPIs of a JSON dist dump as one DistDump: more
 * than a datagram holds (SG_WIRE_MAX) proves the daemon had to split it.
 */
static size_t dist_packed_size(json_object *spis)
{
	size_t n = len(spis), size;
	Sg__SpiDump *s = calloc(n, sizeof(*s));
	Sg__SpiDump **p = calloc(n, sizeof(*p));
	Sg__DistDump dd = SG__DIST_DUMP__INIT;

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++) {
		json_object *o = idx(spis, i);

		sg__spi_dump__init(&s[i]);
		s[i].intid = (uint32_t)u(o, "intid");
		s[i].enabled = b(o, "enabled");
		s[i].group1 = u(o, "group") == 1;
		s[i].priority = (uint32_t)u(o, "priority");
		s[i].edge = strcmp(str(o, "trigger"), "edge") == 0;
		s[i].irouter = u(o, "irouter");
		s[i].target = null(o, "target") ? -1 : (int32_t)u(o, "target");
		p[i] = &s[i];
	}
	dd.n_spis = n;
	dd.spis = p;
	size = sg__dist_dump__get_packed_size(&dd);
	free(p);
	free(s);
	return size;
}

/* 988 SPIs (the architecture's maximum), no ITS: a dist dump spans
 * several replies; every SPI arrives once, in order.  SPIs 32..1017 are
 * edge, priority 0xf8, enabled and routed to an affinity no vCPU has;
 * 1018 is untouched; 1019 is level, priority 0x40, enabled, on vCPU 1. */
START_TEST(test_dump_dist_988)
{
	const char *all[] = { "dump", "dist", "--all", NULL };
	const char *dist[] = { "dump", "dist", NULL };
	const char *its[] = { "dump", "its", NULL };
	const char *its0[] = { "dump", "its", "0", NULL };
	const char *v1[] = { "dump", "vcpu", "1", NULL };
	struct gicctl_run r;
	json_object *doc, *spis;
	unsigned first = 0, last = 0;

	vm_setup(2, 988, 0, false);
	for (uint32_t off = 32; off < 1020; off += 4)
		gicd_w(GICD_IPRIORITYR + off, 4, 0xf8f8f8f8u);
	for (uint32_t w = 2; w < 63; w++)
		gicd_w(GICD_ICFGR + 4 * w, 4, 0xaaaaaaaau);
	gicd_w(GICD_ICFGR + 4 * 63, 4, 0xaaaaaaaau & ((1u << 20) - 1)); /* 1008..1017 */
	for (uint32_t id = 32; id < 1018; id++)
		gicd_w(GICD_IROUTER + 8 * id, 8, 0xFF00FFFFFFull);
	for (uint32_t w = 1; w < 32; w++)
		gicd_w(GICD_ISENABLER + 4 * w, 4, w == 31 ? ~(1u << (1018 % 32)) : ~0u);
	gicd_w(GICD_IPRIORITYR + 1018, 1, 0);
	gicd_w(GICD_IPRIORITYR + 1019, 1, 0x40);
	gicd_w(GICD_IROUTER + 8 * 1019, 8, 1);
	(void)harness_gicd_read(vm, 0, GICD_CTLR, 4);

	r = run_ok(all);
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 988);
	ck_assert_uint_eq(first, 32);
	ck_assert_uint_eq(last, 1019);
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 988 (INTIDs 32..1019), vCPUs: 2\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "ITLinesNumber 31, MBIS 1, LPIS 0, IDbits 9"));
	ck_row(r.out, "32 1 1 0xf8 edge 0 0 0 255.255.255.255 - idle");
	ck_row(r.out, "1017 1 1 0xf8 edge 0 0 0 255.255.255.255 - idle");
	ck_row(r.out, "1018 0 1 0x00 level 0 0 0 0.0.0.0 0 idle");
	ck_row(r.out, "1019 1 1 0x40 level 0 0 0 0.0.0.1 1 idle");
	gicctl_run_free(&r);

	r = run_ok(dist);
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs: 988 (INTIDs 32..1019), vCPUs: 2; 987 configured "
					    "or holding state (--all: every SPI)\n"));
	ck_assert_uint_eq(spi_rows(r.out, &first, &last), 987);
	ck_assert_uint_eq(rows(r.out, "1018 0 1 0x00 level 0 0 0 0.0.0.0 0 idle"), 0);
	ck_row(r.out, "1019 1 1 0x40 level 0 0 0 0.0.0.1 1 idle");
	gicctl_run_free(&r);

	doc = run_json(all, "dump-dist");
	ck_assert_uint_eq(u(doc, "nr_spis"), 988);
	spis = gicctl_json_get(doc, "spis");
	ck_assert_uint_eq(len(spis), 988);
	for (unsigned i = 0; i < 988; i++) {
		json_object *s = idx(spis, i);

		ck_assert_uint_eq(u(s, "intid"), 32 + i);
		ck_assert(b(s, "enabled") == (i != 1018 - 32));
		if (i < 1018 - 32) {
			ck_assert_uint_eq(u(s, "priority"), 0xf8);
			ck_assert_str_eq(str(s, "trigger"), "edge");
			ck_assert_uint_eq(u(s, "irouter"), 0xFF00FFFFFFull);
			ck_assert_str_eq(str(s, "affinity"), "255.255.255.255");
			ck_assert(null(s, "target"));
		}
	}
	ck_assert_uint_eq(u(idx(spis, 987), "target"), 1);
	/* Too big for one datagram: it came in several. */
	ck_assert_uint_gt(dist_packed_size(spis), SG_WIRE_MAX);
	json_object_put(doc);

	/* Empty dumps are dumps: no ITS, nothing routed to vCPU 1 but 1019. */
	r = run_ok(its);
	ck_assert_str_eq(r.out, "the VM has no ITS\n");
	gicctl_run_free(&r);
	doc = run_json(its, "dump-its");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "its")), 0);
	json_object_put(doc);
	expect_fail(its0, 1, "ITS 0 out of range: the VM has no ITS");
	doc = run_json(v1, "dump-vcpu");
	ck_assert_uint_eq(len(gicctl_json_get(doc, "spis")), 1);
	ck_assert_uint_eq(len(gicctl_json_get(doc, "lpis")), 0);
	ck_assert_uint_eq(u(gicctl_json_get(doc, "scan"), "itt_entries_read"), 0);
	json_object_put(doc);
	vm_teardown();
}
END_TEST

static Suite *dump_suite(void)
{
	Suite *s = suite_create("gicctl-dump");
	TCase *tc = tcase_create("dump");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dump_dist);
	tcase_add_test(tc, test_dump_its);
	tcase_add_test(tc, test_dump_its_two_level);
	tcase_add_test(tc, test_dump_vcpu);
	tcase_add_test(tc, test_dump_errors);
	tcase_add_test(tc, test_dump_dist_988);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(dump_suite());
}
