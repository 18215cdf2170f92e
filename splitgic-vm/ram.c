// SPDX-License-Identifier: MIT
#include "ram.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int guest_ram_create(struct guest_ram *r, uint64_t gpa, uint64_t size)
{
	int rc;

	r->gpa = gpa;
	r->size = size;
	r->host = NULL;
	/* CLOEXEC: a spawned gicd-server gets the fd only through Hello. */
	r->fd = memfd_create("splitgic-vm-ram", MFD_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (ftruncate(r->fd, (off_t)size) != 0) {
		rc = -errno;
		goto fail;
	}
	r->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->host == MAP_FAILED) {
		rc = -errno;
		r->host = NULL;
		goto fail;
	}
	return 0;
fail:
	close(r->fd);
	r->fd = -1;
	return rc;
}

void guest_ram_destroy(struct guest_ram *r)
{
	if (r->host)
		munmap(r->host, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->host = NULL;
	r->fd = -1;
}
