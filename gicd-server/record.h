/* SPDX-License-Identifier: MIT */
/*
 * Recording what the daemon receives, for fuzzing seeds (docs/fuzzing.md):
 * with GICD_RECORD_DIR set at startup, every datagram taken off the control
 * connection or a channel is appended to $GICD_RECORD_DIR/gicd-<pid>.rec in
 * the fuzz targets' record format (fuzz/fuzz_input.h): selector = channel
 * (MMIO 0..n-1, bus n), RECORD_SEL_HELLO for a Hello, RECORD_SEL_HEADER
 * for the 4-byte fuzz header of the VM a Hello describes, and guest RAM
 * writes (0xC0) with the ITS commands a GITS_CWRITER write is about to
 * run, so a replay finds them in RAM.  scripts/record-seeds turns the files
 * into seed inputs.  Without the variable every call is one branch.
 */
#ifndef GICD_RECORD_H
#define GICD_RECORD_H

#include <stddef.h>

#define RECORD_SEL_HELLO  0xF0u
#define RECORD_SEL_HEADER 0xFEu

/* Reads GICD_RECORD_DIR and opens the file; before the sandbox. */
void record_open_from_env(void);

/* A datagram from the control connection (its fds: the Hello's). */
void record_control(const void *buf, size_t len, const int *fds, unsigned nfds);

/* A datagram from channel index. */
void record_datagram(unsigned index, const void *buf, size_t len);

#endif
