/* SPDX-License-Identifier: MIT */
/*
 * service.c — the supervision tree, and starting and stopping it.
 *
 *   kv                      one_for_one
 *   ├── kv.sup              one_for_all: the registry and the buckets live
 *   │   │                   and die together, so they never disagree
 *   │   ├── kv.bucket_sup   dynamic, buckets are temporary
 *   │   └── kv.registry
 *   └── kv.tcp_sup          rest_for_one: what starts later needs what
 *       │                   started before it
 *       ├── kv.sockets      owns every connection's socket
 *       ├── kv.conn_sup     dynamic, connections are temporary
 *       └── kv.acceptor
 *
 * The specs are static: a supervisor uses them again at each restart. The
 * listening socket is opened here, before the tree, so that a port that is
 * taken is an error of kv_start() and an acceptor that restarts finds the
 * same socket.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kv.h"

/* Read by every connection, written by kv_start() and kv_stop() only. */
static atomic_bool crash_allowed;
/* The acceptor's argument: it must outlive the supervisor. */
static int listen_fd = -1;
/* kv.sockets's argument, used again at each of its restarts: written by
 * kv_start() before the tree starts. */
static struct kv_limits limits;

bool kv_crash_allowed(void)
{
	return atomic_load_explicit(&crash_allowed, memory_order_relaxed);
}

/* kv.sup: the guide's KV.Supervisor. */
static const ot_sup_spec bucket_sup = {
    .flags = {.strategy = OT_SUP_DYNAMIC},
};

static const ot_child_spec kv_children[] = {
    {.id = "bucket_sup",
     .sup = &bucket_sup,
     .name = KV_BUCKET_SUP_NAME,
     .type = OT_SUPERVISOR},
    {.id = "registry",
     .server = &kv_registry_callbacks,
     .name = KV_REGISTRY_NAME},
};

static const ot_sup_spec kv_sup = {
    .flags = {.strategy = OT_ONE_FOR_ALL},
    .children = kv_children,
    .nchildren = 2,
};

/* kv.tcp_sup: the guide's KVServer.Application. The connection limit is
 * kv.sockets's, not a max_children here (see sockets.c). */
static const ot_sup_spec conn_sup = {
    .flags = {.strategy = OT_SUP_DYNAMIC},
};

static const ot_child_spec tcp_children[] = {
    {.id = "sockets",
     .server = &kv_sockets_callbacks,
     .arg = &limits,
     .name = KV_SOCKETS_NAME},
    {.id = "conn_sup",
     .sup = &conn_sup,
     .name = KV_CONN_SUP_NAME,
     .type = OT_SUPERVISOR},
    {.id = "acceptor", .start = kv_acceptor_start, .arg = &listen_fd},
};

static const ot_sup_spec tcp_sup = {
    .flags = {.strategy = OT_REST_FOR_ONE},
    .children = tcp_children,
    .nchildren = 3,
};

/* The root. Its intensity is more generous than its children's: they
 * give up first. */
static const ot_child_spec root_children[] = {
    {.id = "kv", .sup = &kv_sup, .name = KV_SUP_NAME, .type = OT_SUPERVISOR},
    {.id = "tcp",
     .sup = &tcp_sup,
     .name = KV_TCP_SUP_NAME,
     .type = OT_SUPERVISOR},
};

static const ot_sup_spec root = {
    .flags = {.strategy = OT_ONE_FOR_ONE, .intensity = 10, .period_ms = 5000},
    .children = root_children,
    .nchildren = 2,
};

/* A listening, non-blocking TCP socket on addr:port; -1 and errno on
 * failure (EINVAL for an address that is not numeric). */
static int listen_on(const char *addr, int port, int *bound_port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		len = sizeof(*v6);
	} else {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, 128) != 0 || ot_fd_set_nonblocking(fd) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*bound_port =
	    ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
	return fd;
}

/* A timeout of kv_options: 0 is dflt; else > 0 or OT_INFINITY. */
static bool timeout_of(int ms, int dflt, int *out)
{
	*out = ms == 0 ? dflt : ms;
	return ms >= 0 || ms == OT_INFINITY;
}

int kv_open(const struct kv_options *opts, int *port)
{
	static const struct kv_options defaults = {0};
	if (!opts)
		opts = &defaults;
	struct kv_limits lim = {
	    .max_connections = opts->max_connections ? opts->max_connections
						     : KV_MAX_CONNECTIONS,
	};
	if (!port || opts->port < 0 || opts->port > 65535 ||
	    !timeout_of(opts->idle_timeout_ms, KV_IDLE_TIMEOUT_MS,
			&lim.idle_timeout_ms) ||
	    !timeout_of(opts->line_timeout_ms, KV_LINE_TIMEOUT_MS,
			&lim.line_timeout_ms))
		return OT_EINVAL;
	if (listen_fd >= 0)
		return OT_EALREADY;
	int fd =
	    listen_on(opts->bind ? opts->bind : "127.0.0.1", opts->port, port);
	if (fd < 0)
		return errno == EINVAL ? OT_EINVAL : OT_ESYS_ERRNO(errno);
	listen_fd = fd;
	limits = lim;
	atomic_store(&crash_allowed, opts->allow_crash);
	return 0;
}

const ot_sup_spec *kv_root_spec(void)
{
	return &root;
}

void kv_close(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	atomic_store(&crash_allowed, false);
}

int kv_start(const struct kv_options *opts, struct kv_service *out,
	     ot_reason *why)
{
	int port;
	if (!out)
		return OT_EINVAL;
	int rc = kv_open(opts, &port);
	if (rc)
		return rc;
	ot_pid pid;
	rc = ot_supervisor_start_link(&root, KV_ROOT_NAME, &pid, why);
	if (rc) {
		kv_close();
		return rc;
	}
	*out = (struct kv_service){
	    .root = pid, .listen_fd = listen_fd, .port = port};
	return 0;
}

int kv_stop(struct kv_service *svc)
{
	/* No EXIT message for the caller: it asked for this. */
	ot_unlink(svc->root);
	int rc = ot_supervisor_stop(svc->root, OT_INFINITY);
	if (rc == OT_ENOPROC) /* it had already given up */
		rc = 0;
	kv_close();
	svc->root = OT_PID_NONE;
	svc->listen_fd = -1;
	return rc;
}
