/* SPDX-License-Identifier: MIT */
/*
 * term_build.c — ot_term_buf: building a term with ei's encoder, counting
 * the terms still to come so that a half-built term is never sent, and
 * keeping the first error so that a sequence of calls is checked once.
 */
#include <limits.h>
#include <string.h>

#include <otter/dist.h>

#include "term_check.h"

/* Room ei may want past what is asked (a header, a tag, a length). */
#define HEADROOM 64

OT_API int ot_term_buf_init(ot_term_buf *b)
{
	if (!b)
		return OT_EINVAL;
	memset(b, 0, sizeof(*b));
	if (ei_x_new_with_version(&b->x)) {
		b->x.buff = NULL;
		return b->err = OT_ENOMEM;
	}
	b->pending = 1;
	return 0;
}

OT_API void ot_term_buf_free(ot_term_buf *b)
{
	if (!b || !b->x.buff)
		return;
	ei_x_free(&b->x);
	b->x.buff = NULL;
	b->x.index = b->x.buffsz = 0;
	b->pending = 0;
	b->err = OT_EINVAL;
}

OT_API int ot_term_buf_reset(ot_term_buf *b)
{
	if (!b || !b->x.buff)
		return OT_EINVAL;
	b->x.index = 1; /* after the version byte */
	b->pending = 1;
	b->err = 0;
	return 0;
}

OT_API int ot_term_buf_get(const ot_term_buf *b, const void **data,
			   size_t *size)
{
	if (!b || !data || !size || !b->x.buff)
		return OT_EINVAL;
	if (b->err)
		return b->err;
	if (b->pending)
		return OT_EINVAL;
	*data = b->x.buff;
	*size = (size_t)b->x.index;
	return 0;
}

/* Before one term of bytes bytes that holds `holds` terms more: is there
 * a place for it, and room? */
static int begin(ot_term_buf *b, size_t holds, size_t bytes)
{
	if (!b || !b->x.buff)
		return OT_EINVAL;
	if (b->err)
		return b->err;
	if (b->pending == 0)
		return b->err = OT_EINVAL; /* complete already */
	size_t total;
	if (__builtin_add_overflow((size_t)b->x.index, bytes, &total) ||
	    __builtin_add_overflow(total, (size_t)HEADROOM, &total) ||
	    total > INT_MAX)
		return b->err = OT_ENOMEM;
	size_t pending;
	if (__builtin_add_overflow(b->pending - 1, holds, &pending))
		return b->err = OT_EINVAL;
	(void)pending;
	return 0;
}

/* After ei's encoder: its result, and the count. */
static int end(ot_term_buf *b, int ei_rc, size_t holds)
{
	if (ei_rc)
		return b->err = OT_ENOMEM;
	b->pending = b->pending - 1 + holds;
	return 0;
}

static int fail(ot_term_buf *b, int rc)
{
	if (b && b->x.buff && !b->err)
		b->err = rc;
	return rc;
}

OT_API int ot_term_tuple(ot_term_buf *b, size_t arity)
{
	if (arity > INT_MAX)
		return fail(b, OT_EINVAL);
	int rc = begin(b, arity, 5);
	return rc ? rc
		  : end(b, ei_x_encode_tuple_header(&b->x, (long)arity), arity);
}

OT_API int ot_term_list(ot_term_buf *b, size_t n)
{
	if (n > INT_MAX)
		return fail(b, OT_EINVAL);
	size_t holds = n ? n + 1 : 0; /* the elements and the tail */
	int rc = begin(b, holds, 5);
	return rc ? rc : end(b, ei_x_encode_list_header(&b->x, (long)n), holds);
}

OT_API int ot_term_nil(ot_term_buf *b)
{
	return ot_term_list(b, 0);
}

OT_API int ot_term_map(ot_term_buf *b, size_t pairs)
{
	if (pairs > INT_MAX / 2)
		return fail(b, OT_EINVAL);
	int rc = begin(b, 2 * pairs, 5);
	return rc ? rc
		  : end(b, ei_x_encode_map_header(&b->x, (long)pairs),
			2 * pairs);
}

/* Valid UTF-8 of at most 255 characters (what an atom may be). */
static bool atom_ok(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; chars++) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80		  ? 1
			     : (c & 0xE0) == 0xC0 ? 2
			     : (c & 0xF0) == 0xE0 ? 3
			     : (c & 0xF8) == 0xF0 ? 4
						  : 0;
		if (!len || len > n - i || (len == 2 && c < 0xC2))
			return false;
		for (size_t k = 1; k < len; k++)
			if (((unsigned char)s[i + k] & 0xC0) != 0x80)
				return false;
		i += len;
	}
	return chars <= 255;
}

OT_API int ot_term_atom(ot_term_buf *b, const char *atom)
{
	if (!atom)
		return fail(b, OT_EINVAL);
	size_t n = strnlen(atom, OT_TERM_ATOM_MAX);
	if (n >= OT_TERM_ATOM_MAX || !atom_ok(atom, n))
		return fail(b, OT_EINVAL);
	int rc = begin(b, 0, n + 3);
	return rc ? rc
		  : end(b,
			ei_x_encode_atom_len_as(&b->x, atom, (int)n,
						ERLANG_UTF8, ERLANG_UTF8),
			0);
}

OT_API int ot_term_int(ot_term_buf *b, int64_t v)
{
	int rc = begin(b, 0, 11);
	return rc ? rc : end(b, ei_x_encode_longlong(&b->x, v), 0);
}

OT_API int ot_term_binary(ot_term_buf *b, const void *p, size_t n)
{
	if ((!p && n) || n > INT_MAX)
		return fail(b, OT_EINVAL);
	int rc = begin(b, 0, n + 5);
	return rc ? rc
		  : end(b, ei_x_encode_binary(&b->x, p ? p : "", (int)n), 0);
}

/* ei's pids and refs carry a node name: NUL terminated in its array. */
OT_API int ot_term_pid(ot_term_buf *b, const erlang_pid *pid)
{
	if (!pid || !memchr(pid->node, '\0', sizeof(pid->node)))
		return fail(b, OT_EINVAL);
	int rc = begin(b, 0, sizeof(*pid) + 16);
	return rc ? rc : end(b, ei_x_encode_pid(&b->x, pid), 0);
}

OT_API int ot_term_ref(ot_term_buf *b, const erlang_ref *ref)
{
	if (!ref || !memchr(ref->node, '\0', sizeof(ref->node)) ||
	    ref->len < 1 || ref->len > 5)
		return fail(b, OT_EINVAL);
	int rc = begin(b, 0, sizeof(*ref) + 16);
	return rc ? rc : end(b, ei_x_encode_ref(&b->x, ref), 0);
}

OT_API int ot_term_local_pid(ot_term_buf *b, ot_pid pid)
{
	erlang_pid epid;
	int rc = begin(b, 0, sizeof(epid) + 16);
	if (rc)
		return rc;
	rc = ot_dist_erlang_pid(pid, &epid);
	return rc ? fail(b, rc) : end(b, ei_x_encode_pid(&b->x, &epid), 0);
}

OT_API int ot_term_string(ot_term_buf *b, const char *s)
{
	if (!s)
		return fail(b, OT_EINVAL);
	size_t n = strlen(s);
	if (n > INT_MAX / 2)
		return fail(b, OT_EINVAL);
	int rc = begin(b, 0, 2 * n + 5);
	return rc ? rc : end(b, ei_x_encode_string_len(&b->x, s, (int)n), 0);
}

OT_API int ot_term_raw(ot_term_buf *b, const void *term, size_t size)
{
	size_t start;
	int rc = ot__term_check_whole(term, size, &start);
	if (rc)
		return fail(b, rc);
	rc = begin(b, 0, size);
	return rc ? rc
		  : end(b,
			ei_x_append_buf(&b->x, (const char *)term + start,
					(int)(size - start)),
			0);
}
