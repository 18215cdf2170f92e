// SPDX-License-Identifier: MIT
/* gicctl's side of an admin connection: connect, request, replies. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gicctl.h"

int gicctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("gicctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void gicctl_print_json(json_object *doc)
{
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}

int gicctl_request(struct gicctl *g, const Sg__AdminRequest *req, const int *fds, unsigned nfds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	Sg__Envelope env;
	int rc;

	if (strlen(g->socket_path) >= sizeof(sa.sun_path))
		return gicctl_fail(GICCTL_EXIT_USAGE, "socket path too long: %s", g->socket_path);
	strcpy(sa.sun_path, g->socket_path);
	g->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (g->fd < 0)
		return gicctl_fail(GICCTL_EXIT_CONNECT, "socket: %s", strerror(errno));
	if (connect(g->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return gicctl_fail(GICCTL_EXIT_CONNECT, "cannot connect to %s: %s", g->socket_path,
				   strerror(errno));
	g->rxbuf = malloc(SG_WIRE_MAX + 1 + SG_WIRE_ARENA_SIZE);
	if (!g->rxbuf)
		return gicctl_fail(GICCTL_EXIT_ERROR, "out of memory");
	sg_arena_init(&g->arena, g->rxbuf + SG_WIRE_MAX + 1, SG_WIRE_ARENA_SIZE);
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_ADMIN_REQUEST;
	env.admin_request = (Sg__AdminRequest *)req;
	rc = sg_wire_send(g->fd, &env, fds, nfds);
	if (rc < 0)
		return gicctl_fail(GICCTL_EXIT_CONNECT, "cannot send the request to %s: %s",
				   g->socket_path, strerror(-rc));
	return 0;
}

static const char *error_code_name(Sg__AdminError__Code code)
{
	switch (code) {
	case SG__ADMIN_ERROR__CODE__INVALID: return "invalid request";
	case SG__ADMIN_ERROR__CODE__NO_VM: return "no VM attached";
	case SG__ADMIN_ERROR__CODE__BUSY: return "busy";
	case SG__ADMIN_ERROR__CODE__FAILED: return "failed";
	case SG__ADMIN_ERROR__CODE__TOO_MANY: return "too many";
	default: return "error";
	}
}

const Sg__AdminReply *gicctl_next_reply(struct gicctl *g, int *exit_code)
{
	Sg__Envelope *env;
	unsigned nfds;
	int fds[4];
	ssize_t n;

	*exit_code = GICCTL_EXIT_OK;
	if (g->done)
		return NULL;
	n = sg_wire_recv(g->fd, g->rxbuf, SG_WIRE_MAX + 1, fds, 4, &nfds);
	sg_wire_close_fds(fds, nfds);
	if (n <= 0) {
		g->done = true;
		if (n < 0)
			*exit_code = gicctl_fail(GICCTL_EXIT_ERROR, "receiving from the daemon: %s",
						 strerror((int)-n));
		else
			*exit_code =
				gicctl_fail(GICCTL_EXIT_ERROR, "the daemon closed the connection");
		return NULL;
	}
	if (sg_wire_decode(g->rxbuf, (size_t)n, &g->arena, &env) != SG_WIRE_OK) {
		g->done = true;
		*exit_code = gicctl_fail(GICCTL_EXIT_ERROR, "the daemon sent a malformed reply");
		return NULL;
	}
	if (env->body_case == SG__ENVELOPE__BODY_WELCOME) {
		/* Refused before the request was looked at (peer uid). */
		g->done = true;
		*exit_code = gicctl_fail(GICCTL_EXIT_ERROR, "refused by the daemon: %s",
					 env->welcome->reason);
		return NULL;
	}
	if (env->body_case != SG__ENVELOPE__BODY_ADMIN_REPLY) {
		g->done = true;
		*exit_code = gicctl_fail(GICCTL_EXIT_ERROR, "unexpected %s from the daemon",
					 sg_wire_body_name(env->body_case));
		return NULL;
	}
	if (!env->admin_reply->more)
		g->done = true;
	if (env->admin_reply->rep_case == SG__ADMIN_REPLY__REP_ERROR) {
		g->done = true;
		*exit_code = gicctl_fail(GICCTL_EXIT_ERROR, "%s: %s",
					 error_code_name(env->admin_reply->error->code),
					 env->admin_reply->error->message);
		return NULL;
	}
	return env->admin_reply;
}
