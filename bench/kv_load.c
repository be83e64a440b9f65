/* SPDX-License-Identifier: MIT */
/*
 * kv_load — a load generator for the KV server of examples/kv (issue 6).
 *
 * Plain C and POSIX, no otter: it measures the server, not itself. It opens
 * --connections N TCP connections to --host:--port, creates the bucket(s)
 * and stores every key once (not timed), then drives a GET/PUT mix over
 * all connections for --warmup seconds (not counted) and --seconds more
 * (counted). Each connection is a closed loop: one request outstanding,
 * the next sent as soon as the answer is complete. Keys are drawn
 * uniformly from a fixed set of --keys; --mix is the share of PUTs in
 * percent.
 *
 * The figures, on one line of stdout:
 *
 *   <requests/s> <p50 latency, µs> <p99 latency, µs>
 *
 * A request's latency runs from just before its send() to the moment its
 * last answer line has been read. Latencies go into a log-linear histogram
 * (1/64 relative precision) per thread, merged at the end; requests still
 * outstanding when the time is up are not counted.
 *
 * Threads: --threads T (default 1), each with its own epoll set and its
 * share of the connections, level-triggered, non-blocking sockets with
 * TCP_NODELAY. One thread costs about two syscalls per request (send,
 * recv) plus a shared epoll_wait, which keeps the generator well below the
 * server's cost; -v prints the generator's CPU time per request so that
 * this can be checked.
 *
 * Every answer is checked: PUT gets "OK"; GET gets one value line and
 * "OK", where the value is empty or one this program stored under that
 * key. Values are "v<key>.<n>", so a value read back under the wrong key is
 * caught. Any other answer (NOT FOUND, UNKNOWN COMMAND, a closed
 * connection) is an error: the run still reports, says so on stderr and
 * exits with status 1.
 *
 * bench/run kv starts examples/kv/kv-server (and the Erlang twin,
 * bench/erlang/kv_server.erl) on a free port and runs this for 1, 16 and
 * 256 connections.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: kv_load [options]\n"
    "Drives the KV server's line protocol with a GET/PUT mix, one request\n"
    "outstanding per connection; prints '<requests/s> <p50 us> <p99 us>'.\n"
    "  -H, --host ADDR       server address (default 127.0.0.1)\n"
    "  -p, --port N          server port (default 4040)\n"
    "  -c, --connections N   connections (default 1)\n"
    "  -t, --seconds S       counted time (default 2)\n"
    "  -w, --warmup S        load before counting, seconds (default 0.5)\n"
    "  -m, --mix P           percent of requests that are PUTs (default 50)\n"
    "  -k, --keys N          distinct keys (default 1000)\n"
    "  -b, --buckets N       buckets, keys spread over them (default 1)\n"
    "  -T, --threads N       generator threads (default 1)\n"
    "  -W, --wait S          retry refused connections this long (default "
    "0)\n"
    "  -v, --verbose         details on stderr\n"
    "  -h, --help            this text\n";

/* ---------------------------------------------------------------------
 * Options, time, failing
 */

static struct {
	const char *host, *port;
	unsigned connections, mix, keys, buckets, threads;
	double seconds, warmup, wait;
	bool verbose;
} opt = {"127.0.0.1", "4040", 1, 50, 1000, 1, 1, 2.0, 0.5, 0.0, false};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kv_load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static unsigned parse_uint(const char *o, const char *s, unsigned lo,
			   unsigned hi)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr,
			"kv_load: %s wants an integer in %u..%u, not "
			"'%s'\n",
			o, lo, hi, s);
		exit(2);
	}
	return (unsigned)v;
}

static double parse_secs(const char *o, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e6) {
		fprintf(stderr, "kv_load: %s wants seconds >= 0, not '%s'\n", o,
			s);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"port", required_argument, NULL, 'p'},
	    {"connections", required_argument, NULL, 'c'},
	    {"seconds", required_argument, NULL, 't'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"mix", required_argument, NULL, 'm'},
	    {"keys", required_argument, NULL, 'k'},
	    {"buckets", required_argument, NULL, 'b'},
	    {"threads", required_argument, NULL, 'T'},
	    {"wait", required_argument, NULL, 'W'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "H:p:c:t:w:m:k:b:T:W:vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'H':
			opt.host = optarg;
			break;
		case 'p':
			parse_uint("--port", optarg, 1, 65535);
			opt.port = optarg;
			break;
		case 'c':
			opt.connections =
			    parse_uint("--connections", optarg, 1, 65536);
			break;
		case 't':
			opt.seconds = parse_secs("--seconds", optarg);
			break;
		case 'w':
			opt.warmup = parse_secs("--warmup", optarg);
			break;
		case 'm':
			opt.mix = parse_uint("--mix", optarg, 0, 100);
			break;
		case 'k':
			opt.keys = parse_uint("--keys", optarg, 1, 100000000);
			break;
		case 'b':
			opt.buckets =
			    parse_uint("--buckets", optarg, 1, 100000);
			break;
		case 'T':
			opt.threads = parse_uint("--threads", optarg, 1, 1024);
			break;
		case 'W':
			opt.wait = parse_secs("--wait", optarg);
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		exit(2);
	}
	if (opt.seconds <= 0)
		die("--seconds must be > 0");
	if (opt.threads > opt.connections)
		opt.threads = opt.connections;
}

/* ---------------------------------------------------------------------
 * Latency histogram: log-linear, values in ns. Values below 2^SUB_BITS
 * have a bucket each; above, each power of two is cut into 2^(SUB_BITS-1)
 * buckets, so a bucket's width is at most 1/64 of its value.
 */

#define SUB_BITS  7
#define HALF	  (1u << (SUB_BITS - 1))
#define MAX_SHIFT 40 /* values up to 2^(40 + SUB_BITS) ns, ~39 hours */
#define NBUCKETS  ((MAX_SHIFT + 2) * HALF)

struct hist {
	uint64_t count, sum_ns, max_ns;
	uint64_t b[NBUCKETS];
};

static unsigned hist_index(uint64_t v)
{
	if (v < (1u << SUB_BITS))
		return (unsigned)v;
	unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - (SUB_BITS - 1);
	if (shift > MAX_SHIFT)
		return NBUCKETS - 1;
	return shift * HALF + (unsigned)(v >> shift);
}

/* The middle of bucket i, in ns. */
static double hist_value(unsigned i)
{
	if (i < (1u << SUB_BITS))
		return i;
	unsigned shift = i / HALF - 1;
	uint64_t low = (uint64_t)(i - shift * HALF) << shift;
	return (double)low + (double)((uint64_t)1 << shift) / 2;
}

static void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->count++;
	h->sum_ns += v;
	if (v > h->max_ns)
		h->max_ns = v;
}

/* The p-quantile (0 < p <= 1), in ns; 0 for an empty histogram. */
static double hist_quantile(const struct hist *h, double p)
{
	uint64_t rank = (uint64_t)(p * (double)h->count + 0.999999), seen = 0;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < NBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return hist_value(i);
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Connections and the closed loop
 */

/* What the run is doing; main moves it forward, the workers read it
 * (relaxed: a worker only needs to see the change soon, no data is
 * published through it). */
enum { PHASE_WARMUP, PHASE_COUNT, PHASE_STOP };
static _Atomic int phase = PHASE_WARMUP;

enum { OP_PUT, OP_GET };

#define RBUF 4096

struct conn {
	int fd;
	int op;		   /* the outstanding request: OP_PUT or OP_GET */
	bool got_value;	   /* GET: the value line has been read */
	unsigned key;	   /* the outstanding request's key */
	uint64_t sent;	   /* now_ns() just before it was sent */
	size_t rlen;	   /* bytes in rbuf */
	size_t wlen, woff; /* unsent request bytes in wbuf[woff, wlen) */
	char wbuf[128];
	char rbuf[RBUF];
};

/* A thread and its connections. Only that thread touches it until it has
 * been joined. */
struct worker {
	pthread_t thread;
	int ep;
	struct conn *conns;
	unsigned nconns;
	uint64_t rng;
	uint64_t seq;		   /* values stored so far */
	uint64_t puts, gets, hits; /* counted requests; GETs that found one */
	uint64_t errors;
	struct hist hist; /* counted requests' latencies */
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Bucket b is "<bprefix><b>"; the prefix has the pid in it, so each run
 * starts with fresh buckets on a server that keeps running. */
static char bprefix[32];

static unsigned bucket_of(unsigned key)
{
	return key % opt.buckets;
}

static void report_error(struct worker *w, const struct conn *c,
			 const char *what, const char *line)
{
	if (w->errors++ < 5)
		fprintf(stderr, "kv_load: %s on key k%u: '%.60s'\n", what,
			c->key, line);
}

/* Writes what is left of c's request; false if the connection failed. */
static bool flush_request(struct worker *w, struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
				 MSG_NOSIGNAL);
		if (n > 0) {
			c->woff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Rare with one small request outstanding: wait for
			 * room, then for the answer. */
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
						 .data.ptr = c};
			epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
			return true;
		}
		return false;
	}
	return true;
}

/* Picks the next request for c, stamps it with t and sends it. */
static bool send_request(struct worker *w, struct conn *c, uint64_t t)
{
	uint64_t r = rng_next(&w->rng);
	c->key = (unsigned)((r >> 32) % opt.keys);
	c->op = (r & 0xffffffffu) % 100 < opt.mix ? OP_PUT : OP_GET;
	c->got_value = false;
	unsigned b = bucket_of(c->key);
	int n;
	if (c->op == OP_PUT)
		n = snprintf(c->wbuf, sizeof c->wbuf,
			     "PUT %s%u k%u v%u.%" PRIu64 "\r\n", bprefix, b,
			     c->key, c->key, ++w->seq);
	else
		n = snprintf(c->wbuf, sizeof c->wbuf, "GET %s%u k%u\r\n",
			     bprefix, b, c->key);
	c->wlen = (size_t)n;
	c->woff = 0;
	c->sent = t;
	return flush_request(w, c);
}

/* Is line (NUL-terminated, no line end) a value this program could have
 * stored under c->key, or empty? */
static bool value_ok(const struct conn *c, const char *line)
{
	if (!*line)
		return true;
	char want[24];
	int n = snprintf(want, sizeof want, "v%u.", c->key);
	return strncmp(line, want, (size_t)n) == 0;
}

/*
 * Takes one answer line of c's outstanding request. Returns true when the
 * request is complete (answered or failed).
 */
static bool take_line(struct worker *w, struct conn *c, char *line)
{
	if (c->op == OP_GET && !c->got_value) {
		if (!strcmp(line, "NOT FOUND") ||
		    !strcmp(line, "UNKNOWN COMMAND") || !value_ok(c, line)) {
			report_error(w, c, "GET answered", line);
			return true;
		}
		c->got_value = true;
		if (*line && atomic_load_explicit(
				 &phase, memory_order_relaxed) == PHASE_COUNT)
			w->hits++;
		return false;
	}
	if (strcmp(line, "OK") != 0)
		report_error(
		    w, c, c->op == OP_GET ? "GET ended with" : "PUT answered",
		    line);
	return true;
}

/* Reads what c's socket has; completes the request and sends the next
 * one if the answer is all there. False if the connection is gone. */
static bool on_readable(struct worker *w, struct conn *c)
{
	ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen, 0);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	c->rlen += (size_t)n;

	char *p = c->rbuf, *end = c->rbuf + c->rlen, *nl;
	bool done = false;
	while (!done && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		char *line = p;
		p = nl + 1;
		if (nl > line && nl[-1] == '\r')
			nl--;
		*nl = '\0';
		done = take_line(w, c, line);
	}
	if (p < end && done) {
		/* Bytes after the answer to our only request. */
		report_error(w, c, "unasked-for bytes after an answer", p);
		return false;
	}
	c->rlen = (size_t)(end - p);
	memmove(c->rbuf, p, c->rlen);
	if (c->rlen == RBUF - 1) {
		report_error(w, c, "over-long answer line", c->rbuf);
		return false;
	}
	if (!done)
		return true;

	uint64_t t = now_ns();
	int ph = atomic_load_explicit(&phase, memory_order_relaxed);
	if (ph == PHASE_COUNT) {
		hist_add(&w->hist, t - c->sent);
		if (c->op == OP_PUT)
			w->puts++;
		else
			w->gets++;
	} else if (ph == PHASE_STOP) {
		return true;
	}
	return send_request(w, c, t);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[256];
	uint64_t t = now_ns();
	for (unsigned i = 0; i < w->nconns; i++)
		if (!send_request(w, &w->conns[i], t))
			die("a connection failed at the start");
	while (atomic_load_explicit(&phase, memory_order_relaxed) !=
	       PHASE_STOP) {
		/* The timeout only bounds how late a stalled run notices
		 * the end. */
		int n = epoll_wait(w->ep, evs, 256, 20);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ev = {.events = EPOLLIN,
							 .data.ptr = c};
				epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
				if (!flush_request(w, c))
					goto gone;
			}
			if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
			    !on_readable(w, c))
				goto gone;
			continue;
		gone:
			if (atomic_load_explicit(
				&phase, memory_order_relaxed) != PHASE_STOP) {
				report_error(w, c, "connection closed", "");
				epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
			}
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * Setup: connecting, and blocking commands before the load
 */

static int connect_one(const struct addrinfo *ai, uint64_t deadline)
{
	for (;;) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof one);
			return fd;
		}
		int e = errno;
		close(fd);
		if (e != ECONNREFUSED || now_ns() >= deadline)
			die("connect: %s", strerror(e));
		sleep_s(0.02);
	}
}

/* Sends cmd on c (blocking) and reads `lines` answer lines; the last must
 * be "OK". */
static void setup_cmd(struct conn *c, const char *cmd, int lines)
{
	size_t len = strlen(cmd), off = 0;
	while (off < len) {
		ssize_t n = send(c->fd, cmd + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("setup: send: %s", strerror(errno));
		off += (size_t)n;
	}
	c->rlen = 0;
	for (int got = 0; got < lines;) {
		char *nl = memchr(c->rbuf, '\n', c->rlen);
		if (!nl) {
			if (c->rlen == RBUF - 1)
				die("setup: over-long answer line");
			ssize_t n = recv(c->fd, c->rbuf + c->rlen,
					 RBUF - 1 - c->rlen, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("setup: the server closed the connection "
				    "after '%s'",
				    cmd);
			c->rlen += (size_t)n;
			continue;
		}
		char *line = c->rbuf;
		size_t used = (size_t)(nl + 1 - c->rbuf);
		if (nl > line && nl[-1] == '\r')
			nl--;
		*nl = '\0';
		if (++got == lines && strcmp(line, "OK") != 0) {
			fprintf(stderr, "kv_load: setup: '%s' got '%s'\n", cmd,
				line);
			exit(2);
		}
		c->rlen -= used;
		memmove(c->rbuf, c->rbuf + used, c->rlen);
	}
	if (c->rlen)
		die("setup: unasked-for bytes after an answer");
}

/* ---------------------------------------------------------------------
 * main
 */

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);

	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai;
	int rc = getaddrinfo(opt.host, opt.port, &hints, &ai);
	if (rc != 0)
		die("getaddrinfo: %s", gai_strerror(rc));

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < opt.connections + 64 && rl.rlim_max != rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	struct conn *conns = calloc(opt.connections, sizeof *conns);
	struct worker *ws = calloc(opt.threads, sizeof *ws);
	if (!conns || !ws)
		die("out of memory");
	uint64_t deadline = now_ns() + (uint64_t)(opt.wait * 1e9);
	for (unsigned i = 0; i < opt.connections; i++)
		conns[i].fd = connect_one(ai, deadline);
	freeaddrinfo(ai);

	/* The buckets, and every key once, so that GETs find values. */
	snprintf(bprefix, sizeof bprefix, "kvload%u_", (unsigned)getpid());
	char cmd[128];
	for (unsigned b = 0; b < opt.buckets; b++) {
		snprintf(cmd, sizeof cmd, "CREATE %s%u\r\n", bprefix, b);
		setup_cmd(&conns[0], cmd, 1);
	}
	for (unsigned k = 0; k < opt.keys; k++) {
		snprintf(cmd, sizeof cmd, "PUT %s%u k%u v%u.0\r\n", bprefix,
			 bucket_of(k), k, k);
		setup_cmd(&conns[0], cmd, 1);
	}

	/* Connections are dealt out to the threads in turn-sized slices. */
	unsigned per = opt.connections / opt.threads,
		 extra = opt.connections % opt.threads, next = 0;
	for (unsigned t = 0; t < opt.threads; t++) {
		struct worker *w = &ws[t];
		w->conns = &conns[next];
		w->nconns = per + (t < extra);
		next += w->nconns;
		w->rng = (UINT64_C(0x9E3779B97F4A7C15) * (t + 1)) ^
			 (uint64_t)(unsigned)getpid();
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		if (w->ep < 0)
			die("epoll_create1: %s", strerror(errno));
		for (unsigned i = 0; i < w->nconns; i++) {
			struct conn *c = &w->conns[i];
			int one = 1;
			if (ioctl(c->fd, FIONBIO, &one) < 0)
				die("FIONBIO: %s", strerror(errno));
			struct epoll_event ev = {.events = EPOLLIN,
						 .data.ptr = c};
			if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
				die("epoll_ctl: %s", strerror(errno));
		}
	}

	for (unsigned t = 0; t < opt.threads; t++)
		if (pthread_create(&ws[t].thread, NULL, worker_main, &ws[t]))
			die("pthread_create failed");
	sleep_s(opt.warmup);
	double cpu0 = cpu_seconds();
	uint64_t t0 = now_ns();
	atomic_store_explicit(&phase, PHASE_COUNT, memory_order_relaxed);
	sleep_s(opt.seconds);
	atomic_store_explicit(&phase, PHASE_STOP, memory_order_relaxed);
	uint64_t t1 = now_ns();
	double cpu = cpu_seconds() - cpu0;
	for (unsigned t = 0; t < opt.threads; t++)
		pthread_join(ws[t].thread, NULL);

	/* Merge into the first worker's histogram. */
	struct hist *h = &ws[0].hist;
	uint64_t puts = 0, gets = 0, hits = 0, errors = 0;
	for (unsigned t = 0; t < opt.threads; t++) {
		struct worker *w = &ws[t];
		puts += w->puts;
		gets += w->gets;
		hits += w->hits;
		errors += w->errors;
		if (t == 0)
			continue;
		for (unsigned i = 0; i < NBUCKETS; i++)
			h->b[i] += w->hist.b[i];
		h->count += w->hist.count;
		h->sum_ns += w->hist.sum_ns;
		if (w->hist.max_ns > h->max_ns)
			h->max_ns = w->hist.max_ns;
	}
	for (unsigned i = 0; i < opt.connections; i++)
		close(conns[i].fd);

	double secs = (double)(t1 - t0) / 1e9;
	double rate = (double)h->count / secs;
	if (opt.verbose) {
		fprintf(stderr,
			"kv_load: %u connections, %u threads, %.3f s: "
			"%" PRIu64 " PUTs, %" PRIu64 " GETs (%" PRIu64
			" found), %" PRIu64 " errors\n",
			opt.connections, opt.threads, secs, puts, gets, hits,
			errors);
		fprintf(
		    stderr,
		    "kv_load: latency us: mean %.1f p50 %.1f p90 %.1f "
		    "p99 %.1f p99.9 %.1f max %.1f\n",
		    h->count ? (double)h->sum_ns / (double)h->count / 1e3 : 0.0,
		    hist_quantile(h, 0.5) / 1e3, hist_quantile(h, 0.9) / 1e3,
		    hist_quantile(h, 0.99) / 1e3, hist_quantile(h, 0.999) / 1e3,
		    (double)h->max_ns / 1e3);
		fprintf(stderr,
			"kv_load: generator CPU %.2f s in %.2f s (%.0f%% of a "
			"CPU), %.2f us per request\n",
			cpu, secs, 100 * cpu / secs,
			h->count ? cpu * 1e6 / (double)h->count : 0.0);
	}
	printf("%.0f %.1f %.1f\n", rate, hist_quantile(h, 0.5) / 1e3,
	       hist_quantile(h, 0.99) / 1e3);
	fflush(stdout);
	if (errors) {
		fprintf(stderr, "kv_load: %" PRIu64 " errors\n", errors);
		return 1;
	}
	if (!h->count) {
		fputs("kv_load: no request was answered in time\n", stderr);
		return 1;
	}
	return 0;
}
