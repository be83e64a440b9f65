/* SPDX-License-Identifier: MIT */
/*
 * scheduler.h — the schedulers (sched.c): N threads, each running
 * processes from its run queue, parking when there is nothing to run, and
 * keeping the timers (timer.c) and message-block caches (block.c) of the
 * processes it runs.
 */
#ifndef OTTER_PROC_SCHEDULER_H
#define OTTER_PROC_SCHEDULER_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>

#include "block.h"
#include "process.h"

/* ---------------------------------------------------------------------
 * Schedulers (sched.c)
 */
STAILQ_HEAD(ot__procq, ot__proc);
RB_HEAD(ot__ttree, ot__tnode);
RB_HEAD(ot__tidtree, ot__send_timer);
RB_HEAD(ot__tdesttree, ot__send_timer);

struct ot__sched {
	unsigned index;
	pthread_t thread;
	ot__ctx ctx;		  /* the scheduler loop's own context */
	struct ot__proc *current; /* running process; this thread only */
	struct ot__proc *runnext; /* woken by `current`; this thread only */
	unsigned runnext_streak;
	unsigned ticks; /* scheduling rounds (find_work calls) */
	/* ticks, for the others: one that stays the same while the
	 * scheduler is not parked means it has been running one process
	 * (see watch_others() in sched.c). Relaxed. */
	_Atomic unsigned rounds;
	/* This scheduler's last look at the others' rounds, while it was
	 * idle, and when it took it; this thread only. */
	unsigned *seen;
	int64_t seen_at;
	bool seen_compared; /* seen was compared since: look again (park.c) */
	/* Its last park was a watch of the others'; written under park_lock
	 * (hand_poll_over() reads it there). */
	bool watching;
	/* Its last watch found another stuck in one process: it claims the
	 * poll at its next park (park.c). This thread only. */
	bool claim_poll;
	unsigned bind_next; /* round robin of new processes' stacks */
	/* The stack a process left by ending here, until the next run: where
	 * a new process is bound first. */
	struct ot__stack *stack_left;
	/* Process table slots (table.c), this thread only: free ones taken
	 * from the table a batch at a time for what is spawned here (the
	 * next is slots_take[slots_take_at]), and those of processes that
	 * ended here, given back a batch at a time. */
	uint32_t slots_take[OT__SLOT_BATCH];
	uint32_t slots_freed[OT__SLOT_BATCH];
	unsigned slots_take_at, slots_take_n, slots_freed_n;
	/* Free blocks of each class (block.c); this thread only. */
	void *block_cache[OT__BLOCK_CLASSES];
	/* Written by this scheduler only; read by ot_runtime_stats(). */
	_Atomic unsigned blocks_cached[OT__BLOCK_CLASSES];

	/* What other threads read and write, each on a cache line of its
	 * own: an idle scheduler that looks at a busy one again and again
	 * must not take from it, at each look, the line it writes at each
	 * round (ticks) or at each push and pop (rq_len). */

	/* When runq last became non-empty (ot__now_ns()): written under
	 * rq_lock, once as the queue fills; read relaxed by thieves, first
	 * (the steal gate). */
	_Alignas(64) _Atomic int64_t rq_since;

	_Alignas(64) ot__spinlock rq_lock;
	struct ot__procq runq; /* rq_lock */
	_Atomic size_t rq_len; /* seq_cst: pairs with `parked` (Dekker) */

	_Alignas(64) pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	_Atomic bool parked; /* seq_cst: pairs with rq_len */
	/* Kicked, not yet up; written under park_lock, read without it
	 * (ot__sched_kick). */
	atomic_bool wake_pending;
	/* Parked in the poll (poll.c) rather than on park_cond: a kick goes
	 * through the poll's eventfd. park_lock. */
	bool polling;
	/* Kicked to take the poll over from an owner that left it with work
	 * (sched.c, hand_poll_over): it parks again at once. park_lock. */
	bool poll_handed;

	/* Crash trapping (fault.c): this thread's alternate signal stack,
	 * the one it replaced, and what the handler saw of the last crash
	 * (read by the report on this same thread right after). */
	void *altstack;
	stack_t old_altstack;
	struct ot__crash crash;
	/* Set while ot__fault_guarded() runs user code outside any
	 * process on this thread: where a fault there jumps back to. */
	sigjmp_buf *guard;

	ot__spinlock timer_lock;
	struct ot__ttree timers;     /* timer_lock */
	struct ot__tidtree send_ids; /* send timers by id; timer_lock */
	/* Send timers by destination (to drop those of a process that
	 * ended), and how many there are (written under timer_lock). */
	struct ot__tdesttree send_dests;
	_Atomic size_t nsend;
	_Atomic int64_t timer_next; /* earliest deadline; relaxed hint */
	/* Set while a thread fires s's timers (ot__timers_fire): its own, or
	 * an idle one's for it (sched.c, watch_others). One at a time, so
	 * that due timers are delivered in deadline order. */
	atomic_bool firing;
} __attribute__((aligned(64)));

/* The scheduler the calling thread is, or NULL on a foreign thread. */
struct ot__sched *ot__sched_self(void);
/* The calling process (scheduled or attached foreign), or NULL. */
struct ot__proc *ot__current(void);
/* The same, attaching a foreign thread that is not yet: NULL only when
 * that fails (out of memory, table full, runtime stopping). */
struct ot__proc *ot__caller(void);
/* p was made RUNNABLE (under its lock, now released): queue it. */
void ot__ready(struct ot__proc *p);
/* A new process: queue it where the work spreads. */
void ot__ready_new(struct ot__proc *p);
/* p was made RUNNABLE by the poll of s (poll.c), which runs it. */
void ot__ready_polled(struct ot__sched *s, struct ot__proc *p);
/* Wakes s if it is parked (it has new work or an earlier timer); false
 * when it was not parked. */
bool ot__sched_kick(struct ot__sched *s);
/* The calling process waits; see mailbox.c for the loop around it.
 * Returns 0 or OT_ETIMEDOUT, OT_ESHUTDOWN (foreign); a killed scheduled
 * process never returns. */
int ot__park(struct ot__proc *p, unsigned wake_flags, int64_t deadline);
/* The calling process p switches to its scheduler, which acts on
 * p->action from its own stack; ends: p never runs again. */
static inline void ot__switch_out(struct ot__proc *p, bool ends)
{
	struct ot__sched *s = p->running_on;
	OT__DEBUG_ASSERT(s->current == p);
	ot__ctx_switch(&p->ctx, &s->ctx, ends);
}
/* Wakes p if it waits for any of `flags` (0: for anything, as a kill
 * does); caller holds p->lock and calls ot__ready() after unlocking
 * when this returned true. A foreign thread is signalled at once. */
bool ot__wake_locked(struct ot__proc *p, unsigned flags);
int ot__scheds_start(unsigned n);
void ot__scheds_stop(void);

#endif /* OTTER_PROC_SCHEDULER_H */
