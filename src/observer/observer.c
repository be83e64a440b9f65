/* SPDX-License-Identifier: MIT */
/*
 * observer.c — the observer's public calls (otter/observer.h): which
 * endpoints are open, opening and closing them. The work is in the
 * other files of src/observer (observer.h says which).
 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <otter/proc.h>

#include "observer.h"

static struct {
	/* Held while an endpoint opens or closes (not while it serves). */
	pthread_mutex_t lock;
	struct ot__endpoint sock, http;
	char path[OT_OBSERVER_LINE_MAX]; /* the socket's file */
	_Atomic int http_port;		 /* 0: not open */
} obs = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .sock = {.what = "observer socket",
	     .fd = -1,
	     .lock = PTHREAD_MUTEX_INITIALIZER,
	     .serve = ot__unix_serve,
	     .admit = ot__unix_admit},
    .http = {.what = "observer http",
	     .fd = -1,
	     .lock = PTHREAD_MUTEX_INITIALIZER,
	     .serve = ot__http_serve},
};

/* obs.lock, from a process too: stop holds it while it waits for the
 * endpoints' processes (parked), and a process that blocked its
 * scheduler thread in pthread_mutex_lock() meanwhile could keep them
 * from running. A process waits for it the otter way. */
static void lock(void)
{
	if (!ot_in_process()) {
		pthread_mutex_lock(&obs.lock);
		return;
	}
	while (pthread_mutex_trylock(&obs.lock) != 0)
		ot_sleep(1);
}

/* Is the caller one of the observer's own processes? */
static bool ours(void)
{
	ot_process_info info;
	if (!ot_in_process() || ot_process_info_get(ot_self(), &info))
		return false;
	ot_process_details d;
	if (ot_process_details_get(ot_self(), &d,
				   offsetof(ot_process_details, entry_name)))
		return false;
	return !strncmp(d.label, "observer ", 9);
}

/* A runtime that stopped without ot_observer_stop() left the record
 * of an endpoint whose processes are gone. */
static void forget_dead(struct ot__endpoint *e)
{
	if (!ot_pid_is_none(e->acceptor) && !ot__endpoint_running(e))
		e->acceptor = OT_PID_NONE;
}

static bool any_open(void)
{
	return !ot_pid_is_none(obs.sock.acceptor) ||
	       !ot_pid_is_none(obs.http.acceptor);
}

/* Starts serving e, whose socket is open: the history's tap first. On
 * failure the socket is closed. Under obs.lock. */
static int serve(struct ot__endpoint *e)
{
	int rc = ot__history_start();
	if (rc == 0)
		rc = ot__endpoint_start(e);
	if (rc == 0) {
		/* The first entry name looked up loads the symbol tables (a
		 * millisecond or so): here, in the caller, rather than in the
		 * middle of the first ps, on a scheduler. */
		ot_process_details d;
		ot_process_details_get(e->acceptor, &d, sizeof d);
	}
	if (rc) {
		close(e->fd);
		e->fd = -1;
		e->acceptor = OT_PID_NONE;
		if (!any_open())
			ot__history_stop();
	}
	return rc;
}

int ot_observer_listen(const char *path)
{
	if (!path || !path[0])
		return OT_EINVAL;
	if (!ot_running())
		return OT_ENOTSTARTED;
	lock();
	forget_dead(&obs.sock);
	forget_dead(&obs.http);
	int rc = ot_pid_is_none(obs.sock.acceptor) ? 0 : OT_EALREADY;
	if (rc == 0 && strlen(path) >= sizeof obs.path)
		rc = OT_ENAMETOOLONG;
	if (rc == 0)
		rc = ot__unix_open(path, &obs.sock.fd);
	if (rc == 0) {
		strcpy(obs.path, path);
		rc = serve(&obs.sock);
		if (rc)
			unlink(obs.path);
	}
	pthread_mutex_unlock(&obs.lock);
	return rc;
}

int ot_observer_listen_http(const char *addr)
{
	if (!ot_running())
		return OT_ENOTSTARTED;
	lock();
	forget_dead(&obs.sock);
	forget_dead(&obs.http);
	int rc = ot_pid_is_none(obs.http.acceptor) ? 0 : OT_EALREADY, port = 0;
	if (rc == 0)
		rc = ot__http_open(addr ? addr : "127.0.0.1:8070", &obs.http.fd,
				   &port);
	if (rc == 0)
		rc = serve(&obs.http);
	if (rc == 0)
		atomic_store(&obs.http_port, port);
	pthread_mutex_unlock(&obs.lock);
	return rc;
}

int ot_observer_http_port(void)
{
	int port = atomic_load(&obs.http_port);
	if (port && !ot__endpoint_running(&obs.http))
		port = 0;
	return port ? port : OT_ENOTFOUND;
}

int ot_observer_stop(void)
{
	if (!ot_running())
		return OT_ENOTSTARTED;
	if (ours())
		return OT_EDEADLK;
	lock();
	if (!ot_pid_is_none(obs.sock.acceptor)) {
		ot__endpoint_stop(&obs.sock);
		unlink(obs.path);
	}
	ot__endpoint_stop(&obs.http);
	atomic_store(&obs.http_port, 0);
	ot__history_stop();
	pthread_mutex_unlock(&obs.lock);
	return 0;
}
