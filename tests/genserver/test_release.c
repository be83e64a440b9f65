/* SPDX-License-Identifier: MIT */
/*
 * test_release.c — ot_gen_server_callbacks.release: a server that ends
 * without terminate having run to its end (killed, a stack overflow, an
 * exit signal it does not trap, no terminate at all) gets its state freed
 * by release, once, after it ended (issue 15 item 11). As in OTP, no
 * terminate runs then. A server whose terminate returned, or whose init
 * did not return ok, gets no release.
 *
 * No OTP twin for release itself (Erlang frees a process's heap); the
 * "no terminate after a kill" side is gen_server_SUITE:terminate (kill).
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gs_test.h"

#include "faults.h"

enum { EV_TERMINATE = GS_EV_BASE, EV_RELEASE };
enum { OP_PING = 1, OP_OVERFLOW, OP_STOP };

static atomic_int g_states; /* states alive */

struct state {
	char bytes[4096];
};

static ot_gs_ret init_ok(void *arg, void **state)
{
	if (arg)
		return ot_gs_stop(ot_reason_error(1, "init refuses"));
	struct state *s = malloc(sizeof *s);
	if (!s)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "no state"));
	atomic_fetch_add(&g_states, 1);
	*state = s;
	return ot_gs_ok();
}

static ot_gs_ret call(const void *req, size_t size, ot_gs_from from,
		      void **state)
{
	(void)from;
	(void)state;
	int op = size == sizeof(int) ? *(const int *)req : 0;
	if (op == OP_OVERFLOW)
		do_fault(F_OVERFLOW);
	if (op == OP_STOP)
		return ot_gs_stop(ot_reason_normal());
	return ot_gs_reply(&op, sizeof op);
}

static ot_gs_ret info(const ot_msg *m, void **state)
{
	(void)m;
	(void)state;
	return ot_gs_noreply();
}

static void free_state(void *state)
{
	free(state);
	atomic_fetch_sub(&g_states, 1);
}

static void terminate(const ot_reason *reason, void *state)
{
	gs_event(EV_TERMINATE, 0, reason);
	free_state(state);
}

static void release(const ot_reason *reason, void *state)
{
	/* Off the server's stack, on a scheduler: no sender then. */
	gs_event(EV_RELEASE, ot_in_process(), reason);
	free_state(state);
}

static const ot_gen_server_callbacks cb = {.init = init_ok,
					   .handle_call = call,
					   .handle_info = info,
					   .terminate = terminate,
					   .release = release};
static const ot_gen_server_callbacks cb_no_terminate = {
    .init = init_ok, .handle_call = call, .release = release};

static void kill_it(ot_pid pid)
{
	ot_reason k = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(pid, &k));
}

/* Killed: release, and no terminate. */
START_TEST(test_release_after_kill)
{
	ot_pid pid = gs_start(&cb, NULL);
	ot_ref ref = ot_test_monitor(pid);
	kill_it(pid);
	ot_reason why = ot_test_expect_down(ref, 3000, "server").reason;
	gs_assert_kind(&why, OT_REASON_KILLED, "DOWN");
	/* It came before the DOWN (the hook runs first). */
	struct gs_ev ev = gs_expect_event(EV_RELEASE, "release");
	ck_assert_int_eq(ev.n, 0);
	gs_assert_kind(&ev.reason, OT_REASON_KILLED, "release");
	gs_expect_no_event(EV_TERMINATE, 100, "terminate");
	gs_expect_no_event(EV_RELEASE, 50, "a second release");
	ck_assert_int_eq(atomic_load(&g_states), 0);
}
END_TEST

/* A non-trapping server that gets exit(Pid, shutdown) ends at once. */
START_TEST(test_release_after_exit_signal)
{
	ot_pid pid = gs_start(&cb, NULL);
	ot_ref ref = ot_test_monitor(pid);
	ot_reason sd = ot_reason_shutdown();
	ck_assert_ot_ok(ot_exit_pid(pid, &sd));
	ot_reason why = ot_test_expect_down(ref, 3000, "server").reason;
	gs_assert_kind(&why, OT_REASON_SHUTDOWN, "DOWN");
	gs_expect_event(EV_RELEASE, "release");
	ck_assert_int_eq(atomic_load(&g_states), 0);
}
END_TEST

/* terminate returned: no release. */
START_TEST(test_no_release_after_terminate)
{
	ot_pid pid = gs_start(&cb, NULL);
	ck_assert_ot_ok(ot_gen_server_stop(pid, NULL, scaled_ms(3000)));
	gs_expect_event(EV_TERMINATE, "terminate");
	gs_expect_no_event(EV_RELEASE, 100, "release");
	ck_assert_int_eq(atomic_load(&g_states), 0);
}
END_TEST

/* Without terminate, release frees the state on a normal stop too. */
START_TEST(test_release_without_terminate)
{
	ot_pid pid = gs_start(&cb_no_terminate, NULL);
	ot_ref ref = ot_test_monitor(pid);
	int op = OP_STOP;
	char buf[16];
	size_t n = 0;
	ot_gen_server_call(pid, &op, sizeof op, buf, sizeof buf, &n,
			   scaled_ms(3000), NULL);
	ot_reason why = ot_test_expect_down(ref, 3000, "server").reason;
	gs_assert_kind(&why, OT_REASON_NORMAL, "DOWN");
	gs_expect_event(EV_RELEASE, "release");
	ck_assert_int_eq(atomic_load(&g_states), 0);
}
END_TEST

/* init did not return ok: neither terminate nor release (OTP). */
START_TEST(test_no_release_after_failed_init)
{
	ot_reason why;
	ck_assert_ot_err(ot_gen_server_start(&cb, (void *)1, NULL, NULL, &why),
			 OT_EINITSTOP);
	gs_expect_no_event(EV_RELEASE, 100, "release");
	gs_expect_no_event(EV_TERMINATE, 10, "terminate");
}
END_TEST

/* 2,000 servers killed, waiting or busy: each state freed, once. */
START_TEST(test_many_killed_servers_leak_nothing)
{
	size_t n = ot_test_scaled(2000);
	for (size_t i = 0; i < n; i++) {
		ot_pid pid = gs_start(&cb, NULL);
		if (i % 2) {
			/* Busy with a message when the kill comes, at times. */
			int op = OP_PING;
			ot_send(pid, 1, &op, sizeof op);
		}
		kill_it(pid);
	}
	ck_assert(ot_test_wait_quiet(scaled_ms(10000)));
	ck_assert_int_eq(atomic_load(&g_states), 0);
	size_t got = 0;
	ot_msg *m;
	while (ot_receive(&m, scaled_ms(500)) == 0) {
		got += ot_msg_tag(m) == EV_RELEASE;
		ot_msg_free(m);
	}
	ck_assert_uint_eq(got, n);
}
END_TEST

START_TEST(crash_release_after_stack_overflow)
{
	ot_pid pid = gs_start(&cb, NULL);
	ot_ref ref = ot_test_monitor(pid);
	int op = OP_OVERFLOW;
	char buf[16];
	size_t n = 0;
	ck_assert_ot_err(ot_gen_server_call(pid, &op, sizeof op, buf,
					    sizeof buf, &n, scaled_ms(3000),
					    NULL),
			 OT_ESERVERDIED);
	ot_reason why = ot_test_expect_down(ref, 3000, "server").reason;
	ck_assert(why.stack_overflow);
	struct gs_ev ev = gs_expect_event(EV_RELEASE, "release");
	ck_assert(ev.reason.stack_overflow);
	gs_expect_no_event(EV_TERMINATE, 100, "terminate");
	ck_assert_int_eq(atomic_load(&g_states), 0);
}
END_TEST

static Suite *release_suite(void)
{
	Suite *s = suite_create("gen_server_release");
	TCase *tc = gs_tcase("release", 30);
	tcase_add_test(tc, test_release_after_kill);
	tcase_add_test(tc, test_release_after_exit_signal);
	tcase_add_test(tc, test_no_release_after_terminate);
	tcase_add_test(tc, test_release_without_terminate);
	tcase_add_test(tc, test_no_release_after_failed_init);
	tcase_add_test(tc, test_many_killed_servers_leak_nothing);
	suite_add_tcase(s, tc);
	tc = gs_crash_tcase("crash_release", 20);
	tcase_add_test(tc, crash_release_after_stack_overflow);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	atomic_store(&g_states, 0);
	return ot_test_run(release_suite());
}
