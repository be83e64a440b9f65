/* SPDX-License-Identifier: MIT */
/*
 * remote.h — pids of other nodes inside the runtime (remote.c): the
 * functions a distribution library installed (otter/remote.h), and the
 * bodies in signal.c of what it hands back. The runtime's own paths test
 * for a remote pid only where a local one has already failed (its
 * well-formed check, or a lookup), so a program without a node pays
 * nothing for them.
 */
#ifndef OTTER_PROC_REMOTE_H
#define OTTER_PROC_REMOTE_H

#include <otter/remote.h>

/* The installed functions, or NULL (no node runs). */
const ot_remote_ops *ot__remote_ops(void);

/* True for a pid that could name a process of another node: the remote
 * bit, a non-zero index below it and a non-zero high word. */
static inline bool ot__pid_remote_form(ot_pid pid)
{
	return ot_pid_is_remote(pid) && (pid.id >> 32) != 0 &&
	       (pid.id & (OT_PID_REMOTE_BIT - 1)) != 0;
}

/* ot_send() to a pid that is not well formed as a local one: a remote
 * pid goes to the installed send (OT_EREMOTE without one), any other is
 * OT_EINVAL. from is the sender. */
int ot__remote_send_out(ot_pid from, ot_pid to, uint64_t tag, const void *data,
			size_t size);

/* ot_pid_format() of a remote pid: the installed format, or
 * "<?.Index.Generation>". */
int ot__remote_format(ot_pid pid, char *buf, size_t size);

/* ot_send_after() to the remote pid *to: *m gets the message for the
 * installed relay (OT_TAG_REMOTE_TIMER, the header, data) and *to becomes
 * the relay. OT_EREMOTE without one, OT_ENOMEM. */
int ot__remote_timer_msg(ot_pid from, ot_pid *to, uint64_t tag,
			 const void *data, size_t size, struct ot_msg **m);

/* ot_send_name() of "name@node" while a node runs (remote_ties.c): 1
 * when it is no such name, or node is this node's (then *full becomes
 * local, OT_NAME_MAX + 1 bytes, the name part): the caller sends to *full
 * here. */
int ot__send_name_remote(const char **full, char *local, uint64_t tag,
			 const void *data, size_t size);

/* signal.c: the incoming signals (otter/remote.h), past the gate. */
int ot__remote_link_in(ot_pid local, ot_pid remote);
int ot__remote_unlink_in(ot_pid local, ot_pid remote);
int ot__remote_exit_in(ot_pid local, ot_pid remote, const ot_reason *reason,
		       bool link);
int ot__remote_monitor_in(ot_pid local, ot_pid remote, ot_ref *out);
int ot__remote_demonitor_in(ot_pid local, ot_ref ref);
int ot__remote_down_in(ot_pid local, ot_ref ref, ot_pid remote,
		       const ot_reason *reason);
int ot__remote_down_name_in(ot_pid local, ot_ref ref, const char *name,
			    const ot_reason *reason);

#endif /* OTTER_PROC_REMOTE_H */
