/* SPDX-License-Identifier: MIT */
/*
 * bench_cast — gen_server cast throughput, one producer, one server.
 *
 * The figure: casts handled per second, on one line of stdout. The head
 * (the producer, an otter process) starts a server, then repeats a batch:
 * --batch casts (default 1000) with ot_gen_server_cast(), each an int, the
 * batch's 0, 1, 2, ...; then one ot_gen_server_call() that the server
 * answers with how many casts it handled since the last such call. The
 * head checks that the answer is the batch size, so every cast timed has
 * been handled; the time covers the casts and the call, the count only
 * the casts. The server checks that the casts arrive in order (the k-th
 * of a batch carries k); one out of order stops it, and the call fails.
 *
 * The Erlang twin, otter_bench:run([cast]), does gen_server:cast(S, K) for
 * K = 0..Batch-1 to a server whose handle_cast(K, K) is {noreply, K + 1},
 * then gen_server:call(S, sync, 5000), answered with the count (and the
 * count reset). BASELINE.md: Erlang 4.5 M/s on one scheduler; the goal is
 * >= 20 M/s.
 */
#include "bench_util.h"

static const char usage[] =
    "usage: bench_cast [options]\n"
    "Prints gen_server casts handled per second (one producer process,\n"
    "one server): batches of casts, each followed by one call that\n"
    "checks they were all handled. --iterations counts batches.\n"
    "  -b, --batch N       casts per batch (default 1000)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

/* ---------------------------------------------------------------------
 * The server
 */

struct srv {
	uint64_t count; /* casts since the last call */
	uint64_t reply; /* the last call's answer: a reply must not point
			 * into the callback's own stack frame, otter
			 * copies it after the callback has returned */
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

static ot_gs_ret srv_cast(const void *req, size_t size, void **state)
{
	struct srv *s = *state;
	int v;
	if (size != sizeof v)
		return ot_gs_stop(ot_reason_error(0, "cast: not an int"));
	memcpy(&v, req, sizeof v);
	if ((uint64_t)v != s->count)
		return ot_gs_stop(ot_reason_error(0, "cast: out of order"));
	s->count++;
	return ot_gs_noreply();
}

/* The sync call: answers the count and starts counting again. */
static ot_gs_ret srv_call(const void *req, size_t size, ot_gs_from from,
			  void **state)
{
	(void)req;
	(void)size;
	(void)from;
	struct srv *s = *state;
	s->reply = s->count;
	s->count = 0;
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
    .handle_cast = srv_cast,
    .terminate = srv_terminate,
};

/* ---------------------------------------------------------------------
 * The producer
 */

/* n batches: batch casts, then the call that checks them. */
static void batches(ot_pid server, size_t batch, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		for (size_t k = 0; k < batch; k++) {
			int v = (int)k;
			BENCH_CHECK(ot_gen_server_cast(server, &v, sizeof v));
		}
		uint64_t count = 0;
		size_t got = 0;
		ot_reason why;
		int rc =
		    ot_gen_server_call(server, NULL, 0, &count, sizeof count,
				       &got, OT_GS_DEFAULT_TIMEOUT, &why);
		if (rc != 0) {
			char buf[OT_REASON_STRLEN];
			buf[0] = '\0';
			if (rc == OT_ESERVERDIED)
				ot_reason_format(&why, buf, sizeof buf);
			fprintf(stderr,
				"bench: cast: ot_gen_server_call: %s (%s) %s\n",
				ot_err_name(rc), ot_strerror(rc), buf);
			fflush(stderr);
			_exit(2);
		}
		if (got != sizeof count || count != batch)
			bench_die("cast: the server did not handle the batch");
	}
}

struct batch_ctx {
	ot_pid server;
	size_t batch;
};

static void batches_work(void *ctx, uint64_t n)
{
	const struct batch_ctx *c = ctx;
	batches(c->server, c->batch, n);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t batch = a->opts.batch;
	ot_pid server;
	BENCH_CHECK(ot_gen_server_start(&server_cb, NULL, NULL, &server, NULL));

	uint64_t elapsed;
	struct batch_ctx ctx = {server, batch};
	uint64_t n = bench_measure(&a->opts, batches_work, &ctx, 1, &elapsed);
	BENCH_CHECK(ot_gen_server_stop(server, NULL, OT_GS_DEFAULT_TIMEOUT));

	double casts = (double)n * (double)batch;
	if (a->opts.verbose)
		fprintf(stderr, "bench: %.0f casts in %.3f s\n", casts,
			(double)elapsed / 1e9);
	bench_report(a->main, casts / ((double)elapsed / 1e9));
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.batch = 1000;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_BATCH, usage);
	if (a.opts.batch < 1 || a.opts.batch > 0x7fffffff)
		bench_die("--batch must be between 1 and 2^31-1");

	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 0);
}
