/* SPDX-License-Identifier: MIT */
/*
 * rpids.c — pids of other nodes as ot_pids (otter/base.h's
 * OT_PID_REMOTE_BIT). An Erlang pid {node, num, serial, creation} is
 * interned in a table: the first time the node sees it, it gets the next
 * index, and the same pid gives the same ot_pid for as long as the node
 * runs, so ot_pid_equal() works on them and they can sit in link sets.
 *
 *   ot_pid = epoch << 32 | OT_PID_REMOTE_BIT | (index + 1)
 *
 * epoch counts ot_node_start()s (never 0): a remote pid kept past
 * ot_node_stop() names nothing of the next node (ENOTCONN). The node
 * names are interned too, numbered from 1: the N of <N.Num.Serial>.
 * Entries are never dropped while the node runs (an ot_pid is a value
 * the program may keep for ever): the table grows with the distinct
 * remote pids the node has seen, 80-odd bytes each.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define MAX_ENTRIES ((size_t)1 << 30)

struct rpid {
	erlang_pid pid;
	uint32_t node; /* index in rp.nodes */
};

static struct {
	pthread_mutex_t lock;
	uint32_t epoch;
	struct rpid *v;
	size_t n, cap;
	uint32_t *hash; /* open addressing: entry index + 1, 0 empty */
	size_t hcap;	/* a power of two, at least 2 * cap */
	char (*nodes)[MAXATOMLEN_UTF8];
	size_t nn, ncap;
} rp = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t hash_of(const erlang_pid *p)
{
	uint64_t h = 1469598103934665603u;
	for (const char *s = p->node; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	h ^= ((uint64_t)p->num << 32) ^ p->serial ^
	     ((uint64_t)p->creation << 17);
	return h * 0x9e3779b97f4a7c15u;
}

static bool same(const erlang_pid *a, const erlang_pid *b)
{
	return a->num == b->num && a->serial == b->serial &&
	       a->creation == b->creation && strcmp(a->node, b->node) == 0;
}

/* Under rp.lock: the slot of p in the hash, or of the empty place for it. */
static size_t slot_of(const erlang_pid *p)
{
	size_t i = (size_t)hash_of(p) & (rp.hcap - 1);
	while (rp.hash[i] && !same(&rp.v[rp.hash[i] - 1].pid, p))
		i = (i + 1) & (rp.hcap - 1);
	return i;
}

/* Under rp.lock: room for one more entry (and its hash slot). */
static int grow(void)
{
	if (rp.n < rp.cap)
		return 0;
	if (rp.cap >= MAX_ENTRIES)
		return OT_ENOMEM;
	size_t cap = rp.cap ? rp.cap * 2 : 64, hcap = cap * 4;
	struct rpid *v = reallocarray(rp.v, cap, sizeof(*v));
	if (!v)
		return OT_ENOMEM;
	rp.v = v;
	uint32_t *hash = calloc(hcap, sizeof(*hash));
	if (!hash)
		return OT_ENOMEM;
	free(rp.hash);
	rp.hash = hash;
	rp.hcap = hcap;
	rp.cap = cap;
	for (size_t i = 0; i < rp.n; i++)
		rp.hash[slot_of(&rp.v[i].pid)] = (uint32_t)(i + 1);
	return 0;
}

/* Under rp.lock: the number of node, interned. */
static int node_index(const char *node, uint32_t *out)
{
	for (size_t i = 0; i < rp.nn; i++) {
		if (strcmp(rp.nodes[i], node) == 0) {
			*out = (uint32_t)i;
			return 0;
		}
	}
	if (rp.nn == rp.ncap) {
		size_t cap = rp.ncap ? rp.ncap * 2 : 8;
		void *v = reallocarray(rp.nodes, cap, sizeof(*rp.nodes));
		if (!v)
			return OT_ENOMEM;
		rp.nodes = v;
		rp.ncap = cap;
	}
	snprintf(rp.nodes[rp.nn], sizeof(rp.nodes[0]), "%s", node);
	*out = (uint32_t)rp.nn++;
	return 0;
}

int ot__dist_rpid_of(const erlang_pid *pid, ot_pid *out)
{
	pthread_mutex_lock(&rp.lock);
	int rc = rp.epoch ? grow() : OT_ENOTSTARTED;
	size_t i = 0;
	if (!rc) {
		i = slot_of(pid);
		if (!rp.hash[i]) {
			uint32_t node;
			if (!(rc = node_index(pid->node, &node))) {
				rp.v[rp.n] = (struct rpid){*pid, node};
				rp.hash[i] = (uint32_t)++rp.n;
			}
		}
	}
	if (!rc)
		*out = (ot_pid){((uint64_t)rp.epoch << 32) | OT_PID_REMOTE_BIT |
				rp.hash[i]};
	pthread_mutex_unlock(&rp.lock);
	return rc;
}

/* Under rp.lock: the entry of a remote pid of this node's life, or NULL. */
static const struct rpid *entry_of(ot_pid pid)
{
	uint64_t index = pid.id & (OT_PID_REMOTE_BIT - 1);
	if (!ot_pid_is_remote(pid) || (pid.id >> 32) != rp.epoch || !rp.epoch ||
	    index == 0 || index > rp.n)
		return NULL;
	return &rp.v[index - 1];
}

int ot__dist_rpid_get(ot_pid pid, erlang_pid *out)
{
	pthread_mutex_lock(&rp.lock);
	const struct rpid *e = entry_of(pid);
	if (e)
		*out = e->pid;
	pthread_mutex_unlock(&rp.lock);
	return e ? 0 : OT_ENOTCONN;
}

int ot__dist_rpid_format(ot_pid pid, char *buf, size_t size)
{
	pthread_mutex_lock(&rp.lock);
	const struct rpid *e = entry_of(pid);
	int n = e ? snprintf(buf, size, "<%u.%u.%u>", e->node + 1, e->pid.num,
			     e->pid.serial)
		  : OT_ENOTCONN;
	pthread_mutex_unlock(&rp.lock);
	return n;
}

void ot__dist_rpids_start(void)
{
	pthread_mutex_lock(&rp.lock);
	static uint32_t epochs;
	if (++epochs == 0)
		epochs = 1;
	rp.epoch = epochs;
	pthread_mutex_unlock(&rp.lock);
}

void ot__dist_rpids_clear(void)
{
	pthread_mutex_lock(&rp.lock);
	free(rp.v);
	free(rp.hash);
	free(rp.nodes);
	rp.v = NULL;
	rp.hash = NULL;
	rp.nodes = NULL;
	rp.n = rp.cap = rp.hcap = rp.nn = rp.ncap = 0;
	rp.epoch = 0;
	pthread_mutex_unlock(&rp.lock);
}

OT_API int ot_dist_otter_pid(const erlang_pid *pid, ot_pid *out)
{
	if (!pid || !out || !memchr(pid->node, '\0', sizeof(pid->node)) ||
	    !pid->node[0])
		return OT_EINVAL;
	if (!ot__dist_node_up())
		return OT_ENOTSTARTED;
	if (strcmp(pid->node, ei_thisnodename(&ot__dist_node.ec)) == 0)
		return ot_dist_local_pid(pid, out);
	return ot__dist_rpid_of(pid, out);
}

OT_API int ot_dist_erlang_pid(ot_pid pid, erlang_pid *out)
{
	if (!out || ot_pid_is_none(pid))
		return OT_EINVAL;
	if (!ot__dist_node_up())
		return OT_ENOTSTARTED;
	if (!ot_pid_is_remote(pid))
		return ot_dist_pid(pid, out);
	return ot__dist_rpid_get(pid, out);
}
