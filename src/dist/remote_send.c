/* SPDX-License-Identifier: MIT */
/*
 * remote_send.c — the runtime's sends to processes of other nodes
 * (otter/remote.h's send and send_name: ot_send() to a remote pid,
 * ot_send_name("name@node")) and the relay process that sends on what
 * the timers to remote pids deliver to it (timer_relay). ties.c installs
 * them with the rest of the functions.
 */
#include <limits.h>
#include <string.h>

#include "node.h"
#include "term_check.h"

/* What an otter message (tag, data, size) is on the wire: a term as it is
 * (whole, with its version byte: the other node would take anything else
 * for a broken connection), any other tag as a binary, in *x (freed by
 * the caller when *d points into it). */
static int wire_term(uint64_t tag, const void *data, size_t size, ei_x_buff *x,
		     const void **d, size_t *n)
{
	x->buff = NULL;
	if (tag == OT_DIST_TAG) {
		size_t start;
		if (!data || ot__term_check_whole(data, size, &start) ||
		    start != 1)
			return OT_EBADTERM;
		*d = data;
		*n = size;
		return 0;
	}
	if (size > INT_MAX - 64)
		return OT_EINVAL;
	if (ei_x_new_with_version(x))
		return OT_ENOMEM;
	if (ei_x_encode_binary(x, data ? data : "", (long)size)) {
		ei_x_free(x);
		x->buff = NULL;
		return OT_ENOMEM;
	}
	*d = x->buff;
	*n = (size_t)x->index;
	return 0;
}

int ot__dist_op_send(ot_pid from, ot_pid to, uint64_t tag, const void *data,
		     size_t size)
{
	(void)from; /* an Erlang message carries no sender */
	erlang_pid e;
	int rc = ot__dist_rpid_get(to, &e);
	if (rc)
		return rc;
	ei_x_buff x;
	const void *d;
	size_t n;
	if ((rc = wire_term(tag, data, size, &x, &d, &n)))
		return rc;
	rc = ot_dist_send(&e, d, n);
	if (x.buff)
		ei_x_free(&x);
	return rc == OT_ESYS || rc == OT_ETIMEDOUT ? OT_ENOTCONN : rc;
}

/* True when node is this node's name. */
bool ot__dist_this_node(const char *node)
{
	return strcmp(node, ei_thisnodename(&ot__dist_node.ec)) == 0;
}

/* ot_send_name("name@node"): {Name, Node} ! Msg. */
int ot__dist_op_send_name(ot_pid from, const char *name, const char *node,
			  uint64_t tag, const void *data, size_t size)
{
	(void)from;
	if (ot__dist_this_node(node))
		return 1;
	ei_x_buff x;
	const void *d;
	size_t n;
	int rc = wire_term(tag, data, size, &x, &d, &n);
	if (rc)
		return rc;
	rc = ot_dist_send_name(node, name, d, n);
	if (x.buff)
		ei_x_free(&x);
	return rc == OT_ESYS || rc == OT_ETIMEDOUT ? OT_ENOTCONN : rc;
}

ot_pid ot__dist_op_timer_relay(void)
{
	struct node *n = &ot__dist_node;
	pthread_mutex_lock(&n->lock);
	ot_pid relay = n->relay;
	pthread_mutex_unlock(&n->lock);
	return relay;
}

void ot__dist_relay(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *msg;
		if (ot_receive(&msg, OT_INFINITY))
			return;
		ot_remote_timer h;
		size_t size = ot_msg_size(msg);
		if (ot_msg_tag(msg) == OT_TAG_REMOTE_TIMER &&
		    size >= sizeof h) {
			const char *d = ot_msg_data(msg);
			memcpy(&h, d, sizeof h);
			/* As a send then: a node that is gone drops it. */
			ot__dist_op_send(ot_msg_from(msg), h.to, h.tag,
					 size > sizeof h ? d + sizeof h : NULL,
					 size - sizeof h);
		}
		ot_msg_free(msg);
	}
}
