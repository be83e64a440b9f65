/* SPDX-License-Identifier: MIT */
/*
 * test_stop_reason.c — the reasons a gen_server stops with: a malformed
 * reason given to ot_gen_server_stop() is refused, and one given to a
 * result builder stops the server with {error,OT_EINVAL,...}, so that no
 * malformed reason reaches terminate, the server's monitors or a report
 * (issue 15, item 3).
 */
#include <stdlib.h>
#include <string.h>

#include "gs_test.h"

#define BIG (128 * 1024)

static unsigned char *big_payload(unsigned seed)
{
	unsigned char *p = malloc(BIG);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < BIG; i++)
		p[i] = (unsigned char)(i * 7 + seed);
	return p;
}

static bool payload_intact(const ot_reason *r, unsigned seed)
{
	size_t size;
	const unsigned char *d = ot_reason_data(r, &size);
	if (size != BIG || !d)
		return false;
	for (size_t i = 0; i < BIG; i++)
		if (d[i] != (unsigned char)(i * 7 + seed))
			return false;
	return true;
}

static ot_reason unterminated(void)
{
	ot_reason r = ot_reason_shutdown_detail(NULL);
	memset(r.text, 'x', sizeof r.text);
	return r;
}

static ot_gs_ret init_ok(void *arg, void **state)
{
	*state = arg;
	return ot_gs_ok();
}

/* A cast asks the server to stop with the reason the cast carries. */
static ot_gs_ret cast_stop(const void *req, size_t size, void **state)
{
	(void)state;
	ot_reason r;
	ck_assert_uint_eq(size, sizeof r);
	memcpy(&r, req, sizeof r);
	return ot_gs_stop(r);
}

static void terminate_event(const ot_reason *reason, void *state)
{
	(void)state;
	gs_event(GS_EV_BASE + 1, 0, reason);
}

static const ot_gen_server_callbacks stopper = {
    .init = init_ok,
    .handle_cast = cast_stop,
    .terminate = terminate_event,
};

START_TEST(test_stop_refuses_malformed_reason)
{
	ot_pid s = gs_start(&stopper, NULL);
	ot_reason bad = unterminated();
	ck_assert_ot_err(ot_gen_server_stop(s, &bad, 1000), OT_EINVAL);
	ck_assert(ot_is_alive(s));
	ck_assert_ot_ok(ot_gen_server_stop(s, NULL, 1000));
}
END_TEST

START_TEST(test_builder_replaces_malformed_reason)
{
	ot_pid s = gs_start(&stopper, NULL);
	ot_ref ref = ot_test_monitor(s);
	ot_reason bad = unterminated();
	ck_assert_ot_ok(ot_gen_server_cast(s, &bad, sizeof bad));
	ot_reason want =
	    ot_reason_error(OT_EINVAL, "bad reason given to a builder");
	struct gs_ev ev = gs_expect_event(GS_EV_BASE + 1, "terminate");
	assert_reason(&ev.reason, &want, "terminate's reason");
	ot_reason down =
	    ot_test_expect_down(ref, 3000, "the server's DOWN").reason;
	assert_reason(&down, &want, "DOWN");
}
END_TEST

/* The DOWN of ref itself (its reason's payload lives in it, which
 * ot_test_expect_down's copy would not keep). The caller frees it. */
static ot_msg *expect_down_msg(ot_ref ref)
{
	ot_msg *m = NULL;
	ck_assert_ot_ok(
	    ot_receive_match(ot_test_is_down_of, &ref, &m, scaled_ms(3000)));
	return m;
}

/* A cast of any size asks for a 128 KB stop reason, built on the heap
 * and freed before the callback returns (the builder copies it). */
static ot_gs_ret cast_stop_big(const void *req, size_t size, void **state)
{
	(void)req, (void)size, (void)state;
	unsigned char *p = big_payload(21);
	ot_reason r = ot_reason_error_data(9, "huge", p, BIG);
	ot_gs_ret ret = ot_gs_stop(r);
	free(p);
	return ret;
}

/* terminate tells whether the payload reached it intact. */
static void terminate_payload(const ot_reason *reason, void *state)
{
	(void)state;
	size_t size;
	ot_reason_data(reason, &size);
	gs_event(GS_EV_BASE + 2,
		 payload_intact(reason, 21) || payload_intact(reason, 23)
		     ? (int64_t)size
		     : -1,
		 NULL);
}

static const ot_gen_server_callbacks big_stopper = {
    .init = init_ok,
    .handle_cast = cast_stop_big,
    .terminate = terminate_payload,
};

/* terminate saw the whole payload made from seed, and so does the DOWN
 * of ref. */
static void expect_end_with_payload(ot_ref ref, unsigned seed)
{
	struct gs_ev ev = gs_expect_event(GS_EV_BASE + 2, "terminate");
	ck_assert_int_eq(ev.n, BIG);
	ot_msg *m = expect_down_msg(ref);
	ck_assert(payload_intact(&ot_msg_down(m)->reason, seed));
	ot_msg_free(m);
}

/* gen_server_SUITE:stop1-like, {stop, HugeReason, State}: terminate and
 * the DOWN get the whole reason */
START_TEST(test_stop_result_carries_payload)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_pid s = gs_start(&big_stopper, NULL);
	ot_ref ref = ot_test_monitor(s);
	ck_assert_ot_ok(ot_gen_server_cast(s, "x", 1));
	expect_end_with_payload(ref, 21);
}
END_TEST

/* gen_server_SUITE:stop2-like, gen_server:stop(Pid, HugeReason, T):
 * the stop succeeds (the server ended with that reason) and a monitor
 * sees the whole reason */
START_TEST(test_gen_server_stop_carries_payload)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_pid s = gs_start(&big_stopper, NULL);
	ot_ref ref = ot_test_monitor(s);
	unsigned char *p = big_payload(23);
	ot_reason r = ot_reason_error_data(9, "huge", p, BIG);
	ck_assert_ot_ok(ot_gen_server_stop(s, &r, scaled_ms(3000)));
	free(p);
	expect_end_with_payload(ref, 23);
}
END_TEST

static Suite *stop_reason_suite(void)
{
	Suite *s = suite_create("stop_reason");
	TCase *tc = gs_tcase("malformed", 10);
	tcase_add_test(tc, test_stop_refuses_malformed_reason);
	tcase_add_test(tc, test_builder_replaces_malformed_reason);
	suite_add_tcase(s, tc);
	tc = gs_tcase("payload", 20);
	tcase_add_test(tc, test_stop_result_carries_payload);
	tcase_add_test(tc, test_gen_server_stop_carries_payload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(stop_reason_suite());
}
