/* SPDX-License-Identifier: MIT */
/*
 * test_reply.c — replies (result.c, gen_server.c): the builders copy what
 * they are given before the callback returns, so `return
 * ot_gs_reply(&local, sizeof local)` is right for a reply of any size; a
 * reply set by hand is copied after; a second reply to one call never
 * stays in the caller's mailbox; get_state survives an empty reply; the
 * builders without a reply (and a small reply's) leave every other field
 * zero, the reason's text an empty string.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gs_test.h"

/* The tags a gen_server exchanges (a fake server below speaks them). */
#include "../../src/genserver/protocol.h"

enum {
	OP_SMALL = 1,
	OP_LARGE,
	OP_STOP_SMALL,
	OP_STOP_LARGE,
	OP_TWICE,
	OP_BY_HAND,
	OP_NULL_REPLY,
	OP_HUGE_REPLY
};
enum { EV_RESULT = GS_EV_BASE };

#define LARGE 3000

struct req {
	int op;
	int64_t n;
};

/* A reply made on the callback's stack, then returned: its frame is gone
 * by the time the server sends it. */
static void fill(unsigned char *p, size_t size, int64_t n)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(n * 31 + (int64_t)i * 7);
}

static bool filled(const unsigned char *p, size_t size, int64_t n)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != (unsigned char)(n * 31 + (int64_t)i * 7))
			return false;
	return true;
}

__attribute__((noinline)) static ot_gs_ret small_local(int64_t n)
{
	unsigned char local[40];
	fill(local, sizeof local, n);
	return ot_gs_reply(local, sizeof local);
}

__attribute__((noinline)) static ot_gs_ret large_local(int64_t n)
{
	unsigned char local[LARGE];
	fill(local, sizeof local, n);
	return ot_gs_reply(local, sizeof local);
}

__attribute__((noinline)) static ot_gs_ret large_stop_local(int64_t n)
{
	unsigned char local[LARGE];
	fill(local, sizeof local, n);
	return ot_gs_stop_reply(ot_reason_normal(), local, sizeof local);
}

static unsigned char by_hand[64];

static ot_gs_ret r_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

static ot_gs_ret r_call(const void *request, size_t size, ot_gs_from from,
			void **state)
{
	(void)state;
	struct req q;
	if (size != sizeof q)
		return ot_gs_stop(ot_reason_error(-1, "bad request"));
	memcpy(&q, request, sizeof q);
	switch (q.op) {
	case OP_SMALL:
		return small_local(q.n);
	case OP_LARGE:
		return large_local(q.n);
	case OP_STOP_SMALL: {
		int64_t v = q.n;
		return ot_gs_stop_reply(ot_reason_normal(), &v, sizeof v);
	}
	case OP_STOP_LARGE:
		return large_stop_local(q.n);
	case OP_NULL_REPLY:
		return ot_gs_reply(NULL, 5);
	case OP_HUGE_REPLY:
		return ot_gs_reply("x", SIZE_MAX);
	case OP_TWICE:
		ot_gen_server_reply(from, "first", 6);
		return ot_gs_reply("second", 7);
	case OP_BY_HAND: {
		/* the documented way to send without a copy: the bytes must
		 * outlive the callback */
		fill(by_hand, sizeof by_hand, q.n);
		ot_gs_ret r = ot_gs_noreply();
		r.action = OT_GS_REPLY;
		r.reply = by_hand;
		r.reply_size = sizeof by_hand;
		return r;
	}
	default:
		return ot_gs_noreply();
	}
}

static const ot_gen_server_callbacks r_cb = {
    .init = r_init,
    .handle_call = r_call,
};

static int call(ot_pid srv, int op, int64_t n, void *out, size_t cap,
		size_t *got)
{
	struct req q = {op, n};
	return ot_gen_server_call(srv, &q, sizeof q, out, cap, got,
				  scaled_ms(3000), NULL);
}

/* The reproducer: 1,000 replies from a local variable, small
 * (carried in the result) and large (copied by the builder). */
START_TEST(test_reply_from_local_variable)
{
	ot_pid srv = gs_start(&r_cb, NULL);
	static unsigned char out[LARGE];
	for (int64_t n = 0; n < 1000; n++) {
		size_t got = 0;
		ck_assert_ot_ok(call(srv, OP_SMALL, n, out, sizeof out, &got));
		ck_assert_uint_eq(got, 40);
		ck_assert_msg(filled(out, 40, n), "small reply %lld corrupted",
			      (long long)n);
		ck_assert_ot_ok(call(srv, OP_LARGE, n, out, sizeof out, &got));
		ck_assert_uint_eq(got, LARGE);
		ck_assert_msg(filled(out, LARGE, n),
			      "large reply %lld corrupted", (long long)n);
		ck_assert_ot_ok(
		    call(srv, OP_BY_HAND, n, out, sizeof out, &got));
		ck_assert_uint_eq(got, sizeof by_hand);
		ck_assert_msg(filled(out, sizeof by_hand, n),
			      "reply by hand %lld corrupted", (long long)n);
	}
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
}
END_TEST

/* {stop, normal, Reply, State} with Reply a local, small or large: it
 * comes intact. */
START_TEST(test_stop_reply_from_local_variable)
{
	static unsigned char out[LARGE];
	for (int64_t n = 1; n <= 50; n++) {
		ot_pid srv = gs_start(&r_cb, NULL);
		ot_ref ref = ot_test_monitor(srv);
		int64_t v = 0;
		size_t got = 0;
		ck_assert_ot_ok(
		    call(srv, OP_STOP_SMALL, n * 1000 + 7, &v, sizeof v, &got));
		ck_assert_uint_eq(got, sizeof v);
		ck_assert_int_eq(v, n * 1000 + 7);
		ot_test_expect_down(ref, 3000, "stop_reply").reason;

		srv = gs_start(&r_cb, NULL);
		ref = ot_test_monitor(srv);
		ck_assert_ot_ok(
		    call(srv, OP_STOP_LARGE, n, out, sizeof out, &got));
		ck_assert_uint_eq(got, LARGE);
		ck_assert_msg(filled(out, LARGE, n), "large stop reply %lld",
			      (long long)n);
		ot_test_expect_down(ref, 3000, "large stop_reply").reason;
	}
}
END_TEST

/* A builder given no bytes for a size, or a size no buffer has, makes a
 * stop with OT_EINVAL: the caller learns why, nothing crashes. */
START_TEST(test_bad_reply_to_builder)
{
	static const int ops[] = {OP_NULL_REPLY, OP_HUGE_REPLY};
	for (int i = 0; i < 2; i++) {
		ot_pid srv = gs_start(&r_cb, NULL);
		struct req q = {ops[i], 0};
		char out[8];
		ot_reason why;
		memset(&why, 0, sizeof why);
		ck_assert_ot_err(ot_gen_server_call(srv, &q, sizeof q, out,
						    sizeof out, NULL,
						    scaled_ms(3000), &why),
				 OT_ESERVERDIED);
		ck_assert_msg(why.kind == OT_REASON_ERROR &&
				  why.code == OT_EINVAL,
			      "bad reply %d: not an OT_EINVAL stop", i);
	}
	/* and the builders themselves, outside any server */
	ot_gs_ret r = ot_gs_reply(NULL, 1);
	ck_assert_int_eq(r.action, OT_GS_STOP);
	r = ot_gs_stop_reply(ot_reason_normal(), "x", SIZE_MAX);
	ck_assert_int_eq(r.action, OT_GS_STOP);
	ck_assert(!r.has_reply);
	r = ot_gs_reply(NULL, 0);
	ck_assert_int_eq(r.action, OT_GS_REPLY);
	ck_assert_uint_eq(r.reply_size, 0);
}
END_TEST

/* The builders without a reply or reason leave every other field zero:
 * a callback may return their result as it is, or set one field on it. */
static void check_rest_zero(const ot_gs_ret *r, ot_gs_action action)
{
	ck_assert_int_eq(r->action, action);
	ck_assert_ptr_null(r->reply);
	ck_assert_uint_eq(r->reply_size, 0);
	ck_assert(!r->has_reply && !r->has_timeout && !r->hibernate &&
		  !r->has_continue);
	ck_assert_int_eq(r->timeout_ms, 0);
	ck_assert_uint_eq(r->continue_arg, 0);
	ck_assert_ptr_null(r->reply_copy);
	ck_assert_ptr_null(r->reason_copy);
	ck_assert_int_eq(r->reason.kind, OT_REASON_NORMAL);
	ck_assert_int_eq(r->reason.code, 0);
	ck_assert_int_eq(r->reason.si_code, 0);
	ck_assert(!r->reason.stack_overflow);
	ck_assert_uint_eq(r->reason.addr, 0);
	/* only an empty string: the bytes after it are not set */
	ck_assert_str_eq(r->reason.text, "");
	ck_assert_ptr_null(r->reason.data);
	ck_assert_uint_eq(r->reason.data_size, 0);
}

START_TEST(test_plain_builders_zero_the_rest)
{
	ot_gs_ret r;
	memset(&r, 0xa5, sizeof r);
	r = ot_gs_noreply();
	check_rest_zero(&r, OT_GS_NOREPLY);
	memset(&r, 0xa5, sizeof r);
	r = ot_gs_ok();
	check_rest_zero(&r, OT_GS_OK);
	memset(&r, 0xa5, sizeof r);
	r = ot_gs_ignore();
	check_rest_zero(&r, OT_GS_IGNORE);
	/* a small reply: its bytes by value, the rest as above */
	const char hello[] = "hello";
	memset(&r, 0xa5, sizeof r);
	r = ot_gs_reply(hello, sizeof hello);
	ot_gs_ret bare = r;
	bare.reply_size = 0;
	check_rest_zero(&bare, OT_GS_REPLY);
	ck_assert_uint_eq(r.reply_size, sizeof hello);
	ck_assert_mem_eq(r.reply_bytes, hello, sizeof hello);
	r = ot_gs_reply(NULL, 0);
	check_rest_zero(&r, OT_GS_REPLY);
}
END_TEST

/* ---- two replies to one call --------------------------------------------- */

struct twice_result {
	int rc;
	char reply[8];
	size_t queued;	/* message_queue_len right after the call */
	int receive_rc; /* a receive that must find nothing */
};

/* The caller is a process: with one scheduler it runs only once the
 * server waits again, by when both replies have arrived. */
static void twice_caller(void *arg)
{
	ot_pid srv = *(const ot_pid *)arg;
	struct twice_result r;
	memset(&r, 0, sizeof r);
	struct req q = {OP_TWICE, 0};
	r.rc = ot_gen_server_call(srv, &q, sizeof q, r.reply, sizeof r.reply,
				  NULL, 5000, NULL);
	ot_process_info pi;
	if (ot_process_info_get(ot_self(), &pi) == 0)
		r.queued = pi.message_queue_len;
	ot_msg *m = NULL;
	r.receive_rc = ot_receive(&m, 0);
	ot_msg_free(m);
	ot_send(gs_test_pid, EV_RESULT, &r, sizeof r);
}

static bool is_result(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == EV_RESULT;
}

/* ot_gen_server_reply() and then a returned reply: the caller gets the
 * first; the second is not left in its mailbox, not even for a moment. */
START_TEST(test_second_reply_never_left_behind)
{
	static ot_pid srv;
	srv = gs_start(&r_cb, NULL);
	for (int i = 0; i < 20; i++) {
		ck_assert_ot_ok(ot_spawn(twice_caller, &srv, NULL, NULL));
		ot_msg *m = NULL;
		ck_assert_ot_ok(
		    ot_receive_match(is_result, NULL, &m, scaled_ms(5000)));
		struct twice_result r;
		memcpy(&r, ot_msg_data(m), sizeof r);
		ot_msg_free(m);
		ck_assert_ot_ok(r.rc);
		ck_assert_str_eq(r.reply, "first");
		ck_assert_msg(r.queued == 0,
			      "round %d: %zu message(s) left in the caller's "
			      "mailbox",
			      i, r.queued);
		ck_assert_ot_err(r.receive_rc, OT_ETIMEDOUT);
	}
	/* from a foreign thread too */
	char out[8];
	struct req q = {OP_TWICE, 0};
	ck_assert_ot_ok(ot_gen_server_call(srv, &q, sizeof q, out, sizeof out,
					   NULL, scaled_ms(3000), NULL));
	ck_assert_str_eq(out, "first");
	ot_msg *m = NULL;
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
}
END_TEST

/* ---- get_state with an empty reply --------------------------------------- */

/* A process that answers get_state as a server would, with no bytes. */
static void empty_state_server(void *arg)
{
	/* It speaks the protocol: it says so, as gen_server does before its
	 * start returns, and then tells the test it is ready. */
	ot_set_behaviour("gen_server");
	ot_send(*(ot_pid *)arg, 1, NULL, 0);
	ot_msg *m = NULL;
	if (ot_receive(&m, OT_INFINITY) != 0)
		return;
	struct call_hdr h;
	if (ot_msg_tag(m) == TAG_GET_STATE && ot_msg_size(m) >= sizeof h) {
		memcpy(&h, ot_msg_data(m), sizeof h);
		ot_send_alias(ot_msg_from(m), h.alias, TAG_REPLY, NULL, 0);
	}
	ot_msg_free(m);
}

/* An empty reply gives an empty text; nothing before buf is written
 * (issue 15 #3: buf[-1]). */
START_TEST(test_get_state_empty_reply)
{
	struct {
		char before[8];
		char buf[8];
	} g;
	memset(&g, 'x', sizeof g);
	ot_pid srv;
	static ot_pid test;
	test = ot_self();
	ck_assert_ot_ok(ot_spawn(empty_state_server, &test, NULL, &srv));
	ot_msg *ready = NULL;
	ck_assert_ot_ok(ot_receive(&ready, scaled_ms(3000)));
	ot_msg_free(ready);
	ck_assert_ot_ok(
	    ot_gen_server_get_state(srv, g.buf, sizeof g.buf, scaled_ms(3000)));
	ck_assert_int_eq(g.buf[0], '\0');
	for (size_t i = 0; i < sizeof g.before; i++)
		ck_assert_int_eq(g.before[i], 'x');
	ck_assert_int_eq(g.buf[1], 'x');
}
END_TEST

static Suite *reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = gs_tcase("local", 30);
	tcase_add_test(tc, test_reply_from_local_variable);
	tcase_add_test(tc, test_stop_reply_from_local_variable);
	tcase_add_test(tc, test_bad_reply_to_builder);
	tcase_add_test(tc, test_plain_builders_zero_the_rest);
	suite_add_tcase(s, tc);

	tc = gs_tcase_one("twice", 20);
	tcase_add_test(tc, test_second_reply_never_left_behind);
	suite_add_tcase(s, tc);

	tc = gs_tcase("get_state", 10);
	tcase_add_test(tc, test_get_state_empty_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(reply_suite());
}
