/* SPDX-License-Identifier: MIT */
/*
 * observer_pause — a `ps` over the observer's socket (otter/observer.h)
 * of --size N waiting processes, and the longest pause another process
 * sees meanwhile, in microseconds (issue 17: a ps of 1,000,000 processes
 * must not stop the schedulers; no pause over 1 ms).
 *
 * N processes wait in receive. A ticker process yields in a loop and
 * records the longest time between two of its turns. A client thread
 * connects to ot_observer_listen()'s socket and sends `ps limit=20` (and
 * then `tree`, which walks every process too): the observer's connection
 * process walks them 256 at a time and yields between chunks. The figure
 * is the ticker's longest gap during the first ps (the one that looks
 * the entry functions' names up); stderr gets a second ps's,  the ps's and the
 * tree's round trips, the reply sizes, and the ticker's longest gap over
 * as long a time without a request (the machine's own noise).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_pause.h"

static const char usage[] =
    "usage: observer_pause [options]\n"
    "A ps over the observer's socket of --size waiting processes; prints\n"
    "the longest pause another process saw meanwhile, in microseconds.\n"
    "--seconds, --iterations and --warmup are not used.\n"
    "  -s, --size N        processes (default 1000000)\n" BENCH_COMMON_USAGE;

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

static char g_path[108];

/* The client: a plain thread with a blocking socket, as otterctl. */
struct client {
	const char *request;
	size_t reply_bytes;
	uint64_t took_ns;
	atomic_bool done;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", g_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		bench_die("cannot connect to the observer");
	uint64_t t0 = bench_now_ns();
	if (write(fd, c->request, strlen(c->request)) < 0)
		bench_die("write");
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		c->reply_bytes += (size_t)n;
		if (buf[n - 1] == '\n')
			break;
	}
	c->took_ns = bench_now_ns() - t0;
	if (n <= 0 || !c->reply_bytes)
		bench_die("no reply from the observer");
	close(fd);
	atomic_store(&c->done, true);
	return NULL;
}

/* Runs request from a client thread; the ticker's longest gap
 * meanwhile. */
static uint64_t gap_during(struct client *c, size_t *long_gaps)
{
	pause_reset();
	pthread_t t;
	if (pthread_create(&t, NULL, client_main, c))
		bench_die("pthread_create");
	while (!atomic_load(&c->done))
		ot_sleep(1); /* never join from a process: it would block */
	pthread_join(t, NULL);
	*long_gaps = atomic_load(&g_long_gaps);
	return atomic_load(&g_max_gap_ns);
}

static uint64_t gap_idle(uint64_t ns, size_t *long_gaps)
{
	pause_reset();
	uint64_t t0 = bench_now_ns();
	while (bench_now_ns() - t0 < ns)
		ot_sleep(1);
	*long_gaps = atomic_load(&g_long_gaps);
	return atomic_load(&g_max_gap_ns);
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t n = a->opts.size;
	ot_pid *pids = calloc(n, sizeof *pids);
	if (!pids)
		bench_die("no memory for the pids");
	for (size_t i = 0; i < n; i++)
		BENCH_CHECK(ot_spawn(bare, NULL, NULL, &pids[i]));
	while (atomic_load_explicit(&g_waiting, memory_order_relaxed) < n)
		ot_yield();
	snprintf(g_path, sizeof g_path, "/tmp/otter-observer-pause-%d.sock",
		 (int)getpid());
	BENCH_CHECK(ot_observer_listen(g_path));
	atomic_store(&g_tick_on, true);
	BENCH_CHECK(ot_spawn(ticker, NULL, NULL, NULL));
	struct client ps = {.request = "ps limit=20\n"};
	struct client again = {.request = "ps limit=20\n"};
	struct client tree = {.request = "tree\n"};
	size_t ps_long, again_long, tree_long, idle_long;
	uint64_t gap = gap_during(&ps, &ps_long);
	uint64_t again_gap = gap_during(&again, &again_long);
	uint64_t tree_gap = gap_during(&tree, &tree_long);
	uint64_t idle_gap = gap_idle(ps.took_ns, &idle_long);
	atomic_store(&g_tick_on, false);
	fprintf(stderr,
		"note: N=%zu, %u scheduler(s): ps limit=20 took %.1f ms "
		"(%.3f us/process, a %zu-byte reply), the longest pause "
		"%.1f us during it (%zu over 1 ms); again (entry names "
		"known) %.1f ms, %.1f us (%zu over 1 ms); tree took %.1f ms, "
		"the longest pause %.1f us (%zu over 1 ms); %.1f us without "
		"a request (%zu over 1 ms)\n",
		n, a->opts.schedulers, (double)ps.took_ns / 1e6,
		(double)ps.took_ns / 1e3 / (double)n, ps.reply_bytes,
		(double)gap / 1e3, ps_long, (double)again.took_ns / 1e6,
		(double)again_gap / 1e3, again_long, (double)tree.took_ns / 1e6,
		(double)tree_gap / 1e3, tree_long, (double)idle_gap / 1e3,
		idle_long);
	BENCH_CHECK(ot_observer_stop());
	kill_all(pids, n);
	bench_report(a->main, (double)gap / 1e3);
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.size = 1000000;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_SIZE, usage);
	if (a.opts.size < 1)
		bench_die("--size must be at least 1");
	a.main = bench_start(&a.opts, a.opts.size + 1024);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, 1);
}
