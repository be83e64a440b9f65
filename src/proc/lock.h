/* SPDX-License-Identifier: MIT */
/*
 * lock.h — the spinlock that guards otter's short critical sections (a
 * mailbox append, a run queue push). Uncontended it is one atomic exchange
 * and one release store; contended it spins with `pause` and, after a
 * while, yields the CPU so that a preempted holder can finish.
 */
#ifndef OTTER_PROC_LOCK_H
#define OTTER_PROC_LOCK_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "../common/assert.h"

/* How many of otter's locks this thread holds. A fault while it is not
 * zero is otter's own (fault.c): it is reported, never turned into the
 * crash of a process, which would leave the lock held for ever. */
extern __thread unsigned ot__locks_held
    __attribute__((tls_model("initial-exec")));

typedef struct ot__spinlock {
	atomic_int locked;
} ot__spinlock;

static inline void ot__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static inline void ot__spin_lock(ot__spinlock *l)
{
	unsigned spins = 0;
	ot__locks_held++;
	for (;;) {
		/* acquire: pairs with the release in ot__spin_unlock(). */
		if (!atomic_exchange_explicit(&l->locked, 1,
					      memory_order_acquire))
			return;
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			if (++spins < 256)
				ot__cpu_relax();
			else
				sched_yield();
		}
	}
}

static inline void ot__spin_unlock(ot__spinlock *l)
{
	OT__DEBUG_ASSERT(ot__locks_held > 0);
	OT__DEBUG_ASSERT(
	    atomic_load_explicit(&l->locked, memory_order_relaxed));
	atomic_store_explicit(&l->locked, 0, memory_order_release);
	ot__locks_held--;
}

/* The same bookkeeping for otter's mutexes. */
static inline void ot__mutex_lock(pthread_mutex_t *m)
{
	ot__locks_held++;
	pthread_mutex_lock(m);
}

static inline void ot__mutex_unlock(pthread_mutex_t *m)
{
	OT__DEBUG_ASSERT(ot__locks_held > 0);
	pthread_mutex_unlock(m);
	ot__locks_held--;
}

#endif /* OTTER_PROC_LOCK_H */
