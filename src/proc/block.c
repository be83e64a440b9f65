/* SPDX-License-Identifier: MIT */
/*
 * block.c — the small blocks that messages, links and monitors are made
 * of, and each scheduler's cache of free ones, so that the message path of
 * processes does not go through malloc.
 *
 * Blocks come in size classes, so that a message takes a block the size of
 * its header and payload (112 bytes for 64 of payload), not one the size
 * of the largest small message. A block may be freed on another scheduler
 * than the one that allocated it; caches only hold memory, up to
 * OT__BLOCK_CACHE_MAX blocks a class, and the rest goes back to malloc.
 */
#include "config.h"

#include <stdlib.h>

#include "block.h"
#include "runtime.h"
#include "scheduler.h"

static const size_t block_sizes[OT__BLOCK_CLASSES] = {
    64, 80, 96, 112, 128, 192, OT__BLOCK_MAX};

/* The class of a block of n bytes, by n's 16-byte step: one load on the
 * path of every message (block_sizes says where the steps go). */
static const uint8_t class_by_step[OT__BLOCK_MAX / 16] = {
    0, 0, 0, 0, 1, 2, 3, 4, 5, 5, 5, 5, 6, 6, 6, 6};

static inline int class_of(size_t n)
{
	if (n > OT__BLOCK_MAX)
		return -1;
	return n ? class_by_step[(n - 1) / 16] : 0;
}

/* A count only its scheduler writes: a relaxed load and store, as cheap
 * as a plain one, so that ot_runtime_stats() may read it from anywhere. */
static inline void bump(_Atomic unsigned *n, int by)
{
	atomic_store_explicit(
	    n, atomic_load_explicit(n, memory_order_relaxed) + (unsigned)by,
	    memory_order_relaxed);
}

static inline void *class_alloc(int c)
{
	struct ot__sched *s = ot__sched_self();
	void *b;
	if (s && (b = s->block_cache[c])) {
		s->block_cache[c] = *(void **)b;
		bump(&s->blocks_cached[c], -1);
		return b;
	}
	return malloc(block_sizes[c]);
}

static inline void class_free(int c, void *b)
{
	struct ot__sched *s;
	if (b && (s = ot__sched_self()) &&
	    atomic_load_explicit(&s->blocks_cached[c], memory_order_relaxed) <
		OT__BLOCK_CACHE_MAX) {
		*(void **)b = s->block_cache[c];
		s->block_cache[c] = b;
		bump(&s->blocks_cached[c], 1);
		return;
	}
	free(b);
}

void *ot__block_alloc_size(size_t n, uint8_t *cls)
{
	int c = class_of(n);
	*cls = c < 0 ? OT__BLOCK_MALLOC : (uint8_t)c;
	return c < 0 ? malloc(n) : class_alloc(c);
}

void ot__block_free_class(void *b, uint8_t cls)
{
	if (cls == OT__BLOCK_MALLOC)
		free(b);
	else
		class_free(cls, b);
}

void *ot__block_alloc(void)
{
	return class_alloc(class_of(OT__BLOCK_SIZE));
}

void ot__block_free(void *b)
{
	class_free(class_of(OT__BLOCK_SIZE), b);
}

void *ot__small_alloc(void)
{
	return class_alloc(class_of(OT__SMALL_BLOCK_SIZE));
}

void ot__small_free(void *b)
{
	class_free(class_of(OT__SMALL_BLOCK_SIZE), b);
}

void ot__block_cache_fini(struct ot__sched *s)
{
	for (int c = 0; c < OT__BLOCK_CLASSES; c++) {
		void *b;
		while ((b = s->block_cache[c])) {
			s->block_cache[c] = *(void **)b;
			free(b);
		}
		atomic_store_explicit(&s->blocks_cached[c], 0,
				      memory_order_relaxed);
	}
}

size_t ot__block_cache_bytes(void)
{
	size_t bytes = 0;
	for (unsigned i = 0; i < ot__rt.nsched; i++)
		for (int c = 0; c < OT__BLOCK_CLASSES; c++)
			bytes += (size_t)atomic_load_explicit(
				     &ot__rt.scheds[i].blocks_cached[c],
				     memory_order_relaxed) *
				 block_sizes[c];
	return bytes;
}
