/* SPDX-License-Identifier: MIT */
/*
 * pids.c — otter processes as Erlang pids of this node. An otter pid does
 * not fit an Erlang pid (15 + 13 bits, as ei encodes them), so a process
 * gets a fresh pid from ei (ei_make_pid) the first time it is named to
 * another node, kept in a table both ways. Entries of processes that
 * have ended are dropped when the table would grow, so it holds about
 * as many entries as there are live processes that were ever named.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

struct pid_entry {
	ot_pid local;
	unsigned num, serial;
};

static struct {
	pthread_mutex_t lock;
	struct pid_entry *v;
	size_t n, cap;
} pids = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Under pids.lock: room for one more entry. */
static int make_room(void)
{
	if (pids.n < pids.cap)
		return 0;
	size_t kept = 0;
	for (size_t i = 0; i < pids.n; i++)
		if (ot_is_alive(pids.v[i].local))
			pids.v[kept++] = pids.v[i];
	pids.n = kept;
	if (pids.n < pids.cap / 2 + 1 && pids.n < pids.cap)
		return 0;
	size_t cap = pids.cap ? pids.cap * 2 : 64, bytes;
	if (__builtin_mul_overflow(cap, sizeof(*pids.v), &bytes))
		return OT_ENOMEM;
	struct pid_entry *v = realloc(pids.v, bytes);
	if (!v)
		return OT_ENOMEM;
	pids.v = v;
	pids.cap = cap;
	return 0;
}

static void fill(erlang_pid *out, const struct pid_entry *e)
{
	ei_cnode *ec = &ot__dist_node.ec;
	memset(out, 0, sizeof(*out));
	snprintf(out->node, sizeof(out->node), "%s", ei_thisnodename(ec));
	out->num = e->num;
	out->serial = e->serial;
	out->creation = ei_self(ec)->creation;
}

OT_API int ot_dist_pid(ot_pid pid, erlang_pid *out)
{
	if (!out || ot_pid_is_none(pid))
		return OT_EINVAL;
	if (!ot__dist_node_up())
		return OT_ENOTSTARTED;
	if (!ot_is_alive(pid))
		return OT_ENOPROC;
	int rc = 0;
	pthread_mutex_lock(&pids.lock);
	size_t i = 0;
	while (i < pids.n && !ot_pid_equal(pids.v[i].local, pid))
		i++;
	if (i == pids.n) {
		erlang_pid fresh;
		rc = make_room();
		if (!rc && ei_make_pid(&ot__dist_node.ec, &fresh))
			rc = OT_ENOMEM;
		if (!rc) {
			i = pids.n++;
			pids.v[i] =
			    (struct pid_entry){pid, fresh.num, fresh.serial};
		}
	}
	if (!rc)
		fill(out, &pids.v[i]);
	pthread_mutex_unlock(&pids.lock);
	return rc;
}

OT_API int ot_dist_local_pid(const erlang_pid *pid, ot_pid *out)
{
	if (!pid || !out || !memchr(pid->node, '\0', sizeof(pid->node)))
		return OT_EINVAL;
	if (!ot__dist_node_up())
		return OT_ENOTSTARTED;
	if (strcmp(pid->node, ei_thisnodename(&ot__dist_node.ec)) != 0)
		return OT_ENOPROC;
	int rc = OT_ENOPROC;
	pthread_mutex_lock(&pids.lock);
	for (size_t i = 0; i < pids.n; i++) {
		if (pids.v[i].num == pid->num &&
		    pids.v[i].serial == pid->serial) {
			*out = pids.v[i].local;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&pids.lock);
	return rc;
}

/* ot_node_stop(): the pids of this node mean nothing to the next one. */
void ot__dist_pids_clear(void)
{
	pthread_mutex_lock(&pids.lock);
	free(pids.v);
	pids.v = NULL;
	pids.n = pids.cap = 0;
	pthread_mutex_unlock(&pids.lock);
}
