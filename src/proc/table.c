/* SPDX-License-Identifier: MIT */
/*
 * table.c — the process table: pids to processes.
 *
 * A pid is (generation << 32 | slot index + 1), so no pid is 0 and a slot
 * reused by a new process gets a pid that differs from every earlier one
 * of that slot. Freed slots wait in a FIFO and are reused only once
 * REUSE_DELAY others are free (or the table is full), so a pid value does
 * not come back soon.
 *
 * Lookups take no lock: a slot holds a pointer to a process structure, and
 * process structures are never freed while the runtime runs (they go back
 * to a pool). A reader may therefore find a structure that has since been
 * given to another process; it locks it and compares the pid, and that
 * comparison decides.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define REUSE_DELAY 4096

static struct {
	ot__spinlock lock;
	_Atomic(struct ot__proc *) *slots; /* capacity entries */
	uint32_t *gen;			   /* per slot; lock */
	uint32_t *free_ring;		   /* FIFO of free slot indices; lock */
	size_t capacity, used, hwm;	   /* lock */
	size_t free_head, free_count;	   /* lock */
	SLIST_HEAD(, ot__proc) pool;	   /* structures to reuse; lock */
	size_t allocated;		   /* structures malloc'd; lock */
} table;

int ot__table_init(size_t capacity)
{
	memset(&table, 0, sizeof table);
	table.capacity = capacity;
	table.slots = calloc(capacity, sizeof *table.slots);
	table.gen = calloc(capacity, sizeof *table.gen);
	table.free_ring = calloc(capacity, sizeof *table.free_ring);
	SLIST_INIT(&table.pool);
	if (!table.slots || !table.gen || !table.free_ring) {
		ot__table_fini();
		return OT_ENOMEM;
	}
	return 0;
}

void ot__table_fini(void)
{
	/* Every process has ended: all structures are in the pool. */
	struct ot__proc *p, *tmp;
	size_t n = 0;
	SLIST_FOREACH_SAFE(p, &table.pool, free_link, tmp) {
		free(p);
		n++;
	}
	OT_ASSERT(n == table.allocated);
	free(table.slots);
	free(table.gen);
	free(table.free_ring);
	memset(&table, 0, sizeof table);
}

struct ot__proc *ot__proc_new(void)
{
	ot__spin_lock(&table.lock);
	struct ot__proc *p = SLIST_FIRST(&table.pool);
	if (p)
		SLIST_REMOVE_HEAD(&table.pool, free_link);
	ot__spin_unlock(&table.lock);
	if (!p) {
		p = aligned_alloc(64, (sizeof *p + 63) & ~(size_t)63);
		if (!p)
			return NULL;
		ot__spin_lock(&table.lock);
		table.allocated++;
		ot__spin_unlock(&table.lock);
		memset(p, 0, sizeof *p);
	}
	/* A lookup with a stale pid may hold p->lock right now: keep the lock
	 * and pid_id, reset the rest under the lock. state stays DEAD until
	 * ot__table_insert() gives p its new pid, so such a reader bails. */
	ot__spin_lock(&p->lock);
	memset((char *)p + offsetof(struct ot__proc, state), 0,
	       sizeof *p - offsetof(struct ot__proc, state));
	atomic_store_explicit(&p->state, OT__P_DEAD, memory_order_relaxed);
	TAILQ_INIT(&p->inbox);
	TAILQ_INIT(&p->queue);
	ot__spin_unlock(&p->lock);
	return p;
}

void ot__proc_discard(struct ot__proc *p)
{
	ot__spin_lock(&table.lock);
	SLIST_INSERT_HEAD(&table.pool, p, free_link);
	ot__spin_unlock(&table.lock);
}

int ot__table_insert(struct ot__proc *p, enum ot__pstate state)
{
	ot__spin_lock(&table.lock);
	if (table.used >= ot__rt.max_procs) {
		ot__spin_unlock(&table.lock);
		return OT_ELIMIT;
	}
	size_t idx;
	if (table.hwm < table.capacity &&
	    (table.free_count < REUSE_DELAY || table.hwm < REUSE_DELAY)) {
		idx = table.hwm++;
	} else {
		OT_ASSERT(table.free_count > 0);
		idx = table.free_ring[table.free_head];
		table.free_head = (table.free_head + 1) % table.capacity;
		table.free_count--;
	}
	if (++table.gen[idx] == 0)
		table.gen[idx] = 1;
	table.used++;
	uint64_t id = ((uint64_t)table.gen[idx] << 32) | (uint64_t)(idx + 1);
	/* Under p->lock: a stale reader sees the old pid (and DEAD) or the
	 * new pid, never the old pid with a live state. */
	ot__spin_lock(&p->lock);
	atomic_store_explicit(&p->pid_id, id, memory_order_relaxed);
	atomic_store_explicit(&p->state, state, memory_order_relaxed);
	ot__spin_unlock(&p->lock);
	/* release: publishes p's initialised fields to lock-free readers. */
	atomic_store_explicit(&table.slots[idx], p, memory_order_release);
	ot__spin_unlock(&table.lock);
	return 0;
}

void ot__table_remove(struct ot__proc *p)
{
	uint64_t id = atomic_load_explicit(&p->pid_id, memory_order_relaxed);
	size_t idx = (size_t)(id & 0xffffffffu) - 1;
	ot__spin_lock(&table.lock);
	OT_ASSERT(idx < table.capacity && table.slots[idx] == p);
	/* release: a lookup that finds the slot empty (and so answers noproc:
	 * a monitor's DOWN, ot_is_alive) happens after all the process did. */
	atomic_store_explicit(&table.slots[idx], NULL, memory_order_release);
	size_t tail = (table.free_head + table.free_count) % table.capacity;
	table.free_ring[tail] = (uint32_t)idx;
	table.free_count++;
	table.used--;
	SLIST_INSERT_HEAD(&table.pool, p, free_link);
	ot__spin_unlock(&table.lock);
}

struct ot__proc *ot__table_lookup(ot_pid pid)
{
	size_t idx = (size_t)(pid.id & 0xffffffffu) - 1;
	if (idx >= table.capacity)
		return NULL;
	/* acquire: pairs with the release in ot__table_insert(). */
	struct ot__proc *p =
		atomic_load_explicit(&table.slots[idx], memory_order_acquire);
	if (!p || atomic_load_explicit(&p->pid_id, memory_order_relaxed) !=
			  pid.id)
		return NULL;
	return p;
}

struct ot__proc *ot__table_slot(uint32_t slot)
{
	size_t idx = (size_t)slot - 1;
	if (slot == 0 || idx >= table.capacity)
		return NULL;
	/* acquire: pairs with the release in ot__table_insert(). */
	return atomic_load_explicit(&table.slots[idx], memory_order_acquire);
}

bool ot__proc_lock_alive(struct ot__proc *p, ot_pid pid)
{
	ot__spin_lock(&p->lock);
	if (atomic_load_explicit(&p->pid_id, memory_order_relaxed) == pid.id &&
	    atomic_load_explicit(&p->state, memory_order_relaxed) !=
		    OT__P_DEAD)
		return true;
	ot__spin_unlock(&p->lock);
	return false;
}

void ot__table_foreach(void (*fn)(struct ot__proc *p, void *arg), void *arg)
{
	ot__spin_lock(&table.lock);
	size_t hwm = table.hwm;
	ot__spin_unlock(&table.lock);
	for (size_t i = 0; i < hwm; i++) {
		struct ot__proc *p = atomic_load_explicit(&table.slots[i],
							  memory_order_acquire);
		if (p)
			fn(p, arg);
	}
}

bool ot_is_alive(ot_pid pid)
{
	if (ot__running_check() == OT_ENOTSTARTED || !ot__pid_well_formed(pid))
		return false;
	struct ot__proc *p = ot__table_lookup(pid);
	if (!p || !ot__proc_lock_alive(p, pid))
		return false;
	ot__spin_unlock(&p->lock);
	return true;
}

int ot_pid_format(ot_pid pid, char *buf, size_t size)
{
	if (!buf && size)
		return OT_EINVAL;
	return snprintf(buf, size, "<0.%u.%u>", (unsigned)(pid.id & 0xffffffffu),
			(unsigned)(pid.id >> 32));
}
