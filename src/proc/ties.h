/* SPDX-License-Identifier: MIT */
/*
 * ties.h — the records of links and monitors (private): what signal.c
 * keeps in a process's sets, and what the files beside it that read or
 * change those sets need (remote_ties.c for other nodes' processes,
 * ties_info.c for what an observer sees). Links are a chain while few,
 * else a hash table of chains by peer; monitors a tree. Each file gets
 * its own static copy of these functions, so that the hot ones stay local
 * to signal.c.
 */
#ifndef OTTER_PROC_TIES_H
#define OTTER_PROC_TIES_H

#include <bsd/sys/tree.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <otter/proc.h>

#include "block.h"
#include "mailbox.h"
#include "process.h"

struct ot__link {
	struct ot__link *next; /* in its chain */
	uint64_t peer;	       /* pid id */
	/* The peer ended: its EXIT signal, in the owner's inbox until the
	 * owner takes it (the record goes then). ot_unlink() drops it from
	 * there at once, with no search of the inbox. Under the owner's
	 * lock. */
	struct ot_msg *exit;
};

struct ot__mon {
	RB_ENTRY(ot__mon) node;
	uint64_t ref;
	ot_pid watcher;
	char name[OT_NAME_MAX + 1]; /* monitored by name, else "" */
};

struct ot__watch {
	RB_ENTRY(ot__watch) node;
	uint64_t ref;
	ot_pid target;
	uint8_t alias_mode; /* enum ot_alias_mode; 0: the ref is no alias */
};

static inline int cmp_mon(const struct ot__mon *a, const struct ot__mon *b)
{
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

static inline int cmp_watch(const struct ot__watch *a,
			    const struct ot__watch *b)
{
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

RB_GENERATE_INTERNAL(ot__mons, ot__mon, node, cmp_mon,
		     static __attribute__((unused)))
RB_GENERATE_INTERNAL(ot__watches, ot__watch, node, cmp_watch,
		     static __attribute__((unused)))

/*
 * A process's links (struct ot__links, process.h): a set of records by
 * peer, under the owner's lock. A process has few links, or one to its
 * parent (OT_SPAWN_LINK), or very many (a parent of a batch of children, a
 * supervisor): up to LINKS_LIST_MAX they are a plain chain, beyond that a
 * hash table of chains by peer, doubled as it fills (and cut to a quarter
 * as it empties, down to LINKS_TAB_KEEP chains; freed with the process's
 * last links as it ends). Adding, finding and taking
 * out a record cost the same with a million links as with one (a tree
 * paid ~20 levels and its rotations). The table is allocated under the
 * lock: when that fails the chains are only longer, never wrong.
 */
#define LINKS_LIST_MAX 8
#define LINKS_TAB_MIN  16
/* A table this size or smaller (8 KiB) stays until its process ends: a
 * parent of batch after batch of linked children (each batch's links all
 * come and go) would otherwise rebuild it twice a batch, each time a
 * large malloc (and malloc_consolidate) under its lock. */
#define LINKS_TAB_KEEP 1024
struct ot__linktab {
	uint32_t mask; /* buckets - 1 */
	uint32_t n;    /* records */
	struct ot__link *b[];
};

static inline struct ot__linktab *links_tab(const struct ot__links *s)
{
	return (s->bits & 1) ? (struct ot__linktab *)(s->bits & ~(uintptr_t)1)
			     : NULL;
}

static inline uint32_t links_hash(uint64_t peer)
{
	return (uint32_t)((peer * 0x9E3779B97F4A7C15ull) >> 32);
}

/* The chain peer's record is (or would be) in. */
static inline struct ot__link **links_chain(struct ot__links *s, uint64_t peer)
{
	struct ot__linktab *t = links_tab(s);
	return t ? &t->b[links_hash(peer) & t->mask] : &s->list;
}

static inline struct ot__link *links_find(struct ot__links *s, uint64_t peer)
{
	struct ot__link *l = *links_chain(s, peer);
	while (l && l->peer != peer)
		l = l->next;
	return l;
}

/* The table of s's records rebuilt with `buckets` chains (0: one plain
 * chain); s unchanged when out of memory. */
static inline void links_rebuild(struct ot__links *s, uint32_t buckets)
{
	struct ot__linktab *old = links_tab(s), *t = NULL;
	if (buckets) {
		t = malloc(sizeof *t + buckets * sizeof t->b[0]);
		if (!t)
			return;
		t->mask = buckets - 1;
		t->n = 0;
		memset(t->b, 0, buckets * sizeof t->b[0]);
	}
	struct ot__links fresh = {.list = NULL};
	if (t)
		fresh.bits = (uintptr_t)t | 1;
	uint32_t from = old ? old->mask + 1 : 1;
	for (uint32_t i = 0; i < from; i++) {
		struct ot__link *l = old ? old->b[i] : s->list, *next;
		for (; l; l = next) {
			next = l->next;
			struct ot__link **c = links_chain(&fresh, l->peer);
			l->next = *c;
			*c = l;
			if (t)
				t->n++;
		}
	}
	free(old);
	*s = fresh;
}

/* Adds l (whose peer is not in s yet). */
static inline void links_add(struct ot__links *s, struct ot__link *l)
{
	struct ot__link **c = links_chain(s, l->peer);
	l->next = *c;
	*c = l;
	struct ot__linktab *t = links_tab(s);
	if (t) {
		if (++t->n > 2 * (t->mask + 1))
			links_rebuild(s, 2 * (t->mask + 1));
		return;
	}
	unsigned n = 0;
	for (struct ot__link *k = s->list; k && n <= LINKS_LIST_MAX;
	     k = k->next)
		n++;
	if (n > LINKS_LIST_MAX)
		links_rebuild(s, LINKS_TAB_MIN);
}

/* Takes l, which is in s, out of it. */
static inline void links_remove(struct ot__links *s, struct ot__link *l)
{
	struct ot__link **c = links_chain(s, l->peer);
	while (*c != l)
		c = &(*c)->next;
	*c = l->next;
	struct ot__linktab *t = links_tab(s);
	if (!t)
		return;
	uint32_t buckets = t->mask + 1;
	if (--t->n < buckets / 16 && buckets > LINKS_TAB_KEEP)
		links_rebuild(s, buckets / 4);
}

/* All of s's records as one chain; s is empty afterwards. */
static inline struct ot__link *links_take_all(struct ot__links *s)
{
	links_rebuild(s, 0); /* allocates nothing: it cannot fail */
	struct ot__link *all = s->list;
	s->list = NULL;
	return all;
}

/* Visits each record l of s (which the body must not change). */
#define LINKS_FOREACH(l, s)                                                    \
	for (uint32_t links_i_ = 0,                                            \
		      links_n_ = links_tab(s) ? links_tab(s)->mask + 1 : 1;    \
	     links_i_ < links_n_; links_i_++)                                  \
		for (l = links_tab(s) ? links_tab(s)->b[links_i_] : (s)->list; \
		     l; l = l->next)

/* Link and monitor records are small blocks: a call monitors its server,
 * and a malloc/free pair per call would cost more than the message. */
_Static_assert(sizeof(struct ot__mon) <= OT__BLOCK_SIZE &&
		   sizeof(struct ot__watch) <= OT__SMALL_BLOCK_SIZE &&
		   sizeof(struct ot__link) <= OT__SMALL_BLOCK_SIZE,
	       "records fit in their blocks");

/* The DOWN of monitor ref of pid (name: monitored by name, or NULL) with
 * reason, as a signal (OT__M_DOWN) or a ready message (OT__M_MSG); NULL
 * when out of memory. */
struct ot_msg *ot__down_msg(enum ot__mkind kind, ot_ref ref, ot_pid pid,
			    const char *name, const ot_reason *reason);
/* Puts the EXIT signal m (from self, which ended) in peer's inbox if its
 * link to self is still there; m is consumed. */
void ot__exit_to_peer(ot_pid peer, ot_pid self, struct ot_msg *m);
/* Removes monitor ref (watcher's) from target's set; true if it was
 * there. A remote target's is the installed demonitor's to remove. */
bool ot__unmonitor(ot_pid watcher, ot_pid target, uint64_t ref);

/* Other nodes' processes (remote_ties.c): ot_link() of a remote pid, and
 * ot_monitor() / ot_monitor_alias() of one. */
int ot__link_remote(ot_pid pid);
int ot__monitor_remote(struct ot__proc *self, ot_pid pid, int alias_mode,
		       ot_ref *out);
/* ot_monitor_name() of "name@node" while a node runs (remote_ties.c): 1
 * when it is no such name, or node is this node's (then *full becomes
 * local, OT_NAME_MAX + 1 bytes, the name part): the caller goes on with
 * *full as a local name. ot_send_name()'s is in remote.h. */
int ot__monitor_name_remote(struct ot__proc *self, const char **full,
			    char *local, ot_ref *out);

#endif /* OTTER_PROC_TIES_H */
