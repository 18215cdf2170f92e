// SPDX-License-Identifier: MIT
/*
 * Writes seed inputs for the fuzz targets (format: fuzz_input.h) into the
 * directory given as argument: a Linux-like distributor init, device lines,
 * GICD reads of pending state and bus replies, an ITS bring-up (tables,
 * commands in guest RAM, MSIs), so fuzzing starts deep in the protocol
 * rather than at random bytes.  The target named as second argument gets
 * its own selectors (fuzz-server: renumbering; fuzz-its: register
 * shortcuts); fuzz-snapshot's seeds come from scripts/record-seeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "gic_regs.h"
#include "wire.h"

static unsigned char buf[1 << 16];
static size_t used;
/* fuzz-server: selectors that renumber (the seeds all carry seq 1). */
static unsigned sel_or;

static void put(unsigned chan, const Sg__Envelope *env)
{
	unsigned char tmp[SG_WIRE_MAX];
	ssize_t n = sg_wire_pack(env, tmp, sizeof(tmp));
	uint16_t len = (uint16_t)n;

	if (n < 0 || used + 3 + (size_t)n > sizeof(buf))
		exit(1);
	buf[used++] = (unsigned char)(chan | sel_or);
	memcpy(buf + used, &len, 2);
	used += 2;
	memcpy(buf + used, tmp, (size_t)n);
	used += (size_t)n;
}

static void mmio(unsigned vcpu, uint32_t off, unsigned size, bool write, uint64_t data)
{
	struct sg_mmio_msg m;
	Sg__Envelope *env = sg_mmio_msg(&m, SG_DEFAULT_GICD_BASE + off, size, write, write, data);

	env->seq = 1; /* renumbered by the target */
	put(vcpu, env);
}

static void line(unsigned bus, uint32_t intid, bool level, bool pulse)
{
	Sg__SpiLevel l = SG__SPI_LEVEL__INIT;
	Sg__Envelope env;

	l.intid = intid;
	l.level = level;
	l.pulse = pulse;
	sg_envelope_init(&env);
	env.seq = 1;
	env.body_case = SG__ENVELOPE__BODY_SPI_LEVEL;
	env.spi_level = &l;
	put(bus, &env);
}

static void deactivated(unsigned bus, unsigned vcpu, uint32_t intid, uint32_t gen)
{
	Sg__Deactivated d = SG__DEACTIVATED__INIT;
	Sg__Envelope env;

	d.vcpu = vcpu;
	d.intid = intid;
	d.gen = gen;
	sg_envelope_init(&env);
	env.seq = 1;
	env.body_case = SG__ENVELOPE__BODY_DEACTIVATED;
	env.deactivated = &d;
	put(bus, &env);
}

static void raw(unsigned sel, const void *p, size_t n)
{
	uint16_t len = (uint16_t)n;

	if (used + 3 + n > sizeof(buf))
		exit(1);
	buf[used++] = (unsigned char)sel;
	memcpy(buf + used, &len, 2);
	used += 2;
	memcpy(buf + used, p, n);
	used += n;
}

/* An ITS register write from vCPU 0, through its MMIO channel. */
static void its_write(uint32_t off, unsigned size, uint64_t data)
{
	struct sg_mmio_msg m;
	Sg__Envelope *env = sg_mmio_msg(&m, SG_DEFAULT_ITS_BASE + off, size, true, true, data);

	env->seq = 1;
	put(0, env);
}

/* ITS tables and queue in the targets' RAM (fuzz_input.h: FUZZ_RAM_GPA). */
#define CMDQ_OFF 0x10000u
#define DT_OFF	 0x100000u
#define CT_OFF	 0x110000u
#define ITT_OFF	 0x200000u

static unsigned char cmdq[32 * 16];
static unsigned nr_cmds;

static void cmd(uint64_t dw0, uint64_t dw1, uint64_t dw2, uint64_t dw3)
{
	uint64_t dw[4] = { dw0, dw1, dw2, dw3 };

	memcpy(cmdq + 32 * nr_cmds++, dw, 32);
}

/* A Linux-like ITS bring-up: tables, MAPC, MAPD, MAPTI, INT, SYNC, MOVI, INV. */
static void its_commands(void)
{
	nr_cmds = 0;
	cmd(GITS_CMD_MAPC, 0, (1ull << 63) | (0ull << 16) | 0, 0);
	cmd(GITS_CMD_MAPC, 0, (1ull << 63) | (1ull << 16) | 1, 0);
	cmd(GITS_CMD_MAPD | (3ull << 32), 13, (1ull << 63) | (FUZZ_RAM_GPA + ITT_OFF), 0);
	cmd(GITS_CMD_MAPTI | (3ull << 32), 5 | (8200ull << 32), 0, 0);
	cmd(GITS_CMD_MAPI | (3ull << 32), 8201, 1, 0);
	cmd(GITS_CMD_INT | (3ull << 32), 5, 0, 0);
	cmd(GITS_CMD_SYNC, 0, 0ull << 16, 0);
	cmd(GITS_CMD_MOVI | (3ull << 32), 5, 1, 0);
	cmd(GITS_CMD_INV | (3ull << 32), 5, 0, 0);
	cmd(GITS_CMD_INVALL, 0, 1, 0);
	cmd(GITS_CMD_CLEAR | (3ull << 32), 8201, 0, 0);
	cmd(GITS_CMD_MOVALL, 0, 0, 1ull << 16);
	cmd(GITS_CMD_DISCARD | (3ull << 32), 8201, 0, 0);
	cmd(GITS_CMD_SYNC, 0, 1ull << 16, 0);
}

static const uint64_t cbaser = GITS_CBASER_VALID | (FUZZ_RAM_GPA + CMDQ_OFF);
static const uint64_t baser0 = GITS_BASER_VALID | (FUZZ_RAM_GPA + DT_OFF);
static const uint64_t baser1 = GITS_BASER_VALID | (FUZZ_RAM_GPA + CT_OFF);

/* The bring-up as a guest does it: commands in RAM, GITS_* through MMIO. */
static void its_generic(void)
{
	unsigned char ram[4 + sizeof(cmdq)];
	uint32_t off = CMDQ_OFF;

	its_commands();
	memcpy(ram, &off, 4);
	memcpy(ram + 4, cmdq, 32 * nr_cmds);
	its_write(GITS_BASER, 8, baser0);
	its_write(GITS_BASER + 8, 8, baser1);
	its_write(GITS_CBASER, 8, cbaser);
	its_write(GITS_CTLR, 4, GITS_CTLR_ENABLED);
	raw(FUZZ_SEL_RAM, ram, 4 + 32 * nr_cmds);
	its_write(GITS_CWRITER, 8, 32 * nr_cmds);
}

/* The same with fuzz-its's own selectors, then MSIs. */
static void its_direct(void)
{
	uint32_t msi[2] = { 3, 5 };

	its_commands();
	raw(0x81, &baser0, 8);
	raw(0x82, &baser1, 8);
	raw(0x80, &cbaser, 8);
	raw(0x83, &(uint32_t){ GITS_CTLR_ENABLED }, 4);
	raw(0x88, cmdq, 32 * 7);
	raw(0x89, "", 0);
	raw(0x86, msi, 8);
	raw(0x85, (const unsigned char[]){ 0x09, 0x20, 0, 0, 1 }, 5);
	raw(0x88, cmdq + 32 * 7, 32 * (nr_cmds - 7));
	raw(0x87, (const unsigned char[]){ 0x90, 0, 0, 0, 1 }, 5);
}

/* fuzz-server: admin connections (gicctl's requests) while the VM runs. */
static void admin(void)
{
	Sg__StatusRequest st = SG__STATUS_REQUEST__INIT;
	Sg__DumpRequest dump = SG__DUMP_REQUEST__INIT;
	Sg__StatsRequest stats = SG__STATS_REQUEST__INIT;
	Sg__TraceRequest trace = SG__TRACE_REQUEST__INIT;
	Sg__SnapshotRequest snap = SG__SNAPSHOT_REQUEST__INIT;
	Sg__AdminRequest req = SG__ADMIN_REQUEST__INIT;
	Sg__Envelope env;
	unsigned char tmp[SG_WIRE_MAX + 1];
	ssize_t n;

	sg_envelope_init(&env);
	env.body_case = SG__ENVELOPE__BODY_ADMIN_REQUEST;
	env.admin_request = &req;
	for (unsigned k = 0; k < 6; k++) {
		switch (k) {
		case 0: req.req_case = SG__ADMIN_REQUEST__REQ_STATUS, req.status = &st; break;
		case 1: req.req_case = SG__ADMIN_REQUEST__REQ_DUMP, req.dump = &dump; break;
		case 2:
			dump.what = SG__DUMP_REQUEST__WHAT__ITS;
			req.req_case = SG__ADMIN_REQUEST__REQ_DUMP, req.dump = &dump;
			break;
		case 3: req.req_case = SG__ADMIN_REQUEST__REQ_STATS, req.stats = &stats; break;
		case 4: req.req_case = SG__ADMIN_REQUEST__REQ_TRACE, req.trace = &trace; break;
		default:
			req.req_case = SG__ADMIN_REQUEST__REQ_SNAPSHOT, req.snapshot = &snap;
			break;
		}
		n = sg_wire_pack(&env, tmp + 1, SG_WIRE_MAX);
		if (n < 0)
			exit(1);
		if (k < 5) {
			raw(0x80, tmp + 1, (size_t)n);
		} else {
			tmp[0] = 0x40; /* 0x81, one memfd: SAVE into it */
			raw(0x81, tmp, (size_t)n + 1);
		}
		mmio(0, GICD_ISENABLER + 4, 4, true, 0xFFFFFFFF);
	}
}

static void save(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, used, f) != used || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	used = 0;
}

int main(int argc, char **argv)
{
	/* Header (fuzz_input.h): 2 vCPUs (bus = channel 2), 64 SPIs, one ITS,
	 * the stand-in agent answers everything; answer bits. */
	const unsigned char hdr[FUZZ_HDR_LEN] = {
		1, 1, 1 | FUZZ_F_ANS_QUERY | FUZZ_F_ANS_SYNC | FUZZ_F_ACK, 0x5A
	};

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s DIR [TARGET]\n", argv[0]);
		return 2;
	}
	if (argc == 3 && strcmp(argv[2], "fuzz-snapshot") == 0)
		return 0; /* its seeds are states: scripts/record-seeds */
	if (argc == 3 && strcmp(argv[2], "fuzz-server") == 0)
		sel_or = 0x40;
	memcpy(buf, hdr, FUZZ_HDR_LEN);
	used = FUZZ_HDR_LEN;
	mmio(0, GICD_CTLR, 4, true, 0);
	mmio(0, GICD_CTLR, 4, false, 0);
	mmio(0, GICD_IGROUPR + 4, 4, true, 0xFFFFFFFF);
	mmio(0, GICD_IPRIORITYR + 32, 4, true, 0xA0A0A0A0);
	mmio(0, GICD_ICFGR + 8, 4, true, 0xAAAAAAAA);
	mmio(0, GICD_IROUTER + 8 * 40, 8, true, 1);
	mmio(1, GICD_IROUTER + 8 * 41, 8, true, GICD_IROUTER_IRM);
	mmio(0, GICD_ISENABLER + 4, 4, true, 0xFFFFFFFF);
	mmio(0, GICD_CTLR, 4, true, GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE);
	save(argv[1], "init");

	memcpy(buf, hdr, FUZZ_HDR_LEN);
	used = FUZZ_HDR_LEN;
	mmio(0, GICD_ISENABLER + 4, 4, true, 0xFFFFFFFF);
	mmio(0, GICD_CTLR, 4, true, GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE);
	line(2, 40, true, false);
	line(2, 41, false, true);
	mmio(1, GICD_ISPENDR + 4, 4, false, 0);
	mmio(1, GICD_ISACTIVER + 4, 4, false, 0);
	line(2, 40, false, false);
	deactivated(2, 0, 40, 1);
	deactivated(2, 1, 41, 1);
	mmio(0, GICD_SETSPI_NSR, 4, true, 42);
	mmio(0, GICD_ICENABLER + 4, 4, true, 0xFFFFFFFF);
	save(argv[1], "lines");

	memcpy(buf, hdr, FUZZ_HDR_LEN);
	used = FUZZ_HDR_LEN;
	its_generic();
	save(argv[1], "its");
	if (argc == 3 && strcmp(argv[2], "fuzz-its") == 0) {
		memcpy(buf, hdr, FUZZ_HDR_LEN);
		used = FUZZ_HDR_LEN;
		its_direct();
		save(argv[1], "its-direct");
	}
	if (sel_or) {
		memcpy(buf, hdr, FUZZ_HDR_LEN);
		used = FUZZ_HDR_LEN;
		mmio(0, GICD_CTLR, 4, true, GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE);
		line(2, 40, true, false);
		admin();
		save(argv[1], "admin");
	}
	return 0;
}
