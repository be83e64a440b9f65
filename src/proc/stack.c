/* SPDX-License-Identifier: MIT */
/*
 * stack.c — process stacks: mapped, guarded where the system allows, and
 * pooled, because mapping a stack costs more (~2.7 µs) than Erlang's whole
 * spawn while taking one from the pool costs nothing.
 *
 * Each guarded stack is its own mapping with a PROT_NONE page below it: an
 * overflow faults there. Guard pages split mappings, and the kernel allows
 * only vm.max_map_count of them (~65k), so only `guarded_max` stacks get
 * one. The others are carved side by side from slabs (one mapping for
 * SLAB_STACKS stacks), and start with a canary zone at their bottom that
 * the scheduler checks each time the process switches out: an overflow
 * into an unguarded neighbour is noticed then — after the fact, which is the weaker
 * guarantee of unguarded stacks (see ot_config.guarded_stacks). Guarded
 * stacks rely on their guard page alone and leave their bottom page
 * untouched (and not resident).
 *
 * A slab stack starts CANARY_ZONE bytes below a page boundary: its canary
 * zone is the end of the page that holds the top of the stack below it,
 * which that stack keeps resident anyway, so the canary costs no page of
 * its own (an idle process stays within one resident page).
 *
 * The pool keeps up to POOL_HOT stacks as they are; past that, a freed
 * guarded stack is unmapped and a freed slab stack gives its pages back
 * (MADV_DONTNEED), so a burst of processes does not pin its memory.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef OT_VALGRIND
#include <valgrind/valgrind.h>
#endif
#ifdef OT_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "runtime.h"

#define SLAB_STACKS 32
#define POOL_HOT 1024
/* The canary zone at the bottom of every stack: its top word is checked
 * (on unguarded stacks), the first a downward overflow reaches. */
#define CANARY_ZONE 512

struct slab {
	void *base;
	size_t len;
	SLIST_ENTRY(slab) link;
};

/* Free stacks of one size. */
struct size_pool {
	size_t size;
	SLIST_HEAD(, ot__stack) hot;  /* pages possibly resident */
	SLIST_HEAD(, ot__stack) cold; /* slab stacks with pages given back */
	size_t nhot;
	SLIST_ENTRY(size_pool) link;
};

static struct {
	pthread_mutex_t lock;
	size_t page;
	size_t guarded_max;
	SLIST_HEAD(, size_pool) pools; /* lock */
	SLIST_HEAD(, slab) slabs;      /* lock */
	size_t in_use, pooled, guarded; /* lock */
} stacks = {.lock = PTHREAD_MUTEX_INITIALIZER};

size_t ot__page_size(void)
{
	static size_t page;
	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

int ot__stacks_init(size_t default_size, size_t guarded_max)
{
	(void)default_size;
	stacks.page = ot__page_size();
	stacks.guarded_max = guarded_max;
	SLIST_INIT(&stacks.pools);
	SLIST_INIT(&stacks.slabs);
	stacks.in_use = stacks.pooled = stacks.guarded = 0;
	return 0;
}

static uint64_t *canary_of(const struct ot__stack *st)
{
	return (uint64_t *)st->lo + CANARY_ZONE / 8 - 1;
}

/* Only unguarded stacks get one: writing it costs a resident page at the
 * bottom of the stack, which a guarded stack does not need. */
static void canary_set(struct ot__stack *st)
{
	if (!st->guarded)
		*canary_of(st) = OT__CANARY;
}

const uint64_t *ot__stack_canary(const struct ot__stack *st)
{
	return st->guarded ? NULL : canary_of(st);
}

static void stack_register(struct ot__stack *st)
{
#ifdef OT_VALGRIND
	st->vg_id = VALGRIND_STACK_REGISTER(st->lo, (char *)st->lo + st->size);
#else
	(void)st;
#endif
}

static void stack_deregister(struct ot__stack *st)
{
#ifdef OT_VALGRIND
	VALGRIND_STACK_DEREGISTER(st->vg_id);
#else
	(void)st;
#endif
}

static struct size_pool *pool_for(size_t size)
{
	struct size_pool *sp;
	SLIST_FOREACH(sp, &stacks.pools, link)
		if (sp->size == size)
			return sp;
	sp = calloc(1, sizeof *sp);
	if (!sp)
		return NULL;
	sp->size = size;
	SLIST_INIT(&sp->hot);
	SLIST_INIT(&sp->cold);
	SLIST_INSERT_HEAD(&stacks.pools, sp, link);
	return sp;
}

static struct ot__stack *map_guarded(size_t size)
{
	size_t len = size + stacks.page;
	char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
			  -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	struct ot__stack *st = malloc(sizeof *st);
	if (!st || mprotect(base, stacks.page, PROT_NONE) != 0) {
		free(st);
		munmap(base, len);
		return NULL;
	}
	st->lo = base + stacks.page;
	st->size = size;
	st->guarded = true;
	stack_register(st);
	stacks.guarded++;
	return st;
}

/* Maps a slab of unguarded stacks into sp's cold list; false on failure. */
static bool map_slab(struct size_pool *sp)
{
	struct slab *sl = malloc(sizeof *sl);
	struct ot__stack *st[SLAB_STACKS];
	if (!sl)
		return false;
	/* One page more: the top of the last stack runs into it. */
	sl->len = sp->size * SLAB_STACKS + stacks.page;
	sl->base = mmap(NULL, sl->len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
			-1, 0);
	if (sl->base == MAP_FAILED) {
		free(sl);
		return false;
	}
	for (int i = 0; i < SLAB_STACKS; i++) {
		if (!(st[i] = malloc(sizeof *st[i]))) {
			while (i--)
				free(st[i]);
			munmap(sl->base, sl->len);
			free(sl);
			return false;
		}
	}
	for (int i = 0; i < SLAB_STACKS; i++) {
		st[i]->lo = (char *)sl->base + (size_t)i * sp->size +
			    stacks.page - CANARY_ZONE;
		st[i]->size = sp->size;
		st[i]->guarded = false;
		stack_register(st[i]);
		SLIST_INSERT_HEAD(&sp->cold, st[i], link);
	}
	stacks.pooled += SLAB_STACKS;
	SLIST_INSERT_HEAD(&stacks.slabs, sl, link);
	return true;
}

struct ot__stack *ot__stack_get(size_t size)
{
	struct ot__stack *st = NULL;
	ot__mutex_lock(&stacks.lock);
	struct size_pool *sp = pool_for(size);
	if (!sp)
		goto out;
	if ((st = SLIST_FIRST(&sp->hot))) {
		SLIST_REMOVE_HEAD(&sp->hot, link);
		sp->nhot--;
		stacks.pooled--;
	} else if (stacks.guarded < stacks.guarded_max &&
		   (st = map_guarded(size))) {
		/* fresh guarded stack */
	} else if ((st = SLIST_FIRST(&sp->cold)) || (map_slab(sp) &&
						     (st = SLIST_FIRST(&sp->cold)))) {
		SLIST_REMOVE_HEAD(&sp->cold, link);
		stacks.pooled--;
	}
	if (st)
		stacks.in_use++;
out:
	ot__mutex_unlock(&stacks.lock);
	if (st)
		canary_set(st);
	return st;
}

void ot__stack_put(struct ot__stack *st)
{
	if (!st)
		return;
#ifdef OT_ASAN
	/* A process that was killed or crashed left frames that never
	 * returned, and their poisoned redzones, behind. */
	ASAN_UNPOISON_MEMORY_REGION(st->lo, st->size);
#endif
	ot__mutex_lock(&stacks.lock);
	stacks.in_use--;
	struct size_pool *sp = pool_for(st->size);
	if (sp && sp->nhot < POOL_HOT) {
		SLIST_INSERT_HEAD(&sp->hot, st, link);
		sp->nhot++;
		stacks.pooled++;
	} else if (st->guarded) {
		stack_deregister(st);
		munmap((char *)st->lo - stacks.page, st->size + stacks.page);
		stacks.guarded--;
		free(st);
	} else {
		/* A slab stack stays mapped; its pages go back to the system,
		 * but for the two it shares with its neighbours (its top page
		 * holds the canary of the stack above). */
		uintptr_t page = stacks.page;
		uintptr_t from = ((uintptr_t)st->lo + page - 1) & ~(page - 1);
		uintptr_t to = ((uintptr_t)st->lo + st->size) & ~(page - 1);
		if (to > from)
			madvise((void *)from, to - from, MADV_DONTNEED);
		if (sp) {
			SLIST_INSERT_HEAD(&sp->cold, st, link);
			stacks.pooled++;
		} else {
			stack_deregister(st);
			free(st); /* the slab is unmapped at shutdown */
		}
	}
	ot__mutex_unlock(&stacks.lock);
}

static void free_list(struct ot__stack *st)
{
	while (st) {
		struct ot__stack *next = SLIST_NEXT(st, link);
		stack_deregister(st);
		if (st->guarded)
			munmap((char *)st->lo - stacks.page,
			       st->size + stacks.page);
		free(st);
		st = next;
	}
}

void ot__stacks_fini(void)
{
	ot__mutex_lock(&stacks.lock);
	OT_ASSERT(stacks.in_use == 0);
	struct size_pool *sp;
	while ((sp = SLIST_FIRST(&stacks.pools))) {
		SLIST_REMOVE_HEAD(&stacks.pools, link);
		free_list(SLIST_FIRST(&sp->hot));
		free_list(SLIST_FIRST(&sp->cold));
		free(sp);
	}
	struct slab *sl;
	while ((sl = SLIST_FIRST(&stacks.slabs))) {
		SLIST_REMOVE_HEAD(&stacks.slabs, link);
		munmap(sl->base, sl->len);
		free(sl);
	}
	stacks.pooled = stacks.guarded = 0;
	ot__mutex_unlock(&stacks.lock);
}

void ot__stacks_stats(ot_stats *out)
{
	ot__mutex_lock(&stacks.lock);
	out->stacks_in_use = stacks.in_use;
	out->stacks_pooled = stacks.pooled;
	out->stacks_guarded = stacks.guarded;
	ot__mutex_unlock(&stacks.lock);
}

int ot_stack_trim(void)
{
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	struct ot__sched *s = ot__sched_self();
	if (!s || !s->current)
		return OT_ENOTPROC;
	struct ot__stack *st = s->current->stack;
	size_t page = ot__page_size();
	/* Where the stack is now, less room for the calls that follow (the
	 * madvise itself, then the receive a hibernating server goes to). */
	char here;
	uintptr_t keep = ((uintptr_t)&here - 8 * 1024) & ~(page - 1);
	/* From the first page wholly this stack's: an unguarded stack's
	 * canary lies in the page below, its neighbour's. */
	uintptr_t from = ((uintptr_t)st->lo + page - 1) & ~(page - 1);
	if (keep > from)
		madvise((void *)from, keep - from, MADV_DONTNEED);
	return 0;
}
