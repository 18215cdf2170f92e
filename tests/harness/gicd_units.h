/* SPDX-License-Identifier: MIT */
/*
 * Installs this build's gicd-server@ units into a private user manager
 * (sd_user.h), with the drop-in such a manager needs, and starts an
 * instance's socket.  Shared by tests/systemd and bench/bench_restart.c.
 */
#ifndef SPLITGIC_GICD_UNITS_H
#define SPLITGIC_GICD_UNITS_H

#include <stddef.h>

#include "sd_user.h"

/*
 * Copies service_unit and socket_unit (the files the build generated) into
 * m's unit directory as gicd-server@.service/.socket, writes the drop-in,
 * reloads and starts gicd-server@vm.socket.  0, or -1 with why set.
 */
int gicd_units_install(struct sd_user *m, const char *service_unit, const char *socket_unit,
		       const char *vm, char *why, size_t whylen);

/* Where gicd-server@vm listens in m: %t/splitgic/VM.control. */
void gicd_units_control_path(const struct sd_user *m, const char *vm, char *path, size_t cap);

/* The daemon's log (StandardError= of the drop-in) to stderr. */
void gicd_units_dump_log(const struct sd_user *m, const char *vm);

#endif
