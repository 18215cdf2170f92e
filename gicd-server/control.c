// SPDX-License-Identifier: MIT
#include "control.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "record.h"
#include "wire.h"

struct pending {
	struct control *c;
	int fd; /* -1: slot free */
	struct event *rd_ev;
	struct event *timer;
	struct ucred peer;
};

struct control {
	struct event_base *base;
	int listen_fd;
	struct event *accept_ev;
	const struct control_policy *policy;
	const struct control_ops *ops;
	struct pending pending[CONTROL_MAX_PENDING];
	unsigned char *rxbuf; /* CHANNEL_RX_ALLOC: datagram, then the decoding arena */
	struct sg_arena arena;
	int fds[SG_WIRE_MAX_FDS];
	struct control_stats stats;
};

/* The verdict on one Hello. */
struct verdict {
	Sg__Welcome__Status status;
	const char *reason;
};

static const char *status_name(Sg__Welcome__Status st)
{
	switch (st) {
	case SG__WELCOME__STATUS__OK: return "OK";
	case SG__WELCOME__STATUS__REJECTED: return "REJECTED";
	case SG__WELCOME__STATUS__BUSY: return "BUSY";
	case SG__WELCOME__STATUS__VERSION: return "VERSION";
	case SG__WELCOME__STATUS__DENIED: return "DENIED";
	default: return "?";
	}
}

/* Frees the slot; the fd is the caller's. */
static void pending_release(struct pending *p)
{
	event_free(p->rd_ev);
	event_free(p->timer);
	p->fd = -1;
	p->rd_ev = p->timer = NULL;
}

static void pending_close(struct pending *p)
{
	close(p->fd);
	pending_release(p);
}

static bool uid_allowed(const struct control *c, uid_t uid)
{
	if (c->policy->nr_allow_uids == 0)
		return uid == 0 || uid == geteuid();
	for (unsigned i = 0; i < c->policy->nr_allow_uids; i++)
		if (c->policy->allow_uid[i] == uid)
			return true;
	return false;
}

static void send_welcome(struct control *c, struct pending *p, const struct verdict *v,
			 unsigned nr_chans, struct attach_result *res)
{
	Sg__Welcome w = SG__WELCOME__INIT;
	Sg__Envelope env;
	int rc;

	w.status = v->status;
	w.reason = (char *)(v->reason ? v->reason : "");
	w.proto_version = SG_PROTO_VERSION;
	w.daemon_version = (char *)SG_VERSION;
	if (v->status == SG__WELCOME__STATUS__OK) {
		/* Where each channel stands (all 0 on a first attach), and the
		 * token that lets this VMM re-attach after a restart. */
		w.n_applied_seq = nr_chans;
		w.applied_seq = res->applied;
		w.epoch = res->epoch;
		w.resume_token.data = res->token;
		w.resume_token.len = sizeof(res->token);
	}
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_WELCOME;
	env.welcome = &w;
	rc = sg_wire_send(p->fd, &env, NULL, 0);
	if (rc < 0) {
		/* A peer that hangs up before its answer: rate-limited. */
		static struct sg_ratelimit rl = SG_RATELIMIT_INIT(1000, 10);

		sg_log_ratelimited(&rl, SG_LOG_INFO, "control: cannot send Welcome to pid %d: %s",
				   (int)p->peer.pid, strerror(-rc));
	}
	(void)c;
}

/* Every channel fd must be a distinct AF_UNIX SOCK_SEQPACKET socket. */
static bool channel_fds_ok(const int *fds, unsigned n, const char **why)
{
	ino_t ino[SG_MAX_VCPUS + 1];

	for (unsigned i = 0; i < n; i++) {
		int domain = -1, type = -1;
		socklen_t len = sizeof(int);
		struct stat st;

		if (getsockopt(fds[i], SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
		    (len = sizeof(int), getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &len) < 0) ||
		    domain != AF_UNIX || type != SOCK_SEQPACKET || fstat(fds[i], &st) < 0) {
			*why = "a channel fd is not an AF_UNIX SOCK_SEQPACKET socket";
			return false;
		}
		ino[i] = st.st_ino;
		for (unsigned j = 0; j < i; j++)
			if (ino[j] == ino[i]) {
				*why = "the same socket was passed for two channels";
				return false;
			}
	}
	return true;
}

/*
 * Checks a received Hello from an allowed peer and, if it is good, attaches
 * the VM.  Takes the fds in every case.  *nr_chans gets the channel count for the Welcome.
 */
static struct verdict check_and_attach(struct control *c, struct pending *p, size_t len,
				       unsigned nfds, unsigned *nr_chans, struct attach_result *res)
{
	const struct verdict rejected = { SG__WELCOME__STATUS__REJECTED, NULL };
	struct verdict v = rejected;
	struct sg_vm_shape shape;
	struct guest_ram ram;
	const Sg__Hello *h;
	Sg__Envelope *env;
	enum sg_wire_err err;
	unsigned nch;
	int rc;

	*nr_chans = 0;
	err = sg_wire_decode(c->rxbuf, len, &c->arena, &env);
	if (err == SG_WIRE_VERSION) {
		v = (struct verdict){ SG__WELCOME__STATUS__VERSION,
				      "unsupported protocol version" };
		goto out_close;
	}
	if (err == SG_WIRE_OK)
		err = sg_wire_validate(env, SG_CHAN_CONTROL, SG_TO_DAEMON, NULL, &v.reason);
	if (err != SG_WIRE_OK) {
		if (!v.reason || !v.reason[0])
			v.reason = sg_wire_strerror(err);
		goto out_close;
	}
	h = env->hello;
	if (h->proto_version != SG_PROTO_VERSION) {
		v = (struct verdict){ SG__WELCOME__STATUS__VERSION,
				      "unsupported protocol version" };
		goto out_close;
	}
	if (h->vm_name[0] && strcmp(h->vm_name, c->policy->vm_name) != 0) {
		v.reason = "Hello names a different VM than this daemon serves";
		goto out_close;
	}
	if (!sg_shape_from_hello(h, &shape, &v.reason))
		goto out_close;
	nch = shape.nr_vcpus + 1;
	if (h->nr_ram_fds > SG_MAX_RAM_REGIONS || h->n_ram > SG_MAX_RAM_REGIONS) {
		v.reason = "too many RAM regions or memfds (at most 16: SG_MAX_RAM_REGIONS)";
		goto out_close;
	}
	if (nfds != nch + h->nr_ram_fds) {
		v.reason = "wrong number of file descriptors (want one per vCPU, the bus, "
			   "then the RAM memfds)";
		goto out_close;
	}
	if (!channel_fds_ok(c->fds, nch, &v.reason))
		goto out_close;
	/* Checked this late so a broken Hello is told what is wrong with it. */
	if (c->ops->busy(c->ops->arg)) {
		v = (struct verdict){ SG__WELCOME__STATUS__BUSY, "a VM is already attached" };
		goto out_close;
	}
	/* From here the RAM fds belong to ram, the channel fds to us. */
	rc = guest_ram_map(&ram, &shape, h->ram, h->n_ram, c->fds + nch, h->nr_ram_fds, &v.reason);
	if (rc < 0) {
		sg_wire_close_fds(c->fds, nch);
		return v;
	}
	rc = c->ops->attach(c->ops->arg,
			    &(struct attach_req){ .shape = &shape,
						  .hello = h,
						  .chan_fds = c->fds,
						  .ram = &ram,
						  .peer = p->peer },
			    res);
	if (rc < 0) {
		v.reason = res->reason ? res->reason : "cannot set up the VM session";
		return v;
	}
	*nr_chans = nch;
	return (struct verdict){ SG__WELCOME__STATUS__OK, "" };

out_close:
	sg_wire_close_fds(c->fds, nfds);
	return v;
}

static void count_verdict(struct control *c, Sg__Welcome__Status st)
{
	switch (st) {
	case SG__WELCOME__STATUS__OK: c->stats.ok++; break;
	case SG__WELCOME__STATUS__BUSY: c->stats.busy++; break;
	case SG__WELCOME__STATUS__VERSION: c->stats.version++; break;
	case SG__WELCOME__STATUS__DENIED: c->stats.denied++; break;
	default: c->stats.rejected++; break;
	}
}

/*
 * A first datagram that is an AdminRequest: the connection goes to the
 * admin handlers (gicctl) instead of becoming a VM.  True if taken.
 */
static bool take_admin(struct control *c, struct pending *p, size_t len, unsigned nfds)
{
	struct ucred peer;
	const char *why;
	Sg__Envelope *env;
	int fd = p->fd;

	if (sg_wire_decode(c->rxbuf, len, &c->arena, &env) != SG_WIRE_OK ||
	    env->body_case != SG__ENVELOPE__BODY_ADMIN_REQUEST ||
	    sg_wire_validate(env, SG_CHAN_CONTROL, SG_TO_DAEMON, NULL, &why) != SG_WIRE_OK)
		return false;
	c->stats.admin++;
	/* The connection is the admin's now: free the slot, keep the fd. */
	peer = p->peer;
	pending_release(p);
	c->ops->admin(c->ops->arg, fd, &peer, env->admin_request, c->fds, nfds);
	return true;
}

static void on_hello(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct control *c = p->c;
	struct verdict v = { SG__WELCOME__STATUS__REJECTED, NULL };
	struct attach_result res;
	unsigned nfds, nr_chans = 0;
	ssize_t n;

	(void)what;
	memset(&res, 0, sizeof(res));
	n = sg_wire_recv(fd, c->rxbuf, CHANNEL_RX_SIZE, c->fds, SG_WIRE_MAX_FDS, &nfds);
	if (n == -EAGAIN)
		return;
	if (n > 0) /* GICD_RECORD_DIR: fuzzing seeds */
		record_control(c->rxbuf, (size_t)n, c->fds, nfds);
	if (n == 0 || (n < 0 && n != -EMSGSIZE && n != -EBADMSG && n != -ETOOMANYREFS)) {
		sg_wire_close_fds(c->fds, nfds);
		c->stats.hangups++;
		sg_reject_log("control: pid %d uid %u closed the connection before sending Hello",
			      (int)p->peer.pid, (unsigned)p->peer.uid);
		pending_close(p);
		return;
	}
	if (!uid_allowed(c, p->peer.uid)) {
		/* Nothing in the datagram is looked at. */
		sg_wire_close_fds(c->fds, nfds);
		v = (struct verdict){ SG__WELCOME__STATUS__DENIED, "peer uid is not allowed" };
	} else if (n < 0) {
		sg_wire_close_fds(c->fds, nfds);
		v.reason = n == -EMSGSIZE  ? sg_wire_strerror(SG_WIRE_OVERSIZE)
			   : n == -EBADMSG ? sg_wire_strerror(SG_WIRE_EMPTY)
					   : "more file descriptors than one datagram may carry";
	} else if (take_admin(c, p, (size_t)n, nfds)) {
		return;
	} else {
		v = check_and_attach(c, p, (size_t)n, nfds, &nr_chans, &res);
	}
	count_verdict(c, v.status);
	/* Log before answering: whoever reads the Welcome finds the line written. */
	if (v.status != SG__WELCOME__STATUS__OK)
		sg_reject_log("control: Hello from pid %d uid %u gid %u refused (%s): %s",
			      (int)p->peer.pid, (unsigned)p->peer.uid, (unsigned)p->peer.gid,
			      status_name(v.status), v.reason ? v.reason : "");
	send_welcome(c, p, &v, nr_chans, &res);
	pending_close(p);
}

static void on_hello_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	(void)fd;
	(void)what;
	p->c->stats.timeouts++;
	sg_reject_log("control: pid %d uid %u sent no Hello within %d s: closing", (int)p->peer.pid,
		      (unsigned)p->peer.uid, CONTROL_HELLO_TIMEOUT_S);
	pending_close(p);
}

static struct pending *free_slot(struct control *c)
{
	for (unsigned i = 0; i < CONTROL_MAX_PENDING; i++)
		if (c->pending[i].fd < 0)
			return &c->pending[i];
	return NULL;
}

static void accept_one(struct control *c, int fd)
{
	const struct timeval tmo = { .tv_sec = CONTROL_HELLO_TIMEOUT_S };
	struct pending *p = free_slot(c);
	socklen_t len = sizeof(p->peer);

	c->stats.accepted++;
	if (!p) {
		c->stats.refused++;
		sg_reject_log("control: %u connections already wait for their Hello: closing a "
			      "new one",
			      CONTROL_MAX_PENDING);
		close(fd);
		return;
	}
	p->c = c;
	p->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p->peer, &len) < 0) {
		sg_err("control: SO_PEERCRED: %m");
		p->peer = (struct ucred){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	}
	p->rd_ev = event_new(c->base, fd, EV_READ | EV_PERSIST, on_hello, p);
	p->timer = evtimer_new(c->base, on_hello_timeout, p);
	if (!p->rd_ev || !p->timer || event_add(p->rd_ev, NULL) < 0 ||
	    evtimer_add(p->timer, &tmo) < 0) {
		sg_err("control: cannot set up events for a new connection");
		if (p->rd_ev)
			event_free(p->rd_ev);
		if (p->timer)
			event_free(p->timer);
		p->rd_ev = p->timer = NULL;
		close(fd);
		p->fd = -1;
		return;
	}
	sg_debug("control: connection from pid %d uid %u gid %u", (int)p->peer.pid,
		 (unsigned)p->peer.uid, (unsigned)p->peer.gid);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct control *c = arg;

	(void)what;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				sg_reject_log("control: accept: %m");
			return;
		}
		accept_one(c, fd);
	}
}

struct control *control_new(struct event_base *base, int listen_fd,
			    const struct control_policy *policy, const struct control_ops *ops)
{
	struct control *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base = base;
	c->listen_fd = listen_fd;
	c->policy = policy;
	c->ops = ops;
	for (unsigned i = 0; i < CONTROL_MAX_PENDING; i++)
		c->pending[i].fd = -1;
	c->rxbuf = malloc(CHANNEL_RX_ALLOC);
	c->accept_ev = event_new(base, listen_fd, EV_READ | EV_PERSIST, on_accept, c);
	if (!c->rxbuf || !c->accept_ev || event_add(c->accept_ev, NULL) < 0) {
		control_free(c);
		return NULL;
	}
	sg_arena_init(&c->arena, c->rxbuf + CHANNEL_ARENA_OFFSET, SG_WIRE_ARENA_SIZE);
	return c;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_PENDING; i++)
		if (c->pending[i].fd >= 0)
			pending_close(&c->pending[i]);
	if (c->accept_ev)
		event_free(c->accept_ev);
	free(c->rxbuf);
	free(c);
}

const struct control_stats *control_get_stats(const struct control *c)
{
	return &c->stats;
}

void control_log_stats(const struct control *c, enum sg_log_level level)
{
	const struct control_stats *s = &c->stats;

	sg_log(level,
	       "counters control: connections %llu (refused %llu, no Hello in time %llu, closed "
	       "early %llu), Hello OK %llu, REJECTED %llu, BUSY %llu, VERSION %llu, DENIED %llu, "
	       "admin %llu",
	       (unsigned long long)s->accepted, (unsigned long long)s->refused,
	       (unsigned long long)s->timeouts, (unsigned long long)s->hangups,
	       (unsigned long long)s->ok, (unsigned long long)s->rejected,
	       (unsigned long long)s->busy, (unsigned long long)s->version,
	       (unsigned long long)s->denied, (unsigned long long)s->admin);
}
