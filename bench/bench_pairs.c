/* SPDX-License-Identifier: MIT */
/*
 * bench_pairs — K independent client/server pairs doing gen_server calls.
 *
 * The figure: calls per second, all pairs together, on one line of stdout.
 * The head spawns --size K clients (default 2); each client starts its own
 * server (ot_gen_server_start()) and reports ready. When all are, the head
 * sends each the same two deadlines on the monotonic clock: the end of the
 * warmup and, --seconds later, the end of the timed part. Each client calls
 * its server in a loop (an int v, the reply v + 1, checked, timeout 5000
 * ms), looking at the clock every 16 calls: calls made before the first
 * deadline are not counted; it counts from its first look at the clock
 * past it until its first look past the second, and reports the count and
 * the two times. The figure is the sum of the counts divided by the span
 * from the earliest start to the latest end. With --iterations N each
 * client makes exactly N counted calls instead of watching the second
 * deadline. Starting the servers and stopping them afterwards are not
 * timed.
 *
 * The Erlang twin, otter_bench:run([pairs, K]), does the same with
 * gen_server:start/3 and gen_server:call(S, V, 5000). BASELINE.md:
 * Erlang K=1 518 k/s, K=2 537 k/s on one scheduler; on two K=1 575 k/s,
 * K=2 983 k/s, K=16 625 k/s.
 */
#include "bench_server.h"

static const char usage[] =
    "usage: bench_pairs [options]\n"
    "Prints gen_server calls per second, in total, of K client/server\n"
    "pairs each calling in a loop. --iterations counts calls per client.\n"
    "  -s, --size K        how many pairs (default 2)\n" BENCH_COMMON_USAGE;

/* Calls between two looks at the clock. */
#define CHUNK 16

/* Messages between the head and the clients (besides BENCH_TAG_STOP). */
enum {
	TAG_READY = 10, /* client -> head: its server is up */
	TAG_GO = 11,	/* head -> client: struct bench_deadlines */
	TAG_COUNT = 12, /* client -> head: struct bench_count */
	TAG_DONE = 13,	/* client -> head: its server is stopped */
};

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

struct client_arg {
	ot_pid head;
	uint64_t iterations;
};

/* The server: bench_server.h (replies v + 1 to an int v). */

/* ---------------------------------------------------------------------
 * A client
 */

/* n calls, each checked; *seq numbers the requests. */
static void calls(ot_pid server, uint64_t n, int *seq)
{
	for (uint64_t i = 0; i < n; i++) {
		int v = *seq, back = -1;
		*seq = (v + 1) & 0x3fffffff;
		size_t got = 0;
		ot_reason why;
		int rc =
		    ot_gen_server_call(server, &v, sizeof v, &back, sizeof back,
				       &got, OT_GS_DEFAULT_TIMEOUT, &why);
		if (rc != 0) {
			char buf[OT_REASON_STRLEN];
			buf[0] = '\0';
			if (rc == OT_ESERVERDIED)
				ot_reason_format(&why, buf, sizeof buf);
			fprintf(
			    stderr,
			    "bench: pairs: ot_gen_server_call: %s (%s) %s\n",
			    ot_err_name(rc), ot_strerror(rc), buf);
			fflush(stderr);
			_exit(2);
		}
		if (got != sizeof back || back != v + 1)
			bench_die("pairs: wrong reply");
	}
}

/* What a client's chunks of calls need. */
struct client_work {
	ot_pid server;
	int seq;
};

static void calls_work(void *ctx, uint64_t n)
{
	struct client_work *w = ctx;
	calls(w->server, n, &w->seq);
}

static void client(void *arg)
{
	const struct client_arg *a = arg;
	ot_pid server;
	BENCH_CHECK(ot_gen_server_start(&server_cb, NULL, NULL, &server, NULL));
	BENCH_CHECK(ot_send(a->head, TAG_READY, NULL, 0));

	struct bench_deadlines d;
	bench_recv_tagged("pairs", TAG_GO, &d, sizeof d);
	struct client_work w = {server, 0};
	struct bench_count c =
	    bench_count_between(&d, calls_work, &w, CHUNK, a->iterations);
	BENCH_CHECK(ot_send(a->head, TAG_COUNT, &c, sizeof c));

	bench_recv_tagged("pairs", BENCH_TAG_STOP, NULL, 0);
	BENCH_CHECK(ot_gen_server_stop(server, NULL, OT_GS_DEFAULT_TIMEOUT));
	BENCH_CHECK(ot_send(a->head, TAG_DONE, NULL, 0));
}

/* ---------------------------------------------------------------------
 * The head
 */

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t k = a->opts.size;
	ot_pid *clients = calloc(k, sizeof *clients);
	if (!clients)
		bench_die("out of memory");
	/* Static, not on this stack: the clients read it after the head has
	 * waited, when its frames may have been copied off a shared stack
	 * that another process now uses (proc.h: no address of a local
	 * across a wait). With 256 pairs they read garbage there. */
	static struct client_arg ca;
	ca = (struct client_arg){ot_self(), a->opts.iterations};

	for (size_t i = 0; i < k; i++)
		BENCH_CHECK(ot_spawn(client, &ca, NULL, &clients[i]));
	for (size_t i = 0; i < k; i++)
		bench_recv_tagged("pairs", TAG_READY, NULL, 0);

	struct bench_deadlines d = bench_deadlines_from_now(&a->opts);
	for (size_t i = 0; i < k; i++)
		BENCH_CHECK(ot_send(clients[i], TAG_GO, &d, sizeof d));

	struct bench_count sum = {0, UINT64_MAX, 0};
	for (size_t i = 0; i < k; i++) {
		struct bench_count c;
		bench_recv_tagged("pairs", TAG_COUNT, &c, sizeof c);
		bench_count_add(&sum, &c);
	}
	uint64_t total = sum.units, t0 = sum.t_start, t1 = sum.t_end;

	for (size_t i = 0; i < k; i++)
		BENCH_CHECK(ot_send(clients[i], BENCH_TAG_STOP, NULL, 0));
	for (size_t i = 0; i < k; i++)
		bench_recv_tagged("pairs", TAG_DONE, NULL, 0);
	free(clients);

	if (t1 <= t0)
		bench_die("pairs: no time went by");
	double secs = (double)(t1 - t0) / 1e9;
	if (a->opts.verbose)
		fprintf(stderr,
			"bench: %zu pairs, %" PRIu64 " calls in %.3f s\n", k,
			total, secs);
	bench_report(a->main, (double)total / secs);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 2;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE, usage);
	if (a.opts.size < 1 || a.opts.size > 100000)
		bench_die("--size must be between 1 and 100000");

	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 0);
}
