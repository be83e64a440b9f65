/* SPDX-License-Identifier: MIT */
/*
 * bench_sockping — K pairs of processes ping-ponging 64 bytes over TCP
 * loopback: the cost of a socket wake.
 *
 * The figure, on one line of stdout: with one pair (--pairs 1, the
 * default), nanoseconds per round trip; with K > 1 pairs, round trips per
 * second, all pairs together (as bench_pairs counts calls). The head
 * listens on 127.0.0.1 (an ephemeral port) and, for each pair, connects a
 * non-blocking socket (ot_connect) and accepts its other end (ot_accept),
 * TCP_NODELAY on both; it gives one end to a pinger process, the other to
 * an echo process. The pinger writes a 64-byte message (its sequence
 * number, then a fixed pattern) with ot_write, reads exactly 64 bytes back
 * with ot_read and checks every byte; the echo reads exactly 64 and writes
 * them back. Each side's read finds the socket empty and waits, so every
 * round trip is two socket wakes: the poller's path, not the mailbox's.
 *
 * Timing is bench_pairs': when every pair is connected the head sends the
 * pingers the same two deadlines on the monotonic clock (the end of the
 * warmup and, --seconds later, the end of the timed part); each pinger
 * looks at the clock every 16 round trips and counts from its first look
 * past the first until its first look past the second. The figure is the
 * sum of the counts over the span from the earliest start to the latest
 * end (one pair: the span over its count). With --iterations N each
 * pinger makes exactly N counted round trips. Connecting, and closing the
 * sockets afterwards, are not timed.
 *
 * The twins, otter_bench:run([sockping, K]) (gen_tcp, {active, false},
 * binary, {nodelay, true}, gen_tcp:recv(S, 64)) and otter_bench sockping K
 * in Go (net.Conn, SetNoDelay, io.ReadFull), do the same work.
 */
#include "bench_util.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static const char usage[] =
    "usage: bench_sockping [options]\n"
    "K pairs of processes ping-pong 64 bytes over TCP loopback (ot_write,\n"
    "ot_read). Prints nanoseconds per round trip for one pair, round trips\n"
    "per second of all pairs together for K > 1. --iterations counts round\n"
    "trips per pair.\n"
    "  -p, --pairs K       connected pairs of processes (default "
    "1)\n" BENCH_COMMON_USAGE;

/* The message's size, in bytes. */
#define MSG 64
/* Round trips between two looks at the clock. */
#define CHUNK 16
/* No read or write waits longer than this (ms): a lost wake fails the run. */
#define IO_TIMEOUT 5000
/* At most this many pairs (two descriptors each). */
#define MAX_PAIRS 1000

/* Messages between the head and the pair processes. */
enum {
	TAG_GO = 11,	/* head -> pinger: struct bench_deadlines */
	TAG_COUNT = 12, /* pinger -> head: struct bench_count */
	TAG_DONE = 13,	/* echo -> head: its socket is closed */
};

struct head_arg {
	ot_pid main;
	struct bench_opts opts;
};

/* What a pinger or an echo gets: its end of the connection (it closes it). */
struct end_arg {
	ot_pid head;
	int fd;
	uint64_t iterations;
};

static void die_errno(const char *what)
{
	fprintf(stderr, "bench: sockping: %s: %s\n", what, strerror(errno));
	fflush(stderr);
	_exit(2);
}

/* ---------------------------------------------------------------------
 * The messages
 */

/* Reads exactly MSG bytes into buf. Returns 0 at end of file before the
 * first byte, 1 otherwise. */
static int read_msg(int fd, unsigned char *buf)
{
	size_t got = 0;
	while (got < MSG) {
		ssize_t n = ot_read(fd, buf + got, MSG - got, IO_TIMEOUT);
		if (n < 0)
			bench_die_rc("ot_read", (int)n, __FILE__, __LINE__);
		if (n == 0) {
			if (got == 0)
				return 0;
			bench_die("sockping: end of file inside a message");
		}
		got += (size_t)n;
	}
	return 1;
}

static void write_msg(int fd, const unsigned char *buf)
{
	ssize_t n = ot_write(fd, buf, MSG, IO_TIMEOUT, NULL);
	if (n < 0)
		bench_die_rc("ot_write", (int)n, __FILE__, __LINE__);
	if (n != MSG)
		bench_die("sockping: short write");
}

/* ---------------------------------------------------------------------
 * The pair
 */

/* Reads 64 bytes, writes them back, until the pinger closes its end. */
static void echo(void *arg)
{
	const struct end_arg *a = arg;
	unsigned char buf[MSG];
	while (read_msg(a->fd, buf))
		write_msg(a->fd, buf);
	if (close(a->fd) != 0)
		die_errno("close");
	BENCH_CHECK(ot_send(a->head, TAG_DONE, NULL, 0));
}

/* A pinger's end and the number of its next round trip. */
struct pinger_work {
	int fd;
	uint64_t seq;
};

/* n round trips, each reply checked byte for byte. */
static void rounds(void *ctx, uint64_t n)
{
	struct pinger_work *w = ctx;
	unsigned char out[MSG], in[MSG];
	for (size_t j = 0; j < MSG; j++)
		out[j] = (unsigned char)j;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t s = w->seq++;
		memcpy(out, &s, sizeof s);
		write_msg(w->fd, out);
		if (!read_msg(w->fd, in))
			bench_die("sockping: the echo side closed");
		if (memcmp(in, out, MSG) != 0)
			bench_die("sockping: wrong reply");
	}
}

static void pinger(void *arg)
{
	const struct end_arg *a = arg;
	struct bench_deadlines d;
	bench_recv_tagged("sockping", TAG_GO, &d, sizeof d);
	struct pinger_work w = {a->fd, 0};
	struct bench_count c =
	    bench_count_between(&d, rounds, &w, CHUNK, a->iterations);
	/* The echo sees end of file, closes its end and tells the head. */
	if (close(a->fd) != 0)
		die_errno("close");
	BENCH_CHECK(ot_send(a->head, TAG_COUNT, &c, sizeof c));
}

/* ---------------------------------------------------------------------
 * The head
 */

static void set_nodelay(int fd)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		die_errno("setsockopt(TCP_NODELAY)");
}

/* A listening socket on 127.0.0.1, an ephemeral port; *addr its address. */
static int listen_loopback(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof *addr;
	if (bind(fd, (struct sockaddr *)addr, len) != 0)
		die_errno("bind 127.0.0.1:0");
	if (listen(fd, 128) != 0)
		die_errno("listen");
	if (getsockname(fd, (struct sockaddr *)addr, &len) != 0)
		die_errno("getsockname");
	return fd;
}

/* One connection over the listener: fds[0] the connecting end, fds[1]
 * the accepted one. */
static void connect_pair(int lfd, const struct sockaddr_in *addr, int fds[2])
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c < 0)
		die_errno("socket");
	BENCH_CHECK(ot_connect(c, (const struct sockaddr *)addr, sizeof *addr,
			       IO_TIMEOUT));
	int s = ot_accept(lfd, IO_TIMEOUT);
	if (s < 0)
		bench_die_rc("ot_accept", s, __FILE__, __LINE__);
	set_nodelay(c);
	set_nodelay(s);
	fds[0] = c;
	fds[1] = s;
}

static void head(void *arg)
{
	const struct head_arg *a = arg;
	size_t k = a->opts.pairs;
	/* ends[2i] pinger i's, ends[2i + 1] echo i's; alive until all report.
	 */
	struct end_arg *ends = calloc(2 * k, sizeof *ends);
	ot_pid *pingers = calloc(k, sizeof *pingers);
	if (!ends || !pingers)
		bench_die("out of memory");

	struct sockaddr_in addr;
	int lfd = listen_loopback(&addr);
	for (size_t i = 0; i < k; i++) {
		int fds[2];
		connect_pair(lfd, &addr, fds);
		for (size_t e = 0; e < 2; e++)
			ends[2 * i + e] = (struct end_arg){ot_self(), fds[e],
							   a->opts.iterations};
		BENCH_CHECK(ot_spawn(echo, &ends[2 * i + 1], NULL, NULL));
		BENCH_CHECK(ot_spawn(pinger, &ends[2 * i], NULL, &pingers[i]));
	}
	if (close(lfd) != 0)
		die_errno("close");

	struct bench_deadlines d = bench_deadlines_from_now(&a->opts);
	for (size_t i = 0; i < k; i++)
		BENCH_CHECK(ot_send(pingers[i], TAG_GO, &d, sizeof d));

	/* k counts from the pingers and k DONEs from the echoes, in any
	 * order. */
	struct bench_count sum = {0, UINT64_MAX, 0};
	for (size_t got = 0; got < 2 * k; got++) {
		ot_msg *m = NULL;
		BENCH_CHECK(ot_receive(&m, OT_INFINITY));
		uint64_t tag = ot_msg_tag(m);
		if (tag == TAG_COUNT &&
		    ot_msg_size(m) == sizeof(struct bench_count)) {
			struct bench_count c;
			memcpy(&c, ot_msg_data(m), sizeof c);
			bench_count_add(&sum, &c);
		} else if (tag != TAG_DONE || ot_msg_size(m) != 0) {
			bench_die("sockping: unexpected message");
		}
		ot_msg_free(m);
	}
	free(pingers);
	free(ends);

	uint64_t total = sum.units, t0 = sum.t_start, t1 = sum.t_end;
	if (t1 <= t0 || total == 0)
		bench_die("sockping: no time went by");
	double ns = (double)(t1 - t0);
	if (a->opts.verbose)
		fprintf(stderr,
			"bench: %zu pairs, %" PRIu64 " round trips in %.3f s\n",
			k, total, ns / 1e9);
	bench_report(a->main,
		     k == 1 ? ns / (double)total : (double)total / (ns / 1e9));
}

int main(int argc, char **argv)
{
	struct head_arg a;
	memset(&a, 0, sizeof a);
	a.opts = bench_defaults();
	a.opts.pairs = 1;
	bench_parse(argc, argv, &a.opts, BENCH_OPT_PAIRS, usage);
	if (a.opts.pairs < 1 || a.opts.pairs > MAX_PAIRS)
		bench_die("--pairs must be between 1 and 1000");

	a.main = bench_start(&a.opts, 0);
	BENCH_CHECK(ot_spawn(head, &a, NULL, NULL));
	return bench_finish(&a.opts, a.opts.pairs == 1 ? 1 : 0);
}
