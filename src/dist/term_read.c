/* SPDX-License-Identifier: MIT */
/*
 * term_read.c — reading a term with a cursor: each step checks the tag
 * and lets ei decode. ot_term_open() proves the whole term within its
 * size first (term_check.c), so no ei decoder reads past it.
 */
#include <limits.h>
#include <string.h>

#include <otter/dist.h>

#include "term_check.h"

OT_API int ot_term_open(ot_term_cursor *c, const void *term, size_t size)
{
	if (!c || !term)
		return OT_EINVAL;
	size_t start;
	int rc = ot__term_check_whole(term, size, &start);
	if (rc)
		return rc;
	c->buf = term;
	c->at = (int)start;
	c->end = (int)size;
	return 0;
}

OT_API bool ot_term_at_end(const ot_term_cursor *c)
{
	return !c || c->at >= c->end;
}

/* The next tag, or -1 when nothing is left. */
static int tag(const ot_term_cursor *c)
{
	return c->at < c->end ? (unsigned char)c->buf[c->at] : -1;
}

OT_API int ot_term_type(const ot_term_cursor *c)
{
	if (!c)
		return OT_EINVAL;
	int i = c->at;
	long long v;
	switch (tag(c)) {
	case ERL_SMALL_INTEGER_EXT:
	case ERL_INTEGER_EXT:
		return OT_TERM_INT;
	case ERL_SMALL_BIG_EXT:
	case ERL_LARGE_BIG_EXT:
		return ei_decode_longlong(c->buf, &i, &v) ? OT_TERM_BIGINT
							  : OT_TERM_INT;
	case ERL_FLOAT_EXT:
	case NEW_FLOAT_EXT:
		return OT_TERM_FLOAT;
	case ERL_ATOM_EXT:
	case ERL_ATOM_UTF8_EXT:
	case ERL_SMALL_ATOM_EXT:
	case ERL_SMALL_ATOM_UTF8_EXT:
		return OT_TERM_ATOM;
	case ERL_BINARY_EXT:
		return OT_TERM_BINARY;
	case ERL_BIT_BINARY_EXT:
		return OT_TERM_BITSTRING;
	case ERL_SMALL_TUPLE_EXT:
	case ERL_LARGE_TUPLE_EXT:
		return OT_TERM_TUPLE;
	case ERL_NIL_EXT:
		return OT_TERM_NIL;
	case ERL_LIST_EXT:
		return OT_TERM_LIST;
	case ERL_STRING_EXT:
		return OT_TERM_STRING;
	case ERL_MAP_EXT:
		return OT_TERM_MAP;
	case ERL_PID_EXT:
	case ERL_NEW_PID_EXT:
		return OT_TERM_PID;
	case ERL_REFERENCE_EXT:
	case ERL_NEW_REFERENCE_EXT:
	case ERL_NEWER_REFERENCE_EXT:
		return OT_TERM_REF;
	case ERL_PORT_EXT:
	case ERL_NEW_PORT_EXT:
	case ERL_V4_PORT_EXT:
		return OT_TERM_PORT;
	case ERL_NEW_FUN_EXT:
	case ERL_EXPORT_EXT:
		return OT_TERM_FUN;
	default: /* nothing left (open refused any other tag) */
		return OT_ENOMATCH;
	}
}

/* Moves to i when ei's decoder succeeded (rc 0). */
static int moved(ot_term_cursor *c, int rc, int i)
{
	if (rc)
		return OT_ENOMATCH;
	c->at = i;
	return 0;
}

OT_API int ot_term_get_tuple(ot_term_cursor *c, size_t *arity)
{
	if (!c || !arity)
		return OT_EINVAL;
	int i = c->at, n = 0;
	int rc = ot_term_type(c) == OT_TERM_TUPLE
		     ? ei_decode_tuple_header(c->buf, &i, &n)
		     : -1;
	if (!rc)
		*arity = (size_t)n;
	return moved(c, rc, i);
}

OT_API int ot_term_get_list(ot_term_cursor *c, size_t *n)
{
	if (!c || !n)
		return OT_EINVAL;
	int t = ot_term_type(c), i = c->at, len = 0;
	int rc = t == OT_TERM_LIST || t == OT_TERM_NIL
		     ? ei_decode_list_header(c->buf, &i, &len)
		     : -1;
	if (!rc)
		*n = (size_t)len;
	return moved(c, rc, i);
}

OT_API int ot_term_get_nil(ot_term_cursor *c)
{
	if (!c)
		return OT_EINVAL;
	return moved(c, tag(c) == ERL_NIL_EXT ? 0 : -1, c->at + 1);
}

OT_API int ot_term_get_map(ot_term_cursor *c, size_t *pairs)
{
	if (!c || !pairs)
		return OT_EINVAL;
	int i = c->at, n = 0;
	int rc =
	    tag(c) == ERL_MAP_EXT ? ei_decode_map_header(c->buf, &i, &n) : -1;
	if (!rc)
		*pairs = (size_t)n;
	return moved(c, rc, i);
}

/* The atom at c, as UTF-8, into a[OT_TERM_ATOM_MAX]; *i past it. */
static int read_atom(const ot_term_cursor *c, char *a, int *i)
{
	*i = c->at;
	if (ot_term_type(c) != OT_TERM_ATOM ||
	    ei_decode_atom_as(c->buf, i, a, OT_TERM_ATOM_MAX, ERLANG_UTF8, NULL,
			      NULL))
		return OT_ENOMATCH;
	return 0;
}

OT_API int ot_term_get_atom(ot_term_cursor *c, char *buf, size_t cap)
{
	if (!c || !buf || cap == 0)
		return OT_EINVAL;
	char a[OT_TERM_ATOM_MAX];
	int i, rc = read_atom(c, a, &i);
	if (rc)
		return rc;
	size_t n = strlen(a);
	if (n >= cap)
		return OT_ETOOBIG;
	memcpy(buf, a, n + 1);
	c->at = i;
	return 0;
}

OT_API int ot_term_get_atom_eq(ot_term_cursor *c, const char *atom)
{
	if (!c || !atom)
		return OT_EINVAL;
	char a[OT_TERM_ATOM_MAX];
	int i, rc = read_atom(c, a, &i);
	if (rc || strcmp(a, atom) != 0)
		return OT_ENOMATCH;
	c->at = i;
	return 0;
}

OT_API int ot_term_get_int(ot_term_cursor *c, int64_t *v)
{
	if (!c || !v)
		return OT_EINVAL;
	int i = c->at;
	long long got = 0;
	int rc = ot_term_type(c) == OT_TERM_INT
		     ? ei_decode_longlong(c->buf, &i, &got)
		     : -1;
	if (!rc)
		*v = got;
	return moved(c, rc, i);
}

OT_API int ot_term_get_binary(ot_term_cursor *c, const void **p, size_t *n)
{
	if (!c || !p || !n)
		return OT_EINVAL;
	int i = c->at;
	const char *bytes = NULL;
	unsigned int bitoffs = 0;
	size_t bits = 0;
	int rc = tag(c) == ERL_BINARY_EXT
		     ? ei_decode_bitstring(c->buf, &i, &bytes, &bitoffs, &bits)
		     : -1;
	if (!rc) {
		*p = bytes;
		*n = bits / 8;
	}
	return moved(c, rc, i);
}

OT_API int ot_term_get_string(ot_term_cursor *c, char *buf, size_t cap,
			      size_t *len)
{
	if (!c || !buf || !len || cap == 0)
		return OT_EINVAL;
	int i = c->at, type, size;
	if (tag(c) != ERL_STRING_EXT || ei_get_type(c->buf, &i, &type, &size))
		return OT_ENOMATCH;
	if ((size_t)size >= cap)
		return OT_ETOOBIG;
	int rc = ei_decode_string(c->buf, &i, buf);
	if (!rc)
		*len = (size_t)size;
	return moved(c, rc, i);
}

OT_API int ot_term_get_pid(ot_term_cursor *c, erlang_pid *pid)
{
	if (!c || !pid)
		return OT_EINVAL;
	int i = c->at;
	int rc = ot_term_type(c) == OT_TERM_PID ? ei_decode_pid(c->buf, &i, pid)
						: -1;
	return moved(c, rc, i);
}

OT_API int ot_term_get_otter_pid(ot_term_cursor *c, ot_pid *pid)
{
	if (!c || !pid)
		return OT_EINVAL;
	ot_term_cursor at = *c;
	erlang_pid e;
	int rc = ot_term_get_pid(c, &e);
	if (!rc && (rc = ot_dist_otter_pid(&e, pid)) != 0)
		*c = at;
	return rc;
}

OT_API int ot_term_get_ref(ot_term_cursor *c, erlang_ref *ref)
{
	if (!c || !ref)
		return OT_EINVAL;
	int i = c->at;
	int rc = ot_term_type(c) == OT_TERM_REF ? ei_decode_ref(c->buf, &i, ref)
						: -1;
	return moved(c, rc, i);
}

OT_API int ot_term_get_raw(ot_term_cursor *c, const void **p, size_t *n)
{
	if (!c || !p || !n)
		return OT_EINVAL;
	size_t len;
	if (c->at >= c->end ||
	    ot__term_check(c->buf + c->at, (size_t)(c->end - c->at), &len))
		return OT_ENOMATCH;
	*p = c->buf + c->at;
	*n = len;
	c->at += (int)len;
	return 0;
}

OT_API int ot_term_skip(ot_term_cursor *c)
{
	const void *p;
	size_t n;
	return c ? ot_term_get_raw(c, &p, &n) : OT_EINVAL;
}
