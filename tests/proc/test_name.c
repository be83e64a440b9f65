/* SPDX-License-Identifier: MIT */
/*
 * test_name.c — registered names: register, whereis, unregister, their
 * errors, the release of a name when its process ends, and registration
 * at spawn.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

enum { T_READY = 1, T_GO, T_RESULT, T_BYE, T_DATA };

static ot_pid g_test; /* the test thread, set before spawning */

static int64_t expect_result(int timeout_ms)
{
	ot_msg *m = expect_msg(T_RESULT, timeout_ms);
	int64_t v = msg_i64(m);
	ot_msg_free(m);
	return v;
}

static size_t names_count(void)
{
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	return st.names;
}

static bool wait_dead(ot_pid pid, int timeout_ms)
{
	int64_t deadline = now_ms() + (int64_t)(timeout_ms * tmul());
	while (ot_is_alive(pid)) {
		if (now_ms() > deadline)
			return false;
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	return true;
}

static void idle(void *arg)
{
	(void)arg;
}

/* Says ready, waits for any one message, says bye and ends. */
static void blocker(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
	ot_send(g_test, T_BYE, NULL, 0);
}

static ot_pid spawn_blocker(void)
{
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(blocker, NULL, NULL, &p));
	ot_msg_free(expect_msg(T_READY, 2000));
	return p;
}

static void end_blocker(ot_pid p)
{
	ck_assert_ot_ok(ot_send(p, T_GO, NULL, 0));
	ot_msg_free(expect_msg(T_BYE, 2000));
	ck_assert(wait_dead(p, 1000));
}

/* ---- the basics ---------------------------------------------------------- */

START_TEST(test_register_whereis_unregister)
{
	g_test = ot_self();
	ot_pid p = spawn_blocker();
	ot_pid got = OT_PID_NONE;
	ck_assert_ot_err(ot_whereis("server", &got), OT_ENOTREG);
	ck_assert_uint_eq(names_count(), 0);
	ck_assert_ot_ok(ot_register("server", p));
	ck_assert_uint_eq(names_count(), 1);
	ck_assert_ot_ok(ot_whereis("server", &got));
	ck_assert(ot_pid_equal(got, p));
	ck_assert_ot_err(ot_whereis("Server", &got), OT_ENOTREG); /* exact */
	ck_assert_ot_err(ot_whereis("serve", &got), OT_ENOTREG);
	ck_assert_ot_err(ot_whereis("server2", &got), OT_ENOTREG);
	ck_assert_ot_ok(ot_unregister("server"));
	ck_assert_uint_eq(names_count(), 0);
	got = p;
	ck_assert_ot_err(ot_whereis("server", &got), OT_ENOTREG);
	ck_assert_ot_err(ot_unregister("server"), OT_ENOTREG);
	/* unregistered, the process may take a name again */
	ck_assert_ot_ok(ot_register("server_b", p));
	ck_assert_ot_ok(ot_whereis("server_b", &got));
	ck_assert(ot_pid_equal(got, p));
	ck_assert(ot_is_alive(p)); /* unregister does not touch the process */
	end_blocker(p);
	ck_assert_uint_eq(names_count(), 0);
}
END_TEST

START_TEST(test_register_foreign_thread)
{
	ot_pid me = ot_self();
	ck_assert_ot_ok(ot_register("main_thread", me));
	ot_pid got;
	ck_assert_ot_ok(ot_whereis("main_thread", &got));
	ck_assert(ot_pid_equal(got, me));
	ck_assert_ot_ok(ot_send(got, T_DATA, "hi", 2));
	ot_msg_free(expect_msg(T_DATA, 1000));
	ck_assert_ot_ok(ot_unregister("main_thread"));
	/* detaching releases a name too */
	ck_assert_ot_ok(ot_register("main_thread", me));
	ck_assert_uint_eq(names_count(), 1);
	ck_assert_ot_ok(ot_thread_detach());
	ck_assert_ot_err(ot_whereis("main_thread", &got), OT_ENOTREG);
	ck_assert_uint_eq(names_count(), 0);
}
END_TEST

START_TEST(test_name_taken)
{
	g_test = ot_self();
	ot_pid a = spawn_blocker(), b = spawn_blocker();
	ck_assert_ot_ok(ot_register("taken", a));
	ck_assert_ot_err(ot_register("taken", b), OT_ENAMETAKEN);
	ck_assert_ot_err(ot_register("taken", a), OT_ENAMETAKEN);
	ot_pid got;
	ck_assert_ot_ok(ot_whereis("taken", &got));
	ck_assert(ot_pid_equal(got, a));
	/* b could not register and still has no name */
	ck_assert_ot_ok(ot_register("other", b));
	ck_assert_uint_eq(names_count(), 2);
	end_blocker(a);
	end_blocker(b);
}
END_TEST

START_TEST(test_second_name_refused)
{
	g_test = ot_self();
	ot_pid p = spawn_blocker();
	ck_assert_ot_ok(ot_register("first", p));
	ck_assert_ot_err(ot_register("second", p), OT_EHASNAME);
	ot_pid got;
	ck_assert_ot_err(ot_whereis("second", &got), OT_ENOTREG);
	ck_assert_ot_ok(ot_whereis("first", &got));
	ck_assert(ot_pid_equal(got, p));
	ck_assert_uint_eq(names_count(), 1);
	end_blocker(p);
}
END_TEST

START_TEST(test_name_length)
{
	g_test = ot_self();
	char n63[64], n64[65], big[1001];
	memset(n63, 'a', 63);
	n63[63] = '\0';
	memset(n64, 'a', 64);
	n64[64] = '\0';
	n64[63] = 'b'; /* same 63-byte prefix as n63 */
	memset(big, 'z', 1000);
	big[1000] = '\0';
	ck_assert_uint_eq(strlen(n63), OT_NAME_MAX);

	ot_pid p = spawn_blocker(), q = spawn_blocker();
	ot_pid got;
	ck_assert_ot_err(ot_register(n64, p), OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_register(big, p), OT_ENAMETOOLONG);
	ck_assert_uint_eq(names_count(), 0);
	ck_assert_ot_ok(ot_register(n63, p));
	ck_assert_ot_ok(ot_whereis(n63, &got));
	ck_assert(ot_pid_equal(got, p));
	/* a long name is refused, never cut to a registered one */
	ck_assert_ot_err(ot_whereis(n64, &got), OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_whereis(big, &got), OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_register(n64, q), OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_unregister(n64), OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_unregister(big), OT_ENAMETOOLONG);
	ck_assert_ot_ok(ot_whereis(n63, &got)); /* still there */
	ck_assert(ot_pid_equal(got, p));
	ck_assert_ot_ok(ot_unregister(n63));

	/* one byte names, and names that differ only in their last byte */
	ck_assert_ot_ok(ot_register("x", p));
	char n63b[64];
	memcpy(n63b, n63, sizeof(n63b));
	n63b[62] = 'b';
	ck_assert_ot_ok(ot_register(n63b, q));
	ck_assert_ot_err(ot_whereis(n63, &got), OT_ENOTREG);
	ck_assert_ot_ok(ot_whereis(n63b, &got));
	ck_assert(ot_pid_equal(got, q));
	ck_assert_ot_ok(ot_whereis("x", &got));
	ck_assert(ot_pid_equal(got, p));
	end_blocker(p);
	end_blocker(q);
}
END_TEST

START_TEST(test_bad_arguments)
{
	g_test = ot_self();
	ot_pid p = spawn_blocker();
	ot_pid got;
	ck_assert_ot_err(ot_register("", p), OT_EINVAL);
	ck_assert_ot_err(ot_register(NULL, p), OT_EINVAL);
	ck_assert_ot_err(ot_register("nobody", OT_PID_NONE), OT_EINVAL);
	ck_assert_ot_err(ot_whereis("", &got), OT_EINVAL);
	ck_assert_ot_err(ot_whereis(NULL, &got), OT_EINVAL);
	ck_assert_ot_err(ot_whereis("x", NULL), OT_EINVAL);
	ck_assert_ot_err(ot_unregister(""), OT_EINVAL);
	ck_assert_ot_err(ot_unregister(NULL), OT_EINVAL);
	ck_assert_uint_eq(names_count(), 0);
	/* the process can still be registered afterwards */
	ck_assert_ot_ok(ot_register("fine", p));
	ck_assert_ot_err(ot_whereis(NULL, &got), OT_EINVAL);
	end_blocker(p);
}
END_TEST

START_TEST(test_register_dead_pid)
{
	g_test = ot_self();
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, &p));
	ck_assert(wait_dead(p, 1000));
	ck_assert_ot_err(ot_register("ghost", p), OT_ENOPROC);
	ot_pid got;
	ck_assert_ot_err(ot_whereis("ghost", &got), OT_ENOTREG);
	ck_assert_uint_eq(names_count(), 0);
}
END_TEST

/* ---- release at the end of a process ------------------------------------- */

START_TEST(test_name_released_when_process_ends)
{
	g_test = ot_self();
	for (int round = 0; round < 3; round++) {
		ot_pid p = spawn_blocker();
		ck_assert_ot_ok(ot_register("transient", p));
		ck_assert_ot_ok(ot_send(p, T_GO, NULL, 0));
		ot_msg_free(expect_msg(T_BYE, 2000));
		/* the name goes with the process */
		int64_t deadline = now_ms() + (int64_t)(2000 * tmul());
		ot_pid got;
		int rc;
		while ((rc = ot_whereis("transient", &got)) == 0 &&
		       now_ms() < deadline)
			ot_sleep(1);
		ck_assert_ot_err(rc, OT_ENOTREG);
		/* and for good: a dead process is never found by name */
		ck_assert(wait_dead(p, 1000));
		ck_assert_ot_err(ot_whereis("transient", &got), OT_ENOTREG);
		ck_assert_ot_err(ot_register("transient", p), OT_ENOPROC);
		ot_pid q = spawn_blocker();
		ck_assert_ot_ok(ot_register("transient", q));
		ck_assert_ot_ok(ot_whereis("transient", &got));
		ck_assert(ot_pid_equal(got, q));
		end_blocker(q);
	}
	ck_assert_uint_eq(names_count(), 0);
}
END_TEST

/* Once a process is seen dead, its name is gone too. */
START_TEST(test_no_name_outlives_its_process)
{
	g_test = ot_self();
	for (int i = 0; i < 50; i++) {
		ot_pid p;
		ot_spawn_opts opts = {.name = "brief"};
		ck_assert_ot_ok(ot_spawn(idle, NULL, &opts, &p));
		ck_assert(wait_dead(p, 1000));
		ot_pid got = OT_PID_NONE;
		int rc = ot_whereis("brief", &got);
		ck_assert_msg(rc == OT_ENOTREG,
			      "round %d: whereis of a dead process's name: %s",
			      i, ot_err_name(rc));
	}
}
END_TEST

/* ---- names given at spawn ------------------------------------------------ */

/* Looks its own name up first thing and reports whether it found itself. */
static void find_myself(void *arg)
{
	const char *name = arg;
	ot_pid got = OT_PID_NONE;
	int rc = ot_whereis(name, &got);
	send_i64(g_test, T_RESULT, rc == 0 ? ot_pid_equal(got, ot_self()) : rc);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

START_TEST(test_spawn_with_name)
{
	g_test = ot_self();
	static char name[] = "spawned_named";
	ot_pid p;
	ot_spawn_opts opts = {.name = name};
	ck_assert_ot_ok(ot_spawn(find_myself, name, &opts, &p));
	ot_pid got;
	ck_assert_ot_ok(ot_whereis("spawned_named", &got));
	ck_assert(ot_pid_equal(got, p));
	ck_assert_int_eq(expect_result(2000), 1);
	ck_assert_uint_eq(names_count(), 1);
	/* the name was copied */
	char copy[32];
	strcpy(copy, "copied_name");
	opts.name = copy;
	ot_pid q;
	ck_assert_ot_ok(ot_spawn(find_myself, "copied_name", &opts, &q));
	memset(copy, 'q', sizeof(copy) - 1);
	ck_assert_int_eq(expect_result(2000), 1);
	ck_assert_ot_ok(ot_whereis("copied_name", &got));
	ck_assert(ot_pid_equal(got, q));
	ck_assert_ot_ok(ot_send(p, T_GO, NULL, 0));
	ck_assert_ot_ok(ot_send(q, T_GO, NULL, 0));
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	ck_assert_uint_eq(names_count(), 0);
}
END_TEST

static atomic_int g_ran;

static void mark_ran(void *arg)
{
	(void)arg;
	atomic_fetch_add(&g_ran, 1);
}

START_TEST(test_spawn_with_taken_name)
{
	g_test = ot_self();
	atomic_store(&g_ran, 0);
	ot_pid holder = spawn_blocker();
	ck_assert_ot_ok(ot_register("holder", holder));
	ot_stats before, after;
	ck_assert_ot_ok(ot_runtime_stats(&before));

	ot_spawn_opts opts = {.name = "holder"};
	ot_pid p = OT_PID_NONE;
	ck_assert_ot_err(ot_spawn(mark_ran, NULL, &opts, &p), OT_ENAMETAKEN);
	char n64[65];
	memset(n64, 'n', 64);
	n64[64] = '\0';
	opts.name = n64;
	ck_assert_ot_err(ot_spawn(mark_ran, NULL, &opts, &p), OT_ENAMETOOLONG);
	opts.name = "";
	ck_assert_ot_err(ot_spawn(mark_ran, NULL, &opts, &p), OT_EINVAL);

	ot_sleep(30);
	ck_assert_int_eq(atomic_load(&g_ran), 0); /* nothing ran */
	ck_assert_ot_ok(ot_runtime_stats(&after));
	ck_assert_uint_eq(after.spawned, before.spawned);
	ck_assert_uint_eq(after.processes, before.processes);
	ck_assert_uint_eq(after.stacks_in_use, before.stacks_in_use);
	ck_assert_uint_eq(after.names, 1);
	ot_pid got;
	ck_assert_ot_ok(ot_whereis("holder", &got));
	ck_assert(ot_pid_equal(got, holder));
	end_blocker(holder);
}
END_TEST

/* ---- from processes, at once --------------------------------------------- */

static atomic_int g_go;

static void race_for_name(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_go))
		ot_yield();
	int rc = ot_register("contested", ot_self());
	send_i64(g_test, T_RESULT, rc);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

START_TEST(test_register_race)
{
	g_test = ot_self();
	atomic_store(&g_go, 0);
	enum { N = 16 };
	ot_pid pids[N];
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(ot_spawn(race_for_name, NULL, NULL, &pids[i]));
	atomic_store(&g_go, 1);
	int won = 0, lost = 0;
	for (int i = 0; i < N; i++) {
		int64_t rc = expect_result(5000);
		if (rc == 0)
			won++;
		else if (rc == OT_ENAMETAKEN)
			lost++;
	}
	ck_assert_int_eq(won, 1);
	ck_assert_int_eq(lost, N - 1);
	ot_pid got;
	ck_assert_ot_ok(ot_whereis("contested", &got));
	bool found = false;
	for (int i = 0; i < N; i++)
		found = found || ot_pid_equal(got, pids[i]);
	ck_assert(found);
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	ck_assert_uint_eq(names_count(), 0);
}
END_TEST

/* Many names at once, then all released by their processes' ends. */
static void self_register(void *arg)
{
	char name[32];
	snprintf(name, sizeof(name), "worker_%d", (int)(intptr_t)arg);
	int rc = ot_register(name, ot_self());
	send_i64(g_test, T_RESULT, rc);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

START_TEST(test_many_names)
{
	g_test = ot_self();
	enum { N = 500 };
	static ot_pid pids[N];
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(ot_spawn(self_register, (void *)(intptr_t)i,
					 NULL, &pids[i]));
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok((int)expect_result(5000));
	ck_assert_uint_eq(names_count(), N);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "worker_%d", i);
		ot_pid got;
		ck_assert_ot_ok(ot_whereis(name, &got));
		ck_assert(ot_pid_equal(got, pids[i]));
	}
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
	ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
	ck_assert_uint_eq(names_count(), 0);
}
END_TEST

/* Name ! Msg (erlang:send/2 to a registered name; badarg for a name
 * nobody has, which is OT_ENOTREG here). */
START_TEST(test_send_name)
{
	ot_pid me = ot_self();
	ck_assert_ot_ok(ot_register("send_to_me", me));
	ck_assert_ot_ok(ot_send_name("send_to_me", T_DATA, "hi", 2));
	ck_assert_ot_ok(ot_send_name("send_to_me", T_DATA, NULL, 0));
	ot_msg *m = expect_msg(T_DATA, 2000);
	ck_assert_uint_eq(ot_msg_size(m), 2);
	ck_assert_int_eq(memcmp(ot_msg_data(m), "hi", 2), 0);
	ck_assert(ot_pid_equal(ot_msg_from(m), me));
	ot_msg_free(m);
	m = expect_msg(T_DATA, 2000);
	ck_assert_uint_eq(ot_msg_size(m), 0);
	ot_msg_free(m);
	/* bad messages are refused whether or not the name is there */
	ck_assert_ot_err(ot_send_name("send_to_me", T_DATA, NULL, 1),
			 OT_EINVAL);
	ck_assert_ot_err(ot_send_name("send_to_me", T_DATA, "x", SIZE_MAX),
			 OT_EINVAL);
	ck_assert_ot_err(ot_send_name("nobody", T_DATA, "x", SIZE_MAX),
			 OT_EINVAL);
	ck_assert_ot_err(ot_send_name("send_to_me", OT_TAG_DOWN, NULL, 0),
			 OT_EINVAL);
	ck_assert_ot_ok(ot_unregister("send_to_me"));
	ck_assert_ot_err(ot_send_name("send_to_me", T_DATA, "hi", 2),
			 OT_ENOTREG);
	ck_assert_ot_err(ot_send_name(NULL, T_DATA, "hi", 2), OT_EINVAL);
	ck_assert_ot_err(ot_send_name("", T_DATA, "hi", 2), OT_EINVAL);
	char longname[OT_NAME_MAX + 2];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	ck_assert_ot_err(ot_send_name(longname, T_DATA, "hi", 2),
			 OT_ENAMETOOLONG);
	ot_msg *none = NULL;
	ck_assert_ot_err(ot_receive(&none, 0), OT_ETIMEDOUT);
}
END_TEST

static Suite *name_suite(void)
{
	Suite *s = suite_create("name");

	TCase *tc = ot_test_tcase("register", 10);
	tcase_add_test(tc, test_register_whereis_unregister);
	tcase_add_test(tc, test_register_foreign_thread);
	tcase_add_test(tc, test_name_taken);
	tcase_add_test(tc, test_second_name_refused);
	tcase_add_test(tc, test_name_length);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_register_dead_pid);
	tcase_add_test(tc, test_send_name);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("release", 10);
	tcase_add_test(tc, test_name_released_when_process_ends);
	tcase_add_test(tc, test_no_name_outlives_its_process);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("spawn", 10);
	tcase_add_test(tc, test_spawn_with_name);
	tcase_add_test(tc, test_spawn_with_taken_name);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("concurrent", 20);
	tcase_add_test(tc, test_register_race);
	tcase_add_test(tc, test_many_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(name_suite());
}
