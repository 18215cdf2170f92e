// SPDX-License-Identifier: MIT
/*
 * An ITS instance: reset, restore after a daemon restart, Quiescent.
 */
#include <string.h>

#include "its_internal.h"

void its_init(struct its *its, unsigned index, const struct sg_vm_shape *shape,
	      struct guest_ram *ram, const struct its_out *out)
{
	memset(its, 0, sizeof(*its));
	its->index = index;
	its->shape = shape;
	its->ram = ram;
	its->out = *out;
	its->cache_epoch = 1;
	/* Reset: disabled, no queue, no tables; BASER read-only fields set. */
	its->st.baser[0] = its_baser_reset(0);
	its->st.baser[1] = its_baser_reset(1);
}

void its_restore(struct its *its, const struct its_state *st)
{
	its->st = *st;
	/* The saved copy is ours, but keep the invariants the code relies on. */
	its->st.ctlr &= GITS_CTLR_ENABLED;
	its->st.cwriter &= GITS_CMDQ_OFFSET_MASK;
	its->st.creadr &= GITS_CMDQ_OFFSET_MASK;
	for (unsigned n = 0; n < 2; n++)
		its->st.baser[n] =
			(its->st.baser[n] & ~((0x7ull << GITS_BASER_TYPE_SHIFT) |
					      (0x1Full << GITS_BASER_ENTRY_SIZE_SHIFT))) |
			its_baser_reset(n);
	if (its->st.stall > ITS_STALL_CWRITER)
		its->st.stall = ITS_STALL_CMD;
	if (its->st.sync_wait && its->st.sync_vcpu >= its->shape->nr_vcpus)
		its->st.sync_wait = false;
	its_cache_flush(its);
	its_table_remap(its, ITS_TAB_DEVICE);
	its_table_remap(its, ITS_TAB_COLLECTION);
	/* The Sync may never have reached the agent: ask again, same id. */
	if (its->st.sync_wait) {
		its->stats.syncs++;
		its->out.sync(its->out.ctx, its->st.sync_vcpu,
			      its_sync_id(its->index, its->st.sync_seq));
	}
}

bool its_quiescent(const struct its *its)
{
	return !its->st.sync_wait;
}
