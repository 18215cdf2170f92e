// SPDX-License-Identifier: MIT
#include "splitgic/attach.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "wire.h"

static int connect_control(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Bounds the blocking connect and the Welcome read. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* Index of fd among the distinct RAM fds, adding it if new. */
static unsigned ram_fd_index(int *ram_fds, unsigned *nr, int fd)
{
	for (unsigned i = 0; i < *nr; i++)
		if (ram_fds[i] == fd)
			return i;
	ram_fds[*nr] = fd;
	return (*nr)++;
}

static int apply_welcome(const Sg__Welcome *w, struct sg_attachment *att, char *err, size_t errlen);

static int read_welcome(int fd, struct sg_attachment *att, char *err, size_t errlen)
{
	enum { ARENA_SIZE = 64 * 1024 };
	unsigned char *buf = malloc(SG_WIRE_MAX + 1 + ARENA_SIZE);
	struct sg_arena arena;
	Sg__Envelope *env;
	int fds[1], rc;
	unsigned nfds;
	ssize_t n;

	if (!buf)
		return sg_fail(err, errlen, -ENOMEM, "out of memory");
	n = sg_wire_recv(fd, buf, SG_WIRE_MAX + 1, fds, 1, &nfds);
	sg_wire_close_fds(fds, nfds);
	sg_arena_init(&arena, buf + SG_WIRE_MAX + 1, ARENA_SIZE);
	if (n == 0)
		rc = sg_fail(err, errlen, -ECONNRESET, "gicd-server closed the connection");
	else if (n < 0)
		rc = sg_fail(err, errlen, (int)n, "no Welcome from gicd-server: %s",
			     strerror((int)-n));
	else if (sg_wire_decode(buf, (size_t)n, &arena, &env) != SG_WIRE_OK ||
		 env->body_case != SG__ENVELOPE__BODY_WELCOME)
		rc = sg_fail(err, errlen, -EPROTO,
			     "gicd-server answered with something else than Welcome");
	else
		rc = apply_welcome(env->welcome, att, err, errlen);
	free(buf);
	return rc;
}

static int apply_welcome(const Sg__Welcome *w, struct sg_attachment *att, char *err, size_t errlen)
{
	if (w->status != SG__WELCOME__STATUS__OK)
		return sg_fail(err, errlen,
			       w->status == SG__WELCOME__STATUS__DENIED ? -EACCES : -EPROTO,
			       "gicd-server refused the VM: %s",
			       w->reason[0] ? w->reason : "no reason given");
	if (w->n_applied_seq != 0 && w->n_applied_seq != att->nr_vcpus + 1)
		return sg_fail(err, errlen, -EPROTO,
			       "Welcome has %zu applied sequence numbers, want %u",
			       w->n_applied_seq, att->nr_vcpus + 1);
	for (size_t i = 0; i < w->n_applied_seq; i++)
		att->applied_seq[i] = w->applied_seq[i];
	att->epoch = w->epoch;
	att->resume_token_len = w->resume_token.len < sizeof(att->resume_token)
					? w->resume_token.len
					: sizeof(att->resume_token);
	if (att->resume_token_len)
		memcpy(att->resume_token, w->resume_token.data, att->resume_token_len);
	snprintf(att->daemon_version, sizeof(att->daemon_version), "%s", w->daemon_version);
	return 0;
}

int sg_attach(const char *control_path, const char *vm_name, const struct sg_vm_shape *shape,
	      const struct sg_ram_desc *ram, unsigned nr_ram, const void *resume_token,
	      size_t resume_token_len, int timeout_ms, struct sg_attachment *att, char *err,
	      size_t errlen)
{
	int fds[SG_MAX_VCPUS + 1 + SG_MAX_RAM_REGIONS];
	int peer[SG_MAX_VCPUS + 1];
	int ram_fds[SG_MAX_RAM_REGIONS];
	unsigned nr_ram_fds = 0, nfds = 0;
	Sg__RamRegion regions[SG_MAX_RAM_REGIONS], *region_ptrs[SG_MAX_RAM_REGIONS];
	Sg__AddressMap am;
	Sg__Hello hello = SG__HELLO__INIT;
	Sg__Envelope env;
	const char *why;
	int ctl, rc;

	memset(att, 0, sizeof(*att));
	att->bus_fd = -1;
	for (unsigned i = 0; i < SG_MAX_VCPUS; i++)
		att->mmio_fd[i] = -1;
	if (!sg_shape_check(shape, &why))
		return sg_fail(err, errlen, -EINVAL, "bad VM shape: %s", why);
	if (nr_ram > SG_MAX_RAM_REGIONS)
		return sg_fail(err, errlen, -EINVAL, "too many RAM regions (max %u)",
			       SG_MAX_RAM_REGIONS);
	att->nr_vcpus = shape->nr_vcpus;

	/* One socketpair per vCPU, then the bus; the VMM keeps [0], sends [1]. */
	for (unsigned i = 0; i <= shape->nr_vcpus; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			rc = -errno;
			for (unsigned j = 0; j < i; j++)
				close(peer[j]);
			sg_attachment_close(att);
			return sg_fail(err, errlen, rc, "socketpair: %s", strerror(-rc));
		}
		if (i < shape->nr_vcpus)
			att->mmio_fd[i] = sv[0];
		else
			att->bus_fd = sv[0];
		peer[i] = sv[1];
		fds[nfds++] = sv[1];
	}
	for (unsigned i = 0; i < nr_ram; i++) {
		sg__ram_region__init(&regions[i]);
		regions[i].gpa = ram[i].gpa;
		regions[i].size = ram[i].size;
		regions[i].fd_offset = ram[i].fd_offset;
		regions[i].fd_index = ram_fd_index(ram_fds, &nr_ram_fds, ram[i].fd);
		region_ptrs[i] = &regions[i];
	}
	for (unsigned i = 0; i < nr_ram_fds; i++)
		fds[nfds++] = ram_fds[i];

	sg_shape_to_hello(shape, &hello, &am);
	hello.proto_version = SG_PROTO_VERSION;
	hello.vm_name = (char *)(vm_name ? vm_name : "");
	hello.n_ram = nr_ram;
	hello.ram = region_ptrs;
	hello.nr_ram_fds = nr_ram_fds;
	hello.resume_token.data = (uint8_t *)resume_token;
	hello.resume_token.len = resume_token ? resume_token_len : 0;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_HELLO;
	env.hello = &hello;

	ctl = connect_control(control_path, timeout_ms);
	if (ctl < 0) {
		rc = ctl;
		sg_fail(err, errlen, rc, "cannot connect to %s: %s", control_path, strerror(-rc));
		goto out_peer;
	}
	rc = sg_wire_send(ctl, &env, fds, nfds);
	if (rc < 0) {
		sg_fail(err, errlen, rc, "sending Hello: %s", strerror(-rc));
		goto out_ctl;
	}
	rc = read_welcome(ctl, att, err, errlen);
out_ctl:
	close(ctl);
out_peer:
	for (unsigned i = 0; i <= shape->nr_vcpus; i++)
		close(peer[i]);
	if (rc < 0)
		sg_attachment_close(att);
	return rc;
}

void sg_attachment_close(struct sg_attachment *att)
{
	for (unsigned i = 0; i < SG_MAX_VCPUS; i++)
		if (att->mmio_fd[i] >= 0) {
			close(att->mmio_fd[i]);
			att->mmio_fd[i] = -1;
		}
	if (att->bus_fd >= 0) {
		close(att->bus_fd);
		att->bus_fd = -1;
	}
}
