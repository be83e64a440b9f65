/* SPDX-License-Identifier: MIT */
/*
 * otter/base.h — what every layer of otter shares: the export macro, the
 * timeout convention and the pid value type.
 *
 * Pids are small values (a slot index and a generation packed in 64 bits),
 * never pointers: copy them, compare them with ot_pid_equal(), keep them
 * after the process died. A stale pid is detected, never dereferenced.
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

/* Longest printed pid, "<0.4294967295.4294967295>" plus the NUL. */
#define OT_PID_STRLEN 26

/*
 * Prints pid as Erlang does, "<0.Index.Generation>", into buf (NUL
 * terminated, truncated to size). Returns the length the full text needs,
 * like snprintf, or OT_EINVAL when buf is NULL and size is not 0.
 * Works without a running runtime; never blocks.
 */
OT_API int ot_pid_format(ot_pid pid, char *buf, size_t size);

OT_END_DECLS

#endif /* OTTER_BASE_H */
