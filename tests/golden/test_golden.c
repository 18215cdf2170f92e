// SPDX-License-Identifier: MIT
/*
 * Upgrades (issue 6, docs/restart.md "Golden files"): the state files that
 * each release's gicd-server wrote are kept in tests/golden/<version>/, with
 * the description of what they held (state.expect); the files are kept
 * gzip'ed (a state store is mostly zeros).  Every later version
 * must load them to the same state (case "load") and the daemon must resume
 * the VM they describe when its VMM re-attaches with the resume token
 * (case "daemon").
 *
 * With GOLDEN_OUT=DIR set (ninja golden-files), the program instead writes
 * this version's golden file: the real daemon with --state-file runs a VM
 * through a workload that leaves configuration, SPIs in flight and idle,
 * ITS registers and unacknowledged bus output in it, and is killed with
 * SIGKILL, so the file holds a full snapshot followed by journal deltas.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "daemon_util.h"
#include "gic_regs.h"
#include "golden_dump.h"
#include "harness.h"
#include "splitgic/agent.h"
#include <zlib.h>

#define MAX_LINES 8192

/* ------------------------------------------------------------- helpers */

static char *describe(const struct golden_state *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	golden_describe(g, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* The value of key in a description ("key value\n" lines), or NULL. */
static const char *lookup(const char *desc, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);

	for (const char *p = desc; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			const char *v = p + klen + 1;

			*vlen = nl ? (size_t)(nl - v) : strlen(v);
			return v;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Golden state files are kept gzip'ed: a state store is mostly zeros. */
static void gunzip_file(const char *from, const char *to)
{
	gzFile in = gzopen(from, "rb");
	FILE *out = fopen(to, "wb");
	char buf[65536];
	int n;

	ck_assert_msg(in, "%s: %s", from, strerror(errno));
	ck_assert_msg(out, "%s: %s", to, strerror(errno));
	while ((n = gzread(in, buf, sizeof(buf))) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, (size_t)n, out), (size_t)n);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(gzclose(in), Z_OK);
	ck_assert_int_eq(fclose(out), 0);
}

static void gzip_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	gzFile out = gzopen(to, "wb9");
	char buf[65536];
	size_t n;

	ck_assert_msg(in, "%s: %s", from, strerror(errno));
	ck_assert_msg(out, "%s: %s", to, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_int_eq(gzwrite(out, buf, (unsigned)n), (int)n);
	ck_assert_int_eq(gzclose(out), Z_OK);
	fclose(in);
}

/* The golden directories (one per release), sorted. */
static unsigned golden_dirs(char dirs[][512], unsigned max)
{
	const char *base = getenv("GOLDEN_DIR");
	struct dirent **ents;
	unsigned n = 0;
	int k;

	ck_assert_msg(base, "GOLDEN_DIR is not set (run the tests with meson test)");
	k = scandir(base, &ents, NULL, alphasort);
	ck_assert_msg(k >= 0, "%s: %s", base, strerror(errno));
	for (int i = 0; i < k; i++) {
		char state[600];

		snprintf(state, sizeof(state), "%s/%s/state.gz", base, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && access(state, R_OK) == 0 && n < max)
			snprintf(dirs[n++], sizeof(dirs[0]), "%s/%s", base, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return n;
}

/* ---------------------------------------------------- case "load" */

START_TEST(test_every_golden_file_loads_to_its_manifest)
{
	char dirs[32][512];
	unsigned n = golden_dirs(dirs, 32);

	ck_assert_msg(n >= 1, "no golden files under $GOLDEN_DIR");
	for (unsigned i = 0; i < n; i++) {
		char path[600], err[256], tmp[] = "/tmp/splitgic-golden-XXXXXX";
		char *manifest, *desc, *line, *save = NULL;
		struct golden_state *g;
		unsigned lines = 0;
		int fd;

		/* Loading may write (a store left mid-record is repaired):
		 * never on the file in the source tree. */
		fd = mkstemp(tmp);
		ck_assert_int_ge(fd, 0);
		close(fd);
		snprintf(path, sizeof(path), "%.511s/state.gz", dirs[i]);
		gunzip_file(path, tmp);
		g = golden_load(tmp, err, sizeof(err));
		unlink(tmp);
		ck_assert_msg(g, "%s: %s", dirs[i], err);
		desc = describe(g);
		snprintf(path, sizeof(path), "%.511s/state.expect", dirs[i]);
		manifest = read_file(path);
		for (line = strtok_r(manifest, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *sp = strchr(line, ' ');
			const char *have;
			size_t vlen;

			if (line[0] == '#' || !sp)
				continue;
			*sp = '\0';
			have = lookup(desc, line, &vlen);
			ck_assert_msg(have, "%s: %s is gone", dirs[i], line);
			ck_assert_msg(vlen == strlen(sp + 1) && memcmp(have, sp + 1, vlen) == 0,
				      "%s: %s is %.*s, the manifest says %s", dirs[i], line,
				      (int)vlen, have, sp + 1);
			lines++;
		}
		ck_assert_uint_gt(lines, 100);
		printf("golden %s: %u facts as recorded\n", dirs[i], lines);
		free(manifest);
		free(desc);
		golden_free(g);
	}
}
END_TEST

/* -------------------------------------------------- case "daemon" */

/* A re-attach Hello for the golden VM; channels as socketpairs. */
struct reattach {
	struct sg_vm_shape shape;
	Sg__Hello hello;
	Sg__AddressMap am;
	Sg__Envelope env;
	int fds[SG_MAX_VCPUS + 1], mine[SG_MAX_VCPUS + 1];
	unsigned nfds;
};

static void reattach_init(struct reattach *r, const char *manifest, const char *vm_name,
			  const unsigned char *token)
{
	size_t vlen;
	const char *v;

	memset(r, 0, sizeof(*r));
	v = lookup(manifest, "shape.vcpus", &vlen);
	ck_assert_ptr_nonnull(v);
	v = lookup(manifest, "shape.spis", &vlen);
	ck_assert_ptr_nonnull(v);
	harness_shape(&r->shape, (unsigned)atoi(lookup(manifest, "shape.vcpus", &vlen)),
		      (unsigned)atoi(v), (unsigned)atoi(lookup(manifest, "shape.its", &vlen)));
	for (unsigned i = 0; i < r->shape.nr_vcpus; i++) {
		char key[32];

		snprintf(key, sizeof(key), "shape.mpidr.%u", i);
		v = lookup(manifest, key, &vlen);
		ck_assert_ptr_nonnull(v);
		r->shape.mpidr[i] = strtoull(v, NULL, 0);
	}
	sg__hello__init(&r->hello);
	sg_shape_to_hello(&r->shape, &r->hello, &r->am);
	r->hello.proto_version = SG_PROTO_VERSION;
	r->hello.vm_name = (char *)vm_name;
	r->hello.resume_token.data = (uint8_t *)token;
	r->hello.resume_token.len = 32;
	for (unsigned i = 0; i <= r->shape.nr_vcpus; i++) {
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		r->mine[i] = sv[0];
		r->fds[r->nfds++] = sv[1];
	}
	sg_envelope_init(&r->env);
	r->env.body_case = SG__ENVELOPE__BODY_HELLO;
	r->env.hello = &r->hello;
}

static void reattach_fini(struct reattach *r)
{
	for (unsigned i = 0; i < r->nfds; i++) {
		close(r->fds[i]);
		close(r->mine[i]);
	}
}

/* The Resume the restored daemon sends on channel i. */
static Sg__Envelope *recv_resume(int fd, unsigned char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	Sg__Envelope *env;
	ssize_t n;

	ck_assert_int_eq(poll(&p, 1, 30000), 1);
	n = recv(fd, buf, len, 0);
	ck_assert_int_gt(n, 0);
	env = sg__envelope__unpack(NULL, (size_t)n, buf);
	ck_assert_ptr_nonnull(env);
	ck_assert_int_eq(env->body_case, SG__ENVELOPE__BODY_RESUME);
	return env;
}

START_TEST(test_the_daemon_resumes_every_golden_vm)
{
	char dirs[32][512];
	unsigned n = golden_dirs(dirs, 32);

	ck_assert_uint_ge(n, 1);
	for (unsigned i = 0; i < n; i++) {
		char src[600], state[600], arg_dir[300], reason[256], needle[200], err[256];
		const char *args[5] = { "--state-file", state, "--vm", NULL, NULL };
		unsigned char bad[32], buf[SG_WIRE_MAX + 1];
		struct harness_daemon d;
		struct golden_state *g;
		struct reattach r;
		char *manifest;
		uint64_t epoch;
		size_t vlen;

		snprintf(arg_dir, sizeof(arg_dir), "/tmp/splitgic-golden-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(arg_dir));
		snprintf(state, sizeof(state), "%s/state", arg_dir);
		snprintf(src, sizeof(src), "%.511s/state.gz", dirs[i]);
		gunzip_file(src, state);
		snprintf(src, sizeof(src), "%.511s/state.expect", dirs[i]);
		manifest = read_file(src);
		g = golden_load(state, err, sizeof(err));
		ck_assert_msg(g, "%s", err);
		epoch = strtoull(lookup(manifest, "vm.epoch", &vlen), NULL, 10);
		args[3] = golden_vm_name(g);

		harness_daemon_start(&d, args);
		snprintf(needle, sizeof(needle), "holds VM %s (epoch %llu): waiting for its VMM",
			 golden_vm_name(g), (unsigned long long)epoch);
		ck_assert_uint_eq(harness_log_count(&d, needle), 1);

		/* Someone without the token gets nothing. */
		memcpy(bad, golden_token(g), sizeof(bad));
		bad[0] ^= 0xFF;
		reattach_init(&r, manifest, golden_vm_name(g), bad);
		ck_assert_int_ne(hello_exchange(d.control_path, &r.env, r.fds, r.nfds, reason,
						sizeof(reason)),
				 SG__WELCOME__STATUS__OK);
		ck_assert_ptr_nonnull(strstr(reason, "resume token"));
		reattach_fini(&r);

		/* Its VMM gets the VM back, as the file left it. */
		reattach_init(&r, manifest, golden_vm_name(g), golden_token(g));
		ck_assert_int_eq(hello_exchange(d.control_path, &r.env, r.fds, r.nfds, reason,
						sizeof(reason)),
				 SG__WELCOME__STATUS__OK);
		for (unsigned c = 0; c <= r.shape.nr_vcpus; c++) {
			Sg__Envelope *env = recv_resume(r.mine[c], buf, sizeof(buf));
			char key[48];

			ck_assert_uint_eq(env->resume->epoch, epoch + 1);
			snprintf(key, sizeof(key), "chan.%u.last_applied", c);
			ck_assert_uint_eq(env->resume->applied_seq,
					  strtoull(lookup(manifest, key, &vlen), NULL, 10));
			sg__envelope__free_unpacked(env, NULL);
		}
		reattach_fini(&r);
		ck_assert_int_eq(harness_daemon_stop(&d), 0);
		unlink(state);
		rmdir(arg_dir);
		golden_free(g);
		free(manifest);
	}
}
END_TEST

/* ------------------------------------------- writing a golden file */

static struct sg_vm *vm;

/* "full snapshots N" of the counters the daemon logs on SIGUSR1. */
static unsigned full_snapshots(struct harness_daemon *d)
{
	unsigned before = harness_log_count(d, "counters state:");
	const char *p;
	char *log;

	ck_assert_int_eq(kill(d->pid, SIGUSR1), 0);
	for (int i = 0; i < 500 && harness_log_count(d, "counters state:") == before; i++)
		usleep(10 * 1000);
	log = read_file(d->log_path);
	p = strstr(log, "full snapshots ");
	ck_assert_ptr_nonnull(p);
	while (strstr(p + 1, "full snapshots "))
		p = strstr(p + 1, "full snapshots ");
	before = (unsigned)strtoul(p + strlen("full snapshots "), NULL, 10);
	free(log);
	return before;
}

static void its_write(unsigned vcpu, uint32_t off, uint64_t val)
{
	uint64_t base = sg_vm_shape(vm)->map.its_base[0];

	ck_assert_int_eq(sg_vcpu_mmio(sg_vm_vcpu(vm, vcpu), base + off, 8, true, &val),
			 SG_MMIO_DONE);
}

START_TEST(test_write_this_versions_golden_file)
{
	const char *outdir = getenv("GOLDEN_OUT");
	char state[400], path[600], err[256];
	const char *args[5] = { "--state-file", state, "--vm", "golden", NULL };
	struct harness_daemon d;
	struct sg_vm_shape s;
	struct golden_state *g;
	char dir[] = "/tmp/splitgic-golden-XXXXXX";
	int status;
	FILE *f;

	ck_assert_ptr_nonnull(outdir);
	snprintf(path, sizeof(path), "%s/state.gz", outdir);
	ck_assert_msg(access(path, F_OK) != 0,
		      "%s exists: a release's golden file is never rewritten", path);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	harness_daemon_start(&d, args);
	harness_shape(&s, 4, 96, 1);
	vm = harness_vm_create(&s);
	harness_vm_connect(vm, &d, "golden");

	/* Phase 1: configuration, then a full snapshot (written within a
	 * second while there are commits). */
	harness_gicd_write(vm, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G0);
	harness_gicd_write(vm, 0, GICD_IGROUPR + 4, 4, 0xFFFF0000u);
	harness_gicd_write(vm, 1, GICD_IGROUPR + 8, 4, 0xFFFFFFFFu);
	for (unsigned id = 32; id < 128; id++)
		harness_gicd_write(vm, id % 4, GICD_IPRIORITYR + id, 1, 0x10 + 8 * (id % 28));
	harness_gicd_write(vm, 2, GICD_ICFGR + 4 * 3, 4, 0xAAAAAAAAu); /* 48..63 edge */
	harness_gicd_write(vm, 3, GICD_ICFGR + 4 * 6, 4, 0x0000AAAAu); /* 96..103 edge */
	for (unsigned id = 32; id < 128; id++)
		harness_gicd_write(vm, id % 4, GICD_IROUTER + 8 * id, 8,
				   id % 7 == 0 ? GICD_IROUTER_IRM : s.mpidr[id % 4]);
	harness_gicd_write(vm, 0, GICD_ISENABLER + 4, 4, 0x00FFFFFFu);
	harness_gicd_write(vm, 1, GICD_ISENABLER + 8, 4, 0xF0F0F0F0u);
	its_write(0, GITS_CBASER, GITS_CBASER_VALID | 0x40000000ull);
	its_write(0, GITS_BASER + 0, GITS_BASER_VALID | (1ull << 56) | 0x40100000ull);
	its_write(0, GITS_BASER + 8, GITS_BASER_VALID | (4ull << 56) | 0x40200000ull);
	ck_assert_uint_eq(harness_gicd_read(vm, 1, GICD_CTLR, 4) & GICD_CTLR_ENABLE_G1,
			  GICD_CTLR_ENABLE_G1);
	usleep(1500 * 1000);
	ck_assert_uint_ge(full_snapshots(&d), 2); /* the attach's and a periodic one */

	/* Phase 2, in the journal: SPIs in flight at the (never running)
	 * vCPUs, pending here while disabled, a level line high, priority
	 * and routing changes. */
	ck_assert_int_eq(sg_vm_set_spi_level(vm, 40, true), 0); /* level, to vCPU 0 */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 49), 0);	/* edge, 1-of-N */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 57), 0);	/* edge, disabled: stays */
	harness_gicd_write(vm, 2, GICD_ISPENDR + 4 * 3, 4, 1u << (100 - 96)); /* 100: disabled */
	harness_gicd_write(vm, 3, GICD_IPRIORITYR + 41, 1, 0xE0);
	harness_gicd_write(vm, 3, GICD_IROUTER + 8 * 42, 8, s.mpidr[3]);
	harness_gicd_write(vm, 0, GICD_ICENABLER + 4, 4, 1u << (45 - 32));
	/* A read returns once everything before it is applied and durable. */
	ck_assert_uint_ne(harness_gicd_read(vm, 2, GICD_ISPENDR + 4, 4) & (1u << 8), 0);

	/* Killed: whatever was committed is all there is. */
	ck_assert_int_eq(kill(d.pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(d.pid, &status, 0), d.pid);
	sg_vm_destroy(vm);

	ck_assert_int_eq(mkdir(outdir, 0755) == 0 || errno == EEXIST, 1);
	gzip_file(state, path);
	g = golden_load(state, err, sizeof(err));
	ck_assert_msg(g, "%s", err);
	snprintf(path, sizeof(path), "%s/state.expect", outdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# What tests/golden/%s/state.gz held when gicd-server %s wrote it\n",
		strrchr(outdir, '/') ? strrchr(outdir, '/') + 1 : outdir, SG_VERSION);
	fprintf(f, "# (tests/golden/test_golden.c). Never edit: later versions must agree.\n");
	golden_describe(g, f);
	ck_assert_int_eq(fclose(f), 0);
	golden_free(g);
	unlink(state);
	rmdir(dir);
	printf("wrote the golden file of gicd-server %s in %s\n", SG_VERSION, outdir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create(getenv("GOLDEN_OUT") ? "write" : "golden");

	tcase_set_timeout(tc, 120);
	if (getenv("GOLDEN_OUT")) {
		tcase_add_test(tc, test_write_this_versions_golden_file);
	} else {
		tcase_add_test(tc, test_every_golden_file_loads_to_its_manifest);
		tcase_add_test(tc, test_the_daemon_resumes_every_golden_vm);
	}
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
