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
 * have all ended, and it closes what is left (after a crash of its own,
 * it ends those that still run first).
 *
 * It is also where the connection limit is kept (max_connections: one
 * count, of sockets, here; kv.conn_sup has no limit of its own, since it
 * learns of a connection's end a moment before or after we do). When every
 * slot is taken, a new client takes the place of the connection that has
 * waited longest since its last reply, as nginx reuses its idle keep-alive
 * connections when worker_connections run out: that one is told ERROR
 * SERVER FULL, IDLE CONNECTION CLOSED and shut down, and the new client is
 * served once its DOWN has freed the slot (the acceptor waits for our
 * reply meanwhile: the evicted process has only to wake up and end). Only
 * when no connection is waiting — each is running a command or writing a
 * reply — is the new client refused, with ERROR TOO MANY CONNECTIONS, as
 * redis refuses clients past maxclients. Refusing the newest alone, as
 * redis does, would let whoever opened the slots first keep them: with the
 * idle timeout a silent client holds its slot for minutes, and opens
 * another as soon as it is closed. Closing the longest idle means a new
 * client always gets in, and an active client loses its connection only to
 * a flood that fills every slot between two of its commands. Idle is
 * counted from a connection's last reply (or its start), not its last
 * byte: the bytes of a line that never ends (slowloris) do not make a
 * client look busy. Which connection waits, and since when, is in the
 * state each shares with us (struct kv_conn, connection.c): we look at
 * every connection's state only when the table is full, O(connections)
 * then.
 */
#include "config.h"

#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kv.h"

struct sock {
	RB_ENTRY(sock) node;
	ot_ref ref;	     /* our monitor of pid */
	ot_pid pid;	     /* the connection's process */
	struct kv_conn conn; /* what it shares with us; its fd is ours */
};

static int sock_cmp(const struct sock *a, const struct sock *b)
{
	return a->ref.id < b->ref.id ? -1 : a->ref.id > b->ref.id;
}

RB_HEAD(sock_tree, sock);
RB_GENERATE_INTERNAL(sock_tree, sock, node, sock_cmp,
		     static __attribute__((unused)))

/* A new client that waits for an evicted connection's slot. */
struct newcomer {
	TAILQ_ENTRY(newcomer) link;
	int fd;
	ot_gs_from from; /* kv_sockets_serve()'s call, answered later */
};

TAILQ_HEAD(newcomers, newcomer);

struct sockets {
	struct sock_tree socks;	  /* by monitor reference */
	size_t count;		  /* in socks: connections not yet DOWN */
	struct newcomers waiting; /* in order of arrival */
	size_t nwaiting;
	size_t evicted; /* connections closed to make room, so far */
	struct kv_limits limits;
	int32_t reply;
};

static ot_gs_ret sockets_init(void *arg, void **state)
{
	static const struct kv_limits defaults = {
	    .max_connections = KV_MAX_CONNECTIONS,
	    .idle_timeout_ms = KV_IDLE_TIMEOUT_MS,
	    .line_timeout_ms = KV_LINE_TIMEOUT_MS,
	};
	struct sockets *s = calloc(1, sizeof(*s));
	if (!s)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "out of memory"));
	RB_INIT(&s->socks);
	TAILQ_INIT(&s->waiting);
	s->limits = arg ? *(const struct kv_limits *)arg : defaults;
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
static int start(struct sockets *s, int fd)
{
	ot_pid sup;
	struct sock *k = malloc(sizeof(*k));
	int rc = k ? ot_whereis(KV_CONN_SUP_NAME, &sup) : OT_ENOMEM;
	if (rc == 0) {
		k->conn = (struct kv_conn){
		    .fd = fd,
		    .idle_timeout_ms = s->limits.idle_timeout_ms,
		    .line_timeout_ms = s->limits.line_timeout_ms,
		};
		/* Waiting from now on, as far as eviction is concerned. */
		atomic_init(&k->conn.state, ot_monotonic_ms());
		/* It travels in arg (temporary: never restarted). */
		ot_child_spec spec = {.start = kv_connection_start,
				      .arg = &k->conn,
				      .restart = OT_TEMPORARY,
				      .shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL};
		rc = ot_supervisor_start_child(sup, &spec, &k->pid, NULL);
	}
	if (rc == 0)
		rc = ot_monitor(k->pid, &k->ref); /* dead already: DOWN now */
	if (rc) {
		free(k);
		refuse(fd, rc == OT_EMAXCHILDREN
			       ? "ERROR TOO MANY CONNECTIONS\r\n"
			       : "ERROR SERVER BUSY\r\n");
		return rc;
	}
	RB_INSERT(sock_tree, &s->socks, k);
	s->count++;
	/* Now the process may use fd: whatever it does with it comes before
	 * its DOWN reaches us, and so before our close(). */
	ot_send(k->pid, KV_TAG_SOCKET_OWNED, NULL, 0);
	return 0;
}

/* Closes the connection that has waited longest for its client, to make
 * room. False when none waits. */
static bool evict_longest_idle(struct sockets *s)
{
	static const char notice[] =
	    "ERROR SERVER FULL, IDLE CONNECTION CLOSED\r\n";
	/* A connection may stop waiting while we look: look again. */
	for (int attempt = 0; attempt < 4; attempt++) {
		struct sock *k, *oldest = NULL;
		int64_t oldest_since = INT64_MAX;
		RB_FOREACH(k, sock_tree, &s->socks) {
			int64_t since = kv_conn_idle_since(&k->conn);
			if (since >= 0 && since < oldest_since) {
				oldest = k;
				oldest_since = since;
			}
		}
		if (!oldest)
			return false;
		if (!kv_conn_evict(&oldest->conn, oldest_since))
			continue;
		/* It writes nothing more: the socket is ours to end. Its
		 * ot_read() wakes up, it sees it was evicted and ends; we
		 * close fd after its DOWN, as always. */
		ssize_t n = send(oldest->conn.fd, notice, sizeof(notice) - 1,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)n;
		shutdown(oldest->conn.fd, SHUT_RDWR);
		s->evicted++;
		return true;
	}
	return false;
}

/* A call for a new socket fd: 0 when it is served, an error when it was
 * refused (fd is closed then), 1 when it waits for a slot. */
static int serve(struct sockets *s, int fd)
{
	if (s->count < s->limits.max_connections)
		return start(s, fd);
	if (!evict_longest_idle(s)) {
		refuse(fd, "ERROR TOO MANY CONNECTIONS\r\n");
		return OT_EMAXCHILDREN;
	}
	return 1;
}

/* Serves newcomers while there are free slots. */
static void admit_waiting(struct sockets *s)
{
	struct newcomer *w;
	while (s->count < s->limits.max_connections &&
	       (w = TAILQ_FIRST(&s->waiting))) {
		TAILQ_REMOVE(&s->waiting, w, link);
		s->nwaiting--;
		int32_t rc = start(s, w->fd);
		ot_gen_server_reply(w->from, &rc, sizeof(rc));
		free(w);
	}
}

static ot_gs_ret sockets_call(const void *request, size_t size, ot_gs_from from,
			      void **state)
{
	struct sockets *s = *state;
	int fd;
	if (size != sizeof(fd))
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad request"));
	memcpy(&fd, request, sizeof(fd));
	int rc = serve(s, fd);
	if (rc == 1) {
		struct newcomer *w = malloc(sizeof(*w));
		if (w) {
			*w = (struct newcomer){.fd = fd, .from = from};
			TAILQ_INSERT_TAIL(&s->waiting, w, link);
			s->nwaiting++;
			return ot_gs_noreply(); /* admit_waiting() answers */
		}
		refuse(fd, "ERROR SERVER BUSY\r\n");
		rc = OT_ENOMEM;
	}
	s->reply = rc;
	return ot_gs_reply(&s->reply, sizeof(s->reply));
}

/* A connection's process ended: its socket is closed now, and its slot
 * goes to the first newcomer. */
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
		close(k->conn.fd);
		free(k);
		admit_waiting(s);
	}
	return ot_gs_noreply();
}

static bool is_down_of(const ot_msg *msg, void *arg)
{
	const ot_down_info *down = ot_msg_down(msg);
	return down && down->ref.id == ((const ot_ref *)arg)->id;
}

/* True once k's process has ended. Stopped by kv.tcp_sup, we come after
 * kv.conn_sup and every connection has ended; after a crash of our own,
 * they still run, using their socket and k->conn: end them first. */
static bool has_ended(struct sock *k)
{
	if (!ot_is_alive(k->pid))
		return true;
	ot_reason kill = ot_reason_kill();
	ot_exit_pid(k->pid, &kill);
	ot_msg *down;
	if (ot_receive_match(is_down_of, &k->ref, &down, 5000) != 0)
		return false;
	ot_msg_free(down);
	return true;
}

static void sockets_terminate(const ot_reason *reason, void *state)
{
	struct sockets *s = state;
	struct sock *k, *next;
	RB_FOREACH_SAFE(k, sock_tree, &s->socks, next) {
		RB_REMOVE(sock_tree, &s->socks, k);
		shutdown(k->conn.fd, SHUT_RDWR);
		/* One that would not end keeps its socket and record: a leak,
		 * rather than a descriptor or memory used after we let go. */
		if (!has_ended(k))
			continue;
		close(k->conn.fd);
		free(k);
	}
	struct newcomer *w;
	while ((w = TAILQ_FIRST(&s->waiting))) {
		TAILQ_REMOVE(&s->waiting, w, link);
		/* Its caller gets OT_ESERVERDIED once we are gone, and
		 * leaves fd to us. */
		close(w->fd);
		free(w);
	}
	free(s);
}

static int sockets_status(void *state, char *buf, size_t size)
{
	const struct sockets *s = state;
	return snprintf(buf, size,
			"sockets: %zu connections (at most %zu), %zu waiting "
			"for a slot, %zu closed to make room",
			s->count, s->limits.max_connections, s->nwaiting,
			s->evicted);
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
