// SPDX-License-Identifier: MIT
#include "daemon_util.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "gic_regs.h"

/* Safety net against a hung daemon: not a synchronisation.  Scaled for a
 * daemon under valgrind (HARNESS_TIMEOUT_MULTIPLIER). */
#define REPLY_TIMEOUT_MS (30000 * (int)harness_timeout_scale())

void vm_start(struct vm *vm, unsigned nr_vcpus, unsigned nr_spis, const char *const *extra)
{
	ck_assert_uint_le(nr_vcpus, UTIL_MAX_VCPUS);
	memset(vm, 0, sizeof(*vm));
	harness_daemon_start(&vm->d, extra);
	harness_shape(&vm->shape, nr_vcpus, nr_spis, 0);
	harness_attach(&vm->d, &vm->shape, &vm->att);
	for (unsigned i = 0; i < nr_vcpus; i++) {
		ck_assert_int_eq(mmio_chan_init(&vm->ch[i], i), 0);
		vm->ch[i].fd = vm->att.mmio_fd[i];
	}
	vm->bus_seq = 1;
}

void vm_stop(struct vm *vm)
{
	int code = harness_daemon_stop(&vm->d);

	for (unsigned i = 0; i < vm->shape.nr_vcpus; i++)
		mmio_chan_fini(&vm->ch[i]);
	sg_attachment_close(&vm->att);
	ck_assert_int_eq(code, 0);
}

uint64_t gicd(const struct vm *vm, uint32_t offset)
{
	return vm->shape.map.gicd_base + offset;
}

uint64_t vm_read(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size)
{
	uint64_t v = 0;
	int rc = mmio_chan_call(&vm->ch[vcpu], addr, size, false, &v);

	ck_assert_msg(rc == 0, "read of 0x%llx on vCPU %u failed: %s", (unsigned long long)addr,
		      vcpu, strerror(-rc));
	return v;
}

void vm_post(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size, uint64_t val)
{
	int rc = mmio_chan_post(&vm->ch[vcpu], addr, size, val);

	ck_assert_msg(rc == 0, "posted write of 0x%llx failed: %s", (unsigned long long)addr,
		      strerror(-rc));
}

Sg__MmioReply__Status vm_call_status(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size,
				     bool write, uint64_t data, uint64_t *out)
{
	struct mmio_chan *ch = &vm->ch[vcpu];
	uint64_t seq = ch->next_seq++, rseq, rdata;
	Sg__MmioReply__Status st;

	send_mmio(ch->fd, SG_PROTO_VERSION, seq, addr, size, write, false, data);
	recv_reply(ch->fd, &rseq, &rdata, &st);
	ck_assert_uint_eq(rseq, seq);
	if (out)
		*out = rdata;
	return st;
}

void vm_assert_healthy(struct vm *vm, unsigned vcpu)
{
	uint64_t v = 0;

	ck_assert_msg(harness_daemon_alive(&vm->d), "gicd-server died");
	ck_assert_int_eq(vm_call_status(vm, vcpu, gicd(vm, GICD_IIDR), 4, false, 0, &v),
			 SG__MMIO_REPLY__STATUS__OK);
	ck_assert_uint_eq(v, SG_IIDR);
	ck_assert_msg(!has_pending(vm->ch[vcpu].fd), "stray message after the reply");
}

void send_raw(int fd, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	int rc = sg_wire_send_raw(fd, buf, len, fds, nfds);

	ck_assert_msg(rc == 0, "send: %s", strerror(-rc));
}

void send_env(int fd, const Sg__Envelope *env)
{
	int rc = sg_wire_send(fd, env, NULL, 0);

	ck_assert_msg(rc == 0, "send: %s", strerror(-rc));
}

void send_mmio(int fd, uint32_t version, uint64_t seq, uint64_t addr, unsigned size, bool write,
	       bool posted, uint64_t data)
{
	struct sg_mmio_msg m;
	Sg__Envelope *env = sg_mmio_msg(&m, addr, size, write, posted, data);

	env->version = version;
	env->seq = seq;
	send_env(fd, env);
}

/*
 * Durable{seq} may come on any channel at any time (docs/restart.md): the
 * tests look past it.  Returns the next other message's body, or NOT_SET
 * if nothing else is queued; with wait, waits for one.
 */
static Sg__Envelope__BodyCase next_body(int fd, bool wait, uint64_t *seq, uint64_t *data,
					Sg__MmioReply__Status *status)
{
	unsigned char buf[SG_WIRE_MAX + 1];
	_Alignas(16) unsigned char arena_buf[64 * 1024];
	struct sg_arena arena;
	Sg__Envelope *env;
	unsigned nfds;
	int fds[1];
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, wait ? REPLY_TIMEOUT_MS : 0) != 1)
			return SG__ENVELOPE__BODY__NOT_SET;
		n = sg_wire_recv(fd, buf, sizeof(buf), fds, 0, &nfds);
		ck_assert_msg(n > 0, "receive failed: %zd", n);
		sg_arena_init(&arena, arena_buf, sizeof(arena_buf));
		ck_assert_int_eq(sg_wire_decode(buf, (size_t)n, &arena, &env), SG_WIRE_OK);
		if (env->body_case == SG__ENVELOPE__BODY_DURABLE)
			continue;
		if (env->body_case == SG__ENVELOPE__BODY_MMIO_REPLY) {
			*seq = env->mmio_reply->seq;
			*data = env->mmio_reply->data;
			*status = env->mmio_reply->status;
		}
		return env->body_case;
	}
}

void recv_reply(int fd, uint64_t *seq, uint64_t *data, Sg__MmioReply__Status *status)
{
	Sg__Envelope__BodyCase b = next_body(fd, true, seq, data, status);

	ck_assert_msg(b != SG__ENVELOPE__BODY__NOT_SET, "no reply from gicd-server");
	ck_assert_int_eq(b, SG__ENVELOPE__BODY_MMIO_REPLY);
}

void wait_daemon_exit(struct harness_daemon *d)
{
	int pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	ck_assert_int_ge(pidfd, 0);
	ck_assert_msg(poll(&p, 1, REPLY_TIMEOUT_MS) == 1, "gicd-server did not exit");
	close(pidfd);
}

bool has_pending(int fd)
{
	Sg__MmioReply__Status st;
	uint64_t seq, data;

	return next_body(fd, false, &seq, &data, &st) != SG__ENVELOPE__BODY__NOT_SET;
}

int hello_exchange(const char *control_path, const Sg__Envelope *env, const int *fds, unsigned nfds,
		   char *reason, size_t reason_len)
{
	unsigned char buf[SG_WIRE_MAX];
	ssize_t n = sg_wire_pack(env, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	return hello_exchange_raw(control_path, buf, (size_t)n, fds, nfds, reason, reason_len);
}

int hello_exchange_raw(const char *control_path, const void *msg, size_t len, const int *fds,
		       unsigned nfds, char *reason, size_t reason_len)
{
	unsigned char buf[SG_WIRE_MAX + 1];
	_Alignas(16) unsigned char arena_buf[64 * 1024];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	struct sg_arena arena;
	Sg__Envelope *w;
	unsigned rfds;
	int fd, status, rc, dummy[1];
	ssize_t n;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", control_path);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
		      strerror(errno));
	rc = sg_wire_send_raw(fd, msg, len, fds, nfds);
	ck_assert_msg(rc == 0, "send Hello: %s", strerror(-rc));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ck_assert_msg(poll(&p, 1, REPLY_TIMEOUT_MS) == 1, "no Welcome from gicd-server");
	n = sg_wire_recv(fd, buf, sizeof(buf), dummy, 0, &rfds);
	close(fd);
	if (reason && reason_len)
		reason[0] = '\0';
	if (n == 0)
		return -1;
	ck_assert_msg(n > 0, "receive Welcome: %zd", n);
	sg_arena_init(&arena, arena_buf, sizeof(arena_buf));
	ck_assert_int_eq(sg_wire_decode(buf, (size_t)n, &arena, &w), SG_WIRE_OK);
	ck_assert_int_eq(w->body_case, SG__ENVELOPE__BODY_WELCOME);
	status = (int)w->welcome->status;
	if (reason && reason_len)
		snprintf(reason, reason_len, "%s", w->welcome->reason);
	return status;
}

void assert_takes_good_vm(struct harness_daemon *d)
{
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct mmio_chan ch;
	uint64_t v = 0;

	ck_assert(harness_daemon_alive(d));
	harness_shape(&shape, 2, 64, 0);
	harness_attach(d, &shape, &att);
	ck_assert_int_eq(mmio_chan_init(&ch, 0), 0);
	ch.fd = att.mmio_fd[0];
	ck_assert_int_eq(mmio_chan_call(&ch, shape.map.gicd_base + GICD_IIDR, 4, false, &v), 0);
	ck_assert_uint_eq(v, SG_IIDR);
	mmio_chan_fini(&ch);
	sg_attachment_close(&att);
}
