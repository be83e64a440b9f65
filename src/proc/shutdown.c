/* SPDX-License-Identifier: MIT */
/*
 * shutdown.c — how the processes end at ot_shutdown(): the roots in order,
 * then the rest.
 *
 * A root is a process that a foreign thread spawned. Started from outside
 * any process, it has no parent inside the runtime to stop it, so the
 * shutdown plays that parent, as Erlang's application master does for the
 * top supervisor of an application: each root, newest first, gets an exit
 * signal `shutdown` from the thread that spawned it, and is waited for. A
 * gen_server started from a foreign thread, a supervisor included, takes
 * it as its parent's EXIT: it runs terminate, and a supervisor stops its
 * children there, in reverse order, each with its own shutdown policy. A
 * root that does not trap exits simply ends with reason shutdown. Nothing
 * here knows about servers: the rule is the same for every process.
 *
 * A root that does not trap exits runs no code of its own once the signal
 * comes, so a run of those is signalled at once (WINDOW of them at most:
 * each signal is a message) and waited for together; one that traps is
 * signalled alone, after every newer root has gone.
 *
 * The roots have until one deadline in all (ot_config.shutdown_timeout_ms).
 * Then the runtime is ending: every process still alive is killed
 * (reason killed, at its next wait or yield), again and again until the
 * last one has been reclaimed, since a spawn that passed its check just
 * before may still add one.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "foreign.h"
#include "lifecycle.h"
#include "lock.h"
#include "mailbox.h"
#include "poller.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "timer.h"

/* Roots signalled before they are waited for, when none traps exits. */
#define WINDOW 1024
/* The longest a wait sleeps before it looks again. */
#define POLL_NS (10 * OT__NS_PER_MS)

/* Orders the roots: the count of foreign spawns, over every run. */
static _Atomic uint64_t roots_made;

void ot__root_note(struct ot__proc *p)
{
	if (ot__sched_self())
		return; /* spawned from a scheduler thread: not a root */
	struct ot__proc *thread = ot__foreign_self(false);
	p->spawner = thread ? ot__pid_of(thread) : OT_PID_NONE;
	p->root_seq =
	    atomic_fetch_add_explicit(&roots_made, 1, memory_order_relaxed) + 1;
}

struct root {
	uint64_t seq;
	ot_pid pid, spawner;
};

struct roots {
	struct root *v;
	size_t n, cap;
};

/* ot__table_foreach(): adds p to the roots if it is a live one. */
static void collect(struct ot__proc *p, void *arg)
{
	struct roots *rs = arg;
	ot_pid pid = ot__pid_of(p);
	if (!ot__proc_lock_alive(p, pid))
		return;
	struct root r = {p->root_seq, pid, p->spawner};
	ot__spin_unlock(&p->lock);
	if (!r.seq)
		return;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 64;
		struct root *v = reallocarray(rs->v, cap, sizeof *v);
		if (!v)
			return; /* out of memory: it is killed with the rest */
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = r;
}

static int newest_first(const void *a, const void *b)
{
	uint64_t x = ((const struct root *)a)->seq;
	uint64_t y = ((const struct root *)b)->seq;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* -1 when pid is dead, else whether it traps exits (0 or 1). */
static int look(ot_pid pid)
{
	struct ot__proc *p = ot__table_lookup(pid);
	if (!p || !ot__proc_lock_alive(p, pid))
		return -1;
	int traps = atomic_load_explicit(&p->trap_exit, memory_order_relaxed);
	ot__spin_unlock(&p->lock);
	return traps;
}

/* exit(root, shutdown), as from the thread that spawned it. */
static void signal_root(const struct root *r)
{
	ot_exit_info info = {.from = r->spawner,
			     .reason = ot_reason_shutdown()};
	struct ot_msg *m =
	    ot__msg_new_copy(r->spawner, OT_TAG_EXIT, &info, sizeof info, 0);
	if (!m) {
		/* No memory for the signal: a kill needs none. */
		struct ot__proc *p = ot__table_lookup(r->pid);
		if (p)
			ot__proc_kill(p, r->pid);
		return;
	}
	m->kind = OT__M_EXIT_SIGNAL;
	ot__deliver(r->pid, m);
}

/* Sleeps on exit_cond (held) until deadline, POLL_NS at most. */
static void wait_a_little(int64_t deadline)
{
	int64_t step = POLL_NS;
	if (deadline != OT__NO_DEADLINE) {
		int64_t left = deadline - ot__now_ns();
		if (left < step)
			step = left > 0 ? left : 0;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ns = ts.tv_nsec + step;
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	pthread_cond_timedwait(&ot__rt.exit_cond, &ot__rt.exit_lock, &ts);
}

/* Waits until pid is dead; false if the deadline came first. Each end
 * of a process signals exit_cond (ot__note_exit()). */
static bool wait_dead(ot_pid pid, int64_t deadline)
{
	bool dead;
	pthread_mutex_lock(&ot__rt.exit_lock);
	while (!(dead = look(pid) < 0) && ot__now_ns() < deadline)
		wait_a_little(deadline);
	pthread_mutex_unlock(&ot__rt.exit_lock);
	return dead;
}

static void stop_roots(int64_t deadline)
{
	struct roots rs = {0};
	ot__table_foreach(collect, &rs);
	if (rs.n > 1)
		qsort(rs.v, rs.n, sizeof *rs.v, newest_first);
	size_t i = 0;
	while (i < rs.n && ot__now_ns() < deadline) {
		int traps = look(rs.v[i].pid);
		size_t j = i + 1;
		if (traps >= 0)
			signal_root(&rs.v[i]);
		/* With it, the next ones that do not trap, up to one that does.
		 */
		for (; traps == 0 && j < rs.n && j - i < WINDOW; j++) {
			int next = look(rs.v[j].pid);
			if (next == 1)
				break;
			if (next == 0)
				signal_root(&rs.v[j]);
		}
		for (; i < j; i++)
			if (!wait_dead(rs.v[i].pid, deadline))
				break;
		i = j;
	}
	free(rs.v);
}

static void kill_one(struct ot__proc *p, void *arg)
{
	(void)arg;
	ot__proc_kill(p, ot__pid_of(p));
}

static void kill_the_rest(void)
{
	pthread_mutex_lock(&ot__rt.exit_lock);
	while (atomic_load(&ot__rt.nprocs) > 0) {
		pthread_mutex_unlock(&ot__rt.exit_lock);
		ot__table_foreach(kill_one, NULL);
		pthread_mutex_lock(&ot__rt.exit_lock);
		if (atomic_load(&ot__rt.nprocs) == 0)
			break;
		wait_a_little(OT__NO_DEADLINE);
	}
	pthread_mutex_unlock(&ot__rt.exit_lock);
}

void ot__shutdown_processes(void)
{
	int64_t deadline =
	    ot__rt.shutdown_ms == OT_INFINITY
		? OT__NO_DEADLINE
		: ot__now_ns() + (int64_t)ot__rt.shutdown_ms * OT__NS_PER_MS;
	stop_roots(deadline);
	/* Ending: processes are refused new work from now on, and the
	 * poller goes (a process that waits for a descriptor is killed). */
	atomic_store(&ot__rt.state, OT__R_ENDING);
	ot__poll_stop();
	kill_the_rest();
}
