/* SPDX-License-Identifier: MIT */
/*
 * io.c — read, write, accept and connect for processes, on non-blocking
 * descriptors: each tries the system call, and where it would block
 * (EAGAIN) waits with ot_fd_wait(), which parks a process and blocks a
 * foreign thread. EINTR is retried. One deadline bounds the whole call,
 * on the runtime's clock.
 *
 * A failed system call returns OT_ESYS_ERRNO(errno), made by
 * ot__sys_error() (which also sets errno, for the deprecated ot_errno()):
 * the caller may have resumed on another thread since the call failed,
 * and errno is per thread. For the same reason errno is read through
 * ot__errno(), never directly after a wait (see poll.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include <otter/io.h>

#include "gate.h"
#include "poller.h"
#include "timer.h"

/* fd would block: waits for events until deadline. 0 when it is worth
 * trying again, else the error. */
static int wait_ready(int fd, unsigned events, int64_t deadline)
{
	int ms = ot__deadline_ms_left(deadline);
	if (ms == 0)
		return OT_ETIMEDOUT;
	return ot_fd_wait(fd, events, ms, NULL);
}

/* A call on fd failed (errno says why): 0 to try it again (it was
 * interrupted, or fd is ready now), else what to return (the errno's
 * system error, OT_ETIMEDOUT, ...). */
static int after_failure(int fd, unsigned events, int64_t deadline)
{
	int e = ot__errno();
	if (e == EINTR)
		return 0;
	if (e != EAGAIN && e != EWOULDBLOCK)
		return ot__sys_error(e);
	return wait_ready(fd, events, deadline);
}

int ot_fd_set_nonblocking(int fd)
{
	if (fd < 0)
		return OT_EINVAL;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return ot__sys_error(ot__errno());
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return ot__sys_error(ot__errno());
	return 0;
}

ssize_t ot__read(int fd, void *buf, size_t size, int timeout_ms)
{
	/* size 0 is refused: 0 is what end of file returns. */
	if (fd < 0 || !buf || size == 0 || size > SSIZE_MAX ||
	    timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	int64_t deadline = timeout_ms == 0 ? 0 : ot__deadline_after(timeout_ms);
	for (;;) {
		ssize_t n = read(fd, buf, size);
		if (n >= 0)
			return n;
		int rc = after_failure(fd, OT_FD_READ, deadline);
		if (rc)
			return rc;
	}
}

/* One write of up to len bytes: send() without SIGPIPE on a socket,
 * write() on anything else (*sock remembers which, after the first). */
static ssize_t write_some(int fd, const char *p, size_t len, int *sock)
{
	if (*sock != 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n >= 0 || ot__errno() != ENOTSOCK) {
			*sock = 1;
			return n;
		}
		*sock = 0;
	}
	return write(fd, p, len);
}

ssize_t ot__write(int fd, const void *buf, size_t size, int timeout_ms,
		  size_t *written)
{
	if (written)
		*written = 0;
	if (fd < 0 || (!buf && size) || size > SSIZE_MAX ||
	    timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	int64_t deadline = timeout_ms == 0 ? 0 : ot__deadline_after(timeout_ms);
	const char *p = buf;
	size_t done = 0;
	int sock = -1; /* not known yet */
	int rc = 0;
	while (done < size) {
		ssize_t n = write_some(fd, p + done, size - done, &sock);
		if (n >= 0)
			done += (size_t)n;
		else if ((rc = after_failure(fd, OT_FD_WRITE, deadline)) != 0)
			break;
	}
	if (written)
		*written = done;
	return rc ? rc : (ssize_t)size;
}

int ot__accept(int fd, int timeout_ms)
{
	if (fd < 0 || timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	int64_t deadline = timeout_ms == 0 ? 0 : ot__deadline_after(timeout_ms);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0)
			return c;
		/* ECONNABORTED: a connection that went away while queued;
		 * the next one may be there. */
		if (ot__errno() == ECONNABORTED)
			continue;
		int rc = after_failure(fd, OT_FD_READ, deadline);
		if (rc)
			return rc;
	}
}

int ot__connect(int fd, const struct sockaddr *addr, socklen_t len,
		int timeout_ms)
{
	if (fd < 0 || !addr || len == 0 || timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	int64_t deadline = timeout_ms == 0 ? 0 : ot__deadline_after(timeout_ms);
	if (connect(fd, addr, len) == 0)
		return 0;
	int e = ot__errno();
	/* Interrupted, a connect goes on in the background, like one in
	 * progress; either way, writable means it has finished. */
	if (e != EINPROGRESS && e != EINTR)
		return ot__sys_error(e);
	for (;;) {
		int rc = wait_ready(fd, OT_FD_WRITE, deadline);
		if (rc)
			return rc;
		int err = 0;
		socklen_t elen = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			return ot__sys_error(ot__errno());
		if (err)
			return ot__sys_error(err);
		/* Writable with no error: connected, unless the wake was for
		 * something else; getpeername tells. */
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;
		if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0)
			return 0;
		if ((err = ot__errno()) != ENOTCONN)
			return ot__sys_error(err);
	}
}
