/* SPDX-License-Identifier: MIT */
/*
 * foreign.c — threads that are not schedulers (main, the program's own
 * pthreads) as processes.
 *
 * A foreign thread that sends, receives or asks for its pid is attached:
 * it gets a process structure (a pid, a mailbox) with no stack, since it is
 * never scheduled. Where a process would switch to its scheduler to wait,
 * a foreign thread sleeps on its own condition variable; a waker signals it
 * while holding the process's lock, so the thread cannot detach (and free
 * the condition variable) under the waker's feet.
 *
 * Attachment lives in thread-local storage tagged with the runtime's start
 * epoch, so a thread attached to an earlier run is not confused after a
 * restart, and a pthread key detaches the thread when it exits.
 *
 * Every use of a thread's record is inside the gate (gate.c), the exit
 * of a thread included: shutdown frees the records of the threads still
 * attached only once none is inside, and a thread let in again after a
 * restart finds its old record outdated by the epoch, never touched.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "foreign.h"
#include "gate.h"
#include "lifecycle.h"
#include "lock.h"
#include "poller.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "timer.h"

struct ot__foreign {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	bool woken;	     /* mu */
	struct ot__proc *proc;
	LIST_ENTRY(ot__foreign) link; /* fr.lock */
};

static struct {
	pthread_mutex_t lock;
	LIST_HEAD(, ot__foreign) all; /* lock */
	pthread_key_t key;
	bool key_made;
	_Atomic uint64_t epoch; /* bumped by every ot__foreign_init() */
} fr = {.lock = PTHREAD_MUTEX_INITIALIZER};

static __thread struct ot__foreign *tls_foreign
    __attribute__((tls_model("initial-exec")));
static __thread uint64_t tls_epoch __attribute__((tls_model("initial-exec")));

static void detach(struct ot__foreign *f);

/* The pthread key destructor: a thread that exits is detached. Turned
 * away at the gate, it has nothing to do: shutdown detaches it. */
static void on_thread_exit(void *value)
{
	int g = ot__gate_enter();
	if (g < 0)
		return;
	detach(value);
	ot__gate_leave(g, 0);
}

int ot__foreign_init(void)
{
	LIST_INIT(&fr.all);
	atomic_fetch_add(&fr.epoch, 1);
	int err = pthread_key_create(&fr.key, on_thread_exit);
	if (err != 0)
		return ot__sys_error(err);
	fr.key_made = true;
	return 0;
}

void ot__foreign_fini(void)
{
	if (fr.key_made)
		pthread_key_delete(fr.key);
	fr.key_made = false;
}

static struct ot__foreign *attached(void)
{
	struct ot__foreign *f = tls_foreign;
	if (f && tls_epoch == atomic_load(&fr.epoch) &&
	    __atomic_load_n(&ot__rt.nsched, __ATOMIC_RELAXED))
		return f;
	return NULL;
}

struct ot__proc *ot__foreign_self(bool attach)
{
	struct ot__foreign *f = attached();
	if (f || !attach)
		return f ? f->proc : NULL;
	if (ot__running_check() != 0 || ot__sched_self())
		return NULL;
	struct ot__proc *p = ot__proc_new();
	if (!p)
		return NULL;
	if (!(f = calloc(1, sizeof *f))) {
		ot__proc_discard(p);
		return NULL;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&f->mu, NULL);
	f->proc = p;
	p->foreign = f;
	p->park_deadline = OT__NO_DEADLINE;
	if (ot__table_insert(p, OT__P_RUNNING) != 0) {
		pthread_cond_destroy(&f->cond);
		pthread_mutex_destroy(&f->mu);
		free(f);
		ot__proc_discard(p);
		return NULL;
	}
	ot__mutex_lock(&fr.lock);
	LIST_INSERT_HEAD(&fr.all, f, link);
	ot__mutex_unlock(&fr.lock);
	pthread_setspecific(fr.key, f);
	tls_foreign = f;
	tls_epoch = atomic_load(&fr.epoch);
	atomic_fetch_add_explicit(&ot__rt.nthreads, 1, memory_order_relaxed);
	return p;
}

/* Ends f's process and frees f, unless someone already did. */
static void detach(struct ot__foreign *f)
{
	bool mine = false;
	ot__mutex_lock(&fr.lock);
	struct ot__foreign *it;
	LIST_FOREACH(it, &fr.all, link) {
		if (it == f) {
			LIST_REMOVE(f, link);
			mine = true;
			break;
		}
	}
	ot__mutex_unlock(&fr.lock);
	if (!mine)
		return;
	struct ot__proc *p = f->proc;
	/* Its links and monitors learn that the thread has gone. */
	p->exit_reason = atomic_load(&ot__rt.state) == OT__R_RUNNING
			     ? ot_reason_normal()
			     : ot_reason_shutdown();
	ot__proc_finish(p);
	ot__table_remove(p);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mu);
	free(f);
	atomic_fetch_sub_explicit(&ot__rt.nthreads, 1, memory_order_relaxed);
}

int ot__thread_detach(void)
{
	if (ot_in_process())
		return OT_ENOTFOREIGN;
	struct ot__foreign *f = attached();
	if (!f)
		return 0;
	tls_foreign = NULL;
	pthread_setspecific(fr.key, NULL);
	detach(f);
	return 0;
}

void ot__foreign_wake(struct ot__proc *p)
{
	struct ot__foreign *f = p->foreign;
	ot__mutex_lock(&f->mu);
	f->woken = true;
	pthread_cond_signal(&f->cond);
	ot__mutex_unlock(&f->mu);
}

int ot__foreign_park(struct ot__proc *p, unsigned wake_flags, int64_t deadline)
{
	struct ot__foreign *f = p->foreign;
	ot__spin_lock(&p->lock);
	if (atomic_load_explicit(&p->kill_pending, memory_order_relaxed)) {
		ot__spin_unlock(&p->lock);
		return OT_ESHUTDOWN;
	}
	if ((wake_flags & OT__WAKE_MSG) && !TAILQ_EMPTY(&p->inbox)) {
		ot__spin_unlock(&p->lock);
		return 0;
	}
	p->wait_flags = wake_flags;
	atomic_store_explicit(&p->state, OT__P_WAITING, memory_order_relaxed);
	ot__spin_unlock(&p->lock);

	struct timespec ts = {.tv_sec = deadline / 1000000000,
			      .tv_nsec = deadline % 1000000000};
	ot__mutex_lock(&f->mu);
	while (!f->woken) {
		if (deadline == OT__NO_DEADLINE)
			pthread_cond_wait(&f->cond, &f->mu);
		else if (pthread_cond_timedwait(&f->cond, &f->mu, &ts) ==
			 ETIMEDOUT)
			break;
	}
	/* A stale `woken` from a wake that raced a timeout only makes a later
	 * wait return early; every caller loops on its own condition. */
	f->woken = false;
	ot__mutex_unlock(&f->mu);

	ot__spin_lock(&p->lock);
	bool timed_out = atomic_load_explicit(
			     &p->state, memory_order_relaxed) == OT__P_WAITING;
	atomic_store_explicit(&p->state, OT__P_RUNNING, memory_order_relaxed);
	bool killed =
	    atomic_load_explicit(&p->kill_pending, memory_order_relaxed);
	ot__spin_unlock(&p->lock);
	return killed ? OT_ESHUTDOWN : timed_out ? OT_ETIMEDOUT : 0;
}

void ot__foreign_kill_all(void)
{
	ot__mutex_lock(&fr.lock);
	struct ot__foreign *f;
	LIST_FOREACH(f, &fr.all, link)
		ot__proc_kill(f->proc, ot__pid_of(f->proc));
	ot__mutex_unlock(&fr.lock);
}

void ot__foreign_shutdown(void)
{
	/* No thread is inside the gate: nothing uses a record any more. */
	for (;;) {
		ot__mutex_lock(&fr.lock);
		struct ot__foreign *f = LIST_FIRST(&fr.all);
		ot__mutex_unlock(&fr.lock);
		if (!f)
			break;
		detach(f);
	}
	tls_foreign = NULL;
}
