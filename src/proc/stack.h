/* SPDX-License-Identifier: MIT */
/*
 * stack.h — shared stacks: processes take turns on a few guarded stacks
 * and keep only their live frames while they wait (stack.c).
 *
 * A process is bound to one stack of its size class the first time it runs
 * and stays bound: its frames always live at the same addresses, so its
 * pointers into its own stack stay valid. Whichever process last ran on a
 * stack keeps its frames there (the stack's `owner`); when another process
 * bound to that stack runs, the owner's frames are first copied off into a
 * right-sized block (evicted), and the newcomer's are copied back
 * (restored). A waiting process therefore costs its saved frames, a few
 * hundred bytes, and a ping-pong between two processes on two stacks copies
 * nothing.
 *
 * One stack runs one process at a time: a scheduler takes it (BUSY) before
 * it runs a process on it and gives it back after the switch out. A
 * process whose stack another scheduler is using waits on the stack, and
 * the scheduler that gives the stack back queues it again.
 */
#ifndef OTTER_PROC_STACK_H
#define OTTER_PROC_STACK_H

#include <bsd/sys/queue.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <otter/proc.h>

#include "lock.h"

struct ot__proc;
struct ot__stack_pool;

struct ot__stack {
	/* STACK_FREE, STACK_BUSY or STACK_BUSY_WAITED (busy, and someone
	 * waits): acq_rel RMWs in stack.c take and give it back. */
	_Atomic int state;
	/* Whose frames lie on the stack, or NULL. Written only by the
	 * scheduler that holds the stack BUSY (relaxed: statistics read it
	 * without holding it). */
	_Atomic(struct ot__proc *) owner;
	ot__spinlock wlock;		 /* guards waiters */
	STAILQ_HEAD(, ot__proc) waiters; /* linked by runq_link */
	char *lo;			 /* lowest usable byte */
	char *top;			 /* where frames start */
	size_t size;			 /* usable bytes */
	size_t guard;			 /* PROT_NONE bytes below lo */
	unsigned vg_id;			 /* valgrind's stack id */
};

/* shared: stacks per size class (0 = default); guard: bytes of PROT_NONE
 * below each stack (0 = default). Maps the default class's first stack. */
int ot__stacks_init(size_t default_size, size_t shared, size_t guard);
void ot__stacks_fini(void);

/* The size class for stacks of size bytes (a page multiple), created with
 * its first stack if needed; NULL when out of memory. */
struct ot__stack_pool *ot__stack_pool_for(size_t size);

/* The stack size of a class. */
size_t ot__stack_pool_size(const struct ot__stack_pool *pool);

/* What ot__stack_enter() did. */
enum ot__enter {
	OT__ENTERED,	 /* p's frames are on its stack: switch to it */
	OT__ENTER_WAITS, /* another scheduler runs on p's stack: p waits */
	OT__ENTER_NOMEM, /* no memory to evict the owner: queue p again */
};

/*
 * Before p runs: binds it to a stack of its class if it has none (the
 * which-th, modulo the class's count: the caller spreads them), takes the
 * stack and puts p's frames on it (evicting the owner's). A process that
 * never ran gets the stack with nothing on it (make its context then).
 */
enum ot__enter ot__stack_enter(struct ot__proc *p, size_t which);

/*
 * After p switched out (ended: it will never run again): gives its stack
 * back. Returns the processes that waited for the stack, linked by
 * runq_link (NULL if none): RUNNABLE, to be queued again.
 */
struct ot__proc *ot__stack_leave(struct ot__proc *p, bool ended);

/* Frees the frames an ended process may still have saved. */
void ot__stack_forget(struct ot__proc *p);

/* After a burst of waiting processes has ended (saved frames down to a
 * quarter of their peak, and the peak worth it): gives the freed blocks
 * back to the system (malloc_trim). Cheap when there is nothing to do.
 * Scheduler context, holding nothing. */
void ot__stack_memory_trim(void);

/* True when addr lies in the guard below p's stack (a stack overflow). */
bool ot__stack_in_guard(const struct ot__proc *p, const void *addr);

void ot__stacks_stats(ot_stats *out);
size_t ot__page_size(void);

#endif /* OTTER_PROC_STACK_H */
