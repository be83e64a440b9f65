/* SPDX-License-Identifier: MIT */
/*
 * park.c — idle schedulers: how one parks, how it is woken, and what it
 * does for the busy ones meanwhile.
 *
 * An idle scheduler fires its timers, steals, spins for a few microseconds
 * (sched.c's find_work()), then parks here on a condition variable until
 * work or its next timer; the first to park blocks in the poll instead
 * (poll.c) and fires the fd waits that come meanwhile. Parking uses a
 * Dekker pair: the parker publishes `parked` then re-checks the run
 * queues; a pusher publishes its work (rq_len) then checks `parked` —
 * both seq_cst, so one of them always sees the other.
 *
 * Scheduling is cooperative: a process that never waits keeps its thread.
 * What it must not keep is the rest of its scheduler's work. While another
 * scheduler is awake with timers, an idle one looks at it every WATCH_NS:
 * one that has not come back to its loop since the last look is running
 * one process all that while, and the idle one fires its due timers for
 * it (a receive timeout, a send_after), so that they keep their deadlines
 * within a few milliseconds; the processes they wake go to run queues and
 * are stolen. (A process it woke itself, in its runnext slot, still waits
 * for it: that slot belongs to its thread.) Likewise for the descriptors:
 * the poll's owner that leaves it for work has a parked scheduler watch
 * (hand_poll_over()), and the watcher claims the poll when it finds the
 * awake one stuck, so that descriptors are watched while it runs what may
 * not yield; it does not claim it before, since an awake scheduler sees
 * an event sooner than a blocked owner it must wake.
 */
#include "config.h"

#include <time.h>

#include "lock.h"
#include "park.h"
#include "poller.h"
#include "timer.h"

/* How often an idle scheduler looks at the awake ones that have timers,
 * and how long one may stay in a process before its due timers are fired
 * by another. */
#define WATCH_NS (2 * 1000 * 1000)

static bool any_queued_work(void)
{
	for (unsigned i = 0; i < ot__rt.nsched; i++)
		if (atomic_load(&ot__rt.scheds[i].rq_len) > 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------------
 * Waking schedulers
 */
void ot__sched_wake_locked(struct ot__sched *s)
{
	s->wake_pending = true;
	if (s->polling)
		ot__poll_kick();
	else
		pthread_cond_signal(&s->park_cond);
}

bool ot__sched_kick(struct ot__sched *s)
{
	if (!atomic_load(&s->parked)) /* seq_cst: pairs with park() */
		return false;
	/* Kicked already, and not yet up: it will look at the run queues
	 * (what was pushed before this is seen by its re-check at the latest,
	 * the Dekker pair), so the lock and the futex are saved. Without
	 * this, every spawn made while a kicked thread was waking up (~28 us,
	 * a hundred spawns) kicked it again. */
	if (atomic_load(&s->wake_pending))
		return true;
	ot__mutex_lock(&s->park_lock);
	ot__sched_wake_locked(s);
	ot__mutex_unlock(&s->park_lock);
	return true;
}

void ot__sched_spread_slow(struct ot__sched *self)
{
	for (unsigned i = 0; i < ot__rt.nsched; i++) {
		struct ot__sched *s = &ot__rt.scheds[i];
		if (s != self && atomic_load(&s->parked)) {
			ot__sched_kick(s);
			return;
		}
	}
}

/* ---------------------------------------------------------------------
 * Parking
 */
/* True when another scheduler is awake and has timers, or while processes
 * wait for descriptors: s, idle, then watches them. It takes a look at
 * every one's rounds, to compare with at least WATCH_NS later
 * (ot__sched_watch_others()), and a new look only once that comparison
 * was made: neither a park cut short (a timer of s's own, a kick) nor a
 * park that comes just after the window ended starts it again unseen, so
 * a watcher woken more often than WATCH_NS still finds a stuck one. */
static bool look_at_others(struct ot__sched *s, int64_t now)
{
	bool watch = false, fds = ot__poll_armed();
	bool look = s->seen_compared;
	for (unsigned i = 0; i < ot__rt.nsched; i++) {
		struct ot__sched *o = &ot__rt.scheds[i];
		if (look)
			s->seen[i] = atomic_load_explicit(&o->rounds,
							  memory_order_relaxed);
		if (o != s && !atomic_load(&o->parked) &&
		    (fds || ot__timers_next(o) != OT__NO_DEADLINE))
			watch = true;
	}
	if (look) {
		s->seen_at = now;
		s->seen_compared = false;
	}
	return watch;
}

/* s is idle and looked at the others (look_at_others()) a while ago: fires
 * the due timers of each that has been in one process since, and if one
 * has, s claims the poll at its next park, so that the descriptors are
 * watched while that process runs. */
void ot__sched_watch_others(struct ot__sched *s)
{
	int64_t now = ot__now_ns();
	if (now - s->seen_at < WATCH_NS)
		return;
	s->seen_compared = true;
	for (unsigned i = 0; i < ot__rt.nsched; i++) {
		struct ot__sched *o = &ot__rt.scheds[i];
		if (o == s || atomic_load(&o->parked) ||
		    atomic_load_explicit(&o->rounds, memory_order_relaxed) !=
			s->seen[i])
			continue;
		s->claim_poll = true;
		if (ot__timers_next(o) <= now)
			ot__timers_fire(o, now);
	}
}

/* s was the poll's owner and leaves it (for work, a kick, a timer): if waits
 * are registered, a parked scheduler takes the poll over, so that the
 * descriptors are watched while s runs what may not yield for a while.
 * One that is watching already (a timed park: it comes back within
 * WATCH_NS, looks at the poll, and claims it if it finds s stuck in one
 * process, ot__sched_watch_others()) is left to do so:
 * waking it here, at every burst of events, cost a thread wake per burst
 * and was a third of a busy node's throughput (dist16 on two schedulers).
 * Only a scheduler parked for good is woken, and it then watches in turn
 * for as long as s is awake. */
static void hand_poll_over(struct ot__sched *s)
{
	if (!ot__poll_wanted())
		return;
	for (unsigned i = 0; i < ot__rt.nsched; i++) {
		struct ot__sched *o = &ot__rt.scheds[i];
		if (o == s || !atomic_load(&o->parked))
			continue;
		ot__mutex_lock(&o->park_lock);
		bool parked = atomic_load(&o->parked) && !o->polling;
		bool watches = parked && o->watching;
		if (parked && !watches) {
			o->poll_handed = true;
			ot__sched_wake_locked(o);
		}
		ot__mutex_unlock(&o->park_lock);
		if (parked)
			return;
	}
}

/* Parks s until kicked, or until its next timer is due, or, while another
 * scheduler is awake with timers, for WATCH_NS. The first to park blocks
 * in the poll (poll.c) and fires the fd waits that come meanwhile.
 * Returns true when s should park again without spinning first: it
 * watches the others (s->watching), or took the poll over. */
bool ot__sched_park(struct ot__sched *s)
{
	bool owned = false, polled = false, again = false;
	pthread_mutex_lock(&s->park_lock);
	s->watching = false; /* under the lock: hand_poll_over() reads it */
	atomic_store(&s->parked, true);
	atomic_fetch_add(&ot__rt.nparked, 1);
	/* Re-check after publishing `parked` (Dekker with the pushers). */
	if (!any_queued_work() && !atomic_load(&ot__rt.stop_scheds) &&
	    !s->wake_pending) {
		int64_t now = ot__now_ns();
		int64_t next = ot__timers_next(s);
		if (ot__rt.nsched > 1 && look_at_others(s, now)) {
			s->watching = true;
			if (next == OT__NO_DEADLINE || next > now + WATCH_NS)
				next = now + WATCH_NS;
		}
		/* The first to park owns the poll; one that watches a busy
		 * scheduler only when that one is stuck in a process: a busy
		 * scheduler looks at the poll itself between processes and as
		 * it spins, faster than a blocked owner that each event must
		 * wake. */
		bool claim = !s->watching || s->claim_poll;
		s->claim_poll = false;
		if (next != OT__NO_DEADLINE && next <= now) {
			/* a timer is due: no wait */
		} else if (claim && ot__poll_claim(s)) {
			owned = s->polling = true;
			pthread_mutex_unlock(&s->park_lock);
			polled = ot__poll_wait(s, next);
			pthread_mutex_lock(&s->park_lock);
			s->polling = false;
			ot__poll_release(s);
		} else if (next == OT__NO_DEADLINE) {
			pthread_cond_wait(&s->park_cond, &s->park_lock);
		} else {
			struct timespec ts = {.tv_sec = next / 1000000000,
					      .tv_nsec = next % 1000000000};
			pthread_cond_timedwait(&s->park_cond, &s->park_lock,
					       &ts);
		}
	}
	again = s->watching || s->poll_handed;
	s->poll_handed = false;
	s->wake_pending = false;
	atomic_fetch_sub(&ot__rt.nparked, 1);
	atomic_store(&s->parked, false);
	pthread_mutex_unlock(&s->park_lock);
	if (owned) {
		hand_poll_over(s);
		if (polled &&
		    atomic_load_explicit(&s->rq_len, memory_order_relaxed) > 1)
			ot__sched_spread(s);
	}
	return again && !polled;
}
