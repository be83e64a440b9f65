/* SPDX-License-Identifier: MIT */
/*
 * demo.c — `kv-server --demo`: a scripted client session over real TCP.
 *
 * The service starts on a free port of 127.0.0.1 with CRASH allowed. Then
 * main() becomes a client — a plain blocking socket, no otter in the way —
 * and creates buckets, stores and reads values, crashes a bucket with a
 * NULL pointer write and the registry with a division by zero, and checks
 * after each step that the service did what OTP's design says it does:
 * it keeps answering, the crashed bucket's name is gone, and after the
 * registry's crash the registry and the bucket supervisor were restarted
 * together, empty, and agree. Each check prints "ok" or "FAILED"; the exit
 * status is 0 only when all passed.
 *
 * otter's reports (crash, supervisor, progress) are printed as they come,
 * indented with "|" (reports.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "kv.h"

/* A client: a blocking socket and what it read past the last line. */
struct client {
	int fd;
	char buf[4096];
	size_t len;
};

static int checks, failures;
static int commands; /* sent on the first connection */

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("  %s: ", ok ? "ok" : "FAILED");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	checks++;
	failures += !ok;
}

static void heading(const char *text)
{
	printf("\n-- %s ", text);
	for (size_t i = strlen(text); i < 72; i++)
		putchar('-');
	printf("\n");
}

static bool client_open(struct client *c, int port)
{
	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return false;
	struct timeval tv = {10, 0}; /* a broken server must not hang us */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(c->fd);
		c->fd = -1;
		return false;
	}
	return true;
}

/* Reads one line (without \r\n) into line; false at EOF or timeout. */
static bool read_line(struct client *c, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			size_t keep = n && nl[-1] == '\r' ? n - 1 : n;
			snprintf(line, cap, "%.*s", (int)keep, c->buf);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return true;
		}
		if (c->len == sizeof(c->buf))
			return false;
		ssize_t r =
		    recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			return false;
		c->len += (size_t)r;
	}
}

/* Sends a command; reads `lines` reply lines into reply[] and prints the
 * exchange. False when the server did not answer. */
static bool exchange(struct client *c, const char *cmd, int lines,
		     char reply[][128])
{
	char out[256];
	int n = snprintf(out, sizeof(out), "%s\r\n", cmd);
	printf("  client> %s\n", cmd);
	if (send(c->fd, out, (size_t)n, MSG_NOSIGNAL) != n)
		return false;
	for (int i = 0; i < lines; i++) {
		if (!read_line(c, reply[i], sizeof(reply[i]))) {
			printf("  server< (nothing: connection closed or timed "
			       "out)\n");
			return false;
		}
		printf("  server< %s\n", reply[i]);
	}
	return true;
}

/* Sends cmd and checks the reply: want, or want then OK for a GET.
 * Only a wrong answer is printed as a (failed) check. */
static bool expect(struct client *c, const char *cmd, const char *want)
{
	char reply[2][128];
	bool get = strncmp(cmd, "GET ", 4) == 0 && strcmp(want, "NOT FOUND");
	commands++;
	if (!exchange(c, cmd, get ? 2 : 1, reply)) {
		check(false, "the server answered \"%s\"", cmd);
		return false;
	}
	bool ok = strcmp(reply[0], want) == 0 &&
		  (!get || strcmp(reply[1], "OK") == 0);
	if (!ok)
		check(false, "expected \"%s\"%s", want, get ? " then OK" : "");
	return ok;
}

static ot_pid whereis(const char *name)
{
	ot_pid pid = OT_PID_NONE;
	ot_whereis(name, &pid);
	return pid;
}

static const char *pid_str(ot_pid pid, char buf[OT_PID_STRLEN])
{
	ot_pid_format(pid, buf, OT_PID_STRLEN);
	return buf;
}

static void show_tree(int port)
{
	static const struct {
		const char *name, *draw, *what;
	} rows[] = {
	    {KV_ROOT_NAME, "", "supervisor, one_for_one"},
	    {KV_SUP_NAME, "+-- ", "supervisor, one_for_all"},
	    {KV_BUCKET_SUP_NAME, "|   +-- ",
	     "dynamic supervisor of the buckets (temporary)"},
	    {KV_REGISTRY_NAME, "|   +-- ", "gen_server: bucket names -> pids"},
	    {KV_TCP_SUP_NAME, "+-- ", "supervisor, rest_for_one"},
	    {KV_SOCKETS_NAME, "    +-- ", "gen_server: owns the sockets"},
	    {KV_CONN_SUP_NAME, "    +-- ",
	     "dynamic supervisor of the connections (temporary)"},
	    {KV_ACCEPTOR_NAME, "    +-- ", "process: accepts connections"},
	};
	char p[OT_PID_STRLEN];
	printf("The service is a tree of processes; each supervisor watches "
	       "the ones below it:\n\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char left[64];
		snprintf(left, sizeof(left), "%s%s", rows[i].draw,
			 rows[i].name);
		printf("  %-22s %-10s %s\n", left,
		       pid_str(whereis(rows[i].name), p), rows[i].what);
	}
	printf("\nIt listens on 127.0.0.1:%d. A client connects and speaks "
	       "the guide's line protocol\n(\"client>\" is what it sends, "
	       "\"server<\" what comes back).\n",
	       port);
}

/* Checks (waiting a little for DOWN messages in flight) that the
 * registry and kv.bucket_sup both count want buckets. */
static void agree(size_t want, const char *what)
{
	size_t names = 0, buckets = 0;
	int64_t deadline = ot_monotonic_ms() + 5000;
	bool ok;
	do {
		ok = kv_registry_count(&names) == 0 &&
		     kv_bucket_sup_count(&buckets) == 0 && names == want &&
		     buckets == want;
		if (!ok)
			ot_sleep(10);
	} while (!ok && ot_monotonic_ms() < deadline);
	check(ok,
	      "%s: the registry knows %zu name%s, kv.bucket_sup runs %zu "
	      "bucket%s",
	      what, names, names == 1 ? "" : "s", buckets,
	      buckets == 1 ? "" : "s");
}

/* Sends a CRASH, printing the reports it causes (at least `reports`)
 * before the reply. */
static void crash(struct client *c, const char *cmd, size_t reports)
{
	char reply[1][128];
	size_t before = kv_reports_seen();
	printf("  client> %s\n", cmd);
	char out[128];
	int n = snprintf(out, sizeof(out), "%s\r\n", cmd);
	commands++;
	bool sent = send(c->fd, out, (size_t)n, MSG_NOSIGNAL) == n;
	bool got = sent && read_line(c, reply[0], sizeof(reply[0]));
	/* The reports come from other processes, as the restart happens. */
	bool all = kv_reports_wait(before + reports, 300, 5000);
	printf("  server< %s\n", got ? reply[0] : "(nothing)");
	check(got && strcmp(reply[0], "OK") == 0, "the server answered OK");
	check(all, "otter reported the crash (%zu reports)",
	      kv_reports_seen() - before);
}

int kv_demo(void)
{
	struct kv_service svc;
	struct kv_options opts = {.allow_crash = true};
	char a[OT_PID_STRLEN], b[OT_PID_STRLEN];
	ot_reason why;
	bool ok;

	printf("otter KV demo: the key-value service of Elixir's Mix/OTP "
	       "guide, in C\n"
	       "=========================================================="
	       "==========\n\n");
	int rc = kv_start(&opts, &svc, &why);
	if (rc) {
		printf("FAILED: the service did not start: %s\n",
		       ot_strerror(rc));
		return 1;
	}
	show_tree(svc.port);

	struct client c;
	if (!client_open(&c, svc.port)) {
		printf("FAILED: cannot connect to 127.0.0.1:%d\n", svc.port);
		kv_stop(&svc);
		return 1;
	}

	heading("1. Create two buckets, store and read values");
	ok = expect(&c, "CREATE shopping", "OK");
	ok &= expect(&c, "PUT shopping milk 1", "OK");
	ok &= expect(&c, "PUT shopping eggs 3", "OK");
	ok &= expect(&c, "GET shopping milk", "1");
	ok &= expect(&c, "DELETE shopping eggs", "OK");
	ok &= expect(&c, "GET shopping eggs", "");
	ok &= expect(&c, "CREATE chores", "OK");
	ok &= expect(&c, "PUT chores dishes today", "OK");
	ok &= expect(&c, "GET chores dishes", "today");
	ok &= expect(&c, "GET attic box", "NOT FOUND");
	ok &= expect(&c, "HELLO", "UNKNOWN COMMAND");
	check(ok, "every answer was the expected one");
	agree(2, "two buckets");

	heading("2. Crash the bucket \"shopping\": a NULL pointer write "
		"(SIGSEGV)");
	ot_pid shopping = OT_PID_NONE;
	kv_registry_lookup((struct kv_str){"shopping", 8}, &shopping);
	printf("The bucket %s is a temporary child of kv.bucket_sup, and the "
	       "registry monitors it.\n"
	       "CRASH makes its handle_call write through a NULL pointer. "
	       "otter catches the SIGSEGV\nand ends that process only, with "
	       "the crash as its exit reason. Below, indented, are\notter's "
	       "reports: gen_server's error report, the crash report (with "
	       "a backtrace) and\nkv.bucket_sup's supervisor report. The "
	       "registry gets a DOWN message.\n\n",
	       pid_str(shopping, a));
	/* At least a crash report and a supervisor report (a temporary
	 * child that ended abnormally); gen_server writes an error report
	 * too. */
	crash(&c, "CRASH shopping segv", 2);
	check(!ot_is_alive(shopping), "the bucket %s is dead",
	      pid_str(shopping, a));
	ok = expect(&c, "GET shopping milk", "NOT FOUND");
	check(ok, "its name is gone: the registry forgot it on DOWN");
	ok = expect(&c, "GET chores dishes", "today");
	check(ok, "the other bucket kept its data");
	agree(1, "one bucket left");

	heading("3. Crash the registry: a division by zero (SIGFPE)");
	ot_pid reg = whereis(KV_REGISTRY_NAME);
	ot_pid bsup = whereis(KV_BUCKET_SUP_NAME);
	printf("kv.sup is one_for_all: when the registry %s dies, it stops "
	       "kv.bucket_sup %s\nwith all its buckets, then starts both "
	       "again (progress reports), so that no\nbucket outlives the "
	       "registry that named it:\n\n",
	       pid_str(reg, a), pid_str(bsup, b));
	/* At least the registry's crash report, kv.sup's supervisor report
	 * and progress reports for the restarted children. */
	crash(&c, "CRASH registry fpe", 4);
	ot_pid reg2 = whereis(KV_REGISTRY_NAME);
	ot_pid bsup2 = whereis(KV_BUCKET_SUP_NAME);
	check(!ot_pid_is_none(reg2) && !ot_pid_equal(reg, reg2),
	      "a new registry runs: %s -> %s", pid_str(reg, a),
	      pid_str(reg2, b));
	check(!ot_pid_is_none(bsup2) && !ot_pid_equal(bsup, bsup2),
	      "a new kv.bucket_sup runs: %s -> %s", pid_str(bsup, a),
	      pid_str(bsup2, b));
	ok = expect(&c, "GET chores dishes", "NOT FOUND");
	check(ok, "the old buckets are gone with the old registry");
	agree(0, "consistent, and empty");
	ok = expect(&c, "CREATE chores", "OK");
	ok &= expect(&c, "GET chores dishes", "");
	ok &= expect(&c, "PUT chores dishes tomorrow", "OK");
	ok &= expect(&c, "GET chores dishes", "tomorrow");
	check(ok, "\"chores\" is created again, empty, and works");

	heading("4. The service kept answering");
	check(failures == 0,
	      "one connection sent %d commands, through both crashes, and "
	      "got every answer right",
	      commands);
	struct client c2;
	ok = client_open(&c2, svc.port);
	check(ok, "a second client connects");
	if (ok) {
		ok = expect(&c2, "PUT chores laundry sunday", "OK");
		ok &= expect(&c2, "GET chores laundry", "sunday");
		check(ok, "and shares the buckets");
		close(c2.fd);
	}
	close(c.fd);

	rc = kv_stop(&svc);
	check(rc == 0, "the service stopped cleanly");
	printf("\n%s: %d of %d checks passed.\n",
	       failures ? "FAILED" : "All good", checks - failures, checks);
	return failures ? 1 : 0;
}
