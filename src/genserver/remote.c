/* SPDX-License-Identifier: MIT */
/*
 * remote.c — the calls by name that go to a server of another node,
 * "name@node" ({Name, Node}), through the functions a distribution
 * library installed (otter/gen_server_client.h): gen_server itself
 * knows nothing of nodes, and without them every name is local.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include <otter/gen_server.h>

#include "protocol.h"

static _Atomic(const ot_gs_remote *) installed;

int ot_gen_server_set_remote(const ot_gs_remote *remote)
{
	atomic_store_explicit(&installed, remote, memory_order_release);
	return 0;
}

const char *ot__gs_name(const char *name, char *buf, size_t size,
			const ot_gs_remote **remote, const char **node)
{
	const ot_gs_remote *r =
	    atomic_load_explicit(&installed, memory_order_acquire);
	*remote = NULL;
	const char *at = name ? strchr(name, '@') : NULL;
	/* The node part is alive@host: a second '@' after the first. */
	if (!r || !at || at == name || !strchr(at + 1, '@'))
		return name;
	size_t n = (size_t)(at - name);
	if (n >= size)
		return name; /* too long for a name of any node */
	memcpy(buf, name, n);
	buf[n] = '\0';
	char self[OT_GS_NODE_MAX];
	if (r->self_node(self, sizeof(self)) > 0 && strcmp(self, at + 1) == 0)
		return buf; /* {Name, node()}: Name, here */
	*remote = r;
	*node = at + 1;
	return buf;
}

int ot__gs_call_remote_pid(ot_pid server, const void *req, size_t size,
			   void *reply, size_t cap, size_t *reply_size,
			   int timeout_ms, ot_reason *reason)
{
	const ot_gs_remote *r =
	    atomic_load_explicit(&installed, memory_order_acquire);
	if (!r || !r->call_pid)
		return OT_EREMOTE;
	return r->call_pid(server, req, size, reply, cap, reply_size,
			   timeout_ms, reason);
}

int ot__gs_cast_remote_pid(ot_pid server, const void *req, size_t size)
{
	const ot_gs_remote *r =
	    atomic_load_explicit(&installed, memory_order_acquire);
	if (!r || !r->cast_pid)
		return OT_EREMOTE;
	return r->cast_pid(server, req, size);
}
