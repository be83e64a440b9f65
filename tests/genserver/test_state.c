/* SPDX-License-Identifier: MIT */
/*
 * test_state.c — a server's state from outside and its memory while idle
 * (gen_server.c): ot_gen_server_replace_state() runs a function on the
 * state inside the server (sys:replace_state), and a crash in it leaves
 * the state and the server alone; hibernate_after gives an idle server's
 * stack back.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "gs_test.h"

#include "faults.h"

enum { OP_GET = 1, OP_TOUCH, OP_TIMEOUT };

struct st {
	int64_t value;
	ot_pid ran_in; /* where the last replace function ran */
};

static struct st states[8];
static atomic_int nstates;

static ot_gs_ret s_init(void *arg, void **state)
{
	(void)arg;
	struct st *s = &states[atomic_fetch_add(&nstates, 1) % 8];
	memset(s, 0, sizeof *s);
	s->value = 1;
	*state = s;
	return ot_gs_ok();
}

#define TOUCH_BYTES (200 * 1024)
static _Atomic uintptr_t touch_lo, touch_hi;

/* Writes every page of a 200 KiB frame: the stack pages an idle server
 * should give back. */
__attribute__((noinline)) static void touch_stack(void)
{
	volatile char buf[TOUCH_BYTES];
	for (size_t i = 0; i < sizeof buf; i += 256)
		buf[i] = (char)i;
	g_sink = buf[0];
	atomic_store(&touch_lo, (uintptr_t)buf);
	atomic_store(&touch_hi, (uintptr_t)buf + sizeof buf);
}

static ot_gs_ret s_call(const void *request, size_t size, ot_gs_from from,
			void **state)
{
	(void)from;
	struct st *s = *state;
	int op = 0;
	if (size == sizeof op)
		memcpy(&op, request, sizeof op);
	ot_gs_ret r;
	switch (op) {
	case OP_TOUCH:
		touch_stack();
		break;
	case OP_TIMEOUT:
		r = ot_gs_reply(&s->value, sizeof s->value);
		r.timeout_ms = 60 * 1000;
		return r;
	default:
		break;
	}
	return ot_gs_reply(&s->value, sizeof s->value);
}

static const ot_gen_server_callbacks s_cb = {
    .init = s_init,
    .handle_call = s_call,
};

static int64_t get(ot_pid srv, int op)
{
	int64_t v = -1;
	ck_assert_ot_ok(ot_gen_server_call(srv, &op, sizeof op, &v, sizeof v,
					   NULL, scaled_ms(3000), NULL));
	return v;
}

/* ---- replace_state ------------------------------------------------------- */

static void *add_to_state(void *state, void *arg)
{
	struct st *s = state;
	s->value += *(const int64_t *)arg;
	s->ran_in = ot_self();
	return s;
}

static struct st other;

static void *swap_state(void *state, void *arg)
{
	(void)arg;
	other = *(struct st *)state;
	other.value = 1000;
	return &other;
}

static void *crash_in_fn(void *state, void *arg)
{
	(void)arg;
	((struct st *)state)->value = 555; /* a change it does not keep? */
	do_fault(F_NULL_WRITE);
	return NULL;
}

static void *exit_in_fn(void *state, void *arg)
{
	(void)state;
	ot_exit(arg);
	return NULL;
}

/* gen_server_SUITE:replace_state: the function runs in the server on its
 * state, and its result is the state from then on. */
START_TEST(test_replace_state)
{
	ot_pid srv = gs_start(&s_cb, NULL);
	static const int64_t five = 5;
	ck_assert_ot_ok(ot_gen_server_replace_state(
	    srv, add_to_state, (void *)&five, scaled_ms(3000), NULL));
	ck_assert_int_eq(get(srv, OP_GET), 6);
	ck_assert_msg(ot_pid_equal(states[0].ran_in, srv),
		      "the function did not run in the server");
	ck_assert_ot_ok(ot_gen_server_replace_state(srv, swap_state, NULL,
						    scaled_ms(3000), NULL));
	ck_assert_int_eq(get(srv, OP_GET), 1000);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
}
END_TEST

/* A crash or an ot_exit() in the function: OT_ECRASHED with the reason;
 * the server lives on with the state it had (as OTP's
 * system_replace_state, whose caller gets callback_failed). */
START_TEST(test_replace_state_crash_keeps_state)
{
	ot_pid srv = gs_start(&s_cb, NULL);
	ot_ref ref = ot_test_monitor(srv);
	ot_reason why;
	memset(&why, 0, sizeof why);
	ck_assert_ot_err(ot_gen_server_replace_state(srv, crash_in_fn, NULL,
						     scaled_ms(3000), &why),
			 OT_ECRASHED);
	gs_assert_kind(&why, OT_REASON_CRASH, "crash in the function");
	ck_assert(ot_is_alive(srv));
	/* the state is the same one (what fn wrote into it stays written:
	 * C has no immutable state) */
	ck_assert_int_eq(get(srv, OP_GET), 555);

	static ot_reason bye;
	bye = ot_reason_error(3, "exit in the function");
	ck_assert_ot_err(ot_gen_server_replace_state(srv, exit_in_fn, &bye,
						     scaled_ms(3000), &why),
			 OT_ECRASHED);
	assert_reason(&why, &bye, "exit in the function");
	ck_assert_int_eq(get(srv, OP_GET), 555);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
	ot_reason normal = ot_reason_normal();
	ot_reason down = ot_test_expect_down(ref, 3000, "stop").reason;
	assert_reason(&down, &normal, "stopped normally at last");
}
END_TEST

static void *replace_self(void *state, void *arg)
{
	(void)arg;
	return state;
}

START_TEST(test_replace_state_bad_input)
{
	ot_pid srv = gs_start(&s_cb, NULL);
	ck_assert_ot_err(
	    ot_gen_server_replace_state(srv, NULL, NULL, 1000, NULL),
	    OT_EINVAL);
	ck_assert_ot_err(
	    ot_gen_server_replace_state(srv, replace_self, NULL, -5, NULL),
	    OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_replace_state(OT_PID_NONE, replace_self,
						     NULL, 1000, NULL),
			 OT_EINVAL);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
	ck_assert_ot_err(
	    ot_gen_server_replace_state(srv, replace_self, NULL, 1000, NULL),
	    OT_ENOPROC);
}
END_TEST

/* ---- hibernate_after ----------------------------------------------------- */

/* Resident bytes of the stack range touch_stack used. */
static long touched_resident(void)
{
	return gs_resident(atomic_load(&touch_lo), atomic_load(&touch_hi));
}

/* Waits up to ms for the touched stack to drop by at least want bytes;
 * returns the drop. */
static long wait_drop(long before, long want, int ms)
{
	long drop = 0;
	int64_t deadline = now_ms() + ms;
	do {
		ot_sleep(5);
		drop = before - touched_resident();
	} while (drop < want && now_ms() < deadline);
	return drop;
}

static ot_pid start_hibernating(int after_ms)
{
	ot_gen_server_opts o = {.stack_size = 512 * 1024,
				.hibernate_after_ms = after_ms};
	return gs_start_opts(&s_cb, NULL, &o);
}

/* A server idle for hibernate_after_ms hibernates: its stack pages go
 * back; it serves on with its state. Without the option, or with an idle
 * timeout set (OTP uses hibernate_after only when there is none), they
 * stay. gen_server_SUITE:hibernate ({hibernate_after, N}). */
START_TEST(test_hibernate_after)
{
	if (ot_test_under_valgrind())
		return; /* memcheck keeps its own view of the stack */
	ot_pid srv = start_hibernating(30);
	ck_assert_int_eq(get(srv, OP_TOUCH), 1);
	long before = touched_resident();
	long drop = wait_drop(before, 100 * 1024, scaled_ms(2000));
	ck_assert_msg(drop >= 100 * 1024,
		      "hibernate_after: dropped %ld KiB of %ld, want >= 100",
		      drop / 1024, before / 1024);
	ck_assert_int_eq(get(srv, OP_GET), 1);
	/* again, after the next busy spell */
	ck_assert_int_eq(get(srv, OP_TOUCH), 1);
	before = touched_resident();
	drop = wait_drop(before, 100 * 1024, scaled_ms(2000));
	ck_assert_msg(drop >= 100 * 1024, "second idle spell: dropped %ld KiB",
		      drop / 1024);
	/* with an idle timeout set: no hibernation */
	ck_assert_int_eq(get(srv, OP_TOUCH), 1);
	ck_assert_int_eq(get(srv, OP_TIMEOUT), 1);
	before = touched_resident();
	drop = wait_drop(before, 100 * 1024, 200);
	ck_assert_msg(drop < 100 * 1024,
		      "hibernated while an idle timeout was set (%ld KiB)",
		      drop / 1024);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));

	/* without the option */
	srv = start_hibernating(0);
	ck_assert_int_eq(get(srv, OP_TOUCH), 1);
	before = touched_resident();
	drop = wait_drop(before, 100 * 1024, 200);
	ck_assert_msg(drop < 100 * 1024,
		      "hibernated without hibernate_after (%ld KiB)",
		      drop / 1024);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
}
END_TEST

START_TEST(test_hibernate_after_bad_value)
{
	ot_gen_server_opts o = {.hibernate_after_ms = -5};
	ck_assert_ot_err(ot_gen_server_start(&s_cb, NULL, &o, NULL, NULL),
			 OT_EINVAL);
	o.hibernate_after_ms = OT_INFINITY; /* never */
	ot_pid srv = gs_start_opts(&s_cb, NULL, &o);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = gs_tcase("replace_state", 10);
	tcase_add_test(tc, test_replace_state);
	tcase_add_test(tc, test_replace_state_bad_input);
	suite_add_tcase(s, tc);

	tc = gs_crash_tcase("crash_replace_state", 10);
	tcase_add_test(tc, test_replace_state_crash_keeps_state);
	suite_add_tcase(s, tc);

	tc = gs_tcase("hibernate_after", 20);
	tcase_add_test(tc, test_hibernate_after);
	tcase_add_test(tc, test_hibernate_after_bad_value);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(state_suite());
}
