// SPDX-License-Identifier: MIT
#include "test.h"
#include "atomic.h"
#include "psci.h"
#include "smp.h"
#include "testdev.h"
#include "uart.h"

static u32 n_checks, n_failed;

bool check(bool cond, const char *fmt, ...)
{
	atomic_add(&n_checks, 1);
	if (cond)
		return true;
	atomic_add(&n_failed, 1);

	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("  FAIL [cpu%d]: %s\n", this_cpu(), msg);
	return false;
}

static void print_prefixed(const char *prefix, const char *fmt, va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	printf("%s%s\n", prefix, msg);
}

void test_section(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("== ", fmt, ap);
	va_end(ap);
}

void test_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("   ", fmt, ap);
	va_end(ap);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("   SKIP: ", fmt, ap);
	va_end(ap);
}

u32 test_failures(void)
{
	return atomic_load(&n_failed);
}

u32 test_checks(void)
{
	return atomic_load(&n_checks);
}

void guest_exit(u32 status)
{
	testdev_exit(status);
	psci_system_off();
}

void test_exit(void)
{
	u32 failed = test_failures();

	printf("%s: %u checks, %u failed\n", test_name, test_checks(), failed);
	if (failed) {
		printf("RESULT: FAIL (%u)\n", failed);
		guest_exit(EXIT_FAIL);
	}
	printf("RESULT: PASS\n");
	guest_exit(EXIT_PASS);
}

void test_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_prefixed("FATAL: ", fmt, ap);
	va_end(ap);
	printf("%s: %u checks, %u failed, then a fatal error\n", test_name, test_checks(),
	       test_failures());
	printf("RESULT: FAIL (%u)\n", test_failures() + 1);
	guest_exit(EXIT_FATAL);
}
