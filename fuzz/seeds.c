// SPDX-License-Identifier: MIT
/*
 * Writes seed inputs for the fuzz targets (format: fuzz_input.h) into the
 * directory given as argument: a Linux-like distributor init, device lines,
 * GICD reads of pending state and bus replies, so fuzzing starts deep in
 * the protocol rather than at random bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gic_regs.h"
#include "wire.h"

static unsigned char buf[1 << 16];
static size_t used;

static void put(unsigned chan, const Sg__Envelope *env)
{
	unsigned char tmp[SG_WIRE_MAX];
	ssize_t n = sg_wire_pack(env, tmp, sizeof(tmp));
	uint16_t len = (uint16_t)n;

	if (n < 0 || used + 3 + (size_t)n > sizeof(buf))
		exit(1);
	buf[used++] = (unsigned char)chan;
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
	/* Header: 2 vCPUs (bus = channel 2), 64 SPIs, one ITS; answer bits. */
	const unsigned char hdr[2] = { 0x11, 0x5A };

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	memcpy(buf, hdr, 2);
	used = 2;
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

	memcpy(buf, hdr, 2);
	used = 2;
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
	return 0;
}
