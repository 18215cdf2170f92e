// SPDX-License-Identifier: MIT
#include "restarter.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "splitgic/agent.h"

/* A SIGTERM'd daemon writes its final snapshot and exits; one that takes
 * longer than this is stuck and gets SIGKILL (and counts as a failure). */
#define STOP_GRACE_MS 10000
/* The agent retries the control socket for 60 s (vcpu-agent/bus.c). */
#define ATTACH_LIMIT_NS (65 * 1000000000ll)
/* How often the re-attach is looked for: the blackout's resolution. */
#define ATTACH_POLL_US 200

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void failed(struct restarter *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void failed(struct restarter *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->last_failure, sizeof(r->last_failure), fmt, ap);
	va_end(ap);
	sg_err("restarter: %s", r->last_failure);
	if (!r->st.failures++)
		snprintf(r->st.failure, sizeof(r->st.failure), "%s", r->last_failure);
}

static void record(struct restart_stats *st, int64_t ready, int64_t attach)
{
	if (st->n == st->cap) {
		unsigned cap = st->cap ? 2 * st->cap : 64;
		int64_t *a = realloc(st->to_ready_ns, cap * sizeof(*a));

		if (!a)
			return;
		st->to_ready_ns = a;
		a = realloc(st->to_attach_ns, cap * sizeof(*a));
		if (!a)
			return;
		st->to_attach_ns = a;
		st->cap = cap;
	}
	st->to_ready_ns[st->n] = ready;
	st->to_attach_ns[st->n] = attach;
	st->n++;
}

/* One restart: stop, reap, start, wait for READY and for the agent.
 * Returns false when the VM has no daemon any more. */
static bool restart_once(struct restarter *r)
{
	/* Only this thread changes kills. */
	unsigned nr = r->kills + 1;
	int sig = nr % 2 ? SIGTERM : SIGKILL;
	const char *sig_name = sig == SIGTERM ? "SIGTERM" : "SIGKILL";
	int expect = sig == SIGTERM ? 0 : 128 + SIGKILL;
	uint64_t reconnects = sg_vm_stat(r->vm, SG_VM_RECONNECTS);
	uint64_t resumes = sg_vm_stat(r->vm, SG_VM_RESUMES);
	bool alive = daemon_alive(r->d), forced;
	int64_t t0, t_ready, t_attach;
	char err[256];
	int code;

	t0 = now_ns();
	code = daemon_stop(r->d, sig, STOP_GRACE_MS, &forced);
	pthread_mutex_lock(&r->lock);
	r->kills++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (!alive)
		failed(r, "gicd-server had already exited (code %d) before restart %u", code, nr);
	else if (forced)
		failed(r, "gicd-server did not stop within %d ms of SIGTERM (restart %u)",
		       STOP_GRACE_MS, nr);
	else if (code != expect)
		failed(r, "gicd-server exited with code %d after %s (restart %u), expected %d",
		       code, sig_name, nr, expect);
	if (daemon_start(r->d, err, sizeof(err)) < 0) {
		failed(r, "restart %u: %s", nr, err);
		r->fatal(r->ctx, r->last_failure);
		return false;
	}
	t_ready = now_ns();
	while (sg_vm_stat(r->vm, SG_VM_RECONNECTS) == reconnects) {
		if (now_ns() - t0 > ATTACH_LIMIT_NS) {
			failed(r, "restart %u: the agent did not re-attach", nr);
			r->fatal(r->ctx, r->last_failure);
			return false;
		}
		usleep(ATTACH_POLL_US);
	}
	t_attach = now_ns();
	/* And the new daemon's Resume handled (the replay sent): a restart is
	 * over, and the teardown never finds one half done. */
	while (sg_vm_stat(r->vm, SG_VM_RESUMES) == resumes) {
		if (now_ns() - t0 > ATTACH_LIMIT_NS) {
			failed(r, "restart %u: the agent did not resume", nr);
			r->fatal(r->ctx, r->last_failure);
			return false;
		}
		usleep(ATTACH_POLL_US);
	}
	if (sig == SIGTERM)
		r->st.sigterm++;
	else
		r->st.sigkill++;
	record(&r->st, t_ready - t0, t_attach - t0);
	sg_info("restart %u (%s): new gicd-server pid %d ready after %.1f ms, agent re-attached "
		"after %.1f ms",
		nr, sig_name, (int)r->d->pid, (t_ready - t0) / 1e6, (t_attach - t0) / 1e6);
	return true;
}

static struct timespec abs_time(int64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000),
				  .tv_nsec = (long)(ns % 1000000000) };
}

static void *restarter_thread(void *arg)
{
	struct restarter *r = arg;
	int64_t next = now_ns() + (int64_t)r->first_ms * 1000000;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->quiesce && now_ns() < next) {
			struct timespec ts = abs_time(next);

			pthread_cond_timedwait(&r->cond, &r->lock, &ts);
		}
		if (r->quiesce)
			break;
		pthread_mutex_unlock(&r->lock);
		if (!restart_once(r)) {
			pthread_mutex_lock(&r->lock);
			break;
		}
		/* The daemon serves every_ms between restarts, however long
		 * the restart took: the guest always makes progress. */
		next = now_ns() + (int64_t)r->every_ms * 1000000;
		pthread_mutex_lock(&r->lock);
	}
	r->parked = true;
	pthread_cond_broadcast(&r->cond);
	/* Forked daemons get their parent-death signal when this thread
	 * ends: stay until the last one is reaped. */
	while (!r->leave)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int restarter_start(struct restarter *r, struct daemon *d, struct sg_vm *vm, unsigned every_ms,
		    unsigned first_ms, void (*fatal)(void *ctx, const char *why), void *ctx)
{
	pthread_condattr_t ca;
	int rc;

	memset(r, 0, sizeof(*r));
	r->d = d;
	r->vm = vm;
	r->every_ms = every_ms;
	r->first_ms = first_ms;
	r->fatal = fatal;
	r->ctx = ctx;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&r->thread, NULL, restarter_thread, r);
	if (rc)
		return rc;
	r->running = true;
	if (first_ms == 0) {
		pthread_mutex_lock(&r->lock);
		while (r->kills == 0 && !r->parked)
			pthread_cond_wait(&r->cond, &r->lock);
		pthread_mutex_unlock(&r->lock);
	}
	return 0;
}

void restarter_quiesce(struct restarter *r)
{
	if (!r->running)
		return;
	pthread_mutex_lock(&r->lock);
	r->quiesce = true;
	pthread_cond_broadcast(&r->cond);
	while (!r->parked)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void restarter_join(struct restarter *r)
{
	if (!r->running)
		return;
	restarter_quiesce(r);
	pthread_mutex_lock(&r->lock);
	r->leave = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->running = false;
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

void restarter_free(struct restarter *r)
{
	free(r->st.to_ready_ns);
	free(r->st.to_attach_ns);
	r->st.to_ready_ns = r->st.to_attach_ns = NULL;
	r->st.n = r->st.cap = 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t restart_percentile(int64_t *ns, unsigned n, double p)
{
	unsigned i;

	if (!n)
		return 0;
	qsort(ns, n, sizeof(*ns), cmp_i64);
	/* Nearest rank: the smallest value with at least p % at or below it. */
	i = (unsigned)ceil(p / 100.0 * n);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return ns[i - 1];
}
