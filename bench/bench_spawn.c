/*
 * bench_spawn — spawn + immediate exit, in batches.
 *
 * The figure: processes per second, on one line of stdout. The head spawns
 * a batch of --batch processes (default 1000); each sends one message (an
 * int) to the head and ends; the head collects the batch's messages, then
 * starts the next batch.
 *
 * Erlang's published figure is for spawn_link + EXITs collected; otter has
 * no links yet, so this benchmark and its Erlang twin,
 * otter_bench:run([spawn]), both do spawn + send to parent + exit.
 */
#include "bench_util.h"

static const char usage[] =
    "usage: bench_spawn [options]\n"
    "Prints processes spawned (and ended) per second.\n"
    "--iterations counts batches.\n"
    "  -b, --batch N       processes per batch (default 1000)\n"
    "  -k, --stack B       stack size of the children in bytes\n"
    "                      (default 0: the runtime's)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	ot_pid head; /* the children's parent; set by head before spawning */
	struct bench_opts opts;
};

static void child(void *arg)
{
	const struct head_arg *a = arg;
	int one = 1;
	BENCH_CHECK(ot_send(a->head, BENCH_TAG_WORK, &one, sizeof one));
}

/* n batches: spawn batch children, collect their batch messages. */
static void batches(const struct head_arg *a, const ot_spawn_opts *so,
		    uint64_t n)
{
	size_t batch = a->opts.batch;
	for (uint64_t i = 0; i < n; i++) {
		for (size_t k = 0; k < batch; k++)
			BENCH_CHECK(ot_spawn(child, (void *)a, so, NULL));
		for (size_t k = 0; k < batch; k++) {
			uint64_t tag;
			if (bench_recv_int(&tag) != 1 || tag != BENCH_TAG_WORK)
				bench_die("spawn: unexpected message");
		}
	}
}

/* Batches until at least ns nanoseconds have gone by (one at least). */
static uint64_t batches_for(const struct head_arg *a, const ot_spawn_opts *so,
			    uint64_t ns, uint64_t *elapsed)
{
	uint64_t done = 0, t0 = bench_now_ns(), t;
	do {
		batches(a, so, 1);
		done++;
		t = bench_now_ns();
	} while (t - t0 < ns);
	*elapsed = t - t0;
	return done;
}

static void head(void *arg)
{
	struct head_arg *a = arg;
	a->head = ot_self();
	ot_spawn_opts so;
	memset(&so, 0, sizeof so);
	so.stack_size = a->opts.stack;

	uint64_t elapsed, n;
	if (a->opts.warmup > 0)
		batches_for(a, &so, bench_secs_to_ns(a->opts.warmup), &elapsed);
	if (a->opts.iterations) {
		n = a->opts.iterations;
		uint64_t t0 = bench_now_ns();
		batches(a, &so, n);
		elapsed = bench_now_ns() - t0;
	} else {
		n = batches_for(a, &so, bench_secs_to_ns(a->opts.seconds),
				&elapsed);
	}

	double spawned = (double)n * (double)a->opts.batch;
	if (a->opts.verbose)
		fprintf(stderr, "bench: %.0f processes in %.3f s\n", spawned,
			(double)elapsed / 1e9);
	bench_report(a->main, spawned / ((double)elapsed / 1e9));
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts.schedulers = 1;
	a.opts.seconds = 0.5;
	a.opts.warmup = 0.1;
	a.opts.batch = 1000;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_BATCH | BENCH_OPT_STACK,
		    usage);
	if (a.opts.batch < 1)
		bench_die("--batch must be at least 1");

	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 0);
}
