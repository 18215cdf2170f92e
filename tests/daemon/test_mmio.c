// SPDX-License-Identifier: MIT
/*
 * The real gicd-server over real MMIO channels: identification registers
 * from the Hello shape, writes read back, posted-write ordering on one
 * channel and across vCPUs (DESIGN §4.2), reply statuses.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "check_run.h"
#include "daemon_util.h"
#include "gic_regs.h"

#define SPI(n) (GIC_SPI_BASE + (n))

static const struct {
	unsigned vcpus, spis;
} id_shapes[] = { { 2, 64 }, { 4, 988 }, { 1, 32 }, { 8, 512 } };

START_TEST(test_id_registers)
{
	struct vm vm;
	uint64_t typer, pidr2;

	vm_start(&vm, id_shapes[_i].vcpus, id_shapes[_i].spis, NULL);
	typer = vm_read(&vm, 0, gicd(&vm, GICD_TYPER), 4);
	ck_assert_uint_eq(GICD_TYPER_ITLINES(typer), sg_itlines_number(id_shapes[_i].spis));
	ck_assert_msg(!(typer & GICD_TYPER_LPIS), "LPIS set without an ITS");
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_IIDR), 4), SG_IIDR);
	pidr2 = vm_read(&vm, id_shapes[_i].vcpus - 1, gicd(&vm, GIC_PIDR2), 4);
	ck_assert_uint_eq(pidr2 & 0xF0, GIC_PIDR2_ARCHREV_GICV3);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_priority_read_back)
{
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	vm_post(&vm, 0, gicd(&vm, GICD_IPRIORITYR + SPI(8)), 1, 0xa0);
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_IPRIORITYR + SPI(8)), 1), 0xa0);
	vm_post(&vm, 1, gicd(&vm, GICD_IPRIORITYR + SPI(12)), 4, 0x10203040);
	ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, GICD_IPRIORITYR + SPI(12)), 4), 0x10203040);
	/* The byte view of the word just written. */
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_IPRIORITYR + SPI(13)), 1), 0x30);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_irouter_read_back)
{
	struct vm vm;
	uint64_t r50 = GICD_IROUTER + 8u * SPI(50), r51 = GICD_IROUTER + 8u * SPI(51);

	vm_start(&vm, 2, 64, NULL);
	vm_post(&vm, 0, gicd(&vm, (uint32_t)r50), 8, 1);
	ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, (uint32_t)r50), 8), 1);
	/* 32-bit halves: Aff1 = 1 in the low word, Aff3 = 2 in the high one. */
	vm_post(&vm, 0, gicd(&vm, (uint32_t)r51), 4, 0x100);
	vm_post(&vm, 0, gicd(&vm, (uint32_t)r51 + 4), 4, 0x2);
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, (uint32_t)r51), 8), 0x200000100ull);
	ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, (uint32_t)r51), 4), 0x100);
	ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, (uint32_t)r51 + 4), 4), 0x2);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_enable_set_clear)
{
	struct vm vm;
	const uint32_t word = GIC_SPI_BASE / 32 * 4; /* SPIs 32..63 */

	vm_start(&vm, 2, 64, NULL);
	vm_post(&vm, 0, gicd(&vm, GICD_ISENABLER + word), 4, (1u << 3) | (1u << 7));
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_ISENABLER + word), 4),
			  (1u << 3) | (1u << 7));
	ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, GICD_ICENABLER + word), 4),
			  (1u << 3) | (1u << 7));
	vm_post(&vm, 1, gicd(&vm, GICD_ICENABLER + word), 4, 1u << 3);
	ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_ISENABLER + word), 4), 1u << 7);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_posted_then_read_same_channel)
{
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned n = 0; n < 64; n++)
			vm_post(&vm, 0, gicd(&vm, GICD_IPRIORITYR + SPI(n)), 1,
				(n * 8 + round * 3) & 0xff);
		for (unsigned n = 0; n < 64; n++)
			ck_assert_uint_eq(vm_read(&vm, 0, gicd(&vm, GICD_IPRIORITYR + SPI(n)), 1),
					  (n * 8 + round * 3) & 0xff);
	}
	vm_stop(&vm);
}
END_TEST

/*
 * Cross-vCPU ordering: vCPU A posts writes, then tells vCPU B through a
 * pipe (as a guest IPI would); B's read on its own channel must see them.
 */
#define ORDER_ROUNDS 3000u

struct order_ctx {
	struct vm *vm;
	int a_to_b[2], b_to_a[2];
	unsigned mismatches;
	unsigned first_bad;
	uint64_t first_got, first_want;
	int error;
};

/* Round i writes one register; returns the address, size and value B must read. */
static void order_write_of(const struct vm *vm, unsigned i, uint64_t *addr, unsigned *size,
			   uint64_t *val, uint64_t *read_addr, uint64_t *want)
{
	unsigned spi = SPI(i % 64);
	uint32_t word = spi / 32 * 4, bit = 1u << (spi % 32);

	switch (i % 3) {
	case 0:
		*addr = *read_addr = gicd(vm, GICD_IPRIORITYR + spi);
		*size = 1;
		*val = *want = (i * 37u) & 0xff;
		break;
	case 1:
		*addr = *read_addr = gicd(vm, GICD_IROUTER + 8u * spi);
		*size = 8;
		*val = *want = (i / 3) & 1;
		break;
	default:
		*addr = gicd(vm, (i & 4 ? GICD_ISENABLER : GICD_ICENABLER) + word);
		*read_addr = gicd(vm, GICD_ISENABLER + word);
		*size = 4;
		*val = bit;
		*want = i & 4 ? bit : 0;
		break;
	}
}

static void *vcpu_a(void *arg)
{
	struct order_ctx *c = arg;

	for (unsigned i = 0; i < ORDER_ROUNDS; i++) {
		uint64_t addr, val, ra, want;
		unsigned size, ack;

		order_write_of(c->vm, i, &addr, &size, &val, &ra, &want);
		/* A little unrelated traffic queued ahead of the write that matters. */
		for (unsigned k = 0; k < i % 4; k++)
			if (mmio_chan_post(&c->vm->ch[0], gicd(c->vm, GICD_IPRIORITYR + SPI(63)), 1,
					   k) < 0)
				c->error = 1;
		if (mmio_chan_post(&c->vm->ch[0], addr, size, val) < 0 ||
		    write(c->a_to_b[1], &i, sizeof(i)) != sizeof(i) ||
		    read(c->b_to_a[0], &ack, sizeof(ack)) != sizeof(ack)) {
			c->error = 1;
			break;
		}
	}
	return NULL;
}

static void *vcpu_b(void *arg)
{
	struct order_ctx *c = arg;

	for (unsigned n = 0; n < ORDER_ROUNDS; n++) {
		uint64_t addr, val, ra, want, got = 0;
		unsigned size, i;

		if (read(c->a_to_b[0], &i, sizeof(i)) != sizeof(i)) {
			c->error = 1;
			break;
		}
		order_write_of(c->vm, i, &addr, &size, &val, &ra, &want);
		if (mmio_chan_call(&c->vm->ch[1], ra, size, false, &got) < 0) {
			c->error = 1;
			break;
		}
		if ((want & (size == 4 ? val : ~0ull)) != (got & (size == 4 ? val : ~0ull))) {
			if (!c->mismatches++) {
				c->first_bad = i;
				c->first_got = got;
				c->first_want = want;
			}
		}
		if (write(c->b_to_a[1], &i, sizeof(i)) != sizeof(i)) {
			c->error = 1;
			break;
		}
	}
	return NULL;
}

START_TEST(test_cross_vcpu_ordering)
{
	struct order_ctx c = { 0 };
	struct vm vm;
	pthread_t a, b;

	vm_start(&vm, 2, 64, NULL);
	c.vm = &vm;
	ck_assert_int_eq(pipe(c.a_to_b), 0);
	ck_assert_int_eq(pipe(c.b_to_a), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, vcpu_b, &c), 0);
	ck_assert_int_eq(pthread_create(&a, NULL, vcpu_a, &c), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_int_eq(c.error, 0);
	ck_assert_msg(c.mismatches == 0,
		      "%u of %u reads missed the other vCPU's posted write (first: round %u, "
		      "read 0x%llx, want 0x%llx)",
		      c.mismatches, ORDER_ROUNDS, c.first_bad, (unsigned long long)c.first_got,
		      (unsigned long long)c.first_want);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_unmapped)
{
	struct vm vm;
	uint64_t v = 1;

	vm_start(&vm, 2, 64, NULL);
	/* Redistributors belong to the agent; nothing lives at 0; no ITS here. */
	ck_assert_int_eq(vm_call_status(&vm, 0, vm.shape.map.gicr_base, 4, false, 0, &v),
			 SG__MMIO_REPLY__STATUS__UNMAPPED);
	ck_assert_int_eq(vm_call_status(&vm, 1, 0, 4, false, 0, NULL),
			 SG__MMIO_REPLY__STATUS__UNMAPPED);
	ck_assert_int_eq(vm_call_status(&vm, 0, SG_DEFAULT_ITS_BASE, 4, true, 0, NULL),
			 SG__MMIO_REPLY__STATUS__UNMAPPED);
	vm_assert_healthy(&vm, 0);
	vm_stop(&vm);
}
END_TEST

START_TEST(test_bad_width)
{
	struct vm vm;

	vm_start(&vm, 2, 64, NULL);
	ck_assert_int_eq(vm_call_status(&vm, 0, gicd(&vm, GICD_TYPER), 2, false, 0, NULL),
			 SG__MMIO_REPLY__STATUS__IGNORED);
	ck_assert_int_eq(vm_call_status(&vm, 1, gicd(&vm, GICD_ISENABLER + 4), 1, true, 1, NULL),
			 SG__MMIO_REPLY__STATUS__IGNORED);
	vm_assert_healthy(&vm, 1);
	vm_stop(&vm);
}
END_TEST

/* A peer that floods one channel does not stall reads on another. */
struct flood_ctx {
	struct vm *vm;
	unsigned n;
	int error;
};

static void *flood(void *arg)
{
	struct flood_ctx *f = arg;

	for (unsigned i = 0; i < f->n; i++)
		if (mmio_chan_post(&f->vm->ch[0], gicd(f->vm, GICD_IPRIORITYR + SPI(i % 64)), 1,
				   i & 0xff) < 0)
			f->error = 1;
	return NULL;
}

START_TEST(test_flood_does_not_starve)
{
	struct flood_ctx f = { .n = 20000 };
	struct vm vm;
	pthread_t t;

	vm_start(&vm, 2, 64, NULL);
	f.vm = &vm;
	ck_assert_int_eq(pthread_create(&t, NULL, flood, &f), 0);
	for (unsigned i = 0; i < 200; i++)
		ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, GICD_IIDR), 4), SG_IIDR);
	pthread_join(t, NULL);
	ck_assert_int_eq(f.error, 0);
	/* Every posted write arrived: the last one per SPI is what reads back. */
	for (unsigned n = 0; n < 64; n++) {
		unsigned last = (f.n - 64) + ((n - f.n % 64 + 64) % 64);

		ck_assert_uint_eq(vm_read(&vm, 1, gicd(&vm, GICD_IPRIORITYR + SPI(n)), 1),
				  last & 0xff);
	}
	vm_stop(&vm);
}
END_TEST

/*
 * A VMM that does not read its replies for a while: the daemon queues them
 * in order instead of blocking or dropping any.
 */
START_TEST(test_reply_queue)
{
	const unsigned n = 3000;
	uint64_t first, seq, data;
	Sg__MmioReply__Status st;
	struct vm vm;
	int fd;

	vm_start(&vm, 2, 64, NULL);
	fd = vm.ch[0].fd;
	first = vm.ch[0].next_seq;
	for (unsigned i = 0; i < n; i++)
		send_mmio(fd, SG_PROTO_VERSION, vm.ch[0].next_seq++, gicd(&vm, GICD_IIDR), 4, false,
			  false, 0);
	/* vCPU 1 is served meanwhile: its replies do not wait behind vCPU 0's. */
	vm_assert_healthy(&vm, 1);
	for (unsigned i = 0; i < n; i++) {
		recv_reply(fd, &seq, &data, &st);
		ck_assert_uint_eq(seq, first + i);
		ck_assert_uint_eq(data, SG_IIDR);
		ck_assert_int_eq(st, SG__MMIO_REPLY__STATUS__OK);
	}
	ck_assert(!has_pending(fd));
	ck_assert_int_eq(kill(vm.d.pid, SIGTERM), 0);
	wait_daemon_exit(&vm.d);
	/* The socket filled up, so some replies went through the queue. */
	ck_assert_uint_eq(harness_log_count(&vm.d, "counters mmio0: rx 3000, applied 3000"), 1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "(queued 0,"), 2);
	vm_stop(&vm);
}
END_TEST

/* A VMM that never reads its replies: past the queue cap the VM is detached. */
START_TEST(test_reply_queue_overflow)
{
	struct vm vm;
	int fd;

	vm_start(&vm, 2, 64, NULL);
	fd = vm.ch[0].fd;
	/* Until the daemon gives up on us and the channel breaks. */
	for (unsigned i = 0; i < 100000; i++) {
		Sg__Mmio m = SG__MMIO__INIT;
		Sg__Envelope env;

		m.addr = gicd(&vm, GICD_IIDR);
		m.size = 4;
		sg_envelope_init(&env);
		env.seq = vm.ch[0].next_seq++;
		env.body_case = SG__ENVELOPE__BODY_MMIO;
		env.mmio = &m;
		if (sg_wire_send(fd, &env, NULL, 0) < 0)
			break;
	}
	wait_daemon_exit(&vm.d);
	ck_assert_uint_eq(harness_log_count(&vm.d, "which is not reading: detaching the VM"), 1);
	ck_assert_uint_eq(harness_log_count(&vm.d, "VM test detached"), 1);
	vm_stop(&vm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-mmio");
	TCase *tc = tcase_create("mmio");

	tcase_add_loop_test(tc, test_id_registers, 0, sizeof(id_shapes) / sizeof(id_shapes[0]));
	tcase_add_test(tc, test_priority_read_back);
	tcase_add_test(tc, test_irouter_read_back);
	tcase_add_test(tc, test_enable_set_clear);
	tcase_add_test(tc, test_posted_then_read_same_channel);
	tcase_add_test(tc, test_cross_vcpu_ordering);
	tcase_add_test(tc, test_unmapped);
	tcase_add_test(tc, test_bad_width);
	tcase_add_test(tc, test_flood_does_not_starve);
	tcase_add_test(tc, test_reply_queue);
	tcase_add_test(tc, test_reply_queue_overflow);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
