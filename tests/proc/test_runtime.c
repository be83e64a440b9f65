/* SPDX-License-Identifier: MIT */
/*
 * test_runtime.c — starting and stopping the runtime: what works before
 * ot_start() and after ot_shutdown(), bad configurations, shutdown killing
 * what still runs, restarting, and the counters tests rely on.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

enum { T_READY = 1, T_PING, T_PONG, T_RESULT, T_DATA };

static ot_pid g_test; /* the test thread, set before spawning */

/* Scales the upper bounds of timing checks as Check scales timeouts. */
/* The next message of the test thread, which must have tag want. */
static void idle(void *arg)
{
	(void)arg;
}

static bool match_none(const ot_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	return false;
}

/* Says it is ready, then waits for one message and ends. */
static void blocker(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

/* Answers each T_PING with a T_PONG carrying the same payload; ends on any
 * other tag. */
static void echo(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		if (ot_msg_tag(m) != T_PING) {
			ot_msg_free(m);
			return;
		}
		ot_send(ot_msg_from(m), T_PONG, ot_msg_data(m), ot_msg_size(m));
		ot_msg_free(m);
	}
}

/* One ping-pong round trip between the test thread and an echo process. */
static void ping(ot_pid echo_pid, int64_t v)
{
	send_i64(echo_pid, T_PING, v);
	ot_msg *m = expect_msg(T_PONG, 2000);
	ck_assert(ot_pid_equal(ot_msg_from(m), echo_pid));
	ck_assert_int_eq(msg_i64(m), v);
	ot_msg_free(m);
}

static atomic_int g_freed;
static void count_free(void *p)
{
	atomic_fetch_add(&g_freed, 1);
	free(p);
}

/* ---- before ot_start() --------------------------------------------------- */

START_TEST(test_api_before_start)
{
	ot_pid pid = OT_PID_NONE;
	ot_msg *m = NULL;
	ot_stats st;

	ck_assert(!ot_running());
	ck_assert_ot_err(ot_spawn(idle, NULL, NULL, &pid), OT_ENOTSTARTED);
	ck_assert(ot_pid_is_none(pid));
	ck_assert(ot_pid_is_none(ot_self()));
	ck_assert(!ot_in_process());
	int rc = ot_yield();
	ck_assert_msg(rc == OT_ENOTSTARTED || rc == OT_ENOTPROC,
		      "ot_yield() returned %s", ot_err_name(rc));
	ck_assert_ot_err(ot_sleep(10), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_receive(&m, 0), OT_ENOTSTARTED);
	/* must not block for ever */
	ck_assert_ot_err(ot_receive(&m, OT_INFINITY), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_receive_match(match_none, NULL, &m, 0),
			 OT_ENOTSTARTED);
	ck_assert_ot_err(ot_runtime_stats(&st), OT_ENOTSTARTED);
	/* a pid that could name a process (slot 1, generation 1) */
	const ot_pid some = {((uint64_t)1 << 32) | 1};
	ck_assert(!ot_is_alive(some));
	ck_assert_ot_err(ot_send(some, T_DATA, "x", 1), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_send_after(5, some, T_DATA, NULL, 0, NULL),
			 OT_ENOTSTARTED);
	ck_assert_ot_err(ot_register("x", some), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_unregister("x"), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_whereis("x", &pid), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_cancel_timer((ot_timer){1}, NULL), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_shutdown(), OT_ENOTSTARTED);
	ck_assert_ot_ok(ot_thread_detach()); /* never attached: 0 */
	ck_assert(!ot_running());
}
END_TEST

/* ---- after ot_shutdown(), with pids, names and timers of the old run ----- */

START_TEST(test_api_after_shutdown)
{
	ot_config cfg = {.schedulers = 2};
	ck_assert_ot_ok(ot_start(&cfg));
	g_test = ot_self();
	ck_assert(!ot_pid_is_none(g_test));
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(blocker, NULL, NULL, &p));
	ot_msg_free(expect_msg(T_READY, 2000));
	ck_assert_ot_ok(ot_register("blocked", p));
	ot_timer t;
	ck_assert_ot_ok(ot_send_after(60000, g_test, T_DATA, NULL, 0, &t));
	ck_assert_ot_ok(ot_shutdown());
	ck_assert(!ot_running());

	ot_msg *m = NULL;
	ot_stats st;
	ot_pid got;
	ck_assert(!ot_is_alive(p));
	ck_assert(!ot_is_alive(g_test));
	ck_assert(ot_pid_is_none(ot_self()));
	ck_assert_ot_err(ot_send(p, T_DATA, NULL, 0), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_send(g_test, T_DATA, "x", 1), OT_ENOTSTARTED);
	atomic_store(&g_freed, 0);
	ck_assert_ot_err(ot_send_owned(p, T_DATA, malloc(8), 8, count_free),
			 OT_ENOTSTARTED);
	ck_assert_int_eq(atomic_load(&g_freed), 1); /* released on error */
	ck_assert_ot_err(ot_send_after(10, p, T_DATA, NULL, 0, NULL),
			 OT_ENOTSTARTED);
	ck_assert_ot_err(ot_cancel_timer(t, NULL), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_register("blocked", p), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_whereis("blocked", &got), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_unregister("blocked"), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_spawn(idle, NULL, NULL, NULL), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_receive(&m, 0), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_runtime_stats(&st), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_sleep(1), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_shutdown(), OT_ENOTSTARTED);
	ck_assert_ot_ok(ot_thread_detach());
}
END_TEST

/* ---- configuration ------------------------------------------------------- */

START_TEST(test_bad_config)
{
	const ot_config bad[] = {
	    {.schedulers = 1025},
	    {.schedulers = 100000},
	    {.stack_size = 4096},
	    {.stack_size = 1},
	    {.stack_size = OT_MAX_STACK_SIZE + 1},
	    {.stack_size = SIZE_MAX},
	    {.max_processes = OT_MAX_PROCESSES + 1},
	    {.max_processes = SIZE_MAX},
	    {.shared_stacks = OT_MAX_SHARED_STACKS + 1},
	    {.shared_stacks = SIZE_MAX},
	    {.stack_guard = OT_MAX_STACK_GUARD + 1},
	    {.stack_guard = SIZE_MAX},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ot_start(&bad[i]);
		ck_assert_msg(
		    rc == OT_EINVAL,
		    "config %zu: ot_start returned %s, want OT_EINVAL", i,
		    ot_err_name(rc));
		ck_assert(!ot_running());
		ck_assert_ot_err(ot_shutdown(), OT_ENOTSTARTED);
	}
	/* The edges of the valid ranges work. */
	ot_config edge = {.schedulers = 1,
			  .stack_size = OT_MIN_STACK_SIZE,
			  .max_processes = 16,
			  .shared_stacks = 1,
			  .stack_guard = 1};
	ck_assert_ot_ok(ot_start(&edge));
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.schedulers, 1);
	g_test = ot_self();
	ot_pid e;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &e));
	ping(e, 42);
	ck_assert_ot_ok(ot_send(e, T_DATA, NULL, 0));
	ck_assert_ot_ok(ot_shutdown());

	/* an odd stack size is rounded up to pages, not refused */
	ot_config odd = {.schedulers = 1, .stack_size = OT_MIN_STACK_SIZE + 1};
	ck_assert_ot_ok(ot_start(&odd));
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &e));
	ping(e, 43);
	ck_assert_ot_ok(ot_send(e, T_DATA, NULL, 0));
	ck_assert_ot_ok(ot_shutdown());
}
END_TEST

START_TEST(test_default_schedulers)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ck_assert_ot_ok(ot_start(NULL));
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.schedulers, (unsigned)cpus);
	ck_assert_ot_ok(ot_shutdown());

	ot_config zero;
	memset(&zero, 0, sizeof(zero));
	ck_assert_ot_ok(ot_start(&zero));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.schedulers, (unsigned)cpus);
	ck_assert_ot_ok(ot_shutdown());
}
END_TEST

START_TEST(test_start_twice)
{
	ck_assert(ot_running());
	ck_assert_ot_err(ot_start(NULL), OT_ESTARTED);
	ot_config cfg = {.schedulers = 1};
	ck_assert_ot_err(ot_start(&cfg), OT_ESTARTED);
	/* A bad config while running is still "already running" or "invalid",
	 * never a restart. */
	ot_config bad = {.schedulers = 5000};
	int rc = ot_start(&bad);
	ck_assert_msg(rc == OT_ESTARTED || rc == OT_EINVAL, "got %s",
		      ot_err_name(rc));
	ck_assert(ot_running());
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.schedulers, 2); /* the first start still holds */
	g_test = ot_self();
	ot_pid e;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &e));
	ping(e, 7);
	ck_assert_ot_ok(ot_send(e, T_DATA, NULL, 0));
}
END_TEST

/* ---- calls that need a foreign thread, made from a process --------------- */

static void try_foreign_calls(void *arg)
{
	(void)arg;
	send_i64(g_test, T_RESULT, ot_shutdown());
	send_i64(g_test, T_RESULT, ot_start(NULL));
	send_i64(g_test, T_RESULT, ot_thread_detach());
	send_i64(g_test, T_RESULT, ot_in_process());
}

START_TEST(test_shutdown_from_process)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(try_foreign_calls, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 2000);
	ck_assert_ot_err((int)msg_i64(m), OT_ENOTFOREIGN);
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 2000);
	int rc = (int)msg_i64(m);
	ck_assert_msg(rc == OT_ESTARTED || rc == OT_ENOTFOREIGN,
		      "ot_start from a process returned %s", ot_err_name(rc));
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 2000);
	ck_assert_ot_err((int)msg_i64(m), OT_ENOTFOREIGN);
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 2000);
	ck_assert_int_eq(msg_i64(m), 1);
	ot_msg_free(m);
	ck_assert(ot_running());
}
END_TEST

/* ---- shutdown kills what is still running -------------------------------- */

static atomic_int g_resumed; /* processes that ran on after being killed */

static void receive_forever(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	int rc = ot_receive(&m, OT_INFINITY);
	atomic_fetch_add(&g_resumed, 1);
	if (rc == 0)
		ot_msg_free(m);
}

static void match_forever(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	int rc = ot_receive_match(match_none, NULL, &m, OT_INFINITY);
	atomic_fetch_add(&g_resumed, 1);
	if (rc == 0)
		ot_msg_free(m);
}

static void sleep_forever(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_sleep(OT_INFINITY);
	atomic_fetch_add(&g_resumed, 1);
}

static void yield_forever(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	while (ot_yield() == 0)
		;
	atomic_fetch_add(&g_resumed, 1);
}

START_TEST(test_shutdown_kills_blocked_processes)
{
	g_test = ot_self();
	atomic_store(&g_resumed, 0);
	atomic_store(&g_freed, 0);
	ot_proc_fn kinds[] = {receive_forever, match_forever, sleep_forever,
			      yield_forever};
	ot_pid pids[40];
	int n = 0;
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 10; i++)
			ck_assert_ot_ok(
			    ot_spawn(kinds[k], NULL, NULL, &pids[n++]));
	for (int i = 0; i < n; i++)
		ot_msg_free(expect_msg(T_READY, 5000));
	/* Messages left queued (nobody matches them) are freed too. */
	for (int i = 10; i < 20; i++)
		ck_assert_ot_ok(
		    ot_send_owned(pids[i], T_DATA, malloc(16), 16, count_free));
	ot_sleep(20);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 40);

	int64_t t0 = now_ms();
	ck_assert_ot_ok(ot_shutdown());
	int64_t took = now_ms() - t0;
	ck_assert(!ot_running());
	ck_assert_msg(took < 2000 * tmul(), "shutdown took %lld ms",
		      (long long)took);
	for (int i = 0; i < n; i++)
		ck_assert(!ot_is_alive(pids[i]));
	ck_assert_msg(atomic_load(&g_resumed) == 0,
		      "%d killed processes ran on after their wait",
		      atomic_load(&g_resumed));
	ck_assert_int_eq(atomic_load(&g_freed), 10);
}
END_TEST

/* Shutdown also stops processes that are runnable, not yet started. */
START_TEST(test_shutdown_with_unstarted_processes)
{
	ot_config cfg = {.schedulers = 1};
	ck_assert_ot_ok(ot_start(&cfg));
	g_test = ot_self();
	for (int i = 0; i < 1000; i++)
		ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, NULL));
	for (int i = 0; i < 100; i++)
		ck_assert_ot_ok(ot_spawn(receive_forever, NULL, NULL, NULL));
	ck_assert_ot_ok(ot_shutdown());
	ck_assert(!ot_running());
}
END_TEST

/* ---- start, stop, start again -------------------------------------------- */

START_TEST(test_start_stop_start)
{
	const unsigned scheds[] = {2, 1, 2};
	for (int cycle = 0; cycle < 3; cycle++) {
		ot_config cfg = {.schedulers = scheds[cycle]};
		ck_assert_ot_ok(ot_start(&cfg));
		ck_assert(ot_running());
		ot_stats st;
		ck_assert_ot_ok(ot_runtime_stats(&st));
		ck_assert_uint_eq(st.schedulers, scheds[cycle]);
		ck_assert_uint_eq(st.spawned, 0);
		ck_assert_uint_eq(st.processes, 0);
		ck_assert_uint_eq(st.threads, 0);
		ck_assert_uint_eq(st.names, 0);
		ck_assert_uint_eq(st.timers, 0);
		/* the main thread attaches anew in each run */
		g_test = ot_self();
		ck_assert(!ot_pid_is_none(g_test));
		ck_assert(ot_is_alive(g_test));
		ot_pid e;
		ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &e));
		/* the name of the previous run is gone */
		ck_assert_ot_ok(ot_register("echo", e));
		for (int i = 0; i < 10; i++)
			ping(e, cycle * 100 + i);
		ck_assert_ot_ok(ot_runtime_stats(&st));
		ck_assert_uint_eq(st.spawned, 1);
		/* leave the echo process and its name for shutdown */
		ck_assert_ot_ok(ot_shutdown());
		ck_assert(!ot_running());
		ck_assert(!ot_is_alive(e));
	}
}
END_TEST

/* ---- the counters -------------------------------------------------------- */

static void report_stats(void *arg)
{
	(void)arg;
	ot_stats st;
	int rc = ot_runtime_stats(&st);
	send_i64(g_test, T_RESULT, rc == 0 ? (int64_t)st.processes : rc);
}

START_TEST(test_stats_counters)
{
	ot_stats st;
	ck_assert_ot_err(ot_runtime_stats(NULL), OT_EINVAL);
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.schedulers, 2);
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.threads, 0);
	ck_assert_uint_eq(st.spawned, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	ck_assert_uint_eq(st.timers, 0);
	ck_assert_uint_eq(st.names, 0);

	g_test = ot_self();
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.threads, 1);
	ck_assert_uint_eq(st.processes, 0); /* a foreign thread is no process */

	ot_pid pids[5];
	for (int i = 0; i < 5; i++)
		ck_assert_ot_ok(ot_spawn(blocker, NULL, NULL, &pids[i]));
	for (int i = 0; i < 5; i++)
		ot_msg_free(expect_msg(T_READY, 2000));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 5);
	ck_assert_uint_eq(st.spawned, 5);
	/* each is on a stack, or saved off one */
	ck_assert(st.stacks_in_use == 5 || st.stack_bytes_saved > 0);
	ck_assert_uint_eq(st.threads, 1);

	ck_assert_ot_ok(ot_register("stats_a", pids[0]));
	ck_assert_ot_ok(ot_register("stats_b", pids[1]));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.names, 2);

	ot_timer t1, t2;
	ck_assert_ot_ok(ot_send_after(60000, g_test, T_DATA, NULL, 0, &t1));
	ck_assert_ot_ok(ot_send_after(60000, g_test, T_DATA, NULL, 0, &t2));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.timers, 2);
	ck_assert_ot_ok(ot_cancel_timer(t1, NULL));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.timers, 1);
	ck_assert_ot_ok(ot_cancel_timer(t2, NULL));

	/* a process sees itself among the live ones */
	ck_assert_ot_ok(ot_spawn(report_stats, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 2000);
	ck_assert_int_ge(msg_i64(m), 6);
	ot_msg_free(m);

	for (int i = 0; i < 5; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_DATA, NULL, 0));
	ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.spawned, 6);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	ck_assert_uint_eq(st.timers, 0);
	ck_assert_uint_eq(st.names, 0); /* released when the processes ended */
	ck_assert_uint_eq(st.threads, 1);
	ck_assert_ot_ok(ot_thread_detach());
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.threads, 0);
}
END_TEST

/* Tears down whatever the test left running, without leak checks (for
 * tests that start and stop the runtime themselves). */
static void stop_if_running(void)
{
	if (ot_running()) {
		ot_thread_detach();
		ot_shutdown();
	}
}

static Suite *runtime_suite(void)
{
	Suite *s = suite_create("runtime");

	TCase *tc = tcase_create("not_started");
	tcase_add_checked_fixture(tc, NULL, stop_if_running);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_api_before_start);
	tcase_add_test(tc, test_api_after_shutdown);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_default_schedulers);
	tcase_add_test(tc, test_start_stop_start);
	tcase_add_test(tc, test_shutdown_with_unstarted_processes);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("running", 10);
	tcase_add_test(tc, test_start_twice);
	tcase_add_test(tc, test_shutdown_from_process);
	tcase_add_test(tc, test_shutdown_kills_blocked_processes);
	tcase_add_test(tc, test_stats_counters);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(runtime_suite());
}
