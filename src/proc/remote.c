/* SPDX-License-Identifier: MIT */
/*
 * remote.c — pids of other nodes: the table of functions a distribution
 * library installs (otter/remote.h), sends to a remote pid, and the doors
 * through which the library hands back what other nodes send (the
 * bodies of the links, monitors and exits are in signal.c, with the
 * local ones). The runtime knows nothing of nodes: without the table
 * every remote pid gets OT_EREMOTE.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gate.h"
#include "mailbox.h"
#include "name.h"
#include "process.h"
#include "remote.h"
#include "runtime.h"

/* release / acquire: the table's contents are seen whole by whoever
 * loads the pointer. */
static _Atomic(const ot_remote_ops *) installed;

int ot_set_remote_ops(const ot_remote_ops *ops)
{
	atomic_store_explicit(&installed, ops, memory_order_release);
	return 0;
}

const ot_remote_ops *ot__remote_ops(void)
{
	return atomic_load_explicit(&installed, memory_order_acquire);
}

int ot__remote_send_out(ot_pid from, ot_pid to, uint64_t tag, const void *data,
			size_t size)
{
	if (!ot__pid_remote_form(to))
		return OT_EINVAL;
	const ot_remote_ops *ops = ot__remote_ops();
	if (!ops)
		return OT_EREMOTE;
	return ops->send(from, to, tag, data, size);
}

int ot__remote_timer_msg(ot_pid from, ot_pid *to, uint64_t tag,
			 const void *data, size_t size, struct ot_msg **m)
{
	const ot_remote_ops *ops = ot__remote_ops();
	ot_pid relay =
	    ops && ops->timer_relay ? ops->timer_relay() : OT_PID_NONE;
	if (ot_pid_is_none(relay))
		return OT_EREMOTE;
	ot_remote_timer h = {.to = *to, .tag = tag};
	if (size > PTRDIFF_MAX - sizeof h)
		return OT_EINVAL;
	if (!(*m = ot__msg_new(from, OT_TAG_REMOTE_TIMER, sizeof h + size)))
		return OT_ENOMEM;
	char *d = ot__msg_data(*m);
	memcpy(d, &h, sizeof h);
	if (size)
		memcpy(d + sizeof h, data, size);
	*to = relay;
	return 0;
}

/* Called by ot_pid_format() (table.c) for a remote pid. */
int ot__remote_format(ot_pid pid, char *buf, size_t size)
{
	const ot_remote_ops *ops = ot__remote_ops();
	if (ops && ops->format) {
		int n = ops->format(pid, buf, size);
		if (n >= 0)
			return n;
	}
	return snprintf(buf, size, "<?.%u.%u>",
			(unsigned)(pid.id & (OT_PID_REMOTE_BIT - 1)),
			(unsigned)(pid.id >> 32));
}

/* A local pid and a remote one, as every incoming signal takes them. */
static bool pair_ok(ot_pid local, ot_pid remote)
{
	return ot__pid_well_formed(local) && ot__pid_remote_form(remote);
}

int ot_remote_send(ot_pid remote, ot_pid local, uint64_t tag, const void *data,
		   size_t size)
{
	if (!pair_ok(local, remote) || tag >= OT_TAG_SYSTEM)
		return OT_EINVAL;
	int rc = ot__check_payload(data, size);
	if (rc)
		return rc;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	if ((rc = ot__running_check()) == OT_ENOTSTARTED)
		return ot__gate_leave(g, rc);
	struct ot_msg *m = ot__msg_new_copy(remote, tag, data, size, 0);
	if (!m)
		return ot__gate_leave(g, OT_ENOMEM);
	ot__send_msg(local, m);
	return ot__gate_leave(g, 0);
}

int ot_remote_link(ot_pid local, ot_pid remote)
{
	if (!pair_ok(local, remote))
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__remote_link_in(local, remote));
}

int ot_remote_unlink(ot_pid local, ot_pid remote)
{
	if (!pair_ok(local, remote))
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__remote_unlink_in(local, remote));
}

int ot_remote_exit(ot_pid local, ot_pid remote, const ot_reason *reason,
		   bool link)
{
	if (!pair_ok(local, remote) || ot_reason_check(reason) != 0)
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g,
			      ot__remote_exit_in(local, remote, reason, link));
}

int ot_remote_monitor(ot_pid local, ot_pid remote, ot_ref *out)
{
	if (!pair_ok(local, remote) || !out)
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__remote_monitor_in(local, remote, out));
}

int ot_remote_demonitor(ot_pid local, ot_ref ref)
{
	if (!ot__pid_well_formed(local))
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__remote_demonitor_in(local, ref));
}

int ot_remote_down(ot_pid local, ot_ref ref, ot_pid remote,
		   const ot_reason *reason)
{
	if (!pair_ok(local, remote) || ot_reason_check(reason) != 0)
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g,
			      ot__remote_down_in(local, ref, remote, reason));
}

int ot_remote_down_name(ot_pid local, ot_ref ref, const char *name,
			const ot_reason *reason)
{
	if (!ot__pid_well_formed(local) || ot__name_check(name) != 0 ||
	    ot_reason_check(reason) != 0)
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(
	    g, ot__remote_down_name_in(local, ref, name, reason));
}
