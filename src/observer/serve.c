/* SPDX-License-Identifier: MIT */
/*
 * serve.c — an observer endpoint's processes: an acceptor that waits in
 * ot_accept() (its scheduler runs others meanwhile) and one process per
 * connection, not linked to it (a connection that crashed, a bug of ours,
 * takes only itself down).
 *
 * Stopping kills the acceptor, which holds nothing, and shuts the
 * connections' sockets down: each connection's read or write then fails,
 * and it ends on its own, freeing what it holds (a connection killed in
 * the middle of a request could not). One still running after 10 s (in
 * a call to a supervisor that does not answer) is killed. Each
 * descriptor is closed by its process's exit hook, which runs after the
 * process has left the poller, however it ended: nothing closes a
 * descriptor a process still waits on.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

#include <otter/io.h>
#include <otter/proc.h>

#include "observer.h"

struct ot__obs_conn {
	struct ot__endpoint *e;
	int fd;
	ot_pid pid;
	size_t slot; /* in e->conns */
};

static void conn_main(void *arg)
{
	struct ot__obs_conn *c = arg;
	ot_set_label("observer connection");
	c->e->serve(c->fd);
}

/* Runs when the connection's process ends, however. */
static void conn_exit(const ot_reason *reason, void *arg)
{
	(void)reason;
	struct ot__obs_conn *c = arg;
	struct ot__endpoint *e = c->e;
	pthread_mutex_lock(&e->lock);
	e->conns[c->slot] = NULL;
	pthread_mutex_unlock(&e->lock);
	close(c->fd);
	atomic_fetch_sub_explicit(&e->connections, 1, memory_order_release);
	free(c);
}

static void acceptor_exit(const ot_reason *reason, void *arg)
{
	(void)reason;
	struct ot__endpoint *e = arg;
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

/* Takes a free slot of e->conns for c; false when all are taken. */
static bool take_slot(struct ot__endpoint *e, struct ot__obs_conn *c)
{
	bool ok = false;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < OT__OBS_CONNECTIONS && !ok; i++)
		if (!e->conns[i]) {
			e->conns[i] = c;
			c->slot = i;
			ok = true;
		}
	pthread_mutex_unlock(&e->lock);
	return ok;
}

static void spawn_conn(struct ot__endpoint *e, int fd)
{
	struct ot__obs_conn *c = malloc(sizeof *c);
	if (!c || (*c = (struct ot__obs_conn){e, fd, OT_PID_NONE, 0},
		   !take_slot(e, c))) {
		free(c);
		close(fd); /* too many at once */
		return;
	}
	atomic_fetch_add_explicit(&e->connections, 1, memory_order_relaxed);
	ot_spawn_opts o = {.exit_hook = conn_exit, .exit_hook_arg = c};
	pthread_mutex_lock(&e->lock); /* c->pid before stop may read it */
	int rc = ot_spawn(conn_main, c, &o, &c->pid);
	if (rc)
		e->conns[c->slot] = NULL;
	pthread_mutex_unlock(&e->lock);
	if (rc) {
		atomic_fetch_sub_explicit(&e->connections, 1,
					  memory_order_relaxed);
		free(c);
		close(fd);
	}
}

static void acceptor_main(void *arg)
{
	struct ot__endpoint *e = arg;
	ot_set_label(e->what);
	for (;;) {
		int fd = ot_accept(e->fd, OT_INFINITY);
		if (fd < 0) {
			int err = ot_err_errno(fd);
			if (err == EBADF || err == EINVAL || err == ENOTSOCK ||
			    fd == OT_EINVAL)
				return; /* the socket is gone */
			ot_sleep(100);	/* EMFILE and the like: a moment */
			continue;
		}
		if (!e->admit || e->admit(fd))
			spawn_conn(e, fd);
		else
			close(fd);
	}
}

int ot__endpoint_start(struct ot__endpoint *e)
{
	atomic_store(&e->connections, 0);
	ot_spawn_opts o = {.exit_hook = acceptor_exit, .exit_hook_arg = e};
	return ot_spawn(acceptor_main, e, &o, &e->acceptor);
}

bool ot__endpoint_running(const struct ot__endpoint *e)
{
	return !ot_pid_is_none(e->acceptor) && ot_is_alive(e->acceptor);
}

static bool is_down_of(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == ((const ot_ref *)arg)->id;
}

void ot__endpoint_stop(struct ot__endpoint *e)
{
	if (ot_pid_is_none(e->acceptor))
		return;
	ot_ref ref;
	if (ot_monitor(e->acceptor, &ref) == 0) {
		ot_reason kill = ot_reason_kill();
		ot_exit_pid(e->acceptor, &kill);
		ot_msg *m;
		if (ot_receive_match(is_down_of, &ref, &m, 10000) == 0)
			ot_msg_free(m);
	}
	/* The connections: their sockets shut, they end on their own. */
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < OT__OBS_CONNECTIONS; i++)
		if (e->conns[i])
			shutdown(e->conns[i]->fd, SHUT_RDWR);
	pthread_mutex_unlock(&e->lock);
	for (int i = 0; i < 10000 && atomic_load_explicit(&e->connections,
							  memory_order_acquire);
	     i++)
		ot_sleep(1);
	/* Those that did not: killed (what they held is lost). */
	ot_reason kill = ot_reason_kill();
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < OT__OBS_CONNECTIONS; i++)
		if (e->conns[i])
			ot_exit_pid(e->conns[i]->pid, &kill);
	pthread_mutex_unlock(&e->lock);
	for (int i = 0; i < 10000 && atomic_load_explicit(&e->connections,
							  memory_order_acquire);
	     i++)
		ot_sleep(1);
	e->acceptor = OT_PID_NONE;
}
