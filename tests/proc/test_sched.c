/* SPDX-License-Identifier: MIT */
/*
 * test_sched.c — the schedulers: two processes really run at once on two
 * scheduler threads, a woken process runs on its waker's thread, ot_yield()
 * hands the thread over, and many processes
 * (100,000 alive at once, 100,000 one batch after another) come and go
 * without leaving slots or stacks behind.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gettid() */
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

enum { T_READY = 1, T_DONE, T_GO, T_CHILD, T_RESULT, T_TICK, T_WAITER };

static ot_pid g_test; /* the test thread, set before spawning */

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* An assertion without Check's per-call bookkeeping (a pipe write each),
 * for hot loops. */
static int cmp_pid(const void *a, const void *b)
{
	uint64_t x = ((const ot_pid *)a)->id, y = ((const ot_pid *)b)->id;
	return x < y ? -1 : x > y;
}

/* Polls an atomic counter from the test thread until it reaches want. */
static bool wait_count(atomic_int *c, int want, int timeout_ms)
{
	int64_t deadline = clock_ns(CLOCK_MONOTONIC) +
			   (int64_t)(timeout_ms * tmul()) * 1000000;
	while (atomic_load(c) < want) {
		if (clock_ns(CLOCK_MONOTONIC) > deadline)
			return false;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return true;
}

/* ---- two CPU-bound processes on two schedulers --------------------------- */

/*
 * Each process burns HOG_CPU_NS of CPU time in slices of about SLICE_NS,
 * yielding between slices, and records each slice's wall-clock interval.
 * On one scheduler thread two processes' slices can never overlap in time;
 * on two threads running at once they overlap nearly all the time. The
 * measure holds on a loaded machine too (the wall intervals of two runnable
 * threads overlap even while the kernel time-slices them), where comparing
 * wall time with CPU time would not.
 */
#define HOG_CPU_NS ((int64_t)200 * 1000000)
#define SLICE_NS   ((int64_t)1000000)
#define MAX_SLICES 4096

struct busy {
	int n;			      /* slices recorded */
	int64_t slice[MAX_SLICES][2]; /* wall clock, ns */
};
static struct busy g_busy[2];

static void cpu_hog(void *arg)
{
	struct busy *b = arg;
	volatile uint64_t sink = 0;
	int64_t cpu = 0;
	while (cpu < HOG_CPU_NS) {
		int64_t w0 = clock_ns(CLOCK_MONOTONIC);
		int64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		int64_t c1;
		do {
			for (int i = 0; i < 1000; i++)
				sink += (uint64_t)i;
			c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		} while (c1 - c0 < SLICE_NS);
		int64_t w1 = clock_ns(CLOCK_MONOTONIC);
		cpu += c1 - c0;
		if (b->n < MAX_SLICES) {
			b->slice[b->n][0] = w0;
			b->slice[b->n][1] = w1;
			b->n++;
		}
		ot_yield();
	}
	ot_send(g_test, T_DONE, NULL, 0);
}

/* Wall time during which both processes were inside a slice, and the
 * shorter of their total slice times. Slices of one process are in order. */
static void overlap(const struct busy *a, const struct busy *b, int64_t *both,
		    int64_t *shorter)
{
	int64_t ta = 0, tb = 0, o = 0;
	for (int i = 0; i < a->n; i++)
		ta += a->slice[i][1] - a->slice[i][0];
	for (int j = 0; j < b->n; j++)
		tb += b->slice[j][1] - b->slice[j][0];
	int i = 0, j = 0;
	while (i < a->n && j < b->n) {
		int64_t lo = a->slice[i][0] > b->slice[j][0] ? a->slice[i][0]
							     : b->slice[j][0];
		int64_t hi = a->slice[i][1] < b->slice[j][1] ? a->slice[i][1]
							     : b->slice[j][1];
		if (hi > lo)
			o += hi - lo;
		if (a->slice[i][1] < b->slice[j][1])
			i++;
		else
			j++;
	}
	*both = o;
	*shorter = ta < tb ? ta : tb;
}

START_TEST(test_two_schedulers_run_in_parallel)
{
	if (ot_test_under_valgrind())
		return; /* valgrind runs one thread at a time */
	g_test = ot_self();
	memset(g_busy, 0, sizeof(g_busy));
	ck_assert_ot_ok(ot_spawn(cpu_hog, &g_busy[0], NULL, NULL));
	ck_assert_ot_ok(ot_spawn(cpu_hog, &g_busy[1], NULL, NULL));
	ot_msg_free(expect_msg(T_DONE, 20000));
	ot_msg_free(expect_msg(T_DONE, 20000));
	ck_assert_int_gt(g_busy[0].n, 0);
	ck_assert_int_gt(g_busy[1].n, 0);
	int64_t both, shorter;
	overlap(&g_busy[0], &g_busy[1], &both, &shorter);
	double share = (double)both / (double)shorter;
	ck_assert_msg(share > 0.5,
		      "two CPU-bound processes ran at once only %.0f%% of the "
		      "time (one scheduler: 0%%, two: ~100%%)",
		      share * 100);
}
END_TEST

/* Both spawned by one process, so both start on its scheduler: the other
 * scheduler has to take one of them over. */
static void spawn_two_hogs(void *arg)
{
	(void)arg;
	ot_spawn(cpu_hog, &g_busy[0], NULL, NULL);
	ot_spawn(cpu_hog, &g_busy[1], NULL, NULL);
}

START_TEST(test_work_spreads_to_idle_scheduler)
{
	if (ot_test_under_valgrind())
		return; /* valgrind runs one thread at a time */
	g_test = ot_self();
	memset(g_busy, 0, sizeof(g_busy));
	ck_assert_ot_ok(ot_spawn(spawn_two_hogs, NULL, NULL, NULL));
	ot_msg_free(expect_msg(T_DONE, 20000));
	ot_msg_free(expect_msg(T_DONE, 20000));
	int64_t both, shorter;
	overlap(&g_busy[0], &g_busy[1], &both, &shorter);
	double share = (double)both / (double)shorter;
	ck_assert_msg(share > 0.5,
		      "two CPU-bound processes spawned on one scheduler ran "
		      "at once only %.0f%% of the time (no work moved: 0%%)",
		      share * 100);
}
END_TEST

/* The same on one scheduler: the measure must see no overlap at all. */
START_TEST(test_one_scheduler_runs_one_at_a_time)
{
	g_test = ot_self();
	memset(g_busy, 0, sizeof(g_busy));
	ck_assert_ot_ok(ot_spawn(cpu_hog, &g_busy[0], NULL, NULL));
	ck_assert_ot_ok(ot_spawn(cpu_hog, &g_busy[1], NULL, NULL));
	ot_msg_free(expect_msg(T_DONE, 20000));
	ot_msg_free(expect_msg(T_DONE, 20000));
	int64_t both, shorter;
	overlap(&g_busy[0], &g_busy[1], &both, &shorter);
	ck_assert_msg(both == 0, "%lld ns of overlap on one scheduler",
		      (long long)both);
	ck_assert_int_gt(shorter, HOG_CPU_NS / 2);
}
END_TEST

/* ---- ot_yield ------------------------------------------------------------ */

#define YIELDS 100
static char g_log[2 * YIELDS + 8];
static atomic_int g_logn;

static void yielder(void *arg)
{
	char id = (char)(intptr_t)arg;
	for (int i = 0; i < YIELDS; i++) {
		g_log[atomic_fetch_add(&g_logn, 1)] = id;
		if (ot_yield() != 0)
			break;
	}
	ot_send(g_test, T_DONE, NULL, 0);
}

/* Spawns both yielders before either can run (one scheduler, and this
 * process keeps it until it ends). */
static void spawn_yielders(void *arg)
{
	(void)arg;
	ot_spawn(yielder, (void *)(intptr_t)'A', NULL, NULL);
	ot_spawn(yielder, (void *)(intptr_t)'B', NULL, NULL);
}

START_TEST(test_yield_alternates)
{
	g_test = ot_self();
	atomic_store(&g_logn, 0);
	ck_assert_ot_ok(ot_spawn(spawn_yielders, NULL, NULL, NULL));
	ot_msg_free(expect_msg(T_DONE, 5000));
	ot_msg_free(expect_msg(T_DONE, 5000));
	int n = atomic_load(&g_logn);
	ck_assert_int_eq(n, 2 * YIELDS);
	int switches = 0, as = 0;
	for (int i = 0; i < n; i++) {
		as += g_log[i] == 'A';
		if (i > 0 && g_log[i] != g_log[i - 1])
			switches++;
	}
	ck_assert_int_eq(as, YIELDS);
	ck_assert_msg(switches >= YIELDS,
		      "only %d switches between two yielding processes on one "
		      "scheduler (round robin gives %d)",
		      switches, 2 * YIELDS - 1);
}
END_TEST

static atomic_int g_flag;

/* Spins (yielding) until another process on the same scheduler sets the
 * flag: without a working ot_yield this never ends. */
static void wait_flag(void *arg)
{
	(void)arg;
	int64_t spins = 0;
	while (!atomic_load(&g_flag)) {
		int rc = ot_yield();
		if (rc != 0) {
			send_i64(g_test, T_RESULT, rc);
			return;
		}
		spins++;
	}
	send_i64(g_test, T_RESULT, spins);
}

static void set_flag(void *arg)
{
	(void)arg;
	atomic_store(&g_flag, 1);
}

static void spawn_flag_pair(void *arg)
{
	(void)arg;
	ot_spawn(wait_flag, NULL, NULL, NULL);
	ot_spawn(set_flag, NULL, NULL, NULL);
}

START_TEST(test_yield_lets_others_run)
{
	g_test = ot_self();
	atomic_store(&g_flag, 0);
	ck_assert_ot_ok(ot_spawn(spawn_flag_pair, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 5000);
	int64_t spins = msg_i64(m);
	ot_msg_free(m);
	ck_assert_msg(spins >= 0, "ot_yield returned %s",
		      ot_err_name((int)spins));
	/* one yield should be enough for the setter to run; allow a few */
	ck_assert_int_le(spins, 10);
}
END_TEST

static void yield_once(void *arg)
{
	(void)arg;
	send_i64(g_test, T_RESULT, ot_yield());
}

START_TEST(test_yield_in_process_and_foreign)
{
	g_test = ot_self();
	ck_assert_ot_err(ot_yield(), OT_ENOTPROC);
	ck_assert_ot_ok(ot_spawn(yield_once, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 2000);
	ck_assert_ot_ok((int)msg_i64(m));
	ot_msg_free(m);
	ck_assert_ot_err(ot_yield(), OT_ENOTPROC);
}
END_TEST

/* ---- a process spawning many --------------------------------------------- */

#define CHILDREN 1000
static ot_pid g_children[CHILDREN];
static ot_pid g_parent;

static void child(void *arg)
{
	send_i64(g_parent, T_CHILD, (int64_t)(intptr_t)arg);
}

/* Spawns CHILDREN children, then checks each reports once, from its pid. */
static void parent(void *arg)
{
	(void)arg;
	g_parent = ot_self();
	static bool seen[CHILDREN];
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < CHILDREN; i++) {
		int rc =
		    ot_spawn(child, (void *)(intptr_t)i, NULL, &g_children[i]);
		if (rc != 0) {
			send_i64(g_test, T_RESULT, rc);
			return;
		}
	}
	int64_t good = 0;
	for (int i = 0; i < CHILDREN; i++) {
		ot_msg *m;
		if (ot_receive(&m, 5000) != 0)
			break;
		int64_t idx;
		if (ot_msg_tag(m) == T_CHILD && ot_msg_size(m) == sizeof(idx)) {
			memcpy(&idx, ot_msg_data(m), sizeof(idx));
			if (idx >= 0 && idx < CHILDREN && !seen[idx] &&
			    ot_pid_equal(ot_msg_from(m), g_children[idx])) {
				seen[idx] = true;
				good++;
			}
		}
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, good);
}

START_TEST(test_process_spawns_many)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(parent, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 10000);
	ck_assert_int_eq(msg_i64(m), CHILDREN);
	ot_msg_free(m);
	qsort(g_children, CHILDREN, sizeof(ot_pid), cmp_pid);
	for (int i = 1; i < CHILDREN; i++)
		require(!ot_pid_equal(g_children[i], g_children[i - 1]),
			"two children got the same pid");
	ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.spawned, CHILDREN + 1);
}
END_TEST

/* ---- 100,000 processes alive at once ------------------------------------- */

#define MANY 100000
static atomic_int g_started, g_finished;

static void wait_go(void *arg)
{
	(void)arg;
	atomic_fetch_add(&g_started, 1);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0) {
		if (ot_msg_tag(m) == T_GO)
			atomic_fetch_add(&g_finished, 1);
		ot_msg_free(m);
	}
}

START_TEST(test_100k_alive_at_once)
{
	const int n = (int)ot_test_scaled(MANY);
	ot_pid *pids = calloc((size_t)n, sizeof(*pids));
	ck_assert_ptr_nonnull(pids);
	atomic_store(&g_started, 0);
	atomic_store(&g_finished, 0);
	ot_spawn_opts opts = {.stack_size = 16 * 1024};
	for (int i = 0; i < n; i++) {
		int rc = ot_spawn(wait_go, NULL, &opts, &pids[i]);
		require(rc == 0, "spawn #%d: %s", i, ot_err_name(rc));
	}
	ck_assert_msg(wait_count(&g_started, n, 20000),
		      "%d of %d processes started", atomic_load(&g_started), n);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, n);
	/* they share the default class's stacks; the rest is saved frames */
	ck_assert_uint_le(st.stacks_in_use, OT_DEFAULT_SHARED_STACKS);
	ck_assert_uint_gt(st.stack_bytes_saved, 0);
	ck_assert_uint_eq(st.spawned, n);
	ck_assert_int_eq(atomic_load(&g_finished), 0);
	for (int i = 0; i < n; i++) {
		int rc = ot_send(pids[i], T_GO, NULL, 0);
		require(rc == 0, "send #%d: %s", i, ot_err_name(rc));
	}
	ck_assert_msg(wait_count(&g_finished, n, 20000),
		      "%d of %d processes got their message",
		      atomic_load(&g_finished), n);
	ck_assert(ot_test_wait_quiet((int)(10000 * tmul())));
	for (int i = 0; i < n; i++)
		require(!ot_is_alive(pids[i]), "process #%d still alive", i);
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	ck_assert_uint_eq(st.stack_bytes_saved, 0);
	free(pids);
}
END_TEST

/* ---- 100,000 processes, one batch after another -------------------------- */

#define BATCH	    1000
#define BATCH_LIMIT 2048 /* max_processes: leaked slots would hit it */
static atomic_int g_ran;

static void count_and_exit(void *arg)
{
	(void)arg;
	atomic_fetch_add(&g_ran, 1);
}

static void setup_limited(void)
{
	ot_config cfg = {.schedulers = 2, .max_processes = BATCH_LIMIT};
	ot_test_setup_with(&cfg);
}

START_TEST(test_100k_in_batches_leave_nothing)
{
	const int total = (int)ot_test_scaled(MANY);
	atomic_store(&g_ran, 0);
	for (int b = 0; b < total / BATCH; b++) {
		for (int i = 0; i < BATCH; i++) {
			int rc = ot_spawn(count_and_exit, NULL, NULL, NULL);
			require(rc == 0, "batch %d, spawn %d: %s", b, i,
				ot_err_name(rc));
		}
		ck_assert_msg(ot_test_wait_quiet((int)(5000 * tmul())),
			      "batch %d did not end", b);
	}
	ck_assert_int_eq(atomic_load(&g_ran), total / BATCH * BATCH);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.spawned, total / BATCH * BATCH);
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	/* processes share the stacks of their class: no more are mapped */
	ck_assert_uint_le(st.stacks_pooled, OT_DEFAULT_SHARED_STACKS);
	ck_assert_uint_eq(st.stacks_guarded, st.stacks_pooled);
}
END_TEST

/* ---------------------------------------------------------------------
 * A process that never waits keeps its thread, not its scheduler's other
 * work: the idle scheduler fires its timers and runs its other processes.
 */
#define SPIN_MAX_MS 1500

struct stuck {
	int64_t armed, arrived;
	bool waiter_first; /* the waiter's report came before the spinner's */
};
static struct stuck g_stuck;

/* 20 receive timeouts of 5 ms in a row, then a report. */
static void timeout_waiter(void *arg)
{
	(void)arg;
	int timed_out = 0;
	for (int i = 0; i < 20; i++) {
		ot_msg *m = NULL;
		timed_out += ot_receive(&m, 5) == OT_ETIMEDOUT;
	}
	ot_send(g_test, T_WAITER, &timed_out, sizeof timed_out);
}

/* Arms a 10 ms send_after to itself — its timers live on the scheduler it
 * runs on — and spawns a waiter there, then spins for SPIN_MAX_MS without
 * ever waiting or yielding, looking at its mailbox for the timer's
 * message. */
static void spin_until_timer(void *arg)
{
	struct stuck *st = arg;
	st->armed = now_ms();
	if (ot_send_after(10, ot_self(), T_TICK, NULL, 0, NULL) != 0 ||
	    ot_spawn(timeout_waiter, NULL, NULL, NULL) != 0)
		st->armed = 0; /* the test fails on it */
	while (now_ms() - st->armed < SPIN_MAX_MS) {
		ot_process_info pi;
		if (!st->arrived && ot_process_info_get(ot_self(), &pi) == 0 &&
		    pi.message_queue_len > 0)
			st->arrived = now_ms();
	}
	ot_send(g_test, T_DONE, NULL, 0);
}

/* The spinner's 10 ms send_after came, within a few ms of its time. */
static void assert_timer_arrived(const char *while_)
{
	ck_assert_int_ne(g_stuck.armed, 0);
	ck_assert_msg(g_stuck.arrived != 0,
		      "a 10 ms send_after to a process that never yields did "
		      "not arrive in %d ms%s",
		      SPIN_MAX_MS, while_);
	ck_assert_int_le(g_stuck.arrived - g_stuck.armed, 10 + scaled_ms(500));
}

START_TEST(test_stuck_scheduler_timers_fire)
{
	if (ot_test_under_valgrind())
		return; /* valgrind runs one thread at a time */
	g_test = ot_self();
	memset(&g_stuck, 0, sizeof g_stuck);
	ck_assert_ot_ok(ot_spawn(spin_until_timer, &g_stuck, NULL, NULL));
	int timed_out = -1;
	for (int i = 0; i < 2; i++) {
		ot_msg *m = NULL;
		ck_assert_ot_ok(ot_receive(&m, scaled_ms(SPIN_MAX_MS + 5000)));
		if (ot_msg_tag(m) == T_WAITER) {
			g_stuck.waiter_first = i == 0;
			memcpy(&timed_out, ot_msg_data(m), sizeof timed_out);
		} else {
			ck_assert_uint_eq(ot_msg_tag(m), T_DONE);
		}
		ot_msg_free(m);
	}
	assert_timer_arrived("");
	ck_assert_int_eq(timed_out, 20);
	ck_assert_msg(g_stuck.waiter_first,
		      "a process spawned behind the spinner ended after it");
}
END_TEST

/* Sleeps 1 ms at a time until told to stop: the scheduler it runs on
 * parks for at most 1 ms. */
static atomic_bool g_stop_ticking;

static void tick_every_ms(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_stop_ticking))
		ot_sleep(1);
}

/* As above, while the idle scheduler also runs a process that sleeps 1 ms
 * at a time: its parks are cut short every millisecond, shorter than the
 * watch's 2 ms, and it must still find the stuck one and fire its timer
 * (the watch's window survives the short parks, park.c). */
START_TEST(test_stuck_scheduler_timers_fire_beside_a_ticker)
{
	if (ot_test_under_valgrind())
		return; /* valgrind runs one thread at a time */
	g_test = ot_self();
	memset(&g_stuck, 0, sizeof g_stuck);
	atomic_store(&g_stop_ticking, false);
	/* From this thread, new processes go to the schedulers in turn. */
	ck_assert_ot_ok(ot_spawn(spin_until_timer, &g_stuck, NULL, NULL));
	ck_assert_ot_ok(ot_spawn(tick_every_ms, NULL, NULL, NULL));
	for (int i = 0; i < 2; i++) {
		ot_msg *m = NULL;
		ck_assert_ot_ok(ot_receive(&m, scaled_ms(SPIN_MAX_MS + 5000)));
		ot_msg_free(m);
	}
	atomic_store(&g_stop_ticking, true);
	assert_timer_arrived(" while the other scheduler ticked");
}
END_TEST

/* Tells its spawner it ran. */
static void tell_parent(void *arg)
{
	ot_pid parent = *(const ot_pid *)arg;
	ot_send(parent, T_CHILD, NULL, 0);
}

/* Spawns a child (queued on its own scheduler, behind itself) and spins
 * without ever waiting or yielding, and with no timer anywhere, until the
 * child's message is in its mailbox or SPIN_MAX_MS passed; tells the test
 * thread whether the child ran meanwhile. */
static void spin_over_child(void *arg)
{
	(void)arg;
	static ot_pid self;
	self = ot_self();
	int ran = 0;
	int64_t t0 = now_ms();
	if (ot_spawn(tell_parent, &self, NULL, NULL) != 0)
		ran = -1;
	while (ran == 0 && now_ms() - t0 < SPIN_MAX_MS) {
		ot_process_info pi;
		if (ot_process_info_get(self, &pi) == 0 &&
		    pi.message_queue_len > 0)
			ran = 1;
	}
	ot_send(g_test, T_RESULT, &ran, sizeof ran);
}

/* Work is stolen only once its run queue has been busy a while (sched.c),
 * but it is stolen: an idle scheduler that found it too fresh does not
 * sleep on it, though nothing else (no timer, no other wake) comes. */
START_TEST(test_no_process_waits_behind_a_spinner)
{
	if (ot_test_under_valgrind())
		return; /* valgrind runs one thread at a time */
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(spin_over_child, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, scaled_ms(SPIN_MAX_MS + 5000));
	int ran;
	memcpy(&ran, ot_msg_data(m), sizeof ran);
	ot_msg_free(m);
	ck_assert_int_ne(ran, -1);
	ck_assert_msg(ran == 1,
		      "a process spawned behind one that never "
		      "yields did not run in %d ms",
		      SPIN_MAX_MS);
}
END_TEST

/* ---- placement: a woken process runs where its waker runs -----------------
 */

#define PLACE_ROUNDS 1000

struct place_req {
	ot_pid from;
	pid_t tid; /* the thread the waker ran on when it sent */
};

/* Answers each request; counts those it was running on its waker's thread
 * for (gettid(): pthread_self() is const to the compiler, and a process may
 * resume on another thread after each wait). */
static void place_answer(void *arg)
{
	(void)arg;
	int same = 0, rounds = 0;
	for (;;) {
		ot_msg *m = NULL;
		if (ot_receive(&m, scaled_ms(5000)) != 0)
			break;
		if (ot_msg_tag(m) != T_GO) {
			ot_msg_free(m);
			break;
		}
		struct place_req r;
		memcpy(&r, ot_msg_data(m), sizeof r);
		ot_msg_free(m);
		rounds++;
		if (r.tid == gettid())
			same++;
		ot_send(r.from, T_TICK, NULL, 0);
	}
	int got[2] = {same, rounds};
	ot_send(g_test, T_RESULT, got, sizeof got);
}

static void place_ask(void *arg)
{
	ot_pid answerer = *(const ot_pid *)arg;
	for (int i = 0; i < PLACE_ROUNDS; i++) {
		struct place_req r = {ot_self(), gettid()};
		if (ot_send(answerer, T_GO, &r, sizeof r) != 0)
			break;
		ot_msg *m = NULL;
		if (ot_receive(&m, scaled_ms(5000)) != 0)
			break;
		ot_msg_free(m);
	}
	ot_send(answerer, T_DONE, NULL, 0);
}

/* The two are spawned from the test thread, so on different schedulers
 * (round robin); each wake is made by a process that then waits, leaving
 * its scheduler idle: the woken one runs there, on the waker's core, rather
 * than waking the other thread (~28 us) or crossing over. */
START_TEST(test_woken_process_runs_on_wakers_scheduler)
{
	g_test = ot_self();
	static ot_pid answerer;
	ck_assert_ot_ok(ot_spawn(place_answer, NULL, NULL, &answerer));
	ck_assert_ot_ok(ot_spawn(place_ask, &answerer, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, scaled_ms(20000));
	int got[2];
	memcpy(got, ot_msg_data(m), sizeof got);
	ot_msg_free(m);
	ck_assert_int_eq(got[1], PLACE_ROUNDS);
	ck_assert_msg(got[0] >= PLACE_ROUNDS - 10,
		      "a woken process ran on its waker's thread in only %d "
		      "of %d rounds",
		      got[0], got[1]);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");

	TCase *tc = ot_test_tcase("parallel", 20);
	tcase_add_test(tc, test_two_schedulers_run_in_parallel);
	tcase_add_test(tc, test_work_spreads_to_idle_scheduler);
	tcase_add_test(tc, test_yield_in_process_and_foreign);
	tcase_add_test(tc, test_process_spawns_many);
	tcase_add_test(tc, test_stuck_scheduler_timers_fire);
	tcase_add_test(tc, test_stuck_scheduler_timers_fire_beside_a_ticker);
	tcase_add_test(tc, test_no_process_waits_behind_a_spinner);
	tcase_add_test(tc, test_woken_process_runs_on_wakers_scheduler);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_scheduler");
	tcase_add_checked_fixture(tc, ot_test_setup_one, ot_test_teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_yield_alternates);
	tcase_add_test(tc, test_yield_lets_others_run);
	tcase_add_test(tc, test_one_scheduler_runs_one_at_a_time);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("many", 60);
	tcase_add_test(tc, test_100k_alive_at_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("batches");
	tcase_add_checked_fixture(tc, setup_limited, ot_test_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_100k_in_batches_leave_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(sched_suite());
}
