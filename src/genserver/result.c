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

/* The results of casts and small replies are built in the caller's
 * return slot (a compound literal): a local result returned by value is
 * copied there whole (~300 bytes, rep movs), which was 29% of a cast.
 * The rare ones, whose builders write into the result after it is made,
 * start from init(): every field zero but reply_bytes, whose bytes past
 * reply_size are never read. */
static void init(ot_gs_ret *r, ot_gs_action action)
{
	memset(r, 0, offsetof(ot_gs_ret, reply_bytes));
	r->action = action;
}

ot_gs_ret ot_gs_ok(void)
{
	return (ot_gs_ret){.action = OT_GS_OK};
}

ot_gs_ret ot_gs_ignore(void)
{
	return (ot_gs_ret){.action = OT_GS_IGNORE};
}

ot_gs_ret ot_gs_noreply(void)
{
	return (ot_gs_ret){.action = OT_GS_NOREPLY};
}

/* r's reason: the one a builder was given, its payload copied now (it
 * may live in the callback's frame) into r->reason_copy, which the server
 * frees; or the reason that says why it could not be taken (a malformed
 * reason must not reach links, monitors and reports). */
static void take_reason(ot_gs_ret *r, const ot_reason *reason)
{
	if (ot_reason_check(reason) != 0) {
		r->reason =
		    ot_reason_error(OT_EINVAL, "bad reason given to a builder");
		return;
	}
	r->reason = *reason;
	if (!reason->data_size)
		return;
	if (!(r->reason_copy = malloc(reason->data_size))) {
		r->reason = ot_reason_error(OT_ENOMEM,
					    "out of memory for a stop reason");
		return;
	}
	memcpy(r->reason_copy, reason->data, reason->data_size);
	r->reason.data = r->reason_copy;
}

ot_gs_ret ot_gs_stop(ot_reason reason)
{
	ot_gs_ret r;
	init(&r, OT_GS_STOP);
	take_reason(&r, &reason);
	return r;
}

ot_gs_ret ot_gs_error(ot_reason reason)
{
	ot_gs_ret r;
	init(&r, OT_GS_ERROR);
	/* The starter keeps it (ot_gen_server_start's *reason): no payload. */
	ot_reason brief = ot_reason_without_data(&reason);
	take_reason(&r, &brief);
	return r;
}

/* A reply that does not fit in the result: a heap copy, or r becomes a
 * stop that says why there is none. */
static __attribute__((noinline)) void copy_large(ot_gs_ret *r,
						 const void *reply, size_t size)
{
	ot_reason why;
	if ((size && !reply) || size > (size_t)PTRDIFF_MAX) {
		why =
		    ot_reason_error(OT_EINVAL, "bad reply given to a builder");
	} else if ((r->reply_copy = malloc(size))) {
		memcpy(r->reply_copy, reply, size);
		r->reply_size = size;
		return;
	} else {
		why = ot_reason_error(OT_ENOMEM, "out of memory for a reply");
	}
	r->action = OT_GS_STOP;
	r->reason = why;
	r->has_reply = false;
}

static inline void copy_reply(ot_gs_ret *r, const void *reply, size_t size)
{
	if (size > sizeof r->reply_bytes || (size && !reply)) {
		copy_large(r, reply, size);
		return;
	}
	if (size)
		memcpy(r->reply_bytes, reply, size);
	r->reply_size = size;
}

/* The bytes of b as the initializer of reply_bytes, element by element:
 * a compound literal is built in the caller's return slot only when
 * nothing is written into the result after it is made (a memcpy into it
 * is such a write). */
#define BYTES4(b, i) b[i], b[i + 1], b[i + 2], b[i + 3]
#define BYTES16(b, i)                                                          \
	BYTES4(b, i), BYTES4(b, i + 4), BYTES4(b, i + 8), BYTES4(b, i + 12)
#define BYTES64(b) BYTES16(b, 0), BYTES16(b, 16), BYTES16(b, 32), BYTES16(b, 48)
_Static_assert(OT_GS_REPLY_INLINE == 64, "BYTES64 initializes reply_bytes");

ot_gs_ret ot_gs_reply(const void *reply, size_t size)
{
	if (size > OT_GS_REPLY_INLINE || (size && !reply)) {
		ot_gs_ret r;
		init(&r, OT_GS_REPLY);
		copy_large(&r, reply, size);
		return r;
	}
	unsigned char b[OT_GS_REPLY_INLINE] = {0};
	if (size)
		memcpy(b, reply, size);
	return (ot_gs_ret){.action = OT_GS_REPLY,
			   .reply_size = size,
			   .reply_bytes = {BYTES64(b)}};
}

ot_gs_ret ot_gs_stop_reply(ot_reason reason, const void *reply, size_t size)
{
	ot_gs_ret r;
	init(&r, OT_GS_STOP);
	take_reason(&r, &reason);
	r.has_reply = true;
	copy_reply(&r, reply, size);
	return r;
}
