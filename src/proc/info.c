/* SPDX-License-Identifier: MIT */
/*
 * info.c — ot_process_info_get(): a snapshot of what a process is doing,
 * for introspection (gen_server's process info, debugging tools).
 */
#include "config.h"

#include <string.h>

#include "gate.h"
#include "lock.h"
#include "name.h"
#include "process.h"
#include "runtime.h"

int ot__process_info_get(ot_pid pid, ot_process_info *out)
{
	if (!out || !ot__pid_well_formed(pid))
		return OT_EINVAL;
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	struct ot__proc *p = ot__table_lookup(pid);
	if (!p || !ot__proc_lock_alive(p, pid))
		return OT_ENOPROC;
	memset(out, 0, sizeof *out);
	switch (atomic_load_explicit(&p->state, memory_order_relaxed)) {
	case OT__P_RUNNABLE:
		out->status = OT_PROC_RUNNABLE;
		break;
	case OT__P_WAITING:
		out->status = OT_PROC_WAITING;
		break;
	default:
		out->status = OT_PROC_RUNNING;
		break;
	}
	out->message_queue_len =
	    p->inbox_n +
	    atomic_load_explicit(&p->queue_n, memory_order_relaxed);
	out->entry = p->fn;
	out->entry_arg = p->arg;
	out->trap_exit = p->trap_exit;
	out->foreign = p->foreign != NULL;
	out->mailbox_dropped =
	    atomic_load_explicit(&p->limit_dropped, memory_order_relaxed);
	ot__spin_unlock(&p->lock);
	/* The name under its own lock (names before proc: not nested here). */
	ot__name_of(p, out->name);
	if (!ot_is_alive(pid))
		return OT_ENOPROC; /* it ended meanwhile: the name may be stale
				    */
	return 0;
}
