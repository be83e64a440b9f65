/* SPDX-License-Identifier: MIT */
/*
 * bench_server.h — the gen_server the call benchmarks talk to (bench_call,
 * bench_pairs): it replies v + 1 to an int v. Include it once per program.
 */
#ifndef OTTER_BENCH_SERVER_H
#define OTTER_BENCH_SERVER_H

#include "bench_util.h"

/* The state: where the reply is kept. A reply must not point into the
 * callback's own stack frame: otter copies it after the callback has
 * returned. */
struct srv {
	int reply;
};

static ot_gs_ret srv_init(void *arg, void **state)
{
	(void)arg;
	struct srv *s = calloc(1, sizeof *s);
	if (!s)
		return ot_gs_stop(ot_reason_error(0, "out of memory"));
	*state = s;
	return ot_gs_ok();
}

static ot_gs_ret srv_call(const void *req, size_t size, ot_gs_from from,
			  void **state)
{
	(void)from;
	struct srv *s = *state;
	int v;
	if (size != sizeof v)
		return ot_gs_stop(ot_reason_error(0, "call: not an int"));
	memcpy(&v, req, sizeof v);
	s->reply = v + 1;
	return ot_gs_reply(&s->reply, sizeof s->reply);
}

static void srv_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	free(state);
}

static const ot_gen_server_callbacks server_cb = {
    .init = srv_init,
    .handle_call = srv_call,
    .terminate = srv_terminate,
};

#endif /* OTTER_BENCH_SERVER_H */
