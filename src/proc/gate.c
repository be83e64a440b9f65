/* SPDX-License-Identifier: MIT */
/*
 * gate.c — the door between foreign threads and the runtime.
 *
 * A foreign thread (main, the program's own pthreads) may call otter at
 * any moment, ot_shutdown() included, and the runtime it calls into must
 * not be freed under it: its attachment record, the process table, the
 * stacks, the names. So every public entry point (api.c) passes this
 * gate. A foreign thread counts itself in, then reads the runtime's state;
 * shutdown writes the state, then reads the count. Both are seq_cst (a
 * Dekker pair): either the thread sees the shutdown and backs out with
 * OT_ESHUTDOWN, or the shutdown sees the thread and waits until it is out
 * again — waking it if it waits inside (a receive, a sleep, a call, an fd
 * wait). After the drain no foreign thread holds anything of the runtime,
 * and none gets in before the shutdown has ended.
 *
 * While the runtime is stopped a foreign thread does get in: the body
 * then only checks its arguments (OT_EINVAL comes before OT_ENOTSTARTED,
 * as it always did) and finds the runtime stopped. ot_start() turns
 * threads away while it brings the runtime up and waits first for those
 * inside to leave, so no body sees the runtime half made.
 *
 * A scheduler thread passes without being counted: everything a process
 * touches lives until the last process has been reclaimed, and the
 * schedulers are joined after that. Nested calls (a public function that
 * another one uses) count the thread once, through a thread-local depth,
 * so that a call that got in before the shutdown is not turned away
 * half-way.
 *
 * Cost: one call on a scheduler thread; on a foreign thread, an atomic
 * add and subtract on one shared counter (no lock).
 */
#include "config.h"

#include <time.h>

#include "foreign.h"
#include "gate.h"
#include "poller.h"
#include "runtime.h"

/* Foreign threads inside the gate. The add is seq_cst (pairs with the
 * state written by ot_shutdown()); the subtract is a release, which the
 * drain's load acquires: what a thread did inside happens before the
 * shutdown goes on. */
static _Atomic unsigned inside;

/* How deep the calling foreign thread is inside (0: outside). */
static __thread unsigned depth __attribute__((tls_model("initial-exec")));

int ot__gate_enter_foreign(void)
{
	if (depth) {
		depth++;
		return 1;
	}
	atomic_fetch_add(&inside, 1);
	int s = atomic_load(&ot__rt.state);
	if (OT__LIKELY(s == OT__R_RUNNING || s == OT__R_STOPPED)) {
		depth = 1;
		return 1;
	}
	atomic_fetch_sub_explicit(&inside, 1, memory_order_release);
	return s == OT__R_STARTING ? OT_ENOTSTARTED : OT_ESHUTDOWN;
}

void ot__gate_leave_foreign(void)
{
	OT__ASSERT(depth > 0);
	if (--depth == 0)
		atomic_fetch_sub_explicit(&inside, 1, memory_order_release);
}

bool ot__gate_held(void)
{
	return depth != 0;
}

static void nap(void)
{
	struct timespec ts = {0, 100 * 1000};
	nanosleep(&ts, NULL);
}

void ot__gate_wait_empty(void)
{
	while (atomic_load(&inside) != 0)
		nap();
}

void ot__gate_drain(void)
{
	/* Foreign fd waits poll(2) on a descriptor that this makes
	 * readable; every other wait of a foreign thread is woken by a kill
	 * of its process, over again while any thread is inside: one that
	 * attached just after a sweep is reached by the next. */
	ot__poll_release_foreign();
	while (atomic_load(&inside) != 0) {
		ot__foreign_kill_all();
		nap();
	}
}
