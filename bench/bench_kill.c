/* SPDX-License-Identifier: MIT */
/*
 * bench_kill — killing --size N bare processes directly: microseconds per
 * process (issue 14: 10x the processes may cost at most 12x the time).
 *
 * The head traps exits, spawn_links N processes that wait in receive, and
 * waits until all of them wait (untimed). Timed: for each, what OTP's
 * supervisor does to brutal_kill a child — monitor it, unlink it,
 * exit(Pid, kill) — then the N DOWNs (reason killed) taken in any order.
 * While the head goes on, the ones it killed already put their EXITs in
 * its inbox, which each later unlink must not search. The figure is that
 * time divided by N; the kill loop's own share goes to stderr as a
 * "note:" line.
 *
 * The Erlang twin, otter_bench:run([kill, N]), does the same with
 * spawn_link/1, erlang:monitor/2, unlink/1, exit(Pid, kill) and receive
 * {'DOWN', ...}.
 */
#include <stdatomic.h>

#include "bench_util.h"

static const char usage[] =
    "usage: bench_kill [options]\n"
    "Kills --size linked waiting processes (monitor, unlink, exit(Pid,\n"
    "kill)) and collects their DOWNs; prints microseconds per process. "
    "--seconds, --iterations and\n"
    "--warmup are not used.\n"
    "  -s, --size N        processes (default 10000)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

static atomic_size_t g_waiting;

/* Waits for ever (until killed). */
static void bare(void *arg)
{
	(void)arg;
	atomic_fetch_add_explicit(&g_waiting, 1, memory_order_relaxed);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t n = a->opts.size;
	ot_pid *pids = calloc(n, sizeof *pids);
	if (!pids)
		bench_die("no memory for the pids");
	BENCH_CHECK(ot_trap_exit(true, NULL));
	ot_spawn_opts so = {.flags = OT_SPAWN_LINK};
	for (size_t i = 0; i < n; i++)
		BENCH_CHECK(ot_spawn(bare, NULL, &so, &pids[i]));
	while (atomic_load_explicit(&g_waiting, memory_order_relaxed) < n)
		ot_yield();
	ot_reason kill = ot_reason_kill();
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		ot_ref ref;
		BENCH_CHECK(ot_monitor(pids[i], &ref));
		BENCH_CHECK(ot_unlink(pids[i]));
		BENCH_CHECK(ot_exit_pid(pids[i], &kill));
	}
	uint64_t t1 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		ot_msg *m = NULL;
		BENCH_CHECK(ot_receive(&m, OT_INFINITY));
		const ot_down_info *d = ot_msg_down(m);
		if (!d || d->reason.kind != OT_REASON_KILLED)
			bench_die("kill: a message that is not a killed DOWN");
		ot_msg_free(m);
	}
	uint64_t t2 = bench_now_ns();
	free(pids);
	fprintf(stderr,
		"note: N=%zu: kills %.3f us/process, all DOWNs %.3f "
		"us/process\n",
		n, (double)(t1 - t0) / 1e3 / (double)n,
		(double)(t2 - t0) / 1e3 / (double)n);
	bench_report(a->main, (double)(t2 - t0) / 1e3 / (double)n);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 10000;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE, usage);
	if (a.opts.size < 1)
		bench_die("--size must be at least 1");
	a.main = bench_start(&a.opts, a.opts.size + 1024);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 3);
}
