/* SPDX-License-Identifier: MIT */
/*
 * test_init.c — a supervisor with an init callback (init.c), OTP's
 * Mod:init/1 as supervisor_SUITE has it: init computes the flags and the
 * children (on its own stack), runs in the supervisor's process with
 * exits trapped, runs again when the supervisor is restarted; returning
 * ignore starts nothing; a failure, a crash, a bad spec or a child that
 * cannot start fail the start with the reason; bad arguments.
 *
 * The children are idle gen_servers that count their inits; the init
 * callbacks are configured by a struct icfg.
 */
#include "config.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup_fixture.h"

#include "faults.h"

/* ---- children ------------------------------------------------------------ */

static atomic_int g_child_inits;

static ot_gs_ret idle_init(void *arg, void **state)
{
	*state = arg;
	atomic_fetch_add(&g_child_inits, 1);
	return ot_gs_ok();
}

static const ot_gen_server_callbacks idle_cb = {.init = idle_init};

static ot_child_spec worker(const char *id)
{
	ot_child_spec c;
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.server = &idle_cb;
	c.shutdown_ms = 1000;
	return c;
}

static int sf_fail(void *arg, const void *extra, size_t extra_size, ot_pid *out,
		   ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)extra_size;
	(void)out;
	*reason = ot_reason_error(77, "cannot start");
	return -77;
}

/* ---- init callbacks ------------------------------------------------------ */

enum what {
	I_CHILDREN,    /* n workers k0..k(n-1), flags one_for_all */
	I_IGNORE,      /* OT_EIGNORED */
	I_ERROR,       /* -5, reason {error,42,"no config"} */
	I_ERROR_BARE,  /* OT_ENOMEM, no reason */
	I_POSITIVE,    /* 7 */
	I_CRASH,       /* a real SIGSEGV */
	I_DUP,	       /* two children with one id */
	I_BAD_FLAGS,   /* strategy 9 */
	I_SIMPLE_TWO,  /* simple_one_for_one with two specs */
	I_SIGNIFICANT, /* a significant child, auto_shutdown never */
	I_CHILD_FAILS, /* k0, then a child whose start fails */
	I_TOO_MANY,    /* ot_sup_init_children(SIZE_MAX), then 0 */
	I_SIMPLE,      /* simple_one_for_one over a worker */
};

struct icfg {
	enum what what;
	int n;
	atomic_int runs;     /* how many times init ran */
	atomic_bool trapped; /* init ran with exits trapped */
	atomic_int bad_args; /* the builder's answers to bad arguments */
};

static int sup_init(void *arg, ot_sup_init *in, ot_reason *reason)
{
	struct icfg *c = arg;
	atomic_fetch_add(&c->runs, 1);
	ot_process_info pi;
	if (ot_process_info_get(ot_self(), &pi) == 0 && pi.trap_exit)
		atomic_store(&c->trapped, true);
	ot_sup_flags f;
	memset(&f, 0, sizeof(f));
	ot_child_spec ch[8]; /* on init's own stack: copied */
	int n = c->n < 8 ? c->n : 8;
	switch (c->what) {
	case I_CHILDREN:
		f.strategy = OT_ONE_FOR_ALL;
		for (int i = 0; i < n; i++) {
			char id[8];
			snprintf(id, sizeof(id), "k%d", i);
			ch[i] = worker(id);
		}
		if (ot_sup_init_flags(NULL, &f) == OT_EINVAL &&
		    ot_sup_init_flags(in, NULL) == OT_EINVAL &&
		    ot_sup_init_children(NULL, ch, 1) == OT_EINVAL &&
		    ot_sup_init_children(in, NULL, 1) == OT_EINVAL)
			atomic_store(&c->bad_args, 1);
		/* in two parts: appended in order */
		if (ot_sup_init_children(in, ch, n > 2 ? 2 : n) ||
		    ot_sup_init_children(in, ch + 2, n > 2 ? n - 2 : 0) ||
		    ot_sup_init_children(in, NULL, 0) ||
		    ot_sup_init_flags(in, &f))
			return OT_EINVAL;
		return 0;
	case I_IGNORE:
		return OT_EIGNORED;
	case I_ERROR:
		*reason = ot_reason_error(42, "no config");
		return -5;
	case I_ERROR_BARE:
		return OT_ENOMEM;
	case I_POSITIVE:
		return 7;
	case I_CRASH:
		do_fault(F_NULL_WRITE);
		return 0;
	case I_DUP:
		ch[0] = worker("same");
		ch[1] = worker("same");
		return ot_sup_init_children(in, ch, 2);
	case I_BAD_FLAGS:
		f.strategy = (ot_sup_strategy)9;
		return ot_sup_init_flags(in, &f);
	case I_SIMPLE_TWO:
		f.strategy = OT_SIMPLE_ONE_FOR_ONE;
		ch[0] = worker("t1");
		ch[1] = worker("t2");
		ot_sup_init_flags(in, &f);
		return ot_sup_init_children(in, ch, 2);
	case I_SIGNIFICANT:
		ch[0] = worker("sig");
		ch[0].restart = OT_TRANSIENT;
		ch[0].significant = true;
		return ot_sup_init_children(in, ch, 1);
	case I_CHILD_FAILS:
		ch[0] = worker("k0");
		ch[1] = worker("bad");
		ch[1].server = NULL;
		ch[1].start = sf_fail;
		return ot_sup_init_children(in, ch, 2);
	case I_TOO_MANY:
		ch[0] = worker("k0");
		if (ot_sup_init_children(in, ch, SIZE_MAX) == OT_EINVAL)
			atomic_store(&c->bad_args, 1);
		return 0; /* goes on as if nothing happened */
	case I_SIMPLE:
		f.strategy = OT_SIMPLE_ONE_FOR_ONE;
		ch[0] = worker("tmpl");
		ot_sup_init_flags(in, &f);
		return ot_sup_init_children(in, ch, 1);
	}
	return OT_EINVAL;
}

static struct icfg g_cfg; /* outlives every supervisor of a test */

static struct icfg *cfg(enum what w, int n)
{
	memset(&g_cfg, 0, sizeof(g_cfg));
	g_cfg.what = w;
	g_cfg.n = n;
	return &g_cfg;
}

static void setup(void)
{
	ck_assert_ot_ok(ot_set_logger(ot_log_discard, NULL));
	atomic_store(&g_child_inits, 0);
}

/* Nothing of a failed start is left: no process, no name, no EXIT. */
static void assert_nothing_left(const char *what)
{
	ck_assert_msg(ot_test_wait_quiet(scaled_ms(3000)),
		      "%s: a process is left", what);
	ot_pid p;
	ck_assert_msg(ot_whereis("isup", &p) == OT_ENOTREG,
		      "%s: the name is left", what);
	ot_msg *m = NULL;
	ck_assert_msg(ot_receive(&m, 0) == OT_ETIMEDOUT,
		      "%s: a message is left (tag %llx)", what,
		      m ? (unsigned long long)ot_msg_tag(m) : 0ULL);
}

/* ---- tests --------------------------------------------------------------- */

/* supervisor_SUITE:sup_start_normal, with init/1 computing the children:
 * they start in the order given, the flags are init's (one_for_all: one
 * killed, all restarted); init ran once, trapping exits. */
START_TEST(test_init_children)
{
	struct icfg *c = cfg(I_CHILDREN, 5);
	ot_pid sup;
	ot_reason why;
	ck_assert_ot_ok(
	    ot_supervisor_start_link_init(sup_init, c, "isup", &sup, &why));
	ck_assert_int_eq(atomic_load(&c->runs), 1);
	ck_assert(atomic_load(&c->trapped));
	ck_assert_int_eq(atomic_load(&c->bad_args), 1);
	ot_child_info k[5];
	ck_assert_int_eq(kids(sup, k, 5), 5);
	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof(id), "k%d", i);
		ck_assert_str_eq(k[i].id, id);
		ck_assert_int_eq(k[i].status, OT_CHILD_RUNNING);
	}
	assert_pid(ot_supervisor_named("isup"), sup, "named");
	ot_ref r = ot_test_monitor(k[3].pid);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(k[3].pid, &kill));
	(void)ot_test_expect_down(r, 3000, "k3");
	ot_child_info k0;
	int64_t until = now_ms() + scaled_ms(3000);
	do {
		ck_assert_ot_ok(ot_supervisor_which_child(sup, "k0", &k0));
	} while (ot_pid_equal(k0.pid, k[0].pid) && now_ms() < until);
	ck_assert_msg(!ot_pid_equal(k0.pid, k[0].pid),
		      "one_for_all: k0 was not restarted");
	ck_assert_int_eq(atomic_load(&c->runs), 1);
	ck_assert_ot_ok(ot_supervisor_stop(sup, OT_INFINITY));
}
END_TEST

/* supervisor_SUITE:sup_start_ignore_init: ignore from init: the start
 * answers OT_EIGNORED and leaves nothing (no process, name, or EXIT). */
START_TEST(test_init_ignore)
{
	ot_pid sup = OT_PID_NONE;
	ck_assert_ot_err(ot_supervisor_start_link_init(
			     sup_init, cfg(I_IGNORE, 0), "isup", &sup, NULL),
			 OT_EIGNORED);
	assert_nothing_left("ignore");
}
END_TEST

/* supervisor_SUITE:sup_start_error_return: an init that fails: its
 * reason, or one made from its code. Loop: with a reason (0), without
 * (1), a positive code (2). */
START_TEST(test_init_error)
{
	static const enum what w[] = {I_ERROR, I_ERROR_BARE, I_POSITIVE};
	ot_reason why, want;
	memset(&why, 0, sizeof(why));
	ck_assert_ot_err(ot_supervisor_start_link_init(sup_init, cfg(w[_i], 0),
						       "isup", NULL, &why),
			 OT_EINITSTOP);
	want = _i == 0	 ? ot_reason_error(42, "no config")
	       : _i == 1 ? ot_reason_error(OT_ENOMEM, ot_strerror(OT_ENOMEM))
			 : ot_reason_error(7, ot_strerror(7));
	assert_reason(&why, &want, "init's failure");
	assert_nothing_left("error");
	/* reason may be NULL */
	ck_assert_ot_err(ot_supervisor_start_link_init(sup_init, cfg(w[_i], 0),
						       NULL, NULL, NULL),
			 OT_EINITSTOP);
}
END_TEST

/* supervisor_SUITE:sup_start_fail: init crashes: the start fails with the
 * crash's reason. */
START_TEST(test_init_crash)
{
	ot_reason why;
	memset(&why, 0, sizeof(why));
	ck_assert_ot_err(ot_supervisor_start_link_init(
			     sup_init, cfg(I_CRASH, 0), "isup", NULL, &why),
			 OT_EINITSTOP);
	ck_assert_int_eq(why.kind, OT_REASON_CRASH);
	ck_assert_int_eq(why.code, SIGSEGV);
	assert_nothing_left("crash");
}
END_TEST

/* supervisor_SUITE:sup_flags, child_specs, sup_start_map_faulty_specs: a
 * spec from init that is not valid: OT_EBADSPEC, the reason saying what,
 * no child started. Loop over the faults. */
START_TEST(test_init_bad_spec)
{
	static const enum what w[] = {I_DUP, I_BAD_FLAGS, I_SIMPLE_TWO,
				      I_SIGNIFICANT};
	static const char *const word[] = {"duplicate", "strategy", "simple",
					   "significant"};
	ot_reason why;
	memset(&why, 0, sizeof(why));
	ck_assert_ot_err(ot_supervisor_start_link_init(sup_init, cfg(w[_i], 0),
						       "isup", NULL, &why),
			 OT_EBADSPEC);
	ck_assert_int_eq(why.kind, OT_REASON_ERROR);
	ck_assert_int_eq(why.code, OT_EBADSPEC);
	ck_assert_msg(strstr(why.text, word[_i]), "reason \"%s\", want %s",
		      why.text, word[_i]);
	ck_assert_int_eq(atomic_load(&g_child_inits), 0);
	assert_nothing_left("bad spec");
}
END_TEST

/* supervisor_SUITE:sup_start_child_returns_error (at start): a child of
 * init's that cannot start fails the start ({shutdown,
 * failed_to_start_child}); the one started before it is stopped. The
 * builder's bad size fails the start even when init then returns 0. */
START_TEST(test_init_child_fails)
{
	ot_reason why;
	memset(&why, 0, sizeof(why));
	ck_assert_ot_err(ot_supervisor_start_link_init(sup_init,
						       cfg(I_CHILD_FAILS, 0),
						       "isup", NULL, &why),
			 OT_EINITSTOP);
	ck_assert_int_eq(why.kind, OT_REASON_SHUTDOWN_DETAIL);
	ck_assert_msg(strstr(why.text, "failed_to_start_child,bad"),
		      "reason \"%s\"", why.text);
	ck_assert_int_eq(atomic_load(&g_child_inits), 1);
	assert_nothing_left("child fails");

	struct icfg *c = cfg(I_TOO_MANY, 0);
	ck_assert_ot_err(
	    ot_supervisor_start_link_init(sup_init, c, NULL, NULL, &why),
	    OT_EINITSTOP);
	ck_assert_int_eq(atomic_load(&c->bad_args), 1);
	ck_assert_int_eq(why.kind, OT_REASON_ERROR);
	ck_assert_int_eq(why.code, OT_EINVAL);
	ck_assert_int_eq(atomic_load(&g_child_inits), 1);
	assert_nothing_left("too many");
}
END_TEST

/* A supervisor restarted by its own supervisor runs init again (OTP: the
 * child's start is supervisor:start_link(Mod, Args) each time). */
static int sf_init_sup(void *arg, const void *extra, size_t extra_size,
		       ot_pid *out, ot_reason *reason)
{
	(void)extra;
	(void)extra_size;
	return ot_supervisor_start_link_init(sup_init, arg, NULL, out, reason);
}

START_TEST(test_init_runs_again)
{
	struct icfg *c = cfg(I_CHILDREN, 2);
	ot_child_spec inner = worker("inner");
	inner.server = NULL;
	inner.start = sf_init_sup;
	inner.arg = c;
	inner.type = OT_SUPERVISOR;
	inner.shutdown_ms = OT_INFINITY;
	ot_pid top = sup_start(&(ot_sup_flags){0}, &inner, 1);
	ck_assert_int_eq(atomic_load(&c->runs), 1);
	ot_child_info in;
	ck_assert_ot_ok(ot_supervisor_which_child(top, "inner", &in));
	ot_child_info k[2];
	ck_assert_int_eq(kids(in.pid, k, 2), 2);
	/* It ends abnormally (through its terminate), and its supervisor
	 * restarts it. */
	ot_reason err = ot_reason_error(1, "stopped for the test");
	ck_assert_ot_ok(ot_gen_server_stop(in.pid, &err, scaled_ms(3000)));
	ot_child_info again;
	int64_t until = now_ms() + scaled_ms(3000);
	do {
		ck_assert_ot_ok(
		    ot_supervisor_which_child(top, "inner", &again));
	} while ((again.status != OT_CHILD_RUNNING ||
		  ot_pid_equal(again.pid, in.pid)) &&
		 now_ms() < until);
	ck_assert_int_eq(again.status, OT_CHILD_RUNNING);
	ck_assert(!ot_pid_equal(again.pid, in.pid));
	ck_assert_int_eq(atomic_load(&c->runs), 2);
	ck_assert_int_eq(kids(again.pid, k, 2), 2);
	ck_assert_ot_ok(ot_supervisor_stop(top, OT_INFINITY));
}
END_TEST

/* simple_one_for_one from init: children from the template. */
START_TEST(test_init_simple)
{
	ot_pid sup;
	ck_assert_ot_ok(ot_supervisor_start_link_init(
	    sup_init, cfg(I_SIMPLE, 0), NULL, &sup, NULL));
	ck_assert_uint_eq(counts(sup).active, 0);
	ot_pid c;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &c, NULL));
	ck_assert_uint_eq(counts(sup).active, 1);
	ck_assert_ot_ok(ot_supervisor_stop(sup, OT_INFINITY));
}
END_TEST

/* Bad arguments, and a name that is taken (OT_EALREADY, its holder). */
START_TEST(test_init_args)
{
	ck_assert_ot_err(
	    ot_supervisor_start_link_init(NULL, NULL, NULL, NULL, NULL),
	    OT_EINVAL);
	char longname[OT_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_ot_err(ot_supervisor_start_link_init(sup_init,
						       cfg(I_CHILDREN, 1),
						       longname, NULL, NULL),
			 OT_ENAMETOOLONG);
	ck_assert_int_eq(atomic_load(&g_cfg.runs), 0);
	ot_pid first, got = OT_PID_NONE;
	ck_assert_ot_ok(ot_supervisor_start_link_init(
	    sup_init, cfg(I_CHILDREN, 1), "isup", &first, NULL));
	ck_assert_ot_err(
	    ot_supervisor_start_link_init(sup_init, &g_cfg, "isup", &got, NULL),
	    OT_EALREADY);
	assert_pid(got, first, "the name's holder");
	ck_assert_int_eq(atomic_load(&g_cfg.runs), 1);
	ck_assert_ot_ok(ot_supervisor_stop(first, OT_INFINITY));
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static Suite *init_suite(void)
{
	Suite *s = suite_create("supervisor_init");
	TCase *tc = ot_test_tcase("init", 20);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init_children);
	tcase_add_test(tc, test_init_ignore);
	tcase_add_loop_test(tc, test_init_error, 0, 3);
	tcase_add_loop_test(tc, test_init_bad_spec, 0, 4);
	tcase_add_test(tc, test_init_child_fails);
	tcase_add_test(tc, test_init_runs_again);
	tcase_add_test(tc, test_init_simple);
	tcase_add_test(tc, test_init_args);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("crash_init", 20);
	tcase_set_tags(tc, "crash");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init_crash);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(init_suite());
}
