// SPDX-License-Identifier: MIT
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "gicctl.h"

void *gicctl_xrealloc(void *p, size_t n, size_t size)
{
	void *q = realloc(p, (n ? n : 1) * size);

	if (!q) {
		gicctl_fail(GICCTL_EXIT_ERROR, "out of memory");
		exit(GICCTL_EXIT_ERROR);
	}
	return q;
}

char *gicctl_xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		gicctl_fail(GICCTL_EXIT_ERROR, "out of memory");
		exit(GICCTL_EXIT_ERROR);
	}
	return d;
}

void gicctl_add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

void gicctl_add_i64(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

void gicctl_add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

void gicctl_add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}
