// SPDX-License-Identifier: MIT
#include "fdstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"

static bool indexed(const char *name, const char *prefix, unsigned max, unsigned *idx)
{
	size_t n = strlen(prefix);
	char *end;
	unsigned long v;

	if (strncmp(name, prefix, n) != 0 || name[n] < '0' || name[n] > '9')
		return false;
	v = strtoul(name + n, &end, 10);
	if (*end || v >= max)
		return false;
	*idx = (unsigned)v;
	return true;
}

int fdstore_collect(struct inherited_fds *f)
{
	char **names = NULL;
	int mmio_seen[SG_MAX_VCPUS] = { 0 }, ram_seen[SG_MAX_RAM_REGIONS] = { 0 };
	int n = sd_listen_fds_with_names(1, &names);

	f->control = f->state = f->bus = -1;
	f->nr_mmio = f->nr_ram = 0;
	for (unsigned i = 0; i < SG_MAX_VCPUS; i++)
		f->mmio[i] = -1;
	for (unsigned i = 0; i < SG_MAX_RAM_REGIONS; i++)
		f->ram[i] = -1;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "";
		unsigned idx;

		if (strcmp(name, "control") == 0 || (n == 1 && strcmp(name, "unknown") == 0) ||
		    (n == 1 && !*name)) {
			f->control = fd;
		} else if (strcmp(name, "state") == 0 && f->state < 0) {
			f->state = fd;
		} else if (strcmp(name, "bus") == 0 && f->bus < 0) {
			f->bus = fd;
		} else if (indexed(name, "mmio", SG_MAX_VCPUS, &idx) && !mmio_seen[idx]) {
			f->mmio[idx] = fd;
			mmio_seen[idx] = 1;
		} else if (indexed(name, "ram", SG_MAX_RAM_REGIONS, &idx) && !ram_seen[idx]) {
			f->ram[idx] = fd;
			ram_seen[idx] = 1;
		} else {
			sg_info("ignoring inherited fd %d (%s)", fd, *name ? name : "unnamed");
			close(fd);
		}
	}
	/* Contiguous from 0, as they were stored. */
	while (f->nr_mmio < SG_MAX_VCPUS && f->mmio[f->nr_mmio] >= 0)
		f->nr_mmio++;
	while (f->nr_ram < SG_MAX_RAM_REGIONS && f->ram[f->nr_ram] >= 0)
		f->nr_ram++;
	if (names) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return 0;
}

void fdstore_close_unused(struct inherited_fds *f)
{
	int *all[] = { &f->state, &f->bus };

	for (unsigned i = 0; i < 2; i++)
		if (*all[i] >= 0) {
			close(*all[i]);
			*all[i] = -1;
		}
	for (unsigned i = 0; i < SG_MAX_VCPUS; i++)
		if (f->mmio[i] >= 0) {
			close(f->mmio[i]);
			f->mmio[i] = -1;
		}
	for (unsigned i = 0; i < SG_MAX_RAM_REGIONS; i++)
		if (f->ram[i] >= 0) {
			close(f->ram[i]);
			f->ram[i] = -1;
		}
}

/* Returns false when there is no service manager to keep it. */
static bool keep(int fd, const char *name)
{
	char msg[64];
	int rc;

	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	rc = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
	if (rc < 0) {
		sg_info("no fd store (%s): a restart needs --state-file and a VMM that "
			"re-attaches",
			strerror(-rc));
		return false;
	}
	return true;
}

void fdstore_keep_vm(int state_fd, const int *chan_fds, unsigned nr_vcpus, const int *ram_fds,
		     unsigned nr_ram)
{
	char name[16];

	/* Without a service manager there is nobody to keep them. */
	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (!keep(state_fd, "state"))
		return;
	for (unsigned i = 0; i < nr_vcpus; i++) {
		snprintf(name, sizeof(name), "mmio%u", i);
		keep(chan_fds[i], name);
	}
	keep(chan_fds[nr_vcpus], "bus");
	for (unsigned i = 0; i < nr_ram; i++) {
		snprintf(name, sizeof(name), "ram%u", i);
		keep(ram_fds[i], name);
	}
}

void fdstore_forget_vm(unsigned nr_vcpus, unsigned nr_ram)
{
	if (!getenv("NOTIFY_SOCKET"))
		return;
	sd_notify(0, "FDSTOREREMOVE=1\nFDNAME=state");
	sd_notify(0, "FDSTOREREMOVE=1\nFDNAME=bus");
	for (unsigned i = 0; i < nr_vcpus; i++)
		sd_notifyf(0, "FDSTOREREMOVE=1\nFDNAME=mmio%u", i);
	for (unsigned i = 0; i < nr_ram; i++)
		sd_notifyf(0, "FDSTOREREMOVE=1\nFDNAME=ram%u", i);
}
