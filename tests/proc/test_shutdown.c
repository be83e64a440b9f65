/* SPDX-License-Identifier: MIT */
/*
 * test_shutdown.c — the order in which ot_shutdown() ends the processes:
 * the roots (processes spawned by foreign threads) newest first, each
 * sent exit(shutdown) from the thread that spawned it and waited for,
 * processes working as usual meanwhile; then, at the deadline at the
 * latest, everything left is killed. And the calls that cannot be made
 * while it runs: a second shutdown, a shutdown or start from inside an
 * otter call, a bad deadline.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

enum { T_PING = 1, T_PONG, T_TICK, T_DATA };

/* What the processes saw, in order, read by the test once the runtime
 * is down (the joined schedulers order it before the reads). */
enum { LOG_MAX = 64 };
static struct entry {
	int who;
	char what; /* 'g' got the EXIT, 'e' ends */
	ot_pid from;
	ot_reason reason;
	int rc[6]; /* calls made while stopping */
} g_log[LOG_MAX];
static atomic_int g_n;

static struct entry *note(int who, char what)
{
	int i = atomic_fetch_add(&g_n, 1);
	ck_assert_int_lt(i, LOG_MAX);
	g_log[i].who = who;
	g_log[i].what = what;
	return &g_log[i];
}

static ot_pid g_main;

static void setup(void)
{
	atomic_store(&g_n, 0);
	memset(g_log, 0, sizeof g_log);
	ot_config cfg = {.schedulers = 2};
	ck_assert_ot_ok(ot_start(&cfg));
	g_main = ot_self();
}

static void teardown(void)
{
	if (ot_running())
		ot_shutdown();
}

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void wait_ready(int n)
{
	for (int i = 0; i < n; i++)
		ot_msg_free(expect_msg(T_TICK, 2000));
}

/* Traps exits; at the first EXIT notes it, takes a while, notes its end. */
static void trapping_root(void *arg)
{
	int who = (int)(intptr_t)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		const ot_exit_info *e = ot_msg_exit(m);
		if (e) {
			struct entry *en = note(who, 'g');
			en->from = e->from;
			en->reason = e->reason;
			ot_msg_free(m);
			ot_sleep(20); /* the next root waits meanwhile */
			note(who, 'e');
			return;
		}
		ot_msg_free(m);
	}
}

/* no OTP twin: application_master stopping the top supervisor of each
 * application, the last started first (application_SUITE's stop order) */
START_TEST(test_roots_stop_newest_first)
{
	enum { N = 5 };
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(
		    ot_spawn(trapping_root, (void *)(intptr_t)i, NULL, NULL));
	wait_ready(N);
	ck_assert_ot_ok(ot_shutdown());
	ck_assert_int_eq(atomic_load(&g_n), 2 * N);
	for (int i = 0; i < N; i++) {
		const struct entry *got = &g_log[2 * i],
				   *end = &g_log[2 * i + 1];
		ck_assert_int_eq(got->who, N - 1 - i);
		ck_assert_int_eq(got->what, 'g');
		ck_assert_int_eq(end->who, N - 1 - i);
		ck_assert_int_eq(end->what, 'e');
		/* as from its parent: the thread that spawned it */
		ck_assert(ot_pid_equal(got->from, g_main));
		ot_reason shutdown = ot_reason_shutdown();
		assert_reason(&got->reason, &shutdown, "the root's EXIT");
	}
}
END_TEST

/* A child that traps exits, linked to a root that does not: it hears of
 * its parent's end through the link. */
static void linked_child(void *arg)
{
	(void)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	bool heard = false, stopped = false;
	/* Its own turn to stop (the EXIT from main) may overtake the root's
	 * EXIT: signals from two senders have no order between them (as in
	 * Erlang). So once told to stop, it still waits a while for it. */
	while (!(heard && stopped) &&
	       ot_receive(&m, stopped ? scaled_ms(2000) : OT_INFINITY) == 0) {
		const ot_exit_info *e = ot_msg_exit(m);
		bool from_main = e && ot_pid_equal(e->from, g_main);
		if (e && !from_main) {
			struct entry *en = note(1, 'g');
			en->from = e->from;
			en->reason = e->reason;
			heard = true;
		}
		stopped |= from_main;
		ot_msg_free(m);
	}
}

static void plain_root(void *arg)
{
	ot_link(*(ot_pid *)arg);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

/* process_SUITE:exit_and_timeout-like: exit(P, shutdown) ends a process
 * that does not trap exits with that reason, and its links see it. The
 * linked process is a root too, spawned first so that it is stopped
 * after, and it records the plain root's EXIT before it goes. */
START_TEST(test_root_without_trap_ends_with_shutdown)
{
	static ot_pid child;
	ot_pid root;
	ck_assert_ot_ok(ot_spawn(linked_child, NULL, NULL, &child));
	wait_ready(1);
	ck_assert_ot_ok(ot_spawn(plain_root, &child, NULL, &root));
	wait_ready(1);
	ck_assert_ot_ok(ot_shutdown());
	ck_assert_int_eq(atomic_load(&g_n), 1);
	ck_assert(ot_pid_equal(g_log[0].from, root));
	ot_reason shutdown = ot_reason_shutdown();
	assert_reason(&g_log[0].reason, &shutdown, "the child's EXIT");
}
END_TEST

static void echo(void *arg)
{
	(void)arg;
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		if (ot_msg_tag(m) == T_PING)
			ot_send(ot_msg_from(m), T_PONG, NULL, 0);
		ot_msg_free(m);
	}
}

static void helper(void *arg)
{
	(void)arg;
}

static bool tagged(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

/* On its EXIT, uses the runtime the way a terminate would. */
static void busy_root(void *arg)
{
	ot_pid echo_pid = *(const ot_pid *)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		bool exit = ot_msg_exit(m) != NULL;
		ot_msg_free(m);
		if (!exit)
			continue;
		struct entry *en = note(0, 'g');
		uint64_t tag = T_PONG;
		en->rc[0] = ot_send(echo_pid, T_PING, NULL, 0);
		en->rc[1] = ot_receive_match(tagged, &tag, &m, 2000);
		ot_msg_free(m);
		ot_ref ref;
		ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR,
				   .monitor_ref = &ref};
		en->rc[2] = ot_spawn(helper, NULL, &o, NULL);
		en->rc[3] = ot_receive(&m, 2000); /* its DOWN */
		ot_msg_free(m);
		en->rc[4] = ot_register("stopping", ot_self());
		en->rc[5] = ot_send_after(1, ot_self(), T_DATA, NULL, 0, NULL);
		tag = T_DATA;
		if (en->rc[5] == 0)
			en->rc[5] = ot_receive_match(tagged, &tag, &m, 2000);
		ot_msg_free(m);
		return;
	}
}

/* no OTP twin: a terminate that sends, calls and spawns during init:stop */
START_TEST(test_processes_work_while_roots_stop)
{
	static ot_pid echo_pid;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &echo_pid)); /* older */
	ck_assert_ot_ok(ot_spawn(busy_root, &echo_pid, NULL, NULL));
	wait_ready(1);
	ck_assert_ot_ok(ot_shutdown());
	ck_assert_int_eq(atomic_load(&g_n), 1);
	for (int i = 0; i < 6; i++)
		ck_assert_msg(g_log[0].rc[i] == 0, "call %d returned %s", i,
			      ot_err_name(g_log[0].rc[i]));
}
END_TEST

/* Traps exits and ignores them: only a kill ends it. */
static void stubborn_root(void *arg)
{
	int who = (int)(intptr_t)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		if (ot_msg_exit(m))
			note(who, 'g');
		ot_msg_free(m);
	}
	note(who, 'e'); /* never: a kill does not return here */
}

/* supervisor_SUITE:shutdown_timeout's idea, for the whole runtime: a
 * process that ignores shutdown is killed at the deadline, and the
 * shutdown returns. */
START_TEST(test_stubborn_root_killed_at_deadline)
{
	ck_assert_ot_ok(ot_shutdown());
	ot_config cfg = {.schedulers = 2, .shutdown_timeout_ms = 200};
	ck_assert_ot_ok(ot_start(&cfg));
	g_main = ot_self();
	ck_assert_ot_ok(ot_spawn(trapping_root, (void *)0, NULL, NULL));
	ck_assert_ot_ok(ot_spawn(stubborn_root, (void *)1, NULL, NULL));
	wait_ready(2);
	ck_assert_ot_ok(ot_shutdown());
	/* The stubborn one (newest) got its EXIT and held the shutdown up
	 * to the deadline: the other was killed without hearing of it. */
	ck_assert_int_eq(atomic_load(&g_n), 1);
	ck_assert_int_eq(g_log[0].who, 1);
	ck_assert_int_eq(g_log[0].what, 'g');
}
END_TEST

/* Spawned by a process: not a root, killed with the rest (no EXIT). */
static void non_root(void *arg)
{
	(void)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		if (ot_msg_exit(m))
			note(2, 'g');
		ot_msg_free(m);
	}
}

static void parent_root(void *arg)
{
	(void)arg;
	ot_trap_exit(true, NULL);
	ot_pid kid;
	ot_spawn(non_root, NULL, NULL, &kid);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		bool exit = ot_msg_exit(m) != NULL;
		ot_msg_free(m);
		if (exit) {
			/* the roots go first: its unlinked child is still up */
			note(ot_is_alive(kid) ? 1 : 0, 'g');
			return;
		}
	}
}

/* no OTP twin: what application_master's kill_all_procs ends */
START_TEST(test_non_roots_killed_after_the_roots)
{
	ck_assert_ot_ok(ot_spawn(parent_root, NULL, NULL, NULL));
	wait_ready(2);
	ck_assert_ot_ok(ot_shutdown());
	ck_assert_int_eq(atomic_load(&g_n), 1);
	ck_assert_int_eq(g_log[0].who, 1);
}
END_TEST

/* A thread that never attached spawns a root: its EXIT comes from no
 * pid. */
static void *spawn_unattached(void *arg)
{
	(void)arg;
	ck_assert_ot_ok(ot_spawn(trapping_root, (void *)7, NULL, NULL));
	return NULL;
}

START_TEST(test_root_of_an_unattached_thread)
{
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, spawn_unattached, NULL), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	wait_ready(1);
	ck_assert_ot_ok(ot_shutdown());
	ck_assert_int_eq(atomic_load(&g_n), 2);
	ck_assert_int_eq(g_log[0].who, 7);
	ck_assert(ot_pid_is_none(g_log[0].from));
}
END_TEST

/* ---- what cannot be called while shutting down --------------------------- */

static atomic_int g_second_rc;
static atomic_bool g_go;

static void *second_shutdown(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_go))
		nap_ms(1);
	atomic_store(&g_second_rc, ot_shutdown());
	return NULL;
}

/* Holds the shutdown up until the second one has answered. */
static void waiting_root(void *arg)
{
	(void)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_main, T_TICK, NULL, 0);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		bool exit = ot_msg_exit(m) != NULL;
		ot_msg_free(m);
		if (exit)
			break;
	}
	atomic_store(&g_go, true);
	while (atomic_load(&g_second_rc) == 1)
		ot_sleep(1);
}

START_TEST(test_second_shutdown_returns_at_once)
{
	atomic_store(&g_second_rc, 1);
	atomic_store(&g_go, false);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, second_shutdown, NULL), 0);
	ck_assert_ot_ok(ot_spawn(waiting_root, NULL, NULL, NULL));
	wait_ready(1);
	ck_assert_ot_ok(ot_shutdown());
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_ot_err(atomic_load(&g_second_rc), OT_ESHUTDOWN);
	ck_assert_ot_err(ot_shutdown(), OT_ENOTSTARTED);
}
END_TEST

static int g_inner_shutdown, g_inner_start;

static bool calls_lifecycle(const ot_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	g_inner_shutdown = ot_shutdown();
	g_inner_start = ot_start(NULL);
	return true;
}

START_TEST(test_lifecycle_from_inside_a_call)
{
	ck_assert_ot_ok(ot_send(g_main, T_DATA, NULL, 0));
	ot_msg *m;
	ck_assert_ot_ok(ot_receive_match(calls_lifecycle, NULL, &m, 1000));
	ot_msg_free(m);
	ck_assert_ot_err(g_inner_shutdown, OT_EDEADLK);
	ck_assert_ot_err(g_inner_start, OT_EDEADLK);
	ck_assert(ot_running());
}
END_TEST

START_TEST(test_shutdown_timeout_config)
{
	ck_assert_ot_ok(ot_shutdown());
	ot_config bad = {.shutdown_timeout_ms = -2};
	ck_assert_ot_err(ot_start(&bad), OT_EINVAL);
	ck_assert(!ot_running());
	ot_config forever = {.schedulers = 1,
			     .shutdown_timeout_ms = OT_INFINITY};
	ck_assert_ot_ok(ot_start(&forever));
	g_main = ot_self();
	ck_assert_ot_ok(ot_spawn(trapping_root, (void *)0, NULL, NULL));
	wait_ready(1);
	ck_assert_ot_ok(ot_shutdown());
	ck_assert_int_eq(atomic_load(&g_n), 2);
}
END_TEST

static Suite *shutdown_suite(void)
{
	Suite *s = suite_create("shutdown");
	TCase *tc = tcase_create("roots");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_roots_stop_newest_first);
	tcase_add_test(tc, test_root_without_trap_ends_with_shutdown);
	tcase_add_test(tc, test_processes_work_while_roots_stop);
	tcase_add_test(tc, test_stubborn_root_killed_at_deadline);
	tcase_add_test(tc, test_non_roots_killed_after_the_roots);
	tcase_add_test(tc, test_root_of_an_unattached_thread);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_second_shutdown_returns_at_once);
	tcase_add_test(tc, test_lifecycle_from_inside_a_call);
	tcase_add_test(tc, test_shutdown_timeout_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(shutdown_suite());
}
