/* SPDX-License-Identifier: MIT */
/*
 * gs_test.c — the helpers of gs_test.h.
 */
#include "config.h"

#include <sys/mman.h>

#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "gs_test.h"

ot_pid gs_test_pid;

/* ---- events -------------------------------------------------------------- */

void gs_event(uint64_t tag, int64_t n, const ot_reason *reason)
{
	struct gs_ev e;
	memset(&e, 0, sizeof e);
	e.from = ot_self();
	e.n = n;
	if (reason)
		e.reason = *reason;
	ot_send(gs_test_pid, tag, &e, sizeof e);
}

static bool is_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

struct gs_ev gs_expect_event(uint64_t tag, const char *what)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(is_tag, &tag, &m, scaled_ms(3000));
	ck_assert_msg(rc == 0, "%s: no event %llu: %s", what,
		      (unsigned long long)tag, ot_err_name(rc));
	struct gs_ev e;
	ck_assert_uint_eq(ot_msg_size(m), sizeof e);
	memcpy(&e, ot_msg_data(m), sizeof e);
	ot_msg_free(m);
	return e;
}

void gs_expect_no_event(uint64_t tag, int ms, const char *what)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(is_tag, &tag, &m, ms);
	if (rc == 0) {
		ot_msg_free(m);
		ck_abort_msg("%s: unexpected event %llu", what,
			     (unsigned long long)tag);
	}
}

/* ---- servers ------------------------------------------------------------- */

ot_pid gs_start_opts(const ot_gen_server_callbacks *cb, void *arg,
		     const ot_gen_server_opts *opts)
{
	ot_pid pid = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof why);
	int rc = ot_gen_server_start(cb, arg, opts, &pid, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof text);
	ck_assert_msg(rc == 0, "start: %s (%s)", ot_err_name(rc), text);
	return pid;
}

ot_pid gs_start(const ot_gen_server_callbacks *cb, void *arg)
{
	return gs_start_opts(cb, arg, NULL);
}

long gs_resident(uintptr_t lo, uintptr_t hi)
{
	long page = sysconf(_SC_PAGESIZE);
	lo = (lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	hi &= ~((uintptr_t)page - 1);
	if (hi <= lo)
		return 0;
	size_t pages = (hi - lo) / (size_t)page;
	unsigned char *vec = malloc(pages);
	ck_assert(vec);
	ck_assert_int_eq(mincore((void *)lo, hi - lo, vec), 0);
	long n = 0;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n * page;
}

static void gs_setup(void)
{
	ot_test_log_capture();
	gs_test_pid = ot_self();
}

TCase *gs_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, gs_setup, NULL);
	return tc;
}

TCase *gs_tcase_one(const char *name, double timeout_s)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, ot_test_setup_one, ot_test_teardown);
	tcase_add_checked_fixture(tc, gs_setup, NULL);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

TCase *gs_crash_tcase(const char *name, double timeout_s)
{
	TCase *tc = gs_tcase(name, timeout_s);
	tcase_set_tags(tc, "crash");
	return tc;
}
