/* SPDX-License-Identifier: MIT */
/*
 * connection.c — one process per client connection, the guide's
 * KVServer.serve: read a line, run it, write the reply, until the client
 * goes away, or has said nothing for too long.
 *
 * The process waits for its socket with ot_read(), which parks it without
 * holding a scheduler thread, so thousands of idle clients cost thousands
 * of parked processes and no threads. Lines end with \n or \r\n; several
 * may come in one read and one may come in many. A line longer than
 * KV_LINE_MAX gets ERROR LINE TOO LONG and the connection is closed: the
 * server never buffers more than that for a client.
 *
 * Two deadlines bound how long a client may hold its slot doing nothing,
 * so that clients that connect and say nothing cannot keep every slot for
 * ever (issue 15). Nothing at all for idle_timeout_ms after the last reply
 * (or the start) gets ERROR IDLE TIMEOUT. Once a line has begun, its own
 * deadline holds instead: a line that has not ended line_timeout_ms after
 * its first byte gets ERROR LINE TIMEOUT. That one is for the slowloris
 * client, which sends a byte every few seconds, so is never silent for
 * long, and never ends its line (nginx's client_header_timeout, Apache's
 * mod_reqtimeout). The wait is ot_read()'s own timeout: no extra thread,
 * no ot_send_after() to cancel. The defaults (kv.h): 5 minutes of silence,
 * since a person at `nc` may think that long between commands and clients
 * keep connections open between bursts (nginx keeps idle ones 75 s, redis
 * for ever unless told); 1 minute for a line, nginx's default for a
 * request header: even the longest line (KV_LINE_MAX, 64 KB) arrives in
 * a few seconds at a few hundred kbit/s, and `nc` sends a typed line only
 * once it is complete.
 *
 * When every slot is taken, kv.sockets may close a waiting connection to
 * make room for a new one (sockets.c). The two share struct kv_conn's
 * state, which says whether this process waits for its client:
 *
 *   BUSY --(all replies written, about to read)--> since (>= 0)
 *   since --(ot_read() returned: data, end, timeout)--> BUSY
 *   since --(kv.sockets, to make room)--> EVICTED, for good
 *
 * kv.sockets changes it only from a `since` to EVICTED, with a
 * compare-and-swap, and this process leaves a `since` only with a
 * compare-and-swap too; so of the two, exactly one decides what follows
 * a wait. Once EVICTED, this process writes nothing more (kv.sockets has
 * told the client why and shut the socket down, which ends the
 * ot_read()), so a client never gets half a reply, nor a reply after the
 * notice.
 *
 * Its buffers are on its own stack (KV_CONN_STACK bytes), not malloc'd: a
 * connection that crashes, or is killed while it waits, leaves nothing
 * allocated behind. Its socket belongs to kv.sockets, which closes it once
 * this process has ended; here we only shut it down, and touch it only
 * after kv.sockets said it owns it.
 */
#include "config.h"

#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "kv.h"

/* How long a reply may wait for a client that does not read. */
#define WRITE_TIMEOUT_MS 30000
/* How long a new connection waits for kv.sockets to own its socket. */
#define OWNER_TIMEOUT_MS 10000
/* How long a farewell line may wait for a client that does not read. */
#define BYE_TIMEOUT_MS 1000

static const char too_long[] = "ERROR LINE TOO LONG\r\n";
static const char idle_timeout[] = "ERROR IDLE TIMEOUT\r\n";
static const char line_timeout[] = "ERROR LINE TIMEOUT\r\n";

/* ---- the shared state (see the top of this file) ------------------------ */

int64_t kv_conn_idle_since(const struct kv_conn *conn)
{
	/* Relaxed: only a hint for choosing; kv_conn_evict() decides. */
	int64_t s = atomic_load_explicit(&conn->state, memory_order_relaxed);
	return s >= 0 ? s : -1;
}

bool kv_conn_evict(struct kv_conn *conn, int64_t since)
{
	/* Acquire pairs with wait_for_client()'s release: the replies the
	 * connection wrote before it began to wait are out before we write
	 * the eviction notice. */
	return since >= 0 && atomic_compare_exchange_strong_explicit(
				 &conn->state, &since, KV_CONN_EVICTED,
				 memory_order_acq_rel, memory_order_relaxed);
}

/* BUSY -> since: we are about to wait for the client. A plain store:
 * kv.sockets never changes a BUSY state. Release: see kv_conn_evict(). */
static void wait_for_client(struct kv_conn *conn, int64_t since)
{
	atomic_store_explicit(&conn->state, since, memory_order_release);
}

/* since (or BUSY) -> BUSY: the wait is over. False when kv.sockets has
 * evicted us (then the state stays EVICTED). */
static bool back_to_work(struct kv_conn *conn)
{
	int64_t s = atomic_load_explicit(&conn->state, memory_order_relaxed);
	while (s != KV_CONN_EVICTED)
		if (atomic_compare_exchange_weak_explicit(
			&conn->state, &s, KV_CONN_BUSY, memory_order_acquire,
			memory_order_relaxed))
			return true;
	return false;
}

/* ---- serving ------------------------------------------------------------ */

/* Writes the reply to a line; false when the client is gone. */
static bool answer(int fd, const char *line, size_t len, char *out, size_t cap)
{
	size_t n = kv_command_run(line, len, out, cap);
	return ot_write(fd, out, n, WRITE_TIMEOUT_MS, NULL) == (ssize_t)n;
}

/* The last line a client gets: why we close (best effort). */
static void bye(int fd, const char *line, size_t len, int timeout_ms)
{
	ot_write(fd, line, len, timeout_ms, NULL);
}

/* at + ms, or INT64_MAX for OT_INFINITY. */
static int64_t deadline_of(int64_t at, int ms)
{
	return ms == OT_INFINITY ? INT64_MAX : at + ms;
}

/* Milliseconds left until deadline, as ot_read() takes them. */
static int time_left(int64_t deadline)
{
	if (deadline == INT64_MAX)
		return OT_INFINITY;
	int64_t left = deadline - ot_monotonic_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static bool is_owned(const ot_msg *msg, void *arg)
{
	return ot_msg_tag(msg) == KV_TAG_SOCKET_OWNED;
}

static void connection_main(void *arg)
{
	struct kv_conn *conn = arg;
	int fd = conn->fd;
	/* Wait until kv.sockets owns fd (see sockets.c). */
	ot_msg *go;
	if (ot_receive_match(is_owned, NULL, &go, OWNER_TIMEOUT_MS) != 0)
		return;
	ot_msg_free(go);
	if (!back_to_work(conn))
		return; /* evicted before it began */
	/* A longest line and its \r\n fit in exactly. */
	char in[KV_LINE_MAX + 2];
	char out[KV_REPLY_MAX];
	size_t len = 0;			   /* bytes in `in` */
	size_t scanned = 0;		   /* of them, known to hold no \n */
	int64_t since = ot_monotonic_ms(); /* the last reply, or the start */
	int64_t line_began = since; /* when the first byte in `in` came */
	int64_t read_at = since;    /* when the last read returned */

	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		/* Run every complete line, then keep the rest. */
		size_t start = 0;
		char *nl;
		while ((nl = memchr(in + scanned, '\n', len - scanned))) {
			size_t end = (size_t)(nl - in);
			size_t n = end - start;
			if (n && in[end - 1] == '\r')
				n--;
			if (n > KV_LINE_MAX) {
				bye(fd, too_long, sizeof(too_long) - 1,
				    WRITE_TIMEOUT_MS);
				goto done;
			}
			if (!answer(fd, in + start, n, out, sizeof(out)))
				goto done;
			start = scanned = end + 1;
		}
		if (start) {
			since = ot_monotonic_ms();
			/* What is left came with the last read. */
			line_began = read_at;
		}
		memmove(in, in + start, len - start);
		len -= start;
		scanned = len;
		if (len == sizeof(in)) { /* full, and no end of line */
			bye(fd, too_long, sizeof(too_long) - 1,
			    WRITE_TIMEOUT_MS);
			goto done;
		}
		/* Silent since the last reply, or in the middle of a line. */
		int64_t deadline =
		    len ? deadline_of(line_began, conn->line_timeout_ms)
			: deadline_of(since, conn->idle_timeout_ms);
		wait_for_client(conn, since);
		ssize_t r = ot_read(fd, in + len, sizeof(in) - len,
				    time_left(deadline));
		if (!back_to_work(conn))
			return; /* kv.sockets said why, and closes */
		if (r == OT_ETIMEDOUT) {
			if (len)
				bye(fd, line_timeout, sizeof(line_timeout) - 1,
				    BYE_TIMEOUT_MS);
			else
				bye(fd, idle_timeout, sizeof(idle_timeout) - 1,
				    BYE_TIMEOUT_MS);
			goto done;
		}
		if (r <= 0)
			goto done; /* the client closed (0), or an error */
		read_at = ot_monotonic_ms();
		if (len == 0)
			line_began = read_at;
		len += (size_t)r;
	}
done:
	/* The client sees the end now; kv.sockets closes fd after our DOWN. */
	shutdown(fd, SHUT_RDWR);
}

int kv_connection_start(void *arg, const void *extra, size_t extra_size,
			ot_pid *out, ot_reason *why)
{
	ot_spawn_opts opts = {.stack_size = KV_CONN_STACK,
			      .flags = OT_SPAWN_LINK};
	return ot_spawn(connection_main, arg, &opts, out);
}
