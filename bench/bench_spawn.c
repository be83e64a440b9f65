/* SPDX-License-Identifier: MIT */
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

struct batch_ctx {
	const struct head_arg *a;
	const ot_spawn_opts *so;
};

static void batches_work(void *ctx, uint64_t n)
{
	const struct batch_ctx *c = ctx;
	batches(c->a, c->so, n);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	BENCH_CHECK(ot_trap_exit(true, NULL));
	ot_spawn_opts so;
	memset(&so, 0, sizeof so);
	so.stack_size = a->opts.stack;
	so.flags = OT_SPAWN_LINK;

	uint64_t elapsed;
	struct batch_ctx ctx = {a, &so};
	uint64_t n = bench_measure(&a->opts, batches_work, &ctx, 1, &elapsed);

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
	a.opts = bench_defaults();
	a.opts.batch = 1000;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_BATCH | BENCH_OPT_STACK,
		    usage);
	if (a.opts.batch < 1)
		bench_die("--batch must be at least 1");

	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 0);
}
