/* SPDX-License-Identifier: MIT */
/*
 * Hello intake on the control socket: accept connections, give each a few
 * seconds to send one Hello with its fds, check everything in it (peer
 * credentials, version, shape, fd count and kinds, RAM regions), hand a
 * good one to the server and answer with a Welcome, then close.
 */
#ifndef GICD_CONTROL_H
#define GICD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "guest_ram.h"
#include "log.h"
#include "vm_shape.h"

struct event_base;
struct control;

/* How long a connection may take to send its Hello. */
#define CONTROL_HELLO_TIMEOUT_S 5
/* Connections waiting for their Hello at once; more are closed at accept
 * (logged, counted as refused).  Why: each holds a slot, two events and a
 * timer until its Hello or its timeout, and anybody allowed to connect to
 * the socket can open them; 32 is far more than VMMs attaching at once. */
#define CONTROL_MAX_PENDING 32u

/* A checked Hello, ready to become a session. */
struct attach_req {
	const struct sg_vm_shape *shape;
	const Sg__Hello *hello; /* as received (RAM regions, resume token) */
	int *chan_fds;		/* nr_vcpus MMIO channels, then the bus */
	struct guest_ram *ram;	/* mapped */
	struct ucred peer;
};

/* What the Welcome tells an attached VMM. */
struct attach_result {
	uint64_t applied[SG_MAX_VCPUS + 1]; /* per channel: MMIO 0..n-1, bus */
	uint64_t epoch;
	unsigned char token[32];
	const char *reason; /* why not, when attach fails */
};

struct control_ops {
	/* True while a VM is attached: a Hello then gets BUSY. */
	bool (*busy)(void *arg);
	/* Takes req->chan_fds and *req->ram in every case; 0 or a negative
	 * errno (res->reason says why). */
	int (*attach)(void *arg, const struct attach_req *req, struct attach_result *res);
	/* An AdminRequest (gicctl) from an allowed peer: takes fd and fds;
	 * req is valid during the call only. */
	void (*admin)(void *arg, int fd, const struct ucred *peer, const Sg__AdminRequest *req,
		      int *fds, unsigned nfds);
	void *arg;
};

struct control_policy {
	const char *vm_name;
	const uid_t *allow_uid;
	unsigned nr_allow_uids;
};

struct control_stats {
	uint64_t accepted;
	uint64_t refused;  /* too many connections waiting for Hello */
	uint64_t timeouts; /* no Hello in time */
	uint64_t hangups;  /* closed before sending Hello */
	uint64_t ok;
	uint64_t rejected; /* Welcome REJECTED */
	uint64_t busy;
	uint64_t version;
	uint64_t denied;
	uint64_t admin; /* connections handed to the admin handlers */
};

/* Serves listen_fd (not owned); policy and ops must outlive the control. */
struct control *control_new(struct event_base *base, int listen_fd,
			    const struct control_policy *policy, const struct control_ops *ops);
void control_free(struct control *c);
void control_log_stats(const struct control *c, enum sg_log_level level);
const struct control_stats *control_get_stats(const struct control *c);

#endif
