/* SPDX-License-Identifier: MIT */
/*
 * poller.h — the poller (poll.c): fd waits of processes, through
 * one epoll instance, and the errno helpers of the I/O calls.
 */
#ifndef OTTER_PROC_POLLER_H
#define OTTER_PROC_POLLER_H

#include <otter/io.h>

#include "process.h"

/* ---------------------------------------------------------------------
 * The poller (poll.c): fd waits of processes, through one epoll instance
 */
/* Creates the epoll instance and the poller thread (ot_start). */
int ot__poll_init(void);
/* Shutdown has begun: foreign threads waiting in ot_fd_wait() return
 * OT_ESHUTDOWN; processes still wait as usual. */
void ot__poll_release_foreign(void);
/* The runtime is ending: the poller thread ends. */
void ot__poll_stop(void);
/* After the last process has ended: joins the thread, closes the fds. */
void ot__poll_fini(void);
/* p ends while an fd wait of its own is registered (killed in the wait):
 * takes the registration out of epoll. Not on p's stack. */
void ot__poll_abandon(struct ot__proc *p);
/* errno of the calling thread, read through a call that is never
 * inlined (see poll.c): use it in a process wherever it may have moved to
 * another thread since the function began. ot__sys_error(e) is the code
 * of errno e, OT_ESYS_ERRNO(e) (OT_ESYS for none), and sets errno to e
 * for the deprecated ot_errno(). */
int ot__errno(void);
int ot__sys_error(int e);

#endif /* OTTER_PROC_POLLER_H */
