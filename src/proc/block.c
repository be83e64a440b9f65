/* SPDX-License-Identifier: MIT */
/*
 * block.c — the small blocks that messages, links and monitors are made
 * of, and each scheduler's cache of free ones, so that the message path of
 * processes does not go through malloc.
 */
#include "config.h"

#include <stdlib.h>

#include "runtime.h"

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
