/* SPDX-License-Identifier: MIT */
/*
 * gs_remote.c — ot_gen_server_call_name("name@node", ...) and
 * ot_gen_server_cast_name() to a server of another node: the functions
 * gen_server hands such a name to (ot_gen_server_set_remote(),
 * installed while the node runs), on ot_dist_call_name() and
 * ot_dist_cast_name(). The reply goes back as a term with its version
 * byte, into the caller's buffer.
 */
#include <string.h>

#include "node.h"

/* The reply in msg (from at) into the caller's buffer, with its version
 * byte; msg is freed. */
static int copy_reply(ot_msg *msg, size_t at, void *reply, size_t cap,
		      size_t *reply_size);

static int call(const char *node, const char *name, const void *request,
		size_t size, void *reply, size_t cap, size_t *reply_size,
		int timeout_ms)
{
	if (cap && !reply)
		return OT_EINVAL;
	ot_msg *msg;
	size_t at;
	int rc =
	    ot_dist_call_name(node, name, request, size, timeout_ms, &msg, &at);
	return rc ? rc : copy_reply(msg, at, reply, cap, reply_size);
}

static int call_pid(ot_pid server, const void *request, size_t size,
		    void *reply, size_t cap, size_t *reply_size, int timeout_ms,
		    ot_reason *reason)
{
	if (cap && !reply)
		return OT_EINVAL;
	ot_msg *msg;
	size_t at;
	int rc = ot__dist_call_pid(server, request, size, timeout_ms, &msg, &at,
				   reason);
	return rc ? rc : copy_reply(msg, at, reply, cap, reply_size);
}

static int copy_reply(ot_msg *msg, size_t at, void *reply, size_t cap,
		      size_t *reply_size)
{
	/* The version byte, then Reply: what follows {Ref, in the message. */
	size_t n = 1 + (ot_msg_size(msg) - at);
	if (reply_size)
		*reply_size = n;
	if (n <= cap) {
		unsigned char *r = reply;
		r[0] = OT_TERM_VERSION;
		memcpy(r + 1, (const char *)ot_msg_data(msg) + at, n - 1);
	}
	ot_msg_free(msg);
	return n <= cap ? 0 : OT_ETOOBIG;
}

/* As OTP's cast: it succeeds whether or not the node or the name is
 * there; a request that is not a term is refused. */
static int cast(const char *node, const char *name, const void *request,
		size_t size)
{
	int rc = ot_dist_cast_name(node, name, request, size);
	return rc == OT_EINVAL ? rc : 0;
}

static int cast_pid(ot_pid server, const void *request, size_t size)
{
	int rc = ot__dist_cast_pid(server, request, size);
	return rc == OT_EINVAL ? rc : 0;
}

static const ot_gs_remote remote = {
    .call = call,
    .cast = cast,
    .self_node = ot_node_name,
    .call_pid = call_pid,
    .cast_pid = cast_pid,
};

void ot__dist_gs_install(bool on)
{
	ot_gen_server_set_remote(on ? &remote : NULL);
}
