/* SPDX-License-Identifier: MIT */
/*
 * test_mailbox.c — gen_server and the caller's mailbox: a call made with
 * unrelated messages queued gets its answer (reply, server's death,
 * timeout) past them, and leaves them where they were, in order.
 */
#include <stdlib.h>
#include <string.h>

#include "gs_test.h"

#define BACKLOG 10000
#define T_JUNK 7

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

static const ot_gen_server_callbacks echo_cb = {
	.init = echo_init,
	.handle_call = echo_call,
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

static Suite *mailbox_suite(void)
{
	Suite *s = suite_create("gs_mailbox");
	TCase *tc = gs_tcase("backlog", 30);
	tcase_add_test(tc, test_call_past_backlog);
	tcase_add_test(tc, test_process_call_past_backlog);
	tcase_add_test(tc, test_death_and_timeout_past_backlog);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(mailbox_suite());
}
