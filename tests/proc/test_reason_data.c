/* SPDX-License-Identifier: MIT */
/*
 * test_reason_data.c — exit reasons of any size (issue 14): a reason's
 * payload (128 KB here, as process_SUITE's) is copied at the call that
 * takes it and travels intact along every link and monitor: EXIT, DOWN,
 * an exit signal that kills, a chain of trapping processes that pass it
 * on, and ot_catch(). The fixture checks that no copy is left behind.
 * And reasons where they enter the runtime (issue 15, item 3): a
 * malformed one (unknown kind, text without its NUL, text on a kind that
 * has none) is refused by ot_exit_pid() and repaired by ot_exit(), so
 * what a link or a monitor receives is always well formed.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define BIG (128 * 1024)

static unsigned char *big_payload(unsigned seed)
{
	unsigned char *p = malloc(BIG);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < BIG; i++)
		p[i] = (unsigned char)(i * 31 + seed);
	return p;
}

static void assert_payload(const ot_reason *r, unsigned seed, const char *what)
{
	size_t size = 0;
	const unsigned char *d = ot_reason_data(r, &size);
	ck_assert_msg(size == BIG, "%s: payload of %zu bytes, want %d", what,
		      size, BIG);
	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < BIG; i++)
		if (d[i] != (unsigned char)(i * 31 + seed))
			ck_abort_msg("%s: byte %zu differs", what, i);
	ck_assert_int_eq(r->kind, OT_REASON_ERROR);
	ck_assert_str_eq(r->text, "huge");
}

static void free_arg(const ot_reason *reason, void *arg)
{
	(void)reason;
	free(arg);
}

/* Exits with a 128 KB reason made from seed, whose bytes its crash
 * handler frees before it ends (the runtime must have copied them). */
static void exit_big(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	unsigned char *p = big_payload(seed);
	ot_reason r = ot_reason_error_data(77, "huge", p, BIG);
	ot_set_crash_handler(free_arg, p);
	ot_exit(&r);
}

/* process_SUITE:exit_and_timeout (a huge reason comes back intact) */
START_TEST(test_link_exit_carries_payload)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_spawn_opts o = {.flags = OT_SPAWN_LINK};
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(exit_big, (void *)3, &o, &pid));
	ot_msg *m = expect_msg(OT_TAG_EXIT, 5000);
	const ot_exit_info *e = ot_msg_exit(m);
	ck_assert_ptr_nonnull(e);
	ck_assert(ot_pid_equal(e->from, pid));
	assert_payload(&e->reason, 3, "EXIT");
	ck_assert_int_eq(e->reason.code, 77);
	ot_msg_free(m);
}
END_TEST

/* monitor_SUITE:mon_e_1 with a huge reason */
START_TEST(test_monitor_down_carries_payload)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(exit_big, (void *)5, &o, NULL));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
	const ot_down_info *d = ot_msg_down(m);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->ref.id, ref.id);
	assert_payload(&d->reason, 5, "DOWN");
	/* Equal to the reason it was made from: payloads by their bytes. */
	unsigned char *p = big_payload(5);
	ot_reason want = ot_reason_error_data(77, "huge", p, BIG);
	assert_reason(&d->reason, &want, "DOWN");
	p[BIG - 1] ^= 1;
	ck_assert(!ot_reason_equal(&d->reason, &want));
	free(p);
	ot_msg_free(m);
}
END_TEST

/* process_SUITE:exit_and_timeout: exit/2 with a huge reason kills with it */
START_TEST(test_exit_signal_carries_payload)
{
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(ot_test_idle, NULL, NULL, &pid));
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(pid, &ref));
	unsigned char *p = big_payload(9);
	ot_reason r = ot_reason_error_data(77, "huge", p, BIG);
	ck_assert_ot_ok(ot_exit_pid(pid, &r));
	memset(p, 0, BIG); /* copied by the call: this changes nothing */
	free(p);
	ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
	assert_payload(&ot_msg_down(m)->reason, 9, "DOWN after exit/2");
	ot_msg_free(m);
}
END_TEST

static void free_msg(const ot_reason *reason, void *m)
{
	(void)reason;
	ot_msg_free(m);
}

/* A trapping process that passes on the EXIT of the one below it (depth
 * 0: exits with the payload itself). The EXIT is freed by the crash
 * handler, which runs once ot_exit() has copied the reason. */
static void relay(void *arg)
{
	uintptr_t depth = (uintptr_t)arg;
	if (depth == 0)
		exit_big((void *)11);
	ck_assert_ot_ok(ot_trap_exit(true, NULL));
	ot_spawn_opts o = {.flags = OT_SPAWN_LINK};
	ck_assert_ot_ok(ot_spawn(relay, (void *)(depth - 1), &o, NULL));
	ot_msg *m;
	for (;;) {
		ck_assert_ot_ok(ot_receive(&m, OT_INFINITY));
		const ot_exit_info *e = ot_msg_exit(m);
		if (e) {
			ot_set_crash_handler(free_msg, m);
			ot_exit(&e->reason); /* copies, then ends */
			ck_abort_msg("ot_exit returned");
		}
		ot_msg_free(m);
	}
}

/* process_SUITE:trap_exit_badarg-like chain: A <- B <- C, each trapping
 * and exiting with what came from below */
START_TEST(test_trapped_chain_of_three)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_spawn_opts o = {.flags = OT_SPAWN_LINK};
	ot_pid top;
	ck_assert_ot_ok(ot_spawn(relay, (void *)2, &o, &top));
	ot_msg *m = expect_msg(OT_TAG_EXIT, 5000);
	const ot_exit_info *e = ot_msg_exit(m);
	ck_assert(ot_pid_equal(e->from, top));
	assert_payload(&e->reason, 11, "EXIT at the top of the chain");
	ot_msg_free(m);
}
END_TEST

static void exit_big_caught(void *arg)
{
	unsigned char *p = arg;
	ot_reason r = ot_reason_error_data(77, "huge", p, BIG);
	ot_exit(&r);
}

static void catcher(void *arg)
{
	(void)arg;
	unsigned char *p = big_payload(13);
	ot_reason caught;
	int rc = ot_catch(exit_big_caught, p, &caught);
	free(p);
	ck_assert_int_eq(rc, OT_ECRASHED);
	assert_payload(&caught, 13, "caught");
}

START_TEST(test_catch_keeps_payload)
{
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(catcher, NULL, &o, NULL));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
	ot_reason normal = ot_reason_normal();
	assert_reason(&ot_msg_down(m)->reason, &normal, "the catcher");
	ot_msg_free(m);
}
END_TEST

/* A crash handler that catches an exit with another payload (as a
 * format_status that exits inside terminate) must not cost the reason
 * the process ends with its payload. */
static void exit_other(void *arg)
{
	(void)arg;
	static unsigned char other[64];
	ot_reason r = ot_reason_error_data(1, "other", other, sizeof other);
	ot_exit(&r);
}

static void catch_in_handler(const ot_reason *reason, void *arg)
{
	(void)reason;
	free(arg);
	ot_reason caught;
	ot_catch(exit_other, NULL, &caught);
}

static void exit_big_then_catch(void *arg)
{
	(void)arg;
	unsigned char *p = big_payload(17);
	ot_reason r = ot_reason_error_data(77, "huge", p, BIG);
	ot_set_crash_handler(catch_in_handler, p);
	ot_exit(&r);
}

/* gen_server_SUITE:format_status_crash-like: the original reason stays */
START_TEST(test_caught_exit_keeps_ending_payload)
{
	ot_log_set_level(OT_LOG_CRITICAL);
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(exit_big_then_catch, NULL, &o, NULL));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
	assert_payload(&ot_msg_down(m)->reason, 17, "DOWN");
	ot_msg_free(m);
}
END_TEST

START_TEST(test_malformed_payload_refused)
{
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(ot_test_idle, NULL, NULL, &pid));
	ot_reason r = ot_reason_error_data(1, "x", NULL, 5);
	ck_assert_ot_err(ot_exit_pid(pid, &r), OT_EINVAL);
	unsigned char b = 0;
	r = ot_reason_error_data(1, "x", &b, (size_t)PTRDIFF_MAX + 1);
	ck_assert_ot_err(ot_exit_pid(pid, &r), OT_EINVAL);
	r = ot_reason_shutdown();
	r.data = &b;
	r.data_size = 1;
	ck_assert_ot_err(ot_exit_pid(pid, &r), OT_EINVAL);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(pid, &kill));
}
END_TEST

/* ---- where reasons enter: malformed ones (issue 15, item 3) ---------- */

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

START_TEST(test_exit_pid_refuses_malformed)
{
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(ot_test_idle, NULL, NULL, &pid));
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

static Suite *reason_data_suite(void)
{
	Suite *s = suite_create("reason_data");
	TCase *tc = tcase_create("payload");
	tcase_add_checked_fixture(tc, ot_test_setup, ot_test_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_link_exit_carries_payload);
	tcase_add_test(tc, test_monitor_down_carries_payload);
	tcase_add_test(tc, test_exit_signal_carries_payload);
	tcase_add_test(tc, test_trapped_chain_of_three);
	tcase_add_test(tc, test_catch_keeps_payload);
	tcase_add_test(tc, test_caught_exit_keeps_ending_payload);
	tcase_add_test(tc, test_malformed_payload_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("entry");
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
	return ot_test_run(reason_data_suite());
}
