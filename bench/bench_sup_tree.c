/* SPDX-License-Identifier: MIT */
/*
 * bench_sup_tree — a million idle gen_servers in a two-level supervision
 * tree: time and memory per child (the sup1m figures).
 *
 * The head starts a top simple_one_for_one supervisor whose template is a
 * supervisor (permanent, shutdown infinity); each of those is itself
 * simple_one_for_one over an idle gen_server (permanent, brutal_kill), as
 * in bench_sup_start. From one process, the head starts --size / --batch
 * leaf supervisors under the top one (ot_supervisor_start_child_extra()
 * without extra), and under each, right after it, --batch children
 * (default 1,000,000 children, 1,000 per leaf), each with its index in
 * the tree as 4 bytes of extra, kept as its state. Then it checks with
 * ot_supervisor_count_children() that every leaf and child is running
 * and stops the top supervisor (not timed).
 *
 * Two figures, one per run (--report):
 *   time    microseconds per child: the whole loop (leaf supervisors
 *           included) divided by the number of children;
 *   memory  resident bytes per child: the growth of the program's RSS
 *           (/proc/self/statm) over the loop divided by the number of
 *           children, so the leaf supervisors and their records of the
 *           children count.
 *
 * The Erlang twin, otter_bench:run([sup_tree, N, PerSup, time | memory]),
 * builds the same tree of supervisor/simple_one_for_one and gen_server
 * children and measures the beam's RSS the same way. Issue #11's goal:
 * <= 1 µs and <= 1,500 B per child.
 */
#include "bench_idle_child.h"
#include "bench_sup.h"

static const char usage[] =
    "usage: bench_sup_tree [options]\n"
    "Starts --size idle gen_servers under --size / --batch simple_one_for_one\n"
    "supervisors, themselves under one simple_one_for_one supervisor, from\n"
    "one process; prints microseconds per child (--report time) or resident\n"
    "bytes per child (--report memory). --seconds, --iterations and\n"
    "--warmup are not used.\n"
    "  -s, --size N        children in all (default 1000000)\n"
    "  -b, --batch K       children per supervisor, a divisor of N\n"
    "                      (default 1000)\n"
    "  -r, --report WHAT   time (default) or memory\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
	bool memory; /* --report memory */
};

/* The top supervisor's template: what it points to outlives the tree. */
static const ot_sup_spec leaf_spec = {
    .flags = {.strategy = OT_SIMPLE_ONE_FOR_ONE},
    .children = &idle_child,
    .nchildren = 1,
};

static const ot_child_spec leaf_child = {
    .id = "leaf",
    .sup = &leaf_spec,
    .restart = OT_PERMANENT,
    .shutdown_ms = OT_INFINITY,
    .type = OT_SUPERVISOR,
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
	size_t n = a->opts.size, per = a->opts.batch, nsup = n / per;
	ot_pid *leaves = malloc(nsup * sizeof *leaves);
	if (!leaves)
		bench_die("sup_tree: out of memory");

	ot_sup_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.flags.strategy = OT_SIMPLE_ONE_FOR_ONE;
	spec.children = &leaf_child;
	spec.nchildren = 1;
	ot_pid top;
	ot_reason why = ot_reason_normal();
	int rc = ot_supervisor_start_link(&spec, NULL, &top, &why);
	if (rc != 0)
		start_failed("ot_supervisor_start_link", rc, &why);

	size_t rss0 = bench_rss_bytes();
	uint64_t t0 = bench_now_ns();
	for (size_t s = 0; s < nsup; s++) {
		rc = ot_supervisor_start_child_extra(top, NULL, 0, &leaves[s],
						     &why);
		if (rc != 0)
			start_failed("start_child_extra (a supervisor)", rc,
				     &why);
		for (size_t k = 0; k < per; k++) {
			int v = (int)(s * per + k);
			rc = ot_supervisor_start_child_extra(
			    leaves[s], &v, sizeof v, NULL, &why);
			if (rc != 0)
				start_failed("start_child_extra (a child)", rc,
					     &why);
		}
	}
	uint64_t elapsed = bench_now_ns() - t0;
	size_t rss1 = bench_rss_bytes();

	ot_child_counts cc;
	BENCH_CHECK(ot_supervisor_count_children(top, &cc));
	if (cc.active != nsup)
		bench_die("sup_tree: not every supervisor is running");
	for (size_t s = 0; s < nsup; s++) {
		BENCH_CHECK(ot_supervisor_count_children(leaves[s], &cc));
		if (cc.active != per)
			bench_die("sup_tree: not every child is running");
	}
	free(leaves);

	double us = (double)elapsed / 1e3 / (double)n;
	double bytes = rss1 > rss0 ? (double)(rss1 - rss0) / (double)n : 0;
	if (a->opts.verbose) {
		fprintf(
		    stderr,
		    "bench: %zu children under %zu supervisors in %.3f s: "
		    "%.3f us, %.0f B resident each (RSS %.1f -> %.1f MiB)\n",
		    n, nsup, (double)elapsed / 1e9, us, bytes,
		    (double)rss0 / 1048576.0, (double)rss1 / 1048576.0);
		bench_print_stats("with the tree");
	}
	uint64_t s0 = bench_now_ns();
	BENCH_CHECK(ot_supervisor_stop(top, OT_INFINITY));
	if (a->opts.verbose)
		fprintf(stderr, "bench: stopping the tree took %.3f s\n",
			(double)(bench_now_ns() - s0) / 1e9);
	bench_report(a->main, a->memory ? bytes : us);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 1000000;
	a.opts.batch = 1000;
	a.opts.report = "time";
	bench_parse(argc, argv, &a.opts,
		    BENCH_OPT_SIZE | BENCH_OPT_BATCH | BENCH_OPT_REPORT, usage);
	if (strcmp(a.opts.report, "memory") == 0)
		a.memory = true;
	else if (strcmp(a.opts.report, "time") != 0)
		bench_die("--report wants time or memory");
	if (a.opts.size == 0 || a.opts.batch == 0 ||
	    a.opts.size % a.opts.batch != 0)
		bench_die("--batch must divide --size, both at least 1");
	if (a.opts.size > INT32_MAX)
		bench_die("--size must fit in an int");

	bench_quiet_reports();
	/* The children, the supervisors, the head, main. */
	size_t procs = a.opts.size + a.opts.size / a.opts.batch + 64;
	a.main =
	    bench_start(&a.opts, procs > OT_DEFAULT_MAX_PROCESSES ? procs : 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, a.memory ? 0 : 3);
}
