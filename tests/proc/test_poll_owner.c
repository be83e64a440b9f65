/* SPDX-License-Identifier: MIT */
/*
 * test_poll_owner.c — the schedulers poll the descriptors themselves
 * (poll.c, sched.c): an idle scheduler blocks in the poll, a busy one looks
 * between processes, and an owner that leaves the poll for work hands it
 * to a parked scheduler. The promises: an fd wait fires while the other
 * scheduler runs a process that never yields; on one scheduler it fires
 * while processes keep yielding (no idle moment ever comes); an idle
 * scheduler blocked in the poll wakes for a message, a spawn and a timer;
 * many waits over many wakes, on both schedulers, leave nothing behind.
 */
#include "config.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

enum { T_READY = 1, T_RESULT, T_DONE, T_TICK };

static ot_pid g_test;

static void make_pipe(int fds[2])
{
	ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
}

static void put_byte(int fd)
{
	char c = 'x';
	ck_assert_int_eq(write(fd, &c, 1), 1);
}

static void close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

/* Tells the test it waits, waits for its fd to be readable, reads the
 * byte, and reports the wait's result. */
static void reader(void *arg)
{
	int fd = (int)(intptr_t)arg;
	ot_send(g_test, T_READY, NULL, 0);
	unsigned ready = 0;
	int rc = ot_fd_wait(fd, OT_FD_READ, OT_INFINITY, &ready);
	char c;
	if (rc == 0 && read(fd, &c, 1) != 1)
		rc = OT_ESYS;
	send_i64(g_test, T_RESULT, rc);
}

/* The wait of a reader spawned on fd has begun: it has told the test and
 * is parked. */
static ot_pid spawn_reader(int fd)
{
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(reader, (void *)(intptr_t)fd, NULL, &pid));
	ot_msg_free(expect_msg(T_READY, scaled_ms(2000)));
	for (int i = 0; i < 2000; i++) {
		ot_process_info info;
		ck_assert_ot_ok(ot_process_info_get(pid, &info));
		if (info.status == OT_PROC_WAITING)
			return pid;
		ot_sleep(1);
	}
	ck_abort_msg("the reader never parked");
	return pid;
}

/* ---------------------------------------------------------------------
 * A scheduler that never comes back does not hold the descriptors
 */
#define SPIN_MS 1500

static atomic_bool g_stop_spinning;

/* Spins without ever waiting or yielding, until told or SPIN_MS. */
static void spinner(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	int64_t t0 = now_ms();
	while (!atomic_load(&g_stop_spinning) && now_ms() - t0 < SPIN_MS)
		;
	ot_send(g_test, T_DONE, NULL, 0);
}

START_TEST(test_fd_wake_while_the_other_scheduler_spins)
{
	if (ot_test_under_valgrind())
		return; /* valgrind runs one thread at a time */
	g_test = ot_self();
	/* New processes from this (foreign) thread go to the schedulers in
	 * turn: over four rounds each runs the spinner, the poll's owner
	 * among them, which leaves the poll to run it. */
	for (int round = 0; round < 4; round++) {
		atomic_store(&g_stop_spinning, false);
		int p[2];
		make_pipe(p);
		spawn_reader(p[0]);
		/* A stack class of its own: the spinner cannot sit on the
		 * stack that holds the reader's frames. */
		ot_spawn_opts so = {.stack_size = 256 * 1024};
		ck_assert_ot_ok(ot_spawn(spinner, NULL, &so, NULL));
		ot_msg_free(expect_msg(T_READY, scaled_ms(2000)));
		ot_sleep(20);
		int64_t t0 = now_ms();
		put_byte(p[1]);
		ot_msg *m = NULL;
		ck_assert_ot_ok(ot_receive(&m, scaled_ms(SPIN_MS + 5000)));
		uint64_t first = ot_msg_tag(m);
		int64_t took = now_ms() - t0;
		int64_t rc = first == T_RESULT ? msg_i64(m) : -1;
		ot_msg_free(m);
		atomic_store(&g_stop_spinning, true);
		ck_assert_msg(first == T_RESULT,
			      "round %d: the fd wait fired only after the "
			      "spinner ended",
			      round);
		ck_assert_int_eq(rc, 0);
		ck_assert_int_le(took, scaled_ms(500));
		ot_msg_free(expect_msg(T_DONE, scaled_ms(SPIN_MS + 5000)));
		close_pair(p);
	}
}
END_TEST

/* ---------------------------------------------------------------------
 * One scheduler that is never idle still looks at the descriptors
 */
static void yielder(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_stop_spinning))
		ot_yield();
	ot_send(g_test, T_DONE, NULL, 0);
}

START_TEST(test_fd_wake_on_a_scheduler_that_never_idles)
{
	g_test = ot_self();
	atomic_store(&g_stop_spinning, false);
	int p[2];
	make_pipe(p);
	spawn_reader(p[0]);
	/* Two processes that yield to each other forever: the scheduler
	 * always has one to run, and never parks. */
	ck_assert_ot_ok(ot_spawn(yielder, NULL, NULL, NULL));
	ck_assert_ot_ok(ot_spawn(yielder, NULL, NULL, NULL));
	ot_sleep(20);
	put_byte(p[1]);
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive(&m, scaled_ms(2000)));
	ck_assert_uint_eq(ot_msg_tag(m), T_RESULT);
	ck_assert_int_eq(msg_i64(m), 0);
	ot_msg_free(m);
	atomic_store(&g_stop_spinning, true);
	ot_msg_free(expect_msg(T_DONE, scaled_ms(2000)));
	ot_msg_free(expect_msg(T_DONE, scaled_ms(2000)));
	close_pair(p);
}
END_TEST

/* ---------------------------------------------------------------------
 * A scheduler blocked in the poll wakes for other work
 */
static void timer_then_report(void *arg)
{
	(void)arg;
	ot_msg *m = NULL;
	/* A receive timeout: the idle scheduler's poll has a deadline. */
	int rc = ot_receive(&m, 30);
	send_i64(g_test, T_TICK, rc);
	/* Then a message from the test thread, a foreign one: a kick. */
	rc = ot_receive(&m, scaled_ms(5000));
	if (rc == 0)
		ot_msg_free(m);
	send_i64(g_test, T_RESULT, rc);
}

START_TEST(test_poll_owner_wakes_for_timers_and_messages)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	/* A wait stays registered all along: the idle schedulers poll. */
	spawn_reader(p[0]);
	for (int round = 0; round < 20; round++) {
		ot_pid pid;
		ck_assert_ot_ok(ot_spawn(timer_then_report, NULL, NULL, &pid));
		ot_msg *m = expect_msg(T_TICK, scaled_ms(2000));
		ck_assert_int_eq(msg_i64(m), OT_ETIMEDOUT);
		ot_msg_free(m);
		ot_sleep(2); /* long enough for both schedulers to park */
		ck_assert_ot_ok(ot_send(pid, T_DONE, NULL, 0));
		m = expect_msg(T_RESULT, scaled_ms(2000));
		ck_assert_int_eq(msg_i64(m), 0);
		ot_msg_free(m);
	}
	put_byte(p[1]);
	ot_msg *m = expect_msg(T_RESULT, scaled_ms(2000));
	ck_assert_int_eq(msg_i64(m), 0);
	ot_msg_free(m);
	close_pair(p);
}
END_TEST

/* ---------------------------------------------------------------------
 * Many wakes, on all schedulers
 */
#define PAIRS  32
#define ROUNDS 300

struct echo {
	int in, out; /* reads a byte from in, writes it to out */
};

/* Echoes ROUNDS bytes, then reports. */
static void echo(void *arg)
{
	struct echo *e = arg;
	int rc = 0;
	for (int i = 0; i < ROUNDS && rc == 0; i++) {
		char c;
		ssize_t n = ot_read(e->in, &c, 1, scaled_ms(5000));
		if (n != 1)
			rc = n < 0 ? (int)n : OT_ESYS;
		else if (ot_write(e->out, &c, 1, scaled_ms(5000), NULL) != 1)
			rc = OT_ESYS;
	}
	send_i64(g_test, T_RESULT, rc);
}

/* Sends ROUNDS bytes through its echo, each after the last came back. */
static void pinger(void *arg)
{
	struct echo *e = arg;
	int rc = 0;
	for (int i = 0; i < ROUNDS && rc == 0; i++) {
		char c = (char)i, back = 0;
		if (ot_write(e->out, &c, 1, scaled_ms(5000), NULL) != 1 ||
		    ot_read(e->in, &back, 1, scaled_ms(5000)) != 1)
			rc = OT_ESYS;
		else if (back != c)
			rc = OT_EINVAL;
	}
	send_i64(g_test, T_RESULT, rc);
}

START_TEST(test_many_fd_wakes)
{
	g_test = ot_self();
	static int fds[PAIRS][4];
	static struct echo ping[PAIRS], pong[PAIRS];
	for (int i = 0; i < PAIRS; i++) {
		make_pipe(&fds[i][0]); /* pinger -> echo */
		make_pipe(&fds[i][2]); /* echo -> pinger */
		pong[i] = (struct echo){fds[i][0], fds[i][3]};
		ping[i] = (struct echo){fds[i][2], fds[i][1]};
		ck_assert_ot_ok(ot_spawn(echo, &pong[i], NULL, NULL));
		ck_assert_ot_ok(ot_spawn(pinger, &ping[i], NULL, NULL));
	}
	for (int i = 0; i < 2 * PAIRS; i++) {
		ot_msg *m = expect_msg(T_RESULT, scaled_ms(20000));
		ck_assert_int_eq(msg_i64(m), 0);
		ot_msg_free(m);
	}
	for (int i = 0; i < PAIRS; i++) {
		close_pair(&fds[i][0]);
		close_pair(&fds[i][2]);
	}
}
END_TEST

static Suite *poll_owner_suite(void)
{
	Suite *s = suite_create("poll_owner");

	TCase *tc = ot_test_tcase("two_schedulers", 30);
	tcase_add_test(tc, test_fd_wake_while_the_other_scheduler_spins);
	tcase_add_test(tc, test_poll_owner_wakes_for_timers_and_messages);
	tcase_add_test(tc, test_many_fd_wakes);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_scheduler");
	tcase_add_checked_fixture(tc, ot_test_setup_one, ot_test_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fd_wake_on_a_scheduler_that_never_idles);
	tcase_add_test(tc, test_poll_owner_wakes_for_timers_and_messages);
	tcase_add_test(tc, test_many_fd_wakes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(poll_owner_suite());
}
