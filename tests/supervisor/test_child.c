/* SPDX-License-Identifier: MIT */
/*
 * test_child.c — how a supervisor stops its children, as OTP's supervisor
 * does (supervisor_SUITE is the model): in reverse start order (children
 * added later and restarted ones in their place, and through a nested
 * supervisor); a child that traps exits and ignores shutdown is killed
 * after its shutdown time; brutal_kill kills at once, without terminate;
 * infinity (and the worker default) waits for a slow terminate; a child
 * that unlinked itself is still stopped; children that end on their own
 * meanwhile are not restarted; dynamic children (simple_one_for_one,
 * OT_SUP_DYNAMIC) are stopped all at once; terminate_child keeps a static
 * child's spec (not a temporary one's) for restart_child / delete_child.
 *
 * The children are one gen_server (w_cb) configured by a struct wcfg, and
 * a bare process that traps exits and ignores them (ignorer). init and
 * terminate append "S:id" / "T:id" to a shared log (the order the test
 * asserts) and send EV_START / EV_TERM events to the test thread (what it
 * waits on). Messages from one process keep their order, DOWN included:
 * a terminate that ran sent its EV_TERM before the child's DOWN.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup_events.h"

/* ---- requests and events ------------------------------------------------- */

enum {
	OP_PING = 1, /* call: reply the server's pid (int64) */
	OP_UNLINK,   /* call: ot_unlink(pid), reply its result */
	OP_STOP,     /* cast: stop with reason */
};

enum {
	EV_EXIT = EV_USER, /* the ignorer got an EXIT: .reason */
};

struct req {
	int op;
	ot_reason reason;
	ot_pid pid;
};

/* ---- the children under test --------------------------------------------- */

struct wcfg {
	char id[ID_LEN];
	bool trap;	     /* trap exits (so terminate runs on shutdown) */
	int term_sleep_ms;   /* terminate sleeps this long (OT_INFINITY: for
				ever) */
	ot_pid kill_on_term; /* terminate first ends this one (an error) */
};

struct wst {
	struct wcfg *cfg;
	int64_t out;
};
#define POOL_SIZE 1024
static struct wst g_pool[POOL_SIZE];
static atomic_int g_pool_n;

static ot_gs_ret w_init(void *arg, void **state)
{
	struct wcfg *c = arg;
	int i = atomic_fetch_add(&g_pool_n, 1);
	if (!c || i >= POOL_SIZE)
		return ot_gs_stop(ot_reason_error(-1, "no config or state"));
	struct wst *s = &g_pool[i];
	s->cfg = c;
	*state = s;
	if (c->trap)
		ot_trap_exit(true, NULL);
	log_add('S', c->id);
	ev_send(EV_START, c->id, NULL);
	return ot_gs_ok();
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
		break;
	case OP_UNLINK:
		s->out = ot_unlink(q.pid);
		break;
	default:
		return ot_gs_stop(ot_reason_error(-3, "unknown call"));
	}
	return ot_gs_reply(&s->out, sizeof(s->out));
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
	struct wcfg *c = s->cfg;
	log_add('T', c->id);
	ev_send(EV_TERM, c->id, reason);
	if (!ot_pid_is_none(c->kill_on_term)) {
		ot_reason why = ot_reason_error(3, "sibling gone");
		ot_exit_pid(c->kill_on_term, &why);
	}
	if (c->term_sleep_ms)
		ot_sleep(c->term_sleep_ms);
}

static const ot_gen_server_callbacks w_cb = {
    .init = w_init,
    .handle_call = w_call,
    .handle_cast = w_cast,
    .terminate = w_terminate,
};

/* A bare child that traps exits and ignores every message. It reports
 * EV_START once it traps, so a test that waited for it knows it does. */
static void ignorer_proc(void *arg)
{
	struct wcfg *c = arg;
	ot_trap_exit(true, NULL);
	log_add('S', c->id);
	ev_send(EV_START, c->id, NULL);
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) != 0)
			continue;
		const ot_exit_info *ei = ot_msg_exit(m);
		if (ei)
			ev_send(EV_EXIT, c->id, &ei->reason);
		ot_msg_free(m);
	}
}

static int ignorer_start(void *arg, const void *extra, size_t extra_size,
			 ot_pid *out, ot_reason *reason)
{
	(void)extra;
	(void)extra_size;
	(void)reason;
	ot_spawn_opts o;
	memset(&o, 0, sizeof(o));
	o.flags = OT_SPAWN_LINK;
	return ot_spawn(ignorer_proc, arg, &o, out);
}

/* ---- the test thread's side ---------------------------------------------- */

static void quiet_logger(const char *report, void *arg)
{
	(void)arg;
	if (getenv("OT_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", report);
}

static void sup_setup(void)
{
	ev_setup();
	atomic_store(&g_pool_n, 0);
	ck_assert_ot_ok(ot_set_logger(quiet_logger, NULL));
}

static void wcfg_init(struct wcfg *c, const char *id, bool trap)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->trap = trap;
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

static ot_sup_flags mkflags(ot_sup_strategy st)
{
	ot_sup_flags f;
	memset(&f, 0, sizeof(f));
	f.strategy = st;
	f.intensity = 10;
	f.period_ms = 60000;
	return f;
}

/* Stops sup; returns how long it took in ms. */
static double sup_stop(ot_pid sup)
{
	double t0 = now_msf();
	int rc = ot_supervisor_stop(sup, scaled_ms(20000));
	ck_assert_msg(rc == 0, "supervisor stop: %s", ot_err_name(rc));
	return now_msf() - t0;
}

static void cast_stop(ot_pid child, ot_reason reason)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = OP_STOP;
	q.reason = reason;
	ck_assert_ot_ok(ot_gen_server_cast(child, &q, sizeof(q)));
}

static int64_t call_op(ot_pid p, int op, ot_pid arg)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = op;
	q.pid = arg;
	int64_t out = -12345;
	int rc = ot_gen_server_call(p, &q, sizeof(q), &out, sizeof(out), NULL,
				    scaled_ms(3000), NULL);
	ck_assert_msg(rc == 0, "call op %d: %s", op, ot_err_name(rc));
	return out;
}

static ot_reason killed(void)
{
	ot_reason r = ot_reason_kill();
	r.kind = OT_REASON_KILLED;
	return r;
}

/* ---- order --------------------------------------------------------------- */

static const ot_sup_strategy g_static[] = {OT_ONE_FOR_ONE, OT_ONE_FOR_ALL,
					   OT_REST_FOR_ONE};
static const char *const g_static_names[] = {"one_for_one", "one_for_all",
					     "rest_for_one"};

/*
 * Loop over the static strategies. a, b, c start in order, d is added
 * with start_child (appended), b fails and is restarted (it keeps its
 * place). The supervisor's stop ends them in reverse order, each with
 * reason shutdown, and returns once they are all gone.
 */
START_TEST(test_shutdown_reverse_order)
{
	const char *what = g_static_names[_i];
	static const char *const ids[] = {"a", "b", "c", "d"};
	struct wcfg w[4];
	ot_child_spec ch[4];
	for (int i = 0; i < 4; i++) {
		wcfg_init(&w[i], ids[i], true);
		ch[i] = wchild(ids[i], &w[i], OT_PERMANENT);
	}
	ot_sup_flags fl = mkflags(g_static[_i]);
	ot_pid sup = sup_start(&fl, ch, 3);
	ot_pid pa = start_of("a", what);
	ot_pid pb = start_of("b", what);
	(void)start_of("c", what);
	ot_pid pd;
	ck_assert_ot_ok(ot_supervisor_start_child(sup, &ch[3], &pd, NULL));
	ot_pid started = start_of("d", what);
	assert_pid(started, pd, what);
	assert_log(0, 'S', "S:a S:b S:c S:d", what);

	cast_stop(pb, ot_reason_error(1, "boom"));
	(void)start_of("b", what);
	if (_i != 0) /* the group restart: everything from b on */
		(void)start_of("d", what);
	if (_i == 1)
		(void)start_of("a", what);
	(void)counts(sup); /* the restart is done */
	(void)count_ev(EV_START, NULL);
	(void)count_ev(EV_TERM, NULL);

	ot_ref ref = ot_test_monitor(sup);
	int mark = log_mark();
	sup_stop(sup);
	ot_down_info d = ot_test_expect_down(ref, 10000, what);
	ot_reason normal = ot_reason_normal(), sd = ot_reason_shutdown();
	assert_reason(&d.reason, &normal, "the supervisor's own reason");
	assert_log(mark, 0, "T:d T:c T:b T:a", what);
	for (int i = 0; i < 4; i++)
		expect_term(ids[i], sd, what);
	if (_i != 1)
		ck_assert_msg(!ot_is_alive(pa), "%s: a outlived the stop",
			      what);
	expect_no_ev(EV_START, NULL, 0, what);
}
END_TEST

/*
 * top: w1, mid (a supervisor: m1, m2), w2. Stopping top stops w2, then
 * mid, which stops m2 then m1, then w1.
 */
START_TEST(test_shutdown_nested_order)
{
	const char *what = "nested";
	struct wcfg ww1, wm1, wm2, ww2;
	wcfg_init(&ww1, "w1", true);
	wcfg_init(&wm1, "m1", true);
	wcfg_init(&wm2, "m2", true);
	wcfg_init(&ww2, "w2", true);
	ot_child_spec mid_kids[2] = {wchild("m1", &wm1, OT_PERMANENT),
				     wchild("m2", &wm2, OT_PERMANENT)};
	ot_sup_spec mid_spec = {.flags = mkflags(OT_ONE_FOR_ONE),
				.children = mid_kids,
				.nchildren = 2};
	ot_child_spec top_kids[3];
	top_kids[0] = wchild("w1", &ww1, OT_PERMANENT);
	memset(&top_kids[1], 0, sizeof(top_kids[1]));
	snprintf(top_kids[1].id, sizeof(top_kids[1].id), "mid");
	top_kids[1].sup = &mid_spec;
	top_kids[1].type = OT_SUPERVISOR;
	top_kids[2] = wchild("w2", &ww2, OT_PERMANENT);
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE);
	ot_pid top = sup_start(&fl, top_kids, 3);
	(void)count_ev(EV_START, NULL);
	assert_log(0, 'S', "S:w1 S:m1 S:m2 S:w2", "start order");
	ot_pid mid = find_kid(top, "mid").pid;
	ck_assert(!ot_pid_is_none(mid));
	ot_ref ref = ot_test_monitor(mid);
	int mark = log_mark();
	sup_stop(top);
	ot_down_info d = ot_test_expect_down(ref, 10000, what);
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, "mid's reason");
	assert_log(mark, 0, "T:w2 T:m2 T:m1 T:w1", what);
}
END_TEST

/* ---- shutdown times ------------------------------------------------------ */

#define SHUTDOWN_MS 300

/*
 * A child that traps exits and does not end on shutdown is killed after
 * its shutdown_ms: reason killed, and no sooner. Loop: a bare process
 * that ignores the EXIT (0), a gen_server whose terminate never returns
 * (1). The sibling a, started before it, is stopped after it (shutdown).
 */
START_TEST(test_shutdown_timeout_kills)
{
	const char *what = _i ? "terminate never returns" : "ignores shutdown";
	struct wcfg wa, ws;
	wcfg_init(&wa, "a", true);
	wcfg_init(&ws, "slow", true);
	ws.term_sleep_ms = OT_INFINITY;
	ot_child_spec ch[2] = {wchild("a", &wa, OT_PERMANENT),
			       wchild("slow", &ws, OT_PERMANENT)};
	if (!_i) {
		ch[1].server = NULL;
		ch[1].start = ignorer_start;
	}
	ch[1].shutdown_ms = SHUTDOWN_MS;
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE);
	ot_pid sup = sup_start(&fl, ch, 2);
	(void)start_of("a", what);
	ot_pid slow = start_of("slow", what);
	ot_ref ref = ot_test_monitor(slow);
	double t0 = now_msf();
	int rc = ot_supervisor_stop(sup, scaled_ms(20000));
	double took = now_msf() - t0;
	ck_assert_msg(rc == 0, "%s: stop: %s", what, ot_err_name(rc));
	double down_at;
	ot_down_info d = expect_down_at(ref, 10000, what, &down_at);
	ot_reason k = killed(), sd = ot_reason_shutdown();
	assert_reason(&d.reason, &k, what);
	ck_assert_msg(down_at - t0 >= SHUTDOWN_MS - 1,
		      "%s: killed %.1f ms after the stop began, before its "
		      "shutdown time (%d ms)",
		      what, down_at - t0, SHUTDOWN_MS);
	ck_assert_msg(took < SHUTDOWN_MS + scaled_ms(1000),
		      "%s: the stop took %.1f ms for a %d ms shutdown time",
		      what, took, SHUTDOWN_MS);
	/* it was asked first: an EXIT (or terminate) with reason shutdown */
	struct ev e = expect_ev(_i ? EV_TERM : EV_EXIT, "slow", what);
	assert_reason(&e.reason, &sd, what);
	ck_assert_msg(e.t - t0 < SHUTDOWN_MS,
		      "%s: shutdown was sent %.1f ms after the stop began",
		      what, e.t - t0);
	expect_term("a", sd, what);
	assert_log(0, 'T', _i ? "T:slow T:a" : "T:a", what);
}
END_TEST

/*
 * OT_SHUTDOWN_BRUTAL_KILL: the child is killed at once (reason killed);
 * its terminate (which would sleep 2 s) does not run. Loop: the
 * supervisor stops (0), terminate_child (1).
 */
START_TEST(test_brutal_kill)
{
	const char *what =
	    _i ? "brutal_kill, terminate_child" : "brutal_kill, stop";
	struct wcfg wb;
	wcfg_init(&wb, "b", true);
	wb.term_sleep_ms = 2000;
	ot_child_spec ch = wchild("b", &wb, OT_PERMANENT);
	ch.shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL;
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE);
	ot_pid sup = sup_start(&fl, &ch, 1);
	ot_pid b = start_of("b", what);
	ot_ref ref = ot_test_monitor(b);
	double t0 = now_msf();
	if (_i)
		ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "b"));
	else
		sup_stop(sup);
	double down_at;
	ot_down_info d = expect_down_at(ref, 10000, what, &down_at);
	ot_reason k = killed();
	assert_reason(&d.reason, &k, what);
	ck_assert_msg(down_at - t0 < 1500, "%s: the kill took %.1f ms", what,
		      down_at - t0);
	/* had terminate run, its EV_TERM would be ahead of the DOWN */
	expect_no_ev(EV_TERM, "b", 0, what);
	if (_i) {
		ot_child_info ki = find_kid(sup, "b");
		ck_assert_int_eq(ki.status, OT_CHILD_UNDEFINED);
		expect_no_ev(EV_START, "b", 20,
			     "restart after terminate_child");
		sup_stop(sup);
	}
}
END_TEST

/*
 * A slow terminate (400 ms) is waited for: the child ends with reason
 * shutdown, not killed. Loop: OT_INFINITY, OT_SHUTDOWN_DEFAULT (5 s for a
 * worker), 2000 ms.
 */
START_TEST(test_shutdown_waits)
{
	static const int sd_ms[] = {OT_INFINITY, OT_SHUTDOWN_DEFAULT, 2000};
	static const char *const whats[] = {"infinity", "default", "2000 ms"};
	const char *what = whats[_i];
	struct wcfg wa;
	wcfg_init(&wa, "a", true);
	wa.term_sleep_ms = 400;
	ot_child_spec ch = wchild("a", &wa, OT_PERMANENT);
	ch.shutdown_ms = sd_ms[_i];
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE);
	ot_pid sup = sup_start(&fl, &ch, 1);
	ot_pid a = start_of("a", what);
	ot_ref ref = ot_test_monitor(a);
	double took = sup_stop(sup);
	ot_down_info d = ot_test_expect_down(ref, 10000, what);
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, what);
	expect_term("a", sd, what);
	ck_assert_msg(took >= 400 - 1,
		      "%s: the stop returned after %.1f ms, before the child's "
		      "400 ms terminate ended",
		      what, took);
}
END_TEST

/*
 * A child that unlinked itself from its supervisor is still stopped (the
 * supervisor monitors it): reason shutdown, promptly. Loop: the
 * supervisor stops (0), terminate_child (1).
 */
START_TEST(test_unlinked_child_stopped)
{
	const char *what = _i ? "unlinked, terminate_child" : "unlinked, stop";
	struct wcfg wu;
	wcfg_init(&wu, "u", false);
	ot_child_spec ch = wchild("u", &wu, OT_PERMANENT);
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE);
	ot_pid sup = sup_start(&fl, &ch, 1);
	ot_pid u = start_of("u", what);
	ck_assert_int_eq(call_op(u, OP_UNLINK, sup), 0);
	ot_ref ref = ot_test_monitor(u);
	double t0 = now_msf();
	if (_i)
		ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "u"));
	else
		sup_stop(sup);
	double took = now_msf() - t0;
	ot_down_info d = ot_test_expect_down(ref, 10000, what);
	ot_reason sd = ot_reason_shutdown();
	assert_reason(&d.reason, &sd, what);
	ck_assert_msg(took < 2500,
		      "%s: it took %.1f ms to stop (waited for an EXIT "
		      "that never comes?)",
		      what, took);
	if (_i) {
		ot_child_info k = find_kid(sup, "u");
		ck_assert_int_eq(k.status, OT_CHILD_UNDEFINED);
		sup_stop(sup);
	}
}
END_TEST

/*
 * Children that end on their own while the supervisor stops are not
 * restarted: c is stopped first; its terminate ends a (permanent) with an
 * error, then takes 300 ms. a is not started again, and the stop ends.
 * Loop over the static strategies.
 */
START_TEST(test_exit_during_shutdown_not_restarted)
{
	const char *what = g_static_names[_i];
	struct wcfg wa, wb, wc;
	wcfg_init(&wa, "a", false);
	wcfg_init(&wb, "b", true);
	wcfg_init(&wc, "c", true);
	wc.term_sleep_ms = 300;
	ot_child_spec ch[3] = {wchild("a", &wa, OT_PERMANENT),
			       wchild("b", &wb, OT_PERMANENT),
			       wchild("c", &wc, OT_PERMANENT)};
	ot_sup_flags fl = mkflags(g_static[_i]);
	ot_pid sup = sup_start(&fl, ch, 3);
	ot_pid a = start_of("a", what);
	(void)start_of("b", what);
	(void)start_of("c", what);
	wc.kill_on_term = a; /* read by c's terminate, after the stop */
	ot_ref ref = ot_test_monitor(a);
	sup_stop(sup);
	ot_down_info d = ot_test_expect_down(ref, 10000, what);
	ot_reason err = ot_reason_error(3, "sibling gone");
	assert_reason(&d.reason, &err, what);
	ck_assert_int_eq(count_ev(EV_START, NULL), 0);
	assert_log(3, 0, "T:c T:b", what);
}
END_TEST

/*
 * Dynamic children are stopped all at once: N children whose terminate
 * takes 200 ms each are all gone in well under N * 200 ms, each with
 * reason shutdown. Loop: simple_one_for_one (0), OT_SUP_DYNAMIC (1).
 */
#define N_DYN	    8
#define DYN_TERM_MS 200
START_TEST(test_dynamic_stopped_concurrently)
{
	const char *what = _i ? "dynamic" : "simple_one_for_one";
	static struct wcfg w[N_DYN];
	ot_pid sup;
	if (_i == 0) {
		ot_child_spec tmpl = wchild("template", NULL, OT_PERMANENT);
		ot_sup_flags fl = mkflags(OT_SIMPLE_ONE_FOR_ONE);
		sup = sup_start(&fl, &tmpl, 1);
	} else {
		ot_sup_flags fl = mkflags(OT_SUP_DYNAMIC);
		sup = sup_start(&fl, NULL, 0);
	}
	char id[ID_LEN];
	for (int i = 0; i < N_DYN; i++) {
		snprintf(id, sizeof(id), "d%d", i);
		wcfg_init(&w[i], id, true);
		w[i].term_sleep_ms = DYN_TERM_MS;
		ot_pid p;
		if (_i == 0) {
			ck_assert_ot_ok(ot_supervisor_start_child_extra(
			    sup, &w[i], sizeof(w[i]), &p, NULL));
		} else {
			ot_child_spec c = wchild("", &w[i], OT_PERMANENT);
			ck_assert_ot_ok(
			    ot_supervisor_start_child(sup, &c, &p, NULL));
		}
		ot_pid started = start_of(id, what);
		assert_pid(started, p, what);
	}
	ot_child_counts cc = counts(sup);
	ck_assert_uint_eq(cc.active, N_DYN);
	double took = sup_stop(sup);
	ot_reason sd = ot_reason_shutdown();
	double first = 0, last = 0;
	for (int i = 0; i < N_DYN; i++) {
		snprintf(id, sizeof(id), "d%d", i);
		struct ev e = expect_ev(EV_TERM, id, what);
		assert_reason(&e.reason, &sd, what);
		first = i == 0 || e.t < first ? e.t : first;
		last = e.t > last ? e.t : last;
	}
	ck_assert_msg(took >= DYN_TERM_MS - 1,
		      "%s: stop returned after %.1f ms, before the terminates "
		      "ended",
		      what, took);
	ck_assert_msg(took < N_DYN * DYN_TERM_MS / 2,
		      "%s: %d children with a %d ms terminate took %.1f ms to "
		      "stop: one at a time?",
		      what, N_DYN, DYN_TERM_MS, took);
	ck_assert_msg(last - first < DYN_TERM_MS,
		      "%s: the terminates began %.1f ms apart", what,
		      last - first);
}
END_TEST

/* ---- terminate_child ----------------------------------------------------- */

/*
 * terminate_child of a static child stops it (shutdown) and keeps its
 * spec: listed as undefined, counted, not restarted; restart_child starts
 * it again; delete_child forgets it. A temporary child's spec goes.
 */
START_TEST(test_terminate_child_keeps_spec)
{
	const char *what = "terminate_child";
	struct wcfg wa, wt;
	wcfg_init(&wa, "a", true);
	wcfg_init(&wt, "t", true);
	ot_child_spec ch[2] = {wchild("a", &wa, OT_PERMANENT),
			       wchild("t", &wt, OT_TEMPORARY)};
	ot_sup_flags fl = mkflags(OT_ONE_FOR_ONE);
	ot_pid sup = sup_start(&fl, ch, 2);
	ot_pid a = start_of("a", what);
	(void)start_of("t", what);
	ot_reason sd = ot_reason_shutdown();

	ot_ref ref = ot_test_monitor(a);
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	ot_down_info d = ot_test_expect_down(ref, 10000, what);
	assert_reason(&d.reason, &sd, what);
	expect_term("a", sd, what);
	ot_child_info k = find_kid(sup, "a");
	ck_assert_int_eq(k.status, OT_CHILD_UNDEFINED);
	ck_assert(ot_pid_is_none(k.pid));
	ot_child_counts cc = counts(sup);
	ck_assert_uint_eq(cc.specs, 2);
	ck_assert_uint_eq(cc.active, 1);
	ot_child_spec spec;
	ck_assert_ot_ok(ot_supervisor_get_childspec(sup, "a", &spec));
	ck_assert_str_eq(spec.id, "a");
	ck_assert(spec.server == &w_cb && spec.arg == &wa);
	expect_no_ev(EV_START, "a", 20, "a restart after terminate_child");
	/* terminating it again is fine; restart_child brings it back */
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	ot_pid na;
	ck_assert_ot_ok(ot_supervisor_restart_child(sup, "a", &na, NULL));
	ot_pid started = start_of("a", what);
	assert_pid(started, na, what);
	ck_assert_ot_err(ot_supervisor_restart_child(sup, "a", NULL, NULL),
			 OT_ERUNNING);
	ck_assert_ot_err(ot_supervisor_delete_child(sup, "a"), OT_ERUNNING);

	/* a temporary child's spec is not kept */
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "t"));
	expect_term("t", sd, what);
	ck_assert_ot_err(ot_supervisor_get_childspec(sup, "t", &spec),
			 OT_ENOTFOUND);
	ck_assert_ot_err(ot_supervisor_restart_child(sup, "t", NULL, NULL),
			 OT_ENOTFOUND);
	ck_assert_ot_err(ot_supervisor_terminate_child(sup, "nobody"),
			 OT_ENOTFOUND);

	/* terminate, then delete: gone */
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	ck_assert_ot_ok(ot_supervisor_delete_child(sup, "a"));
	ck_assert_ot_err(ot_supervisor_get_childspec(sup, "a", &spec),
			 OT_ENOTFOUND);
	cc = counts(sup);
	ck_assert_uint_eq(cc.specs, 0);
	ck_assert_uint_eq(cc.active, 0);
	sup_stop(sup);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static TCase *sup_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, sup_setup, NULL);
	return tc;
}

static Suite *child_suite(void)
{
	Suite *s = suite_create("supervisor_child");

	TCase *tc = sup_tcase("order", 20);
	tcase_add_loop_test(tc, test_shutdown_reverse_order, 0, 3);
	tcase_add_test(tc, test_shutdown_nested_order);
	suite_add_tcase(s, tc);

	tc = sup_tcase("shutdown", 30);
	tcase_add_loop_test(tc, test_shutdown_timeout_kills, 0, 2);
	tcase_add_loop_test(tc, test_brutal_kill, 0, 2);
	tcase_add_loop_test(tc, test_shutdown_waits, 0, 3);
	tcase_add_loop_test(tc, test_unlinked_child_stopped, 0, 2);
	tcase_add_loop_test(tc, test_exit_during_shutdown_not_restarted, 0, 3);
	tcase_add_loop_test(tc, test_dynamic_stopped_concurrently, 0, 2);
	suite_add_tcase(s, tc);

	tc = sup_tcase("terminate_child", 20);
	tcase_add_test(tc, test_terminate_child_keeps_spec);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(child_suite());
}
