/* SPDX-License-Identifier: MIT */
/*
 * The fds systemd hands the daemon, by name (sd_listen_fds_with_names):
 * the activated control socket ("control"), and what an earlier instance
 * kept in the file-descriptor store for its VM ("state", "mmio<i>", "bus",
 * "ram<j>"); and keeping a VM's fds there (FDSTORE=1) and dropping them when
 * the VM goes (FDSTOREREMOVE=1).  Without systemd all of it is a no-op.
 */
#ifndef GICD_FDSTORE_H
#define GICD_FDSTORE_H

#include <stdbool.h>

#include "vm_shape.h"

struct inherited_fds {
	int control;
	int state;
	int bus;
	unsigned nr_mmio; /* mmio[0..nr_mmio-1] all present */
	int mmio[SG_MAX_VCPUS];
	unsigned nr_ram;
	int ram[SG_MAX_RAM_REGIONS];
};

/* Takes every passed fd; unknown names are closed and logged.  Returns 0
 * or a negative errno. */
int fdstore_collect(struct inherited_fds *f);

/* Closes what was collected and not taken (set to -1 when taken). */
void fdstore_close_unused(struct inherited_fds *f);

/* Keeps the VM's fds in the store (channels: nr_vcpus MMIO, then the bus). */
void fdstore_keep_vm(int state_fd, const int *chan_fds, unsigned nr_vcpus, const int *ram_fds,
		     unsigned nr_ram);

/* The VM is gone: the store lets go of its fds, so its peer sees the hangup. */
void fdstore_forget_vm(unsigned nr_vcpus, unsigned nr_ram);

#endif
