/* SPDX-License-Identifier: MIT */
/*
 * otter/io.h — waiting for file descriptors, and read, write, accept and
 * connect that wait the otter way: a process parks while the descriptor
 * is not ready, and its scheduler thread runs other processes meanwhile.
 *
 * Split from otter/proc.h (whose rules hold here: where a function may be
 * called from, the shutdown gate, thread-local state), so that only the
 * code that does I/O includes <sys/socket.h>. otter.h includes it.
 */
#ifndef OTTER_IO_H
#define OTTER_IO_H

#include <sys/socket.h>
#include <sys/types.h>

#include <otter/base.h>
#include <otter/error.h>

OT_BEGIN_DECLS

/* ----------------------------------------------------------------------
 * Waiting for file descriptors
 *
 * A process that waits for a socket or a pipe gives its scheduler thread
 * to other processes meanwhile: readiness comes from one epoll instance
 * shared by the runtime, never from a scheduler thread blocking in
 * read() or accept(). A process waiting on a descriptor can still be
 * killed, and its links and monitors fire, as in receive; messages that
 * arrive meanwhile stay in its mailbox. On a foreign thread the same calls
 * block that thread (in poll(2)).
 *
 * System errors: a failed system call is reported as OT_ESYS_ERRNO(errno)
 * (otter/error.h), a code that carries the errno: ot_err_is_sys(rc) tells
 * it, ot_err_errno(rc) gives ECONNRESET back, ot_err_name(rc) says
 * "OT_ESYS(ECONNRESET)". Nothing has to be read before the next call, and
 * a process that resumed on another thread gets the right errno.
 *
 * The descriptors stay the caller's: otter never closes them. Close a
 * descriptor only when no process waits on it. Make sockets non-blocking
 * (ot_fd_set_nonblocking()): the helpers below wait on EAGAIN, but a
 * blocking descriptor would block the scheduler thread in read().
 */
#define OT_FD_READ  1u /* readable, or end of file / hang-up / error */
#define OT_FD_WRITE 2u /* writable */
#define OT_FD_ERROR 4u /* (in *ready only) an error or hang-up is pending */

/*
 * Waits until fd is ready for one of events (OT_FD_READ, OT_FD_WRITE or
 * both) or timeout_ms has passed; *ready (may be NULL) gets which of
 * OT_FD_READ / OT_FD_WRITE / OT_FD_ERROR hold. Several processes may wait
 * on the same descriptor. Errors: OT_ETIMEDOUT, OT_EINVAL (fd < 0, events
 * 0 or unknown bits, bad timeout), a system error (epoll refused the
 * descriptor: OT_ESYS_ERRNO(EPERM) for a regular file, OT_ESYS_ERRNO(EBADF)
 * for a closed one), OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign; blocks the caller only.
 */
OT_API int ot_fd_wait(int fd, unsigned events, int timeout_ms, unsigned *ready);

/* Deprecated (goes in the next release): the codes carry their errno now,
 * read it with ot_err_errno(rc). errno of the calling thread, read afresh;
 * every function here still sets it to the errno of the system error it
 * returns. */
OT_API int ot_errno(void);

/* Sets O_NONBLOCK on fd. Errors: OT_EINVAL (fd < 0), a system error
 * (OT_ESYS_ERRNO(EBADF), ...). */
OT_API int ot_fd_set_nonblocking(int fd);

/*
 * Reads at most size bytes from fd, waiting up to timeout_ms for some to
 * arrive. Returns how many were read (> 0), 0 at end of file, or
 * OT_ETIMEDOUT, OT_EINVAL (also for size 0: 0 means end of file, and for
 * size above SSIZE_MAX), a system error (OT_ESYS_ERRNO(ECONNRESET), ...).
 * From: process or foreign.
 */
OT_API ssize_t ot_read(int fd, void *buf, size_t size, int timeout_ms);

/*
 * Writes all size bytes to fd, waiting while it is full; timeout_ms
 * bounds the whole write. Returns size, or OT_ETIMEDOUT (*written, may be
 * NULL, says how much went out), OT_EINVAL (also for size above
 * SSIZE_MAX), a system error (OT_ESYS_ERRNO(EPIPE), ECONNRESET, ...;
 * *written says how much went out before it). Never raises SIGPIPE for a
 * socket. From: process or foreign.
 */
OT_API ssize_t ot_write(int fd, const void *buf, size_t size, int timeout_ms,
			size_t *written);

/*
 * Accepts a connection on the listening socket fd, waiting up to
 * timeout_ms for one. Returns the new descriptor (non-blocking,
 * close-on-exec), or OT_ETIMEDOUT, OT_EINVAL, a system error
 * (OT_ESYS_ERRNO(EMFILE), ...).
 * From: process or foreign.
 */
OT_API int ot_accept(int fd, int timeout_ms);

/*
 * Connects the non-blocking socket fd to addr, waiting up to timeout_ms.
 * Errors: OT_ETIMEDOUT, OT_EINVAL, a system error
 * (OT_ESYS_ERRNO(ECONNREFUSED), ...).
 * From: process or foreign.
 */
OT_API int ot_connect(int fd, const struct sockaddr *addr, socklen_t len,
		      int timeout_ms);

OT_END_DECLS

#endif /* OTTER_IO_H */
