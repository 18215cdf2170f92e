// SPDX-License-Identifier: MIT
/* PSCI decisions and argument errors, against a fake machine of 4 CPUs
 * (MPIDRs 0, 1, 2 and 0x100). */
#include <string.h>

#include "check_run.h"
#include "psci.h"

static const uint64_t mpidr[4] = { 0, 1, 2, 0x100 };

static struct fake {
	enum psci_cpu_state state[4];
	unsigned on_calls, off_calls, system_off_calls;
	unsigned on_idx, off_idx;
	uint64_t on_entry, on_ctx;
} f;

static int by_aff(void *ctx, uint64_t aff)
{
	(void)ctx;
	for (int i = 0; i < 4; i++)
		if (mpidr[i] == aff)
			return i;
	return -1;
}

static enum psci_cpu_state state(void *ctx, unsigned idx)
{
	(void)ctx;
	return f.state[idx];
}

static bool entry_valid(void *ctx, uint64_t a)
{
	(void)ctx;
	return a >= 0x40000000 && a < 0x50000000;
}

static void cpu_on(void *ctx, unsigned idx, uint64_t entry, uint64_t c)
{
	(void)ctx;
	f.on_calls++;
	f.on_idx = idx;
	f.on_entry = entry;
	f.on_ctx = c;
	f.state[idx] = PSCI_CPU_ON;
}

static void cpu_off(void *ctx, unsigned self)
{
	(void)ctx;
	f.off_calls++;
	f.off_idx = self;
	f.state[self] = PSCI_CPU_OFF;
}

static void system_off(void *ctx)
{
	(void)ctx;
	f.system_off_calls++;
}

static const struct psci_ops ops = { by_aff, state, entry_valid, cpu_on, cpu_off, system_off };

static int64_t call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return psci_call(&ops, NULL, 0, fn, a1, a2, a3);
}

static void setup(void)
{
	memset(&f, 0, sizeof(f));
	f.state[0] = PSCI_CPU_ON;
}

START_TEST(version_and_features)
{
	static const uint32_t fns[] = { PSCI_0_2_FN_VERSION,	PSCI_0_2_FN_CPU_OFF,
					PSCI_0_2_FN64_CPU_ON,	PSCI_0_2_FN64_AFFINITY,
					PSCI_0_2_FN_SYSTEM_OFF, PSCI_1_0_FN_PSCI_FEATURES };

	ck_assert_int_eq(call(PSCI_0_2_FN_VERSION, 0, 0, 0), 0x10000);
	for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		ck_assert_int_eq(call(PSCI_1_0_FN_PSCI_FEATURES, fns[i], 0, 0), 0);
	/* CPU_SUSPEND, SYSTEM_RESET, the SMC32 CPU_ON, nonsense. */
	ck_assert_int_eq(call(PSCI_1_0_FN_PSCI_FEATURES, 0xC4000001, 0, 0), PSCI_RET_NOT_SUPPORTED);
	ck_assert_int_eq(call(PSCI_1_0_FN_PSCI_FEATURES, 0x84000009, 0, 0), PSCI_RET_NOT_SUPPORTED);
	ck_assert_int_eq(call(PSCI_1_0_FN_PSCI_FEATURES, 0x84000003, 0, 0), PSCI_RET_NOT_SUPPORTED);
	ck_assert_int_eq(call(PSCI_1_0_FN_PSCI_FEATURES, 0x12345678, 0, 0), PSCI_RET_NOT_SUPPORTED);
	/* An unknown function is NOT_SUPPORTED, and does nothing. */
	ck_assert_int_eq(call(0x84000009, 0, 0, 0), PSCI_RET_NOT_SUPPORTED);
	ck_assert_int_eq(call(0xC2000000, 1, 0x40080000, 0), PSCI_RET_NOT_SUPPORTED);
	ck_assert_uint_eq(f.on_calls + f.off_calls + f.system_off_calls, 0);
	/* SMCCC: the ID is w0, upper bits of x0 ignored. */
	ck_assert_int_eq(call(0xffffffff00000000ull | PSCI_0_2_FN_VERSION, 0, 0, 0), 0x10000);
}
END_TEST

START_TEST(cpu_on_success)
{
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 0x100, 0x40080040, 0xabcdef), 0);
	ck_assert_uint_eq(f.on_calls, 1);
	ck_assert_uint_eq(f.on_idx, 3);
	ck_assert_uint_eq(f.on_entry, 0x40080040);
	ck_assert_uint_eq(f.on_ctx, 0xabcdef);
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 0x100, 0, 0), PSCI_AFFINITY_ON);
}
END_TEST

START_TEST(cpu_on_errors)
{
	/* No such CPU. */
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 3, 0x40080000, 0), PSCI_RET_INVALID_PARAMS);
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 0x10000, 0x40080000, 0),
			 PSCI_RET_INVALID_PARAMS);
	/* Bits outside the affinity fields (bit 31, [63:40]). */
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 0x80000001ull, 0x40080000, 0),
			 PSCI_RET_INVALID_PARAMS);
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, (1ull << 40) | 1, 0x40080000, 0),
			 PSCI_RET_INVALID_PARAMS);
	/* Already on: the caller itself. */
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 0, 0x40080000, 0), PSCI_RET_ALREADY_ON);
	/* On pending. */
	f.state[2] = PSCI_CPU_ON_PENDING;
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 2, 0x40080000, 0), PSCI_RET_ON_PENDING);
	/* Entry point outside RAM, or misaligned. */
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 1, 0x1000, 0), PSCI_RET_INVALID_ADDRESS);
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 1, 0x40080002, 0), PSCI_RET_INVALID_ADDRESS);
	ck_assert_uint_eq(f.on_calls, 0);
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 1, 0, 0), PSCI_AFFINITY_OFF);
}
END_TEST

START_TEST(affinity_info)
{
	f.state[2] = PSCI_CPU_ON_PENDING;
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 0, 0, 0), PSCI_AFFINITY_ON);
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 1, 0, 0), PSCI_AFFINITY_OFF);
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 2, 0, 0), PSCI_AFFINITY_ON_PENDING);
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 7, 0, 0), PSCI_RET_INVALID_PARAMS);
	/* Only affinity level 0. */
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 0, 1, 0), PSCI_RET_INVALID_PARAMS);
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 0x80000000ull, 0, 0),
			 PSCI_RET_INVALID_PARAMS);
}
END_TEST

START_TEST(off_and_system_off)
{
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 1, 0x40080000, 7), 0);
	ck_assert_int_eq(psci_call(&ops, NULL, 1, PSCI_0_2_FN_CPU_OFF, 0, 0, 0), 0);
	ck_assert_uint_eq(f.off_calls, 1);
	ck_assert_uint_eq(f.off_idx, 1);
	ck_assert_int_eq(call(PSCI_0_2_FN64_AFFINITY, 1, 0, 0), PSCI_AFFINITY_OFF);
	/* Off CPUs can be started again. */
	ck_assert_int_eq(call(PSCI_0_2_FN64_CPU_ON, 1, 0x40080000, 8), 0);
	ck_assert_uint_eq(f.on_ctx, 8);
	ck_assert_int_eq(call(PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0), 0);
	ck_assert_uint_eq(f.system_off_calls, 1);
}
END_TEST

static Suite *psci_suite(void)
{
	Suite *s = suite_create("vm-psci");
	TCase *tc = tcase_create("psci");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, version_and_features);
	tcase_add_test(tc, cpu_on_success);
	tcase_add_test(tc, cpu_on_errors);
	tcase_add_test(tc, affinity_info);
	tcase_add_test(tc, off_and_system_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(psci_suite());
}
