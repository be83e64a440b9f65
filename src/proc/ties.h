/* SPDX-License-Identifier: MIT */
/*
 * ties.h — the records of links and monitors (private): what signal.c
 * keeps in a process's sets, and what the files beside it that read or
 * change those sets need (remote_ties.c for other nodes' processes,
 * ties_info.c for what an observer sees). Each file gets its own static
 * copy of the tree functions, so that the hot ones stay local to
 * signal.c.
 */
#ifndef OTTER_PROC_TIES_H
#define OTTER_PROC_TIES_H

#include <bsd/sys/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include <otter/proc.h>

#include "block.h"
#include "mailbox.h"
#include "process.h"

struct ot__link {
	RB_ENTRY(ot__link) node;
	uint64_t peer; /* pid id */
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

static inline int cmp_link(const struct ot__link *a, const struct ot__link *b)
{
	return a->peer < b->peer ? -1 : a->peer > b->peer;
}

static inline int cmp_mon(const struct ot__mon *a, const struct ot__mon *b)
{
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

static inline int cmp_watch(const struct ot__watch *a,
			    const struct ot__watch *b)
{
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

RB_GENERATE_INTERNAL(ot__links, ot__link, node, cmp_link,
		     static __attribute__((unused)))
RB_GENERATE_INTERNAL(ot__mons, ot__mon, node, cmp_mon,
		     static __attribute__((unused)))
RB_GENERATE_INTERNAL(ot__watches, ot__watch, node, cmp_watch,
		     static __attribute__((unused)))

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
