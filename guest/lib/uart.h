/* SPDX-License-Identifier: MIT */
/* Console output on the PL011 UART, with a printf subset (%d %u %x %lx %s %c %p). */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include "types.h"

#define PL011_BASE 0x09000000ull

void uart_puts(const char *s);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
/* Whole lines stay intact when several CPUs print at once. */
void printf(const char *fmt, ...) __printf(1, 2);
void vprintf(const char *fmt, va_list ap);

#endif
