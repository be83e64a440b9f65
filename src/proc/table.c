/* SPDX-License-Identifier: MIT */
/*
 * table.c — the process table: pids to processes, and the memory of the
 * process structures themselves.
 *
 * A pid is (generation << 32 | slot index + 1), so no pid is 0 and a slot
 * reused by a new process gets a pid that differs from every earlier one
 * of that slot. Freed slots wait in a FIFO and are reused only once
 * REUSE_DELAY others are free (or the table is full), so a pid value does
 * not come back soon.
 *
 * The table lock is not taken per process. A scheduler takes free slots
 * OT__SLOT_BATCH at a time for the processes spawned on it (each taken by
 * the rule above as it leaves the FIFO), and keeps the slots of those that
 * ended on it until it has a batch to give back to the FIFO's tail: one
 * lock round trip per batch, not three per process, and none of the
 * table's lines bounce between two schedulers' spawns and ends. A slot
 * freed on one scheduler goes through the FIFO to any other. What the
 * limit counts, the processes that hold a slot and have not ended
 * (`alive`), is one atomic counter. The table has room for the batches
 * besides max_processes and the slack (ot__table_init), so slots held in
 * batches never make a spawn fail.
 *
 * The structure of slot i lives at a fixed place, arena + i * SLOT, in one
 * mapping reserved for the table's capacity at start (address space only:
 * a page costs memory once a process of its slots has lived). Lookups take
 * no lock: the structure at a slot is always there to read, a reader
 * compares its pid (acquire) and then locks it and checks it is alive, and
 * that decides. Nothing is malloc'd per process, so nothing is wasted on
 * allocator headers or alignment.
 *
 * When every slot of a chunk (CHUNK_SLOTS structures, whole pages) is free
 * and far more chunks are resident than the live processes need, its pages
 * go back to the system (MADV_DONTNEED: they read as zeros again, and a
 * zero pid matches no lookup); the first KEEP_CHUNKS chunks always stay. A
 * burst of processes does not keep its memory once it has ended. A stale reader
 * may be spinning on the lock of a structure of such a chunk: the chunk's locks
 * are all held while its pages go, so that no one holds a lock across the
 * release, and a zero lock is free.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gate.h"
#include "lock.h"
#include "mailbox.h"
#include "process.h"
#include "remote.h"
#include "runtime.h"
#include "scheduler.h"

#define REUSE_DELAY 4096
/* A multiple of 64: with 64-byte slots, CHUNK_SLOTS slots fill whole
 * 4 KiB pages. */
#define CHUNK_SLOTS 64
/* Chunks kept resident when empty: the memory a steady state reuses at
 * once (4,096 processes' structures). */
#define KEEP_CHUNKS 64
/* Each structure on its own cache lines. */
#define SLOT ((sizeof(struct ot__proc) + 63) & ~(size_t)63)
/* Every process pays for each byte of its structure, idle or not: a field
 * added to it should find room in what is there (rarely used state goes
 * behind a pointer, as the mailbox limit and the alias table do), or
 * raise this on purpose. */
#if !defined(OT_CTX_UCONTEXT) && !defined(OT__ASAN) && !defined(OT__TSAN)
/* (The sanitizers' contexts carry more, and ucontext_t much more.) */
_Static_assert(sizeof(struct ot__proc) <= 640,
	       "struct ot__proc grew past ten cache lines");
#endif

static struct {
	ot__spinlock lock;
	char *arena; /* capacity slots of SLOT bytes */
	size_t arena_len;
	uint32_t *gen;		      /* per slot; whoever holds the slot */
	uint32_t *free_ring;	      /* FIFO of free slot indices; lock */
	uint16_t *chunk_used;	      /* structures in use per chunk; lock */
	uint8_t *chunk_resident;      /* chunk touched since released; lock */
	size_t capacity, used, hwm;   /* lock */
	size_t free_head, free_count; /* lock */
	size_t resident;	      /* chunks with chunk_resident; lock */
	/* Processes that hold a slot and are not dead to the world yet
	 * (ot__table_note_ended): what max_processes limits. On a line of
	 * its own, away from the lock. */
	_Alignas(64) _Atomic size_t alive;
} table;

static struct ot__proc *slot_at(size_t idx)
{
	return (struct ot__proc *)(table.arena + idx * SLOT);
}

static size_t index_of(const struct ot__proc *p)
{
	return (size_t)((const char *)p - table.arena) / SLOT;
}

int ot__table_init(size_t max_procs, unsigned nsched)
{
	size_t capacity =
	    max_procs + OT__TABLE_SLACK + (size_t)nsched * 2 * OT__SLOT_BATCH;
	if (capacity > OT_MAX_PROCESSES)
		capacity = OT_MAX_PROCESSES;
	memset(&table, 0, sizeof table);
	size_t chunks = (capacity + CHUNK_SLOTS - 1) / CHUNK_SLOTS;
	table.capacity = capacity;
	table.arena_len = chunks * CHUNK_SLOTS * SLOT;
	table.arena = mmap(NULL, table.arena_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (table.arena == MAP_FAILED) {
		table.arena = NULL;
		return OT_ENOMEM;
	}
	table.gen = calloc(capacity, sizeof *table.gen);
	table.free_ring = calloc(capacity, sizeof *table.free_ring);
	table.chunk_used = calloc(chunks, sizeof *table.chunk_used);
	table.chunk_resident = calloc(chunks, sizeof *table.chunk_resident);
	if (!table.gen || !table.free_ring || !table.chunk_used ||
	    !table.chunk_resident) {
		ot__table_fini();
		return OT_ENOMEM;
	}
	return 0;
}

void ot__table_fini(void)
{
	/* Every process has ended. */
	OT__ASSERT(table.used == 0);
	if (table.arena)
		munmap(table.arena, table.arena_len);
	free(table.gen);
	free(table.free_ring);
	free(table.chunk_used);
	free(table.chunk_resident);
	memset(&table, 0, sizeof table);
}

/* Pages go back only once the resident structures are far more than the
 * live ones and the reuse delay need: processes that come and go keep
 * theirs (a spawn must not fault a fresh page), a burst that has ended
 * gives its back. Caller holds table.lock. */
static bool too_much_resident(void)
{
	return (table.resident - KEEP_CHUNKS) * CHUNK_SLOTS >
	       2 * (table.used + REUSE_DELAY);
}

/* The empty chunk c gives its pages back; caller holds table.lock. */
static void chunk_release(size_t c)
{
	size_t first = c * CHUNK_SLOTS;
	for (size_t i = 0; i < CHUNK_SLOTS; i++)
		ot__spin_lock(&slot_at(first + i)->lock);
	/* The locks read as zero, unlocked, afterwards: unlocking them here
	 * would only write the pages back in. */
	madvise(slot_at(first), CHUNK_SLOTS * SLOT, MADV_DONTNEED);
	ot__locks_held -= CHUNK_SLOTS;
	table.chunk_resident[c] = 0;
	table.resident--;
}

/* Returns slot idx to the free FIFO; caller holds table.lock. */
static void slot_free(size_t idx)
{
	size_t tail = table.free_head + table.free_count;
	if (tail >= table.capacity) /* no division on the way */
		tail -= table.capacity;
	table.free_ring[tail] = (uint32_t)idx;
	table.free_count++;
	table.used--;
	size_t c = idx / CHUNK_SLOTS;
	if (--table.chunk_used[c] == 0 && c >= KEEP_CHUNKS &&
	    table.chunk_resident[c] && too_much_resident())
		chunk_release(c);
}

/* Takes a free slot into *idx by the reuse rule; false when there is
 * none. Caller holds table.lock. */
static bool slot_take(size_t *idx)
{
	if (table.hwm < table.capacity &&
	    (table.free_count < REUSE_DELAY || table.hwm < REUSE_DELAY)) {
		*idx = table.hwm++;
	} else if (table.free_count) {
		*idx = table.free_ring[table.free_head];
		if (++table.free_head == table.capacity)
			table.free_head = 0;
		table.free_count--;
	} else {
		return false;
	}
	table.used++;
	size_t c = *idx / CHUNK_SLOTS;
	table.chunk_used[c]++;
	if (!table.chunk_resident[c]) {
		table.chunk_resident[c] = 1;
		table.resident++;
	}
	return true;
}

/* A free slot for a process spawned by the calling thread; false when the
 * table is full. */
static bool slot_get(size_t *idx)
{
	struct ot__sched *s = ot__sched_self();
	bool got = true;
	if (!s) {
		ot__spin_lock(&table.lock);
		got = slot_take(idx);
		ot__spin_unlock(&table.lock);
		return got;
	}
	if (s->slots_take_at == s->slots_take_n) {
		unsigned n = 0;
		size_t i;
		ot__spin_lock(&table.lock);
		while (n < OT__SLOT_BATCH && slot_take(&i))
			s->slots_take[n++] = (uint32_t)i;
		ot__spin_unlock(&table.lock);
		s->slots_take_at = 0;
		s->slots_take_n = n;
		if (!n)
			return false;
	}
	*idx = s->slots_take[s->slots_take_at++];
	return true;
}

/* Gives back the slot of a process that has gone (or never was). */
static void slot_put(size_t idx)
{
	struct ot__sched *s = ot__sched_self();
	if (!s) {
		ot__spin_lock(&table.lock);
		slot_free(idx);
		ot__spin_unlock(&table.lock);
		return;
	}
	s->slots_freed[s->slots_freed_n++] = (uint32_t)idx;
	if (s->slots_freed_n < OT__SLOT_BATCH)
		return;
	ot__spin_lock(&table.lock);
	for (unsigned i = 0; i < s->slots_freed_n; i++)
		slot_free(s->slots_freed[i]);
	ot__spin_unlock(&table.lock);
	s->slots_freed_n = 0;
}

void ot__table_sched_fini(struct ot__sched *s)
{
	ot__spin_lock(&table.lock);
	for (unsigned i = 0; i < s->slots_freed_n; i++)
		slot_free(s->slots_freed[i]);
	/* Taken and never given a process: they go back as they were (their
	 * generation unchanged). */
	for (unsigned i = s->slots_take_at; i < s->slots_take_n; i++)
		slot_free(s->slots_take[i]);
	ot__spin_unlock(&table.lock);
	s->slots_freed_n = s->slots_take_at = s->slots_take_n = 0;
}

struct ot__proc *ot__proc_new(void)
{
	size_t alive =
	    atomic_fetch_add_explicit(&table.alive, 1, memory_order_relaxed);
	size_t idx;
	if (alive >= ot__rt.max_procs || !slot_get(&idx)) {
		atomic_fetch_sub_explicit(&table.alive, 1,
					  memory_order_relaxed);
		return NULL;
	}

	struct ot__proc *p = slot_at(idx);
	/* A lookup with a stale pid may hold p->lock right now: keep the lock
	 * and pid_id, reset the rest under the lock. state stays DEAD until
	 * ot__table_insert() gives p its new pid, so such a reader bails. */
	ot__spin_lock(&p->lock);
	memset((char *)p + offsetof(struct ot__proc, state), 0,
	       sizeof *p - offsetof(struct ot__proc, state));
	atomic_store_explicit(&p->state, OT__P_DEAD, memory_order_relaxed);
	ot__mailbox_init(p);
	ot__spin_unlock(&p->lock);
	return p;
}

void ot__proc_discard(struct ot__proc *p)
{
	ot__proc_release(p);
	atomic_fetch_sub_explicit(&table.alive, 1, memory_order_relaxed);
	slot_put(index_of(p));
}

int ot__table_insert(struct ot__proc *p, enum ot__pstate state)
{
	size_t idx = index_of(p);
	/* The slot is the caller's alone (it came through the table lock,
	 * which orders this after the last writer of its generation). */
	if (++table.gen[idx] == 0)
		table.gen[idx] = 1;
	uint64_t id = ((uint64_t)table.gen[idx] << 32) | (uint64_t)(idx + 1);
	/* Under p->lock: a stale reader sees the old pid (and DEAD) or the
	 * new pid, never the old pid with a live state. release: publishes
	 * p's initialised fields to lock-free lookups. */
	ot__spin_lock(&p->lock);
	atomic_store_explicit(&p->state, state, memory_order_relaxed);
	atomic_store_explicit(&p->pid_id, id, memory_order_release);
	ot__spin_unlock(&p->lock);
	return 0;
}

void ot__table_note_ended(void)
{
	atomic_fetch_sub_explicit(&table.alive, 1, memory_order_relaxed);
}

void ot__table_remove(struct ot__proc *p)
{
	/* p is DEAD (set under its lock, which a lookup takes before it
	 * answers): a noproc answer happens after all the process did. */
	ot__proc_release(p);
	slot_put(index_of(p));
}

struct ot__proc *ot__table_lookup(ot_pid pid)
{
	size_t idx = (size_t)(pid.id & 0xffffffffu) - 1;
	if (idx >= table.capacity)
		return NULL;
	struct ot__proc *p = slot_at(idx);
	/* acquire: pairs with the release in ot__table_insert(). */
	if (atomic_load_explicit(&p->pid_id, memory_order_acquire) != pid.id)
		return NULL;
	return p;
}

struct ot__proc *ot__table_slot(uint32_t slot)
{
	size_t idx = (size_t)slot - 1;
	if (slot == 0 || idx >= table.capacity)
		return NULL;
	return slot_at(idx);
}

bool ot__proc_lock_alive(struct ot__proc *p, ot_pid pid)
{
	ot__spin_lock(&p->lock);
	if (atomic_load_explicit(&p->pid_id, memory_order_relaxed) == pid.id &&
	    atomic_load_explicit(&p->state, memory_order_relaxed) != OT__P_DEAD)
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
		struct ot__proc *p = slot_at(i);
		if (atomic_load_explicit(&p->pid_id, memory_order_acquire) &&
		    atomic_load_explicit(&p->state, memory_order_relaxed) !=
			OT__P_DEAD)
			fn(p, arg);
	}
}

bool ot__is_alive(ot_pid pid)
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
	if (ot_pid_is_remote(pid))
		return ot__remote_format(pid, buf, size);
	return snprintf(buf, size, "<0.%u.%u>",
			(unsigned)(pid.id & 0xffffffffu),
			(unsigned)(pid.id >> 32));
}

/*
 * The walk of ot_processes(): no lock but the table's, for a moment, to
 * read how far slots have been used. A slot's pid and state are read as
 * lookups read them; a chunk whose pages went back reads as zeros, which
 * is no pid. So listing a million processes stops no one.
 */
int ot__processes(ot_pid after, ot_pid *out, size_t cap, size_t *n)
{
	if (!n)
		return OT_EINVAL;
	*n = 0;
	if ((cap && !out) ||
	    (after.id != OT_PID_NONE.id && !ot__pid_well_formed(after)))
		return OT_EINVAL;
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	/* Slot i holds pids whose low half is i + 1. */
	size_t from = (size_t)(after.id & 0xffffffffu);
	ot__spin_lock(&table.lock);
	size_t hwm = table.hwm;
	ot__spin_unlock(&table.lock);
	size_t got = 0;
	for (size_t i = from; i < hwm && got < cap; i++) {
		struct ot__proc *p = slot_at(i);
		uint64_t id =
		    atomic_load_explicit(&p->pid_id, memory_order_acquire);
		if (id && atomic_load_explicit(
			      &p->state, memory_order_relaxed) != OT__P_DEAD)
			out[got++] = (ot_pid){id};
	}
	*n = got;
	return 0;
}
