/* SPDX-License-Identifier: MIT */
/*
 * stack.c — shared stacks (see stack.h for the model).
 *
 * Each size class has up to `shared` stacks, mapped the first time a
 * process is bound to them, each its own mapping with a wide PROT_NONE
 * guard below (8 MiB by default): an overflow, even by a frame much larger
 * than a page, faults in the guard and is a crash of that process. With a
 * few hundred stacks instead of one per process the guards cost address
 * space only, and vm.max_map_count no longer limits how many processes get
 * one: every process has a guard, at any count.
 *
 * Processes are bound round-robin, so that processes spawned one after the
 * other (a client and its server, the two ends of a ping-pong) sit on
 * different stacks and switch between each other without copying.
 *
 * Eviction copies [sp, top) of the owner — its live frames, the registers
 * its context switch pushed included — into a block of exactly that size;
 * restoring copies the block back to the same addresses and frees it. The
 * sanitizers and valgrind are told that the stack's contents changed under
 * them (its shadow memory is reset), which is why the check mode below
 * exists for what they cannot see: a pointer into a waiting process's
 * stack read by someone else.
 *
 * OTTER_STACK_CHECK=1 in the environment (read at ot_start) evicts every
 * process as soon as it waits and fills what it vacated with 0xdb bytes,
 * so that such a pointer reads garbage at once instead of now and then.
 */
#include "config.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef OT_VALGRIND
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif
#ifdef OT__ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "gate.h"
#include "lock.h"
#include "process.h"
#include "runtime.h"
#include "stack.h"

enum { STACK_FREE, STACK_BUSY, STACK_BUSY_WAITED };

struct ot__stack_pool {
	size_t size;			     /* usable bytes of each stack */
	_Atomic(struct ot__stack *) *stacks; /* `shared` slots, mapped lazily */
	SLIST_ENTRY(ot__stack_pool) link;    /* stacks.lock */
};

static struct {
	pthread_mutex_t lock; /* the pool list and mapping new stacks */
	size_t page, shared, guard;
	bool check; /* OTTER_STACK_CHECK */
	SLIST_HEAD(, ot__stack_pool) pools;
	struct ot__stack_pool *dflt;
	/* Statistics, relaxed: mapped stacks, bytes of frames saved off
	 * their stacks, and the most saved since the last trim (see
	 * ot__stack_memory_trim). */
	_Atomic size_t mapped, saved_bytes, saved_peak;
} stacks = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Below this peak of saved frames, trimming is not worth a call. */
#define TRIM_MIN ((size_t)16 << 20)

size_t ot__page_size(void)
{
	static size_t page;
	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

/* ---------------------------------------------------------------------
 * Telling the sanitizers and valgrind what changed
 */
/* Another process's frames are about to lie on st: the whole stack, not
 * only where they go, since the last owner may have been deeper. */
static void contents_replaced(struct ot__stack *st)
{
#ifdef OT__ASAN
	/* Frames that never returned (evicted, killed, crashed) left their
	 * redzones poisoned where other frames will lie. */
	ASAN_UNPOISON_MEMORY_REGION(st->lo, (size_t)(st->top - st->lo));
#endif
#ifdef OT_VALGRIND
	/* Below where the last process's stack pointer was, memcheck sees
	 * no-access memory: writing the next one's frames there is fine. */
	VALGRIND_MAKE_MEM_UNDEFINED(st->lo, (size_t)(st->top - st->lo));
#endif
	(void)st;
}

/* Copies frames off a stack: its redzones are poisoned while they are
 * live, and memcpy is checked by ASan. */
static void copy_off(void *dst, const char *sp, size_t len)
{
#ifdef OT__ASAN
	ASAN_UNPOISON_MEMORY_REGION(sp, len);
#endif
	memcpy(dst, sp, len);
}

/* The owner is written only by the stack's holder, and read racily by
 * ot__stacks_stats(): relaxed atomics, no ordering needed from them. */
static struct ot__proc *owner_of(const struct ot__stack *st)
{
	return atomic_load_explicit(&st->owner, memory_order_relaxed);
}

static void set_owner(struct ot__stack *st, struct ot__proc *p)
{
	atomic_store_explicit(&st->owner, p, memory_order_relaxed);
}

static void count(_Atomic size_t *c, ptrdiff_t n)
{
	atomic_fetch_add_explicit(c, (size_t)n, memory_order_relaxed);
}

/* ---------------------------------------------------------------------
 * Mapping
 */
static struct ot__stack *map_stack(size_t size)
{
	struct ot__stack *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	size_t len = stacks.guard + size;
	char *base = mmap(NULL, len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		free(st);
		return NULL;
	}
	if (mmap(base + stacks.guard, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK |
		     MAP_FIXED,
		 -1, 0) == MAP_FAILED) {
		munmap(base, len);
		free(st);
		return NULL;
	}
	st->lo = base + stacks.guard;
	st->size = size;
	st->guard = stacks.guard;
	/* 16-byte aligned, as the context switch needs. */
	st->top = (char *)((uintptr_t)(st->lo + size) & ~(uintptr_t)15);
	STAILQ_INIT(&st->waiters);
	atomic_init(&st->state, STACK_FREE);
#ifdef OT_VALGRIND
	st->vg_id = VALGRIND_STACK_REGISTER(st->lo, st->lo + size);
#endif
	count(&stacks.mapped, 1);
	return st;
}

static void unmap_stack(struct ot__stack *st)
{
	OT__ASSERT(!owner_of(st) && STAILQ_EMPTY(&st->waiters));
#ifdef OT_VALGRIND
	VALGRIND_STACK_DEREGISTER(st->vg_id);
#endif
	munmap(st->lo - st->guard, st->guard + st->size);
	count(&stacks.mapped, -1);
	free(st);
}

/* A new size class with its first stack; caller holds stacks.lock. */
static struct ot__stack_pool *pool_new(size_t size)
{
	struct ot__stack_pool *pool = calloc(1, sizeof *pool);
	if (!pool)
		return NULL;
	pool->size = size;
	pool->stacks = calloc(stacks.shared, sizeof *pool->stacks);
	struct ot__stack *first = pool->stacks ? map_stack(size) : NULL;
	if (!first) {
		free(pool->stacks);
		free(pool);
		return NULL;
	}
	/* Stack 0 always exists: a binding that cannot map its own stack
	 * falls back to it (ot__stack_enter never fails to bind). */
	atomic_init(&pool->stacks[0], first);
	SLIST_INSERT_HEAD(&stacks.pools, pool, link);
	return pool;
}

struct ot__stack_pool *ot__stack_pool_for(size_t size)
{
	struct ot__stack_pool *pool = stacks.dflt;
	if (pool && pool->size == size)
		return pool;
	ot__mutex_lock(&stacks.lock);
	SLIST_FOREACH(pool, &stacks.pools, link)
		if (pool->size == size)
			break;
	if (!pool)
		pool = pool_new(size);
	ot__mutex_unlock(&stacks.lock);
	return pool;
}

size_t ot__stack_pool_size(const struct ot__stack_pool *pool)
{
	return pool->size;
}

int ot__stacks_init(size_t default_size, size_t shared, size_t guard)
{
	size_t page = ot__page_size();
	stacks.page = page;
	stacks.shared = shared;
	stacks.guard = (guard + page - 1) & ~(page - 1);
	const char *check = getenv("OTTER_STACK_CHECK");
	stacks.check = check && check[0] && strcmp(check, "0") != 0;
	SLIST_INIT(&stacks.pools);
	atomic_store(&stacks.mapped, 0);
	atomic_store(&stacks.saved_bytes, 0);
	atomic_store(&stacks.saved_peak, 0);
	ot__mutex_lock(&stacks.lock);
	stacks.dflt = pool_new(default_size);
	ot__mutex_unlock(&stacks.lock);
	return stacks.dflt ? 0 : OT_ENOMEM;
}

void ot__stacks_fini(void)
{
	ot__mutex_lock(&stacks.lock);
	struct ot__stack_pool *pool;
	while ((pool = SLIST_FIRST(&stacks.pools))) {
		SLIST_REMOVE_HEAD(&stacks.pools, link);
		for (size_t i = 0; i < stacks.shared; i++) {
			struct ot__stack *st = atomic_load(&pool->stacks[i]);
			if (st)
				unmap_stack(st);
		}
		free(pool->stacks);
		free(pool);
	}
	stacks.dflt = NULL;
	ot__mutex_unlock(&stacks.lock);
}

/* ---------------------------------------------------------------------
 * Binding, taking and giving back
 */
static struct ot__stack *bind_to(struct ot__stack_pool *pool, size_t which)
{
	size_t i = which % stacks.shared;
	/* acquire: pairs with the release that published the stack. */
	struct ot__stack *st =
	    atomic_load_explicit(&pool->stacks[i], memory_order_acquire);
	if (OT__LIKELY(st))
		return st;
	ot__mutex_lock(&stacks.lock);
	st = atomic_load_explicit(&pool->stacks[i], memory_order_relaxed);
	if (!st && (st = map_stack(pool->size)))
		atomic_store_explicit(&pool->stacks[i], st,
				      memory_order_release);
	ot__mutex_unlock(&stacks.lock);
	return st ? st
		  : atomic_load_explicit(&pool->stacks[0],
					 memory_order_relaxed);
}

/* Takes st for p (true), or puts p among its waiters (false). */
static bool take(struct ot__stack *st, struct ot__proc *p)
{
	int seen = STACK_FREE;
	/* acquire: pairs with the release in give_back(): the frames and
	 * the owner's fields the last holder wrote are visible. */
	if (OT__LIKELY(atomic_compare_exchange_strong_explicit(
		&st->state, &seen, STACK_BUSY, memory_order_acquire,
		memory_order_relaxed)))
		return true;
	ot__spin_lock(&st->wlock);
	for (;;) {
		seen = atomic_load_explicit(&st->state, memory_order_relaxed);
		if (seen == STACK_FREE) {
			if (atomic_compare_exchange_strong_explicit(
				&st->state, &seen, STACK_BUSY,
				memory_order_acquire, memory_order_relaxed)) {
				ot__spin_unlock(&st->wlock);
				return true;
			}
		} else if (seen == STACK_BUSY_WAITED ||
			   atomic_compare_exchange_strong_explicit(
			       &st->state, &seen, STACK_BUSY_WAITED,
			       memory_order_relaxed, memory_order_relaxed)) {
			/* The holder's give_back() sees BUSY_WAITED and takes
			 * the waiters under wlock, which we hold. */
			STAILQ_INSERT_TAIL(&st->waiters, p, runq_link);
			ot__spin_unlock(&st->wlock);
			return false;
		}
	}
}

static struct ot__proc *give_back(struct ot__stack *st)
{
	/* release: pairs with the acquire in take(). */
	int was = atomic_exchange_explicit(&st->state, STACK_FREE,
					   memory_order_release);
	if (OT__LIKELY(was != STACK_BUSY_WAITED))
		return NULL;
	ot__spin_lock(&st->wlock);
	struct ot__proc *first = STAILQ_FIRST(&st->waiters);
	STAILQ_INIT(&st->waiters);
	ot__spin_unlock(&st->wlock);
	return first;
}

/* ---------------------------------------------------------------------
 * Moving frames; the caller holds st
 */
static bool evict(struct ot__stack *st)
{
	struct ot__proc *o = owner_of(st);
	char *sp = o->ctx.sp;
	OT__ASSERT(sp >= st->lo && sp <= st->top);
	size_t len = (size_t)(st->top - sp);
	void *block = malloc(len ? len : 1);
	if (!block)
		return false;
	copy_off(block, sp, len);
	o->frames = block;
	atomic_store_explicit(&o->frames_len, len, memory_order_relaxed);
	size_t saved = atomic_fetch_add_explicit(&stacks.saved_bytes, len,
						 memory_order_relaxed) +
		       len;
	if (saved >
	    atomic_load_explicit(&stacks.saved_peak, memory_order_relaxed))
		atomic_store_explicit(&stacks.saved_peak, saved,
				      memory_order_relaxed);
	set_owner(st, NULL);
	if (OT__UNLIKELY(stacks.check))
		memset(sp, 0xdb, len);
	return true;
}

static void restore(struct ot__stack *st, struct ot__proc *p)
{
	size_t len = atomic_load_explicit(&p->frames_len, memory_order_relaxed);
	char *sp = st->top - len;
	OT__ASSERT(sp == (char *)p->ctx.sp);
	memcpy(sp, p->frames, len);
	free(p->frames);
	p->frames = NULL;
	atomic_store_explicit(&p->frames_len, 0, memory_order_relaxed);
	count(&stacks.saved_bytes, -(ptrdiff_t)len);
}

enum ot__enter ot__stack_enter(struct ot__proc *p, size_t which)
{
	struct ot__stack *st = p->stack;
	if (OT__UNLIKELY(!st))
		st = p->stack = bind_to(p->pool, which);
	if (OT__UNLIKELY(!take(st, p)))
		return OT__ENTER_WAITS;
	if (OT__LIKELY(owner_of(st) == p)) {
		/* its frames are where it left them, so nothing is saved */
		OT__DEBUG_ASSERT(!p->frames);
		return OT__ENTERED;
	}
	if (owner_of(st) && !evict(st))
		return OT__ENTER_NOMEM; /* st is given back by leave */
	contents_replaced(st);
	OT__DEBUG_ASSERT(!owner_of(st));
	if (p->frames)
		restore(st, p);
	/* else its first run: its context is made on the empty stack */
	set_owner(st, p);
	return OT__ENTERED;
}

struct ot__proc *ot__stack_leave(struct ot__proc *p, bool ended)
{
	struct ot__stack *st = p->stack;
	if (owner_of(st) == p) {
		if (ended)
			set_owner(st, NULL);
		else if (OT__UNLIKELY(stacks.check))
			evict(st);
	}
	return give_back(st);
}

void ot__stack_forget(struct ot__proc *p)
{
	if (p->frames) {
		count(&stacks.saved_bytes,
		      -(ptrdiff_t)atomic_load_explicit(&p->frames_len,
						       memory_order_relaxed));
		free(p->frames);
		p->frames = NULL;
	}
}

void ot__stack_memory_trim(void)
{
	size_t now =
	    atomic_load_explicit(&stacks.saved_bytes, memory_order_relaxed);
	size_t peak =
	    atomic_load_explicit(&stacks.saved_peak, memory_order_relaxed);
	if (OT__LIKELY(peak < TRIM_MIN || now > peak / 4))
		return;
	/* One trimmer, and not again before the next burst. */
	if (atomic_compare_exchange_strong_explicit(&stacks.saved_peak, &peak,
						    now, memory_order_relaxed,
						    memory_order_relaxed))
		malloc_trim(0);
}

bool ot__stack_in_guard(const struct ot__proc *p, const void *addr)
{
	const struct ot__stack *st = p->stack;
	const char *a = addr;
	return st && a >= st->lo - st->guard && a < st->lo;
}

void ot__stacks_stats(ot_stats *out)
{
	size_t mapped =
	    atomic_load_explicit(&stacks.mapped, memory_order_relaxed);
	/* Counted here, not on the switch path: a snapshot of owners that
	 * only the stacks' holders write (a racy read, as stats are). */
	size_t in_use = 0;
	ot__mutex_lock(&stacks.lock);
	struct ot__stack_pool *pool;
	SLIST_FOREACH(pool, &stacks.pools, link) {
		for (size_t i = 0; i < stacks.shared; i++) {
			struct ot__stack *st = atomic_load_explicit(
			    &pool->stacks[i], memory_order_acquire);
			if (st && owner_of(st))
				in_use++;
		}
	}
	ot__mutex_unlock(&stacks.lock);
	out->stacks_in_use = in_use;
	out->stacks_pooled = mapped;
	out->stacks_guarded = mapped;
	out->stack_bytes_saved =
	    atomic_load_explicit(&stacks.saved_bytes, memory_order_relaxed);
}

int ot__stack_trim(void)
{
	struct ot__proc *self;
	int rc = ot__calling_process(&self);
	if (rc)
		return rc;
	struct ot__stack *st = self->stack;
	size_t page = stacks.page;
	/* Where the stack is now, less room for the calls that follow (the
	 * madvise itself, then the receive a hibernating server goes to).
	 * What lies below belongs to no one: the stack is shared, but only
	 * the process on it has frames on it. */
	char here;
	uintptr_t keep = ((uintptr_t)&here - 8 * 1024) & ~(page - 1);
	uintptr_t from = (uintptr_t)st->lo;
	if (keep > from)
		madvise((void *)from, keep - from, MADV_DONTNEED);
	return 0;
}
