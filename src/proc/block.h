/* SPDX-License-Identifier: MIT */
/*
 * block.h — memory blocks in size classes, with per-scheduler caches
 * (block.c). Included by scheduler.h: struct ot__sched holds the caches.
 */
#ifndef OTTER_PROC_BLOCK_H
#define OTTER_PROC_BLOCK_H

#include <stddef.h>
#include <stdint.h>

struct ot__sched;

/* Blocks (block.c): messages, link and monitor records. Blocks of up to
 * OT__BLOCK_MAX bytes come in size classes, and each scheduler keeps a
 * cache of free ones of each class, so that the message path does not go
 * through malloc; larger ones are malloc'd (OT__BLOCK_MALLOC). */
#define OT__BLOCK_CLASSES 7
#define OT__BLOCK_MAX	  256
#define OT__BLOCK_MALLOC  7 /* fits ot_msg.block_class */
/* Free blocks a scheduler keeps of each class: seven classes of 256 hold
 * about as much memory (237 KB at most) as two classes of 1024 did. */
#define OT__BLOCK_CACHE_MAX 1024
/* A block of at least n bytes; *cls gets its class (or OT__BLOCK_MALLOC),
 * which ot__block_free_class() needs back. NULL when out of memory. Any
 * thread may free it. */
void *ot__block_alloc_size(size_t n, uint8_t *cls);
void ot__block_free_class(void *block, uint8_t cls);
/* Blocks of OT__BLOCK_SIZE bytes (monitor records) and of
 * OT__SMALL_BLOCK_SIZE bytes (link and watch records). */
#define OT__BLOCK_SIZE	     128
#define OT__SMALL_BLOCK_SIZE 64
void *ot__block_alloc(void);
void ot__block_free(void *block);
void *ot__small_alloc(void);
void ot__small_free(void *block);
/* Frees the block cache of a scheduler (at shutdown). */
void ot__block_cache_fini(struct ot__sched *s);
/* Bytes of free blocks the schedulers' caches hold (ot_runtime_stats()). */
size_t ot__block_cache_bytes(void);

#endif /* OTTER_PROC_BLOCK_H */
