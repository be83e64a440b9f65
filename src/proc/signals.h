/* SPDX-License-Identifier: MIT */
/*
 * signals.h — links, monitors and exit signals (signal.c): what
 * an ending process sends, and what a process does with the signals in
 * its inbox.
 */
#ifndef OTTER_PROC_SIGNALS_H
#define OTTER_PROC_SIGNALS_H

#include "process.h"

/* ---------------------------------------------------------------------
 * Signals (signal.c): links, monitors, exit signals
 */
/* Acts on signal m, which p takes from its inbox. Returns true if it
 * became a message, for the caller to append to p's queue; else m is
 * consumed. Sets *die (and p->exit_reason) when p must end. */
bool ot__signal_apply(struct ot__proc *p, struct ot_msg *m, bool *die);
/* What links an ending process to others: its links and the monitors on
 * it, taken out of it as it is marked dead. */
struct ot__ties {
	struct ot__links links;
	struct ot__mons monitors;
};
/* Moves p's links and monitors into t; caller holds p->lock. */
void ot__ties_take_locked(struct ot__proc *p, struct ot__ties *t);
/* Sends p->exit_reason as an EXIT to each link of t and a DOWN to each
 * monitor, frees t's records, then drops the monitors p holds. */
void ot__ties_signal_end(struct ot__proc *p, struct ot__ties *t);
/* An EXIT (kind: a signal, or OT__M_MSG for a message) from `from`
 * carrying a copy of reason and its payload; NULL when out of memory. */
struct ot_msg *ot__exit_msg(enum ot__mkind kind, ot_pid from,
			    const ot_reason *reason);
/* Links caller and child (being spawned, not yet runnable). */
int ot__link_new_child(struct ot__proc *self, struct ot__proc *child);
/* Monitors child (being spawned) for self; *ref gets the reference. */
/* Ends self's monitor ref (its reply_demonitor alias's reply was received):
 * as ot_demonitor() without flush. */
void ot__monitor_end(struct ot__proc *self, uint64_t ref);
int ot__monitor_new_child(struct ot__proc *self, struct ot__proc *child,
			  ot_ref *ref);

/* ot_process_monitors(), waiting at most wait_ns for the process to be
 * parked (0: not at all): OT_ETIMEDOUT if it ran all along. */
int ot__process_monitors_within(ot_pid pid, ot_pid *out, size_t cap,
				size_t *total, int64_t wait_ns);

#endif /* OTTER_PROC_SIGNALS_H */
