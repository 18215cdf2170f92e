// SPDX-License-Identifier: MIT
#include "sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
	__has_feature(memory_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifndef SANITIZER_BUILD
#define SANITIZER_BUILD 0
#endif

bool sandbox_sanitizer_build(void)
{
	return SANITIZER_BUILD;
}

/* ------------------------------------------------------------ privileges */

static int lookup_user(const char *user, uid_t *uid, gid_t *gid, char *why, size_t whylen)
{
	struct passwd *pw;
	char *end;
	unsigned long v;

	errno = 0;
	pw = getpwnam(user);
	if (!pw && user[0] >= '0' && user[0] <= '9') {
		v = strtoul(user, &end, 10);
		if (*end == '\0' && v < (uid_t)-1)
			pw = getpwuid((uid_t)v);
	}
	if (!pw) {
		snprintf(why, whylen, "unknown user '%s'", user);
		return -EINVAL;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Empties the bounding set, then the effective/permitted/inheritable sets. */
static int drop_capabilities(char *why, size_t whylen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM) {
			snprintf(why, whylen, "dropping capability %d: %s", cap, strerror(errno));
			return -1;
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* Nothing to clear (an unprivileged user, DynamicUser=): capset may
	 * well be filtered already (SystemCallFilter=~@privileged). */
	if (syscall(SYS_capget, &hdr, data) == 0 &&
	    !(data[0].effective | data[0].permitted | data[0].inheritable | data[1].effective |
	      data[1].permitted | data[1].inheritable))
		return 0;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(why, whylen, "clearing capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_drop_privileges(const char *user, char *why, size_t whylen)
{
	uid_t uid;
	gid_t gid;

	if (user) {
		if (geteuid() != 0) {
			snprintf(why, whylen, "--user needs the daemon to start as root");
			return -EINVAL;
		}
		if (lookup_user(user, &uid, &gid, why, whylen) < 0)
			return -EINVAL;
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			snprintf(why, whylen, "switching to user '%s': %s", user, strerror(errno));
			return -1;
		}
		/* No way back. */
		if (uid != 0 && setuid(0) == 0) {
			snprintf(why, whylen, "could regain root after switching to '%s'", user);
			return -1;
		}
	}
	if (drop_capabilities(why, whylen) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- seccomp */

/*
 * What serving a VM needs after setup: the event loop, the sockets (and fds
 * passed over them), guest RAM and state mappings, the state file, logging,
 * sd_notify.  Names, so a call the architecture lacks is simply skipped.
 */
/* clang-format off */
static const char *const allowed[] = {
	/* I/O on fds already open, and the state file */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close",
	"fstat", "newfstatat", "statx", "fcntl", "dup", "dup3", "openat", "unlink",
	"unlinkat", "ftruncate", "fallocate", "fsync", "fdatasync", "msync",
	"memfd_create", "getrandom",
	/* memory (mmap and mprotect: below, without PROT_EXEC) */
	"munmap", "mremap", "madvise", "brk",
	/* sockets (socket: below, AF_UNIX only) */
	"accept4", "recvmsg", "sendmsg", "recvfrom", "sendto", "getsockopt",
	"setsockopt", "getsockname", "getpeername", "shutdown", "connect",
	/* the event loop */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "epoll_create1", "poll", "ppoll",
	"pipe2",
	/* signals (tgkill: below, to this process only) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	/* time */
	"clock_gettime", "clock_getres", "gettimeofday", "nanosleep",
	"clock_nanosleep",
	/* the process itself */
	"exit", "exit_group", "getpid", "gettid", "getppid", "getuid", "geteuid",
	"getgid", "getegid", "futex", "set_robust_list", "rseq", "sched_yield",
	"restart_syscall", "uname",
};

/* The sanitizer runtimes: reports read /proc; leak checking at exit stops
 * the threads from a ptracing clone.  Only in those builds. */
static const char *const allowed_sanitizer[] = {
	"clone", "clone3", "ptrace", "wait4", "waitid", "prctl", "getdents",
	"getdents64", "readlinkat", "readlink", "open", "kill", "tgkill",
	"sched_getaffinity", "process_vm_readv", "getrlimit", "prlimit64",
	"setrlimit", "mincore", "pipe",
};
/* clang-format on */

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	static const char head[] = "<3>gicd-server: sandbox: blocked system call ";
	static const char tail[] = "; stopping\n";
	char num[16];
	int n = 0, v = si->si_syscall;

	(void)sig;
	(void)ctx;
	/* Async-signal-safe: digits by hand, write(2), _exit(2). */
	if (v < 0)
		v = 0;
	do {
		num[sizeof(num) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(num));
	if (write(STDERR_FILENO, head, sizeof(head) - 1) < 0 ||
	    write(STDERR_FILENO, num + sizeof(num) - n, (size_t)n) < 0 ||
	    write(STDERR_FILENO, tail, sizeof(tail) - 1) < 0) {
		/* nothing more to say */
	}
	_exit(GICD_EXIT_SANDBOX);
}

static int allow(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0; i++)
		rc = allow(ctx, allowed[i]);
	if (SANITIZER_BUILD)
		for (size_t i = 0;
		     i < sizeof(allowed_sanitizer) / sizeof(allowed_sanitizer[0]) && !rc; i++)
			rc = allow(ctx, allowed_sanitizer[i]);
	/* No executable memory (MemoryDenyWriteExecute in the unit, here too). */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* Unix sockets only (sd_notify opens one per message). */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* abort() signals this process; nothing else may be signalled. */
	if (!rc && !SANITIZER_BUILD)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	return rc;
}

int sandbox_install_seccomp(char *why, size_t whylen)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	int rc;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		snprintf(why, whylen, "SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	/* Anything else traps; other architectures (x32, i386 on x86-64) are
	 * refused by the filter's architecture check. */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(why, whylen, "seccomp_init failed");
		return -1;
	}
	rc = add_rules(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(why, whylen, "seccomp filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
