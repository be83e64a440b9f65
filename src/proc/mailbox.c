/* SPDX-License-Identifier: MIT */
/*
 * mailbox.c — messages: send, receive, selective receive.
 *
 * A mailbox is two queues. `inbox` is where senders append, under the
 * receiver's lock (many producers). `queue` belongs to the receiver alone:
 * it moves the whole inbox over in one step when it has looked at
 * everything it already had, so a receiver takes the lock once per batch,
 * not once per message. One queue per receiver, appended to in the order
 * senders take the lock, keeps every sender's messages in the order sent.
 *
 * A receiver that is parked waiting gets its messages straight into
 * `queue` (nothing else touches it while it waits), so a woken receiver
 * usually finds its message without taking its lock again.
 *
 * Selective receive walks `queue` from the oldest message, removes the
 * first one the predicate accepts and leaves the rest where they were.
 * Within one call a message is offered to the predicate at most once: after
 * a wake only the newly arrived messages are looked at.
 *
 * Every entry gets a sequence number as it arrives (under the lock), so
 * the queue is in seq order. A mark (ot_mailbox_mark) is the next number:
 * a receive from a mark walks back from the tail over the messages newer
 * than it, however many older ones wait before them — a gen_server call's
 * cost does not grow with the caller's backlog. A mark is only a number,
 * so nothing that removes messages can invalidate it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "gate.h"
#include "lifecycle.h"
#include "lock.h"
#include "mailbox.h"
#include "remote.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "signals.h"
#include "timer.h"

int ot__check_payload(const void *data, size_t size)
{
	/* data and size must agree: both empty or both present; and no
	 * buffer is larger than PTRDIFF_MAX (sizes past it wrap when a
	 * header is added). */
	if (size > (size_t)PTRDIFF_MAX)
		return OT_EINVAL;
	return (data == NULL) == (size == 0) ? 0 : OT_EINVAL;
}

_Static_assert(sizeof(struct ot_msg) == 48, "a message header is 48 bytes");

struct ot_msg *ot__msg_alloc(size_t size, bool owned, uint64_t alias)
{
	struct ot_msg *m;
	size_t n = owned ? sizeof(struct ot__owned) : size;
	if (alias)
		n = ot__msg_body(size, owned) + sizeof alias;
	uint8_t cls;
	/* size <= PTRDIFF_MAX (ot__check_payload): n cannot have wrapped. */
	if (n > SIZE_MAX - sizeof *m)
		return NULL;
	m = ot__block_alloc_size(sizeof *m + n, &cls);
	if (!m)
		return NULL;
	m->block_class = cls;
	m->kind = OT__M_MSG;
	m->limit_counted = false;
	m->owned = owned;
	m->has_alias = alias != 0;
	m->size = size;
	if (alias)
		memcpy(m->inline_data + ot__msg_body(size, owned), &alias,
		       sizeof alias);
	return m;
}

struct ot_msg *ot__msg_new(ot_pid from, uint64_t tag, size_t size)
{
	return ot__msg_new_copy(from, tag, NULL, size, 0);
}

struct ot_msg *ot__msg_new_copy(ot_pid from, uint64_t tag, const void *data,
				size_t size, uint64_t alias)
{
	struct ot_msg *m = ot__msg_alloc(size, false, alias);
	if (!m)
		return NULL;
	m->from = from;
	m->tag = tag;
	if (size && data)
		memcpy(m->inline_data, data, size);
	return m;
}

void ot_msg_free(ot_msg *m)
{
	if (!m)
		return;
	if (m->owned) {
		struct ot__owned o;
		memcpy(&o, m->inline_data, sizeof o);
		if (o.free_fn)
			o.free_fn(o.data);
	}
	ot__block_free_class(m, m->block_class);
}

void ot__msgq_free(struct ot__msgq *q)
{
	struct ot_msg *m;
	while ((m = TAILQ_FIRST(q))) {
		TAILQ_REMOVE(q, m, link);
		ot_msg_free(m);
	}
}

void ot__mailbox_init(struct ot__proc *p)
{
	TAILQ_INIT(&p->inbox);
	TAILQ_INIT(&p->queue);
}

void ot__mailbox_close_locked(struct ot__proc *p, struct ot__msgq *left)
{
	TAILQ_CONCAT(left, &p->inbox, link);
	atomic_store_explicit(&p->inbox_signals, 0, memory_order_relaxed);
	atomic_store_explicit(&p->inbox_any, false, memory_order_relaxed);
	p->inbox_n = 0;
	p->inbox_bytes = 0;
	atomic_store_explicit(&p->queue_n, 0, memory_order_relaxed);
	atomic_store_explicit(&p->queue_bytes, 0, memory_order_relaxed);
}

void ot__mailbox_free(struct ot__proc *p, struct ot__msgq *left)
{
	ot__msgq_free(left);
	ot__msgq_free(&p->queue);
}

void ot__inbox_remove_signal_locked(struct ot__proc *p, struct ot_msg *m)
{
	TAILQ_REMOVE(&p->inbox, m, link);
	p->inbox_n--;
	p->inbox_bytes -= ot__msg_bytes(m);
	atomic_fetch_sub_explicit(&p->inbox_signals, 1, memory_order_relaxed);
	atomic_store_explicit(&p->inbox_any, !TAILQ_EMPTY(&p->inbox),
			      memory_order_relaxed);
}

/* Takes the messages sent through alias out of q (the inbox, under the
 * lock, or the owner's queue) into dropped. Returns how many; *bytes gets
 * what they held. */
static size_t take_alias(struct ot__proc *p, struct ot__msgq *q, uint64_t alias,
			 struct ot__msgq *dropped, size_t *bytes)
{
	size_t n = 0;
	*bytes = 0;
	struct ot_msg *m, *next;
	for (m = TAILQ_FIRST(q); m; m = next) {
		next = TAILQ_NEXT(m, link);
		if (m->kind == OT__M_MSG && ot__msg_alias(m) == alias) {
			TAILQ_REMOVE(q, m, link);
			if (m->limit_counted)
				ot__limit_taken(p, m);
			TAILQ_INSERT_TAIL(dropped, m, link);
			*bytes += ot__msg_bytes(m);
			n++;
		}
	}
	return n;
}

void ot__inbox_drop_alias_locked(struct ot__proc *p, uint64_t alias,
				 struct ot__msgq *dropped)
{
	size_t bytes;
	p->inbox_n -= take_alias(p, &p->inbox, alias, dropped, &bytes);
	p->inbox_bytes -= bytes;
}

void ot__queue_drop_alias(struct ot__proc *p, uint64_t alias,
			  struct ot__msgq *dropped)
{
	size_t bytes;
	ot__count(&p->queue_n,
		  -(ptrdiff_t)take_alias(p, &p->queue, alias, dropped, &bytes));
	ot__count(&p->queue_bytes, -(ptrdiff_t)bytes);
}

bool ot__enqueue_locked(struct ot__proc *p, struct ot_msg *m)
{
	uint64_t seq = atomic_load_explicit(&p->arrivals, memory_order_relaxed);
	atomic_store_explicit(&p->arrivals, seq + 1, memory_order_relaxed);
	m->seq = seq & OT__SEQ_MASK;
	if (OT__UNLIKELY(m->kind != OT__M_MSG)) {
		/* A signal: the receiver must act on it whatever it waits for.
		 */
		TAILQ_INSERT_TAIL(&p->inbox, m, link);
		p->inbox_n++;
		p->inbox_bytes += ot__msg_bytes(m);
		atomic_store_explicit(&p->inbox_any, true,
				      memory_order_relaxed);
		atomic_fetch_add_explicit(&p->inbox_signals, 1,
					  memory_order_relaxed);
		return ot__wake_locked(p, 0);
	}
	/* A waiting process does not touch its own queue until it is woken
	 * (under this lock): with nothing older in the inbox, the message can
	 * go straight to the queue, sparing the receiver the inbox lock. */
	if (atomic_load_explicit(&p->state, memory_order_relaxed) ==
		OT__P_WAITING &&
	    TAILQ_EMPTY(&p->inbox)) {
		TAILQ_INSERT_TAIL(&p->queue, m, link);
		ot__count(&p->queue_n, 1);
		ot__count(&p->queue_bytes, (ptrdiff_t)ot__msg_bytes(m));
	} else {
		TAILQ_INSERT_TAIL(&p->inbox, m, link);
		p->inbox_n++;
		p->inbox_bytes += ot__msg_bytes(m);
		atomic_store_explicit(&p->inbox_any, true,
				      memory_order_relaxed);
	}
	return ot__wake_locked(p, OT__WAKE_MSG);
}

void ot__deliver(ot_pid to, struct ot_msg *m)
{
	struct ot__proc *p = ot__table_lookup(to);
	if (!p || !ot__proc_lock_alive(p, to)) {
		ot_msg_free(m); /* to a dead process: dropped, as in Erlang */
		return;
	}
	uint64_t alias = ot__msg_alias(m);
	if (alias && !ot__alias_deliver(p, alias)) {
		ot__spin_unlock(&p->lock);
		ot_msg_free(m); /* its alias is gone: a late reply */
		return;
	}
	enum ot__admit admit = OT__UNLIKELY(p->limit != NULL)
				   ? ot__limit_admit_locked(p, m)
				   : OT__ADMIT;
	if (admit != OT__ADMIT) {
		ot__spin_unlock(&p->lock);
		ot_msg_free(m); /* past its mailbox limit (limit.c) */
		if (admit == OT__ADMIT_DROP_WAKE)
			ot__ready(p);
		return;
	}
	bool wake = ot__enqueue_locked(p, m);
	ot__spin_unlock(&p->lock);
	if (wake)
		ot__ready(p);
}

/* One unit of the calling process's budget spent (a send, or a receive
 * that may wait, about to look at its mailbox); at OT__BUDGET since it
 * last waited or yielded, it yields, whether or not another process waits
 * here: the scheduler's loop is also where its timers fire and its
 * descriptors are polled, which a flooded server must not hold up. A
 * process that waits between messages, as a server between calls does,
 * never spends it all. */
static void spend_budget(struct ot__proc *p)
{
	if (OT__LIKELY(++p->budget_spent < OT__BUDGET))
		return;
	p->budget_spent = 0;
	/* A foreign thread's record counts too, and never yields. */
	struct ot__sched *s = ot__sched_self();
	if (s && s->current == p)
		ot_yield();
}

void ot__send_msg(ot_pid to, struct ot_msg *m)
{
	ot__deliver(to, m);
	struct ot__sched *s = ot__sched_self();
	if (s && s->current)
		spend_budget(s->current);
}

/* The sender's pid: its process, or the foreign thread, which sending
 * attaches so that a reply can reach it. A thread that cannot be attached
 * (the process table is full) still sends, without a sender. */
static ot_pid sender(void)
{
	struct ot__proc *self = ot__caller();
	return self ? ot__pid_of(self) : OT_PID_NONE;
}

int ot__send(ot_pid to, uint64_t tag, const void *data, size_t size)
{
	int rc = ot__check_payload(data, size);
	if (rc)
		return rc;
	if (tag >= OT_TAG_SYSTEM)
		return OT_EINVAL;
	if (OT__UNLIKELY(!ot__pid_well_formed(to)))
		return ot__remote_send_out(sender(), to, tag, data, size);
	if ((rc = ot__running_check()) == OT_ENOTSTARTED)
		return rc;
	struct ot_msg *m = ot__msg_new_copy(sender(), tag, data, size, 0);
	if (!m)
		return OT_ENOMEM;
	ot__send_msg(to, m);
	return 0;
}

int ot__send_owned(ot_pid to, uint64_t tag, void *data, size_t size,
		   void (*free_fn)(void *))
{
	int rc = ot__check_payload(data, size);
	if (!rc && tag >= OT_TAG_SYSTEM)
		rc = OT_EINVAL;
	if (!rc && OT__UNLIKELY(!ot__pid_well_formed(to))) {
		/* To another node: the bytes are copied out, then released. */
		rc = ot__remote_send_out(sender(), to, tag, data, size);
		if (free_fn && data)
			free_fn(data);
		return rc;
	}
	if (!rc && ot__running_check() == OT_ENOTSTARTED)
		rc = OT_ENOTSTARTED;
	struct ot_msg *m = rc ? NULL : ot__msg_alloc(size, true, 0);
	if (!m) {
		/* The buffer was handed over: release it even on failure. */
		if (free_fn && data)
			free_fn(data);
		return rc ? rc : OT_ENOMEM;
	}
	m->from = sender();
	m->tag = tag;
	struct ot__owned o = {data, free_fn};
	memcpy(m->inline_data, &o, sizeof o);
	ot__send_msg(to, m);
	return 0;
}

ot_pid ot_msg_from(const ot_msg *m)
{
	return m ? m->from : OT_PID_NONE;
}

uint64_t ot_msg_alias(const ot_msg *m)
{
	return m ? ot__msg_alias(m) : 0;
}

uint64_t ot_msg_tag(const ot_msg *m)
{
	return m ? m->tag : 0;
}

const void *ot_msg_data(const ot_msg *m)
{
	return m ? ot__msg_data(m) : NULL;
}

size_t ot_msg_size(const ot_msg *m)
{
	return m ? m->size : 0;
}

bool ot__mailbox_take(struct ot__proc *p)
{
	/* Unlocked peek: a message that arrives just after is seen by the
	 * caller's next look, or by the scheduler when the caller parks. */
	if (!atomic_load_explicit(&p->inbox_any, memory_order_relaxed))
		return false;
	ot__spin_lock(&p->lock);
	if (TAILQ_EMPTY(&p->inbox)) {
		ot__spin_unlock(&p->lock);
		return false;
	}
	atomic_store_explicit(&p->inbox_any, false, memory_order_relaxed);
	size_t n = p->inbox_n, bytes = p->inbox_bytes;
	p->inbox_n = 0;
	p->inbox_bytes = 0;
	if (atomic_load_explicit(&p->inbox_signals, memory_order_relaxed) ==
	    0) {
		/* Only messages: the whole inbox moves over in one step. */
		TAILQ_CONCAT(&p->queue, &p->inbox, link);
		ot__count(&p->queue_n, (ptrdiff_t)n);
		ot__count(&p->queue_bytes, (ptrdiff_t)bytes);
		ot__spin_unlock(&p->lock);
		return true;
	}
	struct ot__msgq batch = TAILQ_HEAD_INITIALIZER(batch);
	TAILQ_CONCAT(&batch, &p->inbox, link);
	atomic_store_explicit(&p->inbox_signals, 0, memory_order_relaxed);
	ot__spin_unlock(&p->lock);

	bool any = false, die = false;
	struct ot_msg *m;
	while ((m = TAILQ_FIRST(&batch))) {
		TAILQ_REMOVE(&batch, m, link);
		/* Through an alias that a signal before it (its monitor's
		 * DOWN) ended: dropped, as it would have been a moment later.
		 */
		if (m->kind == OT__M_MSG && m->has_alias &&
		    ot__alias_mode(p, ot__msg_alias(m)) < 0) {
			ot_msg_free(m);
			continue;
		}
		if (m->kind == OT__M_MSG || ot__signal_apply(p, m, &die)) {
			TAILQ_INSERT_TAIL(&p->queue, m, link);
			ot__count(&p->queue_n, 1);
			ot__count(&p->queue_bytes, (ptrdiff_t)ot__msg_bytes(m));
			any = true;
		}
		if (die) {
			/* The rest is freed with the mailbox as p ends. */
			TAILQ_CONCAT(&p->queue, &batch, link);
			ot__proc_exit(p, &p->exit_reason);
		}
	}
	return any;
}

/* Where a receive from mark goes on after `seen`, the last message it
 * has looked at (NULL: none yet). Messages arrive in seq order, so those
 * past the mark are a run at the tail: walking back from the tail finds
 * it, and everything between `seen` and it is older than the mark. */
static struct ot_msg *skip_to_mark(struct ot__proc *p, struct ot_msg *seen,
				   uint64_t mark)
{
	struct ot_msg *b = TAILQ_LAST(&p->queue, ot__msgq);
	while (b && b != seen && b->seq >= mark)
		b = TAILQ_PREV(b, ot__msgq, link);
	return b;
}

/* The receive loop behind the API calls; match NULL takes the oldest;
 * with a mark (not zero) only the messages that came after it. */
static int receive(ot_mark since, ot_match_fn match, void *arg, ot_msg **out,
		   int timeout_ms)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *p = ot__caller();
	if (!p)
		return rc ? rc : OT_ENOMEM;
	if (since.pid && since.pid != ot__pid_of(p).id)
		return OT_EINVAL;
	uint64_t mark = since.pid ? since.seq : 0;
	/* Before a message is taken: a kill acted on in the yield finds
	 * every message still in the mailbox. Not for a look (timeout 0),
	 * which never switches: code that polls its mailbox holding what a
	 * kill would leak (a message taken, a lock) may rely on that. */
	if (timeout_ms != 0)
		spend_budget(p);
	int64_t deadline = OT__NO_DEADLINE;
	struct ot_msg *seen = NULL; /* last message already offered */
	for (;;) {
		if (mark)
			seen = skip_to_mark(p, seen, mark);
		struct ot_msg *m =
		    seen ? TAILQ_NEXT(seen, link) : TAILQ_FIRST(&p->queue);
		for (; m; m = TAILQ_NEXT(m, link)) {
			if (!match || match(m, arg)) {
				TAILQ_REMOVE(&p->queue, m, link);
				ot__count(&p->queue_n, -1);
				ot__count(&p->queue_bytes,
					  -(ptrdiff_t)ot__msg_bytes(m));
				if (m->has_alias)
					ot__alias_taken(p, ot__msg_alias(m));
				if (m->limit_counted)
					ot__limit_taken(p, m);
				*out = m;
				return 0;
			}
			seen = m;
		}
		if (ot__mailbox_take(p))
			continue;
		if (timeout_ms == 0)
			return OT_ETIMEDOUT;
		if (deadline == OT__NO_DEADLINE && timeout_ms != OT_INFINITY)
			deadline = ot__deadline_after(timeout_ms);
		rc = ot__park(p, OT__WAKE_MSG, deadline);
		if (rc == OT_ETIMEDOUT) {
			/* One last look: a message that raced the deadline. */
			timeout_ms = 0;
			continue;
		}
		if (rc)
			return rc;
	}
}

int ot__receive(ot_msg **out, int timeout_ms)
{
	if (!out || timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	return receive((ot_mark){0}, NULL, NULL, out, timeout_ms);
}

int ot__receive_match(ot_match_fn match, void *arg, ot_msg **out,
		      int timeout_ms)
{
	if (!out || !match || timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	return receive((ot_mark){0}, match, arg, out, timeout_ms);
}

int ot__mailbox_mark(ot_mark *out)
{
	if (!out)
		return OT_EINVAL;
	/* As receive: a process may still mark while the runtime ends. */
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *p = ot__caller();
	if (!p)
		return rc ? rc : OT_ENOMEM;
	/* Relaxed is enough: whatever the caller does next (a send that
	 * causes the awaited message) comes after this read, so that
	 * message's seq, taken from the same counter, is at least this. */
	out->pid = ot__pid_of(p).id;
	out->seq = atomic_load_explicit(&p->arrivals, memory_order_relaxed) &
		   OT__SEQ_MASK; /* as the messages keep it */
	return 0;
}

int ot__receive_match_since(ot_mark mark, ot_match_fn match, void *arg,
			    ot_msg **out, int timeout_ms)
{
	if (!out || !match || timeout_ms < OT_INFINITY ||
	    (!mark.pid && mark.seq))
		return OT_EINVAL;
	return receive(mark, match, arg, out, timeout_ms);
}
