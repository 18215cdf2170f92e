/* SPDX-License-Identifier: MIT */
/* Zeroed, aligned memory from the RAM above the image (never freed). */
#ifndef GUEST_ALLOC_H
#define GUEST_ALLOC_H

#include "types.h"

void *alloc_pages(u64 size, u64 align);

#endif
