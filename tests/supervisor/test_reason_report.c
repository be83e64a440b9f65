/* SPDX-License-Identifier: MIT */
/*
 * test_reason_report.c — a child that ends with a reason of any size
 * (issue 14): the supervisor gets the whole reason in the child's EXIT,
 * and its child_terminated report says the reason's short text (reports
 * are text: the payload is not kept for them). Nothing is left behind.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#include <otter/gen_server.h>
#include <otter/supervisor.h>

#define BIG (128 * 1024)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static bool g_seen; /* a child_terminated report with the short text */

static void keep_report(const char *text, void *arg)
{
	(void)arg;
	if (!strstr(text, "child_terminated") ||
	    !strstr(text, "{error,9,\"huge\"}"))
		return;
	pthread_mutex_lock(&mu);
	g_seen = true;
	pthread_mutex_unlock(&mu);
}

static ot_gs_ret init_ok(void *arg, void **state)
{
	*state = arg;
	return ot_gs_ok();
}

static ot_gs_ret cast_stop_big(const void *req, size_t size, void **state)
{
	(void)req, (void)size, (void)state;
	unsigned char *p = malloc(BIG);
	if (!p)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "test"));
	for (size_t i = 0; i < BIG; i++)
		p[i] = (unsigned char)(i * 13);
	ot_gs_ret ret = ot_gs_stop(ot_reason_error_data(9, "huge", p, BIG));
	free(p);
	return ret;
}

static const ot_gen_server_callbacks big = {
    .init = init_ok,
    .handle_cast = cast_stop_big,
};

/* supervisor_SUITE:temporary_abnormal, with a huge reason */
START_TEST(test_child_report_after_huge_reason)
{
	ck_assert_ot_ok(ot_set_logger(keep_report, NULL));
	ot_child_spec child = {.id = "big",
			       .server = &big,
			       .name = "big",
			       .restart = OT_TEMPORARY,
			       .shutdown_ms = 1000};
	ot_sup_spec spec = {.flags = {.strategy = OT_ONE_FOR_ONE,
				      .intensity = 1,
				      .period_ms = 5000},
			    .children = &child,
			    .nchildren = 1};
	ot_pid sup, pid;
	ck_assert_ot_ok(ot_supervisor_start_link(&spec, NULL, &sup, NULL));
	ck_assert_ot_ok(ot_whereis("big", &pid));
	ck_assert_ot_ok(ot_gen_server_cast(pid, "x", 1));
	int64_t deadline = now_ms() + scaled_ms(3000);
	bool seen = false;
	while (!seen && now_ms() < deadline) {
		pthread_mutex_lock(&mu);
		seen = g_seen;
		pthread_mutex_unlock(&mu);
		if (!seen)
			ot_sleep(2);
	}
	ck_assert_msg(seen, "no child_terminated report with the reason");
	ck_assert_ot_ok(ot_supervisor_stop(sup, 3000));
}
END_TEST

static Suite *reason_report_suite(void)
{
	Suite *s = suite_create("reason_report");
	TCase *tc = ot_test_tcase("report", 20);
	tcase_add_test(tc, test_child_report_after_huge_reason);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(reason_report_suite());
}
