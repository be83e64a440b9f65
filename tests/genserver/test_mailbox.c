/* SPDX-License-Identifier: MIT */
/*
 * test_mailbox.c — gen_server and the caller's mailbox: a call made with
 * unrelated messages queued gets its answer (reply, server's death,
 * timeout) past them, and leaves them where they were, in order; and a
 * server's mailbox limit (ot_gen_server_opts.max_messages, ...).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gs_test.h"

#define BACKLOG 10000
#define T_JUNK	7

static ot_gs_ret echo_call(const void *req, size_t size, ot_gs_from from,
			   void **state)
{
	(void)from;
	(void)size;
	(void)state;
	int v;
	memcpy(&v, req, sizeof v);
	if (v < 0)
		return ot_gs_stop(ot_reason_error(1, "asked to"));
	if (v == 0)
		return ot_gs_noreply(); /* the caller times out */
	v++;
	return ot_gs_reply(&v, sizeof v);
}

static ot_gs_ret echo_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

/* Cast 0: sleep until killed; cast 1: sleep a while. Each is counted in
 * the state, which a call returns. */
static ot_gs_ret slow_cast(const void *req, size_t size, void **state)
{
	(void)size;
	int v;
	memcpy(&v, req, sizeof v);
	*state = (void *)((intptr_t)*state + 1);
	ot_sleep(v == 0 ? OT_INFINITY : scaled_ms(300));
	return ot_gs_noreply();
}

static ot_gs_ret count_call(const void *req, size_t size, ot_gs_from from,
			    void **state)
{
	(void)req;
	(void)size;
	(void)from;
	int n = (int)(intptr_t)*state;
	return ot_gs_reply(&n, sizeof n);
}

static const ot_gen_server_callbacks echo_cb = {
    .init = echo_init,
    .handle_call = echo_call,
};

static const ot_gen_server_callbacks slow_cb = {
    .init = echo_init,
    .handle_call = count_call,
    .handle_cast = slow_cast,
};

static void queue_backlog(void)
{
	ot_pid me = ot_self();
	for (int64_t i = 0; i < BACKLOG; i++)
		send_i64(me, T_JUNK, i);
}

/* The backlog is all there, in order, and nothing else. */
static bool backlog_intact(void)
{
	ot_msg *m;
	for (int64_t i = 0; i < BACKLOG; i++) {
		if (ot_receive(&m, 0) != 0)
			return false;
		bool ok = ot_msg_tag(m) == T_JUNK && msg_i64(m) == i;
		ot_msg_free(m);
		if (!ok)
			return false;
	}
	return ot_receive(&m, 0) == OT_ETIMEDOUT;
}

static int call(ot_pid s, int v, int *back, int timeout_ms, ot_reason *why)
{
	size_t got = 0;
	return ot_gen_server_call(s, &v, sizeof v, back, sizeof *back, &got,
				  timeout_ms, why);
}

/* gen_server_SUITE:call_with_huge_message_queue */
START_TEST(test_call_past_backlog)
{
	ot_pid s = gs_start(&echo_cb, NULL);
	queue_backlog();
	for (int i = 1; i <= 100; i++) {
		int back = 0;
		ck_assert_ot_ok(call(s, i, &back, 5000, NULL));
		ck_assert_int_eq(back, i + 1);
	}
	ck_assert(backlog_intact());
	ck_assert_ot_ok(ot_gen_server_stop(s, NULL, 5000));
}
END_TEST

/* The same from a process (the caller is scheduled, not a thread). */
static void caller(void *arg)
{
	ot_pid s = *(ot_pid *)arg;
	queue_backlog();
	int bad = 0;
	for (int i = 1; i <= 100; i++) {
		int back = 0;
		if (call(s, i, &back, 5000, NULL) != 0 || back != i + 1)
			bad++;
	}
	gs_event(GS_EV_BASE, bad + (backlog_intact() ? 0 : 1000), NULL);
}

START_TEST(test_process_call_past_backlog)
{
	ot_pid *s = malloc(sizeof *s);
	*s = gs_start(&echo_cb, NULL);
	ck_assert_ot_ok(ot_spawn(caller, s, NULL, NULL));
	struct gs_ev ev = gs_expect_event(GS_EV_BASE, "caller done");
	ck_assert_int_eq(ev.n, 0);
	ck_assert_ot_ok(ot_gen_server_stop(*s, NULL, 5000));
	free(s);
}
END_TEST

/* The server's DOWN is found past the backlog; a timeout leaves no late
 * reply behind and the backlog untouched. (gen_server_SUITE:call_remote_n1
 * for the death, gen_server_SUITE:cast_fast for the queue) */
START_TEST(test_death_and_timeout_past_backlog)
{
	ot_pid s = gs_start(&echo_cb, NULL);
	queue_backlog();
	int back = 0;
	ck_assert_ot_err(call(s, 0, &back, 50, NULL), OT_ETIMEDOUT);
	ck_assert(backlog_intact());
	queue_backlog();
	ot_reason why;
	ck_assert_ot_err(call(s, -1, &back, 5000, &why), OT_ESERVERDIED);
	ck_assert(backlog_intact());
}
END_TEST

/* A stop waits for the server's DOWN past the backlog (its receive starts
 * at a mark, as a call's does) and leaves the backlog as it was.
 * (gen_server_SUITE:call_with_huge_message_queue, for stop) */
START_TEST(test_stop_past_backlog)
{
	ot_pid s = gs_start(&echo_cb, NULL);
	queue_backlog();
	ck_assert_ot_ok(ot_gen_server_stop(s, NULL, 5000));
	ck_assert(backlog_intact());
}
END_TEST

static void cast_n(ot_pid s, int v, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_ot_ok(ot_gen_server_cast(s, &v, sizeof v));
}

/* The server is in its slow cast, with nothing queued. */
static void wait_busy(ot_pid s)
{
	int64_t deadline = now_ms() + scaled_ms(3000);
	ot_process_info info;
	do {
		ck_assert_ot_ok(ot_process_info_get(s, &info));
		if (info.status == OT_PROC_WAITING && !info.message_queue_len)
			return;
		ot_sleep(1);
	} while (now_ms() < deadline);
	ck_abort_msg("the server never took its cast");
}

/* A server past its limit is killed with reason mailbox_limit, reported.
 * (erts process_SUITE:max_heap_size_test, as a gen_server start option:
 * gen_server_SUITE:spawn_opt) */
START_TEST(test_server_killed_past_limit)
{
	ot_gen_server_opts o = {.max_messages = 3};
	ot_pid s = gs_start_opts(&slow_cb, NULL, &o);
	ot_ref ref = ot_test_monitor(s);
	cast_n(s, 0, 1);
	wait_busy(s);
	cast_n(s, 1, 4);
	ot_reason r =
	    ot_test_expect_down(ref, 5000, "killed by its limit").reason;
	gs_assert_kind(&r, OT_REASON_ERROR, "mailbox limit");
	ck_assert_int_eq(r.code, OT_ELIMIT);
	ck_assert_str_eq(r.text, OT_MAILBOX_LIMIT_TEXT);
	ck_assert(
	    ot_test_log_wait(OT_TEST_NEED("mailbox_limit"), 3000, NULL, 0));
}
END_TEST

/* A server with the drop policy drops the casts past its limit, counts
 * them, and serves the others. */
START_TEST(test_server_drops_past_limit)
{
	ot_gen_server_opts o = {.max_messages = 3,
				.mailbox_policy = OT_MAILBOX_DROP};
	ot_pid s = gs_start_opts(&slow_cb, NULL, &o);
	cast_n(s, 1, 1);
	wait_busy(s);
	cast_n(s, 1, 10);
	ot_process_info info;
	ck_assert_ot_ok(ot_process_info_get(s, &info));
	ck_assert_uint_eq(info.message_queue_len, 3);
	ck_assert_uint_eq(info.mailbox_dropped, 7);
	/* A call now would be dropped too: wait for room. */
	wait_busy(s);
	int n = 0;
	ck_assert_ot_ok(call(s, 1, &n, 10000, NULL));
	ck_assert_int_eq(n, 4);
	ck_assert_ot_ok(ot_gen_server_stop(s, NULL, 5000));
}
END_TEST

START_TEST(test_server_bad_policy)
{
	ot_gen_server_opts o = {.mailbox_policy = 7};
	ck_assert_ot_err(ot_gen_server_start(&slow_cb, NULL, &o, NULL, NULL),
			 OT_EINVAL);
}
END_TEST

static Suite *mailbox_suite(void)
{
	Suite *s = suite_create("gs_mailbox");
	TCase *tc = gs_tcase("backlog", 30);
	tcase_add_test(tc, test_call_past_backlog);
	tcase_add_test(tc, test_process_call_past_backlog);
	tcase_add_test(tc, test_death_and_timeout_past_backlog);
	tcase_add_test(tc, test_stop_past_backlog);
	suite_add_tcase(s, tc);

	tc = gs_tcase("limit", 30);
	tcase_add_test(tc, test_server_killed_past_limit);
	tcase_add_test(tc, test_server_drops_past_limit);
	tcase_add_test(tc, test_server_bad_policy);
	suite_add_tcase(s, tc);

	tc = gs_tcase_one("limit_s1", 30);
	tcase_add_test(tc, test_server_killed_past_limit);
	tcase_add_test(tc, test_server_drops_past_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(mailbox_suite());
}
