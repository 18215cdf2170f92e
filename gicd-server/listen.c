// SPDX-License-Identifier: MIT
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "server.h"

#define LISTEN_BACKLOG 16

static int set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* The control socket systemd passed (fdstore_collect() found it by name). */
static int from_activation(struct control_socket *cs, int fd)
{
	int rc;

	cs->fd = fd;
	cs->activated = true;
	rc = sd_is_socket(cs->fd, AF_UNIX, SOCK_SEQPACKET, 1);
	if (rc <= 0) {
		sg_err("inherited fd %d is not a listening AF_UNIX SOCK_SEQPACKET socket", cs->fd);
		return GICD_EXIT_USAGE;
	}
	if (set_nonblock(cs->fd) < 0) {
		sg_err("cannot make inherited fd %d non-blocking: %m", cs->fd);
		return GICD_EXIT_FAILURE;
	}
	return 0;
}

/*
 * A socket file left at path: remove it if nobody listens there (a daemon
 * that died), refuse if a live daemon does.  Returns 0 or an exit code.
 */
static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : (sg_err("cannot stat %s: %m", path), GICD_EXIT_FAILURE);
	if (!S_ISSOCK(st.st_mode)) {
		sg_err("%s exists and is not a socket; not replacing it", path);
		return GICD_EXIT_USAGE;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		sg_err("socket: %m");
		return GICD_EXIT_FAILURE;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (rc == 0 || errno == EAGAIN) {
		close(fd);
		sg_err("another daemon is listening on %s", path);
		return GICD_EXIT_FAILURE;
	}
	close(fd);
	if (unlink(path) < 0 && errno != ENOENT) {
		sg_err("cannot remove the stale socket %s: %m", path);
		return GICD_EXIT_FAILURE;
	}
	sg_info("removed stale socket %s", path);
	return 0;
}

static int bind_path(struct control_socket *cs, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int rc;

	if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
		sg_err("control socket path is empty or longer than %zu bytes",
		       sizeof(sa.sun_path) - 1);
		return GICD_EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	rc = remove_stale(path, &sa);
	if (rc)
		return rc;
	cs->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (cs->fd < 0) {
		sg_err("socket: %m");
		return GICD_EXIT_FAILURE;
	}
	/* Born 0660: no window in which others could connect. */
	old_umask = umask(0117);
	rc = bind(cs->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (rc < 0) {
		sg_err("cannot bind %s: %m", path);
		return GICD_EXIT_FAILURE;
	}
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	cs->owns_path = true;
	if (stat(path, &st) == 0) {
		cs->dev = st.st_dev;
		cs->ino = st.st_ino;
	}
	if (chmod(path, 0660) < 0 || listen(cs->fd, LISTEN_BACKLOG) < 0) {
		sg_err("cannot set up %s: %m", path);
		return GICD_EXIT_FAILURE;
	}
	return 0;
}

int control_socket_open(struct control_socket *cs, const char *path, int activated_fd)
{
	int rc;

	memset(cs, 0, sizeof(*cs));
	cs->fd = -1;
	if (activated_fd >= 0) {
		if (path)
			sg_notice("socket-activated: ignoring --control-socket %s", path);
		return from_activation(cs, activated_fd);
	}
	if (!path) {
		sg_err("no control socket: give --control-socket PATH or start the daemon "
		       "socket-activated");
		return GICD_EXIT_USAGE;
	}
	rc = bind_path(cs, path);
	if (rc)
		control_socket_close(cs);
	return rc;
}

void control_socket_close(struct control_socket *cs)
{
	struct stat st;

	if (cs->fd >= 0)
		close(cs->fd);
	cs->fd = -1;
	/* Remove the file only if it is still the socket we bound. */
	if (cs->owns_path && stat(cs->path, &st) == 0 && st.st_dev == cs->dev &&
	    st.st_ino == cs->ino)
		unlink(cs->path);
	cs->owns_path = false;
}

const char *control_socket_describe(const struct control_socket *cs, char *buf, size_t len)
{
	if (cs->activated)
		snprintf(buf, len, "socket-activated fd %d", cs->fd);
	else
		snprintf(buf, len, "%s", cs->path);
	return buf;
}
