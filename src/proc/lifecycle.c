/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c — the life of a process, from spawn to reclaim.
 *
 * Spawn (ot__spawn). The caller takes a free slot of the process table,
 * gives it its function, exit hook and mailbox limit, and inserts it: it
 * has a pid from then on, and is RUNNABLE but in no run queue. Its name
 * and its link or monitor to the parent are made before it can run; if
 * one of them fails it ends unborn (finished with noproc, its slot
 * freed). Then it is counted (nprocs, nlive) and queued (ot__ready_new).
 * It has no stack yet.
 *
 * First run. The scheduler that first runs it binds it to a shared stack
 * and makes its context there (sched.c, enter_stack), entering at
 * sched.c's proc_main: signals that came before it ran (a kill racing the
 * spawn, an exit signal from its parent) are acted on, then its function
 * runs, and ends the process normally if it returns.
 *
 * Life. It runs, waits and yields through its scheduler (sched.c), takes
 * messages and signals from its mailbox (mailbox.c, signal.c).
 *
 * Exit. A process ends only by itself, on its own stack, through
 * ot__proc_exit: its function returned (normal), it called ot_exit (an
 * ot_catch() or its crash handler may see that first, fault.c), a kill or
 * an exit signal was acted on at a wait (sched.c, mailbox.c), or it
 * crashed (fault.c). It switches to its scheduler asking OT__A_EXIT and
 * never runs again.
 *
 * Reclaim (ot__proc_reclaim), on the scheduler's stack: its fd wait leaves
 * epoll, its exit hook runs (what it owned goes before anyone hears of its
 * end), then ot__proc_finish ends it as others see it: marked DEAD (its
 * place in the table counts for a new one), its mailbox dropped, its name
 * released, the timers to it cancelled, no longer counted in nlive, then
 * an EXIT to each link and a DOWN to each monitor (signal.c). Only then is
 * its crash report written, and its context, stack and slot freed; nprocs,
 * which shutdown waits on, drops last.
 *
 * A foreign thread's process (foreign.c) never runs on a scheduler: it is
 * finished when the thread detaches.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/reason_repair.h"
#include "ctx.h"
#include "fault.h"
#include "gate.h"
#include "lifecycle.h"
#include "lock.h"
#include "mailbox.h"
#include "name.h"
#include "poller.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "signals.h"
#include "stack.h"
#include "timer.h"

/* ---------------------------------------------------------------------
 * Spawning
 */
/* Undoes a spawn that failed after p got its pid (it never ran). */
static void discard_spawned(struct ot__proc *p)
{
	p->exit_reason = ot__reason(OT_REASON_NOPROC);
	ot__proc_finish(p);
	ot__table_remove(p);
}

/* OT_SPAWN_LINK / OT_SPAWN_MONITOR, before the child can run. */
static int tie_to_parent(struct ot__proc *child, const ot_spawn_opts *opts)
{
	struct ot__proc *self = ot__caller();
	if (!self)
		return OT_ENOMEM;
	int rc = 0;
	if (opts->flags & OT_SPAWN_LINK)
		rc = ot__link_new_child(self, child);
	if (!rc && (opts->flags & OT_SPAWN_MONITOR))
		rc = ot__monitor_new_child(self, child, opts->monitor_ref);
	return rc;
}

int ot__spawn(ot_proc_fn fn, void *arg, const ot_spawn_opts *opts, ot_pid *out)
{
	static const ot_spawn_opts defaults;
	if (!opts)
		opts = &defaults;
	if (!fn || (opts->flags & ~(OT_SPAWN_LINK | OT_SPAWN_MONITOR)) ||
	    ((opts->flags & OT_SPAWN_MONITOR) && !opts->monitor_ref) ||
	    ot__limit_check(opts))
		return OT_EINVAL;
	if (opts->name) {
		int rc = ot__name_check(opts->name);
		if (rc)
			return rc;
	}
	int rc = ot__running_check();
	if (rc)
		return rc;
	size_t size = ot__rt.stack_size;
	if (opts->stack_size) {
		if (opts->stack_size < OT_MIN_STACK_SIZE ||
		    opts->stack_size > OT_MAX_STACK_SIZE)
			return OT_EINVAL;
		size_t page = ot__page_size();
		size = (opts->stack_size + page - 1) & ~(page - 1);
	}

	struct ot__stack_pool *pool = ot__stack_pool_for(size);
	if (!pool)
		return OT_ENOMEM;
	struct ot__proc *p = ot__proc_new();
	if (!p)
		return OT_ELIMIT;
	/* No stack yet: it is bound to one, and its context made there,
	 * when it first runs. */
	p->pool = pool;
	p->fn = fn;
	p->arg = arg;
	p->exit_hook = opts->exit_hook;
	p->exit_hook_arg = opts->exit_hook ? opts->exit_hook_arg : NULL;
	p->park_deadline = OT__NO_DEADLINE;
	if (ot__limit_set(p, opts) != 0) {
		ot__proc_discard(p);
		return OT_ENOMEM;
	}
	ot__root_note(p); /* spawned by a foreign thread: a root */

	if ((rc = ot__table_insert(p, OT__P_RUNNABLE)) != 0) {
		ot__proc_discard(p);
		return rc;
	}
	if (opts->name && (rc = ot__name_claim(opts->name, p)) != 0) {
		discard_spawned(p);
		return rc;
	}
	if (opts->flags && (rc = tie_to_parent(p, opts)) != 0) {
		discard_spawned(p);
		return rc;
	}
	atomic_fetch_add_explicit(&ot__rt.nprocs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ot__rt.nlive, 1, memory_order_relaxed);
	p->live_counted = true; /* before it can run, and end */
	atomic_fetch_add_explicit(&ot__rt.nspawned, 1, memory_order_relaxed);
	ot_pid pid = ot__pid_of(p);
	ot__ready_new(p);
	if (out)
		*out = pid;
	return 0;
}

/* ---------------------------------------------------------------------
 * Ending
 */
void ot__proc_exit(struct ot__proc *p, const ot_reason *reason)
{
	if (reason != &p->exit_reason)
		p->exit_reason = *reason;
	p->action = OT__A_EXIT;
	ot__switch_out(p, true);
	OT__ASSERT(!"an ended process was resumed");
	__builtin_unreachable();
}

void ot__proc_kill(struct ot__proc *p, ot_pid pid)
{
	if (!ot__proc_lock_alive(p, pid))
		return;
	atomic_store_explicit(&p->kill_pending, true, memory_order_release);
	bool wake = ot__wake_locked(p, 0);
	ot__spin_unlock(&p->lock);
	if (wake)
		ot__ready(p);
}

/* ---------------------------------------------------------------------
 * The exit reason's payload, and ot_exit
 */
/* *slot keeps m (a message a reason's payload points into, or NULL)
 * from now on; what it held before goes. */
static void hold(struct ot_msg **slot, struct ot_msg *m)
{
	struct ot_msg *old = *slot;
	*slot = m;
	ot_msg_free(old);
}

void ot__proc_hold_reason(struct ot__proc *p, struct ot_msg *m)
{
	hold(&p->exit_hold, m);
}

void ot__proc_release(struct ot__proc *p)
{
	ot__limit_free(p);
	ot__aliases_free(p);
	hold(&p->exit_hold, NULL);
	hold(&p->caught_hold, NULL);
	p->exit_reason.data = NULL;
	p->exit_reason.data_size = 0;
}

int ot__exit(const ot_reason *given)
{
	if (!given)
		return OT_EINVAL;
	struct ot__proc *p;
	int rc = ot__calling_process(&p);
	if (rc)
		return rc;
	/* The caller ends whatever it passed: a malformed reason is repaired
	 * rather than refused, so that it never travels as it is. Its
	 * payload is copied now, for an ot_catch() or the crash handler
	 * (which may free what it points into) and for the signals. */
	ot_reason repaired = ot__reason_repaired(given);
	const ot_reason *reason = &repaired;
	if (repaired.data_size) {
		struct ot_msg *copy =
		    ot__exit_msg(OT__M_MSG, ot__pid_of(p), &repaired);
		if (!copy)
			return OT_ENOMEM;
		/* A caught exit must not free the payload of the reason the
		 * process may be ending with meanwhile (a format_status that
		 * exits inside terminate): it has a place of its own. */
		if (p->catching)
			hold(&p->caught_hold, copy);
		else
			ot__proc_hold_reason(p, copy);
		reason = &((const ot_exit_info *)ot__msg_data(copy))->reason;
	}
	ot__exit_caught(p, reason); /* an ot_catch() or the crash handler */
	p->report = !ot_reason_is_clean(reason) &&
		    !atomic_load_explicit(&ot__log_off, memory_order_relaxed);
	ot__proc_exit(p, reason);
}

/* ---------------------------------------------------------------------
 * The exit hook
 */
int ot__set_exit_hook(ot_exit_hook_fn fn, void *arg)
{
	struct ot__proc *self;
	int rc = ot__calling_process(&self);
	if (rc)
		return rc;
	self->exit_hook = fn;
	self->exit_hook_arg = fn ? arg : NULL;
	return 0;
}

struct hook_run {
	ot_exit_hook_fn fn;
	void *arg;
	const ot_reason *reason;
};

static void run_hook(void *arg)
{
	const struct hook_run *h = arg;
	h->fn(h->reason, h->arg);
}

/* A hook that crashed: said as a crash report about its process. */
static void report_hook_crash(struct ot__proc *p, int sig)
{
	if (!ot_log_would(OT_LOG_ERROR))
		return;
	char name[OT_NAME_MAX + 1] = "", pid[OT_PID_STRLEN];
	char reason[OT_REASON_STRLEN], text[OT_REASON_STRLEN + 256];
	ot__name_of(p, name);
	ot_pid_format(ot__pid_of(p), pid, sizeof pid);
	ot_reason_format(&p->exit_reason, reason, sizeof reason);
	snprintf(text, sizeof text,
		 "=CRASH REPORT==== otter ===\n"
		 "  exit hook crashed (%s); the runtime goes on\n"
		 "    pid: %s\n"
		 "    registered_name: %s\n"
		 "    exit reason: %s",
		 sigabbrev_np(sig) ? sigabbrev_np(sig) : "a signal", pid,
		 name[0] ? name : "[]", reason);
	ot_report r = {.severity = OT_LOG_ERROR,
		       .kind = OT_REPORT_CRASH,
		       .pid = ot__pid_of(p),
		       .name = name,
		       .reason = &p->exit_reason,
		       .text = text};
	ot_log_emit(&r);
}

/* Runs p's exit hook, if it has one, once: after p ended, before
 * ot__proc_finish. A crash in it is caught and reported. */
static void run_exit_hook(struct ot__proc *p)
{
	if (!p->exit_hook)
		return;
	/* Taken first: whatever happens in it, it never runs again. */
	struct hook_run h = {p->exit_hook, p->exit_hook_arg, &p->exit_reason};
	p->exit_hook = NULL;
	p->exit_hook_arg = NULL;
	int sig = ot__fault_guarded(run_hook, &h);
	if (sig)
		report_hook_crash(p, sig);
}

/* ---------------------------------------------------------------------
 * Reclaim, on the scheduler's stack
 */
void ot__proc_finish(struct ot__proc *p)
{
	ot_pid self = ot__pid_of(p);
	ot__spin_lock(&p->lock);
	atomic_store_explicit(&p->state, OT__P_DEAD, memory_order_relaxed);
	/* Dead to anyone who looks now: its place counts for a new one. */
	ot__table_note_ended();
	struct ot__msgq left = TAILQ_HEAD_INITIALIZER(left);
	ot__mailbox_close_locked(p, &left);
	struct ot__ties ties;
	ot__ties_take_locked(p, &ties);
	/* Dead now: nobody can give p a name any more (register checks
	 * under this lock), so without one now it never has one. */
	bool named = p->name != NULL;
	char *label = p->label;
	p->label = NULL;
	p->behaviour = NULL;
	ot__spin_unlock(&p->lock);
	ot__mailbox_free(p, &left);
	free(label);

	/* Erlang releases the name before the signals go out. */
	if (named)
		ot__name_release(p);
	/* Its timers go with it, counted nowhere (Erlang cancels a timer
	 * whose destination process has ended). */
	ot__timers_drop_to(self);
	/* And it is no longer counted (ot_runtime_stats) by whoever gets
	 * them. release: the stats' load follows the signal's delivery. */
	if (p->live_counted) {
		p->live_counted = false;
		atomic_fetch_sub_explicit(&ot__rt.nlive, 1,
					  memory_order_release);
	}

	ot__ties_signal_end(p, &ties);
}

void ot__proc_reclaim(struct ot__proc *p)
{
	/* The report is written after the EXIT/DOWN signals have gone out:
	 * formatting it (and symbolising a backtrace) must not delay a
	 * supervisor's restart. The name goes first, with the signals. */
	char name[OT_NAME_MAX + 1] = "";
	/* Ended (killed, an exit signal) while it waited for a descriptor:
	 * out of epoll before its links and monitors learn that it is gone
	 * (they may close the descriptor then). */
	if (OT__UNLIKELY(p->fd_armed))
		ot__poll_abandon(p);
	if (p->report)
		ot__name_of(p, name);
	/* What it owned goes before anyone hears of its end: a supervisor
	 * that restarts it finds its resources (a port, a file) free. */
	run_exit_hook(p);
	ot__proc_finish(p);
	if (p->report)
		ot__report_crash(p, name);
	ot__ctx_destroy(&p->ctx);
	ot__stack_forget(p);
	ot__table_remove(p);
	ot__stack_memory_trim();
	atomic_fetch_sub_explicit(&ot__rt.nprocs, 1, memory_order_release);
	ot__note_exit();
}
