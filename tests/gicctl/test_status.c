// SPDX-License-Identifier: MIT
/*
 * gicctl status against the real daemon: without a VM, with a VM attached
 * through libvcpu-agent (shape, channels, counters that move with known
 * traffic), a large VM whose answer spans several replies, a VM waiting in
 * a state file, --json against schema/status.schema.json, and a peer uid
 * the daemon does not allow.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check_run.h"
#include "gic_regs.h"
#include "gicctl_test.h"
#include "splitgic/agent.h"
#include "wire.h"

static struct harness_daemon d;

/* `gicctl --json status`: exit 0, valid against the schema, parsed. */
static json_object *status_json(void)
{
	const char *args[] = { "status", NULL };

	return gicctl_json(&d, args, "status");
}

static uint64_t get_u64(json_object *o, const char *key)
{
	return json_object_get_uint64(gicctl_json_get(o, key));
}

static uint64_t counter(json_object *doc, const char *key)
{
	return get_u64(gicctl_json_get(doc, "counters"), key);
}

/* The channel named name in vm.channels. */
static json_object *channel(json_object *doc, const char *name)
{
	json_object *chans = gicctl_json_get(gicctl_json_get(doc, "vm"), "channels");

	for (size_t i = 0; i < json_object_array_length(chans); i++) {
		json_object *c = json_object_array_get_idx(chans, i);

		if (strcmp(json_object_get_string(gicctl_json_get(c, "name")), name) == 0)
			return c;
	}
	ck_abort_msg("no channel %s", name);
	return NULL;
}

static void check_daemon_fields(json_object *doc)
{
	ck_assert_str_eq(json_object_get_string(gicctl_json_get(doc, "vm_name")), "test");
	ck_assert_str_eq(json_object_get_string(gicctl_json_get(doc, "daemon_version")),
			 SG_VERSION);
	ck_assert_uint_eq(get_u64(doc, "protocol_version"), SG_PROTO_VERSION);
	ck_assert_uint_eq(get_u64(doc, "pid"), (uint64_t)d.pid);
	ck_assert_str_eq(json_object_get_string(gicctl_json_get(doc, "state_store")),
			 "memfd (fd store)");
	ck_assert_uint_eq(counter(doc, "splitgic_info{version=\"" SG_VERSION "\",vm=\"test\"}"), 1);
}

START_TEST(test_status_no_vm)
{
	const char *args[] = { "status", NULL };
	struct gicctl_run r;
	json_object *doc;

	harness_daemon_start(&d, NULL);
	r = gicctl_run(&d, args);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	ck_assert_str_eq(r.err, "");
	ck_assert_ptr_nonnull(strstr(r.out, "VM              test\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "gicd-server " SG_VERSION ", protocol 1, pid "));
	ck_assert_ptr_nonnull(strstr(r.out, "state           no VM attached\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "splitgic_vm_attached "));
	ck_assert_ptr_null(strstr(r.out, "CHANNEL"));
	gicctl_run_free(&r);

	doc = status_json();
	check_daemon_fields(doc);
	ck_assert(!json_object_get_boolean(gicctl_json_get(doc, "attached")));
	ck_assert(!json_object_get_boolean(gicctl_json_get(doc, "awaiting_reattach")));
	ck_assert(json_object_is_type(gicctl_json_get(doc, "vm"), json_type_null));
	ck_assert_uint_eq(counter(doc, "splitgic_vm_attached"), 0);
	/* This is the second admin request the daemon took. */
	ck_assert_uint_ge(counter(doc, "splitgic_admin_requests_total"), 2);
	ck_assert_uint_eq(counter(doc, "splitgic_control_hello_total{result=\"ok\"}"), 0);
	json_object_put(doc);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_status_vm)
{
	enum { K = 25 };
	const char *args[] = { "status", NULL };
	struct sg_vm_shape shape;
	struct sg_vm *vm;
	struct gicctl_run r;
	json_object *before, *after, *v, *c;

	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 2, 64, 0);
	vm = harness_vm_create(&shape);
	harness_vm_connect(vm, &d, "test");
	(void)harness_gicd_read(vm, 0, GICD_TYPER, 4);

	before = status_json();
	check_daemon_fields(before);
	ck_assert(json_object_get_boolean(gicctl_json_get(before, "attached")));
	ck_assert(!json_object_get_boolean(gicctl_json_get(before, "awaiting_reattach")));
	v = gicctl_json_get(before, "vm");
	ck_assert_uint_eq(get_u64(v, "vcpus"), 2);
	ck_assert_uint_eq(get_u64(v, "spis"), 64);
	ck_assert_uint_eq(get_u64(v, "its"), 0);
	ck_assert_uint_eq(get_u64(v, "ram_regions"), 0);
	ck_assert_uint_eq(get_u64(v, "epoch"), 1);
	ck_assert_uint_eq(get_u64(v, "resync_wait"), 0);
	/* The agent connected from this process. */
	ck_assert_uint_eq(get_u64(gicctl_json_get(v, "vmm"), "pid"), (uint64_t)getpid());
	ck_assert_uint_eq(get_u64(gicctl_json_get(v, "vmm"), "uid"), (uint64_t)getuid());
	/* A first attach writes a full snapshot. */
	ck_assert(json_object_is_type(gicctl_json_get(v, "last_snapshot"), json_type_object));
	ck_assert_uint_gt(get_u64(gicctl_json_get(v, "last_snapshot"), "bytes"), 0);
	ck_assert_uint_eq(json_object_array_length(gicctl_json_get(v, "channels")), 3);
	ck_assert_str_eq(
		json_object_get_string(gicctl_json_get(
			json_object_array_get_idx(gicctl_json_get(v, "channels"), 0), "name")),
		"mmio0");
	ck_assert_str_eq(
		json_object_get_string(gicctl_json_get(
			json_object_array_get_idx(gicctl_json_get(v, "channels"), 2), "name")),
		"bus");
	ck_assert_uint_ge(get_u64(channel(before, "mmio0"), "received"), 1);
	ck_assert_uint_eq(counter(before, "splitgic_vm_attached"), 1);
	ck_assert_uint_eq(counter(before, "splitgic_control_hello_total{result=\"ok\"}"), 1);
	/* Per-channel counters are in the channel table, not in counters. */
	ck_assert(!json_object_object_get_ex(gicctl_json_get(before, "counters"),
					     "splitgic_channel_rx_total{channel=\"mmio0\"}", NULL));

	for (unsigned i = 0; i < K; i++)
		(void)harness_gicd_read(vm, 0, GICD_CTLR, 4);
	after = status_json();
	c = channel(after, "mmio0");
	ck_assert_uint_ge(get_u64(c, "received"),
			  get_u64(channel(before, "mmio0"), "received") + K);
	ck_assert_uint_ge(get_u64(c, "last_applied"),
			  get_u64(channel(before, "mmio0"), "last_applied") + K);
	ck_assert_uint_ge(get_u64(c, "sent"), get_u64(channel(before, "mmio0"), "sent") + K);
	ck_assert_uint_eq(get_u64(c, "rejected"), 0);
	/* vCPU 1 did nothing meanwhile. */
	ck_assert_uint_eq(get_u64(channel(after, "mmio1"), "received"),
			  get_u64(channel(before, "mmio1"), "received"));
	ck_assert_uint_ge(counter(after, "splitgic_core_mmio_reads_total"),
			  counter(before, "splitgic_core_mmio_reads_total") + K);
	ck_assert_uint_ge(counter(after, "splitgic_drain_fences_total"),
			  counter(before, "splitgic_drain_fences_total") + K);
	ck_assert_uint_gt(get_u64(after, "uptime_ns"), get_u64(before, "uptime_ns"));
	json_object_put(before);
	json_object_put(after);

	/* The text form: fields and an aligned channel table. */
	r = gicctl_run(&d, args);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "state           attached by VMM pid "));
	ck_assert_ptr_nonnull(strstr(r.out, "vCPUs           2\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "SPIs            64\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "epoch           1\n"));
	ck_assert_ptr_nonnull(strstr(r.out, " bytes\n"));
	ck_assert_ptr_nonnull(
		strstr(r.out, "CHANNEL  RECEIVED  SENT  REJECTED  LAST APPLIED  QUEUED\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\nmmio0  "));
	ck_assert_ptr_nonnull(strstr(r.out, "\nmmio1  "));
	ck_assert_ptr_nonnull(strstr(r.out, "\nbus    "));
	gicctl_run_free(&r);

	sg_vm_destroy(vm);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

/* 100 vCPUs: 101 channels and their status span more than one reply. */
START_TEST(test_status_large_vm)
{
	struct sg_vm_shape shape;
	struct sg_attachment att;
	json_object *doc, *chans;
	char name[16];

	harness_daemon_start(&d, NULL);
	harness_shape(&shape, 100, 960, 1);
	harness_attach(&d, &shape, &att);
	doc = status_json();
	chans = gicctl_json_get(gicctl_json_get(doc, "vm"), "channels");
	ck_assert_uint_eq(json_object_array_length(chans), 101);
	for (unsigned i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "mmio%u", i);
		ck_assert_str_eq(json_object_get_string(gicctl_json_get(
					 json_object_array_get_idx(chans, i), "name")),
				 name);
	}
	ck_assert_uint_eq(get_u64(gicctl_json_get(doc, "vm"), "vcpus"), 100);
	ck_assert_uint_eq(get_u64(gicctl_json_get(doc, "vm"), "spis"), 960);
	ck_assert_uint_eq(get_u64(gicctl_json_get(doc, "vm"), "its"), 1);
	ck_assert_uint_eq(counter(doc, "splitgic_its_commands_total{its=\"0\"}"), 0);
	json_object_put(doc);
	sg_attachment_close(&att);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

/* A daemon restarted without an fd store on a state file that holds a VM. */
START_TEST(test_status_awaiting_reattach)
{
	char dir[] = "/tmp/gicctl-status-XXXXXX", path[64], arg[80];
	const char *extra[] = { arg, NULL };
	const char *args[] = { "status", NULL };
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct gicctl_run r;
	json_object *doc;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(arg, sizeof(arg), "--state-file=%s", path);
	harness_daemon_start(&d, extra);
	harness_shape(&shape, 1, 32, 0);
	harness_attach(&d, &shape, &att);
	doc = status_json();
	ck_assert_str_eq(json_object_get_string(gicctl_json_get(doc, "state_store")),
			 (snprintf(arg, sizeof(arg), "state file %s", path), arg));
	json_object_put(doc);
	snprintf(arg, sizeof(arg), "--state-file=%s", path);
	ck_assert_int_eq(harness_daemon_restart(&d, SIGKILL, extra), 128 + SIGKILL);
	sg_attachment_close(&att);

	doc = status_json();
	ck_assert(!json_object_get_boolean(gicctl_json_get(doc, "attached")));
	ck_assert(json_object_get_boolean(gicctl_json_get(doc, "awaiting_reattach")));
	ck_assert(json_object_is_type(gicctl_json_get(doc, "vm"), json_type_null));
	json_object_put(doc);
	r = gicctl_run(&d, args);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_ptr_nonnull(
		strstr(r.out, "no VM attached: a saved VM waits for its VMM to re-attach"));
	gicctl_run_free(&r);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/*
 * gicctl as a uid the daemon does not allow (its default list: root and
 * its own euid): refused, exit 1.  As root, gicctl runs as nobody (65534)
 * on a socket opened up for it; otherwise the daemon allows only another uid.
 */
START_TEST(test_status_denied)
{
	const char *gicctl = getenv("GICCTL");
	int err[2], status;
	char msg[1024] = "";
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (geteuid() == 0) {
		harness_daemon_start(&d, NULL);
		ck_assert_int_eq(chmod(d.control_path, 0666), 0);
	} else {
		char uid[32];
		const char *extra[] = { uid, NULL };

		snprintf(uid, sizeof(uid), "--allow-uid=%u", (unsigned)getuid() + 1);
		harness_daemon_start(&d, extra);
	}
	ck_assert_ptr_nonnull(gicctl);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		     setresuid(65534, 65534, 65534) < 0))
			_exit(126);
		dup2(err[1], STDERR_FILENO);
		dup2(err[1], STDOUT_FILENO);
		execl(gicctl, gicctl, "-s", d.control_path, "status", (char *)NULL);
		_exit(127);
	}
	close(err[1]);
	while (len < sizeof(msg) - 1 && (n = read(err[0], msg + len, sizeof(msg) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(n, 0);
		len += (size_t)n;
	}
	msg[len] = '\0';
	close(err[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "gicctl: status %d: %s",
		      status, msg);
	ck_assert_msg(strstr(msg, "refused") && strstr(msg, "not allowed"), "gicctl said: %s", msg);
	ck_assert_uint_ge(harness_log_count(&d, "refused (DENIED)"), 1);
	ck_assert_int_eq(harness_daemon_stop(&d), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gicctl-status");
	TCase *tc = tcase_create("status");

	tcase_add_test(tc, test_status_no_vm);
	tcase_add_test(tc, test_status_vm);
	tcase_add_test(tc, test_status_large_vm);
	tcase_add_test(tc, test_status_awaiting_reattach);
	tcase_add_test(tc, test_status_denied);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
