// SPDX-License-Identifier: MIT
/*
 * gicctl snapshot save|load FILE (docs/restart.md "Migration"), against
 * the real daemon and the real gicctl:
 *
 * A VM with configuration (GICD_CTLR, SPI priorities, enables, triggers,
 * groups, routes, ITS registers) is saved from its daemon.  That daemon then
 * goes (SIGKILL) and another one, with a state file of its own, comes up on
 * the control socket the VMM knows: the destination of a migration.  The
 * VMM's agent, seeing its daemon gone, keeps trying to re-attach with its
 * resume token and is refused until `gicctl snapshot load` gives the new
 * daemon the file; then it re-attaches, and every register reads back as
 * it was on the source.  Loads that must fail (VM attached: BUSY; a
 * truncated or corrupt file: FAILED) change nothing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "gic_regs.h"
#include "gicctl_test.h"
#include "harness.h"
#include "splitgic/agent.h"

#define NR_SPIS 64u

/* ------------------------------------------------------------ helpers */

/* The value of "key" in a JSON document gicctl printed (a string without
 * escapes, or a number), copied into buf. */
static const char *json_value(const char *json, const char *key, char *buf, size_t len)
{
	char needle[64];
	const char *p;
	size_t n = 0;

	snprintf(needle, sizeof(needle), "\"%s\"", key);
	p = strstr(json, needle);
	ck_assert_msg(p, "no \"%s\" in:\n%s", key, json);
	p += strlen(needle);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p == '"') {
		p++;
		while (p[n] && p[n] != '"' && n + 1 < len)
			n++;
	} else {
		while (p[n] && strchr("0123456789", p[n]) && n + 1 < len)
			n++;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static unsigned long long json_u64(const char *json, const char *key)
{
	char buf[32];

	return strtoull(json_value(json, key, buf, sizeof(buf)), NULL, 10);
}

static void copy_file(const char *from, const char *to, off_t len)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	static char buf[1 << 16];
	off_t done = 0;

	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	while (len < 0 || done < len) {
		size_t want = len < 0 || len - done > (off_t)sizeof(buf) ? sizeof(buf)
									 : (size_t)(len - done);
		ssize_t n = read(in, buf, want);

		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
		done += n;
	}
	close(in);
	close(out);
}

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= 0x5A;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static off_t file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

static struct gicctl_run run(const struct harness_daemon *d, const char *a0, const char *a1,
			     const char *a2, const char *a3)
{
	const char *args[] = { a0, a1, a2, a3, NULL };

	return gicctl_run(d, args);
}

/* -------------------------------------------------- the VM's registers */

static struct sg_vm *vm;

static uint64_t its_base(void)
{
	return sg_vm_shape(vm)->map.its_base[0];
}

static void its_write(uint32_t off, uint64_t val)
{
	ck_assert_int_eq(sg_vcpu_mmio(sg_vm_vcpu(vm, 0), its_base() + off, 8, true, &val),
			 SG_MMIO_DONE);
}

static uint64_t its_read(uint32_t off)
{
	uint64_t val = 0;

	ck_assert_int_eq(sg_vcpu_mmio(sg_vm_vcpu(vm, 0), its_base() + off, 8, false, &val),
			 SG_MMIO_DONE);
	return val;
}

static void configure(void)
{
	const struct sg_vm_shape *s = sg_vm_shape(vm);

	harness_gicd_write(vm, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	harness_gicd_write(vm, 1, GICD_IGROUPR + 4, 4, 0xFFFFF0FFu);
	for (unsigned id = 32; id < 32 + NR_SPIS; id++)
		harness_gicd_write(vm, id % 2, GICD_IPRIORITYR + id, 1, 0x10 + 8 * (id % 29));
	harness_gicd_write(vm, 0, GICD_ICFGR + 4 * 2, 4, 0xAAAA0000u); /* 40..47 edge */
	harness_gicd_write(vm, 1, GICD_ICFGR + 4 * 5, 4, 0x0000A0A0u); /* 82, 83, 86, 87 */
	for (unsigned id = 32; id < 32 + NR_SPIS; id++)
		harness_gicd_write(vm, id % 2, GICD_IROUTER + 8 * id, 8,
				   id % 5 == 0 ? GICD_IROUTER_IRM : s->mpidr[id % 2]);
	harness_gicd_write(vm, 0, GICD_ISENABLER + 4, 4, 0x00FFFF0Fu);
	harness_gicd_write(vm, 1, GICD_ISENABLER + 8, 4, 0x80000001u);
	/* The ITS: its registers (its tables would be in guest RAM). */
	its_write(GITS_CBASER, GITS_CBASER_VALID | 0x40000000ull);
	its_write(GITS_BASER + 0, GITS_BASER_VALID | (1ull << 56) | 0x40100000ull);
	its_write(GITS_BASER + 8, GITS_BASER_VALID | (4ull << 56) | 0x40200000ull);
}

/* Every register configure() wrote, read through vCPU 0 and 1. */
#define NR_REGS (4 + 2 * (NR_SPIS / 4) + NR_SPIS + 3 + 4)

static void read_all(uint64_t *v)
{
	unsigned n = 0;

	v[n++] = harness_gicd_read(vm, 0, GICD_CTLR, 4);
	v[n++] = harness_gicd_read(vm, 1, GICD_IGROUPR + 4, 4);
	v[n++] = harness_gicd_read(vm, 0, GICD_ISENABLER + 4, 4);
	v[n++] = harness_gicd_read(vm, 1, GICD_ISENABLER + 8, 4);
	for (unsigned w = 0; w < NR_SPIS / 4; w++)
		v[n++] = harness_gicd_read(vm, w % 2, GICD_IPRIORITYR + 32 + 4 * w, 4);
	for (unsigned w = 0; w < NR_SPIS / 4; w++)
		v[n++] = harness_gicd_read(vm, 0, GICD_ICFGR + 8 + 4 * (w / 4), 4);
	for (unsigned id = 32; id < 32 + NR_SPIS; id++)
		v[n++] = harness_gicd_read(vm, id % 2, GICD_IROUTER + 8 * id, 8);
	v[n++] = its_read(GITS_CBASER);
	v[n++] = its_read(GITS_BASER + 0);
	v[n++] = its_read(GITS_BASER + 8);
	v[n++] = harness_gicd_read(vm, 1, GICD_ICENABLER + 4, 4);
	v[n++] = harness_gicd_read(vm, 0, GICD_ICENABLER + 8, 4);
	v[n++] = harness_gicd_read(vm, 1, GICD_ICFGR + 4 * 5, 4);
	v[n++] = harness_gicd_read(vm, 0, GICD_IPRIORITYR + 84, 4);
	ck_assert_uint_eq(n, NR_REGS);
}

/* ------------------------------------------------------------- tests */

START_TEST(test_migrate_with_save_and_load)
{
	char dir[] = "/tmp/splitgic-snap-XXXXXX", a_state[64], b_state[64], file[64], bad[64],
	     crc_saved[16], crc[16];
	const char *a_args[] = { "--state-file", a_state, NULL };
	const char *b_args[] = { "--state-file", b_state, NULL };
	uint64_t before[NR_REGS], after[NR_REGS];
	unsigned long long epoch;
	struct harness_daemon d;
	struct gicctl_run r;
	struct sg_vm_shape s;
	off_t size;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(a_state, sizeof(a_state), "%s/a.state", dir);
	snprintf(b_state, sizeof(b_state), "%s/b.state", dir);
	snprintf(file, sizeof(file), "%s/vm.snap", dir);
	snprintf(bad, sizeof(bad), "%s/bad.snap", dir);

	/* The source: a VM with state. */
	harness_daemon_start(&d, a_args);
	harness_shape(&s, 2, NR_SPIS, 1);
	vm = harness_vm_create(&s);
	harness_vm_connect(vm, &d, "test");
	harness_vm_enable_grp1(vm);
	configure();
	read_all(before);
	ck_assert_uint_eq(before[0] & GICD_CTLR_ENABLE_G1, GICD_CTLR_ENABLE_G1);
	ck_assert_uint_eq(before[2], 0x00FFFF0Fu);

	/* save, with --json. */
	r = run(&d, "--json", "snapshot", "save", file);
	ck_assert_msg(r.exit_code == 0, "save: exit %d: %s", r.exit_code, r.err);
	gicctl_check_schema(r.out, "snapshot");
	json_value(r.out, "operation", crc, sizeof(crc));
	ck_assert_str_eq(crc, "save");
	json_value(r.out, "vm", crc, sizeof(crc));
	ck_assert_str_eq(crc, "test");
	ck_assert_uint_eq(json_u64(r.out, "vcpus"), 2);
	ck_assert_uint_eq(json_u64(r.out, "spis"), NR_SPIS);
	ck_assert_uint_eq(json_u64(r.out, "its"), 1);
	ck_assert_uint_gt(json_u64(r.out, "snapshot_bytes"), 0);
	epoch = json_u64(r.out, "epoch");
	ck_assert_uint_ge(epoch, 1);
	json_value(r.out, "crc32", crc_saved, sizeof(crc_saved));
	size = file_size(file);
	ck_assert_uint_eq(json_u64(r.out, "bytes"), (unsigned long long)size);
	gicctl_run_free(&r);

	/* Human output. */
	r = run(&d, "snapshot", "save", bad, NULL);
	ck_assert_msg(r.exit_code == 0, "save: exit %d: %s", r.exit_code, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "saved VM test (epoch "));
	ck_assert_ptr_nonnull(strstr(r.out, "crc32 "));
	gicctl_run_free(&r);

	/* Not into a daemon serving a VM. */
	r = run(&d, "snapshot", "load", file, NULL);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "busy") && strstr(r.err, "is attached"), "%s", r.err);
	gicctl_run_free(&r);

	/* The migration: the source goes, the destination comes up where the
	 * VMM looks for its daemon, with nothing in its own state file. */
	harness_daemon_restart(&d, SIGKILL, b_args);

	/* Truncated, corrupt: refused, nothing changes. */
	copy_file(file, bad, size / 2);
	r = run(&d, "snapshot", "load", bad, NULL);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "failed") && strstr(r.err, "truncated") &&
			      strstr(r.err, "nothing changed"),
		      "%s", r.err);
	gicctl_run_free(&r);
	copy_file(file, bad, -1);
	flip_byte(bad, 4096 + 40); /* inside the snapshot */
	r = run(&d, "--json", "snapshot", "load", bad);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, "no intact snapshot"), "%s", r.err);
	gicctl_run_free(&r);
	ck_assert_uint_eq(harness_log_count(&d, "loaded by gicctl"), 0);
	ck_assert(harness_daemon_alive(&d));

	/* The real one. */
	r = run(&d, "--json", "snapshot", "load", file);
	ck_assert_msg(r.exit_code == 0, "load: exit %d: %s", r.exit_code, r.err);
	gicctl_check_schema(r.out, "snapshot");
	json_value(r.out, "operation", crc, sizeof(crc));
	ck_assert_str_eq(crc, "load");
	json_value(r.out, "crc32", crc, sizeof(crc));
	ck_assert_str_eq(crc, crc_saved); /* the bytes the source wrote */
	ck_assert_uint_eq(json_u64(r.out, "epoch"), epoch);
	ck_assert_uint_eq(json_u64(r.out, "vcpus"), 2);
	gicctl_run_free(&r);

	/* The VMM re-attaches with its token; the VM is as it was. */
	read_all(after);
	for (unsigned i = 0; i < NR_REGS; i++)
		ck_assert_msg(before[i] == after[i], "register %u: 0x%llx before, 0x%llx after", i,
			      (unsigned long long)before[i], (unsigned long long)after[i]);
	ck_assert_uint_eq(sg_vm_stat(vm, SG_VM_RECONNECTS), 1);
	ck_assert_uint_eq(harness_log_count(&d, "re-attached by pid"), 1);

	/* And it serves: edge SPI 47 (Group 1, enabled) goes to vCPU 1. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 47), 0);
	ck_assert_uint_eq(harness_take_irq(vm, 1), 47);
	harness_eoi(vm, 1, 47);

	r = run(&d, "snapshot", "load", file, NULL);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "busy"), "%s", r.err);
	gicctl_run_free(&r);

	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	unlink(file);
	unlink(bad);
	unlink(a_state);
	unlink(b_state);
	rmdir(dir);
}
END_TEST

/* A second daemon (a memfd for its state, no VMM coming) takes the file
 * and holds the VM for its VMM: no second load, nothing to save. */
START_TEST(test_load_into_a_second_daemon)
{
	char dir[] = "/tmp/splitgic-snap-XXXXXX", file[64];
	struct harness_daemon a, b;
	struct gicctl_run r;
	struct sg_vm_shape s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/vm.snap", dir);
	harness_daemon_start(&a, NULL);
	harness_shape(&s, 3, 96, 0);
	vm = harness_vm_create(&s);
	harness_vm_connect(vm, &a, "test");
	harness_gicd_write(vm, 2, GICD_IPRIORITYR + 100, 1, 0x70);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_IPRIORITYR + 100, 1), 0x70);
	r = run(&a, "snapshot", "save", file, NULL);
	ck_assert_msg(r.exit_code == 0, "save: exit %d: %s", r.exit_code, r.err);
	gicctl_run_free(&r);

	harness_daemon_start(&b, NULL);
	r = run(&b, "snapshot", "load", file, NULL);
	ck_assert_msg(r.exit_code == 0, "load: exit %d: %s", r.exit_code, r.err);
	ck_assert_msg(strstr(r.out, "loaded VM test (epoch 1: 3 vCPUs, 96 SPIs, 0 ITS) from "),
		      "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "re-attach"));
	gicctl_run_free(&r);
	ck_assert_uint_eq(harness_log_count(&b, "loaded by gicctl"), 1);

	r = run(&b, "snapshot", "load", file, NULL);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "busy") && strstr(r.err, "waiting for its VMM"), "%s", r.err);
	gicctl_run_free(&r);
	r = run(&b, "--json", "snapshot", "save", file);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "no VM attached"), "%s", r.err);
	gicctl_run_free(&r);

	ck_assert_int_eq(harness_daemon_stop(&b), 0);
	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&a), 0);
	rmdir(dir);
}
END_TEST

/* The same migration into a daemon without --state-file: the loaded state
 * waits in a memfd, and the re-attaching VMM gets it from there. */
START_TEST(test_migrate_without_a_state_file)
{
	char dir[] = "/tmp/splitgic-snap-XXXXXX", file[64];
	struct harness_daemon d;
	struct gicctl_run r;
	struct sg_vm_shape s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/vm.snap", dir);
	harness_daemon_start(&d, NULL);
	harness_shape(&s, 2, 96, 0);
	vm = harness_vm_create(&s);
	harness_vm_connect(vm, &d, "test");
	harness_gicd_write(vm, 0, GICD_IPRIORITYR + 77, 1, 0x38);
	harness_gicd_write(vm, 1, GICD_IROUTER + 8 * 77, 8, 1);
	ck_assert_uint_eq(harness_gicd_read(vm, 1, GICD_IPRIORITYR + 77, 1), 0x38);
	r = run(&d, "snapshot", "save", file, NULL);
	ck_assert_msg(r.exit_code == 0, "save: exit %d: %s", r.exit_code, r.err);
	gicctl_run_free(&r);

	harness_daemon_restart(&d, SIGKILL, NULL);
	r = run(&d, "snapshot", "load", file, NULL);
	ck_assert_msg(r.exit_code == 0, "load: exit %d: %s", r.exit_code, r.err);
	gicctl_run_free(&r);
	ck_assert_uint_eq(harness_gicd_read(vm, 1, GICD_IPRIORITYR + 77, 1), 0x38);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_IROUTER + 8 * 77, 8), 1);
	ck_assert_uint_eq(sg_vm_stat(vm, SG_VM_RECONNECTS), 1);
	ck_assert_uint_eq(harness_log_count(&d, "re-attached by pid"), 1);

	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	unlink(file);
	rmdir(dir);
}
END_TEST

START_TEST(test_save_needs_a_vm)
{
	char dir[] = "/tmp/splitgic-snap-XXXXXX", file[64];
	struct harness_daemon d;
	struct gicctl_run r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/vm.snap", dir);
	harness_daemon_start(&d, NULL);
	r = run(&d, "snapshot", "save", file, NULL);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "no VM attached"), "%s", r.err);
	ck_assert_int_ne(access(file, F_OK), 0); /* nothing half-made left */
	gicctl_run_free(&r);
	r = run(&d, "snapshot", "load", "/nonexistent/vm.snap", NULL);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "cannot open"));
	gicctl_run_free(&r);
	r = run(&d, "snapshot", "frobnicate", file, NULL);
	ck_assert_int_eq(r.exit_code, 2);
	gicctl_run_free(&r);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gicctl-snapshot");
	TCase *tc = tcase_create("snapshot");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_migrate_with_save_and_load);
	tcase_add_test(tc, test_load_into_a_second_daemon);
	tcase_add_test(tc, test_migrate_without_a_state_file);
	tcase_add_test(tc, test_save_needs_a_vm);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
