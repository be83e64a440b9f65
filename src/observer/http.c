/* SPDX-License-Identifier: MIT */
/*
 * http.c — the observer's HTTP endpoint (ot_observer_listen_http()): the
 * dashboard's static files and the socket's replies as a JSON API, read
 * only, one request per connection.
 *
 * What keeps it safe to leave on: it binds to loopback unless the program
 * asks for another address; only GET and HEAD exist (no kill, no
 * restart: a page from anywhere can make a browser send requests to
 * 127.0.0.1); and a request whose Host is a name other than localhost is
 * refused, which is what DNS rebinding needs (a name of the attacker's
 * that now points to 127.0.0.1). A request head is bounded (8 KB, 10 s).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <otter/io.h>

#include "observer.h"

#ifndef OT_OBSERVER_DATADIR
#define OT_OBSERVER_DATADIR "/usr/local/share/otter/observer"
#endif

#define HEAD_MAX 8192
#define HEAD_MS	 10000
#define FILE_MAX ((size_t)1 << 20)

int ot__http_open(const char *addr, int *out, int *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	char host[64];
	const char *colon;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':' ||
		    (size_t)(end - addr - 1) >= sizeof host)
			return OT_EINVAL;
		memcpy(host, addr + 1, (size_t)(end - addr - 1));
		host[end - addr - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof host)
			return OT_EINVAL;
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
	}
	char *end;
	if (!isdigit((unsigned char)colon[1]))
		return OT_EINVAL;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535)
		return OT_EINVAL;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		len = sizeof *v4;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		len = sizeof *v6;
	} else {
		return OT_EINVAL;
	}
	int fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return OT_ESYS_ERRNO(errno);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		int e = errno;
		close(fd);
		return OT_ESYS_ERRNO(e);
	}
	*port = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
	*out = fd;
	return 0;
}

/* ---- the response --------------------------------------------------- */

static void respond(int fd, int status, const char *type, const char *body,
		    size_t len, bool head_only, const char *extra)
{
	const char *text = status == 200   ? "OK"
			   : status == 400 ? "Bad Request"
			   : status == 403 ? "Forbidden"
			   : status == 404 ? "Not Found"
			   : status == 405 ? "Method Not Allowed"
			   : status == 413 ? "Payload Too Large"
					   : "Internal Server Error";
	char h[512];
	int n = snprintf(h, sizeof h,
			 "HTTP/1.1 %d %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n"
			 "X-Content-Type-Options: nosniff\r\n"
			 "Content-Security-Policy: default-src 'self'\r\n"
			 "%s"
			 "Connection: close\r\n\r\n",
			 status, text, type, len, extra ? extra : "");
	if (ot_write(fd, h, (size_t)n, OT__OBS_WRITE_MS, NULL) != n)
		return;
	if (!head_only && len)
		ot_write(fd, body, len, OT__OBS_WRITE_MS, NULL);
}

static void respond_error(int fd, int status, const char *text, bool head)
{
	struct ot__json j;
	ot__json_init(&j, 4096);
	ot__json_error(&j, 0, "%s", text);
	respond(fd, status, "application/json", j.buf ? j.buf : "",
		j.buf ? j.len : 0, head,
		status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
	ot__json_free(&j);
}

static void send_file(int fd, const char *name, const char *type, bool head)
{
	const char *dir = getenv("OTTER_OBSERVER_DATA");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s",
		 dir && *dir ? dir : OT_OBSERVER_DATADIR, name);
	/* A small local file: read at once (the dashboard's three). */
	int f = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t got = -1;
	if (f >= 0 && fstat(f, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size <= FILE_MAX &&
	    (buf = malloc((size_t)st.st_size + 1)))
		got = read(f, buf, (size_t)st.st_size);
	if (f >= 0)
		close(f);
	if (got < 0)
		respond_error(fd, 404,
			      "the dashboard's files are not installed "
			      "(OTTER_OBSERVER_DATA)",
			      head);
	else
		respond(fd, 200, type, buf, (size_t)got, head, NULL);
	free(buf);
}

/* ---- the request ---------------------------------------------------- */

/* Decodes %XX in place. False for a bad escape, or a byte a request
 * word cannot hold (blanks, controls). */
static bool url_decode(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		unsigned c = (unsigned char)*r;
		if (c == '%') {
			if (!isxdigit((unsigned char)r[1]) ||
			    !isxdigit((unsigned char)r[2]))
				return false;
			char hex[3] = {r[1], r[2], 0};
			c = (unsigned)strtoul(hex, NULL, 16);
			r += 2;
		}
		if (c <= ' ' || c == 0x7f)
			return false;
		*w++ = (char)c;
	}
	*w = '\0';
	return true;
}

/* The Host header's host: an IP literal or localhost (a name is what a
 * DNS rebinding attack sends). */
static bool host_ok(const char *h, size_t n)
{
	char host[128];
	if (n == 0 || n >= sizeof host)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	char *end = host + n;
	if (host[0] == '[') { /* [v6]:port */
		char *close = strchr(host, ']');
		if (!close || (close[1] && close[1] != ':'))
			return false;
		*close = '\0';
		struct in6_addr a6;
		return inet_pton(AF_INET6, host + 1, &a6) == 1;
	}
	char *colon = strchr(host, ':');
	if (colon) {
		for (char *p = colon + 1; p < end; p++)
			if (!isdigit((unsigned char)*p))
				return false;
		*colon = '\0';
	}
	struct in_addr a4;
	return !strcasecmp(host, "localhost") ||
	       inet_pton(AF_INET, host, &a4) == 1;
}

/* The value of header name in head (lines after the first), or NULL. */
static const char *header(const char *head, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = strstr(v, "\r\n");
			size_t n = e ? (size_t)(e - v) : strlen(v);
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			*len = n;
			return v;
		}
	}
	return NULL;
}

/* The request line of an /api/ path, into line; false: no such path. */
static bool api_line(char *path, char *query, char *line, size_t size)
{
	if (!strcmp(path, "tree") || !strcmp(path, "history") ||
	    !strcmp(path, "help")) {
		snprintf(line, size, "%s", path);
		return true;
	}
	if (!strcmp(path, "ps")) {
		size_t n = (size_t)snprintf(line, size, "ps");
		for (char *kv = query ? strtok(query, "&") : NULL; kv;
		     kv = strtok(NULL, "&")) {
			if (!url_decode(kv) || n >= size)
				return false;
			n += (size_t)snprintf(line + n, size - n, " %s", kv);
		}
		return n < size;
	}
	const char *cmd = !strncmp(path, "info/", 5)	? "info"
			  : !strncmp(path, "state/", 6) ? "state"
							: NULL;
	if (!cmd)
		return false;
	char *arg = strchr(path, '/') + 1;
	if (!*arg || !url_decode(arg))
		return false;
	return (size_t)snprintf(line, size, "%s %s", cmd, arg) < size;
}

static void route(int fd, char *target, bool head)
{
	char *query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	if (!strcmp(target, "/") || !strcmp(target, "/index.html"))
		return send_file(fd, "index.html", "text/html; charset=utf-8",
				 head);
	if (!strcmp(target, "/observer.js"))
		return send_file(fd, "observer.js",
				 "text/javascript; charset=utf-8", head);
	if (!strcmp(target, "/observer.css"))
		return send_file(fd, "observer.css", "text/css; charset=utf-8",
				 head);
	char line[OT_OBSERVER_LINE_MAX];
	if (strncmp(target, "/api/", 5) ||
	    !api_line(target + 5, query, line, sizeof line))
		return respond_error(fd, 404, "no such page", head);
	struct ot__json j;
	ot__json_init(&j, OT_OBSERVER_REPLY_MAX);
	ot__obs_run(line, strlen(line), OT__OBS_READ_ONLY, &j);
	int status = 200;
	if (j.buf && !strncmp(j.buf, "{\"error\":", 9))
		status = strstr(j.buf, "\"OT_ENOPROC\"") ? 404 : 400;
	if (!j.buf)
		respond_error(fd, 500, "out of memory", head);
	else
		respond(fd, status, "application/json", j.buf, j.len, head,
			NULL);
	ot__json_free(&j);
}

void ot__http_serve(int fd)
{
	char *in = malloc(HEAD_MAX + 1);
	size_t have = 0;
	if (!in)
		return;
	while (!memmem(in, have, "\r\n\r\n", 4)) {
		if (have == HEAD_MAX) {
			respond_error(fd, 413, "request head too large", false);
			goto out;
		}
		ssize_t n = ot_read(fd, in + have, HEAD_MAX - have, HEAD_MS);
		if (n <= 0)
			goto out;
		have += (size_t)n;
	}
	in[have] = '\0';
	if (memchr(in, '\0', have)) {
		respond_error(fd, 400, "a NUL byte in the request", false);
		goto out;
	}
	char method[8], target[2048], version[16];
	if (sscanf(in, "%7s %2047s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) || target[0] != '/') {
		respond_error(fd, 400, "not an HTTP/1 request", false);
		goto out;
	}
	bool head = !strcmp(method, "HEAD");
	size_t hlen;
	const char *host = header(in, "Host", &hlen);
	if (!host || !host_ok(host, hlen))
		respond_error(fd, 403,
			      "Host must be an IP address or "
			      "localhost",
			      head);
	else if (strcmp(method, "GET") && !head)
		respond_error(fd, 405, "read only: GET and HEAD", false);
	else
		route(fd, target, head);
	/* Let the client read before the close resets the connection. */
	shutdown(fd, SHUT_WR);
out:
	free(in);
}
