// SPDX-License-Identifier: MIT
/* The ITS test fixture (its_test.h) and the test program's main. */
#include "its_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct its_fx fx;

static void record(enum ev_kind k, unsigned a, unsigned b, uint64_t c)
{
	ck_assert_uint_lt(fx.nev, MAX_EVENTS);
	fx.ev[fx.nev++] = (struct rec_event){ k, a, b, c };
}

static void o_deliver(void *ctx, unsigned vcpu, uint32_t intid)
{
	(void)ctx;
	record(EV_DELIVER, vcpu, 0, intid);
}
static void o_clear(void *ctx, unsigned vcpu, uint32_t intid)
{
	(void)ctx;
	record(EV_CLEAR, vcpu, 0, intid);
}
static void o_inv(void *ctx, unsigned vcpu, uint32_t intid)
{
	(void)ctx;
	record(EV_INV, vcpu, 0, intid);
}
static void o_invall(void *ctx, unsigned vcpu)
{
	(void)ctx;
	record(EV_INVALL, vcpu, 0, 0);
}
static void o_sync(void *ctx, unsigned vcpu, uint64_t id)
{
	(void)ctx;
	record(EV_SYNC, vcpu, 0, id);
}
static void o_move(void *ctx, unsigned from, unsigned to, uint32_t intid)
{
	(void)ctx;
	record(EV_MOVE, from, to, intid);
}
static void o_movall(void *ctx, unsigned from, unsigned to)
{
	(void)ctx;
	record(EV_MOVALL, from, to, 0);
}

void fx_remap_ram(struct guest_ram *r)
{
	Sg__RamRegion reg, *regs[1] = { &reg };
	const char *why = "";
	int fd = dup(fx.memfd);

	ck_assert_int_ge(fd, 0);
	sg__ram_region__init(&reg);
	reg.gpa = RAM_GPA;
	reg.size = RAM_SIZE;
	reg.fd_index = 0;
	reg.fd_offset = 0;
	ck_assert_msg(guest_ram_map(r, &fx.shape, regs, 1, &fd, 1, &why) == 0, "%s", why);
}

void fx_setup(unsigned nr_vcpus)
{
	void *p;

	memset(&fx, 0, sizeof(fx));
	fx.shape.nr_vcpus = nr_vcpus;
	for (unsigned i = 0; i < nr_vcpus; i++)
		fx.shape.mpidr[i] = i;
	fx.shape.nr_spis = 64;
	fx.shape.lr_count = 4;
	sg_addr_map_default(&fx.shape.map, 2);
	fx.memfd = memfd_create("its-test-ram", MFD_CLOEXEC);
	ck_assert_int_ge(fx.memfd, 0);
	ck_assert_int_eq(ftruncate(fx.memfd, (off_t)RAM_SIZE), 0);
	p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fx.memfd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	fx.guest = p;
	guest_ram_init(&fx.ram);
	fx_remap_ram(&fx.ram);
	fx.out = (struct its_out){ .deliver_lpi = o_deliver,
				   .clear_lpi = o_clear,
				   .inv = o_inv,
				   .invall = o_invall,
				   .sync = o_sync,
				   .move = o_move,
				   .movall = o_movall };
	its_init(&fx.its, 0, &fx.shape, &fx.ram, &fx.out);
}

void fx_teardown(void)
{
	guest_ram_unmap(&fx.ram);
	munmap(fx.guest, RAM_SIZE);
	close(fx.memfd);
}

void fx_std(void)
{
	fx_setup(4);
	q_init(Q_GPA, Q_PAGES);
	wr64(GITS_BASER, baser(DT_GPA, 0, 1, false));
	wr64(GITS_BASER + 8, baser(CT_GPA, 0, 1, false));
	wr32(GITS_CTLR, GITS_CTLR_ENABLED);
}

uint64_t rd64(uint32_t off)
{
	uint64_t v = 0xdeadbeefdeadbeefull;

	ck_assert_int_eq(its_mmio_read(&fx.its, 0, off, 8, &v), ITS_OK);
	return v;
}

uint32_t rd32(uint32_t off)
{
	uint64_t v = 0xdeadbeefdeadbeefull;

	ck_assert_int_eq(its_mmio_read(&fx.its, 0, off, 4, &v), ITS_OK);
	ck_assert_uint_le(v, UINT32_MAX);
	return (uint32_t)v;
}

void wr64(uint32_t off, uint64_t v)
{
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, off, 8, v), ITS_OK);
}

void wr32(uint32_t off, uint32_t v)
{
	ck_assert_int_eq(its_mmio_write(&fx.its, 0, off, 4, v), ITS_OK);
}

uint64_t baser(uint64_t pa, unsigned page_code, unsigned pages, bool indirect)
{
	uint64_t v = (1ull << 63) | ((uint64_t)page_code << 8) | (pages - 1);

	if (indirect)
		v |= 1ull << 62;
	if (page_code == 2) /* 64K: PA[47:16] in place, PA[51:48] in [15:12] */
		v |= (pa & 0x0000FFFFFFFF0000ull) | (((pa >> 48) & 0xF) << 12);
	else
		v |= pa & 0x0000FFFFFFFFF000ull;
	return v;
}

void q_init(uint64_t base, unsigned pages)
{
	fx.q_base = base;
	fx.q_bytes = (uint64_t)pages * 4096;
	fx.q_wr = 0;
	wr64(GITS_CBASER, (1ull << 63) | base | (pages - 1));
}

void q_raw(uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
	uint64_t gpa = fx.q_base + fx.q_wr;

	set64(gpa, dw0);
	set64(gpa + 8, dw1);
	set64(gpa + 16, dw2);
	set64(gpa + 24, dw3);
	fx.q_wr = (fx.q_wr + 32) % fx.q_bytes;
}

void q_kick(void)
{
	wr64(GITS_CWRITER, fx.q_wr);
}

void c_mapd(uint32_t dev, unsigned size, uint64_t itt, bool v)
{
	q_raw(0x08 | (uint64_t)dev << 32, size, (itt & 0x000FFFFFFFFFFF00ull) | (uint64_t)v << 63,
	      0);
}

void c_mapc(uint32_t icid, uint64_t rd, bool v)
{
	q_raw(0x09, 0, icid | rd << 16 | (uint64_t)v << 63, 0);
}

void c_mapti(uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
	q_raw(0x0A | (uint64_t)dev << 32, ev | (uint64_t)intid << 32, icid, 0);
}

void c_mapi(uint32_t dev, uint32_t ev, uint32_t icid)
{
	q_raw(0x0B | (uint64_t)dev << 32, ev, icid, 0);
}

void c_movi(uint32_t dev, uint32_t ev, uint32_t icid)
{
	q_raw(0x01 | (uint64_t)dev << 32, ev, icid, 0);
}

void c_ev(unsigned op, uint32_t dev, uint32_t ev)
{
	q_raw(op | (uint64_t)dev << 32, ev, 0, 0);
}

void c_invall(uint32_t icid)
{
	q_raw(0x0D, 0, icid, 0);
}

void c_sync(uint64_t rd)
{
	q_raw(0x05, 0, rd << 16, 0);
}

void c_movall(uint64_t from, uint64_t to)
{
	q_raw(0x0E, 0, from << 16, to << 16);
}

static const char *kind_name(enum ev_kind k)
{
	static const char *n[] = { "deliver", "clear", "inv", "invall", "sync", "move", "movall" };

	return n[k];
}

void ev_expect(enum ev_kind kind, unsigned a, unsigned b, uint64_t c)
{
	const struct rec_event *e;

	ck_assert_msg(fx.rd < fx.nev, "expected %s(%u, %u, %llu), got nothing", kind_name(kind), a,
		      b, (unsigned long long)c);
	e = &fx.ev[fx.rd++];
	ck_assert_msg(e->kind == kind && e->a == a && e->b == b && e->c == c,
		      "expected %s(%u, %u, %llu), got %s(%u, %u, %llu)", kind_name(kind), a, b,
		      (unsigned long long)c, kind_name(e->kind), e->a, e->b,
		      (unsigned long long)e->c);
}

void ev_none(void)
{
	ck_assert_msg(fx.rd == fx.nev, "unexpected %s(%u, %u, %llu)", kind_name(fx.ev[fx.rd].kind),
		      fx.ev[fx.rd].a, fx.ev[fx.rd].b, (unsigned long long)fx.ev[fx.rd].c);
}

void ev_clear(void)
{
	fx.rd = fx.nev = 0;
}

uint64_t ev_take_sync(unsigned vcpu)
{
	const struct rec_event *e;

	ck_assert_msg(fx.rd < fx.nev, "expected a Sync");
	e = &fx.ev[fx.rd++];
	ck_assert_int_eq(e->kind, EV_SYNC);
	ck_assert_uint_eq(e->a, vcpu);
	return e->c;
}

void msi_expect(uint32_t dev, uint32_t ev, unsigned vcpu, uint32_t intid)
{
	its_msi(&fx.its, dev, ev);
	ev_expect(EV_DELIVER, vcpu, 0, intid);
	ev_none();
}

void msi_dropped(uint32_t dev, uint32_t ev)
{
	its_msi(&fx.its, dev, ev);
	ev_none();
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		Suite *(*make)(void);
	} suites[] = {
		{ "regs", its_regs_suite },	{ "cmd", its_cmd_suite },
		{ "table", its_table_suite },	{ "msi", its_msi_suite },
		{ "random", its_random_suite },
	};
	SRunner *sr = NULL;
	int failed;

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (argc > 1 && strcmp(argv[1], suites[i].name) != 0)
			continue;
		if (!sr)
			sr = srunner_create(suites[i].make());
		else
			srunner_add_suite(sr, suites[i].make());
	}
	if (!sr) {
		fprintf(stderr, "unknown suite %s\n", argv[1]);
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
