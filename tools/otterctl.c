/* SPDX-License-Identifier: MIT */
/*
 * otterctl — the otter observer's command line (otterctl(1)): connects to
 * the socket a program opened with ot_observer_listen(), sends one
 * request, and prints the JSON reply for people (or as it is, --json).
 *
 *   otterctl -s PATH tree | ps [sort=S] [limit=N] | info PID|NAME |
 *                    state NAME | restart SUP ID | kill PID|NAME |
 *                    history | top [-n N]
 *
 * Exit status: 0, 1 when the program answered with an error, 2 for a
 * usage error or a socket that cannot be reached.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX ((size_t)16 << 20)

static const char *g_path;
static bool g_json;
static int g_fd = -1;

static void usage(FILE *f)
{
	fputs("usage: otterctl [-s PATH] [--json] COMMAND [ARGS]\n"
	      "  -s, --socket PATH  the program's observer socket\n"
	      "                     (default: $OTTER_OBSERVER)\n"
	      "  --json             print the replies as they come (JSON)\n"
	      "  -n N               top: refresh N times, then exit\n"
	      "commands:\n"
	      "  tree                        the supervision trees\n"
	      "  ps [sort=memory|mailbox|activity] [limit=N]\n"
	      "  info PID|NAME               one process\n"
	      "  state NAME|PID              a gen_server's state\n"
	      "  restart SUP ID              restart a supervisor's child\n"
	      "  kill PID|NAME               send it the exit signal kill\n"
	      "  history                     crashes and restarts, last 5 "
	      "min\n"
	      "  top                         a live view, every second\n",
	      f);
}

__attribute__((format(printf, 2, 3), noreturn)) static void
die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "otterctl: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

static void connect_socket(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(g_path) >= sizeof a.sun_path)
		die(2, "socket path too long: %s", g_path);
	strcpy(a.sun_path, g_path);
	g_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_fd < 0 || connect(g_fd, (struct sockaddr *)&a, sizeof a) != 0)
		die(2, "cannot connect to %s", g_path);
	struct timeval tv = {.tv_sec = 30};
	setsockopt(g_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Sends line, returns the reply line (malloc'd, without its newline). */
static char *request(const char *line)
{
	size_t n = strlen(line);
	if (send(g_fd, line, n, MSG_NOSIGNAL) != (ssize_t)n ||
	    send(g_fd, "\n", 1, MSG_NOSIGNAL) != 1)
		die(2, "the connection to %s was lost", g_path);
	static char *buf;
	static size_t cap, have;
	for (;;) {
		char *nl = have ? memchr(buf, '\n', have) : NULL;
		if (nl) {
			size_t len = (size_t)(nl - buf);
			char *out = malloc(len + 1);
			if (!out)
				die(2, "%s", "out of memory");
			memcpy(out, buf, len);
			out[len] = '\0';
			memmove(buf, nl + 1, have - len - 1);
			have -= len + 1;
			return out;
		}
		if (have == cap) {
			if (cap >= REPLY_MAX)
				die(2, "%s", "reply too long");
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				die(2, "%s", "out of memory");
		}
		ssize_t r = recv(g_fd, buf + have, cap - have, 0);
		if (r <= 0)
			die(2, "no reply from %s", g_path);
		have += (size_t)r;
	}
}

/* The reply parsed; an error reply is printed and exits 1. */
static json_t *ask(const char *line)
{
	char *text = request(line);
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);
	if (!v || !json_is_object(v))
		die(2, "not a JSON reply: %s", text);
	free(text);
	json_t *e = json_object_get(v, "error");
	if (e) {
		const char *code =
		    json_string_value(json_object_get(v, "code"));
		fprintf(stderr, "otterctl: %s%s%s%s\n", json_string_value(e),
			code ? " (" : "", code ? code : "", code ? ")" : "");
		exit(1);
	}
	return v;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* 12345678 -> "11.8M" */
static const char *human(long long v, char *buf, size_t size)
{
	if (v < 10000)
		snprintf(buf, size, "%lld", v);
	else if (v < 10000LL * 1024)
		snprintf(buf, size, "%.1fK", v / 1024.0);
	else if (v < 10000LL * 1024 * 1024)
		snprintf(buf, size, "%.1fM", v / 1048576.0);
	else
		snprintf(buf, size, "%.1fG", v / 1073741824.0);
	return buf;
}

/* ---- tree ----------------------------------------------------------- */

static void print_node(json_t *n, const char *prefix, bool last, bool root)
{
	const char *id = str(n, "id"), *name = str(n, "name");
	const char *label = str(n, "label");
	if (root)
		printf("%s %s supervisor\n", *name ? name : "(root)",
		       str(n, "pid"));
	else
		printf("%s%s %s %s %s %s restarts %lld%s%s%s%s%s\n", prefix,
		       last ? "└─" : "├─", *id ? id : "(dynamic)",
		       json_is_string(json_object_get(n, "pid")) ? str(n, "pid")
								 : "-",
		       str(n, "type"), str(n, "status"), num(n, "restarts"),
		       *name ? "  " : "", name, *label ? "  [" : "", label,
		       *label ? "]" : "");
	json_t *kids = json_object_get(n, "children");
	size_t nk = json_array_size(kids);
	char sub[1024];
	snprintf(sub, sizeof sub, "%s%s", prefix,
		 root	? ""
		 : last ? "   "
			: "│  ");
	for (size_t i = 0; i < nk; i++)
		print_node(json_array_get(kids, i), sub, i + 1 == nk, false);
	if (num(n, "more"))
		printf("%s   ... %lld more\n", sub, num(n, "more"));
	if (*str(n, "error"))
		printf("%s   (%s)\n", sub, str(n, "error"));
}

static void print_tree(json_t *t)
{
	json_t *roots = json_object_get(t, "roots");
	if (json_array_size(roots) == 0)
		printf("no supervisors\n");
	for (size_t i = 0; i < json_array_size(roots); i++)
		print_node(json_array_get(roots, i), "", true, true);
}

/* ---- ps --------------------------------------------------------------- */

struct rate { /* top's messages per second, from the last refresh */
	char pid[32];
	long long messages_in;
};

static void print_ps(json_t *ps, const struct rate *prev, size_t nprev,
		     double secs)
{
	json_t *list = json_object_get(ps, "processes");
	printf("%-16s %-20s %-11s %-9s %8s %8s %10s%s  %s\n", "PID", "NAME",
	       "BEHAVIOUR", "STATUS", "MAILBOX", "MEMORY", "MSGS_IN",
	       prev ? "   MSGS/S" : "", "ENTRY");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *p = json_array_get(list, i);
		char mem[32], name[64];
		const char *pid = str(p, "pid");
		snprintf(name, sizeof name, "%s%s%s", str(p, "name"),
			 *str(p, "label") && *str(p, "name") ? "/" : "",
			 str(p, "label"));
		printf("%-16s %-20.20s %-11s %-9s %8lld %8s %10lld", pid, name,
		       str(p, "behaviour"), str(p, "status"), num(p, "mailbox"),
		       human(num(p, "memory"), mem, sizeof mem),
		       num(p, "messages_in"));
		if (prev) {
			double r = 0;
			for (size_t k = 0; k < nprev; k++)
				if (!strcmp(prev[k].pid, pid) && secs > 0)
					r = (num(p, "messages_in") -
					     prev[k].messages_in) /
					    secs;
			printf(" %9.0f", r);
		}
		printf("  %s\n", str(p, "entry"));
	}
	printf("(%zu of %lld processes, by %s)\n", json_array_size(list),
	       num(ps, "total"), str(ps, "sort"));
}

/* ---- info, history ---------------------------------------------------- */

static void print_object(json_t *o)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		char *s = json_is_string(v)
			      ? NULL
			      : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("%-18s %s\n", key, s ? s : json_string_value(v));
		free(s);
	}
}

/* The last 60 seconds as a bar per second. */
static void sparkline(json_t *series)
{
	static const char *const bars[] = {" ", "▁", "▂", "▃", "▄",
					   "▅", "▆", "▇", "█"};
	size_t n = json_array_size(series), from = n > 60 ? n - 60 : 0;
	long long max = 1;
	for (size_t i = from; i < n; i++)
		if (json_integer_value(json_array_get(series, i)) > max)
			max = json_integer_value(json_array_get(series, i));
	for (size_t i = from; i < n; i++) {
		long long v = json_integer_value(json_array_get(series, i));
		fputs(bars[v == 0 ? 0 : 1 + (v * 7) / max], stdout);
	}
}

static void print_history(json_t *h, size_t events)
{
	printf("%lld crashes, %lld restarts since the observer opened\n",
	       num(h, "crashes_total"), num(h, "restarts_total"));
	printf("crashes  (60 s) |");
	sparkline(json_object_get(h, "crashes"));
	printf("|\nrestarts (60 s) |");
	sparkline(json_object_get(h, "restarts"));
	printf("|\n");
	json_t *ev = json_object_get(h, "events");
	for (size_t i = 0; i < json_array_size(ev) && i < events; i++) {
		json_t *e = json_array_get(ev, i);
		printf("  %6.1fs ago  %-8s %s %s %s\n",
		       num(e, "ago_ms") / 1000.0, str(e, "kind"), str(e, "pid"),
		       str(e, "name"), str(e, "what"));
	}
}

/* ---- top -------------------------------------------------------------- */

static void top(long iterations)
{
	struct rate *prev = NULL;
	size_t nprev = 0;
	struct timespec last = {0};
	for (long i = 0; iterations <= 0 || i < iterations; i++) {
		if (i)
			sleep(1);
		json_t *ps = ask("ps sort=activity limit=20");
		json_t *tree = ask("tree");
		json_t *hist = ask("history");
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double secs = (now.tv_sec - last.tv_sec) +
			      (now.tv_nsec - last.tv_nsec) / 1e9;
		time_t wall = time(NULL);
		char when[32];
		strftime(when, sizeof when, "%H:%M:%S", localtime(&wall));
		printf("\033[H\033[2J"); /* home, clear */
		printf("otterctl top — %s — %s — %lld processes, "
		       "%lld supervisors\n\n",
		       g_path, when, num(ps, "total"),
		       num(tree, "supervisors"));
		print_tree(tree);
		printf("\n");
		print_history(hist, 5);
		printf("\n");
		print_ps(ps, i ? prev : NULL, nprev, secs);
		fflush(stdout);
		json_t *list = json_object_get(ps, "processes");
		free(prev);
		nprev = json_array_size(list);
		prev = calloc(nprev ? nprev : 1, sizeof *prev);
		for (size_t k = 0; prev && k < nprev; k++) {
			json_t *p = json_array_get(list, k);
			snprintf(prev[k].pid, sizeof prev[k].pid, "%s",
				 str(p, "pid"));
			prev[k].messages_in = num(p, "messages_in");
		}
		if (!prev)
			nprev = 0;
		last = now;
		json_decref(ps);
		json_decref(tree);
		json_decref(hist);
	}
	free(prev);
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	long iterations = 0;
	int c;
	g_path = getenv("OTTER_OBSERVER");
	while ((c = getopt_long(argc, argv, "s:n:h", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			g_path = optarg;
			break;
		case 'j':
			g_json = true;
			break;
		case 'n': {
			char *end;
			iterations = strtol(optarg, &end, 10);
			if (*end || iterations <= 0)
				die(2, "-n wants a count > 0, not %s", optarg);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!g_path || !*g_path)
		die(2, "%s", "no socket: -s PATH, or set OTTER_OBSERVER");
	const char *cmd = argv[optind];
	/* The request: the command and its words, as the socket takes them. */
	char line[4096] = "";
	size_t n = 0;
	for (int i = optind; i < argc; i++) {
		int w = snprintf(line + n, sizeof line - n, "%s%s",
				 i > optind ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= sizeof line - n ||
		    strpbrk(argv[i], "\n\r"))
			die(2, "%s", "request too long, or a newline in it");
		n += (size_t)w;
	}
	connect_socket();
	if (!strcmp(cmd, "top")) {
		if (optind + 1 != argc)
			die(2, "%s", "top takes no arguments (-n N before it)");
		if (g_json) {
			for (long i = 0; iterations <= 0 || i < iterations;
			     i++) {
				if (i)
					sleep(1);
				char *r = request("ps sort=activity limit=20");
				printf("%s\n", r);
				fflush(stdout);
				free(r);
			}
			return 0;
		}
		top(iterations);
		return 0;
	}
	if (g_json) {
		char *r = request(line);
		printf("%s\n", r);
		int status = strncmp(r, "{\"error\":", 9) ? 0 : 1;
		free(r);
		return status;
	}
	json_t *v = ask(line);
	if (!strcmp(cmd, "tree"))
		print_tree(v);
	else if (!strcmp(cmd, "ps"))
		print_ps(v, NULL, 0, 0);
	else if (!strcmp(cmd, "history"))
		print_history(v, 32);
	else if (!strcmp(cmd, "state"))
		printf("%s\n", str(v, "state"));
	else if (!strcmp(cmd, "restart"))
		printf("restarted %s: %s -> %s\n", str(v, "id"),
		       json_is_string(json_object_get(v, "old"))
			   ? str(v, "old")
			   : "(not running)",
		       str(v, "pid"));
	else if (!strcmp(cmd, "kill"))
		printf("killed %s\n", str(v, "killed"));
	else if (!strcmp(cmd, "help")) {
		json_t *l = json_object_get(v, "commands");
		for (size_t i = 0; i < json_array_size(l); i++)
			printf("%s\n", json_string_value(json_array_get(l, i)));
	} else
		print_object(v);
	json_decref(v);
	close(g_fd);
	return 0;
}
