/* SPDX-License-Identifier: MIT */
/*
 * remote_call.c — gen_server calls (and casts) from otter to a server of
 * another node: gen:call's message with a fresh reference as the tag, and a
 * selective receive of the {Ref, Reply} that answers it.
 */
#include <limits.h>
#include <string.h>

#include "node.h"

/* Encodes {'$gen_call', {self, ref}, Request} into x. */
static int encode_call(ei_x_buff *x, const erlang_pid *self,
		       const erlang_ref *ref, const char *request, size_t size)
{
	int i = 0, version;
	if (ei_decode_version(request, &i, &version))
		return OT_EINVAL;
	if (ei_x_new_with_version(x))
		return OT_ENOMEM;
	if (ei_x_encode_tuple_header(x, 3) ||
	    ei_x_encode_atom(x, "$gen_call") ||
	    ei_x_encode_tuple_header(x, 2) || ei_x_encode_pid(x, self) ||
	    ei_x_encode_ref(x, ref) ||
	    ei_x_append_buf(x, request + i, (int)(size - (size_t)i))) {
		ei_x_free(x);
		return OT_ENOMEM;
	}
	return 0;
}

static bool same_ref(const erlang_ref *a, const erlang_ref *b)
{
	return a->len == b->len && a->creation == b->creation &&
	       strcmp(a->node, b->node) == 0 &&
	       memcmp(a->n, b->n, sizeof(a->n[0]) * (size_t)a->len) == 0;
}

/* What a call waits for: {Ref, Reply}, or the DOWN of its monitor of the
 * server (mon 0: none, a call by name). */
struct awaited {
	erlang_ref ref;
	ot_ref mon;
	bool by_name; /* mref: the call's monitor of {name, node} */
	erlang_ref mref;
};

/* {'DOWN', MRef, Reason} of the monitor by name at arg. */
static bool is_name_down(const ot_msg *msg, void *arg)
{
	const struct awaited *w = arg;
	erlang_ref got;
	return ot_msg_tag(msg) == OT_DIST_TAG &&
	       ot_term_match(ot_msg_data(msg), ot_msg_size(msg),
			     "{'DOWN', %r, _}", &got) == 0 &&
	       same_ref(&got, &w->mref);
}

/* Takes {Ref, _} or the DOWN; leaves every other message. */
static bool is_reply(const ot_msg *msg, void *arg)
{
	const struct awaited *w = arg;
	if (w->by_name && is_name_down(msg, arg))
		return true;
	if (ot_msg_tag(msg) != OT_DIST_TAG) {
		const ot_down_info *d = w->mon.id ? ot_msg_down(msg) : NULL;
		return d && d->ref.id == w->mon.id;
	}
	const char *t = ot_msg_data(msg);
	int i = 0, version, arity;
	erlang_ref got;
	return !ei_decode_version(t, &i, &version) &&
	       !ei_decode_tuple_header(t, &i, &arity) && arity == 2 &&
	       !ei_decode_ref(t, &i, &got) && same_ref(&got, &w->ref);
}

int ot__dist_make_ref(erlang_ref *ref)
{
	static pthread_mutex_t ref_lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&ref_lock); /* the cnode's counter of refs */
	int made = ei_make_ref(&ot__dist_node.ec, ref);
	pthread_mutex_unlock(&ref_lock);
	return made ? OT_ENOMEM : 0;
}

/* The DOWN that ended a call: OT_ENOPROC for a server that was not
 * there, else OT_ESERVERDIED with its reason (without its payload). */
static int server_down(ot_msg *msg, ot_reason *why)
{
	const ot_down_info *d = ot_msg_down(msg);
	int rc =
	    d->reason.kind == OT_REASON_NOPROC ? OT_ENOPROC : OT_ESERVERDIED;
	if (why && rc == OT_ESERVERDIED)
		*why = ot_reason_without_data(&d->reason);
	ot_msg_free(msg);
	return rc;
}

/* The DOWN of a call's monitor by name: as server_down(). */
static int name_down(ot_msg *msg, ot_reason *why)
{
	ot_term_cursor c;
	size_t arity;
	ot_reason r = ot_reason_noconnection();
	if (ot_term_open(&c, ot_msg_data(msg), ot_msg_size(msg)) == 0 &&
	    ot_term_get_tuple(&c, &arity) == 0 && ot_term_skip(&c) == 0 &&
	    ot_term_skip(&c) == 0)
		ot_term_get_reason(&c, &r);
	int rc = r.kind == OT_REASON_NOPROC ? OT_ENOPROC : OT_ESERVERDIED;
	if (why && rc == OT_ESERVERDIED)
		*why = ot_reason_without_data(&r);
	ot_msg_free(msg);
	return rc;
}

static int call(const char *node, const char *name, const erlang_pid *to,
		const void *request, size_t size, int timeout_ms,
		ot_msg **reply, size_t *offset, ot_reason *why)
{
	if (!reply || !offset || !request || size < 2 || size > INT_MAX ||
	    (timeout_ms < 0 && timeout_ms != OT_INFINITY))
		return OT_EINVAL;
	erlang_pid self;
	int rc = ot_dist_pid(ot_self(), &self);
	if (rc)
		return rc == OT_ENOPROC ? OT_ENOMEM : rc;
	struct awaited w = {.mon = {0}};
	if (ot__dist_make_ref(&w.ref))
		return OT_ENOMEM;
	/* A call to a pid monitors it, as gen:call does: a server that is
	 * gone, or dies, ends the call. */
	ot_pid server;
	if (to && ot_dist_otter_pid(to, &server) == 0 &&
	    ot_monitor(server, &w.mon) != 0)
		w.mon.id = 0;
	if (name)
		w.by_name = ot__dist_call_monitor(node, name, &w.mref) == 0;
	ei_x_buff x;
	rc = encode_call(&x, &self, &w.ref, request, size);
	if (!rc) {
		rc = name ? ot_dist_send_name(node, name, x.buff,
					      (size_t)x.index)
			  : ot_dist_send(to, x.buff, (size_t)x.index);
		ei_x_free(&x);
	}
	ot_msg *msg = NULL;
	if (!rc)
		rc = ot_receive_match(is_reply, &w, &msg, timeout_ms);
	bool down = !rc && (ot_msg_tag(msg) != OT_DIST_TAG ||
			    (w.by_name && is_name_down(msg, &w)));
	if (w.mon.id && !down)
		ot_demonitor(w.mon, OT_DEMONITOR_FLUSH);
	if (w.by_name && !down) {
		/* As demonitor(M, [flush]): no DOWN of it is left behind. */
		ot__dist_call_demonitor(&w.mref);
		ot_msg *late;
		while (ot_receive_match(is_name_down, &w, &late, 0) == 0)
			ot_msg_free(late);
	}
	if (rc)
		return rc;
	if (down)
		return ot_msg_tag(msg) == OT_DIST_TAG ? name_down(msg, why)
						      : server_down(msg, why);
	/* Past the version, the tuple's header and the reference. */
	const char *t = ot_msg_data(msg);
	int i = 0, version, arity;
	ei_decode_version(t, &i, &version);
	ei_decode_tuple_header(t, &i, &arity);
	ei_skip_term(t, &i);
	*reply = msg;
	*offset = (size_t)i;
	return 0;
}

OT_API int ot_dist_call_name(const char *node, const char *name,
			     const void *request, size_t size, int timeout_ms,
			     ot_msg **reply, size_t *offset)
{
	if (!node || !name)
		return OT_EINVAL;
	return call(node, name, NULL, request, size, timeout_ms, reply, offset,
		    NULL);
}

OT_API int ot_dist_call(const erlang_pid *to, const void *request, size_t size,
			int timeout_ms, ot_msg **reply, size_t *offset)
{
	if (!to || !memchr(to->node, '\0', sizeof(to->node)))
		return OT_EINVAL;
	return call(to->node, NULL, to, request, size, timeout_ms, reply,
		    offset, NULL);
}

int ot__dist_call_pid(ot_pid server, const void *request, size_t size,
		      int timeout_ms, ot_msg **reply, size_t *offset,
		      ot_reason *why)
{
	erlang_pid to;
	int rc = ot_dist_erlang_pid(server, &to);
	if (rc)
		return rc == OT_ENOTCONN ? OT_ENOPROC : rc;
	return call(to.node, NULL, &to, request, size, timeout_ms, reply,
		    offset, why);
}

/* {'$gen_cast', Request} to {name, node}, or to the pid to. */
static int cast(const char *node, const char *name, const erlang_pid *to,
		const void *request, size_t size)
{
	if (!request || size < 2 || size > INT_MAX)
		return OT_EINVAL;
	const char *r = request;
	int i = 0, version;
	if (ei_decode_version(r, &i, &version))
		return OT_EINVAL;
	ei_x_buff x;
	if (ei_x_new_with_version(&x))
		return OT_ENOMEM;
	int rc = OT_ENOMEM;
	if (!ei_x_encode_tuple_header(&x, 2) &&
	    !ei_x_encode_atom(&x, "$gen_cast") &&
	    !ei_x_append_buf(&x, r + i, (int)(size - (size_t)i)))
		rc = name ? ot_dist_send_name(node, name, x.buff,
					      (size_t)x.index)
			  : ot_dist_send(to, x.buff, (size_t)x.index);
	ei_x_free(&x);
	return rc;
}

OT_API int ot_dist_cast_name(const char *node, const char *name,
			     const void *request, size_t size)
{
	if (!node || !name)
		return OT_EINVAL;
	return cast(node, name, NULL, request, size);
}

int ot__dist_cast_pid(ot_pid server, const void *request, size_t size)
{
	erlang_pid to;
	int rc = ot_dist_erlang_pid(server, &to);
	return rc ? rc : cast(to.node, NULL, &to, request, size);
}
