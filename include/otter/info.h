/* SPDX-License-Identifier: MIT */
/*
 * otter/info.h — what the runtime and its processes hold and do: counters
 * for the whole runtime and a snapshot of one process.
 *
 * Split from otter/proc.h, whose rules hold here (where a function may be
 * called from, the shutdown gate, thread-local state); proc.h includes it,
 * so code that includes proc.h or otter.h needs nothing more.
 */
#ifndef OTTER_INFO_H
#define OTTER_INFO_H

#include <otter/proc.h>

OT_BEGIN_DECLS

/* ----------------------------------------------------------------------
 * Runtime counters
 */

/* Counters of what the runtime holds; tests use them to find leaks. */
typedef struct ot_stats {
	/* Live scheduled processes. A process stops counting when it has
	 * ended, after its name is released and before its links and
	 * monitors are told: whoever got its EXIT or DOWN does not count it
	 * any more, though its memory may be given back a moment later. */
	size_t processes;
	size_t threads;	       /* attached foreign threads */
	size_t spawned;	       /* processes spawned since ot_start() */
	size_t stacks_in_use;  /* shared stacks holding a process's frames */
	size_t stacks_pooled;  /* shared stacks mapped */
	size_t stacks_guarded; /* of those, with a guard: all of them */
	size_t timers;	     /* send_after timers not yet fired or cancelled */
	size_t names;	     /* registered names */
	unsigned schedulers; /* scheduler threads */
	/* Bytes of frames of waiting processes, saved off their stacks. */
	size_t stack_bytes_saved;
	/* Bytes of free message blocks the schedulers keep for reuse (up to
	 * a bound per scheduler): memory in use that no message holds. */
	size_t message_cache_bytes;
} ot_stats;

/*
 * Fills *out with the runtime's current counters (a snapshot; concurrent
 * activity may move them). Errors: OT_EINVAL (out NULL), OT_ENOTSTARTED.
 * From: anywhere. Never blocks for long.
 */
OT_API int ot_runtime_stats(ot_stats *out);

/* ----------------------------------------------------------------------
 * Process information
 */
typedef enum ot_proc_status {
	OT_PROC_RUNNABLE = 1, /* waiting for a scheduler */
	OT_PROC_RUNNING,      /* on a scheduler, or a foreign thread awake */
	OT_PROC_WAITING,      /* in receive, sleep or a call */
} ot_proc_status;

typedef struct ot_process_info {
	ot_proc_status status;
	size_t message_queue_len;   /* messages waiting (a snapshot) */
	char name[OT_NAME_MAX + 1]; /* registered name, or "" */
	ot_proc_fn entry;	    /* the function it was spawned with */
	void *entry_arg;
	bool trap_exit;
	bool foreign; /* an attached foreign thread */
	/* Messages dropped by its mailbox limit (OT_MAILBOX_DROP) so far. */
	size_t mailbox_dropped;
} ot_process_info;

/*
 * A snapshot of what pid is doing. Errors: OT_EINVAL (out NULL, pid
 * malformed), OT_ENOPROC, OT_ENOTSTARTED. From: anywhere; never blocks.
 */
OT_API int ot_process_info_get(ot_pid pid, ot_process_info *out);

OT_END_DECLS

#endif /* OTTER_INFO_H */
