/* SPDX-License-Identifier: MIT */
/*
 * Crash-consistent storage of the daemon's state in one shared mapping: a
 * memfd kept in systemd's file-descriptor store, or a file in the runtime
 * directory.  The mapping outlives the process, so anything written to it
 * before a SIGKILL is there for the next daemon.
 *
 * Layout:  [header 4 KiB][snapshot slot A][snapshot slot B][journal]
 *
 * A full snapshot goes to the slot not in use; the header then names it with
 * a higher generation, which is the atomic switch.  Between snapshots, small
 * delta records are appended to the journal; each carries the generation of
 * the snapshot it applies to, its position and a CRC, so recovery applies
 * exactly the intact records that follow the current snapshot and stops at a
 * torn one.  Records are opaque bytes to this layer.
 */
#ifndef GICD_STATE_STORE_H
#define GICD_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_STORE_SLOT_SIZE	 (4u << 20)
#define STATE_STORE_JOURNAL_SIZE (8u << 20)
#define STATE_STORE_SIZE	 (4096u + 2 * STATE_STORE_SLOT_SIZE + STATE_STORE_JOURNAL_SIZE)

struct state_store {
	int fd;
	unsigned char *map;
	size_t size;
	uint64_t gen;	      /* generation of the current snapshot (0: none) */
	unsigned slot;	      /* slot holding it */
	size_t journal_off;   /* where the next record goes */
	uint32_t journal_seq; /* position of the next record */
};

/*
 * Maps fd (created and sized by the caller with state_store_size(), or an
 * existing store); on an empty or foreign fd the store is initialised empty
 * when init_if_empty is set.  Returns 0 or a negative errno; -EPROTO when the
 * fd holds a store of an incompatible layout.
 */
int state_store_open(struct state_store *s, int fd, bool init_if_empty);
void state_store_close(struct state_store *s);

/*
 * Recovery: hands the current snapshot (if any) to snapshot(), then every
 * intact journal record that follows it, in order, to record().  Either
 * callback returning non-zero stops the load with that value.  Leaves the
 * store ready to append after the last intact record.
 */
int state_store_load(struct state_store *s,
		     int (*snapshot)(void *ctx, const void *data, size_t len),
		     int (*record)(void *ctx, const void *data, size_t len), void *ctx);

/* True if a snapshot exists. */
bool state_store_has_snapshot(const struct state_store *s);

/* Appends a record; -ENOSPC when the journal is full (write a snapshot). */
int state_store_append(struct state_store *s, const void *data, size_t len);

/* Writes a full snapshot and starts an empty journal after it. */
int state_store_write_snapshot(struct state_store *s, const void *data, size_t len);

/* Bytes of journal in use, for deciding when to compact. */
size_t state_store_journal_used(const struct state_store *s);

#endif
