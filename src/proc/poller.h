/* SPDX-License-Identifier: MIT */
/*
 * poller.h — the poller (poll.c): fd waits of processes, through
 * one epoll instance that the schedulers poll, and the errno helpers of
 * the I/O calls.
 */
#ifndef OTTER_PROC_POLLER_H
#define OTTER_PROC_POLLER_H

#include <otter/io.h>

#include "process.h"

/* ---------------------------------------------------------------------
 * The poller (poll.c): fd waits of processes, through one epoll instance
 */
/* Creates the epoll instance (ot_start). */
int ot__poll_init(void);
/* Shutdown has begun: foreign threads waiting in ot_fd_wait() return
 * OT_ESHUTDOWN; processes still wait as usual. */
void ot__poll_release_foreign(void);
/* The runtime is ending: no scheduler polls from now on. */
void ot__poll_stop(void);
/* After the schedulers and every process have ended: closes the fds. */
void ot__poll_fini(void);

/* The schedulers' side (sched.c). s, about to block, becomes the poll's
 * owner: true unless another is, or the runtime is ending. */
bool ot__poll_claim(struct ot__sched *s);
/* The owner s blocks in epoll_wait() until an event, ot__poll_kick() or
 * `deadline` (OT__NO_DEADLINE: none); the processes whose waits fired go
 * to s's run queue (ot__ready_polled). True when there are any. */
bool ot__poll_wait(struct ot__sched *s, int64_t deadline);
/* s is no longer the owner. */
void ot__poll_release(struct ot__sched *s);
/* Wakes the owner from ot__poll_wait(). */
void ot__poll_kick(void);
/* Processes wait for descriptors (their waits are registered). */
bool ot__poll_armed(void);
/* Waits are registered and nobody owns the poll: someone should look. */
bool ot__poll_wanted(void);
/* A look without blocking, by a scheduler that is not the owner, when
 * ot__poll_wanted(); true when it made processes runnable on s. */
bool ot__poll_peek(struct ot__sched *s);
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
