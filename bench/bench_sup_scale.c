/* SPDX-License-Identifier: MIT */
/*
 * bench_sup_scale — whether a supervisor's costs grow with the number of
 * its children and no faster (issue 14: 10x the children may cost at most
 * 12x the time, up to 100,000): microseconds per child of a whole life,
 * at --size N.
 *
 * The children are idle gen_servers (permanent, the worker's default
 * shutdown of 5 s: each is sent exit reason shutdown and, not trapping
 * exits, ends at once). One run, one of two shapes (--report):
 *   static   a one_for_one supervisor started with N children in its
 *            spec (ids "c0" .. "cN-1"): ot_supervisor_start_link(), which
 *            returns once all N run, then ot_supervisor_stop(), which
 *            stops them one at a time in reverse start order;
 *   dynamic  a simple_one_for_one supervisor: N children started one
 *            after the other with ot_supervisor_start_child_extra(), the
 *            first half of them (in start order) stopped one at a time
 *            with ot_supervisor_terminate_child_pid(), then
 *            ot_supervisor_stop() with the other half still running.
 * The figure is the time of all of it divided by N. Each phase's own time
 * per child goes to stderr as a "note:" line (bench/run shows those), so
 * that a phase that grows faster than the others stands out, with the
 * CPU time the whole program spent on the phases, per child: on a loaded
 * machine a long run is preempted more than a short one, and its wall
 * time grows for that alone; the CPU time does not.
 *
 * The Erlang twin, otter_bench:run([sup_scale, N, static | dynamic]), does
 * the same with supervisor:start_link/2 (init returning the N specs),
 * supervisor:start_child/2, supervisor:terminate_child/2 and
 * gen_server:stop/3.
 */
#include "bench_idle_child.h"
#include "bench_sup.h"

static const char usage[] =
    "usage: bench_sup_scale [options]\n"
    "Starts and stops --size idle gen_servers under one supervisor; prints\n"
    "microseconds per child. --report static: N children in the spec of a\n"
    "one_for_one supervisor, start_link then stop; --report dynamic: N\n"
    "start_child under simple_one_for_one, terminate_child of half of them,\n"
    "then stop. --seconds, --iterations and --warmup are not used.\n"
    "  -s, --size N        children (default 10000)\n"
    "  -r, --report WHAT   static (default) or dynamic\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
	bool dynamic; /* --report dynamic */
};

/* The children: idle_cb with the worker's default shutdown (5 s). */
static const ot_child_spec scale_child = {
    .id = "idle",
    .server = &idle_cb,
    .restart = OT_PERMANENT,
    .type = OT_WORKER,
};

static void failed(const char *what, int rc, const ot_reason *why)
{
	char buf[OT_REASON_STRLEN] = "";
	if (why)
		ot_reason_format(why, buf, sizeof buf);
	fprintf(stderr, "bench: %s: %s (%s) %s\n", what, ot_err_name(rc),
		ot_strerror(rc), buf);
	fflush(stderr);
	_exit(2);
}

static double us_per(uint64_t ns, size_t n)
{
	return n ? (double)ns / 1e3 / (double)n : 0;
}

/* The CPU time of the whole program (every thread), in ns. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void check_active(ot_pid sup, size_t want)
{
	ot_child_counts cc;
	BENCH_CHECK(ot_supervisor_count_children(sup, &cc));
	if (cc.active != want)
		bench_die("sup_scale: not every child is running");
}

/* start_link with n children, stop: the total in ns. */
static uint64_t run_static(size_t n)
{
	ot_child_spec *ch = calloc(n, sizeof *ch);
	if (!ch)
		bench_die("no memory for the child specs");
	for (size_t i = 0; i < n; i++) {
		ch[i] = scale_child;
		snprintf(ch[i].id, sizeof ch[i].id, "c%zu", i);
	}
	ot_sup_spec spec = {.children = ch, .nchildren = n};
	ot_pid sup;
	ot_reason why = ot_reason_normal();
	uint64_t c0 = cpu_ns(), t0 = bench_now_ns();
	int rc = ot_supervisor_start_link(&spec, NULL, &sup, &why);
	uint64_t t1 = bench_now_ns(), c1 = cpu_ns();
	if (rc)
		failed("ot_supervisor_start_link", rc, &why);
	free(ch);
	check_active(sup, n);
	uint64_t c2 = cpu_ns(), t2 = bench_now_ns();
	BENCH_CHECK(ot_supervisor_stop(sup, OT_INFINITY));
	uint64_t t3 = bench_now_ns(), c3 = cpu_ns();
	fprintf(stderr,
		"note: static N=%zu: start %.3f us/child, stop %.3f us/child "
		"(cpu %.3f us/child)\n",
		n, us_per(t1 - t0, n), us_per(t3 - t2, n),
		us_per((c1 - c0) + (c3 - c2), n));
	return (t1 - t0) + (t3 - t2);
}

/* n start_child, n/2 terminate_child, stop: the total in ns. */
static uint64_t run_dynamic(size_t n)
{
	ot_sup_spec spec = {.flags = {.strategy = OT_SIMPLE_ONE_FOR_ONE},
			    .children = &scale_child,
			    .nchildren = 1};
	ot_pid sup;
	ot_reason why = ot_reason_normal();
	int rc = ot_supervisor_start_link(&spec, NULL, &sup, &why);
	if (rc)
		failed("ot_supervisor_start_link", rc, &why);
	ot_pid *kids = calloc(n, sizeof *kids);
	if (!kids)
		bench_die("no memory for the pids");
	uint64_t c0 = cpu_ns(), t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		int v = (int)i;
		rc = ot_supervisor_start_child_extra(sup, &v, sizeof v,
						     &kids[i], &why);
		if (rc)
			failed("ot_supervisor_start_child_extra", rc, &why);
	}
	uint64_t t1 = bench_now_ns(), c1 = cpu_ns();
	check_active(sup, n);
	size_t half = n / 2;
	uint64_t c2 = cpu_ns(), t2 = bench_now_ns();
	for (size_t i = 0; i < half; i++) {
		rc = ot_supervisor_terminate_child_pid(sup, kids[i]);
		if (rc)
			failed("ot_supervisor_terminate_child_pid", rc, NULL);
	}
	uint64_t t3 = bench_now_ns(), c3 = cpu_ns();
	check_active(sup, n - half);
	uint64_t c4 = cpu_ns(), t4 = bench_now_ns();
	BENCH_CHECK(ot_supervisor_stop(sup, OT_INFINITY));
	uint64_t t5 = bench_now_ns(), c5 = cpu_ns();
	free(kids);
	fprintf(stderr,
		"note: dynamic N=%zu: start_child %.3f us/child, "
		"terminate_child %.3f us/child (%zu), stop %.3f us/child "
		"(%zu) (cpu %.3f us/child)\n",
		n, us_per(t1 - t0, n), us_per(t3 - t2, half), half,
		us_per(t5 - t4, n - half), n - half,
		us_per((c1 - c0) + (c3 - c2) + (c5 - c4), n));
	return (t1 - t0) + (t3 - t2) + (t5 - t4);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t n = a->opts.size;
	uint64_t ns = a->dynamic ? run_dynamic(n) : run_static(n);
	if (a->opts.verbose)
		bench_print_stats("after the stop");
	bench_report(a->main, us_per(ns, n));
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 10000;
	a.opts.report = "static";
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE | BENCH_OPT_REPORT,
		    usage);
	if (strcmp(a.opts.report, "dynamic") == 0)
		a.dynamic = true;
	else if (strcmp(a.opts.report, "static") != 0)
		bench_die("--report wants static or dynamic");
	if (a.opts.size == 0 || a.opts.size > INT32_MAX)
		bench_die("--size must be 1 .. 2^31-1");

	bench_quiet_reports();
	size_t procs = a.opts.size + 64;
	a.main =
	    bench_start(&a.opts, procs > OT_DEFAULT_MAX_PROCESSES ? procs : 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 3);
}
