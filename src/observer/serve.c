/* SPDX-License-Identifier: MIT */
/*
 * serve.c — an observer endpoint's processes: an acceptor that waits in
 * ot_accept() (its scheduler runs others meanwhile) and one process per
 * connection, spawned linked to it.
 *
 * The acceptor traps exits, so that a connection that crashes (a bug of
 * ours) takes only itself down; it drains their EXITs after each accept.
 * Stopping kills the acceptor (kill cannot be trapped), and its links
 * take the connections with it. Each one's descriptor is closed by its
 * exit hook, which runs after the process has left the poller, however it
 * ended: nothing closes a descriptor a process still waits on.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <otter/io.h>
#include <otter/proc.h>

#include "observer.h"

struct conn {
	struct ot__endpoint *e;
	int fd;
};

static void conn_main(void *arg)
{
	struct conn *c = arg;
	ot_set_label("observer connection");
	c->e->serve(c->fd);
}

/* Runs when the connection's process ends, however. */
static void conn_exit(const ot_reason *reason, void *arg)
{
	(void)reason;
	struct conn *c = arg;
	close(c->fd);
	atomic_fetch_sub_explicit(&c->e->connections, 1, memory_order_release);
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

static void drain(void)
{
	ot_msg *m;
	while (ot_receive(&m, 0) == 0)
		ot_msg_free(m);
}

static void spawn_conn(struct ot__endpoint *e, int fd)
{
	struct conn *c = malloc(sizeof *c);
	if (!c || atomic_load_explicit(&e->connections, memory_order_acquire) >=
		      OT__OBS_CONNECTIONS) {
		free(c);
		close(fd);
		return;
	}
	*c = (struct conn){e, fd};
	atomic_fetch_add_explicit(&e->connections, 1, memory_order_relaxed);
	ot_spawn_opts o = {
	    .flags = OT_SPAWN_LINK, .exit_hook = conn_exit, .exit_hook_arg = c};
	if (ot_spawn(conn_main, c, &o, NULL)) {
		atomic_fetch_sub_explicit(&e->connections, 1,
					  memory_order_relaxed);
		free(c);
		close(fd);
	}
}

static void acceptor_main(void *arg)
{
	struct ot__endpoint *e = arg;
	ot_trap_exit(true, NULL);
	ot_set_label(e->what);
	for (;;) {
		int fd = ot_accept(e->fd, OT_INFINITY);
		drain(); /* at most one EXIT per connection since the last */
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
	/* The connections go with it (links); wait for their hooks. */
	for (int i = 0; i < 10000 && atomic_load_explicit(&e->connections,
							  memory_order_acquire);
	     i++)
		ot_sleep(1);
	e->acceptor = OT_PID_NONE;
}
