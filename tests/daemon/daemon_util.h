/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the daemon tests: a started daemon with an attached VM
 * and its MMIO channels, raw datagrams, and Hellos built by hand.
 */
#ifndef SPLITGIC_TEST_DAEMON_UTIL_H
#define SPLITGIC_TEST_DAEMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "mmio_chan.h"
#include "wire.h"

#define UTIL_MAX_VCPUS 8u

/* A daemon with one VM attached and an mmio_chan per vCPU. */
struct vm {
	struct harness_daemon d;
	struct sg_vm_shape shape;
	struct sg_attachment att;
	struct mmio_chan ch[UTIL_MAX_VCPUS];
	uint64_t bus_seq; /* next sequence number on the bus */
};

void vm_start(struct vm *vm, unsigned nr_vcpus, unsigned nr_spis, const char *const *extra);
/* Stops the daemon, asserts exit code 0, closes everything. */
void vm_stop(struct vm *vm);

/* GICD register address of the VM. */
uint64_t gicd(const struct vm *vm, uint32_t offset);

uint64_t vm_read(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size);
void vm_post(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size, uint64_t val);

/*
 * A waited-for Mmio sent by hand with the channel's next sequence number;
 * returns the reply's status and stores its data.
 */
Sg__MmioReply__Status vm_call_status(struct vm *vm, unsigned vcpu, uint64_t addr, unsigned size,
				     bool write, uint64_t data, uint64_t *out);

/* The daemon is alive and answers a read of GICD_IIDR on vcpu's channel. */
void vm_assert_healthy(struct vm *vm, unsigned vcpu);

/* The daemon is alive and attaches a good VM (2 vCPUs, 64 SPIs) through
 * d's control socket, whose channel answers a read of GICD_IIDR. */
void assert_takes_good_vm(struct harness_daemon *d);

void send_raw(int fd, const void *buf, size_t len, const int *fds, unsigned nfds);
void send_env(int fd, const Sg__Envelope *env);
/* An Envelope with one Mmio body (version as given). */
void send_mmio(int fd, uint32_t version, uint64_t seq, uint64_t addr, unsigned size, bool write,
	       bool posted, uint64_t data);
/* Waits for the next datagram on fd: must be an MmioReply; copied out. */
void recv_reply(int fd, uint64_t *seq, uint64_t *data, Sg__MmioReply__Status *status);
/* Waits until the daemon has exited, without reaping it (its log stays). */
void wait_daemon_exit(struct harness_daemon *d);
/* True if a datagram is waiting on fd right now. */
bool has_pending(int fd);

/*
 * Connects to the control socket, sends env with fds and returns the
 * Welcome status (-1 if the daemon closed without a Welcome); reason gets
 * its reason text.
 */
int hello_exchange(const char *control_path, const Sg__Envelope *env, const int *fds, unsigned nfds,
		   char *reason, size_t reason_len);
/* The same with a datagram given as bytes. */
int hello_exchange_raw(const char *control_path, const void *msg, size_t len, const int *fds,
		       unsigned nfds, char *reason, size_t reason_len);

#endif
