/* SPDX-License-Identifier: MIT */
/*
 * limit.c — opt-in mailbox limits (ot_spawn_opts.max_messages, max_bytes):
 * what keeps one slow receiver from growing without bound, as Erlang's
 * max_heap_size does for a process's heap.
 *
 * A sender decides under the receiver's lock, where senders are in one
 * order anyway: the message is admitted and counted, or dropped (and
 * counted as dropped), or — policy kill — dropped with every later one
 * while the receiver is killed at its next wait. Only ordinary messages
 * count: signals (exits, DOWN) never do, so a process at its limit still
 * hears of its links and monitors. The owner takes a message off the
 * counts as it takes it out of its mailbox, without the lock (atomics);
 * a sender may thus see a count a little higher than it is, never lower.
 * A process without a limit pays one test of `limited` per message.
 */
#include "config.h"

#include "mailbox.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"

int ot__limit_check(const ot_spawn_opts *opts)
{
	return opts->mailbox_policy > OT_MAILBOX_DROP ? OT_EINVAL : 0;
}

void ot__limit_set(struct ot__proc *p, const ot_spawn_opts *opts)
{
	p->limited = opts->max_messages || opts->max_bytes;
	p->limit_drop = opts->mailbox_policy == OT_MAILBOX_DROP;
	p->limit_max_msgs = opts->max_messages;
	p->limit_max_bytes = opts->max_bytes;
}

static bool fits(struct ot__proc *p, size_t size)
{
	size_t n = atomic_load_explicit(&p->limit_msgs, memory_order_relaxed);
	size_t b = atomic_load_explicit(&p->limit_bytes, memory_order_relaxed);
	if (p->limit_max_msgs && n >= p->limit_max_msgs)
		return false;
	/* b <= max_bytes and size <= PTRDIFF_MAX: the sum cannot wrap. */
	return !p->limit_max_bytes || b + size <= p->limit_max_bytes;
}

enum ot__admit ot__limit_admit_locked(struct ot__proc *p, struct ot_msg *m)
{
	if (m->kind != OT__M_MSG || m->tag >= OT_TAG_SYSTEM)
		return OT__ADMIT;
	if (p->limit_killed)
		return OT__ADMIT_DROP; /* it is ending: nothing more */
	if (fits(p, m->size)) {
		m->limit_counted = true;
		atomic_fetch_add_explicit(&p->limit_msgs, 1,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&p->limit_bytes, m->size,
					  memory_order_relaxed);
		return OT__ADMIT;
	}
	if (p->limit_drop) {
		atomic_fetch_add_explicit(&p->limit_dropped, 1,
					  memory_order_relaxed);
		return OT__ADMIT_DROP;
	}
	/* Killed as ot__proc_kill() kills, with its own reason: release
	 * orders limit_killed before the flag the process reads. */
	p->limit_killed = true;
	atomic_store_explicit(&p->kill_pending, true, memory_order_release);
	return ot__wake_locked(p, 0) ? OT__ADMIT_DROP_WAKE : OT__ADMIT_DROP;
}

void ot__limit_taken(struct ot__proc *p, struct ot_msg *m)
{
	m->limit_counted = false;
	atomic_fetch_sub_explicit(&p->limit_msgs, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&p->limit_bytes, m->size,
				  memory_order_relaxed);
}

ot_reason ot__limit_reason(struct ot__proc *p)
{
	/* Reported as Erlang reports a max_heap_size kill. */
	p->report = !atomic_load_explicit(&ot__log_off, memory_order_relaxed);
	return ot_reason_error(OT_ELIMIT, OT_MAILBOX_LIMIT_TEXT);
}
