/* SPDX-License-Identifier: MIT */
/*
 * bench_sup.h — what the supervisor benchmarks (bench_sup_start,
 * bench_restart, bench_storm) share besides bench_util.h: a logger that
 * counts reports instead of writing them, and percentiles of a sample
 * (the resident set size is in bench_util.h). Include it once per
 * program.
 *
 * The logger: every crash makes up to four reports (the process's crash
 * report, gen_server's, the supervisor's child_terminated and the progress
 * report of the restart). Writing them to a terminal costs far more than
 * the restart itself. The Erlang twins set the logger's primary level to
 * none, which skips building them; otter's counterpart is ot_log_discard,
 * installed here by default, so both sides measure the restart machinery.
 * BENCH_REPORTS=count installs a logger that counts the reports instead
 * (they are then built, formatted and dropped: the cost of reporting).
 */
#ifndef OTTER_BENCH_SUP_H
#define OTTER_BENCH_SUP_H

#include "bench_util.h"

#include <stdatomic.h>

/* Reports the logger got. Relaxed: only a count, read after the work. */
static atomic_ulong bench_reports;

static inline void bench_count_report(const char *report, void *arg)
{
	(void)report;
	(void)arg;
	atomic_fetch_add_explicit(&bench_reports, 1, memory_order_relaxed);
}

/* Silences reports (before ot_start(), so that none of the run is
 * printed): discarded, or counted with BENCH_REPORTS=count. */
static inline void bench_quiet_reports(void)
{
	const char *how = getenv("BENCH_REPORTS");
	if (how && !strcmp(how, "count"))
		BENCH_CHECK(ot_set_logger(bench_count_report, NULL));
	else
		BENCH_CHECK(ot_set_logger(ot_log_discard, NULL));
}

static inline unsigned long bench_reports_seen(void)
{
	return atomic_load_explicit(&bench_reports, memory_order_relaxed);
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * The p-th percentile (1 <= p <= 100) of v[0..n), n > 0, sorted: the
 * smallest value with at least p% of the sample at or below it (nearest
 * rank, ceil(n * p / 100)), so the 50th of an even sample is the lower
 * middle one. otter_bench.erl's percentile/2 is the same.
 */
static inline uint64_t bench_percentile(const uint64_t *v, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* Sorts v[0..n) in place, for bench_percentile(). */
static inline void bench_sort_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, bench_cmp_u64);
}

#endif /* OTTER_BENCH_SUP_H */
