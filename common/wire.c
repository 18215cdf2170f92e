// SPDX-License-Identifier: MIT
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gic_regs.h"
#include "vm_shape.h"

const char *sg_wire_strerror(enum sg_wire_err err)
{
	switch (err) {
	case SG_WIRE_OK: return "ok";
	case SG_WIRE_EMPTY: return "empty datagram";
	case SG_WIRE_OVERSIZE: return "oversized datagram";
	case SG_WIRE_DECODE: return "undecodable envelope";
	case SG_WIRE_VERSION: return "unsupported protocol version";
	case SG_WIRE_NO_BODY: return "unknown or missing message type";
	case SG_WIRE_WRONG_CHANNEL: return "message not allowed on this channel";
	case SG_WIRE_RANGE: return "field out of range";
	case SG_WIRE_SEQ: return "bad sequence number";
	case SG_WIRE_FDS: return "unexpected file descriptors";
	case SG_WIRE_NR_ERRS: break;
	}
	return "unknown error";
}

/* ------------------------------------------------------------------ arena */

static void *arena_alloc(void *data, size_t size)
{
	struct sg_arena *a = data;
	/* Align the address, not the offset: callers may place the arena anywhere. */
	uintptr_t at = ((uintptr_t)a->base + a->used + 15u) & ~(uintptr_t)15u;
	size_t off = (size_t)(at - (uintptr_t)a->base);

	if (off > a->size || size > a->size - off) {
		a->exhausted = true;
		return NULL;
	}
	a->used = off + size;
	return a->base + off;
}

static void arena_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

void sg_arena_init(struct sg_arena *a, void *buf, size_t size)
{
	a->base = buf;
	a->size = size;
	sg_arena_reset(a);
}

void sg_arena_reset(struct sg_arena *a)
{
	a->used = 0;
	a->exhausted = false;
}

/* ---------------------------------------------------------------- framing */

void sg_envelope_init(Sg__Envelope *env)
{
	sg__envelope__init(env);
	env->version = SG_PROTO_VERSION;
}

Sg__Envelope *sg_mmio_msg(struct sg_mmio_msg *m, uint64_t addr, unsigned size, bool write,
			  bool posted, uint64_t data)
{
	sg__mmio__init(&m->mmio);
	m->mmio.addr = addr;
	m->mmio.size = size;
	m->mmio.write = write;
	m->mmio.posted = posted;
	m->mmio.data = data;
	sg_envelope_init(&m->env);
	m->env.body_case = SG__ENVELOPE__BODY_MMIO;
	m->env.mmio = &m->mmio;
	return &m->env;
}

Sg__Envelope *sg_msi_msg(struct sg_msi_msg *m, uint32_t its, uint32_t device_id, uint32_t event_id)
{
	sg__msi__init(&m->msi);
	m->msi.its = its;
	m->msi.device_id = device_id;
	m->msi.event_id = event_id;
	sg_envelope_init(&m->env);
	m->env.body_case = SG__ENVELOPE__BODY_MSI;
	m->env.msi = &m->msi;
	return &m->env;
}

ssize_t sg_wire_pack(const Sg__Envelope *env, void *buf, size_t cap)
{
	size_t len = sg__envelope__get_packed_size(env);

	if (len > cap || len > SG_WIRE_MAX)
		return -EMSGSIZE;
	return (ssize_t)sg__envelope__pack(env, buf);
}

int sg_wire_send_raw(int fd, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SG_WIRE_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > SG_WIRE_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(ctl.buf, 0, sizeof(ctl.buf));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

int sg_wire_send(int fd, const Sg__Envelope *env, const int *fds, unsigned nfds)
{
	unsigned char buf[SG_WIRE_MAX];
	ssize_t len = sg_wire_pack(env, buf, sizeof(buf));

	if (len < 0)
		return (int)len;
	return sg_wire_send_raw(fd, buf, (size_t)len, fds, nfds);
}

ssize_t sg_wire_recv(int fd, void *buf, size_t cap, int *fds, unsigned max_fds, unsigned *nfds)
{
	return sg_wire_recv_flags(fd, buf, cap, fds, max_fds, nfds, 0);
}

ssize_t sg_wire_recv_flags(int fd, void *buf, size_t cap, int *fds, unsigned max_fds,
			   unsigned *nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SG_WIRE_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	bool fds_lost = false;
	ssize_t n;

	*nfds = 0;
	if (max_fds > SG_WIRE_MAX_FDS)
		max_fds = SG_WIRE_MAX_FDS;
	/* Room for exactly max_fds: more are dropped by the kernel (MSG_CTRUNC).
	 * With max_fds == 0 keep room for one, so a stray fd is seen and closed. */
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (max_fds ? max_fds : 1));
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_TRUNC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int rfd;

			memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max_fds)
				fds[(*nfds)++] = rfd;
			else {
				close(rfd);
				fds_lost = true;
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		fds_lost = true;
	if (msg.msg_flags & MSG_TRUNC || (size_t)n > cap)
		return -EMSGSIZE;
	if (fds_lost)
		return -ETOOMANYREFS;
	if (n == 0) {
		/* SEQPACKET returns 0 both for an empty datagram and at EOF; only
		 * a hung-up peer sets POLLRDHUP/POLLHUP. */
		struct pollfd p = { .fd = fd, .events = POLLRDHUP };

		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)))
			return 0;
		return -EBADMSG;
	}
	return n;
}

void sg_wire_close_fds(int *fds, unsigned nfds)
{
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* --------------------------------------------------------------- decoding */

/*
 * protobuf-c keeps unknown fields (schema evolution, DESIGN §6) but accepts
 * field number 0 when its tag is written as a non-minimal varint; no valid
 * encoder produces that, so such a message is malformed.
 */
static bool unknown_fields_valid(const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (depth > 8)
		return false;
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return false;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v =
				*(ProtobufCMessage *const *const *)(base + f->offset);

			for (size_t j = 0; j < n; j++)
				if (!unknown_fields_valid(v[j], depth + 1))
					return false;
		} else {
			const ProtobufCMessage *sub =
				*(ProtobufCMessage *const *)(base + f->offset);

			/* A oneof member that is not the chosen one aliases another. */
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF &&
			    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
			if (sub && !unknown_fields_valid(sub, depth + 1))
				return false;
		}
	}
	return true;
}

enum sg_wire_err sg_wire_decode(const void *buf, size_t len, struct sg_arena *arena,
				Sg__Envelope **out)
{
	ProtobufCAllocator alloc = { arena_alloc, arena_free, arena };
	Sg__Envelope *env;

	*out = NULL;
	if (len == 0)
		return SG_WIRE_EMPTY;
	if (len > SG_WIRE_MAX)
		return SG_WIRE_OVERSIZE;
	sg_arena_reset(arena);
	env = sg__envelope__unpack(&alloc, len, buf);
	if (!env || !unknown_fields_valid(&env->base, 0))
		return SG_WIRE_DECODE;
	if (env->version != SG_PROTO_VERSION)
		return SG_WIRE_VERSION;
	if (env->body_case == SG__ENVELOPE__BODY__NOT_SET)
		return SG_WIRE_NO_BODY;
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		const Sg__Batch *b = env->batch;

		if (b->n_msgs == 0 || b->n_msgs > SG_WIRE_MAX_BATCH)
			return SG_WIRE_RANGE;
		for (size_t i = 0; i < b->n_msgs; i++) {
			const Sg__Envelope *m = b->msgs[i];

			if (m->version != SG_PROTO_VERSION)
				return SG_WIRE_VERSION;
			if (m->body_case == SG__ENVELOPE__BODY__NOT_SET)
				return SG_WIRE_NO_BODY;
			if (m->body_case == SG__ENVELOPE__BODY_BATCH)
				return SG_WIRE_WRONG_CHANNEL;
		}
	}
	*out = env;
	return SG_WIRE_OK;
}

/* ------------------------------------------------------------- validation */

struct body_rule {
	Sg__Envelope__BodyCase body;
	const char *name;
	enum sg_chan_kind kind;
	enum sg_dir dir;
	bool in_batch;	/* may appear inside a Batch (bus only) */
	bool sequenced; /* carries a channel seq when sent to the daemon */
};

/* The direction table of docs/protocol.md. */
static const struct body_rule body_rules[] = {
	{ SG__ENVELOPE__BODY_HELLO, "hello", SG_CHAN_CONTROL, SG_TO_DAEMON, false, false },
	{ SG__ENVELOPE__BODY_WELCOME, "welcome", SG_CHAN_CONTROL, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_ADMIN_REQUEST, "admin_request", SG_CHAN_CONTROL, SG_TO_DAEMON, false,
	  false },
	{ SG__ENVELOPE__BODY_ADMIN_REPLY, "admin_reply", SG_CHAN_CONTROL, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_MMIO, "mmio", SG_CHAN_MMIO, SG_TO_DAEMON, false, true },
	{ SG__ENVELOPE__BODY_MSI, "msi", SG_CHAN_MMIO, SG_TO_DAEMON, false, true },
	{ SG__ENVELOPE__BODY_MMIO_REPLY, "mmio_reply", SG_CHAN_MMIO, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_DURABLE, "durable", SG_CHAN_MMIO, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_RESUME, "resume", SG_CHAN_MMIO, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_DELIVER, "deliver", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_RETRACT, "retract", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_QUERY, "query", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_INV, "inv", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_INV_ALL, "inv_all", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_SYNC, "sync", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_MOVE, "move", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_MOV_ALL, "mov_all", SG_CHAN_BUS, SG_TO_VMM, true, false },
	{ SG__ENVELOPE__BODY_DURABLE, "durable", SG_CHAN_BUS, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_RESUME, "resume", SG_CHAN_BUS, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_BATCH, "batch", SG_CHAN_BUS, SG_TO_VMM, false, false },
	{ SG__ENVELOPE__BODY_QUERY_REPLY, "query_reply", SG_CHAN_BUS, SG_TO_DAEMON, true, true },
	{ SG__ENVELOPE__BODY_DEACTIVATED, "deactivated", SG_CHAN_BUS, SG_TO_DAEMON, true, true },
	{ SG__ENVELOPE__BODY_SYNC_DONE, "sync_done", SG_CHAN_BUS, SG_TO_DAEMON, true, true },
	{ SG__ENVELOPE__BODY_RESYNC, "resync", SG_CHAN_BUS, SG_TO_DAEMON, false, true },
	{ SG__ENVELOPE__BODY_CPU_STATE, "cpu_state", SG_CHAN_BUS, SG_TO_DAEMON, true, true },
	{ SG__ENVELOPE__BODY_ACK, "ack", SG_CHAN_BUS, SG_TO_DAEMON, false, false },
	{ SG__ENVELOPE__BODY_SPI_LEVEL, "spi_level", SG_CHAN_BUS, SG_TO_DAEMON, true, true },
	{ SG__ENVELOPE__BODY_MSI, "msi", SG_CHAN_BUS, SG_TO_DAEMON, true, true },
	{ SG__ENVELOPE__BODY_BATCH, "batch", SG_CHAN_BUS, SG_TO_DAEMON, false, false },
};

#define NR_RULES (sizeof(body_rules) / sizeof(body_rules[0]))

static const struct body_rule *find_rule(Sg__Envelope__BodyCase body, enum sg_chan_kind kind,
					 enum sg_dir dir)
{
	for (size_t i = 0; i < NR_RULES; i++)
		if (body_rules[i].body == body && body_rules[i].kind == kind &&
		    body_rules[i].dir == dir)
			return &body_rules[i];
	return NULL;
}

const char *sg_wire_body_name(Sg__Envelope__BodyCase body)
{
	for (size_t i = 0; i < NR_RULES; i++)
		if (body_rules[i].body == body)
			return body_rules[i].name;
	return "unknown";
}

bool sg_wire_body_is_sequenced(Sg__Envelope__BodyCase body)
{
	for (size_t i = 0; i < NR_RULES; i++)
		if (body_rules[i].body == body && body_rules[i].dir == SG_TO_DAEMON)
			return body_rules[i].sequenced;
	return false;
}

#define CHECK(cond, msg)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			*why = (msg);                                                              \
			return SG_WIRE_RANGE;                                                      \
		}                                                                                  \
	} while (0)

static bool spi_ok(const struct sg_vm_shape *s, uint32_t intid)
{
	return intid >= GIC_SPI_BASE && intid < GIC_SPI_BASE + s->nr_spis;
}

static bool vcpu_ok(const struct sg_vm_shape *s, uint32_t vcpu)
{
	return vcpu < s->nr_vcpus;
}

static enum sg_wire_err check_fields(const Sg__Envelope *env, const struct sg_vm_shape *s,
				     const char **why)
{
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_MMIO: {
		const Sg__Mmio *m = env->mmio;

		CHECK(m->size == 1 || m->size == 2 || m->size == 4 || m->size == 8,
		      "mmio size not 1, 2, 4 or 8");
		CHECK(!m->posted || m->write, "posted read");
		CHECK(m->size == 8 || (m->data >> (8 * m->size)) == 0,
		      "mmio data wider than the access");
		return SG_WIRE_OK;
	}
	case SG__ENVELOPE__BODY_MSI:
		CHECK(env->msi->its < s->map.nr_its, "msi: no such ITS");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_SPI_LEVEL:
		CHECK(spi_ok(s, env->spi_level->intid), "spi_level: not a configured SPI");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_DEACTIVATED:
		CHECK(vcpu_ok(s, env->deactivated->vcpu), "deactivated: bad vcpu");
		CHECK(spi_ok(s, env->deactivated->intid), "deactivated: not a configured SPI");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_QUERY_REPLY:
		CHECK(vcpu_ok(s, env->query_reply->vcpu), "query_reply: bad vcpu");
		CHECK(spi_ok(s, env->query_reply->intid), "query_reply: not a configured SPI");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_SYNC_DONE:
		CHECK(vcpu_ok(s, env->sync_done->vcpu), "sync_done: bad vcpu");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_CPU_STATE:
		CHECK(vcpu_ok(s, env->cpu_state->vcpu), "cpu_state: bad vcpu");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_RESYNC: {
		const Sg__Resync *r = env->resync;

		CHECK(vcpu_ok(s, r->vcpu), "resync: bad vcpu");
		CHECK(r->n_spis <= s->nr_spis, "resync: more SPIs than exist");
		for (size_t i = 0; i < r->n_spis; i++)
			CHECK(spi_ok(s, r->spis[i]->intid), "resync: not a configured SPI");
		return SG_WIRE_OK;
	}
	case SG__ENVELOPE__BODY_DELIVER: {
		const Sg__Deliver *d = env->deliver;

		CHECK(vcpu_ok(s, d->vcpu), "deliver: bad vcpu");
		CHECK(spi_ok(s, d->intid) || gic_intid_is_lpi(d->intid),
		      "deliver: not an SPI or LPI");
		CHECK(d->priority <= 0xFF && d->group <= 1, "deliver: bad priority or group");
		return SG_WIRE_OK;
	}
	case SG__ENVELOPE__BODY_RETRACT:
		CHECK(vcpu_ok(s, env->retract->vcpu), "retract: bad vcpu");
		CHECK(spi_ok(s, env->retract->intid) || gic_intid_is_lpi(env->retract->intid),
		      "retract: not an SPI or LPI");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_QUERY:
		CHECK(vcpu_ok(s, env->query->vcpu), "query: bad vcpu");
		CHECK(spi_ok(s, env->query->intid), "query: not a configured SPI");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_INV:
		CHECK(vcpu_ok(s, env->inv->vcpu), "inv: bad vcpu");
		CHECK(gic_intid_is_lpi(env->inv->intid), "inv: not an LPI");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_INV_ALL:
		CHECK(vcpu_ok(s, env->inv_all->vcpu), "inv_all: bad vcpu");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_SYNC:
		CHECK(vcpu_ok(s, env->sync->vcpu), "sync: bad vcpu");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_MOVE:
		CHECK(vcpu_ok(s, env->move->vcpu) && vcpu_ok(s, env->move->to_vcpu),
		      "move: bad vcpu");
		CHECK(gic_intid_is_lpi(env->move->intid), "move: not an LPI");
		return SG_WIRE_OK;
	case SG__ENVELOPE__BODY_MOV_ALL:
		CHECK(vcpu_ok(s, env->mov_all->vcpu) && vcpu_ok(s, env->mov_all->to_vcpu),
		      "mov_all: bad vcpu");
		return SG_WIRE_OK;
	default: return SG_WIRE_OK;
	}
}

enum sg_wire_err sg_wire_validate(const Sg__Envelope *env, enum sg_chan_kind kind, enum sg_dir dir,
				  const struct sg_vm_shape *shape, const char **why)
{
	const struct body_rule *rule = find_rule(env->body_case, kind, dir);
	enum sg_wire_err err;

	*why = "";
	if (!rule) {
		*why = "message type not allowed on this channel or direction";
		return SG_WIRE_WRONG_CHANNEL;
	}
	if (dir == SG_TO_DAEMON && rule->sequenced && env->seq == 0) {
		*why = "sequenced message without a sequence number";
		return SG_WIRE_SEQ;
	}
	if (dir == SG_TO_DAEMON && !rule->sequenced && env->seq != 0) {
		*why = "unsequenced message with a sequence number";
		return SG_WIRE_SEQ;
	}
	if (kind == SG_CHAN_CONTROL)
		return SG_WIRE_OK; /* Hello is checked with its fds by the receiver */
	if (!shape) {
		*why = "no VM shape to check against";
		return SG_WIRE_RANGE;
	}
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		const Sg__Batch *b = env->batch;

		if (b->n_msgs == 0 || b->n_msgs > SG_WIRE_MAX_BATCH) {
			*why = "batch size out of range";
			return SG_WIRE_RANGE;
		}
		for (size_t i = 0; i < b->n_msgs; i++) {
			const struct body_rule *r = find_rule(b->msgs[i]->body_case, kind, dir);

			if (!r || !r->in_batch) {
				*why = "message type not allowed in a batch";
				return SG_WIRE_WRONG_CHANNEL;
			}
			err = sg_wire_validate(b->msgs[i], kind, dir, shape, why);
			if (err != SG_WIRE_OK)
				return err;
		}
		return SG_WIRE_OK;
	}
	return check_fields(env, shape, why);
}
