/* SPDX-License-Identifier: MIT */
/*
 * The server's state, shared by server.c and the admin handlers (admin_*.c),
 * which report on it (status, dump, stats) and act on it (snapshot load).
 * Everything here runs on the daemon's one event loop thread.
 */
#ifndef GICD_SERVER_INTERNAL_H
#define GICD_SERVER_INTERNAL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "control.h"
#include "fdstore.h"
#include "listen.h"
#include "server.h"
#include "session.h"

struct admin;

struct server {
	const struct server_config *cfg;
	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_usr1;
	struct event *detach_ev;
	struct control_socket cs;
	struct control *control;
	struct control_policy policy;
	struct control_ops control_ops;
	struct session_ops session_ops;
	struct session *session;
	struct ucred peer; /* who attached the current VM */
	char detach_reason[64];
	int exit_code;
	struct inherited_fds inh; /* from systemd: control socket, fd store */
	bool resume_file;	  /* --state-file holds a VM waiting to re-attach */
	/* gicctl snapshot load: the loaded state store (the state file or a
	 * memfd), -1 if none; a resume attach takes a dup of it. */
	int loaded_state_fd;
	struct event *watchdog_ev;
	struct timeval watchdog_period;
	struct admin *admin;	 /* gicctl's connections */
	struct timespec started; /* CLOCK_MONOTONIC, for uptime */
};

#endif
