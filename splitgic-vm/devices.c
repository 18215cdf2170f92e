// SPDX-License-Identifier: MIT
#include "devices.h"

#include <string.h>

#include "log.h"
#include "splitgic/agent.h"

static void report(int rc, const char *what, uint32_t a, uint32_t b)
{
	if (rc < 0)
		sg_reject_log("device %s (%u, %u) not sent: %s", what, a, b, strerror(-rc));
}

static int td_set_line(void *ctx, uint32_t intid, bool level)
{
	struct vmm *m = ctx;
	int rc;

	if (level)
		latency_raise_spi(&m->lat, intid, host_now_ns());
	rc = sg_vm_set_spi_level(m->gic.vm, intid, level);
	report(rc, "line", intid, level);
	return rc;
}

static int td_pulse(void *ctx, uint32_t intid)
{
	struct vmm *m = ctx;
	int rc;

	latency_raise_spi(&m->lat, intid, host_now_ns());
	rc = sg_vm_signal_spi_edge(m->gic.vm, intid);
	report(rc, "pulse", intid, 0);
	return rc;
}

static int td_msi(void *ctx, uint32_t device_id, uint32_t event_id)
{
	struct vmm *m = ctx;
	int rc;

	latency_raise_msi(&m->lat, host_now_ns());
	rc = sg_vm_signal_msi(m->gic.vm, 0, device_id, event_id);
	report(rc, "MSI", device_id, event_id);
	return rc;
}

static void td_exit(void *ctx, uint32_t status)
{
	vmm_stop(ctx, (int)(status & 0xff), "the guest wrote %u to the test device's EXIT", status);
}

static int64_t td_now(void *ctx)
{
	(void)ctx;
	return host_now_ns();
}

static int uart_line(void *ctx, bool level)
{
	struct vmm *m = ctx;
	int rc = sg_vm_set_spi_level(m->gic.vm, 32 + VM_UART_SPI, level);

	report(rc, "UART line", 32 + VM_UART_SPI, level);
	return rc;
}

int devices_init(struct vmm *m, char *err, size_t errlen)
{
	const struct testdev_ops ops = {
		.set_line = td_set_line,
		.pulse = td_pulse,
		.msi = td_msi,
		.exit = td_exit,
		.now_ns = td_now,
		.ctx = m,
	};

	if (uart_init(&m->uart, m->opt.uart_out, m->opt.uart_in, uart_line, m, err, errlen) < 0)
		return -1;
	testdev_init(&m->testdev, &ops, VM_TESTDEV_SPI_BASE, VM_TESTDEV_SPI_COUNT);
	return 0;
}

int devices_start(struct vmm *m)
{
	int rc = uart_start(&m->uart);

	return rc < 0 ? rc : testdev_start(&m->testdev);
}

void devices_fini(struct vmm *m)
{
	testdev_fini(&m->testdev);
	uart_fini(&m->uart);
}
