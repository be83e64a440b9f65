/* SPDX-License-Identifier: MIT */
/*
 * ties_info.c — what an observer sees of links and monitors
 * (ot_process_links, ot_process_monitored_by, ot_process_monitors): the
 * sets of signal.c, read under the process's lock (or, for the monitors a
 * process holds, while it waits).
 */
#include "config.h"

#include <sched.h>

#include "gate.h"
#include "lock.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "signals.h"
#include "ties.h"
#include "timer.h"

/* Copies up to cap pids into out as a walk finds them; counts them all. */
struct pid_list {
	ot_pid *out;
	size_t cap, total;
};

static void pid_list_add(struct pid_list *l, ot_pid pid)
{
	if (l->total < l->cap)
		l->out[l->total] = pid;
	l->total++;
}

/* Locks pid's process for a listing: 0 with the lock held, or an error. */
static int lock_listed(ot_pid pid, ot_pid *out, size_t cap, size_t *total,
		       struct ot__proc **pp)
{
	if (!total)
		return OT_EINVAL;
	*total = 0;
	if ((cap && !out) || !ot__pid_well_formed(pid))
		return OT_EINVAL;
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	struct ot__proc *p = ot__table_lookup(pid);
	if (!p || !ot__proc_lock_alive(p, pid))
		return OT_ENOPROC;
	*pp = p;
	return 0;
}

int ot__process_links(ot_pid pid, ot_pid *out, size_t cap, size_t *total)
{
	struct ot__proc *p;
	int rc = lock_listed(pid, out, cap, total, &p);
	if (rc)
		return rc;
	struct pid_list l = {out, cap, 0};
	struct ot__link *k;
	LINKS_FOREACH(k, &p->links)
	{
		/* A peer whose EXIT waits in the inbox is no longer linked. */
		if (!k->exit)
			pid_list_add(&l, (ot_pid){k->peer});
	}
	ot__spin_unlock(&p->lock);
	*total = l.total;
	return 0;
}

int ot__process_monitored_by(ot_pid pid, ot_pid *out, size_t cap, size_t *total)
{
	struct ot__proc *p;
	int rc = lock_listed(pid, out, cap, total, &p);
	if (rc)
		return rc;
	struct pid_list l = {out, cap, 0};
	struct ot__mon *m;
	RB_FOREACH(m, ot__mons, &p->monitors)
		pid_list_add(&l, m->watcher);
	ot__spin_unlock(&p->lock);
	*total = l.total;
	return 0;
}

/*
 * The monitors a process holds are its own business (`watching` has no
 * lock): they are read while it waits — parked, it cannot change them
 * until it is woken, under the lock held here — or by the process itself.
 * A process that runs all along for a few milliseconds is not waited for.
 */
#define WATCHING_WAIT_NS (5 * 1000 * 1000)

int ot__process_monitors(ot_pid pid, ot_pid *out, size_t cap, size_t *total)
{
	return ot__process_monitors_within(pid, out, cap, total,
					   WATCHING_WAIT_NS);
}

int ot__process_monitors_within(ot_pid pid, ot_pid *out, size_t cap,
				size_t *total, int64_t wait_ns)
{
	struct ot__proc *p;
	int rc = lock_listed(pid, out, cap, total, &p);
	if (rc)
		return rc;
	bool own = ot__current() == p;
	int64_t until = ot__now_ns() + wait_ns;
	while (!own && atomic_load_explicit(&p->state, memory_order_relaxed) !=
			   OT__P_WAITING) {
		ot__spin_unlock(&p->lock);
		if (ot__now_ns() >= until)
			return OT_ETIMEDOUT;
		sched_yield();
		if (!ot__proc_lock_alive(p, pid))
			return OT_ENOPROC;
	}
	struct pid_list l = {out, cap, 0};
	struct ot__watch *w;
	RB_FOREACH(w, ot__watches, &p->watching)
		pid_list_add(&l, w->target);
	ot__spin_unlock(&p->lock);
	*total = l.total;
	return 0;
}
