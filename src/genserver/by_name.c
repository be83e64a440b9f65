/* SPDX-License-Identifier: MIT */
/*
 * by_name.c — every client call by registered name: the name is looked
 * up once, now, and the call is its pid form; a name nobody has is
 * OT_ENOPROC (a cast to it succeeds, as OTP's cast to a name does).
 */
#include "config.h"

#include <otter/gen_server.h>

#include "protocol.h"

int ot__gs_whereis(const char *name, ot_pid *pid)
{
	int rc = ot_whereis(name, pid);
	return rc == OT_ENOTREG ? OT_ENOPROC : rc;
}

int ot_gen_server_call_name(const char *name, const void *req, size_t size,
			    void *reply, size_t cap, size_t *reply_size,
			    int timeout_ms, ot_reason *reason)
{
	char buf[OT_GS_NODE_MAX];
	const ot_gs_remote *remote;
	const char *node;
	name = ot__gs_name(name, buf, sizeof(buf), &remote, &node);
	if (remote)
		return remote->call(node, name, req, size, reply, cap,
				    reply_size, timeout_ms);
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc)
		return rc;
	return ot_gen_server_call(pid, req, size, reply, cap, reply_size,
				  timeout_ms, reason);
}

int ot_gen_server_call_opts_name(const char *name, const void *req, size_t size,
				 void *reply, size_t cap, size_t *reply_size,
				 const ot_gs_call_opts *opts, ot_reason *reason)
{
	char buf[OT_GS_NODE_MAX];
	const ot_gs_remote *remote;
	const char *node;
	name = ot__gs_name(name, buf, sizeof(buf), &remote, &node);
	if (remote) {
		int tmo = opts ? opts->timeout_ms : 0;
		if (tmo < OT_GS_NOWAIT)
			return OT_EINVAL;
		tmo = tmo == 0		    ? OT_GS_DEFAULT_TIMEOUT
		      : tmo == OT_GS_NOWAIT ? 0
					    : tmo;
		return remote->call(node, name, req, size, reply, cap,
				    reply_size, tmo);
	}
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc)
		return rc;
	return ot_gen_server_call_opts(pid, req, size, reply, cap, reply_size,
				       opts, reason);
}

int ot_gen_server_call_msg_name(const char *name, const void *req, size_t size,
				ot_msg **reply, const ot_gs_call_opts *opts,
				ot_reason *reason)
{
	if (!reply)
		return OT_EINVAL;
	*reply = NULL;
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc)
		return rc;
	return ot_gen_server_call_msg(pid, req, size, reply, opts, reason);
}

int ot_gen_server_cast_name(const char *name, const void *req, size_t size)
{
	if ((size && !req) || size > (size_t)PTRDIFF_MAX)
		return OT_EINVAL;
	char buf[OT_GS_NODE_MAX];
	const ot_gs_remote *remote;
	const char *node;
	name = ot__gs_name(name, buf, sizeof(buf), &remote, &node);
	if (remote)
		return remote->cast(node, name, req, size);
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc == OT_ENOPROC)
		return 0; /* fire and forget: nobody to hear it */
	if (rc)
		return rc;
	return ot_gen_server_cast(pid, req, size);
}

int ot_gen_server_stop_name(const char *name, const ot_reason *reason,
			    int timeout_ms)
{
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc)
		return rc;
	return ot_gen_server_stop(pid, reason, timeout_ms);
}

int ot_gen_server_get_state_name(const char *name, char *buf, size_t size,
				 int timeout_ms)
{
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc)
		return rc;
	return ot_gen_server_get_state(pid, buf, size, timeout_ms);
}

int ot_gen_server_replace_state_name(const char *name, ot_gs_replace_fn fn,
				     void *arg, int timeout_ms,
				     ot_reason *reason)
{
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc)
		return rc;
	return ot_gen_server_replace_state(pid, fn, arg, timeout_ms, reason);
}

int ot_gen_server_send_request_name(const char *name, const void *req,
				    size_t size, ot_gs_request *out)
{
	if (!out)
		return OT_EINVAL;
	*out = (ot_gs_request){.server = OT_PID_NONE};
	ot_pid pid;
	int rc = ot__gs_whereis(name, &pid);
	if (rc)
		return rc;
	return ot_gen_server_send_request(pid, req, size, out);
}
