// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: the daemon under test: started, waited for, stopped; its
 * log scanned for sanitizer reports; its counters harvested; the health
 * check after every case (fuzz/sockfuzz.h).
 */
#include "sockfuzz.h"

/* ------------------------------------------------------------ the daemon */

const char *server_path;
unsigned verbose;

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gicd-sockfuzz: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* A UNIX address for path (the temp dir keeps it short). */
static void set_sun_path(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(sa->sun_path))
		die("socket path too long: %s", path);
	memcpy(sa->sun_path, path, n + 1);
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Waits for READY=1 on the notify socket; false if the daemon died first. */
static bool wait_ready(int nfd, pid_t pid)
{
	int pfd = pidfd_open_(pid);
	bool ready = false;

	if (pfd < 0)
		die("pidfd_open: %s", strerror(errno));
	while (!ready) {
		struct pollfd p[2] = { { .fd = nfd, .events = POLLIN },
				       { .fd = pfd, .events = POLLIN } };
		char buf[4096];
		ssize_t n;

		if (poll(p, 2, WAIT_MS * 2) <= 0)
			die("gicd-server sent no READY=1");
		if (p[0].revents & POLLIN) {
			while ((n = recv(nfd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
				buf[n] = '\0';
				if (strstr(buf, "READY=1"))
					ready = true;
			}
			continue;
		}
		if (p[1].revents)
			break;
	}
	close(pfd);
	return ready;
}

void daemon_start(struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *tmp = getenv("TMPDIR");
	char notify[192];
	int nfd;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s/sockfuzz-XXXXXX",
		 tmp && tmp[0] && strlen(tmp) < 60 ? tmp : "/tmp");
	if (!mkdtemp(d->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(d->ctl, sizeof(d->ctl), "%s/control.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/daemon.log", d->dir);
	snprintf(notify, sizeof(notify), "%s/notify.sock", d->dir);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	set_sun_path(&sa, notify);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("notify socket: %s", strerror(errno));
	d->pid = fork();
	if (d->pid < 0)
		die("fork: %s", strerror(errno));
	if (d->pid == 0) {
		int log = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDONLY);

		if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 ||
		    dup2(log, 2) < 0)
			_exit(127);
		setenv("NOTIFY_SOCKET", notify, 1);
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		execl(server_path, server_path, "--control-socket", d->ctl, "--vm", "fuzz",
		      "--log-level", "info", (char *)NULL);
		_exit(127);
	}
	if (!wait_ready(nfd, d->pid)) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cat %s >&2", d->log);
		if (system(cmd) < 0)
			perror("system");
		die("gicd-server exited before it was ready");
	}
	close(nfd);
	unlink(notify);
}

/* true once the daemon exited (d->status then holds its wait status). */
bool daemon_exited(struct daemon *d)
{
	if (!d->exited && waitpid(d->pid, &d->status, WNOHANG) == d->pid)
		d->exited = true;
	return d->exited || kill(d->pid, 0) < 0;
}

/* Waits for the daemon to exit (safety net: WAIT_MS); its exit code or 128+sig. */
int daemon_wait(struct daemon *d)
{
	if (!d->exited) {
		int pfd = pidfd_open_(d->pid);
		struct pollfd p = { .fd = pfd, .events = POLLIN };

		if (pfd >= 0) {
			if (poll(&p, 1, WAIT_MS) != 1)
				kill(d->pid, SIGKILL);
			close(pfd);
		}
		while (waitpid(d->pid, &d->status, 0) < 0 && errno == EINTR)
			;
		d->exited = true;
	}
	return WIFEXITED(d->status) ? WEXITSTATUS(d->status) : 128 + WTERMSIG(d->status);
}

void rm_dir(const char *dir)
{
	DIR *dd = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!dd)
		return;
	while ((e = readdir(dd)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(dd);
	rmdir(dir);
}

/* Log lines that mean the daemon misbehaved whatever the case was. */
/* clang-format off */
static const char *const bad_lines[] = {
	"AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer",
	"==ERROR", "blocked system call", "Invalid read", "Invalid write", "uninitialised",
};
/* clang-format on */

/* The first sanitizer-style line the log gained since the last scan, or NULL. */
const char *log_scan(struct daemon *d, char *line, size_t len)
{
	FILE *f = fopen(d->log, "r");
	const char *hit = NULL;

	if (!f)
		return NULL;
	fseek(f, d->log_off, SEEK_SET);
	while (!hit && fgets(line, (int)len, f))
		for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++)
			if (strstr(line, bad_lines[i])) {
				hit = line;
				break;
			}
	if (!hit)
		d->log_off = ftell(f);
	fclose(f);
	return hit;
}

bool log_contains(const struct daemon *d, const char *needle)
{
	char line[1024];
	FILE *f = fopen(d->log, "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* ---------------------------------------------------------------- stats */

/* clang-format off */
const char *const reject_names[NR_REJECT_NAMES] = {
	"empty datagram",	"oversized datagram", "undecodable envelope",
	"unsupported protocol version", "unknown or missing message type",
	"message not allowed on this channel", "field out of range",
	"bad sequence number", "unexpected file descriptors",
};
/* clang-format on */

struct sf_stats st;

void count_kind(const char *kind)
{
	for (unsigned i = 0; i < st.nr_kinds; i++)
		if (strcmp(st.kind_name[i], kind) == 0) {
			st.per_kind[i]++;
			return;
		}
	if (st.nr_kinds < 16) {
		st.kind_name[st.nr_kinds] = kind;
		st.per_kind[st.nr_kinds++] = 1;
	}
}

static uint64_t field_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Adds up the counters a stopped daemon logged (docs/gicd-server.md, "Counters"). */
void harvest_counters(const struct daemon *d)
{
	char line[2048];
	FILE *f = fopen(d->log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "counters control:")) {
			st.hello_ok += field_after(line, "Hello OK ");
			st.hello_rejected += field_after(line, "REJECTED ");
			st.hello_busy += field_after(line, "BUSY ");
			st.conn_refused += field_after(line, "(refused ");
			st.conn_early += field_after(line, "closed early ");
			st.hello_timeouts += field_after(line, "no Hello in time ");
			continue;
		}
		if (strstr(line, "counters its")) {
			st.its_cmds += field_after(line, ": commands ");
			st.its_errors += field_after(line, "(errors ");
			st.msi_delivered += field_after(line, "(delivered ");
			continue;
		}
		if (strstr(line, "counters delivery:")) {
			st.delivers += field_after(line, ": deliver ");
			st.queries += field_after(line, "queries ");
			st.reads_deferred += field_after(line, "reads deferred ");
			continue;
		}
		if (!strstr(line, "counters mmio") && !strstr(line, "counters bus:"))
			continue;
		st.malformed += field_after(line, "malformed ");
		st.dups += field_after(line, "duplicates ");
		for (unsigned i = 0; i < NR_REJECT_NAMES; i++) {
			char key[96];

			snprintf(key, sizeof(key), ", %s ", reject_names[i]);
			st.rejects[i] += field_after(line, key);
		}
	}
	fclose(f);
}

int connect_control(const struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	set_sun_path(&sa, d->ctl);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}
/* Restarts the daemon: stopped (or exited) cleanly, then a new one. */
void restart(struct fvm *v, bool attach, struct outcome *o)
{
	int code = fvm_stop(v);
	char line[1024];

	if (code != 0)
		fail(o, "gicd-server exited with code %d", code);
	if (log_scan(&v->d, line, sizeof(line)))
		fail(o, "daemon log: %s", line);
	if (o->why[0])
		return;
	rm_dir(v->d.dir);
	st.restarts++;
	fvm_start(v, attach);
}
/* The health check: alive, and a well-formed channel served exactly. */
void check_health(struct fvm *v, struct outcome *o, uint64_t index)
{
	unsigned chan = (unsigned)(index % v->shape.nr_vcpus);
	uint32_t spi = (uint32_t)(index % v->shape.nr_spis);
	uint64_t val = 0, want = (index * 37u + 11u) & 0xF8u;
	const char *why;

	if (daemon_exited(&v->d)) {
		fail(o, "gicd-server is gone (exit code %d, 128+N: signal N)", daemon_wait(&v->d));
		return;
	}
	/* A fence: every datagram of the case is taken off its channel and
	 * dealt with before this is answered (docs/protocol.md). */
	if ((why = mmio(v, chan, GICD_IIDR, 4, false, false, &val))) {
		if (daemon_exited(&v->d))
			fail(o, "gicd-server died (exit code %d, 128+N: signal N): %s",
			     daemon_wait(&v->d), why);
		fail(o, "%s", why);
		return;
	}
	if (val != SG_IIDR) {
		fail(o, "GICD_IIDR read 0x%" PRIx64 ", want 0x%x", val, SG_IIDR);
		return;
	}
	if ((why = mmio(v, chan, GICD_TYPER, 4, false, false, &val)) ||
	    (val != v->typer && (why = "GICD_TYPER changed"))) {
		fail(o, "%s", why);
		return;
	}
	mmio(v, chan, GICD_IPRIORITYR + GIC_SPI_BASE + spi, 1, true, true, &want);
	if ((why = mmio(v, chan, GICD_IPRIORITYR + GIC_SPI_BASE + spi, 1, false, false, &val))) {
		fail(o, "%s", why);
		return;
	}
	if (val != want)
		fail(o, "GICD_IPRIORITYR of SPI %u read 0x%" PRIx64 " after writing 0x%" PRIx64,
		     spi + GIC_SPI_BASE, val, want);
	v->answer_queries = true;
	if (drain_all(v) < 0)
		fail(o, "a channel closed under the fuzzer");
	v->answer_queries = false;
	/* Every fd a case passed was refused or closed with its connection:
	 * the daemon holds no more than after the attach.  Connections we
	 * closed may not be processed yet: give the loop a moment (a safety
	 * net, not a timing). */
	if (!o->why[0] && !v->nr_idle && v->base_fds) {
		unsigned n = daemon_fds(&v->d);

		for (int i = 0; n > v->base_fds && i < 300; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			n = daemon_fds(&v->d);
		}
		if (n > v->base_fds)
			fail(o,
			     "gicd-server holds %u file descriptors, %u after the attach: a leak",
			     n, v->base_fds);
	}
}
