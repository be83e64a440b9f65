/* SPDX-License-Identifier: MIT */
/*
 * test_kv.c — the KV service of examples/kv, over real TCP on loopback.
 *
 * Each test starts the service in-process (the example's files are a
 * library: examples/kv/libkv.la) on an ephemeral port with CRASH allowed,
 * and talks to it as a client would: plain blocking sockets, on the test
 * thread and on pthreads of its own, nothing of otter on the client side.
 * The fixture stops the service after each test and checks that every
 * descriptor it opened was closed (ot_test_count_fds() comes back) on top
 * of otter's own leak checks.
 *
 *  - protocol: every command and every error, line endings, white space,
 *    commands split across writes and several in one write, the longest
 *    line and one byte more, CRASH refused without --allow-crash;
 *  - robustness: a 1 MB line without a newline, malformed lines, clients
 *    that disconnect in the middle of a command, many connections, the
 *    service stopped under open connections — while other clients go on;
 *  - limits: idle connections are closed after the idle timeout, and a
 *    line that never ends after the line timeout, each with a line that
 *    says why; a full table gives a new client the slot of the
 *    connection idle longest since its last reply, refuses it only when
 *    every connection is busy, and a table of KV_MAX_CONNECTIONS silent
 *    clients (issue 15 #9) still lets every new client in;
 *  - concurrency: 100 clients at once, each checking every answer;
 *  - crash_*: CRASH against a bucket, the registry and a connection, with
 *    each fault (SIGSEGV, SIGFPE, abort, stack overflow), while background
 *    clients keep working, and the recovery OTP's design promises: a
 *    crashed bucket's name is gone; after the registry's crash every bucket
 *    was restarted with it, empty, and registry and bucket supervisor
 *    agree; a crashed connection closes that connection only.
 *
 * Worker threads never assert (Check asserts from the test thread only):
 * they record their first error, which the test thread then checks.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fixture.h"
#include "kv.h"

/* The sanitizer options that leave fault signals to otter (its faults are
 * not used here: the service commits its own). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#include "faults.h"
#pragma GCC diagnostic pop

/* ---- the service under test ---------------------------------------------- */

static struct kv_service g_svc;
static int g_fds_before; /* open descriptors before the service started */

/* Reports from otter's logger, kept for the tests to look at. */
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_log;
static size_t g_log_len;

static void test_logger(const char *report, void *arg)
{
	size_t n = strlen(report);
	pthread_mutex_lock(&g_log_lock);
	char *p = realloc(g_log, g_log_len + n + 2);
	if (p) {
		g_log = p;
		memcpy(g_log + g_log_len, report, n);
		g_log_len += n;
		g_log[g_log_len++] = '\n';
		g_log[g_log_len] = '\0';
	}
	pthread_mutex_unlock(&g_log_lock);
	if (getenv("KV_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", report);
}

/* Waits (up to 5 s, scaled) for a report that contains text. */
static bool report_seen(const char *text)
{
	int64_t deadline = now_ms() + scaled_ms(5000);
	for (;;) {
		pthread_mutex_lock(&g_log_lock);
		bool found = g_log && strstr(g_log, text);
		pthread_mutex_unlock(&g_log_lock);
		if (found)
			return true;
		if (now_ms() > deadline)
			return false;
		usleep(5000);
	}
}

static void start_service_with(const struct kv_options *o)
{
	ot_reason why;
	int rc = kv_start(o, &g_svc, &why);
	char text[OT_REASON_STRLEN] = "";
	if (rc)
		ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "kv_start: %s %s (errno %s)", ot_err_name(rc),
		      text, strerror(errno));
	ck_assert_int_gt(g_svc.port, 0);
}

static void start_service(bool allow_crash)
{
	struct kv_options o = {.allow_crash = allow_crash};
	start_service_with(&o);
}

/* Stops the fixture's service and starts one with o (CRASH allowed). */
static void restart_service(struct kv_options o)
{
	ck_assert_ot_ok(kv_stop(&g_svc));
	o.allow_crash = true;
	start_service_with(&o);
}

static void kv_setup(void)
{
	ot_set_logger(test_logger, NULL);
	g_fds_before = ot_test_count_fds();
	start_service(true);
}

static void kv_teardown(void)
{
	if (!ot_pid_is_none(g_svc.root))
		ck_assert_ot_ok(kv_stop(&g_svc));
	int64_t deadline = now_ms() + scaled_ms(2000);
	while (ot_test_count_fds() != g_fds_before && now_ms() < deadline)
		usleep(5000);
	ck_assert_msg(
	    ot_test_count_fds() == g_fds_before,
	    "%d descriptors open after the service stopped, %d before",
	    ot_test_count_fds(), g_fds_before);
	/* A report already on its way (the crash report a scheduler writes
	 * after the service stopped) may still be in test_logger: the lock
	 * keeps it off the buffer while it goes. */
	ot_set_logger(NULL, NULL);
	pthread_mutex_lock(&g_log_lock);
	free(g_log);
	g_log = NULL;
	g_log_len = 0;
	pthread_mutex_unlock(&g_log_lock);
}

/* ---- a client: a blocking socket ----------------------------------------- */

struct cl {
	int fd;
	size_t len;
	char buf[KV_REPLY_MAX + 16];
};

/* Connects to the service; NULL on failure. The caller frees it with
 * cl_close(). */
/* A blocking socket connected to the service, with 10 s (scaled) send
 * and receive timeouts and, when rcvbuf > 0, a receive buffer that small;
 * -1 on failure. */
static int tcp_connect(int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {(time_t)(10 * tmul()), 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)g_svc.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct cl *cl_open_rcvbuf(int rcvbuf)
{
	struct cl *c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	c->len = 0;
	c->fd = tcp_connect(rcvbuf);
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static struct cl *cl_open(void)
{
	return cl_open_rcvbuf(0);
}

static void cl_close(struct cl *c)
{
	if (c) {
		close(c->fd);
		free(c);
	}
}

static bool cl_send(struct cl *c, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Sends a string literal, NUL bytes inside included. */
#define SEND_LIT(c, lit) cl_send((c), (lit), sizeof(lit) - 1)

/* How a read ended when it got no line. */
enum { R_LINE = 1, R_EOF = 0, R_RESET = -1, R_TIMEOUT = -2 };

/* Reads one reply line, without its \r\n, into out (NUL-terminated;
 * *len, may be NULL, its length). */
static int cl_line(struct cl *c, char *out, size_t cap, size_t *len)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			size_t keep = n && nl[-1] == '\r' ? n - 1 : n;
			size_t copy = keep < cap - 1 ? keep : cap - 1;
			memcpy(out, c->buf, copy);
			out[copy] = '\0';
			if (len)
				*len = keep;
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return R_LINE;
		}
		if (c->len == sizeof(c->buf))
			return R_RESET; /* no line this long comes from kv */
		ssize_t r =
		    recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r == 0)
			return R_EOF;
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK
				   ? R_TIMEOUT
				   : R_RESET;
		c->len += (size_t)r;
	}
}

/* Sends line and \r\n, reads the first reply line into out. */
static bool cl_cmd(struct cl *c, const char *line, char *out, size_t cap)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s\r\n", line);
	out[0] = '\0';
	return cl_send(c, msg, (size_t)n) &&
	       cl_line(c, out, cap, NULL) == R_LINE;
}

/* A GET: 1 with the value in out, 0 for NOT FOUND, -1 for anything else
 * (out then holds what came). */
static int cl_get(struct cl *c, const char *bucket, const char *key, char *out,
		  size_t cap)
{
	char line[256], ok[64];
	snprintf(line, sizeof(line), "GET %s %s", bucket, key);
	if (!cl_cmd(c, line, out, cap))
		return -1;
	if (strcmp(out, "NOT FOUND") == 0)
		return 0;
	if (cl_line(c, ok, sizeof(ok), NULL) != R_LINE || strcmp(ok, "OK"))
		return -1;
	return 1;
}

/* Asserting forms for the test thread. */
#define expect_cmd(c, line, want)                                              \
	do {                                                                   \
		char got_[256];                                                \
		bool sent_ = cl_cmd((c), (line), got_, sizeof(got_));          \
		ck_assert_msg(sent_ &&strcmp(got_, (want)) == 0,               \
			      "%s: got \"%s\"%s, want \"%s\"", (line), got_,   \
			      sent_ ? "" : " (no reply)", (want));             \
	} while (0)

#define expect_get(c, bucket, key, want)                                       \
	do {                                                                   \
		char got_[256];                                                \
		int r_ = cl_get((c), (bucket), (key), got_, sizeof(got_));     \
		ck_assert_msg(r_ == 1 && strcmp(got_, (want)) == 0,            \
			      "GET %s %s: got \"%s\" (%d), want \"%s\"",       \
			      (bucket), (key), got_, r_, (want));              \
	} while (0)

/* Waits for the end of the connection: true for EOF or a reset, false
 * for a timeout or for more data. */
static bool closed_by_server(struct cl *c)
{
	char line[256];
	int r;
	while ((r = cl_line(c, line, sizeof(line), NULL)) == R_LINE)
		;
	return r == R_EOF || r == R_RESET;
}

/* ---- helpers on the service's state -------------------------------------- */

static ot_pid whereis(const char *name)
{
	ot_pid pid = OT_PID_NONE;
	ot_whereis(name, &pid);
	return pid;
}

static ot_pid bucket_pid(const char *name)
{
	ot_pid pid = OT_PID_NONE;
	kv_registry_lookup((struct kv_str){name, strlen(name)}, &pid);
	return pid;
}

static size_t connections(void)
{
	ot_child_counts n = {0};
	ot_supervisor_count_children(whereis(KV_CONN_SUP_NAME), &n);
	return n.active;
}

/* The sockets kv.sockets holds (its status says), or SIZE_MAX. */
static size_t sockets_held(void)
{
	char status[256];
	size_t n;
	if (ot_gen_server_get_state(whereis(KV_SOCKETS_NAME), status,
				    sizeof(status), scaled_ms(5000)) != 0 ||
	    sscanf(status, "sockets: %zu connections", &n) != 1)
		return SIZE_MAX;
	return n;
}

/* Waits until kv.conn_sup runs want connections and kv.sockets holds as
 * many sockets: the slots it counts are free only once it has had the
 * DOWNs of the connections that ended. */
static void wait_connections(size_t want)
{
	int64_t deadline = now_ms() + scaled_ms(5000);
	while ((connections() != want || sockets_held() != want) &&
	       now_ms() < deadline)
		usleep(5000);
	ck_assert_msg(connections() == want && sockets_held() == want,
		      "%zu connections, %zu sockets, want %zu", connections(),
		      sockets_held(), want);
}

/* Waits until the registry and kv.bucket_sup agree; returns the count. */
static size_t wait_consistent(void)
{
	size_t names = 0, buckets = 1;
	int64_t deadline = now_ms() + scaled_ms(5000);
	for (;;) {
		int r1 = kv_registry_count(&names);
		int r2 = kv_bucket_sup_count(&buckets);
		if (r1 == 0 && r2 == 0 && names == buckets)
			return names;
		ck_assert_msg(now_ms() < deadline,
			      "registry has %zu names (%s), kv.bucket_sup %zu "
			      "buckets (%s)",
			      names, ot_err_name(r1), buckets, ot_err_name(r2));
		usleep(5000);
	}
}

/* ---- background clients -------------------------------------------------- */

/*
 * A background client: its own connection and bucket, commands in a loop
 * until told to stop, every answer checked. Strict: every answer must be
 * right. Lenient (while the registry crashes): a bucket may vanish (NOT
 * FOUND), then it is created again. Either way the connection must stay
 * up and nothing may time out.
 */
struct bg {
	pthread_t thread;
	int id;
	bool lenient;
	atomic_bool *stop;
	atomic_long ops;      /* commands answered */
	atomic_long vanished; /* NOT FOUNDs accepted (lenient) */
	atomic_bool done;     /* the thread ended */
	char err[256];	      /* the first error, "" if none (read it after
				 the thread was joined) */
};

static void *bg_main(void *arg)
{
	struct bg *b = arg;
	char bucket[32], key[32], val[32], line[128], got[256];
	struct cl *c = cl_open();
	if (!c) {
		snprintf(b->err, sizeof(b->err), "bg%d: cannot connect", b->id);
		return NULL;
	}
	snprintf(bucket, sizeof(bucket), "bg%d", b->id);
	snprintf(line, sizeof(line), "CREATE %.60s", bucket);
	if (!cl_cmd(c, line, got, sizeof(got)) || strcmp(got, "OK")) {
		snprintf(b->err, sizeof(b->err), "bg%d: CREATE: \"%.60s\"",
			 b->id, got);
		goto out;
	}
	for (long i = 0; !atomic_load(b->stop); i++) {
		snprintf(key, sizeof(key), "k%ld", i % 16);
		snprintf(val, sizeof(val), "v%ld", i);
		snprintf(line, sizeof(line), "PUT %.60s %.60s %.60s", bucket,
			 key, val);
		if (!cl_cmd(c, line, got, sizeof(got)))
			goto lost;
		bool vanished = strcmp(got, "NOT FOUND") == 0;
		if (!vanished && strcmp(got, "OK")) {
			snprintf(b->err, sizeof(b->err),
				 "bg%d: %.60s: \"%.60s\"", b->id, line, got);
			goto out;
		}
		int r = vanished ? 0 : cl_get(c, bucket, key, got, sizeof(got));
		if (r < 0) {
			snprintf(b->err, sizeof(b->err),
				 "bg%d: GET %.60s %.60s: \"%.60s\"", b->id,
				 bucket, key, got);
			goto out;
		}
		if (r == 1 && strcmp(got, val)) {
			snprintf(b->err, sizeof(b->err),
				 "bg%d: GET %.60s: \"%.60s\", want \"%.60s\"",
				 b->id, key, got, val);
			goto out;
		}
		atomic_fetch_add(&b->ops, 2);
		if (r == 0) {
			if (!b->lenient) {
				snprintf(b->err, sizeof(b->err),
					 "bg%d: bucket vanished", b->id);
				goto out;
			}
			atomic_fetch_add(&b->vanished, 1);
			snprintf(line, sizeof(line), "CREATE %.60s", bucket);
			if (!cl_cmd(c, line, got, sizeof(got)))
				goto lost;
			if (strcmp(got, "OK")) {
				snprintf(b->err, sizeof(b->err),
					 "bg%d: CREATE again: \"%.60s\"", b->id,
					 got);
				goto out;
			}
		}
	}
	goto out;
lost:
	snprintf(b->err, sizeof(b->err), "bg%d: connection lost (%.60s)", b->id,
		 strerror(errno));
out:
	cl_close(c);
	atomic_store(&b->done, true);
	return NULL;
}

#define N_BG 4
static struct bg g_bg[N_BG];
static atomic_bool g_bg_stop;

static void bg_start(bool lenient)
{
	atomic_store(&g_bg_stop, false);
	for (int i = 0; i < N_BG; i++) {
		g_bg[i] = (struct bg){
		    .id = i, .lenient = lenient, .stop = &g_bg_stop};
		ck_assert_int_eq(
		    pthread_create(&g_bg[i].thread, NULL, bg_main, &g_bg[i]),
		    0);
	}
	/* Let them get going. */
	int64_t deadline = now_ms() + scaled_ms(5000);
	for (int i = 0; i < N_BG; i++)
		while (atomic_load(&g_bg[i].ops) == 0 &&
		       !atomic_load(&g_bg[i].done) && now_ms() < deadline)
			usleep(1000);
}

/* Stops the background clients and checks they never failed. */
static void bg_stop(void)
{
	atomic_store(&g_bg_stop, true);
	for (int i = 0; i < N_BG; i++)
		pthread_join(g_bg[i].thread, NULL);
	for (int i = 0; i < N_BG; i++) {
		ck_assert_msg(!g_bg[i].err[0], "%s", g_bg[i].err);
		ck_assert_msg(atomic_load(&g_bg[i].ops) > 0,
			      "bg%d answered nothing", i);
	}
}

/* ---- protocol ------------------------------------------------------------ */

START_TEST(test_commands)
{
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE shopping", "OK");
	expect_cmd(c, "PUT shopping milk 1", "OK");
	expect_cmd(c, "PUT shopping eggs 3", "OK");
	expect_get(c, "shopping", "milk", "1");
	expect_get(c, "shopping", "eggs", "3");
	/* An absent key: an empty line, then OK. */
	expect_get(c, "shopping", "bread", "");
	/* PUT replaces. */
	expect_cmd(c, "PUT shopping milk 2", "OK");
	expect_get(c, "shopping", "milk", "2");
	expect_cmd(c, "DELETE shopping eggs", "OK");
	expect_get(c, "shopping", "eggs", "");
	/* Deleting what is not there is fine. */
	expect_cmd(c, "DELETE shopping eggs", "OK");
	/* CREATE of an existing bucket keeps it and its data. */
	ot_pid before = bucket_pid("shopping");
	expect_cmd(c, "CREATE shopping", "OK");
	ck_assert(ot_pid_equal(before, bucket_pid("shopping")));
	expect_get(c, "shopping", "milk", "2");
	/* Buckets are separate; names are bytes, case counts. */
	expect_cmd(c, "CREATE Shopping", "OK");
	expect_get(c, "Shopping", "milk", "");
	expect_cmd(c, "PUT Shopping milk 9", "OK");
	expect_get(c, "shopping", "milk", "2");
	ck_assert_uint_eq(wait_consistent(), 2);
	cl_close(c);
}
END_TEST

START_TEST(test_not_found)
{
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "PUT nowhere k v", "NOT FOUND");
	expect_cmd(c, "GET nowhere k", "NOT FOUND");
	expect_cmd(c, "DELETE nowhere k", "NOT FOUND");
	expect_cmd(c, "CRASH nowhere segv", "NOT FOUND");
	/* Nothing was created on the way. */
	ck_assert_uint_eq(wait_consistent(), 0);
	expect_cmd(c, "CREATE nowhere", "OK");
	expect_get(c, "nowhere", "k", "");
	cl_close(c);
}
END_TEST

START_TEST(test_unknown_command)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "HELLO",
	    "create shopping", /* verbs are upper case */
	    "Create shopping",
	    "CREATE",
	    "CREATE a b",
	    "PUT",
	    "PUT a",
	    "PUT a b",
	    "PUT a b c d", /* a value is one word */
	    "GET",
	    "GET a",
	    "GET a b c",
	    "DELETE a",
	    "DELETE a b c",
	    "GETS a b",
	    "CRASH",
	    "CRASH registry",
	    "CRASH registry boom",
	    "CRASH registry segv now",
	    "CRASH connection SEGV",
	};
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE a", "OK");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_cmd(c, bad[i], "UNKNOWN COMMAND");
	/* The connection is still fine, the registry untouched. */
	expect_cmd(c, "PUT a b c", "OK");
	expect_get(c, "a", "b", "c");
	ck_assert_uint_eq(wait_consistent(), 1);
	cl_close(c);
}
END_TEST

START_TEST(test_crash_needs_flag)
{
	ck_assert_ot_ok(kv_stop(&g_svc));
	start_service(false);
	ot_pid reg = whereis(KV_REGISTRY_NAME);
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE a", "OK");
	expect_cmd(c, "CRASH registry segv", "UNKNOWN COMMAND");
	expect_cmd(c, "CRASH a fpe", "UNKNOWN COMMAND");
	expect_cmd(c, "CRASH connection abort", "UNKNOWN COMMAND");
	expect_cmd(c, "PUT a k v", "OK");
	expect_get(c, "a", "k", "v");
	ck_assert(ot_pid_equal(reg, whereis(KV_REGISTRY_NAME)));
	cl_close(c);
}
END_TEST

START_TEST(test_line_endings_and_spaces)
{
	struct cl *c = cl_open();
	char got[256];
	ck_assert_ptr_nonnull(c);
	/* \n alone. */
	ck_assert(SEND_LIT(c, "CREATE b\n"));
	ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	/* Words separated by any run of blanks, leading and trailing too. */
	expect_cmd(c, "  PUT \t b  k1\tv1  ", "OK");
	expect_get(c, "b", "k1", "v1");
	/* Several commands in one write: answers in order. */
	const char *many = "PUT b k2 v2\r\nPUT b k3 v3\nGET b k2\r\nGET b k3\n";
	ck_assert(cl_send(c, many, strlen(many)));
	const char *want[] = {"OK", "OK", "v2", "OK", "v3", "OK"};
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
		ck_assert_str_eq(got, want[i]);
	}
	/* One command a byte at a time. */
	const char *slow = "PUT b k4 v4\r\n";
	for (size_t i = 0; slow[i]; i++) {
		ck_assert(cl_send(c, slow + i, 1));
		usleep(1000);
	}
	ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	expect_get(c, "b", "k4", "v4");
	/* \r\n split between two writes. */
	ck_assert(SEND_LIT(c, "GET b k4\r"));
	usleep(20000);
	ck_assert(SEND_LIT(c, "\n"));
	ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "v4");
	ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	/* Empty lines are unknown commands, each answered. */
	ck_assert(SEND_LIT(c, "\r\n\n"));
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
		ck_assert_str_eq(got, "UNKNOWN COMMAND");
	}
	cl_close(c);
}
END_TEST

/* The longest line is served; one byte more is refused, and closes. */
START_TEST(test_longest_line)
{
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE big", "OK");
	/* "PUT big k " + value = KV_LINE_MAX bytes, then \r\n. */
	size_t head = strlen("PUT big k ");
	size_t vlen = KV_LINE_MAX - head;
	char *line = malloc(KV_LINE_MAX + 3);
	memcpy(line, "PUT big k ", head);
	for (size_t i = 0; i < vlen; i++)
		line[head + i] = (char)('a' + i % 26);
	memcpy(line + KV_LINE_MAX, "\r\n", 2);
	ck_assert(cl_send(c, line, KV_LINE_MAX + 2));
	char *got = malloc(KV_REPLY_MAX);
	size_t len = 0;
	ck_assert_int_eq(cl_line(c, got, KV_REPLY_MAX, NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	/* GET answers with the whole value. */
	ck_assert(SEND_LIT(c, "GET big k\r\n"));
	ck_assert_int_eq(cl_line(c, got, KV_REPLY_MAX, &len), R_LINE);
	ck_assert_uint_eq(len, vlen);
	ck_assert(memcmp(got, line + head, vlen) == 0);
	ck_assert_int_eq(cl_line(c, got, KV_REPLY_MAX, NULL), R_LINE);
	ck_assert_str_eq(got, "OK");

	/* One byte more (with \n only: the \r does not count either way). */
	struct cl *c2 = cl_open();
	ck_assert_ptr_nonnull(c2);
	line[KV_LINE_MAX] = 'x';
	line[KV_LINE_MAX + 1] = '\n';
	cl_send(c2, line, KV_LINE_MAX + 2); /* may fail: it is closed */
	int r = cl_line(c2, got, KV_REPLY_MAX, NULL);
	ck_assert_msg(r == R_EOF || r == R_RESET ||
			  (r == R_LINE && !strcmp(got, "ERROR LINE TOO LONG")),
		      "a line too long: %d \"%.40s\"", r, got);
	ck_assert(closed_by_server(c2));
	cl_close(c2);
	/* The first client goes on. */
	expect_get(c, "big", "nothing", "");
	free(got);
	free(line);
	cl_close(c);
}
END_TEST

/* ---- robustness ---------------------------------------------------------- */

/* 1 MB without a newline: an error or a closed connection, never a crash
 * or a stall; other clients are served all along. */
START_TEST(test_endless_line)
{
	bg_start(false);
	size_t size = 1024 * 1024;
	char *junk = malloc(size);
	memset(junk, 'x', size);
	for (int round = 0; round < 3; round++) {
		struct cl *c = cl_open();
		ck_assert_ptr_nonnull(c);
		int64_t t0 = now_ms();
		/* The server stops reading after KV_LINE_MAX: the send
		 * fails (reset) or ends in the socket buffers. */
		cl_send(c, junk, size);
		char got[64];
		int r = cl_line(c, got, sizeof(got), NULL);
		ck_assert_msg(
		    r == R_EOF || r == R_RESET ||
			(r == R_LINE && !strcmp(got, "ERROR LINE TOO LONG")),
		    "1 MB line: %d \"%s\"", r, got);
		ck_assert(closed_by_server(c));
		ck_assert_msg(now_ms() - t0 < scaled_ms(5000),
			      "refusing took %lld ms",
			      (long long)(now_ms() - t0));
		cl_close(c);
	}
	free(junk);
	bg_stop();
	wait_connections(0);
}
END_TEST

/* Bytes that make no command: each line gets UNKNOWN COMMAND, the
 * connection stays up. */
START_TEST(test_malformed_lines)
{
	static const char junk[][16] = {
	    "\x01\x02\x03", "\xff\xfe\xfd", "PUT\x00 a b c",
	    "\r\r\r",	    "GET\x7f",	    "\x1b[2J",
	};
	static const size_t lens[] = {3, 3, 11, 3, 4, 4};
	struct cl *c = cl_open();
	char got[256];
	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_assert(cl_send(c, junk[i], lens[i]));
		ck_assert(cl_send(c, "\n", 1));
		ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
		ck_assert_msg(!strcmp(got, "UNKNOWN COMMAND"),
			      "junk %zu: \"%s\"", i, got);
	}
	/* NUL and high bytes are allowed inside a word: they are bytes. */
	ck_assert(SEND_LIT(c, "CREATE n\x00l\r\n"));
	ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	ck_assert(SEND_LIT(c, "PUT n\x00l k\xe9 v\x01\r\n"));
	ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	ck_assert(SEND_LIT(c, "GET n\x00l k\xe9\r\n"));
	size_t len;
	ck_assert_int_eq(cl_line(c, got, sizeof(got), &len), R_LINE);
	ck_assert_uint_eq(len, 2);
	ck_assert(memcmp(got, "v\x01", 2) == 0);
	ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	/* 10,000 empty lines in one go. */
	size_t n = 10000;
	char *empties = malloc(n);
	memset(empties, '\n', n);
	ck_assert(cl_send(c, empties, n));
	free(empties);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(cl_line(c, got, sizeof(got), NULL), R_LINE);
		ck_assert_str_eq(got, "UNKNOWN COMMAND");
	}
	expect_cmd(c, "CREATE after", "OK");
	cl_close(c);
}
END_TEST

/* Clients that go away at the worst moments. */
START_TEST(test_disconnect_mid_command)
{
	bg_start(false);
	struct cl *keep = cl_open();
	ck_assert_ptr_nonnull(keep);
	expect_cmd(keep, "CREATE d", "OK");
	for (int i = 0; i < 20; i++) {
		struct cl *c = cl_open();
		ck_assert_ptr_nonnull(c);
		/* Served first: it has its process before it misbehaves (a
		 * connection still in the listen backlog would be counted
		 * late). */
		expect_get(c, "d", "unset", "");
		switch (i % 5) {
		case 0: /* half a command, then close */
			SEND_LIT(c, "PUT d k");
			break;
		case 1: /* a command, closed before its reply */
			SEND_LIT(c, "PUT d k v\r\nGET d k\r\n");
			break;
		case 2: /* half a command, then shut the writing side */
			SEND_LIT(c, "GET d");
			shutdown(c->fd, SHUT_WR);
			ck_assert(closed_by_server(c));
			break;
		case 3: { /* a reset (SO_LINGER 0) in the middle */
			struct linger lg = {1, 0};
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
			SEND_LIT(c, "PUT d k2 ");
			break;
		}
		case 4: /* a big value, cut off */
		{
			char big[4096];
			memset(big, 'v', sizeof(big));
			SEND_LIT(c, "PUT d k3 ");
			cl_send(c, big, sizeof(big));
			break;
		}
		}
		cl_close(c);
	}
	/* Only the kept client and the background ones remain, and they
	 * all still work. */
	wait_connections(1 + N_BG);
	expect_cmd(keep, "PUT d k v2", "OK");
	expect_get(keep, "d", "k", "v2");
	bg_stop();
	cl_close(keep);
	wait_connections(0);
}
END_TEST

/* Many connections come and go: no process and no descriptor stays. */
START_TEST(test_many_connections)
{
	enum { N = 200 };
	static struct cl *c[N];
	for (int i = 0; i < N; i++) {
		c[i] = cl_open();
		ck_assert_msg(c[i] != NULL, "connection %d", i);
	}
	wait_connections(N);
	for (int i = 0; i < N; i += 7)
		expect_cmd(c[i], "CREATE many", "OK");
	for (int i = 0; i < N; i++)
		cl_close(c[i]);
	wait_connections(0);
}
END_TEST

/* Stopping the service closes the connections it serves. */
START_TEST(test_stop_with_open_connections)
{
	struct cl *idle = cl_open(), *half = cl_open();
	ck_assert_ptr_nonnull(idle);
	ck_assert_ptr_nonnull(half);
	expect_cmd(idle, "CREATE s", "OK");
	SEND_LIT(half, "PUT s k");
	wait_connections(2);
	ck_assert_ot_ok(kv_stop(&g_svc));
	ck_assert(closed_by_server(idle));
	ck_assert(closed_by_server(half));
	cl_close(idle);
	cl_close(half);
	/* The fixture checks that every descriptor was closed. */
}
END_TEST

/* ---- limits: idle connections, slow lines, a full table ------------------ */

/* What a client is told as its connection is closed for each reason. */
#define IDLE_NOTICE    "ERROR IDLE TIMEOUT"
#define LINE_NOTICE    "ERROR LINE TIMEOUT"
#define EVICTED_NOTICE "ERROR SERVER FULL, IDLE CONNECTION CLOSED"
#define REFUSED_NOTICE "ERROR TOO MANY CONNECTIONS"

/* Asserts that the next line c gets is want, and that the server then
 * closes the connection. */
#define expect_closed_with(c, want)                                            \
	do {                                                                   \
		char got_[256];                                                \
		int r_ = cl_line((c), got_, sizeof(got_), NULL);               \
		ck_assert_msg(r_ == R_LINE && strcmp(got_, (want)) == 0,       \
			      "got %d \"%s\", want \"%s\" and the end", r_,    \
			      r_ == R_LINE ? got_ : "", (want));               \
		ck_assert(closed_by_server(c));                                \
	} while (0)

/* True when c has something to read within ms (a line, or the end). */
static bool cl_readable(struct cl *c, int ms)
{
	if (memchr(c->buf, '\n', c->len))
		return true;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	return poll(&p, 1, ms) == 1;
}

/* A client that never sends anything is closed with IDLE TIMEOUT once the
 * timeout has passed; so is one whose last reply is that long ago; and
 * the slots they held serve new clients. No OTP twin (gen_tcp has no idle
 * timeout): redis's `timeout`. */
START_TEST(test_idle_timeout)
{
	enum { MAX = 4 };
	int idle = scaled_ms(300);
	restart_service((struct kv_options){.max_connections = MAX,
					    .idle_timeout_ms = idle});
	struct cl *c[MAX];
	int64_t t0 = now_ms();
	for (int i = 0; i < MAX; i++)
		ck_assert_ptr_nonnull(c[i] = cl_open());
	for (int i = 0; i < MAX; i++) {
		expect_closed_with(c[i], IDLE_NOTICE);
		cl_close(c[i]);
	}
	/* Never before its time (the server's clock starts after our
	 * connect()). */
	ck_assert_int_ge(now_ms() - t0, idle);
	wait_connections(0);

	/* The slots are free: as many new clients get in, none pushed out
	 * (each is told IDLE TIMEOUT, not SERVER FULL), and each is closed
	 * an idle timeout after its own last command. The clock is read
	 * before that command is sent: the server's silence starts once it
	 * has read it, which may be a few ms before we read the reply. */
	int64_t last_sent[MAX];
	for (int i = 0; i < MAX; i++) {
		ck_assert_ptr_nonnull(c[i] = cl_open());
		expect_cmd(c[i], "CREATE idle", "OK");
		last_sent[i] = now_ms();
		expect_cmd(c[i], "PUT idle k v", "OK");
	}
	for (int i = 0; i < MAX; i++) {
		expect_closed_with(c[i], IDLE_NOTICE);
		ck_assert_int_ge(now_ms() - last_sent[i], idle);
		cl_close(c[i]);
	}
	wait_connections(0);
	/* The data outlives the connections that stored it. */
	struct cl *after = cl_open();
	ck_assert_ptr_nonnull(after);
	expect_get(after, "idle", "k", "v");
	cl_close(after);
}
END_TEST

/* The idle timeout is about silence, not age: a client that keeps
 * sending commands keeps its connection for many timeouts. */
START_TEST(test_idle_timeout_active_client)
{
	int idle = scaled_ms(600);
	restart_service((struct kv_options){.idle_timeout_ms = idle});
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE busy", "OK");
	int64_t t0 = now_ms();
	for (int i = 0; now_ms() - t0 < 2 * idle; i++) {
		usleep((useconds_t)idle * 1000 / 6);
		expect_cmd(c, "PUT busy k v", "OK");
	}
	cl_close(c);
	wait_connections(0);
}
END_TEST

/* Slowloris: a line that trickles in, a byte at a time, never silent for
 * long but never ended, is closed with LINE TIMEOUT once its deadline,
 * counted from its first byte, has passed; a slow line that does end in
 * time is served, and each line has a deadline of its own. (nginx's
 * client_header_timeout; no OTP twin.) */
START_TEST(test_line_timeout)
{
	int line = scaled_ms(400);
	restart_service((struct kv_options){.line_timeout_ms = line});
	struct cl *slow = cl_open(), *loris = cl_open();
	ck_assert_ptr_nonnull(slow);
	ck_assert_ptr_nonnull(loris);
	expect_cmd(loris, "CREATE loris", "OK");

	/* A byte every line / 8, for as long as the server lets it. */
	int64_t t0 = now_ms();
	ck_assert(SEND_LIT(loris, "PUT loris k "));
	int sent = 0;
	while (!cl_readable(loris, line / 8)) {
		ck_assert_msg(now_ms() - t0 < 10 * line,
			      "still open after %lld ms, %d bytes",
			      (long long)(now_ms() - t0), sent);
		ck_assert(SEND_LIT(loris, "v"));
		sent++;
	}
	expect_closed_with(loris, LINE_NOTICE);
	ck_assert_int_ge(now_ms() - t0, line);
	ck_assert_int_ge(sent, 2); /* it kept sending */
	cl_close(loris);

	/* Three lines, each sent in two halves half a deadline apart: more
	 * than one deadline in all, and all served. */
	const char *halves[][2] = {{"PUT loris", " k2 slow\r\n"},
				   {"GET lor", "is k2\r\n"},
				   {"DELETE loris", " k2\r\n"}};
	for (int l = 0; l < 3; l++) {
		ck_assert(cl_send(slow, halves[l][0], strlen(halves[l][0])));
		usleep((useconds_t)line * 500);
		ck_assert(cl_send(slow, halves[l][1], strlen(halves[l][1])));
	}
	static const char *const want[] = {"OK", "slow", "OK", "OK"};
	for (int i = 0; i < 4; i++) {
		char got[64];
		ck_assert_int_eq(cl_line(slow, got, sizeof(got), NULL), R_LINE);
		ck_assert_str_eq(got, want[i]);
	}
	cl_close(slow);
	wait_connections(0);
}
END_TEST

/* A full table: a new client takes the place of the connection that has
 * waited longest since its last reply, which is told why; the others, and
 * the newcomer, are served. nginx's reuse of idle connections when
 * worker_connections run out. */
START_TEST(test_full_table_closes_longest_idle)
{
	enum { MAX = 4 };
	restart_service((struct kv_options){.max_connections = MAX});
	struct cl *c[MAX];
	for (int i = 0; i < MAX; i++) {
		ck_assert_ptr_nonnull(c[i] = cl_open());
		usleep(5000);
	}
	wait_connections(MAX);
	/* Idle since their last reply: c[0] longest, c[3] shortest. */
	for (int i = 0; i < MAX; i++) {
		expect_cmd(c[i], "CREATE full", "OK");
		usleep(5000);
	}
	struct cl *n1 = cl_open();
	ck_assert_ptr_nonnull(n1);
	expect_closed_with(c[0], EVICTED_NOTICE);
	expect_cmd(n1, "PUT full k n1", "OK");
	wait_connections(MAX);

	/* c[1] speaks again: now c[2] has waited longest. */
	usleep(5000);
	expect_get(c[1], "full", "nothing", "");
	struct cl *n2 = cl_open();
	ck_assert_ptr_nonnull(n2);
	expect_closed_with(c[2], EVICTED_NOTICE);
	expect_get(n2, "full", "k", "n1");
	/* Everyone else was left alone. */
	expect_cmd(c[1], "PUT full k c1", "OK");
	expect_get(n1, "full", "k", "c1");
	wait_connections(MAX);

	/* A line in progress does not make a client less idle: c[3], whose
	 * last reply is the oldest, goes first even though its last byte
	 * is the newest (it trickles a line that never ends). */
	usleep(5000);
	expect_get(c[3], "full", "k", "c1");
	usleep(5000);
	expect_get(c[1], "full", "k", "c1");
	expect_get(n1, "full", "k", "c1");
	expect_get(n2, "full", "k", "c1");
	ck_assert(SEND_LIT(c[3], "PUT full k "));
	for (int i = 0; i < 5; i++) {
		usleep(5000);
		ck_assert(SEND_LIT(c[3], "v"));
	}
	struct cl *n3 = cl_open();
	ck_assert_ptr_nonnull(n3);
	expect_closed_with(c[3], EVICTED_NOTICE);
	expect_get(n3, "full", "k", "c1");
	for (int i = 0; i < MAX; i++)
		cl_close(c[i]);
	cl_close(n1);
	cl_close(n2);
	cl_close(n3);
	wait_connections(0);
}
END_TEST

/* A client that asks for more than it reads keeps its connection busy
 * writing (a reply is never cut short to make room). */
static struct cl *busy_client(void)
{
	struct cl *c = cl_open_rcvbuf(4096);
	ck_assert_ptr_nonnull(c);
	/* 300 replies of 60 KB: far more than the socket buffers hold. All
	 * the lines go in one write, so the connection reads them at once
	 * and is writing from its first reply on. */
	static char gets[300 * 16];
	size_t n = 0;
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(gets + n, sizeof(gets) - n,
				      "GET huge k\r\n");
	ck_assert(cl_send(c, gets, n));
	/* Once a reply has come, the connection is stuck writing. */
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, scaled_ms(5000)), 1);
	return c;
}

/* A full table where no connection waits for its client: the newcomer
 * is refused, with TOO MANY CONNECTIONS (redis's maxclients); once a slot
 * is free, a new client gets in. */
START_TEST(test_full_table_of_busy_connections)
{
	enum { MAX = 2 };
	restart_service((struct kv_options){.max_connections = MAX});
	struct cl *setup = cl_open();
	ck_assert_ptr_nonnull(setup);
	expect_cmd(setup, "CREATE huge", "OK");
	size_t vlen = 60000;
	char *put = malloc(vlen + 32);
	int h = snprintf(put, 32, "PUT huge k ");
	memset(put + h, 'h', vlen);
	memcpy(put + h + vlen, "\r\n", 2);
	ck_assert(cl_send(setup, put, (size_t)h + vlen + 2));
	free(put);
	char got[64];
	ck_assert_int_eq(cl_line(setup, got, sizeof(got), NULL), R_LINE);
	ck_assert_str_eq(got, "OK");
	cl_close(setup);
	wait_connections(0);

	struct cl *busy[MAX];
	for (int i = 0; i < MAX; i++)
		busy[i] = busy_client();
	wait_connections(MAX);
	for (int round = 0; round < 3; round++) {
		struct cl *late = cl_open();
		ck_assert_ptr_nonnull(late);
		expect_closed_with(late, REFUSED_NOTICE);
		cl_close(late);
	}
	/* One busy client goes: its connection's write fails, it ends, and
	 * its slot serves the next client. */
	cl_close(busy[0]);
	wait_connections(MAX - 1);
	struct cl *next = cl_open();
	ck_assert_ptr_nonnull(next);
	expect_cmd(next, "CREATE next", "OK");
	cl_close(next);
	cl_close(busy[1]);
	wait_connections(0);
}
END_TEST

/* Issue 15 #9, as reported: KV_MAX_CONNECTIONS clients connect and never
 * send anything. Every new client still gets in, each in the place of
 * the longest idle of them, which alone is told why; nothing else
 * moves. */
START_TEST(test_silent_clients_fill_the_table)
{
	/* All of them where the build can afford it (TSan: fewer fibers). */
	size_t max = ot_test_scaled(KV_MAX_CONNECTIONS);
	restart_service((struct kv_options){.max_connections = max});
	/* Bare sockets: a struct cl each would be 64 KB. */
	int *silent = malloc(max * sizeof(*silent));
	ck_assert_ptr_nonnull(silent);
	for (size_t i = 0; i < max; i++) {
		silent[i] = tcp_connect(0);
		ck_assert_msg(silent[i] >= 0, "connection %zu: %s", i,
			      strerror(errno));
		/* Not faster than the acceptor takes them (the backlog). */
		if (i % 100 == 99)
			wait_connections(i + 1);
	}
	wait_connections(max);

	enum { NEW = 20 };
	struct cl *c[NEW];
	for (int i = 0; i < NEW; i++) {
		ck_assert_ptr_nonnull(c[i] = cl_open());
		expect_cmd(c[i], "CREATE in", "OK");
	}
	wait_connections(max);
	/* Exactly NEW of the silent ones were told, and closed. */
	size_t told = 0;
	for (size_t i = 0; i < max; i++) {
		char buf[128];
		ssize_t n = recv(silent[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n > 0) {
			buf[n] = '\0';
			ck_assert_str_eq(buf, EVICTED_NOTICE "\r\n");
			ck_assert_int_eq(recv(silent[i], buf, sizeof(buf), 0),
					 0);
			told++;
		} else {
			ck_assert_msg(n < 0 && errno == EAGAIN,
				      "silent %zu: %zd (%s)", i, n,
				      strerror(errno));
		}
	}
	ck_assert_uint_eq(told, NEW);
	for (int i = 0; i < NEW; i++) {
		expect_get(c[i], "in", "k", "");
		cl_close(c[i]);
	}
	for (size_t i = 0; i < max; i++)
		close(silent[i]);
	free(silent);
	wait_connections(0);
}
END_TEST

/* Limits that are no limits are refused, and nothing starts. */
START_TEST(test_bad_limits)
{
	struct kv_service svc;
	const struct kv_options bad[] = {
	    {.idle_timeout_ms = -2},
	    {.idle_timeout_ms = INT_MIN},
	    {.line_timeout_ms = -5},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_ot_err(kv_start(&bad[i], &svc, NULL), OT_EINVAL);
	/* The running service did not notice. */
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE ok", "OK");
	cl_close(c);
}
END_TEST

/* ---- concurrency --------------------------------------------------------- */

#define N_CLIENTS 100
#define ROUNDS	  20

struct client_run {
	pthread_t thread;
	int id;
	pthread_barrier_t *go;
	char err[256];
};

/* A client's mixed session: its own bucket, its keys in a shared one,
 * absent buckets and bad commands; every answer checked. */
static void *client_main(void *arg)
{
	struct client_run *r = arg;
	char b[32], line[160], got[256], want[64];
	struct cl *c = cl_open();
	pthread_barrier_wait(r->go);
	if (!c) {
		snprintf(r->err, sizeof(r->err), "c%d: cannot connect", r->id);
		return NULL;
	}
#define FAIL(...)                                                              \
	do {                                                                   \
		snprintf(r->err, sizeof(r->err), __VA_ARGS__);                 \
		goto out;                                                      \
	} while (0)
#define CMD(want_)                                                             \
	do {                                                                   \
		if (!cl_cmd(c, line, got, sizeof(got)) || strcmp(got, want_))  \
			FAIL("c%d: %.60s: \"%.60s\", want \"%.60s\"", r->id,   \
			     line, got, want_);                                \
	} while (0)
	snprintf(b, sizeof(b), "c%d", r->id);
	snprintf(line, sizeof(line), "CREATE %.60s", b);
	CMD("OK");
	snprintf(line, sizeof(line), "CREATE shared");
	CMD("OK");
	for (int j = 0; j < ROUNDS; j++) {
		snprintf(line, sizeof(line), "PUT %.60s k%d v%d_%d", b, j,
			 r->id, j);
		CMD("OK");
		snprintf(line, sizeof(line), "PUT shared c%dk%d %d", r->id, j,
			 j * r->id);
		CMD("OK");
		snprintf(line, sizeof(line), "k%d", j);
		snprintf(want, sizeof(want), "v%d_%d", r->id, j);
		if (cl_get(c, b, line, got, sizeof(got)) != 1 ||
		    strcmp(got, want))
			FAIL("c%d: GET %.60s k%d: \"%.60s\", want \"%.60s\"",
			     r->id, b, j, got, want);
		snprintf(line, sizeof(line), "c%dk%d", r->id, j);
		snprintf(want, sizeof(want), "%d", j * r->id);
		if (cl_get(c, "shared", line, got, sizeof(got)) != 1 ||
		    strcmp(got, want))
			FAIL("c%d: GET shared %.60s: \"%.60s\", want \"%.60s\"",
			     r->id, line, got, want);
		if (j % 4 == 3) {
			snprintf(line, sizeof(line), "DELETE %.60s k%d", b, j);
			CMD("OK");
			snprintf(line, sizeof(line), "k%d", j);
			if (cl_get(c, b, line, got, sizeof(got)) != 1 || got[0])
				FAIL("c%d: GET deleted k%d: \"%.60s\"", r->id,
				     j, got);
		}
		if (j % 5 == 0) {
			snprintf(line, sizeof(line), "GET none%d k", r->id);
			CMD("NOT FOUND");
			snprintf(line, sizeof(line), "FROB %d", j);
			CMD("UNKNOWN COMMAND");
		}
	}
	/* Everything it kept is still there, and only that. */
	for (int j = 0; j < ROUNDS; j++) {
		snprintf(line, sizeof(line), "k%d", j);
		if (j % 4 == 3)
			want[0] = '\0';
		else
			snprintf(want, sizeof(want), "v%d_%d", r->id, j);
		if (cl_get(c, b, line, got, sizeof(got)) != 1 ||
		    strcmp(got, want))
			FAIL("c%d: final GET k%d: \"%.60s\", want \"%.60s\"",
			     r->id, j, got, want);
	}
#undef CMD
#undef FAIL
out:
	cl_close(c);
	return NULL;
}

START_TEST(test_100_clients)
{
	static struct client_run runs[N_CLIENTS];
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, N_CLIENTS);
	for (int i = 0; i < N_CLIENTS; i++) {
		runs[i] = (struct client_run){.id = i, .go = &go};
		ck_assert_int_eq(pthread_create(&runs[i].thread, NULL,
						client_main, &runs[i]),
				 0);
	}
	for (int i = 0; i < N_CLIENTS; i++)
		pthread_join(runs[i].thread, NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < N_CLIENTS; i++)
		ck_assert_msg(!runs[i].err[0], "%s", runs[i].err);
	/* Their own buckets and the shared one. */
	ck_assert_uint_eq(wait_consistent(), N_CLIENTS + 1);
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_get(c, "shared", "c99k19", "1881");
	expect_get(c, "c42", "k3", "");
	expect_get(c, "c42", "k4", "v42_4");
	cl_close(c);
	wait_connections(0);
}
END_TEST

/* ---- crashes ------------------------------------------------------------- */

/* What each fault's exit reason looks like in a report. */
static const char *const reason_text[KV_FAULT_COUNT] = {
    [KV_FAULT_SEGV] = "{crash,SIGSEGV,SEGV_MAPERR,addr=0x0}",
    [KV_FAULT_FPE] = "{crash,SIGFPE,FPE_INTDIV",
    [KV_FAULT_ABORT] = "{crash,SIGABRT",
    [KV_FAULT_OVERFLOW] = ",stack_overflow}",
};

static void crash_cmd(struct cl *c, const char *target, int fault)
{
	char line[128];
	snprintf(line, sizeof(line), "CRASH %s %s", target,
		 kv_fault_word(fault));
	expect_cmd(c, line, "OK");
}

/* A bucket crashes: it is gone, its name with it; nothing else moves. */
START_TEST(test_crash_bucket)
{
	int fault = _i;
	bg_start(false);
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE victim", "OK");
	expect_cmd(c, "PUT victim k v", "OK");
	expect_cmd(c, "CREATE other", "OK");
	expect_cmd(c, "PUT other k w", "OK");
	ot_pid victim = bucket_pid("victim");
	ot_pid reg = whereis(KV_REGISTRY_NAME);
	size_t before = wait_consistent();

	crash_cmd(c, "victim", fault);
	ck_assert(!ot_is_alive(victim));
	/* At once: the registry does not hand out a dead bucket. */
	expect_cmd(c, "GET victim k", "NOT FOUND");
	expect_cmd(c, "PUT victim k v", "NOT FOUND");
	ck_assert_msg(report_seen(reason_text[fault]), "no report with %s",
		      reason_text[fault]);
	/* Once its DOWN is in, the name is gone for good. */
	ck_assert_uint_eq(wait_consistent(), before - 1);
	ot_pid none;
	ck_assert_ot_err(
	    kv_registry_lookup((struct kv_str){"victim", 6}, &none),
	    OT_ENOTFOUND);
	/* Nothing else moved. */
	ck_assert(ot_pid_equal(reg, whereis(KV_REGISTRY_NAME)));
	expect_get(c, "other", "k", "w");
	/* The name can be used again: a new, empty bucket. */
	expect_cmd(c, "CREATE victim", "OK");
	ck_assert(!ot_pid_equal(victim, bucket_pid("victim")));
	expect_get(c, "victim", "k", "");
	bg_stop();
	cl_close(c);
}
END_TEST

/* The registry crashes: kv.sup restarts it with the bucket supervisor, so
 * every bucket goes, and the new registry and the new buckets agree. */
START_TEST(test_crash_registry)
{
	int fault = _i;
	bg_start(true);
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	const char *names[] = {"a", "b", "c"};
	ot_pid old[3];
	for (int i = 0; i < 3; i++) {
		char line[64];
		snprintf(line, sizeof(line), "CREATE %s", names[i]);
		expect_cmd(c, line, "OK");
		snprintf(line, sizeof(line), "PUT %s k %s", names[i], names[i]);
		expect_cmd(c, line, "OK");
		old[i] = bucket_pid(names[i]);
	}
	ot_pid bg0 = bucket_pid("bg0");
	ot_pid reg = whereis(KV_REGISTRY_NAME);
	ot_pid bsup = whereis(KV_BUCKET_SUP_NAME);

	crash_cmd(c, "registry", fault);
	ck_assert_msg(report_seen(reason_text[fault]), "no report with %s",
		      reason_text[fault]);
	/* A progress report for each restarted child. */
	ck_assert(report_seen("{id,\"registry\"}"));
	/* The same connection goes on, with a new registry. */
	expect_cmd(c, "GET a k", "NOT FOUND");
	ot_pid reg2 = whereis(KV_REGISTRY_NAME);
	ot_pid bsup2 = whereis(KV_BUCKET_SUP_NAME);
	ck_assert(!ot_pid_is_none(reg2) && !ot_pid_equal(reg, reg2));
	ck_assert(!ot_pid_is_none(bsup2) && !ot_pid_equal(bsup, bsup2));
	ck_assert(!ot_is_alive(reg) && !ot_is_alive(bsup));
	/* Every bucket of before is dead, the background ones too. */
	for (int i = 0; i < 3; i++)
		ck_assert(!ot_is_alive(old[i]));
	ck_assert(!ot_is_alive(bg0));
	/* The background clients see their buckets vanish, and go on. */
	int64_t deadline = now_ms() + scaled_ms(5000);
	for (int i = 0; i < N_BG; i++)
		while (atomic_load(&g_bg[i].vanished) == 0 &&
		       !atomic_load(&g_bg[i].done) && now_ms() < deadline)
			usleep(1000);
	bg_stop();
	for (int i = 0; i < N_BG; i++)
		ck_assert_msg(atomic_load(&g_bg[i].vanished) > 0,
			      "bg%d never saw its bucket go", i);
	/* Consistent: what the registry names, kv.bucket_sup runs (only
	 * the background buckets created again). */
	ck_assert_uint_le(wait_consistent(), N_BG);
	for (int i = 0; i < 3; i++) {
		ot_pid p;
		ck_assert_ot_err(
		    kv_registry_lookup((struct kv_str){names[i], 1}, &p),
		    OT_ENOTFOUND);
	}
	/* And the buckets come back empty. */
	expect_cmd(c, "CREATE a", "OK");
	expect_get(c, "a", "k", "");
	expect_cmd(c, "PUT a k again", "OK");
	expect_get(c, "a", "k", "again");
	cl_close(c);
}
END_TEST

/* A connection crashes: that client sees its connection close, nobody
 * else notices, and the data it stored stays. */
START_TEST(test_crash_connection)
{
	int fault = _i;
	bg_start(false);
	struct cl *c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_cmd(c, "CREATE keep", "OK");
	expect_cmd(c, "PUT keep k v", "OK");
	ot_pid reg = whereis(KV_REGISTRY_NAME);
	ot_pid acc = whereis(KV_ACCEPTOR_NAME);
	ot_pid keep = bucket_pid("keep");
	wait_connections(1 + N_BG);

	char line[64], got[64];
	snprintf(line, sizeof(line), "CRASH connection %s",
		 kv_fault_word(fault));
	ck_assert(cl_send(c, line, strlen(line)));
	ck_assert(cl_send(c, "\r\n", 2));
	/* No answer: the connection closes (kv.sockets closed it on DOWN). */
	int r = cl_line(c, got, sizeof(got), NULL);
	ck_assert_msg(r == R_EOF || r == R_RESET, "after CRASH: %d \"%s\"", r,
		      got);
	cl_close(c);
	ck_assert_msg(report_seen(reason_text[fault]), "no report with %s",
		      reason_text[fault]);
	wait_connections(N_BG);
	/* Nothing else moved. */
	ck_assert(ot_pid_equal(reg, whereis(KV_REGISTRY_NAME)));
	ck_assert(ot_pid_equal(acc, whereis(KV_ACCEPTOR_NAME)));
	ck_assert(ot_pid_equal(keep, bucket_pid("keep")));
	c = cl_open();
	ck_assert_ptr_nonnull(c);
	expect_get(c, "keep", "k", "v");
	bg_stop();
	cl_close(c);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static TCase *kv_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	/* Added after the runtime's fixture: set up after it, torn down
	 * before it. */
	tcase_add_checked_fixture(tc, kv_setup, kv_teardown);
	return tc;
}

static TCase *crash_tcase(const char *name, double timeout_s)
{
	TCase *tc = kv_tcase(name, timeout_s);
	tcase_set_tags(tc, "crash");
	return tc;
}

static Suite *kv_suite(void)
{
	Suite *s = suite_create("kv");

	TCase *tc = kv_tcase("protocol", 20);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_crash_needs_flag);
	tcase_add_test(tc, test_line_endings_and_spaces);
	tcase_add_test(tc, test_longest_line);
	suite_add_tcase(s, tc);

	tc = kv_tcase("robustness", 30);
	tcase_add_test(tc, test_endless_line);
	tcase_add_test(tc, test_malformed_lines);
	tcase_add_test(tc, test_disconnect_mid_command);
	tcase_add_test(tc, test_many_connections);
	tcase_add_test(tc, test_stop_with_open_connections);
	suite_add_tcase(s, tc);

	tc = kv_tcase("limits", 60);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_idle_timeout_active_client);
	tcase_add_test(tc, test_line_timeout);
	tcase_add_test(tc, test_full_table_closes_longest_idle);
	tcase_add_test(tc, test_full_table_of_busy_connections);
	tcase_add_test(tc, test_silent_clients_fill_the_table);
	tcase_add_test(tc, test_bad_limits);
	suite_add_tcase(s, tc);

	tc = kv_tcase("concurrency", 60);
	tcase_add_test(tc, test_100_clients);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_bucket", 30);
	tcase_add_loop_test(tc, test_crash_bucket, 0, KV_FAULT_COUNT);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_registry", 30);
	tcase_add_loop_test(tc, test_crash_registry, 0, KV_FAULT_COUNT);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_connection", 30);
	tcase_add_loop_test(tc, test_crash_connection, 0, KV_FAULT_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(kv_suite());
}
