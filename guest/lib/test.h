/* SPDX-License-Identifier: MIT */
/*
 * Test results: every check counts; a failed one prints its message with the
 * CPU it ran on.  The run ends with "RESULT: PASS" or "RESULT: FAIL (n)".
 */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include "types.h"

#define EXIT_PASS  0
#define EXIT_FAIL  1
#define EXIT_FATAL 2

/* Each program defines this; the runtime calls it on the boot CPU with IRQs enabled. */
void test_main(void);
extern const char test_name[];

bool check(bool cond, const char *fmt, ...) __printf(2, 3);
void test_section(const char *fmt, ...) __printf(1, 2);
void test_info(const char *fmt, ...) __printf(1, 2);
void test_skip(const char *fmt, ...) __printf(1, 2);
u32 test_failures(void);
u32 test_checks(void);
/* Print the summary and stop the machine with the matching status. */
void test_exit(void) __noreturn;
void test_fatal(const char *fmt, ...) __noreturn __printf(1, 2);
/* Stop the machine: test device EXIT if present, then PSCI SYSTEM_OFF. */
void guest_exit(u32 status) __noreturn;

#endif
