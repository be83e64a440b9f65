/* SPDX-License-Identifier: MIT */
/*
 * multi.c — multi_call and abcast: a call or a cast to the server of one
 * name on each node. otter has one node, this one, so each reaches at
 * most one server; the node list is in the options already so that the
 * distributed form keeps these calls.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <otter/gen_server.h>

#include "protocol.h"

/* What multi_call and abcast check before they reach any node. */
static int check_target(const char *name, const void *req, size_t size)
{
	if (!name || !name[0] || (size && !req) || size > (size_t)PTRDIFF_MAX)
		return OT_EINVAL;
	if (strnlen(name, OT_NAME_MAX + 1) > OT_NAME_MAX)
		return OT_ENAMETOOLONG;
	return ot_running() ? 0 : OT_ENOTSTARTED;
}

/* The one node's answer: a call of the local server, if there is one. */
static ot_gs_multi_result call_local(const char *name, const void *req,
				     size_t size, int timeout_ms)
{
	ot_gs_multi_result r = {.node = NULL};
	ot_pid pid;
	ot_gs_request rq;
	r.status = ot__gs_whereis(name, &pid);
	if (r.status == 0)
		r.status = ot_gen_server_send_request(pid, req, size, &rq);
	if (r.status == 0)
		r.status = ot_gen_server_receive_response(&rq, timeout_ms,
							  &r.reply, &r.reason);
	return r;
}

int ot_gen_server_multi_call(const char *name, const void *req, size_t size,
			     const ot_gs_multi_opts *opts,
			     ot_gs_multi_result *results, size_t cap)
{
	static const ot_gs_multi_opts defaults;
	if (!opts)
		opts = &defaults;
	if ((cap && !results) || opts->nodes || opts->node_count ||
	    opts->timeout_ms < OT_GS_NOWAIT)
		return OT_EINVAL;
	int rc = check_target(name, req, size);
	if (rc)
		return rc;
	int timeout_ms = opts->timeout_ms == 0		    ? OT_GS_INFINITY
			 : opts->timeout_ms == OT_GS_NOWAIT ? 0
							    : opts->timeout_ms;
	ot_gs_multi_result local = call_local(name, req, size, timeout_ms);
	if (cap)
		results[0] = local;
	else
		ot_msg_free(local.reply);
	return 1;
}

int ot_gen_server_abcast(const char *name, const void *req, size_t size)
{
	int rc = check_target(name, req, size);
	if (rc)
		return rc;
	return ot_gen_server_cast_name(name, req, size);
}
