// SPDX-License-Identifier: MIT
/* The daemon's latency histograms: their names (histogram.h). */
#include "histogram.h"

_Static_assert(HIST_NR_FINITE == 23, "bucket bounds are documented in docs/gicctl.md");

const struct histogram_info histogram_info[HIST_NR] = {
	[HIST_MMIO_WAIT] = { "splitgic_mmio_wait_seconds", NULL, NULL,
			     "Waited-for MMIO transactions (reads, non-posted writes): from being "
			     "taken off the vCPU's channel to the reply released to it." },
	[HIST_POSTED_WRITE] = { "splitgic_mmio_posted_apply_seconds", NULL, NULL,
				"Posted MMIO writes: time to apply one to the distributor or "
				"ITS." },
	[HIST_SPI_DELIVER] = { "splitgic_input_deliver_seconds", "input", "spi",
			       "Device inputs that raised an interrupt: from the datagram "
			       "received to the Deliver queued for the bus." },
	[HIST_MSI_DELIVER] = { "splitgic_input_deliver_seconds", "input", "msi",
			       "Device inputs that raised an interrupt: from the datagram "
			       "received to the Deliver queued for the bus." },
	[HIST_ITS_CMD] = { "splitgic_its_command_seconds", NULL, NULL,
			   "ITS commands: time to execute one (read from the queue, applied)." },
	[HIST_QUERY_RTT] = { "splitgic_query_roundtrip_seconds", NULL, NULL,
			     "Query round trips: from the Query queued for the owner's agent to "
			     "its QueryReply applied." },
	[HIST_JOURNAL_WRITE] = { "splitgic_state_write_seconds", "kind", "journal",
				 "Durable state writes: a commit (delta encoded and appended to "
				 "the journal) or a full snapshot (encoded and written)." },
	[HIST_SNAPSHOT_WRITE] = { "splitgic_state_write_seconds", "kind", "snapshot",
				  "Durable state writes: a commit (delta encoded and appended to "
				  "the journal) or a full snapshot (encoded and written)." },
};
