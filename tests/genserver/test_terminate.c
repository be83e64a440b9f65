/* SPDX-License-Identifier: MIT */
/*
 * test_terminate.c — how a server ends (gen_server.c), as OTP's
 * gen_server does it: an ot_exit() from any callback runs terminate with
 * its reason, as a crash does (try_dispatch catches exit and error alike);
 * a reply returned with a stop reaches the caller whatever terminate does
 * (`try terminate(...) after reply(...)`); a terminate that crashes or
 * exits ends the server with its own reason, and ot_gen_server_stop()
 * says so; a format_status that crashes leaves the reason alone and puts a
 * placeholder in the report; a server killed inside terminate leaks
 * nothing it was stopping for.
 */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "gs_test.h"

#include "faults.h"

/* Events to the test thread. */
enum { EV_TERMINATE = GS_EV_BASE, EV_BLOCKED, EV_INIT };

/* What terminate does after its event. */
enum { TM_RETURN, TM_CRASH, TM_EXIT, TM_BLOCK };

/* Where a callback calls ot_exit() (loop index). */
enum { W_CALL, W_CAST, W_INFO, W_CONTINUE, W_COUNT };
static const char *const where_names[] = {"handle_call", "handle_cast",
					  "handle_info", "handle_continue"};

enum {
	OP_PING = 1,
	OP_STOP_REPLY,
	OP_STOP,
	OP_EXIT,
	OP_CRASH,
	OP_CONTINUE_EXIT
};
enum { T_EXIT = 1000 }; /* an info: ot_exit() with its payload reason */

struct cfg {
	int terminate;	    /* TM_* */
	int fault;	    /* TM_CRASH: which */
	ot_reason exit_why; /* TM_EXIT: with what */
	bool bad_format;    /* format_status faults */
};

struct req {
	int op;
	int fault;
	ot_reason reason;
};

/* States come from a static pool: a killed server frees nothing. */
struct st {
	struct cfg cfg;
	char reply[16];
	ot_reason continue_exit;
};
#define POOL 64
static struct st pool[POOL];
static atomic_int pool_n;

static ot_gs_ret t_init(void *arg, void **state)
{
	struct st *s = &pool[atomic_fetch_add(&pool_n, 1) % POOL];
	memset(s, 0, sizeof *s);
	s->cfg = *(const struct cfg *)arg;
	*state = s;
	return ot_gs_ok();
}

static ot_gs_ret t_call(const void *request, size_t size, ot_gs_from from,
			void **state)
{
	(void)from;
	struct st *s = *state;
	struct req q;
	if (size != sizeof q)
		return ot_gs_stop(ot_reason_error(-1, "bad request"));
	memcpy(&q, request, sizeof q);
	switch (q.op) {
	case OP_STOP_REPLY:
		snprintf(s->reply, sizeof s->reply, "goodbye");
		return ot_gs_stop_reply(q.reason, s->reply, 8);
	case OP_EXIT:
		ot_exit(&q.reason);
		break;
	case OP_CRASH:
		do_fault(q.fault);
		break;
	default:
		break;
	}
	return ot_gs_reply(s->reply, 1);
}

static ot_gs_ret t_cast(const void *request, size_t size, void **state)
{
	struct st *s = *state;
	struct req q;
	if (size != sizeof q)
		return ot_gs_stop(ot_reason_error(-1, "bad request"));
	memcpy(&q, request, sizeof q);
	ot_gs_ret r = ot_gs_noreply();
	switch (q.op) {
	case OP_STOP:
		return ot_gs_stop(q.reason);
	case OP_EXIT:
		ot_exit(&q.reason);
		break;
	case OP_CRASH:
		do_fault(q.fault);
		break;
	case OP_CONTINUE_EXIT:
		s->continue_exit = q.reason;
		r.has_continue = true;
		break;
	default:
		break;
	}
	return r;
}

static ot_gs_ret t_info(const ot_msg *msg, void **state)
{
	(void)state;
	ot_reason why;
	if (ot_msg_tag(msg) == T_EXIT && ot_msg_size(msg) == sizeof why) {
		memcpy(&why, ot_msg_data(msg), sizeof why);
		ot_exit(&why);
	}
	return ot_gs_noreply();
}

static ot_gs_ret t_continue(uint64_t arg, void **state)
{
	(void)arg;
	struct st *s = *state;
	ot_exit(&s->continue_exit);
	return ot_gs_noreply();
}

static void t_terminate(const ot_reason *reason, void *state)
{
	struct st *s = state;
	gs_event(EV_TERMINATE, 0, reason);
	memset(s->reply, 0xEE, sizeof s->reply); /* as a free would */
	switch (s->cfg.terminate) {
	case TM_CRASH:
		do_fault(s->cfg.fault);
		break;
	case TM_EXIT:
		ot_exit(&s->cfg.exit_why);
		break;
	case TM_BLOCK: {
		gs_event(EV_BLOCKED, 0, NULL);
		ot_msg *m;
		while (ot_receive(&m, OT_INFINITY) == 0)
			ot_msg_free(m);
		break;
	}
	default:
		break;
	}
}

static int t_format(void *state, char *buf, size_t size)
{
	struct st *s = state;
	if (s->cfg.bad_format)
		do_fault(F_NULL_WRITE);
	return snprintf(buf, size, "fine state");
}

static const ot_gen_server_callbacks t_cb = {
    .init = t_init,
    .handle_call = t_call,
    .handle_cast = t_cast,
    .handle_info = t_info,
    .handle_continue = t_continue,
    .terminate = t_terminate,
    .format_status = t_format,
};

static struct req mkreq(int op, ot_reason reason)
{
	struct req q;
	memset(&q, 0, sizeof q);
	q.op = op;
	q.reason = reason;
	return q;
}

static struct cfg mkcfg(int terminate, int fault)
{
	struct cfg c;
	memset(&c, 0, sizeof c);
	c.terminate = terminate;
	c.fault = fault;
	c.exit_why = ot_reason_error(77, "exit in terminate");
	return c;
}

/* The reason a fault gives. */
static void assert_fault(const ot_reason *r, int fault, const char *what)
{
	static const int sigs[] = {SIGSEGV, SIGFPE, SIGABRT, SIGABRT};
	char text[OT_REASON_STRLEN];
	ot_reason_format(r, text, sizeof text);
	ck_assert_msg(r->kind == OT_REASON_CRASH && r->code == sigs[fault],
		      "%s: reason %s, want a crash by %s", what, text,
		      fault_names[fault]);
}

/* ---- {stop, Reason, Reply, State}: the reply goes out whatever terminate
 * does ------------------------------------------------------------------- */

/* Loop: terminate faults with a NULL write (0) or abort (1), or calls
 * ot_exit (2). The caller gets "goodbye" (copied before terminate
 * scribbled over it); the server ends with terminate's own reason.
 * OTP: gen_server.erl handle_msg, `try terminate(...) after reply(...)`. */
START_TEST(test_stop_reply_survives_bad_terminate)
{
	static const int modes[] = {TM_CRASH, TM_CRASH, TM_EXIT};
	static const int faults[] = {F_NULL_WRITE, F_ABORT, 0};
	struct cfg c = mkcfg(modes[_i], faults[_i]);
	ot_pid srv = gs_start(&t_cb, &c);
	ot_ref ref = ot_test_monitor(srv);
	struct req q = mkreq(OP_STOP_REPLY, ot_reason_shutdown());
	char out[16] = "";
	size_t n = 0;
	ot_reason why;
	memset(&why, 0, sizeof why);
	int rc = ot_gen_server_call(srv, &q, sizeof q, out, sizeof out, &n,
				    scaled_ms(3000), &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof text);
	ck_assert_msg(rc == 0, "stop_reply, terminate %s: %s (%s)",
		      modes[_i] == TM_EXIT ? "exits" : fault_names[faults[_i]],
		      ot_err_name(rc), text);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(out, "goodbye");
	struct gs_ev e = gs_expect_event(EV_TERMINATE, "terminate");
	assert_reason(&e.reason, &q.reason, "terminate's reason");
	ot_reason down = ot_test_expect_down(ref, 3000, "stop_reply").reason;
	if (modes[_i] == TM_EXIT)
		assert_reason(&down, &c.exit_why,
			      "ended with terminate's exit");
	else
		assert_fault(&down, faults[_i], "ended with terminate's crash");
}
END_TEST

/* ---- ot_exit() in a callback runs terminate ------------------------------ */

static void exit_from(int where, ot_pid srv, ot_reason why)
{
	struct req q = mkreq(OP_EXIT, why);
	switch (where) {
	case W_CALL: {
		char out[16];
		ot_reason got;
		memset(&got, 0, sizeof got);
		ck_assert_ot_err(ot_gen_server_call(srv, &q, sizeof q, out,
						    sizeof out, NULL,
						    scaled_ms(3000), &got),
				 OT_ESERVERDIED);
		assert_reason(&got, &why, "the caller's reason");
		break;
	}
	case W_CAST:
		ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof q));
		break;
	case W_INFO:
		ck_assert_ot_ok(ot_send(srv, T_EXIT, &why, sizeof why));
		break;
	default:
		q.op = OP_CONTINUE_EXIT;
		ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof q));
		break;
	}
}

/* Loop: callback x reason (an error, shutdown, normal, kill). terminate
 * runs with the reason and the server ends with it; only the error is
 * reported. gen_server_SUITE:crash (exit_shutdown: exit(shutdown) in
 * handle_call, no report), OTP's try_dispatch `Class:R:Stacktrace`. */
START_TEST(test_exit_in_callback_runs_terminate)
{
	int where = _i % W_COUNT, kind = _i / W_COUNT;
	ot_reason reasons[] = {ot_reason_error(42, "exit in a callback"),
			       ot_reason_shutdown(), ot_reason_normal(),
			       ot_reason_kill()};
	ot_reason why = reasons[kind];
	char what[OT_REASON_STRLEN + 64], text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof text);
	snprintf(what, sizeof what, "ot_exit(%s) in %s", text,
		 where_names[where]);
	struct cfg c = mkcfg(TM_RETURN, 0);
	ot_pid srv = gs_start(&t_cb, &c);
	ot_ref ref = ot_test_monitor(srv);
	exit_from(where, srv, why);
	struct gs_ev e = gs_expect_event(EV_TERMINATE, what);
	assert_reason(&e.reason, &why, what);
	ot_reason down = ot_test_expect_down(ref, 3000, what).reason;
	assert_reason(&down, &why, what);
	if (kind == 0)
		ck_assert_msg(
		    ot_test_log_wait(OT_TEST_NEED("exit in a callback"), 2000,
				     NULL, 0),
		    "%s: no report", what);
}
END_TEST

/* ---- a terminate that crashes or exits: its reason ----------------------- */

/* gen_server_SUITE:terminate_crash_format: a terminate that raises ends
 * the server with terminate's reason ({crash, terminate}), and the stop
 * that led there fails with it. */
START_TEST(test_terminate_crash_is_the_reason)
{
	/* ot_gen_server_stop, terminate faults: stop fails */
	struct cfg c = mkcfg(TM_CRASH, F_NULL_WRITE);
	ot_pid srv = gs_start(&t_cb, &c);
	ot_ref ref = ot_test_monitor(srv);
	ck_assert_ot_err(ot_gen_server_stop(srv, NULL, scaled_ms(3000)),
			 OT_ESERVERDIED);
	ot_reason down =
	    ot_test_expect_down(ref, 3000, "stop, crash in terminate").reason;
	assert_fault(&down, F_NULL_WRITE, "stop, crash in terminate");
	gs_expect_event(EV_TERMINATE, "stop");

	/* a stop from handle_cast, terminate exits */
	c = mkcfg(TM_EXIT, 0);
	srv = gs_start(&t_cb, &c);
	ref = ot_test_monitor(srv);
	struct req q = mkreq(OP_STOP, ot_reason_error(5, "stopping"));
	ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof q));
	struct gs_ev e = gs_expect_event(EV_TERMINATE, "cast stop");
	assert_reason(&e.reason, &q.reason, "terminate after a cast stop");
	down = ot_test_expect_down(ref, 3000, "cast stop, exit in terminate")
		   .reason;
	assert_reason(&down, &c.exit_why, "cast stop, exit in terminate");

	/* a crash in handle_cast, then another in terminate: the second */
	c = mkcfg(TM_CRASH, F_NULL_WRITE);
	srv = gs_start(&t_cb, &c);
	ref = ot_test_monitor(srv);
	q = mkreq(OP_CRASH, ot_reason_normal());
	q.fault = F_DIV_ZERO;
	ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof q));
	e = gs_expect_event(EV_TERMINATE, "crash");
	assert_fault(&e.reason, F_DIV_ZERO, "terminate after a crash");
	down =
	    ot_test_expect_down(ref, 3000, "crash, then a crash in terminate")
		.reason;
	assert_fault(&down, F_NULL_WRITE, "crash, then a crash in terminate");

	/* ot_exit in handle_info, then a crash in terminate: the crash */
	srv = gs_start(&t_cb, &c);
	ref = ot_test_monitor(srv);
	ot_reason bye = ot_reason_error(6, "bye");
	ck_assert_ot_ok(ot_send(srv, T_EXIT, &bye, sizeof bye));
	e = gs_expect_event(EV_TERMINATE, "exit");
	assert_reason(&e.reason, &bye, "terminate after an exit");
	down = ot_test_expect_down(ref, 3000, "exit, then a crash in terminate")
		   .reason;
	assert_fault(&down, F_NULL_WRITE, "exit, then a crash in terminate");
}
END_TEST

/* ---- format_status that crashes ------------------------------------------ */

/* A crash in format_status while the report is written keeps the reason
 * the server ends with (a stop's, or a callback's crash), terminate still
 * runs, and the report shows a placeholder for the state. get_state
 * answers with the placeholder and the server lives on.
 * OTP: gen:format_status catches the callback's crash. */
START_TEST(test_format_status_crash_keeps_reason)
{
	struct cfg c = mkcfg(TM_RETURN, 0);
	c.bad_format = true;

	/* get_state */
	ot_pid srv = gs_start(&t_cb, &c);
	ot_ref ref = ot_test_monitor(srv);
	char buf[128] = "";
	ck_assert_ot_ok(
	    ot_gen_server_get_state(srv, buf, sizeof buf, scaled_ms(3000)));
	ck_assert_msg(strstr(buf, "format_status crashed"), "get_state: \"%s\"",
		      buf);
	ck_assert(ot_is_alive(srv));

	/* a stop with a reason that is reported */
	struct req q = mkreq(OP_STOP, ot_reason_error(9, "unclean stop"));
	ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof q));
	struct gs_ev e = gs_expect_event(EV_TERMINATE, "stop");
	assert_reason(&e.reason, &q.reason, "terminate after the stop");
	ot_reason down =
	    ot_test_expect_down(ref, 3000, "stop, format_status crashes")
		.reason;
	assert_reason(&down, &q.reason, "stop, format_status crashes");
	ck_assert_msg(
	    ot_test_log_wait(OT_TEST_NEED("unclean stop"), 2000, NULL, 0),
	    "no report of the stop");
	ck_assert_msg(ot_test_log_contains("format_status crashed"),
		      "the report has no placeholder for the state");

	/* a crash in a callback */
	srv = gs_start(&t_cb, &c);
	ref = ot_test_monitor(srv);
	q = mkreq(OP_CRASH, ot_reason_normal());
	q.fault = F_DIV_ZERO;
	ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof q));
	e = gs_expect_event(EV_TERMINATE, "crash");
	assert_fault(&e.reason, F_DIV_ZERO, "terminate after the crash");
	down = ot_test_expect_down(ref, 3000, "crash, format_status crashes")
		   .reason;
	assert_fault(&down, F_DIV_ZERO, "crash, format_status crashes");
}
END_TEST

/* ---- killed inside terminate --------------------------------------------- */

/* A stop that times out while terminate blocks, then a kill: the stop
 * request (and anything else the server was handling) is not leaked.
 * After 1,000 rounds to warm the caches up, 3,000 more would leak 3,000
 * stop messages (~700 KB): malloc's count of bytes in use, less what the
 * schedulers' message caches hold (they fill up to their bound), must
 * grow by less than a third of that. (A stop that does not wait, timeout
 * 0, times out at once.) */
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
/* Bytes malloc has handed out, less those the message caches hold. */
__attribute__((unused)) static size_t in_use_by_messages(void)
{
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	return mallinfo2().uordblks - st.message_cache_bytes;
}
#endif

START_TEST(test_killed_in_terminate_leaks_nothing)
{
#if defined(OT_TEST_ASAN) || defined(OT_TEST_TSAN) ||                          \
    defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) ||           \
    !defined(__GLIBC__) || __GLIBC__ < 2 ||                                    \
    (__GLIBC__ == 2 && __GLIBC_MINOR__ < 33)
	return; /* the sanitizers' allocators (LSan checks this instead), or
		   no mallinfo2() */
#else
	if (ot_test_under_valgrind())
		return;
	struct cfg c = mkcfg(TM_BLOCK, 0);
	ot_reason stop_why = ot_reason_shutdown_detail("stop that times out");
	enum { WARM = 1000, ROUNDS = 3000 };
	size_t before = 0;
	for (int i = 0; i < WARM + ROUNDS; i++) {
		if (i == WARM)
			before = in_use_by_messages();
		ot_pid srv = gs_start(&t_cb, &c);
		ot_ref ref = ot_test_monitor(srv);
		ck_assert_ot_err(ot_gen_server_stop(srv, &stop_why, 0),
				 OT_ETIMEDOUT);
		gs_expect_event(EV_BLOCKED, "terminate blocks");
		ot_reason kill = ot_reason_kill();
		ck_assert_ot_ok(ot_exit_pid(srv, &kill));
		ot_test_expect_down(ref, 3000, "killed in terminate").reason;
		gs_expect_event(EV_TERMINATE, "terminate ran");
	}
	size_t after = in_use_by_messages();
	ck_assert_msg(after < before + ROUNDS * 80,
		      "%d servers killed in terminate: %zu bytes more in use",
		      ROUNDS, after - before);
#endif
}
END_TEST

static Suite *terminate_suite(void)
{
	Suite *s = suite_create("terminate");
	TCase *tc = gs_crash_tcase("crash_stop_reply", 20);
	tcase_add_loop_test(tc, test_stop_reply_survives_bad_terminate, 0, 3);
	suite_add_tcase(s, tc);

	tc = gs_tcase("exit_in_callback", 20);
	tcase_add_loop_test(tc, test_exit_in_callback_runs_terminate, 0,
			    W_COUNT * 4);
	suite_add_tcase(s, tc);

	tc = gs_crash_tcase("crash_terminate", 20);
	tcase_add_test(tc, test_terminate_crash_is_the_reason);
	tcase_add_test(tc, test_format_status_crash_keeps_reason);
	suite_add_tcase(s, tc);

	tc = gs_tcase("killed", 60);
	tcase_add_test(tc, test_killed_in_terminate_leaks_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(terminate_suite());
}
