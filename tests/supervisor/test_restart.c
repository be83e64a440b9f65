/* SPDX-License-Identifier: MIT */
/*
 * test_restart.c — what a supervisor restarts, when, and in which order,
 * rule by rule as OTP's supervisor has them (supervisor_SUITE is the
 * model): each strategy's restart set and order; restart types by exit
 * reason; temporary siblings of a group restart; restart intensity within
 * its period, and a failed restart that is retried and counted;
 * escalation through a three-level tree; auto_shutdown with significant
 * children; restart backoff (growth, cap, jitter, reset, a supervisor
 * that answers while it waits).
 *
 * The crash matrix (TCase crash_matrix, tagged "crash" so that a valgrind
 * run can leave it out): a gen_server child that really faults in
 * handle_call (NULL write, divide by zero, abort, stack overflow) is
 * restarted under each strategy with no help from its own code, its
 * caller gets OT_ESERVERDIED with the crash reason, and a server under
 * another supervisor, called in a loop meanwhile, never notices.
 *
 * The children are one gen_server (w_cb) configured by a struct wcfg.
 * init and terminate append "S:id" / "T:id" to a shared log (the order
 * the test asserts) and send EV_START / EV_TERM events to the test thread
 * (what it waits on). A call to the supervisor after a child's DOWN is a
 * barrier: the supervisor handled the child's EXIT before the call, so
 * any restart it made synchronously is done when the call returns.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup_events.h"

#include "faults.h"

/* ---- requests and events ------------------------------------------------- */

enum {
	OP_PING = 1, /* call: reply the server's pid (int64) */
	OP_CRASH,    /* call: do_fault(fault) */
	OP_STOP,     /* cast: stop with reason */
};

enum {
	EV_FAIL = EV_USER, /* init refused to start (fail_next) */
	EV_WARM,	   /* the pinger reached its mark */
	EV_DONE,	   /* the pinger stopped */
};

struct req {
	int op;
	int fault;
	ot_reason reason;
};

/* Appends a space (unless buf is empty) and the formatted text. */
static void cat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len && len + 1 < size) {
		buf[len++] = ' ';
		buf[len] = '\0';
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* ---- the child under test ------------------------------------------------ */

/* A child's configuration: its init argument (the supervisor keeps the
 * pointer; a simple_one_for_one child gets the supervisor's copy). */
struct wcfg {
	char id[ID_LEN];
	bool trap;	      /* trap exits (so terminate runs on shutdown) */
	bool crash_loop;      /* stop with an error right after each start */
	atomic_int fail_next; /* the next this many starts fail in init */
};

/* The state, from a static pool: a child that dies without terminate
 * (a stack overflow, a kill) leaks nothing a leak checker would see. */
struct wst {
	struct wcfg *cfg;
	int64_t out;
};
#define POOL_SIZE 4096
static struct wst g_pool[POOL_SIZE];
static atomic_int g_pool_n;

static atomic_int g_reports; /* reports the logger swallowed */

static ot_gs_ret w_init(void *arg, void **state)
{
	struct wcfg *c = arg;
	int left = atomic_load(&c->fail_next);
	if (left > 0) {
		atomic_store(&c->fail_next, left - 1);
		log_add('F', c->id);
		ev_send(EV_FAIL, c->id, NULL);
		return ot_gs_stop(ot_reason_error(7, "start refused"));
	}
	int i = atomic_fetch_add(&g_pool_n, 1);
	if (i >= POOL_SIZE)
		return ot_gs_stop(ot_reason_error(-1, "state pool exhausted"));
	struct wst *s = &g_pool[i];
	s->cfg = c;
	*state = s;
	if (c->trap)
		ot_trap_exit(true, NULL);
	log_add('S', c->id);
	ev_send(EV_START, c->id, NULL);
	ot_gs_ret r = ot_gs_ok();
	if (c->crash_loop) {
		r.has_continue = true;
		r.continue_arg = 1;
	}
	return r;
}

static ot_gs_ret w_continue(uint64_t arg, void **state)
{
	(void)arg;
	(void)state;
	return ot_gs_stop(ot_reason_error(9, "crash loop"));
}

static ot_gs_ret w_call(const void *request, size_t size, ot_gs_from from,
			void **state)
{
	(void)from;
	struct wst *s = *state;
	struct req q;
	if (size != sizeof(q))
		return ot_gs_stop(ot_reason_error(-2, "bad request size"));
	memcpy(&q, request, sizeof(q));
	switch (q.op) {
	case OP_PING:
		s->out = (int64_t)ot_self().id;
		return ot_gs_reply(&s->out, sizeof(s->out));
	case OP_CRASH:
		do_fault(q.fault);
		s->out = -1;
		return ot_gs_reply(&s->out, sizeof(s->out));
	default:
		return ot_gs_stop(ot_reason_error(-3, "unknown call"));
	}
}

static ot_gs_ret w_cast(const void *request, size_t size, void **state)
{
	(void)state;
	struct req q;
	if (size != sizeof(q))
		return ot_gs_noreply();
	memcpy(&q, request, sizeof(q));
	if (q.op == OP_STOP)
		return ot_gs_stop(q.reason);
	return ot_gs_noreply();
}

static void w_terminate(const ot_reason *reason, void *state)
{
	struct wst *s = state;
	if (!s)
		return;
	log_add('T', s->cfg->id);
	ev_send(EV_TERM, s->cfg->id, reason);
}

static const ot_gen_server_callbacks w_cb = {
    .init = w_init,
    .handle_call = w_call,
    .handle_cast = w_cast,
    .handle_continue = w_continue,
    .terminate = w_terminate,
};

/* ---- the test thread's side ---------------------------------------------- */

static void quiet_logger(const char *report, void *arg)
{
	(void)arg;
	if (getenv("OT_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", report);
	atomic_fetch_add(&g_reports, 1);
}

static void sup_setup(void)
{
	ev_setup();
	atomic_store(&g_pool_n, 0);
	atomic_store(&g_reports, 0);
	ck_assert_ot_ok(ot_set_logger(quiet_logger, NULL));
}

static void wcfg_init(struct wcfg *c, const char *id, bool trap)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->trap = trap;
	atomic_store(&c->fail_next, 0);
}

static ot_child_spec wchild(const char *id, struct wcfg *c, ot_restart r)
{
	ot_child_spec s;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", id);
	s.server = &w_cb;
	s.arg = c;
	s.restart = r;
	return s;
}

static ot_sup_flags mkflags(ot_sup_strategy st, int intensity, int period_ms)
{
	ot_sup_flags f;
	memset(&f, 0, sizeof(f));
	f.strategy = st;
	f.intensity = intensity;
	f.period_ms = period_ms;
	return f;
}

static void sup_stop(ot_pid sup)
{
	int rc = ot_supervisor_stop(sup, scaled_ms(10000));
	ck_assert_msg(rc == 0, "supervisor stop: %s", ot_err_name(rc));
}

static ot_child_info kid(ot_pid sup, const char *id, const char *what)
{
	ot_child_info k = find_kid(sup, id);
	ck_assert_msg(k.status != 0, "%s: no child %s", what, id);
	return k;
}

static void cast_stop(ot_pid child, ot_reason reason)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = OP_STOP;
	q.reason = reason;
	ck_assert_ot_ok(ot_gen_server_cast(child, &q, sizeof(q)));
}

static ot_reason boom(void)
{
	return ot_reason_error(1, "boom");
}

/* Stops a child abnormally and waits until it is gone (its EV_TERM). */
static void crash_child(ot_pid child, const char *id, const char *what)
{
	cast_stop(child, boom());
	struct ev e = expect_ev(EV_TERM, id, what);
	ot_reason b = boom();
	assert_reason(&e.reason, &b, what);
}

static int64_t ping(ot_pid p)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = OP_PING;
	int64_t out = 0;
	int rc = ot_gen_server_call(p, &q, sizeof(q), &out, sizeof(out), NULL,
				    scaled_ms(3000), NULL);
	ck_assert_msg(rc == 0, "ping: %s", ot_err_name(rc));
	return out;
}

#define assert_new_pid(got, old, what)                                         \
	do {                                                                   \
		ot_pid ck_g_ = (got), ck_o_ = (old);                           \
		ck_assert_msg(!ot_pid_is_none(ck_g_) &&                        \
				  !ot_pid_equal(ck_g_, ck_o_),                 \
			      "%s: pid %llx, want a new one (old %llx)",       \
			      (what), (unsigned long long)ck_g_.id,            \
			      (unsigned long long)ck_o_.id);                   \
	} while (0)

/* ---- strategies ---------------------------------------------------------- */

static const ot_sup_strategy g_static[] = {OT_ONE_FOR_ONE, OT_ONE_FOR_ALL,
					   OT_REST_FOR_ONE};
static const char *const g_static_names[] = {"one_for_one", "one_for_all",
					     "rest_for_one"};

/*
 * Loop: strategy (one_for_one, one_for_all, rest_for_one) x which of
 * a, b, c fails. The failed child ends first; the others of its restart
 * set are stopped in reverse start order (reason shutdown), then the set
 * starts again in start order; children outside the set keep their pid.
 */
START_TEST(test_restart_order)
{
	int s = _i / 3, f = _i % 3;
	ot_sup_strategy st = g_static[s];
	static const char *const ids[] = {"a", "b", "c"};
	char what[64];
	snprintf(what, sizeof(what), "%s, %s fails", g_static_names[s], ids[f]);

	struct wcfg w[3];
	ot_child_spec ch[3];
	for (int i = 0; i < 3; i++) {
		wcfg_init(&w[i], ids[i], true);
		ch[i] = wchild(ids[i], &w[i], OT_PERMANENT);
	}
	ot_sup_flags fl = mkflags(st, 10, 60000);
	ot_pid sup = sup_start(&fl, ch, 3);
	ot_pid old[3];
	for (int i = 0; i < 3; i++)
		old[i] = start_of(ids[i], what);
	assert_log(0, 0, "S:a S:b S:c", "start order");

	bool set[3];
	for (int i = 0; i < 3; i++)
		set[i] = st == OT_ONE_FOR_ALL ||
			 (st == OT_REST_FOR_ONE ? i >= f : i == f);
	char want[128] = "";
	cat(want, sizeof(want), "T:%s", ids[f]);
	for (int i = 2; i >= 0; i--)
		if (set[i] && i != f)
			cat(want, sizeof(want), "T:%s", ids[i]);
	for (int i = 0; i < 3; i++)
		if (set[i])
			cat(want, sizeof(want), "S:%s", ids[i]);

	int mark = log_mark();
	cast_stop(old[f], boom());
	ot_pid now[3];
	for (int i = 0; i < 3; i++)
		now[i] = set[i] ? start_of(ids[i], what) : old[i];
	(void)counts(sup); /* barrier */
	assert_log(mark, 0, want, what);

	ot_reason b = boom(), sd = ot_reason_shutdown();
	for (int i = 0; i < 3; i++) {
		ot_child_info k = kid(sup, ids[i], what);
		ck_assert_int_eq(k.status, OT_CHILD_RUNNING);
		assert_pid(k.pid, now[i], what);
		/* Each child of the restart set counts one restart. */
		ck_assert_msg(k.restarts == (set[i] ? 1u : 0u),
			      "%s: %s restarts %llu", what, ids[i],
			      (unsigned long long)k.restarts);
		if (!set[i]) {
			ck_assert_msg(ot_is_alive(old[i]),
				      "%s: %s, outside the set, died", what,
				      ids[i]);
			continue;
		}
		assert_new_pid(now[i], old[i], what);
		ck_assert(!ot_is_alive(old[i]));
		struct ev e = expect_ev(EV_TERM, ids[i], what);
		assert_reason(&e.reason, i == f ? &b : &sd, what);
	}
	expect_no_ev(EV_START, NULL, 20, what);
	expect_no_ev(EV_TERM, NULL, 0, what);
	sup_stop(sup);
}
END_TEST

/*
 * A temporary child stopped by a group restart (one_for_all: c fails;
 * rest_for_one: a fails; t is temporary between them) is not started
 * again, and its spec is gone.
 */
START_TEST(test_temporary_siblings)
{
	ot_sup_strategy st = _i == 0 ? OT_ONE_FOR_ALL : OT_REST_FOR_ONE;
	const char *what = _i == 0 ? "one_for_all" : "rest_for_one";
	struct wcfg wa, wt, wc;
	wcfg_init(&wa, "a", true);
	wcfg_init(&wt, "t", true);
	wcfg_init(&wc, "c", true);
	ot_child_spec ch[3] = {wchild("a", &wa, OT_PERMANENT),
			       wchild("t", &wt, OT_TEMPORARY),
			       wchild("c", &wc, OT_PERMANENT)};
	ot_sup_flags fl = mkflags(st, 10, 60000);
	ot_pid sup = sup_start(&fl, ch, 3);
	ot_pid a = start_of("a", what);
	ot_pid t = start_of("t", what);
	ot_pid c = start_of("c", what);
	(void)t;
	int mark = log_mark();
	cast_stop(_i == 0 ? c : a, boom());
	start_of("a", what);
	start_of("c", what);
	(void)counts(sup);
	assert_log(mark, 0,
		   _i == 0 ? "T:c T:t T:a S:a S:c" : "T:a T:c T:t S:a S:c",
		   what);
	expect_term("t", ot_reason_shutdown(), what);
	expect_no_ev(EV_START, "t", 20, what);

	ot_child_info info[4];
	int n = kids(sup, info, 4);
	ck_assert_msg(n == 2, "%s: %d children, want 2 (a, c)", what, n);
	ck_assert_str_eq(info[0].id, "a");
	ck_assert_str_eq(info[1].id, "c");
	ot_child_spec spec;
	ck_assert_ot_err(ot_supervisor_get_childspec(sup, "t", &spec),
			 OT_ENOTFOUND);
	ot_child_counts cc = counts(sup);
	ck_assert_uint_eq(cc.specs, 2);
	ck_assert_uint_eq(cc.active, 2);
	sup_stop(sup);
}
END_TEST

/* ---- restart types ------------------------------------------------------- */

enum { R_NORMAL, R_SHUTDOWN, R_SHUTDOWN_TEXT, R_ERROR, R_KILLED, R_COUNT };
static const char *const g_reason_names[] = {
    "normal", "shutdown", "{shutdown,Text}", "error", "killed"};
static const char *const g_restart_names[] = {"permanent", "transient",
					      "temporary"};

/*
 * Loop: restart type x exit reason. Permanent: always restarted;
 * transient: only after an abnormal exit (normal, shutdown,
 * {shutdown,Text} are clean); temporary: never (and its spec goes). The
 * permanent sibling y is not touched.
 */
START_TEST(test_restart_types)
{
	ot_restart rt = (ot_restart)(_i / R_COUNT);
	int rs = _i % R_COUNT;
	char what[64];
	snprintf(what, sizeof(what), "%s child, exit %s", g_restart_names[rt],
		 g_reason_names[rs]);
	struct wcfg wx, wy;
	wcfg_init(&wx, "x", false);
	wcfg_init(&wy, "y", false);
	ot_child_spec ch[2] = {wchild("x", &wx, rt),
			       wchild("y", &wy, OT_PERMANENT)};
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 10, 60000);
	ot_pid sup = sup_start(&fl, ch, 2);
	ot_pid x = start_of("x", what), y = start_of("y", what);

	ot_reason why;
	switch (rs) {
	case R_NORMAL:
		why = ot_reason_normal();
		break;
	case R_SHUTDOWN:
		why = ot_reason_shutdown();
		break;
	case R_SHUTDOWN_TEXT:
		why = ot_reason_shutdown_detail("done");
		break;
	case R_ERROR:
		why = boom();
		break;
	default:
		why = ot_reason_kill();
		break;
	}
	ot_ref ref = ot_test_monitor(x);
	if (rs == R_KILLED) {
		ck_assert_ot_ok(ot_exit_pid(x, &why));
		why.kind = OT_REASON_KILLED;
	} else {
		cast_stop(x, why);
	}
	ot_down_info d = ot_test_expect_down(ref, 5000, what);
	assert_reason(&d.reason, &why, what);

	bool clean = rs <= R_SHUTDOWN_TEXT;
	bool restarted = rt == OT_PERMANENT || (rt == OT_TRANSIENT && !clean);
	if (restarted) {
		ot_pid nx = start_of("x", what);
		assert_new_pid(nx, x, what);
		ot_child_info k = kid(sup, "x", what);
		ck_assert_int_eq(k.status, OT_CHILD_RUNNING);
		assert_pid(k.pid, nx, what);
		ck_assert_int_eq(ping(nx), (int64_t)nx.id);
	} else {
		ot_child_info k = find_kid(sup, "x"); /* barrier too */
		if (rt == OT_TEMPORARY) {
			ck_assert_msg(k.status == 0,
				      "%s: the temporary child is still "
				      "listed",
				      what);
		} else {
			ck_assert_msg(k.status == OT_CHILD_UNDEFINED &&
					  ot_pid_is_none(k.pid),
				      "%s: status %d, want undefined", what,
				      (int)k.status);
		}
		expect_no_ev(EV_START, "x", 20, what);
	}
	ot_child_counts cc = counts(sup);
	ck_assert_uint_eq(cc.specs, rt == OT_TEMPORARY ? 1 : 2);
	ck_assert_uint_eq(cc.active, restarted ? 2 : 1);
	assert_pid(kid(sup, "y", what).pid, y, what);
	expect_no_ev(EV_START, "y", 0, what);
	sup_stop(sup);
}
END_TEST

/* ---- intensity ----------------------------------------------------------- */

/*
 * Loop: intensity 0, 1, 3, and the zero flags (3 in 5 s). intensity
 * restarts are made; the next failure makes the supervisor stop its
 * other children and exit with reason shutdown.
 */
START_TEST(test_intensity)
{
	static const int ints[] = {0, 1, 3, -1};
	int in = ints[_i];
	char what[64];
	snprintf(what, sizeof(what), "intensity %d", in);
	struct wcfg wa, wb;
	wcfg_init(&wa, "a", true);
	wcfg_init(&wb, "b", true);
	ot_child_spec ch[2] = {wchild("a", &wa, OT_PERMANENT),
			       wchild("b", &wb, OT_PERMANENT)};
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, in, 60000);
	if (in < 0) {
		memset(&fl, 0, sizeof(fl));
		in = OT_SUP_DEFAULT_INTENSITY;
	}
	ot_pid sup = sup_start(&fl, ch, 2);
	ot_ref ref = ot_test_monitor(sup);
	ot_pid a = start_of("a", what), b = start_of("b", what);
	for (int k = 0; k < in; k++) {
		crash_child(a, "a", what);
		ot_pid na = start_of("a", what);
		assert_new_pid(na, a, what);
		a = na;
	}
	crash_child(a, "a", what);
	ot_down_info d = ot_test_expect_down(ref, 5000, what);
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, what);
	expect_term("b", sd, what);
	ck_assert_msg(!ot_is_alive(b), "%s: b outlived its supervisor", what);
	ck_assert_int_eq(count_ev(EV_START, "a"), 0);
	ck_assert_int_eq(count_ev(EV_START, "b"), 0);
}
END_TEST

/*
 * Restarts spread wider than the period never add up; two within it (with
 * intensity 1) stop the supervisor.
 */
START_TEST(test_intensity_period)
{
	const char *what = "period";
	int period = scaled_ms(250);
	struct wcfg wa, wb;
	wcfg_init(&wa, "a", false);
	wcfg_init(&wb, "b", false);
	ot_child_spec ch[2] = {wchild("a", &wa, OT_PERMANENT),
			       wchild("b", &wb, OT_PERMANENT)};
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 1, period);
	ot_pid sup = sup_start(&fl, ch, 2);
	ot_ref ref = ot_test_monitor(sup);
	ot_pid a = start_of("a", what);
	(void)start_of("b", what);
	for (int k = 0; k < 4; k++) {
		cast_stop(a, boom());
		a = start_of("a", "spread restart");
		(void)counts(sup);
		/* let this restart fall out of the period */
		ot_sleep(period + scaled_ms(60));
	}
	ot_test_expect_no_down(ref, 0, "restarts wider apart than the period");
	cast_stop(a, boom());
	struct ev e = expect_ev(EV_START, "a", "first of two");
	double t = now_msf();
	cast_stop(e.pid, boom());
	require(t - e.t < period, "too slow to crash twice within %d ms",
		period);
	ot_down_info d =
	    ot_test_expect_down(ref, 5000, "two restarts within the period");
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, what);
	ck_assert_int_eq(count_ev(EV_START, "a"), 0);
}
END_TEST

/*
 * A restart whose start fails is retried until it succeeds (a fails its
 * next two starts), and every attempt counts toward intensity (c never
 * starts again: intensity 3 allows three attempts, then the supervisor
 * exits with shutdown). Loop: without (0) and with (1) a backoff.
 */
START_TEST(test_failed_restart_retried)
{
	const char *what = _i ? "failed restart, backoff" : "failed restart";
	ot_sup_backoff bo = {.min_ms = scaled_ms(20)};
	struct wcfg wa, wb;
	wcfg_init(&wa, "a", true);
	wcfg_init(&wb, "b", true);
	ot_child_spec ch[2] = {wchild("a", &wa, OT_PERMANENT),
			       wchild("b", &wb, OT_PERMANENT)};
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 10, 60000);
	if (_i)
		fl.backoff = bo;
	ot_pid sup = sup_start(&fl, ch, 2);
	ot_pid a = start_of("a", what), b = start_of("b", what);
	atomic_store(&wa.fail_next, 2);
	int mark = log_mark();
	cast_stop(a, boom());
	ot_pid na = start_of("a", what);
	assert_new_pid(na, a, what);
	(void)counts(sup);
	assert_log(mark, 0, "T:a F:a F:a S:a", what);
	ck_assert_int_eq(count_ev(EV_FAIL, "a"), 2);
	ot_child_info k = kid(sup, "a", what);
	ck_assert_int_eq(k.status, OT_CHILD_RUNNING);
	assert_pid(k.pid, na, what);
	assert_pid(kid(sup, "b", what).pid, b, what);
	sup_stop(sup);

	/* attempts count */
	struct wcfg wc, wd;
	wcfg_init(&wc, "c", true);
	wcfg_init(&wd, "d", true);
	ot_child_spec ch2[2] = {wchild("c", &wc, OT_PERMANENT),
				wchild("d", &wd, OT_PERMANENT)};
	fl = mkflags(OT_ONE_FOR_ONE, 3, 60000);
	if (_i)
		fl.backoff = bo;
	sup = sup_start(&fl, ch2, 2);
	ot_ref ref = ot_test_monitor(sup);
	ot_pid c = start_of("c", what);
	(void)start_of("d", what);
	atomic_store(&wc.fail_next, 1000);
	cast_stop(c, boom());
	ot_down_info d = ot_test_expect_down(ref, 5000, what);
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, what);
	expect_term("d", sd, what);
	int attempts = count_ev(EV_FAIL, "c");
	ck_assert_msg(attempts == 3,
		      "%s: %d restart attempts with intensity 3, want 3", what,
		      attempts);
}
END_TEST

/* ---- escalation ---------------------------------------------------------- */

/*
 * top -> mid -> (l1, l2), and tw beside mid under top. mid (intensity 1)
 * sees l1 fail twice and exits with shutdown; then top applies its own
 * rules. Loop:
 *  0: top one_for_one, mid permanent: mid restarted (new l1, l2), tw kept;
 *  1: top one_for_all, mid permanent: tw restarted too;
 *  2: mid transient: its shutdown exit is clean, it is not restarted;
 *  3: top allows no restart (intensity 0): top exits with shutdown too.
 */
START_TEST(test_escalation)
{
	static const char *const whats[] = {"top one_for_one, mid permanent",
					    "top one_for_all, mid permanent",
					    "mid transient", "top intensity 0"};
	const char *what = whats[_i];
	struct wcfg wl1, wl2, wtw;
	wcfg_init(&wl1, "l1", true);
	wcfg_init(&wl2, "l2", true);
	wcfg_init(&wtw, "tw", true);
	ot_child_spec mid_kids[2] = {wchild("l1", &wl1, OT_PERMANENT),
				     wchild("l2", &wl2, OT_PERMANENT)};
	ot_sup_spec mid_spec = {.flags = mkflags(OT_ONE_FOR_ONE, 1, 60000),
				.children = mid_kids,
				.nchildren = 2};
	ot_child_spec top_kids[2];
	top_kids[0] = wchild("tw", &wtw, OT_PERMANENT);
	memset(&top_kids[1], 0, sizeof(top_kids[1]));
	snprintf(top_kids[1].id, sizeof(top_kids[1].id), "mid");
	top_kids[1].sup = &mid_spec;
	top_kids[1].type = OT_SUPERVISOR;
	top_kids[1].restart = _i == 2 ? OT_TRANSIENT : OT_PERMANENT;
	ot_sup_flags tf = mkflags(_i == 1 ? OT_ONE_FOR_ALL : OT_ONE_FOR_ONE,
				  _i == 3 ? 0 : 5, 60000);
	ot_pid top = sup_start(&tf, top_kids, 2);
	ot_ref top_ref = ot_test_monitor(top);
	ot_pid tw = start_of("tw", what);
	ot_pid l1 = start_of("l1", what);
	(void)start_of("l2", what);
	ot_child_info mk = kid(top, "mid", what);
	ck_assert_int_eq(mk.type, OT_SUPERVISOR);
	ot_pid mid = mk.pid;
	ot_ref mid_ref = ot_test_monitor(mid);

	crash_child(l1, "l1", what);
	l1 = start_of("l1", "mid's own restart");
	crash_child(l1, "l1", what);
	ot_down_info d = ot_test_expect_down(mid_ref, 5000, what);
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, "mid's exit");
	expect_term("l2", sd, what);

	if (_i == 3) {
		d = ot_test_expect_down(top_ref, 5000, what);
		assert_reason(&d.reason, &sd, "top's exit");
		expect_term("tw", sd, what);
		ck_assert_int_eq(count_ev(EV_START, NULL), 0);
		return;
	}
	if (_i == 2) {
		ot_child_info k = kid(top, "mid", what);
		ck_assert_msg(k.status == OT_CHILD_UNDEFINED &&
				  ot_pid_is_none(k.pid),
			      "%s: mid has status %d, want undefined", what,
			      (int)k.status);
		expect_no_ev(EV_START, NULL, 30, what);
		assert_pid(kid(top, "tw", what).pid, tw, what);
		sup_stop(top);
		return;
	}
	if (_i == 1) {
		expect_term("tw", sd, what);
		ot_pid ntw = start_of("tw", what);
		assert_new_pid(ntw, tw, what);
		tw = ntw;
	}
	ot_pid nl1 = start_of("l1", what), nl2 = start_of("l2", what);
	ot_child_info k = kid(top, "mid", what);
	ck_assert_int_eq(k.status, OT_CHILD_RUNNING);
	assert_new_pid(k.pid, mid, what);
	ot_pid got = kid(k.pid, "l1", what).pid;
	assert_pid(got, nl1, what);
	got = kid(k.pid, "l2", what).pid;
	assert_pid(got, nl2, what);
	got = kid(top, "tw", what).pid;
	assert_pid(got, tw, what);
	ot_test_expect_no_down(top_ref, 0, what);
	expect_no_ev(EV_START, NULL, 20, what);
	sup_stop(top);
}
END_TEST

/* ---- auto_shutdown ------------------------------------------------------- */

/*
 * any_significant; children a, s (significant), z. Loop:
 *  0: s transient exits normal           -> the supervisor shuts down;
 *  1: s transient exits {shutdown,Text}  -> shuts down;
 *  2: s temporary exits with an error    -> shuts down;
 *  3: s transient exits with an error    -> s restarted, no shutdown.
 */
START_TEST(test_auto_shutdown_any)
{
	static const char *const whats[] = {
	    "transient exits normal", "transient exits {shutdown,Text}",
	    "temporary exits with an error", "transient exits with an error"};
	const char *what = whats[_i];
	struct wcfg wa, ws, wz;
	wcfg_init(&wa, "a", true);
	wcfg_init(&ws, "s", true);
	wcfg_init(&wz, "z", true);
	ot_child_spec ch[3] = {
	    wchild("a", &wa, OT_PERMANENT),
	    wchild("s", &ws, _i == 2 ? OT_TEMPORARY : OT_TRANSIENT),
	    wchild("z", &wz, OT_PERMANENT)};
	ch[1].significant = true;
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 5, 60000);
	fl.auto_shutdown = OT_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
	ot_pid sup = sup_start(&fl, ch, 3);
	ot_ref ref = ot_test_monitor(sup);
	ot_pid a = start_of("a", what), s = start_of("s", what);
	(void)start_of("z", what);
	ot_reason why = _i == 0	  ? ot_reason_normal()
			: _i == 1 ? ot_reason_shutdown_detail("done")
				  : boom();
	int mark = log_mark();
	cast_stop(s, why);
	ot_reason sd = ot_reason_shutdown();
	if (_i < 3) {
		ot_down_info d = ot_test_expect_down(ref, 5000, what);
		assert_reason(&d.reason, &sd, what);
		assert_log(mark, 0, "T:s T:z T:a", what);
		expect_term("z", sd, what);
		expect_term("a", sd, what);
		ck_assert(!ot_is_alive(a));
		ck_assert_int_eq(count_ev(EV_START, NULL), 0);
		return;
	}
	ot_pid ns = start_of("s", what);
	assert_new_pid(ns, s, what);
	(void)counts(sup);
	ot_test_expect_no_down(ref, 20, what);
	sup_stop(sup);
}
END_TEST

/*
 * all_significant; children a, s1, s2 (significant). The supervisor lives
 * on while one significant child has not ended, and shuts down when the
 * last one ends. Loop: s1 temporary (0) or transient exiting normal (1).
 */
START_TEST(test_auto_shutdown_all)
{
	const char *what = _i ? "s1 transient" : "s1 temporary";
	struct wcfg wa, w1, w2;
	wcfg_init(&wa, "a", true);
	wcfg_init(&w1, "s1", true);
	wcfg_init(&w2, "s2", true);
	ot_child_spec ch[3] = {
	    wchild("a", &wa, OT_PERMANENT),
	    wchild("s1", &w1, _i ? OT_TRANSIENT : OT_TEMPORARY),
	    wchild("s2", &w2, OT_TEMPORARY)};
	ch[1].significant = ch[2].significant = true;
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 5, 60000);
	fl.auto_shutdown = OT_AUTO_SHUTDOWN_ALL_SIGNIFICANT;
	ot_pid sup = sup_start(&fl, ch, 3);
	ot_ref ref = ot_test_monitor(sup);
	(void)start_of("a", what);
	ot_pid s1 = start_of("s1", what), s2 = start_of("s2", what);
	ot_ref r1 = ot_test_monitor(s1);
	cast_stop(s1, ot_reason_normal());
	(void)ot_test_expect_down(r1, 5000, what);
	ot_child_info k = find_kid(sup, "s1");
	if (_i)
		ck_assert_int_eq(k.status, OT_CHILD_UNDEFINED);
	else
		ck_assert_int_eq(k.status, 0);
	ot_test_expect_no_down(ref, 20, "one significant child left");
	cast_stop(s2, boom());
	ot_down_info d =
	    ot_test_expect_down(ref, 5000, "the last significant child ended");
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, what);
	expect_term("a", sd, what);
	ck_assert_int_eq(count_ev(EV_START, NULL), 0);
}
END_TEST

/*
 * Children the supervisor stops itself never trigger auto_shutdown. Loop:
 *  0: any_significant, terminate_child of a transient significant child;
 *     after restart_child, its own normal exit does shut down;
 *  1: all_significant, terminate_child of the only (temporary)
 *     significant child; a new significant child's own exit does;
 *  2: any_significant, one_for_all: a fails, and the temporary
 *     significant t is stopped by the group restart: no shutdown.
 */
START_TEST(test_auto_shutdown_not_by_supervisor)
{
	static const char *const whats[] = {
	    "terminate_child, any_significant",
	    "terminate_child, all_significant",
	    "one_for_all restart stops a significant child"};
	const char *what = whats[_i];
	struct wcfg wa, ws, w2;
	wcfg_init(&wa, "a", true);
	wcfg_init(&ws, "s", true);
	wcfg_init(&w2, "s2", true);
	ot_child_spec ch[2] = {
	    wchild("a", &wa, OT_PERMANENT),
	    wchild("s", &ws, _i == 0 ? OT_TRANSIENT : OT_TEMPORARY)};
	ch[1].significant = true;
	ot_sup_flags fl =
	    mkflags(_i == 2 ? OT_ONE_FOR_ALL : OT_ONE_FOR_ONE, 5, 60000);
	fl.auto_shutdown = _i == 1 ? OT_AUTO_SHUTDOWN_ALL_SIGNIFICANT
				   : OT_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
	ot_pid sup = sup_start(&fl, ch, 2);
	ot_ref ref = ot_test_monitor(sup);
	ot_pid a = start_of("a", what), s = start_of("s", what);
	ot_reason sd = ot_reason_shutdown();
	if (_i == 2) {
		cast_stop(a, boom());
		expect_term("s", sd, what);
		(void)start_of("a", what);
		(void)counts(sup);
		ot_test_expect_no_down(ref, 20, what);
		ck_assert_int_eq(find_kid(sup, "s").status, 0);
		expect_no_ev(EV_START, "s", 0, what);
		sup_stop(sup);
		return;
	}
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "s"));
	expect_term("s", sd, what);
	ck_assert(!ot_is_alive(s));
	(void)counts(sup);
	ot_test_expect_no_down(ref, 20, what);
	ot_pid ns;
	if (_i == 0) {
		ck_assert_ot_ok(
		    ot_supervisor_restart_child(sup, "s", &ns, NULL));
	} else {
		ot_child_spec c2 = wchild("s2", &w2, OT_TEMPORARY);
		c2.significant = true;
		ck_assert_ot_ok(ot_supervisor_start_child(sup, &c2, &ns, NULL));
	}
	ot_pid started = start_of(_i == 0 ? "s" : "s2", what);
	assert_pid(started, ns, what);
	ot_test_expect_no_down(ref, 0, what);
	cast_stop(ns, ot_reason_normal());
	ot_down_info d =
	    ot_test_expect_down(ref, 5000, "the significant child's own exit");
	assert_reason(&d.reason, &sd, what);
	expect_term("a", sd, what);
}
END_TEST

/* ---- backoff ------------------------------------------------------------- */

/* Collects n start times of the always-crashing child x. */
static void start_times(double *t, int n, const char *what)
{
	for (int i = 0; i < n; i++)
		t[i] = expect_ev(EV_START, "x", what).t;
}

/*
 * min M, max 4M, no jitter: the delays before successive restarts of a
 * child that always crashes are M, 2M, 4M, 4M, 4M. Lower bounds are tight
 * (a delay is never shorter), upper bounds loose (slow builds) but below
 * 8M, so that a delay past the cap is caught.
 */
START_TEST(test_backoff_growth)
{
	const char *what = "backoff growth";
	int m = scaled_ms(60);
	struct wcfg wx;
	wcfg_init(&wx, "x", false);
	wx.crash_loop = true;
	ot_child_spec ch = wchild("x", &wx, OT_PERMANENT);
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 1000, 60000);
	fl.backoff.min_ms = m;
	fl.backoff.max_ms = 4 * m;
	ot_pid sup = sup_start(&fl, &ch, 1);
	double t[6];
	start_times(t, 6, what);
	sup_stop(sup); /* while x waits for its next restart */
	static const int mult[] = {1, 2, 4, 4, 4};
	for (int i = 0; i < 5; i++) {
		double gap = t[i + 1] - t[i];
		double want = mult[i] * m;
		ck_assert_msg(gap >= want - 2,
			      "%s: delay %d was %.1f ms, want at least %.0f",
			      what, i + 1, gap, want);
		/* loose, but below twice the cap */
		ck_assert_msg(gap <= want * 1.5 + scaled_ms(60),
			      "%s: delay %d was %.1f ms, want about %.0f", what,
			      i + 1, gap, want);
	}
}
END_TEST

/*
 * min = max = M with 30% jitter: no delay is below M - 30% (above M + 30%
 * only by what a busy machine adds), and they are not all the same.
 */
START_TEST(test_backoff_jitter)
{
	const char *what = "backoff jitter";
	int m = scaled_ms(100);
	struct wcfg wx;
	wcfg_init(&wx, "x", false);
	wx.crash_loop = true;
	ot_child_spec ch = wchild("x", &wx, OT_PERMANENT);
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 1000, 60000);
	fl.backoff.min_ms = m;
	fl.backoff.max_ms = m;
	fl.backoff.jitter_pct = 30;
	ot_pid sup = sup_start(&fl, &ch, 1);
	double t[9];
	start_times(t, 9, what);
	sup_stop(sup);
	double lo = 1e9, hi = 0;
	for (int i = 0; i < 8; i++) {
		double gap = t[i + 1] - t[i];
		ck_assert_msg(gap >= 0.7 * m - 2,
			      "%s: delay %.1f ms, below %d ms - 30%%", what,
			      gap, m);
		/* loose: a busy machine adds to a delay, never takes away */
		ck_assert_msg(gap <= 1.3 * m + scaled_ms(100),
			      "%s: delay %.1f ms, far above %d ms + 30%%", what,
			      gap, m);
		lo = gap < lo ? gap : lo;
		hi = gap > hi ? gap : hi;
	}
	ck_assert_msg(hi - lo >= 3,
		      "%s: 8 delays all within %.1f ms: no jitter", what,
		      hi - lo);
}
END_TEST

/*
 * A child that ran reset_ms without needing a restart starts again from
 * min_ms: M, 2M, 4M, then a quiet period, then M again (not 8M).
 */
START_TEST(test_backoff_reset)
{
	const char *what = "backoff reset";
	int m = scaled_ms(40), reset = scaled_ms(300);
	struct wcfg wx;
	wcfg_init(&wx, "x", false);
	ot_child_spec ch = wchild("x", &wx, OT_PERMANENT);
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 1000, 60000);
	fl.backoff.min_ms = m;
	fl.backoff.max_ms = 16 * m;
	fl.backoff.reset_ms = reset;
	ot_pid sup = sup_start(&fl, &ch, 1);
	ot_pid x = start_of("x", what);
	static const int mult[] = {1, 2, 4};
	for (int i = 0; i < 4; i++) {
		if (i == 3)
			ot_sleep(reset + scaled_ms(60)); /* the quiet period */
		double t0 = now_msf();
		cast_stop(x, boom());
		struct ev e = expect_ev(EV_START, "x", what);
		x = e.pid;
		double gap = e.t - t0;
		double want = i == 3 ? m : mult[i] * m;
		ck_assert_msg(gap >= want - 2,
			      "%s: delay %d was %.1f ms, want at least %.0f",
			      what, i + 1, gap, want);
		if (i == 3)
			ck_assert_msg(gap < 4.0 * m,
				      "%s: after a quiet period the delay was "
				      "%.1f ms, want about %d (not reset?)",
				      what, gap, m);
	}
	sup_stop(sup);
}
END_TEST

/*
 * While a child waits for its restart the supervisor answers calls (the
 * child is listed as restarting); terminate_child ends the wait (no start
 * comes), and restart_child starts it again.
 */
START_TEST(test_backoff_responsive)
{
	const char *what = "backoff wait";
	int m = scaled_ms(300);
	struct wcfg wa;
	wcfg_init(&wa, "a", true);
	ot_child_spec ch = wchild("a", &wa, OT_PERMANENT);
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE, 10, 60000);
	fl.backoff.min_ms = m;
	ot_pid sup = sup_start(&fl, &ch, 1);
	ot_pid a = start_of("a", what);
	ot_ref ref = ot_test_monitor(a);
	cast_stop(a, boom());
	(void)ot_test_expect_down(ref, 5000, what);
	double t0 = now_msf();
	ot_child_info k = kid(sup, "a", what);
	double took = now_msf() - t0;
	ck_assert_msg(k.status == OT_CHILD_RESTARTING,
		      "%s: status %d, want restarting", what, (int)k.status);
	ck_assert(ot_pid_is_none(k.pid));
	ck_assert_msg(took < m / 2.0,
		      "%s: which_children took %.1f ms during a %d ms backoff",
		      what, took, m);
	ck_assert_ot_err(ot_supervisor_restart_child(sup, "a", NULL, NULL),
			 OT_ERESTARTING);
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	k = kid(sup, "a", what);
	ck_assert_int_eq(k.status, OT_CHILD_UNDEFINED);
	expect_no_ev(EV_START, "a", m + scaled_ms(100),
		     "a start after terminate_child");
	ot_pid na;
	ck_assert_ot_ok(ot_supervisor_restart_child(sup, "a", &na, NULL));
	ot_pid started = start_of("a", what);
	assert_pid(started, na, what);
	sup_stop(sup);
}
END_TEST

/* ---- the crash matrix ---------------------------------------------------- */

static const int g_mfaults[] = {F_NULL_WRITE, F_DIV_ZERO, F_ABORT, F_OVERFLOW};
#define N_MFAULTS 4
static const char *const g_strat_names[] = {"one_for_one", "one_for_all",
					    "rest_for_one",
					    "simple_one_for_one", "dynamic"};

/* A process that calls target in a loop until told to stop, counting
 * what failed; it sends EV_WARM when ok reaches mark, EV_DONE at the end. */
struct pinger {
	ot_pid target;
	atomic_int stop;
	atomic_long ok, err, mark;
	atomic_int first_err;
};

static void pinger_proc(void *arg)
{
	struct pinger *p = arg;
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = OP_PING;
	while (!atomic_load(&p->stop)) {
		int64_t out = 0;
		int rc = ot_gen_server_call(p->target, &q, sizeof(q), &out,
					    sizeof(out), NULL, scaled_ms(2000),
					    NULL);
		if (rc == 0 && out == (int64_t)p->target.id) {
			long ok = atomic_fetch_add(&p->ok, 1) + 1;
			if (ok == atomic_load(&p->mark))
				ev_send(EV_WARM, "pinger", NULL);
		} else {
			if (atomic_fetch_add(&p->err, 1) == 0)
				atomic_store(&p->first_err, rc ? rc : -999);
		}
		ot_yield();
	}
	ev_send(EV_DONE, "pinger", NULL);
}

/* Waits until the pinger has made n more good calls. */
static void pinger_advance(struct pinger *p, long n, const char *what)
{
	atomic_store(&p->mark, atomic_load(&p->ok) + n);
	(void)expect_ev(EV_WARM, "pinger", what);
}

/*
 * Loop: strategy (one_for_one, one_for_all, rest_for_one,
 * simple_one_for_one, dynamic) x fault (NULL write, divide by zero,
 * abort, stack overflow). x, then y, run under the supervisor; x faults
 * in handle_call. The caller gets OT_ESERVERDIED with the crash reason;
 * x is restarted (y too when the strategy says so) and answers again.
 * Meanwhile "other", under another supervisor, is called in a loop by a
 * pinger: no call fails and other is never restarted.
 */
START_TEST(test_crash_matrix)
{
	int strat = _i / N_MFAULTS, fault = g_mfaults[_i % N_MFAULTS];
	char what[96];
	snprintf(what, sizeof(what), "%s in handle_call, %s",
		 fault_names[fault], g_strat_names[strat]);

	/* the bystander and its caller */
	struct wcfg wo;
	wcfg_init(&wo, "other", false);
	ot_child_spec och = wchild("other", &wo, OT_PERMANENT);
	ot_sup_flags bf = mkflags(OT_ONE_FOR_ONE, 0, 0);
	ot_pid bsup = sup_start(&bf, &och, 1);
	ot_pid other = start_of("other", what);
	static struct pinger p;
	memset(&p, 0, sizeof(p));
	p.target = other;
	atomic_store(&p.mark, 10);
	ot_pid pp;
	ck_assert_ot_ok(ot_spawn(pinger_proc, &p, NULL, &pp));
	(void)expect_ev(EV_WARM, "pinger", "the pinger warms up");

	/* the supervisor under test */
	struct wcfg wx, wy;
	wcfg_init(&wx, "x", false);
	wcfg_init(&wy, "y", false);
	ot_child_spec ch[2] = {wchild("x", &wx, OT_PERMANENT),
			       wchild("y", &wy, OT_PERMANENT)};
	ot_pid sup;
	if (strat < 3) {
		ot_sup_flags fl = mkflags(g_static[strat], 5, 60000);
		sup = sup_start(&fl, ch, 2);
	} else if (strat == 3) {
		ot_child_spec tmpl = wchild("template", NULL, OT_PERMANENT);
		ot_sup_flags fl = mkflags(OT_SIMPLE_ONE_FOR_ONE, 5, 60000);
		sup = sup_start(&fl, &tmpl, 1);
		ck_assert_ot_ok(ot_supervisor_start_child_extra(
		    sup, &wx, sizeof(wx), NULL, NULL));
		ck_assert_ot_ok(ot_supervisor_start_child_extra(
		    sup, &wy, sizeof(wy), NULL, NULL));
	} else {
		ot_sup_flags fl = mkflags(OT_SUP_DYNAMIC, 5, 60000);
		sup = sup_start(&fl, NULL, 0);
		ch[0].id[0] = ch[1].id[0] = '\0';
		ck_assert_ot_ok(
		    ot_supervisor_start_child(sup, &ch[0], NULL, NULL));
		ck_assert_ot_ok(
		    ot_supervisor_start_child(sup, &ch[1], NULL, NULL));
	}
	ot_pid x = start_of("x", what), y = start_of("y", what);
	ot_ref xref = ot_test_monitor(x);

	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = OP_CRASH;
	q.fault = fault;
	int64_t out;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_gen_server_call(x, &q, sizeof(q), &out, sizeof(out), NULL,
				    scaled_ms(5000), &why);
	ck_assert_msg(rc == OT_ESERVERDIED, "%s: call returned %s, want %s",
		      what, ot_err_name(rc), ot_err_name(OT_ESERVERDIED));
	ot_test_check_crash(&why, fault, what);
	ot_down_info d = ot_test_expect_down(xref, 5000, what);
	assert_reason(&d.reason, &why, what);

	ot_pid nx = start_of("x", what);
	assert_new_pid(nx, x, what);
	bool group = strat == 1 || strat == 2;
	ot_pid ny = y;
	if (group) {
		ny = start_of("y", what);
		assert_new_pid(ny, y, what);
	}
	ot_child_info info[4];
	int n = kids(sup, info, 4); /* barrier */
	ck_assert_int_eq(n, 2);
	bool seen_x = false, seen_y = false;
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(info[i].status, OT_CHILD_RUNNING);
		seen_x |= ot_pid_equal(info[i].pid, nx);
		seen_y |= ot_pid_equal(info[i].pid, ny);
	}
	ck_assert_msg(seen_x && seen_y, "%s: which_children lacks x or y",
		      what);
	ck_assert_msg(group || ot_is_alive(y), "%s: y died", what);
	expect_no_ev(EV_START, NULL, 0, what);
	ck_assert_int_eq(ping(nx), (int64_t)nx.id);

	/* nobody else noticed */
	pinger_advance(&p, 10, "the pinger goes on");
	atomic_store(&p.stop, 1);
	(void)expect_ev(EV_DONE, "pinger", what);
	ck_assert_msg(atomic_load(&p.err) == 0,
		      "%s: %ld of the bystander's calls failed (first: %s)",
		      what, atomic_load(&p.err),
		      ot_err_name(atomic_load(&p.first_err)));
	assert_pid(kid(bsup, "other", what).pid, other, what);
	ck_assert_int_eq(count_ev(EV_START, "other"), 0);
	ck_assert_int_eq(count_ev(EV_TERM, "other"), 0);
	sup_stop(sup);
	sup_stop(bsup);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static TCase *sup_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, sup_setup, NULL);
	return tc;
}

/* ---- timers go with the process that ends (issue 14) --------------------- */

/* Arms a one-hour timer to itself in init; every call crashes it. */
static ot_gs_ret timer_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	ot_send_after(3600 * 1000, ot_self(), 1, NULL, 0, NULL);
	return ot_gs_ok();
}

static ot_gs_ret timer_call(const void *req, size_t size, ot_gs_from from,
			    void **state)
{
	(void)req;
	(void)size;
	(void)from;
	(void)state;
	ot_reason why = ot_reason_error(1, "crash on call");
	ot_exit(&why);
	return ot_gs_noreply();
}

static const ot_gen_server_callbacks timer_cb = {.init = timer_init,
						 .handle_call = timer_call};

/* Erlang cancels a timer whose destination process has ended: a server
 * that arms a 1 h send_after in init and crashes 2,000 times under its
 * supervisor leaves one timer, its last incarnation's. No OTP test twin
 * (erlang:send_after/3's documented rule). */
START_TEST(test_timers_do_not_outlive_restarts)
{
	ot_set_logger(ot_log_discard, NULL);
	ot_child_spec c;
	memset(&c, 0, sizeof c);
	strcpy(c.id, "t");
	c.server = &timer_cb;
	ot_sup_flags f = mkflags(OT_ONE_FOR_ONE, 1000000, 1000);
	ot_pid sup = sup_start(&f, &c, 1);
	int n = (int)ot_test_scaled(2000);
	ot_pid last = OT_PID_NONE;
	for (int i = 0; i < n; i++) {
		ot_child_info k = kid(sup, "t", "timer server");
		while (k.status != OT_CHILD_RUNNING ||
		       ot_pid_equal(k.pid, last))
			k = kid(sup, "t", "timer server");
		last = k.pid;
		int x = 0;
		ck_assert_ot_err(ot_gen_server_call(k.pid, &x, sizeof x, NULL,
						    0, NULL, scaled_ms(3000),
						    NULL),
				 OT_ESERVERDIED);
	}
	ot_child_info k = kid(sup, "t", "timer server");
	while (k.status != OT_CHILD_RUNNING || ot_pid_equal(k.pid, last))
		k = kid(sup, "t", "timer server");
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.timers, 1);
	sup_stop(sup);
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.timers, 0);
	ot_set_logger(NULL, NULL);
}
END_TEST

static Suite *restart_suite(void)
{
	Suite *s = suite_create("supervisor_restart");

	TCase *tc = sup_tcase("strategies", 20);
	tcase_add_loop_test(tc, test_restart_order, 0, 9);
	tcase_add_loop_test(tc, test_temporary_siblings, 0, 2);
	suite_add_tcase(s, tc);

	tc = sup_tcase("restart_types", 20);
	tcase_add_loop_test(tc, test_restart_types, 0, 3 * R_COUNT);
	suite_add_tcase(s, tc);

	tc = sup_tcase("intensity", 30);
	tcase_add_loop_test(tc, test_intensity, 0, 4);
	tcase_add_test(tc, test_intensity_period);
	tcase_add_loop_test(tc, test_failed_restart_retried, 0, 2);
	suite_add_tcase(s, tc);

	tc = sup_tcase("timers", 60);
	tcase_add_test(tc, test_timers_do_not_outlive_restarts);
	suite_add_tcase(s, tc);

	tc = sup_tcase("escalation", 20);
	tcase_add_loop_test(tc, test_escalation, 0, 4);
	suite_add_tcase(s, tc);

	tc = sup_tcase("auto_shutdown", 20);
	tcase_add_loop_test(tc, test_auto_shutdown_any, 0, 4);
	tcase_add_loop_test(tc, test_auto_shutdown_all, 0, 2);
	tcase_add_loop_test(tc, test_auto_shutdown_not_by_supervisor, 0, 3);
	suite_add_tcase(s, tc);

	tc = sup_tcase("backoff", 30);
	tcase_add_test(tc, test_backoff_growth);
	tcase_add_test(tc, test_backoff_jitter);
	tcase_add_test(tc, test_backoff_reset);
	tcase_add_test(tc, test_backoff_responsive);
	suite_add_tcase(s, tc);

	tc = sup_tcase("crash_matrix", 30);
	tcase_set_tags(tc, "crash");
	tcase_add_loop_test(tc, test_crash_matrix, 0, 5 * N_MFAULTS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(restart_suite());
}
