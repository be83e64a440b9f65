/* SPDX-License-Identifier: MIT */
/*
 * test_gate.c — foreign threads that use otter while the runtime starts,
 * runs, shuts down and is stopped under them (issue 15, item 1). Several
 * threads hammer every kind of call across hundreds of start/shutdown
 * rounds: each call either does its work or returns OT_ENOTSTARTED /
 * OT_ESHUTDOWN, none crashes or touches freed memory (run it under ASan
 * and TSan), a thread blocked in a call when the shutdown begins is woken
 * with OT_ESHUTDOWN, no shutdown hangs, and the runtime starts clean
 * afterwards.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#include <otter/gen_server.h>

enum { T_PING = 1, T_PONG, T_DATA, T_TIMER };

enum { THREADS = 4, ROUNDS = 200 };

/* What the threads aim at: this round's processes (stale between
 * rounds, which is part of the test; each run numbers its pids afresh,
 * so a stale one may even be the calling thread's own: OT_EDEADLK). */
static _Atomic uint64_t g_echo, g_server;
static atomic_bool g_stop;

/* Tallies, and the first call that returned what it must not. */
static atomic_long g_calls, g_shutdown_seen, g_blocked_woken;
static atomic_long g_owned_made, g_owned_freed;
static pthread_mutex_t g_bad_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_bad[256];

static ot_pid pid_of(_Atomic uint64_t *v)
{
	return (ot_pid){atomic_load(v)};
}

/* rc of what: 0, OT_ENOTSTARTED, OT_ESHUTDOWN, or one of the n others
 * the call may return. Anything else is recorded for the test thread. */
static void check_rc(const char *what, long rc, int n, ...)
{
	atomic_fetch_add(&g_calls, 1);
	if (rc == OT_ESHUTDOWN)
		atomic_fetch_add(&g_shutdown_seen, 1);
	if (rc >= 0 || rc == OT_ENOTSTARTED || rc == OT_ESHUTDOWN)
		return;
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		if (va_arg(ap, int) == rc) {
			va_end(ap);
			return;
		}
	}
	va_end(ap);
	pthread_mutex_lock(&g_bad_lock);
	if (!g_bad[0])
		snprintf(g_bad, sizeof g_bad, "%s returned %s", what,
			 ot_err_name((int)rc));
	pthread_mutex_unlock(&g_bad_lock);
}

static void count_free(void *p)
{
	atomic_fetch_add(&g_owned_freed, 1);
	free(p);
}

/* ---- the processes ------------------------------------------------------- */

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

/* A thread's child: waits a little, or (trapping) until an EXIT. */
static void child(void *arg)
{
	ot_msg *m;
	if (arg) {
		ot_trap_exit(true, NULL);
		while (ot_receive(&m, OT_INFINITY) == 0) {
			bool exit = ot_msg_exit(m) != NULL;
			ot_msg_free(m);
			if (exit)
				return;
		}
		return;
	}
	if (ot_receive(&m, 20) == 0)
		ot_msg_free(m);
}

static ot_gs_ret srv_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

/* "hang" is never answered: its caller waits until the shutdown. */
static ot_gs_ret srv_call(const void *req, size_t size, ot_gs_from from,
			  void **state)
{
	(void)from;
	(void)state;
	if (size == 4 && memcmp(req, "hang", 4) == 0)
		return ot_gs_noreply();
	return ot_gs_reply("pong", 4);
}

static ot_gs_ret srv_cast(const void *req, size_t size, void **state)
{
	(void)req;
	(void)size;
	(void)state;
	return ot_gs_noreply();
}

static const ot_gen_server_callbacks srv_cb = {
    .init = srv_init, .handle_call = srv_call, .handle_cast = srv_cast};

/* ---- the threads --------------------------------------------------------- */

struct hammer {
	int index;
	unsigned seed;
	int quiet[2]; /* a pipe nobody writes: fd waits block on it */
	int loop[2];  /* a pipe it writes and reads itself */
};

static bool is_pong(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == T_PONG;
}

/* Empties the thread's mailbox (EXITs and DOWNs of its links and
 * monitors, late pongs) without waiting. */
static void drain_mailbox(void)
{
	ot_msg *m;
	while (ot_receive(&m, 0) == 0)
		ot_msg_free(m);
}

/* One call that returns at once (or soon), picked by op. */
static void quick_call(struct hammer *h, unsigned op)
{
	ot_pid echo_pid = pid_of(&g_echo), server = pid_of(&g_server);
	ot_msg *m = NULL;
	ot_ref ref;
	char name[32], reply[8];
	snprintf(name, sizeof name, "hammer-%d", h->index);
	switch (op % 20) {
	case 0:
		ot_is_alive(ot_self());
		break;
	case 1: {
		ot_spawn_opts o = {.flags = (op / 20) % 3, .monitor_ref = &ref};
		void *trap = (op / 60) % 8 == 0 ? (void *)1 : NULL;
		check_rc("ot_spawn", ot_spawn(child, trap, &o, NULL), 2,
			 OT_ELIMIT, OT_ENOMEM);
		break;
	}
	case 2:
		check_rc("ot_send", ot_send(echo_pid, T_PING, NULL, 0), 0);
		check_rc("ot_receive_match",
			 ot_receive_match(is_pong, NULL, &m, 50), 1,
			 OT_ETIMEDOUT);
		ot_msg_free(m);
		break;
	case 3:
		check_rc("ot_monitor", ot_monitor(echo_pid, &ref), 0);
		check_rc("ot_demonitor", ot_demonitor(ref, OT_DEMONITOR_FLUSH),
			 0);
		break;
	case 4:
		check_rc("ot_link", ot_link(echo_pid), 0);
		check_rc("ot_unlink", ot_unlink(echo_pid), 0);
		break;
	case 5:
		ot_is_alive(server);
		check_rc("ot_process_info_get",
			 ot_process_info_get(echo_pid, &(ot_process_info){0}),
			 1, OT_ENOPROC);
		break;
	case 6: {
		ot_pid self = ot_self(), got;
		if (ot_pid_is_none(self))
			break;
		check_rc("ot_register", ot_register(name, self), 3,
			 OT_ENAMETAKEN, OT_EHASNAME, OT_ENOPROC);
		check_rc("ot_whereis", ot_whereis(name, &got), 1, OT_ENOTREG);
		check_rc("ot_unregister", ot_unregister(name), 1, OT_ENOTREG);
		break;
	}
	case 7:
		check_rc("ot_gen_server_call",
			 ot_gen_server_call(server, "ping", 4, reply,
					    sizeof reply, NULL, 1000, NULL),
			 4, OT_ENOPROC, OT_ESERVERDIED, OT_ETIMEDOUT,
			 OT_EDEADLK);
		break;
	case 8:
		check_rc("ot_gen_server_cast",
			 ot_gen_server_cast(server, "x", 1), 0);
		break;
	case 9: {
		ot_timer t;
		ot_pid self = ot_self();
		if (ot_pid_is_none(self))
			break;
		int rc = ot_send_after(10000, self, T_TIMER, NULL, 0, &t);
		check_rc("ot_send_after", rc, 0);
		if (rc == 0)
			check_rc("ot_cancel_timer", ot_cancel_timer(t, NULL), 1,
				 OT_ENOTIMER);
		break;
	}
	case 10:
		check_rc("ot_fd_wait",
			 ot_fd_wait(h->quiet[0], OT_FD_READ, 0, NULL), 1,
			 OT_ETIMEDOUT);
		break;
	case 11: {
		char b = 'x', left[64];
		while (read(h->loop[0], left, sizeof left) > 0)
			; /* what a refused read left behind */
		check_rc("ot_write", ot_write(h->loop[1], &b, 1, 100, NULL), 1,
			 OT_ETIMEDOUT);
		check_rc("ot_read", ot_read(h->loop[0], &b, 1, 100), 1,
			 OT_ETIMEDOUT);
		break;
	}
	case 12: {
		ot_stats st;
		check_rc("ot_runtime_stats", ot_runtime_stats(&st), 0);
		break;
	}
	case 13: {
		uint64_t alias;
		ot_pid self = ot_self();
		int rc = ot_alias(&alias);
		check_rc("ot_alias", rc, 1, OT_ELIMIT);
		if (rc == 0 && !ot_pid_is_none(self))
			check_rc("ot_send_alias",
				 ot_send_alias(self, alias, T_DATA, "a", 1), 0);
		if (rc == 0)
			check_rc("ot_unalias", ot_unalias(alias), 0);
		break;
	}
	case 14: {
		ot_reason normal = ot_reason_normal();
		check_rc("ot_exit_pid", ot_exit_pid(echo_pid, &normal), 0);
		break;
	}
	case 15: {
		if ((op / 20) % 8)
			break; /* a whole server is heavier: now and then */
		ot_pid pid;
		int rc = ot_gen_server_start(&srv_cb, NULL, NULL, &pid, NULL);
		check_rc("ot_gen_server_start", rc, 2, OT_ELIMIT, OT_ENOMEM);
		if (rc == 0)
			check_rc("ot_gen_server_stop",
				 ot_gen_server_stop(pid, NULL, 1000), 3,
				 OT_ENOPROC, OT_ESERVERDIED, OT_ETIMEDOUT);
		break;
	}
	case 16: {
		void *data = malloc(16);
		atomic_fetch_add(&g_owned_made, 1);
		check_rc("ot_send_owned",
			 ot_send_owned(echo_pid, T_DATA, data, 16, count_free),
			 0);
		break;
	}
	case 17:
		check_rc("ot_monitor_name", ot_monitor_name("echo", &ref), 0);
		check_rc("ot_demonitor", ot_demonitor(ref, OT_DEMONITOR_FLUSH),
			 0);
		break;
	case 18:
		if ((op / 20) % 16 == 0)
			check_rc("ot_thread_detach", ot_thread_detach(), 0);
		else
			check_rc("ot_sleep", ot_sleep(0), 0);
		break;
	default:
		check_rc("ot_yield", ot_yield(), 1, OT_ENOTPROC);
		drain_mailbox();
		break;
	}
}

/* One call that waits until something ends it: the shutdown, usually. */
static void blocking_call(struct hammer *h, unsigned op)
{
	int rc;
	ot_msg *m = NULL;
	const char *what;
	switch (op % 5) {
	case 0:
		what = "ot_fd_wait";
		rc = ot_fd_wait(h->quiet[0], OT_FD_READ, OT_INFINITY, NULL);
		break;
	case 1:
		what = "ot_receive";
		/* Messages may come (EXITs, DOWNs): wait on past them. */
		while ((rc = ot_receive(&m, OT_INFINITY)) == 0)
			ot_msg_free(m);
		break;
	case 2:
		what = "ot_gen_server_call";
		rc = ot_gen_server_call(pid_of(&g_server), "hang", 4, NULL, 0,
					NULL, OT_INFINITY, NULL);
		break;
	case 3:
		what = "ot_sleep";
		rc = ot_sleep(OT_INFINITY);
		break;
	default: {
		char b;
		what = "ot_read";
		rc = (int)ot_read(h->quiet[0], &b, 1, OT_INFINITY);
		break;
	}
	}
	check_rc(what, rc, 3, OT_ENOPROC, OT_ESERVERDIED, OT_EDEADLK);
	if (rc == OT_ESHUTDOWN)
		atomic_fetch_add(&g_blocked_woken, 1);
}

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	unsigned op = (unsigned)h->index * 7;
	while (!atomic_load(&g_stop)) {
		/* A run of quick calls, then one that blocks. */
		unsigned n = (unsigned)rand_r(&h->seed) % 64;
		for (unsigned i = 0; i < n && !atomic_load(&g_stop); i++)
			quick_call(h, op++);
		blocking_call(h, (unsigned)rand_r(&h->seed));
	}
	drain_mailbox();
	return NULL;
}

/* ---- the test ------------------------------------------------------------ */

static void nap_us(long us)
{
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
}

/* issue 15 item 1: no OTP twin (Erlang has no threads outside the VM). */
START_TEST(test_threads_across_shutdowns)
{
	atomic_store(&g_stop, false);
	/* Before the first round: a pid no process has (slot 1, generation
	 * 1), as the threads have between rounds. */
	atomic_store(&g_echo, ((uint64_t)1 << 32) | 1);
	atomic_store(&g_server, ((uint64_t)1 << 32) | 1);
	struct hammer h[THREADS];
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++) {
		h[i] = (struct hammer){.index = i, .seed = 1234u + (unsigned)i};
		ck_assert_int_eq(pipe(h[i].quiet), 0);
		ck_assert_int_eq(pipe(h[i].loop), 0);
		ck_assert_ot_ok(ot_fd_set_nonblocking(h[i].quiet[0]));
		ck_assert_ot_ok(ot_fd_set_nonblocking(h[i].loop[0]));
		ck_assert_ot_ok(ot_fd_set_nonblocking(h[i].loop[1]));
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, hammer_main, &h[i]), 0);
	}
	unsigned seed = 42;
	ot_config cfg = {.schedulers = 2, .shutdown_timeout_ms = 5000};
	for (int round = 0; round < ROUNDS; round++) {
		ck_assert_ot_ok(ot_start(&cfg));
		ot_pid echo_pid, server;
		ot_spawn_opts named = {.name = "echo"};
		ck_assert_ot_ok(ot_spawn(echo, NULL, &named, &echo_pid));
		ck_assert_ot_ok(
		    ot_gen_server_start(&srv_cb, NULL, NULL, &server, NULL));
		atomic_store(&g_echo, echo_pid.id);
		atomic_store(&g_server, server.id);
		nap_us((long)(rand_r(&seed) % 3000));
		ck_assert_ot_ok(ot_shutdown());
		ck_assert(!ot_running());
		ck_assert(ot_pid_is_none(ot_self()));
		ck_assert_ot_err(ot_send(echo_pid, T_DATA, NULL, 0),
				 OT_ENOTSTARTED);
		nap_us((long)(rand_r(&seed) % 1000));
		pthread_mutex_lock(&g_bad_lock);
		ck_assert_msg(!g_bad[0], "round %d: %s", round, g_bad);
		pthread_mutex_unlock(&g_bad_lock);
	}
	atomic_store(&g_stop, true);
	for (int i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		close(h[i].quiet[0]);
		close(h[i].quiet[1]);
		close(h[i].loop[0]);
		close(h[i].loop[1]);
	}
	ck_assert_msg(!g_bad[0], "%s", g_bad);
	ck_assert_int_eq(atomic_load(&g_owned_freed),
			 atomic_load(&g_owned_made));
	/* The races were there: calls turned away, and calls woken. */
	ck_assert_msg(atomic_load(&g_shutdown_seen) > 0,
		      "no call saw OT_ESHUTDOWN in %ld", atomic_load(&g_calls));
	ck_assert_msg(atomic_load(&g_blocked_woken) > 0,
		      "no blocked call was woken by a shutdown");

	/* And the runtime starts clean after all of it. */
	ck_assert_ot_ok(ot_start(&cfg));
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.threads, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	ck_assert_uint_eq(st.timers, 0);
	ck_assert_uint_eq(st.names, 0);
	ot_pid echo_pid;
	ck_assert_ot_ok(ot_spawn(echo, NULL, NULL, &echo_pid));
	ck_assert_ot_ok(ot_send(echo_pid, T_PING, NULL, 0));
	ot_msg_free(expect_msg(T_PONG, 2000));
	ck_assert_ot_ok(ot_shutdown());
}
END_TEST

static void stop_if_running(void)
{
	atomic_store(&g_stop, true);
	if (ot_running())
		ot_shutdown();
}

static void no_setup(void)
{
}

static Suite *gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("shutdown_races");
	tcase_add_checked_fixture(tc, no_setup, stop_if_running);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threads_across_shutdowns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(gate_suite());
}
