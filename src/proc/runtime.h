/* SPDX-License-Identifier: MIT */
/*
 * runtime.h — the runtime as a whole (runtime.c): its state, its
 * counters, the gate's check (gate.h) and shutdown's order (shutdown.c).
 *
 * The picture: N scheduler threads (scheduler.h) each run processes from
 * their run queue. A process (process.h) is found from its pid through the
 * process table; how it is spawned, ends and is reclaimed is in one place
 * (lifecycle.h). Waiting processes are woken by messages (mailbox.h), by
 * timers (timer.h), by the poller when a descriptor they wait on is ready
 * (poller.h), or by a kill; links and monitors are signals (signals.h).
 * Foreign threads (foreign.h) are processes without a stack.
 * Each file includes the headers of what it uses.
 */
#ifndef OTTER_PROC_RUNTIME_H
#define OTTER_PROC_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <otter/proc.h>

#include "process.h"
#include "scheduler.h"

/* ---------------------------------------------------------------------
 * The runtime (runtime.c)
 */
/* STOPPED -> STARTING -> RUNNING -> STOPPING -> ENDING -> STOPPED.
 * Starting: the gate turns foreign threads away while the runtime comes
 * up (gate.c). Stopping: the gate is closed to foreign threads and the
 * roots are stopped in order, processes working as usual (shutdown.c).
 * Ending: what is left is killed, and processes are refused new work
 * (spawns, links, monitors, timers, names, fd waits: OT_ESHUTDOWN). */
enum ot__rstate {
	OT__R_STOPPED,
	OT__R_RUNNING,
	OT__R_STOPPING,
	OT__R_ENDING,
	OT__R_STARTING,
};

struct ot__runtime {
	_Atomic int state; /* enum ot__rstate */
	unsigned nsched;
	struct ot__sched *scheds;
	size_t stack_size; /* default, page multiple */
	size_t max_procs;
	int shutdown_ms;	   /* ot_config.shutdown_timeout_ms, resolved */
	_Atomic unsigned spawn_rr; /* foreign spawns go round-robin */

	_Atomic size_t nprocs; /* scheduled processes not reclaimed yet */
	/* Scheduled processes that have not ended: ot_stats.processes. A
	 * process leaves it once its name is released and before its links
	 * and monitors hear of its end (ot__proc_finish), so that whoever got
	 * its EXIT or DOWN no longer counts it; it leaves nprocs, which
	 * shutdown waits on, only once it is reclaimed. */
	_Atomic size_t nlive;
	_Atomic size_t nthreads; /* attached foreign threads */
	_Atomic size_t nspawned;
	_Atomic size_t ntimers;
	_Atomic size_t nnames;
	_Atomic unsigned nparked;   /* seq_cst: pairs with rq_len */
	_Atomic unsigned nspinning; /* schedulers looking for work */
	_Atomic bool stop_scheds;

	pthread_mutex_t exit_lock; /* shutdown waits for the last exit */
	pthread_cond_t exit_cond;
};

extern struct ot__runtime ot__rt;

/* True while reports are discarded (ot_log_discard is the logger). */
extern atomic_bool ot__log_off;

/* 0 when the runtime accepts work (running, or stopping its roots in
 * order), else OT_ENOTSTARTED / OT_ESHUTDOWN. Foreign threads are turned
 * away at the gate as soon as shutdown begins (gate.c). */
static inline int ot__running_check(void)
{
	int s = atomic_load_explicit(&ot__rt.state, memory_order_acquire);
	if (OT__LIKELY(s == OT__R_RUNNING || s == OT__R_STOPPING))
		return 0;
	return s == OT__R_ENDING ? OT_ESHUTDOWN : OT_ENOTSTARTED;
}

/* The calling process, for a call only a process may make: 0 with *out
 * set, else OT_ENOTSTARTED (no runtime) or OT_ENOTPROC (not a process). */
static inline int ot__calling_process(struct ot__proc **out)
{
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	struct ot__sched *s = ot__sched_self();
	if (!s || !s->current)
		return OT_ENOTPROC;
	*out = s->current;
	return 0;
}

/* Called by a scheduler after it reclaimed a process. */
void ot__note_exit(void);

/* Shutdown's order (shutdown.c). ot__root_note: p is being spawned (not
 * yet in the table); if the caller is a foreign thread, p is a root. */
void ot__root_note(struct ot__proc *p);
/* Sends every root exit(shutdown) from its spawner, newest first, each
 * waited for, until the deadline; then kills what is left and waits
 * until every process has been reclaimed. */
void ot__shutdown_processes(void);

#include "gate.h"

#endif /* OTTER_PROC_RUNTIME_H */
