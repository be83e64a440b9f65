/* SPDX-License-Identifier: MIT */
/*
 * otter/observer.h — the observer: a running program seen from outside,
 * as Erlang's observer and observer_cli show a node. Opt-in: nothing
 * runs, and nothing is spent, until the program asks for an endpoint.
 *
 *   ot_observer_listen(path)          a Unix socket, owner only, that
 *                                     otterctl(1) talks to;
 *   ot_observer_listen_http(addr)     a read-only HTTP endpoint on
 *                                     loopback: a live dashboard and the
 *                                     same replies as JSON;
 *   ot_observer_stop()                closes both.
 *
 * The protocol of the socket: one request per line (at most
 * OT_OBSERVER_LINE_MAX bytes with its newline), one JSON object per line
 * in reply, in order:
 *
 *   tree                     the supervision trees: from each root
 *                            supervisor (a process whose behaviour is
 *                            "supervisor" that no supervisor lists as
 *                            its child), each child's id, pid, type,
 *                            status and restart count, recursively
 *   ps [sort=memory|mailbox|activity] [limit=N]
 *                            the N (20; at most OT_OBSERVER_PS_MAX)
 *                            processes with the most memory (frames
 *                            saved off their stack and queued message
 *                            bytes), the longest mailbox, or the most
 *                            messages received, and how many there are
 *   info PID|NAME            one process: what ps shows, links, monitors
 *   state NAME|PID           a gen_server's state, as format_status
 *                            renders it (ot_gen_server_get_state)
 *   restart SUP ID           terminate_child then restart_child
 *   kill PID|NAME            exit signal kill
 *   history                  crashes and restarts per second over the
 *                            last 5 minutes, and the last events
 *   help                     the commands
 *
 * A PID is written as the replies write it, "<0.12.3>". A request that
 * fails gets {"error": "...", "code": "OT_ENOPROC"} (a process that is
 * gone, a name nobody has, an unknown command, a malformed line); a line
 * longer than the limit gets an error and the connection is closed.
 *
 * What it costs: each endpoint is served by otter processes of its own,
 * an acceptor and one per connection (at most 32 at once per endpoint),
 * waiting in ot_accept / ot_read / ot_write: no scheduler thread blocks,
 * and a request's work happens in its connection's process. Walks over
 * the processes go 256 pids at a time (ot_processes(),
 * no global pause) and yield between chunks. A reply is bounded
 * (OT_OBSERVER_REPLY_MAX; a longer one is an error, OT_ETOOBIG; tree
 * lists at most 1000 children of a supervisor, with "more": how many
 * it left out),
 * and a client that does not read it within 2 s is dropped. While an
 * endpoint is open the history's log tap (ot_log_tap()) counts crash
 * and restart reports, which are then built even when the logger
 * discards them.
 */
#ifndef OTTER_OBSERVER_H
#define OTTER_OBSERVER_H

#include <otter/base.h>
#include <otter/error.h>

OT_BEGIN_DECLS

/* The longest request line, its newline included. */
#define OT_OBSERVER_LINE_MAX 4096
/* The largest reply, in bytes. */
#define OT_OBSERVER_REPLY_MAX ((size_t)8 << 20)
/* The most processes ps lists. */
#define OT_OBSERVER_PS_MAX 10000

/*
 * Opens the observer's Unix socket at path (created with mode 0600; a
 * socket file already there is replaced, any other file is not) and
 * starts serving it. Only peers of the program's own uid are served
 * (SO_PEERCRED); others are closed at once.
 * Errors: OT_EINVAL (path NULL or empty), OT_ENAMETOOLONG (longer than a
 * socket address holds), OT_EALREADY (the socket is open), a system error
 * (OT_ESYS_ERRNO(EADDRINUSE) for a file that is not a socket, EACCES,
 * ...), OT_ENOMEM, OT_ENOTSTARTED. From: process or foreign.
 */
OT_API int ot_observer_listen(const char *path);

/*
 * Opens the HTTP endpoint on addr, "HOST:PORT" with a numeric IPv4 or
 * bracketed IPv6 host ("127.0.0.1:8070", "[::1]:0"); NULL is
 * "127.0.0.1:8070". Port 0 takes a free port: ot_observer_http_port()
 * says which. A host that is not loopback is remote access, for a program
 * that asks for it. It serves GET (and HEAD) only: the dashboard's files
 * (from $(pkgdatadir)/observer, or the directory in OTTER_OBSERVER_DATA)
 * at /, and /api/tree, /api/ps?sort=S&limit=N, /api/info/PID|NAME,
 * /api/state/NAME, /api/history (the socket's replies); nothing that
 * kills or restarts. A request whose Host header is not an IP literal or
 * "localhost" (what DNS rebinding sends) gets 403.
 * Errors: OT_EINVAL (addr malformed), OT_EALREADY, a system error
 * (OT_ESYS_ERRNO(EADDRINUSE), ...), OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign.
 */
OT_API int ot_observer_listen_http(const char *addr);

/* The port the HTTP endpoint listens on (> 0), or OT_ENOTFOUND when it is
 * not open. Never blocks. */
OT_API int ot_observer_http_port(void);

/*
 * Closes what is open (the socket, whose file is removed, and the HTTP
 * endpoint): their processes are killed and gone when it returns.
 * Returns 0, also when nothing was open. Errors: OT_ENOTSTARTED.
 * From: process or foreign (not one of the observer's own processes:
 * OT_EDEADLK).
 */
OT_API int ot_observer_stop(void);

OT_END_DECLS

#endif /* OTTER_OBSERVER_H */
