// SPDX-License-Identifier: MIT
#include "sd_user.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_files.h"

extern char **environ;

/* Safety nets only: a manager that never gets ready or never exits. */
#define READY_TIMEOUT_MS 60000
#define EXIT_TIMEOUT_MS	 30000
#define MAX_ARGS	 24
#define MAX_ENV		 512

static const char *const systemd_paths[] = { "/usr/lib/systemd/systemd", "/lib/systemd/systemd" };

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static const char *find_systemd(void)
{
	for (size_t i = 0; i < sizeof(systemd_paths) / sizeof(systemd_paths[0]); i++)
		if (access(systemd_paths[i], X_OK) == 0)
			return systemd_paths[i];
	return NULL;
}

static int mkdir_p(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static void exec_manager(const struct sd_user *m, const char *systemd, const char *notify)
{
	char path[256];
	int log = open(m->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	static const char *const drop[] = {
		"DBUS_SESSION_BUS_ADDRESS", "LISTEN_FDS",   "LISTEN_PID",
		"LISTEN_FDNAMES",	    "MANAGERPID",   "INVOCATION_ID",
		"JOURNAL_STREAM",	    "WATCHDOG_PID", "WATCHDOG_USEC",
		"SYSTEMD_EXEC_PID"
	};

	if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	/* A test that dies must not leave its manager (and daemons) behind. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setsid();
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		unsetenv(drop[i]);
	setenv("XDG_RUNTIME_DIR", m->runtime_dir, 1);
	snprintf(path, sizeof(path), "%s/config", m->dir);
	setenv("XDG_CONFIG_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/data", m->dir);
	setenv("XDG_DATA_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/state", m->dir);
	setenv("XDG_STATE_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/cache", m->dir);
	setenv("XDG_CACHE_HOME", path, 1);
	setenv("NOTIFY_SOCKET", notify, 1);
	/* No journal in here: the manager's messages (and why a unit failed)
	 * go to its stderr, the log file. */
	setenv("SYSTEMD_LOG_TARGET", "console", 1);
	execl(systemd, systemd, "--user", (char *)NULL);
	_exit(127);
}

/* Waits for READY=1 on nfd; false if the manager exited first or never said it. */
static bool wait_ready(int nfd, int pidfd)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = nfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		char buf[4096];
		int rc = poll(p, 2, READY_TIMEOUT_MS);
		ssize_t n;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return false;
		if (p[0].revents & POLLIN) {
			n = recv(nfd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (n > 0) {
				buf[n] = '\0';
				for (char *save, *l = strtok_r(buf, "\n", &save); l;
				     l = strtok_r(NULL, "\n", &save))
					if (strcmp(l, "READY=1") == 0)
						return true;
			}
			continue;
		}
		if (p[1].revents)
			return false;
	}
}

void sd_user_dump_log(const struct sd_user *m)
{
	harness_print_log("systemd --user", m->log_path);
}

/*
 * Where the manager's directory goes: somewhere the units' sandbox leaves
 * visible, or the service's NOTIFY_SOCKET does not resolve and the fd store
 * is out of reach.  Not /tmp (PrivateTmp=), /dev/shm (PrivateDevices=),
 * /home or /root (ProtectHome=), nor /run on a host where /run is not a
 * mount of its own (the sandbox then mounts an empty tmpfs there).  The
 * test's meson.build names its build directory in SPLITGIC_SD_DIR.
 */
static const char *runtime_base(void)
{
	const char *d = getenv("SPLITGIC_SD_DIR");

	if (d && d[0] == '/' && strlen(d) < 60 && access(d, W_OK) == 0)
		return d;
	return NULL;
}

/*
 * The services run as a DynamicUser=, not as the manager's user: like PID 1's
 * /run/systemd/notify, the manager's notify socket must be reachable by
 * them (READY=1, WATCHDOG=1 and the fd store go through it).  Traverse-only
 * on the directories above it.
 */
static int open_notify_socket(struct sd_user *m, char *why, size_t whylen)
{
	char sys[300], sock[320];

	snprintf(sys, sizeof(sys), "%s/systemd", m->runtime_dir);
	snprintf(sock, sizeof(sock), "%s/notify", sys);
	if (chmod(m->dir, 0711) < 0 || chmod(m->runtime_dir, 0711) < 0 || chmod(sys, 0711) < 0 ||
	    chmod(sock, 0666) < 0) {
		say(why, whylen, "cannot open %s to the services: %s", sock, strerror(errno));
		sd_user_stop(m);
		return -1;
	}
	return 0;
}

int sd_user_start(struct sd_user *m, char *why, size_t whylen)
{
	const char *systemd = find_systemd(), *t = runtime_base();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char notify[100];
	int nfd, pidfd;
	bool ready;

	memset(m, 0, sizeof(*m));
	if (!systemd) {
		say(why, whylen, "no systemd binary (%s)", systemd_paths[0]);
		return -1;
	}
	/* sd_booted(): the host runs systemd, so a user manager can too. */
	if (access("/run/systemd/system", F_OK) != 0) {
		say(why, whylen, "/run/systemd/system does not exist: not a systemd host");
		return -1;
	}
	if (!t) {
		say(why, whylen,
		    "SPLITGIC_SD_DIR (the user manager's directory) is not set, "
		    "not writable or longer than 59 bytes");
		return -1;
	}
	/* Short: the notify socket and the units' sockets live below it. */
	snprintf(m->dir, sizeof(m->dir), "%s/splitgic-sd-XXXXXX", t);
	if (!mkdtemp(m->dir)) {
		say(why, whylen, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	snprintf(m->runtime_dir, sizeof(m->runtime_dir), "%s/run", m->dir);
	snprintf(m->unit_dir, sizeof(m->unit_dir), "%s/config/systemd/user", m->dir);
	snprintf(m->log_path, sizeof(m->log_path), "%s/manager.log", m->dir);
	if ((size_t)snprintf(notify, sizeof(notify), "%s/notify.sock", m->dir) >= sizeof(notify)) {
		say(why, whylen, "temporary directory path too long: %s", m->dir);
		goto fail_dir;
	}
	if (mkdir(m->runtime_dir, 0700) < 0 || mkdir_p(m->unit_dir) < 0) {
		say(why, whylen, "cannot create %s: %s", m->runtime_dir, strerror(errno));
		goto fail_dir;
	}
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		say(why, whylen, "notify socket: %s", strerror(errno));
		if (nfd >= 0)
			close(nfd);
		goto fail_dir;
	}
	m->pid = fork();
	if (m->pid < 0) {
		say(why, whylen, "fork: %s", strerror(errno));
		close(nfd);
		goto fail_dir;
	}
	if (m->pid == 0)
		exec_manager(m, systemd, notify);
	pidfd = pidfd_open_(m->pid);
	ready = pidfd >= 0 && wait_ready(nfd, pidfd);
	if (pidfd >= 0)
		close(pidfd);
	close(nfd);
	if (!ready) {
		say(why, whylen, "systemd --user did not come up (log above)");
		sd_user_dump_log(m);
		sd_user_stop(m);
		return -1;
	}
	return open_notify_socket(m, why, whylen);
fail_dir:
	harness_rm_tree(m->dir);
	return -1;
}

static int unit_path(struct sd_user *m, const char *name, char *path, size_t cap)
{
	char *slash;

	snprintf(path, cap, "%s/%s", m->unit_dir, name);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (mkdir_p(path) < 0)
		return -errno;
	*slash = '/';
	return 0;
}

int sd_user_install(struct sd_user *m, const char *src, const char *name)
{
	char path[512], buf[8192];
	FILE *in, *out;
	size_t n;
	int rc = unit_path(m, name, path, sizeof(path));

	if (rc < 0)
		return rc;
	in = fopen(src, "r");
	if (!in)
		return -errno;
	out = fopen(path, "w");
	if (!out) {
		rc = -errno;
		fclose(in);
		return rc;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -EIO;
	fclose(in);
	if (fclose(out) != 0)
		rc = -EIO;
	return rc;
}

int sd_user_write(struct sd_user *m, const char *name, const char *text)
{
	char path[512];
	FILE *out;
	int rc = unit_path(m, name, path, sizeof(path));

	if (rc < 0)
		return rc;
	out = fopen(path, "w");
	if (!out)
		return -errno;
	fputs(text, out);
	return fclose(out) == 0 ? 0 : -EIO;
}

/* environ for systemctl: this manager's XDG_RUNTIME_DIR, no session bus. */
static char **ctl_env(const struct sd_user *m, char *xdg, size_t cap)
{
	static char *env[MAX_ENV];
	size_t n = 0;

	snprintf(xdg, cap, "XDG_RUNTIME_DIR=%s", m->runtime_dir);
	for (char **e = environ; *e && n < MAX_ENV - 2; e++)
		if (strncmp(*e, "XDG_RUNTIME_DIR=", 16) != 0 &&
		    strncmp(*e, "DBUS_SESSION_BUS_ADDRESS=", 25) != 0)
			env[n++] = *e;
	env[n++] = xdg;
	env[n] = NULL;
	return env;
}

/* A temporary file in the manager's directory for one of systemctl's
 * outputs; unlinked at once, read back from the start. */
static int ctl_tmp(const struct sd_user *m)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/systemctl-XXXXXX", m->dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Appends what fd holds to out (of cap bytes, NUL-terminated). */
static void ctl_read(int fd, char *out, size_t cap)
{
	size_t len = strlen(out);
	ssize_t got = len + 1 < cap ? pread(fd, out + len, cap - 1 - len, 0) : 0;

	out[len + (got > 0 ? (size_t)got : 0)] = '\0';
}

/*
 * out: systemctl's standard output (what `show -P` prints), followed by its
 * standard error only when it failed: its own log lines (SYSTEMD_LOG_LEVEL
 * set in the environment, say) never mix into a property's value.
 */
int sd_user_ctl(struct sd_user *m, char *out, size_t cap, ...)
{
	const char *argv[MAX_ARGS + 1];
	char xdg[256];
	posix_spawn_file_actions_t fa;
	unsigned n = 0;
	va_list ap;
	pid_t pid;
	int status, fd_out, fd_err, rc;

	argv[n++] = "systemctl";
	argv[n++] = "--user";
	va_start(ap, cap);
	for (const char *a; (a = va_arg(ap, const char *)) && n < MAX_ARGS;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	fd_out = ctl_tmp(m);
	fd_err = ctl_tmp(m);
	if (fd_out < 0 || fd_err < 0) {
		rc = -errno;
		if (fd_out >= 0)
			close(fd_out);
		if (fd_err >= 0)
			close(fd_err);
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd_out, 1);
	posix_spawn_file_actions_adddup2(&fa, fd_err, 2);
	rc = posix_spawnp(&pid, "systemctl", &fa, NULL, (char *const *)argv,
			  ctl_env(m, xdg, sizeof(xdg)));
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0) {
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				rc = errno;
				break;
			}
	}
	if (rc == 0 && out && cap) {
		out[0] = '\0';
		ctl_read(fd_out, out, cap);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ctl_read(fd_err, out, cap);
	}
	close(fd_out);
	close(fd_err);
	if (rc != 0)
		return -rc;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int sd_user_prop(struct sd_user *m, const char *unit, const char *prop, char *out, size_t cap)
{
	int rc = sd_user_ctl(m, out, cap, "show", "-P", prop, unit, (char *)NULL);
	size_t len = strlen(out);

	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	return rc == 0 ? 0 : rc > 0 ? -rc : rc;
}

bool sd_user_prop_u64(struct sd_user *m, const char *unit, const char *prop,
		      unsigned long long *val)
{
	char buf[128], *end;

	if (sd_user_prop(m, unit, prop, buf, sizeof(buf)) < 0 || !buf[0])
		return false;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	return errno == 0 && *end == '\0';
}

void sd_user_stop(struct sd_user *m)
{
	if (m->pid > 0) {
		int pidfd = pidfd_open_(m->pid), status;

		kill(m->pid, SIGTERM); /* a user manager starts exit.target */
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };

			if (poll(&p, 1, EXIT_TIMEOUT_MS) <= 0) {
				fprintf(stderr, "systemd --user did not exit: killing it\n");
				kill(m->pid, SIGKILL);
			}
			close(pidfd);
		}
		while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
			;
		m->pid = 0;
	}
	if (m->dir[0])
		harness_rm_tree(m->dir);
	m->dir[0] = '\0';
}
