// SPDX-License-Identifier: MIT
/*
 * Routing of trapped accesses (sg_vcpu_mmio) by common/access_policy.c:
 * GICR served locally, GICD/ITS writes posted, reads waited for, ITS
 * GITS_TRANSLATER writes sent as Msi.  A stand-in peer on the other end of
 * the socketpair answers like gicd-server (a register file).
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_test.h"
#include "check_run.h"
#include "wire.h"

struct msg {
	Sg__Envelope__BodyCase kind;
	uint64_t addr, data;
	unsigned size;
	bool write, posted;
	uint32_t its, device_id, event_id;
};

struct peer {
	int fd;
	pthread_t thread;
	pthread_mutex_t lock;
	struct msg log[64];
	unsigned nr;
	uint64_t mem_addr[64], mem_val[64];
	unsigned nr_mem;
};

static uint64_t *mem_slot(struct peer *p, uint64_t addr)
{
	for (unsigned i = 0; i < p->nr_mem; i++)
		if (p->mem_addr[i] == addr)
			return &p->mem_val[i];
	if (p->nr_mem == 64)
		return NULL;
	p->mem_addr[p->nr_mem] = addr;
	p->mem_val[p->nr_mem] = 0;
	return &p->mem_val[p->nr_mem++];
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	unsigned char *buf = malloc(SG_WIRE_MAX + 1);
	unsigned char *arena_buf = malloc(SG_WIRE_ARENA_SIZE);

	for (;;) {
		struct sg_arena arena;
		Sg__Envelope *env;
		unsigned nfds;
		int fds[1];
		ssize_t n = sg_wire_recv(p->fd, buf, SG_WIRE_MAX + 1, fds, 0, &nfds);
		struct msg m = { 0 };

		if (n <= 0)
			break;
		sg_arena_init(&arena, arena_buf, SG_WIRE_ARENA_SIZE);
		if (sg_wire_decode(buf, (size_t)n, &arena, &env) != SG_WIRE_OK)
			continue;
		m.kind = env->body_case;
		pthread_mutex_lock(&p->lock);
		if (env->body_case == SG__ENVELOPE__BODY_MMIO) {
			Sg__Mmio *mm = env->mmio;
			uint64_t *slot = mem_slot(p, mm->addr);

			m.addr = mm->addr;
			m.size = mm->size;
			m.data = mm->data;
			m.write = mm->write;
			m.posted = mm->posted;
			if (mm->write && slot)
				*slot = mm->data;
			if (!mm->posted) {
				Sg__MmioReply r = SG__MMIO_REPLY__INIT;
				Sg__Envelope out;

				r.seq = env->seq;
				r.data = mm->write || !slot ? 0 : *slot;
				sg_envelope_init(&out);
				out.body_case = SG__ENVELOPE__BODY_MMIO_REPLY;
				out.mmio_reply = &r;
				sg_wire_send(p->fd, &out, NULL, 0);
			}
		} else if (env->body_case == SG__ENVELOPE__BODY_MSI) {
			m.its = env->msi->its;
			m.device_id = env->msi->device_id;
			m.event_id = env->msi->event_id;
		}
		if (p->nr < 64)
			p->log[p->nr++] = m;
		pthread_mutex_unlock(&p->lock);
	}
	free(buf);
	free(arena_buf);
	return NULL;
}

static struct sg_vm *vm;
static struct sg_vcpu *v;
static struct peer peer;
static int vmm_fd = -1;

static void setup(void)
{
	int sv[2];

	vm = test_vm(2, 4, 2);
	v = sg_vm_vcpu(vm, 1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	memset(&peer, 0, sizeof(peer));
	pthread_mutex_init(&peer.lock, NULL);
	peer.fd = sv[1];
	vmm_fd = sv[0];
	ck_assert_int_eq(pthread_create(&peer.thread, NULL, peer_main, &peer), 0);
}

static void teardown(void)
{
	if (vmm_fd >= 0)
		close(vmm_fd);
	vmm_fd = -1;
	pthread_join(peer.thread, NULL);
	close(peer.fd);
	pthread_mutex_destroy(&peer.lock);
	sg_vm_destroy(vm);
}

static struct msg peer_msg(unsigned i)
{
	struct msg m;

	pthread_mutex_lock(&peer.lock);
	ck_assert_uint_lt(i, peer.nr);
	m = peer.log[i];
	pthread_mutex_unlock(&peer.lock);
	return m;
}

static unsigned peer_count(void)
{
	unsigned n;

	pthread_mutex_lock(&peer.lock);
	n = peer.nr;
	pthread_mutex_unlock(&peer.lock);
	return n;
}

static enum sg_mmio_result mmio(uint64_t addr, unsigned size, bool write, uint64_t *data)
{
	return sg_vcpu_mmio(v, addr, size, write, data);
}

START_TEST(not_gic)
{
	uint64_t d = 0;

	ck_assert_int_eq(mmio(0x09000000ull - 4, 4, false, &d), SG_MMIO_NOT_GIC);
	ck_assert_int_eq(mmio(0x40000000ull, 8, true, &d), SG_MMIO_NOT_GIC);
	ck_assert_int_eq(mmio(SG_DEFAULT_GICR_BASE + 2 * GICR_FRAME_SIZE, 4, false, &d),
			 SG_MMIO_NOT_GIC); /* past the last redistributor */
	ck_assert_int_eq(mmio(SG_DEFAULT_GICD_BASE, 4, false, NULL), SG_MMIO_ERROR);
	for (unsigned s = 0; s < SG_VCPU_NR_STATS; s++)
		ck_assert_uint_eq(sg_vcpu_stat(v, s), 0);
}
END_TEST

START_TEST(no_channel)
{
	uint64_t d = 0x1234;

	ck_assert_int_eq(mmio(SG_DEFAULT_GICD_BASE + GICD_CTLR, 4, false, &d), SG_MMIO_ERROR);
	ck_assert_uint_eq(d, 0);
	d = 1;
	ck_assert_int_eq(mmio(SG_DEFAULT_GICD_BASE + GICD_CTLR, 4, true, &d), SG_MMIO_ERROR);
	ck_assert_int_eq(mmio(SG_DEFAULT_ITS_BASE + GITS_TRANSLATER, 4, true, &d), SG_MMIO_ERROR);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_ERRORS), 3);
	/* The redistributors need no channel. */
	ck_assert_int_eq(mmio(SG_DEFAULT_GICR_BASE + GICR_IIDR, 4, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq(d, SG_IIDR);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_LOCAL), 1);
	ck_assert_uint_eq(peer_count(), 0);
}
END_TEST

START_TEST(gicd_posted_write_then_waited_read)
{
	uint64_t a = SG_DEFAULT_GICD_BASE + GICD_IPRIORITYR + 40, d = 0xA0B0C0D0;
	struct msg m;

	sg_vcpu_set_mmio_channel(v, vmm_fd);
	ck_assert_int_eq(mmio(a, 4, true, &d), SG_MMIO_DONE);
	d = 0;
	ck_assert_int_eq(mmio(a, 4, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq(d, 0xA0B0C0D0);
	ck_assert_uint_eq(peer_count(), 2);
	m = peer_msg(0);
	ck_assert_int_eq(m.kind, SG__ENVELOPE__BODY_MMIO);
	ck_assert(m.write && m.posted);
	ck_assert_uint_eq(m.addr, a);
	ck_assert_uint_eq(m.size, 4);
	m = peer_msg(1);
	ck_assert(!m.write && !m.posted);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_POSTED), 1);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_WAITED), 1);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_LOCAL), 0);
}
END_TEST

START_TEST(write_data_masked_to_size)
{
	uint64_t a = SG_DEFAULT_GICD_BASE + GICD_IPRIORITYR + 33, d = 0x1FF;

	sg_vcpu_set_mmio_channel(v, vmm_fd);
	ck_assert_int_eq(mmio(a, 1, true, &d), SG_MMIO_DONE);
	d = 0;
	ck_assert_int_eq(mmio(a, 1, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq(peer_msg(0).data, 0xFF);
	ck_assert_uint_eq(d, 0xFF);
	/* No such access size on arm64: RAZ/WI without a message. */
	d = 7;
	ck_assert_int_eq(mmio(a, 3, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq(d, 0);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_REJECTED), 1);
	ck_assert_uint_eq(peer_count(), 2);
}
END_TEST

START_TEST(its_frames)
{
	const struct sg_vm_shape *s = sg_vm_shape(vm);
	uint64_t d = 0x8000000012345000ull;
	struct msg m;

	sg_vcpu_set_mmio_channel(v, vmm_fd);
	/* Register writes are posted, reads waited for. */
	ck_assert_int_eq(mmio(s->map.its_base[0] + GITS_CBASER, 8, true, &d), SG_MMIO_DONE);
	d = 0;
	ck_assert_int_eq(mmio(s->map.its_base[0] + GITS_CBASER, 8, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq(d, 0x8000000012345000ull);
	/* GITS_TRANSLATER of the second ITS: an Msi, DeviceID 0. */
	d = 0x2A;
	ck_assert_int_eq(mmio(s->map.its_base[1] + GITS_TRANSLATER, 4, true, &d), SG_MMIO_DONE);
	d = 0x1234;
	ck_assert_int_eq(mmio(s->map.its_base[0] + GITS_TRANSLATER, 2, true, &d), SG_MMIO_DONE);
	/* A 64-bit write to it is not an access the register takes. */
	ck_assert_int_eq(mmio(s->map.its_base[0] + GITS_TRANSLATER, 8, true, &d), SG_MMIO_DONE);
	/* Fence: a read returns after the daemon took everything before it. */
	ck_assert_int_eq(mmio(s->map.its_base[0] + GITS_CTLR, 4, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq(peer_count(), 5);
	m = peer_msg(2);
	ck_assert_int_eq(m.kind, SG__ENVELOPE__BODY_MSI);
	ck_assert_uint_eq(m.its, 1);
	ck_assert_uint_eq(m.device_id, 0);
	ck_assert_uint_eq(m.event_id, 0x2A);
	m = peer_msg(3);
	ck_assert_int_eq(m.kind, SG__ENVELOPE__BODY_MSI);
	ck_assert_uint_eq(m.its, 0);
	ck_assert_uint_eq(m.event_id, 0x1234);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_MSI), 2);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_POSTED), 1);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_WAITED), 2);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_REJECTED), 1);
}
END_TEST

START_TEST(gicr_never_forwarded)
{
	uint64_t d = 0;

	sg_vcpu_set_mmio_channel(v, vmm_fd);
	/* vCPU 1 reads vCPU 0's TYPER, then its own. */
	ck_assert_int_eq(mmio(SG_DEFAULT_GICR_BASE + GICR_TYPER, 8, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq((d >> GICR_TYPER_PROCNUM_SHIFT) & 0xFFFF, 0);
	ck_assert_int_eq(mmio(SG_DEFAULT_GICR_BASE + GICR_FRAME_SIZE + GICR_TYPER, 8, false, &d),
			 SG_MMIO_DONE);
	ck_assert_uint_eq((d >> GICR_TYPER_PROCNUM_SHIFT) & 0xFFFF, 1);
	ck_assert(d & GICR_TYPER_LAST);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_LOCAL), 2);
	ck_assert_int_eq(mmio(SG_DEFAULT_GICD_BASE + GICD_TYPER, 4, false, &d), SG_MMIO_DONE);
	ck_assert_uint_eq(peer_count(), 1);
}
END_TEST

START_TEST(peer_gone)
{
	uint64_t d = 5;

	sg_vcpu_set_mmio_channel(v, vmm_fd);
	shutdown(peer.fd, SHUT_RDWR);
	ck_assert_int_eq(mmio(SG_DEFAULT_GICD_BASE + GICD_CTLR, 4, false, &d), SG_MMIO_ERROR);
	ck_assert_uint_eq(d, 0);
	ck_assert_uint_eq(sg_vcpu_stat(v, SG_STAT_MMIO_ERRORS), 1);
}
END_TEST

static Suite *mmio_suite(void)
{
	Suite *s = suite_create("agent-mmio");
	TCase *tc = tcase_create("mmio");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, not_gic);
	tcase_add_test(tc, no_channel);
	tcase_add_test(tc, gicd_posted_write_then_waited_read);
	tcase_add_test(tc, write_data_masked_to_size);
	tcase_add_test(tc, its_frames);
	tcase_add_test(tc, gicr_never_forwarded);
	tcase_add_test(tc, peer_gone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(mmio_suite());
}
