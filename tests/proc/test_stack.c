/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c — process stacks: the size asked for is the size a process
 * can use, bad sizes are refused, and waiting processes share a few stacks
 * and keep only their frames.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

enum { T_READY = 1, T_RESULT, T_GO };

#define PAGE 4096

static ot_pid g_test; /* the test thread, set before spawning */

static uint64_t msg_u64(const ot_msg *m)
{
	uint64_t v;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(v));
	memcpy(&v, ot_msg_data(m), sizeof(v));
	return v;
}

static void send_u64(ot_pid to, uint64_t tag, uint64_t v)
{
	ot_send(to, tag, &v, sizeof(v));
}

/* What touch_N() returns for an array of n bytes, computed off-stack. */
static uint64_t touch_expected(size_t n)
{
	uint64_t sum = 0;
	for (size_t i = n; i >= PAGE; i -= PAGE)
		sum += (uint64_t)((i * 2654435761u) & 0xff);
	return sum;
}

/* A local array of n bytes, written one byte per page from the top down
 * (so an overflow meets the guard page first), then read back. */
#define DEFINE_TOUCH(fname, n)                                                 \
	static __attribute__((noinline)) uint64_t fname(void)                  \
	{                                                                      \
		volatile unsigned char buf[n];                                 \
		for (size_t i = (n); i >= PAGE; i -= PAGE)                     \
			buf[i - 1] =                                           \
			    (unsigned char)((i * 2654435761u) & 0xff);         \
		uint64_t sum = 0;                                              \
		for (size_t i = (n); i >= PAGE; i -= PAGE)                     \
			sum += buf[i - 1];                                     \
		return sum;                                                    \
	}

#define SMALL_USE   (8 * 1024)
#define DEFAULT_USE (32 * 1024)
#define MID_USE	    (200 * 1024)
#define BIG_USE	    (896 * 1024)
DEFINE_TOUCH(touch_small, SMALL_USE)
DEFINE_TOUCH(touch_default, DEFAULT_USE)
DEFINE_TOUCH(touch_mid, MID_USE)
DEFINE_TOUCH(touch_big, BIG_USE)

static void use_mid(void *arg)
{
	(void)arg;
	send_u64(g_test, T_RESULT, touch_mid());
}

static void use_big(void *arg)
{
	(void)arg;
	send_u64(g_test, T_RESULT, touch_big());
}

static void use_small(void *arg)
{
	(void)arg;
	send_u64(g_test, T_RESULT, touch_small());
}

/* ---- the size asked for is usable ---------------------------------------- */

START_TEST(test_spawn_stack_size_honored)
{
	g_test = ot_self();
	ot_spawn_opts opts = {.stack_size = 256 * 1024};
	ck_assert_ot_ok(ot_spawn(use_mid, NULL, &opts, NULL));
	ot_msg *m = expect_msg(T_RESULT, 5000);
	ck_assert_uint_eq(msg_u64(m), touch_expected(MID_USE));
	ot_msg_free(m);

	opts.stack_size = 1024 * 1024;
	ck_assert_ot_ok(ot_spawn(use_big, NULL, &opts, NULL));
	m = expect_msg(T_RESULT, 5000);
	ck_assert_uint_eq(msg_u64(m), touch_expected(BIG_USE));
	ot_msg_free(m);

	/* the smallest stack still holds a few pages of locals */
	opts.stack_size = OT_MIN_STACK_SIZE;
	ck_assert_ot_ok(ot_spawn(use_small, NULL, &opts, NULL));
	m = expect_msg(T_RESULT, 5000);
	ck_assert_uint_eq(msg_u64(m), touch_expected(SMALL_USE));
	ot_msg_free(m);
}
END_TEST

static void setup_big_default(void)
{
	ot_config cfg = {.schedulers = 2, .stack_size = 256 * 1024};
	ot_test_setup_with(&cfg);
}

START_TEST(test_config_stack_size_is_the_default)
{
	g_test = ot_self();
	for (int i = 0; i < 4; i++)
		ck_assert_ot_ok(ot_spawn(use_mid, NULL, NULL, NULL));
	for (int i = 0; i < 4; i++) {
		ot_msg *m = expect_msg(T_RESULT, 5000);
		ck_assert_uint_eq(msg_u64(m), touch_expected(MID_USE));
		ot_msg_free(m);
	}
}
END_TEST

/* ---- sizes refused and accepted ------------------------------------------ */

static atomic_int g_ran;

static void mark_ran(void *arg)
{
	(void)arg;
	atomic_fetch_add(&g_ran, 1);
}

START_TEST(test_invalid_stack_sizes)
{
	const size_t bad[] = {1,
			      PAGE,
			      OT_MIN_STACK_SIZE / 2,
			      OT_MAX_STACK_SIZE + 1,
			      OT_MAX_STACK_SIZE * 2,
			      SIZE_MAX};
	atomic_store(&g_ran, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ot_spawn_opts opts = {.stack_size = bad[i]};
		ot_pid pid = OT_PID_NONE;
		int rc = ot_spawn(mark_ran, NULL, &opts, &pid);
		ck_assert_msg(rc == OT_EINVAL,
			      "stack_size %zu: ot_spawn returned %s", bad[i],
			      ot_err_name(rc));
	}
	/* unknown flags and a NULL body are refused too */
	ot_spawn_opts flags = {.flags = 4};
	ck_assert_ot_err(ot_spawn(mark_ran, NULL, &flags, NULL), OT_EINVAL);
	/* a monitor with nowhere to put its reference */
	flags.flags = OT_SPAWN_MONITOR;
	ck_assert_ot_err(ot_spawn(mark_ran, NULL, &flags, NULL), OT_EINVAL);
	flags.flags = 0x80000000u;
	ck_assert_ot_err(ot_spawn(mark_ran, NULL, &flags, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_spawn(NULL, NULL, NULL, NULL), OT_EINVAL);

	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.spawned, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	ot_sleep(20);
	ck_assert_int_eq(atomic_load(&g_ran), 0);
}
END_TEST

START_TEST(test_valid_stack_sizes)
{
	const size_t good[] = {OT_MIN_STACK_SIZE, OT_MIN_STACK_SIZE + 1, 100000,
			       3 * PAGE * 7, OT_MAX_STACK_SIZE};
	atomic_store(&g_ran, 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ot_spawn_opts opts = {.stack_size = good[i]};
		int rc = ot_spawn(mark_ran, NULL, &opts, NULL);
		ck_assert_msg(rc == 0, "stack_size %zu: ot_spawn returned %s",
			      good[i], ot_err_name(rc));
	}
	int n = (int)(sizeof(good) / sizeof(good[0]));
	ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
	ck_assert_int_eq(atomic_load(&g_ran), n);
}
END_TEST

/* ---- pooling ------------------------------------------------------------- */

/* Uses some stack, says it is ready, waits for one message. */
static void blocker(void *arg)
{
	(void)arg;
	volatile uint64_t used = touch_default();
	(void)used;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

static void spawn_blockers(ot_pid *pids, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_ot_ok(ot_spawn(blocker, NULL, NULL, &pids[i]));
	for (int i = 0; i < n; i++)
		ot_msg_free(expect_msg(T_READY, 5000));
}

static void release(const ot_pid *pids, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
	ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
}

/* Processes that wait hold their frames, not a stack: twenty blockers on
 * four shared stacks. */
static void setup_four_stacks(void)
{
	ot_config cfg = {.schedulers = 2, .shared_stacks = 4};
	ot_test_setup_with(&cfg);
}

START_TEST(test_waiting_processes_share_stacks)
{
	g_test = ot_self();
	ot_pid pids[20];
	ot_stats st;

	spawn_blockers(pids, 20);
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_le(st.stacks_pooled, 4);
	ck_assert_uint_eq(st.stacks_guarded, st.stacks_pooled);
	ck_assert_uint_le(st.stacks_in_use, 4);
	/* At least sixteen of them are saved off the stacks, each with no
	 * more than its frames (a blocker's are well under a page). */
	ck_assert_uint_gt(st.stack_bytes_saved, 0);
	ck_assert_msg(st.stack_bytes_saved < 16 * (size_t)PAGE,
		      "%zu bytes saved for 20 blockers", st.stack_bytes_saved);
	release(pids, 20);

	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.stacks_in_use, 0);
	ck_assert_uint_eq(st.stack_bytes_saved, 0);
	ck_assert_uint_le(st.stacks_pooled, 4);
}
END_TEST

/* One process at a time, 200 times: no more stacks than the class has. */
START_TEST(test_sequential_processes_reuse_stacks)
{
	atomic_store(&g_ran, 0);
	for (int i = 0; i < 200; i++) {
		ck_assert_ot_ok(ot_spawn(mark_ran, NULL, NULL, NULL));
		ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	}
	ck_assert_int_eq(atomic_load(&g_ran), 200);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.stacks_in_use, 0);
	ck_assert_uint_eq(st.stack_bytes_saved, 0);
	ck_assert_msg(st.stacks_pooled <= 4,
		      "%zu stacks mapped for 200 processes that lived one at "
		      "a time, with 4 shared stacks",
		      st.stacks_pooled);
}
END_TEST

static Suite *stack_suite(void)
{
	Suite *s = suite_create("stack");

	TCase *tc = ot_test_tcase("size", 20);
	tcase_add_test(tc, test_spawn_stack_size_honored);
	tcase_add_test(tc, test_invalid_stack_sizes);
	tcase_add_test(tc, test_valid_stack_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("config_size");
	tcase_add_checked_fixture(tc, setup_big_default, ot_test_teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_config_stack_size_is_the_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("shared");
	tcase_add_checked_fixture(tc, setup_four_stacks, ot_test_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_waiting_processes_share_stacks);
	tcase_add_test(tc, test_sequential_processes_reuse_stacks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(stack_suite());
}
