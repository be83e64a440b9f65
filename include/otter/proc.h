/*
 * otter/proc.h — the process runtime: lightweight processes on a pool of
 * scheduler threads, with mailboxes, selective receive, timers and names.
 *
 * A process is a function running on its own stack. Processes share
 * nothing: a message is copied into the receiver's mailbox (or, with
 * ot_send_owned(), handed over with its free function). Between one sender
 * and one receiver, messages arrive in the order they were sent.
 *
 * Scheduling is cooperative: a process runs until it waits (receive, sleep),
 * yields (ot_yield), or ends. A process that loops without ever doing one of
 * these keeps its scheduler thread to itself and cannot be killed; Erlang
 * preempts such a process, otter cannot.
 *
 * Where a function may be called from:
 *   process   — code running inside an otter process;
 *   foreign   — any other thread of the program (main, its own pthreads),
 *               while the runtime is running. A foreign thread that sends,
 *               receives or asks for ot_self() is attached to the runtime
 *               as a process of its own (it has a pid and a mailbox; it is
 *               never scheduled, it blocks only itself). It is detached
 *               when the thread exits or calls ot_thread_detach().
 *
 * Thread-local state: a process may resume on another scheduler thread
 * after any call that can block or yield. Do not keep the address of a
 * thread-local variable (errno included) across such a call.
 */
#ifndef OTTER_PROC_H
#define OTTER_PROC_H

#include <otter/base.h>
#include <otter/error.h>

OT_BEGIN_DECLS

/* ----------------------------------------------------------------------
 * The runtime
 */

/* How ot_start() sets the runtime up. The zero value means all defaults. */
typedef struct ot_config {
	/* Scheduler threads. 0: one per online CPU. At most 1024. */
	unsigned schedulers;
	/* Default stack size of a process, in bytes, rounded up to whole
	 * pages. 0: OT_DEFAULT_STACK_SIZE. At least OT_MIN_STACK_SIZE, at most
	 * OT_MAX_STACK_SIZE. */
	size_t stack_size;
	/* Most processes alive at once (foreign threads included).
	 * 0: OT_DEFAULT_MAX_PROCESSES. At most OT_MAX_PROCESSES. */
	size_t max_processes;
	/* Most stacks that get a guard page (an overflow into it is caught as
	 * a crash). Past it, stacks get a canary zone that is checked each
	 * time the process switches out: an overflow is still noticed, but
	 * only after it may have written below the stack. 0: derived from
	 * vm.max_map_count (each guarded stack costs two memory mappings). */
	size_t guarded_stacks;
} ot_config;

#define OT_DEFAULT_STACK_SIZE ((size_t)64 * 1024)
#define OT_MIN_STACK_SIZE ((size_t)16 * 1024)
#define OT_MAX_STACK_SIZE ((size_t)1024 * 1024 * 1024)
#define OT_DEFAULT_MAX_PROCESSES ((size_t)1 << 20)
#define OT_MAX_PROCESSES ((size_t)1 << 26)

/*
 * Starts the runtime: the scheduler threads and the process table. cfg may
 * be NULL for the defaults; it is not kept.
 * Errors: OT_ESTARTED (already running), OT_EINVAL (a field out of range),
 * OT_ENOMEM, OT_ESYS (a thread or mapping could not be created).
 * From: foreign. Does not block beyond starting the threads.
 */
OT_API int ot_start(const ot_config *cfg);

/*
 * Stops the runtime: every process still alive is killed (at its next
 * wait or yield), then the scheduler threads are joined and all memory the
 * runtime holds is returned. Foreign threads blocked in an otter call
 * return OT_ESHUTDOWN. Afterwards ot_start() may be called again.
 * Errors: OT_ENOTSTARTED, OT_ENOTFOREIGN (called from a process).
 * From: foreign only. Blocks until every process has ended.
 */
OT_API int ot_shutdown(void);

/* True between a successful ot_start() and the end of ot_shutdown(). */
OT_API bool ot_running(void);

/* Counters of what the runtime holds; tests use them to find leaks. */
typedef struct ot_stats {
	size_t processes;      /* live scheduled processes */
	size_t threads;        /* attached foreign threads */
	size_t spawned;        /* processes spawned since ot_start() */
	size_t stacks_in_use;  /* stacks owned by live processes */
	size_t stacks_pooled;  /* stacks kept for reuse */
	size_t stacks_guarded; /* mapped stacks that have a guard page */
	size_t timers;         /* send_after timers not yet fired or cancelled */
	size_t names;          /* registered names */
	unsigned schedulers;   /* scheduler threads */
} ot_stats;

/*
 * Fills *out with the runtime's current counters (a snapshot; concurrent
 * activity may move them). Errors: OT_EINVAL (out NULL), OT_ENOTSTARTED.
 * From: anywhere. Never blocks for long.
 */
OT_API int ot_runtime_stats(ot_stats *out);

/* ----------------------------------------------------------------------
 * Processes
 */

/* A process body. The process ends with reason normal when it returns. */
typedef void (*ot_proc_fn)(void *arg);

/* Options for ot_spawn(). The zero value means all defaults. */
typedef struct ot_spawn_opts {
	/* Stack size in bytes, rounded up to pages. 0: the runtime default. */
	size_t stack_size;
	/* Registers the new process under this name before it runs (the
	 * name is copied). NULL: no name. */
	const char *name;
	/* Reserved for spawn options to come; must be 0. */
	unsigned flags;
} ot_spawn_opts;

/*
 * Starts a process that runs fn(arg). opts may be NULL. On success the new
 * pid is stored in *out (out may be NULL) and 0 is returned; the process may
 * already have run, and even ended, by then. arg is owned by the caller.
 * Errors: OT_EINVAL (fn NULL, bad stack size, unknown flags, empty name),
 * OT_ENAMETOOLONG, OT_ENAMETAKEN (nothing was spawned), OT_ELIMIT
 * (max_processes alive), OT_ENOMEM, OT_ENOTSTARTED, OT_ESHUTDOWN.
 * From: process or foreign. Never blocks.
 */
OT_API int ot_spawn(ot_proc_fn fn, void *arg, const ot_spawn_opts *opts,
		    ot_pid *out);

/*
 * The caller's pid. A foreign thread is attached on its first call.
 * Returns OT_PID_NONE when the runtime is not running or a foreign thread
 * could not be attached (out of memory or max_processes reached).
 * From: process or foreign. Never blocks.
 */
OT_API ot_pid ot_self(void);

/* True when the caller runs inside an otter process (not a foreign thread). */
OT_API bool ot_in_process(void);

/*
 * True while pid names a live process (or attached foreign thread). The
 * answer may be stale by the time the caller looks at it. From: anywhere.
 */
OT_API bool ot_is_alive(ot_pid pid);

/*
 * Lets the other runnable processes run before the caller continues.
 * Errors: OT_ENOTPROC (foreign thread), OT_ENOTSTARTED. From: process.
 */
OT_API int ot_yield(void);

/*
 * Waits timeout_ms milliseconds (OT_INFINITY: until the process is killed).
 * Messages that arrive meanwhile stay in the mailbox.
 * Errors: OT_EINVAL (negative timeout other than OT_INFINITY),
 * OT_ENOTSTARTED, OT_ESHUTDOWN (foreign thread, runtime stopping).
 * From: process (yields) or foreign (blocks the thread).
 */
OT_API int ot_sleep(int timeout_ms);

/*
 * Detaches the calling foreign thread: its pid dies and its mailbox is
 * discarded. A thread is detached at exit anyway. Returns 0 (also when the
 * thread was not attached). Errors: OT_ENOTFOREIGN. From: foreign.
 */
OT_API int ot_thread_detach(void);

/* ----------------------------------------------------------------------
 * Messages
 */

/* A received message, owned by the receiver until ot_msg_free(). */
typedef struct ot_msg ot_msg;

/*
 * Sends a copy of size bytes at data, tagged with tag, to the process to.
 * data may be NULL only when size is 0 (and must be NULL then). Sending to
 * a process that has ended, or to a stale pid, succeeds and does nothing, as
 * in Erlang. The caller keeps data.
 * Errors: OT_EINVAL (to is OT_PID_NONE or malformed, data/size mismatch),
 * OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign. Never blocks.
 */
OT_API int ot_send(ot_pid to, uint64_t tag, const void *data, size_t size);

/*
 * Sends without copying: the buffer data (size bytes) is handed over and
 * belongs to the runtime from this call on, even when it fails; it is
 * released with free_fn(data) when the receiver frees the message or the
 * message is dropped. free_fn may be NULL when nothing needs releasing.
 * Errors and callers: as ot_send() (on error data has been released).
 */
OT_API int ot_send_owned(ot_pid to, uint64_t tag, void *data, size_t size,
			 void (*free_fn)(void *data));

/* Accessors of a received message. msg must not be NULL. */
OT_API ot_pid ot_msg_from(const ot_msg *msg); /* the sender, or OT_PID_NONE */
OT_API uint64_t ot_msg_tag(const ot_msg *msg);
OT_API const void *ot_msg_data(const ot_msg *msg); /* NULL when size is 0 */
OT_API size_t ot_msg_size(const ot_msg *msg);

/* Releases a received message and its payload. NULL does nothing. */
OT_API void ot_msg_free(ot_msg *msg);

/*
 * Takes the oldest message in the caller's mailbox and stores it in *out.
 * Waits up to timeout_ms for one to arrive.
 * Errors: OT_EINVAL (out NULL, bad timeout), OT_ETIMEDOUT, OT_ENOTSTARTED,
 * OT_ENOMEM (a foreign thread could not be attached), OT_ESHUTDOWN
 * (foreign thread, runtime stopping).
 * From: process (yields while waiting) or foreign (blocks the thread).
 */
OT_API int ot_receive(ot_msg **out, int timeout_ms);

/* A predicate for selective receive: true takes the message. It runs in
 * the receiving process and must not block, receive or send. */
typedef bool (*ot_match_fn)(const ot_msg *msg, void *arg);

/*
 * Selective receive: takes the oldest message for which match(msg, arg) is
 * true, leaving the others in the mailbox in their order. Each message is
 * offered to match at most once per call. Waits up to timeout_ms for a
 * matching message.
 * Errors: as ot_receive(), and OT_EINVAL when match is NULL.
 */
OT_API int ot_receive_match(ot_match_fn match, void *arg, ot_msg **out,
			    int timeout_ms);

/* ----------------------------------------------------------------------
 * Timers (one monotonic clock)
 */

/* A timer reference; the zero value names no timer. */
typedef struct ot_timer {
	uint64_t id;
} ot_timer;

/*
 * Sends a copy of (tag, data, size) to the process to after timeout_ms
 * milliseconds, as if the caller had sent it then (its pid is the sender).
 * *out (may be NULL) receives a reference for ot_cancel_timer().
 * Errors: OT_EINVAL (timeout not >= 0, to malformed, data/size mismatch),
 * OT_ENOMEM, OT_ENOTSTARTED. From: process or foreign. Never blocks.
 */
OT_API int ot_send_after(int timeout_ms, ot_pid to, uint64_t tag,
			 const void *data, size_t size, ot_timer *out);

/*
 * Cancels a timer from ot_send_after(); its message will not be sent.
 * *remaining_ms (may be NULL) gets the milliseconds that were left.
 * Errors: OT_ENOTIMER (already fired or cancelled, or never a timer),
 * OT_ENOTSTARTED. From: process or foreign. Never blocks.
 */
OT_API int ot_cancel_timer(ot_timer timer, int *remaining_ms);

/* Milliseconds on the runtime's monotonic clock (CLOCK_MONOTONIC). */
OT_API int64_t ot_monotonic_ms(void);

/* ----------------------------------------------------------------------
 * Registered names
 */

/* Longest name, in bytes, excluding the terminating NUL. */
#define OT_NAME_MAX 63

/*
 * Registers pid under name (copied). A process has at most one name; the
 * name is released when the process ends.
 * Errors: OT_EINVAL (name NULL or empty, pid none), OT_ENAMETOOLONG,
 * OT_ENAMETAKEN, OT_EHASNAME, OT_ENOPROC (pid not alive), OT_ENOMEM,
 * OT_ENOTSTARTED. From: process or foreign. Never blocks for long.
 */
OT_API int ot_register(const char *name, ot_pid pid);

/*
 * Removes a registered name. Errors: OT_EINVAL, OT_ENAMETOOLONG,
 * OT_ENOTREG, OT_ENOTSTARTED. From: process or foreign.
 */
OT_API int ot_unregister(const char *name);

/*
 * Looks a name up; stores the pid in *out. Errors: OT_EINVAL (name or out
 * NULL, empty name), OT_ENAMETOOLONG, OT_ENOTREG, OT_ENOTSTARTED.
 * From: process or foreign. Never blocks for long.
 */
OT_API int ot_whereis(const char *name, ot_pid *out);

OT_END_DECLS

#endif /* OTTER_PROC_H */
