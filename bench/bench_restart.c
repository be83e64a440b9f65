/* SPDX-License-Identifier: MIT */
/*
 * bench_restart — supervisor restart latency: from a call that crashes a
 * supervised gen_server until its restarted successor answers a call.
 *
 * The head (an otter process) starts a one_for_one supervisor with one
 * permanent gen_server child registered as "bench_victim" (intensity
 * 1,000,000 restarts per second, so it never gives up). Each sample:
 *   t0; ot_gen_server_call_name("bench_victim", CRASH): the server writes
 *   through a NULL pointer (a real SIGSEGV caught by otter) and the call
 *   returns OT_ESERVERDIED with the crash reason, which is checked;
 *   then call "bench_victim" with an int v until it answers v + 1: while
 *   the name is not registered again the call returns OT_ENOPROC and the
 *   head yields (ot_yield()) and tries again; t1.
 * t1 - t0 is one sample. The figure is the median (--report median, the
 * default) or the 99th percentile (--report p99) of --iterations samples
 * (default 2,000), in microseconds.
 *
 * The samples are taken in batches of --batch (default 100), each under a
 * fresh supervisor started and stopped outside the timing and after one
 * untimed restart; one untimed batch goes first. This is for Erlang's
 * sake: an OTP supervisor keeps the times of its restarts within the
 * period in a list that it copies at each restart
 * (supervisor:add_restart/3), so under one supervisor its latency grows
 * with the restarts of the last second, from ~15 us to ~100 us after
 * 2,000 of them. Batches measure the restart, not that list (the storm
 * benchmark shows the list's effect).
 *
 * Each crash makes reports (crash report with backtrace, gen_server's,
 * the supervisor's child_terminated, the progress report): discarded
 * unbuilt, as the twin's logger at level none (bench_sup.h).
 *
 * The Erlang twin, otter_bench:run([restart, N, median | p99, Batch]):
 * the same batches, supervisor (intensity 1000000, period 1) and child
 * ({local, bench_victim}); the crash call makes handle_call evaluate
 * 1 / zero() (badarith) and the caller catches exit:{{badarith, _}, _};
 * the retries catch exit:{noproc, _} and call erlang:yield(). The
 * logger's primary level is none. BASELINE.md: Erlang 13.3 µs median,
 * 34 µs p99 on one scheduler; the goal is <= 5 µs median, <= 20 µs p99.
 */
#include "bench_sup.h"

#include <signal.h>

static const char usage[] =
    "usage: bench_restart [options]\n"
    "Prints the median (or p99) microseconds from a call that crashes a\n"
    "supervised gen_server (SIGSEGV) until the restarted server answers.\n"
    "--iterations counts samples (default 2000); --seconds and --warmup\n"
    "are not used (one untimed batch goes first).\n"
    "  -b, --batch N       restarts under each fresh supervisor (default 100)\n"
    "  -r, --report WHAT   median (default) or p99\n" BENCH_COMMON_USAGE;

#define VICTIM "bench_victim"
/* The request that crashes the server; any other int v gets v + 1. */
#define CRASH (-1)

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
	unsigned percentile; /* 50 or 99 */
};

/* ---------------------------------------------------------------------
 * The victim: replies v + 1 to an int v, faults on CRASH
 */

struct victim {
	int reply; /* the reply lives here, not in the callback's frame */
};

static ot_gs_ret victim_init(void *arg, void **state)
{
	(void)arg;
	struct victim *s = calloc(1, sizeof *s);
	if (s == NULL)
		return ot_gs_stop(ot_reason_error(0, "out of memory"));
	*state = s;
	return ot_gs_ok();
}

static ot_gs_ret victim_call(const void *req, size_t size, ot_gs_from from,
			     void **state)
{
	(void)from;
	struct victim *s = *state;
	int v;
	if (size != sizeof v)
		return ot_gs_stop(ot_reason_error(0, "call: not an int"));
	memcpy(&v, req, sizeof v);
	if (v == CRASH) {
		volatile int *volatile p = NULL; /* a real load, kept */
		v = *p;
	}
	s->reply = v + 1;
	return ot_gs_reply(&s->reply, sizeof s->reply);
}

static void victim_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	free(state);
}

static const ot_gen_server_callbacks victim_cb = {
    .init = victim_init,
    .handle_call = victim_call,
    .terminate = victim_terminate,
};

static const ot_child_spec victim_child = {
    .id = "victim",
    .server = &victim_cb,
    .name = VICTIM,
    .restart = OT_PERMANENT,
    .shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL,
    .type = OT_WORKER,
};

/* ---------------------------------------------------------------------
 * One restart
 */

static void call_failed(const char *what, int rc, const ot_reason *why)
{
	char buf[OT_REASON_STRLEN];
	buf[0] = '\0';
	if (rc == OT_ESERVERDIED)
		ot_reason_format(why, buf, sizeof buf);
	fprintf(stderr, "bench: restart: %s: %s (%s) %s\n", what,
		ot_err_name(rc), ot_strerror(rc), buf);
	fflush(stderr);
	_exit(2);
}

/* Retries while the victim is not registered again. */
static uint64_t retries;

/* Crashes the victim and waits for its successor; returns the ns taken. */
static uint64_t restart_once(void)
{
	int v = CRASH, back = 0;
	size_t got = 0;
	ot_reason why;
	uint64_t t0 = bench_now_ns();
	int rc =
	    ot_gen_server_call_name(VICTIM, &v, sizeof v, &back, sizeof back,
				    &got, OT_GS_DEFAULT_TIMEOUT, &why);
	if (rc != OT_ESERVERDIED)
		call_failed("the crash call", rc, &why);
	if (why.kind != OT_REASON_CRASH || why.code != SIGSEGV)
		call_failed("the crash call did not end in SIGSEGV", rc, &why);
	v = 1;
	for (;;) {
		rc = ot_gen_server_call_name(VICTIM, &v, sizeof v, &back,
					     sizeof back, &got,
					     OT_GS_DEFAULT_TIMEOUT, &why);
		if (rc == 0)
			break;
		if (rc != OT_ENOPROC)
			call_failed("the call after the crash", rc, &why);
		retries++;
		BENCH_CHECK(ot_yield());
	}
	uint64_t t = bench_now_ns() - t0;
	if (got != sizeof back || back != 2)
		bench_die("restart: wrong reply");
	return t;
}

/* Starts a supervisor, restarts its child once, then n times into
 * sample[0..n) (may be NULL: untimed), and stops it. */
static void batch(uint64_t *sample, size_t n)
{
	ot_sup_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.flags.strategy = OT_ONE_FOR_ONE;
	spec.flags.intensity = OT_SUP_MAX_INTENSITY;
	spec.flags.period_ms = 1000;
	spec.children = &victim_child;
	spec.nchildren = 1;
	ot_pid sup;
	ot_reason why = ot_reason_normal();
	int rc = ot_supervisor_start_link(&spec, NULL, &sup, &why);
	if (rc != 0)
		call_failed("ot_supervisor_start_link", rc, &why);
	restart_once();
	for (size_t i = 0; i < n; i++) {
		uint64_t t = restart_once();
		if (sample != NULL)
			sample[i] = t;
	}
	BENCH_CHECK(ot_supervisor_stop(sup, OT_INFINITY));
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t n = a->opts.iterations, b = a->opts.batch;
	uint64_t *sample = calloc(n, sizeof *sample);
	if (sample == NULL)
		bench_die("out of memory");

	batch(NULL, b < n ? b : n);
	unsigned long reports0 = bench_reports_seen();
	uint64_t retries0 = retries, t0 = bench_now_ns();
	for (size_t i = 0; i < n; i += b)
		batch(sample + i, n - i < b ? n - i : b);
	uint64_t elapsed = bench_now_ns() - t0;
	size_t restarts = n + (n + b - 1) / b;
	unsigned long reports = bench_reports_seen() - reports0;

	bench_sort_u64(sample, n);
	double fig = (double)bench_percentile(sample, n, a->percentile) / 1e3;
	if (a->opts.verbose)
		fprintf(stderr,
			"bench: %zu samples in %.3f s with the supervisors' "
			"starts and stops: min %.2f median %.2f p99 %.2f max "
			"%.2f us; %.2f retries and %.2f reports (counted, not "
			"printed) per restart\n",
			n, (double)elapsed / 1e9, (double)sample[0] / 1e3,
			(double)bench_percentile(sample, n, 50) / 1e3,
			(double)bench_percentile(sample, n, 99) / 1e3,
			(double)sample[n - 1] / 1e3,
			(double)(retries - retries0) / (double)restarts,
			(double)reports / (double)restarts);
	free(sample);
	bench_report(a->main, fig);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.iterations = 2000;
	a.opts.batch = 100;
	a.opts.report = "median";
	bench_parse(argc, argv, &a.opts, BENCH_OPT_REPORT | BENCH_OPT_BATCH,
		    usage);
	if (strcmp(a.opts.report, "median") == 0)
		a.percentile = 50;
	else if (strcmp(a.opts.report, "p99") == 0)
		a.percentile = 99;
	else
		bench_die("--report wants median or p99");
	if (a.opts.iterations == 0 || a.opts.batch == 0)
		bench_die("--iterations and --batch must be at least 1");

	bench_quiet_reports();
	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 2);
}
