/* SPDX-License-Identifier: MIT */
/*
 * sockets.c — ei's own socket callbacks (ei_default_socket_callbacks),
 * with one change: the handshake says the node takes monitors by name
 * (DFLAG_DIST_MONITOR_NAME) besides monitors (DFLAG_DIST_MONITOR, which
 * ei says). An Erlang node sends monitor signals only to a node that
 * says both; ei says only the first, and then every monitor of an otter
 * process from Erlang would watch the connection alone, and no DOWN
 * from Erlang would reach otter. The node handles both kinds (ties.c).
 *
 * The flags travel in the name and challenge messages of the handshake
 * ('n': version, flags; 'N': 64-bit flags), which the cookie's digest
 * does not cover; the bit is set in those two messages only, while ei
 * is doing the handshake of that socket (from its socket() or accept()
 * to its handshake_complete()).
 */
#include <stdatomic.h>
#include <string.h>

#include "node.h"

/* Not in ei.h, exported by libei: its plain TCP callbacks. */
extern ei_socket_callbacks ei_default_socket_callbacks;

#define DFLAG_DIST_MONITOR_NAME 0x20
#define MAX_FD			65536

/* fd is in its handshake. relaxed: each fd is written and read by the
 * one thread doing its handshake. */
static _Atomic unsigned char handshaking[MAX_FD];

static int fd_of(void *ctx)
{
	int fd = -1;
	if (ei_default_socket_callbacks.get_fd(ctx, &fd) || fd < 0 ||
	    fd >= MAX_FD)
		return -1;
	return fd;
}

static void mark(void *ctx, bool on)
{
	int fd = fd_of(ctx);
	if (fd >= 0)
		atomic_store_explicit(&handshaking[fd], on,
				      memory_order_relaxed);
}

static int hs_socket(void **ctx, void *setup)
{
	int rc = ei_default_socket_callbacks.socket(ctx, setup);
	if (!rc)
		mark(*ctx, true);
	return rc;
}

static int hs_listen(void *ctx, void *addr, int *len, int backlog)
{
	mark(ctx, false); /* a listening socket does no handshake */
	return ei_default_socket_callbacks.listen(ctx, addr, len, backlog);
}

static int hs_accept(void **ctx, void *addr, int *len, unsigned tmo)
{
	int rc =
	    ei_default_socket_callbacks.EI_ACCEPT_NAME(ctx, addr, len, tmo);
	if (!rc)
		mark(*ctx, true);
	return rc;
}

static int hs_close(void *ctx)
{
	mark(ctx, false);
	return ei_default_socket_callbacks.close(ctx);
}

static int hs_write(void *ctx, const char *buf, ssize_t *len, unsigned tmo)
{
	int fd = fd_of(ctx);
	char copy[640];
	/* [length:2] 'n' version:2 flags:4 ... or [length:2] 'N' flags:8 ... */
	if (fd >= 0 &&
	    atomic_load_explicit(&handshaking[fd], memory_order_relaxed) &&
	    *len >= 11 && *len <= (ssize_t)sizeof(copy) &&
	    (buf[2] == 'n' || buf[2] == 'N')) {
		memcpy(copy, buf, (size_t)*len);
		copy[buf[2] == 'n' ? 8 : 10] |= DFLAG_DIST_MONITOR_NAME;
		buf = copy;
	}
	return ei_default_socket_callbacks.write(ctx, buf, len, tmo);
}

static int hs_connected(void *ctx)
{
	mark(ctx, false);
	int (*next)(void *) =
	    ei_default_socket_callbacks.connect_handshake_complete;
	return next ? next(ctx) : 0;
}

static int hs_accepted(void *ctx)
{
	mark(ctx, false);
	int (*next)(void *) =
	    ei_default_socket_callbacks.accept_handshake_complete;
	return next ? next(ctx) : 0;
}

static ei_socket_callbacks callbacks;

ei_socket_callbacks *ot__dist_socket_callbacks(void)
{
	callbacks = ei_default_socket_callbacks;
	callbacks.socket = hs_socket;
	callbacks.listen = hs_listen;
	callbacks.EI_ACCEPT_NAME = hs_accept;
	callbacks.close = hs_close;
	callbacks.write = hs_write;
	callbacks.connect_handshake_complete = hs_connected;
	callbacks.accept_handshake_complete = hs_accepted;
	return &callbacks;
}
