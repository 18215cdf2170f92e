// SPDX-License-Identifier: MIT
/*
 * Translation of (DeviceID, EventID) to (vCPU, LPI): the walk DTE -> ITE ->
 * CTE with the architecture's checks in the order its pseudocode makes
 * them, shared by the commands that name an event, and the MSI path with
 * the translation cache in front of it.
 */
#include <string.h>

#include "its_internal.h"
#include "trace.h"

unsigned its_lookup(struct its *its, uint32_t device_id, uint32_t event_id, struct its_xlate *x)
{
	uint64_t raw;

	memset(x, 0, sizeof(*x));
	switch (its_read_dte(its, device_id, &x->dte)) {
	case ITS_R_OK: break;
	case ITS_R_OOR: return ITS_E_DEVICE_OOR;
	case ITS_R_L1_INVALID: return ITS_E_UNMAPPED_DEVICE;
	case ITS_R_FAULT: return ITS_E_TABLE_FAULT;
	}
	if (!x->dte.valid)
		return ITS_E_UNMAPPED_DEVICE;
	if (event_id >= (1u << (x->dte.size + 1)))
		return ITS_E_ID_OOR;
	its_itt_slot(&x->dte, event_id, &x->ite_slot);
	if (its_entry_read(its, x->ite_slot.gpa, &raw) != ITS_R_OK)
		return ITS_E_TABLE_FAULT;
	its_ite_decode(its, raw, &x->ite);
	if (!x->ite.valid)
		return ITS_E_UNMAPPED_INTERRUPT;
	switch (its_read_cte(its, x->ite.icid, &x->cte)) {
	case ITS_R_OK: break;
	case ITS_R_OOR:
	case ITS_R_L1_INVALID: return ITS_E_UNMAPPED_COLLECTION;
	case ITS_R_FAULT: return ITS_E_TABLE_FAULT;
	}
	if (!x->cte.valid)
		return ITS_E_UNMAPPED_COLLECTION;
	return 0;
}

void its_msi(struct its *its, uint32_t device_id, uint32_t event_id)
{
	const struct its_cache_entry *c;
	struct its_xlate x;
	unsigned err;

	its->stats.msi++;
	/* GITS_CTLR.Enabled == 0: translation requests are ignored. */
	if (!(its->st.ctlr & GITS_CTLR_ENABLED)) {
		its->stats.msi_disabled++;
		trace_msi(its->index, device_id, event_id, 0, 0, TRACE_MSI_DISABLED);
		return;
	}
	c = its_cache_find(its, device_id, event_id);
	if (c) {
		its->stats.cache_hits++;
		its->stats.msi_delivered++;
		trace_msi(its->index, device_id, event_id, c->intid, c->vcpu, TRACE_MSI_CACHED);
		its->out.deliver_lpi(its->out.ctx, c->vcpu, c->intid);
		return;
	}
	its->stats.cache_misses++;
	err = its_lookup(its, device_id, event_id, &x);
	if (err) {
		/* No translation: the MSI is dropped (no SEI: GITS_TYPER.SEIS is 0). */
		if (err == ITS_E_TABLE_FAULT)
			its->stats.msi_fault++;
		else
			its->stats.msi_unmapped++;
		trace_msi(its->index, device_id, event_id, 0, 0,
			  err == ITS_E_TABLE_FAULT ? TRACE_MSI_FAULT : TRACE_MSI_UNMAPPED);
		return;
	}
	its_cache_insert(its, device_id, event_id, x.cte.rdbase, x.ite.icid, x.ite.intid);
	its->stats.msi_delivered++;
	trace_msi(its->index, device_id, event_id, x.ite.intid, x.cte.rdbase, TRACE_MSI_TRANSLATED);
	its->out.deliver_lpi(its->out.ctx, x.cte.rdbase, x.ite.intid);
}
