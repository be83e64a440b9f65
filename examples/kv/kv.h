/* SPDX-License-Identifier: MIT */
/*
 * kv.h — the KV service of Elixir's Mix/OTP guide, in C, on otter.
 *
 * Buckets hold key/value pairs; a registry gives buckets names; a TCP
 * server speaks a line protocol. Every piece is a process, and the pieces
 * are held together by supervisors, so that a crash in one of them — a
 * NULL dereference, a division by zero, an abort(), a stack overflow —
 * restarts what it must and nothing more:
 *
 *   kv                      one_for_one   (service.c)
 *   ├── kv.sup              one_for_all   the guide's KV.Supervisor
 *   │   ├── kv.bucket_sup   dynamic       buckets, temporary (bucket.c)
 *   │   └── kv.registry     gen_server    names -> buckets (registry.c)
 *   └── kv.tcp_sup          rest_for_one  the guide's KVServer
 *       ├── kv.sockets      gen_server    owns the sockets (sockets.c)
 *       ├── kv.conn_sup     dynamic       connections, temporary
 *       └── kv.acceptor     process       accepts (acceptor.c)
 *
 * One connection is one process (connection.c), which reads lines and runs
 * them as commands (command.c):
 *
 *   CREATE <bucket>              OK
 *   PUT <bucket> <key> <value>   OK
 *   GET <bucket> <key>           the value (an empty line if none), OK
 *   DELETE <bucket> <key>        OK
 *   (a bucket that does not exist: NOT FOUND; anything else: UNKNOWN
 *   COMMAND; a line longer than KV_LINE_MAX: ERROR LINE TOO LONG, and the
 *   connection is closed)
 *
 * Limits (struct kv_options; connection.c and sockets.c say why): a
 * connection that sends nothing for idle_timeout_ms (5 minutes) after its
 * last reply is told ERROR IDLE TIMEOUT and closed; one whose line has not
 * ended line_timeout_ms (1 minute) after its first byte, ERROR LINE
 * TIMEOUT. When max_connections (4,096) are open, a new client takes the
 * place of the one that has waited longest since its last reply, which is
 * told ERROR SERVER FULL, IDLE CONNECTION CLOSED; when none is waiting
 * (each is running a command or writing its reply) the new client is told
 * ERROR TOO MANY CONNECTIONS.
 *
 * With allow_crash, also CRASH <bucket|registry|connection> <fault>, where
 * <bucket> is a bucket's name and <fault> one of segv, fpe, abort,
 * overflow: that process commits the fault for real (fault.c).
 *
 * The processes find each other by registered name, as in the guide, so
 * one runtime runs one service at a time.
 *
 * Also here: reports.c prints otter's reports; demo.c is the scripted
 * session of `kv-server --demo`, and main.c the program. All but main.c
 * and erlang.c form a library, which tests/kv/test_kv.c links too.
 * erlang.c (built with libotter-dist) is `kv-server --node`: the service
 * as an Erlang node, called from an Erlang shell.
 */
#ifndef KV_H
#define KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <otter.h>

/* The longest line the server reads, without its line ending. */
#define KV_LINE_MAX (64 * 1024)

/* The defaults of struct kv_options's limits: most connections at once;
 * how long a connection may send nothing after its last reply; how long
 * a line may take to arrive once it began (connection.c says why). */
#define KV_MAX_CONNECTIONS 4096
#define KV_IDLE_TIMEOUT_MS (5 * 60 * 1000)
#define KV_LINE_TIMEOUT_MS (60 * 1000)

/* A connection process's stack: its buffers live there (see connection.c). */
#define KV_CONN_STACK (512 * 1024)

/* The registered names. */
#define KV_ROOT_NAME	   "kv"
#define KV_SUP_NAME	   "kv.sup"
#define KV_BUCKET_SUP_NAME "kv.bucket_sup"
#define KV_REGISTRY_NAME   "kv.registry"
#define KV_TCP_SUP_NAME	   "kv.tcp_sup"
#define KV_SOCKETS_NAME	   "kv.sockets"
#define KV_CONN_SUP_NAME   "kv.conn_sup"
#define KV_ACCEPTOR_NAME   "kv.acceptor"

/* ---- the service (service.c) --------------------------------------------- */

/* How to start it. The zero value: 127.0.0.1, an ephemeral port, no
 * CRASH, the default limits. */
struct kv_options {
	const char *bind; /* a numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
	int port;	  /* 0: any free port (see kv_service.port) */
	bool allow_crash; /* accept the CRASH command */
	/* Connections open at once (0: KV_MAX_CONNECTIONS); when all are
	 * taken, a new one closes the longest idle (see kv.h's top). */
	size_t max_connections;
	/* A connection that sends nothing for this long after its last
	 * reply (or its start) is closed (0: KV_IDLE_TIMEOUT_MS;
	 * OT_INFINITY: never). */
	int idle_timeout_ms;
	/* A line must end this long after its first byte came, or the
	 * connection is closed (0: KV_LINE_TIMEOUT_MS; OT_INFINITY: never). */
	int line_timeout_ms;
};

/* A running service. */
struct kv_service {
	ot_pid root;   /* the top supervisor, linked to kv_start()'s caller */
	int listen_fd; /* the listening socket, closed by kv_stop() */
	int port;      /* the port it listens on */
};

/*
 * Opens the listening socket and starts the supervision tree. The runtime
 * must be running. Returns 0, or an otter error: a system error (the socket
 * could not be opened, bound or listened on: OT_ESYS_ERRNO(EADDRINUSE),
 * ...), OT_EINVAL (a bad address, port or limit), OT_EALREADY (a service
 * is running), or the supervisor's start errors (*why, may be NULL, says
 * why). From a process or a foreign thread.
 */
int kv_start(const struct kv_options *opts, struct kv_service *out,
	     ot_reason *why);

/* kv_start() in two halves, for a program that runs the tree itself
 * (kv-server's ot_run()): kv_open() checks opts and opens the listening
 * socket (*port gets its port; errors as kv_start() before the tree),
 * kv_root_spec() is the tree to start, registered as KV_ROOT_NAME, and
 * kv_close() closes the socket once the tree has ended. */
int kv_open(const struct kv_options *opts, int *port);
const ot_sup_spec *kv_root_spec(void);
void kv_close(void);

/* Stops the tree (connections first), closes the listening socket and
 * frees what crashed processes left behind. Returns 0 or the error of
 * ot_supervisor_stop(). */
int kv_stop(struct kv_service *svc);

/* True when the running service accepts CRASH. */
bool kv_crash_allowed(void);

/* ---- buckets (bucket.c) -------------------------------------------------- */

/* A byte string: keys, values and names may hold any byte but white space. */
struct kv_str {
	const char *p;
	size_t n;
};

extern const ot_gen_server_callbacks kv_bucket_callbacks;

/* Calls to one bucket. Each returns 0, or a call error: OT_ENOPROC or
 * OT_ESERVERDIED when the bucket is gone (for the protocol: NOT FOUND).
 * The bucket and registry calls build their request on the caller's stack
 * (KV_LINE_MAX bytes and a little): a process that makes them needs a
 * stack like a connection's. */
int kv_bucket_put(ot_pid bucket, struct kv_str key, struct kv_str value);
int kv_bucket_delete(ot_pid bucket, struct kv_str key);
/* The value goes to buf (cap bytes, *len its length; 0 when absent). */
int kv_bucket_get(ot_pid bucket, struct kv_str key, char *buf, size_t cap,
		  size_t *len);
/* How many keys it holds. */
int kv_bucket_count(ot_pid bucket, size_t *n);

/* What a bucket does, for a call (the client functions above) or for
 * kv_bucket_hook. */
enum kv_bucket_op {
	KV_BUCKET_PUT = 1,
	KV_BUCKET_GET,
	KV_BUCKET_DELETE,
	KV_BUCKET_COUNT,
	KV_BUCKET_CRASH
};

/* Messages a bucket gets that are not calls of the functions above go to
 * this hook when it is set (before the service starts; the KV service
 * itself knows nothing of Erlang): kv-server --node answers Erlang's
 * gen_server:call to a bucket so (erlang.c). bucket is the bucket's
 * state, for kv_bucket_run(). */
typedef void kv_bucket_hook_fn(const ot_msg *msg, void *bucket);
extern kv_bucket_hook_fn *kv_bucket_hook;

/* From the hook, in the bucket's process: runs op on the bucket as its
 * call would. GET: *out is the value (pointing into the bucket, valid
 * until its next request), {NULL, 0} when there is none; COUNT: *out
 * holds a size_t. CRASH commits fault and does not return. Returns 0,
 * OT_ENOMEM, OT_EINVAL (an unknown op or fault). */
int kv_bucket_run(void *bucket, int op, int fault, struct kv_str key,
		  struct kv_str value, struct kv_str *out);

/* ---- the registry (registry.c) ------------------------------------------- */

extern const ot_gen_server_callbacks kv_registry_callbacks;

/*
 * Calls to the registry, by name. While the registry is being restarted
 * (after a crash, kv.sup restarts it and the bucket supervisor), each waits
 * for the new one, up to a few seconds. Each returns 0 or a call error.
 */
/* The bucket called name, started if there is none. */
int kv_registry_create(struct kv_str name, ot_pid *bucket);
/* The bucket called name: OT_ENOTFOUND when there is none. */
int kv_registry_lookup(struct kv_str name, ot_pid *bucket);
/* How many names it holds. */
int kv_registry_count(size_t *n);

/* How many buckets kv.bucket_sup runs (kv_registry_count() should agree). */
int kv_bucket_sup_count(size_t *n);

/* ---- faults (fault.c) ---------------------------------------------------- */

/* X(enum name, protocol word, what it does) */
#define KV_FAULT_MAP(X)                                                        \
	X(SEGV, "segv", "writes through a NULL pointer (SIGSEGV)")             \
	X(FPE, "fpe", "divides an integer by zero (SIGFPE)")                   \
	X(ABORT, "abort", "calls abort() (SIGABRT)")                           \
	X(OVERFLOW, "overflow", "recurses until its stack overflows (SIGSEGV)")

enum kv_fault {
#define KV_FAULT_ENUM_(name, word, text) KV_FAULT_##name,
	KV_FAULT_MAP(KV_FAULT_ENUM_)
#undef KV_FAULT_ENUM_
};
enum { KV_FAULT_COUNT = KV_FAULT_OVERFLOW + 1 };

/* The fault named word (n bytes), or -1. */
int kv_fault_parse(struct kv_str word);
/* "segv", ... and what the fault does. */
const char *kv_fault_word(int fault);
const char *kv_fault_text(int fault);
/* Commits fault for real, in the calling process. Returns only for a
 * fault number it does not know. */
void kv_fault_commit(int fault);

/* Crashes the bucket / the registry with fault (a call that never gets its
 * reply). 0 when the process died of it (*why, may be NULL, gets its exit
 * reason), else the call's error. */
int kv_bucket_crash(ot_pid bucket, int fault, ot_reason *why);
int kv_registry_crash(int fault, ot_reason *why);

/* ---- the TCP side -------------------------------------------------------- */

/* kv.sockets's start argument: kv_options's limits, defaults resolved
 * (timeouts > 0 or OT_INFINITY). */
struct kv_limits {
	size_t max_connections;
	int idle_timeout_ms;
	int line_timeout_ms;
};

extern const ot_gen_server_callbacks kv_sockets_callbacks;

/* Hands the connected socket fd over to kv.sockets, which starts its
 * connection process and closes fd once that process has ended, however it
 * ended. When every slot is taken it returns once the connection closed
 * to make room has ended. Returns 0, or an error (then fd is closed,
 * except after OT_ESERVERDIED, when kv.sockets may have owned it):
 * OT_EMAXCHILDREN when no connection could make room. */
int kv_sockets_serve(int fd);

/* What kv.sockets sends a new connection once it owns (monitors) its
 * socket: only then may the connection use it (Erlang's
 * gen_tcp:controlling_process). No payload. */
#define KV_TAG_SOCKET_OWNED 1

/* The acceptor's start function (a child start function, arg: a pointer to
 * the listening socket). */
int kv_acceptor_start(void *arg, const void *extra, size_t extra_size,
		      ot_pid *out, ot_reason *why);

/*
 * One connection as kv.sockets and the connection's process both see it,
 * the way Erlang processes share an `atomics` array: kv.sockets allocates
 * it, fills it in, hands it to the process it starts and frees it after
 * that process's DOWN. `state` is the one field both write (connection.c
 * has its rules): it says whether the connection waits for its client,
 * and since when, so that kv.sockets can close the longest idle one
 * without ever cutting a reply short.
 */
#define KV_CONN_BUSY	(-1) /* running a command, or writing its reply */
#define KV_CONN_EVICTED (-2) /* kv.sockets has closed it for a newcomer */
struct kv_conn {
	int fd;
	int idle_timeout_ms; /* > 0 or OT_INFINITY, as kv_limits */
	int line_timeout_ms;
	/* >= 0: waiting for the client since then (ot_monotonic_ms(): its
	 * last reply, or its start); else KV_CONN_BUSY or KV_CONN_EVICTED. */
	_Atomic int64_t state;
};

/* kv.sockets's side of the state (connection.c): how long the connection
 * has waited (its state, or -1 when it does not wait), and taking it
 * away from a waiting connection: true when state was still `since`, and
 * then the connection writes nothing more to its socket. */
int64_t kv_conn_idle_since(const struct kv_conn *conn);
bool kv_conn_evict(struct kv_conn *conn, int64_t since);

/* The connection's start function (a child start function, arg: its
 * struct kv_conn). */
int kv_connection_start(void *arg, const void *extra, size_t extra_size,
			ot_pid *out, ot_reason *why);

/*
 * Runs one command line (len bytes, no line ending) and writes the reply,
 * lines ending in \r\n, into out (cap >= KV_REPLY_MAX); returns its length.
 * "CRASH connection <fault>" commits the fault right here, in the caller.
 * From the connection's process.
 */
#define KV_REPLY_MAX (KV_LINE_MAX + 64)
size_t kv_command_run(const char *line, size_t len, char *out, size_t cap);

/* ---- the Erlang node (erlang.c; kv-server --node only) ------------------ */

/* The Erlang name of the registry, {kv_registry, Node}, and the root
 * above the service and the node. */
#define KV_ERLANG_NAME "kv_registry"
#define KV_TOP_NAME    "kv.top"

struct kv_erlang_opts {
	const char *node;   /* "otter@127.0.0.1" */
	const char *cookie; /* NULL: ~/.erlang.cookie */
};

/* The tree to run for kv-server --node: the service (kv_root_spec()) and
 * the process that starts the node and answers the registry's calls from
 * Erlang (erlang.c says what they are); sets kv_bucket_hook, for the
 * buckets' calls. opts is copied. */
const ot_sup_spec *kv_erlang_spec(const struct kv_erlang_opts *opts);

/* ---- the program (reports.c, demo.c, main.c) ----------------------------- */

/* Prints otter's reports to `to`, each line indented (ot_set_logger()). */
void kv_reports_install(FILE *to);
/* How many reports were printed so far. */
size_t kv_reports_seen(void);
/* Waits (up to max_ms) until at least at_least reports were printed and
 * none came for quiet_ms. False on timeout. */
bool kv_reports_wait(size_t at_least, int quiet_ms, int max_ms);

/* The scripted session of `kv-server --demo`; returns the exit status. */
int kv_demo(void);

#endif /* KV_H */
