// SPDX-License-Identifier: MIT
/*
 * MSI -> LPI through the whole path: a device thread's MSIs (batched with
 * sg_vm_signal_msis(), or one datagram each with -s) -> bus -> gicd-server's
 * ITS -> bus (Delivers coalesced into Batch datagrams) -> the agent's bus
 * thread -> the target vCPU's redistributor -> a vCPU thread that flushes,
 * takes every LPI with IAR + EOIR in a tight loop, and syncs.
 *
 * Each stream is one device (DeviceID 1 + s) whose events map to LPIs in
 * collection s on vCPU s.  A stream keeps `window` distinct events in
 * flight: an event is sent again only after the vCPU handled it, so every
 * MSI makes one LPI pending and the rate counts delivered interrupts, not
 * merged ones.  Latency is MSI sent -> LPI acknowledged; "unloaded" keeps
 * one MSI in flight.
 *
 * Baseline in the same run: the one-way message rate of a raw
 * SOCK_SEQPACKET socketpair between two threads (16-byte datagrams, one per
 * send), i.e. what one hop of the bus costs without any GIC work.
 *
 * CPU use per component over each run (threads' CPU clocks, the process's
 * rusage, the daemon's /proc stat) shows what limits the rate.
 *
 * Also, without a daemon: one flush + sync with N LPIs queued (made pending
 * through the pending table at EnableLPIs), to show that its cost does not
 * grow with the number of queued LPIs.
 *
 * Usage: bench-msi [-d gicd-server] [-t seconds] [-w window] [-s] [-p pool]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "gic_regs.h"
#include "splitgic/agent.h"
#include "wire.h"

#define NV		 4u
#define RAM_GPA		 0x40000000ull
#define RAM_SIZE	 (16ull << 20)
#define CMDQ_GPA	 (RAM_GPA + 0x10000)
#define DT_GPA		 (RAM_GPA + 0x100000)
#define CT_GPA		 (RAM_GPA + 0x110000)
#define ITT_GPA(d)	 (RAM_GPA + 0x200000 + (uint64_t)(d)*0x10000)
#define PROP_GPA	 (RAM_GPA + 0x400000)
#define PEND_GPA(v)	 (RAM_GPA + 0x800000 + (uint64_t)(v)*0x10000)
#define MAX_WINDOW	 4096u
#define STREAM_LPI(s, e) (GIC_LPI_BASE + (s)*MAX_WINDOW + (e))
#define MAX_SAMPLES	 (1u << 21)
#define TARGET_RATE	 1e6
#define PRIO_BYTE	 (0xA0u | LPI_PROP_ENABLE) /* Linux's LPI priority, enabled */

static const char *daemon_path = GICD_SERVER_PATH;
static double seconds = 2.0;
static unsigned window = 1024, pool;
static bool single_sends;

static struct sg_vm *vm;
static uint8_t *ram;
static pid_t daemon_pid;
static uint64_t q_wr;

/* ------------------------------------------------------------ helpers */

static void die(const char *what)
{
	fprintf(stderr, "bench-msi: %s\n", what);
	if (daemon_pid > 0)
		kill(daemon_pid, SIGTERM);
	exit(1);
}

static double percentile(double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

/* CPU time of the daemon (its /proc stat), in seconds. */
static double daemon_cpu_s(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)daemon_pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double process_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- daemon */

static void start_daemon(char *dir, char *control)
{
	char notify[300], buf[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int nfd;

	snprintf(dir, 200, "/tmp/bench-msi-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(control, 300, "%s/control.sock", dir);
	snprintf(notify, sizeof(notify), "%s/notify.sock", dir);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (strlen(notify) >= sizeof(sa.sun_path))
		die("socket path too long");
	memcpy(sa.sun_path, notify, strlen(notify) + 1);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("notify socket");
	daemon_pid = fork();
	if (daemon_pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		setenv("NOTIFY_SOCKET", notify, 1);
		execl(daemon_path, daemon_path, "--control-socket", control, "--vm", "bench",
		      "--log-level", "warning", (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = { .fd = nfd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			die("gicd-server did not get ready (see -d)");
		n = recv(nfd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, "READY=1"))
				break;
		}
	}
	close(nfd);
	unlink(notify);
}

/* ------------------------------------------------ guest driver (vCPU 0) */

static uint64_t mmio(unsigned by, uint64_t addr, unsigned size, bool write, uint64_t val)
{
	if (sg_vcpu_mmio(sg_vm_vcpu(vm, by), addr, size, write, &val) != SG_MMIO_DONE)
		die("MMIO access failed");
	return val;
}

static void gits_w(uint32_t off, unsigned size, uint64_t v)
{
	mmio(0, SG_DEFAULT_ITS_BASE + off, size, true, v);
}

static uint64_t gits_r(uint32_t off, unsigned size)
{
	return mmio(0, SG_DEFAULT_ITS_BASE + off, size, false, 0);
}

static void gicr_w(unsigned rd, uint32_t off, unsigned size, uint64_t v)
{
	mmio(rd, SG_DEFAULT_GICR_BASE + (uint64_t)rd * GICR_FRAME_SIZE + off, size, true, v);
}

static void cmd(uint64_t dw0, uint64_t dw1, uint64_t dw2)
{
	uint64_t dw[4] = { dw0, dw1, dw2, 0 };

	memcpy(ram + (CMDQ_GPA - RAM_GPA) + q_wr, dw, sizeof(dw));
	q_wr = (q_wr + GITS_CMD_SIZE) % (16 * 4096);
}

static void its_run(void)
{
	gits_w(GITS_CWRITER, 8, q_wr);
	while ((gits_r(GITS_CREADR, 8) & GITS_CMDQ_OFFSET_MASK) != q_wr)
		usleep(20);
}

static void setup_vm(void)
{
	uint64_t mpidr[NV];
	struct sg_vm_config cfg = { .nr_vcpus = NV, .mpidr = mpidr, .lr_count = 4, .nr_spis = 64 };
	char dir[200], control[300], err[256];
	int memfd = memfd_create("bench-msi-ram", MFD_CLOEXEC);

	if (memfd < 0 || ftruncate(memfd, (off_t)RAM_SIZE) < 0)
		die("memfd");
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	for (unsigned i = 0; i < NV; i++)
		mpidr[i] = i;
	sg_addr_map_default(&cfg.map, 1);
	cfg.nr_ram = 1;
	cfg.ram[0] = (struct sg_vm_ram){ RAM_GPA, RAM_SIZE, ram, memfd, 0 };
	cfg.lpi_pool = pool;
	if (sg_vm_create(&cfg, &vm) != 0)
		die("sg_vm_create");
	start_daemon(dir, control);
	if (sg_vm_connect(vm, control, "bench", err, sizeof(err)) != 0)
		die(err);

	/* The ITS and every redistributor, as a guest driver sets them up. */
	gits_w(GITS_CBASER, 8, GITS_CBASER_VALID | CMDQ_GPA | 15);
	gits_w(GITS_BASER, 8,
	       (gits_r(GITS_BASER, 8) & ~GITS_BASER_SIZE_MASK) | GITS_BASER_VALID | DT_GPA);
	gits_w(GITS_BASER + 8, 8,
	       (gits_r(GITS_BASER + 8, 8) & ~GITS_BASER_SIZE_MASK) | GITS_BASER_VALID | CT_GPA);
	gits_w(GITS_CTLR, 4, GITS_CTLR_ENABLED);
	memset(ram + (PROP_GPA - RAM_GPA), PRIO_BYTE, GIC_NR_LPIS);
	for (unsigned v = 0; v < NV; v++) {
		struct sg_cpuif *c = sg_vcpu_cpuif(sg_vm_vcpu(vm, v));

		gicr_w(v, GICR_WAKER, 4, 0);
		gicr_w(v, GICR_PROPBASER, 8, PROP_GPA | 15);
		gicr_w(v, GICR_PENDBASER, 8, PEND_GPA(v) | GICR_PENDBASER_PTZ);
		gicr_w(v, GICR_CTLR, 4, GICR_CTLR_ENABLE_LPIS);
		sg_cpuif_set_igrpen(c, 1, true);
		sg_cpuif_set_pmr(c, 0xF8);
		cmd(GITS_CMD_MAPC, 0, v | (uint64_t)v << 16 | 1ull << 63);
		/* Device 1 + v: 12 EventID bits (Size 11), its events -> vCPU v. */
		cmd(GITS_CMD_MAPD | (uint64_t)(1 + v) << 32, 11, ITT_GPA(v) | 1ull << 63);
		for (unsigned e = 0; e < MAX_WINDOW; e++) {
			cmd(GITS_CMD_MAPTI | (uint64_t)(1 + v) << 32,
			    e | (uint64_t)STREAM_LPI(v, e) << 32, v);
			if (e % 1024 == 1023)
				its_run(); /* the queue holds 2048 commands */
		}
		cmd(GITS_CMD_SYNC, 0, (uint64_t)v << 16);
		its_run();
	}
}

/* ------------------------------------------------------------- streams */

struct stream {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t free_ev[MAX_WINDOW]; /* credits: events not in flight */
	unsigned nr_free;
	_Atomic uint64_t t_send[MAX_WINDOW];
	_Atomic uint64_t handled;
	_Atomic uint64_t sent, datagrams; /* MSIs, and the datagrams they took */
	double *lat;			  /* ns, one per handled LPI while recording */
	_Atomic size_t nr_lat;
	atomic_bool recording;
	double dev_cpu, vcpu_cpu;
	pthread_t dev, cpu;
};

static struct stream streams[NV];
static atomic_bool stop;

static void *device_thread(void *arg)
{
	struct stream *s = arg;
	unsigned idx = (unsigned)(s - streams);
	uint32_t ev[SG_WIRE_MAX_BATCH];
	double t0 = thread_cpu_s();

	while (!atomic_load(&stop)) {
		unsigned n = 0;
		uint64_t now;

		pthread_mutex_lock(&s->lock);
		while (!s->nr_free && !atomic_load(&stop))
			pthread_cond_wait(&s->cond, &s->lock);
		while (s->nr_free && n < SG_WIRE_MAX_BATCH)
			ev[n++] = s->free_ev[--s->nr_free];
		pthread_mutex_unlock(&s->lock);
		if (!n)
			continue;
		now = bench_now_ns();
		for (unsigned k = 0; k < n; k++)
			atomic_store_explicit(&s->t_send[ev[k]], now, memory_order_relaxed);
		if (!single_sends) {
			if (sg_vm_signal_msis(vm, 0, 1 + idx, ev, n) != 0)
				die("sg_vm_signal_msis");
		} else {
			for (unsigned k = 0; k < n; k++)
				if (sg_vm_signal_msi(vm, 0, 1 + idx, ev[k]) != 0)
					die("sg_vm_signal_msi");
		}
		atomic_fetch_add_explicit(&s->sent, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->datagrams, single_sends ? n : 1,
					  memory_order_relaxed);
	}
	s->dev_cpu = thread_cpu_s() - t0;
	return NULL;
}

static void *vcpu_thread(void *arg)
{
	struct stream *s = arg;
	unsigned idx = (unsigned)(s - streams);
	struct sg_vcpu *v = sg_vm_vcpu(vm, idx);
	struct sg_cpuif *c = sg_vcpu_cpuif(v);
	double t0 = thread_cpu_s();

	while (!atomic_load(&stop)) {
		uint32_t got[SG_CPUIF_MAX_LRS];
		unsigned n = 0;
		uint64_t now;

		sg_vcpu_wait(v, 1000000);
		sg_vcpu_flush(v);
		while (n < SG_CPUIF_MAX_LRS && sg_cpuif_virq(c)) {
			uint32_t id = sg_cpuif_iar(c, 1);

			if (id == GIC_INTID_SPURIOUS)
				break;
			sg_cpuif_eoir(c, 1, id);
			got[n++] = id;
		}
		sg_vcpu_sync(v);
		if (!n)
			continue;
		now = bench_now_ns();
		pthread_mutex_lock(&s->lock);
		for (unsigned k = 0; k < n; k++) {
			uint32_t e = got[k] - STREAM_LPI(idx, 0);

			if (e >= window)
				die("unexpected INTID");
			if (atomic_load_explicit(&s->recording, memory_order_relaxed)) {
				size_t i = atomic_fetch_add(&s->nr_lat, 1);

				if (i < MAX_SAMPLES)
					s->lat[i] = (double)(now - atomic_load_explicit(
									   &s->t_send[e],
									   memory_order_relaxed));
			}
			if (s->nr_free == MAX_WINDOW)
				die("an event came back twice");
			s->free_ev[s->nr_free++] = e;
		}
		if (s->nr_free == n)
			pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		atomic_fetch_add_explicit(&s->handled, n, memory_order_relaxed);
	}
	s->vcpu_cpu = thread_cpu_s() - t0;
	return NULL;
}

struct result {
	double rate, p50, p99, daemon_cpu, agent_cpu, dev_cpu, vcpu_cpu, elapsed;
	double msis_per_send, msgs_per_rx; /* batching achieved on both hops */
};

/* Runs `nr` streams with `win` events in flight each. */
static struct result run(unsigned nr, unsigned win)
{
	struct result r = { 0 };
	uint64_t h0 = 0, h1 = 0, t0, t1, m0, m1, b0, b1, rx0, rx1;
	double d0, p0, p1;
	size_t nlat = 0;
	double *all;

	atomic_store(&stop, false);
	for (unsigned i = 0; i < nr; i++) {
		struct stream *s = &streams[i];

		s->nr_free = 0;
		for (unsigned e = 0; e < win; e++)
			s->free_ev[s->nr_free++] = win - 1 - e;
		atomic_store(&s->nr_lat, 0);
		atomic_store(&s->recording, false);
		pthread_create(&s->cpu, NULL, vcpu_thread, s);
		pthread_create(&s->dev, NULL, device_thread, s);
	}
	usleep(300000); /* warm-up */
	d0 = daemon_cpu_s();
	p0 = process_cpu_s();
	m0 = b0 = 0;
	for (unsigned i = 0; i < nr; i++) {
		m0 += atomic_load(&streams[i].sent);
		b0 += atomic_load(&streams[i].datagrams);
	}
	rx0 = sg_vm_stat(vm, SG_VM_BUS_RX);
	t0 = bench_now_ns();
	for (unsigned i = 0; i < nr; i++) {
		h0 += atomic_load(&streams[i].handled);
		atomic_store(&streams[i].recording, true);
	}
	usleep((useconds_t)(seconds * 1e6));
	for (unsigned i = 0; i < nr; i++) {
		atomic_store(&streams[i].recording, false);
		h1 += atomic_load(&streams[i].handled);
	}
	t1 = bench_now_ns();
	p1 = process_cpu_s();
	m1 = b1 = 0;
	for (unsigned i = 0; i < nr; i++) {
		m1 += atomic_load(&streams[i].sent);
		b1 += atomic_load(&streams[i].datagrams);
	}
	rx1 = sg_vm_stat(vm, SG_VM_BUS_RX);
	r.daemon_cpu = daemon_cpu_s() - d0;
	atomic_store(&stop, true);
	for (unsigned i = 0; i < nr; i++) {
		struct stream *s = &streams[i];

		pthread_mutex_lock(&s->lock);
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		sg_vcpu_kick(sg_vm_vcpu(vm, i));
		pthread_join(s->dev, NULL);
		pthread_join(s->cpu, NULL);
		r.dev_cpu += s->dev_cpu;
		r.vcpu_cpu += s->vcpu_cpu;
		nlat += atomic_load(&s->nr_lat) < MAX_SAMPLES ? atomic_load(&s->nr_lat)
							      : MAX_SAMPLES;
	}
	r.elapsed = (double)(t1 - t0) / 1e9;
	r.rate = (double)(h1 - h0) / r.elapsed;
	r.msis_per_send = (double)(m1 - m0) / (double)(b1 - b0 ? b1 - b0 : 1);
	r.msgs_per_rx = (double)(h1 - h0) / (double)(rx1 - rx0 ? rx1 - rx0 : 1);
	/* Thread CPU clocks cover warm-up and drain too: scale to the window. */
	r.agent_cpu = (p1 - p0) - (r.dev_cpu + r.vcpu_cpu) * r.elapsed / (r.elapsed + 0.3);
	r.dev_cpu *= r.elapsed / (r.elapsed + 0.3);
	r.vcpu_cpu *= r.elapsed / (r.elapsed + 0.3);
	all = malloc((nlat ? nlat : 1) * sizeof(*all));
	nlat = 0;
	for (unsigned i = 0; i < nr; i++) {
		size_t n = atomic_load(&streams[i].nr_lat);

		n = n < MAX_SAMPLES ? n : MAX_SAMPLES;
		memcpy(all + nlat, streams[i].lat, n * sizeof(*all));
		nlat += n;
	}
	r.p50 = percentile(all, nlat, 0.50) / 1e3;
	r.p99 = percentile(all, nlat, 0.99) / 1e3;
	free(all);
	/* Let the last in-flight MSIs land before the next run reuses the events. */
	usleep(100000);
	for (unsigned i = 0; i < nr; i++) {
		struct sg_vcpu *v = sg_vm_vcpu(vm, i);
		struct sg_cpuif *c = sg_vcpu_cpuif(v);

		while (sg_vcpu_pending_irq(v)) {
			uint32_t id;

			sg_vcpu_flush(v);
			while ((id = sg_cpuif_iar(c, 1)) != GIC_INTID_SPURIOUS)
				sg_cpuif_eoir(c, 1, id);
			sg_vcpu_sync(v);
		}
	}
	return r;
}

/* ---------------------------------------------------- flush + sync alone */

/* Median ns of flush + sync with nr LPIs queued on a 4-LR vCPU. */
static double flush_sync_ns(unsigned nr)
{
	static uint8_t mem[1u << 20] __attribute__((aligned(65536)));
	uint64_t mpidr[1] = { 0 };
	struct sg_vm_config cfg = { .nr_vcpus = 1, .mpidr = mpidr, .lr_count = 4, .nr_spis = 64 };
	struct sg_vm *fvm;
	struct sg_vcpu *v;
	double s[101];

	sg_addr_map_default(&cfg.map, 1);
	cfg.nr_ram = 1;
	cfg.ram[0] = (struct sg_vm_ram){ RAM_GPA, sizeof(mem), mem, -1, 0 };
	cfg.lpi_pool = nr > SG_LPI_POOL_DEFAULT ? nr : 0;
	if (sg_vm_create(&cfg, &fvm) != 0)
		die("sg_vm_create");
	v = sg_vm_vcpu(fvm, 0);
	memset(mem, 0, sizeof(mem));
	memset(mem + 0x10000, PRIO_BYTE, GIC_NR_LPIS); /* property table */
	for (unsigned i = 0; i < nr; i++)
		mem[0x20000 + (GIC_LPI_BASE + i) / 8] |= (uint8_t)(1u << (i % 8));
	sg_cpuif_set_igrpen(sg_vcpu_cpuif(v), 1, true);
	sg_cpuif_set_pmr(sg_vcpu_cpuif(v), 0xF8);
	for (unsigned i = 0; i < 3; i++) {
		static const uint32_t off[3] = { GICR_PROPBASER, GICR_PENDBASER, GICR_CTLR };
		const uint64_t val[3] = { (RAM_GPA + 0x10000) | 15, RAM_GPA + 0x20000,
					  GICR_CTLR_ENABLE_LPIS };

		if (sg_vcpu_mmio(v, SG_DEFAULT_GICR_BASE + off[i], i == 2 ? 4 : 8, true,
				 (uint64_t[]){ val[i] }) != SG_MMIO_DONE)
			die("GICR write");
	}
	for (unsigned k = 0; k < 101; k++) {
		uint64_t t0 = bench_now_ns();

		for (unsigned r = 0; r < 2000; r++) {
			sg_vcpu_flush(v);
			sg_vcpu_sync(v);
		}
		s[k] = (double)(bench_now_ns() - t0) / 2000;
	}
	sg_vm_destroy(fvm);
	return bench_median(s, 101);
}

/* ------------------------------------------------------------- baseline */

static atomic_bool raw_stop;

static void *raw_sender(void *arg)
{
	int fd = *(int *)arg;
	char msg[16] = { 0 };

	while (!atomic_load_explicit(&raw_stop, memory_order_relaxed))
		if (send(fd, msg, sizeof(msg), 0) < 0 && errno != EINTR)
			break;
	shutdown(fd, SHUT_WR);
	return NULL;
}

/* One-way datagrams per second over a SOCK_SEQPACKET socketpair. */
static double raw_rate(void)
{
	int sv[2];
	pthread_t t;
	char buf[64];
	uint64_t n = 0, t0, t1 = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		die("socketpair");
	atomic_store(&raw_stop, false);
	pthread_create(&t, NULL, raw_sender, &sv[0]);
	t0 = bench_now_ns();
	for (;;) {
		ssize_t k = recv(sv[1], buf, sizeof(buf), 0);

		if (k <= 0)
			break;
		n++;
		if (!t1 && (n & 1023) == 0 && bench_now_ns() - t0 >= (uint64_t)(seconds * 1e9)) {
			t1 = bench_now_ns();
			atomic_store(&raw_stop, true);
			break;
		}
	}
	while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	return (double)n / ((double)(t1 - t0) / 1e9);
}

/* ------------------------------------------------------------------ main */

static void report(const char *name, const struct result *r, double raw)
{
	printf("%-20s %9.0f %6.2f %8.1f %8.1f %6.1f %6.1f   daemon %3.0f%% agent %3.0f%% "
	       "devices %3.0f%% vCPUs %3.0f%%\n",
	       name, r->rate, r->rate / raw, r->p50, r->p99, r->msis_per_send, r->msgs_per_rx,
	       100 * r->daemon_cpu / r->elapsed, 100 * r->agent_cpu / r->elapsed,
	       100 * r->dev_cpu / r->elapsed, 100 * r->vcpu_cpu / r->elapsed);
}

int main(int argc, char **argv)
{
	struct result one, four, unloaded, light;
	const char *env = getenv("GICD_SERVER");
	double raw;
	int opt;

	if (env && env[0])
		daemon_path = env;
	while ((opt = getopt(argc, argv, "d:t:w:sp:")) != -1) {
		switch (opt) {
		case 'd': daemon_path = optarg; break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'w': window = (unsigned)strtoul(optarg, NULL, 0); break;
		case 's': single_sends = true; break;
		case 'p': pool = (unsigned)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: bench-msi [-d gicd-server] [-t seconds] [-w "
					"window] [-s] [-p pool]\n");
			return 2;
		}
	}
	if (!window || window > MAX_WINDOW || seconds <= 0)
		die("bad -w or -t");
	signal(SIGPIPE, SIG_IGN);
	for (unsigned i = 0; i < NV; i++) {
		pthread_mutex_init(&streams[i].lock, NULL);
		pthread_cond_init(&streams[i].cond, NULL);
		streams[i].lat = malloc(MAX_SAMPLES * sizeof(double));
		if (!streams[i].lat)
			die("out of memory");
	}
	{
		static const unsigned nq[] = { 0, 1, 4, 16, 256, 4096 };

		printf("flush + sync, 4 LRs, N LPIs queued (median of 101 x 2000):");
		for (unsigned i = 0; i < sizeof(nq) / sizeof(nq[0]); i++)
			printf("  N=%u %.1f ns", nq[i], flush_sync_ns(nq[i]));
		printf("\n");
	}
	raw = raw_rate();
	setup_vm();
	unloaded = run(1, 1);
	light = run(1, window < 64 ? window : 64);
	one = run(1, window);
	four = run(NV, window);
	raw = (raw + raw_rate()) / 2; /* before and after, same machine state */

	printf("MSI -> LPI pending -> IAR/EOIR, %s device sends, window %u per stream, %.1f s "
	       "runs, %ld CPUs\n",
	       single_sends ? "single" : "batched", window, seconds, sysconf(_SC_NPROCESSORS_ONLN));
	printf("raw socketpair one-way rate: %.0f msgs/s (16-byte SOCK_SEQPACKET datagrams)\n\n",
	       raw);
	printf("%-20s %9s %6s %8s %8s %6s %6s   CPU (%% of one core)\n", "", "MSIs/s", "x raw",
	       "p50 us", "p99 us", "MSI/dg", "LPI/dg");
	report("1 stream, window 1", &unloaded, raw);
	report("1 stream, window 64", &light, raw);
	report("1 stream", &one, raw);
	report("4 streams", &four, raw);
	printf("\ntarget 1 M MSIs/s for one stream: %s (%.2f M/s)\n",
	       one.rate >= TARGET_RATE ? "met" : "NOT met", one.rate / 1e6);
	if (one.rate < TARGET_RATE) {
		double busiest = one.daemon_cpu;
		const char *who = "gicd-server (one thread)";

		if (one.agent_cpu > busiest) {
			busiest = one.agent_cpu;
			who = "the agent's bus thread";
		}
		if (one.vcpu_cpu > busiest) {
			busiest = one.vcpu_cpu;
			who = "the vCPU thread";
		}
		if (one.dev_cpu > busiest) {
			busiest = one.dev_cpu;
			who = "the device thread";
		}
		printf("busiest component: %s at %.0f%% of a core; all components together use "
		       "%.2f of %ld cores (the rest: other load, wakeup latency)\n",
		       who, 100 * busiest / one.elapsed,
		       (one.daemon_cpu + one.agent_cpu + one.dev_cpu + one.vcpu_cpu) / one.elapsed,
		       sysconf(_SC_NPROCESSORS_ONLN));
	}
	sg_vm_destroy(vm);
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	return 0;
}
