// SPDX-License-Identifier: MIT
#include "uart.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define UARTDR	  0x000u
#define UARTRSR	  0x004u
#define UARTFR	  0x018u
#define UARTILPR  0x020u
#define UARTIBRD  0x024u
#define UARTFBRD  0x028u
#define UARTLCR_H 0x02Cu
#define UARTCR	  0x030u
#define UARTIFLS  0x034u
#define UARTIMSC  0x038u
#define UARTRIS	  0x03Cu
#define UARTMIS	  0x040u
#define UARTICR	  0x044u
#define UARTDMACR 0x048u

#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)

#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)

/* PrimeCell identification: PL011 r1p5 (as QEMU's). */
static const uint8_t periph_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

int uart_init(struct uart *u, const char *out_path, const char *in_path,
	      int (*set_level)(void *ctx, bool level), void *ctx, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	u->in_fd = -1;
	u->stop_fd = -1;
	u->set_level = set_level;
	u->ctx = ctx;
	u->cr = 0x300; /* TXE | RXE, as at reset */
	u->ifls = 0x12;
	pthread_mutex_init(&u->lock, NULL);
	pthread_mutex_init(&u->send_lock, NULL);
	if (out_path) {
		u->out = fopen(out_path, "we");
		if (!u->out) {
			snprintf(err, errlen, "--uart-out %s: %s", out_path, strerror(errno));
			return -1;
		}
		u->own_out = true;
	} else {
		u->out = stdout;
	}
	if (in_path && strcmp(in_path, "none") == 0)
		return 0;
	if (in_path) {
		u->in_fd = open(in_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (u->in_fd < 0) {
			snprintf(err, errlen, "--uart-in %s: %s", in_path, strerror(errno));
			return -1;
		}
		u->own_in = true;
	} else {
		u->in_fd = STDIN_FILENO;
	}
	return 0;
}

/* RIS: RX and RX timeout while the FIFO holds data; TX always (the TX
 * FIFO drains at once). */
static uint32_t ris_locked(const struct uart *u)
{
	return (u->rx_count ? INT_RX | INT_RT : 0) | INT_TX;
}

/* Recomputes the line; returns whether it changed (caller signals it). */
static bool update_line_locked(struct uart *u)
{
	bool level = (ris_locked(u) & u->imsc) != 0;

	if (level == u->line)
		return false;
	u->line = level;
	return true;
}

static void signal_line(struct uart *u, bool changed)
{
	bool level;

	if (!changed || !u->set_level)
		return;
	pthread_mutex_lock(&u->send_lock);
	pthread_mutex_lock(&u->lock);
	level = u->line;
	pthread_mutex_unlock(&u->lock);
	u->set_level(u->ctx, level);
	pthread_mutex_unlock(&u->send_lock);
}

static void *reader_thread(void *arg)
{
	struct uart *u = arg;
	uint8_t buf[64];

	for (;;) {
		struct pollfd p[2] = { { .fd = u->in_fd, .events = POLLIN },
				       { .fd = u->stop_fd, .events = POLLIN } };
		unsigned room;
		ssize_t n;
		bool changed;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		pthread_mutex_lock(&u->lock);
		room = UART_RX_FIFO - u->rx_count;
		pthread_mutex_unlock(&u->lock);
		if (room == 0) {
			/* Full: wait for the guest to read (polled, as flow control). */
			poll(&p[1], 1, 10);
			continue;
		}
		n = read(u->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* EOF or error: no more input */
		pthread_mutex_lock(&u->lock);
		for (ssize_t i = 0; i < n; i++)
			u->rx[(u->rx_head + u->rx_count++) % UART_RX_FIFO] = buf[i];
		u->rx_bytes += (uint64_t)n;
		changed = update_line_locked(u);
		pthread_mutex_unlock(&u->lock);
		signal_line(u, changed);
	}
	pthread_mutex_lock(&u->lock);
	u->rx_eof = true;
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

int uart_start(struct uart *u)
{
	int rc;

	if (u->in_fd < 0)
		return 0;
	u->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (u->stop_fd < 0)
		return -errno;
	rc = pthread_create(&u->thread, NULL, reader_thread, u);
	if (rc)
		return -rc;
	u->thread_running = true;
	return 0;
}

void uart_fini(struct uart *u)
{
	if (u->thread_running) {
		uint64_t one = 1;

		if (write(u->stop_fd, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(u->thread);
		pthread_join(u->thread, NULL);
		u->thread_running = false;
	}
	if (u->stop_fd >= 0)
		close(u->stop_fd);
	if (u->own_in && u->in_fd >= 0)
		close(u->in_fd);
	uart_flush(u);
	if (u->own_out && u->out)
		fclose(u->out);
	u->out = NULL;
	pthread_mutex_destroy(&u->lock);
	pthread_mutex_destroy(&u->send_lock);
}

void uart_flush(struct uart *u)
{
	if (u->out)
		fflush(u->out);
}

uint64_t uart_read(struct uart *u, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	bool changed = false;

	(void)size; /* byte, halfword and word reads see the same register */
	pthread_mutex_lock(&u->lock);
	switch (off & ~3ull) {
	case UARTDR:
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
			u->rx_count--;
			changed = update_line_locked(u);
		}
		break;
	case UARTFR:
		v = FR_TXFE | (u->rx_count ? 0 : FR_RXFE) |
		    (u->rx_count == UART_RX_FIFO ? FR_RXFF : 0);
		break;
	case UARTIBRD: v = u->ibrd; break;
	case UARTFBRD: v = u->fbrd; break;
	case UARTLCR_H: v = u->lcr_h; break;
	case UARTCR: v = u->cr; break;
	case UARTIFLS: v = u->ifls; break;
	case UARTIMSC: v = u->imsc; break;
	case UARTRIS: v = ris_locked(u); break;
	case UARTMIS: v = ris_locked(u) & u->imsc; break;
	case UARTDMACR: v = u->dmacr; break;
	default:
		if (off >= 0xFE0 && off < 0x1000)
			v = periph_id[(off - 0xFE0) / 4];
		break;
	}
	pthread_mutex_unlock(&u->lock);
	signal_line(u, changed);
	return v;
}

void uart_write(struct uart *u, uint64_t off, unsigned size, uint64_t val)
{
	bool changed = false;

	(void)size;
	pthread_mutex_lock(&u->lock);
	switch (off & ~3ull) {
	case UARTDR:
		fputc((int)(val & 0xff), u->out);
		if ((val & 0xff) == '\n')
			fflush(u->out);
		u->tx_bytes++;
		break;
	case UARTIBRD: u->ibrd = (uint32_t)val & 0xffff; break;
	case UARTFBRD: u->fbrd = (uint32_t)val & 0x3f; break;
	case UARTLCR_H: u->lcr_h = (uint32_t)val & 0xff; break;
	case UARTCR: u->cr = (uint32_t)val & 0xffff; break;
	case UARTIFLS: u->ifls = (uint32_t)val & 0x3f; break;
	case UARTIMSC:
		u->imsc = (uint32_t)val & 0x7ff;
		changed = update_line_locked(u);
		break;
	case UARTICR: break; /* RX/RT follow the FIFO, TX is always set */
	case UARTDMACR: u->dmacr = (uint32_t)val & 7; break;
	default: break; /* RSR/ECR and read-only registers */
	}
	pthread_mutex_unlock(&u->lock);
	signal_line(u, changed);
}
