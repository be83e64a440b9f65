/* SPDX-License-Identifier: MIT */
/*
 * test_table.c — the process table: pids are distinct values, liveness is
 * tracked, stale pids are detected and never reach a newer process, pids
 * are not reused soon, and max_processes is a hard limit that frees up.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

enum { T_READY = 1, T_RESULT, T_GO, T_STALE, T_BYE };

static ot_pid g_test; /* the test thread, set before spawning */

static int cmp_pid(const void *a, const void *b)
{
	uint64_t x = ((const ot_pid *)a)->id, y = ((const ot_pid *)b)->id;
	return x < y ? -1 : x > y;
}

/* Polls until pid is no longer alive; false on timeout. */
static bool wait_dead(ot_pid pid, int timeout_ms)
{
	int64_t deadline = now_ms() + (int64_t)(timeout_ms * tmul());
	for (int spins = 0; ot_is_alive(pid); spins++) {
		if (now_ms() > deadline)
			return false;
		if (spins < 1000) {
			sched_yield(); /* usually over in a few microseconds */
		} else {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
	return true;
}

static void idle(void *arg)
{
	(void)arg;
}

static void blocker(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
	ot_send(g_test, T_BYE, NULL, 0);
}

/* ---- distinct pids ------------------------------------------------------- */

static void report_self(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	send_i64(g_test, T_RESULT, (int64_t)me.id);
	send_i64(g_test, T_RESULT, ot_in_process());
	send_i64(g_test, T_RESULT, ot_is_alive(me));
	send_i64(g_test, T_RESULT, ot_pid_equal(ot_self(), me));
}

START_TEST(test_pids_distinct)
{
	enum { N = 1000 };
	static ot_pid pids[N + 1];
	g_test = ot_self();
	ck_assert(!ot_pid_is_none(g_test));
	for (int i = 0; i < N; i++) {
		ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, &pids[i]));
		require(!ot_pid_is_none(pids[i]), "spawn gave OT_PID_NONE");
	}
	pids[N] = g_test;
	qsort(pids, N + 1, sizeof(ot_pid), cmp_pid);
	for (int i = 1; i <= N; i++)
		require(!ot_pid_equal(pids[i], pids[i - 1]),
			"two live processes share pid %#llx",
			(unsigned long long)pids[i].id);
}
END_TEST

START_TEST(test_self_in_process)
{
	g_test = ot_self();
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(report_self, NULL, NULL, &p));
	ot_msg *m = expect_msg(T_RESULT, 2000);
	ck_assert_uint_eq((uint64_t)msg_i64(m), p.id); /* ot_self == spawn's */
	ck_assert(ot_pid_equal(ot_msg_from(m), p));
	ot_msg_free(m);
	for (int i = 0; i < 3; i++) {
		m = expect_msg(T_RESULT, 2000);
		ck_assert_int_eq(msg_i64(m), 1);
		ot_msg_free(m);
	}
	ck_assert(!ot_in_process());
	ck_assert(ot_pid_equal(ot_self(), g_test)); /* stable */
}
END_TEST

/* ---- liveness ------------------------------------------------------------ */

START_TEST(test_is_alive)
{
	g_test = ot_self();
	ck_assert(ot_is_alive(g_test));
	ck_assert(!ot_is_alive(OT_PID_NONE));
	ck_assert(!ot_is_alive((ot_pid){UINT64_MAX}));
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(blocker, NULL, NULL, &p));
	ot_msg_free(expect_msg(T_READY, 2000));
	ck_assert(ot_is_alive(p));
	ot_sleep(10);
	ck_assert(ot_is_alive(p)); /* still blocked, still alive */
	ck_assert_ot_ok(ot_send(p, T_GO, NULL, 0));
	ot_msg_free(expect_msg(T_BYE, 2000));
	ck_assert_msg(wait_dead(p, 1000), "process alive 1 s after its end");
	ot_sleep(10);
	ck_assert(!ot_is_alive(p)); /* and stays dead */
}
END_TEST

/* ---- stale pids ---------------------------------------------------------- */

/* Waits a while for any message; reports what it got (or the error). */
static void listen_briefly(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	int rc = ot_receive(&m, 200);
	if (rc == 0) {
		send_i64(g_test, T_RESULT, (int64_t)ot_msg_tag(m));
		ot_msg_free(m);
	} else {
		send_i64(g_test, T_RESULT, rc);
	}
}

START_TEST(test_send_to_stale_pid)
{
	g_test = ot_self();
	for (int round = 0; round < 5; round++) {
		ot_pid old;
		ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, &old));
		ck_assert(wait_dead(old, 1000));
		ck_assert(ot_test_wait_quiet((int)(1000 * tmul())));
		/* a new process, likely in the old one's slot */
		ot_pid fresh;
		ck_assert_ot_ok(ot_spawn(listen_briefly, NULL, NULL, &fresh));
		ck_assert(!ot_pid_equal(old, fresh));
		ot_msg_free(expect_msg(T_READY, 2000));
		ck_assert_ot_ok(ot_send(old, T_STALE, "stale", 5));
		ck_assert_ot_ok(ot_send(old, T_STALE, NULL, 0));
		ot_msg *m = expect_msg(T_RESULT, 2000);
		int64_t got = msg_i64(m);
		ot_msg_free(m);
		ck_assert_msg(got == OT_ETIMEDOUT,
			      "round %d: the new process got %s %lld", round,
			      got > 0 ? "a message with tag" : "error",
			      (long long)got);
	}
	/* the test thread's own mailbox got nothing either */
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
}
END_TEST

/* ---- no pid is reused soon ----------------------------------------------- */

START_TEST(test_pids_not_reused)
{
	const int N = (int)ot_test_scaled(10000);
	ot_pid *pids = calloc((size_t)N, sizeof(*pids));
	ck_assert_ptr_nonnull(pids);
	for (int i = 0; i < N; i++) {
		int rc = ot_spawn(idle, NULL, NULL, &pids[i]);
		require(rc == 0, "spawn %d: %s", i, ot_err_name(rc));
		/* let it end, so that its slot is free for the next one */
		require(wait_dead(pids[i], 1000), "process %d did not end", i);
	}
	qsort(pids, (size_t)N, sizeof(ot_pid), cmp_pid);
	for (int i = 1; i < N; i++)
		require(!ot_pid_equal(pids[i], pids[i - 1]),
			"pid %#llx given twice in %d spawns",
			(unsigned long long)pids[i].id, N);
	free(pids);
}
END_TEST

/* ---- slots go round (each scheduler takes and frees them in batches) ----- */

#define LIMIT 8 /* max_processes of the "limit" cases */

/* table.c's REUSE_DELAY: a slot is reused only once that many others are
 * free. The schedulers' batches (32 taken, 32 freed, on each of two) may
 * bring one back a few batches sooner than that, never within this. */
#define REUSE_WINDOW (4096 - 8 * 32)

struct spawner {
	ot_pid *pids; /* the children, in spawn order */
	int n;
	int failed_at; /* -1, or the spawn that failed */
	int rc;
};

/* Spawns sp->n children one after another, each monitored and waited for
 * (its DOWN) before the next, then tells the test thread. */
static void spawn_serially(void *arg)
{
	struct spawner *sp = arg;
	sp->failed_at = -1;
	for (int i = 0; i < sp->n; i++) {
		ot_ref ref;
		ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR,
				   .monitor_ref = &ref};
		int rc = ot_spawn(idle, NULL, &o, &sp->pids[i]);
		if (rc) {
			sp->failed_at = i;
			sp->rc = rc;
			break;
		}
		ot_msg *m = NULL;
		if ((rc = ot_receive(&m, 5000)) != 0 || !ot_msg_down(m) ||
		    ot_msg_down(m)->ref.id != ref.id) {
			ot_msg_free(m);
			sp->failed_at = i;
			sp->rc = rc ? rc : OT_EINVAL;
			break;
		}
		ot_msg_free(m);
	}
	ot_send(g_test, T_RESULT, NULL, 0);
}

/* No slot comes back within REUSE_WINDOW spawns of its last use, though
 * the children end on either scheduler and their slots pass from one
 * scheduler's batch to the other's. */
START_TEST(test_slots_not_reused_soon)
{
	g_test = ot_self();
	struct spawner sp = {.n = (int)ot_test_scaled(3 * 4096 + 100)};
	sp.pids = calloc((size_t)sp.n, sizeof(*sp.pids));
	ck_assert_ptr_nonnull(sp.pids);
	ck_assert_ot_ok(ot_spawn(spawn_serially, &sp, NULL, NULL));
	ot_msg_free(expect_msg(T_RESULT, (int)(60000 * tmul())));
	ck_assert_msg(sp.failed_at < 0, "spawn %d: %s", sp.failed_at,
		      ot_err_name(sp.rc));
	uint32_t top = 0;
	for (int i = 0; i < sp.n; i++)
		if ((uint32_t)sp.pids[i].id > top)
			top = (uint32_t)sp.pids[i].id;
	int *last = malloc(((size_t)top + 1) * sizeof(*last));
	ck_assert_ptr_nonnull(last);
	for (uint32_t k = 0; k <= top; k++)
		last[k] = -1;
	for (int i = 0; i < sp.n; i++) {
		uint32_t slot = (uint32_t)sp.pids[i].id;
		ck_assert_msg(last[slot] < 0 || i - last[slot] >= REUSE_WINDOW,
			      "slot %u of spawn %d was spawn %d's", slot, i,
			      last[slot]);
		last[slot] = i;
	}
	free(last);
	free(sp.pids);
}
END_TEST

/* Under a small max_processes (a table of a few batches' slots), two
 * spawners on two schedulers and the test thread spawn many more
 * processes than the table has slots: the slots freed in one scheduler's
 * batch reach the others, none is kept, and no spawn fails. */
START_TEST(test_slots_go_round)
{
	g_test = ot_self();
	int n = (int)ot_test_scaled(5000);
	struct spawner sp[2];
	for (int k = 0; k < 2; k++) {
		sp[k] = (struct spawner){.n = n};
		sp[k].pids = calloc((size_t)n, sizeof(ot_pid));
		ck_assert_ptr_nonnull(sp[k].pids);
		ck_assert_ot_ok(ot_spawn(spawn_serially, &sp[k], NULL, NULL));
	}
	/* The test thread's spawns take slots under the table lock. */
	for (int i = 0; i < n / 4; i++) {
		ot_pid pid;
		ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, &pid));
		ck_assert(wait_dead(pid, 1000));
	}
	for (int k = 0; k < 2; k++)
		ot_msg_free(expect_msg(T_RESULT, (int)(60000 * tmul())));
	for (int k = 0; k < 2; k++) {
		ck_assert_msg(sp[k].failed_at < 0, "spawner %d, spawn %d: %s",
			      k, sp[k].failed_at, ot_err_name(sp[k].rc));
		free(sp[k].pids);
	}
	/* And the limit is still the limit. */
	ot_pid pids[LIMIT];
	int got = 0, rc;
	while (got < LIMIT &&
	       (rc = ot_spawn(blocker, NULL, NULL, &pids[got])) == 0)
		got++;
	ck_assert_int_eq(got, LIMIT - 1);
	ck_assert_ot_err(rc, OT_ELIMIT);
	for (int i = 0; i < got; i++)
		ot_msg_free(expect_msg(T_READY, 2000));
	for (int i = 0; i < got; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
	for (int i = 0; i < got; i++)
		ot_msg_free(expect_msg(T_BYE, 2000));
}
END_TEST

/* ---- max_processes ------------------------------------------------------- */

static void setup_limit(void)
{
	ot_config cfg = {.schedulers = 2, .max_processes = LIMIT};
	ot_test_setup_with(&cfg);
}

static void *attach_thread(void *arg)
{
	ot_pid *out = arg;
	*out = ot_self();
	return NULL;
}

START_TEST(test_max_processes)
{
	g_test = ot_self(); /* the test thread takes one place */
	ot_pid pids[LIMIT];
	int n = 0;
	int rc;
	while (n < LIMIT && (rc = ot_spawn(blocker, NULL, NULL, &pids[n])) == 0)
		n++;
	ck_assert_msg(n == LIMIT - 1,
		      "%d processes spawned next to one attached thread under "
		      "max_processes %d",
		      n, LIMIT);
	for (int i = 0; i < n; i++)
		ot_msg_free(expect_msg(T_READY, 2000));
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	size_t spawned = st.spawned;
	ck_assert_ot_err(ot_spawn(idle, NULL, NULL, NULL), OT_ELIMIT);
	ck_assert_ot_err(ot_spawn(idle, NULL, NULL, NULL), OT_ELIMIT);
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.spawned, spawned);
	ck_assert_uint_eq(st.processes, LIMIT - 1);

	/* no room for another foreign thread either */
	pthread_t th;
	ot_pid other = {12345};
	ck_assert_int_eq(pthread_create(&th, NULL, attach_thread, &other), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert(ot_pid_is_none(other));

	/* one ends: one place is free again */
	ck_assert_ot_ok(ot_send(pids[0], T_GO, NULL, 0));
	ot_msg_free(expect_msg(T_BYE, 2000));
	ck_assert(wait_dead(pids[0], 1000));
	int64_t deadline = now_ms() + (int64_t)(1000 * tmul());
	while ((rc = ot_spawn(blocker, NULL, NULL, &pids[0])) == OT_ELIMIT &&
	       now_ms() < deadline)
		ot_sleep(1);
	ck_assert_msg(rc == 0, "spawn after a process ended: %s",
		      ot_err_name(rc));
	ot_msg_free(expect_msg(T_READY, 2000));
	ck_assert_ot_err(ot_spawn(idle, NULL, NULL, NULL), OT_ELIMIT);

	/* all end: the whole table is free */
	for (int i = 0; i < n; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
	for (int i = 0; i < n; i++)
		ot_msg_free(expect_msg(T_BYE, 2000));
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	for (int i = 0; i < n; i++)
		ck_assert(wait_dead(pids[i], 1000));
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < LIMIT - 1; i++) {
			rc = ot_spawn(blocker, NULL, NULL, &pids[i]);
			ck_assert_msg(rc == 0, "round %d, spawn %d: %s", round,
				      i, ot_err_name(rc));
		}
		for (int i = 0; i < LIMIT - 1; i++)
			ot_msg_free(expect_msg(T_READY, 2000));
		for (int i = 0; i < LIMIT - 1; i++)
			ck_assert_ot_ok(ot_send(pids[i], T_GO, NULL, 0));
		for (int i = 0; i < LIMIT - 1; i++)
			ot_msg_free(expect_msg(T_BYE, 2000));
		for (int i = 0; i < LIMIT - 1; i++)
			ck_assert(wait_dead(pids[i], 1000));
	}
}
END_TEST

/* ---- bad pids ------------------------------------------------------------ */

START_TEST(test_bad_pids_rejected)
{
	ck_assert_ot_err(ot_send(OT_PID_NONE, 1, NULL, 0), OT_EINVAL);
	ck_assert_ot_err(ot_send(OT_PID_NONE, 1, "x", 1), OT_EINVAL);
	/* An index past any table's, and the remote bit with no index. */
	ck_assert_ot_err(
	    ot_send((ot_pid){(UINT64_C(1) << 32) | 0x7fffffff}, 1, NULL, 0),
	    OT_EINVAL);
	ck_assert_ot_err(
	    ot_send((ot_pid){(UINT64_C(1) << 32) | OT_PID_REMOTE_BIT}, 1, NULL,
		    0),
	    OT_EINVAL);
	/* A pid of another node, and no node runs. */
	ck_assert_ot_err(ot_send((ot_pid){UINT64_MAX}, 1, NULL, 0), OT_EREMOTE);
	ck_assert_ot_err(
	    ot_send_after(10, (ot_pid){UINT64_MAX}, 1, NULL, 0, NULL),
	    OT_EREMOTE); /* a remote pid, as for ot_send: no node runs */
	ck_assert(!ot_is_alive((ot_pid){UINT64_MAX}));
	/* nothing went anywhere: the caller's mailbox is empty */
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.timers, 0);
}
END_TEST

static Suite *table_suite(void)
{
	Suite *s = suite_create("table");

	TCase *tc = ot_test_tcase("pids", 20);
	tcase_add_test(tc, test_pids_distinct);
	tcase_add_test(tc, test_self_in_process);
	tcase_add_test(tc, test_is_alive);
	tcase_add_test(tc, test_send_to_stale_pid);
	tcase_add_test(tc, test_pids_not_reused);
	tcase_add_test(tc, test_bad_pids_rejected);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("slots", 60);
	tcase_add_test(tc, test_slots_not_reused_soon);
	suite_add_tcase(s, tc);

	tc = tcase_create("limit");
	tcase_add_checked_fixture(tc, setup_limit, ot_test_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_max_processes);
	tcase_add_test(tc, test_slots_go_round);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(table_suite());
}
