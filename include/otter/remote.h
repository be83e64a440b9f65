/* SPDX-License-Identifier: MIT */
/*
 * otter/remote.h — what a distribution library (libotter-dist) plugs into
 * the process runtime so that pids of other nodes work like local ones.
 * A program does not call these; it uses ot_send(), ot_link(),
 * ot_monitor() ... on a remote pid (otter/base.h, OT_PID_REMOTE_BIT).
 *
 * The runtime knows nothing of nodes. What it does with a remote pid it
 * hands to the functions installed with ot_set_remote_ops() (outgoing:
 * a send, a link, a monitor, an exit signal; and, when a local process
 * ends, the EXIT of each remote link and the DOWN of each remote monitor
 * on it). What comes from other nodes the library hands back through the
 * ot_remote_* functions below (incoming), which keep Erlang's rules
 * exactly as for local signals: a link's EXIT kills a process that does
 * not trap exits unless the reason is normal, a DOWN arrives once and
 * only for a monitor still held, an unlink drops an EXIT not acted on.
 *
 * A remote pid keeps its place in the link and monitor sets of local
 * processes (ot_process_links() lists it), so the runtime remembers
 * who is tied to whom; the library remembers which ties cross each
 * connection, to fire them with noconnection when it drops.
 */
#ifndef OTTER_REMOTE_H
#define OTTER_REMOTE_H

#include <otter/proc.h>

OT_BEGIN_DECLS

/* The reason of a tie broken because the connection to the node dropped
 * (Erlang's noconnection): {error,OT_ENOTCONN,"noconnection"}. */
#define OT_NOCONNECTION_TEXT "noconnection"
static inline ot_reason ot_reason_noconnection(void)
{
	return ot_reason_error(OT_ENOTCONN, OT_NOCONNECTION_TEXT);
}

/*
 * The outgoing half, called by the runtime with a pid of another node.
 * None may wait for a process (they may block the thread a bounded time
 * on a socket); exit and down may run on a scheduler thread outside any
 * process (a local process ended): they must not call otter functions
 * that attach a thread (ot_self(), a send from a foreign thread).
 *   send       to ! {tag, data}: from is the sender (OT_PID_NONE: none).
 *   exit       an exit signal from the local from to the remote to: link
 *              true for the EXIT of a link as from ended (the link is
 *              gone from from's side), false for ot_exit_pid().
 *   link       from linked itself to to (the link is in from's set).
 *              An error (OT_ENOTCONN: the node cannot be reached) undoes
 *              it; the runtime then treats to as a process that is gone,
 *              with reason noconnection.
 *   unlink     from removed its link to to.
 *   monitor    watcher monitors to under ref. An error: watcher gets a
 *              DOWN with noconnection at once.
 *   demonitor  watcher turns monitor ref off (or ended): true when it was
 *              still active; false when its DOWN was already on its way
 *              (the library delivers it through ot_remote_down()).
 *   down       the local target ended with reason, and the remote
 *              watcher held monitor ref on it.
 *   format     prints the pid (ot_pid_format()); a count like snprintf.
 *   monitor_name  watcher monitors {name, node} under ref (Erlang's
 *              monitor(process, {Name, Node})); its DOWN comes back
 *              through ot_remote_down_name(), its end through demonitor
 *              (with a `to` that is no pid of any node). 1: node is this
 *              node's own (the runtime monitors name here); an error:
 *              watcher gets a DOWN with noconnection at once.
 *   send_name  {name, node} ! {tag, data} (as send; 1: node is this
 *              node's own, the runtime sends to name here).
 *   timer_relay  a local process of the library that forwards the
 *              timers to remote pids (ot_send_after()): such a timer is
 *              a timer to it, so ot_cancel_timer() works as for any, and
 *              fires as a message tagged OT_TAG_REMOTE_TIMER whose data
 *              is an ot_remote_timer header and then the message's own,
 *              from the timer's sender; the relay sends it on. The timer
 *              does not end with the remote process (as
 *              timer:send_after/3's to a remote pid), only with the
 *              relay.
 *              OT_PID_NONE: none (such timers are then OT_EREMOTE).
 * The last three may be NULL (names with a node are then local names,
 * timers to remote pids OT_EREMOTE).
 */
typedef struct ot_remote_ops {
	int (*send)(ot_pid from, ot_pid to, uint64_t tag, const void *data,
		    size_t size);
	int (*exit)(ot_pid from, ot_pid to, const ot_reason *reason, bool link);
	int (*link)(ot_pid from, ot_pid to);
	int (*unlink)(ot_pid from, ot_pid to);
	int (*monitor)(ot_pid watcher, ot_pid to, ot_ref ref);
	bool (*demonitor)(ot_pid watcher, ot_pid to, ot_ref ref);
	void (*down)(ot_pid target, ot_pid watcher, ot_ref ref,
		     const ot_reason *reason);
	int (*format)(ot_pid pid, char *buf, size_t size);
	int (*monitor_name)(ot_pid watcher, const char *name, const char *node,
			    ot_ref ref);
	int (*send_name)(ot_pid from, const char *name, const char *node,
			 uint64_t tag, const void *data, size_t size);
	ot_pid (*timer_relay)(void);
} ot_remote_ops;

/* What a timer to a remote pid delivers to the relay (timer_relay): the
 * tag, then this header and size - sizeof(ot_remote_timer) bytes of the
 * message. */
#define OT_TAG_REMOTE_TIMER (OT_TAG_SYSTEM + 3)
typedef struct ot_remote_timer {
	ot_pid to;    /* the remote destination */
	uint64_t tag; /* the message's tag */
} ot_remote_timer;

/*
 * Installs ops (NULL removes them: remote pids then get OT_EREMOTE). ops
 * must stay valid for the life of the program (a call may still be
 * running through the old table as it is replaced). Returns 0.
 * From: anywhere; never blocks.
 */
OT_API int ot_set_remote_ops(const ot_remote_ops *ops);

/*
 * The incoming half, called by the distribution library. local is a pid
 * of this runtime, remote one of another node (else OT_EINVAL).
 *   ot_remote_send     remote ! {tag, data} to local: ot_msg_from() of
 *                      the message is remote. As ot_send() (tag below
 *                      OT_TAG_SYSTEM; a dead local is no error).
 *   ot_remote_link     remote linked itself to local: OT_ENOPROC when
 *                      local is not alive (answer it with noproc).
 *   ot_remote_unlink   remote removed its link to local.
 *   ot_remote_exit     an exit signal from remote to local: link true for
 *                      the EXIT of their link (ignored when local holds no
 *                      link to remote), false for exit/2. The reason's
 *                      payload is copied.
 *   ot_remote_monitor  remote monitors local: *out gets the reference the
 *                      runtime hands back to down() when local ends;
 *                      OT_ENOPROC when local is not alive.
 *   ot_remote_demonitor  remote turned that monitor off.
 *   ot_remote_down     remote, which local monitors under ref, ended with
 *                      reason: local gets its DOWN (if it still holds
 *                      the monitor). The payload is copied.
 *   ot_remote_down_name  the same for a monitor by name (monitor_name):
 *                      the DOWN's name is name ("name@node", at most
 *                      OT_NAME_MAX bytes), its pid OT_PID_NONE.
 * Errors: OT_EINVAL (pids of the wrong kind, NULL, a malformed reason),
 * OT_ENOPROC as said, OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign; never blocks.
 */
OT_API int ot_remote_send(ot_pid remote, ot_pid local, uint64_t tag,
			  const void *data, size_t size);
OT_API int ot_remote_link(ot_pid local, ot_pid remote);
OT_API int ot_remote_unlink(ot_pid local, ot_pid remote);
OT_API int ot_remote_exit(ot_pid local, ot_pid remote, const ot_reason *reason,
			  bool link);
OT_API int ot_remote_monitor(ot_pid local, ot_pid remote, ot_ref *out);
OT_API int ot_remote_demonitor(ot_pid local, ot_ref ref);
OT_API int ot_remote_down(ot_pid local, ot_ref ref, ot_pid remote,
			  const ot_reason *reason);
OT_API int ot_remote_down_name(ot_pid local, ot_ref ref, const char *name,
			       const ot_reason *reason);

OT_END_DECLS

#endif /* OTTER_REMOTE_H */
