/* SPDX-License-Identifier: MIT */
/*
 * json.c — the observer's JSON writer (observer.h): text into a buffer
 * that grows up to a limit, escaped so that whatever bytes a name or a
 * label holds, the reply is valid JSON (and valid UTF-8).
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observer.h"

void ot__json_init(struct ot__json *j, size_t limit)
{
	memset(j, 0, sizeof *j);
	j->limit = limit;
}

void ot__json_free(struct ot__json *j)
{
	free(j->buf);
	memset(j, 0, sizeof *j);
}

void ot__json_reset(struct ot__json *j)
{
	j->len = 0;
	j->full = false;
	j->after_key = false;
	j->depth = 0;
	j->items = 0;
	if (j->buf)
		j->buf[0] = '\0';
}

/* Room for n more bytes and a NUL; false (and full) past the limit. */
static bool room(struct ot__json *j, size_t n)
{
	if (j->full)
		return false;
	if (n > j->limit || j->len > j->limit - n) {
		j->full = true;
		return false;
	}
	if (j->len + n + 1 <= j->cap)
		return true;
	size_t cap = j->cap ? j->cap : 4096;
	while (cap < j->len + n + 1)
		cap *= 2;
	char *b = realloc(j->buf, cap);
	if (!b) {
		j->full = true;
		return false;
	}
	j->buf = b;
	j->cap = cap;
	return true;
}

void ot__json_raw(struct ot__json *j, const char *s, size_t n)
{
	if (!room(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void put(struct ot__json *j, char c)
{
	ot__json_raw(j, &c, 1);
}

/* Before a value: a comma when one came before it at this depth. */
static void item(struct ot__json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	uint64_t bit = UINT64_C(1) << (j->depth % 64);
	if (j->items & bit)
		put(j, ',');
	j->items |= bit;
}

void ot__json_open(struct ot__json *j, char bracket)
{
	item(j);
	put(j, bracket);
	j->depth++;
	j->items &= ~(UINT64_C(1) << (j->depth % 64));
}

void ot__json_close(struct ot__json *j, char bracket)
{
	if (j->depth > 0)
		j->depth--;
	j->after_key = false;
	put(j, bracket);
}

/* The length of the UTF-8 sequence at s (n bytes left), or 0 when it is
 * not one (overlong, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len = c < 0xc2	? 0
		     : c < 0xe0 ? 2
		     : c < 0xf0 ? 3
		     : c < 0xf5 ? 4
				: 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (c == 0xe0 && s[1] < 0xa0)
		return 0; /* overlong */
	if (c == 0xed && s[1] >= 0xa0)
		return 0; /* a surrogate */
	if (c == 0xf0 && s[1] < 0x90)
		return 0; /* overlong */
	if (c == 0xf4 && s[1] >= 0x90)
		return 0; /* past U+10FFFF */
	return len;
}

void ot__json_strn(struct ot__json *j, const char *s, size_t n)
{
	item(j);
	put(j, '"');
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && !j->full) {
		size_t run = i;
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 &&
		       p[run] != '"' && p[run] != '\\')
			run++;
		ot__json_raw(j, s + i, run - i);
		i = run;
		if (i == n)
			break;
		unsigned c = p[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			ot__json_raw(j, esc, 2);
			i++;
		} else if (c == '\n') {
			ot__json_raw(j, "\\n", 2);
			i++;
		} else if (c == '\t') {
			ot__json_raw(j, "\\t", 2);
			i++;
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			ot__json_raw(j, esc, 6);
			i++;
		} else {
			size_t len = utf8_len(p + i, n - i);
			if (len) {
				ot__json_raw(j, s + i, len);
				i += len;
			} else {
				ot__json_raw(j, "\\ufffd", 6);
				i++;
			}
		}
	}
	put(j, '"');
}

void ot__json_str(struct ot__json *j, const char *s)
{
	if (!s) {
		ot__json_null(j);
		return;
	}
	ot__json_strn(j, s, strlen(s));
}

void ot__json_key(struct ot__json *j, const char *key)
{
	ot__json_str(j, key);
	put(j, ':');
	j->after_key = true;
}

void ot__json_int(struct ot__json *j, int64_t v)
{
	char b[24];
	item(j);
	ot__json_raw(j, b, (size_t)snprintf(b, sizeof b, "%" PRId64, v));
}

void ot__json_uint(struct ot__json *j, uint64_t v)
{
	char b[24];
	item(j);
	ot__json_raw(j, b, (size_t)snprintf(b, sizeof b, "%" PRIu64, v));
}

void ot__json_bool(struct ot__json *j, bool v)
{
	item(j);
	ot__json_raw(j, v ? "true" : "false", v ? 4 : 5);
}

void ot__json_null(struct ot__json *j)
{
	item(j);
	ot__json_raw(j, "null", 4);
}

void ot__json_pid(struct ot__json *j, ot_pid pid)
{
	if (ot_pid_is_none(pid)) {
		ot__json_null(j);
		return;
	}
	char b[OT_PID_STRLEN];
	ot_pid_format(pid, b, sizeof b);
	ot__json_str(j, b);
}

void ot__json_kstr(struct ot__json *j, const char *key, const char *s)
{
	ot__json_key(j, key);
	ot__json_str(j, s);
}

void ot__json_kuint(struct ot__json *j, const char *key, uint64_t v)
{
	ot__json_key(j, key);
	ot__json_uint(j, v);
}

void ot__json_kint(struct ot__json *j, const char *key, int64_t v)
{
	ot__json_key(j, key);
	ot__json_int(j, v);
}

void ot__json_kbool(struct ot__json *j, const char *key, bool v)
{
	ot__json_key(j, key);
	ot__json_bool(j, v);
}

void ot__json_kpid(struct ot__json *j, const char *key, ot_pid pid)
{
	ot__json_key(j, key);
	ot__json_pid(j, pid);
}

void ot__json_error(struct ot__json *j, int code, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	ot__json_reset(j);
	ot__json_open(j, '{');
	ot__json_kstr(j, "error", text);
	if (code)
		ot__json_kstr(j, "code", ot_err_name(code));
	ot__json_close(j, '}');
}
