/* SPDX-License-Identifier: MIT */
/*
 * reason.c — exit reasons: constructors, comparison, and the printed form,
 * which follows Erlang's ({shutdown,"..."}, {error,...}) so that reports
 * read the same to someone coming from OTP.
 */
#include "config.h"

#include <bsd/string.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <otter/error.h>
#include <otter/reason.h>

#include "reason_repair.h"

static ot_reason make(ot_reason_kind kind, int code, const char *text)
{
	ot_reason r;
	memset(&r, 0, sizeof r);
	r.kind = kind;
	r.code = code;
	if (text)
		strlcpy(r.text, text, sizeof r.text);
	return r;
}

ot_reason ot_reason_normal(void)
{
	return make(OT_REASON_NORMAL, 0, NULL);
}

ot_reason ot_reason_shutdown(void)
{
	return make(OT_REASON_SHUTDOWN, 0, NULL);
}

ot_reason ot_reason_shutdown_detail(const char *text)
{
	return make(OT_REASON_SHUTDOWN_DETAIL, 0, text);
}

ot_reason ot_reason_kill(void)
{
	return make(OT_REASON_KILL, 0, NULL);
}

ot_reason ot_reason_error(int code, const char *text)
{
	return make(OT_REASON_ERROR, code, text);
}

ot_reason ot_reason_error_data(int code, const char *text, const void *data,
			       size_t size)
{
	ot_reason r = make(OT_REASON_ERROR, code, text);
	r.data = data;
	r.data_size = size;
	return r;
}

ot_reason ot_reason_shutdown_data(const char *text, const void *data,
				  size_t size)
{
	ot_reason r = make(OT_REASON_SHUTDOWN_DETAIL, 0, text);
	r.data = data;
	r.data_size = size;
	return r;
}

const void *ot_reason_data(const ot_reason *r, size_t *size)
{
	if (size)
		*size = r && r->data ? r->data_size : 0;
	return r ? r->data : NULL;
}

ot_reason ot_reason_without_data(const ot_reason *r)
{
	if (!r)
		return ot_reason_normal();
	ot_reason kept = *r;
	kept.data = NULL;
	kept.data_size = 0;
	return kept;
}

/* Payloads compare by their bytes. */
static bool same_data(const ot_reason *a, const ot_reason *b)
{
	if (a->data_size != b->data_size)
		return false;
	if (!a->data_size || a->data == b->data)
		return true;
	return a->data && b->data &&
	       memcmp(a->data, b->data, a->data_size) == 0;
}

bool ot_reason_equal(const ot_reason *a, const ot_reason *b)
{
	if (!a || !b)
		return false;
	return a->kind == b->kind && a->code == b->code &&
	       a->si_code == b->si_code &&
	       a->stack_overflow == b->stack_overflow && a->addr == b->addr &&
	       strncmp(a->text, b->text, sizeof a->text) == 0 &&
	       same_data(a, b);
}

/* The kinds whose reasons carry a text. */
static bool has_text(ot_reason_kind kind)
{
	return kind == OT_REASON_ERROR || kind == OT_REASON_SHUTDOWN_DETAIL;
}

static bool known_kind(ot_reason_kind kind)
{
	switch (kind) {
#define OT_REASON_KIND_KNOWN_(name, text) case OT_REASON_##name:
		OT_REASON_KIND_MAP(OT_REASON_KIND_KNOWN_)
#undef OT_REASON_KIND_KNOWN_
		return true;
	}
	return false;
}

int ot_reason_check(const ot_reason *r)
{
	if (!r || !known_kind(r->kind) ||
	    memchr(r->text, '\0', sizeof r->text) == NULL ||
	    (!has_text(r->kind) && (r->text[0] || r->data_size)) ||
	    (r->data_size && !r->data) || r->data_size > (size_t)PTRDIFF_MAX)
		return OT_EINVAL;
	return 0;
}

ot_reason ot__reason_repaired(const ot_reason *r)
{
	ot_reason fixed = *r;
	if (!known_kind(r->kind)) {
		char text[64];
		snprintf(text, sizeof text, "bad reason kind %d", (int)r->kind);
		return make(OT_REASON_ERROR, OT_EINVAL, text);
	}
	fixed.text[OT_REASON_TEXT_MAX] = '\0';
	if (!has_text(fixed.kind))
		memset(fixed.text, 0, sizeof fixed.text);
	if (!has_text(fixed.kind) || !fixed.data ||
	    fixed.data_size > (size_t)PTRDIFF_MAX) {
		fixed.data = NULL;
		fixed.data_size = 0;
	}
	return fixed;
}

bool ot_reason_is_clean(const ot_reason *r)
{
	return r &&
	       (r->kind == OT_REASON_NORMAL || r->kind == OT_REASON_SHUTDOWN ||
		r->kind == OT_REASON_SHUTDOWN_DETAIL);
}

const char *ot_reason_kind_name(ot_reason_kind kind)
{
	switch (kind) {
#define OT_REASON_KIND_NAME_(name, text)                                       \
	case OT_REASON_##name:                                                 \
		return text;
		OT_REASON_KIND_MAP(OT_REASON_KIND_NAME_)
#undef OT_REASON_KIND_NAME_
	}
	return "unknown";
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGABRT:
		return "SIGABRT";
	}
	return NULL;
}

/* The symbolic si_code of the fault signals, as <signal.h> names them. */
static const char *si_code_name(int sig, int code)
{
	if (code == SI_USER)
		return "SI_USER";
	if (code == SI_TKILL)
		return "SI_TKILL";
	switch (sig) {
	case SIGSEGV:
		return code == SEGV_MAPERR   ? "SEGV_MAPERR"
		       : code == SEGV_ACCERR ? "SEGV_ACCERR"
					     : NULL;
	case SIGBUS:
		return code == BUS_ADRALN   ? "BUS_ADRALN"
		       : code == BUS_ADRERR ? "BUS_ADRERR"
		       : code == BUS_OBJERR ? "BUS_OBJERR"
					    : NULL;
	case SIGFPE:
		switch (code) {
		case FPE_INTDIV:
			return "FPE_INTDIV";
		case FPE_INTOVF:
			return "FPE_INTOVF";
		case FPE_FLTDIV:
			return "FPE_FLTDIV";
		case FPE_FLTOVF:
			return "FPE_FLTOVF";
		case FPE_FLTUND:
			return "FPE_FLTUND";
		case FPE_FLTRES:
			return "FPE_FLTRES";
		case FPE_FLTINV:
			return "FPE_FLTINV";
		case FPE_FLTSUB:
			return "FPE_FLTSUB";
		}
		return NULL;
	case SIGILL:
		switch (code) {
		case ILL_ILLOPC:
			return "ILL_ILLOPC";
		case ILL_ILLOPN:
			return "ILL_ILLOPN";
		case ILL_ILLADR:
			return "ILL_ILLADR";
		case ILL_ILLTRP:
			return "ILL_ILLTRP";
		case ILL_PRVOPC:
			return "ILL_PRVOPC";
		case ILL_PRVREG:
			return "ILL_PRVREG";
		case ILL_COPROC:
			return "ILL_COPROC";
		case ILL_BADSTK:
			return "ILL_BADSTK";
		}
		return NULL;
	}
	return NULL;
}

/* An otter error code by its name (OT_EALREADY, OT_ESYS(ECONNREFUSED)),
 * as a report should say it; any other code (a program's own), and a
 * system error whose errno has no name, as its number. */
static const char *error_code_name(int code, char *num, size_t size)
{
	const char *name = code < 0 ? ot_err_name(code) : "OT_UNKNOWN";
	if (strcmp(name, "OT_UNKNOWN") != 0 &&
	    (strcmp(name, "OT_ESYS") != 0 || code == OT_ESYS))
		return name;
	snprintf(num, size, "%d", code);
	return num;
}

/* Appends text (at most max bytes of it: a malformed reason's text may
 * have no NUL) quoted as an Erlang string; returns the length it needs. */
static size_t quote(char *out, size_t room, const char *text, size_t max)
{
	size_t n = 0;
#define PUT(c)                                                                 \
	do {                                                                   \
		if (n + 1 < room)                                              \
			out[n] = (c);                                          \
		n++;                                                           \
	} while (0)
	PUT('"');
	const unsigned char *end = (const unsigned char *)text + max;
	for (const unsigned char *p = (const unsigned char *)text;
	     p < end && *p; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT((char)*p);
		} else if (*p < 0x20 || *p == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			PUT('\\');
			PUT('x');
			PUT(hex[*p >> 4]);
			PUT(hex[*p & 15]);
		} else {
			PUT((char)*p);
		}
	}
	PUT('"');
#undef PUT
	if (room)
		out[n < room ? n : room - 1] = '\0';
	return n;
}

int ot_reason_format(const ot_reason *r, char *buf, size_t size)
{
	if (!r || (!buf && size))
		return OT_EINVAL;
	char q[OT_REASON_TEXT_MAX * 4 + 3];
	const char *kind = ot_reason_kind_name(r->kind);
	switch (r->kind) {
	case OT_REASON_SHUTDOWN_DETAIL:
		quote(q, sizeof q, r->text, OT_REASON_TEXT_MAX);
		return snprintf(buf, size, "{shutdown,%s}", q);
	case OT_REASON_ERROR: {
		char num[16];
		quote(q, sizeof q, r->text, OT_REASON_TEXT_MAX);
		return snprintf(buf, size, "{error,%s,%s}",
				error_code_name(r->code, num, sizeof num), q);
	}
	case OT_REASON_CRASH: {
		char signum[24], codenum[16];
		const char *sig = signal_name(r->code);
		const char *code = si_code_name(r->code, r->si_code);
		if (!sig) {
			snprintf(signum, sizeof signum, "signal_%d", r->code);
			sig = signum;
		}
		if (!code) {
			snprintf(codenum, sizeof codenum, "%d", r->si_code);
			code = codenum;
		}
		return snprintf(buf, size, "{crash,%s,%s,addr=0x%lx%s}", sig,
				code, (unsigned long)r->addr,
				r->stack_overflow ? ",stack_overflow" : "");
	}
	default:
		return snprintf(buf, size, "%s", kind);
	}
}
