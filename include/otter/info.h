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

/* ----------------------------------------------------------------------
 * Every process, every name, and what a process holds: what an observer
 * shows (Erlang's processes/0, registered/0, process_info/2).
 *
 * The walks are cursors, cap entries at a time, so that listing a million
 * processes never stops the system: no lock is held across a call but one
 * process's (or the names table's) for a moment. Processes spawned or
 * ended during a walk may or may not be seen; a pid seen alive may have
 * ended since (every later call on it says OT_ENOPROC).
 */

/*
 * Fills out with up to cap pids of live processes (foreign threads
 * included) that come after `after` in the process table's order
 * (OT_PID_NONE: from the first); *n gets how many. Walk with the last pid
 * returned as `after` until *n < cap. `after` may have ended meanwhile.
 * Errors: OT_EINVAL (n NULL, out NULL with cap > 0, after neither none
 * nor well-formed), OT_ENOTSTARTED. From: anywhere; never blocks.
 */
OT_API int ot_processes(ot_pid after, ot_pid *out, size_t cap, size_t *n);

/* A registered name and the process that holds it. */
typedef struct ot_registered_name {
	char name[OT_NAME_MAX + 1];
	ot_pid pid;
} ot_registered_name;

/*
 * Fills out with up to cap registered names, in strcmp order, that come
 * after `after` (NULL or "": from the first); *n gets how many. Walk with
 * the last name returned until *n < cap.
 * Errors: OT_EINVAL (n NULL, out NULL with cap > 0), OT_ENAMETOOLONG
 * (after), OT_ENOTSTARTED. From: anywhere; never blocks for long.
 */
OT_API int ot_registered(const char *after, ot_registered_name *out, size_t cap,
			 size_t *n);

/* Longest label (ot_set_label), in bytes, excluding the NUL. */
#define OT_LABEL_MAX 63
/* Longest behaviour name (ot_set_behaviour), excluding the NUL. */
#define OT_BEHAVIOUR_MAX 31
/* Longest entry function name kept in ot_process_details. */
#define OT_ENTRY_NAME_MAX 63

/*
 * What a process holds and has done, beyond ot_process_info. New fields
 * are only ever appended: ot_process_details_get() takes the size the
 * program was compiled with and fills that much.
 */
typedef struct ot_process_details {
	size_t links; /* processes linked to it */
	/* Monitors it holds on other processes, read while it waits:
	 * SIZE_MAX if it was running at that moment (ot_process_monitors
	 * waits for it a little). */
	size_t monitors;
	size_t monitored_by; /* monitors other processes hold on it */
	/* Bytes of its frames while it waits, on its stack or saved off it
	 * (see "Stacks" in proc.h): the stack memory it holds; while it runs
	 * or is queued to run, only a saved copy's size (else 0). */
	size_t stack_bytes;
	/* Bytes of the messages waiting in its mailbox (payloads and
	 * headers), and how many messages that is. */
	size_t queue_bytes;
	size_t message_queue_len;
	/* Messages and signals that ever reached its mailbox: how busy it
	 * is (the closest to Erlang's reductions otter counts). */
	uint64_t messages_in;
	char behaviour[OT_BEHAVIOUR_MAX + 1]; /* ot_set_behaviour(), or "" */
	char label[OT_LABEL_MAX + 1];	      /* ot_set_label(), or "" */
	/* The entry function's symbol (from the symbol tables: static
	 * functions too where the program has them), else "". Looked up
	 * (once per function: kept) only when size covers it. */
	char entry_name[OT_ENTRY_NAME_MAX + 1];
} ot_process_details;

/*
 * Fills the first size bytes of *out (pass sizeof *out) with what pid
 * holds now (a snapshot). Errors: OT_EINVAL (out NULL, size 0 or larger
 * than the library's struct, pid malformed), OT_ENOPROC, OT_ENOTSTARTED.
 * From: anywhere; never blocks.
 */
OT_API int ot_process_details_get(ot_pid pid, ot_process_details *out,
				  size_t size);

/*
 * The processes pid is linked to (ot_process_links), the processes it
 * monitors (ot_process_monitors), and those that monitor it
 * (ot_process_monitored_by; a process monitoring it twice is listed
 * twice, as in Erlang): up to cap pids in out, *total how many there are
 * (more than cap: call again with a larger buffer). The monitors a
 * process holds are its own business while it runs: they are read while
 * it waits, and ot_process_monitors() waits up to 5 ms for that (the
 * process itself may always ask).
 * Errors: OT_EINVAL (total NULL, out NULL with cap > 0, pid malformed),
 * OT_ENOPROC, OT_ETIMEDOUT (ot_process_monitors: it ran all along),
 * OT_ENOTSTARTED. From: anywhere; never blocks (but for those 5 ms).
 */
OT_API int ot_process_links(ot_pid pid, ot_pid *out, size_t cap, size_t *total);
OT_API int ot_process_monitors(ot_pid pid, ot_pid *out, size_t cap,
			       size_t *total);
OT_API int ot_process_monitored_by(ot_pid pid, ot_pid *out, size_t cap,
				   size_t *total);

/*
 * Labels the calling process (OTP 27's proc_lib:set_label/1): a text an
 * observer shows next to its pid, copied; NULL or "" removes it.
 * Errors: OT_ENAMETOOLONG (over OT_LABEL_MAX), OT_ENOMEM, OT_ENOTPROC
 * (a thread that is not attached), OT_ENOTSTARTED.
 * From: process or foreign (attached).
 */
OT_API int ot_set_label(const char *label);

/*
 * Says which behaviour the calling process runs ("gen_server" and
 * "supervisor" set theirs): tools ask before they send it a behaviour's
 * system message (ot_gen_server_get_state fails at once on a process that
 * runs none: a process that answers gen_server's protocol itself sets it
 * before anyone may ask, as gen_server does before its start returns).
 * behaviour must be a string with static storage duration (it
 * is kept, not copied); NULL makes it a plain process again.
 * Errors: OT_ENAMETOOLONG (over OT_BEHAVIOUR_MAX), OT_ENOTPROC,
 * OT_ENOTSTARTED. From: process or foreign (attached).
 */
OT_API int ot_set_behaviour(const char *behaviour);

OT_END_DECLS

#endif /* OTTER_INFO_H */
