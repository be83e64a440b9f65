/* SPDX-License-Identifier: MIT */
/*
 * test_fault_catch.c — the ways a process's own code can take back how it
 * ends (fault.c): the crash handler also runs for ot_exit() (not for exit
 * signals), runs once, and a crash or an ot_exit() inside it gives the
 * process its reason; ot_catch() brings a crash or an ot_exit() inside fn
 * back to the caller (Erlang's catch), nests, works inside a crash
 * handler, and leaves a stack overflow and kills alone.
 */
#include "config.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "fixture.h"

#include "faults.h"

enum { EV_HANDLER = 100, EV_AFTER, EV_CAUGHT };

/* A process's plan, given at spawn. */
struct plan {
	int how;	/* what the process does, H_* */
	int fault;	/* the fault it commits */
	ot_reason why;	/* the reason it exits with */
	int in_handler; /* what its handler does, IH_* */
	ot_reason why2; /* ... the reason it exits with */
	int fault2;	/* ... the fault it commits */
};

enum { H_EXIT, H_FAULT, H_EXIT_PID_SELF, H_WAIT };
enum { IH_RETURN, IH_EXIT, IH_FAULT, IH_CATCH };

static ot_pid g_test;

static void send_reason(uint64_t tag, const ot_reason *r)
{
	ot_send(g_test, tag, r, sizeof *r);
}

static void fault_fn(void *arg)
{
	do_fault(*(const int *)arg);
}

static void handler(const ot_reason *reason, void *arg)
{
	const struct plan *pl = arg;
	send_reason(EV_HANDLER, reason);
	switch (pl->in_handler) {
	case IH_EXIT:
		ot_exit(&pl->why2);
		break;
	case IH_FAULT:
		do_fault(pl->fault2);
		break;
	case IH_CATCH: {
		ot_reason caught;
		int rc = ot_catch(fault_fn, (void *)&pl->fault2, &caught);
		if (rc == OT_ECRASHED)
			send_reason(EV_CAUGHT, &caught);
		break;
	}
	default:
		break;
	}
}

static void planned(void *arg)
{
	const struct plan *pl = arg;
	ot_set_crash_handler(handler, arg);
	switch (pl->how) {
	case H_EXIT:
		ot_exit(&pl->why);
		break;
	case H_FAULT:
		do_fault(pl->fault);
		break;
	case H_EXIT_PID_SELF:
		ot_exit_pid(ot_self(), &pl->why);
		break;
	default: {
		ot_msg *m;
		ot_receive(&m, OT_INFINITY);
		break;
	}
	}
	send_reason(EV_AFTER, &pl->why);
}

static bool is_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

static bool got_event(uint64_t tag, int ms, ot_reason *out)
{
	ot_msg *m = NULL;
	if (ot_receive_match(is_tag, &tag, &m, ms) != 0)
		return false;
	if (out)
		memcpy(out, ot_msg_data(m), sizeof *out);
	ot_msg_free(m);
	return true;
}

static bool is_down(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == ((const ot_ref *)arg)->id;
}

/* Runs pl in a monitored process; returns its exit reason. */
static ot_reason run(const struct plan *pl)
{
	ot_ref ref;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(planned, (void *)pl, &so, NULL));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive_match(is_down, &ref, &m, scaled_ms(3000)));
	ot_reason r = ot_msg_down(m)->reason;
	ot_msg_free(m);
	return r;
}

static void assert_crash(const ot_reason *r, int sig, const char *what)
{
	char text[OT_REASON_STRLEN];
	ot_reason_format(r, text, sizeof text);
	ck_assert_msg(r->kind == OT_REASON_CRASH && r->code == sig,
		      "%s: reason %s, want a crash by signal %d", what, text,
		      sig);
}

static void setup(void)
{
	g_test = ot_self();
	ot_set_logger(ot_log_discard, NULL);
}

/* ---- the crash handler --------------------------------------------------- */

/* ot_exit() runs the handler with the reason; the process ends with it. */
START_TEST(test_exit_runs_crash_handler)
{
	static struct plan pl;
	memset(&pl, 0, sizeof pl);
	pl.how = H_EXIT;
	pl.why = ot_reason_error(3, "own exit");
	ot_reason down = run(&pl), seen;
	ck_assert(got_event(EV_HANDLER, scaled_ms(1000), &seen));
	assert_reason(&seen, &pl.why, "the handler's reason");
	assert_reason(&down, &pl.why, "the exit reason");
	/* normal too */
	pl.why = ot_reason_normal();
	down = run(&pl);
	ck_assert(got_event(EV_HANDLER, scaled_ms(1000), &seen));
	assert_reason(&down, &pl.why, "exit normal");
	ck_assert(!got_event(EV_AFTER, 20, NULL));
}
END_TEST

/* An exit signal, even the process's own ot_exit_pid(), is no ot_exit():
 * Erlang's exit/2 is a signal, not an exception. */
START_TEST(test_exit_signal_skips_crash_handler)
{
	static struct plan pl;
	memset(&pl, 0, sizeof pl);
	pl.how = H_EXIT_PID_SELF;
	pl.why = ot_reason_error(4, "signal to self");
	ot_reason down = run(&pl);
	assert_reason(&down, &pl.why, "exit_pid(self)");
	ck_assert(!got_event(EV_HANDLER, 50, NULL));

	pl.how = H_WAIT;
	ot_ref ref;
	ot_pid p;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(planned, &pl, &so, &p));
	ot_sleep(5);
	ck_assert_ot_ok(ot_exit_pid(p, &pl.why));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive_match(is_down, &ref, &m, scaled_ms(3000)));
	assert_reason(&ot_msg_down(m)->reason, &pl.why, "exit signal");
	ot_msg_free(m);
	ck_assert(!got_event(EV_HANDLER, 50, NULL));
}
END_TEST

/* Loop: entered by ot_exit (0, 1) or a crash (2, 3); the handler then
 * exits (0, 2) or crashes (1, 3): the process ends with the handler's
 * reason, and the handler runs once. */
START_TEST(test_handler_gives_the_last_reason)
{
	static struct plan pl;
	memset(&pl, 0, sizeof pl);
	pl.how = _i < 2 ? H_EXIT : H_FAULT;
	pl.fault = F_DIV_ZERO;
	pl.why = ot_reason_error(5, "first");
	pl.in_handler = _i % 2 == 0 ? IH_EXIT : IH_FAULT;
	pl.why2 = ot_reason_error(6, "second");
	pl.fault2 = F_NULL_WRITE;
	ot_reason down = run(&pl), seen;
	ck_assert(got_event(EV_HANDLER, scaled_ms(1000), &seen));
	if (pl.how == H_EXIT)
		assert_reason(&seen, &pl.why, "the handler's reason");
	else
		assert_crash(&seen, SIGFPE, "the handler's reason");
	if (pl.in_handler == IH_EXIT)
		assert_reason(&down, &pl.why2, "an exit in the handler");
	else
		assert_crash(&down, SIGSEGV, "a crash in the handler");
	ck_assert(!got_event(EV_HANDLER, 50, NULL));
}
END_TEST

/* ---- ot_catch ------------------------------------------------------------ */

struct catch_res {
	int rc[8];
	ot_reason why[8];
	int after; /* reached the end */
};

static void exit_fn(void *arg)
{
	ot_exit(arg);
}

static void returns_fn(void *arg)
{
	++*(int *)arg;
}

static void nested_fn(void *arg)
{
	struct catch_res *r = arg;
	static const int fpe = F_DIV_ZERO;
	r->rc[5] = ot_catch(fault_fn, (void *)&fpe, &r->why[5]);
	static const int segv = F_NULL_WRITE;
	do_fault(segv); /* the outer catch gets this one */
}

static void catcher(void *arg)
{
	struct catch_res *r = arg;
	static const int faults[] = {F_NULL_WRITE, F_DIV_ZERO, F_ABORT};
	int count = 0;
	r->rc[0] = ot_catch(returns_fn, &count, &r->why[0]);
	for (int i = 0; i < 3; i++)
		r->rc[1 + i] =
		    ot_catch(fault_fn, (void *)&faults[i], &r->why[1 + i]);
	static ot_reason bye;
	bye = ot_reason_error(8, "exit in fn");
	r->rc[4] = ot_catch(exit_fn, &bye, &r->why[4]);
	r->rc[6] = ot_catch(nested_fn, r, &r->why[6]);
	/* a thousand more: nothing piles up */
	for (int i = 0; i < 1000; i++)
		ot_catch(fault_fn, (void *)&faults[i % 3], NULL);
	r->rc[7] = count;
	r->after = 1;
	ot_send(g_test, EV_AFTER, NULL, 0);
}

/* Crashes and ot_exit() come back as OT_ECRASHED with the reason; the
 * process goes on; the innermost catch takes it. */
START_TEST(test_catch_takes_crashes_and_exits)
{
	static struct catch_res r;
	memset(&r, 0, sizeof r);
	ot_ref ref;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(catcher, &r, &so, NULL));
	ck_assert(got_event(EV_AFTER, scaled_ms(5000), NULL));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive_match(is_down, &ref, &m, scaled_ms(3000)));
	ot_reason normal = ot_reason_normal();
	assert_reason(&ot_msg_down(m)->reason, &normal, "the catcher");
	ot_msg_free(m);
	ck_assert_ot_ok(r.rc[0]);
	ck_assert_int_eq(r.rc[7], 1);
	static const int sigs[] = {SIGSEGV, SIGFPE, SIGABRT};
	for (int i = 0; i < 3; i++) {
		ck_assert_ot_err(r.rc[1 + i], OT_ECRASHED);
		assert_crash(&r.why[1 + i], sigs[i], "caught");
	}
	ck_assert_ot_err(r.rc[4], OT_ECRASHED);
	ot_reason bye = ot_reason_error(8, "exit in fn");
	assert_reason(&r.why[4], &bye, "caught exit");
	ck_assert_ot_err(r.rc[5], OT_ECRASHED);
	assert_crash(&r.why[5], SIGFPE, "inner catch");
	ck_assert_ot_err(r.rc[6], OT_ECRASHED);
	assert_crash(&r.why[6], SIGSEGV, "outer catch");
}
END_TEST

/* Inside a crash handler: the catch gets the second crash, the handler
 * goes on, and the process ends with the first reason. */
START_TEST(test_catch_inside_crash_handler)
{
	static struct plan pl;
	memset(&pl, 0, sizeof pl);
	pl.how = H_FAULT;
	pl.fault = F_DIV_ZERO;
	pl.in_handler = IH_CATCH;
	pl.fault2 = F_NULL_WRITE;
	ot_reason down = run(&pl), seen;
	ck_assert(got_event(EV_HANDLER, scaled_ms(1000), &seen));
	ck_assert(got_event(EV_CAUGHT, scaled_ms(1000), &seen));
	assert_crash(&seen, SIGSEGV, "caught in the handler");
	assert_crash(&down, SIGFPE, "the process's reason");
}
END_TEST

static void overflow_fn(void *arg)
{
	(void)arg;
	do_fault(F_OVERFLOW);
}

static void overflower(void *arg)
{
	(void)arg;
	ot_catch(overflow_fn, NULL, NULL);
	ot_send(g_test, EV_AFTER, NULL, 0);
}

/* A stack overflow is not caught: the process ends with it. */
START_TEST(test_catch_leaves_overflow)
{
	ot_ref ref;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR,
			    .monitor_ref = &ref,
			    .stack_size = 64 * 1024};
	ck_assert_ot_ok(ot_spawn(overflower, NULL, &so, NULL));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive_match(is_down, &ref, &m, scaled_ms(3000)));
	const ot_reason *r = &ot_msg_down(m)->reason;
	ck_assert_msg(r->kind == OT_REASON_CRASH && r->stack_overflow,
		      "want a stack overflow");
	ot_msg_free(m);
	ck_assert(!got_event(EV_AFTER, 50, NULL));
}
END_TEST

START_TEST(test_catch_bad_input)
{
	int n = 0;
	ck_assert_ot_err(ot_catch(NULL, NULL, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_catch(returns_fn, &n, NULL), OT_ENOTPROC);
	ck_assert_int_eq(n, 0);
}
END_TEST

static Suite *fault_catch_suite(void)
{
	Suite *s = suite_create("fault_catch");
	TCase *tc = ot_test_tcase("crash_handler", 10);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_tags(tc, "crash");
	tcase_add_test(tc, test_exit_runs_crash_handler);
	tcase_add_test(tc, test_exit_signal_skips_crash_handler);
	tcase_add_loop_test(tc, test_handler_gives_the_last_reason, 0, 4);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("crash_catch", 20);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_tags(tc, "crash");
	tcase_add_test(tc, test_catch_takes_crashes_and_exits);
	tcase_add_test(tc, test_catch_inside_crash_handler);
	tcase_add_test(tc, test_catch_leaves_overflow);
	tcase_add_test(tc, test_catch_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(fault_catch_suite());
}
