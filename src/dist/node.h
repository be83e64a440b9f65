/* SPDX-License-Identifier: MIT */
/*
 * node.h — the state of this program's node, shared by its files:
 *   node.c     ot_node_start / ot_node_stop: the cnode, epmd, the acceptor
 *   conn.c     the connections: the table, each one's reader process,
 *              delivering what arrives, net_kernel's answers
 *   send.c     ot_dist_send / ot_dist_send_name: connecting on demand
 *   pids.c     otter processes as Erlang pids of this node
 *   call.c     gen_server calls from Erlang: parsing one, replying
 *   remote_call.c  gen_server calls to a server of another node
 *
 * Built on the public otter headers and ei only. ei's calls block the
 * thread they run on for a bounded time (timeout_ms); no otter call that
 * may yield is made while a connection's lock is held, so the pthread
 * locks here never wait on a process that is not running.
 */
#ifndef OTTER_DIST_NODE_H
#define OTTER_DIST_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/uio.h>

#include <otter/dist.h>

/* Stack of the acceptor and the readers: ei's handshake keeps a few
 * buffers of its own on the stack. */
#define DIST_STACK_SIZE ((size_t)256 * 1024)

/* One connection to another node. */
struct conn {
	struct conn *next;
	char node[MAXNODELEN + 1];
	int fd;
	/* Held around every read and write of fd: ei answers a tick from
	 * inside its receive, which must not interleave with a send. */
	pthread_mutex_t io;
	unsigned refs; /* under node.lock: the table's, a sender's */
	ot_pid reader;
	/* Under node.lock. This node opened it (else the other did). */
	bool outgoing;
	/* It lost the race of two nodes connecting to each other at once
	 * (conn.c): no new send takes it; it is read until the other node
	 * closes it too. */
	bool losing;
	/* The other node takes UNLINK_ID (set before it is in the table). */
	bool unlink_id;
	/* What senders queued for the writer to write (outq.c); io. */
	struct ot__dist_out {
		char *buf;
		size_t len, cap;
		bool appended;	  /* by the sender that has it open */
		bool flush_asked; /* the writer has a flush to do */
		bool error;	  /* a write failed: the connection ends */
	} out;
	ot_pid writer; /* OT_PID_NONE: the senders write; io */
	/* It lost a race, its queue was written and its write side ended
	 * (conn.c's end_writes()): nothing more is queued on it; io. */
	bool writes_ended;
};

struct node {
	pthread_mutex_t lock; /* the fields below, and the table */
	/* Serializes connecting, so that two senders to a node that is not
	 * yet connected make one connection. */
	pthread_mutex_t connecting;
	bool started;
	ei_cnode ec;
	int listen_fd;
	int epmd_fd;
	int timeout_ms;
	ot_pid acceptor;
	/* Sends on the timers to remote pids (ties.c's relay). */
	ot_pid relay;
	struct conn *conns;
};

extern struct node ot__dist_node;

/* outq.c: the connection's output queue and its writer (spawned and
 * stopped by its reader). Under c->io, a sender opens the queue (true:
 * ei's writes for c go to it until close; false: there is no writer or
 * the queue is full, written out now, and the sender writes itself) and
 * closes it (the writer to wake after the lock, or OT_PID_NONE). */
/* conn.c: waits until the local process pid has ended (after ending it,
 * with kill); a process or a foreign thread. */
void ot__dist_wait_ended(ot_pid pid, bool kill);
void ot__dist_writer_start(struct conn *c);
void ot__dist_writer_stop(struct conn *c);
bool ot__dist_out_open(struct conn *c);
ot_pid ot__dist_out_close(struct conn *c);
void ot__dist_out_wake(ot_pid writer);
/* Under c->io: writes the queue out; 0, or EIO once a write failed. */
int ot__dist_out_flush_locked(struct conn *c);
/* ei's writes of fd while a sender has its queue open: appended (true,
 * *rc 0 or ENOMEM, *len the bytes); false for any other write. */
bool ot__dist_out_capture(int fd, const struct iovec *iov, int n, ssize_t *len,
			  int *rc);
/* A frame of two parts through c's queue (or written, as open says): 0,
 * or the errno of a write that failed (the frame may be cut: hang up). */
int ot__dist_out_control(struct conn *c, const void *head, size_t nhead,
			 const void *body, size_t nbody);
int ot__dist_write_all(int fd, const char *buf, size_t n);
void ot__dist_out_free(struct conn *c);

/* sockets.c: ei's socket callbacks, saying monitors by name too. */
ei_socket_callbacks *ot__dist_socket_callbacks(void);
/* The fds that sockets.c and rbuf.c keep state for (above: ei's own). */
#define OT__DIST_MAX_FD 65536
/* rbuf.c: a connection's read buffer, from its handshake's end to its
 * close (0 or OT_ENOMEM; an fd past OT__DIST_MAX_FD reads unbuffered).
 * Only the connection's reader reads through it. */
int ot__dist_rbuf_attach(int fd);
void ot__dist_rbuf_detach(int fd);
/* ei's read callback on fd, when it has a buffer (true, *rc as ei's read
 * returns); false for an fd without one. */
bool ot__dist_rbuf_read(int fd, char *buf, ssize_t *len, unsigned tmo, int *rc);
/* Bytes of fd's stream are buffered, or the socket has some now (a read
 * that does not wait). */
bool ot__dist_rbuf_more(int fd);
/* A frame that ei answers nothing to (any control message and its
 * message but an UNLINK_ID; not a tick) is whole in fd's buffer, after a
 * wait of up to timeout_ms for the rest of one that has begun: ei reads
 * it without waiting or writing. A process only. */
bool ot__dist_rbuf_whole_message(int fd, int timeout_ms);
/* The next n bytes of fd's stream (waiting for them up to SO_RCVTIMEO),
 * left in the stream (peek) or taken (take); false when they did not
 * come. */
bool ot__dist_rbuf_peek(int fd, void *out, size_t n);
bool ot__dist_rbuf_take(int fd, void *out, size_t n);
/* sockets.c: the other node of fd said DFLAG_UNLINK_ID in its handshake. */
bool ot__dist_peer_unlink_id(int fd);

/* node.c: true while the node is started (and not stopping). */
bool ot__dist_node_up(void);

/* conn.c */
int ot__dist_conn_start(int fd, const char *node, struct conn **out);
struct conn *ot__dist_conn_find(const char *node);
void ot__dist_conn_put(struct conn *c);
/* True when c lost the race of two connections (conn.c): send elsewhere. */
bool ot__dist_conn_lost(struct conn *c);
void ot__dist_conn_stop_all(void);
/* gs_remote.c: gen_server's calls by "name@node" reach other nodes. */
void ot__dist_gs_install(bool on);
/* pids.c */
void ot__dist_pids_clear(void);
/* rpids.c: pids of other nodes as ot_pids (0, OT_ENOMEM, OT_ENOTSTARTED;
 * OT_ENOTCONN for a pid that names nothing of this node's life). */
int ot__dist_rpid_of(const erlang_pid *pid, ot_pid *out);
int ot__dist_rpid_get(ot_pid pid, erlang_pid *out);
int ot__dist_rpid_format(ot_pid pid, char *buf, size_t size);
void ot__dist_rpids_start(void);
void ot__dist_rpids_clear(void);
/* rpids.c: how many pids the table holds (those that do not fit an
 * ot_pid: rpids.c's comment); for tests/dist/test_rpids, which links
 * libotter-dist statically to see it. */
size_t ot__dist_rpids_entries(void);
/* remote_call.c: a new reference of this node; a gen_server call and cast
 * to a remote pid (the call monitors it: OT_ENOPROC, OT_ESERVERDIED with
 * *why). */
int ot__dist_make_ref(erlang_ref *ref);
int ot__dist_call_pid(ot_pid server, const void *request, size_t size,
		      int timeout_ms, ot_msg **reply, size_t *offset,
		      ot_reason *why);
int ot__dist_cast_pid(ot_pid server, const void *request, size_t size);
/* send.c: a control message (ctl: the control tuple, with its version
 * byte) to node; connect: connect first if need be (else only an
 * existing connection: OT_ENOTCONN without one). */
int ot__dist_send_control(const char *node, const ei_x_buff *ctl, bool connect);
/* send.c: connects to node if need be: 0, or why not. */
int ot__dist_connect(const char *node);
/* conn.c: how many connections to node are in the table (losing ones
 * too). */
size_t ot__dist_conn_count(const char *node);
/* conn.c: the connection to node takes UNLINK_ID (false without one). */
bool ot__dist_conn_unlink_id(const char *node);
/* ties.c: an UNLINK_ID_ACK frame's control tuple elements after the tag
 * (Id, From, To), which ei's reader would take for a broken frame. */
void ot__dist_ties_unlink_ack(const char *buf, size_t size);
/* ties.c: links and monitors across nodes (otter/remote.h's functions,
 * installed while the node runs), node monitors. */
void ot__dist_ties_install(bool on);
/* What the reader of c got that is not a message: a link, an exit, a
 * monitor (msg->msgtype; the rest of the control tuple in buf). */
void ot__dist_ties_control(struct conn *c, const erlang_msg *msg,
			   const char *buf, size_t size);
/* The connection to node is up (first one) or gone (its last one). */
void ot__dist_ties_nodeup(const char *node);
void ot__dist_ties_nodedown(const char *node);
void ot__dist_ties_clear(void);
/* remote_send.c: the process that sends on what the timers to remote
 * pids deliver to it (otter/remote.h's timer_relay), until it is killed;
 * the send, send_name and timer_relay functions ties.c installs; whether
 * node is this node's name. */
void ot__dist_relay(void *arg);
int ot__dist_op_send(ot_pid from, ot_pid to, uint64_t tag, const void *data,
		     size_t size);
int ot__dist_op_send_name(ot_pid from, const char *name, const char *node,
			  uint64_t tag, const void *data, size_t size);
ot_pid ot__dist_op_timer_relay(void);
bool ot__dist_this_node(const char *node);
/* node_watch.c: the node monitors, told of a connection that came up or
 * went down (ties.c calls them), and forgotten at ot_node_stop. */
void ot__dist_node_watch_up(const char *node);
void ot__dist_node_watch_down(const char *node);
void ot__dist_node_watch_clear(void);
/* ties.c: a call's monitor of {name, node} for the caller; its DOWN comes
 * as the term {'DOWN', ERef, Reason}. The demonitor waits for a DOWN that
 * is being sent, so that the caller's flush after it finds it. */
int ot__dist_call_monitor(const char *node, const char *name, erlang_ref *eref);
void ot__dist_call_demonitor(const erlang_ref *eref);

/* Ends pid (kill) and waits until it has ended. */
void ot__dist_stop_proc(ot_pid pid);

#endif /* OTTER_DIST_NODE_H */
