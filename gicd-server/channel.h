/* SPDX-License-Identifier: MIT */
/*
 * One data channel of an attached VM (an MMIO channel or the bus): taking
 * datagrams off the socket and decoding them, and sending the daemon's
 * messages without ever blocking: what the socket does not take at once
 * waits in an ordered output queue flushed when the socket is writable.
 * On the bus, messages sent between channel_batch_begin() and
 * channel_batch_end() are coalesced, in order, into Batch datagrams, and the
 * messages for the redistributors are numbered (Envelope.seq) so the agent
 * can drop duplicates after a daemon restart.
 */
#ifndef GICD_CHANNEL_H
#define GICD_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "wire.h"

struct event_base;
struct event;
struct evbuffer;

/* A receive buffer and, in the same allocation, a decoding arena whose
 * start is aligned for any struct protobuf-c decodes into it. */
#define CHANNEL_RX_SIZE	     (SG_WIRE_MAX + 1u)
#define CHANNEL_ARENA_OFFSET ((CHANNEL_RX_SIZE + 63u) & ~63u)
#define CHANNEL_RX_ALLOC     (CHANNEL_ARENA_OFFSET + SG_WIRE_ARENA_SIZE)

/* Most messages waiting in one channel's output queue; beyond it the VMM is
 * not reading and the VM is detached (logged at error level).  Why: the
 * queue is the one thing a VMM that stops reading makes the daemon grow;
 * 65536 messages (about 2 MiB) is far more than a reading VMM ever leaves
 * behind (a socket buffer holds a few hundred datagrams). */
#define CHANNEL_TXQ_MAX 65536u

struct channel_stats {
	uint64_t rx;	      /* datagrams received */
	uint64_t applied;     /* messages applied to the core */
	uint64_t dups;	      /* sequenced messages at or below last_applied */
	uint64_t early;	      /* after a restore, ahead of the sender's replay: dropped */
	uint64_t malformed;   /* in sequence but invalid: seq consumed, not applied */
	uint64_t tx;	      /* messages sent (or queued) to the VMM */
	uint64_t tx_queued;   /* of those, messages that had to wait in the queue */
	uint64_t txq_peak;    /* most messages queued at once */
	uint64_t tx_batches;  /* Batch datagrams sent (or queued) */
	uint64_t tx_batched;  /* messages that travelled in them */
	uint64_t budget_hits; /* drain passes cut short by the per-channel bound */
	uint64_t rejects[SG_WIRE_NR_ERRS]; /* per enum sg_wire_err */
};

struct channel {
	unsigned index; /* core channel number: MMIO 0..n-1, bus n */
	enum sg_chan_kind kind;
	char name[16]; /* "mmio3", "bus": for logs */
	int fd;
	uint64_t last_applied; /* highest sequence number applied */
	/* Restored after a restart: until the sender's replay starts, messages
	 * it sent before seeing Resume arrive with a gap; they come again in
	 * the replay, so they are dropped quietly (stats.early). */
	bool awaiting_replay;
	struct event *rd_ev;
	struct event *wr_ev;
	struct evbuffer *txq;	     /* u16 length, u16 messages, datagram; in order */
	uint64_t txq_len;	     /* datagrams in txq */
	uint64_t txq_msgs;	     /* messages in them (a Batch counts its messages) */
	struct channel_batch *batch; /* bus only: messages being coalesced */
	bool broken;		     /* hangup, hard error or queue overflow: VM must go */
	bool held;		     /* outputs wait in txq until channel_release() */
	uint64_t held_msgs;	     /* messages queued while held */
	uint64_t out_seq;	     /* bus: the last sequence number given a message */
	const struct channel_ops *ops;
	struct channel_stats stats;
};

/* Outcome of taking one datagram off a channel. */
enum channel_rx {
	CHANNEL_RX_MSG,	   /* *env is a decoded envelope (valid until the next decode) */
	CHANNEL_RX_REJECT, /* a datagram was dropped; counted and logged */
	CHANNEL_RX_AGAIN,  /* nothing queued */
	CHANNEL_RX_GONE,   /* hangup or hard error: ch->broken is set */
};

/* What a channel tells its owner (the VM session). */
struct channel_ops {
	void (*readable)(struct channel *ch, void *arg);
	/* A send or the output queue failed (peer gone or not reading), from
	 * whatever path sent: ch->broken is set.  May run inside a send. */
	void (*broken)(struct channel *ch, void *arg);
	/* Bus: a datagram carrying numbered messages up to last_seq was produced
	 * (the session keeps it until the agent acknowledges it).  May be NULL. */
	void (*retain)(struct channel *ch, const unsigned char *dgram, size_t len,
		       uint64_t last_seq, void *arg);
	void *arg;
};

/*
 * Sets up ch for fd (made non-blocking) with events on base; ops must
 * outlive ch.  On failure returns a negative errno and leaves fd open.
 */
int channel_init(struct channel *ch, struct event_base *base, unsigned index,
		 enum sg_chan_kind kind, int fd, const struct channel_ops *ops);
/* Frees events and queue and closes the fd. */
void channel_fini(struct channel *ch);

/*
 * Receives and decodes one datagram into arena, using rxbuf (CHANNEL_RX_SIZE
 * bytes).  Envelope-level problems (size, fds, decoding, version, body) are
 * rejected and counted here.
 */
enum channel_rx channel_recv(struct channel *ch, unsigned char *rxbuf, struct sg_arena *arena,
			     Sg__Envelope **env);

/* Counts and logs (rate-limited) a rejected message. */
void channel_reject(struct channel *ch, enum sg_wire_err err, uint64_t seq, const char *why);

/*
 * Sends env, or queues it if the socket is full; on failure sets ch->broken
 * and calls ops->broken.
 * While a batch is open on the bus, a message that may travel in a Batch
 * (docs/protocol.md) is appended to it instead; anything else first sends
 * what was appended, so the order on the socket is the order of the calls.
 */
void channel_send(struct channel *ch, const Sg__Envelope *env);

/* Sends an already packed datagram of nmsgs messages as it is (a retained
 * bus datagram sent again after a restart): not numbered, not retained. */
void channel_send_raw(struct channel *ch, const unsigned char *dgram, size_t len, unsigned nmsgs);

/*
 * Holding (DESIGN §6, docs/restart.md): while held, every datagram waits in
 * the output queue; release sends them, in order, once the state that
 * produced them is durable.
 */
void channel_hold(struct channel *ch);
void channel_release(struct channel *ch);

/*
 * Coalescing on the bus (no-ops on other channels): begin opens a batch;
 * flush sends what it holds now (one message alone, several as one Batch
 * datagram; a batch is also sent whenever it reaches SG_WIRE_MAX_BATCH
 * messages or SG_WIRE_MAX bytes); end flushes and closes it.
 */
void channel_batch_begin(struct channel *ch);
void channel_batch_flush(struct channel *ch);
void channel_batch_end(struct channel *ch);
/* Messages waiting in the open batch. */
unsigned channel_batch_pending(const struct channel *ch);

/* One log line with this channel's counters. */
void channel_log_stats(const struct channel *ch, enum sg_log_level level);

#endif
