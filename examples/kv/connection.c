/* SPDX-License-Identifier: MIT */
/*
 * connection.c — one process per client connection, the guide's
 * KVServer.serve: read a line, run it, write the reply, until the client
 * goes away.
 *
 * The process waits for its socket with ot_read(), which parks it without
 * holding a scheduler thread, so thousands of idle clients cost thousands
 * of parked processes and no threads. Lines end with \n or \r\n; several
 * may come in one read and one may come in many. A line longer than
 * KV_LINE_MAX gets ERROR LINE TOO LONG and the connection is closed: the
 * server never buffers more than that for a client.
 *
 * Its buffers are on its own stack (KV_CONN_STACK bytes), not malloc'd: a
 * connection that crashes, or is killed while it waits, leaves nothing
 * allocated behind. Its socket belongs to kv.sockets, which closes it once
 * this process has ended; here we only shut it down, and touch it only
 * after kv.sockets said it owns it.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "kv.h"

/* How long a reply may wait for a client that does not read. */
#define WRITE_TIMEOUT_MS 30000
/* How long a new connection waits for kv.sockets to own its socket. */
#define OWNER_TIMEOUT_MS 10000

static const char too_long[] = "ERROR LINE TOO LONG\r\n";

/* Writes the reply to a line; false when the client is gone. */
static bool answer(int fd, const char *line, size_t len, char *out, size_t cap)
{
	size_t n = kv_command_run(line, len, out, cap);
	return ot_write(fd, out, n, WRITE_TIMEOUT_MS, NULL) == (ssize_t)n;
}

static bool is_owned(const ot_msg *msg, void *arg)
{
	return ot_msg_tag(msg) == KV_TAG_SOCKET_OWNED;
}

static void connection_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	/* Wait until kv.sockets owns fd (see sockets.c). */
	ot_msg *go;
	if (ot_receive_match(is_owned, NULL, &go, OWNER_TIMEOUT_MS) != 0)
		return;
	ot_msg_free(go);
	/* A longest line and its \r\n fit in exactly. */
	char in[KV_LINE_MAX + 2];
	char out[KV_REPLY_MAX];
	size_t len = 0;	    /* bytes in `in` */
	size_t scanned = 0; /* of them, known to hold no \n */

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
				ot_write(fd, too_long, sizeof(too_long) - 1,
					 WRITE_TIMEOUT_MS, NULL);
				goto done;
			}
			if (!answer(fd, in + start, n, out, sizeof(out)))
				goto done;
			start = scanned = end + 1;
		}
		memmove(in, in + start, len - start);
		len -= start;
		scanned = len;
		if (len == sizeof(in)) { /* full, and no end of line */
			ot_write(fd, too_long, sizeof(too_long) - 1,
				 WRITE_TIMEOUT_MS, NULL);
			goto done;
		}
		ssize_t r =
		    ot_read(fd, in + len, sizeof(in) - len, OT_INFINITY);
		if (r <= 0)
			goto done; /* the client closed (0), or an error */
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
