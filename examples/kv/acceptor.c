/* SPDX-License-Identifier: MIT */
/*
 * acceptor.c — kv.acceptor: the process that accepts connections, the
 * guide's KVServer.accept/loop_acceptor.
 *
 * It waits in ot_accept(), which parks the process (not its scheduler
 * thread) until a client comes, then hands the new socket to kv.sockets,
 * which starts a process to serve it. A connection that crashes is no
 * child of the acceptor and not linked to it: the acceptor never notices.
 *
 * The listening socket belongs to the service (service.c), not to the
 * acceptor: if the acceptor dies, kv.tcp_sup starts another one on the
 * same socket, and clients that were waiting in the backlog are served.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "kv.h"

static void acceptor_main(void *arg)
{
	int lfd = *(const int *)arg;
	for (;;) {
		int fd = ot_accept(lfd, OT_INFINITY);
		if (fd >= 0) {
			kv_sockets_serve(fd); /* kv.sockets owns fd now */
			continue;
		}
		int e = ot_err_errno(fd); /* the code carries it */
		if (e == ECONNABORTED || e == EINTR || e == EPROTO)
			continue; /* that client gave up: next one */
		if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
			ot_sleep(100); /* out of descriptors: let some close */
			continue;
		}
		/* Anything else is a bug: end, and let kv.tcp_sup decide. */
		ot_reason why = ot_reason_error(fd, ot_strerror(fd));
		ot_exit(&why);
	}
}

int kv_acceptor_start(void *arg, const void *extra, size_t extra_size,
		      ot_pid *out, ot_reason *why)
{
	ot_spawn_opts opts = {.name = KV_ACCEPTOR_NAME, .flags = OT_SPAWN_LINK};
	return ot_spawn(acceptor_main, arg, &opts, out);
}
