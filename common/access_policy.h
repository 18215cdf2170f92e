/* SPDX-License-Identifier: MIT */
/*
 * Which guest accesses wait for the daemon and which are posted (DESIGN §4):
 * the one table both halves follow.
 */
#ifndef SPLITGIC_ACCESS_POLICY_H
#define SPLITGIC_ACCESS_POLICY_H

#include <stdbool.h>

#include "vm_shape.h"

enum sg_access {
	SG_ACCESS_NONE,	  /* not a GIC frame */
	SG_ACCESS_LOCAL,  /* served by the vCPU's agent (redistributor frames) */
	SG_ACCESS_WAIT,	  /* sent on the MMIO channel; the vCPU waits for MmioReply */
	SG_ACCESS_POSTED, /* sent on the MMIO channel; the vCPU continues at once */
	SG_ACCESS_MSI,	  /* GITS_TRANSLATER: becomes an Msi message (posted) */
};

enum sg_access sg_access_policy(const struct sg_frame_hit *hit, bool write);

#endif
