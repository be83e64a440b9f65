/* SPDX-License-Identifier: MIT */
/*
 * send.c — sending a term to a process of another node, by name or by
 * pid: the connection to that node is found in the table, or made (epmd
 * lookup, handshake) and kept for the next sends and for what the node
 * sends back.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "node.h"

/* The connection to node, made if there is none; the caller puts it. */
static int conn_get(const char *node, struct conn **out)
{
	struct node *n = &ot__dist_node;
	if ((*out = ot__dist_conn_find(node)))
		return 0;
	pthread_mutex_lock(&n->connecting);
	int rc = 0;
	if (!(*out = ot__dist_conn_find(node))) {
		int fd = ei_connect_tmo(&n->ec, (char *)node,
					(unsigned)n->timeout_ms);
		if (fd < 0) {
			ot_log(OT_LOG_WARNING,
			       "dist: cannot connect to %s (no such node, "
			       "wrong cookie?): erl_errno %d",
			       node, erl_errno);
			rc = erl_errno == ETIMEDOUT ? OT_ETIMEDOUT : OT_ESYS;
		} else {
			rc = ot__dist_conn_start(fd, node, out);
			if (rc)
				ei_close_connection(fd);
		}
	}
	pthread_mutex_unlock(&n->connecting);
	/* An Erlang node that was connecting to this one at the same moment
	 * refuses this connection when its name is the greater (its
	 * handshake says nok) and goes on with its own: the acceptor is
	 * finishing it, wait a little for it. */
	for (int i = 0; rc == OT_ESYS && i < 10; i++) {
		ot_sleep(20);
		if ((*out = ot__dist_conn_find(node)))
			rc = 0;
	}
	return rc;
}

int ot__dist_connect(const char *node)
{
	struct conn *c;
	int rc = conn_get(node, &c);
	if (rc)
		return rc;
	ot__dist_conn_put(c);
	return 0;
}

static int check_common(const char *node, const void *buf, size_t size)
{
	if (!node || !node[0] || strlen(node) > MAXNODELEN || !buf ||
	    size == 0 || size > INT_MAX)
		return OT_EINVAL;
	if (!ot__dist_node_up())
		return OT_ENOTSTARTED;
	return 0;
}

/* Sends through the connection to node: by name when name is set, else
 * to the pid to. */
/* One send through c; 0, or the error (the connection is then hung up). */
static int send_on(struct conn *c, const char *name, const erlang_pid *to,
		   const void *buf, size_t size)
{
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&c->io);
	/* Into the connection's queue (outq.c), or written here, bounded by
	 * the socket's SO_SNDTIMEO (conn.c). */
	bool queued = ot__dist_out_open(c);
	int rc;
	if (name)
		rc = ei_reg_send(&n->ec, c->fd, (char *)name, (char *)buf,
				 (int)size);
	else
		rc = ei_send(c->fd, (erlang_pid *)to, (char *)buf, (int)size);
	int err = erl_errno;
	ot_pid wake = queued ? ot__dist_out_close(c) : OT_PID_NONE;
	pthread_mutex_unlock(&c->io);
	ot__dist_out_wake(wake);
	if (rc >= 0)
		return 0;
	/* The stream may be cut mid-frame: hang up, the reader ends and the
	 * next send connects again. */
	if (!ot__dist_conn_lost(c))
		shutdown(c->fd, SHUT_RDWR);
	return err == ETIMEDOUT || err == EAGAIN ? OT_ETIMEDOUT : OT_ESYS;
}

/*
 * Runs one send (send_one(c, arg)) through the connection to node, made
 * if there is none when connect is set, else OT_ENOTCONN without one. A
 * connection that lost a race of two (conn.c) takes no new send, and a
 * send that was on its way into it when it lost fails there: the one that
 * won takes it (found again, once).
 */
static int on_winner(const char *node, bool connect,
		     int (*send_one)(struct conn *c, void *arg), void *arg)
{
	for (int tries = 0;; tries++) {
		struct conn *c = NULL;
		int rc = 0;
		if (connect)
			rc = conn_get(node, &c);
		else if (!(c = ot__dist_conn_find(node)))
			rc = OT_ENOTCONN;
		if (rc)
			return rc;
		bool lost = ot__dist_conn_lost(c);
		if (!lost)
			rc = send_one(c, arg);
		lost = lost || (rc && ot__dist_conn_lost(c));
		ot__dist_conn_put(c);
		if (!lost || tries == 1)
			return lost ? OT_ESYS : rc;
	}
}

struct term_send {
	const char *name;     /* by name when set */
	const erlang_pid *to; /* else to this pid */
	const void *buf;
	size_t size;
};

static int send_term(struct conn *c, void *arg)
{
	const struct term_send *t = arg;
	return send_on(c, t->name, t->to, t->buf, t->size);
}

static int send_to(const char *node, const char *name, const erlang_pid *to,
		   const void *buf, size_t size)
{
	struct term_send t = {name, to, buf, size};
	return on_winner(node, true, send_term, &t);
}

OT_API int ot_dist_send_name(const char *node, const char *name,
			     const void *buf, size_t size)
{
	if (!name || !name[0] || strlen(name) >= MAXATOMLEN)
		return OT_EINVAL;
	int rc = check_common(node, buf, size);
	return rc ? rc : send_to(node, name, NULL, buf, size);
}

OT_API int ot_dist_send(const erlang_pid *to, const void *buf, size_t size)
{
	if (!to || !memchr(to->node, '\0', sizeof(to->node)))
		return OT_EINVAL;
	int rc = check_common(to->node, buf, size);
	if (rc)
		return rc;
	if (strcmp(to->node, ei_thisnodename(&ot__dist_node.ec)) == 0)
		return OT_EINVAL; /* no otter pid is an Erlang pid yet */
	return send_to(to->node, NULL, to, buf, size);
}

/* ei has no call for the control messages of links and monitors: the
 * frame is the one ei_send() writes, with no message after the control
 * tuple (ei encodes the tuple): its length, 'p' (pass through), the
 * tuple with its version byte. */
static int send_control_on(struct conn *c, void *arg)
{
	const ei_x_buff *ctl = arg;
	size_t n = (size_t)ctl->index;
	char head[5] = {(char)((n + 1) >> 24), (char)((n + 1) >> 16),
			(char)((n + 1) >> 8), (char)(n + 1), 'p'};
	int err = ot__dist_out_control(c, head, sizeof(head), ctl->buff, n);
	if (err && !ot__dist_conn_lost(c))
		shutdown(c->fd, SHUT_RDWR); /* cut mid-frame: hang up */
	return err ? OT_ESYS : 0;
}

int ot__dist_send_control(const char *node, const ei_x_buff *ctl, bool connect)
{
	int rc = on_winner(node, connect, send_control_on, (void *)ctl);
	return rc == OT_ESYS || rc == OT_ETIMEDOUT ? OT_ENOTCONN : rc;
}
