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
 *
 * It also says DFLAG_UNLINK_ID (OTP 23's unlink protocol, mandatory
 * from OTP 26; ei answers an UNLINK_ID with its UNLINK_ID_ACK itself),
 * and reads in the other node's handshake whether it says it too: then
 * ot_unlink() sends UNLINK_ID and waits for its acknowledgement (ties.c),
 * else the old UNLINK.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "node.h"

/* Not in ei.h, exported by libei: its plain TCP callbacks. */
extern ei_socket_callbacks ei_default_socket_callbacks;

#define DFLAG_DIST_MONITOR_NAME 0x20
#define DFLAG_UNLINK_ID		0x2000000

/* fd is in its handshake. relaxed: each fd is written and read by the
 * one thread doing its handshake. */
static _Atomic unsigned char handshaking[OT__DIST_MAX_FD];
/* The other node of fd said DFLAG_UNLINK_ID in its handshake. Written
 * by the handshake's thread before the connection is in the table
 * (whose lock orders it before any reader of it). */
static _Atomic unsigned char peer_unlink_id[OT__DIST_MAX_FD];

static int fd_of(void *ctx)
{
	int fd = -1;
	if (ei_default_socket_callbacks.get_fd(ctx, &fd) || fd < 0 ||
	    fd >= OT__DIST_MAX_FD)
		return -1;
	return fd;
}

static void mark(void *ctx, bool on)
{
	int fd = fd_of(ctx);
	if (fd >= 0)
		atomic_store_explicit(&handshaking[fd], on,
				      memory_order_relaxed);
	if (fd >= 0 && on)
		atomic_store_explicit(&peer_unlink_id[fd], false,
				      memory_order_relaxed);
}

/* The big-endian 4 bytes at p. */
static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* What the other node says in its handshake: its name or challenge
 * message, read after its 2-byte length, is 'n' version:2 flags:4 ... or
 * 'N' flags:8 ...; DFLAG_UNLINK_ID is in the low 32 bits. */
static int hs_read(void *ctx, char *buf, ssize_t *len, unsigned tmo)
{
	int fd = fd_of(ctx), rc;
	/* A connection in use reads through its buffer (rbuf.c). */
	if (ot__dist_rbuf_read(fd, buf, len, tmo, &rc))
		return rc;
	rc = ei_default_socket_callbacks.read(ctx, buf, len, tmo);
	const unsigned char *b = (const unsigned char *)buf;
	if (rc || fd < 0 ||
	    !atomic_load_explicit(&handshaking[fd], memory_order_relaxed))
		return rc;
	uint32_t flags = 0;
	if (*len >= 7 && b[0] == 'n')
		flags = be32(b + 3);
	else if (*len >= 9 && b[0] == 'N')
		flags = be32(b + 5);
	else
		return rc;
	atomic_store_explicit(&peer_unlink_id[fd],
			      (flags & DFLAG_UNLINK_ID) != 0,
			      memory_order_relaxed);
	return rc;
}

bool ot__dist_peer_unlink_id(int fd)
{
	return fd >= 0 && fd < OT__DIST_MAX_FD &&
	       atomic_load_explicit(&peer_unlink_id[fd], memory_order_relaxed);
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

/* A sender's frame into its connection's queue (outq.c), else ei's. */
static int hs_writev(void *ctx, const void *iov, int n, ssize_t *len,
		     unsigned tmo)
{
	int rc;
	if (ot__dist_out_capture(fd_of(ctx), iov, n, len, &rc))
		return rc;
	return ei_default_socket_callbacks.writev(ctx, iov, n, len, tmo);
}

static int hs_write(void *ctx, const char *buf, ssize_t *len, unsigned tmo)
{
	int fd = fd_of(ctx);
	struct iovec one = {(void *)buf, (size_t)*len};
	int rc;
	if (ot__dist_out_capture(fd, &one, 1, len, &rc))
		return rc;
	char copy[640];
	/* [length:2] 'n' version:2 flags:4 ... or [length:2] 'N' flags:8 ... */
	if (fd >= 0 &&
	    atomic_load_explicit(&handshaking[fd], memory_order_relaxed) &&
	    *len >= 11 && *len <= (ssize_t)sizeof(copy) &&
	    (buf[2] == 'n' || buf[2] == 'N')) {
		memcpy(copy, buf, (size_t)*len);
		copy[buf[2] == 'n' ? 8 : 10] |= DFLAG_DIST_MONITOR_NAME;
		copy[buf[2] == 'n' ? 5 : 7] |= DFLAG_UNLINK_ID >> 24;
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
	if (callbacks.writev)
		callbacks.writev = hs_writev;
	callbacks.read = hs_read;
	callbacks.connect_handshake_complete = hs_connected;
	callbacks.accept_handshake_complete = hs_accepted;
	return &callbacks;
}
