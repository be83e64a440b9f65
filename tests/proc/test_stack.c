/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c — process stacks: the size asked for is the size a process
 * can use, bad sizes are refused, and waiting processes share a few stacks
 * and keep only their frames.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "faults.h"

enum { T_READY = 1, T_RESULT, T_GO, T_OK, T_BAD };

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

/* ---- many processes, and what they give back ------------------------------
 */

#if defined(__SANITIZE_ADDRESS__) || defined(OT_TEST_ASAN)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif
#if defined(__SANITIZE_THREAD__) || defined(OT_TEST_TSAN)
#define UNDER_TSAN 1
#else
#define UNDER_TSAN 0
#endif

/* The plain build runs the full counts; the sanitizers and valgrind scale
 * them down (never the plain run). */
static size_t many(size_t n)
{
	if (UNDER_ASAN && n > 200000)
		n = 200000;
	return ot_test_scaled(n);
}

static _Atomic size_t g_started, g_woken;

/* Blocks in receive until told, then ends. */
static void idle_once(void *arg)
{
	(void)arg;
	atomic_fetch_add(&g_started, 1);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0) {
		ot_msg_free(m);
		atomic_fetch_add(&g_woken, 1);
	}
}

/* Spawns n idle_once processes and waits until all are blocked. */
static ot_pid *spawn_idle(size_t n)
{
	atomic_store(&g_started, 0);
	atomic_store(&g_woken, 0);
	ot_pid *pids = malloc(n * sizeof *pids);
	ck_assert_ptr_nonnull(pids);
	for (size_t i = 0; i < n; i++) {
		int rc = ot_spawn(idle_once, NULL, NULL, &pids[i]);
		require(rc == 0, "spawn %zu of %zu: %s", i, n, ot_err_name(rc));
	}
	int64_t deadline = now_ms() + scaled_ms(60000);
	while (atomic_load(&g_started) < n && now_ms() < deadline)
		ot_sleep(5);
	ck_assert_uint_eq(atomic_load(&g_started), n);
	return pids;
}

static void wake_idle(ot_pid *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
	ck_assert(ot_test_wait_quiet(scaled_ms(60000)));
	ck_assert_uint_eq(atomic_load(&g_woken), n);
	free(pids);
}

/* 1,000,000 processes alive at once, each receives a message and ends. */
START_TEST(test_million_alive)
{
	size_t n = many(1000000);
	ot_pid *pids = spawn_idle(n);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, n);
	ck_assert_uint_le(st.stacks_pooled, OT_DEFAULT_SHARED_STACKS);
	ck_assert_uint_le(st.stacks_in_use, OT_DEFAULT_SHARED_STACKS);
	ck_assert_uint_gt(st.stack_bytes_saved, 0);
	/* a blocked process keeps its frames only: well under a page */
	ck_assert_msg(st.stack_bytes_saved / n < 1024,
		      "%zu bytes of frames saved per idle process",
		      st.stack_bytes_saved / n);
	wake_idle(pids, n);
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.stack_bytes_saved, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
}
END_TEST

static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	unsigned long size, resident;
	ck_assert_int_eq(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return resident * (size_t)PAGE;
}

/* After 200,000 processes end, resident memory comes back to within a
 * bounded pool (the kept table chunks, the shared stacks, malloc's slack)
 * of where it was. ASan keeps freed memory in quarantine, TSan keeps the
 * shadow of every fiber, valgrind its own books: only the plain build can
 * tell. */
START_TEST(test_memory_goes_back)
{
	if (UNDER_ASAN || UNDER_TSAN || ot_test_under_valgrind())
		return;
	size_t n = many(200000);
	/* a first burst, so that what stays for good (stacks, the first
	 * chunks, caches) is counted in the baseline */
	wake_idle(spawn_idle(n), n);
	size_t before = rss_bytes();
	ot_pid *pids = spawn_idle(n);
	size_t peak = rss_bytes();
	wake_idle(pids, n);
	size_t after = rss_bytes();
	const size_t pool = 32u << 20;
	ck_assert_msg(peak > before + n * 400,
		      "the burst cost only %zu bytes (%zu -> %zu)",
		      peak - before, before, peak);
	ck_assert_msg(after <= before + pool,
		      "%zu processes ended, %zu MB still resident of %zu MB "
		      "(before: %zu MB)",
		      n, after >> 20, peak >> 20, before >> 20);
}
END_TEST

/* ---- overflows are a crash of that process only -----------------------------
 */

static void recurse_forever(void *arg)
{
	(void)arg;
	do_fault(F_OVERFLOW);
}

/* Waits (its frames are saved off its stack meanwhile), then recurses. */
static void wait_then_recurse(void *arg)
{
	(void)arg;
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
	do_fault(F_OVERFLOW);
}

/* One frame larger than the stack, touched at its far end only. */
NO_UBSAN __attribute__((noinline)) static void far_72k(void)
{
	volatile char big[72 * 1024];
	big[0] = 1;
	g_sink = big[0];
}

NO_UBSAN __attribute__((noinline)) static void far_1m(void)
{
	volatile char big[1024 * 1024];
	big[0] = 1;
	g_sink = big[0];
}

static void big_frame(void *arg)
{
	if (arg)
		far_1m();
	else
		far_72k();
}

static void expect_overflow(ot_proc_fn fn, void *arg, bool poke,
			    const char *what)
{
	ot_ref ref;
	ot_pid pid;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(fn, arg, &o, &pid));
	if (poke) {
		ot_sleep(20); /* let it wait, and others take its stack */
		ck_assert_ot_ok(ot_send(pid, T_GO, NULL, 0));
	}
	ot_msg *m = expect_msg(OT_TAG_DOWN, 10000);
	const ot_down_info *d = ot_msg_down(m);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->ref.id, ref.id);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&d->reason, text, sizeof text);
	ck_assert_msg(d->reason.kind == OT_REASON_CRASH &&
			  d->reason.code == SIGSEGV && d->reason.stack_overflow,
		      "%s: ended with %s, want a stack overflow", what, text);
	ot_msg_free(m);
}

/* Unbounded recursion while 100,000 others are alive: that process's
 * stack_overflow crash, caught by the guard, and the others go on. */
START_TEST(test_overflow_among_many)
{
	g_test = ot_self();
	size_t n = many(100000);
	ot_pid *pids = spawn_idle(n);
	expect_overflow(recurse_forever, NULL, false, "recursion");
	expect_overflow(wait_then_recurse, NULL, true,
			"recursion right after being resumed");
	wake_idle(pids, n);
}
END_TEST

/* Witnesses wait with a pattern in a local buffer; a frame larger than
 * the stack is a crash, and no witness's frames changed. */
static void witness(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	unsigned char buf[2048];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(seed * 31 + i * 7);
	send_u64(g_test, T_READY, seed);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
	bool ok = true;
	for (size_t i = 0; i < sizeof buf; i++)
		ok &= buf[i] == (unsigned char)(seed * 31 + i * 7);
	send_u64(g_test, ok ? T_OK : T_BAD, seed);
}

START_TEST(test_big_frames_crash_alone)
{
	g_test = ot_self();
	enum { NWIT = 2 * 256 + 10 }; /* more than one per shared stack */
	ot_pid w[NWIT];
	for (int i = 0; i < NWIT; i++)
		ck_assert_ot_ok(
		    ot_spawn(witness, (void *)(uintptr_t)i, NULL, &w[i]));
	for (int i = 0; i < NWIT; i++)
		ot_msg_free(expect_msg(T_READY, 5000));
	expect_overflow(big_frame, NULL, false, "a 72 KiB frame");
	expect_overflow(big_frame, (void *)1, false, "a 1 MiB frame");
	for (int i = 0; i < NWIT; i++)
		ck_assert_ot_ok(ot_send(w[i], T_GO, NULL, 0));
	for (int i = 0; i < NWIT; i++) {
		ot_msg_free(expect_msg(T_OK, 5000));
	}
}
END_TEST

/* ---- frames come back where they were
 * ------------------------------------------ */

/* Blocks, then writes through the pointer it was given. */
__attribute__((noinline)) static void wait_and_set(int *out, int v)
{
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
	*out = v;
}

/* A process passes &local to code that blocks, and reads it back. */
static void local_across_wait(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	volatile unsigned pattern[64];
	for (int i = 0; i < 64; i++)
		pattern[i] = seed * 2654435761u + (unsigned)i;
	int x = -1;
	send_u64(g_test, T_READY, seed);
	wait_and_set(&x, (int)seed);
	bool ok = x == (int)seed;
	for (int i = 0; i < 64; i++)
		ok &= pattern[i] == seed * 2654435761u + (unsigned)i;
	send_u64(g_test, ok ? T_OK : T_BAD, seed);
}

START_TEST(test_local_pointer_across_wait)
{
	g_test = ot_self();
	enum { N = 200 }; /* on 4 shared stacks: every wait is an eviction */
	ot_pid p[N];
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(ot_spawn(local_across_wait,
					 (void *)(uintptr_t)i, NULL, &p[i]));
	for (int i = 0; i < N; i++)
		ot_msg_free(expect_msg(T_READY, 5000));
	for (int i = N - 1; i >= 0; i -= 2) /* out of order */
		ck_assert_ot_ok(ot_send(p[i], T_GO, NULL, 0));
	for (int i = N - 2; i >= 0; i -= 2)
		ck_assert_ot_ok(ot_send(p[i], T_GO, NULL, 0));
	for (int i = 0; i < N; i++)
		ot_msg_free(expect_msg(T_OK, 5000));
}
END_TEST

/* 200 KB of live frames, a wait at the bottom, then every frame checked on
 * the way back up. */
#define DEEP_FRAME 1024
#define DEEP_DEPTH 200

__attribute__((noinline)) static bool deep(unsigned seed, int depth)
{
	volatile unsigned char frame[DEEP_FRAME];
	for (size_t i = 0; i < DEEP_FRAME; i++)
		frame[i] = (unsigned char)(seed + (unsigned)depth * 13 + i);
	bool ok;
	if (depth == 0) {
		send_u64(g_test, T_READY, seed);
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) == 0)
			ot_msg_free(m);
		ok = true;
	} else {
		ok = deep(seed, depth - 1);
	}
	for (size_t i = 0; i < DEEP_FRAME; i++)
		ok &= frame[i] ==
		      (unsigned char)(seed + (unsigned)depth * 13 + i);
	return ok;
}

static void deep_waiter(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	send_u64(g_test, deep(seed, DEEP_DEPTH) ? T_OK : T_BAD, seed);
}

START_TEST(test_deep_frames_survive_wait)
{
	g_test = ot_self();
	enum { N = 12 }; /* three per shared stack */
	ot_spawn_opts o = {.stack_size = 1024 * 1024};
	ot_pid p[N];
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(
		    ot_spawn(deep_waiter, (void *)(uintptr_t)i, &o, &p[i]));
	for (int i = 0; i < N; i++)
		ot_msg_free(expect_msg(T_READY, 5000));
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_msg(
	    st.stack_bytes_saved >= (size_t)(N - 4) * DEEP_DEPTH * DEEP_FRAME,
	    "%zu bytes saved for %d deep waiters", st.stack_bytes_saved, N);
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(ot_send(p[i], T_GO, NULL, 0));
	for (int i = 0; i < N; i++)
		ot_msg_free(expect_msg(T_OK, 5000));
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
	tcase_add_test(tc, test_local_pointer_across_wait);
	tcase_add_test(tc, test_deep_frames_survive_wait);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("many", 240);
	tcase_add_test(tc, test_million_alive);
	tcase_add_test(tc, test_memory_goes_back);
	suite_add_tcase(s, tc);

	/* Crashes on purpose: valgrind runs leave them out. */
	tc = ot_test_tcase("overflow", 120);
	tcase_set_tags(tc, "crash");
	tcase_add_test(tc, test_overflow_among_many);
	tcase_add_test(tc, test_big_frames_crash_alone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(stack_suite());
}
