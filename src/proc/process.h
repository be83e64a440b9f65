/* SPDX-License-Identifier: MIT */
/*
 * process.h — a process (struct ot__proc) and the process table
 * (table.c) that finds it from its pid. Each slot's structure has a fixed
 * address for the runtime's life, so a stale pointer read from the table
 * is always safe to lock and check. A process runs on a stack it shares
 * with others and keeps its frames off it while it waits (stack.h), and
 * owns a mailbox (mailbox.h): only mailbox.c changes the mailbox's fields.
 *
 * Lock order (outer first): names -> proc -> timers of a scheduler;
 * a run queue lock and the table lock are leaves.
 */
#ifndef OTTER_PROC_PROCESS_H
#define OTTER_PROC_PROCESS_H

#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <otter/proc.h>

#include "../common/assert.h"
#include "ctx.h"
#include "lock.h"
#include "mailbox.h"
#include "stack.h"
#include "timer.h"

#define OT__MAX_SCHEDULERS 1024

struct ot__proc;
struct ot__sched;

/* ---------------------------------------------------------------------
 * Processes
 */
enum ot__pstate {
	OT__P_RUNNABLE, /* in a run queue, or about to be */
	OT__P_RUNNING,	/* on a scheduler (or a foreign thread, awake) */
	OT__P_WAITING,	/* parked: only a wake makes it runnable */
	OT__P_DEAD,	/* ended; senders drop their messages */
};

/* Why a parked process may be woken (besides a kill, an exit signal or
 * its deadline). */
#define OT__WAKE_MSG 1u
#define OT__WAKE_FD  2u /* the poller fired its fd wait (fd_revents != 0) */

/* What a process asks of its scheduler when it switches out. */
enum ot__action { OT__A_YIELD, OT__A_PARK, OT__A_EXIT };

/* The links of a process, one word (ties.h): a chain of records while
 * they are few, else a hash table of chains; its lock. */
struct ot__links {
	union {
		struct ot__link *list;
		uintptr_t bits; /* low bit set: a struct ot__linktab * */
	};
};
RB_HEAD(ot__mons, ot__mon);	 /* monitors on a process; its lock */
RB_HEAD(ot__watches, ot__watch); /* monitors a process holds; its own */

/* What the fault handler saw, for the crash report (fault.c). */
#define OT__BACKTRACE_MAX 32
struct ot__crash {
	void *frames[OT__BACKTRACE_MAX];
	int nframes;
	int first; /* frames[first] is the faulting code (handler skipped) */
};

struct ot__foreign;	/* foreign.c */
struct ot__name;	/* name.c */
struct ot__limit;	/* limit.c */
struct ot__alias_table; /* alias.c */

struct ot__proc {
	/* Hot fields first: with 100,000 processes every message misses the
	 * cache, and each line these fields spread over is one more miss. */

	/* The pid; written under the table lock and p->lock, read
	 * atomically by lookups (relaxed: the lock re-check decides). */
	_Atomic uint64_t pid_id;
	ot__spinlock lock; /* guards the fields down to `monitors` */
	/* ot__proc_new() resets everything from here on. */
	_Atomic int state; /* enum ot__pstate; WAITING<->RUNNABLE under lock */
	unsigned wait_flags;	  /* OT__WAKE_* while WAITING */
	uint64_t wait_token;	  /* which park a timeout belongs to */
	bool timed_out;		  /* the park ended by its deadline */
	atomic_bool kill_pending; /* set under lock; read anywhere */
	/* The mailbox, from here to `arrivals` and `queue`, `queue_n` below:
	 * changed only in mailbox.c (read anywhere, as said). */
	/* !TAILQ_EMPTY(&inbox), written under lock: lets the owner skip the
	 * lock when nothing arrived (parking re-checks under the lock). */
	atomic_bool inbox_any;
	_Atomic unsigned
	    inbox_signals;     /* signals in inbox; written under lock */
	struct ot__msgq inbox; /* arrived, not yet seen by the owner */
	size_t inbox_n;	       /* messages in inbox */
	size_t inbox_bytes;    /* their bytes (ot__msg_bytes) */
	/* Entries ever put in the mailbox (messages and signals): the next
	 * one's seq. Written under lock, read by the owner for a mark. */
	_Atomic uint64_t arrivals;
	/* The mailbox limit (ot_spawn_opts, limit.c): NULL when unlimited, as
	 * almost every process is, so that the others do not carry its
	 * fields. Set before the process runs, freed when it is reclaimed. */
	struct ot__limit *limit;
	/* Its active aliases (alias.c): made by its first ot_alias(), grown
	 * as needed; changed by the owner under lock, read by senders under
	 * it. NULL while it never had one. */
	struct ot__alias_table *aliases;
	/* Read-mostly, set at spawn (or by the process itself, rarely): here
	 * so that the owner's part below starts on a cache line of its own,
	 * apart from the one senders write (inbox_bytes, arrivals). */
	ot_proc_fn fn;
	void *arg;
	ot_exit_hook_fn exit_hook; /* ot_set_exit_hook(), or at spawn */
	void *exit_hook_arg;

	/* Owned by the process itself. */
	struct ot__msgq queue; /* seen messages, oldest first */
	/* Messages in queue; written by whoever may touch the queue (the
	 * owner, or a sender while it waits), read by ot_process_info. */
	_Atomic size_t queue_n;
	_Atomic size_t queue_bytes; /* their bytes, written as queue_n */
	enum ot__action action;
	unsigned budget_spent; /* sends and receives since it last waited
				or yielded (mailbox.c) */
	/* The flags, together so that they leave no holes (the structure is
	 * ten cache lines; one more is 64 bytes more for every process). */
	/* Written by the process itself, read by shutdown (atomic). */
	atomic_bool trap_exit;
	bool report;	   /* its own code ended it abnormally */
	bool live_counted; /* in ot__rt.nlive (ot_spawn; ot__proc_finish) */
	/* Has run: its context is on (or saved off) its stack; written by
	 * the scheduler that first runs it. */
	bool started;
	bool crash_owned; /* crash (below) was copied off the scheduler */
	bool in_crash_fn; /* running the crash handler */
	bool fd_armed;	  /* fd_reg (below) is in the epoll set */
	/* What fd_reg is (poll.c): the descriptor itself, registered for
	 * this wait; a dup() of its own, to close; the number's kept
	 * registration. */
	unsigned char fd_reg_is;
	int64_t park_deadline;

	/* Scheduling: touched by the scheduler running it. */
	STAILQ_ENTRY(ot__proc) runq_link; /* run queue lock */
	struct ot__sched *running_on;	  /* while RUNNING */
	struct ot__sched *home;		  /* where it last ran */
	ot__ctx ctx;
	/* Its stack (stack.h): the size class it was spawned for, the shared
	 * stack it is bound to from its first run on (NULL before), and its
	 * frames while they are saved off that stack (NULL while they are on
	 * it). stack is set by the scheduler that first runs it; frames are
	 * touched only by the scheduler that holds the stack. */
	struct ot__stack_pool *pool;
	struct ot__stack *stack;
	void *frames;
	/* Their bytes, 0 while they are on the stack; relaxed: read by
	 * ot_process_details_get(). */
	_Atomic size_t frames_len;
	struct ot__foreign *foreign; /* non-NULL for an attached thread */

	/* Colder: links, monitors, names, and how it ends. */
	struct ot__name *name;	     /* registered name; names lock + lock */
	struct ot__links links;	     /* linked peers; lock */
	struct ot__mons monitors;    /* who monitors this process; lock */
	struct ot__watches watching; /* monitors this process holds */
	char *label;		     /* ot_set_label(); lock */
	const char *behaviour;	     /* ot_set_behaviour(); lock */
	struct ot__crash *crash;     /* set by the fault handler */
	struct ot__catch *catching;  /* the innermost ot_catch() running */
	ot_crash_fn crash_fn;	     /* ot_set_crash_handler() */
	void *crash_arg;
	struct ot__tnode wait_timer;
	/* An fd wait (poll.c). fd_seq and fd_revents are guarded by lock:
	 * fd_seq names the wait the poller may fire (0: none), and the poller
	 * that fires it clears fd_seq and stores the epoll events in
	 * fd_revents. The rest belongs to the process (and to whoever reclaims
	 * it): the descriptor it registered with epoll (and fd_armed, fd_reg_is
	 * above). */
	uint64_t fd_seq;
	uint32_t fd_revents;
	int fd_reg;
	SLIST_ENTRY(ot__proc) free_link; /* table lock */
	ot_reason exit_reason;		 /* set before OT__A_EXIT */
	/* Holds exit_reason's payload: the EXIT signal it came in, or
	 * ot_exit's copy; and that of the last reason an ot_catch() caught.
	 * Freed with the slot. */
	struct ot_msg *exit_hold;
	struct ot_msg *caught_hold;
	/* A root (spawned by a foreign thread): its place in the order of
	 * roots (0: not a root) and the thread's pid (none if it was not
	 * attached), which shutdown's exit signal comes from (shutdown.c).
	 * Set before the process is in the table; read under lock. */
	uint64_t root_seq;
	ot_pid spawner;
};

static inline ot_pid ot__pid_of(const struct ot__proc *p)
{
	return (ot_pid){atomic_load_explicit(&p->pid_id, memory_order_relaxed)};
}

/* Process table (table.c). Each of nsched schedulers takes free slots a
 * batch of OT__SLOT_BATCH at a time, and gives them back so. */
#define OT__SLOT_BATCH 32
int ot__table_init(size_t max_procs, unsigned nsched);
void ot__table_fini(void);
/* A fresh, zeroed process structure (a free slot of the table), or NULL
 * when max_processes are alive. */
struct ot__proc *ot__proc_new(void);
/* Gives p a pid and `state`, and makes it findable. Returns 0. */
int ot__table_insert(struct ot__proc *p, enum ot__pstate state);
/* p has just been marked DEAD (ot__proc_finish): from now on it counts
 * against no limit, though its slot is freed only by ot__table_remove. */
void ot__table_note_ended(void);
/* Frees p's slot. p must be DEAD and noted as ended. */
void ot__table_remove(struct ot__proc *p);
/* Gives the slots scheduler s holds back to the table: its threads have
 * stopped (sched.c). */
struct ot__sched;
void ot__table_sched_fini(struct ot__sched *s);
/* Frees what p holds beyond its slot (lifecycle.c): its exit reason's
 * payload (once its links, monitors and report have it), its mailbox
 * limit and its alias table. */
void ot__proc_release(struct ot__proc *p);
/* Frees p's slot without having inserted it. */
void ot__proc_discard(struct ot__proc *p);
/* A candidate for pid (lock it and check ot__pid_of), or NULL. */
struct ot__proc *ot__table_lookup(ot_pid pid);
/* The structure in the slot of a pid whose low 32 bits are slot, whatever
 * its generation, or NULL (lock it and check what it is). */
struct ot__proc *ot__table_slot(uint32_t slot);
/* Slots beyond max_processes, for processes that have ended but whose
 * slot their reclaimer has not freed yet (one per scheduler at a time,
 * and detaching foreign threads), besides the schedulers' batches of free
 * slots (table.c); never past OT_MAX_PROCESSES slots in all, which pids
 * are checked against. */
#define OT__TABLE_SLACK (OT__MAX_SCHEDULERS + 256)
/* False for OT_PID_NONE and pids no table could have made. */
static inline bool ot__pid_well_formed(ot_pid pid)
{
	uint64_t idx = pid.id & 0xffffffffu;
	return (pid.id >> 32) != 0 && idx != 0 && idx <= OT_MAX_PROCESSES;
}
/* Calls fn on every process in the table (shutdown's sweep). */
void ot__table_foreach(void (*fn)(struct ot__proc *p, void *arg), void *arg);
/* Locks p and returns true if it is pid and not dead; else unlocked/false. */
bool ot__proc_lock_alive(struct ot__proc *p, ot_pid pid);

/* A reason of a kind that carries nothing else (killed, noproc, ...). */
static inline ot_reason ot__reason(ot_reason_kind kind)
{
	ot_reason r = ot_reason_normal();
	r.kind = kind;
	return r;
}
/* Adds n to a counter that only its single writer (at a time) changes. */
static inline void ot__count(_Atomic size_t *c, ptrdiff_t n)
{
	atomic_store_explicit(
	    c, atomic_load_explicit(c, memory_order_relaxed) + (size_t)n,
	    memory_order_relaxed);
}

#endif /* OTTER_PROC_PROCESS_H */
