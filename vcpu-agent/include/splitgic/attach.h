/* SPDX-License-Identifier: MIT */
/*
 * Attaching a VM to gicd-server: connect to its control socket, send Hello
 * with one MMIO socketpair end per vCPU, the bus end and the guest RAM memfds
 * (SCM_RIGHTS), and read the Welcome.
 */
#ifndef SPLITGIC_ATTACH_H
#define SPLITGIC_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "vm_shape.h"

struct sg_ram_desc {
	uint64_t gpa;
	uint64_t size;
	int fd; /* memfd (or other mappable fd) backing the range */
	uint64_t fd_offset;
};

struct sg_attachment {
	unsigned nr_vcpus;
	int mmio_fd[SG_MAX_VCPUS]; /* VMM ends of the MMIO channels */
	int bus_fd;		   /* VMM end of the interrupt bus */
	uint64_t epoch;
	/* applied_seq[i] for MMIO channel i, applied_seq[nr_vcpus] for the bus */
	uint64_t applied_seq[SG_MAX_VCPUS + 1];
	unsigned char resume_token[64];
	size_t resume_token_len;
	char daemon_version[64];
};

/*
 * Attaches; on success fills *att and returns 0.  On failure returns a
 * negative errno and writes a one-line reason into err.  timeout_ms bounds
 * the connect and the wait for Welcome.
 */
int sg_attach(const char *control_path, const char *vm_name, const struct sg_vm_shape *shape,
	      const struct sg_ram_desc *ram, unsigned nr_ram, const void *resume_token,
	      size_t resume_token_len, int timeout_ms, struct sg_attachment *att, char *err,
	      size_t errlen);

/* Closes the channel fds of an attachment. */
void sg_attachment_close(struct sg_attachment *att);

#endif
