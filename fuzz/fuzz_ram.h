/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM for the fuzz targets: one memfd of FUZZ_RAM_SIZE bytes made
 * once per process, with the fuzzer's own writable view of it (the VMM's).
 * fuzz_ram_reset() empties it between inputs cheaply (truncate and extend:
 * no 16 MiB memset), so no input sees what an earlier one wrote.
 */
#ifndef FUZZ_RAM_H
#define FUZZ_RAM_H

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "guest_ram.h"

static int fuzz_ram_fd = -1;
static unsigned char *fuzz_ram_rw;
static uint32_t fuzz_ram_size; /* what the memfd holds now (fuzz_ram_shrink()) */

static inline void fuzz_ram_reset(void)
{
	fuzz_ram_size = FUZZ_RAM_SIZE;
	if (fuzz_ram_fd < 0) {
		fuzz_ram_fd = memfd_create("fuzz-ram", MFD_CLOEXEC);
		if (fuzz_ram_fd < 0 || ftruncate(fuzz_ram_fd, FUZZ_RAM_SIZE) < 0)
			abort();
		fuzz_ram_rw = mmap(NULL, FUZZ_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
				   fuzz_ram_fd, 0);
		if (fuzz_ram_rw == MAP_FAILED)
			abort();
		return;
	}
	if (ftruncate(fuzz_ram_fd, 0) < 0 || ftruncate(fuzz_ram_fd, FUZZ_RAM_SIZE) < 0)
		abort();
}

/* A FUZZ_SEL_RAM record: [u32 LE offset][bytes], clipped to the RAM. */
static inline void fuzz_ram_write(const uint8_t *p, size_t len)
{
	uint32_t off;

	if (len < 4)
		return;
	memcpy(&off, p, 4);
	off %= FUZZ_RAM_SIZE;
	len -= 4;
	if (off >= fuzz_ram_size) /* shrunk: our own view would fault too */
		return;
	if (len > fuzz_ram_size - off)
		len = fuzz_ram_size - off;
	memcpy(fuzz_ram_rw + off, p + 4, len);
}

/*
 * A VMM shrinking its memfd under the daemon's mappings: [u32 LE new size],
 * page-aligned.  Touching the lost pages raises SIGBUS, which guest_ram's
 * guard must turn into -EFAULT.  fuzz_ram_reset() grows it back.
 */
static inline void fuzz_ram_shrink(const uint8_t *p, size_t len)
{
	uint32_t size = 0;

	memcpy(&size, p, len < 4 ? len : 4);
	size = (size % FUZZ_RAM_SIZE) & ~0xFFFu;
	if (ftruncate(fuzz_ram_fd, size) < 0)
		abort();
	fuzz_ram_size = size;
}

/*
 * Maps the RAM into ram at FUZZ_RAM_GPA as the daemon does after a Hello (a
 * fresh mapping of a dup of the memfd): 0, or -1 if the shape refuses it,
 * ram then left empty.
 */
static inline int fuzz_ram_map(struct guest_ram *ram, const struct sg_vm_shape *shape)
{
	Sg__RamRegion region = SG__RAM_REGION__INIT, *regions[1] = { &region };
	const char *why;
	int fds[1];

	region.gpa = FUZZ_RAM_GPA;
	region.size = FUZZ_RAM_SIZE;
	fds[0] = dup(fuzz_ram_fd);
	guest_ram_init(ram);
	if (fds[0] < 0)
		abort();
	if (guest_ram_map(ram, shape, regions, 1, fds, 1, &why) != 0) {
		guest_ram_init(ram);
		return -1;
	}
	return 0;
}

#endif
