// SPDX-License-Identifier: MIT
#include "vmm.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "scheduler.h"

int64_t host_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t vmm_ticks(struct vmm *m)
{
	return vclock_ticks(&m->clock, host_now_ns());
}

void vmm_stop(struct vmm *m, int status, const char *fmt, ...)
{
	bool expected = false;
	va_list ap;

	if (!atomic_compare_exchange_strong(&m->stopping, &expected, true))
		return;
	m->exit_status = status;
	va_start(ap, fmt);
	vsnprintf(m->stop_reason, sizeof(m->stop_reason), fmt, ap);
	va_end(ap);
	if (status == VM_EXIT_VMM_ERROR || status == VM_EXIT_TIMEOUT)
		sg_err("stopping: %s", m->stop_reason);
	else
		sg_info("stopping: %s", m->stop_reason);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		atomic_fetch_or(&m->vcpu[i].attention, ATT_STOP);
	sched_wake(m);
}
