/* SPDX-License-Identifier: MIT */
/*
 * test_poll.c — ot_fd_wait(): readiness of pipes and sockets, timeouts,
 * many waiters, several waiters on one descriptor, kills and exit signals
 * during a wait, a single scheduler that keeps running others, messages
 * that arrive meanwhile, foreign threads, bad arguments, and shutdown with
 * waiters. Every test also proves that no registration stayed in the
 * runtime's epoll set and no descriptor leaked.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

enum { T_READY = 1, T_RESULT, T_PING, T_PONG, T_DONE, T_DATA, T_GO };

static ot_pid g_test; /* the test thread, set before spawning */

/* ---- Leak checks: descriptors, and registrations in the epoll set -------- */

/* Registrations in the runtime's epoll instance (the only one in this
 * process), from /proc/self/fdinfo; -1 if none is found. */
static int epoll_registrations(void)
{
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	int found = -1;
	struct dirent *e;
	while ((e = readdir(d)) && found < 0) {
		char path[300], link[64];
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:[eventpoll]") != 0)
			continue;
		snprintf(path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		char line[256];
		found = 0;
		while (fgets(line, sizeof line, f))
			if (strncmp(line, "tfd:", 4) == 0)
				found++;
		fclose(f);
	}
	closedir(d);
	return found;
}

static int g_fds_before;

static void setup_common(void (*start)(void))
{
	g_fds_before = ot_test_count_fds();
	start();
	/* The runtime's own: the epoll instance, the eventfd that kicks
	 * its owner (in the set) and the one foreign waiters poll. */
	ck_assert_int_eq(ot_test_count_fds(), g_fds_before + 3);
	ck_assert_int_eq(epoll_registrations(), 1);
}

static void setup(void)
{
	setup_common(ot_test_setup);
}

static void setup_one(void)
{
	setup_common(ot_test_setup_one);
}

static void teardown(void)
{
	if (ot_running()) {
		ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
		/* Only the eventfd: every wait took its registration out. */
		ck_assert_int_eq(epoll_registrations(), 1);
	}
	ot_test_teardown();
	ck_assert_int_eq(ot_test_count_fds(), g_fds_before);
}

static TCase *tcase(const char *name, double timeout_s, bool one)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, one ? setup_one : setup, teardown);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

/* ---- Helpers ------------------------------------------------------------- */

/* errno as the thread the caller runs on now has it. The compiler may
 * compute errno's address once per function (glibc declares it const) and
 * use it after a process moved to another thread; a call that is never
 * inlined computes it afresh. */
static __attribute__((noinline)) int errno_now(void)
{
	return errno;
}

static void make_pipe(int fds[2])
{
	ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
}

static void make_socketpair(int fds[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, fds),
			 0);
}

static void close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

static void put_byte(int fd)
{
	ck_assert_int_eq(write(fd, "x", 1), 1);
}

static void take_byte(int fd)
{
	char c;
	ck_assert_int_eq(read(fd, &c, 1), 1);
}

/* What a waiter reports. */
struct result {
	int rc;
	unsigned ready;
	int err; /* errno after a system error */
	double took_ms;
};

static struct result expect_result(int timeout_ms)
{
	ot_msg *m = expect_msg(T_RESULT, timeout_ms);
	struct result r;
	ck_assert_uint_eq(ot_msg_size(m), sizeof r);
	memcpy(&r, ot_msg_data(m), sizeof r);
	ot_msg_free(m);
	return r;
}

/* What a waiter is told to wait for. */
struct wait_spec {
	int fd;
	unsigned events;
	int timeout_ms;
};

/* Says it is ready, waits as told, reports. */
static void waiter(void *arg)
{
	const struct wait_spec *w = arg;
	ot_send(g_test, T_READY, NULL, 0);
	struct result r = {.ready = 0xdead};
	double t0 = now_msf();
	r.rc = ot_fd_wait(w->fd, w->events, w->timeout_ms, &r.ready);
	r.err = ot_err_is_sys(r.rc) ? errno_now() : 0;
	r.took_ms = now_msf() - t0;
	ot_send(g_test, T_RESULT, &r, sizeof r);
}

/* Waits (up to 2 s, scaled) until pid is parked. */
static void wait_parked(ot_pid pid)
{
	double deadline = now_msf() + 2000 * tmul();
	for (;;) {
		ot_process_info info;
		ck_assert_ot_ok(ot_process_info_get(pid, &info));
		if (info.status == OT_PROC_WAITING)
			return;
		require(now_msf() < deadline, "the waiter never parked");
		ot_sleep(1);
	}
}

/* Spawns a waiter on w and waits until it is parked in its fd wait. */
static ot_pid spawn_parked(struct wait_spec *w, unsigned flags, ot_ref *ref)
{
	ot_spawn_opts o = {.flags = flags, .monitor_ref = ref};
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(waiter, w, &o, &pid));
	ot_msg_free(expect_msg(T_READY, 2000));
	wait_parked(pid);
	return pid;
}

/* ---- Readiness ----------------------------------------------------------- */

START_TEST(test_pipe_readable)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	struct wait_spec w = {p[0], OT_FD_READ, OT_INFINITY};
	spawn_parked(&w, 0, NULL);
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT); /* still waits */
	put_byte(p[1]);
	struct result r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_READ);
	take_byte(p[0]);

	/* the write end of a pipe with room is writable at once */
	w = (struct wait_spec){p[1], OT_FD_WRITE, 2000};
	ck_assert_ot_ok(ot_spawn(waiter, &w, NULL, NULL));
	ot_msg_free(expect_msg(T_READY, 2000));
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_WRITE);
	close_pair(p);
}
END_TEST

START_TEST(test_socketpair)
{
	g_test = ot_self();
	int s[2];
	make_socketpair(s);
	/* writable at once; both asked, only writable holds */
	struct wait_spec w = {s[0], OT_FD_READ | OT_FD_WRITE, 2000};
	ck_assert_ot_ok(ot_spawn(waiter, &w, NULL, NULL));
	ot_msg_free(expect_msg(T_READY, 2000));
	struct result r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_WRITE);

	/* readable once the peer writes; both hold then */
	w = (struct wait_spec){s[0], OT_FD_READ, OT_INFINITY};
	spawn_parked(&w, 0, NULL);
	put_byte(s[1]);
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_READ);
	w = (struct wait_spec){s[0], OT_FD_READ | OT_FD_WRITE, 2000};
	ck_assert_ot_ok(ot_spawn(waiter, &w, NULL, NULL));
	ot_msg_free(expect_msg(T_READY, 2000));
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_READ | OT_FD_WRITE);
	take_byte(s[0]);
	close_pair(s);
}
END_TEST

/* A hang-up is readiness: for a reader, and for a writer (with ERROR). */
START_TEST(test_hangup)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	struct wait_spec w = {p[0], OT_FD_READ, OT_INFINITY};
	spawn_parked(&w, 0, NULL);
	close(p[1]);
	struct result r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert(r.ready & OT_FD_READ);
	ck_assert_uint_eq(r.ready & ~(unsigned)(OT_FD_READ | OT_FD_ERROR), 0);
	close(p[0]);

	int s[2];
	make_socketpair(s);
	/* fill s[0] so that a writer has to wait */
	char buf[4096];
	memset(buf, 'z', sizeof buf);
	while (write(s[0], buf, sizeof buf) > 0)
		;
	ck_assert_int_eq(errno, EAGAIN);
	w = (struct wait_spec){s[0], OT_FD_WRITE, OT_INFINITY};
	spawn_parked(&w, 0, NULL);
	close(s[1]);
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert(r.ready & OT_FD_WRITE);
	ck_assert(r.ready & OT_FD_ERROR);
	close(s[0]);
}
END_TEST

/* ---- Timeouts ------------------------------------------------------------ */

START_TEST(test_timeout)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	const int waits[] = {1, 20, 100};
	for (int i = 0; i < 3; i++) {
		struct wait_spec w = {p[0], OT_FD_READ, waits[i]};
		ck_assert_ot_ok(ot_spawn(waiter, &w, NULL, NULL));
		ot_msg_free(expect_msg(T_READY, 2000));
		struct result r = expect_result(2000);
		ck_assert_ot_err(r.rc, OT_ETIMEDOUT);
		ck_assert_uint_eq(r.ready, 0);
		ck_assert_msg(r.took_ms >= waits[i] - 1 &&
				  r.took_ms < waits[i] + 400 * tmul(),
			      "a wait of %d ms took %.1f ms", waits[i],
			      r.took_ms);
	}
	/* 0: a poll, not ready then ready */
	struct wait_spec w = {p[0], OT_FD_READ, 0};
	ck_assert_ot_ok(ot_spawn(waiter, &w, NULL, NULL));
	ot_msg_free(expect_msg(T_READY, 2000));
	struct result r = expect_result(2000);
	ck_assert_ot_err(r.rc, OT_ETIMEDOUT);
	ck_assert_msg(r.took_ms < 100 * tmul(), "a poll took %.1f ms",
		      r.took_ms);
	put_byte(p[1]);
	ck_assert_ot_ok(ot_spawn(waiter, &w, NULL, NULL));
	ot_msg_free(expect_msg(T_READY, 2000));
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_READ);
	close_pair(p);
}
END_TEST

/* A wait that timed out leaves nothing behind: its descriptor becoming
 * ready just after cannot wake the process's next wait, on another
 * descriptor that never becomes ready, nor can its timer end that one
 * early. */
static int g_race_fd[2], g_idle_fd[2];
static atomic_int g_stale;

static void racer(void *arg)
{
	int rounds = (int)(intptr_t)arg;
	for (int i = 0; i < rounds; i++) {
		unsigned ready;
		int rc = ot_fd_wait(g_race_fd[0], OT_FD_READ, 1, &ready);
		if (rc == 0) {
			char c;
			while (read(g_race_fd[0], &c, 1) == 1)
				;
		}
		/* never ready: must time out, and not early (the timer of
		 * the wait before, firing as the poller woke it, must not
		 * end this one) */
		double t0 = now_msf();
		rc = ot_fd_wait(g_idle_fd[0], OT_FD_READ, 3, &ready);
		if (rc != OT_ETIMEDOUT || ready != 0 || now_msf() - t0 < 2)
			atomic_fetch_add(&g_stale, 1);
	}
	ot_send(g_test, T_DONE, NULL, 0);
}

static void poker(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, 0) == 0) {
			ot_msg_free(m);
			return;
		}
		if (write(g_race_fd[1], "x", 1) < 0 && errno_now() != EAGAIN)
			return;
		ot_sleep(1);
	}
}

START_TEST(test_timeout_race_leaves_nothing)
{
	g_test = ot_self();
	atomic_store(&g_stale, 0);
	make_pipe(g_race_fd);
	make_pipe(g_idle_fd);
	int rounds = ot_test_under_valgrind() ? 50 : 300;
	ot_pid pk;
	ck_assert_ot_ok(ot_spawn(poker, NULL, NULL, &pk));
	ck_assert_ot_ok(ot_spawn(racer, (void *)(intptr_t)rounds, NULL, NULL));
	ot_msg_free(expect_msg(T_DONE, 20000));
	ck_assert_ot_ok(ot_send(pk, T_DONE, NULL, 0));
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	ck_assert_int_eq(atomic_load(&g_stale), 0);
	close_pair(g_race_fd);
	close_pair(g_idle_fd);
}
END_TEST

/* ---- Many waiters -------------------------------------------------------- */

static void raise_fd_limit(size_t need)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static size_t fd_budget(void)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	return (size_t)rl.rlim_cur;
}

static void pair_waiter(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned ready = 0;
	int rc = ot_fd_wait(fd, OT_FD_READ, OT_INFINITY, &ready);
	if (rc == 0 && ready == OT_FD_READ) {
		char c;
		rc = read(fd, &c, 1) == 1 ? 0 : OT_ESYS;
	}
	send_i64(g_test, T_RESULT, rc);
}

START_TEST(test_thousand_waiters)
{
	g_test = ot_self();
	size_t n = ot_test_scaled(1000);
	raise_fd_limit(2 * n + 64);
	if (2 * n + 64 > fd_budget())
		n = (fd_budget() - 64) / 2;
	int(*s)[2] = calloc(n, sizeof *s);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++) {
		make_socketpair(s[i]);
		ck_assert_ot_ok(ot_spawn(pair_waiter, (void *)(intptr_t)s[i][0],
					 NULL, NULL));
	}
	/* most are parked by now; wake them all, in reverse */
	ot_sleep(20);
	for (size_t i = n; i-- > 0;)
		put_byte(s[i][1]);
	for (size_t i = 0; i < n; i++) {
		ot_msg *m = expect_msg(T_RESULT, 10000);
		int64_t rc = msg_i64(m);
		ot_msg_free(m);
		require(rc == 0, "waiter %zu: %s", i, ot_err_name((int)rc));
	}
	ck_assert(ot_test_wait_quiet((int)(5000 * tmul())));
	for (size_t i = 0; i < n; i++)
		close_pair(s[i]);
	free(s);
}
END_TEST

/* ---- Kept registrations -------------------------------------------------- */

/* Wakes the waiter parked on the pipe p with a byte, takes its result
 * (readable) and the byte back, and waits until it has ended. */
static void wake_pipe_waiter(const int p[2])
{
	put_byte(p[1]);
	struct result r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_READ);
	take_byte(p[0]);
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
}

/* A wait that fired leaves its registration in the set, disabled, and the
 * next wait on the number re-arms it: waits in a row on one descriptor add
 * nothing; one that times out takes it out. */
START_TEST(test_kept_registration)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	struct wait_spec forever = {p[0], OT_FD_READ, OT_INFINITY};
	for (int i = 0; i < 3; i++) {
		spawn_parked(&forever, 0, NULL);
		ck_assert_int_eq(epoll_registrations(), 1 + 1);
		wake_pipe_waiter(p);
		ck_assert_int_eq(epoll_registrations(), 1 + 1);
	}
	struct wait_spec brief = {p[0], OT_FD_READ, 20};
	spawn_parked(&brief, 0, NULL);
	ck_assert_ot_err(expect_result(2000).rc, OT_ETIMEDOUT);
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	ck_assert_int_eq(epoll_registrations(), 1);
	close_pair(p);
}
END_TEST

/* The program closes a descriptor whose registration is kept and opens
 * another file under the same number: a wait on it works. And with a dup
 * keeping the old file open (its disabled entry stays), the old file's
 * data never wakes a waiter of the new one. */
START_TEST(test_kept_number_reused)
{
	g_test = ot_self();
	for (int keep_old = 0; keep_old < 2; keep_old++) {
		int a[2], b[2];
		make_pipe(a);
		struct wait_spec wa = {a[0], OT_FD_READ, OT_INFINITY};
		spawn_parked(&wa, 0, NULL);
		wake_pipe_waiter(a);
		int number = a[0];
		int old = keep_old ? dup(a[0]) : -1;
		close(a[0]);
		make_pipe(b);
		if (b[0] != number) { /* lowest free number: expected */
			int moved = dup2(b[0], number);
			ck_assert_int_eq(moved, number);
			close(b[0]);
			b[0] = number;
		}
		struct wait_spec wb = {b[0], OT_FD_READ, scaled_ms(300)};
		spawn_parked(&wb, 0, NULL);
		if (keep_old) {
			/* data for the old file: not this wait's */
			put_byte(a[1]);
			struct result r = expect_result(2000);
			ck_assert_ot_err(r.rc, OT_ETIMEDOUT);
			spawn_parked(&wb, 0, NULL);
		}
		wake_pipe_waiter(b);
		if (old >= 0)
			close(old);
		close(a[1]);
		close_pair(b);
	}
}
END_TEST

/* Several processes wait on one descriptor: all are woken, and one that
 * gives up (times out) leaves the others' waits alone, whichever of them
 * registered the descriptor itself. */
START_TEST(test_same_fd)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	struct wait_spec forever = {p[0], OT_FD_READ, OT_INFINITY};
	ot_pid a = spawn_parked(&forever, 0, NULL);
	ot_pid b = spawn_parked(&forever, 0, NULL);
	ot_pid c = spawn_parked(&forever, 0, NULL);
	(void)a;
	(void)b;
	(void)c;
	ck_assert_int_eq(epoll_registrations(), 1 + 3);
	put_byte(p[1]);
	for (int i = 0; i < 3; i++) {
		struct result r = expect_result(2000);
		ck_assert_ot_ok(r.rc);
		ck_assert_uint_eq(r.ready, OT_FD_READ);
	}
	take_byte(p[0]);
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	/* The eventfd, and p[0]'s own registration, kept (disabled: its
	 * wait fired) for the next wait on it; the dups are gone. */
	ck_assert_int_eq(epoll_registrations(), 1 + 1);

	/* the first waiter (it registered p[0] itself) times out first */
	struct wait_spec brief = {p[0], OT_FD_READ, scaled_ms(200)};
	spawn_parked(&brief, 0, NULL);
	spawn_parked(&forever, 0, NULL);
	struct result r = expect_result(2000);
	ck_assert_ot_err(r.rc, OT_ETIMEDOUT);
	put_byte(p[1]);
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_READ);
	take_byte(p[0]);

	/* the second one (on a dup) times out first */
	spawn_parked(&forever, 0, NULL);
	spawn_parked(&brief, 0, NULL);
	r = expect_result(2000);
	ck_assert_ot_err(r.rc, OT_ETIMEDOUT);
	put_byte(p[1]);
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	take_byte(p[0]);

	/* a reader and a writer on one socket */
	int s[2];
	make_socketpair(s);
	char buf[4096];
	memset(buf, 'z', sizeof buf);
	while (write(s[0], buf, sizeof buf) > 0)
		;
	struct wait_spec rd = {s[0], OT_FD_READ, OT_INFINITY};
	struct wait_spec wr = {s[0], OT_FD_WRITE, OT_INFINITY};
	spawn_parked(&rd, 0, NULL);
	spawn_parked(&wr, 0, NULL);
	put_byte(s[1]); /* readable, not yet writable */
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_READ);
	while (read(s[1], buf, sizeof buf) > 0) /* room again */
		;
	r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	ck_assert_uint_eq(r.ready, OT_FD_WRITE);
	close_pair(s);
	close_pair(p);
}
END_TEST

/* ---- Kills and exit signals ---------------------------------------------- */

/* Links to the pid it is sent, traps exits, reports the EXIT's reason. */
static void link_watcher(void *arg)
{
	(void)arg;
	ot_trap_exit(true, NULL);
	ot_msg *m;
	if (ot_receive(&m, 5000) != 0)
		return;
	ot_pid target;
	memcpy(&target, ot_msg_data(m), sizeof target);
	ot_msg_free(m);
	ot_link(target);
	ot_send(g_test, T_READY, NULL, 0);
	if (ot_receive(&m, 5000) != 0)
		return;
	const ot_exit_info *x = ot_msg_exit(m);
	if (x)
		ot_send(g_test, T_RESULT, &x->reason, sizeof x->reason);
	ot_msg_free(m);
}

static bool has_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

/* The next message tagged tag, leaving others queued (a DOWN and a
 * report from a linked process come in either order). */
static ot_msg *expect_tagged(uint64_t tag, int timeout_ms)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(has_tag, &tag, &m, scaled_ms(timeout_ms));
	ck_assert_msg(rc == 0, "waiting for tag %llu: %s",
		      (unsigned long long)tag, ot_err_name(rc));
	return m;
}

START_TEST(test_kill_while_waiting)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	struct wait_spec w = {p[0], OT_FD_READ, OT_INFINITY};
	ot_ref ref;
	ot_pid victim = spawn_parked(&w, OT_SPAWN_MONITOR, &ref);
	ot_pid lw;
	ck_assert_ot_ok(ot_spawn(link_watcher, NULL, NULL, &lw));
	ck_assert_ot_ok(ot_send(lw, T_GO, &victim, sizeof victim));
	ot_msg_free(expect_msg(T_READY, 2000));
	ck_assert_int_eq(epoll_registrations(), 2);

	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(victim, &kill));
	ot_reason killed = ot_reason_normal();
	killed.kind = OT_REASON_KILLED;
	ot_reason got = ot_test_expect_down(ref, 2000, __func__).reason;
	assert_reason(&got, &killed, "the monitor");
	/* out of epoll before the monitor heard of the end */
	ck_assert_int_eq(epoll_registrations(), 1);
	ot_msg *m = expect_tagged(T_RESULT, 2000);
	ck_assert_uint_eq(ot_msg_size(m), sizeof(ot_reason));
	memcpy(&got, ot_msg_data(m), sizeof got);
	ot_msg_free(m);
	assert_reason(&got, &killed, "the linked process");
	/* no result from the victim: it never came back from the wait */
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);

	/* the descriptor is free for another wait, which works */
	spawn_parked(&w, 0, NULL);
	put_byte(p[1]);
	struct result r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	close_pair(p);
}
END_TEST

/* An exit signal (not kill) ends a waiter that does not trap exits; its
 * links see that reason. */
START_TEST(test_exit_signal_while_waiting)
{
	g_test = ot_self();
	int s[2];
	make_socketpair(s);
	struct wait_spec w = {s[0], OT_FD_READ, OT_INFINITY};
	ot_ref ref;
	ot_pid victim = spawn_parked(&w, OT_SPAWN_MONITOR, &ref);
	ot_reason why = ot_reason_shutdown();
	ck_assert_ot_ok(ot_exit_pid(victim, &why));
	ot_reason got = ot_test_expect_down(ref, 2000, __func__).reason;
	assert_reason(&got, &why, "the monitor");
	ck_assert_int_eq(epoll_registrations(), 1);
	close_pair(s);
}
END_TEST

/* A waiter that traps exits gets the EXIT as a message and goes on
 * waiting; a linked process that dies does not cut the wait short. */
static void trapping_waiter(void *arg)
{
	int fd = (int)(intptr_t)arg;
	ot_trap_exit(true, NULL);
	ot_send(g_test, T_READY, NULL, 0);
	unsigned ready = 0;
	int rc = ot_fd_wait(fd, OT_FD_READ, OT_INFINITY, &ready);
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, ready);
	ot_msg *m;
	int64_t exits = 0;
	while (ot_receive(&m, 0) == 0) {
		if (ot_msg_exit(m))
			exits++;
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, exits);
}

/* Links to *arg, then ends normally. */
static void link_and_end(void *arg)
{
	ot_link(*(const ot_pid *)arg);
}

START_TEST(test_trapped_exit_while_waiting)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	ot_pid t;
	ck_assert_ot_ok(
	    ot_spawn(trapping_waiter, (void *)(intptr_t)p[0], NULL, &t));
	ot_msg_free(expect_msg(T_READY, 2000));
	wait_parked(t);
	ot_reason why = ot_reason_shutdown();
	ck_assert_ot_ok(ot_exit_pid(t, &why));
	ot_ref ref;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(link_and_end, &t, &o, NULL));
	ot_reason normal = ot_reason_normal();
	ot_reason got = ot_test_expect_down(ref, 2000, __func__).reason;
	assert_reason(&got, &normal, "the linked process");
	ot_sleep(30);
	wait_parked(t); /* still waiting */
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
	put_byte(p[1]);
	m = expect_msg(T_RESULT, 2000);
	ck_assert_ot_ok((int)msg_i64(m));
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 2000);
	ck_assert_int_eq(msg_i64(m), OT_FD_READ);
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 2000);
	ck_assert_int_eq(msg_i64(m), 2); /* both EXITs */
	ot_msg_free(m);
	close_pair(p);
}
END_TEST

/* ---- One scheduler, messages during the wait ----------------------------- */

static void ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++) {
		ot_msg *m;
		if (ot_receive(&m, 5000) != 0)
			return;
		ot_send(ot_msg_from(m), T_PONG, NULL, 0);
		ot_msg_free(m);
	}
}

START_TEST(test_one_scheduler_keeps_running)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	struct wait_spec w = {p[0], OT_FD_READ, OT_INFINITY};
	ot_pid wp = spawn_parked(&w, 0, NULL);
	ot_pid pong;
	ck_assert_ot_ok(ot_spawn(ponger, NULL, NULL, &pong));
	for (int i = 0; i < 10; i++) {
		ck_assert_ot_ok(ot_send(pong, T_PING, NULL, 0));
		ot_msg_free(expect_msg(T_PONG, 2000));
	}
	ot_process_info info;
	ck_assert_ot_ok(ot_process_info_get(wp, &info));
	ck_assert_int_eq(info.status, OT_PROC_WAITING);
	put_byte(p[1]);
	struct result r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	close_pair(p);
}
END_TEST

/* Messages that arrive during the wait do not end it and stay queued in
 * their order. */
static void waiter_then_drain(void *arg)
{
	int fd = (int)(intptr_t)arg;
	ot_send(g_test, T_READY, NULL, 0);
	unsigned ready = 0;
	int rc = ot_fd_wait(fd, OT_FD_READ, OT_INFINITY, &ready);
	send_i64(g_test, T_RESULT, rc);
	ot_msg *m;
	while (ot_receive(&m, 0) == 0) {
		send_i64(g_test, T_RESULT, msg_i64(m));
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, -1);
}

START_TEST(test_messages_stay)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	ot_pid wp;
	ck_assert_ot_ok(
	    ot_spawn(waiter_then_drain, (void *)(intptr_t)p[0], NULL, &wp));
	ot_msg_free(expect_msg(T_READY, 2000));
	wait_parked(wp);
	for (int i = 1; i <= 3; i++)
		send_i64(wp, T_DATA, i);
	ot_sleep(30);
	ot_process_info info;
	ck_assert_ot_ok(ot_process_info_get(wp, &info));
	ck_assert_int_eq(info.status, OT_PROC_WAITING);
	ck_assert_uint_eq(info.message_queue_len, 3);
	put_byte(p[1]);
	int64_t want[] = {0, 1, 2, 3, -1};
	for (int i = 0; i < 5; i++) {
		ot_msg *m = expect_msg(T_RESULT, 2000);
		ck_assert_int_eq(msg_i64(m), want[i]);
		ot_msg_free(m);
	}
	close_pair(p);
}
END_TEST

/* ---- Bad arguments ------------------------------------------------------- */

static void bad_waits(void *arg)
{
	int fd = (int)(intptr_t)arg;
	int64_t rc[6];
	rc[0] = ot_fd_wait(-1, OT_FD_READ, 10, NULL);
	rc[1] = ot_fd_wait(fd, 0, 10, NULL);
	rc[2] = ot_fd_wait(fd, OT_FD_ERROR, 10, NULL);
	rc[3] = ot_fd_wait(fd, OT_FD_READ | 8u, 10, NULL);
	rc[4] = ot_fd_wait(fd, OT_FD_READ, -2, NULL);
	rc[5] = ot_fd_wait(fd, OT_FD_READ, INT_MIN, NULL);
	for (int i = 0; i < 6; i++)
		send_i64(g_test, T_RESULT, rc[i]);
}

/* A wait epoll refuses: the system error, and errno (for the deprecated
 * ot_errno()) set to the same. */
static void refused_wait(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned ready = 77;
	int rc = ot_fd_wait(fd, OT_FD_READ, 1000, &ready);
	int e = errno_now();
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, e);
	send_i64(g_test, T_RESULT, ready);
}

static void expect_refused(int fd, int want_errno)
{
	ck_assert_ot_ok(
	    ot_spawn(refused_wait, (void *)(intptr_t)fd, NULL, NULL));
	ot_msg *m = expect_msg(T_RESULT, 2000);
	ck_assert_ot_sys((int)msg_i64(m), want_errno);
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 2000);
	ck_assert_int_eq(msg_i64(m), want_errno);
	ot_msg_free(m);
	m = expect_msg(T_RESULT, 2000);
	ck_assert_int_eq(msg_i64(m), 0);
	ot_msg_free(m);
}

START_TEST(test_bad_args)
{
	g_test = ot_self();
	int p[2];
	make_pipe(p);
	ck_assert_ot_ok(
	    ot_spawn(bad_waits, (void *)(intptr_t)p[0], NULL, NULL));
	for (int i = 0; i < 6; i++) {
		ot_msg *m = expect_msg(T_RESULT, 2000);
		ck_assert_ot_err((int)msg_i64(m), OT_EINVAL);
		ot_msg_free(m);
	}
	/* and from a foreign thread */
	unsigned ready = 5;
	ck_assert_ot_err(ot_fd_wait(-1, OT_FD_READ, 10, &ready), OT_EINVAL);
	ck_assert_uint_eq(ready, 0);
	ck_assert_ot_err(ot_fd_wait(p[0], 0, 10, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_fd_wait(p[0], 16, 10, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_fd_wait(p[0], OT_FD_READ, -7, NULL), OT_EINVAL);

	/* a closed descriptor, a regular file */
	int closed = dup(p[0]);
	close(closed);
	expect_refused(closed, EBADF);
	ck_assert_ot_sys(ot_fd_wait(closed, OT_FD_READ, 10, NULL), EBADF);
	ck_assert_int_eq(errno, EBADF);
	char path[] = "/tmp/otter-poll-XXXXXX";
	int file = mkstemp(path);
	ck_assert_int_ge(file, 0);
	unlink(path);
	expect_refused(file, EPERM);
	/* poll(2), on a foreign thread, finds a regular file always ready */
	ck_assert_ot_ok(ot_fd_wait(file, OT_FD_READ, 10, &ready));
	ck_assert_uint_eq(ready, OT_FD_READ);
	close(file);
	close_pair(p);
}
END_TEST

START_TEST(test_not_started)
{
	int p[2];
	make_pipe(p);
	ck_assert_ot_err(ot_fd_wait(p[0], OT_FD_READ, 10, NULL),
			 OT_ENOTSTARTED);
	ck_assert_ot_err(ot_fd_wait(-1, OT_FD_READ, 10, NULL), OT_EINVAL);
	close_pair(p);
}
END_TEST

/* ---- Foreign threads ----------------------------------------------------- */

START_TEST(test_foreign_wait)
{
	int p[2];
	make_pipe(p);
	unsigned ready = 9;
	double t0 = now_msf();
	ck_assert_ot_err(ot_fd_wait(p[0], OT_FD_READ, 50, &ready),
			 OT_ETIMEDOUT);
	double took = now_msf() - t0;
	ck_assert_msg(took >= 49 && took < 50 + 400 * tmul(),
		      "a foreign wait of 50 ms took %.1f ms", took);
	ck_assert_uint_eq(ready, 0);
	ck_assert_ot_err(ot_fd_wait(p[0], OT_FD_READ, 0, NULL), OT_ETIMEDOUT);
	ck_assert_ot_ok(ot_fd_wait(p[1], OT_FD_READ | OT_FD_WRITE, 0, &ready));
	ck_assert_uint_eq(ready, OT_FD_WRITE);
	put_byte(p[1]);
	ck_assert_ot_ok(ot_fd_wait(p[0], OT_FD_READ, OT_INFINITY, &ready));
	ck_assert_uint_eq(ready, OT_FD_READ);
	take_byte(p[0]);
	close_pair(p);
}
END_TEST

/* A process wakes a foreign thread's wait by writing. */
static void write_later(void *arg)
{
	int fd = (int)(intptr_t)arg;
	ot_sleep(30);
	if (write(fd, "x", 1) != 1)
		ot_send(g_test, T_DONE, NULL, 0);
}

static void *thread_wait(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned ready = 0;
	int rc = ot_fd_wait(fd, OT_FD_READ, (int)(5000 * tmul()), &ready);
	return (void *)(intptr_t)(rc ? rc : (int)ready);
}

START_TEST(test_foreign_pthreads)
{
	g_test = ot_self();
	int p[2][2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		make_socketpair(p[i]);
		ck_assert_int_eq(pthread_create(&th[i], NULL, thread_wait,
						(void *)(intptr_t)p[i][0]),
				 0);
		ck_assert_ot_ok(ot_spawn(write_later, (void *)(intptr_t)p[i][1],
					 NULL, NULL));
	}
	for (int i = 0; i < 2; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_int_eq((int)(intptr_t)ret, OT_FD_READ);
	}
	/* the writers are done with the descriptors before they close */
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	for (int i = 0; i < 2; i++)
		close_pair(p[i]);
}
END_TEST

/* ---- Shutdown ------------------------------------------------------------ */

static void *thread_wait_forever(void *arg)
{
	int fd = (int)(intptr_t)arg;
	return (void *)(intptr_t)ot_fd_wait(fd, OT_FD_READ, OT_INFINITY, NULL);
}

/* Shutting down while processes and a foreign thread wait on descriptors:
 * nothing hangs, the thread gets OT_ESHUTDOWN, nothing leaks (teardown
 * counts the descriptors). */
START_TEST(test_shutdown_with_waiters)
{
	g_test = ot_self();
	enum { N = 50 };
	int p[2];
	make_pipe(p);
	static struct wait_spec w[N];
	int s[N][2];
	for (int i = 0; i < N; i++) {
		make_socketpair(s[i]);
		/* half on their own socket, half on one shared pipe */
		w[i] = (struct wait_spec){i % 2 ? s[i][0] : p[0], OT_FD_READ,
					  OT_INFINITY};
		spawn_parked(&w[i], 0, NULL);
	}
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, thread_wait_forever,
					(void *)(intptr_t)p[0]),
			 0);
	ot_sleep(20);
	ck_assert_int_eq(epoll_registrations(), 1 + N);
	double t0 = now_msf();
	ck_assert_ot_ok(ot_shutdown());
	double took = now_msf() - t0;
	ck_assert_msg(took < 2000 * tmul(), "shutdown took %.0f ms", took);
	void *ret;
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_ot_err((int)(intptr_t)ret, OT_ESHUTDOWN);
	for (int i = 0; i < N; i++)
		close_pair(s[i]);
	close_pair(p);
	/* and the runtime starts again, with a working poller */
	ot_test_setup();
	g_test = ot_self();
	make_pipe(p);
	struct wait_spec again = {p[0], OT_FD_READ, OT_INFINITY};
	spawn_parked(&again, 0, NULL);
	put_byte(p[1]);
	struct result r = expect_result(2000);
	ck_assert_ot_ok(r.rc);
	close_pair(p);
}
END_TEST

static Suite *poll_suite(void)
{
	Suite *s = suite_create("poll");

	TCase *tc = tcase("ready", 10, false);
	tcase_add_test(tc, test_pipe_readable);
	tcase_add_test(tc, test_socketpair);
	tcase_add_test(tc, test_hangup);
	suite_add_tcase(s, tc);

	tc = tcase("timeout", 30, false);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_timeout_race_leaves_nothing);
	suite_add_tcase(s, tc);

	tc = tcase("many", 30, false);
	tcase_add_test(tc, test_thousand_waiters);
	tcase_add_test(tc, test_same_fd);
	tcase_add_test(tc, test_kept_registration);
	tcase_add_test(tc, test_kept_number_reused);
	suite_add_tcase(s, tc);

	tc = tcase("signals", 10, false);
	tcase_add_test(tc, test_kill_while_waiting);
	tcase_add_test(tc, test_exit_signal_while_waiting);
	tcase_add_test(tc, test_trapped_exit_while_waiting);
	suite_add_tcase(s, tc);

	tc = tcase("one_scheduler", 10, true);
	tcase_add_test(tc, test_one_scheduler_keeps_running);
	tcase_add_test(tc, test_messages_stay);
	suite_add_tcase(s, tc);

	tc = tcase("args", 10, false);
	tcase_add_test(tc, test_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("not_started");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_not_started);
	suite_add_tcase(s, tc);

	tc = tcase("foreign", 10, false);
	tcase_add_test(tc, test_foreign_wait);
	tcase_add_test(tc, test_foreign_pthreads);
	suite_add_tcase(s, tc);

	tc = tcase("shutdown", 20, false);
	tcase_add_test(tc, test_shutdown_with_waiters);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(poll_suite());
}
