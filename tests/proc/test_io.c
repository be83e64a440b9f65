/* SPDX-License-Identifier: MIT */
/*
 * test_io.c — ot_read, ot_write, ot_accept, ot_connect and
 * ot_fd_set_nonblocking: pipes that fill up and drain, a TCP echo over
 * loopback between processes (with a 1 MB transfer in both directions at
 * once), a peer that closes (end of file, EPIPE without SIGPIPE), errors
 * and bad arguments, and the same calls from a foreign thread.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"

enum { T_READY = 1, T_RESULT, T_DONE };

static ot_pid g_test; /* the test thread, set before spawning */

/* ---- Fixture: the standard one, and no descriptor may leak --------------- */

static int g_fds_before;

static void setup(void)
{
	/* A SIGPIPE would end the test: that is how it would be noticed. */
	signal(SIGPIPE, SIG_DFL);
	g_fds_before = ot_test_count_fds();
	ot_test_setup();
	g_test = ot_self();
}

static void teardown(void)
{
	ot_test_teardown();
	ck_assert_int_eq(ot_test_count_fds(), g_fds_before);
}

static TCase *tcase(const char *name, double timeout_s)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

/* ---- Helpers ------------------------------------------------------------- */

static bool has_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

/* The int64 of the next message tagged tag (others stay queued: several
 * processes report to the test at once). */
static int64_t expect_tagged(uint64_t tag, int timeout_ms)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(has_tag, &tag, &m, scaled_ms(timeout_ms));
	ck_assert_msg(rc == 0, "waiting for tag %llu: %s",
		      (unsigned long long)tag, ot_err_name(rc));
	int64_t v = msg_i64(m);
	ot_msg_free(m);
	return v;
}

static int64_t expect_result(int timeout_ms)
{
	return expect_tagged(T_RESULT, timeout_ms);
}

/* errno as the thread the caller runs on now has it. The compiler may
 * compute errno's address once per function (glibc declares it const) and
 * use it after a process moved to another thread; a call that is never
 * inlined computes it afresh. */
static __attribute__((noinline)) int errno_now(void)
{
	return errno;
}

/* Reports a result and, after a system error, errno (which the
 * deprecated ot_errno() reads: it must match the code's). */
static void report(int64_t rc)
{
	int e = errno_now();
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, ot_err_is_sys((int)rc) ? e : 0);
}

static void expect_report(int64_t want, int want_errno)
{
	int64_t rc = expect_result(5000);
	int64_t e = expect_result(2000);
	ck_assert_msg(rc == want, "result %lld (%s), want %lld", (long long)rc,
		      rc < 0 ? ot_err_name((int)rc) : "", (long long)want);
	ck_assert_msg(e == want_errno, "errno %lld (%s), want %d (%s)",
		      (long long)e, strerror((int)e), want_errno,
		      strerror(want_errno));
}

/* A listening TCP socket on 127.0.0.1 (non-blocking); *addr gets where. */
static int listen_loopback(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
	socklen_t len = sizeof *addr;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	return fd;
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* The byte at offset i of the test pattern. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7 + (i >> 11)) & 0xff);
}

/* ---- ot_fd_set_nonblocking ----------------------------------------------- */

START_TEST(test_set_nonblocking)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	ck_assert_ot_ok(ot_fd_set_nonblocking(p[0]));
	ck_assert_int_ne(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	ck_assert_ot_ok(ot_fd_set_nonblocking(p[0])); /* twice is fine */
	ck_assert_ot_err(ot_fd_set_nonblocking(-1), OT_EINVAL);
	int closed = dup(p[1]);
	close(closed);
	ck_assert_ot_sys(ot_fd_set_nonblocking(closed), EBADF);
	ck_assert_int_eq(ot_errno(), EBADF); /* deprecated, still set */
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ---- Pipes --------------------------------------------------------------- */

static int g_pipe[2];

static void read_cases(void *arg)
{
	(void)arg;
	char buf[16];
	int fd = g_pipe[0];
	report(ot_read(fd, buf, sizeof buf, 50)); /* nothing: timeout */
	report(ot_read(fd, buf, sizeof buf, 0));  /* a poll */
	ot_send(g_test, T_READY, NULL, 0);
	ssize_t n = ot_read(fd, buf, sizeof buf, OT_INFINITY); /* waits */
	report(n);
	if (n == 5 && memcmp(buf, "hello", 5) != 0)
		report(-1000);
	report(ot_read(fd, buf, sizeof buf, 2000)); /* end of file */
}

START_TEST(test_read_pipe)
{
	ck_assert_int_eq(pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_ot_ok(ot_spawn(read_cases, NULL, NULL, NULL));
	expect_report(OT_ETIMEDOUT, 0);
	expect_report(OT_ETIMEDOUT, 0);
	ot_msg_free(expect_msg(T_READY, 2000));
	ot_sleep(20);
	ck_assert_int_eq(write(g_pipe[1], "hello", 5), 5);
	expect_report(5, 0);
	close(g_pipe[1]);
	expect_report(0, 0);
	close(g_pipe[0]);
}
END_TEST

START_TEST(test_read_write_bad_args)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	char buf[4];
	size_t w = 99;
	ck_assert_ot_err((int)ot_read(-1, buf, 4, 10), OT_EINVAL);
	ck_assert_ot_err((int)ot_read(p[0], NULL, 4, 10), OT_EINVAL);
	ck_assert_ot_err((int)ot_read(p[0], buf, 0, 10), OT_EINVAL);
	ck_assert_ot_err((int)ot_read(p[0], buf, 4, -2), OT_EINVAL);
	ck_assert_ot_err((int)ot_read(p[0], buf, (size_t)SSIZE_MAX + 1, 10),
			 OT_EINVAL);
	ck_assert_ot_err((int)ot_write(-1, buf, 4, 10, &w), OT_EINVAL);
	ck_assert_uint_eq(w, 0);
	ck_assert_ot_err((int)ot_write(p[1], NULL, 4, 10, NULL), OT_EINVAL);
	ck_assert_ot_err((int)ot_write(p[1], buf, 4, INT_MIN, NULL), OT_EINVAL);
	ck_assert_int_eq(ot_write(p[1], NULL, 0, 10, &w), 0); /* nothing */
	ck_assert_ot_err(ot_accept(-1, 10), OT_EINVAL);
	ck_assert_ot_err(ot_accept(p[0], -3), OT_EINVAL);
	struct sockaddr_in a = {.sin_family = AF_INET};
	ck_assert_ot_err(ot_connect(-1, (struct sockaddr *)&a, sizeof a, 10),
			 OT_EINVAL);
	ck_assert_ot_err(ot_connect(p[0], NULL, sizeof a, 10), OT_EINVAL);
	ck_assert_ot_err(ot_connect(p[0], (struct sockaddr *)&a, 0, 10),
			 OT_EINVAL);
	ck_assert_ot_err(ot_connect(p[0], (struct sockaddr *)&a, sizeof a, -5),
			 OT_EINVAL);
	/* system errors: reading a write end, accepting on a pipe */
	ck_assert_ot_sys((int)ot_read(p[1], buf, 4, 10), EBADF);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_ot_sys(ot_accept(p[0], 10), ENOTSOCK);
	ck_assert_int_eq(errno, ENOTSOCK);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A writer fills a pipe nobody reads: timeout, with what went out. */
#define BIG (256 * 1024)
#define MB  (1024 * 1024)

static void fill_pipe(void *arg)
{
	(void)arg;
	char *buf = calloc(1, BIG);
	size_t written = 12345;
	ssize_t rc = ot_write(g_pipe[1], buf, BIG, 100, &written);
	free(buf);
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, (int64_t)written);
}

/* Writes size bytes of the pattern to fd, in one call. */
struct big_write {
	int fd;
	size_t size;
};

static struct big_write *new_big_write(int fd, size_t size)
{
	struct big_write *bw = malloc(sizeof *bw);
	ck_assert_ptr_nonnull(bw);
	*bw = (struct big_write){fd, size};
	return bw;
}

/* arg: a malloc'd struct big_write, ours to free (the spawner may be a
 * process that waits meanwhile: nothing on its stack, otter/proc.h). */
static void big_writer(void *arg)
{
	struct big_write bw = *(const struct big_write *)arg;
	free(arg);
	unsigned char *buf = malloc(bw.size);
	for (size_t i = 0; i < bw.size; i++)
		buf[i] = pattern(i);
	size_t written = 0;
	ssize_t rc = ot_write(bw.fd, buf, bw.size, OT_INFINITY, &written);
	free(buf);
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, (int64_t)written);
}

/* Reads until end of file, checking the pattern; reports the count, or
 * -1 - offset of the first wrong byte. */
static void pattern_reader(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char buf[3000];
	int64_t total = 0;
	for (;;) {
		ssize_t n = ot_read(fd, buf, sizeof buf, (int)(10000 * tmul()));
		if (n < 0) {
			total = n;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern((size_t)total + (size_t)i)) {
				send_i64(g_test, T_DONE, -1 - (total + i));
				return;
			}
		total += n;
	}
	send_i64(g_test, T_DONE, total);
}

START_TEST(test_write_pipe)
{
	ck_assert_int_eq(pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_ot_ok(ot_spawn(fill_pipe, NULL, NULL, NULL));
	ck_assert_ot_err((int)expect_result(2000), OT_ETIMEDOUT);
	int64_t written = expect_result(2000);
	ck_assert_msg(written > 0 && written < BIG, "%lld bytes went out",
		      (long long)written);
	/* drain what the timed-out write left */
	char c;
	for (int64_t i = 0; i < written; i++)
		ck_assert_int_eq(read(g_pipe[0], &c, 1), 1);

	/* a writer and a reader: the whole of it arrives, in order */
	ck_assert_ot_ok(
	    ot_spawn(big_writer, new_big_write(g_pipe[1], BIG), NULL, NULL));
	ck_assert_ot_ok(
	    ot_spawn(pattern_reader, (void *)(intptr_t)g_pipe[0], NULL, NULL));
	ck_assert_int_eq(expect_result(10000), BIG);
	ck_assert_int_eq(expect_result(2000), BIG);
	close(g_pipe[1]);
	ck_assert_int_eq(expect_tagged(T_DONE, 10000), BIG);
	close(g_pipe[0]);
}
END_TEST

/* write() on a pipe without a reader: EPIPE (SIGPIPE ignored here; for a
 * pipe, unlike a socket, it is the caller's to ignore). */
START_TEST(test_write_pipe_no_reader)
{
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	close(p[0]);
	size_t w = 7;
	ck_assert_ot_sys((int)ot_write(p[1], "abc", 3, 100, &w), EPIPE);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_uint_eq(w, 0);
	close(p[1]);
}
END_TEST

/* ---- TCP over loopback --------------------------------------------------- */

static int g_listen;
static struct sockaddr_in g_addr;

/* Accepts one connection and echoes it until the peer shuts it down. */
static void echo_server(void *arg)
{
	(void)arg;
	int c = ot_accept(g_listen, (int)(5000 * tmul()));
	if (c < 0) {
		send_i64(g_test, T_DONE, c);
		return;
	}
	char buf[4096];
	int64_t echoed = 0;
	for (;;) {
		ssize_t n = ot_read(c, buf, sizeof buf, (int)(10000 * tmul()));
		if (n <= 0) {
			if (n < 0)
				echoed = n;
			break;
		}
		ssize_t w =
		    ot_write(c, buf, (size_t)n, (int)(10000 * tmul()), NULL);
		if (w != n) {
			echoed = w;
			break;
		}
		echoed += n;
	}
	close(c);
	send_i64(g_test, T_DONE, echoed);
}

/* The client: a few small round trips, then MB bytes written by one
 * process while this one reads the echo back; then it shuts its side and
 * reads the end of file. Reports 0 or where it failed. */
static void echo_client(void *arg)
{
	(void)arg;
	int fd = tcp_socket();
	int rc = ot_connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr,
			    (int)(5000 * tmul()));
	if (rc) {
		send_i64(g_test, T_RESULT, 1000 + rc);
		close(fd);
		return;
	}
	char buf[64];
	for (int i = 0; i < 10; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof msg, "hello %d", i);
		if (ot_write(fd, msg, (size_t)len, 2000, NULL) != len) {
			send_i64(g_test, T_RESULT, 2000 + i);
			close(fd);
			return;
		}
		int got = 0;
		while (got < len) {
			ssize_t n =
			    ot_read(fd, buf + got, sizeof buf - (size_t)got,
				    (int)(2000 * tmul()));
			if (n <= 0)
				break;
			got += (int)n;
		}
		if (got != len || memcmp(buf, msg, (size_t)len) != 0) {
			send_i64(g_test, T_RESULT, 3000 + i);
			close(fd);
			return;
		}
	}
	/* a writer process and this reader on the same socket at once */
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ot_spawn(big_writer, new_big_write(fd, MB), &o, NULL);
	unsigned char rbuf[5000];
	size_t total = 0;
	int64_t result = 0;
	while (total < MB) {
		ssize_t n =
		    ot_read(fd, rbuf, sizeof rbuf, (int)(10000 * tmul()));
		if (n <= 0) {
			result = 4000;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if (rbuf[i] != pattern(total + (size_t)i))
				result = 5000;
		total += (size_t)n;
	}
	/* the writer's own report goes to the test; wait for it to end */
	ot_msg *m;
	while (ot_receive(&m, (int)(10000 * tmul())) == 0) {
		bool down = ot_msg_down(m) != NULL;
		ot_msg_free(m);
		if (down)
			break;
	}
	shutdown(fd, SHUT_WR);
	if (result == 0 && ot_read(fd, rbuf, sizeof rbuf, 5000) != 0)
		result = 6000;
	close(fd);
	send_i64(g_test, T_DONE, result ? result : (int64_t)total);
}

START_TEST(test_tcp_echo)
{
	g_listen = listen_loopback(&g_addr);
	ck_assert_ot_ok(ot_spawn(echo_server, NULL, NULL, NULL));
	ck_assert_ot_ok(ot_spawn(echo_client, NULL, NULL, NULL));
	/* the client's writer reports */
	ck_assert_int_eq(expect_result(20000), MB);
	ck_assert_int_eq(expect_result(2000), MB);
	int64_t a = expect_tagged(T_DONE, 20000);
	int64_t b = expect_tagged(T_DONE, 20000);
	/* the server echoed 10 greetings ("hello N") and MB bytes; the
	 * client got MB back */
	int64_t greetings = 10 * 7;
	ck_assert_msg((a == MB && b == MB + greetings) ||
			  (b == MB && a == MB + greetings),
		      "client/server reported %lld and %lld", (long long)a,
		      (long long)b);
	close(g_listen);
}
END_TEST

/* The server accepts and closes at once; the client reads the end of file,
 * then its writes fail with EPIPE (or first ECONNRESET), without SIGPIPE. */
static void close_server(void *arg)
{
	(void)arg;
	int c = ot_accept(g_listen, (int)(5000 * tmul()));
	if (c >= 0)
		close(c);
	send_i64(g_test, T_DONE, c >= 0 ? 0 : c);
}

static void closed_client(void *arg)
{
	(void)arg;
	int fd = tcp_socket();
	int rc = ot_connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr,
			    (int)(5000 * tmul()));
	report(rc);
	char buf[16];
	report(ot_read(fd, buf, sizeof buf, (int)(5000 * tmul())));
	/* the first write may still go out (and draw a reset) */
	ssize_t w = 0;
	int e = 0;
	for (int i = 0; i < 100 && w >= 0; i++) {
		w = ot_write(fd, "data", 4, 1000, NULL);
		e = errno_now();
		if (w >= 0)
			ot_sleep(5);
	}
	send_i64(g_test, T_RESULT, w);
	send_i64(g_test, T_RESULT, e);
	w = ot_write(fd, "data", 4, 1000, NULL);
	report(w);
	close(fd);
}

START_TEST(test_peer_closes)
{
	g_listen = listen_loopback(&g_addr);
	ck_assert_ot_ok(ot_spawn(close_server, NULL, NULL, NULL));
	ck_assert_ot_ok(ot_spawn(closed_client, NULL, NULL, NULL));
	expect_report(0, 0); /* connected */
	expect_report(0, 0); /* end of file */
	int64_t rc = expect_result(5000);
	int64_t e = expect_result(2000);
	ck_assert_msg(rc == OT_ESYS_ERRNO(EPIPE) ||
			  rc == OT_ESYS_ERRNO(ECONNRESET),
		      "ot_write returned %s", ot_err_name((int)rc));
	ck_assert_int_eq(ot_err_errno((int)rc), e);
	expect_report(OT_ESYS_ERRNO(EPIPE), EPIPE); /* from then on */
	ck_assert_int_eq(expect_tagged(T_DONE, 2000), 0);
	close(g_listen);
}
END_TEST

static void accept_cases(void *arg)
{
	(void)arg;
	report(ot_accept(g_listen, 50)); /* nobody connects */
	report(ot_accept(g_listen, 0));
	/* not listening */
	int fd = tcp_socket();
	report(ot_accept(fd, 10));
	/* connection refused: a port nobody listens on any more */
	struct sockaddr_in gone;
	int l = listen_loopback(&gone);
	close(l);
	report(ot_connect(fd, (struct sockaddr *)&gone, sizeof gone,
			  (int)(2000 * tmul())));
	close(fd);
}

START_TEST(test_accept_connect_errors)
{
	g_listen = listen_loopback(&g_addr);
	ck_assert_ot_ok(ot_spawn(accept_cases, NULL, NULL, NULL));
	expect_report(OT_ETIMEDOUT, 0);
	expect_report(OT_ETIMEDOUT, 0);
	expect_report(OT_ESYS_ERRNO(EINVAL), EINVAL);
	expect_report(OT_ESYS_ERRNO(ECONNREFUSED), ECONNREFUSED);
	close(g_listen);
}
END_TEST

/* A process blocked in ot_read is killed: its monitor sees killed. */
static void blocked_reader(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char c;
	ot_send(g_test, T_READY, NULL, 0);
	ot_read(fd, &c, 1, OT_INFINITY);
	ot_send(g_test, T_DONE, NULL, 0);
}

START_TEST(test_kill_in_read)
{
	int s[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s),
			 0);
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ot_pid r;
	ck_assert_ot_ok(
	    ot_spawn(blocked_reader, (void *)(intptr_t)s[0], &o, &r));
	ot_msg_free(expect_msg(T_READY, 2000));
	ot_sleep(20);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(r, &kill));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 2000);
	ot_reason killed = ot_reason_normal();
	killed.kind = OT_REASON_KILLED;
	assert_reason(&ot_msg_down(m)->reason, &killed, "the reader");
	ot_msg_free(m);
	close(s[0]);
	close(s[1]);
}
END_TEST

/* ---- Foreign threads ----------------------------------------------------- */

/* The test thread is the client of a process's echo server. */
START_TEST(test_foreign_client)
{
	g_listen = listen_loopback(&g_addr);
	ck_assert_ot_ok(ot_spawn(echo_server, NULL, NULL, NULL));
	int fd = tcp_socket();
	ck_assert_ot_ok(ot_connect(fd, (struct sockaddr *)&g_addr,
				   sizeof g_addr, (int)(5000 * tmul())));
	size_t w = 0;
	ck_assert_int_eq(ot_write(fd, "ping", 4, 2000, &w), 4);
	ck_assert_uint_eq(w, 4);
	char buf[8];
	ssize_t got = 0;
	while (got < 4) {
		ssize_t n = ot_read(fd, buf + got, sizeof buf - (size_t)got,
				    (int)(2000 * tmul()));
		ck_assert_int_gt(n, 0);
		got += n;
	}
	ck_assert_int_eq(got, 4);
	ck_assert_mem_eq(buf, "ping", 4);
	/* nothing more: a timed-out read */
	ck_assert_ot_err((int)ot_read(fd, buf, sizeof buf, 30), OT_ETIMEDOUT);
	close(fd);
	ck_assert_int_eq(expect_tagged(T_DONE, 5000), 4);
	close(g_listen);
}
END_TEST

/* The test thread accepts; a process connects. */
static void connect_and_say(void *arg)
{
	(void)arg;
	int fd = tcp_socket();
	int rc = ot_connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr,
			    (int)(5000 * tmul()));
	if (rc == 0)
		rc = (int)ot_write(fd, "hi", 2, 2000, NULL);
	close(fd);
	send_i64(g_test, T_RESULT, rc);
}

START_TEST(test_foreign_accept)
{
	g_listen = listen_loopback(&g_addr);
	ck_assert_ot_ok(ot_spawn(connect_and_say, NULL, NULL, NULL));
	int c = ot_accept(g_listen, (int)(5000 * tmul()));
	ck_assert_int_ge(c, 0);
	ck_assert_int_ne(fcntl(c, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(c, F_GETFD) & FD_CLOEXEC, 0);
	char buf[4];
	ssize_t n = ot_read(c, buf, 2, (int)(5000 * tmul()));
	ck_assert_int_eq(n, 2);
	ck_assert_mem_eq(buf, "hi", 2);
	ck_assert_int_eq(ot_read(c, buf, sizeof buf, (int)(5000 * tmul())), 0);
	ck_assert_int_eq(expect_result(2000), 2);
	close(c);
	close(g_listen);
}
END_TEST

static Suite *io_suite(void)
{
	Suite *s = suite_create("io");

	TCase *tc = tcase("pipes", 20);
	tcase_add_test(tc, test_set_nonblocking);
	tcase_add_test(tc, test_read_pipe);
	tcase_add_test(tc, test_read_write_bad_args);
	tcase_add_test(tc, test_write_pipe);
	tcase_add_test(tc, test_write_pipe_no_reader);
	suite_add_tcase(s, tc);

	tc = tcase("tcp", 30);
	tcase_add_test(tc, test_tcp_echo);
	tcase_add_test(tc, test_peer_closes);
	tcase_add_test(tc, test_accept_connect_errors);
	tcase_add_test(tc, test_kill_in_read);
	suite_add_tcase(s, tc);

	tc = tcase("foreign", 20);
	tcase_add_test(tc, test_foreign_client);
	tcase_add_test(tc, test_foreign_accept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(io_suite());
}
