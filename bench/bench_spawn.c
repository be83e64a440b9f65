/*
 * bench_spawn — spawn_link + immediate exit, EXITs collected, in batches.
 *
 * The figure: processes per second, on one line of stdout. The head traps
 * exits and spawns a batch of --batch processes (default 1000) with
 * OT_SPAWN_LINK; each returns at once (reason normal), so the head gets
 * one EXIT message per child; it collects the batch's EXITs, then starts
 * the next batch.
 *
 * This is Erlang's published figure (BASELINE.md: "spawn_link + immediate
 * exit, EXITs collected (batches of 1000)"); the Erlang twin,
 * otter_bench:run([spawn]), does process_flag(trap_exit, true),
 * spawn_link(fun() -> ok end) and receive {'EXIT', _, normal}.
 */
#include "bench_util.h"

static const char usage[] =
    "usage: bench_spawn [options]\n"
    "Prints processes spawned (linked, ended, EXIT received) per second.\n"
    "--iterations counts batches.\n"
    "  -b, --batch N       processes per batch (default 1000)\n"
    "  -k, --stack B       stack size of the children in bytes\n"
    "                      (default 0: the runtime's)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

/* Ends at once, with reason normal. */
static void child(void *arg)
{
	(void)arg;
}

/* Receives one message: it must be an EXIT with reason normal. */
static void recv_exit_normal(void)
{
	ot_msg *m = NULL;
	BENCH_CHECK(ot_receive(&m, OT_INFINITY));
	const ot_exit_info *x = ot_msg_exit(m);
	if (x == NULL)
		bench_die("spawn: a message that is not an EXIT");
	if (x->reason.kind != OT_REASON_NORMAL)
		bench_die("spawn: a child did not end normally");
	ot_msg_free(m);
}

/* n batches: spawn_link batch children, collect their batch EXITs. */
static void batches(const struct head_arg *a, const ot_spawn_opts *so,
		    uint64_t n)
{
	size_t batch = a->opts.batch;
	for (uint64_t i = 0; i < n; i++) {
		for (size_t k = 0; k < batch; k++)
			BENCH_CHECK(ot_spawn(child, NULL, so, NULL));
		for (size_t k = 0; k < batch; k++)
			recv_exit_normal();
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
	const struct head_arg *a = arg;
	BENCH_CHECK(ot_trap_exit(true, NULL));
	ot_spawn_opts so;
	memset(&so, 0, sizeof so);
	so.stack_size = a->opts.stack;
	so.flags = OT_SPAWN_LINK;

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
