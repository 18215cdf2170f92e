// SPDX-License-Identifier: MIT
/*
 * Routing of trapped guest accesses: redistributor frames are served here
 * (redist.c), GICD and ITS frames go to gicd-server on the vCPU's MMIO
 * channel (or to the embedded host, vm->xport), posted or waited for as
 * common/access_policy.c says.
 *
 * Takes no lock itself (redist.c takes the target vCPU's); the channel
 * belongs to the calling vCPU thread.
 */
#include <errno.h>
#include <string.h>

#include "access_policy.h"
#include "agent_internal.h"
#include "log.h"

void sg_vcpu_set_mmio_channel(struct sg_vcpu *v, int fd)
{
	v->chan.fd = fd;
}

static uint64_t size_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static enum sg_mmio_result chan_error(struct sg_vcpu *v, uint64_t addr, bool write, int rc,
				      uint64_t *data)
{
	if (!write)
		*data = 0;
	STAT_INC(v, SG_STAT_MMIO_ERRORS);
	sg_reject_log("vCPU %u: %s of 0x%llx not forwarded to gicd-server: %s", v->idx,
		      write ? "write" : "read", (unsigned long long)addr,
		      rc == -ENOTCONN ? "no channel" : strerror(-rc));
	return SG_MMIO_ERROR;
}

enum sg_mmio_result sg_vcpu_mmio(struct sg_vcpu *v, uint64_t addr, unsigned size, bool write,
				 uint64_t *data)
{
	struct sg_frame_hit hit;
	enum sg_access acc;
	int rc;

	if (!data)
		return SG_MMIO_ERROR;
	if (!sg_addr_decode(&v->vm->shape, addr, &hit))
		return SG_MMIO_NOT_GIC;
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		/* No such access on arm64; treat as RAZ/WI. */
		if (!write)
			*data = 0;
		STAT_INC(v, SG_STAT_MMIO_REJECTED);
		return SG_MMIO_DONE;
	}
	if (write)
		*data &= size_mask(size);
	acc = sg_access_policy(&hit, write);
	switch (acc) {
	case SG_ACCESS_LOCAL:
		STAT_INC(v, SG_STAT_MMIO_LOCAL);
		sg_redist_access(v, &v->vm->vcpus[hit.index], (uint32_t)hit.offset, size, write,
				 data);
		return SG_MMIO_DONE;
	case SG_ACCESS_WAIT:
		rc = v->vm->xport->mmio_call(v, addr, size, write, data);
		if (rc < 0)
			return chan_error(v, addr, write, rc, data);
		STAT_INC(v, SG_STAT_MMIO_WAITED);
		if (!write)
			*data &= size_mask(size);
		return SG_MMIO_DONE;
	case SG_ACCESS_POSTED:
		rc = v->vm->xport->mmio_post(v, addr, size, *data);
		if (rc < 0)
			return chan_error(v, addr, write, rc, data);
		STAT_INC(v, SG_STAT_MMIO_POSTED);
		return SG_MMIO_DONE;
	case SG_ACCESS_MSI:
		/* GITS_TRANSLATER takes 16- and 32-bit writes.  A CPU write
		 * carries no DeviceID: it is DeviceID 0, as a write from a
		 * device without a DeviceID would be. */
		if (size != 2 && size != 4) {
			STAT_INC(v, SG_STAT_MMIO_REJECTED);
			return SG_MMIO_DONE;
		}
		rc = v->vm->xport->mmio_msi(v, hit.index, 0, (uint32_t)*data);
		if (rc < 0)
			return chan_error(v, addr, write, rc, data);
		STAT_INC(v, SG_STAT_MMIO_MSI);
		return SG_MMIO_DONE;
	case SG_ACCESS_NONE: break;
	}
	return SG_MMIO_NOT_GIC;
}
