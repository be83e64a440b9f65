/* SPDX-License-Identifier: MIT */
/*
 * test_callbacks.c — callbacks a server does not have, and what init may
 * answer (gen_server.c): a cast or a continue without its callback stops
 * the server with a reason that names it (OTP: undef), an info without
 * handle_info is logged and dropped (OTP's default handle_info); init's
 * error, told apart from its stop (OTP 26's {error, Reason}).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gs_test.h"

enum { EV_TERMINATE = GS_EV_BASE };
enum { T_INFO = 1000 };

/* What init returns: ok, ok with a continue, an error, a stop. */
enum { I_OK, I_CONTINUE, I_ERROR, I_STOP };
enum { EV_INIT = GS_EV_BASE + 1, EV_START_RES };

static ot_gs_ret c_init(void *arg, void **state)
{
	int what = arg ? *(const int *)arg : I_OK;
	*state = NULL;
	gs_event(EV_INIT, 0, NULL);
	ot_gs_ret r = ot_gs_ok();
	switch (what) {
	case I_CONTINUE:
		r.has_continue = true;
		r.continue_arg = 7;
		break;
	case I_ERROR:
		return ot_gs_error(ot_reason_error(12, "init says no"));
	case I_STOP:
		return ot_gs_stop(ot_reason_error(13, "init stops"));
	default:
		break;
	}
	return r;
}

static ot_gs_ret c_call(const void *request, size_t size, ot_gs_from from,
			void **state)
{
	(void)request, (void)size, (void)from, (void)state;
	return ot_gs_reply("pong", 5);
}

static void c_terminate(const ot_reason *reason, void *state)
{
	(void)state;
	gs_event(EV_TERMINATE, 0, reason);
}

/* init, handle_call and terminate only. */
static const ot_gen_server_callbacks bare_cb = {
    .init = c_init,
    .handle_call = c_call,
    .terminate = c_terminate,
};

static void assert_names(const ot_reason *r, const char *callback,
			 const char *what)
{
	char text[OT_REASON_STRLEN];
	ot_reason_format(r, text, sizeof text);
	ck_assert_msg(r->kind == OT_REASON_ERROR && strstr(text, callback),
		      "%s: reason %s, want an error naming %s", what, text,
		      callback);
}

/* A cast to a server without handle_cast stops it (terminate runs), with
 * a reason that says so. gen_server_SUITE's undef: try_dispatch calls
 * Mod:handle_cast, which raises undef. */
START_TEST(test_cast_without_handle_cast_stops)
{
	ot_pid srv = gs_start(&bare_cb, NULL);
	ot_ref ref = ot_test_monitor(srv);
	ck_assert_ot_ok(ot_gen_server_cast(srv, "x", 1));
	struct gs_ev e = gs_expect_event(EV_TERMINATE, "cast");
	assert_names(&e.reason, "handle_cast", "terminate's reason");
	ot_reason down =
	    ot_test_expect_down(ref, 3000, "cast without handle_cast").reason;
	assert_reason(&down, &e.reason, "cast without handle_cast");
	ck_assert_msg(
	    ot_test_log_wait(OT_TEST_NEED("handle_cast"), 2000, NULL, 0),
	    "no report");
}
END_TEST

/* A continue asked for by a server without handle_continue stops it. */
START_TEST(test_continue_without_handle_continue_stops)
{
	static const int cont = I_CONTINUE;
	ot_pid p;
	ot_reason why;
	/* the continue runs right after the start */
	int rc = ot_gen_server_start(&bare_cb, (void *)&cont, NULL, &p, &why);
	ck_assert_ot_ok(rc);
	ot_ref ref = ot_test_monitor(p);
	struct gs_ev e = gs_expect_event(EV_TERMINATE, "continue");
	assert_names(&e.reason, "handle_continue", "terminate's reason");
	ot_reason down = ot_test_expect_down(ref, 3000, "continue").reason;
	if (down.kind != OT_REASON_NOPROC) /* (it may be gone already) */
		assert_reason(&down, &e.reason, "continue");
}
END_TEST

/* An info without handle_info is logged and dropped; the server serves
 * on. OTP: try_dispatch logs {gen_server, no_handle_info}. */
START_TEST(test_info_without_handle_info_is_logged)
{
	ot_pid srv = gs_start(&bare_cb, NULL);
	int64_t v = 5;
	ck_assert_ot_ok(ot_send(srv, T_INFO, &v, sizeof v));
	ck_assert_msg(
	    ot_test_log_wait(OT_TEST_NEED("handle_info"), 2000, NULL, 0),
	    "no report of the unhandled info");
	char out[8];
	ck_assert_ot_ok(ot_gen_server_call(srv, "ping", 5, out, sizeof out,
					   NULL, scaled_ms(3000), NULL));
	ck_assert_str_eq(out, "pong");
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
	gs_expect_event(EV_TERMINATE, "stop");
}
END_TEST

/* ---- init's error -------------------------------------------------------- */

struct start_res {
	int rc;
	ot_reason why;
	int nmsgs; /* what the starter found in its mailbox after */
};

/* Starts with start_link from a process that traps exits, and reports
 * what came back and what reached its mailbox. */
static void starter(void *arg)
{
	ot_trap_exit(true, NULL);
	struct start_res r;
	memset(&r, 0, sizeof r);
	ot_gen_server_opts o = {.name = "gs_init_error"};
	r.rc = ot_gen_server_start_link(&bare_cb, arg, &o, NULL, &r.why);
	ot_msg *m;
	while (ot_receive(&m, 20) == 0) {
		r.nmsgs++;
		ot_msg_free(m);
	}
	ot_send(gs_test_pid, EV_START_RES, &r, sizeof r);
}

static bool is_start_res(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == EV_START_RES;
}

static struct start_res run_starter(const int *what)
{
	ck_assert_ot_ok(ot_spawn(starter, (void *)what, NULL, NULL));
	ot_msg *m = NULL;
	ck_assert_ot_ok(
	    ot_receive_match(is_start_res, NULL, &m, scaled_ms(3000)));
	struct start_res r;
	memcpy(&r, ot_msg_data(m), sizeof r);
	ot_msg_free(m);
	return r;
}

/* init's error: start returns OT_EINITERROR with the reason, no report is
 * written, the name is free, and a start_link caller finds no EXIT; init's
 * stop is still OT_EINITSTOP, reported. gen_server_SUITE:start (OTP 26:
 * `{error, Reason}` from init, proc_lib:init_fail with {exit, normal}). */
START_TEST(test_init_error_is_not_a_stop)
{
	static const int error = I_ERROR, stop = I_STOP;
	ot_reason want = ot_reason_error(12, "init says no");
	struct start_res r = run_starter(&error);
	ck_assert_ot_err(r.rc, OT_EINITERROR);
	assert_reason(&r.why, &want, "init's error");
	ck_assert_int_eq(r.nmsgs, 0);
	ot_pid holder;
	ck_assert_ot_err(ot_whereis("gs_init_error", &holder), OT_ENOTREG);
	gs_expect_event(EV_INIT, "init ran");
	ot_sleep(20);
	ck_assert_int_eq(ot_test_log_count(), 0);

	/* from a foreign thread, without a link */
	ot_reason why;
	memset(&why, 0, sizeof why);
	ck_assert_ot_err(
	    ot_gen_server_start(&bare_cb, (void *)&error, NULL, NULL, &why),
	    OT_EINITERROR);
	assert_reason(&why, &want, "init's error (start)");

	want = ot_reason_error(13, "init stops");
	r = run_starter(&stop);
	ck_assert_ot_err(r.rc, OT_EINITSTOP);
	assert_reason(&r.why, &want, "init's stop");
	ck_assert_int_eq(r.nmsgs, 0);
	ck_assert_msg(
	    ot_test_log_wait(OT_TEST_NEED("init stops"), 2000, NULL, 0),
	    "init's stop: no report");
	gs_expect_no_event(EV_TERMINATE, 20, "terminate after init");
}
END_TEST

/* ot_gs_error() from any callback but init is a bad return. */
static ot_gs_ret error_call(const void *request, size_t size, ot_gs_from from,
			    void **state)
{
	(void)request, (void)size, (void)from, (void)state;
	return ot_gs_error(ot_reason_error(1, "not here"));
}

START_TEST(test_error_outside_init_is_bad_return)
{
	ot_gen_server_callbacks cb = bare_cb;
	cb.handle_call = error_call;
	ot_pid srv = gs_start(&cb, NULL);
	ot_reason why;
	char out[8];
	ck_assert_ot_err(ot_gen_server_call(srv, "x", 1, out, sizeof out, NULL,
					    scaled_ms(3000), &why),
			 OT_ESERVERDIED);
	assert_names(&why, "bad return value from handle_call", "error");
}
END_TEST

static Suite *callbacks_suite(void)
{
	Suite *s = suite_create("callbacks");
	TCase *tc = gs_tcase("missing", 10);
	tcase_add_test(tc, test_cast_without_handle_cast_stops);
	tcase_add_test(tc, test_continue_without_handle_continue_stops);
	tcase_add_test(tc, test_info_without_handle_info_is_logged);
	suite_add_tcase(s, tc);

	tc = gs_tcase("init", 10);
	tcase_add_test(tc, test_init_error_is_not_a_stop);
	tcase_add_test(tc, test_error_outside_init_is_bad_return);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(callbacks_suite());
}
