/* SPDX-License-Identifier: MIT */
/*
 * test_alias.c — aliases (alias.c): a message sent through an alias that
 * is no longer active is dropped, whether it comes after ot_unalias() or
 * had arrived before and was not received; what came through other
 * aliases, and ordinary messages, stay where they were.
 */
#include "config.h"

#include <string.h>

#include "fixture.h"

enum { T_PLAIN = 10, T_VIA = 11 };

static size_t queued(void)
{
	ot_process_info pi;
	ck_assert_ot_ok(ot_process_info_get(ot_self(), &pi));
	return pi.message_queue_len;
}

/* Waits until n messages are in the caller's mailbox. */
static void wait_queued(size_t n)
{
	int64_t deadline = now_ms() + scaled_ms(2000);
	while (queued() < n && now_ms() < deadline)
		ot_sleep(1);
	ck_assert_uint_eq(queued(), n);
}

struct sends {
	ot_pid to;
	uint64_t a, b;
};

/* Sends, from another process: plain, via a, via b, via a, plain. */
static void sender(void *arg)
{
	const struct sends *s = arg;
	int64_t v = 1;
	ot_send(s->to, T_PLAIN, &v, sizeof v);
	ot_send_alias(s->to, s->a, T_VIA, &v, sizeof v);
	v = 2;
	ot_send_alias(s->to, s->b, T_VIA, &v, sizeof v);
	v = 3;
	ot_send_alias(s->to, s->a, T_VIA, &v, sizeof v);
	ot_send(s->to, T_PLAIN, &v, sizeof v);
}

/* Unreceived messages through a are dropped at ot_unalias(a), at once;
 * b's and the plain ones keep their order. Then the same after one of a's
 * was received. */
START_TEST(test_unalias_drops_what_arrived)
{
	static struct sends s;
	s.to = ot_self();
	ck_assert_ot_ok(ot_alias(&s.a));
	ck_assert_ot_ok(ot_alias(&s.b));
	ck_assert_ot_ok(ot_spawn(sender, &s, NULL, NULL));
	wait_queued(5);
	ck_assert_int_eq(ot_unalias(s.a), 1);
	ck_assert_uint_eq(queued(), 3);
	uint64_t want_tag[] = {T_PLAIN, T_VIA, T_PLAIN};
	uint64_t want_alias[] = {0, s.b, 0};
	int64_t want_v[] = {1, 2, 3};
	for (int i = 0; i < 3; i++) {
		ot_msg *m = expect_msg(want_tag[i], 1000);
		ck_assert_uint_eq(ot_msg_alias(m), want_alias[i]);
		ck_assert_int_eq(msg_i64(m), want_v[i]);
		ot_msg_free(m);
	}
	ck_assert_int_eq(ot_unalias(s.b), 1);
	ck_assert_int_eq(ot_unalias(s.b), 0);

	/* one of a's received first: only the other is dropped */
	ck_assert_ot_ok(ot_alias(&s.a));
	ck_assert_ot_ok(ot_alias(&s.b));
	ck_assert_ot_ok(ot_spawn(sender, &s, NULL, NULL));
	wait_queued(5);
	ot_msg *m = expect_msg(T_PLAIN, 1000);
	ot_msg_free(m);
	m = expect_msg(T_VIA, 1000);
	ck_assert_uint_eq(ot_msg_alias(m), s.a);
	ot_msg_free(m);
	ck_assert_int_eq(ot_unalias(s.a), 1);
	ck_assert_int_eq(ot_unalias(s.b), 1);
	ck_assert_uint_eq(queued(), 1);
	m = expect_msg(T_PLAIN, 1000);
	ck_assert_int_eq(msg_i64(m), 3);
	ot_msg_free(m);
	ck_assert_uint_eq(queued(), 0);
}
END_TEST

struct proc_res {
	ot_pid test;
	size_t left;
	int unalias_rc;
};

/* The same in a process, with the messages still in its inbox (it has
 * not looked at its mailbox since they came). */
static void unaliaser(void *arg)
{
	struct proc_res *r = arg;
	static struct sends s;
	s.to = ot_self();
	ot_alias(&s.a);
	ot_alias(&s.b);
	ot_pid p;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR};
	ot_ref ref;
	so.monitor_ref = &ref;
	ot_spawn(sender, &s, &so, &p);
	/* wait for the sender's five messages and its DOWN without
	 * receiving anything (its DOWN may come after ot_is_alive() is
	 * false: it ends, then its signals go out) */
	ot_process_info pi;
	int64_t deadline = now_ms() + scaled_ms(2000);
	while (ot_process_info_get(ot_self(), &pi) == 0 &&
	       pi.message_queue_len < 6 && now_ms() < deadline)
		ot_yield();
	r->unalias_rc = ot_unalias(s.a);
	ot_unalias(s.b);
	ot_process_info_get(ot_self(), &pi);
	r->left = pi.message_queue_len; /* 2 plain and a DOWN */
	ot_send(r->test, 1, NULL, 0);
}

START_TEST(test_unalias_drops_from_inbox)
{
	static struct proc_res r;
	memset(&r, 0, sizeof r);
	r.test = ot_self();
	ck_assert_ot_ok(ot_spawn(unaliaser, &r, NULL, NULL));
	ot_msg *m = expect_msg(1, 3000);
	ot_msg_free(m);
	ck_assert_int_eq(r.unalias_rc, 1);
	ck_assert_uint_eq(r.left, 3);
}
END_TEST

static Suite *alias_suite(void)
{
	Suite *s = suite_create("alias");
	TCase *tc = ot_test_tcase("unalias", 10);
	tcase_add_test(tc, test_unalias_drops_what_arrived);
	tcase_add_test(tc, test_unalias_drops_from_inbox);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(alias_suite());
}
