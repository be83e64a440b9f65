/* SPDX-License-Identifier: MIT */
/*
 * test_limit.c — mailbox limits (ot_spawn_opts.max_messages, max_bytes,
 * mailbox_policy): a process past its limit is killed with reason
 * mailbox_limit and a crash report, or drops and counts the new message;
 * signals (EXIT, DOWN) never count and are never dropped; senders on
 * foreign threads and in processes, on one and two schedulers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

enum { T_DATA = 1, T_READY, T_RESULT };

static ot_pid g_test;

/* ---- reports -------------------------------------------------------- */

static int limit_reports(void)
{
	return ot_test_log_matching(
	    OT_TEST_NEED("CRASH REPORT", "mailbox_limit"), NULL, 0);
}

static void setup_two(void)
{
	ot_test_setup();
	ot_test_log_capture();
}

static void setup_one(void)
{
	ot_test_setup_one();
	ot_test_log_capture();
}

static void teardown(void)
{
	ot_set_logger(NULL, NULL);
	ot_test_teardown();
}

/* ---- the limited processes ------------------------------------------ */

static bool is_down(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_down(m) != NULL;
}

static bool is_exit(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_exit(m) != NULL;
}

/* Sleeps until killed. */
static void sleeper(void *arg)
{
	(void)arg;
	ot_sleep(OT_INFINITY);
}

/* Monitors the pid in *arg (freed), says T_READY, waits for its DOWN
 * (which its limit must let through), then reports how many T_DATA it
 * finds, -1 if they are not in order per sender (payload: sender index
 * << 32 | n), then -2. */
static void drainer(void *arg)
{
	ot_pid watched = *(ot_pid *)arg;
	free(arg);
	ot_ref ref;
	ot_monitor(watched, &ref);
	send_i64(g_test, T_READY, 0);
	ot_msg *m;
	if (ot_receive_match(is_down, NULL, &m, OT_INFINITY) != 0)
		return;
	ot_msg_free(m);
	int64_t n = 0, next[64] = {0};
	bool ordered = true;
	while (ot_receive(&m, 0) == 0) {
		if (ot_msg_tag(m) == T_DATA) {
			int64_t v = ot_msg_size(m) >= 8 ? msg_i64(m) : 0;
			int who = (int)((v >> 32) & 63);
			int64_t k = v & 0xffffffff;
			if (k < next[who])
				ordered = false;
			next[who] = k + 1;
			n++;
		}
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, ordered ? n : -1);
}

static ot_pid spawn_limited(ot_proc_fn fn, void *arg, size_t max_messages,
			    size_t max_bytes, unsigned policy, ot_ref *ref)
{
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR,
			   .monitor_ref = ref,
			   .max_messages = max_messages,
			   .max_bytes = max_bytes,
			   .mailbox_policy = policy};
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(fn, arg, &o, &pid));
	return pid;
}

/* A drainer that waits for the DOWN of a sleeper the test kills later. */
static ot_pid spawn_drainer(size_t max_messages, size_t max_bytes, ot_pid *hold,
			    ot_ref *ref)
{
	ck_assert_ot_ok(ot_spawn(sleeper, NULL, NULL, hold));
	ot_pid *arg = malloc(sizeof *arg);
	*arg = *hold;
	ot_pid pid = spawn_limited(drainer, arg, max_messages, max_bytes,
				   OT_MAILBOX_DROP, ref);
	ot_msg_free(expect_msg(T_READY, 5000));
	return pid;
}

static ot_down_info expect_down(ot_ref ref)
{
	return ot_test_expect_down(ref, 10000, "the limited process");
}

static void assert_limit_reason(const ot_reason *r)
{
	char buf[OT_REASON_STRLEN];
	ot_reason_format(r, buf, sizeof buf);
	ck_assert_msg(r->kind == OT_REASON_ERROR && r->code == OT_ELIMIT &&
			  strcmp(r->text, OT_MAILBOX_LIMIT_TEXT) == 0,
		      "reason %s", buf);
	ck_assert_msg(strstr(buf, "mailbox_limit") != NULL, "printed %s", buf);
}

static void expect_limit_report(void)
{
	ck_assert(ot_test_log_wait(
	    OT_TEST_NEED("CRASH REPORT", "mailbox_limit"), 3000, NULL, 0));
	ck_assert_int_eq(limit_reports(), 1);
}

static size_t queue_len(ot_pid pid, size_t *dropped)
{
	ot_process_info info;
	ck_assert_ot_ok(ot_process_info_get(pid, &info));
	if (dropped)
		*dropped = info.mailbox_dropped;
	return info.message_queue_len;
}

/* ---- kill ---------------------------------------------------------- */

/* Up to the limit it lives; one past it, it is killed with reason
 * mailbox_limit and a crash report. (erts process_SUITE:max_heap_size_test
 * for the kill and its report) */
START_TEST(test_kill_past_limit)
{
	ot_ref ref;
	ot_pid p = spawn_limited(sleeper, NULL, 10, 0, OT_MAILBOX_KILL, &ref);
	for (int64_t i = 0; i < 10; i++)
		send_i64(p, T_DATA, i);
	ck_assert_uint_eq(queue_len(p, NULL), 10);
	ck_assert(ot_is_alive(p));
	send_i64(p, T_DATA, 10);
	ot_down_info d = expect_down(ref);
	assert_limit_reason(&d.reason);
	expect_limit_report();
}
END_TEST

START_TEST(test_kill_past_byte_limit)
{
	ot_ref ref;
	ot_pid p = spawn_limited(sleeper, NULL, 0, 100, OT_MAILBOX_KILL, &ref);
	char buf[40] = {0};
	ck_assert_ot_ok(ot_send(p, T_DATA, buf, sizeof buf));
	ck_assert_ot_ok(ot_send(p, T_DATA, buf, sizeof buf));
	ck_assert_ot_ok(ot_send(p, T_DATA, NULL, 0)); /* 80 bytes: fits */
	ck_assert_uint_eq(queue_len(p, NULL), 3);
	ck_assert_ot_ok(ot_send(p, T_DATA, buf, sizeof buf));
	ot_down_info d = expect_down(ref);
	assert_limit_reason(&d.reason);
}
END_TEST

/* A process at its limit that traps exits still gets every EXIT and
 * DOWN, and is not killed by them. */
static void full_trapper(void *arg)
{
	ot_pid other = *(ot_pid *)arg;
	free(arg);
	ot_trap_exit(true, NULL);
	ot_link(other);
	ot_ref ref;
	ot_monitor(other, &ref);
	/* Full: the limit is 2. */
	send_i64(ot_self(), T_DATA, 0);
	send_i64(ot_self(), T_DATA, 1);
	send_i64(g_test, T_READY, 0);
	ot_msg *m;
	int got = 0;
	if (ot_receive_match(is_exit, NULL, &m, 5000) == 0) {
		got++;
		ot_msg_free(m);
	}
	if (ot_receive_match(is_down, NULL, &m, 5000) == 0) {
		got++;
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, got + (ot_is_alive(ot_self()) ? 10 : 0));
}

START_TEST(test_signals_never_count)
{
	for (unsigned policy = 0; policy <= OT_MAILBOX_DROP; policy++) {
		ot_pid other;
		ck_assert_ot_ok(ot_spawn(sleeper, NULL, NULL, &other));
		ot_pid *arg = malloc(sizeof *arg);
		*arg = other;
		g_test = ot_self();
		ot_ref ref;
		spawn_limited(full_trapper, arg, 2, 0, policy, &ref);
		ot_msg_free(expect_msg(T_READY, 5000));
		ot_reason r = ot_reason_error(1, "bye");
		ck_assert_ot_ok(ot_exit_pid(other, &r));
		ot_msg *m = expect_msg(T_RESULT, 10000);
		ck_assert_int_eq(msg_i64(m), 12);
		ot_msg_free(m);
		ot_down_info d = expect_down(ref);
		ck_assert_int_eq(d.reason.kind, OT_REASON_NORMAL);
	}
}
END_TEST

/* ---- drop ---------------------------------------------------------- */

START_TEST(test_drop_counts)
{
	g_test = ot_self();
	ot_pid hold;
	ot_ref ref;
	ot_pid p = spawn_drainer(5, 0, &hold, &ref);
	for (int64_t i = 0; i < 8; i++)
		send_i64(p, T_DATA, i);
	size_t dropped;
	ck_assert_uint_eq(queue_len(p, &dropped), 5);
	ck_assert_uint_eq(dropped, 3);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(hold, &kill)); /* its DOWN goes in */
	ot_msg *m = expect_msg(T_RESULT, 5000);
	ck_assert_int_eq(msg_i64(m), 5); /* the first five, in order */
	ot_msg_free(m);
	ck_assert_int_eq(expect_down(ref).reason.kind, OT_REASON_NORMAL);
	ck_assert_int_eq(limit_reports(), 0);
}
END_TEST

/* Taken messages, and messages an unalias drops, make room again. */
static void room_again(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	ot_msg *m;
	int64_t bad = 0;
	for (int round = 0; round < 3; round++) {
		for (int64_t i = 0; i < 3; i++)
			send_i64(me, T_DATA, i);
		while (ot_receive(&m, 0) == 0)
			ot_msg_free(m);
	}
	uint64_t a;
	ot_alias(&a);
	int64_t v = 0;
	ot_send_alias(me, a, T_DATA, &v, sizeof v);
	ot_send_alias(me, a, T_DATA, &v, sizeof v);
	ot_unalias(a);
	for (int64_t i = 0; i < 3; i++)
		send_i64(me, T_DATA, i);
	ot_process_info info;
	ot_process_info_get(me, &info);
	if (info.message_queue_len != 3 || info.mailbox_dropped != 0)
		bad = 1;
	send_i64(me, T_DATA, 3); /* the fourth is dropped */
	ot_process_info_get(me, &info);
	if (info.message_queue_len != 3 || info.mailbox_dropped != 1)
		bad = 2;
	send_i64(g_test, T_RESULT, bad);
}

START_TEST(test_drop_makes_room_again)
{
	g_test = ot_self();
	ot_ref ref;
	spawn_limited(room_again, NULL, 3, 0, OT_MAILBOX_DROP, &ref);
	ot_msg *m = expect_msg(T_RESULT, 5000);
	ck_assert_int_eq(msg_i64(m), 0);
	ot_msg_free(m);
	expect_down(ref);
}
END_TEST

START_TEST(test_bad_policy)
{
	ot_spawn_opts o = {.max_messages = 1, .mailbox_policy = 2};
	ck_assert_ot_err(ot_spawn(sleeper, NULL, &o, NULL), OT_EINVAL);
	o.max_messages = 0; /* even without a limit */
	ck_assert_ot_err(ot_spawn(sleeper, NULL, &o, NULL), OT_EINVAL);
}
END_TEST

/* ---- many senders --------------------------------------------------- */

#define SENDERS	   4
#define PER_SENDER 1000

struct sender_arg {
	ot_pid to;
	int index;
};

static void send_all(const struct sender_arg *a)
{
	for (int64_t k = 0; k < PER_SENDER; k++)
		send_i64(a->to, T_DATA, ((int64_t)a->index << 32) | k);
}

static void *sender_thread(void *arg)
{
	send_all(arg);
	ot_thread_detach();
	return NULL;
}

static void sender_proc(void *arg)
{
	send_all(arg);
	free(arg);
}

static void flood(ot_pid to, bool threads)
{
	pthread_t t[SENDERS];
	struct sender_arg args[SENDERS];
	ot_ref refs[SENDERS];
	for (int i = 0; i < SENDERS; i++) {
		args[i] = (struct sender_arg){to, i};
		if (threads) {
			ck_assert_int_eq(pthread_create(&t[i], NULL,
							sender_thread,
							&args[i]),
					 0);
			continue;
		}
		struct sender_arg *a = malloc(sizeof *a);
		*a = args[i];
		ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR,
				   .monitor_ref = &refs[i]};
		ck_assert_ot_ok(ot_spawn(sender_proc, a, &o, NULL));
	}
	for (int i = 0; i < SENDERS; i++) {
		if (threads)
			pthread_join(t[i], NULL);
		else
			expect_down(refs[i]);
	}
}

static void flood_drop(bool threads)
{
	g_test = ot_self();
	ot_pid hold;
	ot_ref ref;
	ot_pid p = spawn_drainer(100, 0, &hold, &ref);
	flood(p, threads);
	size_t dropped;
	ck_assert_uint_eq(queue_len(p, &dropped), 100);
	ck_assert_uint_eq(dropped, SENDERS * PER_SENDER - 100);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(hold, &kill));
	ot_msg *m = expect_msg(T_RESULT, 10000);
	ck_assert_int_eq(msg_i64(m), 100); /* and in order per sender */
	ot_msg_free(m);
	expect_down(ref);
}

static void flood_kill(bool threads)
{
	ot_ref ref;
	ot_pid p = spawn_limited(sleeper, NULL, 100, 0, OT_MAILBOX_KILL, &ref);
	flood(p, threads);
	ot_down_info d = expect_down(ref);
	assert_limit_reason(&d.reason);
	expect_limit_report();
}

START_TEST(test_drop_foreign_senders)
{
	flood_drop(true);
}
END_TEST

START_TEST(test_drop_process_senders)
{
	flood_drop(false);
}
END_TEST

START_TEST(test_kill_foreign_senders)
{
	flood_kill(true);
}
END_TEST

START_TEST(test_kill_process_senders)
{
	flood_kill(false);
}
END_TEST

static void add_floods(TCase *tc)
{
	tcase_add_test(tc, test_drop_foreign_senders);
	tcase_add_test(tc, test_drop_process_senders);
	tcase_add_test(tc, test_kill_foreign_senders);
	tcase_add_test(tc, test_kill_process_senders);
}

static Suite *limit_suite(void)
{
	Suite *s = suite_create("limit");
	TCase *tc = tcase_create("kill");
	tcase_add_checked_fixture(tc, setup_two, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_kill_past_limit);
	tcase_add_test(tc, test_kill_past_byte_limit);
	tcase_add_test(tc, test_signals_never_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("drop");
	tcase_add_checked_fixture(tc, setup_two, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_drop_counts);
	tcase_add_test(tc, test_drop_makes_room_again);
	tcase_add_test(tc, test_bad_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("senders_s2");
	tcase_add_checked_fixture(tc, setup_two, teardown);
	tcase_set_timeout(tc, 30);
	add_floods(tc);
	suite_add_tcase(s, tc);

	tc = tcase_create("senders_s1");
	tcase_add_checked_fixture(tc, setup_one, teardown);
	tcase_set_timeout(tc, 30);
	add_floods(tc);
	tcase_add_test(tc, test_kill_past_limit);
	tcase_add_test(tc, test_drop_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(limit_suite());
}
