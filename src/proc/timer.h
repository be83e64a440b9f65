/* SPDX-License-Identifier: MIT */
/*
 * timer.h — the clock, deadlines and timers (timer.c): per-scheduler trees
 * ordered by deadline. Included by process.h, whose struct ot__proc embeds
 * a wait timer.
 */
#ifndef OTTER_PROC_TIMER_H
#define OTTER_PROC_TIMER_H

#include <bsd/sys/tree.h>
#include <stdatomic.h>
#include <stdint.h>

#include <otter/proc.h>

#define OT__NS_PER_MS	INT64_C(1000000)
#define OT__NO_DEADLINE INT64_MAX

struct ot__proc;
struct ot__sched;

enum ot__tkind { OT__T_WAIT, OT__T_SEND };

struct ot__tnode {
	RB_ENTRY(ot__tnode) by_time; /* owner's timer lock */
	int64_t deadline;	     /* monotonic ns */
	uint64_t seq;		     /* unique, orders equal deadlines */
	/* Whose tree it is in; NULL when not armed. Set under that tree's
	 * lock; read without it by the process to decide whether to lock. */
	_Atomic(struct ot__sched *) owner;
	uint8_t kind; /* enum ot__tkind */
};

/* Monotonic clock, nanoseconds. */
int64_t ot__now_ns(void);
/* A timeout in ms (validated) as an absolute deadline, or OT__NO_DEADLINE. */
int64_t ot__deadline_after(int timeout_ms);
/* What is left until deadline, in ms rounded up (for poll(2) and
 * ot_fd_wait()): 0 when it has passed, OT_INFINITY for none. */
int ot__deadline_ms_left(int64_t deadline);
/* Arms p's wait timer on scheduler s; caller holds p->lock. */
void ot__timer_arm_wait(struct ot__sched *s, struct ot__proc *p,
			int64_t deadline);
/* Disarms p's wait timer if it has not fired; called by p itself. */
void ot__timer_disarm_wait(struct ot__proc *p);
/* Fires the due timers of s; returns how many fired (0 when another
 * thread is firing them). Scheduler context, any scheduler. */
unsigned ot__timers_fire(struct ot__sched *s, int64_t now);
/* Earliest deadline in s's tree, OT__NO_DEADLINE when empty. */
int64_t ot__timers_next(struct ot__sched *s);
void ot__timers_init(struct ot__sched *s);
/* Frees the pending send timers of s (at shutdown). */
void ot__timers_fini(struct ot__sched *s);
/* Cancels every send timer to pid, which has just been marked dead
 * (Erlang cancels a timer whose destination process ends). */
void ot__timers_drop_to(ot_pid pid);

#endif /* OTTER_PROC_TIMER_H */
