/* SPDX-License-Identifier: MIT */
/*
 * test_alias.c — aliases (alias.c): a message sent through an alias that
 * is no longer active is dropped, whether it comes after ot_unalias() or
 * had arrived before and was not received; what came through other
 * aliases, and ordinary messages, stay where they were. A process holds
 * as many aliases as memory allows: its table grows, and removing entries
 * from the middle of it loses no other. A monitor's reference can be an
 * alias (ot_monitor_alias(), OTP 24's {alias, Mode}), ended by what its
 * mode says (OTP's process_SUITE alias and monitor_alias cases).
 */
#include "config.h"

#include <string.h>

#include "expect.h"
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

enum { MANY = 5000 };

/* Sends one T_VIA message through each of aliases[0..n) to the caller,
 * and returns how many arrived (those through active aliases). */
static size_t through_each(const uint64_t *aliases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = i;
		ck_assert_ot_ok(
		    ot_send_alias(ot_self(), aliases[i], T_VIA, &v, sizeof v));
	}
	size_t got = 0;
	ot_msg *m;
	while (ot_receive(&m, 0) == 0) {
		got++;
		ot_msg_free(m);
	}
	return got;
}

/* MANY aliases at once (the table grows from its first 8 entries many
 * times); every other one removed, in an order that leaves holes inside
 * probe runs; the rest still deliver, the removed ones drop; all removed,
 * nothing arrives and new aliases work again. */
START_TEST(test_many_aliases)
{
	static uint64_t a[MANY];
	for (size_t i = 0; i < MANY; i++) {
		ck_assert_ot_ok(ot_alias(&a[i]));
		ck_assert_uint_ne(a[i], 0);
		for (size_t j = i > 8 ? i - 8 : 0; j < i; j++)
			ck_assert_uint_ne(a[i], a[j]);
	}
	ck_assert_uint_eq(through_each(a, MANY), MANY);
	for (size_t i = 1; i < MANY; i += 2)
		ck_assert_int_eq(ot_unalias(a[MANY - i]), 1);
	size_t kept = 0;
	for (size_t i = 0; i < MANY; i++) {
		uint64_t v = i;
		ck_assert_ot_ok(
		    ot_send_alias(ot_self(), a[i], T_VIA, &v, sizeof v));
		ot_msg *m;
		if (ot_receive(&m, 0) == 0) {
			ck_assert_uint_eq(*(const uint64_t *)ot_msg_data(m), i);
			ck_assert_msg(((MANY - i) & 1) == 0,
				      "alias %zu was removed", i);
			ot_msg_free(m);
			kept++;
		} else {
			ck_assert_msg((MANY - i) & 1, "alias %zu was kept", i);
		}
	}
	ck_assert_uint_eq(kept, MANY / 2);
	for (size_t i = 0; i < MANY; i++)
		ck_assert_int_eq(ot_unalias(a[i]), (MANY - i) & 1 ? 0 : 1);
	ck_assert_uint_eq(through_each(a, MANY), 0);
	uint64_t again;
	ck_assert_ot_ok(ot_alias(&again));
	ck_assert_uint_eq(through_each(&again, 1), 1);
	ck_assert_int_eq(ot_unalias(again), 1);
	ck_assert_uint_eq(queued(), 0);
}
END_TEST

/* Messages through an alias, delivered but not taken while the table
 * grows under them, are still dropped by ot_unalias(): the counts move
 * with the entries. */
START_TEST(test_unread_survive_growth)
{
	uint64_t first;
	ck_assert_ot_ok(ot_alias(&first));
	uint64_t v = 7;
	ck_assert_ot_ok(ot_send_alias(ot_self(), first, T_VIA, &v, sizeof v));
	wait_queued(1);
	static uint64_t more[64];
	for (size_t i = 0; i < 64; i++)
		ck_assert_ot_ok(ot_alias(&more[i]));
	ck_assert_int_eq(ot_unalias(first), 1);
	ck_assert_uint_eq(queued(), 0);
	for (size_t i = 0; i < 64; i++)
		ck_assert_int_eq(ot_unalias(more[i]), 1);
}
END_TEST

/* ---------------------------------------------------------------------
 * Monitors with aliases
 */
enum { T_CMD = 20, T_REPLY = 21, T_QUIT = 22 };

struct cmd {
	ot_pid to;
	uint64_t alias;
	int count; /* messages to send through alias */
};

/* Sends through an alias as told (count messages, numbered from 1), and
 * acknowledges each command with a plain T_CMD; ends on T_QUIT. */
static void replier(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *m = NULL;
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		if (ot_msg_tag(m) == T_QUIT) {
			ot_msg_free(m);
			return;
		}
		struct cmd c;
		memcpy(&c, ot_msg_data(m), sizeof c);
		ot_msg_free(m);
		for (int64_t i = 1; i <= c.count; i++)
			ot_send_alias(c.to, c.alias, T_REPLY, &i, sizeof i);
		ot_send(c.to, T_CMD, NULL, 0);
	}
}

static bool is_ack(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == T_CMD;
}

/* Asks server to send n messages through alias, and waits for its ack (so
 * that what it sent is in our mailbox or was dropped). */
static void ask(ot_pid server, uint64_t alias, int n)
{
	struct cmd c = {ot_self(), alias, n};
	ck_assert_ot_ok(ot_send(server, T_CMD, &c, sizeof c));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive_match(is_ack, NULL, &m, scaled_ms(2000)));
	ot_msg_free(m);
}

/* Takes the T_REPLY messages in the mailbox; returns how many. */
static int replies(void)
{
	int n = 0;
	ot_msg *m;
	while (ot_receive(&m, 0) == 0) {
		ck_assert_uint_eq(ot_msg_tag(m), T_REPLY);
		n++;
		ot_msg_free(m);
	}
	return n;
}

/* Ends a replier and waits until it is gone. */
static void stop_replier(ot_pid p)
{
	ot_ref mon = ot_test_monitor(p);
	ck_assert_ot_ok(ot_send(p, T_QUIT, NULL, 0));
	ot_down_info d = ot_test_expect_down(mon, 2000, "quit");
	ck_assert(ot_reason_is_clean(&d.reason));
}

/* A replier, monitored with an alias of mode: *ref. */
static ot_pid start_watched(ot_alias_mode mode, ot_ref *ref)
{
	ot_pid r = ot_test_spawn(replier, NULL);
	ck_assert_ot_ok(ot_monitor_alias(r, mode, ref));
	return r;
}

START_TEST(test_monitor_alias_explicit_unalias)
{
	ot_ref ref;
	ot_pid r = start_watched(OT_ALIAS_EXPLICIT_UNALIAS, &ref);
	ask(r, ref.id, 2);
	ck_assert_int_eq(replies(), 2);
	/* it outlives the monitor */
	ck_assert_ot_ok(ot_demonitor(ref, OT_DEMONITOR_FLUSH));
	ask(r, ref.id, 1);
	ck_assert_int_eq(replies(), 1);
	ck_assert_int_eq(ot_unalias(ref.id), 1);
	ask(r, ref.id, 1);
	ck_assert_int_eq(replies(), 0);
	stop_replier(r);
}
END_TEST

START_TEST(test_monitor_alias_demonitor)
{
	ot_ref ref;
	ot_pid r = start_watched(OT_ALIAS_DEMONITOR, &ref);
	ask(r, ref.id, 3);
	ck_assert_int_eq(replies(), 3);
	/* ended by ot_demonitor(), with what came and was not received */
	ask(r, ref.id, 2);
	ck_assert_ot_ok(ot_demonitor(ref, OT_DEMONITOR_FLUSH));
	ck_assert_int_eq(ot_unalias(ref.id), 0);
	ask(r, ref.id, 1);
	ck_assert_int_eq(replies(), 0);

	/* ended by the DOWN: what came before it stays, nothing after */
	ck_assert_ot_ok(ot_monitor_alias(r, OT_ALIAS_DEMONITOR, &ref));
	ask(r, ref.id, 1);
	ck_assert_ot_ok(ot_send(r, T_QUIT, NULL, 0));
	ot_test_expect_down(ref, 2000, "demonitor mode");
	ck_assert_int_eq(replies(), 1);
	ck_assert_int_eq(ot_unalias(ref.id), 0);
}
END_TEST

START_TEST(test_monitor_alias_reply_demonitor)
{
	ot_ref ref;
	ot_pid r = start_watched(OT_ALIAS_REPLY_DEMONITOR, &ref);
	/* two sent: the first ends alias and monitor, the second drops */
	ask(r, ref.id, 2);
	ot_msg *m = expect_msg(T_REPLY, 1000);
	ck_assert_uint_eq(ot_msg_alias(m), ref.id);
	ck_assert_int_eq(msg_i64(m), 1);
	ot_msg_free(m);
	ck_assert_int_eq(replies(), 0);
	ck_assert_int_eq(ot_unalias(ref.id), 0);
	ot_process_info pi;
	ck_assert_ot_ok(ot_process_info_get(r, &pi));
	/* no DOWN follows the reply */
	stop_replier(r);
	ot_test_expect_no_down(ref, 50, "after the reply");
	ck_assert_uint_eq(queued(), 0);
}
END_TEST

/* The reply and then the DOWN are both in the mailbox before the reply is
 * received: the reply ended the monitor, so the DOWN is dropped. */
START_TEST(test_monitor_alias_reply_then_death)
{
	ot_pid r = ot_test_spawn(replier, NULL);
	ot_ref ref, mon;
	ck_assert_ot_ok(ot_monitor_alias(r, OT_ALIAS_REPLY_DEMONITOR, &ref));
	mon = ot_test_monitor(r); /* a plain one, to know when it ended */
	struct cmd c = {ot_self(), ref.id, 1};
	ck_assert_ot_ok(ot_send(r, T_CMD, &c, sizeof c));
	ck_assert_ot_ok(ot_send(r, T_QUIT, NULL, 0));
	ot_test_expect_down(mon, 2000, "the replier ended");
	ot_msg *m = NULL;
	ck_assert_ot_err(ot_receive_match(ot_test_is_down_of, &ref, &m, 0),
			 OT_ETIMEDOUT);
	m = expect_msg(T_REPLY, 1000);
	ck_assert_uint_eq(ot_msg_alias(m), ref.id);
	ot_msg_free(m);
	ot_msg_free(expect_msg(T_CMD, 1000));
	ck_assert_uint_eq(queued(), 0);
	ck_assert_int_eq(ot_unalias(ref.id), 0);
}
END_TEST

/* The monitored process ends before any reply: the DOWN comes, and ends
 * the alias; a reply sent later (by anyone) is dropped. */
START_TEST(test_monitor_alias_reply_demonitor_down_first)
{
	ot_pid r = ot_test_spawn(replier, NULL),
	       other = ot_test_spawn(replier, NULL);
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor_alias(r, OT_ALIAS_REPLY_DEMONITOR, &ref));
	ck_assert_ot_ok(ot_send(r, T_QUIT, NULL, 0));
	ot_test_expect_down(ref, 2000, "reply_demonitor, no reply");
	ask(other, ref.id, 1);
	ck_assert_int_eq(replies(), 0);
	stop_replier(other);
}
END_TEST

/* Its reply arrived but was not received yet: ot_demonitor() drops it. */
START_TEST(test_monitor_alias_demonitor_drops_unread_reply)
{
	ot_ref ref;
	ot_pid r = start_watched(OT_ALIAS_REPLY_DEMONITOR, &ref);
	struct cmd c = {ot_self(), ref.id, 1};
	ck_assert_ot_ok(ot_send(r, T_CMD, &c, sizeof c));
	wait_queued(2); /* the reply and the ack, untaken */
	ck_assert_ot_ok(ot_demonitor(ref, OT_DEMONITOR_FLUSH));
	ck_assert_uint_eq(queued(), 1);
	ot_msg_free(expect_msg(T_CMD, 1000));
	ck_assert_uint_eq(queued(), 0);
	stop_replier(r);
}
END_TEST

/* A process that is not alive: the DOWN (noproc) at once; the alias only
 * when it is explicit. */
START_TEST(test_monitor_alias_of_the_dead)
{
	ot_pid r = ot_test_spawn(replier, NULL);
	stop_replier(r);
	ot_pid helper = ot_test_spawn(replier, NULL);
	for (int mode = OT_ALIAS_EXPLICIT_UNALIAS;
	     mode <= OT_ALIAS_REPLY_DEMONITOR; mode++) {
		ot_ref ref;
		ck_assert_ot_ok(ot_monitor_alias(r, (ot_alias_mode)mode, &ref));
		ot_down_info d = ot_test_expect_down(ref, 1000, "noproc");
		ck_assert_int_eq(d.reason.kind, OT_REASON_NOPROC);
		ask(helper, ref.id, 1);
		ck_assert_int_eq(replies(),
				 mode == OT_ALIAS_EXPLICIT_UNALIAS ? 1 : 0);
		ck_assert_int_eq(ot_unalias(ref.id),
				 mode == OT_ALIAS_EXPLICIT_UNALIAS ? 1 : 0);
	}
	stop_replier(helper);
}
END_TEST

START_TEST(test_monitor_alias_bad_arguments)
{
	ot_ref ref;
	ot_pid self = ot_self();
	ck_assert_ot_err(ot_monitor_alias(self, 0, &ref), OT_EINVAL);
	ck_assert_ot_err(ot_monitor_alias(self, 4, &ref), OT_EINVAL);
	ck_assert_ot_err(ot_monitor_alias(self, (ot_alias_mode)-1, &ref),
			 OT_EINVAL);
	ck_assert_ot_err(ot_monitor_alias(self, OT_ALIAS_REPLY_DEMONITOR, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(
	    ot_monitor_alias(OT_PID_NONE, OT_ALIAS_REPLY_DEMONITOR, &ref),
	    OT_EINVAL);
}
END_TEST

START_TEST(test_monitor_alias_not_started)
{
	ot_ref ref;
	ck_assert_ot_err(ot_monitor_alias((ot_pid){(1ull << 32) | 1},
					  OT_ALIAS_DEMONITOR, &ref),
			 OT_ENOTSTARTED);
}
END_TEST

static Suite *alias_suite(void)
{
	Suite *s = suite_create("alias");
	TCase *tc = ot_test_tcase("unalias", 10);
	tcase_add_test(tc, test_unalias_drops_what_arrived);
	tcase_add_test(tc, test_unalias_drops_from_inbox);
	suite_add_tcase(s, tc);
	tc = ot_test_tcase("table", 30);
	tcase_add_test(tc, test_many_aliases);
	tcase_add_test(tc, test_unread_survive_growth);
	suite_add_tcase(s, tc);
	tc = ot_test_tcase("monitor_alias", 20);
	tcase_add_test(tc, test_monitor_alias_explicit_unalias);
	tcase_add_test(tc, test_monitor_alias_demonitor);
	tcase_add_test(tc, test_monitor_alias_reply_demonitor);
	tcase_add_test(tc, test_monitor_alias_reply_demonitor_down_first);
	tcase_add_test(tc, test_monitor_alias_reply_then_death);
	tcase_add_test(tc, test_monitor_alias_demonitor_drops_unread_reply);
	tcase_add_test(tc, test_monitor_alias_of_the_dead);
	tcase_add_test(tc, test_monitor_alias_bad_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("monitor_alias_stopped");
	tcase_add_test(tc, test_monitor_alias_not_started);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(alias_suite());
}
