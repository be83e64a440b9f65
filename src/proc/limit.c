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
 * A process without a limit pays one test of `limit` per message, and
 * carries no more than that pointer.
 */
#include "config.h"

#include "mailbox.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"

#include <stdlib.h>

struct ot__limit {
	bool drop;   /* OT_MAILBOX_DROP, else kill */
	bool killed; /* killed by it: kill_pending tells why; under lock */
	size_t max_msgs, max_bytes;
	/* What is waiting: senders add under lock, the owner takes away
	 * without it. */
	_Atomic size_t msgs, bytes;
	_Atomic size_t dropped;
};

int ot__limit_check(const ot_spawn_opts *opts)
{
	return opts->mailbox_policy > OT_MAILBOX_DROP ? OT_EINVAL : 0;
}

int ot__limit_set(struct ot__proc *p, const ot_spawn_opts *opts)
{
	p->limit = NULL;
	if (!opts->max_messages && !opts->max_bytes)
		return 0;
	struct ot__limit *l = calloc(1, sizeof *l);
	if (!l)
		return OT_ENOMEM;
	l->drop = opts->mailbox_policy == OT_MAILBOX_DROP;
	l->max_msgs = opts->max_messages;
	l->max_bytes = opts->max_bytes;
	p->limit = l;
	return 0;
}

bool ot__limit_killed(const struct ot__proc *p)
{
	return p->limit && p->limit->killed;
}

size_t ot__limit_dropped(const struct ot__proc *p)
{
	return p->limit ? atomic_load_explicit(&p->limit->dropped,
					       memory_order_relaxed)
			: 0;
}

void ot__limit_free(struct ot__proc *p)
{
	free(p->limit);
	p->limit = NULL;
}

static bool fits(struct ot__limit *l, size_t size)
{
	size_t n = atomic_load_explicit(&l->msgs, memory_order_relaxed);
	size_t b = atomic_load_explicit(&l->bytes, memory_order_relaxed);
	if (l->max_msgs && n >= l->max_msgs)
		return false;
	/* b <= max_bytes and size <= PTRDIFF_MAX: the sum cannot wrap. */
	return !l->max_bytes || b + size <= l->max_bytes;
}

enum ot__admit ot__limit_admit_locked(struct ot__proc *p, struct ot_msg *m)
{
	struct ot__limit *l = p->limit;
	if (m->kind != OT__M_MSG || m->tag >= OT_TAG_SYSTEM)
		return OT__ADMIT;
	if (l->killed)
		return OT__ADMIT_DROP; /* it is ending: nothing more */
	if (fits(l, m->size)) {
		m->limit_counted = true;
		atomic_fetch_add_explicit(&l->msgs, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&l->bytes, m->size,
					  memory_order_relaxed);
		return OT__ADMIT;
	}
	if (l->drop) {
		atomic_fetch_add_explicit(&l->dropped, 1, memory_order_relaxed);
		return OT__ADMIT_DROP;
	}
	/* Killed as ot__proc_kill() kills, with its own reason: release
	 * orders killed before the flag the process reads. */
	l->killed = true;
	atomic_store_explicit(&p->kill_pending, true, memory_order_release);
	return ot__wake_locked(p, 0) ? OT__ADMIT_DROP_WAKE : OT__ADMIT_DROP;
}

void ot__limit_taken(struct ot__proc *p, struct ot_msg *m)
{
	m->limit_counted = false;
	atomic_fetch_sub_explicit(&p->limit->msgs, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&p->limit->bytes, m->size,
				  memory_order_relaxed);
}

ot_reason ot__limit_reason(struct ot__proc *p)
{
	/* Reported as Erlang reports a max_heap_size kill. */
	p->report = !atomic_load_explicit(&ot__log_off, memory_order_relaxed);
	return ot_reason_error(OT_ELIMIT, OT_MAILBOX_LIMIT_TEXT);
}
