/* SPDX-License-Identifier: MIT */
/*
 * test_spec.c — what a supervisor accepts: every invalid supervisor flag
 * and child-spec field is refused with OT_EBADSPEC and a reason
 * {error,OT_EBADSPEC,Text} whose text names the child (its id) and the
 * field at fault, whether the spec is checked alone
 * (ot_child_spec_check), given to ot_supervisor_start_link (no child is
 * started then), or to ot_supervisor_start_child (the supervisor runs on,
 * its children unchanged). Valid edge values are accepted, and the zero
 * flags mean what the header says: one_for_one, 3 restarts in 5000 ms.
 *
 * The reason's wording is not fixed by the header: a test accepts any
 * text that contains the child's id and one of a few words that name the
 * problem (compared without case).
 *
 * The children are gen_servers (w_cb) that report their init to the test
 * thread (EV_INIT), so a test can tell that no child started and can wait
 * for a restart. All assertions are made on the test thread.
 */
#include "config.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sup_fixture.h"

/* ---- tags and events ----------------------------------------------------- */

enum {
	EV_INIT = 3000, /* a worker's init ran: struct ev */
};

struct ev {
	int id;
	ot_pid pid;
};

/* A worker's init argument: what it reports as. */
struct wcfg {
	int id;
};

static ot_pid g_test;	   /* the test thread */
static atomic_int g_inits; /* worker inits that ran */
static struct wcfg g_w[8]; /* worker args: outlive every supervisor */

/* ---- the worker ---------------------------------------------------------- */

static ot_gs_ret w_init(void *arg, void **state)
{
	const struct wcfg *c = arg;
	atomic_fetch_add(&g_inits, 1);
	*state = (void *)c;
	struct ev e = {.id = c ? c->id : -1, .pid = ot_self()};
	ot_send(g_test, EV_INIT, &e, sizeof(e));
	return ot_gs_ok();
}

static const ot_gen_server_callbacks w_cb = {.init = w_init};

/* A start function for the .start variant. */
static int sf_worker(void *arg, const void *extra, size_t extra_size,
		     ot_pid *out, ot_reason *reason)
{
	(void)extra;
	(void)extra_size;
	return ot_gen_server_start_link(&w_cb, arg, NULL, out, reason);
}

/* ---- helpers ------------------------------------------------------------- */

/* Supervisor reports (restarts, the intensity shutdown) are expected
 * here: keep them off stderr. */
static void drop_report(const char *report, void *arg)
{
	(void)report;
	(void)arg;
}

static void spec_setup(void)
{
	ck_assert_ot_ok(ot_set_logger(drop_report, NULL));
	g_test = ot_self();
	ck_assert(!ot_pid_is_none(g_test));
	atomic_store(&g_inits, 0);
	for (int i = 0; i < 8; i++)
		g_w[i].id = i;
}

/* A valid permanent worker child with that id (a gen_server). */
static ot_child_spec worker(const char *id, int w)
{
	ot_child_spec c;
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.server = &w_cb;
	c.arg = &g_w[w];
	return c;
}

static ot_sup_spec sup_spec(ot_sup_flags flags, const ot_child_spec *children,
			    size_t n)
{
	ot_sup_spec s;
	memset(&s, 0, sizeof(s));
	s.flags = flags;
	s.children = children;
	s.nchildren = n;
	return s;
}

static ot_sup_flags flags0(void)
{
	ot_sup_flags f;
	memset(&f, 0, sizeof(f));
	return f;
}

/* True when hay contains needle, compared without case. */
static bool ci_contains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* Up to 6 words, NULL-terminated: the text must contain one of them. */
struct words {
	const char *w[7];
};

/*
 * Asserts that rc is OT_EBADSPEC with a reason {error,OT_EBADSPEC,Text},
 * Text containing id (unless NULL) and one of kw.
 */
static void check_badspec(int rc, const ot_reason *r, const char *id,
			  struct words kw, const char *what)
{
	char text[OT_REASON_STRLEN];
	ot_reason_format(r, text, sizeof(text));
	ck_assert_msg(rc == OT_EBADSPEC, "%s: %s, want OT_EBADSPEC (reason %s)",
		      what, ot_err_name(rc), text);
	ck_assert_msg(r->kind == OT_REASON_ERROR && r->code == OT_EBADSPEC,
		      "%s: reason %s, want {error,%d,...}", what, text,
		      OT_EBADSPEC);
	if (id)
		ck_assert_msg(strstr(r->text, id) != NULL,
			      "%s: reason %s does not name the child \"%s\"",
			      what, text, id);
	bool found = false;
	for (int i = 0; kw.w[i] && !found; i++)
		found = ci_contains(r->text, kw.w[i]);
	ck_assert_msg(found, "%s: reason %s does not say what is wrong (%s?)",
		      what, text, kw.w[0]);
}

static ot_pid start_ok(const ot_sup_spec *spec, const char *what)
{
	ot_pid p = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(spec, NULL, &p, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "%s: start_link: %s (%s)", what, ot_err_name(rc),
		      text);
	ck_assert_msg(!ot_pid_is_none(p) && ot_is_alive(p),
		      "%s: no live supervisor", what);
	return p;
}

static void stop_ok(ot_pid sup, const char *what)
{
	int rc = ot_supervisor_stop(sup, scaled_ms(5000));
	ck_assert_msg(rc == 0, "%s: stop: %s", what, ot_err_name(rc));
}

static bool match_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

/* The next init report, waiting up to ms (scaled). */
static struct ev expect_init(int ms, const char *what)
{
	uint64_t tag = EV_INIT;
	ot_msg *m = NULL;
	int rc = ot_receive_match(match_tag, &tag, &m, scaled_ms(ms));
	ck_assert_msg(rc == 0, "%s: no init: %s", what, ot_err_name(rc));
	struct ev e;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(e));
	memcpy(&e, ot_msg_data(m), sizeof(e));
	ot_msg_free(m);
	return e;
}

/* No init report arrives within ms. */
static void expect_no_init(int ms, const char *what)
{
	uint64_t tag = EV_INIT;
	ot_msg *m = NULL;
	int rc = ot_receive_match(match_tag, &tag, &m, ms);
	if (rc == 0) {
		struct ev e;
		memcpy(&e, ot_msg_data(m), sizeof(e));
		ot_msg_free(m);
		ck_abort_msg("%s: worker %d started", what, e.id);
	}
}

static size_t nspecs(ot_pid sup)
{
	return counts(sup).specs;
}

/* ---- bad child specs ----------------------------------------------------- */

/* The bad child specs, each made from a valid worker with id BAD_ID. */
#define BAD_ID "db7"
enum {
	BC_NO_START,
	BC_START_SERVER,
	BC_SERVER_SUP,
	BC_START_SUP,
	BC_ALL_THREE,
	BC_RESTART_HIGH,
	BC_RESTART_NEG,
	BC_TYPE_HIGH,
	BC_TYPE_NEG,
	BC_SHUTDOWN_NEG,
	BC_SHUTDOWN_MIN,
	BC_SIGNIFICANT_PERMANENT,
	BC_COUNT
};

static const char *const bc_names[] = {
    "no start method",
    "start and server",
    "server and sup",
    "start and sup",
    "start, server and sup",
    "restart 3",
    "restart -1",
    "type 2",
    "type -1",
    "shutdown_ms -3",
    "shutdown_ms INT_MIN",
    "significant permanent child",
};

/* A valid nested spec, for .sup. */
static const ot_sup_spec g_inner = {
    .flags = {.strategy = OT_ONE_FOR_ONE},
    .children = NULL,
    .nchildren = 0,
};

static ot_child_spec bad_child(int i, struct words *kw)
{
	ot_child_spec c = worker(BAD_ID, 1);
	static const struct words starts = {
	    {"start", "server", "sup", "one of", "exactly", NULL}};
	switch (i) {
	case BC_NO_START:
		c.server = NULL;
		*kw = starts;
		break;
	case BC_START_SERVER:
		c.start = sf_worker;
		*kw = starts;
		break;
	case BC_SERVER_SUP:
		c.sup = &g_inner;
		*kw = starts;
		break;
	case BC_START_SUP:
		c.server = NULL;
		c.start = sf_worker;
		c.sup = &g_inner;
		*kw = starts;
		break;
	case BC_ALL_THREE:
		c.start = sf_worker;
		c.sup = &g_inner;
		*kw = starts;
		break;
	case BC_RESTART_HIGH:
		c.restart = (ot_restart)3;
		*kw = (struct words){{"restart", NULL}};
		break;
	case BC_RESTART_NEG:
		c.restart = (ot_restart)-1;
		*kw = (struct words){{"restart", NULL}};
		break;
	case BC_TYPE_HIGH:
		c.type = (ot_child_type)2;
		*kw = (struct words){{"type", NULL}};
		break;
	case BC_TYPE_NEG:
		c.type = (ot_child_type)-1;
		*kw = (struct words){{"type", NULL}};
		break;
	case BC_SHUTDOWN_NEG:
		c.shutdown_ms = -3;
		*kw = (struct words){{"shutdown", NULL}};
		break;
	case BC_SHUTDOWN_MIN:
		c.shutdown_ms = INT_MIN;
		*kw = (struct words){{"shutdown", NULL}};
		break;
	case BC_SIGNIFICANT_PERMANENT:
		c.restart = OT_PERMANENT;
		c.significant = true;
		*kw = (struct words){{"significant", "permanent", NULL}};
		break;
	default:
		break;
	}
	return c;
}

/* Loop: ot_child_spec_check refuses each bad child, with a reason; a NULL
 * reason is allowed. */
START_TEST(test_check_bad_child)
{
	struct words kw;
	ot_child_spec c = bad_child(_i, &kw);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_child_spec_check(&c, &why);
	check_badspec(rc, &why, BAD_ID, kw, bc_names[_i]);
	ck_assert_msg(ot_child_spec_check(&c, NULL) == OT_EBADSPEC,
		      "%s: with reason NULL: %s", bc_names[_i],
		      ot_err_name(ot_child_spec_check(&c, NULL)));
}
END_TEST

/* Loop: start_link refuses a supervisor whose second child is bad, and
 * starts no child (the first, valid one included). */
START_TEST(test_start_link_bad_child)
{
	struct words kw;
	ot_child_spec cs[2] = {worker("ok1", 0), bad_child(_i, &kw)};
	ot_sup_spec s = sup_spec(flags0(), cs, 2);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	ot_pid p = OT_PID_NONE;
	int rc = ot_supervisor_start_link(&s, NULL, &p, &why);
	check_badspec(rc, &why, BAD_ID, kw, bc_names[_i]);
	expect_no_init(20, bc_names[_i]);
	ck_assert_msg(atomic_load(&g_inits) == 0,
		      "%s: %d children started before the check", bc_names[_i],
		      atomic_load(&g_inits));
	ck_assert_msg(ot_test_wait_quiet(scaled_ms(2000)),
		      "%s: a process is left", bc_names[_i]);
}
END_TEST

/* Loop: start_child refuses each bad child on a running one_for_one
 * supervisor (0) and on a dynamic one (1): nothing is added or started
 * and the supervisor serves on. */
START_TEST(test_start_child_bad_child)
{
	int bc = _i / 2;
	bool dynamic = _i % 2;
	char what[96];
	snprintf(what, sizeof(what), "%s (%s)", bc_names[bc],
		 dynamic ? "dynamic" : "one_for_one");
	ot_sup_flags f = flags0();
	if (dynamic)
		f.strategy = OT_SUP_DYNAMIC;
	ot_child_spec first = worker("ok1", 0);
	ot_sup_spec s = sup_spec(f, dynamic ? NULL : &first, dynamic ? 0 : 1);
	ot_pid sup = start_ok(&s, what);
	if (!dynamic)
		(void)expect_init(3000, what);
	size_t before = nspecs(sup);
	struct words kw;
	ot_child_spec c = bad_child(bc, &kw);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	ot_pid child = OT_PID_NONE;
	int rc = ot_supervisor_start_child(sup, &c, &child, &why);
	/* A dynamic child's id is not used, so its reason need not name
	 * it. */
	check_badspec(rc, &why, dynamic ? NULL : BAD_ID, kw, what);
	expect_no_init(20, what);
	ck_assert_msg(ot_is_alive(sup), "%s: the supervisor died", what);
	ck_assert_msg(nspecs(sup) == before, "%s: %zu children, want %zu", what,
		      nspecs(sup), before);
	/* and it still takes a good one */
	ot_child_spec good = worker("ok2", 2);
	ck_assert_ot_ok(ot_supervisor_start_child(sup, &good, &child, NULL));
	struct ev e = expect_init(3000, what);
	ck_assert_int_eq(e.id, 2);
	ck_assert_msg(ot_pid_equal(e.pid, child), "%s: start_child's pid",
		      what);
	stop_ok(sup, what);
}
END_TEST

/* The valid variants are accepted by ot_child_spec_check: each start
 * method alone, every restart type, every shutdown form, both types,
 * significant transient and temporary (auto_shutdown is not checked
 * there). */
START_TEST(test_check_valid_children)
{
	ot_child_spec c = worker("w", 0);
	ot_reason why;
	ck_assert_ot_ok(ot_child_spec_check(&c, &why));
	ck_assert_ot_ok(ot_child_spec_check(&c, NULL));
	c.server = NULL;
	c.start = sf_worker;
	ck_assert_ot_ok(ot_child_spec_check(&c, &why));
	c.start = NULL;
	c.sup = &g_inner;
	c.type = OT_SUPERVISOR;
	ck_assert_ot_ok(ot_child_spec_check(&c, &why));
	c = worker("w", 0);
	for (int r = OT_PERMANENT; r <= OT_TEMPORARY; r++) {
		c.restart = (ot_restart)r;
		ck_assert_msg(ot_child_spec_check(&c, &why) == 0,
			      "restart %d refused: %s", r, why.text);
	}
	static const int shutdowns[] = {OT_SHUTDOWN_DEFAULT,
					OT_SHUTDOWN_BRUTAL_KILL,
					OT_INFINITY,
					1,
					5000,
					INT_MAX};
	for (size_t i = 0; i < sizeof(shutdowns) / sizeof(shutdowns[0]); i++) {
		c.shutdown_ms = shutdowns[i];
		ck_assert_msg(ot_child_spec_check(&c, &why) == 0,
			      "shutdown_ms %d refused: %s", shutdowns[i],
			      why.text);
	}
	c = worker("w", 0);
	c.type = OT_SUPERVISOR; /* a server that is itself a supervisor */
	ck_assert_ot_ok(ot_child_spec_check(&c, &why));
	c.type = OT_WORKER;
	c.restart = OT_TRANSIENT;
	c.significant = true;
	ck_assert_ot_ok(ot_child_spec_check(&c, &why));
	c.restart = OT_TEMPORARY;
	ck_assert_ot_ok(ot_child_spec_check(&c, &why));
	/* a name for a server child */
	c = worker("w", 0);
	snprintf(c.name, sizeof(c.name), "a_name");
	ck_assert_ot_ok(ot_child_spec_check(&c, &why));
}
END_TEST

/* Bad input to ot_child_spec_check is refused without a crash: NULL, and
 * an id or name that fills its array without a NUL. */
START_TEST(test_check_bad_input)
{
	int rc = ot_child_spec_check(NULL, NULL);
	ck_assert_msg(rc == OT_EINVAL || rc == OT_EBADSPEC, "check(NULL): %s",
		      ot_err_name(rc));
	ot_child_spec c = worker("w", 0);
	memset(c.id, 'x', sizeof(c.id));
	ot_reason why;
	rc = ot_child_spec_check(&c, &why);
	ck_assert_msg(rc == OT_EBADSPEC || rc == OT_ENAMETOOLONG,
		      "id without a NUL: %s", ot_err_name(rc));
	c = worker("w", 0);
	memset(c.name, 'x', sizeof(c.name));
	rc = ot_child_spec_check(&c, &why);
	ck_assert_msg(rc == OT_EBADSPEC || rc == OT_ENAMETOOLONG,
		      "name without a NUL: %s", ot_err_name(rc));
}
END_TEST

/* ---- what only a supervisor can check ------------------------------------ */

/* Two static children with one id: refused, naming the id; none
 * started. */
START_TEST(test_duplicate_ids)
{
	ot_child_spec cs[3] = {worker("a1", 0), worker("dup9", 1),
			       worker("dup9", 2)};
	ot_sup_spec s = sup_spec(flags0(), cs, 3);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(&s, NULL, NULL, &why);
	check_badspec(rc, &why, "dup9",
		      (struct words){{"duplicate", "unique", "twice", "already",
				      "more than once", "same", NULL}},
		      "duplicate ids");
	expect_no_init(20, "duplicate ids");
	ck_assert_int_eq(atomic_load(&g_inits), 0);
}
END_TEST

/* A static child needs an id: in the start spec and in start_child on a
 * one_for_one supervisor. A dynamic supervisor takes one without. */
START_TEST(test_empty_id)
{
	struct words kw = {{"id", NULL}};
	ot_child_spec cs[2] = {worker("a1", 0), worker("", 1)};
	ot_sup_spec s = sup_spec(flags0(), cs, 2);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(&s, NULL, NULL, &why);
	check_badspec(rc, &why, NULL, kw, "empty id in the start spec");
	expect_no_init(20, "empty id");
	ck_assert_int_eq(atomic_load(&g_inits), 0);

	s = sup_spec(flags0(), cs, 1);
	ot_pid sup = start_ok(&s, "one_for_one");
	(void)expect_init(3000, "a1");
	memset(&why, 0, sizeof(why));
	rc = ot_supervisor_start_child(sup, &cs[1], NULL, &why);
	check_badspec(rc, &why, NULL, kw, "empty id in start_child");
	ck_assert_uint_eq(nspecs(sup), 1);
	stop_ok(sup, "one_for_one");

	ot_sup_flags f = flags0();
	f.strategy = OT_SUP_DYNAMIC;
	s = sup_spec(f, NULL, 0);
	sup = start_ok(&s, "dynamic");
	ot_pid child;
	ck_assert_ot_ok(ot_supervisor_start_child(sup, &cs[1], &child, &why));
	struct ev e = expect_init(3000, "dynamic child without an id");
	ck_assert(ot_pid_equal(e.pid, child));
	ck_assert_uint_eq(nspecs(sup), 1);
	stop_ok(sup, "dynamic");
}
END_TEST

/* A significant child needs auto_shutdown: refused with auto_shutdown
 * never (start spec and start_child), accepted with any / all. */
START_TEST(test_significant_needs_auto_shutdown)
{
	struct words kw = {
	    {"significant", "auto_shutdown", "auto shutdown", NULL}};
	ot_child_spec cs[2] = {worker("a1", 0), worker("sig5", 1)};
	cs[1].restart = OT_TRANSIENT;
	cs[1].significant = true;
	ot_sup_spec s = sup_spec(flags0(), cs, 2);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(&s, NULL, NULL, &why);
	check_badspec(rc, &why, "sig5", kw, "significant, auto_shutdown never");
	expect_no_init(20, "significant");
	ck_assert_int_eq(atomic_load(&g_inits), 0);

	/* start_child on a supervisor without auto_shutdown */
	s = sup_spec(flags0(), cs, 1);
	ot_pid sup = start_ok(&s, "auto_shutdown never");
	(void)expect_init(3000, "a1");
	memset(&why, 0, sizeof(why));
	rc = ot_supervisor_start_child(sup, &cs[1], NULL, &why);
	check_badspec(rc, &why, "sig5", kw, "start_child significant");
	ck_assert_uint_eq(nspecs(sup), 1);
	stop_ok(sup, "auto_shutdown never");

	/* accepted with auto_shutdown any and all */
	for (int a = OT_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
	     a <= OT_AUTO_SHUTDOWN_ALL_SIGNIFICANT; a++) {
		ot_sup_flags f = flags0();
		f.auto_shutdown = (ot_auto_shutdown)a;
		s = sup_spec(f, cs, 2);
		sup = start_ok(&s, "auto_shutdown set");
		(void)expect_init(3000, "a1");
		(void)expect_init(3000, "sig5");
		ck_assert_uint_eq(nspecs(sup), 2);
		stop_ok(sup, "auto_shutdown set");
	}
}
END_TEST

/* ---- bad flags ----------------------------------------------------------- */

enum {
	BF_STRATEGY_HIGH,
	BF_STRATEGY_NEG,
	BF_INTENSITY_NEG,
	BF_INTENSITY_HIGH,
	BF_PERIOD_NEG,
	BF_AUTO_SHUTDOWN,
	BF_SIMPLE_NONE,
	BF_SIMPLE_TWO,
	BF_DYNAMIC_CHILD,
	BF_BACKOFF_MIN_NEG,
	BF_BACKOFF_MAX_NEG,
	BF_BACKOFF_MAX_LT_MIN,
	BF_BACKOFF_JITTER,
	BF_BACKOFF_RESET_NEG,
	BF_SIMPLE_AUTO_SHUTDOWN,
	BF_DYNAMIC_AUTO_SHUTDOWN,
	BF_COUNT
};

static const char *const bf_names[] = {
    "strategy 5",
    "strategy -1",
    "intensity -1",
    "intensity > OT_SUP_MAX_INTENSITY",
    "period_ms -1",
    "auto_shutdown 3",
    "simple_one_for_one without a child",
    "simple_one_for_one with two children",
    "OT_SUP_DYNAMIC with a child",
    "backoff min_ms -1",
    "backoff max_ms -1",
    "backoff max_ms < min_ms",
    "backoff jitter_pct 101",
    "backoff reset_ms -1",
    "simple_one_for_one with auto_shutdown",
    "OT_SUP_DYNAMIC with auto_shutdown",
};

/* Loop: start_link refuses each bad flag, with a reason naming it; no
 * child starts. */
START_TEST(test_bad_flags)
{
	ot_child_spec cs[2] = {worker("a1", 0), worker("b2", 1)};
	ot_sup_flags f = flags0();
	size_t n = 1;
	struct words kw = {{NULL}};
	switch (_i) {
	case BF_STRATEGY_HIGH:
		f.strategy = (ot_sup_strategy)5;
		kw = (struct words){{"strategy", NULL}};
		break;
	case BF_STRATEGY_NEG:
		f.strategy = (ot_sup_strategy)-1;
		kw = (struct words){{"strategy", NULL}};
		break;
	case BF_INTENSITY_NEG:
		f.intensity = -1;
		kw = (struct words){{"intensity", NULL}};
		break;
	case BF_INTENSITY_HIGH:
		f.intensity = OT_SUP_MAX_INTENSITY + 1;
		kw = (struct words){{"intensity", NULL}};
		break;
	case BF_PERIOD_NEG:
		f.period_ms = -1;
		kw = (struct words){{"period", NULL}};
		break;
	case BF_AUTO_SHUTDOWN:
		f.auto_shutdown = (ot_auto_shutdown)3;
		kw = (struct words){{"auto_shutdown", "auto shutdown", NULL}};
		break;
	case BF_SIMPLE_NONE:
		f.strategy = OT_SIMPLE_ONE_FOR_ONE;
		n = 0;
		kw = (struct words){
		    {"simple", "template", "child", "exactly", NULL}};
		break;
	case BF_SIMPLE_TWO:
		f.strategy = OT_SIMPLE_ONE_FOR_ONE;
		n = 2;
		kw = (struct words){
		    {"simple", "template", "child", "exactly", NULL}};
		break;
	case BF_DYNAMIC_CHILD:
		f.strategy = OT_SUP_DYNAMIC;
		kw = (struct words){{"dynamic", "child", NULL}};
		break;
	case BF_BACKOFF_MIN_NEG:
		f.backoff.min_ms = -1;
		kw = (struct words){{"backoff", "min", NULL}};
		break;
	case BF_BACKOFF_MAX_NEG:
		f.backoff.min_ms = 10;
		f.backoff.max_ms = -1;
		kw = (struct words){{"backoff", "max", NULL}};
		break;
	case BF_BACKOFF_MAX_LT_MIN:
		f.backoff.min_ms = 100;
		f.backoff.max_ms = 50;
		kw = (struct words){{"backoff", "max", NULL}};
		break;
	case BF_BACKOFF_JITTER:
		f.backoff.min_ms = 10;
		f.backoff.jitter_pct = 101;
		kw = (struct words){{"backoff", "jitter", NULL}};
		break;
	case BF_BACKOFF_RESET_NEG:
		f.backoff.min_ms = 10;
		f.backoff.reset_ms = -1;
		kw = (struct words){{"backoff", "reset", NULL}};
		break;
	case BF_SIMPLE_AUTO_SHUTDOWN:
		/* supervisor.erl: simple_one_for_one and auto_shutdown other
		 * than never are a bad combination (issue 14) */
		f.strategy = OT_SIMPLE_ONE_FOR_ONE;
		f.auto_shutdown = OT_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
		kw = (struct words){{"auto_shutdown", "simple", NULL}};
		break;
	case BF_DYNAMIC_AUTO_SHUTDOWN:
		/* Elixir's DynamicSupervisor has no auto_shutdown */
		f.strategy = OT_SUP_DYNAMIC;
		f.auto_shutdown = OT_AUTO_SHUTDOWN_ALL_SIGNIFICANT;
		n = 0;
		kw = (struct words){{"auto_shutdown", "dynamic", NULL}};
		break;
	default:
		break;
	}
	ot_sup_spec s = sup_spec(f, n ? cs : NULL, n);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	ot_pid p = OT_PID_NONE;
	int rc = ot_supervisor_start_link(&s, NULL, &p, &why);
	check_badspec(rc, &why, NULL, kw, bf_names[_i]);
	expect_no_init(20, bf_names[_i]);
	ck_assert_msg(atomic_load(&g_inits) == 0, "%s: a child started",
		      bf_names[_i]);
	ck_assert_msg(ot_test_wait_quiet(scaled_ms(2000)),
		      "%s: a process is left", bf_names[_i]);
}
END_TEST

/* The edges that are valid: intensity OT_SUP_MAX_INTENSITY, intensity 0
 * with a period, jitter 100, max == min, max 0, reset 0, the template of a
 * simple_one_for_one, an empty OT_SUP_DYNAMIC, an empty one_for_one. */
START_TEST(test_valid_flag_edges)
{
	ot_child_spec cs[1] = {worker("a1", 0)};
	for (int i = 0; i < 9; i++) {
		ot_sup_flags f = flags0();
		size_t n = 1;
		switch (i) {
		case 0:
			f.intensity = OT_SUP_MAX_INTENSITY;
			f.period_ms = 1;
			break;
		case 1:
			f.intensity = 0;
			f.period_ms = 1000;
			break;
		case 2:
			f.backoff.min_ms = 10;
			f.backoff.jitter_pct = 100;
			break;
		case 3:
			f.backoff.min_ms = 10;
			f.backoff.max_ms = 10;
			break;
		case 4:
			f.backoff.min_ms = 10;
			f.backoff.max_ms = 0;
			f.backoff.reset_ms = 0;
			break;
		case 5:
			f.strategy = OT_SIMPLE_ONE_FOR_ONE;
			break;
		case 6:
			f.strategy = OT_SUP_DYNAMIC;
			f.max_children = 5;
			n = 0;
			break;
		case 7:
			n = 0;
			break;
		default:
			f.strategy = OT_REST_FOR_ONE;
			f.intensity = 10;
			f.period_ms = 100;
			break;
		}
		char what[32];
		snprintf(what, sizeof(what), "valid flags %d", i);
		ot_sup_spec s = sup_spec(f, n ? cs : NULL, n);
		ot_pid sup = start_ok(&s, what);
		stop_ok(sup, what);
	}
}
END_TEST

/* Bad input to start_link: a NULL spec, children NULL with nchildren > 0. */
START_TEST(test_start_link_bad_input)
{
	ot_reason why;
	ck_assert_ot_err(ot_supervisor_start_link(NULL, NULL, NULL, &why),
			 OT_EINVAL);
	ot_sup_spec s = sup_spec(flags0(), NULL, 2);
	int rc = ot_supervisor_start_link(&s, NULL, NULL, &why);
	ck_assert_msg(rc == OT_EINVAL || rc == OT_EBADSPEC,
		      "children NULL, nchildren 2: %s", ot_err_name(rc));
	ck_assert(ot_test_wait_quiet(scaled_ms(2000)));
	/* an extra size whose request length would wrap (it overflowed the
	 * heap before), whatever the pid */
	char x = 0;
	ck_assert_ot_err(ot_supervisor_start_child_extra(ot_self(), &x,
							 SIZE_MAX, NULL, &why),
			 OT_EINVAL);
	ck_assert_ot_err(ot_supervisor_start_child_extra(
			     ot_self(), &x, SIZE_MAX - 8, NULL, &why),
			 OT_EINVAL);
}
END_TEST

/* ---- the defaults -------------------------------------------------------- */

/* Kills a worker with an untrappable kill and waits for its
 * replacement's init; returns the new pid. */
static ot_pid kill_and_await_restart(ot_pid child, const char *what)
{
	ot_reason k = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(child, &k));
	struct ev e = expect_init(3000, what);
	ck_assert_msg(!ot_pid_equal(e.pid, child), "%s: same pid", what);
	return e.pid;
}

/*
 * Loop over flags and the restarts they allow within the period: the
 * zero flags (3 in 5000 ms), period 0 with intensity 1 (1 in 5000 ms),
 * intensity 0 with a period (none), intensity 2 with a period (2). After
 * that many restarts the supervisor still serves; one more ends it with
 * reason shutdown, its child gone too.
 */
START_TEST(test_intensity_defaults)
{
	static const struct {
		int intensity, period_ms, allowed;
		const char *what;
	} cases[] = {
	    {0, 0, 3, "zero flags"},
	    {1, 0, 1, "intensity 1, period 0"},
	    {0, 5000, 0, "intensity 0, period 5000"},
	    {2, 5000, 2, "intensity 2, period 5000"},
	};
	const char *what = cases[_i].what;
	ot_child_spec cs[1] = {worker("w0", 0)};
	ot_sup_flags f = flags0();
	f.intensity = cases[_i].intensity;
	f.period_ms = cases[_i].period_ms;
	ot_sup_spec s = sup_spec(f, cs, 1);
	ot_pid sup = start_ok(&s, what);
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(sup, &ref));
	ot_pid child = expect_init(3000, what).pid;
	for (int i = 0; i < cases[_i].allowed; i++)
		child = kill_and_await_restart(child, what);
	ot_test_expect_no_down(ref, 20, what);
	ck_assert_msg(ot_is_alive(sup), "%s: died after %d restarts", what,
		      cases[_i].allowed);
	ck_assert_uint_eq(nspecs(sup), 1);
	ck_assert_int_eq(atomic_load(&g_inits), cases[_i].allowed + 1);
	/* one more */
	ot_reason k = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(child, &k));
	ot_down_info d = ot_test_expect_down(ref, 3000, what);
	ot_reason shutdown = ot_reason_shutdown();
	assert_reason(&d.reason, &shutdown, what);
	expect_no_init(20, what);
	ck_assert_msg(atomic_load(&g_inits) == cases[_i].allowed + 1,
		      "%s: %d inits, want %d", what, atomic_load(&g_inits),
		      cases[_i].allowed + 1);
}
END_TEST

/* The period slides: with 1 restart in a short period, two restarts a
 * period apart are fine, two in a row end the supervisor. */
START_TEST(test_intensity_period_slides)
{
	const int period = scaled_ms(300);
	ot_child_spec cs[1] = {worker("w0", 0)};
	ot_sup_flags f = flags0();
	f.intensity = 1;
	f.period_ms = period;
	ot_sup_spec s = sup_spec(f, cs, 1);
	ot_pid sup = start_ok(&s, "sliding period");
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(sup, &ref));
	ot_pid child = expect_init(3000, "first start").pid;
	child = kill_and_await_restart(child, "restart 1");
	/* waiting out the period is the point here, not a synchronisation */
	ot_sleep(period + period / 2 + 50);
	child = kill_and_await_restart(child, "restart 2, a period later");
	ot_test_expect_no_down(ref, 20, "restart 2");
	ot_reason k = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(child, &k));
	ot_down_info d = ot_test_expect_down(ref, 3000, "restart 3 at once");
	ot_reason shutdown = ot_reason_shutdown();
	assert_reason(&d.reason, &shutdown, "restart 3 at once");
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static TCase *spec_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, spec_setup, NULL);
	return tc;
}

static Suite *spec_suite(void)
{
	Suite *s = suite_create("supervisor_spec");

	TCase *tc = spec_tcase("child_spec", 20);
	tcase_add_loop_test(tc, test_check_bad_child, 0, BC_COUNT);
	tcase_add_loop_test(tc, test_start_link_bad_child, 0, BC_COUNT);
	tcase_add_loop_test(tc, test_start_child_bad_child, 0, BC_COUNT * 2);
	tcase_add_test(tc, test_check_valid_children);
	tcase_add_test(tc, test_check_bad_input);
	suite_add_tcase(s, tc);

	tc = spec_tcase("in_supervisor", 20);
	tcase_add_test(tc, test_duplicate_ids);
	tcase_add_test(tc, test_empty_id);
	tcase_add_test(tc, test_significant_needs_auto_shutdown);
	suite_add_tcase(s, tc);

	tc = spec_tcase("flags", 20);
	tcase_add_loop_test(tc, test_bad_flags, 0, BF_COUNT);
	tcase_add_test(tc, test_valid_flag_edges);
	tcase_add_test(tc, test_start_link_bad_input);
	suite_add_tcase(s, tc);

	tc = spec_tcase("defaults", 20);
	tcase_add_loop_test(tc, test_intensity_defaults, 0, 4);
	tcase_add_test(tc, test_intensity_period_slides);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(spec_suite());
}
