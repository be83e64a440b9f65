/* SPDX-License-Identifier: MIT */
/*
 * otter/timer.h — timers: a message sent after a delay, and the runtime's
 * monotonic clock.
 *
 * Split from otter/proc.h, whose rules hold here (where a function may be
 * called from, the shutdown gate, thread-local state); proc.h includes it,
 * so code that includes proc.h or otter.h needs nothing more.
 */
#ifndef OTTER_TIMER_H
#define OTTER_TIMER_H

#include <otter/proc.h>

OT_BEGIN_DECLS

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
 * *out (may be NULL) receives a reference for ot_cancel_timer(). As
 * Erlang's send_after to a pid, the timer is cancelled when the process
 * to ends, or at once if it is not alive: it is then counted nowhere
 * (ot_runtime_stats) and ot_cancel_timer() answers OT_ENOTIMER. A remote
 * pid (a node runs, otter/dist.h) gets the message when the timer fires;
 * that timer is not cancelled by the remote process's end (as
 * timer:send_after/3's: erlang:send_after/3 refuses a remote pid with
 * badarg), only by ot_cancel_timer() or ot_node_stop().
 * Errors: OT_EINVAL (timeout not >= 0, to malformed, data/size mismatch,
 * tag >= OT_TAG_SYSTEM), OT_EREMOTE (a remote pid, no node), OT_ENOMEM,
 * OT_ENOTSTARTED.
 * From: process or foreign. Never blocks.
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

OT_END_DECLS

#endif /* OTTER_TIMER_H */
