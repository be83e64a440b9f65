/* SPDX-License-Identifier: MIT */
/*
 * info.c — ot_process_info_get(): a snapshot of what a process is doing,
 * for introspection (gen_server's process info, debugging tools).
 */
#include "config.h"

#include <bsd/string.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "gate.h"
#include "lock.h"
#include "name.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "signals.h"
#include "stack.h"

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
	out->mailbox_dropped = ot__limit_dropped(p);
	ot__spin_unlock(&p->lock);
	/* The name under its own lock (names before proc: not nested here). */
	ot__name_of(p, out->name);
	if (!ot_is_alive(pid))
		return OT_ENOPROC; /* it ended meanwhile: the name may be stale
				    */
	return 0;
}

/*
 * ot_process_details_get(): counters read under the process's lock (the
 * mailbox's, its links' and monitors') or relaxed (its saved frames), and
 * the monitors it holds while it waits (signal.c says why).
 */
/* The bytes of p's frames, p locked: while it waits, its context is saved
 * and stays so until a waker takes this lock, so its depth is read from
 * its saved stack pointer whether the frames lie on its stack or were
 * copied off it (the same count); otherwise only a copy's size is known. */
static size_t frame_bytes(const struct ot__proc *p)
{
	if (atomic_load_explicit(&p->state, memory_order_relaxed) ==
		OT__P_WAITING &&
	    p->started && p->stack)
		return (size_t)(p->stack->top - (const char *)p->ctx.sp);
	return atomic_load_explicit(&p->frames_len, memory_order_relaxed);
}

int ot__process_details_get(ot_pid pid, ot_process_details *out, size_t size)
{
	if (!out || size == 0 || size > sizeof *out ||
	    !ot__pid_well_formed(pid))
		return OT_EINVAL;
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	ot_process_details d = {0};
	size_t total;
	int rc = ot__process_links(pid, NULL, 0, &total);
	if (rc)
		return rc;
	d.links = total;
	if ((rc = ot__process_monitored_by(pid, NULL, 0, &total)) != 0)
		return rc;
	d.monitored_by = total;
	rc = ot__process_monitors_within(pid, NULL, 0, &total, 0);
	if (rc && rc != OT_ETIMEDOUT)
		return rc;
	d.monitors = rc ? SIZE_MAX : total;

	struct ot__proc *p = ot__table_lookup(pid);
	if (!p || !ot__proc_lock_alive(p, pid))
		return OT_ENOPROC;
	d.message_queue_len =
	    p->inbox_n +
	    atomic_load_explicit(&p->queue_n, memory_order_relaxed);
	d.queue_bytes =
	    p->inbox_bytes +
	    atomic_load_explicit(&p->queue_bytes, memory_order_relaxed);
	d.messages_in =
	    atomic_load_explicit(&p->arrivals, memory_order_relaxed);
	d.stack_bytes = frame_bytes(p);
	if (p->label)
		strlcpy(d.label, p->label, sizeof d.label);
	if (p->behaviour)
		strlcpy(d.behaviour, p->behaviour, sizeof d.behaviour);
	ot_proc_fn entry = p->fn;
	ot__spin_unlock(&p->lock);
	/* Symbolised outside the lock: the first lookup reads ELF files. */
	if (size > offsetof(ot_process_details, entry_name))
		ot__symbol_name((const void *)(uintptr_t)entry, d.entry_name,
				sizeof d.entry_name);
	memcpy(out, &d, size);
	return 0;
}

/* The calling process (scheduled or attached foreign) for a setter. */
static int setter_caller(struct ot__proc **out)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *p = ot__current();
	if (!p)
		return OT_ENOTPROC;
	*out = p;
	return 0;
}

int ot__set_label(const char *label)
{
	if (label && strnlen(label, OT_LABEL_MAX + 1) > OT_LABEL_MAX)
		return OT_ENAMETOOLONG;
	struct ot__proc *p;
	int rc = setter_caller(&p);
	if (rc)
		return rc;
	char *copy = NULL;
	if (label && label[0] && !(copy = strdup(label)))
		return OT_ENOMEM;
	ot__spin_lock(&p->lock);
	char *old = p->label;
	p->label = copy;
	ot__spin_unlock(&p->lock);
	free(old);
	return 0;
}

int ot__set_behaviour(const char *behaviour)
{
	if (behaviour &&
	    strnlen(behaviour, OT_BEHAVIOUR_MAX + 1) > OT_BEHAVIOUR_MAX)
		return OT_ENAMETOOLONG;
	struct ot__proc *p;
	int rc = setter_caller(&p);
	if (rc)
		return rc;
	ot__spin_lock(&p->lock);
	p->behaviour = behaviour && behaviour[0] ? behaviour : NULL;
	ot__spin_unlock(&p->lock);
	return 0;
}
