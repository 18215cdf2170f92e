// SPDX-License-Identifier: MIT
/*
 * What the gicctl dump tests (test_dump_*.c) share: the VM with guest RAM
 * and an ITS configured as a guest does, and readers of gicctl's text and
 * --json output.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "dump_util.h"
#include "gic_regs.h"

struct harness_daemon d;
struct sg_vm *vm;
static int memfd = -1;
static uint8_t *ram;
uint64_t q_wr;

/* ------------------------------------------------------------ the VM */

void vm_setup(unsigned nr_vcpus, unsigned nr_spis, unsigned nr_its, bool with_ram)
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

void vm_teardown(void)
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
void ram_write64(uint64_t gpa, uint64_t v)
{
	ck_assert_uint_ge(gpa, RAM_GPA);
	ck_assert_uint_le(gpa + 8, RAM_GPA + RAM_SIZE);
	for (unsigned i = 0; i < 8; i++)
		__atomic_store_n(ram + (gpa - RAM_GPA) + i, (uint8_t)(v >> (8 * i)),
				 __ATOMIC_RELAXED);
}

uint64_t its_mmio(uint32_t off, unsigned size, bool write, uint64_t val)
{
	ck_assert_int_eq(
		sg_vcpu_mmio(sg_vm_vcpu(vm, 0), SG_DEFAULT_ITS_BASE + off, size, write, &val),
		SG_MMIO_DONE);
	return val;
}

uint64_t baser(unsigned n, uint64_t pa)
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

void c_mapd(uint32_t dev, unsigned size, uint64_t itt)
{
	cmd(GITS_CMD_MAPD | (uint64_t)dev << 32, size, (itt & 0x000FFFFFFFFFFF00ull) | 1ull << 63,
	    0);
}

void c_mapc(uint32_t icid, unsigned rd)
{
	cmd(GITS_CMD_MAPC, 0, icid | (uint64_t)rd << 16 | 1ull << 63, 0);
}

void c_mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
	cmd(GITS_CMD_MAPTI | (uint64_t)dev << 32, ev | (uint64_t)intid << 32, icid, 0);
}

/* CWRITER, then CREADR until it caught up (each read fences: no SYNC
 * queued, so the first one normally sees every command done). */
void its_run(void)
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
uint64_t dte(unsigned size, uint64_t itt)
{
	return 1ull << 63 | 1ull << 56 | (uint64_t)size << 48 | (itt >> 8);
}

void gicd_w(uint32_t off, unsigned size, uint64_t val)
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
void spis_setup(void)
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
void its_setup(void)
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
struct gicctl_run run_ok(const char *const *args)
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
json_object *run_json(const char *const *args, const char *schema)
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

uint64_t u(json_object *o, const char *key)
{
	json_object *v = gicctl_json_get(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_int), "\"%s\" is not an integer", key);
	return json_object_get_uint64(v);
}

bool b(json_object *o, const char *key)
{
	json_object *v = gicctl_json_get(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_boolean), "\"%s\" is not a boolean", key);
	return json_object_get_boolean(v);
}

const char *str(json_object *o, const char *key)
{
	return json_object_get_string(gicctl_json_get(o, key));
}

bool null(json_object *o, const char *key)
{
	return gicctl_json_get(o, key) == NULL;
}

json_object *idx(json_object *a, size_t i)
{
	ck_assert_uint_lt(i, json_object_array_length(a));
	return json_object_array_get_idx(a, i);
}

size_t len(json_object *a)
{
	return json_object_array_length(a);
}

/* The element of array a whose key equals v. */
json_object *find(json_object *a, const char *key, uint64_t v)
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
unsigned rows(const char *text, const char *row)
{
	char l[512];
	unsigned n = 0;

	for (size_t i = 0; line_squeezed(text, i, l, sizeof(l)); i++)
		n += strcmp(l, row) == 0;
	return n;
}

/* Lines that are SPI table rows: they start with an INTID. */
unsigned spi_rows(const char *text, unsigned *first, unsigned *last)
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

/* One gicctl run expected to fail with exit code code and msg on stderr. */
void expect_fail(const char *const *args, int code, const char *msg)
{
	struct gicctl_run r = gicctl_run(&d, args);

	ck_assert_msg(r.exit_code == code, "gicctl %s %s: exit %d, expected %d: %s", args[0],
		      args[1] ? args[1] : "", r.exit_code, code, r.err);
	ck_assert_msg(strstr(r.err, msg), "stderr \"%s\" lacks \"%s\"", r.err, msg);
	ck_assert_str_eq(r.out, "");
	gicctl_run_free(&r);
}
