/* SPDX-License-Identifier: MIT */
/*
 * observer.h — the parts of the observer (otter/observer.h) and what they
 * share: the JSON writer every reply is made with (json.c), the commands
 * that make the replies (command.c, tree.c, ps.c), the crash and restart
 * history (history.c), and the endpoints that serve them (unix.c,
 * http.c, both on serve.c's acceptor).
 *
 * The observer is a layer on top: it uses only the public headers of the
 * layers below (info.h, supervisor.h, gen_server_client.h, io.h, log.h).
 * Everything here runs in the observer's own processes (an acceptor per
 * endpoint and one process per connection), so that a request's work, and
 * a client that reads its reply slowly, only ever make those wait.
 */
#ifndef OTTER_SRC_OBSERVER_H
#define OTTER_SRC_OBSERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <otter/info.h>
#include <otter/log.h>
#include <otter/observer.h>

/* ---- json.c: a writer of JSON text into a growing buffer ----------------
 *
 * No parsing, only writing, with the escaping JSON needs: quotes,
 * backslashes and control characters escaped, and bytes that are not
 * UTF-8 (a name or label may hold any) written as U+FFFD, so that what
 * comes out is always valid JSON. The buffer grows up to a limit; past it
 * the writer stops writing and says so (ot__json_full): a reply is
 * bounded whatever the system holds. Commas are the writer's business.
 */
struct ot__json {
	char *buf;    /* malloc'd, NUL terminated while not full */
	size_t len;   /* bytes written */
	size_t cap;   /* bytes allocated */
	size_t limit; /* the most it may hold */
	bool full;    /* the limit (or memory) ran out: the text is cut */
	bool after_key;
	unsigned depth;
	/* Bit d: something was written at depth d (a comma goes first);
	 * nesting stays below 64 levels (tree.c's DEPTH_MAX sees to it). */
	uint64_t items;
};

void ot__json_init(struct ot__json *j, size_t limit);
void ot__json_free(struct ot__json *j);
/* Forgets what was written (keeps the buffer). */
void ot__json_reset(struct ot__json *j);
void ot__json_open(struct ot__json *j, char bracket);  /* '{' or '[' */
void ot__json_close(struct ot__json *j, char bracket); /* '}' or ']' */
void ot__json_key(struct ot__json *j, const char *key);
void ot__json_str(struct ot__json *j, const char *s);
void ot__json_strn(struct ot__json *j, const char *s, size_t n);
void ot__json_int(struct ot__json *j, int64_t v);
void ot__json_uint(struct ot__json *j, uint64_t v);
void ot__json_bool(struct ot__json *j, bool v);
void ot__json_null(struct ot__json *j);
void ot__json_pid(struct ot__json *j, ot_pid pid); /* "<0.5.0>" or null */
/* Bytes written as they are (a newline at the end of a reply). */
void ot__json_raw(struct ot__json *j, const char *s, size_t n);
/* key: value pairs, for the common shapes. */
void ot__json_kstr(struct ot__json *j, const char *key, const char *s);
void ot__json_kuint(struct ot__json *j, const char *key, uint64_t v);
void ot__json_kint(struct ot__json *j, const char *key, int64_t v);
void ot__json_kbool(struct ot__json *j, const char *key, bool v);
void ot__json_kpid(struct ot__json *j, const char *key, ot_pid pid);

/* {"error": text, "code": "OT_ENOPROC"} (code 0: no "code"), the reply
 * of a request that failed. Resets what was written before. */
void ot__json_error(struct ot__json *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- command.c: requests ------------------------------------------------ */

/* What a request may do: the socket allows everything, HTTP only reads. */
#define OT__OBS_READ_ONLY 1u

/*
 * Runs one request line (without its newline) and writes its one JSON
 * reply into j (from empty; no newline). From: the observer's processes
 * (it waits on calls to supervisors and servers, and yields during long
 * walks).
 */
void ot__obs_run(const char *line, size_t len, unsigned flags,
		 struct ot__json *j);

/* A pid as the replies print it ("<0.5.0>") or a registered name, to a
 * pid. OT_ENOPROC: no process has that name (or it is a malformed pid);
 * OT_ENAMETOOLONG. */
int ot__obs_resolve(const char *what, ot_pid *out);

/* tree.c: {"roots": [...]}; ps.c: {"total": N, "processes": [...]}. */
void ot__obs_tree(struct ot__json *j);
enum ot__ps_sort { OT__PS_MEMORY, OT__PS_MAILBOX, OT__PS_ACTIVITY };
void ot__obs_ps(struct ot__json *j, enum ot__ps_sort sort, size_t limit);
/* ps.c: calls fn on every live process with the first size bytes of its
 * details, 256 pids at a time (yielding between chunks), until fn
 * returns nonzero (returned). */
int ot__obs_walk(size_t size,
		 int (*fn)(ot_pid pid, const ot_process_details *d, void *arg),
		 void *arg);
/* The fields of one process (into an open object): pid, name, label,
 * behaviour, entry, status, mailbox, memory, .... all: links and monitors
 * too. Returns 0 or OT_ENOPROC. */
int ot__obs_process(struct ot__json *j, ot_pid pid, bool all);

/* ---- history.c: crashes and restarts over the last minutes ------------- */

/* Seconds the history keeps, and events it keeps the text of. */
#define OT__HISTORY_SECONDS 300
#define OT__HISTORY_EVENTS  32

/* Installs the log tap that feeds it (once), and removes it. */
int ot__history_start(void);
void ot__history_stop(void);
/* {"seconds": ..., "crashes": [...], "restarts": [...], "events": [...]} */
void ot__history_json(struct ot__json *j);

/* ---- serve.c: an endpoint's acceptor and its connections ---------------- */

/* The longest a connection waits for a write to go out before it drops a
 * client that does not read (ms), and for a request's first byte. */
#define OT__OBS_WRITE_MS 2000
#define OT__OBS_IDLE_MS	 (10 * 60 * 1000)
/* Connections served at once per endpoint; more are refused. */
#define OT__OBS_CONNECTIONS 32

struct ot__obs_conn;

/* One endpoint: a listening socket, the process that accepts on it, and
 * what each connection runs. */
struct ot__endpoint {
	const char *what; /* "socket", "http": for reports */
	int fd;		  /* listening, non-blocking; -1: none */
	ot_pid acceptor;
	/* Runs one connection on fd (closed after it returns, or when the
	 * connection's process is killed). */
	void (*serve)(int fd);
	/* True when the peer on fd may be served. */
	bool (*admit)(int fd);
	_Atomic int connections; /* connection processes alive */
	/* The connections (serve.c's), for stop to shut their sockets. */
	pthread_mutex_t lock;
	struct ot__obs_conn *conns[OT__OBS_CONNECTIONS];
};

/* Spawns e's acceptor on e->fd. Errors: ot_spawn's. */
int ot__endpoint_start(struct ot__endpoint *e);
/* Kills e's acceptor and connections, waits until they are gone, closes
 * e->fd. */
void ot__endpoint_stop(struct ot__endpoint *e);
/* True while e's acceptor runs. */
bool ot__endpoint_running(const struct ot__endpoint *e);

/* unix.c: the socket at path, listening (*out); its peers' check; its
 * connections' line protocol. */
int ot__unix_open(const char *path, int *out);
bool ot__unix_admit(int fd);
void ot__unix_serve(int fd);

/* http.c: a TCP socket on addr ("HOST:PORT"), listening (*out, its port
 * in *port); one HTTP connection. */
int ot__http_open(const char *addr, int *out, int *port);
void ot__http_serve(int fd);

#endif /* OTTER_SRC_OBSERVER_H */
