/* SPDX-License-Identifier: MIT */
/*
 * test_request.c — asynchronous calls (request.c): send_request,
 * wait_response (leaves the request pending on a timeout),
 * receive_response (abandons it: a late reply is dropped),
 * check_response, and request-id collections with one deadline; mirrors
 * gen_server_SUITE's send_request* cases.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "client_server.h"

static ot_gs_request send_op(ot_pid server, int op, int delay_ms)
{
	struct cs_req rq = cs_req(op, delay_ms);
	ot_gs_request r;
	ck_assert_ot_ok(ot_gen_server_send_request(server, &rq, sizeof rq, &r));
	ck_assert_uint_ne(r.alias, 0);
	return r;
}

static void add_op(ot_gs_reqids *c, ot_pid server, int op, int delay_ms,
		   uint64_t label)
{
	struct cs_req rq = cs_req(op, delay_ms);
	ck_assert_ot_ok(
	    ot_gen_server_send_request_add(server, &rq, sizeof rq, label, c));
}

/* The wait (or receive) call returned rc with the reply m: it is text. */
static void check_reply(int rc, ot_msg *m, const char *text, const char *what)
{
	ck_assert_msg(rc == 0, "%s: %s", what, ot_err_name(rc));
	ck_assert_ptr_nonnull(m);
	ck_assert_msg(cs_msg_is(m, text), "%s: wrong reply", what);
	ot_msg_free(m);
}

/* Three servers, each given a delayed_answer of d1, d2, d3 ms, in a
 * collection with the labels 1, 2, 3 (OTP's Pid1, Pid2, Pid3). */
static ot_gs_reqids three_delayed(ot_pid p[3], int d1, int d2, int d3)
{
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	const int delay[3] = {d1, d2, d3};
	for (int i = 0; i < 3; i++) {
		p[i] = cs_start(NULL);
		add_op(&c, p[i], CS_DELAYED, delay[i], (uint64_t)i + 1);
	}
	return c;
}

/* A macro so that m is read after the call has set it. */
#define expect_reply(call, m, text, what)                                      \
	do {                                                                   \
		int expect_rc_ = (call);                                       \
		check_reply(expect_rc_, (m), (text), (what));                  \
	} while (0)

/* gen_server_SUITE:send_request */
START_TEST(test_send_request)
{
	ot_pid pid = cs_start("my_test_name");
	ot_msg *m = NULL;
	ot_gs_request r = send_op(pid, CS_ALIVE, 0);
	expect_reply(ot_gen_server_wait_response(&r, OT_INFINITY, &m, NULL), m,
		     "ok", "started_p");
	ck_assert_uint_eq(r.alias, 0); /* answered: no longer pending */
	ck_assert_ot_err(ot_gen_server_wait_response(&r, 0, &m, NULL),
			 OT_ENOREQUEST);
	ck_assert_ptr_null(m);

	/* by name */
	struct cs_req rq = cs_req(CS_DELAYED, 1);
	ck_assert_ot_ok(ot_gen_server_send_request_name("my_test_name", &rq,
							sizeof rq, &r));
	expect_reply(ot_gen_server_wait_response(&r, OT_INFINITY, &m, NULL), m,
		     "delayed", "delayed_answer by name");

	/* two requests at once, answered in their order */
	ot_gs_request r1 = send_op(pid, CS_DELAYED, 20);
	ot_gs_request r2 = send_op(pid, CS_ALIVE, 0);
	expect_reply(ot_gen_server_wait_response(&r1, OT_INFINITY, &m, NULL), m,
		     "delayed", "first");
	expect_reply(ot_gen_server_wait_response(&r2, OT_INFINITY, &m, NULL), m,
		     "ok", "second");

	/* timeout: wait_response leaves it pending */
	r = send_op(pid, CS_DELAYED, 50);
	ck_assert_ot_err(ot_gen_server_wait_response(&r, 0, &m, NULL),
			 OT_ETIMEDOUT);
	ck_assert_ptr_null(m);
	ck_assert_uint_ne(r.alias, 0);
	expect_reply(ot_gen_server_wait_response(&r, OT_INFINITY, &m, NULL), m,
		     "delayed", "after the timeout");

	/* the server ends during the request */
	ot_reason why;
	r = send_op(pid, CS_STOP_SHUTDOWN, 0);
	ck_assert_ot_err(ot_gen_server_wait_response(&r, OT_INFINITY, &m, &why),
			 OT_ESERVERDIED);
	gs_assert_kind(&why, OT_REASON_SHUTDOWN, "stop_shutdown");
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(r.alias, 0);

	/* noproc: a server gone, a name nobody has */
	r = send_op(pid, CS_ALIVE, 0);
	ck_assert_ot_err(ot_gen_server_wait_response(&r, OT_INFINITY, &m, &why),
			 OT_ENOPROC);
	ck_assert_ot_err(
	    ot_gen_server_send_request_name("my_test_name", &rq, sizeof rq, &r),
	    OT_ENOPROC);
	ck_assert_uint_eq(r.alias, 0);
	cs_expect_empty_mailbox(0, "send_request");
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:send_request (check_response: {foo, bar} is no
 * reply; the reply message, received by hand, is) */
START_TEST(test_check_response)
{
	ot_pid pid = cs_start(NULL);
	/* the reply comes 100 ms later: "foo" is first in the mailbox */
	ot_gs_request r = send_op(pid, CS_DELAYED, 100);
	ck_assert_ot_ok(ot_send(gs_test_pid, 42, "foo", 3));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive(&m, OT_INFINITY));
	ck_assert_ot_err(ot_gen_server_check_response(m, &r, NULL),
			 OT_ENOREPLY);
	ck_assert_uint_ne(r.alias, 0);
	ot_msg_free(m);
	ck_assert_ot_ok(ot_receive(&m, OT_INFINITY));
	ck_assert_ot_ok(ot_gen_server_check_response(m, &r, NULL));
	ck_assert(cs_msg_is(m, "delayed"));
	ck_assert_ot_err(ot_gen_server_check_response(m, &r, NULL),
			 OT_ENOREQUEST);
	ot_msg_free(m);

	/* the DOWN of the server answers it too */
	r = send_op(pid, CS_STOP_SHUTDOWN, 0);
	ot_reason why;
	ck_assert_ot_ok(ot_receive(&m, OT_INFINITY));
	ck_assert_ot_err(ot_gen_server_check_response(m, &r, &why),
			 OT_ESERVERDIED);
	gs_assert_kind(&why, OT_REASON_SHUTDOWN, "check_response DOWN");
	ot_msg_free(m);
	cs_expect_empty_mailbox(0, "check_response");
	cs_stop_all();
}
END_TEST

/* receive_response abandons on a timeout: the reply that comes later is
 * dropped, never left in the mailbox (gen_server_SUITE's
 * send_request_receive_reqid_collection_timeout, for one request). */
START_TEST(test_receive_response_abandons)
{
	ot_pid pid = cs_start(NULL);
	ot_msg *m = NULL;
	ot_gs_request r = send_op(pid, CS_DELAYED, 100);
	ck_assert_ot_err(ot_gen_server_receive_response(&r, 10, &m, NULL),
			 OT_ETIMEDOUT);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(r.alias, 0);
	ck_assert_ot_err(ot_gen_server_wait_response(&r, 0, &m, NULL),
			 OT_ENOREQUEST);
	/* the server did answer (after 100 ms); nothing reached us */
	ck_assert_int_eq(cs_count(pid), 2);
	cs_expect_empty_mailbox(50, "after an abandoned request");
	/* an answer already there is taken by receive_response(0) */
	r = send_op(pid, CS_ALIVE, 0);
	ck_assert_int_eq(cs_count(pid), 4); /* the request was handled */
	expect_reply(ot_gen_server_receive_response(&r, 0, &m, NULL), m, "ok",
		     "receive_response 0");
	ck_assert_ot_ok(ot_gen_server_stop(pid, NULL, OT_INFINITY));
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:send_request_receive_reqid_collection */
START_TEST(test_reqids_receive)
{
	ot_pid p1 = cs_start(NULL), p2 = cs_start(NULL), p3 = cs_start(NULL);
	ot_msg *m = NULL;
	uint64_t label = 0;
	ot_gs_request r0 = send_op(p1, CS_ALIVE, 0);
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	ot_gs_request r1 = send_op(p1, CS_DELAYED, 400);
	ck_assert_ot_ok(ot_gs_reqids_add(&c, &r1, 1));
	ck_assert_uint_eq(r1.alias, 0); /* the collection's now */
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 1);
	add_op(&c, p2, CS_DELAYED, 1, 2);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 2);
	add_op(&c, p3, CS_DELAYED, 200, 3);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 3);

	const uint64_t order[] = {2, 3, 1};
	for (int i = 0; i < 3; i++) {
		label = 0;
		expect_reply(
		    ot_gs_reqids_receive_response(&c, 5000, &m, &label, NULL),
		    m, "delayed", "collection");
		ck_assert_uint_eq(label, order[i]);
		ck_assert_uint_eq(ot_gs_reqids_size(&c), 2 - (size_t)i);
	}
	ck_assert_ot_err(
	    ot_gs_reqids_receive_response(&c, 5000, &m, &label, NULL),
	    OT_ENOREQUEST);
	expect_reply(ot_gen_server_receive_response(&r0, OT_INFINITY, &m, NULL),
		     m, "ok", "started_p");
	ot_gs_reqids_free(&c);
	cs_expect_empty_mailbox(0, "collection");
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:send_request_receive_reqid_collection (_timeout): one
 * deadline for the collection; at the timeout every request is abandoned
 * and no late reply arrives. */
START_TEST(test_reqids_receive_timeout)
{
	ot_pid p[3];
	ot_gs_reqids c = three_delayed(p, 300, 1, 200);
	ot_msg *m = NULL;
	uint64_t label = 0;
	int64_t deadline = ot_monotonic_ms() + 100;
	expect_reply(
	    ot_gs_reqids_receive_response(
		&c, (int)(deadline - ot_monotonic_ms()), &m, &label, NULL),
	    m, "delayed", "req2");
	ck_assert_uint_eq(label, 2);
	int64_t left = deadline - ot_monotonic_ms();
	ck_assert_ot_err(ot_gs_reqids_receive_response(
			     &c, left > 0 ? (int)left : 0, &m, &label, NULL),
			 OT_ETIMEDOUT);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 0); /* abandoned */
	/* both servers answer; neither reply reaches us */
	ck_assert_int_eq(cs_count(p[0]), 2);
	ck_assert_int_eq(cs_count(p[2]), 2);
	cs_expect_empty_mailbox(20, "abandoned collection");
	ot_gs_reqids_free(&c);
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:send_request_receive_reqid_collection (_error) */
START_TEST(test_reqids_receive_error)
{
	ot_pid p1 = cs_start(NULL), p2 = cs_start(NULL), p3 = cs_start(NULL);
	ot_msg *m = NULL;
	uint64_t label = 0;
	ot_reason why;
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	ot_gs_request r1 = send_op(p1, CS_DELAYED, 100);
	ot_gs_request copy = r1;
	ck_assert_ot_ok(ot_gs_reqids_add(&c, &r1, 1));
	/* the same request twice: refused (OTP: badarg) */
	ck_assert_ot_err(ot_gs_reqids_add(&c, &copy, 2), OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_add(&c, &r1, 2), OT_ENOREQUEST);
	add_op(&c, p2, CS_STOP_SHUTDOWN, 0, 2);
	add_op(&c, p3, CS_DELAYED, 50, 3);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 3);
	ck_assert_ot_err(
	    ot_gs_reqids_receive_response(&c, 2000, &m, &label, &why),
	    OT_ESERVERDIED);
	ck_assert_uint_eq(label, 2);
	gs_assert_kind(&why, OT_REASON_SHUTDOWN, "stop_shutdown");
	ck_assert_ptr_null(m);
	expect_reply(
	    ot_gs_reqids_receive_response(&c, OT_INFINITY, &m, &label, NULL), m,
	    "delayed", "req3");
	ck_assert_uint_eq(label, 3);
	expect_reply(
	    ot_gs_reqids_receive_response(&c, OT_INFINITY, &m, &label, NULL), m,
	    "delayed", "req1");
	ck_assert_uint_eq(label, 1);
	ot_gs_reqids_free(&c);
	cs_expect_empty_mailbox(0, "collection error");
	(void)p2;
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:send_request_wait_reqid_collection (_timeout): at
 * the timeout the requests stay pending and are answered later. */
START_TEST(test_reqids_wait_timeout)
{
	ot_pid p[3];
	ot_gs_reqids c = three_delayed(p, 300, 1, 200);
	ot_msg *m = NULL;
	uint64_t label = 0;
	expect_reply(ot_gs_reqids_wait_response(&c, 100, &m, &label, NULL), m,
		     "delayed", "req2");
	ck_assert_uint_eq(label, 2);
	ck_assert_ot_err(ot_gs_reqids_wait_response(&c, 0, &m, &label, NULL),
			 OT_ETIMEDOUT);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 2);
	ot_gs_request reqs[4];
	uint64_t labels[4] = {0};
	ck_assert_int_eq(ot_gs_reqids_to_list(&c, reqs, labels, 4), 2);
	ck_assert_uint_eq(labels[0] + labels[1], 4); /* 1 and 3 */
	ck_assert_int_eq(ot_gs_reqids_to_list(&c, NULL, NULL, 0), 2);
	expect_reply(ot_gs_reqids_wait_response(&c, 1500, &m, &label, NULL), m,
		     "delayed", "req3");
	ck_assert_uint_eq(label, 3);
	expect_reply(ot_gs_reqids_wait_response(&c, 1500, &m, &label, NULL), m,
		     "delayed", "req1");
	ck_assert_uint_eq(label, 1);
	ck_assert_ot_err(ot_gs_reqids_wait_response(&c, 0, &m, &label, NULL),
			 OT_ENOREQUEST);
	ot_gs_reqids_free(&c);
	cs_stop_all();
}
END_TEST

/* gen_server_SUITE:send_request_check_reqid_collection */
START_TEST(test_reqids_check)
{
	ot_pid p1 = cs_start(NULL), p2 = cs_start(NULL), p3 = cs_start(NULL);
	ot_msg *m0 = NULL, *m = NULL;
	uint64_t label = 0;
	ot_gs_request r0 = send_op(p1, CS_ALIVE, 0);
	ck_assert_ot_ok(ot_receive(&m0, OT_INFINITY)); /* r0's reply */
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	add_op(&c, p1, CS_DELAYED, 200, 1);
	add_op(&c, p2, CS_DELAYED, 1, 2);
	add_op(&c, p3, CS_DELAYED, 100, 3);
	ck_assert_ot_err(ot_gs_reqids_check_response(m0, &c, &label, NULL),
			 OT_ENOREPLY);
	const uint64_t order[] = {2, 3, 1};
	for (int i = 0; i < 3; i++) {
		ck_assert_ot_ok(ot_receive(&m, OT_INFINITY));
		ck_assert_ot_ok(
		    ot_gs_reqids_check_response(m, &c, &label, NULL));
		ck_assert_uint_eq(label, order[i]);
		ck_assert(cs_msg_is(m, "delayed"));
		ot_msg_free(m);
	}
	ck_assert_ot_err(ot_gs_reqids_check_response(m0, &c, &label, NULL),
			 OT_ENOREQUEST);
	ck_assert_ot_ok(ot_gen_server_check_response(m0, &r0, NULL));
	ck_assert(cs_msg_is(m0, "ok"));
	ot_msg_free(m0);
	ot_gs_reqids_free(&c);
	cs_stop_all();
}
END_TEST

/* Freeing a collection abandons what it holds: no late reply. */
START_TEST(test_reqids_free_abandons)
{
	ot_pid p1 = cs_start(NULL);
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	add_op(&c, p1, CS_DELAYED, 30, 1);
	add_op(&c, p1, CS_ALIVE, 0, 2);
	ot_gs_reqids_free(&c);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 0);
	ck_assert_int_eq(cs_count(p1), 3);
	cs_expect_empty_mailbox(10, "freed collection");
	/* it can be used again */
	add_op(&c, p1, CS_ALIVE, 0, 7);
	ot_msg *m = NULL;
	uint64_t label = 0;
	expect_reply(
	    ot_gs_reqids_receive_response(&c, OT_INFINITY, &m, &label, NULL), m,
	    "ok", "reused");
	ck_assert_uint_eq(label, 7);
	ot_gs_reqids_free(&c);
	ot_gs_reqids_free(NULL);
	cs_stop_all();
}
END_TEST

/* Each pending request holds an alias, and a process holds as many as
 * memory allows (OTP has no limit either): 1,000 requests pending at once
 * in one collection, every one answered with its label, nothing left. */
enum { MANY_REQUESTS = 1000 };

START_TEST(test_many_pending_requests)
{
	ot_pid pid = cs_start(NULL);
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	for (uint64_t i = 0; i < MANY_REQUESTS; i++)
		add_op(&c, pid, CS_ALIVE, 0, i);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), MANY_REQUESTS);
	static bool seen[MANY_REQUESTS];
	memset(seen, 0, sizeof seen);
	for (int i = 0; i < MANY_REQUESTS; i++) {
		ot_msg *m = NULL;
		uint64_t label = UINT64_MAX;
		int rc = ot_gs_reqids_wait_response(&c, OT_INFINITY, &m, &label,
						    NULL);
		check_reply(rc, m, "ok", "one of many");
		ck_assert_uint_lt(label, MANY_REQUESTS);
		ck_assert_msg(!seen[label], "label %llu twice",
			      (unsigned long long)label);
		seen[label] = true;
	}
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 0);
	ot_gs_reqids_free(&c);
	cs_expect_empty_mailbox(0, "many");
	cs_stop_all();
}
END_TEST

/* Bad arguments, sizes that would wrap, a server calling itself. */
static ot_gs_ret self_call(const void *request, size_t size, ot_gs_from from,
			   void **state)
{
	(void)request;
	(void)size;
	(void)from;
	(void)state;
	ot_gs_request r;
	int rc = ot_gen_server_send_request(ot_self(), "x", 1, &r);
	return ot_gs_reply(&rc, sizeof rc);
}

static ot_gs_ret plain_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

START_TEST(test_request_bad_arguments)
{
	ot_pid pid = cs_start(NULL);
	ot_gs_request r;
	ot_msg *m = NULL;
	ck_assert_ot_err(ot_gen_server_send_request(pid, "x", 1, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_send_request(pid, NULL, 1, &r),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_send_request(pid, "x", SIZE_MAX, &r),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_send_request(pid, "x", SIZE_MAX - 7, &r),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_send_request(OT_PID_NONE, "x", 1, &r),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_send_request_name(NULL, "x", 1, &r),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_send_request_name("", "x", 1, &r),
			 OT_EINVAL);
	ck_assert_uint_eq(r.alias, 0);
	ck_assert_ot_err(ot_gen_server_wait_response(NULL, 0, &m, NULL),
			 OT_EINVAL);
	r = send_op(pid, CS_ALIVE, 0);
	ck_assert_ot_err(ot_gen_server_wait_response(&r, 0, NULL, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_wait_response(&r, -5, &m, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_check_response(NULL, &r, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_receive_response(&r, 0, NULL, NULL),
			 OT_EINVAL);
	expect_reply(ot_gen_server_receive_response(&r, OT_INFINITY, &m, NULL),
		     m, "ok", "after the bad ones");
	ck_assert_ot_err(ot_gs_reqids_add(NULL, &r, 0), OT_EINVAL);
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	ck_assert_ot_err(ot_gs_reqids_add(&c, NULL, 0), OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_add(&c, &r, 0), OT_ENOREQUEST);
	ck_assert_ot_err(ot_gen_server_send_request_add(pid, "x", 1, 0, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_send_request_add(pid, "x", SIZE_MAX, 0, &c),
	    OT_EINVAL);
	ck_assert_uint_eq(ot_gs_reqids_size(&c), 0);
	ck_assert_uint_eq(ot_gs_reqids_size(NULL), 0);
	ck_assert_ot_err(ot_gs_reqids_to_list(NULL, NULL, NULL, 0), OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_to_list(&c, NULL, NULL, 1), OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_wait_response(NULL, 0, &m, NULL, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_wait_response(&c, 0, NULL, NULL, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_receive_response(NULL, 0, &m, NULL, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_check_response(NULL, &c, NULL, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gs_reqids_wait_response(&c, 0, &m, NULL, NULL),
			 OT_ENOREQUEST);

	/* a server requesting itself */
	static const ot_gen_server_callbacks selfish = {
	    .init = plain_init, .handle_call = self_call};
	ot_pid s = gs_start(&selfish, NULL);
	int rc = 0;
	ck_assert_ot_ok(ot_gen_server_call(s, "x", 1, &rc, sizeof rc, NULL,
					   OT_INFINITY, NULL));
	ck_assert_ot_err(rc, OT_EDEADLK);
	cs_kill(s);
	cs_stop_all();
}
END_TEST

/* A request from a process (the others come from the test thread). */
static void requester(void *arg)
{
	ot_pid server = *(ot_pid *)arg;
	ot_gs_reqids c = OT_GS_REQIDS_INIT;
	struct cs_req rq = cs_req(CS_DELAYED, 5);
	int64_t got = 0;
	for (int i = 0; i < 3; i++)
		if (ot_gen_server_send_request_add(server, &rq, sizeof rq,
						   (uint64_t)i, &c) == 0)
			got += 10;
	ot_msg *m;
	while (ot_gs_reqids_receive_response(&c, 2000, &m, NULL, NULL) == 0) {
		got += cs_msg_is(m, "delayed");
		ot_msg_free(m);
	}
	ot_gs_reqids_free(&c);
	gs_event(GS_EV_BASE, got, NULL);
}

START_TEST(test_request_from_process)
{
	static ot_pid server;
	server = cs_start(NULL);
	ck_assert_ot_ok(ot_spawn(requester, &server, NULL, NULL));
	struct gs_ev ev = gs_expect_event(GS_EV_BASE, "requester");
	ck_assert_int_eq(ev.n, 33);
	cs_stop_all();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("request");
	TCase *tc = gs_tcase("request", 20);
	tcase_add_test(tc, test_send_request);
	tcase_add_test(tc, test_check_response);
	tcase_add_test(tc, test_receive_response_abandons);
	tcase_add_test(tc, test_reqids_receive);
	tcase_add_test(tc, test_reqids_receive_timeout);
	tcase_add_test(tc, test_reqids_receive_error);
	tcase_add_test(tc, test_reqids_wait_timeout);
	tcase_add_test(tc, test_reqids_check);
	tcase_add_test(tc, test_reqids_free_abandons);
	tcase_add_test(tc, test_many_pending_requests);
	tcase_add_test(tc, test_request_bad_arguments);
	tcase_add_test(tc, test_request_from_process);
	suite_add_tcase(s, tc);
	return ot_test_run(s);
}
