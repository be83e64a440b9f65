/* SPDX-License-Identifier: MIT */
/*
 * index.c — finding a child in O(1) whatever the number of children: by
 * pid (every EXIT, terminate_child_pid, which_child_pid) and by id (every
 * call naming a static child, and the duplicate check of a spec).
 *
 * Each index is a chained hash table whose links live in struct child
 * (intrusive: no allocation per child, so adding a child to an index never
 * fails). The table doubles when it holds as many entries as it has
 * buckets and halves when it is mostly empty, so that stopping a hundred
 * thousand children gives their memory back; a table that cannot grow
 * for want of memory keeps working with longer chains. Only the
 * supervisor's own process touches them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sup.h"

#define MIN_BUCKETS (sizeof(((struct itable *)0)->small) / sizeof(void *))

/* splitmix64's finaliser: pids differ in a few low and high bits only. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* FNV-1a, then mixed: ids are short strings ("c1", "c2", ...). */
static uint64_t hash_id(const char *id)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	return mix(h);
}

static uint64_t hash_pid(ot_pid pid)
{
	return mix(pid.id);
}

void ot__itable_init(struct itable *t)
{
	memset(t->small, 0, sizeof t->small);
	t->b = t->small;
	t->cap = MIN_BUCKETS;
	t->n = 0;
}

void ot__itable_fini(struct itable *t)
{
	if (t->b != t->small)
		free(t->b);
	ot__itable_init(t);
}

static void link_in(struct ilink **b, size_t cap, struct ilink *l)
{
	struct ilink **head = &b[(size_t)l->hash & (cap - 1)];
	l->next = *head;
	if (l->next)
		l->next->pprev = &l->next;
	*head = l;
	l->pprev = head;
}

/* Moves every entry into cap buckets (a power of two), in one pass; false
 * (nothing changed) without memory. */
static bool rehash(struct itable *t, size_t cap)
{
	struct ilink *small[MIN_BUCKETS] = {NULL};
	struct ilink **nb =
	    cap == MIN_BUCKETS ? small : calloc(cap, sizeof *nb);
	if (!nb)
		return false;
	for (size_t i = 0; i < t->cap; i++) {
		struct ilink *l = t->b[i], *next;
		for (; l; l = next) {
			next = l->next;
			link_in(nb, cap, l);
		}
	}
	if (t->b != t->small)
		free(t->b);
	if (nb == small) { /* back to the inline buckets: move the heads */
		memcpy(t->small, small, sizeof small);
		for (size_t i = 0; i < MIN_BUCKETS; i++)
			if (t->small[i])
				t->small[i]->pprev = &t->small[i];
		nb = t->small;
	}
	t->b = nb;
	t->cap = cap;
	return true;
}

static void insert(struct itable *t, struct ilink *l, uint64_t hash)
{
	if (t->n >= t->cap && t->cap <= SIZE_MAX / 2 / sizeof(void *))
		(void)rehash(t, t->cap * 2); /* no memory: longer chains */
	l->hash = hash;
	link_in(t->b, t->cap, l);
	t->n++;
}

static void remove_link(struct itable *t, struct ilink *l)
{
	*l->pprev = l->next;
	if (l->next)
		l->next->pprev = l->pprev;
	l->next = NULL;
	l->pprev = NULL;
	t->n--;
	if (t->cap > MIN_BUCKETS && t->n < t->cap / 8)
		(void)rehash(t, t->cap / 4 > MIN_BUCKETS ? t->cap / 4
							 : MIN_BUCKETS);
}

#define CHILD_OF(l, field)                                                     \
	((struct child *)((char *)(l)-offsetof(struct child, field)))

/* ---------------------------------------------------------------------
 * By pid: every child that has a pid (running, or waiting for its
 * restart under the pid it had: pids are never reused).
 */

void ot__index_pid_add(struct sup *s, struct child *c)
{
	insert(&s->by_pid, &c->pid_link, hash_pid(c->pid));
}

void ot__index_pid_remove(struct sup *s, struct child *c)
{
	remove_link(&s->by_pid, &c->pid_link);
}

struct child *ot__child_by_pid(struct sup *s, ot_pid pid)
{
	if (ot_pid_is_none(pid))
		return NULL;
	uint64_t h = hash_pid(pid);
	struct ilink *l = s->by_pid.b[(size_t)h & (s->by_pid.cap - 1)];
	for (; l; l = l->next) {
		struct child *c = CHILD_OF(l, pid_link);
		if (l->hash == h && ot_pid_equal(c->pid, pid))
			return c;
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * By id: the static children (a dynamic supervisor's ids are unused and
 * may repeat).
 */

void ot__index_id_add(struct sup *s, struct child *c)
{
	insert(&s->by_id, &c->id_link, hash_id(c->spec->id));
}

void ot__index_id_remove(struct sup *s, struct child *c)
{
	remove_link(&s->by_id, &c->id_link);
}

struct child *ot__child_by_id(struct sup *s, const char *id)
{
	uint64_t h = hash_id(id);
	struct ilink *l = s->by_id.b[(size_t)h & (s->by_id.cap - 1)];
	for (; l; l = l->next) {
		struct child *c = CHILD_OF(l, id_link);
		if (l->hash == h && !strcmp(c->spec->id, id))
			return c;
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * The duplicate check of a spec's ids, in one pass.
 */

struct id_entry {
	struct ilink link;
	const char *id;
};

/* The index of the first child whose id an earlier child has, or n.
 * Without memory for the table, pairs are compared (slow, still right). */
size_t ot__first_duplicate_id(const ot_child_spec *children, size_t n)
{
	struct id_entry *e = n ? calloc(n, sizeof *e) : NULL;
	if (!e) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (!strcmp(children[i].id, children[j].id))
					return i;
		return n;
	}
	struct itable t;
	ot__itable_init(&t);
	size_t dup = n;
	for (size_t i = 0; i < n && dup == n; i++) {
		uint64_t h = hash_id(children[i].id);
		struct ilink *l = t.b[(size_t)h & (t.cap - 1)];
		for (; l; l = l->next) {
			struct id_entry *x = (struct id_entry *)l;
			if (l->hash == h && !strcmp(x->id, children[i].id)) {
				dup = i;
				break;
			}
		}
		e[i].id = children[i].id;
		insert(&t, &e[i].link, h);
	}
	ot__itable_fini(&t);
	free(e);
	return dup;
}
