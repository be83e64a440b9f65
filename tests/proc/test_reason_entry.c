/* SPDX-License-Identifier: MIT */
/*
 * test_reason_entry.c — reasons where they enter the runtime: a malformed
 * reason (unknown kind, text without its NUL, text on a kind that has
 * none) is refused by ot_exit_pid() and repaired by ot_exit(), so what a
 * link or a monitor receives is always well formed (issue 15, item 3).
 */
#include <string.h>

#include "fixture.h"

/* A reason whose text fills its buffer without a NUL. */
static ot_reason unterminated(void)
{
	ot_reason r = ot_reason_error(7, NULL);
	memset(r.text, 'x', sizeof r.text);
	return r;
}

static ot_reason texted(ot_reason_kind kind)
{
	ot_reason r;
	memset(&r, 0, sizeof r);
	r.kind = kind;
	strcpy(r.text, "stray");
	return r;
}

static ot_reason bad_kind(void)
{
	ot_reason r;
	memset(&r, 0, sizeof r);
	r.kind = (ot_reason_kind)99;
	return r;
}

static void exit_with(void *arg)
{
	ot_exit(arg);
}

/* Spawns a process that calls ot_exit(*given) and returns the reason of
 * the DOWN it ends with. */
static ot_reason exit_reason_of(ot_reason *given)
{
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(exit_with, given, &o, &pid));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
	const ot_down_info *d = ot_msg_down(m);
	ck_assert_ptr_nonnull(d);
	ot_reason got = d->reason;
	ot_msg_free(m);
	return got;
}

START_TEST(test_exit_repairs_unterminated_text)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_reason given = unterminated();
	ot_reason got = exit_reason_of(&given);
	ck_assert_ot_ok(ot_reason_check(&got));
	ck_assert_int_eq(got.kind, OT_REASON_ERROR);
	ck_assert_int_eq(got.code, 7);
	ck_assert_uint_eq(strlen(got.text), OT_REASON_TEXT_MAX);
}
END_TEST

START_TEST(test_exit_repairs_text_on_textless_kind)
{
	ot_reason given = texted(OT_REASON_SHUTDOWN);
	ot_reason got = exit_reason_of(&given);
	ot_reason want = ot_reason_shutdown();
	assert_reason(&got, &want, "shutdown with a stray text");
}
END_TEST

START_TEST(test_exit_repairs_unknown_kind)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_reason given = bad_kind();
	ot_reason got = exit_reason_of(&given);
	ot_reason want = ot_reason_error(OT_EINVAL, "bad reason kind 99");
	assert_reason(&got, &want, "unknown kind");
}
END_TEST

static void wait_forever(void *arg)
{
	(void)arg;
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

START_TEST(test_exit_pid_refuses_malformed)
{
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(wait_forever, NULL, NULL, &pid));
	ot_reason bad[] = {unterminated(), texted(OT_REASON_KILL),
			   texted(OT_REASON_NORMAL), bad_kind()};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_ot_err(ot_exit_pid(pid, &bad[i]), OT_EINVAL);
	/* Still alive: nothing was sent. */
	ck_assert(ot_is_alive(pid));
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(pid, &kill));
}
END_TEST

static Suite *reason_entry_suite(void)
{
	Suite *s = suite_create("reason_entry");
	TCase *tc = tcase_create("entry");
	tcase_add_checked_fixture(tc, ot_test_setup, ot_test_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_exit_repairs_unterminated_text);
	tcase_add_test(tc, test_exit_repairs_text_on_textless_kind);
	tcase_add_test(tc, test_exit_repairs_unknown_kind);
	tcase_add_test(tc, test_exit_pid_refuses_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(reason_entry_suite());
}
