/* SPDX-License-Identifier: MIT */
/*
 * orphans.c — freeing what a dead process could not free itself.
 *
 * Erlang gives a process's heap back when it dies. otter cannot know what
 * a process malloc'd: a gen_server frees its state in terminate, and
 * terminate runs after a stop, an EXIT from the parent (when it traps
 * exits) and most crashes, but not after a stack overflow and not after a
 * kill. So the bucket and the registry put their state in this table while
 * they live and take it out in terminate; what is still here once its
 * process has ended was orphaned, and kv_orphan_reap() frees it.
 *
 * A state is touched by its process only; the table is touched by all, so
 * it has a lock. A dead process runs no more code, so freeing its state
 * races with nothing.
 */
#include "config.h"

#include <bsd/sys/tree.h>
#include <pthread.h>
#include <stdlib.h>

#include "kv.h"

struct orphan {
	RB_ENTRY(orphan) node;
	ot_pid owner; /* the process whose state this is */
	void *state;
	void (*free_fn)(void *state);
	struct orphan *next_dead; /* kv_orphan_reap()'s list */
};

static int orphan_cmp(const struct orphan *a, const struct orphan *b)
{
	return a->owner.id < b->owner.id ? -1 : a->owner.id > b->owner.id;
}

RB_HEAD(orphan_tree, orphan);
RB_GENERATE_INTERNAL(orphan_tree, orphan, node, orphan_cmp,
		     static __attribute__((unused)))

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct orphan_tree tracked = RB_INITIALIZER(&tracked);

int kv_orphan_track(ot_pid owner, void *state, void (*free_fn)(void *))
{
	struct orphan *o = malloc(sizeof(*o));
	if (!o)
		return OT_ENOMEM;
	*o =
	    (struct orphan){.owner = owner, .state = state, .free_fn = free_fn};
	pthread_mutex_lock(&lock);
	RB_INSERT(orphan_tree, &tracked, o);
	pthread_mutex_unlock(&lock);
	return 0;
}

void kv_orphan_untrack(ot_pid owner)
{
	struct orphan key = {.owner = owner};
	pthread_mutex_lock(&lock);
	struct orphan *o = RB_FIND(orphan_tree, &tracked, &key);
	if (o)
		RB_REMOVE(orphan_tree, &tracked, o);
	pthread_mutex_unlock(&lock);
	free(o);
}

size_t kv_orphan_reap(void)
{
	struct orphan *o, *next, *dead = NULL;
	size_t n = 0;

	/* Take the dead out under the lock, free them after it. */
	pthread_mutex_lock(&lock);
	RB_FOREACH_SAFE(o, orphan_tree, &tracked, next) {
		if (ot_is_alive(o->owner))
			continue;
		RB_REMOVE(orphan_tree, &tracked, o);
		o->next_dead = dead;
		dead = o;
	}
	pthread_mutex_unlock(&lock);
	while (dead) {
		o = dead;
		dead = o->next_dead;
		o->free_fn(o->state);
		free(o);
		n++;
	}
	return n;
}
