/* SPDX-License-Identifier: MIT */
/*
 * bench_ring — a ring of --size processes passing one token around.
 *
 * The figure: messages (hops) per second, on one line of stdout. The head
 * process is one of the ring's members: it spawns the other size-1 relays
 * (each knowing the next), sends the token and counts laps. Spawning is not
 * timed. The Erlang twin is otter_bench:run([ring, Size]).
 *
 * The token carries an int. Relays get a small stack (--stack, default
 * 16 KiB). At the end a stop message goes once around the ring, so every
 * relay has ended before the figure is reported.
 */
#include "bench_util.h"

static const char usage[] =
    "usage: bench_ring [options]\n"
    "Prints messages per second for a token passed around a ring.\n"
    "--iterations counts laps.\n"
    "  -s, --size N        processes in the ring, the timing one included\n"
    "                      (default 1000)\n"
    "  -k, --stack B       stack size of the relays, bytes\n"
    "                      (default 16384)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

static void relay(void *arg)
{
	ot_pid next = *(const ot_pid *)arg;
	for (;;) {
		uint64_t tag;
		int v = bench_recv_int(&tag);
		BENCH_CHECK(ot_send(next, tag, &v, sizeof v));
		if (tag == BENCH_TAG_STOP)
			return;
	}
}

/* Sends the token around n times. */
static void laps(ot_pid first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int v = (int)i;
		BENCH_CHECK(ot_send(first, BENCH_TAG_WORK, &v, sizeof v));
		uint64_t tag;
		int back = bench_recv_int(&tag);
		if (tag != BENCH_TAG_WORK || back != v)
			bench_die("ring: the token came back wrong");
	}
}

static void laps_work(void *first, uint64_t n)
{
	laps(*(const ot_pid *)first, n);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t size = a->opts.size;

	/* Build the ring backwards: the last relay's next is the head. Each
	 * relay copies its next pid before its first receive, and the stop lap
	 * below waits for every relay, so nexts outlives every reader. */
	ot_pid *nexts = malloc(size * sizeof *nexts);
	if (!nexts)
		bench_die("ring: out of memory");
	ot_spawn_opts so;
	memset(&so, 0, sizeof so);
	so.stack_size = a->opts.stack;
	ot_pid next = ot_self();
	uint64_t t0 = bench_now_ns();
	for (size_t i = size - 1; i >= 1; i--) {
		nexts[i] = next;
		BENCH_CHECK(ot_spawn(relay, &nexts[i], &so, &next));
	}
	ot_pid first = next;
	if (a->opts.verbose) {
		fprintf(stderr, "bench: spawned %zu relays in %.3f s\n",
			size - 1, (double)(bench_now_ns() - t0) / 1e9);
		bench_print_stats("with the ring up");
	}

	uint64_t elapsed;
	uint64_t n = bench_measure(&a->opts, laps_work, &first, 1, &elapsed);

	/* Stop the relays, one lap. */
	int zero = 0;
	BENCH_CHECK(ot_send(first, BENCH_TAG_STOP, &zero, sizeof zero));
	uint64_t tag;
	bench_recv_int(&tag);
	if (tag != BENCH_TAG_STOP)
		bench_die("ring: expected the stop message back");
	free(nexts);

	double hops = (double)n * (double)size;
	if (a->opts.verbose)
		fprintf(stderr, "bench: %" PRIu64 " laps of %zu in %.3f s\n", n,
			size, (double)elapsed / 1e9);
	bench_report(a->main, hops / ((double)elapsed / 1e9));
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 1000;
	a.opts.stack = 16 * 1024;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE | BENCH_OPT_STACK,
		    usage);
	if (a.opts.size < 2)
		bench_die("--size must be at least 2");

	size_t maxp =
	    a.opts.size + 16 > OT_DEFAULT_MAX_PROCESSES ? a.opts.size + 16 : 0;
	a.main = bench_start(&a.opts, maxp);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 0);
}
