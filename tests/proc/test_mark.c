/* SPDX-License-Identifier: MIT */
/*
 * test_mark.c — receive markers: ot_mailbox_mark() and
 * ot_receive_match_since(). A receive from a mark sees only what arrived
 * after it; the older messages are not offered, stay, and keep their order;
 * a mark survives whatever happens to the messages before it.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

enum { T_OLD = 1, T_NEW, T_GO, T_RESULT };

static ot_pid g_test;

struct counted {
	uint64_t want;
	int calls;
};

static bool match_counted(const ot_msg *m, void *arg)
{
	struct counted *c = arg;
	c->calls++;
	return ot_msg_tag(m) == c->want;
}

static bool match_any(const ot_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	return true;
}

/* The next n messages are tag, with payloads first, first + 1, ... */
static void expect_run(uint64_t tag, int64_t first, int n)
{
	for (int i = 0; i < n; i++) {
		ot_msg *m;
		ck_assert_ot_ok(ot_receive(&m, 0));
		ck_assert_uint_eq(ot_msg_tag(m), tag);
		ck_assert_int_eq(msg_i64(m), first + i);
		ot_msg_free(m);
	}
}

static void send_run(ot_pid to, uint64_t tag, int64_t first, int n)
{
	for (int i = 0; i < n; i++)
		send_i64(to, tag, first + i);
}

/* Sends the caller n messages tag (0, 1, ...), then marks its mailbox. */
static ot_mark mark_after(uint64_t tag, int n)
{
	send_run(ot_self(), tag, 0, n);
	ot_mark mark;
	ck_assert_ot_ok(ot_mailbox_mark(&mark));
	return mark;
}

/* expect_run(), and then the mailbox is empty. */
static void expect_only_run(uint64_t tag, int64_t first, int n)
{
	expect_run(tag, first, n);
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
}

/* The message of the mark's receive is the newer one, though an older
 * message matches too; the older ones are not even offered, and stay in
 * order before it. (OTP: the receive marker of gen:do_call, compiler's
 * receive_SUITE:ref_opt) */
START_TEST(test_since_skips_older)
{
	ot_pid me = ot_self();
	ot_mark mark = mark_after(T_NEW, 5);
	send_i64(me, T_NEW, 5);
	struct counted c = {.want = T_NEW};
	ot_msg *m;
	ck_assert_ot_ok(ot_receive_match_since(mark, match_counted, &c, &m, 0));
	ck_assert_int_eq(msg_i64(m), 5);
	ot_msg_free(m);
	ck_assert_int_eq(c.calls, 1);
	/* Nothing newer is left. */
	ck_assert_ot_err(ot_receive_match_since(mark, match_any, NULL, &m, 0),
			 OT_ETIMEDOUT);
	expect_only_run(T_NEW, 0, 5);
}
END_TEST

/* Older and newer messages interleave with others after the mark: the
 * receive takes the first newer match, the rest stay in arrival order. */
START_TEST(test_since_keeps_order)
{
	ot_pid me = ot_self();
	ot_mark mark = mark_after(T_OLD, 3);
	send_run(me, T_OLD, 3, 2);
	send_i64(me, T_NEW, 100);
	send_i64(me, T_OLD, 5);
	struct counted c = {.want = T_NEW};
	ot_msg *m;
	ck_assert_ot_ok(ot_receive_match_since(mark, match_counted, &c, &m, 0));
	ck_assert_int_eq(msg_i64(m), 100);
	ot_msg_free(m);
	ck_assert_int_eq(c.calls, 3); /* the two newer T_OLD, then T_NEW */
	expect_only_run(T_OLD, 0, 6);
}
END_TEST

START_TEST(test_zero_mark_is_everything)
{
	ot_pid me = ot_self();
	send_i64(me, T_OLD, 7);
	ot_mark zero = {0};
	ot_msg *m;
	ck_assert_ot_ok(ot_receive_match_since(zero, match_any, NULL, &m, 0));
	ck_assert_int_eq(msg_i64(m), 7);
	ot_msg_free(m);
}
END_TEST

/* The messages before the mark are all taken, the mailbox is emptied:
 * the mark still finds what comes after it, and only that. */
START_TEST(test_mark_survives_consumption)
{
	ot_pid me = ot_self();
	ot_mark mark = mark_after(T_OLD, 3);
	expect_run(T_OLD, 0, 3);
	ot_msg *m;
	ck_assert_ot_err(ot_receive_match_since(mark, match_any, NULL, &m, 0),
			 OT_ETIMEDOUT);
	send_i64(me, T_NEW, 1);
	ck_assert_ot_ok(ot_receive_match_since(mark, match_any, NULL, &m, 0));
	ck_assert_int_eq(msg_i64(m), 1);
	ot_msg_free(m);
	/* Some taken, some left: the same. */
	send_run(me, T_OLD, 0, 4);
	ck_assert_ot_ok(ot_mailbox_mark(&mark));
	send_i64(me, T_NEW, 2);
	expect_run(T_OLD, 0, 2);
	ck_assert_ot_ok(ot_receive_match_since(mark, match_any, NULL, &m, 0));
	ck_assert_int_eq(msg_i64(m), 2);
	ot_msg_free(m);
	expect_run(T_OLD, 2, 2);
}
END_TEST

/* Unread messages of an alias are dropped by ot_unalias(), on either side
 * of the mark: the mark still holds, the others keep their order. */
START_TEST(test_mark_survives_alias_drop)
{
	ot_pid me = ot_self();
	uint64_t a;
	ck_assert_ot_ok(ot_alias(&a));
	int64_t v = 0;
	send_i64(me, T_OLD, 0);
	ck_assert_ot_ok(ot_send_alias(me, a, T_NEW, &v, sizeof v));
	ot_mark mark;
	ck_assert_ot_ok(ot_mailbox_mark(&mark));
	ck_assert_ot_ok(ot_send_alias(me, a, T_NEW, &v, sizeof v));
	send_i64(me, T_OLD, 1);
	ck_assert_int_eq(ot_unalias(a), 1);
	send_i64(me, T_NEW, 9);
	struct counted c = {.want = T_NEW};
	ot_msg *m;
	ck_assert_ot_ok(ot_receive_match_since(mark, match_counted, &c, &m, 0));
	ck_assert_int_eq(msg_i64(m), 9);
	ck_assert_uint_eq(ot_msg_alias(m), 0);
	ot_msg_free(m);
	expect_only_run(T_OLD, 0, 2);
}
END_TEST

/* A DOWN is a signal until it is taken: one that arrives after the mark
 * (a monitor of a process that is gone: at once) is found from it. */
START_TEST(test_since_finds_down)
{
	ot_pid me = ot_self();
	ot_mark mark = mark_after(T_OLD, 3);
	ot_pid gone = me;
	gone.id += UINT64_C(1) << 40; /* a later generation: never lived */
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(gone, &ref));
	ot_msg *m;
	ck_assert_ot_ok(
	    ot_receive_match_since(mark, match_any, NULL, &m, 1000));
	ck_assert_uint_eq(ot_msg_tag(m), OT_TAG_DOWN);
	ck_assert_uint_eq(ot_msg_down(m)->ref.id, ref.id);
	ot_msg_free(m);
	expect_run(T_OLD, 0, 3);
}
END_TEST

/* A process marks, lets a sender queue messages while it waits (some
 * sent before the mark sit in its inbox, not yet looked at), and waits
 * from the mark: it gets the newer message only. */
static void old_then_new(void *arg)
{
	ot_pid to = *(ot_pid *)arg;
	free(arg);
	send_run(to, T_OLD, 0, 1000);
	send_i64(to, T_GO, 0);
	ot_msg *m = expect_msg(T_GO, 5000);
	ot_msg_free(m);
	send_i64(to, T_NEW, 1000);
}

static void marker(void *arg)
{
	(void)arg;
	ot_pid *me = malloc(sizeof *me);
	*me = ot_self();
	ot_pid sender;
	if (ot_spawn(old_then_new, me, NULL, &sender) != 0)
		return;
	/* T_GO: the 1000 T_OLD came before; the mark is after all of them. */
	struct counted go = {.want = T_GO};
	ot_msg *m;
	ot_receive_match(match_counted, &go, &m, 5000);
	ot_msg_free(m);
	ot_mark mark;
	ot_mailbox_mark(&mark);
	send_i64(sender, T_GO, 0);
	int64_t got = -1;
	if (ot_receive_match_since(mark, match_any, NULL, &m, 5000) == 0) {
		got = msg_i64(m);
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, got);
	/* And the old ones are all there, in order, after it. */
	int64_t in_order = 0;
	while (ot_receive(&m, 0) == 0) {
		if (ot_msg_tag(m) == T_OLD && msg_i64(m) == in_order)
			in_order++;
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, in_order);
}

START_TEST(test_process_waits_from_mark)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(marker, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 5000);
	ck_assert_int_eq(msg_i64(m), 1000);
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 5000);
	ck_assert_int_eq(msg_i64(m), 1000);
	ot_msg_free(m);
}
END_TEST

static void mark_and_report(void *arg)
{
	(void)arg;
	ot_mark mark;
	ot_mailbox_mark(&mark);
	ot_send(g_test, T_RESULT, &mark, sizeof mark);
}

START_TEST(test_bad_arguments)
{
	ot_mark mark;
	ot_msg *m;
	ck_assert_ot_err(ot_mailbox_mark(NULL), OT_EINVAL);
	ck_assert_ot_ok(ot_mailbox_mark(&mark));
	ck_assert_ot_err(ot_receive_match_since(mark, NULL, NULL, &m, 0),
			 OT_EINVAL);
	ck_assert_ot_err(ot_receive_match_since(mark, match_any, NULL, NULL, 0),
			 OT_EINVAL);
	ck_assert_ot_err(ot_receive_match_since(mark, match_any, NULL, &m, -2),
			 OT_EINVAL);
	/* Another process's mark. */
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(mark_and_report, NULL, NULL, NULL));
	m = expect_msg(T_RESULT, 5000);
	ot_mark theirs;
	memcpy(&theirs, ot_msg_data(m), sizeof theirs);
	ot_msg_free(m);
	ck_assert_ot_err(ot_receive_match_since(theirs, match_any, NULL, &m, 0),
			 OT_EINVAL);
}
END_TEST

START_TEST(test_not_started)
{
	ot_mark mark = {0};
	ot_msg *m;
	ck_assert_ot_err(ot_mailbox_mark(&mark), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_receive_match_since(mark, match_any, NULL, &m, 0),
			 OT_ENOTSTARTED);
}
END_TEST

static Suite *mark_suite(void)
{
	Suite *s = suite_create("mark");
	TCase *tc = ot_test_tcase("since", 20);
	tcase_add_test(tc, test_since_skips_older);
	tcase_add_test(tc, test_since_keeps_order);
	tcase_add_test(tc, test_zero_mark_is_everything);
	tcase_add_test(tc, test_mark_survives_consumption);
	tcase_add_test(tc, test_mark_survives_alias_drop);
	tcase_add_test(tc, test_since_finds_down);
	tcase_add_test(tc, test_process_waits_from_mark);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("stopped");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_not_started);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(mark_suite());
}
