/* SPDX-License-Identifier: MIT */
/*
 * alias.c — aliases: addresses for replies that can be switched off.
 *
 * A process's active aliases are in a table of its own, made by its first
 * ot_alias() (most processes never make one, and carry only the pointer)
 * and grown by doubling, so there is no limit but memory, as in Erlang.
 * It is an open-addressing hash table with linear probing, at most half
 * full: a lookup is a multiply and, almost always, one compare. Only the
 * owner adds and removes entries (ot_alias, ot_unalias are its own), under
 * its lock; a message sent through an alias is checked against the table
 * as it is delivered, under the same lock, and dropped if the alias is no
 * longer active. Each entry also counts what came through it (senders,
 * under the lock) and what the owner took (the owner alone), so that
 * ot_unalias() can drop what was not taken, and looks at the mailbox only
 * when there is some. So once ot_unalias() returns, nothing sent through
 * that alias is in the mailbox or can arrive: a call that timed out never
 * finds its late reply, a call answered twice never finds the second.
 *
 * An alias may also be a monitor's reference (ot_monitor_alias(), OTP 24's
 * monitor/3 with {alias, Mode}): references and aliases are drawn from one
 * counter, so the two never collide. Its entry says its mode; the monitor
 * side (signal.c) deactivates it when the monitor ends. A reply_demonitor
 * alias takes one message: the first is marked `replied` as it is
 * delivered (later ones are dropped then), and the owner ends alias and
 * monitor as it receives it; a DOWN that comes meanwhile is dropped.
 */
#include "config.h"

#include <stdlib.h>

#include "gate.h"
#include "lock.h"
#include "mailbox.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "signals.h"

struct ot__alias_entry {
	uint64_t alias;	    /* 0: free */
	uint32_t delivered; /* through it, counted by senders under lock */
	uint32_t taken;	    /* of those, taken by the owner */
	uint8_t mode;	    /* enum ot_alias_mode, 0 for ot_alias()'s */
	bool replied;	    /* reply_demonitor: its one message came */
};

struct ot__alias_table {
	uint32_t mask; /* capacity - 1, a power of two */
	uint32_t n;    /* active entries, at most half the capacity */
	struct ot__alias_entry e[];
};

/* The first table's capacity: four aliases (a call and a few requests)
 * before it grows. */
#define FIRST_CAPACITY 8u
/* Beyond this many entries (4 G / 2) a table does not grow. */
#define MAX_CAPACITY (1u << 31)

static _Atomic uint64_t next_id = 1;

uint64_t ot__unique_id(void)
{
	return atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
}

static uint32_t home_of(const struct ot__alias_table *t, uint64_t alias)
{
	/* Fibonacci hashing: aliases are sequential across all processes,
	 * so their high product bits spread them well. */
	return (uint32_t)((alias * 0x9e3779b97f4a7c15ull) >> 32) & t->mask;
}

static struct ot__alias_entry *find(struct ot__alias_table *t, uint64_t alias)
{
	if (!t)
		return NULL;
	for (uint32_t i = home_of(t, alias);; i = (i + 1) & t->mask) {
		if (t->e[i].alias == alias)
			return &t->e[i];
		if (t->e[i].alias == 0)
			return NULL;
	}
}

static void put(struct ot__alias_table *t, struct ot__alias_entry e)
{
	uint32_t i = home_of(t, e.alias);
	while (t->e[i].alias)
		i = (i + 1) & t->mask;
	t->e[i] = e;
	t->n++;
}

/* Removes the entry at i, moving later entries of its probe run back so
 * that no lookup stops early (backward-shift deletion: no tombstones). */
static void take_out(struct ot__alias_table *t, uint32_t i)
{
	uint32_t j = i;
	for (;;) {
		t->e[i].alias = 0;
		uint32_t home;
		do {
			j = (j + 1) & t->mask;
			if (t->e[j].alias == 0) {
				t->n--;
				return;
			}
			home = home_of(t, t->e[j].alias);
			/* The entry at j may move to i only if its home is
			 * not cyclically within (i, j]. */
		} while (i <= j ? (i < home && home <= j)
				: (i < home || home <= j));
		t->e[i] = t->e[j];
		i = j;
	}
}

static struct ot__alias_table *table_new(uint32_t capacity)
{
	struct ot__alias_table *t =
	    calloc(1, sizeof *t + (size_t)capacity * sizeof t->e[0]);
	if (t)
		t->mask = capacity - 1;
	return t;
}

bool ot__alias_deliver(struct ot__proc *p, uint64_t alias)
{
	struct ot__alias_entry *e = find(p->aliases, alias);
	if (!e)
		return false;
	if (e->mode == OT_ALIAS_REPLY_DEMONITOR) {
		if (e->replied)
			return false; /* its one reply came already */
		e->replied = true;
	}
	e->delivered++;
	return true;
}

/* Removes e from p's table, under p's lock. */
static void drop_entry(struct ot__proc *p, uint64_t alias)
{
	ot__spin_lock(&p->lock);
	struct ot__alias_entry *e = find(p->aliases, alias);
	if (e)
		take_out(p->aliases, (uint32_t)(e - p->aliases->e));
	ot__spin_unlock(&p->lock);
}

void ot__alias_taken(struct ot__proc *p, uint64_t alias)
{
	/* The owner reads its own table without the lock: only it changes
	 * the entries' places, and senders write only `delivered` and
	 * `replied` (which it reads only once the message is here). */
	struct ot__alias_entry *e = find(p->aliases, alias);
	if (!e)
		return;
	if (OT__LIKELY(e->mode != OT_ALIAS_REPLY_DEMONITOR)) {
		e->taken++;
		return;
	}
	/* Its reply, received: nothing else can come through it. */
	drop_entry(p, alias);
	ot__monitor_end(p, alias);
}

bool ot__alias_replied(struct ot__proc *p, uint64_t id)
{
	ot__spin_lock(&p->lock);
	const struct ot__alias_entry *e = find(p->aliases, id);
	bool replied = e && e->mode == OT_ALIAS_REPLY_DEMONITOR && e->replied;
	ot__spin_unlock(&p->lock);
	return replied;
}

void ot__aliases_free(struct ot__proc *p)
{
	free(p->aliases);
	p->aliases = NULL;
}

/* Makes room for one more entry in the owner's table, so that it stays at
 * most half full: 0, or OT_ENOMEM. The new table is made outside the lock
 * (only the owner changes the table, so the old one cannot change shape
 * meanwhile) and swapped in under it, with the senders' counts. */
static int reserve(struct ot__proc *p)
{
	struct ot__alias_table *old = p->aliases;
	uint32_t cap = old ? old->mask + 1 : FIRST_CAPACITY;
	if (old && (old->n + 1) * 2 <= cap)
		return 0;
	if (old) {
		if (cap >= MAX_CAPACITY)
			return OT_ENOMEM;
		cap *= 2;
	}
	struct ot__alias_table *t = table_new(cap);
	if (!t)
		return OT_ENOMEM;
	ot__spin_lock(&p->lock);
	for (uint32_t i = 0; old && i <= old->mask; i++)
		if (old->e[i].alias)
			put(t, old->e[i]);
	p->aliases = t;
	ot__spin_unlock(&p->lock);
	free(old);
	return 0;
}

int ot__alias_add(struct ot__proc *p, uint64_t id, int mode)
{
	int rc = reserve(p);
	if (rc)
		return rc;
	ot__spin_lock(&p->lock);
	put(p->aliases,
	    (struct ot__alias_entry){.alias = id, .mode = (uint8_t)mode});
	ot__spin_unlock(&p->lock);
	return 0;
}

int ot__alias_mode(struct ot__proc *p, uint64_t id)
{
	const struct ot__alias_entry *e = find(p->aliases, id);
	return e ? e->mode : -1;
}

void ot__alias_remove(struct ot__proc *p, uint64_t id)
{
	struct ot__msgq dropped = TAILQ_HEAD_INITIALIZER(dropped);
	ot__spin_lock(&p->lock);
	struct ot__alias_entry *e = find(p->aliases, id);
	if (e) {
		take_out(p->aliases, (uint32_t)(e - p->aliases->e));
		/* What is in the inbox came after the signal that ends it
		 * (the owner is taking its inbox in order): dropped, as OTP
		 * drops what arrives once the alias is inactive. */
		ot__inbox_drop_alias_locked(p, id, &dropped);
	}
	ot__spin_unlock(&p->lock);
	ot__msgq_free(&dropped);
}

int ot__alias(uint64_t *out)
{
	if (!out)
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc)
		return rc;
	struct ot__proc *p = ot__caller();
	if (!p)
		return OT_ENOMEM;
	uint64_t alias = ot__unique_id();
	if ((rc = ot__alias_add(p, alias, 0)) != 0)
		return rc;
	*out = alias;
	return 0;
}

int ot__unalias(uint64_t alias)
{
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	struct ot__proc *p = ot__current();
	if (!p || alias == 0)
		return 0;
	int was = 0;
	bool unread = false;
	struct ot__msgq dropped = TAILQ_HEAD_INITIALIZER(dropped);
	ot__spin_lock(&p->lock);
	struct ot__alias_entry *e = find(p->aliases, alias);
	if (e) {
		unread = e->delivered != e->taken;
		take_out(p->aliases, (uint32_t)(e - p->aliases->e));
		was = 1;
	}
	/* What came through it and was not taken is dropped too (a second
	 * reply to one call, a reply racing a timeout): rare, so the scan
	 * of the mailbox costs nothing in the common case. */
	if (unread)
		ot__inbox_drop_alias_locked(p, alias, &dropped);
	ot__spin_unlock(&p->lock);
	/* The queue is the owner's, and the owner is the caller (it is not
	 * waiting, so no sender appends to it meanwhile). */
	if (unread) {
		ot__queue_drop_alias(p, alias, &dropped);
		ot__msgq_free(&dropped);
	}
	return was;
}

int ot__send_alias(ot_pid to, uint64_t alias, uint64_t tag, const void *data,
		   size_t size)
{
	int rc = ot__check_payload(data, size);
	if (rc)
		return rc;
	if (!ot__pid_well_formed(to) || tag >= OT_TAG_SYSTEM || alias == 0)
		return OT_EINVAL;
	if ((rc = ot__running_check()) == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *self = ot__caller();
	struct ot_msg *m = ot__msg_new_copy(
	    self ? ot__pid_of(self) : OT_PID_NONE, tag, data, size, alias);
	if (!m)
		return OT_ENOMEM;
	ot__send_msg(to, m);
	return 0;
}
