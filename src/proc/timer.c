/* SPDX-License-Identifier: MIT */
/*
 * timer.c — timeouts and send_after, on one monotonic clock.
 *
 * Each scheduler keeps its timers in a red-black tree (libbsd) ordered by
 * deadline, then by a global sequence number, and fires the due ones from
 * its loop: when it is idle, and every few scheduling rounds when busy. A
 * parked scheduler sleeps no longer than its earliest deadline, and is
 * kicked when another thread adds an earlier one.
 *
 * Two kinds of timer live in the trees. A process's wait timer (receive or
 * sleep with a timeout) is embedded in the process and armed by the
 * scheduler as the process parks; the process disarms it when it resumes,
 * whichever scheduler it resumes on. A wait token tells a late firing from
 * the current wait. A send timer (ot_send_after) carries its message and is
 * also indexed by id so that ot_cancel_timer() can find it, and by its
 * destination so that a process that ends takes its timers with it (as
 * Erlang's send_after to a pid: the timer is cancelled when the process
 * ends). All timers to one process live on one scheduler's trees.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "gate.h"
#include "lock.h"
#include "mailbox.h"
#include "process.h"
#include "remote.h"
#include "runtime.h"
#include "scheduler.h"
#include "timer.h"

struct ot__send_timer {
	struct ot__tnode node;		  /* first: see send_of() */
	RB_ENTRY(ot__send_timer) by_id;	  /* owner's timer lock */
	RB_ENTRY(ot__send_timer) by_dest; /* owner's timer lock */
	uint64_t id;
	ot_pid to;
	struct ot_msg *msg;
};

static _Atomic uint64_t timer_seq = 1;

static int cmp_time(const struct ot__tnode *a, const struct ot__tnode *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_id(const struct ot__send_timer *a,
		  const struct ot__send_timer *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

RB_GENERATE_INTERNAL(ot__ttree, ot__tnode, by_time, cmp_time,
		     static __attribute__((unused)))
static int cmp_dest(const struct ot__send_timer *a,
		    const struct ot__send_timer *b)
{
	if (a->to.id != b->to.id)
		return a->to.id < b->to.id ? -1 : 1;
	return cmp_id(a, b);
}

RB_GENERATE_INTERNAL(ot__tidtree, ot__send_timer, by_id, cmp_id,
		     static __attribute__((unused)))
RB_GENERATE_INTERNAL(ot__tdesttree, ot__send_timer, by_dest, cmp_dest,
		     static __attribute__((unused)))

/* The scheduler whose trees hold the timers to `to`. */
static struct ot__sched *home_of(ot_pid to)
{
	return &ot__rt.scheds[(to.id & 0xffffffffu) % ot__rt.nsched];
}

/* Takes st out of s's id and destination trees (timer lock held). */
static void unindex(struct ot__sched *s, struct ot__send_timer *st)
{
	RB_REMOVE(ot__tidtree, &s->send_ids, st);
	RB_REMOVE(ot__tdesttree, &s->send_dests, st);
	atomic_store_explicit(
	    &s->nsend,
	    atomic_load_explicit(&s->nsend, memory_order_relaxed) - 1,
	    memory_order_relaxed);
}

static struct ot__send_timer *send_of(struct ot__tnode *n)
{
	return (struct ot__send_timer *)n;
}

static struct ot__proc *proc_of(struct ot__tnode *n)
{
	return (struct ot__proc *)((char *)n -
				   offsetof(struct ot__proc, wait_timer));
}

int64_t ot__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ot__deadline_after(int timeout_ms)
{
	if (timeout_ms == OT_INFINITY)
		return OT__NO_DEADLINE;
	return ot__now_ns() + (int64_t)timeout_ms * OT__NS_PER_MS;
}

int ot__deadline_ms_left(int64_t deadline)
{
	if (deadline == OT__NO_DEADLINE)
		return OT_INFINITY;
	int64_t left = deadline - ot__now_ns();
	if (left <= 0)
		return 0;
	int64_t ms = (left + OT__NS_PER_MS - 1) / OT__NS_PER_MS;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int64_t ot_monotonic_ms(void)
{
	return ot__now_ns() / OT__NS_PER_MS;
}

void ot__timers_init(struct ot__sched *s)
{
	RB_INIT(&s->timers);
	RB_INIT(&s->send_ids);
	RB_INIT(&s->send_dests);
	atomic_store_explicit(&s->nsend, 0, memory_order_relaxed);
	atomic_store_explicit(&s->timer_next, OT__NO_DEADLINE,
			      memory_order_relaxed);
}

/* Recomputes the earliest-deadline hint; caller holds the timer lock. */
static void update_next(struct ot__sched *s)
{
	struct ot__tnode *min = RB_MIN(ot__ttree, &s->timers);
	atomic_store_explicit(&s->timer_next,
			      min ? min->deadline : OT__NO_DEADLINE,
			      memory_order_relaxed);
}

/* Inserts n in s's tree; returns true when it became the earliest. */
static bool insert(struct ot__sched *s, struct ot__tnode *n, int64_t deadline)
{
	n->deadline = deadline;
	n->seq = atomic_fetch_add_explicit(&timer_seq, 1, memory_order_relaxed);
	atomic_store_explicit(&n->owner, s, memory_order_relaxed);
	RB_INSERT(ot__ttree, &s->timers, n);
	bool earliest = RB_MIN(ot__ttree, &s->timers) == n;
	if (earliest)
		update_next(s);
	return earliest;
}

void ot__timer_arm_wait(struct ot__sched *s, struct ot__proc *p,
			int64_t deadline)
{
	p->wait_timer.kind = OT__T_WAIT;
	ot__spin_lock(&s->timer_lock);
	insert(s, &p->wait_timer, deadline);
	ot__spin_unlock(&s->timer_lock);
}

void ot__timer_disarm_wait(struct ot__proc *p)
{
	struct ot__tnode *n = &p->wait_timer;
	struct ot__sched *s =
	    atomic_load_explicit(&n->owner, memory_order_acquire);
	if (!s)
		return; /* fired (or never armed: the wait ended at once) */
	ot__spin_lock(&s->timer_lock);
	/* Only the firing scheduler can change it, from s to NULL. */
	if (atomic_load_explicit(&n->owner, memory_order_relaxed) == s) {
		RB_REMOVE(ot__ttree, &s->timers, n);
		atomic_store_explicit(&n->owner, NULL, memory_order_relaxed);
		update_next(s);
	}
	ot__spin_unlock(&s->timer_lock);
}

/* A wait timer fired: wake p if it still waits in that same park. */
static void wait_expired(struct ot__proc *p, ot_pid pid, uint64_t token)
{
	if (!ot__proc_lock_alive(p, pid))
		return;
	bool wake = false;
	if (p->wait_token == token &&
	    atomic_load_explicit(&p->state, memory_order_relaxed) ==
		OT__P_WAITING) {
		p->timed_out = true;
		atomic_store_explicit(&p->state, OT__P_RUNNABLE,
				      memory_order_relaxed);
		wake = true;
	}
	ot__spin_unlock(&p->lock);
	if (wake)
		ot__ready(p);
}

#define FIRE_BATCH 64

/* Delivers s's timers due by now, in deadline order, a batch at a time
 * (each batch taken under the timer lock, delivered outside it). */
static unsigned fire_due(struct ot__sched *s, int64_t now)
{
	unsigned fired = 0;
	for (;;) {
		struct {
			struct ot__proc *p;
			ot_pid pid;
			uint64_t token;
			struct ot__send_timer *st;
		} due[FIRE_BATCH];
		unsigned n = 0;
		ot__spin_lock(&s->timer_lock);
		struct ot__tnode *t;
		while (n < FIRE_BATCH && (t = RB_MIN(ot__ttree, &s->timers)) &&
		       t->deadline <= now) {
			RB_REMOVE(ot__ttree, &s->timers, t);
			if (t->kind == OT__T_WAIT) {
				struct ot__proc *p = proc_of(t);
				due[n].p = p;
				due[n].pid = ot__pid_of(p);
				due[n].token = p->wait_token;
				due[n].st = NULL;
			} else {
				due[n].st = send_of(t);
				unindex(s, due[n].st);
			}
			/* Last, and release: once the process sees NULL (the
			 * acquire in ot__timer_disarm_wait()), it may park
			 * again and rearm this node and bump its token, which
			 * must have been read by then. */
			atomic_store_explicit(&t->owner, NULL,
					      memory_order_release);
			n++;
		}
		update_next(s);
		ot__spin_unlock(&s->timer_lock);
		for (unsigned i = 0; i < n; i++) {
			if (due[i].st) {
				/* Fired: no longer pending, even before the
				 * receiver (which may act at once) has it. */
				atomic_fetch_sub_explicit(&ot__rt.ntimers, 1,
							  memory_order_relaxed);
				ot__deliver(due[i].st->to, due[i].st->msg);
				free(due[i].st);
			} else {
				wait_expired(due[i].p, due[i].pid,
					     due[i].token);
			}
		}
		fired += n;
		if (n < FIRE_BATCH)
			return fired;
	}
}

unsigned ot__timers_fire(struct ot__sched *s, int64_t now)
{
	/* Another thread is at it (s's own, or one firing for a stuck s):
	 * it delivers them, in order; two at once could interleave their
	 * batches. */
	if (atomic_exchange_explicit(&s->firing, true, memory_order_acquire))
		return 0;
	unsigned fired = fire_due(s, now);
	atomic_store_explicit(&s->firing, false, memory_order_release);
	return fired;
}

int64_t ot__timers_next(struct ot__sched *s)
{
	return atomic_load_explicit(&s->timer_next, memory_order_relaxed);
}

void ot__timers_fini(struct ot__sched *s)
{
	struct ot__send_timer *st;
	while ((st = RB_MIN(ot__tidtree, &s->send_ids))) {
		unindex(s, st);
		RB_REMOVE(ot__ttree, &s->timers, &st->node);
		ot_msg_free(st->msg);
		free(st);
		atomic_fetch_sub_explicit(&ot__rt.ntimers, 1,
					  memory_order_relaxed);
	}
	OT__ASSERT(RB_EMPTY(&s->timers));
}

/* ---------------------------------------------------------------------
 * The API
 */
int ot__send_after(int timeout_ms, ot_pid to, uint64_t tag, const void *data,
		   size_t size, ot_timer *out)
{
	int rc = ot__check_payload(data, size);
	if (rc)
		return rc;
	bool remote = OT__UNLIKELY(!ot__pid_well_formed(to));
	if (timeout_ms < 0 || (remote && !ot__pid_remote_form(to)) ||
	    tag >= OT_TAG_SYSTEM)
		return OT_EINVAL;
	if ((rc = ot__running_check()) != 0)
		return rc;
	struct ot__proc *self = ot__caller();
	ot_pid from = self ? ot__pid_of(self) : OT_PID_NONE;
	struct ot_msg *m;
	if (remote) {
		/* A timer to the library's relay, which sends it on. */
		if ((rc = ot__remote_timer_msg(from, &to, tag, data, size,
					       &m)) != 0)
			return rc;
	} else {
		m = ot__msg_new_copy(from, tag, data, size, 0);
	}
	struct ot__send_timer *st = malloc(sizeof *st);
	if (!st || !m) {
		free(st);
		ot_msg_free(m);
		return OT_ENOMEM;
	}
	st->node.kind = OT__T_SEND;
	st->to = to;
	st->msg = m;
	/* All timers to one receiver live in one tree, so they fire in the
	 * order of their deadlines (ties: in the order they were started). */
	struct ot__sched *here = ot__sched_self();
	struct ot__sched *s = home_of(to);
	int64_t deadline = ot__deadline_after(timeout_ms);
	ot__spin_lock(&s->timer_lock);
	bool earliest = insert(s, &st->node, deadline);
	uint64_t id = (st->node.seq << 10) | s->index;
	st->id = id;
	RB_INSERT(ot__tidtree, &s->send_ids, st);
	RB_INSERT(ot__tdesttree, &s->send_dests, st);
	atomic_store_explicit(
	    &s->nsend,
	    atomic_load_explicit(&s->nsend, memory_order_relaxed) + 1,
	    memory_order_relaxed);
	/* Counted before it can fire (and be uncounted). */
	atomic_fetch_add_explicit(&ot__rt.ntimers, 1, memory_order_relaxed);
	ot__spin_unlock(&s->timer_lock);
	/* st may have fired and been freed from here on. A destination that
	 * is dead now (or ended while we armed) takes the timer with it:
	 * its end either came after our insert, and found the timer, or
	 * before our look at it under its lock, which sees it dead. */
	if (!ot__is_alive(to)) {
		ot__cancel_timer((ot_timer){id}, NULL);
	} else if (earliest && s != here) {
		ot__sched_kick(s);
	}
	if (out)
		out->id = id;
	return 0;
}

void ot__timers_drop_to(ot_pid pid)
{
	if (!ot__rt.nsched)
		return;
	struct ot__sched *s = home_of(pid);
	/* No lock when the scheduler holds none (most ends): a timer armed
	 * meanwhile sees pid dead and cancels itself (ot__send_after). */
	if (atomic_load_explicit(&s->nsend, memory_order_relaxed) == 0)
		return;
	struct ot__send_timer *st, *next, *dropped = NULL;
	struct ot__send_timer key = {.to = pid, .id = 0};
	ot__spin_lock(&s->timer_lock);
	for (st = RB_NFIND(ot__tdesttree, &s->send_dests, &key);
	     st && st->to.id == pid.id; st = next) {
		next = RB_NEXT(ot__tdesttree, &s->send_dests, st);
		unindex(s, st);
		RB_REMOVE(ot__ttree, &s->timers, &st->node);
		st->node.seq = (uint64_t)(uintptr_t)dropped; /* a list */
		dropped = st;
	}
	update_next(s);
	ot__spin_unlock(&s->timer_lock);
	while ((st = dropped)) {
		dropped = (struct ot__send_timer *)(uintptr_t)st->node.seq;
		ot_msg_free(st->msg);
		free(st);
		atomic_fetch_sub_explicit(&ot__rt.ntimers, 1,
					  memory_order_relaxed);
	}
}

int ot__cancel_timer(ot_timer timer, int *remaining_ms)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	unsigned idx = (unsigned)(timer.id & 1023);
	if (timer.id == 0 || idx >= ot__rt.nsched)
		return OT_ENOTIMER;
	struct ot__sched *s = &ot__rt.scheds[idx];
	struct ot__send_timer key = {.id = timer.id};
	ot__spin_lock(&s->timer_lock);
	struct ot__send_timer *st = RB_FIND(ot__tidtree, &s->send_ids, &key);
	if (st) {
		unindex(s, st);
		RB_REMOVE(ot__ttree, &s->timers, &st->node);
		update_next(s);
	}
	ot__spin_unlock(&s->timer_lock);
	if (!st)
		return OT_ENOTIMER;
	if (remaining_ms) {
		int64_t left = st->node.deadline - ot__now_ns();
		*remaining_ms =
		    left > 0 ? (int)((left + OT__NS_PER_MS - 1) / OT__NS_PER_MS)
			     : 0;
	}
	ot_msg_free(st->msg);
	free(st);
	atomic_fetch_sub_explicit(&ot__rt.ntimers, 1, memory_order_relaxed);
	return 0;
}

int ot__sleep(int timeout_ms)
{
	if (timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *p = ot__caller();
	if (!p)
		return rc ? rc : OT_ENOMEM;
	if (timeout_ms == 0)
		return ot_in_process() ? ot_yield() : 0;
	int64_t deadline = ot__deadline_after(timeout_ms);
	for (;;) {
		rc = ot__park(p, 0, deadline);
		if (rc == OT_ETIMEDOUT)
			return 0;
		if (rc)
			return rc;
		if (deadline != OT__NO_DEADLINE && ot__now_ns() >= deadline)
			return 0;
	}
}
