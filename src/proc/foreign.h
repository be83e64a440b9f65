/* SPDX-License-Identifier: MIT */
/*
 * foreign.h — foreign threads (foreign.c): processes without a
 * stack that block on a condition variable instead of switching.
 */
#ifndef OTTER_PROC_FOREIGN_H
#define OTTER_PROC_FOREIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "process.h"

/* ---------------------------------------------------------------------
 * Foreign threads (foreign.c)
 */
int ot__foreign_init(void);
void ot__foreign_fini(void);
/* The calling foreign thread's process, attaching it if needed. */
struct ot__proc *ot__foreign_self(bool attach);
/* Blocks the foreign thread p until woken or deadline. */
int ot__foreign_park(struct ot__proc *p, unsigned wake_flags, int64_t deadline);
void ot__foreign_wake(struct ot__proc *p);
/* Kills (wakes with OT_ESHUTDOWN) every attached foreign thread that
 * waits (shutdown, while draining the gate). */
void ot__foreign_kill_all(void);
/* Detaches every attached foreign thread; none is inside the gate. */
void ot__foreign_shutdown(void);

#endif /* OTTER_PROC_FOREIGN_H */
