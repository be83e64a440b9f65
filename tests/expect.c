/* SPDX-License-Identifier: MIT */
/*
 * expect.c — the expectations every suite shares (expect.h).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "expect.h"
#include "fault_kinds.h"
#include "fixture.h"

/* ---- messages ------------------------------------------------------------ */

bool ot_test_is_down_of(const ot_msg *m, void *ref)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == ((const ot_ref *)ref)->id;
}

bool ot_test_is_exit_from(const ot_msg *m, void *from)
{
	const ot_exit_info *e = ot_msg_exit(m);
	return e && ot_pid_equal(e->from, *(const ot_pid *)from);
}

bool ot_test_is_tag(const ot_msg *m, void *tag)
{
	return ot_msg_tag(m) == *(const uint64_t *)tag;
}

ot_ref ot_test_monitor(ot_pid p)
{
	ot_ref r;
	ck_assert_ot_ok(ot_monitor(p, &r));
	return r;
}

/* The reason a DOWN or an EXIT carries. */
static const ot_reason *reason_of(const ot_msg *m)
{
	const ot_down_info *d = ot_msg_down(m);
	return d ? &d->reason : &ot_msg_exit(m)->reason;
}

/* must: takes the message that fn matches, waiting up to ms (scaled);
 * else asserts that none comes within ms (not scaled). Returns the
 * message taken, or NULL. kind, of and what name it in a failure. */
static ot_msg *take(ot_match_fn fn, void *arg, int ms, bool must,
		    const char *kind, unsigned long long of, const char *what)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(fn, arg, &m, must ? scaled_ms(ms) : ms);
	if (must) {
		ck_assert_msg(rc == 0, "%s: no %s of %llx: %s", what, kind, of,
			      ot_err_name(rc));
		return m;
	}
	if (rc == 0) {
		char text[OT_REASON_STRLEN];
		ot_reason_format(reason_of(m), text, sizeof text);
		ot_msg_free(m);
		ck_abort_msg("%s: a %s of %llx came (%s)", what, kind, of,
			     text);
	}
	ck_assert_msg(rc == OT_ETIMEDOUT, "%s: %s", what, ot_err_name(rc));
	return NULL;
}

ot_down_info ot_test_expect_down(ot_ref ref, int timeout_ms, const char *what)
{
	ot_msg *m = take(ot_test_is_down_of, &ref, timeout_ms, true, "DOWN",
			 (unsigned long long)ref.id, what);
	ck_assert_uint_eq(ot_msg_tag(m), OT_TAG_DOWN);
	ot_down_info d = *ot_msg_down(m);
	ot_msg_free(m);
	return d;
}

void ot_test_expect_no_down(ot_ref ref, int ms, const char *what)
{
	take(ot_test_is_down_of, &ref, ms, false, "DOWN",
	     (unsigned long long)ref.id, what);
}

ot_exit_info ot_test_expect_exit(ot_pid from, int timeout_ms, const char *what)
{
	ot_msg *m = take(ot_test_is_exit_from, &from, timeout_ms, true, "EXIT",
			 (unsigned long long)from.id, what);
	ck_assert_uint_eq(ot_msg_tag(m), OT_TAG_EXIT);
	ot_exit_info e = *ot_msg_exit(m);
	ot_msg_free(m);
	return e;
}

void ot_test_expect_no_exit(ot_pid from, int ms, const char *what)
{
	take(ot_test_is_exit_from, &from, ms, false, "EXIT",
	     (unsigned long long)from.id, what);
}

/* ---- crashes ------------------------------------------------------------- */

void ot_test_check_crash(const ot_reason *r, int fault, const char *what)
{
	char text[OT_REASON_STRLEN];
	ot_reason_format(r, text, sizeof text);
	const char *name =
	    fault >= 0 && fault < F_COUNT ? fault_names[fault] : "?";
	ck_assert_msg(r->kind == OT_REASON_CRASH,
		      "%s (%s): reason %s, want a crash", what, name, text);
	switch (fault) {
	case F_NULL_WRITE:
		ck_assert_msg(r->code == SIGSEGV && r->si_code == SEGV_MAPERR &&
				  r->addr == 0 && !r->stack_overflow,
			      "%s: reason %s, want SIGSEGV SEGV_MAPERR at 0",
			      what, text);
		break;
	case F_DIV_ZERO:
		ck_assert_msg(r->code == SIGFPE && r->si_code == FPE_INTDIV &&
				  !r->stack_overflow,
			      "%s: reason %s, want SIGFPE FPE_INTDIV", what,
			      text);
		break;
	case F_ABORT:
	case F_ASSERT:
		/* raised, not a fault: no address */
		ck_assert_msg(r->code == SIGABRT && !r->stack_overflow &&
				  r->addr == 0,
			      "%s: reason %s, want SIGABRT without an address",
			      what, text);
		break;
	case F_OVERFLOW:
		ck_assert_msg(
		    r->code == SIGSEGV && r->stack_overflow && r->addr != 0,
		    "%s: reason %s, want SIGSEGV stack_overflow", what, text);
		break;
	default:
		ck_abort_msg("%s: no such fault %d", what, fault);
	}
}

/* ---- reports ------------------------------------------------------------- */

#define LOG_SIZE 16384

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int nreports; /* all reports, also those no longer kept */
static char reports[OT_TEST_LOG_KEEP][LOG_SIZE]; /* the last ones */

static void keep(const char *report, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&log_mu);
	snprintf(reports[nreports % OT_TEST_LOG_KEEP], LOG_SIZE, "%s",
		 report ? report : "(null)");
	nreports++;
	pthread_mutex_unlock(&log_mu);
}

void ot_test_log_capture(void)
{
	pthread_mutex_lock(&log_mu);
	nreports = 0;
	pthread_mutex_unlock(&log_mu);
	ck_assert_ot_ok(ot_set_logger(keep, NULL));
}

int ot_test_log_count(void)
{
	pthread_mutex_lock(&log_mu);
	int n = nreports;
	pthread_mutex_unlock(&log_mu);
	return n;
}

/* The oldest report still kept; caller holds log_mu. */
static int first_kept(void)
{
	return nreports > OT_TEST_LOG_KEEP ? nreports - OT_TEST_LOG_KEEP : 0;
}

static bool has_all(const char *text, const char *const *need)
{
	for (; *need; need++)
		if (!strstr(text, *need))
			return false;
	return true;
}

int ot_test_log_matching(const char *const *need, char *out, size_t cap)
{
	int found = 0;
	pthread_mutex_lock(&log_mu);
	for (int i = first_kept(); i < nreports; i++) {
		const char *r = reports[i % OT_TEST_LOG_KEEP];
		if (!has_all(r, need))
			continue;
		if (found++ == 0 && out && cap)
			snprintf(out, cap, "%s", r);
	}
	pthread_mutex_unlock(&log_mu);
	return found;
}

bool ot_test_log_contains(const char *text)
{
	return ot_test_log_matching(OT_TEST_NEED(text), NULL, 0) > 0;
}

bool ot_test_log_wait(const char *const *need, int timeout_ms, char *out,
		      size_t cap)
{
	int64_t deadline = now_ms() + scaled_ms(timeout_ms);
	do {
		if (ot_test_log_matching(need, out, cap) > 0)
			return true;
		ot_sleep(2);
	} while (now_ms() < deadline);
	return false;
}

bool ot_test_log_copy(int i, char *out, size_t cap)
{
	pthread_mutex_lock(&log_mu);
	bool kept = i >= first_kept() && i < nreports;
	if (kept)
		snprintf(out, cap, "%s", reports[i % OT_TEST_LOG_KEEP]);
	pthread_mutex_unlock(&log_mu);
	return kept;
}

void ot_test_log_dump(void)
{
	pthread_mutex_lock(&log_mu);
	fprintf(stderr, "---- %d reports ----\n", nreports);
	for (int i = first_kept(); i < nreports; i++)
		fprintf(stderr, "[%d] %s\n", i, reports[i % OT_TEST_LOG_KEEP]);
	pthread_mutex_unlock(&log_mu);
}
