/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.h — how a process is spawned, ends and is reclaimed
 * (lifecycle.c), in one place.
 */
#ifndef OTTER_PROC_LIFECYCLE_H
#define OTTER_PROC_LIFECYCLE_H

#include "process.h"

/* ---------------------------------------------------------------------
 * The life of a process (lifecycle.c): spawn, exit, finish, reclaim
 */
/* Ends the calling (scheduled) process with reason; never returns. */
void ot__proc_exit(struct ot__proc *p, const ot_reason *reason)
    __attribute__((noreturn));
/* Asks p to end with `killed` at its next wait or yield. */
void ot__proc_kill(struct ot__proc *p, ot_pid pid);
/* Reclaims p, which ended (OT__A_EXIT), on its scheduler's stack: its
 * exit hook, ot__proc_finish, its report; then its stack and slot go. */
void ot__proc_reclaim(struct ot__proc *p);
/* Ends p's life as others see it: marks it dead, drops its mailbox,
 * releases its name, then sends EXIT to its links and DOWN to its monitors
 * (reason: p->exit_reason) and drops its own monitors. Not on p's stack. */
void ot__proc_finish(struct ot__proc *p);
/* p keeps m (a message its exit reason's payload points into) until its
 * slot is freed; what it kept before goes. */
void ot__proc_hold_reason(struct ot__proc *p, struct ot_msg *m);

#endif /* OTTER_PROC_LIFECYCLE_H */
