/* SPDX-License-Identifier: MIT */
/*
 * node.c — this program's node: its cnode (ei's name, cookie and
 * creation), its listening socket, its registration with epmd, and the
 * acceptor process that waits (with ot_fd_wait, never blocking its
 * scheduler thread) for nodes to connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node.h"

struct node ot__dist_node = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .connecting = PTHREAD_MUTEX_INITIALIZER,
    .listen_fd = -1,
    .epmd_fd = -1,
};

static pthread_once_t ei_once = PTHREAD_ONCE_INIT;
static int ei_init_rc;

static void init_ei(void)
{
	ei_init_rc = ei_init();
}

/* The first line of $HOME/.erlang.cookie, into buf. */
static int read_cookie_file(char *buf, size_t size)
{
	const char *home = getenv("HOME");
	char path[4096];
	if (!home || snprintf(path, sizeof(path), "%s/.erlang.cookie", home) >=
			 (int)sizeof(path))
		return OT_EINVAL;
	FILE *f = fopen(path, "r");
	if (!f) {
		ot_log(OT_LOG_ERROR, "dist: no cookie given and none in %s",
		       path);
		return OT_EINVAL;
	}
	bool got = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (!got)
		return OT_EINVAL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? 0 : OT_EINVAL;
}

/* Splits "alive@host" into its parts (each shorter than its limit). */
static int split_name(const char *name, char *alive, char *host)
{
	const char *at = strchr(name, '@');
	if (!at || at == name || !at[1] || strchr(at + 1, '@'))
		return OT_EINVAL;
	size_t alen = (size_t)(at - name), hlen = strlen(at + 1);
	if (alen > EI_MAXALIVELEN || hlen > EI_MAXHOSTNAMELEN ||
	    alen + 1 + hlen > MAXNODELEN)
		return OT_EINVAL;
	memcpy(alive, name, alen);
	alive[alen] = '\0';
	memcpy(host, at + 1, hlen + 1);
	return 0;
}

/* Starts `epmd -daemon`, as erl does when no epmd answers, and waits for
 * the launcher (epmd forks its daemon and the first one exits). */
static int start_epmd(void)
{
	static char *const argv[] = {"epmd", "-daemon", NULL};
	extern char **environ;
	pid_t pid;
	int rc = posix_spawnp(&pid, "epmd", NULL, NULL, argv, environ);
	if (rc != 0)
		rc = posix_spawn(&pid, "/usr/lib/erlang/bin/epmd", NULL, NULL,
				 argv, environ);
	if (rc != 0) {
		ot_log(OT_LOG_ERROR, "dist: cannot start epmd: %s",
		       strerror(rc));
		return OT_ESYS;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* Registers the node's port with epmd; the connection to epmd is kept
 * open for as long as the node lives (epmd forgets a node whose
 * connection closes). */
static int publish(struct node *n, int port)
{
	int fd = ei_publish_tmo(&n->ec, port, (unsigned)n->timeout_ms);
	if (fd < 0) {
		int rc = start_epmd();
		if (rc)
			return rc;
		/* epmd takes a moment to listen. */
		for (int i = 0; i < 50 && fd < 0; i++) {
			ot_sleep(100);
			fd = ei_publish_tmo(&n->ec, port,
					    (unsigned)n->timeout_ms);
		}
	}
	if (fd < 0) {
		ot_log(OT_LOG_ERROR,
		       "dist: epmd refused %s (is the name taken?)",
		       ei_thisnodename(&n->ec));
		return OT_ESYS;
	}
	n->epmd_fd = fd;
	return 0;
}

/* The acceptor: waits for a connection, lets ei do the handshake (the
 * cookie challenge), and gives the connection a process of its own. */
static void accept_loop(void *arg)
{
	struct node *n = arg;
	for (;;) {
		if (ot_fd_wait(n->listen_fd, OT_FD_READ, OT_INFINITY, NULL)) {
			ot_sleep(10); /* not a loop that keeps a thread busy */
			continue;
		}
		ErlConnect peer;
		int fd = ei_accept_tmo(&n->ec, n->listen_fd, &peer,
				       (unsigned)n->timeout_ms);
		if (fd < 0) {
			if (erl_errno == EAGAIN || erl_errno == EWOULDBLOCK)
				continue; /* no connection after all */
			ot_log(OT_LOG_WARNING,
			       "dist: %s refused a connection: the handshake "
			       "failed (wrong cookie?), erl_errno %d",
			       ei_thisnodename(&n->ec), erl_errno);
			continue;
		}
		if (ot__dist_conn_start(fd, peer.nodename, NULL))
			ei_close_connection(fd);
	}
}

static int check_opts(const ot_node_opts *opts, struct in_addr *addr)
{
	const char *a =
	    opts && opts->listen_addr ? opts->listen_addr : "127.0.0.1";
	if (inet_pton(AF_INET, a, addr) != 1)
		return OT_EINVAL;
	if (opts &&
	    (opts->port < 0 || opts->port > 65535 || opts->timeout_ms < 0))
		return OT_EINVAL;
	return 0;
}

static void close_fds(struct node *n)
{
	if (n->epmd_fd >= 0)
		close(n->epmd_fd);
	if (n->listen_fd >= 0)
		close(n->listen_fd);
	n->epmd_fd = n->listen_fd = -1;
}

/* Everything after the arguments are checked and the node is claimed. */
static int start(struct node *n, const char *name, const char *alive,
		 const char *host, const char *cookie, const ot_node_opts *opts,
		 struct in_addr addr)
{
	n->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms
						 : OT_NODE_DEFAULT_TIMEOUT;
	ei_socket_callbacks *cbs = ot__dist_socket_callbacks();
	if (ei_connect_xinit_ussi(&n->ec, host, alive, name, &addr, cookie, 0,
				  cbs, (int)sizeof(*cbs), NULL) < 0)
		return OT_EINVAL;
	int port = opts ? opts->port : 0;
	n->listen_fd = ei_xlisten(&n->ec, &addr, &port, 16);
	if (n->listen_fd < 0) {
		ot_log(OT_LOG_ERROR, "dist: %s cannot listen: erl_errno %d",
		       name, erl_errno);
		return OT_ESYS;
	}
	int rc = ot_fd_set_nonblocking(n->listen_fd);
	if (!rc)
		rc = publish(n, port);
	ot_spawn_opts so = {.stack_size = DIST_STACK_SIZE};
	ot_pid acceptor, relay = OT_PID_NONE;
	if (!rc)
		rc = ot_spawn(ot__dist_relay, NULL, &so, &relay);
	if (!rc)
		rc = ot_spawn(accept_loop, n, &so, &acceptor);
	if (rc) {
		if (!ot_pid_is_none(relay))
			ot__dist_stop_proc(relay);
		close_fds(n);
		return rc;
	}
	ot__dist_rpids_start();
	pthread_mutex_lock(&n->lock); /* the node is up from here */
	n->acceptor = acceptor;
	n->relay = relay;
	pthread_mutex_unlock(&n->lock);
	ot__dist_gs_install(true);
	ot__dist_ties_install(true);
	return 0;
}

OT_API int ot_node_start(const char *name, const char *cookie,
			 const ot_node_opts *opts)
{
	struct in_addr addr;
	char file_cookie[MAXATOMLEN];
	char alive[EI_MAXALIVELEN + 1], host[EI_MAXHOSTNAMELEN + 1];
	if (!name || strlen(name) > MAXNODELEN || check_opts(opts, &addr) ||
	    split_name(name, alive, host))
		return OT_EINVAL;
	if (!cookie) {
		if (read_cookie_file(file_cookie, sizeof(file_cookie)))
			return OT_EINVAL;
		cookie = file_cookie;
	}
	if (!cookie[0] || strlen(cookie) >= MAXATOMLEN)
		return OT_EINVAL;
	if (!ot_running())
		return OT_ENOTSTARTED;
	pthread_once(&ei_once, init_ei);
	if (ei_init_rc)
		return OT_ENOMEM;

	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	bool busy = n->started;
	n->started = true; /* claimed: a second start gets OT_EALREADY */
	pthread_mutex_unlock(&n->lock);
	if (busy)
		return OT_EALREADY;

	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	int rc = start(n, name, alive, host, cookie, opts, addr);
	if (rc) {
		pthread_mutex_lock(&n->lock);
		n->started = false;
		pthread_mutex_unlock(&n->lock);
	}
	return rc;
}

OT_API int ot_node_stop(void)
{
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	bool started = n->started && !ot_pid_is_none(n->acceptor);
	ot_pid acceptor = n->acceptor, relay = n->relay;
	n->acceptor = n->relay = OT_PID_NONE;
	pthread_mutex_unlock(&n->lock);
	if (!started)
		return OT_ENOTSTARTED;

	ot__dist_gs_install(false);
	ot__dist_stop_proc(acceptor);
	ot__dist_stop_proc(relay); /* its timers go with it */
	/* Each connection's end fires its ties (noconnection, nodedown)
	 * before the runtime's functions for remote pids go. */
	ot__dist_conn_stop_all();
	ot__dist_ties_install(false);
	close_fds(n); /* closing epmd's connection unregisters the node */
	ot__dist_pids_clear();
	ot__dist_rpids_clear();
	ot__dist_ties_clear();
	pthread_mutex_lock(&n->lock);
	n->started = false;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

bool ot__dist_node_up(void)
{
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	bool up = n->started && !ot_pid_is_none(n->acceptor);
	pthread_mutex_unlock(&n->lock);
	return up;
}

OT_API int ot_node_name(char *buf, size_t size)
{
	if (!buf && size)
		return OT_EINVAL;
	if (size > INT_MAX)
		size = INT_MAX; /* snprintf's bound; the name is far shorter */
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	int rc = OT_ENOTSTARTED;
	if (n->started && !ot_pid_is_none(n->acceptor))
		rc = snprintf(buf, size, "%s", ei_thisnodename(&n->ec));
	pthread_mutex_unlock(&n->lock);
	return rc;
}
