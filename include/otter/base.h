/* SPDX-License-Identifier: MIT */
/*
 * otter/base.h — what every layer of otter shares: the export macro, the
 * timeout convention and the pid value type.
 *
 * Pids are small values (a slot index and a generation packed in 64 bits),
 * never pointers: copy them, compare them with ot_pid_equal(), keep them
 * after the process died. A stale pid is detected, never dereferenced.
 *
 * A pid may also name a process of another node (an Erlang process, or
 * one of another otter node), when libotter-dist runs a node
 * (otter/dist.h): bit 31 of its low word (OT_PID_REMOTE_BIT) is set —
 * a local pid never has it, its slot index stays below 2^26 — and the
 * rest is the distribution library's business (the Erlang pid's number
 * and serial with its node's incarnation, or an index in a table for a
 * pid too big for that, and the life of the node that made it). ot_send(),
 * ot_link(), ot_monitor(), ot_exit_pid() and the others take such a pid
 * as they take a local one; without a running node they return
 * OT_EREMOTE. The same Erlang pid always gives the same ot_pid while the
 * node runs, so ot_pid_equal() compares them too.
 */
#ifndef OTTER_BASE_H
#define OTTER_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define OT_BEGIN_DECLS extern "C" {
#define OT_END_DECLS   }
#else
#define OT_BEGIN_DECLS
#define OT_END_DECLS
#endif

/* Marks the public API; the library is built with -fvisibility=hidden. */
#if defined(__GNUC__)
#define OT_API __attribute__((visibility("default")))
#else
#define OT_API
#endif

OT_BEGIN_DECLS

/*
 * Timeouts, everywhere in otter, are milliseconds in an int:
 *   OT_INFINITY  wait for ever;
 *   0            poll: do not wait at all;
 *   > 0          wait at most that long.
 * Any other negative value is rejected with OT_EINVAL.
 */
#define OT_INFINITY (-1)

/* A process identifier. The zero value (OT_PID_NONE) names no process. */
typedef struct ot_pid {
	uint64_t id;
} ot_pid;

#define OT_PID_NONE ((ot_pid){0})

/* True when a and b name the same process. Never blocks. */
static inline bool ot_pid_equal(ot_pid a, ot_pid b)
{
	return a.id == b.id;
}

/* True for OT_PID_NONE. */
static inline bool ot_pid_is_none(ot_pid p)
{
	return p.id == 0;
}

/* The bit of a pid of another node (see above). */
#define OT_PID_REMOTE_BIT (UINT64_C(1) << 31)

/* True when p names a process of another node. Never blocks. */
static inline bool ot_pid_is_remote(ot_pid p)
{
	return (p.id & OT_PID_REMOTE_BIT) != 0;
}

/* Longest printed pid plus the NUL: a local one is at most
 * "<0.4294967295.4294967295>", a remote one "<N.Number.Serial>", each
 * part 32 bits. */
#define OT_PID_STRLEN 36

/*
 * Prints pid as Erlang does, "<0.Index.Generation>", into buf (NUL
 * terminated, truncated to size). A pid of another node prints as Erlang
 * prints a remote pid, "<N.Number.Serial>" (N > 0: the node's number in
 * the distribution library's table, Number and Serial the Erlang pid's),
 * or "<?.Index.Generation>" when no node runs to say. Returns the length the
 * full text needs, like snprintf, or OT_EINVAL when buf is NULL and size is not
 * 0. Works without a running runtime; never blocks.
 */
OT_API int ot_pid_format(ot_pid pid, char *buf, size_t size);

OT_END_DECLS

#endif /* OTTER_BASE_H */
