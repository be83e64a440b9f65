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

/*
 * The results of casts and small replies are built in the caller's
 * return slot: a local result returned by value is copied there whole
 * (~300 bytes, rep movs), which was 29% of a cast, and a compound literal
 * zeroes all of it (rep stos), 20% of a cast, most of it the reason's
 * text, which these results never use. So the fast builders set each
 * field of a local that GCC and clang build in the return slot (named
 * return value), which they do only when its address is never taken and
 * every return returns it: hence assignments field by field, no memcpy
 * or loop into it. The text of the reason is only an empty string (its
 * bytes past the first are left as they were); every other field is
 * zero. A field added to ot_gs_ret must be set here.
 */
#define BLANK(r, act)                                                          \
	do {                                                                   \
		(r).action = (act);                                            \
		(r).reply = NULL;                                              \
		(r).reply_size = 0;                                            \
		(r).has_reply = false;                                         \
		(r).reason.kind = OT_REASON_NORMAL;                            \
		(r).reason.code = 0;                                           \
		(r).reason.si_code = 0;                                        \
		(r).reason.stack_overflow = false;                             \
		(r).reason.addr = 0;                                           \
		(r).reason.text[0] = '\0';                                     \
		(r).reason.data = NULL;                                        \
		(r).reason.data_size = 0;                                      \
		(r).timeout_ms = 0;                                            \
		(r).has_timeout = false;                                       \
		(r).hibernate = false;                                         \
		(r).has_continue = false;                                      \
		(r).continue_arg = 0;                                          \
		(r).reply_copy = NULL;                                         \
		(r).reason_copy = NULL;                                        \
	} while (0)

/* The rare ones, whose builders call helpers with the result's address,
 * start from init(): every field zero but reply_bytes, whose bytes past
 * reply_size are never read. */
static void init(ot_gs_ret *r, ot_gs_action action)
{
	memset(r, 0, offsetof(ot_gs_ret, reply_bytes));
	r->action = action;
}

ot_gs_ret ot_gs_ok(void)
{
	ot_gs_ret r;
	BLANK(r, OT_GS_OK);
	return r;
}

ot_gs_ret ot_gs_ignore(void)
{
	ot_gs_ret r;
	BLANK(r, OT_GS_IGNORE);
	return r;
}

ot_gs_ret ot_gs_noreply(void)
{
	ot_gs_ret r;
	BLANK(r, OT_GS_NOREPLY);
	return r;
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

/* The bytes of b into r.reply_bytes, one assignment each (merged into
 * wide stores): a memcpy or a loop would take r's address and make the
 * result be copied into the return slot. */
#define BYTES4(r, b, i)                                                        \
	(r).reply_bytes[i] = b[i], (r).reply_bytes[i + 1] = b[i + 1],          \
	(r).reply_bytes[i + 2] = b[i + 2], (r).reply_bytes[i + 3] = b[i + 3]
#define BYTES16(r, b, i)                                                       \
	BYTES4(r, b, i), BYTES4(r, b, i + 4), BYTES4(r, b, i + 8),             \
	    BYTES4(r, b, i + 12)
#define BYTES64(r, b)                                                          \
	BYTES16(r, b, 0), BYTES16(r, b, 16), BYTES16(r, b, 32),                \
	    BYTES16(r, b, 48)
_Static_assert(OT_GS_REPLY_INLINE == 64, "BYTES64 fills reply_bytes");

static __attribute__((noinline)) ot_gs_ret reply_large(const void *reply,
						       size_t size)
{
	ot_gs_ret r;
	init(&r, OT_GS_REPLY);
	copy_large(&r, reply, size);
	return r;
}

ot_gs_ret ot_gs_reply(const void *reply, size_t size)
{
	if (size > OT_GS_REPLY_INLINE || (size && !reply))
		return reply_large(reply, size);
	unsigned char b[OT_GS_REPLY_INLINE] = {0};
	if (size)
		memcpy(b, reply, size);
	ot_gs_ret r;
	BLANK(r, OT_GS_REPLY);
	r.reply_size = size;
	BYTES64(r, b);
	return r;
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
