/* SPDX-License-Identifier: MIT */
/*
 * test_client.c — what the supervisor's calls answer, where OTP's
 * supervisor_SUITE says what they must (the calls of client.c): a child
 * whose registered name is taken ({error, {already_started, Pid}}, the
 * pid given back); terminate_child by pid (static: not found, the child
 * left running; dynamic: ok for a pid that has ended); every call by a
 * supervisor's registered name, and OT_ENOPROC for a name nobody has;
 * which_child; a start function's extra info ({ok, Pid, Info}); and
 * ot_supervisor_stop() returning only once its tree is gone from
 * ot_runtime_stats().
 *
 * The children are idle gen_servers, started by the supervisor itself or
 * by start functions of this file; a "holder" is a bare process that has
 * a registered name and waits until it is told to end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup_fixture.h"

/* ---- the children -------------------------------------------------------- */

static ot_gs_ret idle_init(void *arg, void **state)
{
	*state = arg;
	return ot_gs_ok();
}

static const ot_gen_server_callbacks idle_cb = {.init = idle_init};

static ot_child_spec worker(const char *id, const char *name)
{
	ot_child_spec c;
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	if (name)
		snprintf(c.name, sizeof(c.name), "%s", name);
	c.server = &idle_cb;
	c.shutdown_ms = 1000;
	return c;
}

/* A start function: an idle gen_server registered as arg (a string, or
 * none), as a start function written for it would. */
static int sf_named(void *arg, const void *extra, size_t extra_size,
		    ot_pid *out, ot_reason *reason)
{
	(void)extra;
	(void)extra_size;
	ot_gen_server_opts o = {.name = arg};
	return ot_gen_server_start_link(&idle_cb, NULL, &o, out, reason);
}

/* A start function that gives "info:" and its extra bytes (or arg, a
 * string) as the start's info. */
static int sf_info(void *arg, const void *extra, size_t extra_size, ot_pid *out,
		   ot_reason *reason)
{
	char info[64];
	int n = snprintf(info, sizeof(info), "info:%.*s",
			 extra ? (int)extra_size : (int)strlen(arg),
			 extra ? (const char *)extra : (const char *)arg);
	int rc = ot_gen_server_start_link(&idle_cb, NULL, NULL, out, reason);
	if (rc == 0)
		ck_assert_ot_ok(ot_child_start_info(info, (size_t)n));
	return rc;
}

static ot_child_spec fn_child(const char *id, ot_child_start_fn fn,
			      const char *arg)
{
	ot_child_spec c = worker(id, NULL);
	c.server = NULL;
	c.start = fn;
	c.arg = (void *)arg;
	return c;
}

/* A bare process that holds a name until it gets a message. */
static void holder_main(void *arg)
{
	(void)arg;
	ot_msg *m = NULL;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

static ot_pid holder(const char *name)
{
	ot_spawn_opts o = {.name = name};
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(holder_main, NULL, &o, &p));
	return p;
}

static void end_holder(ot_pid p)
{
	ot_ref r = ot_test_monitor(p);
	ck_assert_ot_ok(ot_send(p, 1, NULL, 0));
	(void)ot_test_expect_down(r, 3000, "the holder ends");
}

static ot_pid sup_of(ot_sup_strategy strategy, const ot_child_spec *ch,
		     size_t n, const char *name)
{
	ot_sup_spec spec = {
	    .flags = {.strategy = strategy}, .children = ch, .nchildren = n};
	ot_pid p = OT_PID_NONE;
	ot_reason why;
	int rc = ot_supervisor_start_link(&spec, name, &p, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "start: %s (%s)", ot_err_name(rc), text);
	return p;
}

static void stop_sup(ot_pid sup)
{
	ck_assert_ot_ok(ot_supervisor_stop(sup, OT_INFINITY));
}

static void setup(void)
{
	/* start errors make reports; nobody reads them here */
	ck_assert_ot_ok(ot_set_logger(ot_log_discard, NULL));
}

/* ---- ot_supervisor_stop: when it returns, the tree is gone -------------- */

/* The tree the stop test starts and stops: a static supervisor with
 * workers (one named) and a nested simple_one_for_one supervisor. */
static const ot_child_spec leaf = {
    .id = "leaf", .server = &idle_cb, .shutdown_ms = 1000};
static const ot_sup_spec inner = {.flags = {.strategy = OT_SIMPLE_ONE_FOR_ONE},
				  .children = &leaf,
				  .nchildren = 1};

/* Starts and stops the tree `rounds` times; returns the first round
 * after whose stop ot_runtime_stats() still counted a process (beyond
 * `others`, the processes that are not the tree's), or -1. */
static int stop_rounds(int rounds, size_t others, size_t *seen)
{
	ot_child_spec ch[4] = {worker("a", NULL), worker("b", "b_name"),
			       worker("inner", NULL), worker("c", NULL)};
	ch[2].server = NULL;
	ch[2].sup = &inner;
	for (int i = 0; i < rounds; i++) {
		ot_sup_spec spec = {.children = ch, .nchildren = 4};
		ot_pid sup;
		if (ot_supervisor_start_link(&spec, "stop_sup", &sup, NULL))
			return -2;
		ot_child_info in;
		if (ot_supervisor_which_child(sup, "inner", &in))
			return -2;
		for (int k = 0; k < 3; k++)
			if (ot_supervisor_start_child_extra(in.pid, NULL, 0,
							    NULL, NULL))
				return -2;
		if (ot_supervisor_stop(sup, OT_INFINITY))
			return -2;
		ot_stats st;
		if (ot_runtime_stats(&st))
			return -2;
		if (st.processes != others || st.names != 0) {
			*seen = st.processes;
			return i;
		}
	}
	return -1;
}

struct stopper {
	ot_pid test;
	int rounds;
};

static void stopper_main(void *arg)
{
	const struct stopper *a = arg;
	ot_trap_exit(true, NULL); /* the EXITs of the supervisors it stops */
	size_t seen = 0;
	int r = stop_rounds(a->rounds, 1, &seen);
	int64_t out[2] = {r, (int64_t)seen};
	ot_send(a->test, 7, out, sizeof(out));
}

/* Loop: the tree started and stopped again and again, by the test thread
 * (0) and by a process (1), which runs on as soon as the DOWN comes;
 * right after each stop, ot_runtime_stats() counts no process of it
 * (issue 15: one was still counted now and then). No OTP twin:
 * erlang:processes() after supervisor:stop/1. */
START_TEST(test_stop_leaves_nothing)
{
	int rounds = (int)ot_test_scaled(2000);
	int r;
	size_t seen = 0;
	if (_i == 0) {
		r = stop_rounds(rounds, 0, &seen);
	} else {
		static struct stopper a;
		a.test = ot_self();
		a.rounds = rounds;
		ck_assert_ot_ok(ot_spawn(stopper_main, &a, NULL, NULL));
		ot_msg *m = expect_msg(7, 60000);
		int64_t out[2];
		memcpy(out, ot_msg_data(m), sizeof(out));
		ot_msg_free(m);
		r = (int)out[0];
		seen = (size_t)out[1];
	}
	ck_assert_msg(r != -2, "a call of the loop failed");
	ck_assert_msg(r == -1, "round %d: %zu processes right after the stop",
		      r, seen);
}
END_TEST

/* ---- a taken name: already started, with the pid ------------------------- */

/* supervisor_SUITE:already_started_outside_supervisor: a child whose
 * registered name another process has: OT_EALREADY, *out = that process;
 * nothing is added. Loop: a server child (0), a start function (1). */
START_TEST(test_already_started)
{
	ot_pid h = holder("taken");
	ot_pid sup = sup_of(OT_ONE_FOR_ONE, NULL, 0, NULL);
	ot_child_spec c =
	    _i ? fn_child("c", sf_named, "taken") : worker("c", "taken");
	ot_pid got = OT_PID_NONE;
	ot_reason why;
	ck_assert_ot_err(ot_supervisor_start_child(sup, &c, &got, &why),
			 OT_EALREADY);
	assert_pid(got, h, "start_child: the name's holder");
	ot_child_counts k = counts(sup);
	ck_assert_uint_eq(k.specs, 0);
	/* and the same id again: not already present, the same answer */
	got = OT_PID_NONE;
	ck_assert_ot_err(ot_supervisor_start_child(sup, &c, &got, NULL),
			 OT_EALREADY);
	assert_pid(got, h, "start_child again");
	/* the holder gone, the child starts */
	end_holder(h);
	ck_assert_ot_ok(ot_supervisor_start_child(sup, &c, &got, NULL));
	ot_pid named;
	ck_assert_ot_ok(ot_whereis("taken", &named));
	assert_pid(named, got, "the child has the name");
	stop_sup(sup);
}
END_TEST

/* restart_child of a child whose name was taken meanwhile, and a
 * simple_one_for_one template with a name (its second child): OT_EALREADY
 * and the holder, as OTP's {error, {already_started, Pid}}. */
START_TEST(test_already_started_restart_and_simple)
{
	ot_child_spec c = worker("c", "c_name");
	ot_pid sup = sup_of(OT_ONE_FOR_ONE, &c, 1, NULL);
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "c"));
	ot_pid h = holder("c_name");
	ot_pid got = OT_PID_NONE;
	ck_assert_ot_err(ot_supervisor_restart_child(sup, "c", &got, NULL),
			 OT_EALREADY);
	assert_pid(got, h, "restart_child: the name's holder");
	ot_child_info ci;
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "c", &ci));
	ck_assert_int_eq(ci.status, OT_CHILD_UNDEFINED);
	end_holder(h);
	stop_sup(sup);

	ot_child_spec t = worker("t", "only_one");
	sup = sup_of(OT_SIMPLE_ONE_FOR_ONE, &t, 1, NULL);
	ot_pid first;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &first, NULL));
	got = OT_PID_NONE;
	ck_assert_ot_err(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &got, NULL),
	    OT_EALREADY);
	assert_pid(got, first, "the first child has the name");
	ck_assert_uint_eq(counts(sup).active, 1);
	stop_sup(sup);
}
END_TEST

/* A static child whose name is taken fails the supervisor's start, its
 * reason naming it (OTP: {shutdown, {failed_to_start_child, Id,
 * {already_started, Pid}}}). */
START_TEST(test_already_started_static)
{
	ot_pid h = holder("taken2");
	ot_child_spec ch[2] = {worker("a", NULL), worker("b", "taken2")};
	ot_sup_spec spec = {.children = ch, .nchildren = 2};
	ot_reason why;
	memset(&why, 0, sizeof(why));
	ck_assert_ot_err(ot_supervisor_start_link(&spec, NULL, NULL, &why),
			 OT_EINITSTOP);
	ck_assert_int_eq(why.kind, OT_REASON_SHUTDOWN_DETAIL);
	ck_assert_msg(strstr(why.text, "failed_to_start_child,b") &&
			  strstr(why.text, "already"),
		      "reason %s", why.text);
	end_holder(h);
}
END_TEST

/* ---- terminate_child by pid ---------------------------------------------- */

/* supervisor_SUITE:child_adm: "Terminate with Pid not allowed when not
 * simple_one_for_one": OT_ENOTFOUND, and the child still runs. */
START_TEST(test_terminate_pid_static)
{
	ot_child_spec c = worker("c", NULL);
	ot_pid sup = sup_of(_i ? OT_ONE_FOR_ALL : OT_ONE_FOR_ONE, &c, 1, NULL);
	ot_child_info ci;
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "c", &ci));
	ck_assert_ot_err(ot_supervisor_terminate_child_pid(sup, ci.pid),
			 OT_ENOTFOUND);
	ck_assert(ot_is_alive(ci.pid));
	ot_child_info again;
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "c", &again));
	ck_assert_int_eq(again.status, OT_CHILD_RUNNING);
	assert_pid(again.pid, ci.pid, "the same child");
	ck_assert_uint_eq(counts(sup).active, 1);
	stop_sup(sup);
}
END_TEST

/* supervisor_SUITE:child_adm_simple: terminating a child: ok; a pid that
 * has ended (the same again, or a temporary child that ended on its own
 * and was forgotten): ok; a live pid that is no child: not found, and it
 * lives on. Loop: simple_one_for_one (0), OT_SUP_DYNAMIC (1). */
START_TEST(test_terminate_pid_dynamic)
{
	ot_child_spec t = worker("t", NULL);
	t.restart = OT_TEMPORARY;
	ot_pid sup = _i ? sup_of(OT_SUP_DYNAMIC, NULL, 0, NULL)
			: sup_of(OT_SIMPLE_ONE_FOR_ONE, &t, 1, NULL);
	ot_pid c1, c2;
	if (_i) {
		ck_assert_ot_ok(ot_supervisor_start_child(sup, &t, &c1, NULL));
		ck_assert_ot_ok(ot_supervisor_start_child(sup, &t, &c2, NULL));
	} else {
		ck_assert_ot_ok(
		    ot_supervisor_start_child_extra(sup, NULL, 0, &c1, NULL));
		ck_assert_ot_ok(
		    ot_supervisor_start_child_extra(sup, NULL, 0, &c2, NULL));
	}
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, c1));
	ck_assert(!ot_is_alive(c1));
	ck_assert_uint_eq(counts(sup).active, 1);
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, c1));
	/* c2 ends on its own (temporary: forgotten) */
	ot_ref r = ot_test_monitor(c2);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(c2, &kill));
	(void)ot_test_expect_down(r, 3000, "c2");
	ck_assert_ot_ok(ot_supervisor_terminate_child_pid(sup, c2));
	ot_pid h = holder(NULL);
	ck_assert_ot_err(ot_supervisor_terminate_child_pid(sup, h),
			 OT_ENOTFOUND);
	ck_assert(ot_is_alive(h));
	ck_assert_ot_err(ot_supervisor_terminate_child_pid(sup, sup),
			 OT_ENOTFOUND);
	ck_assert_ot_err(ot_supervisor_terminate_child_pid(sup, OT_PID_NONE),
			 OT_EINVAL);
	end_holder(h);
	ck_assert_uint_eq(counts(sup).active, 0);
	stop_sup(sup);
}
END_TEST

/* ---- calls by name ------------------------------------------------------- */

/* supervisor_SUITE:child_adm: every call by a registered name; a name
 * nobody has is noproc (here OT_ENOPROC, for every call). */
START_TEST(test_by_name)
{
	ot_pid none = ot_supervisor_named("nobody_has_it");
	ck_assert(ot_pid_is_none(none));
	ck_assert(ot_pid_is_none(ot_supervisor_named(NULL)));
	ck_assert(ot_pid_is_none(ot_supervisor_named("")));
	char longname[OT_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert(ot_pid_is_none(ot_supervisor_named(longname)));

	ot_child_spec c = worker("c", NULL);
	ot_child_info ci;
	ot_child_counts k;
	ot_child_spec sp;
	ot_start_info info;
	size_t total;
	ck_assert_ot_err(ot_supervisor_start_child(none, &c, NULL, NULL),
			 OT_ENOPROC);
	ck_assert_ot_err(
	    ot_supervisor_start_child_extra(none, NULL, 0, NULL, NULL),
	    OT_ENOPROC);
	ck_assert_ot_err(
	    ot_supervisor_start_child_info(none, &c, NULL, &info, NULL),
	    OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_terminate_child(none, "c"), OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_terminate_child_pid(none, ot_self()),
			 OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_restart_child(none, "c", NULL, NULL),
			 OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_delete_child(none, "c"), OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_which_children(none, &ci, 1, &total),
			 OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_which_child(none, "c", &ci), OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_count_children(none, &k), OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_get_childspec(none, "c", &sp),
			 OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_stop(none, 1000), OT_ENOPROC);

	ot_pid sup = sup_of(OT_ONE_FOR_ONE, NULL, 0, "sup_test");
	assert_pid(ot_supervisor_named("sup_test"), sup, "named");
	ot_pid cp;
	ck_assert_ot_ok(ot_supervisor_start_child(
	    ot_supervisor_named("sup_test"), &c, &cp, NULL));
	ck_assert_ot_ok(ot_supervisor_which_child(
	    ot_supervisor_named("sup_test"), "c", &ci));
	assert_pid(ci.pid, cp, "which_child by name");
	ck_assert_int_eq(ot_supervisor_which_children(
			     ot_supervisor_named("sup_test"), &ci, 1, &total),
			 1);
	ck_assert_ot_ok(
	    ot_supervisor_count_children(ot_supervisor_named("sup_test"), &k));
	ck_assert_uint_eq(k.active, 1);
	ck_assert_ot_ok(ot_supervisor_get_childspec(
	    ot_supervisor_named("sup_test"), "c", &sp));
	ck_assert_ot_ok(ot_supervisor_terminate_child(
	    ot_supervisor_named("sup_test"), "c"));
	ck_assert_ot_ok(ot_supervisor_restart_child(
	    ot_supervisor_named("sup_test"), "c", &cp, NULL));
	ck_assert_ot_ok(ot_supervisor_terminate_child(
	    ot_supervisor_named("sup_test"), "c"));
	ck_assert_ot_ok(
	    ot_supervisor_delete_child(ot_supervisor_named("sup_test"), "c"));
	ck_assert_ot_ok(
	    ot_supervisor_stop(ot_supervisor_named("sup_test"), OT_INFINITY));
	ck_assert(!ot_is_alive(sup));
	ck_assert(ot_pid_is_none(ot_supervisor_named("sup_test")));
}
END_TEST

/* supervisor_SUITE:child_adm again, through the _name variants; a name
 * nobody has is OT_ENOPROC, a bad name OT_EINVAL / OT_ENAMETOOLONG. */
START_TEST(test_name_variants)
{
	ot_child_spec c = worker("c", NULL);
	ot_child_info ci;
	ot_child_counts k;
	size_t total;
	const char *nobody = "nobody_has_it";
	ck_assert_ot_err(ot_supervisor_start_child_name(nobody, &c, NULL, NULL),
			 OT_ENOPROC);
	ck_assert_ot_err(
	    ot_supervisor_start_child_extra_name(nobody, NULL, 0, NULL, NULL),
	    OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_terminate_child_name(nobody, "c"),
			 OT_ENOPROC);
	ck_assert_ot_err(
	    ot_supervisor_restart_child_name(nobody, "c", NULL, NULL),
	    OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_delete_child_name(nobody, "c"),
			 OT_ENOPROC);
	ck_assert_ot_err(
	    ot_supervisor_which_children_name(nobody, &ci, 1, &total),
	    OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_count_children_name(nobody, &k),
			 OT_ENOPROC);
	ck_assert_ot_err(ot_supervisor_count_children_name(NULL, &k),
			 OT_EINVAL);
	ck_assert_ot_err(ot_supervisor_delete_child_name("", "c"), OT_EINVAL);
	char longname[OT_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_ot_err(ot_supervisor_terminate_child_name(longname, "c"),
			 OT_ENAMETOOLONG);

	ot_pid sup = sup_of(OT_ONE_FOR_ONE, NULL, 0, "sup_test");
	ot_pid cp;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_name("sup_test", &c, &cp, NULL));
	ck_assert_int_eq(
	    ot_supervisor_which_children_name("sup_test", &ci, 1, &total), 1);
	assert_pid(ci.pid, cp, "which_children by name");
	ck_assert_ot_ok(ot_supervisor_count_children_name("sup_test", &k));
	ck_assert_uint_eq(k.active, 1);
	ck_assert_ot_ok(ot_supervisor_terminate_child_name("sup_test", "c"));
	ck_assert_ot_ok(
	    ot_supervisor_restart_child_name("sup_test", "c", &cp, NULL));
	ck_assert_ot_ok(ot_supervisor_terminate_child_name("sup_test", "c"));
	ck_assert_ot_ok(ot_supervisor_delete_child_name("sup_test", "c"));
	ck_assert_ot_err(ot_supervisor_start_child_extra_name("sup_test", NULL,
							      0, NULL, NULL),
			 OT_ESIMPLE);
	ck_assert_ot_ok(ot_supervisor_stop(sup, OT_INFINITY));
}
END_TEST

/* ---- which_child --------------------------------------------------------- */

/* supervisor_SUITE:which_children (OTP 28's which_child/2): one child as
 * which_children tells it; not found; by pid for dynamic children. */
START_TEST(test_which_child)
{
	ot_child_spec ch[2] = {worker("a", NULL), worker("b", NULL)};
	ch[1].type = OT_SUPERVISOR; /* (what it says it is) */
	ot_pid sup = sup_of(OT_ONE_FOR_ONE, ch, 2, NULL);
	ot_child_info all[2], a, b;
	ck_assert_int_eq(kids(sup, all, 2), 2);
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "a", &a));
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "b", &b));
	ck_assert_mem_eq(&a, &all[0], sizeof(a));
	ck_assert_mem_eq(&b, &all[1], sizeof(b));
	ck_assert_str_eq(a.id, "a");
	ck_assert_int_eq(a.status, OT_CHILD_RUNNING);
	ck_assert_int_eq(b.type, OT_SUPERVISOR);
	ot_child_info byp;
	ck_assert_ot_ok(ot_supervisor_which_child_pid(sup, a.pid, &byp));
	ck_assert_mem_eq(&byp, &a, sizeof(a));
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "a"));
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "a", &a));
	ck_assert_int_eq(a.status, OT_CHILD_UNDEFINED);
	ck_assert(ot_pid_is_none(a.pid));
	ck_assert_ot_err(ot_supervisor_which_child(sup, "zz", &a),
			 OT_ENOTFOUND);
	ck_assert_ot_err(ot_supervisor_which_child_pid(sup, ot_self(), &a),
			 OT_ENOTFOUND);
	ck_assert_ot_err(ot_supervisor_which_child(sup, NULL, &a), OT_EINVAL);
	ck_assert_ot_err(ot_supervisor_which_child(sup, "a", NULL), OT_EINVAL);
	ck_assert_ot_err(ot_supervisor_which_child_pid(sup, b.pid, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_supervisor_which_child_pid(sup, OT_PID_NONE, &a),
			 OT_EINVAL);
	char longid[OT_NAME_MAX + 2];
	memset(longid, 'i', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	ck_assert_ot_err(ot_supervisor_which_child(sup, longid, &a),
			 OT_ENOTFOUND);
	stop_sup(sup);

	ot_child_spec t = worker("t", NULL);
	sup = sup_of(OT_SIMPLE_ONE_FOR_ONE, &t, 1, NULL);
	ot_pid c;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &c, NULL));
	ck_assert_ot_err(ot_supervisor_which_child(sup, "t", &a), OT_ESIMPLE);
	ck_assert_ot_ok(ot_supervisor_which_child_pid(sup, c, &a));
	assert_pid(a.pid, c, "simple child");
	ck_assert_str_eq(a.id, "");
	ck_assert_int_eq(a.status, OT_CHILD_RUNNING);
	stop_sup(sup);
}
END_TEST

/* ---- a start's extra info ------------------------------------------------ */

static void assert_info(const ot_start_info *info, const char *want,
			const char *what)
{
	ck_assert_msg(
	    info->size == strlen(want) && !memcmp(info->data, want, info->size),
	    "%s: info of %zu bytes, want \"%s\"", what, info->size, want);
}

/* supervisor_SUITE:extra_return: a start function's {ok, Pid, Info}:
 * start_child and restart_child give the info back; a restart the
 * supervisor makes on its own, and the plain calls, drop it. */
START_TEST(test_start_info)
{
	ot_child_spec c = fn_child("c", sf_info, "static");
	ot_pid sup = sup_of(OT_ONE_FOR_ONE, &c, 1, NULL);
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "c"));
	ck_assert_ot_ok(ot_supervisor_delete_child(sup, "c"));
	ot_start_info info;
	memset(&info, 0xee, sizeof(info));
	ot_pid p;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_info(sup, &c, &p, &info, NULL));
	assert_info(&info, "info:static", "start_child_info");
	ck_assert_ot_ok(ot_supervisor_terminate_child(sup, "c"));
	memset(&info, 0xee, sizeof(info));
	ck_assert_ot_ok(
	    ot_supervisor_restart_child_info(sup, "c", &p, &info, NULL));
	assert_info(&info, "info:static", "restart_child_info");
	/* a child whose start gives nothing: size 0 */
	ot_child_spec w = worker("w", NULL);
	memset(&info, 0xee, sizeof(info));
	ck_assert_ot_ok(
	    ot_supervisor_start_child_info(sup, &w, &p, &info, NULL));
	ck_assert_uint_eq(info.size, 0);
	/* an error: size 0 too */
	memset(&info, 0xee, sizeof(info));
	ck_assert_ot_err(
	    ot_supervisor_start_child_info(sup, &w, &p, &info, NULL),
	    OT_EALREADY);
	ck_assert_uint_eq(info.size, 0);
	/* restarted after a kill: the supervisor drops the info */
	ot_child_info ci;
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "c", &ci));
	ot_ref r = ot_test_monitor(ci.pid);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(ci.pid, &kill));
	(void)ot_test_expect_down(r, 3000, "c killed");
	ck_assert_ot_ok(ot_supervisor_which_child(sup, "c", &ci));
	ck_assert_int_eq(ci.status, OT_CHILD_RUNNING);
	stop_sup(sup);

	/* simple_one_for_one: the extra bytes make the info */
	ot_child_spec t = fn_child("t", sf_info, NULL);
	sup = sup_of(OT_SIMPLE_ONE_FOR_ONE, &t, 1, NULL);
	memset(&info, 0xee, sizeof(info));
	ck_assert_ot_ok(ot_supervisor_start_child_extra_info(sup, "xyz", 3, &p,
							     &info, NULL));
	assert_info(&info, "info:xyz", "start_child_extra_info");
	ck_assert_ot_ok(ot_supervisor_start_child_extra(sup, "q", 1, &p, NULL));
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra_info(sup, "a", 1, &p, NULL, NULL));
	ck_assert_uint_eq(counts(sup).active, 3);
	stop_sup(sup);
}
END_TEST

static int sf_info_errors(void *arg, const void *extra, size_t extra_size,
			  ot_pid *out, ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)extra_size;
	char big[OT_CHILD_INFO_MAX + 1];
	memset(big, 'b', sizeof(big));
	ck_assert_ot_err(ot_child_start_info(big, sizeof(big)), OT_ETOOBIG);
	ck_assert_ot_err(ot_child_start_info(NULL, 3), OT_EINVAL);
	ck_assert_ot_err(ot_child_start_info(big, 0), OT_EINVAL);
	ck_assert_ot_ok(ot_child_start_info(big, OT_CHILD_INFO_MAX));
	ck_assert_ot_ok(ot_child_start_info("x", 1)); /* the last counts */
	return ot_gen_server_start_link(&idle_cb, NULL, NULL, out, reason);
}

/* ot_child_start_info's bad arguments, and outside a start function. */
START_TEST(test_start_info_errors)
{
	ck_assert_ot_err(ot_child_start_info("x", 1), OT_ENOTFOUND);
	ck_assert_ot_err(ot_child_start_info(NULL, 0), OT_ENOTFOUND);
	ot_child_spec c = fn_child("c", sf_info_errors, NULL);
	ot_pid sup = sup_of(OT_ONE_FOR_ONE, NULL, 0, NULL);
	ot_start_info info;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_info(sup, &c, NULL, &info, NULL));
	assert_info(&info, "x", "the last call");
	stop_sup(sup);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static Suite *client_suite(void)
{
	Suite *s = suite_create("supervisor_client");
	TCase *tc = ot_test_tcase("stop", 120);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_stop_leaves_nothing, 0, 2);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("calls", 20);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_already_started, 0, 2);
	tcase_add_test(tc, test_already_started_restart_and_simple);
	tcase_add_test(tc, test_already_started_static);
	tcase_add_loop_test(tc, test_terminate_pid_static, 0, 2);
	tcase_add_loop_test(tc, test_terminate_pid_dynamic, 0, 2);
	tcase_add_test(tc, test_by_name);
	tcase_add_test(tc, test_name_variants);
	tcase_add_test(tc, test_which_child);
	tcase_add_test(tc, test_start_info);
	tcase_add_test(tc, test_start_info_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(client_suite());
}
