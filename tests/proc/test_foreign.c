/* SPDX-License-Identifier: MIT */
/*
 * test_foreign.c — threads outside the runtime: main and the program's own
 * pthreads attach on first use, get pids and mailboxes, talk to processes,
 * block only themselves, detach at exit or on request, and are woken with
 * OT_ESHUTDOWN when the runtime stops under them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

enum { T_READY = 1, T_PING, T_PONG, T_STOP, T_PID, T_GO, T_DATA, T_RESULT };

static ot_pid g_test; /* the test thread, set before spawning */

static ot_pid msg_pid(const ot_msg *m)
{
	ot_pid p;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(p));
	memcpy(&p, ot_msg_data(m), sizeof(p));
	return p;
}

static ot_stats stats(void)
{
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	return st;
}

/* Answers T_PING with T_PONG (same payload) to the sender; ends on T_STOP. */
static void echo(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		uint64_t tag = ot_msg_tag(m);
		if (tag == T_PING)
			ot_send(ot_msg_from(m), T_PONG, ot_msg_data(m),
				ot_msg_size(m));
		ot_msg_free(m);
		if (tag == T_STOP)
			return;
	}
}

/* n round trips with the echo process; returns how many came back right
 * (from the echo process, with the payload sent). */
static int round_trips(ot_pid server, int n, uint64_t salt)
{
	int good = 0;
	for (int i = 0; i < n; i++) {
		uint64_t v = salt * 1000000 + (uint64_t)i;
		if (ot_send(server, T_PING, &v, sizeof(v)) != 0)
			break;
		ot_msg *m;
		if (ot_receive(&m, (int)(5000 * tmul())) != 0)
			break;
		uint64_t got = 0;
		if (ot_msg_size(m) == sizeof(got))
			memcpy(&got, ot_msg_data(m), sizeof(got));
		if (ot_msg_tag(m) == T_PONG &&
		    ot_pid_equal(ot_msg_from(m), server) && got == v)
			good++;
		ot_msg_free(m);
	}
	return good;
}

/* ---- talking to processes ------------------------------------------------ */

START_TEST(test_main_thread_talks_to_process)
{
	ck_assert(!ot_in_process());
	ot_pid server;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &server));
	ck_assert_int_eq(round_trips(server, 100, 7), 100);
	ot_pid me = ot_self();
	ck_assert(!ot_pid_is_none(me));
	ck_assert(ot_pid_equal(ot_self(), me)); /* stable */
	ck_assert(!ot_pid_equal(me, server));
	ck_assert_ot_ok(ot_send(server, T_STOP, NULL, 0));
}
END_TEST

struct trip_job {
	ot_pid server;
	int n;
	uint64_t salt;
	int good;
	bool in_process;
	ot_pid self;
};

static void *trip_thread(void *arg)
{
	struct trip_job *j = arg;
	j->in_process = ot_in_process();
	j->good = round_trips(j->server, j->n, j->salt);
	j->self = ot_self();
	return NULL;
}

START_TEST(test_pthreads_talk_to_process)
{
	enum { THREADS = 4, TRIPS = 1000 };
	ot_pid server;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &server));
	pthread_t th[THREADS];
	struct trip_job jobs[THREADS];
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (struct trip_job){
		    .server = server, .n = TRIPS, .salt = (uint64_t)i + 1};
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, trip_thread, &jobs[i]), 0);
	}
	/* main talks to it at the same time */
	ck_assert_int_eq(round_trips(server, TRIPS, 99), TRIPS);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	ot_pid me = ot_self();
	for (int i = 0; i < THREADS; i++) {
		ck_assert_int_eq(jobs[i].good, TRIPS);
		ck_assert(!jobs[i].in_process);
		ck_assert(!ot_pid_is_none(jobs[i].self));
		ck_assert(!ot_pid_equal(jobs[i].self, me));
		for (int k = 0; k < i; k++)
			ck_assert(!ot_pid_equal(jobs[i].self, jobs[k].self));
	}
	ck_assert_ot_ok(ot_send(server, T_STOP, NULL, 0));
	ck_assert_uint_eq(stats().threads, 1); /* only main is left */
}
END_TEST

/* A pthread spawns a process that writes back to it. */
static void answer_spawner(void *arg)
{
	ot_pid *to = arg;
	ot_send(*to, T_DATA, "from child", 11);
}

static void *spawning_thread(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	ot_pid child;
	if (ot_spawn(answer_spawner, &me, NULL, &child) != 0)
		return (void *)(intptr_t)1;
	ot_msg *m;
	if (ot_receive(&m, (int)(5000 * tmul())) != 0)
		return (void *)(intptr_t)2;
	intptr_t ok =
	    ot_msg_tag(m) == T_DATA && ot_pid_equal(ot_msg_from(m), child) &&
	    ot_msg_size(m) == 11 && strcmp(ot_msg_data(m), "from child") == 0;
	ot_msg_free(m);
	return (void *)(ok ? 0 : (intptr_t)3);
}

START_TEST(test_pthread_spawns_process)
{
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, spawning_thread, NULL), 0);
	void *ret;
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_int_eq((intptr_t)ret, 0);
}
END_TEST

/* ---- attach and detach --------------------------------------------------- */

/* Attaches, tells main its pid, waits for GO, ends. */
static void *attach_and_wait(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	ot_send(g_test, T_PID, &me, sizeof(me));
	ot_msg *m;
	int rc = ot_receive(&m, (int)(5000 * tmul()));
	if (rc == 0)
		ot_msg_free(m);
	return (void *)(intptr_t)rc;
}

START_TEST(test_pthread_attaches_and_detaches_at_exit)
{
	g_test = ot_self();
	ck_assert_uint_eq(stats().threads, 1);
	enum { N = 8 };
	pthread_t th[N];
	ot_pid pids[N];
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, attach_and_wait, NULL), 0);
	for (int i = 0; i < N; i++) {
		ot_msg *m = expect_msg(T_PID, 2000);
		pids[i] = msg_pid(m);
		ck_assert(ot_pid_equal(ot_msg_from(m), pids[i]));
		ot_msg_free(m);
		ck_assert(!ot_pid_is_none(pids[i]));
		ck_assert(!ot_pid_equal(pids[i], g_test));
		for (int k = 0; k < i; k++)
			ck_assert(!ot_pid_equal(pids[i], pids[k]));
		ck_assert(ot_is_alive(pids[i]));
	}
	ot_stats st = stats();
	ck_assert_uint_eq(st.threads, 1 + N);
	ck_assert_uint_eq(st.processes, 0); /* threads are not scheduled */
	for (int i = 0; i < N; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
	for (int i = 0; i < N; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_ot_ok((int)(intptr_t)ret);
	}
	/* joined: each one's exit has detached it */
	ck_assert_uint_eq(stats().threads, 1);
	for (int i = 0; i < N; i++) {
		ck_assert(!ot_is_alive(pids[i]));
		ck_assert_ot_ok(ot_send(pids[i], T_DATA, NULL, 0)); /* no-op */
	}
}
END_TEST

static void *detach_unattached(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)ot_thread_detach();
}

START_TEST(test_detach_then_self_gives_new_pid)
{
	ot_pid p1 = ot_self();
	ck_assert(ot_is_alive(p1));
	ck_assert_uint_eq(stats().threads, 1);
	ck_assert_ot_ok(ot_send(p1, T_DATA, "old", 3));
	ck_assert_ot_ok(ot_thread_detach());
	ck_assert(!ot_is_alive(p1));
	ck_assert_uint_eq(stats().threads, 0);
	ck_assert_ot_ok(ot_thread_detach()); /* not attached: still 0 */
	ck_assert_uint_eq(stats().threads, 0);

	ot_pid p2 = ot_self();
	ck_assert(!ot_pid_is_none(p2));
	ck_assert(!ot_pid_equal(p1, p2));
	ck_assert(ot_is_alive(p2));
	ck_assert_uint_eq(stats().threads, 1);
	ot_msg *m;
	/* the old mailbox was discarded, and the old pid leads nowhere */
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
	ck_assert_ot_ok(ot_send(p1, T_DATA, "stale", 5));
	ck_assert_ot_err(ot_receive(&m, 20), OT_ETIMEDOUT);
	ck_assert_ot_ok(ot_send(p2, T_DATA, "new", 3));
	ck_assert_ot_ok(ot_receive(&m, 0));
	ck_assert(ot_pid_equal(ot_msg_from(m), p2));
	ot_msg_free(m);

	/* a thread that never attached detaches fine */
	pthread_t th;
	void *ret;
	ck_assert_int_eq(pthread_create(&th, NULL, detach_unattached, NULL), 0);
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_ot_ok((int)(intptr_t)ret);
	ck_assert_uint_eq(stats().threads, 1);
}
END_TEST

static void detach_in_process(void *arg)
{
	(void)arg;
	int64_t rc = ot_thread_detach();
	ot_send(g_test, T_RESULT, &rc, sizeof(rc));
}

START_TEST(test_detach_from_process_refused)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(detach_in_process, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 2000);
	int64_t rc;
	memcpy(&rc, ot_msg_data(m), sizeof(rc));
	ot_msg_free(m);
	ck_assert_ot_err((int)rc, OT_ENOTFOREIGN);
}
END_TEST

static atomic_int g_freed;
static void count_free(void *p)
{
	atomic_fetch_add(&g_freed, 1);
	free(p);
}

static bool match_go(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == T_GO;
}

/* Attaches, tells main its pid, takes only GO, ends. */
static void *attach_and_wait_go(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	ot_send(g_test, T_PID, &me, sizeof(me));
	ot_msg *m;
	int rc = ot_receive_match(match_go, NULL, &m, (int)(5000 * tmul()));
	if (rc == 0)
		ot_msg_free(m);
	return (void *)(intptr_t)rc;
}

START_TEST(test_thread_exit_drops_its_mailbox)
{
	g_test = ot_self();
	atomic_store(&g_freed, 0);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, attach_and_wait_go, NULL),
			 0);
	ot_msg *m = expect_msg(T_PID, 2000);
	ot_pid tp = msg_pid(m);
	ot_msg_free(m);
	/* three it never reads, then the GO that ends it */
	for (int i = 0; i < 3; i++)
		ck_assert_ot_ok(
		    ot_send_owned(tp, T_DATA, malloc(32), 32, count_free));
	ck_assert_ot_ok(ot_send(tp, T_GO, NULL, 0));
	void *ret;
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_ot_ok((int)(intptr_t)ret);
	ck_assert(!ot_is_alive(tp));
	ck_assert_int_eq(atomic_load(&g_freed), 3);
}
END_TEST

/* ---- receive timeouts in foreign threads --------------------------------- */

static bool match_data(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == T_DATA;
}

static void *timed_receive_thread(void *arg)
{
	(void)arg;
	ot_msg *m;
	double t0 = now_msf();
	int rc = ot_receive(&m, 50);
	double took = now_msf() - t0;
	if (rc != OT_ETIMEDOUT)
		return (void *)(intptr_t)-1;
	return (void *)(intptr_t)(took * 1000);
}

START_TEST(test_foreign_receive_timeout)
{
	ot_msg *m;
	double t0 = now_msf();
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);
	double took = now_msf() - t0;
	ck_assert_msg(took >= 45 && took < 500 * tmul(),
		      "a 50 ms receive took %.1f ms", took);

	t0 = now_msf();
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
	ck_assert_msg(now_msf() - t0 < 100 * tmul(), "a poll took %.1f ms",
		      now_msf() - t0);

	/* selective, with a message that does not match */
	ck_assert_ot_ok(ot_send(ot_self(), T_PING, NULL, 0));
	t0 = now_msf();
	ck_assert_ot_err(ot_receive_match(match_data, NULL, &m, 50),
			 OT_ETIMEDOUT);
	took = now_msf() - t0;
	ck_assert_msg(took >= 45 && took < 500 * tmul(),
		      "a 50 ms selective receive took %.1f ms", took);
	ck_assert_ot_ok(ot_receive(&m, 0));
	ck_assert_uint_eq(ot_msg_tag(m), T_PING);
	ot_msg_free(m);

	pthread_t th;
	void *ret;
	ck_assert_int_eq(pthread_create(&th, NULL, timed_receive_thread, NULL),
			 0);
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	intptr_t us = (intptr_t)ret;
	ck_assert_msg(us >= 45000 && us < 500000 * tmul(),
		      "a 50 ms receive in a pthread: %ld us", (long)us);
}
END_TEST

/* A foreign thread blocks only itself: processes run on meanwhile. */
static void *block_long(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	ot_send(g_test, T_PID, &me, sizeof(me));
	ot_msg *m;
	int rc = ot_receive(&m, (int)(5000 * tmul()));
	if (rc == 0)
		ot_msg_free(m);
	return (void *)(intptr_t)rc;
}

START_TEST(test_blocked_thread_blocks_only_itself)
{
	g_test = ot_self();
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, block_long, NULL), 0);
	ot_msg *m = expect_msg(T_PID, 2000);
	ot_pid tp = msg_pid(m);
	ot_msg_free(m);
	ot_pid server;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &server));
	double t0 = now_msf();
	ck_assert_int_eq(round_trips(server, 100, 3), 100);
	ck_assert_msg(now_msf() - t0 < 2000 * tmul(),
		      "100 round trips took %.0f ms", now_msf() - t0);
	ck_assert_ot_ok(ot_send(server, T_STOP, NULL, 0));
	ck_assert(ot_is_alive(tp)); /* still waiting */
	ck_assert_ot_ok(ot_send(tp, T_GO, NULL, 0));
	void *ret;
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_ot_ok((int)(intptr_t)ret);
}
END_TEST

/* ---- shutdown wakes blocked foreign threads ------------------------------ */

static bool match_nothing(const ot_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	return false;
}

struct blocked {
	int kind;		/* 0 receive, 1 receive_match, 2 sleep */
	int rc;			/* what the blocked call returned */
	bool self_none_between; /* ot_self() between the two runtimes */
	int send_rc_between;	/* ot_send() then */
};

/* 0: first runtime; 1: it is shut down; 2: a second one is running. */
static atomic_int g_phase;
static atomic_int g_checked; /* threads done with their phase 1 checks */

static void wait_phase(int phase)
{
	while (atomic_load(&g_phase) < phase) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static ot_pid g_test2; /* the test thread in the second runtime */

static void *block_forever(void *arg)
{
	struct blocked *b = arg;
	ot_pid me = ot_self();
	ot_send(g_test, T_READY, &me, sizeof(me));
	ot_msg *m = NULL;
	switch (b->kind) {
	case 0:
		b->rc = ot_receive(&m, OT_INFINITY);
		break;
	case 1:
		b->rc = ot_receive_match(match_nothing, NULL, &m, OT_INFINITY);
		break;
	default:
		b->rc = ot_sleep(OT_INFINITY);
		break;
	}
	if (b->rc == 0 && m)
		ot_msg_free(m);
	wait_phase(1);
	b->self_none_between = ot_pid_is_none(ot_self());
	b->send_rc_between = ot_send(me, T_DATA, NULL, 0);
	atomic_fetch_add(&g_checked, 1);
	wait_phase(2);
	/* attached to the old runtime, the thread attaches to the new one
	 * afresh; it detaches from it when it exits */
	ot_pid again = ot_self();
	ot_send(g_test2, T_PID, &again, sizeof(again));
	return NULL;
}

START_TEST(test_shutdown_wakes_blocked_threads)
{
	g_test = ot_self();
	atomic_store(&g_phase, 0);
	atomic_store(&g_checked, 0);
	enum { N = 6 };
	pthread_t th[N];
	struct blocked b[N];
	for (int i = 0; i < N; i++) {
		b[i] = (struct blocked){.kind = i % 3, .rc = 12345};
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, block_forever, &b[i]), 0);
	}
	for (int i = 0; i < N; i++)
		ot_msg_free(expect_msg(T_READY, 2000));
	/* a process blocked for ever too */
	ot_pid server;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &server));
	struct timespec ts = {0, (long)(100 * tmul()) * 1000000};
	nanosleep(&ts, NULL); /* let them all block */
	double t0 = now_msf();
	ck_assert_ot_ok(ot_shutdown());
	double took = now_msf() - t0;
	ck_assert(!ot_running());
	ck_assert_msg(took < 2000 * tmul(), "shutdown took %.0f ms", took);
	atomic_store(&g_phase, 1);
	while (atomic_load(&g_checked) < N) {
		ts = (struct timespec){0, 1000000};
		nanosleep(&ts, NULL);
	}

	/* a new runtime: main and the old threads attach afresh */
	ot_config cfg = {.schedulers = 2};
	ck_assert_ot_ok(ot_start(&cfg));
	g_test2 = ot_self();
	ck_assert(!ot_pid_is_none(g_test2));
	atomic_store(&g_phase, 2);
	for (int i = 0; i < N; i++) {
		ot_msg *m = expect_msg(T_PID, 2000);
		ot_pid again = msg_pid(m);
		ck_assert(!ot_pid_is_none(again));
		ck_assert(ot_pid_equal(ot_msg_from(m), again));
		ot_msg_free(m);
	}
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(b[i].rc == OT_ESHUTDOWN,
			      "thread %d (kind %d) woke with %s", i, b[i].kind,
			      ot_err_name(b[i].rc));
		ck_assert(b[i].self_none_between);
		ck_assert_ot_err(b[i].send_rc_between, OT_ENOTSTARTED);
	}
	ck_assert_uint_eq(stats().threads, 1); /* they detached at exit */
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &server));
	ck_assert_int_eq(round_trips(server, 10, 5), 10);
	ck_assert_ot_ok(ot_send(server, T_STOP, NULL, 0));
	ck_assert_ot_ok(ot_shutdown());
}
END_TEST

static void stop_if_running(void)
{
	if (ot_running()) {
		ot_thread_detach();
		ot_shutdown();
	}
}

static Suite *foreign_suite(void)
{
	Suite *s = suite_create("foreign");

	TCase *tc = ot_test_tcase("talk", 20);
	tcase_add_test(tc, test_main_thread_talks_to_process);
	tcase_add_test(tc, test_pthreads_talk_to_process);
	tcase_add_test(tc, test_pthread_spawns_process);
	tcase_add_test(tc, test_blocked_thread_blocks_only_itself);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("attach", 10);
	tcase_add_test(tc, test_pthread_attaches_and_detaches_at_exit);
	tcase_add_test(tc, test_detach_then_self_gives_new_pid);
	tcase_add_test(tc, test_detach_from_process_refused);
	tcase_add_test(tc, test_thread_exit_drops_its_mailbox);
	tcase_add_test(tc, test_foreign_receive_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("shutdown");
	tcase_add_checked_fixture(tc, ot_test_setup, stop_if_running);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_shutdown_wakes_blocked_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(foreign_suite());
}
