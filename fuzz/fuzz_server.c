// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the whole daemon in-process, through its real control
 * intake, session and channel code (server_inproc_new(), gicd-server/).
 * Each input gets a fresh event_base, a fresh abstract listening socket and
 * a fresh server; unless the header says otherwise the VM is attached with
 * a real Hello (its channel fds and a guest RAM memfd passed with
 * SCM_RIGHTS).  Then the records (fuzz_input.h) are written to the sockets:
 *
 *   0x00-0x3F  datagram as it is to channel (sel & 0x1F) % channels
 *   0x40-0x7F  the same, renumbered: decoded and given the next sequence
 *              numbers of that channel (so it gets applied), packed again
 *              (sel & 0x20: do not run the loop after it)
 *   0x80       a new control connection sending the bytes (none: idle; an
 *              AdminRequest makes it an admin connection, admin.c)
 *   0x81       a Hello with odd fds: [recipe][bytes] (see hello_odd())
 *   0x82       run the event loop until quiet
 *   0x83       hang up channel [b] % channels (the VM detaches)
 *   0x84       connect and hang up before any Hello
 *   0x85       datagram with an fd attached: [chan][bytes]
 *   0x86       oversized datagram: [chan]
 *   0x87       empty datagram: [chan]
 *   0x88       wait past the Durable timer, then run the loop (twice a run at most)
 *   0x89       close every control connection we opened
 *   0x8A       shrink the guest RAM memfd to [u32] bytes (SIGBUS on the lost pages)
 *   0x8B       gicctl snapshot load of a store holding the bytes (see admin_load())
 *   0xC0       guest RAM write [u32 offset][bytes]
 *
 * Unless FUZZ_F_DEFER, the loop runs after every datagram until quiet: the
 * daemon read everything, sent everything, and the stand-in agent answered
 * Query/Sync/Ack as the header asks.  Properties: no crash, no leak (ASan),
 * every datagram the daemon sends decodes and validates for its channel,
 * numbered bus messages count up by one, an MmioReply answers a request the
 * daemon consumed, no Hello is accepted while a VM is attached, and after
 * the teardown the process holds exactly the fds it held before the input.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/sockios.h>

#include "fuzz_input.h"
#include "fuzz_ram.h"
#include "gic_regs.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "state_store.h"
#include "wire.h"

#define MAX_CONNS   40u /* more than CONTROL_MAX_PENDING: refusals too */
#define MAX_ANSWERS 256u
#define MAX_SLEEPS  2u

struct fz {
	struct fuzz_header h;
	struct server_config cfg;
	struct event_base *base;
	struct server *srv;
	int lfd;
	struct sockaddr_un sa;
	socklen_t sa_len;
	/* The attached VM (nr_chans 0: none). */
	unsigned nr_chans;
	struct sg_vm_shape shape;
	int chan[SG_MAX_VCPUS + 1];
	uint64_t sent_seq[SG_MAX_VCPUS + 1];
	uint64_t bus_in_seq; /* last numbered bus message from the daemon */
	bool resumed;	     /* attached with a resume token: a restored session */
	uint64_t acked;
	int conn[MAX_CONNS];
	unsigned nr_conns;
	struct answer {
		uint64_t id;
		uint32_t vcpu, intid;
		bool sync;
	} ans[MAX_ANSWERS];
	unsigned nr_ans;
	unsigned depth; /* run_loop() calls nested through send_raw() */
	unsigned sleeps;
};

static unsigned char rxbuf[SG_WIRE_MAX + 1];
static unsigned char txbuf[SG_WIRE_MAX + 64];
static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];
static unsigned long iteration;

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static const struct session *sess(const struct fz *f)
{
	return server_inproc_session(f->srv);
}

static void send_env(struct fz *f, unsigned chan, const Sg__Envelope *env);

/* ------------------------------------------------------ daemon output */

static void take_bus_msg(struct fz *f, const Sg__Envelope *m)
{
	if (m->seq && f->resumed) {
		/* A restored session sends the retained datagrams again first
		 * (their numbers are the snapshot's), then carries on. */
		if (m->seq > f->bus_in_seq)
			f->bus_in_seq = m->seq;
	} else if (m->seq) {
		/* The daemon numbers its bus messages from 1 without gaps. */
		if (m->seq != f->bus_in_seq + 1)
			abort();
		f->bus_in_seq = m->seq;
	}
	if (f->nr_ans == MAX_ANSWERS)
		return;
	if (m->body_case == SG__ENVELOPE__BODY_QUERY && (f->h.flags & FUZZ_F_ANS_QUERY)) {
		f->ans[f->nr_ans].id = m->query->query_id;
		f->ans[f->nr_ans].vcpu = m->query->vcpu;
		f->ans[f->nr_ans].intid = m->query->intid;
		f->ans[f->nr_ans++].sync = false;
	} else if (m->body_case == SG__ENVELOPE__BODY_SYNC && (f->h.flags & FUZZ_F_ANS_SYNC)) {
		f->ans[f->nr_ans].id = m->sync->sync_id;
		f->ans[f->nr_ans].vcpu = m->sync->vcpu;
		f->ans[f->nr_ans++].sync = true;
	}
}

/* Everything the daemon sent on channel i: it must all be valid. */
static bool read_chan(struct fz *f, unsigned i)
{
	enum sg_chan_kind kind = i + 1 < f->nr_chans ? SG_CHAN_MMIO : SG_CHAN_BUS;
	bool any = false;

	for (;;) {
		struct sg_arena a;
		Sg__Envelope *env;
		const char *why;
		unsigned nfds;
		ssize_t n;

		if (f->chan[i] < 0)
			return any;
		n = sg_wire_recv(f->chan[i], rxbuf, sizeof(rxbuf), NULL, 0, &nfds);
		if (n == -EAGAIN || n == 0)
			return any; /* 0: the daemon let go of the channel */
		if (n < 0)
			abort(); /* oversized, empty or fds: the daemon never sends those */
		any = true;
		sg_arena_init(&a, arena_buf, sizeof(arena_buf));
		if (sg_wire_decode(rxbuf, (size_t)n, &a, &env) != SG_WIRE_OK ||
		    sg_wire_validate(env, kind, SG_TO_VMM, &f->shape, &why) != SG_WIRE_OK) {
			fprintf(stderr, "fuzz-server: invalid datagram from the daemon on %u\n", i);
			abort();
		}
		if (env->body_case == SG__ENVELOPE__BODY_MMIO_REPLY) {
			const struct session *s = sess(f);
			uint64_t seq = env->mmio_reply->seq;

			/* A reply answers something the daemon took in sequence. */
			if (!s || seq == 0 || seq > s->chan[i].last_applied)
				abort();
		} else if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
			for (size_t k = 0; k < env->batch->n_msgs; k++)
				take_bus_msg(f, env->batch->msgs[k]);
		} else if (kind == SG_CHAN_BUS) {
			take_bus_msg(f, env);
		}
	}
}

/* The Welcome (or AdminReply) on control connection fd, if it came; closes
 * fd when the daemon closed it. */
static int read_welcome(struct fz *f, int *fd, bool was_attached)
{
	int status = -1;

	for (;;) {
		struct sg_arena a;
		Sg__Envelope *env;
		const char *why;
		unsigned nfds;
		ssize_t n = sg_wire_recv(*fd, rxbuf, sizeof(rxbuf), NULL, 0, &nfds);

		if (n == -EAGAIN)
			return status;
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			return status;
		}
		sg_arena_init(&a, arena_buf, sizeof(arena_buf));
		if (sg_wire_decode(rxbuf, (size_t)n, &a, &env) != SG_WIRE_OK ||
		    sg_wire_validate(env, SG_CHAN_CONTROL, SG_TO_VMM, NULL, &why) != SG_WIRE_OK)
			abort();
		/* An admin connection (gicctl) gets AdminReply instead. */
		if (env->body_case == SG__ENVELOPE__BODY_ADMIN_REPLY)
			continue;
		if (env->body_case != SG__ENVELOPE__BODY_WELCOME)
			abort();
		status = env->welcome->status;
		/* One VM per daemon: never a second OK. */
		if (status == SG__WELCOME__STATUS__OK && was_attached)
			abort();
		(void)f;
	}
}

static bool read_conns(struct fz *f)
{
	bool any = false;

	for (unsigned i = 0; i < f->nr_conns;) {
		read_welcome(f, &f->conn[i], f->nr_chans != 0);
		if (f->conn[i] < 0) {
			f->conn[i] = f->conn[--f->nr_conns];
			any = true;
		} else {
			i++;
		}
	}
	return any;
}

/* The stand-in agent: QueryReply, SyncDone, Ack. */
static bool answer(struct fz *f)
{
	unsigned bus = f->nr_chans - 1, n = f->nr_ans;
	struct answer now[MAX_ANSWERS];
	bool any = n != 0;

	/* Taken off the list first: sending may run the loop, which reads
	 * more questions (and answers them) meanwhile. */
	memcpy(now, f->ans, n * sizeof(now[0]));
	f->nr_ans = 0;
	for (unsigned i = 0; i < n; i++) {
		Sg__Envelope env;
		Sg__QueryReply r = SG__QUERY_REPLY__INIT;
		Sg__SyncDone d = SG__SYNC_DONE__INIT;

		sg_envelope_init(&env);
		env.seq = ++f->sent_seq[bus];
		if (now[i].sync) {
			d.vcpu = now[i].vcpu;
			d.sync_id = now[i].id;
			env.body_case = SG__ENVELOPE__BODY_SYNC_DONE;
			env.sync_done = &d;
		} else {
			unsigned a = fuzz_answer(&f->h.answer_bits);

			r.query_id = now[i].id;
			r.vcpu = now[i].vcpu;
			r.intid = now[i].intid;
			r.pending = a & 1;
			r.active = (a >> 1) & 1;
			env.body_case = SG__ENVELOPE__BODY_QUERY_REPLY;
			env.query_reply = &r;
		}
		send_env(f, bus, &env);
	}
	if ((f->h.flags & FUZZ_F_ACK) && f->bus_in_seq > f->acked) {
		Sg__Envelope env;
		Sg__Ack ack = SG__ACK__INIT;

		ack.seq = f->acked = f->bus_in_seq;
		sg_envelope_init(&env);
		env.body_case = SG__ENVELOPE__BODY_ACK;
		env.ack = &ack;
		send_env(f, bus, &env);
		any = true;
	}
	return any;
}

/* Whether the daemon still has to read something we sent. */
static bool unread(const struct fz *f)
{
	for (unsigned i = 0; i < f->nr_chans; i++) {
		int q = 0;

		if (f->chan[i] >= 0 && ioctl(f->chan[i], SIOCOUTQ, &q) == 0 && q > 0)
			return true;
	}
	return false;
}

static bool stopped(const struct fz *f)
{
	return server_inproc_stopped(f->srv);
}

/* Runs the loop until the daemon read everything and everybody is quiet. */
static void run_loop(struct fz *f)
{
	unsigned idle = 0, waiting = 0;

	for (unsigned round = 0; round < 1000 && idle < 2; round++) {
		bool any = false;

		event_base_loop(f->base, EVLOOP_NONBLOCK);
		for (unsigned i = 0; i < f->nr_chans; i++)
			any |= read_chan(f, i);
		any |= read_conns(f);
		if (stopped(f))
			return;
		if (f->nr_chans)
			any |= answer(f);
		/* Unread input with nothing else happening: the daemon may rightly
		 * not read a channel (a fence waits for Resync); a few rounds.  (If
		 * it kept waking up for it instead, event_base_loop() would never
		 * return: libFuzzer's -timeout reports that busy loop.) */
		waiting = !any && f->nr_chans && unread(f) ? waiting + 1 : 0;
		if (waiting && waiting < 4)
			any = true;
		idle = any ? 0 : idle + 1;
	}
	/* Our numbering follows what the daemon actually consumed. */
	if (sess(f))
		for (unsigned i = 0; i < f->nr_chans; i++)
			f->sent_seq[i] = sess(f)->chan[i].last_applied;
}

/* ------------------------------------------------------------- input */

static void send_raw(struct fz *f, unsigned chan, const void *buf, size_t len, const int *fds,
		     unsigned nfds)
{
	for (unsigned tries = 0; tries < 8 && f->chan[chan] >= 0 && !stopped(f); tries++) {
		int rc = sg_wire_send_raw(f->chan[chan], buf, len, fds, nfds);

		if (rc != -EAGAIN && rc != -ENOBUFS)
			return;
		if (f->depth > 2)
			return; /* dropped: as a sender that gave up */
		f->depth++;
		run_loop(f); /* the daemon reads, the socket drains */
		f->depth--;
	}
}

static void send_env(struct fz *f, unsigned chan, const Sg__Envelope *env)
{
	ssize_t n = sg_wire_pack(env, txbuf, SG_WIRE_MAX);

	if (n < 0)
		abort();
	send_raw(f, chan, txbuf, (size_t)n, NULL, 0);
}

/* Gives the datagram the channel's next sequence numbers, as its sender would. */
static void send_renumbered(struct fz *f, unsigned chan, const uint8_t *d, size_t len)
{
	struct sg_arena a;
	Sg__Envelope *env;
	ssize_t n;

	sg_arena_init(&a, arena_buf, sizeof(arena_buf));
	if (sg_wire_decode(d, len, &a, &env) != SG_WIRE_OK) {
		send_raw(f, chan, d, len, NULL, 0);
		return;
	}
	if (env->body_case == SG__ENVELOPE__BODY_BATCH) {
		env->seq = 0;
		for (size_t i = 0; i < env->batch->n_msgs; i++)
			env->batch->msgs[i]->seq = f->sent_seq[chan] + 1 + i;
		f->sent_seq[chan] += env->batch->n_msgs;
	} else if (sg_wire_body_is_sequenced(env->body_case)) {
		env->seq = ++f->sent_seq[chan];
	}
	n = sg_wire_pack(env, txbuf, SG_WIRE_MAX);
	if (n < 0)
		send_raw(f, chan, d, len, NULL, 0);
	else
		send_raw(f, chan, txbuf, (size_t)n, NULL, 0);
}

static int connect_control(struct fz *f)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&f->sa, f->sa_len) < 0) {
		close(fd); /* backlog full: the daemon is not accepting fast enough */
		return -1;
	}
	return fd;
}

static void keep_conn(struct fz *f, int fd)
{
	if (f->nr_conns == MAX_CONNS) {
		close(f->conn[0]);
		f->conn[0] = f->conn[--f->nr_conns];
	}
	f->conn[f->nr_conns++] = fd;
}

/* A Hello for shape with the fuzzer's RAM region; returns its length. */
static size_t build_hello(const struct sg_vm_shape *shape, const char *name, const uint8_t *token,
			  size_t token_len, unsigned char *buf)
{
	Sg__Hello h = SG__HELLO__INIT;
	Sg__AddressMap am = SG__ADDRESS_MAP__INIT;
	Sg__RamRegion r = SG__RAM_REGION__INIT, *rs[1] = { &r };
	Sg__Envelope env;
	ssize_t n;

	sg_shape_to_hello(shape, &h, &am);
	h.proto_version = SG_PROTO_VERSION;
	h.vm_name = (char *)name;
	r.gpa = FUZZ_RAM_GPA;
	r.size = FUZZ_RAM_SIZE;
	h.n_ram = 1;
	h.ram = rs;
	h.nr_ram_fds = 1;
	h.resume_token.data = (uint8_t *)token;
	h.resume_token.len = token_len;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	n = sg_wire_pack(&env, buf, SG_WIRE_MAX);
	if (n < 0)
		abort();
	return (size_t)n;
}

/* Fd recipes for a Hello (hello_odd()). */
enum recipe {
	R_NONE,
	R_PROPER,    /* nch SEQPACKET socketpair ends, then the RAM memfd */
	R_STREAM,    /* channel 0 a SOCK_STREAM socket */
	R_SAME,	     /* the last channel the same socket as the first */
	R_PIPES,     /* pipes for channels */
	R_MISSING,   /* no RAM fd */
	R_EXTRA,     /* one fd too many */
	R_SMALL_RAM, /* a RAM memfd smaller than the region */
};

/*
 * Sends a Hello with fds made by recipe on a new control connection, runs
 * the loop and reads the Welcome.  If the daemon accepted it, our ends of
 * the channels become the VM's.
 */
static void hello_with_fds(struct fz *f, const unsigned char *hello, size_t len,
			   const struct sg_vm_shape *shape, enum recipe recipe, bool memfd_only)
{
	int ours[SG_MAX_VCPUS + 1], fds[SG_MAX_VCPUS + 3];
	unsigned nch = shape ? shape->nr_vcpus + 1 : 0, nfds = 0, k;
	bool was_attached = f->nr_chans != 0;
	int conn, status, extra = -1;

	if (nch > 16 || recipe == R_NONE || memfd_only)
		nch = 0;
	for (k = 0; k < nch; k++) {
		int sp[2], type = (recipe == R_STREAM && k == 0) ? SOCK_STREAM : SOCK_SEQPACKET;

		if (recipe == R_PIPES) {
			if (pipe2(sp, O_CLOEXEC) < 0)
				abort();
			ours[k] = sp[1];
			fds[nfds++] = sp[0];
			continue;
		}
		if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sp) < 0)
			abort();
		ours[k] = sp[0];
		fds[nfds++] = sp[1];
	}
	if (recipe == R_SAME && nch > 1) {
		close(fds[nch - 1]);
		fds[nch - 1] = fds[0]; /* SCM_RIGHTS passes it twice */
	}
	if (nch && recipe != R_MISSING) {
		if (recipe == R_SMALL_RAM) {
			extra = memfd_create("fuzz-small", MFD_CLOEXEC);
			if (extra < 0 || ftruncate(extra, 4096) < 0)
				abort();
			fds[nfds++] = extra;
		} else {
			fds[nfds++] = fuzz_ram_fd;
		}
	}
	if (memfd_only) {
		/* An admin request's file (gicctl snapshot): one empty memfd. */
		extra = memfd_create("fuzz-admin", MFD_CLOEXEC);
		if (extra < 0)
			abort();
		fds[nfds++] = extra;
	} else if (recipe == R_EXTRA) {
		extra = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (extra < 0)
			abort();
		fds[nfds++] = extra;
	}
	conn = connect_control(f);
	if (conn >= 0)
		sg_wire_send_raw(conn, hello, len, fds, nfds);
	/* The daemon got its own copies. */
	for (k = 0; k < nch; k++)
		if (!(recipe == R_SAME && k == nch - 1 && nch > 1))
			close(fds[k]);
	if (extra >= 0)
		close(extra);
	if (conn < 0) {
		for (k = 0; k < nch; k++)
			close(ours[k]);
		return;
	}
	run_loop(f);
	status = read_welcome(f, &conn, was_attached);
	if (conn >= 0)
		keep_conn(f, conn);
	if (status == SG__WELCOME__STATUS__OK && !was_attached && shape && nch) {
		f->shape = *shape;
		f->nr_chans = nch;
		for (k = 0; k < nch; k++) {
			f->chan[k] = ours[k];
			f->sent_seq[k] = 0;
			if (fcntl(ours[k], F_SETFL, O_NONBLOCK) < 0)
				abort();
		}
		f->bus_in_seq = f->acked = 0;
		/* A restored session (a resume token) counts its epochs from 2. */
		f->resumed = sess(f) && sess(f)->dur.epoch > 1;
		run_loop(f);
		return;
	}
	for (k = 0; k < nch; k++)
		close(ours[k]);
}

/*
 * 0x81: [b][bytes].  b & 7: the fd recipe; b & 8: our own Hello for the
 * header's shape (b & 0x10: with the bytes as resume token, b & 0x20:
 * naming another VM), else the bytes are the Hello (or an AdminRequest);
 * b & 0x40: instead of the recipe, one empty memfd (an admin request's file).
 */
static void hello_odd(struct fz *f, const uint8_t *d, size_t len)
{
	static unsigned char hello[SG_WIRE_MAX];
	struct sg_vm_shape shape, *sp = NULL;
	enum recipe recipe;
	size_t n;

	if (len < 1)
		return;
	recipe = (enum recipe)(d[0] & 7);
	if (d[0] & 8) {
		n = build_hello(&f->h.shape, (d[0] & 0x20) ? "other" : "fuzz", d + 1,
				(d[0] & 0x10) ? (len - 1 < 64 ? len - 1 : 64) : 0, hello);
		shape = f->h.shape;
		sp = &shape;
	} else {
		struct sg_arena a;
		Sg__Envelope *env;
		const char *why;

		n = len - 1 < SG_WIRE_MAX ? len - 1 : SG_WIRE_MAX;
		memcpy(hello, d + 1, n);
		sg_arena_init(&a, arena_buf, sizeof(arena_buf));
		if (sg_wire_decode(hello, n, &a, &env) == SG_WIRE_OK &&
		    env->body_case == SG__ENVELOPE__BODY_HELLO &&
		    sg_shape_from_hello(env->hello, &shape, &why))
			sp = &shape;
	}
	hello_with_fds(f, hello, n, sp, recipe, d[0] & 0x40);
}

/*
 * 0x8B: gicctl's snapshot load: a state store holding the bytes as its
 * snapshot, passed with an AdminRequest.  A daemon without a VM then waits
 * for a Hello with the snapshot's resume token (0x81, recipe & 0x18) and
 * restores: Resume on every channel, the retained bus datagrams, no read
 * served until every vCPU's Resync is in (session_durable.c).
 */
static void admin_load(struct fz *f, const uint8_t *d, size_t len)
{
	Sg__SnapshotRequest snap = SG__SNAPSHOT_REQUEST__INIT;
	Sg__AdminRequest req = SG__ADMIN_REQUEST__INIT;
	struct state_store st;
	Sg__Envelope env;
	int fd = memfd_create("fuzz-load", MFD_CLOEXEC), conn;
	ssize_t n;

	if (fd < 0 || state_store_open(&st, fd, true) != 0)
		abort();
	state_store_write_snapshot(&st, d, len);
	state_store_close(&st);
	snap.op = SG__SNAPSHOT_REQUEST__OP__LOAD;
	req.req_case = SG__ADMIN_REQUEST__REQ_SNAPSHOT;
	req.snapshot = &snap;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_ADMIN_REQUEST;
	env.admin_request = &req;
	n = sg_wire_pack(&env, txbuf, SG_WIRE_MAX);
	conn = connect_control(f);
	if (conn >= 0 && n > 0) {
		sg_wire_send_raw(conn, txbuf, (size_t)n, &fd, 1);
		keep_conn(f, conn);
	} else if (conn >= 0) {
		close(conn);
	}
	close(fd);
	run_loop(f);
}

static void conn_raw(struct fz *f, const uint8_t *d, size_t len)
{
	int fd = connect_control(f);

	if (fd < 0)
		return;
	if (len)
		sg_wire_send_raw(fd, d, len, NULL, 0);
	keep_conn(f, fd);
}

static void hangup(struct fz *f, const uint8_t *d, size_t len)
{
	unsigned i = len ? d[0] % f->nr_chans : 0;

	if (f->chan[i] >= 0) {
		close(f->chan[i]);
		f->chan[i] = -1;
	}
	run_loop(f);
}

static void odd_datagram(struct fz *f, unsigned sel, const uint8_t *d, size_t len)
{
	static unsigned char big[SG_WIRE_MAX + 64];
	unsigned i = len ? d[0] % f->nr_chans : 0;
	int p[2];

	switch (sel) {
	case 0x85:
		if (pipe2(p, O_CLOEXEC) < 0)
			abort();
		send_raw(f, i, len > 1 ? d + 1 : (const uint8_t *)"\x08\x01", len > 1 ? len - 1 : 2,
			 p, 1);
		close(p[0]);
		close(p[1]);
		break;
	case 0x86:
		memset(big, 0, sizeof(big));
		if (len > 1)
			memcpy(big, d + 1, len - 1 < sizeof(big) ? len - 1 : sizeof(big));
		send_raw(f, i, big, SG_WIRE_MAX + 1 + (len % 32), NULL, 0);
		break;
	case 0x87:
		if (f->chan[i] >= 0 && !stopped(f))
			(void)send(f->chan[i], "", 0, MSG_NOSIGNAL);
		break;
	}
}

static void attach_default(struct fz *f)
{
	static unsigned char hello[SG_WIRE_MAX];
	size_t n = build_hello(&f->h.shape, "fuzz", NULL, 0, hello);

	hello_with_fds(f, hello, n, &f->h.shape, R_PROPER, false);
	if (!f->nr_chans)
		abort(); /* a correct Hello must be accepted */
}

static void teardown(struct fz *f)
{
	if (getenv("FUZZ_LOG") && sess(f))
		session_log_stats(sess(f), SG_LOG_NOTICE);
	server_inproc_free(f->srv);
	for (unsigned i = 0; i < f->nr_chans; i++)
		if (f->chan[i] >= 0)
			close(f->chan[i]);
	for (unsigned i = 0; i < f->nr_conns; i++)
		close(f->conn[i]);
	close(f->lfd);
	event_base_free(f->base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* No service manager: the fd store and readiness stay no-ops. */
	unsetenv("NOTIFY_SOCKET");
	sg_log_init("fuzz-server", getenv("FUZZ_LOG") ? SG_LOG_DEBUG : SG_LOG_ERR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	struct fuzz_cursor cur = { data, size };
	const uint8_t *d;
	unsigned sel, fds_before;
	size_t len;

	memset(&f, 0, sizeof(f));
	if (!fuzz_header(&cur, &f.h))
		return 0;
	fuzz_ram_reset();
	fds_before = count_fds();
	f.cfg.vm_name = "fuzz";
	f.base = event_base_new();
	f.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!f.base || f.lfd < 0)
		abort();
	/* An abstract address of its own per input: nothing carries over. */
	f.sa.sun_family = AF_UNIX;
	f.sa_len =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			    (size_t)snprintf(f.sa.sun_path + 1, sizeof(f.sa.sun_path) - 1,
					     "splitgic-fuzz-%d-%lu", (int)getpid(), iteration++));
	if (bind(f.lfd, (struct sockaddr *)&f.sa, f.sa_len) < 0 || listen(f.lfd, 64) < 0)
		abort();
	f.srv = server_inproc_new(f.base, f.lfd, &f.cfg);
	if (!f.srv)
		abort();
	if (!(f.h.flags & FUZZ_F_NO_ATTACH))
		attach_default(&f);

	while (!stopped(&f) && fuzz_next(&cur, &sel, &d, &len)) {
		if (sel == FUZZ_SEL_RAM) {
			fuzz_ram_write(d, len);
			continue;
		}
		if (sel < 0x80) {
			unsigned chan;

			if (!f.nr_chans)
				continue;
			chan = (sel & 0x1F) % f.nr_chans;
			if (sel & 0x40)
				send_renumbered(&f, chan, d, len);
			else
				send_raw(&f, chan, d, len, NULL, 0);
			if (!(sel & 0x20) && !(f.h.flags & FUZZ_F_DEFER))
				run_loop(&f);
			continue;
		}
		switch (sel) {
		case 0x80: conn_raw(&f, d, len); break;
		case 0x81: hello_odd(&f, d, len); break;
		case 0x82: run_loop(&f); break;
		case 0x84: {
			int fd = connect_control(&f);

			if (fd >= 0)
				close(fd);
			break;
		}
		case 0x88:
			if (f.sleeps++ < MAX_SLEEPS) {
				usleep((SESSION_DURABLE_MS + 1) * 1000);
				run_loop(&f);
			}
			break;
		case 0x8A: fuzz_ram_shrink(d, len); break;
		case 0x8B: admin_load(&f, d, len); break;
		case 0x89:
			for (unsigned i = 0; i < f.nr_conns; i++)
				close(f.conn[i]);
			f.nr_conns = 0;
			run_loop(&f);
			break;
		case 0x83:
		case 0x85:
		case 0x86:
		case 0x87:
			if (!f.nr_chans)
				break;
			if (sel == 0x83)
				hangup(&f, d, len);
			else
				odd_datagram(&f, sel, d, len);
			break;
		default: break;
		}
	}
	if (!stopped(&f))
		run_loop(&f);
	teardown(&f);
	if (count_fds() != fds_before) {
		fprintf(stderr, "fuzz-server: fd leak: %u fds before the input, %u after\n",
			fds_before, count_fds());
		abort();
	}
	return 0;
}
