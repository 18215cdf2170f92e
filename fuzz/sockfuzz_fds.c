// SPDX-License-Identifier: MIT
/*
 * gicd-sockfuzz: fd passing and connection abuse: the fd kinds riding on a
 * data-channel datagram, and Hellos for new control connections with their
 * channel sockets and memfds, wrong shapes, counts, kinds and flags
 * (fuzz/sockfuzz.h).
 */
#include "sockfuzz.h"

void add_fds(struct action *a, unsigned n, bool good)
{
	a->nfds = (uint16_t)(n > MAX_FDSPEC ? MAX_FDSPEC : n);
	for (unsigned i = 0; i < a->nfds; i++)
		a->fds[i] = good ? FD_SEQ : (uint8_t)below(FD_NR_KINDS);
}

/* A Hello for the control socket: a shape, RAM regions, fds of some kinds. */
void gen_hello(struct fcase *c, bool fresh)
{
	struct sg_vm_shape s;
	Sg__Hello h = SG__HELLO__INIT;
	Sg__AddressMap am;
	Sg__RamRegion rr[4], *rrp[4];
	Sg__Envelope e;
	unsigned char buf[SG_WIRE_MAX * 2], other[SG_WIRE_MAX];
	unsigned nram = (unsigned)below(3), nram_fds = nram;
	ssize_t n;
	size_t len;
	struct action *a;

	fvm_shape(&s);
	s.nr_vcpus = chance(80) ? 1 + (unsigned)below(4) : (unsigned)below(200);
	for (unsigned i = 0; i < s.nr_vcpus && i < SG_MAX_VCPUS; i++)
		s.mpidr[i] = chance(97) ? i : edge64();
	if (s.nr_vcpus > SG_MAX_VCPUS)
		s.nr_vcpus = SG_MAX_VCPUS;
	if (chance(15))
		s.nr_spis = edge32();
	if (chance(10))
		s.lr_count = edge32();
	if (chance(10))
		s.map.gicd_base = chance(50) ? edge64() : RAM_GPA;
	sg_shape_to_hello(&s, &h, &am);
	h.proto_version = chance(95) ? SG_PROTO_VERSION : edge32();
	h.vm_name = (char *)(chance(80) ? "fuzz" : chance(50) ? "" : "other");
	for (unsigned i = 0; i < nram; i++) {
		sg__ram_region__init(&rr[i]);
		rr[i].gpa = chance(85) ? RAM_GPA + i * RAM_SIZE : edge64();
		rr[i].size = chance(85) ? RAM_SIZE : edge64();
		rr[i].fd_index = chance(90) ? i : edge32();
		rr[i].fd_offset = chance(90) ? 0 : edge64();
		rrp[i] = &rr[i];
	}
	h.n_ram = nram;
	h.ram = rrp;
	if (chance(10))
		nram_fds = (unsigned)below(20);
	h.nr_ram_fds = nram_fds;
	if (chance(10)) {
		h.resume_token.data = (uint8_t *)"0123456789abcdef0123456789abcdef";
		h.resume_token.len = chance(50) ? 32 : below(33);
	}
	sg_envelope_init(&e);
	e.body_case = SG__ENVELOPE__BODY_HELLO;
	e.hello = &h;
	if (chance(5))
		e.seq = edge64();
	if (chance(3))
		e.version = edge32();
	n = sg_wire_pack(&e, buf, SG_WIRE_MAX);
	len = n > 0 ? (size_t)n : 0;
	if (chance(fresh ? 15 : 30)) {
		struct sg_vm_shape o;
		uint64_t nx = 1;
		size_t olen;

		fvm_shape(&o);
		olen = gen_message(&o, SG_CHAN_BUS, &nx, other, sizeof(other), NULL);
		len = mutate(buf, len, SG_WIRE_MAX, other, olen);
	}
	if (chance(3)) /* oversized */
		len = SG_WIRE_MAX + 1 + below(SG_WIRE_MAX / 2);
	a = case_add(c, ACT_HELLO, buf, len);
	if (!a)
		return;
	/* The fds: mostly the right count of channel sockets then memfds,
	 * with now and then a wrong kind, count or duplicate. */
	{
		unsigned nch = s.nr_vcpus + 1, want = nch + nram_fds;

		if (chance(8))
			want = (unsigned)below(MAX_FDSPEC);
		if (chance(2))
			want = SG_WIRE_MAX_FDS;
		a->nfds = (uint16_t)(want > MAX_FDSPEC ? MAX_FDSPEC : want);
		for (unsigned i = 0; i < a->nfds; i++)
			a->fds[i] = i < nch ? FD_SEQ : chance(70) ? FD_MEMFD_OK : FD_MEMFD_SMALL;
		for (unsigned i = 0, k = (unsigned)below(3); a->nfds && i < k; i++)
			a->fds[below(a->nfds)] = (uint8_t)below(FD_NR_KINDS);
	}
	if (chance(10))
		a->flags |= HF_CREDS;
	if (chance(5))
		a->flags |= HF_NO_WAIT;
	if (chance(3))
		a->flags |= HF_SHUT_WR;
	if (chance(3))
		a->flags |= HF_NOTHING;
}
