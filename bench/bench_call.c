/* SPDX-License-Identifier: MIT */
/*
 * bench_call — gen_server call round trip, one client, one server.
 *
 * The figure: nanoseconds per ot_gen_server_call(), on one line of stdout.
 * The head (an otter process, not the main thread) starts a server with
 * ot_gen_server_start() and calls it in a loop: the request is an int v,
 * the server's handle_call replies v + 1 and the head checks the reply
 * (its size and its value). Timeout 5000 ms, as gen_server:call/2.
 *
 * The Erlang twin, otter_bench:run([call]), does gen_server:call(S, V,
 * 5000) to a gen_server whose handle_call(V, _, St) is {reply, V + 1, St}.
 * BASELINE.md: Erlang 1.73 µs on one scheduler; the goal is <= 250 ns.
 *
 * With --size N (the call_backlog figures), the head first sends itself N
 * unrelated 8-byte messages and leaves them queued: each call's wait for
 * its reply must skip them (issue 14: with 1,000,000 queued a call costs
 * less than 2x a call with none). The twin is otter_bench:run([call_backlog,
 * N]), which does the same with N {junk, I} messages.
 */
#include "bench_server.h"

static const char usage[] =
    "usage: bench_call [options]\n"
    "Prints nanoseconds per gen_server call round trip (one client\n"
    "process, one server). --iterations counts calls. --size N: N\n"
    "unrelated messages wait in the caller's mailbox "
    "meanwhile.\n" BENCH_COMMON_USAGE;

/* Calls between two looks at the clock. */
#define CHUNK 1024

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

/* The server: bench_server.h (replies v + 1 to an int v). */

/* ---------------------------------------------------------------------
 * The client
 */

static void call_failed(int rc, const ot_reason *why)
{
	char buf[OT_REASON_STRLEN];
	buf[0] = '\0';
	if (rc == OT_ESERVERDIED)
		ot_reason_format(why, buf, sizeof buf);
	fprintf(stderr, "bench: call: ot_gen_server_call: %s (%s) %s\n",
		ot_err_name(rc), ot_strerror(rc), buf);
	fflush(stderr);
	_exit(2);
}

/* n calls, each checked. */
static void calls(ot_pid server, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int v = (int)(i & 0x3fffffff), back = -1;
		size_t got = 0;
		ot_reason why;
		int rc =
		    ot_gen_server_call(server, &v, sizeof v, &back, sizeof back,
				       &got, OT_GS_DEFAULT_TIMEOUT, &why);
		if (rc != 0)
			call_failed(rc, &why);
		if (got != sizeof back || back != v + 1)
			bench_die("call: wrong reply");
	}
}

static void calls_work(void *server, uint64_t n)
{
	calls(*(const ot_pid *)server, n);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	ot_pid server;
	BENCH_CHECK(ot_gen_server_start(&server_cb, NULL, NULL, &server, NULL));
	/* The backlog: never received, freed with the head's mailbox. */
	for (uint64_t i = 0; i < a->opts.size; i++)
		BENCH_CHECK(ot_send(ot_self(), 7, &i, sizeof i));

	uint64_t elapsed;
	uint64_t n =
	    bench_measure(&a->opts, calls_work, &server, CHUNK, &elapsed);
	BENCH_CHECK(ot_gen_server_stop(server, NULL, OT_GS_DEFAULT_TIMEOUT));

	if (a->opts.verbose)
		fprintf(stderr, "bench: %" PRIu64 " calls in %.3f s\n", n,
			(double)elapsed / 1e9);
	bench_report(a->main, (double)elapsed / (double)n);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE, usage);

	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 1);
}
