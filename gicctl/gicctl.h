/* SPDX-License-Identifier: MIT */
/*
 * gicctl: look inside a running gicd-server over its control socket
 * (docs/gicctl.md).  One admin request per connection; the subcommands
 * (cmd_*.c) build the request, read the replies and print them as text or,
 * with --json, as one JSON document (schemas in gicctl/schema/).
 */
#ifndef GICCTL_H
#define GICCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "wire.h"

/* Exit codes (gicctl(1)). */
enum {
	GICCTL_EXIT_OK = 0,
	GICCTL_EXIT_ERROR = 1,	 /* the daemon answered with an error or refused */
	GICCTL_EXIT_USAGE = 2,	 /* bad command line */
	GICCTL_EXIT_CONNECT = 3, /* cannot reach the daemon */
};

struct gicctl {
	const char *socket_path;
	bool json;
	int fd;		      /* -1 until gicctl_request() */
	unsigned char *rxbuf; /* one datagram, then its decoding arena */
	struct sg_arena arena;
	bool done; /* the last reply (more = false) was read */
};

/* Connects and sends one request (with fds, e.g. a snapshot file).
 * Returns 0, or an exit code after printing why. */
int gicctl_request(struct gicctl *g, const Sg__AdminRequest *req, const int *fds, unsigned nfds);

/*
 * The next reply (valid until the next call), or NULL once the last one was
 * read, the daemon closed the connection, or it answered with an error
 * (then *exit_code is set and the reason printed).  A refusal of the
 * connection itself (Welcome DENIED) is reported the same way.
 */
const Sg__AdminReply *gicctl_next_reply(struct gicctl *g, int *exit_code);

/* Prints "gicctl: ..." to stderr and returns code. */
int gicctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a JSON document (pretty, one trailing newline) and frees it. */
void gicctl_print_json(json_object *doc);

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_status(struct gicctl *g, int argc, char **argv);
int cmd_dump(struct gicctl *g, int argc, char **argv);
int cmd_stats(struct gicctl *g, int argc, char **argv);
int cmd_trace(struct gicctl *g, int argc, char **argv);
int cmd_snapshot(struct gicctl *g, int argc, char **argv);

#endif
