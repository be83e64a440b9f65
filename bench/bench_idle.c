/* SPDX-License-Identifier: MIT */
/*
 * bench_idle — a million idle processes: time to spawn them and resident
 * bytes each while they all wait in receive (the idle1m figures).
 *
 * The head spawns --size processes (default 1,000,000) one after the
 * other, keeping their pids in an array. Each child adds one to a counter
 * and blocks in ot_receive(). The head then yields until the counter says
 * that every child has run up to its receive: that is the spawn time.
 * Untimed, it checks with ot_process_info_get() that every child is
 * waiting (yielding while one is not) and reads the resident set. Then it
 * wakes each child once with a message; each adds one to a second counter
 * and ends. The head yields until all have, and reports.
 *
 * Two figures, one per run (--report):
 *   spawn   seconds to spawn all of them, until every one is in receive;
 *   memory  resident bytes per process while all are blocked: the growth
 *           of the program's RSS (/proc/self/statm) from before the first
 *           spawn, divided by N. The pid array (8 B a child) is written
 *           during the loop, so it counts, as does the Erlang head's list.
 * The wake-up time goes to stderr as a note.
 *
 * The Erlang twin, otter_bench:run([idle, N, spawn | memory]), does the
 * same with spawn/1, counters:add/3 and the beam's RSS from
 * /proc/self/statm; it notes erlang:memory(total)'s growth as well.
 * BASELINE.md: Erlang 2.56 s and 2,658 B for 1,000,000. Issue #11's goal:
 * <= 1.0 s and <= 1,000 B per process.
 */
#include "bench_util.h"

#include <stdatomic.h>

static const char usage[] =
    "usage: bench_idle [options]\n"
    "Spawns --size processes that wait in receive; prints the seconds it\n"
    "took until all wait (--report spawn) or resident bytes per process\n"
    "(--report memory), then wakes each once. --seconds, --iterations and\n"
    "--warmup are not used.\n"
    "  -s, --size N        processes (default 1000000)\n"
    "  -k, --stack B       their stack size, bytes (default 0: the\n"
    "                      runtime's)\n"
    "  -r, --report WHAT   spawn (default) or memory\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
	bool memory; /* --report memory */
};

/* Children on their way into receive / woken. Relaxed: counts only; the
 * head looks at them between yields. */
static atomic_size_t blocked, woken;

static void idle(void *arg)
{
	(void)arg;
	atomic_fetch_add_explicit(&blocked, 1, memory_order_relaxed);
	uint64_t tag;
	bench_recv_int(&tag);
	if (tag != BENCH_TAG_WORK)
		bench_die("idle: woken by the wrong message");
	atomic_fetch_add_explicit(&woken, 1, memory_order_relaxed);
}

static void wait_count(atomic_size_t *c, size_t n)
{
	while (atomic_load_explicit(c, memory_order_relaxed) < n)
		BENCH_CHECK(ot_yield());
}

/* Every child in receive (a child counts itself just before). */
static void check_all_waiting(const ot_pid *pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ot_process_info pi;
		for (;;) {
			BENCH_CHECK(ot_process_info_get(pids[i], &pi));
			if (pi.status == OT_PROC_WAITING)
				break;
			BENCH_CHECK(ot_yield());
		}
	}
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t n = a->opts.size;
	/* Not written yet, so not resident yet: its pages count below. */
	ot_pid *pids = malloc(n * sizeof *pids);
	if (!pids)
		bench_die("idle: out of memory");
	ot_spawn_opts so;
	memset(&so, 0, sizeof so);
	so.stack_size = a->opts.stack;

	size_t rss0 = bench_rss_bytes();
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++)
		BENCH_CHECK(ot_spawn(idle, NULL, &so, &pids[i]));
	wait_count(&blocked, n);
	uint64_t spawned = bench_now_ns() - t0;
	check_all_waiting(pids, n);
	size_t rss1 = bench_rss_bytes();
	if (a->opts.verbose)
		bench_print_stats("with all waiting");

	uint64_t w0 = bench_now_ns();
	int one = 1;
	for (size_t i = 0; i < n; i++)
		BENCH_CHECK(ot_send(pids[i], BENCH_TAG_WORK, &one, sizeof one));
	wait_count(&woken, n);
	uint64_t wake = bench_now_ns() - w0;
	free(pids);

	double secs = (double)spawned / 1e9;
	double bytes = rss1 > rss0 ? (double)(rss1 - rss0) / (double)n : 0;
	fprintf(stderr,
		"note: %zu processes: spawned in %.3f s, %.0f B resident each "
		"(RSS %.1f -> %.1f MiB); woken and ended in %.3f s\n",
		n, secs, bytes, (double)rss0 / 1048576.0,
		(double)rss1 / 1048576.0, (double)wake / 1e9);
	bench_report(a->main, a->memory ? bytes : secs);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 1000000;
	a.opts.report = "spawn";
	bench_parse(argc, argv, &a.opts,
		    BENCH_OPT_SIZE | BENCH_OPT_STACK | BENCH_OPT_REPORT, usage);
	if (strcmp(a.opts.report, "memory") == 0)
		a.memory = true;
	else if (strcmp(a.opts.report, "spawn") != 0)
		bench_die("--report wants spawn or memory");
	if (a.opts.size == 0)
		bench_die("--size must be at least 1");

	/* The children, the head, main: the default table unless that is
	 * too small. */
	size_t procs = a.opts.size + 16;
	a.main =
	    bench_start(&a.opts, procs > OT_DEFAULT_MAX_PROCESSES ? procs : 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, a.memory ? 0 : 3);
}
