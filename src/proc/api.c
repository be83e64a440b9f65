/* SPDX-License-Identifier: MIT */
/*
 * api.c — the public functions of the process runtime, each through the
 * gate (gate.h): a foreign thread comes in only while the runtime runs,
 * and ot_shutdown() waits for it to be out again before it frees anything.
 * What each function does is in its body, ot__x(), in the file of its
 * idea; here is only the door.
 *
 * Not here, because they touch nothing of the runtime (tests/abi/
 * test_gate.sh reads this list, and fails for a public function of
 * otter/proc.h that is neither here nor in it):
 *   ot_start ot_shutdown          what the gate guards against
 *   ot_running ot_in_process      a state, a thread-local
 *   ot_msg_from ot_msg_tag ot_msg_data ot_msg_size ot_msg_alias
 *   ot_msg_exit ot_msg_down ot_msg_free   a message is its receiver's
 *   ot_monotonic_ms ot_errno ot_fd_set_nonblocking
 *   ot_set_logger ot_log_report ot_log_discard ot_log_enabled
 *   ot_catch                      from a process only: the runtime runs
 */
#include "config.h"

#include <otter/io.h>

#include "gate.h"

/* ---------------------------------------------------------------------
 * Processes
 */
int ot_spawn(ot_proc_fn fn, void *arg, const ot_spawn_opts *opts, ot_pid *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__spawn(fn, arg, opts, out));
}

ot_pid ot_self(void)
{
	int g = ot__gate_enter();
	if (g < 0)
		return OT_PID_NONE;
	ot_pid self = ot__self();
	ot__gate_leave(g, 0);
	return self;
}

bool ot_is_alive(ot_pid pid)
{
	int g = ot__gate_enter();
	if (g < 0)
		return false;
	bool alive = ot__is_alive(pid);
	ot__gate_leave(g, 0);
	return alive;
}

int ot_yield(void)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__yield());
}

int ot_sleep(int timeout_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__sleep(timeout_ms));
}

int ot_thread_detach(void)
{
	/* A foreign thread not let in has nothing to detach (stopped), or
	 * the shutdown under way detaches every thread itself. */
	int g = ot__gate_enter();
	if (g < 0)
		return 0;
	return ot__gate_leave(g, ot__thread_detach());
}

int ot_runtime_stats(ot_stats *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__runtime_stats(out));
}

int ot_process_info_get(ot_pid pid, ot_process_info *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__process_info_get(pid, out));
}

int ot_process_details_get(ot_pid pid, ot_process_details *out, size_t size)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__process_details_get(pid, out, size));
}

int ot_set_label(const char *label)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__set_label(label));
}

int ot_set_behaviour(const char *behaviour)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__set_behaviour(behaviour));
}

int ot_processes(ot_pid after, ot_pid *out, size_t cap, size_t *n)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__processes(after, out, cap, n));
}

int ot_registered(const char *after, ot_registered_name *out, size_t cap,
		  size_t *n)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__registered(after, out, cap, n));
}

int ot_process_links(ot_pid pid, ot_pid *out, size_t cap, size_t *total)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__process_links(pid, out, cap, total));
}

int ot_process_monitors(ot_pid pid, ot_pid *out, size_t cap, size_t *total)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__process_monitors(pid, out, cap, total));
}

int ot_process_monitored_by(ot_pid pid, ot_pid *out, size_t cap, size_t *total)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g,
			      ot__process_monitored_by(pid, out, cap, total));
}

int ot_stack_trim(void)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__stack_trim());
}

int ot_set_crash_handler(ot_crash_fn fn, void *arg)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__set_crash_handler(fn, arg));
}

int ot_set_exit_hook(ot_exit_hook_fn fn, void *arg)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__set_exit_hook(fn, arg));
}

/* ---------------------------------------------------------------------
 * Messages and aliases
 */
int ot_send(ot_pid to, uint64_t tag, const void *data, size_t size)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__send(to, tag, data, size));
}

int ot_send_owned(ot_pid to, uint64_t tag, void *data, size_t size,
		  void (*free_fn)(void *))
{
	int g = ot__gate_enter();
	if (g < 0) {
		/* The buffer was handed over: released even on failure. */
		if (free_fn && data)
			free_fn(data);
		return g;
	}
	return ot__gate_leave(g, ot__send_owned(to, tag, data, size, free_fn));
}

int ot_receive(ot_msg **out, int timeout_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__receive(out, timeout_ms));
}

int ot_receive_match(ot_match_fn match, void *arg, ot_msg **out, int timeout_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g,
			      ot__receive_match(match, arg, out, timeout_ms));
}

int ot_mailbox_mark(ot_mark *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__mailbox_mark(out));
}

int ot_receive_match_since(ot_mark mark, ot_match_fn match, void *arg,
			   ot_msg **out, int timeout_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(
	    g, ot__receive_match_since(mark, match, arg, out, timeout_ms));
}

int ot_alias(uint64_t *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__alias(out));
}

int ot_unalias(uint64_t alias)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__unalias(alias));
}

int ot_send_alias(ot_pid to, uint64_t alias, uint64_t tag, const void *data,
		  size_t size)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__send_alias(to, alias, tag, data, size));
}

/* ---------------------------------------------------------------------
 * Exit signals, links and monitors
 */
int ot_exit(const ot_reason *reason)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__exit(reason));
}

int ot_exit_pid(ot_pid pid, const ot_reason *reason)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__exit_pid(pid, reason));
}

int ot_trap_exit(bool on, bool *old)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__trap_exit(on, old));
}

int ot_link(ot_pid pid)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__link(pid));
}

int ot_unlink(ot_pid pid)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__unlink(pid));
}

int ot_monitor(ot_pid pid, ot_ref *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__monitor(pid, out));
}

int ot_monitor_alias(ot_pid pid, ot_alias_mode mode, ot_ref *out)
{
	if (mode < OT_ALIAS_EXPLICIT_UNALIAS || mode > OT_ALIAS_REPLY_DEMONITOR)
		return OT_EINVAL;
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__monitor_alias(pid, (int)mode, out));
}

int ot_monitor_name(const char *name, ot_ref *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__monitor_name(name, out));
}

int ot_demonitor(ot_ref ref, unsigned flags)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__demonitor(ref, flags));
}

/* ---------------------------------------------------------------------
 * Timers and names
 */
int ot_send_after(int timeout_ms, ot_pid to, uint64_t tag, const void *data,
		  size_t size, ot_timer *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(
	    g, ot__send_after(timeout_ms, to, tag, data, size, out));
}

int ot_cancel_timer(ot_timer timer, int *remaining_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__cancel_timer(timer, remaining_ms));
}

int ot_register(const char *name, ot_pid pid)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__register(name, pid));
}

int ot_unregister(const char *name)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__unregister(name));
}

int ot_whereis(const char *name, ot_pid *out)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__whereis(name, out));
}

int ot_send_name(const char *name, uint64_t tag, const void *data, size_t size)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__send_name(name, tag, data, size));
}

/* ---------------------------------------------------------------------
 * File descriptors
 */
int ot_fd_wait(int fd, unsigned events, int timeout_ms, unsigned *ready)
{
	int g = ot__gate_enter();
	if (g < 0) {
		if (ready)
			*ready = 0;
		return g;
	}
	return ot__gate_leave(g, ot__fd_wait(fd, events, timeout_ms, ready));
}

ssize_t ot_read(int fd, void *buf, size_t size, int timeout_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	ssize_t n = ot__read(fd, buf, size, timeout_ms);
	ot__gate_leave(g, 0);
	return n;
}

ssize_t ot_write(int fd, const void *buf, size_t size, int timeout_ms,
		 size_t *written)
{
	int g = ot__gate_enter();
	if (g < 0) {
		if (written)
			*written = 0;
		return g;
	}
	ssize_t n = ot__write(fd, buf, size, timeout_ms, written);
	ot__gate_leave(g, 0);
	return n;
}

int ot_accept(int fd, int timeout_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__accept(fd, timeout_ms));
}

int ot_connect(int fd, const struct sockaddr *addr, socklen_t len,
	       int timeout_ms)
{
	int g = ot__gate_enter();
	if (g < 0)
		return g;
	return ot__gate_leave(g, ot__connect(fd, addr, len, timeout_ms));
}
