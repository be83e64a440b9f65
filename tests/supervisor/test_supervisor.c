/* SPDX-License-Identifier: MIT */
/*
 * test_supervisor.c — the supervisor API, call by call, as OTP's
 * supervisor (and Elixir's DynamicSupervisor) has it: static children
 * start in order and stop in reverse order; a child that fails to start
 * fails the supervisor's start after the started ones were stopped;
 * ignore; start_child, terminate_child, restart_child, delete_child,
 * which_children, count_children, get_childspec(_pid) with every error
 * they document; temporary children forgotten; simple_one_for_one with
 * extra bytes (copied, and the same at each restart); registered names;
 * nested supervisors; a dynamic supervisor with ten thousand children and
 * its child limit; a child waiting for its restart while the supervisor
 * answers; ot_supervisor_stop and the shutdown forms.
 *
 * The children are gen_servers (w_cb) configured by a struct wcfg: they
 * log their init and terminate in order (g_init_log, g_term_log) and
 * report them to the test thread as events (EV_INIT, EV_TERM). Workers
 * that must run terminate when their supervisor stops them trap exits.
 * All assertions are made on the test thread; every supervisor a test
 * starts is stopped (or dies) before it ends, and the fixture checks that
 * nothing leaked.
 *
 * A crash of a child (TCase crash_child, tagged "crash") is restarted like
 * any other exit.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup_fixture.h"

#include "faults.h"

/* ---- tags, events, worker configuration ---------------------------------- */

enum {
	EV_INIT = 4000, /* a worker's init ran: .id .pid .ptr (its arg) */
	EV_TERM,	/* a worker's terminate ran: .id .pid .reason */
	EV_START,	/* sf_extra ran: .id .ptr .size .bytes (the extra) */
};

struct ev {
	int id;
	ot_pid pid;
	ot_reason reason;
	uintptr_t ptr;
	size_t size;
	unsigned char bytes[32];
};

/* What a worker's init does. */
enum { WI_OK, WI_IGNORE, WI_STOP };

/* A worker's init argument. Zero: init ok, no trap, events on. */
struct wcfg {
	int id;
	int init;
	bool trap;	   /* trap exits (so terminate runs at shutdown) */
	bool quiet;	   /* no events, no logs (many children) */
	int term_sleep_ms; /* terminate sleeps this long after its event */
};

/* Requests to a worker (casts). */
enum { OP_STOP = 1, OP_CRASH };
struct req {
	int op;
	int fault;
	ot_reason reason;
};

#define NW 16
static struct wcfg g_w[NW]; /* worker args: outlive every supervisor */
static struct wcfg g_quiet; /* a quiet worker's arg */
static ot_pid g_test;	    /* the test thread */
static atomic_int g_quiet_inits;
static atomic_int g_fail;     /* sf_toggle fails while set */
static atomic_int g_attempts; /* failing start attempts */
static atomic_int g_reports;  /* reports the logger got */

/* The order inits and terminates ran in (ids). */
#define LOG_MAX 64
static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_init_log[LOG_MAX], g_ninit;
static int g_term_log[LOG_MAX], g_nterm;

static void log_add(int *log, int *n, int id)
{
	pthread_mutex_lock(&g_log_mu);
	if (*n < LOG_MAX)
		log[*n] = id;
	(*n)++;
	pthread_mutex_unlock(&g_log_mu);
}

/* ---- the worker ---------------------------------------------------------- */

static void ev_send(uint64_t tag, struct ev *e)
{
	e->pid = ot_self();
	ot_send(g_test, tag, e, sizeof(*e));
}

static ot_gs_ret w_init(void *arg, void **state)
{
	const struct wcfg *c = arg;
	*state = arg;
	if (c->quiet) {
		atomic_fetch_add(&g_quiet_inits, 1);
	} else {
		log_add(g_init_log, &g_ninit, c->id);
		struct ev e;
		memset(&e, 0, sizeof(e));
		e.id = c->id;
		e.ptr = (uintptr_t)arg;
		ev_send(EV_INIT, &e);
	}
	if (c->trap)
		ot_trap_exit(true, NULL);
	switch (c->init) {
	case WI_IGNORE:
		return ot_gs_ignore();
	case WI_STOP:
		return ot_gs_stop(ot_reason_error(55, "init says no"));
	default:
		return ot_gs_ok();
	}
}

static ot_gs_ret w_cast(const void *request, size_t size, void **state)
{
	(void)state;
	struct req q;
	if (size != sizeof(q))
		return ot_gs_noreply();
	memcpy(&q, request, sizeof(q));
	switch (q.op) {
	case OP_STOP:
		return ot_gs_stop(q.reason);
	case OP_CRASH:
		do_fault(q.fault);
		break;
	default:
		break;
	}
	return ot_gs_noreply();
}

static void w_terminate(const ot_reason *reason, void *state)
{
	const struct wcfg *c = state;
	if (!c || c->quiet)
		return;
	log_add(g_term_log, &g_nterm, c->id);
	struct ev e;
	memset(&e, 0, sizeof(e));
	e.id = c->id;
	if (reason)
		e.reason = *reason;
	ev_send(EV_TERM, &e);
	if (c->term_sleep_ms)
		ot_sleep(c->term_sleep_ms);
}

static const ot_gen_server_callbacks w_cb = {
    .init = w_init,
    .handle_cast = w_cast,
    .terminate = w_terminate,
};

/* ---- start functions ----------------------------------------------------- */

static int sf_server(void *arg, const void *extra, size_t size, ot_pid *out,
		     ot_reason *reason)
{
	(void)extra;
	(void)size;
	return ot_gen_server_start_link(&w_cb, arg, NULL, out, reason);
}

/* Reports the extra bytes it was given (EV_START), then starts a worker
 * with arg. */
static int sf_extra(void *arg, const void *extra, size_t size, ot_pid *out,
		    ot_reason *reason)
{
	const struct wcfg *c = arg;
	struct ev e;
	memset(&e, 0, sizeof(e));
	e.id = c->id;
	e.ptr = (uintptr_t)extra;
	e.size = size;
	if (extra)
		memcpy(e.bytes, extra,
		       size < sizeof(e.bytes) ? size : sizeof(e.bytes));
	ev_send(EV_START, &e);
	return ot_gen_server_start_link(&w_cb, arg, NULL, out, reason);
}

static int fail_start(ot_reason *reason)
{
	atomic_fetch_add(&g_attempts, 1);
	ot_sleep(2); /* so a supervisor retrying does not spin */
	*reason = ot_reason_error(77, "no luck");
	return OT_EINITSTOP;
}

static int sf_fail(void *arg, const void *extra, size_t size, ot_pid *out,
		   ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)size;
	(void)out;
	return fail_start(reason);
}

/* Fails without saying why: the supervisor fills the reason in. */
static int sf_fail_noreason(void *arg, const void *extra, size_t size,
			    ot_pid *out, ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)size;
	(void)out;
	(void)reason;
	atomic_fetch_add(&g_attempts, 1);
	return OT_ESYS;
}

static int sf_ignore(void *arg, const void *extra, size_t size, ot_pid *out,
		     ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)size;
	(void)out;
	(void)reason;
	return OT_EIGNORED;
}

/* Fails while g_fail is set, else starts a worker. */
static int sf_toggle(void *arg, const void *extra, size_t size, ot_pid *out,
		     ot_reason *reason)
{
	if (atomic_load(&g_fail))
		return fail_start(reason);
	return sf_server(arg, extra, size, out, reason);
}

/* ---- the test thread's side ---------------------------------------------- */

static void count_report(const char *report, void *arg)
{
	(void)report;
	(void)arg;
	atomic_fetch_add(&g_reports, 1);
}

static void sup_setup(void)
{
	g_test = ot_self();
	ck_assert(!ot_pid_is_none(g_test));
	/* a child that keeps failing makes a report per attempt */
	ck_assert_ot_ok(ot_set_logger(count_report, NULL));
	memset(g_w, 0, sizeof(g_w));
	for (int i = 0; i < NW; i++)
		g_w[i].id = i;
	memset(&g_quiet, 0, sizeof(g_quiet));
	g_quiet.id = -1;
	g_quiet.quiet = true;
	atomic_store(&g_quiet_inits, 0);
	atomic_store(&g_fail, 0);
	atomic_store(&g_attempts, 0);
	atomic_store(&g_reports, 0);
	pthread_mutex_lock(&g_log_mu);
	g_ninit = g_nterm = 0;
	pthread_mutex_unlock(&g_log_mu);
}

#define ANY_ID (-1000)

struct match_ev {
	uint64_t tag;
	int id;
};

static bool match_ev(const ot_msg *m, void *arg)
{
	const struct match_ev *a = arg;
	struct ev e;
	if (ot_msg_tag(m) != a->tag || ot_msg_size(m) != sizeof(e))
		return false;
	if (a->id == ANY_ID)
		return true;
	memcpy(&e, ot_msg_data(m), sizeof(e));
	return e.id == a->id;
}

/* Takes the event tag from worker id (ANY_ID: any), waiting up to ms
 * (scaled). */
static struct ev expect_ev(uint64_t tag, int id, int ms, const char *what)
{
	struct match_ev a = {tag, id};
	ot_msg *m = NULL;
	int rc = ot_receive_match(match_ev, &a, &m, scaled_ms(ms));
	ck_assert_msg(rc == 0, "%s: no event %d from worker %d: %s", what,
		      (int)tag, id, ot_err_name(rc));
	struct ev e;
	memcpy(&e, ot_msg_data(m), sizeof(e));
	ot_msg_free(m);
	return e;
}

static void expect_no_ev(uint64_t tag, int id, int ms, const char *what)
{
	struct match_ev a = {tag, id};
	ot_msg *m = NULL;
	int rc = ot_receive_match(match_ev, &a, &m, ms);
	if (rc == 0) {
		struct ev e;
		memcpy(&e, ot_msg_data(m), sizeof(e));
		ot_msg_free(m);
		ck_abort_msg("%s: unexpected event %d from worker %d", what,
			     (int)tag, e.id);
	}
}

static void expect_down_reason(ot_ref ref, ot_reason want, const char *what)
{
	ot_down_info d = ot_test_expect_down(ref, 3000, what);
	assert_reason(&d.reason, &want, what);
}

static bool match_exit(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_exit(m) != NULL;
}

/* The order log as text, "0,1,2". */
static void log_text(const int *log, int n, char *buf, size_t size)
{
	buf[0] = '\0';
	size_t len = 0;
	for (int i = 0; i < n && i < LOG_MAX && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%d",
					i ? "," : "", log[i]);
}

static void assert_log(bool term, const int *want, int nwant, const char *what)
{
	char got[256], exp[256];
	pthread_mutex_lock(&g_log_mu);
	const int *log = term ? g_term_log : g_init_log;
	int n = term ? g_nterm : g_ninit;
	log_text(log, n, got, sizeof(got));
	bool same = n == nwant;
	for (int i = 0; same && i < n; i++)
		same = log[i] == want[i];
	pthread_mutex_unlock(&g_log_mu);
	log_text(want, nwant, exp, sizeof(exp));
	ck_assert_msg(same, "%s: %s order %s, want %s", what,
		      term ? "terminate" : "init", got, exp);
}

/* Specs. */
static ot_child_spec server_child(const char *id, int w)
{
	ot_child_spec c;
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.server = &w_cb;
	c.arg = &g_w[w];
	return c;
}

static ot_child_spec fn_child(const char *id, ot_child_start_fn fn, int w)
{
	ot_child_spec c;
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.start = fn;
	c.arg = &g_w[w];
	return c;
}

static ot_sup_spec sup_spec(ot_sup_strategy strategy,
			    const ot_child_spec *children, size_t n)
{
	ot_sup_spec s;
	memset(&s, 0, sizeof(s));
	s.flags.strategy = strategy;
	s.children = children;
	s.nchildren = n;
	return s;
}

static ot_pid start_sup(const ot_sup_spec *s, const char *name,
			const char *what)
{
	ot_pid p = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(s, name, &p, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "%s: start_link: %s (%s)", what, ot_err_name(rc),
		      text);
	ck_assert_msg(ot_is_alive(p), "%s: the supervisor is not alive", what);
	return p;
}

static void stop_sup(ot_pid sup, const char *what)
{
	int rc = ot_supervisor_stop(sup, scaled_ms(10000));
	ck_assert_msg(rc == 0, "%s: ot_supervisor_stop: %s", what,
		      ot_err_name(rc));
}

/* Starts a child, expecting success; returns its pid. */
static ot_pid start_child_ok(ot_pid sup, const ot_child_spec *c,
			     const char *what)
{
	ot_pid p = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_child(sup, c, &p, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "%s: start_child \"%s\": %s (%s)", what, c->id,
		      ot_err_name(rc), text);
	ck_assert_msg(!ot_pid_is_none(p), "%s: no pid", what);
	return p;
}

static void assert_counts(ot_pid sup, size_t specs, size_t active, size_t sups,
			  size_t workers, const char *what)
{
	ot_child_counts c = counts(sup);
	ck_assert_msg(c.specs == specs && c.active == active &&
			  c.supervisors == sups && c.workers == workers,
		      "%s: counts specs %zu active %zu supervisors %zu workers "
		      "%zu, want %zu %zu %zu %zu",
		      what, c.specs, c.active, c.supervisors, c.workers, specs,
		      active, sups, workers);
}

/* The child id's entry in which_children (asserting it is there). */
static ot_child_info child_info(ot_pid sup, const char *id, const char *what)
{
	ot_child_info out[32];
	size_t total = 0;
	int n = ot_supervisor_which_children(sup, out, 32, &total);
	ck_assert_msg(n >= 0, "%s: which_children: %s", what, ot_err_name(n));
	for (int i = 0; i < n; i++)
		if (strcmp(out[i].id, id) == 0)
			return out[i];
	ck_abort_msg("%s: no child \"%s\" in which_children (%d)", what, id, n);
	return out[0];
}

static bool has_child(ot_pid sup, const char *id)
{
	ot_child_info out[32];
	int n = ot_supervisor_which_children(sup, out, 32, NULL);
	ck_assert_msg(n >= 0, "which_children: %s", ot_err_name(n));
	for (int i = 0; i < n; i++)
		if (strcmp(out[i].id, id) == 0)
			return true;
	return false;
}

/* Polls which_children until id has status st (up to ms, scaled). */
static ot_child_info wait_status(ot_pid sup, const char *id, ot_child_status st,
				 int ms, const char *what)
{
	int64_t deadline = now_ms() + scaled_ms(ms);
	for (;;) {
		ot_child_info i = child_info(sup, id, what);
		if (i.status == st)
			return i;
		ck_assert_msg(now_ms() < deadline,
			      "%s: \"%s\" has status %d, want %d", what, id,
			      (int)i.status, (int)st);
		ot_sleep(1);
	}
}

static void kill_pid(ot_pid p)
{
	ot_reason k = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(p, &k));
}

#define assert_rc(expr, want, what)                                            \
	do {                                                                   \
		int ck_r_ = (expr);                                            \
		ck_assert_msg(ck_r_ == (want), "%s: %s returned %s, want %s",  \
			      (what), #expr, ot_err_name(ck_r_),               \
			      ot_err_name(want));                              \
	} while (0)

static bool text_has(const ot_reason *r, const char *s)
{
	return strcasestr(r->text, s) != NULL;
}

/* ---- start and stop order ------------------------------------------------ */

/* Static children start in array order, which_children lists them in
 * that order with the pids their inits ran in, count_children counts
 * them, and ot_supervisor_stop stops them in reverse order (reason
 * shutdown) before it returns. */
START_TEST(test_start_order)
{
	static const char *const ids[] = {"c0", "c1", "c2", "c3"};
	ot_child_spec cs[4];
	for (int i = 0; i < 4; i++) {
		g_w[i].trap = true;
		cs[i] = server_child(ids[i], i);
	}
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 4);
	ot_pid sup = start_sup(&s, NULL, "start order");
	static const int order[] = {0, 1, 2, 3};
	assert_log(false, order, 4, "start order");
	ot_pid pids[4];
	for (int i = 0; i < 4; i++)
		pids[i] = expect_ev(EV_INIT, i, 3000, "init").pid;
	ot_child_info out[8];
	size_t total = 0;
	int n = ot_supervisor_which_children(sup, out, 8, &total);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(total, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_str_eq(out[i].id, ids[i]);
		assert_pid(out[i].pid, pids[i], "which_children");
		ck_assert_int_eq(out[i].status, OT_CHILD_RUNNING);
		ck_assert_int_eq(out[i].type, OT_WORKER);
		ck_assert(ot_is_alive(pids[i]));
	}
	assert_counts(sup, 4, 4, 0, 4, "start order");
	ot_ref refs[4];
	for (int i = 0; i < 4; i++)
		refs[i] = ot_test_monitor(pids[i]);
	ot_ref sref = ot_test_monitor(sup);
	stop_sup(sup, "start order");
	ck_assert_msg(!ot_is_alive(sup), "alive after ot_supervisor_stop");
	for (int i = 0; i < 4; i++)
		ck_assert_msg(!ot_is_alive(pids[i]),
			      "child %d alive after ot_supervisor_stop", i);
	static const int rev[] = {3, 2, 1, 0};
	assert_log(true, rev, 4, "stop order");
	for (int i = 0; i < 4; i++) {
		struct ev e = expect_ev(EV_TERM, i, 3000, "terminate");
		ot_reason sd = ot_reason_shutdown();
		assert_reason(&e.reason, &sd, "terminate reason");
		expect_down_reason(refs[i], sd, "child DOWN");
	}
	expect_down_reason(sref, ot_reason_normal(), "supervisor DOWN");
}
END_TEST

/*
 * Loop: the third of four children fails to start, by its init stopping
 * (0), its start function failing with a reason (1), or without one (2).
 * start_link returns OT_EINITSTOP with {shutdown,"failed_to_start_child,
 * Id,Reason"}; the two started children were stopped in reverse order
 * before it returned; the fourth never started; no process, no EXIT is
 * left.
 */
START_TEST(test_start_failure)
{
	static const char *const whats[] = {"init stops", "start fn fails",
					    "start fn fails without reason"};
	const char *what = whats[_i];
	ot_child_spec cs[4];
	for (int i = 0; i < 4; i++) {
		g_w[i].trap = true;
		cs[i] = server_child(i == 2 ? "bad2" : "ok", i);
	}
	snprintf(cs[0].id, sizeof(cs[0].id), "c0");
	snprintf(cs[1].id, sizeof(cs[1].id), "c1");
	snprintf(cs[3].id, sizeof(cs[3].id), "c3");
	if (_i == 0) {
		g_w[2].init = WI_STOP;
	} else {
		cs[2].server = NULL;
		cs[2].start = _i == 1 ? sf_fail : sf_fail_noreason;
	}
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 4);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(&s, NULL, NULL, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == OT_EINITSTOP, "%s: start_link %s, want %s (%s)",
		      what, ot_err_name(rc), ot_err_name(OT_EINITSTOP), text);
	ck_assert_msg(why.kind == OT_REASON_SHUTDOWN_DETAIL &&
			  text_has(&why, "failed_to_start_child") &&
			  text_has(&why, "bad2"),
		      "%s: reason %s, want {shutdown,\"failed_to_start_child,"
		      "bad2,...\"}",
		      what, text);
	if (_i == 0)
		ck_assert_msg(text_has(&why, "init says no"),
			      "%s: reason %s lacks the child's reason", what,
			      text);
	if (_i == 1)
		ck_assert_msg(text_has(&why, "no luck"),
			      "%s: reason %s lacks the child's reason", what,
			      text);
	/* the started ones were stopped, in reverse order, before return */
	static const int term[] = {1, 0};
	assert_log(true, term, 2, what);
	static const int init_with_bad[] = {0, 1, 2};
	assert_log(false, init_with_bad, _i == 0 ? 3 : 2, what);
	expect_no_ev(EV_INIT, 3, 20, what);
	ck_assert_msg(ot_test_wait_quiet(scaled_ms(2000)), "%s: processes left",
		      what);
	ot_msg *m = NULL;
	rc = ot_receive_match(match_exit, NULL, &m, 50);
	if (rc == 0) {
		ot_reason_format(&ot_msg_exit(m)->reason, text, sizeof(text));
		ot_msg_free(m);
		ck_abort_msg("%s: an EXIT (%s) was left in the caller's "
			     "mailbox",
			     what, text);
	}
}
END_TEST

/* A static child whose init ignores is kept, not running: which_children
 * says undefined, restart_child gets OT_EIGNORED again, delete_child
 * forgets it. */
START_TEST(test_ignore_static)
{
	g_w[1].init = WI_IGNORE;
	ot_child_spec cs[3] = {server_child("c0", 0), server_child("ign", 1),
			       server_child("c2", 2)};
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 3);
	ot_pid sup = start_sup(&s, NULL, "ignore");
	static const int order[] = {0, 1, 2};
	assert_log(false, order, 3, "ignore");
	ot_child_info i = child_info(sup, "ign", "ignored");
	ck_assert_int_eq(i.status, OT_CHILD_UNDEFINED);
	ck_assert(ot_pid_is_none(i.pid));
	ck_assert_int_eq(child_info(sup, "c2", "after ignored").status,
			 OT_CHILD_RUNNING);
	assert_counts(sup, 3, 2, 0, 3, "ignore");
	ot_pid p = OT_PID_NONE;
	assert_rc(ot_supervisor_restart_child(sup, "ign", &p, NULL),
		  OT_EIGNORED, "restart an ignoring child");
	(void)expect_ev(EV_INIT, 1, 3000, "restart ran init");
	ck_assert_int_eq(child_info(sup, "ign", "ignored again").status,
			 OT_CHILD_UNDEFINED);
	ot_child_spec got;
	ck_assert_ot_ok(ot_supervisor_get_childspec(sup, "ign", &got));
	ck_assert_ot_ok(ot_supervisor_delete_child(sup, "ign"));
	ck_assert(!has_child(sup, "ign"));
	assert_counts(sup, 2, 2, 0, 2, "after delete");
	stop_sup(sup, "ignore");
}
END_TEST

/* ---- names --------------------------------------------------------------- */

/* A supervisor registered as a name: whereis finds it, a second one with
 * that name gets OT_EALREADY and the holder's pid (and starts no child),
 * a name too long is refused, the name goes with the supervisor. */
START_TEST(test_named_supervisor)
{
	ot_child_spec cs[1] = {server_child("c0", 0)};
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 1);
	ot_pid sup = start_sup(&s, "top_sup", "named");
	(void)expect_ev(EV_INIT, 0, 3000, "named");
	ot_pid w = OT_PID_NONE;
	ck_assert_ot_ok(ot_whereis("top_sup", &w));
	assert_pid(w, sup, "whereis top_sup");
	ot_pid other = OT_PID_NONE;
	ot_reason why;
	assert_rc(ot_supervisor_start_link(&s, "top_sup", &other, &why),
		  OT_EALREADY, "second top_sup");
	assert_pid(other, sup, "OT_EALREADY's pid");
	expect_no_ev(EV_INIT, 0, 50, "second top_sup");
	char longname[OT_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_rc(ot_supervisor_start_link(&s, longname, NULL, &why),
		  OT_ENAMETOOLONG, "a name too long");
	expect_no_ev(EV_INIT, 0, 20, "a name too long");
	stop_sup(sup, "named");
	assert_rc(ot_whereis("top_sup", &w), OT_ENOTREG, "after stop");
}
END_TEST

static ot_child_spec g_inner_children[2];
static ot_sup_spec g_inner;

/* A server child and a supervisor child with .name are registered; a
 * restarted server is registered again under its new pid. */
START_TEST(test_named_children)
{
	g_inner_children[0] = server_child("i5", 5);
	g_inner = sup_spec(OT_ONE_FOR_ONE, g_inner_children, 1);
	ot_child_spec cs[2] = {server_child("c0", 0), server_child("sub", 0)};
	snprintf(cs[0].name, sizeof(cs[0].name), "w_named");
	cs[1].server = NULL;
	cs[1].sup = &g_inner;
	cs[1].type = OT_SUPERVISOR;
	snprintf(cs[1].name, sizeof(cs[1].name), "sub_named");
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 2);
	ot_pid sup = start_sup(&s, NULL, "named children");
	ot_pid c0 = expect_ev(EV_INIT, 0, 3000, "c0").pid;
	(void)expect_ev(EV_INIT, 5, 3000, "i5");
	ot_pid w = OT_PID_NONE;
	ck_assert_ot_ok(ot_whereis("w_named", &w));
	assert_pid(w, c0, "whereis w_named");
	assert_pid(child_info(sup, "c0", "c0").pid, c0, "which c0");
	ot_child_info sub = child_info(sup, "sub", "sub");
	ck_assert_int_eq(sub.type, OT_SUPERVISOR);
	ck_assert_ot_ok(ot_whereis("sub_named", &w));
	assert_pid(w, sub.pid, "whereis sub_named");
	/* restart: the name follows */
	kill_pid(c0);
	ot_pid c0b = expect_ev(EV_INIT, 0, 3000, "c0 restarted").pid;
	ck_assert(!ot_pid_equal(c0, c0b));
	ck_assert_ot_ok(ot_whereis("w_named", &w));
	assert_pid(w, c0b, "whereis w_named after restart");
	assert_pid(wait_status(sup, "c0", OT_CHILD_RUNNING, 3000, "c0").pid,
		   c0b, "which c0 after restart");
	stop_sup(sup, "named children");
	assert_rc(ot_whereis("w_named", &w), OT_ENOTREG, "w_named after stop");
	assert_rc(ot_whereis("sub_named", &w), OT_ENOTREG,
		  "sub_named after stop");
}
END_TEST

/* ---- nesting ------------------------------------------------------------- */

/* A supervisor child (.sup) in the middle: the tree starts depth first in
 * order and stops in exact reverse; counts tell supervisors from workers;
 * the inner supervisor lists its own children. */
START_TEST(test_nested_sup)
{
	for (int i = 0; i < 4; i++)
		g_w[i].trap = true;
	g_inner_children[0] = server_child("i2", 2);
	g_inner_children[1] = server_child("i3", 3);
	g_inner = sup_spec(OT_ONE_FOR_ONE, g_inner_children, 2);
	ot_child_spec cs[3] = {server_child("a", 0), server_child("inner", 0),
			       server_child("b", 1)};
	cs[1].server = NULL;
	cs[1].sup = &g_inner;
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 3);
	ot_pid sup = start_sup(&s, NULL, "nested");
	static const int order[] = {0, 2, 3, 1};
	assert_log(false, order, 4, "nested start");
	assert_counts(sup, 3, 3, 1, 2, "outer");
	ot_child_info in = child_info(sup, "inner", "inner");
	ck_assert_int_eq(in.type, OT_SUPERVISOR);
	ck_assert_int_eq(in.status, OT_CHILD_RUNNING);
	ck_assert(ot_is_alive(in.pid));
	ot_child_info out[4];
	size_t total = 0;
	ck_assert_int_eq(ot_supervisor_which_children(in.pid, out, 4, &total),
			 2);
	ck_assert_str_eq(out[0].id, "i2");
	ck_assert_str_eq(out[1].id, "i3");
	assert_counts(in.pid, 2, 2, 0, 2, "inner");
	ot_child_spec got;
	ck_assert_ot_ok(ot_supervisor_get_childspec(sup, "inner", &got));
	ck_assert_ptr_eq(got.sup, &g_inner);
	/* checked last, so that the rest runs either way */
	ot_child_type got_type = got.type;
	ot_ref iref = ot_test_monitor(in.pid);
	stop_sup(sup, "nested");
	static const int rev[] = {1, 3, 2, 0};
	assert_log(true, rev, 4, "nested stop");
	expect_down_reason(iref, ot_reason_shutdown(), "inner supervisor");
	ck_assert_msg(got_type == OT_SUPERVISOR,
		      "get_childspec of a .sup child: type %d, want "
		      "OT_SUPERVISOR (which_children and count_children say "
		      "supervisor)",
		      (int)got_type);
}
END_TEST

/* ---- start_child and friends --------------------------------------------- */

/* The life of one child through the API, with each documented error on
 * the way. */
START_TEST(test_child_api_errors)
{
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "api");
	assert_counts(sup, 0, 0, 0, 0, "empty");
	ot_child_spec a = server_child("a", 0);
	ot_pid pa = start_child_ok(sup, &a, "a");
	assert_pid(expect_ev(EV_INIT, 0, 3000, "a").pid, pa, "a's init");

	/* already started: OT_EALREADY with its pid */
	ot_pid got = OT_PID_NONE;
	assert_rc(ot_supervisor_start_child(sup, &a, &got, NULL), OT_EALREADY,
		  "start a twice");
	assert_pid(got, pa, "OT_EALREADY's pid");
	expect_no_ev(EV_INIT, 0, 20, "start a twice");
	/* running: cannot restart or delete */
	assert_rc(ot_supervisor_restart_child(sup, "a", &got, NULL),
		  OT_ERUNNING, "restart a running child");
	assert_rc(ot_supervisor_delete_child(sup, "a"), OT_ERUNNING,
		  "delete a running child");
	/* unknown ids */
	ot_child_spec sp;
	assert_rc(ot_supervisor_terminate_child(sup, "nope"), OT_ENOTFOUND,
		  "terminate unknown");
	assert_rc(ot_supervisor_restart_child(sup, "nope", &got, NULL),
		  OT_ENOTFOUND, "restart unknown");
	assert_rc(ot_supervisor_delete_child(sup, "nope"), OT_ENOTFOUND,
		  "delete unknown");
	assert_rc(ot_supervisor_get_childspec(sup, "nope", &sp), OT_ENOTFOUND,
		  "get_childspec unknown");

	/* terminate: stopped with shutdown, spec kept, not restarted */
	ot_ref ra = ot_test_monitor(pa);
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	ck_assert_msg(!ot_is_alive(pa), "a alive after terminate_child");
	expect_down_reason(ra, ot_reason_shutdown(), "terminate_child a");
	ot_child_info i = child_info(sup, "a", "terminated a");
	ck_assert_int_eq(i.status, OT_CHILD_UNDEFINED);
	ck_assert(ot_pid_is_none(i.pid));
	assert_counts(sup, 1, 0, 0, 1, "terminated a");
	expect_no_ev(EV_INIT, 0, 50, "terminated a is not restarted");
	/* terminating it again is fine (OTP: ok) */
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	/* present but not running */
	assert_rc(ot_supervisor_start_child(sup, &a, &got, NULL), OT_EPRESENT,
		  "start a terminated child");
	/* restart */
	ot_pid pa2 = OT_PID_NONE;
	ck_assert_ot_ok(ot_supervisor_restart_child(sup, "a", &pa2, NULL));
	ck_assert(!ot_pid_equal(pa2, pa));
	assert_pid(expect_ev(EV_INIT, 0, 3000, "a restarted").pid, pa2,
		   "restart_child's pid");
	assert_pid(child_info(sup, "a", "a").pid, pa2, "which a");
	/* delete after terminate */
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	ck_assert_ot_ok(ot_supervisor_delete_child(sup, "a"));
	assert_rc(ot_supervisor_get_childspec(sup, "a", &sp), OT_ENOTFOUND,
		  "get_childspec deleted");
	assert_rc(ot_supervisor_restart_child(sup, "a", &got, NULL),
		  OT_ENOTFOUND, "restart deleted");
	assert_rc(ot_supervisor_delete_child(sup, "a"), OT_ENOTFOUND,
		  "delete deleted");
	assert_counts(sup, 0, 0, 0, 0, "deleted");
	/* and the id is free again */
	ot_pid pa3 = start_child_ok(sup, &a, "a again");
	assert_pid(expect_ev(EV_INIT, 0, 3000, "a again").pid, pa3, "a again");
	stop_sup(sup, "api");
}
END_TEST

/* Children added by start_child come after the static ones, in the order
 * added, and stop in reverse. */
START_TEST(test_start_child_appended)
{
	for (int i = 0; i < 3; i++)
		g_w[i].trap = true;
	ot_child_spec cs[1] = {server_child("a", 0)};
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 1);
	ot_pid sup = start_sup(&s, NULL, "appended");
	ot_child_spec b = server_child("b", 1), c = server_child("c", 2);
	(void)start_child_ok(sup, &b, "b");
	(void)start_child_ok(sup, &c, "c");
	ot_child_info out[4];
	ck_assert_int_eq(ot_supervisor_which_children(sup, out, 4, NULL), 3);
	ck_assert_str_eq(out[0].id, "a");
	ck_assert_str_eq(out[1].id, "b");
	ck_assert_str_eq(out[2].id, "c");
	stop_sup(sup, "appended");
	static const int rev[] = {2, 1, 0};
	assert_log(true, rev, 3, "appended");
}
END_TEST

/* start_child whose start fails: OT_ECHILDSTART with the reason, and
 * nothing is added; without a reason from the start function the
 * supervisor makes one {error,Code,...}. */
START_TEST(test_start_child_fails)
{
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "start_child fails");
	ot_reason why;
	ot_pid p = OT_PID_NONE;

	ot_child_spec f1 = fn_child("f1", sf_fail, 1);
	memset(&why, 0, sizeof(why));
	assert_rc(ot_supervisor_start_child(sup, &f1, &p, &why), OT_ECHILDSTART,
		  "start fn fails");
	ot_reason want = ot_reason_error(77, "no luck");
	assert_reason(&why, &want, "start fn's reason");

	g_w[2].init = WI_STOP;
	ot_child_spec f2 = server_child("f2", 2);
	memset(&why, 0, sizeof(why));
	assert_rc(ot_supervisor_start_child(sup, &f2, &p, &why), OT_ECHILDSTART,
		  "init stops");
	want = ot_reason_error(55, "init says no");
	assert_reason(&why, &want, "init's stop reason");

	ot_child_spec f3 = fn_child("f3", sf_fail_noreason, 3);
	memset(&why, 0, sizeof(why));
	assert_rc(ot_supervisor_start_child(sup, &f3, &p, &why), OT_ECHILDSTART,
		  "start fn fails without a reason");
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(why.kind == OT_REASON_ERROR && why.code == OT_ESYS,
		      "made-up reason %s, want {error,%d,...}", text, OT_ESYS);

	ot_child_spec sp;
	assert_rc(ot_supervisor_get_childspec(sup, "f1", &sp), OT_ENOTFOUND,
		  "f1 added");
	assert_rc(ot_supervisor_get_childspec(sup, "f2", &sp), OT_ENOTFOUND,
		  "f2 added");
	assert_rc(ot_supervisor_get_childspec(sup, "f3", &sp), OT_ENOTFOUND,
		  "f3 added");
	assert_counts(sup, 0, 0, 0, 0, "after failures");

	/* the same on a dynamic supervisor */
	ot_sup_spec ds = sup_spec(OT_SUP_DYNAMIC, NULL, 0);
	ot_pid dsup = start_sup(&ds, NULL, "dynamic");
	memset(&why, 0, sizeof(why));
	assert_rc(ot_supervisor_start_child(dsup, &f1, &p, &why),
		  OT_ECHILDSTART, "dynamic: start fn fails");
	want = ot_reason_error(77, "no luck");
	assert_reason(&why, &want, "dynamic: start fn's reason");
	assert_counts(dsup, 0, 0, 0, 0, "dynamic after failure");
	stop_sup(dsup, "dynamic");
	ck_assert(ot_is_alive(sup));
	stop_sup(sup, "start_child fails");
}
END_TEST

/* ignore from start_child: kept without a pid for a permanent child of a
 * one_for_one supervisor, forgotten for a temporary one, not added to a
 * dynamic or simple_one_for_one supervisor. */
START_TEST(test_start_child_ignore)
{
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "ignore");
	ot_pid p = OT_PID_NONE;
	ot_child_spec i1 = fn_child("i1", sf_ignore, 1);
	assert_rc(ot_supervisor_start_child(sup, &i1, &p, NULL), OT_EIGNORED,
		  "permanent ignore");
	ot_child_info info = child_info(sup, "i1", "ignored i1");
	ck_assert_int_eq(info.status, OT_CHILD_UNDEFINED);
	ck_assert(ot_pid_is_none(info.pid));
	ot_child_spec sp;
	ck_assert_ot_ok(ot_supervisor_get_childspec(sup, "i1", &sp));
	ck_assert_ptr_eq(sp.start, sf_ignore);
	assert_rc(ot_supervisor_start_child(sup, &i1, &p, NULL), OT_EPRESENT,
		  "start the ignored i1 again");

	ot_child_spec i2 = fn_child("i2", sf_ignore, 2);
	i2.restart = OT_TEMPORARY;
	assert_rc(ot_supervisor_start_child(sup, &i2, &p, NULL), OT_EIGNORED,
		  "temporary ignore");
	assert_rc(ot_supervisor_get_childspec(sup, "i2", &sp), OT_ENOTFOUND,
		  "temporary ignored child kept");
	assert_counts(sup, 1, 0, 0, 1, "ignore");
	stop_sup(sup, "ignore");

	ot_sup_spec ds = sup_spec(OT_SUP_DYNAMIC, NULL, 0);
	ot_pid dsup = start_sup(&ds, NULL, "dynamic ignore");
	assert_rc(ot_supervisor_start_child(dsup, &i1, &p, NULL), OT_EIGNORED,
		  "dynamic ignore");
	assert_counts(dsup, 0, 0, 0, 0, "dynamic ignore");
	stop_sup(dsup, "dynamic ignore");

	ot_child_spec tmpl[1] = {fn_child("t", sf_ignore, 3)};
	ot_sup_spec ss = sup_spec(OT_SIMPLE_ONE_FOR_ONE, tmpl, 1);
	ot_pid ssup = start_sup(&ss, NULL, "simple ignore");
	assert_rc(ot_supervisor_start_child_extra(ssup, "x", 1, &p, NULL),
		  OT_EIGNORED, "simple ignore");
	assert_counts(ssup, 1, 0, 0, 0, "simple ignore"); /* the template */
	stop_sup(ssup, "simple ignore");
}
END_TEST

/* restart_child whose start fails: OT_ECHILDSTART with the reason, the
 * spec stays (undefined); once the start works, restart_child does. */
START_TEST(test_restart_child_fails)
{
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "restart fails");
	ot_child_spec t = fn_child("t1", sf_toggle, 1);
	ot_pid p = start_child_ok(sup, &t, "t1");
	(void)expect_ev(EV_INIT, 1, 3000, "t1");
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "t1"));
	ck_assert(!ot_is_alive(p));
	atomic_store(&g_fail, 1);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	assert_rc(ot_supervisor_restart_child(sup, "t1", &p, &why),
		  OT_ECHILDSTART, "restart fails");
	ot_reason want = ot_reason_error(77, "no luck");
	assert_reason(&why, &want, "restart's reason");
	ot_child_info i = child_info(sup, "t1", "after failed restart");
	ck_assert_int_eq(i.status, OT_CHILD_UNDEFINED);
	atomic_store(&g_fail, 0);
	ot_pid p2 = OT_PID_NONE;
	ck_assert_ot_ok(ot_supervisor_restart_child(sup, "t1", &p2, &why));
	assert_pid(expect_ev(EV_INIT, 1, 3000, "t1 restarted").pid, p2,
		   "restarted t1");
	stop_sup(sup, "restart fails");
}
END_TEST

/* A temporary child's spec is forgotten once terminate_child stopped it
 * (a transient one's is kept). */
START_TEST(test_temporary_forgotten)
{
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "temporary");
	ot_child_spec t = server_child("tmp", 1);
	t.restart = OT_TEMPORARY;
	ot_child_spec tr = server_child("tra", 2);
	tr.restart = OT_TRANSIENT;
	ot_pid pt = start_child_ok(sup, &t, "tmp");
	(void)start_child_ok(sup, &tr, "tra");
	ot_child_spec sp;
	ck_assert_ot_ok(ot_supervisor_get_childspec(sup, "tmp", &sp));
	ck_assert_int_eq(sp.restart, OT_TEMPORARY);
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "tmp"));
	ck_assert(!ot_is_alive(pt));
	assert_rc(ot_supervisor_get_childspec(sup, "tmp", &sp), OT_ENOTFOUND,
		  "temporary spec after terminate_child");
	ck_assert(!has_child(sup, "tmp"));
	ot_pid p;
	assert_rc(ot_supervisor_restart_child(sup, "tmp", &p, NULL),
		  OT_ENOTFOUND, "restart a forgotten temporary child");
	assert_rc(ot_supervisor_delete_child(sup, "tmp"), OT_ENOTFOUND,
		  "delete a forgotten temporary child");
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "tra"));
	ck_assert_ot_ok(ot_supervisor_get_childspec(sup, "tra", &sp));
	assert_counts(sup, 1, 0, 0, 1, "temporary");
	/* the temporary id can be used again */
	(void)start_child_ok(sup, &t, "tmp again");
	stop_sup(sup, "temporary");
}
END_TEST

/* which_children with a small buffer, and count_children, for a mix of
 * workers and a supervisor; bad arguments get OT_EINVAL. */
START_TEST(test_which_and_count)
{
	g_inner = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_child_spec cs[3] = {server_child("w0", 0), server_child("s1", 0),
			       server_child("w2", 2)};
	cs[1].server = NULL;
	cs[1].sup = &g_inner;
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 3);
	ot_pid sup = start_sup(&s, NULL, "which");
	ot_child_info out[3];
	size_t total = 0;
	ck_assert_int_eq(ot_supervisor_which_children(sup, out, 1, &total), 1);
	ck_assert_uint_eq(total, 3);
	ck_assert_str_eq(out[0].id, "w0");
	total = 0;
	ck_assert_int_eq(ot_supervisor_which_children(sup, NULL, 0, &total), 0);
	ck_assert_uint_eq(total, 3);
	ck_assert_int_eq(ot_supervisor_which_children(sup, out, 3, NULL), 3);
	ck_assert_int_eq(out[1].type, OT_SUPERVISOR);
	ck_assert_int_eq(out[2].type, OT_WORKER);
	assert_counts(sup, 3, 3, 1, 2, "mixed");
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "w2"));
	assert_counts(sup, 3, 2, 1, 2, "w2 terminated");
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "s1"));
	assert_counts(sup, 3, 1, 1, 2, "s1 terminated");

	ot_child_spec sp;
	assert_rc(ot_supervisor_which_children(sup, NULL, 3, &total), OT_EINVAL,
		  "which_children(NULL, 3)");
	assert_rc(ot_supervisor_count_children(sup, NULL), OT_EINVAL,
		  "count_children(NULL)");
	assert_rc(ot_supervisor_get_childspec(sup, "w0", NULL), OT_EINVAL,
		  "get_childspec(NULL)");
	assert_rc(ot_supervisor_get_childspec_pid(sup, out[0].pid, NULL),
		  OT_EINVAL, "get_childspec_pid(NULL)");
	assert_rc(ot_supervisor_start_child(sup, NULL, NULL, NULL), OT_EINVAL,
		  "start_child(NULL)");
	int rc = ot_supervisor_get_childspec(sup, NULL, &sp);
	ck_assert_msg(rc == OT_EINVAL || rc == OT_ENOTFOUND,
		      "get_childspec(id NULL): %s", ot_err_name(rc));
	rc = ot_supervisor_terminate_child(sup, NULL);
	ck_assert_msg(rc == OT_EINVAL || rc == OT_ENOTFOUND,
		      "terminate_child(id NULL): %s", ot_err_name(rc));
	ck_assert(ot_is_alive(sup));
	assert_counts(sup, 3, 1, 1, 2, "after bad input");
	stop_sup(sup, "which");
}
END_TEST

/* get_childspec gives back what was given; get_childspec_pid finds a
 * child by pid, and no other. */
START_TEST(test_get_childspec)
{
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "get_childspec");
	ot_child_spec a = server_child("gs1", 1);
	a.restart = OT_TRANSIENT;
	a.shutdown_ms = 1234;
	snprintf(a.name, sizeof(a.name), "gs1_name");
	ot_pid pa = start_child_ok(sup, &a, "gs1");
	ot_child_spec b = fn_child("st2", sf_server, 2);
	b.restart = OT_TEMPORARY;
	b.shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL;
	ot_pid pb = start_child_ok(sup, &b, "st2");

	ot_child_spec got;
	memset(&got, 0xAB, sizeof(got));
	ck_assert_ot_ok(ot_supervisor_get_childspec(sup, "gs1", &got));
	ck_assert_str_eq(got.id, "gs1");
	ck_assert_ptr_eq(got.server, &w_cb);
	ck_assert_ptr_null(got.start);
	ck_assert_ptr_null(got.sup);
	ck_assert_ptr_eq(got.arg, &g_w[1]);
	ck_assert_str_eq(got.name, "gs1_name");
	ck_assert_int_eq(got.restart, OT_TRANSIENT);
	ck_assert_int_eq(got.shutdown_ms, 1234);
	ck_assert_int_eq(got.type, OT_WORKER);
	ck_assert(!got.significant);

	memset(&got, 0xAB, sizeof(got));
	ck_assert_ot_ok(ot_supervisor_get_childspec_pid(sup, pb, &got));
	ck_assert_str_eq(got.id, "st2");
	ck_assert_ptr_eq(got.start, sf_server);
	ck_assert_ptr_null(got.server);
	ck_assert_ptr_eq(got.arg, &g_w[2]);
	ck_assert_int_eq(got.restart, OT_TEMPORARY);
	ck_assert_int_eq(got.shutdown_ms, OT_SHUTDOWN_BRUTAL_KILL);

	ck_assert_ot_ok(ot_supervisor_get_childspec_pid(sup, pa, &got));
	ck_assert_str_eq(got.id, "gs1");
	assert_rc(ot_supervisor_get_childspec_pid(sup, g_test, &got),
		  OT_ENOTFOUND, "a pid that is not a child");
	assert_rc(ot_supervisor_get_childspec_pid(sup, sup, &got), OT_ENOTFOUND,
		  "the supervisor's own pid");
	stop_sup(sup, "get_childspec");
}
END_TEST

/* Every call to a supervisor that has ended returns OT_ENOPROC. */
START_TEST(test_dead_supervisor)
{
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "dead");
	ot_child_spec a = server_child("a", 0);
	ot_pid pa = start_child_ok(sup, &a, "a");
	stop_sup(sup, "dead");
	ck_assert(!ot_is_alive(sup));
	ot_pid p;
	ot_reason why;
	ot_child_info out[2];
	ot_child_counts c;
	ot_child_spec sp;
	assert_rc(ot_supervisor_start_child(sup, &a, &p, &why), OT_ENOPROC,
		  "dead");
	assert_rc(ot_supervisor_start_child_extra(sup, "x", 1, &p, &why),
		  OT_ENOPROC, "dead");
	assert_rc(ot_supervisor_terminate_child(sup, "a"), OT_ENOPROC, "dead");
	assert_rc(ot_supervisor_terminate_child_pid(sup, pa), OT_ENOPROC,
		  "dead");
	assert_rc(ot_supervisor_restart_child(sup, "a", &p, &why), OT_ENOPROC,
		  "dead");
	assert_rc(ot_supervisor_delete_child(sup, "a"), OT_ENOPROC, "dead");
	assert_rc(ot_supervisor_which_children(sup, out, 2, NULL), OT_ENOPROC,
		  "dead");
	assert_rc(ot_supervisor_count_children(sup, &c), OT_ENOPROC, "dead");
	assert_rc(ot_supervisor_get_childspec(sup, "a", &sp), OT_ENOPROC,
		  "dead");
	assert_rc(ot_supervisor_get_childspec_pid(sup, pa, &sp), OT_ENOPROC,
		  "dead");
	assert_rc(ot_supervisor_stop(sup, scaled_ms(1000)), OT_ENOPROC, "dead");
}
END_TEST

/* OT_ESIMPLE: what a kind of supervisor does not do. */
START_TEST(test_esimple)
{
	ot_pid p;
	ot_reason why;
	ot_child_spec sp;
	ot_child_spec a = server_child("a", 0);

	ot_child_spec tmpl[1] = {server_child("t", 1)};
	ot_sup_spec ss = sup_spec(OT_SIMPLE_ONE_FOR_ONE, tmpl, 1);
	ot_pid simple = start_sup(&ss, NULL, "simple");
	assert_rc(ot_supervisor_start_child(simple, &a, &p, &why), OT_ESIMPLE,
		  "simple");
	assert_rc(ot_supervisor_terminate_child(simple, "t"), OT_ESIMPLE,
		  "simple");
	assert_rc(ot_supervisor_restart_child(simple, "t", &p, &why),
		  OT_ESIMPLE, "simple");
	assert_rc(ot_supervisor_delete_child(simple, "t"), OT_ESIMPLE,
		  "simple");
	assert_rc(ot_supervisor_get_childspec(simple, "t", &sp), OT_ESIMPLE,
		  "simple");
	expect_no_ev(EV_INIT, ANY_ID, 20, "simple");
	stop_sup(simple, "simple");

	ot_sup_spec ds = sup_spec(OT_SUP_DYNAMIC, NULL, 0);
	ot_pid dyn = start_sup(&ds, NULL, "dynamic");
	assert_rc(ot_supervisor_start_child_extra(dyn, "x", 1, &p, &why),
		  OT_ESIMPLE, "dynamic");
	assert_rc(ot_supervisor_terminate_child(dyn, "a"), OT_ESIMPLE,
		  "dynamic");
	assert_rc(ot_supervisor_restart_child(dyn, "a", &p, &why), OT_ESIMPLE,
		  "dynamic");
	assert_rc(ot_supervisor_delete_child(dyn, "a"), OT_ESIMPLE, "dynamic");
	assert_rc(ot_supervisor_get_childspec(dyn, "a", &sp), OT_ESIMPLE,
		  "dynamic");
	stop_sup(dyn, "dynamic");

	ot_sup_spec os = sup_spec(OT_ONE_FOR_ONE, NULL, 0);
	ot_pid ofo = start_sup(&os, NULL, "one_for_one");
	assert_rc(ot_supervisor_start_child_extra(ofo, "x", 1, &p, &why),
		  OT_ESIMPLE, "one_for_one");
	assert_counts(ofo, 0, 0, 0, 0, "one_for_one");
	stop_sup(ofo, "one_for_one");
	expect_no_ev(EV_INIT, ANY_ID, 20, "esimple");
}
END_TEST

/* ---- simple_one_for_one -------------------------------------------------- */

/* A template with a start function: each start gets its own copy of the
 * extra bytes (not the caller's buffer), and a restart gets the same
 * bytes although the caller changed its buffer since. Children have no
 * id, are found by pid, and terminate_child_pid forgets them. */
START_TEST(test_simple_extra_start_fn)
{
	ot_child_spec tmpl[1] = {fn_child("tmpl", sf_extra, 7)};
	ot_sup_spec s = sup_spec(OT_SIMPLE_ONE_FOR_ONE, tmpl, 1);
	ot_pid sup = start_sup(&s, NULL, "simple extra");
	char buf[16] = "hello-1";
	ot_pid c1 = OT_PID_NONE;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, buf, 8, &c1, NULL));
	struct ev e = expect_ev(EV_START, 7, 3000, "first start");
	ck_assert_uint_eq(e.size, 8);
	ck_assert_mem_eq(e.bytes, "hello-1", 8);
	ck_assert_msg(e.ptr != 0 && e.ptr != (uintptr_t)buf,
		      "the start fn got the caller's buffer, not a copy");
	assert_pid(expect_ev(EV_INIT, 7, 3000, "c1 init").pid, c1, "c1");
	memcpy(buf, "CHANGED", 8);
	/* a second child without extra */
	ot_pid c2 = OT_PID_NONE;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &c2, NULL));
	e = expect_ev(EV_START, 7, 3000, "second start");
	ck_assert_uint_eq(e.size, 0);
	ck_assert_msg(e.ptr == 0, "extra is not NULL without bytes");
	(void)expect_ev(EV_INIT, 7, 3000, "c2 init");
	/* restart c1: the same bytes */
	kill_pid(c1);
	e = expect_ev(EV_START, 7, 3000, "restart");
	ck_assert_uint_eq(e.size, 8);
	ck_assert_msg(memcmp(e.bytes, "hello-1", 8) == 0,
		      "a restart got \"%.8s\", want \"hello-1\"",
		      (const char *)e.bytes);
	ot_pid c1b = expect_ev(EV_INIT, 7, 3000, "c1 restarted").pid;
	ck_assert(!ot_pid_equal(c1b, c1));
	/* which, count, get_childspec_pid (the template) */
	ot_child_info out[4];
	size_t total = 0;
	ck_assert_int_eq(ot_supervisor_which_children(sup, out, 4, &total), 2);
	ck_assert_uint_eq(total, 2);
	char id0[OT_NAME_MAX + 1]; /* checked last */
	snprintf(id0, sizeof(id0), "%s", out[0].id);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(out[i].status, OT_CHILD_RUNNING);
		ck_assert(ot_pid_equal(out[i].pid, c1b) ||
			  ot_pid_equal(out[i].pid, c2));
	}
	assert_counts(sup, 1, 2, 0, 2, "simple"); /* 1 spec: OTP */
	ot_child_spec got;
	ck_assert_ot_ok(ot_supervisor_get_childspec_pid(sup, c2, &got));
	ck_assert_ptr_eq(got.start, sf_extra);
	ck_assert_ptr_eq(got.arg, &g_w[7]);
	/* terminate by pid */
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, c2));
	ck_assert(!ot_is_alive(c2));
	assert_counts(sup, 1, 1, 0, 1, "after terminate_child_pid");
	/* supervisor_SUITE:child_adm_simple: a pid that has ended is ok */
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, c2));
	assert_rc(ot_supervisor_get_childspec_pid(sup, c2, &got), OT_ENOTFOUND,
		  "get_childspec_pid of a forgotten child");
	expect_no_ev(EV_START, 7, 50, "c2 restarted after terminate");
	stop_sup(sup, "simple extra");
	ck_assert_msg(id0[0] == '\0',
		      "which_children: a simple_one_for_one child has id "
		      "\"%s\", want \"\"",
		      id0);
}
END_TEST

/* A gen_server template: started with extra bytes, init gets a pointer to
 * the supervisor's copy of them (here a struct wcfg), the same at a
 * restart; without extra bytes it gets the template's arg. */
START_TEST(test_simple_extra_server)
{
	ot_child_spec tmpl[1] = {server_child("tmpl", 6)};
	ot_sup_spec s = sup_spec(OT_SIMPLE_ONE_FOR_ONE, tmpl, 1);
	ot_pid sup = start_sup(&s, NULL, "simple server");
	struct wcfg mine;
	memset(&mine, 0, sizeof(mine));
	mine.id = 100;
	ot_pid c1 = OT_PID_NONE;
	ck_assert_ot_ok(ot_supervisor_start_child_extra(
	    sup, &mine, sizeof(mine), &c1, NULL));
	struct ev e = expect_ev(EV_INIT, 100, 3000, "init with extra");
	assert_pid(e.pid, c1, "c1");
	ck_assert_msg(e.ptr != (uintptr_t)&mine && e.ptr != (uintptr_t)&g_w[6],
		      "init's arg is not the supervisor's copy");
	mine.id = 999;
	ot_pid c2 = OT_PID_NONE;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &c2, NULL));
	e = expect_ev(EV_INIT, 6, 3000, "init without extra");
	assert_pid(e.pid, c2, "c2");
	ck_assert_msg(e.ptr == (uintptr_t)&g_w[6],
		      "without extra, init's arg is not the template's");
	kill_pid(c1);
	e = expect_ev(EV_INIT, ANY_ID, 3000, "c1 restarted");
	ck_assert_msg(e.id == 100, "the restart's init got id %d, want 100",
		      e.id);
	ck_assert(!ot_pid_equal(e.pid, c1));
	stop_sup(sup, "simple server");
}
END_TEST

/* max_children limits a simple_one_for_one supervisor too; a slot freed
 * by terminate_child_pid can be used again. */
START_TEST(test_simple_max_children)
{
	ot_child_spec tmpl[1] = {server_child("tmpl", 0)};
	tmpl[0].arg = &g_quiet;
	ot_sup_spec s = sup_spec(OT_SIMPLE_ONE_FOR_ONE, tmpl, 1);
	s.flags.max_children = 2;
	ot_pid sup = start_sup(&s, NULL, "simple max");
	ot_pid c[3];
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &c[0], NULL));
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &c[1], NULL));
	assert_rc(ot_supervisor_start_child_extra(sup, NULL, 0, &c[2], NULL),
		  OT_EMAXCHILDREN, "third child");
	ck_assert_int_eq(atomic_load(&g_quiet_inits), 2);
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, c[0]));
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &c[2], NULL));
	/* OTP: a simple_one_for_one supervisor has one spec, its template */
	assert_counts(sup, 1, 2, 0, 2, "simple max");
	stop_sup(sup, "simple max");
}
END_TEST

/* ---- OT_SUP_DYNAMIC ------------------------------------------------------ */

static int cmp_pid(const void *a, const void *b)
{
	uint64_t x = ((const ot_pid *)a)->id, y = ((const ot_pid *)b)->id;
	return x < y ? -1 : x > y;
}

/* Ten thousand children (scaled) on a dynamic supervisor: counted, all
 * listed, and all stopped by ot_supervisor_stop. */
START_TEST(test_dynamic_many)
{
	size_t n = ot_test_scaled(10000);
	ot_sup_spec s = sup_spec(OT_SUP_DYNAMIC, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "many");
	ot_child_spec c = server_child("", 0);
	c.arg = &g_quiet;
	ot_pid *pids = calloc(n, sizeof(*pids));
	ot_child_info *out = calloc(n + 1, sizeof(*out));
	ot_pid *listed = calloc(n + 1, sizeof(*listed));
	ck_assert(pids && out && listed);
	for (size_t i = 0; i < n; i++) {
		ot_reason why;
		int rc = ot_supervisor_start_child(sup, &c, &pids[i], &why);
		ck_assert_msg(rc == 0, "child %zu: %s", i, ot_err_name(rc));
	}
	ck_assert_int_eq(atomic_load(&g_quiet_inits), (int)n);
	assert_counts(sup, n, n, 0, n, "many");
	size_t total = 0;
	int got = ot_supervisor_which_children(sup, out, n + 1, &total);
	ck_assert_msg(got == (int)n && total == n,
		      "which_children: %d of %zu, want %zu", got, total, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(out[i].status, OT_CHILD_RUNNING);
		listed[i] = out[i].pid;
	}
	qsort(pids, n, sizeof(*pids), cmp_pid);
	qsort(listed, n, sizeof(*listed), cmp_pid);
	for (size_t i = 0; i < n; i++)
		assert_pid(listed[i], pids[i], "which_children's pids");
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_ge(st.processes, n + 1);
	int64_t t0 = now_ms();
	stop_sup(sup, "many");
	int64_t dt = now_ms() - t0;
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(!ot_is_alive(pids[i]),
			      "child %zu alive after stop", i);
	ck_assert(ot_test_wait_quiet(scaled_ms(5000)));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 0);
	/* "stopped all at once": not one shutdown wait after another */
	ck_assert_msg(dt < scaled_ms(20000),
		      "stopping %zu children took %lld ms", n, (long long)dt);
	free(pids);
	free(out);
	free(listed);
}
END_TEST

/* max_children: the limit holds, a freed slot is reused, a failed or
 * ignored start does not take one. */
START_TEST(test_dynamic_max_children)
{
	ot_sup_spec s = sup_spec(OT_SUP_DYNAMIC, NULL, 0);
	s.flags.max_children = 3;
	ot_pid sup = start_sup(&s, NULL, "dynamic max");
	ot_child_spec c = server_child("", 0);
	c.arg = &g_quiet;
	ot_pid p[4];
	for (int i = 0; i < 3; i++)
		p[i] = start_child_ok(sup, &c, "under the limit");
	assert_rc(ot_supervisor_start_child(sup, &c, &p[3], NULL),
		  OT_EMAXCHILDREN, "fourth child");
	ck_assert_int_eq(atomic_load(&g_quiet_inits), 3);
	assert_counts(sup, 3, 3, 0, 3, "at the limit");
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, p[1]));
	ck_assert(!ot_is_alive(p[1]));
	assert_counts(sup, 2, 2, 0, 2, "one freed");
	ot_child_spec ign = fn_child("", sf_ignore, 0);
	assert_rc(ot_supervisor_start_child(sup, &ign, &p[3], NULL),
		  OT_EIGNORED, "ignore");
	ot_child_spec fail = fn_child("", sf_fail, 0);
	assert_rc(ot_supervisor_start_child(sup, &fail, &p[3], NULL),
		  OT_ECHILDSTART, "fail");
	p[1] = start_child_ok(sup, &c, "in the freed slot");
	assert_rc(ot_supervisor_start_child(sup, &c, &p[3], NULL),
		  OT_EMAXCHILDREN, "fourth child again");
	stop_sup(sup, "dynamic max");
}
END_TEST

/* Dynamic children: ids are not used (two with one id are fine), each
 * keeps its own spec (get_childspec_pid), terminate_child_pid forgets
 * one; a pid that is no child is OT_ENOTFOUND. */
START_TEST(test_dynamic_ops)
{
	ot_sup_spec s = sup_spec(OT_SUP_DYNAMIC, NULL, 0);
	ot_pid sup = start_sup(&s, NULL, "dynamic");
	ot_child_spec a = server_child("same", 1);
	ot_child_spec b = fn_child("same", sf_server, 2);
	b.restart = OT_TRANSIENT;
	ot_pid pa = start_child_ok(sup, &a, "a");
	ot_pid pb = start_child_ok(sup, &b, "b with the same id");
	assert_pid(expect_ev(EV_INIT, 1, 3000, "a").pid, pa, "a");
	assert_pid(expect_ev(EV_INIT, 2, 3000, "b").pid, pb, "b");
	ot_child_spec got;
	ck_assert_ot_ok(ot_supervisor_get_childspec_pid(sup, pb, &got));
	ck_assert_ptr_eq(got.start, sf_server);
	ck_assert_ptr_eq(got.arg, &g_w[2]);
	ck_assert_int_eq(got.restart, OT_TRANSIENT);
	ck_assert_ot_ok(ot_supervisor_get_childspec_pid(sup, pa, &got));
	ck_assert_ptr_eq(got.server, &w_cb);
	assert_counts(sup, 2, 2, 0, 2, "dynamic");
	ot_ref ra = ot_test_monitor(pa);
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, pa));
	expect_down_reason(ra, ot_reason_shutdown(), "terminate_child_pid");
	assert_counts(sup, 1, 1, 0, 1, "after terminate_child_pid");
	expect_no_ev(EV_INIT, 1, 50, "a restarted after terminate");
	/* a gone child: nothing left to stop, ok (as OTP's simple) */
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, pa));
	assert_rc(ot_supervisor_terminate_child_pid(sup, g_test), OT_ENOTFOUND,
		  "terminate a pid that is no child");
	/* a permanent dynamic child is restarted */
	kill_pid(pb);
	ot_pid pb2 = expect_ev(EV_INIT, 2, 3000, "b restarted").pid;
	ck_assert(!ot_pid_equal(pb, pb2));
	stop_sup(sup, "dynamic");
}
END_TEST

/* ---- a child waiting for its restart ------------------------------------- */

#define PROMPT_MS 1000

#define assert_prompt(t0, what)                                                \
	do {                                                                   \
		int64_t dt_ = now_ms() - (t0);                                 \
		ck_assert_msg(dt_ < scaled_ms(PROMPT_MS), "%s took %lld ms",   \
			      (what), (long long)dt_);                         \
	} while (0)

/* The calls a supervisor must answer while child "stuck" waits for its
 * restart: which_children says restarting, count_children does not count
 * it as active, start_child of another child works, of the same id does
 * not, restart_child and delete_child are OT_ERESTARTING, terminate_child
 * ends the wait (undefined, spec kept) and restart_child then starts it. */
static void check_restarting(ot_pid sup, const char *what)
{
	int64_t t0 = now_ms();
	ot_child_info i = child_info(sup, "stuck", what);
	assert_prompt(t0, "which_children");
	ck_assert_int_eq(i.status, OT_CHILD_RESTARTING);
	ck_assert_msg(ot_pid_is_none(i.pid), "%s: a restarting child has a pid",
		      what);
	t0 = now_ms();
	ot_child_counts c = counts(sup);
	assert_prompt(t0, "count_children");
	ck_assert_msg(c.specs == 2 && c.active == 1,
		      "%s: specs %zu active %zu, want 2 1", what, c.specs,
		      c.active);
	ot_child_spec n = server_child("new", 3);
	t0 = now_ms();
	ot_pid pn = start_child_ok(sup, &n, what);
	assert_prompt(t0, "start_child");
	assert_pid(expect_ev(EV_INIT, 3, 3000, "new").pid, pn, "new");
	ot_child_spec again = fn_child("stuck", sf_toggle, 1);
	ot_pid p = OT_PID_NONE;
	t0 = now_ms();
	int rc = ot_supervisor_start_child(sup, &again, &p, NULL);
	assert_prompt(t0, "start_child of the restarting id");
	ck_assert_msg(
	    rc == OT_EPRESENT || rc == OT_EALREADY || rc == OT_ERESTARTING,
	    "%s: start_child of a restarting id: %s", what, ot_err_name(rc));
	t0 = now_ms();
	assert_rc(ot_supervisor_restart_child(sup, "stuck", &p, NULL),
		  OT_ERESTARTING, what);
	assert_prompt(t0, "restart_child");
	t0 = now_ms();
	assert_rc(ot_supervisor_delete_child(sup, "stuck"), OT_ERESTARTING,
		  what);
	assert_prompt(t0, "delete_child");
	ck_assert_int_eq(child_info(sup, "stuck", what).status,
			 OT_CHILD_RESTARTING);
	t0 = now_ms();
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "stuck"));
	assert_prompt(t0, "terminate_child");
	i = child_info(sup, "stuck", what);
	ck_assert_msg(i.status == OT_CHILD_UNDEFINED,
		      "%s: status %d after terminate_child, want undefined",
		      what, (int)i.status);
	int attempts = atomic_load(&g_attempts);
	ot_sleep(100); /* no attempt may come now: time must pass to see it */
	ck_assert_msg(atomic_load(&g_attempts) == attempts,
		      "%s: %d start attempts after terminate_child", what,
		      atomic_load(&g_attempts) - attempts);
	expect_no_ev(EV_INIT, 1, 1, what);
	atomic_store(&g_fail, 0);
	ot_pid ps = OT_PID_NONE;
	ck_assert_ot_ok(ot_supervisor_restart_child(sup, "stuck", &ps, NULL));
	assert_pid(expect_ev(EV_INIT, 1, 3000, "stuck restarted").pid, ps,
		   "restart_child after the wait");
	ck_assert_int_eq(child_info(sup, "stuck", what).status,
			 OT_CHILD_RUNNING);
}

/* Loop: the child waits for its restart because of a long backoff (0), or
 * because its start keeps failing under a large intensity (1). */
START_TEST(test_restarting)
{
	const char *what = _i == 0 ? "backoff" : "failing start";
	ot_child_spec cs[2] = {fn_child("stuck", sf_toggle, 1),
			       server_child("other", 2)};
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 2);
	if (_i == 0) {
		s.flags.backoff.min_ms = 60000;
		s.flags.backoff.max_ms = 60000;
	} else {
		s.flags.intensity = OT_SUP_MAX_INTENSITY;
		s.flags.period_ms = 600000;
	}
	ot_pid sup = start_sup(&s, NULL, what);
	ot_pid stuck = expect_ev(EV_INIT, 1, 3000, "stuck").pid;
	(void)expect_ev(EV_INIT, 2, 3000, "other");
	if (_i == 1)
		atomic_store(&g_fail, 1);
	kill_pid(stuck);
	(void)wait_status(sup, "stuck", OT_CHILD_RESTARTING, 3000, what);
	if (_i == 1) {
		int64_t deadline = now_ms() + scaled_ms(3000);
		while (atomic_load(&g_attempts) < 3 && now_ms() < deadline)
			ot_sleep(1);
		ck_assert_msg(atomic_load(&g_attempts) >= 3, "%s: %d attempts",
			      what, atomic_load(&g_attempts));
	} else {
		ck_assert_int_eq(atomic_load(&g_attempts), 0);
		expect_no_ev(EV_INIT, 1, 50, "restarted before the backoff");
	}
	check_restarting(sup, what);
	ck_assert(ot_is_alive(sup));
	stop_sup(sup, what);
}
END_TEST

/* ot_supervisor_stop while a child waits for a backed-off restart: the
 * pending restart is dropped (no timer left, no late start). */
START_TEST(test_stop_while_restarting)
{
	ot_child_spec cs[1] = {server_child("stuck", 1)};
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 1);
	s.flags.backoff.min_ms = 60000;
	ot_pid sup = start_sup(&s, NULL, "stop while restarting");
	ot_pid stuck = expect_ev(EV_INIT, 1, 3000, "stuck").pid;
	kill_pid(stuck);
	(void)wait_status(sup, "stuck", OT_CHILD_RESTARTING, 3000,
			  "stop while restarting");
	int64_t t0 = now_ms();
	stop_sup(sup, "stop while restarting");
	assert_prompt(t0, "stop");
	ck_assert(!ot_is_alive(sup));
	expect_no_ev(EV_INIT, 1, 20, "stop while restarting");
}
END_TEST

/* ---- stop ---------------------------------------------------------------- */

/* ot_supervisor_stop: the supervisor ends with reason normal after its
 * children (reverse order, reason shutdown); a second stop is
 * OT_ENOPROC. */
START_TEST(test_stop)
{
	g_w[0].trap = g_w[1].trap = true;
	ot_child_spec cs[2] = {server_child("c0", 0), server_child("c1", 1)};
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 2);
	ot_pid sup = start_sup(&s, "stop_me", "stop");
	ot_ref sref = ot_test_monitor(sup);
	ck_assert_ot_ok(ot_supervisor_stop(sup, scaled_ms(5000)));
	ck_assert(!ot_is_alive(sup));
	static const int rev[] = {1, 0};
	assert_log(true, rev, 2, "stop");
	expect_down_reason(sref, ot_reason_normal(), "supervisor DOWN");
	ot_pid w;
	assert_rc(ot_whereis("stop_me", &w), OT_ENOTREG, "name after stop");
	assert_rc(ot_supervisor_stop(sup, scaled_ms(1000)), OT_ENOPROC,
		  "second stop");
}
END_TEST

/* The shutdown forms at ot_supervisor_stop, in reverse order: infinity
 * waits for a slow terminate; brutal_kill kills at once (no terminate);
 * a timeout kills a child whose terminate outlasts it. */
START_TEST(test_stop_shutdown_forms)
{
	for (int i = 0; i < 3; i++)
		g_w[i].trap = true;
	g_w[0].term_sleep_ms = 60000; /* "slow": killed after 100 ms */
	g_w[2].term_sleep_ms = 150;   /* "inf": waited for */
	ot_child_spec cs[3] = {server_child("slow", 0),
			       server_child("brutal", 1),
			       server_child("inf", 2)};
	cs[0].shutdown_ms = 100;
	cs[1].shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL;
	cs[2].shutdown_ms = OT_INFINITY;
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 3);
	ot_pid sup = start_sup(&s, NULL, "shutdown forms");
	ot_ref r[3];
	for (int i = 0; i < 3; i++)
		r[i] = ot_test_monitor(expect_ev(EV_INIT, i, 3000, "init").pid);
	int64_t t0 = now_ms();
	stop_sup(sup, "shutdown forms");
	int64_t dt = now_ms() - t0;
	ck_assert_msg(dt >= 150 + 100 - 10,
		      "stop took %lld ms: it did not wait for the children",
		      (long long)dt);
	ck_assert_msg(dt < scaled_ms(5000), "stop took %lld ms", (long long)dt);
	expect_down_reason(r[2], ot_reason_shutdown(), "infinity");
	ot_down_info d = ot_test_expect_down(r[1], 3000, "brutal_kill");
	ck_assert_int_eq(d.reason.kind, OT_REASON_KILLED);
	d = ot_test_expect_down(r[0], 3000, "timeout");
	ck_assert_int_eq(d.reason.kind, OT_REASON_KILLED);
	/* inf's terminate, then slow's (killed inside it); none for brutal */
	static const int term[] = {2, 0};
	assert_log(true, term, 2, "shutdown forms");
}
END_TEST

/* ---- crashes ------------------------------------------------------------- */

/* A child that faults is restarted like any other; the supervisor and the
 * sibling run on. */
START_TEST(test_crash_child_restarted)
{
	ot_child_spec cs[2] = {server_child("c0", 0), server_child("c1", 1)};
	ot_sup_spec s = sup_spec(OT_ONE_FOR_ONE, cs, 2);
	ot_pid sup = start_sup(&s, NULL, "crash");
	ot_pid c0 = expect_ev(EV_INIT, 0, 3000, "c0").pid;
	ot_pid c1 = expect_ev(EV_INIT, 1, 3000, "c1").pid;
	ot_ref r = ot_test_monitor(c0);
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = OP_CRASH;
	q.fault = F_NULL_WRITE;
	ck_assert_ot_ok(ot_gen_server_cast(c0, &q, sizeof(q)));
	ot_down_info d = ot_test_expect_down(r, 3000, "crash");
	ck_assert_int_eq(d.reason.kind, OT_REASON_CRASH);
	ck_assert_int_eq(d.reason.code, SIGSEGV);
	ot_pid c0b = expect_ev(EV_INIT, 0, 3000, "c0 restarted").pid;
	ck_assert(!ot_pid_equal(c0, c0b));
	assert_pid(wait_status(sup, "c0", OT_CHILD_RUNNING, 3000, "c0").pid,
		   c0b, "which c0");
	assert_pid(child_info(sup, "c1", "c1").pid, c1, "c1 untouched");
	ck_assert(ot_is_alive(c1));
	stop_sup(sup, "crash");
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static TCase *sup_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, sup_setup, NULL);
	return tc;
}

static Suite *supervisor_suite(void)
{
	Suite *s = suite_create("supervisor");

	TCase *tc = sup_tcase("start", 20);
	tcase_add_test(tc, test_start_order);
	tcase_add_loop_test(tc, test_start_failure, 0, 3);
	tcase_add_test(tc, test_ignore_static);
	suite_add_tcase(s, tc);

	tc = sup_tcase("names", 20);
	tcase_add_test(tc, test_named_supervisor);
	tcase_add_test(tc, test_named_children);
	tcase_add_test(tc, test_nested_sup);
	suite_add_tcase(s, tc);

	tc = sup_tcase("api", 20);
	tcase_add_test(tc, test_child_api_errors);
	tcase_add_test(tc, test_start_child_appended);
	tcase_add_test(tc, test_start_child_fails);
	tcase_add_test(tc, test_start_child_ignore);
	tcase_add_test(tc, test_restart_child_fails);
	tcase_add_test(tc, test_temporary_forgotten);
	tcase_add_test(tc, test_which_and_count);
	tcase_add_test(tc, test_get_childspec);
	tcase_add_test(tc, test_dead_supervisor);
	tcase_add_test(tc, test_esimple);
	suite_add_tcase(s, tc);

	tc = sup_tcase("simple", 20);
	tcase_add_test(tc, test_simple_extra_start_fn);
	tcase_add_test(tc, test_simple_extra_server);
	tcase_add_test(tc, test_simple_max_children);
	suite_add_tcase(s, tc);

	tc = sup_tcase("dynamic", 120);
	tcase_add_test(tc, test_dynamic_many);
	tcase_add_test(tc, test_dynamic_max_children);
	tcase_add_test(tc, test_dynamic_ops);
	suite_add_tcase(s, tc);

	tc = sup_tcase("restarting", 20);
	tcase_add_loop_test(tc, test_restarting, 0, 2);
	tcase_add_test(tc, test_stop_while_restarting);
	suite_add_tcase(s, tc);

	tc = sup_tcase("stop", 20);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_stop_shutdown_forms);
	suite_add_tcase(s, tc);

	tc = sup_tcase("crash_child", 20);
	tcase_set_tags(tc, "crash");
	tcase_add_test(tc, test_crash_child_restarted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(supervisor_suite());
}
