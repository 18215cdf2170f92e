// SPDX-License-Identifier: MIT
/* PL011 transmit path and the console lock. */
#include "uart.h"
#include "atomic.h"
#include "mmio.h"

#define UARTDR	 0x000
#define UARTFR	 0x018
#define FR_TXFF	 BIT(5)
#define FR_BUSY	 BIT(3)
#define PRINTBUF 512

static spinlock_t console_lock;

static void uart_putc_raw(char c)
{
	/* Bounded so a missing or stuck UART cannot hang the program. */
	for (int i = 0; i < 100000 && (readl(PL011_BASE + UARTFR) & FR_TXFF); i++)
		;
	writel(PL011_BASE + UARTDR, (u8)c);
}

static void uart_write(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			uart_putc_raw('\r');
		uart_putc_raw(*s);
	}
}

void uart_puts(const char *s)
{
	u64 flags = spin_lock_irqsave(&console_lock);
	uart_write(s);
	spin_unlock_irqrestore(&console_lock, flags);
}

void vprintf(const char *fmt, va_list ap)
{
	char buf[PRINTBUF];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	uart_puts(buf);
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
