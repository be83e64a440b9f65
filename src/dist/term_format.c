/* SPDX-License-Identifier: MIT */
/*
 * term_format.c — ot_term_format(): a term in Erlang's syntax, for
 * reports and logs. The common terms are printed here as the Erlang
 * shell prints them (atoms quoted when they must be, binaries of text
 * as <<"...">>); the rare ones (big integers, ports, funs, bit strings,
 * other nodes' pids and references) as ei_s_print_term() prints them.
 */
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <otter/term.h>

#include "term_check.h"

#define MAX_DEPTH 64

struct out {
	char *buf;
	size_t cap, len; /* len: the whole text, even past cap */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - 1 - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putc_(struct out *o, char ch)
{
	put(o, &ch, 1);
}

static bool reserved(const char *a)
{
	static const char *const words[] = {
	    "after", "and", "andalso", "band", "begin",	 "bnot",
	    "bor",   "bsl", "bsr",     "bxor", "case",	 "catch",
	    "cond",  "div", "end",     "fun",  "if",	 "let",
	    "maybe", "not", "of",      "or",   "orelse", "receive",
	    "rem",   "try", "when",    "xor",  "else"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(a, words[i]) == 0)
			return true;
	return false;
}

/* The next character of UTF-8 text (checked by ei), and past it. */
static unsigned next_char(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned c = *s++;
	int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
	c &= more ? 0x3Fu >> more : 0xFFu;
	while (more-- > 0 && (*s & 0xC0) == 0x80)
		c = c << 6 | (*s++ & 0x3Fu);
	*p = (const char *)s;
	return c;
}

/* Erlang's letters for atoms: Latin-1's too (ß-ÿ are lower case). */
static bool lower(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}

static bool atom_rest(unsigned c)
{
	return lower(c) || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '@' || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}

/* Quoted unless Erlang writes it plain (io_lib:write_atom). */
static void atom(struct out *o, const char *a)
{
	const char *p = a;
	bool plain = *p && lower(next_char(&p)) && !reserved(a);
	while (plain && *p)
		plain = atom_rest(next_char(&p));
	if (plain) {
		puts_(o, a);
		return;
	}
	putc_(o, '\'');
	for (const char *q = a; *q; q++) {
		if (*q == '\'' || *q == '\\')
			putc_(o, '\\');
		putc_(o, *q);
	}
	putc_(o, '\'');
}

static bool printable(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return n > 0;
}

/* Text between quote characters q, or the bytes as numbers. */
static void bytes(struct out *o, const unsigned char *p, size_t n, char q)
{
	if (printable(p, n)) {
		putc_(o, q);
		for (size_t i = 0; i < n; i++) {
			if (p[i] == (unsigned char)q || p[i] == '\\')
				putc_(o, '\\');
			putc_(o, (char)p[i]);
		}
		putc_(o, q);
		return;
	}
	char num[8];
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof(num), i ? ",%u" : "%u", p[i]);
		puts_(o, num);
	}
}

/* As ei prints it: the rare terms. */
static int with_ei(struct out *o, ot_term_cursor *c)
{
	char *s = NULL;
	int i = c->at;
	if (ei_s_print_term(&s, c->buf, &i) < 0) {
		free(s);
		return OT_ENOMEM;
	}
	puts_(o, s);
	free(s);
	return ot_term_skip(c);
}

static int term(struct out *o, ot_term_cursor *c, int depth);

/* n elements, separated by commas. */
static int elements(struct out *o, ot_term_cursor *c, size_t n, int depth)
{
	for (size_t k = 0; k < n; k++) {
		if (k)
			putc_(o, ',');
		int rc = term(o, c, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

static int list(struct out *o, ot_term_cursor *c, int depth)
{
	size_t n;
	bool nil = ot_term_type(c) == OT_TERM_NIL;
	ot_term_get_list(c, &n);
	putc_(o, '[');
	int rc = elements(o, c, n, depth);
	if (rc)
		return rc;
	if (!nil && ot_term_get_nil(c) != 0) { /* an improper list */
		putc_(o, '|');
		if ((rc = term(o, c, depth + 1)))
			return rc;
	}
	putc_(o, ']');
	return 0;
}

static int map(struct out *o, ot_term_cursor *c, int depth)
{
	size_t pairs;
	ot_term_get_map(c, &pairs);
	puts_(o, "#{");
	for (size_t k = 0; k < pairs; k++) {
		if (k)
			putc_(o, ',');
		int rc = term(o, c, depth + 1);
		if (rc)
			return rc;
		puts_(o, " => ");
		if ((rc = term(o, c, depth + 1)))
			return rc;
	}
	putc_(o, '}');
	return 0;
}

static int number(struct out *o, ot_term_cursor *c, int type)
{
	char num[64];
	int i = c->at;
	if (type == OT_TERM_INT) {
		int64_t v;
		ot_term_get_int(c, &v);
		snprintf(num, sizeof(num), "%lld", (long long)v);
	} else {
		double d;
		if (ei_decode_double(c->buf, &i, &d))
			return OT_EBADTERM;
		c->at = i;
		snprintf(num, sizeof(num), "%.*g", DBL_DIG + 2, d);
		if (!strpbrk(num, ".eni")) /* 1.0, not 1 */
			strcat(num, ".0");
	}
	puts_(o, num);
	return 0;
}

static int term(struct out *o, ot_term_cursor *c, int depth)
{
	if (depth > MAX_DEPTH) {
		puts_(o, "'...'");
		return ot_term_skip(c);
	}
	int type = ot_term_type(c);
	char a[OT_TERM_ATOM_MAX];
	const void *p;
	size_t n;
	switch (type) {
	case OT_TERM_INT:
	case OT_TERM_FLOAT:
		return number(o, c, type);
	case OT_TERM_ATOM:
		if (ot_term_get_atom(c, a, sizeof(a)))
			return OT_EBADTERM;
		atom(o, a);
		return 0;
	case OT_TERM_BINARY:
		ot_term_get_binary(c, &p, &n);
		puts_(o, "<<");
		bytes(o, p, n, '"');
		puts_(o, ">>");
		return 0;
	case OT_TERM_TUPLE:
		ot_term_get_tuple(c, &n);
		putc_(o, '{');
		if ((type = elements(o, c, n, depth)))
			return type;
		putc_(o, '}');
		return 0;
	case OT_TERM_NIL:
	case OT_TERM_LIST:
		return list(o, c, depth);
	case OT_TERM_STRING: {
		int i = c->at, t, len;
		ei_get_type(c->buf, &i, &t, &len);
		const unsigned char *s = (const unsigned char *)c->buf + i + 3;
		bool text = printable(s, (size_t)len);
		if (!text)
			putc_(o, '[');
		bytes(o, s, (size_t)len, '"');
		if (!text)
			putc_(o, ']');
		return ot_term_skip(c);
	}
	case OT_TERM_MAP:
		return map(o, c, depth);
	default: /* big integers, bit strings, pids, refs, ports, funs */
		return type < 0 ? OT_EBADTERM : with_ei(o, c);
	}
}

OT_API int ot_term_format(const void *t, size_t size, char *out, size_t outsize)
{
	if (!t || (!out && outsize))
		return OT_EINVAL;
	ot_term_cursor c;
	int rc = ot_term_open(&c, t, size);
	if (rc)
		return rc;
	struct out o = {out, outsize, 0};
	rc = term(&o, &c, 0);
	if (outsize)
		out[o.len < outsize ? o.len : outsize - 1] = '\0';
	if (rc)
		return rc;
	return o.len > INT_MAX ? OT_ETOOBIG : (int)o.len;
}
