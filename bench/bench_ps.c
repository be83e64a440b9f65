/* SPDX-License-Identifier: MIT */
/*
 * bench_ps — an observer's `ps` over --size N waiting processes: the
 * longest pause it causes, in microseconds (issue 17: a ps of 1,000,000
 * processes must not stop the schedulers; no pause over 1 ms).
 *
 * N processes wait in receive. A ticker process yields in a loop and
 * records the longest time between two of its turns. The walker — a
 * process, as the observer's own are — lists every process with
 * ot_processes() in chunks of --batch pids (default 1024), reads each
 * one's ot_process_details_get() (the entry function's name included, as
 * ps shows it), and yields between chunks. The figure is the ticker's
 * longest gap during the walk; stderr gets the walk's time, its cost per
 * process, and the ticker's longest gap over as long a time without a
 * walk, with how many gaps exceeded 1 ms in each (the machine's own noise
 * shows in the second).
 */
#include <stdatomic.h>

#include "bench_pause.h"

static const char usage[] =
    "usage: bench_ps [options]\n"
    "Walks --size waiting processes as an observer's ps does; prints the\n"
    "longest pause another process saw meanwhile, in microseconds.\n"
    "--seconds, --iterations and --warmup are not used.\n"
    "  -s, --size N        processes (default 1000000)\n"
    "  -b, --batch N       pids per ot_processes() call (default "
    "1024)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

/* The longest gap the ticker sees over ns nanoseconds of fn (or none). */
static uint64_t gap_during(void (*fn)(size_t, size_t *), size_t batch,
			   size_t *seen, uint64_t *took, size_t *long_gaps)
{
	pause_reset();
	uint64_t t0 = bench_now_ns();
	if (fn)
		fn(batch, seen);
	else
		while (bench_now_ns() - t0 < *took)
			ot_yield();
	*took = bench_now_ns() - t0;
	*long_gaps = atomic_load(&g_long_gaps);
	return atomic_load(&g_max_gap_ns);
}

static void walk(size_t batch, size_t *seen)
{
	ot_pid *chunk = calloc(batch, sizeof *chunk);
	if (!chunk)
		bench_die("no memory for a chunk");
	ot_pid after = OT_PID_NONE;
	size_t n, total = 0;
	do {
		BENCH_CHECK(ot_processes(after, chunk, batch, &n));
		for (size_t i = 0; i < n; i++) {
			ot_process_details d;
			int rc = ot_process_details_get(chunk[i], &d, sizeof d);
			if (rc != 0 && rc != OT_ENOPROC)
				BENCH_CHECK(rc);
		}
		total += n;
		if (n)
			after = chunk[n - 1];
		ot_yield(); /* a walker lets the others run between chunks */
	} while (n == batch);
	free(chunk);
	*seen = total;
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t n = a->opts.size;
	size_t batch = a->opts.batch ? a->opts.batch : 1024;
	ot_pid *pids = calloc(n, sizeof *pids);
	if (!pids)
		bench_die("no memory for the pids");
	for (size_t i = 0; i < n; i++)
		BENCH_CHECK(ot_spawn(bare, NULL, NULL, &pids[i]));
	while (atomic_load_explicit(&g_waiting, memory_order_relaxed) < n)
		ot_yield();
	atomic_store(&g_tick_on, true);
	BENCH_CHECK(ot_spawn(ticker, NULL, NULL, NULL));
	size_t seen = 0;
	uint64_t walk_ns = 0, idle_ns;
	size_t walk_long, idle_long;
	uint64_t gap = gap_during(walk, batch, &seen, &walk_ns, &walk_long);
	idle_ns = walk_ns;
	uint64_t idle_gap = gap_during(NULL, batch, NULL, &idle_ns, &idle_long);
	atomic_store(&g_tick_on, false);
	if (seen < n)
		bench_die("the walk missed processes");
	fprintf(stderr,
		"note: N=%zu, chunks of %zu: the walk took %.1f ms (%.3f "
		"us/process, %zu seen); the longest pause %.1f us during it "
		"(%zu over 1 ms), %.1f us without it (%zu over 1 ms)\n",
		n, batch, (double)walk_ns / 1e6,
		(double)walk_ns / 1e3 / (double)seen, seen, (double)gap / 1e3,
		walk_long, (double)idle_gap / 1e3, idle_long);
	kill_all(pids, n);
	bench_report(a->main, (double)gap / 1e3);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 1000000;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE | BENCH_OPT_BATCH,
		    usage);
	if (a.opts.size < 1)
		bench_die("--size must be at least 1");
	a.main = bench_start(&a.opts, a.opts.size + 1024);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 1);
}
