/* SPDX-License-Identifier: MIT */
/*
 * rbuf.c — a read buffer per connection, under ei's reads.
 *
 * ei reads a frame in two reads (its 4-byte length, then the rest), and
 * the reader looked at the stream (a poll for more, a peek for an
 * UNLINK_ID_ACK) around each: five system calls a message. With many
 * callers the frames come back to back, and one read of what the socket
 * has serves many of them: ei's read callback (sockets.c) takes its bytes
 * from here once the handshake is done and the connection is in use
 * (ot__dist_rbuf_attach); the handshake itself reads the socket as ei
 * does.
 *
 * Only a connection's reader reads its socket (under its io lock, as
 * ei's tick answers need), so a buffer has one user at a time; the table
 * from fd to buffer is atomic for the attach and detach, which the reader
 * orders before and after its reads.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "node.h"

#define RBUF_SIZE (64 * 1024)

struct rbuf {
	size_t at, end; /* unread: data[at, end) */
	unsigned char data[RBUF_SIZE];
};

static struct rbuf *_Atomic bufs[OT__DIST_MAX_FD];

static struct rbuf *buf_of(int fd)
{
	if (fd < 0 || fd >= OT__DIST_MAX_FD)
		return NULL;
	return atomic_load_explicit(&bufs[fd], memory_order_acquire);
}

int ot__dist_rbuf_attach(int fd)
{
	if (fd < 0 || fd >= OT__DIST_MAX_FD)
		return 0; /* read unbuffered, as ei does */
	struct rbuf *b = malloc(sizeof(*b));
	if (!b)
		return OT_ENOMEM;
	b->at = b->end = 0;
	free(atomic_exchange_explicit(&bufs[fd], b, memory_order_acq_rel));
	return 0;
}

void ot__dist_rbuf_detach(int fd)
{
	if (fd >= 0 && fd < OT__DIST_MAX_FD)
		free(atomic_exchange_explicit(&bufs[fd], NULL,
					      memory_order_acq_rel));
}

/* One read of what fd has, after what b holds (moved to the front when
 * the room left is short of want); flags as recv(). The bytes read, 0 at
 * the end of the stream, -1 with errno. */
static ssize_t fill(int fd, struct rbuf *b, size_t want, int flags)
{
	if (b->at == b->end)
		b->at = b->end = 0;
	else if (RBUF_SIZE - b->end < want) {
		memmove(b->data, b->data + b->at, b->end - b->at);
		b->end -= b->at;
		b->at = 0;
	}
	ssize_t n;
	do
		n = recv(fd, b->data + b->end, RBUF_SIZE - b->end, flags);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		b->end += (size_t)n;
	return n;
}

/* Whether ei reads a control message of operation op without writing
 * anything back: all but UNLINK_ID, which it acknowledges itself (and a
 * tick, which is no control message), as OTP's ei_recv_internal() does
 * (erl_interface's eirecv.c). UNLINK_ID_ACK is read by conn.c itself,
 * under the io lock too. */
static bool answers_nothing(unsigned op)
{
	return op != 35 /* UNLINK_ID */ && op != 36 /* UNLINK_ID_ACK */;
}

/* The length of the frame that b's bytes begin, when it is a control
 * message ei answers nothing to (with its message, if any); 0 when it is
 * not one (a tick, an UNLINK_ID) or not yet 10 bytes of it are here. */
static uint32_t quiet_length(const struct rbuf *b)
{
	if (b->end - b->at < 10)
		return 0;
	/* [length:4] 'p' 131 {Op, ...}: a pass-through frame, its control
	 * message a tuple that starts with a small integer. */
	const unsigned char *h = b->data + b->at;
	uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
		       (uint32_t)h[2] << 8 | h[3];
	bool quiet = len >= 6 && h[4] == 'p' && h[5] == 131 &&
		     h[6] == ERL_SMALL_TUPLE_EXT &&
		     h[8] == ERL_SMALL_INTEGER_EXT && answers_nothing(h[9]);
	return quiet ? len : 0;
}

bool ot__dist_rbuf_whole_message(int fd, int timeout_ms)
{
	struct rbuf *b = buf_of(fd);
	if (!b)
		return false;
	/* Woken for a new burst, the buffer empty: what the socket has now
	 * is read here (ei would read it under the lock). */
	if (b->end - b->at < 10)
		fill(fd, b, 10 - (b->end - b->at), MSG_DONTWAIT);
	uint32_t len = quiet_length(b);
	if (!len || len > RBUF_SIZE - 4)
		return false;
	/* Its start is here, the rest on its way: waited for here, where
	 * no lock is held, rather than inside ei's read. */
	int64_t until = ot_monotonic_ms() + timeout_ms;
	while (b->end - b->at - 4 < len) {
		ssize_t n =
		    fill(fd, b, 4 + len - (b->end - b->at), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return false; /* the end, or an error: ei sees it */
		int64_t left = until - ot_monotonic_ms();
		if (left <= 0 || ot_fd_wait(fd, OT_FD_READ, (int)left, NULL))
			return false; /* ei reads it, or finds it cut */
	}
	return true;
}

bool ot__dist_rbuf_more(int fd)
{
	struct rbuf *b = buf_of(fd);
	if (!b) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		return poll(&p, 1, 0) == 1;
	}
	/* A read that does not wait, in place of a poll and then a read. */
	return b->at < b->end || fill(fd, b, 1, MSG_DONTWAIT) > 0;
}

/* ei's read of up to *len bytes: what b holds, else one read of what the
 * socket has (after a poll of tmo ms, unless EI_SCLBK_INF_TMO). 0 or an
 * errno; *len 0 at the end of the stream, as read() says. The callbacks
 * do not say EI_SCLBK_FLG_FULL_IMPL, so ei polls the socket itself before
 * a read with a timeout, blind to this buffer: the connections' reads are
 * ei's calls without one (ei_receive_encoded), and must stay so. */
static int read_buffered(int fd, struct rbuf *b, char *buf, ssize_t *len,
			 unsigned tmo)
{
	if (b->at == b->end) {
		if (tmo != EI_SCLBK_INF_TMO) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int r;
			do
				r = poll(&p, 1, (int)tmo);
			while (r < 0 && errno == EINTR);
			if (r < 0)
				return errno;
			if (r == 0)
				return ETIMEDOUT;
		}
		ssize_t n = fill(fd, b, 1, 0);
		if (n < 0)
			return errno;
		if (n == 0) {
			*len = 0; /* the end of the stream, as read() says */
			return 0;
		}
	}
	size_t have = b->end - b->at;
	size_t n = (size_t)*len < have ? (size_t)*len : have;
	memcpy(buf, b->data + b->at, n);
	b->at += n;
	*len = (ssize_t)n;
	return 0;
}

bool ot__dist_rbuf_read(int fd, char *buf, ssize_t *len, unsigned tmo, int *rc)
{
	struct rbuf *b = buf_of(fd);
	if (!b)
		return false;
	*rc = read_buffered(fd, b, buf, len, tmo);
	return true;
}

/* Has n bytes of fd's stream buffered, reading (and waiting, as long as
 * the socket's SO_RCVTIMEO) as needed; false when they did not come. */
static bool have(int fd, struct rbuf *b, size_t n)
{
	while (b->end - b->at < n)
		if (fill(fd, b, n - (b->end - b->at), 0) <= 0)
			return false;
	return true;
}

bool ot__dist_rbuf_peek(int fd, void *out, size_t n)
{
	struct rbuf *b = buf_of(fd);
	if (!b)
		return recv(fd, out, n, MSG_PEEK | MSG_WAITALL) == (ssize_t)n;
	if (n > RBUF_SIZE || !have(fd, b, n))
		return false;
	memcpy(out, b->data + b->at, n);
	return true;
}

bool ot__dist_rbuf_take(int fd, void *out, size_t n)
{
	struct rbuf *b = buf_of(fd);
	if (!b)
		return recv(fd, out, n, MSG_WAITALL) == (ssize_t)n;
	if (n > RBUF_SIZE || !have(fd, b, n))
		return false;
	memcpy(out, b->data + b->at, n);
	b->at += n;
	return true;
}
