/* SPDX-License-Identifier: MIT */
/*
 * Shared by the resource-cap tests (test_caps_control.c, test_caps_channel.c,
 * test_caps_its.c; docs/gicd-server.md "Limits"): the daemon's log and
 * counters, raw MMIO, the bus taken by hand, and Hellos built by hand.
 */
#ifndef CAPS_UTIL_H
#define CAPS_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon_util.h"
#include "gic_regs.h"
#include "harness.h"
#include "vm_shape.h"
#include "wire.h"

#define SPI(n) (GIC_SPI_BASE + (n))

/* Safety net against a hung daemon: not a synchronisation. */
#define SAFETY_NET_MS 60000

#define SENTINEL_SESSION "counters guest ram:"
#define SENTINEL_CONTROL "counters control:"

uint64_t now_ms(void);
/* Waits until the daemon's log has at least n lines containing needle. */
void wait_log(const struct harness_daemon *d, const char *needle, unsigned n);
/* SIGUSR1, then waits for the last counters line (sentinel) to be logged. */
void log_counters(const struct harness_daemon *d, const char *sentinel);
/* A posted write sent by hand (no agent replay log in the way). */
void post_raw(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size, uint64_t val);
uint64_t read_raw(struct vm *vm, unsigned vcpu, uint64_t addr);
/* The daemon detached the VM by itself and exited 0. */
void assert_detached(struct vm *vm);
/* SPIs 32..63 enabled, Group 1, Group 1 enabled: pending state goes out. */
void spis_deliverable(struct vm *vm);

/* ---------------------------------------------------- the bus, by hand */

/* The decoding arena for datagrams the tests take themselves. */
extern _Alignas(16) unsigned char bus_arena[SG_WIRE_ARENA_SIZE];

struct bus_seen {
	unsigned datagrams;
	unsigned queries;
	uint64_t query_id[256];
	uint32_t query_intid[256];
	unsigned query_vcpu[256];
	unsigned delivers;
	uint32_t last_deliver_intid;
};

/* Takes every datagram queued on the bus now (never acknowledging). */
void bus_drain(struct vm *vm, struct bus_seen *b);
/* Waits until the bus brought at least delivers Delivers and queries Queries. */
void bus_wait(struct vm *vm, struct bus_seen *b, unsigned delivers, unsigned queries);
void send_query_reply(struct vm *vm, uint64_t id, unsigned vcpu, uint32_t intid, bool pending);

/* ----------------------------------------------- Hellos built by hand */

#define RAM_GPA	 0x40000000ull
#define RAM_SIZE (16u << 20)

struct hello_build {
	struct sg_vm_shape shape;
	Sg__Hello hello;
	Sg__AddressMap am;
	Sg__RamRegion ram[SG_MAX_RAM_REGIONS + 1], *ram_ptrs[SG_MAX_RAM_REGIONS + 1];
	Sg__Envelope env;
	int fds[SG_WIRE_MAX_FDS];
	unsigned nfds;
	int owned[2 * SG_WIRE_MAX_FDS];
	unsigned nowned;
};

/* Records fd as b's to close in hb_fini(); returns it. */
int own(struct hello_build *b, int fd);
/* A good Hello for 2 vCPUs and 64 SPIs with its channels; no RAM. */
void hb_init(struct hello_build *b);
void hb_fini(struct hello_build *b);
/* Sends b and checks the Welcome's status and reason, and the log line. */
void hello_expect(struct harness_daemon *d, struct hello_build *b, int status, const char *reason);

#endif
