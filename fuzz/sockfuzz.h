/* SPDX-License-Identifier: MIT */
/*
 * gicd-sockfuzz (fuzz/sockfuzz.c): declarations shared by its parts:
 *   sockfuzz.c         main, the command line, the case loop, the executor,
 *                      artifacts and replay;
 *   sockfuzz_daemon.c  starting and stopping the daemon, its log, its
 *                      counters, the health check;
 *   sockfuzz_agent.c   the VM: attach, sequence prediction, I/O, the
 *                      minimal agent, the fd kinds;
 *   sockfuzz_mutate.c  the random source, its edge values, the byte-level
 *                      mutations of a packed datagram;
 *   sockfuzz_msg.c     one random message for a data channel, packed;
 *   sockfuzz_fds.c     fd passing and connection abuse: fd lists, Hellos;
 *   sockfuzz_cases.c   the case generators: kinds, datagrams per channel,
 *                      SPI and ITS flows.
 */
#ifndef SOCKFUZZ_H
#define SOCKFUZZ_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gic_regs.h"
#include "splitgic/attach.h"
#include "vm_shape.h"
#include "wire.h"

#ifndef GICD_SERVER_PATH
#define GICD_SERVER_PATH ""
#endif

/* Safety nets against a hung daemon, not timings: a case waiting this long
 * for an answer is a failure. */
#define WAIT_MS	       30000
#define NR_VCPUS       2u
#define NR_SPIS	       64u
#define NR_ITS	       1u
#define RAM_GPA	       0x40000000ull
#define RAM_SIZE       (1ull << 20)
#define MAX_ACTIONS    48
#define MAX_FDSPEC     256
#define MAX_IDLE       48
#define ARTIFACT_MAGIC "SOCKFUZZ1\n"

/* ----------------------------------------------------------- the actions */

/* Kinds of file descriptor an action passes; created afresh when run. */
enum fd_kind {
	FD_SEQ,		/* one end of a fresh SEQPACKET socketpair (a good channel) */
	FD_SEQ_DEAD,	/* ... whose other end is closed already */
	FD_SAME,	/* the previous fd again (a dup: the same socket twice) */
	FD_PIPE,	/* a pipe's read end */
	FD_FILE,	/* a regular file (unlinked) */
	FD_STREAM,	/* a SOCK_STREAM socketpair end */
	FD_DGRAM,	/* a SOCK_DGRAM socketpair end */
	FD_LISTEN,	/* a listening SEQPACKET socket */
	FD_EVENTFD,	/* an eventfd */
	FD_MEMFD_OK,	/* a memfd covering the RAM regions */
	FD_MEMFD_SMALL, /* a memfd of one page: too small */
	FD_DEVNULL,	/* /dev/null */
	FD_DIR,		/* a directory */
	FD_NR_KINDS
};

enum act_op {
	ACT_SEND,   /* datagram on a data channel (chan), with fds */
	ACT_HELLO,  /* new control connection: datagram with fds, then read the Welcome */
	ACT_CONNS,  /* n control connections at once, each with a behaviour */
	ACT_HANGUP, /* close data channel chan: the VM detaches */
	ACT_FRESH,  /* restart the daemon with no VM attached (a detach) */
	ACT_ITS,    /* ITS commands (data) into the queue in guest RAM, then CWRITER */
	ACT_SHUTRD, /* shutdown(SHUT_RD) of channel chan, then data sent on it: the
		     * daemon learns the VMM is gone from a failed send only */
	ACT_NR_OPS
};

/* ACT_HELLO flags */
#define HF_CREDS   1u /* also SCM_CREDENTIALS */
#define HF_NO_WAIT 2u /* hang up right after sending, without reading the Welcome */
#define HF_SHUT_WR 4u /* shutdown(SHUT_WR) before sending */
#define HF_NOTHING 8u /* connect and hang up without sending */
/* ACT_SEND: a well-formed message whose sequence numbers the executor sets
 * to the channel's next ones (they depend on what came before) */
#define AF_RESEQ 0x100u
/* ACT_CONNS behaviours, one per connection (stored in data[]) */
enum conn_beh { CB_IDLE, CB_HANGUP, CB_JUNK, CB_EMPTY, CB_NR };

struct action {
	uint8_t op;
	uint8_t chan;
	uint16_t flags;
	uint16_t nfds;
	uint8_t fds[MAX_FDSPEC];
	uint32_t len;
	unsigned char *data;
};

struct fcase {
	uint64_t seed, index;
	const char *kind;
	unsigned nr;
	struct action act[MAX_ACTIONS];
	uint64_t base[SG_MAX_VCPUS + 1]; /* each channel's last applied seq at the start */
};

/* ------------------------------------------------------------ the daemon */

struct daemon {
	pid_t pid;
	char dir[128];
	char ctl[192];
	char log[192];
	long log_off; /* how far the log was scanned for sanitizer reports */
	bool exited;
	int status;
};

extern const char *server_path;
extern unsigned verbose;

/* ---------------------------------------------------------------- stats */

#define NR_REJECT_NAMES 9u
extern const char *const reject_names[NR_REJECT_NAMES];

struct sf_stats {
	uint64_t cases, failures, detaches, restarts, hellos_answered, datagrams;
	uint64_t per_kind[16];
	const char *kind_name[16];
	unsigned nr_kinds;
	uint64_t rejects[NR_REJECT_NAMES];
	uint64_t malformed, dups, hello_rejected, hello_busy, hello_ok, conn_refused, conn_early,
		hello_timeouts;
	uint64_t its_cmds, its_errors, msi_delivered, delivers, queries, reads_deferred;
};
extern struct sf_stats st;

/* ------------------------------------------------------------- the VM */

struct fvm {
	struct daemon d;
	struct sg_vm_shape shape;
	struct sg_attachment att;
	bool attached;
	int ram_fd;
	uint64_t last[SG_MAX_VCPUS + 1]; /* predicted last applied seq per channel */
	uint64_t bus_in_max;		 /* highest numbered bus message received */
	uint64_t typer;			 /* GICD_TYPER read at attach */
	/* Answer the daemon's Queries (only between cases: an answer takes a
	 * bus sequence number the case's messages were generated without). */
	bool answer_queries;
	bool its_ready;	    /* GITS_BASER0/1, CBASER and CTLR programmed */
	bool send_failed;   /* an agent answer or Ack could not be sent */
	unsigned base_fds;  /* the daemon's open fds once the VM is attached */
	int idle[MAX_IDLE]; /* connections left idle across cases */
	unsigned nr_idle, idle_ttl;
	unsigned char rx[SG_WIRE_MAX + 1];
	_Alignas(16) unsigned char arena_buf[SG_WIRE_ARENA_SIZE];
	struct sg_arena arena;
};

struct fdset {
	int fd[MAX_FDSPEC];
	unsigned n;
	int keep[MAX_FDSPEC * 2]; /* other ends, closed after the case */
	unsigned nkeep;
};

/* ------------------------------------------------------------- execution */

struct outcome {
	bool detach_ok; /* the case may detach the VM (hang-up, fresh daemon) */
	bool restarted; /* the executor restarted the daemon itself */
	char why[512];	/* a failure, or "" */
};

/* sockfuzz_daemon.c */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void daemon_start(struct daemon *d);
bool daemon_exited(struct daemon *d);
int daemon_wait(struct daemon *d);
void rm_dir(const char *dir);
const char *log_scan(struct daemon *d, char *line, size_t len);
bool log_contains(const struct daemon *d, const char *needle);
void count_kind(const char *kind);
void harvest_counters(const struct daemon *d);
int connect_control(const struct daemon *d);
void restart(struct fvm *v, bool attach, struct outcome *o);
void check_health(struct fvm *v, struct outcome *o, uint64_t index);

/* sockfuzz_agent.c */
int chan_fd(const struct fvm *v, unsigned chan);
enum sg_chan_kind chan_kind(const struct fvm *v, unsigned chan);
void fvm_shape(struct sg_vm_shape *s);
void predict(struct fvm *v, unsigned chan, const void *buf, size_t len, unsigned nfds);
int send_dgram(int fd, const void *buf, size_t len, const int *fds, unsigned nfds, bool creds);
bool send_env(int fd, const Sg__Envelope *env);
int drain_all(struct fvm *v);
const char *mmio_at(struct fvm *v, unsigned chan, uint64_t addr, unsigned size, bool write,
		    bool posted, uint64_t *data);
const char *mmio(struct fvm *v, unsigned chan, uint32_t off, unsigned size, bool write, bool posted,
		 uint64_t *data);
unsigned daemon_fds(const struct daemon *d);
void fvm_detach(struct fvm *v);
void idle_close(struct fvm *v);
int fvm_stop(struct fvm *v);
void fvm_start(struct fvm *v, bool attach);
void fdset_make(struct fdset *s, const uint8_t *kinds, unsigned n);
void fdset_sent(struct fdset *s);
void fdset_end(struct fdset *s);

/* sockfuzz_mutate.c */
void rng_seed(uint64_t s);
uint64_t rnd(void);
uint64_t below(uint64_t n); /* uniform in [0, n) */
bool chance(unsigned percent);
uint64_t edge64(void);
uint32_t edge32(void);
size_t mutate(unsigned char *buf, size_t len, size_t cap, const unsigned char *other, size_t olen);

/* sockfuzz_msg.c */
size_t gen_message(const struct sg_vm_shape *s, enum sg_chan_kind kind, uint64_t *next,
		   unsigned char *buf, size_t cap, bool *in_seq);

/* sockfuzz_fds.c */
void add_fds(struct action *a, unsigned n, bool good);
void gen_hello(struct fcase *c, bool fresh);

/* sockfuzz_cases.c */
void case_free(struct fcase *c);
struct action *case_add(struct fcase *c, enum act_op op, const void *data, size_t len);
void gen_case(struct fcase *c, const struct fvm *v, uint64_t seed, uint64_t index);

/* sockfuzz.c */
void fail(struct outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
