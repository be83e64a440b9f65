/* SPDX-License-Identifier: MIT */
/*
 * test_exit_hook.c — a process's exit hook (ot_set_exit_hook(), or
 * ot_spawn_opts.exit_hook): it runs once after the process ended, however
 * it ended (it returned, crashed, overflowed its stack, was killed, or was
 * killed before it ever ran), off the process's stack, before its
 * monitors get their DOWN; a hook that crashes is reported and the runtime
 * goes on (issue 15 item 11).
 *
 * No OTP twin: Erlang frees a process's heap itself, so it has no such
 * hook. The TCases that fault are named crash_* and tagged "crash".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#include "faults.h"

struct rec {
	atomic_int runs;
	ot_reason reason;
	bool in_process; /* what ot_in_process() said inside the hook */
};

static void hook(const ot_reason *reason, void *arg)
{
	struct rec *r = arg;
	r->reason = *reason;
	r->in_process = ot_in_process();
	atomic_fetch_add(&r->runs, 1);
}

static void hook_that_crashes(const ot_reason *reason, void *arg)
{
	(void)reason;
	(void)arg;
	do_fault(F_NULL_WRITE);
}

static void returns(void *arg)
{
	ck_assert_ot_ok(ot_set_exit_hook(hook, arg));
}

static void faults(void *arg)
{
	struct rec *r = arg;
	ot_set_exit_hook(hook, r);
	do_fault(F_NULL_WRITE);
}

static void overflows(void *arg)
{
	ot_set_exit_hook(hook, arg);
	do_fault(F_OVERFLOW);
}

/* Sets the hook, then waits for ever (until killed). */
static void waits(void *arg)
{
	ot_set_exit_hook(hook, arg);
	ot_msg *m;
	ot_receive(&m, OT_INFINITY);
}

/* Sets a hook that crashes, then one that does not: the last one counts. */
static void replaces(void *arg)
{
	ot_set_exit_hook(hook_that_crashes, NULL);
	ot_set_exit_hook(hook, arg);
}

/* Sets a hook and removes it. */
static void removes(void *arg)
{
	ot_set_exit_hook(hook, arg);
	ot_set_exit_hook(NULL, arg);
}

static void crash_hook_then_return(void *arg)
{
	(void)arg;
	ot_set_exit_hook(hook_that_crashes, NULL);
}

static void idle(void *arg)
{
	(void)arg;
	ot_msg *m;
	ot_receive(&m, OT_INFINITY);
}

/* Spawns fn(r), monitored; returns the DOWN's reason, and asserts that the
 * hook had run by the time the DOWN came. */
static ot_reason run_to_down(ot_proc_fn fn, struct rec *r, bool kill)
{
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(fn, r, &o, &pid));
	if (kill) {
		/* Once it is waiting (so it set its hook). */
		ot_process_info pi;
		while (ot_process_info_get(pid, &pi) == 0 &&
		       pi.status != OT_PROC_WAITING)
			sched_yield();
		ot_reason k = ot_reason_kill();
		ck_assert_ot_ok(ot_exit_pid(pid, &k));
	}
	ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
	const ot_down_info *d = ot_msg_down(m);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->ref.id, ref.id);
	ot_reason why = d->reason;
	ot_msg_free(m);
	ck_assert_int_eq(atomic_load(&r->runs), 1);
	return why;
}

/* fn ends with a reason of kind want; its hook saw the DOWN's reason,
 * off its stack. */
static void expect_hook(ot_proc_fn fn, bool kill, ot_reason_kind want)
{
	struct rec r = {0};
	ot_reason why = run_to_down(fn, &r, kill);
	ck_assert_int_eq(why.kind, want);
	assert_reason(&r.reason, &why, "the hook's reason");
	ck_assert(!r.in_process);
}

START_TEST(test_hook_on_return)
{
	expect_hook(returns, false, OT_REASON_NORMAL);
}
END_TEST

START_TEST(test_hook_on_kill)
{
	expect_hook(waits, true, OT_REASON_KILLED);
}
END_TEST

START_TEST(test_hook_replaced_and_removed)
{
	struct rec r = {0};
	run_to_down(replaces, &r, false);
	struct rec none = {0};
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(removes, &none, &o, NULL));
	ot_msg_free(expect_msg(OT_TAG_DOWN, 5000));
	ck_assert_int_eq(atomic_load(&none.runs), 0);
}
END_TEST

/* Set at spawn: it runs even for a process killed before it first ran
 * (one scheduler, busy with the killer meanwhile). */
struct pair {
	struct rec killer, victim;
};

static void spawn_and_kill(void *arg)
{
	struct pair *pr = arg;
	ot_set_exit_hook(hook, &pr->killer);
	ot_pid pid;
	ot_spawn_opts o = {.exit_hook = hook, .exit_hook_arg = &pr->victim};
	if (ot_spawn(idle, NULL, &o, &pid) != 0)
		return;
	ot_ref ref;
	ot_monitor(pid, &ref);
	ot_reason k = ot_reason_kill();
	ot_exit_pid(pid, &k);
	ot_msg *m;
	ot_receive(&m, scaled_ms(5000));
	ot_msg_free(m);
}

START_TEST(test_hook_at_spawn_before_first_run)
{
	struct pair pr = {0};
	run_to_down(spawn_and_kill, &pr.killer, false);
	ck_assert_int_eq(atomic_load(&pr.victim.runs), 1);
	ck_assert_int_eq(pr.victim.reason.kind, OT_REASON_KILLED);
}
END_TEST

START_TEST(test_hook_errors)
{
	/* The test thread is no process. */
	ck_assert_ot_err(ot_set_exit_hook(hook, NULL), OT_ENOTPROC);
	/* A spawn that fails runs no hook. */
	struct rec r = {0};
	ot_spawn_opts o = {.flags = 99, .exit_hook = hook, .exit_hook_arg = &r};
	ck_assert_ot_err(ot_spawn(idle, NULL, &o, NULL), OT_EINVAL);
	ck_assert_int_eq(atomic_load(&r.runs), 0);
}
END_TEST

/* Many processes, each with its hook, killed together: each hook once. */
START_TEST(test_hook_once_each)
{
	enum { N = 500 };
	struct rec *r = calloc(N, sizeof *r);
	ot_pid *pids = calloc(N, sizeof *pids);
	for (int i = 0; i < N; i++) {
		ot_spawn_opts o = {.exit_hook = hook, .exit_hook_arg = &r[i]};
		ck_assert_ot_ok(
		    ot_spawn(i % 2 ? idle : returns, &r[i], &o, &pids[i]));
	}
	ot_reason k = ot_reason_kill();
	for (int i = 0; i < N; i++)
		ot_exit_pid(pids[i], &k);
	ck_assert(ot_test_wait_quiet(scaled_ms(5000)));
	/* A process is no longer counted before its hook ran: wait a bit. */
	int64_t until = now_ms() + scaled_ms(2000);
	for (int i = 0; i < N; i++) {
		while (atomic_load(&r[i].runs) == 0 && now_ms() < until)
			sched_yield();
		ck_assert_int_eq(atomic_load(&r[i].runs), 1);
	}
	free(r);
	free(pids);
}
END_TEST

START_TEST(crash_hook_on_fault)
{
	expect_hook(faults, false, OT_REASON_CRASH);
}
END_TEST

START_TEST(crash_hook_on_stack_overflow)
{
	struct rec r = {0};
	ot_reason why = run_to_down(overflows, &r, false);
	ck_assert(why.stack_overflow);
	ck_assert(r.reason.stack_overflow);
}
END_TEST

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_log[4096];

static void keep_report(const ot_report *rep, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_log_lock);
	strncat(g_log, rep->text, sizeof g_log - strlen(g_log) - 1);
	pthread_mutex_unlock(&g_log_lock);
}

static bool log_has(const char *s)
{
	pthread_mutex_lock(&g_log_lock);
	bool has = strstr(g_log, s) != NULL;
	pthread_mutex_unlock(&g_log_lock);
	return has;
}

START_TEST(crash_hook_that_crashes)
{
	ck_assert_ot_ok(ot_set_report_logger(keep_report, NULL));
	for (int i = 0; i < 3; i++) {
		ot_ref ref;
		ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR,
				   .monitor_ref = &ref};
		ck_assert_ot_ok(
		    ot_spawn(crash_hook_then_return, NULL, &o, NULL));
		ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
		/* Its DOWN still says how the process ended. */
		ck_assert_int_eq(ot_msg_down(m)->reason.kind, OT_REASON_NORMAL);
		ot_msg_free(m);
	}
	ck_assert(log_has("exit hook crashed (SEGV)"));
	/* The runtime goes on. */
	struct rec r = {0};
	run_to_down(returns, &r, false);
	ot_set_report_logger(NULL, NULL);
}
END_TEST

static Suite *exit_hook_suite(void)
{
	Suite *s = suite_create("exit_hook");
	TCase *tc = ot_test_tcase("hook", 20);
	tcase_add_test(tc, test_hook_on_return);
	tcase_add_test(tc, test_hook_on_kill);
	tcase_add_test(tc, test_hook_replaced_and_removed);
	tcase_add_test(tc, test_hook_errors);
	tcase_add_test(tc, test_hook_once_each);
	suite_add_tcase(s, tc);
	TCase *one = tcase_create("hook_one");
	tcase_add_checked_fixture(one, ot_test_setup_one, ot_test_teardown);
	tcase_set_timeout(one, 20);
	tcase_add_test(one, test_hook_at_spawn_before_first_run);
	suite_add_tcase(s, one);
	TCase *crash = tcase_create("crash_hook");
	tcase_add_checked_fixture(crash, ot_test_setup, ot_test_teardown);
	tcase_set_timeout(crash, 20);
	tcase_set_tags(crash, "crash");
	tcase_add_test(crash, crash_hook_on_fault);
	tcase_add_test(crash, crash_hook_on_stack_overflow);
	tcase_add_test(crash, crash_hook_that_crashes);
	suite_add_tcase(s, crash);
	return s;
}

int main(void)
{
	return ot_test_run(exit_hook_suite());
}
