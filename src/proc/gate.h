/* SPDX-License-Identifier: MIT */
/*
 * gate.h — the one way into the runtime from outside it (gate.c), and the
 * bodies of the public functions that go through it (api.c).
 *
 * Each public function of src/proc that touches the runtime is, in api.c,
 *
 *	int g = ot__gate_enter();
 *	if (g < 0)
 *		return g;
 *	return ot__gate_leave(g, ot__send(to, tag, data, size));
 *
 * and its body, ot__send() here, lives in the file of its idea. The
 * bodies never see a foreign thread that shutdown could pull the runtime
 * from under: ot_shutdown() closes the gate (foreign threads get
 * OT_ESHUTDOWN at the door from then on), wakes those inside that wait,
 * and goes on only when none is left inside. A scheduler thread passes
 * without counting anything: the runtime frees nothing while a process
 * may still run.
 *
 * A new public function of src/proc goes in api.c too (tests/abi/
 * test_gate.sh checks that every one declared in otter/proc.h does, or is
 * listed there as touching nothing of the runtime).
 */
#ifndef OTTER_PROC_GATE_H
#define OTTER_PROC_GATE_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <otter/proc.h>

#include "../common/assert.h"

struct ot__sched;
struct ot__sched *ot__sched_self(void);

/* A foreign thread's way in: 1 when it is inside now (counted), else
 * OT_ENOTSTARTED or OT_ESHUTDOWN. While the runtime is stopped the
 * thread gets in, and the body checks its arguments and says
 * OT_ENOTSTARTED, as it did before the runtime ever started. */
int ot__gate_enter_foreign(void);
void ot__gate_leave_foreign(void);

/* 0 on a scheduler thread, 1 for a foreign thread let in, or the error it
 * must return (OT_ENOTSTARTED, OT_ESHUTDOWN). Give what it returned to
 * ot__gate_leave(), which returns rc. */
static inline int ot__gate_enter(void)
{
	if (OT__LIKELY(ot__sched_self() != NULL))
		return 0;
	return ot__gate_enter_foreign();
}

static inline int ot__gate_leave(int entered, int rc)
{
	if (entered)
		ot__gate_leave_foreign();
	return rc;
}

/* True when the calling foreign thread is inside the gate (ot_shutdown()
 * from inside a call, say from a receive predicate, would wait for
 * itself). */
bool ot__gate_held(void);

/* Shutdown, after it set the state to stopping: returns once no foreign
 * thread is inside, waking meanwhile those that wait (their calls return
 * OT_ESHUTDOWN). */
void ot__gate_drain(void);
/* ot_start(), after it set the state to starting: returns once no
 * foreign thread is inside (none waits there: the runtime was stopped). */
void ot__gate_wait_empty(void);

/* ---------------------------------------------------------------------
 * The bodies: ot__x() does what ot_x() documents, once inside the gate.
 */
int ot__alias(uint64_t *out); /* alias.c */
int ot__unalias(uint64_t alias);
int ot__send_alias(ot_pid to, uint64_t alias, uint64_t tag, const void *data,
		   size_t size);
int ot__set_crash_handler(ot_crash_fn fn, void *arg);	    /* fault.c */
int ot__set_exit_hook(ot_exit_hook_fn fn, void *arg);	    /* lifecycle.c */
int ot__thread_detach(void);				    /* foreign.c */
int ot__process_info_get(ot_pid pid, ot_process_info *out); /* info.c */
int ot__process_details_get(ot_pid pid, ot_process_details *out, size_t size);
int ot__set_label(const char *label);
int ot__set_behaviour(const char *behaviour);
int ot__processes(ot_pid after, ot_pid *out, size_t cap,
		  size_t *n); /* table.c */
int ot__registered(const char *after, ot_registered_name *out, size_t cap,
		   size_t *n); /* name.c */
int ot__process_links(ot_pid pid, ot_pid *out, size_t cap,
		      size_t *total); /* signal.c */
int ot__process_monitors(ot_pid pid, ot_pid *out, size_t cap, size_t *total);
int ot__process_monitored_by(ot_pid pid, ot_pid *out, size_t cap,
			     size_t *total);
ssize_t ot__read(int fd, void *buf, size_t size, int timeout_ms); /* io.c */
ssize_t ot__write(int fd, const void *buf, size_t size, int timeout_ms,
		  size_t *written);
int ot__accept(int fd, int timeout_ms);
int ot__connect(int fd, const struct sockaddr *addr, socklen_t len,
		int timeout_ms);
int ot__send(ot_pid to, uint64_t tag, const void *data, size_t size);
int ot__send_owned(ot_pid to, uint64_t tag, void *data, size_t size,
		   void (*free_fn)(void *)); /* mailbox.c */
int ot__receive(ot_msg **out, int timeout_ms);
int ot__receive_match(ot_match_fn match, void *arg, ot_msg **out,
		      int timeout_ms);
int ot__mailbox_mark(ot_mark *out);
int ot__receive_match_since(ot_mark mark, ot_match_fn match, void *arg,
			    ot_msg **out, int timeout_ms);
int ot__register(const char *name, ot_pid pid); /* name.c */
int ot__unregister(const char *name);
int ot__whereis(const char *name, ot_pid *out);
int ot__send_name(const char *name, uint64_t tag, const void *data,
		  size_t size);
int ot__fd_wait(int fd, unsigned events, int timeout_ms,
		unsigned *ready);     /* poll.c */
int ot__runtime_stats(ot_stats *out); /* runtime.c */
int ot__yield(void);		      /* sched.c */
ot_pid ot__self(void);
int ot__spawn(ot_proc_fn fn, void *arg, const ot_spawn_opts *opts,
	      ot_pid *out); /* lifecycle.c */
int ot__exit(const ot_reason *reason);
int ot__link(ot_pid pid); /* signal.c */
int ot__unlink(ot_pid pid);
int ot__monitor(ot_pid pid, ot_ref *out);
int ot__monitor_alias(ot_pid pid, int alias_mode, ot_ref *out);
int ot__monitor_name(const char *name, ot_ref *out);
int ot__demonitor(ot_ref ref, unsigned flags);
int ot__trap_exit(bool on, bool *old);
int ot__exit_pid(ot_pid pid, const ot_reason *reason);
int ot__stack_trim(void);      /* stack.c */
bool ot__is_alive(ot_pid pid); /* table.c */
int ot__send_after(int timeout_ms, ot_pid to, uint64_t tag, const void *data,
		   size_t size, ot_timer *out); /* timer.c */
int ot__cancel_timer(ot_timer timer, int *remaining_ms);
int ot__sleep(int timeout_ms);

#endif /* OTTER_PROC_GATE_H */
