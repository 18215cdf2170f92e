/* SPDX-License-Identifier: MIT */
/*
 * The control socket the daemon listens on: inherited from systemd socket
 * activation (the fd named "control", or the only one), or bound at a path
 * (a stale socket file there is replaced, a live one is not).
 */
#ifndef GICD_LISTEN_H
#define GICD_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

struct control_socket {
	int fd;
	bool activated; /* inherited from the service manager */
	bool owns_path; /* we bound path and remove it at exit */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* of the socket file we bound, to remove only ours */
	ino_t ino;
};

/*
 * Opens the control socket: the socket-activated activated_fd if >= 0 (see
 * fdstore.h), else path (may be NULL).  Returns 0, or the exit code to
 * leave with (1 runtime failure, 2 usage or configuration error) after
 * logging why.
 */
int control_socket_open(struct control_socket *cs, const char *path, int activated_fd);

/* Closes the socket and removes the socket file if we created it. */
void control_socket_close(struct control_socket *cs);

/* "path /run/..." or "inherited fd N" for logs. */
const char *control_socket_describe(const struct control_socket *cs, char *buf, size_t len);

#endif
