/* SPDX-License-Identifier: MIT */
/*
 * runtime.h — the process runtime's one internal header: the structures
 * every file of src/proc shares and the ot__ functions between them.
 *
 * The picture: N scheduler threads (sched.c) each run processes from their
 * run queue. A process (struct ot__proc) runs on a stack it shares with
 * others and keeps its frames off it while it waits (stack.h), and owns a
 * mailbox (mailbox.c); it is found from its pid through the process table
 * (table.c), where each slot's structure has a fixed address for the
 * runtime's life, so a stale pointer read from the table is always safe to
 * lock and check.
 * How a process is spawned, ends and is reclaimed is in one place
 * (lifecycle.c); only mailbox.c changes a mailbox's fields.
 * Waiting processes are woken by messages, by timers (timer.c), by the
 * poller when a descriptor they wait on is ready (poll.c), or by a kill.
 * Foreign threads (foreign.c) are processes without a stack that block on
 * a condition variable instead of switching.
 *
 * Lock order (outer first): names → proc → timers of a scheduler;
 * a run queue lock and the table lock are leaves.
 */
#ifndef OTTER_PROC_RUNTIME_H
#define OTTER_PROC_RUNTIME_H

#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <otter/io.h>
#include <otter/proc.h>

#include "../common/assert.h"
#include "block.h"
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

RB_HEAD(ot__links, ot__link);	 /* links of a process; its lock */
RB_HEAD(ot__mons, ot__mon);	 /* monitors on a process; its lock */
RB_HEAD(ot__watches, ot__watch); /* monitors a process holds; its own */

/* What the fault handler saw, for the crash report (fault.c). */
#define OT__BACKTRACE_MAX 32
struct ot__crash {
	void *frames[OT__BACKTRACE_MAX];
	int nframes;
	int first; /* frames[first] is the faulting code (handler skipped) */
};

struct ot__foreign; /* foreign.c */
struct ot__name;    /* name.c */

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
	_Atomic unsigned
	    inbox_signals; /* signals in inbox; written under lock */
	/* !TAILQ_EMPTY(&inbox), written under lock: lets the owner skip the
	 * lock when nothing arrived (parking re-checks under the lock). */
	atomic_bool inbox_any;
	struct ot__msgq inbox; /* arrived, not yet seen by the owner */
	size_t inbox_n;	       /* messages in inbox */
	/* Entries ever put in the mailbox (messages and signals): the next
	 * one's seq. Written under lock, read by the owner for a mark. */
	_Atomic uint64_t arrivals;
	/* The mailbox limit (ot_spawn_opts, limit.c), set before the
	 * process runs; limit_killed is set under lock. limit_msgs and
	 * limit_bytes count what is waiting: senders add under lock, the
	 * owner takes away without it. */
	bool limited;
	bool limit_drop;   /* OT_MAILBOX_DROP, else kill */
	bool limit_killed; /* killed by it: kill_pending tells why */
	size_t limit_max_msgs, limit_max_bytes;
	_Atomic size_t limit_msgs, limit_bytes, limit_dropped;
	uint64_t aliases[OT_ALIAS_MAX]; /* active aliases; 0 = free slot */
	/* Messages delivered through aliases[i] (counted by senders, under
	 * lock) and taken by the owner (counted by it alone, in the owner's
	 * part below): when they differ, ot_unalias() has some to drop. */
	uint32_t alias_delivered[OT_ALIAS_MAX];

	/* Owned by the process itself. */
	struct ot__msgq queue;		    /* seen messages, oldest first */
	uint32_t alias_taken[OT_ALIAS_MAX]; /* see alias_delivered */
	/* Messages in queue; written by whoever may touch the queue (the
	 * owner, or a sender while it waits), read by ot_process_info. */
	_Atomic size_t queue_n;
	enum ot__action action;
	unsigned sends; /* since it last waited or yielded */
	/* Written by the process itself, read by shutdown (atomic). */
	atomic_bool trap_exit;
	bool report;	   /* its own code ended it abnormally */
	bool live_counted; /* in ot__rt.nlive (ot_spawn; ot__proc_finish) */
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
	size_t frames_len;
	bool started; /* has run: its context is on (or saved off) stack */
	struct ot__foreign *foreign; /* non-NULL for an attached thread */

	/* Colder: links, monitors, names, and how it ends. */
	struct ot__name *name;	     /* registered name; names lock + lock */
	struct ot__links links;	     /* linked peers; lock */
	struct ot__mons monitors;    /* who monitors this process; lock */
	struct ot__watches watching; /* monitors this process holds */
	struct ot__crash *crash;     /* set by the fault handler */
	bool crash_owned;	     /* crash was copied off the scheduler */
	bool in_crash_fn;	     /* running the crash handler */
	struct ot__catch *catching;  /* the innermost ot_catch() running */
	ot_crash_fn crash_fn;	     /* ot_set_crash_handler() */
	void *crash_arg;
	ot_exit_hook_fn exit_hook; /* ot_set_exit_hook(), or at spawn */
	void *exit_hook_arg;
	ot_proc_fn fn;
	void *arg;
	struct ot__tnode wait_timer;
	/* An fd wait (poll.c). fd_seq and fd_revents are guarded by lock:
	 * fd_seq names the wait the poller may fire (0: none), and the poller
	 * that fires it clears fd_seq and stores the epoll events in
	 * fd_revents. The rest belongs to the process (and to whoever reclaims
	 * it): the descriptor it registered with epoll, and whether that one
	 * is a dup() of its own to close. */
	uint64_t fd_seq;
	uint32_t fd_revents;
	bool fd_armed; /* fd_reg is in the epoll set */
	bool fd_dup;
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

/* Process table (table.c). */
int ot__table_init(size_t max_procs);
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
/* Frees what holds p's exit reason's payload (lifecycle.c): once its
 * links, monitors and report have it. */
void ot__proc_release_reason(struct ot__proc *p);
/* Frees p's slot without having inserted it. */
void ot__proc_discard(struct ot__proc *p);
/* A candidate for pid (lock it and check ot__pid_of), or NULL. */
struct ot__proc *ot__table_lookup(ot_pid pid);
/* The structure in the slot of a pid whose low 32 bits are slot, whatever
 * its generation, or NULL (lock it and check what it is). */
struct ot__proc *ot__table_slot(uint32_t slot);
/* Slots beyond max_processes, for processes that have ended but whose
 * slot their reclaimer has not freed yet (one per scheduler at a time,
 * and detaching foreign threads); never past OT_MAX_PROCESSES slots in
 * all, which pids are checked against. */
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

/* ---------------------------------------------------------------------
 * Schedulers (sched.c)
 */
STAILQ_HEAD(ot__procq, ot__proc);
RB_HEAD(ot__ttree, ot__tnode);
RB_HEAD(ot__tidtree, ot__send_timer);
RB_HEAD(ot__tdesttree, ot__send_timer);

struct ot__sched {
	unsigned index;
	pthread_t thread;
	ot__ctx ctx;		  /* the scheduler loop's own context */
	struct ot__proc *current; /* running process; this thread only */
	struct ot__proc *runnext; /* woken by `current`; this thread only */
	unsigned runnext_streak;
	unsigned ticks;
	unsigned bind_next; /* round robin of new processes' stacks */
	/* The stack a process left by ending here, until the next run: where
	 * a new process is bound first. */
	struct ot__stack *stack_left;
	/* Free blocks of each class (block.c); this thread only. */
	void *block_cache[OT__BLOCK_CLASSES];
	/* Written by this scheduler only; read by ot_runtime_stats(). */
	_Atomic unsigned blocks_cached[OT__BLOCK_CLASSES];

	ot__spinlock rq_lock;
	struct ot__procq runq; /* rq_lock */
	_Atomic size_t rq_len; /* seq_cst: pairs with `parked` (Dekker) */

	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	_Atomic bool parked; /* seq_cst: pairs with rq_len */
	bool wake_pending;   /* park_lock */

	/* Crash trapping (fault.c): this thread's alternate signal stack,
	 * the one it replaced, and what the handler saw of the last crash
	 * (read by the report on this same thread right after). */
	void *altstack;
	stack_t old_altstack;
	struct ot__crash crash;
	/* Set while ot__fault_guarded() runs user code outside any
	 * process on this thread: where a fault there jumps back to. */
	sigjmp_buf *guard;

	ot__spinlock timer_lock;
	struct ot__ttree timers;     /* timer_lock */
	struct ot__tidtree send_ids; /* send timers by id; timer_lock */
	/* Send timers by destination (to drop those of a process that
	 * ended), and how many there are (written under timer_lock). */
	struct ot__tdesttree send_dests;
	_Atomic size_t nsend;
	_Atomic int64_t timer_next; /* earliest deadline; relaxed hint */
} __attribute__((aligned(64)));

/* The scheduler the calling thread is, or NULL on a foreign thread. */
struct ot__sched *ot__sched_self(void);
/* The calling process (scheduled or attached foreign), or NULL. */
struct ot__proc *ot__current(void);
/* The same, attaching a foreign thread that is not yet: NULL only when
 * that fails (out of memory, table full, runtime stopping). */
struct ot__proc *ot__caller(void);
/* p was made RUNNABLE (under its lock, now released): queue it. */
void ot__ready(struct ot__proc *p);
/* A new process: queue it where the work spreads. */
void ot__ready_new(struct ot__proc *p);
/* Wakes s if it is parked (it has new work or an earlier timer); false
 * when it was not parked. */
bool ot__sched_kick(struct ot__sched *s);
/* The calling process waits; see mailbox.c for the loop around it.
 * Returns 0 or OT_ETIMEDOUT, OT_ESHUTDOWN (foreign); a killed scheduled
 * process never returns. */
int ot__park(struct ot__proc *p, unsigned wake_flags, int64_t deadline);
/* The calling process p switches to its scheduler, which acts on
 * p->action from its own stack; ends: p never runs again. */
static inline void ot__switch_out(struct ot__proc *p, bool ends)
{
	struct ot__sched *s = p->running_on;
	OT__DEBUG_ASSERT(s->current == p);
	ot__ctx_switch(&p->ctx, &s->ctx, ends);
}
/* A reason of a kind that carries nothing else (killed, noproc, ...). */
static inline ot_reason ot__reason(ot_reason_kind kind)
{
	ot_reason r = ot_reason_normal();
	r.kind = kind;
	return r;
}
/* Wakes p if it waits for any of `flags` (0: for anything, as a kill
 * does); caller holds p->lock and calls ot__ready() after unlocking
 * when this returned true. A foreign thread is signalled at once. */
bool ot__wake_locked(struct ot__proc *p, unsigned flags);
int ot__scheds_start(unsigned n);
void ot__scheds_stop(void);

/* ---------------------------------------------------------------------
 * The life of a process (lifecycle.c): spawn, exit, finish, reclaim
 */
/* Ends the calling (scheduled) process with reason; never returns. */
void ot__proc_exit(struct ot__proc *p, const ot_reason *reason)
    __attribute__((noreturn));
/* Asks p to end with `killed` at its next wait or yield. */
void ot__proc_kill(struct ot__proc *p, ot_pid pid);
/* Reclaims p, which ended (OT__A_EXIT), on its scheduler's stack: its
 * exit hook, ot__proc_finish, its report; then its stack and slot go. */
void ot__proc_reclaim(struct ot__proc *p);
/* Ends p's life as others see it: marks it dead, drops its mailbox,
 * releases its name, then sends EXIT to its links and DOWN to its monitors
 * (reason: p->exit_reason) and drops its own monitors. Not on p's stack. */
void ot__proc_finish(struct ot__proc *p);
/* p keeps m (a message its exit reason's payload points into) until its
 * slot is freed; what it kept before goes. */
void ot__proc_hold_reason(struct ot__proc *p, struct ot_msg *m);

/* ---------------------------------------------------------------------
 * Signals (signal.c): links, monitors, exit signals
 */
/* Acts on signal m, which p takes from its inbox. Returns true if it
 * became a message, for the caller to append to p's queue; else m is
 * consumed. Sets *die (and p->exit_reason) when p must end. */
bool ot__signal_apply(struct ot__proc *p, struct ot_msg *m, bool *die);
/* What links an ending process to others: its links and the monitors on
 * it, taken out of it as it is marked dead. */
struct ot__ties {
	struct ot__links links;
	struct ot__mons monitors;
};
/* Moves p's links and monitors into t; caller holds p->lock. */
void ot__ties_take_locked(struct ot__proc *p, struct ot__ties *t);
/* Sends p->exit_reason as an EXIT to each link of t and a DOWN to each
 * monitor, frees t's records, then drops the monitors p holds. */
void ot__ties_signal_end(struct ot__proc *p, struct ot__ties *t);
/* An EXIT (kind: a signal, or OT__M_MSG for a message) from `from`
 * carrying a copy of reason and its payload; NULL when out of memory. */
struct ot_msg *ot__exit_msg(enum ot__mkind kind, ot_pid from,
			    const ot_reason *reason);
/* Links caller and child (being spawned, not yet runnable). */
int ot__link_new_child(struct ot__proc *self, struct ot__proc *child);
/* Monitors child (being spawned) for self; *ref gets the reference. */
int ot__monitor_new_child(struct ot__proc *self, struct ot__proc *child,
			  ot_ref *ref);

/* Crash trapping (fault.c) and reports (report.c). */
int ot__faults_init(void);
void ot__faults_fini(void);
/* Per scheduler thread: its alternate signal stack. */
int ot__fault_thread_init(struct ot__sched *s);
void ot__fault_thread_fini(struct ot__sched *s);
/* Runs fn(arg), user code, on a scheduler outside any process (a logger
 * writing a crash report): a fault in it returns here, its signal number,
 * instead of ending the program. 0 when fn returned. */
int ot__fault_guarded(void (*fn)(void *), void *arg);
/* ot_exit(reason) called by p itself: an ot_catch() it runs, else its
 * crash handler, sees the exit first (neither returns); returns when
 * there is neither. */
void ot__exit_caught(struct ot__proc *p, const ot_reason *reason);
/* Writes the crash report of p (ended by its own code, abnormally), which
 * was registered as name ("" if not). */
void ot__report_crash(struct ot__proc *p, const char *name);
/* Hands line(ctx, i, text) each of the n frames as text (backtrace.c);
 * from_fault: frames[0] is where a fault happened, not a return address. */
void ot__backtrace_write(void *const *frames, int n, bool from_fault,
			 void (*line)(void *ctx, int i, const char *text),
			 void *ctx);
/* Frees the symbol tables crash reports loaded (ot_shutdown()). */
void ot__backtrace_fini(void);
/* Adds n to a counter that only its single writer (at a time) changes. */
static inline void ot__count(_Atomic size_t *c, ptrdiff_t n)
{
	atomic_store_explicit(
	    c, atomic_load_explicit(c, memory_order_relaxed) + (size_t)n,
	    memory_order_relaxed);
}
/* Copies p's registered name into buf (size OT_NAME_MAX + 1), "" if none. */
void ot__name_of(struct ot__proc *p, char *buf);

/* ---------------------------------------------------------------------
 * Names (name.c), foreign threads (foreign.c)
 */
int ot__names_init(void);
void ot__names_fini(void);
/* Registers name for p, which is being spawned (not yet runnable). */
int ot__name_claim(const char *name, struct ot__proc *p);
/* Releases p's name, if any; called when p ends. */
void ot__name_release(struct ot__proc *p);
/* Validates a name: OT_EINVAL or OT_ENAMETOOLONG, else 0. */
int ot__name_check(const char *name);

int ot__foreign_init(void);
void ot__foreign_fini(void);
/* The calling foreign thread's process, attaching it if needed. */
struct ot__proc *ot__foreign_self(bool attach);
/* Blocks the foreign thread p until woken or deadline. */
int ot__foreign_park(struct ot__proc *p, unsigned wake_flags, int64_t deadline);
void ot__foreign_wake(struct ot__proc *p);
/* Kills (wakes with OT_ESHUTDOWN) every attached foreign thread that
 * waits (shutdown, while draining the gate). */
void ot__foreign_kill_all(void);
/* Detaches every attached foreign thread; none is inside the gate. */
void ot__foreign_shutdown(void);

/* ---------------------------------------------------------------------
 * The poller (poll.c): fd waits of processes, through one epoll instance
 */
/* Creates the epoll instance and the poller thread (ot_start). */
int ot__poll_init(void);
/* Shutdown has begun: foreign threads waiting in ot_fd_wait() return
 * OT_ESHUTDOWN; processes still wait as usual. */
void ot__poll_release_foreign(void);
/* The runtime is ending: the poller thread ends. */
void ot__poll_stop(void);
/* After the last process has ended: joins the thread, closes the fds. */
void ot__poll_fini(void);
/* p ends while an fd wait of its own is registered (killed in the wait):
 * takes the registration out of epoll. Not on p's stack. */
void ot__poll_abandon(struct ot__proc *p);
/* errno of the calling thread, read through a call that is never
 * inlined (see poll.c): use it in a process wherever it may have moved to
 * another thread since the function began. ot__sys_error(e) is the code
 * of errno e, OT_ESYS_ERRNO(e) (OT_ESYS for none), and sets errno to e
 * for the deprecated ot_errno(). */
int ot__errno(void);
int ot__sys_error(int e);

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
