/* SPDX-License-Identifier: MIT */
/*
 * bench_pause.h — what the pause benchmarks (bench_ps, observer_pause)
 * share: N processes that wait in receive, and a ticker that yields in a
 * loop and keeps the longest gap between two of its turns (and how many
 * gaps passed 1 ms). Include it in one file of a benchmark.
 */
#ifndef OTTER_BENCH_PAUSE_H
#define OTTER_BENCH_PAUSE_H

#include <stdatomic.h>

#include "bench_util.h"

static atomic_size_t g_waiting;
static atomic_bool g_tick_on;
static _Atomic uint64_t g_max_gap_ns;
static atomic_size_t g_long_gaps; /* over 1 ms */

/* A process that waits in receive (counted in g_waiting). */
static void bare(void *arg)
{
	(void)arg;
	atomic_fetch_add_explicit(&g_waiting, 1, memory_order_relaxed);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

/* Yields in a loop while g_tick_on; keeps the longest gap between two
 * turns. */
static void ticker(void *arg)
{
	(void)arg;
	uint64_t last = bench_now_ns();
	while (atomic_load_explicit(&g_tick_on, memory_order_relaxed)) {
		ot_yield();
		uint64_t now = bench_now_ns();
		if (now - last > atomic_load(&g_max_gap_ns))
			atomic_store(&g_max_gap_ns, now - last);
		if (now - last > 1000000)
			atomic_fetch_add(&g_long_gaps, 1);
		last = now;
	}
}

/* Starts the ticker afresh: gaps from now on. */
static inline void pause_reset(void)
{
	atomic_store(&g_max_gap_ns, 0);
	atomic_store(&g_long_gaps, 0);
}

/* Kills the n waiting processes of pids, and frees the array. */
static void kill_all(ot_pid *pids, size_t n)
{
	ot_reason kill = ot_reason_kill();
	for (size_t i = 0; i < n; i++)
		BENCH_CHECK(ot_exit_pid(pids[i], &kill));
	free(pids);
}

#endif /* OTTER_BENCH_PAUSE_H */
