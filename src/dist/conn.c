/* SPDX-License-Identifier: MIT */
/*
 * conn.c — the connections to other nodes. Each has a reader process
 * that waits with ot_fd_wait() until the node sends something, lets ei
 * read the message (and answer the node's ticks), and delivers it: a
 * term for a registered name goes to that process as an OT_DIST_TAG
 * message; a call to net_kernel (net_adm:ping) is answered here.
 * A connection lives until the node closes it or ot_node_stop(); its
 * reader then takes it out of the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "node.h"
#include "term_check.h"

static void conn_free(struct conn *c)
{
	ot__dist_out_free(c);
	ot__dist_rbuf_detach(c->fd); /* before its number can be reused */
	ei_close_connection(c->fd);
	pthread_mutex_destroy(&c->io);
	free(c);
}

void ot__dist_conn_put(struct conn *c)
{
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&n->lock);
	if (last)
		conn_free(c);
}

struct conn *ot__dist_conn_find(const char *node)
{
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	struct conn *c = n->conns;
	while (c && (c->losing || strcmp(c->node, node) != 0))
		c = c->next;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&n->lock);
	return c;
}

bool ot__dist_conn_unlink_id(const char *node)
{
	struct conn *c = ot__dist_conn_find(node);
	bool on = c && c->unlink_id;
	if (c)
		ot__dist_conn_put(c);
	return on;
}

OT_API int ot_node_peers(char (*names)[MAXNODELEN + 1], size_t n)
{
	if (!names && n)
		return OT_EINVAL;
	if (!ot__dist_node_up())
		return OT_ENOTSTARTED;
	struct node *nd = &ot__dist_node;
	int count = 0;
	pthread_mutex_lock(&nd->lock);
	for (struct conn *c = nd->conns; c; c = c->next) {
		if (c->losing)
			continue;
		if ((size_t)count < n)
			snprintf(names[count], sizeof(names[count]), "%s",
				 c->node);
		count++;
	}
	pthread_mutex_unlock(&nd->lock);
	return count;
}

/* Under node.lock: takes c out of the table; false when it was not in
 * it any more. */
static bool conn_unlink(struct conn *c)
{
	for (struct conn **p = &ot__dist_node.conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			return true;
		}
	}
	return false;
}

static bool conn_remove(struct conn *c)
{
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	bool found = conn_unlink(c);
	pthread_mutex_unlock(&n->lock);
	return found;
}

/* Takes c out of the table (if it still is), and when it was the last
 * connection to its node, every tie across it fires (ties.c). */
static void conn_end(struct conn *c)
{
	char node[MAXNODELEN + 1];
	if (!conn_remove(c))
		return; /* c may be gone: only its address was compared */
	snprintf(node, sizeof(node), "%s", c->node);
	ot__dist_conn_put(c); /* the table's reference */
	if (ot__dist_conn_count(node) == 0)
		ot__dist_ties_nodedown(node);
}

size_t ot__dist_conn_count(const char *node)
{
	struct node *n = &ot__dist_node;
	size_t count = 0;
	pthread_mutex_lock(&n->lock);
	for (struct conn *c = n->conns; c; c = c->next)
		count += strcmp(c->node, node) == 0;
	pthread_mutex_unlock(&n->lock);
	return count;
}

/* net_adm:ping is gen:call({net_kernel, Node}, '$gen_call',
 * {is_auth, node()}), answered with yes. */
static void answer_net_kernel(const ei_x_buff *x)
{
	ot_dist_from from;
	size_t req;
	char atom[MAXATOMLEN];
	int arity;
	if (ot_dist_call_parse(x->buff, (size_t)x->index, &from, &req))
		return;
	int i = (int)req;
	if (ei_decode_tuple_header(x->buff, &i, &arity) || arity != 2 ||
	    ei_decode_atom(x->buff, &i, atom) || strcmp(atom, "is_auth") != 0)
		return;
	ei_x_buff yes;
	if (ei_x_new_with_version(&yes))
		return;
	if (!ei_x_encode_atom(&yes, "yes"))
		ot_dist_reply(&from, yes.buff, (size_t)yes.index);
	ei_x_free(&yes);
}

/* A message for a registered name: from the Erlang sender (its remote
 * pid: ot_msg_from() then names it), else from the reader. */
static void deliver_from(const erlang_pid *from, ot_pid to, const ei_x_buff *x)
{
	ot_pid remote;
	if (ot__dist_rpid_of(from, &remote) == 0 &&
	    ot_remote_send(remote, to, OT_DIST_TAG, x->buff,
			   (size_t)x->index) != OT_EINVAL)
		return;
	ot_send(to, OT_DIST_TAG, x->buff, (size_t)x->index);
}

static void deliver(struct conn *c, const erlang_msg *msg, const ei_x_buff *x)
{
	ot_pid to;
	size_t start;
	/* ei checked the frame, not the term in it: one whose lengths lie
	 * would make every decoder after this read past it. */
	if ((msg->msgtype == ERL_REG_SEND || msg->msgtype == ERL_SEND) &&
	    ot__term_check_whole(x->buff, (size_t)x->index, &start)) {
		ot_log(OT_LOG_WARNING, "dist: dropped a malformed term from %s",
		       c->node);
		return;
	}
	switch (msg->msgtype) {
	case ERL_REG_SEND:
		if (strcmp(msg->toname, "net_kernel") == 0)
			answer_net_kernel(x);
		else if (ot_whereis(msg->toname, &to) == 0)
			deliver_from(&msg->from, to, x);
		/* else: nobody by that name, dropped as Erlang drops it (a
		 * gen:call's monitor of {Name, Node} says noproc: ties.c) */
		break;
	case ERL_SEND:
		if (ot_dist_local_pid(&msg->to, &to) == 0)
			ot_send(to, OT_DIST_TAG, x->buff, (size_t)x->index);
		break;
	default:
		/* Links, monitors, exits (ties.c). */
		ot__dist_ties_control(c, msg, x->buff, (size_t)x->index);
		break;
	}
}

/* Why a connection ends: the other node closed it, or ei could not read
 * a frame (malformed, or not whole in time). ei says EIO for both; the
 * stream tells them apart: at its end after a close, not after a frame
 * ei refused. */
static void report_end(const struct conn *c, int rc, int err)
{
	char byte;
	if (rc == ERL_ERROR && err == EIO &&
	    recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
		ot_log(OT_LOG_INFO, "dist: %s closed the connection", c->node);
	else
		ot_log(OT_LOG_WARNING,
		       "dist: closing the connection to %s: %s (erl_errno %d)",
		       c->node,
		       rc == ERL_TIMEOUT || err == ETIMEDOUT || err == EAGAIN
			   ? "a frame did not arrive whole in time"
			   : "a frame ei could not read",
		       err);
}

/* An UNLINK_ID_ACK frame: [length:4] 'p' 131 {36, Id, From, To}. */
#define ACK_HEAD 10
#define ACK_MAX	 2048

/* Under c->io: when the next frame is an UNLINK_ID_ACK (which ei's
 * reader refuses as a broken frame), reads it here and hands it to
 * ties.c; true then. A tick or any other frame is left to ei. */
static bool take_unlink_ack(struct conn *c)
{
	unsigned char h[ACK_HEAD];
	/* Bounded by SO_RCVTIMEO; the first bytes are there (readable). */
	if (!ot__dist_rbuf_peek(c->fd, h, 4))
		return false;
	uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
		       (uint32_t)h[2] << 8 | h[3];
	if (len < ACK_HEAD - 4 || len > ACK_MAX ||
	    !ot__dist_rbuf_peek(c->fd, h, ACK_HEAD) || h[4] != 'p' ||
	    h[5] != 131 || h[6] != ERL_SMALL_TUPLE_EXT || h[7] != 4 ||
	    h[8] != ERL_SMALL_INTEGER_EXT || h[9] != 36)
		return false;
	char frame[4 + ACK_MAX];
	if (!ot__dist_rbuf_take(c->fd, frame, 4 + len))
		return false; /* ei's next read finds the stream cut */
	ot__dist_ties_unlink_ack(frame + ACK_HEAD, 4 + len - ACK_HEAD);
	return true;
}

static void reader(void *arg)
{
	struct conn *c = arg;
	ei_x_buff x;
	ot__dist_writer_start(c);
	if (ei_x_new(&x) == 0) {
		bool ready = false;
		for (;;) {
			if (!ready &&
			    ot_fd_wait(c->fd, OT_FD_READ, OT_INFINITY, NULL))
				break;
			erlang_msg msg;
			int len = 0;
			/* A frame whole in the buffer, that ei answers nothing
			 * to: ei reads it without waiting or writing, so the
			 * senders, who hold the io lock to write, go on
			 * meanwhile. A tick and an UNLINK_ID (whose answers ei
			 * writes), an UNLINK_ID_ACK, and a frame that did not
			 * come whole in time are read under the lock. */
			bool whole = ot__dist_rbuf_whole_message(
			    c->fd, ot__dist_node.timeout_ms);
			if (!whole) {
				pthread_mutex_lock(&c->io);
				/* What senders queued goes before what ei
				 * may answer here (a tock, an UNLINK_ID_ACK).
				 */
				ot__dist_out_flush_locked(c);
			}
			if (!whole && c->unlink_id && take_unlink_ack(c)) {
				pthread_mutex_unlock(&c->io);
				ready = ot__dist_rbuf_more(c->fd);
				continue;
			}
			/* Bounded by the socket's SO_RCVTIMEO (timeouts()).
			 * ei_xreceive_msg() refuses the monitor messages (as
			 * an error, the frame read): ei_receive_encoded() is
			 * the same read, and gives them. */
			int rc = ei_receive_encoded(c->fd, &x.buff, &x.buffsz,
						    &msg, &len);
			int err = erl_errno;
			if (!whole)
				pthread_mutex_unlock(&c->io);
			if (rc == 0) { /* a tick, answered */
				ready = ot__dist_rbuf_more(c->fd);
				continue;
			}
			if (rc < 0 || len < 0) {
				report_end(c, ERL_ERROR, err);
				break;
			}
			x.index = len;
			deliver(c, &msg, &x);
			ready = ot__dist_rbuf_more(c->fd);
		}
		ei_x_free(&x);
	}
	ot__dist_writer_stop(c); /* what it still had is written */
	conn_end(c);
}

/* ei's calls without a timeout are plain reads and writes (its _tmo
 * calls add a select and two fcntl to each): the socket's own timeouts
 * bound them instead, to timeout_ms a read or a write. */
static void timeouts(int fd)
{
	int ms = ot__dist_node.timeout_ms;
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * Under node.lock, c just in the table: if another connection to its node
 * is there, the two nodes connected to each other at the same moment.
 * Erlang keeps one: the one the node with the greater name opened (its
 * handshake refuses the other, dist_util's nok_pending). ei's handshake
 * cannot refuse, so both nodes end up with two; each applies the same
 * rule to the pair and ends its write side of the loser (end_writes(),
 * once node.lock is released), which the other node's reader then sees
 * end: what was in flight on it is still read. *loser gets a reference.
 */
static int resolve_race(struct conn *c, struct conn **loser)
{
	struct conn *other = c->next;
	while (other && (other->losing || strcmp(other->node, c->node) != 0))
		other = other->next;
	if (!other)
		return 0;
	bool ours_win = strcmp(ei_thisnodename(&ot__dist_node.ec), c->node) > 0;
	*loser = c->outgoing == ours_win ? other : c;
	(*loser)->losing = true;
	(*loser)->refs++;
	return ours_win ? 1 : 2;
}

/* The write side of a connection that lost the race ends, after what its
 * senders queued on it before it lost is written: those sends succeeded
 * for their senders, and the other node reads the loser to its end. A
 * sender that comes later writes itself, fails (EPIPE), and sends on the
 * winner (send.c). */
static void end_writes(struct conn *c)
{
	pthread_mutex_lock(&c->io);
	ot__dist_out_flush_locked(c);
	c->writes_ended = true;
	shutdown(c->fd, SHUT_WR);
	pthread_mutex_unlock(&c->io);
}

bool ot__dist_conn_lost(struct conn *c)
{
	pthread_mutex_lock(&ot__dist_node.lock);
	bool lost = c->losing;
	pthread_mutex_unlock(&ot__dist_node.lock);
	return lost;
}

/* out NULL: an accepted connection; else one this node opened, and *out
 * gets a reference for the caller. */
int ot__dist_conn_start(int fd, const char *node, struct conn **out)
{
	struct node *n = &ot__dist_node;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return OT_ENOMEM;
	snprintf(c->node, sizeof(c->node), "%s", node);
	if (ot__dist_rbuf_attach(fd)) {
		free(c);
		return OT_ENOMEM; /* the caller closes fd */
	}
	c->fd = fd;
	c->unlink_id = ot__dist_peer_unlink_id(fd);
	timeouts(fd);
	pthread_mutex_init(&c->io, NULL);
	c->refs = out ? 2 : 1;
	c->outgoing = out != NULL;

	/* In the table, with its reader's pid, before anyone can look:
	 * the reader finds itself there when it ends, ot_node_stop() finds
	 * the pid to wait for. ot_spawn() never blocks nor yields, so it may
	 * run under the lock; the newest connection to a node comes first. */
	ot_spawn_opts so = {.stack_size = DIST_STACK_SIZE};
	ot_pid pid;
	pthread_mutex_lock(&n->lock);
	bool first = true;
	for (struct conn *o = n->conns; o && first; o = o->next)
		first = strcmp(o->node, node) != 0;
	c->next = n->conns;
	n->conns = c;
	int rc = ot_spawn(reader, c, &so, &pid), race = 0;
	struct conn *loser = NULL;
	if (rc)
		conn_unlink(c);
	else {
		c->reader = pid;
		race = resolve_race(c, &loser);
	}
	pthread_mutex_unlock(&n->lock);
	if (loser) {
		end_writes(loser);
		ot__dist_conn_put(loser);
	}
	if (race)
		ot_log(OT_LOG_INFO,
		       "dist: %s and this node connected to each other at "
		       "once: keeping the connection %s opened",
		       node, race == 1 ? "this node" : "it");
	if (rc) {
		ot__dist_rbuf_detach(fd);
		pthread_mutex_destroy(&c->io);
		free(c); /* the caller closes fd */
		return rc;
	}
	if (out)
		*out = c;
	if (first)
		ot__dist_ties_nodeup(node);
	return 0;
}

static bool is_down(const ot_msg *msg, void *arg)
{
	const ot_down_info *d = ot_msg_down(msg);
	return d && d->ref.id == ((const ot_ref *)arg)->id;
}

void ot__dist_wait_ended(ot_pid pid, bool kill)
{
	ot_ref ref;
	bool watched = ot_monitor(pid, &ref) == 0;
	if (kill) {
		ot_reason r = ot_reason_kill();
		ot_exit_pid(pid, &r);
	}
	ot_msg *down;
	if (watched && ot_receive_match(is_down, &ref, &down, OT_INFINITY) == 0)
		ot_msg_free(down);
	/* No monitor (out of memory): look until it has gone, since what
	 * it uses is freed once this returns. */
	while (!watched && ot_is_alive(pid))
		ot_sleep(1);
}

void ot__dist_stop_proc(ot_pid pid)
{
	ot__dist_wait_ended(pid, true);
}

/* Hangs up every connection: each reader sees the end of its stream,
 * takes its connection out of the table and ends; waits for them all. */
void ot__dist_conn_stop_all(void)
{
	struct node *n = &ot__dist_node;
	for (;;) {
		pthread_mutex_lock(&n->lock);
		struct conn *c = n->conns;
		ot_pid reader = c ? c->reader : OT_PID_NONE;
		if (c)
			shutdown(c->fd, SHUT_RDWR);
		pthread_mutex_unlock(&n->lock);
		if (!c)
			return;
		ot__dist_wait_ended(reader, false);
		/* A reader that never ran (the runtime stops it first)
		 * leaves its connection behind: take it out here. */
		conn_end(c);
	}
}
