/* SPDX-License-Identifier: MIT */
/*
 * otter/proc.h — the process runtime: lightweight processes on a pool of
 * scheduler threads, with mailboxes, selective receive, timers and names.
 *
 * A process is a function running on a stack of its own while it runs.
 * Processes share nothing: a message is copied into the receiver's mailbox
 * (or, with ot_send_owned(), handed over with its free function). Between
 * one sender and one receiver, messages arrive in the order they were sent.
 *
 * Stacks: processes take turns on a few hundred guarded stacks per stack
 * size (ot_config.shared_stacks). While a process waits (receive, sleep,
 * a call, an fd wait, a yield), its live frames may be copied off the
 * stack into a block of their size — a few hundred bytes for a process
 * blocked in receive — and they are copied back to the same addresses
 * before it runs again. So within a process, pointers into its own stack
 * stay valid across every wait. The one rule this brings:
 *
 *   Nothing outside a process may use a pointer into that process's
 *   stack while the process waits.
 *
 * Another process that reads or writes it then may touch the frames of
 * whichever process is on the stack at that moment. In practice: do not
 * pass the address of a local variable of a process as ot_spawn()'s arg (or
 * a gen_server's init argument, or inside a message) when the process then
 * waits while the other side may still use it; pass a copy (a message, or
 * malloc'd memory the receiver frees). Foreign threads have their own
 * stacks and are not concerned: main() may pass its locals as before.
 * OTTER_STACK_CHECK=1 in the environment makes every such use read 0xdb
 * bytes at once instead of now and then (it copies every frame off at
 * every wait: for tests, not for production).
 *
 * Scheduling is cooperative: a process runs until it waits (receive, sleep),
 * yields (ot_yield), or ends. A process that loops without ever doing one of
 * these keeps its scheduler thread to itself and cannot be killed; Erlang
 * preempts such a process, otter cannot. It does not keep the rest of its
 * scheduler's work: an idle scheduler fires that scheduler's due timers
 * (receive timeouts, ot_send_after) within a few milliseconds and runs the
 * processes waiting in its run queue. Only a process it woke itself (the
 * next to run there) and processes sharing its stack wait for it.
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
 *
 * Errors: besides those each function lists, any function that can return
 * OT_ENOTSTARTED returns OT_ESHUTDOWN to a foreign thread from the moment
 * ot_shutdown() begins until it has returned (OT_ENOTSTARTED then, until
 * the next ot_start()): from any thread, at any moment, a call either
 * runs as usual, or returns that error having done nothing. A foreign
 * thread blocked in a call when the shutdown begins is woken, and the call
 * returns OT_ESHUTDOWN (or what it was waiting for, if that came first).
 * Processes go on as usual while the shutdown stops them in order (see
 * ot_shutdown()); ot_spawn() and the calls that start something new
 * return OT_ESHUTDOWN to them only once what is left is being killed.
 */
#ifndef OTTER_PROC_H
#define OTTER_PROC_H

#include <sys/types.h>

#include <otter/base.h>
#include <otter/error.h>
#include <otter/reason.h>
#include <otter/log.h>

OT_BEGIN_DECLS

/* Longest registered name, in bytes, excluding the terminating NUL. */
#define OT_NAME_MAX 63

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
	/* How many stacks the processes of one stack size share (see "Stacks"
	 * below). More stacks mean fewer copies of frames when many
	 * processes take turns, and more resident memory for the stacks
	 * themselves. 0: OT_DEFAULT_SHARED_STACKS. At most
	 * OT_MAX_SHARED_STACKS. */
	size_t shared_stacks;
	/* Bytes of inaccessible memory below each stack, rounded up to
	 * pages: a stack overflow, even by a frame this large, faults there
	 * and is a crash of that process. It costs address space, not
	 * memory. 0: OT_DEFAULT_STACK_GUARD. */
	size_t stack_guard;
	/* How long ot_shutdown() gives the processes started from outside
	 * any process (and the trees under them) to stop in order, in all,
	 * before it kills what is left. 0: OT_DEFAULT_SHUTDOWN_TIMEOUT;
	 * OT_INFINITY: as long as they take. */
	int shutdown_timeout_ms;
} ot_config;

#define OT_DEFAULT_STACK_SIZE	    ((size_t)64 * 1024)
#define OT_MIN_STACK_SIZE	    ((size_t)16 * 1024)
#define OT_MAX_STACK_SIZE	    ((size_t)1024 * 1024 * 1024)
#define OT_DEFAULT_MAX_PROCESSES    ((size_t)1 << 20)
#define OT_DEFAULT_SHARED_STACKS    ((size_t)256)
#define OT_MAX_SHARED_STACKS	    ((size_t)65536)
#define OT_DEFAULT_STACK_GUARD	    ((size_t)8 * 1024 * 1024)
#define OT_MAX_STACK_GUARD	    ((size_t)1024 * 1024 * 1024)
#define OT_MAX_PROCESSES	    ((size_t)1 << 26)
#define OT_DEFAULT_SHUTDOWN_TIMEOUT 30000 /* ms */

/*
 * Starts the runtime: the scheduler threads and the process table. cfg may
 * be NULL for the defaults; it is not kept.
 * Errors: OT_ESTARTED (already running), OT_EINVAL (a field out of range),
 * OT_ENOMEM, a system error (OT_ESYS_ERRNO(EAGAIN), ...: a thread or
 * mapping could not be created).
 * From: foreign. Does not block beyond starting the threads.
 */
OT_API int ot_start(const ot_config *cfg);

/*
 * Stops the runtime, in this order:
 *  1. Foreign threads are shut out: from now on their otter calls return
 *     OT_ESHUTDOWN, and those blocked in a call (a receive, a sleep, a
 *     gen_server call, an fd wait) return it now. Shutdown goes on once
 *     no foreign thread is inside an otter call any more.
 *  2. The roots stop in order. A root is a process spawned by a foreign
 *     thread (from outside any process), so nothing inside the runtime is
 *     its parent: a gen_server or supervisor that main started, say.
 *     Newest first, each root gets the exit signal `shutdown` from the
 *     thread that spawned it — as from its parent — and is waited for.
 *     One that does not trap exits ends at once with reason shutdown; a
 *     gen_server started from a foreign thread takes it as its parent's
 *     EXIT and runs terminate, so a supervisor stops its children in
 *     reverse start order, each with its own shutdown policy (children
 *     of a supervisor are not roots: their supervisor stops them). This
 *     is Erlang's application stop: the application master sends its top
 *     supervisor exit(shutdown) and waits. All of it within
 *     ot_config.shutdown_timeout_ms (OT_DEFAULT_SHUTDOWN_TIMEOUT, 30 s).
 *     Processes work as usual meanwhile (send, call, spawn...).
 *  3. Every process still alive is killed (reason killed, at its next
 *     wait or yield; no terminate runs), and from then on processes get
 *     OT_ESHUTDOWN from ot_spawn() and the calls that start something.
 *  4. Foreign threads are detached, the scheduler threads joined, and all
 *     memory the runtime holds is returned.
 * Afterwards ot_start() may be called again; a thread attached before
 * gets a new pid then.
 * Errors: OT_ENOTSTARTED, OT_ENOTFOREIGN (called from a process),
 * OT_ESHUTDOWN (another thread's ot_shutdown() is under way; this one
 * returns at once), OT_EDEADLK (called from inside an otter call, a
 * receive predicate say: it would wait for itself).
 * From: foreign only. Blocks until every process has ended.
 */
OT_API int ot_shutdown(void);

/* True between a successful ot_start() and the end of ot_shutdown()
 * (true while it is under way). */
OT_API bool ot_running(void);

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
	/* OT_SPAWN_LINK and/or OT_SPAWN_MONITOR; other bits are rejected. */
	unsigned flags;
	/* With OT_SPAWN_MONITOR: where the monitor's reference is stored. */
	struct ot_ref *monitor_ref;
	/* The new process's exit hook, as if it had called
	 * ot_set_exit_hook(exit_hook, exit_hook_arg) before it first ran:
	 * it runs even if the process is killed before that. NULL: none.
	 * Not run when ot_spawn() fails (the caller keeps exit_hook_arg). */
	void (*exit_hook)(const ot_reason *reason, void *arg);
	void *exit_hook_arg;
	/* An opt-in limit on the mailbox, as Erlang's max_heap_size limits
	 * a process's heap: at most max_messages messages and at most
	 * max_bytes bytes of their payloads waiting in it (0: no such
	 * limit). Only ordinary messages count (ot_send(), ot_send_owned(),
	 * ot_send_alias(), ot_send_after(); gen_server's calls, casts and
	 * replies): exit signals, EXIT and DOWN messages never count and are
	 * never dropped. What a message that would pass the limit does is
	 * mailbox_policy's. */
	size_t max_messages;
	size_t max_bytes;
	unsigned mailbox_policy; /* OT_MAILBOX_KILL (0) or OT_MAILBOX_DROP */
} ot_spawn_opts;

/* The process is killed, as Erlang kills a process past max_heap_size:
 * untrappable, no terminate, reason {error, OT_ELIMIT, "mailbox_limit"}
 * (OT_MAILBOX_LIMIT_TEXT), with a crash report. The message is dropped,
 * and so is every later one until it has ended. */
#define OT_MAILBOX_KILL 0u
/* The message is dropped, and counted (ot_process_info.mailbox_dropped):
 * the sender is not told, as a send to a dead process is not. */
#define OT_MAILBOX_DROP	      1u
#define OT_MAILBOX_LIMIT_TEXT "mailbox_limit"

/* Links the caller and the new process before the new one runs: a child
 * that dies at once still delivers its real reason, never noproc. */
#define OT_SPAWN_LINK 1u
/* Monitors the new process, atomically likewise (needs monitor_ref). */
#define OT_SPAWN_MONITOR 2u

/* A monitor reference; the zero value names no monitor. */
typedef struct ot_ref {
	uint64_t id;
} ot_ref;

/*
 * Starts a process that runs fn(arg). opts may be NULL. On success the new
 * pid is stored in *out (out may be NULL) and 0 is returned; the process may
 * already have run, and even ended, by then. arg is owned by the caller; a
 * process that passes a pointer into its own stack must not wait while the
 * new process may still use it (see "Stacks" at the top). The new process
 * gets no stack until it first runs, and spawning maps no memory.
 * With OT_SPAWN_LINK / OT_SPAWN_MONITOR the caller (a process or an
 * attached foreign thread) is linked to / monitors the new process.
 * Errors: OT_EINVAL (fn NULL, bad stack size, unknown flags, empty name,
 * OT_SPAWN_MONITOR without monitor_ref, an unknown mailbox_policy),
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

/* Tags from OT_TAG_SYSTEM up are otter's own: ot_send() refuses them, so
 * an EXIT or DOWN message cannot be forged. */
#define OT_TAG_SYSTEM UINT64_C(0xffffffff00000000)
#define OT_TAG_EXIT   (OT_TAG_SYSTEM + 1) /* payload: ot_exit_info */
#define OT_TAG_DOWN   (OT_TAG_SYSTEM + 2) /* payload: ot_down_info */

/*
 * Sends a copy of size bytes at data, tagged with tag, to the process to.
 * data may be NULL only when size is 0 (and must be NULL then). Sending to
 * a process that has ended, or to a stale pid, succeeds and does nothing, as
 * in Erlang. The caller keeps data.
 * Errors: OT_EINVAL (to is OT_PID_NONE or malformed, data/size mismatch,
 * size above PTRDIFF_MAX, tag >= OT_TAG_SYSTEM), OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign. Never blocks; a process that has sent or
 * received 64 messages in a row without waiting yields here (as Erlang
 * charges reductions for sends), so that a sending loop starves neither
 * its receivers nor its scheduler's timers and descriptors.
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
 * A process that has sent or received 64 messages in a row without waiting
 * yields in a receive that may wait (timeout_ms not 0), even when a message
 * is there, so that a flooded server lets others run (Erlang's
 * reductions); exit signals may be acted on then, as in a wait. A look
 * (timeout_ms 0) never switches.
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

/* A place in the caller's mailbox (ot_mailbox_mark()): every message that
 * arrives after it is made comes after it. The zero value is the place
 * before every message. */
typedef struct ot_mark {
	uint64_t pid; /* whose mailbox; 0 in the zero value */
	uint64_t seq; /* arrivals counted before the mark */
} ot_mark;

/*
 * Marks the end of the caller's mailbox now, in *out: a later
 * ot_receive_match_since(*out, ...) looks only at messages that arrive
 * after this call, and skips the older ones without offering them (its
 * cost does not grow with the messages already queued). This is Erlang's
 * receive marker, which OTP sets as a call makes its reference. Make the
 * mark before whatever may cause the awaited message (before the monitor
 * and the request of a call). A mark stays valid whatever becomes of the
 * messages before it (taken, dropped with an alias, the mailbox
 * emptied); it is the caller's alone.
 * Errors: OT_EINVAL (out NULL), OT_ENOTSTARTED, OT_ENOMEM (a foreign
 * thread could not be attached), OT_ESHUTDOWN (foreign thread, runtime
 * stopping). From: process or foreign. Never blocks.
 */
OT_API int ot_mailbox_mark(ot_mark *out);

/*
 * ot_receive_match() among the messages that arrived after mark only: the
 * older ones are neither offered to match nor taken, and stay in the
 * mailbox in their order for later receives. A zero mark looks at every
 * message, as ot_receive_match().
 * Errors: as ot_receive_match(), and OT_EINVAL when mark is another
 * process's (or of an earlier life of the caller's pid).
 */
OT_API int ot_receive_match_since(ot_mark mark, ot_match_fn match, void *arg,
				  ot_msg **out, int timeout_ms);

/* ----------------------------------------------------------------------
 * Exit signals, links and monitors — Erlang's rules
 *
 * A process ends with a reason (otter/reason.h). Its links and monitors
 * then receive a signal, after every message it sent them before (signals
 * and messages from one process to another keep their order), and after
 * its registered name has been released:
 *
 *  - A linked process that does not trap exits ends with the same reason,
 *    unless the reason is normal. One that traps exits instead gets an
 *    EXIT message (tag OT_TAG_EXIT, payload ot_exit_info), normal too.
 *  - A monitoring process gets a DOWN message (tag OT_TAG_DOWN, payload
 *    ot_down_info). Monitors are one-way and independent of each other.
 *
 * Signals are acted on by the receiving process itself, in the order they
 * arrived, whenever it waits, receives or yields; trap_exit is read then.
 * A process that is already ending ignores further exit signals.
 *
 * Foreign threads cannot be ended by a signal: they always get exit
 * signals as EXIT messages, as if they trapped exits.
 *
 * Where otter differs from Erlang: errors are returned, not raised. A call
 * that Erlang would answer with an exception (linking a dead process
 * without trapping exits, for instance) returns an error code and the
 * caller goes on.
 */

/* The payload of an EXIT message. Its reason's payload (ot_reason_data)
 * follows it in the message and is valid until ot_msg_free(): keep the
 * reason longer with ot_reason_without_data(), or copy the bytes. */
typedef struct ot_exit_info {
	ot_pid from;	  /* the process the signal came from */
	ot_reason reason; /* why it ended, or the reason given to ot_exit_pid */
} ot_exit_info;

/* The payload of a DOWN message. */
typedef struct ot_down_info {
	ot_ref ref; /* what ot_monitor() returned */
	ot_pid pid; /* the monitored process (none if never found) */
	char name[OT_NAME_MAX + 1]; /* set when monitored by name, else "" */
	ot_reason reason;	    /* why it ended; noproc if it never lived */
} ot_down_info;

/* The EXIT / DOWN payload of msg, or NULL when msg is not one. */
OT_API const ot_exit_info *ot_msg_exit(const ot_msg *msg);
OT_API const ot_down_info *ot_msg_down(const ot_msg *msg);

/*
 * Ends the calling process with reason (Erlang's exit/1). Its links and
 * monitors see the reason; with reason kill, its links get a trappable
 * `kill`. Never returns when called from a process: inside ot_catch() it
 * comes back there, else the process's crash handler runs first (once).
 * A malformed reason (see ot_reason_check) is repaired, not refused: its
 * text is cut at OT_REASON_TEXT_MAX bytes and dropped from a kind that has
 * none, and an unknown kind becomes {error,OT_EINVAL,"bad reason kind N"}.
 * The reason's payload is copied before anything else runs (the crash
 * handler may free it); inside ot_catch() the caught reason's payload is
 * the process's copy, valid until another ot_exit() is caught or the
 * process ends. So a process may end with the reason of an EXIT or DOWN
 * it received, and free that message in its crash handler (which runs
 * after the copy): what ot_exit() leaves behind is never freed.
 * Errors (then it returns): OT_EINVAL (reason NULL), OT_ENOMEM (no memory
 * for the payload's copy), OT_ENOTPROC (foreign thread: a thread cannot
 * be ended this way), OT_ENOTSTARTED.
 */
OT_API int ot_exit(const ot_reason *reason);

/*
 * Sends an exit signal to pid (Erlang's exit/2), from the caller:
 *  - kill: pid ends with reason killed; it cannot be trapped.
 *  - normal: ignored by a process that does not trap exits, unless pid is
 *    the caller itself, which then ends with reason normal.
 *  - anything else: pid ends with that reason, or gets an EXIT message
 *    if it traps exits.
 * The reason's payload is copied before this returns.
 * Sending to a dead pid does nothing. When pid is the caller the signal
 * is acted on before this returns (so it may not return).
 * Errors: OT_EINVAL (pid malformed, reason NULL or malformed: see
 * ot_reason_check), OT_ENOMEM, OT_ENOTSTARTED. From: process or foreign.
 * Never blocks.
 */
OT_API int ot_exit_pid(ot_pid pid, const ot_reason *reason);

/*
 * Sets whether the calling process traps exits (Erlang's
 * process_flag(trap_exit, on)); *old (may be NULL) gets the previous value.
 * Errors: OT_ENOTPROC (foreign thread: it always traps), OT_ENOTSTARTED.
 * From: process.
 */
OT_API int ot_trap_exit(bool on, bool *old);

/*
 * Links the caller and pid (both ways). Linking twice is one link; linking
 * oneself does nothing. If pid is not alive: a caller that traps exits (or
 * a foreign thread) gets an EXIT message with reason noproc and 0 is
 * returned; any other caller gets OT_ENOPROC and goes on.
 * Errors: OT_EINVAL (pid malformed), OT_ENOPROC, OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign (which is attached). Never blocks.
 */
OT_API int ot_link(ot_pid pid);

/*
 * Removes the link between the caller and pid, if any (0 either way). An
 * EXIT message that already arrived stays in the mailbox.
 * Errors: OT_EINVAL, OT_ENOTSTARTED. From: process or foreign.
 */
OT_API int ot_unlink(ot_pid pid);

/*
 * Monitors pid: when it ends, the caller gets one DOWN message carrying
 * *out (the reference) and the reason. If pid is not alive the DOWN (with
 * noproc) is sent at once. Each call makes a new, independent monitor.
 * Errors: OT_EINVAL (pid malformed, out NULL), OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign (which is attached). Never blocks.
 */
OT_API int ot_monitor(ot_pid pid, ot_ref *out);

/*
 * Monitors the process registered as name now; DOWN carries the name. An
 * unknown name gives an immediate DOWN with noproc.
 * Errors: as ot_monitor() (OT_EINVAL also for a NULL or empty name), and
 * OT_ENAMETOOLONG.
 */
OT_API int ot_monitor_name(const char *name, ot_ref *out);

/* ot_demonitor() flags. */
#define OT_DEMONITOR_FLUSH 1u /* also remove a DOWN already received */
#define OT_DEMONITOR_INFO  2u /* return 1 if the monitor was still active */

/*
 * Turns a monitor off: no DOWN for it arrives after this returns, except
 * one already received (OT_DEMONITOR_FLUSH removes that one too). A ref the
 * caller does not own (someone else's, stale, or zero) does nothing.
 * Returns 0, or with OT_DEMONITOR_INFO 1 when the monitor was active and 0
 * when it was not (already fired, or never the caller's). As in OTP, a 0
 * from OT_DEMONITOR_INFO without OT_DEMONITOR_FLUSH for a monitor that
 * fired means its DOWN is in the caller's mailbox when this returns (if the
 * target had just ended, this waits the moment it takes its DOWN to come).
 * Errors: OT_EINVAL (unknown flags), OT_ENOTSTARTED. From: process or
 * foreign. Never blocks but for that moment.
 */
OT_API int ot_demonitor(ot_ref ref, unsigned flags);

/* ----------------------------------------------------------------------
 * Aliases (Erlang 24's alias/unalias): an address for replies that stops
 * accepting them once its owner gives up, so a late reply never lands in
 * the mailbox. gen_server calls are built on them.
 */

/* Deprecated, kept so that code naming it still builds: a process holds
 * as many aliases as memory allows (its table grows), as in Erlang; this
 * was the limit before 0.1.0's last changes. */
#define OT_ALIAS_MAX 8

/*
 * Makes a new alias for the calling process; *out gets it (never 0). A
 * process holds any number at once: only memory limits them.
 * Errors: OT_EINVAL (out NULL), OT_ENOMEM (no memory for a larger alias
 * table, or a foreign thread could not be attached), OT_ENOTSTARTED.
 * From: process or foreign (attached).
 */
OT_API int ot_alias(uint64_t *out);

/*
 * Deactivates an alias of the caller: messages sent to it afterwards are
 * dropped, and so are those that arrived through it and were not received
 * yet (unlike Erlang's unalias/1, which leaves those in the queue: a
 * reply that comes twice, or races a timeout, is never left behind).
 * Returns 1 if it was active, 0 if not. Errors: OT_ENOTSTARTED.
 * From: process or foreign.
 */
OT_API int ot_unalias(uint64_t alias);

/* What ends the alias of a monitor made with ot_monitor_alias(): the
 * modes of OTP 24's monitor(process, Pid, [{alias, Mode}]). */
typedef enum ot_alias_mode {
	/* Only ot_unalias() ends it; it outlives the monitor. */
	OT_ALIAS_EXPLICIT_UNALIAS = 1,
	/* It also ends with the monitor: at ot_demonitor() (which then drops
	 * what came through it and was not received, as ot_unalias() does)
	 * or when the DOWN is taken into the mailbox (what came through it
	 * before stays; anything after is dropped). */
	OT_ALIAS_DEMONITOR = 2,
	/* As OT_ALIAS_DEMONITOR, and the first message through it ends both
	 * the alias and the monitor as it is taken into the mailbox: any
	 * later message through it is dropped and no DOWN follows (the DOWN
	 * comes instead if the monitored process ends first). What a client
	 * waiting for one reply wants; gen_server calls are made so. */
	OT_ALIAS_REPLY_DEMONITOR = 3,
} ot_alias_mode;

/*
 * Monitors pid as ot_monitor() does, and makes the monitor's reference an
 * alias of the caller too: ot_send_alias(caller, out->id, ...) reaches the
 * caller while the alias is active, and what ends it is mode. A pid that
 * is not alive gets its DOWN (noproc) at once, and the alias only with
 * OT_ALIAS_EXPLICIT_UNALIAS. pid may be of another node, as for
 * ot_monitor() (otter/remote.h; OT_EREMOTE when no node runs). Errors:
 * OT_EINVAL (pid malformed, out NULL, mode not one of ot_alias_mode),
 * OT_EREMOTE, OT_ENOMEM, OT_ENOTSTARTED.
 * From: process or foreign (attached).
 */
OT_API int ot_monitor_alias(ot_pid pid, ot_alias_mode mode, ot_ref *out);

/*
 * Sends a copy of (tag, data, size) to process `to`, through alias: it is
 * dropped unless alias is an active alias of `to` when it arrives. The
 * receiver sees the alias with ot_msg_alias(). Errors: as ot_send().
 */
OT_API int ot_send_alias(ot_pid to, uint64_t alias, uint64_t tag,
			 const void *data, size_t size);

/* The alias a message was sent through, 0 for an ordinary message. */
OT_API uint64_t ot_msg_alias(const ot_msg *msg);

/*
 * Gives back to the system the pages of the calling process's stack below
 * its current depth (gen_server's hibernate calls it). A waiting process
 * keeps only its live frames anyway (see "Stacks"); what this returns is
 * the memory the shared stack kept from an earlier deep call of whichever
 * process ran on it. The next deep call faults the pages back in, zeroed.
 * Returns 0. Errors: OT_ENOTPROC (foreign thread), OT_ENOTSTARTED.
 * From: process.
 */
OT_API int ot_stack_trim(void);

/* ----------------------------------------------------------------------
 * Crash trapping and crash reports
 *
 * While the runtime runs, a fault in a process's own code — SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL, or SIGABRT from abort() or a failed assert() —
 * ends that process only, with a crash reason (otter/reason.h): the
 * signal, its si_code, the fault address, and stack_overflow when the
 * process ran into the guard page below its stack. Its links and monitors
 * then see that reason like any other, and the scheduler goes on with the
 * other processes. The process's stack is abandoned: what it had allocated
 * stays allocated, and locks it held (its own mutexes, or libc's if it
 * faulted inside malloc) stay held. Trapping costs nothing until a fault.
 *
 * Not trapped, but reported on stderr and handed to the handler installed
 * before ot_start() (or to the default action, a core dump): a fault on a
 * thread that runs no process (main, the program's own threads), and a
 * fault inside otter's own code or while otter holds one of its locks.
 *
 * Every stack has a guard below it, OT_DEFAULT_STACK_GUARD (8 MiB) wide
 * unless ot_config.stack_guard says otherwise, at any process count: a
 * deep recursion, a large local array or an alloca() that runs off the
 * stack faults in the guard. Only a single frame larger than the guard can
 * jump over it; build code that may have such frames with gcc's or clang's
 * -fstack-clash-protection (which touches every page of a large frame in
 * order), and the guard catches those too.
 */

/* Crash reports and the logger: otter/log.h (included here). */

/* The stack a crash handler needs below the faulting frame: its own
 * 16 KB and a 1 KB red zone above them. With less, it does not run. */
#define OT_CRASH_HANDLER_STACK_MIN (17 * 1024)

/* Runs when the calling process's own code ends it: after a crash (not
 * after a stack overflow, nor when less than OT_CRASH_HANDLER_STACK_MIN
 * bytes of the process's stack are left below the faulting frame, where
 * fn runs), and when it calls
 * ot_exit() — fn(reason, arg) in the process, before it ends with that
 * reason, so it may clean up (gen_server runs terminate here). Not for
 * exit signals from others (ot_exit_pid(), links), nor inside ot_catch().
 * fn runs once: an ot_exit() inside it ends the process with that reason
 * at once, and a crash inside it ends the process with that crash's
 * reason (it does not run again). NULL removes it.
 * Errors: OT_ENOTPROC (foreign thread), OT_ENOTSTARTED. From: process. */
typedef void (*ot_crash_fn)(const ot_reason *reason, void *arg);
OT_API int ot_set_crash_handler(ot_crash_fn fn, void *arg);

/*
 * Sets the calling process's exit hook: fn(reason, arg) runs once the
 * process has ended, whatever ended it (it returned, ot_exit(), a crash, a
 * stack overflow, a kill, an exit signal, ot_shutdown()), with the reason
 * it ended with, so that what the process owned (its heap state, its
 * descriptors) is released even when none of its own code could run.
 * A later call replaces the hook; fn NULL removes it. It runs exactly
 * once, by the runtime on a scheduler thread, off the process's stack
 * (which is gone: arg must not point into it), before the process's
 * links and monitors get their EXIT / DOWN and before its name is
 * released. So it must be short and must not wait: it may free memory,
 * close descriptors and send messages (ot_send() and the like, which
 * then have no sender), but not receive, call, sleep or wait on a
 * descriptor, and ot_self() is not the ended process. A crash inside fn
 * is caught: it is reported (a crash report, at OT_LOG_ERROR) and the
 * runtime goes on; what fn had not freed yet stays allocated.
 * Errors: OT_ENOTPROC (foreign thread), OT_ENOTSTARTED. From: process.
 */
typedef void (*ot_exit_hook_fn)(const ot_reason *reason, void *arg);
OT_API int ot_set_exit_hook(ot_exit_hook_fn fn, void *arg);

/*
 * Runs fn(arg) in the calling process and catches how it may end the
 * process (Erlang's catch): a crash inside fn (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGABRT) or an ot_exit() from it comes back here as
 * OT_ECRASHED, with *reason (may be NULL) saying why, and the process goes
 * on. Returns 0 when fn returned. The frames of fn and of what it called
 * are abandoned: what they had allocated stays allocated, and locks they
 * held stay held. Not caught: a stack overflow, or a fault with less than
 * 5 KB of stack left below it (the process ends, as without ot_catch()),
 * and exit signals from other processes (a kill is a kill). Catches nest:
 * the innermost takes it. Inside one, a crash handler does not run.
 * Errors: OT_EINVAL (fn NULL), OT_ENOTPROC (foreign thread), OT_ENOTSTARTED.
 * From: process; fn may block.
 */
OT_API int ot_catch(void (*fn)(void *arg), void *arg, ot_reason *reason);

/* ----------------------------------------------------------------------
 * Registered names
 */

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

/*
 * Sends as ot_send() to the process registered as name now (Erlang's
 * Name ! Msg). Errors: as ot_send(), and OT_EINVAL (name NULL or empty),
 * OT_ENAMETOOLONG, OT_ENOTREG (no process has the name: Erlang raises
 * badarg). From: process or foreign. Never blocks.
 */
OT_API int ot_send_name(const char *name, uint64_t tag, const void *data,
			size_t size);

/* ----------------------------------------------------------------------
 * Waiting for file descriptors, and read/write/accept/connect that park a
 * process instead of blocking its scheduler thread (ot_fd_wait(),
 * ot_read(), ot_write(), ot_accept(), ot_connect(),
 * ot_fd_set_nonblocking(), ot_errno()): otter/io.h. Not included here,
 * so that proc.h does not bring <sys/socket.h> to every user; include
 * <otter/io.h> (or <otter.h>, which includes every header).
 */

OT_END_DECLS

/* Split off, and included here so that proc.h keeps declaring them. */
#include <otter/info.h>
#include <otter/timer.h>

#endif /* OTTER_PROC_H */
