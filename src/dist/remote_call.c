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

/* Takes {Ref, _} for the ref at arg; leaves every other message. */
static bool is_reply(const ot_msg *msg, void *arg)
{
	if (ot_msg_tag(msg) != OT_DIST_TAG)
		return false;
	const char *t = ot_msg_data(msg);
	int i = 0, version, arity;
	erlang_ref got;
	return !ei_decode_version(t, &i, &version) &&
	       !ei_decode_tuple_header(t, &i, &arity) && arity == 2 &&
	       !ei_decode_ref(t, &i, &got) &&
	       same_ref(&got, (const erlang_ref *)arg);
}

int ot__dist_make_ref(erlang_ref *ref)
{
	static pthread_mutex_t ref_lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&ref_lock); /* the cnode's counter of refs */
	int made = ei_make_ref(&ot__dist_node.ec, ref);
	pthread_mutex_unlock(&ref_lock);
	return made ? OT_ENOMEM : 0;
}

static int call(const char *node, const char *name, const erlang_pid *to,
		const void *request, size_t size, int timeout_ms,
		ot_msg **reply, size_t *offset)
{
	if (!reply || !offset || !request || size < 2 || size > INT_MAX ||
	    (timeout_ms < 0 && timeout_ms != OT_INFINITY))
		return OT_EINVAL;
	erlang_pid self;
	int rc = ot_dist_pid(ot_self(), &self);
	if (rc)
		return rc == OT_ENOPROC ? OT_ENOMEM : rc;
	erlang_ref ref;
	if (ot__dist_make_ref(&ref))
		return OT_ENOMEM;
	ei_x_buff x;
	rc = encode_call(&x, &self, &ref, request, size);
	if (rc)
		return rc;
	rc = name ? ot_dist_send_name(node, name, x.buff, (size_t)x.index)
		  : ot_dist_send(to, x.buff, (size_t)x.index);
	ei_x_free(&x);
	if (rc)
		return rc;
	ot_msg *msg;
	rc = ot_receive_match(is_reply, &ref, &msg, timeout_ms);
	if (rc)
		return rc;
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
	return call(node, name, NULL, request, size, timeout_ms, reply, offset);
}

OT_API int ot_dist_call(const erlang_pid *to, const void *request, size_t size,
			int timeout_ms, ot_msg **reply, size_t *offset)
{
	if (!to || !memchr(to->node, '\0', sizeof(to->node)))
		return OT_EINVAL;
	return call(to->node, NULL, to, request, size, timeout_ms, reply,
		    offset);
}

OT_API int ot_dist_cast_name(const char *node, const char *name,
			     const void *request, size_t size)
{
	if (!node || !name || !request || size < 2 || size > INT_MAX)
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
		rc = ot_dist_send_name(node, name, x.buff, (size_t)x.index);
	ei_x_free(&x);
	return rc;
}
