/* SPDX-License-Identifier: MIT */
/*
 * park.h — idle schedulers (park.c): parking one, waking one, spreading
 * work to a parked one, and an idle one's watch over the busy ones.
 */
#ifndef OTTER_PROC_PARK_H
#define OTTER_PROC_PARK_H

#include "runtime.h"
#include "scheduler.h"

/* Parks s until kicked, its next timer, or, while another scheduler is
 * awake with timers, the next look at it. Returns true when s should park
 * again without spinning first (it watches the others, or took the poll
 * over). */
bool ot__sched_park(struct ot__sched *s);

/* s is idle and watching (ot__sched_park() set s->watching): fires the due
 * timers of every scheduler that has been in one process since the last
 * look. */
void ot__sched_watch_others(struct ot__sched *s);

/* Wakes s from its park; the caller holds s->park_lock. */
void ot__sched_wake_locked(struct ot__sched *s);

void ot__sched_spread_slow(struct ot__sched *self);

/* There is more work on `self` than it can run now: if every other
 * scheduler is parked (none spinning), wake one to steal it. Inline for its
 * first test, which is all that runs while every scheduler is busy. */
static inline void ot__sched_spread(struct ot__sched *self)
{
	if (atomic_load(&ot__rt.nparked) == 0 ||
	    atomic_load(&ot__rt.nspinning) != 0)
		return;
	ot__sched_spread_slow(self);
}

#endif
