/* SPDX-License-Identifier: MIT */
/*
 * test_observer.c — the observer's socket (otter/observer.h): every
 * command against a small supervision tree, garbage, a huge line, a
 * client that leaves mid-request or never reads, another uid, a pid that
 * is gone and a name nobody has, a crash in the history and in the
 * restart counts; the HTTP endpoint's rules (Host, GET only).
 *
 * The client is the test's own thread, with plain blocking sockets.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"
#include "fixture.h"

/* ---- a client ------------------------------------------------------------ */

struct cli {
	int fd;
	size_t have;
	char buf[4 << 20];
};

static char g_path[108];
static struct cli g_a, g_b;

static void socket_path(void)
{
	snprintf(g_path, sizeof g_path, "/tmp/otter-obs-test-%d.sock",
		 (int)getpid());
}

static int connect_unix(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	struct timeval tv = {.tv_sec = (time_t)(10 * tmul())};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void cli_open(struct cli *c)
{
	c->fd = connect_unix(g_path);
	ck_assert_msg(c->fd >= 0, "connect %s: %s", g_path, strerror(errno));
	c->have = 0;
}

static void cli_send(struct cli *c, const void *data, size_t n)
{
	ck_assert_int_eq(send(c->fd, data, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* The next reply line (without its newline), or NULL at end of file. */
static const char *cli_line(struct cli *c)
{
	static char line[4 << 20];
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, nl + 1, c->have - n - 1);
			c->have -= n + 1;
			return line;
		}
		ck_assert_msg(c->have < sizeof c->buf, "reply too long");
		ssize_t r =
		    recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
		if (r == 0)
			return NULL;
		ck_assert_msg(r > 0, "recv: %s", strerror(errno));
		c->have += (size_t)r;
	}
}

/* Sends line and returns its reply. */
static const char *ask(struct cli *c, const char *line)
{
	cli_send(c, line, strlen(line));
	cli_send(c, "\n", 1);
	const char *r = cli_line(c);
	ck_assert_msg(r != NULL, "%s: no reply (closed)", line);
	return r;
}

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

#define assert_has(s, what)                                                    \
	ck_assert_msg(strstr((s), (what)) != NULL, "%s: no %s", (s), (what))

static void cli_close(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* ---- the system observed ----------------------------------------------- */

NO_UBSAN __attribute__((noinline)) static void segv(void)
{
	*g_null = 1;
}

static ot_gs_ret w_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

static ot_gs_ret w_call(const void *req, size_t size, ot_gs_from from,
			void **state)
{
	(void)req;
	(void)size;
	(void)from;
	(void)state;
	return ot_gs_reply("ok", 2);
}

static ot_gs_ret w_cast(const void *req, size_t size, void **state)
{
	(void)state;
	if (size == 4 && !memcmp(req, "segv", 4))
		segv();
	return ot_gs_noreply();
}

static int w_status(void *state, char *buf, size_t size)
{
	(void)state;
	return snprintf(buf, size, "worker state \"quoted\"");
}

static const ot_gen_server_callbacks g_worker = {.init = w_init,
						 .handle_call = w_call,
						 .handle_cast = w_cast,
						 .format_status = w_status};

static ot_child_spec g_inner_kids[1];
static ot_sup_spec g_inner;
static ot_child_spec g_root_kids[2];
static ot_sup_spec g_root;

/* t.root (one_for_one): w1 (t.w1), inner (t.inner, a supervisor): w2. */
static ot_pid start_tree(void)
{
	memset(g_inner_kids, 0, sizeof g_inner_kids);
	strcpy(g_inner_kids[0].id, "w2");
	strcpy(g_inner_kids[0].name, "t.w2");
	g_inner_kids[0].server = &g_worker;
	g_inner = (ot_sup_spec){.children = g_inner_kids, .nchildren = 1};
	memset(g_root_kids, 0, sizeof g_root_kids);
	strcpy(g_root_kids[0].id, "w1");
	strcpy(g_root_kids[0].name, "t.w1");
	g_root_kids[0].server = &g_worker;
	strcpy(g_root_kids[1].id, "inner");
	strcpy(g_root_kids[1].name, "t.inner");
	g_root_kids[1].sup = &g_inner;
	g_root = (ot_sup_spec){.flags = {.intensity = 100, .period_ms = 60000},
			       .children = g_root_kids,
			       .nchildren = 2};
	ot_pid sup;
	ck_assert_ot_ok(
	    ot_supervisor_start_link(&g_root, "t.root", &sup, NULL));
	return sup;
}

static void setup(void)
{
	ot_test_setup();
	ot_set_logger(ot_log_discard, NULL); /* the crashes are meant */
	socket_path();
	ck_assert_ot_ok(ot_observer_listen(g_path));
	g_a.fd = g_b.fd = -1;
}

static void teardown(void)
{
	cli_close(&g_a);
	cli_close(&g_b);
	ck_assert_ot_ok(ot_observer_stop());
	struct stat st;
	ck_assert_msg(lstat(g_path, &st) != 0, "the socket file is left");
	ot_set_logger(NULL, NULL);
	ot_test_teardown();
}

static ot_pid pid_of(const char *name)
{
	ot_pid p;
	ck_assert_ot_ok(ot_whereis(name, &p));
	return p;
}

static const char *pid_text(ot_pid p)
{
	static char b[4][OT_PID_STRLEN];
	static int i;
	char *s = b[i++ % 4];
	ot_pid_format(p, s, OT_PID_STRLEN);
	return s;
}

/* ---- the cases ------------------------------------------------------------
 */

/* Every command, on the tree. */
START_TEST(test_commands)
{
	ot_pid root = start_tree();
	cli_open(&g_a);
	const char *r = ask(&g_a, "tree");
	assert_has(r, "\"roots\":[");
	assert_has(r, "\"id\":\"w1\"");
	assert_has(r, "\"id\":\"inner\"");
	assert_has(r, "\"id\":\"w2\"");
	assert_has(r, "\"name\":\"t.root\"");
	/* inner is inside root's tree, not a root of its own */
	char want[96];
	snprintf(want, sizeof want, "\"pid\":\"%s\"",
		 pid_text(pid_of("t.inner")));
	ck_assert_int_eq(count(r, want), 1);
	ck_assert_int_eq(count(r, "\"restarts\":0"), 3);
	ck_assert_int_eq(count(r, "\"type\":\"supervisor\""), 2);

	r = ask(&g_a, "ps");
	assert_has(r, "\"total\":");
	assert_has(r, "\"sort\":\"memory\"");
	r = ask(&g_a, "ps sort=mailbox limit=2");
	ck_assert_int_eq(count(r, "\"pid\":"), 2);
	r = ask(&g_a, "ps sort=activity limit=0");
	assert_has(r, "\"processes\":[]");
	r = ask(&g_a, "ps sort=size");
	assert_has(r, "\"error\":");
	r = ask(&g_a, "ps limit=-1");
	assert_has(r, "\"error\":");

	r = ask(&g_a, "info t.w1");
	assert_has(r, "\"behaviour\":\"gen_server\"");
	assert_has(r, "\"name\":\"t.w1\"");
	assert_has(r, "\"linked\":[");
	snprintf(want, sizeof want, "info %s", pid_text(root));
	r = ask(&g_a, want);
	assert_has(r, "\"behaviour\":\"supervisor\"");
	assert_has(r, "\"trap_exit\":true");

	r = ask(&g_a, "state t.w1");
	assert_has(r, "\"state\":\"worker state \\\"quoted\\\"\"");
	r = ask(&g_a, "state t.root"); /* a supervisor is a gen_server */
	assert_has(r, "\"state\":");

	r = ask(&g_a, "help");
	assert_has(r, "\"commands\":[");
	r = ask(&g_a, "history");
	assert_has(r, "\"crashes\":[");
	assert_has(r, "\"restarts\":[");

	/* restart SUP ID: a new w1 */
	ot_pid w1 = pid_of("t.w1");
	r = ask(&g_a, "restart t.root w1");
	assert_has(r, "\"ok\":true");
	ck_assert(!ot_is_alive(w1));
	ck_assert(!ot_pid_equal(pid_of("t.w1"), w1));
	r = ask(&g_a, "restart t.root nosuch");
	assert_has(r, "\"code\":\"OT_ENOTFOUND\"");
	r = ask(&g_a, "restart t.w1 w1"); /* not a supervisor */
	assert_has(r, "\"error\":");

	/* kill: the supervisor restarts it, and counts it */
	w1 = pid_of("t.w1");
	snprintf(want, sizeof want, "kill %s", pid_text(w1));
	r = ask(&g_a, want);
	assert_has(r, "\"ok\":true");
	for (int i = 0; i < 5000; i++) {
		ot_pid now;
		if (ot_whereis("t.w1", &now) == 0 && !ot_pid_equal(now, w1))
			break;
		ot_sleep(1);
	}
	r = ask(&g_a, "tree");
	assert_has(r, "\"restarts\":1");
	ck_assert_ot_ok(ot_supervisor_stop(root, 5000));
}
END_TEST

/* A process that waits without taking its messages. */
static void hoarder(void *arg)
{
	(void)arg;
	ot_sleep(OT_INFINITY);
}

/* ps over more processes than a walk's chunk: it counts them all, and
 * sorts: the longest mailboxes first. */
START_TEST(test_ps_many)
{
	size_t n = ot_test_scaled(3000);
	ot_pid *p = calloc(n, sizeof *p);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++)
		ck_assert_ot_ok(ot_spawn(hoarder, NULL, NULL, &p[i]));
	/* p[n-1] gets 3 messages, p[n/2] 2, p[1] 1 */
	for (int k = 0; k < 3; k++)
		ck_assert_ot_ok(ot_send(p[n - 1], 1, "x", 1));
	for (int k = 0; k < 2; k++)
		ck_assert_ot_ok(ot_send(p[n / 2], 1, "x", 1));
	ck_assert_ot_ok(ot_send(p[1], 1, "x", 1));
	cli_open(&g_a);
	const char *r = ask(&g_a, "ps sort=mailbox limit=3");
	unsigned long total = 0;
	const char *t = strstr(r, "\"total\":");
	ck_assert_ptr_nonnull(t);
	total = strtoul(t + 8, NULL, 10);
	ck_assert_uint_ge(total, n);
	const char *a = strstr(r, pid_text(p[n - 1]));
	const char *b = strstr(r, pid_text(p[n / 2]));
	const char *c = strstr(r, pid_text(p[1]));
	ck_assert_msg(a && b && c && a < b && b < c, "not by mailbox: %s", r);
	assert_has(r, "\"mailbox\":3");
	r = ask(&g_a, "ps sort=activity limit=10000");
	ck_assert_int_ge(count(r, "\"pid\":"), (int)n);
	ot_reason k = ot_reason_kill();
	for (size_t i = 0; i < n; i++)
		ck_assert_ot_ok(ot_exit_pid(p[i], &k));
	free(p);
}
END_TEST

/* Garbage, unknown commands, wrong arity: an error each, and the
 * connection goes on. */
START_TEST(test_garbage)
{
	cli_open(&g_a);
	const char *r = ask(&g_a, "\x01\x02\xff zzz");
	assert_has(r, "\"error\":\"unknown command \\u0001\\u0002\\ufffd");
	r = ask(&g_a, "frobnicate");
	assert_has(r, "\"code\":\"OT_EINVAL\"");
	r = ask(&g_a, "info");
	assert_has(r, "usage: info");
	r = ask(&g_a, "tree extra");
	assert_has(r, "usage: tree");
	r = ask(&g_a, "a b c d e f g h i j");
	assert_has(r, "too many words");
	cli_send(&g_a, "he\0lp\n", 6);
	r = cli_line(&g_a);
	ck_assert_ptr_nonnull(r);
	assert_has(r, "NUL");
	/* blank lines get nothing; CRLF is a line end */
	cli_send(&g_a, "\n\r\nhelp\r\n", 9);
	r = cli_line(&g_a);
	ck_assert_ptr_nonnull(r);
	assert_has(r, "\"commands\":");
	/* every reply is one line of JSON: the newline in a name is escaped */
	r = ask(&g_a, "info a\"b\\c");
	assert_has(r, "a\\\"b\\\\c");
}
END_TEST

/* A line over the limit: an error, then the connection is closed; the
 * observer serves the next one. A line just under it is served. */
START_TEST(test_huge_line)
{
	static char big[OT_OBSERVER_LINE_MAX + 100];
	memset(big, 'x', sizeof big);
	cli_open(&g_a);
	cli_send(&g_a, big, sizeof big);
	const char *r = cli_line(&g_a);
	ck_assert_ptr_nonnull(r);
	assert_has(r, "longer than 4095 bytes");
	ck_assert_ptr_null(cli_line(&g_a)); /* closed */
	cli_close(&g_a);

	cli_open(&g_a);
	memcpy(big, "info ", 5);
	big[OT_OBSERVER_LINE_MAX - 1] = '\n';
	cli_send(&g_a, big, OT_OBSERVER_LINE_MAX);
	r = cli_line(&g_a);
	ck_assert_ptr_nonnull(r);
	assert_has(r, "name too long");
	r = ask(&g_a, "help");
	assert_has(r, "\"commands\":");
}
END_TEST

/* Clients that leave mid-request, or before reading the reply: nothing
 * is disturbed, nothing leaks (the fixture checks processes). */
START_TEST(test_disconnect)
{
	ot_pid root = start_tree();
	int fds = ot_test_count_fds();
	for (int i = 0; i < 20; i++) {
		cli_open(&g_a);
		cli_send(&g_a, i % 2 ? "tre" : "tree\nps\nhistory\n",
			 i % 2 ? 3 : 17);
		cli_close(&g_a);
	}
	cli_open(&g_b);
	const char *r = ask(&g_b, "tree");
	assert_has(r, "\"id\":\"w2\"");
	cli_close(&g_b);
	/* every connection's process and descriptor goes */
	for (int i = 0; i < 5000 && ot_test_count_fds() > fds; i++)
		ot_sleep(1);
	ck_assert_int_le(ot_test_count_fds(), fds);
	ck_assert_ot_ok(ot_supervisor_stop(root, 5000));
}
END_TEST

/* A client that sends requests and never reads: it is dropped when its
 * replies cannot go out, and the others are served meanwhile. */
START_TEST(test_slow_reader)
{
	ot_pid root = start_tree();
	cli_open(&g_a);
	int small = 4096;
	setsockopt(g_a.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	const char *req = "ps limit=10000\n";
	bool dropped = false;
	for (int i = 0; i < 200000 && !dropped; i++) {
		ssize_t n =
		    send(g_a.fd, req, strlen(req), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			dropped = true;
		else if (n < 0)
			ot_sleep(1); /* our send buffer is full: wait */
		if (i % 64 == 0) {   /* meanwhile the system is served */
			char reply[8];
			size_t rs;
			ck_assert_ot_ok(
			    ot_gen_server_call(pid_of("t.w1"), "x", 1, reply,
					       sizeof reply, &rs, 5000, NULL));
			cli_open(&g_b);
			assert_has(ask(&g_b, "help"), "\"commands\":");
			cli_close(&g_b);
		}
	}
	ck_assert_msg(dropped, "a client that never reads was not dropped");
	ck_assert_ot_ok(ot_supervisor_stop(root, 5000));
}
END_TEST

/* A pid that is gone, a malformed one, a name nobody has. */
START_TEST(test_gone)
{
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(ot_test_idle, NULL, NULL, &p));
	ot_reason k = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(p, &k));
	while (ot_is_alive(p))
		ot_sleep(1);
	cli_open(&g_a);
	char req[96];
	const char *r;
	static const char *const cmds[] = {"info", "state", "kill"};
	for (int i = 0; i < 3; i++) {
		snprintf(req, sizeof req, "%s %s", cmds[i], pid_text(p));
		r = ask(&g_a, req);
		assert_has(r, "\"code\":\"OT_ENOPROC\"");
		snprintf(req, sizeof req, "%s nobody.here", cmds[i]);
		r = ask(&g_a, req);
		assert_has(r, "no process is registered as nobody.here");
	}
	r = ask(&g_a, "info <0.x.1>");
	assert_has(r, "\"code\":\"OT_ENOPROC\"");
	r = ask(&g_a, "info <0.1.99999999999>");
	assert_has(r, "\"code\":\"OT_ENOPROC\"");
	r = ask(&g_a, "restart nobody.here w1");
	assert_has(r, "\"code\":\"OT_ENOPROC\"");
	/* state of a process that is not a gen_server */
	ck_assert_ot_ok(ot_spawn(ot_test_idle, NULL, NULL, &p));
	snprintf(req, sizeof req, "state %s", pid_text(p));
	r = ask(&g_a, req);
	assert_has(r, "not a gen_server");
	ck_assert_ot_ok(ot_exit_pid(p, &k));
}
END_TEST

/* A crash: in the history (counts and an event) and in the restart
 * count of its child. */
START_TEST(test_crash_history)
{
	ot_pid root = start_tree();
	cli_open(&g_a);
	const char *r = ask(&g_a, "history");
	assert_has(r, "\"crashes_total\":0");
	ot_pid w2 = pid_of("t.w2");
	ck_assert_ot_ok(ot_gen_server_cast(w2, "segv", 4));
	bool seen = false;
	for (int i = 0; i < 5000 && !seen; i++) {
		r = ask(&g_a, "history");
		/* the crash report may come after the restart's */
		seen = strstr(r, "\"restarts_total\":1") &&
		       strstr(r, "\"crashes_total\":1");
		if (!seen)
			ot_sleep(1);
	}
	ck_assert_msg(seen, "no restart in %s", r);
	assert_has(r, "\"crashes_total\":1");
	assert_has(r, "\"kind\":\"crash\"");
	assert_has(r, "\"kind\":\"restart\"");
	assert_has(r, "SIGSEGV");
	assert_has(r, "\"name\":\"t.w2\"");
	/* the last second's bucket holds them */
	ck_assert(strstr(r, ",1]") || strstr(r, ",1,"));
	r = ask(&g_a, "tree");
	const char *w = strstr(r, "\"id\":\"w2\"");
	ck_assert_ptr_nonnull(w);
	assert_has(w, "\"restarts\":1");
	ck_assert_ot_ok(ot_supervisor_stop(root, 5000));
}
END_TEST

/* Only the owner: the file is 0600, and a peer of another uid is closed
 * without a reply (as root, the test can be another uid). */
START_TEST(test_other_uid)
{
	struct stat st;
	ck_assert_int_eq(lstat(g_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	if (geteuid() != 0)
		return; /* cannot be another uid: the mode is the check */
	/* chmod the socket open, so that the kernel lets nobody connect:
	 * SO_PEERCRED must still refuse it */
	ck_assert_int_eq(chmod(g_path, 0666), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		if (setuid(65534) != 0)
			_exit(3);
		int fd = connect_unix(g_path);
		if (fd < 0)
			_exit(4);
		send(fd, "help\n", 5, MSG_NOSIGNAL);
		char b[64];
		ssize_t n = recv(fd, b, sizeof b, 0);
		_exit(n <= 0 ? 0 : 5); /* closed, no reply */
	}
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "another uid: status %d", status);
	chmod(g_path, 0600);
	cli_open(&g_a);
	assert_has(ask(&g_a, "help"), "\"commands\":");
}
END_TEST

/* Bad arguments, twice, leftovers, stop and open again. */
START_TEST(test_listen_errors)
{
	ck_assert_ot_err(ot_observer_listen(NULL), OT_EINVAL);
	ck_assert_ot_err(ot_observer_listen(""), OT_EINVAL);
	ck_assert_ot_err(ot_observer_listen(g_path), OT_EALREADY);
	ck_assert_ot_ok(ot_observer_stop());
	ck_assert_ot_ok(ot_observer_stop());
	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	ck_assert_ot_err(ot_observer_listen(longp), OT_ENAMETOOLONG);
	/* a file that is not a socket is left alone */
	char file[128];
	snprintf(file, sizeof file, "%s.file", g_path);
	int f = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(f, 0);
	close(f);
	ck_assert_ot_sys(ot_observer_listen(file), EADDRINUSE);
	unlink(file);
	/* a socket nobody serves is replaced */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", g_path);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	close(s);
	ck_assert_ot_ok(ot_observer_listen(g_path));
	cli_open(&g_a);
	assert_has(ask(&g_a, "help"), "\"commands\":");
	ck_assert_ot_err(ot_observer_http_port(), OT_ENOTFOUND);
}
END_TEST

/* ---- HTTP -----------------------------------------------------------------
 */

/* A raw request to the HTTP endpoint; the whole response into out. */
static void http(const char *req, char *out, size_t cap)
{
	int port = ot_observer_http_port();
	ck_assert_int_gt(port, 0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
			 (ssize_t)strlen(req));
	size_t have = 0;
	ssize_t n;
	while (have + 1 < cap &&
	       (n = recv(fd, out + have, cap - have - 1, 0)) > 0)
		have += (size_t)n;
	out[have] = '\0';
	close(fd);
}

START_TEST(test_http)
{
	static char r[1 << 20];
	ck_assert_ot_err(ot_observer_listen_http("nonsense"), OT_EINVAL);
	ck_assert_ot_err(ot_observer_listen_http("127.0.0.1:99999"), OT_EINVAL);
	ck_assert_ot_err(ot_observer_listen_http("localhost:80"), OT_EINVAL);
	ck_assert_ot_ok(ot_observer_listen_http("127.0.0.1:0"));
	ck_assert_ot_err(ot_observer_listen_http("127.0.0.1:0"), OT_EALREADY);
	ot_pid root = start_tree();
	http("GET /api/tree HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", r, sizeof r);
	assert_has(r, "HTTP/1.1 200 OK");
	assert_has(r, "Content-Type: application/json");
	assert_has(r, "\"id\":\"w2\"");
	http("GET /api/ps?sort=mailbox&limit=1 HTTP/1.1\r\nHost: "
	     "localhost:8070\r\n\r\n",
	     r, sizeof r);
	assert_has(r, "\"sort\":\"mailbox\"");
	http("GET /api/info/t.w1 HTTP/1.1\r\nHost: [::1]:1\r\n\r\n", r,
	     sizeof r);
	assert_has(r, "\"name\":\"t.w1\"");
	char req[256];
	snprintf(req, sizeof req,
		 "GET /api/info/%%3C0.999999.1%%3E HTTP/1.1\r\nHost: "
		 "127.0.0.1\r\n\r\n");
	http(req, r, sizeof r);
	assert_has(r, "HTTP/1.1 404");
	assert_has(r, "OT_ENOPROC");
	http("GET /api/history HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", r,
	     sizeof r);
	assert_has(r, "\"restarts\":[");
	/* DNS rebinding: a name that is not localhost */
	http("GET /api/tree HTTP/1.1\r\nHost: evil.example:8070\r\n\r\n", r,
	     sizeof r);
	assert_has(r, "HTTP/1.1 403");
	http("GET /api/tree HTTP/1.1\r\n\r\n", r, sizeof r);
	assert_has(r, "HTTP/1.1 403");
	/* read only */
	http("POST /api/tree HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", r, sizeof r);
	assert_has(r, "HTTP/1.1 405");
	http("GET /api/kill/t.w1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", r,
	     sizeof r);
	assert_has(r, "HTTP/1.1 404");
	http("GET /api/ps?sort=memory%20kill HTTP/1.1\r\nHost: "
	     "127.0.0.1\r\n\r\n",
	     r, sizeof r);
	assert_has(r, "HTTP/1.1 404");
	ck_assert(ot_is_alive(pid_of("t.w1")));
	/* garbage and a head too large */
	http("\x01\x02garbage\r\n\r\n", r, sizeof r);
	assert_has(r, "HTTP/1.1 400");
	static char big[9000];
	memset(big, 'a', sizeof big - 1);
	http(big, r, sizeof r);
	assert_has(r, "HTTP/1.1 413");
	/* the dashboard's files, from OTTER_OBSERVER_DATA */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/data/observer",
		 getenv("srcdir") ? getenv("srcdir") : ".");
	setenv("OTTER_OBSERVER_DATA", dir, 1);
	http("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", r, sizeof r);
	assert_has(r, "HTTP/1.1 200 OK");
	assert_has(r, "text/html");
	http("HEAD /observer.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", r,
	     sizeof r);
	assert_has(r, "HTTP/1.1 200 OK");
	ck_assert_ptr_null(strstr(r, "function"));
	setenv("OTTER_OBSERVER_DATA", "/nonexistent", 1);
	http("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", r, sizeof r);
	assert_has(r, "HTTP/1.1 404");
	ck_assert_ot_ok(ot_supervisor_stop(root, 5000));
}
END_TEST

static Suite *observer_suite(void)
{
	Suite *s = suite_create("observer");
	TCase *tc = tcase_create("socket");
	tcase_set_timeout(tc, 60 * tmul());
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_ps_many);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_huge_line);
	tcase_add_test(tc, test_disconnect);
	tcase_add_test(tc, test_slow_reader);
	tcase_add_test(tc, test_gone);
	tcase_add_test(tc, test_crash_history);
	tcase_add_test(tc, test_other_uid);
	tcase_add_test(tc, test_listen_errors);
	tcase_add_test(tc, test_http);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(observer_suite());
}
