/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: one memfd mapped MAP_SHARED.  Every Unicorn engine maps the same
 * host buffer (uc_mem_map_ptr) and gicd-server gets the fd for the ITS
 * tables.
 */
#ifndef SGVM_RAM_H
#define SGVM_RAM_H

#include <stddef.h>
#include <stdint.h>

struct guest_ram {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	int fd;
};

/* Returns 0 or a negative errno. */
int guest_ram_create(struct guest_ram *r, uint64_t gpa, uint64_t size);
void guest_ram_destroy(struct guest_ram *r);

/* Host pointer of [gpa, gpa + len) if it lies inside RAM, else NULL. */
static inline void *guest_ram_ptr(const struct guest_ram *r, uint64_t gpa, uint64_t len)
{
	if (gpa < r->gpa || gpa - r->gpa > r->size || len > r->size - (gpa - r->gpa))
		return NULL;
	return r->host + (gpa - r->gpa);
}

#endif
