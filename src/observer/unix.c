/* SPDX-License-Identifier: MIT */
/*
 * unix.c — the observer's Unix socket (ot_observer_listen()): created
 * owner-only, peers of another uid refused, and the line protocol its
 * connections speak: a request per line, a JSON reply per line.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <otter/io.h>
#include <otter/proc.h>

#include "observer.h"

/* Only the program's own user is served. */
bool ot__unix_admit(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       cred.uid == geteuid();
}

/* Writes j's reply and a newline; false when the client cannot take it
 * within OT__OBS_WRITE_MS (it is then dropped). */
static bool reply(int fd, struct ot__json *j)
{
	ot__json_raw(j, "\n", 1);
	if (j->full) /* not even the newline fit: an error instead */
		ot__json_error(j, OT_ETOOBIG, "reply too large");
	if (!j->buf || j->len == 0)
		return false; /* no memory for even that */
	if (j->buf[j->len - 1] != '\n')
		ot__json_raw(j, "\n", 1);
	return ot_write(fd, j->buf, j->len, OT__OBS_WRITE_MS, NULL) ==
	       (ssize_t)j->len;
}

/* Before closing on a client that is still sending: our side ends, and
 * what it sends is read (for a moment, 64 KB at most), so that the close
 * does not reset the connection and lose the reply on its way. */
static void linger(int fd, char *buf)
{
	shutdown(fd, SHUT_WR);
	for (size_t total = 0; total < 65536;) {
		ssize_t n = ot_read(fd, buf, OT_OBSERVER_LINE_MAX, 200);
		if (n <= 0)
			return;
		total += (size_t)n;
	}
}

void ot__unix_serve(int fd)
{
	char *in = malloc(OT_OBSERVER_LINE_MAX);
	struct ot__json j;
	ot__json_init(&j, OT_OBSERVER_REPLY_MAX);
	size_t have = 0;
	while (in) {
		char *nl;
		while ((nl = memchr(in, '\n', have))) {
			size_t len = (size_t)(nl - in), used = len + 1;
			if (len && in[len - 1] == '\r')
				len--;
			if (len) {
				ot__obs_run(in, len, 0, &j);
				if (!reply(fd, &j))
					goto out;
			}
			memmove(in, in + used, have - used);
			have -= used;
		}
		if (have == OT_OBSERVER_LINE_MAX) {
			ot__json_error(&j, OT_EINVAL,
				       "request line longer than %d bytes: "
				       "closing",
				       OT_OBSERVER_LINE_MAX - 1);
			if (reply(fd, &j))
				linger(fd, in);
			goto out;
		}
		ssize_t n = ot_read(fd, in + have, OT_OBSERVER_LINE_MAX - have,
				    OT__OBS_IDLE_MS);
		if (n <= 0)
			goto out; /* closed, reset, or idle too long */
		have += (size_t)n;
	}
out:
	ot__json_free(&j);
	free(in);
}

/* Is something serving path? */
static bool served(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool yes = connect(fd, (const struct sockaddr *)a, sizeof *a) == 0;
	close(fd);
	return yes;
}

int ot__unix_open(const char *path, int *out)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path)
		return OT_ENAMETOOLONG;
	strcpy(a.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		/* A socket nobody serves is a leftover: replace it. */
		if (!S_ISSOCK(st.st_mode) || served(&a))
			return OT_ESYS_ERRNO(EADDRINUSE);
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return OT_ESYS_ERRNO(errno);
	/* Owner only. fchmod before bind sets the mode of the file bind
	 * makes on Linux; the chmod after it covers the others, and
	 * SO_PEERCRED covers the moment in between. */
	if (fchmod(fd, 0600) != 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return OT_ESYS_ERRNO(e);
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(fd);
		return OT_ESYS_ERRNO(e);
	}
	if (chmod(path, 0600) != 0 || listen(fd, 64) != 0) {
		int e = errno;
		close(fd);
		unlink(path); /* ours: bind made it */
		return OT_ESYS_ERRNO(e);
	}
	*out = fd;
	return 0;
}
