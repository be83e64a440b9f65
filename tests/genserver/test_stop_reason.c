/* SPDX-License-Identifier: MIT */
/*
 * test_stop_reason.c — the reasons a gen_server stops with: a malformed
 * reason given to ot_gen_server_stop() is refused, and one given to a
 * result builder stops the server with {error,OT_EINVAL,...}, so that no
 * malformed reason reaches terminate, the server's monitors or a report
 * (issue 15, item 3).
 */
#include <string.h>

#include "gs_test.h"

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
	ot_ref ref = gs_monitor(s);
	ot_reason bad = unterminated();
	ck_assert_ot_ok(ot_gen_server_cast(s, &bad, sizeof bad));
	ot_reason want = ot_reason_error(OT_EINVAL,
					 "bad reason given to a builder");
	struct gs_ev ev = gs_expect_event(GS_EV_BASE + 1, "terminate");
	assert_reason(&ev.reason, &want, "terminate's reason");
	ot_reason down = gs_expect_down(ref, "the server's DOWN");
	assert_reason(&down, &want, "DOWN");
}
END_TEST

static Suite *stop_reason_suite(void)
{
	Suite *s = suite_create("stop_reason");
	TCase *tc = gs_tcase("malformed", 10);
	tcase_add_test(tc, test_stop_refuses_malformed_reason);
	tcase_add_test(tc, test_builder_replaces_malformed_reason);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(stop_reason_suite());
}
