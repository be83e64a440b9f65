/* SPDX-License-Identifier: MIT */
/*
 * rpids.c — pids of other nodes as ot_pids (otter/base.h's
 * OT_PID_REMOTE_BIT). The same Erlang pid {node, num, serial, creation}
 * gives the same ot_pid for as long as the node runs, so ot_pid_equal()
 * works on them and they can sit in link sets; and a node that talks for
 * months to Erlang nodes spawning short-lived processes (each
 * gen_server:call from a fresh one brings a new pid) must not keep
 * anything per pid. So the pid is written into the ot_pid itself:
 *
 *   63     54 53    43 42     32 31 30 29           0
 *   [ epoch  ][  inc  ][ d >> 30 ][R][1][ d & 2^30-1 ]  compact
 *   [ epoch  ][        0         ][R][0][ index + 1  ]  table
 *
 * with d = serial << 28 | num. Only node incarnations, {node name,
 * creation} pairs, are interned (inc: the index of one); they grow with
 * the restarts of the other nodes, not with their processes. 28 bits of
 * num and 13 of serial hold every pid of OTP 25 and earlier (15 and 13
 * bits in NEW_PID_EXT), of ei_make_pid() (the same: other otter nodes, C
 * nodes), and of OTP 26 and later on 64-bit machines (28 and 32 bits,
 * the serial 0 until 2^28 processes were spawned there) for their first
 * 2^41 processes.
 *
 * A pid that does not fit (a bigger num or serial, or an incarnation past
 * the first 2^11 of this node's life) is interned in a table for as long
 * as the node runs: 12 bytes and its hash slots each.
 *
 * epoch counts ot_node_start()s, from 1 to 1023 and round again: a
 * remote pid kept past ot_node_stop() names nothing of the next node
 * (OT_ENOTCONN), unless it is kept across 1023 starts: then it names
 * whatever has its incarnation (or table) index in that life, if any. The
 * node names are interned too, numbered from 1: the N of <N.Num.Serial>.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "vec.h"

#define COMPACT_BIT (UINT64_C(1) << 30)
#define LOW_BITS    30 /* of d, under COMPACT_BIT */
#define NUM_BITS    28
#define SERIAL_BITS 13
#define HIGH_BITS   (NUM_BITS + SERIAL_BITS - LOW_BITS) /* of d, at 32 */
#define INC_SHIFT   (32 + HIGH_BITS)
#define INC_BITS    11
#define EPOCH_SHIFT (INC_SHIFT + INC_BITS)
#define EPOCH_MAX   ((UINT32_C(1) << (64 - EPOCH_SHIFT)) - 1)
#define MASK(bits)  ((UINT64_C(1) << (bits)) - 1)

/* index + 1 stays below COMPACT_BIT. */
#define MAX_ENTRIES ((size_t)COMPACT_BIT - 1)

/* A node incarnation. */
struct inc {
	uint32_t node; /* index in rp.nodes */
	uint32_t creation;
};

/* A pid that does not fit the compact form. */
struct rpid {
	uint32_t inc; /* index in rp.incs */
	uint32_t num, serial;
};

static struct {
	pthread_mutex_t lock;
	uint32_t epoch;	  /* 0 while no node runs */
	struct vec incs;  /* struct inc */
	struct vec nodes; /* char *, each malloc'ed */
	struct rpid *v;
	size_t n, cap;
	uint32_t *hash; /* open addressing: entry index + 1, 0 empty */
	size_t hcap;	/* a power of two, at least 2 * cap */
} rp = {.lock = PTHREAD_MUTEX_INITIALIZER,
	.incs = {.elem = sizeof(struct inc)},
	.nodes = {.elem = sizeof(char *)}};

static uint64_t hash_of(const struct rpid *p)
{
	uint64_t h =
	    ((uint64_t)p->num << 32) ^ p->serial ^ ((uint64_t)p->inc << 45);
	return h * 0x9e3779b97f4a7c15u;
}

static bool same(const struct rpid *a, const struct rpid *b)
{
	return a->num == b->num && a->serial == b->serial && a->inc == b->inc;
}

/* Under rp.lock: the slot of p in the hash, or of the empty place for it. */
static size_t slot_of(const struct rpid *p)
{
	size_t i = (size_t)hash_of(p) & (rp.hcap - 1);
	while (rp.hash[i] && !same(&rp.v[rp.hash[i] - 1], p))
		i = (i + 1) & (rp.hcap - 1);
	return i;
}

/* Under rp.lock: room for one more entry (and its hash slot). */
static int grow(void)
{
	if (rp.n >= MAX_ENTRIES)
		return OT_ENOMEM;
	if (rp.n < rp.cap)
		return 0;
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
		rp.hash[slot_of(&rp.v[i])] = (uint32_t)(i + 1);
	return 0;
}

#define INC(i)	AT(&rp.incs, struct inc, i)
#define NODE(i) (*AT(&rp.nodes, char *, i))

/* Under rp.lock: the index of pid's incarnation, interned with its node
 * name. A linear search: there are as many as restarts of the nodes this
 * one has heard of, and the creation tells most apart at once. */
static int inc_index(const erlang_pid *pid, uint32_t *out)
{
	for (size_t i = 0; i < rp.incs.n; i++) {
		if (INC(i)->creation == pid->creation &&
		    strcmp(NODE(INC(i)->node), pid->node) == 0) {
			*out = (uint32_t)i;
			return 0;
		}
	}
	if (rp.incs.n >= UINT32_MAX)
		return OT_ENOMEM;
	size_t node = 0;
	while (node < rp.nodes.n && strcmp(NODE(node), pid->node) != 0)
		node++;
	if (node == rp.nodes.n) {
		char *name = strdup(pid->node);
		if (!name || ot__vec_push(&rp.nodes, &name)) {
			free(name);
			return OT_ENOMEM;
		}
	}
	struct inc inc = {(uint32_t)node, pid->creation};
	int rc = ot__vec_push(&rp.incs, &inc);
	if (!rc)
		*out = (uint32_t)(rp.incs.n - 1);
	return rc;
}

/* Under rp.lock: the table form of {inc, num, serial}, interned. */
static int table_id(uint32_t inc, const erlang_pid *pid, uint64_t *low)
{
	struct rpid key = {inc, pid->num, pid->serial};
	int rc = grow();
	if (rc)
		return rc;
	size_t i = slot_of(&key);
	if (!rp.hash[i]) {
		rp.v[rp.n] = key;
		rp.hash[i] = (uint32_t)++rp.n;
	}
	*low = rp.hash[i];
	return 0;
}

int ot__dist_rpid_of(const erlang_pid *pid, ot_pid *out)
{
	pthread_mutex_lock(&rp.lock);
	uint32_t inc = 0;
	uint64_t id = 0;
	int rc = rp.epoch ? inc_index(pid, &inc) : OT_ENOTSTARTED;
	if (!rc && inc <= MASK(INC_BITS) && pid->num <= MASK(NUM_BITS) &&
	    pid->serial <= MASK(SERIAL_BITS)) {
		uint64_t d = (uint64_t)pid->serial << NUM_BITS | pid->num;
		id = (uint64_t)inc << INC_SHIFT | (d >> LOW_BITS) << 32 |
		     COMPACT_BIT | (d & MASK(LOW_BITS));
	} else if (!rc) {
		rc = table_id(inc, pid, &id);
	}
	if (!rc)
		*out = (ot_pid){(uint64_t)rp.epoch << EPOCH_SHIFT |
				OT_PID_REMOTE_BIT | id};
	pthread_mutex_unlock(&rp.lock);
	return rc;
}

/* Under rp.lock: the {inc, num, serial} of a remote pid of this node's
 * life, or false for any other value (a forged one too). */
static bool decode(ot_pid pid, struct rpid *out)
{
	uint64_t id = pid.id, low = id & MASK(LOW_BITS);
	if (!ot_pid_is_remote(pid) || !rp.epoch ||
	    (id >> EPOCH_SHIFT) != rp.epoch)
		return false;
	if (id & COMPACT_BIT) {
		uint64_t d = ((id >> 32) & MASK(HIGH_BITS)) << LOW_BITS | low;
		*out = (struct rpid){
		    (uint32_t)((id >> INC_SHIFT) & MASK(INC_BITS)),
		    (uint32_t)(d & MASK(NUM_BITS)), (uint32_t)(d >> NUM_BITS)};
		return out->inc < rp.incs.n;
	}
	if ((id >> 32) & MASK(EPOCH_SHIFT - 32) || low == 0 || low > rp.n)
		return false;
	*out = rp.v[low - 1];
	return true;
}

int ot__dist_rpid_get(ot_pid pid, erlang_pid *out)
{
	pthread_mutex_lock(&rp.lock);
	struct rpid p;
	bool ok = decode(pid, &p);
	if (ok) {
		const struct inc *inc = INC(p.inc);
		snprintf(out->node, sizeof(out->node), "%s", NODE(inc->node));
		out->num = p.num;
		out->serial = p.serial;
		out->creation = inc->creation;
	}
	pthread_mutex_unlock(&rp.lock);
	return ok ? 0 : OT_ENOTCONN;
}

int ot__dist_rpid_format(ot_pid pid, char *buf, size_t size)
{
	pthread_mutex_lock(&rp.lock);
	struct rpid p;
	int n = decode(pid, &p)
		    ? snprintf(buf, size, "<%u.%u.%u>", INC(p.inc)->node + 1,
			       p.num, p.serial)
		    : OT_ENOTCONN;
	pthread_mutex_unlock(&rp.lock);
	return n;
}

size_t ot__dist_rpids_entries(void)
{
	pthread_mutex_lock(&rp.lock);
	size_t n = rp.n;
	pthread_mutex_unlock(&rp.lock);
	return n;
}

void ot__dist_rpids_start(void)
{
	pthread_mutex_lock(&rp.lock);
	static uint32_t epochs;
	if (++epochs > EPOCH_MAX)
		epochs = 1;
	rp.epoch = epochs;
	pthread_mutex_unlock(&rp.lock);
}

void ot__dist_rpids_clear(void)
{
	pthread_mutex_lock(&rp.lock);
	for (size_t i = 0; i < rp.nodes.n; i++)
		free(NODE(i));
	ot__vec_free(&rp.nodes);
	ot__vec_free(&rp.incs);
	free(rp.v);
	free(rp.hash);
	rp.v = NULL;
	rp.hash = NULL;
	rp.n = rp.cap = rp.hcap = 0;
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
