/* SPDX-License-Identifier: MIT */
/*
 * result.c — the builders of what a callback returns (ot_gs_ret).
 *
 * A reply is copied here, while the callback's frame still holds it: the
 * server sends it only after the callback has returned, when a local
 * variable the callback pointed at is gone. Small replies are carried by
 * value inside the result; larger ones in a heap copy that the server
 * frees (gen_server.c, apply()).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <otter/gen_server.h>

static ot_gs_ret ret(ot_gs_action action)
{
	ot_gs_ret r;
	memset(&r, 0, sizeof r);
	r.action = action;
	return r;
}

ot_gs_ret ot_gs_ok(void)
{
	return ret(OT_GS_OK);
}

ot_gs_ret ot_gs_ignore(void)
{
	return ret(OT_GS_IGNORE);
}

ot_gs_ret ot_gs_noreply(void)
{
	return ret(OT_GS_NOREPLY);
}

ot_gs_ret ot_gs_stop(ot_reason reason)
{
	ot_gs_ret r = ret(OT_GS_STOP);
	r.reason = reason;
	return r;
}

ot_gs_ret ot_gs_error(ot_reason reason)
{
	ot_gs_ret r = ret(OT_GS_ERROR);
	r.reason = reason;
	return r;
}

/* Copies the reply into r; false (r untouched) when it cannot. */
static bool copy_reply(ot_gs_ret *r, const void *reply, size_t size,
		       ot_reason *why)
{
	if ((size && !reply) || size > (size_t)PTRDIFF_MAX) {
		*why = ot_reason_error(OT_EINVAL, "bad reply given to a builder");
		return false;
	}
	if (size <= sizeof r->reply_bytes) {
		if (size)
			memcpy(r->reply_bytes, reply, size);
	} else {
		if (!(r->reply_copy = malloc(size))) {
			*why = ot_reason_error(OT_ENOMEM,
					       "out of memory for a reply");
			return false;
		}
		memcpy(r->reply_copy, reply, size);
	}
	r->reply_size = size;
	return true;
}

ot_gs_ret ot_gs_reply(const void *reply, size_t size)
{
	ot_gs_ret r = ret(OT_GS_REPLY);
	ot_reason why;
	if (!copy_reply(&r, reply, size, &why))
		return ot_gs_stop(why);
	return r;
}

ot_gs_ret ot_gs_stop_reply(ot_reason reason, const void *reply, size_t size)
{
	ot_gs_ret r = ot_gs_stop(reason);
	ot_reason why;
	if (!copy_reply(&r, reply, size, &why))
		return ot_gs_stop(why);
	r.has_reply = true;
	return r;
}
