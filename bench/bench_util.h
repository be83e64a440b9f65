/* SPDX-License-Identifier: MIT */
/*
 * bench_util.h — what the otter benchmark programs share: option parsing,
 * the monotonic clock, the resident set size, error checks, and handing the
 * result from the timing process back to the main thread.
 *
 * Every benchmark program works the same way: the main thread (a foreign
 * thread) starts the runtime, spawns the benchmark's head process, and
 * blocks in ot_receive() until the head sends back the figure (a double).
 * The head warms up, times its work on CLOCK_MONOTONIC and reports. main
 * prints the figure, alone on one line of stdout, and shuts the runtime down.
 *
 * By default a run is bounded by time (--seconds of timed work after
 * --warmup seconds of the same work), so it takes about the same time
 * whether the runtime is fast or slow. --iterations N times exactly N units
 * of work instead (the unit is the program's: round trips, laps, batches).
 */
#ifndef OTTER_BENCH_UTIL_H
#define OTTER_BENCH_UTIL_H

#include <otter.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Message tags used by the benchmarks. */
enum {
	BENCH_TAG_WORK = 1,   /* ping, pong, the token, a child's note */
	BENCH_TAG_STOP = 2,   /* end of the benchmark: stop (and pass it on) */
	BENCH_TAG_RESULT = 3, /* head -> main: the figure, a double */
};

/* ---------------------------------------------------------------------
 * Failing loudly
 */

static inline void bench_die_rc(const char *what, int rc, const char *file,
				int line)
{
	fprintf(stderr, "bench: %s:%d: %s: %s (%s)\n", file, line, what,
		ot_err_name(rc), ot_strerror(rc));
	fflush(stderr);
	_exit(2);
}

/* Evaluates an otter call; a negative result ends the program. */
#define BENCH_CHECK(expr)                                                      \
	do {                                                                   \
		int bench_rc_ = (expr);                                        \
		if (bench_rc_ < 0)                                             \
			bench_die_rc(#expr, bench_rc_, __FILE__, __LINE__);    \
	} while (0)

static inline void bench_die(const char *msg)
{
	fprintf(stderr, "bench: %s\n", msg);
	fflush(stderr);
	_exit(2);
}

/* ---------------------------------------------------------------------
 * Time
 */

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_secs_to_ns(double s)
{
	return s <= 0 ? 0 : (uint64_t)(s * 1e9);
}

/* The resident set size of this program, in bytes (/proc/self/statm). */
static inline size_t bench_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, resident = 0;
	if (f == NULL)
		bench_die("cannot open /proc/self/statm");
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		bench_die("cannot read /proc/self/statm");
	fclose(f);
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---------------------------------------------------------------------
 * Options
 */

/* Which options a program accepts (a bit mask). */
enum {
	BENCH_OPT_SIZE = 1u << 0,   /* --size N   */
	BENCH_OPT_STACK = 1u << 1,  /* --stack B  */
	BENCH_OPT_BATCH = 1u << 2,  /* --batch N  */
	BENCH_OPT_REPORT = 1u << 3, /* --report WHAT */
	BENCH_OPT_PAIRS = 1u << 4,  /* --pairs K  */
};

struct bench_opts {
	unsigned schedulers; /* --schedulers N (default 1) */
	uint64_t iterations; /* --iterations N (0: bounded by time) */
	double seconds;	     /* --seconds S: timed work (default 0.5) */
	double warmup;	     /* --warmup S: untimed work first (default 0.1) */
	size_t size;	     /* --size N: processes in the ring */
	size_t stack;	     /* --stack B: stack size of spawned processes */
	size_t batch;	     /* --batch N: processes spawned per batch */
	size_t pairs;	     /* --pairs K: connected pairs of processes */
	const char *report;  /* --report WHAT: which of the program's
				figures to print (the program checks it) */
	int verbose;	     /* -v: details on stderr */
};

/* The defaults every program starts from: 1 scheduler, 0.5 s timed after
 * 0.1 s of warm-up; the rest zero. */
static inline struct bench_opts bench_defaults(void)
{
	return (struct bench_opts){
	    .schedulers = 1, .seconds = 0.5, .warmup = 0.1};
}

static inline unsigned long long bench_parse_num(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr,
			"bench: %s wants a non-negative integer, not '%s'\n",
			opt, s);
		exit(2);
	}
	return v;
}

static inline double bench_parse_secs(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0)) {
		fprintf(stderr, "bench: %s wants seconds >= 0, not '%s'\n", opt,
			s);
		exit(2);
	}
	return v;
}

/*
 * Parses argv into *o. o holds the program's defaults on entry. accept
 * says which program-specific options exist; usage is printed for --help
 * and for errors, and describes what the program measures.
 */
static inline void bench_parse(int argc, char **argv, struct bench_opts *o,
			       unsigned accept, const char *usage)
{
	static const struct option longopts[] = {
	    {"schedulers", required_argument, NULL, 'S'},
	    {"iterations", required_argument, NULL, 'n'},
	    {"seconds", required_argument, NULL, 't'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"size", required_argument, NULL, 's'},
	    {"stack", required_argument, NULL, 'k'},
	    {"batch", required_argument, NULL, 'b'},
	    {"report", required_argument, NULL, 'r'},
	    {"pairs", required_argument, NULL, 'p'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "S:n:t:w:s:k:b:r:p:vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'S':
			o->schedulers =
			    (unsigned)bench_parse_num("--schedulers", optarg);
			break;
		case 'n':
			o->iterations = bench_parse_num("--iterations", optarg);
			break;
		case 't':
			o->seconds = bench_parse_secs("--seconds", optarg);
			break;
		case 'w':
			o->warmup = bench_parse_secs("--warmup", optarg);
			break;
		case 's':
			if (!(accept & BENCH_OPT_SIZE))
				goto bad;
			o->size = bench_parse_num("--size", optarg);
			break;
		case 'k':
			if (!(accept & BENCH_OPT_STACK))
				goto bad;
			o->stack = bench_parse_num("--stack", optarg);
			break;
		case 'b':
			if (!(accept & BENCH_OPT_BATCH))
				goto bad;
			o->batch = bench_parse_num("--batch", optarg);
			break;
		case 'r':
			if (!(accept & BENCH_OPT_REPORT))
				goto bad;
			o->report = optarg;
			break;
		case 'p':
			if (!(accept & BENCH_OPT_PAIRS))
				goto bad;
			o->pairs = bench_parse_num("--pairs", optarg);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
		bad:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		exit(2);
	}
	if (o->schedulers == 0)
		bench_die("--schedulers must be at least 1");
	if (o->iterations == 0 && o->seconds <= 0)
		bench_die("give --seconds > 0 or --iterations > 0");
}

/* The options every program has, for the programs' usage texts. */
#define BENCH_COMMON_USAGE                                                     \
	"  -S, --schedulers N  scheduler threads (default 1)\n"                \
	"  -t, --seconds S     time this much work (default 0.5)\n"            \
	"  -n, --iterations N  time exactly N units of work instead\n"         \
	"  -w, --warmup S      untimed work first, in seconds (default 0.1)\n" \
	"  -v, --verbose       details on stderr\n"                            \
	"  -h, --help          this text\n"

/* ---------------------------------------------------------------------
 * The runtime and the result
 */

/* Starts the runtime with o->schedulers schedulers; returns main's pid. */
static inline ot_pid bench_start(const struct bench_opts *o,
				 size_t max_processes)
{
	ot_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.schedulers = o->schedulers;
	cfg.max_processes = max_processes;
	BENCH_CHECK(ot_start(&cfg));
	ot_pid self = ot_self();
	if (ot_pid_is_none(self))
		bench_die("ot_self() in main gave OT_PID_NONE");
	return self;
}

/* From the head process: sends the figure to main. */
static inline void bench_report(ot_pid main_pid, double figure)
{
	BENCH_CHECK(
	    ot_send(main_pid, BENCH_TAG_RESULT, &figure, sizeof figure));
}

/* Prints the runtime's counters on stderr (for -v). */
static inline void bench_print_stats(const char *when)
{
	ot_stats st;
	if (ot_runtime_stats(&st) != 0)
		return;
	fprintf(stderr,
		"bench: stats %s: processes %zu threads %zu spawned %zu "
		"stacks in use %zu pooled %zu guarded %zu schedulers %u\n",
		when, st.processes, st.threads, st.spawned, st.stacks_in_use,
		st.stacks_pooled, st.stacks_guarded, st.schedulers);
}

/*
 * In main: waits for the head's figure, prints it with that many
 * decimals (one line of stdout), shuts the runtime down. Returns main's
 * exit status.
 */
static inline int bench_finish(const struct bench_opts *o, int decimals)
{
	ot_msg *m = NULL;
	BENCH_CHECK(ot_receive(&m, OT_INFINITY));
	if (ot_msg_tag(m) != BENCH_TAG_RESULT ||
	    ot_msg_size(m) != sizeof(double))
		bench_die("main got a message that is not the result");
	double figure;
	memcpy(&figure, ot_msg_data(m), sizeof figure);
	ot_msg_free(m);

	if (o->verbose)
		bench_print_stats("at the end");
	uint64_t t0 = bench_now_ns();
	BENCH_CHECK(ot_shutdown());
	if (o->verbose)
		fprintf(stderr, "bench: ot_shutdown took %.3f ms\n",
			(double)(bench_now_ns() - t0) / 1e6);

	printf("%.*f\n", decimals, figure);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Receives one message (any), checks its tag, frees it; returns its int. */
static inline int bench_recv_int(uint64_t *tag_out)
{
	ot_msg *m = NULL;
	BENCH_CHECK(ot_receive(&m, OT_INFINITY));
	int v = 0;
	if (ot_msg_size(m) == sizeof v)
		memcpy(&v, ot_msg_data(m), sizeof v);
	if (tag_out)
		*tag_out = ot_msg_tag(m);
	ot_msg_free(m);
	return v;
}

/* ---------------------------------------------------------------------
 * The measuring protocol every benchmark follows
 */

/* A benchmark's work: n units of it (round trips, laps, batches...). */
typedef void (*bench_work_fn)(void *ctx, uint64_t n);

/* Runs work in chunks of `chunk` units until at least ns nanoseconds have
 * gone by (one chunk at least); returns the units done, *elapsed the time. */
static inline uint64_t bench_work_for(bench_work_fn work, void *ctx,
				      uint64_t chunk, uint64_t ns,
				      uint64_t *elapsed)
{
	uint64_t done = 0, t0 = bench_now_ns(), t;
	do {
		work(ctx, chunk);
		done += chunk;
		t = bench_now_ns();
	} while (t - t0 < ns);
	*elapsed = t - t0;
	return done;
}

/* --warmup seconds of untimed work, then exactly --iterations units, or
 * --seconds of work in chunks. Returns the units timed; *elapsed gets the
 * time they took. */
static inline uint64_t bench_measure(const struct bench_opts *o,
				     bench_work_fn work, void *ctx,
				     uint64_t chunk, uint64_t *elapsed)
{
	if (o->warmup > 0)
		bench_work_for(work, ctx, chunk, bench_secs_to_ns(o->warmup),
			       elapsed);
	if (!o->iterations)
		return bench_work_for(work, ctx, chunk,
				      bench_secs_to_ns(o->seconds), elapsed);
	uint64_t t0 = bench_now_ns();
	work(ctx, o->iterations);
	*elapsed = bench_now_ns() - t0;
	return o->iterations;
}

/* ---------------------------------------------------------------------
 * K workers timed together (bench_pairs, bench_sockping)
 *
 * The head gives every worker the same two deadlines on the monotonic
 * clock: the end of the warmup and, --seconds later, the end of the timed
 * part. Each worker works in chunks, looking at the clock between two,
 * and counts from its first look past the first deadline until its first
 * look past the second (or exactly --iterations units from that first
 * look). The figure is the sum of the counts over the span from the
 * earliest start to the latest end.
 */
struct bench_deadlines {
	uint64_t warm_end, end; /* bench_now_ns() */
};

/* One worker's count, or (bench_count_add) all of them. */
struct bench_count {
	uint64_t units, t_start, t_end;
};

/* The deadlines for workers told now. */
static inline struct bench_deadlines
bench_deadlines_from_now(const struct bench_opts *o)
{
	struct bench_deadlines d;
	d.warm_end = bench_now_ns() + bench_secs_to_ns(o->warmup);
	d.end = d.warm_end + bench_secs_to_ns(o->seconds);
	return d;
}

/* In a worker: work(ctx, chunk) until d->warm_end, uncounted, then
 * counted until d->end, or exactly `iterations` units if non-zero. */
static inline struct bench_count
bench_count_between(const struct bench_deadlines *d, bench_work_fn work,
		    void *ctx, uint64_t chunk, uint64_t iterations)
{
	uint64_t t;
	while ((t = bench_now_ns()) < d->warm_end)
		work(ctx, chunk);
	struct bench_count c = {0, t, t};
	if (iterations) {
		work(ctx, iterations);
		c.units = iterations;
		c.t_end = bench_now_ns();
		return c;
	}
	while ((t = bench_now_ns()) < d->end) {
		work(ctx, chunk);
		c.units += chunk;
	}
	c.t_end = t;
	return c;
}

/* Adds c to *sum (units, the earliest start, the latest end); start from
 * {0, UINT64_MAX, 0}. */
static inline void bench_count_add(struct bench_count *sum,
				   const struct bench_count *c)
{
	sum->units += c->units;
	if (c->t_start < sum->t_start)
		sum->t_start = c->t_start;
	if (c->t_end > sum->t_end)
		sum->t_end = c->t_end;
}

/* Receives the next message, which must have tag `want` and `size` bytes;
 * copies them to out (what names the program in the error). */
static inline void bench_recv_tagged(const char *what, uint64_t want, void *out,
				     size_t size)
{
	ot_msg *m = NULL;
	BENCH_CHECK(ot_receive(&m, OT_INFINITY));
	if (ot_msg_tag(m) != want || ot_msg_size(m) != size) {
		fprintf(stderr, "bench: %s: unexpected message\n", what);
		fflush(stderr);
		_exit(2);
	}
	if (size)
		memcpy(out, ot_msg_data(m), size);
	ot_msg_free(m);
}

#endif /* OTTER_BENCH_UTIL_H */
