// SPDX-License-Identifier: MIT
#include "testdev.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"

void testdev_init(struct testdev *d, const struct testdev_ops *ops, uint32_t spi_base,
		  uint32_t spi_count)
{
	pthread_condattr_t ca;

	memset(d, 0, sizeof(*d));
	d->ops = *ops;
	d->spi_base = spi_base;
	d->spi_count = spi_count > 32 ? 32 : spi_count;
	d->msi_device = 0x10; /* the DeviceID the DT's msi-parent names */
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
}

static void ns_to_timespec(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}

/* The stream generator: one interrupt per step, paced by STREAM_PERIOD_US
 * from the write to STREAM_COUNT. */
static void *stream_thread(void *arg)
{
	struct testdev *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		uint64_t gen = d->stream_gen;
		uint32_t kind = d->stream_kind, line = d->stream_line, dev = d->msi_device;
		uint32_t index = d->stream_index;
		int64_t due;

		if (d->stream_left == 0) {
			pthread_cond_wait(&d->cond, &d->lock);
			continue;
		}
		due = d->stream_start_ns + (int64_t)index * d->stream_period_us * 1000;
		if (d->stream_period_us && d->ops.now_ns(d->ops.ctx) < due) {
			struct timespec ts;

			ns_to_timespec(due, &ts);
			pthread_cond_timedwait(&d->cond, &d->lock, &ts);
			continue; /* re-read: stopped, restarted or due */
		}
		pthread_mutex_unlock(&d->lock);
		/* Outside the lock: the bus may push back. */
		if (kind == TD_KIND_MSI)
			d->ops.msi(d->ops.ctx, dev, index % 256);
		else
			d->ops.pulse(d->ops.ctx, d->spi_base + line);
		pthread_mutex_lock(&d->lock);
		d->ack_count++;
		if (gen == d->stream_gen && d->stream_left) {
			d->stream_left--;
			d->stream_index++;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int testdev_start(struct testdev *d)
{
	int rc = pthread_create(&d->thread, NULL, stream_thread, d);

	if (rc)
		return -rc;
	d->thread_running = true;
	return 0;
}

void testdev_fini(struct testdev *d)
{
	if (d->thread_running) {
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
		d->thread_running = false;
	}
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
}

static void reject(struct testdev *d, const char *what, uint64_t off, uint64_t val)
{
	d->rejected++;
	sg_reject_log("testdev: %s at offset 0x%llx (value 0x%llx) ignored", what,
		      (unsigned long long)off, (unsigned long long)val);
}

uint64_t testdev_read(struct testdev *d, uint64_t off, unsigned size, uint64_t *latch)
{
	uint64_t v = 0;

	if (off == TD_NOW_NS && (size == 8 || size == 4)) {
		uint64_t now = (uint64_t)d->ops.now_ns(d->ops.ctx);

		if (latch)
			*latch = now;
		return size == 8 ? now : (uint32_t)now;
	}
	if (off == TD_NOW_NS + 4 && size == 4)
		return (uint32_t)((latch ? *latch : (uint64_t)d->ops.now_ns(d->ops.ctx)) >> 32);
	if (size != 4 || (off & 3)) {
		pthread_mutex_lock(&d->lock);
		reject(d, "bad read width", off, size);
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	pthread_mutex_lock(&d->lock);
	switch (off) {
	case TD_ID: v = TD_ID_VALUE; break;
	case TD_VERSION: v = TD_VERSION_VALUE; break;
	case TD_SPI_BASE: v = d->spi_base; break;
	case TD_SPI_COUNT: v = d->spi_count; break;
	case TD_LINE_STATE: v = d->line_state; break;
	case TD_MSI_DEVICE: v = d->msi_device; break;
	case TD_STREAM_LINE: v = d->stream_line; break;
	case TD_STREAM_COUNT: v = d->stream_left; break;
	case TD_STREAM_KIND: v = d->stream_kind; break;
	case TD_STREAM_PERIOD_US: v = d->stream_period_us; break;
	case TD_ACK_COUNT: v = (uint32_t)d->ack_count; break;
	default: break; /* unlisted offsets read as zero */
	}
	pthread_mutex_unlock(&d->lock);
	return v;
}

/* A line change, sent only when the level changes. */
static void set_line(struct testdev *d, uint32_t n, bool level)
{
	uint32_t bit = 1u << n;
	bool was;

	pthread_mutex_lock(&d->lock);
	was = (d->line_state & bit) != 0;
	d->line_state = level ? d->line_state | bit : d->line_state & ~bit;
	pthread_mutex_unlock(&d->lock);
	if (was != level)
		d->ops.set_line(d->ops.ctx, d->spi_base + n, level);
}

void testdev_write(struct testdev *d, uint64_t off, unsigned size, uint64_t val)
{
	uint32_t v = (uint32_t)val;

	if (size != 4 || (off & 3)) {
		pthread_mutex_lock(&d->lock);
		reject(d, "bad write width", off, val);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	switch (off) {
	case TD_EXIT: d->ops.exit(d->ops.ctx, v); return;
	case TD_LINE_SET:
	case TD_LINE_CLEAR:
	case TD_LINE_PULSE:
		if (v >= d->spi_count)
			break;
		if (off == TD_LINE_PULSE)
			d->ops.pulse(d->ops.ctx, d->spi_base + v);
		else
			set_line(d, v, off == TD_LINE_SET);
		return;
	case TD_MSI_SEND: {
		uint32_t dev;

		pthread_mutex_lock(&d->lock);
		dev = d->msi_device;
		pthread_mutex_unlock(&d->lock);
		d->ops.msi(d->ops.ctx, dev, v);
		return;
	}
	case TD_MSI_DEVICE:
	case TD_STREAM_LINE:
	case TD_STREAM_COUNT:
	case TD_STREAM_KIND:
	case TD_STREAM_PERIOD_US: break;
	default: return; /* unlisted and read-only offsets ignore writes */
	}
	pthread_mutex_lock(&d->lock);
	switch (off) {
	case TD_MSI_DEVICE: d->msi_device = v; break;
	case TD_STREAM_LINE:
		if (v < d->spi_count)
			d->stream_line = v;
		else
			reject(d, "STREAM_LINE out of range", off, v);
		break;
	case TD_STREAM_KIND:
		if (v == TD_KIND_EDGE || v == TD_KIND_MSI)
			d->stream_kind = v;
		else
			reject(d, "unknown STREAM_KIND", off, v);
		break;
	case TD_STREAM_PERIOD_US: d->stream_period_us = v; break;
	case TD_STREAM_COUNT:
		d->stream_left = v;
		d->stream_index = 0;
		d->stream_gen++;
		d->stream_start_ns = d->ops.now_ns(d->ops.ctx);
		pthread_cond_broadcast(&d->cond);
		break;
	default: reject(d, "bad value", off, v); break; /* LINE_* with n >= 32 */
	}
	pthread_mutex_unlock(&d->lock);
}
