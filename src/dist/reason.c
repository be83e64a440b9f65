/* SPDX-License-Identifier: MIT */
/*
 * reason.c — exit reasons as Erlang terms, both ways: what an Erlang
 * link or monitor of an otter process receives when it ends, and what
 * an otter process receives when an Erlang process it is tied to ends.
 *
 *   otter                        Erlang
 *   normal shutdown kill         normal shutdown kill
 *   killed noproc timeout        killed noproc timeout
 *   {shutdown,Text}              {shutdown,"Text"} (or the term it came as)
 *   {error,Code,Text}            {error,'OT_E...' | Code,"Text"}
 *   {crash,SIGSEGV,...}          {crash,'SIGSEGV','SEGV_MAPERR',Addr,
 *                                 StackOverflow :: boolean()}
 *   noconnection                 {error,OT_ENOTCONN,"noconnection"}
 *   any other term T             {error,OT_EREMOTE,"T as ~p prints it"}
 *
 * A reason that came from Erlang carries the term itself as its payload
 * (ot_reason_data(), without the version byte: ot_term_open() takes it),
 * and goes back out as that term, so it crosses otter unchanged.
 */
#include <stdio.h>
#include <string.h>

#include "node.h"
#include "term_check.h"

/* The term in r's payload, when it is one whole term: *p and *n. */
static bool payload_term(const ot_reason *r, const void **p, size_t *n)
{
	size_t size, start;
	const void *d = ot_reason_data(r, &size);
	if (!d || ot__term_check_whole(d, size, &start))
		return false;
	*p = (const char *)d + start;
	*n = size - start;
	return true;
}

/* {crash,'SIGSEGV','SEGV_MAPERR',Addr,Overflow}: the names as
 * ot_reason_format() prints them, "{crash,SIGSEGV,SEGV_MAPERR,addr=..." */
static int crash_term(ot_term_buf *b, const ot_reason *r)
{
	char text[OT_REASON_STRLEN], sig[64] = "", code[64] = "";
	ot_reason_format(r, text, sizeof(text));
	sscanf(text, "{crash,%63[^,],%63[^,]", sig, code);
	ot_term_tuple(b, 5);
	ot_term_atom(b, "crash");
	ot_term_atom(b, sig);
	ot_term_atom(b, code);
	ot_term_int(b, (int64_t)r->addr);
	return ot_term_atom(b, r->stack_overflow ? "true" : "false");
}

OT_API int ot_term_reason(ot_term_buf *b, const ot_reason *r)
{
	if (!b)
		return OT_EINVAL;
	if (!r || ot_reason_check(r))
		return b->err ? b->err : (b->err = OT_EINVAL);
	const void *p;
	size_t n;
	switch (r->kind) {
	case OT_REASON_SHUTDOWN_DETAIL:
		if (payload_term(r, &p, &n))
			return ot_term_raw(b, p, n);
		ot_term_tuple(b, 2);
		ot_term_atom(b, "shutdown");
		return ot_term_string(b, r->text);
	case OT_REASON_ERROR:
		if ((r->code == OT_EREMOTE || r->code == OT_ENOTCONN) &&
		    payload_term(r, &p, &n))
			return ot_term_raw(b, p, n);
		if (r->code == OT_ENOTCONN &&
		    strcmp(r->text, OT_NOCONNECTION_TEXT) == 0)
			return ot_term_atom(b, "noconnection");
		ot_term_tuple(b, 3);
		ot_term_atom(b, "error");
		if (strcmp(ot_err_name(r->code), "OT_UNKNOWN") != 0)
			ot_term_atom(b, ot_err_name(r->code));
		else
			ot_term_int(b, r->code);
		return ot_term_string(b, r->text);
	case OT_REASON_CRASH:
		return crash_term(b, r);
	default:
		return ot_term_atom(b, ot_reason_kind_name(r->kind));
	}
}

static const struct {
	const char *atom;
	ot_reason_kind kind;
} atoms[] = {
    {"normal", OT_REASON_NORMAL}, {"shutdown", OT_REASON_SHUTDOWN},
    {"kill", OT_REASON_KILL},	  {"killed", OT_REASON_KILLED},
    {"noproc", OT_REASON_NOPROC}, {"timeout", OT_REASON_TIMEOUT},
};

OT_API int ot_term_get_reason(ot_term_cursor *c, ot_reason *out)
{
	if (!c || !out)
		return OT_EINVAL;
	const void *p;
	size_t n;
	ot_term_cursor at = *c;
	int rc = ot_term_get_raw(c, &p, &n);
	if (rc)
		return rc;
	char atom[OT_TERM_ATOM_MAX];
	if (ot_term_get_atom(&at, atom, sizeof(atom)) == 0) {
		for (size_t i = 0; i < sizeof(atoms) / sizeof(atoms[0]); i++) {
			if (strcmp(atom, atoms[i].atom) == 0) {
				*out = ot_reason_normal();
				out->kind = atoms[i].kind;
				return 0;
			}
		}
		if (strcmp(atom, "noconnection") == 0) {
			*out = ot_reason_error_data(OT_ENOTCONN,
						    OT_NOCONNECTION_TEXT, p, n);
			return 0;
		}
	}
	char text[OT_REASON_TEXT_MAX + 1];
	ot_term_format(p, n, text, sizeof(text));
	ot_term_cursor t;
	const void *detail;
	size_t dn;
	if (ot_term_open(&t, p, n) == 0 &&
	    ot_term_scan(&t, "{shutdown, %t}", &detail, &dn) == 0) {
		ot_term_format(detail, dn, text, sizeof(text));
		*out = ot_reason_shutdown_data(text, p, n);
		return 0;
	}
	*out = ot_reason_error_data(OT_EREMOTE, text, p, n);
	return 0;
}
