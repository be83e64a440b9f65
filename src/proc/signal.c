/* SPDX-License-Identifier: MIT */
/*
 * signal.c — links, monitors and exit signals, with Erlang's rules.
 *
 * Links and monitors are set up under the locks of the processes involved,
 * so they are atomic: linking a process that is alive links it, and when
 * it ends it finds the link; linking one that has ended fails at once. The
 * link set of a process (and the set of monitors on it) is guarded by its
 * lock because the peer changes it too; the monitors a process holds are
 * its own business (`watching`).
 *
 * A process that ends (ot__proc_finish in lifecycle.c, on its scheduler's
 * stack) takes its sets under its lock as it is marked dead
 * (ot__ties_take_locked), releases its name, and then sends
 * (ot__ties_signal_end): an EXIT signal to each peer it could still unlink
 * itself from, a DOWN signal to each monitor. Signals travel through the
 * receiver's inbox like messages, so they stay behind everything the dead
 * process sent before; the receiver acts on them when it takes its inbox
 * (ot__signal_apply): dies, or turns them into EXIT / DOWN messages.
 *
 * A monitor may have an alias (ot_monitor_alias(), OTP 24's {alias, Mode}):
 * its reference is an alias of the watcher too. With demonitor and
 * reply_demonitor the alias ends with the monitor (ot_demonitor(), or its
 * DOWN taken); with reply_demonitor the first message through the alias
 * ends both as it is received (ot__monitor_end, from alias.c), and a DOWN
 * taken after that reply was delivered is dropped: no DOWN follows a
 * reply.
 */
#include "config.h"

#include <bsd/string.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "gate.h"
#include "lifecycle.h"
#include "lock.h"
#include "mailbox.h"
#include "name.h"
#include "process.h"
#include "remote.h"
#include "runtime.h"
#include "scheduler.h"
#include "signals.h"
#include "ties.h"

/* ---------------------------------------------------------------------
 * Building and sending signals
 */
/* A message whose payload is head (head_size bytes, an ot_reason at
 * reason_at in it) followed by that reason's payload; the copy's reason
 * points at the copy's payload, which stays where it is until the message
 * is freed. NULL when out of memory. */
static struct ot_msg *reason_msg(ot_pid from, uint64_t tag, const void *head,
				 size_t head_size, size_t reason_at)
{
	/* head is an ot_exit_info or ot_down_info: its reason is aligned. */
	const ot_reason *r =
	    (const ot_reason *)((const char *)head + reason_at);
	size_t size;
	if (__builtin_add_overflow(head_size, r->data_size, &size))
		return NULL;
	struct ot_msg *m = ot__msg_new(from, tag, size);
	if (!m)
		return NULL;
	unsigned char *bytes = ot__msg_data(m);
	memcpy(bytes, head, head_size);
	/* Only the payload pointer changes: to the copy after the head. */
	const void *data = NULL;
	if (r->data_size) {
		memcpy(bytes + head_size, r->data, r->data_size);
		data = bytes + head_size;
	}
	memcpy(bytes + reason_at + offsetof(ot_reason, data), &data,
	       sizeof data);
	return m;
}

/* The reason in m (an EXIT or DOWN built by reason_msg) is whole: its
 * payload is the rest of the message. */
static bool reason_fits(const ot_msg *m, size_t head_size, const ot_reason *r)
{
	return m->size >= head_size && m->size - head_size == r->data_size &&
	       (!r->data_size ||
		r->data == (const unsigned char *)ot__msg_data(m) + head_size);
}

struct ot_msg *ot__exit_msg(enum ot__mkind kind, ot_pid from,
			    const ot_reason *reason)
{
	ot_exit_info info = {.from = from, .reason = *reason};
	struct ot_msg *m = reason_msg(from, OT_TAG_EXIT, &info, sizeof info,
				      offsetof(ot_exit_info, reason));
	if (m)
		m->kind = (uint8_t)kind;
	return m;
}

struct ot_msg *ot__down_msg(enum ot__mkind kind, ot_ref ref, ot_pid pid,
			    const char *name, const ot_reason *reason)
{
	ot_down_info info;
	memset(&info, 0, sizeof info);
	info.ref = ref;
	info.pid = pid;
	if (name)
		strlcpy(info.name, name, sizeof info.name);
	info.reason = *reason;
	struct ot_msg *m = reason_msg(pid, OT_TAG_DOWN, &info, sizeof info,
				      offsetof(ot_down_info, reason));
	if (m)
		m->kind = (uint8_t)kind;
	return m;
}

const ot_exit_info *ot_msg_exit(const ot_msg *m)
{
	if (!m || m->kind != OT__M_MSG || m->tag != OT_TAG_EXIT ||
	    m->size < sizeof(ot_exit_info) ||
	    !reason_fits(m, sizeof(ot_exit_info),
			 &((const ot_exit_info *)ot__msg_data(m))->reason))
		return NULL;
	return ot__msg_data(m);
}

const ot_down_info *ot_msg_down(const ot_msg *m)
{
	if (!m || m->kind != OT__M_MSG || m->tag != OT_TAG_DOWN ||
	    m->size < sizeof(ot_down_info) ||
	    !reason_fits(m, sizeof(ot_down_info),
			 &((const ot_down_info *)ot__msg_data(m))->reason))
		return NULL;
	return ot__msg_data(m);
}

/* ---------------------------------------------------------------------
 * The receiving side
 */
/* p takes the EXIT signal m of a link: the link's record goes with it. */
static void link_exit_taken(struct ot__proc *p, const struct ot_msg *m)
{
	const ot_exit_info *info = ot__msg_data(m);
	ot__spin_lock(&p->lock);
	struct ot__link *l = links_find(&p->links, info->from.id);
	if (l && l->exit == m)
		links_remove(&p->links, l);
	else
		l = NULL;
	ot__spin_unlock(&p->lock);
	ot__small_free(l);
}

bool ot__signal_apply(struct ot__proc *p, struct ot_msg *m, bool *die)
{
	bool traps = p->trap_exit || p->foreign;
	switch (m->kind) {
	case OT__M_EXIT_SIGNAL:
	case OT__M_EXIT_LINK: {
		const ot_exit_info *info = ot__msg_data(m);
		if (m->kind == OT__M_EXIT_LINK)
			link_exit_taken(p, m);
		bool from_self = ot_pid_equal(info->from, ot__pid_of(p));
		if (m->kind == OT__M_EXIT_SIGNAL &&
		    info->reason.kind == OT_REASON_KILL && !p->foreign) {
			/* exit(Pid, kill): untrappable, becomes killed. */
			p->exit_reason = ot__reason(OT_REASON_KILLED);
			*die = true;
			break;
		}
		if (traps) {
			m->kind = OT__M_MSG;
			return true;
		}
		if (info->reason.kind == OT_REASON_NORMAL &&
		    !(m->kind == OT__M_EXIT_SIGNAL && from_self))
			break; /* normal does not kill (but exit(self, normal))
				*/
		/* Its payload lives in m, which p keeps. */
		p->exit_reason = info->reason;
		ot__proc_hold_reason(p, m);
		*die = true;
		return false;
	}
	case OT__M_DOWN: {
		/* Only for a monitor still held: demonitor drops a DOWN that
		 * had not been taken yet. */
		const ot_down_info *info = ot__msg_data(m);
		struct ot__watch key = {.ref = info->ref.id};
		struct ot__watch *w = RB_FIND(ot__watches, &p->watching, &key);
		if (!w)
			break;
		RB_REMOVE(ot__watches, &p->watching, w);
		uint8_t mode = w->alias_mode;
		ot__small_free(w);
		if (mode == OT_ALIAS_REPLY_DEMONITOR &&
		    ot__alias_replied(p, info->ref.id))
			break; /* its reply came first: that ended it */
		if (mode == OT_ALIAS_DEMONITOR ||
		    mode == OT_ALIAS_REPLY_DEMONITOR)
			ot__alias_remove(p, info->ref.id);
		m->kind = OT__M_MSG;
		return true;
	}
	default:
		OT__ASSERT(!"not a signal");
	}
	ot_msg_free(m);
	return false;
}

/* ---------------------------------------------------------------------
 * Ending: what a dead process sends
 */
/* Puts the EXIT signal m in peer's inbox if peer's link to `self` is still
 * there, and notes it in the link's record, under the same lock: an unlink
 * by the peer comes entirely before (no signal) or after (it takes the
 * signal back out, found through the record). m is consumed. */
void ot__exit_to_peer(ot_pid peer, ot_pid self, struct ot_msg *m)
{
	struct ot__proc *q = ot__table_lookup(peer);
	if (!q || !ot__proc_lock_alive(q, peer)) {
		ot_msg_free(m);
		return;
	}
	struct ot__link *l = links_find(&q->links, self.id);
	bool wake = false;
	if (l && !l->exit) {
		l->exit = m;
		wake = ot__enqueue_locked(q, m);
	} else {
		l = NULL;
	}
	ot__spin_unlock(&q->lock);
	if (wake)
		ot__ready(q);
	if (!l)
		ot_msg_free(m);
}

/* Removes monitor ref from target's set; true if it was there. A remote
 * target's is the installed demonitor's to remove (watcher's monitor). */
bool ot__unmonitor(ot_pid watcher, ot_pid target, uint64_t ref)
{
	struct ot__proc *q = ot__table_lookup(target);
	if (!q || !ot__proc_lock_alive(q, target)) {
		if (OT__UNLIKELY(ot_pid_is_remote(target))) {
			const ot_remote_ops *ops = ot__remote_ops();
			return ops &&
			       ops->demonitor(watcher, target, (ot_ref){ref});
		}
		return false;
	}
	struct ot__mon key = {.ref = ref};
	struct ot__mon *mon = RB_FIND(ot__mons, &q->monitors, &key);
	if (mon)
		RB_REMOVE(ot__mons, &q->monitors, mon);
	ot__spin_unlock(&q->lock);
	ot__block_free(mon);
	return mon != NULL;
}

void ot__ties_take_locked(struct ot__proc *p, struct ot__ties *t)
{
	t->links = p->links;
	t->monitors = p->monitors;
	p->links.list = NULL;
	RB_INIT(&p->monitors);
}

void ot__ties_signal_end(struct ot__proc *p, struct ot__ties *t)
{
	ot_pid self = ot__pid_of(p);
	struct ot__link *l, *next;
	for (l = links_take_all(&t->links); l; l = next) {
		next = l->next;
		ot_pid peer = {l->peer};
		ot__small_free(l);
		if (OT__UNLIKELY(ot_pid_is_remote(peer))) {
			const ot_remote_ops *ops = ot__remote_ops();
			if (ops)
				ops->exit(self, peer, &p->exit_reason, true);
			continue;
		}
		/* Out of memory while a process dies: its peers must still
		 * learn of it (a lost signal is a supervisor never told). */
		struct ot_msg *m;
		while (
		    !(m = ot__exit_msg(OT__M_EXIT_LINK, self, &p->exit_reason)))
			sched_yield();
		ot__exit_to_peer(peer, self, m);
	}
	struct ot__mon *mon;
	while ((mon = RB_MIN(ot__mons, &t->monitors))) {
		RB_REMOVE(ot__mons, &t->monitors, mon);
		if (OT__UNLIKELY(ot_pid_is_remote(mon->watcher))) {
			const ot_remote_ops *ops = ot__remote_ops();
			if (ops)
				ops->down(self, mon->watcher,
					  (ot_ref){mon->ref}, &p->exit_reason);
			ot__block_free(mon);
			continue;
		}
		struct ot_msg *m;
		while (!(m = ot__down_msg(OT__M_DOWN, (ot_ref){mon->ref}, self,
					  mon->name[0] ? mon->name : NULL,
					  &p->exit_reason)))
			sched_yield();
		ot__deliver(mon->watcher, m);
		ot__block_free(mon);
	}
	struct ot__watch *w;
	while ((w = RB_MIN(ot__watches, &p->watching))) {
		RB_REMOVE(ot__watches, &p->watching, w);
		ot__unmonitor(self, w->target, w->ref);
		ot__small_free(w);
	}
}

/* ---------------------------------------------------------------------
 * The API
 */

/* Locks a and b in address order (one lock when they are the same). */
static void lock_pair(struct ot__proc *a, struct ot__proc *b)
{
	if (a < b) {
		ot__spin_lock(&a->lock);
		ot__spin_lock(&b->lock);
	} else {
		ot__spin_lock(&b->lock);
		ot__spin_lock(&a->lock);
	}
}

static void unlock_pair(struct ot__proc *a, struct ot__proc *b)
{
	ot__spin_unlock(&a->lock);
	ot__spin_unlock(&b->lock);
}

static bool alive_locked(struct ot__proc *p, ot_pid pid)
{
	return atomic_load_explicit(&p->pid_id, memory_order_relaxed) ==
		   pid.id &&
	       atomic_load_explicit(&p->state, memory_order_relaxed) !=
		   OT__P_DEAD;
}

/* Links self and other (both locked, both alive); la/lb are spare nodes,
 * consumed when used. fresh: other is a child being spawned, linked to
 * nobody yet, so neither side has the link already. */
static void link_locked(struct ot__proc *self, struct ot__proc *other,
			struct ot__link **la, struct ot__link **lb, bool fresh)
{
	(*la)->peer =
	    atomic_load_explicit(&other->pid_id, memory_order_relaxed);
	(*la)->exit = (*lb)->exit = NULL;
	if (fresh || !links_find(&self->links, (*la)->peer)) {
		links_add(&self->links, *la);
		*la = NULL;
	}
	(*lb)->peer = atomic_load_explicit(&self->pid_id, memory_order_relaxed);
	if (fresh || !links_find(&other->links, (*lb)->peer)) {
		links_add(&other->links, *lb);
		*lb = NULL;
	}
}

int ot__link(ot_pid pid)
{
	if (OT__UNLIKELY(!ot__pid_well_formed(pid)))
		return ot__link_remote(pid);
	int rc = ot__running_check();
	if (rc)
		return rc;
	struct ot__proc *self = ot__caller();
	if (!self)
		return OT_ENOMEM;
	if (ot_pid_equal(pid, ot__pid_of(self)))
		return 0; /* linking oneself does nothing */
	struct ot__link *la = ot__small_alloc(), *lb = ot__small_alloc();
	if (!la || !lb) {
		ot__small_free(la);
		ot__small_free(lb);
		return OT_ENOMEM;
	}
	struct ot__proc *other = ot__table_lookup(pid);
	bool linked = false;
	if (other) {
		lock_pair(self, other);
		if ((linked = alive_locked(other, pid)))
			link_locked(self, other, &la, &lb, false);
		unlock_pair(self, other);
	}
	ot__small_free(la);
	ot__small_free(lb);
	if (linked)
		return 0;
	/* Not alive: a trapping caller learns it the Erlang way. */
	if (self->trap_exit || self->foreign) {
		ot_reason noproc = ot__reason(OT_REASON_NOPROC);
		struct ot_msg *m = ot__exit_msg(OT__M_MSG, pid, &noproc);
		if (!m)
			return OT_ENOMEM;
		ot__deliver(ot__pid_of(self), m);
		return 0;
	}
	return OT_ENOPROC;
}

int ot__unlink(ot_pid pid)
{
	bool remote = OT__UNLIKELY(!ot__pid_well_formed(pid));
	if (remote && !ot__pid_remote_form(pid))
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *self = ot__current();
	if (!self || ot_pid_equal(pid, ot__pid_of(self)))
		return 0; /* an unattached thread has no links */
	struct ot__link *mine, *theirs = NULL;
	struct ot__proc *other = ot__table_lookup(pid);
	if (other) {
		lock_pair(self, other);
	} else {
		ot__spin_lock(&self->lock);
	}
	if ((mine = links_find(&self->links, pid.id)))
		links_remove(&self->links, mine);
	/* Erlang: once unlink returns, the link has no effect on the caller.
	 * An exit signal from pid that has arrived but not been acted on yet
	 * goes (an EXIT message already taken stays): it is still in the
	 * inbox, and its link's record points at it. */
	struct ot_msg *dropped = mine ? mine->exit : NULL;
	if (dropped)
		ot__inbox_remove_signal_locked(self, dropped);
	if (other && alive_locked(other, pid)) {
		uint64_t me =
		    atomic_load_explicit(&self->pid_id, memory_order_relaxed);
		if ((theirs = links_find(&other->links, me)))
			links_remove(&other->links, theirs);
	}
	if (other)
		unlock_pair(self, other);
	else
		ot__spin_unlock(&self->lock);
	ot__small_free(mine);
	ot__small_free(theirs);
	ot_msg_free(dropped);
	if (remote && mine) {
		const ot_remote_ops *ops = ot__remote_ops();
		if (ops)
			ops->unlink(ot__pid_of(self), pid);
	}
	return 0;
}

int ot__link_new_child(struct ot__proc *self, struct ot__proc *child)
{
	struct ot__link *la = ot__small_alloc(), *lb = ot__small_alloc();
	if (!la || !lb) {
		ot__small_free(la);
		ot__small_free(lb);
		return OT_ENOMEM;
	}
	lock_pair(self, child);
	link_locked(self, child, &la, &lb, true);
	unlock_pair(self, child);
	ot__small_free(la);
	ot__small_free(lb);
	return 0;
}

/* Monitors target (pid, or the process registered as name) for self; with
 * an alias mode (not 0) its reference is an alias of self's too. */
static int monitor(struct ot__proc *self, ot_pid pid, struct ot__proc *target,
		   const char *name, int alias_mode, ot_ref *out)
{
	struct ot__mon *mon = ot__block_alloc();
	struct ot__watch *w = ot__small_alloc();
	if (mon)
		memset(mon, 0, sizeof *mon);
	if (w)
		memset(w, 0, sizeof *w);
	if (!mon || !w) {
		ot__block_free(mon);
		ot__small_free(w);
		return OT_ENOMEM;
	}
	ot_ref ref = {ot__unique_id()};
	mon->ref = w->ref = ref.id;
	w->alias_mode = (uint8_t)alias_mode;
	/* The alias first: a reply may come as soon as the monitor is on.
	 * Without the monitor (the target is gone) only an explicit one is
	 * kept: the others end with the DOWN, which comes at once. */
	if (alias_mode && ot__alias_add(self, ref.id, alias_mode) != 0) {
		ot__block_free(mon);
		ot__small_free(w);
		return OT_ENOMEM;
	}
	mon->watcher = ot__pid_of(self);
	if (name)
		strlcpy(mon->name, name, sizeof mon->name);
	w->target = pid;
	bool on = false;
	if (target && ot__proc_lock_alive(target, pid)) {
		RB_INSERT(ot__mons, &target->monitors, mon);
		ot__spin_unlock(&target->lock);
		on = true;
	}
	*out = ref;
	if (on) {
		RB_INSERT(ot__watches, &self->watching, w);
		return 0;
	}
	ot__block_free(mon);
	ot__small_free(w);
	if (alias_mode && alias_mode != OT_ALIAS_EXPLICIT_UNALIAS)
		ot__alias_remove(self, ref.id);
	/* Never alive (or gone): DOWN with noproc, at once. */
	ot_reason noproc = ot__reason(OT_REASON_NOPROC);
	struct ot_msg *m = ot__down_msg(OT__M_MSG, ref, pid, name, &noproc);
	if (!m)
		return OT_ENOMEM;
	ot__deliver(ot__pid_of(self), m);
	return 0;
}

void ot__monitor_end(struct ot__proc *self, uint64_t ref)
{
	struct ot__watch key = {.ref = ref};
	struct ot__watch *w = RB_FIND(ot__watches, &self->watching, &key);
	if (!w)
		return;
	RB_REMOVE(ot__watches, &self->watching, w);
	ot__unmonitor(ot__pid_of(self), w->target, w->ref);
	ot__small_free(w);
}

int ot__monitor_new_child(struct ot__proc *self, struct ot__proc *child,
			  ot_ref *ref)
{
	return monitor(self, ot__pid_of(child), child, NULL, 0, ref);
}

int ot__monitor_alias(ot_pid pid, int alias_mode, ot_ref *out)
{
	bool remote = OT__UNLIKELY(!ot__pid_well_formed(pid));
	if ((remote && !ot__pid_remote_form(pid)) || !out || alias_mode < 0 ||
	    alias_mode > OT_ALIAS_REPLY_DEMONITOR)
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc)
		return rc;
	struct ot__proc *self = ot__caller();
	if (!self)
		return OT_ENOMEM;
	if (remote)
		return ot__monitor_remote(self, pid, alias_mode, out);
	return monitor(self, pid, ot__table_lookup(pid), NULL, alias_mode, out);
}

int ot__monitor(ot_pid pid, ot_ref *out)
{
	return ot__monitor_alias(pid, 0, out);
}

int ot__monitor_name(const char *name, ot_ref *out)
{
	int rc = ot__name_check(name);
	if (rc)
		return rc;
	if (!out)
		return OT_EINVAL;
	if ((rc = ot__running_check()) != 0)
		return rc;
	struct ot__proc *self = ot__caller();
	if (!self)
		return OT_ENOMEM;
	/* {Name, Node}, "name@node", while a node runs. */
	char local[OT_NAME_MAX + 1];
	if (OT__UNLIKELY(strchr(name, '@')) &&
	    (rc = ot__monitor_name_remote(self, &name, local, out)) != 1)
		return rc;
	ot_pid pid = OT_PID_NONE;
	if (ot_whereis(name, &pid) != 0)
		return monitor(self, OT_PID_NONE, NULL, name, 0, out);
	return monitor(self, pid, ot__table_lookup(pid), name, 0, out);
}

/*
 * Waits until the DOWN of monitor ref — decided (its target is dead), but
 * still on its way or still a signal in the inbox — has become a message in
 * self's queue. Its watch record is in self->watching again, so that
 * taking the inbox turns the DOWN into a message (and drops the record).
 * The DOWN is sure to come: a process that ends sends every DOWN it owes.
 */
static void await_down(struct ot__proc *self, uint64_t ref)
{
	struct ot__watch key = {.ref = ref};
	while (RB_FIND(ot__watches, &self->watching, &key)) {
		if (ot__mailbox_take(self))
			continue;
		if (ot__park(self, OT__WAKE_MSG, OT__NO_DEADLINE) < 0)
			return; /* the runtime is going away */
	}
}

static bool is_down_for(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == *(const uint64_t *)arg;
}

int ot__demonitor(ot_ref ref, unsigned flags)
{
	if (flags & ~(OT_DEMONITOR_FLUSH | OT_DEMONITOR_INFO))
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *self = ot__current();
	if (!self)
		return 0;
	bool active = false;
	struct ot__watch key = {.ref = ref.id};
	struct ot__watch *w = RB_FIND(ot__watches, &self->watching, &key);
	bool held = w != NULL;
	if (w) {
		RB_REMOVE(ot__watches, &self->watching, w);
		active = ot__unmonitor(ot__pid_of(self), w->target, w->ref);
		if (!active && (flags & OT_DEMONITOR_INFO) &&
		    !(flags & OT_DEMONITOR_FLUSH)) {
			/* Too late: the target ended and its DOWN is owed.
			 * OTP's demonitor(M, [info]) answers false only with
			 * the DOWN in the caller's queue: wait until it is. */
			RB_INSERT(ot__watches, &self->watching, w);
			await_down(self, ref.id);
		} else {
			ot__small_free(w);
		}
	}
	/* Its alias ends with it, held or not (a reply_demonitor one whose
	 * DOWN was dropped after its reply came keeps it until then): as
	 * ot_unalias(), what came through it and was not received goes too
	 * (a late reply). */
	int mode = ot__alias_mode(self, ref.id);
	if (mode == OT_ALIAS_DEMONITOR || mode == OT_ALIAS_REPLY_DEMONITOR)
		ot__unalias(ref.id);
	/* A DOWN becomes a message only as its watch record goes: while we
	 * still held the record, none can be in the queue (and one still in
	 * the inbox is dropped when taken). Only then is there nothing to
	 * flush — the case of every gen_server call that got its reply. */
	if ((flags & OT_DEMONITOR_FLUSH) && !held) {
		ot_msg *m;
		uint64_t id = ref.id;
		while (ot_receive_match(is_down_for, &id, &m, 0) == 0)
			ot_msg_free(m);
	}
	return (flags & OT_DEMONITOR_INFO) && active ? 1 : 0;
}

int ot__trap_exit(bool on, bool *old)
{
	struct ot__proc *self;
	int rc = ot__calling_process(&self);
	if (rc)
		return rc;
	if (old)
		*old = self->trap_exit;
	self->trap_exit = on;
	return 0;
}

int ot__exit_pid(ot_pid pid, const ot_reason *reason)
{
	bool remote = OT__UNLIKELY(!ot__pid_well_formed(pid));
	if ((remote && !ot__pid_remote_form(pid)) ||
	    ot_reason_check(reason) != 0)
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *self = ot__caller();
	if (!self)
		return rc ? rc : OT_ENOMEM;
	if (remote) {
		const ot_remote_ops *ops = ot__remote_ops();
		return ops ? ops->exit(ot__pid_of(self), pid, reason, false)
			   : OT_EREMOTE;
	}
	struct ot_msg *m =
	    ot__exit_msg(OT__M_EXIT_SIGNAL, ot__pid_of(self), reason);
	if (!m)
		return OT_ENOMEM;
	ot__deliver(pid, m);
	/* To oneself: acted on now, before this returns (or instead). */
	if (ot_pid_equal(pid, ot__pid_of(self)))
		ot__mailbox_take(self);
	return 0;
}
