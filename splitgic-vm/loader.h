/* SPDX-License-Identifier: MIT */
/*
 * Loading the guest program into RAM: an ELF64 AArch64 executable by its
 * PT_LOAD program headers (segments without file data zeroed), anything
 * else as a flat image at VM_FLAT_LOAD_ADDR.  The file is untrusted input:
 * every offset, size and address is checked before anything is copied.
 */
#ifndef SGVM_LOADER_H
#define SGVM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ram.h"

struct load_result {
	uint64_t entry;
	bool elf;
	uint64_t lo, hi; /* guest physical range written */
};

/*
 * Loads img[0..len) into ram; nothing may land below reserved_end (the DTB
 * area).  Returns 0, or -1 with a one-line reason in err.
 */
int load_image(const uint8_t *img, size_t len, struct guest_ram *ram, uint64_t reserved_end,
	       struct load_result *res, char *err, size_t errlen);

/* Reads path and calls load_image(). */
int load_image_file(const char *path, struct guest_ram *ram, uint64_t reserved_end,
		    struct load_result *res, char *err, size_t errlen);

#endif
