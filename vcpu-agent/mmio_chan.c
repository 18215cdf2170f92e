// SPDX-License-Identifier: MIT
#include "mmio_chan.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define ARENA_SIZE 8192u
/* How often a vCPU waiting on the daemon reports it, and when it gives up. */
#define STUCK_REPORT_MS 1000
#define STUCK_LIMIT_MS 30000

int mmio_chan_init(struct mmio_chan *ch, unsigned vcpu)
{
	memset(ch, 0, sizeof(*ch));
	ch->fd = -1;
	ch->vcpu = vcpu;
	ch->next_seq = 1;
	ch->rx = malloc(SG_WIRE_MAX + 1 + ARENA_SIZE);
	if (!ch->rx)
		return -ENOMEM;
	ch->arena_buf = ch->rx + SG_WIRE_MAX + 1;
	return 0;
}

void mmio_chan_fini(struct mmio_chan *ch)
{
	free(ch->rx);
	ch->rx = NULL;
}

static int send_env(struct mmio_chan *ch, Sg__Envelope *env)
{
	unsigned char buf[128];
	ssize_t len;

	if (ch->fd < 0)
		return -ENOTCONN;
	env->seq = ch->next_seq;
	len = sg_wire_pack(env, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	int rc = sg_wire_send_raw(ch->fd, buf, (size_t)len, NULL, 0);
	if (rc == 0)
		ch->next_seq++;
	return rc;
}

static int send_mmio(struct mmio_chan *ch, uint64_t addr, unsigned size, bool write, bool posted,
		     uint64_t val)
{
	Sg__Mmio m = SG__MMIO__INIT;
	Sg__Envelope env;

	m.addr = addr;
	m.size = size;
	m.write = write;
	m.posted = posted;
	m.data = write ? val : 0;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MMIO;
	env.mmio = &m;
	return send_env(ch, &env);
}

int mmio_chan_post(struct mmio_chan *ch, uint64_t addr, unsigned size, uint64_t val)
{
	int rc = send_mmio(ch, addr, size, true, true, val);

	if (rc == 0)
		ch->nr_posted++;
	return rc;
}

int mmio_chan_msi(struct mmio_chan *ch, uint32_t its, uint32_t device_id, uint32_t event_id)
{
	Sg__Msi m = SG__MSI__INIT;
	Sg__Envelope env;
	int rc;

	m.its = its;
	m.device_id = device_id;
	m.event_id = event_id;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_MSI;
	env.msi = &m;
	rc = send_env(ch, &env);
	if (rc == 0)
		ch->nr_msi++;
	return rc;
}

/* Takes one message off the channel; returns 1 if it was the reply to seq. */
static int take_message(struct mmio_chan *ch, uint64_t seq, uint64_t *val)
{
	struct sg_arena arena;
	Sg__Envelope *env;
	int fds[1];
	unsigned nfds;
	ssize_t n = sg_wire_recv(ch->fd, ch->rx, SG_WIRE_MAX + 1, fds, 0, &nfds);

	sg_wire_close_fds(fds, nfds);
	if (n == -EAGAIN)
		return 0;
	if (n == 0)
		return -ECONNRESET;
	if (n < 0) {
		ch->nr_rejected++;
		return n == -EMSGSIZE || n == -ETOOMANYREFS || n == -EBADMSG ? 0 : (int)n;
	}
	sg_arena_init(&arena, ch->arena_buf, ARENA_SIZE);
	if (sg_wire_decode(ch->rx, (size_t)n, &arena, &env) != SG_WIRE_OK) {
		ch->nr_rejected++;
		sg_reject_log("vCPU %u: undecodable message from gicd-server", ch->vcpu);
		return 0;
	}
	switch (env->body_case) {
	case SG__ENVELOPE__BODY_MMIO_REPLY:
		if (env->mmio_reply->seq != seq)
			return 0; /* a reply to a request we stopped waiting for */
		*val = env->mmio_reply->data;
		return 1;
	case SG__ENVELOPE__BODY_DURABLE:
		if (env->durable->seq > ch->durable_seq)
			ch->durable_seq = env->durable->seq;
		return 0;
	default:
		ch->nr_rejected++;
		sg_reject_log("vCPU %u: unexpected %s on the MMIO channel", ch->vcpu,
			      sg_wire_body_name(env->body_case));
		return 0;
	}
}

int mmio_chan_call(struct mmio_chan *ch, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	uint64_t seq = ch->next_seq;
	int waited_ms = 0;
	int rc = send_mmio(ch, addr, size, write, false, write ? *val : 0);

	if (rc < 0)
		return rc;
	ch->nr_waited++;
	for (;;) {
		struct pollfd p = {.fd = ch->fd, .events = POLLIN};
		int pr = poll(&p, 1, STUCK_REPORT_MS);

		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr == 0) {
			waited_ms += STUCK_REPORT_MS;
			sg_warn("vCPU %u: gicd-server has not answered the %s of 0x%llx for %d s",
				ch->vcpu, write ? "write" : "read", (unsigned long long)addr,
				waited_ms / 1000);
			if (waited_ms >= STUCK_LIMIT_MS)
				return -ETIMEDOUT;
			continue;
		}
		if (pr < 0)
			continue;
		rc = take_message(ch, seq, val);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return 0;
	}
}
