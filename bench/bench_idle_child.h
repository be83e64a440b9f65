/* SPDX-License-Identifier: MIT */
/*
 * bench_idle_child.h — the child that the supervisor-size benchmarks
 * (bench_sup_start, bench_sup_tree) start by the hundred thousand: an idle
 * gen_server whose state is its index (no allocation). Include it in one
 * file of a program.
 */
#ifndef OTTER_BENCH_IDLE_CHILD_H
#define OTTER_BENCH_IDLE_CHILD_H

#include <stdint.h>
#include <string.h>

#include <otter.h>

static ot_gs_ret idle_init(void *arg, void **state)
{
	int i = 0;
	if (arg != NULL)
		memcpy(&i, arg, sizeof i); /* the supervisor's copy of extra */
	*state = (void *)(intptr_t)i;
	return ot_gs_ok();
}

static const ot_gen_server_callbacks idle_cb = {
    .init = idle_init,
};

/* The template: what it points to must outlive the supervisor. */
static const ot_child_spec idle_child = {
    .id = "idle",
    .server = &idle_cb,
    .restart = OT_PERMANENT,
    .shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL,
    .type = OT_WORKER,
};

#endif /* OTTER_BENCH_IDLE_CHILD_H */
