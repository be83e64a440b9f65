/* SPDX-License-Identifier: MIT */
/*
 * test_report.c — the reports a supervisor writes, as SASL's supervisor
 * and progress reports, seen through a logger installed with
 * ot_set_logger(): child_terminated for a child that ended abnormally (or
 * a permanent one that ended at all), nothing for a transient child that
 * ended cleanly, start_error when a restart's start fails, shutdown_error
 * when a child the supervisor stops ends with another reason than
 * expected, errorContext shutdown with reached_max_restart_intensity, and
 * one PROGRESS report with "restarted:" for each restarted child.
 *
 * The fixture keeps the reports (ot_test_log_capture()); tests look for
 * the report that has some substrings and then assert others in that same
 * report (never whole texts: the layout is the implementation's).
 * Children crash on purpose, so every TCase is named crash_* and tagged
 * "crash".
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#include <otter/supervisor.h>

#include "faults.h"

/* ---- the logger ---------------------------------------------------------- */

#define LOG_SIZE 4096 /* a report, as a test copies it */

#define expect_report(need, out, what)                                         \
	do {                                                                   \
		if (!ot_test_log_wait((need), 3000, (out), sizeof(out))) {     \
			ot_test_log_dump();                                    \
			ck_abort_msg("%s: no report with %s", (what),          \
				     (need)[0]);                               \
		}                                                              \
	} while (0)

/* Asserts that report contains text. */
#define assert_has(report, text, what)                                         \
	do {                                                                   \
		if (!strstr((report), (text))) {                               \
			ot_test_log_dump();                                    \
			ck_abort_msg("%s: the report lacks '%s':\n%s", (what), \
				     (text), (report));                        \
		}                                                              \
	} while (0)

/* ---- the child under test ------------------------------------------------ */

/* A worker's configuration (its init argument); static, so that it
 * outlives the supervisor and is there at each restart. */
struct wcfg {
	bool trap;		/* trap exits in init */
	int terminate_sleep_ms; /* terminate sleeps this long */
	atomic_int inits;
};

enum { R_ECHO = 1, R_CRASH, R_STOP };

struct req {
	int op;
	int fault;
	ot_reason reason;
	int64_t n;
};

static const int64_t g_ok_reply = 1;

static ot_gs_ret w_init(void *arg, void **state)
{
	struct wcfg *c = arg;
	atomic_fetch_add(&c->inits, 1);
	if (c->trap)
		ot_trap_exit(true, NULL);
	*state = c;
	return ot_gs_ok();
}

static ot_gs_ret w_call(const void *request, size_t size, ot_gs_from from,
			void **state)
{
	(void)from;
	(void)state;
	struct req q;
	if (size != sizeof(q))
		return ot_gs_stop(ot_reason_error(-2, "bad request size"));
	memcpy(&q, request, sizeof(q));
	switch (q.op) {
	case R_ECHO:
		return ot_gs_reply(&g_ok_reply, sizeof(g_ok_reply));
	case R_CRASH:
		do_fault(q.fault);
		return ot_gs_reply(&g_ok_reply, sizeof(g_ok_reply));
	case R_STOP:
		return ot_gs_stop_reply(q.reason, &g_ok_reply,
					sizeof(g_ok_reply));
	default:
		return ot_gs_stop(ot_reason_error(-5, "unknown call"));
	}
}

static void w_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	struct wcfg *c = state;
	if (c && c->terminate_sleep_ms > 0)
		ot_sleep(c->terminate_sleep_ms);
}

static const ot_gen_server_callbacks w_cb = {
    .init = w_init,
    .handle_call = w_call,
    .terminate = w_terminate,
};

static ot_pid g_test; /* the test thread */

/* ---- helpers ---------------------------------------------------------------
 */

static ot_child_spec worker(const char *id, struct wcfg *c, ot_restart restart)
{
	ot_child_spec s;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", id);
	s.server = &w_cb;
	s.arg = c;
	s.restart = restart;
	return s;
}

static ot_pid start_sup(const ot_sup_flags *flags, const ot_child_spec *kids,
			size_t n, const char *name)
{
	ot_sup_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.flags = *flags;
	spec.children = kids;
	spec.nchildren = n;
	ot_pid sup = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(&spec, name, &sup, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "supervisor start: %s (%s)", ot_err_name(rc),
		      text);
	return sup;
}

static void stop_sup(ot_pid sup)
{
	ck_assert_ot_ok(ot_supervisor_stop(sup, scaled_ms(5000)));
}

/* The child id's pid, or OT_PID_NONE when it does not run. */
static ot_pid child_pid(ot_pid sup, const char *id)
{
	ot_child_info ci[8];
	int n = ot_supervisor_which_children(sup, ci, 8, NULL);
	ck_assert_msg(n >= 0, "which_children: %s", ot_err_name(n));
	for (int i = 0; i < n; i++)
		if (strcmp(ci[i].id, id) == 0)
			return ci[i].status == OT_CHILD_RUNNING ? ci[i].pid
								: OT_PID_NONE;
	ck_abort_msg("no child %s", id);
	return OT_PID_NONE;
}

/* Waits until the child id runs with another pid than old. */
static ot_pid wait_restarted(ot_pid sup, const char *id, ot_pid old)
{
	int64_t deadline = now_ms() + scaled_ms(3000);
	for (;;) {
		ot_pid p = child_pid(sup, id);
		if (!ot_pid_is_none(p) && !ot_pid_equal(p, old))
			return p;
		if (now_ms() > deadline)
			break;
		ot_sleep(2);
	}
	ot_test_log_dump();
	ck_abort_msg("child %s was not restarted", id);
	return OT_PID_NONE;
}

/* Waits until the child id does not run. */
static void wait_not_running(ot_pid sup, const char *id)
{
	int64_t deadline = now_ms() + scaled_ms(3000);
	while (!ot_pid_is_none(child_pid(sup, id))) {
		ck_assert_msg(now_ms() < deadline, "child %s still runs", id);
		ot_sleep(2);
	}
}

/* Calls child with req; returns the call's rc, the reason in *why. */
static int call_req(ot_pid child, struct req q, ot_reason *why)
{
	int64_t out = 0;
	memset(why, 0, sizeof(*why));
	return ot_gen_server_call(child, &q, sizeof(q), &out, sizeof(out), NULL,
				  scaled_ms(3000), why);
}

/* Makes child crash for real with fault; returns the crash reason. */
static ot_reason crash_child(ot_pid child, int fault)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = R_CRASH;
	q.fault = fault;
	ot_reason why;
	int rc = call_req(child, q, &why);
	ck_assert_msg(rc == OT_ESERVERDIED, "crash call: %s, want %s",
		      ot_err_name(rc), ot_err_name(OT_ESERVERDIED));
	ck_assert_msg(why.kind == OT_REASON_CRASH, "crash call: not a crash");
	return why;
}

/* Makes child stop with reason (it replies first). */
static void stop_child_with(ot_pid child, ot_reason reason)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = R_STOP;
	q.reason = reason;
	ot_reason why;
	ck_assert_ot_ok(call_req(child, q, &why));
}

static void pid_text(ot_pid p, char *buf, size_t size)
{
	ot_pid_format(p, buf, size);
}

static void reason_text(const ot_reason *r, char *buf, size_t size)
{
	ot_reason_format(r, buf, size);
}

/* `{id,"<id>"}` as the offender prints it. */
static void id_text(const char *id, char *buf, size_t size)
{
	snprintf(buf, size, "{id,\"%s\"}", id);
}

static ot_sup_flags flags_of(ot_sup_strategy strategy, int intensity,
			     int period_ms)
{
	ot_sup_flags f;
	memset(&f, 0, sizeof(f));
	f.strategy = strategy;
	f.intensity = intensity;
	f.period_ms = period_ms;
	return f;
}

/* ---- fixture ---------------------------------------------------------------
 */

static struct wcfg g_cfg[4];
static atomic_int g_fail_starts; /* start_flaky fails this many times */

static void rep_setup(void)
{
	ot_test_log_capture();
	g_test = ot_self();
	ck_assert(!ot_pid_is_none(g_test));
	memset(g_cfg, 0, sizeof(g_cfg));
	atomic_store(&g_fail_starts, 0);
}

/* ---- child_terminated ---------------------------------------------------- */

/*
 * A permanent child that crashed (0: SIGSEGV, 1: SIGFPE) or ended normal
 * (2): a SUPERVISOR REPORT with errorContext child_terminated naming the
 * supervisor, the child's id, pid, restart type and the reason.
 */
START_TEST(test_child_terminated_permanent)
{
	static const char *const whats[] = {"permanent child, SIGSEGV",
					    "permanent child, SIGFPE",
					    "permanent child, normal exit"};
	const char *what = whats[_i];
	ot_child_spec kid = worker("db", &g_cfg[0], OT_PERMANENT);
	ot_sup_flags f = flags_of(OT_ONE_FOR_ONE, 10, 5000);
	ot_pid sup = start_sup(&f, &kid, 1, "rep_sup");
	ot_pid child = child_pid(sup, "db");
	ck_assert(!ot_pid_is_none(child));

	ot_reason why;
	if (_i < 2) {
		why = crash_child(child, _i == 0 ? F_NULL_WRITE : F_DIV_ZERO);
	} else {
		why = ot_reason_normal();
		stop_child_with(child, why);
	}
	wait_restarted(sup, "db", child);

	char rep[LOG_SIZE], pid[OT_PID_STRLEN], rtext[OT_REASON_STRLEN],
	    idt[OT_NAME_MAX + 16];
	expect_report(OT_TEST_NEED("errorContext: child_terminated"), rep,
		      what);
	pid_text(child, pid, sizeof(pid));
	reason_text(&why, rtext, sizeof(rtext));
	id_text("db", idt, sizeof(idt));
	assert_has(rep, "SUPERVISOR REPORT", what);
	assert_has(rep, "supervisor:", what);
	assert_has(rep, "rep_sup", what);
	assert_has(rep, "reason:", what);
	assert_has(rep, rtext, what);
	assert_has(rep, "offender:", what);
	assert_has(rep, idt, what);
	assert_has(rep, pid, what);
	assert_has(rep, "permanent", what);
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("child_terminated"), NULL, 0), 1);
	stop_sup(sup);
}
END_TEST

/*
 * A transient child that ends cleanly (0: normal, 1: shutdown, 2:
 * {shutdown,"bye"}) is not restarted and not reported; a transient
 * sibling that ends with an error is (the control: reports do flow).
 */
START_TEST(test_transient_clean_exit_not_reported)
{
	static const char *const whats[] = {"transient child, normal",
					    "transient child, shutdown",
					    "transient child, {shutdown,bye}"};
	const char *what = whats[_i];
	ot_reason clean = _i == 0   ? ot_reason_normal()
			  : _i == 1 ? ot_reason_shutdown()
				    : ot_reason_shutdown_detail("bye");
	ot_child_spec kids[2] = {worker("db", &g_cfg[0], OT_TRANSIENT),
				 worker("ctl", &g_cfg[1], OT_TRANSIENT)};
	ot_sup_flags f = flags_of(OT_ONE_FOR_ONE, 10, 5000);
	ot_pid sup = start_sup(&f, kids, 2, NULL);
	ot_pid db = child_pid(sup, "db");
	ot_pid ctl = child_pid(sup, "ctl");

	stop_child_with(db, clean);
	wait_not_running(sup, "db");

	/* the control: an abnormal end of a transient child is reported */
	ot_reason err = ot_reason_error(13, "control failure");
	stop_child_with(ctl, err);
	wait_restarted(sup, "ctl", ctl);
	char rep[LOG_SIZE], idt[OT_NAME_MAX + 16], rtext[OT_REASON_STRLEN];
	id_text("ctl", idt, sizeof(idt));
	reason_text(&err, rtext, sizeof(rtext));
	expect_report(OT_TEST_NEED("child_terminated", idt), rep, what);
	assert_has(rep, rtext, what);
	assert_has(rep, "transient", what);

	ot_sleep(scaled_ms(50));
	id_text("db", idt, sizeof(idt));
	int n = ot_test_log_matching(OT_TEST_NEED("child_terminated", idt), rep,
				     sizeof(rep));
	if (n != 0)
		ot_test_log_dump();
	ck_assert_msg(n == 0, "%s: reported as child_terminated:\n%s", what,
		      rep);
	n = ot_test_log_matching(OT_TEST_NEED("restarted:", idt), rep,
				 sizeof(rep));
	ck_assert_msg(n == 0, "%s: a restart was reported:\n%s", what, rep);
	ck_assert_int_eq(atomic_load(&g_cfg[0].inits), 1);
	ck_assert_msg(ot_pid_is_none(child_pid(sup, "db")),
		      "%s: the child was restarted", what);
	stop_sup(sup);
}
END_TEST

/* ---- start_error -----------------------------------------------------------
 */

/* Starts a w_cb worker linked to the supervisor, except while
 * g_fail_starts is above 0: then fails with {error,77,"db unreachable"}. */
static int start_flaky(void *arg, const void *extra, size_t extra_size,
		       ot_pid *out, ot_reason *reason)
{
	(void)extra;
	(void)extra_size;
	int left = atomic_load(&g_fail_starts);
	while (left > 0 &&
	       !atomic_compare_exchange_weak(&g_fail_starts, &left, left - 1))
		;
	if (left > 0) {
		*reason = ot_reason_error(77, "db unreachable");
		return OT_ECHILDSTART;
	}
	return ot_gen_server_start_link(&w_cb, arg, NULL, out, reason);
}

/* A restart whose start fails: a start_error report with the child's id
 * and the start's reason; the retry then succeeds and is a PROGRESS
 * report. */
START_TEST(test_start_error_on_restart)
{
	const char *what = "restart fails once";
	ot_child_spec kid;
	memset(&kid, 0, sizeof(kid));
	snprintf(kid.id, sizeof(kid.id), "db");
	kid.start = start_flaky;
	kid.arg = &g_cfg[0];
	ot_sup_flags f = flags_of(OT_ONE_FOR_ONE, 10, 5000);
	ot_pid sup = start_sup(&f, &kid, 1, "rep_sup");
	ot_pid child = child_pid(sup, "db");
	atomic_store(&g_fail_starts, 1);
	crash_child(child, F_ABORT);
	ot_pid now = wait_restarted(sup, "db", child);
	ck_assert_int_eq(atomic_load(&g_fail_starts), 0);

	char rep[LOG_SIZE], idt[OT_NAME_MAX + 16], pid[OT_PID_STRLEN];
	id_text("db", idt, sizeof(idt));
	expect_report(OT_TEST_NEED("errorContext: start_error"), rep, what);
	assert_has(rep, "SUPERVISOR REPORT", what);
	assert_has(rep, "rep_sup", what);
	assert_has(rep, idt, what);
	assert_has(rep, "db unreachable", what);
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("errorContext: start_error"),
				 NULL, 0),
	    1);

	/* the crash itself, and the restart that worked */
	expect_report(OT_TEST_NEED("errorContext: child_terminated", idt), rep,
		      what);
	assert_has(rep, "SIGABRT", what);
	pid_text(now, pid, sizeof(pid));
	expect_report(OT_TEST_NEED("PROGRESS REPORT", "restarted:", idt), rep,
		      what);
	assert_has(rep, pid, what);
	stop_sup(sup);
}
END_TEST

/* ---- shutdown_error --------------------------------------------------------
 */

/* A plain process that traps exits and, told to shut down, ends with
 * {error,5,"cleanup failed"} instead. */
static void stubborn(void *arg)
{
	(void)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_test, 7001, NULL, 0); /* ready: it traps now */
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		const ot_exit_info *ei = ot_msg_exit(m);
		bool down = ei && ei->reason.kind == OT_REASON_SHUTDOWN;
		ot_msg_free(m);
		if (down) {
			ot_reason r = ot_reason_error(5, "cleanup failed");
			ot_exit(&r);
		}
	}
}

static int start_stubborn(void *arg, const void *extra, size_t extra_size,
			  ot_pid *out, ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)extra_size;
	(void)reason;
	ot_spawn_opts o;
	memset(&o, 0, sizeof(o));
	o.flags = OT_SPAWN_LINK;
	return ot_spawn(stubborn, NULL, &o, out);
}

/*
 * A child the supervisor stops (terminate_child) ends with another
 * reason than shutdown: a shutdown_error report with that reason. 0: it
 * exits with an error of its own; 1: its terminate outlasts shutdown_ms
 * and it is killed (reason killed, as OTP).
 */
START_TEST(test_shutdown_error)
{
	static const char *const whats[] = {"child ends with its own error",
					    "child outlasts its shutdown time"};
	const char *what = whats[_i];
	ot_child_spec kid;
	if (_i == 0) {
		memset(&kid, 0, sizeof(kid));
		snprintf(kid.id, sizeof(kid.id), "db");
		kid.start = start_stubborn;
	} else {
		g_cfg[0].trap = true;
		g_cfg[0].terminate_sleep_ms = 20000;
		kid = worker("db", &g_cfg[0], OT_PERMANENT);
		kid.shutdown_ms = 100;
	}
	ot_sup_flags f = flags_of(OT_ONE_FOR_ONE, 10, 5000);
	ot_pid sup = start_sup(&f, &kid, 1, "rep_sup");
	ot_pid child = child_pid(sup, "db");
	if (_i == 0)
		ot_msg_free(expect_msg(7001, 3000));
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(child, &ref));
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "db"));
	ck_assert_msg(!ot_is_alive(child),
		      "%s: the child still lives after "
		      "terminate_child",
		      what);

	char rep[LOG_SIZE], idt[OT_NAME_MAX + 16], pid[OT_PID_STRLEN];
	id_text("db", idt, sizeof(idt));
	pid_text(child, pid, sizeof(pid));
	expect_report(OT_TEST_NEED("errorContext: shutdown_error"), rep, what);
	assert_has(rep, "SUPERVISOR REPORT", what);
	assert_has(rep, "rep_sup", what);
	assert_has(rep, idt, what);
	assert_has(rep, pid, what);
	if (_i == 0) {
		ot_reason err = ot_reason_error(5, "cleanup failed");
		char rtext[OT_REASON_STRLEN];
		reason_text(&err, rtext, sizeof(rtext));
		assert_has(rep, rtext, what);
	} else {
		assert_has(rep, "killed", what);
	}
	/* stopped by the supervisor: not a child_terminated, no restart */
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("child_terminated"), NULL, 0), 0);
	ck_assert(ot_pid_is_none(child_pid(sup, "db")));
	stop_sup(sup);
}
END_TEST

/* A child that ends with shutdown when told to is no shutdown_error. */
START_TEST(test_clean_shutdown_not_reported)
{
	g_cfg[0].trap = true;
	ot_child_spec kid = worker("db", &g_cfg[0], OT_PERMANENT);
	ot_sup_flags f = flags_of(OT_ONE_FOR_ONE, 10, 5000);
	ot_pid sup = start_sup(&f, &kid, 1, NULL);
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "db"));
	stop_sup(sup);
	ot_sleep(scaled_ms(20));
	int n =
	    ot_test_log_matching(OT_TEST_NEED("SUPERVISOR REPORT"), NULL, 0);
	if (n)
		ot_test_log_dump();
	ck_assert_int_eq(n, 0);
}
END_TEST

/* ---- reached_max_restart_intensity ------------------------------------------
 */

static bool match_down(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == ((const ot_ref *)arg)->id;
}

/* More than intensity restarts within the period: the supervisor reports
 * errorContext shutdown, reason reached_max_restart_intensity, and exits
 * with reason shutdown. */
START_TEST(test_max_intensity_report)
{
	const char *what = "intensity 2, three crashes";
	ot_child_spec kid = worker("db", &g_cfg[0], OT_PERMANENT);
	ot_sup_flags f = flags_of(OT_ONE_FOR_ONE, 2, 10000);
	ot_pid sup = start_sup(&f, &kid, 1, "rep_sup");
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(sup, &ref));
	ot_pid child = child_pid(sup, "db");
	for (int i = 0; i < 2; i++) {
		crash_child(child, F_NULL_WRITE);
		child = wait_restarted(sup, "db", child);
	}
	crash_child(child, F_NULL_WRITE);

	ot_msg *m;
	int rc = ot_receive_match(match_down, &ref, &m, scaled_ms(3000));
	ck_assert_msg(rc == 0, "%s: the supervisor did not exit: %s", what,
		      ot_err_name(rc));
	ot_reason shut = ot_reason_shutdown();
	assert_reason(&ot_msg_down(m)->reason, &shut, what);
	ot_msg_free(m);

	char rep[LOG_SIZE], idt[OT_NAME_MAX + 16];
	id_text("db", idt, sizeof(idt));
	expect_report(OT_TEST_NEED("reached_max_restart_intensity"), rep, what);
	assert_has(rep, "SUPERVISOR REPORT", what);
	assert_has(rep, "rep_sup", what);
	const char *ctx = strstr(rep, "errorContext: shutdown");
	ck_assert_msg(ctx && ctx[strlen("errorContext: shutdown")] != '_',
		      "%s: errorContext is not shutdown:\n%s", what, rep);
	assert_has(rep, idt, what);
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("reached_max_restart_intensity"),
				 NULL, 0),
	    1);
	/* the three crashes were reported each, and the two restarts */
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("child_terminated"), NULL, 0), 3);
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("restarted:"), NULL, 0), 2);
	ck_assert_int_eq(atomic_load(&g_cfg[0].inits), 3);
}
END_TEST

/* ---- PROGRESS reports
 * --------------------------------------------------------- */

/*
 * Children a, b, c; b crashes. Each child the strategy restarts (0
 * one_for_one: b; 1 one_for_all: a b c; 2 rest_for_one: b c) gets one
 * PROGRESS report with "restarted:" carrying its id and new pid; the
 * others get none.
 */
START_TEST(test_progress_restarted)
{
	static const ot_sup_strategy strategies[] = {
	    OT_ONE_FOR_ONE, OT_ONE_FOR_ALL, OT_REST_FOR_ONE};
	static const bool restarted[3][3] = {
	    {false, true, false}, {true, true, true}, {false, true, true}};
	static const char *const whats[] = {"one_for_one", "one_for_all",
					    "rest_for_one"};
	static const char *const ids[] = {"a", "b", "c"};
	const char *what = whats[_i];
	ot_child_spec kids[3];
	for (int k = 0; k < 3; k++)
		kids[k] = worker(ids[k], &g_cfg[k], OT_PERMANENT);
	ot_sup_flags f = flags_of(strategies[_i], 10, 5000);
	ot_pid sup = start_sup(&f, kids, 3, "rep_sup");
	ot_pid before[3], after[3];
	for (int k = 0; k < 3; k++)
		before[k] = child_pid(sup, ids[k]);
	crash_child(before[1], F_DIV_ZERO);

	int want = 0;
	for (int k = 0; k < 3; k++) {
		if (restarted[_i][k]) {
			after[k] = wait_restarted(sup, ids[k], before[k]);
			want++;
		}
	}
	int64_t deadline = now_ms() + scaled_ms(3000);
	while (ot_test_log_matching(OT_TEST_NEED("restarted:"), NULL, 0) <
		   want &&
	       now_ms() < deadline)
		ot_sleep(2);
	ot_sleep(scaled_ms(30));
	for (int k = 0; k < 3; k++) {
		char rep[LOG_SIZE], idt[OT_NAME_MAX + 16], pid[OT_PID_STRLEN];
		id_text(ids[k], idt, sizeof(idt));
		int n = ot_test_log_matching(OT_TEST_NEED("restarted:", idt),
					     rep, sizeof(rep));
		if (n != (restarted[_i][k] ? 1 : 0))
			ot_test_log_dump();
		ck_assert_msg(n == (restarted[_i][k] ? 1 : 0),
			      "%s: child %s has %d restarted reports, want %d",
			      what, ids[k], n, restarted[_i][k] ? 1 : 0);
		if (!restarted[_i][k]) {
			ck_assert_msg(
			    ot_pid_equal(child_pid(sup, ids[k]), before[k]),
			    "%s: child %s was restarted", what, ids[k]);
			continue;
		}
		pid_text(after[k], pid, sizeof(pid));
		assert_has(rep, "PROGRESS REPORT", what);
		assert_has(rep, pid, what);
	}
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("restarted:"), NULL, 0), want);
	/* the one that crashed is the one child_terminated names */
	char idt[OT_NAME_MAX + 16];
	id_text("b", idt, sizeof(idt));
	ck_assert_int_eq(
	    ot_test_log_matching(OT_TEST_NEED("child_terminated"), NULL, 0), 1);
	ck_assert_int_eq(ot_test_log_matching(
			     OT_TEST_NEED("child_terminated", idt), NULL, 0),
			 1);
	stop_sup(sup);
}
END_TEST

/* ---- the records --------------------------------------------------------- */

/* What a record logger saw of each supervisor or progress report. */
struct seen {
	ot_severity severity;
	ot_report_kind kind;
	ot_pid pid;
	char name[OT_NAME_MAX + 1];
	bool has_reason;
	ot_reason reason;
};

#define SEEN_KEEP 64
static pthread_mutex_t g_seen_mu = PTHREAD_MUTEX_INITIALIZER;
static struct seen g_seen[SEEN_KEEP];
static int g_nseen;

static void keep_record(const ot_report *r, void *arg)
{
	(void)arg;
	if (r->kind != OT_REPORT_SUPERVISOR && r->kind != OT_REPORT_PROGRESS)
		return; /* the child's own crash report is not this test's */
	pthread_mutex_lock(&g_seen_mu);
	if (g_nseen < SEEN_KEEP) {
		struct seen *s = &g_seen[g_nseen++];
		s->severity = r->severity;
		s->kind = r->kind;
		s->pid = r->pid;
		snprintf(s->name, sizeof s->name, "%s", r->name);
		s->has_reason = r->reason != NULL;
		if (r->reason)
			s->reason = *r->reason;
	}
	pthread_mutex_unlock(&g_seen_mu);
}

static int count_seen(ot_report_kind kind)
{
	pthread_mutex_lock(&g_seen_mu);
	int n = 0;
	for (int i = 0; i < g_nseen; i++)
		n += g_seen[i].kind == kind;
	pthread_mutex_unlock(&g_seen_mu);
	return n;
}

/*
 * A logger of records gets the supervisor's reports as the header says:
 * child_terminated is an error of kind OT_REPORT_SUPERVISOR with the
 * child's reason, the restart a progress report (OT_LOG_INFO), both about
 * the supervisor, by its registered name.
 */
START_TEST(test_records_kind_and_severity)
{
	g_nseen = 0;
	ck_assert_ot_ok(ot_set_report_logger(keep_record, NULL));
	ot_child_spec kid = worker("a", &g_cfg[0], OT_PERMANENT);
	ot_sup_flags f = flags_of(OT_ONE_FOR_ONE, 10, 5000);
	ot_pid sup = start_sup(&f, &kid, 1, "rec_sup");
	ot_pid before = child_pid(sup, "a");
	crash_child(before, F_DIV_ZERO);
	wait_restarted(sup, "a", before);
	int64_t deadline = now_ms() + scaled_ms(3000);
	while ((count_seen(OT_REPORT_SUPERVISOR) < 1 ||
		count_seen(OT_REPORT_PROGRESS) < 1) &&
	       now_ms() < deadline)
		ot_sleep(2);
	stop_sup(sup);
	ot_set_report_logger(NULL, NULL);

	pthread_mutex_lock(&g_seen_mu);
	int errors = 0, progress = 0;
	for (int i = 0; i < g_nseen; i++) {
		const struct seen *s = &g_seen[i];
		ck_assert(ot_pid_equal(s->pid, sup));
		ck_assert_str_eq(s->name, "rec_sup");
		if (s->kind == OT_REPORT_SUPERVISOR) {
			errors++;
			ck_assert_int_eq(s->severity, OT_LOG_ERROR);
			ck_assert(s->has_reason);
			ck_assert_int_eq(s->reason.kind, OT_REASON_CRASH);
			ck_assert_int_eq(s->reason.code, SIGFPE);
		} else {
			progress++;
			ck_assert_int_eq(s->severity, OT_LOG_INFO);
			ck_assert(!s->has_reason);
		}
	}
	pthread_mutex_unlock(&g_seen_mu);
	ck_assert_int_eq(errors, 1);
	ck_assert_int_eq(progress, 1);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static TCase *crash_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, rep_setup, NULL);
	tcase_set_tags(tc, "crash");
	return tc;
}

static Suite *report_suite(void)
{
	Suite *s = suite_create("supervisor_report");

	TCase *tc = crash_tcase("crash_child_terminated", 15);
	tcase_add_loop_test(tc, test_child_terminated_permanent, 0, 3);
	tcase_add_loop_test(tc, test_transient_clean_exit_not_reported, 0, 3);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_start_error", 15);
	tcase_add_test(tc, test_start_error_on_restart);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_shutdown_error", 15);
	tcase_add_loop_test(tc, test_shutdown_error, 0, 2);
	tcase_add_test(tc, test_clean_shutdown_not_reported);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_intensity", 15);
	tcase_add_test(tc, test_max_intensity_report);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_progress", 15);
	tcase_add_loop_test(tc, test_progress_restarted, 0, 3);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_records", 15);
	tcase_add_test(tc, test_records_kind_and_severity);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(report_suite());
}
