/* SPDX-License-Identifier: MIT */
/*
 * Framing of the wire protocol (proto/wire.proto): one packed sg.Envelope per
 * SOCK_SEQPACKET datagram, a hard size cap, file descriptors with
 * SCM_RIGHTS, allocation-free decoding into a caller-provided arena, and the
 * validation every received message passes before anybody acts on it.
 */
#ifndef SPLITGIC_WIRE_H
#define SPLITGIC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.pb-c.h"

struct sg_vm_shape;

#define SG_PROTO_VERSION 1u
/* Largest datagram on any channel; a larger one is rejected unread (MSG_TRUNC,
 * counted "oversized").  Why: a receive buffer of fixed size, allocated
 * once, and a bound on what one datagram makes the receiver decode. */
#define SG_WIRE_MAX 16384u
/* Most messages one Batch may carry; a longer one is rejected at decode
 * (nothing of it applied, no sequence number consumed).  Why: bounds the
 * work one datagram makes the daemon do between two looks at other channels. */
#define SG_WIRE_MAX_BATCH 256u
/* Most fds one datagram may carry (the kernel's SCM_MAX_FD). */
#define SG_WIRE_MAX_FDS 253u
/* Arena size that decodes any datagram of SG_WIRE_MAX bytes that passes the
 * caps; a datagram whose decoding needs more (thousands of empty repeated
 * entries) is rejected as undecodable.  Why: decoding never calls malloc. */
#define SG_WIRE_ARENA_SIZE (256u * 1024u)

/* Channel kinds and directions, for the "who may send what" rules. */
enum sg_chan_kind { SG_CHAN_CONTROL, SG_CHAN_MMIO, SG_CHAN_BUS };
enum sg_dir { SG_TO_DAEMON, SG_TO_VMM };

/* Reasons a datagram is rejected; also the index of the reject counters. */
enum sg_wire_err {
	SG_WIRE_OK = 0,
	SG_WIRE_EMPTY,	       /* zero-length datagram */
	SG_WIRE_OVERSIZE,      /* larger than SG_WIRE_MAX */
	SG_WIRE_DECODE,	       /* not a valid Envelope (truncated, bad varint, ...) */
	SG_WIRE_VERSION,       /* Envelope.version != SG_PROTO_VERSION */
	SG_WIRE_NO_BODY,       /* unknown or absent body */
	SG_WIRE_WRONG_CHANNEL, /* body not allowed on this channel/direction */
	SG_WIRE_RANGE,	       /* a field out of range */
	SG_WIRE_SEQ,	       /* missing or out-of-order sequence number */
	SG_WIRE_FDS,	       /* file descriptors where none belong, or wrong count */
	SG_WIRE_NR_ERRS
};
const char *sg_wire_strerror(enum sg_wire_err err);

/*
 * Bump allocator handed to protobuf-c so unpacking never calls malloc.
 * Reset before each decode; everything decoded lives until the next reset.
 */
struct sg_arena {
	unsigned char *base;
	size_t size;
	size_t used;
	bool exhausted;
};
void sg_arena_init(struct sg_arena *a, void *buf, size_t size);
void sg_arena_reset(struct sg_arena *a);

/* Envelope with version set and no body. */
void sg_envelope_init(Sg__Envelope *env);

/* A message and its body in one struct, so one is built in place (on a
 * caller's stack, in a preallocated array); returns &m->env. */
struct sg_mmio_msg {
	Sg__Envelope env;
	Sg__Mmio mmio;
};
struct sg_msi_msg {
	Sg__Envelope env;
	Sg__Msi msi;
};
Sg__Envelope *sg_mmio_msg(struct sg_mmio_msg *m, uint64_t addr, unsigned size, bool write,
			  bool posted, uint64_t data);
Sg__Envelope *sg_msi_msg(struct sg_msi_msg *m, uint32_t its, uint32_t device_id, uint32_t event_id);

/* Packs into buf; returns the length, or -EMSGSIZE if it exceeds cap or SG_WIRE_MAX. */
ssize_t sg_wire_pack(const Sg__Envelope *env, void *buf, size_t cap);

/*
 * Sends one datagram (MSG_NOSIGNAL; blocking or not as the socket is).
 * Returns 0 or a negative errno.
 */
int sg_wire_send_raw(int fd, const void *buf, size_t len, const int *fds, unsigned nfds);
int sg_wire_send(int fd, const Sg__Envelope *env, const int *fds, unsigned nfds);

/*
 * Receives one datagram into buf (cap must be >= SG_WIRE_MAX + 1) and up to
 * max_fds descriptors (close-on-exec).  Returns the datagram length (> 0), 0
 * on an orderly hangup, or a negative errno: -EAGAIN, -EMSGSIZE for an
 * oversized datagram, -EBADMSG for an empty one, -ETOOMANYREFS when more fds
 * came than max_fds (those are closed by the kernel; the ones received are
 * still returned in fds/nfds for the caller to close).
 */
ssize_t sg_wire_recv(int fd, void *buf, size_t cap, int *fds, unsigned max_fds, unsigned *nfds);
/* The same with extra recvmsg() flags, e.g. MSG_DONTWAIT on a blocking socket. */
ssize_t sg_wire_recv_flags(int fd, void *buf, size_t cap, int *fds, unsigned max_fds,
			   unsigned *nfds, int flags);

/* Closes received fds the caller did not want. */
void sg_wire_close_fds(int *fds, unsigned nfds);

/*
 * Unpacks buf into the arena and checks what needs no context: version,
 * a known body, batch shape.  On success *out points into the arena.
 */
enum sg_wire_err sg_wire_decode(const void *buf, size_t len, struct sg_arena *arena,
				Sg__Envelope **out);

/*
 * Checks that env may travel on a channel of `kind` in direction `dir` and
 * that every field is in range for the VM shape (shape may be NULL for the
 * control channel).  Checks nested Batch messages too.  *why gets a static
 * description of the first problem found.
 */
enum sg_wire_err sg_wire_validate(const Sg__Envelope *env, enum sg_chan_kind kind, enum sg_dir dir,
				  const struct sg_vm_shape *shape, const char **why);

/* Human-readable name of a body kind, for logs ("mmio", "deliver", ...). */
const char *sg_wire_body_name(Sg__Envelope__BodyCase body);

/* True for bodies that carry a channel sequence number when sent to the daemon. */
bool sg_wire_body_is_sequenced(Sg__Envelope__BodyCase body);

#endif
