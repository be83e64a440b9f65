/* SPDX-License-Identifier: MIT */
/*
 * bench_mailbox_mem — resident memory per queued message (issue 15 item
 * 10: ~200 B for a 64-byte message).
 *
 * The figure: bytes of RSS per message, on one line of stdout. One slow
 * receiver (it never receives) gets --size N messages (default 1,000,000)
 * of --batch B payload bytes (default 64) from --schedulers senders
 * (processes); the RSS grown meanwhile, over N. Not timed; no Erlang twin
 * (an Erlang message's size depends on its term).
 */
#include "bench_util.h"

static const char usage[] =
    "usage: bench_mailbox_mem [options]\n"
    "Prints resident bytes per queued message: --size N messages of\n"
    "--batch B bytes (default 1000000 and 64), queued at one process\n"
    "that never receives, by one sender process per "
    "scheduler.\n" BENCH_COMMON_USAGE;

struct job {
	ot_pid to, main;
	size_t n, size;
};

static void sleeper(void *arg)
{
	(void)arg;
	ot_sleep(OT_INFINITY);
}

static void sender(void *arg)
{
	const struct job *j = arg;
	char buf[4096] = {0};
	for (size_t i = 0; i < j->n; i++)
		BENCH_CHECK(ot_send(j->to, 1, buf, j->size));
	BENCH_CHECK(ot_send(j->main, 2, NULL, 0));
}

int main(int argc, char **argv)
{
	struct bench_opts o = bench_defaults();
	bench_parse(argc, argv, &o, BENCH_OPT_SIZE | BENCH_OPT_BATCH, usage);
	size_t n = o.size ? o.size : 1000000;
	size_t size = o.batch ? o.batch : 64;
	if (size > 4096)
		bench_die("--batch: at most 4096 bytes");
	ot_pid main_pid = bench_start(&o, 0);
	ot_pid to;
	BENCH_CHECK(ot_spawn(sleeper, NULL, NULL, &to));
	unsigned k = o.schedulers;
	struct job j = {to, main_pid, n / k, size};
	size_t before = bench_rss_bytes();
	for (unsigned i = 0; i < k; i++)
		BENCH_CHECK(ot_spawn(sender, &j, NULL, NULL));
	for (unsigned i = 0; i < k; i++)
		bench_recv_int(NULL);
	size_t after = bench_rss_bytes();
	ot_process_info info;
	BENCH_CHECK(ot_process_info_get(to, &info));
	if (info.message_queue_len != j.n * k)
		bench_die("not every message is queued");
	if (o.verbose)
		fprintf(stderr, "bench: %zu messages, RSS %zu -> %zu\n",
			info.message_queue_len, before, after);
	ot_reason kill = ot_reason_kill();
	BENCH_CHECK(ot_exit_pid(to, &kill));
	printf("%.1f\n", (double)(after - before) / (double)(j.n * k));
	BENCH_CHECK(ot_shutdown());
	return 0;
}
