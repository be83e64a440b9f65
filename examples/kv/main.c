/* SPDX-License-Identifier: MIT */
/*
 * main.c — kv-server: the KV service of Elixir's Mix/OTP guide, on otter.
 *
 *   kv-server [--port N] [--bind ADDR] [--allow-crash]
 *             [--max-connections N] [--idle-timeout S] [--line-timeout S]
 *       serves the line protocol (see kv.h) on ADDR:N (127.0.0.1:4040)
 *       until SIGINT or SIGTERM, which stop the tree in order (ot_run();
 *       SIGHUP is logged, nothing to reload); try it with
 *       `nc 127.0.0.1 4040`. Reports go to stderr, with their time. At most
 *       N connections (4096) at once: when all are open, a new client
 *       closes the one that has waited longest for its next command, or,
 *       when every one is running a command, is refused. A connection
 *       that sends nothing for S seconds (300) after its last reply is
 *       closed, and so is one whose line has not ended S seconds (60)
 *       after it began; "never" turns either off.
 *   kv-server --node NAME [--cookie C] [the options above]
 *       also makes the program the Erlang node NAME (otter@127.0.0.1),
 *       whose registry and buckets answer gen_server:call from an Erlang
 *       shell (erlang.c); the cookie is C, else ~/.erlang.cookie. Only
 *       when built with libotter-dist.
 *   kv-server --observer PATH [--http ADDR] [the options above]
 *       also opens the observer (otter/observer.h): its socket at PATH,
 *       for `otterctl -s PATH tree`, and with --http its dashboard on
 *       ADDR (127.0.0.1:8070; port 0: any, the port is printed).
 *   kv-server --demo
 *       starts the service on a free port and drives a scripted client
 *       session over TCP that crashes a bucket and the registry and shows
 *       what the supervisors do about it. Exit status 0 when every step
 *       went as expected.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kv.h"

/* The faults are committed on purpose: under ASan or TSan, leave the
 * fault signals to otter, which turns them into exit reasons. */
#define KV_SAN_OPTIONS                                                         \
	"handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0"
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KV_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define KV_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(KV_ASAN)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return KV_SAN_OPTIONS;
}
#endif
#if defined(__SANITIZE_THREAD__) || defined(KV_TSAN)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return KV_SAN_OPTIONS;
}
#endif

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: kv-server [--port N] [--bind ADDR] [--allow-crash]\n"
	    "                 [--node NAME [--cookie C]]\n"
	    "                 [--max-connections N] [--idle-timeout S] "
	    "[--line-timeout S]\n"
	    "       kv-server --demo\n"
	    "  --port N       listen on port N (default 4040, 0: any)\n"
	    "  --bind ADDR    listen on this address (default 127.0.0.1)\n"
	    "  --allow-crash  accept CRASH <bucket|registry|connection> "
	    "<segv|fpe|abort|overflow>\n"
	    "  --max-connections N\n"
	    "                 serve at most N clients at once (default "
	    "%d); when all\n"
	    "                 are taken, a new client closes the one idle "
	    "longest (it is\n"
	    "                 told ERROR SERVER FULL, IDLE CONNECTION "
	    "CLOSED), or, when\n"
	    "                 none is idle, is told ERROR TOO MANY "
	    "CONNECTIONS\n"
	    "  --idle-timeout S\n"
	    "                 close a connection that sends nothing for S "
	    "seconds after\n"
	    "                 its last reply (default %d; never: keep it), "
	    "after ERROR\n"
	    "                 IDLE TIMEOUT\n"
	    "  --line-timeout S\n"
	    "                 close a connection whose line has not ended S "
	    "seconds\n"
	    "                 after it began (default %d; never: wait), "
	    "after ERROR LINE\n"
	    "                 TIMEOUT\n"
	    "  --node NAME    be the Erlang node NAME (e.g. otter@127.0.0.1): "
	    "the registry\n"
	    "                 answers gen_server:call({kv_registry, NAME}, "
	    "...)\n"
	    "  --cookie C     the node's cookie (default: ~/.erlang.cookie)\n"
	    "  --observer PATH\n"
	    "                 open the observer's socket at PATH (otterctl "
	    "-s PATH)\n"
	    "  --http ADDR    serve the observer's dashboard on ADDR "
	    "(e.g. 127.0.0.1:8070)\n"
	    "  --demo         run the scripted demo and exit\n",
	    KV_MAX_CONNECTIONS, KV_IDLE_TIMEOUT_MS / 1000,
	    KV_LINE_TIMEOUT_MS / 1000);
}

/* "never", or whole seconds > 0, as milliseconds; false if neither. */
static bool parse_timeout(const char *arg, int *ms)
{
	if (strcmp(arg, "never") == 0) {
		*ms = OT_INFINITY;
		return true;
	}
	char *end;
	errno = 0;
	long s = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno || s <= 0 ||
	    s > INT_MAX / 1000)
		return false;
	*ms = (int)s * 1000;
	return true;
}

/* What serve() tells ot_run()'s callbacks. */
struct serving {
	const struct kv_options *opts;
	const char *node;     /* --node, or NULL */
	const char *observer; /* --observer, or NULL */
	const char *http;     /* --http, or NULL */
	int port;
};

/* --observer and --http: the observer's endpoints, once the tree runs
 * (ot_run() ends the runtime, and with it their processes). */
static int open_observer(const struct serving *sv)
{
	int rc = sv->observer ? ot_observer_listen(sv->observer) : 0;
	if (rc) {
		fprintf(stderr, "kv-server: --observer %s: %s\n", sv->observer,
			ot_strerror(rc));
		return rc;
	}
	if (sv->observer)
		printf("kv-server: observer on %s: otterctl -s %s tree\n",
		       sv->observer, sv->observer);
	rc = sv->http ? ot_observer_listen_http(sv->http) : 0;
	if (rc) {
		fprintf(stderr, "kv-server: --http %s: %s\n", sv->http,
			ot_strerror(rc));
		return rc;
	}
	if (sv->http)
		printf("kv-server: dashboard on http://127.0.0.1:%d/\n",
		       ot_observer_http_port());
	return 0;
}

static int say_listening(ot_pid root, void *arg)
{
	(void)root;
	const struct serving *sv = arg;
	int rc = open_observer(sv);
	if (rc)
		return rc;
	if (sv->node)
		printf("kv-server: Erlang node %s: "
		       "gen_server:call({%s, '%s'}, ...)\n",
		       sv->node, KV_ERLANG_NAME, sv->node);
	printf("kv-server: listening on %s:%d%s; Ctrl-C stops it\n",
	       sv->opts->bind, sv->port,
	       sv->opts->allow_crash ? " (CRASH allowed)" : "");
	return 0;
}

static void no_reload(ot_pid root, void *arg)
{
	(void)root;
	(void)arg;
	ot_log(OT_LOG_NOTICE, "kv-server: SIGHUP: no configuration to reload");
}

/* Serves until SIGINT / SIGTERM, or until the tree gives up: ot_run()
 * runs the tree, and stops it in order on those signals. */
static int serve(const struct kv_options *opts, const char *node,
		 const char *cookie, const char *observer, const char *http)
{
	struct serving sv = {
	    .opts = opts, .node = node, .observer = observer, .http = http};
	int rc = kv_open(opts, &sv.port);
	ot_run_result res = {.reason = ot_reason_normal()};
	if (rc == 0) {
		ot_run_opts ro = {.name = KV_ROOT_NAME,
				  .started = say_listening,
				  .reload = no_reload,
				  .arg = &sv};
		const ot_sup_spec *spec = kv_root_spec();
#ifdef KV_ERLANG
		if (node) {
			struct kv_erlang_opts eo = {node, cookie};
			spec = kv_erlang_spec(&eo);
			ro.name = KV_TOP_NAME;
		}
#else
		(void)cookie;
#endif
		rc = ot_run(spec, &ro, &res);
		kv_close(); /* a system error's errno is in rc */
		if (observer)
			unlink(observer); /* the runtime took its processes */
	}
	if (rc == 0) {
		printf("kv-server: %s, stopped\n", strsignal(res.signal));
		return 0;
	}
	char text[OT_REASON_STRLEN];
	if (rc == OT_ESERVERDIED || rc == OT_ETIMEDOUT) {
		ot_reason_format(&res.reason, text, sizeof(text));
		fprintf(stderr, "kv-server: the service ended: %s%s\n", text,
			rc == OT_ETIMEDOUT ? " (it did not stop in time)" : "");
		return 1;
	}
	if (ot_err_is_sys(rc))
		snprintf(text, sizeof(text), "%s", ot_strerror(rc));
	else if (rc == OT_EINVAL)
		snprintf(text, sizeof(text),
			 "not a numeric IPv4 or IPv6 address");
	else if (res.reason.kind != OT_REASON_NORMAL)
		ot_reason_format(&res.reason, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s", ot_strerror(rc));
	fprintf(stderr, "kv-server: cannot serve on %s:%d: %s\n", opts->bind,
		opts->port, text);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"bind", required_argument, NULL, 'b'},
	    {"allow-crash", no_argument, NULL, 'c'},
	    {"max-connections", required_argument, NULL, 'm'},
	    {"idle-timeout", required_argument, NULL, 'i'},
	    {"line-timeout", required_argument, NULL, 'l'},
	    {"node", required_argument, NULL, 'n'},
	    {"cookie", required_argument, NULL, 'k'},
	    {"observer", required_argument, NULL, 'o'},
	    {"http", required_argument, NULL, 'H'},
	    {"demo", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct kv_options opts = {.bind = "127.0.0.1", .port = 4040};
	bool demo = false;
	const char *node = NULL, *cookie = NULL, *observer = NULL, *http = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "p:b:cm:i:l:n:k:o:H:dh", longopts,
				NULL)) != -1) {
		char *end;
		long long n;
		switch (c) {
		case 'p':
			opts.port = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || opts.port < 0 ||
			    opts.port > 65535) {
				fprintf(stderr, "kv-server: bad port: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			opts.bind = optarg;
			break;
		case 'c':
			opts.allow_crash = true;
			break;
		case 'm':
			errno = 0;
			n = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno ||
			    n <= 0) {
				fprintf(stderr,
					"kv-server: bad --max-connections: "
					"%s\n",
					optarg);
				return 2;
			}
			opts.max_connections = (size_t)n;
			break;
		case 'i':
		case 'l':
			if (!parse_timeout(optarg,
					   c == 'i' ? &opts.idle_timeout_ms
						    : &opts.line_timeout_ms)) {
				fprintf(stderr,
					"kv-server: bad --%s-timeout: %s "
					"(seconds, or never)\n",
					c == 'i' ? "idle" : "line", optarg);
				return 2;
			}
			break;
		case 'n':
			node = optarg;
			break;
		case 'k':
			cookie = optarg;
			break;
		case 'o':
			observer = optarg;
			break;
		case 'H':
			http = optarg;
			break;
		case 'd':
			demo = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
#ifndef KV_ERLANG
	if (node) {
		fprintf(stderr,
			"kv-server: --node: built without libotter-dist "
			"(configure found no erl_interface)\n");
		return 2;
	}
#endif
	if (cookie && !node) {
		fprintf(stderr, "kv-server: --cookie goes with --node\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines, even into a pipe */
	if (!demo)
		return serve(&opts, node, cookie, observer,
			     http); /* reports: to stderr, with their time */

	int rc = ot_start(NULL);
	if (rc) {
		fprintf(stderr, "kv-server: ot_start: %s\n", ot_strerror(rc));
		return 1;
	}
	/* The demo's reports go with its narration, to stdout. */
	kv_reports_install(stdout);
	int status = kv_demo();
	ot_thread_detach();
	ot_shutdown();
	return status;
}
