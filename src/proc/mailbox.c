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
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "runtime.h"

int ot__check_payload(const void *data, size_t size)
{
	/* data and size must agree: both empty or both present; and no
	 * buffer is larger than PTRDIFF_MAX (sizes past it wrap when a
	 * header is added). */
	if (size > (size_t)PTRDIFF_MAX)
		return OT_EINVAL;
	return (data == NULL) == (size == 0) ? 0 : OT_EINVAL;
}

/* Small blocks come from and go back to the scheduler's cache: no malloc
 * on the message path of processes. A block may be freed on another
 * scheduler than the one that allocated it; caches only hold memory. Two
 * classes: message-sized blocks, and OT__SMALL_BLOCK_SIZE ones for link
 * and watch records (every linked process keeps two). */
static const size_t block_sizes[OT__BLOCK_CLASSES] = {OT__BLOCK_SIZE,
						      OT__SMALL_BLOCK_SIZE};

static void *class_alloc(int c)
{
	struct ot__sched *s = ot__sched_self();
	void *b;
	if (s && (b = s->block_cache[c])) {
		s->block_cache[c] = *(void **)b;
		s->blocks_cached[c]--;
		return b;
	}
	return malloc(block_sizes[c]);
}

static void class_free(int c, void *b)
{
	struct ot__sched *s;
	if (b && (s = ot__sched_self()) &&
	    s->blocks_cached[c] < OT__BLOCK_CACHE_MAX) {
		*(void **)b = s->block_cache[c];
		s->block_cache[c] = b;
		s->blocks_cached[c]++;
		return;
	}
	free(b);
}

void *ot__block_alloc(void)
{
	return class_alloc(0);
}

void ot__block_free(void *b)
{
	class_free(0, b);
}

void *ot__small_alloc(void)
{
	return class_alloc(1);
}

void ot__small_free(void *b)
{
	class_free(1, b);
}

void ot__block_cache_fini(struct ot__sched *s)
{
	for (int c = 0; c < OT__BLOCK_CLASSES; c++) {
		void *b;
		while ((b = s->block_cache[c])) {
			s->block_cache[c] = *(void **)b;
			free(b);
		}
		s->blocks_cached[c] = 0;
	}
}

struct ot_msg *ot__msg_alloc(size_t size)
{
	struct ot_msg *m;
	bool small = size <= OT__MSG_SMALL;
	if (small)
		m = ot__block_alloc();
	else if (size > SIZE_MAX - sizeof *m)
		return NULL;
	else
		m = malloc(sizeof *m + size);
	if (!m)
		return NULL;
	m->cached = small;
	m->kind = OT__M_MSG;
	m->alias = 0;
	return m;
}

struct ot_msg *ot__msg_new(ot_pid from, uint64_t tag, size_t size)
{
	struct ot_msg *m = ot__msg_alloc(size);
	if (!m)
		return NULL;
	m->from = from;
	m->tag = tag;
	m->size = size;
	m->free_fn = NULL;
	m->data = size ? m->inline_data : NULL;
	return m;
}

struct ot_msg *ot__msg_new_copy(ot_pid from, uint64_t tag, const void *data,
				size_t size)
{
	struct ot_msg *m = ot__msg_new(from, tag, size);
	if (m && size)
		memcpy(m->data, data, size);
	return m;
}

void ot_msg_free(ot_msg *m)
{
	if (!m)
		return;
	if (m->free_fn)
		m->free_fn(m->data);
	if (m->cached)
		ot__block_free(m);
	else
		free(m);
}

void ot__msgq_free(struct ot__msgq *q)
{
	struct ot_msg *m;
	while ((m = TAILQ_FIRST(q))) {
		TAILQ_REMOVE(q, m, link);
		ot_msg_free(m);
	}
}

bool ot__enqueue_locked(struct ot__proc *p, struct ot_msg *m)
{
	if (OT_UNLIKELY(m->kind != OT__M_MSG)) {
		/* A signal: the receiver must act on it whatever it waits for. */
		TAILQ_INSERT_TAIL(&p->inbox, m, link);
		p->inbox_n++;
		atomic_store_explicit(&p->inbox_any, true, memory_order_relaxed);
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
	} else {
		TAILQ_INSERT_TAIL(&p->inbox, m, link);
		p->inbox_n++;
		atomic_store_explicit(&p->inbox_any, true, memory_order_relaxed);
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
	if (m->alias && !ot__alias_deliver(p, m->alias)) {
		ot__spin_unlock(&p->lock);
		ot_msg_free(m); /* its alias is gone: a late reply */
		return;
	}
	bool wake = ot__enqueue_locked(p, m);
	ot__spin_unlock(&p->lock);
	if (wake)
		ot__ready(p);
}

void ot__send_msg(ot_pid to, struct ot_msg *m)
{
	ot__deliver(to, m);
	struct ot__sched *s = ot__sched_self();
	struct ot__proc *p = s ? s->current : NULL;
	if (p && ++p->sends >= OT__SEND_BUDGET) {
		p->sends = 0;
		/* Only if someone else is waiting to run here (a receiver it
		 * woke, usually): a yield to nobody is wasted. */
		if (s->runnext ||
		    atomic_load_explicit(&s->rq_len, memory_order_relaxed))
			ot_yield();
	}
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
	if (!ot__pid_well_formed(to))
		return OT_EINVAL;
	if ((rc = ot__running_check()) == OT_ENOTSTARTED)
		return rc;
	struct ot_msg *m = ot__msg_new_copy(sender(), tag, data, size);
	if (!m)
		return OT_ENOMEM;
	ot__send_msg(to, m);
	return 0;
}

int ot__send_owned(ot_pid to, uint64_t tag, void *data, size_t size,
		   void (*free_fn)(void *))
{
	int rc = ot__check_payload(data, size);
	if (!rc && (!ot__pid_well_formed(to) || tag >= OT_TAG_SYSTEM))
		rc = OT_EINVAL;
	if (!rc && ot__running_check() == OT_ENOTSTARTED)
		rc = OT_ENOTSTARTED;
	struct ot_msg *m = rc ? NULL : ot__msg_alloc(0);
	if (!m) {
		/* The buffer was handed over: release it even on failure. */
		if (free_fn && data)
			free_fn(data);
		return rc ? rc : OT_ENOMEM;
	}
	m->from = sender();
	m->tag = tag;
	m->size = size;
	m->data = data;
	m->free_fn = free_fn;
	ot__send_msg(to, m);
	return 0;
}

ot_pid ot_msg_from(const ot_msg *m)
{
	return m ? m->from : OT_PID_NONE;
}

uint64_t ot_msg_alias(const ot_msg *m)
{
	return m ? m->alias : 0;
}

uint64_t ot_msg_tag(const ot_msg *m)
{
	return m ? m->tag : 0;
}

const void *ot_msg_data(const ot_msg *m)
{
	return m ? m->data : NULL;
}

size_t ot_msg_size(const ot_msg *m)
{
	return m ? m->size : 0;
}

int64_t ot__deadline_after(int timeout_ms)
{
	if (timeout_ms == OT_INFINITY)
		return OT__NO_DEADLINE;
	return ot__now_ns() + (int64_t)timeout_ms * OT__NS_PER_MS;
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
	size_t n = p->inbox_n;
	p->inbox_n = 0;
	if (atomic_load_explicit(&p->inbox_signals, memory_order_relaxed) == 0) {
		/* Only messages: the whole inbox moves over in one step. */
		TAILQ_CONCAT(&p->queue, &p->inbox, link);
		ot__count(&p->queue_n, (ptrdiff_t)n);
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
		if (m->kind == OT__M_MSG) {
			TAILQ_INSERT_TAIL(&p->queue, m, link);
			ot__count(&p->queue_n, 1);
			any = true;
		} else if (ot__signal_apply(p, m, &die)) {
			ot__count(&p->queue_n, 1);
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

/* The receive loop behind both API calls; match NULL takes the oldest. */
static int receive(ot_match_fn match, void *arg, ot_msg **out, int timeout_ms)
{
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *p = ot__caller();
	if (!p)
		return rc ? rc : OT_ENOMEM;
	int64_t deadline = OT__NO_DEADLINE;
	struct ot_msg *seen = NULL; /* last message already offered */
	for (;;) {
		struct ot_msg *m = seen ? TAILQ_NEXT(seen, link)
					: TAILQ_FIRST(&p->queue);
		for (; m; m = TAILQ_NEXT(m, link)) {
			if (!match || match(m, arg)) {
				TAILQ_REMOVE(&p->queue, m, link);
				ot__count(&p->queue_n, -1);
				if (m->alias)
					ot__alias_taken(p, m->alias);
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
	return receive(NULL, NULL, out, timeout_ms);
}

int ot__receive_match(ot_match_fn match, void *arg, ot_msg **out,
		      int timeout_ms)
{
	if (!out || !match || timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	return receive(match, arg, out, timeout_ms);
}
