/* SPDX-License-Identifier: MIT */
/*
 * otter/gen_server.h — generic servers: Erlang's gen_server, Elixir's
 * GenServer, in C.
 *
 * A server is a table of callbacks that run one at a time in one process
 * and own its state; otter supplies the process, the mailbox loop, calls
 * that wait for their reply, casts, timeouts, and the exit and crash
 * handling around them. Clients call, cast and stop it from any process or
 * foreign thread.
 *
 * Every callback returns an ot_gs_ret that says what happens next; build
 * it with the helpers below (ot_gs_reply(), ot_gs_noreply(), ot_gs_stop(),
 * ...), then adjust its fields (idle timeout, hibernate, continue) where
 * needed. The builders copy a reply before they return, so `return
 * ot_gs_reply(&local, sizeof local);` is right: a reply of up to
 * OT_GS_REPLY_INLINE bytes travels inside the ot_gs_ret, a larger one in a
 * heap copy that the server frees once it is sent. Only a reply set by
 * hand (the `reply` field) is read after the callback returns: it must
 * point into the state or static storage, not into the callback's locals.
 *
 * Where otter differs from OTP: errors are returned, not raised. A call
 * that times out, finds no server, or whose server dies returns an error
 * code (and the exit reason); the caller never dies of it. A failed
 * start_link returns the error without killing the caller and without
 * leaving an EXIT message in its mailbox.
 *
 * The parent: a server started with start_link has its starter as its
 * parent, one started with start is its own parent, as in OTP; but a
 * server started from a foreign thread has that thread as its parent
 * either way (OTP has no foreign threads). A server that traps exits and
 * gets an EXIT from its parent stops with that reason, running terminate:
 * that is how ot_shutdown() stops the servers main started, in order
 * (otter/proc.h).
 */
#ifndef OTTER_GEN_SERVER_H
#define OTTER_GEN_SERVER_H

#include <otter/base.h>
#include <otter/error.h>
#include <otter/proc.h>
#include <otter/reason.h>

OT_BEGIN_DECLS

/* Who made a call: kept by a server that replies later (ot_gs_noreply()
 * now, ot_gen_server_reply() from any process afterwards). */
typedef struct ot_gs_from {
	ot_pid caller;
	uint64_t alias; /* the caller's alias for this one call */
} ot_gs_from;

/* What a callback asks for next. */
typedef enum ot_gs_action {
	OT_GS_OK = 1,  /* init: started */
	OT_GS_IGNORE,  /* init: do not start (start returns OT_EIGNORED) */
	OT_GS_REPLY,   /* handle_call: send the reply to the caller */
	OT_GS_NOREPLY, /* no reply now (a call is answered later, or never) */
	OT_GS_STOP,    /* stop with `reason` (after a reply, if has_reply) */
	/* init: fail to start with `reason`, which is no crash: start returns
	 * OT_EINITERROR and the reason, no report is written, and the process
	 * ends with reason normal (OTP 26's {error, Reason}). */
	OT_GS_ERROR,
} ot_gs_action;

/* Replies up to this many bytes travel inside the ot_gs_ret. */
#define OT_GS_REPLY_INLINE 64

typedef struct ot_gs_ret {
	ot_gs_action action;
	/* OT_GS_REPLY, or OT_GS_STOP with has_reply: the reply, reply_size
	 * bytes. The builders copy the bytes into reply_bytes or reply_copy
	 * and leave `reply` NULL. Set `reply` by hand only to send bytes that
	 * outlive the callback (the state, static data): they are read after
	 * it returns, and take precedence over a builder's copy. */
	const void *reply;
	size_t reply_size;
	bool has_reply; /* OT_GS_STOP: reply to the caller after terminate */
	/* OT_GS_STOP (and from init): why. */
	ot_reason reason;
	/* Idle timeout in ms: if no message arrives within it, handle_info
	 * gets a message tagged OT_GS_TAG_TIMEOUT. 0 here means none (set
	 * has_timeout for a 0 ms timeout). */
	int timeout_ms;
	bool has_timeout;
	/* Give back the memory the server does not use while it waits: the
	 * unused part of its stack. */
	bool hibernate;
	/* Run handle_continue(continue_arg) before any other message. */
	bool has_continue;
	uint64_t continue_arg;
	/* The builders' copy of the reply: a reply of up to
	 * OT_GS_REPLY_INLINE bytes by value in reply_bytes, a larger one in
	 * reply_copy (malloc'd; the server frees it, whatever the callback's
	 * result turns out to be, so return what a builder made). */
	void *reply_copy;
	/* OT_GS_STOP: the builder's copy of the reason's payload (malloc'd;
	 * the server frees it, as reply_copy). */
	void *reason_copy;
	unsigned char reply_bytes[OT_GS_REPLY_INLINE];
	/* (A field added here is also set by result.c's fast builders.) */
} ot_gs_ret;

/*
 * Result builders (the other fields zero, but reason.text is only an
 * empty string: its bytes past the first are left as they were, and so
 * are reply_bytes past reply_size). ot_gs_reply() and
 * ot_gs_stop_reply() copy size bytes at reply before they return (reply
 * may be a local variable). Where that copy cannot be made (no memory for
 * a large reply) or the arguments are bad (reply NULL with a size, a size
 * above PTRDIFF_MAX), the result stops the server instead, with reason
 * {error, OT_ENOMEM or OT_EINVAL, ...}: the caller sees OT_ESERVERDIED.
 * A malformed reason (see ot_reason_check) is replaced the same way, by
 * {error,OT_EINVAL,"bad reason given to a builder"}. ot_gs_stop() and
 * ot_gs_stop_reply() copy the reason's payload (into reason_copy), so it
 * reaches terminate, the links and the monitors whole; ot_gs_error()
 * drops it (the starter keeps the reason: its text says why).
 * ot_gs_error(): from init only (see OT_GS_ERROR).
 */
OT_API ot_gs_ret ot_gs_ok(void);
OT_API ot_gs_ret ot_gs_ignore(void);
OT_API ot_gs_ret ot_gs_reply(const void *reply, size_t size);
OT_API ot_gs_ret ot_gs_noreply(void);
OT_API ot_gs_ret ot_gs_stop(ot_reason reason);
OT_API ot_gs_ret ot_gs_stop_reply(ot_reason reason, const void *reply,
				  size_t size);
OT_API ot_gs_ret ot_gs_error(ot_reason reason);

/* Tags from OT_GS_TAG_BASE to OT_TAG_SYSTEM are gen_server's protocol
 * (calls, casts, replies, stop); anything else a server receives goes to
 * handle_info. */
#define OT_GS_TAG_BASE (OT_TAG_SYSTEM - 256)
/* handle_info gets a message with this tag (no payload, the server as
 * sender) when an idle timeout expired. */
#define OT_GS_TAG_TIMEOUT (OT_GS_TAG_BASE + 0)

/*
 * The callbacks. init is required; the others may be NULL. A call, a cast
 * or a continue that finds no callback stops the server (running
 * terminate), as an undefined callback does in OTP, with reason
 * {error, OT_EINVAL, "no handle_call callback"} (handle_cast,
 * handle_continue); a message for a missing handle_info is logged and
 * dropped, as OTP's default handle_info does. `state` is the server's own
 * pointer: init sets *state, any callback may replace it.
 *
 * How a callback may end the server, as in OTP (whose try_dispatch
 * catches exit and error alike): by its result, by a crash, or by
 * ot_exit(R) — then terminate runs with R, the server ends with R, and R
 * is reported unless it is clean (ot_exit(kill) too: R is then a trappable
 * kill for the links, as ot_exit() makes it). An exit signal from another
 * process (ot_exit_pid(), a link) is no callback's doing: it ends the
 * server without terminate, unless it traps exits.
 */
typedef struct ot_gen_server_callbacks {
	ot_gs_ret (*init)(void *arg, void **state);
	ot_gs_ret (*handle_call)(const void *request, size_t size,
				 ot_gs_from from, void **state);
	ot_gs_ret (*handle_cast)(const void *request, size_t size,
				 void **state);
	ot_gs_ret (*handle_info)(const ot_msg *msg, void **state);
	ot_gs_ret (*handle_continue)(uint64_t arg, void **state);
	/* Runs as the server stops: on OT_GS_STOP, ot_gen_server_stop(), an
	 * EXIT from its parent when it traps exits, after an ot_exit() in a
	 * callback, and after a crash in a callback (not after a stack
	 * overflow, nor when the fault left less than
	 * OT_CRASH_HANDLER_STACK_MIN bytes of stack below it: see
	 * ot_set_crash_handler()). Frees what the state holds.
	 * A terminate that crashes or calls ot_exit() ends the server with
	 * that reason instead, as in OTP: ot_gen_server_stop() then returns
	 * OT_ESERVERDIED; a reply due after terminate (ot_gs_stop_reply())
	 * is sent all the same. */
	void (*terminate)(const ot_reason *reason, void *state);
	/* Renders the state for ot_gen_server_get_state() and crash reports;
	 * returns the length written, as snprintf. A crash (or an ot_exit())
	 * inside it is caught (ot_catch()): the text is then a placeholder,
	 * "<format_status crashed: REASON>", and the server goes on, or ends
	 * with the reason it was ending for (OTP's gen:format_status). */
	int (*format_status)(void *state, char *buf, size_t size);
	/* Frees the state of a server that ended without running terminate
	 * to its end (no OTP twin: Erlang frees a process's heap itself).
	 * Runs once the server has ended, if its init had returned ok and
	 * terminate did not return: it was killed, overflowed its stack, got
	 * an exit signal while not trapping exits, was ended by ot_shutdown()
	 * that way, has no terminate, or terminate itself was cut short (a
	 * kill while it waited, a crash in it): then release gets the state
	 * as terminate left it, so a terminate that frees part of the state
	 * before it waits must leave a mark of what it freed. It runs off the
	 * server's stack, on a scheduler thread, before the server's links and
	 * monitors hear of its end (ot_set_exit_hook(): it must not wait — free
	 * memory and close descriptors, nothing that receives or calls). A
	 * crash in it is caught and reported. NULL: the state is not freed
	 * then. */
	void (*release)(const ot_reason *reason, void *state);
} ot_gen_server_callbacks;

/* Start options. The zero value means: no name, 5000 ms to start. */
typedef struct ot_gen_server_opts {
	const char *name;     /* register the server under this name */
	int start_timeout_ms; /* 0: 5000; OT_INFINITY: wait for ever */
	size_t stack_size;    /* 0: the runtime default */
	/* Also monitor the server (with ot_gen_server_start: instead of a
	 * link); the reference goes to *monitor_ref (required then). */
	bool monitor;
	ot_ref *monitor_ref;
	/* Hibernate (as ot_gs_ret.hibernate) whenever the server has waited
	 * this many ms for a message with no idle timeout set; 0 or
	 * OT_INFINITY: never (OTP's hibernate_after). */
	int hibernate_after_ms;
	/* The server's mailbox limit, as ot_spawn_opts' fields of the same
	 * names (0: none): a server past it is killed with reason
	 * {error, OT_ELIMIT, "mailbox_limit"} (OT_MAILBOX_KILL, no terminate)
	 * or drops the new message (OT_MAILBOX_DROP: a dropped call times
	 * out). Not OTP's: its nearest is the max_heap_size spawn option. */
	size_t max_messages;
	size_t max_bytes;
	unsigned mailbox_policy;
} ot_gen_server_opts;

#define OT_GS_DEFAULT_TIMEOUT 5000

/*
 * Starts a server and waits until its init has run. On success *out (may
 * be NULL) gets its pid. Errors:
 *  OT_EINVAL (cb or cb->init NULL, bad options), OT_ENAMETOOLONG,
 *  OT_EALREADY (the name is taken: *out gets the pid that has it),
 *  OT_EIGNORED (init returned ignore), OT_EINITERROR (init returned
 *  ot_gs_error(): *reason gets its reason), OT_EINITSTOP (init asked to
 *  stop, crashed or called ot_exit(): *reason gets why), OT_ETIMEDOUT
 *  (init took longer than the start timeout: the server was killed), plus
 *  ot_spawn()'s errors.
 * reason may be NULL. From: process or foreign; blocks until init is done.
 * arg goes to init as it is: from a process, it must not point into the
 * caller's own stack (the caller waits while init runs, and its frames may
 * be saved off its stack meanwhile: otter/proc.h, "Stacks"); pass heap
 * memory, or data that outlives the call. From a foreign thread, locals
 * are fine.
 */
OT_API int ot_gen_server_start(const ot_gen_server_callbacks *cb, void *arg,
			       const ot_gen_server_opts *opts, ot_pid *out,
			       ot_reason *reason);

/* The same, linked to the caller (see the header comment for how a
 * failure differs from OTP's). */
OT_API int ot_gen_server_start_link(const ot_gen_server_callbacks *cb,
				    void *arg, const ot_gen_server_opts *opts,
				    ot_pid *out, ot_reason *reason);

/*
 * Calls server with size bytes at request and waits up to timeout_ms for
 * the reply, copied into reply (cap bytes); *reply_size (may be NULL) gets
 * its size. Errors:
 *  OT_ETIMEDOUT (no reply in time; a reply that comes later is dropped,
 *  never left in the mailbox), OT_ENOPROC (no such server),
 *  OT_ESERVERDIED (it ended during the call: *reason gets why),
 *  OT_EDEADLK (a server calling itself), OT_ETOOBIG (the reply did not fit
 *  in cap: *reply_size says how big it was), OT_EINVAL (also for a request
 *  size above PTRDIFF_MAX).
 * timeout_ms is taken as it is: OT_INFINITY waits for ever, and 0 means
 * "do not wait" (the request is sent and handled, and the call returns
 * OT_ETIMEDOUT), not a default. ot_gen_server_call_opts() takes an
 * options struct whose zero value is the default (5000 ms), and
 * ot_gen_server_call_msg() a reply of any size
 * (otter/gen_server_client.h).
 * reason may be NULL. From: process or foreign; blocks the caller only.
 */
OT_API int ot_gen_server_call(ot_pid server, const void *request, size_t size,
			      void *reply, size_t cap, size_t *reply_size,
			      int timeout_ms, ot_reason *reason);

/* ot_gen_server_call() to the server registered as name (OT_ENOPROC when
 * none is). */
OT_API int ot_gen_server_call_name(const char *name, const void *request,
				   size_t size, void *reply, size_t cap,
				   size_t *reply_size, int timeout_ms,
				   ot_reason *reason);

/* Sends a cast: fire and forget; succeeds even if no server is there.
 * Errors: OT_EINVAL, OT_ENOMEM, OT_ENOTSTARTED. Never blocks. */
OT_API int ot_gen_server_cast(ot_pid server, const void *request, size_t size);

/* Answers a call later, from any process or thread. A reply to a caller
 * that gave up (timed out) or is gone is dropped. Errors: OT_EINVAL,
 * OT_ENOMEM, OT_ENOTSTARTED. Never blocks. */
OT_API int ot_gen_server_reply(ot_gs_from from, const void *reply, size_t size);

/* Stops server with reason (NULL: normal; its payload is copied before
 * this returns), running terminate, and waits until it has ended. Errors:
 * OT_ENOPROC (no such process), OT_ETIMEDOUT, OT_EDEADLK (a server stopping
 * itself: return ot_gs_stop() instead), OT_ESERVERDIED (it ended with another
 * reason: it crashed or was killed before it got to the stop, or its terminate
 * crashed or called ot_exit(), which gives the server terminate's reason, as in
 * OTP), OT_EINVAL (a bad pid or timeout, or a malformed reason: see
 * ot_reason_check). From: process or foreign. */
OT_API int ot_gen_server_stop(ot_pid server, const ot_reason *reason,
			      int timeout_ms);

/* The server's state rendered by format_status (or "<state>" without one)
 * into buf, NUL-terminated and truncated to size (and to 4095 bytes); an
 * empty reply gives an empty text. A format_status that crashes gives its
 * placeholder (see format_status) and the server goes on.
 * Errors: as ot_gen_server_call(), but never OT_ETOOBIG; and OT_ENOTSERVER
 * at once when server runs no gen_server (a plain process: see
 * ot_set_behaviour; Erlang's sys:get_state would wait out its timeout and
 * leave the request in that mailbox). ot_gen_server_replace_state too. */
OT_API int ot_gen_server_get_state(ot_pid server, char *buf, size_t size,
				   int timeout_ms);

/* What ot_gen_server_replace_state() runs in the server: returns the
 * server's new state. */
typedef void *(*ot_gs_replace_fn)(void *state, void *arg);

/*
 * Runs fn(state, arg) in the server, between two messages, and makes what
 * it returns the server's state (OTP's sys:replace_state/2). A crash or an
 * ot_exit() inside fn is caught (ot_catch()): the state stays as it was,
 * the server goes on, and OT_ECRASHED is returned with *reason (may be
 * NULL) saying why. arg goes to fn as it is; from a process it must not
 * point into the caller's own stack (the caller waits meanwhile, as in
 * ot_gen_server_start()). Errors: OT_EINVAL (fn NULL, a bad timeout or
 * pid), OT_ECRASHED, and as ot_gen_server_call(): OT_ETIMEDOUT (fn may
 * still run, or have run), OT_ENOPROC, OT_ESERVERDIED (*reason gets why),
 * OT_EDEADLK, OT_ENOMEM, OT_ENOTSTARTED. From: process or foreign.
 */
OT_API int ot_gen_server_replace_state(ot_pid server, ot_gs_replace_fn fn,
				       void *arg, int timeout_ms,
				       ot_reason *reason);

OT_END_DECLS

/* Calls with options, owned replies, asynchronous requests, calls by
 * name, multi_call and abcast. */
#include <otter/gen_server_client.h>

#endif /* OTTER_GEN_SERVER_H */
