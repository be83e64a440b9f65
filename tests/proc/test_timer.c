/* SPDX-License-Identifier: MIT */
/*
 * test_timer.c — the one monotonic clock: ot_sleep() in processes and
 * foreign threads, ot_send_after() and ot_cancel_timer(), deadline order
 * of many timers, and the stats counter of pending timers.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

enum { T_READY = 1, T_TICK, T_RESULT, T_PING, T_PONG, T_DONE, T_DATA };

static ot_pid g_test; /* the test thread, set before spawning */

/* An elapsed time must be at least the wait (less 1 ms for the runtime's
 * whole-millisecond clock) and at most the wait plus a noisy margin. */
static void check_waited(double took_ms, int want_ms, const char *what)
{
	ck_assert_msg(took_ms >= want_ms - 1 &&
			  took_ms < want_ms + 400 * tmul(),
		      "%s of %d ms took %.1f ms", what, want_ms, took_ms);
}

static int64_t expect_result(int timeout_ms)
{
	ot_msg *m = expect_msg(T_RESULT, timeout_ms);
	int64_t v = msg_i64(m);
	ot_msg_free(m);
	return v;
}

static size_t pending_timers(void)
{
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	return st.timers;
}

/* The counter may trail a delivery by a moment (a snapshot): waits up to a
 * second for it to read want, and returns what it last read. */
static size_t wait_timers(size_t want)
{
	double deadline = now_msf() + 1000 * tmul();
	size_t n;
	while ((n = pending_timers()) != want && now_msf() < deadline)
		ot_sleep(1);
	return n;
}

/* ---- ot_sleep ------------------------------------------------------------ */

/* Sleeps arg ms and reports the result and the time taken (in us). */
static void timed_sleep(void *arg)
{
	int ms = (int)(intptr_t)arg;
	double t0 = now_msf();
	int rc = ot_sleep(ms);
	double took = now_msf() - t0;
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, (int64_t)(took * 1000));
}

START_TEST(test_sleep_in_process)
{
	g_test = ot_self();
	const int waits[] = {0, 1, 20, 50, 120};
	for (int i = 0; i < 5; i++) {
		ck_assert_ot_ok(ot_spawn(
		    timed_sleep, (void *)(intptr_t)waits[i], NULL, NULL));
		ck_assert_ot_ok((int)expect_result(2000));
		double took = (double)expect_result(2000) / 1000.0;
		check_waited(took, waits[i], "a process sleep");
	}
}
END_TEST

START_TEST(test_sleep_foreign)
{
	const int waits[] = {0, 20, 50};
	for (int i = 0; i < 3; i++) {
		double t0 = now_msf();
		ck_assert_ot_ok(ot_sleep(waits[i]));
		double took = now_msf() - t0;
		check_waited(took, waits[i], "a foreign sleep");
	}
}
END_TEST

static void *thread_sleep(void *arg)
{
	(void)arg;
	double t0 = now_msf();
	int rc = ot_sleep(60);
	double took = now_msf() - t0;
	if (rc != 0)
		return (void *)(intptr_t)rc;
	return (void *)(intptr_t)(took * 1000);
}

START_TEST(test_sleep_foreign_pthreads)
{
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, thread_sleep, NULL), 0);
	for (int i = 0; i < 3; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		intptr_t us = (intptr_t)ret;
		ck_assert_msg(us >= 0, "ot_sleep in a pthread returned %s",
			      ot_err_name((int)us));
		check_waited((double)us / 1000.0, 60, "a pthread sleep");
	}
}
END_TEST

static void bad_sleeps(void *arg)
{
	(void)arg;
	send_i64(g_test, T_RESULT, ot_sleep(-2));
	send_i64(g_test, T_RESULT, ot_sleep(INT_MIN));
}

START_TEST(test_sleep_bad_timeout)
{
	g_test = ot_self();
	ck_assert_ot_err(ot_sleep(-2), OT_EINVAL);
	ck_assert_ot_err(ot_sleep(-1000), OT_EINVAL);
	ck_assert_ot_err(ot_sleep(INT_MIN), OT_EINVAL);
	ck_assert_ot_ok(ot_spawn(bad_sleeps, NULL, NULL, NULL));
	ck_assert_ot_err((int)expect_result(2000), OT_EINVAL);
	ck_assert_ot_err((int)expect_result(2000), OT_EINVAL);
}
END_TEST

/* Sleeps 100 ms while a message arrives; the sleep is not cut short and the
 * message is still there afterwards. */
static void sleep_past_message(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	double t0 = now_msf();
	int rc = ot_sleep(100);
	double took = now_msf() - t0;
	ot_msg *m;
	int64_t tag = -1;
	if (ot_receive(&m, 0) == 0) {
		tag = (int64_t)ot_msg_tag(m);
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, (int64_t)(took * 1000));
	send_i64(g_test, T_RESULT, tag);
}

START_TEST(test_sleep_keeps_messages)
{
	g_test = ot_self();
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(sleep_past_message, NULL, NULL, &p));
	ot_msg_free(expect_msg(T_READY, 2000));
	ot_sleep(20);
	ck_assert_ot_ok(ot_send(p, T_DATA, NULL, 0));
	ck_assert_ot_ok((int)expect_result(2000));
	double took = (double)expect_result(2000) / 1000.0;
	check_waited(took, 100, "a sleep with a message arriving");
	ck_assert_int_eq(expect_result(2000), T_DATA);
}
END_TEST

/* Many sleepers at once: none wakes early. */
static atomic_int g_early, g_woke;

static void random_sleeper(void *arg)
{
	int ms = (int)(intptr_t)arg;
	double t0 = now_msf();
	ot_sleep(ms);
	if (now_msf() - t0 < ms - 1)
		atomic_fetch_add(&g_early, 1);
	atomic_fetch_add(&g_woke, 1);
}

START_TEST(test_many_sleepers)
{
	atomic_store(&g_early, 0);
	atomic_store(&g_woke, 0);
	unsigned seed = 12345;
	for (int i = 0; i < 1000; i++) {
		seed = seed * 1103515245u + 12345u;
		int ms = 5 + (int)((seed >> 16) % 100);
		ck_assert_ot_ok(
		    ot_spawn(random_sleeper, (void *)(intptr_t)ms, NULL, NULL));
	}
	ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
	ck_assert_int_eq(atomic_load(&g_woke), 1000);
	ck_assert_int_eq(atomic_load(&g_early), 0);
}
END_TEST

/* One scheduler: while a process sleeps, another answers pings at once. */
static void long_sleeper(void *arg)
{
	(void)arg;
	ot_sleep(300);
	ot_send(g_test, T_DONE, NULL, 0);
}

static void ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++) {
		ot_msg *m;
		if (ot_receive(&m, 5000) != 0)
			return;
		ot_send(ot_msg_from(m), T_PONG, NULL, 0);
		ot_msg_free(m);
	}
}

START_TEST(test_sleep_yields_on_one_scheduler)
{
	g_test = ot_self();
	ot_pid pong;
	ck_assert_ot_ok(ot_spawn(long_sleeper, NULL, NULL, NULL));
	ck_assert_ot_ok(ot_spawn(ponger, NULL, NULL, &pong));
	ot_sleep(10); /* the sleeper is asleep */
	for (int i = 0; i < 10; i++) {
		ck_assert_ot_ok(ot_send(pong, T_PING, NULL, 0));
		ot_msg_free(expect_msg(T_PONG, 2000)); /* before T_DONE */
	}
	ot_msg_free(expect_msg(T_DONE, 2000));
}
END_TEST

/* ---- send_after ---------------------------------------------------------- */

START_TEST(test_send_after_delivers)
{
	g_test = ot_self();
	char buf[8] = "tick";
	ot_timer t = {0};
	double t0 = now_msf();
	ck_assert_ot_ok(ot_send_after(100, g_test, T_TICK, buf, 5, &t));
	ck_assert_uint_ne(t.id, 0);
	memset(buf, 'x', sizeof(buf)); /* the payload was copied */
	ot_msg *m;
	ck_assert_ot_ok(ot_receive(&m, (int)(2000 * tmul())));
	double took = now_msf() - t0;
	check_waited(took, 100, "a send_after");
	ck_assert_uint_eq(ot_msg_tag(m), T_TICK);
	ck_assert(ot_pid_equal(ot_msg_from(m), g_test));
	ck_assert_uint_eq(ot_msg_size(m), 5);
	ck_assert_str_eq(ot_msg_data(m), "tick");
	ot_msg_free(m);
	ck_assert_uint_eq(wait_timers(0), 0);

	/* 0 ms: at once, and out may be NULL */
	t0 = now_msf();
	ck_assert_ot_ok(ot_send_after(0, g_test, T_TICK, NULL, 0, NULL));
	ck_assert_ot_ok(ot_receive(&m, (int)(2000 * tmul())));
	ck_assert_uint_eq(ot_msg_tag(m), T_TICK);
	ck_assert_ptr_null(ot_msg_data(m));
	ot_msg_free(m);
	ck_assert_msg(now_msf() - t0 < 100 * tmul(), "a 0 ms timer took %.1f",
		      now_msf() - t0);
}
END_TEST

/* Starts a timer to the test thread, then ends at once. */
static void timer_then_exit(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	ot_send_after(50, g_test, T_TICK, &me, sizeof(me), NULL);
}

START_TEST(test_send_after_sender_is_caller)
{
	g_test = ot_self();
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(timer_then_exit, NULL, NULL, &p));
	ot_msg *m = expect_msg(T_TICK, 2000);
	ck_assert(ot_pid_equal(ot_msg_from(m), p));
	ck_assert_mem_eq(ot_msg_data(m), &p, sizeof(p));
	ot_msg_free(m);
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
}
END_TEST

START_TEST(test_send_after_bad_args)
{
	g_test = ot_self();
	ot_timer t = {0};
	ck_assert_ot_err(ot_send_after(OT_INFINITY, g_test, 1, NULL, 0, &t),
			 OT_EINVAL);
	ck_assert_ot_err(ot_send_after(-5, g_test, 1, NULL, 0, &t), OT_EINVAL);
	ck_assert_ot_err(ot_send_after(INT_MIN, g_test, 1, NULL, 0, &t),
			 OT_EINVAL);
	ck_assert_ot_err(ot_send_after(10, OT_PID_NONE, 1, NULL, 0, &t),
			 OT_EINVAL);
	ck_assert_ot_err(ot_send_after(10, g_test, 1, NULL, 3, &t), OT_EINVAL);
	ck_assert_ot_err(ot_send_after(10, g_test, 1, "x", 0, &t), OT_EINVAL);
	ck_assert_uint_eq(pending_timers(), 0);
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 40), OT_ETIMEDOUT);
}
END_TEST

static void idle(void *arg)
{
	(void)arg;
}

/* erlang:send_after/3: "The timer will be automatically canceled if the
 * process referred to by the pid() is not alive": at once, counted nowhere
 * (issue 14). */
START_TEST(test_send_after_to_dead_pid)
{
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, &p));
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	ot_timer t;
	ck_assert_ot_ok(ot_send_after(3600 * 1000, p, T_TICK, "x", 1, &t));
	ck_assert_uint_eq(pending_timers(), 0);
	ck_assert_ot_err(ot_cancel_timer(t, NULL), OT_ENOTIMER);
}
END_TEST

/* Waits for whatever comes to it, for ever. */
static void waiter(void *arg)
{
	(void)arg;
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

/* "... or if the process exits": a process that ends takes its pending
 * timers with it, before its DOWN goes out; timers to others stay. */
START_TEST(test_timers_end_with_their_process)
{
	g_test = ot_self();
	ot_pid a, b;
	ck_assert_ot_ok(ot_spawn(waiter, NULL, NULL, &a));
	ck_assert_ot_ok(ot_spawn(waiter, NULL, NULL, &b));
	ot_timer ta[3], tb;
	for (int i = 0; i < 3; i++)
		ck_assert_ot_ok(
		    ot_send_after(3600 * 1000, a, T_TICK, "x", 1, &ta[i]));
	ck_assert_ot_ok(ot_send_after(3600 * 1000, b, T_TICK, NULL, 0, &tb));
	ck_assert_ot_ok(
	    ot_send_after(3600 * 1000, g_test, T_TICK, NULL, 0, NULL));
	ck_assert_uint_eq(pending_timers(), 5);
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(a, &ref));
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(a, &kill));
	ot_msg_free(expect_msg(OT_TAG_DOWN, 2000));
	ck_assert_uint_eq(pending_timers(), 2);
	for (int i = 0; i < 3; i++)
		ck_assert_ot_err(ot_cancel_timer(ta[i], NULL), OT_ENOTIMER);
	ck_assert_ot_ok(ot_cancel_timer(tb, NULL));
	ck_assert_ot_ok(ot_exit_pid(b, &kill));
	ck_assert_ot_ok(ot_thread_detach()); /* the test thread's goes too */
	ck_assert_uint_eq(pending_timers(), 0);
}
END_TEST

/* Timers armed while their destination ends, from two threads at once:
 * none is left behind. */
static void arm_at(void *arg)
{
	ot_pid to = *(const ot_pid *)arg;
	for (int i = 0; i < 50; i++)
		ot_send_after(3600 * 1000, to, T_TICK, NULL, 0, NULL);
}

START_TEST(test_timers_armed_while_destination_ends)
{
	for (int round = 0; round < 200; round++) {
		ot_pid w;
		ck_assert_ot_ok(ot_spawn(waiter, NULL, NULL, &w));
		static ot_pid target;
		target = w;
		ck_assert_ot_ok(ot_spawn(arm_at, &target, NULL, NULL));
		ot_reason kill = ot_reason_kill();
		ot_exit_pid(w, &kill);
		ck_assert(ot_test_wait_quiet(scaled_ms(2000)));
	}
	ck_assert_uint_eq(pending_timers(), 0);
}
END_TEST

/* ---- cancel -------------------------------------------------------------- */

START_TEST(test_cancel_before_firing)
{
	g_test = ot_self();
	ot_timer t;
	double t0 = now_msf();
	ck_assert_ot_ok(ot_send_after(300, g_test, T_TICK, NULL, 0, &t));
	ck_assert_uint_eq(pending_timers(), 1);
	ot_sleep(20);
	int rem = -12345;
	ck_assert_ot_ok(ot_cancel_timer(t, &rem));
	double spent = now_msf() - t0;
	ck_assert_msg(rem <= 300 && rem >= 300 - spent - 2,
		      "remaining %d ms after %.1f ms of a 300 ms timer", rem,
		      spent);
	ck_assert_uint_eq(pending_timers(), 0);
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 400), OT_ETIMEDOUT); /* never sent */

	/* remaining may be NULL */
	ck_assert_ot_ok(ot_send_after(1000, g_test, T_TICK, NULL, 0, &t));
	ck_assert_ot_ok(ot_cancel_timer(t, NULL));
	ck_assert_uint_eq(pending_timers(), 0);
}
END_TEST

START_TEST(test_cancel_after_firing)
{
	g_test = ot_self();
	ot_timer t;
	ck_assert_ot_ok(ot_send_after(10, g_test, T_TICK, NULL, 0, &t));
	ot_msg_free(expect_msg(T_TICK, 2000));
	/* its message was delivered: it has fired, cancelling is too late */
	int rem = -12345;
	ck_assert_ot_err(ot_cancel_timer(t, &rem), OT_ENOTIMER);
	ck_assert_uint_eq(wait_timers(0), 0);
}
END_TEST

START_TEST(test_cancel_twice)
{
	g_test = ot_self();
	ot_timer t;
	ck_assert_ot_ok(ot_send_after(5000, g_test, T_TICK, NULL, 0, &t));
	ck_assert_ot_ok(ot_cancel_timer(t, NULL));
	ck_assert_ot_err(ot_cancel_timer(t, NULL), OT_ENOTIMER);
	ck_assert_uint_eq(pending_timers(), 0);
}
END_TEST

START_TEST(test_cancel_bogus_timer)
{
	g_test = ot_self();
	ck_assert_ot_err(ot_cancel_timer((ot_timer){0}, NULL), OT_ENOTIMER);
	ck_assert_ot_err(ot_cancel_timer((ot_timer){1}, NULL), OT_ENOTIMER);
	ck_assert_ot_err(ot_cancel_timer((ot_timer){UINT64_MAX}, NULL),
			 OT_ENOTIMER);
	/* a real timer is pending: cancelling made-up ones leaves it alone */
	ot_timer t;
	ck_assert_ot_ok(ot_send_after(5000, g_test, T_TICK, NULL, 0, &t));
	ck_assert_ot_err(ot_cancel_timer((ot_timer){t.id + 1}, NULL),
			 OT_ENOTIMER);
	ck_assert_ot_err(ot_cancel_timer((ot_timer){t.id ^ (1ULL << 63)}, NULL),
			 OT_ENOTIMER);
	ck_assert_uint_eq(pending_timers(), 1);
	ck_assert_ot_ok(ot_cancel_timer(t, NULL));
}
END_TEST

/* Cancelling from another process than the one that started the timer. */
static ot_timer g_timer;

static void cancel_it(void *arg)
{
	(void)arg;
	int rem = -1;
	int rc = ot_cancel_timer(g_timer, &rem);
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, rem);
}

START_TEST(test_cancel_from_process)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_send_after(2000, g_test, T_TICK, NULL, 0, &g_timer));
	ck_assert_ot_ok(ot_spawn(cancel_it, NULL, NULL, NULL));
	ck_assert_ot_ok((int)expect_result(2000));
	int64_t rem = expect_result(2000);
	ck_assert_msg(rem > 1000 && rem <= 2000, "remaining %lld",
		      (long long)rem);
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);
}
END_TEST

/* ---- counting ------------------------------------------------------------ */

START_TEST(test_stats_count_pending_timers)
{
	g_test = ot_self();
	ot_timer t[5];
	ck_assert_uint_eq(pending_timers(), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_ot_ok(
		    ot_send_after(10000, g_test, T_TICK, NULL, 0, &t[i]));
	ck_assert_uint_eq(pending_timers(), 5);
	ck_assert_ot_ok(ot_cancel_timer(t[1], NULL));
	ck_assert_ot_ok(ot_cancel_timer(t[3], NULL));
	ck_assert_uint_eq(pending_timers(), 3);
	ck_assert_ot_ok(ot_send_after(20, g_test, T_DATA, NULL, 0, NULL));
	ck_assert_uint_eq(pending_timers(), 4);
	ot_msg_free(expect_msg(T_DATA, 2000));
	ck_assert_uint_eq(wait_timers(3), 3);
	ck_assert_ot_ok(ot_cancel_timer(t[0], NULL));
	ck_assert_ot_ok(ot_cancel_timer(t[2], NULL));
	ck_assert_ot_ok(ot_cancel_timer(t[4], NULL));
	ck_assert_uint_eq(pending_timers(), 0);
}
END_TEST

/* ---- many timers, in deadline order -------------------------------------- */

#define NTIMERS 10000

START_TEST(test_many_timers_in_deadline_order)
{
	g_test = ot_self();
	static bool seen[NTIMERS];
	static int64_t window[NTIMERS][2];
	memset(seen, 0, sizeof(seen));
	unsigned seed = 424242;
	for (int i = 0; i < NTIMERS; i++) {
		seed = seed * 1103515245u + 12345u;
		int ms = (int)((seed >> 16) % 200);
		/* The runtime reads its clock during the call: its deadline
		 * lies in [lo, hi], the clock before and after plus ms. */
		int64_t w[2];
		w[0] = ot_monotonic_ms() + ms;
		ot_timer t;
		int rc = ot_send_after(ms, g_test, (uint64_t)i, NULL, 0, &t);
		w[1] = ot_monotonic_ms() + ms;
		require(rc == 0, "timer %d: %s", i, ot_err_name(rc));
		window[i][0] = w[0];
		window[i][1] = w[1];
	}
	int64_t latest_lo = INT64_MIN; /* the latest deadline already fired */
	for (int i = 0; i < NTIMERS; i++) {
		ot_msg *m;
		int rc = ot_receive(&m, (int)(5000 * tmul()));
		require(rc == 0, "timer message %d: %s", i, ot_err_name(rc));
		int64_t now = ot_monotonic_ms();
		uint64_t idx = ot_msg_tag(m);
		require(idx < NTIMERS && !seen[idx], "bad or repeated tag %llu",
			(unsigned long long)idx);
		seen[idx] = true;
		ot_msg_free(m);
		int64_t lo = window[idx][0], hi = window[idx][1];
		require(now >= lo, "timer %llu fired %lld ms early",
			(unsigned long long)idx, (long long)(lo - now));
		require(hi >= latest_lo,
			"timer %llu (due by %lld) arrived after one due at "
			"%lld or later",
			(unsigned long long)idx, (long long)hi,
			(long long)latest_lo);
		if (lo > latest_lo)
			latest_lo = lo;
	}
	ck_assert_uint_eq(pending_timers(), 0);
}
END_TEST

/* ---- the clock ----------------------------------------------------------- */

START_TEST(test_monotonic_clock)
{
	int64_t prev = ot_monotonic_ms();
	for (int i = 0; i < 100000; i++) {
		int64_t t = ot_monotonic_ms();
		require(t >= prev, "clock went back from %lld to %lld",
			(long long)prev, (long long)t);
		prev = t;
	}
	/* It runs at the rate of CLOCK_MONOTONIC: each read of it is
	 * bracketed by two reads of CLOCK_MONOTONIC, so its advance lies
	 * between the inner and the outer distance of the brackets (1 ms of
	 * slack for whole milliseconds). */
	double a0 = now_msf();
	int64_t o0 = ot_monotonic_ms();
	double b0 = now_msf();
	struct timespec ts = {0, 50 * 1000000};
	nanosleep(&ts, NULL);
	double a1 = now_msf();
	int64_t o1 = ot_monotonic_ms();
	double b1 = now_msf();
	double d = (double)(o1 - o0);
	ck_assert_msg(d >= (a1 - b0) - 1.01 && d <= (b1 - a0) + 1.01,
		      "ot_monotonic_ms advanced %.0f ms while CLOCK_MONOTONIC "
		      "advanced between %.2f and %.2f ms",
		      d, a1 - b0, b1 - a0);
	ck_assert_msg(d >= 49, "50 ms of sleep advanced the clock %.0f ms", d);
}
END_TEST

static Suite *timer_suite(void)
{
	Suite *s = suite_create("timer");

	TCase *tc = ot_test_tcase("sleep", 20);
	tcase_add_test(tc, test_sleep_in_process);
	tcase_add_test(tc, test_sleep_foreign);
	tcase_add_test(tc, test_sleep_foreign_pthreads);
	tcase_add_test(tc, test_sleep_bad_timeout);
	tcase_add_test(tc, test_sleep_keeps_messages);
	tcase_add_test(tc, test_many_sleepers);
	suite_add_tcase(s, tc);

	tc = tcase_create("sleep_one_scheduler");
	tcase_add_checked_fixture(tc, ot_test_setup_one, ot_test_teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_sleep_yields_on_one_scheduler);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("send_after", 10);
	tcase_add_test(tc, test_send_after_delivers);
	tcase_add_test(tc, test_send_after_sender_is_caller);
	tcase_add_test(tc, test_send_after_bad_args);
	tcase_add_test(tc, test_send_after_to_dead_pid);
	tcase_add_test(tc, test_timers_end_with_their_process);
	tcase_add_test(tc, test_timers_armed_while_destination_ends);
	tcase_add_test(tc, test_stats_count_pending_timers);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("cancel", 10);
	tcase_add_test(tc, test_cancel_before_firing);
	tcase_add_test(tc, test_cancel_after_firing);
	tcase_add_test(tc, test_cancel_twice);
	tcase_add_test(tc, test_cancel_bogus_timer);
	tcase_add_test(tc, test_cancel_from_process);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("many", 30);
	tcase_add_test(tc, test_many_timers_in_deadline_order);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("clock", 10);
	tcase_add_test(tc, test_monotonic_clock);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(timer_suite());
}
