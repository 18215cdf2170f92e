/* SPDX-License-Identifier: MIT */
/*
 * The splitgic test device (docs/splitgic-vm.md, "The splitgic test
 * device"): registers a guest uses to raise level and edge SPIs and MSIs,
 * stop the VM with a status, and a stream generator that raises interrupts
 * from its own thread (the device-model thread).  Interrupts leave through
 * the ops, which the VMM points at the agent's device-model API.
 */
#ifndef SGVM_TESTDEV_H
#define SGVM_TESTDEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TD_ID		    0x00u
#define TD_VERSION	    0x04u
#define TD_EXIT		    0x08u
#define TD_SPI_BASE	    0x10u
#define TD_SPI_COUNT	    0x14u
#define TD_LINE_SET	    0x20u
#define TD_LINE_CLEAR	    0x24u
#define TD_LINE_PULSE	    0x28u
#define TD_LINE_STATE	    0x2Cu
#define TD_MSI_DEVICE	    0x30u
#define TD_MSI_SEND	    0x34u
#define TD_STREAM_LINE	    0x40u
#define TD_STREAM_COUNT	    0x44u
#define TD_STREAM_KIND	    0x48u
#define TD_STREAM_PERIOD_US 0x4Cu
#define TD_ACK_COUNT	    0x50u
#define TD_NOW_NS	    0x58u

#define TD_ID_VALUE	 0x53475444u /* "SGTD" */
#define TD_VERSION_VALUE 1u
#define TD_KIND_EDGE	 0u
#define TD_KIND_MSI	 1u

struct testdev_ops {
	/* A line changed (level) or pulsed (edge), by INTID. */
	int (*set_line)(void *ctx, uint32_t intid, bool level);
	int (*pulse)(void *ctx, uint32_t intid);
	/* Msi{ITS 0, device_id, event_id}. */
	int (*msi)(void *ctx, uint32_t device_id, uint32_t event_id);
	/* The guest wrote EXIT. */
	void (*exit)(void *ctx, uint32_t status);
	/* Host monotonic clock in ns (NOW_NS, stream pacing). */
	int64_t (*now_ns)(void *ctx);
	void *ctx;
};

struct testdev {
	struct testdev_ops ops;
	uint32_t spi_base, spi_count;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	uint32_t line_state;
	uint32_t msi_device;
	uint32_t stream_line, stream_kind, stream_period_us;
	uint32_t stream_left;  /* STREAM_COUNT */
	uint32_t stream_index; /* the stream's running count */
	uint64_t stream_gen;   /* bumped by every STREAM_COUNT write */
	int64_t stream_start_ns;
	uint64_t ack_count;
	uint64_t rejected; /* bad widths, offsets or values */
	bool stop;
	bool thread_running;
	pthread_t thread;
};

void testdev_init(struct testdev *d, const struct testdev_ops *ops, uint32_t spi_base,
		  uint32_t spi_count);
/* Starts the stream generator thread.  Returns 0 or a negative errno. */
int testdev_start(struct testdev *d);
/* Stops the generator thread (if any) and frees the device's resources. */
void testdev_fini(struct testdev *d);

/*
 * Register access; size 4 (8 for NOW_NS; a 64-bit access split into two
 * 32-bit halves, low first, reads the value latched at the low half in
 * *latch).  Other widths read 0 and ignore writes.
 */
uint64_t testdev_read(struct testdev *d, uint64_t off, unsigned size, uint64_t *latch);
void testdev_write(struct testdev *d, uint64_t off, unsigned size, uint64_t val);

#endif
