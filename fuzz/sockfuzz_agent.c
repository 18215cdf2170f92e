// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: the fuzzer's VM: attach and detach, the prediction of the
 * daemon's sequencing, datagram I/O, the minimal agent answering the
 * daemon, and the kinds of fd sent where none belong (fuzz/sockfuzz.h).
 */
#include "sockfuzz.h"

/* ------------------------------------------------------------- the VM */

int chan_fd(const struct fvm *v, unsigned chan)
{
	return chan < v->shape.nr_vcpus ? v->att.mmio_fd[chan] : v->att.bus_fd;
}

enum sg_chan_kind chan_kind(const struct fvm *v, unsigned chan)
{
	return chan < v->shape.nr_vcpus ? SG_CHAN_MMIO : SG_CHAN_BUS;
}

void fvm_shape(struct sg_vm_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->nr_vcpus = NR_VCPUS;
	for (unsigned i = 0; i < NR_VCPUS; i++)
		s->mpidr[i] = i;
	s->nr_spis = NR_SPIS;
	s->lr_count = 4;
	sg_addr_map_default(&s->map, NR_ITS);
}

static int ram_memfd(uint64_t size)
{
	int fd = memfd_create("sockfuzz-ram", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die("memfd: %s", strerror(errno));
	return fd;
}

/* --------------------------------------------------- sequence prediction */

/*
 * Does the daemon consume sequence numbers for this datagram on channel
 * chan?  The rules of docs/protocol.md and docs/gicd-server.md ("Rejection
 * policy"), on the same decoder and validator the daemon runs.  Updates
 * v->last[chan].
 */
void predict(struct fvm *v, unsigned chan, const void *buf, size_t len, unsigned nfds)
{
	uint64_t *last = &v->last[chan];
	enum sg_chan_kind kind = chan_kind(v, chan);
	enum sg_wire_err err;
	Sg__Envelope *env;
	const char *why;

	if (nfds || len == 0 || len > SG_WIRE_MAX)
		return;
	if (sg_wire_decode(buf, len, &v->arena, &env) != SG_WIRE_OK)
		return;
	err = sg_wire_validate(env, kind, SG_TO_DAEMON, &v->shape, &why);
	if (err == SG_WIRE_SEQ)
		return;
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		for (size_t i = 0; i < env->batch->n_msgs; i++) {
			uint64_t s = env->batch->msgs[i]->seq;

			if (err == SG_WIRE_OK && s <= *last)
				continue; /* a duplicate, dropped; the rest still apply */
			if (s != *last + 1)
				break;
			(*last)++;
		}
		return;
	}
	if (err != SG_WIRE_OK) {
		if (sg_wire_body_is_sequenced(env->body_case) && env->seq == *last + 1)
			*last = env->seq;
		return;
	}
	if (env->body_case == SG__ENVELOPE__BODY_ACK)
		return;
	if (env->seq == *last + 1)
		*last = env->seq;
}

/* -------------------------------------------------------------- I/O */

/* Sends one datagram with fds; waits (safety net) while the socket is full. */
int send_dgram(int fd, const void *buf, size_t len, const int *fds, unsigned nfds, bool creds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SG_WIRE_MAX_FDS) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	size_t clen = 0;

	memset(ctl.buf, 0, sizeof(ctl.buf));
	if (nfds > SG_WIRE_MAX_FDS)
		nfds = SG_WIRE_MAX_FDS;
	if (nfds)
		clen += CMSG_SPACE(sizeof(int) * nfds);
	if (creds)
		clen += CMSG_SPACE(sizeof(struct ucred));
	if (clen) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = clen;
		c = CMSG_FIRSTHDR(&msg);
		if (nfds) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
			c = CMSG_NXTHDR(&msg, c);
		}
		if (creds) {
			struct ucred u = { .pid = getpid(), .uid = getuid(), .gid = getgid() };

			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_CREDENTIALS;
			c->cmsg_len = CMSG_LEN(sizeof(u));
			memcpy(CMSG_DATA(c), &u, sizeof(u));
		}
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != ENOBUFS)
			return -errno;
		if (poll(&p, 1, WAIT_MS) != 1)
			return -ETIMEDOUT;
	}
}

/* Sends a well-formed message; false if the daemon's end is gone. */
bool send_env(int fd, const Sg__Envelope *env)
{
	unsigned char buf[SG_WIRE_MAX];
	ssize_t n = sg_wire_pack(env, buf, sizeof(buf));

	if (n < 0)
		die("cannot pack a %s", sg_wire_body_name(env->body_case));
	return send_dgram(fd, buf, (size_t)n, NULL, 0, false) == 0;
}

/*
 * A little of what an agent does with the daemon's bus messages, so the
 * ownership of SPIs cycles (docs/protocol.md, "What the owner's agent must
 * do"): now and then (decided by the message's number, so a replay does
 * the same) a Deliver or Retract of an SPI ends in Deactivated, a Sync in
 * SyncDone.  Only while a case runs (answer_queries off): between cases
 * only Queries are answered.
 */
static void agent_respond(struct fvm *v, const Sg__Envelope *m)
{
	unsigned bus = v->shape.nr_vcpus;
	Sg__Deactivated d = SG__DEACTIVATED__INIT;
	Sg__SyncDone sd = SG__SYNC_DONE__INIT;
	Sg__Envelope e;

	/* A SYNC holds up the ITS's queue until answered: always.  Of the
	 * rest one in four is left unanswered. */
	if (m->body_case != SG__ENVELOPE__BODY_SYNC &&
	    (v->answer_queries || (m->seq * 0x9E3779B97F4A7C15ull) >> 62 == 0))
		return;
	sg_envelope_init(&e);
	switch (m->body_case) {
	case SG__ENVELOPE__BODY_DELIVER:
	case SG__ENVELOPE__BODY_RETRACT: {
		bool dl = m->body_case == SG__ENVELOPE__BODY_DELIVER;
		uint32_t intid = dl ? m->deliver->intid : m->retract->intid;

		if (intid >= GIC_SPI_BASE + v->shape.nr_spis)
			return; /* an LPI: nothing to end */
		d.vcpu = dl ? m->deliver->vcpu : m->retract->vcpu;
		d.intid = intid;
		d.gen = dl ? m->deliver->gen : m->retract->gen;
		d.returned_latch = !dl && m->retract->return_latch;
		e.body_case = SG__ENVELOPE__BODY_DEACTIVATED;
		e.deactivated = &d;
		break;
	}
	case SG__ENVELOPE__BODY_SYNC:
		sd.vcpu = m->sync->vcpu;
		sd.sync_id = m->sync->sync_id;
		e.body_case = SG__ENVELOPE__BODY_SYNC_DONE;
		e.sync_done = &sd;
		break;
	default: return;
	}
	e.seq = ++v->last[bus];
	if (!send_env(v->att.bus_fd, &e))
		v->send_failed = true;
}

/*
 * Takes everything the daemon sent on a channel; on the bus, counts the
 * numbered messages and answers Queries as an agent would (so parked reads
 * complete).  With want_seq, waits (safety net) for the MmioReply to that
 * request and returns it in *reply.  Returns -1 if the channel is gone.
 */
static int drain_chan(struct fvm *v, unsigned chan, uint64_t want_seq, Sg__MmioReply *reply)
{
	int fd = chan_fd(v, chan);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int fds[1];
		unsigned nfds;
		Sg__Envelope *env;
		ssize_t n;

		if (poll(&p, 1, want_seq ? WAIT_MS : 0) != 1)
			return want_seq ? -1 : 0;
		n = sg_wire_recv_flags(fd, v->rx, sizeof(v->rx), fds, 0, &nfds, MSG_DONTWAIT);
		if (n == -EAGAIN)
			continue;
		if (n <= 0)
			return -1;
		if (sg_wire_decode(v->rx, (size_t)n, &v->arena, &env) != SG_WIRE_OK)
			die("undecodable datagram from the daemon on channel %u", chan);
		if (chan_kind(v, chan) == SG_CHAN_BUS) {
			Sg__Envelope **msgs = &env;
			size_t nm = 1;

			if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
				msgs = env->batch->msgs;
				nm = env->batch->n_msgs;
			}
			for (size_t i = 0; i < nm; i++) {
				const Sg__Envelope *m = msgs[i];

				if (m->seq > v->bus_in_max)
					v->bus_in_max = m->seq;
				agent_respond(v, m);
				if (m->body_case == SG__ENVELOPE__BODY_QUERY && v->answer_queries) {
					Sg__QueryReply qr = SG__QUERY_REPLY__INIT;
					Sg__Envelope e;

					qr.query_id = m->query->query_id;
					qr.vcpu = m->query->vcpu;
					qr.intid = m->query->intid;
					sg_envelope_init(&e);
					e.seq = ++v->last[chan];
					e.body_case = SG__ENVELOPE__BODY_QUERY_REPLY;
					e.query_reply = &qr;
					if (!send_env(fd, &e))
						v->send_failed = true;
				}
			}
			continue;
		}
		if (want_seq && env->body_case == SG__ENVELOPE__BODY_MMIO_REPLY &&
		    env->mmio_reply->seq == want_seq) {
			*reply = *env->mmio_reply;
			return 1;
		}
	}
}

/* Acknowledges what the bus brought, as the agent does after each burst. */
static void ack_bus(struct fvm *v)
{
	Sg__Ack a = SG__ACK__INIT;
	Sg__Envelope e;

	if (!v->bus_in_max)
		return;
	a.seq = v->bus_in_max;
	sg_envelope_init(&e);
	e.body_case = SG__ENVELOPE__BODY_ACK;
	e.ack = &a;
	if (!send_env(v->att.bus_fd, &e))
		v->send_failed = true;
}

int drain_all(struct fvm *v)
{
	for (unsigned i = 0; i <= v->shape.nr_vcpus; i++)
		if (drain_chan(v, i, 0, NULL) < 0)
			return -1;
	ack_bus(v);
	return v->send_failed ? -1 : 0;
}

/* A well-formed access to guest physical address addr on MMIO channel
 * chan; NULL or a reason for failure. */
const char *mmio_at(struct fvm *v, unsigned chan, uint64_t addr, unsigned size, bool write,
		    bool posted, uint64_t *data)
{
	struct sg_mmio_msg m;
	Sg__Envelope *env = sg_mmio_msg(&m, addr, size, write, posted, write && data ? *data : 0);
	uint64_t off = addr - v->shape.map.gicd_base;
	Sg__MmioReply r;
	static char why[160];

	env->seq = ++v->last[chan];
	if (!send_env(chan_fd(v, chan), env)) {
		snprintf(why, sizeof(why), "cannot send to mmio%u: %s", chan, strerror(errno));
		return why;
	}
	if (posted)
		return NULL;
	if (drain_chan(v, chan, env->seq, &r) <= 0) {
		snprintf(why, sizeof(why),
			 "no reply to an access at GICD+0x%" PRIx64 " (seq %" PRIu64 ") on mmio%u",
			 off, env->seq, chan);
		return why;
	}
	if (r.status != SG__MMIO_REPLY__STATUS__OK) {
		snprintf(why, sizeof(why),
			 "access at GICD+0x%" PRIx64 " on mmio%u answered status %d", off, chan,
			 (int)r.status);
		return why;
	}
	if (data)
		*data = r.data;
	return NULL;
}

const char *mmio(struct fvm *v, unsigned chan, uint32_t off, unsigned size, bool write, bool posted,
		 uint64_t *data)
{
	return mmio_at(v, chan, v->shape.map.gicd_base + off, size, write, posted, data);
}

/* The daemon's open file descriptors (/proc/PID/fd), or 0 if unknown. */
unsigned daemon_fds(const struct daemon *d)
{
	char path[64];
	DIR *dd;
	struct dirent *e;
	unsigned n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)d->pid);
	dd = opendir(path);
	if (!dd)
		return 0;
	while ((e = readdir(dd)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dd);
	return n;
}

static void fvm_attach(struct fvm *v)
{
	struct sg_ram_desc ram = { .gpa = RAM_GPA, .size = RAM_SIZE, .fd_offset = 0 };
	char err[256] = "";
	uint64_t val = 0;

	fvm_shape(&v->shape);
	v->ram_fd = ram_memfd(RAM_SIZE);
	ram.fd = v->ram_fd;
	if (sg_attach(v->d.ctl, "fuzz", &v->shape, &ram, 1, NULL, 0, WAIT_MS, &v->att, err,
		      sizeof(err)) != 0)
		die("attach failed: %s", err);
	for (unsigned i = 0; i <= v->shape.nr_vcpus; i++) {
		int fd = chan_fd(v, i);

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		v->last[i] = 0;
	}
	v->bus_in_max = 0;
	v->its_ready = false;
	v->send_failed = false;
	v->attached = true;
	if (mmio(v, 0, GICD_TYPER, 4, false, false, &val))
		die("GICD_TYPER read failed after attach");
	v->typer = val;
	v->base_fds = daemon_fds(&v->d);
}

void fvm_detach(struct fvm *v)
{
	if (v->attached)
		sg_attachment_close(&v->att);
	v->attached = false;
	if (v->ram_fd >= 0)
		close(v->ram_fd);
	v->ram_fd = -1;
}

void idle_close(struct fvm *v)
{
	for (unsigned i = 0; i < v->nr_idle; i++)
		close(v->idle[i]);
	v->nr_idle = 0;
}

/* Stops the daemon (SIGTERM) if it runs; its exit code. */
int fvm_stop(struct fvm *v)
{
	int code;

	idle_close(v);
	if (!v->d.exited)
		kill(v->d.pid, SIGTERM);
	code = daemon_wait(&v->d);
	fvm_detach(v);
	harvest_counters(&v->d);
	return code;
}

void fvm_start(struct fvm *v, bool attach)
{
	daemon_start(&v->d);
	v->ram_fd = -1;
	if (attach)
		fvm_attach(v);
}

/* -------------------------------------------------------- fd kinds */

/* clang-format off */
static const char *const fd_kind_name[FD_NR_KINDS] = {
	"seqpacket",  "seqpacket-dead", "same", "pipe",	    "file",	 "stream", "dgram",
	"listen",     "eventfd",	"memfd", "memfd-small", "devnull", "dir",
};
/* clang-format on */

static int make_fd(struct fdset *s, enum fd_kind k)
{
	int sv[2] = { -1, -1 }, fd = -1;
	char path[] = "/tmp/sockfuzz-file-XXXXXX";

	switch (k) {
	case FD_SEQ:
	case FD_SEQ_DEAD:
	case FD_STREAM:
	case FD_DGRAM:
		if (socketpair(AF_UNIX,
			       (k == FD_STREAM	? SOCK_STREAM
				: k == FD_DGRAM ? SOCK_DGRAM
						: SOCK_SEQPACKET) |
				       SOCK_CLOEXEC,
			       0, sv) < 0)
			return -1;
		fd = sv[1];
		if (k == FD_SEQ_DEAD)
			close(sv[0]);
		else if (s->nkeep < sizeof(s->keep) / sizeof(s->keep[0]))
			s->keep[s->nkeep++] = sv[0];
		else
			close(sv[0]);
		break;
	case FD_SAME: fd = s->n ? dup(s->fd[s->n - 1]) : make_fd(s, FD_SEQ); break;
	case FD_PIPE:
		if (pipe2(sv, O_CLOEXEC) < 0)
			return -1;
		fd = sv[0];
		close(sv[1]);
		break;
	case FD_FILE:
		fd = mkstemp(path);
		if (fd >= 0) {
			unlink(path);
			if (ftruncate(fd, (off_t)RAM_SIZE) < 0) {
				close(fd);
				fd = -1;
			}
		}
		break;
	case FD_LISTEN: {
		sa_family_t fam = AF_UNIX;

		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		/* Autobind (an abstract address), then listen. */
		if (fd >= 0 &&
		    (bind(fd, (struct sockaddr *)&fam, sizeof(fam)) < 0 || listen(fd, 1) < 0)) {
			close(fd);
			fd = -1;
		}
		break;
	}
	case FD_EVENTFD: fd = eventfd(0, EFD_CLOEXEC); break;
	case FD_MEMFD_OK: fd = ram_memfd(RAM_SIZE); break;
	case FD_MEMFD_SMALL: fd = ram_memfd(4096); break;
	case FD_DEVNULL: fd = open("/dev/null", O_RDWR | O_CLOEXEC); break;
	case FD_DIR: fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC); break;
	case FD_NR_KINDS: break;
	}
	return fd;
}

void fdset_make(struct fdset *s, const uint8_t *kinds, unsigned n)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < n && i < MAX_FDSPEC; i++) {
		int fd = make_fd(s, (enum fd_kind)(kinds[i] % FD_NR_KINDS));

		if (fd < 0)
			die("cannot make a %s fd: %s", fd_kind_name[kinds[i] % FD_NR_KINDS],
			    strerror(errno));
		s->fd[s->n++] = fd;
	}
}

/* Our copies of what was passed; the other ends are kept until fdset_end(). */
void fdset_sent(struct fdset *s)
{
	for (unsigned i = 0; i < s->n; i++)
		close(s->fd[i]);
	s->n = 0;
}

void fdset_end(struct fdset *s)
{
	fdset_sent(s);
	for (unsigned i = 0; i < s->nkeep; i++)
		close(s->keep[i]);
	s->nkeep = 0;
}
