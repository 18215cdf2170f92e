/* SPDX-License-Identifier: MIT */
/*
 * Golden state files (tests/golden/README.md): loading a gicd-server state
 * store the way a restarted daemon does, and describing what it holds as
 * "key value" lines.  A golden file's manifest is that description taken
 * when the file was written; every later version must load the file to a
 * state whose description agrees with every line of the manifest.
 */
#ifndef SPLITGIC_GOLDEN_DUMP_H
#define SPLITGIC_GOLDEN_DUMP_H

#include <stddef.h>
#include <stdio.h>

struct golden_state;

/* Loads the state store in file path.  Returns NULL with a reason in err. */
struct golden_state *golden_load(const char *path, char *err, size_t errlen);
void golden_free(struct golden_state *g);

/* Writes the description, one "key value" line per fact, in a fixed order. */
void golden_describe(const struct golden_state *g, FILE *f);

/* The resume token (32 bytes) and VM name, for re-attaching. */
const unsigned char *golden_token(const struct golden_state *g);
const char *golden_vm_name(const struct golden_state *g);

#endif
