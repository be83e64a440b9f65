/* SPDX-License-Identifier: MIT */
/*
 * sockets.c — kv.sockets, the owner of the connections' sockets.
 *
 * In Erlang a socket belongs to a process and is closed when that process
 * dies, whatever killed it. A C file descriptor belongs to nobody: a
 * connection process that crashes in the middle of a command, or
 * overflows its stack, or is killed while it waits in ot_read(), never
 * gets to close() its socket. So the descriptors belong to this server:
 * the acceptor hands each new socket to it, it starts the connection's
 * process under kv.conn_sup, monitors it, and closes the socket when the
 * process's DOWN arrives. The client then sees the connection close, and
 * no descriptor leaks.
 *
 * A connection never closes its socket itself (shutdown() is all it may
 * do): close() by two owners would close a number that may already have
 * been handed out again. And it touches its socket only once this server
 * says it owns it (KV_TAG_SOCKET_OWNED), so that everything it does with
 * the socket happens before the DOWN that makes us close it — a process
 * that ended before we monitored it would give a DOWN (noproc) that
 * follows nothing it did. In kv.tcp_sup this server is started first and
 * stopped last (rest_for_one), so when it terminates the connections
 * have all ended, and it closes what is left.
 */
#include "config.h"

#include <bsd/sys/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kv.h"

struct sock {
	RB_ENTRY(sock) node;
	ot_ref ref;  /* our monitor of conn */
	ot_pid conn; /* the connection's process */
	int fd;
};

static int sock_cmp(const struct sock *a, const struct sock *b)
{
	return a->ref.id < b->ref.id ? -1 : a->ref.id > b->ref.id;
}

RB_HEAD(sock_tree, sock);
RB_GENERATE_INTERNAL(sock_tree, sock, node, sock_cmp,
		     static __attribute__((unused)))

struct sockets {
	struct sock_tree socks; /* by monitor reference */
	size_t count;
	int32_t reply;
};

static ot_gs_ret sockets_init(void *arg, void **state)
{
	struct sockets *s = calloc(1, sizeof(*s));
	if (!s)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "out of memory"));
	RB_INIT(&s->socks);
	/* Trap exits: kv.tcp_sup's shutdown then runs terminate. */
	ot_trap_exit(true, NULL);
	*state = s;
	return ot_gs_ok();
}

/* Tells a client we cannot serve it (best effort, never waits). */
static void refuse(int fd, const char *line)
{
	ssize_t n = send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)n;
	close(fd);
}

/* Starts the connection process for fd; from now on fd is ours. */
static int serve(struct sockets *s, int fd)
{
	ot_pid sup;
	struct sock *k = malloc(sizeof(*k));
	int rc = k ? ot_whereis(KV_CONN_SUP_NAME, &sup) : OT_ENOMEM;
	if (rc == 0) {
		/* The socket travels in arg (temporary: never restarted). */
		ot_child_spec spec = {.start = kv_connection_start,
				      .arg = (void *)(intptr_t)fd,
				      .restart = OT_TEMPORARY,
				      .shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL};
		rc = ot_supervisor_start_child(sup, &spec, &k->conn, NULL);
	}
	if (rc == 0)
		rc = ot_monitor(k->conn, &k->ref); /* dead already: DOWN now */
	if (rc) {
		free(k);
		refuse(fd, rc == OT_EMAXCHILDREN
			       ? "ERROR TOO MANY CONNECTIONS\r\n"
			       : "ERROR SERVER BUSY\r\n");
		return rc;
	}
	k->fd = fd;
	RB_INSERT(sock_tree, &s->socks, k);
	s->count++;
	/* Now the process may use fd: whatever it does with it comes before
	 * its DOWN reaches us, and so before our close(). */
	ot_send(k->conn, KV_TAG_SOCKET_OWNED, NULL, 0);
	return 0;
}

static ot_gs_ret sockets_call(const void *request, size_t size, ot_gs_from from,
			      void **state)
{
	struct sockets *s = *state;
	int fd;
	if (size != sizeof(fd))
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad request"));
	memcpy(&fd, request, sizeof(fd));
	s->reply = serve(s, fd);
	return ot_gs_reply(&s->reply, sizeof(s->reply));
}

/* A connection's process ended: its socket is closed now. */
static ot_gs_ret sockets_info(const ot_msg *msg, void **state)
{
	struct sockets *s = *state;
	const ot_down_info *down = ot_msg_down(msg);
	if (!down)
		return ot_gs_noreply();
	struct sock key = {.ref = down->ref};
	struct sock *k = RB_FIND(sock_tree, &s->socks, &key);
	if (k) {
		RB_REMOVE(sock_tree, &s->socks, k);
		s->count--;
		close(k->fd);
		free(k);
	}
	return ot_gs_noreply();
}

static void sockets_terminate(const ot_reason *reason, void *state)
{
	struct sockets *s = state;
	struct sock *k, *next;
	RB_FOREACH_SAFE(k, sock_tree, &s->socks, next) {
		RB_REMOVE(sock_tree, &s->socks, k);
		shutdown(k->fd, SHUT_RDWR);
		close(k->fd);
		free(k);
	}
	free(s);
}

static int sockets_status(void *state, char *buf, size_t size)
{
	const struct sockets *s = state;
	return snprintf(buf, size, "sockets: %zu connections", s->count);
}

const ot_gen_server_callbacks kv_sockets_callbacks = {
    .init = sockets_init,
    .handle_call = sockets_call,
    .handle_info = sockets_info,
    .terminate = sockets_terminate,
    .format_status = sockets_status,
};

int kv_sockets_serve(int fd)
{
	int32_t rc32;
	/* No timeout: one that gave up while kv.sockets still works would
	 * leave fd with two owners. A call to a dead server returns. */
	int rc =
	    ot_gen_server_call_name(KV_SOCKETS_NAME, &fd, sizeof(fd), &rc32,
				    sizeof(rc32), NULL, OT_INFINITY, NULL);
	if (rc == 0)
		return rc32;	  /* on an error, kv.sockets closed fd */
	if (rc != OT_ESERVERDIED) /* it never got fd */
		close(fd);
	return rc;
}
