// SPDX-License-Identifier: MIT
/*
 * What the split costs, through the real gicd-server, each figure next to a
 * raw SOCK_SEQPACKET baseline of the same datagram sizes measured in the
 * same run:
 *
 *  (a) a GICD read (GICD_TYPER) through sg_vcpu_mmio(): agent -> MMIO
 *      channel -> daemon -> reply; baseline a request/reply between two
 *      threads on a socketpair;
 *  (b) what a posted GICD write (IPRIORITYR) costs the vCPU thread; baseline
 *      a send() to a thread draining the other end;
 *  (c) SPI delivery latency: sg_vm_signal_spi_edge() until
 *      sg_vcpu_pending_irq() is true in the target vCPU's thread, which
 *      either polls it or blocks in sg_vcpu_wait(); baseline a datagram
 *      relayed by a thread to a third one (two hops, as device -> daemon
 *      -> agent's bus thread).
 *
 * (a) runs once per adaptive-polling setting (SPLITGIC_MMIO_SPIN_NS, see
 * vcpu-agent/mmio_chan.h), each with a fresh daemon, and prints the CPU
 * time the bench process and the daemon used per read, so the cost of
 * spinning is visible next to what it saves.  Figures: docs/bench.md.
 *
 * Usage: bench-bus [samples [spin_ns,spin_ns,... [rounds]]]
 *   samples: operations per measurement (default 20000)
 *   spin list: adaptive-polling settings for (a) (default 0,5000,10000,20000,50000,100000)
 *   rounds: repetitions of (a), interleaved, medians printed (default 3, at most 9)
 * GICD_SERVER overrides the gicd-server binary built with this tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "gic_regs.h"
#include "splitgic/agent.h"
#include "wire.h"

#define NV	   2
#define SPI	   40u
#define BURST	   32u /* posted writes between fences */
#define READY_MS   10000
#define MAX_SPINS  16
#define MAX_ROUNDS 9

static unsigned samples = 20000, rounds = 3;

static void die(const char *what)
{
	fprintf(stderr, "bench-bus: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ------------------------------------------------------------ statistics */

struct pcts {
	double p50, p99;
};

/* Sorts ns samples; p50/p99 in ns. */
static struct pcts percentiles(double *s, unsigned n)
{
	struct pcts p;

	p.p50 = bench_median(s, n); /* sorts */
	p.p99 = s[(unsigned)((n - 1) * 0.99)];
	return p;
}

static void print_row(const char *what, struct pcts p)
{
	printf("  %-44s p50 %8.2f us   p99 %8.2f us\n", what, p.p50 / 1e3, p.p99 / 1e3);
}

static uint64_t cpu_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time of a single-threaded process (the daemon), from schedstat. */
static uint64_t pid_cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/* Where the vCPU thread and the daemon (or the baseline's echo thread) run. */
enum placement { CROSS_CORE, SAME_CORE, UNPINNED, NR_PLACEMENTS };
static const char *const placement_name[] = { "cross-core", "same core", "unpinned" };
static enum placement placement;

static void pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	sched_setaffinity(tid, sizeof(set), &set);
}

/* The CPU of the vCPU thread (the caller) and of its peer, -1: any. */
static int vcpu_cpu(void)
{
	return placement == UNPINNED ? -1 : 0;
}

static int peer_cpu(void)
{
	return placement == UNPINNED ? -1 : placement == SAME_CORE ? 0 : 1;
}

/* ------------------------------------------------------------ the daemon */

struct daemon {
	pid_t pid;
	char dir[64];
	char control[128];
};

static bool wait_ready(int nfd, pid_t pid)
{
	char buf[4096];
	uint64_t deadline = bench_now_ns() + READY_MS * 1000000ull;

	while (bench_now_ns() < deadline) {
		struct pollfd p = { .fd = nfd, .events = POLLIN };
		ssize_t n;

		if (waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(nfd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, "READY=1"))
			return true;
	}
	return false;
}

static void daemon_start(struct daemon *d)
{
	const char *server = getenv("GICD_SERVER");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int nfd;

	if (!server || !server[0])
		server = GICD_SERVER_PATH;
	snprintf(d->dir, sizeof(d->dir), "/tmp/splitgic-bench-XXXXXX");
	if (!mkdtemp(d->dir))
		die("mkdtemp");
	snprintf(d->control, sizeof(d->control), "%s/control.sock", d->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify.sock", d->dir);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("notify socket");
	d->pid = fork();
	if (d->pid < 0)
		die("fork");
	if (d->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		execl(server, server, "--control-socket", d->control, "--vm", "bench",
		      "--log-level", "warning", (char *)NULL);
		_exit(127);
	}
	pin(d->pid, peer_cpu());
	if (!wait_ready(nfd, d->pid)) {
		fprintf(stderr, "bench-bus: %s did not start\n", server);
		exit(1);
	}
	close(nfd);
	unlink(sa.sun_path);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void daemon_stop(struct daemon *d)
{
	kill(d->pid, SIGTERM);
	waitpid(d->pid, NULL, 0);
	nftw(d->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ the VM */

static struct sg_vm *vm;

static void vm_start(struct daemon *d)
{
	uint64_t mpidr[NV] = { 0, 1 };
	struct sg_vm_config cfg = { .nr_vcpus = NV, .mpidr = mpidr, .lr_count = 4, .nr_spis = 64 };
	char err[256];

	sg_addr_map_default(&cfg.map, 0);
	daemon_start(d);
	if (sg_vm_create(&cfg, &vm) != 0 ||
	    sg_vm_connect(vm, d->control, "bench", err, sizeof(err)) != 0) {
		fprintf(stderr, "bench-bus: attaching: %s\n", err);
		exit(1);
	}
}

static void vm_stop(struct daemon *d)
{
	sg_vm_destroy(vm);
	vm = NULL;
	daemon_stop(d);
}

static uint64_t gicd(unsigned vcpu, uint32_t off, unsigned size, bool write, uint64_t val)
{
	if (sg_vcpu_mmio(sg_vm_vcpu(vm, vcpu), SG_DEFAULT_GICD_BASE + off, size, write, &val) !=
	    SG_MMIO_DONE) {
		fprintf(stderr, "bench-bus: GICD access 0x%x failed\n", off);
		exit(1);
	}
	return val;
}

/* ------------------------------------------------- datagram sizes */

/* The sizes the agent and the daemon put on the wire for these messages. */
static size_t mmio_size(bool write, bool posted, uint64_t data)
{
	unsigned char buf[256];
	struct sg_mmio_msg m;
	Sg__Envelope *env =
		sg_mmio_msg(&m, SG_DEFAULT_GICD_BASE + GICD_TYPER, 4, write, posted, data);

	env->seq = samples; /* a typical sequence number */
	return (size_t)sg_wire_pack(env, buf, sizeof(buf));
}

static size_t reply_size(uint64_t data)
{
	unsigned char buf[256];
	Sg__MmioReply r = SG__MMIO_REPLY__INIT;
	Sg__Envelope env;

	r.seq = samples;
	r.data = data;
	r.status = SG__MMIO_REPLY__STATUS__OK;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MMIO_REPLY;
	env.mmio_reply = &r;
	return (size_t)sg_wire_pack(&env, buf, sizeof(buf));
}

static size_t spi_level_size(void)
{
	unsigned char buf[256];
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Envelope env;

	l.intid = SPI;
	l.pulse = true;
	sg_envelope_init(&env);
	env.seq = samples;
	env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
	env.spi_level = &l;
	return (size_t)sg_wire_pack(&env, buf, sizeof(buf));
}

static size_t deliver_size(void)
{
	unsigned char buf[256];
	Sg__Deliver m = SG__DELIVER__INIT;
	Sg__Envelope env;

	m.vcpu = 1;
	m.intid = SPI;
	m.gen = samples;
	m.priority = 0x80;
	m.group = 1;
	m.set_latch = true;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DELIVER;
	env.deliver = &m;
	return (size_t)sg_wire_pack(&env, buf, sizeof(buf));
}

/* ------------------------------------------------- raw baselines */

struct echo {
	int fd;
	size_t reply_len;
	int cpu;
	bool spin; /* poll recv(), yielding, instead of blocking */
};

/* Answers every datagram with reply_len bytes (none if 0). */
static void *echo_thread(void *arg)
{
	struct echo *e = arg;
	unsigned char buf[512] = { 0 };

	pin(0, e->cpu);
	for (;;) {
		ssize_t n = recv(e->fd, buf, sizeof(buf), e->spin ? MSG_DONTWAIT : 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			sched_yield();
			continue;
		}
		if (n <= 0)
			break;
		if (e->reply_len && send(e->fd, buf, e->reply_len, MSG_NOSIGNAL) < 0)
			break;
	}
	return NULL;
}

static void seqpacket_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
}

/* Who polls instead of blocking in the raw round trip. */
enum raw_mode { RAW_BLOCK, RAW_CLIENT_POLLS, RAW_BOTH_POLL, NR_RAW_MODES };
static const char *const raw_mode_name[] = { "both block", "client polls", "both poll" };

/* Request/reply round trips; the client blocks in recv() or polls it,
 * yielding, as the agent's adaptive polling does; so may the echo thread. */
static struct pcts raw_round_trip(size_t req_len, size_t rep_len, enum raw_mode mode)
{
	unsigned char buf[512] = { 0 };
	bool spin = mode != RAW_BLOCK;
	struct echo e = { .reply_len = rep_len, .cpu = peer_cpu(), .spin = mode == RAW_BOTH_POLL };
	double *s = calloc(samples, sizeof(*s));
	struct pcts p;
	pthread_t t;
	int sv[2];

	seqpacket_pair(sv);
	e.fd = sv[1];
	pthread_create(&t, NULL, echo_thread, &e);
	for (unsigned i = 0; i < samples + samples / 10; i++) {
		uint64_t t0 = bench_now_ns();

		if (send(sv[0], buf, req_len, MSG_NOSIGNAL) < 0)
			die("send");
		while (recv(sv[0], buf, sizeof(buf), spin ? MSG_DONTWAIT : 0) < 0) {
			if (errno != EAGAIN && errno != EINTR)
				die("recv");
			sched_yield();
		}
		if (i >= samples / 10) /* the first tenth warms up */
			s[i - samples / 10] = (double)(bench_now_ns() - t0);
	}
	/* A polling echo thread sees no EOF while it yields: shut down. */
	shutdown(sv[0], SHUT_RDWR);
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	p = percentiles(s, samples);
	free(s);
	return p;
}

/* send() cost to a thread draining the other end; a fence every BURST. */
static struct pcts raw_post(size_t len)
{
	unsigned char buf[512] = { 0 };
	struct echo e = { .reply_len = 0, .cpu = -1 };
	double *s = calloc(samples, sizeof(*s));
	struct pcts p;
	pthread_t t;
	int sv[2];

	seqpacket_pair(sv);
	e.fd = sv[1];
	pthread_create(&t, NULL, echo_thread, &e);
	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();

		if (send(sv[0], buf, len, MSG_NOSIGNAL) < 0)
			die("send");
		s[i] = (double)(bench_now_ns() - t0);
		if (i % BURST == BURST - 1) {
			/* Let the reader catch up, as the agent's fence read does:
			 * wait until the socket is empty (untimed). */
			int queued = 0;

			while (ioctl(sv[1], FIONREAD, &queued) == 0 && queued > 0)
				sched_yield();
		}
	}
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	p = percentiles(s, samples);
	free(s);
	return p;
}

/* Two hops: main -> relay thread -> consumer thread, which blocks in recv()
 * or spins on it and timestamps the arrival. */
struct relay {
	int in, out, fd; /* relay: in -> out; consumer: fd */
	size_t out_len;
	bool spin;
	_Atomic uint64_t arrived;
};

static void *relay_thread(void *arg)
{
	struct relay *r = arg;
	unsigned char buf[512] = { 0 };

	while (recv(r->in, buf, sizeof(buf), 0) > 0)
		if (send(r->out, buf, r->out_len, MSG_NOSIGNAL) < 0)
			break;
	return NULL;
}

static void *consumer_thread(void *arg)
{
	struct relay *r = arg;
	unsigned char buf[512];

	for (;;) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), r->spin ? MSG_DONTWAIT : 0);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n > 0)
			atomic_store(&r->arrived, bench_now_ns());
	}
	return NULL;
}

static struct pcts raw_relay(size_t in_len, size_t out_len, bool spin)
{
	unsigned char buf[512] = { 0 };
	struct relay r = { .out_len = out_len, .spin = spin };
	double *s = calloc(samples, sizeof(*s));
	int a[2], b[2];
	pthread_t tr, tc;
	struct pcts p;

	seqpacket_pair(a);
	seqpacket_pair(b);
	r.in = a[1];
	r.out = b[0];
	r.fd = b[1];
	pthread_create(&tr, NULL, relay_thread, &r);
	pthread_create(&tc, NULL, consumer_thread, &r);
	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		atomic_store(&r.arrived, 0);
		if (send(a[0], buf, in_len, MSG_NOSIGNAL) < 0)
			die("send");
		while ((t1 = atomic_load(&r.arrived)) == 0)
			sched_yield();
		s[i] = (double)(t1 - t0);
	}
	close(a[0]);
	pthread_join(tr, NULL);
	close(b[0]);
	pthread_join(tc, NULL);
	close(a[1]);
	close(b[1]);
	p = percentiles(s, samples);
	free(s);
	return p;
}

/* ------------------------------------------------- (a) and (b) */

struct read_result {
	struct pcts agent;
	double proc_cpu_ns, daemon_cpu_ns; /* per read */
	double wall_ns;			   /* per read */
};

static struct read_result bench_read(struct daemon *d)
{
	struct read_result r;
	double *s = calloc(samples, sizeof(*s));
	uint64_t typer = gicd(0, GICD_TYPER, 4, false, 0);
	uint64_t w0, c0, dc0;

	for (unsigned i = 0; i < samples / 10; i++)
		gicd(0, GICD_TYPER, 4, false, 0);
	w0 = bench_now_ns();
	c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	dc0 = pid_cpu_ns(d->pid);
	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();

		gicd(0, GICD_TYPER, 4, false, 0);
		s[i] = (double)(bench_now_ns() - t0);
	}
	r.wall_ns = (double)(bench_now_ns() - w0) / samples;
	r.proc_cpu_ns = (double)(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / samples;
	r.daemon_cpu_ns = (double)(pid_cpu_ns(d->pid) - dc0) / samples;
	r.agent = percentiles(s, samples);
	free(s);
	(void)typer;
	return r;
}

static void bench_post(void)
{
	double *s = calloc(samples, sizeof(*s));
	struct pcts agent, raw;
	size_t len = mmio_size(true, true, 0x80808080u);

	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();

		gicd(0, GICD_IPRIORITYR + SPI, 4, true, 0x80808080u);
		s[i] = (double)(bench_now_ns() - t0);
		if (i % BURST == BURST - 1)
			gicd(0, GICD_CTLR, 4, false, 0); /* fence: the daemon caught up */
	}
	agent = percentiles(s, samples);
	free(s);
	raw = raw_post(len);
	printf("(b) posted GICD write (IPRIORITYR), cost to the vCPU thread, %u writes, "
	       "fence every %u\n",
	       samples, BURST);
	print_row("sg_vcpu_mmio() posted write", agent);
	printf("  %-44s p50 %8.2f us   p99 %8.2f us   (%zu-byte datagram)\n", "raw send()",
	       raw.p50 / 1e3, raw.p99 / 1e3, len);
	printf("  ratio p50 %.2f\n\n", agent.p50 / raw.p50);
}

/* ------------------------------------------------- (c) delivery */

enum wait_mode { POLL_PENDING, BLOCK_IN_WAIT };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool armed;   /* the vCPU waits for the next interrupt */
	uint64_t t0;  /* when the device raised it */
	uint64_t lat; /* t(pending) - t0, 0 until measured */
	enum wait_mode mode;
} dl = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
static atomic_bool dl_stop;

static void *target_vcpu(void *arg)
{
	struct sg_vcpu *v = sg_vm_vcpu(vm, 1);
	struct sg_cpuif *c = sg_vcpu_cpuif(v);

	(void)arg;
	for (;;) {
		uint64_t t1;
		uint32_t id;

		pthread_mutex_lock(&dl.lock);
		dl.armed = true;
		pthread_cond_broadcast(&dl.cond);
		pthread_mutex_unlock(&dl.lock);
		if (dl.mode == POLL_PENDING) {
			while (!sg_vcpu_pending_irq(v) && !atomic_load(&dl_stop))
				;
		} else {
			while (!sg_vcpu_pending_irq(v) && !atomic_load(&dl_stop))
				sg_vcpu_wait(v, -1);
		}
		t1 = bench_now_ns();
		if (atomic_load(&dl_stop))
			break;
		/* The guest takes it: ack and EOI, so the next sample starts idle. */
		sg_vcpu_flush(v);
		id = sg_cpuif_iar(c, 1);
		sg_cpuif_eoir(c, 1, id);
		sg_vcpu_sync(v);
		pthread_mutex_lock(&dl.lock);
		dl.armed = false;
		dl.lat = id == SPI ? t1 - dl.t0 : 1; /* 1: wrong interrupt */
		pthread_cond_broadcast(&dl.cond);
		pthread_mutex_unlock(&dl.lock);
	}
	return NULL;
}

static struct pcts bench_delivery(enum wait_mode mode)
{
	double *s = calloc(samples, sizeof(*s));
	struct pcts p;
	pthread_t t;

	dl.mode = mode;
	atomic_store(&dl_stop, false);
	dl.armed = false;
	pthread_create(&t, NULL, target_vcpu, NULL);
	for (unsigned i = 0; i < samples; i++) {
		pthread_mutex_lock(&dl.lock);
		while (!dl.armed)
			pthread_cond_wait(&dl.cond, &dl.lock);
		dl.lat = 0;
		dl.t0 = bench_now_ns();
		pthread_mutex_unlock(&dl.lock);
		if (sg_vm_signal_spi_edge(vm, SPI) != 0) {
			fprintf(stderr, "bench-bus: raising the SPI failed\n");
			exit(1);
		}
		pthread_mutex_lock(&dl.lock);
		while (!dl.lat)
			pthread_cond_wait(&dl.cond, &dl.lock);
		s[i] = (double)dl.lat;
		pthread_mutex_unlock(&dl.lock);
		if (s[i] == 1) {
			fprintf(stderr, "bench-bus: the vCPU took another interrupt\n");
			exit(1);
		}
		/* The Deactivated reached the daemon: the SPI is idle again. */
		if (gicd(0, GICD_ISACTIVER + 4 * (SPI / 32), 4, false, 0) & (1u << (SPI % 32))) {
			fprintf(stderr, "bench-bus: the SPI is still active\n");
			exit(1);
		}
	}
	atomic_store(&dl_stop, true);
	sg_vcpu_kick(sg_vm_vcpu(vm, 1));
	pthread_join(t, NULL);
	p = percentiles(s, samples);
	free(s);
	return p;
}

static void setup_delivery(void)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(sg_vm_vcpu(vm, 1));

	sg_cpuif_set_pmr(c, 0xFF);
	sg_cpuif_set_igrpen(c, 1, true);
	gicd(0, GICD_CTLR, 4, true, GICD_CTLR_ENABLE_G1);
	gicd(0, GICD_ICFGR + 4 * (SPI / 16), 4, true, 2u << (2 * (SPI % 16)));
	gicd(0, GICD_IPRIORITYR + SPI, 1, true, 0x80);
	gicd(0, GICD_IROUTER + 8 * SPI, 8, true, 1);
	gicd(0, GICD_ISENABLER + 4 * (SPI / 32), 4, true, 1u << (SPI % 32));
	gicd(0, GICD_CTLR, 4, false, 0);
}

static void bench_deliveries(void)
{
	struct pcts poll_p, block_p, raw_spin, raw_block;
	size_t in = spi_level_size(), out = deliver_size();

	setup_delivery();
	poll_p = bench_delivery(POLL_PENDING);
	block_p = bench_delivery(BLOCK_IN_WAIT);
	raw_spin = raw_relay(in, out, true);
	raw_block = raw_relay(in, out, false);
	printf("(c) SPI delivery: sg_vm_signal_spi_edge() -> sg_vcpu_pending_irq() in the "
	       "target vCPU, %u samples\n",
	       samples);
	print_row("vCPU thread polls sg_vcpu_pending_irq()", poll_p);
	print_row("vCPU thread blocks in sg_vcpu_wait()", block_p);
	print_row("raw 2-hop relay, consumer spins", raw_spin);
	print_row("raw 2-hop relay, consumer blocks", raw_block);
	printf("  ratio p50 %.2f (polling), %.2f (blocking)\n\n", poll_p.p50 / raw_spin.p50,
	       block_p.p50 / raw_block.p50);
}

/* ------------------------------------------------------------ main */

/* Median of n values (copied: the caller's order is kept). */
static double median_of(const double *v, unsigned n)
{
	double c[MAX_ROUNDS];

	memcpy(c, v, n * sizeof(*c));
	return bench_median(c, n);
}

struct cell {
	double p50[MAX_ROUNDS], p99[MAX_ROUNDS], bench[MAX_ROUNDS], daemon[MAX_ROUNDS],
		wall[MAX_ROUNDS];
};

static void bench_reads(const unsigned *spins, unsigned nspins)
{
	static struct cell raw[NR_PLACEMENTS][NR_RAW_MODES], agent[MAX_SPINS][NR_PLACEMENTS];
	size_t req = mmio_size(false, false, 0), rep = reply_size(0);
	struct daemon d;

	printf("(a) GICD read round trip (GICD_TYPER), %zu-byte request, %zu-byte reply;\n"
	       "    vCPU thread (baseline: client) on CPU 0, daemon (baseline: echo thread) on\n"
	       "    CPU 1 (cross-core), on CPU 0 (same core), or anywhere (unpinned);\n"
	       "    medians over %u rounds of %u reads, configurations interleaved\n",
	       req, rep, rounds, samples);
	for (unsigned r = 0; r < rounds; r++) {
		for (placement = 0; placement < NR_PLACEMENTS; placement++) {
			pin(0, vcpu_cpu());
			for (unsigned m = 0; m < NR_RAW_MODES; m++) {
				struct pcts p = raw_round_trip(req, rep, m);

				raw[placement][m].p50[r] = p.p50;
				raw[placement][m].p99[r] = p.p99;
			}
		}
		for (unsigned i = 0; i < nspins; i++) {
			char v[32];

			snprintf(v, sizeof(v), "%u", spins[i]);
			setenv("SPLITGIC_MMIO_SPIN_NS", v, 1); /* read by sg_vm_create() */
			for (placement = 0; placement < NR_PLACEMENTS; placement++) {
				struct cell *c = &agent[i][placement];
				struct read_result res;

				pin(0, vcpu_cpu());
				vm_start(&d);
				res = bench_read(&d);
				vm_stop(&d);
				c->p50[r] = res.agent.p50;
				c->p99[r] = res.agent.p99;
				c->bench[r] = res.proc_cpu_ns;
				c->daemon[r] = res.daemon_cpu_ns;
				c->wall[r] = res.wall_ns;
			}
		}
	}
	for (placement = 0; placement < NR_PLACEMENTS; placement++)
		for (unsigned m = 0; m < NR_RAW_MODES; m++)
			printf("  raw socketpair  %-11s %-13s p50 %7.2f us  p99 %8.2f us\n",
			       placement_name[placement], raw_mode_name[m],
			       median_of(raw[placement][m].p50, rounds) / 1e3,
			       median_of(raw[placement][m].p99, rounds) / 1e3);
	printf("  %-9s %-11s %-9s %-10s %-6s %s\n", "spin (ns)", "placement", "p50 (us)",
	       "p99 (us)", "x raw", "per read (us): CPU bench + daemon = total, wall");
	for (unsigned i = 0; i < nspins; i++) {
		for (placement = 0; placement < NR_PLACEMENTS; placement++) {
			struct cell *c = &agent[i][placement];
			double b = median_of(c->bench, rounds), dm = median_of(c->daemon, rounds);
			double p50 = median_of(c->p50, rounds);

			printf("  %-9u %-11s %-9.2f %-10.2f %-6.2f %6.2f + %6.2f = %6.2f, %6.2f\n",
			       spins[i], placement_name[placement], p50 / 1e3,
			       median_of(c->p99, rounds) / 1e3,
			       p50 / median_of(raw[placement][RAW_BLOCK].p50, rounds), b / 1e3,
			       dm / 1e3, (b + dm) / 1e3, median_of(c->wall, rounds) / 1e3);
		}
	}
	printf("  (x raw: over the raw round trip with both sides blocking, same placement)\n\n");
	unsetenv("SPLITGIC_MMIO_SPIN_NS");
	placement = UNPINNED;
	pin(0, -1);
}

int main(int argc, char **argv)
{
	unsigned spins[MAX_SPINS] = { 0, 5000, 10000, 20000, 50000, 100000 }, nspins = 6;
	struct daemon d;

	if (argc > 1)
		samples = (unsigned)strtoul(argv[1], NULL, 0);
	if (argc > 2) {
		char *p = argv[2];

		for (nspins = 0; *p && nspins < MAX_SPINS; nspins++) {
			spins[nspins] = (unsigned)strtoul(p, &p, 0);
			if (*p == ',')
				p++;
		}
	}
	if (argc > 3)
		rounds = (unsigned)strtoul(argv[3], NULL, 0);
	if (samples < 100 || rounds < 1 || rounds > MAX_ROUNDS)
		return 2;
	printf("bench-bus: %u samples per figure, %ld CPUs online\n\n", samples,
	       sysconf(_SC_NPROCESSORS_ONLN));
	bench_reads(spins, nspins);

	/* (b) and (c) unpinned, with the agent's default polling. */
	vm_start(&d);
	bench_post();
	bench_deliveries();
	vm_stop(&d);
	return 0;
}
