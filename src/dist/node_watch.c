/* SPDX-License-Identifier: MIT */
/*
 * node_watch.c — node monitors: ot_monitor_node() (erlang:monitor_node/2,
 * once) and ot_monitor_nodes() (net_kernel:monitor_nodes/1, every node);
 * {nodeup, Node} and {nodedown, Node} as terms (tag OT_DIST_TAG), told as
 * connections come and go (conn.c, through ties.c, after the links and
 * monitors across a lost connection have fired).
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "vec.h"

/* Node set: ot_monitor_node(); node "": ot_monitor_nodes(). */
struct nmon {
	ot_pid who;
	char node[MAXNODELEN + 1];
};

static struct {
	pthread_mutex_t lock;
	struct vec nodes;
} w = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .nodes = {.elem = sizeof(struct nmon)},
};

/* {What, 'node'} to who. */
static void tell(ot_pid who, const char *what, const char *node)
{
	ot_term_buf b;
	const void *d;
	size_t n;
	if (!ot_term_buf_init(&b) && !ot_term_tuple(&b, 2) &&
	    !ot_term_atom(&b, what) && !ot_term_atom(&b, node) &&
	    !ot_term_buf_get(&b, &d, &n))
		ot_send(who, OT_DIST_TAG, d, n);
	ot_term_buf_free(&b);
}

void ot__dist_node_watch_up(const char *node)
{
	pthread_mutex_lock(&w.lock);
	size_t n = w.nodes.n;
	struct nmon *all = n ? calloc(n, sizeof(*all)) : NULL;
	if (all)
		memcpy(all, w.nodes.v, n * sizeof(*all));
	pthread_mutex_unlock(&w.lock);
	for (size_t i = 0; all && i < n; i++)
		if (!all[i].node[0])
			tell(all[i].who, "nodeup", node);
	free(all);
}

void ot__dist_node_watch_down(const char *node)
{
	struct vec told = {.elem = sizeof(struct nmon)};
	pthread_mutex_lock(&w.lock);
	for (size_t i = 0; i < w.nodes.n;) {
		struct nmon *m = AT(&w.nodes, struct nmon, i);
		if (ot__vec_push(&told, m))
			break;
		if (strcmp(m->node, node) == 0)
			ot__vec_take(&w.nodes, i,
				     NULL); /* monitor_node: once */
		else
			i++;
	}
	pthread_mutex_unlock(&w.lock);
	for (size_t i = 0; i < told.n; i++) {
		struct nmon *m = AT(&told, struct nmon, i);
		if (!m->node[0] || strcmp(m->node, node) == 0)
			tell(m->who, "nodedown", node);
	}
	ot__vec_free(&told);
}

void ot__dist_node_watch_clear(void)
{
	pthread_mutex_lock(&w.lock);
	ot__vec_free(&w.nodes);
	pthread_mutex_unlock(&w.lock);
}

static int node_arg(const char *node)
{
	if (!node || !node[0] || strlen(node) > MAXNODELEN ||
	    !strchr(node, '@'))
		return OT_EINVAL;
	return ot__dist_node_up() ? 0 : OT_ENOTSTARTED;
}

OT_API int ot_monitor_node(const char *node, bool on)
{
	int rc = node_arg(node);
	if (rc)
		return rc;
	/* This node never goes down for itself (Erlang: nothing happens). */
	if (strcmp(node, ei_thisnodename(&ot__dist_node.ec)) == 0)
		return 0;
	struct nmon m = {.who = ot_self()};
	if (ot_pid_is_none(m.who))
		return OT_ENOMEM;
	snprintf(m.node, sizeof(m.node), "%s", node);
	pthread_mutex_lock(&w.lock);
	if (on) {
		rc = ot__vec_push(&w.nodes, &m);
	} else {
		for (size_t i = 0; i < w.nodes.n; i++) {
			struct nmon *e = AT(&w.nodes, struct nmon, i);
			if (ot_pid_equal(e->who, m.who) &&
			    strcmp(e->node, node) == 0) {
				ot__vec_take(&w.nodes, i, NULL);
				break;
			}
		}
	}
	pthread_mutex_unlock(&w.lock);
	if (rc || !on)
		return rc;
	/* As Erlang: connect; a node that cannot be reached is down now. */
	if (ot__dist_connect(node) == 0)
		return 0;
	bool fire = false;
	pthread_mutex_lock(&w.lock);
	for (size_t i = w.nodes.n; i-- > 0;) {
		struct nmon *e = AT(&w.nodes, struct nmon, i);
		if (ot_pid_equal(e->who, m.who) && strcmp(e->node, node) == 0) {
			ot__vec_take(&w.nodes, i, NULL);
			fire = true;
			break;
		}
	}
	pthread_mutex_unlock(&w.lock);
	if (fire)
		tell(m.who, "nodedown", node);
	return 0;
}

OT_API int ot_monitor_nodes(bool on)
{
	if (!ot__dist_node_up())
		return OT_ENOTSTARTED;
	struct nmon m = {.who = ot_self()};
	if (ot_pid_is_none(m.who))
		return OT_ENOMEM;
	int rc = 0;
	pthread_mutex_lock(&w.lock);
	ssize_t at = -1;
	for (size_t i = 0; i < w.nodes.n && at < 0; i++) {
		struct nmon *e = AT(&w.nodes, struct nmon, i);
		if (ot_pid_equal(e->who, m.who) && !e->node[0])
			at = (ssize_t)i;
	}
	if (on && at < 0)
		rc = ot__vec_push(&w.nodes, &m);
	else if (!on && at >= 0)
		ot__vec_take(&w.nodes, (size_t)at, NULL);
	pthread_mutex_unlock(&w.lock);
	return rc;
}
