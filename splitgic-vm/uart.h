/* SPDX-License-Identifier: MIT */
/*
 * A minimal but real PL011: DR, FR, the interrupt mask/status registers and
 * the ID registers.  Output goes to a file (stdout by default); input comes
 * from a file or stdin through a reader thread into a 256-byte FIFO, and
 * raises SPI 1 (INTID 33, level) when the guest unmasks RX (or RX timeout).
 */
#ifndef SGVM_UART_H
#define SGVM_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define UART_RX_FIFO 256u

struct uart {
	FILE *out;
	bool own_out;
	int in_fd; /* -1: no input */
	bool own_in;
	int stop_fd; /* eventfd ending the reader thread */
	bool thread_running;
	pthread_t thread;

	/* The interrupt line: set_level(ctx, level) on every change. */
	int (*set_level)(void *ctx, bool level);
	void *ctx;

	pthread_mutex_t
		send_lock;    /* orders set_level() calls: the last one sends the latest level */
	pthread_mutex_t lock; /* everything below */
	uint8_t rx[UART_RX_FIFO];
	unsigned rx_head, rx_count;
	bool rx_eof;
	uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, dmacr;
	bool line;
	uint64_t tx_bytes, rx_bytes;
};

/*
 * out_path NULL: stdout.  in_path NULL: stdin; "none": no input.  Returns 0,
 * or -1 with a reason in err.
 */
int uart_init(struct uart *u, const char *out_path, const char *in_path,
	      int (*set_level)(void *ctx, bool level), void *ctx, char *err, size_t errlen);
/* Starts the input thread (when there is input). */
int uart_start(struct uart *u);
void uart_fini(struct uart *u);

uint64_t uart_read(struct uart *u, uint64_t off, unsigned size);
void uart_write(struct uart *u, uint64_t off, unsigned size, uint64_t val);
void uart_flush(struct uart *u);

#endif
