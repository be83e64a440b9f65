/* SPDX-License-Identifier: MIT */
/*
 * term_match.c — ot_term_scan(): a term against an Erlang-like pattern
 * ("{put, %b, %b, %b}"), on the cursor functions of term_read.c. The
 * pattern is checked whole before the term is looked at, so that a
 * malformed pattern is OT_EINVAL whatever the term.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <otter/term.h>

/* Patterns nest at most this deep. */
#define MAX_DEPTH 64

struct scan {
	const char *p;
	va_list ap;
	bool dry; /* only check the pattern: no cursor, no arguments */
};

static void spaces(struct scan *s)
{
	while (isspace((unsigned char)*s->p))
		s->p++;
}

static bool atom_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '@';
}

/* A quoted atom's text ('...', with \' and \\), into a. */
static int quoted(struct scan *s, char *a)
{
	size_t n = 0;
	for (s->p++; *s->p != '\''; s->p++) {
		if (!*s->p)
			return OT_EINVAL;
		if (*s->p == '\\' && s->p[1])
			s->p++;
		if (n + 1 >= OT_TERM_ATOM_MAX)
			return OT_EINVAL;
		a[n++] = *s->p;
	}
	s->p++;
	a[n] = '\0';
	return 0;
}

static int literal_atom(struct scan *s, ot_term_cursor *c)
{
	char a[OT_TERM_ATOM_MAX];
	if (*s->p == '\'') {
		int rc = quoted(s, a);
		if (rc)
			return rc;
	} else {
		size_t n = 0;
		while (atom_char(*s->p)) {
			if (n + 1 >= OT_TERM_ATOM_MAX)
				return OT_EINVAL;
			a[n++] = *s->p++;
		}
		a[n] = '\0';
	}
	return s->dry ? 0 : ot_term_get_atom_eq(c, a);
}

static int literal_int(struct scan *s, ot_term_cursor *c)
{
	char *end;
	long long want = strtoll(s->p, &end, 10);
	if (end == s->p || (*s->p == '-' && end == s->p + 1))
		return OT_EINVAL;
	s->p = end;
	if (s->dry)
		return 0;
	ot_term_cursor at = *c;
	int64_t got;
	if (ot_term_get_int(c, &got) || got != want) {
		*c = at;
		return OT_ENOMATCH;
	}
	return 0;
}

static int directive(struct scan *s, ot_term_cursor *c)
{
	char d = s->p[1];
	if (!strchr("aibpPrt", d) || !d)
		return OT_EINVAL;
	s->p += 2;
	if (s->dry)
		return 0;
	switch (d) {
	case 'a':
		return ot_term_get_atom(c, va_arg(s->ap, char *),
					OT_TERM_ATOM_MAX);
	case 'i':
		return ot_term_get_int(c, va_arg(s->ap, int64_t *));
	case 'b': {
		const void **p = va_arg(s->ap, const void **);
		return ot_term_get_binary(c, p, va_arg(s->ap, size_t *));
	}
	case 'p':
		return ot_term_get_pid(c, va_arg(s->ap, erlang_pid *));
	case 'P':
		return ot_term_get_otter_pid(c, va_arg(s->ap, ot_pid *));
	case 'r':
		return ot_term_get_ref(c, va_arg(s->ap, erlang_ref *));
	default: { /* 't' */
		const void **p = va_arg(s->ap, const void **);
		return ot_term_get_raw(c, p, va_arg(s->ap, size_t *));
	}
	}
}

static int term(struct scan *s, ot_term_cursor *c, int depth);

/* {P1, ..., Pn}: the arity first, then each element. */
static int tuple(struct scan *s, ot_term_cursor *c, int depth)
{
	size_t arity = 0, seen = 0;
	s->p++;
	if (!s->dry) {
		int rc = ot_term_get_tuple(c, &arity);
		if (rc)
			return rc;
	}
	spaces(s);
	if (*s->p == '}') {
		s->p++;
		return s->dry || arity == 0 ? 0 : OT_ENOMATCH;
	}
	for (;;) {
		if (!s->dry && seen == arity)
			return OT_ENOMATCH;
		int rc = term(s, c, depth + 1);
		if (rc)
			return rc;
		seen++;
		spaces(s);
		if (*s->p == '}') {
			s->p++;
			return s->dry || seen == arity ? 0 : OT_ENOMATCH;
		}
		if (*s->p != ',')
			return OT_EINVAL;
		s->p++;
	}
}

static int term(struct scan *s, ot_term_cursor *c, int depth)
{
	if (depth > MAX_DEPTH)
		return OT_EINVAL;
	spaces(s);
	char ch = *s->p;
	if (ch == '{')
		return tuple(s, c, depth);
	if (ch == '[') {
		s->p++;
		spaces(s);
		if (*s->p != ']')
			return OT_EINVAL;
		s->p++;
		return s->dry ? 0 : ot_term_get_nil(c);
	}
	if (ch == '_' && !atom_char(s->p[1])) {
		s->p++;
		return s->dry ? 0 : ot_term_skip(c);
	}
	if (ch == '%')
		return directive(s, c);
	if (ch == '\'' || islower((unsigned char)ch))
		return literal_atom(s, c);
	if (ch == '-' || isdigit((unsigned char)ch))
		return literal_int(s, c);
	return OT_EINVAL;
}

/* One term, and nothing after it in the pattern. */
static int whole(struct scan *s, ot_term_cursor *c)
{
	int rc = term(s, c, 0);
	if (rc)
		return rc;
	spaces(s);
	return *s->p ? OT_EINVAL : 0;
}

OT_API int ot_term_vscan(ot_term_cursor *c, const char *pattern, va_list ap)
{
	if (!c || !pattern)
		return OT_EINVAL;
	struct scan dry = {.p = pattern, .dry = true};
	int rc = whole(&dry, NULL);
	if (rc)
		return rc;
	struct scan s = {.p = pattern};
	va_copy(s.ap, ap);
	ot_term_cursor at = *c;
	rc = whole(&s, &at);
	va_end(s.ap);
	if (!rc)
		*c = at;
	return rc;
}

OT_API int ot_term_scan(ot_term_cursor *c, const char *pattern, ...)
{
	va_list ap;
	va_start(ap, pattern);
	int rc = ot_term_vscan(c, pattern, ap);
	va_end(ap);
	return rc;
}

OT_API int ot_term_match(const void *term, size_t size, const char *pattern,
			 ...)
{
	ot_term_cursor c;
	int rc = ot_term_open(&c, term, size);
	if (rc)
		return rc;
	va_list ap;
	va_start(ap, pattern);
	rc = ot_term_vscan(&c, pattern, ap);
	va_end(ap);
	if (!rc && !ot_term_at_end(&c))
		rc = OT_ENOMATCH;
	return rc;
}
