/* SPDX-License-Identifier: MIT */
/*
 * outq.c — a connection's output queue and its writer process.
 *
 * A process that sends to another node appends the frame to its
 * connection's queue (under the io lock) and, if the queue was empty,
 * wakes the connection's writer, which writes what has gathered in one
 * write. A server answering many callers on one connection (16 Erlang
 * processes calling a gen_server here) goes through its mailbox without
 * a system call per reply: the writer runs when the server waits, or
 * yields after its budget, and writes every reply at once, as Erlang's
 * distribution port writes what its queue holds.
 *
 * The frames ei makes (ei_send(), ei_reg_send()) are taken from ei's
 * writev callback (sockets.c) while the sender has the queue open
 * (ot__dist_out_open()); the control frames of links and monitors are
 * appended as they are. Everything a connection sends goes through the
 * queue, in order: a sender that finds it past OUT_MAX writes it out
 * itself, then its own frame, under the io lock (as senders did before
 * the queue: that is the back pressure); the reader writes it out before
 * it lets ei answer a tick or an UNLINK_ID (ei writes those itself).
 *
 * A send that was queued has succeeded for its sender (as Erlang's !
 * does); a write that fails later hangs the connection up, and every link
 * and monitor across it gets noconnection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "node.h"

/* Past this, a sender writes the queue out itself. */
#define OUT_MAX (256 * 1024)

enum { TAG_FLUSH = 1, TAG_STOP };

/* The connection whose queue ei's writes go to now, on this thread: set
 * and cleared around one ei_send() by a process that cannot switch in
 * between. */
static __thread struct conn *capturing;

/* Under c->io: n bytes more in the queue. */
static bool append(struct conn *c, const void *p, size_t n)
{
	struct ot__dist_out *q = &c->out;
	if (n > q->cap - q->len) {
		size_t cap = q->cap ? q->cap : 4096;
		while (cap - q->len < n)
			cap *= 2;
		char *buf = realloc(q->buf, cap);
		if (!buf)
			return false;
		q->buf = buf;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
	return true;
}

/* Writes all of buf to fd (bounded by SO_SNDTIMEO): 0 or the errno. */
int ot__dist_write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A queue's room kept after it is written out; a larger one (a burst of
 * big terms) is given back. */
#define OUT_KEEP (64 * 1024)

int ot__dist_out_flush_locked(struct conn *c)
{
	struct ot__dist_out *q = &c->out;
	int err = q->len ? ot__dist_write_all(c->fd, q->buf, q->len) : 0;
	q->len = 0;
	q->error |= err != 0;
	if (q->cap > OUT_KEEP)
		ot__dist_out_free(c);
	return q->error ? EIO : 0;
}

bool ot__dist_out_open(struct conn *c)
{
	struct ot__dist_out *q = &c->out;
	if (ot_pid_is_none(c->writer) || q->error || q->len >= OUT_MAX ||
	    c->writes_ended) {
		/* No writer, the queue is full, or the connection lost a race
		 * and takes no more (conn.c): the sender writes. */
		ot__dist_out_flush_locked(c);
		return false;
	}
	capturing = c;
	q->appended = false;
	return true;
}

ot_pid ot__dist_out_close(struct conn *c)
{
	capturing = NULL;
	struct ot__dist_out *q = &c->out;
	if (!q->appended || q->flush_asked)
		return OT_PID_NONE;
	q->flush_asked = true;
	return c->writer; /* read under the lock: the reader may clear it */
}

void ot__dist_out_wake(ot_pid writer)
{
	if (!ot_pid_is_none(writer))
		ot_send(writer, TAG_FLUSH, NULL, 0);
}

bool ot__dist_out_capture(int fd, const struct iovec *iov, int n, ssize_t *len,
			  int *rc)
{
	struct conn *c = capturing;
	if (!c || c->fd != fd)
		return false;
	ssize_t total = 0;
	*rc = 0;
	for (int i = 0; i < n && !*rc; i++) {
		if (!append(c, iov[i].iov_base, iov[i].iov_len))
			*rc = ENOMEM;
		total += (ssize_t)iov[i].iov_len;
	}
	if (!*rc) {
		c->out.appended = true;
		*len = total;
	}
	return true;
}

int ot__dist_out_control(struct conn *c, const void *head, size_t nhead,
			 const void *body, size_t nbody)
{
	pthread_mutex_lock(&c->io);
	int err = 0;
	ot_pid wake = OT_PID_NONE;
	if (ot__dist_out_open(c)) {
		capturing = NULL;
		if (!append(c, head, nhead) || !append(c, body, nbody))
			err = ENOMEM; /* a frame cut short: hang up */
		else
			c->out.appended = true;
		wake = ot__dist_out_close(c);
	} else {
		err =
		    c->out.error ? EIO : ot__dist_write_all(c->fd, head, nhead);
		if (!err)
			err = ot__dist_write_all(c->fd, body, nbody);
	}
	pthread_mutex_unlock(&c->io);
	ot__dist_out_wake(wake);
	return err;
}

/* The writer: writes the queue out when asked, until told to stop. */
static void writer(void *arg)
{
	struct conn *c = arg;
	for (;;) {
		ot_msg *m = NULL;
		if (ot_receive(&m, OT_INFINITY) != 0)
			break;
		uint64_t tag = ot_msg_tag(m);
		ot_msg_free(m);
		pthread_mutex_lock(&c->io);
		c->out.flush_asked = false;
		int err = ot__dist_out_flush_locked(c);
		pthread_mutex_unlock(&c->io);
		if (err && !ot__dist_conn_lost(c))
			shutdown(c->fd, SHUT_RDWR); /* cut mid-frame: hang up */
		if (tag == TAG_STOP)
			break;
	}
}

void ot__dist_writer_start(struct conn *c)
{
	/* Linked: a reader killed (an ot_shutdown() without ot_node_stop())
	 * takes its writer with it, which never outlives the connection. */
	ot_spawn_opts so = {.flags = OT_SPAWN_LINK, .stack_size = 16 * 1024};
	ot_pid pid;
	if (ot_spawn(writer, c, &so, &pid) == 0) {
		pthread_mutex_lock(&c->io);
		c->writer = pid;
		pthread_mutex_unlock(&c->io);
	}
	/* else the senders write themselves, as without a writer */
}

void ot__dist_writer_stop(struct conn *c)
{
	pthread_mutex_lock(&c->io);
	ot_pid w = c->writer;
	c->writer = OT_PID_NONE; /* from here the senders write */
	pthread_mutex_unlock(&c->io);
	if (ot_pid_is_none(w))
		return;
	ot_send(w, TAG_STOP, NULL, 0);
	/* A monitor made after it ended still gets its DOWN. */
	ot__dist_wait_ended(w, false);
}

void ot__dist_out_free(struct conn *c)
{
	free(c->out.buf);
	c->out.buf = NULL;
	c->out.len = c->out.cap = 0;
}
