/* SPDX-License-Identifier: MIT */
/*
 * bench_sup_start — starting idle gen_servers under a simple_one_for_one
 * supervisor: time and memory per child.
 *
 * The head (an otter process) starts a simple_one_for_one supervisor
 * whose template is an idle gen_server (permanent, brutal_kill), then
 * starts --size children (default 100,000) one after the other with
 * ot_supervisor_start_child_extra(), passing each its index as 4 bytes of
 * extra; the child's init keeps the index as its state and allocates
 * nothing. Then it checks with ot_supervisor_count_children() that all
 * are running, and stops the supervisor (not timed).
 *
 * Two figures, one per run (--report):
 *   time    microseconds per child: the whole loop of start_child calls
 *           (each returns after the child's init ran) divided by N;
 *   memory  resident bytes per child: the growth of the program's RSS
 *           (/proc/self/statm) over the loop divided by N, so the child's
 *           process, stack pages, mailbox and the supervisor's record of
 *           it all count.
 *
 * The Erlang twin, otter_bench:run([sup_start, N, time | memory]), starts
 * a simple_one_for_one supervisor whose children are gen_servers started
 * with gen_server:start_link(otter_bench, {idle, I}, []) (init returns
 * {ok, I}), by supervisor:start_child(Sup, [{idle, I}, []]) from one
 * process, and measures the beam's RSS the same way.
 * BASELINE.md: Erlang 7.45 µs and ~3.1 KB per child; the goal is <= 1 µs.
 */
#include "bench_idle_child.h"
#include "bench_sup.h"

static const char usage[] =
    "usage: bench_sup_start [options]\n"
    "Starts --size idle gen_servers under a simple_one_for_one supervisor\n"
    "from one process; prints microseconds per child (--report time) or\n"
    "resident bytes per child (--report memory). --seconds, --iterations\n"
    "and --warmup are not used.\n"
    "  -s, --size N        children (default 100000)\n"
    "  -r, --report WHAT   time (default) or memory\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
	bool memory; /* --report memory */
};

static void start_failed(const char *what, int rc, const ot_reason *why)
{
	char buf[OT_REASON_STRLEN];
	ot_reason_format(why, buf, sizeof buf);
	fprintf(stderr, "bench: %s: %s (%s) %s\n", what, ot_err_name(rc),
		ot_strerror(rc), buf);
	fflush(stderr);
	_exit(2);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t n = a->opts.size;

	ot_sup_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.flags.strategy = OT_SIMPLE_ONE_FOR_ONE;
	spec.children = &idle_child;
	spec.nchildren = 1;
	ot_pid sup;
	ot_reason why = ot_reason_normal();
	int rc = ot_supervisor_start_link(&spec, NULL, &sup, &why);
	if (rc != 0)
		start_failed("ot_supervisor_start_link", rc, &why);

	size_t rss0 = bench_rss_bytes();
	uint64_t t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		int v = (int)i;
		ot_pid child;
		rc = ot_supervisor_start_child_extra(sup, &v, sizeof v, &child,
						     &why);
		if (rc != 0)
			start_failed("ot_supervisor_start_child_extra", rc,
				     &why);
	}
	uint64_t elapsed = bench_now_ns() - t0;
	size_t rss1 = bench_rss_bytes();

	ot_child_counts cc;
	BENCH_CHECK(ot_supervisor_count_children(sup, &cc));
	if (cc.active != n)
		bench_die("sup_start: not every child is running");

	double us = (double)elapsed / 1e3 / (double)n;
	double bytes = rss1 > rss0 ? (double)(rss1 - rss0) / (double)n : 0;
	if (a->opts.verbose) {
		fprintf(stderr,
			"bench: %zu children in %.3f s: %.3f us, %.0f B "
			"resident each (RSS %.1f -> %.1f MiB)\n",
			n, (double)elapsed / 1e9, us, bytes,
			(double)rss0 / 1048576.0, (double)rss1 / 1048576.0);
		bench_print_stats("with the children");
	}
	uint64_t s0 = bench_now_ns();
	BENCH_CHECK(ot_supervisor_stop(sup, OT_INFINITY));
	if (a->opts.verbose)
		fprintf(stderr, "bench: stopping the supervisor took %.3f s\n",
			(double)(bench_now_ns() - s0) / 1e9);
	bench_report(a->main, a->memory ? bytes : us);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 100000;
	a.opts.report = "time";
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE | BENCH_OPT_REPORT,
		    usage);
	if (strcmp(a.opts.report, "memory") == 0)
		a.memory = true;
	else if (strcmp(a.opts.report, "time") != 0)
		bench_die("--report wants time or memory");
	if (a.opts.size == 0)
		bench_die("--size must be at least 1");

	bench_quiet_reports();
	/* The children, the supervisor, the head, main: the default table
	 * unless that is too small. */
	size_t procs = a.opts.size + 64;
	a.main =
	    bench_start(&a.opts, procs > OT_DEFAULT_MAX_PROCESSES ? procs : 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, a.memory ? 0 : 3);
}
