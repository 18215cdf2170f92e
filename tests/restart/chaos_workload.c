// SPDX-License-Identifier: MIT
/*
 * The chaos workload (chaos_workload.h): its lifecycle (guest RAM and the
 * VM, start, stop, destroy), the failure record and the liveness-bounded
 * waits every thread uses, the final quiescence wait and the report.
 */
#include "chaos_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

void chaos_notify(struct chaos *c)
{
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Any thread: the first failure is kept (with the seed), everything stops. */
void chaos_fail(struct chaos *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&c->lock);
	if (atomic_fetch_add(&c->failures, 1) == 0) {
		int n;

		va_start(ap, fmt);
		n = vsnprintf(c->failure, sizeof(c->failure), fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < sizeof(c->failure))
			snprintf(c->failure + n, sizeof(c->failure) - (size_t)n, " (seed %u)",
				 c->cfg.seed);
	}
	atomic_store(&c->stop_gen, true);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Waits until pred(c, arg) or a failure.  The bound is on silence, not on
 * the total: it fails only when nothing at all progressed for liveness_ms.
 */
bool chaos_wait_for(struct chaos *c, bool (*pred)(struct chaos *c, void *arg), void *arg)
{
	uint64_t last = atomic_load(&c->progress), since = now_ms();

	pthread_mutex_lock(&c->lock);
	while (!pred(c, arg) && !failed(c)) {
		struct timespec ts;
		uint64_t p;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100000000l;
		if (ts.tv_nsec >= 1000000000l) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000l;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		p = atomic_load(&c->progress);
		if (p != last) {
			last = p;
			since = now_ms();
		} else if (now_ms() - since >= c->liveness_ms) {
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return pred(c, arg);
}

/* ---------------------------------------------------------- lifecycle */

/* Guest RAM, the VM attached to the daemon, the vCPUs' CPU interfaces. */
static int setup_vm(struct chaos *c)
{
	struct sg_vm_config cfg = { 0 };
	uint64_t mpidr[NV];
	char err[256] = "";
	int rc;

	c->memfd = memfd_create("chaos-guest-ram", MFD_CLOEXEC);
	if (c->memfd < 0 || ftruncate(c->memfd, (off_t)RAM_SIZE) < 0) {
		chaos_fail(c, "guest RAM: %s", strerror(errno));
		return -1;
	}
	c->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
	if (c->ram == MAP_FAILED) {
		c->ram = NULL;
		chaos_fail(c, "guest RAM: %s", strerror(errno));
		return -1;
	}
	for (unsigned v = 0; v < NV; v++)
		mpidr[v] = v;
	cfg.nr_vcpus = NV;
	cfg.mpidr = mpidr;
	cfg.lr_count = 4;
	cfg.nr_spis = NR_SPIS;
	sg_addr_map_default(&cfg.map, 1);
	cfg.nr_ram = 1;
	cfg.ram[0] = (struct sg_vm_ram){
		.gpa = RAM_GPA, .size = RAM_SIZE, .host = c->ram, .fd = c->memfd
	};
	rc = sg_vm_create(&cfg, &c->vm);
	if (rc < 0) {
		chaos_fail(c, "sg_vm_create: %s", strerror(-rc));
		return -1;
	}
	rc = sg_vm_connect(c->vm, c->cfg.control_path, c->cfg.vm_name, err, sizeof(err));
	if (rc < 0) {
		chaos_fail(c, "attaching to %s: %s", c->cfg.control_path, err);
		return -1;
	}
	for (unsigned v = 0; v < NV; v++) {
		struct chaos_vcpu *vc = &c->vc[v];
		struct sg_cpuif *cif;

		vc->c = c;
		vc->idx = v;
		vc->v = sg_vm_vcpu(c->vm, v);
		vc->rs = c->cfg.seed * 7919u + v * 104729u + 1;
		cif = sg_vcpu_cpuif(vc->v);
		sg_cpuif_set_igrpen(cif, 1, true);
		sg_cpuif_set_pmr(cif, 0xF8);
	}
	return 0;
}

int chaos_start(const struct chaos_config *cfg, struct chaos **out, char *err, size_t errlen)
{
	struct chaos *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->cfg = *cfg;
	c->memfd = -1;
	c->liveness_ms = cfg->liveness_ms ? cfg->liveness_ms : DEFAULT_LIVENESS_MS;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (setup_vm(c) < 0 || chaos_configure(c) < 0 || chaos_its_boot(c) < 0)
		goto fail;
	/* Report the vCPUs' group enables and wakefulness before any 1-of-N
	 * routing decision. */
	for (unsigned v = 0; v < NV; v++) {
		sg_vcpu_flush(c->vc[v].v);
		sg_vcpu_sync(c->vc[v].v);
	}
	c->started = true;
	for (unsigned v = 0; v < NV; v++)
		if (pthread_create(&c->vc[v].thread, NULL, chaos_vcpu_thread, &c->vc[v]) != 0)
			abort(); /* a test machine out of threads: nothing to report */
	if (pthread_create(&c->spi_dev, NULL, chaos_spi_device, c) != 0 ||
	    pthread_create(&c->msi_dev, NULL, chaos_msi_device, c) != 0)
		abort();
	*out = c;
	return 0;
fail:
	snprintf(err, errlen, "%s", c->failure);
	chaos_destroy(c);
	return -1;
}

uint64_t chaos_progress(struct chaos *c)
{
	return atomic_load(&c->progress);
}

struct target {
	uint64_t at;
};

static bool reached(struct chaos *c, void *arg)
{
	return atomic_load(&c->progress) >= ((struct target *)arg)->at;
}

int chaos_wait_progress(struct chaos *c, uint64_t n, char *err, size_t errlen)
{
	struct target t = { atomic_load(&c->progress) + n };

	if (!chaos_wait_for(c, reached, &t) && !failed(c))
		chaos_fail(c, "no progress for %u ms: the workload is stuck", c->liveness_ms);
	if (failed(c)) {
		snprintf(err, errlen, "%s", c->failure);
		return -1;
	}
	return 0;
}

static bool quiescent(struct chaos *c, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < T_N; i++)
		if (atomic_load(&c->spis[i].st) != ST_IDLE)
			return false;
	for (unsigned i = 0; i < NE; i++)
		if (atomic_load(&c->evs[i].out))
			return false;
	return true;
}

static void dump_stuck(struct chaos *c)
{
	static const char *const names[] = { "idle", "raised", "dropped" };

	for (unsigned i = 0; i < T_N; i++) {
		struct spi_state *s = &c->spis[i];
		int st = atomic_load(&s->st);

		if (st != ST_IDLE)
			fprintf(stderr, "chaos: stuck %s SPI %u %s, raised %u handled %u\n",
				s->edge ? "edge" : "level", s->intid, names[st],
				atomic_load(&s->raised), atomic_load(&s->handled));
	}
	for (unsigned i = 0; i < NE; i++)
		if (atomic_load(&c->evs[i].out))
			fprintf(stderr,
				"chaos: stuck MSI device %u event %u (LPI %u, collection %u), "
				"sent %u handled %u\n",
				EV_DEV(i), EV_EVENT(i), EV_LPI(i), atomic_load(&c->evs[i].coll),
				atomic_load(&c->evs[i].sent), atomic_load(&c->evs[i].handled));
}

static void stop_threads(struct chaos *c)
{
	if (!c->started)
		return;
	atomic_store(&c->stop_gen, true);
	chaos_notify(c);
	pthread_join(c->spi_dev, NULL);
	pthread_join(c->msi_dev, NULL);
	atomic_store(&c->stop, true);
	for (unsigned v = 0; v < NV; v++) {
		sg_vcpu_kick(c->vc[v].v);
		pthread_join(c->vc[v].thread, NULL);
	}
	c->started = false;
}

static void check_counts(struct chaos *c, struct chaos_report *rep)
{
	for (unsigned i = 0; i < T_N && !failed(c); i++) {
		struct spi_state *s = &c->spis[i];
		unsigned r = atomic_load(&s->raised), h = atomic_load(&s->handled);

		if (h != r)
			chaos_fail(c, "%s SPI %u: raised %u times, handled %u",
				   s->edge ? "edge" : "level", s->intid, r, h);
		if (s->edge)
			rep->edges += r;
		else
			rep->levels += r;
	}
	for (unsigned i = 0; i < NE && !failed(c); i++) {
		struct ev_state *e = &c->evs[i];
		unsigned sent = atomic_load(&e->sent), h = atomic_load(&e->handled);

		if (h != sent)
			chaos_fail(c, "MSI device %u event %u: sent %u, handled %u", EV_DEV(i),
				   EV_EVENT(i), sent, h);
		rep->msis += sent;
	}
	for (unsigned v = 0; v < NV && !failed(c); v++) {
		struct sg_vcpu *vv = c->vc[v].v;

		if (sg_vcpu_stat(vv, SG_STAT_MMIO_ERRORS))
			chaos_fail(c, "vCPU %u: %llu MMIO accesses failed", v,
				   (unsigned long long)sg_vcpu_stat(vv, SG_STAT_MMIO_ERRORS));
		if (sg_vcpu_stat(vv, SG_STAT_LPI_DROPPED))
			chaos_fail(c, "vCPU %u: %llu LPIs dropped", v,
				   (unsigned long long)sg_vcpu_stat(vv, SG_STAT_LPI_DROPPED));
		if (sg_vcpu_stat(vv, SG_STAT_HOLD_TIMEOUTS))
			chaos_fail(c, "vCPU %u: a hold timed out", v);
	}
	rep->config_writes = atomic_load(&c->config_writes);
	rep->readbacks = atomic_load(&c->readbacks);
	rep->state_reads = atomic_load(&c->state_reads);
	rep->its_moves = atomic_load(&c->its_moves);
	for (unsigned s = 0; s < SG_VM_NR_STATS; s++)
		rep->vm_stat[s] = sg_vm_stat(c->vm, (enum sg_vm_stat)s);
	if (!failed(c) && (!rep->edges || !rep->levels || !rep->msis || !rep->readbacks))
		chaos_fail(c,
			   "the workload did not exercise everything: %llu edges, %llu levels, "
			   "%llu MSIs, %llu read-backs",
			   (unsigned long long)rep->edges, (unsigned long long)rep->levels,
			   (unsigned long long)rep->msis, (unsigned long long)rep->readbacks);
}

int chaos_finish(struct chaos *c, struct chaos_report *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof(*rep));
	atomic_store(&c->stop_gen, true);
	chaos_notify(c);
	if (c->started) {
		pthread_join(c->spi_dev, NULL);
		pthread_join(c->msi_dev, NULL);
		/* The vCPUs go on handling until everything raised was. */
		if (!chaos_wait_for(c, quiescent, NULL) && !failed(c)) {
			dump_stuck(c);
			chaos_fail(c,
				   "interrupts raised were never handled (lost) within %u ms of "
				   "silence",
				   c->liveness_ms);
		}
		atomic_store(&c->stop, true);
		for (unsigned v = 0; v < NV; v++) {
			sg_vcpu_kick(c->vc[v].v);
			pthread_join(c->vc[v].thread, NULL);
		}
		c->started = false;
	}
	if (!failed(c))
		chaos_check_registers(c);
	if (!failed(c))
		check_counts(c, rep);
	if (failed(c)) {
		snprintf(err, errlen, "%s", c->failure);
		return -1;
	}
	return 0;
}

struct sg_vm *chaos_vm(struct chaos *c)
{
	return c->vm;
}

void chaos_destroy(struct chaos *c)
{
	if (!c)
		return;
	stop_threads(c);
	if (c->vm)
		sg_vm_destroy(c->vm);
	if (c->ram)
		munmap(c->ram, RAM_SIZE);
	if (c->memfd >= 0)
		close(c->memfd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
