// SPDX-License-Identifier: MIT
#include "access_policy.h"

#include <stddef.h>

#include "gic_regs.h"

/*
 * First matching row wins.  A row matches a frame, a half-open offset range
 * and the access direction.  Reads always wait: they must return a value and
 * they fence the posted writes before them (DESIGN §4.2).
 */
struct policy_row {
	enum sg_frame frame;
	uint64_t start, end;
	bool write;
	enum sg_access access;
};

static const struct policy_row policy_table[] = {
	{ SG_FRAME_GICR, 0, GICR_FRAME_SIZE, false, SG_ACCESS_LOCAL },
	{ SG_FRAME_GICR, 0, GICR_FRAME_SIZE, true, SG_ACCESS_LOCAL },
	{ SG_FRAME_ITS, GITS_TRANSLATER, GITS_TRANSLATER + 4, true, SG_ACCESS_MSI },
	{ SG_FRAME_ITS, 0, GITS_FRAME_SIZE, true, SG_ACCESS_POSTED },
	{ SG_FRAME_ITS, 0, GITS_FRAME_SIZE, false, SG_ACCESS_WAIT },
	{ SG_FRAME_GICD, 0, GICD_FRAME_SIZE, true, SG_ACCESS_POSTED },
	{ SG_FRAME_GICD, 0, GICD_FRAME_SIZE, false, SG_ACCESS_WAIT },
};

enum sg_access sg_access_policy(const struct sg_frame_hit *hit, bool write)
{
	for (size_t i = 0; i < sizeof(policy_table) / sizeof(policy_table[0]); i++) {
		const struct policy_row *r = &policy_table[i];

		if (r->frame == hit->frame && r->write == write && hit->offset >= r->start &&
		    hit->offset < r->end)
			return r->access;
	}
	return SG_ACCESS_NONE;
}
