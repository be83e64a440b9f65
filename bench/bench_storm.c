/* SPDX-License-Identifier: MIT */
/*
 * bench_storm — a restart storm: how many restarts per second one
 * supervisor sustains, and whether that rate holds.
 *
 * The head (an otter process) starts a one_for_one supervisor with
 * --size permanent gen_server children (default 100; intensity 1,000,000
 * restarts per second, so it never gives up). A child's init counts
 * itself (one relaxed atomic add) and asks for handle_continue, which
 * writes through a NULL pointer (a real SIGSEGV) while the storm is on
 * and does nothing otherwise. The children start with the storm off; the
 * head turns it on and casts each child a message that makes it fault.
 * From then on every child crashes right after each restart, so the
 * supervisor restarts as fast as it can, --size children at a time.
 *
 * After --warmup seconds the head counts inits over --seconds (default
 * 5), in windows of one second (ot_sleep, the actual span timed on the
 * monotonic clock). The figure, on stdout: restarts per second over the
 * whole span. On stderr, always, one line starting "note:" (bench/run
 * shows it) with each window's rate, the slowest window over the fastest
 * (1.00 = flat), and restarts per second of the CPU time the program used
 * (all its threads) with that CPU time over the span: on a loaded machine
 * the figure drops with the CPU share the program gets. Then the storm is
 * turned off and the supervisor stopped (not timed). Reports are counted
 * by a logger that prints nothing (bench_sup.h).
 *
 * The Erlang twin, otter_bench:run([storm, K, Seconds]): the same
 * supervisor and children (gen_servers whose init does counters:add and
 * returns {continue, crash}; handle_continue fails with badarith while an
 * atomics flag is set), the logger's primary level none.
 * The goal: >= 200 k restarts/s, flat; Erlang does ~6.1 k/s.
 */
#include "bench_sup.h"

#include <stdatomic.h>
#include <sys/resource.h>

static const char usage[] =
    "usage: bench_storm [options]\n"
    "Prints restarts per second that one one_for_one supervisor sustains\n"
    "while --size children crash right after each restart (SIGSEGV);\n"
    "per-second windows on stderr. --iterations is not used.\n"
    "  -s, --size N        children (default 100)\n"
    "  -t, --seconds S     the span counted, in windows of one second\n"
    "                      (default 5)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

/* Children's inits since the start: a counter only (relaxed), read by
 * the head. */
static atomic_ulong inits;
/* 1 while children fault in handle_continue. Relaxed: a child that sees
 * the change a little late crashes, or idles, once more. */
static atomic_int storm_on;

/* ---------------------------------------------------------------------
 * The child
 */

static void fault(void)
{
	volatile int *volatile p = NULL; /* a real store, kept */
	*p = 1;
}

static ot_gs_ret child_init(void *arg, void **state)
{
	(void)arg;
	(void)state;
	atomic_fetch_add_explicit(&inits, 1, memory_order_relaxed);
	ot_gs_ret r = ot_gs_ok();
	r.has_continue = true;
	return r;
}

static ot_gs_ret child_continue(uint64_t arg, void **state)
{
	(void)arg;
	(void)state;
	if (atomic_load_explicit(&storm_on, memory_order_relaxed))
		fault();
	return ot_gs_noreply();
}

/* The cast that starts the storm. */
static ot_gs_ret child_cast(const void *req, size_t size, void **state)
{
	(void)req;
	(void)size;
	(void)state;
	fault();
	return ot_gs_noreply();
}

static const ot_gen_server_callbacks child_cb = {
    .init = child_init,
    .handle_cast = child_cast,
    .handle_continue = child_continue,
};

/* ---------------------------------------------------------------------
 * The head
 */

/* CPU time (user + system) of the whole program so far, in ns. */
static uint64_t cpu_ns(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		   1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
		   1000u;
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t k = a->opts.size;

	/* The specs outlive the supervisor (stopped below). */
	ot_child_spec *kids = calloc(k, sizeof *kids);
	if (kids == NULL)
		bench_die("out of memory");
	for (size_t i = 0; i < k; i++) {
		snprintf(kids[i].id, sizeof kids[i].id, "storm%zu", i);
		kids[i].server = &child_cb;
		kids[i].restart = OT_PERMANENT;
		kids[i].shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL;
	}
	ot_sup_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.flags.strategy = OT_ONE_FOR_ONE;
	spec.flags.intensity = OT_SUP_MAX_INTENSITY;
	spec.flags.period_ms = 1000;
	spec.children = kids;
	spec.nchildren = k;
	ot_pid sup;
	ot_reason why = ot_reason_normal();
	int rc = ot_supervisor_start_link(&spec, NULL, &sup, &why);
	if (rc != 0) {
		char buf[OT_REASON_STRLEN];
		ot_reason_format(&why, buf, sizeof buf);
		fprintf(stderr, "bench: ot_supervisor_start_link: %s %s\n",
			ot_err_name(rc), buf);
		_exit(2);
	}

	/* Start the storm: every child faults on a cast, and after that
	 * right after each restart. */
	ot_child_info *info = calloc(k, sizeof *info);
	if (info == NULL)
		bench_die("out of memory");
	rc = ot_supervisor_which_children(sup, info, k, NULL);
	BENCH_CHECK(rc);
	if ((size_t)rc != k)
		bench_die("storm: which_children did not list every child");
	atomic_store_explicit(&storm_on, 1, memory_order_relaxed);
	for (size_t i = 0; i < k; i++)
		BENCH_CHECK(ot_gen_server_cast(info[i].pid, "x", 1));
	free(info);

	if (a->opts.warmup > 0)
		BENCH_CHECK(ot_sleep((int)(a->opts.warmup * 1000 + 0.5)));

	/* Windows of one second (one shorter window if --seconds < 1). */
	double win = a->opts.seconds < 1 ? a->opts.seconds : 1.0;
	size_t nwin = (size_t)(a->opts.seconds / win + 0.5);
	if (nwin == 0)
		nwin = 1;
	double *rate = calloc(nwin, sizeof *rate);
	if (rate == NULL)
		bench_die("out of memory");
	unsigned long reports0 = bench_reports_seen();
	unsigned long c0 = atomic_load_explicit(&inits, memory_order_relaxed);
	uint64_t cpu0 = cpu_ns(), t0 = bench_now_ns(), tw = t0;
	unsigned long cw = c0;
	for (size_t w = 0; w < nwin; w++) {
		uint64_t end = t0 + (uint64_t)((double)(w + 1) * win * 1e9);
		uint64_t now = bench_now_ns();
		if (end > now)
			BENCH_CHECK(
			    ot_sleep((int)((end - now + 999999) / 1000000)));
		unsigned long c =
		    atomic_load_explicit(&inits, memory_order_relaxed);
		now = bench_now_ns();
		rate[w] = (double)(c - cw) / ((double)(now - tw) / 1e9);
		cw = c;
		tw = now;
	}
	double cpu = (double)(cpu_ns() - cpu0) / 1e9;
	double total = (double)(cw - c0) / ((double)(tw - t0) / 1e9);
	unsigned long reports = bench_reports_seen() - reports0;
	atomic_store_explicit(&storm_on, 0, memory_order_relaxed);

	double lo = rate[0], hi = rate[0];
	char line[4096];
	size_t len = 0;
	for (size_t w = 0; w < nwin; w++) {
		lo = rate[w] < lo ? rate[w] : lo;
		hi = rate[w] > hi ? rate[w] : hi;
		if (len < sizeof line)
			len += (size_t)snprintf(line + len, sizeof line - len,
						" %.0f", rate[w]);
	}
	fprintf(stderr,
		"note: restarts/s in %.0f ms windows:%s; slowest/fastest "
		"%.2f; %.0f restarts per CPU second (CPU %.0f%%)\n",
		win * 1e3, line, hi > 0 ? lo / hi : 0,
		cpu > 0 ? (double)(cw - c0) / cpu : 0,
		100 * cpu / ((double)(tw - t0) / 1e9));
	if (a->opts.verbose)
		fprintf(stderr,
			"bench: %lu restarts in %.3f s; %.2f reports (counted, "
			"not printed) per restart\n",
			cw - c0, (double)(tw - t0) / 1e9,
			cw > c0 ? (double)reports / (double)(cw - c0) : 0.0);
	free(rate);

	uint64_t s0 = bench_now_ns();
	BENCH_CHECK(ot_supervisor_stop(sup, OT_INFINITY));
	if (a->opts.verbose)
		fprintf(stderr, "bench: stopping the supervisor took %.3f s\n",
			(double)(bench_now_ns() - s0) / 1e9);
	free(kids);
	bench_report(a->main, total);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.seconds = 5;
	a.opts.size = 100;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE, usage);
	if (a.opts.size == 0)
		bench_die("--size must be at least 1");
	if (a.opts.seconds <= 0)
		bench_die("--seconds must be > 0");

	bench_quiet_reports();
	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 0);
}
