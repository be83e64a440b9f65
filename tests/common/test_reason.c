/* SPDX-License-Identifier: MIT */
/*
 * test_reason.c — exit reasons as values: the constructors, exact
 * comparison (every field counts), which reasons are clean, and the
 * printed form of each kind (quoting, truncation, snprintf's contract).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* A reason built by hand, for the kinds that have no constructor. */
static ot_reason mk(ot_reason_kind kind)
{
	ot_reason r;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	return r;
}

static ot_reason mk_crash(int sig, int si_code, uintptr_t addr, bool overflow)
{
	ot_reason r = mk(OT_REASON_CRASH);
	r.code = sig;
	r.si_code = si_code;
	r.addr = addr;
	r.stack_overflow = overflow;
	return r;
}

/* Formats r into a buffer big enough for anything, checking that the
 * return value is the length written. */
static const char *fmt(const ot_reason *r)
{
	static char buf[OT_REASON_STRLEN + 64];
	memset(buf, 'Z', sizeof(buf));
	int n = ot_reason_format(r, buf, sizeof(buf));
	ck_assert_msg(n >= 0, "ot_reason_format returned %s", ot_err_name(n));
	ck_assert_msg((size_t)n == strlen(buf),
		      "ot_reason_format returned %d for \"%s\" (%zu chars)", n,
		      buf, strlen(buf));
	ck_assert_msg(n < (int)OT_REASON_STRLEN,
		      "\"%s\" is %d chars, OT_REASON_STRLEN is %d", buf, n,
		      (int)OT_REASON_STRLEN);
	return buf;
}

static void assert_blank_extras(const ot_reason *r, const char *what)
{
	ck_assert_msg(r->code == 0, "%s: code %d", what, r->code);
	ck_assert_msg(r->si_code == 0, "%s: si_code %d", what, r->si_code);
	ck_assert_msg(!r->stack_overflow, "%s: stack_overflow set", what);
	ck_assert_msg(r->addr == 0, "%s: addr %#lx", what,
		      (unsigned long)r->addr);
}

/* ---- constructors -------------------------------------------------------- */

START_TEST(test_constructors)
{
	ot_reason r = ot_reason_normal();
	ck_assert_int_eq(r.kind, OT_REASON_NORMAL);
	assert_blank_extras(&r, "normal");
	ck_assert_str_eq(r.text, "");

	r = ot_reason_shutdown();
	ck_assert_int_eq(r.kind, OT_REASON_SHUTDOWN);
	assert_blank_extras(&r, "shutdown");
	ck_assert_str_eq(r.text, "");

	r = ot_reason_kill();
	ck_assert_int_eq(r.kind, OT_REASON_KILL);
	assert_blank_extras(&r, "kill");
	ck_assert_str_eq(r.text, "");

	r = ot_reason_shutdown_detail("disk full");
	ck_assert_int_eq(r.kind, OT_REASON_SHUTDOWN_DETAIL);
	assert_blank_extras(&r, "shutdown_detail");
	ck_assert_str_eq(r.text, "disk full");

	r = ot_reason_shutdown_detail(NULL);
	ck_assert_int_eq(r.kind, OT_REASON_SHUTDOWN_DETAIL);
	ck_assert_str_eq(r.text, "");

	r = ot_reason_error(42, "bad input");
	ck_assert_int_eq(r.kind, OT_REASON_ERROR);
	ck_assert_int_eq(r.code, 42);
	ck_assert_int_eq(r.si_code, 0);
	ck_assert(!r.stack_overflow);
	ck_assert_uint_eq(r.addr, 0);
	ck_assert_str_eq(r.text, "bad input");

	r = ot_reason_error(INT_MIN, NULL);
	ck_assert_int_eq(r.kind, OT_REASON_ERROR);
	ck_assert_int_eq(r.code, INT_MIN);
	ck_assert_str_eq(r.text, "");

	r = ot_reason_error(0, "");
	ck_assert_int_eq(r.kind, OT_REASON_ERROR);
	ck_assert_int_eq(r.code, 0);
	ck_assert_str_eq(r.text, "");
}
END_TEST

START_TEST(test_constructor_copies_text)
{
	char text[32] = "original";
	ot_reason r = ot_reason_error(1, text);
	ot_reason s = ot_reason_shutdown_detail(text);
	strcpy(text, "changed!");
	ck_assert_str_eq(r.text, "original");
	ck_assert_str_eq(s.text, "original");
}
END_TEST

START_TEST(test_text_truncated)
{
	char long_text[OT_REASON_TEXT_MAX * 3];
	for (size_t i = 0; i < sizeof(long_text) - 1; i++)
		long_text[i] = (char)('a' + i % 26);
	long_text[sizeof(long_text) - 1] = '\0';

	ot_reason r = ot_reason_error(7, long_text);
	ck_assert_uint_eq(strlen(r.text), OT_REASON_TEXT_MAX);
	ck_assert(memcmp(r.text, long_text, OT_REASON_TEXT_MAX) == 0);

	ot_reason s = ot_reason_shutdown_detail(long_text);
	ck_assert_uint_eq(strlen(s.text), OT_REASON_TEXT_MAX);
	ck_assert(memcmp(s.text, long_text, OT_REASON_TEXT_MAX) == 0);

	/* exactly the maximum is kept whole, one more is cut */
	char exact[OT_REASON_TEXT_MAX + 2];
	memset(exact, 'x', sizeof(exact));
	exact[OT_REASON_TEXT_MAX] = '\0';
	r = ot_reason_error(1, exact);
	ck_assert_str_eq(r.text, exact);
	exact[OT_REASON_TEXT_MAX] = 'y';
	exact[OT_REASON_TEXT_MAX + 1] = '\0';
	r = ot_reason_error(1, exact);
	ck_assert_uint_eq(strlen(r.text), OT_REASON_TEXT_MAX);
	ck_assert(strchr(r.text, 'y') == NULL);

	/* the truncated text prints whole */
	char want[OT_REASON_TEXT_MAX + 32];
	snprintf(want, sizeof(want), "{error,7,\"%.*s\"}",
		 (int)OT_REASON_TEXT_MAX, long_text);
	r = ot_reason_error(7, long_text);
	ck_assert_str_eq(fmt(&r), want);
}
END_TEST

/* ---- equality ------------------------------------------------------------ */

START_TEST(test_equal_same_values)
{
	ot_reason a = ot_reason_error(42, "bad input");
	ot_reason b = ot_reason_error(42, "bad input");
	ck_assert(ot_reason_equal(&a, &a));
	ck_assert(ot_reason_equal(&a, &b));
	ck_assert(ot_reason_equal(&b, &a));

	ot_reason n1 = ot_reason_normal(), n2 = ot_reason_normal();
	ck_assert(ot_reason_equal(&n1, &n2));
	ot_reason k1 = ot_reason_kill(), k2 = mk(OT_REASON_KILL);
	ck_assert(ot_reason_equal(&k1, &k2));
	ot_reason s1 = ot_reason_shutdown(), s2 = mk(OT_REASON_SHUTDOWN);
	ck_assert(ot_reason_equal(&s1, &s2));

	ot_reason c1 = mk_crash(SIGSEGV, SEGV_MAPERR, 0, false);
	ot_reason c2 = mk_crash(SIGSEGV, SEGV_MAPERR, 0, false);
	ck_assert(ot_reason_equal(&c1, &c2));
}
END_TEST

START_TEST(test_equal_every_field_matters)
{
	/* kind */
	ot_reason a = ot_reason_normal(), b = ot_reason_shutdown();
	ck_assert(!ot_reason_equal(&a, &b));
	a = ot_reason_kill();
	b = mk(OT_REASON_KILLED);
	ck_assert(!ot_reason_equal(&a, &b));
	a = ot_reason_shutdown();
	b = ot_reason_shutdown_detail("");
	ck_assert(!ot_reason_equal(&a, &b));
	a = mk(OT_REASON_NOPROC);
	b = mk(OT_REASON_TIMEOUT);
	ck_assert(!ot_reason_equal(&a, &b));
	/* same code and text, different kind */
	a = ot_reason_error(0, "x");
	b = ot_reason_shutdown_detail("x");
	ck_assert(!ot_reason_equal(&a, &b));

	/* code */
	a = ot_reason_error(1, "x");
	b = ot_reason_error(2, "x");
	ck_assert(!ot_reason_equal(&a, &b));
	ck_assert(!ot_reason_equal(&b, &a));

	/* text */
	a = ot_reason_error(1, "x");
	b = ot_reason_error(1, "y");
	ck_assert(!ot_reason_equal(&a, &b));
	a = ot_reason_error(1, "x");
	b = ot_reason_error(1, "xx");
	ck_assert(!ot_reason_equal(&a, &b));
	ck_assert(!ot_reason_equal(&b, &a));
	a = ot_reason_shutdown_detail("disk full");
	b = ot_reason_shutdown_detail("disk ful");
	ck_assert(!ot_reason_equal(&a, &b));

	/* the crash fields, one at a time */
	ot_reason base = mk_crash(SIGSEGV, SEGV_MAPERR, 0x1000, false);
	ot_reason c = base;
	ck_assert(ot_reason_equal(&base, &c));
	c.code = SIGBUS;
	ck_assert_msg(!ot_reason_equal(&base, &c), "signal ignored");
	c = base;
	c.si_code = SEGV_ACCERR;
	ck_assert_msg(!ot_reason_equal(&base, &c), "si_code ignored");
	c = base;
	c.addr = 0x1008;
	ck_assert_msg(!ot_reason_equal(&base, &c), "addr ignored");
	c = base;
	c.stack_overflow = true;
	ck_assert_msg(!ot_reason_equal(&base, &c), "stack_overflow ignored");
	c = base;
	c.kind = OT_REASON_ERROR;
	ck_assert_msg(!ot_reason_equal(&base, &c), "kind ignored");
}
END_TEST

START_TEST(test_equal_null)
{
	ot_reason r = ot_reason_normal();
	ck_assert(!ot_reason_equal(NULL, &r));
	ck_assert(!ot_reason_equal(&r, NULL));
	ck_assert(!ot_reason_equal(NULL, NULL));
}
END_TEST

/* ---- clean --------------------------------------------------------------- */

START_TEST(test_is_clean)
{
	ot_reason r = ot_reason_normal();
	ck_assert(ot_reason_is_clean(&r));
	r = ot_reason_shutdown();
	ck_assert(ot_reason_is_clean(&r));
	r = ot_reason_shutdown_detail("disk full");
	ck_assert(ot_reason_is_clean(&r));
	r = ot_reason_shutdown_detail(NULL);
	ck_assert(ot_reason_is_clean(&r));

	r = ot_reason_kill();
	ck_assert(!ot_reason_is_clean(&r));
	r = mk(OT_REASON_KILLED);
	ck_assert(!ot_reason_is_clean(&r));
	r = mk(OT_REASON_NOPROC);
	ck_assert(!ot_reason_is_clean(&r));
	r = mk(OT_REASON_TIMEOUT);
	ck_assert(!ot_reason_is_clean(&r));
	r = ot_reason_error(0, "");
	ck_assert(!ot_reason_is_clean(&r));
	r = ot_reason_error(42, "bad input");
	ck_assert(!ot_reason_is_clean(&r));
	r = mk_crash(SIGSEGV, SEGV_MAPERR, 0, false);
	ck_assert(!ot_reason_is_clean(&r));
	r = mk_crash(SIGSEGV, SEGV_ACCERR, 0x7000, true);
	ck_assert(!ot_reason_is_clean(&r));

	ck_assert(!ot_reason_is_clean(NULL));
}
END_TEST

/* ---- kind names ---------------------------------------------------------- */

START_TEST(test_kind_names)
{
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_NORMAL), "normal");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_SHUTDOWN), "shutdown");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_SHUTDOWN_DETAIL),
			 "shutdown");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_KILL), "kill");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_KILLED), "killed");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_NOPROC), "noproc");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_TIMEOUT), "timeout");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_ERROR), "error");
	ck_assert_str_eq(ot_reason_kind_name(OT_REASON_CRASH), "crash");
	ck_assert_str_eq(
	    ot_reason_kind_name((ot_reason_kind)(OT_REASON_CRASH + 1)),
	    "unknown");
	ck_assert_str_eq(ot_reason_kind_name((ot_reason_kind)1000), "unknown");
	ck_assert_str_eq(ot_reason_kind_name((ot_reason_kind)-1), "unknown");
}
END_TEST

/* ---- format -------------------------------------------------------------- */

START_TEST(test_format_each_kind)
{
	ot_reason r = ot_reason_normal();
	ck_assert_str_eq(fmt(&r), "normal");
	r = ot_reason_shutdown();
	ck_assert_str_eq(fmt(&r), "shutdown");
	r = ot_reason_shutdown_detail("disk full");
	ck_assert_str_eq(fmt(&r), "{shutdown,\"disk full\"}");
	r = ot_reason_kill();
	ck_assert_str_eq(fmt(&r), "kill");
	r = mk(OT_REASON_KILLED);
	ck_assert_str_eq(fmt(&r), "killed");
	r = mk(OT_REASON_NOPROC);
	ck_assert_str_eq(fmt(&r), "noproc");
	r = mk(OT_REASON_TIMEOUT);
	ck_assert_str_eq(fmt(&r), "timeout");
	r = ot_reason_error(42, "bad input");
	ck_assert_str_eq(fmt(&r), "{error,42,\"bad input\"}");
	r = ot_reason_error(-3, "");
	ck_assert_str_eq(fmt(&r), "{error,OT_ENOTSTARTED,\"\"}");
	r = ot_reason_error(INT_MIN, "m");
	char want[64];
	snprintf(want, sizeof(want), "{error,%d,\"m\"}", INT_MIN);
	ck_assert_str_eq(fmt(&r), want);
}
END_TEST

START_TEST(test_format_crash)
{
	ot_reason r = mk_crash(SIGSEGV, SEGV_MAPERR, 0, false);
	const char *s = fmt(&r);
	ck_assert_msg(strncmp(s, "{crash,SIGSEGV,", 15) == 0, "got \"%s\"", s);
	ck_assert_msg(strstr(s, "stack_overflow") == NULL, "got \"%s\"", s);
	ck_assert_msg(s[strlen(s) - 1] == '}', "got \"%s\"", s);

	r = mk_crash(SIGSEGV, SEGV_ACCERR, (uintptr_t)0x7f0000001000ULL, true);
	s = fmt(&r);
	ck_assert_msg(strncmp(s, "{crash,SIGSEGV,", 15) == 0, "got \"%s\"", s);
	ck_assert_msg(strstr(s, "stack_overflow") != NULL, "got \"%s\"", s);
	ck_assert_msg(s[strlen(s) - 1] == '}', "got \"%s\"", s);

	/* other signals are named too */
	static const struct {
		int sig;
		const char *name;
	} sigs[] = {{SIGFPE, "SIGFPE"},
		    {SIGABRT, "SIGABRT"},
		    {SIGBUS, "SIGBUS"},
		    {SIGILL, "SIGILL"}};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		r = mk_crash(sigs[i].sig, 0, 0, false);
		s = fmt(&r);
		ck_assert_msg(strncmp(s, "{crash,", 7) == 0, "got \"%s\"", s);
		ck_assert_msg(strstr(s, sigs[i].name) != NULL, "%s: got \"%s\"",
			      sigs[i].name, s);
		ck_assert_msg(strstr(s, "stack_overflow") == NULL, "got \"%s\"",
			      s);
	}

	/* odd values still print, within OT_REASON_STRLEN (fmt checks) */
	r = mk_crash(99, INT_MIN, UINTPTR_MAX, true);
	s = fmt(&r);
	ck_assert_msg(strncmp(s, "{crash,", 7) == 0, "got \"%s\"", s);
	r = mk_crash(-5, -1, 0, false);
	s = fmt(&r);
	ck_assert_msg(strncmp(s, "{crash,", 7) == 0, "got \"%s\"", s);
}
END_TEST

START_TEST(test_format_escapes_text)
{
	ot_reason r = ot_reason_error(1, "say \"hi\"");
	ck_assert_str_eq(fmt(&r), "{error,1,\"say \\\"hi\\\"\"}");
	r = ot_reason_error(2, "C:\\dir\\");
	ck_assert_str_eq(fmt(&r), "{error,2,\"C:\\\\dir\\\\\"}");
	r = ot_reason_shutdown_detail("a\"b\\c");
	ck_assert_str_eq(fmt(&r), "{shutdown,\"a\\\"b\\\\c\"}");
	r = ot_reason_error(3, "\"");
	ck_assert_str_eq(fmt(&r), "{error,3,\"\\\"\"}");

	/* whatever it does with control characters, they do not print raw
	 * and the text still ends with the closing quote */
	r = ot_reason_error(4, "line1\nline2\ttab\x01");
	const char *s = fmt(&r);
	ck_assert_msg(strchr(s, '\n') == NULL && strchr(s, '\x01') == NULL,
		      "raw control character in \"%s\"", s);
	ck_assert_msg(strncmp(s, "{error,4,\"line1", 15) == 0, "got \"%s\"", s);
	ck_assert_msg(strcmp(s + strlen(s) - 2, "\"}") == 0, "got \"%s\"", s);
}
END_TEST

/* The longest texts, of the characters that grow most when quoted, still
 * fit in OT_REASON_STRLEN (fmt() checks it). */
START_TEST(test_format_worst_case_fits)
{
	static const char fills[] = {'"',    '\\',   '\n',
				     '\x01', '\x7f', (char)0xff};
	char text[OT_REASON_TEXT_MAX + 1];
	for (size_t i = 0; i < sizeof(fills); i++) {
		memset(text, fills[i], OT_REASON_TEXT_MAX);
		text[OT_REASON_TEXT_MAX] = '\0';
		ot_reason r = ot_reason_error(INT_MIN, text);
		ck_assert_uint_eq(strlen(r.text), OT_REASON_TEXT_MAX);
		fmt(&r);
		r = ot_reason_shutdown_detail(text);
		fmt(&r);
	}
	char buf[OT_REASON_STRLEN];
	memset(text, '"', OT_REASON_TEXT_MAX);
	text[OT_REASON_TEXT_MAX] = '\0';
	ot_reason r = ot_reason_error(INT_MIN, text);
	int n = ot_reason_format(&r, buf, sizeof(buf));
	ck_assert_int_lt(n, (int)sizeof(buf));
	ck_assert_uint_eq(strlen(buf), (size_t)n); /* nothing was cut */
}
END_TEST

START_TEST(test_format_snprintf_contract)
{
	ot_reason r = ot_reason_error(42, "bad input");
	const char *full = "{error,42,\"bad input\"}";
	int len = (int)strlen(full);

	/* NULL buffer with size 0: just the length */
	ck_assert_int_eq(ot_reason_format(&r, NULL, 0), len);

	/* a buffer too small: truncated, NUL-terminated, full length */
	char buf[64];
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ot_reason_format(&r, buf, 5), len);
	ck_assert_str_eq(buf, "{err");
	ck_assert_int_eq(buf[5], 'Z'); /* nothing written past size */

	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ot_reason_format(&r, buf, 1), len);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(buf[1], 'Z');

	/* size 0 with a buffer: nothing written */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ot_reason_format(&r, buf, 0), len);
	ck_assert_int_eq(buf[0], 'Z');

	/* exactly len+1 fits; len cuts the last character */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ot_reason_format(&r, buf, (size_t)len + 1), len);
	ck_assert_str_eq(buf, full);
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ot_reason_format(&r, buf, (size_t)len), len);
	ck_assert_uint_eq(strlen(buf), (size_t)len - 1);
	ck_assert(strncmp(buf, full, (size_t)len - 1) == 0);

	/* short kinds too */
	ot_reason n = ot_reason_normal();
	ck_assert_int_eq(ot_reason_format(&n, NULL, 0), 6);
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ot_reason_format(&n, buf, 4), 6);
	ck_assert_str_eq(buf, "nor");

	/* a crash: the length matches what a big buffer gets */
	ot_reason c = mk_crash(SIGSEGV, SEGV_ACCERR, 0xdeadbeef, true);
	int clen = ot_reason_format(&c, NULL, 0);
	ck_assert_int_eq(clen, (int)strlen(fmt(&c)));
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ot_reason_format(&c, buf, 10), clen);
	ck_assert_str_eq(buf, "{crash,SI");

	/* escaped text: the length counts the escapes */
	ot_reason e = ot_reason_error(1, "\"\\");
	ck_assert_int_eq(ot_reason_format(&e, NULL, 0),
			 (int)strlen("{error,1,\"\\\"\\\\\"}"));
}
END_TEST

START_TEST(test_format_bad_arguments)
{
	char buf[32];
	ot_reason r = ot_reason_normal();
	ck_assert_ot_err(ot_reason_format(NULL, buf, sizeof(buf)), OT_EINVAL);
	ck_assert_ot_err(ot_reason_format(NULL, NULL, 0), OT_EINVAL);
	ck_assert_ot_err(ot_reason_format(&r, NULL, 1), OT_EINVAL);
	ck_assert_ot_err(ot_reason_format(&r, NULL, sizeof(buf)), OT_EINVAL);
}
END_TEST

/* Reasons are plain values: all of this works with no runtime running. */
START_TEST(test_without_runtime)
{
	ck_assert(!ot_running());
	ot_reason a = ot_reason_error(42, "bad input");
	ot_reason b = ot_reason_error(42, "bad input");
	ck_assert(ot_reason_equal(&a, &b));
	ck_assert(!ot_reason_is_clean(&a));
	ck_assert_str_eq(fmt(&a), "{error,42,\"bad input\"}");
	ck_assert_str_eq(ot_reason_kind_name(a.kind), "error");
	ot_reason s = ot_reason_shutdown_detail("disk full");
	ck_assert(ot_reason_is_clean(&s));
	ck_assert_str_eq(fmt(&s), "{shutdown,\"disk full\"}");
}
END_TEST

/* ---- malformed reasons (issue 15, item 3) ------------------------------ */

START_TEST(test_check_well_formed)
{
	ot_reason ok[] = {ot_reason_normal(),
			  ot_reason_shutdown(),
			  ot_reason_shutdown_detail("disk full"),
			  ot_reason_kill(),
			  ot_reason_error(42, "bad input"),
			  mk(OT_REASON_KILLED),
			  mk(OT_REASON_NOPROC),
			  mk(OT_REASON_TIMEOUT),
			  mk_crash(SIGSEGV, SEGV_MAPERR, 0, false)};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		ck_assert_msg(ot_reason_check(&ok[i]) == 0, "%s refused",
			      fmt(&ok[i]));
	char longer[OT_REASON_TEXT_MAX + 50];
	memset(longer, 'y', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	ot_reason cut = ot_reason_error(1, longer);
	ck_assert_ot_ok(ot_reason_check(&cut));
}
END_TEST

START_TEST(test_check_malformed)
{
	ck_assert_ot_err(ot_reason_check(NULL), OT_EINVAL);
	ot_reason r = ot_reason_error(1, NULL);
	memset(r.text, 'x', sizeof r.text);
	ck_assert_ot_err(ot_reason_check(&r), OT_EINVAL);
	r = mk((ot_reason_kind)99);
	ck_assert_ot_err(ot_reason_check(&r), OT_EINVAL);
	r = mk((ot_reason_kind)-1);
	ck_assert_ot_err(ot_reason_check(&r), OT_EINVAL);
	ot_reason_kind textless[] = {OT_REASON_NORMAL, OT_REASON_SHUTDOWN,
				     OT_REASON_KILL,   OT_REASON_KILLED,
				     OT_REASON_NOPROC, OT_REASON_TIMEOUT,
				     OT_REASON_CRASH};
	for (size_t i = 0; i < sizeof textless / sizeof textless[0]; i++) {
		r = mk(textless[i]);
		strcpy(r.text, "stray");
		ck_assert_msg(ot_reason_check(&r) == OT_EINVAL,
			      "a %s with a text accepted",
			      ot_reason_kind_name(textless[i]));
	}
}
END_TEST

/* The text without its NUL is followed by bytes that are not NUL either:
 * the format must stop at OT_REASON_TEXT_MAX (ASan sees a read past). */
START_TEST(test_format_unterminated_text)
{
	struct {
		ot_reason r;
		char after[256];
	} *p = malloc(sizeof *p);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, sizeof *p);
	p->r.kind = OT_REASON_SHUTDOWN_DETAIL;
	memset(p->r.text, 'x', sizeof p->r.text);
	memset(p->after, 'z', sizeof p->after);
	char want[OT_REASON_TEXT_MAX + 32];
	snprintf(want, sizeof want, "{shutdown,\"%.*s\"}",
		 (int)OT_REASON_TEXT_MAX, p->r.text);
	ck_assert_str_eq(fmt(&p->r), want);
	free(p);

	/* Exactly sized on the heap: nothing after the struct at all. */
	ot_reason *q = malloc(sizeof *q);
	ck_assert_ptr_nonnull(q);
	*q = ot_reason_error(5, NULL);
	memset(q->text, '"', sizeof q->text);
	ck_assert_int_gt(ot_reason_format(q, NULL, 0), OT_REASON_TEXT_MAX);
	ck_assert_int_lt(ot_reason_format(q, NULL, 0), OT_REASON_STRLEN);
	free(q);
}
END_TEST

START_TEST(test_format_unknown_kind)
{
	ot_reason r = mk((ot_reason_kind)99);
	ck_assert_str_eq(fmt(&r), "unknown");
}
END_TEST

/* issue 15 item 8: an otter error code prints as its name, a program's
 * own code (positive, 0, or a negative otter does not use) as a number. */
START_TEST(test_format_error_names)
{
	ot_reason r = ot_reason_error(OT_EALREADY, "already started");
	ck_assert_str_eq(fmt(&r), "{error,OT_EALREADY,\"already started\"}");
	r = ot_reason_error(OT_EINVAL, "x");
	ck_assert_str_eq(fmt(&r), "{error,OT_EINVAL,\"x\"}");
	r = ot_reason_error(0, "x");
	ck_assert_str_eq(fmt(&r), "{error,0,\"x\"}");
	r = ot_reason_error(18, "x");
	ck_assert_str_eq(fmt(&r), "{error,18,\"x\"}");
	r = ot_reason_error(OT_ESYS_ERRNO(ECONNREFUSED), "x");
	ck_assert_str_eq(fmt(&r), "{error,OT_ESYS(ECONNREFUSED),\"x\"}");
	r = ot_reason_error(OT_ESYS, "x");
	ck_assert_str_eq(fmt(&r), "{error,OT_ESYS,\"x\"}");
	r = ot_reason_error(OT_ESYS_ERRNO(4000), "x");
	char want[64];
	snprintf(want, sizeof want, "{error,%d,\"x\"}", OT_ESYS_ERRNO(4000));
	ck_assert_str_eq(fmt(&r), want);
	r = ot_reason_error(-100000, "x");
	ck_assert_str_eq(fmt(&r), "{error,-100000,\"x\"}");
}
END_TEST

/* ---- payloads (issue 14) --------------------------------------------------
 */

START_TEST(test_data_constructors_and_accessor)
{
	static const char bytes[] = "0123456789";
	ot_reason r = ot_reason_error_data(4, "t", bytes, 10);
	ck_assert_int_eq(r.kind, OT_REASON_ERROR);
	ck_assert_int_eq(r.code, 4);
	ck_assert_str_eq(r.text, "t");
	size_t size = 99;
	ck_assert_ptr_eq(ot_reason_data(&r, &size), bytes); /* borrowed */
	ck_assert_uint_eq(size, 10);
	ck_assert_ot_ok(ot_reason_check(&r));
	/* The payload is not printed: the text is for reports. */
	ck_assert_str_eq(fmt(&r), "{error,4,\"t\"}");
	r = ot_reason_shutdown_data("s", bytes, 3);
	ck_assert_int_eq(r.kind, OT_REASON_SHUTDOWN_DETAIL);
	ck_assert_ot_ok(ot_reason_check(&r));
	ot_reason plain = ot_reason_without_data(&r);
	ck_assert_ptr_null(ot_reason_data(&plain, &size));
	ck_assert_uint_eq(size, 0);
	ck_assert_str_eq(plain.text, "s");
	ck_assert_ptr_null(ot_reason_data(NULL, &size));
	ck_assert_uint_eq(size, 0);
	ck_assert_ptr_null(ot_reason_data(&plain, NULL));
	ot_reason normal = ot_reason_normal();
	plain = ot_reason_without_data(NULL);
	ck_assert(ot_reason_equal(&plain, &normal));
}
END_TEST

START_TEST(test_data_equal_by_bytes)
{
	char a[4] = "abc", b[4] = "abc";
	ot_reason ra = ot_reason_error_data(1, "t", a, 3);
	ot_reason rb = ot_reason_error_data(1, "t", b, 3);
	ck_assert(ot_reason_equal(&ra, &rb));
	b[2] = 'x';
	ck_assert(!ot_reason_equal(&ra, &rb));
	rb = ot_reason_error_data(1, "t", a, 2);
	ck_assert(!ot_reason_equal(&ra, &rb));
	rb = ot_reason_error(1, "t");
	ck_assert(!ot_reason_equal(&ra, &rb));
	ra = ot_reason_error_data(1, "t", NULL, 0);
	ck_assert(ot_reason_equal(&ra, &rb));
}
END_TEST

START_TEST(test_data_malformed)
{
	char b = 0;
	ot_reason r = ot_reason_error_data(1, "t", NULL, 1);
	ck_assert_ot_err(ot_reason_check(&r), OT_EINVAL);
	r = ot_reason_error_data(1, "t", &b, (size_t)PTRDIFF_MAX + 1);
	ck_assert_ot_err(ot_reason_check(&r), OT_EINVAL);
	r = ot_reason_kill();
	r.data = &b;
	r.data_size = 1;
	ck_assert_ot_err(ot_reason_check(&r), OT_EINVAL);
	r = ot_reason_error_data(1, "t", &b, 0); /* a pointer, no bytes */
	ck_assert_ot_ok(ot_reason_check(&r));
}
END_TEST

static Suite *reason_suite(void)
{
	Suite *s = suite_create("reason");

	TCase *tc = ot_test_tcase("construct", 5);
	tcase_add_test(tc, test_constructors);
	tcase_add_test(tc, test_constructor_copies_text);
	tcase_add_test(tc, test_text_truncated);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("compare", 5);
	tcase_add_test(tc, test_equal_same_values);
	tcase_add_test(tc, test_equal_every_field_matters);
	tcase_add_test(tc, test_equal_null);
	tcase_add_test(tc, test_is_clean);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("format", 5);
	tcase_add_test(tc, test_format_each_kind);
	tcase_add_test(tc, test_format_crash);
	tcase_add_test(tc, test_format_escapes_text);
	tcase_add_test(tc, test_format_worst_case_fits);
	tcase_add_test(tc, test_format_snprintf_contract);
	tcase_add_test(tc, test_format_bad_arguments);
	tcase_add_test(tc, test_format_unterminated_text);
	tcase_add_test(tc, test_format_unknown_kind);
	tcase_add_test(tc, test_format_error_names);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("data", 5);
	tcase_add_test(tc, test_data_constructors_and_accessor);
	tcase_add_test(tc, test_data_equal_by_bytes);
	tcase_add_test(tc, test_data_malformed);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("check", 5);
	tcase_add_test(tc, test_check_well_formed);
	tcase_add_test(tc, test_check_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("no_runtime");
	tcase_set_timeout(tc, 5);
	tcase_add_test(tc, test_without_runtime);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(reason_suite());
}
