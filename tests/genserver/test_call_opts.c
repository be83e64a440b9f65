/* SPDX-License-Identifier: MIT */
/*
 * test_call_opts.c — the other ways to call (client.c, by_name.c,
 * multi.c): calls with options whose zero value is the default timeout,
 * "don't wait" said explicitly; owned replies of any size; every client
 * call by registered name; multi_call and abcast on the local node.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client_server.h"

/* Issue 15 item 7: a zeroed options struct is the default timeout
 * (5000 ms), not "don't wait" (gen_server_SUITE:call, call/2's default).
 * Fails on main: there the only timeout is ot_gen_server_call's, where 0
 * returns OT_ETIMEDOUT while the server does the work. */
START_TEST(test_zeroed_opts_wait_the_default)
{
	ot_pid pid = cs_start(NULL);
	struct cs_req rq = cs_req(CS_DELAYED, 100);
	char buf[16];
	size_t n = 0;
	ot_gs_call_opts zero = {0};
	ck_assert_ot_ok(ot_gen_server_call_opts(pid, &rq, sizeof rq, buf,
						sizeof buf, &n, &zero, NULL));
	ck_assert_uint_eq(n, 7);
	ck_assert_ot_ok(ot_gen_server_call_opts(pid, &rq, sizeof rq, buf,
						sizeof buf, &n, NULL, NULL));
	ot_gs_call_opts inf = {.timeout_ms = OT_GS_INFINITY};
	ck_assert_ot_ok(ot_gen_server_call_opts(pid, &rq, sizeof rq, buf,
						sizeof buf, &n, &inf, NULL));
	ot_gs_call_opts some = {.timeout_ms = 2000};
	ck_assert_ot_ok(ot_gen_server_call_opts(pid, &rq, sizeof rq, buf,
						sizeof buf, &n, &some, NULL));
	/* gen_server_SUITE:call ({delayed_answer,30} with 1 ms: timeout) */
	ot_gs_call_opts short_wait = {.timeout_ms = 1};
	ck_assert_ot_err(ot_gen_server_call_opts(pid, &rq, sizeof rq, buf,
						 sizeof buf, &n, &short_wait,
						 NULL),
			 OT_ETIMEDOUT);
	ck_assert_int_eq(cs_count(pid), 6);
	cs_expect_empty_mailbox(0, "late reply");
	cs_stop_all();
}
END_TEST

/* "Don't wait" is explicit: the request is sent and handled, the call
 * returns OT_ETIMEDOUT and no reply is left behind. ot_gen_server_call
 * keeps its meaning of 0 (the same). */
START_TEST(test_nowait_is_explicit)
{
	ot_pid pid = cs_start(NULL);
	/* A reply that takes 30 ms cannot be there already. */
	struct cs_req rq = cs_req(CS_DELAYED, 30);
	char buf[16];
	ot_gs_call_opts nowait = {.timeout_ms = OT_GS_NOWAIT};
	ck_assert_ot_err(ot_gen_server_call_opts(pid, &rq, sizeof rq, buf,
						 sizeof buf, NULL, &nowait,
						 NULL),
			 OT_ETIMEDOUT);
	ot_msg *m = (ot_msg *)buf;
	ck_assert_ot_err(
	    ot_gen_server_call_msg(pid, &rq, sizeof rq, &m, &nowait, NULL),
	    OT_ETIMEDOUT);
	ck_assert_ptr_null(m);
	ck_assert_ot_err(ot_gen_server_call(pid, &rq, sizeof rq, buf,
					    sizeof buf, NULL, 0, NULL),
			 OT_ETIMEDOUT);
	ck_assert_int_eq(cs_count(pid), 4); /* all three were handled */
	cs_expect_empty_mailbox(10, "no-wait calls");
	ot_gs_call_opts bad = {.timeout_ms = OT_GS_NOWAIT - 1};
	ck_assert_ot_err(ot_gen_server_call_opts(pid, &rq, sizeof rq, buf,
						 sizeof buf, NULL, &bad, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_call_msg(pid, &rq, sizeof rq, &m, &bad, NULL),
	    OT_EINVAL);
	ck_assert_int_eq(cs_count(pid), 5); /* bad ones sent nothing */
	cs_stop_all();
}
END_TEST

/* Issue 15 item 6: a reply of any size is handed over (0 B, 1 B, 64 KB,
 * 4 MB), so no OT_ETOOBIG after the server did the work. */
START_TEST(test_owned_reply_of_any_size)
{
	ot_pid pid = cs_start("sized");
	const size_t sizes[] = {0, 1, 64 * 1024, 4 * 1024 * 1024};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct cs_req rq = cs_req(CS_SIZED, 0);
		rq.size = sizes[i];
		rq.n = (int64_t)i + 3;
		ot_msg *m = NULL;
		ck_assert_ot_ok(ot_gen_server_call_msg(pid, &rq, sizeof rq, &m,
						       NULL, NULL));
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(ot_msg_size(m), sizes[i]);
		if (sizes[i])
			ck_assert(cs_filled(ot_msg_data(m), sizes[i], rq.n));
		else
			ck_assert_ptr_null(ot_msg_data(m));
		ot_msg_free(m);
		ck_assert_ot_ok(ot_gen_server_call_msg_name(
		    "sized", &rq, sizeof rq, &m, NULL, NULL));
		ck_assert_uint_eq(ot_msg_size(m), sizes[i]);
		ot_msg_free(m);
	}
	cs_stop_all();
}
END_TEST

START_TEST(test_owned_reply_errors)
{
	ot_pid pid = cs_start(NULL);
	struct cs_req rq = cs_req(CS_STOP_SHUTDOWN, 0);
	ot_msg *m = (ot_msg *)&rq;
	ot_reason why;
	ck_assert_ot_err(
	    ot_gen_server_call_msg(pid, &rq, sizeof rq, &m, NULL, &why),
	    OT_ESERVERDIED);
	ck_assert_ptr_null(m);
	gs_assert_kind(&why, OT_REASON_SHUTDOWN, "stop_shutdown");
	ck_assert_ot_err(
	    ot_gen_server_call_msg(pid, &rq, sizeof rq, &m, NULL, NULL),
	    OT_ENOPROC);
	ck_assert_ot_err(
	    ot_gen_server_call_msg(pid, &rq, sizeof rq, NULL, NULL, NULL),
	    OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_call_msg(pid, NULL, 4, &m, NULL, NULL),
			 OT_EINVAL);
	/* sizes that would wrap (issue 15 item 2) */
	ck_assert_ot_err(
	    ot_gen_server_call_msg(pid, &rq, SIZE_MAX, &m, NULL, NULL),
	    OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_call_msg(pid, &rq, SIZE_MAX - 7, &m, NULL, NULL),
	    OT_EINVAL);
	char buf[8];
	ck_assert_ot_err(ot_gen_server_call_opts(pid, &rq, SIZE_MAX - 7, buf,
						 sizeof buf, NULL, NULL, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_call_msg_name("x", &rq, SIZE_MAX, &m, NULL, NULL),
	    OT_ENOPROC);
	ck_assert_ot_err(
	    ot_gen_server_call_msg_name("x", &rq, 1, NULL, NULL, NULL),
	    OT_EINVAL);
	cs_stop_all();
}
END_TEST

static void *bump(void *state, void *arg)
{
	(void)arg;
	int64_t *handled = state; /* the first field of the state */
	*handled += 100;
	return state;
}

/* Issue 14: every client call by registered name; a name nobody has is
 * OT_ENOPROC (gen_server_SUITE:call, cast, get_state, replace_state,
 * stop4 — stop by name, and noproc for a name nobody has). */
START_TEST(test_calls_by_name)
{
	cs_start("byname");
	struct cs_req rq = cs_req(CS_ALIVE, 0);
	char buf[64];
	size_t n = 0;
	ck_assert_ot_ok(ot_gen_server_cast_name("byname", "c", 1));
	ck_assert_ot_ok(ot_gen_server_call_opts_name(
	    "byname", &rq, sizeof rq, buf, sizeof buf, &n, NULL, NULL));
	ck_assert_uint_eq(n, 2);
	ck_assert_ot_ok(ot_gen_server_replace_state_name("byname", bump, NULL,
							 OT_INFINITY, NULL));
	ck_assert_ot_ok(
	    ot_gen_server_get_state_name("byname", buf, sizeof buf, 5000));
	ck_assert_str_eq(buf, "handled=102");
	ck_assert_ot_ok(ot_gen_server_stop_name("byname", NULL, 5000));

	/* nobody has the name now */
	ck_assert_ot_err(ot_gen_server_call_opts_name("byname", &rq, sizeof rq,
						      buf, sizeof buf, &n, NULL,
						      NULL),
			 OT_ENOPROC);
	ck_assert_ot_err(
	    ot_gen_server_get_state_name("byname", buf, sizeof buf, 5000),
	    OT_ENOPROC);
	ck_assert_ot_err(
	    ot_gen_server_replace_state_name("byname", bump, NULL, 5000, NULL),
	    OT_ENOPROC);
	ck_assert_ot_err(ot_gen_server_stop_name("byname", NULL, 5000),
			 OT_ENOPROC);
	ck_assert_ot_ok(ot_gen_server_cast_name("byname", "c", 1));
	/* bad names and sizes */
	ck_assert_ot_err(ot_gen_server_cast_name(NULL, "c", 1), OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_cast_name("", "c", 1), OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_cast_name("byname", "c", SIZE_MAX),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_cast_name("byname", NULL, 1), OT_EINVAL);
	char longname[OT_NAME_MAX + 2];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	ck_assert_ot_err(ot_gen_server_stop_name(longname, NULL, 10),
			 OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_gen_server_get_state_name(NULL, buf, 1, 10),
			 OT_EINVAL);
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:multicall (and multicall_down's bad node, here the
 * node where no server has the name) */
START_TEST(test_multi_call)
{
	ot_pid pid = cs_start("multi");
	struct cs_req rq = cs_req(CS_ALIVE, 0);
	ot_gs_multi_result res[2];
	ck_assert_int_eq(
	    ot_gen_server_multi_call("multi", &rq, sizeof rq, NULL, res, 2), 1);
	ck_assert_ptr_null(res[0].node);
	ck_assert_ot_ok(res[0].status);
	ck_assert(cs_msg_is(res[0].reply, "ok"));
	ot_msg_free(res[0].reply);
	/* cap 0: the reply is freed for us */
	ck_assert_int_eq(
	    ot_gen_server_multi_call("multi", &rq, sizeof rq, NULL, NULL, 0),
	    1);
	/* a timeout: the node is a bad node, no late reply */
	struct cs_req slow = cs_req(CS_DELAYED, 50);
	ot_gs_multi_opts quick = {.timeout_ms = 5};
	ck_assert_int_eq(ot_gen_server_multi_call("multi", &slow, sizeof slow,
						  &quick, res, 1),
			 1);
	ck_assert_ot_err(res[0].status, OT_ETIMEDOUT);
	ck_assert_ptr_null(res[0].reply);
	ck_assert_int_eq(cs_count(pid), 4);
	cs_expect_empty_mailbox(0, "multi_call timeout");
	/* nobody by that name */
	ck_assert_int_eq(
	    ot_gen_server_multi_call("nobody", &rq, sizeof rq, NULL, res, 1),
	    1);
	ck_assert_ot_err(res[0].status, OT_ENOPROC);
	ck_assert_ptr_null(res[0].reply);
	/* the server dies during it */
	struct cs_req stop = cs_req(CS_STOP_SHUTDOWN, 0);
	ck_assert_int_eq(
	    ot_gen_server_multi_call("multi", &stop, sizeof stop, NULL, res, 1),
	    1);
	ck_assert_ot_err(res[0].status, OT_ESERVERDIED);
	gs_assert_kind(&res[0].reason, OT_REASON_SHUTDOWN, "multi stop");
	/* bad arguments: nothing is called */
	const char *nodes[] = {"a@b"};
	ot_gs_multi_opts remote = {.nodes = nodes, .node_count = 1};
	ck_assert_ot_err(
	    ot_gen_server_multi_call("multi", &rq, sizeof rq, &remote, res, 1),
	    OT_EINVAL);
	ot_gs_multi_opts bad = {.timeout_ms = -7};
	ck_assert_ot_err(
	    ot_gen_server_multi_call("multi", &rq, sizeof rq, &bad, res, 1),
	    OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_multi_call(NULL, &rq, sizeof rq, NULL, res, 1),
	    OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_multi_call("multi", &rq, sizeof rq, NULL, NULL, 1),
	    OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_multi_call("multi", &rq, SIZE_MAX, NULL, res, 1),
	    OT_EINVAL);
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:abcast */
START_TEST(test_abcast)
{
	ot_pid pid = cs_start("ab");
	ck_assert_ot_ok(ot_gen_server_abcast("ab", "x", 1));
	ck_assert_ot_ok(ot_gen_server_abcast("ab", NULL, 0));
	ck_assert_int_eq(cs_count(pid), 3);
	ck_assert_ot_ok(ot_gen_server_abcast("nobody", "x", 1));
	ck_assert_ot_err(ot_gen_server_abcast(NULL, "x", 1), OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_abcast("ab", "x", SIZE_MAX), OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_abcast("ab", NULL, 1), OT_EINVAL);
	cs_stop_all();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("call_opts");
	TCase *tc = gs_tcase("call_opts", 30);
	tcase_add_test(tc, test_zeroed_opts_wait_the_default);
	tcase_add_test(tc, test_nowait_is_explicit);
	tcase_add_test(tc, test_owned_reply_of_any_size);
	tcase_add_test(tc, test_owned_reply_errors);
	tcase_add_test(tc, test_calls_by_name);
	tcase_add_test(tc, test_multi_call);
	tcase_add_test(tc, test_abcast);
	suite_add_tcase(s, tc);
	return ot_test_run(s);
}
