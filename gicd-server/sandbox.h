/* SPDX-License-Identifier: MIT */
/*
 * The daemon's sandbox (DESIGN §7, docs/gicd-server.md "Sandbox"): once the
 * control socket is open and any saved VM is restored, the process gives up
 * root (--user), every capability and the ability to gain privileges, and
 * installs a seccomp filter allowing only the system calls serving a VM
 * needs.  A blocked call ends the process with GICD_EXIT_SANDBOX and one
 * log line naming the call: under systemd, Restart=on-failure brings the
 * daemon back with the VM's state from the fd store.
 */
#ifndef GICD_SANDBOX_H
#define GICD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* Exit status of a process stopped by the seccomp filter. */
#define GICD_EXIT_SANDBOX 3

/*
 * Switches to user `user` (name or numeric uid; its primary group, no
 * supplementary groups) when running as root, then drops every capability
 * and sets no_new_privs.  user NULL: stays who it is (root keeps no
 * capability either).  Returns 0, -EINVAL for a configuration error (not
 * root, unknown user) or -1, with a reason in why.
 */
int sandbox_drop_privileges(const char *user, char *why, size_t whylen);

/*
 * Installs the seccomp filter for the rest of the process's life.  Returns
 * 0, or -1 with a reason in why.  Needs no_new_privs (or CAP_SYS_ADMIN).
 */
int sandbox_install_seccomp(char *why, size_t whylen);

/* Whether the filter counts the sanitizer runtimes' extra calls as needed
 * (an ASan/UBSan/LSan build: leak checking at exit ptraces the threads). */
bool sandbox_sanitizer_build(void);

#endif
