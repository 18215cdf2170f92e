/* SPDX-License-Identifier: MIT */
/*
 * Stand-ins for the few Check assertions harness.c uses, for programs that
 * link the harness without Check (bench/bench_restart.c builds harness.c with
 * -DHARNESS_NO_CHECK).  A failed assertion prints where and why and exits:
 * a benchmark has nothing sensible to do after its daemon misbehaved.
 */
#ifndef SPLITGIC_HARNESS_NOCHECK_H
#define SPLITGIC_HARNESS_NOCHECK_H

#include <stdio.h>
#include <stdlib.h>

#define harness_die_(...)                                                                          \
	do {                                                                                       \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                    \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		exit(70);                                                                          \
	} while (0)

#define ck_assert_msg(cond, ...)                                                                   \
	do {                                                                                       \
		if (!(cond))                                                                       \
			harness_die_(__VA_ARGS__);                                                 \
	} while (0)
#define ck_abort_msg(...) harness_die_(__VA_ARGS__)

#define harness_cmp_(T, a, op, b)                                                                  \
	do {                                                                                       \
		T a_ = (a), b_ = (b);                                                              \
		if (!(a_ op b_))                                                                   \
			harness_die_("assertion %s %s %s failed", #a, #op, #b);                    \
	} while (0)

#define ck_assert_int_eq(a, b)	harness_cmp_(long long, a, ==, b)
#define ck_assert_int_ge(a, b)	harness_cmp_(long long, a, >=, b)
#define ck_assert_int_gt(a, b)	harness_cmp_(long long, a, >, b)
#define ck_assert_uint_ge(a, b) harness_cmp_(unsigned long long, a, >=, b)
#define ck_assert_uint_le(a, b) harness_cmp_(unsigned long long, a, <=, b)
#define ck_assert_uint_lt(a, b) harness_cmp_(unsigned long long, a, <, b)

#endif
