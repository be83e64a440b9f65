/* SPDX-License-Identifier: MIT */
/*
 * term_check.c — the bounds of a term in the external format, checked
 * before ei decodes it (term_check.h). Only the layout is read here:
 * each tag's header, its lengths and how many terms it contains (the
 * format is documented in OTP's erts/doc/src/erl_ext_dist.xml); the
 * values are left to ei.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <otter/term.h>

#include "term_check.h"

struct walk {
	const unsigned char *b;
	size_t size, at;
	/* Terms still to read. Never above the bytes left: every term
	 * takes one byte at least, so more is a lie of the term's. */
	uint64_t pending;
};

static bool need(const struct walk *w, size_t n)
{
	return n <= w->size - w->at;
}

static uint32_t get16(const struct walk *w, size_t off)
{
	const unsigned char *p = w->b + w->at + off;
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const struct walk *w, size_t off)
{
	const unsigned char *p = w->b + w->at + off;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Moves past n bytes, if they are there. */
static bool skip(struct walk *w, uint64_t n)
{
	if (n > w->size - w->at)
		return false;
	w->at += (size_t)n;
	return true;
}

/* An atom (a pid's, a reference's or a port's node, or a term). */
static bool skip_atom(struct walk *w)
{
	if (!need(w, 2))
		return false;
	switch (w->b[w->at]) {
	case ERL_ATOM_EXT:
	case ERL_ATOM_UTF8_EXT:
		return need(w, 3) && skip(w, 3 + (uint64_t)get16(w, 1));
	case ERL_SMALL_ATOM_EXT:
	case ERL_SMALL_ATOM_UTF8_EXT:
		return skip(w, 2 + (uint64_t)w->b[w->at + 1]);
	default:
		return false;
	}
}

/* A tag, then a node atom, then fixed bytes. */
static bool skip_node_term(struct walk *w, size_t tail)
{
	w->at++;
	return skip_atom(w) && skip(w, tail);
}

/* A reference: tag, 16-bit count of words, node, creation, words. ei's
 * erlang_ref holds 5 words at most (refs have 3, or 5 for pid-refs). */
static bool skip_ref(struct walk *w, size_t creation)
{
	if (!need(w, 3))
		return false;
	uint32_t words = get16(w, 1);
	if (words > 5)
		return false;
	w->at += 3;
	return skip_atom(w) && skip(w, creation + 4 * (uint64_t)words);
}

/* Adds n terms to read. */
static bool more(struct walk *w, uint64_t n)
{
	w->pending += n;
	return w->pending <= w->size - w->at;
}

/* One tag and what it holds; the terms it contains are counted. */
static bool step(struct walk *w)
{
	if (!need(w, 1))
		return false;
	switch (w->b[w->at]) {
	case ERL_SMALL_INTEGER_EXT:
		return skip(w, 2);
	case ERL_INTEGER_EXT:
		return skip(w, 5);
	case ERL_FLOAT_EXT:
		return skip(w, 32);
	case NEW_FLOAT_EXT:
		return skip(w, 9);
	case ERL_ATOM_EXT:
	case ERL_ATOM_UTF8_EXT:
	case ERL_SMALL_ATOM_EXT:
	case ERL_SMALL_ATOM_UTF8_EXT:
		return skip_atom(w);
	case ERL_REFERENCE_EXT:
		return skip_node_term(w, 5);
	case ERL_NEW_REFERENCE_EXT:
		return skip_ref(w, 1);
	case ERL_NEWER_REFERENCE_EXT:
		return skip_ref(w, 4);
	case ERL_PORT_EXT:
		return skip_node_term(w, 5);
	case ERL_NEW_PORT_EXT:
		return skip_node_term(w, 8);
	case ERL_V4_PORT_EXT:
		return skip_node_term(w, 12);
	case ERL_PID_EXT:
		return skip_node_term(w, 9);
	case ERL_NEW_PID_EXT:
		return skip_node_term(w, 12);
	case ERL_SMALL_TUPLE_EXT:
		return need(w, 2) && more(w, w->b[w->at + 1]) && skip(w, 2);
	case ERL_LARGE_TUPLE_EXT:
		return need(w, 5) && more(w, get32(w, 1)) && skip(w, 5);
	case ERL_MAP_EXT:
		return need(w, 5) && more(w, 2 * (uint64_t)get32(w, 1)) &&
		       skip(w, 5);
	case ERL_NIL_EXT:
		return skip(w, 1);
	case ERL_STRING_EXT:
		return need(w, 3) && skip(w, 3 + (uint64_t)get16(w, 1));
	case ERL_LIST_EXT: /* the elements and the tail */
		return need(w, 5) && more(w, (uint64_t)get32(w, 1) + 1) &&
		       skip(w, 5);
	case ERL_BINARY_EXT:
		return need(w, 5) && skip(w, 5 + (uint64_t)get32(w, 1));
	case ERL_BIT_BINARY_EXT:
		return need(w, 6) && skip(w, 6 + (uint64_t)get32(w, 1));
	case ERL_SMALL_BIG_EXT:
		return need(w, 3) && skip(w, 3 + (uint64_t)w->b[w->at + 1]);
	case ERL_LARGE_BIG_EXT:
		return need(w, 6) && skip(w, 6 + (uint64_t)get32(w, 1));
	case ERL_NEW_FUN_EXT: /* its size counts itself, not the tag */
		return need(w, 5) && get32(w, 1) >= 4 &&
		       skip(w, 1 + (uint64_t)get32(w, 1));
	case ERL_EXPORT_EXT: /* module, function, arity */
		w->at++;
		return more(w, 3);
	default: /* the old FUN_EXT, atom cache references, compression */
		return false;
	}
}

int ot__term_check(const char *buf, size_t size, size_t *len)
{
	if (!buf || size > INT_MAX)
		return OT_EBADTERM;
	struct walk w = {(const unsigned char *)buf, size, 0, 1};
	while (w.pending > 0) {
		w.pending--;
		if (!step(&w))
			return OT_EBADTERM;
	}
	*len = w.at;
	return 0;
}

int ot__term_check_whole(const void *buf, size_t size, size_t *start)
{
	if (!buf)
		return OT_EINVAL;
	const char *b = buf;
	size_t at = size > 0 && (unsigned char)b[0] == OT_TERM_VERSION;
	size_t len;
	if (size == 0 || size > INT_MAX ||
	    ot__term_check(b + at, size - at, &len) || at + len != size)
		return OT_EBADTERM;
	*start = at;
	return 0;
}
