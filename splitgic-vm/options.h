/* SPDX-License-Identifier: MIT */
/* Command line of splitgic-vm (docs/vmm.md, "Options"). */
#ifndef SGVM_OPTIONS_H
#define SGVM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of docs/splitgic-vm.md. */
#define VM_EXIT_TIMEOUT	  124
#define VM_EXIT_VMM_ERROR 125
#define VM_EXIT_BAD_ARGS  126

struct options {
	const char *image;	 /* ELF or flat image */
	unsigned cpus;		 /* 1..VM_MAX_CPUS */
	unsigned mem_mib;	 /* RAM size */
	unsigned lrs;		 /* List registers per vCPU, 1..16 */
	unsigned spis;		 /* SPIs the distributor implements */
	const char *connect;	 /* control socket of a running gicd-server, or NULL */
	const char *gicd_server; /* daemon binary to spawn, or NULL for the default */
	bool embedded;		 /* --embedded: the GIC's core in this process (docs/embedded.md) */
	const char *vm_name;	 /* VM name in Hello (and --vm of a spawned daemon) */
	const char *uart_in;	 /* NULL: stdin; "none": no input */
	const char *uart_out;	 /* NULL: stdout */
	double timeout_s;	 /* 0: none */
	bool has_load_iterations; /* /chosen splitgic,load-iterations */
	uint32_t load_iterations;
	bool summary;		   /* print the statistics summary at exit */
	unsigned restart_every_ms; /* restart the spawned gicd-server (restarter.h), 0: never */
	bool has_first_restart;	   /* --first-restart given */
	unsigned first_restart_ms; /* delay of the first restart (0: before the guest starts) */
	int log_level;		   /* enum sg_log_level */
	const char *log_file;	   /* log lines (ours, the agent's, the daemon's) here, or NULL */
	unsigned slice_insns;	   /* scheduler time slice, in guest instructions */
	bool help, version;
};

/*
 * Parses argv into *o (defaults first).  Returns 0, or VM_EXIT_BAD_ARGS after
 * writing one line saying why to err.
 */
int options_parse(struct options *o, int argc, char **argv, FILE *err);
void options_usage(FILE *f, const char *prog);

#endif
