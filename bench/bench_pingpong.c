/* SPDX-License-Identifier: MIT */
/*
 * bench_pingpong — raw send/receive ping-pong between two processes.
 *
 * The figure: nanoseconds per round trip (ping -> pong -> ping), on one
 * line of stdout. The Erlang twin is otter_bench:run([pingpong]): ping does
 * Pong ! {self(), N} and waits for Pong's {self(), N} back.
 *
 * Each message carries an int (a small payload, like Erlang's small tuple);
 * pong replies to the message's sender, as Erlang's pong replies to the pid
 * in the tuple.
 */
#include "bench_util.h"

static const char usage[] =
    "usage: bench_pingpong [options]\n"
    "Prints nanoseconds per ping-pong round trip between two processes.\n"
    "--iterations counts round trips.\n" BENCH_COMMON_USAGE;

/* Round trips between two looks at the clock. */
#define CHUNK 1024

struct ping_arg {
	ot_pid main;
	struct bench_opts opts;
};

static void pong(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *m = NULL;
		BENCH_CHECK(ot_receive(&m, OT_INFINITY));
		uint64_t tag = ot_msg_tag(m);
		ot_pid from = ot_msg_from(m);
		int v = 0;
		if (ot_msg_size(m) == sizeof v)
			memcpy(&v, ot_msg_data(m), sizeof v);
		ot_msg_free(m);
		if (tag == BENCH_TAG_STOP)
			return;
		BENCH_CHECK(ot_send(from, BENCH_TAG_WORK, &v, sizeof v));
	}
}

/* n round trips with pong. */
static void rounds(ot_pid peer, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int v = (int)i;
		BENCH_CHECK(ot_send(peer, BENCH_TAG_WORK, &v, sizeof v));
		uint64_t tag;
		int back = bench_recv_int(&tag);
		if (tag != BENCH_TAG_WORK || back != v)
			bench_die("pingpong: wrong reply");
	}
}

static void rounds_work(void *peer, uint64_t n)
{
	rounds(*(const ot_pid *)peer, n);
}

static void ping(void *arg)
{
	const struct ping_arg *a = arg;
	ot_pid peer;
	BENCH_CHECK(ot_spawn(pong, NULL, NULL, &peer));

	uint64_t elapsed;
	uint64_t n =
	    bench_measure(&a->opts, rounds_work, &peer, CHUNK, &elapsed);
	BENCH_CHECK(ot_send(peer, BENCH_TAG_STOP, NULL, 0));

	if (a->opts.verbose)
		fprintf(stderr, "bench: %" PRIu64 " round trips in %.3f s\n", n,
			(double)elapsed / 1e9);
	bench_report(a->main, (double)elapsed / (double)n);
}

int main(int argc, char **argv)
{
	struct ping_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	bench_parse(argc, argv, &a.opts, 0, usage);

	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(ping, &a, NULL, NULL));
	return bench_finish(&a.opts, 1);
}
