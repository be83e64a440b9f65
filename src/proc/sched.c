/* SPDX-License-Identifier: MIT */
/*
 * sched.c — the schedulers: N pthreads that run processes.
 *
 * Each scheduler has a run queue (spinlock) and a `runnext` slot that only
 * it touches. A process woken by a message from a process running on the
 * same scheduler goes to runnext: the receiver runs next, on the same core,
 * without a lock or a cross-core wake (a ping-pong never leaves its core).
 * Spawned processes and wakes from elsewhere go to a run queue, and when
 * some scheduler is parked and none is already looking for work, one is
 * woken to steal: that is how two busy processes end up on two cores while
 * a message round trip never pays the ~28 µs of waking a parked thread.
 *
 * A thief takes only from a run queue that has been busy (never empty)
 * for STEAL_AFTER_NS: a scheduler that drains its queue by itself keeps
 * its work. A batch of spawned children then runs where it was spawned,
 * with its EXITs to a parent on the same core, instead of half of it
 * crossing over as it is queued; two busy processes, or a scheduler
 * stuck in one, still lose work to an idle one within that time.
 *
 * An idle scheduler fires its timers, steals, spins for a few microseconds
 * (find_work(); yielding its core to any other thread now and then), then
 * parks (park.c), where it also watches the busy
 * schedulers: a process that never yields keeps its thread (scheduling
 * is cooperative), not the rest of its scheduler's work.
 *
 * A process never cleans up after itself: it switches to its scheduler with
 * an action (yield, park, exit) and the scheduler acts on it from its own
 * stack (an ended one is reclaimed there: lifecycle.c). Parking in
 * particular is decided there, under the process's lock, after the
 * process's context is saved, so a waker can never resume a context that
 * is still being switched out.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block.h"
#include "ctx.h"
#include "fault.h"
#include "foreign.h"
#include "gate.h"
#include "lifecycle.h"
#include "lock.h"
#include "mailbox.h"
#include "park.h"
#include "poller.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "stack.h"
#include "timer.h"

/* How often (in scheduling rounds) a busy scheduler looks at its timers and
 * gives its run queue precedence over runnext. */
#define TIMER_CHECK_EVERY  32
#define RUNNEXT_STREAK_MAX 64
/* How long a run queue must have been busy (never empty) before another
 * scheduler steals from it: a scheduler that drains its queue by itself
 * keeps its work, and its caches (a batch of spawned children, their
 * EXITs to their parent). */
#define STEAL_AFTER_NS (500 * 1000)
/* How long an idle scheduler looks for work before it parks. */
#define SPIN_NS (50 * 1000)

static __thread struct ot__sched *tls_sched
    __attribute__((tls_model("initial-exec")));
__thread unsigned ot__locks_held __attribute__((tls_model("initial-exec")));

/* noinline: a process may resume on another thread, so the thread-local
 * must be read afresh after every switch, never cached by the compiler. */
__attribute__((noinline)) struct ot__sched *ot__sched_self(void)
{
	return tls_sched;
}

__attribute__((noinline)) struct ot__proc *ot__current(void)
{
	struct ot__sched *s = tls_sched;
	if (s)
		return s->current;
	return ot__foreign_self(false);
}

struct ot__proc *ot__caller(void)
{
	struct ot__proc *p = ot__current();
	return p ? p : ot__foreign_self(true);
}

/* ---------------------------------------------------------------------
 * Run queues
 */
static void runq_push(struct ot__sched *s, struct ot__proc *p)
{
	ot__spin_lock(&s->rq_lock);
	/* Only thieves read the stamp: one scheduler has none, and skips
	 * the clock. */
	if (ot__rt.nsched > 1 && STAILQ_EMPTY(&s->runq))
		atomic_store_explicit(&s->rq_since, ot__now_ns(),
				      memory_order_relaxed);
	STAILQ_INSERT_TAIL(&s->runq, p, runq_link);
	atomic_fetch_add(&s->rq_len, 1); /* seq_cst: see the file comment */
	ot__spin_unlock(&s->rq_lock);
}

static struct ot__proc *runq_pop(struct ot__sched *s)
{
	if (atomic_load_explicit(&s->rq_len, memory_order_relaxed) == 0)
		return NULL;
	ot__spin_lock(&s->rq_lock);
	struct ot__proc *p = STAILQ_FIRST(&s->runq);
	if (p) {
		STAILQ_REMOVE_HEAD(&s->runq, runq_link);
		atomic_fetch_sub_explicit(&s->rq_len, 1, memory_order_relaxed);
	}
	ot__spin_unlock(&s->rq_lock);
	return p;
}

/* Takes about half of victim's queue into thief's; returns one to run. */
static struct ot__proc *runq_steal(struct ot__sched *thief,
				   struct ot__sched *victim)
{
	/* Work stays where it is until that run queue has been busy for
	 * STEAL_AFTER_NS. The thief does not sleep on it meanwhile: park()
	 * does not while any run queue holds work. The stamp is read before
	 * rq_len, which the victim writes at every push and pop: a thief
	 * spinning on a young queue leaves that line alone (taking it at
	 * each turn cost spawn_s2 15%). */
	if (ot__now_ns() -
		atomic_load_explicit(&victim->rq_since, memory_order_relaxed) <
	    STEAL_AFTER_NS)
		return NULL;
	if (atomic_load_explicit(&victim->rq_len, memory_order_relaxed) == 0)
		return NULL;
	struct ot__procq got = STAILQ_HEAD_INITIALIZER(got);
	size_t n = 0;
	ot__spin_lock(&victim->rq_lock);
	size_t len =
	    atomic_load_explicit(&victim->rq_len, memory_order_relaxed);
	size_t want = (len + 1) / 2;
	while (n < want) {
		struct ot__proc *p = STAILQ_FIRST(&victim->runq);
		if (!p)
			break;
		STAILQ_REMOVE_HEAD(&victim->runq, runq_link);
		STAILQ_INSERT_TAIL(&got, p, runq_link);
		n++;
	}
	atomic_fetch_sub_explicit(&victim->rq_len, n, memory_order_relaxed);
	ot__spin_unlock(&victim->rq_lock);
	struct ot__proc *first = STAILQ_FIRST(&got);
	if (!first)
		return NULL;
	STAILQ_REMOVE_HEAD(&got, runq_link);
	if (!STAILQ_EMPTY(&got)) {
		ot__spin_lock(&thief->rq_lock);
		STAILQ_CONCAT(&thief->runq, &got);
		atomic_fetch_add(&thief->rq_len, n - 1);
		ot__spin_unlock(&thief->rq_lock);
	}
	return first;
}

void ot__ready(struct ot__proc *p)
{
	struct ot__sched *self = ot__sched_self();
	if (self && self->current) {
		/* Woken by the process running here: it runs next, here. */
		struct ot__proc *old = self->runnext;
		self->runnext = p;
		if (old) {
			runq_push(self, old);
			ot__sched_spread(self);
		}
		return;
	}
	struct ot__sched *home = p->home;
	if (self && !home)
		home = self;
	if (!home)
		home = &ot__rt.scheds[0];
	runq_push(home, p);
	/* If home is busy (it may run a process that does not yield for a
	 * while), a parked scheduler comes to steal p rather than let it
	 * wait behind. */
	if (home == self || !ot__sched_kick(home))
		ot__sched_spread(home);
}

void ot__ready_polled(struct ot__sched *s, struct ot__proc *p)
{
	/* s is awake with nothing to run, or between two processes: it runs
	 * p, and spreads what it cannot run once the poll is done. */
	runq_push(s, p);
}

void ot__ready_new(struct ot__proc *p)
{
	struct ot__sched *self = ot__sched_self();
	if (self) {
		p->home = self;
		runq_push(self, p);
		ot__sched_spread(self);
		return;
	}
	unsigned i = atomic_fetch_add_explicit(&ot__rt.spawn_rr, 1,
					       memory_order_relaxed);
	struct ot__sched *s = &ot__rt.scheds[i % ot__rt.nsched];
	p->home = s;
	runq_push(s, p);
	ot__sched_kick(s);
}

/* ---------------------------------------------------------------------
 * The process side: switching out
 */
/* Ends p with `killed` if someone (shutdown) asked for it, or with its
 * mailbox limit's reason. */
static void check_killed(struct ot__proc *p)
{
	if (atomic_load_explicit(&p->kill_pending, memory_order_acquire)) {
		ot_reason killed = OT__UNLIKELY(ot__limit_killed(p))
				       ? ot__limit_reason(p)
				       : ot__reason(OT_REASON_KILLED);
		ot__proc_exit(p, &killed);
	}
}

/* After a switch back in: act on a kill, then on signals that arrived. */
static void resumed(struct ot__proc *p)
{
	p->budget_spent = 0;
	check_killed(p);
	if (atomic_load_explicit(&p->inbox_signals, memory_order_relaxed))
		ot__mailbox_take(p);
}

/* Kept out of proc_main: a reason on its frame would stay on the stack,
 * and be saved with the frames, for the whole life of every process. */
__attribute__((noinline, noreturn)) static void
exit_normally(struct ot__proc *p)
{
	ot_reason normal = ot_reason_normal();
	ot__proc_exit(p, &normal);
}

/* The entry of every process, on its stack: the bottom of the frames a
 * waiting process keeps, so it keeps its own frame small. */
static void proc_main(void *arg)
{
	struct ot__proc *p = arg;
	ot__ctx_started();
	/* Signals that came before it first ran (a kill racing the spawn, an
	 * exit signal from its parent) are acted on before its code runs. */
	resumed(p);
	p->fn(p->arg);
	exit_normally(p);
}

int ot__park(struct ot__proc *p, unsigned wake_flags, int64_t deadline)
{
	if (OT__UNLIKELY(p->foreign))
		return ot__foreign_park(p, wake_flags, deadline);
	p->wait_flags = wake_flags;
	p->park_deadline = deadline;
	p->timed_out = false;
	p->action = OT__A_PARK;
	ot__switch_out(p, false);
	/* Resumed, possibly on another scheduler thread. */
	if (deadline != OT__NO_DEADLINE)
		ot__timer_disarm_wait(p);
	resumed(p);
	return p->timed_out ? OT_ETIMEDOUT : 0;
}

int ot__yield(void)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__sched *s = ot__sched_self();
	if (!s || !s->current)
		return OT_ENOTPROC;
	struct ot__proc *p = s->current;
	p->action = OT__A_YIELD;
	ot__switch_out(p, false);
	resumed(p);
	return 0;
}

/* ---------------------------------------------------------------------
 * Waking a parked process
 */
bool ot__wake_locked(struct ot__proc *p, unsigned flags)
{
	if (atomic_load_explicit(&p->state, memory_order_relaxed) !=
		OT__P_WAITING ||
	    (flags && !(p->wait_flags & flags)))
		return false;
	atomic_store_explicit(&p->state, OT__P_RUNNABLE, memory_order_relaxed);
	if (OT__UNLIKELY(p->foreign)) {
		/* Signalled under p->lock: the thread cannot detach (and free
		 * what it waits on) while we hold it. */
		ot__foreign_wake(p);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * The scheduler side
 */

/* Called with p switched out and asking to park: park it, unless what it
 * waits for is already there. Returns true if p stays runnable. */
static bool park_proc(struct ot__sched *s, struct ot__proc *p)
{
	ot__spin_lock(&p->lock);
	/* An exit signal that came while it was still running wakes it
	 * whatever it waits for (a sleep or an fd wait too), as it would
	 * have woken it parked. */
	bool ready =
	    atomic_load_explicit(&p->kill_pending, memory_order_relaxed) ||
	    atomic_load_explicit(&p->inbox_signals, memory_order_relaxed) !=
		0 ||
	    ((p->wait_flags & OT__WAKE_MSG) && !TAILQ_EMPTY(&p->inbox)) ||
	    ((p->wait_flags & OT__WAKE_FD) && p->fd_revents != 0);
	/* No look at the clock for a deadline already past (a clock read is
	 * ~20 ns, 5% of a call): its timer fires at s's next look at its
	 * timers, within TIMER_CHECK_EVERY rounds. */
	if (!ready && p->park_deadline != OT__NO_DEADLINE) {
		p->wait_token++;
		ot__timer_arm_wait(s, p, p->park_deadline);
	}
	atomic_store_explicit(&p->state, ready ? OT__P_RUNNABLE : OT__P_WAITING,
			      memory_order_relaxed);
	ot__spin_unlock(&p->lock);
	return ready;
}

/* Queues again the processes that waited for a stack s gave back. */
static void requeue_waiters(struct ot__sched *s, struct ot__proc *w)
{
	while (w) {
		struct ot__proc *next = STAILQ_NEXT(w, runq_link);
		runq_push(s, w);
		w = next;
	}
	ot__sched_spread(s);
}

/* Puts p's frames on its stack; false when p cannot run now (it waits for
 * its stack, or is queued again). */
static bool enter_stack(struct ot__sched *s, struct ot__proc *p)
{
	/* A new process's stack: the one a process just left by ending here
	 * (its top is still in this core's cache: a spawn and exit loop
	 * reuses one stack), else round-robin, each scheduler on its own
	 * turn of the class's stacks, so that no counter is shared. */
	size_t which = 0;
	if (OT__UNLIKELY(!p->stack)) {
		struct ot__stack *left = s->stack_left;
		if (left && left->size == ot__stack_pool_size(p->pool))
			p->stack = left;
		else
			which =
			    (size_t)s->bind_next++ * ot__rt.nsched + s->index;
	}
	s->stack_left = NULL;
	enum ot__enter e = ot__stack_enter(p, which);
	if (OT__LIKELY(e == OT__ENTERED)) {
		if (OT__UNLIKELY(!p->started)) {
			struct ot__stack *st = p->stack;
			ot__ctx_make(&p->ctx, st->lo,
				     (size_t)(st->top - st->lo), proc_main, p);
			p->started = true;
		}
		return true;
	}
	if (e == OT__ENTER_NOMEM) {
		/* No memory to save the frames that are on its stack: it
		 * tries again after the others had their turn. */
		struct ot__proc *w = ot__stack_leave(p, false);
		runq_push(s, p);
		if (w)
			requeue_waiters(s, w);
	}
	return false;
}

static void run(struct ot__sched *s, struct ot__proc *p)
{
	OT__DEBUG_ASSERT(!s->current);
	if (OT__UNLIKELY(!enter_stack(s, p)))
		return;
	s->current = p;
	p->running_on = s;
	p->home = s;
	atomic_store_explicit(&p->state, OT__P_RUNNING, memory_order_relaxed);
	ot__ctx_switch(&s->ctx, &p->ctx, false);
	s->current = NULL;
	/* Its context is saved: another scheduler may take the stack (and
	 * evict p's frames) from here on, before p is even parked. */
	bool ended = p->action == OT__A_EXIT;
	struct ot__proc *w = ot__stack_leave(p, ended);
	if (OT__UNLIKELY(w))
		requeue_waiters(s, w);
	if (ended)
		s->stack_left = p->stack;

	switch (p->action) {
	case OT__A_YIELD:
		atomic_store_explicit(&p->state, OT__P_RUNNABLE,
				      memory_order_relaxed);
		runq_push(s, p);
		/* Others wait here besides p: a parked scheduler could run
		 * them (two busy processes belong on two cores). */
		if (atomic_load_explicit(&s->rq_len, memory_order_relaxed) >
			1 ||
		    s->runnext)
			ot__sched_spread(s);
		break;
	case OT__A_PARK:
		if (park_proc(s, p)) {
			/* What it waited for came already: run it next. */
			if (s->runnext)
				runq_push(s, s->runnext);
			s->runnext = p;
		}
		break;
	case OT__A_EXIT:
		ot__proc_reclaim(p);
		break;
	}
}

static struct ot__proc *take_local(struct ot__sched *s)
{
	struct ot__proc *p = s->runnext;
	if (p &&
	    (s->runnext_streak < RUNNEXT_STREAK_MAX ||
	     atomic_load_explicit(&s->rq_len, memory_order_relaxed) == 0)) {
		s->runnext = NULL;
		s->runnext_streak++;
		return p;
	}
	/* Fairness: a pair that keeps waking each other through runnext
	 * lets the run queue go first now and then. */
	s->runnext_streak = 0;
	struct ot__proc *q = runq_pop(s);
	if (q)
		return q;
	if (p) {
		s->runnext = NULL;
		return p;
	}
	return NULL;
}

static void check_timers(struct ot__sched *s)
{
	if (atomic_load_explicit(&s->timer_next, memory_order_relaxed) ==
	    OT__NO_DEADLINE)
		return;
	ot__timers_fire(s, ot__now_ns());
}

static struct ot__proc *steal_any(struct ot__sched *s)
{
	unsigned n = ot__rt.nsched;
	for (unsigned k = 1; k < n; k++) {
		struct ot__proc *p =
		    runq_steal(s, &ot__rt.scheds[(s->index + k) % n]);
		if (p)
			return p;
	}
	return NULL;
}

/* A look at the descriptors by s, busy or about to park, when nobody owns
 * the poll: what it wakes runs here, the rest is spread. */
static void peek_poll(struct ot__sched *s)
{
	if (ot__poll_peek(s) &&
	    atomic_load_explicit(&s->rq_len, memory_order_relaxed) > 1)
		ot__sched_spread(s);
}

/* The next process for s to run, or NULL when the runtime stops. */
static struct ot__proc *find_work(struct ot__sched *s)
{
	struct ot__proc *p;
	atomic_store_explicit(&s->rounds, ++s->ticks, memory_order_relaxed);
	if (s->ticks % TIMER_CHECK_EVERY == 0) {
		check_timers(s);
		peek_poll(s);
	}
	if ((p = take_local(s)))
		return p;
	bool again = false;
	for (;;) {
		if (again && s->watching) {
			ot__sched_watch_others(s);
			/* Between two parks of a watch: a look at the poll
			 * too, if nobody owns it (one system call a wake, at
			 * most every WATCH_NS or so). */
			peek_poll(s);
		}
		check_timers(s);
		if ((p = take_local(s)) || (p = steal_any(s)))
			return p;
		if (atomic_load(&ot__rt.stop_scheds))
			return NULL;
		/* Back from a look at the others, or handed the poll, with
		 * nothing to do: no spin (that would be 50 us of every
		 * WATCH_NS, or of every fd wake). */
		if (again) {
			again = ot__sched_park(s);
			continue;
		}
		/* Spin a little: work often comes back within microseconds,
		 * and waking a parked thread costs tens of them. */
		atomic_fetch_add(&ot__rt.nspinning, 1);
		int64_t until = ot__now_ns() + SPIN_NS;
		unsigned turn = 0;
		do {
			for (int i = 0; i < 64; i++)
				ot__cpu_relax();
			/* Now and then the core goes to any other thread that
			 * wants it (of this program, or another program on a
			 * machine with fewer cores than runnable threads: an
			 * Erlang node beside this one) rather than to the
			 * spin; not at every turn, where the system call
			 * delays the look at the poll (sockping_s1 0.92). */
			if (++turn % 8 == 0)
				sched_yield();
			check_timers(s);
			peek_poll(s);
			if ((p = take_local(s)) || (p = steal_any(s)))
				break;
		} while (ot__now_ns() < until &&
			 !atomic_load(&ot__rt.stop_scheds));
		atomic_fetch_sub(&ot__rt.nspinning, 1);
		if (p) {
			/* Found work while others may be parked: pass the baton
			 * so that remaining work finds a thread too. */
			if (atomic_load_explicit(&s->rq_len,
						 memory_order_relaxed))
				ot__sched_spread(s);
			return p;
		}
		again = ot__sched_park(s);
	}
}

static void *sched_main(void *arg)
{
	struct ot__sched *s = arg;
	tls_sched = s;
	ot__ctx_of_thread(&s->ctx);
	/* Without its alternate stack a scheduler still runs; a process
	 * that overflows its stack then takes the program down. */
	if (ot__fault_thread_init(s) != 0)
		fprintf(stderr,
			"otter: scheduler %u has no alternate signal "
			"stack; stack overflows will not be trapped\n",
			s->index);
	struct ot__proc *p;
	while ((p = find_work(s)))
		run(s, p);
	ot__fault_thread_fini(s);
	tls_sched = NULL;
	return NULL;
}

/* ---------------------------------------------------------------------
 * The calling process
 */
ot_pid ot__self(void)
{
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_PID_NONE;
	struct ot__sched *s = ot__sched_self();
	if (s && s->current)
		return ot__pid_of(s->current);
	struct ot__proc *p = ot__foreign_self(true);
	return p ? ot__pid_of(p) : OT_PID_NONE;
}

bool ot_in_process(void)
{
	struct ot__sched *s = ot__sched_self();
	return s && s->current;
}

/* ---------------------------------------------------------------------
 * Starting and stopping the threads
 */
int ot__scheds_start(unsigned n)
{
	ot__rt.scheds = aligned_alloc(64, sizeof *ot__rt.scheds * n);
	if (!ot__rt.scheds)
		return OT_ENOMEM;
	memset(ot__rt.scheds, 0, sizeof *ot__rt.scheds * n);
	for (unsigned i = 0; i < n; i++) {
		ot__rt.scheds[i].seen = calloc(n, sizeof(unsigned));
		if (!ot__rt.scheds[i].seen) {
			while (i--)
				free(ot__rt.scheds[i].seen);
			free(ot__rt.scheds);
			ot__rt.scheds = NULL;
			return OT_ENOMEM;
		}
	}
	ot__rt.nsched = n;
	atomic_store(&ot__rt.stop_scheds, false);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (unsigned i = 0; i < n; i++) {
		struct ot__sched *s = &ot__rt.scheds[i];
		s->index = i;
		STAILQ_INIT(&s->runq);
		pthread_mutex_init(&s->park_lock, NULL);
		pthread_cond_init(&s->park_cond, &ca);
		ot__timers_init(s);
	}
	pthread_condattr_destroy(&ca);
	for (unsigned i = 0; i < n; i++) {
		int err = pthread_create(&ot__rt.scheds[i].thread, NULL,
					 sched_main, &ot__rt.scheds[i]);
		if (err != 0) {
			ot__rt.nsched = i; /* stop and join those started */
			ot__scheds_stop();
			return ot__sys_error(err);
		}
	}
	return 0;
}

void ot__scheds_stop(void)
{
	atomic_store(&ot__rt.stop_scheds, true);
	for (unsigned i = 0; i < ot__rt.nsched; i++) {
		struct ot__sched *s = &ot__rt.scheds[i];
		pthread_mutex_lock(&s->park_lock);
		ot__sched_wake_locked(s);
		pthread_mutex_unlock(&s->park_lock);
	}
	for (unsigned i = 0; i < ot__rt.nsched; i++)
		pthread_join(ot__rt.scheds[i].thread, NULL);
	for (unsigned i = 0; i < ot__rt.nsched; i++) {
		struct ot__sched *s = &ot__rt.scheds[i];
		ot__timers_fini(s);
		ot__block_cache_fini(s);
		ot__table_sched_fini(s);
		pthread_mutex_destroy(&s->park_lock);
		pthread_cond_destroy(&s->park_cond);
		free(s->seen);
	}
	free(ot__rt.scheds);
	ot__rt.scheds = NULL;
	ot__rt.nsched = 0;
}
