/* SPDX-License-Identifier: MIT */
/*
 * otter/dist.h — an otter node in an Erlang cluster (libotter-dist,
 * `pkg-config otter-dist`): Erlang's own distribution, spoken through
 * erl_interface's ei (the handshake, the cookie, epmd, the external term
 * format). Built when ./configure finds erl_interface (Debian: erlang-dev).
 *
 * One node per program. ot_node_start() registers it with epmd (starting
 * `epmd -daemon` when none runs, as erl does) and accepts connections
 * from Erlang nodes; to them it is a hidden node (a C node): it answers
 * net_adm:ping with pong and shows in nodes(hidden).
 *
 * Messages from Erlang: `{Name, 'otter@127.0.0.1'} ! Term` reaches the
 * otter process registered as Name (ot_register) as a message tagged
 * OT_DIST_TAG whose data is Term in the external term format, starting
 * with the version byte 131. Decode it with ei:
 *
 *     int i = 0, version, arity;
 *     const char *t = ot_msg_data(msg);
 *     ei_decode_version(t, &i, &version);
 *     ei_decode_tuple_header(t, &i, &arity);  ...
 *
 * ot_msg_from() of such a message is the Erlang sender, as a remote pid
 * (see "Remote pids" below); Pid ! Term carries no sender, and gives the
 * node's connection process. As in Erlang, a term that wants a reply
 * carries the sender's pid (or a name to reply to). A message for a name nobody
 * has registered is dropped, as Erlang drops `{Name, Node} ! Msg` then.
 *
 * Messages to Erlang: ot_dist_send_name() ({Name, Node} ! Term) and
 * ot_dist_send() (Pid ! Term) take a term encoded by ei with its version
 * byte (ei_x_new_with_version(), then ei_x_encode_...). The first send to
 * a node connects to it (looked up with epmd) and keeps the connection.
 *
 * Connections whose cookie is wrong are refused during the handshake and
 * reported with ot_log() (OT_LOG_WARNING); nothing from them reaches a
 * process.
 *
 * Pids: ot_dist_pid() gives an otter process an Erlang pid of this node,
 * to put in a term (ei_x_encode_pid); what Erlang sends to that pid
 * reaches the process, as an OT_DIST_TAG message too.
 *
 * gen_server:call({Name, Node}, Request) from Erlang reaches the process
 * registered as Name as the term {'$gen_call', {From, Tag}, Request}: an
 * otter gen_server takes it in handle_info, ot_dist_call_parse() finds
 * Request and the caller, ot_dist_reply() answers it.
 *
 * The other way, ot_dist_call_name() and ot_dist_call() make a
 * gen_server:call to a server of another node and return its reply.
 *
 * Remote pids: an Erlang pid of another node becomes an ot_pid
 * (ot_dist_otter_pid(), ot_term_get_otter_pid(), %P in ot_term_match()),
 * and the runtime's own calls work on it: ot_send() sends the bytes as a
 * binary (or, tagged OT_DIST_TAG, as the term they are), ot_link(),
 * ot_unlink(), ot_monitor(), ot_demonitor(), ot_exit_pid() work as
 * between local processes, both ways: an Erlang process may link to or
 * monitor an otter process too. Exit reasons cross as terms
 * (ot_term_reason(), ot_term_get_reason()): an otter process that crashes
 * by SIGSEGV ends its Erlang links and monitors with {crash, 'SIGSEGV',
 * 'SEGV_MAPERR', Addr, false}; an Erlang reason otter has no kind for
 * arrives as {error,OT_EREMOTE,Text} with the term as its payload. When
 * the last connection to a node goes, every link across it fires with
 * noconnection ({error,OT_ENOTCONN,"noconnection"}) and every monitor
 * gives a DOWN with it; ot_monitor_node() and ot_monitor_nodes() report
 * nodedown and nodeup. A message {Name, Node} ! Term from Erlang has the
 * sender's remote pid as ot_msg_from().
 *
 * A call from Erlang to a name nobody holds gets noproc at once, and one
 * from otter to a name nobody holds on another node OT_ENOPROC. The handshake
 * of a new connection and the writes of a send run on the calling scheduler
 * thread (ei's sockets block, for a bounded time); waiting for the next message
 * from a node does not: each connection's process waits with ot_fd_wait().
 *
 * Call ot_node_stop() before ot_shutdown().
 */
#ifndef OTTER_DIST_H
#define OTTER_DIST_H

#include <ei.h>

#include <otter.h>
#include <otter/term.h>

OT_BEGIN_DECLS

/* The tag of a message that came from another node: an Erlang term in
 * the external term format. Just below gen_server's protocol tags
 * (OT_GS_TAG_BASE), so that a gen_server gets it in handle_info, and
 * below OT_TAG_SYSTEM, so that ot_send() may send it too (a local
 * process may forward such a term). */
#define OT_DIST_TAG (OT_GS_TAG_BASE - 1)

/* How ot_node_start() sets the node up. The zero value means defaults. */
typedef struct ot_node_opts {
	/* The IPv4 address to listen on, dotted ("0.0.0.0": every
	 * interface). NULL: "127.0.0.1", loopback only. */
	const char *listen_addr;
	/* The port to listen on; 0: one the system picks (epmd tells
	 * it to the nodes that look the node up). */
	int port;
	/* Bound of a connect, a handshake or a send, in milliseconds.
	 * 0: OT_NODE_DEFAULT_TIMEOUT. */
	int timeout_ms;
} ot_node_opts;

#define OT_NODE_DEFAULT_TIMEOUT 5000 /* ms */

/*
 * Starts this program's node, named name ("alive@host", e.g.
 * "otter@127.0.0.1"; a host with a dot makes a long name, as erl -name,
 * one without a short name, as erl -sname: Erlang nodes talk only to
 * nodes of their own kind). cookie NULL: the first line of
 * $HOME/.erlang.cookie, as Erlang. opts may be NULL. Registers the node
 * with epmd, starting `epmd -daemon` if none answers, and starts the
 * process that accepts connections. SIGPIPE is ignored from then on if
 * it was not handled (ei writes to sockets that the peer may have
 * closed; the error is returned instead).
 * Errors: OT_EINVAL (name NULL or not alive@host, too long; cookie empty
 * or too long; no cookie file; opts out of range), OT_EALREADY (a node is
 * started), OT_ESYS (could not listen, or epmd refused the name: it is
 * taken, or epmd could not be started), OT_ENOMEM, OT_ENOTSTARTED (the
 * runtime is not running).
 * From: process or foreign. Blocks while it talks to epmd.
 */
OT_API int ot_node_start(const char *name, const char *cookie,
			 const ot_node_opts *opts);

/*
 * Stops the node: unregisters it from epmd, stops the acceptor and the
 * connections' processes and closes every connection. Messages already
 * delivered stay in their mailboxes.
 * Errors: OT_ENOTSTARTED (no node is started). From: process or foreign.
 */
OT_API int ot_node_stop(void);

/*
 * Copies the node's full name ("otter@127.0.0.1") into buf (NUL
 * terminated, truncated to size). Returns the length of the name, like
 * snprintf. Errors: OT_EINVAL (buf NULL and size not 0), OT_ENOTSTARTED
 * (no node). From: anywhere.
 */
OT_API int ot_node_name(char *buf, size_t size);

/*
 * The nodes this node is connected to, as Erlang's nodes(connected):
 * up to n names into names (NUL terminated). Returns how many there are
 * (more than n when names was too short). Two nodes that connected to
 * each other at the same moment count once: as Erlang, the node keeps
 * the connection that the node with the greater name opened and closes
 * the other.
 * Errors: OT_EINVAL (names NULL with n > 0), OT_ENOTSTARTED (no node).
 * From: anywhere; never blocks.
 */
OT_API int ot_node_peers(char (*names)[MAXNODELEN + 1], size_t n);

/*
 * {name, node} ! Term: sends the term at buf (size bytes in the external
 * term format, with its version byte) to the process registered as name
 * on node ("alive@host"), connecting to node first if need be. Like
 * Erlang's send, it succeeds when the message is on its way: a name that
 * is not registered there drops it.
 * Errors: OT_EINVAL (NULL, empty, too long; size 0 or above INT_MAX),
 * OT_ENOTSTARTED (no node), OT_ESYS (could not connect: no such node,
 * wrong cookie, epmd down; or the connection broke while sending),
 * OT_ETIMEDOUT, OT_ENOMEM. The term is queued for the connection's
 * writer: a write that fails after the call returned hangs the connection
 * up (links and monitors across it get noconnection), as Erlang's send.
 * Past 256 KiB queued, the caller writes the queue itself (bounded by the
 * node's timeout_ms).
 * From: process or foreign.
 */
OT_API int ot_dist_send_name(const char *node, const char *name,
			     const void *buf, size_t size);

/*
 * Pid ! Term: sends the term at buf (as ot_dist_send_name()) to the
 * process to, a pid of another node (decoded with ei_decode_pid() from a
 * term that node sent), connecting to to->node first if need be.
 * Errors: as ot_dist_send_name(); OT_EINVAL also for a pid of this node.
 * From: process or foreign.
 */
OT_API int ot_dist_send(const erlang_pid *to, const void *buf, size_t size);

/*
 * The Erlang pid of the local process pid, into *out: a pid of this node,
 * the same each time for one process, to encode in a term for another
 * node (ei_x_encode_pid). A term sent to it reaches pid as an OT_DIST_TAG
 * message, as long as pid lives.
 * Errors: OT_EINVAL (out NULL, pid OT_PID_NONE), OT_ENOPROC (pid is not
 * alive), OT_ENOTSTARTED (no node), OT_ENOMEM. From: anywhere.
 */
OT_API int ot_dist_pid(ot_pid pid, erlang_pid *out);

/*
 * The local process that the Erlang pid pid (of this node, made by
 * ot_dist_pid()) names, into *out.
 * Errors: OT_EINVAL (NULL), OT_ENOPROC (no process of this node has that
 * pid), OT_ENOTSTARTED (no node). From: anywhere.
 */
OT_API int ot_dist_local_pid(const erlang_pid *pid, ot_pid *out);

/*
 * The ot_pid of an Erlang pid, into *out. A pid of another node becomes
 * a remote ot_pid (otter/base.h): ot_send(), ot_link(), ot_monitor(),
 * ot_exit_pid() and ot_gen_server_call() take it as a local one, and the
 * same Erlang pid always gives the same ot_pid while the node runs. A
 * pid of this node gives its local process (ot_dist_local_pid()).
 * Errors: OT_EINVAL (NULL, no node name), OT_ENOPROC (a pid of this node
 * that no process has), OT_ENOTSTARTED (no node), OT_ENOMEM.
 * From: anywhere; never blocks.
 */
OT_API int ot_dist_otter_pid(const erlang_pid *pid, ot_pid *out);

/*
 * The Erlang pid of any ot_pid, into *out: a local process's
 * (ot_dist_pid()), or the one a remote ot_pid stands for.
 * Errors: those of ot_dist_pid(), and OT_ENOTCONN for a remote pid that
 * an earlier node made (each ot_node_start() begins a new life) or none
 * did (a forged value).
 * From: anywhere; never blocks.
 */
OT_API int ot_dist_erlang_pid(ot_pid pid, erlang_pid *out);

/*
 * erlang:monitor_node(Node, on): on true, the caller gets the message
 * {nodedown, Node} (OT_DIST_TAG) when the connection to node goes,
 * once for each call; the node is connected to first, and one that
 * cannot be reached gives that message at once. on false removes one
 * such monitor of the caller's. This node itself never goes down: a
 * monitor of it does nothing.
 * Errors: OT_EINVAL (node NULL, empty, not alive@host, too long),
 * OT_ENOTSTARTED (no node), OT_ENOMEM. From: process or foreign; may
 * block while it connects.
 */
OT_API int ot_monitor_node(const char *node, bool on);

/*
 * net_kernel:monitor_nodes(on): while on, the caller gets {nodeup, Node}
 * when a first connection to a node is made (either way) and
 * {nodedown, Node} when the last one goes (OT_DIST_TAG messages).
 * Calling it twice is once. Errors: OT_ENOTSTARTED, OT_ENOMEM.
 * From: process or foreign; never blocks.
 */
OT_API int ot_monitor_nodes(bool on);

/* Longest call tag ot_dist_call_parse() keeps: a reference, or OTP 24's
 * [alias|Ref], with a node name of the longest. */
#define OT_DIST_CALL_TAG_MAX 1024

/* Who made a gen_server call from another node, and how to answer it. */
typedef struct ot_dist_from {
	erlang_pid pid;
	size_t tag_size;
	char tag[OT_DIST_CALL_TAG_MAX]; /* the Tag term, as it came */
} ot_dist_from;

/*
 * Parses term (size bytes, an OT_DIST_TAG message's data) as a call,
 * {'$gen_call', {From, Tag}, Request}: *from gets the caller, and
 * *request the offset in term where Request begins (decode it from
 * there with ei). Tag may be a reference or [alias|Ref] (OTP 24+ calls):
 * it is kept as it is.
 * Errors: OT_EINVAL (NULL, or term is not such a call; nothing is
 * stored), OT_ETOOBIG (a tag above OT_DIST_CALL_TAG_MAX bytes).
 * From: anywhere; never blocks.
 */
OT_API int ot_dist_call_parse(const void *term, size_t size, ot_dist_from *from,
			      size_t *request);

/*
 * Answers the call from with the term reply (size bytes, with its
 * version byte): sends {Tag, Reply} to the caller, which gen_server:call
 * returns as Reply.
 * Errors: those of ot_dist_send(), and OT_EINVAL for a from whose tag
 * does not fit. From: process or foreign.
 */
OT_API int ot_dist_reply(const ot_dist_from *from, const void *reply,
			 size_t size);

/*
 * gen_server:call({name, node}, Request): sends {'$gen_call', {Self,
 * Ref}, Request} (Self: the caller's ot_dist_pid(), Ref a new reference;
 * request is size bytes of a term with its version byte) and waits up to
 * timeout_ms (OT_INFINITY: for ever) for the answer {Ref, Reply}. On
 * success *reply gets that message (OT_DIST_TAG; ot_msg_free() it) and
 * *offset where Reply begins in its data (decode from there with ei).
 * Other messages that arrive meanwhile stay in the caller's mailbox, in
 * their order. The call monitors {name, node}, as gen:call does: a name
 * nobody holds there gives OT_ENOPROC at once, a server that dies during
 * the call OT_ESERVERDIED, and no DOWN of it is left in the mailbox; a
 * reply that comes after the timeout stays in the mailbox, as in OTP
 * before aliases.
 * Errors: those of ot_dist_send_name(), OT_ETIMEDOUT, OT_ENOPROC,
 * OT_ESERVERDIED, OT_EINVAL (reply or offset NULL, bad timeout).
 * From: process or foreign; waits like ot_receive().
 */
OT_API int ot_dist_call_name(const char *node, const char *name,
			     const void *request, size_t size, int timeout_ms,
			     ot_msg **reply, size_t *offset);

/* The same to the process to of another node (gen_server:call(Pid, ...)),
 * which the call monitors: also OT_ENOPROC (no such process) and
 * OT_ESERVERDIED (it ended during the call). ot_gen_server_call() on the
 * remote ot_pid of to does this, and gives the server's reason too. */
OT_API int ot_dist_call(const erlang_pid *to, const void *request, size_t size,
			int timeout_ms, ot_msg **reply, size_t *offset);

/*
 * gen_server:cast({name, node}, Request): sends {'$gen_cast', Request}
 * (request: size bytes of a term with its version byte) and returns.
 * Errors: those of ot_dist_send_name(). From: process or foreign.
 */
OT_API int ot_dist_cast_name(const char *node, const char *name,
			     const void *request, size_t size);

/*
 * Parses term (size bytes, an OT_DIST_TAG message's data) as a cast from
 * another node, {'$gen_cast', Request}: *request gets the offset in term
 * where Request begins. Errors: OT_EINVAL (NULL, size 0, or not a cast).
 * From: anywhere; never blocks.
 */
OT_API int ot_dist_cast_parse(const void *term, size_t size, size_t *request);

OT_END_DECLS

#endif /* OTTER_DIST_H */
