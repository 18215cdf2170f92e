/* SPDX-License-Identifier: MIT */
/*
 * Helpers the gicctl subcommands share to gather replies and print them:
 * allocation that ends gicctl on failure, JSON members, column widths.
 */
#ifndef GICCTL_OUTPUT_H
#define GICCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* realloc() of n elements of size bytes (at least one); on failure prints
 * "gicctl: out of memory" and exits with GICCTL_EXIT_ERROR. */
void *gicctl_xrealloc(void *p, size_t n, size_t size);
/* strdup() of s (NULL as ""), exiting the same way. */
char *gicctl_xstrdup(const char *s);

/* Member k of object o: a number, a boolean, a string (NULL as ""). */
void gicctl_add_u64(json_object *o, const char *k, uint64_t v);
void gicctl_add_i64(json_object *o, const char *k, int64_t v);
void gicctl_add_bool(json_object *o, const char *k, bool v);
void gicctl_add_str(json_object *o, const char *k, const char *v);

static inline int gicctl_max_int(int a, int b)
{
	return a > b ? a : b;
}

#endif
