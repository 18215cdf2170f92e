// SPDX-License-Identifier: MIT
/*
 * gicctl trace: a capture of a scripted session, against the real daemon
 * and the real gicctl.
 *
 * Four gicctl trace streams subscribe at once (everything as JSON; vCPU 1's
 * MMIO; ITS commands until two came; INTID 40 as text), a fifth is refused.
 * Then a guest driver configures SPI 40 from vCPU 0 (GICD writes, a read),
 * vCPU 1 writes a register of SPI 41, a device raises SPI 40, vCPU 1 takes
 * and EOIs it, and vCPU 0 runs MAPC and SYNC through the ITS command queue.
 * Each capture must hold the events it asked for, in the order they
 * happened, with the offsets, values, INTIDs and vCPUs of the session, and
 * nothing else; every JSON line must validate against
 * gicctl/schema/trace-event.schema.json.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "gic_regs.h"
#include "gicctl_test.h"
#include "harness.h"
#include "splitgic/agent.h"

#define RAM_GPA	 0x40000000ull
#define RAM_SIZE (1u << 20)
#define CMDQ_GPA RAM_GPA
#define DT_GPA	 (RAM_GPA + 0x10000)
#define CT_GPA	 (RAM_GPA + 0x20000)

static struct harness_daemon d;
static struct sg_vm *vm;
static uint8_t *ram;
static uint64_t q_wr;

/* ------------------------------------------------------------ the VM */

static void its_w(uint32_t off, unsigned size, uint64_t val)
{
	uint64_t a = sg_vm_shape(vm)->map.its_base[0] + off;

	ck_assert_int_eq(sg_vcpu_mmio(sg_vm_vcpu(vm, 0), a, size, true, &val), SG_MMIO_DONE);
}

static uint64_t its_r(uint32_t off)
{
	uint64_t a = sg_vm_shape(vm)->map.its_base[0] + off, val = 0;

	ck_assert_int_eq(sg_vcpu_mmio(sg_vm_vcpu(vm, 0), a, 8, false, &val), SG_MMIO_DONE);
	return val;
}

static uint64_t baser(unsigned n, uint64_t pa)
{
	uint64_t ro = its_r(GITS_BASER + 8 * n);

	ro &= GITS_BASER_TYPE_MASK | (0x1Full << GITS_BASER_ENTRY_SIZE_SHIFT);
	return GITS_BASER_VALID | ro |
	       (uint64_t)GITS_BASER_PAGE_SIZE_4K << GITS_BASER_PAGE_SIZE_SHIFT | pa;
}

/* One command into the queue in guest RAM, as a guest CPU writes it. */
static void its_cmd(uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
	uint64_t dw[4] = { dw0, dw1, dw2, dw3 };
	uint8_t *p = ram + (CMDQ_GPA - RAM_GPA) + q_wr;

	for (unsigned i = 0; i < GITS_CMD_SIZE; i++)
		__atomic_store_n(p + i, (uint8_t)(dw[i / 8] >> (8 * (i % 8))), __ATOMIC_RELAXED);
	q_wr += GITS_CMD_SIZE;
}

static void start_vm(void)
{
	struct sg_vm_config cfg;
	struct sg_vm_shape s;
	int fd = harness_memfd(RAM_SIZE);

	harness_daemon_start(&d, NULL);
	harness_shape(&s, 2, 64, 1);
	harness_vm_config(&cfg, &s);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(ram, MAP_FAILED);
	cfg.nr_ram = 1;
	cfg.ram[0] = (struct sg_vm_ram){ .gpa = RAM_GPA, .size = RAM_SIZE, .host = ram, .fd = fd };
	ck_assert_int_eq(sg_vm_create(&cfg, &vm), 0);
	harness_vm_connect(vm, &d, "test");
	harness_vm_enable_grp1(vm);
	/* The ITS is set up before the trace starts. */
	its_w(GITS_CTLR, 4, 0);
	its_w(GITS_CBASER, 8, GITS_CBASER_VALID | CMDQ_GPA);
	its_w(GITS_BASER, 8, baser(0, DT_GPA));
	its_w(GITS_BASER + 8, 8, baser(1, CT_GPA));
	its_w(GITS_CWRITER, 8, 0);
	its_w(GITS_CTLR, 4, GITS_CTLR_ENABLED);
}

static void stop_vm(void)
{
	sg_vm_destroy(vm);
	munmap(ram, RAM_SIZE);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}

/* The scripted session. */
static void session(void)
{
	/* A driver configures SPI 40 from vCPU 0: edge, Group 1, to vCPU 1. */
	harness_gicd_write(vm, 0, GICD_IPRIORITYR + 40, 1, 0xA0);
	harness_gicd_write(vm, 0, GICD_ICFGR + 8, 4, 0x2u << 16);
	harness_gicd_write(vm, 0, GICD_IGROUPR + 4, 4, 1u << 8);
	harness_gicd_write(vm, 0, GICD_IROUTER + 8 * 40, 8, 1);
	harness_gicd_write(vm, 0, GICD_ISENABLER + 4, 4, 1u << 8);
	harness_gicd_write(vm, 0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
	ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_ISENABLER + 4, 4), 1u << 8);
	/* vCPU 1 touches SPI 41 only. */
	harness_gicd_write(vm, 1, GICD_IPRIORITYR + 41, 1, 0x60);
	/* A device raises SPI 40; vCPU 1's guest takes it and EOIs it. */
	ck_assert_int_eq(sg_vm_signal_spi_edge(vm, 40), 0);
	ck_assert_uint_eq(harness_take_irq(vm, 1), 40);
	harness_eoi(vm, 1, 40);
	/* vCPU 0 maps collection 1 to vCPU 1 and syncs with it. */
	its_cmd(GITS_CMD_MAPC, 0, 1 | 1ull << 16 | 1ull << 63, 0);
	its_cmd(GITS_CMD_SYNC, 0, 1ull << 16, 0);
	its_w(GITS_CWRITER, 8, q_wr);
	for (uint64_t creadr = its_r(GITS_CREADR); creadr != q_wr; creadr = its_r(GITS_CREADR))
		ck_assert_uint_eq(creadr & GITS_CREADR_STALLED, 0);
	/* The end: a read from vCPU 1 every capture but the ITS one shows. */
	ck_assert_uint_ne(harness_gicd_read(vm, 1, GICD_IIDR, 4), 0);
}

/* ------------------------------------------------------- the captures */

static void subscribe(struct gicctl_bg *bg, const char *const *args)
{
	char needle[64];

	gicctl_start(bg, &d, args);
	snprintf(needle, sizeof(needle), "trace: pid %d subscribed", (int)bg->pid);
	/* Until the daemon says so (a dead gicctl would never). */
	while (harness_log_count(&d, needle) == 0) {
		int status;

		ck_assert_int_eq(waitpid(bg->pid, &status, WNOHANG), 0);
		usleep(2000);
	}
}

/* Until bg's output holds every needle (it flushes after each batch). */
static void wait_output(const struct gicctl_bg *bg, const char *const *needles)
{
	for (;;) {
		char *out = gicctl_bg_output(bg);
		bool all = true;

		for (unsigned i = 0; needles[i] && all; i++)
			all = strstr(out, needles[i]) != NULL;
		free(out);
		if (all)
			return;
		usleep(2000);
	}
}

static bool output_has(const struct gicctl_bg *bg, const char *needle)
{
	char *out = gicctl_bg_output(bg);
	bool has = strstr(out, needle) != NULL;

	free(out);
	return has;
}

/* The lines of a capture (modifies out). */
static unsigned split_lines(char *out, char **lines, unsigned max)
{
	unsigned n = 0;
	char *save = NULL;

	for (char *l = strtok_r(out, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

/* The first line at or after from holding every needle; -1 if none. */
static int find(char **lines, unsigned n, int from, const char *const *needles)
{
	for (unsigned i = from < 0 ? 0 : (unsigned)from; i < n; i++) {
		bool all = true;

		for (unsigned k = 0; needles[k] && all; k++)
			all = strstr(lines[i], needles[k]) != NULL;
		if (all)
			return (int)i;
	}
	return -1;
}

#define FIND_AFTER(prev, ...)                                                                      \
	({                                                                                         \
		const char *const nd_[] = { __VA_ARGS__, NULL };                                   \
		int i_ = find(lines, n, (prev) + 1, nd_);                                          \
		ck_assert_msg(i_ > (prev), "no line with %s %s after line %d", nd_[0],             \
			      nd_[1] ? nd_[1] : "", (prev));                                       \
		i_;                                                                                \
	})

/*
 * Every line against trace-event.schema.json, in one run of the validator:
 * the lines as one array, against the schema's alternatives as "items"
 * (its $defs moved along, so its references resolve as they did).
 */
static void check_every_line(char **lines, unsigned n)
{
	const char *dir = getenv("GICCTL_SCHEMA_DIR"), *validator = getenv("GICCTL_VALIDATE");
	char schema[] = "/tmp/gicctl-schema-XXXXXX", doc[] = "/tmp/gicctl-lines-XXXXXX";
	char cmd[2048], msg[4096] = "";
	size_t used = 0;
	FILE *f, *p;
	int fd, status;

	ck_assert_msg(dir && validator, "GICCTL_SCHEMA_DIR/GICCTL_VALIDATE not set");
	fd = mkstemp(schema);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); "
		 "json.dump({\"$schema\": s[\"$schema\"], \"type\": \"array\", "
		 "\"items\": {\"oneOf\": s[\"oneOf\"]}, \"$defs\": s[\"$defs\"]}, "
		 "open(sys.argv[2], \"w\"))' %s/trace-event.schema.json %s",
		 dir, schema);
	ck_assert_int_eq(system(cmd), 0);
	fd = mkstemp(doc);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[", f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%s\n", i ? "," : "", lines[i]);
	fputs("]\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s %s 2>&1", validator, schema, doc);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (used < sizeof(msg) - 1 && fgets(msg + used, (int)(sizeof(msg) - used), p))
		used = strlen(msg);
	status = pclose(p);
	unlink(schema);
	unlink(doc);
	ck_assert_msg(
		WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"trace lines do not match trace-event.schema.json (N/...: line N from 0):\n%s",
		msg);
	/* The wrapper is the schema: one line through it directly, too. */
	if (n)
		gicctl_check_schema(lines[0], "trace-event");
}

static void check_everything(char *out)
{
	char *lines[4096];
	unsigned n = split_lines(out, lines, 4096);
	int at = -1, read, deliver;

	check_every_line(lines, n);
	/* vCPU 0's writes, in program order, posted, with offsets and values. */
	at = FIND_AFTER(at, "\"kind\":\"mmio_recv\"", "\"vcpu\":0,", "\"offset\":1064,",
			"\"reg\":\"GICD_IPRIORITYR(10)\"", "\"size\":1,", "\"write\":true",
			"\"posted\":true", "\"data\":160");
	at = FIND_AFTER(at, "\"kind\":\"mmio_recv\"", "\"vcpu\":0,", "\"offset\":3080,",
			"\"reg\":\"GICD_ICFGR(2)\"", "\"data\":131072");
	at = FIND_AFTER(at, "\"kind\":\"mmio_recv\"", "\"offset\":132,", "\"data\":256");
	at = FIND_AFTER(at, "\"kind\":\"mmio_recv\"", "\"offset\":24896,",
			"\"reg\":\"GICD_IROUTER(40)\"", "\"size\":8,", "\"data\":1");
	at = FIND_AFTER(at, "\"kind\":\"mmio_recv\"", "\"offset\":260,", "\"write\":true",
			"\"data\":256");
	at = FIND_AFTER(at, "\"kind\":\"mmio_recv\"", "\"offset\":0,", "\"reg\":\"GICD_CTLR\"",
			"\"write\":true");
	/* The read and its reply: the value. */
	read = FIND_AFTER(at, "\"kind\":\"mmio_recv\"", "\"vcpu\":0,", "\"offset\":260,",
			  "\"write\":false", "\"posted\":false");
	FIND_AFTER(read, "\"kind\":\"mmio_reply\"", "\"vcpu\":0,", "\"known\":true",
		   "\"reg\":\"GICD_ISENABLER(1)\"", "\"data\":256", "\"status\":\"ok\"");
	/* vCPU 1's write. */
	at = FIND_AFTER(read, "\"kind\":\"mmio_recv\"", "\"vcpu\":1,", "\"offset\":1065,",
			"\"data\":96");
	/* The device's edge, the Deliver to vCPU 1, its Deactivated. */
	at = FIND_AFTER(at, "\"kind\":\"spi_level\"", "\"intid\":40,", "\"pulse\":true");
	deliver = FIND_AFTER(at, "\"kind\":\"deliver\"", "\"vcpu\":1,", "\"intid\":40,",
			     "\"priority\":160", "\"group\":1");
	FIND_AFTER(deliver, "\"kind\":\"deactivate\"", "\"vcpu\":1,", "\"intid\":40,");
	/* The ITS commands, decoded. */
	at = FIND_AFTER(deliver, "\"kind\":\"its_cmd\"", "\"command\":\"MAPC\"", "\"icid\":1,",
			"\"rdbase\":1,", "\"valid\":true", "\"error\":0");
	at = FIND_AFTER(at, "\"kind\":\"its_cmd\"", "\"command\":\"SYNC\"", "\"rdbase\":1,");
	FIND_AFTER(at, "\"kind\":\"mmio_reply\"", "\"vcpu\":1,", "\"reg\":\"GICD_IIDR\"");
	/* A line is the event's text too. */
	FIND_AFTER(-1, "\"line\":\"deliver vcpu 1 intid 40 ");
}

START_TEST(test_trace_of_a_scripted_session)
{
	const char *all[] = { "--json", "trace", NULL };
	const char *vcpu1[] = { "--json", "trace", "--vcpu", "1", "--type", "mmio", NULL };
	const char *its[] = { "--json", "trace", "--type", "its", "--count", "2", NULL };
	const char *intid[] = { "trace", "--intid", "40", NULL };
	const char *fifth[] = { "trace", "--count", "1", NULL };
	const char *all_done[] = { "\"reg\":\"GICD_IIDR\"", "\"kind\":\"deactivate\"", NULL };
	const char *vcpu1_done[] = { "\"reg\":\"GICD_IIDR\"", NULL };
	const char *intid_done[] = { "deactivate vcpu 1 intid 40", NULL };
	struct gicctl_bg bg_all, bg_vcpu1, bg_its, bg_intid;
	struct gicctl_run r;
	char *lines[1024];
	unsigned n;

	start_vm();
	subscribe(&bg_all, all);
	subscribe(&bg_vcpu1, vcpu1);
	subscribe(&bg_its, its);
	subscribe(&bg_intid, intid);
	/* At most four at once. */
	r = gicctl_run(&d, fifth);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "too many"), "%s", r.err);
	gicctl_run_free(&r);

	session();

	/* --type its --count 2: ends by itself, MAPC then SYNC, nothing else. */
	r = gicctl_wait(&bg_its, 0);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	n = split_lines(r.out, lines, 1024);
	ck_assert_uint_eq(n, 2);
	check_every_line(lines, n);
	ck_assert_ptr_nonnull(strstr(lines[0], "\"command\":\"MAPC\""));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"command\":\"SYNC\""));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"line\":\"its0 cmd SYNC at 0x"));
	ck_assert_ptr_nonnull(strstr(lines[1], " rdbase 1\""));
	gicctl_run_free(&r);

	/* Everything: SIGINT ends it cleanly. */
	wait_output(&bg_all, all_done);
	r = gicctl_wait(&bg_all, SIGINT);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	check_everything(r.out);
	gicctl_run_free(&r);

	/* --vcpu 1 --type mmio: vCPU 1's accesses only. */
	wait_output(&bg_vcpu1, vcpu1_done);
	r = gicctl_wait(&bg_vcpu1, SIGINT);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	n = split_lines(r.out, lines, 1024);
	check_every_line(lines, n);
	ck_assert_uint_ge(n, 2);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_msg(strstr(lines[i], "\"kind\":\"mmio_"), "%s", lines[i]);
		ck_assert_msg(strstr(lines[i], "\"vcpu\":1,"), "%s", lines[i]);
	}
	ck_assert_int_ge(find(lines, n, 0, (const char *const[]){ "\"offset\":1065,", NULL }), 0);
	gicctl_run_free(&r);

	/* --intid 40, as text: its registers, its edge, Deliver, Deactivated. */
	wait_output(&bg_intid, intid_done);
	r = gicctl_wait(&bg_intid, SIGTERM);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	ck_assert_msg(strstr(r.out, " mmio0 recv seq "), "%s", r.out);
	ck_assert_msg(strstr(r.out, " write GICD_IPRIORITYR(10) size 1 data 0xa0 posted"), "%s",
		      r.out);
	ck_assert_msg(strstr(r.out, " write GICD_IROUTER(40) size 8 data 0x1"), "%s", r.out);
	ck_assert_msg(strstr(r.out, " spi intid 40 pulse"), "%s", r.out);
	ck_assert_msg(strstr(r.out, " deliver vcpu 1 intid 40 "), "%s", r.out);
	ck_assert_msg(strstr(r.out, " deactivate vcpu 1 intid 40"), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "GICD_CTLR") && !strstr(r.out, "IPRIORITYR(10)+1") &&
			      !strstr(r.out, "its0"),
		      "%s", r.out);
	n = split_lines(r.out, lines, 1024);
	for (unsigned i = 0; i < n; i++) {
		unsigned long s, us;
		int end = 0;

		ck_assert_msg(sscanf(lines[i], "%lu.%6lu %n", &s, &us, &end) == 2 && end > 0,
			      "no timestamp: %s", lines[i]);
	}
	gicctl_run_free(&r);

	/* Every stream goes when its gicctl does (and so does the sink). */
	while (harness_log_count(&d, "unsubscribed") < 4)
		usleep(2000);
	ck_assert_uint_eq(harness_log_count(&d, "unsubscribed"), 4);
	stop_vm();
}
END_TEST

/* The daemon's "overflows" counter (replies refused: a full queue). */
static unsigned long long overflows(void)
{
	unsigned before = harness_log_count(&d, "counters admin:");
	unsigned long long n = 0;
	const char *p, *last = NULL;
	char *log;
	FILE *f;
	long len;

	ck_assert_int_eq(kill(d.pid, SIGUSR1), 0);
	while (harness_log_count(&d, "counters admin:") == before)
		usleep(2000);
	f = fopen(d.log_path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	log = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(log);
	ck_assert_uint_eq(fread(log, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (p = strstr(log, "overflows "); p; p = strstr(p + 1, "overflows "))
		last = p;
	ck_assert_ptr_nonnull(last);
	n = strtoull(last + strlen("overflows "), NULL, 10);
	free(log);
	return n;
}

/* A subscriber that stops reading costs the daemon a bounded queue, then
 * events: it never waits for it.  Once it reads again, the next batch says
 * how many it lost, and the stream goes on. */
START_TEST(test_a_subscriber_that_does_not_read_loses_events)
{
	const char *args[] = { "trace", "--type", "mmio_recv", NULL };
	const char *lost_json[] = { "--json", "trace", "--type", "mmio_recv", NULL };
	const char *done[] = { "events lost", "GICD_IIDR", NULL };
	const char *done_json[] = { "\"kind\":\"lost\"", "GICD_IIDR", NULL };
	struct gicctl_bg bg, bg_json;
	struct gicctl_run r;
	struct sg_vm_shape s;
	char *lines[8], *p;
	unsigned rounds = 0;

	harness_daemon_start(&d, NULL);
	harness_shape(&s, 1, 64, 0);
	vm = harness_vm_create(&s);
	harness_vm_connect(vm, &d, "test");
	subscribe(&bg, args);
	subscribe(&bg_json, lost_json);
	ck_assert_int_eq(kill(bg.pid, SIGSTOP), 0);
	ck_assert_int_eq(kill(bg_json.pid, SIGSTOP), 0);
	/* Posted writes until the daemon had to refuse batches to both. */
	while (overflows() < 2) {
		for (unsigned i = 0; i < 20000; i++)
			harness_gicd_write(vm, 0, GICD_IPRIORITYR + 32 + i % 32, 1, i & 0xF0);
		ck_assert_uint_eq(harness_gicd_read(vm, 0, GICD_IPRIORITYR + 32, 1) & 0x0F, 0);
		ck_assert_uint_lt(++rounds, 1000);
	}
	ck_assert(harness_daemon_alive(&d));
	ck_assert_int_eq(kill(bg.pid, SIGCONT), 0);
	ck_assert_int_eq(kill(bg_json.pid, SIGCONT), 0);
	/* Whatever gets through first, a later event says how many were lost. */
	while (!output_has(&bg, "events lost") || !output_has(&bg_json, "\"kind\":\"lost\"")) {
		harness_gicd_read(vm, 0, GICD_IIDR, 4);
		usleep(20000);
	}
	harness_gicd_read(vm, 0, GICD_IIDR, 4);
	wait_output(&bg, done);
	wait_output(&bg_json, done_json);
	r = gicctl_wait(&bg, SIGINT);
	ck_assert_int_eq(r.exit_code, 0);
	p = strstr(r.out, "\n-- ");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_gt(strtoull(p + 4, NULL, 10), 0);
	ck_assert_ptr_nonnull(strstr(p, " events lost (gicctl did not read them in time)\n"));
	gicctl_run_free(&r);
	r = gicctl_wait(&bg_json, SIGINT);
	ck_assert_int_eq(r.exit_code, 0);
	p = strstr(r.out, "{\"kind\":\"lost\",\"lost\":");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(split_lines(p, lines, 2), 2);
	gicctl_check_schema(lines[0], "trace-event");
	gicctl_check_schema(lines[1], "trace-event"); /* the stream goes on */
	gicctl_run_free(&r);
	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_trace_stops_after_duration_and_checks_arguments)
{
	const char *quiet[] = { "trace", "--duration", "0.2", NULL };
	const char *bad[][6] = {
		{ "trace", "--type", "nonsense", NULL },
		{ "trace", "--intid", "50-40", NULL },
		{ "trace", "--vcpu", "x", NULL },
		{ "trace", "--count", "0", NULL },
		{ "trace", "extra", NULL },
	};
	const char *its9[] = { "trace", "--its", "9", NULL };
	struct gicctl_run r;

	harness_daemon_start(&d, NULL);
	r = gicctl_run(&d, quiet);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	ck_assert_str_eq(r.out, "");
	gicctl_run_free(&r);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = gicctl_run(&d, bad[i]);
		ck_assert_msg(r.exit_code == 2, "%s %s: exit %d", bad[i][1],
			      bad[i][2] ? bad[i][2] : "", r.exit_code);
		gicctl_run_free(&r);
	}
	/* Checked by the daemon too. */
	r = gicctl_run(&d, its9);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_msg(strstr(r.err, "invalid request") && strstr(r.err, "ITS 9"), "%s", r.err);
	gicctl_run_free(&r);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gicctl-trace");
	TCase *tc = tcase_create("trace");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_trace_of_a_scripted_session);
	tcase_add_test(tc, test_a_subscriber_that_does_not_read_loses_events);
	tcase_add_test(tc, test_trace_stops_after_duration_and_checks_arguments);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
