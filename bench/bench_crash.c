/* SPDX-License-Identifier: MIT */
/*
 * bench_crash — the cost of a trapped crash.
 *
 * The figure: microseconds per crash, on one line of stdout, from the spawn
 * to the EXIT received. The head traps exits and, one at a time, spawns
 * with OT_SPAWN_LINK a process that writes through a NULL pointer (a real
 * SIGSEGV, caught by otter's fault handler), then waits for its EXIT
 * message and checks that the reason is a crash (SIGSEGV).
 *
 * Each crash makes a crash report (pid, reason, backtrace). The benchmark
 * installs a logger that discards it, so the figure includes taking and
 * formatting the report but not writing it to stderr.
 *
 * The Erlang twin, otter_bench:run([crash]), traps exits, spawn_links a
 * process that fails with badarith and waits for {'EXIT', Pid,
 * {badarith, _}}, with the logger's primary level set to none (so the
 * emulator's error report is dropped, not printed).
 */
#include "bench_util.h"

#include <signal.h>

static const char usage[] =
    "usage: bench_crash [options]\n"
    "Prints microseconds per trapped crash: spawn_link a process that\n"
    "faults (SIGSEGV), receive its EXIT. Crash reports are discarded.\n"
    "--iterations counts crashes.\n"
    "  -k, --stack B       stack size of the crashing processes in bytes\n"
    "                      (default 0: the runtime's)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

/* The logger: drops every report. */
static void discard_report(const char *report, void *arg)
{
	(void)report;
	(void)arg;
}

/* Writes through a NULL pointer: SIGSEGV. */
static void crasher(void *arg)
{
	(void)arg;
	volatile int *p = NULL;
	*p = 1;
}

/* n crashes, one after the other: spawn_link, receive the EXIT. */
static void crashes(const ot_spawn_opts *so, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		ot_pid pid;
		BENCH_CHECK(ot_spawn(crasher, NULL, so, &pid));
		ot_msg *m = NULL;
		BENCH_CHECK(ot_receive(&m, OT_INFINITY));
		const ot_exit_info *x = ot_msg_exit(m);
		if (x == NULL)
			bench_die("crash: a message that is not an EXIT");
		if (!ot_pid_equal(x->from, pid))
			bench_die("crash: an EXIT from another process");
		if (x->reason.kind != OT_REASON_CRASH ||
		    x->reason.code != SIGSEGV) {
			char buf[OT_REASON_STRLEN];
			ot_reason_format(&x->reason, buf, sizeof buf);
			fprintf(stderr, "bench: crash: reason %s\n", buf);
			bench_die(
			    "crash: the EXIT reason is not a SIGSEGV crash");
		}
		ot_msg_free(m);
	}
}

static void crashes_work(void *so, uint64_t n)
{
	crashes(so, n);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	BENCH_CHECK(ot_trap_exit(true, NULL));
	ot_spawn_opts so;
	memset(&so, 0, sizeof so);
	so.stack_size = a->opts.stack;
	so.flags = OT_SPAWN_LINK;

	uint64_t elapsed;
	uint64_t n = bench_measure(&a->opts, crashes_work, &so, 1, &elapsed);

	if (a->opts.verbose) {
		fprintf(stderr, "bench: %" PRIu64 " crashes in %.3f s\n", n,
			(double)elapsed / 1e9);
		bench_print_stats("after the crashes");
	}
	bench_report(a->main, (double)elapsed / 1e3 / (double)n);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	bench_parse(argc, argv, &a.opts, BENCH_OPT_STACK, usage);

	BENCH_CHECK(ot_set_logger(discard_report, NULL));
	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 3);
}
