/* SPDX-License-Identifier: MIT */
/*
 * remote_ties.c — links and monitors with processes of other nodes
 * (otter/remote.h): a remote peer's link record and a remote watcher's
 * monitor record live in the local process's sets as local ones do (see
 * signal.c); what crosses to the other node goes through the functions
 * libotter-dist installs, what comes back through the ot__remote_*_in
 * functions here.
 */
#include "config.h"

#include <string.h>

#include "gate.h"
#include "lock.h"
#include "mailbox.h"
#include "process.h"
#include "remote.h"
#include "runtime.h"
#include "scheduler.h"
#include "signals.h"
#include "ties.h"

/* Under p's lock: takes p's link to peer out of its set, and the EXIT of
 * it that p has not acted on yet out of its inbox (as ot_unlink() does),
 * into *dropped; the caller frees both once unlocked. */
static struct ot__link *unlink_locked(struct ot__proc *p, uint64_t peer,
				      struct ot_msg **dropped)
{
	struct ot__link *l = links_find(&p->links, peer);
	*dropped = NULL;
	if (l) {
		links_remove(&p->links, l);
		if ((*dropped = l->exit))
			ot__inbox_remove_signal_locked(p, *dropped);
	}
	return l;
}

/* ot_link() of a remote pid: the record first (an EXIT that comes back
 * at once finds it), then the other node is told. */
int ot__link_remote(ot_pid pid)
{
	if (!ot__pid_remote_form(pid))
		return OT_EINVAL;
	const ot_remote_ops *ops = ot__remote_ops();
	if (!ops)
		return OT_EREMOTE;
	int rc = ot__running_check();
	if (rc)
		return rc;
	struct ot__proc *self = ot__caller();
	if (!self)
		return OT_ENOMEM;
	struct ot__link *l = ot__small_alloc();
	if (!l)
		return OT_ENOMEM;
	l->peer = pid.id;
	l->exit = NULL;
	ot__spin_lock(&self->lock);
	bool added = !links_find(&self->links, l->peer);
	if (added)
		links_add(&self->links, l);
	ot__spin_unlock(&self->lock);
	if (!added) {
		ot__small_free(l);
		return 0; /* linking twice is one link */
	}
	if ((rc = ops->link(ot__pid_of(self), pid)) == 0)
		return 0;
	/* The node cannot be reached: no link, and the caller learns it as
	 * of a process that is gone (Erlang: noconnection). */
	struct ot_msg *dropped;
	ot__spin_lock(&self->lock);
	l = unlink_locked(self, pid.id, &dropped);
	ot__spin_unlock(&self->lock);
	ot__small_free(l);
	ot_msg_free(dropped);
	if (self->trap_exit || self->foreign) {
		ot_reason nc = ot_reason_noconnection();
		struct ot_msg *m = ot__exit_msg(OT__M_MSG, pid, &nc);
		if (!m)
			return OT_ENOMEM;
		ot__deliver(ot__pid_of(self), m);
		return 0;
	}
	return rc == OT_ENOMEM ? rc : OT_ENOTCONN;
}

/* ot_monitor() (or ot_monitor_alias()) of a remote pid, or (name not
 * NULL) ot_monitor_name() of {name, node}: the watch record (and the
 * alias), then the other node is told; one that cannot be reached gives a
 * DOWN with noconnection. 1: node is this node's (nothing was done). */
static int watch_remote(struct ot__proc *self, ot_pid pid, int alias_mode,
			const char *full, const char *name, const char *node,
			ot_ref *out)
{
	const ot_remote_ops *ops = ot__remote_ops();
	if (!ops)
		return OT_EREMOTE;
	struct ot__watch *w = ot__small_alloc();
	if (!w)
		return OT_ENOMEM;
	memset(w, 0, sizeof *w);
	ot_ref ref = {ot__unique_id()};
	w->ref = ref.id;
	w->target = pid;
	w->alias_mode = (uint8_t)alias_mode;
	if (alias_mode && ot__alias_add(self, ref.id, alias_mode) != 0) {
		ot__small_free(w);
		return OT_ENOMEM;
	}
	RB_INSERT(ot__watches, &self->watching, w);
	*out = ref;
	int rc = name ? ops->monitor_name(ot__pid_of(self), name, node, ref)
		      : ops->monitor(ot__pid_of(self), pid, ref);
	if (rc == 0)
		return 0;
	RB_REMOVE(ot__watches, &self->watching, w);
	ot__small_free(w);
	if (alias_mode && alias_mode != OT_ALIAS_EXPLICIT_UNALIAS)
		ot__alias_remove(self, ref.id);
	if (rc == 1)
		return 1;
	ot_reason nc = ot_reason_noconnection();
	struct ot_msg *m =
	    ot__down_msg(OT__M_MSG, ref, name ? OT_PID_NONE : pid, full, &nc);
	if (!m)
		return OT_ENOMEM;
	ot__deliver(ot__pid_of(self), m);
	return 0;
}

int ot__monitor_remote(struct ot__proc *self, ot_pid pid, int alias_mode,
		       ot_ref *out)
{
	return watch_remote(self, pid, alias_mode, NULL, NULL, NULL, out);
}

/* Splits "name@alive@host" into name (into buf) and the node after the
 * first '@'; NULL when full is no such name. */
static const char *split_node(const char *full, char *buf, size_t size)
{
	const char *at = strchr(full, '@');
	if (!at || at == full || !strchr(at + 1, '@') ||
	    (size_t)(at - full) >= size)
		return NULL;
	memcpy(buf, full, (size_t)(at - full));
	buf[at - full] = '\0';
	return at + 1;
}

int ot__monitor_name_remote(struct ot__proc *self, const char **full,
			    char *local, ot_ref *out)
{
	const ot_remote_ops *ops = ot__remote_ops();
	const char *node = split_node(*full, local, OT_NAME_MAX + 1);
	if (!ops || !ops->monitor_name || !node)
		return 1;
	/* No pid of any node: the demonitor finds it by its ref. */
	int rc = watch_remote(self, (ot_pid){OT_PID_REMOTE_BIT}, 0, *full,
			      local, node, out);
	if (rc == 1)
		*full = local; /* {Name, node()}: Name */
	return rc;
}

int ot__send_name_remote(const char **full, char *local, uint64_t tag,
			 const void *data, size_t size)
{
	const ot_remote_ops *ops = ot__remote_ops();
	const char *node = split_node(*full, local, OT_NAME_MAX + 1);
	if (!ops || !ops->send_name || !node)
		return 1;
	struct ot__proc *self = ot__current();
	int rc = ops->send_name(self ? ot__pid_of(self) : OT_PID_NONE, local,
				node, tag, data, size);
	if (rc == 1)
		*full = local;
	return rc;
}

int ot__remote_link_in(ot_pid local, ot_pid remote)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__link *l = ot__small_alloc();
	if (!l)
		return OT_ENOMEM;
	l->peer = remote.id;
	l->exit = NULL;
	struct ot__proc *p = ot__table_lookup(local);
	if (!p || !ot__proc_lock_alive(p, local)) {
		ot__small_free(l);
		return OT_ENOPROC;
	}
	if (!links_find(&p->links, l->peer)) {
		links_add(&p->links, l);
		l = NULL;
	}
	ot__spin_unlock(&p->lock);
	ot__small_free(l);
	return 0;
}

int ot__remote_unlink_in(ot_pid local, ot_pid remote)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *p = ot__table_lookup(local);
	if (!p || !ot__proc_lock_alive(p, local))
		return 0;
	struct ot_msg *dropped;
	struct ot__link *l = unlink_locked(p, remote.id, &dropped);
	ot__spin_unlock(&p->lock);
	ot__small_free(l);
	ot_msg_free(dropped);
	return 0;
}

int ot__remote_exit_in(ot_pid local, ot_pid remote, const ot_reason *reason,
		       bool link)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot_msg *m = ot__exit_msg(
	    link ? OT__M_EXIT_LINK : OT__M_EXIT_SIGNAL, remote, reason);
	if (!m)
		return OT_ENOMEM;
	if (link)
		ot__exit_to_peer(local, remote, m);
	else
		ot__deliver(local, m);
	return 0;
}

int ot__remote_monitor_in(ot_pid local, ot_pid remote, ot_ref *out)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__mon *mon = ot__block_alloc();
	if (!mon)
		return OT_ENOMEM;
	memset(mon, 0, sizeof *mon);
	mon->ref = ot__unique_id();
	mon->watcher = remote;
	struct ot__proc *p = ot__table_lookup(local);
	if (!p || !ot__proc_lock_alive(p, local)) {
		ot__block_free(mon);
		return OT_ENOPROC;
	}
	RB_INSERT(ot__mons, &p->monitors, mon);
	ot__spin_unlock(&p->lock);
	*out = (ot_ref){mon->ref};
	return 0;
}

int ot__remote_demonitor_in(ot_pid local, ot_ref ref)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	ot__unmonitor(OT_PID_NONE, local, ref.id);
	return 0;
}

int ot__remote_down_in(ot_pid local, ot_ref ref, ot_pid remote,
		       const ot_reason *reason)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot_msg *m = ot__down_msg(OT__M_DOWN, ref, remote, NULL, reason);
	if (!m)
		return OT_ENOMEM;
	ot__deliver(local, m);
	return 0;
}

int ot__remote_down_name_in(ot_pid local, ot_ref ref, const char *name,
			    const ot_reason *reason)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot_msg *m =
	    ot__down_msg(OT__M_DOWN, ref, OT_PID_NONE, name, reason);
	if (!m)
		return OT_ENOMEM;
	ot__deliver(local, m);
	return 0;
}
