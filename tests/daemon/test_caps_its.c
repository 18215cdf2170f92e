// SPDX-License-Identifier: MIT
/*
 * The ITS's resource caps (DESIGN §7, docs/gicd-server.md "Limits"), driven
 * through the guest RAM memfd as a guest does: DeviceIDs, ITT size, ITTs
 * outside guest RAM, the command queue, and the writable guest RAM
 * windows.  Each checks the ITS's error or stall, the log line, the
 * counter, and that the VM is still served.
 */
#include <check.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "caps_util.h"
#include "check_run.h"
#include "daemon_util.h"
#include "gic_regs.h"
#include "guest_ram.h"
#include "its.h"

/* ------------------------------------------------------- the ITS, guest */

#define CMDQ_GPA   (RAM_GPA + 0x10000)
#define CMDQ_PAGES 16u			/* 64 KiB: 2048 commands */
#define DT_GPA	   (RAM_GPA + 0x100000) /* flat, 4K: 512 devices */
#define CT_GPA	   (RAM_GPA + 0x110000) /* flat, 4K: 512 collections */
#define ITT_GPA(d) (RAM_GPA + 0x200000 + (uint64_t)(d)*0x1000)
#define DT_IDS	   (4096u / 8u)

struct itsvm {
	struct vm vm;
	int memfd;
	uint8_t *ram;
	uint64_t q_wr;
};

static uint64_t gits(const struct itsvm *t, uint32_t off)
{
	return t->vm.shape.map.its_base[0] + off;
}

static void gits_post(struct itsvm *t, uint32_t off, uint64_t val)
{
	post_raw(&t->vm, 0, gits(t, off), 8, val);
}

static uint64_t gits_read64(struct itsvm *t, uint32_t off)
{
	uint64_t v = 0;

	ck_assert_int_eq(vm_call_status(&t->vm, 0, gits(t, off), 8, false, 0, &v),
			 SG__MMIO_REPLY__STATUS__OK);
	return v;
}

static uint64_t baser(uint64_t pa)
{
	return GITS_BASER_VALID | pa | ((uint64_t)GITS_BASER_PAGE_SIZE_4K << 8);
}

/* A VM of 2 vCPUs with one ITS and 16 MiB of RAM the test also maps; the
 * ITS set up as a guest does: queue, device and collection tables, enabled. */
static void its_start(struct itsvm *t, unsigned cmdq_pages)
{
	struct sg_ram_desc ram;
	char err[256];

	memset(t, 0, sizeof(*t));
	harness_daemon_start(&t->vm.d, NULL);
	harness_shape(&t->vm.shape, 2, 64, 1);
	t->memfd = harness_memfd(RAM_SIZE);
	t->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, t->memfd, 0);
	ck_assert_ptr_ne(t->ram, MAP_FAILED);
	ram = (struct sg_ram_desc){ .gpa = RAM_GPA, .size = RAM_SIZE, .fd = t->memfd };
	ck_assert_msg(sg_attach(t->vm.d.control_path, "test", &t->vm.shape, &ram, 1, NULL, 0, 10000,
				&t->vm.att, err, sizeof(err)) == 0,
		      "%s", err);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(mmio_chan_init(&t->vm.ch[i], i), 0);
		t->vm.ch[i].fd = t->vm.att.mmio_fd[i];
	}
	t->vm.bus_seq = 1;
	gits_post(t, GITS_CBASER, GITS_CBASER_VALID | CMDQ_GPA | (cmdq_pages - 1));
	gits_post(t, GITS_BASER + 0, baser(DT_GPA));
	gits_post(t, GITS_BASER + 8, baser(CT_GPA));
	post_raw(&t->vm, 0, gits(t, GITS_CTLR), 4, GITS_CTLR_ENABLED);
	ck_assert_uint_eq(read_raw(&t->vm, 0, gits(t, GITS_CTLR)) & GITS_CTLR_ENABLED,
			  GITS_CTLR_ENABLED);
}

static void its_stop(struct itsvm *t)
{
	vm_stop(&t->vm);
	munmap(t->ram, RAM_SIZE);
	close(t->memfd);
}

static void q_cmd(struct itsvm *t, uint64_t dw0, uint64_t dw1, uint64_t dw2)
{
	uint64_t *c = (uint64_t *)(t->ram + (CMDQ_GPA - RAM_GPA) + t->q_wr);

	c[0] = htole64(dw0);
	c[1] = htole64(dw1);
	c[2] = htole64(dw2);
	c[3] = 0;
	t->q_wr = (t->q_wr + GITS_CMD_SIZE) % (CMDQ_PAGES * 4096);
}

static void c_mapd(struct itsvm *t, uint32_t dev, unsigned size, uint64_t itt)
{
	q_cmd(t, GITS_CMD_MAPD | ((uint64_t)dev << 32), size, (1ull << 63) | itt);
}

static void c_mapc(struct itsvm *t, uint32_t icid, unsigned vcpu)
{
	q_cmd(t, GITS_CMD_MAPC, 0, (1ull << 63) | ((uint64_t)vcpu << 16) | icid);
}

static void c_mapti(struct itsvm *t, uint32_t dev, uint32_t ev, uint32_t intid, uint32_t icid)
{
	q_cmd(t, GITS_CMD_MAPTI | ((uint64_t)dev << 32), ((uint64_t)intid << 32) | ev, icid);
}

static void c_int(struct itsvm *t, uint32_t dev, uint32_t ev)
{
	q_cmd(t, GITS_CMD_INT | ((uint64_t)dev << 32), ev, 0);
}

/* CWRITER = what we wrote, then CREADR (a read: it fences). */
static uint64_t q_kick(struct itsvm *t)
{
	gits_post(t, GITS_CWRITER, t->q_wr);
	return gits_read64(t, GITS_CREADR);
}

START_TEST(test_cap_its_device_ids)
{
	struct itsvm t;

	its_start(&t, CMDQ_PAGES);
	/* The device table holds DT_IDS DeviceIDs; Devbits allows 16 bits. */
	c_mapd(&t, DT_IDS, 0, ITT_GPA(0));
	c_mapd(&t, 1u << ITS_DEVICE_ID_BITS, 0, ITT_GPA(0));
	c_mapd(&t, DT_IDS - 1, 0, ITT_GPA(0));
	/* Skipped, recorded, the queue goes on: CREADR reached CWRITER, not stalled. */
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "DEVICE_OOR: DeviceID beyond the device "
						     "table (GITS_BASER0) or 16 bits: skipped"),
			  2);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "its0: command 0x08 at CREADR 0x0 failed "
						     "(error 0x010801)"),
			  1);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "commands 3 (errors 2, stalls 0)"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_its_itt_size)
{
	struct itsvm t;

	its_start(&t, CMDQ_PAGES);
	c_mapd(&t, 1, ITS_EVENT_ID_BITS, ITT_GPA(1)); /* Size is EventID bits - 1 */
	c_mapd(&t, 2, ITS_EVENT_ID_BITS - 1, ITT_GPA(2));
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "(error 0x010802) ITTSIZE_OOR: MAPD Size "
						     "above 15 (16 EventID bits): skipped"),
			  1);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "commands 2 (errors 1, stalls 0)"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_its_itt_beyond_ram)
{
	uint64_t creadr, mapti_at;
	struct itsvm t;

	its_start(&t, CMDQ_PAGES);
	/* An ITT outside guest RAM: MAPD is fine (the architecture does not
	 * check it), the first ITE write faults and stalls the queue there. */
	c_mapd(&t, 3, 0, RAM_GPA + RAM_SIZE + 0x100000);
	c_mapc(&t, 0, 0);
	mapti_at = t.q_wr;
	c_mapti(&t, 3, 0, GIC_LPI_BASE, 0);
	creadr = q_kick(&t);
	ck_assert_uint_eq(creadr & GITS_CREADR_STALLED, GITS_CREADR_STALLED);
	ck_assert_uint_eq(creadr & GITS_CMDQ_OFFSET_MASK, mapti_at);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "table fault: a table or ITT entry not in "
						     "guest RAM: queue stalled"),
			  1);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "commands 3 (errors 0, stalls 1)"), 1);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "table faults 2"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_its_command_queue)
{
	uint64_t creadr;
	struct itsvm t;

	/* The smallest queue (CBASER.Size 0: 4 KiB); CWRITER at its end. */
	its_start(&t, 1);
	gits_post(&t, GITS_CWRITER, 4096);
	creadr = gits_read64(&t, GITS_CREADR);
	ck_assert_uint_eq(creadr, GITS_CREADR_STALLED);
	ck_assert_uint_eq(harness_log_count(&t.vm.d, "its0: command queue stalled at CREADR 0x0 "
						     "(error 0x010082): CWRITER beyond the "
						     "command queue (GITS_CBASER.Size)"),
			  1);
	/* A CWRITER inside the queue clears that stall by itself. */
	gits_post(&t, GITS_CWRITER, 0);
	ck_assert_uint_eq(gits_read64(&t, GITS_CREADR), 0);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

START_TEST(test_cap_writable_windows)
{
	const unsigned ndev = GUEST_RAM_MAX_WINDOWS + 44;
	struct bus_seen seen = { 0 };
	struct itsvm t;
	char want[128];

	its_start(&t, CMDQ_PAGES);
	/* One ITT window per mapped device, more than the table holds. */
	for (unsigned d = 0; d < ndev; d++)
		c_mapd(&t, d, 0, ITT_GPA(d));
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	snprintf(want, sizeof(want),
		 "guest RAM: all %u writable windows in use (GUEST_RAM_MAX_WINDOWS): unmapping the "
		 "least recently used one",
		 GUEST_RAM_MAX_WINDOWS);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, want), 1);
	/* Never an error: device 0's window was evicted, its ITE write maps it
	 * again and the translation works. */
	c_mapc(&t, 0, 1);
	c_mapti(&t, 0, 0, GIC_LPI_BASE + 5, 0);
	c_int(&t, 0, 0);
	ck_assert_uint_eq(q_kick(&t), t.q_wr);
	bus_wait(&t.vm, &seen, 1, 0);
	ck_assert_uint_eq(seen.delivers, 1);
	ck_assert_uint_eq(seen.last_deliver_intid, GIC_LPI_BASE + 5);
	log_counters(&t.vm.d, SENTINEL_SESSION);
	snprintf(want, sizeof(want), "writable windows %u of %u", GUEST_RAM_MAX_WINDOWS,
		 GUEST_RAM_MAX_WINDOWS);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, want), 1);
	ck_assert_uint_ge(harness_log_count(&t.vm.d, "(errors 0, stalls 0)"), 1);
	vm_assert_healthy(&t.vm, 0);
	its_stop(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon-caps-its");
	TCase *tc = tcase_create("caps");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_cap_its_device_ids);
	tcase_add_test(tc, test_cap_its_itt_size);
	tcase_add_test(tc, test_cap_its_itt_beyond_ram);
	tcase_add_test(tc, test_cap_its_command_queue);
	tcase_add_test(tc, test_cap_writable_windows);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
