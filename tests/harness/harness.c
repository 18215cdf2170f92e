// SPDX-License-Identifier: MIT
#include "harness.h"

#ifdef HARNESS_NO_CHECK
#include "harness_nocheck.h"
#else
#include <check.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gic_regs.h"
#include "harness_files.h"
#include "splitgic/agent.h"

/* Safety net for a daemon that never gets ready: not a synchronisation. */
#define READY_TIMEOUT_MS (60000 * (int)harness_timeout_scale())
#define MAX_EXTRA_ARGS	 32
#define MAX_WRAPPER_ARGS 32

unsigned harness_timeout_scale(void)
{
	const char *m = getenv("HARNESS_TIMEOUT_MULTIPLIER");
	unsigned long v = m && m[0] ? strtoul(m, NULL, 10) : 1;

	return v >= 1 && v <= 1000 ? (unsigned)v : 1;
}

/*
 * GICD_SERVER_WRAPPER (e.g. "valgrind --error-exitcode=97 ..."): split on
 * blanks into argv[0..n-1]; returns n (0: no wrapper).  The string is copied
 * into buf, which the words point into.
 */
static unsigned wrapper_argv(char *buf, size_t len, const char **argv)
{
	const char *w = getenv("GICD_SERVER_WRAPPER");
	unsigned n = 0;

	if (!w || !w[0] || strlen(w) >= len)
		return 0;
	strcpy(buf, w);
	for (char *save, *t = strtok_r(buf, " \t", &save); t && n < MAX_WRAPPER_ARGS;
	     t = strtok_r(NULL, " \t", &save))
		argv[n++] = t;
	return n;
}

bool harness_daemon_wrapped(void)
{
	char buf[1024];
	const char *argv[MAX_WRAPPER_ARGS];

	return wrapper_argv(buf, sizeof(buf), argv) > 0;
}

/* The wrapper's --error-exitcode=N (valgrind's "I found errors"), or -1. */
static int wrapper_error_code(void)
{
	const char *w = getenv("GICD_SERVER_WRAPPER");
	const char *p = w ? strstr(w, "--error-exitcode=") : NULL;

	return p ? atoi(p + strlen("--error-exitcode=")) : -1;
}

/* A daemon run under a checking wrapper that reported errors fails the test,
 * whatever exit code the test itself expected. */
static void check_wrapper_code(const struct harness_daemon *d, int code)
{
	int err = wrapper_error_code();

	if (err > 0 && code == err) {
		harness_print_log("gicd-server", d->log_path);
		ck_abort_msg("gicd-server exited with %d: the wrapper (%s) found errors", code,
			     getenv("GICD_SERVER_WRAPPER"));
	}
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void dump_log(const struct harness_daemon *d)
{
	harness_print_log("gicd-server", d->log_path);
}

static int notify_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s: %s", path,
		      strerror(errno));
	/* As systemd's: a daemon that switched to another user (--user)
	 * still reports READY=1. */
	ck_assert_int_eq(chmod(path, 0666), 0);
	return fd;
}

static const char *temp_base(void)
{
	const char *t = getenv("TMPDIR");

	/* Socket paths must fit in sun_path (108 bytes). */
	return t && t[0] && strlen(t) < 60 ? t : "/tmp";
}

/* fds to hand the daemon as sd_listen_fds() expects them, with their names. */
struct pass {
	unsigned n;
	const int *fds;
	char names[HARNESS_MAX_STORED * 17 + 1]; /* colon-separated, "" if none */
};

static void exec_daemon(const struct harness_daemon *d, const char *server, const char *notify,
			const char *const *extra_args, const struct pass *pass)
{
	const char *argv[MAX_WRAPPER_ARGS + 9 + MAX_EXTRA_ARGS + 1];
	char wrapper[1024];
	unsigned n = wrapper_argv(wrapper, sizeof(wrapper), argv);
	bool wrapped = n > 0;
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (d->starts ? 0 : O_TRUNC);
	int log = open(d->log_path, flags, 0600);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int high[HARNESS_MAX_STORED];

	if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	/* A test that dies must not leave its daemon behind. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setenv("NOTIFY_SOCKET", notify, 1);
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (pass->n) {
		char pid[32], nfds[16];

		/* The sd_listen_fds() protocol: fds from 3 on, for this very pid.
		 * Out of the way first, so none is overwritten before it moves. */
		for (unsigned i = 0; i < pass->n; i++)
			if ((high[i] = fcntl(pass->fds[i], F_DUPFD_CLOEXEC, 3 + pass->n)) < 0)
				_exit(127);
		for (unsigned i = 0; i < pass->n; i++)
			if (dup2(high[i], 3 + (int)i) < 0)
				_exit(127);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		snprintf(nfds, sizeof(nfds), "%u", pass->n);
		setenv("LISTEN_FDS", nfds, 1);
		setenv("LISTEN_PID", pid, 1);
		if (pass->names[0])
			setenv("LISTEN_FDNAMES", pass->names, 1);
	}
	argv[n++] = server;
	argv[n++] = "--control-socket";
	argv[n++] = d->control_path;
	argv[n++] = "--vm";
	argv[n++] = "test";
	argv[n++] = "--log-level";
	argv[n++] = "debug";
	/* A wrapper (valgrind) makes system calls the filter does not allow
	 * (its own mmaps with PROT_EXEC, its signal machinery): the rest of
	 * the sandbox stays, the filter goes (docs/fuzzing.md, "Valgrind"). */
	if (wrapped)
		argv[n++] = "--no-seccomp";
	for (unsigned i = 0; extra_args && extra_args[i] && i < MAX_EXTRA_ARGS; i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;
	if (wrapped)
		execvp(argv[0], (char *const *)argv);
	else
		execv(server, (char *const *)argv);
	_exit(127);
}

static void store_forget(struct harness_daemon *d, const char *name)
{
	for (unsigned i = 0; i < d->nr_stored; i++)
		if (strcmp(d->stored_name[i], name) == 0) {
			close(d->stored_fd[i]);
			d->nr_stored--;
			d->stored_fd[i] = d->stored_fd[d->nr_stored];
			memcpy(d->stored_name[i], d->stored_name[d->nr_stored], 16);
			return;
		}
}

/*
 * One notification datagram: READY=1 is reported; in managed mode
 * FDSTORE=1/FDSTOREREMOVE=1 with FDNAME= update the fd store as systemd's
 * does (a name stored again replaces the old fd).  Returns -1 if nothing
 * was queued.
 */
static int read_notify(struct harness_daemon *d, int nfd, bool *ready)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	char buf[4096], name[16] = "";
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	bool store = false, remove_ = false;
	int fds[16];
	unsigned nfds = 0;
	ssize_t n = recvmsg(nfd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0;
			     i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfds < 16; i++)
				memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	for (char *save, *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "READY=1") == 0)
			*ready = true;
		else if (strcmp(line, "FDSTORE=1") == 0)
			store = true;
		else if (strcmp(line, "FDSTOREREMOVE=1") == 0)
			remove_ = true;
		else if (strncmp(line, "FDNAME=", 7) == 0)
			snprintf(name, sizeof(name), "%s", line + 7);
	}
	if (d->managed && remove_ && name[0])
		store_forget(d, name);
	for (unsigned i = 0; i < nfds; i++) {
		if (d->managed && store && name[0] && d->nr_stored < HARNESS_MAX_STORED) {
			store_forget(d, name);
			d->stored_fd[d->nr_stored] = fds[i];
			memcpy(d->stored_name[d->nr_stored], name, sizeof(name));
			d->nr_stored++;
		} else {
			close(fds[i]);
		}
	}
	return 0;
}

/* Waits for READY=1; false if the daemon died first. */
static bool wait_ready(struct harness_daemon *d, int nfd, int pidfd)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = nfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		int rc = poll(p, 2, READY_TIMEOUT_MS);
		bool ready = false;

		if (rc < 0 && errno == EINTR)
			continue;
		ck_assert_msg(rc > 0, "gicd-server sent no READY=1 within %d ms", READY_TIMEOUT_MS);
		if (p[0].revents & POLLIN) {
			while (read_notify(d, nfd, &ready) == 0)
				;
			if (ready)
				return true;
			continue;
		}
		if (p[1].revents)
			return false;
	}
}

static void launch(struct harness_daemon *d, const char *const *extra_args, const struct pass *pass)
{
	const char *server = d->server[0] ? d->server : getenv("GICD_SERVER");
	char notify[320];
	int nfd, pidfd;

	ck_assert_msg(server && server[0],
		      "GICD_SERVER is not set (run the tests with meson test)");
	snprintf(notify, sizeof(notify), "%s/notify.sock", d->dir);
	nfd = d->notify_fd >= 0 ? d->notify_fd : notify_socket(notify);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0)
		exec_daemon(d, server, notify, extra_args, pass);
	d->starts++;
	pidfd = pidfd_open_(d->pid);
	ck_assert_msg(pidfd >= 0, "pidfd_open: %s", strerror(errno));
	if (!wait_ready(d, nfd, pidfd)) {
		dump_log(d);
		ck_abort_msg("gicd-server exited before it was ready");
	}
	close(pidfd);
	if (d->managed) {
		d->notify_fd = nfd; /* the fd store's messages keep coming here */
	} else {
		close(nfd);
		unlink(notify);
	}
}

static void start(struct harness_daemon *d, const char *const *extra_args, int listen_fd,
		  const char *fdname, bool managed)
{
	struct pass pass = { 0 };

	memset(d, 0, sizeof(*d));
	d->notify_fd = -1;
	d->managed = managed;
	snprintf(d->dir, sizeof(d->dir), "%s/splitgic-XXXXXX", temp_base());
	ck_assert_msg(mkdtemp(d->dir), "mkdtemp: %s", strerror(errno));
	/* Searchable by a daemon running as another user (--user). */
	ck_assert_int_eq(chmod(d->dir, 0711), 0);
	snprintf(d->control_path, sizeof(d->control_path), "%s/control.sock", d->dir);
	snprintf(d->log_path, sizeof(d->log_path), "%s/daemon.log", d->dir);
	if (listen_fd >= 0) {
		pass.n = 1;
		pass.fds = &listen_fd;
		snprintf(pass.names, sizeof(pass.names), "%s", fdname ? fdname : "");
	}
	launch(d, extra_args, &pass);
}

void harness_daemon_start(struct harness_daemon *d, const char *const *extra_args)
{
	start(d, extra_args, -1, NULL, false);
}

void harness_daemon_start_managed(struct harness_daemon *d, const char *const *extra_args)
{
	start(d, extra_args, -1, NULL, true);
}

void harness_daemon_start_activated(struct harness_daemon *d, int listen_fd, const char *fdname,
				    const char *const *extra_args)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	start(d, extra_args, listen_fd, fdname, false);
	memset(&sa, 0, sizeof(sa));
	ck_assert_int_eq(getsockname(listen_fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(d->control_path, sizeof(d->control_path), "%s", sa.sun_path);
}

static int reap(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	ck_assert_int_eq(r, pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Reaps the daemon.  In managed mode the notification socket is read
 * meanwhile, as a service manager reads it all the time: a daemon whose
 * sd_notify() blocks on a full socket (FDSTOREREMOVE=1 at detach sends one
 * datagram per stored fd, more than the socket queues) never gets to exit.
 */
static int reap_draining(struct harness_daemon *d)
{
	int pidfd = d->managed && d->notify_fd >= 0 ? pidfd_open_(d->pid) : -1;

	while (pidfd >= 0) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN },
				       { .fd = d->notify_fd, .events = POLLIN } };
		bool ready;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN)
			while (read_notify(d, d->notify_fd, &ready) == 0)
				;
		if (p[0].revents)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	return reap(d->pid);
}

int harness_daemon_restart(struct harness_daemon *d, int sig, const char *const *extra_args)
{
	struct pass pass = { 0 };
	bool ready;
	int code;

	ck_assert_int_gt(d->pid, 0);
	kill(d->pid, sig);
	code = reap_draining(d);
	check_wrapper_code(d, code);
	d->pid = 0;
	if (d->managed) {
		size_t off = 0;

		while (read_notify(d, d->notify_fd, &ready) == 0)
			;
		pass.n = d->nr_stored;
		pass.fds = d->stored_fd;
		for (unsigned i = 0; i < d->nr_stored; i++)
			off += (size_t)snprintf(pass.names + off, sizeof(pass.names) - off, "%s%s",
						i ? ":" : "", d->stored_name[i]);
	}
	launch(d, extra_args, &pass);
	return code;
}

int harness_daemon_stop(struct harness_daemon *d)
{
	int code;

	ck_assert_int_gt(d->pid, 0);
	kill(d->pid, SIGTERM); /* may already be a zombie: that is fine */
	code = reap_draining(d);
	check_wrapper_code(d, code);
	/* HARNESS_SHOW_LOG=1 shows every daemon's log, not only failed ones. */
	if (code != 0 || getenv("HARNESS_SHOW_LOG"))
		dump_log(d);
	d->pid = 0;
	for (unsigned i = 0; i < d->nr_stored; i++)
		close(d->stored_fd[i]);
	d->nr_stored = 0;
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	d->notify_fd = -1;
	harness_rm_tree(d->dir);
	return code;
}

void harness_daemon_set_server(struct harness_daemon *d, const char *path)
{
	ck_assert_msg(path && strlen(path) < sizeof(d->server), "server path too long");
	snprintf(d->server, sizeof(d->server), "%s", path);
}

bool harness_daemon_alive(struct harness_daemon *d)
{
	siginfo_t si;

	if (d->pid <= 0)
		return false;
	memset(&si, 0, sizeof(si));
	/* WNOWAIT: leave the exit status for harness_daemon_stop(). */
	if (waitid(P_PID, (id_t)d->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return false;
	return si.si_pid == 0;
}

unsigned harness_log_count(const struct harness_daemon *d, const char *needle)
{
	char line[2048];
	unsigned n = 0;
	FILE *f = fopen(d->log_path, "r");

	ck_assert_msg(f, "cannot open %s", d->log_path);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

void harness_shape(struct sg_vm_shape *s, unsigned nr_vcpus, unsigned nr_spis, unsigned nr_its)
{
	ck_assert_uint_ge(nr_vcpus, 1);
	ck_assert_uint_le(nr_vcpus, SG_MAX_VCPUS);
	memset(s, 0, sizeof(*s));
	s->nr_vcpus = nr_vcpus;
	for (unsigned i = 0; i < nr_vcpus; i++)
		s->mpidr[i] = ((uint64_t)(i / 16) << 8) | (i % 16);
	s->nr_spis = nr_spis;
	s->lr_count = 4;
	sg_addr_map_default(&s->map, nr_its);
}

void harness_attach(struct harness_daemon *d, const struct sg_vm_shape *s,
		    struct sg_attachment *att)
{
	char err[256] = "";
	int rc = sg_attach(d->control_path, "test", s, NULL, 0, NULL, 0,
			   10000 * (int)harness_timeout_scale(), att, err, sizeof(err));

	if (rc != 0)
		dump_log(d);
	ck_assert_msg(rc == 0, "attach failed (%d): %s", rc, err);
}

int harness_memfd(size_t size)
{
	int fd = memfd_create("splitgic-test-ram", MFD_CLOEXEC);

	ck_assert_msg(fd >= 0, "memfd_create: %s", strerror(errno));
	ck_assert_msg(ftruncate(fd, (off_t)size) == 0, "ftruncate: %s", strerror(errno));
	return fd;
}

/* ------------------------------------------- a VM through libvcpu-agent */

void harness_vm_config(struct sg_vm_config *cfg, const struct sg_vm_shape *s)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = s->nr_vcpus;
	cfg->mpidr = s->mpidr;
	cfg->lr_count = s->lr_count;
	cfg->nr_spis = s->nr_spis;
	cfg->map = s->map;
}

struct sg_vm *harness_vm_create(const struct sg_vm_shape *s)
{
	struct sg_vm_config cfg;
	struct sg_vm *vm = NULL;
	int rc;

	harness_vm_config(&cfg, s);
	rc = sg_vm_create(&cfg, &vm);
	ck_assert_msg(rc == 0, "sg_vm_create: %s", strerror(-rc));
	return vm;
}

void harness_vm_connect(struct sg_vm *vm, struct harness_daemon *d, const char *name)
{
	char err[256] = "";
	int rc = sg_vm_connect(vm, d->control_path, name, err, sizeof(err));

	if (rc != 0)
		dump_log(d);
	ck_assert_msg(rc == 0, "sg_vm_connect (%d): %s", rc, err);
}

void harness_vm_enable_grp1(struct sg_vm *vm)
{
	for (unsigned i = 0; i < sg_vm_shape(vm)->nr_vcpus; i++) {
		struct sg_cpuif *c = sg_vcpu_cpuif(sg_vm_vcpu(vm, i));

		sg_cpuif_set_igrpen(c, 1, true);
		sg_cpuif_set_pmr(c, 0xF8);
	}
}

static void gicd_access(struct sg_vm *vm, unsigned vcpu, uint32_t off, unsigned size, bool write,
			uint64_t *val)
{
	enum sg_mmio_result r =
		sg_vcpu_mmio(sg_vm_vcpu(vm, vcpu), SG_DEFAULT_GICD_BASE + off, size, write, val);

	ck_assert_msg(r == SG_MMIO_DONE, "GICD %s of %u bytes at 0x%x via vCPU %u: result %d",
		      write ? "write" : "read", size, off, vcpu, (int)r);
}

uint64_t harness_gicd_read(struct sg_vm *vm, unsigned vcpu, uint32_t off, unsigned size)
{
	uint64_t val = 0;

	gicd_access(vm, vcpu, off, size, false, &val);
	return val;
}

void harness_gicd_write(struct sg_vm *vm, unsigned vcpu, uint32_t off, unsigned size, uint64_t val)
{
	gicd_access(vm, vcpu, off, size, true, &val);
}

uint32_t harness_take_irq(struct sg_vm *vm, unsigned vcpu)
{
	struct sg_vcpu *vc = sg_vm_vcpu(vm, vcpu);
	struct sg_cpuif *c = sg_vcpu_cpuif(vc);
	uint32_t id = GIC_INTID_SPURIOUS;

	/* sg_vcpu_wait() returns as soon as there is one: the slices only
	 * bound the wait. */
	for (int i = 0; i < 2000 && id == GIC_INTID_SPURIOUS; i++) {
		sg_vcpu_wait(vc, 100000000ll);
		sg_vcpu_flush(vc);
		if (sg_cpuif_virq(c))
			id = sg_cpuif_iar(c, 1);
		sg_vcpu_sync(vc);
	}
	return id;
}

void harness_eoi(struct sg_vm *vm, unsigned vcpu, uint32_t intid)
{
	struct sg_vcpu *vc = sg_vm_vcpu(vm, vcpu);

	sg_vcpu_flush(vc);
	sg_cpuif_eoir(sg_vcpu_cpuif(vc), 1, intid);
	sg_vcpu_sync(vc);
}
