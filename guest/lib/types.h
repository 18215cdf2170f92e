/* SPDX-License-Identifier: MIT */
/* Fixed-width types and bit helpers for the freestanding guest runtime. */
#ifndef GUEST_TYPES_H
#define GUEST_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define BIT(n)		 (1u << (n))
#define BIT64(n)	 (1ull << (n))
#define GENMASK(h, l)	 (((~0u) << (l)) & (~0u >> (31 - (h))))
#define GENMASK64(h, l)	 (((~0ull) << (l)) & (~0ull >> (63 - (h))))
#define FIELD(v, h, l)	 ((u64)(((v) >> (l)) & ((1ull << ((h) - (l) + 1)) - 1)))
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + (a)-1) & ~((u64)(a)-1))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define __noreturn	 __attribute__((noreturn))
#define __printf(a, b)	 __attribute__((format(printf, a, b)))
#define __aligned(n)	 __attribute__((aligned(n)))
#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif
