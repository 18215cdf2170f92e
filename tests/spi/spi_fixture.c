// SPDX-License-Identifier: MIT
#include "spi_fixture.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded.h"
#include "harness.h"
#include "splitgic/embedded.h"

/* How long an idle vCPU thread blocks in sg_vcpu_wait() before re-checking
 * its stop flag and requests (both also kick it, so this is only a bound). */
#define WAIT_SLICE_NS 100000000ll

struct fx_req {
	uint32_t off;
	unsigned size;
	bool write;
	uint64_t val;
	int rc;
	bool done;
};

struct fx_vcpu {
	struct sg_vcpu *v;
	unsigned idx;
	pthread_t thread;
	atomic_bool running;
	atomic_bool stop;
	atomic_bool kicked;
	atomic_bool parked; /* blocked in a handler, in the guest */
	bool eoimode1;
	struct fx_req *req;  /* under fx.lock */
	atomic_bool serving; /* the thread is performing a requested access */
	atomic_uint handled[FX_MAX_INTID];
	atomic_uint nr_handled; /* sum of handled[] */
	atomic_uint acks_begun; /* IARs about to be issued with virq up */
	atomic_uint eois_begun; /* EOIRs about to be issued */
	atomic_uint done;
	atomic_uint idle_entries; /* guest entries that found nothing to take */
	atomic_uint log_len;
	uint32_t log[FX_LOG_MAX];
};

static struct {
	struct harness_daemon d;
	struct gicd_embedded *emb; /* FX_EMBEDDED: instead of the daemon */
	struct sg_vm *vm;
	unsigned nr_vcpus;
	unsigned nr_spis;
	struct fx_vcpu vc[FX_MAX_VCPUS];
	struct fx_hooks hooks;
	uint32_t icfgr[64]; /* shadow of GICD_ICFGR: the fixture is its only writer */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_uint failures;
	char first_failure[512];
	atomic_uint in_handler; /* vCPU + 1 in fx_stay_in_handler(), 0: none */
	atomic_bool release;	/* fx_release_handler() was called */
} fx;

/* ------------------------------------------------------------ helpers */

static void deadline_in_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000l;
	if (ts->tv_nsec >= 1000000000l) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000l;
	}
}

void fx_notify(void)
{
	pthread_mutex_lock(&fx.lock);
	pthread_cond_broadcast(&fx.cond);
	pthread_mutex_unlock(&fx.lock);
}

void fx_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fx.lock);
	if (atomic_fetch_add(&fx.failures, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(fx.first_failure, sizeof(fx.first_failure), fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&fx.cond);
	pthread_mutex_unlock(&fx.lock);
}

unsigned fx_failures(void)
{
	return atomic_load(&fx.failures);
}

void fx_check_failures(void)
{
	unsigned n = fx_failures();

	ck_assert_msg(n == 0, "%u failure(s) in helper threads; first: %s", n, fx.first_failure);
}

uint64_t fx_route(unsigned vcpu)
{
	/* harness_shape(): Aff0 = index % 16, Aff1 = index / 16. */
	return ((uint64_t)(vcpu / 16) << 8) | (vcpu % 16);
}

struct sg_vm *fx_vm(void)
{
	return fx.vm;
}

struct sg_vcpu *fx_vcpu(unsigned vcpu)
{
	return fx.vc[vcpu].v;
}

/* -------------------------------------------------------------- MMIO */

static int mmio_direct(struct fx_vcpu *vc, uint32_t off, unsigned size, bool write, uint64_t *val)
{
	return sg_vcpu_mmio(vc->v, SG_DEFAULT_GICD_BASE + off, size, write, val) == SG_MMIO_DONE
		       ? 0
		       : -1;
}

/* In the vCPU thread, outside the guest: serve a trap another thread asked for. */
static void serve_request(struct fx_vcpu *vc)
{
	struct fx_req *r;

	pthread_mutex_lock(&fx.lock);
	r = vc->req;
	pthread_mutex_unlock(&fx.lock);
	if (!r)
		return;
	atomic_store(&vc->serving, true);
	fx_notify();
	r->rc = mmio_direct(vc, r->off, r->size, r->write, &r->val);
	atomic_store(&vc->serving, false);
	pthread_mutex_lock(&fx.lock);
	r->done = true;
	vc->req = NULL;
	pthread_cond_broadcast(&fx.cond);
	pthread_mutex_unlock(&fx.lock);
}

int fx_mmio(unsigned via, uint32_t off, unsigned size, bool write, uint64_t *val)
{
	struct fx_vcpu *vc = &fx.vc[via];
	struct fx_req r = { .off = off, .size = size, .write = write, .val = *val };
	struct timespec dl;
	int rc = 0;

	if (!atomic_load(&vc->running)) {
		if (mmio_direct(vc, off, size, write, val) < 0)
			goto fail;
		return 0;
	}
	deadline_in_ms(&dl, FX_LIVENESS_MS);
	pthread_mutex_lock(&fx.lock);
	while (vc->req && rc == 0)
		rc = pthread_cond_timedwait(&fx.cond, &fx.lock, &dl);
	if (rc == 0)
		vc->req = &r;
	pthread_mutex_unlock(&fx.lock);
	if (rc != 0)
		goto fail;
	sg_vcpu_kick(vc->v);
	pthread_mutex_lock(&fx.lock);
	while (!r.done && rc == 0)
		rc = pthread_cond_timedwait(&fx.cond, &fx.lock, &dl);
	if (!r.done)
		vc->req = NULL; /* the thread is stuck; do not leave it a dangling request */
	pthread_mutex_unlock(&fx.lock);
	if (!r.done || r.rc < 0)
		goto fail;
	*val = r.val;
	return 0;
fail:
	fx_fail("vCPU %u: GICD %s at 0x%x failed or timed out", via, write ? "write" : "read", off);
	return -1;
}

uint64_t fx_read(unsigned via, uint32_t off, unsigned size)
{
	uint64_t val = 0;

	ck_assert_msg(fx_mmio(via, off, size, false, &val) == 0, "GICD read 0x%x via vCPU %u", off,
		      via);
	return val;
}

void fx_write(unsigned via, uint32_t off, unsigned size, uint64_t val)
{
	ck_assert_msg(fx_mmio(via, off, size, true, &val) == 0, "GICD write 0x%x via vCPU %u", off,
		      via);
}

void fx_spi_config(unsigned via, uint32_t intid, bool edge, uint8_t prio, uint64_t irouter)
{
	uint32_t w = intid / 16, bit = 2u * (intid % 16) + 1; /* Int_config[1] */

	if (edge)
		fx.icfgr[w] |= 1u << bit;
	else
		fx.icfgr[w] &= ~(1u << bit);
	fx_write(via, GICD_ICFGR + 4 * w, 4, fx.icfgr[w]);
	fx_write(via, GICD_IPRIORITYR + intid, 1, prio);
	fx_write(via, GICD_IROUTER + 8 * intid, 8, irouter);
}

void fx_fence(unsigned via)
{
	(void)fx_read(via, GICD_CTLR, 4);
}

void fx_enable(unsigned via, uint32_t intid)
{
	fx_write(via, GICD_ISENABLER + 4 * (intid / 32), 4, 1u << (intid % 32));
	fx_fence(via);
}

void fx_disable(unsigned via, uint32_t intid)
{
	fx_write(via, GICD_ICENABLER + 4 * (intid / 32), 4, 1u << (intid % 32));
}

bool fx_pending(unsigned via, uint32_t intid)
{
	return (fx_read(via, GICD_ISPENDR + 4 * (intid / 32), 4) >> (intid % 32)) & 1;
}

bool fx_active(unsigned via, uint32_t intid)
{
	return (fx_read(via, GICD_ISACTIVER + 4 * (intid / 32), 4) >> (intid % 32)) & 1;
}

/* -------------------------------------------------------- the guest */

static void record(struct fx_vcpu *vc, uint32_t id)
{
	unsigned n = atomic_load(&vc->log_len);

	if (n < FX_LOG_MAX) {
		vc->log[n] = id;
		atomic_store(&vc->log_len, n + 1);
	}
	if (id < FX_MAX_INTID)
		atomic_fetch_add(&vc->handled[id], 1);
	atomic_fetch_add(&vc->nr_handled, 1);
	fx_notify();
}

static void kick_cb(struct sg_vcpu *v, void *arg)
{
	struct fx_vcpu *vc = arg;

	(void)v;
	atomic_store(&vc->kicked, true);
	fx_notify();
}

bool fx_guest_block(unsigned vcpu, bool (*pred)(void *arg), void *arg)
{
	struct fx_vcpu *vc = &fx.vc[vcpu];
	struct timespec dl;
	int rc = 0;

	deadline_in_ms(&dl, FX_LIVENESS_MS);
	pthread_mutex_lock(&fx.lock);
	atomic_store(&vc->parked, true);
	for (;;) {
		if (pred(arg))
			break;
		if (atomic_exchange(&vc->kicked, false)) {
			/* Forced out of the guest: exit and re-enter, still in
			 * the handler (the cpuif keeps its active priorities). */
			atomic_store(&vc->parked, false);
			pthread_mutex_unlock(&fx.lock);
			sg_vcpu_sync(vc->v);
			sg_vcpu_flush(vc->v);
			pthread_mutex_lock(&fx.lock);
			atomic_store(&vc->parked, true);
			pthread_cond_broadcast(&fx.cond);
			continue;
		}
		if (rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&fx.cond, &fx.lock, &dl);
	}
	atomic_store(&vc->parked, false);
	pthread_mutex_unlock(&fx.lock);
	if (rc == ETIMEDOUT && !pred(arg)) {
		fx_fail("vCPU %u: blocked in a handler past the liveness bound", vcpu);
		return false;
	}
	return true;
}

static bool handler_released(void *arg)
{
	(void)arg;
	return atomic_load(&fx.release);
}

void fx_stay_in_handler(unsigned vcpu)
{
	atomic_store(&fx.in_handler, vcpu + 1);
	fx_notify();
	fx_guest_block(vcpu, handler_released, NULL);
	atomic_store(&fx.in_handler, 0);
	atomic_store(&fx.release, false);
}

static bool in_handler(void *arg)
{
	return atomic_load(&fx.in_handler) == *(unsigned *)arg + 1;
}

void fx_wait_in_handler(unsigned vcpu)
{
	char what[48];

	snprintf(what, sizeof(what), "vCPU %u in its handler", vcpu);
	fx_wait(in_handler, &vcpu, what);
}

void fx_release_handler(void)
{
	atomic_store(&fx.release, true);
	fx_notify();
}

static void *vcpu_thread(void *arg)
{
	struct fx_vcpu *vc = arg;
	struct sg_cpuif *c = sg_vcpu_cpuif(vc->v);
	uint32_t ids[64];

	while (!atomic_load(&vc->stop)) {
		unsigned n = 0;

		serve_request(vc);
		sg_vcpu_wait(vc->v, WAIT_SLICE_NS);
		if (atomic_load(&vc->stop))
			break;
		serve_request(vc);
		atomic_store(&vc->kicked, false);
		sg_vcpu_flush(vc->v);
		while (sg_cpuif_virq(c)) {
			uint32_t id;

			atomic_fetch_add(&vc->acks_begun, 1);
			id = sg_cpuif_iar(c, 1);
			if (id >= GIC_INTID_SPURIOUS - 3)
				break; /* special INTIDs: nothing to handle */
			record(vc, id);
			if (fx.hooks.handler)
				fx.hooks.handler(vc->idx, id, fx.hooks.arg);
			atomic_fetch_add(&vc->eois_begun, 1);
			sg_cpuif_eoir(c, 1, id);
			if (vc->eoimode1)
				sg_cpuif_dir(c, id);
			if (n < sizeof(ids) / sizeof(ids[0]))
				ids[n++] = id;
		}
		sg_vcpu_sync(vc->v);
		if (!n)
			atomic_fetch_add(&vc->idle_entries, 1);
		for (unsigned i = 0; i < n; i++) {
			if (fx.hooks.after_sync)
				fx.hooks.after_sync(vc->idx, ids[i], fx.hooks.arg);
			atomic_fetch_add(&vc->done, 1);
		}
		fx_notify();
	}
	return NULL;
}

/* ------------------------------------------------------- lifecycle */

/* What a booting guest does (Linux's gic_enable_redist()): clear
 * GICR_WAKER.ProcessorSleep, without which no 1-of-N SPI may target the PE. */
static void wake_redistributor(struct fx_vcpu *vc)
{
	uint64_t addr = sg_vm_shape(fx.vm)->map.gicr_base + (uint64_t)vc->idx * GICR_FRAME_SIZE +
			GICR_WAKER;
	uint64_t val = 0;

	ck_assert_int_eq(sg_vcpu_mmio(vc->v, addr, 4, false, &val), SG_MMIO_DONE);
	val &= ~(uint64_t)GICR_WAKER_PROCESSOR_SLEEP;
	ck_assert_int_eq(sg_vcpu_mmio(vc->v, addr, 4, true, &val), SG_MMIO_DONE);
}

void fx_setup(unsigned nr_vcpus, unsigned nr_spis)
{
	struct sg_vm_shape s;
	pthread_condattr_t ca;
	char err[256];

	ck_assert_uint_le(nr_vcpus, FX_MAX_VCPUS);
	memset(&fx, 0, sizeof(fx));
	pthread_mutex_init(&fx.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fx.cond, &ca);
	pthread_condattr_destroy(&ca);
	/* Quiet daemon (debug logging of every message would dominate the
	 * run); FX_DAEMON_LOG=debug for investigations, with HARNESS_SHOW_LOG=1. */
	const char *level = getenv("FX_DAEMON_LOG");
	const char *const args[] = { "--log-level", level && level[0] ? level : "notice", NULL };
	const char *emb = getenv("FX_EMBEDDED");
	bool embedded = emb && emb[0] && strcmp(emb, "0") != 0;

	if (!embedded)
		harness_daemon_start(&fx.d, args);
	harness_shape(&s, nr_vcpus, nr_spis, 0);
	fx.vm = harness_vm_create(&s);
	if (embedded) {
		/* The same core in this process (docs/embedded.md). */
		ck_assert_msg(gicd_embedded_create(&s, NULL, 0, &fx.emb, err, sizeof(err)) == 0,
			      "%s", err);
		ck_assert_int_eq(sg_vm_attach_embedded(fx.vm, gicd_embedded_ops(), fx.emb), 0);
	} else {
		harness_vm_connect(fx.vm, &fx.d, "test");
	}
	fx.nr_vcpus = nr_vcpus;
	fx.nr_spis = nr_spis;
	harness_vm_enable_grp1(fx.vm);
	for (unsigned i = 0; i < nr_vcpus; i++) {
		struct fx_vcpu *vc = &fx.vc[i];

		vc->idx = i;
		vc->v = sg_vm_vcpu(fx.vm, i);
		sg_vcpu_set_kick_fn(vc->v, kick_cb, vc);
		wake_redistributor(vc);
		/* Report the group enables and wakefulness (CpuState) before any
		 * 1-of-N routing. */
		sg_vcpu_flush(vc->v);
		sg_vcpu_sync(vc->v);
	}
	fx_write(0, GICD_CTLR, 4, GICD_CTLR_ENABLE_G1);
}

void fx_set_eoimode1(unsigned vcpu, bool on)
{
	struct sg_cpuif *c = sg_vcpu_cpuif(fx.vc[vcpu].v);

	ck_assert(!atomic_load(&fx.vc[vcpu].running));
	fx.vc[vcpu].eoimode1 = on;
	sg_cpuif_set_ctlr(c, on ? ICC_CTLR_EOIMODE : 0);
}

void fx_set_igrpen1(unsigned vcpu, bool on)
{
	struct fx_vcpu *vc = &fx.vc[vcpu];

	ck_assert(!atomic_load(&vc->running));
	sg_cpuif_set_igrpen(sg_vcpu_cpuif(vc->v), 1, on);
	/* The change reaches 1-of-N routing with the next sync. */
	sg_vcpu_flush(vc->v);
	sg_vcpu_sync(vc->v);
}

void fx_set_hooks(const struct fx_hooks *h)
{
	fx.hooks = *h;
}

void fx_start(unsigned vcpu)
{
	struct fx_vcpu *vc = &fx.vc[vcpu];

	ck_assert(!atomic_load(&vc->running));
	atomic_store(&vc->stop, false);
	atomic_store(&vc->running, true);
	ck_assert_int_eq(pthread_create(&vc->thread, NULL, vcpu_thread, vc), 0);
}

void fx_start_all(void)
{
	for (unsigned i = 0; i < fx.nr_vcpus; i++)
		if (!atomic_load(&fx.vc[i].running))
			fx_start(i);
}

void fx_stop_all(void)
{
	for (unsigned i = 0; i < fx.nr_vcpus; i++) {
		struct fx_vcpu *vc = &fx.vc[i];

		if (!atomic_load(&vc->running))
			continue;
		atomic_store(&vc->stop, true);
		sg_vcpu_kick(vc->v);
		fx_notify();
		pthread_join(vc->thread, NULL);
		atomic_store(&vc->running, false);
	}
}

void fx_teardown(void)
{
	fx_stop_all();
	sg_vm_destroy(fx.vm);
	fx.vm = NULL;
	if (fx.emb)
		gicd_embedded_destroy(fx.emb);
	else
		ck_assert_int_eq(harness_daemon_stop(&fx.d), 0);
	fx.emb = NULL;
	fx_check_failures();
}

struct gicd_embedded *fx_embedded(void)
{
	return fx.emb;
}

/* -------------------------------------------------------- counters */

unsigned fx_handled(unsigned vcpu, uint32_t intid)
{
	return atomic_load(&fx.vc[vcpu].handled[intid]);
}

unsigned fx_handled_total(uint32_t intid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fx.nr_vcpus; i++)
		n += fx_handled(i, intid);
	return n;
}

bool fx_serving(unsigned vcpu)
{
	return atomic_load(&fx.vc[vcpu].serving);
}

unsigned fx_idle_entries(unsigned vcpu)
{
	return atomic_load(&fx.vc[vcpu].idle_entries);
}

bool fx_parked(unsigned vcpu)
{
	return atomic_load(&fx.vc[vcpu].parked);
}

unsigned fx_acks_begun(unsigned vcpu)
{
	return atomic_load(&fx.vc[vcpu].acks_begun);
}

unsigned fx_eois_begun(unsigned vcpu)
{
	return atomic_load(&fx.vc[vcpu].eois_begun);
}

unsigned fx_done(unsigned vcpu)
{
	return atomic_load(&fx.vc[vcpu].done);
}

unsigned fx_log(unsigned vcpu, uint32_t *out, unsigned max)
{
	unsigned n = atomic_load(&fx.vc[vcpu].log_len);

	if (n > max)
		n = max;
	memcpy(out, fx.vc[vcpu].log, n * sizeof(*out));
	return n;
}

bool fx_wait_quiet(bool (*pred)(void *arg), void *arg)
{
	struct timespec dl;
	int rc = 0;
	bool ok;

	deadline_in_ms(&dl, FX_LIVENESS_MS);
	pthread_mutex_lock(&fx.lock);
	while (!(ok = pred(arg)) && rc == 0 && !atomic_load(&fx.failures))
		rc = pthread_cond_timedwait(&fx.cond, &fx.lock, &dl);
	pthread_mutex_unlock(&fx.lock);
	return ok;
}

void fx_wait(bool (*pred)(void *arg), void *arg, const char *what)
{
	bool ok = fx_wait_quiet(pred, arg);

	fx_check_failures();
	ck_assert_msg(ok, "timed out (%d ms liveness bound) waiting for %s", FX_LIVENESS_MS, what);
}

struct count_wait {
	uint32_t intid;
	unsigned vcpu;
	unsigned n;
};

static bool handled_reached(void *arg)
{
	struct count_wait *w = arg;

	return fx_handled_total(w->intid) >= w->n;
}

static bool done_reached(void *arg)
{
	struct count_wait *w = arg;

	return fx_done(w->vcpu) >= w->n;
}

void fx_wait_handled(uint32_t intid, unsigned n)
{
	struct count_wait w = { .intid = intid, .n = n };
	char what[64];

	snprintf(what, sizeof(what), "INTID %u handled %u times", intid, n);
	fx_wait(handled_reached, &w, what);
}

void fx_wait_done(unsigned vcpu, unsigned n)
{
	struct count_wait w = { .vcpu = vcpu, .n = n };
	char what[64];

	snprintf(what, sizeof(what), "vCPU %u completing %u interrupts", vcpu, n);
	fx_wait(done_reached, &w, what);
}

static bool all_done(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < fx.nr_vcpus; i++)
		if (atomic_load(&fx.vc[i].done) != atomic_load(&fx.vc[i].nr_handled))
			return false;
	return true;
}

void fx_wait_all_done(void)
{
	fx_wait(all_done, NULL, "every acknowledged interrupt to be completed");
}

void fx_assert_idle(unsigned via, uint32_t first, unsigned count)
{
	for (uint32_t id = first; id < first + count; id++) {
		ck_assert_msg(!fx_pending(via, id), "INTID %u still pending", id);
		ck_assert_msg(!fx_active(via, id), "INTID %u still active", id);
	}
}

/* ------------------------------------------------- manual driving */

uint32_t fx_take(unsigned vcpu)
{
	struct fx_vcpu *vc = &fx.vc[vcpu];
	struct sg_cpuif *c = sg_vcpu_cpuif(vc->v);
	struct timespec dl, now;

	ck_assert(!atomic_load(&vc->running));
	deadline_in_ms(&dl, FX_LIVENESS_MS);
	for (;;) {
		uint32_t id = GIC_INTID_SPURIOUS;

		sg_vcpu_wait(vc->v, WAIT_SLICE_NS);
		sg_vcpu_flush(vc->v);
		if (sg_cpuif_virq(c))
			id = sg_cpuif_iar(c, 1);
		sg_vcpu_sync(vc->v);
		if (id < GIC_INTID_SPURIOUS - 3) {
			record(vc, id);
			return id;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > dl.tv_sec ||
		    (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec))
			return GIC_INTID_SPURIOUS;
	}
}

void fx_eoi(unsigned vcpu, uint32_t intid)
{
	struct fx_vcpu *vc = &fx.vc[vcpu];
	struct sg_cpuif *c = sg_vcpu_cpuif(vc->v);

	ck_assert(!atomic_load(&vc->running));
	sg_vcpu_flush(vc->v);
	sg_cpuif_eoir(c, 1, intid);
	if (vc->eoimode1)
		sg_cpuif_dir(c, intid);
	sg_vcpu_sync(vc->v);
	atomic_fetch_add(&vc->done, 1);
}

bool fx_vcpu_pending(unsigned vcpu)
{
	ck_assert(!atomic_load(&fx.vc[vcpu].running));
	return sg_vcpu_pending_irq(fx.vc[vcpu].v);
}
