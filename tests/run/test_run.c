/* SPDX-License-Identifier: MIT */
/*
 * test_run.c — ot_run(): a tree run until a real signal (kill(2) to the
 * test's own process) or until it ends on its own.
 *
 * ot_run() starts and stops the runtime itself, so these cases do without
 * the standard fixture and check what it would: nothing left running,
 * no descriptor left open, the signal mask as it was.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "fixture.h"

#include <otter/run.h>

/* ---- what the tree's servers record ----------------------------------- */

/* The order in which terminate ran, as the servers' letters. */
static char terminated[16];
static atomic_int nterminated;

/* A worker traps exits, so that its supervisor's shutdown runs its
 * terminate (as in OTP: without, the shutdown signal just ends it). */
static ot_gs_ret worker_init(void *arg, void **state)
{
	ot_trap_exit(true, NULL);
	*state = arg;
	return ot_gs_ok();
}

static void worker_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	int i = atomic_fetch_add(&nterminated, 1);
	if (i < (int)sizeof(terminated) - 1)
		terminated[i] = *(const char *)state;
}

static const ot_gen_server_callbacks worker = {
    .init = worker_init,
    .terminate = worker_terminate,
};

/* Sends SIGTERM to the whole program from inside init: it arrives while
 * the tree is still starting. */
static ot_gs_ret sigterm_init(void *arg, void **state)
{
	kill(getpid(), SIGTERM);
	return worker_init(arg, state);
}

static const ot_gen_server_callbacks sigterm_worker = {
    .init = sigterm_init,
    .terminate = worker_terminate,
};

static char A = 'a', B = 'b', C = 'c';

static const ot_child_spec three_children[] = {
    {.id = "a", .server = &worker, .arg = &A},
    {.id = "b", .server = &worker, .arg = &B},
    {.id = "c", .server = &worker, .arg = &C},
};

static const ot_sup_spec three = {
    .children = three_children,
    .nchildren = 3,
};

/* Runs spec with opts and checks what every case must leave behind. */
static int run_checked(const ot_sup_spec *spec, const ot_run_opts *opts,
		       ot_run_result *res)
{
	int fds = ot_test_count_fds();
	sigset_t before, after;
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	int rc = ot_run(spec, opts, res);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	ck_assert(!ot_running());
	ck_assert_int_eq(ot_test_count_fds(), fds);
	ck_assert(!sigismember(&after, SIGTERM));
	ck_assert_int_eq(sigismember(&before, SIGHUP),
			 sigismember(&after, SIGHUP));
	sigset_t pending;
	sigpending(&pending);
	ck_assert_msg(!sigismember(&pending, SIGTERM) &&
			  !sigismember(&pending, SIGHUP),
		      "a signal is still pending after ot_run()");
	return rc;
}

/* started(): sends the signal *arg points to, to the whole program. */
static int send_signal(ot_pid root, void *arg)
{
	(void)root;
	kill(getpid(), *(const int *)arg);
	return 0;
}

static int sigterm = SIGTERM, sigint = SIGINT, sighup = SIGHUP,
	   sigquit = SIGQUIT;

/* ---- the cases ----------------------------------------------------------- */

/* SIGTERM stops the tree in reverse start order and returns 0 (as
 * init:stop() on SIGTERM: application_SUITE's stop order). */
START_TEST(sigterm_stops_in_reverse_order)
{
	ot_run_opts opts = {.started = send_signal, .arg = &sigterm};
	ot_run_result res;
	ck_assert_ot_ok(run_checked(&three, &opts, &res));
	ck_assert_int_eq(res.signal, SIGTERM);
	ck_assert_str_eq(terminated, "cba");
	ot_reason shutdown = ot_reason_shutdown();
	assert_reason(&res.reason, &shutdown, "the root's reason");
}
END_TEST

START_TEST(sigint_stops_too)
{
	ot_run_opts opts = {.started = send_signal, .arg = &sigint};
	ot_run_result res;
	ck_assert_ot_ok(run_checked(&three, &opts, &res));
	ck_assert_int_eq(res.signal, SIGINT);
	ck_assert_str_eq(terminated, "cba");
}
END_TEST

/* Each SIGHUP calls reload on the calling thread; the run goes on. */
static int reload_count;
static pthread_t run_thread;

static void reload(ot_pid root, void *arg)
{
	ck_assert(pthread_equal(pthread_self(), run_thread));
	ck_assert(ot_is_alive(root));
	ck_assert_ptr_eq(arg, &sighup);
	if (++reload_count == 2)
		kill(getpid(), SIGTERM);
	else
		kill(getpid(), SIGHUP);
}

START_TEST(sighup_calls_reload)
{
	run_thread = pthread_self();
	ot_run_opts opts = {
	    .started = send_signal, .reload = reload, .arg = &sighup};
	ot_run_result res;
	ck_assert_ot_ok(run_checked(&three, &opts, &res));
	ck_assert_int_eq(reload_count, 2);
	ck_assert_uint_eq(res.reloads, 2);
	ck_assert_int_eq(res.signal, SIGTERM);
	ck_assert_str_eq(terminated, "cba");
}
END_TEST

/* Without a reload callback a SIGHUP is logged and changes nothing. */
static char logged[1024];

static void capture(const char *report, void *arg)
{
	(void)arg;
	size_t used = strlen(logged);
	snprintf(logged + used, sizeof(logged) - used, "%s\n", report);
}

static int sighup_then_sigterm(ot_pid root, void *arg)
{
	(void)root;
	(void)arg;
	ck_assert_ot_ok(ot_set_logger(capture, NULL));
	kill(getpid(), SIGHUP);
	/* Signals are not queued in order with each other: wait until the
	 * SIGHUP has been taken before the SIGTERM follows. */
	for (int i = 0; i < 2000; i++) {
		if (strstr(logged, "signal 1"))
			break;
		ot_sleep(5);
	}
	kill(getpid(), SIGTERM);
	return 0;
}

START_TEST(sighup_without_reload_is_logged)
{
	ot_run_opts opts = {.started = sighup_then_sigterm};
	ot_run_result res;
	ck_assert_ot_ok(run_checked(&three, &opts, &res));
	ot_set_logger(NULL, NULL);
	ck_assert_msg(strstr(logged, "(signal 1) ignored"), "logged: %s",
		      logged);
	ck_assert_uint_eq(res.reloads, 1);
	ck_assert_int_eq(res.signal, SIGTERM);
	ck_assert_str_eq(terminated, "cba");
}
END_TEST

/* SIGQUIT kills the root at once: no shutdown deadline is waited for,
 * even a child that would never stop is gone. */
static const ot_sup_spec stubborn;

START_TEST(sigquit_kills_at_once)
{
	ot_run_opts opts = {.started = send_signal,
			    .arg = &sigquit,
			    .stop_timeout_ms = OT_INFINITY};
	ot_run_result res;
	ck_assert_ot_err(run_checked(&stubborn, &opts, &res), OT_ESERVERDIED);
	ck_assert_int_eq(res.signal, SIGQUIT);
	ck_assert_int_eq(res.reason.kind, OT_REASON_KILLED);
}
END_TEST

/* A SIGTERM that comes while the tree starts stops, in order, what has
 * started, once the root's start is done. */
static const ot_child_spec early_children[] = {
    {.id = "a", .server = &worker, .arg = &A},
    {.id = "b", .server = &sigterm_worker, .arg = &B},
    {.id = "c", .server = &worker, .arg = &C},
};

static const ot_sup_spec early = {
    .children = early_children,
    .nchildren = 3,
};

START_TEST(sigterm_while_starting)
{
	ot_run_result res;
	ck_assert_ot_ok(run_checked(&early, NULL, &res));
	ck_assert_int_eq(res.signal, SIGTERM);
	ck_assert_str_eq(terminated, "cba");
}
END_TEST

/* A root that gives up on its own (too many restarts) is a failure,
 * though its reason, shutdown, is clean. */
static int crashing_start(void *arg, const void *extra, size_t extra_size,
			  ot_pid *out, ot_reason *reason);

static void crash_soon(void *arg)
{
	(void)arg;
	ot_sleep(1);
	do_fault(F_NULL_WRITE);
}

static int crashing_start(void *arg, const void *extra, size_t extra_size,
			  ot_pid *out, ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)extra_size;
	(void)reason;
	ot_spawn_opts link = {.flags = OT_SPAWN_LINK};
	return ot_spawn(crash_soon, NULL, &link, out);
}

static const ot_child_spec crashing_children[] = {
    {.id = "crasher", .start = crashing_start},
};

static const ot_sup_spec gives_up = {
    .flags = {.intensity = 2, .period_ms = 60000},
    .children = crashing_children,
    .nchildren = 1,
};

START_TEST(root_ending_on_its_own_is_a_failure)
{
	ck_assert_ot_ok(ot_set_logger(ot_log_discard, NULL));
	ot_run_result res;
	ck_assert_ot_err(run_checked(&gives_up, NULL, &res), OT_ESERVERDIED);
	ot_set_logger(NULL, NULL);
	ck_assert_int_eq(res.signal, 0);
	ot_reason shutdown = ot_reason_shutdown();
	assert_reason(&res.reason, &shutdown, "the root's reason");
}
END_TEST

/* A child that ignores its shutdown is killed at the deadline. It traps
 * exits before its start returns (it tells its starter so): a shutdown
 * that came before its first line would end it at once, and the tree in
 * time (the test failed so, now and then, under TSan). */
enum { T_TRAPPING = 77 };

static void ignore_shutdown(void *arg)
{
	ot_trap_exit(true, NULL);
	ot_send(*(const ot_pid *)arg, T_TRAPPING, NULL, 0);
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		ot_msg_free(m);
	}
}

static bool is_trapping(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == T_TRAPPING;
}

static int stubborn_start(void *arg, const void *extra, size_t extra_size,
			  ot_pid *out, ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)extra_size;
	(void)reason;
	static ot_pid starter; /* read by the child before start returns */
	starter = ot_self();
	ot_spawn_opts link = {.flags = OT_SPAWN_LINK};
	int rc = ot_spawn(ignore_shutdown, &starter, &link, out);
	if (rc)
		return rc;
	ot_msg *m = NULL;
	rc = ot_receive_match(is_trapping, NULL, &m, 10000);
	ot_msg_free(m);
	return rc;
}

static const ot_child_spec stubborn_children[] = {
    {.id = "stubborn", .start = stubborn_start, .shutdown_ms = OT_INFINITY},
};

static const ot_sup_spec stubborn = {
    .children = stubborn_children,
    .nchildren = 1,
};

START_TEST(deadline_kills_the_tree)
{
	ot_run_opts opts = {
	    .started = send_signal, .arg = &sigterm, .stop_timeout_ms = 100};
	ot_run_result res;
	int64_t t0 = now_ms();
	ck_assert_ot_err(run_checked(&stubborn, &opts, &res), OT_ETIMEDOUT);
	ck_assert_int_eq(res.signal, SIGTERM);
	ck_assert_int_eq(res.reason.kind, OT_REASON_KILLED);
	ck_assert_int_ge(now_ms() - t0, 100);
}
END_TEST

/* started's negative return stops the tree in order and is returned. */
static int refuse(ot_pid root, void *arg)
{
	(void)root;
	(void)arg;
	return OT_ESYS;
}

START_TEST(started_failure_stops_the_tree)
{
	ot_run_opts opts = {.started = refuse};
	ot_run_result res;
	ck_assert_ot_err(run_checked(&three, &opts, &res), OT_ESYS);
	ck_assert_str_eq(terminated, "cba");
}
END_TEST

/* An invalid spec: the spec's error, and nothing started. */
START_TEST(bad_spec_starts_nothing)
{
	static const ot_child_spec no_start[] = {{.id = "x"}};
	static const ot_sup_spec bad = {.children = no_start, .nchildren = 1};
	ot_run_result res;
	ck_assert_ot_err(run_checked(&bad, NULL, &res), OT_EBADSPEC);
	ck_assert_int_eq(res.reason.kind, OT_REASON_ERROR);
	ck_assert_int_eq(res.signal, 0);

	static const ot_sup_spec bad_flags = {.flags = {.intensity = -1}};
	ck_assert_ot_err(run_checked(&bad_flags, NULL, NULL), OT_EBADSPEC);
}
END_TEST

START_TEST(bad_arguments)
{
	ck_assert_ot_err(run_checked(NULL, NULL, NULL), OT_EINVAL);
	ot_run_opts negative = {.stop_timeout_ms = -5};
	ck_assert_ot_err(run_checked(&three, &negative, NULL), OT_EINVAL);
	ot_config bad_config = {.schedulers = 100000};
	ot_run_opts opts = {.config = &bad_config};
	ck_assert_ot_err(run_checked(&three, &opts, NULL), OT_EINVAL);
}
END_TEST

/* The signals must be blocked before the schedulers start. */
START_TEST(runtime_already_running)
{
	ck_assert_ot_ok(ot_start(NULL));
	ck_assert_ot_err(ot_run(&three, NULL, NULL), OT_ESTARTED);
	ck_assert_ot_ok(ot_shutdown());
}
END_TEST

static void run_in_process(void *arg)
{
	int rc = ot_run(&three, NULL, NULL);
	send_i64(*(ot_pid *)arg, 1, rc);
}

START_TEST(not_from_a_process)
{
	ck_assert_ot_ok(ot_start(NULL));
	ot_pid self = ot_self();
	ck_assert_ot_ok(ot_spawn(run_in_process, &self, NULL, NULL));
	ot_msg *m = expect_msg(1, 5000);
	ck_assert_int_eq(msg_i64(m), OT_ENOTFOREIGN);
	ot_msg_free(m);
	ck_assert_ot_ok(ot_thread_detach());
	ck_assert_ot_ok(ot_shutdown());
}
END_TEST

/* Two SIGTERMs: the second, which came while the tree stopped, does not
 * kill the program once the mask is back (run_checked looks). */
static int send_two_sigterms(ot_pid root, void *arg)
{
	(void)root;
	(void)arg;
	kill(getpid(), SIGTERM);
	kill(getpid(), SIGTERM);
	return 0;
}

START_TEST(late_signals_are_taken)
{
	ot_run_opts opts = {.started = send_two_sigterms};
	ck_assert_ot_ok(run_checked(&three, &opts, NULL));
	/* and a second run works as the first */
	memset(terminated, 0, sizeof(terminated));
	atomic_store(&nterminated, 0);
	ck_assert_ot_ok(run_checked(&three, &opts, NULL));
	ck_assert_str_eq(terminated, "cba");
}
END_TEST

static Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, sigterm_stops_in_reverse_order);
	tcase_add_test(tc, sigint_stops_too);
	tcase_add_test(tc, sighup_calls_reload);
	tcase_add_test(tc, sighup_without_reload_is_logged);
	tcase_add_test(tc, sigquit_kills_at_once);
	tcase_add_test(tc, sigterm_while_starting);
	tcase_add_test(tc, root_ending_on_its_own_is_a_failure);
	tcase_add_test(tc, deadline_kills_the_tree);
	tcase_add_test(tc, started_failure_stops_the_tree);
	tcase_add_test(tc, bad_spec_starts_nothing);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, runtime_already_running);
	tcase_add_test(tc, not_from_a_process);
	tcase_add_test(tc, late_signals_are_taken);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(run_suite());
}
