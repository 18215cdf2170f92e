// SPDX-License-Identifier: MIT
/* Unit tests of the framing and validation shared by daemon and agent. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access_policy.h"
#include "check_run.h"
#include "gic_regs.h"
#include "vm_shape.h"
#include "wire.h"

static unsigned char arena_buf[SG_WIRE_ARENA_SIZE];
static unsigned char rxbuf[SG_WIRE_MAX + 1];

static struct sg_vm_shape shape4(void)
{
	struct sg_vm_shape s;

	memset(&s, 0, sizeof(s));
	s.nr_vcpus = 4;
	for (unsigned i = 0; i < 4; i++)
		s.mpidr[i] = i;
	s.nr_spis = 64;
	s.lr_count = 4;
	sg_addr_map_default(&s.map, 1);
	return s;
}

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
}

static Sg__Envelope *roundtrip(const Sg__Envelope *in, struct sg_arena *a, enum sg_wire_err *err)
{
	unsigned char buf[SG_WIRE_MAX];
	ssize_t len = sg_wire_pack(in, buf, sizeof(buf));
	Sg__Envelope *out = NULL;

	ck_assert_int_gt(len, 0);
	sg_arena_init(a, arena_buf, sizeof(arena_buf));
	*err = sg_wire_decode(buf, (size_t)len, a, &out);
	return out;
}

static Sg__Envelope mmio_env(Sg__Mmio *m, uint64_t seq)
{
	Sg__Envelope env;

	sg_envelope_init(&env);
	env.seq = seq;
	env.body_case = SG__ENVELOPE__BODY_MMIO;
	env.mmio = m;
	return env;
}

START_TEST(test_mmio_roundtrip)
{
	Sg__Mmio m = SG__MMIO__INIT;
	struct sg_vm_shape s = shape4();
	struct sg_arena a;
	enum sg_wire_err err;
	const char *why;

	m.addr = SG_DEFAULT_GICD_BASE + GICD_CTLR;
	m.size = 4;
	m.data = 0x12;
	m.write = true;
	m.posted = true;
	Sg__Envelope env = mmio_env(&m, 7);
	Sg__Envelope *out = roundtrip(&env, &a, &err);

	ck_assert_int_eq(err, SG_WIRE_OK);
	ck_assert_uint_eq(out->seq, 7);
	ck_assert_int_eq(out->body_case, SG__ENVELOPE__BODY_MMIO);
	ck_assert_uint_eq(out->mmio->addr, m.addr);
	ck_assert_uint_eq(out->mmio->data, 0x12);
	ck_assert(out->mmio->posted && out->mmio->write);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_MMIO, SG_TO_DAEMON, &s, &why), SG_WIRE_OK);
	/* A reply is not something the daemon accepts, nor Mmio on the bus. */
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_DAEMON, &s, &why),
			 SG_WIRE_WRONG_CHANNEL);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_MMIO, SG_TO_VMM, &s, &why),
			 SG_WIRE_WRONG_CHANNEL);
}
END_TEST

START_TEST(test_mmio_field_ranges)
{
	static const struct {
		unsigned size;
		uint64_t data;
		bool write, posted;
		enum sg_wire_err want;
	} cases[] = {
		{ 4, 0xFFFFFFFF, true, true, SG_WIRE_OK },
		{ 8, ~0ull, true, false, SG_WIRE_OK },
		{ 3, 0, false, false, SG_WIRE_RANGE }, /* no 3-byte access */
		{ 0, 0, false, false, SG_WIRE_RANGE },
		{ 16, 0, false, false, SG_WIRE_RANGE },
		{ 1, 0x100, true, true, SG_WIRE_RANGE }, /* data wider than the access */
		{ 2, 0x10000, true, true, SG_WIRE_RANGE },
		{ 4, 0, false, true, SG_WIRE_RANGE }, /* posted read */
	};
	struct sg_vm_shape s = shape4();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Sg__Mmio m = SG__MMIO__INIT;
		struct sg_arena a;
		enum sg_wire_err err;
		const char *why;

		m.addr = SG_DEFAULT_GICD_BASE;
		m.size = cases[i].size;
		m.data = cases[i].data;
		m.write = cases[i].write;
		m.posted = cases[i].posted;
		Sg__Envelope env = mmio_env(&m, 1);
		Sg__Envelope *out = roundtrip(&env, &a, &err);

		ck_assert_int_eq(err, SG_WIRE_OK);
		ck_assert_msg(sg_wire_validate(out, SG_CHAN_MMIO, SG_TO_DAEMON, &s, &why) ==
				      cases[i].want,
			      "case %zu", i);
	}
}
END_TEST

START_TEST(test_sequence_rules)
{
	Sg__Mmio m = SG__MMIO__INIT;
	Sg__Durable d = SG__DURABLE__INIT;
	struct sg_vm_shape s = shape4();
	struct sg_arena a;
	enum sg_wire_err err;
	const char *why;

	m.size = 4;
	Sg__Envelope env = mmio_env(&m, 0);
	Sg__Envelope *out = roundtrip(&env, &a, &err);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_MMIO, SG_TO_DAEMON, &s, &why), SG_WIRE_SEQ);

	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DURABLE;
	env.durable = &d;
	env.seq = 0;
	out = roundtrip(&env, &a, &err);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_VMM, &s, &why), SG_WIRE_OK);
	ck_assert(sg_wire_body_is_sequenced(SG__ENVELOPE__BODY_SPI_LEVEL));
	ck_assert(sg_wire_body_is_sequenced(SG__ENVELOPE__BODY_DEACTIVATED));
	ck_assert(!sg_wire_body_is_sequenced(SG__ENVELOPE__BODY_BATCH));
	ck_assert(!sg_wire_body_is_sequenced(SG__ENVELOPE__BODY_DELIVER));
}
END_TEST

START_TEST(test_bus_ranges)
{
	struct sg_vm_shape s = shape4();
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Deactivated dz = SG__DEACTIVATED__INIT;
	Sg__Msi msi = SG__MSI__INIT;
	Sg__Envelope env;
	struct sg_arena a;
	enum sg_wire_err err;
	const char *why;
	const uint32_t spis[][2] = { { 31, SG_WIRE_RANGE },
				     { 32, SG_WIRE_OK },
				     { 95, SG_WIRE_OK },
				     { 96, SG_WIRE_RANGE },
				     { 1020, SG_WIRE_RANGE } };

	for (size_t i = 0; i < sizeof(spis) / sizeof(spis[0]); i++) {
		sg_envelope_init(&env);
		env.seq = 1;
		env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
		env.spi_level = &l;
		l.intid = spis[i][0];
		Sg__Envelope *out = roundtrip(&env, &a, &err);
		ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_DAEMON, &s, &why),
				 (int)spis[i][1]);
	}
	sg_envelope_init(&env);
	env.seq = 2;
	env.body_case = SG__ENVELOPE__BODY_DEACTIVATED;
	env.deactivated = &dz;
	dz.intid = 40;
	dz.vcpu = 4; /* one past the last vCPU */
	Sg__Envelope *out = roundtrip(&env, &a, &err);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_DAEMON, &s, &why), SG_WIRE_RANGE);

	sg_envelope_init(&env);
	env.seq = 3;
	env.body_case = SG__ENVELOPE__BODY_MSI;
	env.msi = &msi;
	msi.its = 1; /* the shape has one ITS */
	out = roundtrip(&env, &a, &err);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_DAEMON, &s, &why), SG_WIRE_RANGE);
	msi.its = 0;
	out = roundtrip(&env, &a, &err);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_DAEMON, &s, &why), SG_WIRE_OK);
	/* A vCPU's GITS_TRANSLATER write travels on its MMIO channel. */
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_MMIO, SG_TO_DAEMON, &s, &why), SG_WIRE_OK);
}
END_TEST

START_TEST(test_batch_rules)
{
	struct sg_vm_shape s = shape4();
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Envelope inner[2], *ptrs[2], env, nested;
	Sg__Batch b = SG__BATCH__INIT, b2 = SG__BATCH__INIT;
	Sg__Mmio m = SG__MMIO__INIT;
	struct sg_arena a;
	enum sg_wire_err err;
	const char *why;

	l.intid = 40;
	for (int i = 0; i < 2; i++) {
		sg_envelope_init(&inner[i]);
		inner[i].seq = (uint64_t)i + 1;
		inner[i].body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
		inner[i].spi_level = &l;
		ptrs[i] = &inner[i];
	}
	b.n_msgs = 2;
	b.msgs = ptrs;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_BATCH;
	env.batch = &b;
	Sg__Envelope *out = roundtrip(&env, &a, &err);
	ck_assert_int_eq(err, SG_WIRE_OK);
	ck_assert_uint_eq(out->batch->n_msgs, 2);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_DAEMON, &s, &why), SG_WIRE_OK);
	/* Batches exist only on the bus. */
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_MMIO, SG_TO_DAEMON, &s, &why),
			 SG_WIRE_WRONG_CHANNEL);

	/* An Mmio inside a batch is refused. */
	m.size = 4;
	inner[1].body_case = SG__ENVELOPE__BODY_MMIO;
	inner[1].mmio = &m;
	out = roundtrip(&env, &a, &err);
	ck_assert_int_eq(sg_wire_validate(out, SG_CHAN_BUS, SG_TO_DAEMON, &s, &why),
			 SG_WIRE_WRONG_CHANNEL);

	/* Batches do not nest: refused at decode. */
	b2.n_msgs = 1;
	Sg__Envelope *p = &env;
	b2.msgs = &p;
	sg_envelope_init(&nested);
	nested.body_case = SG__ENVELOPE__BODY_BATCH;
	nested.batch = &b2;
	out = roundtrip(&nested, &a, &err);
	ck_assert_int_eq(err, SG_WIRE_WRONG_CHANNEL);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_decode_rejects)
{
	struct sg_arena a;
	Sg__Envelope *out;
	unsigned char buf[SG_WIRE_MAX + 8];
	Sg__Envelope env;
	Sg__Durable d = SG__DURABLE__INIT;
	ssize_t len;

	sg_arena_init(&a, arena_buf, sizeof(arena_buf));
	ck_assert_int_eq(sg_wire_decode(buf, 0, &a, &out), SG_WIRE_EMPTY);
	ck_assert_int_eq(sg_wire_decode(buf, SG_WIRE_MAX + 1, &a, &out), SG_WIRE_OVERSIZE);

	/* Garbage: a field with wire type 7 does not exist. */
	memset(buf, 0xFF, 64);
	ck_assert_int_eq(sg_wire_decode(buf, 64, &a, &out), SG_WIRE_DECODE);

	/* Truncation of a valid message. */
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_DURABLE;
	env.durable = &d;
	d.seq = 0x123456789ull;
	len = sg_wire_pack(&env, buf, sizeof(buf));
	ck_assert_int_gt(len, 4);
	ck_assert_int_eq(sg_wire_decode(buf, (size_t)len - 2, &a, &out), SG_WIRE_DECODE);
	ck_assert_int_eq(sg_wire_decode(buf, (size_t)len, &a, &out), SG_WIRE_OK);

	/* Version mismatch. */
	env.version = SG_PROTO_VERSION + 1;
	len = sg_wire_pack(&env, buf, sizeof(buf));
	ck_assert_int_eq(sg_wire_decode(buf, (size_t)len, &a, &out), SG_WIRE_VERSION);

	/* No body: an envelope with only a version. */
	sg_envelope_init(&env);
	len = sg_wire_pack(&env, buf, sizeof(buf));
	ck_assert_int_eq(sg_wire_decode(buf, (size_t)len, &a, &out), SG_WIRE_NO_BODY);

	/* Field number 0, its tag written as a non-minimal varint inside a known
	 * body: not valid protobuf (found by fuzz-wire: protobuf-c accepts it
	 * but cannot re-encode it). */
	unsigned char zero_tag[] = { 0x08, 0x01, 0x10, 0x01, 0x8a, 0x06, 0x0d, 0x3d, 0xc0, 0x08,
				     0x33, 0x10, 0x80, 0x00, 0x80, 0x04, 0x18, 0x2a, 0x20, 0x01 };
	ck_assert_int_eq(sg_wire_decode(zero_tag, sizeof(zero_tag), &a, &out), SG_WIRE_DECODE);

	/* Unknown body: field 200 (varint) that this version does not know. */
	unsigned char unk[] = { 0x08, SG_PROTO_VERSION, 0xC0, 0x0C, 0x01 };
	ck_assert_int_eq(sg_wire_decode(unk, sizeof(unk), &a, &out), SG_WIRE_NO_BODY);
}
END_TEST

START_TEST(test_arena_exhaustion)
{
	/* A batch of many messages does not fit a tiny arena: refused, not crashed. */
	static unsigned char small[512];
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Envelope inner[64], *ptrs[64], env;
	Sg__Batch b = SG__BATCH__INIT;
	unsigned char buf[SG_WIRE_MAX];
	struct sg_arena a;
	Sg__Envelope *out;

	for (int i = 0; i < 64; i++) {
		sg_envelope_init(&inner[i]);
		inner[i].seq = (uint64_t)i + 1;
		inner[i].body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
		inner[i].spi_level = &l;
		ptrs[i] = &inner[i];
	}
	b.n_msgs = 64;
	b.msgs = ptrs;
	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_BATCH;
	env.batch = &b;
	ssize_t len = sg_wire_pack(&env, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	sg_arena_init(&a, small, sizeof(small));
	ck_assert_int_eq(sg_wire_decode(buf, (size_t)len, &a, &out), SG_WIRE_DECODE);
	ck_assert(a.exhausted);
}
END_TEST

START_TEST(test_recv_edge_cases)
{
	int sv[2], fds[4], devnull;
	unsigned nfds;
	unsigned char big[SG_WIRE_MAX + 100];

	pair(sv);
	/* Oversized datagram: reported, not truncated silently. */
	memset(big, 0, sizeof(big));
	ck_assert_int_eq(send(sv[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	ck_assert_int_eq(sg_wire_recv(sv[1], rxbuf, sizeof(rxbuf), fds, 0, &nfds), -EMSGSIZE);
	/* Empty datagram: distinguished from a hangup. */
	ck_assert_int_eq(send(sv[0], big, 0, 0), 0);
	ck_assert_int_eq(sg_wire_recv(sv[1], rxbuf, sizeof(rxbuf), fds, 0, &nfds), -EBADMSG);
	/* Nothing queued. */
	ck_assert_int_eq(sg_wire_recv(sv[1], rxbuf, sizeof(rxbuf), fds, 0, &nfds), -EAGAIN);
	/* An fd where none is accepted: reported and closed by the receiver. */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(devnull, 0);
	ck_assert_int_eq(sg_wire_send_raw(sv[0], "x", 1, &devnull, 1), 0);
	ck_assert_int_eq(sg_wire_recv(sv[1], rxbuf, sizeof(rxbuf), fds, 0, &nfds), -ETOOMANYREFS);
	ck_assert_uint_eq(nfds, 0);
	/* The expected number of fds arrives. */
	int two[2] = { devnull, devnull };
	ck_assert_int_eq(sg_wire_send_raw(sv[0], "y", 1, two, 2), 0);
	ck_assert_int_eq(sg_wire_recv(sv[1], rxbuf, sizeof(rxbuf), fds, 4, &nfds), 1);
	ck_assert_uint_eq(nfds, 2);
	sg_wire_close_fds(fds, nfds);
	ck_assert_int_eq(fds[0], -1);
	close(devnull);
	/* Hangup. */
	close(sv[0]);
	ck_assert_int_eq(sg_wire_recv(sv[1], rxbuf, sizeof(rxbuf), fds, 0, &nfds), 0);
	close(sv[1]);
}
END_TEST

START_TEST(test_shape_checks)
{
	struct sg_vm_shape s = shape4();
	const char *why;

	ck_assert(sg_shape_check(&s, &why));
	s.nr_spis = 100;
	ck_assert(!sg_shape_check(&s, &why));
	s.nr_spis = 988;
	ck_assert(sg_shape_check(&s, &why));
	ck_assert_uint_eq(sg_itlines_number(988), 31);
	ck_assert_uint_eq(sg_itlines_number(960), 30);
	ck_assert_uint_eq(sg_itlines_number(32), 1);
	s.mpidr[2] = s.mpidr[1];
	ck_assert(!sg_shape_check(&s, &why));
	s = shape4();
	s.mpidr[1] = 1ull << 31; /* not an affinity bit */
	ck_assert(!sg_shape_check(&s, &why));
	s = shape4();
	s.lr_count = 17;
	ck_assert(!sg_shape_check(&s, &why));
	s = shape4();
	s.map.its_base[0] = s.map.gicd_base + 0x10000; /* overlaps nothing: fine */
	ck_assert(sg_shape_check(&s, &why));
	s.map.its_base[0] = s.map.gicr_base + GICR_FRAME_SIZE; /* inside the GICRs */
	ck_assert(!sg_shape_check(&s, &why));
	s = shape4();
	s.map.gicd_base += 0x1000; /* not 64 KiB aligned */
	ck_assert(!sg_shape_check(&s, &why));
}
END_TEST

START_TEST(test_addr_decode_and_policy)
{
	struct sg_vm_shape s = shape4();
	struct sg_frame_hit hit;

	ck_assert(sg_addr_decode(&s, SG_DEFAULT_GICD_BASE + 0x100, &hit));
	ck_assert_int_eq(hit.frame, SG_FRAME_GICD);
	ck_assert_uint_eq(hit.offset, 0x100);
	ck_assert_int_eq(sg_access_policy(&hit, true), SG_ACCESS_POSTED);
	ck_assert_int_eq(sg_access_policy(&hit, false), SG_ACCESS_WAIT);

	ck_assert(sg_addr_decode(&s, SG_DEFAULT_GICR_BASE + 3 * GICR_FRAME_SIZE + GICR_SGI_BASE,
				 &hit));
	ck_assert_int_eq(hit.frame, SG_FRAME_GICR);
	ck_assert_uint_eq(hit.index, 3);
	ck_assert_uint_eq(hit.offset, GICR_SGI_BASE);
	ck_assert_int_eq(sg_access_policy(&hit, true), SG_ACCESS_LOCAL);
	/* One past the last redistributor is nothing. */
	ck_assert(!sg_addr_decode(&s, SG_DEFAULT_GICR_BASE + 4 * GICR_FRAME_SIZE, &hit));

	ck_assert(sg_addr_decode(&s, SG_DEFAULT_ITS_BASE + GITS_TRANSLATER, &hit));
	ck_assert_int_eq(hit.frame, SG_FRAME_ITS);
	ck_assert_int_eq(sg_access_policy(&hit, true), SG_ACCESS_MSI);
	ck_assert_int_eq(sg_access_policy(&hit, false), SG_ACCESS_WAIT);
	ck_assert(sg_addr_decode(&s, SG_DEFAULT_ITS_BASE + GITS_CWRITER, &hit));
	ck_assert_int_eq(sg_access_policy(&hit, true), SG_ACCESS_POSTED);
	ck_assert(!sg_addr_decode(&s, 0x40000000, &hit));
	ck_assert_int_eq(hit.frame, SG_FRAME_NONE);
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("wire");

	tcase_add_test(tc, test_mmio_roundtrip);
	tcase_add_test(tc, test_mmio_field_ranges);
	tcase_add_test(tc, test_sequence_rules);
	tcase_add_test(tc, test_bus_ranges);
	tcase_add_test(tc, test_batch_rules);
	tcase_add_test(tc, test_decode_rejects);
	tcase_add_test(tc, test_arena_exhaustion);
	tcase_add_test(tc, test_recv_edge_cases);
	tcase_add_test(tc, test_shape_checks);
	tcase_add_test(tc, test_addr_decode_and_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(wire_suite());
}
