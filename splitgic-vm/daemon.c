// SPDX-License-Identifier: MIT
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A safety net for a daemon that never gets ready, not a synchronisation. */
#define READY_TIMEOUT_MS 30000
#define MAX_ENV		 1024

extern char **environ;

static bool is_executable(const char *p)
{
	return access(p, X_OK) == 0;
}

void daemon_default_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (!buf || !len)
		return;
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/gicd-server", self);
			if (is_executable(buf))
				return;
			snprintf(buf, len, "%s/../gicd-server/gicd-server", self);
			if (is_executable(buf))
				return;
		}
	}
	snprintf(buf, len, "gicd-server");
}

static const char *runtime_base(void)
{
	const char *c[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp" };

	/* Socket paths must fit in sun_path (108 bytes). */
	for (unsigned i = 0; i < 3; i++)
		if (c[i] && c[i][0] == '/' && strlen(c[i]) < 60 && access(c[i], W_OK) == 0)
			return c[i];
	return "/tmp";
}

static int notify_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		goto fail;
	strcpy(sa.sun_path, path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto fail;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int wait_status(pid_t pid, int options, int *code)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, options);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return (int)r;
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 1;
}

/* Waits for READY=1; false if the daemon exited or the time ran out. */
static bool wait_ready(int nfd, int pidfd)
{
	struct timespec t0, t;
	char buf[4096];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[2] = { { .fd = nfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		long ms;
		int rc;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= READY_TIMEOUT_MS)
			return false;
		rc = poll(p, 2, (int)(READY_TIMEOUT_MS - ms));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return false;
		if (p[0].revents & POLLIN) {
			ssize_t n = recv(nfd, buf, sizeof(buf) - 1, 0);

			if (n <= 0)
				continue;
			buf[n] = '\0';
			for (char *save, *line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (strcmp(line, "READY=1") == 0)
					return true;
			continue;
		}
		if (p[1].revents)
			return false;
	}
}

/* The child's environment: ours without systemd's activation variables,
 * plus NOTIFY_SOCKET. */
static char **child_env(const char *notify_path, char *notify_var, size_t len)
{
	static char *env[MAX_ENV + 2];
	unsigned n = 0;

	for (char **e = environ; *e && n < MAX_ENV; e++)
		if (strncmp(*e, "NOTIFY_SOCKET=", 14) && strncmp(*e, "LISTEN_", 7))
			env[n++] = *e;
	snprintf(notify_var, len, "NOTIFY_SOCKET=%s", notify_path);
	env[n++] = notify_var;
	env[n] = NULL;
	return env;
}

/* An absolute path for a bare name, so that a restart forked from a
 * thread only calls execve() in the child. */
static void resolve_server(const char *server, char *out, size_t len)
{
	const char *path = getenv("PATH");

	snprintf(out, len, "%s", server);
	if (strchr(server, '/'))
		return;
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char cand[PATH_MAX];

		if (n > 0 && n + strlen(server) + 2 <= sizeof(cand)) {
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, path, server);
			if (is_executable(cand)) {
				snprintf(out, len, "%s", cand);
				return;
			}
		}
		path += n + (path[n] == ':');
	}
}

int daemon_spawn(struct daemon *d, const char *server, const char *vm_name, const char *log_level,
		 bool state_file, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->pidfd = -1;
	resolve_server(server, d->server, sizeof(d->server));
	snprintf(d->vm_name, sizeof(d->vm_name), "%s", vm_name);
	snprintf(d->log_level, sizeof(d->log_level), "%s", log_level);
	snprintf(d->dir, sizeof(d->dir), "%s/splitgic-vm-XXXXXX", runtime_base());
	if (!mkdtemp(d->dir)) {
		snprintf(err, errlen, "mkdtemp %s: %s", d->dir, strerror(errno));
		return -1;
	}
	snprintf(d->control_path, sizeof(d->control_path), "%s/control.sock", d->dir);
	if (state_file)
		snprintf(d->state_path, sizeof(d->state_path), "%s/state", d->dir);
	if (daemon_start(d, err, errlen) < 0) {
		rmdir(d->dir);
		return -1;
	}
	return 0;
}

int daemon_start(struct daemon *d, char *err, size_t errlen)
{
	char notify[256], notify_var[300];
	const char *argv[12];
	char **envp;
	pid_t parent = getpid();
	int nfd, n = 0, code = 0;

	argv[n++] = d->server;
	argv[n++] = "--control-socket";
	argv[n++] = d->control_path;
	argv[n++] = "--vm";
	argv[n++] = d->vm_name;
	argv[n++] = "--log-level";
	argv[n++] = d->log_level;
	if (d->state_path[0]) {
		argv[n++] = "--state-file";
		argv[n++] = d->state_path;
	}
	argv[n] = NULL;
	d->pidfd = -1;
	d->exited = false;
	snprintf(notify, sizeof(notify), "%s/notify.sock", d->dir);
	/* A fresh socket per start, closed once READY=1 is in: the daemon's
	 * FDSTORE=1 finds nobody, so its channels close when it dies and the
	 * agent sees the hang-up. */
	nfd = notify_socket(notify);
	if (nfd < 0) {
		snprintf(err, errlen, "notify socket %s: %s", notify, strerror(errno));
		return -1;
	}
	envp = child_env(notify, notify_var, sizeof(notify_var));
	d->pid = fork();
	if (d->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(nfd);
		unlink(notify);
		d->pid = 0;
		return -1;
	}
	if (d->pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* The daemon must not outlive a VMM that dies. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		/* Its log goes to our stderr, never into the guest's stdout. */
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execve(d->server, (char *const *)argv, envp);
		_exit(127);
	}
	d->pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
	if (d->pidfd < 0 || !wait_ready(nfd, d->pidfd)) {
		close(nfd);
		unlink(notify);
		kill(d->pid, SIGTERM);
		wait_status(d->pid, 0, &code);
		if (d->pidfd >= 0)
			close(d->pidfd);
		d->pidfd = -1;
		snprintf(err, errlen, "%s did not become ready (exit code %d%s)", d->server, code,
			 code == 127 ? ": could not be executed" : "");
		d->pid = 0;
		return -1;
	}
	close(nfd);
	unlink(notify);
	return 0;
}

bool daemon_alive(struct daemon *d)
{
	struct pollfd p = { .fd = d->pidfd, .events = POLLIN };

	if (d->pid <= 0 || d->exited)
		return false;
	return poll(&p, 1, 0) == 0;
}

static bool wait_exit(struct daemon *d, int ms)
{
	struct pollfd p = { .fd = d->pidfd, .events = POLLIN };
	int rc;

	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

int daemon_stop(struct daemon *d, int sig, int grace_ms, bool *forced)
{
	*forced = false;
	if (d->pid <= 0)
		return d->exit_code;
	kill(d->pid, sig);
	if (sig != SIGKILL && !wait_exit(d, grace_ms)) {
		kill(d->pid, SIGKILL);
		*forced = true;
	}
	wait_status(d->pid, 0, &d->exit_code);
	d->exited = true;
	d->pid = 0;
	close(d->pidfd);
	d->pidfd = -1;
	return d->exit_code;
}

int daemon_reap(struct daemon *d, int grace_ms, bool terminate)
{
	char path[256];

	if (d->pid > 0) {
		if (terminate)
			kill(d->pid, SIGTERM);
		if (!wait_exit(d, grace_ms)) {
			if (!terminate)
				kill(d->pid, SIGTERM);
			if (terminate || !wait_exit(d, grace_ms))
				kill(d->pid, SIGKILL);
		}
		wait_status(d->pid, 0, &d->exit_code);
		d->exited = true;
		d->pid = 0;
		close(d->pidfd);
		d->pidfd = -1;
	}
	if (!d->dir[0])
		return d->exit_code;
	/* The daemon removes its socket at exit; clean up after one that could not. */
	snprintf(path, sizeof(path), "%s/control.sock", d->dir);
	unlink(path);
	if (d->state_path[0])
		unlink(d->state_path);
	rmdir(d->dir);
	d->dir[0] = '\0';
	return d->exit_code;
}
